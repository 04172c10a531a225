//! End-to-end tests of `netcap read` / `netcap -r FILE.ncap.gz`: every
//! flag, on record files made from the shared captures, with values
//! checked one by one against tshark's reading of the same packets
//! (tshark is the oracle the project uses; CI installs it).
//!
//! The Python interoperability and pandas tests are in tests/python_interop.rs.

use netcap::container::RecordReader;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "common/cli.rs"]
mod cli;
use cli::{netcap, pcap, repo, run_stdout, s, temp_dir, NETCAP};

/// Record files of `capture` (relative to shared/pcaps) in a fresh directory.
fn capture(name: &str, capture: &str, extra: &[&str]) -> PathBuf {
    let out = temp_dir(name);
    let pcap = pcap(capture);
    let mut args = vec!["-r", s(&pcap), "-out", s(&out), "-quiet"];
    args.extend_from_slice(extra);
    run_stdout(&args);
    out
}

const ESPN: &str = "chrissanders-packets/http_espn.pcapng";
const NANO: &str = "tcpdump/tests/tcp-handshake-nano.pcap";
const ICMPV6: &str = "tcpdump/tests/icmpv6.pcap";

/// tshark's fields for the packets matching `filter`, a row per packet;
/// several occurrences of a field are joined with `|`.
fn tshark(capture: &str, filter: &str, fields: &[&str], extra: &[&str]) -> Vec<Vec<String>> {
    let mut args =
        vec!["-r".to_owned(), s(&pcap(capture)).to_owned(), "-Y".into(), filter.into(), "-T".into(), "fields".into()];
    for a in ["-E", "separator=/t", "-E", "aggregator=|", "-E", "quote=n"] {
        args.push(a.into());
    }
    args.extend(extra.iter().map(|e| e.to_string()));
    for f in fields {
        args.push("-e".into());
        args.push(f.to_string());
    }
    let out = Command::new("tshark").args(&args).output().unwrap_or_else(|e| {
        panic!("tshark is the oracle of these tests and could not be run ({e}); install it: apt-get install tshark")
    });
    assert!(out.status.success(), "tshark {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split('\t').map(str::to_owned).collect()).collect()
}

/// Parses CSV text (header row first) with the csv crate.
fn parse_csv(text: &str, sep: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new().delimiter(sep).has_headers(true).from_reader(text.as_bytes());
    let header = r.headers().expect("header row").iter().map(str::to_owned).collect();
    let rows = r.records().map(|rec| rec.expect("valid CSV row").iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

fn hex_int(s: &str) -> i64 {
    i64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// tshark prints 9 fraction digits; netcap prints the capture's precision.
fn tshark_epoch(t: &str, digits: usize) -> String {
    let (secs, frac) = t.split_once('.').expect("seconds.fraction");
    format!("{secs}.{}", &frac[..digits])
}

/// `(type-len-hex)...` of netcap's TCP/IPv6 options back to wire bytes
/// (kinds 0 and 1 are single bytes).
fn options_to_bytes(cell: &str) -> String {
    let inner = cell.strip_prefix('(').and_then(|c| c.strip_suffix(')')).expect("list in parentheses");
    let mut out = String::new();
    if inner.is_empty() {
        return out;
    }
    for opt in inner.split(")-(") {
        let parts: Vec<&str> = opt.trim_matches(|c| c == '(' || c == ')').split('-').collect();
        assert_eq!(parts.len(), 3, "option {opt}");
        let kind: u8 = parts[0].parse().expect("kind");
        out.push_str(&format!("{kind:02x}"));
        if kind > 1 {
            let len: u8 = parts[1].parse().expect("len");
            out.push_str(&format!("{len:02x}{}", parts[2]));
        }
    }
    out
}

#[test]
fn csv_of_tcp_matches_tshark_field_by_field() {
    let dir = capture("csv-tcp", ESPN, &[]);
    let text = run_stdout(&["-r", s(&dir.join("TCP.ncap.gz"))]);
    let (h, rows) = parse_csv(&text, b',');
    let names: Vec<String> =
        netcap::schema::message("TCP").expect("TCP").fields().map(|f| f.name().to_owned()).collect();
    assert_eq!(h, names, "the header row is the schema's field names in order");
    let ts = tshark(
        ESPN,
        "tcp",
        &[
            "frame.time_epoch",
            "tcp.srcport",
            "tcp.dstport",
            "tcp.seq_raw",
            "tcp.ack_raw",
            "tcp.hdr_len",
            "tcp.flags",
            "tcp.window_size_value",
            "tcp.checksum",
            "tcp.urgent_pointer",
            "tcp.options",
            "tcp.len",
        ],
        &[],
    );
    assert_eq!(rows.len(), 928, "one row per TCP packet");
    assert_eq!(rows.len(), ts.len());
    let flag_names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"];
    for (i, (row, t)) in rows.iter().zip(&ts).enumerate() {
        let at = |name: &str| row[col(&h, name)].as_str();
        assert_eq!(at("Timestamp"), tshark_epoch(&t[0], 6), "row {i}");
        assert_eq!(at("SrcPort"), t[1], "row {i}");
        assert_eq!(at("DstPort"), t[2], "row {i}");
        assert_eq!(at("SeqNum"), t[3], "row {i}");
        assert_eq!(at("AckNum"), t[4], "row {i}");
        assert_eq!(at("DataOffset").parse::<i64>().expect("int") * 4, t[5].parse::<i64>().expect("int"), "row {i}");
        let flags = hex_int(&t[6]);
        for (bit, name) in flag_names.iter().enumerate() {
            let want = if flags & (1 << bit) != 0 { "true" } else { "false" };
            assert_eq!(at(name), want, "row {i} flag {name}");
        }
        assert_eq!(at("Window"), t[7], "row {i}");
        assert_eq!(at("Checksum").parse::<i64>().expect("int"), hex_int(&t[8]), "row {i}");
        assert_eq!(at("Urgent"), t[9], "row {i}");
        // Options and padding together are the option bytes of the header.
        let wire = format!("{}{}", options_to_bytes(at("Options")), at("Padding"));
        assert_eq!(wire, t[10].replace(':', ""), "row {i} options {}", at("Options"));
        assert_eq!(at("PayloadSize"), t[11], "row {i}");
        assert_eq!(at("Payload"), "", "no payload without -payload");
        let entropy: f64 = at("PayloadEntropy").parse().expect("float");
        assert!((0.0..=8.0).contains(&entropy), "row {i}");
    }
}

#[test]
fn tsv_and_select_of_ipv4_match_tshark() {
    let dir = capture("tsv-ipv4", ESPN, &[]);
    let select = "SrcIP,DstIP,TTL,Id,Protocol,Length,Checksum,Flags,FragOffset,TOS,IHL,Version";
    let text = run_stdout(&["-r", s(&dir.join("IPv4.ncap.gz")), "-tsv", "-select", select]);
    assert!(!text.contains(','), "TSV has no commas here");
    let (h, rows) = parse_csv(&text, b'\t');
    assert_eq!(h.join(","), select, "columns in the order given");
    let ts = tshark(
        ESPN,
        "ip",
        &[
            "ip.src",
            "ip.dst",
            "ip.ttl",
            "ip.id",
            "ip.proto",
            "ip.len",
            "ip.checksum",
            "ip.flags",
            "ip.frag_offset",
            "ip.dsfield",
            "ip.hdr_len",
            "ip.version",
        ],
        &[],
    );
    assert_eq!(rows.len(), 956);
    assert_eq!(rows.len(), ts.len());
    for (i, (row, t)) in rows.iter().zip(&ts).enumerate() {
        assert_eq!(row[0], t[0], "row {i}");
        assert_eq!(row[1], t[1], "row {i}");
        assert_eq!(row[2], t[2], "row {i}");
        assert_eq!(row[3].parse::<i64>().expect("int"), hex_int(&t[3]), "row {i}");
        assert_eq!(row[4], t[4], "row {i}");
        assert_eq!(row[5], t[5], "row {i}");
        assert_eq!(row[6].parse::<i64>().expect("int"), hex_int(&t[6]), "row {i}");
        assert_eq!(row[7].parse::<i64>().expect("int"), hex_int(&t[7]), "row {i}");
        assert_eq!(row[8], t[8], "row {i}");
        assert_eq!(row[9].parse::<i64>().expect("int"), hex_int(&t[9]), "row {i}");
        assert_eq!(row[10].parse::<i64>().expect("int") * 4, t[10].parse::<i64>().expect("int"), "row {i}");
        assert_eq!(row[11], t[11], "row {i}");
    }
    // "\t" spelled out is the same as -tsv.
    assert_eq!(run_stdout(&["read", s(&dir.join("IPv4.ncap.gz")), "-sep", "\\t", "-select", select]), text);
}

#[test]
fn sep_semicolon_and_ethernet_match_tshark() {
    let dir = capture("sep-eth", ESPN, &[]);
    let text = run_stdout(&["read", s(&dir.join("Ethernet.ncap.gz")), "-sep", ";"]);
    assert!(text.lines().next().expect("header").starts_with("Timestamp;SrcMAC;DstMAC;EthernetType;"));
    let (h, rows) = parse_csv(&text, b';');
    let ts = tshark(ESPN, "eth", &["frame.time_epoch", "eth.src", "eth.dst", "eth.type"], &[]);
    assert_eq!(rows.len(), ts.len());
    for (i, (row, t)) in rows.iter().zip(&ts).enumerate() {
        assert_eq!(row[col(&h, "Timestamp")], tshark_epoch(&t[0], 6), "row {i}");
        assert_eq!(row[col(&h, "SrcMAC")], t[1], "row {i}");
        assert_eq!(row[col(&h, "DstMAC")], t[2], "row {i}");
        assert_eq!(row[col(&h, "EthernetType")].parse::<i64>().expect("int"), hex_int(&t[3]), "row {i}");
    }
}

#[test]
fn json_lines_of_udp_are_typed_and_match_tshark() {
    let dir = capture("json-udp", ESPN, &[]);
    let text = run_stdout(&["-r", s(&dir.join("UDP.ncap.gz")), "-json", "-ts", "seconds"]);
    let ts = tshark(
        ESPN,
        "udp",
        &["frame.time_epoch", "udp.srcport", "udp.dstport", "udp.length", "udp.checksum", "frame.number"],
        &[],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 28);
    assert_eq!(lines.len(), ts.len());
    for (i, (line, t)) in lines.iter().zip(&ts).enumerate() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {i} is not JSON: {e}\n{line}"));
        let keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 9, "every field of UDP, FrameNumber included");
        assert_eq!(v["FrameNumber"].as_u64(), Some(t[5].parse().expect("int")), "line {i}");
        // With -ts seconds, the number's text is exactly the CSV's seconds.microseconds.
        let raw_ts = line.split("\"Timestamp\":").nth(1).and_then(|r| r.split(',').next()).expect("Timestamp");
        assert_eq!(raw_ts, tshark_epoch(&t[0], 6), "line {i}");
        assert!(v["Timestamp"].is_f64(), "a number");
        assert_eq!(v["SrcPort"].as_i64(), Some(t[1].parse().expect("int")), "line {i}");
        assert_eq!(v["DstPort"].as_i64(), Some(t[2].parse().expect("int")), "line {i}");
        let length: i64 = t[3].parse().expect("int");
        assert_eq!(v["Length"].as_i64(), Some(length), "line {i}");
        assert_eq!(v["Checksum"].as_i64(), Some(hex_int(&t[4])), "line {i}");
        assert_eq!(v["PayloadSize"].as_i64(), Some(length - 8), "line {i}");
        assert!(v["PayloadEntropy"].is_f64() || v["PayloadEntropy"].is_i64());
        assert_eq!(v["Payload"].as_str(), Some(""), "bytes are a hex string");
    }
    // -select applies to JSON too, and -utc turns timestamps into strings.
    let sel = run_stdout(&["-r", s(&dir.join("UDP.ncap.gz")), "-json", "-select", "DstPort,Timestamp", "-utc"]);
    let first: serde_json::Value = serde_json::from_str(sel.lines().next().expect("line")).expect("JSON");
    assert_eq!(first.as_object().expect("object").keys().collect::<Vec<_>>(), ["DstPort", "Timestamp"]);
    assert_eq!(first["Timestamp"].as_str(), Some("2010-04-07T17:29:29.782934Z"));
    // Issue 16: JSON's default is that RFC 3339 string (a number in seconds
    // is rounded to ~µs by JSON readers); -ts ns is an exact integer.
    let plain = run_stdout(&["-r", s(&dir.join("UDP.ncap.gz")), "-json"]);
    let first: serde_json::Value = serde_json::from_str(plain.lines().next().expect("line")).expect("JSON");
    assert_eq!(first["Timestamp"].as_str(), Some("2010-04-07T17:29:29.782934Z"));
    let ns = run_stdout(&["-r", s(&dir.join("UDP.ncap.gz")), "-json", "-ts", "ns"]);
    for (line, t) in ns.lines().zip(&ts) {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(
            v["Timestamp"].as_i64(),
            Some(tshark_epoch(&t[0], 6).replace('.', "").parse::<i64>().expect("int") * 1000)
        );
    }
}

#[test]
fn nanosecond_timestamps_and_utc_match_tshark() {
    let dir = capture("nano", NANO, &[]);
    let tcp = dir.join("TCP.ncap.gz");
    let (_, rows) = parse_csv(&run_stdout(&["-r", s(&tcp), "-select", "Timestamp,SeqNum"]), b',');
    let ts = tshark(NANO, "tcp", &["frame.time_epoch", "tcp.seq_raw"], &[]);
    assert_eq!(rows.len(), 3);
    for (row, t) in rows.iter().zip(&ts) {
        assert_eq!(row[0], t[0], "all nine digits of a nanosecond capture");
        assert_eq!(row[1], t[1]);
    }
    assert_eq!(rows[0][0], "1418145369.924505488");
    // -utc against tshark's own UTC rendering of the same packets.
    let utc = tshark(NANO, "tcp", &["_ws.col.Time"], &["-t", "ud"]);
    let (_, urows) = parse_csv(&run_stdout(&["-r", s(&tcp), "-select", "Timestamp", "-utc"]), b',');
    for (row, t) in urows.iter().zip(&utc) {
        assert_eq!(row[0], format!("{}Z", t[0].replace(' ', "T")));
    }
    assert_eq!(urows[0][0], "2014-12-09T17:16:09.924505488Z");
    // A microsecond capture prints six digits.
    let dir = capture("micro-utc", ESPN, &[]);
    let (_, mrows) = parse_csv(&run_stdout(&["-r", s(&dir.join("UDP.ncap.gz")), "-utc", "-select", "Timestamp"]), b',');
    let mutc = tshark(ESPN, "udp", &["_ws.col.Time"], &["-t", "ud"]);
    for (row, t) in mrows.iter().zip(&mutc) {
        assert_eq!(row[0], format!("{}Z", t[0].replace(' ', "T")));
    }
    // -utc=false is the default spelling.
    assert_eq!(run_stdout(&["-r", s(&tcp), "-utc=false"]), run_stdout(&["-r", s(&tcp)]));
    // Issue 16: -ts names the three forms; -utc is -ts rfc3339.
    let form = |ts: &str| parse_csv(&run_stdout(&["-r", s(&tcp), "-select", "Timestamp", "-ts", ts]), b',').1;
    assert_eq!(form("seconds"), rows.iter().map(|r| vec![r[0].clone()]).collect::<Vec<_>>());
    assert_eq!(form("rfc3339"), urows);
    for (row, t) in form("ns").iter().zip(&ts) {
        assert_eq!(row[0], t[0].replace('.', ""), "integer nanoseconds");
    }
    let tsv = run_stdout(&["-r", s(&tcp), "-select", "Timestamp", "-ts", "ns", "-tsv"]);
    assert_eq!(tsv.lines().nth(1), Some("1418145369924505488"));
    let table = run_stdout(&["-r", s(&tcp), "-select", "Timestamp", "-ts", "ns", "-table"]);
    assert!(table.contains("1418145369924505488"), "{table}");
    assert_eq!(run_stdout(&["-r", s(&tcp), "-utc", "-ts", "rfc3339"]), run_stdout(&["-r", s(&tcp), "-utc"]));
    let clash = netcap(&["-r", s(&tcp), "-utc", "-ts", "ns"]);
    assert_eq!(clash.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&clash.stderr).contains("-utc means -ts rfc3339"));
    assert_eq!(netcap(&["-r", s(&tcp), "-ts", "ms"]).status.code(), Some(2));
}

#[test]
fn nested_messages_lists_and_their_symbols() {
    let dir = capture("nested", ICMPV6, &[]);
    let ipv6 = dir.join("IPv6.ncap.gz");
    let ts = tshark(ICMPV6, "ipv6", &["frame.time_epoch", "ipv6.src", "ipv6.opt.type", "ipv6.opt.length"], &[]);
    let (h, rows) = parse_csv(&run_stdout(&["-r", s(&ipv6)]), b',');
    assert_eq!(rows.len(), ts.len());
    for (row, t) in rows.iter().zip(&ts) {
        assert_eq!(row[col(&h, "SrcIP")], t[1]);
        let hbh = &row[col(&h, "HopByHop")];
        if t[2].is_empty() {
            assert_eq!(hbh, "", "no Hop-by-Hop header: an absent message prints nothing");
            continue;
        }
        // (Timestamp-(options)) with each option (type-length-data).
        let types: Vec<i64> = t[2].split('|').map(hex_int).collect();
        let lens: Vec<&str> = t[3].split('|').collect();
        let opts: Vec<String> = types
            .iter()
            .zip(&lens)
            .map(|(ty, len)| {
                let data = "00".repeat(len.parse().expect("len"));
                format!("({ty}-{len}-{data})")
            })
            .collect();
        assert_eq!(hbh, &format!("({}-({}))", tshark_epoch(&t[0], 6), opts.join("-")));
    }
    assert_eq!(rows[1][col(&h, "HopByHop")], "(1358571247.748985-((5-2-0000)-(1-0-)))");

    // -begin, -end and -struct-sep change exactly those symbols.
    let (h2, rows2) = parse_csv(&run_stdout(&["-r", s(&ipv6), "-begin", "[", "-end", "]", "-struct-sep", "|"]), b',');
    assert_eq!(h2, h);
    assert_eq!(rows2[1][col(&h, "HopByHop")], "[1358571247.748985|[[5|2|0000]|[1|0|]]]");
    for (a, b) in rows.iter().zip(&rows2) {
        assert_eq!(a[..11], b[..11], "scalar columns unchanged");
    }
    // A struct separator equal to the CSV separator gets the cell quoted
    // (RFC 4180), so the row still parses and passes -check.
    let commas = run_stdout(&["-r", s(&ipv6), "-struct-sep", ","]);
    assert!(commas.contains("\"(1358571247.748985,((5,2,0000),(1,0,)))\""), "{commas}");
    let (_, rows3) = parse_csv(&commas, b',');
    assert_eq!(rows3[1][col(&h, "HopByHop")], "(1358571247.748985,((5,2,0000),(1,0,)))");
    let mut child =
        Command::new(NETCAP).args(["-check"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("spawn");
    child.stdin.take().expect("stdin").write_all(commas.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    // A repeated message (TCP options) as a list of sub-structures.
    let dir = capture("nested-tcp", NANO, &[]);
    let (_, t) = parse_csv(&run_stdout(&["-r", s(&dir.join("TCP.ncap.gz")), "-select", "Options"]), b',');
    assert_eq!(t[0][0], "((2-4-0550)-(4-2-)-(8-10-436a036200000000)-(1-1-)-(3-3-07))");
    let ts = tshark(NANO, "tcp", &["tcp.options"], &[]);
    assert_eq!(options_to_bytes(&t[0][0]), ts[0][0].replace(':', ""));
}

#[test]
fn table_prints_a_table_per_100_records() {
    let dir = capture("table", ESPN, &[]);
    let text =
        run_stdout(&["-r", s(&dir.join("TCP.ncap.gz")), "-table", "-select", "Timestamp,SrcPort,DstPort,SeqNum"]);
    let headers = text.lines().filter(|l| l.contains("Timestamp") && l.contains("SeqNum")).count();
    assert_eq!(headers, 10, "928 records: nine full tables and one of 28");
    let data: Vec<Vec<String>> = text
        .lines()
        .filter(|l| l.starts_with('│') && !l.contains("Timestamp"))
        .map(|l| l.trim_matches('│').split('┆').map(|c| c.trim().to_owned()).collect())
        .collect();
    let ts = tshark(ESPN, "tcp", &["frame.time_epoch", "tcp.srcport", "tcp.dstport", "tcp.seq_raw"], &[]);
    assert_eq!(data.len(), ts.len());
    for (row, t) in data.iter().zip(&ts) {
        assert_eq!(row, &vec![tshark_epoch(&t[0], 6), t[1].clone(), t[2].clone(), t[3].clone()]);
    }
}

#[test]
fn struc_prints_each_record_as_a_block() {
    let dir = capture("struc", ICMPV6, &[]);
    let text = run_stdout(&["-r", s(&dir.join("IPv6.ncap.gz")), "-struc"]);
    let ts = tshark(ICMPV6, "ipv6", &["ipv6.src", "ipv6.hlim"], &[]);
    let blocks: Vec<&str> = text.split("IPv6 {\n").skip(1).collect();
    assert_eq!(blocks.len(), ts.len());
    for (b, t) in blocks.iter().zip(&ts) {
        assert!(b.contains(&format!("\n  SrcIP: \"{}\"\n", t[0])), "{b}");
        assert!(b.contains(&format!("\n  HopLimit: {}\n", t[1])), "{b}");
    }
    let second = blocks[1];
    assert!(
        second.contains("  HopByHop {\n    Timestamp: 1358571247.748985\n    Options {\n      OptionType: 5\n      OptionLength: 2\n      OptionData: 0000\n    }\n    Options {\n      OptionType: 1\n"),
        "{second}"
    );
    assert!(!blocks[0].contains("HopByHop"), "an absent message is left out");
}

#[test]
fn header_shows_type_version_source_and_payload_flag() {
    let dir = capture("header", ESPN, &[]);
    let text = run_stdout(&["-r", s(&dir.join("TCP.ncap.gz")), "-header"]);
    let row = |name: &str| {
        text.lines()
            .find(|l| {
                l.split('┆').next().is_some_and(|c| c.trim_matches(|c: char| c == '│' || c.is_whitespace()) == name)
            })
            .map(|l| {
                l.split('┆').nth(1).expect("value").trim_matches(|c: char| c == '│' || c.is_whitespace()).to_owned()
            })
            .unwrap_or_else(|| panic!("no {name} row in\n{text}"))
    };
    assert_eq!(row("Type"), "TCP");
    assert_eq!(row("Version"), netcap::VERSION);
    assert!(row("Source").ends_with("http_espn.pcapng"));
    assert_eq!(row("ContainsPayloads"), "false");
    let created = row("Created");
    assert_eq!(created.len(), "2026-01-01T00:00:00.000000Z".len(), "{created}");
    assert!(created.ends_with('Z') && created.as_bytes()[10] == b'T', "{created}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos() as i64;
    let header = RecordReader::open(&dir.join("TCP.ncap.gz")).expect("open").header().clone();
    assert!((now - header.created).abs() < 3600 * 1_000_000_000, "created within the hour");
    assert_eq!(created, netcap::timefmt::utc_string(header.created, 6));

    let dir = capture("header-payload", ESPN, &["-payload"]);
    let text = run_stdout(&["read", s(&dir.join("UDP.ncap.gz")), "--header"]);
    assert!(text.lines().any(|l| l.contains("ContainsPayloads") && l.contains("true")), "{text}");
}

#[test]
fn fields_lists_the_schema_columns() {
    let dir = capture("fields", ESPN, &[]);
    for ty in ["TCP", "UDP", "IPv4", "Ethernet"] {
        let names: Vec<String> =
            netcap::schema::message(ty).expect("type").fields().map(|f| f.name().to_owned()).collect();
        let file = dir.join(format!("{ty}.ncap.gz"));
        assert_eq!(run_stdout(&["-fields", "-r", s(&file)]), format!("{}\n", names.join(",")));
        assert_eq!(run_stdout(&["read", s(&file), "--fields", "-tsv"]), format!("{}\n", names.join("\t")));
        let csv = run_stdout(&["-r", s(&file)]);
        assert_eq!(csv.lines().next(), Some(names.join(",").as_str()), "the same as the CSV header");
    }
}

#[test]
fn unknown_select_name_is_a_usage_error_listing_the_valid_ones() {
    let dir = capture("select-bad", ESPN, &[]);
    let out = netcap(&["-r", s(&dir.join("UDP.ncap.gz")), "-select", "SrcPort,Nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"Nope\"")
            && err.contains("Timestamp,SrcPort,DstPort,Length,Checksum,PayloadEntropy,PayloadSize,Payload"),
        "{err}"
    );
}

#[test]
fn check_passes_netcap_output_and_reports_broken_rows() {
    let dir = capture("check", ESPN, &[]);
    let tcp = dir.join("TCP.ncap.gz");
    // Netcap's own output, in-process and piped through stdin.
    let direct = run_stdout(&["-r", s(&tcp), "-check"]);
    assert_eq!(direct.trim(), "ok: 928 rows, each with 23 separators like the header");
    let csv = run_stdout(&["-r", s(&tcp)]);
    let mut child =
        Command::new(NETCAP).arg("-check").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("spawn");
    child.stdin.take().expect("stdin").write_all(csv.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), direct);

    // A CSV file with another separator.
    let semi = dir.join("udp.csv");
    std::fs::write(&semi, run_stdout(&["read", s(&dir.join("UDP.ncap.gz")), "-sep", ";"])).expect("write");
    assert_eq!(
        run_stdout(&["-check", s(&semi), "-sep", ";"]).trim(),
        "ok: 28 rows, each with 8 separators like the header"
    );

    // Two damaged rows: one separator lost, one added (outside quotes),
    // and a separator inside a quoted field that must not count.
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    lines[3] = lines[3].replacen(',', "", 1);
    lines[10] = format!("{},extra", lines[10]);
    assert!(lines[20].contains(",0,"), "{}", lines[20]);
    lines[20] = lines[20].replacen(",0,", ",\"0,5\",", 1);
    let broken = dir.join("broken.csv");
    std::fs::write(&broken, lines.join("\n") + "\n").expect("write");
    let out = netcap(&["-check", s(&broken)]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    let report_lines: Vec<&str> = report.lines().collect();
    assert_eq!(report_lines.len(), 3, "{report}");
    assert!(report_lines[0].starts_with("line 4: 22 separators, expected 23: "), "{report}");
    assert!(report_lines[1].starts_with("line 11: 24 separators, expected 23: "), "{report}");
    assert_eq!(report_lines[2], "2 of 928 rows have a wrong number of separators (the header has 23)");
    assert!(!report.contains('\u{1b}'), "no colour when stdout is not a terminal");
}

#[test]
fn version_flag() {
    for args in [&["-version"][..], &["--version"], &["read", "-version"]] {
        let out = run_stdout(args);
        assert!(out.contains(netcap::VERSION), "{args:?}: {out}");
    }
}

/// The CSV of a good file, and `path`'s bytes.
fn good_udp(name: &str) -> (PathBuf, String) {
    let dir = capture(name, ESPN, &["-comp=false"]);
    let path = dir.join("UDP.ncap");
    let csv = run_stdout(&["read", s(&path)]);
    (path, csv)
}

/// Runs `read` on a damaged file: exit 1, stdout a prefix of the good
/// output ending at a record boundary, stderr naming the file. Returns
/// (records printed, stderr).
fn read_bad(path: &Path, good_csv: &str) -> (usize, String) {
    let out = netcap(&["read", s(path)]);
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(good_csv.starts_with(&stdout), "complete records only:\n{stdout}");
    assert!(stdout.is_empty() || stdout.ends_with('\n'));
    assert!(stderr.contains(s(path)), "names the file: {stderr}");
    (stdout.lines().count().saturating_sub(1), stderr)
}

/// Byte offset (uncompressed) where each record starts, header first.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offs = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        offs.push(pos);
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let b = bytes[pos];
            pos += 1;
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        pos += len;
    }
    offs
}

#[test]
fn damaged_files_print_every_complete_record_then_fail() {
    let (path, good) = good_udp("bad");
    let bytes = std::fs::read(&path).expect("read");
    let offs = record_offsets(&bytes);
    assert_eq!(offs.len(), 29, "header and 28 records");
    let dir = path.parent().expect("dir").to_owned();

    // A record cut short.
    let cut = dir.join("cut.ncap");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).expect("write");
    let (n, err) = read_bad(&cut, &good);
    assert_eq!(n, 27);
    assert!(
        err.contains(&format!("record 28 at byte offset {}", offs[28])) && err.contains("truncated record"),
        "{err}"
    );

    // A length prefix claiming 4 GiB.
    let huge = dir.join("huge.ncap");
    std::fs::write(&huge, [&bytes[..], &[0xff, 0xff, 0xff, 0xff, 0x0f]].concat()).expect("write");
    let (n, err) = read_bad(&huge, &good);
    assert_eq!(n, 28);
    assert!(
        err.contains(&format!("record 29 at byte offset {}", bytes.len())) && err.contains("exceeds the limit"),
        "{err}"
    );

    // Garbage after the last record: a length, then bytes that are not protobuf.
    let garbage = dir.join("garbage.ncap");
    std::fs::write(&garbage, [&bytes[..], &[0x04, 0xff, 0xff, 0xff, 0xff]].concat()).expect("write");
    let (n, err) = read_bad(&garbage, &good);
    assert_eq!(n, 28);
    assert!(err.contains(&format!("record 29 at byte offset {}", bytes.len())), "{err}");

    // A record whose field has the wrong wire type (Timestamp as a string).
    let wrong = dir.join("wrong.ncap");
    std::fs::write(&wrong, [&bytes[..offs[5]], &[0x02, 0x0a, 0x00], &bytes[offs[5]..]].concat()).expect("write");
    let (n, err) = read_bad(&wrong, &good);
    assert_eq!(n, 4);
    assert!(err.contains(&format!("record 5 at byte offset {}", offs[5])) && err.contains("UDP.Timestamp"), "{err}");

    // A gzip stream cut in the middle.
    let gz_dir = capture("bad-gz", ESPN, &[]);
    let gz = std::fs::read(gz_dir.join("UDP.ncap.gz")).expect("read");
    let cut_gz = dir.join("cut.ncap.gz");
    std::fs::write(&cut_gz, &gz[..gz.len() / 2]).expect("write");
    let (n, err) = read_bad(&cut_gz, &good);
    assert!(n < 28, "{n}");
    assert!(err.contains(&format!("record {} at byte offset {}", n + 1, offs[n + 1])), "{err}");

    // zstd (issue 15): two frames, header and records 1-9 in the first
    // (which read as one stream); the second cut in the middle, then with
    // its frame header damaged.
    let frame = |b: &[u8]| zstd::stream::encode_all(b, 1).expect("zstd");
    let (first, second) = (frame(&bytes[..offs[10]]), frame(&bytes[offs[10]..]));
    let whole = dir.join("two-frames.ncap.zst");
    std::fs::write(&whole, [&first[..], &second[..]].concat()).expect("write");
    assert_eq!(run_stdout(&["read", s(&whole)]), good, "frames read as one stream");
    // The cuts fall before the end of the frame's first record (20 bytes:
    // a frame header, a block header and a few record bytes; every record
    // here is longer). zstd stores a block that does not compress as raw
    // bytes and streams those out as they arrive, and whether a block is
    // raw depends on the bytes (the header holds the capture's path), so a
    // cut in the middle of a frame may or may not complete records.
    let stub = 20;
    assert!(offs[11] - offs[10] > stub && offs[1] > stub);
    let cut_zst = dir.join("cut.ncap.zst");
    let cut_at = first.len() + stub;
    std::fs::write(&cut_zst, [&first[..], &second[..stub]].concat()).expect("write");
    let (n, err) = read_bad(&cut_zst, &good);
    assert_eq!(n, 9, "{err}");
    assert!(err.contains(&format!("record 10 at byte offset {}", offs[10])), "{err}");
    assert!(err.contains(&format!("compressed input read up to byte {cut_at}")), "{err}");
    let mut damaged = [&first[..], &second[..]].concat();
    damaged[first.len()] ^= 0xff; // the second frame's magic
    let bad_zst = dir.join("damaged.ncap.zst");
    std::fs::write(&bad_zst, &damaged).expect("write");
    let (n, err) = read_bad(&bad_zst, &good);
    assert_eq!(n, 9, "{err}");
    assert!(err.contains(&format!("record 10 at byte offset {}", offs[10])), "{err}");
    // A zstd file cut inside its only frame, before any record.
    let (n, err) = read_bad(
        &{
            let p = dir.join("stub.ncap.zst");
            std::fs::write(&p, &first[..stub]).expect("write");
            p
        },
        &good,
    );
    assert_eq!(n, 0);
    assert!(err.contains("record 0 at byte offset 0") && err.contains("compressed input read up to byte"), "{err}");

    // Random bytes, and a file of another kind.
    let random = dir.join("random.ncap.gz");
    std::fs::write(&random, (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<_>>())
        .expect("write");
    let (n, err) = read_bad(&random, &good);
    assert_eq!(n, 0);
    assert!(err.contains("record 0"), "{err}");
    let pcap = pcap(NANO);
    let out = netcap(&["read", s(&pcap)]);
    assert_eq!(out.status.code(), Some(2), "a capture is a usage error: it wants -r");
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a packet capture (pcap), not a record file"));
    // With -r, a file named .ncap.gz that is not a capture is reported as a record file.
    let out = netcap(&["-r", s(&random)]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn files_are_recognised_by_content_and_spellings_agree() {
    let dir = capture("content", ESPN, &[]);
    let gz = dir.join("TCP.ncap.gz");
    let renamed = dir.join("records.bin");
    std::fs::copy(&gz, &renamed).expect("copy");
    let a = run_stdout(&["-r", s(&gz), "-select", "SrcPort,DstPort", "-tsv"]);
    assert_eq!(run_stdout(&["-r", s(&renamed), "-select", "SrcPort,DstPort", "-tsv"]), a);
    assert_eq!(run_stdout(&["read", "--read", s(&gz), "--select", "SrcPort,DstPort", "--tsv"]), a);
    assert_eq!(run_stdout(&["read", s(&gz), "--select=SrcPort,DstPort", "--tsv=true"]), a);
    // Uncompressed files read the same.
    let plain = capture("content-plain", ESPN, &["-comp=false"]);
    assert_eq!(run_stdout(&["-r", s(&plain.join("TCP.ncap"))]), run_stdout(&["-r", s(&gz)]));
}

#[test]
fn usage_errors_exit_2() {
    let dir = capture("usage", ESPN, &[]);
    let udp = dir.join("UDP.ncap.gz");
    for args in [
        vec!["read", s(&udp), "-json", "-table"],
        vec!["read", s(&udp), "-sep", "ab"],
        vec!["read", s(&udp), "-sep", "\""],
        vec!["read"],
        vec!["read", "/nonexistent/UDP.ncap.gz"],
        vec!["read", s(&udp), "-bogus"],
    ] {
        let out = netcap(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Issue 16: `read` of a capture printed a protobuf length error, and of a
/// directory an OS error under a record number; both now say what the
/// input is and what to do (exit 2).
#[test]
fn read_says_what_a_capture_or_a_directory_is() {
    let sample = repo().join("testdata/sample.pcap");
    let gz = temp_dir("read-capture").join("sample.pcap.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(&sample).expect("sample")).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let pcapng = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps/chrissanders-packets/http_espn.pcapng");
    for (path, format) in [(sample.as_path(), "pcap"), (gz.as_path(), "pcap"), (pcapng.as_path(), "pcapng")] {
        let out = netcap(&["read", s(path)]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("is a packet capture ({format}), not a record file")), "{err}");
        assert!(err.contains(&format!("netcap -r {} -out DIR", path.display())), "{err}");
    }
    // zstd-compressed captures are recognised too.
    let zst = temp_dir("read-capture-zst").join("sample.pcap.zst");
    std::fs::write(
        &zst,
        zstd::stream::encode_all(std::fs::read(&sample).expect("sample").as_slice(), 3).expect("zstd"),
    )
    .expect("write");
    let out = netcap(&["read", s(&zst)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is a packet capture (pcap), not a record file"), "{err}");

    // A directory without record files says so...
    let dir = repo().join("testdata");
    let out = netcap(&["read", s(&dir)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is a directory and holds no record files (.ncap, .ncap.gz, .ncap.zst)"), "{err}");
    // ...and one with record files (zstd ones too) names one of them.
    let out_dir = capture("read-dir", NANO, &["-comp=zstd"]);
    let out = netcap(&["read", s(&out_dir)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let first = out_dir.join("Connection.ncap.zst");
    assert!(err.contains(&format!("is a directory: read takes one record file, e.g. {}", first.display())), "{err}");
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    let dir = capture("pipe", ESPN, &[]);
    let mut child = Command::new(NETCAP)
        .args(["-r", s(&dir.join("TCP.ncap.gz"))])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The wire decoder against prost-reflect's DynamicMessage (an
/// independent protobuf implementation) on every record type the shared
/// mixed capture produces: JSON values must be the decoded values.
#[test]
fn json_agrees_with_prost_reflect_on_every_record_type() {
    use prost_reflect::{DynamicMessage, ReflectMessage, Value};
    let dir = capture("dynamic", "pcapplusplus/Tests/ExamplesTest/pcap_examples/many-protocols.pcap", &[]);
    let dir2 = capture("dynamic-icmpv6", ICMPV6, &[]);
    let dir3 = capture("dynamic-nd", "chrissanders-packets/icmpv6_neighbor_solicitation.pcapng", &[]);
    let mut files: Vec<PathBuf> = Vec::new();
    for d in [&dir, &dir2, &dir3] {
        for e in std::fs::read_dir(d).expect("dir") {
            let p = e.expect("entry").path();
            if p.to_string_lossy().ends_with(".ncap.gz") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 12, "{files:?}");
    fn same(v: &Value, j: &serde_json::Value, ts: bool, digits: u32, what: &str) {
        match v {
            // Printed with -ts rfc3339 (JSON's default): the exact text.
            Value::I64(n) if ts => {
                let text = netcap::timefmt::utc_string(*n, digits);
                assert_eq!(j.as_str(), Some(text.as_str()), "{what}");
            }
            Value::I32(n) => assert_eq!(j.as_i64(), Some(i64::from(*n)), "{what}"),
            Value::I64(n) => assert_eq!(j.as_i64(), Some(*n), "{what}"),
            Value::U32(n) => assert_eq!(j.as_u64(), Some(u64::from(*n)), "{what}"),
            Value::U64(n) => assert_eq!(j.as_u64(), Some(*n), "{what}"),
            Value::F64(f) => assert_eq!(j.as_f64(), Some(*f), "{what}"),
            Value::F32(f) => assert_eq!(j.as_f64(), Some(f64::from(*f)), "{what}"),
            Value::Bool(b) => assert_eq!(j.as_bool(), Some(*b), "{what}"),
            Value::String(st) => assert_eq!(j.as_str(), Some(st.as_str()), "{what}"),
            Value::Bytes(b) => {
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                assert_eq!(j.as_str(), Some(hex.as_str()), "{what}");
            }
            Value::EnumNumber(n) => assert_eq!(j.as_i64(), Some(i64::from(*n)), "{what}"),
            Value::Message(m) => message(m, j, digits, what, true),
            Value::List(items) => {
                let arr = j.as_array().unwrap_or_else(|| panic!("{what}: not an array"));
                assert_eq!(arr.len(), items.len(), "{what}");
                for (k, (a, b)) in items.iter().zip(arr).enumerate() {
                    same(a, b, ts, digits, &format!("{what}[{k}]"));
                }
            }
            Value::Map(_) => panic!("{what}: no maps in the schema"),
        }
    }
    fn message(m: &DynamicMessage, j: &serde_json::Value, digits: u32, what: &str, nested: bool) {
        let obj = j.as_object().unwrap_or_else(|| panic!("{what}: not an object"));
        // A record type nested in another (IPv6's HopByHop) leaves out the
        // packet key, which belongs to the record, not to its parts.
        let printed = |f: &prost_reflect::FieldDescriptor| !(nested && f.name() == "FrameNumber" && f.number() == 100);
        assert_eq!(obj.len(), m.descriptor().fields().filter(|f| printed(f)).count(), "{what}");
        for f in m.descriptor().fields().filter(|f| printed(f)) {
            let jv = &obj[f.name()];
            let is_msg = matches!(f.kind(), prost_reflect::Kind::Message(_)) && !f.is_list();
            if is_msg && !m.has_field(&f) {
                assert!(jv.is_null(), "{what}.{}: absent message is null", f.name());
                continue;
            }
            let ts = f.name().starts_with("Timestamp") && f.kind() == prost_reflect::Kind::Int64;
            same(&m.get_field(&f), jv, ts, digits, &format!("{what}.{}", f.name()));
        }
    }
    let mut checked = 0;
    for file in &files {
        let mut reader = RecordReader::open(file).expect("open");
        let desc = netcap::schema::message(&reader.header().r#type).expect("type");
        let digits = if reader.header().timestamp_digits == 9 { 9 } else { 6 };
        let json = run_stdout(&["-r", s(file), "-json"]);
        let mut lines = json.lines();
        let mut buf = Vec::new();
        while reader.next_raw(&mut buf).expect("record") {
            let m = DynamicMessage::decode(desc.clone(), buf.as_slice()).expect("prost-reflect decodes");
            let line = lines.next().expect("a JSON line per record");
            let j: serde_json::Value = serde_json::from_str(line).expect("JSON");
            message(&m, &j, digits, &format!("{}", file.display()), false);
            checked += 1;
        }
        assert!(lines.next().is_none());
    }
    assert!(checked > 10_000, "{checked} records");
}

/// Every record of real files, damaged in many ways (bit flips, cuts,
/// inserted bytes), through the decoder and every output format: errors
/// are fine, panics are not.
#[test]
fn mutated_records_never_panic() {
    use netcap::output::csv::CsvSink;
    use netcap::output::json::JsonSink;
    use netcap::output::record::Values;
    use netcap::output::struc::StrucSink;
    use netcap::output::table::TableSink;
    use netcap::output::{Renderer, Sink, Style};
    let dir = capture("mutate", ICMPV6, &[]);
    let dir2 = capture("mutate-tcp", NANO, &[]);
    let mut outcomes = [0usize; 2];
    for file in [dir.join("IPv6.ncap.gz"), dir.join("ICMPv6RouterAdvertisement.ncap.gz"), dir2.join("TCP.ncap.gz")] {
        let mut reader = RecordReader::open(&file).expect("open");
        let desc = netcap::schema::message(&reader.header().r#type).expect("type");
        let mut r = Renderer::new(&desc, Style::default());
        let mut sinks: Vec<Box<dyn Sink>> = vec![
            Box::new(CsvSink::new(std::io::sink(), b',')),
            Box::new(JsonSink::new(std::io::sink())),
            Box::new(StrucSink::new(std::io::sink())),
            Box::new(TableSink::new(std::io::sink())),
        ];
        let mut buf = Vec::new();
        let mut vals = Values::default();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        while reader.next_raw(&mut buf).expect("record") {
            for round in 0..400 {
                let mut m = buf.clone();
                match round % 4 {
                    0 => {
                        let i = next() as usize % m.len();
                        m[i] ^= 1 << (next() % 8);
                    }
                    1 => m.truncate(next() as usize % m.len()),
                    2 => {
                        let i = next() as usize % (m.len() + 1);
                        m.insert(i, next() as u8);
                    }
                    _ => {
                        for _ in 0..4 {
                            let i = next() as usize % m.len();
                            m[i] = next() as u8;
                        }
                    }
                }
                let ok =
                    r.decode(&m, &mut vals).is_ok() && sinks.iter_mut().all(|s| s.record(&mut r, &vals, &m).is_ok());
                outcomes[usize::from(ok)] += 1;
            }
        }
        for s in &mut sinks {
            s.finish(&r).expect("finish");
        }
    }
    assert!(outcomes[0] > 100 && outcomes[1] > 100, "errors and successes both occur: {outcomes:?}");
}

/// On a terminal (a pseudo-terminal made by `script`, from the essential
/// bsdutils package), the separators of offending rows are red.
#[test]
fn check_highlights_separators_in_red_on_a_terminal() {
    let dir = temp_dir("check-tty");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "a,b\n\"x,y\",2,3\n").expect("write");
    let cmd = format!("{NETCAP} -check {}", s(&bad));
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap_or_else(|e| panic!("`script` (package bsdutils) is needed for this test: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("line 2: 2 separators, expected 1: \"x,y\"\u{1b}[31m,\u{1b}[0m2\u{1b}[31m,\u{1b}[0m3"),
        "{text:?}"
    );
    assert_eq!(out.status.code(), Some(1));
}

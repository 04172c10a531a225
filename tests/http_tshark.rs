//! HTTP records against tshark, which reassembles TCP by default.
//!
//! For every shared capture whose MANIFEST row lists HTTP, each request
//! tshark shows (`http.request`) must be exactly one netcap `HTTP` record
//! with the same method, URI, Host and User-Agent, and the response tshark
//! pairs with it (`http.response_in`) must be in that record: same status
//! code and Content-Type. netcap also finds HTTP on ports where tshark does
//! not look for it (detection by content); those extra records are
//! reported, not failed.
//!
//! Then the same captures are rewritten: once with every IPv4 packet
//! turned into IPv6, and once with data segments reordered and
//! retransmitted. Both must give the same records as the original (IPv6:
//! mapped addresses; reordered: timestamps aside).

#[path = "common/manifest.rs"]
#[allow(dead_code)]
mod manifest;

use netcap::container::RecordReader;
use netcap::schema::pb;
use prost::Message;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The MANIFEST's captures that carry HTTP, as tshark sees them.
fn http_captures() -> Vec<(String, PathBuf)> {
    let dir = manifest::pcaps_dir();
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv is readable");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap_or_else(|| panic!("no column {n}"));
    let (file, protocols, extra, linktype) = (col("file"), col("protocols"), col("extra"), col("linktype"));
    lines
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            // ARCNET is a link layer netcap does not decode: its packets go
            // to unknown.pcap, so there is nothing to compare.
            if cells.get(linktype).is_some_and(|t| t.starts_with("arcnet")) {
                return None;
            }
            // `protocols` counts frames per protocol ("http:121"), `extra`
            // counts requests and handshakes ("http.request:61").
            let names = |i: usize| cells.get(i).copied().unwrap_or("").split(',').filter_map(|p| p.split(':').next());
            let has_http = names(protocols).chain(names(extra)).any(|p| p == "http" || p.starts_with("http."));
            has_http.then(|| (cells[file].to_string(), dir.join(cells[file])))
        })
        .collect()
}

fn tshark_available() -> bool {
    let ok = Command::new("tshark").arg("-v").output().is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("tshark is required under CI (apt-get install tshark)");
    }
    ok
}

fn run_netcap(capture: &Path, out: &Path) -> Vec<pb::Http> {
    let status = Command::new(env!("CARGO_BIN_EXE_netcap"))
        .arg("-r")
        .arg(capture)
        .arg("-out")
        .arg(out)
        .args(["-quiet", "-comp=false", "-overwrite", "-include", "HTTP"])
        .output()
        .expect("netcap runs");
    assert!(
        status.status.success(),
        "netcap failed on {}: {}",
        capture.display(),
        String::from_utf8_lossy(&status.stderr)
    );
    let path = out.join("HTTP.ncap");
    if !path.exists() {
        return Vec::new();
    }
    let mut r = RecordReader::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = Vec::new();
    let mut records = Vec::new();
    while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        records.push(pb::Http::decode(buf.as_slice()).expect("record decodes"));
    }
    records
}

/// One request as tshark shows it, with its response's code and type
/// (None where tshark's output does not say which value is whose).
#[derive(Debug, Clone)]
struct Request {
    frame: u64,
    method: String,
    uri: String,
    host: Option<String>,
    user_agent: Option<String>,
    code: Option<i32>,
    content_type: Option<String>,
}

fn field<'a>(layers: &'a serde_json::Value, name: &str) -> Vec<&'a str> {
    layers.get(name).and_then(|v| v.as_array()).map_or_else(Vec::new, |a| a.iter().filter_map(|s| s.as_str()).collect())
}

/// The i-th value of a field that holds one value per HTTP message of the
/// frame; unknown when the count does not match the messages.
fn aligned(values: &[&str], i: usize, messages: usize) -> Option<String> {
    if values.len() == messages {
        values.get(i).map(|s| s.to_string())
    } else if values.is_empty() {
        Some(String::new())
    } else {
        None
    }
}

fn tshark_requests(capture: &Path) -> Vec<Request> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(["-2", "-Y", "http", "-T", "json"])
        .args(["-e", "frame.number", "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.host"])
        .args(["-e", "http.user_agent", "-e", "http.response_in", "-e", "http.response.code"])
        .args(["-e", "http.content_type"])
        .output()
        .expect("tshark runs");
    let packets: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    // Responses by frame: (code, content type) in frame order.
    let mut responses: HashMap<u64, Vec<(i32, Option<String>)>> = HashMap::new();
    let mut requests = Vec::new();
    for p in &packets {
        let layers = &p["_source"]["layers"];
        let frame: u64 = field(layers, "frame.number").first().and_then(|s| s.parse().ok()).unwrap_or(0);
        let codes = field(layers, "http.response.code");
        let types = field(layers, "http.content_type");
        let methods = field(layers, "http.request.method");
        if !codes.is_empty() {
            let list = codes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.parse().unwrap_or(0), aligned(&types, i, codes.len())))
                .collect();
            responses.insert(frame, list);
        }
        let uris = field(layers, "http.request.uri");
        let hosts = field(layers, "http.host");
        let agents = field(layers, "http.user_agent");
        let response_in = field(layers, "http.response_in");
        for (i, m) in methods.iter().enumerate() {
            requests.push((
                Request {
                    frame,
                    method: m.to_string(),
                    uri: uris.get(i).map(|s| s.to_string()).unwrap_or_default(),
                    host: aligned(&hosts, i, methods.len()),
                    user_agent: aligned(&agents, i, methods.len()),
                    code: None,
                    content_type: None,
                },
                aligned(&response_in, i, methods.len()),
            ));
        }
    }
    // Pair each request with its response; several requests answered in
    // one frame take its responses in order.
    let mut taken: HashMap<u64, usize> = HashMap::new();
    requests
        .into_iter()
        .map(|(mut r, response_in)| {
            match response_in.as_deref().map(str::parse::<u64>) {
                Some(Ok(f)) => {
                    let n = taken.entry(f).or_default();
                    if let Some((code, ct)) = responses.get(&f).and_then(|l| l.get(*n)) {
                        r.code = Some(*code);
                        r.content_type = ct.clone();
                    }
                    *n += 1;
                }
                Some(_) => {}
                // No response: netcap's record must say so.
                None => {}
            }
            if response_in.as_deref() == Some("") {
                r.code = Some(0);
                r.content_type = Some(String::new());
            }
            r
        })
        .collect()
}

fn matches(r: &Request, h: &pb::Http) -> bool {
    let opt = |want: &Option<String>, got: &str| want.as_deref().is_none_or(|w| w == got);
    // tshark shows a response only once it has reassembled all of it, and
    // its reassembly gives up on some out-of-order and fast-retransmitted
    // segments that netcap puts in order (many-protocols.pcap, frame 2888);
    // netcap also writes the head of a response whose body the capture
    // cut, flagged Incomplete. Where tshark shows no response, only the
    // request is compared.
    let cut_response = r.code == Some(0);
    r.method == h.method
        && r.uri == h.url
        && opt(&r.host, &h.host)
        && opt(&r.user_agent, &h.user_agent)
        && (cut_response || r.code.is_none_or(|c| c == h.status_code))
        && (cut_response || opt(&r.content_type, &h.content_type))
}

#[test]
fn every_request_tshark_shows_is_one_record_with_its_response() {
    if !tshark_available() {
        return;
    }
    let captures = http_captures();
    assert!(captures.len() >= 10, "expected the MANIFEST's HTTP captures, found {}", captures.len());
    let tmp = tempdir("http-tshark");
    let (mut total, mut matched, mut extra, mut with_response, mut only_netcap) = (0usize, 0, 0, 0, 0);
    let mut failures = Vec::new();
    for (name, path) in &captures {
        let records = run_netcap(path, &tmp);
        let requests = tshark_requests(path);
        let mut used = vec![false; records.len()];
        for r in &requests {
            total += 1;
            let found = records.iter().enumerate().position(|(i, h)| !used[i] && !h.request_missing && matches(r, h));
            match found {
                Some(i) => {
                    used[i] = true;
                    matched += 1;
                    if records[i].status_code != 0 && r.code != Some(0) {
                        with_response += 1;
                    }
                    if records[i].status_code != 0 && r.code == Some(0) {
                        only_netcap += 1;
                    }
                }
                None => failures.push(format!("{name}: frame {}: {r:?}", r.frame)),
            }
        }
        extra += used.iter().filter(|u| !**u).count();
    }
    eprintln!(
        "HTTP vs tshark: {matched}/{total} requests matched ({with_response} with the response tshark pairs \
         with them, {only_netcap} with a response tshark did not reassemble) over {} captures; {extra} netcap \
         records tshark does not show (other ports, responses without request)",
        captures.len()
    );
    assert!(failures.is_empty(), "{} requests differ:\n{}", failures.len(), failures.join("\n"));
    assert!(total > 500, "expected hundreds of requests, tshark showed {total}");
}

/// Records as compared across rewritten captures: timestamps aside.
fn comparable(mut records: Vec<pb::Http>, map_ip: impl Fn(&str) -> String) -> Vec<String> {
    let mut out: Vec<String> = records
        .iter_mut()
        .map(|h| {
            h.timestamp = 0;
            h.response_timestamp = 0;
            h.src_ip = map_ip(&h.src_ip);
            h.dst_ip = map_ip(&h.dst_ip);
            format!("{h:?}")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn records_survive_ipv6_and_reordered_retransmitted_segments() {
    let tmp = tempdir("http-rewrite");
    let mut compared = 0;
    for (name, path) in http_captures() {
        let Some(packets) = read_pcap(&path) else { continue };
        let original = run_netcap(&path, &tmp.join("orig"));
        if original.is_empty() {
            continue;
        }
        let v4 = comparable(original.clone(), |s| s.to_string());
        // IPv6.
        let v6_path = tmp.join("v6.pcap");
        write_pcap(&v6_path, packets.0, &packets.1.iter().map(|p| to_ipv6(p)).collect::<Vec<_>>());
        let v6 = comparable(run_netcap(&v6_path, &tmp.join("v6")), unmap_ipv6);
        assert_same(&v4, &v6, &format!("{name}: HTTP records over IPv6 differ from IPv4"));
        // Reordered and retransmitted.
        let shuffled_path = tmp.join("shuffled.pcap");
        write_pcap(&shuffled_path, packets.0, &reorder_and_retransmit(&packets.1));
        let shuffled = comparable(run_netcap(&shuffled_path, &tmp.join("shuffled")), |s| s.to_string());
        assert_same(
            &v4,
            &shuffled,
            &format!("{name}: HTTP records change when segments are reordered and retransmitted"),
        );
        compared += original.len();
    }
    eprintln!("{compared} HTTP records identical over IPv6 and with reordered/retransmitted segments");
    assert!(compared > 300, "expected hundreds of records to compare, got {compared}");
}

/// Fails with the records only one side has.
fn assert_same(a: &[String], b: &[String], what: &str) {
    if a == b {
        return;
    }
    let only_a: Vec<&String> = a.iter().filter(|r| !b.contains(r)).take(3).collect();
    let only_b: Vec<&String> = b.iter().filter(|r| !a.contains(r)).take(3).collect();
    panic!("{what}: {} vs {} records\nonly before:\n{only_a:#?}\nonly after:\n{only_b:#?}", a.len(), b.len());
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netcap-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A packet of a capture: (seconds, microseconds, captured bytes, wire length).
type Packet = (u32, u32, Vec<u8>, u32);

/// An Ethernet pcap (not pcapng) as (link type, packets); None otherwise.
fn read_pcap(path: &Path) -> Option<(u32, Vec<Packet>)> {
    let data = std::fs::read(path).ok()?;
    let magic = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?);
    if magic != 0xa1b2_c3d4 {
        return None;
    }
    let le32 = |at: usize| data.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let link = le32(20)?;
    if link != 1 {
        return None;
    }
    let mut packets = Vec::new();
    let mut at = 24;
    while at + 16 <= data.len() {
        let (sec, usec, incl, orig) = (le32(at)?, le32(at + 4)?, le32(at + 8)? as usize, le32(at + 12)?);
        let bytes = data.get(at + 16..at + 16 + incl)?.to_vec();
        packets.push((sec, usec, bytes, orig));
        at += 16 + incl;
    }
    Some((link, packets))
}

fn write_pcap(path: &Path, link: u32, packets: &[Packet]) {
    let mut out = Vec::new();
    for v in [0xa1b2_c3d4u32] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&link.to_le_bytes());
    for (sec, usec, bytes, orig) in packets {
        out.extend_from_slice(&sec.to_le_bytes());
        out.extend_from_slice(&usec.to_le_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&(orig + (bytes.len() as u32).saturating_sub(*orig)).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    std::fs::write(path, out).expect("write pcap");
}

/// An Ethernet/IPv4 packet as Ethernet/IPv6, addresses mapped into
/// 2001:db8::/96; anything else (and IPv4 fragments) unchanged.
fn to_ipv6(p: &Packet) -> Packet {
    let (sec, usec, bytes, orig) = p;
    let ip = match bytes.get(14..) {
        Some(ip) if bytes[12..14] == [0x08, 0x00] && ip.len() >= 20 && ip[0] >> 4 == 4 => ip,
        _ => return p.clone(),
    };
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let fragmented = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0;
    if fragmented || ihl < 20 || ip.len() < ihl || total < ihl {
        return p.clone();
    }
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
    out.extend_from_slice(&((total - ihl) as u16).to_be_bytes());
    out.extend_from_slice(&[ip[9], ip[8]]);
    for addr in [&ip[12..16], &ip[16..20]] {
        out.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(addr);
    }
    out.extend_from_slice(&ip[ihl..]);
    let grown = 40 - ihl as u32;
    (*sec, *usec, out, orig + grown)
}

/// "2001:db8::a.b.c.d" (as netcap prints it) back to "a.b.c.d".
fn unmap_ipv6(s: &str) -> String {
    match s.parse::<std::net::Ipv6Addr>() {
        Ok(a) if a.segments()[..6] == [0x2001, 0x0db8, 0, 0, 0, 0] => {
            let o = a.octets();
            format!("{}.{}.{}.{}", o[12], o[13], o[14], o[15])
        }
        _ => s.to_string(),
    }
}

/// The TCP 4-tuple and payload length of an Ethernet/IPv4 packet.
fn tcp_data(bytes: &[u8]) -> Option<([u8; 12], usize)> {
    let ip = bytes.get(14..)?;
    if bytes.get(12..14)? != [0x08, 0x00] || ip.first()? >> 4 != 4 || *ip.get(9)? != 6 {
        return None;
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    let tcp = ip.get(ihl..)?;
    let data_offset = usize::from(tcp.get(12)? >> 4) * 4;
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(ip.get(12..20)?);
    key[8..].copy_from_slice(tcp.get(..4)?);
    Some((key, total.checked_sub(ihl + data_offset)?))
}

/// Swaps each pair of consecutive data segments of one direction (when no
/// other packet lies between them) and sends every third data segment
/// twice. The first data segment of each direction stays first: a stream
/// seen without its handshake, and before any ACK from the other side,
/// starts where its first segment is, so nothing could place an earlier one.
fn reorder_and_retransmit(packets: &[Packet]) -> Vec<Packet> {
    let mut out: Vec<Packet> = Vec::with_capacity(packets.len() * 2);
    let mut started = std::collections::HashSet::new();
    let mut i = 0;
    let mut data_seen = 0;
    while i < packets.len() {
        let p = &packets[i];
        let this = tcp_data(&p.2).filter(|(_, len)| *len > 0);
        if let Some((key, _)) = this {
            data_seen += 1;
            let first = started.insert(key);
            if let Some(next) = packets.get(i + 1).filter(|_| !first) {
                if tcp_data(&next.2).is_some_and(|(k, len)| k == key && len > 0) {
                    out.push(next.clone());
                    out.push(p.clone());
                    if data_seen % 3 == 0 {
                        out.push(p.clone());
                    }
                    i += 2;
                    continue;
                }
            }
            out.push(p.clone());
            if data_seen % 3 == 0 {
                out.push(p.clone());
            }
        } else {
            out.push(p.clone());
        }
        i += 1;
    }
    out
}

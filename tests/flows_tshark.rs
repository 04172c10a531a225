//! Flow records against tshark's conversation statistics.
//!
//! For each capture of a representative set of shared captures (Ethernet,
//! Linux SLL, BSD null, raw IP; IPv4 and IPv6; VLAN; IPv4 and IPv6
//! fragments; ICMP, SCTP and other IP protocols), netcap runs with every
//! flow type and timeouts longer than the capture, and tshark runs twice:
//!
//! 1. `tshark -q -z conv,eth -z conv,ip -z conv,ipv6 -z conv,tcp -z conv,udp`:
//!    the conversation tables. They give frames per direction exactly, the
//!    start relative to the first frame in ns, but bytes only rounded
//!    ("436 kB") and the duration to 0.1 ms.
//! 2. `tshark -T fields` with frame time, length, addresses, ports and the
//!    `communityid` post-dissector, per frame: the same conversations at
//!    full precision (exact bytes, first and last packet in ns), and the
//!    Community ID of every frame.
//!
//! The per-frame aggregation is first checked against the conversation
//! tables (same conversations, same frames per direction, same rounded
//! bytes, start within 1 µs, duration within the table's 0.1 ms), so it
//! counts what tshark's conversation statistics count. netcap's records,
//! summed per address (and port) pair, must then equal it exactly: frames
//! and bytes in each direction, first and last packet time to the
//! microsecond. Records compared, per table:
//!
//! - conv,eth: LinkFlow;
//! - conv,ip + conv,ipv6: NetworkFlow, and Flow and Connection summed per address pair;
//! - conv,tcp, conv,udp: Flow and Connection; TransportFlow per port pair.
//!
//! Community ID: every Flow record's equals the one tshark gives the
//! frames of its 5-tuple (same frame count per directed tuple too), and the
//! Connection records with one Community ID hold exactly the frames tshark
//! tags with it. tshark runs with `ip.defragment:FALSE` and
//! `ipv6.defragment:FALSE`, as netcap does not reassemble: the first
//! fragment carries the transport header, later ones count for IP only.
//!
//! Exceptions (documented in README.md, "Flows"):
//!
//! - tshark's conv,ipv6 leaves out IPv6 fragments after the first (its
//!   IPv6 tap is not reached for them), netcap counts every packet: the
//!   per-frame sums keep them for the comparison with netcap and leave them
//!   out for the check against the conversation table; counted.
//! - tshark 4.0 gives no Community ID to IPv6 packets without ports or
//!   ICMP (later fragments, VRRP, OSPF, PIM, ...) — its IP-only fallback
//!   reads a protocol number that its IPv6 dissector never stores. netcap
//!   computes the spec's IP-only ID for them; those frames are left out of
//!   the Community ID comparison and counted.

use netcap::container::RecordReader;
use netcap::schema::pb;
use prost::Message;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");

/// The captures, with what each one brings.
const CAPTURES: &[&str] = &[
    // Linux cooked capture (SLL): TCP, UDP/DNS, ARP, one IPv6 packet.
    "pcapplusplus/Tests/Pcap++Test/PcapExamples/sll.pcap",
    // IPv4 and IPv6 TLS over TCP, many connections.
    "pcapplusplus/Tests/ExamplesTest/pcap_examples/tls2.pcap",
    // VLAN-tagged frames, ICMP, IPv6, DNS, HTTP, TLS, CDP/LLC.
    "pcapplusplus/Tests/ExamplesTest/pcap_examples/many-protocols.pcap",
    // IPv4 fragments (NFS over UDP), SCTP, ICMP errors, ARP.
    "pcapplusplus/Tests/ExamplesTest/pcap_examples/ip-frag.pcap",
    // IPv6 fragments.
    "pcapplusplus/Tests/Pcap++Test/PcapExamples/ip6_fragments.pcap",
    // A SYN scan: thousands of rejected and unanswered connections.
    "chrissanders-packets/synscan.pcapng",
    // pcapng, HTTP and DNS.
    "chrissanders-packets/http_espn.pcapng",
    // Long-lived TCP with data both ways.
    "chrissanders-packets/ratinfected.pcapng",
    // Modbus/TCP, DNS.
    "zeek/testing/btest/Traces/modbus/modbusSmall.pcap",
    // VLAN tags, LDP over TCP and UDP.
    "tcpdump/tests/ldp-common-session.pcap",
    // VRRP over IPv4 and IPv6 (an IP protocol without ports).
    "tcpdump/tests/vrrp.pcap",
    // BSD null link type, QUIC over IPv6.
    "tcpdump/tests/quic_handshake.pcap",
    // Raw IPv6 link type, Babel over UDP.
    "tcpdump/tests/babel_rtt.pcap",
    // DHCP, ARP, ICMP.
    "tcpdump/tests/dhcp-rfc4388.pcap",
    // AFS/RX over UDP with ICMP port unreachables.
    "tcpdump/tests/afs.pcap",
    // Multipath TCP (SSH).
    "tcpdump/tests/mptcp-v0.pcap",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared(rel: &str) -> PathBuf {
    let p = repo().join("../shared/pcaps").join(rel);
    assert!(p.exists(), "missing {} — the shared material must sit beside the repository", p.display());
    p
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netcap-flows-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn read_records<M: Message + Default>(path: &Path) -> Vec<M> {
    if !path.exists() {
        return Vec::new();
    }
    let mut r = RecordReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = Vec::new();
    let mut out = Vec::new();
    while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        out.push(M::decode(buf.as_slice()).expect("record decodes"));
    }
    out
}

/// Frames and bytes of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Dir {
    frames: u64,
    bytes: u64,
}

/// One conversation: `ab` from the smaller endpoint to the larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Conv {
    ab: Dir,
    ba: Dir,
    first: i64,
    last: i64,
}

impl Default for Conv {
    fn default() -> Self {
        Conv { ab: Dir::default(), ba: Dir::default(), first: i64::MAX, last: i64::MIN }
    }
}

type Table = BTreeMap<(String, String), Conv>;

/// Adds `frames`/`bytes` sent from `src` to `dst` between `first` and `last`.
fn add(t: &mut Table, src: &str, dst: &str, d: Dir, first: i64, last: i64) {
    if d.frames == 0 {
        return;
    }
    let forward = src <= dst;
    let key = if forward { (src.to_string(), dst.to_string()) } else { (dst.to_string(), src.to_string()) };
    let c = t.entry(key).or_default();
    let side = if forward { &mut c.ab } else { &mut c.ba };
    side.frames += d.frames;
    side.bytes += d.bytes;
    c.first = c.first.min(first);
    c.last = c.last.max(last);
}

/// tshark's format_size(bytes, FORMAT_SIZE_UNIT_BYTES, SI prefixes).
fn format_size(size: u64) -> String {
    let p = 1000u64;
    if size / p / p / p / p >= 10 {
        format!("{} TB", size / p / p / p / p)
    } else if size / p / p / p >= 10 {
        format!("{} GB", size / p / p / p)
    } else if size / p / p >= 10 {
        format!("{} MB", size / p / p)
    } else if size / p >= 10 {
        format!("{} kB", size / p)
    } else {
        format!("{size} bytes")
    }
}

/// "1.5" seconds (any digits) to nanoseconds.
fn parse_ns(s: &str) -> i64 {
    let (sec, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut digits: String = frac.chars().take(9).collect();
    while digits.len() < 9 {
        digits.push('0');
    }
    sec.parse::<i64>().expect("seconds") * 1_000_000_000 + digits.parse::<i64>().expect("fraction")
}

/// "10.0.0.1:80" or "fe80::1:80" to "10.0.0.1 80".
fn split_port(s: &str) -> String {
    let (addr, port) = s.rsplit_once(':').expect("addr:port");
    format!("{addr} {port}")
}

/// A row of a conversation table: rounded bytes, start relative to the
/// first frame, duration in seconds.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    ab_frames: u64,
    ab_bytes: String,
    ba_frames: u64,
    ba_bytes: String,
    rel_start: i64,
    duration: f64,
}

/// Parses `tshark -q -z conv,...` into tables "eth", "ip", "tcp", "udp"
/// (IPv4 and IPv6 together), rows of one endpoint pair summed.
fn parse_conv(text: &str) -> BTreeMap<&'static str, BTreeMap<(String, String), Vec<Row>>> {
    let mut out: BTreeMap<&'static str, BTreeMap<(String, String), Vec<Row>>> = BTreeMap::new();
    let mut table = None;
    for line in text.lines() {
        if line.ends_with("Conversations") {
            table = Some(match line {
                "Ethernet Conversations" => "eth",
                "IPv4 Conversations" | "IPv6 Conversations" => "ip",
                "TCP Conversations" => "tcp",
                "UDP Conversations" => "udp",
                other => panic!("unexpected table {other}"),
            });
            continue;
        }
        let Some(name) = table else { continue };
        if !line.contains("<->") {
            continue;
        }
        let t: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(t.len(), 14, "unexpected conversation row: {line}");
        let (mut a, mut b) = (t[0].to_string(), t[2].to_string());
        if name == "tcp" || name == "udp" {
            a = split_port(&a);
            b = split_port(&b);
        }
        // tshark: "<-" is B -> A, "->" is A -> B.
        let (a_to_b, b_to_a) = ((t[6], format!("{} {}", t[7], t[8])), (t[3], format!("{} {}", t[4], t[5])));
        let row_ab = (a_to_b.0.parse::<u64>().expect("frames"), a_to_b.1);
        let row_ba = (b_to_a.0.parse::<u64>().expect("frames"), b_to_a.1);
        let (key, (ab, ba)) = if a <= b { ((a, b), (row_ab, row_ba)) } else { ((b, a), (row_ba, row_ab)) };
        let row = Row {
            ab_frames: ab.0,
            ab_bytes: ab.1,
            ba_frames: ba.0,
            ba_bytes: ba.1,
            rel_start: parse_ns(t[12]),
            duration: t[13].parse().expect("duration"),
        };
        out.entry(name).or_default().entry(key).or_default().push(row);
    }
    out
}

/// What tshark says about one frame.
struct Frame {
    time: i64,
    len: u64,
    eth: Option<(String, String)>,
    ip: Option<(String, String)>,
    /// "TCP"/"UDP" with ports, for conv,tcp/udp.
    l4: Option<(&'static str, String, String)>,
    /// Directed 5-tuple class and ports as netcap's Flow names them.
    class: String,
    ports: (String, String),
    community_id: String,
    /// An IPv6 fragment other than the first.
    ipv6_later_fragment: bool,
}

fn tshark_frames(capture: &Path) -> Vec<Frame> {
    let fields = [
        "frame.time_epoch",
        "frame.len",
        "eth.src",
        "eth.dst",
        "ip.src",
        "ip.dst",
        "ipv6.src",
        "ipv6.dst",
        "tcp.srcport",
        "tcp.dstport",
        "udp.srcport",
        "udp.dstport",
        "icmp.type",
        "icmp.code",
        "icmpv6.type",
        "icmpv6.code",
        "sctp.srcport",
        "sctp.dstport",
        "ip.proto",
        "communityid",
        "ipv6.fraghdr.offset",
    ];
    let mut args: Vec<String> = ["-n", "-r"].iter().map(|s| s.to_string()).collect();
    args.push(capture.to_str().expect("utf-8").to_string());
    for a in [
        "-o",
        "ip.defragment:FALSE",
        "-o",
        "ipv6.defragment:FALSE",
        "--enable-protocol",
        "communityid",
        "-T",
        "fields",
        "-E",
        "occurrence=f",
        "-E",
        "separator=/t",
    ] {
        args.push(a.to_string());
    }
    for f in fields {
        args.push("-e".into());
        args.push(f.into());
    }
    let out = Command::new("tshark").args(&args).output().expect("tshark runs (apt-get install tshark)");
    assert!(out.status.success(), "tshark failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_string();
            let pair = |i: usize| (!get(i).is_empty()).then(|| (get(i), get(i + 1)));
            let ip = pair(4).or_else(|| pair(6));
            // An ICMP error quotes the IP and TCP/UDP headers of the packet it
            // is about; tshark's TCP/UDP conversations do not count them.
            let icmp = pair(12).is_some() || pair(14).is_some();
            let l4 = if icmp {
                None
            } else if let Some((s, d)) = pair(8) {
                Some(("TCP", s, d))
            } else {
                pair(10).map(|(s, d)| ("UDP", s, d))
            };
            let (class, ports) = if let Some(p) = pair(12) {
                ("ICMPv4".to_string(), p)
            } else if let Some(p) = pair(14) {
                ("ICMPv6".to_string(), p)
            } else if let Some((c, s, d)) = &l4 {
                (c.to_string(), (s.clone(), d.clone()))
            } else if let Some(p) = pair(16) {
                ("SCTP".to_string(), p)
            } else {
                (format!("other {}", get(18)), ("0".into(), "0".into()))
            };
            Frame {
                time: parse_ns(&get(0)),
                len: get(1).parse().expect("frame.len"),
                eth: pair(2),
                ip,
                l4,
                class,
                ports,
                community_id: get(19),
                ipv6_later_fragment: !matches!(get(20).as_str(), "" | "0"),
            }
        })
        .collect()
}

fn tshark_conv(capture: &Path) -> String {
    let out = Command::new("tshark")
        .args([
            "-n",
            "-r",
            capture.to_str().expect("utf-8"),
            "-o",
            "ip.defragment:FALSE",
            "-o",
            "ipv6.defragment:FALSE",
            "-q",
        ])
        .args(["-z", "conv,eth", "-z", "conv,ip", "-z", "conv,ipv6", "-z", "conv,tcp", "-z", "conv,udp"])
        .output()
        .expect("tshark runs");
    assert!(out.status.success(), "tshark failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Directed Flow key: (src ip, dst ip, class, src port, dst port).
type TupleKey = (String, String, String, String, String);

/// The directed 5-tuple of a Flow record as the tshark frames name it,
/// None for IPv6 packets without ports (tshark gives them no Community ID).
fn flow_key(r: &pb::Flow) -> Option<TupleKey> {
    let t = r.transport_proto.as_str();
    let portless = !matches!(t, "TCP" | "UDP" | "SCTP" | "ICMPv4" | "ICMPv6")
        || (matches!(t, "TCP" | "UDP" | "SCTP") && r.src_port == 0 && r.dst_port == 0);
    if portless && r.network_proto == "IPv6" {
        return None;
    }
    let (class, sp, dp) = if portless {
        let number = match t {
            "TCP" => "6",
            "UDP" => "17",
            "SCTP" => "132",
            n => n,
        };
        (format!("other {number}"), "0".to_string(), "0".to_string())
    } else {
        (t.to_string(), r.src_port.to_string(), r.dst_port.to_string())
    };
    Some((r.src_ip.clone(), r.dst_ip.clone(), class, sp, dp))
}

/// Compares one table of netcap's sums with tshark's per-frame sums.
fn compare(what: &str, ours: &Table, theirs: &Table, failures: &mut Vec<String>) -> usize {
    let keys: BTreeSet<_> = ours.keys().chain(theirs.keys()).collect();
    for k in &keys {
        match (ours.get(*k), theirs.get(*k)) {
            (Some(o), Some(t)) => {
                if o.ab != t.ab || o.ba != t.ba {
                    failures.push(format!("{what} {k:?}: netcap {:?}/{:?}, tshark {:?}/{:?}", o.ab, o.ba, t.ab, t.ba));
                }
                if (o.first - t.first).abs() >= 1000 || (o.last - t.last).abs() >= 1000 {
                    failures.push(format!(
                        "{what} {k:?}: netcap time {}..{}, tshark {}..{}",
                        o.first, o.last, t.first, t.last
                    ));
                }
            }
            (o, t) => failures.push(format!("{what} {k:?}: netcap {o:?}, tshark {t:?}")),
        }
    }
    keys.len()
}

/// Per-capture numbers for the summary.
#[derive(Default)]
struct Tally {
    conversations: BTreeMap<&'static str, usize>,
    flows: usize,
    community_ids: usize,
    frames_without_tshark_id: usize,
    ipv6_later_fragments: usize,
}

fn check_capture(rel: &str, failures: &mut Vec<String>) -> Tally {
    let capture = shared(rel);
    let out = temp_dir(&rel.replace('/', "_"));
    let huge = "100000h";
    let status = Command::new(NETCAP)
        .args(["-r", capture.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-quiet"])
        .args(["-include", "LinkFlow,NetworkFlow,TransportFlow,Flow,Connection"])
        .args(["-flow-timeout", huge, "-conn-timeout", huge, "-active-timeout", huge])
        .status()
        .expect("netcap runs");
    assert!(status.success(), "netcap failed on {rel}");
    let link: Vec<pb::LinkFlow> = read_records(&out.join("LinkFlow.ncap.gz"));
    let net: Vec<pb::NetworkFlow> = read_records(&out.join("NetworkFlow.ncap.gz"));
    let transport: Vec<pb::TransportFlow> = read_records(&out.join("TransportFlow.ncap.gz"));
    let flows: Vec<pb::Flow> = read_records(&out.join("Flow.ncap.gz"));
    let conns: Vec<pb::Connection> = read_records(&out.join("Connection.ncap.gz"));
    let _ = std::fs::remove_dir_all(&out);

    let frames = tshark_frames(&capture);
    let conv = parse_conv(&tshark_conv(&capture));
    let capture_start = frames.iter().map(|f| f.time).next().unwrap_or(0);
    let mut fail = |m: String| failures.push(format!("{rel}: {m}"));
    let mut local = Vec::new();
    let mut tally = Tally::default();

    // tshark per frame, per table.
    let mut theirs: BTreeMap<&str, Table> = BTreeMap::new();
    for f in &frames {
        let one = Dir { frames: 1, bytes: f.len };
        if let Some((s, d)) = &f.eth {
            add(theirs.entry("eth").or_default(), s, d, one, f.time, f.time);
        }
        if let Some((s, d)) = &f.ip {
            add(theirs.entry("ip").or_default(), s, d, one, f.time, f.time);
            // tshark's conv,ipv6 leaves out IPv6 fragments after the first.
            if f.ipv6_later_fragment {
                tally.ipv6_later_fragments += 1;
            } else {
                add(theirs.entry("ip conv").or_default(), s, d, one, f.time, f.time);
            }
            if let Some((proto, sp, dp)) = &f.l4 {
                let table = if *proto == "TCP" { "tcp" } else { "udp" };
                add(theirs.entry(table).or_default(), &format!("{s} {sp}"), &format!("{d} {dp}"), one, f.time, f.time);
                add(
                    theirs.entry(if *proto == "TCP" { "tcp ports" } else { "udp ports" }).or_default(),
                    sp,
                    dp,
                    one,
                    f.time,
                    f.time,
                );
            }
        }
    }

    // 1. The per-frame sums count what the conversation tables count.
    for name in ["eth", "ip", "tcp", "udp"] {
        let rows = conv.get(name).cloned().unwrap_or_default();
        let sums = theirs.get(if name == "ip" { "ip conv" } else { name }).cloned().unwrap_or_default();
        let a: BTreeSet<_> = rows.keys().collect();
        let b: BTreeSet<_> = sums.keys().collect();
        assert_eq!(a, b, "{rel}: conv,{name} and tshark's frames name different conversations");
        for (k, rows) in &rows {
            let s = &sums[k];
            let frames_ab: u64 = rows.iter().map(|r| r.ab_frames).sum();
            let frames_ba: u64 = rows.iter().map(|r| r.ba_frames).sum();
            assert_eq!((frames_ab, frames_ba), (s.ab.frames, s.ba.frames), "{rel}: conv,{name} {k:?} frames");
            if rows.len() == 1 {
                let r = &rows[0];
                assert_eq!(
                    (&r.ab_bytes, &r.ba_bytes),
                    (&format_size(s.ab.bytes), &format_size(s.ba.bytes)),
                    "{rel}: conv,{name} {k:?} bytes"
                );
                let start = s.first - capture_start;
                assert!(
                    (r.rel_start - start).abs() < 1000,
                    "{rel}: conv,{name} {k:?} start {} vs {start}",
                    r.rel_start
                );
                let dur = (s.last - s.first) as f64 / 1e9;
                assert!(
                    (r.duration - dur).abs() <= 0.00005 + 1e-9,
                    "{rel}: conv,{name} {k:?} duration {} vs {dur}",
                    r.duration
                );
            }
        }
    }

    // 2. netcap's records, summed per pair, against the per-frame sums.
    let mut ours: BTreeMap<&str, Table> = BTreeMap::new();
    for r in &link {
        let t = ours.entry("eth LinkFlow").or_default();
        add(
            t,
            &r.src_mac,
            &r.dst_mac,
            Dir { frames: r.src_packets as u64, bytes: r.src_bytes as u64 },
            r.timestamp_first,
            r.timestamp_last,
        );
        add(
            t,
            &r.dst_mac,
            &r.src_mac,
            Dir { frames: r.dst_packets as u64, bytes: r.dst_bytes as u64 },
            r.timestamp_first,
            r.timestamp_last,
        );
        if r.num_packets != r.src_packets + r.dst_packets
            || r.total_size != r.src_bytes + r.dst_bytes
            || r.duration != r.timestamp_last - r.timestamp_first
        {
            local.push(format!("LinkFlow totals disagree: {r:?}"));
        }
    }
    for r in &net {
        let t = ours.entry("ip NetworkFlow").or_default();
        add(
            t,
            &r.src_ip,
            &r.dst_ip,
            Dir { frames: r.src_packets as u64, bytes: r.src_bytes as u64 },
            r.timestamp_first,
            r.timestamp_last,
        );
        add(
            t,
            &r.dst_ip,
            &r.src_ip,
            Dir { frames: r.dst_packets as u64, bytes: r.dst_bytes as u64 },
            r.timestamp_first,
            r.timestamp_last,
        );
    }
    for r in &transport {
        let name = if r.proto == "TCP" { "tcp ports TransportFlow" } else { "udp ports TransportFlow" };
        let t = ours.entry(name).or_default();
        let (sp, dp) = (r.src_port.to_string(), r.dst_port.to_string());
        add(
            t,
            &sp,
            &dp,
            Dir { frames: r.src_packets as u64, bytes: r.src_bytes as u64 },
            r.timestamp_first,
            r.timestamp_last,
        );
        add(
            t,
            &dp,
            &sp,
            Dir { frames: r.dst_packets as u64, bytes: r.dst_bytes as u64 },
            r.timestamp_first,
            r.timestamp_last,
        );
    }
    for r in &flows {
        let one = Dir { frames: r.num_packets as u64, bytes: r.total_size as u64 };
        add(ours.entry("ip Flow").or_default(), &r.src_ip, &r.dst_ip, one, r.timestamp_first, r.timestamp_last);
        // Ports 0/0: fragments after the first, which have no transport header.
        if (r.transport_proto == "TCP" || r.transport_proto == "UDP") && (r.src_port, r.dst_port) != (0, 0) {
            let name = if r.transport_proto == "TCP" { "tcp Flow" } else { "udp Flow" };
            add(
                ours.entry(name).or_default(),
                &format!("{} {}", r.src_ip, r.src_port),
                &format!("{} {}", r.dst_ip, r.dst_port),
                one,
                r.timestamp_first,
                r.timestamp_last,
            );
        }
    }
    for r in &conns {
        let a = Dir { frames: r.src_packets as u64, bytes: r.src_bytes as u64 };
        let b = Dir { frames: r.dst_packets as u64, bytes: r.dst_bytes as u64 };
        let t = ours.entry("ip Connection").or_default();
        add(t, &r.src_ip, &r.dst_ip, a, r.timestamp_first, r.timestamp_last);
        add(t, &r.dst_ip, &r.src_ip, b, r.timestamp_first, r.timestamp_last);
        if (r.transport_proto == "TCP" || r.transport_proto == "UDP") && (r.src_port, r.dst_port) != (0, 0) {
            let name = if r.transport_proto == "TCP" { "tcp Connection" } else { "udp Connection" };
            let (s, d) = (format!("{} {}", r.src_ip, r.src_port), format!("{} {}", r.dst_ip, r.dst_port));
            let t = ours.entry(name).or_default();
            add(t, &s, &d, a, r.timestamp_first, r.timestamp_last);
            add(t, &d, &s, b, r.timestamp_first, r.timestamp_last);
        }
    }
    for (name, theirs_name) in [
        ("eth LinkFlow", "eth"),
        ("ip NetworkFlow", "ip"),
        ("ip Flow", "ip"),
        ("ip Connection", "ip"),
        ("tcp Flow", "tcp"),
        ("tcp Connection", "tcp"),
        ("udp Flow", "udp"),
        ("udp Connection", "udp"),
        ("tcp ports TransportFlow", "tcp ports"),
        ("udp ports TransportFlow", "udp ports"),
    ] {
        let empty = Table::new();
        let n = compare(name, ours.get(name).unwrap_or(&empty), theirs.get(theirs_name).unwrap_or(&empty), &mut local);
        *tally.conversations.entry(theirs_name).or_default() = n;
    }

    // 3. Community IDs. tshark's, per directed 5-tuple and per ID.
    let mut tuple_ids: BTreeMap<TupleKey, (u64, BTreeSet<String>)> = BTreeMap::new();
    let mut id_frames: BTreeMap<String, u64> = BTreeMap::new();
    for f in &frames {
        let Some((s, d)) = &f.ip else { continue };
        let key = (s.clone(), d.clone(), f.class.clone(), f.ports.0.clone(), f.ports.1.clone());
        if f.community_id.is_empty() {
            tally.frames_without_tshark_id += 1;
            assert!(f.class.starts_with("other") && s.contains(':'), "{rel}: tshark gives no Community ID to {key:?}");
            continue;
        }
        let e = tuple_ids.entry(key).or_default();
        e.0 += 1;
        e.1.insert(f.community_id.clone());
        *id_frames.entry(f.community_id.clone()).or_default() += 1;
    }
    let mut flow_ids: BTreeMap<TupleKey, (u64, BTreeSet<String>)> = BTreeMap::new();
    let mut untagged_ids = BTreeSet::new();
    for r in &flows {
        match flow_key(r) {
            Some(key) => {
                let e = flow_ids.entry(key).or_default();
                e.0 += r.num_packets as u64;
                e.1.insert(r.community_id.clone());
            }
            None => {
                untagged_ids.insert(r.community_id.clone());
            }
        }
    }
    for (k, (n, ids)) in &tuple_ids {
        match flow_ids.get(k) {
            Some((m, ours)) if m == n && ours == ids && ids.len() == 1 => {}
            other => local.push(format!("Flow {k:?}: tshark {n} frames {ids:?}, netcap {other:?}")),
        }
    }
    for k in flow_ids.keys() {
        if !tuple_ids.contains_key(k) {
            local.push(format!("Flow {k:?}: no such frames in tshark"));
        }
    }
    let mut conn_ids: BTreeMap<String, u64> = BTreeMap::new();
    for r in &conns {
        *conn_ids.entry(r.community_id.clone()).or_default() += r.num_packets as u64;
    }
    conn_ids.retain(|id, _| !untagged_ids.contains(id));
    if conn_ids != id_frames {
        let diff: Vec<_> = conn_ids.iter().filter(|(k, v)| id_frames.get(*k) != Some(v)).take(5).collect();
        let missing: Vec<_> = id_frames.iter().filter(|(k, _)| !conn_ids.contains_key(*k)).take(5).collect();
        local.push(format!("Connection IDs differ: netcap {diff:?}; tshark only {missing:?}"));
    }
    tally.flows = flows.len() + conns.len() + link.len() + net.len() + transport.len();
    tally.community_ids = id_frames.len();
    for m in local {
        fail(m);
    }
    tally
}

#[test]
fn flow_records_match_tshark_conversations() {
    let mut failures = Vec::new();
    let mut total = Tally::default();
    for rel in CAPTURES {
        let t = check_capture(rel, &mut failures);
        eprintln!(
            "{rel}: conversations {:?}, {} flow records, {} Community IDs, {} IP frames without a tshark ID, {} IPv6 later fragments",
            t.conversations, t.flows, t.community_ids, t.frames_without_tshark_id, t.ipv6_later_fragments
        );
        for (k, v) in t.conversations {
            *total.conversations.entry(k).or_default() += v;
        }
        total.flows += t.flows;
        total.community_ids += t.community_ids;
        total.frames_without_tshark_id += t.frames_without_tshark_id;
        total.ipv6_later_fragments += t.ipv6_later_fragments;
    }
    eprintln!(
        "all {} captures: conversations compared {:?}, {} flow records, {} Community IDs equal, {} IP frames without a tshark ID, {} IPv6 later fragments",
        CAPTURES.len(),
        total.conversations,
        total.flows,
        total.community_ids,
        total.frames_without_tshark_id,
        total.ipv6_later_fragments
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}

//! Flow record semantics on captures the tests build: idle and active
//! timeouts, TCP close by FIN and RST with Zeek's states, the table cap,
//! selection with -include/-exclude, and identical output for 1 and 2
//! workers. Agreement with tshark on real captures is tests/flows_tshark.rs.

#[path = "common/packets.rs"]
mod packets;

use netcap::capture::dump::{DumpFormat, PacketDump};
use netcap::container::RecordReader;
use netcap::schema::pb;
use prost::Message;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");
const T0: i64 = 1_600_000_000_000_000_000;
const SEC: i64 = 1_000_000_000;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netcap-flowtest-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run(args: &[&str]) -> Output {
    let out = Command::new(NETCAP).args(args).output().expect("netcap runs");
    assert!(out.status.success(), "netcap {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn read<M: Message + Default>(path: &Path) -> Vec<M> {
    if !path.exists() {
        return Vec::new();
    }
    let mut r = RecordReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = Vec::new();
    let mut out = Vec::new();
    while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        out.push(M::decode(buf.as_slice()).expect("decodes"));
    }
    out
}

const TCP: u8 = 6;
const UDP: u8 = 17;
use packets::{ACK, FIN, PSH, RST, SYN};

/// One packet to write: time, endpoints, protocol, TCP flags, payload length.
#[derive(Clone, Copy)]
struct Pkt {
    t: i64,
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    proto: u8,
    flags: u8,
    payload: usize,
}

fn pkt(t: i64, src: ([u8; 4], u16), dst: ([u8; 4], u16), proto: u8, flags: u8, payload: usize) -> Pkt {
    Pkt { t, src, dst, proto, flags, payload }
}

/// Ethernet + IPv4 + TCP/UDP bytes; the payload is `a`s.
fn frame(p: &Pkt) -> Vec<u8> {
    let mac = |ip: [u8; 4]| [0x02, 0, ip[0], ip[1], ip[2], ip[3]];
    let payload = vec![0x61; p.payload];
    if p.proto == TCP {
        let tcp = packets::tcp_header(p.src.1, p.dst.1, 1, 0, p.flags, 0xffff);
        packets::ipv4_tcp(mac(p.src.0), mac(p.dst.0), p.src.0, p.dst.0, tcp, &payload)
    } else {
        packets::ipv4_udp(mac(p.src.0), mac(p.dst.0), p.src.0, p.dst.0, p.src.1, p.dst.1, &payload)
    }
}

fn write_pcap(dir: &Path, packets: &[Pkt]) -> PathBuf {
    let path = dir.join("in.pcap");
    let mut d = PacketDump::new(&path, DumpFormat::Pcap { link_type: 1, nanos: false });
    for p in packets {
        let f = frame(p);
        d.write(p.t, 1, 0, f.len() as u32, &f).expect("write");
    }
    d.finish().expect("finish");
    path
}

fn netcap_on(name: &str, packets: &[Pkt], flags: &[&str]) -> (PathBuf, String) {
    let dir = temp_dir(name);
    let input = write_pcap(&dir, packets);
    let out = dir.join("out");
    let mut args = vec!["-r", input.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-workers", "1"];
    args.extend_from_slice(flags);
    let o = run(&args);
    (out, String::from_utf8_lossy(&o.stderr).into_owned())
}

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];
const C: [u8; 4] = [10, 0, 0, 3];

#[test]
fn idle_timeout_ends_a_flow_and_active_timeout_slices_it() {
    let mut packets = Vec::new();
    // Flow 1: three packets, a 100 s pause (> idle timeout 5 s), two more.
    for t in [0, 1, 2, 102, 103] {
        packets.push(pkt(T0 + t * SEC, (A, 5000), (B, 53), UDP, 0, 10));
    }
    // Flow 2: one packet a second for 25 s, never idle (active timeout 10 s).
    for t in 0..25 {
        packets.push(pkt(T0 + t * SEC + SEC / 2, (C, 6000), (B, 123), UDP, 0, 20));
    }
    packets.sort_by_key(|p| p.t);
    let (out, _) = netcap_on(
        "timeouts",
        &packets,
        &["-flow-timeout", "5s", "-conn-timeout", "5s", "-active-timeout", "10s", "-quiet"],
    );
    let flows: Vec<pb::Flow> = read(&out.join("Flow.ncap.gz"));

    let one: Vec<&pb::Flow> = flows.iter().filter(|f| f.src_port == 5000).collect();
    assert_eq!(one.len(), 2, "the pause ends the first flow");
    assert_eq!((one[0].num_packets, one[0].timestamp_first, one[0].timestamp_last), (3, T0, T0 + 2 * SEC));
    assert_eq!(one[0].duration, 2 * SEC);
    assert_eq!((one[1].num_packets, one[1].timestamp_first), (2, T0 + 102 * SEC));
    assert_ne!(one[0].uid, one[1].uid, "a new conversation gets a new UID");
    assert_eq!(one[0].total_size, 3 * (14 + 20 + 8 + 10));
    assert_eq!(one[0].app_payload_size, 30);

    let two: Vec<&pb::Flow> = flows.iter().filter(|f| f.src_port == 6000).collect();
    let slices: Vec<(i64, i64)> = two.iter().map(|f| ((f.timestamp_first - T0) / (SEC / 2), f.num_packets)).collect();
    // Slices start at 0.5 s, 11.5 s, 22.5 s: each ends when a packet comes
    // more than 10 s after its start.
    assert_eq!(slices, vec![(1, 11), (23, 11), (45, 3)], "active timeout slices");
    assert!(two.iter().all(|f| f.uid == two[0].uid), "slices of one conversation share its UID");
    assert_eq!(two.iter().map(|f| f.num_packets).sum::<i64>(), 25, "every packet counts");

    // Records come in the order of their expiry deadlines: flow one idle at
    // 7 s, slices at 10.5 s and 21.5 s, the last slice idle at 29.5 s (seen
    // at 102 s), then what is left at the end.
    let order: Vec<(i32, i64)> = flows.iter().map(|f| (f.src_port, f.num_packets)).collect();
    assert_eq!(order, vec![(5000, 3), (6000, 11), (6000, 11), (6000, 3), (5000, 2)]);

    // Connections slice the same way; the UDP one with answers-free traffic is S0.
    let conns: Vec<pb::Connection> = read(&out.join("Connection.ncap.gz"));
    assert_eq!(conns.iter().filter(|c| c.src_port == 6000).count(), 3);
    assert!(conns.iter().all(|c| c.conn_state == "S0"), "{conns:?}");
    let c = conns.iter().find(|c| c.src_port == 6000).expect("slice");
    assert_eq!((c.inter_arrival_time_min, c.inter_arrival_time_max), (SEC, SEC));
    assert_eq!(c.inter_arrival_time_mean, SEC as f64);
    assert_eq!((c.packet_size_min, c.packet_size_max), (62, 62));
}

/// A TCP exchange from `client` port `cport` to B:80, starting at `t`
/// (seconds), with the given flag sequence ('>' client to server, '<' back).
fn tcp_exchange(t: i64, client: [u8; 4], cport: u16, steps: &[(char, u8, usize)]) -> Vec<Pkt> {
    steps
        .iter()
        .enumerate()
        .map(|(i, &(dir, flags, payload))| {
            let at = T0 + t * SEC + i as i64 * SEC / 10;
            if dir == '>' {
                pkt(at, (client, cport), (B, 80), TCP, flags, payload)
            } else {
                pkt(at, (B, 80), (client, cport), TCP, flags, payload)
            }
        })
        .collect()
}

#[test]
fn fin_and_rst_close_connections_with_zeek_states() {
    let mut p = Vec::new();
    // A long connection that stays open (S1) until the end, begun first.
    p.extend(tcp_exchange(0, C, 9000, &[('>', SYN, 0), ('<', SYN | ACK, 0), ('>', ACK, 0)]));
    p.push(pkt(T0 + 30 * SEC, (C, 9000), (B, 80), TCP, ACK | PSH, 5));
    // Normal close, then the last ACK (kept by the linger): SF.
    p.extend(tcp_exchange(
        1,
        A,
        1000,
        &[
            ('>', SYN, 0),
            ('<', SYN | ACK, 0),
            ('>', ACK, 0),
            ('>', PSH | ACK, 100),
            ('<', ACK, 0),
            ('>', FIN | ACK, 0),
            ('<', FIN | ACK, 0),
            ('>', ACK, 0),
        ],
    ));
    // The same ports again 2 s later, within the linger: a new connection, reset by the originator: RSTO.
    p.extend(tcp_exchange(3, A, 1000, &[('>', SYN, 0), ('<', SYN | ACK, 0), ('>', ACK, 0), ('>', RST, 0)]));
    // Rejected: REJ. Unanswered: S0. SYN then RST without answer: RSTOS0.
    p.extend(tcp_exchange(4, A, 1001, &[('>', SYN, 0), ('<', RST | ACK, 0)]));
    p.extend(tcp_exchange(5, A, 1002, &[('>', SYN, 0), ('>', SYN, 0)]));
    p.extend(tcp_exchange(6, A, 1003, &[('>', SYN, 0), ('>', RST, 0)]));
    // Responder resets an established connection: RSTR. Half-open SYN then FIN: SH.
    p.extend(tcp_exchange(7, A, 1004, &[('>', SYN, 0), ('<', SYN | ACK, 0), ('>', ACK, 0), ('<', RST, 0)]));
    p.extend(tcp_exchange(8, A, 1005, &[('>', SYN, 0), ('>', FIN, 0)]));
    // Only the originator closed: S2; only the responder: S3.
    p.extend(tcp_exchange(9, A, 1006, &[('>', SYN, 0), ('<', SYN | ACK, 0), ('>', ACK, 0), ('>', FIN | ACK, 0)]));
    p.extend(tcp_exchange(10, A, 1007, &[('>', SYN, 0), ('<', SYN | ACK, 0), ('>', ACK, 0), ('<', FIN | ACK, 0)]));
    // Capture started after the SYN: the SYN+ACK's receiver is the originator; then FIN from the responder: SHR.
    p.extend(tcp_exchange(11, A, 1008, &[('<', SYN | ACK, 0), ('<', FIN | ACK, 0)]));
    // Mid-stream traffic only: OTH.
    p.extend(tcp_exchange(12, A, 1009, &[('>', ACK | PSH, 10), ('<', ACK, 0)]));
    p.sort_by_key(|x| x.t);
    let (out, _) =
        netcap_on("tcp", &p, &["-conn-timeout", "1h", "-flow-timeout", "1h", "-quiet", "-include", "Connection"]);
    let conns: Vec<pb::Connection> = read(&out.join("Connection.ncap.gz"));
    let states: Vec<(i32, &str, i64)> =
        conns.iter().map(|c| (c.src_port, c.conn_state.as_str(), c.num_packets)).collect();

    // Closed connections are written 5 s after their close, in that order;
    // the rest at the end of the capture (in order of last activity).
    assert_eq!(
        states,
        vec![
            (1000, "SF", 8),
            (1000, "RSTO", 4),
            (1001, "REJ", 2),
            (1003, "RSTOS0", 2),
            (1004, "RSTR", 4),
            (1002, "S0", 2),
            (1005, "SH", 2),
            (1006, "S2", 4),
            (1007, "S3", 4),
            (1008, "SHR", 2),
            (1009, "OTH", 2),
            (9000, "S1", 4),
        ]
    );
    let sf = &conns[0];
    assert_eq!((sf.src_ip.as_str(), sf.dst_ip.as_str(), sf.dst_port), ("10.0.0.1", "10.0.0.2", 80));
    assert_eq!((sf.src_packets, sf.dst_packets, sf.src_payload_bytes, sf.dst_payload_bytes), (5, 3, 100, 0));
    assert_eq!((sf.src_syn, sf.src_fin, sf.src_ack, sf.src_psh, sf.src_rst), (1, 1, 4, 1, 0));
    assert_eq!((sf.dst_syn, sf.dst_fin, sf.dst_ack), (1, 1, 3));
    assert_eq!(sf.transport_proto, "TCP");
    assert!(sf.community_id.starts_with("1:") && sf.community_id.len() == 30, "{}", sf.community_id);
    assert_ne!(conns[0].uid, conns[1].uid, "the reused ports make a new connection");
    let shr = &conns[9];
    assert_eq!(
        (shr.src_ip.as_str(), shr.src_port, shr.dst_port, shr.dst_packets),
        ("10.0.0.1", 1008, 80, 2),
        "flipped to the SYN+ACK's receiver"
    );
}

#[test]
fn a_full_table_writes_its_least_recently_seen_entry_early() {
    // Five UDP flows round-robin, three rounds, with room for two.
    let mut p = Vec::new();
    for round in 0..3 {
        for port in 0..5u16 {
            p.push(pkt(T0 + (round * 5 + i64::from(port)) * SEC, (A, 7000 + port), (B, 53), UDP, 0, 1));
        }
    }
    let (out, stderr) =
        netcap_on("cap", &p, &["-max-flows", "2", "-include", "Flow,Connection,TransportFlow,NetworkFlow"]);
    let flows: Vec<pb::Flow> = read(&out.join("Flow.ncap.gz"));
    assert_eq!(flows.len(), 15, "every packet evicts the least recently seen of two");
    assert_eq!(flows.iter().map(|f| f.num_packets).sum::<i64>(), 15, "nothing dropped");
    let first: Vec<i32> = flows.iter().take(3).map(|f| f.src_port).collect();
    assert_eq!(first, vec![7000, 7001, 7002], "oldest first");
    assert!(stderr.contains("13 Flow records written early: table full (-max-flows 2,"), "{stderr}");
    assert!(stderr.contains("13 Connection records written early"), "{stderr}");
    assert!(!stderr.contains("NetworkFlow records written early"), "one address pair fits: {stderr}");
    assert!(stderr.contains("13 TransportFlow records written early"), "{stderr}");
    let net: Vec<pb::NetworkFlow> = read(&out.join("NetworkFlow.ncap.gz"));
    assert_eq!((net.len(), net[0].num_packets), (1, 15));
}

#[test]
fn flow_types_are_selected_like_any_record_type() {
    let p = vec![pkt(T0, (A, 1), (B, 2), UDP, 0, 0), pkt(T0 + SEC, (B, 2), (A, 1), UDP, 0, 0)];
    let names = |out: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(out)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
            .filter(|n| n.ends_with(".ncap.gz"))
            .collect();
        v.sort();
        v
    };
    let (out, _) = netcap_on("inc", &p, &["-include", "Flow,udp", "-quiet"]);
    assert_eq!(names(&out), ["Flow.ncap.gz", "UDP.ncap.gz"]);
    let (out, _) = netcap_on("exc", &p, &["-exclude", "Connection,LinkFlow,Flow", "-quiet"]);
    let n = names(&out);
    assert!(
        n.contains(&"NetworkFlow.ncap.gz".to_string()) && n.contains(&"TransportFlow.ncap.gz".to_string()),
        "{n:?}"
    );
    assert!(!n.iter().any(|x| x == "Connection.ncap.gz" || x == "Flow.ncap.gz" || x == "LinkFlow.ncap.gz"), "{n:?}");
    let (out, _) = netcap_on("hdr", &p, &["-include", "LinkFlow", "-quiet"]);
    let r = RecordReader::open(&out.join("LinkFlow.ncap.gz")).expect("open");
    assert_eq!((r.header().r#type.as_str(), r.header().timestamp_digits), ("LinkFlow", 6));
    let link: Vec<pb::LinkFlow> = read(&out.join("LinkFlow.ncap.gz"));
    assert_eq!((link.len(), link[0].src_packets, link[0].dst_packets), (1, 1, 1));
    assert_eq!(link[0].src_mac, "02:00:0a:00:00:01");
}

#[test]
fn bad_timeouts_are_usage_errors() {
    let out = Command::new(NETCAP).args(["-r", "x.pcap", "-flow-timeout", "5 parsecs"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a duration"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(NETCAP).args(["-r", "x.pcap", "-max-flows", "0"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// Every record of a run's flow files, without headers.
fn flow_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["LinkFlow", "NetworkFlow", "TransportFlow", "Flow", "Connection"]
        .iter()
        .map(|t| {
            let mut r = RecordReader::open(&dir.join(format!("{t}.ncap"))).expect("flow file");
            let mut all = Vec::new();
            let mut buf = Vec::new();
            while r.next_raw(&mut buf).expect("record") {
                all.extend_from_slice(&buf);
                all.push(0xff);
            }
            (t.to_string(), all)
        })
        .collect()
}

#[test]
fn flow_output_is_identical_for_one_and_two_workers() {
    let capture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/base.pcap.gz");
    let mut runs = Vec::new();
    for workers in ["1", "2"] {
        let out = temp_dir(&format!("w{workers}"));
        // Short timeouts and a small table: expiry, slicing and eviction all happen.
        run(&[
            "-r",
            capture.to_str().expect("utf-8"),
            "-out",
            out.to_str().expect("utf-8"),
            "-workers",
            workers,
            "-pbuf",
            "300",
            "-comp=false",
            "-quiet",
            "-include",
            "LinkFlow,NetworkFlow,TransportFlow,Flow,Connection",
            "-flow-timeout",
            "2s",
            "-conn-timeout",
            "5s",
            "-active-timeout",
            "10s",
            "-max-flows",
            "200",
        ]);
        runs.push(flow_bytes(&out));
    }
    assert!(runs[0].iter().all(|(_, b)| b.len() > 1000), "every flow type has records");
    assert!(runs[0] == runs[1], "1 vs 2 workers differ");
}

/// Peak RSS in MiB from the summary line.
fn peak_rss_mib(stderr: &str) -> u64 {
    stderr
        .split("peak RSS ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"))
}

#[test]
fn memory_stays_flat_when_flows_never_end() {
    // One-packet UDP flows from ever new addresses, none expiring by time:
    // only the table cap bounds memory.
    let run_with = |flows: u32| {
        let packets: Vec<Pkt> = (0..flows)
            .map(|i| {
                pkt(
                    T0 + i64::from(i) * 1000,
                    ([10, (i >> 16) as u8, (i >> 8) as u8, i as u8], 1000),
                    (B, 53),
                    UDP,
                    0,
                    0,
                )
            })
            .collect();
        let (_, stderr) = netcap_on(
            &format!("mem{flows}"),
            &packets,
            &["-max-flows", "2000", "-flow-timeout", "1h", "-conn-timeout", "1h"],
        );
        let early = netcap::cli::summary::count(u64::from(flows - 2000));
        assert!(stderr.contains(&format!("{early} Flow records written early")), "{stderr}");
        peak_rss_mib(&stderr)
    };
    let small = run_with(20_000);
    let large = run_with(200_000);
    eprintln!("peak RSS {small} MiB with 20k flows, {large} MiB with 200k (-max-flows 2000)");
    assert!(large <= small + 8, "peak RSS grew from {small} MiB to {large} MiB with ten times the flows");
}

/// Issue 16: a packet whose TCP header is cut short by the snap length
/// (only its ports and sequence number captured) got the Community ID of
/// ports 0/0 and so a Connection of its own. tshark reads the ports from
/// the captured bytes; so must netcap: one Connection, tshark's ID.
#[test]
fn a_tcp_header_cut_short_keeps_its_ports_and_community_id() {
    let dir = temp_dir("shorttcp");
    let input = dir.join("in.pcap");
    let syn = frame(&pkt(T0, (A, 40000), (B, 80), TCP, SYN, 0));
    let ack = frame(&pkt(T0 + SEC, (A, 40000), (B, 80), TCP, ACK, 0));
    // Ethernet 14 + IPv4 20 + 8 bytes of the 20-byte TCP header.
    let cut = 14 + 20 + 8;
    let mut d = PacketDump::new(&input, DumpFormat::Pcap { link_type: 1, nanos: false });
    d.write(T0, 1, 0, syn.len() as u32, &syn).expect("write");
    d.write(T0 + SEC, 1, 0, ack.len() as u32, &ack[..cut]).expect("write");
    d.finish().expect("finish");

    let tshark = Command::new("tshark")
        .args(["-n", "-r", input.to_str().expect("utf-8"), "--enable-protocol", "communityid", "-T", "fields"])
        .args(["-e", "tcp.srcport", "-e", "communityid"])
        .output()
        .expect("tshark is required for this test (apt-get install tshark)");
    assert!(tshark.status.success(), "{}", String::from_utf8_lossy(&tshark.stderr));
    let lines: Vec<String> = String::from_utf8_lossy(&tshark.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    // Both frames, the cut one too, carry port 40000 and one ID.
    assert!(lines.iter().all(|l| l.starts_with("40000\t1:")), "{lines:?}");
    assert_eq!(lines[0], lines[1]);
    let expected = lines[0].split('\t').nth(1).expect("communityid");

    let out = dir.join("out");
    run(&["-r", input.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-include", "Connection,Flow"]);
    let conns: Vec<pb::Connection> = read(&out.join("Connection.ncap.gz"));
    assert_eq!(conns.len(), 1, "one Connection, not one per port pair: {conns:?}");
    assert_eq!(conns[0].community_id, expected);
    assert_eq!((conns[0].src_port, conns[0].dst_port, conns[0].src_packets), (40000, 80, 2));
    let flows: Vec<pb::Flow> = read(&out.join("Flow.ncap.gz"));
    assert_eq!(flows.len(), 1, "{flows:?}");
    assert_eq!(flows[0].community_id, expected);
}

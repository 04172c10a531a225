//! `ApplicationProto` of Connection and Flow records against tshark's
//! dissectors.
//!
//! For every shared capture whose MANIFEST row lists HTTP, TLS, SSH or DNS
//! (mDNS and LLMNR are DNS to netcap: its DNS record type covers them),
//! tshark's `frame.protocols` of each packet names the application
//! protocols of the packet's conversation (innermost addresses and ports,
//! as netcap keys flows). A conversation tshark dissects as exactly one of
//! those protocols must be a netcap Connection with that ApplicationProto,
//! and both directions' Flow records must say the same. netcap finds
//! protocols by content, tshark mostly by port: conversations only one of
//! them names are reported, and the test fails on any that is not
//! explained by a listed reason.

#[path = "common/manifest.rs"]
#[allow(dead_code)]
mod manifest;
#[path = "common/netcap_run.rs"]
#[allow(dead_code)]
mod netcap_run;

use netcap::schema::pb;
use netcap_run::{read_records, require_tshark};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The application protocols compared, as netcap names them.
const COMPARED: [&str; 4] = ["HTTP", "TLS", "SSH", "DNS"];

/// Disagreements with a known cause: (capture, protocol, conversation — a
/// part of its printed key, "" for all of the capture's —, why). Every
/// other disagreement fails the test.
const EXPLAINED: &[(&str, &str, &str, &str)] = &[
    ("tcpdump/tests/LINKTYPE_IPV4_invalid.pcap", "DNS", "", "IPv6 packets under link type IPv4: netcap follows the link type"),
    ("tcpdump/tests/sflow_expanded.pcap", "SSH", "", "a packet header sampled inside sFlow, not a conversation"),
    (
        "tcpdump/tests/dns_udp_8053.pcap",
        "DNS",
        "",
        "tshark's heuristic UDP DNS dissector (any port); netcap's DNS decoder is dispatched by port (53, 5353, 5355)",
    ),
    ("tcpdump/tests/someip1.pcap", "DNS", "", "tshark's heuristic UDP DNS dissector, here on SOME/IP-SD traffic"),
    (
        "tcpdump/tests/rtp-seg-fault-1.pcapng",
        "DNS",
        "",
        "malformed DNS (a length past the datagram): netcap's decoder rejects it (errors.log)",
    ),
    (
        "pcapplusplus/Tests/Pcap++Test/PcapExamples/650HttpResponses.pcap",
        "HTTP",
        "",
        "one direction with segments missing: tshark's HTTP dissector gives up, netcap recognises the start line",
    ),
    (
        "pcapplusplus/Tests/Pcap++Test/PcapExamples/4KHttpRequests.pcap",
        "HTTP",
        "",
        "one direction with segments missing: tshark's HTTP dissector gives up, netcap recognises the start line",
    ),
    (
        "pcapplusplus/Tests/ExamplesTest/expected_output/no-ip-frag-all.pcap",
        "SSH",
        "42168",
        "only packets after the key exchange (encrypted): no identification line to recognise; tshark names it by port 22",
    ),
    (
        "pcapplusplus/Tests/ExamplesTest/pcap_examples/ip-frag.pcap",
        "SSH",
        "42168",
        "only packets after the key exchange (encrypted): no identification line to recognise; tshark names it by port 22",
    ),
    ("tcpdump/tests/kday3.pcap", "SSH", "50079", "one encrypted packet: tshark names it by port 22"),
    (
        "tcpdump/tests/mptcp-v0.pcap",
        "SSH",
        "41221",
        "a second MPTCP subflow: its bytes continue the first subflow's SSH session, no identification line",
    ),
    (
        "pcapplusplus/Tests/ExamplesTest/pcap_examples/tls2.pcap",
        "TLS",
        "49620",
        "one 24-byte TLS record in one direction: too little to recognise by content; tshark names it by port 443",
    ),
    (
        "tcpdump/tests/nfs-write-verf-cookie.pcapng",
        "TLS",
        "",
        "two segments from the middle of records on the IMAPS port: no record start; tshark names them by port 993",
    ),
    (
        "pcapplusplus/Tests/Packet++Test/PacketExamples/tls1_3.pcap",
        "TLS",
        "34152",
        "the reply's MAC addresses are not the request's swapped (a spliced capture): its Flow is another key",
    ),
    ("tcpdump/tests/quic_handshake.pcap", "TLS", "", "TLS inside QUIC (UDP): netcap has no QUIC decoder yet"),
    ("tcpdump/tests/quic_retry.pcap", "TLS", "", "TLS inside QUIC (UDP): netcap has no QUIC decoder yet"),
    ("tcpdump/tests/quic_vn.pcap", "TLS", "", "TLS inside QUIC (UDP): netcap has no QUIC decoder yet"),
];

/// tshark's protocol name → netcap's, for the compared ones.
fn netcap_name(tshark: &str) -> Option<&'static str> {
    Some(match tshark {
        "http" => "HTTP",
        "tls" => "TLS",
        "ssh" => "SSH",
        "dns" | "mdns" | "llmnr" => "DNS",
        _ => return None,
    })
}

fn captures() -> Vec<(String, PathBuf)> {
    manifest::captures_where(|names, linktype| {
        // ARCNET: a link layer netcap does not decode (unknown.pcap).
        !linktype.starts_with("arcnet") && names.iter().any(|p| netcap_name(p).is_some())
    })
}

/// A conversation: transport ("TCP"/"UDP") and its two ends, ordered.
type Key = (String, (String, u16), (String, u16));

fn key(transport: &str, a: (String, u16), b: (String, u16)) -> Key {
    if a <= b {
        (transport.to_string(), a, b)
    } else {
        (transport.to_string(), b, a)
    }
}

/// tshark's compared protocols per conversation.
fn tshark_conversations(capture: &Path) -> HashMap<Key, BTreeSet<&'static str>> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(["-n", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=l"])
        .args(["-e", "frame.protocols", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst"])
        .args(["-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport"])
        .output()
        .expect("tshark runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut conversations: HashMap<Key, BTreeSet<&'static str>> = HashMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| f.get(i).copied().unwrap_or("");
        let chain: Vec<&str> = get(0).split(':').collect();
        // A packet quoted in an ICMP error is not the conversation's own.
        if chain.iter().any(|p| *p == "icmp" || *p == "icmpv6") {
            continue;
        }
        let (src, dst) = if get(3).is_empty() { (get(1), get(2)) } else { (get(3), get(4)) };
        let (transport, sp, dp) = match (get(5).parse::<u16>(), get(6).parse::<u16>()) {
            (Ok(s), Ok(d)) => ("TCP", s, d),
            _ => match (get(7).parse::<u16>(), get(8).parse::<u16>()) {
                (Ok(s), Ok(d)) => ("UDP", s, d),
                _ => continue,
            },
        };
        if src.is_empty() || dst.is_empty() {
            continue;
        }
        let entry = conversations.entry(key(transport, (src.into(), sp), (dst.into(), dp))).or_default();
        entry.extend(chain.iter().filter_map(|p| netcap_name(p)));
    }
    conversations
}

/// netcap's ApplicationProto per conversation, from Connection records, and
/// the Flow records' per conversation (both directions).
fn netcap_conversations(
    capture: &Path,
    out: &Path,
) -> (HashMap<Key, BTreeSet<String>>, HashMap<Key, BTreeSet<String>>) {
    netcap_run::run_netcap(capture, out, "Connection,Flow");
    let mut connections: HashMap<Key, BTreeSet<String>> = HashMap::new();
    for c in read_records::<pb::Connection>(&out.join("Connection.ncap")) {
        let k = key(&c.transport_proto, (c.src_ip, c.src_port as u16), (c.dst_ip, c.dst_port as u16));
        connections.entry(k).or_default().insert(c.application_proto);
    }
    let mut flows: HashMap<Key, BTreeSet<String>> = HashMap::new();
    for f in read_records::<pb::Flow>(&out.join("Flow.ncap")) {
        let k = key(&f.transport_proto, (f.src_ip, f.src_port as u16), (f.dst_ip, f.dst_port as u16));
        flows.entry(k).or_default().insert(f.application_proto);
    }
    (connections, flows)
}

#[derive(Default)]
struct Tally {
    /// Conversations tshark names as this protocol.
    tshark: u64,
    /// ... that netcap names the same.
    agree: u64,
    /// Conversations netcap names as this protocol and tshark names nothing compared.
    netcap_only: u64,
}

#[test]
fn application_proto_agrees_with_tshark() {
    require_tshark();
    let captures = captures();
    assert!(
        captures.len() >= 60,
        "expected the MANIFEST's ~65 captures with HTTP/TLS/SSH/DNS, found {}",
        captures.len()
    );
    let dir = std::env::temp_dir().join(format!("netcap-appid-{}", std::process::id()));
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    // (capture, protocol, what differs).
    let mut mismatches: Vec<(String, &'static str, String)> = Vec::new();
    for (name, path) in &captures {
        let tshark = tshark_conversations(path);
        let (connections, flows) = netcap_conversations(path, &dir);
        for (k, names) in &tshark {
            if names.len() != 1 {
                continue;
            }
            let Some(&want) = names.iter().next() else { continue };
            let t = tallies.entry(want).or_default();
            t.tshark += 1;
            let got = connections.get(k).cloned().unwrap_or_default();
            let flow = flows.get(k).cloned().unwrap_or_default();
            if got.contains(want) && flow.iter().all(|f| f == want) {
                t.agree += 1;
            } else {
                mismatches.push((
                    name.clone(),
                    want,
                    format!("{k:?}: tshark {want}, netcap Connection {got:?}, Flow {flow:?}"),
                ));
            }
        }
        for (k, got) in &connections {
            for &g in COMPARED.iter().filter(|c| got.contains(**c)) {
                if tshark.get(k).is_none_or(|n| n.is_empty()) {
                    tallies.entry(g).or_default().netcap_only += 1;
                    mismatches.push((name.clone(), g, format!("{k:?}: netcap {g}, tshark nothing compared")));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("protocol  tshark  agree  netcap-only");
    for (p, t) in &tallies {
        eprintln!("{p:<8} {:>7} {:>6} {:>12}", t.tshark, t.agree, t.netcap_only);
    }
    let mut unexplained = 0;
    for (capture, protocol, what) in &mismatches {
        let why = EXPLAINED
            .iter()
            .find(|(c, p, conversation, _)| c == capture && p == protocol && what.contains(conversation))
            .map(|e| e.3);
        eprintln!("{capture}: {what}: {}", why.unwrap_or("UNEXPLAINED"));
        unexplained += usize::from(why.is_none());
    }
    for p in COMPARED {
        assert!(tallies.get(p).is_some_and(|t| t.agree > 0), "no {p} conversation agrees");
    }
    assert_eq!(unexplained, 0, "{unexplained} conversations disagree without a known cause");
    // A cause that explains nothing any more is stale (netcap learnt to
    // decode what it was about): it must go, so the list stays true.
    let stale: Vec<_> = EXPLAINED
        .iter()
        .filter(|(c, p, conversation, _)| {
            !mismatches
                .iter()
                .any(|(capture, protocol, what)| c == capture && p == protocol && what.contains(conversation))
        })
        .map(|e| format!("{} {}", e.0, e.1))
        .collect();
    assert!(stale.is_empty(), "EXPLAINED entries that explain no disagreement: {stale:?}");
}

//! TLS records against tshark (two-pass, TCP reassembly on).
//!
//! For every shared capture whose MANIFEST row mentions tls, every
//! ClientHello tshark shows (`tls.handshake.type == 1`) must be exactly one
//! netcap `TLS` record with the same JA3, JA3 string, SNI and ports, and
//! every ServerHello one `TLSServerHello` record with the same JA3S and
//! JA3S string (multisets: each tshark message takes one record). netcap
//! also finds TLS on ports where tshark does not look for it (detection by
//! content); such extra records are reported, not failed.
//!
//! Certificates, compared per connection (server and client address and
//! port) over the whole chain in order: tshark gives each certificate's DER
//! bytes (`tls.handshake.certificate`), so netcap's SHA-256 fingerprints
//! must be those of tshark's certificates, in tshark's order; every SAN
//! dNSName tshark shows (`x509ce.dNSName`) must be one of netcap's
//! `DNSNames` of that chain (multiset); every string value of the subject
//! and issuer attributes tshark shows (`x509sat.printableString`,
//! `uTF8String`, `IA5String`) must occur in one of netcap's `Subject` or
//! `Issuer` strings of that chain (tshark prints values, x509-parser whole
//! RFC 4514-style names, so containment is the fair test).
//!
//! The captures whose TLS rides on QUIC (UDP) are left out: the TLS
//! decoder reads TCP streams, a QUIC decoder is separate work.
//!
//! Then the TLS connections of the captures are rebuilt from their byte
//! streams: each run of handshake records re-framed into records of at
//! most 100 bytes, the streams cut into 7-byte TCP segments, shuffled
//! within a window of 8, every fifth sent twice. netcap must give the same
//! records as on the original (timestamps and the record-layer length
//! aside), and tshark must show the same JA3/JA3S on the rebuilt capture.

#[path = "common/manifest.rs"]
#[allow(dead_code)]
mod manifest;
#[path = "common/netcap_run.rs"]
#[allow(dead_code)]
mod netcap_run;
#[path = "common/packets.rs"]
mod packets;

use netcap::schema::pb;
use netcap_run::{read_records, require_tshark, tempdir};
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The MANIFEST's captures that mention tls, without the QUIC ones.
fn tls_captures() -> Vec<(String, PathBuf)> {
    manifest::captures_where(|names, _| {
        let tls = names.iter().any(|p| *p == "tls" || p.starts_with("tls."));
        // QUIC carries its TLS handshake in CRYPTO frames over UDP: not
        // this decoder's (a QUIC decoder is separate work).
        tls && !names.contains(&"quic")
    })
}

fn run_netcap(capture: &Path, out: &Path) -> (Vec<pb::Tls>, Vec<pb::TlsServerHello>) {
    netcap_run::run_netcap(capture, out, "TLS,TLSServerHello");
    (read_records(&out.join("TLS.ncap")), read_records(&out.join("TLSServerHello.ncap")))
}

fn field<'a>(layers: &'a serde_json::Value, name: &str) -> Vec<&'a str> {
    layers.get(name).and_then(|v| v.as_array()).map_or_else(Vec::new, |a| a.iter().filter_map(|s| s.as_str()).collect())
}

/// A ClientHello or ServerHello as tshark shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Hello {
    frame: u64,
    /// (source port, destination port) of the frame.
    ports: (i32, i32),
    ja3: String,
    ja3_full: String,
    /// SNI for ClientHellos ("" without one; None when tshark's frame
    /// holds several ClientHellos and a missing SNI cannot be placed).
    sni: Option<String>,
}

/// A connection's certificates as tshark shows them: SHA-256 of each
/// certificate in order, SAN dNSNames, attribute strings.
#[derive(Debug, Default)]
struct Chain {
    sha256: Vec<String>,
    dns_names: Vec<String>,
    strings: Vec<String>,
}

/// Connection key: (server address, server port, client address, client port).
type ConnKey = (String, i32, String, i32);

struct TsharkView {
    client_hellos: Vec<Hello>,
    server_hellos: Vec<Hello>,
    chains: BTreeMap<ConnKey, Chain>,
}

fn tshark(capture: &Path, extra: &[&str]) -> TsharkView {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(extra)
        .args(["-2", "-Y", "tls.handshake.type == 1 || tls.handshake.type == 2 || tls.handshake.type == 11"])
        .args(["-T", "json", "-e", "frame.number", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "ip.src"])
        .args(["-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "tls.handshake.type"])
        .args(["-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3_full", "-e", "tls.handshake.ja3s"])
        .args(["-e", "tls.handshake.ja3s_full", "-e", "tls.handshake.extensions_server_name"])
        .args(["-e", "tls.handshake.certificate", "-e", "x509ce.dNSName", "-e", "x509sat.printableString"])
        .args(["-e", "x509sat.uTF8String", "-e", "x509sat.IA5String"])
        .output()
        .expect("tshark runs");
    let packets: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let mut view = TsharkView { client_hellos: Vec::new(), server_hellos: Vec::new(), chains: BTreeMap::new() };
    for p in &packets {
        let layers = &p["_source"]["layers"];
        let one = |n: &str| field(layers, n).first().map(|s| s.to_string()).unwrap_or_default();
        let frame: u64 = one("frame.number").parse().unwrap_or(0);
        let ports = (one("tcp.srcport").parse().unwrap_or(0), one("tcp.dstport").parse().unwrap_or(0));
        let (src, dst) = if layers.get("ip.src").is_some() {
            (one("ip.src"), one("ip.dst"))
        } else {
            (one("ipv6.src"), one("ipv6.dst"))
        };
        let (ja3, ja3_full, snis) = (
            field(layers, "tls.handshake.ja3"),
            field(layers, "tls.handshake.ja3_full"),
            field(layers, "tls.handshake.extensions_server_name"),
        );
        for (i, (h, full)) in ja3.iter().zip(&ja3_full).enumerate() {
            let sni = if snis.len() == ja3.len() {
                snis.get(i).map(|s| s.to_string())
            } else if snis.is_empty() {
                Some(String::new())
            } else if ja3.len() == 1 {
                snis.first().map(|s| s.to_string())
            } else {
                None
            };
            view.client_hellos.push(Hello { frame, ports, ja3: h.to_string(), ja3_full: full.to_string(), sni });
        }
        for (h, full) in field(layers, "tls.handshake.ja3s").iter().zip(field(layers, "tls.handshake.ja3s_full")) {
            view.server_hellos.push(Hello { frame, ports, ja3: h.to_string(), ja3_full: full.to_string(), sni: None });
        }
        let certs = field(layers, "tls.handshake.certificate");
        if !certs.is_empty() {
            let chain = view.chains.entry((src, ports.0, dst, ports.1)).or_default();
            for c in certs {
                let der: Vec<u8> = hex_bytes(c);
                chain.sha256.push(hex(&sha2::Sha256::digest(&der)));
            }
            chain.dns_names.extend(field(layers, "x509ce.dNSName").iter().map(|s| s.to_string()));
            for n in ["x509sat.printableString", "x509sat.uTF8String", "x509sat.IA5String"] {
                chain.strings.extend(field(layers, n).iter().map(|s| s.to_string()));
            }
        }
    }
    view
}

fn hex_bytes(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16).expect("hex")).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Pairs each tshark hello with one unused record `same` accepts; returns
/// (matched, the tshark hellos without a record, records left over).
fn multiset_match<R>(hellos: &[Hello], records: &[R], same: impl Fn(&Hello, &R) -> bool) -> (usize, Vec<Hello>, usize) {
    let mut used = vec![false; records.len()];
    let mut missing = Vec::new();
    for h in hellos {
        match (0..records.len()).find(|&i| !used[i] && same(h, &records[i])) {
            Some(i) => used[i] = true,
            None => missing.push(h.clone()),
        }
    }
    (hellos.len() - missing.len(), missing, used.iter().filter(|u| !**u).count())
}

fn client_matches(h: &Hello, r: &pb::Tls) -> bool {
    h.ja3 == r.ja3
        && h.ja3_full == r.ja3_string
        && h.sni.as_deref().is_none_or(|s| s == r.sni)
        && h.ports == (r.src_port, r.dst_port)
}

fn server_matches(h: &Hello, r: &pb::TlsServerHello) -> bool {
    h.ja3 == r.ja3s && h.ja3_full == r.ja3s_string && h.ports == (r.src_port, r.dst_port)
}

/// Compares one connection's certificate chain with tshark's.
fn chain_problems(key: &ConnKey, want: &Chain, got: &[&pb::TlsServerHello]) -> Vec<String> {
    let certs: Vec<&pb::TlsCertificate> = got.iter().flat_map(|r| &r.certificates).collect();
    let mut problems = Vec::new();
    let sha: Vec<&str> = certs.iter().map(|c| c.sha256.as_str()).collect();
    if sha != want.sha256.iter().map(String::as_str).collect::<Vec<_>>() {
        problems.push(format!("{key:?}: SHA-256 {sha:?} vs tshark {:?}", want.sha256));
    }
    let mut names: Vec<&str> = certs.iter().flat_map(|c| c.dns_names.iter().map(String::as_str)).collect();
    for n in &want.dns_names {
        match names.iter().position(|m| m == n) {
            Some(i) => {
                names.remove(i);
            }
            None => problems.push(format!("{key:?}: tshark's dNSName {n} not in the records")),
        }
    }
    let names_text: Vec<&str> = certs.iter().flat_map(|c| [c.subject.as_str(), c.issuer.as_str()]).collect();
    for s in &want.strings {
        if !names_text.iter().any(|t| t.contains(s.as_str())) {
            problems.push(format!("{key:?}: tshark's attribute value {s:?} in no Subject/Issuer"));
        }
    }
    problems
}

fn conn_key(r: &pb::TlsServerHello) -> ConnKey {
    (r.src_ip.clone(), r.src_port, r.dst_ip.clone(), r.dst_port)
}

#[test]
fn every_hello_tshark_shows_is_one_record() {
    require_tshark();
    let captures = tls_captures();
    let shared = !manifest::other_captures();
    assert!(captures.len() >= 5 || !shared, "expected the MANIFEST's TLS captures, found {}", captures.len());
    let tmp = tempdir("tls-tshark");
    let mut failures = Vec::new();
    let mut table = vec![format!(
        "{:<60} {:>9} {:>9} {:>8} {:>9} {:>9} {:>8} {:>6} {:>6}",
        "capture", "CH tshark", "CH netcap", "matched", "SH tshark", "SH netcap", "matched", "chains", "certs"
    )];
    let (mut total_ch, mut total_sh, mut total_certs) = (0, 0, 0);
    for (name, path) in &captures {
        let (clients, servers) = run_netcap(path, &tmp);
        let view = tshark(path, &[]);
        let (ch_ok, ch_missing, _) = multiset_match(&view.client_hellos, &clients, client_matches);
        let (sh_ok, sh_missing, _) = multiset_match(&view.server_hellos, &servers, server_matches);
        failures.extend(ch_missing.iter().map(|h| format!("{name}: ClientHello without its record: {h:?}")));
        failures.extend(sh_missing.iter().map(|h| format!("{name}: ServerHello without its record: {h:?}")));
        let mut certs = 0;
        for (key, chain) in &view.chains {
            let got: Vec<&pb::TlsServerHello> = servers.iter().filter(|r| conn_key(r) == *key).collect();
            failures.extend(chain_problems(key, chain, &got).into_iter().map(|p| format!("{name}: {p}")));
            certs += chain.sha256.len();
        }
        // Certificates netcap found where tshark shows none (other ports).
        let extra_chains =
            servers.iter().filter(|r| !r.certificates.is_empty() && !view.chains.contains_key(&conn_key(r))).count();
        table.push(format!(
            "{:<60} {:>9} {:>9} {:>8} {:>9} {:>9} {:>8} {:>6} {:>6}{}",
            name.chars().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect::<String>(),
            view.client_hellos.len(),
            clients.len(),
            ch_ok,
            view.server_hellos.len(),
            servers.len(),
            sh_ok,
            view.chains.len(),
            certs,
            if extra_chains > 0 { format!(" (+{extra_chains} chains tshark does not decode)") } else { String::new() }
        ));
        total_ch += view.client_hellos.len();
        total_sh += view.server_hellos.len();
        total_certs += certs;
    }
    eprintln!("TLS vs tshark:\n{}", table.join("\n"));
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
    assert!(
        (total_ch > 300 && total_sh > 250 && total_certs > 20) || !shared,
        "expected hundreds of hellos: {total_ch} {total_sh} {total_certs}"
    );
}

// ---------------------------------------------------------------------------
// Rebuilt captures: re-framed records, tiny segments, reordered, duplicated.

/// One direction's data segment of a TCP connection, from tshark.
#[derive(Debug, Clone)]
struct Segment {
    frame: u64,
    /// Sent by the connection's client (the SYN's sender).
    from_client: bool,
    /// Offset of the first byte in its direction's stream.
    offset: usize,
    payload: Vec<u8>,
}

/// A TCP connection with its SYN: endpoints and both byte streams.
#[derive(Debug, Default, Clone)]
struct Conn {
    ipv6: bool,
    addrs: ([u8; 16], [u8; 16]),
    ports: (u16, u16),
    macs: ([u8; 6], [u8; 6]),
    segments: Vec<Segment>,
}

fn parse_ip(text: &str) -> Option<(bool, [u8; 16])> {
    match text.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(a) => {
            let mut out = [0; 16];
            out[..4].copy_from_slice(&a.octets());
            Some((false, out))
        }
        std::net::IpAddr::V6(a) => Some((true, a.octets())),
    }
}

fn parse_mac(text: &str) -> [u8; 6] {
    let b = hex_bytes(text);
    let mut out = [0; 6];
    if b.len() == 6 {
        out.copy_from_slice(&b);
    }
    out
}

/// The TCP connections of a capture, with their
/// data segments (positions from tshark's relative sequence numbers).
fn connections(capture: &Path) -> BTreeMap<u64, Conn> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(["-Y", "tcp", "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "tcp.stream"])
        .args(["-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "eth.src", "-e", "eth.dst"])
        .args(["-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq", "-e", "tcp.flags.syn", "-e", "tcp.flags.ack"])
        .args(["-e", "tcp.payload"])
        .output()
        .expect("tshark runs");
    let mut conns: BTreeMap<u64, Conn> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('|').collect();
        if f.len() < 14 {
            continue;
        }
        let (Ok(frame), Ok(stream)) = (f[0].parse::<u64>(), f[1].parse::<u64>()) else { continue };
        let (src, dst) = if f[2].is_empty() { (f[4], f[5]) } else { (f[2], f[3]) };
        let (Some((v6, src)), Some((_, dst))) =
            (parse_ip(src.split(',').next().unwrap_or("")), parse_ip(dst.split(',').next().unwrap_or("")))
        else {
            continue;
        };
        let (sport, dport): (u16, u16) = (f[8].parse().unwrap_or(0), f[9].parse().unwrap_or(0));
        let seq: usize = f[10].parse().unwrap_or(0);
        let syn = f[11] == "1" || f[11] == "True";
        // The first packet tshark saw of a stream names its client (the
        // SYN's sender, or for a connection picked up midway the first
        // sender; only those whose client starts with a ClientHello are used).
        conns.entry(stream).or_insert_with(|| Conn {
            ipv6: v6,
            addrs: (src, dst),
            ports: (sport, dport),
            macs: (parse_mac(f[6]), parse_mac(f[7])),
            segments: Vec::new(),
        });
        if syn {
            continue;
        }
        let Some(conn) = conns.get_mut(&stream) else { continue };
        let payload = hex_bytes(f[13]);
        if payload.is_empty() || seq == 0 {
            continue;
        }
        let from_client = (src, sport) == (conn.addrs.0, conn.ports.0);
        conn.segments.push(Segment { frame, from_client, offset: seq - 1, payload });
    }
    conns
}

/// A direction's stream from offset 0 up to the first byte missing
/// (tshark's relative sequence numbers start at 1 for the first byte it
/// saw, after a SYN or not).
fn stream_bytes(segments: &[Segment], from_client: bool) -> Option<Vec<u8>> {
    let mut out: Vec<Option<u8>> = Vec::new();
    for s in segments.iter().filter(|s| s.from_client == from_client) {
        if out.len() < s.offset + s.payload.len() {
            out.resize(s.offset + s.payload.len(), None);
        }
        for (i, b) in s.payload.iter().enumerate() {
            out[s.offset + i] = Some(*b);
        }
    }
    Some(out.into_iter().map_while(|b| b).collect())
}

/// The stream re-framed: each run of consecutive handshake records becomes
/// records of at most `max` content bytes (same version), others are
/// copied; returns the new stream and, per old byte offset, its new offset.
/// Stops at a record that is cut short or after the first record that is
/// neither handshake nor CCS (the handshake is over by then), so `old_end`
/// says how much of the old stream the new one covers.
fn reframe(old: &[u8], max: usize) -> (Vec<u8>, Vec<usize>, usize) {
    let mut new = Vec::new();
    let mut map = vec![0; old.len() + 1];
    let mut at = 0;
    let mut run: Vec<(usize, u8)> = Vec::new(); // (old offset, byte) of a handshake run
    let mut run_version = [3, 1];
    let flush = |run: &mut Vec<(usize, u8)>, new: &mut Vec<u8>, map: &mut Vec<usize>, version: [u8; 2]| {
        for chunk in run.chunks(max) {
            new.extend_from_slice(&[22, version[0], version[1]]);
            new.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            for (o, b) in chunk {
                map[*o] = new.len();
                new.push(*b);
            }
        }
        run.clear();
    };
    let mut header_offsets = Vec::new();
    while at + 5 <= old.len() {
        let (ty, len) = (old[at], usize::from(u16::from_be_bytes([old[at + 3], old[at + 4]])));
        if at + 5 + len > old.len() {
            break;
        }
        if ty == 22 {
            if run.is_empty() {
                run_version = [old[at + 1], old[at + 2]];
            }
            header_offsets.extend(at..at + 5);
            run.extend((at + 5..at + 5 + len).map(|o| (o, old[o])));
        } else {
            flush(&mut run, &mut new, &mut map, run_version);
            for o in at..at + 5 + len {
                map[o] = new.len();
                new.push(old[o]);
            }
        }
        at += 5 + len;
        if ty != 22 && ty != 20 {
            break;
        }
    }
    flush(&mut run, &mut new, &mut map, run_version);
    // Old header bytes of joined records map to the next content byte.
    map[at] = new.len();
    for o in (0..at).rev() {
        if header_offsets.binary_search(&o).is_ok() {
            map[o] = map[o + 1];
        }
    }
    (new, map, at)
}

/// A minimal Ethernet/IP/TCP packet.
fn tcp_packet(conn: &Conn, from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (src, dst) = if from_client { (conn.addrs.0, conn.addrs.1) } else { (conn.addrs.1, conn.addrs.0) };
    let (sport, dport) = if from_client { conn.ports } else { (conn.ports.1, conn.ports.0) };
    let (smac, dmac) = if from_client { conn.macs } else { (conn.macs.1, conn.macs.0) };
    let tcp = packets::tcp_header(sport, dport, seq, ack, flags, 0xffff);
    if conn.ipv6 {
        packets::ipv6_tcp(smac, dmac, src, dst, tcp, payload)
    } else {
        let v4 = |a: [u8; 16]| [a[0], a[1], a[2], a[3]];
        packets::ipv4_tcp(smac, dmac, v4(src), v4(dst), tcp, payload)
    }
}

/// Deterministic xorshift for the shuffles.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Builds the rebuilt capture of `conns` (pcap packets, in order).
/// A connection to rebuild: endpoints, the re-framed (client, server)
/// streams, and the original segments as (from client, start, end) ranges
/// of the new streams in capture order.
type Rebuilt = (Conn, [Vec<u8>; 2], Vec<(bool, usize, usize)>);

fn rebuild(conns: &[Rebuilt], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut packets = Vec::new();
    const ISN: [u32; 2] = [1_000_000, 3_000_000_000];
    for (conn, streams, pieces) in conns {
        packets.push(tcp_packet(conn, true, ISN[0], 0, 0x02, &[]));
        packets.push(tcp_packet(conn, false, ISN[1], ISN[0] + 1, 0x12, &[]));
        packets.push(tcp_packet(conn, true, ISN[0] + 1, ISN[1] + 1, 0x10, &[]));
        // 7-byte segments of each original piece, in the original order.
        let mut segs: Vec<(bool, usize, usize)> = Vec::new();
        for &(from_client, start, end) in pieces {
            let mut at = start;
            while at < end {
                let stop = (at + 7).min(end);
                segs.push((from_client, at, stop));
                at = stop;
            }
        }
        // Shuffle within windows of 8 (the SYNs tell where each stream
        // starts, so even its first segment may come late), send every
        // fifth twice.
        let mut order: Vec<(bool, usize, usize)> = Vec::new();
        let mut sent = 0usize;
        for window in segs.chunks(8) {
            let mut w: Vec<_> = window.to_vec();
            for i in (1..w.len()).rev() {
                let j = rng.below(i + 1);
                w.swap(i, j);
            }
            for s in w {
                order.push(s);
                sent += 1;
                if sent % 5 == 0 {
                    order.push(s);
                }
            }
        }
        let mut acked = [0usize; 2];
        for (from_client, start, end) in order {
            let d = usize::from(!from_client);
            let other = 1 - d;
            let seq = ISN[d].wrapping_add(1).wrapping_add(start as u32);
            let ack = ISN[other].wrapping_add(1).wrapping_add(acked[other] as u32);
            packets.push(tcp_packet(conn, from_client, seq, ack, 0x18, &streams[d][start..end]));
            if start <= acked[d] {
                acked[d] = acked[d].max(end);
            }
        }
        let ends = [
            ISN[0].wrapping_add(1).wrapping_add(streams[0].len() as u32),
            ISN[1].wrapping_add(1).wrapping_add(streams[1].len() as u32),
        ];
        packets.push(tcp_packet(conn, true, ends[0], ends[1], 0x11, &[]));
        packets.push(tcp_packet(conn, false, ends[1], ends[0] + 1, 0x11, &[]));
        packets.push(tcp_packet(conn, true, ends[0] + 1, ends[1] + 1, 0x10, &[]));
    }
    packets
}

fn write_pcap(path: &Path, packets: &[Vec<u8>]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        out.extend_from_slice(&(1_600_000_000u32 + (i / 1000) as u32).to_le_bytes());
        out.extend_from_slice(&(((i % 1000) * 1000) as u32).to_le_bytes());
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p);
    }
    std::fs::write(path, out).expect("write pcap");
}

/// Records as compared across the rebuild: timestamps, frame numbers and
/// the record-layer length (the re-framing changes them) aside, sorted.
fn comparable(mut clients: Vec<pb::Tls>, mut servers: Vec<pb::TlsServerHello>) -> Vec<String> {
    let mut out: Vec<String> = clients
        .iter_mut()
        .map(|r| {
            r.timestamp = 0;
            r.message_len = 0;
            (r.frame_number_first, r.frame_number_last) = (0, 0);
            format!("{r:?}")
        })
        .chain(servers.iter_mut().map(|r| {
            r.timestamp = 0;
            (r.frame_number_first, r.frame_number_last) = (0, 0);
            format!("{r:?}")
        }))
        .collect();
    out.sort();
    out
}

fn tshark_hashes(view: &TsharkView) -> Vec<String> {
    let mut out: Vec<String> = view
        .client_hellos
        .iter()
        .map(|h| format!("CH {:?} {} {}", h.ports, h.ja3, h.ja3_full))
        .chain(view.server_hellos.iter().map(|h| format!("SH {:?} {} {}", h.ports, h.ja3, h.ja3_full)))
        .collect();
    out.sort();
    out
}

#[test]
fn records_survive_reframing_tiny_segments_reordering_and_retransmission() {
    require_tshark();
    let tmp = tempdir("tls-rebuild");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut compared, mut connections_rebuilt) = (0, 0);
    for (name, path) in tls_captures() {
        let mut rebuilt = Vec::new();
        for (_, conn) in connections(&path) {
            let (Some(client), Some(server)) =
                (stream_bytes(&conn.segments, true), stream_bytes(&conn.segments, false))
            else {
                continue;
            };
            if client.first() != Some(&22) || client.get(5) != Some(&1) {
                continue;
            }
            let (new_c, map_c, end_c) = reframe(&client, 100);
            let (new_s, map_s, end_s) = reframe(&server, 100);
            // The original segments, in capture order, as ranges of the new streams.
            let mut pieces = Vec::new();
            let mut covered = [0usize; 2];
            let mut segs = conn.segments.clone();
            segs.sort_by_key(|s| s.frame);
            for s in &segs {
                let (map, end, d) = if s.from_client { (&map_c, end_c, 0) } else { (&map_s, end_s, 1) };
                let stop = (s.offset + s.payload.len()).min(end);
                if stop <= covered[d] {
                    continue;
                }
                // The new stream's first record header belongs to the first piece.
                let a = if covered[d] == 0 { 0 } else { map[covered[d]] };
                let b = map[stop];
                covered[d] = stop;
                if a < b {
                    pieces.push((s.from_client, a, b));
                }
            }
            rebuilt.push((conn, [new_c, new_s], pieces));
        }
        if rebuilt.is_empty() {
            continue;
        }
        // The original's records of the rebuilt connections.
        let (clients, servers) = run_netcap(&path, &tmp.join("orig"));
        let keep = |ports: (i32, i32)| {
            rebuilt.iter().any(|(c, _, _)| {
                let p = (i32::from(c.ports.0), i32::from(c.ports.1));
                ports == p || ports == (p.1, p.0)
            })
        };
        let clients: Vec<pb::Tls> = clients.into_iter().filter(|r| keep((r.src_port, r.dst_port))).collect();
        let servers: Vec<pb::TlsServerHello> = servers.into_iter().filter(|r| keep((r.src_port, r.dst_port))).collect();
        let rebuilt_path = tmp.join("rebuilt.pcap");
        write_pcap(&rebuilt_path, &rebuild(&rebuilt, &mut rng));
        let (new_clients, new_servers) = run_netcap(&rebuilt_path, &tmp.join("rebuilt"));
        let before = comparable(clients.clone(), servers.clone());
        let after = comparable(new_clients, new_servers);
        if before != after {
            let only_before: Vec<&String> = before.iter().filter(|r| !after.contains(r)).take(3).collect();
            let only_after: Vec<&String> = after.iter().filter(|r| !before.contains(r)).take(3).collect();
            panic!(
                "{name}: records change when rebuilt ({} vs {})\nonly before:\n{only_before:#?}\nonly after:\n{only_after:#?}",
                before.len(),
                after.len()
            );
        }
        // tshark agrees on the rebuilt capture's hellos.
        let original = tshark_hashes(&tshark(&path, &[]));
        let view = tshark(&rebuilt_path, &["-o", "tcp.reassemble_out_of_order:TRUE"]);
        let rebuilt_hashes = tshark_hashes(&view);
        let original: Vec<String> = original.into_iter().filter(|h| rebuilt_hashes.contains(h)).collect();
        let ours: Vec<String> = clients
            .iter()
            .map(|r| format!("CH {:?} {} {}", (r.src_port, r.dst_port), r.ja3, r.ja3_string))
            .chain(servers.iter().map(|r| format!("SH {:?} {} {}", (r.src_port, r.dst_port), r.ja3s, r.ja3s_string)))
            .collect();
        let mut ours_sorted = ours.clone();
        ours_sorted.sort();
        assert_eq!(
            rebuilt_hashes, ours_sorted,
            "{name}: tshark's JA3/JA3S on the rebuilt capture differ from netcap's records"
        );
        assert!(!original.is_empty() || ours.is_empty(), "{name}: tshark shows none of the original's hellos");
        compared += before.len();
        connections_rebuilt += rebuilt.len();
        eprintln!("{name}: {} connections rebuilt, {} records identical, tshark agrees", rebuilt.len(), before.len());
    }
    eprintln!("{compared} TLS records identical over {connections_rebuilt} rebuilt connections");
    assert!(compared > 100 || manifest::other_captures(), "expected hundreds of records to compare, got {compared}");
}

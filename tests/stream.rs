//! The stream stage end to end: bounded memory under a flood of half-open
//! connections, output that does not depend on `-workers`, and connections
//! opened again on the same ports (after the idle timeout, or before it with
//! a new SYN) that keep every record.

#[path = "common/netcap_run.rs"]
#[allow(dead_code)]
mod netcap_run;
#[path = "common/packets.rs"]
mod packets;
#[path = "common/pcap_rewrite.rs"]
#[allow(dead_code)]
mod pcap_rewrite;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netcap-stream-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The records of a file, each as its encoded bytes.
fn records(path: &Path) -> Vec<Vec<u8>> {
    let mut r = netcap::container::RecordReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf = Vec::new();
    let mut out = Vec::new();
    while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        out.push(buf.clone());
    }
    out
}

fn netcap(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netcap")).args(args).output().expect("netcap runs");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// An Ethernet/IPv4/TCP frame.
fn tcp_frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let tcp = packets::tcp_header(sport, dport, seq, 0, flags, 0xffff);
    packets::ipv4_tcp([6, 7, 8, 9, 10, 11], [0, 1, 2, 3, 4, 5], src, dst, tcp, payload)
}

fn pcap_header(w: &mut impl Write) {
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&65535u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    w.write_all(&h).expect("write");
}

fn pcap_packet(w: &mut impl Write, usec_total: u64, frame: &[u8]) {
    let mut h = Vec::with_capacity(16 + frame.len());
    h.extend_from_slice(&((usec_total / 1_000_000) as u32 + 1_700_000_000).to_le_bytes());
    h.extend_from_slice(&((usec_total % 1_000_000) as u32).to_le_bytes());
    h.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    h.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    h.extend_from_slice(frame);
    w.write_all(&h).expect("write");
}

/// 400,000 connections, each a SYN and then 100 bytes that start 1,000
/// bytes after the SYN: a hole that nothing ever fills and no ACK covers.
fn half_open_capture(path: &Path, connections: u32) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    pcap_header(&mut w);
    let payload = [b'x'; 100];
    for i in 0..connections {
        let src = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let dst = [192, 0, 2, 1];
        let sport = 1024 + (i % 60000) as u16;
        let t = u64::from(i) * 10;
        pcap_packet(&mut w, t, &tcp_frame(src, dst, sport, 80, 1000, 0x02, &[]));
        pcap_packet(&mut w, t + 5, &tcp_frame(src, dst, sport, 80, 1001 + 1000, 0x18, &payload));
    }
    w.flush().expect("flush");
}

fn peak_rss_mib(summary: &str) -> u64 {
    let at = summary.find("peak RSS ").unwrap_or_else(|| panic!("no peak RSS in the summary:\n{summary}"));
    summary[at + 9..].split_whitespace().next().and_then(|n| n.parse().ok()).expect("peak RSS is a number")
}

fn count_before(summary: &str, words: &str) -> u64 {
    let at = summary.find(words).unwrap_or_else(|| panic!("no {words:?} in the summary:\n{summary}"));
    // The summary writes thousands separators.
    summary[..at].split_whitespace().last().and_then(|n| n.replace(',', "").parse().ok()).unwrap_or(0)
}

#[test]
fn four_hundred_thousand_half_open_connections_stay_under_500_mb() {
    let dir = tempdir("half-open");
    let capture = dir.join("half-open.pcap");
    half_open_capture(&capture, 400_000);
    let out = dir.join("out");
    // Default settings: every record type, default -memcap.
    let (ok, summary) = netcap(&["-r", capture.to_str().unwrap_or_default(), "-out", out.to_str().unwrap_or_default()]);
    assert!(ok, "netcap failed: {summary}");
    let rss = peak_rss_mib(&summary);
    eprintln!("400,000 half-open connections: peak RSS {rss} MiB\n{summary}");
    assert!(rss < 500, "peak RSS {rss} MiB, the budget is 500 MB:\n{summary}");
    // The budget forced connections out early, and the summary says so.
    assert!(count_before(&summary, "forced out by -memcap") > 0, "{summary}");
    assert!(summary.contains("400,000 connections"), "every connection is counted:\n{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stream_records_are_identical_for_any_number_of_workers() {
    let capture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/pcaps/pcapplusplus/Tests/ExamplesTest/pcap_examples/http-packets.pcap");
    assert!(capture.exists(), "the shared captures are missing: {}", capture.display());
    let dir = tempdir("workers");
    let mut outputs = Vec::new();
    for workers in ["1", "2", "5"] {
        let out = dir.join(workers);
        let (ok, summary) = netcap(&[
            "-r",
            capture.to_str().unwrap_or_default(),
            "-out",
            out.to_str().unwrap_or_default(),
            "-workers",
            workers,
            "-include",
            "HTTP,TCP",
        ]);
        assert!(ok, "{summary}");
        outputs.push(records(&out.join("HTTP.ncap.gz")));
    }
    assert!(outputs[0].len() > 100, "expected HTTP records, got {}", outputs[0].len());
    // The header holds the time the file was made; the records must be equal byte for byte.
    assert!(outputs.iter().all(|o| *o == outputs[0]), "HTTP records differ between -workers 1, 2 and 5");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs netcap on `capture` (stream record types and TCP, uncompressed) and
/// returns its summary.
fn stream_run(capture: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["-r", capture.to_str().unwrap_or_default(), "-out", out.to_str().unwrap_or_default()];
    args.extend(["-comp", "none", "-overwrite", "-include", "TCP,HTTP,TLS,TLSServerHello"]);
    args.extend(extra);
    let (ok, summary) = netcap(&args);
    assert!(ok, "netcap failed on {}: {summary}", capture.display());
    summary
}

/// Records of one type with what differs between copies of a capture
/// (timestamps, frame numbers) taken out, sorted.
fn copies_comparable<M: prost::Message + Default + std::fmt::Debug>(
    path: &Path,
    strip: impl Fn(&mut M),
) -> Vec<String> {
    let mut out: Vec<String> = netcap_run::read_records::<M>(path)
        .into_iter()
        .map(|mut m| {
            strip(&mut m);
            format!("{m:?}")
        })
        .collect();
    out.sort();
    out
}

/// The throughput bench's replica: the bench capture three times, 600 s
/// apart (as `editcap -t` and `mergecap -a` make it), the same packets on the
/// same ports. Connections idle for more than the 5-minute timeout come back
/// as new ones; before the fix, a connection was only timed out at the end
/// of a batch of packets, and the packets of the next copy that came before
/// it went to the stale one: 1,118 instead of 1,128 TLS records here.
#[test]
fn a_capture_replayed_after_the_idle_timeout_gives_its_records_again() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/base.pcap.gz");
    assert!(base.exists(), "the shared bench capture is missing: {}", base.display());
    let dir = tempdir("replayed");
    let plain = dir.join("base.pcap");
    let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(&base).expect("open base.pcap.gz"));
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut gz, &mut bytes).expect("gunzip base.pcap.gz");
    std::fs::write(&plain, bytes).expect("write base.pcap");
    let (link, packets) = pcap_rewrite::read_pcap(&plain).expect("an Ethernet pcap");
    let replica = dir.join("replica.pcap");
    pcap_rewrite::write_pcap(&replica, link, &pcap_rewrite::repeat_on_the_same_ports(&packets, 3, 600, 0));
    stream_run(&plain, &dir.join("one"), &[]);
    let summary = stream_run(&replica, &dir.join("three"), &[]);
    use netcap::schema::pb;
    let tls = |m: &mut pb::Tls| (m.timestamp, m.frame_number_first, m.frame_number_last) = (0, 0, 0);
    let hello = |m: &mut pb::TlsServerHello| (m.timestamp, m.frame_number_first, m.frame_number_last) = (0, 0, 0);
    let http = |m: &mut pb::Http| {
        (m.timestamp, m.response_timestamp, m.frame_number_first, m.frame_number_last) = (0, 0, 0, 0)
    };
    let thrice = |v: Vec<String>| {
        let mut out: Vec<String> = v.into_iter().flat_map(|r| [r.clone(), r.clone(), r]).collect();
        out.sort();
        out
    };
    let one = dir.join("one");
    let three = dir.join("three");
    let single = copies_comparable(&one.join("TLS.ncap"), tls);
    assert!(single.len() > 300, "expected the bench capture's ClientHellos, got {}", single.len());
    assert!(thrice(single) == copies_comparable(&three.join("TLS.ncap"), tls), "TLS records lost:\n{summary}");
    let single = copies_comparable(&one.join("TLSServerHello.ncap"), hello);
    assert!(thrice(single) == copies_comparable(&three.join("TLSServerHello.ncap"), hello), "{summary}");
    let single = copies_comparable(&one.join("HTTP.ncap"), http);
    assert!(single.len() > 1000, "expected the bench capture's HTTP records, got {}", single.len());
    assert!(thrice(single) == copies_comparable(&three.join("HTTP.ncap"), http), "HTTP records lost:\n{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client opening its connections again on the same ports, a minute
/// later and so within the idle timeout, with new initial sequence numbers
/// (a rewritten shared capture): each new SYN ends the open connection and
/// starts another. tshark, which follows port reuse by the SYN's sequence
/// number, is the oracle for where the ClientHellos are.
#[test]
fn a_syn_on_ports_in_use_starts_a_new_connection_as_tshark_sees_it() {
    netcap_run::require_tshark();
    let capture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/pcaps/pcapplusplus/Tests/Pcap++Test/PcapExamples/example.pcap");
    let (link, packets) = pcap_rewrite::read_pcap(&capture).expect("an Ethernet pcap");
    let dir = tempdir("reused");
    let replica = dir.join("replica.pcap");
    pcap_rewrite::write_pcap(&replica, link, &pcap_rewrite::repeat_on_the_same_ports(&packets, 3, 60, 0x4000_0000));
    let summary = stream_run(&replica, &dir.join("three"), &[]);
    assert!(count_before(&summary, "ended by a new connection on") > 50, "{summary}");
    let tshark = Command::new("tshark")
        .arg("-r")
        .arg(&replica)
        .args(["-Y", "tcp and tls.handshake.type == 1", "-T", "fields", "-e", "frame.number"])
        .output()
        .expect("tshark runs");
    let mut expected: Vec<u64> =
        String::from_utf8_lossy(&tshark.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect();
    expected.sort_unstable();
    let records: Vec<netcap::schema::pb::Tls> = netcap_run::read_records(&dir.join("three/TLS.ncap"));
    let mut got: Vec<u64> = records.iter().map(|r| r.frame_number_last).collect();
    got.sort_unstable();
    assert_eq!(expected.len(), 6, "tshark shows the two ClientHellos of each copy");
    assert_eq!(got, expected, "ClientHellos by frame, netcap against tshark:\n{summary}");
    // Every copy's requests, each copy's as many as the capture's own.
    stream_run(&capture, &dir.join("one"), &[]);
    let requests = |d: &str| {
        let records: Vec<netcap::schema::pb::Http> = netcap_run::read_records(&dir.join(d).join("HTTP.ncap"));
        records.iter().filter(|h| !h.request_missing).count()
    };
    assert!(requests("one") > 300);
    assert_eq!(requests("three"), 3 * requests("one"), "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

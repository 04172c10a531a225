//! The stream stage end to end: bounded memory under a flood of half-open
//! connections, and output that does not depend on `-workers`.

#[path = "common/packets.rs"]
mod packets;

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

//! `netcap::defrag` against tshark's reassembly of real captures.
//!
//! For each shared capture with fragments, every IP fragment (the outermost
//! IP header of a packet, found by `Layers::decode`) goes to one
//! `Defragmenter` in capture order. The datagrams it returns must be, in
//! order, the ones tshark reassembles (`ip.reassembled.length`,
//! `ipv6.reassembled.length`: the reassembled payload's length), and each
//! one's UDP checksum must verify, which shows that its bytes, not only its
//! length, are right.
//!
//! Without tshark or `../shared/pcaps` the test says so and passes, unless
//! the environment variable CI is set: then it fails, so that CI never
//! passes by skipping.

use netcap::capture::file::CaptureReader;
use netcap::capture::PacketBatch;
use netcap::decode::{Layer, Layers};
use netcap::defrag::{DefragConfig, DefragStats, Defragmenter};
use std::path::{Path, PathBuf};
use std::process::Command;

const TSHARK: &str = "/usr/bin/tshark";

/// A capture and the defragmenter's counts on it (`datagrams` is also
/// tshark's count).
struct Case {
    path: &'static str,
    stats: DefragStats,
}

const CASES: &[Case] = &[
    // NFS over UDP/IPv4: 1,859 fragments of 192 datagrams, most captured
    // twice. A second copy that comes while its datagram is incomplete is
    // an overlap with equal bytes (617); one that comes after completion
    // starts a datagram that never completes and times out 30 s later
    // (109; 6 more are pending at the end, as are the two datagrams whose
    // fragments the capture lacks). The counts equal those of an
    // independent replay of tshark's fragment fields (offset, MF, length, time).
    Case {
        path: "pcapplusplus/Tests/ExamplesTest/pcap_examples/ip-frag.pcap",
        stats: DefragStats { fragments: 1859, datagrams: 190, overlaps: 617, timed_out: 109, ..ZERO },
    },
    // mDNS and UDP over IPv6: 36 fragments of 4 datagrams.
    Case {
        path: "pcapplusplus/Tests/Pcap++Test/PcapExamples/ip6_fragments.pcap",
        stats: DefragStats { fragments: 36, datagrams: 4, ..ZERO },
    },
];

const ZERO: DefragStats = DefragStats {
    fragments: 0,
    datagrams: 0,
    overlaps: 0,
    overlaps_differ: 0,
    timed_out: 0,
    too_many_fragments: 0,
    evicted: 0,
    invalid: 0,
};

const UDP: u8 = 17;

/// The shared captures folder, or None (after saying why) when it or
/// tshark is missing outside CI.
fn prerequisites() -> Option<PathBuf> {
    let pcaps = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps");
    let tshark_runs = Command::new(TSHARK).arg("--version").output().is_ok_and(|o| o.status.success());
    let missing = match (pcaps.is_dir(), tshark_runs) {
        (true, true) => return Some(pcaps),
        (false, _) => format!("the shared captures {} (they sit beside the repository)", pcaps.display()),
        (true, false) => format!("{TSHARK} (Debian package tshark)"),
    };
    if std::env::var_os("CI").is_some() {
        panic!("defrag_tshark needs {missing}, and CI is set: it must not pass by skipping");
    }
    eprintln!("defrag_tshark skipped: missing {missing}");
    None
}

/// The reassembled payload lengths tshark reports, in frame order.
fn tshark_reassembled_lengths(capture: &Path) -> Vec<usize> {
    let out = Command::new(TSHARK)
        .arg("-r")
        .arg(capture)
        .args(["-Y", "ip.reassembled.length or ipv6.reassembled.length"])
        .args(["-T", "fields", "-e", "ip.reassembled.length", "-e", "ipv6.reassembled.length"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {TSHARK}: {e}"));
    assert!(out.status.success(), "tshark failed on {}: {}", capture.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let value =
                line.split('\t').find(|v| !v.is_empty()).unwrap_or_else(|| panic!("empty tshark line {line:?}"));
            value.parse().unwrap_or_else(|e| panic!("tshark length {value:?}: {e}"))
        })
        .collect()
}

/// Where `inner` starts within `outer` (a view's field within its packet).
fn offset_in(outer: &[u8], inner: &[u8]) -> usize {
    (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize).expect("a field of the frame")
}

/// The bytes of the packet's outermost IP header and what follows, if that
/// header is a fragment's. The views do not expose their start, so it is
/// found from the source address's position (byte 12 of IPv4, 8 of IPv6).
fn outermost_fragment<'a>(layers: &Layers, frame: &'a [u8]) -> Option<&'a [u8]> {
    let is_ipv6_fragment = layers.layers().any(|l| matches!(l, Layer::Ipv6Fragment(_)));
    let start = layers.layers().find_map(|l| match l {
        Layer::Ipv4(p) => (p.flags() & 1 == 1 || p.frag_offset() > 0).then(|| offset_in(frame, p.src()) - 12),
        Layer::Ipv6(p) => is_ipv6_fragment.then(|| offset_in(frame, p.src()) - 8),
        _ => None,
    })?;
    frame.get(start..)
}

/// Sum of 16-bit big-endian words, unfolded.
fn word_sum(bytes: &[u8]) -> u64 {
    bytes.chunks(2).map(|c| u64::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum()
}

/// Whether the UDP checksum of a reassembled datagram (no IPv6 extension
/// headers) verifies over its pseudo-header (RFC 768, RFC 8200 8.1).
fn udp_checksum_verifies(datagram: &[u8]) -> bool {
    let (addresses, header_len) = match datagram[0] >> 4 {
        4 => (&datagram[12..20], usize::from(datagram[0] & 0x0f) * 4),
        _ => (&datagram[8..40], 40),
    };
    // The checksum covers the UDP length, which may end before the IP
    // payload (the first IPv6 datagram here carries 4 bytes more).
    let udp_len = usize::from(u16::from_be_bytes([datagram[header_len + 4], datagram[header_len + 5]]));
    let udp = &datagram[header_len..header_len + udp_len];
    if udp[6..8] == [0, 0] {
        return true; // no checksum (IPv4 only)
    }
    let mut sum = word_sum(addresses) + u64::from(UDP) + udp.len() as u64 + word_sum(udp);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum == 0xffff
}

/// The reassembled payload length, as tshark counts it, and the protocol.
fn payload_len_and_protocol(datagram: &[u8]) -> (usize, u8) {
    match datagram[0] >> 4 {
        4 => {
            let total = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
            (total - usize::from(datagram[0] & 0x0f) * 4, datagram[9])
        }
        _ => (usize::from(u16::from_be_bytes([datagram[4], datagram[5]])), datagram[6]),
    }
}

/// Feeds every fragment of a capture to one defragmenter; returns the
/// datagrams in the order they completed and the defragmenter's counts.
fn defragment(capture: &Path) -> (Vec<Vec<u8>>, DefragStats) {
    let mut reader = CaptureReader::open(capture).unwrap_or_else(|e| panic!("{}: {e}", capture.display()));
    let mut batch = PacketBatch::with_capacity(1024, 1 << 20);
    while reader.fill(&mut batch, usize::MAX, usize::MAX).unwrap_or_else(|w| panic!("{}", w.message)) {}
    let mut defragmenter = Defragmenter::new(DefragConfig::default());
    let mut datagrams = Vec::new();
    for (meta, frame) in batch.iter() {
        let layers = Layers::decode(meta.link_type, meta.timestamp, frame, meta.orig_len as usize);
        if let Some(ip) = outermost_fragment(&layers, frame) {
            datagrams.extend(defragmenter.add(ip, meta.timestamp));
        }
        assert!(defragmenter.buffered_bytes() <= DefragConfig::default().max_bytes);
    }
    (datagrams, defragmenter.stats())
}

#[test]
fn reassembled_datagrams_equal_tsharks() {
    let Some(pcaps) = prerequisites() else { return };
    for case in CASES {
        let capture = pcaps.join(case.path);
        let expected = tshark_reassembled_lengths(&capture);
        let (datagrams, stats) = defragment(&capture);
        let got: Vec<(usize, u8)> = datagrams.iter().map(|d| payload_len_and_protocol(d)).collect();
        println!(
            "{}: tshark {} datagrams ({} bytes), netcap {} ({} bytes); {stats:?}",
            case.path,
            expected.len(),
            expected.iter().sum::<usize>(),
            got.len(),
            got.iter().map(|(len, _)| len).sum::<usize>()
        );
        assert_eq!(got.iter().map(|(len, _)| *len).collect::<Vec<_>>(), expected, "{}: reassembled lengths", case.path);
        assert!(got.iter().all(|(_, protocol)| *protocol == UDP), "{}: UDP datagrams", case.path);
        for (i, d) in datagrams.iter().enumerate() {
            assert!(udp_checksum_verifies(d), "{}: datagram {i}: UDP checksum", case.path);
        }
        assert_eq!(stats, case.stats, "{}: counts", case.path);
    }
}

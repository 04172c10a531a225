//! Replays every input the fuzzers ever reported (kept under
//! `tests/fuzz-regressions/<target>/`, one file each, named after the
//! bug) through the same harness the fuzz targets run, plus a few
//! hand-made edge cases. A new crash input goes into that folder with the
//! fix that makes it pass.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions").join(target);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    entries.sort();
    for path in &entries {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("{target}: {}", path.display());
        run(&data);
    }
    entries.len()
}

#[test]
fn decode_packet_inputs() {
    replay("decode_packet", harness::decode_packet);
    // Every link type with empty, tiny and all-ones frames.
    for link in harness::LINK_TYPES.iter().chain(&[u32::MAX]) {
        for frame in [&[][..], &[0x45][..], &[0xff; 64][..], &[0x60; 80][..]] {
            let mut input = link.to_le_bytes().to_vec();
            input.extend_from_slice(frame);
            harness::decode_packet(&input);
        }
    }
}

#[test]
fn capture_reader_inputs() {
    replay("capture_reader", harness::capture_reader);
    for data in [
        &[][..],
        &[0xd4, 0xc3, 0xb2, 0xa1][..],
        &[0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0][..],
        &[0x1f, 0x8b][..],
        &[0x28, 0xb5, 0x2f, 0xfd][..],
    ] {
        harness::capture_reader(data);
    }
}

#[test]
fn ncap_reader_inputs() {
    replay("ncap_reader", harness::ncap_reader);
    for data in [&[][..], &[0xff; 11][..], &[0x1f, 0x8b, 8, 0][..], &[0x28, 0xb5, 0x2f, 0xfd, 0, 0][..]] {
        harness::ncap_reader(data);
    }
}

#[test]
fn ssh_decoder_inputs() {
    replay("ssh_decoder", harness::ssh_decoder);
    // Empty input, a lone banner, the same with the smallest buffer (32 bytes).
    for data in [&[][..], &b"\xff\x1eSSH-2.0-x\r\n"[..], &b"\x00\x1eSSH-2.0-x\r\n\x01"[..]] {
        harness::ssh_decoder(data);
    }
}

#[test]
fn http_and_tls_decoder_inputs() {
    // Empty input, a request start, a ClientHello record start; default and
    // smallest buffers.
    let inputs: [&[u8]; 4] =
        [b"", b"\xff\x24GET / HTTP/1.1\r\n\r\n", b"\x00\x0c\x16\x03\x01\x00\x05\x01", b"\xff\xf2\xf3"];
    for data in inputs {
        harness::http_decoder(data);
        harness::tls_decoder(data);
    }
}

/// Record files of the project's own captures with one byte changed,
/// through the `ncap_reader` harness: every printer of `netcap read` and
/// the Parquet table of `netcap export` on damaged records, which must
/// fail alike (or succeed alike) and never panic. Deterministic: a fixed
/// xorshift sequence picks positions and values.
#[test]
fn ncap_records_with_a_changed_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("netcap-fuzz-ncap-{}", std::process::id()));
    for pcap in ["testdata/sample.pcap", "testdata/sample-links.pcapng"] {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_netcap"))
            .args(["-r", root.join(pcap).to_str().expect("path"), "-out", out.to_str().expect("path")])
            .args(["-comp=false", "-quiet", "-overwrite"])
            .status()
            .expect("run netcap");
        assert!(status.success(), "netcap -r {pcap}");
        let mut files: Vec<_> = std::fs::read_dir(&out)
            .expect("output")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ncap"))
            .collect();
        files.sort();
        assert!(files.len() > 10, "{pcap}: {} record files", files.len());
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for path in &files {
            let original = std::fs::read(path).expect("record file");
            harness::ncap_reader(&original);
            for _ in 0..300 {
                let mut data = original.clone();
                let at = (next() % data.len() as u64) as usize;
                data[at] = match next() % 4 {
                    0 => 0xff,
                    1 => 0x80,
                    2 => 0x00,
                    _ => data[at] ^ (1 << (next() % 8)),
                };
                harness::ncap_reader(&data);
            }
        }
    }
    std::fs::remove_dir_all(&out).ok();
}

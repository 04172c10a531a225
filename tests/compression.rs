//! `-comp gzip|zstd|none` (issue 15): the three outputs of one shared
//! capture hold the same records byte for byte, every reader recognises
//! the compression by magic bytes (not by name), and the flag's Go Netcap
//! spellings keep their meaning. Damaged zstd files: tests/read.rs.

use netcap::container::RecordReader;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[path = "common/cli.rs"]
mod cli;
use cli::{netcap, pcap, run_stdout, s, temp_dir};

/// Many protocols (ARP, DNS, ICMP, IPv6, SCTP, flows, ...) in one capture.
const CAPTURE: &str = "pcapplusplus/Tests/ExamplesTest/pcap_examples/many-protocols.pcap";

/// Runs netcap on the shared capture into a fresh directory.
fn capture(name: &str, extra: &[&str]) -> PathBuf {
    let out = temp_dir(name);
    let pcap = pcap(CAPTURE);
    let mut args = vec!["-r", s(&pcap), "-out", s(&out), "-quiet"];
    args.extend_from_slice(extra);
    run_stdout(&args);
    out
}

/// Record files of `dir` by record type, with their names.
fn record_files(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = e.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_owned();
        if let Some(i) = name.find(".ncap") {
            files.insert(name[..i].to_owned(), path);
        }
    }
    files
}

/// Every record's bytes, after decompression, and the header's type.
fn records(path: &Path) -> (String, Vec<Vec<u8>>) {
    let mut r = RecordReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut all = Vec::new();
    let mut buf = Vec::new();
    while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        all.push(buf.clone());
    }
    (r.header().r#type.clone(), all)
}

fn magic(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("read");
    bytes[..4.min(bytes.len())].to_vec()
}

#[test]
fn gzip_zstd_and_none_hold_identical_records() {
    let gz = record_files(&capture("same-gz", &["-comp", "gzip"]));
    let zst = record_files(&capture("same-zst", &["-comp", "zstd"]));
    let none = record_files(&capture("same-none", &["-comp=none"]));
    assert!(gz.len() >= 20, "{gz:?}");
    assert_eq!(gz.keys().collect::<Vec<_>>(), zst.keys().collect::<Vec<_>>());
    assert_eq!(gz.keys().collect::<Vec<_>>(), none.keys().collect::<Vec<_>>());
    let mut total = 0;
    for (ty, gz_path) in &gz {
        let (zst_path, none_path) = (&zst[ty], &none[ty]);
        assert!(s(gz_path).ends_with(".ncap.gz") && magic(gz_path).starts_with(&[0x1f, 0x8b]), "{}", gz_path.display());
        assert!(s(zst_path).ends_with(".ncap.zst"), "{}", zst_path.display());
        assert_eq!(magic(zst_path), [0x28, 0xb5, 0x2f, 0xfd], "{}", zst_path.display());
        assert!(s(none_path).ends_with(&format!("{ty}.ncap")), "{}", none_path.display());
        let (t1, a) = records(gz_path);
        let (t2, b) = records(zst_path);
        let (t3, c) = records(none_path);
        assert_eq!((&t1, &t2, &t3), (ty, ty, ty));
        assert!(!a.is_empty(), "{ty}");
        assert!(a == b, "{ty}: zstd records differ from gzip's");
        assert!(a == c, "{ty}: uncompressed records differ from gzip's");
        total += a.len();
    }
    assert!(total > 1000, "{total} records");
}

#[test]
fn read_prints_the_same_for_zstd_as_for_gzip() {
    let gz = record_files(&capture("read-gz", &[]));
    let zst = record_files(&capture("read-zst", &["-comp=zstd"]));
    for ty in ["TCP", "DNS", "HTTP", "Connection", "IPv4"] {
        let (g, z) = (s(&gz[ty]), s(&zst[ty]));
        let csv = run_stdout(&["read", z]);
        assert!(csv.lines().count() > 1, "{ty}: {csv}");
        assert_eq!(csv, run_stdout(&["read", g]), "{ty}");
        assert_eq!(run_stdout(&["-r", z, "-json"]), run_stdout(&["-r", g, "-json"]), "{ty}");
        assert_eq!(
            run_stdout(&["read", z, "-header"]).lines().count(),
            run_stdout(&["read", g, "-header"]).lines().count()
        );
    }
}

#[test]
fn compression_is_recognised_by_content_not_by_name() {
    let dir = capture("renamed", &["-comp", "zstd"]);
    let zst = dir.join("UDP.ncap.zst");
    let expected = run_stdout(&["read", s(&zst)]);
    let other = temp_dir("renamed-files");
    for name in ["UDP.ncap.gz", "UDP.ncap", "records.bin"] {
        let renamed = other.join(name);
        std::fs::copy(&zst, &renamed).expect("copy");
        assert_eq!(run_stdout(&["read", s(&renamed)]), expected, "{name}");
        assert_eq!(run_stdout(&["-r", s(&renamed)]), expected, "-r {name}");
    }
    // A gzip file named .ncap.zst reads too.
    let gz = capture("renamed-gz", &[]).join("UDP.ncap.gz");
    let misnamed = other.join("gzip.ncap.zst");
    std::fs::copy(&gz, &misnamed).expect("copy");
    assert_eq!(run_stdout(&["read", s(&misnamed)]), expected);
}

#[test]
fn comp_flag_values_and_file_names() {
    let pcap = repo_sample();
    for (args, suffix) in [
        (vec![], ".ncap.gz"),
        (vec!["-comp"], ".ncap.gz"),
        (vec!["-comp=true"], ".ncap.gz"),
        (vec!["-comp", "gzip"], ".ncap.gz"),
        (vec!["-comp=false"], ".ncap"),
        (vec!["-comp", "false"], ".ncap"),
        (vec!["--comp=none"], ".ncap"),
        (vec!["-comp", "zstd"], ".ncap.zst"),
    ] {
        let out = temp_dir("flag");
        let mut all = vec!["-r", s(&pcap), "-out", s(&out), "-quiet"];
        all.extend_from_slice(&args);
        run_stdout(&all);
        let files = record_files(&out);
        assert!(!files.is_empty(), "{args:?}");
        for (ty, path) in &files {
            assert_eq!(path.file_name().and_then(|n| n.to_str()), Some(format!("{ty}{suffix}").as_str()), "{args:?}");
        }
    }
    let out = temp_dir("flag-bad");
    let bad = netcap(&["-r", s(&pcap), "-out", s(&out), "-comp", "lz4"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("choose gzip, zstd or none"), "{err}");
}

fn repo_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample.pcap")
}

/// The "refuse to mix with old output" check and `-overwrite` know
/// `.ncap.zst`: a gzip run into a zstd run's directory is refused, and
/// with `-overwrite` no `.ncap.zst` is left beside the new `.ncap.gz`.
#[test]
fn overwrite_knows_zstd_output() {
    let pcap = repo_sample();
    let out = temp_dir("overwrite");
    run_stdout(&["-r", s(&pcap), "-out", s(&out), "-quiet", "-comp", "zstd", "-include", "TCP,UDP"]);
    // Only record files: the other outputs are checked by tests/capture.rs.
    for name in ["errors.log", "errors.pcap", "unknown.pcap", "unknown.tsv"] {
        let _ = std::fs::remove_file(out.join(name));
    }
    assert!(out.join("TCP.ncap.zst").is_file());
    let refused = netcap(&["-r", s(&pcap), "-out", s(&out), "-quiet"]);
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("already holds netcap output (TCP.ncap.zst, UDP.ncap.zst)"), "{err}");
    run_stdout(&["-r", s(&pcap), "-out", s(&out), "-quiet", "-overwrite", "-include", "TCP"]);
    assert!(out.join("TCP.ncap.gz").is_file());
    assert!(!out.join("TCP.ncap.zst").exists() && !out.join("UDP.ncap.zst").exists());
}

/// A capture compressed with zstd decodes like the plain one.
#[test]
fn zstd_compressed_captures_are_read() {
    let pcap = repo_sample();
    let dir = temp_dir("zstd-capture");
    let zst = dir.join("sample.pcap.zst");
    let bytes = std::fs::read(&pcap).expect("sample");
    std::fs::write(&zst, zstd::stream::encode_all(bytes.as_slice(), 3).expect("zstd")).expect("write");
    let plain = capture_of(&pcap, "zstd-capture-plain");
    let packed = capture_of(&zst, "zstd-capture-packed");
    let (a, b) = (record_files(&plain), record_files(&packed));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (ty, path) in &a {
        assert!(records(path).1 == records(&b[ty]).1, "{ty}");
    }
}

fn capture_of(pcap: &Path, name: &str) -> PathBuf {
    let out = temp_dir(name);
    run_stdout(&["-r", s(pcap), "-out", s(&out), "-quiet"]);
    out
}

/// Issue 16: a truncated compressed capture said only "read error"; now it
/// says where its compressed bytes end and how much capture data came
/// before, and the packets before are still decoded.
#[test]
fn truncated_compressed_captures_say_where_they_end() {
    let pcap = std::fs::read(pcap(CAPTURE)).expect("capture");
    let dir = temp_dir("cut-capture");
    let gzip = {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&pcap).expect("gzip");
        enc.finish().expect("gzip")
    };
    let zstd = zstd::stream::encode_all(pcap.as_slice(), 1).expect("zstd");
    for (kind, packed) in [("gzip", gzip), ("zstd", zstd)] {
        let cut = packed.len() / 2;
        let file = dir.join(format!("cut-{kind}.pcapng.{kind}"));
        std::fs::write(&file, &packed[..cut]).expect("write");
        let out = dir.join(format!("out-{kind}"));
        let run = netcap(&["-r", s(&file), "-out", s(&out), "-quiet"]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "the packets before the cut are decoded: {err}");
        assert!(
            err.contains(&format!("{kind} input ends or is damaged at compressed byte offset {cut} (")),
            "{kind}: {err}"
        );
        assert!(err.contains("bytes of capture data; stopping"), "{err}");
        assert!(!err.contains(": read error"), "{err}");
        assert!(out.join("TCP.ncap.gz").is_file());

        // Cut before the first block: the file cannot be opened, and says why.
        let stub = dir.join(format!("stub-{kind}.pcapng.{kind}"));
        std::fs::write(&stub, &packed[..20]).expect("write");
        let run = netcap(&["-r", s(&stub), "-out", s(&dir.join(format!("stub-out-{kind}"))), "-quiet"]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("{kind} input ends or is damaged at compressed byte offset 20 (")), "{err}");
    }
}

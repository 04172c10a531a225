//! Parquet output: `-format parquet|both` during a capture and
//! `netcap export` of record files give the same tables; `-hive` lays out
//! one partition per (type, capture); damaged record files are reported
//! with file and offset, never a panic. Values and types as readers see
//! them are checked from Python (tests/parquet_python.rs).

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netcap-parquet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn netcap(args: &[&str]) -> Output {
    Command::new(NETCAP).args(args).output().expect("netcap runs")
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "netcap failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn capture(pcap: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["-r", pcap.to_str().expect("path"), "-out", out.to_str().expect("path"), "-quiet"];
    args.extend_from_slice(extra);
    ok(netcap(&args));
}

/// Files in `dir` whose names end with `suffix`, by the name before it.
fn files(dir: &Path, suffix: &str) -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.strip_suffix(suffix)?.to_owned();
            Some((name, p))
        })
        .collect()
}

fn read_table(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .expect("reader")
        .collect::<Result<Vec<_>, _>>()
        .expect("batches")
}

fn rows(path: &Path) -> usize {
    read_table(path).iter().map(RecordBatch::num_rows).sum()
}

/// Records of a record file, as `netcap read -json` counts them.
fn ncap_records(path: &Path) -> usize {
    let out = ok(netcap(&["read", "-json", path.to_str().expect("path")]));
    out.stdout.iter().filter(|&&b| b == b'\n').count()
}

fn sample() -> PathBuf {
    repo().join("testdata/sample.pcap")
}

#[test]
fn capture_with_format_both_and_export_give_the_same_tables() {
    let dir = temp("both");
    let (run, exported) = (dir.join("run"), dir.join("exported"));
    capture(&sample(), &run, &["-format", "both"]);
    let ncap = files(&run, ".ncap.gz");
    let parquet = files(&run, ".parquet");
    assert!(ncap.len() > 20, "{ncap:?}");
    assert_eq!(ncap.keys().collect::<Vec<_>>(), parquet.keys().collect::<Vec<_>>());
    ok(netcap(&["export", "-quiet", "-out", exported.to_str().expect("path"), run.to_str().expect("path")]));
    let exported_files = files(&exported, ".parquet");
    assert_eq!(exported_files.keys().collect::<Vec<_>>(), parquet.keys().collect::<Vec<_>>());
    for (name, path) in &parquet {
        let direct = read_table(path);
        let converted = read_table(&exported_files[name]);
        assert_eq!(direct, converted, "{name}");
        let n: usize = direct.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(n, ncap_records(&ncap[name]), "{name}");
    }
    // No unfinished file is left behind.
    assert!(files(&run, ".partial").is_empty());
}

#[test]
fn format_parquet_writes_no_record_files_and_is_claimed_by_overwrite() {
    let out = temp("only").join("out");
    capture(&sample(), &out, &["-format", "parquet"]);
    assert!(files(&out, ".ncap.gz").is_empty());
    let tables = files(&out, ".parquet");
    assert!(tables.contains_key("TCP") && tables.contains_key("DNS"), "{tables:?}");
    // A second run into the same directory is refused: its tables are
    // netcap output; -overwrite replaces them.
    let again = netcap(&["-r", sample().to_str().expect("path"), "-out", out.to_str().expect("path"), "-quiet"]);
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already holds netcap output (ARP.parquet"), "{stderr}");
    capture(&sample(), &out, &["-format", "parquet", "-overwrite"]);
    assert!(rows(&tables["TCP"]) > 0);
}

#[test]
fn hive_layout_has_one_partition_per_type_and_capture() {
    let dir = temp("hive");
    let links = repo().join("testdata/sample-links.pcapng");
    capture(&sample(), &dir.join("a"), &["-comp=false"]);
    capture(&links, &dir.join("b"), &[]);
    let (set, a, b) = (dir.join("set"), dir.join("a"), dir.join("b"));
    // Switches right before the inputs: `-hive a` is the switch, then an
    // input, not -hive given the value "a".
    let args =
        ["export", "-quiet", "-out", set.to_str().expect("p"), "-hive", a.to_str().expect("p"), b.to_str().expect("p")];
    ok(netcap(&args));
    for (sub, capture_name, suffix) in [("a", "sample.pcap", ".ncap"), ("b", "sample-links.pcapng", ".ncap.gz")] {
        let inputs = files(&dir.join(sub), suffix);
        assert!(!inputs.is_empty());
        for (name, path) in inputs {
            let part = set.join(format!("type={name}")).join(format!("capture={capture_name}")).join("part-0.parquet");
            assert!(part.exists(), "{}", part.display());
            assert_eq!(rows(&part), ncap_records(&path), "{}", part.display());
        }
    }
    // Exporting again is refused (exit 2) unless -overwrite.
    assert_eq!(netcap(&args).status.code(), Some(2));
    let mut again = args.to_vec();
    again.insert(5, "-overwrite");
    ok(netcap(&again));
}

#[test]
fn damaged_record_files_are_reported_with_file_and_offset() {
    let dir = temp("damaged");
    let run = dir.join("run");
    capture(&sample(), &run, &["-comp=false", "-include", "TCP,DNS"]);
    let tcp = std::fs::read(run.join("TCP.ncap")).expect("TCP.ncap");
    let dns = std::fs::read(run.join("DNS.ncap")).expect("DNS.ncap");
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).expect("dir");
    // Cut in the middle of the last record.
    std::fs::write(bad.join("TCP.ncap"), &tcp[..tcp.len() - 3]).expect("write");
    // One more record whose first field key has wire type 7 (invalid).
    let mut garbled = dns.clone();
    garbled.extend_from_slice(&[0x02, 0x0f, 0x00]);
    std::fs::write(bad.join("DNS.ncap"), &garbled).expect("write");
    let out = dir.join("out");
    let r = netcap(&["export", "-out", out.to_str().expect("p"), bad.to_str().expect("p")]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for name in ["TCP.ncap", "DNS.ncap"] {
        let line = stderr
            .lines()
            .find(|l| l.contains(name) && l.contains("byte offset"))
            .unwrap_or_else(|| panic!("{name}: {stderr}"));
        assert!(line.contains(&bad.join(name).display().to_string()), "{line}");
    }
    // The records before the damage are kept, in a complete file.
    let tcp_records = ncap_records(&run.join("TCP.ncap"));
    assert_eq!(rows(&out.join("TCP.parquet")), tcp_records - 1);
    assert_eq!(rows(&out.join("DNS.parquet")), ncap_records(&run.join("DNS.ncap")));
}

/// A record of 450,000 empty DNS answers (900 KB) would expand to about
/// twelve million values, 1.7 GB of columns or JSON at its size in
/// earlier releases; `read` and `export` both refuse it, naming file and
/// offset, and keep the records before it.
#[test]
fn a_record_that_expands_past_the_value_limit_is_refused_by_read_and_export() {
    let dir = temp("expands");
    let run = dir.join("run");
    capture(&sample(), &run, &["-comp=false", "-include", "DNS"]);
    let mut dns = std::fs::read(run.join("DNS.ncap")).expect("DNS.ncap");
    let good = ncap_records(&run.join("DNS.ncap"));
    let answers = netcap::schema::message("DNS").and_then(|d| d.get_field_by_name("Answers")).expect("Answers");
    let mut empty_answer = Vec::new();
    prost::encoding::encode_key(answers.number(), prost::encoding::WireType::LengthDelimited, &mut empty_answer);
    empty_answer.push(0);
    let record = empty_answer.repeat(450_000);
    let offset = dns.len();
    prost::encoding::encode_varint(record.len() as u64, &mut dns);
    dns.extend_from_slice(&record);
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).expect("dir");
    let file = bad.join("DNS.ncap");
    std::fs::write(&file, &dns).expect("write");
    let out = dir.join("out");
    let export = netcap(&["export", "-out", out.to_str().expect("p"), file.to_str().expect("p")]);
    let read = netcap(&["read", "-json", file.to_str().expect("p")]);
    for r in [&export, &read] {
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{stderr}");
        let expected = format!("{}: record {} at byte offset {offset}", file.display(), good + 1);
        assert!(stderr.contains(&expected), "{expected:?} not in {stderr}");
        assert!(stderr.contains("expands to more than 8388608 values"), "{stderr}");
    }
    assert_eq!(rows(&out.join("DNS.parquet")), good);
    assert_eq!(String::from_utf8_lossy(&read.stdout).lines().count(), good);
}

#[test]
fn export_refuses_what_is_not_a_record_file() {
    let dir = temp("refuse");
    let r = netcap(&["export", "-out", dir.join("out").to_str().expect("p"), sample().to_str().expect("p")]);
    assert_eq!(r.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("sample.pcap") && !stderr.contains("panicked"), "{stderr}");
    let r = netcap(&["export", "-out", dir.join("out").to_str().expect("p"), dir.join("missing").to_str().expect("p")]);
    assert_eq!(r.status.code(), Some(2));
}

//! Interoperability: Python's `protobuf` package, with the schema compiled
//! at test time by grpcio-tools' protoc, decodes netcap's files through the
//! reader published in README.md and gets the values `netcap read`
//! prints (JSON and CSV); pandas loads CSV/TSV exports with numeric dtypes
//! and the right row counts.
//!
//! Needs python3 (or $NETCAP_PYTHON) with tests/python/requirements.txt
//! installed; without them these tests fail and say so.

use std::path::{Path, PathBuf};
use std::process::Command;

const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> String {
    std::env::var("NETCAP_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn require_python_packages() {
    let probe = Command::new(python())
        .args(["-c", "import google.protobuf, grpc_tools, pandas, zstandard"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}): these tests need Python 3", python()));
    assert!(
        probe.status.success(),
        "Python packages for the interoperability tests are missing:\n{}\ninstall them with: {} -m pip install -r tests/python/requirements.txt",
        String::from_utf8_lossy(&probe.stderr),
        python()
    );
}

/// Record files of shared captures, written into a fresh directory.
fn record_files(name: &str, captures: &[(&str, &[&str])]) -> Vec<PathBuf> {
    let root = std::env::temp_dir().join(format!("netcap-py-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut files = Vec::new();
    for (i, (capture, extra)) in captures.iter().enumerate() {
        let out = root.join(i.to_string());
        std::fs::create_dir_all(&out).expect("temp dir");
        let pcap = repo().join("../shared/pcaps").join(capture);
        assert!(pcap.exists(), "missing {} — the shared material must sit beside the repository", pcap.display());
        let mut args = vec![
            "-r".to_owned(),
            pcap.display().to_string(),
            "-out".into(),
            out.display().to_string(),
            "-quiet".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let st = Command::new(NETCAP).args(&args).status().expect("netcap runs");
        assert!(st.success(), "capture {capture}");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&out)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.to_string_lossy().contains(".ncap"))
            .collect();
        names.sort();
        files.extend(names);
    }
    files
}

fn run_script(script: &str, files: &[PathBuf]) -> String {
    let mut cmd = Command::new(python());
    cmd.arg(repo().join("tests/python").join(script)).arg(repo()).arg(NETCAP);
    cmd.args(files);
    let out = cmd.output().expect("python runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed:\n{text}");
    text
}

#[test]
fn python_protobuf_decodes_the_values_netcap_prints() {
    require_python_packages();
    let files = record_files(
        "interop",
        &[
            ("pcapplusplus/Tests/ExamplesTest/pcap_examples/many-protocols.pcap", &[]),
            ("tcpdump/tests/icmpv6.pcap", &[]),
            ("chrissanders-packets/icmpv6_neighbor_solicitation.pcapng", &[]),
            // Nanosecond timestamps, payload bytes, and uncompressed files.
            ("tcpdump/tests/tcp-handshake-nano.pcap", &["-payload", "-comp=false"]),
            // zstd files (issue 15).
            ("tcpdump/tests/icmpv6.pcap", &["-comp", "zstd"]),
            ("chrissanders-packets/http_espn.pcapng", &["-comp=zstd"]),
            ("chrissanders-packets/http_espn.pcapng", &["-payload"]),
        ],
    );
    assert!(files.len() >= 20, "{files:?}");
    let zstd = files.iter().filter(|f| f.to_string_lossy().ends_with(".ncap.zst")).count();
    assert!(zstd >= 10, "{files:?}");
    let text = run_script("interop.py", &files);
    let types: Vec<&str> = text.lines().filter(|l| l.ends_with("records agree")).collect();
    assert_eq!(types.len(), files.len(), "{text}");
    assert!(text.contains("interop: "), "{text}");
}

#[test]
fn pandas_loads_csv_exports_with_numeric_dtypes() {
    require_python_packages();
    let files = record_files(
        "pandas",
        &[("chrissanders-packets/http_espn.pcapng", &[]), ("tcpdump/tests/tcp-handshake-nano.pcap", &[])],
    );
    let text = run_script("pandas_check.py", &files);
    assert!(text.contains(&format!("pandas: {} files load with numeric dtypes", files.len())), "{text}");
}

#[test]
fn the_readme_snippet_is_about_ten_lines() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README.md");
    let block = doc.split("```python\n").nth(1).and_then(|b| b.split("```").next()).expect("a python block");
    let lines = block.lines().filter(|l| !l.trim().is_empty()).count();
    assert!((8..=13).contains(&lines), "{lines} lines");
}

/// Issue 16: `-json` wrote nanosecond timestamps as numbers that readers
/// round to the microsecond. The default RFC 3339 string and `-ts ns` both
/// reach Python's json and pandas with every nanosecond tshark shows.
#[test]
fn json_timestamps_reach_python_and_pandas_with_every_nanosecond() {
    require_python_packages();
    let capture = "tcpdump/tests/tcp-handshake-nano.pcap";
    let files = record_files("json-ts", &[(capture, &[])]);
    let tcp = files.iter().find(|f| f.ends_with("TCP.ncap.gz")).expect("TCP.ncap.gz");
    let tshark = Command::new("tshark")
        .args(["-r", &repo().join("../shared/pcaps").join(capture).display().to_string()])
        .args(["-Y", "tcp", "-T", "fields", "-e", "frame.time_epoch"])
        .output()
        .unwrap_or_else(|e| panic!("tshark is the oracle here and could not be run ({e}): apt-get install tshark"));
    assert!(tshark.status.success());
    // tshark prints nine fraction digits: dropping the point gives nanoseconds.
    let want: Vec<String> = String::from_utf8_lossy(&tshark.stdout).lines().map(|l| l.replace('.', "")).collect();
    assert_eq!(want.len(), 3);
    assert_eq!(want[0], "1418145369924505488");
    let text = run_script("json_timestamps.py", std::slice::from_ref(tcp));
    // Lines of four numbers (pandas may add warnings on stderr).
    let got: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .filter(|w| w.len() == 4 && w.iter().all(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .collect();
    assert_eq!(got.len(), want.len(), "{text}");
    for (row, ns) in got.iter().zip(&want) {
        assert_eq!(row, &vec![ns.as_str(); 4], "json, pandas (default), json, pandas (-ts ns)");
    }
}

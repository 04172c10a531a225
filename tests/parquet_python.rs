//! Parquet as data scientists load it: pyarrow, pandas, Polars and DuckDB
//! get the types the schema promises with no hints, and every value equals
//! `netcap read -json` of the same records, nanoseconds included
//! (tests/python/parquet_check.py); Spark in local mode counts a Hive
//! dataset of three captures exactly as netcap does
//! (tests/python/spark_check.py).
//!
//! Needs python3 (or $NETCAP_PYTHON) with tests/python/requirements.txt,
//! Java for Spark, and ../shared; without them these tests fail and say so.

use std::path::{Path, PathBuf};
use std::process::Command;

const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> String {
    std::env::var("NETCAP_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn require(modules: &str) {
    let probe = Command::new(python())
        .args(["-c", &format!("import {modules}")])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}): these tests need Python 3", python()));
    assert!(
        probe.status.success(),
        "Python packages for the Parquet tests are missing:\n{}\ninstall them with: {} -m pip install -r tests/python/requirements.txt",
        String::from_utf8_lossy(&probe.stderr),
        python()
    );
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netcap-parquet-py-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn shared(capture: &str) -> PathBuf {
    let pcap = repo().join("../shared/pcaps").join(capture);
    assert!(pcap.exists(), "missing {} — the shared material must sit beside the repository", pcap.display());
    pcap
}

fn capture(pcap: &Path, out: &Path, extra: &[&str]) {
    let st = Command::new(NETCAP)
        .arg("-r")
        .arg(pcap)
        .arg("-out")
        .arg(out)
        .arg("-quiet")
        .args(extra)
        .status()
        .expect("netcap runs");
    assert!(st.success(), "netcap on {}", pcap.display());
}

fn run_script(script: &str, args: &[String]) -> String {
    let out = Command::new(python())
        .arg(repo().join("tests/python").join(script))
        .arg(NETCAP)
        .args(args)
        .output()
        .expect("python runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed:\n{text}");
    text
}

#[test]
fn pyarrow_pandas_polars_and_duckdb_get_exact_types_and_values() {
    require("pyarrow, pandas, polars, duckdb");
    // TCP, DNS (lists of nested questions and answers), TLS, CDP, DHCPv6,
    // Flow and Connection; payload bytes as binary; and a nanosecond
    // capture for the last three digits.
    for (name, pcap, extra) in [
        ("many", "pcapplusplus/Tests/ExamplesTest/pcap_examples/many-protocols.pcap", &["-payload"][..]),
        ("nano", "tcpdump/tests/tcp-handshake-nano.pcap", &[][..]),
    ] {
        let out = temp(name);
        let mut args = vec!["-format", "both"];
        args.extend_from_slice(extra);
        capture(&shared(pcap), &out, &args);
        let text = run_script("parquet_check.py", &[out.display().to_string()]);
        assert!(text.contains("records agree in pyarrow, pandas, polars and duckdb"), "{text}");
        assert!(text.contains("TCP: ") && (name != "many" || text.contains("DNS: ")), "{text}");
    }
}

#[test]
fn spark_counts_a_hive_dataset_of_three_captures_as_netcap_does() {
    require("pyspark");
    let java = Command::new("java").arg("-version").output();
    assert!(java.is_ok_and(|o| o.status.success()), "Spark needs Java (apt-get install default-jre-headless)");
    let dir = temp("spark");
    let mut pairs = Vec::new();
    let mut inputs = Vec::new();
    for (i, pcap) in [
        "chrissanders-packets/http_espn.pcapng",
        "pcapplusplus/Tests/Pcap++Test/PcapExamples/sll.pcap",
        "tcpdump/tests/tcp-handshake-nano.pcap",
    ]
    .iter()
    .enumerate()
    {
        let out = dir.join(format!("ncap{i}"));
        capture(&shared(pcap), &out, &[]);
        let name = Path::new(pcap).file_name().and_then(|n| n.to_str()).expect("name");
        pairs.push(format!("{name}={}", out.display()));
        inputs.push(out);
    }
    let dataset = dir.join("dataset");
    let st = Command::new(NETCAP)
        .args(["export", "-hive", "-quiet", "-out"])
        .arg(&dataset)
        .args(&inputs)
        .status()
        .expect("netcap export runs");
    assert!(st.success());
    let mut args = vec![dataset.display().to_string()];
    args.extend(pairs);
    let text = run_script("spark_check.py", &args);
    assert!(text.contains("partitions of 3 captures"), "{text}");
}

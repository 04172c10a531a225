//! Running the netcap binary on a capture and reading its records back,
//! and checking that tshark is there: what the tests against tshark share.

use netcap::container::RecordReader;
use prost::Message;
use std::path::{Path, PathBuf};
use std::process::Command;

/// tshark is the oracle of these tests: without it they fail, loudly.
pub fn require_tshark() {
    let ok = Command::new("tshark").arg("-v").output().is_ok_and(|o| o.status.success());
    assert!(ok, "tshark is required for this test (apt-get install tshark)");
}

/// Runs netcap on `capture` with `-include include`, uncompressed, into `out`.
pub fn run_netcap(capture: &Path, out: &Path, include: &str) {
    let run = Command::new(env!("CARGO_BIN_EXE_netcap"))
        .arg("-r")
        .arg(capture)
        .arg("-out")
        .arg(out)
        .args(["-quiet", "-comp=false", "-overwrite", "-include", include])
        .output()
        .expect("netcap runs");
    assert!(run.status.success(), "netcap failed on {}: {}", capture.display(), String::from_utf8_lossy(&run.stderr));
}

/// The records of an `.ncap` file (none if netcap wrote no such file).
pub fn read_records<M: Message + Default>(path: &Path) -> Vec<M> {
    if !path.exists() {
        return Vec::new();
    }
    let mut r = RecordReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = Vec::new();
    let mut records = Vec::new();
    while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        records.push(M::decode(buf.as_slice()).expect("record decodes"));
    }
    records
}

/// A fresh temporary directory for this test process.
pub fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netcap-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

//! What the end-to-end tests share: where the repository and the shared
//! material are, fresh temporary directories, and running the `netcap`
//! binary. Included by each test file with
//! `#[path = "common/cli.rs"] mod cli;` (a test binary compiles only the
//! helpers it includes).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `rel` under `../shared`, which must exist: tests read the shared
/// material in place and fail loudly without it.
pub fn shared(rel: &str) -> PathBuf {
    let p = repo().join("../shared").join(rel);
    assert!(p.exists(), "missing {} — the shared material must sit beside the repository", p.display());
    p
}

/// A capture under `../shared/pcaps`.
pub fn pcap(rel: &str) -> PathBuf {
    shared(&format!("pcaps/{rel}"))
}

/// An empty directory of this test process (`name` unique within it).
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netcap-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub fn netcap(args: &[&str]) -> Output {
    Command::new(NETCAP).args(args).output().expect("netcap runs")
}

/// Runs netcap and asserts success, naming the arguments and stderr otherwise.
pub fn run_ok(args: &[&str]) -> Output {
    let out = netcap(args);
    assert!(out.status.success(), "netcap {args:?} failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

/// [`run_ok`]'s standard output as text.
pub fn run_stdout(args: &[&str]) -> String {
    String::from_utf8(run_ok(args).stdout).expect("utf-8 output")
}

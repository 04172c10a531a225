//! The `netcap` binary over every capture in `../shared/pcaps` (184 of
//! them deliberately malformed), each under a 2 GiB virtual-memory cap
//! (`ulimit -v`) and a time limit: it must exit 0, print no panic, and
//! catch no decoder panic (errors.log).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VMEM_KIB: u64 = 2 << 20;
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let p = e.path();
        if p.is_dir() {
            captures(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("pcap" | "pcapng" | "cap" | "gz")) {
            out.push(p);
        }
    }
}

/// Runs netcap on `input`; returns (exit code, stderr, errors.log).
fn run(input: &Path, out: &Path) -> (Option<i32>, String, String) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {VMEM_KIB} && exec \"$0\" -r \"$1\" -out \"$2\" -quiet"))
        .arg(env!("CARGO_BIN_EXE_netcap"))
        .arg(input)
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn netcap");
    // Read stderr on a thread so a chatty run cannot block on a full pipe.
    let mut pipe = child.stderr.take().expect("stderr piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for netcap") {
            break s;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{}: netcap not done after {TIME_LIMIT:?}", input.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = reader.join().unwrap_or_default();
    let log = std::fs::read_to_string(out.join("errors.log")).unwrap_or_default();
    (status.code(), stderr, log)
}

#[test]
fn every_shared_capture_under_a_memory_cap() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps");
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "the shared captures are missing: expected {} (with MANIFEST.tsv) beside the checkout",
        dir.display()
    );
    let mut files = Vec::new();
    captures(&dir, &mut files);
    files.sort();
    assert!(files.len() >= 800, "expected the 839 shared captures, found {}", files.len());
    let scratch = std::env::temp_dir().join(format!("netcap-memcap-{}", std::process::id()));
    let start = Instant::now();
    let mut failures = Vec::new();
    let mut warned = 0;
    for (i, file) in files.iter().enumerate() {
        let out = scratch.join(i.to_string());
        let (code, stderr, log) = run(file, &out);
        let _ = std::fs::remove_dir_all(&out);
        warned += usize::from(stderr.contains("warning:"));
        if code != Some(0) || stderr.contains("panicked") || log.contains("panic in decoder") {
            failures.push(format!(
                "{}: exit {code:?}\n{stderr}{}",
                file.display(),
                if log.contains("panic in decoder") { "(decoder panic in errors.log)\n" } else { "" }
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "netcap ran over {} shared captures under ulimit -v {VMEM_KIB} KiB in {:.1}s; {warned} with read warnings",
        files.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{} of {} captures failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}

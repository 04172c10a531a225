//! End-to-end throughput: replicates ../shared/bench/base.pcap.gz (24k
//! packets of mixed real traffic) to about one million packets, then times
//! the `netcap` binary on it with `-comp gzip`, `zstd` and `none`, for 1 and 2 workers, and
//! reports packets/s and peak RSS (from netcap's own summary line); then
//! the user CPU time with the flow record types off and on.
//!
//! Run: `cargo bench --bench throughput` (add `-- --copies N` to change size).

use netcap::capture::dump::{DumpFormat, PacketDump};
use netcap::capture::file::CaptureReader;
use netcap::capture::PacketBatch;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");

fn replicate(base: &Path, copies: i64, out: &Path) -> u64 {
    let mut reader = CaptureReader::open(base).unwrap_or_else(|e| panic!("{e}"));
    let mut batch = PacketBatch::with_capacity(1 << 15, 32 << 20);
    while reader.fill(&mut batch, usize::MAX, usize::MAX).unwrap_or_else(|w| panic!("{}", w.message)) {}
    let mut dump = PacketDump::new(out, DumpFormat::Pcap { link_type: reader.link_type(), nanos: false });
    let mut n = 0;
    for copy in 0..copies {
        // Copies 600 s apart, as with `editcap -t` and `mergecap -a`.
        for (m, data) in batch.iter() {
            dump.write(m.timestamp + copy * 600_000_000_000, m.link_type, 0, m.orig_len, data).expect("write");
            n += 1;
        }
    }
    dump.finish().expect("flush");
    n
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let copies = args.iter().position(|a| a == "--copies").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(42);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let base = root.join("../shared/bench/base.pcap.gz");
    assert!(base.exists(), "missing {}", base.display());
    let work = root.join("target/bench-data");
    std::fs::create_dir_all(&work).expect("bench dir");
    let input = work.join(format!("mixed-{copies}x.pcap"));
    let t = Instant::now();
    let tmp = input.with_extension("partial");
    let packets = replicate(&base, copies, &tmp);
    std::fs::rename(&tmp, &input).expect("rename");
    // Wait for the kernel to write the 760 MB out, so that its writeback
    // does not run beside the first measured runs (they were up to a fifth
    // slower than the same configuration in a later row).
    std::fs::File::open(&input).and_then(|f| f.sync_all()).expect("sync the input");
    let size = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
    println!("input: {} packets, {} MB ({} copies of base.pcap.gz), written in {:.1}s", packets, size / 1_000_000, copies, t.elapsed().as_secs_f64());
    println!();
    // CPU seconds (user + system, all threads) come from GNU time when it is
    // installed: on a shared machine they say more than wall-clock time.
    let gnu_time = Path::new("/usr/bin/time").exists();
    println!("| comp | workers | seconds | packets/s | CPU seconds | packets per CPU second | peak RSS |");
    println!("|------|---------|---------|-----------|-------------|------------------------|----------|");
    for comp in ["gzip", "zstd", "none"] {
        for workers in ["1", "2"] {
            let out = work.join(format!("out-{comp}-{workers}"));
            let _ = std::fs::remove_dir_all(&out);
            // Warm the page cache once so the first row is not penalised.
            let t = Instant::now();
            let netcap_args = ["-r", input.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-workers", workers, "-comp", comp];
            let res = if gnu_time {
                Command::new("/usr/bin/time").args(["-f", "cpu %U %S"]).arg(NETCAP).args(netcap_args).output()
            } else {
                Command::new(NETCAP).args(netcap_args).output()
            }
            .expect("run netcap");
            let secs = t.elapsed().as_secs_f64();
            let stderr = String::from_utf8_lossy(&res.stderr);
            assert!(res.status.success(), "{stderr}");
            // The summary line ends in "peak RSS <n> MiB".
            let rss = stderr.split("peak RSS ").nth(1).and_then(|s| s.lines().next()).unwrap_or("?").to_string();
            let cpu: Option<f64> = stderr
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("cpu "))
                .map(|v| v.split_whitespace().filter_map(|x| x.parse::<f64>().ok()).sum());
            let (cpu_text, per_cpu) = match cpu {
                Some(c) => (format!("{c:.2}"), format!("{:.0}", packets as f64 / c.max(1e-9))),
                None => ("?".into(), "?".into()),
            };
            println!("| {comp} | {workers} | {secs:.2} | {:.0} | {cpu_text} | {per_cpu} | {rss} |", packets as f64 / secs);
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    println!();
    off_on("flows", "LinkFlow,NetworkFlow,TransportFlow,Flow,Connection", &input, &work, packets);
    // The application, routing and tunnel record types of issue 11.
    const LAYERS: &str = "DNS,DHCPv4,DHCPv6,NTP,SIP,IGMP,SCTP,IPSecAH,IPSecESP,GRE,MPLS,VXLAN,Geneve,OSPFv2,OSPFv3,BFD,VRRP,ModbusTCP,LCM";
    off_on("layer types", LAYERS, &input, &work, packets);
    let _ = std::fs::remove_file(&input);
}

/// The cost of a group of record types: all record types with the group
/// excluded and included, in wall-clock and user CPU seconds
/// (`/usr/bin/time`; CPU time is less distorted by a shared machine).
fn off_on(group: &str, types: &str, input: &Path, work: &Path, packets: u64) {
    if !Path::new("/usr/bin/time").exists() {
        println!("(no /usr/bin/time: {group} off/on rows skipped)");
        return;
    }
    println!("| {group} | workers | seconds | packets/s | user CPU s | packets per CPU-second | peak RSS |");
    println!("|---|---------|---------|-----------|------------|------------------------|----------|");
    let mut user = Vec::new();
    for (label, extra) in [("off", vec!["-exclude", types]), ("on", vec![])] {
        let out = work.join(format!("out-{group}-{label}"));
        let _ = std::fs::remove_dir_all(&out);
        let t = Instant::now();
        let res = Command::new("/usr/bin/time")
            .args(["-f", "TIME %U %M", NETCAP, "-r", input.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-workers", "2", "-quiet"])
            .args(&extra)
            .output()
            .expect("run netcap");
        let wall = t.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert!(res.status.success(), "{stderr}");
        let line = stderr.lines().find_map(|l| l.strip_prefix("TIME ")).unwrap_or("0 0");
        let mut it = line.split_whitespace();
        let secs: f64 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let rss_kb: u64 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        println!(
            "| {label} | 2 | {wall:.2} | {:.0} | {secs:.2} | {:.0} | {} MiB |",
            packets as f64 / wall.max(1e-9),
            packets as f64 / secs.max(1e-9),
            rss_kb / 1024
        );
        user.push(secs);
        let _ = std::fs::remove_dir_all(&out);
    }
    if let [off, on] = user[..] {
        println!();
        println!("{group} cost {:.0} % more user CPU time", (on / off.max(1e-9) - 1.0) * 100.0);
        println!();
    }
}

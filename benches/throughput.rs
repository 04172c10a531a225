//! End-to-end throughput: replicates ../shared/bench/base.pcap.gz (24k
//! packets of mixed real traffic) to about one million packets, then times
//! the `netcap` binary on it with `-comp gzip`, `zstd` and `none`, for 1 and 2 workers,
//! and with `-format parquet` (tables written during the capture), and
//! reports packets/s, CPU seconds and peak RSS (GNU time), the median of
//! several runs taken in rounds (`--runs`, default 3); then
//! the CPU time with the flow and the issue-11 layer record types off and on.
//!
//! Run: `cargo bench --bench throughput` (add `-- --copies N` to change the
//! size, `-- --runs N` the runs per row).

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
    let copies = args
        .iter()
        .position(|a| a == "--copies")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(42);
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
    println!(
        "input: {} packets, {} MB ({} copies of base.pcap.gz), written in {:.1}s",
        packets,
        size / 1_000_000,
        copies,
        t.elapsed().as_secs_f64()
    );
    println!();
    // Each configuration runs `--runs` times (default 3), in rounds that
    // visit every configuration once, so that a change of the machine's
    // speed during the bench (this shared two-core machine varies by up to a
    // third between minutes) weighs on all rows alike; rows give the median
    // run and the range of packets/s.
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    // (row label, workers, output options): record files compressed each
    // way, and Parquet tables instead of record files (issue 17).
    let mut configs: Vec<(&str, &str, Vec<&str>)> =
        ["gzip", "zstd", "none"].iter().flat_map(|c| ["1", "2"].map(|w| (*c, w, vec!["-comp", *c]))).collect();
    configs.extend(["1", "2"].map(|w| ("parquet", w, vec!["-format", "parquet"])));
    let mut results: Vec<Vec<Run>> = configs.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for ((label, workers, output), runs_of) in configs.iter().zip(results.iter_mut()) {
            let out = work.join(format!("out-{label}-{workers}"));
            let mut extra = vec!["-workers", workers];
            extra.extend(output);
            runs_of.push(run_netcap(&input, &out, &extra));
        }
    }
    println!("{runs} runs per row, in rounds over the rows; median run, and the range of packets/s over the runs:");
    println!();
    println!(
        "| output | workers | seconds | packets/s | packets/s range | CPU seconds | packets per CPU second | peak RSS |"
    );
    println!(
        "|------|---------|---------|-----------|-----------------|-------------|------------------------|----------|"
    );
    for ((label, workers, _), runs_of) in configs.iter().zip(&results) {
        let m = Median::of(runs_of, packets);
        println!(
            "| {label} | {workers} | {:.2} | {:.0} | {} | {:.2} | {:.0} | {} MiB |",
            m.secs, m.rate, m.range, m.cpu, m.per_cpu, m.rss_mib
        );
    }
    println!();
    off_on("flows", "LinkFlow,NetworkFlow,TransportFlow,Flow,Connection", &input, &work, packets, runs);
    // The application, routing and tunnel record types of issue 11.
    const LAYERS: &str = "DNS,DHCPv4,DHCPv6,NTP,SIP,IGMP,SCTP,IPSecAH,IPSecESP,GRE,MPLS,VXLAN,Geneve,OSPFv2,OSPFv3,BFD,VRRP,ModbusTCP,LCM";
    off_on("layer types", LAYERS, &input, &work, packets, runs);
    let _ = std::fs::remove_file(&input);
}

/// One run of the binary: wall-clock seconds, CPU seconds (user + system,
/// all threads, from GNU time: on a shared machine they say more than
/// wall-clock time) and peak RSS.
struct Run {
    secs: f64,
    cpu: f64,
    rss_kb: u64,
}

fn run_netcap(input: &Path, out: &Path, extra: &[&str]) -> Run {
    assert!(Path::new("/usr/bin/time").exists(), "the bench needs GNU time (/usr/bin/time, Debian package time)");
    let _ = std::fs::remove_dir_all(out);
    let t = Instant::now();
    let res = Command::new("/usr/bin/time")
        .args([
            "-f",
            "TIME %U %S %M",
            NETCAP,
            "-r",
            input.to_str().expect("utf-8"),
            "-out",
            out.to_str().expect("utf-8"),
            "-quiet",
        ])
        .args(extra)
        .output()
        .expect("run netcap");
    let secs = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    let line = stderr.lines().rev().find_map(|l| l.strip_prefix("TIME ")).unwrap_or("0 0 0");
    let v: Vec<f64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    let _ = std::fs::remove_dir_all(out);
    match v[..] {
        [user, system, rss] => Run { secs, cpu: user + system, rss_kb: rss as u64 },
        _ => panic!("no GNU time line in {stderr}"),
    }
}

/// A row from several runs: the median run's seconds and CPU seconds, the
/// range of packets/s, the highest peak RSS.
struct Median {
    secs: f64,
    rate: f64,
    range: String,
    cpu: f64,
    per_cpu: f64,
    rss_mib: u64,
}

impl Median {
    fn of(runs: &[Run], packets: u64) -> Median {
        let mut by_time: Vec<&Run> = runs.iter().collect();
        by_time.sort_by(|a, b| a.secs.total_cmp(&b.secs));
        let mid = by_time[by_time.len() / 2];
        let rate = |secs: f64| packets as f64 / secs.max(1e-9);
        let (fast, slow) = (by_time[0], by_time[by_time.len() - 1]);
        Median {
            secs: mid.secs,
            rate: rate(mid.secs),
            range: format!("{:.0}-{:.0}", rate(slow.secs), rate(fast.secs)),
            cpu: mid.cpu,
            per_cpu: packets as f64 / mid.cpu.max(1e-9),
            rss_mib: runs.iter().map(|r| r.rss_kb).max().unwrap_or(0) / 1024,
        }
    }
}

/// The cost of a group of record types: all record types with the group
/// excluded and included (gzip, two workers), in wall-clock and CPU
/// seconds, each the median of `runs` runs taken in turns.
fn off_on(group: &str, types: &str, input: &Path, work: &Path, packets: u64, runs: usize) {
    let labels = [("off", vec!["-workers", "2", "-exclude", types]), ("on", vec!["-workers", "2"])];
    let mut results: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..runs {
        for ((label, extra), runs_of) in labels.iter().zip(results.iter_mut()) {
            runs_of.push(run_netcap(input, &work.join(format!("out-{group}-{label}")), extra));
        }
    }
    println!("| {group} | workers | seconds | packets/s | packets/s range | CPU seconds | packets per CPU second | peak RSS |");
    println!(
        "|---|---------|---------|-----------|-----------------|-------------|------------------------|----------|"
    );
    let mut cpu = Vec::new();
    for ((label, _), runs_of) in labels.iter().zip(&results) {
        let m = Median::of(runs_of, packets);
        println!(
            "| {label} | 2 | {:.2} | {:.0} | {} | {:.2} | {:.0} | {} MiB |",
            m.secs, m.rate, m.range, m.cpu, m.per_cpu, m.rss_mib
        );
        cpu.push(m.cpu);
    }
    if let [off, on] = cpu[..] {
        println!();
        println!("{group} cost {:.0} % more CPU time", (on / off.max(1e-9) - 1.0) * 100.0);
        println!();
    }
}

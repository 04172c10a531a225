//! Records per second of `netcap read`: a TCP and an IPv4 record file made
//! from the shared benchmark capture, replicated to about a million
//! records, printed as CSV and as JSON Lines into a discarding writer on
//! one thread (gunzip, framing, decoding and formatting all counted).
//!
//! Run: `cargo bench --bench read` (NETCAP_BENCH_RECORDS sets the record
//! count, NETCAP_BENCH_PCAP another capture, NETCAP_BENCH_ONLY=csv|json
//! one format).

use netcap::container::{RecordReader, RecordWriter};
use netcap::output::csv::CsvSink;
use netcap::output::json::JsonSink;
use netcap::output::record::Values;
use netcap::output::{timestamp_digits, Renderer, Sink, Style};
use netcap::pipeline::{self, CaptureOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pcap = std::env::var_os("NETCAP_BENCH_PCAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/bench/base.pcap.gz"));
    let target: u64 = std::env::var("NETCAP_BENCH_RECORDS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("netcap-bench-read-{}", std::process::id()));
    let records = dir.join("records");
    std::fs::create_dir_all(&records).expect("temp dir");
    let opts = CaptureOptions {
        flows: Default::default(),
        stream: Default::default(),
        source_name: pcap.display().to_string(),
        out_dir: records.clone(),
        workers: 1,
        packet_buffer: 4096,
        encoders: (0..netcap::registry::ENCODERS.len()).collect(),
        config: Default::default(),
        progress: false,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let source = netcap::capture::file::CaptureReader::open(&pcap).unwrap_or_else(|e| panic!("{e}"));
    let info = netcap::sink::RunInfo { input_source: opts.source_name.clone(), contains_payloads: false };
    let sink = Box::new(netcap::sink::FileSink::new(records.clone(), netcap::compress::Compression::Gzip, true, info));
    pipeline::run(Box::new(source), sink, &opts).unwrap_or_else(|e| panic!("capture {}: {e:#}", pcap.display()));

    println!("read benchmark: {} replicated to ~{target} records per type, one thread", pcap.display());
    let only = std::env::var("NETCAP_BENCH_ONLY").unwrap_or_default();
    for ty in ["TCP", "IPv4"] {
        let big = replicate(&records.join(format!("{ty}.ncap.gz")), &dir, target);
        for (name, json) in [("csv", false), ("json", true)] {
            if !only.is_empty() && only != name {
                continue;
            }
            // Best of three: the machine is shared.
            let best = (0..3).map(|_| run(&big, json)).fold((0, f64::MAX, f64::MAX), |a, b| if b.2 < a.2 { b } else { a });
            println!(
                "{ty:>5} -> {name:<4}: {:>9} records, wall {:.3}s = {:>9.0} records/s, on-CPU {:.3}s = {:>9.0} records/s per core",
                best.0,
                best.1,
                best.0 as f64 / best.1,
                best.2,
                best.0 as f64 / best.2
            );
        }
        if only.is_empty() {
            // For comparison: prost-reflect's DynamicMessage only decoding
            // (no printing), the design netcap's own decoder replaces.
            let best = (0..3).map(|_| run_dynamic(&big)).fold((0, f64::MAX, f64::MAX), |a, b| if b.2 < a.2 { b } else { a });
            println!(
                "{ty:>5} -> prost-reflect DynamicMessage decode only: on-CPU {:.3}s = {:>9.0} records/s per core",
                best.2,
                best.0 as f64 / best.2
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes `dir/<Type>-big.ncap.gz` holding the records of `src` repeated
/// until there are at least `target`.
fn replicate(src: &Path, dir: &Path, target: u64) -> PathBuf {
    let mut reader = RecordReader::open(src).expect("record file");
    let header = reader.header().clone();
    let mut raw = Vec::new();
    let mut buf = Vec::new();
    let mut n = 0u64;
    while reader.next_raw(&mut buf).expect("record") {
        prost::encoding::encode_varint(buf.len() as u64, &mut raw);
        raw.extend_from_slice(&buf);
        n += 1;
    }
    assert!(n > 0, "no records in {}", src.display());
    let big_dir = dir.join(format!("{}-big", header.r#type));
    std::fs::create_dir_all(&big_dir).expect("dir");
    let mut w = RecordWriter::create(&big_dir, &header, netcap::compress::Compression::Gzip, true).expect("create");
    let mut written = 0;
    while written < target {
        w.write_raw(&raw).expect("write");
        written += n;
    }
    let path = w.path().to_owned();
    w.finish().expect("finish");
    path
}

fn run_dynamic(path: &Path) -> (u64, f64, f64) {
    let cpu_start = cpu_ns();
    let start = Instant::now();
    let mut reader = RecordReader::open(path).expect("open");
    let desc = netcap::schema::message(&reader.header().r#type).expect("type");
    let mut buf = Vec::new();
    let mut n = 0u64;
    while reader.next_raw(&mut buf).expect("record") {
        let m = prost_reflect::DynamicMessage::decode(desc.clone(), buf.as_slice()).expect("decode");
        std::hint::black_box(m);
        n += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, cpu_ns()) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e9,
        _ => wall,
    };
    (n, wall, cpu)
}

/// Nanoseconds this thread has run on a CPU (Linux schedstat), so that
/// other load on a shared machine does not count; wall time elsewhere.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Prints every record of `path` into a discarding writer:
/// (records, wall seconds, on-CPU seconds).
fn run(path: &Path, json: bool) -> (u64, f64, f64) {
    let cpu_start = cpu_ns();
    let start = Instant::now();
    let mut reader = RecordReader::open(path).expect("open");
    let desc = netcap::schema::message(&reader.header().r#type).expect("type");
    let style = Style { digits: timestamp_digits(reader.header().timestamp_digits), ..Style::default() };
    let mut r = Renderer::new(&desc, style);
    let mut sink: Box<dyn Sink> = if json { Box::new(JsonSink::new(io::sink())) } else { Box::new(CsvSink::new(io::sink(), b',')) };
    sink.begin(&r).expect("begin");
    let mut buf = Vec::new();
    let mut vals = Values::default();
    let mut n = 0u64;
    while reader.next_raw(&mut buf).expect("record") {
        r.decode(&buf, &mut vals).expect("decode");
        sink.record(&mut r, &vals, &buf).expect("print");
        n += 1;
    }
    sink.finish(&r).expect("finish");
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, cpu_ns()) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e9,
        _ => wall,
    };
    (n, wall, cpu)
}

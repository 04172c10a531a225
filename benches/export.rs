//! Records per second of the Parquet writer (`netcap export`, `-format
//! parquet`): TCP and DNS records of the shared benchmark capture,
//! replicated to 200,000 each, appended to a table that is encoded,
//! zstd-compressed and written to a discarding writer, on one thread.
//! Reading the record files is not counted (see benches/read.rs).
//!
//! Run: `cargo bench --bench export` (NETCAP_BENCH_PCAP another capture).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use netcap::container::RecordReader;
use netcap::parquet::TableWriter;
use netcap::pipeline::{self, CaptureOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

const RECORDS: usize = 200_000;

/// The records of `type_name` from the capture, replicated to `RECORDS`.
fn records(dir: &Path, type_name: &str) -> Vec<Vec<u8>> {
    let mut reader = RecordReader::open(&dir.join(format!("{type_name}.ncap.gz"))).unwrap_or_else(|e| panic!("{e}"));
    let mut one = Vec::new();
    let mut buf = Vec::new();
    while reader.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        one.push(buf.clone());
    }
    assert!(!one.is_empty(), "no {type_name} records");
    one.iter().cycle().take(RECORDS).cloned().collect()
}

fn capture() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pcap = std::env::var_os("NETCAP_BENCH_PCAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/bench/base.pcap.gz"));
    let dir = std::env::temp_dir().join(format!("netcap-bench-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let opts = CaptureOptions {
        flows: Default::default(),
        stream: Default::default(),
        source_name: pcap.display().to_string(),
        out_dir: dir.clone(),
        workers: 1,
        packet_buffer: 4096,
        encoders: ["TCP", "DNS"].iter().filter_map(|n| netcap::registry::find(n)).collect(),
        config: Default::default(),
        progress: false,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let source = netcap::capture::file::CaptureReader::open(&pcap).unwrap_or_else(|e| panic!("{e}"));
    let info = netcap::sink::RunInfo { input_source: opts.source_name.clone(), contains_payloads: false };
    let sink = Box::new(netcap::sink::FileSink::new(dir.clone(), netcap::compress::Compression::Gzip, true, info));
    pipeline::run(Box::new(source), sink, &opts).unwrap_or_else(|e| panic!("capture {}: {e:#}", pcap.display()));
    dir
}

fn bench(c: &mut Criterion) {
    let dir = capture();
    let mut group = c.benchmark_group("export to Parquet");
    group.sample_size(10);
    for type_name in ["TCP", "DNS"] {
        let batch = records(&dir, type_name);
        group.throughput(Throughput::Elements(batch.len() as u64));
        group.bench_function(type_name, |b| {
            b.iter(|| {
                let mut table = TableWriter::new(std::io::sink(), type_name).expect("table");
                for r in &batch {
                    table.append(r).expect("record");
                }
                table.finish().expect("finish").1
            })
        });
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench);
criterion_main!(benches);

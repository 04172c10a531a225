//! Per-packet cost of decoding and running every encoder, on the packets
//! of the benchmark capture (mixed real traffic). Complements the
//! end-to-end `throughput` bench, which includes reading and writing.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use netcap::capture::file::CaptureReader;
use netcap::capture::PacketBatch;
use netcap::decode::{Emitter, EncodeConfig, Layers};
use netcap::registry::ENCODERS;
use std::hint::black_box;
use std::path::PathBuf;

fn packets() -> PacketBatch {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/base.pcap.gz");
    let mut reader = CaptureReader::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut batch = PacketBatch::with_capacity(1 << 15, 32 << 20);
    while reader.fill(&mut batch, usize::MAX, usize::MAX).unwrap_or_else(|w| panic!("{}", w.message)) {}
    batch
}

fn bench(c: &mut Criterion) {
    let batch = packets();
    let cfg = EncodeConfig::default();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.sample_size(10);
    group.bench_function("layers only", |b| {
        b.iter(|| {
            for (m, data) in batch.iter() {
                black_box(Layers::decode(m.link_type, m.timestamp, data, m.orig_len as usize).outcome);
            }
        })
    });
    group.bench_function("layers + all encoders", |b| {
        let mut bufs: Vec<Vec<u8>> = ENCODERS.iter().map(|_| Vec::with_capacity(1 << 20)).collect();
        let mut counts = vec![0u64; ENCODERS.len()];
        b.iter(|| {
            bufs.iter_mut().for_each(Vec::clear);
            for (m, data) in batch.iter() {
                let layers = Layers::decode(m.link_type, m.timestamp, data, m.orig_len as usize);
                for (i, e) in ENCODERS.iter().enumerate() {
                    if let Some(encode) = e.packet() {
                        let mut out = Emitter::new(&mut bufs[i], &mut counts[i]);
                        encode(&layers, &cfg, &mut out);
                    }
                }
            }
            black_box(&bufs);
        })
    });
    group.finish();

    // Payload entropy (Ethernet, IP and TCP records) on the same packets:
    // one histogram per frame, as the encoders build it.
    let bytes: u64 = batch.iter().map(|(_, data)| data.len() as u64).sum();
    let mut group = c.benchmark_group("entropy");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(20);
    group.bench_function("frames", |b| {
        b.iter(|| {
            for (_, data) in batch.iter() {
                black_box(netcap::decode::wire::entropy(data));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

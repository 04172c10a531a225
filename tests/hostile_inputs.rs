//! Captures built to cost time or memory out of proportion to their size.
//! Each must go through the whole pipeline quickly.

use netcap::decode::EncodeConfig;
use netcap::pipeline::{self, CaptureOptions};
use netcap::registry::ENCODERS;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len()) as u32;
    let mut b = Vec::with_capacity(len as usize);
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// pcapng with `n` interfaces of a link type nothing decodes and one
/// packet on each, so every packet goes to unknown.pcap on an interface
/// of its own.
fn many_interfaces(n: u32) -> Vec<u8> {
    let mut f =
        block(0x0a0d_0d0a, &[0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    for _ in 0..n {
        f.extend(block(1, &[147, 0, 0, 0, 0xff, 0xff, 0, 0]));
    }
    for i in 0..n {
        let mut epb = Vec::with_capacity(28);
        for v in [i, 0, i, 8, 8] {
            epb.extend_from_slice(&v.to_le_bytes());
        }
        epb.extend_from_slice(&[0; 8]);
        f.extend(block(6, &epb));
    }
    f
}

#[test]
fn one_interface_per_packet_is_linear() {
    // unknown.pcap looked interfaces up with a linear search per packet:
    // 40,000 interfaces took 11 s in a debug build, 100,000 over a minute.
    let n = 100_000;
    let dir = std::env::temp_dir().join(format!("netcap-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("interfaces.pcapng");
    std::fs::write(&input, many_interfaces(n)).expect("write capture");
    let out_dir = dir.join("out");
    let opts = CaptureOptions {
        flows: Default::default(),
        stream: Default::default(),
        source_name: input.display().to_string(),
        out_dir: out_dir.clone(),
        workers: 1,
        packet_buffer: 4096,
        encoders: (0..ENCODERS.len()).collect(),
        config: EncodeConfig::default(),
        progress: false,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let start = Instant::now();
    let source = netcap::capture::file::CaptureReader::open(&input).expect("a capture");
    let info = netcap::sink::RunInfo { input_source: opts.source_name.clone(), contains_payloads: false };
    let sink = Box::new(netcap::sink::FileSink::new(out_dir, netcap::compress::Compression::None, true, info));
    let summary = pipeline::run(Box::new(source), sink, &opts).expect("pipeline");
    let took = start.elapsed();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(summary.packets, u64::from(n));
    assert_eq!(summary.unknown, u64::from(n));
    // No timed assertion (timing belongs in benches): the figure is printed,
    // and a quadratic regression shows as minutes here.
    eprintln!("{n} interfaces: {took:?}");
}

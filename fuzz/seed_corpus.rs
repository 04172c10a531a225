//! Builds the fuzz corpora from the shared captures, with netcap's own
//! reader and pipeline (run it through `fuzz/seed-corpus.sh`):
//!
//! * `decode_packet/`: one input per distinct packet, its link type as a
//!   little-endian u32 in front of the frame (at most 64 packets a file);
//! * `capture_reader/`: every capture of at most 256 KiB, and the first
//!   64 KiB of larger ones;
//! * `ncap_reader/`: the `.ncap` and `.ncap.gz` files the pipeline writes
//!   for a spread of captures (streams of at most 64 KiB).
//!
//! Usage: `seed_corpus PCAP_DIR CORPUS_DIR`. File names are content
//! hashes, so running it again adds nothing twice.

use netcap::capture::file::CaptureReader;
use netcap::capture::PacketBatch;
use netcap::compress::Compression;
use netcap::decode::EncodeConfig;
use netcap::pipeline::{self, CaptureOptions};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

const PACKETS_PER_FILE: usize = 64;
const WHOLE_FILE_MAX: usize = 256 << 10;
const PREFIX: usize = 64 << 10;
const NCAP_MAX: u64 = 64 << 10;
/// Every n-th capture (by sorted path) is run through the pipeline for ncap seeds.
const NCAP_EVERY: usize = 12;

fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            captures(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("pcap" | "pcapng" | "cap" | "gz")) {
            out.push(p);
        }
    }
}

fn save(dir: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    let path = dir.join(format!("{:016x}-{}", h.finish(), bytes.len()));
    if path.exists() {
        return Ok(false);
    }
    std::fs::write(path, bytes)?;
    Ok(true)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, pcaps, corpus] = args.as_slice() else {
        eprintln!("usage: seed_corpus PCAP_DIR CORPUS_DIR");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    captures(Path::new(pcaps), &mut files);
    files.sort();
    if files.is_empty() {
        eprintln!("no captures under {pcaps}");
        std::process::exit(1);
    }
    let corpus = Path::new(corpus);
    let (decode_dir, capture_dir, ncap_dir) =
        (corpus.join("decode_packet"), corpus.join("capture_reader"), corpus.join("ncap_reader"));
    for d in [&decode_dir, &capture_dir, &ncap_dir] {
        std::fs::create_dir_all(d)?;
    }
    let scratch = std::env::temp_dir().join(format!("netcap-seed-{}", std::process::id()));
    let (mut n_decode, mut n_capture, mut n_ncap) = (0, 0, 0);

    for (i, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file)?;
        n_capture += usize::from(save(&capture_dir, &bytes[..bytes.len().min(if bytes.len() <= WHOLE_FILE_MAX { WHOLE_FILE_MAX } else { PREFIX })])?);

        if let Ok(mut reader) = CaptureReader::open(file) {
            let mut batch = PacketBatch::with_capacity(PACKETS_PER_FILE, 1 << 20);
            let _ = reader.fill(&mut batch, PACKETS_PER_FILE, 16 << 20);
            for (meta, frame) in batch.iter() {
                let mut input = meta.link_type.to_le_bytes().to_vec();
                input.extend_from_slice(frame);
                n_decode += usize::from(save(&decode_dir, &input)?);
            }
        }

        if i % NCAP_EVERY == 0 {
            for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
                let out_dir = scratch.join(format!("{i}-{}", compression.name()));
                let opts = CaptureOptions {
                    flows: Default::default(),
                    stream: Default::default(),
                    source_name: file.display().to_string(),
                    out_dir: out_dir.clone(),
                    workers: 1,
                    packet_buffer: 256,
                    encoders: (0..netcap::registry::ENCODERS.len()).collect(),
                    config: EncodeConfig { include_payload: i % 2 == 0 },
                    progress: false,
                    stop: Arc::new(AtomicBool::new(false)),
                };
                let Ok(source) = netcap::capture::file::CaptureReader::open(&file) else { continue };
                let info = netcap::sink::RunInfo { input_source: opts.source_name.clone(), contains_payloads: i % 2 == 0 };
                let sink = Box::new(netcap::sink::FileSink::new(out_dir.clone(), compression, true, info));
                if pipeline::run(Box::new(source), sink, &opts).is_err() {
                    continue;
                }
                for e in std::fs::read_dir(&out_dir)?.flatten() {
                    let p = e.path();
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    let compressed = name.ends_with(".ncap.gz") || name.ends_with(".ncap.zst");
                    if name.ends_with(".ncap") || (compressed && e.metadata()?.len() <= NCAP_MAX) {
                        let data = std::fs::read(&p)?;
                        n_ncap += usize::from(save(&ncap_dir, &data[..data.len().min(NCAP_MAX as usize)])?);
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "{} captures: {n_decode} decode_packet, {n_capture} capture_reader, {n_ncap} ncap_reader inputs added under {}",
        files.len(),
        corpus.display()
    );
    Ok(())
}

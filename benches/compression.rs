//! The size/speed table behind `-comp`'s levels (README, "Compression"):
//! netcap's records of a capture (default `../shared/bench/base.pcap.gz`,
//! or `-- --input FILE`), written uncompressed, then each record file
//! compressed with gzip (flate2 on zlib-rs, as the writer does) at levels
//! 1/3/6 and zstd at 1/3/6/9, and decompressed again. Each figure is the
//! best of three runs, so that a busy machine disturbs it less.
//!
//! Run: `cargo bench --bench compression`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");

fn best_of_three(mut f: impl FnMut() -> usize) -> (usize, Duration) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..3 {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed());
    }
    (out, best)
}

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    w.write_all(data).expect("gzip");
    w.finish().expect("gzip")
}

fn gunzip(data: &[u8]) -> usize {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out).expect("gunzip")
}

fn zstd_compress(data: &[u8], level: i32) -> Vec<u8> {
    let mut w = zstd::stream::write::Encoder::new(Vec::new(), level).expect("zstd");
    w.write_all(data).expect("zstd");
    w.finish().expect("zstd")
}

fn zstd_decompress(data: &[u8]) -> usize {
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(data).expect("zstd").read_to_end(&mut out).expect("unzstd")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let input = args
        .iter()
        .position(|a| a == "--input")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/bench/base.pcap.gz"));
    assert!(input.exists(), "missing {}", input.display());
    let out = root.join("target/bench-data/compression");
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(NETCAP)
        .args(["-r", input.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-comp", "none", "-quiet"])
        .output()
        .expect("run netcap");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let mut files: Vec<Vec<u8>> = std::fs::read_dir(&out)
        .expect("output")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ncap"))
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let total: usize = files.iter().map(Vec::len).sum();
    println!("records of {}: {} files, {total} bytes uncompressed", input.display(), files.len());
    println!();
    println!("| compression | bytes | % of uncompressed | compress MB/s | decompress MB/s |");
    println!("|---|---|---|---|---|");
    let mb_s = |d: Duration| total as f64 / 1e6 / d.as_secs_f64().max(1e-9);
    let row = |name: String, packed: Vec<Vec<u8>>, t_comp: Duration, unpack: fn(&[u8]) -> usize| {
        let size: usize = packed.iter().map(Vec::len).sum();
        let (n, t_dec) = best_of_three(|| packed.iter().map(|p| unpack(p)).sum());
        assert_eq!(n, total, "{name} round trip");
        println!(
            "| {name} | {size} | {:.1} | {:.0} | {:.0} |",
            size as f64 * 100.0 / total as f64,
            mb_s(t_comp),
            mb_s(t_dec)
        );
    };
    for level in [1, 3, 6] {
        let mut packed = Vec::new();
        let (_, t) = best_of_three(|| {
            packed = files.iter().map(|f| gzip(f, level)).collect();
            0
        });
        row(format!("gzip {level}"), packed, t, gunzip);
    }
    for level in [1, 3, 6, 9] {
        let mut packed = Vec::new();
        let (_, t) = best_of_three(|| {
            packed = files.iter().map(|f| zstd_compress(f, level)).collect();
            0
        });
        row(format!("zstd {level}"), packed, t, zstd_decompress);
    }
    let _ = std::fs::remove_dir_all(&out);
}

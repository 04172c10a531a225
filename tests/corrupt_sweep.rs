//! Corrupted captures: every capture under `../shared/pcaps`, mutated in
//! deterministic, seeded ways (bit flips, truncations, pcap record and
//! pcapng block length fields set to 0 / max / past the end, packet
//! lengths shuffled between records, random byte errors in packet data
//! like `editcap -E`, spliced and shifted bytes, a wrong link type, gzip),
//! each variant read and decoded in-process (CaptureReader → Layers::decode
//! → every encoder) with a time limit and a memory limit, and a subset
//! run through the `netcap` binary under `ulimit -v`.
//!
//! The seed is printed; `NETCAP_SWEEP_SEED=<n>` replays a run and
//! `NETCAP_SWEEP_ONLY=<variant number>` runs one variant.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DEFAULT_SEED: u64 = 0x6e65_7463_6170_0006;
/// Variants per capture: 839 captures give 10,907.
const VARIANTS_PER_FILE: usize = 13;
/// Mutations work on at most this much of a capture (the large ones are
/// the same protocols over and over; their prefix is what matters).
const MAX_BASE: usize = 512 << 10;
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Most heap one variant may hold at once: the reader's largest block
/// (64 MiB, for a length field claiming more than the file has) grown by
/// doubling from a smaller buffer, plus the batch and the input.
const MEMORY_LIMIT: usize = 200 << 20;
/// Every n-th variant also goes through the `netcap` binary.
const BINARY_EVERY: usize = 40;
const BINARY_VMEM_KIB: u64 = 2 << 20; // 2 GiB

// ---- per-thread heap accounting -------------------------------------------
// The sweep runs each variant on its own thread; the allocator counts the
// bytes each thread holds and the peak since the counter was reset.

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    // try_with: no accounting while a thread's locals are being torn down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        account(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        account(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn peak_heap() -> usize {
    PEAK.with(|p| p.get().max(0) as usize)
}

// ---- deterministic randomness ---------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

// ---- capture structure: where the length fields are -----------------------

#[derive(Clone, Copy)]
enum Endian {
    Little,
    Big,
}

fn put32(buf: &mut [u8], at: usize, v: u32, e: Endian) {
    if let Some(b) = buf.get_mut(at..at + 4) {
        b.copy_from_slice(&match e {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        });
    }
}

fn get32(buf: &[u8], at: usize, e: Endian) -> Option<u32> {
    let b: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
    Some(match e {
        Endian::Little => u32::from_le_bytes(b),
        Endian::Big => u32::from_be_bytes(b),
    })
}

/// Offsets of the fields a mutation targets.
#[derive(Default)]
struct Layout32 {
    endian: Option<Endian>,
    /// pcap record caplen / pcapng block total length (leading and trailing),
    /// EPB captured length.
    lengths: Vec<usize>,
    /// pcap caplen fields only, for shuffling between records.
    caplens: Vec<usize>,
    /// Packet data ranges.
    data: Vec<(usize, usize)>,
    /// Where a link type is stored (pcap header u32 / IDB u16).
    link_fields: Vec<(usize, bool)>,
}

fn layout(buf: &[u8]) -> Layout32 {
    let mut l = Layout32::default();
    match buf.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1]) => pcap_layout(buf, Endian::Little, &mut l),
        Some([0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d]) => pcap_layout(buf, Endian::Big, &mut l),
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => pcapng_layout(buf, &mut l),
        _ => {}
    }
    l
}

fn pcap_layout(buf: &[u8], e: Endian, l: &mut Layout32) {
    l.endian = Some(e);
    l.link_fields.push((20, true));
    let mut at = 24;
    while let Some(caplen) = get32(buf, at + 8, e) {
        l.lengths.push(at + 8);
        l.lengths.push(at + 12);
        l.caplens.push(at + 8);
        let start = at + 16;
        let end = start.saturating_add(caplen as usize);
        if end > buf.len() {
            break;
        }
        l.data.push((start, end));
        at = end;
    }
}

fn pcapng_layout(buf: &[u8], l: &mut Layout32) {
    let mut at = 0;
    let mut e = Endian::Little;
    while at + 12 <= buf.len() {
        if buf.get(at..at + 4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            e = match buf.get(at + 8..at + 12) {
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => Endian::Big,
                _ => Endian::Little,
            };
        }
        l.endian.get_or_insert(e);
        let (Some(kind), Some(total)) = (get32(buf, at, e), get32(buf, at + 4, e)) else { break };
        let total = total as usize;
        if total < 12 || at + total > buf.len() {
            l.lengths.push(at + 4);
            break;
        }
        l.lengths.push(at + 4);
        l.lengths.push(at + total - 4);
        match kind {
            1 => l.link_fields.push((at + 8, false)),
            6 if total >= 32 => {
                l.lengths.push(at + 20);
                l.lengths.push(at + 24);
                if let Some(cap) = get32(buf, at + 20, e) {
                    let end = (at + 28 + cap as usize).min(at + total - 4);
                    l.data.push((at + 28, end));
                }
            }
            3 if total >= 16 => {
                l.lengths.push(at + 8);
                l.data.push((at + 12, at + total - 4));
            }
            _ => {}
        }
        at += total;
    }
}

const LINKS: [u32; harness::LINK_TYPES.len()] = harness::LINK_TYPES;

/// Variant `k` of `base`; returns the bytes and a short description.
fn mutate(base: &[u8], k: usize, rng: &mut Rng) -> (Vec<u8>, String) {
    let mut v = base.to_vec();
    let l = layout(base);
    let e = l.endian.unwrap_or(Endian::Little);
    let len = v.len();
    let desc = match k {
        0 | 1 => {
            // Bit flips, the first variant in the headers.
            let span = if k == 0 { len.min(64) } else { len };
            let n = 1 + rng.below(8);
            for _ in 0..n {
                let at = rng.below(span);
                if let Some(b) = v.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            format!("{n} bit flips in the first {span} bytes")
        }
        2 | 3 => {
            let at = if k == 2 { rng.below(len.min(256) + 1) } else { rng.below(len + 1) };
            v.truncate(at);
            format!("truncated at {at}")
        }
        4..=6 => {
            // A length field set to 0, all ones, or just past the end.
            let Some(&at) = l.lengths.get(rng.below(l.lengths.len())) else {
                return mutate(base, 0, rng);
            };
            let value = match k {
                4 => 0,
                5 => [u32::MAX, 0x7fff_ffff, 0x8000_0000, 0x0400_0001][rng.below(4)],
                _ => (len - at.min(len)) as u32 + rng.below(64) as u32 + 1,
            };
            put32(&mut v, at, value, e);
            format!("length field at {at} set to {value:#x}")
        }
        7 => {
            // Packet lengths shuffled between pcap records (pcapng: EPB
            // lengths swapped), so records and data no longer line up.
            let fields: Vec<usize> = if l.caplens.len() >= 2 { l.caplens.clone() } else { l.lengths.clone() };
            let mut values: Vec<u32> = fields.iter().filter_map(|&at| get32(base, at, e)).collect();
            for i in (1..values.len()).rev() {
                values.swap(i, rng.below(i + 1));
            }
            for (&at, &value) in fields.iter().zip(&values) {
                put32(&mut v, at, value, e);
            }
            format!("{} length fields shuffled", values.len())
        }
        8 | 9 => {
            // editcap -E: each packet byte changed with probability p.
            let p = [0.01, 0.05, 0.2][rng.below(3)];
            let threshold = (p * u32::MAX as f64) as u64;
            let mut changed = 0;
            for &(s, end) in &l.data {
                for b in v.get_mut(s..end).unwrap_or_default() {
                    if rng.next() & 0xffff_ffff < threshold {
                        *b = rng.next() as u8;
                        changed += 1;
                    }
                }
            }
            format!("editcap -E {p}: {changed} packet bytes changed")
        }
        10 => {
            // A different link type: frames decoded as the wrong protocol.
            let link = LINKS[rng.below(LINKS.len())];
            let Some(&(at, pcap)) = l.link_fields.get(rng.below(l.link_fields.len())) else {
                return mutate(base, 1, rng);
            };
            if pcap {
                put32(&mut v, at, link, e);
            } else if let Some(b) = v.get_mut(at..at + 2) {
                let bytes = match e {
                    Endian::Little => (link as u16).to_le_bytes(),
                    Endian::Big => (link as u16).to_be_bytes(),
                };
                b.copy_from_slice(&bytes);
            }
            format!("link type at {at} set to {link}")
        }
        11 => {
            // Bytes inserted or removed in the middle: everything after shifts.
            let at = rng.below(len + 1);
            if rng.below(2) == 0 {
                let n = 1 + rng.below(16);
                let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(at..at, junk);
                format!("{n} bytes inserted at {at}")
            } else {
                let n = (1 + rng.below(16)).min(len - at);
                v.drain(at..at + n);
                format!("{n} bytes removed at {at}")
            }
        }
        _ => {
            // A chunk of the capture copied over another place, then gzipped
            // or zstd-compressed (and sometimes the compressed stream cut short).
            if len > 0 {
                let from = rng.below(len);
                let to = rng.below(len);
                let n = rng.below(256).min(len - from).min(len - to);
                let chunk = base[from..from + n].to_vec();
                v[to..to + n].copy_from_slice(&chunk);
            }
            let zstd = rng.below(2) == 0;
            let mut out = if zstd {
                zstd::stream::encode_all(v.as_slice(), 1).unwrap_or_default()
            } else {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                let _ = gz.write_all(&v);
                gz.finish().unwrap_or_default()
            };
            let cut = rng.below(2) == 0;
            if cut {
                out.truncate(rng.below(out.len() + 1));
            }
            let how = if zstd { "zstd" } else { "gzip" };
            return (out, format!("chunk spliced, {how}{}", if cut { ", cut" } else { "" }));
        }
    };
    (v, desc)
}

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

pub fn shared_pcaps() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps");
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "the shared captures are missing: expected {} (with MANIFEST.tsv) beside the checkout",
        dir.display()
    );
    dir
}

/// Runs one variant in-process on its own thread; fails on a panic, on
/// passing the time limit or on holding more than MEMORY_LIMIT of heap.
fn run_in_process(data: Vec<u8>, what: &str) -> (harness::CaptureStats, usize) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("variant".into())
        .spawn(move || {
            PEAK.with(|p| p.set(0));
            LIVE.with(|l| l.set(0));
            let stats = harness::read_capture(&data, true).unwrap_or_default();
            let _ = tx.send((stats, peak_heap()));
        })
        .expect("spawn variant thread");
    match rx.recv_timeout(TIME_LIMIT) {
        Ok((stats, peak)) => {
            let _ = handle.join();
            assert!(peak <= MEMORY_LIMIT, "{what}: held {peak} bytes of heap (limit {MEMORY_LIMIT})");
            (stats, peak)
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: not done after {TIME_LIMIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let _ = handle.join();
            panic!("{what}: panicked (see above)")
        }
    }
}

/// Runs the `netcap` binary on one variant file under a virtual-memory cap.
fn run_binary(input: &Path, out: &Path, what: &str) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {BINARY_VMEM_KIB} && exec \"$0\" -r \"$1\" -out \"$2\" -quiet"))
        .arg(env!("CARGO_BIN_EXE_netcap"))
        .arg(input)
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn netcap");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for netcap") {
            break s;
        }
        if start.elapsed() > TIME_LIMIT * 3 {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: netcap binary not done after {:?}", TIME_LIMIT * 3);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(!stderr.contains("panicked"), "{what}: netcap panicked:\n{stderr}");
    // 0: read (perhaps with a warning), 2: not a capture, 1: unreadable.
    assert!(matches!(status.code(), Some(0..=2)), "{what}: netcap exited with {status}:\n{stderr}");
    let log = std::fs::read_to_string(out.join("errors.log")).unwrap_or_default();
    assert!(!log.contains("panic in decoder"), "{what}: a decoder panicked (caught):\n{log}");
}

#[derive(Default)]
struct Totals {
    variants: usize,
    binary_runs: usize,
    packets: u64,
    records: u64,
    warnings: usize,
    slowest: (Duration, String),
    /// Most heap any one variant held.
    peak_heap: usize,
}

impl Totals {
    fn add(&mut self, o: Totals) {
        self.variants += o.variants;
        self.binary_runs += o.binary_runs;
        self.packets += o.packets;
        self.records += o.records;
        self.warnings += o.warnings;
        self.peak_heap = self.peak_heap.max(o.peak_heap);
        if o.slowest.0 > self.slowest.0 {
            self.slowest = o.slowest;
        }
    }
}

/// All variants of capture number `f`.
fn sweep_file(f: usize, file: &Path, seed: u64, only: Option<usize>, scratch: &Path, t: &mut Totals) {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let base = &bytes[..bytes.len().min(MAX_BASE)];
    for k in 0..VARIANTS_PER_FILE {
        let n = f * VARIANTS_PER_FILE + k;
        if only.is_some_and(|o| o != n) {
            continue;
        }
        // Each variant has its own stream, so one can be replayed alone.
        let mut rng = Rng(seed ^ (n as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let (data, desc) = mutate(base, k, &mut rng);
        let what = format!("variant {n} (seed {seed}) of {}: {desc}", file.display());
        let started = Instant::now();
        let (stats, peak) = run_in_process(data.clone(), &what);
        t.peak_heap = t.peak_heap.max(peak);
        if started.elapsed() > t.slowest.0 {
            t.slowest = (started.elapsed(), what.clone());
        }
        t.variants += 1;
        t.packets += stats.packets;
        t.records += stats.records;
        t.warnings += usize::from(stats.warning);
        if n % BINARY_EVERY == 0 || only.is_some() {
            let input = scratch.join("variant.pcap");
            let out = scratch.join("out");
            let _ = std::fs::remove_dir_all(&out);
            std::fs::write(&input, &data).expect("write variant");
            run_binary(&input, &out, &what);
            t.binary_runs += 1;
        }
    }
}

#[test]
fn corrupted_captures_never_panic_hang_or_blow_up() {
    let seed = std::env::var("NETCAP_SWEEP_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED);
    let only: Option<usize> = std::env::var("NETCAP_SWEEP_ONLY").ok().and_then(|s| s.parse().ok());
    let dir = shared_pcaps();
    let mut files = Vec::new();
    captures(&dir, &mut files);
    files.sort();
    assert!(files.len() >= 800, "expected the 839 shared captures, found {}", files.len());

    let scratch = std::env::temp_dir().join(format!("netcap-sweep-{}", std::process::id()));
    let start = Instant::now();
    // Files are dealt to (at most two) sweepers; each runs its variants
    // one at a time, each on a thread of its own.
    let sweepers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 2);
    let totals = std::sync::Mutex::new(Totals::default());
    std::thread::scope(|s| {
        for w in 0..sweepers {
            let (files, totals, scratch) = (&files, &totals, scratch.join(w.to_string()));
            s.spawn(move || {
                std::fs::create_dir_all(&scratch).expect("scratch dir");
                let mut t = Totals::default();
                for (f, file) in files.iter().enumerate().filter(|(f, _)| f % sweepers == w) {
                    sweep_file(f, file, seed, only, &scratch, &mut t);
                }
                totals.lock().expect("totals").add(t);
            });
        }
    });
    let t = totals.into_inner().expect("totals");
    let (variants, binary_runs, packets, records, warnings, slowest, peak_heap) =
        (t.variants, t.binary_runs, t.packets, t.records, t.warnings, t.slowest, t.peak_heap);
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "corrupt sweep: seed {seed}: {variants} variants of {} captures ({binary_runs} also through the netcap binary) \
         in {:.1}s: {packets} packets, {records} records, {warnings} read warnings; most heap held by one variant {:.1} MiB; slowest {:.2}s ({})",
        files.len(),
        start.elapsed().as_secs_f64(),
        peak_heap as f64 / (1 << 20) as f64,
        slowest.0.as_secs_f64(),
        slowest.1
    );
    if only.is_none() {
        assert!(variants >= 10_000, "only {variants} variants");
    }
}

//! The server's side.
//!
//! - [`Collector::handle`]: the datagram handler, a pure function of its
//!   state and the datagram's bytes (no I/O, no clock): split, allow-list,
//!   open the box, decompress with a cap, decode and check the batch, and
//!   check its sequence number. Every failure is a counted [`Reject`].
//! - [`Files`]: appends accepted batches to `OUT/<client id>/<Type>.ncap.gz`.
//! - [`serve`]: a receive thread that only drains the socket into a
//!   byte-bounded queue (so the kernel buffer rarely overflows), and a
//!   processing thread that handles, writes, logs and prints stats.
//!
//! Sequence state is per (sensor key, run, record type) and bounded:
//! [`MAX_SENSORS`] keys, [`MAX_RUNS_PER_SENSOR`] runs each, and at most
//! [`MAX_MISSING`] remembered missing batches per stream and
//! [`MAX_MISSING_TOTAL`] in all. A batch below
//! the stream's next number that is not a remembered gap is a duplicate or
//! a replay; a run older than every run kept for its key (once some were
//! retired) is a stale replay.

use super::wire::{self, Reject, Sealer, KEY_LEN};
use crate::container::{RecordReader, RecordWriter};
use crate::registry::ENCODERS;
use crate::schema::pb;
use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError};
use crypto_box::{PublicKey, SalsaBox, SecretKey};
use std::collections::{BTreeSet, HashMap};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sensor keys whose sequence state is kept (least recently seen goes first).
pub const MAX_SENSORS: usize = 4096;
/// Runs kept per sensor key (the oldest by start time goes first).
pub const MAX_RUNS_PER_SENSOR: usize = 8;
/// Missing batch numbers remembered per (key, run, type); a batch later
/// than that many newer ones can no longer fill its gap.
pub const MAX_MISSING: usize = 4096;
/// Missing batch numbers remembered in all (about 20 MiB at most); past
/// it, new gaps are still counted but cannot be filled by late batches.
pub const MAX_MISSING_TOTAL: usize = 1 << 20;
/// Opened boxes (one X25519 per sensor key) kept.
pub const MAX_BOXES: usize = 4096;
/// Record files kept open at once (least recently used is closed; it is
/// reopened for appending when needed).
pub const MAX_OPEN_FILES: usize = 256;
/// Datagram bytes waiting between the receive and processing threads.
pub const QUEUE_BYTES: usize = 64 << 20;
/// Receive buffer asked of the kernel (capped by net.core.rmem_max).
pub const RECV_BUFFER: usize = 32 << 20;
/// Rejections logged per reason before they are only counted.
const LOG_PER_KIND: u32 = 10;

/// What the server has seen.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub datagrams: u64,
    pub datagram_bytes: u64,
    pub batches: u64,
    pub records: u64,
    /// Record bytes accepted (uncompressed).
    pub bytes: u64,
    /// Per [`Reject::index`].
    pub rejected: [u64; Reject::ALL.len()],
    /// Batches missing now: gaps found minus those late batches filled.
    pub gaps: u64,
    /// Late batches that filled a gap.
    pub late: u64,
    /// Accepted batches that could not be written.
    pub write_errors: u64,
    /// End-of-run batches accepted: (run, type) streams known complete
    /// up to their end, unless `gaps` says otherwise.
    pub ended: u64,
    /// NATS fleets: ended streams whose every batch some server wrote.
    pub fleet_complete: u64,
    /// NATS fleets: batches before an ended stream's end that no server wrote.
    pub fleet_missing: u64,
    /// NATS fleets: ended streams not checked (stopped first, or too long).
    pub fleet_unchecked: u64,
}

impl Stats {
    pub fn rejected(&self, r: Reject) -> u64 {
        self.rejected[r.index()]
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }

    /// `datagrams=… batches=… records=… bytes=… gaps=… late=… ended=… write-errors=… rejected=N (reason=n …)`.
    pub fn line(&self) -> String {
        let reasons: Vec<String> = Reject::ALL
            .iter()
            .filter(|r| self.rejected(**r) > 0)
            .map(|r| format!("{}={}", r.name(), self.rejected(*r)))
            .collect();
        let fleet = if self.fleet_complete + self.fleet_missing + self.fleet_unchecked > 0 {
            format!(
                " fleet-complete={} fleet-missing={} fleet-unchecked={}",
                self.fleet_complete, self.fleet_missing, self.fleet_unchecked
            )
        } else {
            String::new()
        };
        format!(
            "datagrams={} batches={} records={} bytes={} gaps={} late={} ended={}{fleet} write-errors={} rejected={} ({})",
            self.datagrams,
            self.batches,
            self.records,
            self.bytes,
            self.gaps,
            self.late,
            self.ended,
            self.write_errors,
            self.rejected_total(),
            reasons.join(" ")
        )
    }
}

/// What the sequence check found besides "in order".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqEvent {
    InOrder,
    /// Batches `first..=last` were skipped.
    Gap {
        first: u64,
        last: u64,
    },
    /// This batch came late and filled a gap.
    Filled,
}

/// An accepted batch.
#[derive(Debug)]
pub struct Accepted {
    pub sensor: [u8; KEY_LEN],
    pub type_index: usize,
    pub batch: pb::Batch,
    pub event: SeqEvent,
}

#[derive(Clone, Default)]
struct Stream {
    next: u64,
    missing: BTreeSet<u64>,
    /// Some missing numbers were not remembered (the limits above).
    forgot: bool,
}

#[derive(Clone)]
struct Run {
    id: u64,
    started: i64,
    streams: Vec<Option<Stream>>,
}

impl Run {
    fn missing(&self) -> usize {
        self.streams.iter().flatten().map(|s| s.missing.len()).sum()
    }
}

#[derive(Clone, Default)]
struct SensorState {
    runs: Vec<Run>,
    /// Newest (started, id) of a retired run: runs at or below are stale.
    floor: Option<(i64, u64)>,
    last_seen: u64,
}

/// The datagram handler and its state. Cloning is cheap enough for a
/// fuzz harness that wants a fresh one per input.
#[derive(Clone)]
pub struct Collector {
    secret: SecretKey,
    /// Allowed sensor keys, each with the client id it is bound to (None:
    /// any id).
    allow: Option<HashMap<[u8; KEY_LEN], Option<String>>>,
    boxes: HashMap<[u8; KEY_LEN], Arc<SalsaBox>>,
    sensors: HashMap<[u8; KEY_LEN], SensorState>,
    /// Entries of every stream's `missing` set.
    missing_total: usize,
    clock: u64,
    pub stats: Stats,
}

impl Collector {
    /// `allow`: if given, only these sensor keys are accepted, with any
    /// client id.
    pub fn new(secret: SecretKey, allow: Option<Vec<[u8; KEY_LEN]>>) -> Self {
        Collector::with_bindings(secret, allow.map(|keys| keys.into_iter().map(|k| (k, None)).collect()))
    }

    /// `allow`: if given, only these sensor keys are accepted; a key bound
    /// to a client id (`Some`) may send batches of that id only, so a
    /// sensor cannot write into another's directory.
    pub fn with_bindings(secret: SecretKey, allow: Option<Vec<([u8; KEY_LEN], Option<String>)>>) -> Self {
        let mut boxes = HashMap::new();
        if let Some(keys) = &allow {
            for (k, _) in keys.iter().take(MAX_BOXES) {
                boxes.insert(*k, Arc::new(SalsaBox::new(&PublicKey::from(*k), &secret)));
            }
        }
        Collector {
            secret,
            allow: allow.map(|k| k.into_iter().collect()),
            boxes,
            sensors: HashMap::new(),
            missing_total: 0,
            clock: 0,
            stats: Stats::default(),
        }
    }

    /// Handles one datagram; counts it as accepted or rejected by reason.
    pub fn handle(&mut self, datagram: &[u8]) -> Result<Accepted, Reject> {
        self.clock += 1;
        self.stats.datagrams += 1;
        self.stats.datagram_bytes += datagram.len() as u64;
        let result = self.open(datagram).and_then(|(sensor, plain)| self.accept(sensor, &plain));
        self.count(&result);
        result
    }

    /// Handles the decrypted content of a datagram from `sensor`, as if it
    /// had been authenticated (tests and fuzzing of the layers past the box).
    pub fn handle_plaintext(&mut self, sensor: [u8; KEY_LEN], plain: &[u8]) -> Result<Accepted, Reject> {
        self.clock += 1;
        self.stats.datagrams += 1;
        let result = self.accept(sensor, plain);
        self.count(&result);
        result
    }

    /// Counts a datagram the receive side had to drop (queue full).
    pub fn count_dropped(&mut self, reason: Reject, n: u64) {
        self.stats.rejected[reason.index()] += n;
    }

    /// Takes an accepted batch back out of the counts (the NATS server
    /// found that another server had written it first).
    pub fn uncount(&mut self, a: &Accepted) {
        self.stats.batches = self.stats.batches.saturating_sub(1);
        self.stats.records = self.stats.records.saturating_sub(a.batch.count);
        self.stats.bytes = self.stats.bytes.saturating_sub(a.batch.records.len() as u64);
        if a.batch.end_of_run {
            self.stats.ended = self.stats.ended.saturating_sub(1);
        }
    }

    fn count(&mut self, result: &Result<Accepted, Reject>) {
        match result {
            Ok(a) => {
                self.stats.batches += 1;
                self.stats.records += a.batch.count;
                self.stats.bytes += a.batch.records.len() as u64;
            }
            Err(r) => self.stats.rejected[r.index()] += 1,
        }
    }

    fn open(&mut self, datagram: &[u8]) -> Result<([u8; KEY_LEN], Vec<u8>), Reject> {
        let wire::Parts { sensor, nonce, sealed } = wire::split(datagram)?;
        if let Some(allow) = &self.allow {
            if !allow.contains_key(&sensor) {
                return Err(Reject::NotAllowed);
            }
        }
        if let Some(b) = self.boxes.get(&sensor) {
            return wire::open(b, nonce, sealed).map(|p| (sensor, p));
        }
        let b = SalsaBox::new(&PublicKey::from(sensor), &self.secret);
        let plain = wire::open(&b, nonce, sealed)?;
        // Only keys that proved themselves take a place in the cache.
        if self.boxes.len() >= MAX_BOXES {
            if let Some(k) = self.boxes.keys().next().copied() {
                self.boxes.remove(&k);
            }
        }
        self.boxes.insert(sensor, Arc::new(b));
        Ok((sensor, plain))
    }

    fn accept(&mut self, sensor: [u8; KEY_LEN], plain: &[u8]) -> Result<Accepted, Reject> {
        let checked = wire::decode_batch(plain)?;
        let b = &checked.batch;
        if b.seq == u64::MAX {
            return Err(Reject::BadBatch);
        }
        if let Some(Some(bound)) = self.allow.as_ref().and_then(|a| a.get(&sensor)) {
            if *bound != b.client_id {
                return Err(Reject::WrongClient);
            }
        }
        let event = self.sequence(sensor, b.run_id, b.run_started, checked.type_index, b.seq)?;
        if b.end_of_run {
            self.stats.ended += 1;
        }
        Ok(Accepted { sensor, type_index: checked.type_index, batch: checked.batch, event })
    }

    /// The numbers below `end` of (sensor, run, type) that this collector
    /// has not seen; None when it does not know them all (the run is no
    /// longer tracked, or the stream's missing numbers passed the limits).
    pub fn unseen(&self, sensor: &[u8; KEY_LEN], run_id: u64, type_index: usize, end: u64) -> Option<Vec<u64>> {
        let run = self.sensors.get(sensor)?.runs.iter().find(|r| r.id == run_id)?;
        let stream = run.streams.get(type_index)?.as_ref()?;
        if stream.forgot || stream.next < end {
            return None;
        }
        Some(stream.missing.range(..end).copied().collect())
    }

    /// Takes batch `seq` of (sensor, run, type) as seen, without counting
    /// it: rebuilds the replay state from a server's ledger at its start,
    /// so batches written before a restart are duplicates after it.
    pub fn restore(&mut self, sensor: [u8; KEY_LEN], run_id: u64, started: i64, type_index: usize, seq: u64) {
        self.clock += 1;
        let stats = self.stats.clone();
        let _ = self.sequence(sensor, run_id, started, type_index, seq);
        self.stats = stats;
    }

    /// Checks and records batch `seq` of (sensor, run, type).
    fn sequence(
        &mut self,
        sensor: [u8; KEY_LEN],
        run_id: u64,
        started: i64,
        type_index: usize,
        seq: u64,
    ) -> Result<SeqEvent, Reject> {
        if !self.sensors.contains_key(&sensor) && self.sensors.len() >= MAX_SENSORS {
            if let Some(oldest) = self.sensors.iter().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| *k) {
                if let Some(gone) = self.sensors.remove(&oldest) {
                    self.missing_total -= gone.runs.iter().map(Run::missing).sum::<usize>();
                }
            }
        }
        let state = self.sensors.entry(sensor).or_default();
        state.last_seen = self.clock;
        let run = match state.runs.iter().position(|r| r.id == run_id) {
            Some(i) => i,
            None => {
                let key = (started, run_id);
                if state.floor.is_some_and(|f| key <= f) {
                    return Err(Reject::StaleRun);
                }
                if state.runs.len() >= MAX_RUNS_PER_SENSOR {
                    let Some((oldest, oldest_key)) =
                        state.runs.iter().enumerate().map(|(i, r)| (i, (r.started, r.id))).min_by_key(|(_, k)| *k)
                    else {
                        return Err(Reject::StaleRun);
                    };
                    if key < oldest_key {
                        return Err(Reject::StaleRun);
                    }
                    let gone = state.runs.swap_remove(oldest);
                    self.missing_total -= gone.missing();
                    state.floor = Some(state.floor.map_or(oldest_key, |f| f.max(oldest_key)));
                }
                state.runs.push(Run { id: run_id, started, streams: vec![None; ENCODERS.len()] });
                state.runs.len() - 1
            }
        };
        let stream =
            state.runs[run].streams.get_mut(type_index).ok_or(Reject::BadBatch)?.get_or_insert_with(Stream::default);
        if seq == stream.next {
            stream.next = seq + 1;
            Ok(SeqEvent::InOrder)
        } else if seq > stream.next {
            let gap = seq - stream.next;
            let room = MAX_MISSING_TOTAL.saturating_sub(self.missing_total);
            let remembered = gap.min(MAX_MISSING as u64).min(room as u64);
            stream.missing.extend(seq - remembered..seq);
            stream.forgot |= remembered < gap;
            self.missing_total += remembered as usize;
            while stream.missing.len() > MAX_MISSING {
                stream.missing.pop_first();
                stream.forgot = true;
                self.missing_total -= 1;
            }
            let first = stream.next;
            stream.next = seq + 1;
            self.stats.gaps = self.stats.gaps.saturating_add(gap);
            Ok(SeqEvent::Gap { first, last: seq - 1 })
        } else if stream.missing.remove(&seq) {
            self.missing_total -= 1;
            self.stats.gaps = self.stats.gaps.saturating_sub(1);
            self.stats.late += 1;
            Ok(SeqEvent::Filled)
        } else {
            Err(Reject::Duplicate)
        }
    }
}

/// Fuzz entry point (e.g. cargo-fuzz: `fuzz_target!(|d: &[u8]| netcap::collect::server::fuzz_datagram(d))`):
/// feeds `data` to a fresh [`Collector`] with fixed keys as a raw
/// datagram, as the content of an authenticated one, and sealed by a known
/// sensor (so every layer past the box sees it). Must never panic.
pub fn fuzz_datagram(data: &[u8]) {
    static FIXTURE: std::sync::OnceLock<(Collector, Sealer, [u8; KEY_LEN])> = std::sync::OnceLock::new();
    let (template, sealer, sensor) = FIXTURE.get_or_init(|| {
        let server = SecretKey::from_bytes([0x11; 32]);
        let sensor = SecretKey::from_bytes([0x22; 32]);
        let sealer = Sealer::new(&sensor, &server.public_key());
        let sensor_public = *sensor.public_key().as_bytes();
        (Collector::new(server, Some(vec![sensor_public])), sealer, sensor_public)
    });
    let mut c = template.clone();
    let _ = c.handle(data);
    let _ = c.handle_plaintext(*sensor, data);
    if let Ok(d) = sealer.seal(data) {
        let _ = c.handle(&d);
        let _ = c.handle(&d);
    }
}

/// The files of accepted batches: `OUT/<client id>/<Type>.ncap.gz`, each
/// opened by its Header (a file of another run is appended to when its
/// header matches; a batch whose payload flag or timestamp digits differ
/// goes to `<Type>.1.ncap.gz`, `<Type>.2.ncap.gz`, ...).
pub struct Files {
    out: PathBuf,
    open: HashMap<(String, usize), OpenFile>,
    clock: u64,
    /// A whole gzip member per batch (the NATS server's files: each batch
    /// ends a valid stream, so a crash is undone by cutting back to the
    /// end its ledger recorded), instead of one long sync-flushed member.
    members: bool,
}

struct OpenFile {
    writer: RecordWriter,
    payloads: bool,
    digits: u32,
    last_used: u64,
    dirty: bool,
}

/// Other names a type's file may take, when earlier ones hold another kind.
const FILE_VARIANTS: usize = 16;

impl Files {
    pub fn new(out: PathBuf) -> Self {
        Files { out, open: HashMap::new(), clock: 0, members: false }
    }

    /// Files that end a whole gzip member at every batch (see `members`).
    pub fn with_members(out: PathBuf) -> Self {
        Files { out, open: HashMap::new(), clock: 0, members: true }
    }

    /// Appends an accepted batch's records to its file (an end-of-run
    /// batch has none and writes nothing).
    pub fn append(&mut self, a: &Accepted) -> io::Result<()> {
        self.clock += 1;
        let b = &a.batch;
        if b.records.is_empty() {
            return Ok(());
        }
        let key = (b.client_id.clone(), a.type_index);
        if let Some(f) = self.open.get(&key) {
            if f.payloads != b.contains_payloads || f.digits != b.timestamp_digits {
                if let Some(f) = self.open.remove(&key) {
                    f.writer.finish()?;
                }
            }
        }
        if !self.open.contains_key(&key) {
            if self.open.len() >= MAX_OPEN_FILES {
                let lru = self.open.iter().min_by_key(|(_, f)| f.last_used).map(|(k, _)| k.clone());
                if let Some(f) = lru.and_then(|k| self.open.remove(&k)) {
                    f.writer.finish()?;
                }
            }
            let writer = self.open_file(b, ENCODERS[a.type_index].name)?;
            self.open.insert(
                key.clone(),
                OpenFile {
                    writer,
                    payloads: b.contains_payloads,
                    digits: b.timestamp_digits,
                    last_used: 0,
                    dirty: false,
                },
            );
        }
        let Some(f) = self.open.get_mut(&key) else { return Err(io::Error::other("file vanished")) };
        f.writer.write_raw(&b.records)?;
        f.writer.add_count(b.count);
        f.last_used = self.clock;
        f.dirty = true;
        Ok(())
    }

    fn open_file(&self, b: &pb::Batch, type_name: &str) -> io::Result<RecordWriter> {
        // The collector checked it; checked again where it becomes a path.
        if !super::valid_client_id(&b.client_id) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "unsafe client id"));
        }
        let dir = self.out.join(&b.client_id);
        std::fs::create_dir_all(&dir)?;
        let header = pb::Header {
            r#type: type_name.to_string(),
            version: crate::VERSION.to_string(),
            input_source: b.input_source.clone(),
            created: crate::sink::now_nanos(),
            contains_payloads: b.contains_payloads,
            timestamp_digits: b.timestamp_digits,
        };
        for n in 0..FILE_VARIANTS {
            let name = if n == 0 { format!("{type_name}.ncap.gz") } else { format!("{type_name}.{n}.ncap.gz") };
            let path = dir.join(name);
            match std::fs::symlink_metadata(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => return self.writer(&path, &header),
                Err(e) => return Err(e),
                Ok(m) if !m.file_type().is_file() => continue,
                Ok(m) if m.len() == 0 => return self.writer(&path, &header),
                Ok(_) => {
                    if same_kind(&path, &header) {
                        return self.writer(&path, &header);
                    }
                }
            }
        }
        Err(io::Error::other(format!("no free file name for {type_name} in {}", dir.display())))
    }

    fn writer(&self, path: &Path, header: &pb::Header) -> io::Result<RecordWriter> {
        if self.members {
            RecordWriter::append_members(path, header)
        } else {
            RecordWriter::append(path, header)
        }
    }

    /// Writes out and fsyncs every file written since the last call; returns
    /// each one's path and length, which ends its last whole batch (files
    /// made [`with_members`](Self::with_members)).
    pub fn sync(&mut self) -> io::Result<Vec<(PathBuf, u64)>> {
        let mut ends = Vec::new();
        for f in self.open.values_mut().filter(|f| f.dirty) {
            let len = f.writer.sync()?;
            f.dirty = false;
            ends.push((f.writer.path().to_owned(), len));
        }
        Ok(ends)
    }

    /// Pushes buffered records of every file written since the last flush.
    pub fn flush(&mut self) -> io::Result<()> {
        let mut result = Ok(());
        for f in self.open.values_mut().filter(|f| f.dirty) {
            f.dirty = false;
            if let Err(e) = f.writer.flush() {
                result = Err(e);
            }
        }
        result
    }

    /// Forgets every open file without writing more (after [`sync`](Self::sync),
    /// nothing is buffered): the NATS server does this before it cuts files
    /// back, so the next batch reopens them at their new end.
    pub fn forget_open(&mut self) {
        self.open.clear();
    }

    /// Completes every file. Returns the paths that could not be completed.
    pub fn finish(self) -> Vec<(PathBuf, io::Error)> {
        let mut failed = Vec::new();
        for (_, f) in self.open {
            let path = f.writer.path().to_owned();
            if let Err(e) = f.writer.finish() {
                failed.push((path, e));
            }
        }
        failed
    }
}

/// True when `path` is a record file whose header matches `header`'s type,
/// payload flag and timestamp digits.
fn same_kind(path: &Path, header: &pb::Header) -> bool {
    RecordReader::open(path).is_ok_and(|r| {
        let h = r.header();
        h.r#type == header.r#type
            && h.contains_payloads == header.contains_payloads
            && h.timestamp_digits == header.timestamp_digits
    })
}

/// Binds the server's UDP socket with a large receive buffer.
pub fn bind(addr: &str) -> io::Result<UdpSocket> {
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{addr} resolves to no address")))?;
    let socket =
        socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    // Best effort: the kernel caps it at net.core.rmem_max.
    let _ = socket.set_recv_buffer_size(RECV_BUFFER);
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

pub struct ServeOptions {
    /// Print a stats line this often (None: only the final one).
    pub stats_interval: Option<Duration>,
    /// Flush written files this often.
    pub flush_interval: Duration,
    /// Set by SIGINT/SIGTERM: drain, close every file, return.
    pub stop: Arc<AtomicBool>,
    /// Datagrams handled so far (accepted or rejected), for whoever watches
    /// progress (benchmarks pace their senders with it).
    pub processed: Arc<AtomicU64>,
}

/// Receives on `socket` until `stop`, then drains what the kernel holds,
/// handles everything queued, completes every file and prints the final
/// stats line. Never stops on a bad datagram.
pub fn serve(socket: UdpSocket, collector: Collector, files: Files, opts: &ServeOptions) -> io::Result<Stats> {
    socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    let (tx, rx) = unbounded::<(SocketAddr, Vec<u8>)>();
    let queued = Arc::new(AtomicUsize::new(0));
    let queue_full = Arc::new(AtomicU64::new(0));
    let worker = {
        let (queued, queue_full) = (Arc::clone(&queued), Arc::clone(&queue_full));
        let (stats_interval, flush_interval) = (opts.stats_interval, opts.flush_interval);
        let processed = Arc::clone(&opts.processed);
        std::thread::spawn(move || {
            process(rx, collector, files, &queued, &queue_full, &processed, stats_interval, flush_interval)
        })
    };
    let mut buf = vec![0u8; 1 << 16];
    let enqueue = |from: SocketAddr, data: &[u8]| {
        if queued.load(Ordering::Relaxed) + data.len() > QUEUE_BYTES {
            queue_full.fetch_add(1, Ordering::Relaxed);
        } else {
            queued.fetch_add(data.len(), Ordering::Relaxed);
            let _ = tx.send((from, data.to_vec()));
        }
    };
    let mut errors_logged = 0u32;
    while !opts.stop.load(Ordering::Relaxed) {
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => enqueue(from, &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                if errors_logged < LOG_PER_KIND {
                    errors_logged += 1;
                    eprintln!("netcap server: receive error: {e}");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    // What the kernel already holds was sent before the stop: take it too.
    socket.set_nonblocking(true)?;
    while let Ok((n, from)) = socket.recv_from(&mut buf) {
        enqueue(from, &buf[..n]);
    }
    drop(tx);
    worker.join().map_err(|_| io::Error::other("processing thread panicked"))
}

#[allow(clippy::too_many_arguments)]
fn process(
    rx: Receiver<(SocketAddr, Vec<u8>)>,
    mut collector: Collector,
    mut files: Files,
    queued: &AtomicUsize,
    queue_full: &AtomicU64,
    processed: &AtomicU64,
    stats_interval: Option<Duration>,
    flush_interval: Duration,
) -> Stats {
    let mut log = Log::default();
    let mut last_stats = Instant::now();
    let mut last_flush = Instant::now();
    let mut dropped_counted = 0u64;
    loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok((from, datagram)) => {
                queued.fetch_sub(datagram.len(), Ordering::Relaxed);
                match collector.handle(&datagram) {
                    Ok(a) => {
                        log.event(&a);
                        if let Err(e) = files.append(&a) {
                            collector.stats.write_errors += 1;
                            log.write_error(&a, &e);
                        }
                    }
                    Err(reason) => log.reject(reason, &from),
                }
                processed.fetch_add(1, Ordering::Relaxed);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let dropped = queue_full.load(Ordering::Relaxed);
        collector.count_dropped(Reject::QueueFull, dropped - dropped_counted);
        dropped_counted = dropped;
        if stats_interval.is_some_and(|i| last_stats.elapsed() >= i) {
            last_stats = Instant::now();
            eprintln!("netcap server: stats: {}", collector.stats.line());
        }
        if last_flush.elapsed() >= flush_interval {
            last_flush = Instant::now();
            if let Err(e) = files.flush() {
                eprintln!("netcap server: cannot flush record files: {e}");
            }
        }
    }
    let dropped = queue_full.load(Ordering::Relaxed);
    collector.count_dropped(Reject::QueueFull, dropped - dropped_counted);
    for (path, e) in files.finish() {
        collector.stats.write_errors += 1;
        eprintln!("netcap server: cannot complete {}: {e}", path.display());
    }
    eprintln!("netcap server: final: {}", collector.stats.line());
    collector.stats
}

/// Rate-limited logging of rejections, gaps and write errors.
#[derive(Default)]
pub(crate) struct Log {
    rejects: [u32; Reject::ALL.len()],
    gaps: u32,
    writes: u32,
}

impl Log {
    pub(crate) fn reject(&mut self, reason: Reject, from: &dyn std::fmt::Display) {
        let n = &mut self.rejects[reason.index()];
        if *n < LOG_PER_KIND {
            *n += 1;
            let more = if *n == LOG_PER_KIND { " (further ones are only counted)" } else { "" };
            eprintln!("netcap server: dropped a datagram from {from}: {reason}{more}");
        }
    }

    pub(crate) fn event(&mut self, a: &Accepted) {
        let what = match a.event {
            SeqEvent::InOrder if a.batch.end_of_run => return,
            SeqEvent::Gap { first, last } if a.batch.end_of_run => {
                format!("run ended with batches {first}-{last} missing")
            }
            SeqEvent::InOrder => return,
            SeqEvent::Gap { first, last } if first == last => format!("batch {first} missing"),
            SeqEvent::Gap { first, last } => format!("batches {first}-{last} missing"),
            SeqEvent::Filled => format!("late batch {} filled a gap", a.batch.seq),
        };
        if self.gaps < 10 * LOG_PER_KIND {
            self.gaps += 1;
            let more = if self.gaps == 10 * LOG_PER_KIND { " (further gaps are only counted)" } else { "" };
            eprintln!(
                "netcap server: {} {} (sensor {}…, run {:016x}): {what}{more}",
                a.batch.client_id,
                a.batch.r#type,
                super::hex(&a.sensor[..4]),
                a.batch.run_id
            );
        }
    }

    pub(crate) fn write_error(&mut self, a: &Accepted, e: &io::Error) {
        if self.writes < LOG_PER_KIND {
            self.writes += 1;
            eprintln!("netcap server: cannot write {} records of {}: {e}", a.batch.r#type, a.batch.client_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::generate_keypair;
    use prost::Message;

    struct Fixture {
        collector: Collector,
        sealer: Sealer,
        server_public: PublicKey,
    }

    fn fixture(allow: bool) -> Fixture {
        let (server_sk, server_pk) = generate_keypair();
        let (sensor_sk, sensor_pk) = generate_keypair();
        let allow = allow.then(|| vec![*sensor_pk.as_bytes()]);
        Fixture {
            collector: Collector::new(server_sk, allow),
            sealer: Sealer::new(&sensor_sk, &server_pk),
            server_public: server_pk,
        }
    }

    fn batch(run: u64, started: i64, seq: u64) -> pb::Batch {
        pb::Batch {
            client_id: "s1".into(),
            r#type: "TCP".into(),
            run_id: run,
            run_started: started,
            seq,
            records: pb::Tcp { src_port: seq as i32, ..Default::default() }.encode_length_delimited_to_vec(),
            count: 1,
            timestamp_digits: 6,
            ..Default::default()
        }
    }

    fn sealed(f: &Fixture, b: &pb::Batch) -> Vec<u8> {
        f.sealer.seal(&wire::encode_batch(b)).expect("seal")
    }

    #[test]
    fn gaps_are_counted_and_late_batches_fill_them_duplicates_are_dropped() {
        let mut f = fixture(false);
        let d: Vec<Vec<u8>> = (0..6).map(|s| sealed(&f, &batch(1, 10, s))).collect();
        assert_eq!(f.collector.handle(&d[0]).map(|a| a.event), Ok(SeqEvent::InOrder));
        assert_eq!(f.collector.handle(&d[3]).map(|a| a.event), Ok(SeqEvent::Gap { first: 1, last: 2 }));
        assert_eq!(f.collector.stats.gaps, 2);
        assert_eq!(f.collector.handle(&d[2]).map(|a| a.event), Ok(SeqEvent::Filled));
        assert_eq!(f.collector.stats.gaps, 1);
        assert_eq!(f.collector.handle(&d[2]).err(), Some(Reject::Duplicate), "a late batch counts once");
        assert_eq!(f.collector.handle(&d[3]).err(), Some(Reject::Duplicate));
        assert_eq!(f.collector.handle(&d[0]).err(), Some(Reject::Duplicate));
        // The same batch sealed anew (another nonce) is still a replay.
        assert_eq!(f.collector.handle(&sealed(&f, &batch(1, 10, 3))).err(), Some(Reject::Duplicate));
        assert_eq!(f.collector.handle(&d[1]).map(|a| a.event), Ok(SeqEvent::Filled));
        assert_eq!(f.collector.stats.gaps, 0);
        assert_eq!(f.collector.stats.late, 2);
        assert_eq!(f.collector.stats.batches, 4);
        assert_eq!(f.collector.stats.rejected(Reject::Duplicate), 4);
        // A restarted sensor (new run id) starts at 0 again.
        assert!(f.collector.handle(&sealed(&f, &batch(2, 20, 0))).is_ok());
        // Other types have their own numbers.
        let mut udp = batch(1, 10, 0);
        udp.r#type = "UDP".into();
        assert!(f.collector.handle(&sealed(&f, &udp)).is_ok());
    }

    #[test]
    fn sequence_state_is_bounded() {
        let mut f = fixture(false);
        assert!(f.collector.handle(&sealed(&f, &batch(1, 10, 0))).is_ok());
        let far = 10 * MAX_MISSING as u64;
        assert!(f.collector.handle(&sealed(&f, &batch(1, 10, far))).is_ok());
        assert_eq!(f.collector.stats.gaps, far - 1);
        assert!(f.collector.handle(&sealed(&f, &batch(1, 10, far - 1))).is_ok(), "recent gaps can be filled");
        assert_eq!(f.collector.handle(&sealed(&f, &batch(1, 10, 1))).err(), Some(Reject::Duplicate), "forgotten gap");
        let stream = &f.collector.sensors.values().next().expect("sensor").runs[0].streams;
        assert!(stream.iter().flatten().all(|s| s.missing.len() <= MAX_MISSING));
        assert_eq!(f.collector.missing_total, MAX_MISSING - 1);

        // Runs: old ones retire, and then their replays are stale.
        for run in 0..(MAX_RUNS_PER_SENSOR as u64 + 2) {
            assert!(f.collector.handle(&sealed(&f, &batch(100 + run, 1000 + run as i64, 0))).is_ok());
        }
        assert_eq!(f.collector.sensors.values().next().expect("sensor").runs.len(), MAX_RUNS_PER_SENSOR);
        assert_eq!(f.collector.missing_total, 0, "the retired run took its gaps along");
        assert_eq!(f.collector.handle(&sealed(&f, &batch(100, 1000, 1))).err(), Some(Reject::StaleRun));
        assert_eq!(f.collector.handle(&sealed(&f, &batch(555, 5, 0))).err(), Some(Reject::StaleRun));
        assert_eq!(f.collector.handle(&sealed(&f, &batch(u64::MAX, 0, u64::MAX))).err(), Some(Reject::BadBatch));
    }

    #[test]
    fn remembered_gaps_are_bounded_in_all() {
        let mut f = fixture(false);
        let jump = wire::encode_batch(&batch(1, 1, 2 * MAX_MISSING as u64));
        let streams = MAX_MISSING_TOTAL / MAX_MISSING + 10;
        for i in 0..streams {
            let mut sensor = [0u8; KEY_LEN];
            sensor[..8].copy_from_slice(&(i as u64).to_le_bytes());
            assert!(f.collector.handle_plaintext(sensor, &jump).is_ok());
        }
        assert_eq!(f.collector.missing_total, MAX_MISSING_TOTAL);
        assert_eq!(f.collector.stats.gaps, streams as u64 * 2 * MAX_MISSING as u64, "still counted");
    }

    #[test]
    fn every_bad_datagram_is_rejected_by_reason() {
        let mut f = fixture(true);
        let good = sealed(&f, &batch(1, 1, 0));
        let c = &mut f.collector;
        assert_eq!(c.handle(b"").err(), Some(Reject::Short));
        assert_eq!(c.handle(&good[..40]).err(), Some(Reject::Short));
        assert_eq!(c.handle(&good[..good.len() - 1]).err(), Some(Reject::Auth), "truncated");
        let mut flipped = good.clone();
        if let Some(last) = flipped.last_mut() {
            *last ^= 1;
        }
        assert_eq!(c.handle(&flipped).err(), Some(Reject::Auth), "tampered");
        // Sealed for another server.
        let stranger = Sealer::new(&SecretKey::from_bytes([9; 32]), &f.server_public)
            .seal(&wire::encode_batch(&batch(1, 1, 0)))
            .expect("seal");
        assert_eq!(c.handle(&stranger).err(), Some(Reject::NotAllowed));
        let mut garbage = vec![0u8; 200];
        garbage[..32].copy_from_slice(f.sealer.sensor_public());
        assert_eq!(c.handle(&garbage).err(), Some(Reject::Auth));
        assert!(c.handle(&good).is_ok());
        assert_eq!(c.handle(&good).err(), Some(Reject::Duplicate));
        let s = &c.stats;
        assert_eq!((s.rejected(Reject::Short), s.rejected(Reject::Auth), s.rejected(Reject::NotAllowed)), (2, 3, 1));
        assert_eq!((s.datagrams, s.batches, s.rejected_total()), (8, 1, 7));
    }

    #[test]
    fn a_key_bound_to_a_client_id_cannot_send_as_another_and_restore_rebuilds_replay_state() {
        let (server_sk, server_pk) = generate_keypair();
        let (bound_sk, bound_pk) = generate_keypair();
        let (free_sk, free_pk) = generate_keypair();
        let allow = vec![(*bound_pk.as_bytes(), Some("s1".to_string())), (*free_pk.as_bytes(), None)];
        let mut c = Collector::with_bindings(server_sk.clone(), Some(allow.clone()));
        let bound = Sealer::new(&bound_sk, &server_pk);
        let free = Sealer::new(&free_sk, &server_pk);
        let mut other = batch(1, 1, 0);
        other.client_id = "s2".into();
        let seal = |s: &Sealer, b: &pb::Batch| s.seal(&wire::encode_batch(b)).expect("seal");
        assert_eq!(c.handle(&seal(&bound, &other)).err(), Some(Reject::WrongClient));
        assert!(c.handle(&seal(&bound, &batch(1, 1, 0))).is_ok());
        assert!(c.handle(&seal(&free, &other)).is_ok(), "a key without a bound id may use any");
        assert_eq!(c.stats.rejected(Reject::WrongClient), 1);
        assert_eq!(c.stats.batches, 2);

        // A fresh collector told what was written accepts nothing twice.
        let mut fresh = Collector::with_bindings(server_sk, Some(allow));
        fresh.restore(*bound_pk.as_bytes(), 1, 1, ENCODERS.iter().position(|e| e.name == "TCP").expect("TCP"), 0);
        assert_eq!(fresh.stats, Stats::default(), "restoring counts nothing");
        assert_eq!(fresh.handle(&seal(&bound, &batch(1, 1, 0))).err(), Some(Reject::Duplicate));
        assert_eq!(fresh.handle(&seal(&bound, &batch(1, 1, 1))).map(|a| a.event), Ok(SeqEvent::InOrder));
    }

    #[test]
    fn the_handler_survives_random_and_mutated_input() {
        // A bounded stand-in for the fuzz target: xorshift noise and
        // mutations of valid datagrams and plaintexts.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let plain = wire::encode_batch(&batch(1, 1, 0));
        let proto = batch(1, 1, 0).encode_to_vec();
        for i in 0..1500 {
            let mut data = match i % 3 {
                0 => plain.clone(),
                1 => proto.clone(),
                _ => (0..(rnd() % 300) as usize).map(|_| rnd() as u8).collect(),
            };
            for _ in 0..(rnd() % 4) {
                if !data.is_empty() {
                    let at = (rnd() as usize) % data.len();
                    data[at] = rnd() as u8;
                }
            }
            if rnd() % 4 == 0 {
                data.truncate((rnd() as usize) % (data.len() + 1));
            }
            fuzz_datagram(&data);
        }
    }
}

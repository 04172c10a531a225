//! The capture pipeline:
//!
//! ```text
//! reader thread ──batch k──▶ worker k % N ──result k──▶ merge/writer thread ──▶ <Type>.ncap.gz
//!  (pcap-parser)   bounded     (decode once,   bounded     (takes results in      errors.log/.pcap
//!                  channels     run encoders)  channels     batch order)           unknown.pcap
//! ```
//!
//! Packets travel in batches (one arena per batch) to keep channel traffic
//! and allocation off the per-packet path. Batches go round-robin to the
//! workers; the writer receives result k from worker k % N, so it sees
//! packets in capture order without a reorder buffer, and every output
//! file is byte-identical for any number of workers. That writer thread is
//! also where stateful stages (flows, TCP reassembly) attach: they get
//! every packet in capture order.
//!
//! The flow stage ([`crate::flows`]) is such a stage: workers reduce each
//! packet to a small `Observation`, and the writer feeds them, in capture
//! order, to one table per selected flow record type, whose expired
//! entries go through the same record sink as every other record.
//!
//! Why this cannot deadlock: the writer only waits for result k, whose
//! batch the reader has already sent; worker k % N has delivered all its
//! earlier results (the writer consumed them), so nothing blocks it.

use crate::app::{AppOutput, AppProtocol, ConnInfo};
use crate::budget::Budget;
use crate::capture::dump::PacketDump;
use crate::capture::{BatchPool, CaptureStats, PacketBatch, PacketSource};
use crate::decode::{kind, linktype, wire, Emitter, EncodeConfig, ErrorKind, Layer, Layers, Outcome};
use crate::defrag::{DefragConfig, DefragStats, Defragmenter};
use crate::flows::{FlowConfig, Observation, Tracker};
use crate::registry::{EncodeFn, ENCODERS};
use crate::sink::RecordSink;
use crate::stream::{Segment, StageOutput, StreamConfig, StreamStage, StreamStats};
use crate::timefmt;
use anyhow::{Context, Result};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Packets per batch. Every stage hands batches on through a channel and
/// wakes a thread for each: 1,024 packets per batch took 5-9 % less time
/// than 256 on the benchmark (two cores, eight threads), and 2,048 another
/// 4 % (gzip, six alternating runs) to 9 % (`-format parquet`, four) less
/// than 1,024, for 6-8 MB more peak RSS (an earlier measurement, before the
/// stream stage, saw no gain). Live captures cut batches by time too.
pub const BATCH_PACKETS: usize = 2048;
/// A batch is also cut when its packet bytes pass this size.
const BATCH_BYTES: usize = 2 << 20;

/// Dropped batches whose buffers wait for the reader (see [`BatchPool`]):
/// about as many as are in flight between the reader and the writer's
/// stream stage on a two-core machine, a few megabytes.
const POOLED_BATCHES: usize = 8;
/// Longest wait of the writer thread before it lets the sink act on time.
const TICK: Duration = Duration::from_millis(250);
/// Most packet bytes read but not yet written. The channels bound batches
/// in number, but one batch can hold a packet of up to 64 MiB (and its
/// errors.log hex dump is ~4.5 times that), so without this a capture of
/// huge packets filled every channel slot with one: memory grew with the
/// input. The reader waits while this much is in flight (a single larger
/// batch still passes alone).
pub const MAX_IN_FLIGHT_BYTES: usize = 32 << 20;

pub struct CaptureOptions {
    /// The capture file or interface, as the header's InputSource.
    pub source_name: String,
    pub out_dir: PathBuf,
    pub workers: usize,
    /// Packets buffered per worker channel.
    pub packet_buffer: usize,
    /// Indexes into [`ENCODERS`] of the encoders to run.
    pub encoders: Vec<usize>,
    pub config: EncodeConfig,
    /// Timeouts and table size of the flow record types.
    pub flows: FlowConfig,
    /// Limits of TCP reassembly and the application-layer decoders.
    pub stream: StreamConfig,
    /// Show a progress bar (the caller decides: stderr is a terminal, not -quiet).
    pub progress: bool,
    /// Set by SIGINT/SIGTERM: stop reading, drain, close every file.
    pub stop: Arc<AtomicBool>,
}

/// How often one kind of problem occurred, and where first: a responder
/// opens that frame in Wireshark (`-Y frame.number==N`) to see an example.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KindTally {
    pub packets: u64,
    /// Lowest frame number of the kind's packets; 0 when no packet is known
    /// (a problem found at a timeout or at the end of input).
    pub first_frame: u64,
}

impl KindTally {
    fn add(map: &mut BTreeMap<String, KindTally>, kind: &str, frame: u64) {
        let tally = match map.get_mut(kind) {
            Some(t) => t,
            None => map.entry(kind.to_owned()).or_default(),
        };
        tally.packets += 1;
        if frame != 0 && (tally.first_frame == 0 || frame < tally.first_frame) {
            tally.first_frame = frame;
        }
    }

    /// `3 (first: frame 17)`, or just the count when no frame is known.
    pub fn describe(&self, count: impl Fn(u64) -> String) -> String {
        match self.first_frame {
            0 => count(self.packets),
            f => format!("{} (first: frame {})", count(self.packets), count(f)),
        }
    }
}

/// What a run did, for the summary table and for tests.
#[derive(Debug, Default)]
pub struct Summary {
    pub packets: u64,
    pub bytes: u64,
    /// Records written per type, in registry order; types with none omitted.
    pub records: Vec<(&'static str, u64)>,
    pub errors: u64,
    pub unknown: u64,
    /// Error kinds with counts and first frames, as in the summary of errors.log.
    pub error_kinds: BTreeMap<String, KindTally>,
    /// Unknown protocols with counts and first frames ("EtherType 0x88cc").
    pub unknown_kinds: BTreeMap<String, KindTally>,
    /// Flow records written early because their table was full, per type
    /// (types with none omitted).
    pub flows_evicted: Vec<(&'static str, u64)>,
    /// What TCP reassembly counted, when an application-layer type ran.
    pub stream: Option<StreamStats>,
    /// What IP defragmentation counted.
    pub defrag: DefragStats,
    /// Problems with the input file itself (e.g. a truncated last packet).
    pub warnings: Vec<String>,
    pub interrupted: bool,
    /// Kernel counters of a live capture.
    pub capture_stats: Option<CaptureStats>,
    pub elapsed: Duration,
    /// Extension of errors/unknown packet dumps: `pcap`, or `pcapng` for a
    /// pcapng input.
    pub dump_extension: &'static str,
    /// Writing the output failed (a full disk): what happened and what was
    /// kept. Every file was closed valid; the run must end non-zero.
    pub write_error: Option<String>,
}

/// The unknown-protocol breakdown in -out, as the summary prints it:
/// `Protocol<TAB>Packets`, most packets first (then by name).
pub const UNKNOWN_TSV: &str = "unknown.tsv";

/// A packet the writer must log: errors go to errors.log and errors.pcap,
/// unknowns to unknown.pcap.
enum Problem {
    Error { packet: usize, kind: String, entry: String },
    Unknown { packet: usize, kind: String },
}

struct BatchResult {
    batch: PacketBatch,
    /// Length-delimited records per selected encoder.
    records: Vec<Vec<u8>>,
    counts: Vec<u64>,
    problems: Vec<Problem>,
    /// One per packet, in order, when a flow type is selected.
    observations: Vec<Observation>,
    /// The TCP segments of the batch, one list per stream shard.
    segments: Vec<Vec<Segment>>,
    /// The IP fragments of the batch, in packet order.
    fragments: Vec<FragmentRef>,
}

/// Where an IP fragment's packet (its IPv4 or IPv6 header on) lies in the
/// bytes of packet `index` of the batch.
#[derive(Clone, Copy)]
struct FragmentRef {
    index: u32,
    at: u32,
    len: u32,
}

impl FragmentRef {
    /// The innermost fragmented IP packet of a decoded packet, if any.
    fn of(l: &Layers, packet: &[u8], index: usize) -> Option<FragmentRef> {
        let mut found = None;
        let mut last_ipv6 = None;
        for layer in l.layers() {
            match layer {
                Layer::Ipv4(p) if p.is_fragment() => found = Some(p.bytes()),
                Layer::Ipv6(p) => last_ipv6 = Some(p.bytes()),
                Layer::Ipv6Fragment(_) => found = last_ipv6,
                _ => {}
            }
        }
        let ip = found?;
        let at = wire::offset_in(packet, ip)?;
        Some(FragmentRef {
            index: u32::try_from(index).ok()?,
            at: u32::try_from(at).ok()?,
            len: u32::try_from(ip.len()).ok()?,
        })
    }
}

pub fn run(source: Box<dyn PacketSource>, records: Box<dyn RecordSink>, opts: &CaptureOptions) -> Result<Summary> {
    let start = Instant::now();
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("cannot create output directory {}", opts.out_dir.display()))?;

    let workers = opts.workers.max(1);
    let capacity = opts.packet_buffer.div_ceil(BATCH_PACKETS).max(1);
    let mut input_txs = Vec::with_capacity(workers);
    let mut result_rxs = Vec::with_capacity(workers);
    let mut handles = Vec::with_capacity(workers);
    // (slot, layer kinds read, encoder) of the per-packet types; flow types
    // fill no slot in the workers.
    let packet_encoders: Vec<(usize, u64, EncodeFn)> = opts
        .encoders
        .iter()
        .enumerate()
        .filter_map(|(slot, &e)| ENCODERS[e].packet().map(|f| (slot, ENCODERS[e].needs(), f)))
        .collect();
    let flow_types = opts.encoders.iter().filter(|&&e| ENCODERS[e].flow().is_some()).count();
    // (slot, name, protocol) of the selected application-layer types.
    let stream_types: Vec<(usize, &'static str, &'static AppProtocol)> = opts
        .encoders
        .iter()
        .enumerate()
        .filter_map(|(slot, &e)| ENCODERS[e].stream().map(|p| (slot, ENCODERS[e].name, p)))
        .collect();
    // The protocols the stream stage recognises: those of the selected
    // types and, for Flow and Connection's ApplicationProto, every one.
    let identify = opts.encoders.iter().any(|&e| APP_IDENTIFIED.contains(&ENCODERS[e].name));
    let mut protocols: Vec<&'static AppProtocol> = Vec::new();
    let candidates = ENCODERS.iter().filter_map(|e| e.stream().filter(|_| identify));
    for p in stream_types.iter().map(|t| t.2).chain(candidates) {
        if !protocols.iter().any(|q| std::ptr::eq(*q, p)) {
            protocols.push(p);
        }
    }
    let (flow_memcap, stream_memcap) = split_memcap(opts.flows.memcap, flow_types, !protocols.is_empty());
    let table_cfg = FlowConfig { memcap: flow_memcap / flow_types.max(1), ..opts.flows };
    let trackers: Vec<(usize, Box<dyn Tracker>)> = opts
        .encoders
        .iter()
        .enumerate()
        .filter_map(|(slot, &e)| ENCODERS[e].flow().map(|new| (slot, new(&table_cfg))))
        .collect();
    let observe = !trackers.is_empty();
    let stream = (!protocols.is_empty()).then(|| {
        StreamStage::start(
            StreamConfig { memcap: stream_memcap, ..opts.stream },
            protocols,
            stream_types.iter().map(|(_, n, _)| *n).collect(),
        )
    });
    let shards = stream.as_ref().map_or(0, StreamStage::shards);
    for _ in 0..workers {
        let (in_tx, in_rx) = bounded::<PacketBatch>(capacity);
        let (out_tx, out_rx) = bounded::<BatchResult>(capacity);
        let job = WorkerJob {
            slots: opts.encoders.len(),
            encoders: packet_encoders.clone(),
            config: opts.config,
            observe,
            shards,
        };
        // Named for profilers (`perf report --sort comm`) and panics.
        let handle = std::thread::Builder::new()
            .name(format!("worker-{}", handles.len()))
            .spawn(move || worker(in_rx, out_tx, &job))
            .context("cannot start a worker thread")?;
        handles.push(handle);
        input_txs.push(in_tx);
        result_rxs.push(out_rx);
    }

    let dump_extension = source.dump_format().extension();
    let input_progress = source.progress();
    let mut sink = Sink {
        encoders: opts.encoders.clone(),
        records,
        flow_out: trackers.iter().map(|_| (Vec::new(), 0)).collect(),
        trackers,
        stream,
        stream_slots: stream_types.iter().map(|(slot, _, _)| *slot).collect(),
        pending_observations: VecDeque::new(),
        defrag: Defragmenter::new(DefragConfig::default()),
        packet_encoders: packet_encoders.clone(),
        config: opts.config,
        timestamp_digits: 6,
        errors_log: ErrorLog::new(opts.out_dir.join("errors.log")),
        out_dir: opts.out_dir.clone(),
        errors_pcap: PacketDump::new(&opts.out_dir.join(format!("errors.{dump_extension}")), source.dump_format()),
        unknown_pcap: PacketDump::new(&opts.out_dir.join(format!("unknown.{dump_extension}")), source.dump_format()),
        summary: Summary { dump_extension, ..Summary::default() },
    };

    let stop = opts.stop.clone();
    let budget = Arc::new(Budget::new(MAX_IN_FLIGHT_BYTES));
    let reader_budget = Arc::clone(&budget);
    let reader_thread = std::thread::Builder::new()
        .name("reader".into())
        .spawn(move || read_batches(source, input_txs, &stop, &reader_budget))
        .context("cannot start the reader thread")?;

    let progress = progress_bar(opts.progress, input_progress.as_ref().map(|p| p.total()));
    let mut write_result = Ok(());
    let mut seq = 0usize;
    loop {
        let result = match result_rxs[seq % workers].recv_timeout(TICK) {
            Ok(r) => r,
            // Quiet input (live capture): let the sink flush by time.
            Err(RecvTimeoutError::Timeout) => {
                if write_result.is_ok() {
                    write_result = sink.records.tick();
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        seq += 1;
        let bytes = result.batch.byte_len();
        if write_result.is_ok() {
            write_result = sink.write(result);
            match &input_progress {
                Some(p) => {
                    progress.set_position(p.read());
                    progress.set_message(format!("{} packets", indicatif::HumanCount(sink.summary.packets)));
                }
                None => progress.set_position(sink.summary.packets),
            }
        }
        budget.release(bytes);
        // After a write error keep draining, so the reader and workers finish.
    }
    // Nothing more is released: a reader still waiting must not wait on.
    budget.close();
    progress.finish_and_clear();

    let (warnings, interrupted, capture_stats) =
        reader_thread.join().map_err(|_| anyhow::anyhow!("reader thread panicked"))?;
    for h in handles {
        h.join().map_err(|_| anyhow::anyhow!("worker thread panicked"))?;
    }
    let mut summary = sink.finish(write_result.err());
    summary.warnings = warnings;
    summary.interrupted = interrupted;
    summary.capture_stats = capture_stats;
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// An observation of a TCP packet of `conn` from client to server, for
/// naming its flow entries when no packet of it is at hand.
fn conn_observation(conn: &ConnInfo) -> Observation {
    let (src_mac, dst_mac) = conn.macs.unwrap_or_default();
    Observation {
        ip_version: conn.ip_version,
        src_ip: conn.client_ip,
        dst_ip: conn.server_ip,
        protocol: crate::flows::PROTO_TCP,
        has_ports: true,
        src_port: conn.client_port,
        dst_port: conn.server_port,
        ethernet: conn.macs.is_some(),
        src_mac,
        dst_mac,
        ..Observation::default()
    }
}

/// The flow record types whose ApplicationProto comes from the stream
/// stage's recognition (besides the layer decoders'): with one of them
/// selected, the stage runs and recognises every application protocol.
const APP_IDENTIFIED: [&str; 2] = ["Flow", "Connection"];

/// The layer kinds a reassembled datagram shares with its fragments: its IP
/// header (one record per fragment) and its transport header (recorded
/// from the first fragment, which carries it). Encoders that read nothing
/// else are not run on the datagram; its application layers are.
const REASSEMBLED_OUTER: u64 = kind::IPV4
    | kind::IPV6
    | kind::IPV6_HOP_BY_HOP
    | kind::IPV6_FRAGMENT
    | kind::TCP
    | kind::UDP
    | kind::ICMPV4
    | kind::ICMPV6;

/// Divides the one memory budget of the stateful stages: half to the flow
/// tables and half to TCP reassembly when both run, all to the one that
/// runs otherwise. Returns (flow tables, reassembly).
fn split_memcap(memcap: usize, flow_types: usize, stream: bool) -> (usize, usize) {
    match (flow_types > 0, stream) {
        (true, true) => (memcap / 2, memcap - memcap / 2),
        (true, false) => (memcap, 0),
        (false, true) => (0, memcap),
        (false, false) => (0, 0),
    }
}

/// Reads batches and deals them round-robin. Returns warnings about the
/// input, whether it stopped on a signal, and live-capture statistics.
fn read_batches(
    mut reader: Box<dyn PacketSource>,
    txs: Vec<Sender<PacketBatch>>,
    stop: &AtomicBool,
    budget: &Budget,
) -> (Vec<String>, bool, Option<CaptureStats>) {
    let mut warnings = Vec::new();
    let mut packets = 0u64;
    let mut interrupted = false;
    // Counts sent batches only: the writer expects batch k from worker k % N.
    let mut seq = 0u64;
    let pool = BatchPool::new(POOLED_BATCHES);
    loop {
        if stop.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        // Room for the usual batch: growing by doubling copied it each time.
        let mut batch = pool.take(BATCH_PACKETS, BATCH_BYTES);
        batch.seq = seq;
        batch.first_packet = packets;
        let more = match reader.fill(&mut batch, BATCH_PACKETS, BATCH_BYTES) {
            Ok(more) => more,
            Err(w) => {
                warnings.push(w.message);
                false
            }
        };
        batch.timestamp_digits = reader.timestamp_digits();
        packets += batch.read_count();
        if !batch.is_empty() {
            let worker = (seq % txs.len() as u64) as usize;
            budget.acquire(batch.byte_len());
            if txs[worker].send(batch).is_err() {
                break;
            }
            seq += 1;
        }
        if !more {
            break;
        }
    }
    (warnings, interrupted, reader.stats())
}

/// What a worker runs on each packet.
struct WorkerJob {
    /// Number of selected record types (result slots).
    slots: usize,
    /// (slot, layer kinds read, encoder) of the selected per-packet types.
    encoders: Vec<(usize, u64, EncodeFn)>,
    config: EncodeConfig,
    /// Make an `Observation` of every packet for the flow stage.
    observe: bool,
    /// Stream shards to divide TCP segments between (0: no stream stage).
    shards: usize,
}

/// The encoders to run on a packet, by the kinds of layer it has: most
/// packets of a capture have one of a few sets (Ethernet, IPv4, TCP, ...),
/// and testing each selected encoder's layer kinds on every packet was
/// about 1 % of a run's instructions.
#[derive(Default)]
struct EncoderPlan {
    /// (layer kinds, the encoders whose kinds meet them), most recent sets.
    sets: Vec<(u64, Vec<(usize, EncodeFn)>)>,
    /// The set a new one replaces once `sets` is full.
    next: usize,
}

impl EncoderPlan {
    const SETS: usize = 16;

    fn for_kinds(&mut self, kinds: u64, encoders: &[(usize, u64, EncodeFn)]) -> &[(usize, EncodeFn)] {
        let at = match self.sets.iter().position(|(k, _)| *k == kinds) {
            Some(at) => at,
            None => {
                let list =
                    encoders.iter().filter(|(_, needs, _)| kinds & needs != 0).map(|&(s, _, f)| (s, f)).collect();
                if self.sets.len() < Self::SETS {
                    self.sets.push((kinds, list));
                    self.sets.len() - 1
                } else {
                    let at = self.next % Self::SETS;
                    self.next = at + 1;
                    if let Some(set) = self.sets.get_mut(at) {
                        *set = (kinds, list);
                    }
                    at
                }
            }
        };
        self.sets.get(at).map_or(&[], |(_, list)| list.as_slice())
    }
}

fn worker(rx: Receiver<PacketBatch>, tx: Sender<BatchResult>, job: &WorkerJob) {
    // Bytes each record type took in the previous batch: the next batch's
    // buffers start that large (plus a quarter), so they rarely grow; growing
    // from empty cost a realloc and a copy per doubling, per type, per batch.
    let mut sizes = vec![0usize; job.slots];
    // The same for each shard's segment list (from empty, a list grew and
    // was copied about eight times per batch).
    let mut segment_counts = vec![0usize; job.shards];
    let mut plan = EncoderPlan::default();
    for batch in rx {
        let mut records: Vec<Vec<u8>> = sizes.iter().map(|&n| Vec::with_capacity(n + n / 4)).collect();
        let mut counts = vec![0u64; job.slots];
        let mut problems = Vec::new();
        let mut observations = Vec::with_capacity(if job.observe { batch.len() } else { 0 });
        let mut segments: Vec<Vec<Segment>> = segment_counts.iter().map(|&n| Vec::with_capacity(n + n / 4)).collect();
        let mut fragments = Vec::new();
        // (slot, bytes, records) before each encoder run on the current
        // packet, to undo its output after a panic.
        let mut marks: Vec<(usize, usize, u64)> = Vec::with_capacity(job.slots);
        for (index, (meta, data)) in batch.iter().enumerate() {
            marks.clear();
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let mut layers = Layers::empty(meta.timestamp, data, meta.orig_len as usize);
                layers.decode_frame(meta.link_type, data);
                for &(slot, encode) in plan.for_kinds(layers.kinds(), &job.encoders) {
                    marks.push((slot, records[slot].len(), counts[slot]));
                    let mut out = Emitter::for_frame(&mut records[slot], &mut counts[slot], meta.frame);
                    encode(&layers, &job.config, &mut out);
                }
                let observation =
                    job.observe.then(|| Observation { frame: meta.frame, ..Observation::of(&layers, meta.orig_len) });
                if layers.has(kind::IPV4 | kind::IPV6_FRAGMENT) {
                    fragments.extend(FragmentRef::of(&layers, data, index));
                }
                if job.shards > 0 && layers.has(kind::TCP) {
                    if let Some(s) = Segment::of(&layers, data, index) {
                        if let Some(list) = segments.get_mut(s.shard(job.shards)) {
                            list.push(s);
                        }
                    }
                }
                // Layer names are only needed (and only joined) for errors.log.
                let names = match layers.outcome {
                    Outcome::Error(_) => layers.layer_names().join(", "),
                    _ => String::new(),
                };
                (layers.outcome, names, observation)
            }));
            // Every packet counts in the flow stage; after a panic, with time and size only.
            if job.observe {
                let fallback = || Observation {
                    timestamp: meta.timestamp,
                    frame: meta.frame,
                    wire_len: meta.orig_len,
                    ..Observation::default()
                };
                observations.push(match &outcome {
                    Ok((_, _, Some(o))) => *o,
                    _ => fallback(),
                });
            }
            match outcome {
                Ok((Outcome::Complete, _, _)) => {}
                Ok((unknown @ Outcome::Unknown { .. }, _, _)) => {
                    let kind = unknown.unknown_label().unwrap_or_default();
                    problems.push(Problem::Unknown { packet: index, kind });
                }
                Ok((Outcome::Error(e), layers, _)) => {
                    let kind = format!("{}: {}", e.layer, e.kind.name());
                    let mut error = e.to_string();
                    if matches!(e.kind, ErrorKind::Truncated { .. })
                        && u64::try_from(data.len()).is_ok_and(|n| n < u64::from(meta.orig_len))
                    {
                        // A capture setting rather than a broken packet, as
                        // Wireshark's "[Packet size limited during capture]".
                        let (kept, wire) = (data.len(), meta.orig_len);
                        error.push_str(&format!(" (packet size limited during capture: {kept} of {wire} bytes kept)"));
                    }
                    problems.push(Problem::Error {
                        packet: index,
                        kind,
                        entry: error_entry(meta.timestamp, meta.frame, &error, &layers, data),
                    });
                }
                Err(panic) => {
                    // A bug, never an expected outcome: undo this packet's
                    // partial output, log it and keep going.
                    for &(slot, len, count) in &marks {
                        if let (Some(r), Some(c)) = (records.get_mut(slot), counts.get_mut(slot)) {
                            r.truncate(len);
                            *c = count;
                        }
                    }
                    let msg = panic_message(&panic);
                    problems.push(Problem::Error {
                        packet: index,
                        kind: "panic in decoder".into(),
                        entry: error_entry(meta.timestamp, meta.frame, &format!("panic in decoder: {msg}"), "", data),
                    });
                }
            }
        }
        for (size, r) in sizes.iter_mut().zip(&records) {
            *size = r.len();
        }
        for (count, list) in segment_counts.iter_mut().zip(&segments) {
            *count = list.len();
        }
        let result = BatchResult { batch, records, counts, problems, observations, segments, fragments };
        if tx.send(result).is_err() {
            return;
        }
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// One errors.log entry: time, frame number (to open the packet in
/// Wireshark), the error, the layers decoded before it and the bytes.
fn error_entry(timestamp: i64, frame: u64, error: &str, layers: &str, data: &[u8]) -> String {
    let mut s = format!("{}\nFrame: {frame}\nError: {error}\n", timefmt::utc_string(timestamp, 9));
    s.push_str("Layers: ");
    s.push_str(if layers.is_empty() { "(none)" } else { layers });
    s.push('\n');
    wire::hex_dump(data, &mut s);
    s.push('\n');
    s
}

/// Progress template when the input's size is known (a file): percent
/// done, bytes/s and time left; packets as the message. `{rate}` is
/// [`integer_rate`].
pub const PROGRESS_SIZED: &str =
    "{bar:24} {percent:>3}%  {binary_bytes}/{binary_total_bytes}  {rate} B/s  ETA {eta}  {msg}";
/// Progress template otherwise (live capture, a pipe): packets and their rate.
pub const PROGRESS_UNSIZED: &str = "{spinner} {human_pos} packets  {rate} packets/s  {elapsed}";

/// The bar's rate per second as an integer with thousands separators
/// (indicatif's own `{per_sec}` prints fractions of a packet).
fn integer_rate(state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = w.write_str(&indicatif::HumanCount(state.per_sec() as u64).to_string());
}

/// The progress bar: by bytes of an input of known size `total`, else a
/// packet counter.
fn progress_bar(show: bool, total: Option<u64>) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(t) => (indicatif::ProgressBar::new(t), PROGRESS_SIZED),
        None => (indicatif::ProgressBar::new_spinner(), PROGRESS_UNSIZED),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.with_key("rate", integer_rate));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Everything the writer thread owns.
struct Sink {
    encoders: Vec<usize>,
    records: Box<dyn RecordSink>,
    /// (slot, table) of the selected flow types.
    trackers: Vec<(usize, Box<dyn Tracker>)>,
    /// Records each table wrote during the current batch, with their count.
    flow_out: Vec<(Vec<u8>, u64)>,
    /// TCP reassembly and the application-layer decoders.
    stream: Option<StreamStage>,
    /// The slot of each selected application-layer type, as the stage indexes them.
    stream_slots: Vec<usize>,
    /// Records the stage delivered, to write.
    /// With both flow types and the stream stage: the observations of the
    /// batches whose stream outputs are not back yet. The flow tables see
    /// a batch's packets only with its outputs, so that a protocol the
    /// stage recognised at packet i reaches the entries right after packet
    /// i, whatever the timing of the threads.
    /// With each batch's observations, its datagrams for `observe`.
    pending_observations: VecDeque<(Vec<Observation>, Vec<(u32, Observation)>)>,
    /// IP fragments back into datagrams, in capture order.
    defrag: Defragmenter,
    /// (slot, layer kinds read, encoder) of the per-packet types, run on
    /// reassembled datagrams.
    packet_encoders: Vec<(usize, u64, EncodeFn)>,
    config: EncodeConfig,
    /// Of the last batch, for the headers of files created at the end.
    timestamp_digits: u32,
    errors_log: ErrorLog,
    /// The -out directory (for unknown.tsv).
    out_dir: PathBuf,
    errors_pcap: PacketDump,
    unknown_pcap: PacketDump,
    summary: Summary,
}

impl Sink {
    /// Hands the records of `slot` to the record sink.
    fn write_slot(&mut self, slot: usize, bytes: &[u8], count: u64) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let Some(&e) = self.encoders.get(slot) else { return Ok(()) };
        self.records.write(ENCODERS[e].name, self.timestamp_digits, bytes, count)
    }

    /// [`write_slot`](Self::write_slot) of a worker's buffer, which the
    /// record sink keeps instead of copying.
    fn write_slot_owned(&mut self, slot: usize, bytes: Vec<u8>, count: u64) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let Some(&e) = self.encoders.get(slot) else { return Ok(()) };
        self.records.write_owned(ENCODERS[e].name, self.timestamp_digits, bytes, count)
    }

    /// Writes what the flow tables emitted since the last call.
    fn write_flow_records(&mut self) -> Result<()> {
        for i in 0..self.trackers.len() {
            let slot = self.trackers[i].0;
            let (mut bytes, count) = std::mem::take(&mut self.flow_out[i]);
            self.write_slot(slot, &bytes, count)?;
            // Keep the buffer's capacity for the next batch.
            bytes.clear();
            self.flow_out[i] = (bytes, 0);
        }
        Ok(())
    }

    fn write(&mut self, mut result: BatchResult) -> Result<()> {
        let batch = &result.batch;
        self.timestamp_digits = batch.timestamp_digits;
        self.summary.packets += batch.len() as u64;
        self.summary.bytes += batch.iter().map(|(m, _)| u64::from(m.orig_len)).sum::<u64>();
        for (slot, bytes) in std::mem::take(&mut result.records).into_iter().enumerate() {
            let count = result.counts.get(slot).copied().unwrap_or(0);
            self.write_slot_owned(slot, bytes, count)?;
        }
        for problem in &result.problems {
            let (packet, is_error) = match problem {
                Problem::Error { packet, .. } => (*packet, true),
                Problem::Unknown { packet, .. } => (*packet, false),
            };
            let meta = batch.meta(packet).copied();
            let frame = meta.map_or(0, |m| m.frame);
            match problem {
                Problem::Error { kind, entry, .. } => {
                    self.summary.errors += 1;
                    KindTally::add(&mut self.summary.error_kinds, kind, frame);
                    self.errors_log.write(entry)?;
                }
                Problem::Unknown { kind, .. } => {
                    self.summary.unknown += 1;
                    KindTally::add(&mut self.summary.unknown_kinds, kind, frame);
                }
            }
            let Some(meta) = meta else { continue };
            let dump = if is_error { &mut self.errors_pcap } else { &mut self.unknown_pcap };
            dump.write(meta.timestamp, meta.link_type, meta.interface, meta.orig_len, batch.bytes(&meta))
                .with_context(|| format!("cannot write {}", dump.path().display()))?;
        }
        let (reassembled, datagrams) = self.defragment(batch, &result.fragments, &result.observations)?;
        if let Some(end) = batch.iter().map(|(m, _)| m.timestamp).max() {
            self.defrag.expire(end);
        }
        if !self.trackers.is_empty() {
            if self.stream.is_some() {
                self.pending_observations.push_back((std::mem::take(&mut result.observations), datagrams));
            } else {
                self.observe(&result.observations, &datagrams, &[])?;
            }
        }
        if let Some(stage) = self.stream.as_mut() {
            let BatchResult { batch, segments, .. } = result;
            stage.send(Arc::new(batch), segments, reassembled);
            for outputs in stage.collect(false) {
                self.stream_batch(&outputs)?;
            }
        }
        Ok(())
    }

    /// Feeds the batch's fragments to the defragmenter; a datagram they
    /// complete is decoded and its layers above IP go through the
    /// per-packet encoders (its fragments already gave their IP records),
    /// and its TCP segment, if any, is returned for the stream stage.
    /// Also returns, for the flow tables, the datagrams whose application
    /// protocol a layer decoder recognised: (index of the completing
    /// fragment, the datagram's observation with that fragment's link layer).
    fn defragment(
        &mut self,
        batch: &PacketBatch,
        fragments: &[FragmentRef],
        observations: &[Observation],
    ) -> Result<(Vec<(Segment, Vec<u8>)>, Vec<(u32, Observation)>)> {
        let mut segments = Vec::new();
        let mut datagrams = Vec::new();
        for f in fragments {
            let Some(meta) = batch.meta(f.index as usize) else { continue };
            let packet = batch.bytes(meta);
            let Some(ip) = packet.get(f.at as usize..(f.at as usize).saturating_add(f.len as usize)) else { continue };
            let Some(datagram) = self.defrag.add(ip, meta.timestamp) else { continue };
            let mut out: Vec<(usize, Vec<u8>, u64)> = Vec::new();
            let encoders = &self.packet_encoders;
            let config = &self.config;
            let stream = self.stream.is_some();
            let caught = catch_unwind(AssertUnwindSafe(|| {
                let l = Layers::decode(linktype::RAW, meta.timestamp, &datagram, datagram.len());
                for &(slot, needs, encode) in encoders {
                    // The IP and transport headers were recorded from the fragments.
                    if !l.has(needs) || needs & !REASSEMBLED_OUTER == 0 {
                        continue;
                    }
                    let (mut bytes, mut count) = (Vec::new(), 0u64);
                    // Wireshark shows a reassembled datagram in its last fragment's frame.
                    encode(&l, config, &mut Emitter::for_frame(&mut bytes, &mut count, meta.frame));
                    if count > 0 {
                        out.push((slot, bytes, count));
                    }
                }
                let o = Observation::of(&l, u32::try_from(datagram.len()).unwrap_or(u32::MAX));
                let segment =
                    if stream && l.has(kind::TCP) { Segment::of(&l, &datagram, f.index as usize) } else { None };
                (segment, o)
            }));
            match caught {
                Ok((segment, o)) => {
                    if !o.app.is_empty() {
                        if let Some(fragment) = observations.get(f.index as usize) {
                            let o = Observation {
                                link: fragment.link,
                                ethernet: fragment.ethernet,
                                src_mac: fragment.src_mac,
                                dst_mac: fragment.dst_mac,
                                tunnel_depth: fragment.tunnel_depth,
                                frame: fragment.frame,
                                ..o
                            };
                            datagrams.push((f.index, o));
                        }
                    }
                    for (slot, bytes, count) in out {
                        self.write_slot(slot, &bytes, count)?;
                    }
                    if let Some(s) = segment {
                        segments.push((s, datagram));
                    }
                }
                // A bug in a decoder: the datagram's records are lost, the run goes on.
                Err(_) => KindTally::add(&mut self.summary.error_kinds, "panic in decoder (reassembled datagram)", 0),
            }
        }
        Ok((segments, datagrams))
    }

    /// Counts a batch's packets in the flow tables; `outputs` are the
    /// batch's stream outputs, whose recognised protocols go to the
    /// entries of their packet right after it (`None`: after the batch).
    /// `datagrams` are the reassembled datagrams with an application
    /// protocol, by the index of the fragment that completed them.
    fn observe(
        &mut self,
        observations: &[Observation],
        datagrams: &[(u32, Observation)],
        outputs: &[StageOutput],
    ) -> Result<()> {
        let mut identified = outputs
            .iter()
            .filter_map(|(at, o)| match o {
                AppOutput::Identified { protocol, conn } => Some((*at, *protocol, conn)),
                _ => None,
            })
            .peekable();
        let mut datagrams = datagrams.iter().peekable();
        for (i, o) in observations.iter().enumerate() {
            for ((_, t), (buf, count)) in self.trackers.iter_mut().zip(self.flow_out.iter_mut()) {
                t.observe(o, &mut Emitter::new(buf, count));
            }
            let at = u32::try_from(i).ok();
            while let Some((_, d)) = datagrams.next_if(|(index, _)| Some(*index) == at) {
                for (_, t) in &mut self.trackers {
                    t.identify(d, d.app);
                }
            }
            while let Some((_, protocol, _)) = identified.next_if(|(a, _, _)| *a == at) {
                for (_, t) in &mut self.trackers {
                    t.identify(o, protocol);
                }
            }
        }
        // Recognised at a timeout, or at a datagram of a packet not counted.
        for (_, protocol, conn) in identified {
            let o = conn_observation(conn);
            for (_, t) in &mut self.trackers {
                t.identify(&o, protocol);
            }
        }
        self.write_flow_records()
    }

    /// Writes one batch's stream records and errors, then lets the flow
    /// tables count the batch (see `pending_observations`).
    fn stream_batch(&mut self, outputs: &[StageOutput]) -> Result<()> {
        self.write_stream_outputs(outputs)?;
        if !self.trackers.is_empty() {
            let (observations, datagrams) = self.pending_observations.pop_front().unwrap_or_default();
            self.observe(&observations, &datagrams, outputs)?;
        }
        Ok(())
    }

    /// Writes the records and errors the stream stage delivered.
    fn write_stream_outputs(&mut self, outputs: &[StageOutput]) -> Result<()> {
        for (_, output) in outputs {
            match output {
                AppOutput::Record(index, bytes) => {
                    if let Some(&slot) = self.stream_slots.get(*index) {
                        self.write_slot(slot, bytes, 1)?;
                    }
                }
                AppOutput::Error { kind, entry, frame } => {
                    self.summary.errors += 1;
                    KindTally::add(&mut self.summary.error_kinds, kind, *frame);
                    self.errors_log.write(entry)?;
                }
                AppOutput::Identified { .. } => {}
            }
        }
        Ok(())
    }

    /// Writes what the stateful stages still hold (unless writing already
    /// failed with `failed`), closes every file and returns the summary;
    /// a write failure, earlier or now, goes into `write_error`.
    fn finish(mut self, failed: Option<anyhow::Error>) -> Summary {
        let mut error = failed;
        let drained = self.drain_stages(error.is_none());
        if error.is_none() {
            error = drained.err();
        }
        let (records, closed) = self.records.finish();
        self.summary.records = records;
        // Files are created in first-record order, which varies between
        // runs (flow and connection tables flush in hash order at the end):
        // the summary lists types in registry order.
        self.summary.records.sort_by_key(|(name, _)| ENCODERS.iter().position(|e| e.name == *name));
        // The sink's own account (directory, bytes kept) says more than the first write error.
        if let Err(e) = closed {
            error = Some(e);
        }
        let dump = |d: PacketDump| {
            let path = d.path().to_owned();
            d.finish().with_context(|| format!("cannot write {}", path.display()))
        };
        let unknown_tsv = write_unknown_tsv(&self.out_dir.join(UNKNOWN_TSV), &self.summary.unknown_kinds);
        let logs = self
            .errors_log
            .finish(&self.summary.error_kinds)
            .and(unknown_tsv)
            .and(dump(self.errors_pcap))
            .and(dump(self.unknown_pcap));
        if error.is_none() {
            error = logs.err();
        }
        self.summary.write_error = error.map(|e| format!("{e:#}"));
        self.summary
    }

    /// Ends the stream stage and the flow tables; their last records are
    /// written only when `write` (no write has failed).
    fn drain_stages(&mut self, write: bool) -> Result<()> {
        if let Some(stage) = self.stream.take() {
            let (batches, last, stats) = stage.finish();
            self.summary.stream = Some(stats);
            if write {
                for outputs in &batches {
                    self.stream_batch(outputs)?;
                }
                self.write_stream_outputs(&last)?;
                if !self.trackers.is_empty() {
                    self.observe(&[], &[], &last)?;
                }
            }
        }
        self.summary.defrag = self.defrag.stats();
        if !write {
            return Ok(());
        }
        for ((_, t), (buf, count)) in self.trackers.iter_mut().zip(self.flow_out.iter_mut()) {
            t.flush(&mut Emitter::new(buf, count));
        }
        self.write_flow_records()?;
        for (slot, t) in &self.trackers {
            if t.evicted() > 0 {
                self.summary.flows_evicted.push((ENCODERS[self.encoders[*slot]].name, t.evicted()));
            }
        }
        Ok(())
    }
}

/// [`UNKNOWN_TSV`]: written only when there were unknown protocols.
fn write_unknown_tsv(path: &Path, kinds: &BTreeMap<String, KindTally>) -> Result<()> {
    if kinds.is_empty() {
        return Ok(());
    }
    let mut rows: Vec<(&String, &KindTally)> = kinds.iter().collect();
    rows.sort_by(|a, b| b.1.packets.cmp(&a.1.packets).then_with(|| a.0.cmp(b.0)));
    let mut text = String::from("Protocol\tPackets\tFirstFrame\n");
    for (kind, t) in rows {
        text.push_str(&format!("{kind}\t{}\t{}\n", t.packets, t.first_frame));
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// errors.log, created on the first error.
struct ErrorLog {
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl ErrorLog {
    fn new(path: PathBuf) -> Self {
        ErrorLog { path, out: None }
    }

    fn write(&mut self, entry: &str) -> Result<()> {
        if self.out.is_none() {
            let f = File::create(&self.path).with_context(|| format!("cannot create {}", self.path.display()))?;
            self.out = Some(BufWriter::new(f));
        }
        if let Some(out) = &mut self.out {
            out.write_all(entry.as_bytes())?;
        }
        Ok(())
    }

    /// Appends the summary of error kinds with their counts.
    fn finish(self, kinds: &BTreeMap<String, KindTally>) -> Result<()> {
        let Some(mut out) = self.out else { return Ok(()) };
        writeln!(out, "--- summary of {} error kinds ---", kinds.len())?;
        for (kind, tally) in kinds {
            writeln!(out, "{kind}: {}", tally.describe(|n| n.to_string()))?;
        }
        out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A terminal in memory: what the progress bar draws.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<String>>);

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            160
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            if let Ok(mut screen) = self.0.lock() {
                screen.push_str(s);
                screen.push('\n');
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Issue 16: with the input's size known, the bar shows percent done,
    /// bytes/s as an integer with thousands separators, and the time left.
    #[test]
    fn progress_of_a_sized_input_shows_percent_rate_and_eta() {
        let screen = Screen::default();
        let bar = progress_bar(true, Some(10_000_000));
        bar.disable_steady_tick();
        bar.set_draw_target(indicatif::ProgressDrawTarget::term_like(Box::new(screen.clone())));
        bar.set_position(2_500_000);
        bar.set_message("1,234 packets");
        bar.tick();
        let text = screen.0.lock().map(|s| s.clone()).unwrap_or_default();
        let line = text.lines().rev().find(|l| l.contains('%')).unwrap_or_else(|| panic!("no bar drawn: {text:?}"));
        assert!(line.contains(" 25%"), "{line}");
        assert!(line.contains("ETA "), "{line}");
        assert!(line.contains("1,234 packets"), "{line}");
        let rate = line.split(" B/s").next().and_then(|l| l.rsplit(' ').next()).unwrap_or_default();
        assert!(!rate.is_empty() && rate.bytes().all(|b| b.is_ascii_digit() || b == b','), "rate {rate:?} in {line}");
    }
}

//! The stream stage: TCP reassembly and the application-layer decoders
//! ([`crate::app`]), sharded so that it is not a single-thread wall.
//!
//! ```text
//! workers ──Segment per TCP packet──▶ writer ──batch k, to every shard──▶ shard 0 … S-1
//!                                       ◀──records of batch k-LAG, merged──┘
//! ```
//!
//! Workers reduce each TCP packet to a [`Segment`] (addresses, ports,
//! sequence numbers, flags, where its payload lies in the batch) and put it
//! in the list of the shard its symmetric flow hash selects. The writer,
//! which sees batches in capture order, hands batch k (shared, not copied)
//! with each shard's segments to every shard; a shard runs its own
//! [`connections::Connections`] in capture order, then, at the end of the
//! batch, expires idle connections at the batch's last packet time. A
//! connection idle past the timeout that gets a packet before such an
//! expiry ends there the same way (at the time it timed out), so where
//! batches end changes where timeout records come, not what they say.
//!
//! Output is the same for any `-workers` (and any shard count): a record
//! made while processing a packet is keyed by the packet's position in the
//! batch, a record made at the end of a batch (a timeout) by the first
//! frame of its connection, and the writer merges the shards' records of
//! each batch by those keys. The writer collects batch k's records only
//! after sending batch k+LAG, so the shards work while it writes.

pub mod connections;
pub mod reassembly;

use crate::app::{AppConfig, AppOutput, AppProtocol};
use crate::capture::PacketBatch;
use crate::decode::{wire, Layer, Layers};
use crossbeam_channel::{bounded, Receiver, Sender};
use reassembly::ReassemblyStats;
use std::sync::Arc;

/// Batches a shard may run ahead of the writer.
const LAG: u64 = 2;
/// Default number of shards: fixed, not the core count, so that the
/// division of the memory budget (and so what it forces out) is the same
/// on every machine.
pub const DEFAULT_SHARDS: usize = 2;

/// Limits and timeouts of the stream stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// Idle timeout of a connection, ns of packet time.
    pub idle_timeout: i64,
    /// Most bytes one direction holds out of order.
    pub max_held: usize,
    /// Bytes the stage's connections, held segments and decoders may use
    /// (divided between the shards).
    pub memcap: usize,
    pub shards: usize,
    pub app: AppConfig,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            // Zeek's tcp_inactivity_timeout.
            idle_timeout: 300 * 1_000_000_000,
            // Suricata's stream.reassembly.depth is 1 MiB per direction.
            max_held: 1 << 20,
            memcap: 256 << 20,
            shards: DEFAULT_SHARDS,
            app: AppConfig::default(),
        }
    }
}

/// What the stage counted, for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StreamStats {
    pub connections: u64,
    pub closed: u64,
    pub timed_out: u64,
    /// Open connections ended by a SYN that started a new one on the same
    /// addresses and ports (port reuse).
    pub reused: u64,
    /// Connections forced out early by the memory budget.
    pub evicted: u64,
    pub reassembly: ReassemblyStats,
}

/// What the stream stage needs of one TCP packet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Segment {
    /// The packet's position in its batch.
    pub index: u32,
    pub timestamp: i64,
    /// 4 or 6; IPv4 addresses use the first four bytes.
    pub ip_version: u8,
    pub src_ip: [u8; 16],
    pub dst_ip: [u8; 16],
    pub src_port: u16,
    pub dst_port: u16,
    /// MAC addresses of the Ethernet header in front of the IP header, if any.
    pub macs: Option<([u8; 6], [u8; 6])>,
    pub seq: u32,
    pub ack: u32,
    /// FIN SYN RST PSH ACK URG ([`crate::flows::tcp_flag`]).
    pub flags: u8,
    /// Where the captured payload starts in the packet's bytes, and its length.
    pub payload_at: u32,
    pub payload_len: u32,
    /// Payload length on the wire (more than `payload_len` when the
    /// capture cut the packet).
    pub wire_len: u32,
}

impl Segment {
    /// The innermost TCP segment of a decoded packet with the IP header
    /// before it; `packet` is the packet's bytes (which `l` borrows).
    pub fn of(l: &Layers, packet: &[u8], index: usize) -> Option<Segment> {
        let mut ip: Option<(u8, &[u8], &[u8])> = None;
        let mut fragmented = false;
        let mut tcp = None;
        // The Ethernet header last seen, and the one in front of the IP header.
        let (mut ethernet, mut macs) = (None, None);
        for layer in l.layers() {
            match layer {
                Layer::Ethernet(e) => ethernet = Some((e.src(), e.dst())),
                Layer::Ipv4(p) => {
                    ip = Some((4, p.src(), p.dst()));
                    fragmented = p.is_fragment();
                    macs = ethernet.take();
                }
                Layer::Ipv6(p) => {
                    ip = Some((6, p.src(), p.dst()));
                    fragmented = false;
                    macs = ethernet.take();
                }
                Layer::Ipv6Fragment(_) => fragmented = true,
                Layer::Tcp(t) => tcp = Some((ip, fragmented, *t)),
                _ => {}
            }
        }
        // The first fragment of a segment carries only part of it: the
        // segment comes whole from the reassembled datagram.
        let (Some((version, src, dst)), false, t) = tcp? else { return None };
        let payload = t.payload();
        // The views borrow the packet's bytes, so the payload lies inside them.
        let at = wire::offset_in(packet, payload)?;
        let mut s = Segment {
            index: u32::try_from(index).ok()?,
            timestamp: l.timestamp,
            ip_version: version,
            src_port: t.src_port(),
            dst_port: t.dst_port(),
            seq: t.seq(),
            ack: t.ack(),
            flags: (t.flags() & 0x3f) as u8,
            payload_at: u32::try_from(at).ok()?,
            payload_len: u32::try_from(payload.len()).ok()?,
            wire_len: u32::try_from(t.payload_len().max(payload.len())).unwrap_or(u32::MAX),
            ..Segment::default()
        };
        wire::copy_into(&mut s.src_ip, src);
        wire::copy_into(&mut s.dst_ip, dst);
        if let Some((src, dst)) = macs {
            let (mut a, mut b) = ([0u8; 6], [0u8; 6]);
            wire::copy_into(&mut a, src);
            wire::copy_into(&mut b, dst);
            s.macs = Some((a, b));
        }
        Some(s)
    }

    /// The shard of this segment's connection: the same for both directions.
    pub fn shard(&self, shards: usize) -> usize {
        if shards <= 1 {
            return 0;
        }
        let a = (self.src_ip, self.src_port);
        let b = (self.dst_ip, self.dst_port);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        // A fixed hash, so the division is the same in every run, over
        // five words. FNV-1a over the 36 bytes was a chain of 36 dependent
        // multiplies per TCP packet, and its low bits depend only on the
        // low bits of each byte: with four shards, connections whose bytes
        // differ only above those bits went to two of them (see the test).
        let [l0, l1] = [u128::from_be_bytes(lo.0) as u64, (u128::from_be_bytes(lo.0) >> 64) as u64];
        let [h0, h1] = [u128::from_be_bytes(hi.0) as u64, (u128::from_be_bytes(hi.0) >> 64) as u64];
        let ports = (u64::from(lo.1) << 16) | u64::from(hi.1);
        (wire::mix_words([l0, l1, h0, h1, ports]) % shards as u64) as usize
    }

    /// The captured payload, from the packet's bytes.
    fn payload<'b>(&self, packet: &'b [u8]) -> &'b [u8] {
        let at = self.payload_at as usize;
        packet.get(at..at.saturating_add(self.payload_len as usize)).unwrap_or(&[])
    }
}

/// A record of the stage: (phase, key) orders it in its batch (phase 0:
/// made by the packet at position `key`; phase 1: made at the batch's end
/// for the connection whose first frame is `key`), then the selected-type
/// index and the encoded record.
type KeyedRecord = (u8, u64, AppOutput);

enum Job {
    /// A batch with this shard's segments, and the segments of datagrams
    /// reassembled from fragments (their bytes owned), each after the
    /// packet at its `index`.
    Batch { batch: Arc<PacketBatch>, segments: Vec<Segment>, reassembled: Vec<(Segment, Vec<u8>)> },
    /// End of input: close everything at this time.
    Finish(i64),
}

enum Done {
    Batch(Vec<KeyedRecord>),
    Finished(Vec<KeyedRecord>, StreamStats),
}

/// The running stage: one thread per shard.
pub struct StreamStage {
    jobs: Vec<Sender<Job>>,
    done: Vec<Receiver<Done>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    sent: u64,
    collected: u64,
    last_time: i64,
}

impl StreamStage {
    /// Starts the shards for the application protocols `protocols`,
    /// writing the record types `selected` (records carry their index).
    pub fn start(cfg: StreamConfig, protocols: Vec<&'static AppProtocol>, selected: Vec<&'static str>) -> Self {
        let shards = cfg.shards.max(1);
        let shard_cfg = StreamConfig { memcap: cfg.memcap / shards, ..cfg };
        let mut stage = StreamStage {
            jobs: Vec::new(),
            done: Vec::new(),
            threads: Vec::new(),
            sent: 0,
            collected: 0,
            last_time: i64::MIN,
        };
        for shard in 0..shards {
            // Room for LAG batches in flight plus one, so that the writer,
            // waiting for batch k - LAG, never blocks a shard.
            let (job_tx, job_rx) = bounded::<Job>(LAG as usize + 2);
            let (done_tx, done_rx) = bounded::<Done>(LAG as usize + 2);
            let protocols = protocols.clone();
            let selected = selected.clone();
            let handle = std::thread::Builder::new()
                .name(format!("stream-{shard}"))
                .spawn(move || run_shard(shard_cfg, &protocols, &selected, job_rx, done_tx));
            match handle {
                Ok(h) => stage.threads.push(h),
                // Without the thread the stage cannot run; its channel is
                // closed and `collect` reports nothing for it.
                Err(_) => continue,
            }
            stage.jobs.push(job_tx);
            stage.done.push(done_rx);
        }
        stage
    }

    pub fn shards(&self) -> usize {
        self.jobs.len()
    }

    /// Hands batch `batch` to every shard with its segments (one list per
    /// shard, as [`Segment::shard`] divided them) and the segments of
    /// datagrams reassembled from the batch's fragments, in packet order.
    pub fn send(
        &mut self,
        batch: Arc<PacketBatch>,
        mut segments: Vec<Vec<Segment>>,
        reassembled: Vec<(Segment, Vec<u8>)>,
    ) {
        if let Some(t) = batch.iter().map(|(m, _)| m.timestamp).max() {
            self.last_time = self.last_time.max(t);
        }
        let shards = self.jobs.len();
        segments.resize_with(shards, Vec::new);
        let mut extra: Vec<Vec<(Segment, Vec<u8>)>> = (0..shards).map(|_| Vec::new()).collect();
        for (s, bytes) in reassembled {
            if let Some(list) = extra.get_mut(s.shard(shards)) {
                list.push((s, bytes));
            }
        }
        for ((tx, segs), reassembled) in self.jobs.iter().zip(segments).zip(extra) {
            let _ = tx.send(Job::Batch { batch: Arc::clone(&batch), segments: segs, reassembled });
        }
        self.sent += 1;
    }

    /// The merged outputs of the batches that are LAG behind the last one
    /// sent (all of them with `all`), one list per batch, in order.
    pub fn collect(&mut self, all: bool) -> Vec<Vec<StageOutput>> {
        let keep = if all { 0 } else { LAG };
        let mut batches = Vec::new();
        while self.collected + keep < self.sent {
            let mut merged = Vec::new();
            for rx in &self.done {
                if let Ok(Done::Batch(records)) = rx.recv() {
                    merged.extend(records);
                }
            }
            batches.push(merged_outputs(merged));
            self.collected += 1;
        }
        batches
    }

    /// Ends the input: every connection closes. Returns the outputs of the
    /// batches not collected yet, those of the final close (all made at
    /// the end, so with no packet position) and the stage's counters.
    pub fn finish(mut self) -> (Vec<Vec<StageOutput>>, Vec<StageOutput>, StreamStats) {
        let batches = self.collect(true);
        for tx in &self.jobs {
            let _ = tx.send(Job::Finish(self.last_time));
        }
        let mut stats = StreamStats::default();
        let mut merged = Vec::new();
        for rx in &self.done {
            if let Ok(Done::Finished(records, s)) = rx.recv() {
                merged.extend(records);
                stats.add(&s);
            }
        }
        let last = merged_outputs(merged);
        self.jobs.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        (batches, last, stats)
    }
}

/// An output of the stage with where it was made: `Some(i)` while
/// processing the batch's packet at position i, `None` at the batch's end
/// (timeouts) or at the end of input.
pub type StageOutput = (Option<u32>, AppOutput);

/// Orders one batch's outputs of all shards (stable: a shard's outputs of
/// one key keep their order).
fn merged_outputs(mut merged: Vec<KeyedRecord>) -> Vec<StageOutput> {
    merged.sort_by_key(|r| (r.0, r.1));
    merged
        .into_iter()
        .map(|(phase, key, r)| ((phase == 0).then(|| u32::try_from(key).unwrap_or(u32::MAX)), r))
        .collect()
}

/// The frame number of the packet a segment came from (for a reassembled
/// datagram, of its last fragment).
fn frame_of(batch: &PacketBatch, s: &Segment) -> u64 {
    batch.meta(s.index as usize).map_or(0, |m| m.frame)
}

/// One segment into the shard's connections; its records keyed by its packet.
fn feed(
    conns: &mut connections::Connections,
    s: &Segment,
    payload: &[u8],
    frame: u64,
    outputs: &connections::Outputs,
    scratch: &mut Vec<AppOutput>,
    records: &mut Vec<KeyedRecord>,
) {
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| conns.segment(s, payload, frame, outputs, scratch)));
    if caught.is_err() {
        // A bug in a decoder: this packet's records are lost, the run goes on.
        scratch.clear();
    }
    records.extend(scratch.drain(..).map(|r| (0u8, u64::from(s.index), r)));
}

fn run_shard(
    cfg: StreamConfig,
    protocols: &[&'static AppProtocol],
    selected: &[&'static str],
    jobs: Receiver<Job>,
    done: Sender<Done>,
) {
    let mut conns = connections::Connections::new(cfg);
    let outputs = connections::Outputs { protocols, selected };
    let mut scratch = Vec::new();
    let mut ended = Vec::new();
    for job in jobs {
        match job {
            Job::Batch { batch, segments, reassembled } => {
                let mut records = Vec::new();
                let mut extra = reassembled.iter().peekable();
                for s in &segments {
                    // Datagrams completed by an earlier packet of the batch come first.
                    while let Some((r, bytes)) = extra.next_if(|(r, _)| r.index < s.index) {
                        feed(
                            &mut conns,
                            r,
                            r.payload(bytes),
                            frame_of(&batch, r),
                            &outputs,
                            &mut scratch,
                            &mut records,
                        );
                    }
                    let Some(meta) = batch.meta(s.index as usize) else { continue };
                    let packet = batch.bytes(meta);
                    feed(&mut conns, s, s.payload(packet), meta.frame, &outputs, &mut scratch, &mut records);
                }
                for (r, bytes) in extra {
                    feed(&mut conns, r, r.payload(bytes), frame_of(&batch, r), &outputs, &mut scratch, &mut records);
                }
                if let Some(end) = batch.iter().map(|(m, _)| m.timestamp).max() {
                    conns.expire(end, &outputs, &mut ended);
                    records.extend(ended.drain(..).map(|(f, r)| (1u8, f, r)));
                }
                drop(batch);
                if done.send(Done::Batch(records)).is_err() {
                    return;
                }
            }
            Job::Finish(now) => {
                conns.flush(now, &outputs, &mut ended);
                let records = ended.drain(..).map(|(f, r)| (1u8, f, r)).collect();
                let _ = done.send(Done::Finished(records, conns.stats));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Segment {
        let mut s = Segment { ip_version: 4, src_port: sport, dst_port: dport, ..Segment::default() };
        s.src_ip[..4].copy_from_slice(&src);
        s.dst_ip[..4].copy_from_slice(&dst);
        s
    }

    #[test]
    fn both_directions_share_a_shard_and_connections_spread_evenly() {
        for shards in [2usize, 3, 4] {
            let mut per_shard = vec![0usize; shards];
            for i in 0..4000u32 {
                // Clients of one subnet to two servers, ephemeral ports.
                let client = [192, 168, (i >> 7) as u8, (i << 1) as u8];
                let server = if i % 2 == 0 { [10, 0, 0, 1] } else { [10, 0, 0, 2] };
                // Ports two apart, as some systems hand them out: the low
                // bit of every byte is the same across connections.
                let port = 32768 + 2 * (i % 14000) as u16;
                let there = segment(client, server, port, 443);
                let back = segment(server, client, 443, port);
                assert_eq!(there.shard(shards), back.shard(shards));
                per_shard[there.shard(shards)] += 1;
            }
            let even = 4000 / shards;
            for n in &per_shard {
                assert!(n.abs_diff(even) < even / 10, "{shards} shards: {per_shard:?}");
            }
        }
        assert_eq!(segment([1, 2, 3, 4], [5, 6, 7, 8], 1, 2).shard(1), 0);
    }
}

//! Capture input: pcap and pcapng files, plain or gzipped, read as a
//! stream with pcap-parser; and the pcap/pcapng writer for errors.pcap and
//! unknown.pcap.

#[cfg(feature = "libpcap")]
pub mod bpf;
pub mod dump;
pub mod file;
#[cfg(feature = "libpcap")]
pub mod live;

use crossbeam_channel::{Receiver, Sender};
use dump::DumpFormat;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How far the reader is through an input of known size (a regular
/// file): bytes read so far, shared with the progress bar.
#[derive(Debug, Clone)]
pub struct InputProgress {
    read: Arc<AtomicU64>,
    total: u64,
}

impl InputProgress {
    /// `None` unless the size is known.
    pub fn new(total: Option<u64>) -> Option<Self> {
        total.map(|total| InputProgress { read: Arc::new(AtomicU64::new(0)), total })
    }

    pub fn add(&self, n: u64) {
        self.read.fetch_add(n, Ordering::Relaxed);
    }

    /// Bytes read so far.
    pub fn read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The input's size in bytes.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Where packets come from: a capture file or a live interface. The
/// pipeline's reader thread only sees this trait.
pub trait PacketSource: Send {
    /// Appends packets to `batch` until it holds `max_packets` or
    /// `max_bytes`, or (live capture) a read timeout passes. Returns
    /// `Ok(false)` once the input has ended; a corrupt or truncated tail
    /// ends it with a warning instead.
    fn fill(&mut self, batch: &mut PacketBatch, max_packets: usize, max_bytes: usize) -> Result<bool, ReadWarning>;
    /// 6 or 9: fraction digits of the timestamps.
    fn timestamp_digits(&self) -> u32;
    /// How errors.pcap and unknown.pcap are written for this input.
    fn dump_format(&self) -> DumpFormat;
    /// Kernel statistics of a live capture, when available.
    fn stats(&mut self) -> Option<CaptureStats> {
        None
    }
    /// Progress through an input of known size (a file), for the progress bar.
    fn progress(&self) -> Option<InputProgress> {
        None
    }
}

/// Packets the kernel delivered and dropped during a live capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureStats {
    pub received: u64,
    pub dropped: u64,
    pub if_dropped: u64,
}

/// What ended a read early; the packets before it were delivered.
#[derive(Debug)]
pub struct ReadWarning {
    pub offset: u64,
    pub message: String,
}

/// One packet in a [`PacketBatch`]: where its bytes are and what they are.
#[derive(Debug, Clone, Copy)]
pub struct PacketMeta {
    /// Nanoseconds since the Unix epoch.
    pub timestamp: i64,
    /// LINKTYPE_* of the interface the packet came from.
    pub link_type: u32,
    /// Interface number (pcapng), 0 for pcap.
    pub interface: u32,
    /// Length on the wire.
    pub orig_len: u32,
    /// Frame number in the input, 1-based as Wireshark numbers frames
    /// (counting the packets a filter dropped, so it stays the packet's
    /// number in the file).
    pub frame: u64,
    start: usize,
    len: usize,
}

/// Packets copied out of the reader into one arena, so that a batch
/// crosses threads with two allocations instead of one per packet.
#[derive(Default)]
pub struct PacketBatch {
    /// Position of the batch in the capture, starting at 0.
    pub seq: u64,
    /// 6 or 9: fraction digits of the capture's timestamps, as known when
    /// the batch was read.
    pub timestamp_digits: u32,
    /// Index of the first packet of the batch in the capture.
    pub first_packet: u64,
    /// Packets read into the batch, including those a filter removed since.
    read: u64,
    data: Vec<u8>,
    packets: Vec<PacketMeta>,
    /// Where the buffers go when the batch is dropped (see [`BatchPool`]).
    home: Option<Sender<Buffers>>,
}

/// A batch's two buffers, emptied.
type Buffers = (Vec<u8>, Vec<PacketMeta>);

/// Buffers of dropped batches, for the reader's next ones. A batch ends its
/// life in the writer or in the stream shard that drops the last reference
/// to it; freshly allocated megabyte buffers were returned to the system
/// and faulted in again page by page (half of a run's page faults), and
/// were cold in the cache when the reader filled them.
///
/// Bounded: the pool holds at most `capacity` batches' buffers (a batch
/// dropped when it is full frees its buffers), and buffers that grew past
/// [`MAX_POOLED_BYTES`] for an outsized packet are not kept.
pub struct BatchPool {
    tx: Sender<Buffers>,
    rx: Receiver<Buffers>,
}

/// Largest data buffer a pool keeps.
pub const MAX_POOLED_BYTES: usize = 4 << 20;

impl BatchPool {
    pub fn new(capacity: usize) -> Self {
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        BatchPool { tx, rx }
    }

    /// An empty batch, with the buffers of a dropped one if there is one,
    /// that returns its buffers to this pool when dropped.
    pub fn take(&self, packets: usize, bytes: usize) -> PacketBatch {
        let mut batch = match self.rx.try_recv() {
            Ok((data, metas)) => {
                PacketBatch { seq: 0, timestamp_digits: 6, first_packet: 0, read: 0, data, packets: metas, home: None }
            }
            Err(_) => PacketBatch::with_capacity(packets, bytes),
        };
        batch.home = Some(self.tx.clone());
        batch
    }
}

impl Drop for PacketBatch {
    fn drop(&mut self) {
        let Some(home) = self.home.take() else { return };
        if self.data.capacity() > MAX_POOLED_BYTES {
            return;
        }
        let (mut data, mut packets) = (std::mem::take(&mut self.data), std::mem::take(&mut self.packets));
        data.clear();
        packets.clear();
        // A full pool: these buffers are freed here instead.
        let _ = home.try_send((data, packets));
    }
}

impl PacketBatch {
    pub fn with_capacity(packets: usize, bytes: usize) -> Self {
        PacketBatch {
            seq: 0,
            timestamp_digits: 6,
            first_packet: 0,
            read: 0,
            data: Vec::with_capacity(bytes),
            packets: Vec::with_capacity(packets),
            home: None,
        }
    }

    pub fn push(&mut self, timestamp: i64, link_type: u32, interface: u32, orig_len: u32, bytes: &[u8]) {
        self.read += 1;
        let frame = self.first_packet + self.read;
        self.push_frame(PacketMeta { timestamp, link_type, interface, orig_len, frame, start: 0, len: 0 }, bytes);
    }

    fn push_frame(&mut self, mut meta: PacketMeta, bytes: &[u8]) {
        meta.start = self.data.len();
        meta.len = bytes.len();
        self.data.extend_from_slice(bytes);
        self.packets.push(meta);
    }

    /// A block Wireshark numbers as a frame but that holds no packet (a
    /// pcapng Custom or systemd journal block): the next packet's frame
    /// number counts it, as Wireshark's does.
    pub fn skip_frame(&mut self) {
        self.read += 1;
    }

    /// Packets read into the batch, including those a filter removed.
    pub fn read_count(&self) -> u64 {
        self.read
    }

    pub fn len(&self) -> usize {
        self.packets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    pub fn meta(&self, i: usize) -> Option<&PacketMeta> {
        self.packets.get(i)
    }

    pub fn bytes(&self, m: &PacketMeta) -> &[u8] {
        self.data.get(m.start..m.start + m.len).unwrap_or_default()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&PacketMeta, &[u8])> {
        self.packets.iter().map(move |m| (m, self.bytes(m)))
    }

    /// Sets the link type of the packets from index `from` on (`-base`).
    pub fn set_link_type(&mut self, from: usize, link_type: u32) {
        for m in self.packets.iter_mut().skip(from) {
            m.link_type = link_type;
        }
    }

    /// Keeps only the packets for which `keep` is true (BPF on files).
    pub fn retain(&mut self, mut keep: impl FnMut(&PacketMeta, &[u8]) -> bool) {
        let mut kept = PacketBatch::with_capacity(self.packets.len(), self.data.len());
        kept.seq = self.seq;
        kept.timestamp_digits = self.timestamp_digits;
        kept.first_packet = self.first_packet;
        kept.read = self.read;
        kept.home = self.home.take();
        for (m, data) in self.iter() {
            if keep(m, data) {
                kept.push_frame(*m, data);
            }
        }
        *self = kept;
    }
}

/// `-base`: every packet of `inner` is decoded with one link type, whatever
/// the file or interface reports (a generic or wrong link type, or a raw
/// dump of usbmon). errors.pcap and unknown.pcap get that link type too,
/// so Wireshark opens them with the same dissector.
pub struct ForcedLinkType {
    pub inner: Box<dyn PacketSource>,
    pub link_type: u32,
}

impl PacketSource for ForcedLinkType {
    fn fill(&mut self, batch: &mut PacketBatch, max_packets: usize, max_bytes: usize) -> Result<bool, ReadWarning> {
        let from = batch.len();
        let more = self.inner.fill(batch, max_packets, max_bytes);
        batch.set_link_type(from, self.link_type);
        more
    }
    fn timestamp_digits(&self) -> u32 {
        self.inner.timestamp_digits()
    }
    fn dump_format(&self) -> DumpFormat {
        match self.inner.dump_format() {
            DumpFormat::Pcap { nanos, .. } => DumpFormat::Pcap { link_type: self.link_type, nanos },
            DumpFormat::PcapNg { names } => DumpFormat::PcapNg { names },
        }
    }
    fn stats(&mut self) -> Option<CaptureStats> {
        self.inner.stats()
    }
    fn progress(&self) -> Option<InputProgress> {
        self.inner.progress()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(pool: &BatchPool, packets: usize) -> PacketBatch {
        let mut b = pool.take(4, 64);
        for i in 0..packets {
            b.push(i as i64, 1, 0, 3, &[1, 2, 3]);
        }
        b
    }

    #[test]
    fn a_dropped_batch_gives_its_buffers_to_the_next_one_empty() {
        let pool = BatchPool::new(2);
        let first = filled(&pool, 3);
        let (ptr, capacity) = (first.data.as_ptr(), first.data.capacity());
        drop(first);
        let next = pool.take(4, 64);
        assert_eq!((next.data.as_ptr(), next.data.capacity()), (ptr, capacity), "the same buffer");
        assert!(next.is_empty() && next.byte_len() == 0 && next.read_count() == 0);
        assert_eq!((next.seq, next.first_packet, next.timestamp_digits), (0, 0, 6));
    }

    #[test]
    fn the_pool_keeps_at_most_its_capacity_and_no_outsized_buffers() {
        let pool = BatchPool::new(1);
        let (a, b) = (filled(&pool, 1), filled(&pool, 1));
        drop(a);
        drop(b); // the pool is full: freed
        assert!(pool.rx.try_recv().is_ok());
        assert!(pool.rx.try_recv().is_err());
        let mut big = pool.take(1, 64);
        big.push(0, 1, 0, 1, &vec![0; MAX_POOLED_BYTES + 1]);
        drop(big);
        assert!(pool.rx.try_recv().is_err(), "an outsized buffer is freed");
    }

    #[test]
    fn a_filtered_batch_still_goes_home() {
        let pool = BatchPool::new(2);
        let mut b = filled(&pool, 4);
        b.retain(|m, _| m.timestamp % 2 == 0);
        assert_eq!((b.len(), b.read_count()), (2, 4));
        drop(b);
        assert!(pool.rx.try_recv().is_ok());
    }

    #[test]
    fn a_batch_outliving_its_pool_is_freed() {
        let pool = BatchPool::new(2);
        let b = filled(&pool, 2);
        drop(pool);
        drop(b);
    }
}

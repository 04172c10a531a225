//! One direction of a TCP connection, put back in order.
//!
//! A [`HalfStream`] turns the segments of one side, in capture order, into
//! the side's bytes in sequence order, told as [`Event`]s: data, gaps
//! (bytes never seen) and the end (FIN). Sequence numbers are 32 bits and
//! wrap; the stream keeps a 64-bit count of the bytes it has passed on
//! (`offset`) and places each segment by its signed distance from the next
//! expected sequence number, so wrap-around needs no special case.
//!
//! Policies (what a receiver would do is ambiguous; these are stated so
//! results are predictable):
//! - **Overlaps: first wins.** Bytes already held (or already passed on)
//!   are kept and a later copy only fills what is missing, as Wireshark
//!   and the BSD stacks do. Every segment that overlaps held or recently
//!   passed-on bytes counts as an overlap; one whose overlapping bytes
//!   differ counts again in `overlaps_differ` — the sign of an evasion
//!   attempt (a retransmission that says something else). Passed-on bytes
//!   are compared over the last [`RECENT_BYTES`] only.
//! - **Gaps**: the stream moves past a hole (and says how long it was)
//!   when the other side acknowledges data beyond it (the segment was
//!   lost before the capture point), when the held bytes pass the
//!   per-stream cap, and at the end (FIN, RST, timeout, end of input).
//! - **Pick-up without SYN**: the first segment seen starts the stream.
//! - **After FIN**: data past the FIN's sequence number is dropped and counted.
//! - **Caps**: a segment beyond the per-stream cap, or that does not fit the
//!   shared budget, is dropped and counted (never queued without bound).

use std::collections::{BTreeMap, VecDeque};

/// Passed-on bytes kept to compare retransmissions against.
pub const RECENT_BYTES: usize = 2048;

/// Counters of the reassembler, summed over streams.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Segments with payload seen.
    pub segments: u64,
    /// Bytes passed on in order.
    pub bytes: u64,
    /// Segments that arrived ahead of a hole and were held.
    pub out_of_order: u64,
    /// Segments (or parts) that overlapped bytes already held or passed on.
    pub overlaps: u64,
    /// Of those, the ones whose overlapping bytes differ.
    pub overlaps_differ: u64,
    /// Holes skipped, and their bytes.
    pub gaps: u64,
    pub gap_bytes: u64,
    /// Bytes dropped: past a stream's cap or the shared budget, after FIN.
    pub dropped_bytes: u64,
}

impl ReassemblyStats {
    pub fn add(&mut self, o: &ReassemblyStats) {
        self.segments += o.segments;
        self.bytes += o.bytes;
        self.out_of_order += o.out_of_order;
        self.overlaps += o.overlaps;
        self.overlaps_differ += o.overlaps_differ;
        self.gaps += o.gaps;
        self.gap_bytes += o.gap_bytes;
        self.dropped_bytes += o.dropped_bytes;
    }
}

/// What a half stream passes on, in sequence order.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// Bytes, with the capture time of the segment that carried them.
    Data(i64, &'a [u8]),
    /// This many bytes were never seen.
    Gap(u64),
    /// The side's FIN: nothing follows.
    End,
}

/// A held segment: the bytes captured, and `missing` bytes after them that
/// the segment carried on the wire but the capture cut (snap length).
struct Held {
    timestamp: i64,
    data: Vec<u8>,
    missing: u64,
}

impl Held {
    fn len(&self) -> u64 {
        self.data.len() as u64 + self.missing
    }
}

/// Limits of one half stream.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most bytes held out of order by one direction.
    pub max_held: usize,
}

/// One direction of a connection.
#[derive(Default)]
pub struct HalfStream {
    /// Sequence number of the next byte to pass on; None until the first
    /// SYN or segment.
    next_seq: Option<u32>,
    /// Bytes passed on so far (data and gaps): the offset of `next_seq`.
    offset: u64,
    /// Out-of-order segments by their offset.
    held: BTreeMap<u64, Held>,
    held_bytes: usize,
    /// Offset of the FIN, once seen.
    fin_at: Option<u64>,
    ended: bool,
    /// The last passed-on bytes, ending at `offset`, to compare
    /// retransmissions. A ring: a `Vec` window shifted its kept bytes to
    /// the front for every segment (up to 2 KiB moved per segment, most of
    /// the stream shards' `memmove`).
    recent: VecDeque<u8>,
    /// Stop keeping bytes (no decoder wants them): only count.
    discard: bool,
    /// The stream started with this side's SYN.
    from_syn: bool,
}

/// Signed distance from `from` to `to` in sequence space.
fn seq_distance(from: u32, to: u32) -> i64 {
    i64::from(to.wrapping_sub(from) as i32)
}

impl HalfStream {
    /// A SYN of this side: the data starts after it.
    pub fn syn(&mut self, seq: u32) {
        if self.next_seq.is_none() {
            self.next_seq = Some(seq.wrapping_add(1));
            self.from_syn = true;
        }
    }

    /// This side has sent its SYN and nothing after it (that was seen).
    pub fn sent_only_syn(&self) -> bool {
        self.from_syn && self.offset == 0 && self.held.is_empty() && self.fin_at.is_none()
    }

    pub fn started(&self) -> bool {
        self.next_seq.is_some()
    }

    /// Whether a SYN with sequence number `seq` from this side starts
    /// another stream than this one: the side has started (from a SYN, its
    /// data or the other side's ACK) at a different sequence number. A
    /// retransmitted SYN, or the SYN of a stream whose SYN-ACK came first,
    /// starts where this one did.
    pub fn is_other_stream(&self, seq: u32) -> bool {
        // `offset` counts the bytes passed on since the start, so the
        // stream began `offset` bytes before `next_seq` (modulo 2^32).
        self.next_seq.is_some_and(|next| next.wrapping_sub(self.offset as u32) != seq.wrapping_add(1))
    }

    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Bytes held out of order.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes + self.recent.capacity()
    }

    /// Drop what is held and keep only counting from now on (the
    /// connection carries nothing a decoder wants). Returns bytes freed.
    pub fn discard(&mut self) -> usize {
        let freed = self.held_bytes();
        self.discard = true;
        self.held.clear();
        self.held_bytes = 0;
        self.recent = VecDeque::new();
        freed
    }

    /// Takes a segment of this side: `seq`, its captured payload `data`,
    /// the payload length on the wire `wire_len` (>= data.len(); more when
    /// the capture cut it), and whether it carries FIN. `budget` is the
    /// bytes the shared budget still allows holding; it is reduced by what
    /// this call holds. Events go to `emit`.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        seq: u32,
        data: &[u8],
        wire_len: u64,
        fin: bool,
        timestamp: i64,
        limits: &Limits,
        budget: &mut usize,
        stats: &mut ReassemblyStats,
        emit: &mut dyn FnMut(Event),
    ) {
        let wire_len = wire_len.max(data.len() as u64);
        if wire_len > 0 {
            stats.segments += 1;
        }
        let next = *self.next_seq.get_or_insert(seq);
        let distance = seq_distance(next, seq);
        // Offset of the segment's first byte; a segment from before the
        // stream's start (possible only when picked up without SYN) is cut.
        let start = self.offset as i64 + distance;
        if fin {
            let fin_offset = (start + wire_len as i64).max(0) as u64;
            if self.fin_at.is_none() && !self.ended {
                self.fin_at = Some(fin_offset.max(self.offset));
            }
        }
        if wire_len > 0 {
            self.place(start, data, wire_len, timestamp, limits, budget, stats, emit);
        }
        self.finish_if_at_fin(emit);
    }

    #[allow(clippy::too_many_arguments)]
    fn place(
        &mut self,
        start: i64,
        data: &[u8],
        wire_len: u64,
        timestamp: i64,
        limits: &Limits,
        budget: &mut usize,
        stats: &mut ReassemblyStats,
        emit: &mut dyn FnMut(Event),
    ) {
        let end = start + wire_len as i64;
        let limit = self.fin_at.map_or(i64::MAX, |f| f as i64);
        if end > limit {
            stats.dropped_bytes += (end - limit.max(start)) as u64;
        }
        let end = end.min(limit);
        let here = self.offset as i64;
        if end <= here {
            // Entirely old: a retransmission.
            if end > start {
                stats.overlaps += 1;
                self.compare_recent(start, data, stats);
            }
            return;
        }
        // Cut what was passed on already.
        let mut skip = 0u64;
        if start < here {
            stats.overlaps += 1;
            self.compare_recent(start, data, stats);
            skip = (here - start) as u64;
        }
        let first = (start.max(here)) as u64;
        let len = (end as u64).saturating_sub(first);
        if self.discard {
            // Nobody reads these bytes: count them and move on, hole or not.
            stats.bytes += len;
            self.offset = end as u64;
            self.bump_seq(end as u64 - here as u64);
            return;
        }
        let (bytes, missing) = cut(data, skip, len);
        if first == self.offset {
            self.deliver_in_order(first, bytes, missing, timestamp, stats, emit);
        } else {
            self.hold(first, bytes, missing, timestamp, limits, budget, stats, emit);
        }
    }

    /// Passes on a segment that starts at `offset`, then whatever held
    /// segments it makes contiguous.
    fn deliver_in_order(
        &mut self,
        at: u64,
        bytes: &[u8],
        missing: u64,
        timestamp: i64,
        stats: &mut ReassemblyStats,
        emit: &mut dyn FnMut(Event),
    ) {
        // Held bytes under this segment are overlaps (first wins: they were held first).
        let end = at + bytes.len() as u64 + missing;
        let mut cursor = at;
        let overlapping: Vec<u64> = self.held.range(at..end).map(|(k, _)| *k).collect();
        for k in overlapping {
            let Some(h) = self.held.remove(&k) else { continue };
            self.held_bytes = self.held_bytes.saturating_sub(h.data.len());
            stats.overlaps += 1;
            // Pass on the new bytes up to the held segment, then the held one.
            if k > cursor {
                let (part, miss) = cut(bytes, cursor - at, (k - cursor) as u64);
                self.advance(timestamp, part, miss, stats, emit);
            }
            let (ours, _) = cut(bytes, k - at, h.len());
            if differs(ours, &h.data) {
                stats.overlaps_differ += 1;
            }
            cursor = k + h.len();
            self.advance(h.timestamp, &h.data, h.missing, stats, emit);
            if cursor >= end {
                break;
            }
        }
        if cursor < end {
            let (rest, miss) = cut(bytes, cursor - at, end - cursor);
            self.advance(timestamp, rest, miss, stats, emit);
        }
        self.drain_held(stats, emit);
    }

    /// Keeps an out-of-order segment; first wins against what is held.
    #[allow(clippy::too_many_arguments)]
    fn hold(
        &mut self,
        at: u64,
        bytes: &[u8],
        missing: u64,
        timestamp: i64,
        limits: &Limits,
        budget: &mut usize,
        stats: &mut ReassemblyStats,
        emit: &mut dyn FnMut(Event),
    ) {
        let end = at + bytes.len() as u64 + missing;
        // Trim against held segments: keep only the parts not held yet.
        let mut pieces: Vec<(u64, u64)> = Vec::new(); // (start, end) not covered
        let mut cursor = at;
        let before = self.held.range(..at).next_back().map(|(k, h)| (*k, k + h.len()));
        if let Some((k, e)) = before {
            if e > cursor {
                stats.overlaps += 1;
                if let Some(h) = self.held.get(&k) {
                    let shared = (e.min(end) - at) as usize;
                    let (ours, _) = cut(bytes, 0, shared as u64);
                    let (theirs, _) = cut(&h.data, at - k, shared as u64);
                    if differs(ours, theirs) {
                        stats.overlaps_differ += 1;
                    }
                }
                cursor = e.min(end);
            }
        }
        let inside: Vec<(u64, u64)> = self.held.range(at..end).map(|(k, h)| (*k, k + h.len())).collect();
        for (k, e) in inside {
            if k > cursor {
                pieces.push((cursor, k));
            }
            stats.overlaps += 1;
            if let Some(h) = self.held.get(&k) {
                let shared = e.min(end) - k;
                let (ours, _) = cut(bytes, k - at, shared);
                let (theirs, _) = cut(&h.data, 0, shared);
                if differs(ours, theirs) {
                    stats.overlaps_differ += 1;
                }
            }
            cursor = cursor.max(e);
        }
        if cursor < end {
            pieces.push((cursor, end));
        }
        if pieces.is_empty() {
            return;
        }
        stats.out_of_order += 1;
        for (s, e) in pieces {
            let (part, miss) = cut(bytes, s - at, e - s);
            let size = part.len();
            if self.held_bytes + size > limits.max_held {
                // Past this stream's cap: move on past the first hole so
                // the held bytes can go, then try again once.
                self.skip_to_held(stats, emit);
                if s == self.offset {
                    self.advance(timestamp, part, miss, stats, emit);
                    self.drain_held(stats, emit);
                    continue;
                }
                if s < self.offset || self.held_bytes + size > limits.max_held {
                    stats.dropped_bytes += e.saturating_sub(s.max(self.offset));
                    continue;
                }
            }
            if size > *budget {
                stats.dropped_bytes += e - s;
                continue;
            }
            *budget -= size;
            self.held_bytes += size;
            self.held.insert(s, Held { timestamp, data: part.to_vec(), missing: miss });
        }
    }

    /// Passes on bytes at `offset` and remembers the last of them.
    fn advance(
        &mut self,
        timestamp: i64,
        bytes: &[u8],
        missing: u64,
        stats: &mut ReassemblyStats,
        emit: &mut dyn FnMut(Event),
    ) {
        if !bytes.is_empty() {
            stats.bytes += bytes.len() as u64;
            if !self.discard {
                emit(Event::Data(timestamp, bytes));
                self.remember(bytes);
            }
        }
        if missing > 0 {
            self.gap(missing, stats, emit);
        }
        self.offset += bytes.len() as u64;
        self.bump_seq(bytes.len() as u64);
    }

    fn gap(&mut self, len: u64, stats: &mut ReassemblyStats, emit: &mut dyn FnMut(Event)) {
        stats.gaps += 1;
        stats.gap_bytes += len;
        if !self.discard {
            emit(Event::Gap(len));
        }
        self.recent.clear();
        self.offset += len;
        self.bump_seq(len);
    }

    fn bump_seq(&mut self, n: u64) {
        if let Some(s) = self.next_seq.as_mut() {
            *s = s.wrapping_add(n as u32);
        }
    }

    fn remember(&mut self, bytes: &[u8]) {
        // The window is counted by its capacity (`held_bytes`): let it grow
        // by doubling, but never past RECENT_BYTES, as the Vec's own
        // growth would (up to twice that, past the per-stream bound).
        let needed = (self.recent.len() + bytes.len()).min(RECENT_BYTES);
        if needed > self.recent.capacity() {
            // At least a quarter of the window at once: small messages
            // (TLS records, HTTP requests) otherwise regrew it from a few
            // bytes, a realloc and a copy per doubling, for every stream.
            let target = needed.max(2 * self.recent.capacity()).max(RECENT_BYTES / 4).min(RECENT_BYTES);
            self.recent.reserve_exact(target.saturating_sub(self.recent.len()));
        }
        // Only the last RECENT_BYTES of a large segment stay.
        let tail = bytes.get(bytes.len().saturating_sub(RECENT_BYTES)..).unwrap_or_default();
        let keep = RECENT_BYTES - tail.len();
        if self.recent.len() > keep {
            // The ring's head moves on; nothing is shifted.
            self.recent.drain(..self.recent.len() - keep);
        }
        self.recent.extend(tail);
    }

    /// Compares a retransmission that starts at offset `start` (before the
    /// current offset) with the remembered passed-on bytes.
    fn compare_recent(&self, start: i64, data: &[u8], stats: &mut ReassemblyStats) {
        let recent_start = self.offset as i64 - self.recent.len() as i64;
        let from = start.max(recent_start);
        let to = (start + data.len() as i64).min(self.offset as i64);
        if from >= to {
            return;
        }
        let ours = data.get((from - start) as usize..(to - start) as usize);
        let theirs = ((from - recent_start) as usize, (to - recent_start) as usize);
        if let (Some(a), true) = (ours, theirs.1 <= self.recent.len()) {
            if !a.iter().eq(self.recent.range(theirs.0..theirs.1)) {
                stats.overlaps_differ += 1;
            }
        }
    }

    /// Passes on held segments that have become contiguous.
    fn drain_held(&mut self, stats: &mut ReassemblyStats, emit: &mut dyn FnMut(Event)) {
        while let Some(entry) = self.held.first_entry() {
            let k = *entry.key();
            if k > self.offset {
                break;
            }
            let h = entry.remove();
            self.held_bytes = self.held_bytes.saturating_sub(h.data.len());
            let end = k + h.len();
            if end <= self.offset {
                continue;
            }
            let (bytes, missing) = cut(&h.data, self.offset - k, end - self.offset);
            self.advance(h.timestamp, bytes, missing, stats, emit);
        }
    }

    /// Moves past the hole before the first held segment, if any.
    fn skip_to_held(&mut self, stats: &mut ReassemblyStats, emit: &mut dyn FnMut(Event)) {
        if let Some((&k, _)) = self.held.first_key_value() {
            if k > self.offset {
                self.gap(k - self.offset, stats, emit);
            }
            self.drain_held(stats, emit);
        }
    }

    /// The other side acknowledged up to `ack`: bytes before it that we
    /// never saw were lost before the capture point; move past them.
    pub fn acknowledged(&mut self, ack: u32, stats: &mut ReassemblyStats, emit: &mut dyn FnMut(Event)) {
        let Some(next) = self.next_seq else {
            // Picked up without a SYN: the receiver says where this side's
            // data goes on, so a first segment that arrives out of order
            // is not taken for the start of the stream.
            self.next_seq = Some(ack);
            return;
        };
        let distance = seq_distance(next, ack);
        if distance <= 0 || self.ended {
            return;
        }
        let target = self.offset + distance as u64;
        // Held data before the acknowledged point goes; holes become gaps.
        while self.offset < target {
            match self.held.first_key_value().map(|(k, _)| *k) {
                Some(k) if k < target => {
                    if k > self.offset {
                        self.gap(k - self.offset, stats, emit);
                    }
                    self.drain_held(stats, emit);
                }
                _ => {
                    let hole = target - self.offset;
                    // An ACK for data behind a FIN is the FIN itself.
                    let hole = match self.fin_at {
                        Some(f) => hole.min(f.saturating_sub(self.offset)),
                        None => hole,
                    };
                    if hole > 0 {
                        self.gap(hole, stats, emit);
                    }
                    break;
                }
            }
        }
        self.finish_if_at_fin(emit);
    }

    /// The connection is over (RST, timeout, end of input): pass on what
    /// is held, with gaps for the holes. Does not emit End unless the FIN
    /// was reached.
    pub fn flush(&mut self, stats: &mut ReassemblyStats, emit: &mut dyn FnMut(Event)) {
        while !self.held.is_empty() {
            self.skip_to_held(stats, emit);
        }
        self.finish_if_at_fin(emit);
        self.recent = VecDeque::new();
    }

    fn finish_if_at_fin(&mut self, emit: &mut dyn FnMut(Event)) {
        if let Some(f) = self.fin_at {
            if !self.ended && self.offset >= f {
                self.ended = true;
                self.held.clear();
                self.held_bytes = 0;
                if !self.discard {
                    emit(Event::End);
                }
            }
        }
    }
}

/// `len` bytes of a segment from `skip` on: the captured part, and how
/// many of them the capture did not keep.
fn cut(data: &[u8], skip: u64, len: u64) -> (&[u8], u64) {
    let from = usize::try_from(skip).unwrap_or(usize::MAX).min(data.len());
    let to = usize::try_from(skip.saturating_add(len)).unwrap_or(usize::MAX).min(data.len());
    let bytes = data.get(from..to).unwrap_or(&[]);
    (bytes, len - bytes.len() as u64)
}

fn differs(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a.get(..n) != b.get(..n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum Got {
        Data(i64, Vec<u8>),
        Gap(u64),
        End,
    }

    /// A half stream with its limits and budget, collecting events.
    struct Harness {
        half: HalfStream,
        limits: Limits,
        budget: usize,
        stats: ReassemblyStats,
        got: Vec<Got>,
    }

    impl Harness {
        fn new() -> Self {
            Harness {
                half: HalfStream::default(),
                limits: Limits { max_held: 1 << 20 },
                budget: 1 << 20,
                stats: ReassemblyStats::default(),
                got: Vec::new(),
            }
        }

        fn seg_full(&mut self, seq: u32, data: &[u8], wire: u64, fin: bool, ts: i64) {
            let got = &mut self.got;
            self.half.segment(seq, data, wire, fin, ts, &self.limits, &mut self.budget, &mut self.stats, &mut |e| {
                got.push(owned(e))
            });
        }

        fn seg(&mut self, seq: u32, data: &[u8]) {
            self.seg_full(seq, data, data.len() as u64, false, i64::from(seq));
        }

        fn ack(&mut self, ack: u32) {
            let got = &mut self.got;
            self.half.acknowledged(ack, &mut self.stats, &mut |e| got.push(owned(e)));
        }

        fn flush(&mut self) {
            let got = &mut self.got;
            self.half.flush(&mut self.stats, &mut |e| got.push(owned(e)));
        }

        /// Data bytes passed on, gaps as '?' per byte.
        fn text(&self) -> String {
            let mut s = String::new();
            for g in &self.got {
                match g {
                    Got::Data(_, d) => s.push_str(&String::from_utf8_lossy(d)),
                    Got::Gap(n) => s.push_str(&"?".repeat(*n as usize)),
                    Got::End => s.push('|'),
                }
            }
            s
        }
    }

    fn owned(e: Event) -> Got {
        match e {
            Event::Data(t, d) => Got::Data(t, d.to_vec()),
            Event::Gap(n) => Got::Gap(n),
            Event::End => Got::End,
        }
    }

    #[test]
    fn in_order_after_syn() {
        let mut h = Harness::new();
        h.half.syn(99);
        h.seg(100, b"hello ");
        h.seg(106, b"world");
        assert_eq!(h.got, vec![Got::Data(100, b"hello ".to_vec()), Got::Data(106, b"world".to_vec())]);
        assert_eq!(h.stats.bytes, 11);
    }

    #[test]
    fn sequence_wraps_around() {
        let mut h = Harness::new();
        h.half.syn(u32::MAX - 3);
        h.seg(u32::MAX - 2, b"abc");
        h.seg(0, b"def");
        h.seg(3, b"ghi");
        assert_eq!(h.text(), "abcdefghi");
        // Out of order across the wrap.
        let mut h = Harness::new();
        h.half.syn(u32::MAX - 3);
        h.seg(0, b"def");
        h.seg(u32::MAX - 2, b"abc");
        assert_eq!(h.text(), "abcdef");
    }

    #[test]
    fn reversed_order() {
        let mut h = Harness::new();
        h.half.syn(0);
        for (i, part) in [b"ab", b"cd", b"ef", b"gh"].iter().enumerate().rev() {
            h.seg(1 + 2 * i as u32, *part);
        }
        assert_eq!(h.text(), "abcdefgh");
        assert_eq!(h.stats.out_of_order, 3);
        // Each piece keeps the time of the segment that carried it.
        assert_eq!(h.got[0], Got::Data(1, b"ab".to_vec()));
        assert_eq!(h.got[3], Got::Data(7, b"gh".to_vec()));
    }

    #[test]
    fn interleaved_order_and_one_byte_segments() {
        let text = b"the quick brown fox";
        let mut h = Harness::new();
        h.half.syn(1000);
        // Odd bytes first, then even ones: every segment is one byte.
        for i in (1..text.len()).step_by(2) {
            h.seg(1001 + i as u32, &text[i..=i]);
        }
        assert_eq!(h.text(), "");
        for i in (0..text.len()).step_by(2) {
            h.seg(1001 + i as u32, &text[i..=i]);
        }
        assert_eq!(h.text(), "the quick brown fox");
    }

    #[test]
    fn retransmission_with_equal_bytes_is_an_overlap() {
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(1, b"abcdef");
        h.seg(1, b"abcdef");
        h.seg(4, b"defgh");
        assert_eq!(h.text(), "abcdefgh");
        assert_eq!((h.stats.overlaps, h.stats.overlaps_differ), (2, 0));
    }

    #[test]
    fn overlap_with_different_bytes_keeps_the_first_and_counts() {
        // Passed-on bytes: the retransmission says something else.
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(1, b"GET /a");
        h.seg(1, b"GET /b");
        assert_eq!(h.text(), "GET /a");
        assert_eq!((h.stats.overlaps, h.stats.overlaps_differ), (1, 1));
        // Held bytes: two out-of-order copies that differ; the first wins.
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(4, b"XYZ");
        h.seg(4, b"xyz");
        h.seg(3, b"cxyw");
        h.seg(1, b"ab");
        assert_eq!(h.text(), "abcXYZ");
        assert_eq!(h.stats.overlaps_differ, 2);
        // A new in-order segment that covers a held one: the held bytes win.
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(3, b"CD");
        h.seg(1, b"abcdef");
        assert_eq!(h.text(), "abCDef");
        assert_eq!(h.stats.overlaps_differ, 1);
    }

    #[test]
    fn a_hole_becomes_a_gap_when_acknowledged_or_flushed() {
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(1, b"abc");
        h.seg(7, b"ghi");
        assert_eq!(h.text(), "abc");
        // The receiver acknowledged everything: "def" was lost before the capture.
        h.ack(10);
        assert_eq!(h.text(), "abc???ghi");
        assert_eq!(h.got[1], Got::Gap(3));
        assert_eq!((h.stats.gaps, h.stats.gap_bytes), (1, 3));
        // The stream goes on after the gap.
        h.seg(10, b"jk");
        assert_eq!(h.text(), "abc???ghijk");
        // At the end a held segment behind a hole comes out after its gap.
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(5, b"ef");
        h.flush();
        assert_eq!(h.text(), "????ef");
    }

    #[test]
    fn acknowledgement_past_unseen_data_without_held_bytes() {
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(1, b"ab");
        h.ack(3);
        assert_eq!(h.text(), "ab");
        h.ack(8);
        assert_eq!(h.text(), "ab?????");
        h.seg(8, b"h");
        assert_eq!(h.text(), "ab?????h");
    }

    #[test]
    fn picked_up_without_syn() {
        let mut h = Harness::new();
        h.seg(5000, b"middle");
        h.seg(5006, b" end");
        // Older bytes than the first segment seen are a retransmission.
        h.seg(4990, b"0123456789mid");
        assert_eq!(h.text(), "middle end");
        assert_eq!(h.stats.overlaps, 1);
    }

    #[test]
    fn an_acknowledgement_places_a_picked_up_stream() {
        let mut h = Harness::new();
        h.ack(500);
        h.seg(503, b"def");
        h.seg(500, b"abc");
        assert_eq!(h.text(), "abcdef");
    }

    #[test]
    fn fin_ends_and_later_data_is_dropped() {
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg_full(1, b"abc", 3, true, 1);
        assert_eq!(h.text(), "abc|");
        // A duplicate FIN changes nothing.
        h.seg_full(1, b"abc", 3, true, 2);
        h.seg_full(4, b"", 0, true, 3);
        // Data after the FIN.
        h.seg(4, b"zzz");
        assert_eq!(h.text(), "abc|");
        assert!(h.half.ended());
        assert_eq!(h.stats.dropped_bytes, 3);
    }

    #[test]
    fn fin_before_the_data_it_follows() {
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg_full(4, b"", 0, true, 1);
        h.seg(1, b"abc");
        assert_eq!(h.text(), "abc|");
    }

    #[test]
    fn bytes_cut_by_the_snap_length_are_a_gap() {
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg_full(1, b"ab", 5, false, 1);
        h.seg(6, b"f");
        assert_eq!(h.text(), "ab???f");
        // Held out of order with a cut tail.
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg_full(3, b"c", 2, false, 1);
        h.seg(1, b"ab");
        h.seg(5, b"e");
        assert_eq!(h.text(), "abc?e");
    }

    #[test]
    fn per_stream_cap_moves_past_the_hole() {
        let mut h = Harness::new();
        h.limits.max_held = 8;
        h.half.syn(0);
        h.seg(3, b"cdef");
        h.seg(7, b"ghij");
        assert_eq!(h.text(), "");
        // A third held segment would pass the cap: skip the hole, pass on.
        h.seg(11, b"klmn");
        assert_eq!(h.text(), "??cdefghijklmn");
        assert!(h.half.held_bytes() <= 8 + RECENT_BYTES);
    }

    #[test]
    fn shared_budget_drops_and_counts() {
        let mut h = Harness::new();
        h.budget = 3;
        h.half.syn(0);
        h.seg(3, b"cd");
        h.seg(5, b"ef");
        assert_eq!(h.stats.dropped_bytes, 2);
        assert_eq!(h.budget, 1);
        h.seg(1, b"ab");
        // The dropped bytes are a gap once a later segment shows them missing.
        h.seg(7, b"g");
        h.flush();
        assert_eq!(h.text(), "abcd??g");
    }

    #[test]
    fn a_flood_of_out_of_order_segments_stays_under_the_cap() {
        let mut h = Harness::new();
        h.limits.max_held = 4096;
        h.half.syn(0);
        // Never deliverable: always a hole at offset 0... until the cap moves past it.
        let data = [7u8; 100];
        for i in 0..10_000u32 {
            h.seg(2 + i * 200, &data);
            assert!(h.half.held_bytes() <= 4096 + RECENT_BYTES);
        }
    }

    #[test]
    fn the_retransmission_window_stays_within_its_size() {
        // Found by the `reassembly` fuzz target: 2,047 bytes then 2 more
        // in order made the window's Vec double to 4,094 bytes, counted
        // as held, past `max_held + RECENT_BYTES`.
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(1, &[b'a'; RECENT_BYTES - 1]);
        h.seg(RECENT_BYTES as u32, b"bc");
        assert_eq!(h.half.held_bytes(), RECENT_BYTES);
        // Small pieces still grow it step by step, not all at once.
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(1, b"abc");
        assert!(h.half.held_bytes() < RECENT_BYTES);
        for i in 0..1000u32 {
            h.seg(4 + 3 * i, b"def");
            assert!(h.half.held_bytes() <= RECENT_BYTES);
        }
        // Retransmissions are still compared against the window.
        h.seg(4 + 3 * 999, b"dXf");
        assert_eq!(h.stats.overlaps_differ, 1);
    }

    /// The window is a ring: retransmissions anywhere in it, across the
    /// point where it wraps too, are compared with the right bytes.
    #[test]
    fn retransmissions_are_compared_across_the_rings_wrap() {
        let mut h = Harness::new();
        h.half.syn(0);
        let stream: Vec<u8> = (0..7_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for (i, piece) in stream.chunks(1_000).enumerate() {
            h.seg(1 + 1_000 * i as u32, piece);
        }
        let end = stream.len();
        for back in (600..=RECENT_BYTES).step_by(97) {
            let from = end - back;
            h.seg(1 + from as u32, &stream[from..from + 600]);
        }
        assert_eq!(h.stats.overlaps_differ, 0);
        let from = end - RECENT_BYTES + 1_500;
        let mut changed = stream[from..from + 300].to_vec();
        changed[299] ^= 1;
        h.seg(1 + from as u32, &changed);
        assert_eq!(h.stats.overlaps_differ, 1);
    }

    #[test]
    fn discarded_stream_only_counts() {
        let mut h = Harness::new();
        h.half.syn(0);
        h.seg(5, b"efgh");
        assert!(h.half.discard() > 0);
        h.seg(1, b"abcd");
        h.seg(20, b"xyz");
        assert_eq!(h.text(), "");
        assert_eq!(h.half.held_bytes(), 0);
    }
}

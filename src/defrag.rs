//! IP defragmentation: the fragments of IPv4 (RFC 791) and IPv6 (RFC 8200)
//! datagrams in, whole datagrams out, so that the upper-layer decoders see a
//! fragmented DNS response (or any datagram) as its sender wrote it.
//!
//! [`Defragmenter`] is a pure data structure: the pipeline feeds it, in
//! capture order, the IP packets that are fragments with their capture
//! time, and gets a datagram back when one is complete. Only packet time
//! is used, never the clock, and nothing depends on hash iteration order,
//! so a capture gives the same datagrams and counts on every run.
//!
//! # Which fragments belong together
//!
//! IPv4: equal source, destination, protocol and identification (RFC 791).
//! IPv6: equal source, destination and identification (RFC 8200, 4.5).
//!
//! # Overlaps: the first copy wins
//!
//! Bytes already held are kept; a later fragment only fills holes. This is
//! what Wireshark does (it keeps the first copy), so a reassembled datagram
//! is the one an analyst sees there. Operating systems disagree (Linux and
//! the BSDs prefer different copies; RFC 5722 drops an IPv6 datagram with
//! any overlap), and that disagreement is what IDS-evasion attacks use:
//! send two versions of the same bytes and let the monitor pick the one the
//! target does not. So every fragment that overlaps held bytes is counted
//! ([`DefragStats::overlaps`]; an exact retransmission counts too), and
//! separately the ones whose overlapping bytes differ
//! ([`DefragStats::overlaps_differ`]), the evasion sign.
//!
//! # What is refused (counted as [`DefragStats::invalid`])
//!
//! A fragment whose datagram cannot be reassembled faithfully drops that
//! datagram, the bytes held for it included:
//! - a fragment cut by the snap length (its missing bytes would become a
//!   hole in the datagram);
//! - a fragment with more fragments after it whose length is not a
//!   multiple of 8 bytes (RFC 791, RFC 8200: the next offset cannot follow);
//! - a datagram longer than the 16-bit length field can say (IPv4 total
//!   length, IPv6 payload length: 65,535 bytes);
//! - a second last fragment with a different end, a last fragment that
//!   ends before bytes already held, or bytes past the end a last fragment
//!   set.
//!
//! # Bounds
//!
//! Datagrams being reassembled ([`DefragConfig::max_datagrams`]), fragments
//! per datagram ([`DefragConfig::max_fragments`]) and bytes held
//! ([`DefragConfig::max_bytes`]) are capped; past a cap the datagram whose
//! first fragment came first is forced out (counted), never an unbounded
//! queue. Every allocation is sized by bytes that were captured, never by a
//! length field alone. A datagram whose first fragment is older than
//! [`DefragConfig::timeout`] is dropped, like Linux's `ipfrag_time`.

use crate::decode::ipv4::Ipv4Packet;
use crate::decode::ipv6::{self, Ipv6Packet};
use crate::decode::ipv6_fragment::{self, FragmentHeader};
use crate::decode::wire::be16;
use std::collections::BTreeMap;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
/// The largest value of the 16-bit IPv4 total length and IPv6 payload length.
const MAX_IP_LENGTH: usize = 65_535;
/// Fragment offsets count 8-byte units, so every fragment but the last
/// carries a multiple of 8 bytes.
const FRAGMENT_UNIT: usize = 8;
/// IPv4's More Fragments flag and fragment offset, in the 16-bit word at byte 6.
const IPV4_MORE_FRAGMENTS: u16 = 0x2000;
const IPV4_OFFSET_MASK: u16 = 0x1fff;
/// The flag bits a reassembled IPv4 header keeps in byte 6 (reserved, DF).
const IPV4_KEPT_FLAGS: u8 = 0xc0;
/// Extension headers walked to the Fragment header, as `decode::MAX_IPV6_EXTENSIONS`.
const MAX_IPV6_EXTENSIONS: usize = 8;

/// Memory a held byte range costs besides its bytes (its vector and the
/// allocator's rounding): counted in [`Defragmenter::buffered_bytes`] so
/// that a flood of 1-byte fragments cannot hold far more than the budget.
pub const PIECE_OVERHEAD: usize = 64;
/// Memory a datagram being reassembled costs besides its bytes (its
/// state and its entries in the two maps), counted like [`PIECE_OVERHEAD`].
pub const DATAGRAM_OVERHEAD: usize = 256;

/// Limits of a [`Defragmenter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragConfig {
    /// Nanoseconds of packet time a datagram may take from its first
    /// fragment to completion (default 30 s, Linux's `ipfrag_time`).
    pub timeout: i64,
    /// Datagrams being reassembled at once (default 8192).
    pub max_datagrams: usize,
    /// Fragments accepted per datagram, duplicates included (default 128):
    /// bounds the work per fragment as well as the memory.
    pub max_fragments: usize,
    /// Bytes held in total, overheads included (default 32 MiB).
    pub max_bytes: usize,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig { timeout: 30 * NANOS_PER_SECOND, max_datagrams: 8192, max_fragments: 128, max_bytes: 32 << 20 }
    }
}

/// What a [`Defragmenter`] did since it was made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DefragStats {
    /// Fragments given to [`Defragmenter::add`] (valid or not).
    pub fragments: u64,
    /// Datagrams completed and returned.
    pub datagrams: u64,
    /// Fragments that overlapped bytes already held (retransmissions too).
    pub overlaps: u64,
    /// Overlapping fragments whose overlapping bytes differ from the held
    /// ones: an evasion sign.
    pub overlaps_differ: u64,
    /// Datagrams dropped because their first fragment grew too old.
    pub timed_out: u64,
    /// Datagrams dropped at their fragment past `max_fragments`.
    pub too_many_fragments: u64,
    /// Datagrams forced out by `max_datagrams` or `max_bytes`.
    pub evicted: u64,
    /// Fragments that made their datagram impossible to reassemble
    /// faithfully (see the module documentation).
    pub invalid: u64,
}

/// The fields that tie the fragments of one datagram together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DatagramKey {
    V4 { src: [u8; 4], dst: [u8; 4], protocol: u8, id: u16 },
    V6 { src: [u8; 16], dst: [u8; 16], id: u32 },
}

/// How the header of a reassembled datagram is rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// The header is an IPv4 header with its options.
    V4,
    /// The header is the unfragmentable part (fixed header and extension
    /// headers before the Fragment header); `next_header_at` is the byte
    /// that named the Fragment header, which gets `next_header`, the
    /// offset-0 fragment's Fragment header's Next Header.
    V6 { next_header_at: usize, next_header: u8 },
}

/// The header a fragment came with, borrowed from its packet.
#[derive(Clone, Copy)]
struct HeaderView<'a> {
    bytes: &'a [u8],
    family: Family,
}

impl HeaderView<'_> {
    /// The bytes of the header that the IP length field counts: all of an
    /// IPv4 header, the extension headers of an IPv6 one.
    fn counted_len(&self) -> usize {
        match self.family {
            Family::V4 => self.bytes.len(),
            Family::V6 { .. } => self.bytes.len().saturating_sub(ipv6::HEADER_LEN),
        }
    }
}

/// One fragment, borrowed from its packet.
struct FragmentView<'a> {
    key: DatagramKey,
    header: HeaderView<'a>,
    /// Where its data starts in the datagram's fragmentable part, in bytes.
    offset: usize,
    more_fragments: bool,
    data: &'a [u8],
}

impl FragmentView<'_> {
    fn end(&self) -> usize {
        self.offset + self.data.len()
    }
}

/// What a packet given to [`Defragmenter::add`] is.
enum Parsed<'a> {
    NotFragment,
    /// A fragment whose datagram cannot be reassembled faithfully.
    Invalid(DatagramKey),
    Fragment(FragmentView<'a>),
}

/// Bytes of a datagram's fragmentable part held from one fragment.
struct Piece {
    offset: usize,
    bytes: Vec<u8>,
}

impl Piece {
    fn end(&self) -> usize {
        self.offset + self.bytes.len()
    }
}

/// Position in the age order: first fragment's time, then arrival, so that
/// eviction and expiry never depend on map iteration order.
type Age = (i64, u64);

/// A datagram being reassembled.
struct Datagram {
    age: Age,
    /// Sorted by offset and disjoint (the first copy of a byte wins).
    pieces: Vec<Piece>,
    /// Sum of the pieces' lengths: the datagram is whole when it equals `end`.
    payload_held: usize,
    /// Length of the fragmentable part, once the last fragment came.
    end: Option<usize>,
    /// The offset-0 fragment's header (its bytes and family), once it came.
    header: Option<(Vec<u8>, Family)>,
    fragments: usize,
    /// What it counts in [`Defragmenter::buffered_bytes`].
    held_bytes: usize,
}

/// Which bytes of a new fragment are not held yet, and how it overlapped.
struct Merge {
    /// Ranges of the fragmentable part to take from the fragment.
    gaps: Vec<(usize, usize)>,
    overlapped: bool,
    differs: bool,
}

impl Merge {
    fn held_bytes(&self) -> usize {
        self.gaps.iter().map(|(from, to)| to - from + PIECE_OVERHEAD).sum()
    }
}

/// Why a datagram is dropped before completion.
enum DropReason {
    TooManyFragments,
    Invalid,
    Evicted,
}

/// Reassembles IPv4 and IPv6 datagrams from their fragments (see the module
/// documentation for the policy and bounds).
pub struct Defragmenter {
    cfg: DefragConfig,
    datagrams: BTreeMap<DatagramKey, Datagram>,
    /// The same datagrams, oldest first.
    by_age: BTreeMap<Age, DatagramKey>,
    /// Arrival counter that orders datagrams started at the same time.
    next_arrival: u64,
    buffered: usize,
    stats: DefragStats,
}

impl Defragmenter {
    pub fn new(cfg: DefragConfig) -> Self {
        Defragmenter {
            cfg,
            datagrams: BTreeMap::new(),
            by_age: BTreeMap::new(),
            next_arrival: 0,
            buffered: 0,
            stats: DefragStats::default(),
        }
    }

    /// `ip`: the captured bytes of one IP packet starting at its IPv4 or IPv6
    /// header (the pipeline only calls this for fragments, but anything that
    /// is not one returns None and changes nothing).
    ///
    /// Returns the reassembled datagram when this fragment completes one: a
    /// plain IP packet whose header says it is not fragmented (IPv4: the
    /// first fragment's header with its options, MF and offset cleared, total
    /// length set, header checksum recomputed; IPv6: the first fragment's
    /// unfragmentable part without the Fragment header, the preceding
    /// header's Next Header set to the fragment's next header, Payload
    /// Length set).
    ///
    /// Expires old datagrams at `timestamp` first, so that what completes
    /// depends only on the packets, not on how often the pipeline calls
    /// [`Defragmenter::expire`].
    pub fn add(&mut self, ip: &[u8], timestamp: i64) -> Option<Vec<u8>> {
        let fragment = match parse_fragment(ip) {
            Parsed::NotFragment => return None,
            Parsed::Invalid(key) => {
                self.stats.fragments += 1;
                self.expire(timestamp);
                self.take(key);
                self.stats.invalid += 1;
                return None;
            }
            Parsed::Fragment(f) => f,
        };
        self.stats.fragments += 1;
        self.expire(timestamp);
        let mut datagram = match self.take(fragment.key) {
            Some(d) => d,
            None => self.start_datagram(timestamp)?,
        };
        if let Err(reason) = self.merge(&mut datagram, &fragment) {
            self.count_drop(reason);
            return None;
        }
        if let (Some(end), Some((bytes, family))) = (datagram.end, &datagram.header) {
            if datagram.payload_held == end {
                let header = HeaderView { bytes, family: *family };
                return self.finish(header, datagram.pieces.iter().map(|p| p.bytes.as_slice()), end);
            }
        }
        self.put_back(fragment.key, datagram);
        None
    }

    /// Drops datagrams whose first fragment is older than `now - timeout`
    /// (counted as timed_out).
    pub fn expire(&mut self, now: i64) {
        let cutoff = now.saturating_sub(self.cfg.timeout);
        while let Some((&(first_seen, _), &key)) = self.by_age.first_key_value() {
            if first_seen >= cutoff {
                break;
            }
            self.take(key);
            self.stats.timed_out += 1;
        }
    }

    pub fn stats(&self) -> DefragStats {
        self.stats
    }

    /// Bytes held now (for the memory budget): fragment and header bytes
    /// plus [`PIECE_OVERHEAD`] per held range and [`DATAGRAM_OVERHEAD`] per
    /// datagram.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Removes a datagram from the maps (and its bytes from the count).
    fn take(&mut self, key: DatagramKey) -> Option<Datagram> {
        let datagram = self.datagrams.remove(&key)?;
        self.by_age.remove(&datagram.age);
        self.buffered = self.buffered.saturating_sub(datagram.held_bytes);
        Some(datagram)
    }

    fn put_back(&mut self, key: DatagramKey, datagram: Datagram) {
        self.buffered += datagram.held_bytes;
        self.by_age.insert(datagram.age, key);
        self.datagrams.insert(key, datagram);
    }

    /// Forces the oldest datagram out; false when there is none.
    fn evict_oldest(&mut self) -> bool {
        let Some((_, key)) = self.by_age.pop_first() else { return false };
        if let Some(datagram) = self.datagrams.remove(&key) {
            self.buffered = self.buffered.saturating_sub(datagram.held_bytes);
        }
        self.stats.evicted += 1;
        true
    }

    /// A new datagram, after making room for it under `max_datagrams`;
    /// None (counted as evicted) when even an empty table has no room.
    fn start_datagram(&mut self, timestamp: i64) -> Option<Datagram> {
        while self.datagrams.len() >= self.cfg.max_datagrams {
            if !self.evict_oldest() {
                self.stats.evicted += 1;
                return None;
            }
        }
        self.next_arrival += 1;
        Some(Datagram {
            age: (timestamp, self.next_arrival),
            pieces: Vec::new(),
            payload_held: 0,
            end: None,
            header: None,
            fragments: 0,
            held_bytes: DATAGRAM_OVERHEAD,
        })
    }

    /// Evicts the oldest datagrams until `held` more bytes fit in `max_bytes`.
    fn make_room(&mut self, held: usize) -> bool {
        while self.buffered.saturating_add(held) > self.cfg.max_bytes {
            if !self.evict_oldest() {
                return false;
            }
        }
        true
    }

    /// Adds a fragment to `datagram` (taken out of the maps, so that making
    /// room never evicts it), or says why the datagram must be dropped.
    fn merge(&mut self, datagram: &mut Datagram, fragment: &FragmentView) -> Result<(), DropReason> {
        if datagram.fragments >= self.cfg.max_fragments {
            return Err(DropReason::TooManyFragments);
        }
        if conflicts_with_end(datagram, fragment) {
            return Err(DropReason::Invalid);
        }
        let merge = plan_merge(&datagram.pieces, fragment.offset, fragment.data);
        if merge.overlapped {
            self.stats.overlaps += 1;
            if merge.differs {
                self.stats.overlaps_differ += 1;
            }
        }
        let first_header = (fragment.offset == 0 && datagram.header.is_none()).then_some(fragment.header);
        let added = merge.held_bytes() + first_header.map_or(0, |h| h.bytes.len());
        if !self.make_room(datagram.held_bytes.saturating_add(added)) {
            return Err(DropReason::Evicted);
        }
        apply_merge(datagram, &merge, fragment);
        if let Some(h) = first_header {
            datagram.header = Some((h.bytes.to_vec(), h.family));
        }
        if !fragment.more_fragments {
            datagram.end = Some(fragment.end());
        }
        datagram.fragments += 1;
        datagram.held_bytes += added;
        Ok(())
    }

    fn count_drop(&mut self, reason: DropReason) {
        match reason {
            DropReason::TooManyFragments => self.stats.too_many_fragments += 1,
            DropReason::Invalid => self.stats.invalid += 1,
            DropReason::Evicted => self.stats.evicted += 1,
        }
    }

    /// Builds a complete datagram and counts it; None (counted as invalid)
    /// when it would be longer than its length field can say.
    fn finish<'p>(
        &mut self,
        header: HeaderView,
        pieces: impl IntoIterator<Item = &'p [u8]>,
        end: usize,
    ) -> Option<Vec<u8>> {
        match assemble(header, pieces, end) {
            Some(datagram) => {
                self.stats.datagrams += 1;
                Some(datagram)
            }
            None => {
                self.stats.invalid += 1;
                None
            }
        }
    }
}

/// Whether `fragment` contradicts the datagram's end: a second last
/// fragment with a different end, a last one before held bytes, or bytes
/// past a known end.
fn conflicts_with_end(datagram: &Datagram, fragment: &FragmentView) -> bool {
    let end = fragment.end();
    match (fragment.more_fragments, datagram.end) {
        (true, Some(known)) => end > known,
        (true, None) => false,
        (false, Some(known)) => end != known,
        (false, None) => datagram.pieces.last().is_some_and(|p| p.end() > end),
    }
}

/// Finds the bytes of a fragment at `offset` that `pieces` do not hold yet
/// (first copy wins), and whether it overlapped held bytes that differ.
fn plan_merge(pieces: &[Piece], offset: usize, data: &[u8]) -> Merge {
    let end = offset + data.len();
    let mut merge = Merge { gaps: Vec::new(), overlapped: false, differs: false };
    let mut cursor = offset;
    for piece in pieces.iter().filter(|p| p.offset < end && p.end() > offset) {
        if piece.offset > cursor {
            merge.gaps.push((cursor, piece.offset));
        }
        let (from, to) = (piece.offset.max(offset), piece.end().min(end));
        merge.overlapped = true;
        let held = piece.bytes.get(from - piece.offset..to - piece.offset);
        let new = data.get(from - offset..to - offset);
        if held.is_none() || held != new {
            merge.differs = true;
        }
        cursor = cursor.max(to);
    }
    if cursor < end {
        merge.gaps.push((cursor, end));
    }
    merge
}

/// Stores the planned gaps of `fragment` in `datagram`, keeping the pieces sorted.
fn apply_merge(datagram: &mut Datagram, merge: &Merge, fragment: &FragmentView) {
    for &(from, to) in &merge.gaps {
        let bytes = fragment.data.get(from - fragment.offset..to - fragment.offset).unwrap_or_default();
        let at = datagram.pieces.partition_point(|p| p.offset < from);
        datagram.pieces.insert(at, Piece { offset: from, bytes: bytes.to_vec() });
        datagram.payload_held += bytes.len();
    }
}

/// The reassembled packet: `header` rewritten to say "not fragmented", then
/// the fragmentable part (`pieces`, in order, `end` bytes in all). None when
/// the length field cannot hold the result.
fn assemble<'p>(header: HeaderView, pieces: impl IntoIterator<Item = &'p [u8]>, end: usize) -> Option<Vec<u8>> {
    let length_field = u16::try_from(header.counted_len() + end).ok()?;
    let mut packet = Vec::with_capacity(header.bytes.len() + end);
    packet.extend_from_slice(header.bytes);
    for piece in pieces {
        packet.extend_from_slice(piece);
    }
    match header.family {
        Family::V4 => {
            put_be16(&mut packet, 2, length_field);
            if let Some(flags) = packet.get_mut(6) {
                *flags &= IPV4_KEPT_FLAGS;
            }
            if let Some(offset_low) = packet.get_mut(7) {
                *offset_low = 0;
            }
            put_be16(&mut packet, 10, 0);
            let checksum = internet_checksum(packet.get(..header.bytes.len()).unwrap_or_default());
            put_be16(&mut packet, 10, checksum);
        }
        Family::V6 { next_header_at, next_header } => {
            put_be16(&mut packet, 4, length_field);
            if let Some(field) = packet.get_mut(next_header_at) {
                *field = next_header;
            }
        }
    }
    Some(packet)
}

fn put_be16(buf: &mut [u8], at: usize, value: u16) {
    if let Some(field) = buf.get_mut(at..at + 2) {
        field.copy_from_slice(&value.to_be_bytes());
    }
}

/// The Internet checksum (RFC 1071) of `bytes`.
fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u64 = bytes
        .chunks(2)
        .map(|pair| match pair {
            [high, low] => u64::from(u16::from_be_bytes([*high, *low])),
            [high] => u64::from(u16::from_be_bytes([*high, 0])),
            _ => 0,
        })
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn parse_fragment(ip: &[u8]) -> Parsed<'_> {
    match ip.first().map(|b| b >> 4) {
        Some(4) => parse_ipv4(ip),
        Some(6) => parse_ipv6(ip),
        _ => Parsed::NotFragment,
    }
}

fn address<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes.try_into().unwrap_or([0; N])
}

fn parse_ipv4(ip: &[u8]) -> Parsed<'_> {
    let Ok(packet) = Ipv4Packet::new_checked(ip) else { return Parsed::NotFragment };
    let word = be16(ip, 6);
    let more_fragments = word & IPV4_MORE_FRAGMENTS != 0;
    let offset = usize::from(word & IPV4_OFFSET_MASK) * FRAGMENT_UNIT;
    if !more_fragments && offset == 0 {
        return Parsed::NotFragment;
    }
    let key = DatagramKey::V4 {
        src: address(packet.src()),
        dst: address(packet.dst()),
        protocol: packet.protocol(),
        id: packet.id(),
    };
    let header_len = packet.header_len();
    let total_len = usize::from(packet.total_len());
    // Only the declared bytes (Ethernet padding follows them); a total
    // length past the captured bytes means the snap length cut the fragment.
    let (Some(header), Some(data)) = (ip.get(..header_len), ip.get(header_len..total_len)) else {
        return Parsed::Invalid(key);
    };
    let fragment =
        FragmentView { key, header: HeaderView { bytes: header, family: Family::V4 }, offset, more_fragments, data };
    checked_shape(fragment)
}

/// Walks the IPv6 extension headers that may precede a Fragment header
/// (Hop-by-Hop first, Routing, Destination Options) within the declared
/// payload; a packet without a Fragment header there is not a fragment.
/// A payload length of 0 (a jumbogram, which never carries a Fragment
/// header: RFC 2675) leaves nothing to walk.
fn parse_ipv6(ip: &[u8]) -> Parsed<'_> {
    let Ok(packet) = Ipv6Packet::new_checked(ip) else { return Parsed::NotFragment };
    let declared_end = ipv6::HEADER_LEN + usize::from(packet.payload_len());
    let visible = ip.get(..declared_end).unwrap_or(ip);
    let mut next = packet.next_header();
    let mut next_header_at = 6;
    let mut at = ipv6::HEADER_LEN;
    for index in 0..MAX_IPV6_EXTENSIONS {
        match next {
            ipv6::NEXT_FRAGMENT => return parse_ipv6_fragment(ip, &packet, at, next_header_at),
            ipv6::NEXT_HOP_BY_HOP if index > 0 => return Parsed::NotFragment,
            ipv6::NEXT_HOP_BY_HOP | ipv6::NEXT_ROUTING | ipv6::NEXT_DESTINATION_OPTIONS => {
                let Some(Ok((following, rest))) = visible.get(at..).map(ipv6::skip_extension) else {
                    return Parsed::NotFragment;
                };
                next_header_at = at;
                next = following;
                at = visible.len() - rest.len();
            }
            _ => return Parsed::NotFragment,
        }
    }
    Parsed::NotFragment
}

/// The fragment whose Fragment header starts at `at`, named by the byte at
/// `next_header_at`.
fn parse_ipv6_fragment<'a>(ip: &'a [u8], packet: &Ipv6Packet, at: usize, next_header_at: usize) -> Parsed<'a> {
    let declared_end = ipv6::HEADER_LEN + usize::from(packet.payload_len());
    let Some(Ok((fragment_header, _))) = ip.get(at..declared_end.min(ip.len())).map(FragmentHeader::parse) else {
        return Parsed::NotFragment;
    };
    let FragmentHeader { next_header, fragment_offset, more_fragments, identification, .. } = fragment_header;
    // An atomic fragment (offset 0, no more fragments) is the whole
    // datagram and is processed in isolation (RFC 6946): the packet's own
    // decoding already reached its upper layers, as tshark's does (it
    // shows no reassembly for it). Reassembling it too gave its
    // application records twice.
    if fragment_offset == 0 && !more_fragments {
        return Parsed::NotFragment;
    }
    let key = DatagramKey::V6 { src: address(packet.src()), dst: address(packet.dst()), id: identification };
    // Declared bytes past the captured ones were cut by the snap length.
    let data = ip.get(at + ipv6_fragment::HEADER_LEN..declared_end);
    let (Some(unfragmentable), Some(data)) = (ip.get(..at), data) else {
        return Parsed::Invalid(key);
    };
    let fragment = FragmentView {
        key,
        header: HeaderView { bytes: unfragmentable, family: Family::V6 { next_header_at, next_header } },
        offset: usize::from(fragment_offset) * FRAGMENT_UNIT,
        more_fragments,
        data,
    };
    checked_shape(fragment)
}

/// Refuses a fragment that cannot be part of a valid datagram: not a
/// multiple of 8 bytes with more to come, or ending past what the length
/// field can say.
fn checked_shape(fragment: FragmentView) -> Parsed {
    let misaligned = fragment.more_fragments && fragment.data.len() % FRAGMENT_UNIT != 0;
    let too_long = fragment.header.counted_len() + fragment.end() > MAX_IP_LENGTH;
    if misaligned || too_long {
        return Parsed::Invalid(fragment.key);
    }
    Parsed::Fragment(fragment)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = NANOS_PER_SECOND;
    const UDP: u8 = 17;
    const TCP: u8 = 6;
    /// A Record Route option (3 bytes) and padding: options the first
    /// fragment keeps and later ones (RFC 791: not copied) lack.
    const IPV4_OPTIONS: [u8; 4] = [7, 3, 4, 0];

    fn payload(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
    }

    fn ipv4_header_checksum_ok(packet: &[u8]) -> bool {
        let header_len = usize::from(packet[0] & 0x0f) * 4;
        internet_checksum(&packet[..header_len]) == 0
    }

    /// An unfragmented IPv4 datagram with a valid header checksum.
    fn ipv4_datagram(id: u16, protocol: u8, options: &[u8], payload: &[u8]) -> Vec<u8> {
        let header_len = 20 + options.len();
        let mut p = vec![0u8; header_len];
        p[0] = 0x40 | (header_len / 4) as u8;
        p[1] = 0x10;
        p[2..4].copy_from_slice(&((header_len + payload.len()) as u16).to_be_bytes());
        p[4..6].copy_from_slice(&id.to_be_bytes());
        p[6] = 0x00;
        p[8] = 64;
        p[9] = protocol;
        p[12..16].copy_from_slice(&[192, 0, 2, 1]);
        p[16..20].copy_from_slice(&[198, 51, 100, 7]);
        p[20..].copy_from_slice(options);
        let checksum = internet_checksum(&p);
        p[10..12].copy_from_slice(&checksum.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    /// One IPv4 fragment of `datagram`: its payload bytes `from..to`, the
    /// options only in the first, a correct header checksum.
    fn ipv4_fragment(datagram: &[u8], from: usize, to: usize, more: bool) -> Vec<u8> {
        let header_len = usize::from(datagram[0] & 0x0f) * 4;
        let mut header = datagram[..if from == 0 { header_len } else { 20 }].to_vec();
        header[0] = 0x40 | (header.len() / 4) as u8;
        let total = header.len() + to - from;
        header[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        let word = (from / 8) as u16 | if more { IPV4_MORE_FRAGMENTS } else { 0 };
        header[6..8].copy_from_slice(&word.to_be_bytes());
        header[10..12].copy_from_slice(&[0, 0]);
        let checksum = internet_checksum(&header);
        header[10..12].copy_from_slice(&checksum.to_be_bytes());
        header.extend_from_slice(&datagram[header_len + from..header_len + to]);
        header
    }

    /// Cuts an IPv4 datagram into fragments of `chunk` payload bytes (a multiple of 8).
    fn ipv4_fragments(datagram: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let header_len = usize::from(datagram[0] & 0x0f) * 4;
        let len = datagram.len() - header_len;
        (0..len)
            .step_by(chunk)
            .map(|from| {
                let to = (from + chunk).min(len);
                ipv4_fragment(datagram, from, to, to < len)
            })
            .collect()
    }

    /// An unfragmented IPv6 datagram, with an 8-byte Hop-by-Hop header (a
    /// PadN option) before the upper layer if `hop_by_hop`.
    fn ipv6_datagram(hop_by_hop: bool, upper: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; 40];
        p[0] = 0x60;
        p[6] = if hop_by_hop { ipv6::NEXT_HOP_BY_HOP } else { upper };
        p[7] = 64;
        p[8..24].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p[24..40].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        if hop_by_hop {
            p.extend_from_slice(&[upper, 0, 1, 4, 0, 0, 0, 0]);
        }
        let payload_len = p.len() - 40 + payload.len();
        p[4..6].copy_from_slice(&(payload_len as u16).to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    /// One IPv6 fragment of `datagram` whose unfragmentable part is its
    /// first `unfragmentable` bytes, the byte at `next_header_at` naming
    /// the upper layer: fragmentable bytes `from..to`.
    fn ipv6_fragment(
        datagram: &[u8],
        unfragmentable: usize,
        next_header_at: usize,
        id: u32,
        from: usize,
        to: usize,
        more: bool,
    ) -> Vec<u8> {
        let mut p = datagram[..unfragmentable].to_vec();
        let upper = p[next_header_at];
        p[next_header_at] = ipv6::NEXT_FRAGMENT;
        let word = ((from / 8) as u16) << 3 | u16::from(more);
        p.extend_from_slice(&[upper, 0]);
        p.extend_from_slice(&word.to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&datagram[unfragmentable + from..unfragmentable + to]);
        let payload_len = p.len() - 40;
        p[4..6].copy_from_slice(&(payload_len as u16).to_be_bytes());
        p
    }

    fn ipv6_fragments(datagram: &[u8], unfragmentable: usize, next_header_at: usize, chunk: usize) -> Vec<Vec<u8>> {
        let len = datagram.len() - unfragmentable;
        (0..len)
            .step_by(chunk)
            .map(|from| {
                let to = (from + chunk).min(len);
                ipv6_fragment(datagram, unfragmentable, next_header_at, 0xabcd_0123, from, to, to < len)
            })
            .collect()
    }

    /// Feeds packets one second apart; returns what each call returned.
    fn feed(d: &mut Defragmenter, packets: &[Vec<u8>]) -> Vec<Option<Vec<u8>>> {
        packets.iter().enumerate().map(|(i, p)| d.add(p, i as i64 * SECOND)).collect()
    }

    /// The datagrams the calls returned, in order.
    fn completed(results: Vec<Option<Vec<u8>>>) -> Vec<Vec<u8>> {
        results.into_iter().flatten().collect()
    }

    fn defragmenter() -> Defragmenter {
        Defragmenter::new(DefragConfig::default())
    }

    #[test]
    fn defaults_are_linux_like() {
        let c = DefragConfig::default();
        assert_eq!((c.timeout, c.max_datagrams, c.max_fragments, c.max_bytes), (30 * SECOND, 8192, 128, 32 << 20));
    }

    #[test]
    fn ipv4_in_order_round_trip() {
        let original = ipv4_datagram(0x1234, UDP, &IPV4_OPTIONS, &payload(3000, 1));
        let fragments = ipv4_fragments(&original, 1480);
        assert_eq!(fragments.len(), 3);
        let mut d = defragmenter();
        let results = feed(&mut d, &fragments);
        assert!(results[0].is_none() && results[1].is_none());
        assert_eq!(results[2].as_deref(), Some(original.as_slice()));
        assert_eq!(d.stats(), DefragStats { fragments: 3, datagrams: 1, ..DefragStats::default() });
        assert_eq!(d.buffered_bytes(), 0);
    }

    #[test]
    fn ipv4_result_header_checksum_verifies() {
        // The original has DF clear; a fragment's DF must survive, MF not.
        let original = ipv4_datagram(7, UDP, &[], &payload(100, 2));
        let mut fragments = ipv4_fragments(&original, 48);
        for f in &mut fragments {
            f[6] |= 0x40;
            f[10..12].copy_from_slice(&[0, 0]);
            let checksum = internet_checksum(&f[..20]);
            f[10..12].copy_from_slice(&checksum.to_be_bytes());
        }
        let result = completed(feed(&mut defragmenter(), &fragments)).pop().expect("reassembled");
        assert!(ipv4_header_checksum_ok(&result));
        assert_eq!(&result[2..4], &120u16.to_be_bytes());
        assert_eq!(&result[6..8], &[0x40, 0x00], "DF kept, MF and offset cleared");
        assert_eq!(&result[20..], &original[20..]);
    }

    #[test]
    fn ipv4_reversed_order() {
        let original = ipv4_datagram(0x0101, UDP, &IPV4_OPTIONS, &payload(5000, 3));
        let mut fragments = ipv4_fragments(&original, 1000);
        fragments.reverse();
        let mut d = defragmenter();
        let results = feed(&mut d, &fragments);
        assert!(results[..4].iter().all(Option::is_none));
        assert_eq!(results[4].as_deref(), Some(original.as_slice()));
        assert!(ipv4_header_checksum_ok(results[4].as_deref().unwrap_or_default()));
        assert_eq!(d.stats().datagrams, 1);
        assert_eq!(d.buffered_bytes(), 0);
    }

    #[test]
    fn ipv4_interleaved_datagrams() {
        let a = ipv4_datagram(1, UDP, &[], &payload(2000, 4));
        let b = ipv4_datagram(2, UDP, &[], &payload(1600, 5));
        // Same addresses and id as `a`, another protocol: a datagram of its own.
        let c = ipv4_datagram(1, TCP, &[], &payload(1200, 6));
        let (fa, fb, fc) = (ipv4_fragments(&a, 800), ipv4_fragments(&b, 800), ipv4_fragments(&c, 800));
        let order = [&fa[0], &fb[1], &fc[1], &fa[2], &fb[0], &fc[0], &fa[1]];
        let packets: Vec<Vec<u8>> = order.iter().map(|p| p.to_vec()).collect();
        let done = completed(feed(&mut defragmenter(), &packets));
        assert_eq!(done, vec![b, c, a]);
    }

    #[test]
    fn ipv4_exact_duplicate_is_an_overlap_with_equal_bytes() {
        let original = ipv4_datagram(9, UDP, &[], &payload(2400, 7));
        let f = ipv4_fragments(&original, 800);
        let packets = vec![f[0].clone(), f[1].clone(), f[1].clone(), f[2].clone()];
        let mut d = defragmenter();
        assert_eq!(completed(feed(&mut d, &packets)), vec![original]);
        let s = d.stats();
        assert_eq!((s.fragments, s.datagrams, s.overlaps, s.overlaps_differ), (4, 1, 1, 0));
    }

    #[test]
    fn ipv4_overlap_with_different_bytes_keeps_the_first_copy() {
        let original = ipv4_datagram(10, UDP, &[], &payload(64, 8));
        // The forged copy of bytes 16..40 differs from the original.
        let mut forged_source = original.clone();
        for b in &mut forged_source[20 + 16..20 + 40] {
            *b ^= 0xff;
        }
        let first = ipv4_fragment(&original, 0, 24, true);
        let forged = ipv4_fragment(&forged_source, 16, 40, true);
        let rest = ipv4_fragment(&original, 24, 64, false);

        let mut d = defragmenter();
        let result = completed(feed(&mut d, &[first.clone(), forged.clone(), rest.clone()]));
        // Bytes 16..24 came first from the original, 24..40 first from the forged copy.
        let mut expected = original.clone();
        expected[20 + 24..20 + 40].copy_from_slice(&forged_source[20 + 24..20 + 40]);
        assert_eq!(result, vec![expected]);
        let s = d.stats();
        assert_eq!(
            (s.overlaps, s.overlaps_differ),
            (2, 2),
            "the forged and the last fragment both overlap differing bytes"
        );

        // The forged copy first: it wins over the original's bytes.
        let mut d = defragmenter();
        let result = completed(feed(&mut d, &[forged, first, rest]));
        let mut expected = original.clone();
        expected[20 + 16..20 + 40].copy_from_slice(&forged_source[20 + 16..20 + 40]);
        assert_eq!(result, vec![expected]);
        assert_eq!((d.stats().overlaps, d.stats().overlaps_differ), (2, 2));
    }

    #[test]
    fn missing_last_fragment_times_out() {
        let original = ipv4_datagram(11, UDP, &[], &payload(3000, 9));
        let f = ipv4_fragments(&original, 1000);
        let mut d = defragmenter();
        assert!(d.add(&f[0], 100 * SECOND).is_none());
        assert!(d.add(&f[1], 101 * SECOND).is_none());
        let held = d.buffered_bytes();
        assert_eq!(held, DATAGRAM_OVERHEAD + 20 + 2000 + 2 * PIECE_OVERHEAD);
        d.expire(130 * SECOND);
        assert_eq!(d.stats().timed_out, 0, "exactly `timeout` old is not yet too old");
        d.expire(130 * SECOND + 1);
        assert_eq!(d.stats().timed_out, 1);
        assert_eq!(d.buffered_bytes(), 0);
        // The last fragment now starts a datagram of its own, which never completes.
        assert!(d.add(&f[2], 131 * SECOND).is_none());
        assert_eq!(d.stats().datagrams, 0);
    }

    #[test]
    fn a_late_fragment_does_not_join_a_stale_datagram() {
        let original = ipv4_datagram(12, UDP, &[], &payload(2000, 10));
        let f = ipv4_fragments(&original, 1000);
        let mut d = defragmenter();
        assert!(d.add(&f[0], 0).is_none());
        // No expire() call: add() expires at its own time.
        assert!(d.add(&f[1], 31 * SECOND).is_none());
        assert_eq!((d.stats().timed_out, d.stats().datagrams), (1, 0));
    }

    #[test]
    fn too_many_fragments_drop_the_datagram() {
        let original = ipv4_datagram(13, UDP, &[], &payload(48, 11));
        let f = ipv4_fragments(&original, 8);
        assert_eq!(f.len(), 6);
        let mut d = Defragmenter::new(DefragConfig { max_fragments: 4, ..DefragConfig::default() });
        let results = feed(&mut d, &f);
        assert!(results.iter().all(Option::is_none));
        let s = d.stats();
        assert_eq!((s.too_many_fragments, s.datagrams), (1, 0));
        // The sixth fragment starts a new datagram that holds only itself.
        assert_eq!(d.buffered_bytes(), DATAGRAM_OVERHEAD + 8 + PIECE_OVERHEAD);
    }

    #[test]
    fn max_datagrams_evicts_the_oldest_first_fragment() {
        let datagrams: Vec<Vec<u8>> = (0..3).map(|id| ipv4_datagram(100 + id, UDP, &[], &payload(1600, 12))).collect();
        let f: Vec<Vec<Vec<u8>>> = datagrams.iter().map(|x| ipv4_fragments(x, 800)).collect();
        let mut d = Defragmenter::new(DefragConfig { max_datagrams: 2, ..DefragConfig::default() });
        // Datagram 1 arrives first but with a later time than datagram 0:
        // age is first-fragment time, so 0 is the oldest.
        assert!(d.add(&f[1][0], 5 * SECOND).is_none());
        assert!(d.add(&f[0][0], 3 * SECOND).is_none());
        assert!(d.add(&f[2][0], 6 * SECOND).is_none());
        assert_eq!(d.stats().evicted, 1);
        assert_eq!(d.add(&f[1][1], 7 * SECOND), Some(datagrams[1].clone()));
        assert_eq!(d.add(&f[2][1], 7 * SECOND), Some(datagrams[2].clone()));
        assert!(d.add(&f[0][1], 7 * SECOND).is_none(), "datagram 0 was evicted");
        assert_eq!(d.stats().datagrams, 2);
    }

    #[test]
    fn max_bytes_evicts_and_bounds_what_is_held() {
        let max_bytes = 3 * (DATAGRAM_OVERHEAD + 20 + 800 + PIECE_OVERHEAD);
        let mut d = Defragmenter::new(DefragConfig { max_bytes, ..DefragConfig::default() });
        for id in 0..10u16 {
            let f = ipv4_fragments(&ipv4_datagram(id, UDP, &[], &payload(1600, 13)), 800);
            assert!(d.add(&f[0], i64::from(id)).is_none());
            assert!(d.buffered_bytes() <= max_bytes);
        }
        assert_eq!(d.stats().evicted, 7);
        assert_eq!(d.buffered_bytes(), max_bytes);
        // A datagram larger than the whole budget is refused on its own.
        let mut d = Defragmenter::new(DefragConfig { max_bytes: 1000, ..DefragConfig::default() });
        let f = ipv4_fragments(&ipv4_datagram(1, UDP, &[], &payload(1600, 13)), 800);
        assert!(d.add(&f[0], 0).is_none());
        assert_eq!((d.stats().evicted, d.buffered_bytes()), (1, 0));
    }

    #[test]
    fn misaligned_fragment_is_invalid_and_drops_its_datagram() {
        let original = ipv4_datagram(14, UDP, &[], &payload(100, 14));
        let mut d = defragmenter();
        assert!(d.add(&ipv4_fragment(&original, 0, 40, true), 0).is_none());
        assert!(d.add(&ipv4_fragment(&original, 40, 52, true), 0).is_none());
        assert_eq!(d.stats().invalid, 1);
        assert_eq!(d.buffered_bytes(), 0);
        // A last fragment may have any length.
        assert!(d.add(&ipv4_fragment(&original, 96, 100, false), 0).is_none());
        assert_eq!(d.stats().invalid, 1);
    }

    #[test]
    fn datagram_past_65535_bytes_is_invalid() {
        let original = ipv4_datagram(15, UDP, &[], &payload(600, 15));
        let mut fragment = ipv4_fragment(&original, 0, 600, false);
        // Offset 65,000 (8125 units): 20 + 65,000 + 600 > 65,535.
        fragment[6..8].copy_from_slice(&8125u16.to_be_bytes());
        let mut d = defragmenter();
        assert!(d.add(&fragment, 0).is_none());
        assert_eq!((d.stats().fragments, d.stats().invalid), (1, 1));
        assert_eq!(d.buffered_bytes(), 0);
        // Exactly 65,535 is fine: offset 64,912 (8114 units) + 603 bytes + 20.
        let big = ipv4_datagram(16, UDP, &[], &payload(603, 15));
        let mut last = ipv4_fragment(&big, 0, 603, false);
        last[6..8].copy_from_slice(&8114u16.to_be_bytes());
        assert!(d.add(&last, 0).is_none());
        assert_eq!(d.stats().invalid, 1);
    }

    #[test]
    fn conflicting_last_fragments_are_invalid() {
        let original = ipv4_datagram(17, UDP, &[], &payload(64, 16));
        let mut d = defragmenter();
        assert!(d.add(&ipv4_fragment(&original, 0, 16, true), 0).is_none());
        assert!(d.add(&ipv4_fragment(&original, 48, 64, false), 0).is_none());
        assert!(d.add(&ipv4_fragment(&original, 40, 56, false), 0).is_none());
        assert_eq!(d.stats().invalid, 1);
        assert_eq!(d.buffered_bytes(), 0);
        // Bytes past a known end are invalid too.
        assert!(d.add(&ipv4_fragment(&original, 48, 64, false), 0).is_none());
        assert!(d.add(&ipv4_fragment(&original, 56, 64, true), 0).is_none());
        assert_eq!(d.stats().invalid, 1, "56..64 with MF ends at the known end: allowed");
        let longer = ipv4_datagram(17, UDP, &[], &payload(80, 16));
        assert!(d.add(&ipv4_fragment(&longer, 56, 72, true), 0).is_none());
        assert_eq!(d.stats().invalid, 2);
        assert_eq!(d.buffered_bytes(), 0);
    }

    #[test]
    fn fragment_cut_by_the_snap_length_is_invalid() {
        let original = ipv4_datagram(18, UDP, &[], &payload(2000, 17));
        let f = ipv4_fragments(&original, 1000);
        let mut d = defragmenter();
        assert!(d.add(&f[0], 0).is_none());
        assert!(d.add(&f[1][..500], 0).is_none());
        assert_eq!(d.stats().invalid, 1);
        assert_eq!(d.buffered_bytes(), 0);
    }

    #[test]
    fn ethernet_padding_after_a_fragment_is_ignored() {
        let original = ipv4_datagram(19, UDP, &[], &payload(20, 18));
        let mut f = ipv4_fragments(&original, 8);
        f[2].extend_from_slice(&[0; 18]);
        assert_eq!(completed(feed(&mut defragmenter(), &f)), vec![original]);
    }

    #[test]
    fn packets_that_are_not_fragments_change_nothing() {
        let whole = ipv4_datagram(20, UDP, &[], &payload(100, 19));
        let mut d = defragmenter();
        for p in [&whole[..], &ipv6_datagram(true, UDP, &payload(100, 19)), &[], &[0x45, 0, 0], &[0x70; 60]] {
            assert!(d.add(p, 0).is_none());
        }
        assert_eq!(d.stats(), DefragStats::default());
        assert_eq!(d.buffered_bytes(), 0);
    }

    #[test]
    fn ipv6_round_trip_in_reverse_order() {
        let original = ipv6_datagram(false, UDP, &payload(3000, 20));
        let mut f = ipv6_fragments(&original, 40, 6, 1232);
        assert_eq!(f.len(), 3);
        f.reverse();
        let mut d = defragmenter();
        assert_eq!(completed(feed(&mut d, &f)), vec![original]);
        assert_eq!(d.stats(), DefragStats { fragments: 3, datagrams: 1, ..DefragStats::default() });
        assert_eq!(d.buffered_bytes(), 0);
    }

    #[test]
    fn ipv6_hop_by_hop_next_header_and_payload_length_are_rewritten() {
        let original = ipv6_datagram(true, UDP, &payload(2500, 21));
        let f = ipv6_fragments(&original, 48, 40, 1000);
        assert_eq!(
            (f[0][40], f[0][48]),
            (ipv6::NEXT_FRAGMENT, UDP),
            "the cut puts the Fragment header after Hop-by-Hop"
        );
        let result = completed(feed(&mut defragmenter(), &f)).pop().expect("reassembled");
        assert_eq!(result[6], ipv6::NEXT_HOP_BY_HOP);
        assert_eq!(result[40], UDP, "Hop-by-Hop names the upper layer again");
        assert_eq!(&result[4..6], &(8u16 + 2500).to_be_bytes());
        assert_eq!(result, original);
    }

    #[test]
    fn ipv6_atomic_fragment_is_no_fragment() {
        let original = ipv6_datagram(false, UDP, &payload(100, 22));
        let atomic = ipv6_fragment(&original, 40, 6, 5, 0, 100, false);
        let mut d = defragmenter();
        // Processed in isolation (RFC 6946): not reassembled, not counted,
        // and a pending fragment of the same key is not disturbed.
        let other = ipv6_datagram(false, UDP, &payload(200, 23));
        assert!(d.add(&ipv6_fragment(&other, 40, 6, 5, 0, 104, true), 0).is_none());
        assert_eq!(d.add(&atomic, 0), None);
        assert_eq!((d.stats().fragments, d.stats().datagrams, d.stats().overlaps), (1, 0, 0));
        assert_eq!(d.add(&ipv6_fragment(&other, 40, 6, 5, 104, 200, false), 0), Some(other));
    }

    #[test]
    fn ipv6_fragments_of_different_ids_do_not_mix() {
        let a = ipv6_datagram(false, UDP, &payload(64, 24));
        let b = ipv6_datagram(false, UDP, &payload(64, 25));
        let packets = vec![
            ipv6_fragment(&a, 40, 6, 1, 0, 32, true),
            ipv6_fragment(&b, 40, 6, 2, 32, 64, false),
            ipv6_fragment(&b, 40, 6, 2, 0, 32, true),
            ipv6_fragment(&a, 40, 6, 1, 32, 64, false),
        ];
        assert_eq!(completed(feed(&mut defragmenter(), &packets)), vec![b, a]);
    }

    #[test]
    fn ipv6_misaligned_and_truncated_fragments_are_invalid() {
        let original = ipv6_datagram(false, UDP, &payload(100, 26));
        let mut d = defragmenter();
        assert!(d.add(&ipv6_fragment(&original, 40, 6, 3, 0, 20, true), 0).is_none());
        let cut = ipv6_fragment(&original, 40, 6, 3, 24, 100, false);
        assert!(d.add(&cut[..cut.len() - 1], 0).is_none());
        assert_eq!((d.stats().fragments, d.stats().invalid), (2, 2));
        assert_eq!(d.buffered_bytes(), 0);
    }

    #[test]
    fn same_input_same_output_and_stats() {
        // Twenty datagrams of 2 or 5 fragments, interleaved in groups of
        // three with the same first-fragment time, through a byte cap that
        // a group of large ones exceeds: evictions and completions both
        // happen, and must happen the same way every run.
        let fragments: Vec<Vec<Vec<u8>>> = (0..20u16)
            .map(|id| {
                let len = if id % 2 == 0 { 800 } else { 2000 };
                ipv4_fragments(&ipv4_datagram(id, UDP, &[], &payload(len, 27)), 400)
            })
            .collect();
        let run = || {
            let cfg = DefragConfig { max_datagrams: 4, max_bytes: 4_000, ..DefragConfig::default() };
            let mut d = Defragmenter::new(cfg);
            let mut out = Vec::new();
            for (group, datagrams) in fragments.chunks(3).enumerate() {
                for round in 0..5 {
                    for f in datagrams.iter().filter_map(|f| f.get(round)) {
                        out.push(d.add(f, group as i64 * SECOND));
                    }
                }
            }
            (out, d.stats(), d.buffered_bytes())
        };
        let first = run();
        assert_eq!(first, run());
        let stats = first.1;
        assert_eq!((stats.datagrams, stats.evicted), (17, 5), "{stats:?}");
        assert_eq!(stats.fragments, 10 * 2 + 10 * 5);
    }
}

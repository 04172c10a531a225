//! Fuzz target `defrag`: a sequence of IP fragments through one
//! `netcap::defrag::Defragmenter` with small caps, so that overlaps,
//! evictions, timeouts, too many fragments and invalid fragments all
//! happen within a few records.
//!
//! The input is a list of records, each a control byte and what it says:
//!
//! - bit 6 set: a raw packet, the next byte its length, then that many
//!   bytes given to `add` as they are (the parser's hostile input);
//! - otherwise a fragment built from two more bytes and a payload:
//!   bit 0 IPv6 (else IPv4), bit 5 a Hop-by-Hop header before the IPv6
//!   Fragment header, bits 1-2 the identification (4 datagrams), bit 3 More
//!   Fragments; byte 1 the offset in 8-byte units (plus 8000 if bit 7 of
//!   byte 2 is set, to reach the 65,535-byte limit; 13 bits kept); byte 2 bits 0-5 the
//!   payload length, taken from the input, and bit 6 a length field 8
//!   bytes longer than the bytes given (a fragment cut by the snap length);
//! - bit 4: `expire` after the packet; bit 7: time jumps by half the timeout
//!   (else 1 ns).
//!
//! After every call: the bytes held are within `max_bytes`, a returned
//! datagram's length field equals its length, and the counts add up.
#![no_main]

use netcap::defrag::{DefragConfig, Defragmenter};

const CONFIG: DefragConfig = DefragConfig { timeout: 1_000, max_datagrams: 3, max_fragments: 12, max_bytes: 2_048 };

const RAW: u8 = 1 << 6;
const IPV6: u8 = 1 << 0;
const MORE_FRAGMENTS: u8 = 1 << 3;
const EXPIRE: u8 = 1 << 4;
const HOP_BY_HOP: u8 = 1 << 5;
const TIME_JUMP: u8 = 1 << 7;
const FAR_OFFSET: u8 = 1 << 7;
const CUT: u8 = 1 << 6;
const UDP: u8 = 17;

/// One fragment's fields, as the control bytes chose them.
struct Fragment<'a> {
    ipv6: bool,
    hop_by_hop: bool,
    id: u8,
    more: bool,
    offset_units: u16,
    cut: bool,
    payload: &'a [u8],
}

/// IPv4 header (no options, checksum left 0: not checked) and payload.
fn ipv4_packet(f: &Fragment) -> Vec<u8> {
    let declared = 20 + f.payload.len() + if f.cut { 8 } else { 0 };
    let word = f.offset_units | if f.more { 0x2000 } else { 0 };
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&(declared as u16).to_be_bytes());
    p.extend_from_slice(&[0x12, f.id, (word >> 8) as u8, word as u8, 64, UDP, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7]);
    p.extend_from_slice(f.payload);
    p
}

/// IPv6 header, an optional Hop-by-Hop header, the Fragment header, payload.
fn ipv6_packet(f: &Fragment) -> Vec<u8> {
    let extension = if f.hop_by_hop { 8 } else { 0 };
    let declared = extension + 8 + f.payload.len() + if f.cut { 8 } else { 0 };
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(declared as u16).to_be_bytes());
    p.extend_from_slice(&[if f.hop_by_hop { 0 } else { 44 }, 64]);
    p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    if f.hop_by_hop {
        p.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
    }
    let word = f.offset_units << 3 | u16::from(f.more);
    p.extend_from_slice(&[UDP, 0, (word >> 8) as u8, word as u8, 0xab, 0xcd, 0, f.id]);
    p.extend_from_slice(f.payload);
    p
}

/// The next packet of the input and its control byte, and the rest.
fn next_packet(data: &[u8]) -> Option<(u8, Vec<u8>, &[u8])> {
    let (&control, rest) = data.split_first()?;
    if control & RAW != 0 {
        let (&len, rest) = rest.split_first()?;
        let (packet, rest) = rest.split_at(usize::from(len).min(rest.len()));
        return Some((control, packet.to_vec(), rest));
    }
    let (&[offset, shape], rest) = rest.split_first_chunk::<2>()?;
    let (payload, rest) = rest.split_at(usize::from(shape & 0x3f).min(rest.len()));
    let fragment = Fragment {
        ipv6: control & IPV6 != 0,
        hop_by_hop: control & HOP_BY_HOP != 0,
        id: (control >> 1) & 3,
        more: control & MORE_FRAGMENTS != 0,
        offset_units: (u16::from(offset) + if shape & FAR_OFFSET != 0 { 8000 } else { 0 }) & 0x1fff,
        cut: shape & CUT != 0,
        payload,
    };
    let packet = if fragment.ipv6 { ipv6_packet(&fragment) } else { ipv4_packet(&fragment) };
    Some((control, packet, rest))
}

/// A reassembled datagram's length field must say its length.
fn check_datagram(datagram: &[u8]) {
    let field = |at: usize| usize::from(u16::from_be_bytes([datagram[at], datagram[at + 1]]));
    match datagram.first().map(|b| b >> 4) {
        Some(4) => {
            assert_eq!(field(2), datagram.len(), "IPv4 total length");
            assert_eq!(field(6) & 0x3fff, 0, "IPv4 MF and offset cleared");
        }
        Some(6) => assert_eq!(field(4) + 40, datagram.len(), "IPv6 payload length"),
        other => panic!("a datagram of IP version {other:?}"),
    }
    assert!(datagram.len() <= 65_535 + 40);
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut defragmenter = Defragmenter::new(CONFIG);
    let mut time: i64 = 0;
    let mut rest = data;
    while let Some((control, packet, tail)) = next_packet(rest) {
        rest = tail;
        time += if control & TIME_JUMP != 0 { CONFIG.timeout / 2 } else { 1 };
        if let Some(datagram) = defragmenter.add(&packet, time) {
            check_datagram(&datagram);
        }
        assert!(defragmenter.buffered_bytes() <= CONFIG.max_bytes, "held {}", defragmenter.buffered_bytes());
        if control & EXPIRE != 0 {
            defragmenter.expire(time);
            assert!(defragmenter.buffered_bytes() <= CONFIG.max_bytes);
        }
    }
    // Each completed or dropped datagram (or refused fragment) used up at
    // least one fragment of its own.
    let s = defragmenter.stats();
    let ends = s.datagrams + s.invalid + s.too_many_fragments + s.timed_out + s.evicted;
    assert!(ends <= s.fragments && s.overlaps_differ <= s.overlaps && s.overlaps <= s.fragments, "{s:?}");
    // Expiring everything leaves nothing held.
    defragmenter.expire(i64::MAX);
    assert_eq!(defragmenter.buffered_bytes(), 0);
});

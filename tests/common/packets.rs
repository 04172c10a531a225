//! Well-formed synthetic packets for the fixtures that write a few of their
//! own (flows, streams, TLS records cut into segments), built with
//! etherparse so that lengths and checksums are right and Wireshark shows
//! them as clean. Packets that are broken on purpose stay hand-written
//! where they are used. Included with `#[path]` by the tests that need it
//! and by `examples/make_testdata.rs`.
#![allow(dead_code)]

use etherparse::{PacketBuilder, TcpHeader};

/// TCP flag bits of the header's flags byte.
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// A TCP header with `flags` given as the flags byte (FIN 0x01 … CWR 0x80),
/// as the tests describe segments; no options.
pub fn tcp_header(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, window: u16) -> TcpHeader {
    let mut h = TcpHeader::new(sport, dport, seq, window);
    h.acknowledgment_number = ack;
    h.fin = flags & 0x01 != 0;
    h.syn = flags & 0x02 != 0;
    h.rst = flags & 0x04 != 0;
    h.psh = flags & 0x08 != 0;
    h.ack = flags & 0x10 != 0;
    h.urg = flags & 0x20 != 0;
    h.ece = flags & 0x40 != 0;
    h.cwr = flags & 0x80 != 0;
    h
}

/// Ethernet II, IPv4 (TTL 64, DF) and `tcp` with `payload`.
pub fn ipv4_tcp(smac: [u8; 6], dmac: [u8; 6], src: [u8; 4], dst: [u8; 4], tcp: TcpHeader, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(smac, dmac).ipv4(src, dst, 64).tcp_header(tcp);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).expect("a test packet fits its length fields");
    out
}

/// Ethernet II, IPv6 (hop limit 64) and `tcp` with `payload`.
pub fn ipv6_tcp(smac: [u8; 6], dmac: [u8; 6], src: [u8; 16], dst: [u8; 16], tcp: TcpHeader, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(smac, dmac).ipv6(src, dst, 64).tcp_header(tcp);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).expect("a test packet fits its length fields");
    out
}

/// Ethernet II, IPv4 (TTL 64, DF) and UDP with `payload`.
pub fn ipv4_udp(
    smac: [u8; 6],
    dmac: [u8; 6],
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    payload: &[u8],
) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(smac, dmac).ipv4(src, dst, 64).udp(sport, dport);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).expect("a test packet fits its length fields");
    out
}

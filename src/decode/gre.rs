//! GRE (RFC 2784 with the key and sequence number of RFC 2890, the
//! routing fields of RFC 1701) and enhanced GRE of PPTP (RFC 2637,
//! version 1), plus the ERSPAN headers carried in GRE.
//!
//! Which optional fields are present, and so where the payload starts,
//! follows Wireshark's GRE dissector, because tshark is the reference:
//! - Checksum and Offset are present when C or R is set.
//! - The Key is present with K. In enhanced GRE (Wireshark: protocol PPP,
//!   0x880B, with a non-zero version; or the 3GPP2 types 0x88D2 and
//!   0x8881) it is read as payload length and call ID; the record keeps
//!   the 32-bit value (payload length << 16 | call ID).
//! - The Acknowledgment Number follows the sequence number only in
//!   enhanced GRE with the A bit.
//! - Source Route Entries (R) follow, up to the NULL entry (address
//!   family 0, length 0). An entry that runs past the captured bytes is
//!   kept with what was captured and ends the header.
//! - WCCP v2 (protocol 0x883E) inserts a 4-byte redirect header when the
//!   byte after the 4-byte base header is not the start of an IPv4 header;
//!   3GPP2 (0x88D2) inserts attribute TLVs up to the one with the high bit
//!   of its ID set. Both are skipped, so [`GrePacket::payload`] is the
//!   encapsulated packet.
//!
//! Only the base header and the fields the flags announce (Checksum and
//! Offset, Key, Sequence and Acknowledgment numbers) are required of the
//! buffer; a cut routing list or WCCP/3GPP2 header leaves the record and
//! an empty payload.

use super::wire::{be16, be32, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 47;
pub const BASE_HEADER_LEN: usize = 4;

pub const FLAG_CHECKSUM: u16 = 0x8000;
pub const FLAG_ROUTING: u16 = 0x4000;
pub const FLAG_KEY: u16 = 0x2000;
pub const FLAG_SEQ: u16 = 0x1000;
pub const FLAG_STRICT_SOURCE_ROUTE: u16 = 0x0800;
pub const FLAG_ACK: u16 = 0x0080;

/// PPP: the payload of enhanced GRE (PPTP).
pub const PROTO_PPP: u16 = 0x880b;
pub const PROTO_3GPP2: u16 = 0x88d2;
pub const PROTO_CDMA2000_A10_UBS: u16 = 0x8881;
/// Web Cache Communication Protocol: an IPv4 packet, after a 4-byte
/// redirect header in WCCP v2.
pub const PROTO_WCCP: u16 = 0x883e;
/// ERSPAN types I and II (see [`erspan_payload`]).
pub const PROTO_ERSPAN_II: u16 = 0x88be;
/// ERSPAN type III.
pub const PROTO_ERSPAN_III: u16 = 0x22eb;

/// A GRE packet whose base header and flagged fixed fields are known to be
/// present.
#[derive(Clone, Copy)]
pub struct GrePacket<'a> {
    buf: &'a [u8],
    /// Offset of the routing list (after Checksum/Offset, Key, Seq, Ack).
    routing_at: usize,
    /// Offset of the payload (after routing and WCCP/3GPP2 headers);
    /// at most `buf.len()`.
    payload_at: usize,
}

/// One Source Route Entry (RFC 1701).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceRouteEntry<'a> {
    pub address_family: u16,
    pub sre_offset: u8,
    pub sre_length: u8,
    /// The routing information as captured (shorter than `sre_length` when cut).
    pub information: &'a [u8],
}

impl<'a> GrePacket<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < BASE_HEADER_LEN {
            return Err(DecodeError::truncated("GRE", BASE_HEADER_LEN, buf.len()));
        }
        let mut g = GrePacket { buf, routing_at: 0, payload_at: 0 };
        let flags = g.flags_and_version();
        let mut at = BASE_HEADER_LEN;
        if flags & (FLAG_CHECKSUM | FLAG_ROUTING) != 0 {
            at += 4;
        }
        if flags & FLAG_KEY != 0 {
            at += 4;
        }
        if flags & FLAG_SEQ != 0 {
            at += 4;
        }
        if g.ack_present_in_header() {
            at += 4;
        }
        if at > buf.len() {
            return Err(DecodeError::truncated("GRE", at, buf.len()));
        }
        g.routing_at = at;
        if flags & FLAG_ROUTING != 0 {
            at = g.routing_end();
        }
        if g.protocol() == PROTO_WCCP && u8_at(buf, BASE_HEADER_LEN) & 0xf0 != 0x40 {
            at += 4;
        }
        if g.protocol() == PROTO_3GPP2 {
            at = skip_3gpp2_attributes(buf, at);
        }
        g.payload_at = at.min(buf.len());
        Ok(g)
    }

    pub fn flags_and_version(&self) -> u16 {
        be16(self.buf, 0)
    }
    /// EtherType of the payload.
    pub fn protocol(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn checksum_present(&self) -> bool {
        self.flags_and_version() & FLAG_CHECKSUM != 0
    }
    pub fn routing_present(&self) -> bool {
        self.flags_and_version() & FLAG_ROUTING != 0
    }
    pub fn key_present(&self) -> bool {
        self.flags_and_version() & FLAG_KEY != 0
    }
    pub fn seq_present(&self) -> bool {
        self.flags_and_version() & FLAG_SEQ != 0
    }
    pub fn strict_source_route(&self) -> bool {
        self.flags_and_version() & FLAG_STRICT_SOURCE_ROUTE != 0
    }
    /// The A bit (RFC 2637), whatever the version.
    pub fn ack_present(&self) -> bool {
        self.flags_and_version() & FLAG_ACK != 0
    }
    pub fn recursion_control(&self) -> u8 {
        ((self.flags_and_version() >> 8) & 0x7) as u8
    }
    /// The five bits 0x00F8 (in enhanced GRE the highest is the A bit).
    pub fn flags(&self) -> u8 {
        ((self.flags_and_version() >> 3) & 0x1f) as u8
    }
    pub fn version(&self) -> u8 {
        (self.flags_and_version() & 0x7) as u8
    }
    /// Enhanced GRE as Wireshark recognises it (see the module comment).
    pub fn is_enhanced(&self) -> bool {
        match self.protocol() {
            PROTO_PPP => self.version() != 0,
            PROTO_3GPP2 | PROTO_CDMA2000_A10_UBS => true,
            _ => false,
        }
    }
    fn ack_present_in_header(&self) -> bool {
        self.is_enhanced() && self.ack_present()
    }
    /// Present when C or R is set, 0 otherwise.
    pub fn checksum(&self) -> u16 {
        if self.flags_and_version() & (FLAG_CHECKSUM | FLAG_ROUTING) != 0 {
            be16(self.buf, 4)
        } else {
            0
        }
    }
    /// Present when C or R is set, 0 otherwise.
    pub fn offset(&self) -> u16 {
        if self.flags_and_version() & (FLAG_CHECKSUM | FLAG_ROUTING) != 0 {
            be16(self.buf, 6)
        } else {
            0
        }
    }
    fn key_at(&self) -> usize {
        let c = self.flags_and_version() & (FLAG_CHECKSUM | FLAG_ROUTING) != 0;
        BASE_HEADER_LEN + if c { 4 } else { 0 }
    }
    fn seq_at(&self) -> usize {
        self.key_at() + if self.key_present() { 4 } else { 0 }
    }
    fn ack_at(&self) -> usize {
        self.seq_at() + if self.seq_present() { 4 } else { 0 }
    }
    /// The key (enhanced GRE: payload length << 16 | call ID); 0 if absent.
    pub fn key(&self) -> u32 {
        if self.key_present() {
            be32(self.buf, self.key_at())
        } else {
            0
        }
    }
    /// 0 if absent.
    pub fn seq(&self) -> u32 {
        if self.seq_present() {
            be32(self.buf, self.seq_at())
        } else {
            0
        }
    }
    /// Enhanced GRE with the A bit only; 0 otherwise.
    pub fn ack(&self) -> u32 {
        if self.ack_present_in_header() {
            be32(self.buf, self.ack_at())
        } else {
            0
        }
    }

    /// The Source Route Entries up to and including the NULL entry, as
    /// tshark and gopacket list them (none without R). Each entry
    /// consumes at least 4 bytes, so the walk ends.
    pub fn routing(&self) -> impl Iterator<Item = SourceRouteEntry<'a>> + 'a {
        let mut rest = if self.routing_present() { self.buf.get(self.routing_at..).unwrap_or_default() } else { &[] };
        std::iter::from_fn(move || {
            if rest.len() < 4 {
                return None;
            }
            let (af, len) = (be16(rest, 0), u8_at(rest, 3));
            let end = if af == 0 && len == 0 { rest.len() } else { 4 + usize::from(len) };
            let e = SourceRouteEntry {
                address_family: af,
                sre_offset: u8_at(rest, 2),
                sre_length: len,
                information: rest.get(4..4 + usize::from(len)).unwrap_or_else(|| rest.get(4..).unwrap_or_default()),
            };
            rest = rest.get(end..).unwrap_or_default();
            Some(e)
        })
    }

    /// Offset after the routing list and its NULL entry (or the buffer's end).
    fn routing_end(&self) -> usize {
        let mut at = self.routing_at;
        loop {
            let Some(sre) = self.buf.get(at..at + 4) else {
                return self.buf.len();
            };
            let (af, len) = (be16(sre, 0), usize::from(u8_at(sre, 3)));
            at += 4;
            if af == 0 && len == 0 {
                return at;
            }
            at += len;
        }
    }

    /// Length of the GRE header (with routing and WCCP/3GPP2 parts).
    pub fn header_len(&self) -> usize {
        self.payload_at
    }
    /// The encapsulated packet, whose type [`GrePacket::protocol`] names.
    /// Empty when the header took every captured byte; Wireshark then
    /// decodes no payload if the S bit is clear.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.payload_at..).unwrap_or_default()
    }
}

/// 3GPP2 attribute TLVs (ID, length, value); the last has bit 0x80 of
/// its ID set. Returns the offset after them, or the buffer's end.
fn skip_3gpp2_attributes(buf: &[u8], mut at: usize) -> usize {
    while let Some(tlv) = buf.get(at..at + 2) {
        let (id, len) = (u8_at(tlv, 0), usize::from(u8_at(tlv, 1)));
        at += 2 + len;
        if id & 0x80 != 0 {
            return at;
        }
    }
    buf.len()
}

/// The Ethernet frame inside an ERSPAN packet: `gre`'s payload when its
/// protocol is 0x88BE or 0x22EB. Mirrors Wireshark 4.0, checked against
/// tcpdump's erspan-type-* captures and crafted variants:
/// - 0x88BE without the GRE S bit is type I: no ERSPAN header, the frame
///   starts right after GRE (erspan-type-i-*.pcap: flags 0x0000).
/// - Otherwise (0x88BE with S, or any 0x22EB) the ERSPAN version (high
///   nibble) decides, not the GRE protocol: version 1 (type II) has an
///   8-byte header; version 2 (type III) has 12 bytes, plus an 8-byte
///   platform-specific subheader when the O bit (0x0001 of bytes 10-11)
///   is set, and only frame type 0 (bits 0x7C00 of bytes 10-11) is an
///   Ethernet frame (erspan-type-iii-ft-7.pcap: frame type 7, tshark
///   shows data). Other versions carry nothing tshark decodes.
///
/// `Err`: the ERSPAN header is cut (layer "ERSPAN";
/// erspan-type-iii-pb-1.pcap, which tshark marks "ERSPAN truncated").
pub fn erspan_payload<'a>(gre: &GrePacket<'a>) -> Result<ErspanInner<'a>, DecodeError> {
    let buf = gre.payload();
    let protocol = gre.protocol();
    if protocol != PROTO_ERSPAN_II && protocol != PROTO_ERSPAN_III {
        return Ok(ErspanInner::NotErspan);
    }
    if !gre.seq_present() && buf.is_empty() {
        return Ok(ErspanInner::Nothing);
    }
    if protocol == PROTO_ERSPAN_II && !gre.seq_present() {
        return Ok(ErspanInner::Ethernet(buf));
    }
    let need = |n: usize| {
        if buf.len() < n {
            Err(DecodeError::truncated("ERSPAN", n, buf.len()))
        } else {
            Ok(())
        }
    };
    need(2)?;
    let inner = |at: usize| buf.get(at..).map_or(ErspanInner::Nothing, ErspanInner::Ethernet);
    match u8_at(buf, 0) >> 4 {
        1 => {
            need(8)?;
            Ok(inner(8))
        }
        2 => {
            need(12)?;
            let word = be16(buf, 10);
            let len = if word & 0x0001 != 0 { 20 } else { 12 };
            need(len)?;
            let frame_type = ((word >> 10) & 0x1f) as u8;
            Ok(if frame_type == 0 { inner(len) } else { ErspanInner::FrameType(frame_type) })
        }
        version => Ok(ErspanInner::Version(version)),
    }
}

/// What follows an ERSPAN header ([`erspan_payload`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErspanInner<'a> {
    /// The mirrored Ethernet frame.
    Ethernet(&'a [u8]),
    /// No byte after the header (GRE without S and nothing after it).
    Nothing,
    /// A version other than 1 (type II) and 2 (type III): tshark shows
    /// `erspan.version` and data.
    Version(u8),
    /// Type III with a frame type other than 0 (Ethernet), as `erspan.ft`.
    FrameType(u8),
    /// The GRE protocol is not one of ERSPAN's.
    NotErspan,
}

pub fn record(g: &GrePacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::Gre {
    pb::Gre {
        timestamp,
        checksum_present: g.checksum_present(),
        routing_present: g.routing_present(),
        key_present: g.key_present(),
        seq_present: g.seq_present(),
        strict_source_route: g.strict_source_route(),
        ack_present: g.ack_present(),
        recursion_control: i32::from(g.recursion_control()),
        flags: i32::from(g.flags()),
        version: i32::from(g.version()),
        protocol: i32::from(g.protocol()),
        checksum: i32::from(g.checksum()),
        offset: i32::from(g.offset()),
        key: g.key(),
        seq: g.seq(),
        ack: g.ack(),
        routing: g
            .routing()
            .map(|e| pb::GreRouting {
                address_family: i32::from(e.address_family),
                sre_offset: i32::from(e.sre_offset),
                sre_length: i32::from(e.sre_length),
                routing_information: e.information.to_vec(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    /// tcpdump/tests/pptp.pcap frame 16 (IPv4 payload): enhanced GRE with
    /// key and sequence number, PPP LCP inside.
    const PPTP_16: &str = "3001880b0030000000000000ff03c0210100002c0506021952cf070208020d0306110406\
                           4e13170129f76a9077f1472c835247f271d656070000000c";
    /// tcpdump/tests/various_gre.pcap frame 25: key 0x28, protocol 0x8909
    /// (Cisco MetaData), first bytes of the payload.
    const VARIOUS_25: &str = "20008909000000280800010100010000450000640005";
    /// tcpdump/tests/wccp_redirect_gre.pcap frame 1: WCCP v2 redirect header
    /// 05590048, then IPv4.
    const WCCP_1: &str = "0000883e05590048450000f0911440004006a6500afe7fc30afe6ce4";
    /// tcpdump/tests/erspan-type-ii-1.pcap frame 1: GRE with S, ERSPAN II.
    const ERSPAN_II_1: &str = "100088be000000ab1156c29a00007ff801005e00000d001f9ed2a980080045c0003a";
    /// tcpdump/tests/erspan-type-iii-ft-0.pcap frame 1: GRE without S, ERSPAN III.
    const ERSPAN_III_1: &str = "000022eb20140000a3595bff00000006005056ac18a0f8c28890d27b8100001408004500";
    /// tcpdump/tests/erspan-type-i-3.pcap frame 1: ERSPAN I (no header).
    const ERSPAN_I_1: &str = "000088beffffffffffff0015fadca1f781000001080600010800";
    /// tcpdump/tests/gre-heapoverflow-2.pcap frame 2: C and R set, reserved
    /// flags 6, a routing entry whose length (48) runs past the 14 bytes.
    const HEAPOVERFLOW_2: &str = "c030303030303030303030303030";

    #[test]
    fn enhanced_gre_of_pptp() {
        let buf = hex(PPTP_16);
        let g = GrePacket::new_checked(&buf).expect("valid");
        // tshark: flags_and_version 0x3001, proto 0x880b, key.payload_length 48,
        // key.call_id 0, sequence_number 0, no ack_number.
        assert_eq!((g.flags_and_version(), g.protocol(), g.version()), (0x3001, 0x880b, 1));
        assert!(g.is_enhanced() && g.key_present() && g.seq_present() && !g.ack_present());
        assert_eq!((g.key() >> 16, g.key() & 0xffff, g.seq(), g.ack()), (48, 0, 0, 0));
        assert_eq!(g.payload().get(..4), Some(&[0xff, 0x03, 0xc0, 0x21][..]));
        assert_eq!(g.payload().len(), 48);
        let r = record(&g, 9, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.version, r.protocol, r.key, r.flags), (9, 1, 0x880b, 48 << 16, 0));
    }

    #[test]
    fn key_and_wccp() {
        let buf = hex(VARIOUS_25);
        let g = GrePacket::new_checked(&buf).expect("valid");
        // tshark: flags_and_version 0x2000, proto 0x8909, key 0x00000028.
        assert_eq!((g.flags_and_version(), g.protocol(), g.key(), g.seq()), (0x2000, 0x8909, 0x28, 0));
        assert_eq!(g.header_len(), 8);
        let buf = hex(WCCP_1);
        let g = GrePacket::new_checked(&buf).expect("valid");
        // tshark: gre, then ip (the redirect header is part of GRE).
        assert_eq!((g.protocol(), g.header_len()), (PROTO_WCCP, 8));
        assert_eq!(g.payload().first(), Some(&0x45));
    }

    #[test]
    fn erspan_types_as_tshark_decides_them() {
        // Type II: tshark erspan.version 1, inner eth.dst 01:00:5e:00:00:0d.
        let buf = hex(ERSPAN_II_1);
        let g = GrePacket::new_checked(&buf).expect("valid");
        assert_eq!((g.seq(), g.header_len()), (171, 8));
        let ErspanInner::Ethernet(inner) = erspan_payload(&g).expect("complete") else { panic!("ethernet") };
        assert_eq!(inner.get(..6), Some(&[0x01, 0x00, 0x5e, 0x00, 0x00, 0x0d][..]));
        // Type III without GRE S: erspan.version 2, o 0, ft 0, eth.dst 00:50:56:ac:18:a0.
        let buf = hex(ERSPAN_III_1);
        let g = GrePacket::new_checked(&buf).expect("valid");
        let ErspanInner::Ethernet(inner) = erspan_payload(&g).expect("complete") else { panic!("ethernet") };
        assert_eq!(inner.get(..6), Some(&[0x00, 0x50, 0x56, 0xac, 0x18, 0xa0][..]));
        // Type I: eth.dst ff:ff:ff:ff:ff:ff, eth.src 00:15:fa:dc:a1:f7.
        let buf = hex(ERSPAN_I_1);
        let g = GrePacket::new_checked(&buf).expect("valid");
        let ErspanInner::Ethernet(inner) = erspan_payload(&g).expect("complete") else { panic!("ethernet") };
        assert_eq!(inner.get(6..12), Some(&[0x00, 0x15, 0xfa, 0xdc, 0xa1, 0xf7][..]));
    }

    #[test]
    fn erspan_edge_cases() {
        // erspan-type-iii-pb-1.pcap: GRE 0x1d00 (S), ERSPAN III with O set,
        // cut after 15 bytes of the header: tshark "ERSPAN truncated".
        let buf = hex("1d0022ebff280101 2d2d0800480008460100 0001 3d0e45");
        let g = GrePacket::new_checked(&buf).expect("valid");
        assert_eq!(g.recursion_control(), 5);
        assert!(g.strict_source_route());
        assert!(erspan_payload(&g).is_err());
        // erspan-type-iii-ft-7.pcap: frame type 7 is not Ethernet (tshark: data).
        // Frame 1: tshark erspan.ft 7, erspan.o 0.
        let ft7 = hex("100022eb0000bade2001186534760b0100001e000000abc500004b87");
        let g = GrePacket::new_checked(&ft7).expect("valid");
        assert_eq!(erspan_payload(&g).expect("complete"), ErspanInner::FrameType(7));
        // Crafted (tshark 4.0.17 agrees): 0x88BE with S and version 2 reads a
        // type III header; version 0 yields no frame; the O bit adds 8 bytes.
        let mut v = hex("100088be00000001");
        v.extend_from_slice(&hex("20050007000000000000 0001 0000000700000000 aabbccddeeff"));
        let g = GrePacket::new_checked(&v).expect("valid");
        assert_eq!(erspan_payload(&g).expect("complete"), ErspanInner::Ethernet(&hex("aabbccddeeff")));
        let b1 = hex("100088be0000000100050007");
        let g = GrePacket::new_checked(&b1).expect("valid");
        assert_eq!(erspan_payload(&g).expect("complete"), ErspanInner::Version(0));
        // Type I with the key bit but no S is still type I.
        let b2 = hex("200088be00000007aabb");
        let g = GrePacket::new_checked(&b2).expect("valid");
        assert_eq!(erspan_payload(&g).expect("complete"), ErspanInner::Ethernet(&[0xaa, 0xbb]));
        // Not ERSPAN.
        let b3 = hex(VARIOUS_25);
        let g = GrePacket::new_checked(&b3).expect("valid");
        assert_eq!(erspan_payload(&g).expect("complete"), ErspanInner::NotErspan);
    }

    #[test]
    fn routing_cut_off_keeps_the_record() {
        let buf = hex(HEAPOVERFLOW_2);
        let g = GrePacket::new_checked(&buf).expect("valid");
        // tshark: flags 0xc030, reserved flags 6, checksum 0x3030, offset 12336,
        // routing address family 12336, SRE offset 48, SRE length 48, "GRE truncated".
        assert_eq!((g.flags(), g.checksum(), g.offset()), (6, 0x3030, 12336));
        let sres: Vec<_> = g.routing().collect();
        assert_eq!(sres.len(), 1);
        assert_eq!((sres[0].address_family, sres[0].sre_offset, sres[0].sre_length), (12336, 48, 48));
        assert_eq!(sres[0].information, &[0x30, 0x30]);
        assert!(g.payload().is_empty());
        // Two entries and the NULL entry, then the payload.
        let buf = hex("40000800 0000 0000 0800 02 04 0a000001 0800 00 00 0000 0000 45");
        let g = GrePacket::new_checked(&buf).expect("valid");
        let sres: Vec<_> = g.routing().map(|e| (e.address_family, e.sre_length, e.information.len())).collect();
        // tshark (crafted packet): address_family 2048,2048,0, src_length 4,0,0.
        assert_eq!(sres, vec![(0x0800, 4, 4), (0x0800, 0, 0), (0, 0, 0)]);
        assert_eq!(g.payload(), &[0x45]);
    }

    #[test]
    fn flagged_fields_must_fit() {
        assert!(GrePacket::new_checked(&hex("3001880b00300000")).is_err());
        assert!(GrePacket::new_checked(&hex("3081880b003000000000000000")).is_err());
        assert!(GrePacket::new_checked(&hex("000008")).is_err());
        // Version 0 with the A bit: no acknowledgment field (Wireshark).
        let b4 = hex("1080080000000001ab");
        let g = GrePacket::new_checked(&b4).expect("valid");
        assert!(g.ack_present());
        assert_eq!((g.ack(), g.payload()), (0, &[0xab][..]));
        // 3GPP2 attributes are skipped up to the last one.
        let b5 = hex("000088d2 0401aa 8202bbcc 45");
        let g = GrePacket::new_checked(&b5).expect("valid");
        assert_eq!(g.payload(), &[0x45]);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let cfg = EncodeConfig::default();
        let bases = [PPTP_16, VARIOUS_25, WCCP_1, ERSPAN_II_1, ERSPAN_III_1, ERSPAN_I_1, HEAPOVERFLOW_2];
        let mut state = 0x1234_5678_9abc_def1u64;
        for base in bases.map(hex) {
            for n in 0..=base.len() {
                if let Ok(g) = GrePacket::new_checked(&base[..n]) {
                    let _ = (record(&g, 0, &cfg), erspan_payload(&g), g.payload());
                }
            }
            for _ in 0..2000 {
                let (m, cut) = crate::decode::test_util::mutate(&base, &mut state, 3);
                if let Ok(g) = GrePacket::new_checked(&m[..cut]) {
                    assert!(g.header_len() <= cut);
                    let r = record(&g, 0, &cfg);
                    assert!(r.routing.len() <= cut / 4);
                    let _ = erspan_payload(&g);
                }
            }
        }
    }
}

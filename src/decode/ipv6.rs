//! IPv6 (RFC 8200) fixed header; extension headers without records of
//! their own (routing, destination options) are skipped here.

use super::wire::{be16, be32, u8_at, write_ipv6};
use super::{DecodeError, Emitter, EncodeConfig, ErrorKind, Layers};
use crate::schema::pb;
use std::cell::RefCell;

pub const HEADER_LEN: usize = 40;
pub const NEXT_HOP_BY_HOP: u8 = 0;
pub const NEXT_ROUTING: u8 = 43;
pub const NEXT_FRAGMENT: u8 = 44;
pub const NEXT_NONE: u8 = 59;
pub const NEXT_DESTINATION_OPTIONS: u8 = 60;

/// An IPv6 packet whose fixed header is known to be present.
#[derive(Clone, Copy)]
pub struct Ipv6Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv6Packet<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("IPv6", HEADER_LEN, buf.len()));
        }
        let p = Ipv6Packet { buf };
        if p.version() != 6 {
            return Err(DecodeError { layer: "IPv6", kind: ErrorKind::BadVersion(p.version()) });
        }
        Ok(p)
    }
    /// The packet's bytes from its header on (as captured).
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0) >> 4
    }
    pub fn traffic_class(&self) -> u8 {
        ((be16(self.buf, 0) >> 4) & 0xff) as u8
    }
    pub fn flow_label(&self) -> u32 {
        be32(self.buf, 0) & 0x000f_ffff
    }
    pub fn payload_len(&self) -> u16 {
        be16(self.buf, 4)
    }
    pub fn next_header(&self) -> u8 {
        u8_at(self.buf, 6)
    }
    pub fn hop_limit(&self) -> u8 {
        u8_at(self.buf, 7)
    }
    pub fn src(&self) -> &'a [u8] {
        self.buf.get(8..24).unwrap_or_default()
    }
    pub fn dst(&self) -> &'a [u8] {
        self.buf.get(24..40).unwrap_or_default()
    }
    /// Declared payload length; 0 (a jumbogram) means "what was captured".
    pub fn declared_payload_len(&self) -> usize {
        match self.payload_len() {
            0 => self.buf.len().saturating_sub(HEADER_LEN),
            n => usize::from(n),
        }
    }
    /// Payload length as far as the packet on the wire carried it (see
    /// `Ipv4Packet::payload_len_on_wire`); for a payload length of 0, all
    /// the bytes after the header on the wire.
    pub fn payload_len_on_wire(&self, uncaptured: usize) -> usize {
        let on_wire = (self.buf.len() + uncaptured).saturating_sub(HEADER_LEN);
        match self.payload_len() {
            0 => on_wire,
            n => usize::from(n).min(on_wire),
        }
    }
    /// Captured bytes after the fixed header, cut at the declared length.
    pub fn payload(&self) -> &'a [u8] {
        let end = (HEADER_LEN + self.declared_payload_len()).min(self.buf.len());
        self.buf.get(HEADER_LEN..end).unwrap_or_default()
    }
}

/// Skips a generic extension header (next header, length in 8-byte units
/// not counting the first 8): returns the next header and what follows.
pub fn skip_extension(buf: &[u8]) -> Result<(u8, &[u8]), DecodeError> {
    if buf.len() < 2 {
        return Err(DecodeError::truncated("IPv6Extension", 2, buf.len()));
    }
    let len = (usize::from(u8_at(buf, 1)) + 1) * 8;
    match buf.get(len..) {
        Some(rest) => Ok((u8_at(buf, 0), rest)),
        None => Err(DecodeError::truncated("IPv6Extension", len, buf.len())),
    }
}

thread_local! {
    /// The record, reused from packet to packet: its address strings keep
    /// their buffers (see `ethernet::RECORD`).
    static RECORD: RefCell<pb::IPv6> = RefCell::default();
}

pub fn encode(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    if !l.has(super::kind::IPV6) {
        return;
    }
    RECORD.with_borrow_mut(|r| {
        let mut layers = l.layers().peekable();
        while let Some(layer) = layers.next() {
            let super::Layer::Ipv6(p) = layer else { continue };
            // Every field bound, none left from the previous packet.
            let pb::IPv6 {
                timestamp,
                version,
                traffic_class,
                flow_label,
                length,
                next_header,
                hop_limit,
                src_ip,
                dst_ip,
                payload_entropy,
                payload_size,
                hop_by_hop,
            } = r;
            *timestamp = l.timestamp;
            *version = i32::from(p.version());
            *traffic_class = i32::from(p.traffic_class());
            *flow_label = p.flow_label() as i32;
            *length = i32::from(p.payload_len());
            *next_header = i32::from(p.next_header());
            *hop_limit = i32::from(p.hop_limit());
            write_ipv6(src_ip, p.src());
            write_ipv6(dst_ip, p.dst());
            *payload_entropy = l.entropy.entropy(p.payload());
            *payload_size = p.declared_payload_len() as i32;
            // Its hop-by-hop header, if any, is the next layer.
            *hop_by_hop = match layers.peek() {
                Some(super::Layer::Ipv6HopByHop(h)) => Some(super::ipv6_hop_by_hop::record(l.timestamp, h)),
                _ => None,
            };
            out.emit(r);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_fields() {
        let mut pkt = vec![0x6a, 0xb1, 0x23, 0x45, 0, 4, 17, 64];
        pkt.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        pkt.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        pkt.extend_from_slice(&[1, 2, 3, 4, 9, 9]); // 4 payload bytes + 2 trailer
        let p = Ipv6Packet::new_checked(&pkt).expect("valid");
        assert_eq!(p.traffic_class(), 0xab);
        assert_eq!(p.flow_label(), 0x12345);
        assert_eq!((p.next_header(), p.hop_limit()), (17, 64));
        assert_eq!(p.payload(), &[1, 2, 3, 4]);
        assert_eq!(crate::decode::wire::ipv6_string(p.src()), "fe80::1");
        assert!(Ipv6Packet::new_checked(&pkt[..39]).is_err());
    }

    #[test]
    fn payload_on_wire() {
        let mut pkt = vec![0x60, 0, 0, 0, 0, 100, 6, 64];
        pkt.extend_from_slice(&[0; 32]);
        pkt.extend_from_slice(&[0; 20]);
        let p = Ipv6Packet::new_checked(&pkt).expect("valid");
        assert_eq!(p.payload_len_on_wire(0), 20); // claims 100, the frame had 20
        assert_eq!(p.payload_len_on_wire(80), 100); // cut by the snap length
        pkt[4..6].copy_from_slice(&[0, 0]); // 0: TSO / BIG TCP
        let p = Ipv6Packet::new_checked(&pkt).expect("valid");
        assert_eq!(p.payload_len_on_wire(5), 25);
    }

    #[test]
    fn skip_extension_checks_length() {
        assert_eq!(skip_extension(&[6, 0, 0, 0, 0, 0, 0, 0, 0xaa]), Ok((6, &[0xaa][..])));
        assert!(skip_extension(&[6, 1, 0, 0, 0, 0, 0, 0]).is_err());
    }
}

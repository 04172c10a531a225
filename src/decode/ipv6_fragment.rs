//! IPv6 Fragment header (RFC 8200 section 4.5).

use super::wire::{be16, be32, u8_at};
use super::{DecodeError, Emitter, EncodeConfig, Layers};
use crate::schema::pb;

pub const HEADER_LEN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentHeader {
    pub next_header: u8,
    pub reserved1: u8,
    /// In 8-byte units.
    pub fragment_offset: u16,
    pub reserved2: u8,
    pub more_fragments: bool,
    pub identification: u32,
}

impl FragmentHeader {
    pub fn parse(buf: &[u8]) -> Result<(FragmentHeader, &[u8]), DecodeError> {
        let payload = buf.get(HEADER_LEN..).ok_or(DecodeError::truncated("IPv6Fragment", HEADER_LEN, buf.len()))?;
        let word = be16(buf, 2);
        let h = FragmentHeader {
            next_header: u8_at(buf, 0),
            reserved1: u8_at(buf, 1),
            fragment_offset: word >> 3,
            reserved2: ((word >> 1) & 3) as u8,
            more_fragments: word & 1 != 0,
            identification: be32(buf, 4),
        };
        Ok((h, payload))
    }
}

pub fn encode(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    for h in crate::layers_of!(l, Ipv6Fragment) {
        out.emit(&pb::IPv6Fragment {
            timestamp: l.timestamp,
            next_header: i32::from(h.next_header),
            reserved1: i32::from(h.reserved1),
            fragment_offset: i32::from(h.fragment_offset),
            reserved2: i32::from(h.reserved2),
            more_fragments: h.more_fragments,
            identification: h.identification,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let (h, rest) = FragmentHeader::parse(&[17, 0, 0x05, 0x39, 0xde, 0xad, 0xbe, 0xef, 1]).expect("8 bytes");
        assert_eq!(h.fragment_offset, 0x539 >> 3);
        assert!(h.more_fragments);
        assert_eq!(h.identification, 0xdeadbeef);
        assert_eq!(rest, &[1]);
        assert!(FragmentHeader::parse(&[0; 7]).is_err());
    }
}

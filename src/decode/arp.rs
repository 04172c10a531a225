//! ARP (RFC 826) for any hardware and protocol address sizes; also
//! Reverse ARP (RFC 903, EtherType 0x8035), which shares its format.

use super::wire::{be16, hex_string, ipv4_string, mac_string, u8_at};
use super::{DecodeError, Emitter, EncodeConfig, Layers};
use crate::schema::pb;

const FIXED_LEN: usize = 8;

/// An ARP packet whose addresses are known to be present.
#[derive(Clone, Copy)]
pub struct ArpPacket<'a> {
    buf: &'a [u8],
}

impl<'a> ArpPacket<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < FIXED_LEN {
            return Err(DecodeError::truncated("ARP", FIXED_LEN, buf.len()));
        }
        let p = ArpPacket { buf };
        let need = FIXED_LEN + 2 * (p.hw_size() + p.proto_size());
        if buf.len() < need {
            return Err(DecodeError::truncated("ARP", need, buf.len()));
        }
        Ok(p)
    }
    pub fn hw_type(&self) -> u16 {
        be16(self.buf, 0)
    }
    pub fn proto_type(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn hw_size(&self) -> usize {
        usize::from(u8_at(self.buf, 4))
    }
    pub fn proto_size(&self) -> usize {
        usize::from(u8_at(self.buf, 5))
    }
    pub fn operation(&self) -> u16 {
        be16(self.buf, 6)
    }
    fn field(&self, index: usize) -> &'a [u8] {
        // Order on the wire: sender hw, sender proto, target hw, target proto.
        let (h, p) = (self.hw_size(), self.proto_size());
        let start = FIXED_LEN + (index / 2) * (h + p) + (index % 2) * h;
        let len = if index % 2 == 0 { h } else { p };
        self.buf.get(start..start + len).unwrap_or_default()
    }
    pub fn sender_hw(&self) -> &'a [u8] {
        self.field(0)
    }
    pub fn sender_proto(&self) -> &'a [u8] {
        self.field(1)
    }
    pub fn target_hw(&self) -> &'a [u8] {
        self.field(2)
    }
    pub fn target_proto(&self) -> &'a [u8] {
        self.field(3)
    }
}

fn hw_text(b: &[u8]) -> String {
    if b.len() == 6 {
        mac_string(b)
    } else {
        hex_string(b)
    }
}

pub fn encode(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    for a in crate::layers_of!(l, Arp) {
        out.emit(&pb::Arp {
            timestamp: l.timestamp,
            addr_type: i32::from(a.hw_type()),
            protocol: i32::from(a.proto_type()),
            hw_address_size: a.hw_size() as i32,
            prot_address_size: a.proto_size() as i32,
            operation: i32::from(a.operation()),
            src_hw_address: hw_text(a.sender_hw()),
            src_prot_address: ipv4_string(a.sender_proto()),
            dst_hw_address: hw_text(a.target_hw()),
            dst_prot_address: ipv4_string(a.target_proto()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_fields() {
        let pkt = [
            0, 1, 8, 0, 6, 4, 0, 1, // fixed part
            0, 0x11, 0x22, 0x33, 0x44, 0x55, 192, 168, 0, 1, // sender
            0, 0, 0, 0, 0, 0, 192, 168, 0, 2, // target
        ];
        let a = ArpPacket::new_checked(&pkt).expect("complete");
        assert_eq!(a.operation(), 1);
        assert_eq!(a.sender_proto(), &[192, 168, 0, 1]);
        assert_eq!(a.target_proto(), &[192, 168, 0, 2]);
        assert_eq!(hw_text(a.sender_hw()), "00:11:22:33:44:55");
        assert!(ArpPacket::new_checked(&pkt[..27]).is_err());
    }
}

//! ICMP for IPv4 (RFC 792).

use super::wire::{be16, u8_at};
use super::{DecodeError, Emitter, EncodeConfig, Layers};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 1;
const MIN_LEN: usize = 4;

/// An ICMP message whose type, code and checksum are known to be present.
#[derive(Clone, Copy)]
pub struct Icmpv4Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Icmpv4Packet<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < MIN_LEN {
            return Err(DecodeError::truncated("ICMPv4", MIN_LEN, buf.len()));
        }
        Ok(Icmpv4Packet { buf })
    }
    pub fn icmp_type(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    pub fn code(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 2)
    }
    /// The second header word's halves (identifier and sequence number
    /// for echo, timestamp and information messages); 0 when absent.
    pub fn id(&self) -> u16 {
        be16(self.buf, 4)
    }
    pub fn seq(&self) -> u16 {
        be16(self.buf, 6)
    }
}

pub fn encode(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    for p in crate::layers_of!(l, Icmpv4) {
        out.emit(&pb::IcmPv4 {
            timestamp: l.timestamp,
            type_code: i32::from(p.icmp_type()) << 8 | i32::from(p.code()),
            checksum: i32::from(p.checksum()),
            id: i32::from(p.id()),
            seq: i32::from(p.seq()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request() {
        let p = Icmpv4Packet::new_checked(&[8, 0, 0xf7, 0xff, 0, 1, 0, 7]).expect("valid");
        assert_eq!((p.icmp_type(), p.code(), p.id(), p.seq()), (8, 0, 1, 7));
        let short = Icmpv4Packet::new_checked(&[3, 1, 0, 0]).expect("4 bytes are enough");
        assert_eq!(short.id(), 0);
        assert!(Icmpv4Packet::new_checked(&[3, 1, 0]).is_err());
    }
}

//! ICMPv6 (RFC 4443) and its Echo messages. Neighbor Discovery messages
//! are in `icmpv6_ndp.rs`.

use super::wire::{be16, u8_at};
use super::{DecodeError, Emitter, EncodeConfig, Layers};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 58;
const MIN_LEN: usize = 4;

pub const TYPE_ECHO_REQUEST: u8 = 128;
pub const TYPE_ECHO_REPLY: u8 = 129;
pub const TYPE_ROUTER_SOLICITATION: u8 = 133;
pub const TYPE_ROUTER_ADVERTISEMENT: u8 = 134;
pub const TYPE_NEIGHBOR_SOLICITATION: u8 = 135;
pub const TYPE_NEIGHBOR_ADVERTISEMENT: u8 = 136;

/// Fixed length of the message body each known type needs.
fn required_len(icmp_type: u8) -> usize {
    match icmp_type {
        TYPE_ECHO_REQUEST | TYPE_ECHO_REPLY | TYPE_ROUTER_SOLICITATION => 8,
        TYPE_ROUTER_ADVERTISEMENT => 16,
        TYPE_NEIGHBOR_SOLICITATION | TYPE_NEIGHBOR_ADVERTISEMENT => 24,
        _ => MIN_LEN,
    }
}

/// An ICMPv6 message whose fixed part for its type is known to be present.
#[derive(Clone, Copy)]
pub struct Icmpv6Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Icmpv6Packet<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < MIN_LEN {
            return Err(DecodeError::truncated("ICMPv6", MIN_LEN, buf.len()));
        }
        let need = required_len(u8_at(buf, 0));
        if buf.len() < need {
            return Err(DecodeError::truncated("ICMPv6", need, buf.len()));
        }
        Ok(Icmpv6Packet { buf })
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
    /// The whole message, for the type-specific views.
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
}

pub fn encode(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    for p in crate::layers_of!(l, Icmpv6) {
        out.emit(&pb::IcmPv6 {
            timestamp: l.timestamp,
            type_code: i32::from(p.icmp_type()) << 8 | i32::from(p.code()),
            checksum: i32::from(p.checksum()),
        });
    }
}

pub fn encode_echo(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    for p in crate::layers_of!(l, Icmpv6) {
        if matches!(p.icmp_type(), TYPE_ECHO_REQUEST | TYPE_ECHO_REPLY) {
            out.emit(&pb::IcmPv6Echo {
                timestamp: l.timestamp,
                identifier: i32::from(be16(p.bytes(), 4)),
                seq_number: i32::from(be16(p.bytes(), 6)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_type_minimum_lengths() {
        assert!(Icmpv6Packet::new_checked(&[128, 0, 0, 0, 0, 1, 0]).is_err());
        assert!(Icmpv6Packet::new_checked(&[128, 0, 0, 0, 0, 1, 0, 2]).is_ok());
        assert!(Icmpv6Packet::new_checked(&[1, 4, 0, 0]).is_ok());
        assert!(Icmpv6Packet::new_checked(&[135; 23]).is_err());
    }
}

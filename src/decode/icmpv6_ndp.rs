//! ICMPv6 Neighbor Discovery (RFC 4861): router and neighbor
//! solicitations and advertisements, with their TLV options.
//! The ICMPv6 view has already checked each type's fixed length.

use super::icmpv6::{
    Icmpv6Packet, TYPE_NEIGHBOR_ADVERTISEMENT, TYPE_NEIGHBOR_SOLICITATION, TYPE_ROUTER_ADVERTISEMENT,
    TYPE_ROUTER_SOLICITATION,
};
use super::wire::{be16, be32, ipv6_string, u8_at};
use super::{Emitter, EncodeConfig, Layers};
use crate::schema::pb;

/// Options are TLVs with a length in 8-byte units; a zero length is
/// invalid (RFC 4861 4.6) and ends parsing, as does one running past the end.
pub fn parse_options(mut buf: &[u8]) -> Vec<pb::IcmPv6Option> {
    let mut out = Vec::new();
    while buf.len() >= 2 {
        let len = usize::from(u8_at(buf, 1)) * 8;
        if len == 0 || len > buf.len() {
            break;
        }
        out.push(pb::IcmPv6Option {
            r#type: i32::from(u8_at(buf, 0)),
            length: i32::from(u8_at(buf, 1)),
            data: buf.get(2..len).unwrap_or_default().to_vec(),
        });
        buf = buf.get(len..).unwrap_or_default();
    }
    out
}

/// The ICMPv6 message of type `icmp_type` (at most one per packet: ICMPv6
/// ends decoding, and a tunnelled packet has one innermost IPv6).
fn message<'a>(l: &Layers<'a>, icmp_type: u8) -> Option<&'a [u8]> {
    if !l.has(super::kind::ICMPV6) {
        return None;
    }
    crate::layers_of!(l, Icmpv6).find(|p| p.icmp_type() == icmp_type).map(|p: &Icmpv6Packet| p.bytes())
}

fn tail(b: &[u8], from: usize) -> &[u8] {
    b.get(from..).unwrap_or_default()
}

pub fn encode_router_solicitation(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    let Some(b) = message(l, TYPE_ROUTER_SOLICITATION) else { return };
    out.emit(&pb::IcmPv6RouterSolicitation { timestamp: l.timestamp, options: parse_options(tail(b, 8)) });
}

pub fn encode_router_advertisement(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    let Some(b) = message(l, TYPE_ROUTER_ADVERTISEMENT) else { return };
    out.emit(&pb::IcmPv6RouterAdvertisement {
        timestamp: l.timestamp,
        hop_limit: i32::from(u8_at(b, 4)),
        flags: i32::from(u8_at(b, 5)),
        router_lifetime: i32::from(be16(b, 6)),
        reachable_time: be32(b, 8),
        retrans_timer: be32(b, 12),
        options: parse_options(tail(b, 16)),
    });
}

pub fn encode_neighbor_solicitation(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    let Some(b) = message(l, TYPE_NEIGHBOR_SOLICITATION) else { return };
    out.emit(&pb::IcmPv6NeighborSolicitation {
        timestamp: l.timestamp,
        target_address: ipv6_string(b.get(8..24).unwrap_or_default()),
        options: parse_options(tail(b, 24)),
    });
}

pub fn encode_neighbor_advertisement(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    let Some(b) = message(l, TYPE_NEIGHBOR_ADVERTISEMENT) else { return };
    out.emit(&pb::IcmPv6NeighborAdvertisement {
        timestamp: l.timestamp,
        flags: i32::from(u8_at(b, 4)),
        target_address: ipv6_string(b.get(8..24).unwrap_or_default()),
        options: parse_options(tail(b, 24)),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_stop_at_zero_or_overlong_length() {
        let opts = parse_options(&[1, 1, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 2, 0, 9, 9]);
        assert_eq!(opts.len(), 1);
        assert_eq!(opts[0].r#type, 1);
        assert_eq!(opts[0].data, vec![0, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert!(parse_options(&[1, 2, 0, 0]).is_empty());
    }
}

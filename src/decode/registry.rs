//! The encoders, by record type name. A name here is the name of a
//! message in `proto/netcap.proto` and of the file `<Name>.ncap.gz`.
//! Order is the order of `-encoders` and of the summary table.

use super::{EncodeConfig, Emitter, Layers};
use super::{arp, dot1q, ethernet, icmpv4, icmpv6, icmpv6_ndp, ipv4, ipv6, ipv6_fragment, ipv6_hop_by_hop, tcp, udp};

pub type EncodeFn = fn(&Layers, &EncodeConfig, &mut Emitter);

pub struct Encoder {
    pub name: &'static str,
    pub encode: EncodeFn,
}

const fn enc(name: &'static str, encode: EncodeFn) -> Encoder {
    Encoder { name, encode }
}

pub static ENCODERS: &[Encoder] = &[
    enc("Ethernet", ethernet::encode),
    enc("Dot1Q", dot1q::encode),
    enc("ARP", arp::encode),
    enc("IPv4", ipv4::encode),
    enc("IPv6", ipv6::encode),
    enc("IPv6HopByHop", ipv6_hop_by_hop::encode),
    enc("IPv6Fragment", ipv6_fragment::encode),
    enc("TCP", tcp::encode),
    enc("UDP", udp::encode),
    enc("ICMPv4", icmpv4::encode),
    enc("ICMPv6", icmpv6::encode),
    enc("ICMPv6Echo", icmpv6::encode_echo),
    enc("ICMPv6NeighborSolicitation", icmpv6_ndp::encode_neighbor_solicitation),
    enc("ICMPv6NeighborAdvertisement", icmpv6_ndp::encode_neighbor_advertisement),
    enc("ICMPv6RouterSolicitation", icmpv6_ndp::encode_router_solicitation),
    enc("ICMPv6RouterAdvertisement", icmpv6_ndp::encode_router_advertisement),
];

pub fn find(name: &str) -> Option<usize> {
    ENCODERS.iter().position(|e| e.name.eq_ignore_ascii_case(name))
}

//! The record types, by name. A name here is the name of a message in
//! `proto/netcap.proto` and of the file `<Name>.ncap.gz`. Order is the
//! order of `-encoders` and of the summary table.
//!
//! Per-packet encoders run in the workers; flow types (stateful) keep a
//! table in the writer thread, fed in capture order (`crate::flows`).

use super::{EncodeConfig, Emitter, Layers};
use super::{arp, dot1q, ethernet, icmpv4, icmpv6, icmpv6_ndp, ipv4, ipv6, ipv6_fragment, ipv6_hop_by_hop, tcp, udp};
use crate::flows::{self, connection, flow, link_flow, network_flow, transport_flow, NewTracker};

pub type EncodeFn = fn(&Layers, &EncodeConfig, &mut Emitter);

/// How a record type is made.
#[derive(Clone, Copy)]
pub enum Stage {
    /// From each packet on its own, in the workers.
    Packet(EncodeFn),
    /// From a flow table in the writer thread.
    Flow(NewTracker),
}

pub struct Encoder {
    pub name: &'static str,
    pub stage: Stage,
}

impl Encoder {
    /// The per-packet encoder, None for a flow type.
    pub fn packet(&self) -> Option<EncodeFn> {
        match self.stage {
            Stage::Packet(f) => Some(f),
            Stage::Flow(_) => None,
        }
    }

    /// The flow table constructor, None for a per-packet type.
    pub fn flow(&self) -> Option<NewTracker> {
        match self.stage {
            Stage::Flow(f) => Some(f),
            Stage::Packet(_) => None,
        }
    }
}

const fn enc(name: &'static str, encode: EncodeFn) -> Encoder {
    Encoder { name, stage: Stage::Packet(encode) }
}

const fn flow(name: &'static str, tracker: NewTracker) -> Encoder {
    Encoder { name, stage: Stage::Flow(tracker) }
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
    flow("LinkFlow", flows::tracker::<link_flow::LinkFlow>),
    flow("NetworkFlow", flows::tracker::<network_flow::NetworkFlow>),
    flow("TransportFlow", flows::tracker::<transport_flow::TransportFlow>),
    flow("Flow", flows::tracker::<flow::Flow>),
    flow("Connection", flows::tracker::<connection::Connection>),
];

pub fn find(name: &str) -> Option<usize> {
    ENCODERS.iter().position(|e| e.name.eq_ignore_ascii_case(name))
}

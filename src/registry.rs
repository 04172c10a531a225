//! The record types, by name. A name here is the name of a message in
//! `proto/netcap.proto` and of the file `<Name>.ncap.gz`. Order is the
//! order of `-encoders` and of the summary table.
//!
//! Per-packet encoders run in the workers; flow types (stateful) keep a
//! table in the writer thread, fed in capture order (`crate::flows`).
//!
//! The registry sits above `decode/` and the stateful stages, which know
//! nothing of each other: it is the one place that lists them all.

use crate::decode::{
    arp, dot1q, ethernet, icmpv4, icmpv6, icmpv6_ndp, ipv4, ipv6, ipv6_fragment, ipv6_hop_by_hop, tcp, udp,
};
use crate::decode::{bfd, dhcpv4, dhcpv6, dns, lcm, modbus_tcp, ntp, sip};
use crate::decode::{geneve, gre, ipsec_ah, ipsec_esp, mpls, sctp, vxlan};
use crate::decode::{igmp, ospfv2, ospfv3, vrrp};
use crate::decode::{cdp, dot11, eap, eapol, eapol_key, ethernet_ctp, fddi, llc, lldp, nortel_discovery, radiotap, snap};
use crate::decode::{usb, usbpcap};
use crate::decode::{kind, Emitter, EncodeConfig, Layers, Proto};
use crate::flows::{self, connection, flow, link_flow, network_flow, transport_flow, NewTracker};

pub type EncodeFn = fn(&Layers, &EncodeConfig, &mut Emitter);

/// The encoder of a protocol kept as [`crate::decode::Layer::Proto`]: for
/// every such layer of the packet, its view (`$view::new_checked`, which
/// accepted the bytes during decoding) and its record (`$record`).
/// With `optional`, `$record` returns an `Option` and only `Some` is written
/// (a record of one part of the protocol, e.g. a CTP reply).
macro_rules! proto_encoder {
    ($proto:ident, $view:ty, $record:path) => {
        |l: &Layers, cfg: &EncodeConfig, out: &mut Emitter| {
            for bytes in l.proto_bytes(Proto::$proto) {
                if let Ok(v) = <$view>::new_checked(bytes) {
                    out.emit(&$record(&v, l.timestamp, cfg));
                }
            }
        }
    };
    ($proto:ident, $view:ty, $record:path, optional) => {
        |l: &Layers, cfg: &EncodeConfig, out: &mut Emitter| {
            for bytes in l.proto_bytes(Proto::$proto) {
                if let Some(r) = <$view>::new_checked(bytes).ok().and_then(|v| $record(&v, l.timestamp, cfg)) {
                    out.emit(&r);
                }
            }
        }
    };
}

/// The encoder of a layer kept as its own [`crate::decode::Layer`] variant
/// (its view holds more than bytes); `$kind` is its [`kind`] bit. With
/// `optional`, as for [`proto_encoder`].
macro_rules! layer_encoder {
    ($variant:ident, $kind:expr, $record:path) => {
        |l: &Layers, cfg: &EncodeConfig, out: &mut Emitter| {
            if l.has($kind) {
                for v in crate::layers_of!(l, $variant) {
                    out.emit(&$record(v, l.timestamp, cfg));
                }
            }
        }
    };
    ($variant:ident, $kind:expr, $record:path, optional) => {
        |l: &Layers, cfg: &EncodeConfig, out: &mut Emitter| {
            if l.has($kind) {
                for r in crate::layers_of!(l, $variant).filter_map(|v| $record(v, l.timestamp, cfg)) {
                    out.emit(&r);
                }
            }
        }
    };
}

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
    enc("DNS", proto_encoder!(Dns, dns::DnsMessage, dns::record)),
    enc("DHCPv4", proto_encoder!(Dhcpv4, dhcpv4::Dhcpv4Packet, dhcpv4::record)),
    enc("DHCPv6", proto_encoder!(Dhcpv6, dhcpv6::Dhcpv6Message, dhcpv6::record)),
    enc("NTP", proto_encoder!(Ntp, ntp::NtpPacket, ntp::record)),
    enc("SIP", proto_encoder!(Sip, sip::SipMessage, sip::record)),
    enc("IGMP", proto_encoder!(Igmp, igmp::IgmpPacket, igmp::record)),
    enc("SCTP", proto_encoder!(Sctp, sctp::SctpPacket, sctp::record)),
    enc("IPSecAH", proto_encoder!(IpsecAh, ipsec_ah::AhHeader, ipsec_ah::record)),
    enc("IPSecESP", proto_encoder!(IpsecEsp, ipsec_esp::EspPacket, ipsec_esp::record)),
    enc("GRE", proto_encoder!(Gre, gre::GrePacket, gre::record)),
    enc("MPLS", proto_encoder!(Mpls, mpls::MplsLabel, mpls::record)),
    enc("VXLAN", proto_encoder!(Vxlan, vxlan::VxlanHeader, vxlan::record)),
    enc("Geneve", proto_encoder!(Geneve, geneve::GeneveHeader, geneve::record)),
    enc("OSPFv2", proto_encoder!(Ospfv2, ospfv2::Ospfv2Packet, ospfv2::record)),
    enc("OSPFv3", proto_encoder!(Ospfv3, ospfv3::Ospfv3Packet, ospfv3::record)),
    enc("BFD", proto_encoder!(Bfd, bfd::BfdPacket, bfd::record)),
    enc("VRRP", encode_vrrp),
    enc("ModbusTCP", proto_encoder!(ModbusTcp, modbus_tcp::ModbusTcpFrame, modbus_tcp::record)),
    enc("LCM", proto_encoder!(Lcm, lcm::LcmDatagram, lcm::record)),
    enc("LLC", proto_encoder!(Llc, llc::LlcHeader, llc::record)),
    enc("SNAP", proto_encoder!(Snap, snap::SnapHeader, snap::record)),
    enc("Dot11", layer_encoder!(Dot11, kind::DOT11, dot11::record)),
    enc("RadioTap", proto_encoder!(Radiotap, radiotap::RadiotapHeader, radiotap::record)),
    enc("EAPOL", proto_encoder!(Eapol, eapol::EapolFrame, eapol::record)),
    enc("EAP", proto_encoder!(Eap, eap::EapPacket, eap::record)),
    enc("EAPOLKey", proto_encoder!(EapolKey, eapol_key::EapolKey, eapol_key::record)),
    enc("FDDI", proto_encoder!(Fddi, fddi::FddiFrame, fddi::record)),
    enc("LinkLayerDiscovery", proto_encoder!(Lldp, lldp::LldpFrame, lldp::record)),
    enc("LinkLayerDiscoveryInfo", proto_encoder!(Lldp, lldp::LldpFrame, lldp::info_record)),
    enc("CiscoDiscovery", proto_encoder!(Cdp, cdp::CdpPacket, cdp::record)),
    enc("CiscoDiscoveryInfo", proto_encoder!(Cdp, cdp::CdpPacket, cdp::info_record)),
    enc("EthernetCTP", proto_encoder!(EthernetCtp, ethernet_ctp::EthernetCtp, ethernet_ctp::record)),
    enc("EthernetCTPReply", proto_encoder!(EthernetCtp, ethernet_ctp::EthernetCtp, ethernet_ctp::reply_record, optional)),
    enc("NortelDiscovery", proto_encoder!(NortelDiscovery, nortel_discovery::NortelDiscovery, nortel_discovery::record)),
    enc("USB", encode_usb),
    enc("USBRequestBlockSetup", encode_usb_setup),
    flow("LinkFlow", flows::tracker::<link_flow::LinkFlow>),
    flow("NetworkFlow", flows::tracker::<network_flow::NetworkFlow>),
    flow("TransportFlow", flows::tracker::<transport_flow::TransportFlow>),
    flow("Flow", flows::tracker::<flow::Flow>),
    flow("Connection", flows::tracker::<connection::Connection>),
];

/// VRRP's view needs to know the IP version (v3 over IPv6 carries IPv6 addresses).
fn encode_vrrp(l: &Layers, cfg: &EncodeConfig, out: &mut Emitter) {
    for (p, over_ipv6) in [(Proto::Vrrp, false), (Proto::Vrrp6, true)] {
        for bytes in l.proto_bytes(p) {
            if let Ok(v) = vrrp::VrrpPacket::new_checked(bytes, over_ipv6) {
                out.emit(&vrrp::record(&v, l.timestamp, cfg));
            }
        }
    }
}

/// USB records come from Linux usbmon headers (a layer of their own, as
/// the view knows the header size) and from USBPcap headers.
fn encode_usb(l: &Layers, cfg: &EncodeConfig, out: &mut Emitter) {
    layer_encoder!(Usb, kind::USB, usb::record)(l, cfg, out);
    proto_encoder!(UsbPcap, usbpcap::UsbPcapPacket, usbpcap::record)(l, cfg, out);
}

fn encode_usb_setup(l: &Layers, cfg: &EncodeConfig, out: &mut Emitter) {
    layer_encoder!(Usb, kind::USB, usb::setup_record, optional)(l, cfg, out);
    proto_encoder!(UsbPcap, usbpcap::UsbPcapPacket, usbpcap::setup_record, optional)(l, cfg, out);
}

pub fn find(name: &str) -> Option<usize> {
    ENCODERS.iter().position(|e| e.name.eq_ignore_ascii_case(name))
}

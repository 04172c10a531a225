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
use crate::decode::{
    cdp, dot11, eap, eapol, eapol_key, ethernet_ctp, fddi, llc, lldp, nortel_discovery, radiotap, snap, stp,
};
use crate::decode::{geneve, gre, ipsec_ah, ipsec_esp, mpls, sctp, vxlan};
use crate::decode::{igmp, ospfv2, ospfv3, vrrp};
use crate::decode::{kind, Emitter, EncodeConfig, Layers, Proto};
use crate::decode::{usb, usbpcap};
use crate::flows::{self, connection, flow, link_flow, network_flow, transport_flow, NewTracker};

use crate::app::{http, ssh, tls, AppProtocol};

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
    /// From each packet on its own, in the workers; the mask holds the
    /// [`kind`] bits of the layers it reads, so that a packet without any
    /// of them skips the call (most packets carry few of the protocols).
    Packet(EncodeFn, u64),
    /// From a flow table in the writer thread.
    Flow(NewTracker),
    /// From the reassembled TCP streams of the connections that carry this
    /// application protocol (`crate::stream`).
    Stream(&'static AppProtocol),
}

pub struct Encoder {
    pub name: &'static str,
    pub stage: Stage,
}

impl Encoder {
    /// The per-packet encoder, None for a flow type.
    pub fn packet(&self) -> Option<EncodeFn> {
        match self.stage {
            Stage::Packet(f, _) => Some(f),
            Stage::Flow(_) | Stage::Stream(_) => None,
        }
    }

    /// The [`kind`] bits of the layers the per-packet encoder reads (0 for a flow type).
    pub fn needs(&self) -> u64 {
        match self.stage {
            Stage::Packet(_, needs) => needs,
            Stage::Flow(_) | Stage::Stream(_) => 0,
        }
    }

    /// The flow table constructor, None for a per-packet type.
    pub fn flow(&self) -> Option<NewTracker> {
        match self.stage {
            Stage::Flow(f) => Some(f),
            Stage::Packet(..) | Stage::Stream(_) => None,
        }
    }

    /// The application protocol of a stream type, None otherwise.
    pub fn stream(&self) -> Option<&'static AppProtocol> {
        match self.stage {
            Stage::Stream(p) => Some(p),
            Stage::Packet(..) | Stage::Flow(_) => None,
        }
    }
}

const fn enc(name: &'static str, needs: u64, encode: EncodeFn) -> Encoder {
    Encoder { name, stage: Stage::Packet(encode, needs) }
}

/// An encoder of protocols kept as [`crate::decode::Layer::Proto`].
const fn penc(name: &'static str, p: Proto, encode: EncodeFn) -> Encoder {
    enc(name, kind::proto(p), encode)
}

const fn flow(name: &'static str, tracker: NewTracker) -> Encoder {
    Encoder { name, stage: Stage::Flow(tracker) }
}

/// A record type written by an application-layer stream decoder.
const fn stream(name: &'static str, protocol: &'static AppProtocol) -> Encoder {
    Encoder { name, stage: Stage::Stream(protocol) }
}

pub static ENCODERS: &[Encoder] = &[
    enc("Ethernet", kind::ETHERNET, ethernet::encode),
    enc("Dot1Q", kind::DOT1Q, dot1q::encode),
    enc("ARP", kind::ARP, arp::encode),
    enc("IPv4", kind::IPV4, ipv4::encode),
    enc("IPv6", kind::IPV6, ipv6::encode),
    enc("IPv6HopByHop", kind::IPV6_HOP_BY_HOP, ipv6_hop_by_hop::encode),
    enc("IPv6Fragment", kind::IPV6_FRAGMENT, ipv6_fragment::encode),
    enc("TCP", kind::TCP, tcp::encode),
    enc("UDP", kind::UDP, udp::encode),
    enc("ICMPv4", kind::ICMPV4, icmpv4::encode),
    enc("ICMPv6", kind::ICMPV6, icmpv6::encode),
    enc("ICMPv6Echo", kind::ICMPV6, icmpv6::encode_echo),
    enc("ICMPv6NeighborSolicitation", kind::ICMPV6, icmpv6_ndp::encode_neighbor_solicitation),
    enc("ICMPv6NeighborAdvertisement", kind::ICMPV6, icmpv6_ndp::encode_neighbor_advertisement),
    enc("ICMPv6RouterSolicitation", kind::ICMPV6, icmpv6_ndp::encode_router_solicitation),
    enc("ICMPv6RouterAdvertisement", kind::ICMPV6, icmpv6_ndp::encode_router_advertisement),
    penc("DNS", Proto::Dns, proto_encoder!(Dns, dns::DnsMessage, dns::record)),
    penc("DHCPv4", Proto::Dhcpv4, proto_encoder!(Dhcpv4, dhcpv4::Dhcpv4Packet, dhcpv4::record)),
    penc("DHCPv6", Proto::Dhcpv6, proto_encoder!(Dhcpv6, dhcpv6::Dhcpv6Message, dhcpv6::record)),
    penc("NTP", Proto::Ntp, proto_encoder!(Ntp, ntp::NtpPacket, ntp::record)),
    penc("SIP", Proto::Sip, proto_encoder!(Sip, sip::SipMessage, sip::record)),
    penc("IGMP", Proto::Igmp, proto_encoder!(Igmp, igmp::IgmpPacket, igmp::record)),
    penc("SCTP", Proto::Sctp, proto_encoder!(Sctp, sctp::SctpPacket, sctp::record)),
    penc("IPSecAH", Proto::IpsecAh, proto_encoder!(IpsecAh, ipsec_ah::AhHeader, ipsec_ah::record)),
    penc("IPSecESP", Proto::IpsecEsp, proto_encoder!(IpsecEsp, ipsec_esp::EspPacket, ipsec_esp::record)),
    penc("GRE", Proto::Gre, proto_encoder!(Gre, gre::GrePacket, gre::record)),
    penc("MPLS", Proto::Mpls, proto_encoder!(Mpls, mpls::MplsLabel, mpls::record)),
    penc("VXLAN", Proto::Vxlan, proto_encoder!(Vxlan, vxlan::VxlanHeader, vxlan::record)),
    penc("Geneve", Proto::Geneve, proto_encoder!(Geneve, geneve::GeneveHeader, geneve::record)),
    penc("OSPFv2", Proto::Ospfv2, proto_encoder!(Ospfv2, ospfv2::Ospfv2Packet, ospfv2::record)),
    penc("OSPFv3", Proto::Ospfv3, proto_encoder!(Ospfv3, ospfv3::Ospfv3Packet, ospfv3::record)),
    penc("BFD", Proto::Bfd, proto_encoder!(Bfd, bfd::BfdPacket, bfd::record)),
    enc("VRRP", kind::proto(Proto::Vrrp) | kind::proto(Proto::Vrrp6), encode_vrrp),
    penc("ModbusTCP", Proto::ModbusTcp, proto_encoder!(ModbusTcp, modbus_tcp::ModbusTcpFrame, modbus_tcp::record)),
    penc("LCM", Proto::Lcm, proto_encoder!(Lcm, lcm::LcmDatagram, lcm::record)),
    penc("LLC", Proto::Llc, proto_encoder!(Llc, llc::LlcHeader, llc::record)),
    penc("SNAP", Proto::Snap, proto_encoder!(Snap, snap::SnapHeader, snap::record)),
    enc("Dot11", kind::DOT11, layer_encoder!(Dot11, kind::DOT11, dot11::record)),
    penc("RadioTap", Proto::Radiotap, proto_encoder!(Radiotap, radiotap::RadiotapHeader, radiotap::record)),
    penc("EAPOL", Proto::Eapol, proto_encoder!(Eapol, eapol::EapolFrame, eapol::record)),
    penc("EAP", Proto::Eap, proto_encoder!(Eap, eap::EapPacket, eap::record)),
    penc("EAPOLKey", Proto::EapolKey, proto_encoder!(EapolKey, eapol_key::EapolKey, eapol_key::record)),
    penc("FDDI", Proto::Fddi, proto_encoder!(Fddi, fddi::FddiFrame, fddi::record)),
    penc("LinkLayerDiscovery", Proto::Lldp, proto_encoder!(Lldp, lldp::LldpFrame, lldp::record)),
    penc("LinkLayerDiscoveryInfo", Proto::Lldp, proto_encoder!(Lldp, lldp::LldpFrame, lldp::info_record)),
    penc("CiscoDiscovery", Proto::Cdp, proto_encoder!(Cdp, cdp::CdpPacket, cdp::record)),
    penc("CiscoDiscoveryInfo", Proto::Cdp, proto_encoder!(Cdp, cdp::CdpPacket, cdp::info_record)),
    penc(
        "EthernetCTP",
        Proto::EthernetCtp,
        proto_encoder!(EthernetCtp, ethernet_ctp::EthernetCtp, ethernet_ctp::record),
    ),
    penc(
        "EthernetCTPReply",
        Proto::EthernetCtp,
        proto_encoder!(EthernetCtp, ethernet_ctp::EthernetCtp, ethernet_ctp::reply_record, optional),
    ),
    penc(
        "NortelDiscovery",
        Proto::NortelDiscovery,
        proto_encoder!(NortelDiscovery, nortel_discovery::NortelDiscovery, nortel_discovery::record),
    ),
    enc("STP", kind::proto(Proto::Stp) | kind::proto(Proto::PvstBpdu), encode_stp),
    enc("USB", kind::USB | kind::proto(Proto::UsbPcap), encode_usb),
    enc("USBRequestBlockSetup", kind::USB | kind::proto(Proto::UsbPcap), encode_usb_setup),
    flow("LinkFlow", flows::tracker::<link_flow::LinkFlow>),
    flow("NetworkFlow", flows::tracker::<network_flow::NetworkFlow>),
    flow("TransportFlow", flows::tracker::<transport_flow::TransportFlow>),
    flow("Flow", flows::tracker::<flow::Flow>),
    flow("Connection", flows::tracker::<connection::Connection>),
    stream("HTTP", &http::PROTOCOL),
    stream("TLS", &tls::PROTOCOL),
    stream("TLSServerHello", &tls::PROTOCOL),
    stream("SSH", &ssh::PROTOCOL),
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
/// BPDUs after LLC and PVST+ BPDUs after SNAP: one record type.
fn encode_stp(l: &Layers, cfg: &EncodeConfig, out: &mut Emitter) {
    proto_encoder!(Stp, stp::Bpdu, stp::record)(l, cfg, out);
    proto_encoder!(PvstBpdu, stp::PvstBpdu, stp::pvst_record)(l, cfg, out);
}

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

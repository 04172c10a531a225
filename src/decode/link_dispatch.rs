//! Dispatch below and beside Ethernet: the link types other than Ethernet
//! that carry records (802.11 with radiotap or PPI, FDDI, Linux USB) or
//! lead to IP (PPP, PPPoE, Cisco HDLC, Frame Relay, NFLOG, PKTAP, IP over
//! InfiniBand, Solaris ipnet, ARCNET), the
//! 802.2 LLC / SNAP chain that 802.3 frames, 802.11 data frames and FDDI
//! share, and the protocols named by EtherType or SNAP that have no IP
//! layer (EAPOL, LLDP, CDP, CTP, Nortel discovery).
//!
//! Each step is a checked view of its own file; this file only says which
//! view comes next, as Wireshark's default dissector tables do.

use super::{
    arcnet, arista, chdlc, dot11, eapol, eapol_key, fddi, frame_relay, link, llc, nflog, pktap, ppi, ppp, radiotap,
    snap, stp, usb,
};
use super::{linktype, Layer, Layers, Proto};

/// EtherTypes of the protocols below (IEEE registry).
pub mod ethertype {
    /// IEEE 802.1X EAP over LAN.
    pub const EAPOL: u16 = 0x888e;
    /// 802.11i pre-authentication: EAPOL frames sent between access points.
    pub const EAPOL_PREAUTH: u16 = 0x88c7;
    /// IEEE 802.1AB Link Layer Discovery Protocol.
    pub const LLDP: u16 = 0x88cc;
    /// Ethernet Configuration Testing Protocol ("loopback").
    pub const CTP: u16 = 0x9000;
    /// Cisco's protocol type of CDP (in GRE; on Ethernet CDP comes in SNAP).
    pub const CDP: u16 = 0x2000;
    /// PPP in HDLC-like framing (PPTP's GRE; Wireshark's EtherType table).
    pub const PPP: u16 = 0x880b;
    /// A PPPoE session (RFC 2516); 0x8863, discovery, has no record.
    pub const PPPOE_SESSION: u16 = 0x8864;
}

/// LLC SAPs that name a network layer netcap decodes.
const SAP_IP: u8 = 0x06;
use llc::SAP_STP;

impl<'a> Layers<'a> {
    /// Link types other than Ethernet, raw IP, loopback and SLL.
    /// Returns false when `link` is not one of them.
    pub(super) fn decode_other_link(&mut self, link: u32, frame: &'a [u8]) -> bool {
        match link {
            linktype::IEEE802_11 => self.decode_dot11(frame, false),
            linktype::IEEE802_11_RADIOTAP => self.decode_radiotap(frame),
            linktype::PPI => self.decode_ppi(frame),
            linktype::FDDI => self.decode_fddi(frame),
            linktype::ATM_RFC1483 => self.decode_llc(frame),
            linktype::PPP | linktype::PPP_HDLC => self.decode_ppp_hdlc(frame),
            linktype::PPP_ETHER => self.decode_pppoe_session(frame),
            linktype::C_HDLC => self.decode_cisco_hdlc(frame),
            linktype::FRELAY => self.decode_frame_relay(frame),
            linktype::PKTAP | linktype::USER2_PKTAP => self.decode_pktap(frame),
            linktype::NFLOG => match nflog::parse(frame) {
                Ok(p) => {
                    if !self.push_name("NFLOG") {
                        return true;
                    }
                    match (p.family, p.payload) {
                        (_, None) => {}
                        (nflog::AF_INET, Some(ip)) => self.decode_ipv4(ip),
                        (nflog::AF_INET6, Some(ip)) => self.decode_ipv6(ip),
                        (family, Some(_)) => self.unknown("NFLOG address family", u64::from(family)),
                    }
                }
                Err(e) => self.fail(e),
            },
            linktype::IPOIB => match link::ipoib(frame) {
                Ok((ethertype, payload)) => {
                    if !self.push_name("IPoIB") {
                        return true;
                    }
                    match ethertype {
                        super::ethernet::ETHERTYPE_IPV4 => self.decode_ipv4(payload),
                        super::ethernet::ETHERTYPE_IPV6 => self.decode_ipv6(payload),
                        super::ethernet::ETHERTYPE_ARP | super::ethernet::ETHERTYPE_RARP => self.decode_arp(payload),
                        other => self.unknown_hex("EtherType", 4, u64::from(other)),
                    }
                }
                Err(e) => self.fail(e),
            },
            linktype::ARCNET_LINUX => match arcnet::parse(frame) {
                Ok(arcnet::ArcnetPayload::Packet { protocol, payload }) => {
                    if !self.push_name("ARCNET") {
                        return true;
                    }
                    match protocol {
                        arcnet::PROTO_IP_1201 | arcnet::PROTO_IP_1051 => self.decode_ipv4(payload),
                        arcnet::PROTO_IPV6 => self.decode_ipv6(payload),
                        arcnet::PROTO_ARP_1201 | arcnet::PROTO_ARP_1051 | arcnet::PROTO_RARP_1201 => {
                            self.decode_arp(payload)
                        }
                        other => self.unknown_hex("ARCNET protocol", 2, u64::from(other)),
                    }
                }
                Ok(arcnet::ArcnetPayload::Exception(protocol)) => {
                    if !self.push_name("ARCNET") {
                        return true;
                    }
                    self.unknown_hex("ARCNET exception packet, protocol", 2, u64::from(protocol))
                }
                Err(e) => self.fail(e),
            },
            linktype::IPNET => match link::ipnet(frame) {
                Ok((family, payload)) => {
                    if !self.push_name("IPNET") {
                        return true;
                    }
                    match family {
                        link::IPNET_AF_INET => self.decode_ipv4(payload),
                        link::IPNET_AF_INET6 => self.decode_ipv6(payload),
                        other => self.unknown("ipnet address family", u64::from(other)),
                    }
                }
                Err(e) => self.fail(e),
            },
            linktype::USB_LINUX | linktype::USB_LINUX_MMAPPED => {
                match usb::UsbPacket::new_checked(frame, link == linktype::USB_LINUX_MMAPPED) {
                    Ok(p) => {
                        self.push("USB", Layer::Usb(p));
                    }
                    Err(e) => self.fail(e),
                }
            }
            linktype::USBPCAP => {
                self.decode_proto(Proto::UsbPcap, frame);
            }
            _ => return false,
        }
        true
    }

    /// EtherTypes of the protocols in this file; false when `ethertype` is
    /// not one of them.
    pub(super) fn decode_link_ethertype(&mut self, ethertype: u16, buf: &'a [u8]) -> bool {
        match ethertype {
            ethertype::EAPOL | ethertype::EAPOL_PREAUTH => self.decode_eapol(buf),
            ethertype::LLDP => {
                self.decode_proto(Proto::Lldp, buf);
            }
            ethertype::CTP => {
                self.decode_proto(Proto::EthernetCtp, buf);
            }
            // Cisco's CDP protocol type, as GRE carries it (Wireshark's
            // ethertype table has it too).
            ethertype::CDP => {
                self.decode_proto(Proto::Cdp, buf);
            }
            ethertype::PPP => self.decode_ppp_hdlc(buf),
            arista::ETHERTYPE => match arista::parse(buf) {
                // A header naming Arista again recurses: `push_name` bounds it.
                Ok(arista::AristaPayload::Frame(inner, payload)) => {
                    if !self.push_name("Arista") {
                        return true;
                    }
                    self.decode_ethertype(inner, payload)
                }
                Ok(arista::AristaPayload::Unknown { version, .. }) => {
                    self.unknown_hex("Arista subtype/version", 4, u64::from(version))
                }
                Err(e) => self.fail(e),
            },
            ethertype::PPPOE_SESSION => self.decode_pppoe_session(buf),
            _ => return false,
        }
        true
    }

    /// PPP in HDLC-like framing, or Cisco HDLC where its address says so
    /// (see [`ppp`]).
    fn decode_ppp_hdlc(&mut self, buf: &'a [u8]) {
        if ppp::is_cisco_hdlc(buf) {
            return self.decode_cisco_hdlc(buf);
        }
        match ppp::parse_hdlc_framed(buf) {
            Ok(frame) => self.decode_ppp_payload(frame),
            Err(e) => self.fail(e),
        }
    }

    fn decode_pppoe_session(&mut self, buf: &'a [u8]) {
        match ppp::parse_pppoe_session(buf) {
            Ok(frame) => {
                if !self.push_name("PPPoE") {
                    return;
                }
                self.decode_ppp_payload(frame)
            }
            Err(e) => self.fail(e),
        }
    }

    /// The network layer a PPP protocol field names.
    fn decode_ppp_payload(&mut self, frame: ppp::PppFrame<'a>) {
        if !self.push_name("PPP") {
            return;
        }
        match frame.protocol {
            ppp::PROTO_IPV4 => self.decode_ipv4(frame.payload),
            ppp::PROTO_IPV6 => self.decode_ipv6(frame.payload),
            ppp::PROTO_MPLS_UNICAST | ppp::PROTO_MPLS_MULTICAST => self.decode_mpls(frame.payload),
            // LCP, IPCP, authentication and the rest: PPP's own control.
            other => self.unknown_hex("PPP protocol", 4, u64::from(other)),
        }
    }

    /// Cisco HDLC, then what Wireshark's `chdlc.protocol` table names.
    fn decode_cisco_hdlc(&mut self, buf: &'a [u8]) {
        let frame = match chdlc::CiscoHdlcFrame::new_checked(buf) {
            Ok(f) => f,
            Err(e) => return self.fail(e),
        };
        if !self.push_name("CiscoHDLC") {
            return;
        }
        self.decode_cisco_protocol(frame.protocol(), frame.payload())
    }

    /// What a Cisco HDLC protocol type names (Cisco HDLC, Frame Relay's
    /// Cisco encapsulation).
    fn decode_cisco_protocol(&mut self, protocol: u16, payload: &'a [u8]) {
        match protocol {
            super::ethernet::ETHERTYPE_IPV4 => self.decode_ipv4(payload),
            super::ethernet::ETHERTYPE_IPV6 => self.decode_ipv6(payload),
            super::ethertype::MPLS_UNICAST | super::ethertype::MPLS_MULTICAST => self.decode_mpls(payload),
            chdlc::PROTO_CDP => {
                self.decode_proto(Proto::Cdp, payload);
            }
            // SLARP keepalives, OSI (IS-IS), ...
            other => self.unknown_hex("Cisco HDLC protocol", 4, u64::from(other)),
        }
    }

    /// PKTAP, then the packet by the link type its header names.
    fn decode_pktap(&mut self, buf: &'a [u8]) {
        let entry = match pktap::parse(buf) {
            Ok(e) => e,
            Err(e) => return self.fail(e),
        };
        if !self.push_name("PKTAP") {
            return;
        }
        match entry.link {
            _ if !entry.is_packet() => self.unknown("PKTAP entry type", entry.type_next),
            // A PKTAP header inside one would only nest the same way again.
            linktype::PKTAP | linktype::USER2_PKTAP => self.unknown("PKTAP link type", entry.link),
            link => self.decode_link(link, entry.frame),
        }
    }

    /// Frame Relay, then the network layer its NLPID or Cisco type names.
    fn decode_frame_relay(&mut self, buf: &'a [u8]) {
        let frame = match frame_relay::parse(buf) {
            Ok(f) => f,
            Err(e) => return self.fail(e),
        };
        if !self.push_name("FrameRelay") {
            return;
        }
        match frame.payload {
            frame_relay::FramePayload::Cisco(protocol, payload) => self.decode_cisco_protocol(protocol, payload),
            frame_relay::FramePayload::Nlpid(nlpid, payload) => match nlpid {
                frame_relay::NLPID_IPV4 => self.decode_ipv4(payload),
                frame_relay::NLPID_IPV6 => self.decode_ipv6(payload),
                frame_relay::NLPID_PPP => match ppp::parse(payload) {
                    Ok(p) => self.decode_ppp_payload(p),
                    Err(e) => self.fail(e),
                },
                // RFC 2427 5.3: SNAP, read as Wireshark's `fr.snap` does
                // (its fields, no LLC/SNAP record of their own).
                frame_relay::NLPID_SNAP => match snap::SnapHeader::new_checked(payload) {
                    Ok(h) if h.carries_ethertype() => self.decode_ethertype(h.protocol(), h.payload()),
                    Ok(h) => self.unknown_hex("Frame Relay SNAP OUI", 6, h.oui()),
                    Err(e) => self.fail(e),
                },
                // Q.933 signalling, OSI (CLNP, ES-IS, IS-IS), ...
                other => self.unknown_hex("Frame Relay NLPID", 2, u64::from(other)),
            },
            frame_relay::FramePayload::Control(control) => {
                self.unknown_hex("Frame Relay control", 2, u64::from(control))
            }
        }
    }

    /// The payload of an 802.3 frame (a length field where the EtherType
    /// would be), cut to that length: the rest is padding.
    pub(super) fn decode_8023(&mut self, length: u16, payload: &'a [u8]) {
        let payload = llc::ieee8023_payload(payload, length);
        // Novell's "raw 802.3" puts IPX (checksum 0xffff) straight after
        // the length field, with no LLC header; Wireshark checks the same.
        if llc::is_novell_raw(payload) {
            return self.unknown_hex("802.3 raw IPX", 4, 0xffffu16);
        }
        self.decode_llc(payload);
    }

    /// IEEE 802.2 LLC, then SNAP or the network layer its SAP names.
    pub(super) fn decode_llc(&mut self, buf: &'a [u8]) {
        let header = match llc::LlcHeader::new_checked(buf) {
            Ok(h) => h,
            Err(e) => return self.fail(e),
        };
        if !self.push("LLC", Layer::Proto(Proto::Llc, buf)) {
            return;
        }
        let payload = header.payload();
        match (header.dsap(), header.ssap()) {
            _ if header.is_snap() => self.decode_snap(payload),
            (SAP_IP, SAP_IP) => self.decode_ipv4(payload),
            (SAP_STP, SAP_STP) => self.decode_bpdu(payload),
            // U-frames without information (XID, TEST answers, ...) end here.
            _ if payload.is_empty() => {}
            (dsap, _) => self.unknown_hex("LLC DSAP", 2, u64::from(dsap)),
        }
    }

    /// A spanning tree BPDU, unless the frame went to a GARP
    /// application's address (GVRP, GMRP), which shares SAP 0x42; Wireshark
    /// tells them apart the same way, by the link layer's destination.
    fn decode_bpdu(&mut self, buf: &'a [u8]) {
        if let Some(app) = self.link_destination().and_then(|dst| stp::garp_application(&dst)) {
            return self.unknown_hex("GARP application", 2, app);
        }
        self.decode_proto(Proto::Stp, buf);
    }

    /// The destination MAC address of the innermost link layer, where
    /// Wireshark's `dl_dst` is an Ethernet address (`AT_ETHER`, which its
    /// BPDU dissector checks): Ethernet's and FDDI's (in canonical bit
    /// order, as `fddi.dst` shows it). 802.11 sets its own address type,
    /// so tshark reads a BPDU to a GARP address there as a BPDU (checked
    /// with tshark 4.x); Frame Relay or PPP have no destination at all.
    fn link_destination(&self) -> Option<[u8; 6]> {
        let dst = self.layers().rev().find_map(|layer| match layer {
            Layer::Ethernet(e) => Some(<[u8; 6]>::try_from(e.dst()).ok()),
            Layer::Dot11(_) => Some(None),
            Layer::Proto(Proto::Fddi, buf) => {
                let dst = fddi::FddiFrame::new_checked(buf).ok().and_then(|f| <[u8; 6]>::try_from(f.dst()).ok());
                Some(dst.map(|d| d.map(u8::reverse_bits)))
            }
            _ => None,
        });
        dst.flatten()
    }

    fn decode_snap(&mut self, buf: &'a [u8]) {
        let header = match snap::SnapHeader::new_checked(buf) {
            Ok(h) => h,
            Err(e) => return self.fail(e),
        };
        if !self.push("SNAP", Layer::Proto(Proto::Snap, buf)) {
            return;
        }
        let (code, pid, payload) = (header.oui(), header.protocol(), header.payload());
        match (code, pid) {
            _ if header.carries_ethertype() => self.decode_ethertype(pid, payload),
            (snap::OUI_CISCO, snap::PID_CISCO_CDP) => {
                self.decode_proto(Proto::Cdp, payload);
            }
            (snap::OUI_CISCO, snap::PID_CISCO_PVSTP) => {
                self.decode_proto(Proto::PvstBpdu, payload);
            }
            // Flatnet and segment hellos; 0x01a3 (bridge hello) has another layout.
            (snap::OUI_NORTEL, snap::PID_NORTEL_NDP_FLATNET | snap::PID_NORTEL_NDP_SEGMENT) => {
                self.decode_proto(Proto::NortelDiscovery, payload);
            }
            _ => self.unknown_hex("SNAP OUI/PID", 10, u64::from(code) << 16 | u64::from(pid)),
        }
    }

    /// EAPOL, then the EAP packet or key descriptor it carries.
    fn decode_eapol(&mut self, buf: &'a [u8]) {
        let frame = match eapol::EapolFrame::new_checked(buf) {
            Ok(f) => f,
            Err(e) => return self.fail(e),
        };
        if !self.push("EAPOL", Layer::Proto(Proto::Eapol, buf)) {
            return;
        }
        match frame.packet_type() {
            eapol::TYPE_EAP_PACKET if frame.body().is_empty() => {}
            eapol::TYPE_EAP_PACKET => {
                self.decode_proto(Proto::Eap, frame.body());
            }
            eapol::TYPE_KEY => match frame.body().first() {
                Some(&t) if !eapol_key::is_known_descriptor(t) => {
                    self.unknown("EAPOL-Key descriptor type", u64::from(t))
                }
                _ => {
                    self.decode_proto(Proto::EapolKey, frame.body());
                }
            },
            // Start, Logoff and the rest carry nothing netcap decodes.
            _ => {}
        }
    }

    /// An 802.11 frame; unprotected data frames go on through LLC into IP.
    fn decode_dot11(&mut self, buf: &'a [u8], has_fcs: bool) {
        self.decode_dot11_padded(buf, has_fcs, false)
    }

    /// `data_pad`: radiotap's flag that the header is padded to 32 bits.
    fn decode_dot11_padded(&mut self, buf: &'a [u8], has_fcs: bool, data_pad: bool) {
        let frame = match dot11::Dot11Frame::new_checked_padded(buf, has_fcs, data_pad) {
            Ok(f) => f,
            Err(e) => return self.fail(e),
        };
        if !self.push("Dot11", Layer::Dot11(frame)) {
            return;
        }
        // Management, control and protected frames end at Dot11: that is
        // all of them a capture without keys can show.
        if let Some(body) = frame.llc_payload() {
            self.decode_llc(body);
        }
    }

    fn decode_radiotap(&mut self, buf: &'a [u8]) {
        let header = match radiotap::RadiotapHeader::new_checked(buf) {
            Ok(h) => h,
            Err(e) => return self.fail(e),
        };
        if self.push("RadioTap", Layer::Proto(Proto::Radiotap, buf)) && header.has_frame() {
            // A frame cut by the snap length lost its FCS: the last bytes
            // present are frame body, as Wireshark reads them.
            let has_fcs = header.has_fcs() && self.uncaptured == 0;
            self.decode_dot11_padded(header.payload(), has_fcs, header.data_pad());
        }
    }

    fn decode_ppi(&mut self, buf: &'a [u8]) {
        let header = match ppi::PpiHeader::new_checked(buf) {
            Ok(h) => h,
            Err(e) => return self.fail(e),
        };
        if !self.push_name("PPI") {
            return;
        }
        match header.dlt() {
            linktype::IEEE802_11 => self.decode_dot11(header.payload(), header.has_fcs()),
            linktype::ETHERNET => self.decode_ethernet(header.payload()),
            other => self.unknown("PPI link type", other),
        }
    }

    fn decode_fddi(&mut self, buf: &'a [u8]) {
        let frame = match fddi::FddiFrame::new_checked(buf) {
            Ok(f) => f,
            Err(e) => return self.fail(e),
        };
        if !self.push("FDDI", Layer::Proto(Proto::Fddi, buf)) {
            return;
        }
        if frame.carries_llc() {
            self.decode_llc(frame.payload());
        } else {
            // SMT and MAC frames: FDDI's own management, no record type.
            self.unknown_hex("FDDI frame control", 2, u64::from(frame.frame_control()));
        }
    }
}

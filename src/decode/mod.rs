//! Packet decoding: one file per protocol, each with a checked view over
//! borrowed bytes and the encoder that fills that protocol's record.
//!
//! A packet is decoded once into [`Layers`]; then every selected encoder
//! of the [`registry`] looks at the layers and emits its records. Adding a
//! protocol means: a message in `proto/netcap.proto`, a file here with a
//! view and an `encode` function, a dispatch arm below and one registry
//! line.

pub mod arcnet;
pub mod arista;
pub mod arp;
pub mod bfd;
pub mod cdp;
pub mod chdlc;
pub mod dhcpv4;
pub mod dhcpv6;
pub mod dns;
pub mod dot11;
pub mod dot1q;
pub mod eap;
pub mod eapol;
pub mod eapol_key;
pub mod ethernet;
pub mod ethernet_ctp;
pub mod fddi;
pub mod frame_relay;
pub mod geneve;
pub mod gre;
pub mod icmpv4;
pub mod icmpv6;
pub mod icmpv6_ndp;
pub mod igmp;
pub mod ipsec_ah;
pub mod ipsec_esp;
pub mod ipv4;
pub mod ipv6;
pub mod ipv6_fragment;
pub mod ipv6_hop_by_hop;
pub mod lcm;
pub mod link;
mod link_dispatch;
pub mod llc;
pub mod lldp;
pub mod modbus_tcp;
pub mod mpls;
pub mod nflog;
pub mod nortel_discovery;
pub mod ntp;
pub mod ospfv2;
pub mod ospfv3;
pub mod pktap;
pub mod ppi;
pub mod ppp;
pub mod radiotap;
pub mod sctp;
pub mod sip;
pub mod snap;
pub mod stp;
pub mod tcp;
#[cfg(test)]
mod test_util;
pub mod udp;
pub mod usb;
pub mod usbpcap;
pub mod vrrp;
pub mod vxlan;
pub mod wire;

use std::fmt;

/// What went wrong in one layer. The packet's earlier layers stay decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    pub layer: &'static str,
    pub kind: ErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The buffer is shorter than the header: `need` bytes, `have` bytes.
    Truncated { need: usize, have: usize },
    /// The version field does not match the protocol.
    BadVersion(u8),
    /// A header-length field is smaller than the fixed header or larger
    /// than the bytes present.
    BadHeaderLength(usize),
    /// A total-length field is smaller than the header it must contain.
    BadTotalLength(usize),
    /// Encapsulation nested deeper than we follow (VLAN tags, extension headers).
    TooDeep,
    /// A field's value breaks the protocol's rules; the text says which
    /// (e.g. "DNS name compression loop"). Static, so errors stay `Copy`.
    Malformed(&'static str),
}

impl ErrorKind {
    /// A short name, used to group errors in the summary of errors.log.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Truncated { .. } => "truncated",
            ErrorKind::BadVersion(_) => "bad version",
            ErrorKind::BadHeaderLength(_) => "bad header length",
            ErrorKind::BadTotalLength(_) => "bad total length",
            ErrorKind::TooDeep => "nested too deep",
            ErrorKind::Malformed(what) => what,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.layer)?;
        match self.kind {
            ErrorKind::Truncated { need, have } => {
                write!(f, "truncated header: need {need} bytes, have {have}")
            }
            ErrorKind::BadVersion(v) => write!(f, "bad version {v}"),
            ErrorKind::BadHeaderLength(n) => write!(f, "bad header length {n}"),
            ErrorKind::BadTotalLength(n) => write!(f, "bad total length {n}"),
            ErrorKind::TooDeep => write!(f, "encapsulation nested too deep"),
            ErrorKind::Malformed(what) => write!(f, "malformed: {what}"),
        }
    }
}

impl DecodeError {
    pub fn truncated(layer: &'static str, need: usize, have: usize) -> Self {
        DecodeError { layer, kind: ErrorKind::Truncated { need, have } }
    }
    pub fn malformed(layer: &'static str, what: &'static str) -> Self {
        DecodeError { layer, kind: ErrorKind::Malformed(what) }
    }
}

// LAYER_DISPATCH_READY: every protocol of issues 11 and 12 is dispatched below
// (the link layers beside Ethernet in `link_dispatch.rs`).

/// Most 802.1Q tags followed in one frame (QinQ uses two).
pub const MAX_VLAN_TAGS: usize = 4;
/// Most IPv6 extension headers followed before the upper layer.
const MAX_IPV6_EXTENSIONS: usize = 8;
/// Most tunnels (GRE, VXLAN, Geneve, ERSPAN, IP in IP) followed into
/// their inner packets; a deeper one is an error, never a deep recursion.
pub const MAX_TUNNELS: usize = 4;
/// Most MPLS label stack entries followed (RFC 3032 sets no limit; real
/// stacks hold 1 to 4).
pub const MAX_MPLS_LABELS: usize = 8;
/// Most layers of one packet; a packet that would need more is an error.
pub const MAX_LAYERS: usize = 24;
/// Most DNS messages taken from one TCP segment.
const MAX_DNS_PER_SEGMENT: usize = 16;

/// How decoding of a packet ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every layer was understood (application payload is not "unknown").
    Complete,
    /// Decoding stopped at a protocol no decoder understands: `what` names
    /// the field that selected it, `value` its number, written in hex with
    /// `hex_digits` digits where its registry writes it so (EtherTypes,
    /// SAPs, OUIs), in decimal when `hex_digits` is 0 (IP protocols, link
    /// types).
    Unknown { what: &'static str, value: u64, hex_digits: u8 },
    /// A layer failed to decode.
    Error(DecodeError),
}

impl Outcome {
    /// How unknown.tsv and the summary name an unknown protocol: the
    /// field and its value, e.g. `EtherType 0x88f7`, `LLC DSAP 0x42`,
    /// `SNAP OUI/PID 0x00000c010b` (OUI 00-00-0c, PID 0x010b), `IP
    /// protocol 103`. None for the other outcomes.
    pub fn unknown_label(&self) -> Option<String> {
        match *self {
            Outcome::Unknown { what, value, hex_digits: 0 } => Some(format!("{what} {value}")),
            Outcome::Unknown { what, value, hex_digits } => {
                Some(format!("{what} 0x{value:0width$x}", width = usize::from(hex_digits)))
            }
            _ => None,
        }
    }
}

/// Protocols above the network layer whose views live in their own files
/// and are kept as their checked bytes (the view is rebuilt, for the cost
/// of a length check, by the encoder that fills the record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Proto {
    Dns,
    Dhcpv4,
    Dhcpv6,
    Ntp,
    Sip,
    Bfd,
    ModbusTcp,
    Lcm,
    Igmp,
    /// VRRP over IPv4 (v2, v3).
    Vrrp,
    /// VRRP over IPv6 (v3): IPv6 addresses.
    Vrrp6,
    Ospfv2,
    Ospfv3,
    Sctp,
    IpsecAh,
    IpsecEsp,
    Gre,
    Mpls,
    Vxlan,
    Geneve,
    /// IEEE 802.2 LLC.
    Llc,
    Snap,
    Fddi,
    /// The radiotap header before an 802.11 frame.
    Radiotap,
    Eapol,
    Eap,
    EapolKey,
    Lldp,
    Cdp,
    EthernetCtp,
    NortelDiscovery,
    /// A spanning tree BPDU after LLC SAP 0x42.
    Stp,
    /// A BPDU after Cisco's SNAP PID 0x010b (PVST+): TLVs may follow it.
    PvstBpdu,
    /// Windows USBPcap's header (link type 249), for the USB record types.
    UsbPcap,
}

/// One decoded layer of a packet, borrowed from its bytes.
#[derive(Clone, Copy)]
pub enum Layer<'a> {
    Ethernet(ethernet::EthernetFrame<'a>),
    Dot1Q(dot1q::VlanTag),
    Arp(arp::ArpPacket<'a>),
    Ipv4(ipv4::Ipv4Packet<'a>),
    Ipv6(ipv6::Ipv6Packet<'a>),
    Ipv6HopByHop(ipv6_hop_by_hop::HopByHopHeader<'a>),
    Ipv6Fragment(ipv6_fragment::FragmentHeader),
    Tcp(tcp::TcpSegment<'a>),
    Udp(udp::UdpDatagram<'a>),
    Icmpv4(icmpv4::Icmpv4Packet<'a>),
    Icmpv6(icmpv6::Icmpv6Packet<'a>),
    /// An 802.11 frame (its view knows whether an FCS ends it).
    Dot11(dot11::Dot11Frame<'a>),
    /// A Linux usbmon packet (its view knows the header's size).
    Usb(usb::UsbPacket<'a>),
    /// A protocol of [`Proto`], its bytes starting at its header; its view
    /// accepted them (`new_checked`) during decoding.
    Proto(Proto, &'a [u8]),
}

impl Layer<'_> {
    /// A bit per kind of layer, for [`Layers::has`].
    fn bit(&self) -> u64 {
        let n = match self {
            Layer::Ethernet(_) => 0,
            Layer::Dot1Q(_) => 1,
            Layer::Arp(_) => 2,
            Layer::Ipv4(_) => 3,
            Layer::Ipv6(_) => 4,
            Layer::Ipv6HopByHop(_) => 5,
            Layer::Ipv6Fragment(_) => 6,
            Layer::Tcp(_) => 7,
            Layer::Udp(_) => 8,
            Layer::Icmpv4(_) => 9,
            Layer::Icmpv6(_) => 10,
            Layer::Dot11(_) => 11,
            Layer::Usb(_) => 12,
            Layer::Proto(p, _) => 16 + *p as u32,
        };
        1 << n
    }
}

/// The kinds of layer [`Layers::has`] asks about.
pub mod kind {
    pub const ETHERNET: u64 = 1 << 0;
    pub const DOT1Q: u64 = 1 << 1;
    pub const ARP: u64 = 1 << 2;
    pub const IPV4: u64 = 1 << 3;
    pub const IPV6: u64 = 1 << 4;
    pub const IPV6_HOP_BY_HOP: u64 = 1 << 5;
    pub const IPV6_FRAGMENT: u64 = 1 << 6;
    pub const TCP: u64 = 1 << 7;
    pub const UDP: u64 = 1 << 8;
    pub const ICMPV4: u64 = 1 << 9;
    pub const ICMPV6: u64 = 1 << 10;
    pub const DOT11: u64 = 1 << 11;
    pub const USB: u64 = 1 << 12;
    pub const fn proto(p: super::Proto) -> u64 {
        1 << (16 + p as u32)
    }
}

/// The views of one kind of layer in a packet, outermost first:
/// `layers_of!(l, Udp)` yields `&UdpDatagram`s.
#[macro_export]
macro_rules! layers_of {
    ($l:expr, $variant:ident) => {
        $l.layers().filter_map(|x| match x {
            $crate::decode::Layer::$variant(v) => Some(v),
            _ => None,
        })
    };
}

/// All layers of one packet, decoded once and borrowed from its bytes.
pub struct Layers<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub timestamp: i64,
    /// Bytes of the packet on the wire that the capture did not keep
    /// (snap length): a length field may point past the captured bytes
    /// by this much and still be true.
    pub uncaptured: usize,
    /// The decoded layers, outermost first; tunnels add their inner
    /// packet's layers after their own.
    stack: [Option<Layer<'a>>; MAX_LAYERS],
    len: usize,
    /// One bit per kind of layer present ([`kind`]), so that an encoder
    /// whose protocol is absent costs one test.
    present: u64,
    /// The payload of the innermost IP header that has an upper layer.
    pub ip_upper: Option<IpUpper<'a>>,
    /// Tunnels entered (GRE, VXLAN, Geneve, ERSPAN, IP in IP).
    pub tunnel_depth: u8,
    /// The innermost IP packet is the first fragment of a datagram: its
    /// transport header is decoded (and recorded), but what follows is only
    /// part of a message, decoded once the datagram is reassembled
    /// (`crate::defrag`), as Wireshark does.
    pub first_fragment: bool,
    pub outcome: Outcome,
    /// Shares byte counts between the payload entropies of nested layers.
    pub entropy: wire::EntropyMemo<'a>,
    /// Names of the layers decoded so far, in order (for errors.log).
    names: [&'static str; MAX_LAYERS],
    depth: usize,
}

/// The payload of the innermost IP header that has an upper layer.
#[derive(Clone, Copy)]
pub struct IpUpper<'a> {
    /// IP protocol number (IPv6: the next header after the extensions).
    pub protocol: u8,
    /// Captured bytes.
    pub bytes: &'a [u8],
    /// Length as the IP header declares it.
    pub declared_len: usize,
}

/// Link-layer types (LINKTYPE_* values of pcap/pcapng) that we decode.
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    /// FDDI; Wireshark reads its addresses bit-swapped (as most systems write them).
    pub const FDDI: u32 = 10;
    /// DLT_RAW as written by some BSDs.
    pub const RAW_BSD12: u32 = 12;
    pub const RAW_BSD14: u32 = 14;
    /// PPP, in HDLC-like framing or with address and control compressed.
    pub const PPP: u32 = 9;
    /// PPP in HDLC-like framing on a serial line (tcpdump's PPP_SERIAL).
    pub const PPP_HDLC: u32 = 50;
    /// A PPPoE session header without the Ethernet header.
    pub const PPP_ETHER: u32 = 51;
    /// RFC 1483 LLC-encapsulated ATM: an LLC header starts the frame.
    pub const ATM_RFC1483: u32 = 100;
    pub const RAW: u32 = 101;
    /// Cisco HDLC.
    pub const C_HDLC: u32 = 104;
    /// Frame Relay (Q.922 address, then RFC 2427 or Cisco encapsulation).
    pub const FRELAY: u32 = 107;
    /// IEEE 802.11 without a radio header.
    pub const IEEE802_11: u32 = 105;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    /// IEEE 802.11 behind a radiotap header.
    pub const IEEE802_11_RADIOTAP: u32 = 127;
    /// ARCNET with Linux's header (an offset field).
    pub const ARCNET_LINUX: u32 = 129;
    /// DLT_USER2: on macOS, where it is DLT_PKTAP, files carry PKTAP in it.
    pub const USER2_PKTAP: u32 = 149;
    /// Solaris ipnet.
    pub const IPNET: u32 = 226;
    /// Linux netfilter log (NFLOG).
    pub const NFLOG: u32 = 239;
    /// IP over InfiniBand, with its 40-byte pseudo header.
    pub const IPOIB: u32 = 242;
    /// Apple's PKTAP: a header naming the packet's own link type.
    pub const PKTAP: u32 = 258;
    /// Linux usbmon, 48-byte header.
    pub const USB_LINUX: u32 = 189;
    /// Per-Packet Information header, then the frame of the link type it names.
    pub const PPI: u32 = 192;
    /// Linux usbmon, memory-mapped 64-byte header.
    pub const USB_LINUX_MMAPPED: u32 = 220;
    /// Windows USBPcap.
    pub const USBPCAP: u32 = 249;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;

    pub fn is_supported(link: u32) -> bool {
        matches!(
            link,
            NULL | ETHERNET
                | PPP
                | FDDI
                | PPP_HDLC
                | PPP_ETHER
                | RAW_BSD12
                | RAW_BSD14
                | ATM_RFC1483
                | RAW
                | C_HDLC
                | FRELAY
                | IEEE802_11
                | LOOP
                | LINUX_SLL
                | IEEE802_11_RADIOTAP
                | ARCNET_LINUX
                | USER2_PKTAP
                | IPNET
                | NFLOG
                | IPOIB
                | PKTAP
                | USB_LINUX
                | PPI
                | USB_LINUX_MMAPPED
                | USBPCAP
                | IPV4
                | IPV6
                | LINUX_SLL2
        )
    }

    /// The names `-base` takes (tcpdump's `-y` names where they exist,
    /// and Go Netcap's `usb`), with the link type each selects.
    pub const NAMES: &[(&str, u32)] = &[
        ("ethernet", ETHERNET),
        ("en10mb", ETHERNET),
        ("null", NULL),
        ("loop", LOOP),
        ("raw", RAW),
        ("ipv4", IPV4),
        ("ipv6", IPV6),
        ("sll", LINUX_SLL),
        ("linux_sll", LINUX_SLL),
        ("sll2", LINUX_SLL2),
        ("linux_sll2", LINUX_SLL2),
        ("fddi", FDDI),
        ("ppp", PPP),
        ("ppp_serial", PPP_HDLC),
        ("ppp_ether", PPP_ETHER),
        ("pppoe", PPP_ETHER),
        ("c_hdlc", C_HDLC),
        ("chdlc", C_HDLC),
        ("frelay", FRELAY),
        ("nflog", NFLOG),
        ("pktap", PKTAP),
        ("ipoib", IPOIB),
        ("ipnet", IPNET),
        ("arcnet_linux", ARCNET_LINUX),
        ("dot11", IEEE802_11),
        ("ieee802_11", IEEE802_11),
        ("radiotap", IEEE802_11_RADIOTAP),
        ("ieee802_11_radio", IEEE802_11_RADIOTAP),
        ("ppi", PPI),
        // Go Netcap's `-base usb` decoded gopacket's USB layer: Linux usbmon
        // with the 64-byte header that usbmon's binary interface gives.
        ("usb", USB_LINUX_MMAPPED),
        ("usb_linux_mmapped", USB_LINUX_MMAPPED),
        ("usb_linux", USB_LINUX),
        ("usbpcap", USBPCAP),
    ];

    /// The link type `-base` names: a name of [`NAMES`] (any case) or a
    /// LINKTYPE_* number that netcap decodes.
    pub fn parse(text: &str) -> Result<u32, String> {
        let t = text.trim();
        if let Some(&(_, link)) = NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)) {
            return Ok(link);
        }
        match t.parse::<u32>() {
            Ok(n) if is_supported(n) => Ok(n),
            Ok(n) => Err(format!("link type {n} is not one netcap decodes")),
            Err(_) => {
                let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                Err(format!("unknown link layer {t:?}: use one of {} or a LINKTYPE_ number", names.join(", ")))
            }
        }
    }
}

/// EtherTypes that only the dispatch below needs.
mod ethertype {
    pub const MPLS_UNICAST: u16 = 0x8847;
    pub const MPLS_MULTICAST: u16 = 0x8848;
    /// Transparent Ethernet Bridging: an Ethernet frame (GRE, Geneve).
    pub const TRANSPARENT_ETHERNET: u16 = 0x6558;
    pub const ERSPAN_II: u16 = 0x88be;
    pub const ERSPAN_III: u16 = 0x22eb;
    /// Cisco MetaData (Security Group Tag) inside GRE.
    pub const CISCO_METADATA: u16 = 0x8909;
}

/// IP protocol numbers of the layers dispatched below.
mod ip_proto {
    pub const IGMP: u8 = 2;
    pub const IPV4_IN_IP: u8 = 4;
    pub const IPV6_IN_IP: u8 = 41;
    pub const GRE: u8 = 47;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const OSPF: u8 = 89;
    pub const VRRP: u8 = 112;
    pub const SCTP: u8 = 132;
}

/// The transport a payload came over, for port dispatch.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    Udp,
    Tcp,
}

impl<'a> Layers<'a> {
    /// Decodes `frame` (captured bytes of one packet) of link type `link`;
    /// `wire_len` is the packet's length on the wire (pcap's orig_len).
    pub fn decode(link: u32, timestamp: i64, frame: &'a [u8], wire_len: usize) -> Layers<'a> {
        let mut l = Layers::empty(timestamp, frame, wire_len);
        l.decode_frame(link, frame);
        l
    }

    /// No layers yet, for [`decode_frame`](Self::decode_frame) to fill in
    /// place. Why not [`decode`](Self::decode) on the hot path: these are
    /// nearly 3 KB, and returning them decoded cost a copy per packet (a
    /// struct literal is built where the caller keeps it).
    pub fn empty(timestamp: i64, frame: &'a [u8], wire_len: usize) -> Layers<'a> {
        Layers {
            timestamp,
            uncaptured: wire_len.saturating_sub(frame.len()),
            stack: [None; MAX_LAYERS],
            len: 0,
            present: 0,
            ip_upper: None,
            tunnel_depth: 0,
            first_fragment: false,
            outcome: Outcome::Complete,
            entropy: wire::EntropyMemo::new(frame),
            names: [""; MAX_LAYERS],
            depth: 0,
        }
    }

    /// Decodes `frame`, the one given to [`empty`](Self::empty), of link type `link`.
    pub fn decode_frame(&mut self, link: u32, frame: &'a [u8]) {
        self.decode_link(link, frame);
    }

    /// The decoded layers, outermost first.
    pub fn layers(&self) -> impl DoubleEndedIterator<Item = &Layer<'a>> + '_ {
        self.stack[..self.len].iter().flatten()
    }

    /// The kinds of layer present, one bit each ([`kind`]).
    pub fn kinds(&self) -> u64 {
        self.present
    }

    /// Whether a layer of one of the kinds in `mask` ([`kind`]) is present.
    #[inline]
    pub fn has(&self, mask: u64) -> bool {
        self.present & mask != 0
    }

    /// The bytes of every layer of protocol `p`, outermost first.
    pub fn proto_bytes(&self, p: Proto) -> impl Iterator<Item = &'a [u8]> + '_ {
        let present = self.has(kind::proto(p));
        self.stack[..if present { self.len } else { 0 }].iter().filter_map(move |x| match x {
            Some(Layer::Proto(q, b)) if *q == p => Some(*b),
            _ => None,
        })
    }

    /// The first (outermost) layer of a kind, e.g. `l.first(|x| match x { Layer::Tcp(t) => Some(*t), _ => None })`.
    pub fn first<T>(&self, pick: impl Fn(&Layer<'a>) -> Option<T>) -> Option<T> {
        self.layers().find_map(pick)
    }

    /// The names of the layers that decoded, outermost first.
    pub fn layer_names(&self) -> &[&'static str] {
        &self.names[..self.depth.min(self.names.len())]
    }

    /// Notes a decoded header; false (and an error) past [`MAX_LAYERS`].
    /// Every header counts, with a record or without (PPP, Arista, PKTAP,
    /// ...): a frame of headers that name one another (an Arista header
    /// naming Arista again) ends here instead of recursing once per
    /// header, whichever header it repeats.
    #[must_use]
    fn push_name(&mut self, name: &'static str) -> bool {
        match self.names.get_mut(self.depth) {
            Some(slot) => {
                *slot = name;
                self.depth += 1;
                true
            }
            None => {
                self.fail(DecodeError { layer: name, kind: ErrorKind::TooDeep });
                false
            }
        }
    }

    /// Adds a decoded layer; false (and an error) when the packet has too many.
    fn push(&mut self, name: &'static str, layer: Layer<'a>) -> bool {
        // Names are never fewer than layers: a full stack has full names.
        if !self.push_name(name) {
            return false;
        }
        match self.stack.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(layer);
                self.len += 1;
                self.present |= layer.bit();
                true
            }
            None => {
                self.fail(DecodeError { layer: name, kind: ErrorKind::TooDeep });
                false
            }
        }
    }

    fn fail(&mut self, e: DecodeError) {
        self.outcome = Outcome::Error(e);
    }

    fn unknown(&mut self, what: &'static str, value: impl Into<u64>) {
        self.outcome = Outcome::Unknown { what, value: value.into(), hex_digits: 0 };
    }

    /// [`Self::unknown`] for a number its registry writes in hex.
    fn unknown_hex(&mut self, what: &'static str, hex_digits: u8, value: impl Into<u64>) {
        self.outcome = Outcome::Unknown { what, value: value.into(), hex_digits };
    }

    /// Enters a tunnel's inner packet; false (and an error) past [`MAX_TUNNELS`].
    fn enter_tunnel(&mut self, layer: &'static str) -> bool {
        if usize::from(self.tunnel_depth) >= MAX_TUNNELS {
            self.fail(DecodeError { layer, kind: ErrorKind::TooDeep });
            return false;
        }
        self.tunnel_depth += 1;
        true
    }

    fn decode_link(&mut self, link: u32, frame: &'a [u8]) {
        use linktype::*;
        match link {
            ETHERNET => self.decode_ethernet(frame),
            RAW | RAW_BSD12 | RAW_BSD14 => self.decode_raw_ip(frame),
            IPV4 => self.decode_ipv4(frame),
            IPV6 => self.decode_ipv6(frame),
            NULL | LOOP => match link::null_family(frame, link == LOOP) {
                Ok((family, payload)) => {
                    if !self.push_name("Loopback") {
                        return;
                    }
                    match family {
                        link::AF_INET => self.decode_ipv4(payload),
                        f if link::is_af_inet6(f) => self.decode_ipv6(payload),
                        f => self.unknown("loopback address family", f),
                    }
                }
                Err(e) => self.fail(e),
            },
            LINUX_SLL | LINUX_SLL2 => match link::sll(frame, link == LINUX_SLL2) {
                Ok(header) => {
                    if !self.push_name(if link == LINUX_SLL2 { "LinuxSLL2" } else { "LinuxSLL" }) {
                        return;
                    }
                    if header.carries_ethertype() {
                        self.decode_ethertype(header.protocol, header.payload)
                    } else {
                        self.unknown_hex("SLL ARPHRD/protocol", 4, u64::from(header.protocol))
                    }
                }
                Err(e) => self.fail(e),
            },
            other => {
                if !self.decode_other_link(other, frame) {
                    self.unknown("link type", other)
                }
            }
        }
    }

    fn decode_raw_ip(&mut self, buf: &'a [u8]) {
        match buf.first().map(|b| b >> 4) {
            Some(4) => self.decode_ipv4(buf),
            Some(6) => self.decode_ipv6(buf),
            Some(v) => self.fail(DecodeError { layer: "IP", kind: ErrorKind::BadVersion(v) }),
            None => self.fail(DecodeError::truncated("IP", 1, 0)),
        }
    }

    fn decode_ethernet(&mut self, buf: &'a [u8]) {
        match ethernet::EthernetFrame::new_checked(buf) {
            Ok(frame) => {
                if !self.push("Ethernet", Layer::Ethernet(frame)) {
                    return;
                }
                let (ethertype, payload) = (frame.ethertype(), frame.payload());
                if ethertype <= llc::MAX_8023_LENGTH {
                    // An 802.3 length field: LLC follows. (1501 to 1535 are
                    // neither lengths nor EtherTypes: unknown, as in Wireshark.)
                    self.decode_8023(ethertype, payload);
                } else {
                    self.decode_ethertype(ethertype, payload);
                }
            }
            Err(e) => self.fail(e),
        }
    }

    fn decode_ethertype(&mut self, ethertype: u16, buf: &'a [u8]) {
        match ethertype {
            ethernet::ETHERTYPE_IPV4 => self.decode_ipv4(buf),
            ethernet::ETHERTYPE_IPV6 => self.decode_ipv6(buf),
            ethernet::ETHERTYPE_ARP | ethernet::ETHERTYPE_RARP => self.decode_arp(buf),
            ethernet::ETHERTYPE_VLAN | ethernet::ETHERTYPE_QINQ | ethernet::ETHERTYPE_QINQ_OLD => {
                self.decode_dot1q(buf)
            }
            ethertype::MPLS_UNICAST | ethertype::MPLS_MULTICAST => self.decode_mpls(buf),
            other => {
                if !self.decode_link_ethertype(other, buf) {
                    self.unknown_hex("EtherType", 4, u64::from(other))
                }
            }
        }
    }

    /// The payload of a tunnel header that names it by EtherType (GRE, Geneve).
    fn decode_tunnel_ethertype(&mut self, layer: &'static str, ethertype: u16, buf: &'a [u8]) {
        if !self.enter_tunnel(layer) {
            return;
        }
        match ethertype {
            ethertype::TRANSPARENT_ETHERNET => self.decode_ethernet(buf),
            other => self.decode_ethertype(other, buf),
        }
    }

    fn decode_dot1q(&mut self, buf: &'a [u8]) {
        if self.layers().filter(|x| matches!(x, Layer::Dot1Q(_))).count()
            >= MAX_VLAN_TAGS * (1 + usize::from(self.tunnel_depth))
        {
            return self.fail(DecodeError { layer: "Dot1Q", kind: ErrorKind::TooDeep });
        }
        match dot1q::VlanTag::parse(buf) {
            Ok((tag, payload)) => {
                if !self.push("Dot1Q", Layer::Dot1Q(tag)) {
                    return;
                }
                if tag.ethertype <= llc::MAX_8023_LENGTH {
                    self.decode_8023(tag.ethertype, payload);
                } else {
                    self.decode_ethertype(tag.ethertype, payload);
                }
            }
            Err(e) => self.fail(e),
        }
    }

    fn decode_arp(&mut self, buf: &'a [u8]) {
        match arp::ArpPacket::new_checked(buf) {
            Ok(p) => {
                self.push("ARP", Layer::Arp(p));
            }
            Err(e) => self.fail(e),
        }
    }

    fn decode_ipv4(&mut self, buf: &'a [u8]) {
        match ipv4::Ipv4Packet::new_checked(buf) {
            Ok(p) => {
                if !self.push("IPv4", Layer::Ipv4(p)) {
                    return;
                }
                // The upper layer of an inner packet replaces the outer one's.
                self.ip_upper = None;
                if let Err(e) = p.check_total_length() {
                    return self.fail(e);
                }
                if p.frag_offset() != 0 {
                    // A later fragment: its payload is not an upper-layer header.
                    return;
                }
                self.first_fragment = p.is_fragment();
                let on_wire = p.payload_len_on_wire(self.uncaptured);
                self.decode_ip_payload(p.protocol(), p.payload(), on_wire, false);
            }
            Err(e) => self.fail(e),
        }
    }

    fn decode_ipv6(&mut self, buf: &'a [u8]) {
        let p = match ipv6::Ipv6Packet::new_checked(buf) {
            Ok(p) => p,
            Err(e) => return self.fail(e),
        };
        if !self.push("IPv6", Layer::Ipv6(p)) {
            return;
        }
        self.ip_upper = None;
        self.first_fragment = false;
        let mut next = p.next_header();
        let mut rest = p.payload();
        // Walk the extension headers to the upper layer.
        for index in 0..=MAX_IPV6_EXTENSIONS {
            if index == MAX_IPV6_EXTENSIONS {
                return self.fail(DecodeError { layer: "IPv6", kind: ErrorKind::TooDeep });
            }
            match next {
                ipv6::NEXT_HOP_BY_HOP if index == 0 => match ipv6_hop_by_hop::HopByHopHeader::new_checked(rest) {
                    Ok(h) => {
                        if !self.push("IPv6HopByHop", Layer::Ipv6HopByHop(h)) {
                            return;
                        }
                        next = h.next_header();
                        rest = h.payload();
                    }
                    Err(e) => return self.fail(e),
                },
                ipv6::NEXT_FRAGMENT => match ipv6_fragment::FragmentHeader::parse(rest) {
                    Ok((h, payload)) => {
                        if !self.push("IPv6Fragment", Layer::Ipv6Fragment(h)) {
                            return;
                        }
                        if h.fragment_offset != 0 {
                            return;
                        }
                        self.first_fragment = h.more_fragments;
                        next = h.next_header;
                        rest = payload;
                    }
                    Err(e) => return self.fail(e),
                },
                ipv6::NEXT_ROUTING | ipv6::NEXT_DESTINATION_OPTIONS => match ipv6::skip_extension(rest) {
                    Ok((n, payload)) => {
                        next = n;
                        rest = payload;
                    }
                    Err(e) => return self.fail(e),
                },
                ipv6::NEXT_NONE => return,
                _ => break,
            }
        }
        // Extension headers consumed part of the declared payload length.
        let consumed = p.payload().len().saturating_sub(rest.len());
        let declared = p.payload_len_on_wire(self.uncaptured).saturating_sub(consumed);
        self.decode_ip_payload(next, rest, declared, true);
    }

    fn decode_ip_payload(&mut self, protocol: u8, buf: &'a [u8], declared_len: usize, over_ipv6: bool) {
        self.ip_upper = Some(IpUpper { protocol, bytes: buf, declared_len });
        match protocol {
            tcp::IP_PROTOCOL => match tcp::TcpSegment::new_checked(buf, declared_len) {
                Ok(s) => {
                    if self.push("TCP", Layer::Tcp(s)) {
                        self.decode_tcp_payload(&s);
                    }
                }
                Err(e) => self.fail(e),
            },
            udp::IP_PROTOCOL => match udp::UdpDatagram::new_checked(buf) {
                Ok(d) => {
                    if self.push("UDP", Layer::Udp(d)) {
                        self.decode_udp_payload(&d, over_ipv6);
                    }
                }
                Err(e) => self.fail(e),
            },
            icmpv4::IP_PROTOCOL if !over_ipv6 => match icmpv4::Icmpv4Packet::new_checked(buf) {
                Ok(p) => {
                    self.push("ICMPv4", Layer::Icmpv4(p));
                }
                Err(e) => self.fail(e),
            },
            icmpv6::IP_PROTOCOL if over_ipv6 => match icmpv6::Icmpv6Packet::new_checked(buf) {
                Ok(p) => {
                    self.push("ICMPv6", Layer::Icmpv6(p));
                }
                Err(e) => self.fail(e),
            },
            ip_proto::IPV4_IN_IP => {
                if self.enter_tunnel("IPv4") {
                    self.decode_ipv4(buf)
                }
            }
            ip_proto::IPV6_IN_IP => {
                if self.enter_tunnel("IPv6") {
                    self.decode_ipv6(buf)
                }
            }
            ip_proto::IGMP if !over_ipv6 => match buf.first() {
                Some(&t) if !igmp::is_membership_type(t) => self.unknown_hex("IGMP type", 2, u64::from(t)),
                _ => {
                    self.decode_proto(Proto::Igmp, buf);
                }
            },
            ip_proto::SCTP => {
                self.decode_proto(Proto::Sctp, buf);
            }
            ip_proto::ESP => {
                self.decode_proto(Proto::IpsecEsp, buf);
            }
            ip_proto::AH => self.decode_ah(buf, declared_len, over_ipv6),
            ip_proto::OSPF => match buf.first() {
                Some(2) => {
                    self.decode_proto(Proto::Ospfv2, buf);
                }
                Some(3) => {
                    self.decode_proto(Proto::Ospfv3, buf);
                }
                Some(&v) => self.fail(DecodeError { layer: "OSPF", kind: ErrorKind::BadVersion(v) }),
                None => self.fail(DecodeError::truncated("OSPF", 1, 0)),
            },
            ip_proto::VRRP => {
                self.decode_proto(if over_ipv6 { Proto::Vrrp6 } else { Proto::Vrrp }, buf);
            }
            ip_proto::GRE => self.decode_gre(buf),
            other => self.unknown("IP protocol", u64::from(other)),
        }
    }

    /// Checks `buf` with protocol `p`'s view and adds it as a layer;
    /// whether it was added.
    fn decode_proto(&mut self, p: Proto, buf: &'a [u8]) -> bool {
        match proto_check(p, buf) {
            Ok(()) => self.push(proto_name(p), Layer::Proto(p, buf)),
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }

    fn decode_ah(&mut self, buf: &'a [u8], declared_len: usize, over_ipv6: bool) {
        let Ok(ah) = ipsec_ah::AhHeader::new_checked(buf) else {
            self.decode_proto(Proto::IpsecAh, buf);
            return;
        };
        if self.decode_proto(Proto::IpsecAh, buf) {
            let rest = ah.payload();
            let declared = declared_len.saturating_sub(buf.len().saturating_sub(rest.len()));
            self.decode_ip_payload(ah.next_header(), rest, declared, over_ipv6);
        }
    }

    fn decode_gre(&mut self, buf: &'a [u8]) {
        let Ok(gre) = gre::GrePacket::new_checked(buf) else {
            self.decode_proto(Proto::Gre, buf);
            return;
        };
        if !self.decode_proto(Proto::Gre, buf) {
            return;
        }
        let (protocol, payload) = (gre.protocol(), gre.payload());
        if payload.is_empty() {
            // Nothing after the header (a keepalive, or cut by the capture).
            return;
        }
        match protocol {
            ethertype::ERSPAN_II | ethertype::ERSPAN_III => match gre::erspan_payload(&gre) {
                Ok(gre::ErspanInner::Ethernet(inner)) => {
                    if !self.push_name("ERSPAN") {
                        return;
                    }
                    if self.enter_tunnel("ERSPAN") {
                        self.decode_ethernet(inner)
                    }
                }
                Ok(gre::ErspanInner::Version(v)) => self.unknown("ERSPAN version", v),
                Ok(gre::ErspanInner::FrameType(t)) => self.unknown("ERSPAN frame type", t),
                // A type I header with nothing after it (cut by the capture).
                Ok(gre::ErspanInner::Nothing) => {
                    // Past MAX_LAYERS push_name has set the error itself.
                    let _ = self.push_name("ERSPAN");
                }
                Ok(gre::ErspanInner::NotErspan) => self.decode_tunnel_ethertype("GRE", protocol, payload),
                Err(e) => self.fail(e),
            },
            // WCCP redirects an IPv4 packet (the view skipped the redirect header).
            gre::PROTO_WCCP => self.decode_tunnel_ethertype("GRE", ethernet::ETHERTYPE_IPV4, payload),
            ethertype::CISCO_METADATA => {
                // Cisco MetaData (SGT): 8 bytes whose first two name the
                // inner packet's EtherType, then that packet.
                match payload.get(8..) {
                    Some(inner) => self.decode_tunnel_ethertype("GRE", wire::be16(payload, 0), inner),
                    None => self.fail(DecodeError::truncated("CiscoMetaData", 8, payload.len())),
                }
            }
            _ => self.decode_tunnel_ethertype("GRE", protocol, payload),
        }
    }

    fn decode_mpls(&mut self, mut buf: &'a [u8]) {
        for _ in 0..MAX_MPLS_LABELS {
            let label = match mpls::MplsLabel::new_checked(buf) {
                Ok(label) => label,
                Err(e) => return self.fail(e),
            };
            if !self.push("MPLS", Layer::Proto(Proto::Mpls, buf)) {
                return;
            }
            buf = label.payload();
            if label.bottom() {
                return match mpls::inner_after_label(&label) {
                    mpls::MplsPayload::Ipv4(ip) => self.decode_ipv4(ip),
                    mpls::MplsPayload::Ipv6(ip) => self.decode_ipv6(ip),
                    mpls::MplsPayload::Ethernet(frame) => {
                        if self.enter_tunnel("MPLS") {
                            self.decode_ethernet(frame)
                        }
                    }
                    // Nothing after the stack (cut by the capture): done.
                    mpls::MplsPayload::Unknown([]) => {}
                    mpls::MplsPayload::Unknown(rest) => {
                        self.unknown("MPLS payload first nibble", u64::from(rest.first().map_or(0, |b| b >> 4)))
                    }
                };
            }
        }
        self.fail(DecodeError { layer: "MPLS", kind: ErrorKind::TooDeep })
    }

    /// TCP payloads of protocols Wireshark finds by port (DNS, SIP, Modbus).
    fn decode_tcp_payload(&mut self, s: &tcp::TcpSegment<'a>) {
        if self.first_fragment {
            return;
        }
        let payload = s.payload();
        if payload.is_empty() {
            return;
        }
        let p = match port_protocol(Transport::Tcp, s.src_port(), s.dst_port()) {
            // A segment that continues a SIP message, or a keep-alive, is
            // not a message of its own.
            Some(Proto::Sip) if !sip_start(payload) => return,
            Some(p) => p,
            None if sip_start(payload) => Proto::Sip,
            None => return,
        };
        match p {
            Proto::Dns => {
                // RFC 1035 4.2.2: each message is preceded by its length.
                // A message that continues in a later segment needs stream
                // reassembly and is not decoded here.
                let mut rest = payload;
                for _ in 0..MAX_DNS_PER_SEGMENT {
                    let n = usize::from(wire::be16(rest, 0));
                    let Some(msg) = rest.get(2..2 + n) else { return };
                    if rest.len() < 2 || !self.decode_proto(Proto::Dns, msg) {
                        return;
                    }
                    rest = rest.get(2 + n..).unwrap_or_default();
                    if rest.len() < 2 {
                        return;
                    }
                }
            }
            Proto::ModbusTcp => {
                for frame in modbus_tcp::split(payload) {
                    if !self.decode_proto(Proto::ModbusTcp, frame) {
                        return;
                    }
                }
            }
            other => {
                self.decode_proto(other, payload);
            }
        }
    }

    /// UDP payloads of protocols Wireshark finds by port or by content.
    fn decode_udp_payload(&mut self, d: &udp::UdpDatagram<'a>, over_ipv6: bool) {
        if self.first_fragment {
            return;
        }
        let payload = d.payload();
        // A length field below the header's 8 bytes says nothing about the
        // payload, except 0 over IPv6: a jumbogram's (RFC 2675), as BIG TCP
        // sends them. Wireshark stops at such a UDP header over IPv4.
        if payload.is_empty() || (d.length() < 8 && !(over_ipv6 && d.length() == 0)) {
            return;
        }
        let p = match port_protocol(Transport::Udp, d.src_port(), d.dst_port()) {
            // RFC 3948: UDP 4500 carries ESP unless it starts with the
            // non-ESP marker (IKE) or is a NAT keepalive.
            Some(Proto::IpsecEsp) if !ipsec_esp::is_udp_encapsulated(payload) => return,
            Some(Proto::Sip) if sip::is_keepalive(payload) => return,
            Some(p) => p,
            None if lcm::has_magic(payload) => Proto::Lcm,
            None if sip_start(payload) => Proto::Sip,
            None => return,
        };
        match p {
            Proto::Vxlan => {
                if let Ok(v) = vxlan::VxlanHeader::new_checked(payload) {
                    if self.decode_proto(Proto::Vxlan, payload) && self.enter_tunnel("VXLAN") {
                        self.decode_ethernet(v.payload());
                    }
                } else {
                    self.decode_proto(Proto::Vxlan, payload);
                }
            }
            Proto::Geneve => {
                if let Ok(g) = geneve::GeneveHeader::new_checked(payload) {
                    if self.decode_proto(Proto::Geneve, payload) {
                        self.decode_tunnel_ethertype("Geneve", g.protocol(), g.payload());
                    }
                } else {
                    self.decode_proto(Proto::Geneve, payload);
                }
            }
            Proto::Mpls => self.decode_mpls(payload),
            other => {
                self.decode_proto(other, payload);
            }
        }
    }
}

/// Whether a TCP or UDP payload starts a SIP message, as Wireshark's SIP
/// heuristic finds SIP on any port. The first byte rules out nearly all
/// other traffic (binary protocols, TLS) before the request line is read.
fn sip_start(payload: &[u8]) -> bool {
    if !payload.first().is_some_and(|b| b.is_ascii_uppercase()) {
        return false;
    }
    // A request line ends with the version, a status line starts with it;
    // HTTP's lines (the usual text on TCP) fail here, before the parser.
    let head = payload.get(..payload.len().min(1024)).unwrap_or_default();
    let line = head.get(..memchr::memchr2(b'\r', b'\n', head).unwrap_or(head.len())).unwrap_or_default();
    let version = |s: Option<&[u8]>| s.is_some_and(|v| v.eq_ignore_ascii_case(b"SIP/2.0"));
    let request = version(line.len().checked_sub(7).and_then(|at| line.get(at..)));
    let status = version(line.get(..7));
    (request || status) && sip::looks_like_sip(payload)
}

/// The protocol Wireshark gives a TCP or UDP payload by its ports, by
/// default: the lower port is tried first, as Wireshark's "try heuristic
/// sub-dissectors first" is off and its port tables are tried low to high.
fn port_protocol(t: Transport, src: u16, dst: u16) -> Option<Proto> {
    let by_port = |port: u16| -> Option<Proto> {
        match (t, port) {
            (_, 53 | 5353 | 5355) => Some(Proto::Dns),
            (Transport::Udp, 67 | 68) => Some(Proto::Dhcpv4),
            (Transport::Udp, 546 | 547) => Some(Proto::Dhcpv6),
            (Transport::Udp, 123) => Some(Proto::Ntp),
            (_, 5060) => Some(Proto::Sip),
            // Single-hop, multihop, LAG micro-BFD (RFC 7130) and S-BFD
            // (RFC 7880) control packets; 3785 carries echo packets, whose
            // contents are the sender's own and not BFD control packets.
            (Transport::Udp, 3784 | 4784 | 6784 | 7784) => Some(Proto::Bfd),
            (Transport::Udp, mpls::UDP_PORT) => Some(Proto::Mpls),
            (Transport::Udp, 4789) => Some(Proto::Vxlan),
            (Transport::Udp, 6081) => Some(Proto::Geneve),
            (Transport::Tcp, 502) => Some(Proto::ModbusTcp),
            (Transport::Udp, 4500) => Some(Proto::IpsecEsp),
            _ => None,
        }
    };
    let (low, high) = if src <= dst { (src, dst) } else { (dst, src) };
    by_port(low).or_else(|| by_port(high))
}

/// The record type (and errors.log layer name) of a [`Proto`].
pub fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Dns => "DNS",
        Proto::Dhcpv4 => "DHCPv4",
        Proto::Dhcpv6 => "DHCPv6",
        Proto::Ntp => "NTP",
        Proto::Sip => "SIP",
        Proto::Bfd => "BFD",
        Proto::ModbusTcp => "ModbusTCP",
        Proto::Lcm => "LCM",
        Proto::Igmp => "IGMP",
        Proto::Vrrp | Proto::Vrrp6 => "VRRP",
        Proto::Ospfv2 => "OSPFv2",
        Proto::Ospfv3 => "OSPFv3",
        Proto::Sctp => "SCTP",
        Proto::IpsecAh => "IPSecAH",
        Proto::IpsecEsp => "IPSecESP",
        Proto::Gre => "GRE",
        Proto::Mpls => "MPLS",
        Proto::Vxlan => "VXLAN",
        Proto::Geneve => "Geneve",
        Proto::Llc => "LLC",
        Proto::Snap => "SNAP",
        Proto::Fddi => "FDDI",
        Proto::Radiotap => "RadioTap",
        Proto::Eapol => "EAPOL",
        Proto::Eap => "EAP",
        Proto::EapolKey => "EAPOLKey",
        Proto::Lldp => "LinkLayerDiscovery",
        Proto::Cdp => "CiscoDiscovery",
        Proto::EthernetCtp => "EthernetCTP",
        Proto::NortelDiscovery => "NortelDiscovery",
        Proto::Stp | Proto::PvstBpdu => "STP",
        Proto::UsbPcap => "USB",
    }
}

/// Runs protocol `p`'s checked constructor over `buf`.
fn proto_check(p: Proto, buf: &[u8]) -> Result<(), DecodeError> {
    match p {
        Proto::Dns => dns::DnsMessage::new_checked(buf).map(drop),
        Proto::Dhcpv4 => dhcpv4::Dhcpv4Packet::new_checked(buf).map(drop),
        Proto::Dhcpv6 => dhcpv6::Dhcpv6Message::new_checked(buf).map(drop),
        Proto::Ntp => ntp::NtpPacket::new_checked(buf).map(drop),
        Proto::Sip => sip::SipMessage::new_checked(buf).map(drop),
        Proto::Bfd => bfd::BfdPacket::new_checked(buf).map(drop),
        Proto::ModbusTcp => modbus_tcp::ModbusTcpFrame::new_checked(buf).map(drop),
        Proto::Lcm => lcm::LcmDatagram::new_checked(buf).map(drop),
        Proto::Igmp => igmp::IgmpPacket::new_checked(buf).map(drop),
        Proto::Vrrp => vrrp::VrrpPacket::new_checked(buf, false).map(drop),
        Proto::Vrrp6 => vrrp::VrrpPacket::new_checked(buf, true).map(drop),
        Proto::Ospfv2 => ospfv2::Ospfv2Packet::new_checked(buf).map(drop),
        Proto::Ospfv3 => ospfv3::Ospfv3Packet::new_checked(buf).map(drop),
        Proto::Sctp => sctp::SctpPacket::new_checked(buf).map(drop),
        Proto::IpsecAh => ipsec_ah::AhHeader::new_checked(buf).map(drop),
        Proto::IpsecEsp => ipsec_esp::EspPacket::new_checked(buf).map(drop),
        Proto::Gre => gre::GrePacket::new_checked(buf).map(drop),
        Proto::Mpls => mpls::MplsLabel::new_checked(buf).map(drop),
        Proto::Vxlan => vxlan::VxlanHeader::new_checked(buf).map(drop),
        Proto::Geneve => geneve::GeneveHeader::new_checked(buf).map(drop),
        Proto::Llc => llc::LlcHeader::new_checked(buf).map(drop),
        Proto::Snap => snap::SnapHeader::new_checked(buf).map(drop),
        Proto::Fddi => fddi::FddiFrame::new_checked(buf).map(drop),
        Proto::Radiotap => radiotap::RadiotapHeader::new_checked(buf).map(drop),
        Proto::Eapol => eapol::EapolFrame::new_checked(buf).map(drop),
        Proto::Eap => eap::EapPacket::new_checked(buf).map(drop),
        Proto::EapolKey => eapol_key::EapolKey::new_checked(buf).map(drop),
        Proto::Lldp => lldp::LldpFrame::new_checked(buf).map(drop),
        Proto::Cdp => cdp::CdpPacket::new_checked(buf).map(drop),
        Proto::EthernetCtp => ethernet_ctp::EthernetCtp::new_checked(buf).map(drop),
        Proto::NortelDiscovery => nortel_discovery::NortelDiscovery::new_checked(buf).map(drop),
        Proto::Stp | Proto::PvstBpdu => stp::Bpdu::new_checked(buf).map(drop),
        Proto::UsbPcap => usbpcap::UsbPcapPacket::new_checked(buf).map(drop),
    }
}

/// Per-run settings the encoders read.
#[derive(Debug, Clone, Copy, Default)]
pub struct EncodeConfig {
    /// Keep payload bytes in TCP/UDP records (`-payload`).
    pub include_payload: bool,
}

/// Where an encoder puts its records: the length-delimited protobuf bytes
/// of one record type for the current batch of packets.
pub struct Emitter<'b> {
    buf: &'b mut Vec<u8>,
    count: &'b mut u64,
    /// Frame number of the packet the records come from (0: none, as for
    /// flow records), appended to each record as `FrameNumber`.
    frame: u64,
}

/// Field number of `FrameNumber` in every per-packet record (the schema's
/// conventions; build.rs checks that every `FrameNumber` field has it).
pub const FRAME_NUMBER_FIELD: u32 = 100;

impl<'b> Emitter<'b> {
    pub fn new(buf: &'b mut Vec<u8>, count: &'b mut u64) -> Self {
        Emitter { buf, count, frame: 0 }
    }

    /// An emitter whose records carry `FrameNumber = frame` (1-based).
    pub fn for_frame(buf: &'b mut Vec<u8>, count: &'b mut u64, frame: u64) -> Self {
        Emitter { buf, count, frame }
    }

    pub fn emit(&mut self, record: &impl prost::Message) {
        use prost::encoding::{encode_key, encode_varint, WireType};
        // The length prefix is written after the record: computing it first
        // (`encoded_len`) walked every field a second time. One byte is kept
        // for it, enough for records under 128 bytes (Ethernet, IPv4, TCP,
        // UDP: most of them); a longer record moves over to make room.
        let start = self.buf.len();
        self.buf.push(0);
        record.encode_raw(self.buf);
        // FrameNumber goes after the encoder's fields: protobuf readers take
        // fields in any order, and appending needs no change to any encoder.
        if self.frame != 0 {
            encode_key(FRAME_NUMBER_FIELD, WireType::Varint, self.buf);
            encode_varint(self.frame, self.buf);
        }
        let len = self.buf.len() - start - 1;
        if len < 0x80 {
            if let Some(prefix) = self.buf.get_mut(start) {
                *prefix = len as u8;
            }
        } else {
            let mut prefix = [0u8; 10];
            let mut room = &mut prefix[..];
            encode_varint(len as u64, &mut room);
            let used = 10 - room.len();
            self.buf.splice(start..=start, prefix.into_iter().take(used));
        }
        *self.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Arista's header names the next EtherType; a frame of nested headers
    /// (12 bytes each) must end in an error, not recurse once per header:
    /// 20,000 of them on a 256 KiB stack. Wireshark follows nested ones,
    /// so netcap does too, up to [`MAX_LAYERS`] headers.
    #[test]
    fn nested_arista_headers_are_an_error_not_a_deep_recursion() {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&0xd28bu16.to_be_bytes());
        for _ in 0..20_000 {
            frame.extend_from_slice(&[0, 1, 0, 0x20, 0, 0, 0, 0, 0, 0, 0xd2, 0x8b]);
        }
        let decoded = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let layers = Layers::decode(1, 0, &frame, frame.len());
                let names = layers.layer_names().to_vec();
                match layers.outcome {
                    Outcome::Error(e) => Some((e.layer, e.kind, names)),
                    _ => None,
                }
            })
            .expect("thread")
            .join()
            .expect("no stack overflow");
        // Release builds may turn the tail calls into a loop; the bound must
        // not depend on that: the header past the limit is the error.
        let (layer, kind, names) = decoded.expect("an error outcome");
        assert_eq!((layer, kind), ("Arista", ErrorKind::TooDeep));
        assert_eq!(names.len(), MAX_LAYERS);
        assert_eq!(names.first(), Some(&"Ethernet"));
        assert!(names.iter().skip(1).all(|n| *n == "Arista"), "{names:?}");
    }

    /// A TCP record as read back: the fields the test sets, and FrameNumber
    /// (which the generated structs leave to the emitter).
    #[derive(Clone, PartialEq, prost::Message)]
    struct FramedTcp {
        #[prost(int32, tag = "2")]
        src_port: i32,
        #[prost(bytes = "vec", tag = "23")]
        payload: Vec<u8>,
        #[prost(uint64, tag = "100")]
        frame_number: u64,
    }

    #[test]
    fn emitted_records_of_every_length_read_back_with_their_frame_numbers() {
        use prost::Message;
        let (mut buf, mut count) = (Vec::new(), 0);
        // Prefixes of one, two and three bytes.
        let sizes = [0usize, 100, 126, 127, 200, 16_383, 20_000];
        for (i, &n) in sizes.iter().enumerate() {
            let record =
                crate::schema::pb::Tcp { src_port: 1 + i as i32, payload: vec![0xab; n], ..Default::default() };
            Emitter::for_frame(&mut buf, &mut count, 1000 + i as u64).emit(&record);
        }
        assert_eq!(count, sizes.len() as u64);
        let mut rest = buf.as_slice();
        for (i, &n) in sizes.iter().enumerate() {
            let r = FramedTcp::decode_length_delimited(&mut rest).expect("a record");
            assert_eq!((r.src_port, r.payload.len(), r.frame_number), (1 + i as i32, n, 1000 + i as u64));
        }
        assert!(rest.is_empty());
    }

    /// Ethernet + IPv4 (total length `total`) + a 32-byte TCP header, no payload bytes.
    fn tcp_frame(total: u16) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        f[16..18].copy_from_slice(&total.to_be_bytes());
        let mut tcp = [0u8; 32];
        tcp[12] = 0x80;
        f.extend_from_slice(&tcp);
        f
    }

    #[test]
    fn frame_relay_snap_follows_both_ethertype_ouis() {
        // RFC 2427 5.3: address 48 01, UI, pad, NLPID 0x80, SNAP with OUI
        // 0 (RFC 1042) or 0x0000f8 (802.1H), EtherType IPv4, then a bare
        // IPv4 header (protocol 0xfd, experimental).
        let ip = test_util::hex("4500 0014 0000 0000 40fd 0000 0a000001 0a000002");
        for oui in ["000000", "0000f8"] {
            let mut f = test_util::hex(&format!("4801 03 00 80 {oui} 0800"));
            f.extend_from_slice(&ip);
            let l = Layers::decode(linktype::FRELAY, 0, &f, f.len());
            assert_eq!(l.layer_names(), ["FrameRelay", "IPv4"], "OUI {oui}");
        }
        // Another OUI (802.1 bridged, 0x0080c2) names no EtherType.
        let f = test_util::hex("4801 03 00 80 0080c2 0007 00");
        let l = Layers::decode(linktype::FRELAY, 0, &f, f.len());
        assert_eq!(l.outcome.unknown_label().as_deref(), Some("Frame Relay SNAP OUI 0x0080c2"));
        // A SNAP header cut short is an error naming SNAP.
        let f = test_util::hex("4801 03 00 80 0000");
        let l = Layers::decode(linktype::FRELAY, 0, &f, f.len());
        assert!(matches!(l.outcome, Outcome::Error(DecodeError { layer: "SNAP", .. })), "{:?}", l.outcome);
    }

    #[test]
    fn unknown_protocols_are_named_as_their_registries_write_them() {
        let label = |link, f: &str| {
            let f = test_util::hex(f);
            Layers::decode(link, 0, &f, f.len()).outcome.unknown_label()
        };
        let macs = "0180c2000000 001122334455";
        // tcpdump/tests/rpvstp-trunk-native-vid5.pcap frame 12: LLC/SNAP, OUI
        // 00-00-0c, PID 0x2003 (Cisco VTP), which no decoder reads: both
        // numbers whole (a u32 once held OUI << 8 ^ PID, "11267").
        let snap = format!("{macs} 0032 aaaa03 00000c 2003 0000");
        assert_eq!(label(linktype::ETHERNET, &snap).as_deref(), Some("SNAP OUI/PID 0x00000c2003"));
        // IS-IS and other OSI network layers: LLC DSAP 0xfe.
        let osi = format!("{macs} 0026 fefe03 83 00");
        assert_eq!(label(linktype::ETHERNET, &osi).as_deref(), Some("LLC DSAP 0xfe"));
        assert_eq!(label(linktype::ETHERNET, "000000000000 000000000000 88f7 00").as_deref(), Some("EtherType 0x88f7"));
        // ERSPAN type III with frame type 7 (erspan-type-iii-ft-7.pcap's GRE
        // payload; tshark: erspan.ft 7, data): the frame type, not the GRE
        // protocol, is what is unknown.
        let ipv4_gre = "0800 4500 0030 0000 0000 402f 0000 c0000201 c0000202";
        let ft7 = format!("{macs} {ipv4_gre} 100022eb0000bade 2001186534760b0100001e000000abc500004b87");
        assert_eq!(label(linktype::ETHERNET, &ft7).as_deref(), Some("ERSPAN frame type 7"));
        // IP protocol numbers and link types stay decimal, as IANA lists them.
        assert_eq!(label(9999, "00").as_deref(), Some("link type 9999"));
        assert_eq!(Outcome::Complete.unknown_label(), None);
    }

    #[test]
    fn bpdus_after_llc_and_snap_and_garp_frames_apart() {
        let tcn = "0000 00 80";
        // 802.3 to the bridge group address, LLC 42 42 03, a TCN BPDU.
        let f = test_util::hex(&format!("0180c2000000 001122334455 0007 424203 {tcn}"));
        let l = Layers::decode(linktype::ETHERNET, 0, &f, f.len());
        assert_eq!(l.layer_names(), ["Ethernet", "LLC", "STP"]);
        assert_eq!(l.proto_bytes(Proto::Stp).count(), 1);
        // PVST+ in SNAP (Cisco PID 0x010b).
        let f = test_util::hex(&format!("01000ccccccd 001122334455 000c aaaa03 00000c 010b {tcn}"));
        let l = Layers::decode(linktype::ETHERNET, 0, &f, f.len());
        assert_eq!(l.layer_names(), ["Ethernet", "LLC", "SNAP", "STP"]);
        assert_eq!(l.proto_bytes(Proto::PvstBpdu).count(), 1);
        // The same LLC header to GVRP's address is GARP, not a BPDU.
        let f = test_util::hex(&format!("0180c2000021 001122334455 0007 424203 {tcn}"));
        let l = Layers::decode(linktype::ETHERNET, 0, &f, f.len());
        assert_eq!(l.outcome.unknown_label().as_deref(), Some("GARP application 0x21"));
        assert_eq!(l.proto_bytes(Proto::Stp).count(), 0);
    }

    #[test]
    fn garp_frames_apart_from_bpdus_where_wireshark_checks_the_link_destination() {
        let tcn = "0000 00 80";
        let garp = |link: u32, frame: &str| {
            let f = test_util::hex(frame);
            let l = Layers::decode(link, 0, &f, f.len());
            (l.outcome.unknown_label(), l.proto_bytes(Proto::Stp).count())
        };
        // 802.11: tshark 4.0 shows both as wlan:llc:stp, though their DAs
        // are GMRP's and GVRP's: its BPDU dissector checks only link
        // addresses of the Ethernet type, and 802.11 has a type of its own.
        for (ds, addr1, addr3) in [("01", "00aabbccddee", "0180c2000020"), ("02", "0180c200000d", "00aabbccddee")] {
            let frame = format!("08{ds} 0000 {addr1} 001122334455 {addr3} 0000 424203 {tcn}");
            assert_eq!(garp(linktype::IEEE802_11, &frame), (None, 1));
        }
        // FDDI carries addresses bit-reversed: 80 01 43 00 00 84 is
        // 01:80:c2:00:00:21, GVRP, as tshark's fddi.dst shows it.
        let fddi = format!("50 800143000084 001122334455 424203 {tcn}");
        assert_eq!(garp(linktype::FDDI, &fddi).0.as_deref(), Some("GARP application 0x21"));
        let fddi_bpdu = format!("50 800143000000 001122334455 424203 {tcn}");
        assert_eq!(garp(linktype::FDDI, &fddi_bpdu), (None, 1));
    }

    #[test]
    fn rarp_is_an_arp_record() {
        // tcpdump/tests/getname_2_read4_asan.pcap: EtherType 0x8035, opcode 4.
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x80, 0x35, 0xff, 0x00, 0x8b, 0x01, 0x00, 0x00, 0x00, 0x04]);
        let l = Layers::decode(linktype::ETHERNET, 0, &f, f.len());
        assert_eq!(crate::layers_of!(l, Arp).next().map(|a| (a.hw_type(), a.operation())), Some((0xff00, 4)));
        assert_eq!(l.outcome, Outcome::Complete);
    }

    #[test]
    fn tcp_payload_size_is_what_the_wire_carried() {
        // tcpdump/tests/kday4.pcap frame 10: IPv4 says 820 bytes, the
        // 66-byte frame (not cut by the capture) holds 52: no payload.
        let frame = tcp_frame(820);
        let l = Layers::decode(linktype::ETHERNET, 0, &frame, frame.len());
        assert_eq!(crate::layers_of!(l, Tcp).next().map(|t| t.payload_len()), Some(0));
        // The same frame cut by a snap length from 834 bytes: 768.
        let l = Layers::decode(linktype::ETHERNET, 0, &frame, 834);
        assert_eq!(crate::layers_of!(l, Tcp).next().map(|t| t.payload_len()), Some(768));
    }
}

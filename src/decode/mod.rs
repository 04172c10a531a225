//! Packet decoding: one file per protocol, each with a checked view over
//! borrowed bytes and the encoder that fills that protocol's record.
//!
//! A packet is decoded once into [`Layers`]; then every selected encoder
//! of the [`registry`] looks at the layers and emits its records. Adding a
//! protocol means: a message in `proto/netcap.proto`, a file here with a
//! view and an `encode` function, a dispatch arm below and one registry
//! line.

pub mod arp;
pub mod dot1q;
pub mod ethernet;
pub mod icmpv4;
pub mod icmpv6;
pub mod icmpv6_ndp;
pub mod ipv4;
pub mod ipv6;
pub mod ipv6_fragment;
pub mod ipv6_hop_by_hop;
pub mod link;
pub mod registry;
pub mod tcp;
pub mod udp;
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
        }
    }
}

impl DecodeError {
    pub fn truncated(layer: &'static str, need: usize, have: usize) -> Self {
        DecodeError { layer, kind: ErrorKind::Truncated { need, have } }
    }
}

/// Most 802.1Q tags followed in one frame (QinQ uses two).
pub const MAX_VLAN_TAGS: usize = 4;
/// Most IPv6 extension headers followed before the upper layer.
const MAX_IPV6_EXTENSIONS: usize = 8;

/// How decoding of a packet ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every layer was understood (application payload is not "unknown").
    Complete,
    /// Decoding stopped at a protocol no decoder understands: `what` names
    /// the field that selected it, `value` its number.
    Unknown { what: &'static str, value: u32 },
    /// A layer failed to decode.
    Error(DecodeError),
}

/// All layers of one packet, decoded once and borrowed from its bytes.
pub struct Layers<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub timestamp: i64,
    /// Bytes of the packet on the wire that the capture did not keep
    /// (snap length): a length field may point past the captured bytes
    /// by this much and still be true.
    pub uncaptured: usize,
    pub ethernet: Option<ethernet::EthernetFrame<'a>>,
    pub vlan_tags: [Option<dot1q::VlanTag>; MAX_VLAN_TAGS],
    pub arp: Option<arp::ArpPacket<'a>>,
    pub ipv4: Option<ipv4::Ipv4Packet<'a>>,
    pub ipv6: Option<ipv6::Ipv6Packet<'a>>,
    pub ipv6_hop_by_hop: Option<ipv6_hop_by_hop::HopByHopHeader<'a>>,
    pub ipv6_fragment: Option<ipv6_fragment::FragmentHeader>,
    pub tcp: Option<tcp::TcpSegment<'a>>,
    pub udp: Option<udp::UdpDatagram<'a>>,
    pub icmpv4: Option<icmpv4::Icmpv4Packet<'a>>,
    pub icmpv6: Option<icmpv6::Icmpv6Packet<'a>>,
    /// The IP payload handed to the upper layer (after IPv6 extension
    /// headers), whether or not a decoder understood it: flows read the
    /// protocol, its declared length and SCTP ports from it.
    pub ip_upper: Option<IpUpper<'a>>,
    pub outcome: Outcome,
    /// Shares byte counts between the payload entropies of nested layers.
    pub entropy: wire::EntropyMemo<'a>,
    /// Names of the layers decoded so far, in order (for errors.log).
    names: [&'static str; 12],
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
    /// DLT_RAW as written by some BSDs.
    pub const RAW_BSD12: u32 = 12;
    pub const RAW_BSD14: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;

    pub fn is_supported(link: u32) -> bool {
        matches!(
            link,
            NULL | ETHERNET | RAW_BSD12 | RAW_BSD14 | RAW | LOOP | LINUX_SLL | IPV4 | IPV6 | LINUX_SLL2
        )
    }
}

impl<'a> Layers<'a> {
    /// Decodes `frame` (captured bytes of one packet) of link type `link`;
    /// `wire_len` is the packet's length on the wire (pcap's orig_len).
    pub fn decode(link: u32, timestamp: i64, frame: &'a [u8], wire_len: usize) -> Layers<'a> {
        let mut l = Layers {
            timestamp,
            uncaptured: wire_len.saturating_sub(frame.len()),
            ethernet: None,
            vlan_tags: [None; MAX_VLAN_TAGS],
            arp: None,
            ipv4: None,
            ipv6: None,
            ipv6_hop_by_hop: None,
            ipv6_fragment: None,
            tcp: None,
            udp: None,
            icmpv4: None,
            icmpv6: None,
            ip_upper: None,
            outcome: Outcome::Complete,
            entropy: wire::EntropyMemo::new(frame),
            names: [""; 12],
            depth: 0,
        };
        l.decode_link(link, frame);
        l
    }

    /// The names of the layers that decoded, outermost first.
    pub fn layer_names(&self) -> &[&'static str] {
        &self.names[..self.depth.min(self.names.len())]
    }

    fn push_name(&mut self, name: &'static str) {
        if let Some(slot) = self.names.get_mut(self.depth) {
            *slot = name;
            self.depth += 1;
        }
    }

    fn fail(&mut self, e: DecodeError) {
        self.outcome = Outcome::Error(e);
    }

    fn unknown(&mut self, what: &'static str, value: u32) {
        self.outcome = Outcome::Unknown { what, value };
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
                    self.push_name("Loopback");
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
                    self.push_name(if link == LINUX_SLL2 { "LinuxSLL2" } else { "LinuxSLL" });
                    if header.carries_ethertype() {
                        self.decode_ethertype(header.protocol, header.payload)
                    } else {
                        self.unknown("SLL ARPHRD/protocol", u32::from(header.protocol))
                    }
                }
                Err(e) => self.fail(e),
            },
            other => self.unknown("link type", other),
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
                self.push_name("Ethernet");
                self.ethernet = Some(frame);
                let (ethertype, payload) = (frame.ethertype(), frame.payload());
                if ethertype < 0x0600 {
                    // 802.3 length field: LLC/SNAP follows, which has no decoder yet.
                    self.unknown("802.3 LLC (length field)", u32::from(ethertype));
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
            other => self.unknown("EtherType", u32::from(other)),
        }
    }

    fn decode_dot1q(&mut self, buf: &'a [u8]) {
        let Some(slot) = self.vlan_tags.iter().position(Option::is_none) else {
            return self.fail(DecodeError { layer: "Dot1Q", kind: ErrorKind::TooDeep });
        };
        match dot1q::VlanTag::parse(buf) {
            Ok((tag, payload)) => {
                self.push_name("Dot1Q");
                self.vlan_tags[slot] = Some(tag);
                if tag.ethertype < 0x0600 {
                    self.unknown("802.3 LLC (length field)", u32::from(tag.ethertype));
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
                self.push_name("ARP");
                self.arp = Some(p);
            }
            Err(e) => self.fail(e),
        }
    }

    fn decode_ipv4(&mut self, buf: &'a [u8]) {
        match ipv4::Ipv4Packet::new_checked(buf) {
            Ok(p) => {
                self.push_name("IPv4");
                self.ipv4 = Some(p);
                if let Err(e) = p.check_total_length() {
                    return self.fail(e);
                }
                if p.frag_offset() != 0 {
                    // A later fragment: its payload is not an upper-layer header.
                    return;
                }
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
        self.push_name("IPv6");
        self.ipv6 = Some(p);
        let mut next = p.next_header();
        let mut rest = p.payload();
        // Walk the extension headers to the upper layer.
        for index in 0..=MAX_IPV6_EXTENSIONS {
            if index == MAX_IPV6_EXTENSIONS {
                return self.fail(DecodeError { layer: "IPv6", kind: ErrorKind::TooDeep });
            }
            match next {
                ipv6::NEXT_HOP_BY_HOP if index == 0 => {
                    match ipv6_hop_by_hop::HopByHopHeader::new_checked(rest) {
                        Ok(h) => {
                            self.push_name("IPv6HopByHop");
                            self.ipv6_hop_by_hop = Some(h);
                            next = h.next_header();
                            rest = h.payload();
                        }
                        Err(e) => return self.fail(e),
                    }
                }
                ipv6::NEXT_FRAGMENT => match ipv6_fragment::FragmentHeader::parse(rest) {
                    Ok((h, payload)) => {
                        self.push_name("IPv6Fragment");
                        self.ipv6_fragment = Some(h);
                        if h.fragment_offset != 0 {
                            return;
                        }
                        next = h.next_header;
                        rest = payload;
                    }
                    Err(e) => return self.fail(e),
                },
                ipv6::NEXT_ROUTING | ipv6::NEXT_DESTINATION_OPTIONS => {
                    match ipv6::skip_extension(rest) {
                        Ok((n, payload)) => {
                            next = n;
                            rest = payload;
                        }
                        Err(e) => return self.fail(e),
                    }
                }
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
                    self.push_name("TCP");
                    self.tcp = Some(s);
                }
                Err(e) => self.fail(e),
            },
            udp::IP_PROTOCOL => match udp::UdpDatagram::new_checked(buf) {
                Ok(d) => {
                    self.push_name("UDP");
                    self.udp = Some(d);
                }
                Err(e) => self.fail(e),
            },
            icmpv4::IP_PROTOCOL if !over_ipv6 => match icmpv4::Icmpv4Packet::new_checked(buf) {
                Ok(p) => {
                    self.push_name("ICMPv4");
                    self.icmpv4 = Some(p);
                }
                Err(e) => self.fail(e),
            },
            icmpv6::IP_PROTOCOL if over_ipv6 => match icmpv6::Icmpv6Packet::new_checked(buf) {
                Ok(p) => {
                    self.push_name("ICMPv6");
                    self.icmpv6 = Some(p);
                }
                Err(e) => self.fail(e),
            },
            other => self.unknown("IP protocol", u32::from(other)),
        }
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
}

impl<'b> Emitter<'b> {
    pub fn new(buf: &'b mut Vec<u8>, count: &'b mut u64) -> Self {
        Emitter { buf, count }
    }

    pub fn emit(&mut self, record: &impl prost::Message) {
        // Encoding into a Vec cannot fail: it grows as needed.
        let _ = record.encode_length_delimited(self.buf);
        *self.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn rarp_is_an_arp_record() {
        // tcpdump/tests/getname_2_read4_asan.pcap: EtherType 0x8035, opcode 4.
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x80, 0x35, 0xff, 0x00, 0x8b, 0x01, 0x00, 0x00, 0x00, 0x04]);
        let l = Layers::decode(linktype::ETHERNET, 0, &f, f.len());
        assert_eq!(l.arp.map(|a| (a.hw_type(), a.operation())), Some((0xff00, 4)));
        assert_eq!(l.outcome, Outcome::Complete);
    }

    #[test]
    fn tcp_payload_size_is_what_the_wire_carried() {
        // tcpdump/tests/kday4.pcap frame 10: IPv4 says 820 bytes, the
        // 66-byte frame (not cut by the capture) holds 52: no payload.
        let frame = tcp_frame(820);
        let l = Layers::decode(linktype::ETHERNET, 0, &frame, frame.len());
        assert_eq!(l.tcp.map(|t| t.payload_len()), Some(0));
        // The same frame cut by a snap length from 834 bytes: 768.
        let l = Layers::decode(linktype::ETHERNET, 0, &frame, 834);
        assert_eq!(l.tcp.map(|t| t.payload_len()), Some(768));
    }
}

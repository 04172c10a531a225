//! Flow records: the stateful stage of the pipeline.
//!
//! Workers reduce every packet to an [`Observation`] (addresses, ports,
//! protocol, sizes, TCP flags, time; a plain `Copy` value, no allocation)
//! and send it with their batch result. The writer thread, which takes
//! results in capture order, feeds each observation to one [`Tracker`]
//! per selected flow record type. A tracker is a bounded table
//! ([`table::FlowTable`]) plus a [`table::Model`] that says what the key
//! is, what a packet adds and what record an entry becomes. Records are
//! written when entries expire, in the capture order of their expiry, so
//! the output does not depend on the number of workers.
//!
//! Adding a flow type = a message in `proto/netcap.proto`, a file here with
//! its `Model`, and a registry line (`src/registry.rs`).

pub mod bidir;
pub mod community_id;
pub mod connection;
pub mod flow;
pub mod link_flow;
pub mod network_flow;
pub mod table;
pub mod transport_flow;

use crate::decode::{wire, Emitter, Layer, Layers, Proto};

pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
pub const PROTO_ICMPV6: u8 = 58;
pub const PROTO_SCTP: u8 = 132;

/// TCP flag bits, as in the low byte of the header's flags field.
pub mod tcp_flag {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
}

const SECOND: i64 = 1_000_000_000;

/// Timeouts (nanoseconds of packet time) and table size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowConfig {
    /// Idle timeout of Flow, LinkFlow, NetworkFlow and TransportFlow.
    pub flow_timeout: i64,
    /// Idle timeout of Connection.
    pub conn_timeout: i64,
    /// Active timeout: an entry older than this is written as a slice
    /// and goes on with fresh counters.
    pub active_timeout: i64,
    /// Most entries per table.
    pub max_flows: usize,
    /// Bytes all flow tables together may use (the flow share of
    /// `-memcap`); the pipeline divides it between the selected tables, and
    /// a table holds no more entries than its share pays for.
    pub memcap: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            // Zeek: udp/icmp_inactivity_timeout 1 min, tcp_inactivity_timeout 5 min.
            flow_timeout: 60 * SECOND,
            conn_timeout: 300 * SECOND,
            // The usual NetFlow/IPFIX active timeout.
            active_timeout: 1800 * SECOND,
            max_flows: 500_000,
            memcap: 256 << 20,
        }
    }
}

/// How long a TCP connection closed by FIN/FIN or RST stays in its table
/// to collect the last ACKs and retransmissions (Zeek's tcp_close_delay).
pub const CLOSE_LINGER: i64 = 5 * SECOND;

/// What the flow stage needs of one packet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observation {
    /// Nanoseconds since the Unix epoch.
    pub timestamp: i64,
    /// Frame number in the input (1-based; 0 when unknown).
    pub frame: u64,
    /// Frame length on the wire.
    pub wire_len: u32,
    /// Transport payload (TCP tcp.len, UDP length - 8), else the IP payload.
    pub payload_len: u32,
    /// The outermost layer's name ("Ethernet", "LinuxSLL", ...), "" for raw IP.
    pub link: &'static str,
    /// Source and destination MAC are set (an Ethernet header).
    pub ethernet: bool,
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    /// 0 without an IP header, else 4 or 6.
    pub ip_version: u8,
    /// IPv4 addresses use the first four bytes.
    pub src_ip: [u8; 16],
    pub dst_ip: [u8; 16],
    pub protocol: u8,
    /// The ports are known: TCP, UDP, SCTP; for ICMP the type (src) and code (dst).
    pub has_ports: bool,
    pub src_port: u16,
    pub dst_port: u16,
    /// FIN SYN RST PSH ACK URG ([`tcp_flag`]), TCP only.
    pub tcp_flags: u8,
    /// Tunnels around the packet (GRE, VXLAN, Geneve, ERSPAN, IP in IP).
    pub tunnel_depth: u8,
    /// The application protocol a layer decoder found in the packet (the
    /// record type's name: "DNS", "SIP", ...), "" if none.
    pub app: &'static str,
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Observation {
    /// Reduces a decoded packet to what the flow tables need.
    pub fn of(l: &Layers, wire_len: u32) -> Observation {
        let mut o = Observation { timestamp: l.timestamp, wire_len, ..Default::default() };
        o.link = match l.layer_names().first() {
            Some(&"IPv4") | Some(&"IPv6") | None => "",
            Some(name) => name,
        };
        o.tunnel_depth = l.tunnel_depth;
        // Tunnelled packets are keyed by their innermost IP header and the
        // transport after it (as Zeek and tshark's conversations do), and
        // by the innermost Ethernet header in front of that IP header.
        let mut ip_at = None;
        for (i, layer) in l.layers().enumerate() {
            if matches!(layer, Layer::Ipv4(_) | Layer::Ipv6(_)) {
                ip_at = Some(i);
            }
        }
        for layer in l.layers().take(ip_at.map_or(usize::MAX, |i| i + 1)) {
            if let Layer::Ethernet(eth) = layer {
                o.ethernet = true;
                wire::copy_into(&mut o.src_mac, eth.src());
                wire::copy_into(&mut o.dst_mac, eth.dst());
            }
        }
        let Some(ip_at) = ip_at else { return o };
        let mut inner = l.layers().skip(ip_at);
        match inner.next() {
            Some(Layer::Ipv4(ip)) => {
                o.ip_version = 4;
                wire::copy_into(&mut o.src_ip, ip.src());
                wire::copy_into(&mut o.dst_ip, ip.dst());
                o.protocol = ip.protocol();
                o.payload_len = clamp_u32(ip.payload_len());
            }
            Some(Layer::Ipv6(ip)) => {
                o.ip_version = 6;
                wire::copy_into(&mut o.src_ip, ip.src());
                wire::copy_into(&mut o.dst_ip, ip.dst());
                o.protocol = ip.next_header();
                o.payload_len = clamp_u32(ip.declared_payload_len());
            }
            _ => return o,
        }
        if let Some(up) = &l.ip_upper {
            o.protocol = up.protocol;
            o.payload_len = clamp_u32(up.declared_len);
        }
        for layer in inner.by_ref() {
            match layer {
                Layer::Ipv6Fragment(f) if l.ip_upper.is_none() => o.protocol = f.next_header,
                Layer::Tcp(t) => {
                    o.has_ports = true;
                    o.src_port = t.src_port();
                    o.dst_port = t.dst_port();
                    o.tcp_flags = (t.flags() & 0x3f) as u8;
                    o.payload_len = clamp_u32(t.payload_len());
                    break;
                }
                Layer::Udp(u) => {
                    o.has_ports = true;
                    o.src_port = u.src_port();
                    o.dst_port = u.dst_port();
                    o.payload_len = clamp_u32(u.payload_len());
                    break;
                }
                Layer::Icmpv4(i) => {
                    o.has_ports = true;
                    o.src_port = u16::from(i.icmp_type());
                    o.dst_port = u16::from(i.code());
                    break;
                }
                Layer::Icmpv6(i) => {
                    o.has_ports = true;
                    o.src_port = u16::from(i.icmp_type());
                    o.dst_port = u16::from(i.code());
                    break;
                }
                _ => {}
            }
        }
        if o.has_ports && matches!(o.protocol, PROTO_TCP | PROTO_UDP) {
            o.app = inner.find_map(application_name).unwrap_or("");
        }
        // SCTP has no layer decoder; a TCP or UDP header cut short (by the
        // snap length or a broken packet) has no layer either. Their first
        // four bytes are the ports all the same, and tshark reads them
        // there: without them the packet would key (and hash its
        // Community ID) as ports 0/0, a conversation of its own.
        if !o.has_ports {
            let with_ports = |u: &crate::decode::IpUpper| {
                matches!(u.protocol, PROTO_SCTP | PROTO_TCP | PROTO_UDP) && u.bytes.len() >= 4
            };
            if let Some(up) = l.ip_upper.filter(with_ports) {
                o.has_ports = true;
                o.src_port = wire::be16(up.bytes, 0);
                o.dst_port = wire::be16(up.bytes, 2);
            }
        }
        o
    }

    fn is_tcp(&self) -> bool {
        self.protocol == PROTO_TCP && self.has_ports
    }
}

/// The application protocol a layer decoder recognised above TCP or UDP:
/// its record type's name. Tunnels (VXLAN, Geneve) are not applications
/// here: flows are keyed by the packet inside them.
fn application_name(layer: &Layer) -> Option<&'static str> {
    let Layer::Proto(p, _) = layer else { return None };
    let application = matches!(
        p,
        Proto::Dns
            | Proto::Dhcpv4
            | Proto::Dhcpv6
            | Proto::Ntp
            | Proto::Sip
            | Proto::Bfd
            | Proto::ModbusTcp
            | Proto::Lcm
    );
    application.then(|| crate::decode::proto_name(*p))
}

/// A table key. Each model fills the parts it keys on and leaves the rest
/// zero; `a` and `b` are the two sides (ordered for bidirectional types).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Key {
    pub ip_version: u8,
    pub protocol: u8,
    pub has_ports: bool,
    pub a_mac: [u8; 6],
    pub b_mac: [u8; 6],
    pub a_ip: [u8; 16],
    pub b_ip: [u8; 16],
    pub a_port: u16,
    pub b_port: u16,
}

impl Key {
    /// The key as one byte string (map keys and UIDs).
    pub fn to_bytes(&self) -> [u8; 51] {
        let mut b = [0u8; 51];
        b[0] = self.ip_version;
        b[1] = self.protocol;
        b[2] = u8::from(self.has_ports);
        b[3..9].copy_from_slice(&self.a_mac);
        b[9..15].copy_from_slice(&self.b_mac);
        b[15..31].copy_from_slice(&self.a_ip);
        b[31..47].copy_from_slice(&self.b_ip);
        b[47..49].copy_from_slice(&self.a_port.to_be_bytes());
        b[49..51].copy_from_slice(&self.b_port.to_be_bytes());
        b
    }
}

/// UID of a conversation: 64-bit FNV-1a over the record type, the key and
/// the time of the first packet, printed as 16 hex digits. The same on every
/// platform and run, and for every slice of the conversation; cheap, as a
/// table makes one per new entry.
pub fn uid(type_name: &str, key: &Key, first: i64) -> u64 {
    wire::fnv1a(&[type_name.as_bytes(), &key.to_bytes(), &first.to_be_bytes()])
}

pub fn uid_string(uid: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..16).rev().map(|i| HEX[((uid >> (i * 4)) & 0xf) as usize] as char).collect()
}

/// Packet, byte and payload counts with first and last packet time, and
/// the frame numbers of the first and last packet (input order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub first: i64,
    pub last: i64,
    pub frame_first: u64,
    pub frame_last: u64,
    pub packets: u64,
    pub bytes: u64,
    pub payload: u64,
}

impl Counters {
    pub fn add(&mut self, o: &Observation) {
        if self.packets == 0 {
            self.first = o.timestamp;
            self.last = o.timestamp;
            self.frame_first = o.frame;
        } else {
            self.first = self.first.min(o.timestamp);
            self.last = self.last.max(o.timestamp);
        }
        self.frame_last = o.frame;
        self.packets += 1;
        self.bytes += u64::from(o.wire_len);
        self.payload += u64::from(o.payload_len);
    }

    /// Both directions together.
    pub fn merged(a: &Counters, b: &Counters) -> Counters {
        if a.packets == 0 {
            return *b;
        }
        if b.packets == 0 {
            return *a;
        }
        Counters {
            first: a.first.min(b.first),
            last: a.last.max(b.last),
            frame_first: a.frame_first.min(b.frame_first),
            frame_last: a.frame_last.max(b.frame_last),
            packets: a.packets + b.packets,
            bytes: a.bytes + b.bytes,
            payload: a.payload + b.payload,
        }
    }

    pub fn duration(&self) -> i64 {
        self.last.saturating_sub(self.first)
    }
}

/// Counts as protobuf int64 (saturating; never reached in practice).
pub fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub fn ip_string(version: u8, ip: &[u8; 16]) -> String {
    match version {
        4 => wire::ipv4_string(&ip[..4]),
        6 => wire::ipv6_string(ip),
        _ => String::new(),
    }
}

pub fn network_name(version: u8) -> &'static str {
    match version {
        4 => "IPv4",
        6 => "IPv6",
        _ => "",
    }
}

pub fn transport_name(protocol: u8) -> String {
    match protocol {
        PROTO_TCP => "TCP".into(),
        PROTO_UDP => "UDP".into(),
        PROTO_ICMP => "ICMPv4".into(),
        PROTO_ICMPV6 => "ICMPv6".into(),
        PROTO_SCTP => "SCTP".into(),
        n => n.to_string(),
    }
}

/// A flow record type's table, as the writer thread drives it.
pub trait Tracker: Send {
    /// Takes the next packet in capture order; writes the records of the
    /// entries that expire up to its time, and of one it closes.
    fn observe(&mut self, o: &Observation, out: &mut Emitter);
    /// The stream stage recognised `app` on the connection of `o` (a packet
    /// of it, or one made up from its addresses): the entries of both
    /// directions take it as their application protocol.
    fn identify(&mut self, o: &Observation, app: &'static str);
    /// Writes every entry left (end of input or signal).
    fn flush(&mut self, out: &mut Emitter);
    /// Entries written early because the table was full.
    fn evicted(&self) -> u64;
}

pub type NewTracker = fn(&FlowConfig) -> Box<dyn Tracker>;

/// The [`NewTracker`] of a model, for the registry.
pub fn tracker<M: table::Model>(cfg: &FlowConfig) -> Box<dyn Tracker> {
    Box::new(table::FlowTable::<M>::new(cfg))
}

//! Connection: both directions of a conversation (IP addresses, IP
//! protocol, ports), with per-direction counters, TCP flag counts, timing
//! and size statistics, and Zeek's connection state.
//!
//! The key is the Community ID tuple, so ICMP echo requests and replies
//! (and the other request/reply types) make one connection.
//!
//! TCP endpoint states follow Zeek's analyzer in simplified form: an
//! endpoint is inactive until it sends something; a SYN makes it
//! "SYN sent", a SYN+ACK "SYN+ACK sent", the ACK that completes a handshake
//! makes both "established", anything else from an inactive endpoint makes
//! it "partial" (mid-stream); FIN makes it "closed", RST "reset". FIN from
//! both sides or any RST closes the connection (written after
//! [`CLOSE_LINGER`](super::CLOSE_LINGER)); a new SYN during that linger
//! starts a new connection.

use super::community_id::Tuple;
use super::table::{Model, PackedKey};
use super::{
    i64_of, ip_string, network_name, tcp_flag, transport_name, uid, uid_string, Counters, FlowConfig, Key, Observation,
    PROTO_ICMP, PROTO_ICMPV6, PROTO_UDP,
};
use crate::decode::{wire, Emitter};
use crate::schema::pb;

pub struct Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tcp {
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

/// One direction: counters and TCP flag counts [SYN FIN RST ACK PSH URG].
#[derive(Debug, Clone, Copy, Default)]
pub struct Side {
    pub c: Counters,
    pub flags: [u64; 6],
}

const FLAG_ORDER: [u8; 6] = [tcp_flag::SYN, tcp_flag::FIN, tcp_flag::RST, tcp_flag::ACK, tcp_flag::PSH, tcp_flag::URG];

pub struct ConnState {
    uid: u64,
    link: &'static str,
    ethernet: bool,
    /// Oriented Src → Dst (Src: the originator).
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    src_ip: [u8; 16],
    dst_ip: [u8; 16],
    src_port: u16,
    dst_port: u16,
    /// The most tunnels seen around the connection's packets.
    tunnel_depth: u8,
    /// [Src → Dst, Dst → Src] for the current slice.
    side: [Side; 2],
    iat_min: i64,
    iat_max: i64,
    iat_sum: i128,
    prev_ts: Option<i64>,
    size_min: u32,
    size_max: u32,
    /// Kept across slices: endpoint states, and what each side ever sent.
    tcp: [Tcp; 2],
    sent: [bool; 2],
    sent_payload: [bool; 2],
    sent_syn: [bool; 2],
}

impl ConnState {
    fn sent_by_src(&self, o: &Observation) -> bool {
        let icmp = matches!(o.protocol, PROTO_ICMP | PROTO_ICMPV6);
        if o.src_ip != self.src_ip {
            return false;
        }
        // Same addresses both ways (a host talking to itself): ports decide.
        icmp || o.src_ip != o.dst_ip || o.src_port == self.src_port
    }

    fn is_tcp(&self, key: &Key) -> bool {
        key.protocol == super::PROTO_TCP && key.has_ports
    }

    /// Zeek's conn_state.
    pub fn conn_state(&self, key: &Key) -> &'static str {
        use Tcp::*;
        if self.is_tcp(key) {
            let (os, rs) = (self.tcp[0], self.tcp[1]);
            let inactive = |s: Tcp| matches!(s, Inactive | Partial);
            if rs == Reset {
                if matches!(os, SynSent | SynAckSent) || (os == Reset && !self.sent_payload[0] && !self.sent_payload[1])
                {
                    "REJ"
                } else if inactive(os) {
                    "RSTRH"
                } else {
                    "RSTR"
                }
            } else if os == Reset {
                if inactive(rs) && (self.sent_syn[0] || self.sent_syn[1]) {
                    "RSTOS0"
                } else {
                    "RSTO"
                }
            } else if os == Closed && rs == Closed {
                "SF"
            } else if os == Closed {
                if inactive(rs) {
                    "SH"
                } else {
                    "S2"
                }
            } else if rs == Closed {
                if inactive(os) {
                    "SHR"
                } else {
                    "S3"
                }
            } else if os == SynSent && rs == Inactive {
                "S0"
            } else if os == Established && rs == Established {
                "S1"
            } else {
                "OTH"
            }
        } else if key.protocol == PROTO_UDP {
            match (self.sent[0], self.sent[1]) {
                (true, true) => "SF",
                (true, false) => "S0",
                (false, true) => "SHR",
                (false, false) => "OTH",
            }
        } else {
            "OTH"
        }
    }

    /// Advances the TCP endpoint states; true when this packet closes the
    /// connection (second FIN, or a RST).
    fn tcp_update(&mut self, d: usize, flags: u8) -> bool {
        use Tcp::*;
        let (me, peer) = (d, 1 - d);
        let has = |f: u8| flags & f != 0;
        let was_closed = self.closed();
        if has(tcp_flag::RST) {
            self.tcp[me] = Reset;
        } else if has(tcp_flag::FIN) {
            if self.tcp[me] != Reset {
                self.tcp[me] = Closed;
            }
        } else if has(tcp_flag::SYN) {
            if self.tcp[me] == Inactive {
                self.tcp[me] = if has(tcp_flag::ACK) { SynAckSent } else { SynSent };
            }
        } else {
            match (self.tcp[me], self.tcp[peer]) {
                (SynSent, SynAckSent | Established) | (SynAckSent, SynSent | Established) => {
                    self.tcp[me] = Established;
                    self.tcp[peer] = Established;
                }
                (Inactive, _) => self.tcp[me] = Partial,
                _ => {}
            }
        }
        !was_closed && self.closed()
    }

    fn closed(&self) -> bool {
        self.tcp.contains(&Tcp::Reset) || (self.tcp[0] == Tcp::Closed && self.tcp[1] == Tcp::Closed)
    }

    fn packets(&self) -> u64 {
        self.side[0].c.packets + self.side[1].c.packets
    }
}

impl Model for Connection {
    type State = ConnState;
    type MapKey = PackedKey<5>;
    const NAME: &'static str = "Connection";

    fn key(o: &Observation) -> Option<Key> {
        if o.ip_version == 0 {
            return None;
        }
        let t = Tuple {
            ip_version: o.ip_version,
            protocol: o.protocol,
            has_ports: o.has_ports,
            src_ip: o.src_ip,
            dst_ip: o.dst_ip,
            src_port: o.src_port,
            dst_port: o.dst_port,
        }
        .canonical();
        Some(Key {
            ip_version: t.ip_version,
            protocol: t.protocol,
            has_ports: t.has_ports,
            a_ip: t.src_ip,
            b_ip: t.dst_ip,
            a_port: t.src_port,
            b_port: t.dst_port,
            ..Key::default()
        })
    }

    fn map_key(k: &Key) -> PackedKey<5> {
        // No MAC addresses: bytes 3..15 of the full key.
        let full = k.to_bytes();
        let mut b = [0u8; 39];
        b[..3].copy_from_slice(&full[..3]);
        b[3..].copy_from_slice(&full[15..]);
        PackedKey::from_bytes(&b)
    }

    fn start(key: &Key, o: &Observation) -> ConnState {
        let mut s = ConnState {
            uid: uid(Self::NAME, key, o.timestamp),
            link: o.link,
            ethernet: o.ethernet,
            src_mac: o.src_mac,
            dst_mac: o.dst_mac,
            src_ip: o.src_ip,
            dst_ip: o.dst_ip,
            src_port: o.src_port,
            dst_port: o.dst_port,
            tunnel_depth: 0,
            side: [Side::default(); 2],
            iat_min: 0,
            iat_max: 0,
            iat_sum: 0,
            prev_ts: None,
            size_min: 0,
            size_max: 0,
            tcp: [Tcp::Inactive; 2],
            sent: [false; 2],
            sent_payload: [false; 2],
            sent_syn: [false; 2],
        };
        // A SYN+ACK first: its receiver is the originator (as Zeek flips).
        let syn_ack = tcp_flag::SYN | tcp_flag::ACK;
        if o.is_tcp() && o.tcp_flags & syn_ack == syn_ack {
            std::mem::swap(&mut s.src_mac, &mut s.dst_mac);
            std::mem::swap(&mut s.src_ip, &mut s.dst_ip);
            std::mem::swap(&mut s.src_port, &mut s.dst_port);
        }
        s
    }

    fn add(s: &mut ConnState, o: &Observation) -> bool {
        let d = usize::from(!s.sent_by_src(o));
        s.tunnel_depth = s.tunnel_depth.max(o.tunnel_depth);
        let side = &mut s.side[d];
        side.c.add(o);
        for (count, flag) in side.flags.iter_mut().zip(FLAG_ORDER) {
            *count += u64::from(o.tcp_flags & flag != 0);
        }
        s.sent[d] = true;
        s.sent_payload[d] |= o.payload_len > 0;
        s.sent_syn[d] |= o.tcp_flags & tcp_flag::SYN != 0;
        if let Some(prev) = s.prev_ts {
            let iat = o.timestamp.saturating_sub(prev).max(0);
            let first = s.packets() == 2;
            s.iat_min = if first { iat } else { s.iat_min.min(iat) };
            s.iat_max = s.iat_max.max(iat);
            s.iat_sum += i128::from(iat);
            s.size_min = s.size_min.min(o.wire_len);
        } else {
            s.size_min = o.wire_len;
        }
        s.size_max = s.size_max.max(o.wire_len);
        s.prev_ts = Some(s.prev_ts.map_or(o.timestamp, |p| p.max(o.timestamp)));
        if o.is_tcp() {
            return s.tcp_update(d, o.tcp_flags);
        }
        false
    }

    fn reopens(s: &ConnState, o: &Observation) -> bool {
        let _ = s;
        o.is_tcp() && o.tcp_flags & (tcp_flag::SYN | tcp_flag::ACK) == tcp_flag::SYN
    }

    fn packets(s: &ConnState) -> u64 {
        s.packets()
    }

    fn emit(k: &Key, s: &ConnState, app: &str, out: &mut Emitter) {
        let t = Counters::merged(&s.side[0].c, &s.side[1].c);
        let n = t.packets.max(1);
        let mac = |m: &[u8; 6]| if s.ethernet { wire::mac_string(m) } else { String::new() };
        let [a, b] = &s.side;
        out.emit(&pb::Connection {
            timestamp_first: t.first,
            link_proto: s.link.into(),
            network_proto: network_name(k.ip_version).into(),
            transport_proto: transport_name(k.protocol),
            application_proto: app.into(),
            src_mac: mac(&s.src_mac),
            dst_mac: mac(&s.dst_mac),
            src_ip: ip_string(k.ip_version, &s.src_ip),
            src_port: i32::from(s.src_port),
            dst_ip: ip_string(k.ip_version, &s.dst_ip),
            dst_port: i32::from(s.dst_port),
            total_size: i64_of(t.bytes),
            app_payload_size: i64_of(t.payload),
            num_packets: i64_of(t.packets),
            uid: uid_string(s.uid),
            duration: t.duration(),
            timestamp_last: t.last,
            frame_number_first: t.frame_first,
            frame_number_last: t.frame_last,
            community_id: super::flow::tuple_of(k).hash_canonical(),
            conn_state: s.conn_state(k).into(),
            src_packets: i64_of(a.c.packets),
            src_bytes: i64_of(a.c.bytes),
            src_payload_bytes: i64_of(a.c.payload),
            dst_packets: i64_of(b.c.packets),
            dst_bytes: i64_of(b.c.bytes),
            dst_payload_bytes: i64_of(b.c.payload),
            src_syn: i64_of(a.flags[0]),
            src_fin: i64_of(a.flags[1]),
            src_rst: i64_of(a.flags[2]),
            src_ack: i64_of(a.flags[3]),
            src_psh: i64_of(a.flags[4]),
            src_urg: i64_of(a.flags[5]),
            dst_syn: i64_of(b.flags[0]),
            dst_fin: i64_of(b.flags[1]),
            dst_rst: i64_of(b.flags[2]),
            dst_ack: i64_of(b.flags[3]),
            dst_psh: i64_of(b.flags[4]),
            dst_urg: i64_of(b.flags[5]),
            inter_arrival_time_min: s.iat_min,
            inter_arrival_time_mean: if n > 1 { s.iat_sum as f64 / (n - 1) as f64 } else { 0.0 },
            inter_arrival_time_max: s.iat_max,
            packet_size_min: i32::try_from(s.size_min).unwrap_or(i32::MAX),
            packet_size_mean: t.bytes as f64 / n as f64,
            packet_size_max: i32::try_from(s.size_max).unwrap_or(i32::MAX),
            tunnel_depth: i32::from(s.tunnel_depth),
        });
    }

    fn next_slice(s: &mut ConnState) {
        s.side = [Side::default(); 2];
        s.iat_min = 0;
        s.iat_max = 0;
        s.iat_sum = 0;
        s.prev_ts = None;
        s.size_min = 0;
        s.size_max = 0;
    }

    fn idle_timeout(cfg: &FlowConfig) -> i64 {
        cfg.conn_timeout
    }
}

//! Flow: one direction of a conversation — the packets with the same
//! source and destination MAC, IP address, IP protocol and ports.

use super::community_id::Tuple;
use super::table::{Model, PackedKey};
use super::{i64_of, ip_string, network_name, transport_name, uid, uid_string, Counters, Key, Observation};
use crate::decode::{wire, Emitter};
use crate::schema::pb;

pub struct Flow;

pub struct FlowState {
    uid: u64,
    link: &'static str,
    ethernet: bool,
    /// The most tunnels seen around the flow's packets.
    tunnel_depth: u8,
    c: Counters,
}

/// The Community ID tuple of a key oriented Src → Dst.
pub fn tuple_of(k: &Key) -> Tuple {
    Tuple {
        ip_version: k.ip_version,
        protocol: k.protocol,
        has_ports: k.has_ports,
        src_ip: k.a_ip,
        dst_ip: k.b_ip,
        src_port: k.a_port,
        dst_port: k.b_port,
    }
}

impl Model for Flow {
    type State = FlowState;
    type MapKey = PackedKey<7>;
    const NAME: &'static str = "Flow";

    fn key(o: &Observation) -> Option<Key> {
        if o.ip_version == 0 {
            return None;
        }
        Some(Key {
            ip_version: o.ip_version,
            protocol: o.protocol,
            has_ports: o.has_ports,
            a_mac: o.src_mac,
            b_mac: o.dst_mac,
            a_ip: o.src_ip,
            b_ip: o.dst_ip,
            a_port: o.src_port,
            b_port: o.dst_port,
        })
    }

    fn map_key(k: &Key) -> PackedKey<7> {
        PackedKey::from_bytes(&k.to_bytes())
    }

    fn reverse(k: &Key) -> Option<Key> {
        Some(Key {
            a_mac: k.b_mac,
            b_mac: k.a_mac,
            a_ip: k.b_ip,
            b_ip: k.a_ip,
            a_port: k.b_port,
            b_port: k.a_port,
            ..*k
        })
    }

    fn start(key: &Key, o: &Observation) -> FlowState {
        FlowState {
            uid: uid(Self::NAME, key, o.timestamp),
            link: o.link,
            ethernet: o.ethernet,
            tunnel_depth: 0,
            c: Counters::default(),
        }
    }

    fn add(s: &mut FlowState, o: &Observation) -> bool {
        s.c.add(o);
        s.tunnel_depth = s.tunnel_depth.max(o.tunnel_depth);
        false
    }

    fn packets(s: &FlowState) -> u64 {
        s.c.packets
    }

    fn emit(k: &Key, s: &FlowState, app: &str, out: &mut Emitter) {
        let mac = |m: &[u8; 6]| if s.ethernet { wire::mac_string(m) } else { String::new() };
        out.emit(&pb::Flow {
            timestamp_first: s.c.first,
            link_proto: s.link.into(),
            network_proto: network_name(k.ip_version).into(),
            transport_proto: transport_name(k.protocol),
            application_proto: app.into(),
            src_mac: mac(&k.a_mac),
            dst_mac: mac(&k.b_mac),
            src_ip: ip_string(k.ip_version, &k.a_ip),
            src_port: i32::from(k.a_port),
            dst_ip: ip_string(k.ip_version, &k.b_ip),
            dst_port: i32::from(k.b_port),
            total_size: i64_of(s.c.bytes),
            app_payload_size: i64_of(s.c.payload),
            num_packets: i64_of(s.c.packets),
            uid: uid_string(s.uid),
            duration: s.c.duration(),
            timestamp_last: s.c.last,
            frame_number_first: s.c.frame_first,
            frame_number_last: s.c.frame_last,
            community_id: tuple_of(k).community_id(),
            tunnel_depth: i32::from(s.tunnel_depth),
        });
    }

    fn next_slice(s: &mut FlowState) {
        s.c = Counters::default();
    }
}

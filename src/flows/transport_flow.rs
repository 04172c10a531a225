//! TransportFlow: TCP or UDP packets between two ports, whatever the
//! addresses, both directions.

use super::bidir::Bidir;
use super::table::Model;
use super::{i64_of, transport_name, uid, uid_string, Key, Observation, PROTO_TCP, PROTO_UDP};
use crate::decode::Emitter;
use crate::schema::pb;

pub struct TransportFlow;

impl Model for TransportFlow {
    type State = Bidir;
    type MapKey = u64;
    const NAME: &'static str = "TransportFlow";

    fn key(o: &Observation) -> Option<Key> {
        if !o.has_ports || !matches!(o.protocol, PROTO_TCP | PROTO_UDP) {
            return None;
        }
        let (a, b) = if o.src_port <= o.dst_port { (o.src_port, o.dst_port) } else { (o.dst_port, o.src_port) };
        Some(Key { protocol: o.protocol, has_ports: true, a_port: a, b_port: b, ..Key::default() })
    }

    fn map_key(k: &Key) -> u64 {
        u64::from(k.protocol) << 32 | u64::from(k.a_port) << 16 | u64::from(k.b_port)
    }

    fn start(key: &Key, o: &Observation) -> Bidir {
        let oriented = Key { a_port: o.src_port, b_port: o.dst_port, ..*key };
        Bidir::new(uid(Self::NAME, key, o.timestamp), oriented)
    }

    fn add(s: &mut Bidir, o: &Observation) -> bool {
        s.add(o, o.src_port == s.oriented.a_port);
        false
    }

    fn packets(s: &Bidir) -> u64 {
        s.packets()
    }

    fn emit(_key: &Key, s: &Bidir, _app: &str, out: &mut Emitter) {
        let t = s.total();
        let k = &s.oriented;
        out.emit(&pb::TransportFlow {
            timestamp_first: t.first,
            timestamp_last: t.last,
            frame_number_first: t.frame_first,
            frame_number_last: t.frame_last,
            proto: transport_name(k.protocol),
            src_port: i32::from(k.a_port),
            dst_port: i32::from(k.b_port),
            total_size: i64_of(t.bytes),
            num_packets: i64_of(t.packets),
            uid: uid_string(s.uid),
            duration: t.duration(),
            src_packets: i64_of(s.dir[0].packets),
            src_bytes: i64_of(s.dir[0].bytes),
            dst_packets: i64_of(s.dir[1].packets),
            dst_bytes: i64_of(s.dir[1].bytes),
        });
    }

    fn next_slice(s: &mut Bidir) {
        s.next_slice();
    }
}

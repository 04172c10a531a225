//! LinkFlow: Ethernet frames between two MAC addresses, both directions.

use super::bidir::Bidir;
use super::table::Model;
use super::{i64_of, uid, uid_string, Key, Observation};
use crate::decode::{wire, Emitter};
use crate::schema::pb;

pub struct LinkFlow;

impl Model for LinkFlow {
    type State = Bidir;
    type MapKey = u128;
    const NAME: &'static str = "LinkFlow";

    fn key(o: &Observation) -> Option<Key> {
        if !o.ethernet {
            return None;
        }
        let (a, b) = if o.src_mac <= o.dst_mac { (o.src_mac, o.dst_mac) } else { (o.dst_mac, o.src_mac) };
        Some(Key { a_mac: a, b_mac: b, ..Key::default() })
    }

    fn map_key(k: &Key) -> u128 {
        let mut b = [0u8; 16];
        b[..6].copy_from_slice(&k.a_mac);
        b[6..12].copy_from_slice(&k.b_mac);
        u128::from_le_bytes(b)
    }

    fn start(key: &Key, o: &Observation) -> Bidir {
        let oriented = Key { a_mac: o.src_mac, b_mac: o.dst_mac, ..*key };
        Bidir::new(uid(Self::NAME, key, o.timestamp), oriented)
    }

    fn add(s: &mut Bidir, o: &Observation) -> bool {
        s.add(o, o.src_mac == s.oriented.a_mac);
        false
    }

    fn packets(s: &Bidir) -> u64 {
        s.packets()
    }

    fn emit(_key: &Key, s: &Bidir, _app: &str, out: &mut Emitter) {
        let t = s.total();
        out.emit(&pb::LinkFlow {
            timestamp_first: t.first,
            timestamp_last: t.last,
            frame_number_first: t.frame_first,
            frame_number_last: t.frame_last,
            proto: "Ethernet".into(),
            src_mac: wire::mac_string(&s.oriented.a_mac),
            dst_mac: wire::mac_string(&s.oriented.b_mac),
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

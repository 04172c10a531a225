//! NetworkFlow: IP packets between two addresses, both directions.

use super::bidir::Bidir;
use super::table::{Model, PackedKey};
use super::{i64_of, ip_string, network_name, uid, uid_string, Key, Observation};
use crate::decode::Emitter;
use crate::schema::pb;

pub struct NetworkFlow;

impl Model for NetworkFlow {
    type State = Bidir;
    type MapKey = PackedKey<5>;
    const NAME: &'static str = "NetworkFlow";

    fn key(o: &Observation) -> Option<Key> {
        if o.ip_version == 0 {
            return None;
        }
        let (a, b) = if o.src_ip <= o.dst_ip { (o.src_ip, o.dst_ip) } else { (o.dst_ip, o.src_ip) };
        Some(Key { ip_version: o.ip_version, a_ip: a, b_ip: b, ..Key::default() })
    }

    fn map_key(k: &Key) -> PackedKey<5> {
        let mut b = [0u8; 33];
        b[0] = k.ip_version;
        b[1..17].copy_from_slice(&k.a_ip);
        b[17..].copy_from_slice(&k.b_ip);
        PackedKey::from_bytes(&b)
    }

    fn start(key: &Key, o: &Observation) -> Bidir {
        let oriented = Key { a_ip: o.src_ip, b_ip: o.dst_ip, ..*key };
        Bidir::new(uid(Self::NAME, key, o.timestamp), oriented)
    }

    fn add(s: &mut Bidir, o: &Observation) -> bool {
        s.add(o, o.src_ip == s.oriented.a_ip);
        false
    }

    fn packets(s: &Bidir) -> u64 {
        s.packets()
    }

    fn emit(_key: &Key, s: &Bidir, _app: &str, out: &mut Emitter) {
        let t = s.total();
        let k = &s.oriented;
        out.emit(&pb::NetworkFlow {
            timestamp_first: t.first,
            timestamp_last: t.last,
            frame_number_first: t.frame_first,
            frame_number_last: t.frame_last,
            proto: network_name(k.ip_version).into(),
            src_ip: ip_string(k.ip_version, &k.a_ip),
            dst_ip: ip_string(k.ip_version, &k.b_ip),
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

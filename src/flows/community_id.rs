//! Community ID v1 (github.com/corelight/community-id-spec): a flow hash
//! that Zeek, Suricata and Wireshark compute alike, so records from
//! different tools can be joined.
//!
//! `"1:" + base64(sha1(seed · saddr · daddr · proto · 0 · sport · dport))`
//! with the endpoints ordered (smaller address first, then smaller port)
//! and ICMP type/code standing in for ports; request and reply types pair
//! up, other ICMP types are one-way and keep their order.

use super::{PROTO_ICMP, PROTO_ICMPV6};
use base64::Engine;
use sha1::{Digest, Sha1};

/// The tuple in hashing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuple {
    pub ip_version: u8,
    pub protocol: u8,
    pub has_ports: bool,
    pub src_ip: [u8; 16],
    pub dst_ip: [u8; 16],
    pub src_port: u16,
    pub dst_port: u16,
}

/// The ICMP "port" of the reply to type `t`, when `t` has one.
fn icmp_counterpart(protocol: u8, t: u16) -> Option<u16> {
    let v = match (protocol, t) {
        (PROTO_ICMP, 8) => 0,
        (PROTO_ICMP, 0) => 8,
        (PROTO_ICMP, 13) => 14,
        (PROTO_ICMP, 14) => 13,
        (PROTO_ICMP, 15) => 16,
        (PROTO_ICMP, 16) => 15,
        (PROTO_ICMP, 10) => 9,
        (PROTO_ICMP, 9) => 10,
        (PROTO_ICMP, 17) => 18,
        (PROTO_ICMP, 18) => 17,
        (PROTO_ICMPV6, 128) => 129,
        (PROTO_ICMPV6, 129) => 128,
        (PROTO_ICMPV6, 130) => 131,
        (PROTO_ICMPV6, 131) => 130,
        (PROTO_ICMPV6, 133) => 134,
        (PROTO_ICMPV6, 134) => 133,
        (PROTO_ICMPV6, 135) => 136,
        (PROTO_ICMPV6, 136) => 135,
        (PROTO_ICMPV6, 139) => 140,
        (PROTO_ICMPV6, 140) => 139,
        (PROTO_ICMPV6, 144) => 145,
        (PROTO_ICMPV6, 145) => 144,
        _ => return None,
    };
    Some(v)
}

impl Tuple {
    /// Maps ICMP type/code and orders the endpoints as the spec does.
    /// Both directions of a conversation give the same tuple.
    pub fn canonical(mut self) -> Tuple {
        let len = if self.ip_version == 4 { 4 } else { 16 };
        let mut one_way = false;
        if self.has_ports && (self.protocol == PROTO_ICMP || self.protocol == PROTO_ICMPV6) {
            match icmp_counterpart(self.protocol, self.src_port) {
                Some(p) => self.dst_port = p,
                None => one_way = true,
            }
        }
        // As big-endian numbers (the first `len` bytes): a compare of
        // slices of run-time length was a memcmp call on every packet.
        let shift = 8 * (16 - len as u32);
        let addr = (u128::from_be_bytes(self.src_ip) >> shift).cmp(&(u128::from_be_bytes(self.dst_ip) >> shift));
        let ports_lt = !self.has_ports || self.src_port < self.dst_port;
        let ordered = addr.is_lt() || (addr.is_eq() && ports_lt);
        if !one_way && !ordered {
            std::mem::swap(&mut self.src_ip, &mut self.dst_ip);
            std::mem::swap(&mut self.src_port, &mut self.dst_port);
        }
        self
    }

    /// The Community ID (seed 0, base64) of a tuple already [`canonical`](Self::canonical).
    pub fn hash_canonical(&self) -> String {
        let len = if self.ip_version == 4 { 4 } else { 16 };
        let mut h = Sha1::new();
        h.update(0u16.to_be_bytes());
        h.update(&self.src_ip[..len]);
        h.update(&self.dst_ip[..len]);
        h.update([self.protocol, 0]);
        if self.has_ports {
            h.update(self.src_port.to_be_bytes());
            h.update(self.dst_port.to_be_bytes());
        }
        let digest = h.finalize();
        let mut s = String::from("1:");
        base64::engine::general_purpose::STANDARD.encode_string(digest, &mut s);
        s
    }

    /// The Community ID of a packet's (or flow's) tuple, in either direction.
    pub fn community_id(&self) -> String {
        self.canonical().hash_canonical()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut ip = [0; 16];
        ip[..4].copy_from_slice(&a);
        ip
    }

    fn tuple(protocol: u8, src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Tuple {
        Tuple {
            ip_version: 4,
            protocol,
            has_ports: true,
            src_ip: v4(src),
            dst_ip: v4(dst),
            src_port: sport,
            dst_port: dport,
        }
    }

    // The spec's examples; tshark's communityid gives the same four IDs.
    #[test]
    fn matches_the_spec_baseline() {
        let t = tuple(6, [128, 232, 110, 120], [66, 35, 250, 204], 34855, 80);
        assert_eq!(t.community_id(), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        let t = tuple(17, [192, 168, 1, 52], [8, 8, 8, 8], 54585, 53);
        assert_eq!(t.community_id(), "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
        let t = tuple(1, [192, 168, 0, 89], [192, 168, 0, 1], 8, 0);
        assert_eq!(t.community_id(), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
        let t = tuple(1, [192, 168, 0, 1], [192, 168, 0, 89], 0, 0);
        assert_eq!(t.community_id(), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "the reply pairs with the request");
    }

    #[test]
    fn both_directions_agree() {
        let a = tuple(6, [10, 0, 0, 1], [10, 0, 0, 2], 1234, 80);
        let b = tuple(6, [10, 0, 0, 2], [10, 0, 0, 1], 80, 1234);
        assert_eq!(a.community_id(), b.community_id());
        let one_way = tuple(1, [10, 0, 0, 2], [10, 0, 0, 1], 3, 3);
        let back = tuple(1, [10, 0, 0, 1], [10, 0, 0, 2], 3, 3);
        assert_ne!(one_way.community_id(), back.community_id(), "unreachables are one-way");
    }

    #[test]
    fn endpoints_are_ordered_by_their_address_bytes_then_ports() {
        // IPv4: only the four address bytes count, whatever follows them.
        let mut a = tuple(6, [10, 0, 0, 9], [9, 255, 255, 255], 1, 2);
        a.src_ip[4..].fill(0);
        a.dst_ip[4..].fill(0xff);
        let c = a.canonical();
        assert_eq!((&c.src_ip[..4], c.src_port), (&[9, 255, 255, 255][..], 2));
        // IPv6: all sixteen bytes, the first difference deciding.
        let mut b = a;
        b.ip_version = 6;
        b.src_ip = [0x20, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        b.dst_ip = [0x20, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let c = b.canonical();
        assert_eq!((c.src_ip[15], c.src_port), (1, 2));
        for (x, y) in [([1u8; 16], [2u8; 16]), ([0xff; 16], [0; 16]), ([0; 16], [0; 16])] {
            let t = Tuple { src_ip: x, dst_ip: y, ..b };
            let c = t.canonical();
            let want_swapped = x > y || (x == y && t.src_port > t.dst_port);
            assert_eq!(c.src_ip, if want_swapped { y } else { x });
        }
    }
}

//! Nortel Discovery Protocol (NDP), formerly the SynOptics Network
//! Management Protocol (SONMP), also known as the Bay Discovery or Bay
//! Network Management Protocol: the topology hello of Nortel/Bay/SynOptics
//! switches, sent to 01:00:81:00:01:00 (segment hello) and
//! 01:00:81:00:01:01 (flatnet hello) in LLC/SNAP with OUI 0x000081 and
//! PID 0x01a2 (segment hello) or 0x01a1 (flatnet hello).
//!
//! There is no public specification; the layout is documented by the
//! SynOptics MIBs (s5emt104.mib, synro199.mib) and implemented alike by
//! Wireshark (epan/dissectors/packet-ndp.c), gopacket (layers/ndp.go) and
//! ladvd: an 11-byte hello of IPv4 address (4), segment identifier (3),
//! chassis type, backplane type, state and number of links (1 each).
//! PID 0x01a3 (bridge hello) is an older, different format that none of
//! them decodes; the dispatch hands only 0x01a1 and 0x01a2 here. Bytes
//! after the 11 (frame padding) are not part of the hello.

use super::wire::{be32, ipv4_string, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const HELLO_LEN: usize = 11;

/// SnpxState values.
pub const STATE_TOPOLOGY_CHANGE: u8 = 1;
pub const STATE_HEARTBEAT: u8 = 2;
pub const STATE_NEW: u8 = 3;

/// An NDP hello whose 11 bytes are known to be present.
#[derive(Clone, Copy)]
pub struct NortelDiscovery<'a> {
    buf: &'a [u8],
}

impl<'a> NortelDiscovery<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HELLO_LEN {
            return Err(DecodeError::truncated("NortelDiscovery", HELLO_LEN, buf.len()));
        }
        Ok(NortelDiscovery { buf })
    }
    /// IPv4 address of the sending agent (tshark `ndp.ipaddress`).
    pub fn ip_address(&self) -> &'a [u8] {
        self.buf.get(0..4).unwrap_or_default()
    }
    /// 24-bit segment identifier (tshark `ndp.segmentident`).
    pub fn segment_id(&self) -> u32 {
        be32(self.buf, 4) >> 8
    }
    /// Chassis type (tshark `ndp.chassis`).
    pub fn chassis(&self) -> u8 {
        u8_at(self.buf, 7)
    }
    /// Backplane type (tshark `ndp.backplane`).
    pub fn backplane(&self) -> u8 {
        u8_at(self.buf, 8)
    }
    /// State (tshark `ndp.state`): 1 topology change, 2 heartbeat, 3 new.
    pub fn state(&self) -> u8 {
        u8_at(self.buf, 9)
    }
    /// Number of interconnect ports (tshark `ndp.numberoflinks`).
    pub fn num_links(&self) -> u8 {
        u8_at(self.buf, 10)
    }
}

pub fn record(v: &NortelDiscovery, timestamp: i64, _cfg: &EncodeConfig) -> pb::NortelDiscovery {
    pb::NortelDiscovery {
        timestamp,
        ip_address: ipv4_string(v.ip_address()),
        segment_id: v.segment_id(),
        chassis: i32::from(v.chassis()),
        backplane: i32::from(v.backplane()),
        state: i32::from(v.state()),
        num_links: i32::from(v.num_links()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    /// tcpdump/tests/erspan-type-ii-3.pcap frame 3 (inside ERSPAN, 802.1Q,
    /// 802.3, LLC/SNAP PID 0x01a2), the hello and the padding after it.
    const SEGMENT_HELLO_3: &str = "00000000000115830c0200000000000000000000";

    #[test]
    fn hello_as_tshark_reads_it() {
        // tshark: ndp.ipaddress 0.0.0.0, ndp.segmentident 0x000115,
        // ndp.chassis 131 (Ethernet Switch 3510-24T), ndp.backplane 12,
        // ndp.state 2 (heartbeat), ndp.numberoflinks 0. Frame 4, the
        // flatnet hello (PID 0x01a1), has the same values.
        let b = hex(SEGMENT_HELLO_3);
        let v = NortelDiscovery::new_checked(&b).expect("valid");
        assert_eq!(v.ip_address(), &[0, 0, 0, 0]);
        assert_eq!((v.segment_id(), v.chassis(), v.backplane()), (0x000115, 131, 12));
        assert_eq!((v.state(), v.num_links()), (STATE_HEARTBEAT, 0));
        let r = record(&v, 4, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.ip_address.as_str(), r.segment_id), (4, "0.0.0.0", 0x115));
        assert_eq!((r.chassis, r.backplane, r.state, r.num_links), (131, 12, 2, 0));
    }

    #[test]
    fn hello_built_from_the_dissector_layout() {
        // Built from packet-ndp.c's offsets: 192.168.1.172, segment
        // 0x010203, chassis 96 (ERS 5510-24T), backplane 12, state 1
        // (topology change), 3 links.
        let b = hex("c0a801ac010203600c0103");
        let r = record(&NortelDiscovery::new_checked(&b).expect("valid"), 0, &EncodeConfig::default());
        assert_eq!((r.ip_address.as_str(), r.segment_id), ("192.168.1.172", 0x010203));
        assert_eq!((r.chassis, r.backplane, r.state, r.num_links), (96, 12, 1, 3));
        assert!(NortelDiscovery::new_checked(&b[..10]).is_err());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let base = hex(SEGMENT_HELLO_3);
        for n in 0..=base.len() {
            match NortelDiscovery::new_checked(&base[..n]) {
                Ok(v) => {
                    let _ = record(&v, 0, &EncodeConfig::default());
                }
                Err(_) => assert!(n < HELLO_LEN),
            }
        }
        let mut state = 0x5eed_0081_0000_0001u64;
        for _ in 0..3000 {
            let (m, cut) = mutate(&base, &mut state, 3);
            if let Ok(v) = NortelDiscovery::new_checked(&m[..cut]) {
                assert!(v.segment_id() <= 0xff_ffff);
                let _ = record(&v, 0, &EncodeConfig::default());
            }
        }
    }
}

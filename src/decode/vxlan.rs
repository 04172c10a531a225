//! VXLAN (RFC 7348) with the Group Based Policy extension
//! (draft-smith-vxlan-group-policy): UDP port 4789, an 8-byte header
//! (flags, group policy ID, 24-bit VNI, reserved byte), then an Ethernet
//! frame.
//!
//! Like Wireshark, the header is read whatever its flags say: the I flag
//! (VNI valid) and the GBP flags are reported, not enforced.

use super::wire::{be16, be32};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const UDP_PORT: u16 = 4789;
pub const HEADER_LEN: usize = 8;

pub const FLAG_GBP: u16 = 0x8000;
pub const FLAG_VNI_VALID: u16 = 0x0800;
pub const FLAG_DONT_LEARN: u16 = 0x0040;
pub const FLAG_POLICY_APPLIED: u16 = 0x0008;

/// A VXLAN header known to be complete.
#[derive(Clone, Copy)]
pub struct VxlanHeader<'a> {
    buf: &'a [u8],
}

impl<'a> VxlanHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("VXLAN", HEADER_LEN, buf.len()));
        }
        Ok(VxlanHeader { buf })
    }
    /// The 16-bit flags word (G 0x8000, I 0x0800, D 0x0040, A 0x0008).
    pub fn flags(&self) -> u16 {
        be16(self.buf, 0)
    }
    pub fn vni_valid(&self) -> bool {
        self.flags() & FLAG_VNI_VALID != 0
    }
    pub fn gbp_extension(&self) -> bool {
        self.flags() & FLAG_GBP != 0
    }
    pub fn gbp_dont_learn(&self) -> bool {
        self.flags() & FLAG_DONT_LEARN != 0
    }
    pub fn gbp_applied(&self) -> bool {
        self.flags() & FLAG_POLICY_APPLIED != 0
    }
    /// Group Policy ID (the second 16 bits; reserved without G).
    pub fn group_policy_id(&self) -> u16 {
        be16(self.buf, 2)
    }
    /// 24-bit VXLAN Network Identifier.
    pub fn vni(&self) -> u32 {
        be32(self.buf, 4) >> 8
    }
    /// The inner Ethernet frame.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..).unwrap_or_default()
    }
}

pub fn record(v: &VxlanHeader, timestamp: i64, _cfg: &EncodeConfig) -> pb::Vxlan {
    pb::Vxlan {
        timestamp,
        valid_id_flag: v.vni_valid(),
        vni: v.vni(),
        gbp_extension: v.gbp_extension(),
        gbp_dont_learn: v.gbp_dont_learn(),
        gbp_applied: v.gbp_applied(),
        gbp_group_policy_id: i32::from(v.group_policy_id()),
        flags: i32::from(v.flags()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    /// tcpdump/tests/vxlan.pcap frame 1 (UDP payload): I flag, VNI 100.
    const VXLAN_1: &str = "080000000000640000308801000200163e37f60408004500005400004000";
    /// pcapplusplus/Tests/Packet++Test/PacketExamples/Vxlan1.pcap frame 1:
    /// every GBP flag, group policy 100, VNI 3000001.
    const GBP_1: &str = "884800642dc6c10000308801000200163e37f60408004500005400004000";

    #[test]
    fn vxlan_as_tshark_reads_it() {
        let buf = hex(VXLAN_1);
        let v = VxlanHeader::new_checked(&buf).expect("valid");
        // tshark: vxlan.flags 0x0800, gbp 0, vni 100, flag_g 0, flag_i 1, flag_d 0, flag_a 0.
        assert_eq!((v.flags(), v.group_policy_id(), v.vni()), (0x0800, 0, 100));
        assert!(v.vni_valid() && !v.gbp_extension() && !v.gbp_dont_learn() && !v.gbp_applied());
        // Inner eth.dst 00:30:88:01:00:02.
        assert_eq!(v.payload().get(..6), Some(&[0x00, 0x30, 0x88, 0x01, 0x00, 0x02][..]));
        let buf = hex(GBP_1);
        let v = VxlanHeader::new_checked(&buf).expect("valid");
        // tshark: vxlan.flags 0x8848, gbp 100, vni 3000001, flags g, i, d, a all 1.
        let r = record(&v, 2, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.flags, r.gbp_group_policy_id, r.vni), (2, 0x8848, 100, 3_000_001));
        assert!(r.valid_id_flag && r.gbp_extension && r.gbp_dont_learn && r.gbp_applied);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let base = hex(GBP_1);
        for n in 0..=base.len() {
            match VxlanHeader::new_checked(&base[..n]) {
                Ok(v) => {
                    assert_eq!(v.payload().len(), n - HEADER_LEN);
                    let _ = record(&v, 0, &EncodeConfig::default());
                }
                Err(_) => assert!(n < HEADER_LEN),
            }
        }
        let mut state = 0x5eed_0000_0000_0001u64;
        for _ in 0..3000 {
            let (m, cut) = crate::decode::test_util::mutate(&base, &mut state, 1);
            if let Ok(v) = VxlanHeader::new_checked(&m[..cut]) {
                let _ = record(&v, 0, &EncodeConfig::default());
            }
        }
    }
}

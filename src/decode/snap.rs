//! SNAP, the Subnetwork Access Protocol header (IEEE 802-2014 clause 10,
//! RFC 1042): after an LLC header with DSAP and SSAP 0xAA, a 3-byte
//! organizationally unique identifier (OUI) and a 2-byte protocol
//! identifier (PID), both big-endian.
//!
//! With OUI 0x000000 (RFC 1042) or 0x0000f8 (Cisco's "90-compatible"
//! bridge tunnel, IEEE 802.1H) the PID is an EtherType; tshark then names
//! it `llc.type`. Other OUIs define their own PIDs (tshark `llc.pid`, or a
//! per-OUI field such as `llc.cisco_pid`, `llc.nortel_pid`). tshark keeps
//! SNAP inside its `llc` protocol; MANIFEST.tsv lists it as `snap`.

use super::wire::{be16, be32};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const HEADER_LEN: usize = 5;

/// RFC 1042 encapsulation: the PID is an EtherType.
pub const OUI_ENCAP_ETHER: u32 = 0x00_0000;
/// IEEE 802.1H bridge tunnel (Cisco "90-compatible"): PID is an EtherType.
pub const OUI_BRIDGE_TUNNEL: u32 = 0x00_00f8;
pub const OUI_CISCO: u32 = 0x00_000c;
/// Nortel (formerly SynOptics, Bay Networks).
pub const OUI_NORTEL: u32 = 0x00_0081;
/// Apple: AppleTalk over SNAP (PID 0x809b AppleTalk, 0x80f3 AARP).
pub const OUI_APPLE_ATALK: u32 = 0x08_0007;

/// Cisco PIDs (Wireshark's packet-cisco-oui.c).
pub const PID_CISCO_CDP: u16 = 0x2000;
pub const PID_CISCO_VTP: u16 = 0x2003;
pub const PID_CISCO_DTP: u16 = 0x2004;
pub const PID_CISCO_UDLD: u16 = 0x0111;
pub const PID_CISCO_PVSTP: u16 = 0x010b;
/// Nortel Discovery Protocol hellos; see `nortel_discovery`.
pub const PID_NORTEL_NDP_FLATNET: u16 = 0x01a1;
pub const PID_NORTEL_NDP_SEGMENT: u16 = 0x01a2;

/// A SNAP header known to be complete.
#[derive(Clone, Copy)]
pub struct SnapHeader<'a> {
    buf: &'a [u8],
}

impl<'a> SnapHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("SNAP", HEADER_LEN, buf.len()));
        }
        Ok(SnapHeader { buf })
    }
    /// The 24-bit OUI (tshark `llc.oui`).
    pub fn oui(&self) -> u32 {
        be32(self.buf, 0) >> 8
    }
    /// The protocol identifier: an EtherType when [`Self::carries_ethertype`].
    pub fn protocol(&self) -> u16 {
        be16(self.buf, 3)
    }
    /// Whether the PID is an EtherType (OUI 0 or 0x0000f8).
    pub fn carries_ethertype(&self) -> bool {
        matches!(self.oui(), OUI_ENCAP_ETHER | OUI_BRIDGE_TUNNEL)
    }
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..).unwrap_or_default()
    }
}

pub fn record(v: &SnapHeader, timestamp: i64, _cfg: &EncodeConfig) -> pb::Snap {
    pb::Snap { timestamp, organizational_code: v.oui(), r#type: i32::from(v.protocol()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    /// tcpdump/tests/3560_CDP.pcap frame 1, after the LLC header: tshark
    /// llc.oui 12 (00:00:0c), llc.cisco_pid 0x2000, then CDP version 2.
    const CDP_1: &str = "00000c200002b4b0bd";
    /// tcpdump/tests/ieee802.11_htc.pcap frame 1, after the LLC header:
    /// tshark llc.oui 0, llc.type 0x0800, then IPv4.
    const WLAN_1: &str = "0000000800450001485b";
    /// tcpdump/tests/erspan-type-ii-3.pcap frame 4, after the LLC header:
    /// tshark llc.oui 129 (00:00:81), llc.nortel_pid 0x01a1.
    const NDP_4: &str = "00008101a100000000000115830c0200";

    #[test]
    fn snap_as_tshark_reads_it() {
        let b = hex(CDP_1);
        let v = SnapHeader::new_checked(&b).expect("valid");
        assert_eq!((v.oui(), v.protocol(), v.carries_ethertype()), (OUI_CISCO, PID_CISCO_CDP, false));
        assert_eq!(v.payload().first(), Some(&2));
        let r = record(&v, 3, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.organizational_code, r.r#type), (3, 12, 0x2000));

        let b = hex(WLAN_1);
        let v = SnapHeader::new_checked(&b).expect("valid");
        assert_eq!((v.oui(), v.protocol(), v.carries_ethertype()), (0, 0x0800, true));
        assert_eq!(v.payload().first(), Some(&0x45));

        let b = hex(NDP_4);
        let v = SnapHeader::new_checked(&b).expect("valid");
        assert_eq!((v.oui(), v.protocol()), (OUI_NORTEL, PID_NORTEL_NDP_FLATNET));
        assert_eq!(v.payload().len(), 11);
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!((r.organizational_code, r.r#type), (129, 0x01a1));
        // Built: an 802.1H bridge tunnel header carrying AppleTalk.
        let b = hex("0000f8809b");
        assert!(SnapHeader::new_checked(&b).expect("valid").carries_ethertype());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let base = hex(NDP_4);
        for n in 0..=base.len() {
            match SnapHeader::new_checked(&base[..n]) {
                Ok(v) => {
                    assert_eq!(v.payload().len(), n - HEADER_LEN);
                    let _ = record(&v, 0, &EncodeConfig::default());
                }
                Err(_) => assert!(n < HEADER_LEN),
            }
        }
        let mut state = 0x5eed_5a00_0000_0001u64;
        for _ in 0..3000 {
            let (m, cut) = mutate(&base, &mut state, 2);
            if let Ok(v) = SnapHeader::new_checked(&m[..cut]) {
                assert!(v.oui() <= 0xff_ffff);
                let _ = record(&v, 0, &EncodeConfig::default());
            }
        }
    }
}

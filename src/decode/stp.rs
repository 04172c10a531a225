//! Spanning tree BPDUs: IEEE 802.1D STP (configuration and topology change
//! notification BPDUs), 802.1w RSTP and 802.1s/802.1Q MSTP (RST/MST
//! BPDUs, type 0x02) and 802.1aq SPB (version 4, whose MST part is read
//! here), after LLC SAP 0x42, and Cisco's PVST+/Rapid-PVST+ after SNAP
//! (OUI 00-00-0c, PID 0x010b) with its Originating VLAN TLV.
//!
//! No Go Netcap record type had them (gopacket's STP layer did), yet every
//! switched network sends a BPDU per port every two seconds: without a
//! decoder they filled unknown.pcap. Read as Wireshark's packet-bpdu.c
//! reads them, with its default "use system ID extensions" (a bridge
//! identifier is a 4-bit priority, a 12-bit system ID extension and a MAC
//! address):
//!
//! - every BPDU has the protocol identifier, version and type (4 bytes);
//! - configuration and RST BPDUs have the 35-byte body; RST BPDUs add the
//!   Version 1 Length;
//! - an MST extension follows when the version is 3 or more, the Version 1
//!   Length is 0 and the BPDU is at least 102 bytes: Version 3 Length, the
//!   MST configuration identifier, the CIST fields and 16-byte MSTI
//!   messages. A Version 3 Length below 64 counts MSTI messages (Cisco's
//!   C3550 did so); a length of 0 is Cisco's pre-standard layout, whose
//!   CIST path cost and bridge and whose MSTIs are left out here;
//! - PVST+ BPDUs carry type-length-value fields after byte 36.
//!
//! Wireshark also hands Ethernet and FDDI frames to GARP addresses
//! (01:80:c2:00:00:0d and 01:80:c2:00:00:2x) to GVRP/GMRP; the dispatch
//! checks that before calling this view (`Layers::link_destination`).

use super::wire::{be16, be32, mac_string, text_until_nul, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

/// Protocol identifier, version and type: all a TCN BPDU has.
pub const HEADER_LEN: usize = 4;
/// A configuration BPDU, up to the Forward Delay.
pub const CONFIG_LEN: usize = 35;
/// An RST BPDU: the configuration fields and the Version 1 Length.
pub const RST_LEN: usize = 36;
/// Where an MST BPDU's MSTI messages start; a shorter BPDU is no MST one.
pub const MST_LEN: usize = 102;
/// The MST part that Version 3 Length counts before the MSTI messages.
const VERSION_3_FIXED: usize = 64;
const MSTI_LEN: usize = 16;
/// PVST+ TLVs start after an RST BPDU's length (a configuration BPDU is
/// padded to it).
const PVST_TLV_AT: usize = 36;
/// PVST+ TLV type of the originating VLAN (its value is 2 bytes).
const PVST_TLV_ORIGINATING_VLAN: u16 = 0;

pub const TYPE_CONFIG: u8 = 0x00;
pub const TYPE_RST: u8 = 0x02;
pub const TYPE_TCN: u8 = 0x80;

/// Topology change and topology change acknowledgment flags.
pub const FLAG_TC: u8 = 0x01;
pub const FLAG_TCA: u8 = 0x80;

/// A BPDU whose fixed part for its type is present: 4 bytes for a TCN or
/// an unknown type, 35 for a configuration BPDU, 36 for an RST BPDU.
#[derive(Clone, Copy)]
pub struct Bpdu<'a> {
    buf: &'a [u8],
    /// Reached through Cisco's SNAP PID: PVST+ TLVs may follow.
    pvst: bool,
}

/// A BPDU that came in Cisco's SNAP encapsulation (PVST+).
#[derive(Clone, Copy)]
pub struct PvstBpdu<'a>(pub Bpdu<'a>);

impl<'a> PvstBpdu<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Bpdu::new_checked(buf).map(|b| PvstBpdu(Bpdu { pvst: true, ..b }))
    }
}

/// The GARP application a destination address names (GVRP at
/// 01:80:c2:00:00:0d and 01:80:c2:00:00:21, GMRP at ...:20, the rest of
/// 01:80:c2:00:00:2x reserved): such frames share LLC SAP 0x42 with BPDUs
/// and are not BPDUs.
pub fn garp_application(dst: &[u8]) -> Option<u8> {
    match *dst {
        [0x01, 0x80, 0xc2, 0x00, 0x00, last] if last == 0x0d || last & 0xf0 == 0x20 => Some(last),
        _ => None,
    }
}

/// A bridge identifier: priority, system ID extension, MAC address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BridgeId {
    pub priority: u16,
    pub system_id_extension: u16,
    pub mac: String,
}

fn bridge_id(b: &[u8], at: usize) -> BridgeId {
    let word = be16(b, at);
    BridgeId {
        priority: word & 0xf000,
        system_id_extension: word & 0x0fff,
        mac: mac_string(b.get(at + 2..at + 8).unwrap_or_default()),
    }
}

impl<'a> Bpdu<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let need = match buf.get(3) {
            Some(&TYPE_CONFIG) => CONFIG_LEN,
            Some(&TYPE_RST) => RST_LEN,
            _ => HEADER_LEN,
        };
        if buf.len() < need {
            return Err(DecodeError::truncated("STP", need, buf.len()));
        }
        Ok(Bpdu { buf, pvst: false })
    }
    /// tshark `stp.protocol` (0 for spanning tree).
    pub fn protocol_id(&self) -> u16 {
        be16(self.buf, 0)
    }
    /// tshark `stp.version`: 0 STP, 2 RSTP, 3 MSTP, 4 SPB.
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 2)
    }
    /// tshark `stp.type`: 0x00 configuration, 0x02 RST/MST, 0x80 TCN.
    pub fn bpdu_type(&self) -> u8 {
        u8_at(self.buf, 3)
    }
    /// Whether the configuration fields are there (not a TCN BPDU).
    pub fn has_body(&self) -> bool {
        matches!(self.bpdu_type(), TYPE_CONFIG | TYPE_RST)
    }
    fn body<T: Default>(&self, read: impl FnOnce(&[u8]) -> T) -> T {
        if self.has_body() {
            read(self.buf)
        } else {
            T::default()
        }
    }
    pub fn flags(&self) -> u8 {
        self.body(|b| u8_at(b, 4))
    }
    pub fn root(&self) -> Option<BridgeId> {
        self.has_body().then(|| bridge_id(self.buf, 5))
    }
    pub fn root_path_cost(&self) -> u32 {
        self.body(|b| be32(b, 13))
    }
    pub fn bridge(&self) -> Option<BridgeId> {
        self.has_body().then(|| bridge_id(self.buf, 17))
    }
    pub fn port_id(&self) -> u16 {
        self.body(|b| be16(b, 25))
    }
    /// A timer in seconds: the wire counts 1/256 s (tshark shows the
    /// quotient, `stp.msg_age` and the others).
    fn timer(&self, at: usize) -> f64 {
        self.body(|b| f64::from(be16(b, at)) / 256.0)
    }
    pub fn message_age(&self) -> f64 {
        self.timer(27)
    }
    pub fn max_age(&self) -> f64 {
        self.timer(29)
    }
    pub fn hello_time(&self) -> f64 {
        self.timer(31)
    }
    pub fn forward_delay(&self) -> f64 {
        self.timer(33)
    }
    /// RST BPDUs only (tshark `stp.version_1_length`).
    pub fn version_1_length(&self) -> Option<u8> {
        (self.bpdu_type() == TYPE_RST).then(|| u8_at(self.buf, 35))
    }
    /// The MST extension, under Wireshark's conditions.
    pub fn mst(&self) -> Option<Mst<'a>> {
        let mst = self.version() >= 3 && self.version_1_length() == Some(0) && self.buf.len() >= MST_LEN;
        mst.then_some(Mst { buf: self.buf })
    }
    /// The PVST+ Originating VLAN (tshark `stp.pvst.origvlan`): the value
    /// of the first well-formed TLV of type 0 (2 bytes), for a PVST+
    /// configuration BPDU or an RST BPDU without MST extension.
    pub fn originating_vlan(&self) -> Option<u16> {
        if !self.pvst || !self.has_body() || self.mst().is_some() {
            return None;
        }
        let mut rest = self.buf.get(PVST_TLV_AT..).unwrap_or_default();
        // Each step consumes at least the 4 bytes of type and length.
        while let [t0, t1, l0, l1, after @ ..] = rest {
            let (kind, len) = (u16::from_be_bytes([*t0, *t1]), usize::from(u16::from_be_bytes([*l0, *l1])));
            let value = after.get(..len)?;
            if kind == PVST_TLV_ORIGINATING_VLAN && len == 2 {
                return Some(be16(value, 0));
            }
            rest = after.get(len..).unwrap_or_default();
        }
        None
    }
}

/// An MST BPDU's extension (at least [`MST_LEN`] bytes are present).
#[derive(Clone, Copy)]
pub struct Mst<'a> {
    buf: &'a [u8],
}

impl<'a> Mst<'a> {
    /// tshark `mstp.version_3_length`.
    pub fn version_3_length(&self) -> u16 {
        be16(self.buf, 36)
    }
    pub fn config_format_selector(&self) -> u8 {
        u8_at(self.buf, 38)
    }
    /// The configuration name, up to its first NUL (32 bytes at most).
    pub fn config_name(&self) -> String {
        text_until_nul(self.buf.get(39..71).unwrap_or_default())
    }
    pub fn config_revision(&self) -> u16 {
        be16(self.buf, 71)
    }
    pub fn config_digest(&self) -> &'a [u8] {
        self.buf.get(73..89).unwrap_or_default()
    }
    /// Whether the layout is 802.1s/802.1Q's (a nonzero Version 3
    /// Length), which the CIST path cost, CIST bridge and MSTIs need.
    pub fn is_ieee(&self) -> bool {
        self.version_3_length() != 0
    }
    pub fn cist_internal_root_path_cost(&self) -> Option<u32> {
        self.is_ieee().then(|| be32(self.buf, 89))
    }
    pub fn cist_bridge(&self) -> Option<BridgeId> {
        self.is_ieee().then(|| bridge_id(self.buf, 93))
    }
    pub fn cist_remaining_hops(&self) -> u8 {
        u8_at(self.buf, 101)
    }
    /// The MSTI messages the Version 3 Length announces, as far as the
    /// captured bytes hold whole ones.
    pub fn mstis(&self) -> impl Iterator<Item = &'a [u8]> {
        let v3 = usize::from(self.version_3_length());
        let total = if !self.is_ieee() {
            0
        } else if v3 >= VERSION_3_FIXED {
            v3 - VERSION_3_FIXED
        } else {
            v3 * MSTI_LEN
        };
        let end = MST_LEN.saturating_add(total).min(self.buf.len());
        self.buf.get(MST_LEN..end).unwrap_or_default().chunks_exact(MSTI_LEN)
    }
}

fn msti(m: &[u8]) -> pb::Stpmsti {
    pb::Stpmsti {
        flags: i32::from(u8_at(m, 0)),
        regional_root_priority: i32::from(be16(m, 1) & 0xf000),
        mstid: i32::from(be16(m, 1) & 0x0fff),
        regional_root_mac: mac_string(m.get(3..9).unwrap_or_default()),
        internal_root_path_cost: be32(m, 9),
        bridge_priority: i32::from(u8_at(m, 13) >> 4),
        port_priority: i32::from(u8_at(m, 14) >> 4),
        remaining_hops: i32::from(u8_at(m, 15)),
    }
}

pub fn record(v: &Bpdu, timestamp: i64, _cfg: &EncodeConfig) -> pb::Stp {
    let flags = v.flags();
    let (root, bridge) = (v.root().unwrap_or_default(), v.bridge().unwrap_or_default());
    let mut r = pb::Stp {
        timestamp,
        protocol_id: i32::from(v.protocol_id()),
        version: i32::from(v.version()),
        r#type: i32::from(v.bpdu_type()),
        flags: i32::from(flags),
        tc: flags & FLAG_TC != 0,
        tca: flags & FLAG_TCA != 0,
        root_priority: i32::from(root.priority),
        root_system_id_extension: i32::from(root.system_id_extension),
        root_mac: root.mac,
        root_path_cost: v.root_path_cost(),
        bridge_priority: i32::from(bridge.priority),
        bridge_system_id_extension: i32::from(bridge.system_id_extension),
        bridge_mac: bridge.mac,
        port_id: i32::from(v.port_id()),
        message_age: v.message_age(),
        max_age: v.max_age(),
        hello_time: v.hello_time(),
        forward_delay: v.forward_delay(),
        version1_length: v.version_1_length().map_or(0, i32::from),
        originating_vlan: v.originating_vlan().map_or(0, i32::from),
        ..Default::default()
    };
    if let Some(m) = v.mst() {
        r.version3_length = i32::from(m.version_3_length());
        r.mst_config_format = i32::from(m.config_format_selector());
        r.mst_config_name = m.config_name();
        r.mst_config_revision = i32::from(m.config_revision());
        r.mst_config_digest = m.config_digest().to_vec();
        r.cist_internal_root_path_cost = m.cist_internal_root_path_cost().unwrap_or(0);
        if let Some(b) = m.cist_bridge() {
            r.cist_bridge_priority = i32::from(b.priority);
            r.cist_bridge_system_id_extension = i32::from(b.system_id_extension);
            r.cist_bridge_mac = b.mac;
        }
        r.cist_remaining_hops = i32::from(m.cist_remaining_hops());
        r.mst_is = m.mstis().map(msti).collect();
    }
    r
}

pub fn pvst_record(v: &PvstBpdu, timestamp: i64, cfg: &EncodeConfig) -> pb::Stp {
    record(&v.0, timestamp, cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    /// tcpdump/tests/MSTP_Intra-Region_BPDUs.pcap frame 1 after LLC: an
    /// MST BPDU with two MSTI messages.
    const MST_BPDU: &str = "00000302380000001f27b47d8000030d408000001646b58c8080120100140002\
        000f000000600042726577657279000000000000000000000000000000000000\
        0000000000000000009357ebb7a8d74dd5fef4f2bab50531aa00030d40800000\
        1ef705a88014fc6001001ef705a88000000000608014f88002001646b58c8000\
        030d40808014";

    #[test]
    fn mst_bpdu_as_tshark_reads_it() {
        let b = hex(MST_BPDU);
        let r = record(&Bpdu::new_checked(&b).expect("valid"), 7, &EncodeConfig::default());
        // tshark: stp.version 3, stp.type 0x02, stp.flags 0x38, root 0 / 0 /
        // 00:1f:27:b4:7d:80, cost 200000, bridge 32768 / 0 /
        // 00:16:46:b5:8c:80, port 0x8012, ages 1 / 20 / 2 / 15.
        assert_eq!((r.version, r.r#type, r.flags, r.tc, r.tca), (3, 2, 0x38, false, false));
        assert_eq!((r.root_priority, r.root_system_id_extension, r.root_mac.as_str()), (0, 0, "00:1f:27:b4:7d:80"));
        assert_eq!((r.root_path_cost, r.bridge_priority, r.bridge_mac.as_str()), (200_000, 32768, "00:16:46:b5:8c:80"));
        assert_eq!(
            (r.port_id, r.message_age, r.max_age, r.hello_time, r.forward_delay),
            (0x8012, 1.0, 20.0, 2.0, 15.0)
        );
        // MST extension: length 96, name "Brewery", revision 0, the
        // digest, CIST cost 200000, CIST bridge 32768 / 0 /
        // 00:1e:f7:05:a8:80, 20 hops; MSTID 1 (flags 0xfc, priority 0x6)
        // and MSTID 2 (flags 0xf8, priority 0x8, cost 200000).
        assert_eq!((r.version1_length, r.version3_length, r.mst_config_name.as_str()), (0, 96, "Brewery"));
        assert_eq!(r.mst_config_digest, hex("9357ebb7a8d74dd5fef4f2bab50531aa"));
        assert_eq!((r.cist_internal_root_path_cost, r.cist_bridge_priority), (200_000, 32768));
        assert_eq!((r.cist_bridge_mac.as_str(), r.cist_remaining_hops), ("00:1e:f7:05:a8:80", 20));
        let ids: Vec<_> = r.mst_is.iter().map(|m| (m.mstid, m.flags, m.regional_root_priority)).collect();
        assert_eq!(ids, [(1, 0xfc, 0x6000), (2, 0xf8, 0x8000)]);
        let m = &r.mst_is[1];
        assert_eq!((m.regional_root_mac.as_str(), m.internal_root_path_cost), ("00:16:46:b5:8c:80", 200_000));
        assert_eq!((m.bridge_priority, m.port_priority, m.remaining_hops), (8, 8, 20));
    }

    #[test]
    fn tcn_config_and_pvst() {
        // A TCN BPDU is four bytes.
        let r = record(&Bpdu::new_checked(&hex("00000080")).expect("valid"), 0, &EncodeConfig::default());
        assert_eq!((r.r#type, r.root_mac.as_str(), r.max_age), (0x80, "", 0.0));
        // A configuration BPDU with TC and TCA, priority 32768 + VLAN 1.
        let conf = "0000 00 00 81 8001 000000000001 00000004 8001 000000000002 8002 0100 1400 0200 0f00";
        let r = record(&Bpdu::new_checked(&hex(conf)).expect("valid"), 0, &EncodeConfig::default());
        assert_eq!((r.flags, r.tc, r.tca, r.root_priority, r.root_system_id_extension), (0x81, true, true, 32768, 1));
        assert_eq!((r.root_path_cost, r.port_id, r.version1_length, r.originating_vlan), (4, 0x8002, 0, 0));
        // The same as PVST+: one pad byte, then an unknown TLV and the
        // Originating VLAN TLV (type 0, length 2, VLAN 5).
        let pvst = hex(&format!("{conf} 00 0007 0001 aa 0000 0002 0005"));
        let p = PvstBpdu::new_checked(&pvst).expect("valid");
        assert_eq!(pvst_record(&p, 0, &EncodeConfig::default()).originating_vlan, 5);
        // Not a PVST+ BPDU (LLC): trailing bytes are not TLVs.
        assert_eq!(Bpdu::new_checked(&pvst).expect("valid").originating_vlan(), None);
        // A TLV longer than the bytes ends the search.
        let cut = hex(&format!("{conf} 00 0000 0009 0005"));
        assert_eq!(PvstBpdu::new_checked(&cut).expect("valid").0.originating_vlan(), None);
    }

    #[test]
    fn garp_addresses_are_not_bpdus() {
        assert_eq!(garp_application(&hex("0180c2000021")), Some(0x21));
        assert_eq!(garp_application(&hex("0180c200000d")), Some(0x0d));
        assert_eq!(garp_application(&hex("0180c2000000")), None);
        assert_eq!(garp_application(&hex("01000ccccccd")), None);
        assert_eq!(garp_application(&[]), None);
    }

    #[test]
    fn short_bpdus_are_errors() {
        assert!(Bpdu::new_checked(&hex("000000")).is_err());
        assert!(Bpdu::new_checked(&hex(MST_BPDU)[..34]).is_err());
        assert!(Bpdu::new_checked(&hex(MST_BPDU)[..35]).is_err());
        // An RST BPDU cut before the MST part is read as RSTP.
        let b = hex(MST_BPDU);
        let v = Bpdu::new_checked(&b[..101]).expect("valid");
        assert!(v.mst().is_none());
        assert_eq!(v.version_1_length(), Some(0));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let base = hex(MST_BPDU);
        let mut state = 0x5eed_u64;
        for n in 0..=base.len() {
            if let Ok(v) = Bpdu::new_checked(&base[..n]) {
                let _ = record(&v, 0, &EncodeConfig::default());
            }
        }
        for _ in 0..20_000 {
            let (b, _) = mutate(&base, &mut state, 6);
            if let Ok(v) = PvstBpdu::new_checked(&b) {
                let r = pvst_record(&v, 0, &EncodeConfig::default());
                assert!(r.mst_is.len() <= b.len() / MSTI_LEN);
            }
        }
    }
}

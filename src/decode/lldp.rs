//! LLDP, the Link Layer Discovery Protocol (IEEE 802.1AB-2016), EtherType
//! 0x88cc: an LLDPDU is a list of TLVs, each a 16-bit header (7-bit type,
//! 9-bit length) and up to 511 bytes of value. The Chassis ID (type 1),
//! Port ID (2) and Time To Live (3) TLVs must come first, in that order;
//! End of LLDPDU (type 0) ends the list. The organizationally specific TLVs
//! (type 127) are defined by IEEE 802.1Q Annex D (OUI 00-80-C2), IEEE 802.3
//! clause 79 (OUI 00-12-0F) and others (RFC 8520's MUD URL, OUI 00-00-5E).
//!
//! Two records per LLDPDU, as gopacket's layers/lldp.go has two layers:
//! `LinkLayerDiscovery` keeps every TLV as sent, with the mandatory ones
//! decoded; `LinkLayerDiscoveryInfo` decodes the optional ones.
//!
//! Choices:
//! - The mandatory TLVs are taken from their positions only (tshark does
//!   the same; gopacket takes them from anywhere). An LLDPDU without them
//!   still gives its records, with the ID sub-messages unset and
//!   `MandatoryTLVs` false: tshark shows such a PDU as LLDP too, and its
//!   TLVs are worth keeping.
//! - The walk stops at End of LLDPDU (whatever its length says, as tshark
//!   does), at a TLV running past the bytes (kept with the bytes it has),
//!   or after [`MAX_TLVS`] TLVs. Ethernet padding after End is not read.
//! - IDs are rendered as tshark shows them (see [`LldpId::text`]).
//! - gopacket keeps one management address; LLDPDUs may carry several, so
//!   they are all kept. gopacket turns the OID bytes into a string; here
//!   it is decoded to its dotted form, as tshark shows it.
//! - Known TLVs too short for their fixed fields (where gopacket fails the
//!   whole layer) go to `Unknown` with their bytes.

use super::wire::{be16, be32, hex_string, ipv4_string, ipv6_string, mac_string, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const ETHERTYPE: u16 = 0x88cc;
pub const TLV_HEADER_LEN: usize = 2;
/// Most TLVs walked in one LLDPDU. A standard LLDPDU fits one 1500-byte
/// frame, at most 750 empty TLVs; real ones carry a few dozen.
pub const MAX_TLVS: usize = 512;

pub const TLV_END: u8 = 0;
pub const TLV_CHASSIS_ID: u8 = 1;
pub const TLV_PORT_ID: u8 = 2;
pub const TLV_TTL: u8 = 3;
pub const TLV_PORT_DESCRIPTION: u8 = 4;
pub const TLV_SYSTEM_NAME: u8 = 5;
pub const TLV_SYSTEM_DESCRIPTION: u8 = 6;
pub const TLV_SYSTEM_CAPABILITIES: u8 = 7;
pub const TLV_MANAGEMENT_ADDRESS: u8 = 8;
pub const TLV_ORGANIZATION_SPECIFIC: u8 = 127;

/// Chassis ID subtypes whose ID is not text.
pub const CHASSIS_MAC_ADDRESS: u8 = 4;
pub const CHASSIS_NETWORK_ADDRESS: u8 = 5;
/// Port ID subtypes whose ID is not text.
pub const PORT_MAC_ADDRESS: u8 = 3;
pub const PORT_NETWORK_ADDRESS: u8 = 4;

pub const OUI_IEEE_8021: u32 = 0x0080c2;
pub const OUI_IEEE_8023: u32 = 0x00120f;
pub const OUI_IANA: u32 = 0x00005e;

/// IANA address family numbers used to render addresses.
const FAMILY_IPV4: u8 = 1;
const FAMILY_IPV6: u8 = 2;

/// One TLV. `value` is shorter than `length` only when the LLDPDU is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LldpTlv<'a> {
    pub tlv_type: u8,
    pub length: u16,
    pub value: &'a [u8],
}

impl LldpTlv<'_> {
    pub fn is_complete(&self) -> bool {
        self.value.len() == usize::from(self.length)
    }
}

/// The TLVs of an LLDPDU, in order, End of LLDPDU included; see the module
/// comment for where the walk stops.
#[derive(Clone)]
pub struct LldpTlvs<'a> {
    rest: &'a [u8],
    count: usize,
    done: bool,
}

impl<'a> Iterator for LldpTlvs<'a> {
    type Item = LldpTlv<'a>;

    fn next(&mut self) -> Option<LldpTlv<'a>> {
        if self.done || self.count >= MAX_TLVS || self.rest.len() < TLV_HEADER_LEN {
            self.done = true;
            return None;
        }
        let header = be16(self.rest, 0);
        let tlv_type = (header >> 9) as u8;
        let length = header & 0x01ff;
        let end = TLV_HEADER_LEN + usize::from(length);
        let value = self.rest.get(TLV_HEADER_LEN..end.min(self.rest.len())).unwrap_or_default();
        match self.rest.get(end..) {
            Some(rest) => self.rest = rest,
            None => {
                self.rest = &[];
                self.done = true;
            }
        }
        if tlv_type == TLV_END {
            self.done = true;
        }
        self.count += 1;
        Some(LldpTlv { tlv_type, length, value })
    }
}

/// A Chassis ID or Port ID: its subtype and the bytes after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LldpId<'a> {
    pub subtype: u8,
    pub id: &'a [u8],
    /// The subtype meaning "MAC address" (chassis 4, port 3).
    mac_subtype: u8,
    /// The subtype meaning "network address" (chassis 5, port 4).
    network_subtype: u8,
}

impl<'a> LldpId<'a> {
    /// A network address ID: its IANA address family (first byte).
    pub fn address_family(&self) -> Option<u8> {
        (self.subtype == self.network_subtype).then(|| u8_at(self.id, 0))
    }
    /// The ID as tshark shows it: a 6-byte MAC address as
    /// "aa:bb:cc:dd:ee:ff"; a network address of family 1 or 2 as IPv4 or
    /// IPv6 text, of another family as hex of its address bytes; any other
    /// subtype as text without its trailing NULs, or hex when that is not
    /// printable UTF-8 (tshark escapes it).
    pub fn text(&self) -> String {
        if self.subtype == self.mac_subtype && self.id.len() == 6 {
            return mac_string(self.id);
        }
        if self.subtype == self.mac_subtype {
            return hex_string(self.id);
        }
        if self.subtype == self.network_subtype {
            return address_text(u8_at(self.id, 0), self.id.get(1..).unwrap_or_default());
        }
        printable_or_hex(self.id)
    }
}

/// An LLDPDU of at least one TLV header.
#[derive(Clone, Copy)]
pub struct LldpFrame<'a> {
    buf: &'a [u8],
}

impl<'a> LldpFrame<'a> {
    /// `buf` is the Ethernet payload after EtherType 0x88cc (padding and
    /// a trailer may follow the End of LLDPDU TLV: they are not read).
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < TLV_HEADER_LEN {
            return Err(DecodeError::truncated("LLDP", TLV_HEADER_LEN, buf.len()));
        }
        Ok(LldpFrame { buf })
    }
    pub fn tlvs(&self) -> LldpTlvs<'a> {
        LldpTlvs { rest: self.buf, count: 0, done: false }
    }
    /// The TLV at `position` when it has type `tlv_type` and at least
    /// `min_len` complete bytes.
    fn mandatory(&self, position: usize, tlv_type: u8, min_len: usize) -> Option<LldpTlv<'a>> {
        self.tlvs().nth(position).filter(|t| t.tlv_type == tlv_type && t.is_complete() && t.value.len() >= min_len)
    }
    /// The first TLV, when it is a Chassis ID with a subtype and an ID.
    pub fn chassis_id(&self) -> Option<LldpId<'a>> {
        self.mandatory(0, TLV_CHASSIS_ID, 2).map(|t| LldpId {
            subtype: u8_at(t.value, 0),
            id: t.value.get(1..).unwrap_or_default(),
            mac_subtype: CHASSIS_MAC_ADDRESS,
            network_subtype: CHASSIS_NETWORK_ADDRESS,
        })
    }
    /// The second TLV, when it is a Port ID with a subtype and an ID.
    pub fn port_id(&self) -> Option<LldpId<'a>> {
        self.mandatory(1, TLV_PORT_ID, 2).map(|t| LldpId {
            subtype: u8_at(t.value, 0),
            id: t.value.get(1..).unwrap_or_default(),
            mac_subtype: PORT_MAC_ADDRESS,
            network_subtype: PORT_NETWORK_ADDRESS,
        })
    }
    /// Seconds, from the third TLV when it is a Time To Live TLV.
    pub fn ttl(&self) -> Option<u16> {
        self.mandatory(2, TLV_TTL, 2).map(|t| be16(t.value, 0))
    }
    /// Whether the LLDPDU starts with its three mandatory TLVs.
    pub fn has_mandatory_tlvs(&self) -> bool {
        self.chassis_id().is_some() && self.port_id().is_some() && self.ttl().is_some()
    }
    /// Whether the bytes end inside a TLV (header or value).
    pub fn truncated(&self) -> bool {
        let mut it = self.tlvs();
        let mut last = None;
        for t in it.by_ref() {
            last = Some(t);
        }
        match last {
            Some(t) if !t.is_complete() => true,
            Some(t) if t.tlv_type == TLV_END => false,
            _ => it.count < MAX_TLVS && it.rest.len() == 1,
        }
    }
}

/// An address of IANA family `family` as text: IPv4/IPv6 when the family
/// and length agree, hex otherwise (as tshark shows other families).
fn address_text(family: u8, addr: &[u8]) -> String {
    match (family, addr.len()) {
        (FAMILY_IPV4, 4) => ipv4_string(addr),
        (FAMILY_IPV6, 16) => ipv6_string(addr),
        _ => hex_string(addr),
    }
}

fn trim_nuls(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
    b.get(..end).unwrap_or_default()
}

/// Text without trailing NULs, lossy UTF-8 (LLDP strings are meant to be
/// printable; a stray byte shows as U+FFFD, as tshark shows it).
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(trim_nuls(b)).into_owned()
}

fn printable_or_hex(b: &[u8]) -> String {
    match std::str::from_utf8(trim_nuls(b)) {
        Ok(s) if !s.chars().any(char::is_control) => s.to_string(),
        _ => hex_string(b),
    }
}

/// A BER-encoded object identifier (the bytes after tag and length) in
/// dotted form; hex when the bytes are not one (a last arc cut short, an
/// arc beyond 64 bits).
pub fn oid_text(b: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    let mut open = false;
    for &byte in b {
        match acc.checked_mul(128) {
            Some(v) => acc = v | u64::from(byte & 0x7f),
            None => return hex_string(b),
        }
        open = byte & 0x80 != 0;
        if !open {
            if arcs.is_empty() {
                let first = acc.min(80) / 40;
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        }
    }
    if open {
        return hex_string(b);
    }
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

fn id_record(id: LldpId) -> pb::LinkLayerDiscoveryId {
    pb::LinkLayerDiscoveryId {
        subtype: i32::from(id.subtype),
        id: id.text(),
        address_family: i32::from(id.address_family().unwrap_or(0)),
        raw: id.id.to_vec(),
    }
}

fn value_record(t: &LldpTlv) -> pb::LinkLayerDiscoveryValue {
    pb::LinkLayerDiscoveryValue { r#type: i32::from(t.tlv_type), length: i32::from(t.length), value: t.value.to_vec() }
}

pub fn record(v: &LldpFrame, timestamp: i64, _cfg: &EncodeConfig) -> pb::LinkLayerDiscovery {
    pb::LinkLayerDiscovery {
        timestamp,
        chassis_id: v.chassis_id().map(id_record),
        port_id: v.port_id().map(id_record),
        ttl: i32::from(v.ttl().unwrap_or(0)),
        values: v.tlvs().map(|t| value_record(&t)).collect(),
        mandatory_tl_vs: v.has_mandatory_tlvs(),
        truncated: v.truncated(),
    }
}

/// The capability bits of 802.1AB 8.5.8.1 (bit 0 Other ... bit 10 TPMR).
fn capabilities(bits: u16) -> pb::LinkLayerDiscoveryInfoCapabilities {
    let bit = |n: u16| bits & (1 << n) != 0;
    pb::LinkLayerDiscoveryInfoCapabilities {
        other: bit(0),
        repeater: bit(1),
        bridge: bit(2),
        wlanap: bit(3),
        router: bit(4),
        phone: bit(5),
        doc_sis: bit(6),
        station_only: bit(7),
        cvlan: bit(8),
        svlan: bit(9),
        tmpr: bit(10),
    }
}

/// Management Address TLV (802.1AB 8.5.9): address string length (subtype
/// plus address), subtype, address, interface numbering subtype, interface
/// number, OID length, OID. None when a part is missing.
fn management_address(v: &[u8]) -> Option<pb::LinkLayerDiscoveryInfoMgmtAddress> {
    let mlen = usize::from(*v.first()?);
    if mlen < 1 {
        return None;
    }
    let address = v.get(2..1 + mlen)?;
    let olen = usize::from(*v.get(mlen + 6)?);
    let oid = v.get(mlen + 7..mlen + 7 + olen)?;
    Some(pb::LinkLayerDiscoveryInfoMgmtAddress {
        subtype: i32::from(u8_at(v, 1)),
        address: address_text(u8_at(v, 1), address),
        interface_subtype: i32::from(u8_at(v, 1 + mlen)),
        interface_number: be32(v, 2 + mlen),
        oid: if oid.is_empty() { String::new() } else { oid_text(oid) },
    })
}

/// Link Aggregation of 802.1Q D.2.7 and the deprecated 802.3 79.3.3: status
/// byte, aggregated port ID.
fn link_aggregation(info: &[u8]) -> Option<pb::LinkLayerDiscoveryInfoLinkAggregation> {
    (info.len() >= 5).then(|| pb::LinkLayerDiscoveryInfoLinkAggregation {
        supported: u8_at(info, 0) & 0x01 != 0,
        enabled: u8_at(info, 0) & 0x02 != 0,
        port_id: be32(info, 1),
    })
}

/// Decodes the organizationally specific TLVs that are common and cheap
/// into `r`; returns false when the TLV is too short for its subtype.
fn decode_org(r: &mut pb::LinkLayerDiscoveryInfo, oui: u32, subtype: u8, info: &[u8]) -> bool {
    match (oui, subtype) {
        (OUI_IEEE_8021, 1) if info.len() >= 2 => r.port_vlanid = i32::from(be16(info, 0)),
        (OUI_IEEE_8021, 3) if info.len() >= 3 => {
            let name_len = usize::from(u8_at(info, 2));
            let name = info.get(3..).unwrap_or_default();
            r.vlan_names.push(pb::LinkLayerDiscoveryInfoVlanName {
                id: i32::from(be16(info, 0)),
                name: text(name.get(..name_len).unwrap_or(name)),
            });
        }
        (OUI_IEEE_8021, 7) | (OUI_IEEE_8023, 3) if info.len() >= 5 => r.link_aggregation = link_aggregation(info),
        (OUI_IEEE_8023, 1) if info.len() >= 5 => {
            r.macphy_config_status = Some(pb::LinkLayerDiscoveryInfoMacphy {
                auto_neg_supported: u8_at(info, 0) & 0x01 != 0,
                auto_neg_enabled: u8_at(info, 0) & 0x02 != 0,
                auto_neg_capability: i32::from(be16(info, 1)),
                mau_type: i32::from(be16(info, 3)),
            })
        }
        (OUI_IEEE_8023, 4) if info.len() >= 2 => r.max_frame_size = i32::from(be16(info, 0)),
        (OUI_IANA, 1) => r.mudurl = text(info),
        (OUI_IEEE_8021, 1 | 3 | 7) | (OUI_IEEE_8023, 1 | 3 | 4) => return false,
        _ => {}
    }
    true
}

pub fn info_record(v: &LldpFrame, timestamp: i64, _cfg: &EncodeConfig) -> pb::LinkLayerDiscoveryInfo {
    let mut r = pb::LinkLayerDiscoveryInfo { timestamp, ..Default::default() };
    for (i, t) in v.tlvs().enumerate() {
        let understood = match t.tlv_type {
            TLV_END => true,
            // The mandatory TLVs belong to the LinkLayerDiscovery record,
            // in their positions; elsewhere they break 802.1AB.
            TLV_CHASSIS_ID => i == 0,
            TLV_PORT_ID => i == 1,
            TLV_TTL => i == 2,
            TLV_PORT_DESCRIPTION => {
                r.port_description = text(t.value);
                true
            }
            TLV_SYSTEM_NAME => {
                r.sys_name = text(t.value);
                true
            }
            TLV_SYSTEM_DESCRIPTION => {
                r.sys_description = text(t.value);
                true
            }
            TLV_SYSTEM_CAPABILITIES if t.value.len() >= 4 => {
                let (system, enabled) = (be16(t.value, 0), be16(t.value, 2));
                r.sys_capabilities = Some(pb::LinkLayerDiscoveryInfoSysCapabilities {
                    system_capabilities: i32::from(system),
                    enabled_capabilities: i32::from(enabled),
                    system_cap: Some(capabilities(system)),
                    enabled_cap: Some(capabilities(enabled)),
                });
                true
            }
            TLV_MANAGEMENT_ADDRESS => match management_address(t.value) {
                Some(m) => {
                    r.mgmt_address.push(m);
                    true
                }
                None => false,
            },
            TLV_ORGANIZATION_SPECIFIC if t.value.len() >= 4 => {
                let oui = be32(t.value, 0) >> 8;
                let subtype = u8_at(t.value, 3);
                let info = t.value.get(4..).unwrap_or_default();
                r.org_tl_vs.push(pb::LinkLayerDiscoveryInfoOrgTlv {
                    oui,
                    sub_type: i32::from(subtype),
                    info: info.to_vec(),
                });
                decode_org(&mut r, oui, subtype, info)
            }
            _ => false,
        };
        if !understood {
            r.unknown.push(value_record(&t));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    /// tcpdump/tests/lldp_mudurl.pcap frame 1, after EtherType 0x88cc. tshark: chassis subtype 4
    /// 00:23:54:c2:57:02, port subtype 3 00:23:54:c2:57:02, TTL 120, TLV
    /// types 1,2,3,5,6,7,8,8,4,127,127,127,0; sys name
    /// upstairs.ofcourseimright.com, port desc eth0, capabilities 0x009c,
    /// enabled 0x0008, management addresses 62.12.173.114 and
    /// 2001:8a8:1006:4:223:54ff:fec2:5702 (ifIndex 2, no OID), 802.3 link
    /// aggregation status 0x01 port 0, MAC/PHY status 0x03 caps 0xecc3 MAU
    /// type 0x0010, MUD URL
    /// https://imright.mud.example.com/.well-known/mud/v1/vomitv2.0.
    const MUDURL: &str = "
        0207 0400 2354 c257 0204 0703 0023 54c2 5702 0602 0078 0a1c 7570 7374 6169 7273
        2e6f 6663 6f75 7273 6569 6d72 6967 6874 2e63 6f6d 0c5c 5562 756e 7475 2031 342e
        3034 2e35 204c 5453 204c 696e 7578 2033 2e31 332e 302d 3130 362d 6765 6e65 7269
        6320 2331 3533 2d55 6275 6e74 7520 534d 5020 5475 6520 4465 6320 3620 3135 3a34
        353a 3133 2055 5443 2032 3031 3620 6936 3836 0e04 009c 0008 100c 0501 3e0c ad72
        0200 0000 0200 1018 1102 2001 08a8 1006 0004 0223 54ff fec2 5702 0200 0000 0200
        0804 6574 6830 fe09 0012 0f03 0100 0000 00fe 0900 120f 0103 ecc3 0010 fe40 0000
        5e01 6874 7470 733a 2f2f 696d 7269 6768 742e 6d75 642e 6578 616d 706c 652e 636f
        6d2f 2e77 656c 6c2d 6b6e 6f77 6e2f 6d75 642f 7631 2f76 6f6d 6974 7632 2e30 0000";

    /// tcpdump/tests/LLDP_and_CDP.pcap frame 3 (a Cisco switch), after the
    /// EtherType. tshark: chassis subtype 4 00:19:2f:a7:b2:8d, port subtype 1
    /// (interface alias) "Uplink to S1", TTL 120, TLV types
    /// 1,2,3,5,6,4,7,127,127,0; sys name S2.cisco.com, port desc
    /// GigabitEthernet0/13, capabilities 0x0014 enabled 0x0004.
    const CISCO: &str = "
        0207 0400 192f a7b2 8d04 0d01 5570 6c69 6e6b 2074 6f20 5331 0602 0078 0a0c 5332
        2e63 6973 636f 2e63 6f6d 0cbe 4369 7363 6f20 494f 5320 536f 6674 7761 7265 2c20
        4333 3536 3020 536f 6674 7761 7265 2028 4333 3536 302d 4144 5649 5053 4552 5649
        4345 534b 392d 4d29 2c20 5665 7273 696f 6e20 3132 2e32 2834 3429 5345 2c20 5245
        4c45 4153 4520 534f 4654 5741 5245 2028 6663 3129 0a43 6f70 7972 6967 6874 2028
        6329 2031 3938 362d 3230 3038 2062 7920 4369 7363 6f20 5379 7374 656d 732c 2049
        6e63 2e0a 436f 6d70 696c 6564 2053 6174 2030 352d 4a61 6e2d 3038 2030 303a 3135
        2062 7920 7765 696c 6975 0813 4769 6761 6269 7445 7468 6572 6e65 7430 2f31 330e
        0400 1400 04fe 0600 80c2 0100 01fe 0900 120f 0103 c036 0010 0000";

    /// tcpdump/tests/lldp_asan.pcap frame 1 (a fuzzed frame, 54 of 310
    /// bytes captured): a Chassis ID TLV (subtype 5, IPv4 0.0.32.0), then
    /// 802.3 TLVs where tshark wants the Port ID ("Invalid Port ID (0x7F),
    /// expected (0x02)": it shows the chassis only).
    const ASAN: &str =
        "0206 0501 0000 2000 fe09 0012 0f01 00ff ff20 00fe 0900 120f 0100 00fe 0f00 0000 fe06 ef7f 5555 7675";

    /// tcpdump/tests/lldp_8021_linkagg.pcap frame 1: a lone 802.1 Link
    /// Aggregation TLV (status 0x03, port 100); tshark: "Invalid Chassis ID
    /// (0x7F), expected (0x01)", nothing else.
    const LINKAGG: &str = "fe09 0080 c207 0300 0000 64";

    fn frame(s: &str) -> Vec<u8> {
        hex(s)
    }

    #[test]
    fn mudurl_frame_as_tshark_reads_it() {
        let buf = frame(MUDURL);
        let v = LldpFrame::new_checked(&buf).expect("valid");
        let types: Vec<u8> = v.tlvs().map(|t| t.tlv_type).collect();
        assert_eq!(types, [1, 2, 3, 5, 6, 7, 8, 8, 4, 127, 127, 127, 0]);
        assert!(v.tlvs().all(|t| t.is_complete()));
        let c = v.chassis_id().expect("chassis");
        assert_eq!((c.subtype, c.text().as_str(), c.address_family()), (4, "00:23:54:c2:57:02", None));
        let p = v.port_id().expect("port");
        assert_eq!((p.subtype, p.text().as_str()), (3, "00:23:54:c2:57:02"));
        assert_eq!(v.ttl(), Some(120));
        assert!(v.has_mandatory_tlvs() && !v.truncated());

        let r = record(&v, 5, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.ttl, r.values.len()), (5, 120, 13));
        assert!(r.mandatory_tl_vs && !r.truncated);
        let c = r.chassis_id.expect("chassis");
        assert_eq!((c.subtype, c.id.as_str(), c.address_family), (4, "00:23:54:c2:57:02", 0));
        assert_eq!(c.raw, [0x00, 0x23, 0x54, 0xc2, 0x57, 0x02]);
        assert_eq!((r.values[3].r#type, r.values[3].length), (5, 28));
        assert_eq!(r.values[3].value, b"upstairs.ofcourseimright.com");
        assert_eq!((r.values[12].r#type, r.values[12].length, r.values[12].value.len()), (0, 0, 0));

        let i = info_record(&v, 5, &EncodeConfig::default());
        assert_eq!(i.sys_name, "upstairs.ofcourseimright.com");
        assert_eq!(i.port_description, "eth0");
        assert_eq!(
            i.sys_description,
            "Ubuntu 14.04.5 LTS Linux 3.13.0-106-generic #153-Ubuntu SMP Tue Dec 6 15:45:13 UTC 2016 i686"
        );
        let caps = i.sys_capabilities.expect("capabilities");
        assert_eq!((caps.system_capabilities, caps.enabled_capabilities), (0x9c, 0x08));
        let (sys, en) = (caps.system_cap.expect("system"), caps.enabled_cap.expect("enabled"));
        // 0x009c: bridge, WLAN AP, router, station only; 0x0008: WLAN AP.
        assert!(sys.bridge && sys.wlanap && sys.router && sys.station_only && !sys.other && !sys.phone);
        assert!(en.wlanap && !en.bridge && !en.router);
        assert_eq!(i.mgmt_address.len(), 2);
        let m = &i.mgmt_address[0];
        assert_eq!(
            (m.subtype, m.address.as_str(), m.interface_subtype, m.interface_number),
            (1, "62.12.173.114", 2, 2)
        );
        assert_eq!(m.oid, "");
        assert_eq!(
            (i.mgmt_address[1].subtype, i.mgmt_address[1].address.as_str()),
            (2, "2001:8a8:1006:4:223:54ff:fec2:5702")
        );
        let ouis: Vec<(u32, i32)> = i.org_tl_vs.iter().map(|o| (o.oui, o.sub_type)).collect();
        assert_eq!(ouis, [(0x00120f, 3), (0x00120f, 1), (0x00005e, 1)]);
        let agg = i.link_aggregation.expect("aggregation");
        assert!(agg.supported && !agg.enabled && agg.port_id == 0);
        let phy = i.macphy_config_status.expect("mac/phy");
        assert!(phy.auto_neg_supported && phy.auto_neg_enabled);
        assert_eq!((phy.auto_neg_capability, phy.mau_type), (0xecc3, 0x10));
        assert_eq!(i.mudurl, "https://imright.mud.example.com/.well-known/mud/v1/vomitv2.0");
        assert!(i.unknown.is_empty());
    }

    #[test]
    fn cisco_frame_as_tshark_reads_it() {
        let buf = frame(CISCO);
        let v = LldpFrame::new_checked(&buf).expect("valid");
        let r = record(&v, 0, &EncodeConfig::default());
        let types: Vec<i32> = r.values.iter().map(|t| t.r#type).collect();
        assert_eq!(types, [1, 2, 3, 5, 6, 4, 7, 127, 127, 0]);
        assert_eq!(r.chassis_id.expect("chassis").id, "00:19:2f:a7:b2:8d");
        let p = r.port_id.expect("port");
        assert_eq!((p.subtype, p.id.as_str(), p.raw.as_slice()), (1, "Uplink to S1", &b"Uplink to S1"[..]));
        assert_eq!(r.ttl, 120);
        let i = info_record(&v, 0, &EncodeConfig::default());
        assert_eq!((i.sys_name.as_str(), i.port_description.as_str()), ("S2.cisco.com", "GigabitEthernet0/13"));
        assert!(i.sys_description.starts_with("Cisco IOS Software, C3560 Software"));
        assert!(i.sys_description.ends_with("Compiled Sat 05-Jan-08 00:15 by weiliu"));
        let caps = i.sys_capabilities.expect("capabilities");
        assert_eq!((caps.system_capabilities, caps.enabled_capabilities), (0x14, 0x04));
        // 802.1 Port VLAN ID 1; 802.3 MAC/PHY: status 0x03, caps 0xc036, MAU 16.
        assert_eq!(i.port_vlanid, 1);
        let phy = i.macphy_config_status.expect("mac/phy");
        assert_eq!((phy.auto_neg_capability, phy.mau_type), (0xc036, 16));
    }

    #[test]
    fn missing_mandatory_tlvs_keep_the_tlvs() {
        let buf = frame(ASAN);
        let v = LldpFrame::new_checked(&buf).expect("valid");
        let c = v.chassis_id().expect("chassis");
        assert_eq!((c.subtype, c.address_family(), c.text().as_str()), (5, Some(1), "0.0.32.0"));
        assert!(v.port_id().is_none() && v.ttl().is_none() && !v.has_mandatory_tlvs());
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!(r.chassis_id.expect("chassis").address_family, 1);
        assert!(r.port_id.is_none() && r.ttl == 0 && !r.mandatory_tl_vs);
        // Chassis, two 802.3 TLVs, End; the bytes after End are not read.
        let types: Vec<i32> = r.values.iter().map(|t| t.r#type).collect();
        assert_eq!(types, [1, 127, 127, 0]);
        let i = info_record(&v, 0, &EncodeConfig::default());
        // Two 802.3 MAC/PHY TLVs; the later one wins.
        assert_eq!(i.org_tl_vs.len(), 2);
        assert_eq!(i.macphy_config_status.expect("mac/phy").mau_type, 0x0f00);

        let buf = frame(LINKAGG);
        let v = LldpFrame::new_checked(&buf).expect("valid");
        assert!(v.chassis_id().is_none() && !v.truncated());
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!((r.values.len(), r.values[0].r#type, r.values[0].length), (1, 127, 9));
        let i = info_record(&v, 0, &EncodeConfig::default());
        let agg = i.link_aggregation.expect("aggregation");
        assert!(agg.supported && agg.enabled && agg.port_id == 100);
    }

    fn tlv(t: u8, v: &[u8]) -> Vec<u8> {
        let mut b = ((u16::from(t) << 9) | v.len() as u16).to_be_bytes().to_vec();
        b.extend_from_slice(v);
        b
    }

    /// IDs of every subtype, rendered as tshark 4.0 shows them (checked on
    /// frames built like these and read with text2pcap and tshark).
    #[test]
    fn ids_render_as_tshark_shows_them() {
        let id = |subtype: u8, id: &[u8], chassis: bool| {
            let (mac, net) = if chassis { (4, 5) } else { (3, 4) };
            LldpId { subtype, id, mac_subtype: mac, network_subtype: net }.text()
        };
        assert_eq!(id(1, b"chassis-comp", true), "chassis-comp");
        assert_eq!(id(7, b"\x01\x02local", true), "01026c6f63616c");
        assert_eq!(id(6, b"eth0\0\0", true), "eth0");
        assert_eq!(id(4, &[0, 0x11, 0x22, 0x33, 0x44], true), "0011223344");
        assert_eq!(id(5, &[1, 192, 168, 0, 1], true), "192.168.0.1");
        let v6 = hex("02 20010db8000000000000000000000001");
        assert_eq!(id(5, &v6, true), "2001:db8::1");
        assert_eq!(id(4, &v6, false), "2001:db8::1");
        assert_eq!(id(5, &hex("06 001122334455"), true), "001122334455");
        assert_eq!(id(3, &hex("001122334455"), false), "00:11:22:33:44:55");
        assert_eq!(id(5, b"ifname", false), "ifname");
        // tshark shows port ID "ifname\xff" as "ifname\u{fffd}"; netcap keeps
        // such an ID lossless, as hex (the bytes are in Raw either way).
        assert_eq!(id(5, b"ifname\xff", false), "69666e616d65ff");
    }

    #[test]
    fn management_addresses_and_oids() {
        // IPv4 10.0.0.1, ifIndex 7, OID 1.3.6.1 (tshark: lldp.mgn.obj.id 1.3.6.1).
        let m = management_address(&[5, 1, 10, 0, 0, 1, 2, 0, 0, 0, 7, 3, 0x2b, 6, 1]).expect("valid");
        assert_eq!(
            (m.address.as_str(), m.interface_subtype, m.interface_number, m.oid.as_str()),
            ("10.0.0.1", 2, 7, "1.3.6.1")
        );
        // An IEEE 802 address: hex, as tshark's lldp.mgn.addr.hex.
        let m = management_address(&hex("07 06 001122334455 01 00000000 00")).expect("valid");
        assert_eq!((m.subtype, m.address.as_str(), m.interface_subtype), (6, "001122334455", 1));
        // OID length past the end, address length 0: not a management address.
        assert!(management_address(&[5, 1, 10, 0, 0, 1, 2, 0, 0, 0, 7, 4, 0x2b]).is_none());
        assert!(management_address(&[0, 1, 2, 0, 0, 0, 0, 0]).is_none());
        assert_eq!(oid_text(&[0x2b, 6, 1, 4, 1, 0x89, 0x0d]), "1.3.6.1.4.1.1165");
        assert_eq!(oid_text(&[0x81, 0x00]), "2.48");
        assert_eq!(oid_text(&[0x2b, 0x86]), "2b86");
        assert_eq!(oid_text(&[0xff; 12]), "ffffffffffffffffffffffff");
    }

    #[test]
    fn built_lldpdu_with_every_tlv_kind() {
        let mut b = tlv(1, &hex("04 001122334455"));
        b.extend(tlv(2, b"\x07port-7"));
        b.extend(tlv(3, &[0, 0]));
        b.extend(tlv(7, &[0x07, 0xff, 0x00, 0x04]));
        b.extend(tlv(127, &hex("0080c2 03 0064 04 76313030")));
        b.extend(tlv(127, &hex("0080c2 01 00")));
        b.extend(tlv(127, &hex("00120f 04 05ee")));
        b.extend(tlv(127, &hex("00120f")));
        b.extend(tlv(9, b"nine"));
        b.extend(tlv(2, b"\x07late"));
        b.extend(tlv(7, &[1, 2]));
        b.extend(tlv(0, &[]));
        b.extend([0; 8]);
        let v = LldpFrame::new_checked(&b).expect("valid");
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!(r.values.len(), 12);
        assert_eq!((r.ttl, r.port_id.expect("port").id.as_str()), (0, "port-7"));
        let i = info_record(&v, 0, &EncodeConfig::default());
        let caps = i.sys_capabilities.expect("capabilities");
        let sys = caps.system_cap.expect("system");
        assert!(sys.cvlan && sys.svlan && sys.tmpr && sys.doc_sis && sys.phone);
        assert_eq!(i.vlan_names.len(), 1);
        assert_eq!((i.vlan_names[0].id, i.vlan_names[0].name.as_str()), (100, "v100"));
        assert_eq!((i.port_vlanid, i.max_frame_size), (0, 1518));
        // Too short: the 802.1 Port VLAN ID (1 byte), the OUI-only TLV, the
        // 2-byte capabilities; unknown type 9; the Port ID out of place.
        let unknown: Vec<i32> = i.unknown.iter().map(|u| u.r#type).collect();
        assert_eq!(unknown, [127, 127, 9, 2, 7]);
        assert_eq!(i.org_tl_vs.len(), 3);
    }

    #[test]
    fn truncated_lldpdus() {
        let mut b = tlv(1, &hex("04 001122334455"));
        b.extend(tlv(5, b"a-long-name"));
        let cut = &b[..b.len() - 3];
        let v = LldpFrame::new_checked(cut).expect("valid");
        assert!(v.truncated());
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!((r.values[1].length, r.values[1].value.as_slice()), (11, &b"a-long-n"[..]));
        assert!(r.truncated);
        // A lone byte after a complete TLV.
        let v = LldpFrame::new_checked(&b[..9 + 1]).expect("valid");
        assert!(v.truncated());
        assert_eq!(v.tlvs().count(), 1);
        // Ends at a TLV boundary without End: not truncated.
        let v = LldpFrame::new_checked(&b).expect("valid");
        assert!(!v.truncated());
        assert!(LldpFrame::new_checked(&[0x02]).is_err());
        // End stops the walk whatever its length says (tshark: End of
        // LLDPDU, TLV Length 194, in tcpdump/tests/lldp-infinite-loop-2.pcap).
        let v = LldpFrame::new_checked(&[0x00, 0xc2, 0x02, 0x07]).expect("valid");
        assert_eq!(v.tlvs().count(), 1);
        assert!(v.truncated());
    }

    #[test]
    fn the_walk_is_bounded() {
        let many = [0x12u8, 0x00].repeat(MAX_TLVS + 100);
        let v = LldpFrame::new_checked(&many).expect("valid");
        assert_eq!(v.tlvs().count(), MAX_TLVS);
        assert!(!v.truncated());
        let r = info_record(&v, 0, &EncodeConfig::default());
        assert_eq!(r.unknown.len(), MAX_TLVS);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let cfg = EncodeConfig::default();
        for base in [frame(MUDURL), frame(CISCO), frame(ASAN)] {
            for n in 0..=base.len() {
                match LldpFrame::new_checked(&base[..n]) {
                    Ok(v) => {
                        let r = record(&v, 0, &cfg);
                        assert!(r.values.len() <= n / 2);
                        let _ = info_record(&v, 0, &cfg);
                    }
                    Err(_) => assert!(n < TLV_HEADER_LEN),
                }
            }
            let mut state = 0x11d9_0000_0000_0001u64;
            for flips in 1..=4 {
                for _ in 0..1500 {
                    let (m, cut) = mutate(&base, &mut state, flips);
                    if let Ok(v) = LldpFrame::new_checked(&m[..cut]) {
                        let _ = record(&v, 0, &cfg);
                        let _ = info_record(&v, 0, &cfg);
                    }
                }
            }
        }
    }
}

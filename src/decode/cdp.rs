//! CDP, the Cisco Discovery Protocol: LLC/SNAP with OUI 00-00-0C and PID
//! 0x2000 on IEEE 802 LANs (to 01:00:0c:cc:cc:cc), protocol 0x2000 on Cisco
//! HDLC and in GRE. A 4-byte header (version, TTL in seconds, checksum)
//! and TLVs: 16-bit type, 16-bit length that counts the 4-byte TLV header.
//! Cisco has not published the format; the references are Wireshark's
//! epan/dissectors/packet-cdp.c and gopacket's layers/cdp.go (which names
//! the records and their fields).
//!
//! Two records per CDP packet, as gopacket has two layers:
//! `CiscoDiscovery` keeps every TLV as sent; `CiscoDiscoveryInfo` decodes
//! them as gopacket does, typed where gopacket keeps raw parts.
//!
//! Choices:
//! - Versions other than 1 and 2 are refused, as gopacket refuses them.
//! - The walk stops at a TLV length below 4 (as Wireshark and gopacket do),
//!   at a TLV running past the bytes (kept with the bytes it has), or after
//!   [`MAX_TLVS`] TLVs; `Truncated` then says so.
//! - A TLV too short for its fixed fields (where gopacket fails the whole
//!   layer) goes to `Unknown` with its bytes.
//! - The checksum is checked as Wireshark checks it: the IP checksum over
//!   the whole packet, except that an odd last byte L is summed as the word
//!   0x00LL, or 0xFF00 | (L - 1) when L >= 0x80 (Cisco's implementation
//!   sums it as a signed byte). It is checked over the bytes given: the
//!   caller cuts the packet at the 802.3 length.
//! - IPv6 addresses: 802.2 protocol AAAA03-000000-86DD (Cisco's document
//!   says 0800, which gopacket follows; a 16-byte address is IPv6 either way).
//! - EnergyWise sub-TLV lengths count their 8-byte header, as Wireshark reads
//!   them (gopacket does not, and then reads one TLV only).

use super::wire::{be16, be32, ipv4_string, ipv6_string, mac_string, text_until_nul as text, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

/// SNAP organization code and protocol ID of CDP.
pub const SNAP_OUI: u32 = 0x00000c;
pub const SNAP_PID: u16 = 0x2000;
/// The protocol number of CDP on Cisco HDLC and in GRE.
pub const PROTOCOL: u16 = 0x2000;
pub const HEADER_LEN: usize = 4;
pub const TLV_HEADER_LEN: usize = 4;
/// Most TLVs walked in one packet (each takes at least 4 bytes; real
/// packets carry a dozen or two).
pub const MAX_TLVS: usize = 512;
/// Most addresses decoded from one Addresses TLV.
pub const MAX_ADDRESSES: usize = 64;

pub const TLV_DEVICE_ID: u16 = 0x0001;
pub const TLV_ADDRESSES: u16 = 0x0002;
pub const TLV_PORT_ID: u16 = 0x0003;
pub const TLV_CAPABILITIES: u16 = 0x0004;
pub const TLV_VERSION: u16 = 0x0005;
pub const TLV_PLATFORM: u16 = 0x0006;
pub const TLV_IP_PREFIX: u16 = 0x0007;
pub const TLV_HELLO: u16 = 0x0008;
pub const TLV_VTP_DOMAIN: u16 = 0x0009;
pub const TLV_NATIVE_VLAN: u16 = 0x000a;
pub const TLV_FULL_DUPLEX: u16 = 0x000b;
pub const TLV_VLAN_REPLY: u16 = 0x000e;
pub const TLV_VLAN_QUERY: u16 = 0x000f;
pub const TLV_POWER: u16 = 0x0010;
pub const TLV_MTU: u16 = 0x0011;
pub const TLV_EXTENDED_TRUST: u16 = 0x0012;
pub const TLV_UNTRUSTED_COS: u16 = 0x0013;
pub const TLV_SYS_NAME: u16 = 0x0014;
pub const TLV_SYS_OID: u16 = 0x0015;
pub const TLV_MGMT_ADDRESSES: u16 = 0x0016;
pub const TLV_LOCATION: u16 = 0x0017;
pub const TLV_POWER_REQUESTED: u16 = 0x0019;
pub const TLV_POWER_AVAILABLE: u16 = 0x001a;
pub const TLV_ENERGY_WISE: u16 = 0x001d;
pub const TLV_SPARE_PAIR_POE: u16 = 0x001f;

/// EnergyWise sub-TLV types.
const NRGYZ_ROLE: u32 = 0x07;
const NRGYZ_DOMAIN: u32 = 0x08;
const NRGYZ_NAME: u32 = 0x09;
const NRGYZ_REPLY_TO: u32 = 0x17;
/// The fixed part of the EnergyWise TLV before its sub-TLVs.
const NRGYZ_FIXED_LEN: usize = 72;

/// One TLV. `value` is shorter than `length - 4` only when the packet is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CdpTlv<'a> {
    pub tlv_type: u16,
    /// The length field, the 4-byte header included.
    pub length: u16,
    pub value: &'a [u8],
}

impl CdpTlv<'_> {
    pub fn is_complete(&self) -> bool {
        self.value.len() + TLV_HEADER_LEN == usize::from(self.length)
    }
}

/// The TLVs after the header, in order; see the module comment for where
/// the walk stops.
#[derive(Clone)]
pub struct CdpTlvs<'a> {
    rest: &'a [u8],
    count: usize,
    /// Why the walk stopped early: a bad length, a cut TLV, stray bytes.
    malformed: bool,
    done: bool,
}

impl<'a> Iterator for CdpTlvs<'a> {
    type Item = CdpTlv<'a>;

    fn next(&mut self) -> Option<CdpTlv<'a>> {
        if self.done || self.count >= MAX_TLVS {
            self.done = true;
            return None;
        }
        if self.rest.len() < TLV_HEADER_LEN {
            self.malformed |= !self.rest.is_empty();
            self.done = true;
            return None;
        }
        let tlv_type = be16(self.rest, 0);
        let length = be16(self.rest, 2);
        let end = usize::from(length);
        if end < TLV_HEADER_LEN {
            self.malformed = true;
            self.done = true;
            return None;
        }
        let value = self.rest.get(TLV_HEADER_LEN..end.min(self.rest.len())).unwrap_or_default();
        match self.rest.get(end..) {
            Some(rest) => self.rest = rest,
            None => {
                self.rest = &[];
                self.malformed = true;
                self.done = true;
            }
        }
        self.count += 1;
        Some(CdpTlv { tlv_type, length, value })
    }
}

/// A CDP packet of version 1 or 2 with its 4-byte header.
#[derive(Clone, Copy)]
pub struct CdpPacket<'a> {
    buf: &'a [u8],
}

impl<'a> CdpPacket<'a> {
    /// `buf` is the packet after the SNAP header (or the HDLC/GRE protocol
    /// field), cut at the 802.3 length when there is one.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("CDP", HEADER_LEN, buf.len()));
        }
        if !matches!(u8_at(buf, 0), 1 | 2) {
            return Err(DecodeError::malformed("CDP", "version is neither 1 nor 2"));
        }
        Ok(CdpPacket { buf })
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    /// Seconds the receiver keeps the information.
    pub fn ttl(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn tlvs(&self) -> CdpTlvs<'a> {
        CdpTlvs { rest: self.buf.get(HEADER_LEN..).unwrap_or_default(), count: 0, malformed: false, done: false }
    }
    /// Whether the walk ended early (see [`CdpTlvs`]).
    pub fn truncated(&self) -> bool {
        let mut it = self.tlvs();
        it.by_ref().for_each(drop);
        it.malformed
    }
    /// The checksum the packet should carry (see the module comment).
    pub fn computed_checksum(&self) -> u16 {
        let mut sum: u32 = 0;
        let mut words = self.buf.chunks_exact(2);
        for (i, w) in words.by_ref().enumerate() {
            // The checksum field itself counts as zero.
            if i != 1 {
                sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
            }
        }
        if let [last] = words.remainder() {
            sum += if *last & 0x80 != 0 { 0xff00 | u32::from(last - 1) } else { u32::from(*last) };
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }
    pub fn checksum_valid(&self) -> bool {
        self.computed_checksum() == self.checksum()
    }
}

fn value_record(t: &CdpTlv) -> pb::CiscoDiscoveryValue {
    pb::CiscoDiscoveryValue { r#type: i32::from(t.tlv_type), length: i32::from(t.length), value: t.value.to_vec() }
}

pub fn record(v: &CdpPacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::CiscoDiscovery {
    pb::CiscoDiscovery {
        timestamp,
        version: i32::from(v.version()),
        ttl: i32::from(v.ttl()),
        checksum: i32::from(v.checksum()),
        values: v.tlvs().map(|t| value_record(&t)).collect(),
        checksum_valid: v.checksum_valid(),
        truncated: v.truncated(),
    }
}

/// An Addresses or Management Addresses TLV: a 32-bit count, then per
/// address protocol type (1 NLPID, 2 802.2), protocol length, protocol,
/// 16-bit address length, address. The IPv4 (NLPID 0xcc) and IPv6
/// addresses, in order; the walk stops at an address cut short.
fn addresses(v: &[u8]) -> Vec<String> {
    let count = usize::try_from(be32(v, 0)).unwrap_or(usize::MAX).min(MAX_ADDRESSES);
    let mut rest = v.get(4..).unwrap_or_default();
    let mut out = Vec::new();
    for _ in 0..count {
        let Some(&[ptype, plen]) = rest.get(..2) else { break };
        let plen = usize::from(plen);
        let Some(protocol) = rest.get(2..2 + plen) else { break };
        let alen = usize::from(be16(rest, 2 + plen));
        let Some(addr) = rest.get(4 + plen..4 + plen + alen) else { break };
        match (ptype, protocol, alen) {
            (1, [0xcc], 4) => out.push(ipv4_string(addr)),
            (2, [0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd] | [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00], 16) => {
                out.push(ipv6_string(addr))
            }
            _ => {}
        }
        rest = rest.get(4 + plen + alen..).unwrap_or_default();
    }
    out
}

fn capabilities(bits: u32) -> pb::CiscoDiscoveryInfoCapabilities {
    let bit = |m: u32| bits & m != 0;
    pb::CiscoDiscoveryInfoCapabilities {
        bits,
        l3_router: bit(0x001),
        tb_bridge: bit(0x002),
        sp_bridge: bit(0x004),
        l2_switch: bit(0x008),
        is_host: bit(0x010),
        igmp_filter: bit(0x020),
        l1_repeater: bit(0x040),
        is_phone: bit(0x080),
        remotely_managed: bit(0x100),
        cvta: bit(0x200),
        mac_relay: bit(0x400),
    }
}

/// Protocol Hello, at least 32 bytes (offsets as Wireshark reads the
/// cluster management hello).
fn hello(v: &[u8]) -> pb::CiscoDiscoveryInfoHello {
    let slice = |a: usize, b: usize| v.get(a..b).unwrap_or_default();
    pb::CiscoDiscoveryInfoHello {
        oui: be32(v, 0) >> 8,
        protocol_id: i32::from(be16(v, 3)),
        cluster_master: ipv4_string(slice(5, 9)),
        unknown1: ipv4_string(slice(9, 13)),
        version: i32::from(u8_at(v, 13)),
        sub_version: i32::from(u8_at(v, 14)),
        status: i32::from(u8_at(v, 15)),
        unknown2: i32::from(u8_at(v, 16)),
        cluster_commander: mac_string(slice(17, 23)),
        switch_mac: mac_string(slice(23, 29)),
        unknown3: i32::from(u8_at(v, 29)),
        management_vlan: i32::from(be16(v, 30)),
    }
}

/// Power Requested / Power Available: request ID, management ID, then
/// 32-bit milliwatt values.
fn power_dialogue(v: &[u8]) -> pb::CiscoDiscoveryInfoPowerDialogue {
    pb::CiscoDiscoveryInfoPowerDialogue {
        id: i32::from(be16(v, 0)),
        mgmt_id: i32::from(be16(v, 2)),
        values: v.get(4..).unwrap_or_default().chunks_exact(4).map(|c| be32(c, 0)).collect(),
    }
}

/// EnergyWise, at least [`NRGYZ_FIXED_LEN`] bytes: the fixed part, then
/// up to "number of TLVs" sub-TLVs within "length of TLV table" bytes,
/// each a 32-bit type and a 32-bit length that counts its 8-byte header.
fn energy_wise(v: &[u8]) -> pb::CiscoDiscoveryInfoEnergyWise {
    let slice = |a: usize, b: usize| v.get(a..b).unwrap_or_default();
    let mut e = pb::CiscoDiscoveryInfoEnergyWise {
        encrypted_data: slice(0, 20).to_vec(),
        unknown1: be32(v, 20),
        sequence_number: be32(v, 24),
        model_number: text(slice(28, 44)),
        unknown2: i32::from(be16(v, 44)),
        hardware_id: text(slice(46, 49)),
        serial_num: text(slice(49, 60)),
        unknown3: slice(60, 68).to_vec(),
        ..Default::default()
    };
    let table = v.get(NRGYZ_FIXED_LEN..).unwrap_or_default();
    let mut table = table.get(..usize::from(be16(v, 68))).unwrap_or(table);
    for _ in 0..be16(v, 70) {
        let (t, len) = (be32(table, 0), usize::try_from(be32(table, 4)).unwrap_or(usize::MAX));
        let Some(sub) = table.get(8..len) else { break };
        match t {
            NRGYZ_ROLE => e.role = text(sub),
            NRGYZ_DOMAIN => e.domain = text(sub),
            NRGYZ_NAME => e.name = text(sub),
            NRGYZ_REPLY_TO if sub.len() >= 14 => {
                e.reply_unknown1 = sub.get(..2).unwrap_or_default().to_vec();
                e.reply_port = i32::from(be16(sub, 2));
                e.reply_address = ipv4_string(sub.get(4..8).unwrap_or_default());
                e.reply_backup_port = i32::from(be16(sub, 8));
                e.reply_backup_address = ipv4_string(sub.get(10..14).unwrap_or_default());
            }
            _ => {}
        }
        table = table.get(len..).unwrap_or_default();
    }
    e
}

pub fn info_record(v: &CdpPacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::CiscoDiscoveryInfo {
    let mut r = pb::CiscoDiscoveryInfo { timestamp, ..Default::default() };
    for t in v.tlvs() {
        let val = t.value;
        let n = val.len();
        let dialogue =
            || pb::CiscoDiscoveryInfoVlanDialogue { id: i32::from(u8_at(val, 0)), vlan: i32::from(be16(val, 1)) };
        match t.tlv_type {
            TLV_DEVICE_ID => r.device_id = text(val),
            TLV_ADDRESSES if n >= 4 => r.addresses = addresses(val),
            TLV_PORT_ID => r.port_id = text(val),
            TLV_CAPABILITIES if n >= 4 => r.capabilities = Some(capabilities(be32(val, 0))),
            TLV_VERSION => r.version = text(val),
            TLV_PLATFORM => r.platform = text(val),
            TLV_IP_PREFIX if n == 4 => r.odr_default_gateway = ipv4_string(val),
            TLV_IP_PREFIX if n > 0 && n % 5 == 0 => {
                r.ip_prefixes = val
                    .chunks_exact(5)
                    .map(|p| pb::CiscoDiscoveryInfoIpPrefix {
                        network: ipv4_string(p.get(..4).unwrap_or_default()),
                        prefix_length: i32::from(u8_at(p, 4)),
                    })
                    .collect()
            }
            TLV_HELLO if n >= 32 => r.cdp_hello = Some(hello(val)),
            TLV_VTP_DOMAIN => r.vtp_domain = text(val),
            TLV_NATIVE_VLAN if n >= 2 => r.native_vlan = i32::from(be16(val, 0)),
            TLV_FULL_DUPLEX if n >= 1 => r.full_duplex = u8_at(val, 0) != 0,
            TLV_VLAN_REPLY if n >= 3 => r.vlan_reply = Some(dialogue()),
            TLV_VLAN_QUERY if n >= 3 => r.vlan_query = Some(dialogue()),
            TLV_POWER if n >= 2 => r.power_consumption = i32::from(be16(val, 0)),
            TLV_MTU if n >= 4 => r.mtu = be32(val, 0),
            TLV_EXTENDED_TRUST if n >= 1 => r.extended_trust = i32::from(u8_at(val, 0)),
            TLV_UNTRUSTED_COS if n >= 1 => r.untrusted_cos = i32::from(u8_at(val, 0)),
            TLV_SYS_NAME => r.sys_name = text(val),
            TLV_SYS_OID => r.sys_oid = val.to_vec(),
            TLV_MGMT_ADDRESSES if n >= 4 => r.mgmt_addresses = addresses(val),
            TLV_LOCATION if n >= 2 => {
                r.location = Some(pb::CiscoDiscoveryInfoLocation {
                    r#type: i32::from(u8_at(val, 0)),
                    location: text(val.get(1..).unwrap_or_default()),
                })
            }
            TLV_POWER_REQUESTED if n >= 4 => r.power_request = Some(power_dialogue(val)),
            TLV_POWER_AVAILABLE if n >= 4 => r.power_available = Some(power_dialogue(val)),
            TLV_ENERGY_WISE if n >= NRGYZ_FIXED_LEN => r.energy_wise = Some(energy_wise(val)),
            TLV_SPARE_PAIR_POE if n >= 1 => {
                let b = u8_at(val, 0);
                r.spare_pair_poe = Some(pb::CiscoDiscoveryInfoSparePairPoE {
                    pse_four_wire: b & 0x01 != 0,
                    pd_arch_shared: b & 0x02 != 0,
                    pd_request_on: b & 0x04 != 0,
                    pse_on: b & 0x08 != 0,
                })
            }
            _ => r.unknown.push(value_record(&t)),
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    /// tcpdump/tests/3560_CDP.pcap frame 1, after the SNAP header (802.3
    /// length 386: the 378 bytes to the end). tshark: version 2, TTL 180,
    /// checksum 0xb0bd [correct]; TLV types 0x0001, 0x0005, 0x0006, 0x0002,
    /// 0x0003, 0x0004, 0x0008, 0x0009, 0x000a, 0x000b, 0x0012, 0x0013,
    /// 0x0016, 0x001a; device ID Switch; platform cisco WS-C3560G-24PS; port
    /// ID GigabitEthernet0/5; addresses 192.168.0.1 and management address
    /// 192.168.0.1; capabilities 0x00000028; hello: OUI 0x00000c, protocol
    /// 0x0112, master 0.0.0.0, IP? 255.255.255.255, version 0x01, sub
    /// version 0x02, status 0x21, unknown 0xff, commander 00:00:00:00:00:00,
    /// switch 00:19:06:ea:b8:80, unknown 0xff, management VLAN 0; VTP domain
    /// Lab; native VLAN 1; duplex full; trust bitmap 0x00; untrusted CoS
    /// 0x00; power available request 0, management 1, 0 mW and 4294967295 mW.
    const C3560: &str = "
        02b4 b0bd 0001 000a 5377 6974 6368 0005 00c4 4369 7363 6f20 494f 5320 536f 6674
        7761 7265 2c20 4333 3536 3020 536f 6674 7761 7265 2028 4333 3536 302d 4144 5649
        5053 4552 5649 4345 534b 392d 4d29 2c20 5665 7273 696f 6e20 3132 2e32 2832 3529
        5345 4234 2c20 5245 4c45 4153 4520 534f 4654 5741 5245 2028 6663 3129 0a43 6f70
        7972 6967 6874 2028 6329 2031 3938 362d 3230 3035 2062 7920 4369 7363 6f20 5379
        7374 656d 732c 2049 6e63 2e0a 436f 6d70 696c 6564 2054 7565 2033 302d 4175 672d
        3035 2031 373a 3536 2062 7920 7965 6e61 6e68 0006 0018 6369 7363 6f20 5753 2d43
        3335 3630 472d 3234 5053 0002 0011 0000 0001 0101 cc00 04c0 a800 0100 0300 1647
        6967 6162 6974 4574 6865 726e 6574 302f 3500 0400 0800 0000 2800 0800 2400 000c
        0112 0000 0000 ffff ffff 0102 21ff 0000 0000 0000 0019 06ea b880 ff00 0000 0900
        074c 6162 000a 0006 0001 000b 0005 0100 1200 0500 0013 0005 0000 1600 1100 0000
        0101 01cc 0004 c0a8 0001 001a 0010 0000 0001 0000 0000 ffff ffff";

    /// pcapplusplus/Tests/ExamplesTest/pcap_examples/many-protocols.pcap
    /// frame 21 (802.1Q VLAN 118, 802.3 length 357, SNAP), after the SNAP
    /// header: 349 bytes, an odd length. tshark: version 2, TTL 180,
    /// checksum 0xbae2 [correct]; device ID R1; platform Cisco 2811; port
    /// ID FastEthernet0/0; address 10.118.10.1; capabilities 0x00000029;
    /// IP prefixes 10.118.10.0/24, 10.118.20.0/24, 10.118.30.0/24; VTP
    /// domain "" (TLV length 4); duplex full.
    const R1_ODD: &str = "
        02b4 bae2 0001 0006 5231 0005 00fd 4369 7363 6f20 494f 5320 536f 6674 7761 7265
        2c20 3238 3030 2053 6f66 7477 6172 6520 2843 3238 3030 4e4d 2d41 4456 4950 5345
        5256 4943 4553 4b39 2d4d 292c 2056 6572 7369 6f6e 2031 322e 3428 3234 2954 2c20
        5245 4c45 4153 4520 534f 4654 5741 5245 2028 6663 3129 0a54 6563 686e 6963 616c
        2053 7570 706f 7274 3a20 6874 7470 3a2f 2f77 7777 2e63 6973 636f 2e63 6f6d 2f74
        6563 6873 7570 706f 7274 0a43 6f70 7972 6967 6874 2028 6329 2031 3938 362d 3230
        3039 2062 7920 4369 7363 6f20 5379 7374 656d 732c 2049 6e63 2e0a 436f 6d70 696c
        6564 2057 6564 2032 352d 4665 622d 3039 2031 373a 3535 2062 7920 7072 6f64 5f72
        656c 5f74 6561 6d00 0600 0e43 6973 636f 2032 3831 3100 0200 1100 0000 0101 01cc
        0004 0a76 0a01 0003 0013 4661 7374 4574 6865 726e 6574 302f 3000 0400 0800 0000
        2900 0700 130a 760a 0018 0a76 1400 180a 761e 0018 0009 0004 000b 0005 01";

    fn rec(s: &str) -> (pb::CiscoDiscovery, pb::CiscoDiscoveryInfo) {
        let buf = hex(s);
        let v = CdpPacket::new_checked(&buf).expect("valid");
        (record(&v, 3, &EncodeConfig::default()), info_record(&v, 3, &EncodeConfig::default()))
    }

    #[test]
    fn c3560_as_tshark_reads_it() {
        let buf = hex(C3560);
        assert_eq!(buf.len(), 378);
        let v = CdpPacket::new_checked(&buf).expect("valid");
        assert_eq!((v.version(), v.ttl(), v.checksum(), v.computed_checksum()), (2, 180, 0xb0bd, 0xb0bd));
        assert!(v.checksum_valid() && !v.truncated());
        let types: Vec<u16> = v.tlvs().map(|t| t.tlv_type).collect();
        assert_eq!(types, [0x01, 0x05, 0x06, 0x02, 0x03, 0x04, 0x08, 0x09, 0x0a, 0x0b, 0x12, 0x13, 0x16, 0x1a]);
        assert!(v.tlvs().all(|t| t.is_complete()));

        let (r, i) = rec(C3560);
        assert_eq!((r.timestamp, r.version, r.ttl, r.checksum, r.values.len()), (3, 2, 180, 0xb0bd, 14));
        assert!(r.checksum_valid && !r.truncated);
        assert_eq!((r.values[0].r#type, r.values[0].length, r.values[0].value.as_slice()), (1, 10, &b"Switch"[..]));

        assert_eq!((i.device_id.as_str(), i.port_id.as_str()), ("Switch", "GigabitEthernet0/5"));
        assert_eq!(i.platform, "cisco WS-C3560G-24PS");
        assert_eq!(
            i.version,
            "Cisco IOS Software, C3560 Software (C3560-ADVIPSERVICESK9-M), Version 12.2(25)SEB4, RELEASE SOFTWARE (fc1)\n\
             Copyright (c) 1986-2005 by Cisco Systems, Inc.\n\
             Compiled Tue 30-Aug-05 17:56 by yenanh"
        );
        assert_eq!(
            (i.addresses.as_slice(), i.mgmt_addresses.as_slice()),
            (&["192.168.0.1".to_string()][..], &["192.168.0.1".to_string()][..])
        );
        let caps = i.capabilities.expect("capabilities");
        assert_eq!(caps.bits, 0x28);
        assert!(caps.l2_switch && caps.igmp_filter && !caps.l3_router && !caps.is_host && !caps.cvta);
        let h = i.cdp_hello.expect("hello");
        assert_eq!(
            (h.oui, h.protocol_id, h.cluster_master.as_str(), h.unknown1.as_str()),
            (0x0c, 0x0112, "0.0.0.0", "255.255.255.255")
        );
        assert_eq!(
            (h.version, h.sub_version, h.status, h.unknown2, h.unknown3, h.management_vlan),
            (1, 2, 0x21, 0xff, 0xff, 0)
        );
        assert_eq!((h.cluster_commander.as_str(), h.switch_mac.as_str()), ("00:00:00:00:00:00", "00:19:06:ea:b8:80"));
        assert_eq!((i.vtp_domain.as_str(), i.native_vlan, i.full_duplex), ("Lab", 1, true));
        assert_eq!((i.extended_trust, i.untrusted_cos), (0, 0));
        let p = i.power_available.expect("power available");
        assert_eq!((p.id, p.mgmt_id, p.values.as_slice()), (0, 1, &[0, 4_294_967_295][..]));
        assert!(i.power_request.is_none() && i.unknown.is_empty() && i.ip_prefixes.is_empty());
    }

    #[test]
    fn odd_length_packet_with_prefixes() {
        let buf = hex(R1_ODD);
        assert_eq!(buf.len(), 349);
        let v = CdpPacket::new_checked(&buf).expect("valid");
        assert!(v.checksum_valid(), "computed {:04x}", v.computed_checksum());
        let (r, i) = rec(R1_ODD);
        assert_eq!((r.checksum, r.values.len()), (0xbae2, 9));
        assert_eq!(
            (i.device_id.as_str(), i.platform.as_str(), i.port_id.as_str()),
            ("R1", "Cisco 2811", "FastEthernet0/0")
        );
        assert_eq!(i.addresses, ["10.118.10.1"]);
        assert_eq!(i.capabilities.expect("capabilities").bits, 0x29);
        let prefixes: Vec<(String, i32)> = i.ip_prefixes.iter().map(|p| (p.network.clone(), p.prefix_length)).collect();
        assert_eq!(
            prefixes,
            [("10.118.10.0".to_string(), 24), ("10.118.20.0".to_string(), 24), ("10.118.30.0".to_string(), 24)]
        );
        assert_eq!((i.vtp_domain.as_str(), i.full_duplex), ("", true));
        // The last byte, 0x01, summed the standard way (0x0100) gives b9e3.
        let mut wrong = buf.clone();
        wrong.push(0);
        assert_eq!(CdpPacket::new_checked(&wrong).expect("valid").computed_checksum(), 0xb9e3);
    }

    #[test]
    fn odd_last_byte_from_0x80_is_summed_as_signed() {
        // Wireshark: an odd last byte L >= 0x80 is the word 0xFF00 | (L - 1).
        let mut b = vec![2, 180, 0, 0, 0, 0x0b, 0, 5, 0x80];
        let v = CdpPacket::new_checked(&b).expect("valid");
        let sum: u32 = 0x02b4 + 0x000b + 0x0005 + 0xff7f;
        let folded = (sum & 0xffff) + (sum >> 16);
        assert_eq!(v.computed_checksum(), !(folded as u16));
        let c = v.computed_checksum().to_be_bytes();
        b[2..4].copy_from_slice(&c);
        assert!(CdpPacket::new_checked(&b).expect("valid").checksum_valid());
    }

    fn tlv(t: u16, v: &[u8]) -> Vec<u8> {
        let mut b = t.to_be_bytes().to_vec();
        b.extend_from_slice(&(v.len() as u16 + 4).to_be_bytes());
        b.extend_from_slice(v);
        b
    }

    /// No shared capture carries these TLVs: built from packet-cdp.c's
    /// layout (and gopacket's for the fields it names).
    #[test]
    fn built_packet_with_the_other_tlvs() {
        let mut b = vec![2, 180, 0, 0];
        b.extend(tlv(TLV_IP_PREFIX, &[10, 0, 0, 1]));
        let mut addrs = hex("00000003 01 01 cc 0004 0a000001");
        addrs.extend(hex("02 08 aaaa0300000086dd 0010 20010db8000000000000000000000001"));
        addrs.extend(hex("01 01 81 0001 49"));
        b.extend(tlv(TLV_MGMT_ADDRESSES, &addrs));
        b.extend(tlv(TLV_VLAN_REPLY, &hex("01 0064")));
        b.extend(tlv(TLV_VLAN_QUERY, &hex("02 00c8")));
        b.extend(tlv(TLV_POWER, &hex("3a98")));
        b.extend(tlv(TLV_MTU, &hex("000005dc")));
        b.extend(tlv(TLV_EXTENDED_TRUST, &[1]));
        b.extend(tlv(TLV_UNTRUSTED_COS, &[5]));
        b.extend(tlv(TLV_SYS_NAME, b"sw1.example\0"));
        b.extend(tlv(TLV_SYS_OID, &hex("060a2b060104010903")));
        b.extend(tlv(TLV_LOCATION, b"\x01Building 4"));
        b.extend(tlv(TLV_POWER_REQUESTED, &hex("0001 0002 00003a98 00001f40 ff")));
        b.extend(tlv(TLV_SPARE_PAIR_POE, &[0x0d]));
        b.extend(tlv(TLV_CAPABILITIES, &hex("00000690")));
        b.extend(tlv(TLV_NATIVE_VLAN, &[1]));
        b.extend(tlv(0x001b, &[0]));
        let mut nrgyz = vec![0xee; 20];
        nrgyz.extend(hex("00000001 00000002"));
        nrgyz.extend(b"WS-C3750E-24PD\0\0");
        nrgyz.extend(hex("0000"));
        nrgyz.extend(b"V01FOC1234X567");
        nrgyz.extend(hex("0102030405060708"));
        let mut subs = hex("00000007 0000000e");
        subs.extend(b"child\0");
        subs.extend(hex("00000017 0000001e 0000 b4a5 0a000001 0000 00000000 0000000000000000"));
        subs.extend(hex("00000009 00000008"));
        nrgyz.extend((subs.len() as u16).to_be_bytes());
        nrgyz.extend(4u16.to_be_bytes());
        nrgyz.extend(&subs);
        b.extend(tlv(TLV_ENERGY_WISE, &nrgyz));
        let v = CdpPacket::new_checked(&b).expect("valid");
        let c = v.computed_checksum().to_be_bytes();
        b[2..4].copy_from_slice(&c);
        let v = CdpPacket::new_checked(&b).expect("valid");
        assert!(v.checksum_valid() && !v.truncated());
        let i = info_record(&v, 0, &EncodeConfig::default());
        assert_eq!(i.odr_default_gateway, "10.0.0.1");
        assert_eq!(i.mgmt_addresses, ["10.0.0.1", "2001:db8::1"]);
        let (reply, query) = (i.vlan_reply.expect("reply"), i.vlan_query.expect("query"));
        assert_eq!((reply.id, reply.vlan, query.id, query.vlan), (1, 100, 2, 200));
        assert_eq!((i.power_consumption, i.mtu, i.extended_trust, i.untrusted_cos), (15000, 1500, 1, 5));
        assert_eq!((i.sys_name.as_str(), i.sys_oid.len()), ("sw1.example", 9));
        let loc = i.location.expect("location");
        assert_eq!((loc.r#type, loc.location.as_str()), (1, "Building 4"));
        let p = i.power_request.expect("power request");
        assert_eq!((p.id, p.mgmt_id, p.values.as_slice()), (1, 2, &[15000, 8000][..]));
        let poe = i.spare_pair_poe.expect("spare pair");
        assert!(poe.pse_four_wire && !poe.pd_arch_shared && poe.pd_request_on && poe.pse_on);
        let caps = i.capabilities.expect("capabilities");
        assert!(caps.is_phone && caps.cvta && caps.mac_relay && caps.is_host && !caps.l2_switch);
        let e = i.energy_wise.expect("energywise");
        assert_eq!((e.unknown1, e.sequence_number, e.model_number.as_str()), (1, 2, "WS-C3750E-24PD"));
        assert_eq!((e.hardware_id.as_str(), e.serial_num.as_str()), ("V01", "FOC1234X567"));
        assert_eq!(
            (e.role.as_str(), e.reply_port, e.reply_address.as_str(), e.name.as_str()),
            ("child", 0xb4a5, "10.0.0.1", "")
        );
        // The 1-byte native VLAN and the port unidirectional TLV (0x1b).
        let unknown: Vec<i32> = i.unknown.iter().map(|u| u.r#type).collect();
        assert_eq!(unknown, [0x0a, 0x1b]);
    }

    #[test]
    fn bad_versions_lengths_and_cuts() {
        assert!(CdpPacket::new_checked(&[2, 180, 0]).is_err());
        assert!(CdpPacket::new_checked(&[3, 180, 0, 0]).is_err());
        assert!(CdpPacket::new_checked(&[0, 180, 0, 0]).is_err());
        let v = CdpPacket::new_checked(&[1, 180, 0, 0]).expect("no TLVs");
        assert_eq!((v.tlvs().count(), v.truncated()), (0, false));
        // A length below 4 ends the walk.
        let b = [2, 180, 0, 0, 0, 1, 0, 6, b'R', b'1', 0, 1, 0, 3, 0xff];
        let v = CdpPacket::new_checked(&b).expect("valid");
        assert_eq!((v.tlvs().count(), v.truncated()), (1, true));
        // A TLV cut short keeps its bytes.
        let (r, i) = rec("02b4 0000 0001 000a 5377 6974");
        assert!(r.truncated);
        assert_eq!((r.values[0].length, r.values[0].value.as_slice()), (10, &b"Swit"[..]));
        assert_eq!(i.device_id, "Swit");
        // Stray bytes after the last TLV.
        let (r, _) = rec("02b4 0000 0001 0006 5231 00");
        assert!(r.truncated && r.values.len() == 1);
        // An address count beyond the bytes: the addresses there are.
        let mut b = vec![2, 180, 0, 0];
        b.extend(tlv(TLV_ADDRESSES, &hex("ffffffff 01 01 cc 0004 0a000001 01 01 cc 0004 0a")));
        let i = info_record(&CdpPacket::new_checked(&b).expect("valid"), 0, &EncodeConfig::default());
        assert_eq!(i.addresses, ["10.0.0.1"]);
    }

    #[test]
    fn the_walk_is_bounded() {
        let mut b = vec![2, 180, 0, 0];
        b.extend([0x00, 0x99, 0x00, 0x04].repeat(MAX_TLVS + 10));
        let v = CdpPacket::new_checked(&b).expect("valid");
        assert_eq!(v.tlvs().count(), MAX_TLVS);
        assert_eq!(info_record(&v, 0, &EncodeConfig::default()).unknown.len(), MAX_TLVS);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let cfg = EncodeConfig::default();
        for base in [hex(C3560), hex(R1_ODD)] {
            for n in 0..=base.len() {
                match CdpPacket::new_checked(&base[..n]) {
                    Ok(v) => {
                        let r = record(&v, 0, &cfg);
                        assert!(r.values.len() <= n / 4);
                        let _ = info_record(&v, 0, &cfg);
                    }
                    Err(_) => assert!(n < HEADER_LEN),
                }
            }
            let mut state = 0xcd9_0000_0000_0001u64;
            for flips in 1..=4 {
                for _ in 0..1500 {
                    let (mut m, cut) = mutate(&base, &mut state, flips);
                    m[0] = 2;
                    if let Ok(v) = CdpPacket::new_checked(&m[..cut]) {
                        let _ = record(&v, 0, &cfg);
                        let _ = info_record(&v, 0, &cfg);
                    }
                }
            }
        }
        // An EnergyWise TLV whose sub-TLVs lie about their lengths.
        let mut nrgyz = vec![0u8; NRGYZ_FIXED_LEN];
        nrgyz[68..72].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        nrgyz.extend(hex("00000017 ffffffff 00000007 00000004 00000009 00000009"));
        let mut b = vec![2, 180, 0, 0];
        b.extend(tlv(TLV_ENERGY_WISE, &nrgyz));
        let i = info_record(&CdpPacket::new_checked(&b).expect("valid"), 0, &cfg);
        assert_eq!(i.energy_wise.expect("energywise").reply_port, 0);
    }
}

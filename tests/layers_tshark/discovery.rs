//! LLDP and CDP records (LinkLayerDiscovery, LinkLayerDiscoveryInfo,
//! CiscoDiscovery, CiscoDiscoveryInfo) against tshark.
//!
//! Counting rules:
//! - LLDP: one LinkLayerDiscovery and one LinkLayerDiscoveryInfo record per
//!   LLDPDU (EtherType 0x88cc, after any VLAN tags) of at least one TLV
//!   header; tshark gives one `lldp` entry in `frame.protocols` per LLDPDU.
//!   Every shared LLDPDU is on Ethernet (erspan-type-i-4.pcap's are too,
//!   outside the ERSPAN tunnel); none is on 802.11 or another link type.
//! - CDP: one CiscoDiscovery and one CiscoDiscoveryInfo record per CDP
//!   packet (LLC/SNAP OUI 00-00-0C PID 0x2000, also after an 802.1Q tag
//!   with a length field; GRE protocol 0x2000; Cisco HDLC protocol 0x2000);
//!   tshark gives one `cdp` entry in `frame.protocols` per packet.
//!   various_gre.pcap carries two in GRE, HDLC.pcap four on Cisco HDLC
//!   (LINKTYPE_C_HDLC, 104).
//!
//! Exceptions: tshark stops reading an LLDPDU at the first mandatory TLV
//! (Chassis ID, Port ID, TTL) out of place, netcap keeps every TLV (and
//! marks the record `MandatoryTLVs` false): the four fuzzed captures that
//! have such LLDPDUs, each explained by its bytes. tshark 4.0 puts CDP IP
//! prefixes into `cdp.ip_prefix` byte-swapped.

use crate::common::layers::{
    self, boolean, field_list, field_present, field_str, field_values, hex_bytes, num, Exception, Pkt, Spec,
};
use prost_reflect::DynamicMessage;

/// How many `proto` layers tshark found in the packet.
fn count(p: &Pkt, proto: &str) -> usize {
    p.protocols().iter().filter(|l| **l == proto).count()
}

/// The last occurrence of `field` (netcap keeps the last of a repeated
/// singular TLV), or `absent`.
fn last(p: &Pkt, field: &str, absent: &str) -> String {
    p.all(field).last().map_or_else(|| absent.to_string(), |s| s.to_string())
}

/// Every occurrence of `field` as a number, joined with "/".
fn nums(p: &Pkt, field: &str) -> String {
    p.all(field).iter().map(|t| num(t)).collect::<Vec<_>>().join("/")
}

/// Text as tshark's `-T fields` prints it: CR, LF and tab escaped.
fn escaped(s: &str) -> String {
    s.replace('\r', "\\r").replace('\n', "\\n").replace('\t', "\\t")
}

/// Replaces column `col` of the packet's single expected row.
fn set_column(rows: &mut [Vec<String>], col: usize, value: &str) -> bool {
    match rows.first_mut().and_then(|r| r.get_mut(col)) {
        Some(c) => {
            *c = value.to_string();
            true
        }
        None => false,
    }
}

// ---------------------------------------------------------------- LinkLayerDiscovery

const LLDP_COLUMNS: &[&str] = &["ChassisID.Subtype", "ChassisID", "PortID.Subtype", "PortID", "TTL", "Values.Type"];

/// tshark's chassis ID: the MAC or IP field when the subtype has one, else
/// the bytes (`lldp.chassis.id`, bytes after the subtype, or after the
/// address family for a network address of another family).
fn lldp_expected(p: &Pkt) -> Vec<Vec<String>> {
    let n = count(p, "lldp");
    let dash = || "-".to_string();
    let chassis = ["lldp.chassis.id.mac", "lldp.chassis.id.ip4", "lldp.chassis.id.ip6"]
        .iter()
        .find_map(|f| p.first(f).map(str::to_string))
        .or_else(|| p.first("lldp.chassis.id").map(hex_bytes));
    let port = ["lldp.port.id.mac", "lldp.port.id.ip4", "lldp.port.id.ip6", "lldp.port.id"]
        .iter()
        .find_map(|f| p.first(f).map(str::to_string));
    let row = vec![
        p.first("lldp.chassis.subtype").map(num).unwrap_or_else(dash),
        chassis.unwrap_or_else(dash),
        p.first("lldp.port.subtype").map(num).unwrap_or_else(dash),
        port.unwrap_or_else(dash),
        p.first("lldp.time_to_live").map(num).unwrap_or_else(|| "0".into()),
        nums(p, "lldp.tlv.type"),
    ];
    vec![row; n]
}

/// netcap's side: MAC and IP IDs as rendered; the other chassis IDs as hex
/// of their bytes, as tshark prints them.
fn lldp_actual(m: &DynamicMessage) -> Vec<String> {
    let id = |name: &str, chassis: bool| -> (String, String) {
        if !field_present(m, name) {
            return ("-".into(), "-".into());
        }
        let Some(sub) = field_list(m, name).into_iter().next() else { return ("?".into(), "?".into()) };
        let subtype = field_str(&sub, "Subtype");
        let rendered = match (chassis, subtype.as_str()) {
            (true, "4" | "5") | (false, _) => field_str(&sub, "ID"),
            (true, _) => field_str(&sub, "Raw"),
        };
        (subtype, rendered)
    };
    let (cs, c) = id("ChassisID", true);
    let (ps, pi) = id("PortID", false);
    let types = field_list(m, "Values").iter().map(|v| field_str(v, "Type")).collect::<Vec<_>>().join("/");
    vec![cs, c, ps, pi, field_str(m, "TTL"), types]
}

/// The fuzzed LLDPDUs where tshark stops early; `tlvs` is netcap's TLV
/// type list (column 5).
const LLDP_EXCEPTIONS: &[Exception] = &[
    Exception {
        capture: "tcpdump/tests/lldp_8021_linkagg.pcap",
        reason: "fe09 0080c2 07 ...: the LLDPDU is one Organizationally Specific TLV (type 127, 802.1 \
                 Link Aggregation); tshark stops at 'Invalid Chassis ID (0x7F)', netcap lists the TLV",
        apply: |_, rows| set_column(rows, 5, "127"),
    },
    Exception {
        capture: "tcpdump/tests/lldp_8023_mtu-oobr.pcap",
        reason: "fe04 00120f 04: one Organizationally Specific TLV (802.3 Maximum Frame Size without its \
                 value); tshark stops at 'Invalid Chassis ID (0x7F)', netcap lists the TLV",
        apply: |_, rows| set_column(rows, 5, "127"),
    },
    Exception {
        capture: "tcpdump/tests/lldp_asan.pcap",
        reason: "0206 05 01 00002000, fe09 ..., fe09 ..., 0000: Chassis ID, two 802.3 TLVs where the Port \
                 ID belongs, End of LLDPDU; tshark stops at 'Invalid Port ID (0x7F)' after the chassis, \
                 netcap lists the four TLVs",
        apply: |_, rows| set_column(rows, 5, "1/127/127/0"),
    },
    Exception {
        capture: "tcpdump/tests/lldp_mgmt_addr_tlv_asan.pcap",
        reason: "100f ...: frame 1 is one Management Address TLV (type 8, 15 bytes); tshark stops at \
                 'Invalid Chassis ID (0x08)', netcap lists the TLV",
        apply: |_, rows| set_column(rows, 5, "8"),
    },
];

const LLDP: Spec = Spec {
    record: "LinkLayerDiscovery",
    protocols: &["lldp"],
    fields: &[
        "lldp.chassis.subtype",
        "lldp.chassis.id",
        "lldp.chassis.id.mac",
        "lldp.chassis.id.ip4",
        "lldp.chassis.id.ip6",
        "lldp.port.subtype",
        "lldp.port.id",
        "lldp.port.id.mac",
        "lldp.port.id.ip4",
        "lldp.port.id.ip6",
        "lldp.time_to_live",
        "lldp.tlv.type",
    ],
    prefs: &[],
    columns: LLDP_COLUMNS,
    expected: lldp_expected,
    actual: lldp_actual,
    exceptions: LLDP_EXCEPTIONS,
};

#[test]
fn lldp_agrees_with_tshark() {
    layers::run(&LLDP)
}

// ---------------------------------------------------------------- LinkLayerDiscoveryInfo

const LLDP_INFO_COLUMNS: &[&str] = &[
    "SysName",
    "PortDescription",
    "SysDescription",
    "SysCapabilities",
    "MgmtAddress.Address",
    "OrgTLVs.OUI",
    "PortVLANID",
    "MaxFrameSize",
    "MACPHYConfigStatus.MAUType",
    "MUDURL",
];

/// Per LLDPDU: the strings, capabilities as "system/enabled", the sorted
/// management addresses (tshark splits them over three fields), the OUIs of
/// the organizationally specific TLVs in order, and the decoded 802.1/802.3/
/// IANA values (the last TLV of a kind, as netcap keeps it).
fn lldp_info_expected(p: &Pkt) -> Vec<Vec<String>> {
    let n = count(p, "lldp");
    let caps = match (p.first("lldp.tlv.system_cap"), p.first("lldp.tlv.enable_system_cap")) {
        (Some(s), Some(e)) => format!("{}/{}", num(s), num(e)),
        _ => "-".into(),
    };
    let mut mgmt: Vec<String> = p.all("lldp.mgn.addr.ip4").iter().map(|s| s.to_string()).collect();
    mgmt.extend(p.all("lldp.mgn.addr.ip6").iter().map(|s| s.to_string()));
    mgmt.extend(p.all("lldp.mgn.addr.hex").iter().map(|s| hex_bytes(s)));
    mgmt.sort();
    let row = vec![
        last(p, "lldp.tlv.system.name", ""),
        last(p, "lldp.port.desc", ""),
        last(p, "lldp.tlv.system.desc", ""),
        caps,
        mgmt.join(","),
        nums(p, "lldp.orgtlv.oui"),
        num(&last(p, "lldp.ieee.802_1.port_vlan.id", "0")),
        num(&last(p, "lldp.ieee.802_3.max_frame_size", "0")),
        p.all("lldp.ieee.802_3.pmd_mau_type").last().map_or_else(|| "-".into(), |s| num(s)),
        last(p, "lldp.iana.mudurl", ""),
    ];
    vec![row; n]
}

fn lldp_info_actual(m: &DynamicMessage) -> Vec<String> {
    let f = |name: &str| escaped(&field_str(m, name));
    let caps = if field_present(m, "SysCapabilities") {
        let c = &field_list(m, "SysCapabilities")[0];
        format!("{}/{}", field_str(c, "SystemCapabilities"), field_str(c, "EnabledCapabilities"))
    } else {
        "-".into()
    };
    let mut mgmt: Vec<String> = field_list(m, "MgmtAddress").iter().map(|a| field_str(a, "Address")).collect();
    mgmt.sort();
    let ouis = field_list(m, "OrgTLVs").iter().map(|o| field_str(o, "OUI")).collect::<Vec<_>>().join("/");
    let mau = if field_present(m, "MACPHYConfigStatus") {
        field_str(&field_list(m, "MACPHYConfigStatus")[0], "MAUType")
    } else {
        "-".into()
    };
    vec![
        f("SysName"),
        f("PortDescription"),
        f("SysDescription"),
        caps,
        mgmt.join(","),
        ouis,
        f("PortVLANID"),
        f("MaxFrameSize"),
        mau,
        f("MUDURL"),
    ]
}

const LLDP_INFO_EXCEPTIONS: &[Exception] = &[
    Exception {
        capture: "tcpdump/tests/lldp_8021_linkagg.pcap",
        reason: "fe09 0080c2 07 ...: tshark stops at 'Invalid Chassis ID (0x7F)'; netcap decodes the one \
                 TLV, an 802.1 (OUI 0x0080c2 = 32962) Link Aggregation",
        apply: |_, rows| set_column(rows, 5, "32962"),
    },
    Exception {
        capture: "tcpdump/tests/lldp_8023_mtu-oobr.pcap",
        reason: "fe04 00120f 04: tshark stops at 'Invalid Chassis ID (0x7F)'; netcap lists the one TLV, an \
                 802.3 (OUI 0x00120f = 4623) Maximum Frame Size too short for its value",
        apply: |_, rows| set_column(rows, 5, "4623"),
    },
    Exception {
        capture: "tcpdump/tests/lldp_asan.pcap",
        reason: "fe09 00120f 01 00 ffff 2000, fe09 00120f 01 00 00fe 0f00: tshark stops at 'Invalid Port ID \
                 (0x7F)'; netcap decodes the two 802.3 MAC/PHY TLVs, the last with MAU type 0x0f00",
        apply: |_, rows| set_column(rows, 5, "4623/4623") && set_column(rows, 8, "3840"),
    },
];

const LLDP_INFO: Spec = Spec {
    record: "LinkLayerDiscoveryInfo",
    protocols: &["lldp"],
    fields: &[
        "lldp.tlv.system.name",
        "lldp.port.desc",
        "lldp.tlv.system.desc",
        "lldp.tlv.system_cap",
        "lldp.tlv.enable_system_cap",
        "lldp.mgn.addr.ip4",
        "lldp.mgn.addr.ip6",
        "lldp.mgn.addr.hex",
        "lldp.orgtlv.oui",
        "lldp.ieee.802_1.port_vlan.id",
        "lldp.ieee.802_3.max_frame_size",
        "lldp.ieee.802_3.pmd_mau_type",
        "lldp.iana.mudurl",
    ],
    prefs: &[],
    columns: LLDP_INFO_COLUMNS,
    expected: lldp_info_expected,
    actual: lldp_info_actual,
    exceptions: LLDP_INFO_EXCEPTIONS,
};

#[test]
fn lldp_info_agrees_with_tshark() {
    layers::run(&LLDP_INFO)
}

// ---------------------------------------------------------------- CiscoDiscovery

const CDP_COLUMNS: &[&str] = &["Version", "TTL", "Checksum", "ChecksumValid", "Values.Type"];

fn cdp_expected(p: &Pkt) -> Vec<Vec<String>> {
    let n = count(p, "cdp");
    let row = vec![
        p.first("cdp.version").map(num).unwrap_or_default(),
        p.first("cdp.ttl").map(num).unwrap_or_default(),
        p.first("cdp.checksum").map(num).unwrap_or_default(),
        // cdp.checksum.status: 1 good, 0 bad, 2 unverified.
        if p.first("cdp.checksum.status") == Some("1") { "1" } else { "0" }.to_string(),
        nums(p, "cdp.tlv.type"),
    ];
    vec![row; n]
}

fn cdp_actual(m: &DynamicMessage) -> Vec<String> {
    let types = field_list(m, "Values").iter().map(|v| field_str(v, "Type")).collect::<Vec<_>>().join("/");
    vec![field_str(m, "Version"), field_str(m, "TTL"), field_str(m, "Checksum"), field_str(m, "ChecksumValid"), types]
}

/// The octets of a dotted quad in reverse order.
fn reversed_ipv4(s: &str) -> String {
    s.split('.').rev().collect::<Vec<_>>().join(".")
}

const CDP_INFO_EXCEPTIONS: &[Exception] = &[Exception {
    capture: "*",
    reason: "IP Prefix TLV (0x0007) 0a760a00 18: tshark 4.0 shows 'IP Prefix: 10.118.10.0/24' but puts the \
                 address into cdp.ip_prefix in host byte order (tvb_get_ntohl handed to an FT_IPv4 field), so \
                 the field reads 0.10.118.10; netcap's Network is 10.118.10.0",
    apply: |p, rows| {
        let prefixes = p.all("cdp.ip_prefix");
        if prefixes.is_empty() {
            return false;
        }
        let fixed = prefixes.iter().map(|s| reversed_ipv4(s)).collect::<Vec<_>>().join(",");
        let mut applied = false;
        for c in rows.iter_mut().filter_map(|r| r.get_mut(9)) {
            *c = fixed.clone();
            applied = true;
        }
        applied
    },
}];

const CDP: Spec = Spec {
    record: "CiscoDiscovery",
    protocols: &["cdp"],
    fields: &["cdp.version", "cdp.ttl", "cdp.checksum", "cdp.checksum.status", "cdp.tlv.type"],
    prefs: &[],
    columns: CDP_COLUMNS,
    expected: cdp_expected,
    actual: cdp_actual,
    exceptions: &[],
};

#[test]
fn cdp_agrees_with_tshark() {
    layers::run(&CDP)
}

// ---------------------------------------------------------------- CiscoDiscoveryInfo

const CDP_INFO_COLUMNS: &[&str] = &[
    "DeviceID",
    "PortID",
    "Platform",
    "Version",
    "Addresses+MgmtAddresses",
    "Capabilities.Bits",
    "NativeVLAN",
    "VTPDomain",
    "FullDuplex",
    "IPPrefixes.Network",
    "ODRDefaultGateway",
];

/// tshark splits the software version into lines (`cdp.software_version`
/// per line): joined with "\n" they are the TLV's text. The IPv4 addresses
/// of the Addresses and Management Addresses TLVs are all
/// `cdp.nrgyz.ip_address`, so both sides compare their sorted union.
fn cdp_info_expected(p: &Pkt) -> Vec<Vec<String>> {
    let n = count(p, "cdp");
    let mut addrs: Vec<String> = p.all("cdp.nrgyz.ip_address").iter().map(|s| s.to_string()).collect();
    addrs.sort();
    let row = vec![
        last(p, "cdp.deviceid", ""),
        last(p, "cdp.portid", ""),
        last(p, "cdp.platform", ""),
        p.all("cdp.software_version").join("\n"),
        addrs.join(","),
        p.all("cdp.capabilities").last().map_or_else(|| "-".into(), |s| num(s)),
        num(&last(p, "cdp.native_vlan", "0")),
        last(p, "cdp.vtp_management_domain", ""),
        boolean(&last(p, "cdp.duplex", "0")),
        p.all("cdp.ip_prefix").join(","),
        last(p, "cdp.odr_default_gateway", ""),
    ];
    vec![row; n]
}

fn cdp_info_actual(m: &DynamicMessage) -> Vec<String> {
    let f = |name: &str| escaped(&field_str(m, name));
    let mut addrs = field_values(m, "Addresses");
    addrs.extend(field_values(m, "MgmtAddresses"));
    addrs.retain(|a| !a.is_empty());
    addrs.sort();
    let caps = if field_present(m, "Capabilities") {
        field_str(&field_list(m, "Capabilities")[0], "Bits")
    } else {
        "-".into()
    };
    let prefixes = field_list(m, "IPPrefixes").iter().map(|p| field_str(p, "Network")).collect::<Vec<_>>().join(",");
    vec![
        f("DeviceID"),
        f("PortID"),
        f("Platform"),
        field_str(m, "Version"),
        addrs.join(","),
        caps,
        f("NativeVLAN"),
        f("VTPDomain"),
        f("FullDuplex"),
        prefixes,
        f("ODRDefaultGateway"),
    ]
}

const CDP_INFO: Spec = Spec {
    record: "CiscoDiscoveryInfo",
    protocols: &["cdp"],
    fields: &[
        "cdp.deviceid",
        "cdp.portid",
        "cdp.platform",
        "cdp.software_version",
        "cdp.nrgyz.ip_address",
        "cdp.capabilities",
        "cdp.native_vlan",
        "cdp.vtp_management_domain",
        "cdp.duplex",
        "cdp.ip_prefix",
        "cdp.odr_default_gateway",
    ],
    prefs: &[],
    columns: CDP_INFO_COLUMNS,
    expected: cdp_info_expected,
    actual: cdp_info_actual,
    exceptions: CDP_INFO_EXCEPTIONS,
};

#[test]
fn cdp_info_agrees_with_tshark() {
    layers::run(&CDP_INFO)
}

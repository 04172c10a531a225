//! Wired link-layer records against tshark: LLC, SNAP, FDDI, the Ethernet
//! Configuration Testing Protocol (EthernetCTP, EthernetCTPReply), the
//! Nortel Discovery Protocol and spanning tree BPDUs (STP).
//!
//! Counting rules (one tshark PDU = one netcap record):
//! - LLC: one record per 802.2 LLC header; tshark gives one `llc.dsap` per
//!   `llc` layer (after an 802.3 length field, in an 802.1Q tag with a
//!   length, in FDDI, in ERSPAN's inner frame, ...).
//! - SNAP: one record per SNAP header (LLC with DSAP = SSAP = 0xAA);
//!   tshark keeps SNAP in its `llc` layer and gives one `llc.oui` per
//!   header. The PID is `llc.type` for OUI 0 and 0x0000f8 and an OUI's own
//!   field otherwise (`llc.pid`, `llc.cisco_pid`, `llc.nortel_pid`, ...);
//!   a packet's PID fields are read in [`SNAP_PID_FIELDS`] order, which
//!   pairs them with the OUIs as long as a packet has one SNAP header (as
//!   in every shared capture).
//! - FDDI: one record per frame of link type 10; tshark gives one
//!   `fddi.fc` per frame. `fddi.src`/`fddi.dst` occur twice (the shown
//!   address and a hidden bit-swapped copy, equal for link type 10): the
//!   first is compared.
//! - EthernetCTP: one record per `loop` layer (EtherType 0x9000); tshark
//!   gives one `loop.skipcount`. The function list is read up to the first
//!   reply; the current function is tshark's `loop.relevant_function`.
//! - EthernetCTPReply: one record per CTP message whose current function
//!   is the reply (`loop.relevant_function` 1).
//! - NortelDiscovery: one record per NDP hello (SNAP OUI 0x000081, PID
//!   0x01a1 or 0x01a2); tshark gives one `ndp.ipaddress`.
//! - STP: one record per BPDU (LLC SAP 0x42, or SNAP OUI 00-00-0c PID
//!   0x010b); tshark gives one `stp.type` per `stp` layer. A packet's MST
//!   fields are the first occurrences (an SPB BPDU repeats the
//!   configuration identifier fields in its SPT extension), its MSTI
//!   fields all of them, in order.
//!
//! LLC and SNAP count wherever they are: after 802.3, 802.11 data frames,
//! FDDI and ATM. The exceptions are packets whose outer layers netcap does
//! not decode yet (Juniper and Frame Relay links, OpenFlow packet-out
//! data, Cisco ISL): they go stale, and fail the test, once it
//! does, and must then be deleted.

use crate::common::layers::{self, boolean, field_list, field_str, hex_bytes, ip, num, Exception, Pkt, Spec};
use prost_reflect::DynamicMessage;

/// The `k`-th occurrence of `field` as a decimal number ("?" if absent).
fn nth_num(p: &Pkt, field: &str, k: usize) -> String {
    p.nth(field, k).map(num).unwrap_or_else(|| "?".into())
}

fn nth_bool(p: &Pkt, field: &str, k: usize) -> String {
    p.nth(field, k).map(boolean).unwrap_or_else(|| "?".into())
}

/// Drops every expected row of the packets that `applies` selects.
fn drop_if(rows: &mut Vec<Vec<String>>, applies: bool) -> bool {
    if !applies || rows.is_empty() {
        return false;
    }
    rows.clear();
    true
}

/// Juniper links (link type 178): no netcap decoder. Frame Relay (107):
/// tshark reads an Ethernet frame straight after some fuzzed addresses,
/// where netcap (and tshark's own rules for its default encapsulation)
/// find a Cisco protocol type that names nothing.
fn on_undecoded_link(p: &Pkt, rows: &mut Vec<Vec<String>>) -> bool {
    drop_if(rows, matches!(p.protocols().first(), Some(&"juniper") | Some(&"fr")))
}

/// An Ethernet frame carried as data of an OpenFlow message: netcap does
/// not decode OpenFlow.
fn in_openflow(p: &Pkt, rows: &mut Vec<Vec<String>>) -> bool {
    drop_if(rows, p.protocols().contains(&"openflow"))
}

// ---------------------------------------------------------------- LLC

/// Per LLC layer: DSAP and SSAP as whole bytes, the I/G and C/R bits,
/// the control field (two bytes little-endian for I and S frames, as
/// tshark reads them) and the frame type.
fn llc_expected(p: &Pkt) -> Vec<Vec<String>> {
    (0..p.all("llc.dsap").len())
        .map(|k| {
            vec![
                nth_num(p, "llc.dsap", k),
                nth_bool(p, "llc.dsap.ig", k),
                nth_num(p, "llc.ssap", k),
                nth_bool(p, "llc.ssap.cr", k),
                nth_num(p, "llc.control", k),
                nth_num(p, "llc.control.ftype", k),
            ]
        })
        .collect()
}

fn llc_actual(m: &DynamicMessage) -> Vec<String> {
    ["DSAP", "IG", "SSAP", "CR", "Control", "FrameType"].iter().map(|f| field_str(m, f)).collect()
}

pub static LLC: Spec = Spec {
    record: "LLC",
    protocols: &["llc"],
    fields: &["llc.dsap", "llc.dsap.ig", "llc.ssap", "llc.ssap.cr", "llc.control", "llc.control.ftype"],
    prefs: &[],
    columns: &["DSAP", "IG", "SSAP", "CR", "Control", "FrameType"],
    expected: llc_expected,
    actual: llc_actual,
    exceptions: &[
        Exception {
            capture: "*",
            reason: "Juniper Ethernet (link type 178: isis_poi.pcap, isis_poi2.pcap): netcap has no \
                     decoder for this link layer, so the LLC inside is not reached; Frame Relay (link \
                     type 107: q933-heapoverflow-2.pcap, fuzzed), frame 2: b0 00 3a 01 00 11 88 6b: a \
                     four-byte Q.922 address (DLCI 5769024), then control 00, which is neither UI (03) \
                     nor XID, so by Wireshark's FRF 3.2 rules Cisco type 0x0011 follows, which names \
                     nothing; this tshark shows an Ethernet frame with an LLC header instead",
            apply: on_undecoded_link,
        },
        Exception {
            capture: "tcpdump/tests/of10_s4810.pcap",
            reason: "2 STP frames carried as the data of OpenFlow 1.0 packet-in/out messages over \
                     TCP: netcap does not decode OpenFlow",
            apply: in_openflow,
        },
    ],
};

#[test]
fn llc_agrees_with_tshark() {
    layers::run(&LLC)
}

// ---------------------------------------------------------------- SNAP

/// The PID fields of tshark, in the order they are read.
const SNAP_PID_FIELDS: &[&str] = &[
    "llc.type",
    "llc.pid",
    "llc.cisco_pid",
    "llc.nortel_pid",
    "llc.extreme_pid",
    "llc.foundry_pid",
    "llc.force10_pid",
    "llc.hpteam_pid",
    "llc.iana_pid",
    "llc.apple_atalk_pid",
    "llc.apple_awdl_pid",
    "llc.bluetooth_pid",
    "llc.wlccp_pid",
    "llc.cimetrics_pid",
];

fn snap_pids(p: &Pkt) -> Vec<String> {
    SNAP_PID_FIELDS.iter().flat_map(|f| p.all(f)).map(num).collect()
}

fn snap_expected(p: &Pkt) -> Vec<Vec<String>> {
    let pids = snap_pids(p);
    (0..p.all("llc.oui").len())
        .map(|k| vec![nth_num(p, "llc.oui", k), pids.get(k).cloned().unwrap_or_else(|| "?".into())])
        .collect()
}

fn snap_actual(m: &DynamicMessage) -> Vec<String> {
    vec![field_str(m, "OrganizationalCode"), field_str(m, "Type")]
}

/// tcpdump/tests/DTP.pcap frames 2, 4, 6, 8, 10 are Cisco ISL frames
/// (destination 01:00:0c:00:00:00, length 76): the 26-byte ISL header
/// holds `aa aa 03`, the 3-byte HSA 00:00:0c and the VLAN ID and BPDU bit
/// (`00 03`: VLAN 1, BPDU 1) where an 802.3 frame's LLC and SNAP would be,
/// and tshark decodes the encapsulated frame (its SNAP PID 0x2004, DTP).
/// netcap has no ISL decoder and reads the ISL header as 802.3 + LLC +
/// SNAP, OUI 0x00000c with PID `VLAN << 1 | BPDU`, and stops there. (The
/// LLC rows agree: the ISL bytes and the inner LLC header are both
/// `aa aa 03`.)
fn isl_header_as_snap(p: &Pkt, rows: &mut Vec<Vec<String>>) -> bool {
    let (Some(vlan), Some(bpdu)) = (p.first("isl.vlan_id"), p.first("isl.bpdu")) else {
        return false;
    };
    let (Ok(vlan), Ok(bpdu)) = (num(vlan).parse::<u32>(), boolean(bpdu).parse::<u32>()) else {
        return false;
    };
    let Some(row) = rows.first_mut() else { return false };
    row[1] = (vlan << 1 | bpdu).to_string();
    true
}

pub static SNAP: Spec = Spec {
    record: "SNAP",
    protocols: &["snap"],
    fields: &[
        "llc.oui",
        "llc.type",
        "llc.pid",
        "llc.cisco_pid",
        "llc.nortel_pid",
        "llc.extreme_pid",
        "llc.foundry_pid",
        "llc.force10_pid",
        "llc.hpteam_pid",
        "llc.iana_pid",
        "llc.apple_atalk_pid",
        "llc.apple_awdl_pid",
        "llc.bluetooth_pid",
        "llc.wlccp_pid",
        "llc.cimetrics_pid",
        "isl.vlan_id",
        "isl.bpdu",
    ],
    prefs: &[],
    columns: &["OrganizationalCode", "Type"],
    expected: snap_expected,
    actual: snap_actual,
    exceptions: &[Exception {
        capture: "tcpdump/tests/DTP.pcap",
        reason: "Cisco ISL frames (dst 01:00:0c:00:00:00): netcap has no ISL decoder and reads \
                     the ISL header (aa aa 03, HSA 00:00:0c, VLAN 1 and BPDU bit = 00 03) as \
                     LLC/SNAP with PID 3; tshark shows the encapsulated frame's SNAP (PID 0x2004)",
        apply: isl_header_as_snap,
    }],
};

#[test]
fn snap_agrees_with_tshark() {
    layers::run(&SNAP)
}

// ---------------------------------------------------------------- FDDI

/// Per frame: frame control, priority (shown by tshark for asynchronous
/// LLC frames only; netcap's record has 0 otherwise), the addresses as
/// tshark shows them (bit-swapped for link type 10).
fn fddi_expected(p: &Pkt) -> Vec<Vec<String>> {
    if !p.has("fddi.fc") {
        return Vec::new();
    }
    vec![vec![
        nth_num(p, "fddi.fc", 0),
        p.first("fddi.fc.prio").map(num).unwrap_or_else(|| "0".into()),
        p.first("fddi.src").unwrap_or("?").to_string(),
        p.first("fddi.dst").unwrap_or("?").to_string(),
    ]]
}

fn fddi_actual(m: &DynamicMessage) -> Vec<String> {
    ["FrameControl", "Priority", "SrcMAC", "DstMAC"].iter().map(|f| field_str(m, f)).collect()
}

pub static FDDI: Spec = Spec {
    record: "FDDI",
    protocols: &["fddi"],
    fields: &["fddi.fc", "fddi.fc.prio", "fddi.src", "fddi.dst"],
    prefs: &[],
    columns: &["FrameControl", "Priority", "SrcMAC", "DstMAC"],
    expected: fddi_expected,
    actual: fddi_actual,
    exceptions: &[],
};

#[test]
fn fddi_agrees_with_tshark() {
    layers::run(&FDDI)
}

// --------------------------------------------------------- EthernetCTP

/// tshark's function list of a `loop` layer, with each function's offset
/// (skipCount field included) and its forwarding address or receipt
/// number, rebuilt from the function codes in order.
fn ctp_functions(p: &Pkt) -> Vec<(usize, String, String, String)> {
    let (addrs, receipts) = (p.all("loop.forwarding_address"), p.all("loop.receipt_number"));
    let (mut offset, mut fwd, mut rcpt, mut out) = (2usize, 0, 0, Vec::new());
    for code in p.all("loop.function").iter().map(|c| num(c)) {
        let (addr, receipt) = match code.as_str() {
            "2" => {
                fwd += 1;
                (addrs.get(fwd - 1).copied().unwrap_or_default().to_string(), "0".to_string())
            }
            "1" => {
                rcpt += 1;
                (String::new(), receipts.get(rcpt - 1).map(|r| num(r)).unwrap_or_else(|| "0".into()))
            }
            _ => (String::new(), "0".into()),
        };
        out.push((offset, code.clone(), addr, receipt));
        offset += match code.as_str() {
            "2" => 8,
            _ => 4,
        };
    }
    out
}

/// Per `loop` layer: skipCount, the current function and its forwarding
/// address, and the list as function/address/receipt entries.
fn ctp_expected(p: &Pkt) -> Vec<Vec<String>> {
    let Some(skip) = p.first("loop.skipcount").map(num) else {
        return Vec::new();
    };
    let fs = ctp_functions(p);
    let at = 2 + skip.parse::<usize>().unwrap_or(usize::MAX - 2);
    let current = fs.iter().find(|f| f.0 == at);
    vec![vec![
        skip,
        p.first("loop.relevant_function").map(num).unwrap_or_else(|| "0".into()),
        current.map(|f| f.2.clone()).unwrap_or_default(),
        fs.iter().map(|f| format!("{}/{}/{}", f.1, f.2, f.3)).collect::<Vec<_>>().join(","),
    ]]
}

fn ctp_actual(m: &DynamicMessage) -> Vec<String> {
    let fs: Vec<String> = field_list(m, "Functions")
        .iter()
        .map(|f| {
            format!("{}/{}/{}", field_str(f, "Function"), field_str(f, "ForwardAddress"), field_str(f, "ReceiptNumber"))
        })
        .collect();
    vec![field_str(m, "SkipCount"), field_str(m, "Function"), field_str(m, "ForwardAddress"), fs.join(",")]
}

const CTP_FIELDS: &[&str] = &[
    "loop.skipcount",
    "loop.function",
    "loop.relevant_function",
    "loop.forwarding_address",
    "loop.receipt_number",
    "data.len",
];

pub static ETHERNET_CTP: Spec = Spec {
    record: "EthernetCTP",
    protocols: &["loop"],
    fields: CTP_FIELDS,
    prefs: &[],
    columns: &["SkipCount", "Function", "ForwardAddress", "Functions"],
    expected: ctp_expected,
    actual: ctp_actual,
    exceptions: &[],
};

#[test]
fn ethernet_ctp_agrees_with_tshark() {
    layers::run(&ETHERNET_CTP)
}

/// Per `loop` layer whose current function is the reply: its receipt
/// number and the length of the data after it (tshark's `data` layer).
fn ctp_reply_expected(p: &Pkt) -> Vec<Vec<String>> {
    if p.first("loop.relevant_function").map(num).as_deref() != Some("1") {
        return Vec::new();
    }
    vec![vec![
        "1".into(),
        p.first("loop.receipt_number").map(num).unwrap_or_else(|| "?".into()),
        p.first("data.len").map(num).unwrap_or_else(|| "0".into()),
    ]]
}

fn ctp_reply_actual(m: &DynamicMessage) -> Vec<String> {
    vec![field_str(m, "Function"), field_str(m, "ReceiptNumber"), field_str(m, "DataSize")]
}

pub static ETHERNET_CTP_REPLY: Spec = Spec {
    record: "EthernetCTPReply",
    protocols: &["loop"],
    fields: CTP_FIELDS,
    prefs: &[],
    columns: &["Function", "ReceiptNumber", "DataSize"],
    expected: ctp_reply_expected,
    actual: ctp_reply_actual,
    exceptions: &[],
};

#[test]
fn ethernet_ctp_reply_agrees_with_tshark() {
    layers::run(&ETHERNET_CTP_REPLY)
}

// ----------------------------------------------------- NortelDiscovery

fn ndp_expected(p: &Pkt) -> Vec<Vec<String>> {
    (0..p.all("ndp.ipaddress").len())
        .map(|k| {
            vec![
                p.nth("ndp.ipaddress", k).map(ip).unwrap_or_default(),
                nth_num(p, "ndp.segmentident", k),
                nth_num(p, "ndp.chassis", k),
                nth_num(p, "ndp.backplane", k),
                nth_num(p, "ndp.state", k),
                nth_num(p, "ndp.numberoflinks", k),
            ]
        })
        .collect()
}

fn ndp_actual(m: &DynamicMessage) -> Vec<String> {
    ["IPAddress", "SegmentID", "Chassis", "Backplane", "State", "NumLinks"].iter().map(|f| field_str(m, f)).collect()
}

pub static NORTEL_DISCOVERY: Spec = Spec {
    record: "NortelDiscovery",
    protocols: &["ndp"],
    fields: &["ndp.ipaddress", "ndp.segmentident", "ndp.chassis", "ndp.backplane", "ndp.state", "ndp.numberoflinks"],
    prefs: &[],
    columns: &["IPAddress", "SegmentID", "Chassis", "Backplane", "State", "NumLinks"],
    expected: ndp_expected,
    actual: ndp_actual,
    exceptions: &[],
};

#[test]
fn nortel_discovery_agrees_with_tshark() {
    layers::run(&NORTEL_DISCOVERY)
}

// ----------------------------------------------------------------- STP

/// A timer or other double as Rust prints it ("20", "0.5").
fn double(s: &str) -> String {
    s.trim().parse::<f64>().map(|v| v.to_string()).unwrap_or_else(|_| format!("?{s}"))
}

/// The first occurrence of a number field, "0" when absent (as netcap
/// leaves a field the BPDU lacks).
fn num0(p: &Pkt, field: &str) -> String {
    p.first(field).map(num).unwrap_or_else(|| "0".into())
}

fn hex0(p: &Pkt, field: &str) -> String {
    p.first(field).map(hex_bytes).unwrap_or_default()
}

fn stp_expected(p: &Pkt) -> Vec<Vec<String>> {
    if !p.has("stp.type") {
        return Vec::new();
    }
    let all = |f: &str| p.all(f);
    let (ids, flags, prios, macs) =
        (all("mstp.msti.msti_id"), all("mstp.msti.flags"), all("mstp.msti.priority"), all("mstp.msti.root.hw"));
    let (costs, bridge, port, hops) = (
        all("mstp.msti.root_cost"),
        all("mstp.msti.bridge_priority"),
        all("mstp.msti.port_priority"),
        all("mstp.msti.remaining_hops"),
    );
    let mstis: Vec<String> = (0..ids.len())
        .map(|k| {
            let at = |v: &Vec<&str>| v.get(k).map(|x| x.to_string()).unwrap_or_else(|| "?".into());
            let prio = num(&at(&prios)).parse::<u64>().map(|v| (v << 12).to_string()).unwrap_or_default();
            [num(&at(&ids)), num(&at(&flags)), prio, hex_bytes(&at(&macs)), num(&at(&costs))]
                .into_iter()
                .chain([num(&at(&bridge)), num(&at(&port)), num(&at(&hops))])
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    let timer = |f: &str| p.first(f).map(double).unwrap_or_else(|| "0".into());
    vec![vec![
        num0(p, "stp.protocol"),
        num0(p, "stp.version"),
        num0(p, "stp.type"),
        num0(p, "stp.flags"),
        p.first("stp.flags.tc").map(boolean).unwrap_or_else(|| "0".into()),
        p.first("stp.flags.tcack").map(boolean).unwrap_or_else(|| "0".into()),
        num0(p, "stp.root.prio"),
        num0(p, "stp.root.ext"),
        hex0(p, "stp.root.hw"),
        num0(p, "stp.root.cost"),
        num0(p, "stp.bridge.prio"),
        num0(p, "stp.bridge.ext"),
        hex0(p, "stp.bridge.hw"),
        num0(p, "stp.port"),
        timer("stp.msg_age"),
        timer("stp.max_age"),
        timer("stp.hello"),
        timer("stp.forward"),
        num0(p, "stp.version_1_length"),
        num0(p, "mstp.version_3_length"),
        num0(p, "mstp.config_format_selector"),
        p.first("mstp.config_name").unwrap_or_default().to_string(),
        num0(p, "mstp.config_revision_level"),
        hex0(p, "mstp.config_digest"),
        num0(p, "mstp.cist_internal_root_path_cost"),
        num0(p, "mstp.cist_bridge.prio"),
        num0(p, "mstp.cist_bridge.ext"),
        hex0(p, "mstp.cist_bridge.hw"),
        num0(p, "mstp.cist_remaining_hops"),
        mstis.join(";"),
        num0(p, "stp.pvst.origvlan"),
    ]]
}

fn stp_actual(m: &DynamicMessage) -> Vec<String> {
    let mac = |f: &str| hex_bytes(&field_str(m, f));
    let mstis: Vec<String> = field_list(m, "MSTIs")
        .iter()
        .map(|x| {
            let f = |n: &str| field_str(x, n);
            [f("MSTID"), f("Flags"), f("RegionalRootPriority"), hex_bytes(&f("RegionalRootMAC"))]
                .into_iter()
                .chain(["InternalRootPathCost", "BridgePriority", "PortPriority", "RemainingHops"].map(f))
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    let mut row: Vec<String> =
        ["ProtocolID", "Version", "Type", "Flags", "TC", "TCA", "RootPriority", "RootSystemIDExtension"]
            .iter()
            .map(|f| field_str(m, f))
            .collect();
    row.push(mac("RootMAC"));
    row.extend(["RootPathCost", "BridgePriority", "BridgeSystemIDExtension"].iter().map(|f| field_str(m, f)));
    row.push(mac("BridgeMAC"));
    row.extend(
        ["PortID", "MessageAge", "MaxAge", "HelloTime", "ForwardDelay", "Version1Length", "Version3Length"]
            .iter()
            .map(|f| field_str(m, f)),
    );
    row.extend(["MSTConfigFormat", "MSTConfigName", "MSTConfigRevision"].iter().map(|f| field_str(m, f)));
    row.push(field_str(m, "MSTConfigDigest"));
    row.extend(
        ["CISTInternalRootPathCost", "CISTBridgePriority", "CISTBridgeSystemIDExtension"]
            .iter()
            .map(|f| field_str(m, f)),
    );
    row.push(mac("CISTBridgeMAC"));
    row.push(field_str(m, "CISTRemainingHops"));
    row.push(mstis.join(";"));
    row.push(field_str(m, "OriginatingVLAN"));
    row
}

pub static STP: Spec = Spec {
    record: "STP",
    protocols: &["stp"],
    fields: &[
        "stp.protocol",
        "stp.version",
        "stp.type",
        "stp.flags",
        "stp.flags.tc",
        "stp.flags.tcack",
        "stp.root.prio",
        "stp.root.ext",
        "stp.root.hw",
        "stp.root.cost",
        "stp.bridge.prio",
        "stp.bridge.ext",
        "stp.bridge.hw",
        "stp.port",
        "stp.msg_age",
        "stp.max_age",
        "stp.hello",
        "stp.forward",
        "stp.version_1_length",
        "mstp.version_3_length",
        "mstp.config_format_selector",
        "mstp.config_name",
        "mstp.config_revision_level",
        "mstp.config_digest",
        "mstp.cist_internal_root_path_cost",
        "mstp.cist_bridge.prio",
        "mstp.cist_bridge.ext",
        "mstp.cist_bridge.hw",
        "mstp.cist_remaining_hops",
        "mstp.msti.msti_id",
        "mstp.msti.flags",
        "mstp.msti.priority",
        "mstp.msti.root.hw",
        "mstp.msti.root_cost",
        "mstp.msti.bridge_priority",
        "mstp.msti.port_priority",
        "mstp.msti.remaining_hops",
        "stp.pvst.origvlan",
    ],
    prefs: &[],
    columns: &[
        "ProtocolID",
        "Version",
        "Type",
        "Flags",
        "TC",
        "TCA",
        "RootPriority",
        "RootSystemIDExtension",
        "RootMAC",
        "RootPathCost",
        "BridgePriority",
        "BridgeSystemIDExtension",
        "BridgeMAC",
        "PortID",
        "MessageAge",
        "MaxAge",
        "HelloTime",
        "ForwardDelay",
        "Version1Length",
        "Version3Length",
        "MSTConfigFormat",
        "MSTConfigName",
        "MSTConfigRevision",
        "MSTConfigDigest",
        "CISTInternalRootPathCost",
        "CISTBridgePriority",
        "CISTBridgeSystemIDExtension",
        "CISTBridgeMAC",
        "CISTRemainingHops",
        "MSTIs",
        "OriginatingVLAN",
    ],
    expected: stp_expected,
    actual: stp_actual,
    exceptions: &[Exception {
        capture: "tcpdump/tests/of10_s4810.pcap",
        reason: "2 MST BPDUs carried as the data of OpenFlow 1.0 packet-in/out messages over TCP: netcap \
                 does not decode OpenFlow (the LLC spec has the same exception)",
        apply: in_openflow,
    }],
};

#[test]
fn stp_agrees_with_tshark() {
    layers::run(&STP)
}

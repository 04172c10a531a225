//! IEEE 802.11 (Dot11) and radiotap (RadioTap) records against tshark.
//!
//! Counting rules:
//! - Dot11: one record per 802.11 frame whose MAC header is complete, from
//!   link types 105 (802.11, no FCS, as tshark assumes with `wlan.check_fcs`
//!   off) and 127 (radiotap; FCS per radiotap flag 0x10); tshark gives one
//!   `wlan` layer in `frame.protocols` per frame (a Control Wrapper shows
//!   two `wlan.fc.type_subtype`, the carried frame's second: the first is
//!   taken). A frame cut inside its header gives no record (tshark shows the
//!   fields that fit and `_ws.malformed`); one cut in its body does (tshark
//!   marks it malformed after the header).
//! - RadioTap: one record per radiotap header of version 0 whose length
//!   fits in the packet; tshark gives one `radiotap.length` per packet.
//!
//! Columns that a frame type does not have are empty on both sides, and
//! what tshark shows only derived is compared derived: `wlan.duration` is
//! the Duration/ID field & 0x7fff, except in PS-Poll frames whose ID is an
//! AID (bits 14-15 set, 1-2007: `wlan.aid`); Address3/Address4 come from
//! tshark's role fields by DS bits (ToDS: Address3 is `wlan.da`, FromDS:
//! `wlan.sa`, both: `wlan.da` and `wlan.sa`, none: `wlan.bssid`; A-MSDU
//! frames: tshark shows no header DA/SA, compared as "-"; a CF-End's
//! Address2 is tshark's `wlan.bssid`, not `wlan.ta`); radiotap's rate
//! is `radiotap.datarate` (Mb/s) times 2 when the Rate field is present
//! (tshark also computes a datarate from MCS/VHT/HE fields); the antenna
//! signal, noise and index of later radiotap namespaces follow the first
//! namespace's, in order.
//!
//! The captures that tshark reads differently from netcap are exceptions
//! below; an LWAPP capture carries 802.11 frames inside UDP, which netcap
//! does not decode.

use crate::common::layers::{
    self, field_list, field_present, field_str, field_values, hex_bytes, num, Exception, Pkt, Spec,
};
use prost_reflect::DynamicMessage;

/// The first occurrence of `field` as a decimal number, "" when absent.
fn first_num(p: &Pkt, field: &str) -> String {
    p.first(field).map(num).unwrap_or_default()
}

fn first_text(p: &Pkt, field: &str) -> String {
    p.first(field).unwrap_or_default().to_string()
}

/// Drops every expected row of a packet.
fn drop_all(_: &Pkt, rows: &mut Vec<Vec<String>>) -> bool {
    let had = !rows.is_empty();
    rows.clear();
    had
}

fn bit(m: &DynamicMessage, name: &str) -> bool {
    field_str(m, name) == "1"
}

fn int(m: &DynamicMessage, name: &str) -> i64 {
    field_str(m, name).parse().unwrap_or(-1)
}

// ---------------------------------------------------------------- Dot11

const DOT11_COLUMNS: &[&str] = &[
    "Type",
    "Flags",
    "Duration",
    "Address1",
    "Address2",
    "Address3",
    "Address4",
    "SequenceNumber",
    "FragmentNumber",
    "Checksum",
    "QOS",
    "HTControl",
    "SSID",
    "Channel",
    "ReasonCode",
    "StatusCode",
    "InformationElements",
];

/// Management subtypes whose elements netcap reads (9.3.3): (re)association
/// request/response, probe request/response, timing advertisement, beacon,
/// disassociation, authentication (not SAE, algorithm 3), deauthentication.
fn has_elements(type_subtype: i64, flags: i64, auth_alg: i64) -> bool {
    matches!(type_subtype, 0..=6 | 8 | 10..=12) && flags & 0x40 == 0 && !(type_subtype == 0x0b && auth_alg == 3)
}

fn dot11_expected(p: &Pkt) -> Vec<Vec<String>> {
    if !p.protocols().contains(&"wlan") {
        return Vec::new();
    }
    let ts: i64 = first_num(p, "wlan.fc.type_subtype").parse().unwrap_or(-1);
    let flags: i64 = first_num(p, "wlan.flags").parse().unwrap_or(-1);
    let frame_type: i64 = first_num(p, "wlan.fc.type").parse().unwrap_or(-1);
    let ds = flags & 3;
    // A-MSDU only in QoS data subtypes that carry data (no Null bit 0x04).
    let amsdu = ts & 0x04 == 0 && p.first("wlan.qos.amsdupresent").is_some_and(|a| num(a) == "1");
    let duration = match p.first("wlan.aid") {
        Some(aid) => format!("aid {}", num(aid)),
        None => first_num(p, "wlan.duration"),
    };
    let nth = |field: &str, k: usize| p.nth(field, k).unwrap_or_default().to_string();
    let (a3, a4) = match (frame_type, ds, amsdu) {
        (0, _, _) => (nth("wlan.bssid", 0), String::new()),
        (2, 0, _) => (nth("wlan.bssid", 0), String::new()),
        (2, 1 | 2, true) => ("-".into(), String::new()),
        (2, 1, false) => (nth("wlan.da", 0), String::new()),
        (2, 2, false) => (nth("wlan.sa", 0), String::new()),
        (2, 3, true) => (nth("wlan.bssid", 0), nth("wlan.bssid", 1)),
        (2, 3, false) => (nth("wlan.da", 0), nth("wlan.sa", 0)),
        _ => (String::new(), String::new()),
    };
    let auth_alg: i64 = first_num(p, "wlan.fixed.auth.alg").parse().unwrap_or(0);
    let with_elements = frame_type == 0 && has_elements(ts, flags, auth_alg);
    let ssid = match p.first("wlan.ssid") {
        Some(s) if with_elements && s != "<MISSING>" => hex_bytes(s),
        _ => String::new(),
    };
    let elements = if with_elements {
        p.all("wlan.tag.number").iter().map(|t| num(t)).collect::<Vec<_>>().join(",")
    } else {
        "-".into()
    };
    let unprotected_mgmt = frame_type == 0 && flags & 0x40 == 0;
    let when = |cond: bool, field: &str| if cond { first_num(p, field) } else { String::new() };
    vec![vec![
        ts.to_string(),
        flags.to_string(),
        duration,
        first_text(p, "wlan.ra"),
        // CF-End: tshark names Address2 the BSSID.
        if ts == 0x1e { nth("wlan.bssid", 0) } else { first_text(p, "wlan.ta") },
        a3,
        a4,
        first_num(p, "wlan.seq"),
        first_num(p, "wlan.frag"),
        first_num(p, "wlan.fcs"),
        first_num(p, "wlan.qos"),
        first_num(p, "wlan.htc"),
        ssid,
        when(with_elements, "wlan.ds.current_channel"),
        when(unprotected_mgmt && matches!(ts, 0x0a | 0x0c), "wlan.fixed.reason_code"),
        when(unprotected_mgmt && matches!(ts, 0x01 | 0x03 | 0x0b), "wlan.fixed.status_code"),
        elements,
    ]]
}

fn dot11_actual(m: &DynamicMessage) -> Vec<String> {
    let ts = int(m, "Type");
    let flags = int(m, "Flags");
    let frame_type = int(m, "FrameType");
    let d = int(m, "DurationID");
    let duration = if ts == 0x1a && d & 0xc000 == 0xc000 && (1..=2007).contains(&(d & 0x3fff)) {
        format!("aid {}", d & 0x3fff)
    } else {
        (d & 0x7fff).to_string()
    };
    // An unset sub-message reads as its default: only a present one counts.
    let qos = if field_present(m, "QOS") { field_list(m, "QOS") } else { Vec::new() };
    let amsdu = ts & 0x04 == 0 && qos.first().is_some_and(|q| bit(q, "AMSDUPresent"));
    let mut a3 = field_str(m, "Address3");
    if frame_type == 2 && amsdu && matches!(flags & 3, 1 | 2) {
        a3 = "-".into();
    }
    let opt = |present: bool, name: &str| if present { field_str(m, name) } else { String::new() };
    let has_seq = matches!(frame_type, 0 | 2);
    let elements = if frame_type == 0 && has_elements(ts, flags, int(m, "AuthAlgorithm")) {
        field_list(m, "InformationElements").iter().map(|e| field_str(e, "ID")).collect::<Vec<_>>().join(",")
    } else {
        "-".into()
    };
    let unprotected_mgmt = frame_type == 0 && flags & 0x40 == 0;
    let channel = int(m, "Channel");
    vec![
        ts.to_string(),
        flags.to_string(),
        duration,
        field_str(m, "Address1"),
        field_str(m, "Address2"),
        a3,
        field_str(m, "Address4"),
        opt(has_seq, "SequenceNumber"),
        opt(has_seq, "FragmentNumber"),
        opt(bit(m, "ChecksumPresent"), "Checksum"),
        qos.first().map(|q| field_str(q, "Raw")).unwrap_or_default(),
        opt(bit(m, "HTControlPresent"), "HTControl"),
        field_str(m, "SSID"),
        if channel == 0 { String::new() } else { channel.to_string() },
        opt(unprotected_mgmt && matches!(ts, 0x0a | 0x0c), "ReasonCode"),
        opt(unprotected_mgmt && matches!(ts, 0x01 | 0x03 | 0x0b), "StatusCode"),
        elements,
    ]
}

/// tcpdump/tests/ieee802.11_tim_ie_oobr.pcap frame 3 (link type 105) is 10
/// bytes of 0x30: FC 0x3030 (reassociation response, 24-byte header),
/// Duration 0x3030 and 4 bytes of Address1. tshark shows type, flags,
/// duration and a cut `wlan.ra`, then "truncated"; netcap needs the whole
/// header and logs "Dot11: truncated header: need 24 bytes, have 10".
fn dot11_cut_header(p: &Pkt, rows: &mut Vec<Vec<String>>) -> bool {
    if p.frame() == 3 {
        rows.clear();
        return true;
    }
    false
}

/// tcpdump/tests/ieee802.11_parse_elements_oobr.pcap frame 1 (link type
/// 105, 255 bytes): a beacon whose elements start at byte 36: 30 0b (RSN,
/// 11 bytes), 30 04, 30 14, 05 82 (TIM, 130 bytes), then 30 30 (RSN, 48
/// bytes, cut at byte 255). The first RSN element's pairwise cipher suite
/// count 0x3030 overruns its 11 bytes: tshark raises "Malformed Packet" in
/// that element and lists no element after it; netcap's walk frames the
/// elements by their length octets and lists all five.
fn dot11_elements_after_exception(p: &Pkt, rows: &mut Vec<Vec<String>>) -> bool {
    let Some(row) = rows.first_mut() else { return false };
    if p.frame() != 1 || row.last().map(String::as_str) != Some("48") {
        return false;
    }
    if let Some(last) = row.last_mut() {
        *last = "48,48,48,5,48".into();
    }
    true
}

pub static DOT11: Spec = Spec {
    record: "Dot11",
    protocols: &["wlan"],
    fields: &[
        "wlan.fc.type",
        "wlan.fc.type_subtype",
        "wlan.flags",
        "wlan.duration",
        "wlan.aid",
        "wlan.ra",
        "wlan.ta",
        "wlan.da",
        "wlan.sa",
        "wlan.bssid",
        "wlan.seq",
        "wlan.frag",
        "wlan.fcs",
        "wlan.qos",
        "wlan.qos.amsdupresent",
        "wlan.htc",
        "wlan.ssid",
        "wlan.ds.current_channel",
        "wlan.fixed.reason_code",
        "wlan.fixed.status_code",
        "wlan.fixed.auth.alg",
        "wlan.tag.number",
    ],
    prefs: &["wlan.defragment:FALSE"],
    columns: DOT11_COLUMNS,
    expected: dot11_expected,
    actual: dot11_actual,
    exceptions: &[
        Exception {
            capture: "tcpdump/tests/ieee802.11_parse_elements_oobr.pcap",
            reason: "frame 1: elements 30 0b, 30 04, 30 14, 05 82, 30 30 (the last cut); the first \
                     RSN element's cipher suite count 0x3030 overruns its 11 bytes, tshark stops \
                     listing elements there, netcap frames all five by their length octets",
            apply: dot11_elements_after_exception,
        },
        Exception {
            capture: "tcpdump/tests/ieee802.11_tim_ie_oobr.pcap",
            reason: "frame 3: 10 bytes 30 30 30 30 30 30 30 30 30 30, a reassociation response whose \
                     24-byte header is cut after 4 bytes of Address1; tshark shows the fields that \
                     fit, netcap logs a truncated Dot11 header",
            apply: dot11_cut_header,
        },
        Exception {
            capture: "tcpdump/tests/ieee802.11_meshhdr-oobr.pcap",
            reason: "radiotap header 30 30 18 00: revision 48, length 24; tshark reads on and shows \
                     an 802.11 frame of protocol version 3 (FC eb 30), netcap rejects the radiotap \
                     header (only version 0 is defined)",
            apply: drop_all,
        },
        Exception {
            capture: "tcpdump/tests/ieee802.11_rates_oobr.pcap",
            reason: "radiotap header 30 30 18 00: revision 48, length 24; tshark reads on and shows \
                     a PV1 frame (FC 81 30), netcap rejects the radiotap header (only version 0 is \
                     defined) and would reject PV1 too",
            apply: drop_all,
        },
        Exception {
            capture: "tcpdump/tests/lwapp-data.pcap",
            reason: "802.11 frames inside LWAPP (UDP port 12222); netcap does not decode LWAPP",
            apply: drop_all,
        },
    ],
};

#[test]
fn dot11_agrees_with_tshark() {
    layers::run(&DOT11)
}

// ---------------------------------------------------------------- RadioTap

const RADIOTAP_COLUMNS: &[&str] = &[
    "Length",
    "PresentWords",
    "TSFT",
    "Flags",
    "Rate",
    "ChannelFrequency",
    "ChannelFlags",
    "DBMAntennaSignal",
    "DBMAntennaNoise",
    "Antenna",
    "MCS",
];

/// tshark's `radiotap.datarate` (Mb/s, "5.5") in 500 kbps units.
fn half_mbps(s: &str) -> String {
    s.trim().parse::<f64>().map_or_else(|_| format!("?{s}"), |r| ((r * 2.0).round() as i64).to_string())
}

fn radiotap_expected(p: &Pkt) -> Vec<Vec<String>> {
    if !p.has("radiotap.length") {
        return Vec::new();
    }
    let all = |field: &str| p.all(field).iter().map(|v| num(v)).collect::<Vec<_>>().join(",");
    let rate = if p.first("radiotap.present.rate").is_some_and(|r| num(r) == "1") {
        p.first("radiotap.datarate").map(half_mbps).unwrap_or_default()
    } else {
        String::new()
    };
    vec![vec![
        first_num(p, "radiotap.length"),
        all("radiotap.present.word"),
        first_num(p, "radiotap.mactime"),
        first_num(p, "radiotap.flags"),
        rate,
        first_num(p, "radiotap.channel.freq"),
        first_num(p, "radiotap.channel.flags"),
        p.all("radiotap.dbm_antsignal").join(","),
        p.all("radiotap.dbm_antnoise").join(","),
        all("radiotap.antenna"),
        first_num(p, "radiotap.mcs.index"),
    ]]
}

fn radiotap_actual(m: &DynamicMessage) -> Vec<String> {
    let present = int(m, "Present");
    let has = |bit: u32| present & (1 << bit) != 0;
    let opt = |bit: u32, name: &str| if has(bit) { field_str(m, name) } else { String::new() };
    let antennas = field_list(m, "Antennas");
    // The first namespace's value, then each later namespace's.
    let chain = |bit: u32, top: &str, per: &str| {
        let mut v: Vec<String> = Vec::new();
        if has(bit) {
            v.push(field_str(m, top));
        }
        for a in &antennas {
            if int(a, "Present") & (1 << bit) != 0 {
                v.push(field_str(a, per));
            }
        }
        v.join(",")
    };
    let mcs = field_list(m, "MCS");
    let mcs_index = match mcs.first() {
        Some(x) if int(x, "Known") & 0x02 != 0 => field_str(x, "MCS"),
        _ => String::new(),
    };
    vec![
        field_str(m, "Length"),
        field_values(m, "PresentWords").join(","),
        opt(0, "TSFT"),
        opt(1, "Flags"),
        opt(2, "Rate"),
        opt(3, "ChannelFrequency"),
        opt(3, "ChannelFlags"),
        chain(5, "DBMAntennaSignal", "DBMAntennaSignal"),
        chain(6, "DBMAntennaNoise", "DBMAntennaNoise"),
        chain(11, "Antenna", "Antenna"),
        if field_present(m, "MCS") { mcs_index } else { String::new() },
    ]
}

pub static RADIOTAP: Spec = Spec {
    record: "RadioTap",
    protocols: &["radiotap"],
    fields: &[
        "radiotap.length",
        "radiotap.present.word",
        "radiotap.present.rate",
        "radiotap.mactime",
        "radiotap.flags",
        "radiotap.datarate",
        "radiotap.channel.freq",
        "radiotap.channel.flags",
        "radiotap.dbm_antsignal",
        "radiotap.dbm_antnoise",
        "radiotap.antenna",
        "radiotap.mcs.index",
    ],
    prefs: &[],
    columns: RADIOTAP_COLUMNS,
    expected: radiotap_expected,
    actual: radiotap_actual,
    exceptions: &[
        Exception {
            capture: "tcpdump/tests/ieee802.11_meshhdr-oobr.pcap",
            reason: "radiotap header 30 30 18 00 4f 3b 30 30: revision 48; tshark shows it as \
                     invalid (length 24, no fields), netcap rejects it: only version 0 is defined",
            apply: drop_all,
        },
        Exception {
            capture: "tcpdump/tests/ieee802.11_rates_oobr.pcap",
            reason: "radiotap header 30 30 18 00 30 30 30 30: revision 48; tshark shows it as \
                     invalid (length 24, no fields), netcap rejects it: only version 0 is defined",
            apply: drop_all,
        },
    ],
};

#[test]
fn radiotap_agrees_with_tshark() {
    layers::run(&RADIOTAP)
}

//! Helpers of the differential test against tshark (`tests/tshark_diff.rs`).
//!
//! - [`manifest`]: which shared captures to use.
//! - [`tshark`]: one tshark run per capture, and the walk of its protocol
//!   chain with netcap's rules into the records netcap must write.
//! - [`records`]: netcap's records of the same capture, as rows.
//! - [`compare`]: the multiset comparison and the agreement table.
//!
//! Both sides become [`Row`]s of normalised text per record type, with the
//! fields of [`TYPES`] in order, so that comparing is type-agnostic.

#![allow(dead_code)]

pub mod compare;
pub mod layers;
pub mod manifest;
pub mod records;
pub mod tshark;

/// The compared record types and, per type, the compared fields (netcap's
/// field names). Every type has `Timestamp` first.
pub const TYPES: &[(&str, &[&str])] = &[
    ("Ethernet", &["Timestamp", "SrcMAC", "DstMAC", "EthernetType"]),
    ("Dot1Q", &["Timestamp", "Priority", "DropEligible", "VLANIdentifier", "Type"]),
    (
        "ARP",
        &[
            "Timestamp",
            "AddrType",
            "Protocol",
            "HwAddressSize",
            "ProtAddressSize",
            "Operation",
            "SrcHwAddress",
            "SrcProtAddress",
            "DstHwAddress",
            "DstProtAddress",
        ],
    ),
    (
        "IPv4",
        &[
            "Timestamp",
            "Version",
            "IHL",
            "TOS",
            "Length",
            "Id",
            "Flags",
            "FragOffset",
            "TTL",
            "Protocol",
            "Checksum",
            "SrcIP",
            "DstIP",
        ],
    ),
    (
        "IPv6",
        &["Timestamp", "Version", "TrafficClass", "FlowLabel", "Length", "NextHeader", "HopLimit", "SrcIP", "DstIP"],
    ),
    (
        "IPv6Fragment",
        &["Timestamp", "NextHeader", "Reserved1", "FragmentOffset", "Reserved2", "MoreFragments", "Identification"],
    ),
    (
        "TCP",
        &[
            "Timestamp",
            "SrcPort",
            "DstPort",
            "SeqNum",
            "AckNum",
            "DataOffset",
            "FIN",
            "SYN",
            "RST",
            "PSH",
            "ACK",
            "URG",
            "ECE",
            "CWR",
            "NS",
            "Window",
            "Checksum",
            "Urgent",
            "PayloadSize",
        ],
    ),
    ("UDP", &["Timestamp", "SrcPort", "DstPort", "Length", "Checksum"]),
    ("ICMPv4", &["Timestamp", "TypeCode", "Checksum", "Id", "Seq"]),
    ("ICMPv6", &["Timestamp", "TypeCode", "Checksum"]),
    ("ICMPv6Echo", &["Timestamp", "Identifier", "SeqNumber"]),
    ("ICMPv6NeighborSolicitation", &["Timestamp", "TargetAddress"]),
    ("ICMPv6NeighborAdvertisement", &["Timestamp", "Flags", "TargetAddress"]),
    ("ICMPv6RouterSolicitation", &["Timestamp"]),
    (
        "ICMPv6RouterAdvertisement",
        &["Timestamp", "HopLimit", "Flags", "RouterLifetime", "ReachableTime", "RetransTimer"],
    ),
];

/// Index of a record type in [`TYPES`].
pub fn type_index(name: &str) -> usize {
    TYPES.iter().position(|(n, _)| *n == name).unwrap_or_else(|| panic!("unknown record type {name}"))
}

/// Index of field `field` of record type `ty` in [`TYPES`].
pub fn field_index(ty: usize, field: &str) -> usize {
    TYPES[ty].1.iter().position(|f| *f == field).unwrap_or_else(|| panic!("{} has no field {field}", TYPES[ty].0))
}

/// One record of one type, its fields as normalised text in the order of
/// [`TYPES`]. `None` means "not compared for this record" (e.g. the echo
/// identifier of an ICMP message that is not an echo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub ty: usize,
    /// The frame number: tshark's `frame.number`, netcap's `FrameNumber`.
    pub frame: u64,
    pub fields: Vec<Option<String>>,
}

// ------------------------------------------------------------ normalising
//
// Both sides go through the same functions, so that a value compares by
// meaning (0x0800 == 2048, "::ffff:1.2.3.4" == "::ffff:102:304").

/// A number written in decimal or as 0x-hex, as decimal text.
pub fn num(s: &str) -> String {
    let s = s.trim();
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse::<u64>().ok(),
    };
    match parsed {
        Some(v) => v.to_string(),
        None => format!("?{s}"),
    }
}

/// A boolean as "1" or "0" (tshark 4.0 prints 1/0, later ones True/False).
pub fn boolean(s: &str) -> String {
    match s.trim() {
        "1" | "True" | "true" => "1".into(),
        "0" | "False" | "false" => "0".into(),
        other => format!("?{other}"),
    }
}

pub fn bool_text(b: bool) -> String {
    if b { "1" } else { "0" }.into()
}

/// Bytes (MAC addresses, hex byte strings) as lowercase hex digits.
pub fn hex_bytes(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_hexdigit()).map(|c| c.to_ascii_lowercase()).collect()
}

/// An IPv4 or IPv6 address in its canonical text.
pub fn ip(s: &str) -> String {
    match s.trim().parse::<std::net::IpAddr>() {
        Ok(a) => a.to_string(),
        Err(_) => format!("?{s}"),
    }
}

/// tshark's `frame.time_epoch` ("1278275056.274870000") as nanoseconds.
/// tshark prints the nanoseconds with `%09u`, so a capture's invalid
/// fraction of 10^9 or more shows in full ("1418145370.1000000000" is
/// 1418145371 s): more than 9 digits are a count of nanoseconds.
pub fn epoch_nanos(s: &str) -> String {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let (Ok(secs), true) = (secs.parse::<i128>(), frac.chars().all(|c| c.is_ascii_digit())) else {
        return format!("?{s}");
    };
    let frac: i128 = if frac.len() <= 9 { format!("{frac:0<9}") } else { frac.to_string() }.parse().unwrap_or(0);
    let ns = secs * 1_000_000_000 + frac;
    (if neg { -ns } else { ns }).to_string()
}

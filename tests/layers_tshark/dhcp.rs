//! DHCPv4 and DHCPv6 records against tshark.
//!
//! Counting rule. DHCPv4: netcap writes one record per UDP datagram on
//! port 67 or 68 whose payload holds the 236-byte BOOTP header; tshark
//! gives one `dhcp` PDU per such datagram (one `dhcp` in
//! `frame.protocols`). DHCPv6: one record per UDP datagram on port 546 or
//! 547 with at least the 4-byte header (34 for relay messages); tshark
//! gives one `dhcpv6` PDU per datagram, the relayed message inside a
//! relay message being part of that PDU (its msg-type and transaction id
//! are further occurrences of `dhcpv6.msgtype` / `dhcpv6.xid`), which
//! netcap reports in the Inner* fields of the same record.
//!
//! DHCPv4 options: tshark's `dhcp.option.type` lists Pad runs and End as
//! 0 (its End item carries the value 0 though its text says 255), netcap
//! lists them as 0 and 255; the rows compare the other options' types and
//! lengths, and the number of End options (`dhcp.option.end`).

use crate::common::layers::{self, field_str, field_values, ip, num, Exception, Pkt, Spec};
use prost_reflect::DynamicMessage;

fn count(p: &Pkt, proto: &str) -> usize {
    p.protocols().iter().filter(|x| **x == proto).count()
}

fn nums(v: Vec<&str>) -> String {
    v.into_iter().map(num).collect::<Vec<_>>().join(",")
}

fn ips(v: Vec<&str>) -> String {
    v.into_iter().map(ip).collect::<Vec<_>>().join(",")
}

// ---------------------------------------------------------------- DHCPv4

const V4_COLUMNS: &[&str] = &[
    "Operation",
    "HardwareType",
    "HardwareLen",
    "HardwareOpts",
    "Xid",
    "Secs",
    "Flags",
    "ClientIP",
    "YourClientIP",
    "NextServerIP",
    "RelayAgentIP",
    "ClientHWAddr",
    "ServerName",
    "File",
    "OptionTypes",
    "OptionLengths",
    "EndOptions",
    "MessageType",
    "RequestedIP",
    "ServerID",
    "LeaseTime",
    "Hostname",
    "DomainName",
    "SubnetMask",
    "Routers",
    "DNSServers",
    "ParameterRequestList",
    "VendorClassID",
];

fn v4_expected(p: &Pkt) -> Vec<Vec<String>> {
    if count(p, "dhcp") == 0 {
        return Vec::new();
    }
    let one = |f: &str| p.first(f).map(num).unwrap_or_else(|| "0".into());
    let addr = |f: &str| p.first(f).map(ip).unwrap_or_default();
    let text = |f: &str| p.first(f).unwrap_or_default().to_string();
    let hlen: usize = p.first("dhcp.hw.len").and_then(|s| s.parse().ok()).unwrap_or(0);
    let chaddr = match (p.first("dhcp.hw.mac_addr"), p.first("dhcp.hw.addr")) {
        (Some(mac), _) => mac.to_string(),
        (None, Some(bytes)) => layers::hex_bytes(bytes).chars().take(2 * hlen).collect(),
        (None, None) => String::new(),
    };
    let types: Vec<&str> = p.all("dhcp.option.type").into_iter().filter(|t| *t != "0").collect();
    vec![vec![
        one("dhcp.type"),
        one("dhcp.hw.type"),
        hlen.to_string(),
        one("dhcp.hops"),
        one("dhcp.id"),
        one("dhcp.secs"),
        one("dhcp.flags"),
        addr("dhcp.ip.client"),
        addr("dhcp.ip.your"),
        addr("dhcp.ip.server"),
        addr("dhcp.ip.relay"),
        chaddr,
        text("dhcp.server"),
        text("dhcp.file"),
        nums(types),
        nums(p.all("dhcp.option.length")),
        p.all("dhcp.option.end").len().to_string(),
        one("dhcp.option.dhcp"),
        addr("dhcp.option.requested_ip_address"),
        addr("dhcp.option.dhcp_server_id"),
        one("dhcp.option.ip_address_lease_time"),
        text("dhcp.option.hostname"),
        text("dhcp.option.domain_name"),
        addr("dhcp.option.subnet_mask"),
        ips(p.all("dhcp.option.router")),
        ips(p.all("dhcp.option.domain_name_server")),
        nums(p.all("dhcp.option.request_list_item")),
        text("dhcp.option.vendor_class_id"),
    ]]
}

fn v4_actual(m: &DynamicMessage) -> Vec<String> {
    let opts = layers::field_list(m, "Options");
    let real = || opts.iter().filter(|o| !matches!(field_str(o, "Type").as_str(), "0" | "255"));
    let ends = opts.iter().filter(|o| field_str(o, "Type") == "255").count();
    let s = |f: &str| field_str(m, f);
    let list = |f: &str| field_values(m, f).join(",");
    vec![
        s("Operation"),
        s("HardwareType"),
        s("HardwareLen"),
        s("HardwareOpts"),
        s("Xid"),
        s("Secs"),
        s("Flags"),
        s("ClientIP"),
        s("YourClientIP"),
        s("NextServerIP"),
        s("RelayAgentIP"),
        s("ClientHWAddr"),
        s("ServerName"),
        s("File"),
        real().map(|o| field_str(o, "Type")).collect::<Vec<_>>().join(","),
        real().map(|o| field_str(o, "Length")).collect::<Vec<_>>().join(","),
        ends.to_string(),
        s("MessageType"),
        s("RequestedIP"),
        s("ServerID"),
        s("LeaseTime"),
        s("Hostname"),
        s("DomainName"),
        s("SubnetMask"),
        list("Routers"),
        list("DNSServers"),
        list("ParameterRequestList"),
        s("VendorClassID"),
    ]
}

/// Captured bytes of the UDP payload (tshark's `udp.payload` holds what was captured).
fn udp_payload_len(p: &Pkt) -> usize {
    p.first("udp.payload").map_or(0, |h| layers::hex_bytes(h).len() / 2)
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// gopacket/pcapgo/tests/{be,le}/test012.pcapng frames 2 and 4 (tshark
/// shows no DHCP field for them), read from their bytes: UDP payloads of
/// 273 of 300 bytes, header `02 01 06 00 | 00003d1d | 0000 0000 | 0.0.0.0 |
/// c0a8000a | c0a80001 (frame 4: 00000000) | 0.0.0.0 | 000b8201fc42`,
/// zeros to the cookie at 236, then frame 2: `35 01 02 | 01 04 ffffff00 |
/// 3a 04 00000708 | 3b 04 00000c4e | 33 04 00000e10 | 36 04 c0a80001`,
/// frame 4: `35 01 05 | 3a 04 .. | 3b 04 .. | 33 04 00000e10 | 36 04
/// c0a80001 | 01 04 ffffff00`; the captured bytes end there, before End.
fn test012_rows(p: &Pkt) -> Option<Vec<String>> {
    let (xid, siaddr, types, msg) = match p.frame() {
        2 => ("15645", "192.168.0.1", "53,1,58,59,51,54", "2"),
        4 => ("15646", "0.0.0.0", "53,58,59,51,54,1", "5"),
        _ => return None,
    };
    Some(row(&[
        "2",
        "1",
        "6",
        "0",
        xid,
        "0",
        "0",
        "0.0.0.0",
        "192.168.0.10",
        siaddr,
        "0.0.0.0",
        "00:0b:82:01:fc:42",
        "",
        "",
        types,
        "1,4,4,4,4,4",
        "0",
        msg,
        "",
        "192.168.0.1",
        "3600",
        "",
        "",
        "255.255.255.0",
        "",
        "",
        "",
        "",
    ]))
}

const TEST012_REASON: &str = "frames 2 and 4 were cut by the snap length (315 of 342 bytes) inside \
    the options; tshark's DHCP dissector then shows no field at all (\"Packet size limited during \
    capture\"), netcap decodes the complete header and the options that were captured (see \
    test012_rows for the bytes)";

const V4_EXCEPTIONS: &[Exception] = &[
    Exception {
        capture: "*",
        reason: "the captured UDP payload ends inside the 236-byte BOOTP header (snap length 96/128 in \
            the gopacket pcapng tests; bootp_asan.pcap: 48 bytes under a UDP length of 59392): \
            netcap logs a truncated DHCPv4 and writes no record, tshark shows the header fields it \
            could read (or none)",
        apply: |p, rows| {
            if count(p, "dhcp") == 0 || udp_payload_len(p) >= 236 {
                return false;
            }
            rows.clear();
            true
        },
    },
    Exception {
        capture: "gopacket/pcapgo/tests/be/test012.pcapng",
        reason: TEST012_REASON,
        apply: |p, rows| match test012_rows(p) {
            Some(r) => {
                *rows = vec![r];
                true
            }
            None => false,
        },
    },
    Exception {
        capture: "gopacket/pcapgo/tests/le/test012.pcapng",
        reason: TEST012_REASON,
        apply: |p, rows| match test012_rows(p) {
            Some(r) => {
                *rows = vec![r];
                true
            }
            None => false,
        },
    },
];

pub const DHCPV4: Spec = Spec {
    record: "DHCPv4",
    protocols: &["dhcp"],
    fields: &[
        "dhcp.type",
        "dhcp.hw.type",
        "dhcp.hw.len",
        "dhcp.hops",
        "dhcp.id",
        "dhcp.secs",
        "dhcp.flags",
        "dhcp.ip.client",
        "dhcp.ip.your",
        "dhcp.ip.server",
        "dhcp.ip.relay",
        "dhcp.hw.mac_addr",
        "dhcp.hw.addr",
        "dhcp.server",
        "dhcp.file",
        "dhcp.option.type",
        "dhcp.option.length",
        "dhcp.option.end",
        "dhcp.option.dhcp",
        "dhcp.option.requested_ip_address",
        "dhcp.option.dhcp_server_id",
        "dhcp.option.ip_address_lease_time",
        "dhcp.option.hostname",
        "dhcp.option.domain_name",
        "dhcp.option.subnet_mask",
        "dhcp.option.router",
        "dhcp.option.domain_name_server",
        "dhcp.option.request_list_item",
        "dhcp.option.vendor_class_id",
        "udp.payload",
    ],
    prefs: &[],
    columns: V4_COLUMNS,
    expected: v4_expected,
    actual: v4_actual,
    exceptions: V4_EXCEPTIONS,
};

// ---------------------------------------------------------------- DHCPv6

const V6_COLUMNS: &[&str] = &[
    "MsgType",
    "HopCount",
    "LinkAddr",
    "PeerAddr",
    "ClientMsgType",
    "ClientTransactionID",
    "RelayDepth",
    "RequestedOptions",
    "DNSServers",
];

fn is_relay(t: &str) -> bool {
    matches!(t, "12" | "13")
}

fn v6_expected(p: &Pkt) -> Vec<Vec<String>> {
    if count(p, "dhcpv6") == 0 {
        return Vec::new();
    }
    let types: Vec<&str> = p.all("dhcpv6.msgtype");
    let outer = types.first().copied().unwrap_or("0");
    let client = types.iter().position(|t| !is_relay(t));
    let (client_type, depth) = match client {
        Some(i) => (types[i].to_string(), i),
        None => ("0".to_string(), types.len().saturating_sub(1)),
    };
    let relay = is_relay(outer);
    vec![vec![
        num(outer),
        if relay { p.first("dhcpv6.hopcount").map(num).unwrap_or_default() } else { "0".into() },
        p.first("dhcpv6.linkaddr").map(ip).unwrap_or_default(),
        p.first("dhcpv6.peeraddr").map(ip).unwrap_or_default(),
        client_type,
        p.first("dhcpv6.xid").map(num).unwrap_or_else(|| "0".into()),
        depth.to_string(),
        nums(p.all("dhcpv6.requested_option_code")),
        ips(p.all("dhcpv6.dns_server")),
    ]]
}

fn v6_actual(m: &DynamicMessage) -> Vec<String> {
    let s = |f: &str| field_str(m, f);
    let relay = is_relay(&s("MsgType"));
    let (client_type, xid) =
        if relay { (s("InnerMsgType"), s("InnerTransactionID")) } else { (s("MsgType"), s("TransactionID")) };
    vec![
        s("MsgType"),
        s("HopCount"),
        s("LinkAddr"),
        s("PeerAddr"),
        client_type,
        xid,
        s("RelayDepth"),
        field_values(m, "RequestedOptions").join(","),
        field_values(m, "DNSServers").join(","),
    ]
}

const V6_EXCEPTIONS: &[Exception] = &[];

pub const DHCPV6: Spec = Spec {
    record: "DHCPv6",
    protocols: &["dhcpv6"],
    fields: &[
        "dhcpv6.msgtype",
        "dhcpv6.hopcount",
        "dhcpv6.linkaddr",
        "dhcpv6.peeraddr",
        "dhcpv6.xid",
        "dhcpv6.requested_option_code",
        "dhcpv6.dns_server",
    ],
    prefs: &[],
    columns: V6_COLUMNS,
    expected: v6_expected,
    actual: v6_actual,
    exceptions: V6_EXCEPTIONS,
};

#[test]
fn dhcpv4_agrees_with_tshark() {
    layers::run(&DHCPV4)
}

#[test]
fn dhcpv6_agrees_with_tshark() {
    layers::run(&DHCPV6)
}

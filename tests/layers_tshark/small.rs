//! NTP, SIP, BFD and Modbus/TCP records against tshark. (LCM has no
//! shared capture and no tshark dissector: its unit tests in
//! `src/decode/lcm.rs` are its test.)
//!
//! Counting rules:
//! - NTP: one record per UDP datagram on port 123 that holds its mode's
//!   header (48 bytes; 12 for mode 6 control, 8 for mode 7 private
//!   messages); tshark gives one `ntp.flags.mode` per NTP message.
//! - SIP: one record per UDP datagram or TCP segment that starts with a
//!   SIP request or status line; tshark gives one `sip.Method` (requests)
//!   or `sip.Status-Code` (responses) per message, in that order per
//!   packet.
//! - BFD: one record per BFD Control packet; tshark gives one
//!   `bfd.version` per packet.
//! - ModbusTCP: one record per MBAP frame of a TCP segment on port 502
//!   (a segment may hold several, the last possibly cut short); tshark
//!   (desegmentation off) gives one `mbtcp.trans_id` per frame.

use crate::common::layers::{self, boolean, field_list, field_present, field_str, field_values, num, Pkt, Spec};
use prost_reflect::DynamicMessage;

/// Text of the `k`-th occurrence of `field`, or "" when absent.
fn nth(p: &Pkt, field: &str, k: usize) -> String {
    p.nth(field, k).unwrap_or_default().to_string()
}

fn nth_num(p: &Pkt, field: &str, k: usize) -> String {
    p.nth(field, k).map(num).unwrap_or_default()
}

/// tshark's absolute time ("Jun 19, 2017 14:19:18.494546877 UTC", or
/// "NULL" for a zero NTP timestamp) as ns since the Unix epoch.
fn abs_time_nanos(s: &str) -> String {
    let s = s.trim();
    if s == "NULL" || s.is_empty() {
        return "0".into();
    }
    let parse = || -> Option<i128> {
        let mut it = s.split_whitespace();
        let name = it.next()?;
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let month = months.iter().position(|m| *m == name)? as i64 + 1;
        let day: i64 = it.next()?.trim_end_matches(',').parse().ok()?;
        let year: i64 = it.next()?.parse().ok()?;
        let clock = it.next()?;
        let (hms, frac) = clock.split_once('.').unwrap_or((clock, "0"));
        let mut hms = hms.split(':').map(|x| x.parse::<i64>());
        let (h, m, sec) = (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
        let nanos: i128 = format!("{frac:0<9}").get(..9)?.parse().ok()?;
        // Days from the civil date (H. Hinnant's algorithm).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some(i128::from(days * 86_400 + h * 3600 + m * 60 + sec) * 1_000_000_000 + nanos)
    };
    parse().map_or_else(|| format!("?{s}"), |n| n.to_string())
}

// ---------------------------------------------------------------- NTP

const NTP_COLUMNS: &[&str] = &[
    "LeapIndicator",
    "Version",
    "Mode",
    "Stratum",
    "Poll",
    "Precision",
    "RootDelay",
    "RootDispersion",
    "ReferenceID",
    "TimestampReference",
    "TimestampTransmit",
    "KeyID",
    "MAC",
    "Extensions",
    "Control",
    "Private",
];

/// Modes 0-5 compare the 48-byte header (Poll and Precision as the
/// unsigned bytes tshark shows), the MAC and the extension field types;
/// mode 6 the control header (flags, opcode, sequence, status,
/// association ID, offset, count); mode 7 the private header (flags,
/// sequence, implementation, request code, error, items and their size).
fn ntp_expected(p: &Pkt) -> Vec<Vec<String>> {
    let Some(mode) = p.first("ntp.flags.mode").map(num) else {
        return Vec::new();
    };
    let n = |f: &str| nth_num(p, f, 0);
    let dash = || "-".to_string();
    let (li, std, control, private) = match mode.as_str() {
        "6" => {
            let c = [
                "ntp.ctrl.flags2.r",
                "ntp.ctrl.flags2.error",
                "ntp.ctrl.flags2.more",
                "ntp.ctrl.flags2.opcode",
                "ntp.ctrl.sequence",
                "ntp.ctrl.status",
                "ntp.ctrl.associd",
                "ntp.ctrl.offset",
                "ntp.ctrl.count",
            ];
            (n("ntp.flags.li"), None, c.iter().map(|f| n(f)).collect::<Vec<_>>().join("/"), dash())
        }
        "7" => {
            let r = [
                "ntp.priv.flags.r",
                "ntp.priv.flags.more",
                "ntp.priv.auth",
                "ntp.priv.seq",
                "ntp.priv.impl",
                "ntp.priv.reqcode",
                "ntp.priv.err",
                "ntp.priv.numitems",
                "ntp.priv.itemsize",
            ];
            // Mode 7 has Response and More where the leap indicator is.
            let li = (n("ntp.priv.flags.r").parse::<u8>().unwrap_or(9) << 1
                | n("ntp.priv.flags.more").parse::<u8>().unwrap_or(9))
            .to_string();
            (li, None, dash(), r.iter().map(|f| n(f)).collect::<Vec<_>>().join("/"))
        }
        _ => {
            let std = vec![
                n("ntp.stratum"),
                n("ntp.ppoll"),
                n("ntp.precision"),
                n("ntp.rootdelay"),
                n("ntp.rootdispersion"),
                nth(p, "ntp.refid", 0),
                abs_time_nanos(&nth(p, "ntp.reftime", 0)),
                abs_time_nanos(&nth(p, "ntp.xmt", 0)),
                nth(p, "ntp.keyid", 0),
                nth(p, "ntp.mac", 0),
                p.all("ntp.ext.type").iter().map(|t| num(t)).collect::<Vec<_>>().join("/"),
            ];
            (n("ntp.flags.li"), Some(std), dash(), dash())
        }
    };
    let mut row = vec![li, n("ntp.flags.vn"), mode];
    row.extend(std.unwrap_or_else(|| vec![dash(); 11]));
    row.push(control);
    row.push(private);
    vec![row]
}

fn ntp_actual(m: &DynamicMessage) -> Vec<String> {
    let f = |name: &str| field_str(m, name);
    let byte = |name: &str| (f(name).parse::<i64>().unwrap_or(0) as u8).to_string();
    let mode = f("Mode");
    let dash = || "-".to_string();
    let mut row = vec![f("LeapIndicator"), f("Version"), mode.clone()];
    let sub = |name: &str, fields: &[&str]| -> String {
        let s = field_list(m, name).into_iter().next();
        s.map(|s| fields.iter().map(|x| field_str(&s, x)).collect::<Vec<_>>().join("/")).unwrap_or_else(|| "?".into())
    };
    if mode == "6" || mode == "7" {
        row.extend(vec![dash(); 11]);
    } else {
        let mac_present = f("MACPresent") == "1";
        let key = f("KeyID").parse::<u32>().unwrap_or(0);
        row.extend([
            f("Stratum"),
            byte("Poll"),
            byte("Precision"),
            f("RootDelay"),
            f("RootDispersion"),
            format!("{:08x}", f("ReferenceID").parse::<u32>().unwrap_or(0)),
            f("TimestampReference"),
            f("TimestampTransmit"),
            if mac_present { format!("{key:08x}") } else { String::new() },
            f("MAC"),
            field_list(m, "Extensions").iter().map(|e| field_str(e, "Type")).collect::<Vec<_>>().join("/"),
        ]);
    }
    row.push(if mode == "6" {
        sub(
            "Control",
            &["Response", "Error", "More", "Opcode", "Sequence", "Status", "AssociationID", "Offset", "Count"],
        )
    } else {
        dash()
    });
    row.push(if mode == "7" {
        sub(
            "Private",
            &["Response", "More", "Auth", "Sequence", "Implementation", "RequestCode", "Err", "NumItems", "ItemSize"],
        )
    } else {
        dash()
    });
    row
}

const NTP: Spec = Spec {
    record: "NTP",
    protocols: &["ntp"],
    fields: &[
        "ntp.flags.li",
        "ntp.flags.vn",
        "ntp.flags.mode",
        "ntp.stratum",
        "ntp.ppoll",
        "ntp.precision",
        "ntp.rootdelay",
        "ntp.rootdispersion",
        "ntp.refid",
        "ntp.reftime",
        "ntp.xmt",
        "ntp.keyid",
        "ntp.mac",
        "ntp.ext.type",
        "ntp.ctrl.flags2.r",
        "ntp.ctrl.flags2.error",
        "ntp.ctrl.flags2.more",
        "ntp.ctrl.flags2.opcode",
        "ntp.ctrl.sequence",
        "ntp.ctrl.status",
        "ntp.ctrl.associd",
        "ntp.ctrl.offset",
        "ntp.ctrl.count",
        "ntp.priv.flags.r",
        "ntp.priv.flags.more",
        "ntp.priv.auth",
        "ntp.priv.seq",
        "ntp.priv.impl",
        "ntp.priv.reqcode",
        "ntp.priv.err",
        "ntp.priv.numitems",
        "ntp.priv.itemsize",
    ],
    prefs: &[],
    columns: NTP_COLUMNS,
    expected: ntp_expected,
    actual: ntp_actual,
    exceptions: &[],
};

#[test]
fn ntp_agrees_with_tshark() {
    layers::run(&NTP)
}

// ---------------------------------------------------------------- SIP

const SIP_COLUMNS: &[&str] = &[
    "IsResponse",
    "Method",
    "RequestURI",
    "ResponseCode",
    "CallID",
    "CSeq",
    "CSeqMethod",
    "From",
    "To",
    "Via",
    "ContentLength",
];

/// Per message: the start line (method and Request-URI, or status code),
/// Call-ID, CSeq number and method, From, To, the Via lines and
/// Content-Length. tshark lists a packet's requests' and responses'
/// fields separately; a packet holds one message here (several only in
/// TCP segments, which none of the captures has).
fn sip_expected(p: &Pkt) -> Vec<Vec<String>> {
    let (methods, codes) = (p.all("sip.Method"), p.all("sip.Status-Code"));
    if methods.is_empty() && codes.is_empty() {
        return Vec::new();
    }
    let is_response = methods.is_empty();
    let join = |f: &str| p.all(f).join("|");
    vec![vec![
        if is_response { "1" } else { "0" }.to_string(),
        nth(p, "sip.Method", 0),
        nth(p, "sip.r-uri", 0),
        if is_response { nth_num(p, "sip.Status-Code", 0) } else { "0".into() },
        nth(p, "sip.Call-ID", 0),
        nth_num(p, "sip.CSeq.seq", 0),
        nth(p, "sip.CSeq.method", 0),
        nth(p, "sip.From", 0),
        nth(p, "sip.To", 0),
        join("sip.Via"),
        p.first("sip.Content-Length").map(num).unwrap_or_else(|| "-1".into()),
    ]]
}

fn sip_actual(m: &DynamicMessage) -> Vec<String> {
    let f = |name: &str| field_str(m, name);
    vec![
        f("IsResponse"),
        f("Method"),
        f("RequestURI"),
        f("ResponseCode"),
        f("CallID"),
        f("CSeq"),
        f("CSeqMethod"),
        f("From"),
        f("To"),
        field_values(m, "Via").join("|"),
        f("ContentLength"),
    ]
}

const SIP: Spec = Spec {
    record: "SIP",
    protocols: &["sip"],
    fields: &[
        "udp.port",
        "tcp.port",
        "sip.Method",
        "sip.r-uri",
        "sip.Status-Code",
        "sip.Call-ID",
        "sip.CSeq.seq",
        "sip.CSeq.method",
        "sip.From",
        "sip.To",
        "sip.Via",
        "sip.Content-Length",
    ],
    prefs: &[],
    columns: SIP_COLUMNS,
    expected: sip_expected,
    actual: sip_actual,
    exceptions: &[],
};

#[test]
fn sip_agrees_with_tshark() {
    layers::run(&SIP)
}

// ---------------------------------------------------------------- BFD

const BFD_COLUMNS: &[&str] = &[
    "Version",
    "Diagnostic",
    "State",
    "Poll",
    "Final",
    "ControlPlaneIndependent",
    "AuthPresent",
    "Demand",
    "Multipoint",
    "DetectMultiplier",
    "Length",
    "MyDiscriminator",
    "YourDiscriminator",
    "DesiredMinTxInterval",
    "RequiredMinRxInterval",
    "RequiredMinEchoRxInterval",
    "AuthHeader",
];

/// Every field of the Control packet; the authentication section as
/// type/length/key ID/sequence number/data (the password as hex, or the
/// digest), "-" when the A bit is clear.
fn bfd_expected(p: &Pkt) -> Vec<Vec<String>> {
    if !p.has("bfd.version") {
        return Vec::new();
    }
    let n = |f: &str| nth_num(p, f, 0);
    let b = |f: &str| p.first(f).map(boolean).unwrap_or_default();
    let auth = if b("bfd.flags.a") == "1" {
        let data = match p.first("bfd.auth.password") {
            Some(pw) => pw.bytes().map(|x| format!("{x:02x}")).collect(),
            None => nth(p, "bfd.checksum", 0),
        };
        let seq = p.first("bfd.auth.seq_num").map(num).unwrap_or_else(|| "0".into());
        format!("{}/{}/{}/{}/{}", n("bfd.auth.type"), n("bfd.auth.len"), n("bfd.auth.key"), seq, data)
    } else {
        "-".into()
    };
    vec![vec![
        n("bfd.version"),
        n("bfd.diag"),
        n("bfd.sta"),
        b("bfd.flags.p"),
        b("bfd.flags.f"),
        b("bfd.flags.c"),
        b("bfd.flags.a"),
        b("bfd.flags.d"),
        b("bfd.flags.m"),
        n("bfd.detect_time_multiplier"),
        n("bfd.message_length"),
        n("bfd.my_discriminator"),
        n("bfd.your_discriminator"),
        n("bfd.desired_min_tx_interval"),
        n("bfd.required_min_rx_interval"),
        n("bfd.required_min_echo_interval"),
        auth,
    ]]
}

fn bfd_actual(m: &DynamicMessage) -> Vec<String> {
    let f = |name: &str| field_str(m, name);
    let auth = if field_present(m, "AuthHeader") {
        let a = &field_list(m, "AuthHeader")[0];
        ["AuthType", "AuthLength", "KeyID", "SequenceNumber", "Data"]
            .iter()
            .map(|x| field_str(a, x))
            .collect::<Vec<_>>()
            .join("/")
    } else {
        "-".into()
    };
    let mut row: Vec<String> = BFD_COLUMNS[..16].iter().map(|c| f(c)).collect();
    row.push(auth);
    row
}

const BFD: Spec = Spec {
    record: "BFD",
    protocols: &["bfd"],
    fields: &[
        "udp.port",
        "bfd.version",
        "bfd.diag",
        "bfd.sta",
        "bfd.flags.p",
        "bfd.flags.f",
        "bfd.flags.c",
        "bfd.flags.a",
        "bfd.flags.d",
        "bfd.flags.m",
        "bfd.detect_time_multiplier",
        "bfd.message_length",
        "bfd.my_discriminator",
        "bfd.your_discriminator",
        "bfd.desired_min_tx_interval",
        "bfd.required_min_rx_interval",
        "bfd.required_min_echo_interval",
        "bfd.auth.type",
        "bfd.auth.len",
        "bfd.auth.key",
        "bfd.auth.seq_num",
        "bfd.auth.password",
        "bfd.checksum",
    ],
    prefs: &[],
    columns: BFD_COLUMNS,
    expected: bfd_expected,
    actual: bfd_actual,
    exceptions: &[],
};

#[test]
fn bfd_agrees_with_tshark() {
    layers::run(&BFD)
}

// ---------------------------------------------------------- ModbusTCP

const MODBUS_COLUMNS: &[&str] =
    &["TransactionIdentifier", "ProtocolIdentifier", "Length", "UnitIdentifier", "FunctionCode", "ExceptionCode"];

/// Per MBAP frame: its header, the function code without the exception
/// bit (tshark masks it) and the exception code ("" when not an exception).
fn modbus_expected(p: &Pkt) -> Vec<Vec<String>> {
    let ids = p.all("mbtcp.trans_id");
    let exceptions = p.all("modbus.exception_code");
    (0..ids.len())
        .map(|k| {
            vec![
                nth_num(p, "mbtcp.trans_id", k),
                nth_num(p, "mbtcp.prot_id", k),
                nth_num(p, "mbtcp.len", k),
                nth_num(p, "mbtcp.unit_id", k),
                nth_num(p, "modbus.func_code", k),
                // Only frames that are exceptions have the field; none of
                // the shared captures mixes them with others in a segment.
                if exceptions.is_empty() { String::new() } else { nth_num(p, "modbus.exception_code", k) },
            ]
        })
        .collect()
}

fn modbus_actual(m: &DynamicMessage) -> Vec<String> {
    let f = |name: &str| field_str(m, name);
    let code: u32 = f("FunctionCode").parse().unwrap_or(0);
    vec![
        f("TransactionIdentifier"),
        f("ProtocolIdentifier"),
        f("Length"),
        f("UnitIdentifier"),
        (code & 0x7f).to_string(),
        if f("Exception") == "1" { f("ExceptionCode") } else { String::new() },
    ]
}

const MODBUS_TCP: Spec = Spec {
    record: "ModbusTCP",
    protocols: &["mbtcp"],
    fields: &[
        "mbtcp.trans_id",
        "mbtcp.prot_id",
        "mbtcp.len",
        "mbtcp.unit_id",
        "modbus.func_code",
        "modbus.exception_code",
    ],
    prefs: &[],
    columns: MODBUS_COLUMNS,
    expected: modbus_expected,
    actual: modbus_actual,
    exceptions: &[],
};

#[test]
fn modbus_tcp_agrees_with_tshark() {
    layers::run(&MODBUS_TCP)
}

#[test]
fn tshark_absolute_times_parse() {
    // ntp.pcap frame 4's transmit timestamp (0xdcf25be6.7e9a9fc9).
    assert_eq!(abs_time_nanos("Jun 19, 2017 14:19:18.494546877 UTC"), "1497881958494546877");
    assert_eq!(abs_time_nanos("Mar 22, 2093 03:56:41.693999877 UTC"), "3888532601693999877");
    assert_eq!(abs_time_nanos("Jan  1, 1970 00:00:00.000000001 UTC"), "1");
    assert_eq!(abs_time_nanos("NULL"), "0");
}

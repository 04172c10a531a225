//! USB records (Linux usbmon, link types 189 and 220; Windows USBPcap,
//! link type 249) against tshark.
//!
//! Counting rules:
//! - USB: one record per frame of those link types; tshark gives one
//!   `usb.bus_id` per frame (the pseudo-header; descriptors in the data
//!   have their own field names).
//! - USBRequestBlockSetup: one record per frame that carries a setup
//!   packet where Wireshark decodes one (a Linux control submit with setup
//!   flag 0; a USBPcap control transfer's setup stage on the way to the
//!   device); tshark gives one `usb.setup.bRequest` per such frame.
//!
//! tshark shows wValue and wIndex of standard requests under their
//! meaning (GET_DESCRIPTOR: `usb.DescriptorIndex`, `usb.bDescriptorType`,
//! `usb.LanguageId`; SET_CONFIGURATION: `usb.bConfigurationValue`; ...),
//! and `usb.setup.wValue`/`usb.setup.wIndex` only otherwise: the expected
//! Value and Index are put back together from whichever is there. A
//! request whose parts this does not know shows as "?" and fails the test
//! (add its fields here).
//!
//! The USBPcap fields go into the same records as documented in
//! `src/decode/usbpcap.rs`: EventType 'C' when `usb.irp_info` bit 0 is
//! set, else 'S'; Status the USBD_STATUS bits as a signed number; Data
//! whether the data length exceeds the setup packet; the isochronous
//! start frame, number of packets and error count as UrbStartFrame,
//! IsoNumDesc and IsoErrorCount; the Linux-only fields 0.

use crate::common::layers::{self, field_str, num, Pkt, Spec};
use prost_reflect::DynamicMessage;

/// The first occurrence of `field` as a decimal number, "0" when absent.
fn first_num(p: &Pkt, field: &str) -> String {
    p.first(field).map(num).unwrap_or_else(|| "0".into())
}

/// The last occurrence as a decimal number, "0" when absent.
fn last_num(p: &Pkt, field: &str) -> String {
    p.all(field).last().map(|s| num(s)).unwrap_or_else(|| "0".into())
}

/// A signed decimal as tshark prints it (`usb.urb_status` -115).
fn signed(p: &Pkt, field: &str) -> String {
    match p.first(field).map(str::trim) {
        Some(s) => s.parse::<i64>().map_or_else(|_| format!("?{s}"), |v| v.to_string()),
        None => "?".into(),
    }
}

/// The code of an FT_CHAR value as tshark prints it: `'S'`, `'\0'`,
/// `'\t'`, `'\033'` (octal), `'\\'`, `'\''`.
fn char_code(s: &str) -> String {
    let inner = s.trim().strip_prefix('\'').and_then(|x| x.strip_suffix('\'')).unwrap_or("");
    let code = match inner.strip_prefix('\\') {
        None => {
            let mut chars = inner.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if (c as u32) < 256 => Some(c as u32),
                _ => None,
            }
        }
        Some(esc) if !esc.is_empty() && esc.chars().all(|c| c.is_digit(8)) => u32::from_str_radix(esc, 8).ok(),
        Some("a") => Some(7),
        Some("b") => Some(8),
        Some("t") => Some(9),
        Some("n") => Some(10),
        Some("v") => Some(11),
        Some("f") => Some(12),
        Some("r") => Some(13),
        Some("\\") => Some(92),
        Some("'") => Some(39),
        Some(_) => None,
    };
    code.map_or_else(|| format!("?{s}"), |c| c.to_string())
}

fn flag_is_zero(p: &Pkt, field: &str) -> String {
    let code = p.first(field).map(char_code).unwrap_or_else(|| "?".into());
    if code == "0" { "1" } else { "0" }.into()
}

// ---------------------------------------------------------------- USB

const USB_COLUMNS: &[&str] = &[
    "LinkType",
    "ID",
    "EventType",
    "TransferType",
    "Direction",
    "EndpointNumber",
    "DeviceAddress",
    "BusID",
    "Setup",
    "Data",
    "TimestampSec",
    "TimestampUsec",
    "Status",
    "UrbLength",
    "UrbDataLength",
    "UrbInterval",
    "UrbStartFrame",
    "UrbCopyOfTransferFlags",
    "IsoNumDesc",
    "IsoErrorCount",
    "SetupFlag",
    "DataFlag",
    "Function",
    "IrpInfo",
    "ControlStage",
];

/// Wiretap's encapsulation numbers (`frame.encap_type`) of the three
/// headers, and their link types.
fn link_type(p: &Pkt) -> String {
    match p.first("frame.encap_type").map(num).as_deref() {
        Some("95") => "189".into(),
        Some("115") => "220".into(),
        Some("152") => "249".into(),
        other => format!("?{other:?}"),
    }
}

fn usb_expected(p: &Pkt) -> Vec<Vec<String>> {
    if !p.has("usb.bus_id") {
        return Vec::new();
    }
    let n = |f: &str| first_num(p, f);
    let row = if p.has("usb.urb_id") {
        // Linux usbmon. A 64-byte header shows usb.iso.numdesc once more
        // after the interval (ndesc): the last one is the record's.
        let char_num = |f: &str| p.first(f).map(char_code).unwrap_or_else(|| "?".into());
        vec![
            link_type(p),
            n("usb.urb_id"),
            char_num("usb.urb_type"),
            n("usb.transfer_type"),
            n("usb.endpoint_address.direction"),
            n("usb.endpoint_address.number"),
            n("usb.device_address"),
            n("usb.bus_id"),
            flag_is_zero(p, "usb.setup_flag"),
            flag_is_zero(p, "usb.data_flag"),
            n("usb.urb_ts_sec"),
            n("usb.urb_ts_usec"),
            signed(p, "usb.urb_status"),
            n("usb.urb_len"),
            n("usb.data_len"),
            n("usb.interval"),
            n("usb.start_frame"),
            n("usb.copy_of_transfer_flags"),
            last_num(p, "usb.iso.numdesc"),
            n("usb.iso.error_count"),
            char_num("usb.setup_flag"),
            char_num("usb.data_flag"),
            "0".into(),
            "0".into(),
            "0".into(),
        ]
    } else {
        // USBPcap.
        let info: u64 = n("usb.irp_info").parse().unwrap_or(0);
        let stage = p.first("usb.control_stage").map(num);
        let setup = stage.as_deref() == Some("0");
        let data_len: u64 = n("usb.data_len").parse().unwrap_or(0);
        let status = u32::try_from(n("usb.usbd_status").parse::<u64>().unwrap_or(0)).unwrap_or(0) as i32;
        vec![
            link_type(p),
            n("usb.irp_id"),
            if info & 1 != 0 { "67" } else { "83" }.into(),
            n("usb.transfer_type"),
            n("usb.endpoint_address.direction"),
            n("usb.endpoint_address.number"),
            n("usb.device_address"),
            n("usb.bus_id"),
            if setup { "1" } else { "0" }.into(),
            if data_len > if setup { 8 } else { 0 } { "1" } else { "0" }.into(),
            "0".into(),
            "0".into(),
            status.to_string(),
            "0".into(),
            data_len.to_string(),
            "0".into(),
            n("usb.win32.iso_frame"),
            "0".into(),
            n("usb.win32.iso_num_packets"),
            n("usb.win32.iso_error_count"),
            "0".into(),
            "0".into(),
            n("usb.function"),
            info.to_string(),
            stage.unwrap_or_else(|| "0".into()),
        ]
    };
    vec![row]
}

fn usb_actual(m: &DynamicMessage) -> Vec<String> {
    USB_COLUMNS.iter().map(|c| field_str(m, c)).collect()
}

pub static USB: Spec = Spec {
    record: "USB",
    protocols: &["usb"],
    fields: &[
        "frame.encap_type",
        "usb.urb_id",
        "usb.urb_type",
        "usb.transfer_type",
        "usb.endpoint_address.direction",
        "usb.endpoint_address.number",
        "usb.device_address",
        "usb.bus_id",
        "usb.setup_flag",
        "usb.data_flag",
        "usb.urb_ts_sec",
        "usb.urb_ts_usec",
        "usb.urb_status",
        "usb.urb_len",
        "usb.data_len",
        "usb.interval",
        "usb.start_frame",
        "usb.copy_of_transfer_flags",
        "usb.iso.numdesc",
        "usb.iso.error_count",
        "usb.irp_id",
        "usb.usbd_status",
        "usb.function",
        "usb.irp_info",
        "usb.control_stage",
        "usb.win32.iso_frame",
        "usb.win32.iso_num_packets",
        "usb.win32.iso_error_count",
    ],
    prefs: &[],
    columns: USB_COLUMNS,
    expected: usb_expected,
    actual: usb_actual,
    exceptions: &[],
};

#[test]
fn usb_agrees_with_tshark() {
    layers::run(&USB)
}

// ---------------------------------------------------------------- USBRequestBlockSetup

const SETUP_COLUMNS: &[&str] = &["ID", "RequestType", "Request", "Value", "Index", "Length"];

/// wValue: as such, or as the parts a standard request shows it in.
fn setup_value(p: &Pkt) -> String {
    if let Some(v) = p.first("usb.setup.wValue") {
        return num(v);
    }
    let byte = |f: &str| p.first(f).map(num).and_then(|s| s.parse::<u64>().ok());
    let request = byte("usb.setup.bRequest");
    // GET_DESCRIPTOR, SET_DESCRIPTOR: index low, type high.
    if let (Some(6 | 7), Some(index), Some(kind)) = (request, byte("usb.DescriptorIndex"), byte("usb.bDescriptorType"))
    {
        return (kind << 8 | index).to_string();
    }
    for f in ["usb.bConfigurationValue", "usb.setup.wFeatureSelector", "usb.bAlternateSetting"] {
        if let Some(v) = p.first(f) {
            return num(v);
        }
    }
    // SET_ADDRESS shows the new address as a second usb.device_address.
    if request == Some(5) {
        if let Some(v) = p.nth("usb.device_address", 1) {
            return num(v);
        }
    }
    "?".into()
}

/// wIndex: as such, or as the language, interface or endpoint it names.
fn setup_index(p: &Pkt) -> String {
    for f in ["usb.setup.wIndex", "usb.LanguageId", "usb.setup.wInterface", "usb.setup.wEndpoint"] {
        if let Some(v) = p.first(f) {
            return num(v);
        }
    }
    "?".into()
}

fn setup_expected(p: &Pkt) -> Vec<Vec<String>> {
    let Some(request) = p.first("usb.setup.bRequest") else {
        return Vec::new();
    };
    let id = p.first("usb.urb_id").or_else(|| p.first("usb.irp_id")).map(num).unwrap_or_else(|| "?".into());
    vec![vec![
        id,
        first_num(p, "usb.bmRequestType"),
        num(request),
        setup_value(p),
        setup_index(p),
        p.first("usb.setup.wLength").map(num).unwrap_or_else(|| "?".into()),
    ]]
}

fn setup_actual(m: &DynamicMessage) -> Vec<String> {
    SETUP_COLUMNS.iter().map(|c| field_str(m, c)).collect()
}

pub static USB_SETUP: Spec = Spec {
    record: "USBRequestBlockSetup",
    protocols: &["usb"],
    fields: &[
        "usb.urb_id",
        "usb.irp_id",
        "usb.device_address",
        "usb.bmRequestType",
        "usb.setup.bRequest",
        "usb.setup.wValue",
        "usb.setup.wIndex",
        "usb.setup.wLength",
        "usb.DescriptorIndex",
        "usb.bDescriptorType",
        "usb.LanguageId",
        "usb.bConfigurationValue",
        "usb.setup.wFeatureSelector",
        "usb.bAlternateSetting",
        "usb.setup.wInterface",
        "usb.setup.wEndpoint",
    ],
    prefs: &[],
    columns: SETUP_COLUMNS,
    expected: setup_expected,
    actual: setup_actual,
    exceptions: &[],
};

#[test]
fn usb_setup_agrees_with_tshark() {
    layers::run(&USB_SETUP)
}

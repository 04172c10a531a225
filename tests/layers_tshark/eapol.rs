//! EAPOL, EAP and EAPOL-Key records (802.1X, RFC 3748, 802.11 key
//! descriptors) against tshark.
//!
//! Counting rules:
//! - EAPOL: one record per EAPOL frame whose 4-byte header is present;
//!   tshark gives one `eapol.len` (the header's last field) per frame.
//! - EAP: one record per EAP packet inside an EAPOL EAP-Packet; tshark
//!   gives one `eap.code` per EAP packet. Only packets with an EAPOL layer
//!   count: the captures tagged `eap` carry EAP inside RADIUS EAP-Message
//!   attributes, which netcap does not decode (their tshark rows are
//!   dropped by this rule, so they check that netcap writes no EAP record
//!   there). A Request or Response without its type byte gives no record
//!   on either side (tshark shows no EAP field for it).
//! - EAPOLKey: one record per EAPOL-Key frame of a known descriptor type
//!   (1 RC4, 2 RSN, 254 WPA) whose fixed part is present; tshark shows
//!   that fixed part complete when it gives `wlan_rsna_eapol.keydes.data_len`
//!   (types 2 and 254, 16-byte MIC) or `eapol.keydes.key_signature` (type 1).
//!   For RC4 the record's Key Information flags are clear, KeyType and
//!   KeyIndex come from the Key Index byte (`eapol.keydes.key_index.type`,
//!   `.number`), MIC is the Key Signature and the key data is the Key.
//!   The key data column joins netcap's KeyData and EncryptedKeyData (one
//!   of them is always empty).

use crate::common::layers::{self, boolean, field_str, hex_bytes, num, Pkt, Spec};
use prost_reflect::DynamicMessage;

fn nth_num(p: &Pkt, field: &str, k: usize) -> String {
    p.nth(field, k).map(num).unwrap_or_else(|| "?".into())
}

/// The first occurrence of `field` as a number, `absent` when missing.
fn first_num_or(p: &Pkt, field: &str, absent: &str) -> String {
    p.first(field).map(num).unwrap_or_else(|| absent.into())
}

fn first_bool(p: &Pkt, field: &str) -> String {
    p.first(field).map(boolean).unwrap_or_else(|| "0".into())
}

fn first_hex(p: &Pkt, field: &str) -> String {
    p.first(field).map(hex_bytes).unwrap_or_default()
}

// ---------------------------------------------------------------- EAPOL

fn eapol_expected(p: &Pkt) -> Vec<Vec<String>> {
    (0..p.all("eapol.len").len())
        .map(|k| vec![nth_num(p, "eapol.version", k), nth_num(p, "eapol.type", k), nth_num(p, "eapol.len", k)])
        .collect()
}

fn eapol_actual(m: &DynamicMessage) -> Vec<String> {
    vec![field_str(m, "Version"), field_str(m, "Type"), field_str(m, "Length")]
}

pub static EAPOL: Spec = Spec {
    record: "EAPOL",
    protocols: &["eapol"],
    fields: &["eapol.version", "eapol.type", "eapol.len"],
    prefs: &[],
    columns: &["Version", "Type", "Length"],
    expected: eapol_expected,
    actual: eapol_actual,
    exceptions: &[],
};

#[test]
fn eapol_agrees_with_tshark() {
    layers::run(&EAPOL)
}

// ---------------------------------------------------------------- EAP

/// Per EAP packet: code, id, length, and the type for Requests and
/// Responses (0 otherwise). `eap.type` occurs once per Request/Response,
/// so the types are taken in order by those codes.
fn eap_expected(p: &Pkt) -> Vec<Vec<String>> {
    if !p.protocols().contains(&"eapol") {
        return Vec::new();
    }
    let mut next_type = 0;
    p.all("eap.code")
        .iter()
        .enumerate()
        .map(|(k, code)| {
            let code = num(code);
            let ty = if code == "1" || code == "2" {
                next_type += 1;
                nth_num(p, "eap.type", next_type - 1)
            } else {
                "0".into()
            };
            vec![code, nth_num(p, "eap.id", k), nth_num(p, "eap.len", k), ty]
        })
        .collect()
}

fn eap_actual(m: &DynamicMessage) -> Vec<String> {
    vec![field_str(m, "Code"), field_str(m, "Id"), field_str(m, "Length"), field_str(m, "Type")]
}

pub static EAP: Spec = Spec {
    record: "EAP",
    protocols: &["eapol", "eap"],
    fields: &["eap.code", "eap.id", "eap.len", "eap.type"],
    prefs: &[],
    columns: &["Code", "Id", "Length", "Type"],
    expected: eap_expected,
    actual: eap_actual,
    exceptions: &[],
};

#[test]
fn eap_agrees_with_tshark() {
    layers::run(&EAP)
}

// ---------------------------------------------------------------- EAPOLKey

const KEY_COLUMNS: &[&str] = &[
    "KeyDescriptorType",
    "KeyInformation",
    "KeyDescriptorVersion",
    "KeyType",
    "KeyIndex",
    "Install",
    "KeyACK",
    "KeyMIC",
    "Secure",
    "MICError",
    "Request",
    "HasEncryptedKeyData",
    "SMKMessage",
    "KeyLength",
    "ReplayCounter",
    "Nonce",
    "IV",
    "RSC",
    "ID",
    "MIC",
    "KeyDataLength",
    "KeyData",
    "MessageNumber",
];

const KI: &str = "wlan_rsna_eapol.keydes.key_info";

fn eapol_key_expected(p: &Pkt) -> Vec<Vec<String>> {
    let Some(desc) = p.first("eapol.keydes.type").map(num) else { return Vec::new() };
    let common = |row: &mut Vec<String>| {
        row.push(first_num_or(p, "eapol.keydes.key_len", "?"));
        row.push(first_num_or(p, "eapol.keydes.replay_counter", "?"));
    };
    match desc.as_str() {
        "2" | "254" if p.has("wlan_rsna_eapol.keydes.data_len") => {
            let mut row = vec![desc.clone(), first_num_or(p, KI, "?")];
            row.push(first_num_or(p, &format!("{KI}.keydes_version"), "?"));
            row.push(first_bool(p, &format!("{KI}.key_type")));
            row.push(first_num_or(p, &format!("{KI}.key_index"), "?"));
            for bit in
                ["install", "key_ack", "key_mic", "secure", "error", "request", "encrypted_key_data", "smk_message"]
            {
                row.push(first_bool(p, &format!("{KI}.{bit}")));
            }
            common(&mut row);
            row.push(first_hex(p, "wlan_rsna_eapol.keydes.nonce"));
            row.push(first_hex(p, "eapol.keydes.key_iv"));
            row.push(first_hex(p, "wlan_rsna_eapol.keydes.rsc"));
            row.push(first_hex(p, "wlan_rsna_eapol.keydes.id"));
            row.push(first_hex(p, "wlan_rsna_eapol.keydes.mic"));
            row.push(first_num_or(p, "wlan_rsna_eapol.keydes.data_len", "?"));
            row.push(first_hex(p, "wlan_rsna_eapol.keydes.data"));
            row.push(first_num_or(p, "wlan_rsna_eapol.keydes.msgnr", "0"));
            vec![row]
        }
        "1" if p.has("eapol.keydes.key_signature") => {
            let mut row = vec![desc.clone(), "0".into(), "0".into()];
            row.push(first_bool(p, "eapol.keydes.key_index.type"));
            row.push(first_num_or(p, "eapol.keydes.key_index.number", "?"));
            row.extend(std::iter::repeat_n("0".to_string(), 8));
            common(&mut row);
            let key = first_hex(p, "eapol.keydes.key");
            row.extend([String::new(), first_hex(p, "eapol.keydes.key_iv"), String::new(), String::new()]);
            row.push(first_hex(p, "eapol.keydes.key_signature"));
            row.push((key.len() / 2).to_string());
            row.push(key);
            row.push("0".into());
            vec![row]
        }
        _ => Vec::new(),
    }
}

fn eapol_key_actual(m: &DynamicMessage) -> Vec<String> {
    let mut row: Vec<String> =
        KEY_COLUMNS.iter().filter(|c| !matches!(**c, "KeyData" | "MessageNumber")).map(|c| field_str(m, c)).collect();
    row.push(field_str(m, "KeyData") + &field_str(m, "EncryptedKeyData"));
    row.push(field_str(m, "MessageNumber"));
    row
}

pub static EAPOL_KEY: Spec = Spec {
    record: "EAPOLKey",
    protocols: &["eapol"],
    fields: &[
        "eapol.keydes.type",
        "eapol.keydes.key_len",
        "eapol.keydes.replay_counter",
        "eapol.keydes.key_iv",
        "eapol.keydes.key_index.type",
        "eapol.keydes.key_index.number",
        "eapol.keydes.key_signature",
        "eapol.keydes.key",
        "wlan_rsna_eapol.keydes.msgnr",
        "wlan_rsna_eapol.keydes.key_info",
        "wlan_rsna_eapol.keydes.key_info.keydes_version",
        "wlan_rsna_eapol.keydes.key_info.key_type",
        "wlan_rsna_eapol.keydes.key_info.key_index",
        "wlan_rsna_eapol.keydes.key_info.install",
        "wlan_rsna_eapol.keydes.key_info.key_ack",
        "wlan_rsna_eapol.keydes.key_info.key_mic",
        "wlan_rsna_eapol.keydes.key_info.secure",
        "wlan_rsna_eapol.keydes.key_info.error",
        "wlan_rsna_eapol.keydes.key_info.request",
        "wlan_rsna_eapol.keydes.key_info.encrypted_key_data",
        "wlan_rsna_eapol.keydes.key_info.smk_message",
        "wlan_rsna_eapol.keydes.nonce",
        "wlan_rsna_eapol.keydes.rsc",
        "wlan_rsna_eapol.keydes.id",
        "wlan_rsna_eapol.keydes.mic",
        "wlan_rsna_eapol.keydes.data_len",
        "wlan_rsna_eapol.keydes.data",
    ],
    prefs: &[],
    columns: KEY_COLUMNS,
    expected: eapol_key_expected,
    actual: eapol_key_actual,
    exceptions: &[],
};

#[test]
fn eapol_key_agrees_with_tshark() {
    layers::run(&EAPOL_KEY)
}

//! EAP, the Extensible Authentication Protocol (RFC 3748), as carried in
//! EAPOL packets of type 0 (IEEE 802.1X): code, identifier, a 16-bit
//! length covering the whole packet, and for Requests (1) and Responses
//! (2) a type and its data. Success (3) and Failure (4) are the 4-byte
//! header alone; Initiate (5) and Finish (6) are EAP re-authentication
//! (RFC 6696), reported by code only, as Wireshark does.
//!
//! The method data is kept as bytes; the parts an analyst reads without a
//! method dissector are decoded: the Identity (type 1) and Notification
//! (type 2) texts, the types a Legacy Nak (type 3) asks for, and the
//! vendor of an Expanded Type (254, RFC 3748 5.7; WPS is vendor 0x372a).
//!
//! Bounds follow Wireshark: the type byte is read from the bytes present
//! whatever the length field says (a Request or Response without it is
//! rejected: tshark then shows no EAP fields at all), and the type data
//! ends at the length field or at the end of the bytes present, whichever
//! comes first. The EAPOL layer has already cut the buffer at its own
//! length field, so Ethernet padding is not type data.

use super::wire::{be16, be32, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

/// Code, identifier and length.
pub const HEADER_LEN: usize = 4;
/// Type data starts after the type byte of Requests and Responses.
const TYPE_DATA_OFFSET: usize = 5;

pub const CODE_REQUEST: u8 = 1;
pub const CODE_RESPONSE: u8 = 2;
pub const CODE_SUCCESS: u8 = 3;
pub const CODE_FAILURE: u8 = 4;
pub const CODE_INITIATE: u8 = 5;
pub const CODE_FINISH: u8 = 6;

pub const TYPE_IDENTITY: u8 = 1;
pub const TYPE_NOTIFICATION: u8 = 2;
pub const TYPE_NAK: u8 = 3;
pub const TYPE_MD5_CHALLENGE: u8 = 4;
pub const TYPE_TLS: u8 = 13;
pub const TYPE_SIM: u8 = 18;
pub const TYPE_TTLS: u8 = 21;
pub const TYPE_PEAP: u8 = 25;
pub const TYPE_MSCHAPV2: u8 = 26;
pub const TYPE_FAST: u8 = 43;
pub const TYPE_EXPANDED: u8 = 254;

/// An EAP packet with its header present, and its type byte for a Request
/// or Response.
#[derive(Clone, Copy)]
pub struct EapPacket<'a> {
    buf: &'a [u8],
}

impl<'a> EapPacket<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("EAP", HEADER_LEN, buf.len()));
        }
        let need = if has_type(u8_at(buf, 0)) { TYPE_DATA_OFFSET } else { HEADER_LEN };
        if buf.len() < need {
            return Err(DecodeError::truncated("EAP", need, buf.len()));
        }
        Ok(EapPacket { buf })
    }
    /// 1 Request, 2 Response, 3 Success, 4 Failure, 5 Initiate, 6 Finish.
    pub fn code(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    /// Identifier, matching a Response to its Request.
    pub fn id(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    /// The length field: the whole packet, header included.
    pub fn length(&self) -> u16 {
        be16(self.buf, 2)
    }
    /// The method type, for Requests and Responses only.
    pub fn eap_type(&self) -> Option<u8> {
        if has_type(self.code()) {
            Some(u8_at(self.buf, 4))
        } else {
            None
        }
    }
    /// The bytes after the type, up to the length field or the end of the
    /// buffer; empty without a type.
    pub fn type_data(&self) -> &'a [u8] {
        if self.eap_type().is_none() {
            return &[];
        }
        let end = usize::from(self.length()).min(self.buf.len());
        self.buf.get(TYPE_DATA_OFFSET..end).unwrap_or_default()
    }
    /// Whether the length field claims more bytes than are present.
    pub fn truncated(&self) -> bool {
        usize::from(self.length()) > self.buf.len()
    }
    fn text_of(&self, t: u8) -> Option<String> {
        (self.eap_type() == Some(t)).then(|| String::from_utf8_lossy(self.type_data()).into_owned())
    }
    /// Type 1: the identity (user name, NAI), as UTF-8 with invalid bytes
    /// replaced (RFC 3748 5.1 recommends UTF-8; tshark shows the same).
    pub fn identity(&self) -> Option<String> {
        self.text_of(TYPE_IDENTITY)
    }
    /// Type 2: the displayable notification text.
    pub fn notification(&self) -> Option<String> {
        self.text_of(TYPE_NOTIFICATION)
    }
    /// Type 3 (Legacy Nak, Responses only): the authentication types the
    /// peer asks for, one per byte.
    pub fn desired_types(&self) -> &'a [u8] {
        if self.eap_type() == Some(TYPE_NAK) {
            self.type_data()
        } else {
            &[]
        }
    }
    /// Type 254: the 24-bit Vendor-Id and 32-bit Vendor-Type, when present.
    pub fn expanded_type(&self) -> Option<(u32, u32)> {
        let d = self.type_data();
        if self.eap_type() != Some(TYPE_EXPANDED) || d.len() < 7 {
            return None;
        }
        Some((be32(d, 0) >> 8, be32(d, 3)))
    }
}

/// Whether packets of this code carry a type (Request and Response).
pub fn has_type(code: u8) -> bool {
    matches!(code, CODE_REQUEST | CODE_RESPONSE)
}

pub fn record(v: &EapPacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::Eap {
    let (vendor_id, vendor_type) = v.expanded_type().unwrap_or((0, 0));
    pb::Eap {
        timestamp,
        code: i32::from(v.code()),
        id: i32::from(v.id()),
        length: i32::from(v.length()),
        r#type: v.eap_type().map_or(0, i32::from),
        type_data: v.type_data().to_vec(),
        identity: v.identity().unwrap_or_default(),
        notification: v.notification().unwrap_or_default(),
        desired_types: v.desired_types().iter().map(|t| i32::from(*t)).collect(),
        expanded_vendor_id: vendor_id,
        expanded_vendor_type: vendor_type,
        truncated: v.truncated(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    fn rec(buf: &[u8]) -> pb::Eap {
        record(&EapPacket::new_checked(buf).expect("valid"), 9, &EncodeConfig::default())
    }

    // tcpdump/tests/eapon1.pcap, EAPOL bodies (after the 4-byte EAPOL header).
    /// Frame 14: Request/Identity without data (tshark: eap.code 1, eap.id 1,
    /// eap.len 5, eap.type 1).
    const REQ_IDENTITY: &str = "0101000501";
    /// Frame 19: Response/Identity (eap.code 2, id 2, len 45, type 1,
    /// eap.identity 1295023820005391@mnc023.mcc295.owlan.org).
    const RESP_IDENTITY: &str =
        "0202002d0131323935303233383230303035333931406d6e633032332e6d63633239352e6f776c616e2e6f7267";
    /// Frame 20: Request/EAP-SIM Start (code 1, id 16, len 20, type 18),
    /// with one byte of the Ethernet padding appended.
    const SIM_START: &str = "01100014120a00000f020002000100001101010000";
    /// Frame 24: Success (code 3, id 0, len 4; no eap.type).
    const SUCCESS: &str = "03000004";

    #[test]
    fn identity_exchange_as_tshark_shows_it() {
        let buf = hex(REQ_IDENTITY);
        let v = EapPacket::new_checked(&buf).expect("valid");
        assert_eq!((v.code(), v.id(), v.length(), v.eap_type()), (1, 1, 5, Some(TYPE_IDENTITY)));
        assert_eq!((v.type_data(), v.identity().as_deref()), (&[][..], Some("")));
        let buf = hex(RESP_IDENTITY);
        let v = EapPacket::new_checked(&buf).expect("valid");
        assert_eq!((v.code(), v.id(), v.length(), v.eap_type()), (2, 2, 45, Some(1)));
        assert_eq!(v.identity().as_deref(), Some("1295023820005391@mnc023.mcc295.owlan.org"));
        assert!(v.notification().is_none() && v.desired_types().is_empty() && v.expanded_type().is_none());
        let r = rec(&buf);
        assert_eq!((r.timestamp, r.code, r.id, r.length, r.r#type), (9, 2, 2, 45, 1));
        assert_eq!(r.identity, "1295023820005391@mnc023.mcc295.owlan.org");
        assert_eq!(r.type_data, buf[5..].to_vec());
        assert!(!r.truncated);
    }

    #[test]
    fn method_data_and_success() {
        let buf = hex(SIM_START);
        let v = EapPacket::new_checked(&buf).expect("valid");
        assert_eq!((v.code(), v.id(), v.length(), v.eap_type()), (1, 16, 20, Some(TYPE_SIM)));
        // tshark: eap.sim.subtype 10 (Start), then AT_VERSION_LIST; the
        // appended padding byte is past the EAP length, so not data.
        assert_eq!(v.type_data().len(), 15);
        assert_eq!(v.type_data().first(), Some(&0x0a));
        assert_eq!(rec(&buf).identity, "");
        let buf = hex(SUCCESS);
        let v = EapPacket::new_checked(&buf).expect("valid");
        assert_eq!((v.code(), v.id(), v.length(), v.eap_type(), v.type_data().len()), (3, 0, 4, None, 0));
        let r = rec(&buf);
        assert_eq!((r.code, r.r#type, r.type_data.len()), (3, 0, 0));
    }

    #[test]
    fn decoded_parts_built_from_rfc_3748() {
        // Built from RFC 3748 5.2, 5.3.1 and 5.7; tshark 4.0 shows
        // eap.notification "hello", eap.desired_type 4 (the first only),
        // eap.ext.vendor_id 0x372a and eap.ext.vendor_type 1.
        let r = rec(&hex("0107000a 02 68656c6c6f"));
        assert_eq!((r.r#type, r.notification.as_str(), r.identity.as_str()), (2, "hello", ""));
        let r = rec(&hex("02070008 03 040d15"));
        assert_eq!(r.desired_types, vec![4, 13, 21]);
        let r = rec(&hex("0107000e fe 00372a 00000001 0100"));
        assert_eq!((r.r#type, r.expanded_vendor_id, r.expanded_vendor_type), (254, 0x372a, 1));
        // Invalid UTF-8 in an identity is replaced, not dropped.
        let r = rec(&hex("02010008 01 fffe41"));
        assert_eq!(r.identity, "\u{fffd}\u{fffd}A");
        // Initiate (RFC 6696) has no type for Wireshark.
        let r = rec(&hex("05010008 01616263"));
        assert_eq!((r.code, r.r#type, r.type_data.len()), (5, 0, 0));
    }

    #[test]
    fn length_field_and_bytes_disagree() {
        // Length 7 with more bytes: type data stops at the length (tshark:
        // eap.identity "ab").
        let r = rec(&hex("02010007 01 616263646566"));
        assert_eq!((r.identity.as_str(), r.truncated), ("ab", false));
        // Length 100 with 8 bytes: the bytes present, flagged.
        let r = rec(&hex("01010064 01 616263"));
        assert_eq!((r.length, r.identity.as_str(), r.truncated), (100, "abc", true));
        // Length 3 (below the header): fields shown, no data (tshark shows
        // code, id, len 3, type 1).
        let r = rec(&hex("01010003 01"));
        assert_eq!((r.length, r.r#type, r.type_data.len()), (3, 1, 0));
        // A Request without its type byte, and a short header, are rejected
        // (tshark shows no EAP field for them).
        assert!(EapPacket::new_checked(&hex("01010004")).is_err());
        assert!(EapPacket::new_checked(&hex("030000")).is_err());
        assert!(EapPacket::new_checked(&[]).is_err());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let bases = [hex(RESP_IDENTITY), hex("0107000e fe 00372a 00000001 0100"), hex("02070008 03 040d15")];
        for base in &bases {
            for n in 0..=base.len() {
                if let Ok(v) = EapPacket::new_checked(&base[..n]) {
                    assert!(v.type_data().len() <= n.saturating_sub(TYPE_DATA_OFFSET));
                    let _ = record(&v, 0, &EncodeConfig::default());
                }
            }
        }
        let mut state = 0x5eed_eab0_2000_0001u64;
        for i in 0..4000 {
            let (m, cut) = mutate(&bases[i % bases.len()], &mut state, 2);
            if let Ok(v) = EapPacket::new_checked(&m[..cut]) {
                let _ = record(&v, 0, &EncodeConfig::default());
            }
        }
    }
}

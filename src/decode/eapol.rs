//! EAPOL, EAP over LAN (IEEE 802.1X-2010 11.3, first defined in
//! 802.1X-2001): EtherType 0x888e on Ethernet, and the same EtherType
//! after LLC/SNAP (OUI 00-00-00) in 802.11 data frames. IEEE 802.11
//! RSN pre-authentication (EtherType 0x88c7, 802.11-2016 12.6.10.2) carries
//! the same frames; Wireshark decodes both EtherTypes as EAPOL.
//!
//! A 4-byte header (protocol version, packet type, body length) and the
//! body: an EAP packet (type 0, see `eap.rs`), nothing (1 Start, 2
//! Logoff), an EAPOL-Key descriptor (3, see `eapol_key.rs`), an
//! encapsulated ASF alert (4), MKA (5) or an announcement (6 to 8).
//!
//! The body is bounded by the length field and by the bytes present, as
//! Wireshark bounds it (`set_actual_length`): bytes after the body are
//! Ethernet padding or an 802.11 FCS, never part of it; a length larger
//! than the bytes present leaves the body with what was captured, and
//! [`EapolFrame::body_truncated`] says so. Every version is accepted
//! (1 = 802.1X-2001, 2 = 2004, 3 = 2010): like Wireshark, the version is
//! reported, not enforced.

use super::wire::{be16, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const ETHERTYPE: u16 = 0x888e;
/// RSN pre-authentication (IEEE 802.11-2016 12.6.10.2): EAPOL frames sent
/// through the current AP to a target AP.
pub const ETHERTYPE_PREAUTH: u16 = 0x88c7;
/// Version, type and the 16-bit body length.
pub const HEADER_LEN: usize = 4;

pub const TYPE_EAP_PACKET: u8 = 0;
pub const TYPE_START: u8 = 1;
pub const TYPE_LOGOFF: u8 = 2;
pub const TYPE_KEY: u8 = 3;
pub const TYPE_ASF_ALERT: u8 = 4;
/// MACsec Key Agreement (802.1X-2010): not decoded here.
pub const TYPE_MKA: u8 = 5;

/// An EAPOL frame whose 4-byte header is present.
#[derive(Clone, Copy)]
pub struct EapolFrame<'a> {
    buf: &'a [u8],
}

impl<'a> EapolFrame<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("EAPOL", HEADER_LEN, buf.len()));
        }
        Ok(EapolFrame { buf })
    }
    /// Protocol version: 1 (802.1X-2001), 2 (2004), 3 (2010).
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    /// Packet type: 0 EAP-Packet, 1 Start, 2 Logoff, 3 Key, 4 ASF alert,
    /// 5 MKA, 6-8 announcements.
    pub fn packet_type(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    /// The body length field (bytes after the header).
    pub fn length(&self) -> u16 {
        be16(self.buf, 2)
    }
    /// The body: `length()` bytes after the header, or fewer when the
    /// capture holds fewer (see [`Self::body_truncated`]).
    pub fn body(&self) -> &'a [u8] {
        let end = HEADER_LEN.saturating_add(usize::from(self.length())).min(self.buf.len());
        self.buf.get(HEADER_LEN..end).unwrap_or_default()
    }
    /// Whether the length field claims more bytes than the capture holds.
    pub fn body_truncated(&self) -> bool {
        self.body().len() < usize::from(self.length())
    }
    /// What follows the header for the next layer (EAP for type 0, an
    /// EAPOL-Key descriptor for type 3): the body.
    pub fn payload(&self) -> &'a [u8] {
        self.body()
    }
}

pub fn record(v: &EapolFrame, timestamp: i64, _cfg: &EncodeConfig) -> pb::Eapol {
    pb::Eapol {
        timestamp,
        version: i32::from(v.version()),
        r#type: i32::from(v.packet_type()),
        length: i32::from(v.length()),
        body_truncated: v.body_truncated(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    /// tcpdump/tests/eapon1.pcap frame 14, from the EtherType on: EAP
    /// Request/Identity (tshark: eapol.version 1, eapol.type 0, eapol.len 5)
    /// and 41 bytes of Ethernet padding.
    const EAP_REQUEST: &str =
        "01000005010100050100000000000000000000000000000000000000000000000000000000000000000000000000";
    /// eapon1.pcap frame 17: EAPOL-Start (eapol.type 1, eapol.len 0) and a
    /// one-byte trailer.
    const START: &str = "0101000000";
    /// chrissanders-packets/3e80211_wpaauth.pcapng frame 8, after LLC/SNAP:
    /// EAPOL-Key message 1 (eapol.version 2, eapol.type 3, eapol.len 95)
    /// followed by the 802.11 FCS 83fd060b.
    const KEY_M1: &str = "0203005ffe008900200000000000000001c03d0f88f4d79265ea395370b28efc\
                          4ef67ba9f46b83eec7e414bfd57b349f53000000000000000000000000000000\
                          0000000000000000000000000000000000000000000000000000000000000000\
                          00000083fd060b";

    #[test]
    fn eap_packet_as_tshark_shows_it() {
        let buf = hex(EAP_REQUEST);
        let v = EapolFrame::new_checked(&buf).expect("valid");
        assert_eq!((v.version(), v.packet_type(), v.length()), (1, TYPE_EAP_PACKET, 5));
        // The padding is not body: the EAP packet is 01 01 0005 01.
        assert_eq!(v.body(), &[0x01, 0x01, 0x00, 0x05, 0x01][..]);
        assert_eq!(v.payload(), v.body());
        assert!(!v.body_truncated());
        let r = record(&v, 5, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.version, r.r#type, r.length, r.body_truncated), (5, 1, 0, 5, false));
    }

    #[test]
    fn start_and_key_frames() {
        let buf = hex(START);
        let v = EapolFrame::new_checked(&buf).expect("valid");
        // tshark: version 1, type Start (1), length 0, trailer 00.
        assert_eq!((v.version(), v.packet_type(), v.length(), v.body().len()), (1, TYPE_START, 0, 0));
        let buf = hex(KEY_M1);
        let v = EapolFrame::new_checked(&buf).expect("valid");
        assert_eq!((v.version(), v.packet_type(), v.length()), (2, TYPE_KEY, 95));
        // The FCS stays out of the body; the body starts with descriptor 254.
        assert_eq!(v.body().len(), 95);
        assert_eq!(v.body().first(), Some(&0xfe));
        assert_eq!(v.body().last(), Some(&0x00));
    }

    #[test]
    fn length_past_the_capture_keeps_what_is_there() {
        // tcpdump/tests/eap_extract_read2_asan.pcap frame 1 (tshark:
        // eapol.version 155, type 0, len 0, trailer 0004).
        let buf = hex("9b0000000004");
        let v = EapolFrame::new_checked(&buf).expect("valid");
        assert_eq!((v.version(), v.packet_type(), v.length(), v.body().len()), (155, 0, 0, 0));
        // A Logoff claiming 300 bytes with 2 present.
        let buf = hex("0202012c abcd");
        let v = EapolFrame::new_checked(&buf).expect("valid");
        assert_eq!(v.body(), &[0xab, 0xcd][..]);
        assert!(v.body_truncated());
        assert!(record(&v, 0, &EncodeConfig::default()).body_truncated);
        assert!(EapolFrame::new_checked(&buf[..3]).is_err());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let base = hex(KEY_M1);
        for n in 0..=base.len() {
            match EapolFrame::new_checked(&base[..n]) {
                Ok(v) => {
                    assert!(v.body().len() <= n - HEADER_LEN);
                    let _ = record(&v, 0, &EncodeConfig::default());
                }
                Err(_) => assert!(n < HEADER_LEN),
            }
        }
        let mut state = 0x5eed_eab0_1000_0001u64;
        for _ in 0..3000 {
            let (m, cut) = mutate(&base, &mut state, 2);
            if let Ok(v) = EapolFrame::new_checked(&m[..cut]) {
                assert!(v.body().len() <= usize::from(v.length()));
                let _ = record(&v, 0, &EncodeConfig::default());
            }
        }
    }
}

//! EAPOL-Key, the body of EAPOL packets of type 3: the key descriptors of
//! IEEE 802.11-2016 12.7.2 (descriptor type 2, "RSN", used by WPA2/WPA3,
//! and 254, the pre-standard WPA one with the same layout) and the RC4
//! descriptor (type 1) of IEEE 802.1X-2004 7.6, used by dynamic WEP.
//!
//! The 802.11 layout: descriptor type, Key Information (16 bits), Key
//! Length, Key Replay Counter (64 bits), Key Nonce (32 bytes), EAPOL-Key
//! IV (16), Key RSC (8), Reserved/Key ID (8), Key MIC, Key Data Length and
//! Key Data. The MIC is 16 bytes for every AKM except the Suite B 192-bit
//! one (24 bytes), FILS (none) and SAE/FT with larger groups (24 or 32);
//! which AKM is in use is only known from the association frames. Like
//! Wireshark without that context, [`EapolKey::new_checked`] takes 16;
//! [`EapolKey::new_checked_with_mic_len`] takes another length for a caller
//! that knows the AKM.
//!
//! The RC4 layout: descriptor type, Key Length, Replay Counter, Key IV
//! (16), Key Index (bit 7 unicast, bits 0-6 the index), Key Signature (16,
//! an HMAC-MD5), then the RC4-encrypted Key up to the end of the body.
//! Its fields go to the same record: the key index byte gives KeyType and
//! KeyIndex, the signature goes to MIC, the key to EncryptedKeyData, its
//! size to KeyDataLength; the Key Information bits are all clear.
//!
//! Other descriptor types have no known layout: [`is_known_descriptor`]
//! lets the dispatch report them as unknown, and the view rejects them.
//! The buffer is the EAPOL body, already cut at the EAPOL length field, so
//! padding and an 802.11 FCS are not key data. Key data is bounded by its
//! length field and by the bytes present.
//!
//! The message number follows Wireshark's `wlan_rsna_eapol.keydes.msgnr`
//! (checked against tshark 4.0 over every combination of the Key
//! Information flags): no number for a Request; a pairwise key with Key
//! ACK is message 3 of the 4-way handshake with Install, else message 1;
//! without Key ACK it is message 2 when Key Data Length is not zero, else
//! message 4; a group key is message 1 of the group key handshake with Key
//! ACK, else message 2.

use super::wire::{be16, be32, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const DESCRIPTOR_RC4: u8 = 1;
pub const DESCRIPTOR_RSN: u8 = 2;
pub const DESCRIPTOR_WPA: u8 = 254;

/// The MIC length of every AKM but a few (see the module comment).
pub const DEFAULT_MIC_LEN: usize = 16;
/// The largest MIC of any AKM (SAE with group 21, 802.11-2020 Table 12-11).
pub const MAX_MIC_LEN: usize = 32;
/// The RC4 descriptor up to its Key field, descriptor type included.
pub const RC4_FIXED_LEN: usize = 44;
/// The 802.11 descriptor up to the Key MIC, descriptor type included.
const MIC_OFFSET: usize = 77;

pub const INFO_DESCRIPTOR_VERSION: u16 = 0x0007;
pub const INFO_KEY_TYPE: u16 = 0x0008;
pub const INFO_KEY_INDEX: u16 = 0x0030;
pub const INFO_INSTALL: u16 = 0x0040;
pub const INFO_KEY_ACK: u16 = 0x0080;
pub const INFO_KEY_MIC: u16 = 0x0100;
pub const INFO_SECURE: u16 = 0x0200;
pub const INFO_ERROR: u16 = 0x0400;
pub const INFO_REQUEST: u16 = 0x0800;
pub const INFO_ENCRYPTED_KEY_DATA: u16 = 0x1000;
pub const INFO_SMK_MESSAGE: u16 = 0x2000;

/// Most elements looked at in the key data for a PMKID (each is at least
/// two bytes, so a 16-bit length holds fewer anyway).
const MAX_KEY_DATA_ELEMENTS: usize = 256;
/// The PMKID KDE: vendor element 0xdd, OUI 00-0f-ac, data type 4.
const PMKID_KDE_PREFIX: [u8; 4] = [0x00, 0x0f, 0xac, 0x04];
const PMKID_LEN: usize = 16;

/// Whether EAPOL-Key bodies of this descriptor type have a known layout.
pub fn is_known_descriptor(t: u8) -> bool {
    matches!(t, DESCRIPTOR_RC4 | DESCRIPTOR_RSN | DESCRIPTOR_WPA)
}

/// The 802.11 descriptor up to its Key Data, for a MIC of `mic_len` bytes.
pub fn rsn_fixed_len(mic_len: usize) -> usize {
    MIC_OFFSET + mic_len + 2
}

/// An EAPOL-Key descriptor of a known type whose fixed part is present.
#[derive(Clone, Copy)]
pub struct EapolKey<'a> {
    buf: &'a [u8],
    mic_len: usize,
}

impl<'a> EapolKey<'a> {
    /// `buf` is the EAPOL body, from the Descriptor Type on; 16-byte MIC.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Self::new_checked_with_mic_len(buf, DEFAULT_MIC_LEN)
    }
    /// As [`Self::new_checked`], with the MIC length of the AKM in use
    /// (0 to 32 bytes; the RC4 descriptor ignores it).
    pub fn new_checked_with_mic_len(buf: &'a [u8], mic_len: usize) -> Result<Self, DecodeError> {
        if mic_len > MAX_MIC_LEN {
            return Err(DecodeError::malformed("EAPOLKey", "MIC length over 32 bytes"));
        }
        let need = match buf.first() {
            None => return Err(DecodeError::truncated("EAPOLKey", 1, 0)),
            Some(&DESCRIPTOR_RC4) => RC4_FIXED_LEN,
            Some(&(DESCRIPTOR_RSN | DESCRIPTOR_WPA)) => rsn_fixed_len(mic_len),
            Some(_) => return Err(DecodeError::malformed("EAPOLKey", "unknown key descriptor type")),
        };
        if buf.len() < need {
            return Err(DecodeError::truncated("EAPOLKey", need, buf.len()));
        }
        Ok(EapolKey { buf, mic_len })
    }
    /// 1 RC4, 2 RSN (802.11), 254 WPA.
    pub fn descriptor_type(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    pub fn is_rc4(&self) -> bool {
        self.descriptor_type() == DESCRIPTOR_RC4
    }
    fn field(&self, off: usize, len: usize) -> &'a [u8] {
        self.buf.get(off..off.saturating_add(len)).unwrap_or_default()
    }
    /// The Key Information field (0 for RC4, which has none).
    pub fn key_information(&self) -> u16 {
        if self.is_rc4() {
            0
        } else {
            be16(self.buf, 1)
        }
    }
    fn info(&self, mask: u16) -> bool {
        self.key_information() & mask != 0
    }
    /// Bits 0-2: 1 HMAC-MD5/RC4, 2 HMAC-SHA1/AES, 3 AES-CMAC, 0 AKM-defined.
    pub fn descriptor_version(&self) -> u8 {
        (self.key_information() & INFO_DESCRIPTOR_VERSION) as u8
    }
    /// 1 pairwise, 0 group (RC4: 1 unicast, 0 broadcast).
    pub fn key_type(&self) -> u8 {
        if self.is_rc4() {
            u8_at(self.buf, 27) >> 7
        } else {
            u8::from(self.info(INFO_KEY_TYPE))
        }
    }
    /// Bits 4-5 (RC4: the 7-bit index of the Key Index byte).
    pub fn key_index(&self) -> u8 {
        if self.is_rc4() {
            u8_at(self.buf, 27) & 0x7f
        } else {
            ((self.key_information() & INFO_KEY_INDEX) >> 4) as u8
        }
    }
    pub fn install(&self) -> bool {
        self.info(INFO_INSTALL)
    }
    pub fn key_ack(&self) -> bool {
        self.info(INFO_KEY_ACK)
    }
    pub fn key_mic(&self) -> bool {
        self.info(INFO_KEY_MIC)
    }
    pub fn secure(&self) -> bool {
        self.info(INFO_SECURE)
    }
    /// The Error bit: a MIC failure report (with Request).
    pub fn error(&self) -> bool {
        self.info(INFO_ERROR)
    }
    pub fn request(&self) -> bool {
        self.info(INFO_REQUEST)
    }
    pub fn encrypted_key_data(&self) -> bool {
        self.info(INFO_ENCRYPTED_KEY_DATA)
    }
    pub fn smk_message(&self) -> bool {
        self.info(INFO_SMK_MESSAGE)
    }
    pub fn key_length(&self) -> u16 {
        be16(self.buf, if self.is_rc4() { 1 } else { 3 })
    }
    pub fn replay_counter(&self) -> u64 {
        let off = if self.is_rc4() { 3 } else { 5 };
        (u64::from(be32(self.buf, off)) << 32) | u64::from(be32(self.buf, off + 4))
    }
    /// Key Nonce (ANonce or SNonce), 32 bytes; empty for RC4.
    pub fn nonce(&self) -> &'a [u8] {
        if self.is_rc4() {
            &[]
        } else {
            self.field(13, 32)
        }
    }
    /// EAPOL-Key IV (RC4: Key IV), 16 bytes.
    pub fn iv(&self) -> &'a [u8] {
        if self.is_rc4() {
            self.field(11, 16)
        } else {
            self.field(45, 16)
        }
    }
    /// Key RSC, 8 bytes (little-endian packet number); empty for RC4.
    pub fn rsc(&self) -> &'a [u8] {
        if self.is_rc4() {
            &[]
        } else {
            self.field(61, 8)
        }
    }
    /// Key ID (Reserved since 802.11-2012), 8 bytes; empty for RC4.
    pub fn id(&self) -> &'a [u8] {
        if self.is_rc4() {
            &[]
        } else {
            self.field(69, 8)
        }
    }
    /// Key MIC (RC4: Key Signature, 16 bytes).
    pub fn mic(&self) -> &'a [u8] {
        if self.is_rc4() {
            self.field(28, 16)
        } else {
            self.field(MIC_OFFSET, self.mic_len)
        }
    }
    /// The Key Data Length field (RC4: the size of the Key field present).
    pub fn key_data_length(&self) -> u16 {
        if self.is_rc4() {
            u16::try_from(self.key_data().len()).unwrap_or(u16::MAX)
        } else {
            be16(self.buf, MIC_OFFSET + self.mic_len)
        }
    }
    /// Key Data, bounded by its length field and the bytes present (RC4:
    /// the Key, everything after the signature).
    pub fn key_data(&self) -> &'a [u8] {
        if self.is_rc4() {
            return self.buf.get(RC4_FIXED_LEN..).unwrap_or_default();
        }
        let start = rsn_fixed_len(self.mic_len);
        let end = start.saturating_add(usize::from(self.key_data_length())).min(self.buf.len());
        self.buf.get(start..end).unwrap_or_default()
    }
    /// Whether the key data is opaque (encrypted) rather than elements and
    /// KDEs in clear: as Wireshark decides, the Encrypted Key Data bit or a
    /// group key (WPA's group key data is encrypted without that bit), and
    /// always for RC4.
    pub fn key_data_is_encrypted(&self) -> bool {
        self.is_rc4() || self.encrypted_key_data() || !self.info(INFO_KEY_TYPE)
    }
    /// The PMKID KDE of clear key data (an AP's message 1 may carry it).
    pub fn pmkid(&self) -> Option<&'a [u8]> {
        if self.key_data_is_encrypted() {
            return None;
        }
        let mut rest = self.key_data();
        for _ in 0..MAX_KEY_DATA_ELEMENTS {
            let (id, len) = (u8_at(rest, 0), usize::from(u8_at(rest, 1)));
            let body = rest.get(2..2 + len)?;
            if id == 0xdd && body.len() >= 4 + PMKID_LEN && body.get(..4) == Some(&PMKID_KDE_PREFIX[..]) {
                return body.get(4..4 + PMKID_LEN);
            }
            rest = rest.get(2 + len..)?;
        }
        None
    }
    /// Which message of the 4-way (1-4) or group key (1-2) handshake this
    /// is, as Wireshark numbers it (see the module comment); 0 when none.
    pub fn message_number(&self) -> u8 {
        if self.is_rc4() || self.request() {
            0
        } else if self.info(INFO_KEY_TYPE) {
            match (self.key_ack(), self.install(), self.key_data_length() != 0) {
                (true, true, _) => 3,
                (true, false, _) => 1,
                (false, _, true) => 2,
                (false, _, false) => 4,
            }
        } else if self.key_ack() {
            1
        } else {
            2
        }
    }
}

pub fn record(v: &EapolKey, timestamp: i64, _cfg: &EncodeConfig) -> pb::EapolKey {
    let (encrypted, clear) = if v.key_data_is_encrypted() {
        (v.key_data().to_vec(), Vec::new())
    } else {
        (Vec::new(), v.key_data().to_vec())
    };
    pb::EapolKey {
        timestamp,
        key_descriptor_type: i32::from(v.descriptor_type()),
        key_descriptor_version: i32::from(v.descriptor_version()),
        key_type: i32::from(v.key_type()),
        key_index: i32::from(v.key_index()),
        install: v.install(),
        key_ack: v.key_ack(),
        key_mic: v.key_mic(),
        secure: v.secure(),
        mic_error: v.error(),
        request: v.request(),
        has_encrypted_key_data: v.encrypted_key_data(),
        smk_message: v.smk_message(),
        key_length: i32::from(v.key_length()),
        replay_counter: v.replay_counter(),
        nonce: v.nonce().to_vec(),
        iv: v.iv().to_vec(),
        rsc: v.rsc().to_vec(),
        id: v.id().to_vec(),
        mic: v.mic().to_vec(),
        key_data_length: i32::from(v.key_data_length()),
        encrypted_key_data: encrypted,
        key_data: clear,
        key_information: i32::from(v.key_information()),
        message_number: i32::from(v.message_number()),
        pmkid: v.pmkid().unwrap_or_default().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    // chrissanders-packets/3e80211_wpaauth.pcapng frames 8-11, the EAPOL
    // bodies (after LLC/SNAP and the 4-byte EAPOL header, cut at eapol.len;
    // the FCS is not part of them). WPA (254), descriptor version 1.
    /// Frame 8: tshark key_info 0x0089, msgnr 1, key_len 32, replay 1,
    /// nonce c03d0f88...7b349f53, IV/RSC/ID/MIC all zero, data_len 0.
    const M1: &str = "fe008900200000000000000001c03d0f88f4d79265ea395370b28efc4ef67ba9\
                      f46b83eec7e414bfd57b349f5300000000000000000000000000000000000000\
                      00000000000000000000000000000000000000000000000000000000000000";
    /// Frame 9: key_info 0x0109, msgnr 2, replay 1, nonce 6ff74020...d683b41f,
    /// MIC b419a2d2b1e1e70d7726449d9e0b0ee9, data_len 26,
    /// data dd180050f20101000050f20201000050f20201000050f2020c00.
    const M2: &str = "fe0109002000000000000000016ff740200102f7ebbf58029ceb1d58eac7561d58153a56294eb43ad0d683b41f\
                      0000000000000000000000000000000000000000000000000000000000000000b419a2d2b1e1e70d7726449d9e0b0ee9\
                      001add180050f20101000050f20201000050f20201000050f2020c00";
    /// Frame 10: key_info 0x01c9, msgnr 3, replay 2, MIC
    /// 6ad7ebeb26231a497c344a86e9ebf9c7, data_len 24.
    const M3: &str = "fe01c900200000000000000002c03d0f88f4d79265ea395370b28efc4ef67ba9f46b83eec7e414bfd57b349f53\
                      00000000000000000000000000000000000000000000000000000000000000006ad7ebeb26231a497c344a86e9ebf9c7\
                      0018dd160050f20101000050f20201000050f20201000050f202";
    /// Frame 11: key_info 0x0109, msgnr 4, replay 2, nonce zero, MIC
    /// 983bc6c1d6c191542e445e4c6f1240a2, data_len 0.
    const M4: &str = "fe0109002000000000000000020000000000000000000000000000000000000000000000000000000000000000\
                      0000000000000000000000000000000000000000000000000000000000000000983bc6c1d6c191542e445e4c6f1240a2\
                      0000";
    // tcpdump/tests/eapon1.pcap frames 25 and 26: RC4 descriptors.
    /// Frame 25: eapol.keydes.key_len 13, replay_counter 70782488215707,
    /// key_iv 6aba18850f27ac38ae1aca8253858f26, key_index 0x02 (Broadcast,
    /// number 2), key_signature 5d11315d47c77d8547a020d8cb9d4943,
    /// key 9af1d153d2ba5ccf63c3a226b8.
    const RC4_BROADCAST: &str =
        "01000d000040605511009b6aba18850f27ac38ae1aca8253858f26025d11315d47c77d8547a020d8cb9d4943\
                                 9af1d153d2ba5ccf63c3a226b8";
    /// Frame 26: key_index 0x83 (Unicast, number 3), no key (generated
    /// locally), replay 70782488215708.
    const RC4_UNICAST: &str =
        "01000d000040605511009c95f83d2eb953a795b2c8210d76486f4e8371e17a1e746e3b91df7d7946f7f8caa4";

    fn key(h: &str) -> Vec<u8> {
        hex(h)
    }

    #[test]
    fn four_way_handshake_as_tshark_shows_it() {
        let buf = key(M1);
        let v = EapolKey::new_checked(&buf).expect("valid");
        assert_eq!((v.descriptor_type(), v.key_information(), v.message_number()), (254, 0x0089, 1));
        assert_eq!((v.descriptor_version(), v.key_type(), v.key_index()), (1, 1, 0));
        assert!(v.key_ack() && !v.install() && !v.key_mic() && !v.secure());
        assert!(!v.error() && !v.request() && !v.encrypted_key_data() && !v.smk_message());
        assert_eq!((v.key_length(), v.replay_counter(), v.key_data_length()), (32, 1, 0));
        assert_eq!(v.nonce(), &hex("c03d0f88f4d79265ea395370b28efc4ef67ba9f46b83eec7e414bfd57b349f53")[..]);
        assert_eq!((v.iv(), v.rsc(), v.id(), v.mic()), (&[0u8; 16][..], &[0u8; 8][..], &[0u8; 8][..], &[0u8; 16][..]));
        assert!(v.key_data().is_empty() && v.pmkid().is_none());

        let buf = key(M2);
        let v = EapolKey::new_checked(&buf).expect("valid");
        assert_eq!((v.key_information(), v.message_number(), v.replay_counter()), (0x0109, 2, 1));
        assert!(v.key_mic() && !v.key_ack());
        assert_eq!(v.mic(), &hex("b419a2d2b1e1e70d7726449d9e0b0ee9")[..]);
        assert_eq!(v.key_data_length(), 26);
        assert_eq!(v.key_data(), &hex("dd180050f20101000050f20201000050f20201000050f2020c00")[..]);
        assert!(!v.key_data_is_encrypted());
        let r = record(&v, 3, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.key_descriptor_type, r.key_information, r.message_number), (3, 254, 0x0109, 2));
        assert_eq!((r.key_data.len(), r.encrypted_key_data.len(), r.key_data_length), (26, 0, 26));
        assert_eq!(r.nonce, hex("6ff740200102f7ebbf58029ceb1d58eac7561d58153a56294eb43ad0d683b41f"));

        let buf = key(M3);
        let v = EapolKey::new_checked(&buf).expect("valid");
        assert_eq!((v.key_information(), v.message_number(), v.replay_counter()), (0x01c9, 3, 2));
        assert!(v.install() && v.key_ack() && v.key_mic() && !v.secure());
        assert_eq!(v.mic(), &hex("6ad7ebeb26231a497c344a86e9ebf9c7")[..]);
        assert_eq!((v.key_data_length(), v.key_data().len()), (24, 24));

        let buf = key(M4);
        let v = EapolKey::new_checked(&buf).expect("valid");
        assert_eq!((v.key_information(), v.message_number(), v.replay_counter()), (0x0109, 4, 2));
        assert_eq!(v.nonce(), &[0u8; 32][..]);
        assert_eq!(v.mic(), &hex("983bc6c1d6c191542e445e4c6f1240a2")[..]);
        let r = record(&v, 0, &EncodeConfig::default());
        assert!(r.key_mic && !r.key_ack && !r.install && !r.secure && !r.mic_error && !r.request);
        assert!(!r.has_encrypted_key_data && !r.smk_message);
        assert_eq!((r.key_type, r.key_index, r.key_length, r.replay_counter), (1, 0, 32, 2));
        assert_eq!((r.iv.len(), r.rsc.len(), r.id.len(), r.mic.len()), (16, 8, 8, 16));
    }

    #[test]
    fn rc4_descriptors_as_tshark_shows_them() {
        let buf = key(RC4_BROADCAST);
        let v = EapolKey::new_checked(&buf).expect("valid");
        assert!(v.is_rc4());
        assert_eq!((v.key_length(), v.replay_counter()), (13, 70_782_488_215_707));
        assert_eq!(v.iv(), &hex("6aba18850f27ac38ae1aca8253858f26")[..]);
        assert_eq!((v.key_type(), v.key_index()), (0, 2));
        assert_eq!(v.mic(), &hex("5d11315d47c77d8547a020d8cb9d4943")[..]);
        assert_eq!(v.key_data(), &hex("9af1d153d2ba5ccf63c3a226b8")[..]);
        assert_eq!((v.key_information(), v.descriptor_version(), v.message_number()), (0, 0, 0));
        assert!(v.nonce().is_empty() && v.rsc().is_empty() && v.id().is_empty());
        let r = record(&v, 1, &EncodeConfig::default());
        assert_eq!((r.key_descriptor_type, r.key_data_length, r.key_data.len()), (1, 13, 0));
        assert_eq!(r.encrypted_key_data, hex("9af1d153d2ba5ccf63c3a226b8"));
        let buf = key(RC4_UNICAST);
        let v = EapolKey::new_checked(&buf).expect("valid");
        assert_eq!((v.key_type(), v.key_index(), v.replay_counter()), (1, 3, 70_782_488_215_708));
        assert_eq!((v.key_data_length(), v.key_data().len()), (0, 0));
        assert_eq!(v.mic(), &hex("71e17a1e746e3b91df7d7946f7f8caa4")[..]);
    }

    /// An RSN descriptor built from 802.11-2016 12.7.2 with the given key
    /// information, MIC length and key data.
    fn rsn(info: u16, mic_len: usize, data: &[u8]) -> Vec<u8> {
        let mut b = vec![DESCRIPTOR_RSN];
        b.extend_from_slice(&info.to_be_bytes());
        b.extend_from_slice(&16u16.to_be_bytes());
        b.extend_from_slice(&7u64.to_be_bytes());
        b.extend_from_slice(&[0x11; 32]);
        b.extend_from_slice(&[0x22; 16]);
        b.extend_from_slice(&[0x33; 8]);
        b.extend_from_slice(&[0x44; 8]);
        b.extend(std::iter::repeat_n(0x55, mic_len));
        b.extend_from_slice(&(data.len() as u16).to_be_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn message_numbers_follow_wireshark() {
        // tshark 4.0 on frames built with these key information values
        // (pairwise unless said; data = Key Data Length 22).
        let cases: [(u16, bool, u8); 10] = [
            (0x008a, false, 1), // pairwise, ACK
            (0x010a, true, 2),  // pairwise, MIC, key data
            (0x13ca, true, 3),  // pairwise, install, ACK, MIC, secure, encrypted
            (0x030a, false, 4), // pairwise, MIC, secure, no key data
            (0x000a, false, 4), // pairwise, nothing else, no key data
            (0x00ca, true, 3),  // install + ACK, no MIC: still 3
            (0x1382, true, 1),  // group, ACK: group message 1
            (0x0302, false, 2), // group, no ACK: group message 2
            (0x0b0a, false, 0), // request: no number
            (0x0f02, false, 0), // request + error (MIC failure report)
        ];
        for (info, data, want) in cases {
            let d = if data { vec![0xdd; 22] } else { Vec::new() };
            let buf = rsn(info, 16, &d);
            let v = EapolKey::new_checked(&buf).expect("valid");
            assert_eq!(v.message_number(), want, "key info {info:#06x}");
        }
        let buf = rsn(0x0f02, 16, &[]);
        let r = record(&EapolKey::new_checked(&buf).expect("valid"), 0, &EncodeConfig::default());
        assert!(r.request && r.mic_error && r.secure && r.key_mic && r.key_type == 0);
    }

    #[test]
    fn encrypted_key_data_pmkid_and_smk() {
        // Message 3 of WPA2: Encrypted Key Data set.
        let buf = rsn(0x13ca, 16, &[0xab; 24]);
        let r = record(&EapolKey::new_checked(&buf).expect("valid"), 0, &EncodeConfig::default());
        assert!(r.has_encrypted_key_data);
        assert_eq!((r.encrypted_key_data.len(), r.key_data.len(), r.key_descriptor_version), (24, 0, 2));
        assert_eq!((r.nonce.len(), r.iv[0], r.rsc[0], r.id[0], r.mic[0]), (32, 0x22, 0x33, 0x44, 0x55));
        // Message 1 with a PMKID KDE (802.11-2016 12.7.2, Table 12-6).
        let mut kde = vec![0xdd, 0x14, 0x00, 0x0f, 0xac, 0x04];
        kde.extend(0u8..16);
        let buf = rsn(0x008a, 16, &kde);
        let v = EapolKey::new_checked(&buf).expect("valid");
        assert_eq!(v.pmkid(), Some(&(0u8..16).collect::<Vec<_>>()[..]));
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!((r.pmkid.len(), r.key_data.len(), r.message_number), (16, 22, 1));
        // Key data after an RSN element and with padding: still found.
        let mut data = vec![0x30, 0x02, 0x01, 0x00];
        data.extend_from_slice(&kde);
        data.extend_from_slice(&[0xdd, 0x00]);
        let buf = rsn(0x008a, 16, &data);
        assert_eq!(EapolKey::new_checked(&buf).expect("valid").pmkid().map(<[u8]>::len), Some(16));
        // SMK message bit.
        let buf = rsn(0x2000 | 0x0008, 16, &[]);
        assert!(EapolKey::new_checked(&buf).expect("valid").smk_message());
    }

    #[test]
    fn other_mic_lengths_and_bounds() {
        // Suite B 192 (24-byte MIC): the Key Data Length follows the MIC.
        let buf = rsn(0x010a, 24, &[0xdd, 0x00]);
        let v = EapolKey::new_checked_with_mic_len(&buf, 24).expect("valid");
        assert_eq!((v.mic().len(), v.key_data_length(), v.key_data()), (24, 2, &[0xdd, 0x00][..]));
        // FILS: no MIC at all.
        let buf = rsn(0x010a, 0, &[]);
        assert_eq!(EapolKey::new_checked_with_mic_len(&buf, 0).expect("valid").mic().len(), 0);
        assert!(EapolKey::new_checked(&buf).is_err());
        assert!(EapolKey::new_checked_with_mic_len(&buf, 33).is_err());
        // Key Data Length past the bytes present: what is there.
        let mut buf = rsn(0x010a, 16, &[1, 2, 3]);
        buf[93] = 0x01;
        let v = EapolKey::new_checked(&buf).expect("valid");
        assert_eq!((v.key_data_length(), v.key_data()), (259, &[1, 2, 3][..]));
        // Short and unknown descriptors.
        let m1 = key(M1);
        assert!(EapolKey::new_checked(&m1[..94]).is_err());
        assert!(EapolKey::new_checked(&key(RC4_UNICAST)[..43]).is_err());
        assert!(EapolKey::new_checked(&[7, 0, 0, 0]).is_err());
        assert!(EapolKey::new_checked(&[]).is_err());
        assert!(is_known_descriptor(2) && is_known_descriptor(254) && is_known_descriptor(1));
        assert!(!is_known_descriptor(7));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let mut pmkid_m1 = rsn(0x008a, 16, &[0xdd, 0x14, 0x00, 0x0f, 0xac, 0x04]);
        pmkid_m1.extend_from_slice(&[0x99; 16]);
        let bases = [key(M2), key(RC4_BROADCAST), pmkid_m1];
        for base in &bases {
            for n in 0..=base.len() {
                for mic_len in [0, 16, 24, 32] {
                    if let Ok(v) = EapolKey::new_checked_with_mic_len(&base[..n], mic_len) {
                        assert!(v.key_data().len() <= n);
                        let _ = record(&v, 0, &EncodeConfig::default());
                    }
                }
            }
        }
        let mut state = 0x5eed_eab0_3000_0001u64;
        for i in 0..4000 {
            let (mut m, cut) = mutate(&bases[i % bases.len()], &mut state, 3);
            if i % 4 == 0 {
                if let Some(first) = m.first_mut() {
                    *first = DESCRIPTOR_WPA;
                }
            }
            if let Ok(v) = EapolKey::new_checked_with_mic_len(&m[..cut], (i % 3) * 12) {
                let _ = record(&v, 0, &EncodeConfig::default());
            }
        }
    }
}

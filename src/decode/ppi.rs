//! PPI, the Per-Packet Information header (link type 192; CACE
//! Technologies' "Per-Packet Information Header Specification" 1.0.10): a
//! radio header like radiotap, used by AirPcap and Kismet, in front of a
//! frame of the link type it names.
//!
//! Layout, little-endian: version (0), flags (bit 0: fields 32-bit
//! aligned), header length (the whole header with its fields), DLT of the
//! frame that follows; then fields, each a type, a data length and data.
//! netcap keeps no record of it (the seed has none); it reads the one
//! field that changes how the frame is read: 802.11-Common (type 2),
//! whose flags say whether the 802.11 frame ends with an FCS.

use super::wire::{le16, le32, u8_at};
use super::DecodeError;

pub const HEADER_LEN: usize = 8;
/// The 802.11-Common field: TSF (8), flags (2), rate, channel frequency,
/// channel flags (2 each), FHSS hop set and pattern, signal and noise (1 each).
pub const FIELD_80211_COMMON: u16 = 2;
const COMMON_FLAGS_OFFSET: usize = 8;
const COMMON_FLAG_FCS: u16 = 0x0001;
/// Most fields read before giving up on finding 802.11-Common.
const MAX_FIELDS: usize = 64;

/// A PPI header whose declared length is present.
#[derive(Clone, Copy)]
pub struct PpiHeader<'a> {
    buf: &'a [u8],
}

impl<'a> PpiHeader<'a> {
    /// Rejects a version other than 0, and a header length below 8 or past the bytes.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("PPI", HEADER_LEN, buf.len()));
        }
        let h = PpiHeader { buf };
        if u8_at(buf, 0) != 0 {
            return Err(DecodeError { layer: "PPI", kind: super::ErrorKind::BadVersion(u8_at(buf, 0)) });
        }
        let len = h.header_len();
        if len < HEADER_LEN || len > buf.len() {
            return Err(DecodeError { layer: "PPI", kind: super::ErrorKind::BadHeaderLength(len) });
        }
        Ok(h)
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    pub fn flags(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    pub fn header_len(&self) -> usize {
        usize::from(le16(self.buf, 2))
    }
    /// The link type (LINKTYPE_*) of the frame after the header.
    pub fn dlt(&self) -> u32 {
        le32(self.buf, 4)
    }
    /// The fields: (type, data), in order, at most [`MAX_FIELDS`]; a field
    /// that runs past the header ends the list.
    pub fn fields(&self) -> impl Iterator<Item = (u16, &'a [u8])> {
        let area = self.buf.get(HEADER_LEN..self.header_len()).unwrap_or_default();
        let mut at = 0usize;
        (0..MAX_FIELDS).map_while(move |_| {
            let kind = le16(area, at);
            let len = usize::from(le16(area, at + 2));
            let data = area.get(at + 4..at + 4 + len)?;
            at += 4 + len;
            Some((kind, data))
        })
    }
    /// Whether the 802.11-Common field says the frame ends with an FCS
    /// (false without that field, as Wireshark assumes).
    pub fn has_fcs(&self) -> bool {
        self.fields().find(|(kind, _)| *kind == FIELD_80211_COMMON).is_some_and(|(_, data)| {
            data.len() > COMMON_FLAGS_OFFSET + 1 && le16(data, COMMON_FLAGS_OFFSET) & COMMON_FLAG_FCS != 0
        })
    }
    /// The frame after the header.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.header_len()..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    /// Built from the specification (no shared capture has PPI): version 0,
    /// flags 0, length 32, DLT 105; an 802.11-Common field (type 2, 20
    /// bytes) with TSF 1, flags 0x0001 (FCS present), rate 2, 2437 MHz,
    /// channel flags 0x00a0, signal -42 dBm; then 4 frame bytes. tshark
    /// reads it as ppi.version 0, ppi.dlt 105, ppi.80211-common.flags.fcs 1.
    const PPI_FCS: &str = "00 00 2000 69000000 0200 1400 0100000000000000 0100 0200 8509 a000 0000 d600 d4000000";

    #[test]
    fn reads_header_fields_and_fcs_flag() {
        let buf = hex(PPI_FCS);
        let h = PpiHeader::new_checked(&buf).expect("valid");
        assert_eq!((h.version(), h.flags(), h.header_len(), h.dlt()), (0, 0, 32, 105));
        assert_eq!(h.fields().map(|(k, d)| (k, d.len())).collect::<Vec<_>>(), vec![(2, 20)]);
        assert!(h.has_fcs());
        assert_eq!(h.payload(), &[0xd4, 0, 0, 0][..]);
        // Without the FCS flag.
        let mut no_fcs = buf.clone();
        no_fcs[20] = 0;
        assert!(!PpiHeader::new_checked(&no_fcs).expect("valid").has_fcs());
    }

    #[test]
    fn rejects_bad_version_and_length() {
        let mut buf = hex(PPI_FCS);
        buf[0] = 1;
        assert!(PpiHeader::new_checked(&buf).is_err());
        let mut buf = hex(PPI_FCS);
        buf[2] = 0xff;
        assert!(PpiHeader::new_checked(&buf).is_err());
        buf[2] = 4;
        buf[3] = 0;
        assert!(PpiHeader::new_checked(&buf).is_err());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let base = hex(PPI_FCS);
        for n in 0..=base.len() {
            if let Ok(h) = PpiHeader::new_checked(&base[..n]) {
                let _ = (h.has_fcs(), h.payload().len(), h.fields().count());
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3000 {
            let (m, cut) = mutate(&base, &mut state, 3);
            if let Ok(h) = PpiHeader::new_checked(&m[..cut]) {
                assert!(h.fields().count() <= MAX_FIELDS);
                let _ = (h.has_fcs(), h.payload().len());
            }
        }
    }
}

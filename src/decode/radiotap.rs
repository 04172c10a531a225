//! Radiotap (https://www.radiotap.org), link type 127: the capture
//! driver's radio information in front of an 802.11 frame. A header of
//! version (0), pad, little-endian length and a chain of 32-bit presence
//! words (bit 31: another word follows), then the present fields in bit
//! order, each aligned to its natural size counted from the header's start.
//!
//! Namespaces: bit 29 of a presence word makes the next word start the
//! radiotap namespace again (Linux puts the combined values first, then one
//! namespace per antenna chain); bit 30 makes the next words a vendor
//! namespace, whose 6-byte field (OUI, sub namespace, skip length; aligned
//! to 2) sits after the current word's fields and is followed by `skip
//! length` bytes of vendor data, skipped here. Without bit 29 or 30 the
//! next word continues the current namespace with bits 32 and up.
//!
//! The walk follows the iterator Wireshark uses (radiotap-library's
//! `ieee80211_radiotap_iterator`, checked against tshark 4.0.17 with
//! crafted headers): fields 0-27 with the sizes below (XChannel, bit 18,
//! as FreeBSD defines it: 8 bytes aligned to 4); a field the radiotap
//! namespace does not define (bits 32 and up) ends the walk without error;
//! a field running past the header length ends it with
//! [`Fields::truncated`] (tshark: "Radiotap data goes past the end of the
//! radiotap header"). The TLV list (bit 28) ends the presence bits: the
//! rest of the header is type-length-value items, and an item whose type is
//! a field's bit (0-27) carries that field. Differences from tshark 4.0:
//! bit 25 (HE-MU-other-user, 6 bytes aligned to 2) is read, where tshark
//! stops with "past the end".
//!
//! Only version 0 is accepted (tshark shows other versions as "invalid"
//! and still reads the length); the length must cover the 8 fixed bytes
//! and fit in the packet. The fields of the first radiotap namespace fill
//! the record; the antenna signal, noise and index of later radiotap
//! namespaces go to its `Antennas` list.
//!
//! For the dispatch: [`RadiotapHeader::payload`] is the 802.11 frame, with
//! an FCS when [`RadiotapHeader::has_fcs`] (flag 0x10) and header padding
//! when [`RadiotapHeader::data_pad`] (flag 0x20); a 0-length-PSDU field
//! (bit 26) means no frame follows ([`RadiotapHeader::has_frame`]).

use super::wire::{le16, le32, le64, mac_string, u8_at};
use super::{DecodeError, EncodeConfig, ErrorKind};
use crate::schema::pb;
use std::ops::ControlFlow;

/// LINKTYPE_IEEE802_11_RADIOTAP.
pub const LINKTYPE_IEEE802_11_RADIOTAP: u32 = 127;
/// Version, pad, length and the first presence word.
pub const MIN_LEN: usize = 8;
/// Most presence words read; a longer chain ends the walk (real headers
/// have up to 5: the combined namespace, one per chain, a vendor one).
pub const MAX_PRESENT_WORDS: usize = 32;

pub const FLAG_CFP: u8 = 0x01;
pub const FLAG_SHORT_PREAMBLE: u8 = 0x02;
pub const FLAG_WEP: u8 = 0x04;
pub const FLAG_FRAGMENTATION: u8 = 0x08;
pub const FLAG_FCS: u8 = 0x10;
pub const FLAG_DATA_PAD: u8 = 0x20;
pub const FLAG_BAD_FCS: u8 = 0x40;
pub const FLAG_SHORT_GI: u8 = 0x80;

pub const BIT_TSFT: u8 = 0;
pub const BIT_FLAGS: u8 = 1;
pub const BIT_RATE: u8 = 2;
pub const BIT_CHANNEL: u8 = 3;
pub const BIT_FHSS: u8 = 4;
pub const BIT_DBM_ANTSIGNAL: u8 = 5;
pub const BIT_DBM_ANTNOISE: u8 = 6;
pub const BIT_LOCK_QUALITY: u8 = 7;
pub const BIT_TX_ATTENUATION: u8 = 8;
pub const BIT_DB_TX_ATTENUATION: u8 = 9;
pub const BIT_DBM_TX_POWER: u8 = 10;
pub const BIT_ANTENNA: u8 = 11;
pub const BIT_DB_ANTSIGNAL: u8 = 12;
pub const BIT_DB_ANTNOISE: u8 = 13;
pub const BIT_RX_FLAGS: u8 = 14;
pub const BIT_TX_FLAGS: u8 = 15;
pub const BIT_RTS_RETRIES: u8 = 16;
pub const BIT_DATA_RETRIES: u8 = 17;
pub const BIT_XCHANNEL: u8 = 18;
pub const BIT_MCS: u8 = 19;
pub const BIT_AMPDU_STATUS: u8 = 20;
pub const BIT_VHT: u8 = 21;
pub const BIT_TIMESTAMP: u8 = 22;
pub const BIT_HE: u8 = 23;
pub const BIT_HE_MU: u8 = 24;
pub const BIT_HE_MU_OTHER_USER: u8 = 25;
pub const BIT_ZERO_LENGTH_PSDU: u8 = 26;
pub const BIT_LSIG: u8 = 27;
pub const BIT_TLV: u8 = 28;
pub const BIT_RADIOTAP_NAMESPACE: u32 = 1 << 29;
pub const BIT_VENDOR_NAMESPACE: u32 = 1 << 30;
pub const BIT_EXT: u32 = 1 << 31;

/// (alignment, size) of the radiotap namespace's fields 0-27.
const FIELDS: [(usize, usize); 28] = [
    (8, 8),  // 0 TSFT
    (1, 1),  // 1 Flags
    (1, 1),  // 2 Rate
    (2, 4),  // 3 Channel: frequency, flags
    (2, 2),  // 4 FHSS: hop set, pattern
    (1, 1),  // 5 dBm antenna signal
    (1, 1),  // 6 dBm antenna noise
    (2, 2),  // 7 lock quality
    (2, 2),  // 8 TX attenuation
    (2, 2),  // 9 dB TX attenuation
    (1, 1),  // 10 dBm TX power
    (1, 1),  // 11 antenna
    (1, 1),  // 12 dB antenna signal
    (1, 1),  // 13 dB antenna noise
    (2, 2),  // 14 RX flags
    (2, 2),  // 15 TX flags
    (1, 1),  // 16 RTS retries
    (1, 1),  // 17 data retries
    (4, 8),  // 18 XChannel: flags, frequency, channel, max power
    (1, 3),  // 19 MCS: known, flags, index
    (4, 8),  // 20 A-MPDU status: reference, flags, delimiter CRC, reserved
    (2, 12), // 21 VHT
    (8, 12), // 22 timestamp: value, accuracy, unit/position, flags
    (2, 12), // 23 HE: six data words
    (2, 12), // 24 HE-MU
    (2, 6),  // 25 HE-MU-other-user
    (1, 1),  // 26 0-length PSDU
    (2, 4),  // 27 L-SIG
];

/// One step of the walk over the header's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// Field `bit` of radiotap namespace `ns` (0: the first), its bytes.
    Field { ns: u16, bit: u8, data: &'a [u8] },
    /// Radiotap namespace `ns` (1 and up) starts with presence word `present`.
    Namespace { ns: u16, present: u32 },
    /// A vendor namespace: OUI, sub namespace and the length of its data.
    Vendor { oui: [u8; 3], sub_namespace: u8, length: u16 },
}

/// The TLV list (bit 28) from `off` to the end of the header: type and
/// length (16 bits each), data padded to 4 bytes, the list aligned to 4. A
/// TLV whose type is a field's bit carries that field. Returns whether a TLV
/// ran past the header; each TLV advances by at least 4 bytes.
fn walk_tlvs<'a>(header: &'a [u8], off: usize, ns: u16, each: &mut impl FnMut(Item<'a>) -> ControlFlow<()>) -> bool {
    let mut off = off.next_multiple_of(4);
    while off + 4 <= header.len() {
        let (kind, len) = (le16(header, off), usize::from(le16(header, off + 2)));
        let Some(data) = header.get(off + 4..off + 4 + len) else { return true };
        if let Some(&(_, size)) = FIELDS.get(usize::from(kind)) {
            if let Some(field) = data.get(..size) {
                if each(Item::Field { ns, bit: kind as u8, data: field }).is_break() {
                    return false;
                }
            }
        }
        off += 4 + len.next_multiple_of(4);
    }
    false
}

/// A radiotap header of version 0 whose length fits in the packet.
#[derive(Clone, Copy)]
pub struct RadiotapHeader<'a> {
    buf: &'a [u8],
    len: usize,
}

impl<'a> RadiotapHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < MIN_LEN {
            return Err(DecodeError::truncated("RadioTap", MIN_LEN, buf.len()));
        }
        let version = u8_at(buf, 0);
        if version != 0 {
            return Err(DecodeError { layer: "RadioTap", kind: ErrorKind::BadVersion(version) });
        }
        let len = usize::from(le16(buf, 2));
        if len < MIN_LEN {
            return Err(DecodeError { layer: "RadioTap", kind: ErrorKind::BadHeaderLength(len) });
        }
        if len > buf.len() {
            return Err(DecodeError::truncated("RadioTap", len, buf.len()));
        }
        Ok(RadiotapHeader { buf, len })
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    /// The header length field.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The first presence word.
    pub fn present(&self) -> u32 {
        le32(self.buf, 4)
    }
    /// The presence words: the first, then one more while bit 31 is set and
    /// the word fits in the header, at most [`MAX_PRESENT_WORDS`].
    pub fn present_words(&self) -> impl Iterator<Item = u32> + 'a {
        let header = self.buf.get(..self.len).unwrap_or_default();
        let mut off = 4;
        let mut more = true;
        std::iter::from_fn(move || {
            if !more || off + 4 > header.len() || off >= 4 + 4 * MAX_PRESENT_WORDS {
                return None;
            }
            let w = le32(header, off);
            off += 4;
            more = w & BIT_EXT != 0;
            Some(w)
        })
    }
    /// The 802.11 frame (and its FCS, if [`RadiotapHeader::has_fcs`]).
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.len..).unwrap_or_default()
    }

    /// Walks the fields in order, calling `each` until it breaks; returns
    /// whether the walk ended at a field (or presence word chain) running
    /// past the header length.
    pub fn walk(&self, mut each: impl FnMut(Item<'a>) -> ControlFlow<()>) -> bool {
        let header = self.buf.get(..self.len).unwrap_or_default();
        let mut words = [0u32; MAX_PRESENT_WORDS];
        let mut n = 0;
        let mut off = 4;
        loop {
            if off + 4 > header.len() {
                return true;
            }
            let w = le32(header, off);
            off += 4;
            match words.get_mut(n) {
                Some(slot) => *slot = w,
                None => return false,
            }
            n += 1;
            if w & BIT_EXT == 0 {
                break;
            }
        }
        let mut ns: u16 = 0;
        let mut in_vendor = false;
        let mut base: usize = 0;
        for (k, &w) in words.iter().take(n).enumerate() {
            if !in_vendor {
                for bit in 0..29usize {
                    if w & (1 << bit) == 0 {
                        continue;
                    }
                    let index = base + bit;
                    if index == usize::from(BIT_TLV) {
                        return walk_tlvs(header, off, ns, &mut each);
                    }
                    // A field the namespace does not define: nothing after it
                    // can be located.
                    let Some(&(align, size)) = FIELDS.get(index) else { return false };
                    off = off.next_multiple_of(align);
                    let Some(data) = header.get(off..off + size) else { return true };
                    off += size;
                    if each(Item::Field { ns, bit: index as u8, data }).is_break() {
                        return false;
                    }
                }
            }
            let (mut next_vendor, mut next_base) = (in_vendor, base + 32);
            if w & BIT_RADIOTAP_NAMESPACE != 0 {
                (next_vendor, next_base) = (false, 0);
                ns = ns.saturating_add(1);
                if w & (BIT_VENDOR_NAMESPACE | BIT_EXT) == BIT_EXT {
                    let present = words.get(k + 1).copied().unwrap_or(0);
                    if each(Item::Namespace { ns, present }).is_break() {
                        return false;
                    }
                }
            }
            if w & BIT_VENDOR_NAMESPACE != 0 {
                off = off.next_multiple_of(2);
                let Some(v) = header.get(off..off + 6) else { return true };
                let length = le16(v, 4);
                off += 6 + usize::from(length);
                if off > header.len() {
                    return true;
                }
                let item = Item::Vendor { oui: [v[0], v[1], v[2]], sub_namespace: v[3], length };
                if each(item).is_break() {
                    return false;
                }
                (next_vendor, next_base) = (true, 0);
            }
            (in_vendor, base) = (next_vendor, next_base);
        }
        false
    }

    /// The bytes of field `bit` of the first radiotap namespace.
    pub fn field(&self, bit: u8) -> Option<&'a [u8]> {
        let mut found = None;
        self.walk(|item| match item {
            Item::Field { ns: 0, bit: b, data } if b == bit => {
                found = Some(data);
                ControlFlow::Break(())
            }
            Item::Field { ns: 0, bit: b, .. } if b > bit => ControlFlow::Break(()),
            Item::Field { ns: 0, .. } => ControlFlow::Continue(()),
            _ => ControlFlow::Break(()),
        });
        found
    }
    pub fn flags(&self) -> Option<u8> {
        self.field(BIT_FLAGS).and_then(|d| d.first().copied())
    }
    /// Flag 0x10: the frame ends in its FCS.
    pub fn has_fcs(&self) -> bool {
        self.flags().is_some_and(|f| f & FLAG_FCS != 0)
    }
    /// Flag 0x40: the frame failed its FCS check.
    pub fn bad_fcs(&self) -> bool {
        self.flags().is_some_and(|f| f & FLAG_BAD_FCS != 0)
    }
    /// Flag 0x20: padding between the 802.11 header and body (to 4 bytes).
    pub fn data_pad(&self) -> bool {
        self.flags().is_some_and(|f| f & FLAG_DATA_PAD != 0)
    }
    /// False when a 0-length-PSDU field says no 802.11 frame follows.
    pub fn has_frame(&self) -> bool {
        self.field(BIT_ZERO_LENGTH_PSDU).is_none()
    }

    /// Every field of the header (one walk).
    pub fn fields(&self) -> Fields<'a> {
        let mut f = Fields::default();
        f.truncated = self.walk(|item| {
            f.add(item);
            ControlFlow::Continue(())
        });
        f
    }
}

/// The fields of a radiotap header: the first radiotap namespace's
/// fields by bit, the vendor namespaces and the later namespaces' antenna
/// values.
#[derive(Clone, Debug, Default)]
pub struct Fields<'a> {
    /// The first namespace's field bytes, by bit.
    pub first: [Option<&'a [u8]>; 28],
    pub vendor_namespaces: Vec<([u8; 3], u8, u16)>,
    /// The later radiotap namespaces' antenna values.
    pub antennas: Vec<Chain>,
    /// A field ran past the header length.
    pub truncated: bool,
}

/// Antenna index, dBm signal and dBm noise of one later radiotap namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chain {
    /// The namespace's first presence word.
    pub present: u32,
    pub antenna: Option<u8>,
    pub signal: Option<i8>,
    pub noise: Option<i8>,
}

impl<'a> Fields<'a> {
    fn add(&mut self, item: Item<'a>) {
        match item {
            Item::Field { ns: 0, bit, data } => {
                if let Some(slot) = self.first.get_mut(usize::from(bit)) {
                    *slot = Some(data);
                }
            }
            Item::Field { bit, data, .. } => {
                if let Some(last) = self.antennas.last_mut() {
                    let byte = data.first().copied();
                    match bit {
                        BIT_ANTENNA => last.antenna = byte,
                        BIT_DBM_ANTSIGNAL => last.signal = byte.map(|b| b as i8),
                        BIT_DBM_ANTNOISE => last.noise = byte.map(|b| b as i8),
                        _ => {}
                    }
                }
            }
            Item::Namespace { present, .. } => self.antennas.push(Chain { present, ..Chain::default() }),
            Item::Vendor { oui, sub_namespace, length } => self.vendor_namespaces.push((oui, sub_namespace, length)),
        }
    }
    /// Field `bit` of the first namespace.
    pub fn get(&self, bit: u8) -> Option<&'a [u8]> {
        self.first.get(usize::from(bit)).copied().flatten()
    }
    fn u8(&self, bit: u8, off: usize) -> i32 {
        self.get(bit).map_or(0, |d| i32::from(u8_at(d, off)))
    }
    fn i8(&self, bit: u8) -> i32 {
        self.get(bit).map_or(0, |d| i32::from(u8_at(d, 0) as i8))
    }
    fn u16(&self, bit: u8, off: usize) -> i32 {
        self.get(bit).map_or(0, |d| i32::from(le16(d, off)))
    }
}

pub fn record(v: &RadiotapHeader, timestamp: i64, _cfg: &EncodeConfig) -> pb::RadioTap {
    let f = v.fields();
    let mcs = f.get(BIT_MCS).map(|d| pb::RadioTapMcs {
        known: i32::from(u8_at(d, 0)),
        flags: i32::from(u8_at(d, 1)),
        mcs: i32::from(u8_at(d, 2)),
    });
    let ampdu_status = f.get(BIT_AMPDU_STATUS).map(|d| pb::RadioTapAmpduStatus {
        reference: le32(d, 0),
        flags: i32::from(le16(d, 4)),
        crc: i32::from(u8_at(d, 6)),
    });
    let vht = f.get(BIT_VHT).map(|d| pb::RadioTapVht {
        known: i32::from(le16(d, 0)),
        flags: i32::from(u8_at(d, 2)),
        bandwidth: i32::from(u8_at(d, 3)),
        mcsnss: d.get(4..8).unwrap_or_default().iter().map(|b| u32::from(*b)).collect(),
        coding: i32::from(u8_at(d, 8)),
        group_id: i32::from(u8_at(d, 9)),
        partial_aid: i32::from(le16(d, 10)),
    });
    let he = f.get(BIT_HE).map(|d| (0..6).map(|i| u32::from(le16(d, 2 * i))).collect()).unwrap_or_default();
    let ts = f.get(BIT_TIMESTAMP).unwrap_or_default();
    let xch = f.get(BIT_XCHANNEL).unwrap_or_default();
    pb::RadioTap {
        timestamp,
        version: i32::from(v.version()),
        length: v.len() as i32,
        present: v.present(),
        tsft: f.get(BIT_TSFT).map_or(0, |d| le64(d, 0)),
        flags: f.u8(BIT_FLAGS, 0),
        rate: f.u8(BIT_RATE, 0),
        channel_frequency: f.u16(BIT_CHANNEL, 0),
        channel_flags: f.u16(BIT_CHANNEL, 2),
        fhss_hop_set: f.u8(BIT_FHSS, 0),
        fhss_pattern: f.u8(BIT_FHSS, 1),
        dbm_antenna_signal: f.i8(BIT_DBM_ANTSIGNAL),
        dbm_antenna_noise: f.i8(BIT_DBM_ANTNOISE),
        lock_quality: f.u16(BIT_LOCK_QUALITY, 0),
        tx_attenuation: f.u16(BIT_TX_ATTENUATION, 0),
        db_tx_attenuation: f.u16(BIT_DB_TX_ATTENUATION, 0),
        dbm_tx_power: f.i8(BIT_DBM_TX_POWER),
        antenna: f.u8(BIT_ANTENNA, 0),
        db_antenna_signal: f.u8(BIT_DB_ANTSIGNAL, 0),
        db_antenna_noise: f.u8(BIT_DB_ANTNOISE, 0),
        rx_flags: f.u16(BIT_RX_FLAGS, 0),
        tx_flags: f.u16(BIT_TX_FLAGS, 0),
        rts_retries: f.u8(BIT_RTS_RETRIES, 0),
        data_retries: f.u8(BIT_DATA_RETRIES, 0),
        present_words: v.present_words().collect(),
        x_channel_flags: le32(xch, 0),
        x_channel_frequency: i32::from(le16(xch, 4)),
        x_channel_number: i32::from(u8_at(xch, 6)),
        x_channel_max_power: i32::from(u8_at(xch, 7)),
        mcs,
        ampdu_status,
        vht,
        he,
        frame_timestamp: le64(ts, 0),
        frame_timestamp_accuracy: i32::from(le16(ts, 8)),
        frame_timestamp_unit_position: i32::from(u8_at(ts, 10)),
        frame_timestamp_flags: i32::from(u8_at(ts, 11)),
        zero_length_psdu_type: f.u8(BIT_ZERO_LENGTH_PSDU, 0),
        lsig_data1: f.u16(BIT_LSIG, 0),
        lsig_data2: f.u16(BIT_LSIG, 2),
        vendor_namespaces: f
            .vendor_namespaces
            .iter()
            .map(|(oui, sub, len)| pb::RadioTapVendorNamespace {
                oui: mac_string(oui),
                sub_namespace: i32::from(*sub),
                length: i32::from(*len),
            })
            .collect(),
        antennas: f
            .antennas
            .iter()
            .map(|c| pb::RadioTapAntenna {
                present: c.present,
                antenna: c.antenna.map_or(0, i32::from),
                dbm_antenna_signal: c.signal.map_or(0, i32::from),
                dbm_antenna_noise: c.noise.map_or(0, i32::from),
            })
            .collect(),
        fields_truncated: f.truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    const CFG: EncodeConfig = EncodeConfig { include_payload: false };

    /// chrissanders-packets/3e80211_wpaauth.pcapng frame 1: the 20-byte
    /// header and the first 4 bytes of the beacon.
    const LINUX: &str = "00001400ee18000010026c09a000f09c1100005480000000";
    /// tcpdump/tests/ieee802.11_exthdr.pcap frame 1 (89 bytes): two
    /// presence words, the second in the radiotap namespace (bits 32 and up).
    const EXTHDR_1: &str =
        "000059006f480080f70177100000000068d698000000000010026c09a000eaaa01000000000002006c09a000031b\
        68d698000000000001000140334080aa009fff019cffaa000000000000000000000000000000000000000040000000";
    /// Same capture, frame 3 (83 bytes): a transmitted frame (TX power, TX flags, data retries).
    const EXTHDR_3: &str =
        "0000530045840280777f761000000000ddd998000000000002aa1b000000000000026c09a000031bfc060000000\
        000000000000000000043364380aa009fff019cffe10000000000000000000000000000000050003a01";
    /// Same capture, frame 25 (93 bytes): MCS.
    const EXTHDR_25: &str =
        "00005d006b480880fb01771000000000a9c9cb000000000010006c098004eaaa0100000007000200000700026c0\
        98004031ba9c9cb00000000001d000140354080aa009fff019cff79000000000000000000000000000000000000000048013000";
    /// tcpdump/tests/ieee802.11_meshid.pcap frame 1 (56 bytes): three radiotap namespaces.
    const MESHID: &str = "000038002f4040a0200800a020080000de71d73702000000100c71164001de000000000000000000d9d5d7370000\
        000016001103d900de0180000000";
    /// tcpdump/tests/ieee802.11_htc.pcap frame 1 (60 bytes): HE and a vendor namespace.
    const HTC: &str = "00003c006b08804086b2ae390000000004003c144001d3950000fcc3fe00e5690f008021027f00037f001000cb0502\
        04feff000000000000e06e8e2788813000";
    /// tcpdump/tests/ieee802.11_rx-stbc.pcap frame 1 (37 bytes): MCS with STBC.
    const RX_STBC: &str = "000025002b480800641c00000000000010009e098004cd010000272507000000000000000088422c00";

    fn header(h: &str) -> (Vec<u8>, usize) {
        let b = hex(h);
        let len = RadiotapHeader::new_checked(&b).expect("valid").len();
        (b, len)
    }

    #[test]
    fn linux_header_as_tshark_reads_it() {
        let (b, _) = header(LINUX);
        let h = RadiotapHeader::new_checked(&b).expect("valid");
        // tshark: version 0, length 20, present 0x000018ee, flags 0x10,
        // datarate 1 (Mb/s), channel 2412 flags 0x00a0, dbm_antsignal -16,
        // dbm_antnoise -100, quality 17, antenna 0, db_antsignal 84.
        assert_eq!((h.version(), h.len(), h.present()), (0, 20, 0x18ee));
        assert_eq!(
            (h.flags(), h.has_fcs(), h.bad_fcs(), h.data_pad(), h.has_frame()),
            (Some(0x10), true, false, false, true)
        );
        assert_eq!(h.payload(), &hex("80000000")[..]);
        let r = record(&h, 3, &CFG);
        assert_eq!(
            (r.timestamp, r.version, r.length, r.present, r.present_words.as_slice()),
            (3, 0, 20, 0x18ee, &[0x18ee][..])
        );
        assert_eq!((r.flags, r.rate, r.channel_frequency, r.channel_flags), (0x10, 2, 2412, 0xa0));
        assert_eq!(
            (r.dbm_antenna_signal, r.dbm_antenna_noise, r.lock_quality, r.antenna, r.db_antenna_signal),
            (-16, -100, 17, 0, 84)
        );
        assert_eq!((r.tsft, r.mcs, r.fields_truncated, r.antennas.len()), (0, None, false, 0));
    }

    #[test]
    fn extended_bitmaps_end_at_an_undefined_bit() {
        let (b, _) = header(EXTHDR_1);
        let h = RadiotapHeader::new_checked(&b).expect("valid");
        // tshark: length 89, present words 0x8000486f,0x107701f7, mactime
        // 10016360, flags 0x10, datarate 1, 2412/0x00a0, -22 dBm, -86 dBm,
        // antenna 1, rxflags 0; nothing of the second word (bits 32 and up).
        assert_eq!(h.present_words().collect::<Vec<_>>(), [0x8000_486f, 0x1077_01f7]);
        let r = record(&h, 0, &CFG);
        assert_eq!((r.tsft, r.flags, r.rate, r.channel_frequency, r.channel_flags), (10_016_360, 0x10, 2, 2412, 0xa0));
        assert_eq!((r.dbm_antenna_signal, r.dbm_antenna_noise, r.antenna, r.rx_flags), (-22, -86, 1, 0));
        assert!(!r.fields_truncated);
        // The probe request's FC 0x4000 follows the 89 bytes.
        assert_eq!(h.payload(), &hex("40000000")[..]);

        let (b, _) = header(EXTHDR_3);
        let h = RadiotapHeader::new_checked(&b).expect("valid");
        // tshark: present 0x80028445,0x10767f77, mactime 10017245, datarate 1,
        // antnoise -86, txpower 27, txflags 0x0000, data_retries 0; no flags
        // field, so no FCS.
        assert_eq!((h.flags(), h.has_fcs()), (None, false));
        let r = record(&h, 0, &CFG);
        assert_eq!((r.tsft, r.rate, r.dbm_antenna_noise, r.dbm_tx_power), (10_017_245, 2, -86, 27));
        assert_eq!((r.tx_flags, r.data_retries, r.flags, r.dbm_antenna_signal), (0, 0, 0, 0));
        // The payload starts with the probe response's FC 0x5000.
        assert_eq!(h.payload().get(..2), Some(&[0x50, 0x00][..]));

        let (b, _) = header(EXTHDR_25);
        let r = record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG);
        // tshark: mactime 13355433, 2412/0x0480, mcs.known 0x07, mcs.bw 0,
        // mcs.gi 0, mcs.index 2 (datarate 19.5 computed from it; no Rate field).
        assert_eq!((r.tsft, r.rate, r.channel_flags), (13_355_433, 0, 0x480));
        let mcs = r.mcs.expect("MCS");
        assert_eq!((mcs.known, mcs.flags, mcs.mcs), (7, 0, 2));
    }

    #[test]
    fn later_radiotap_namespaces_are_per_antenna() {
        let (b, _) = header(MESHID);
        let h = RadiotapHeader::new_checked(&b).expect("valid");
        // tshark: present words 0xa040402f,0xa0000820,0x00000820, mactime
        // 9526800862, flags 0x10, datarate 6, 5745/0x0140, dbm_antsignal
        // -34,-39,-34, antenna 0,1, rxflags 0, timestamp.ts 936891865,
        // timestamp.accuracy 22.
        let r = record(&h, 0, &CFG);
        assert_eq!(r.present_words, [0xa040_402f, 0xa000_0820, 0x0000_0820]);
        assert_eq!(
            (r.tsft, r.flags, r.rate, r.channel_frequency, r.channel_flags),
            (9_526_800_862, 0x10, 12, 5745, 0x140)
        );
        assert_eq!((r.dbm_antenna_signal, r.antenna, r.rx_flags), (-34, 0, 0));
        assert_eq!(
            (r.frame_timestamp, r.frame_timestamp_accuracy, r.frame_timestamp_unit_position, r.frame_timestamp_flags),
            (936_891_865, 22, 0x11, 3)
        );
        let chains: Vec<(u32, i32, i32)> =
            r.antennas.iter().map(|a| (a.present, a.antenna, a.dbm_antenna_signal)).collect();
        assert_eq!(chains, [(0xa000_0820, 0, -39), (0x0000_0820, 1, -34)]);
        assert!(h.has_fcs() && !r.fields_truncated);
    }

    #[test]
    fn he_vendor_namespace_and_mcs() {
        let (b, _) = header(HTC);
        let h = RadiotapHeader::new_checked(&b).expect("valid");
        // tshark: present 0x4080086b, mactime 967750278, flags 0x04, 5180/0x0140,
        // -45 dBm, -107 dBm, antenna 0, HE data 0xc3fc 0x00fe 0x69e5 0x000f
        // 0x2180 0x7f02, vendor_oui 895 (00:03:7f), subns 0, data length 16.
        assert_eq!((h.flags(), h.has_fcs()), (Some(0x04), false));
        let r = record(&h, 0, &CFG);
        assert_eq!((r.tsft, r.flags, r.channel_frequency, r.channel_flags), (967_750_278, 4, 5180, 0x140));
        assert_eq!((r.dbm_antenna_signal, r.dbm_antenna_noise, r.antenna), (-45, -107, 0));
        assert_eq!(r.he, [0xc3fc, 0x00fe, 0x69e5, 0x000f, 0x2180, 0x7f02]);
        let v = &r.vendor_namespaces;
        assert_eq!((v.len(), v[0].oui.as_str(), v[0].sub_namespace, v[0].length), (1, "00:03:7f", 0, 16));
        // The QoS data frame's FC 0x8881 follows the 60 bytes.
        assert_eq!(h.payload().get(..2), Some(&[0x88, 0x81][..]));

        let (b, _) = header(RX_STBC);
        let r = record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG);
        // tshark: present 0x0008482b, mactime 7268, flags 0x10, 2462/0x0480,
        // -51 dBm, antenna 1, mcs.known 0x27, bw 1 (40 MHz), gi short, STBC 1, index 7.
        assert_eq!((r.tsft, r.flags, r.channel_frequency, r.dbm_antenna_signal, r.antenna), (7268, 0x10, 2462, -51, 1));
        let mcs = r.mcs.expect("MCS");
        assert_eq!((mcs.known, mcs.flags & 3, mcs.flags >> 2 & 1, mcs.flags >> 5 & 3, mcs.mcs), (0x27, 1, 1, 1, 7));
    }

    // The headers below are built from radiotap.org's field list; tshark
    // 4.0.17 read each (followed by an ACK) as the comments say.

    #[test]
    fn crafted_fields_as_tshark_reads_them() {
        // XChannel (bit 18, aligned to 4) then MCS: xchannel flags 0x140,
        // freq 2412, channel 1; mcs.known 0x07, index 5.
        let b = hex("0000130000000c00400100006c090114070005d4000000020000000001");
        let r = record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG);
        assert_eq!(
            (r.x_channel_flags, r.x_channel_frequency, r.x_channel_number, r.x_channel_max_power),
            (0x140, 2412, 1, 20)
        );
        assert_eq!(r.mcs.map(|m| (m.known, m.mcs)), Some((7, 5)));
        // A-MPDU status, VHT, timestamp: ampdu.reference 305419896, flags
        // 0x0002; vht bw 4, mcs.0 5, nss.0 2; timestamp.ts
        // 578437695752307201, accuracy 16, unit 1.
        let b = hex("00002c0000007000785634120200000044000404520000000000000000000000010203040506070810001102d4000000020000000001");
        let r = record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG);
        let a = r.ampdu_status.expect("A-MPDU");
        assert_eq!((a.reference, a.flags, a.crc), (305_419_896, 2, 0));
        let v = r.vht.expect("VHT");
        assert_eq!((v.known, v.flags, v.bandwidth, v.mcsnss[0] >> 4, v.mcsnss[0] & 15), (0x44, 4, 4, 5, 2));
        assert_eq!(
            (r.frame_timestamp, r.frame_timestamp_accuracy, r.frame_timestamp_unit_position & 15),
            (0x0807_0605_0403_0201, 16, 1)
        );
        // FHSS, lock quality, TX attenuations, TX power, dB signal/noise, RX/TX
        // flags, retries: hopset 1, pattern 2, quality 3, txattenuation 4,
        // db_txattenuation 5, txpower 6, db_antsignal 7, db_antnoise 8,
        // rxflags 0x0009, txflags 0x000a, data_retries 12 (RTS retries 11).
        let b = hex("00001a0090f7030001020300040005000607080009000a000b0cd4000000020000000001");
        let r = record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG);
        assert_eq!(
            (r.fhss_hop_set, r.fhss_pattern, r.lock_quality, r.tx_attenuation, r.db_tx_attenuation),
            (1, 2, 3, 4, 5)
        );
        assert_eq!((r.dbm_tx_power, r.db_antenna_signal, r.db_antenna_noise, r.rx_flags, r.tx_flags), (6, 7, 8, 9, 10));
        assert_eq!((r.rts_retries, r.data_retries), (11, 12));
        // HE: data_1 0x0001 ... data_6 0x0006.
        let b = hex("0000140000008000010002000300040005000600d4000000020000000001");
        assert_eq!(record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG).he, [1, 2, 3, 4, 5, 6]);
        // Vendor namespace 00:11:22 sub 5 with 3 bytes, then back to the
        // radiotap namespace for the antenna signal: flags 0x10, signal -60,
        // vendor_oui 4386, subns 5, data length 3.
        let b = hex("00001c00020000c0010000a0200000001000001122050300aabbccc4d400000002000000000111223344");
        let h = RadiotapHeader::new_checked(&b).expect("valid");
        let r = record(&h, 0, &CFG);
        assert_eq!((r.flags, r.vendor_namespaces.len(), r.vendor_namespaces[0].oui.as_str()), (0x10, 1, "00:11:22"));
        assert_eq!((r.vendor_namespaces[0].sub_namespace, r.vendor_namespaces[0].length), (5, 3));
        assert_eq!(r.antennas.iter().map(|a| a.dbm_antenna_signal).collect::<Vec<_>>(), [-60]);
        assert!(h.has_fcs());
        // A radiotap namespace after the first: flags 0, then signal -40, antenna 1.
        let b = hex("00000f00020000a02008000000d801d4000000020000000001");
        let r = record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG);
        assert_eq!(r.antennas.iter().map(|a| (a.antenna, a.dbm_antenna_signal)).collect::<Vec<_>>(), [(1, -40)]);
    }

    #[test]
    fn walk_ends_and_zero_length_psdu() {
        // TSFT present in a 12-byte header: tshark "Radiotap data goes past
        // the end of the radiotap header", then the ACK at byte 12.
        let b = hex("00000c000100000001020304d4000000020000000001");
        let h = RadiotapHeader::new_checked(&b).expect("valid");
        let r = record(&h, 0, &CFG);
        assert!(r.fields_truncated);
        assert_eq!((r.tsft, h.payload().first()), (0, Some(&0xd4)));
        // Bit 32 (second word, radiotap namespace): the walk ends quietly after flags.
        let b = hex("0000110002000080010000000001020304d4000000020000000001");
        let r = record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG);
        assert_eq!((r.flags, r.fields_truncated, r.present_words.len()), (0, false, 2));
        // TLVs (bit 28) after the flags: type 3 (channel), length 4: tshark
        // channel.freq 48042, flags 0xddcc.
        let b = hex("00001400020000100000000003000400aabbccddd4000000020000000001");
        let r = record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG);
        assert_eq!((r.present, r.flags, r.channel_frequency, r.channel_flags), (0x1000_0002, 0, 48042, 0xddcc));
        assert!(!r.fields_truncated);
        // A TLV of an unknown type (0x7fff), one of length 2 padded to 4, one past the end.
        let b = hex("00001a0000000010 ff7f0000 1b000200aa000000 05000300c400");
        let h = RadiotapHeader::new_checked(&b).expect("valid");
        let r = record(&h, 0, &CFG);
        assert!(r.fields_truncated);
        assert_eq!((r.lsig_data1, r.dbm_antenna_signal), (0, 0));
        // HE-MU, 0-length PSDU (type 2), L-SIG: tshark shows radiotap only.
        let b = hex("00001a000000000d11002200010203040506070802000300040000");
        let h = RadiotapHeader::new_checked(&b).expect("valid");
        assert!(!h.has_frame());
        let r = record(&h, 0, &CFG);
        assert_eq!((r.zero_length_psdu_type, r.lsig_data1, r.lsig_data2), (2, 3, 4));
        // The presence word chain runs past the header length.
        let b = hex("0000080000000080");
        let r = record(&RadiotapHeader::new_checked(&b).expect("valid"), 0, &CFG);
        assert!(r.fields_truncated);
    }

    #[test]
    fn bad_headers_are_rejected() {
        // Version 1 (tshark: "invalid", reads on), length 7 (tshark: "less
        // than 8 bytes", malformed), length 64 in 18 bytes (malformed).
        let v1 = hex("01000800000000000d400000");
        assert_eq!(RadiotapHeader::new_checked(&v1).err().map(|e| e.kind), Some(ErrorKind::BadVersion(1)));
        // tcpdump/tests/ieee802.11_meshhdr-oobr.pcap: revision 48, length 24.
        let v48 = hex("303018004f3b3030303030263030303030302e3030303030eb300000");
        assert_eq!(RadiotapHeader::new_checked(&v48).err().map(|e| e.kind), Some(ErrorKind::BadVersion(48)));
        let short = hex("00000700000000000d400000");
        assert_eq!(RadiotapHeader::new_checked(&short).err().map(|e| e.kind), Some(ErrorKind::BadHeaderLength(7)));
        let long = hex("000040000000000000d4000000020000000001");
        assert_eq!(RadiotapHeader::new_checked(&long).err(), Some(DecodeError::truncated("RadioTap", 64, 19)));
        assert!(RadiotapHeader::new_checked(&[0; 7]).is_err());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for h in [MESHID, HTC, EXTHDR_1] {
            let base = hex(h);
            for n in 0..=base.len() {
                if let Ok(h) = RadiotapHeader::new_checked(&base[..n]) {
                    let _ = (record(&h, 0, &CFG), h.has_fcs(), h.has_frame());
                }
            }
        }
        let mut state = 0x5eed_0000_0000_0127u64;
        for h in [MESHID, HTC, EXTHDR_25] {
            let base = hex(h);
            for _ in 0..4000 {
                let (m, cut) = mutate(&base, &mut state, 2);
                if let Ok(h) = RadiotapHeader::new_checked(&m[..cut]) {
                    let r = record(&h, 0, &CFG);
                    assert!(r.present_words.len() <= MAX_PRESENT_WORDS);
                    assert_eq!(h.payload().len(), cut - h.len());
                }
            }
        }
        // Every presence word announcing another, up to the 65535-byte maximum.
        let mut big = vec![0xff; 65535];
        big[..4].copy_from_slice(&[0, 0, 0xff, 0xff]);
        let h = RadiotapHeader::new_checked(&big).expect("valid");
        assert!(record(&h, 0, &CFG).present_words.len() <= MAX_PRESENT_WORDS);
    }
}

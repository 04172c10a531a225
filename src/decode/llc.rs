//! IEEE 802.2 Logical Link Control (ISO/IEC 8802-2): the 3- or 4-byte
//! header that follows an IEEE 802.3 length field, an FDDI or Token Ring
//! MAC header, an 802.11 data frame, ... DSAP, SSAP, then the control
//! field: one byte for unnumbered (U) frames, two for information (I) and
//! supervisory (S) frames, told apart by the low two bits of its first
//! byte (`x0` I, `01` S, `11` U; 802.2 clause 5.2).
//!
//! Values follow tshark, so that users can compare:
//! - `DSAP`/`SSAP` are the whole bytes, as tshark's `llc.dsap`/`llc.ssap`
//!   print them; the I/G and C/R bits (bit 0) are also given on their own
//!   (`llc.dsap.ig`, `llc.ssap.cr`), and the 7-bit addresses tshark shows
//!   as `llc.dsap.sap` are `dsap() >> 1`. gopacket's LLC layer clears bit
//!   0 instead (`DSAP = data[0] & 0xFE`); the two agree whenever I/G and
//!   C/R are 0, as in every SNAP, STP and IS-IS frame.
//! - A two-byte control field is read little-endian (first byte in the
//!   low bits), as tshark's `llc.control` does (epan/dissectors/xdlc.c):
//!   then N(S) is `(control >> 1) & 0x7f` and N(R) `control >> 9`, the
//!   same masks as the one-byte form. gopacket reads it big-endian.
//!
//! SNAP follows when DSAP and SSAP are both 0xAA (the whole bytes, as
//! Wireshark's packet-llc.c tests them), whatever the control field.

use super::wire::{be16, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

/// The SAP of SNAP (IEEE 802-2014 clause 10.3), in DSAP and SSAP.
pub const SAP_SNAP: u8 = 0xAA;
/// Spanning tree BPDUs (IEEE 802.1D).
pub const SAP_STP: u8 = 0x42;
/// ISO network layer (CLNP, ES-IS, IS-IS).
pub const SAP_ISO_NETWORK: u8 = 0xFE;
/// Novell IPX over 802.2.
pub const SAP_IPX: u8 = 0xE0;
/// NetBIOS.
pub const SAP_NETBIOS: u8 = 0xF0;

/// Largest value of an 802.3 length field; EtherTypes start at 0x0600.
pub const MAX_8023_LENGTH: u16 = 1500;

/// Frame formats of the control field's low bits (tshark `llc.control.ftype`).
pub const FRAME_I: u8 = 0;
pub const FRAME_S: u8 = 1;
pub const FRAME_U: u8 = 3;

const U_HEADER_LEN: usize = 3;
const IS_HEADER_LEN: usize = 4;

/// The bytes of an IEEE 802.3 frame's payload that the length field
/// covers: the rest is padding (and possibly an FCS). A length beyond the
/// bytes present keeps what is there, as tshark does (it reports the
/// frame as cut short).
pub fn ieee8023_payload(payload: &[u8], length: u16) -> &[u8] {
    payload.get(..usize::from(length)).unwrap_or(payload)
}

/// Whether an 802.3 payload is "raw 802.3" Novell IPX (no LLC header: the
/// IPX checksum 0xFFFF sits where DSAP and SSAP would), which Wireshark's
/// packet-eth.c and tcpdump test before LLC.
pub fn is_novell_raw(payload: &[u8]) -> bool {
    payload.len() >= 2 && be16(payload, 0) == 0xffff
}

/// An LLC header known to be complete (3 bytes for U frames, 4 for I/S).
#[derive(Clone, Copy)]
pub struct LlcHeader<'a> {
    buf: &'a [u8],
}

impl<'a> LlcHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < U_HEADER_LEN {
            return Err(DecodeError::truncated("LLC", U_HEADER_LEN, buf.len()));
        }
        let v = LlcHeader { buf };
        if buf.len() < v.header_len() {
            return Err(DecodeError::truncated("LLC", v.header_len(), buf.len()));
        }
        Ok(v)
    }
    /// The whole DSAP byte, I/G bit included (tshark `llc.dsap`).
    pub fn dsap(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    /// The whole SSAP byte, C/R bit included (tshark `llc.ssap`).
    pub fn ssap(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    /// The 7-bit destination address (tshark `llc.dsap.sap`).
    pub fn dsap_address(&self) -> u8 {
        self.dsap() >> 1
    }
    /// The 7-bit source address (tshark `llc.ssap.sap`).
    pub fn ssap_address(&self) -> u8 {
        self.ssap() >> 1
    }
    /// I/G bit: the DSAP is a group address.
    pub fn ig(&self) -> bool {
        self.dsap() & 0x01 != 0
    }
    /// C/R bit: the frame is a response.
    pub fn cr(&self) -> bool {
        self.ssap() & 0x01 != 0
    }
    /// [`FRAME_I`], [`FRAME_S`] or [`FRAME_U`], from the first control byte.
    pub fn frame_type(&self) -> u8 {
        match u8_at(self.buf, 2) & 0x03 {
            0x03 => FRAME_U,
            0x01 => FRAME_S,
            _ => FRAME_I,
        }
    }
    /// The control field: one byte for U frames, two bytes read
    /// little-endian for I and S frames (see the module comment).
    pub fn control(&self) -> u16 {
        let first = u16::from(u8_at(self.buf, 2));
        if self.frame_type() == FRAME_U {
            first
        } else {
            first | u16::from(u8_at(self.buf, 3)) << 8
        }
    }
    /// 3 for U frames, 4 for I and S frames.
    pub fn header_len(&self) -> usize {
        if self.frame_type() == FRAME_U {
            U_HEADER_LEN
        } else {
            IS_HEADER_LEN
        }
    }
    /// Whether a SNAP header follows (DSAP and SSAP both 0xAA).
    pub fn is_snap(&self) -> bool {
        self.dsap() == SAP_SNAP && self.ssap() == SAP_SNAP
    }
    /// What follows the header (SNAP, a BPDU, an IS-IS PDU, ...).
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.header_len()..).unwrap_or_default()
    }
}

pub fn record(v: &LlcHeader, timestamp: i64, _cfg: &EncodeConfig) -> pb::Llc {
    pb::Llc {
        timestamp,
        dsap: u32::from(v.dsap()),
        ig: v.ig(),
        ssap: u32::from(v.ssap()),
        cr: v.cr(),
        control: u32::from(v.control()),
        frame_type: i32::from(v.frame_type()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    /// tcpdump/tests/3560_CDP.pcap frame 1 after the 14-byte 802.3 header
    /// (length 386), cut after the SNAP header and the CDP version.
    const CDP_1: &str = "aaaa0300000c200002b4b0bd";
    /// tcpdump/tests/802.1D_spanning_tree.pcap frame 1 after the 802.3
    /// header (length 38).
    const STP_1: &str = "424203000000000080010019\
                         06eab880000000008001001906eab88080050000140002000f00";
    /// tcpdump/tests/kday4.pcap frame 3 after the 802.3 header (length
    /// 512): an IPv4 header behind a length field, read as an I frame.
    const KDAY4_3: &str = "45100034f5c840003e064504cc093384cc093650c39f";

    fn rec(s: &str) -> pb::Llc {
        let b = hex(s);
        record(&LlcHeader::new_checked(&b).expect("valid"), 7, &EncodeConfig::default())
    }

    #[test]
    fn snap_u_frame_as_tshark_reads_it() {
        // tshark: llc.dsap 0xaa, llc.dsap.sap 85, llc.dsap.ig 0, llc.ssap
        // 0xaa, llc.ssap.sap 85, llc.ssap.cr 0, llc.control 0x0003,
        // llc.control.ftype 0x03, llc.oui 12 (the payload starts with it).
        let b = hex(CDP_1);
        let v = LlcHeader::new_checked(&b).expect("valid");
        assert_eq!((v.dsap(), v.dsap_address(), v.ig()), (0xaa, 85, false));
        assert_eq!((v.ssap(), v.ssap_address(), v.cr()), (0xaa, 85, false));
        assert_eq!((v.control(), v.frame_type(), v.header_len()), (0x03, FRAME_U, 3));
        assert!(v.is_snap());
        assert_eq!(v.payload().get(..3), Some(&[0x00, 0x00, 0x0c][..]));
        let r = rec(CDP_1);
        assert_eq!(
            (r.timestamp, r.dsap, r.ig, r.ssap, r.cr, r.control, r.frame_type),
            (7, 0xaa, false, 0xaa, false, 3, 3)
        );
    }

    #[test]
    fn stp_bpdu_header() {
        // tshark: llc.dsap 0x42 (sap 33), llc.ssap 0x42, llc.control 0x0003.
        let b = hex(STP_1);
        let v = LlcHeader::new_checked(&b).expect("valid");
        assert_eq!((v.dsap(), v.dsap_address(), v.ssap(), v.control()), (0x42, 33, 0x42, 3));
        assert!(!v.is_snap());
        // The BPDU: protocol ID 0, version 0, type 0 (configuration).
        assert_eq!(v.payload().get(..4), Some(&[0, 0, 0, 0][..]));
        assert_eq!(v.payload().len(), b.len() - 3);
    }

    #[test]
    fn information_frame_control_is_little_endian() {
        // tshark: llc.dsap 0x45 (sap 34, ig 1), llc.ssap 0x10 (sap 8, cr
        // 0), llc.control 0x3400, llc.control.ftype 0x0000,
        // llc.control.n_r 26, llc.control.n_s 0, llc.control.p 0.
        let b = hex(KDAY4_3);
        let v = LlcHeader::new_checked(&b).expect("valid");
        assert_eq!((v.dsap(), v.dsap_address(), v.ig()), (0x45, 34, true));
        assert_eq!((v.ssap(), v.ssap_address(), v.cr()), (0x10, 8, false));
        assert_eq!((v.control(), v.frame_type(), v.header_len()), (0x3400, FRAME_I, 4));
        assert_eq!((v.control() >> 9, (v.control() >> 1) & 0x7f, v.control() >> 8 & 1), (26, 0, 0));
        assert_eq!(v.payload().first(), Some(&0xf5));
        let r = rec(KDAY4_3);
        assert_eq!((r.dsap, r.ig, r.ssap, r.cr, r.control, r.frame_type), (0x45, true, 0x10, false, 0x3400, 0));
    }

    #[test]
    fn supervisory_frame_and_response_bit() {
        // Built from 802.2 clause 5.2: SAP 0xF0 (NetBIOS), response
        // (SSAP 0xF1), RR (0x01) with N(R) 5 and F set (0x0b).
        let r = rec("f0f1010b");
        assert_eq!((r.dsap, r.ig, r.ssap, r.cr, r.control, r.frame_type), (0xf0, false, 0xf1, true, 0x0b01, 1));
        // tcpdump/tests/q933-heapoverflow-2.pcap frame 2 (Frame Relay,
        // bridged Ethernet, 802.3): tshark llc.dsap 0x88, llc.ssap 0x6b
        // (cr 1), llc.control 0x3068, n_r 24, n_s 52.
        let b = hex("886b683000");
        let v = LlcHeader::new_checked(&b).expect("valid");
        assert_eq!((v.dsap(), v.ssap(), v.cr(), v.control()), (0x88, 0x6b, true, 0x3068));
        assert_eq!((v.control() >> 9, (v.control() >> 1) & 0x7f), (24, 52));
    }

    #[test]
    fn short_headers_and_8023_helpers() {
        assert!(LlcHeader::new_checked(&hex("aaaa")).is_err());
        // An I frame needs its second control byte.
        assert!(LlcHeader::new_checked(&hex("f0f000")).is_err());
        assert!(LlcHeader::new_checked(&hex("f0f003")).is_ok());
        assert_eq!(ieee8023_payload(&[1, 2, 3, 4], 2), &[1, 2]);
        assert_eq!(ieee8023_payload(&[1, 2, 3, 4], 9), &[1, 2, 3, 4]);
        assert!(is_novell_raw(&hex("ffff0022")) && !is_novell_raw(&hex("e0e003")) && !is_novell_raw(&[0xff]));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for base in [hex(CDP_1), hex(KDAY4_3)] {
            for n in 0..=base.len() {
                if let Ok(v) = LlcHeader::new_checked(&base[..n]) {
                    assert_eq!(v.payload().len() + v.header_len(), n);
                    let _ = record(&v, 0, &EncodeConfig::default());
                }
            }
            let mut state = 0x5eed_11c0_0000_0001u64;
            for _ in 0..3000 {
                let (m, cut) = mutate(&base, &mut state, 2);
                if let Ok(v) = LlcHeader::new_checked(&m[..cut]) {
                    assert!(v.header_len() <= cut);
                    let _ = record(&v, 0, &EncodeConfig::default());
                }
            }
        }
    }
}

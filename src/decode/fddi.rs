//! FDDI MAC frames (ANSI X3.139-1987 / ISO 9314-2), pcap link type 10
//! (LINKTYPE_FDDI): a frame control byte, a 6-byte destination and a
//! 6-byte source address, then the information field. The preamble,
//! starting and ending delimiters and the FCS are not captured.
//!
//! Frame control (FC) is `CLFFZZZZ`: class, address length, format, and
//! four control bits. FC 0x50-0x5f are asynchronous LLC frames, the only
//! ones with an 802.2 LLC header after the addresses (Wireshark's
//! packet-fddi.c and tcpdump's print-fddi.c both hand exactly those to
//! LLC); in them, when bit 0x08 (R) is clear, the low 3 bits are the
//! priority. Synchronous LLC (0xd0), SMT (0x41-0x4f), MAC (0xc0-0xcf) and
//! implementor frames are reported without a payload decoder.
//!
//! Address bit order: FDDI sends the most significant bit of each address
//! byte first, Ethernet the least significant, and capture interfaces
//! differ in which order they store. Wireshark reads link type 10 as
//! WTAP_ENCAP_FDDI_BITSWAPPED (wiretap/pcap-common.c) and reverses the
//! bits of each address byte to show canonical (Ethernet) order; tcpdump
//! does so too except on Linux, NetBSD, BSD/OS, Ultrix and Alpha, whose
//! drivers store canonical order already. The record follows Wireshark,
//! so `SrcMAC`/`DstMAC` equal tshark's `fddi.src`/`fddi.dst`. (The one
//! shared capture, zeek/testing/btest/Traces/dns-inverse-query.pcap, holds
//! `aa:00:04:00:83:a7` on the wire, a DECnet-style address that suggests
//! it was stored canonical; tshark shows it as `55:00:20:00:c1:e5`.) The
//! view gives the raw bytes too ([`FddiFrame::dst`], [`FddiFrame::src`]).
//!
//! Some old systems (Ultrix, Tru64) prepend 3 bytes of padding to every
//! FDDI frame; Wireshark skips them only when a preference (off by
//! default) says so. This decoder has no such option: frames start with FC.

use super::wire::{mac_string, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

/// pcap LINKTYPE_FDDI (DLT_FDDI).
pub const LINKTYPE_FDDI: u32 = 10;
pub const HEADER_LEN: usize = 13;

/// Class/length/format bits of frame control.
const FC_CLFF: u8 = 0xf0;
/// Asynchronous LLC frames (FC 0x50-0x5f).
pub const FC_LLC_ASYNC: u8 = 0x50;
/// The R bit of asynchronous LLC frames: set, the low bits are reserved,
/// not a priority.
const FC_ASYNC_R: u8 = 0x08;
const FC_ASYNC_PRIORITY: u8 = 0x07;

/// A frame whose 13-byte MAC header is known to be present.
#[derive(Clone, Copy)]
pub struct FddiFrame<'a> {
    buf: &'a [u8],
}

impl<'a> FddiFrame<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("FDDI", HEADER_LEN, buf.len()));
        }
        Ok(FddiFrame { buf })
    }
    /// The whole frame control byte (tshark `fddi.fc`).
    pub fn frame_control(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    /// Class, address length and format: FC's high nibble (tshark
    /// `fddi.fc.clf`; 5 for asynchronous LLC).
    pub fn class_length_format(&self) -> u8 {
        (self.frame_control() & FC_CLFF) >> 4
    }
    /// Whether an 802.2 LLC header follows (FC 0x50-0x5f).
    pub fn carries_llc(&self) -> bool {
        self.frame_control() & FC_CLFF == FC_LLC_ASYNC
    }
    /// Asynchronous LLC frames without the R bit: the 3-bit priority
    /// (tshark `fddi.fc.prio`, shown only for them); 0 for other frames.
    pub fn priority(&self) -> u8 {
        let fc = self.frame_control();
        if self.carries_llc() && fc & FC_ASYNC_R == 0 {
            fc & FC_ASYNC_PRIORITY
        } else {
            0
        }
    }
    /// The destination address as captured.
    pub fn dst(&self) -> &'a [u8] {
        self.buf.get(1..7).unwrap_or_default()
    }
    /// The source address as captured.
    pub fn src(&self) -> &'a [u8] {
        self.buf.get(7..13).unwrap_or_default()
    }
    /// The destination address in canonical order, as tshark shows it.
    pub fn dst_mac(&self) -> String {
        bitswapped_mac_string(self.dst())
    }
    /// The source address in canonical order, as tshark shows it.
    pub fn src_mac(&self) -> String {
        bitswapped_mac_string(self.src())
    }
    /// The information field: an LLC header when [`Self::carries_llc`].
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..).unwrap_or_default()
    }
}

/// `aa:bb:..` of an address with the bits of every byte reversed.
pub fn bitswapped_mac_string(addr: &[u8]) -> String {
    let swapped: Vec<u8> = addr.iter().map(|b| b.reverse_bits()).collect();
    mac_string(&swapped)
}

pub fn record(v: &FddiFrame, timestamp: i64, _cfg: &EncodeConfig) -> pb::Fddi {
    pb::Fddi {
        timestamp,
        frame_control: i32::from(v.frame_control()),
        priority: i32::from(v.priority()),
        src_mac: v.src_mac(),
        dst_mac: v.dst_mac(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    /// zeek/testing/btest/Traces/dns-inverse-query.pcap frame 1 (65 bytes):
    /// FDDI, LLC/SNAP, IPv4, TCP SYN.
    const FRAME_1: &str = "50aa00040083a7aa00040082a7aaaa0300000008004500002ce37600003306e146d4b42a6483\
                           f3400361a80035b909d83d0000000060020200dff20000020405b4";
    /// The same capture, frame 2: the addresses the other way round.
    const FRAME_2: &str = "50aa00040082a7aa00040083a7aaaa0300000008004500002c58d640003e";

    #[test]
    fn fddi_as_tshark_reads_it() {
        // tshark: fddi.fc 0x50, fddi.fc.clf 0x05, fddi.fc.prio 0,
        // fddi.dst 55:00:20:00:c1:e5, fddi.src 55:00:20:00:41:e5.
        let b = hex(FRAME_1);
        assert_eq!(b.len(), 65);
        let v = FddiFrame::new_checked(&b).expect("valid");
        assert_eq!((v.frame_control(), v.class_length_format(), v.priority()), (0x50, 5, 0));
        assert!(v.carries_llc());
        assert_eq!(v.dst(), &[0xaa, 0x00, 0x04, 0x00, 0x83, 0xa7]);
        assert_eq!(v.src(), &[0xaa, 0x00, 0x04, 0x00, 0x82, 0xa7]);
        assert_eq!((v.dst_mac().as_str(), v.src_mac().as_str()), ("55:00:20:00:c1:e5", "55:00:20:00:41:e5"));
        // llc.dsap 0xaa, llc.ssap 0xaa, llc.control 0x03, llc.oui 0, llc.type 0x0800.
        assert_eq!(v.payload().get(..8), Some(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00][..]));
        let r = record(&v, 9, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.frame_control, r.priority), (9, 0x50, 0));
        assert_eq!((r.dst_mac.as_str(), r.src_mac.as_str()), ("55:00:20:00:c1:e5", "55:00:20:00:41:e5"));

        // tshark frame 2: fddi.dst 55:00:20:00:41:e5, fddi.src 55:00:20:00:c1:e5.
        let b = hex(FRAME_2);
        let r = record(&FddiFrame::new_checked(&b).expect("valid"), 0, &EncodeConfig::default());
        assert_eq!((r.dst_mac.as_str(), r.src_mac.as_str()), ("55:00:20:00:41:e5", "55:00:20:00:c1:e5"));
    }

    #[test]
    fn frame_control_classes() {
        // Built from ISO 9314-2 frame control values (and packet-fddi.c).
        let frame = |fc: u8| {
            let mut b = hex(FRAME_2);
            b[0] = fc;
            b
        };
        for (fc, llc, prio) in [
            (0x55, true, 5),  // async LLC, priority 5
            (0x5d, true, 0),  // async LLC with R set: no priority
            (0xd0, false, 0), // synchronous LLC: not handed to LLC
            (0x41, false, 0), // SMT info
            (0xc2, false, 0), // MAC beacon
            (0x80, false, 0), // nonrestricted token
        ] {
            let b = frame(fc);
            let v = FddiFrame::new_checked(&b).expect("valid");
            assert_eq!((v.carries_llc(), v.priority()), (llc, prio), "fc {fc:#04x}");
        }
        assert_eq!(bitswapped_mac_string(&[0x01, 0x80, 0xff, 0x00, 0x0f, 0x12]), "80:01:ff:00:f0:48");
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let base = hex(FRAME_1);
        for n in 0..=base.len() {
            match FddiFrame::new_checked(&base[..n]) {
                Ok(v) => {
                    assert_eq!(v.payload().len(), n - HEADER_LEN);
                    let _ = record(&v, 0, &EncodeConfig::default());
                }
                Err(_) => assert!(n < HEADER_LEN),
            }
        }
        let mut state = 0x5eed_fdd1_0000_0001u64;
        for _ in 0..3000 {
            let (m, cut) = mutate(&base, &mut state, 2);
            if let Ok(v) = FddiFrame::new_checked(&m[..cut]) {
                assert!(v.priority() < 8);
                let _ = record(&v, 0, &EncodeConfig::default());
            }
        }
    }
}

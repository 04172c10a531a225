//! Frame Relay (LINKTYPE_FRELAY 107): a Q.922 address of two to four
//! bytes holding the DLCI, then either RFC 2427 multiprotocol
//! encapsulation (control 0x03, an optional pad byte 0x00, an NLPID) or
//! Cisco's encapsulation (a 2-byte protocol type as in Cisco HDLC). No
//! record of its own (Go Netcap had none): it leads to IP, so that the
//! records of routers' serial captures match an Ethernet capture's.
//!
//! Wireshark's rules (its default "FRF 3.2" encapsulation) decide, so the
//! inner records match tshark's: a first address byte with the EA bit set
//! is a bogus one-byte address (DLCI 0); after the address, control 0x03
//! means an NLPID follows; any other control on DLCI 0 is LAPF signalling
//! and 0xaf is XID; otherwise the two bytes are Cisco's protocol type.

use super::wire::be16;
use super::DecodeError;

/// The address-extension bit: set in an address's last byte.
const EA: u8 = 0x01;
/// In a 3- or 4-byte address's last byte: DL-CORE control, not DLCI bits.
const DC: u8 = 0x02;
/// Unnumbered information: RFC 2427 encapsulation follows.
const CONTROL_UI: u8 = 0x03;
/// An XID frame (unnumbered, XID).
const CONTROL_XID: u8 = 0xaf;

/// RFC 2427 NLPIDs (ISO/IEC TR 9577) of the layers netcap follows.
pub const NLPID_IPV4: u8 = 0xcc;
pub const NLPID_IPV6: u8 = 0x8e;
pub const NLPID_PPP: u8 = 0xcf;
pub const NLPID_SNAP: u8 = 0x80;

/// What follows a Frame Relay header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramePayload<'a> {
    /// RFC 2427: the NLPID and the bytes after it.
    Nlpid(u8, &'a [u8]),
    /// Cisco encapsulation: a Cisco HDLC protocol type and its payload.
    Cisco(u16, &'a [u8]),
    /// LAPF signalling on DLCI 0, or an XID frame: nothing netcap decodes.
    Control(u8),
}

/// A parsed Frame Relay header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRelayFrame<'a> {
    /// The data link connection identifier (tshark `fr.dlci`).
    pub dlci: u32,
    pub payload: FramePayload<'a>,
}

fn byte(buf: &[u8], at: usize) -> Result<u8, DecodeError> {
    buf.get(at).copied().ok_or(DecodeError::truncated("FrameRelay", at + 1, buf.len()))
}

/// Parses the address and what follows it.
pub fn parse(buf: &[u8]) -> Result<FrameRelayFrame<'_>, DecodeError> {
    let (dlci, mut at) = parse_address(buf)?;
    let control = byte(buf, at)?;
    let payload = if control == CONTROL_UI {
        at += 1;
        let mut nlpid = byte(buf, at)?;
        if nlpid == 0 {
            // RFC 2427's pad byte.
            at += 1;
            nlpid = byte(buf, at)?;
        }
        FramePayload::Nlpid(nlpid, buf.get(at + 1..).unwrap_or_default())
    } else if dlci == 0 || control == CONTROL_XID {
        FramePayload::Control(control)
    } else {
        if buf.len() < at + 2 {
            return Err(DecodeError::truncated("FrameRelay", at + 2, buf.len()));
        }
        FramePayload::Cisco(be16(buf, at), buf.get(at + 2..).unwrap_or_default())
    };
    Ok(FrameRelayFrame { dlci, payload })
}

/// The Q.922 address: the DLCI and the address's length.
fn parse_address(buf: &[u8]) -> Result<(u32, usize), DecodeError> {
    let first = byte(buf, 0)?;
    if first & EA != 0 {
        // A one-byte address is bogus; Wireshark reads DLCI 0 and goes on.
        return Ok((0, 1));
    }
    let second = byte(buf, 1)?;
    let mut dlci = u32::from(first >> 2) << 4 | u32::from(second >> 4);
    if second & EA != 0 {
        return Ok((dlci, 2));
    }
    let mut at = 2;
    let mut octet = byte(buf, at)?;
    if octet & EA == 0 {
        dlci = dlci << 7 | u32::from(octet >> 1);
        at += 1;
        octet = byte(buf, at)?;
        // Bytes past Q.922's four without EA are bogus; Wireshark skips
        // them to the one with EA (each step consumes a byte: bounded).
        while octet & EA == 0 {
            at += 1;
            octet = byte(buf, at)?;
        }
    }
    if octet & DC == 0 {
        dlci = dlci << 6 | u32::from(octet >> 2);
    }
    Ok((dlci, at + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::hex;

    #[test]
    fn cisco_encapsulation() {
        // tcpdump/tests/OSPFv3_NBMA_adjacencies.pcap frame 1: address 48 e1
        // (tshark fr.dlci 302), then Cisco type 0x86dd and IPv6.
        let f = hex("48e186dd6e00");
        let p = parse(&f).expect("whole header");
        assert_eq!(p.dlci, 302);
        assert_eq!(p.payload, FramePayload::Cisco(0x86dd, &f[4..]));
    }

    #[test]
    fn rfc2427_with_and_without_pad() {
        let f = hex("4801 03 cc 45");
        assert_eq!(parse(&f).map(|p| p.payload), Ok(FramePayload::Nlpid(NLPID_IPV4, &f[4..])));
        // tcpdump/tests/q933-heapoverflow-2.pcap frame 15: 48 01 (DLCI 288 by
        // tshark), control 2c: Cisco type 0x0011.
        let f = hex("48012c00");
        let p = parse(&f).expect("whole header");
        assert_eq!((p.dlci, p.payload), (288, FramePayload::Cisco(0x2c00, &[][..])));
        let f = hex("4801 03 00 8e 60");
        assert_eq!(parse(&f).map(|p| p.payload), Ok(FramePayload::Nlpid(NLPID_IPV6, &f[5..])));
    }

    #[test]
    fn long_and_bogus_addresses() {
        // Four bytes: b0 00 3a 01 (tshark fr.dlci 5769024), control 00.
        let f = hex("b0003a01 0011886b");
        let p = parse(&f).expect("whole header");
        assert_eq!(p.dlci, 5_769_024);
        assert_eq!(p.payload, FramePayload::Cisco(0x0011, &f[6..]));
        // Three bytes, the third with EA and DLCI bits: 512 << 6.
        assert_eq!(parse(&hex("800001 0000")).map(|p| p.dlci), Ok(32768));
        // q933-heapoverflow-2.pcap frame 1: 80 00 00, a bogus fourth byte 00,
        // then ff (EA, DL-CORE): tshark fr.dlci 65536.
        assert_eq!(parse(&hex("80000000ff 0000")).map(|p| p.dlci), Ok(65536));
        // A one-byte address: DLCI 0, then LAPF.
        assert_eq!(parse(&hex("01 00 00")).map(|p| p.payload), Ok(FramePayload::Control(0)));
        assert!(parse(&hex("00000000 00")).is_err());
        for short in ["", "48", "48e1", "48e186", "480103"] {
            assert!(parse(&hex(short)).is_err(), "{short:?}");
        }
    }
}

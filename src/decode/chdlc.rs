//! Cisco HDLC (LINKTYPE_C_HDLC 104; RFC 1547 4.3.1): an address byte
//! (0x0f unicast, 0x8f multicast), a control byte and a 2-byte protocol
//! that is an EtherType for the protocols netcap follows. Cisco routers'
//! serial links and some PPP-link captures (tcpdump reads a PPP frame
//! whose first byte is 0x0f or 0x8f as Cisco HDLC, as does Wireshark) use
//! it. No record of its own, as Go Netcap had none.
//!
//! Wireshark's `chdlc.protocol` table decides what follows: IPv4, IPv6,
//! MPLS and CDP are what netcap decodes; SLARP keepalives, OSI (IS-IS)
//! and the rest end the packet in unknown.pcap.

use super::wire::be16;
use super::DecodeError;

pub const HEADER_LEN: usize = 4;

/// Cisco's protocol type of CDP; also an entry of Wireshark's EtherType table.
pub const PROTO_CDP: u16 = 0x2000;

/// A Cisco HDLC header known to be complete.
#[derive(Clone, Copy)]
pub struct CiscoHdlcFrame<'a> {
    buf: &'a [u8],
}

impl<'a> CiscoHdlcFrame<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("CiscoHDLC", HEADER_LEN, buf.len()));
        }
        Ok(CiscoHdlcFrame { buf })
    }
    /// tshark `chdlc.protocol`.
    pub fn protocol(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::hex;

    #[test]
    fn protocol_and_payload() {
        // tcpdump/tests/HDLC.pcap frame 10: 0f 00 0800, then IPv4.
        let f = hex("0f00080045");
        let h = CiscoHdlcFrame::new_checked(&f).expect("four bytes");
        assert_eq!((h.protocol(), h.payload()), (0x0800, &[0x45u8][..]));
        // Frame 17: 8f 00 2000, CDP.
        let f = hex("8f002000");
        assert_eq!(CiscoHdlcFrame::new_checked(&f).map(|h| h.protocol()), Ok(PROTO_CDP));
        assert!(CiscoHdlcFrame::new_checked(&hex("0f0008")).is_err());
    }
}

//! Linux NFLOG (LINKTYPE_NFLOG 239): packets that iptables/nftables
//! rules logged through netfilter's log group, as `tcpdump -i nflog:N`
//! captures them. A 4-byte header (address family, version, resource id)
//! and then type-length-value attributes; the packet is the `NFULA_PAYLOAD`
//! attribute and starts at its network header. No record of its own: the
//! packet's IP records are what a user of such a capture wants.
//!
//! The attributes' length and type fields are in the byte order of the
//! machine that captured (little-endian in practice); like Wireshark and
//! tcpdump, the first attribute's length decides which order applies.

use super::wire::{be16, le16};
use super::DecodeError;

pub const HEADER_LEN: usize = 4;
const TLV_HEADER_LEN: usize = 4;
/// The attribute holding the logged packet.
const NFULA_PAYLOAD: u16 = 9;
/// Linux's address families in the header.
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

/// An NFLOG record: the address family and the logged packet, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NflogPacket<'a> {
    pub family: u8,
    pub payload: Option<&'a [u8]>,
}

/// Parses the header and finds the payload attribute.
pub fn parse(buf: &[u8]) -> Result<NflogPacket<'_>, DecodeError> {
    if buf.len() < HEADER_LEN {
        return Err(DecodeError::truncated("NFLOG", HEADER_LEN, buf.len()));
    }
    let family = buf.first().copied().unwrap_or_default();
    let mut rest = buf.get(HEADER_LEN..).unwrap_or_default();
    // The first attribute's length is at least its own header and fits
    // the record in the right byte order.
    let little = (TLV_HEADER_LEN..=rest.len()).contains(&usize::from(le16(rest, 0)));
    let read = |b: &[u8], at: usize| if little { le16(b, at) } else { be16(b, at) };
    // Each attribute consumes at least its 4-byte header: bounded.
    while rest.len() >= TLV_HEADER_LEN {
        let (len, kind) = (usize::from(read(rest, 0)), read(rest, 2));
        if len < TLV_HEADER_LEN {
            return Err(DecodeError::malformed("NFLOG", "attribute shorter than its header"));
        }
        let Some(value) = rest.get(TLV_HEADER_LEN..len) else {
            return Err(DecodeError::truncated("NFLOG", len, rest.len()));
        };
        if kind == NFULA_PAYLOAD {
            return Ok(NflogPacket { family, payload: Some(value) });
        }
        // Attributes are padded to four bytes.
        rest = rest.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    Ok(NflogPacket { family, payload: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::hex;

    /// tcpdump/tests/nflog.pcap frame 1 up to the start of the IPv4 header:
    /// family 2, version 0, resource id 20; attributes 1, 10, 4, 16, 15,
    /// 17, 18, 8, 3, then NFULA_PAYLOAD (length 0x4d) at offset 100.
    const FRAME_1: &str = "02000014 08000100 0800 0127 05000a00 00000000 08000400 00000002 \
                           10000800 0006ffff b8a386b9 c3d60000 06000f00 00010000 06001100 000e0000 \
                           12001000 0811961c 10c8b8a3 86b9c3d6 08000000 14000300 00000000 522a1f9e \
                           00000000 000960fc 4d000900 4500 0049";

    #[test]
    fn finds_the_payload_attribute() {
        let f = hex(FRAME_1);
        // The capture's record is 0x4d - 4 bytes of payload; this excerpt
        // holds its first four, so the attribute runs past the end.
        assert!(parse(&f).is_err());
        let mut whole = f.clone();
        whole.extend(std::iter::repeat_n(0u8, 0x4d - 4 - 4));
        let p = parse(&whole).expect("whole attributes");
        assert_eq!(p.family, AF_INET);
        assert_eq!(p.payload.map(|b| (b.len(), b[0])), Some((0x49, 0x45)));
    }

    #[test]
    fn big_endian_attributes_and_none() {
        // Family 10, one big-endian payload attribute of 2 bytes (padded).
        let f = hex("0a000001 0006 0009 6000 0000");
        let p = parse(&f).expect("whole");
        assert_eq!((p.family, p.payload), (AF_INET6, Some(&[0x60u8, 0][..])));
        // Only a prefix attribute: no packet.
        assert_eq!(parse(&hex("02000001 0800 0a00 00000000")).map(|p| p.payload), Ok(None));
        assert!(parse(&hex("020000")).is_err());
        // A zero length can't advance: an error, not a loop.
        assert!(parse(&hex("02000001 0000 0900")).is_err());
    }
}

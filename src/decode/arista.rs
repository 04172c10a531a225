//! Arista's vendor-specific EtherType 0xd28b with the timestamp subtype:
//! switches of market-data and trading networks stamp each frame with
//! its arrival time (IEEE 1588 time of day, 48 or 64 bits) and put the
//! frame's real EtherType after it. No record of its own: the frame goes
//! on by that EtherType, so its VLAN, MPLS and IP records are there.
//!
//! The versions are those Wireshark's `avsp` dissector reads: 0x0010 and
//! 0x0110 (64-bit TAI or UTC: seconds and nanoseconds, 4 bytes each),
//! 0x0020 and 0x0120 (48-bit: 2 bytes of seconds, 4 of nanoseconds).
//! Other subtypes and versions go to unknown.pcap.

use super::wire::be16;
use super::DecodeError;

pub const ETHERTYPE: u16 = 0xd28b;
const SUBTYPE_TIMESTAMP: u16 = 0x0001;
/// Subtype and version.
const HEADER_LEN: usize = 4;

/// The timestamp's length for a timestamp version.
fn timestamp_len(version: u16) -> Option<usize> {
    match version {
        0x0010 | 0x0110 => Some(8),
        0x0020 | 0x0120 => Some(6),
        _ => None,
    }
}

/// What follows the Arista header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AristaPayload<'a> {
    /// The frame's EtherType and payload.
    Frame(u16, &'a [u8]),
    /// A subtype and version netcap does not read.
    Unknown { subtype: u16, version: u16 },
}

pub fn parse(buf: &[u8]) -> Result<AristaPayload<'_>, DecodeError> {
    if buf.len() < HEADER_LEN {
        return Err(DecodeError::truncated("Arista", HEADER_LEN, buf.len()));
    }
    let (subtype, version) = (be16(buf, 0), be16(buf, 2));
    let ts_len = match timestamp_len(version) {
        Some(n) if subtype == SUBTYPE_TIMESTAMP => n,
        _ => return Ok(AristaPayload::Unknown { subtype, version }),
    };
    let at = HEADER_LEN + ts_len;
    let payload = buf.get(at + 2..).ok_or(DecodeError::truncated("Arista", at + 2, buf.len()))?;
    Ok(AristaPayload::Frame(be16(buf, at), payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::hex;

    #[test]
    fn timestamp_versions() {
        // tcpdump/tests/arista_ether.pcap frame 3: subtype 1, version 0x0010,
        // TAI 1559162200 s 917204604 ns, then MPLS (0x8847).
        let f = hex("0001 0010 5ceeed58 36ab6e7c 8847 00400140");
        assert_eq!(parse(&f), Ok(AristaPayload::Frame(0x8847, &f[14..])));
        // 48-bit: 2 bytes of seconds.
        let f = hex("0001 0120 ed58 36ab6e7c 0800 45");
        assert_eq!(parse(&f), Ok(AristaPayload::Frame(0x0800, &f[12..])));
        // Frame 2: version 0x0011, which this tshark does not read either.
        assert_eq!(parse(&hex("0001 0011 00")), Ok(AristaPayload::Unknown { subtype: 1, version: 0x11 }));
        assert!(parse(&hex("0001 0010 5ceeed58 36ab6e7c 88")).is_err());
        assert!(parse(&hex("0001")).is_err());
    }
}

//! Apple's PKTAP (LINKTYPE_PKTAP 258; on macOS DLT_PKTAP is DLT_USER2,
//! 149, and files carry either): what `tcpdump -i pktap` and `-k` write.
//! A header of its own length, in little-endian (the machine's order,
//! always little-endian on Apple's hardware), naming the link type of the
//! packet that follows and the process that sent or received it. No
//! record of its own; the packet is decoded by its own link type.
//!
//! As in Wireshark and tcpdump, a header shorter than the 108 bytes of
//! its first version is malformed, and only entries of type "packet" (1)
//! carry a packet.

use super::wire::le32;
use super::DecodeError;

/// The first version's header length: the least a header can be.
pub const MIN_HEADER_LEN: usize = 108;
/// `pth_type_next` of an entry that carries a packet.
const TYPE_PACKET: u32 = 1;

/// A PKTAP entry: its type, and for a packet entry the packet's link type
/// (a LINKTYPE_/DLT_ number) and bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PktapEntry<'a> {
    pub type_next: u32,
    pub link: u32,
    pub frame: &'a [u8],
}

impl PktapEntry<'_> {
    pub fn is_packet(&self) -> bool {
        self.type_next == TYPE_PACKET
    }
}

/// Parses the header.
pub fn parse(buf: &[u8]) -> Result<PktapEntry<'_>, DecodeError> {
    if buf.len() < 12 {
        return Err(DecodeError::truncated("PKTAP", MIN_HEADER_LEN, buf.len()));
    }
    let header_len = le32(buf, 0) as usize;
    if header_len < MIN_HEADER_LEN {
        return Err(DecodeError::malformed("PKTAP", "header length below 108"));
    }
    let frame = buf.get(header_len..).ok_or(DecodeError::truncated("PKTAP", header_len, buf.len()))?;
    Ok(PktapEntry { type_next: le32(buf, 4), link: le32(buf, 8), frame })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: u32, type_next: u32, dlt: u32) -> Vec<u8> {
        let mut h = vec![0u8; len as usize];
        h[0..4].copy_from_slice(&len.to_le_bytes());
        h[4..8].copy_from_slice(&type_next.to_le_bytes());
        h[8..12].copy_from_slice(&dlt.to_le_bytes());
        h
    }

    #[test]
    fn packet_after_the_header() {
        // tcpdump/tests/LINKTYPE_PKTAP.pcap frame 1: length 0x6c, type 1,
        // DLT 1 (Ethernet) on en0.
        let mut f = header(108, 1, 1);
        f.extend_from_slice(&[0x00, 0x1e, 0x49]);
        assert_eq!(parse(&f), Ok(PktapEntry { type_next: 1, link: 1, frame: &[0x00, 0x1e, 0x49][..] }));
        assert!(parse(&f).is_ok_and(|e| e.is_packet()));
        // A longer header of a later version is skipped whole.
        let mut f = header(156, 1, 12);
        f.push(0x45);
        assert_eq!(parse(&f).map(|p| (p.link, p.frame.len())), Ok((12, 1)));
    }

    #[test]
    fn bad_headers() {
        // pktap-heap-overflow.pcap frame 1: length 0 (tcpdump: "0 < 108").
        assert!(parse(&[0u8; 40]).is_err());
        // Frame 2: length 1024, past the captured bytes.
        assert!(parse(&header(1024, 1, 50)[..60]).is_err());
        assert!(parse(&[0u8; 8]).is_err());
        // Not a packet entry.
        assert!(parse(&header(108, 2, 1)).is_ok_and(|e| !e.is_packet()));
    }
}

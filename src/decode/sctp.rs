//! SCTP (RFC 9260): the 12-byte common header and the list of chunks.
//!
//! A record holds the common header and, per chunk, its type, flags and
//! length, as Wireshark lists them (`sctp.chunk_type`, ...). Chunks are
//! walked from the header on: each starts on a 4-byte boundary (the
//! length field excludes the padding, RFC 9260 3.2). A chunk whose length
//! field is below the 4-byte chunk header, or whose header is cut off,
//! ends the walk: what follows cannot be located. A chunk that runs past
//! the captured bytes is still listed (its header was read) and ends the
//! walk. Chunk values are not decoded: payload protocols (M3UA, ForCES,
//! ...) are above this record.

use super::wire::{be16, be32, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 132;
pub const HEADER_LEN: usize = 12;
const CHUNK_HEADER_LEN: usize = 4;

/// An SCTP packet whose common header is known to be present.
#[derive(Clone, Copy)]
pub struct SctpPacket<'a> {
    buf: &'a [u8],
}

/// One chunk's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub chunk_type: u8,
    pub flags: u8,
    pub length: u16,
}

impl<'a> SctpPacket<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("SCTP", HEADER_LEN, buf.len()));
        }
        Ok(SctpPacket { buf })
    }
    pub fn src_port(&self) -> u16 {
        be16(self.buf, 0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn verification_tag(&self) -> u32 {
        be32(self.buf, 4)
    }
    pub fn checksum(&self) -> u32 {
        be32(self.buf, 8)
    }
    /// The bytes after the common header (the chunks).
    pub fn chunk_bytes(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..).unwrap_or_default()
    }
    /// The chunk headers, in order (see the module comment for where the
    /// walk stops). Each step consumes at least 4 bytes, so the walk ends.
    pub fn chunks(&self) -> impl Iterator<Item = Chunk> + 'a {
        let mut rest = self.chunk_bytes();
        std::iter::from_fn(move || {
            if rest.len() < CHUNK_HEADER_LEN {
                return None;
            }
            let chunk = Chunk { chunk_type: u8_at(rest, 0), flags: u8_at(rest, 1), length: be16(rest, 2) };
            let len = usize::from(chunk.length);
            let padded = (len + 3) & !3;
            rest = if len < CHUNK_HEADER_LEN { &[] } else { rest.get(padded..).unwrap_or_default() };
            Some(chunk)
        })
    }
}

pub fn record(p: &SctpPacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::Sctp {
    pb::Sctp {
        timestamp,
        src_port: i32::from(p.src_port()),
        dst_port: i32::from(p.dst_port()),
        verification_tag: p.verification_tag(),
        checksum: p.checksum(),
        chunks: p
            .chunks()
            .map(|c| pb::SctpChunk {
                r#type: i32::from(c.chunk_type),
                flags: i32::from(c.flags),
                length: i32::from(c.length),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    /// tcpdump/tests/forces3.pcap frame 46 (IPv4 payload): a SACK and a
    /// DATA chunk in one packet.
    const FORCES3_46: &str = "e1c11a329756083018a803840300001085c5969a0000e000000000000003002836ff5559\
                              0000000300000000100f00060000000240000003000000000000000408000000";
    /// tcpdump/tests/forces2.pcap frame 1: an INIT chunk.
    const FORCES2_1: &str = "84c11a3000000000259ef43f0100002494d021980000e00000010001e55ce946000c0006\
                             0005000080000004c0000004";

    fn chunks(p: &SctpPacket) -> Vec<(u8, u8, u16)> {
        p.chunks().map(|c| (c.chunk_type, c.flags, c.length)).collect()
    }

    #[test]
    fn sack_and_data_chunks_as_tshark_reads_them() {
        let buf = hex(FORCES3_46);
        let p = SctpPacket::new_checked(&buf).expect("valid");
        // tshark: sctp.srcport 57793, dstport 6706, verification_tag 0x97560830,
        // checksum 0x18a80384, chunk_type 3,0, chunk_flags 0x00,0x03, chunk_length 16,40.
        assert_eq!((p.src_port(), p.dst_port()), (57793, 6706));
        assert_eq!((p.verification_tag(), p.checksum()), (0x9756_0830, 0x18a8_0384));
        assert_eq!(chunks(&p), vec![(3, 0, 16), (0, 3, 40)]);
        let r = record(&p, 7, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.src_port, r.dst_port, r.chunks.len()), (7, 57793, 6706, 2));
        assert_eq!((r.chunks[1].r#type, r.chunks[1].flags, r.chunks[1].length), (0, 3, 40));
    }

    #[test]
    fn init_chunk() {
        let buf = hex(FORCES2_1);
        let p = SctpPacket::new_checked(&buf).expect("valid");
        // tshark: 33985 -> 6704, vtag 0, checksum 0x259ef43f, chunk 1 flags 0 length 36.
        assert_eq!((p.src_port(), p.dst_port(), p.verification_tag(), p.checksum()), (33985, 6704, 0, 0x259e_f43f));
        assert_eq!(chunks(&p), vec![(1, 0, 36)]);
    }

    #[test]
    fn padding_bad_lengths_and_cut_chunks() {
        let mut buf = vec![0u8; 12];
        // A 5-byte chunk padded to 8, then a chunk with length 2 (invalid),
        // after which nothing can be located.
        buf.extend_from_slice(&[0, 3, 0, 5, 0xaa, 0, 0, 0, 14, 0, 0, 2, 6, 0, 0, 4]);
        let p = SctpPacket::new_checked(&buf).expect("valid");
        assert_eq!(chunks(&p), vec![(0, 3, 5), (14, 0, 2)]);
        // A chunk longer than the bytes present is listed and ends the walk.
        let mut cut = vec![0u8; 12];
        cut.extend_from_slice(&[0, 3, 0, 100, 1, 2, 3]);
        assert_eq!(chunks(&SctpPacket::new_checked(&cut).expect("valid")), vec![(0, 3, 100)]);
        // Only the common header: no chunks; fewer than 12 bytes: rejected.
        assert!(SctpPacket::new_checked(&buf[..12]).expect("valid").chunks().next().is_none());
        assert!(SctpPacket::new_checked(&buf[..11]).is_err());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let cfg = EncodeConfig::default();
        for base in [hex(FORCES3_46), hex(FORCES2_1)] {
            for n in 0..=base.len() {
                if let Ok(p) = SctpPacket::new_checked(&base[..n]) {
                    let r = record(&p, 0, &cfg);
                    assert!(r.chunks.len() <= n / 4);
                }
            }
            let mut state = 0x9e37_79b9_7f4a_7c15u64;
            for _ in 0..3000 {
                let (m, cut) = crate::decode::test_util::mutate(&base, &mut state, 4);
                if let Ok(p) = SctpPacket::new_checked(&m[..cut]) {
                    let _ = record(&p, 0, &cfg);
                }
            }
        }
    }
}

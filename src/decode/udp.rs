//! UDP (RFC 768).

use super::wire::be16;
use super::{DecodeError, Emitter, EncodeConfig, Layers};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 17;
pub const HEADER_LEN: usize = 8;

/// A UDP datagram whose 8-byte header is known to be present.
#[derive(Clone, Copy)]
pub struct UdpDatagram<'a> {
    buf: &'a [u8],
}

impl<'a> UdpDatagram<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("UDP", HEADER_LEN, buf.len()));
        }
        Ok(UdpDatagram { buf })
    }
    pub fn src_port(&self) -> u16 {
        be16(self.buf, 0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn length(&self) -> u16 {
        be16(self.buf, 4)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 6)
    }
    /// Payload length from the length field; a field below 8 (0 in IPv6
    /// jumbograms, or a lie) falls back to the bytes present.
    pub fn payload_len(&self) -> usize {
        match usize::from(self.length()) {
            n if n >= HEADER_LEN => n - HEADER_LEN,
            _ => self.buf.len() - HEADER_LEN,
        }
    }
    /// Captured payload bytes, cut at the declared length.
    pub fn payload(&self) -> &'a [u8] {
        let end = (HEADER_LEN + self.payload_len()).min(self.buf.len());
        self.buf.get(HEADER_LEN..end).unwrap_or_default()
    }
}

pub fn encode(l: &Layers, cfg: &EncodeConfig, out: &mut Emitter) {
    if !l.has(super::kind::UDP) {
        return;
    }
    for d in crate::layers_of!(l, Udp) {
        out.emit(&pb::Udp {
            timestamp: l.timestamp,
            src_port: i32::from(d.src_port()),
            dst_port: i32::from(d.dst_port()),
            length: i32::from(d.length()),
            checksum: i32::from(d.checksum()),
            payload_entropy: l.entropy.entropy(d.payload()),
            payload_size: d.payload_len() as i32,
            payload: if cfg.include_payload { d.payload().to_vec() } else { Vec::new() },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_query_header() {
        let dgram = [0xd4, 0x31, 0x00, 0x35, 0x00, 0x0a, 0xab, 0xcd, 1, 2, 0xff];
        let d = UdpDatagram::new_checked(&dgram).expect("valid");
        assert_eq!((d.src_port(), d.dst_port(), d.length(), d.checksum()), (54321, 53, 10, 0xabcd));
        assert_eq!(d.payload(), &[1, 2]);
        assert!(UdpDatagram::new_checked(&dgram[..7]).is_err());
    }
}

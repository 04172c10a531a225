//! IPsec Authentication Header (RFC 4302), over IPv4 or IPv6.
//!
//! The header is Next Header, Payload Len, Reserved, SPI, Sequence Number
//! and the Integrity Check Value; its length is (Payload Len + 2) * 4
//! bytes (RFC 4302 2.2, the same formula for IPv4 and IPv6). The packet
//! the header protects follows it unencrypted, so the dispatch continues
//! with [`AhHeader::next_header`] over [`AhHeader::payload`]. A length
//! below the 12-byte fixed part, or past the captured bytes, leaves no
//! place where that packet starts: such a header is rejected.

use super::wire::{be16, be32, u8_at};
use super::{DecodeError, EncodeConfig, ErrorKind};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 51;
/// Next Header, Payload Len, Reserved, SPI, Sequence Number.
pub const FIXED_LEN: usize = 12;

/// An Authentication Header whose full length is known to be present.
#[derive(Clone, Copy)]
pub struct AhHeader<'a> {
    buf: &'a [u8],
}

impl<'a> AhHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < FIXED_LEN {
            return Err(DecodeError::truncated("IPSecAH", FIXED_LEN, buf.len()));
        }
        let h = AhHeader { buf };
        let len = h.header_len();
        if len < FIXED_LEN {
            return Err(DecodeError { layer: "IPSecAH", kind: ErrorKind::BadHeaderLength(len) });
        }
        if len > buf.len() {
            return Err(DecodeError::truncated("IPSecAH", len, buf.len()));
        }
        Ok(h)
    }
    /// IP protocol number of the protected packet.
    pub fn next_header(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    /// The Payload Len field: header length in 4-byte words, minus 2.
    pub fn payload_len(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    /// Header length in bytes, from the Payload Len field.
    pub fn header_len(&self) -> usize {
        (usize::from(self.payload_len()) + 2) * 4
    }
    pub fn reserved(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn spi(&self) -> u32 {
        be32(self.buf, 4)
    }
    pub fn seq(&self) -> u32 {
        be32(self.buf, 8)
    }
    /// Integrity Check Value (with any padding to the header length).
    pub fn icv(&self) -> &'a [u8] {
        self.buf.get(FIXED_LEN..self.header_len()).unwrap_or_default()
    }
    /// The protected packet: the bytes after the header.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.header_len()..).unwrap_or_default()
    }
}

pub fn record(h: &AhHeader, timestamp: i64, _cfg: &EncodeConfig) -> pb::IpSecAh {
    pb::IpSecAh {
        timestamp,
        reserved: i32::from(h.reserved()),
        spi: h.spi(),
        seq: h.seq(),
        authentication_data: h.icv().to_vec(),
        next_header: i32::from(h.next_header()),
        payload_len: i32::from(h.payload_len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    /// tcpdump/tests/OSPFv3_with_AH.pcap frame 1 (IPv6 payload): AH over OSPFv3.
    const OSPFV3_AH: &str = "59040000000001000000001321d3a95c5ffd4d184622b9f8\
                             030100240101010100000001fb8600000000000501000013000a00280000000000000000";

    #[test]
    fn ah_over_ospfv3_as_tshark_reads_it() {
        let buf = hex(OSPFV3_AH);
        let h = AhHeader::new_checked(&buf).expect("valid");
        // tshark: ah.next_header 89, ah.length 4, ah.reserved 0000,
        // ah.spi 0x00000100, ah.sequence 19, ah.icv 21d3a95c5ffd4d184622b9f8.
        assert_eq!((h.next_header(), h.payload_len(), h.reserved()), (89, 4, 0));
        assert_eq!((h.spi(), h.seq()), (0x100, 19));
        assert_eq!(h.icv(), hex("21d3a95c5ffd4d184622b9f8").as_slice());
        // OSPFv3 follows: version 3, type 1 (Hello).
        assert_eq!(h.payload().get(..2), Some(&[3u8, 1][..]));
        let r = record(&h, 5, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.next_header, r.payload_len, r.spi, r.seq), (5, 89, 4, 0x100, 19));
        assert_eq!(r.authentication_data.len(), 12);
    }

    #[test]
    fn lengths_below_three_words_or_past_the_buffer_are_rejected() {
        let mut buf = hex(OSPFV3_AH);
        buf[1] = 0;
        assert!(matches!(
            AhHeader::new_checked(&buf).map(|_| ()),
            Err(DecodeError { kind: ErrorKind::BadHeaderLength(8), .. })
        ));
        // Payload Len 1: the 12-byte fixed part and no ICV is acceptable.
        buf[1] = 1;
        assert_eq!(AhHeader::new_checked(&buf).expect("valid").icv(), &[] as &[u8]);
        // tcpdump/tests/heapoverflow-ip_demux_print.pcap frame 2: Payload Len
        // 48 (200 bytes) in a 14-byte IP payload (tshark: "AH truncated").
        let fuzz = hex("3330303030303030303030303030");
        assert!(AhHeader::new_checked(&fuzz).is_err());
        assert!(AhHeader::new_checked(&hex(OSPFV3_AH)[..23]).is_err());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let base = hex(OSPFV3_AH);
        let cfg = EncodeConfig::default();
        for n in 0..=base.len() {
            if let Ok(h) = AhHeader::new_checked(&base[..n]) {
                assert_eq!(h.icv().len() + h.payload().len() + FIXED_LEN, n);
                let _ = record(&h, 0, &cfg);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            let (m, cut) = crate::decode::test_util::mutate(&base, &mut state, 3);
            if let Ok(h) = AhHeader::new_checked(&m[..cut]) {
                let _ = (record(&h, 0, &cfg), h.payload());
            }
        }
    }
}

//! IPsec Encapsulating Security Payload (RFC 4303): IP protocol 50, or
//! UDP-encapsulated on port 4500 for NAT traversal (RFC 3948).
//!
//! Everything after the SPI and the sequence number is encrypted (IV,
//! payload, padding, Next Header, ICV), so the record holds only those two
//! and the length of the rest, and nothing is decoded after ESP.

use super::wire::be32;
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 50;
/// RFC 3948 port of UDP-encapsulated ESP (and of IKE behind a NAT).
pub const UDP_PORT: u16 = 4500;
/// SPI and sequence number.
pub const HEADER_LEN: usize = 8;

/// An ESP packet whose SPI and sequence number are known to be present.
#[derive(Clone, Copy)]
pub struct EspPacket<'a> {
    buf: &'a [u8],
}

impl<'a> EspPacket<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("IPSecESP", HEADER_LEN, buf.len()));
        }
        Ok(EspPacket { buf })
    }
    pub fn spi(&self) -> u32 {
        be32(self.buf, 0)
    }
    pub fn seq(&self) -> u32 {
        be32(self.buf, 4)
    }
    /// The captured bytes after SPI and sequence number.
    pub fn encrypted(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..).unwrap_or_default()
    }
}

/// Whether the payload of a UDP datagram on port 4500 is ESP (RFC 3948
/// 2.2, 2.3), as Wireshark's `udpencap` decides: a single 0xff byte is a
/// NAT keepalive and four zero bytes (the non-ESP marker) start IKE;
/// anything else is ESP (a payload of 1 to 3 other bytes then fails as a
/// truncated ESP header, as in Wireshark).
pub fn is_udp_encapsulated(udp_payload: &[u8]) -> bool {
    let keepalive = udp_payload == [0xff];
    let ike = udp_payload.len() >= 4 && be32(udp_payload, 0) == 0;
    !(udp_payload.is_empty() || keepalive || ike)
}

pub fn record(p: &EspPacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::IpSecEsp {
    pb::IpSecEsp {
        timestamp,
        spi: p.spi(),
        seq: p.seq(),
        len_encrypted: i32::try_from(p.encrypted().len()).unwrap_or(i32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    /// tcpdump/tests/02-sunrise-sunset-esp.pcap frame 1 (IPv4 payload, 116 bytes).
    const SUNRISE_1: &str = "12345678000000014c20452f3cb09211d3a748cde5c811e39c4ee83cfe96a1e42acfd2b8\
                             7aab05d1642ba3af9c1bc342102c40ad15df4de0200a63638734711187d412093b83bfaa\
                             43191cbd84a45b0276338399b1f5ca17cc9254457e5906551a7041e3dc9176e86fd3ffdd\
                             00b0bc11f8103097";

    #[test]
    fn esp_as_tshark_reads_it() {
        let buf = hex(SUNRISE_1);
        let p = EspPacket::new_checked(&buf).expect("valid");
        // tshark: esp.spi 0x12345678, esp.sequence 1; ip.len 136 = 20 + 116.
        assert_eq!((p.spi(), p.seq()), (0x1234_5678, 1));
        assert_eq!(buf.len(), 116);
        let r = record(&p, 3, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.spi, r.seq, r.len_encrypted), (3, 0x1234_5678, 1, 108));
    }

    #[test]
    fn udp_encapsulation_rules() {
        // tcpdump/tests/espudp1.pcap frame 1: UDP 4500 payload starting with SPI 0x12345678.
        assert!(is_udp_encapsulated(&hex("1234567800000001a71a51de")));
        // tcpdump/tests/isakmp4500.pcap frame 7: IKE after the non-ESP marker;
        // frame 18: a NAT keepalive (tshark: udpencap, no esp).
        assert!(!is_udp_encapsulated(&hex("000000009e89f2388f90bc1e0a74357c")));
        assert!(!is_udp_encapsulated(&hex("ff")));
        assert!(!is_udp_encapsulated(&[]));
        // tcpdump/tests/esp_truncated.pcap frame 1: only the SPI (0xc0f7d4c3)
        // was captured: ESP, but too short for a record.
        let cut = hex("c0f7d4c3");
        assert!(is_udp_encapsulated(&cut));
        assert!(EspPacket::new_checked(&cut).is_err());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let base = hex(SUNRISE_1);
        for n in 0..=base.len() {
            match EspPacket::new_checked(&base[..n]) {
                Ok(p) => assert_eq!(record(&p, 0, &EncodeConfig::default()).len_encrypted as usize, n - 8),
                Err(_) => assert!(n < 8),
            }
            let _ = is_udp_encapsulated(&base[..n]);
        }
        let mut state = 0x0bad_5eed_1234_5678u64;
        for _ in 0..3000 {
            let (m, cut) = crate::decode::test_util::mutate(&base, &mut state, 1);
            if let Ok(p) = EspPacket::new_checked(&m[..cut]) {
                let _ = record(&p, 0, &EncodeConfig::default());
            }
        }
    }
}

//! VRRP, the Virtual Router Redundancy Protocol: v2 (RFC 3768, IPv4
//! only) and v3 (RFC 5798, IPv4 and IPv6), IP protocol 112.
//!
//! Both versions share an 8-byte header; they differ in bytes 4-5 (v2:
//! authentication type and an 8-bit advertisement interval in seconds;
//! v3: 4 reserved bits and a 12-bit maximum advertisement interval in
//! centiseconds) and in the trailer (v2: 8 bytes of authentication data).
//! The size of the addresses follows the IP version that carries the
//! packet, as tshark decides it, so the view is told which one it is.

use super::wire::{be16, ipv4_string, ipv6_string, u8_at};
use super::{DecodeError, EncodeConfig, ErrorKind};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 112;
pub const HEADER_LEN: usize = 8;
/// v2: the authentication data after the addresses.
const AUTH_DATA_LEN: usize = 8;

/// A VRRP v2 or v3 packet whose 8-byte header is present.
#[derive(Clone, Copy)]
pub struct VrrpPacket<'a> {
    buf: &'a [u8],
    over_ipv6: bool,
}

impl<'a> VrrpPacket<'a> {
    /// `buf` is the IP payload; `over_ipv6` whether IPv6 carries it
    /// (then the addresses are IPv6 addresses). Versions other than 2 and
    /// 3 are rejected: their layout is unknown.
    pub fn new_checked(buf: &'a [u8], over_ipv6: bool) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("VRRP", HEADER_LEN, buf.len()));
        }
        let p = VrrpPacket { buf, over_ipv6 };
        if !matches!(p.version(), 2 | 3) {
            return Err(DecodeError { layer: "VRRP", kind: ErrorKind::BadVersion(p.version()) });
        }
        Ok(p)
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0) >> 4
    }
    pub fn packet_type(&self) -> u8 {
        u8_at(self.buf, 0) & 0x0f
    }
    pub fn virtual_rtr_id(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    pub fn priority(&self) -> u8 {
        u8_at(self.buf, 2)
    }
    pub fn count_ip_addr(&self) -> u8 {
        u8_at(self.buf, 3)
    }
    /// v2 only (0 in v3).
    pub fn auth_type(&self) -> u8 {
        if self.version() == 2 {
            u8_at(self.buf, 4)
        } else {
            0
        }
    }
    /// v3: the 4 reserved bits before the interval (0 in v2).
    pub fn reserved(&self) -> u8 {
        if self.version() == 3 {
            u8_at(self.buf, 4) >> 4
        } else {
            0
        }
    }
    /// v2: seconds (8 bits); v3: centiseconds (12 bits).
    pub fn adver_int(&self) -> u16 {
        if self.version() == 2 {
            u16::from(u8_at(self.buf, 5))
        } else {
            be16(self.buf, 4) & 0x0fff
        }
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 6)
    }
    fn addr_len(&self) -> usize {
        if self.over_ipv6 {
            16
        } else {
            4
        }
    }
    /// The addresses the bytes hold, at most Count IP Addrs.
    pub fn addresses(&self) -> Vec<String> {
        let rest = self.buf.get(HEADER_LEN..).unwrap_or_default();
        let fmt = if self.over_ipv6 { ipv6_string } else { ipv4_string };
        rest.chunks_exact(self.addr_len()).take(usize::from(self.count_ip_addr())).map(fmt).collect()
    }
    /// v2: the authentication data after the declared addresses, as much
    /// of its 8 bytes as is present; empty in v3.
    pub fn auth_data(&self) -> &'a [u8] {
        if self.version() != 2 {
            return &[];
        }
        let start = HEADER_LEN + usize::from(self.count_ip_addr()) * self.addr_len();
        let end = (start + AUTH_DATA_LEN).min(self.buf.len());
        self.buf.get(start..end).unwrap_or_default()
    }
}

pub fn record(v: &VrrpPacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::Vrrp {
    pb::Vrrp {
        timestamp,
        version: i32::from(v.version()),
        r#type: i32::from(v.packet_type()),
        virtual_rtr_id: i32::from(v.virtual_rtr_id()),
        priority: i32::from(v.priority()),
        count_ip_addr: i32::from(v.count_ip_addr()),
        auth_type: i32::from(v.auth_type()),
        adver_int: i32::from(v.adver_int()),
        checksum: i32::from(v.checksum()),
        ip_adresses: v.addresses(),
        authentication_data: v.auth_data().to_vec(),
        reserved: i32::from(v.reserved()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(buf: &[u8], over_ipv6: bool) -> pb::Vrrp {
        let v = VrrpPacket::new_checked(buf, over_ipv6).expect("valid");
        record(&v, 1, &EncodeConfig::default())
    }

    // tcpdump/tests/vrrp.pcap frame 1: v2, VRID 42, priority 191, 3
    // addresses, simple text authentication "abcdefgh", interval 10.
    const V2_AUTH: [u8; 28] = [
        0x21, 0x2a, 0xbf, 0x03, 0x01, 0x0a, 0xf1, 0x1f, 0x0a, 0x04, 0x2a, 0x01, 0x0a, 0x04, 0x2a, 0x02, 0x0a, 0x04,
        0x2a, 0x03, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    ];
    // vrrp.pcap frame 3: v3 over IPv4, VRID 44, max adver int 1000.
    const V3_IPV4: [u8; 16] =
        [0x31, 0x2c, 0xbf, 0x02, 0x03, 0xe8, 0xb3, 0xc6, 0x0a, 0x04, 0x2c, 0x64, 0x0a, 0x04, 0x2c, 0xc8];
    // vrrp.pcap frame 6: v3 over IPv6, VRID 45, two IPv6 addresses.
    const V3_IPV6: [u8; 40] = [
        0x31, 0x2d, 0xbf, 0x02, 0x03, 0xe8, 0xcf, 0xa0, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
        0x5e, 0xff, 0xfe, 0x00, 0x02, 0x2d, 0x20, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xab, 0xcd, 0x00, 0x0a,
    ];

    #[test]
    fn v2_as_tshark_shows_it() {
        let r = rec(&V2_AUTH, false);
        assert_eq!((r.version, r.r#type, r.virtual_rtr_id, r.priority), (2, 1, 42, 191));
        assert_eq!((r.count_ip_addr, r.auth_type, r.adver_int, r.checksum), (3, 1, 10, 0xf11f));
        assert_eq!(r.ip_adresses, vec!["10.4.42.1", "10.4.42.2", "10.4.42.3"]);
        assert_eq!(r.authentication_data, b"abcdefgh".to_vec());
    }

    #[test]
    fn v3_over_ipv4_and_ipv6() {
        let r = rec(&V3_IPV4, false);
        assert_eq!((r.version, r.virtual_rtr_id, r.count_ip_addr, r.auth_type, r.adver_int), (3, 44, 2, 0, 1000));
        assert_eq!((r.checksum, r.reserved), (0xb3c6, 0));
        assert_eq!(r.ip_adresses, vec!["10.4.44.100", "10.4.44.200"]);
        assert!(r.authentication_data.is_empty());
        let r = rec(&V3_IPV6, true);
        assert_eq!((r.version, r.virtual_rtr_id, r.adver_int, r.checksum), (3, 45, 1000, 0xcfa0));
        assert_eq!(r.ip_adresses, vec!["fe80::200:5eff:fe00:22d", "2001::abcd:a"]);
    }

    #[test]
    fn short_and_unknown_versions() {
        assert!(VrrpPacket::new_checked(&V2_AUTH[..7], false).is_err());
        let mut v1 = V2_AUTH;
        v1[0] = 0x11;
        assert!(VrrpPacket::new_checked(&v1, false).is_err());
        // tcpdump/tests/icmp-icmp_print-oobr-1.pcap frame 3: v3 claiming 4
        // addresses in 11 bytes: no complete address.
        let cut = [0x31, 0x80, 0x45, 0x04, 0x00, 0x20, 0x0e, 0x00, 0xb2, 0xa1, 0x20];
        let r = rec(&cut, false);
        assert_eq!((r.virtual_rtr_id, r.priority, r.count_ip_addr, r.adver_int), (128, 69, 4, 32));
        assert!(r.ip_adresses.is_empty());
    }

    #[test]
    fn hostile_input_never_panics() {
        let samples: [(&[u8], bool); 3] = [(&V2_AUTH, false), (&V3_IPV4, false), (&V3_IPV6, true)];
        let cfg = EncodeConfig::default();
        for (s, six) in samples {
            for n in 0..=s.len() {
                if let Ok(v) = VrrpPacket::new_checked(&s[..n], six) {
                    let _ = record(&v, 0, &cfg);
                }
            }
        }
        let mut next = crate::decode::test_util::xorshift(0x2545_f491_4f6c_dd1d);
        for i in 0..5000 {
            let (base, six) = samples[i % samples.len()];
            let mut m = base.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let r = next() as usize;
                match r % 3 {
                    0 if !m.is_empty() => {
                        let at = r / 3 % m.len();
                        m[at] = next() as u8;
                    }
                    1 => m.push(next() as u8),
                    _ => m.truncate(r / 3 % (m.len() + 1)),
                }
            }
            if let Ok(v) = VrrpPacket::new_checked(&m, six || i % 7 == 0) {
                let r = record(&v, 0, &cfg);
                assert!(r.ip_adresses.len() <= m.len() / 4);
            }
        }
    }
}

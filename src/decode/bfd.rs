//! BFD, Bidirectional Forwarding Detection (RFC 5880): the Control packet,
//! on UDP 3784 (single hop, RFC 5881), 4784 (multihop, RFC 5883), 6784
//! (micro-BFD on LAG members, RFC 7130) and 7784 (seamless BFD, RFC 7880).
//! Echo packets (UDP 3785) are private to their sender and are not Control
//! packets.
//!
//! The optional authentication section follows the 24-byte mandatory part
//! only when the A bit is set: Go Netcap read it unconditionally and
//! crashed on packets without it; here `AuthHeader` is absent then. The
//! packet is decoded with the version 1 layout whatever its version field
//! says (pre-RFC version 0 differs only in the flag bits).

use super::wire::{be32, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const PORT_SINGLE_HOP: u16 = 3784;
pub const PORT_MULTIHOP: u16 = 4784;
pub const PORT_MICRO: u16 = 6784;
pub const PORT_SEAMLESS: u16 = 7784;
pub const HEADER_LEN: usize = 24;

/// A BFD Control packet whose 24-byte mandatory section is present.
#[derive(Clone, Copy)]
pub struct BfdPacket<'a> {
    buf: &'a [u8],
}

impl<'a> BfdPacket<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("BFD", HEADER_LEN, buf.len()));
        }
        Ok(BfdPacket { buf })
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0) >> 5
    }
    pub fn diagnostic(&self) -> u8 {
        u8_at(self.buf, 0) & 0x1f
    }
    pub fn state(&self) -> u8 {
        u8_at(self.buf, 1) >> 6
    }
    fn flag(&self, mask: u8) -> bool {
        u8_at(self.buf, 1) & mask != 0
    }
    pub fn poll(&self) -> bool {
        self.flag(0x20)
    }
    pub fn final_(&self) -> bool {
        self.flag(0x10)
    }
    pub fn control_plane_independent(&self) -> bool {
        self.flag(0x08)
    }
    pub fn auth_present(&self) -> bool {
        self.flag(0x04)
    }
    pub fn demand(&self) -> bool {
        self.flag(0x02)
    }
    pub fn multipoint(&self) -> bool {
        self.flag(0x01)
    }
    pub fn detect_multiplier(&self) -> u8 {
        u8_at(self.buf, 2)
    }
    pub fn length(&self) -> u8 {
        u8_at(self.buf, 3)
    }
    pub fn my_discriminator(&self) -> u32 {
        be32(self.buf, 4)
    }
    pub fn your_discriminator(&self) -> u32 {
        be32(self.buf, 8)
    }
    pub fn desired_min_tx_interval(&self) -> u32 {
        be32(self.buf, 12)
    }
    pub fn required_min_rx_interval(&self) -> u32 {
        be32(self.buf, 16)
    }
    pub fn required_min_echo_rx_interval(&self) -> u32 {
        be32(self.buf, 20)
    }
    /// The bytes after the mandatory section, cut at the Length field when
    /// that is plausible (at least 24 and no more than was captured).
    pub fn auth_section(&self) -> &'a [u8] {
        let len = usize::from(self.length());
        let end = if (HEADER_LEN..=self.buf.len()).contains(&len) { len } else { self.buf.len() };
        self.buf.get(HEADER_LEN..end).unwrap_or_default()
    }
}

/// The authentication section (RFC 5880 4.2-4.4): type, length, key ID;
/// the keyed MD5/SHA1 types (2-5) then have a reserved byte and a sequence
/// number before the digest. `None` when fewer than 3 bytes are present.
pub fn auth_header(section: &[u8]) -> Option<pb::BfdAuthHeader> {
    if section.len() < 3 {
        return None;
    }
    let auth_type = u8_at(section, 0);
    let auth_len = u8_at(section, 1);
    let end = usize::from(auth_len).clamp(3, section.len());
    let keyed = (2..=5).contains(&auth_type);
    let data_start = if keyed { 8 } else { 3 };
    Some(pb::BfdAuthHeader {
        auth_type: i32::from(auth_type),
        key_id: i32::from(u8_at(section, 2)),
        sequence_number: if keyed { be32(section, 4) } else { 0 },
        data: section.get(data_start..end).unwrap_or_default().to_vec(),
        auth_length: i32::from(auth_len),
    })
}

pub fn record(v: &BfdPacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::Bfd {
    pb::Bfd {
        timestamp,
        version: i32::from(v.version()),
        diagnostic: i32::from(v.diagnostic()),
        state: i32::from(v.state()),
        poll: v.poll(),
        r#final: v.final_(),
        control_plane_independent: v.control_plane_independent(),
        auth_present: v.auth_present(),
        demand: v.demand(),
        multipoint: v.multipoint(),
        detect_multiplier: i32::from(v.detect_multiplier()),
        my_discriminator: v.my_discriminator(),
        your_discriminator: v.your_discriminator(),
        desired_min_tx_interval: v.desired_min_tx_interval(),
        required_min_rx_interval: v.required_min_rx_interval(),
        required_min_echo_rx_interval: v.required_min_echo_rx_interval(),
        auth_header: if v.auth_present() { auth_header(v.auth_section()) } else { None },
        length: i32::from(v.length()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    fn rec(b: &[u8]) -> pb::Bfd {
        record(&BfdPacket::new_checked(b).expect("valid"), 0, &EncodeConfig::default())
    }

    /// tcpdump/tests/bfd-raw-auth-sha1.pcap frame 1.
    const SHA1: &str = "204405340000000100000000000f4240000f424000000000051c020000000005
                        010203040506070809101112131415161718191a";

    #[test]
    fn without_authentication() {
        // bfd_source_port_49152.pcap frame 1 (the case Go Netcap crashed on).
        // tshark: version 1, diag 0, state Up (3), C set, others clear,
        // detect mult 3, length 24, my 0x80000001, your 0x80000001,
        // intervals 100000/100000/0 us.
        let r = rec(&hex("20c803188000000180000001000186a0000186a000000000"));
        assert_eq!((r.version, r.diagnostic, r.state), (1, 0, 3));
        assert!(r.control_plane_independent);
        assert!(!(r.poll || r.r#final || r.auth_present || r.demand || r.multipoint));
        assert_eq!((r.detect_multiplier, r.length), (3, 24));
        assert_eq!((r.my_discriminator, r.your_discriminator), (0x8000_0001, 0x8000_0001));
        assert_eq!(
            (r.desired_min_tx_interval, r.required_min_rx_interval, r.required_min_echo_rx_interval),
            (100_000, 100_000, 0)
        );
        assert!(r.auth_header.is_none());
    }

    #[test]
    fn poll_flag() {
        // bfd-lag.pcap frame 1 (UDP 6784). tshark: state Down (1), Poll set,
        // detect mult 3, my 0x0de60837, intervals 1000000/300000/300000.
        let r = rec(&hex("20600318 0de60837 00000000 000f4240 000493e0 000493e0"));
        assert_eq!(r.state, 1);
        assert!(r.poll && !r.r#final);
        assert_eq!(r.my_discriminator, 0x0de6_0837);
        assert_eq!(r.required_min_echo_rx_interval, 300_000);
    }

    #[test]
    fn simple_password() {
        // bfd-raw-auth-simple.pcap frame 1. tshark: auth type 1, length 9,
        // key ID 2, password "secret".
        let r = rec(&hex("204405210000000100000000000f4240000f4240000000000109027365637265 74"));
        assert!(r.auth_present);
        assert_eq!((r.detect_multiplier, r.length), (5, 33));
        let a = r.auth_header.expect("auth");
        assert_eq!((a.auth_type, a.auth_length, a.key_id, a.sequence_number), (1, 9, 2, 0));
        assert_eq!(a.data, b"secret");
    }

    #[test]
    fn meticulous_keyed_sha1() {
        // tshark: type 5, length 28, key ID 2, sequence 0x00000005,
        // checksum 010203...191a.
        let a = rec(&hex(SHA1)).auth_header.expect("auth");
        assert_eq!((a.auth_type, a.auth_length, a.key_id, a.sequence_number), (5, 28, 2, 5));
        assert_eq!(a.data, hex("010203040506070809101112131415161718191a"));
    }

    #[test]
    fn truncated_auth_section_is_partial() {
        let b = hex(SHA1);
        assert!(rec(&b[..26]).auth_header.is_none());
        let a = rec(&b[..30]).auth_header.expect("auth");
        assert_eq!((a.auth_type, a.sequence_number), (5, 0));
        assert!(a.data.is_empty());
        assert!(BfdPacket::new_checked(&b[..23]).is_err());
    }

    #[test]
    fn hostile_input_never_panics() {
        let s = hex(SHA1);
        let mut next = crate::decode::test_util::xorshift(0x2545_f491_4f6c_dd1d);
        let cfg = EncodeConfig::default();
        for n in 0..=s.len() {
            if let Ok(v) = BfdPacket::new_checked(&s[..n]) {
                record(&v, 0, &cfg);
            }
        }
        for _ in 0..5000 {
            let mut m = s.clone();
            for _ in 0..1 + next() % 6 {
                let i = (next() as usize) % m.len();
                m[i] = next() as u8;
            }
            m.truncate((next() as usize) % (m.len() + 8));
            if let Ok(v) = BfdPacket::new_checked(&m) {
                record(&v, 0, &cfg);
            }
        }
    }
}

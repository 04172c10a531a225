//! NTP (RFC 5905), UDP port 123.
//!
//! Modes 0-5 share the 48-byte header, which may be followed by RFC 7822
//! extension fields and a MAC (key ID and digest). Extension fields are
//! read as tshark reads them: one after another while more than 24 bytes
//! (the largest MAC) remain; what is left then is the MAC. Mode 6
//! (control, RFC 9327) and mode 7 (ntpd's private "ntpdc" messages) have
//! short headers of their own (12 and 8 bytes); real captures carry them
//! (monitoring, the monlist amplification attacks), so they are decoded
//! into `Control` and `Private` instead of being rejected as short.
//!
//! Timestamps stay as sent (32.32 fixed point since 1900) and are also
//! given as Unix nanoseconds, with the era rule of RFC 4330 3: a most
//! significant bit of 0 means the era after 2036.

use super::wire::{be16, be32, ipv4_string, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const PORT: u16 = 123;
pub const HEADER_LEN: usize = 48;
pub const CONTROL_HEADER_LEN: usize = 12;
pub const PRIVATE_HEADER_LEN: usize = 8;
pub const MODE_CONTROL: u8 = 6;
pub const MODE_PRIVATE: u8 = 7;
/// The largest MAC (4-byte key ID and 20-byte SHA-1 digest).
const MAX_MAC_LEN: usize = 24;
/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const NTP_TO_UNIX_SECONDS: i64 = 2_208_988_800;

/// An NTP message whose header for its mode is known to be present.
#[derive(Clone, Copy)]
pub struct NtpPacket<'a> {
    buf: &'a [u8],
}

impl<'a> NtpPacket<'a> {
    /// Rejects a buffer shorter than its mode's header: 48 bytes, or 12
    /// for control and 8 for private messages.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let Some(&first) = buf.first() else {
            return Err(DecodeError::truncated("NTP", HEADER_LEN, 0));
        };
        let need = match first & 7 {
            MODE_CONTROL => CONTROL_HEADER_LEN,
            MODE_PRIVATE => PRIVATE_HEADER_LEN,
            _ => HEADER_LEN,
        };
        if buf.len() < need {
            return Err(DecodeError::truncated("NTP", need, buf.len()));
        }
        Ok(NtpPacket { buf })
    }
    pub fn leap_indicator(&self) -> u8 {
        u8_at(self.buf, 0) >> 6
    }
    pub fn version(&self) -> u8 {
        (u8_at(self.buf, 0) >> 3) & 7
    }
    pub fn mode(&self) -> u8 {
        u8_at(self.buf, 0) & 7
    }
    /// Whether the message has the 48-byte header (modes 0-5).
    pub fn is_standard(&self) -> bool {
        self.mode() < MODE_CONTROL
    }
    fn std_u8(&self, off: usize) -> u8 {
        if self.is_standard() {
            u8_at(self.buf, off)
        } else {
            0
        }
    }
    fn std_u32(&self, off: usize) -> u32 {
        if self.is_standard() {
            be32(self.buf, off)
        } else {
            0
        }
    }
    fn std_u64(&self, off: usize) -> u64 {
        (u64::from(self.std_u32(off)) << 32) | u64::from(self.std_u32(off + 4))
    }
    pub fn stratum(&self) -> u8 {
        self.std_u8(1)
    }
    pub fn poll(&self) -> i8 {
        self.std_u8(2) as i8
    }
    pub fn precision(&self) -> i8 {
        self.std_u8(3) as i8
    }
    pub fn root_delay(&self) -> u32 {
        self.std_u32(4)
    }
    pub fn root_dispersion(&self) -> u32 {
        self.std_u32(8)
    }
    pub fn reference_id(&self) -> u32 {
        self.std_u32(12)
    }
    pub fn reference_timestamp(&self) -> u64 {
        self.std_u64(16)
    }
    pub fn origin_timestamp(&self) -> u64 {
        self.std_u64(24)
    }
    pub fn receive_timestamp(&self) -> u64 {
        self.std_u64(32)
    }
    pub fn transmit_timestamp(&self) -> u64 {
        self.std_u64(40)
    }
    /// Modes 0-5: the bytes after the 48-byte header.
    pub fn extension_bytes(&self) -> &'a [u8] {
        if self.is_standard() {
            self.buf.get(HEADER_LEN..).unwrap_or_default()
        } else {
            &[]
        }
    }
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
}

/// Unix nanoseconds of an NTP timestamp (0 stays 0, tshark's "NULL").
/// The fraction is truncated to whole nanoseconds, as tshark does.
pub fn unix_nanos(ntp: u64) -> i64 {
    if ntp == 0 {
        return 0;
    }
    let seconds = (ntp >> 32) as i64;
    let era = if seconds & 0x8000_0000 == 0 { 1i64 << 32 } else { 0 };
    let nanos = (((ntp & 0xffff_ffff) * 1_000_000_000) >> 32) as i64;
    (seconds + era - NTP_TO_UNIX_SECONDS) * 1_000_000_000 + nanos
}

/// A 16.16 fixed-point value in seconds.
fn short_seconds(v: u32) -> f64 {
    f64::from(v) / 65536.0
}

/// Reference ID text: the ASCII code of stratum 0/1 (NULs and anything
/// unprintable dropped), else a dotted quad.
fn reference_id_text(stratum: u8, id: &[u8]) -> String {
    if stratum <= 1 {
        id.iter()
            .filter(|b| b.is_ascii_graphic() || **b == b' ')
            .map(|&b| b as char)
            .collect::<String>()
            .trim()
            .to_string()
    } else {
        ipv4_string(id)
    }
}

/// Extension fields and MAC after the header (modes 0-5): extension
/// fields while more than 24 bytes remain; a field with a length below 4
/// or past the end ends the walk and leaves no MAC (tshark does the same).
/// Returns (extensions, MAC present, key ID, digest).
pub fn parse_trailer(mut rest: &[u8]) -> (Vec<pb::NtpExtension>, bool, u32, Vec<u8>) {
    let mut out = Vec::new();
    while rest.len() > MAX_MAC_LEN {
        let len = usize::from(be16(rest, 2));
        if len < 4 || len > rest.len() {
            return (out, false, 0, Vec::new());
        }
        out.push(pb::NtpExtension {
            r#type: i32::from(be16(rest, 0)),
            length: len as i32,
            value: rest.get(4..len).unwrap_or_default().to_vec(),
        });
        rest = rest.get(len..).unwrap_or_default();
    }
    if rest.len() >= 4 {
        (out, true, be32(rest, 0), rest.get(4..).unwrap_or_default().to_vec())
    } else {
        (out, false, 0, Vec::new())
    }
}

fn control(b: &[u8]) -> pb::NtpControl {
    let flags = u8_at(b, 1);
    let count = be16(b, 10);
    let end = (CONTROL_HEADER_LEN + usize::from(count)).min(b.len());
    pb::NtpControl {
        response: flags & 0x80 != 0,
        error: flags & 0x40 != 0,
        more: flags & 0x20 != 0,
        opcode: i32::from(flags & 0x1f),
        sequence: i32::from(be16(b, 2)),
        status: i32::from(be16(b, 4)),
        association_id: i32::from(be16(b, 6)),
        offset: i32::from(be16(b, 8)),
        count: i32::from(count),
        data: b.get(CONTROL_HEADER_LEN..end).unwrap_or_default().to_vec(),
    }
}

fn private(b: &[u8]) -> pb::NtpPrivate {
    let (first, auth_seq) = (u8_at(b, 0), u8_at(b, 1));
    pb::NtpPrivate {
        response: first & 0x80 != 0,
        more: first & 0x40 != 0,
        auth: auth_seq & 0x80 != 0,
        sequence: i32::from(auth_seq & 0x7f),
        implementation: i32::from(u8_at(b, 2)),
        request_code: i32::from(u8_at(b, 3)),
        err: i32::from(u8_at(b, 4) >> 4),
        num_items: i32::from(be16(b, 4) & 0x0fff),
        item_size: i32::from(be16(b, 6) & 0x0fff),
        data: b.get(PRIVATE_HEADER_LEN..).unwrap_or_default().to_vec(),
    }
}

pub fn record(v: &NtpPacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::Ntp {
    let (extensions, mac_present, key_id, mac) = parse_trailer(v.extension_bytes());
    let id = if v.is_standard() { v.bytes().get(12..16).unwrap_or_default() } else { &[] };
    pb::Ntp {
        timestamp,
        leap_indicator: i32::from(v.leap_indicator()),
        version: i32::from(v.version()),
        mode: i32::from(v.mode()),
        stratum: i32::from(v.stratum()),
        poll: i32::from(v.poll()),
        precision: i32::from(v.precision()),
        root_delay: v.root_delay(),
        root_dispersion: v.root_dispersion(),
        reference_id: v.reference_id(),
        reference_timestamp: v.reference_timestamp(),
        origin_timestamp: v.origin_timestamp(),
        receive_timestamp: v.receive_timestamp(),
        transmit_timestamp: v.transmit_timestamp(),
        extension_bytes: v.extension_bytes().to_vec(),
        root_delay_seconds: short_seconds(v.root_delay()),
        root_dispersion_seconds: short_seconds(v.root_dispersion()),
        reference_id_text: if id.is_empty() { String::new() } else { reference_id_text(v.stratum(), id) },
        timestamp_reference: unix_nanos(v.reference_timestamp()),
        timestamp_origin: unix_nanos(v.origin_timestamp()),
        timestamp_receive: unix_nanos(v.receive_timestamp()),
        timestamp_transmit: unix_nanos(v.transmit_timestamp()),
        extensions,
        mac_present,
        key_id,
        mac,
        control: (v.mode() == MODE_CONTROL).then(|| control(v.bytes())),
        private: (v.mode() == MODE_PRIVATE).then(|| private(v.bytes())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    fn rec(b: &[u8]) -> pb::Ntp {
        record(&NtpPacket::new_checked(b).expect("valid"), 7, &EncodeConfig::default())
    }

    /// tcpdump/tests/ntp.pcap frame 4: server reply with a SHA-1 MAC.
    const SERVER_SHA1: &str = "240200e9000027cf000000670a051b0adcf25be5b86d5655ae9d0aa81b8971a7
        dcf25be67e92d240dcf25be67e9a9fc900000008629990a7fc22cc8467dd88b7af2d220dbe3287d6";

    #[test]
    fn server_reply_with_mac() {
        // tshark: li 0, vn 4, mode 4, stratum 2, ppoll 0, precision 233,
        // rootdelay 10191, rootdispersion 103, refid 0a051b0a (10.5.27.10),
        // reftime Jun 19, 2017 14:19:17.720418353 UTC, xmt Jun 19, 2017
        // 14:19:18.494546877 UTC, keyid 00000008, mac 629990a7...3287d6.
        let r = rec(&hex(SERVER_SHA1));
        assert_eq!((r.leap_indicator, r.version, r.mode, r.stratum), (0, 4, 4, 2));
        assert_eq!((r.poll, r.precision as u8), (0, 233));
        assert_eq!((r.root_delay, r.root_dispersion), (10191, 103));
        assert_eq!(r.reference_id, 0x0a05_1b0a);
        assert_eq!(r.reference_id_text, "10.5.27.10");
        assert_eq!(r.timestamp_reference, 1_497_881_957_720_418_353);
        assert_eq!(r.timestamp_transmit, 1_497_881_958_494_546_877);
        assert_eq!(r.transmit_timestamp, 0xdcf2_5be6_7e9a_9fc9);
        assert!(r.mac_present);
        assert_eq!(r.key_id, 8);
        assert_eq!(r.mac, hex("629990a7fc22cc8467dd88b7af2d220dbe3287d6"));
        assert!(r.extensions.is_empty());
        assert_eq!(r.extension_bytes.len(), 24);
        assert!(r.control.is_none() && r.private.is_none());
        // Every prefix shorter than the header is rejected.
        let b = hex(SERVER_SHA1);
        assert!(NtpPacket::new_checked(&b[..47]).is_err());
        assert!(NtpPacket::new_checked(&[]).is_err());
    }

    #[test]
    fn crypto_nak_and_kiss_code() {
        // ntp.pcap frame 2: stratum 0, refid "STEP" (kiss code), keyid 0 alone.
        let r = rec(&hex("e40003e9000000000000005a535445500000000000000000a4b39cd101fb24bf
             dcf25a3984199119dcf25a39841d6dc500000000"));
        assert_eq!((r.leap_indicator, r.mode, r.stratum, r.poll), (3, 4, 0, 3));
        assert_eq!(r.reference_id_text, "STEP");
        assert_eq!(r.reference_id, 0x5354_4550);
        assert_eq!(r.timestamp_reference, 0); // NULL
        assert!(r.mac_present);
        assert_eq!(r.key_id, 0);
        assert!(r.mac.is_empty());
        // tshark: origin Jul 25, 1987 21:08:33.007738396 UTC.
        assert_eq!(r.timestamp_origin, 554_245_713_007_738_396);
    }

    #[test]
    fn nts_extension_fields() {
        // ntp-time-ef.pcap frame 1: four extension fields, no MAC. tshark:
        // types 0x0104 (len 36), 0x0204 (104), 0x0304 (104), 0x0404 (40);
        // xmt Nov 16, 2015 22:33:35.307509582 UTC; ppoll 6, precision 32.
        let b = hex("2300062000000000000000000000000000000000000000000000000000000000
             0000000000000000d9f4d83f4eb8f2b0010400245cf06d7094cf5c5e6ce92591
             e9f67804132e43b9c0fe6ef874ecd7eab5d36ebf0204006800f4ef409e5c9d23
             0bf474cb3998e81b86d09528258260ae3bc90c75b072548dd975ff2fdc9c63c2
             add1968231e33b7da69f7b4f52cab002468f855962d2d71cb59799fdaffc5c62
             1e512efc7f5f33044591d9651943d1055a1d651bb94326a4da8dc2ac03040068
             0000000000000000000000000000000000000000000000000000000000000000
             0000000000000000000000000000000000000000000000000000000000000000
             0000000000000000000000000000000000000000000000000000000000000000
             000000000404002800100010be301336d3eb3cadce3e94c14fbbd15535e937b9
             638dfaa3c4c9f1b81e447d3d");
        let r = rec(&b);
        assert_eq!((r.poll, r.precision), (6, 32));
        let types: Vec<(i32, i32)> = r.extensions.iter().map(|e| (e.r#type, e.length)).collect();
        assert_eq!(types, vec![(0x0104, 36), (0x0204, 104), (0x0304, 104), (0x0404, 40)]);
        assert_eq!(r.extensions[0].value, hex("5cf06d7094cf5c5e6ce92591e9f67804132e43b9c0fe6ef874ecd7eab5d36ebf"));
        assert!(!r.mac_present);
        assert_eq!(r.timestamp_transmit, 1_447_713_215_307_509_582);
    }

    #[test]
    fn era_one_timestamp() {
        // ntp.pcap frame 3: tshark shows the origin timestamp as Jun 19, 2017
        // 14:19:17.473833108 UTC and the receive timestamp (most significant
        // bit 0) as Mar 22, 2093 03:56:41.693999877 UTC.
        let r = rec(&hex("230000200000000000000000000000000000000000000000dcf25be5794d206a
             6b70caf9b1a9f9d9ae9d0aa81b8971a7000000088b7e640979156264f3faa5ae
             979656dd86502431"));
        assert_eq!(r.timestamp_origin, 1_497_881_957_473_833_108);
        assert_eq!(r.timestamp_receive, 3_888_532_601_693_999_877);
        // tshark: xmt Oct 31, 1992 13:37:44.107565978 UTC.
        assert_eq!(r.timestamp_transmit, 720_538_664_107_565_978);
    }

    #[test]
    fn control_message() {
        // ntp-control.pcap frame 4. tshark: r 1, error 0, more 0, opcode 1,
        // sequence 69, status 0x0618, associd 0, offset 0, count 20.
        let r = rec(&hex("168100450618000000000014bebd961abebc8011bebb8011beba8011beb98011"));
        assert_eq!((r.version, r.mode, r.stratum), (2, 6, 0));
        let c = r.control.expect("control header");
        assert!(c.response && !c.error && !c.more);
        assert_eq!((c.opcode, c.sequence, c.status, c.association_id, c.offset, c.count), (1, 69, 0x0618, 0, 0, 20));
        assert_eq!(c.data.len(), 20);
        assert!(r.extension_bytes.is_empty() && r.reference_id_text.is_empty());
        // The 12-byte request of frame 1 is complete; 11 bytes are not.
        let req = hex("160200440000000000000000");
        assert_eq!(rec(&req).control.expect("control").opcode, 2);
        assert!(NtpPacket::new_checked(&req[..11]).is_err());
    }

    #[test]
    fn private_message() {
        // ntp-mode7.pcap frame 2. tshark: r 1, more 0, auth 0, seq 0, impl 3,
        // reqcode 28, err 0, numitems 1, itemsize 36.
        let r = rec(&hex("9700031c000100240050606a0000000a0000000e0000000000002866000029d3
             00001595000000000000650a"));
        assert_eq!((r.version, r.mode), (2, 7));
        let p = r.private.expect("private header");
        assert!(p.response && !p.more && !p.auth);
        assert_eq!((p.sequence, p.implementation, p.request_code, p.err), (0, 3, 28, 0));
        assert_eq!((p.num_items, p.item_size, p.data.len()), (1, 36, 36));
    }

    #[test]
    fn bad_extension_length_stops_without_mac() {
        let mut b = hex(SERVER_SHA1);
        b.truncate(48);
        b.extend_from_slice(&[0, 1, 0, 2]); // length 2 < 4
        b.extend_from_slice(&[0; 28]);
        let r = rec(&b);
        assert!(r.extensions.is_empty() && !r.mac_present);
        b[50..52].copy_from_slice(&[0xff, 0xff]); // past the end
        assert!(!rec(&b).mac_present);
    }

    #[test]
    fn hostile_input_never_panics() {
        let samples = [hex(SERVER_SHA1), hex("168100450618000000000014bebd961abebc8011"), hex("9700031c00010024")];
        let mut next = crate::decode::test_util::xorshift(0x9e37_79b9_7f4a_7c15);
        let cfg = EncodeConfig::default();
        for s in &samples {
            for n in 0..=s.len() {
                if let Ok(v) = NtpPacket::new_checked(&s[..n]) {
                    record(&v, 0, &cfg);
                }
            }
            for _ in 0..3000 {
                let mut m = s.clone();
                for _ in 0..1 + next() % 6 {
                    let i = (next() as usize) % m.len();
                    m[i] = next() as u8;
                }
                m.truncate((next() as usize) % (m.len() + 16));
                if let Ok(v) = NtpPacket::new_checked(&m) {
                    record(&v, 0, &cfg);
                }
            }
        }
    }
}

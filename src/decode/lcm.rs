//! LCM, Lightweight Communications and Marshalling: its UDP multicast
//! protocol ("LCM UDP Multicast Protocol Description",
//! https://lcm-proj.github.io/lcm/content/udp-multicast-protocol.html,
//! and `lcm2_header_short`/`lcm2_header_long` in lcm-proj/lcm's
//! lcm/udpm_util.h). LCM has no fixed port (the multicast group and port
//! are configured), so datagrams are recognised by their magic number.
//!
//! A small message is one datagram: magic 0x4c433032 ("LC02"), sequence
//! number, the NUL-terminated UTF-8 channel name, the payload. A large
//! message is sent in fragments, each with a 20-byte header: magic
//! 0x4c433033 ("LC03"), sequence number, payload size, fragment offset,
//! fragment number (16 bits), number of fragments (16 bits); the first
//! fragment (number 0) has the channel name after the header. All numbers
//! are big-endian. Fragments are not reassembled: one record per datagram.
//!
//! A channel name without its NUL (a cut datagram) is taken up to the end;
//! its payload is then empty.

use super::wire::{be16, be32};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const MAGIC_SHORT: u32 = 0x4c43_3032;
pub const MAGIC_FRAGMENT: u32 = 0x4c43_3033;
pub const SHORT_HEADER_LEN: usize = 8;
pub const FRAGMENT_HEADER_LEN: usize = 20;
/// LCM_MAX_CHANNEL_NAME_LENGTH of lcm.h; longer names are cut there.
pub const MAX_CHANNEL_NAME_LEN: usize = 63;

/// Whether a UDP payload starts with an LCM magic number.
pub fn has_magic(payload: &[u8]) -> bool {
    matches!(be32(payload, 0), MAGIC_SHORT | MAGIC_FRAGMENT)
}

/// An LCM datagram whose header (8 bytes, or 20 for a fragment) is present.
#[derive(Clone, Copy)]
pub struct LcmDatagram<'a> {
    buf: &'a [u8],
}

impl<'a> LcmDatagram<'a> {
    /// Rejects an unknown magic number and a header cut short.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < SHORT_HEADER_LEN {
            return Err(DecodeError::truncated("LCM", SHORT_HEADER_LEN, buf.len()));
        }
        let need = match be32(buf, 0) {
            MAGIC_SHORT => SHORT_HEADER_LEN,
            MAGIC_FRAGMENT => FRAGMENT_HEADER_LEN,
            _ => return Err(DecodeError::malformed("LCM", "unknown magic number")),
        };
        if buf.len() < need {
            return Err(DecodeError::truncated("LCM", need, buf.len()));
        }
        Ok(LcmDatagram { buf })
    }
    pub fn magic(&self) -> u32 {
        be32(self.buf, 0)
    }
    pub fn fragmented(&self) -> bool {
        self.magic() == MAGIC_FRAGMENT
    }
    pub fn sequence_number(&self) -> u32 {
        be32(self.buf, 4)
    }
    fn fragment_u32(&self, off: usize) -> u32 {
        if self.fragmented() {
            be32(self.buf, off)
        } else {
            0
        }
    }
    /// Fragments: the size of the whole message's payload.
    pub fn message_payload_size(&self) -> u32 {
        self.fragment_u32(8)
    }
    pub fn fragment_offset(&self) -> u32 {
        self.fragment_u32(12)
    }
    pub fn fragment_number(&self) -> u16 {
        if self.fragmented() {
            be16(self.buf, 16)
        } else {
            0
        }
    }
    pub fn total_fragments(&self) -> u16 {
        if self.fragmented() {
            be16(self.buf, 18)
        } else {
            0
        }
    }
    /// Whether the channel name follows the header (small messages and
    /// the first fragment).
    pub fn has_channel(&self) -> bool {
        !self.fragmented() || self.fragment_number() == 0
    }
    fn after_header(&self) -> &'a [u8] {
        let start = if self.fragmented() { FRAGMENT_HEADER_LEN } else { SHORT_HEADER_LEN };
        self.buf.get(start..).unwrap_or_default()
    }
    /// (channel name bytes, payload bytes).
    pub fn channel_and_payload(&self) -> (&'a [u8], &'a [u8]) {
        let rest = self.after_header();
        if !self.has_channel() {
            return (&[], rest);
        }
        match rest.iter().position(|&b| b == 0) {
            Some(nul) => (rest.get(..nul).unwrap_or_default(), rest.get(nul + 1..).unwrap_or_default()),
            None => (rest, &[]),
        }
    }
}

pub fn record(v: &LcmDatagram, timestamp: i64, cfg: &EncodeConfig) -> pb::Lcm {
    let (channel, payload) = v.channel_and_payload();
    let channel = channel.get(..MAX_CHANNEL_NAME_LEN).unwrap_or(channel);
    let fingerprint = match payload.get(..8) {
        Some(b) if v.has_channel() => u64::from_be_bytes(b.try_into().unwrap_or_default()),
        _ => 0,
    };
    pb::Lcm {
        timestamp,
        magic: v.magic(),
        sequence_number: v.sequence_number(),
        payload_size: if v.fragmented() { v.message_payload_size() } else { payload.len() as u32 },
        fragment_offset: v.fragment_offset(),
        fragment_number: i32::from(v.fragment_number()),
        total_fragments: i32::from(v.total_fragments()),
        channel_name: String::from_utf8_lossy(channel).into_owned(),
        fragmented: v.fragmented(),
        fingerprint,
        payload: if cfg.include_payload { payload.to_vec() } else { Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // No shared capture carries LCM and tshark has no LCM dissector, so
    // these datagrams are built from the protocol description cited above.

    fn small(seq: u32, channel: &str, payload: &[u8]) -> Vec<u8> {
        let mut b = b"LC02".to_vec();
        b.extend_from_slice(&seq.to_be_bytes());
        b.extend_from_slice(channel.as_bytes());
        b.push(0);
        b.extend_from_slice(payload);
        b
    }

    fn fragment(seq: u32, size: u32, offset: u32, number: u16, total: u16, channel: &str, data: &[u8]) -> Vec<u8> {
        let mut b = b"LC03".to_vec();
        for v in [seq, size, offset] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&number.to_be_bytes());
        b.extend_from_slice(&total.to_be_bytes());
        if number == 0 {
            b.extend_from_slice(channel.as_bytes());
            b.push(0);
        }
        b.extend_from_slice(data);
        b
    }

    fn rec(b: &[u8], include_payload: bool) -> pb::Lcm {
        record(&LcmDatagram::new_checked(b).expect("valid"), 0, &EncodeConfig { include_payload })
    }

    /// An lcm-gen encoded message starts with its type's 8-byte fingerprint.
    const FINGERPRINT: [u8; 8] = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];

    #[test]
    fn small_message() {
        let mut payload = FINGERPRINT.to_vec();
        payload.extend_from_slice(&[1, 2, 3]);
        let b = small(7, "ODOMETRY", &payload);
        assert_eq!(&b[..4], &[0x4c, 0x43, 0x30, 0x32]);
        assert!(has_magic(&b));
        let r = rec(&b, true);
        assert_eq!((r.magic, r.sequence_number, r.fragmented), (0x4c43_3032, 7, false));
        assert_eq!(r.channel_name, "ODOMETRY");
        assert_eq!((r.payload_size, r.fragment_offset, r.fragment_number, r.total_fragments), (11, 0, 0, 0));
        assert_eq!(r.fingerprint, 0x1234_5678_9abc_def0);
        assert_eq!(r.payload, payload);
        assert!(rec(&b, false).payload.is_empty());
    }

    #[test]
    fn fragmented_message() {
        // A 100 000-byte message in two fragments of 65 000 and 35 000 bytes.
        let mut first_data = FINGERPRINT.to_vec();
        first_data.resize(65_000 - "CAMERA".len() - 1, 0xaa);
        let first = fragment(9, 100_000, 0, 0, 2, "CAMERA", &first_data);
        let r = rec(&first, false);
        assert_eq!((r.magic, r.sequence_number, r.fragmented), (0x4c43_3033, 9, true));
        assert_eq!((r.payload_size, r.fragment_offset, r.fragment_number, r.total_fragments), (100_000, 0, 0, 2));
        assert_eq!(r.channel_name, "CAMERA");
        assert_eq!(r.fingerprint, 0x1234_5678_9abc_def0);

        let second = fragment(9, 100_000, first_data.len() as u32, 1, 2, "", &[0xbb; 35_000]);
        let r = rec(&second, true);
        assert_eq!((r.fragment_offset, r.fragment_number, r.total_fragments), (first_data.len() as u32, 1, 2));
        assert_eq!(r.channel_name, "");
        assert_eq!(r.fingerprint, 0);
        assert_eq!(r.payload.len(), 35_000);
    }

    #[test]
    fn cut_and_unknown_datagrams() {
        // A channel name without its NUL runs to the end.
        let mut b = small(1, "POSE", &[]);
        b.pop();
        let r = rec(&b, true);
        assert_eq!((r.channel_name.as_str(), r.payload_size), ("POSE", 0));
        // A fragment header needs 20 bytes; any datagram 8.
        let f = fragment(1, 10, 0, 0, 1, "X", &[]);
        assert!(LcmDatagram::new_checked(&f[..19]).is_err());
        assert!(LcmDatagram::new_checked(&f[..7]).is_err());
        assert!(LcmDatagram::new_checked(b"LC04\0\0\0\0").is_err());
        assert!(!has_magic(b"LC0") && !has_magic(b"LC01xxxx"));
        // Overlong channel names are cut at 63 bytes.
        let long = "C".repeat(200);
        assert_eq!(rec(&small(1, &long, &[]), false).channel_name.len(), MAX_CHANNEL_NAME_LEN);
    }

    #[test]
    fn hostile_input_never_panics() {
        let samples = [small(3, "CHAN", &FINGERPRINT), fragment(4, 99, 0, 0, 3, "CH", &FINGERPRINT)];
        let mut next = crate::decode::test_util::xorshift(0x0bad_cafe_dead_beef);
        let cfg = EncodeConfig { include_payload: true };
        for s in &samples {
            for n in 0..=s.len() {
                if let Ok(v) = LcmDatagram::new_checked(&s[..n]) {
                    record(&v, 0, &cfg);
                }
            }
            for _ in 0..3000 {
                let mut m = s.clone();
                for _ in 0..1 + next() % 4 {
                    // Leave the magic mostly intact so the body gets exercised.
                    let i = 3 + (next() as usize) % (m.len() - 3);
                    m[i] = next() as u8;
                }
                m.truncate((next() as usize) % (m.len() + 8));
                if let Ok(v) = LcmDatagram::new_checked(&m) {
                    record(&v, 0, &cfg);
                }
            }
        }
    }
}

//! Modbus/TCP (MODBUS Messaging on TCP/IP Implementation Guide V1.0b,
//! MODBUS Application Protocol V1.1b3), TCP port 502.
//!
//! Each frame is a 7-byte MBAP header (transaction ID, protocol ID 0,
//! Length, unit ID) followed by the PDU (function code and data); Length
//! counts the unit ID and the PDU. One TCP segment may hold several
//! frames, or part of one: [`split`] cuts a segment into frames. The
//! frame check follows Wireshark's: protocol ID 0 and a Length of at
//! least 2 (unit ID and function code), else the bytes are not Modbus.
//! An exception response is the request's function code with 0x80 set,
//! followed by one exception code byte.

use super::wire::{be16, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const PORT: u16 = 502;
/// MBAP header.
pub const MBAP_LEN: usize = 7;
/// MBAP header and function code.
pub const MIN_FRAME_LEN: usize = 8;
/// Most frames [`split`] yields from one segment (a 64 KiB segment of
/// the smallest frames would hold 8192).
pub const MAX_FRAMES_PER_SEGMENT: usize = 1024;

/// A Modbus/TCP frame whose MBAP header and function code are present.
#[derive(Clone, Copy)]
pub struct ModbusTcpFrame<'a> {
    buf: &'a [u8],
}

impl<'a> ModbusTcpFrame<'a> {
    /// Rejects fewer than 8 bytes, a protocol ID other than 0 and a
    /// Length below 2. The frame may be shorter than its Length says (the
    /// rest is in a later segment).
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < MIN_FRAME_LEN {
            return Err(DecodeError::truncated("ModbusTCP", MIN_FRAME_LEN, buf.len()));
        }
        let f = ModbusTcpFrame { buf };
        if f.protocol_identifier() != 0 {
            return Err(DecodeError::malformed("ModbusTCP", "protocol identifier is not 0 (not Modbus)"));
        }
        if f.length() < 2 {
            return Err(DecodeError::malformed("ModbusTCP", "length below 2 (no function code)"));
        }
        Ok(f)
    }
    pub fn transaction_identifier(&self) -> u16 {
        be16(self.buf, 0)
    }
    pub fn protocol_identifier(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn length(&self) -> u16 {
        be16(self.buf, 4)
    }
    pub fn unit_identifier(&self) -> u8 {
        u8_at(self.buf, 6)
    }
    /// As sent, the exception bit included.
    pub fn function_code(&self) -> u8 {
        u8_at(self.buf, 7)
    }
    pub fn is_exception(&self) -> bool {
        self.function_code() >= 0x80
    }
    /// The exception code of an exception response (0 when absent).
    pub fn exception_code(&self) -> u8 {
        if self.is_exception() {
            u8_at(self.buf, 8)
        } else {
            0
        }
    }
    /// The PDU: function code and data, cut at the Length field.
    pub fn pdu(&self) -> &'a [u8] {
        let end = (6 + usize::from(self.length())).min(self.buf.len());
        self.buf.get(MBAP_LEN..end).unwrap_or_default()
    }
}

/// The frames of one TCP segment, by their Length fields: every complete
/// frame, then a last one cut short as it is (it continues in a later
/// segment). A segment shorter than a frame header comes out whole (the
/// view reports it as truncated); a shorter tail after other frames is the
/// start of a frame of the next segment and is dropped, as Wireshark
/// leaves it undecoded. A Length below 2 ends the walk (that frame comes
/// out with all the bytes after it). At most [`MAX_FRAMES_PER_SEGMENT`].
pub fn split(payload: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = payload;
    let mut first = true;
    std::iter::from_fn(move || {
        if rest.is_empty() || (!first && rest.len() < MIN_FRAME_LEN) {
            return None;
        }
        first = false;
        let declared = 6 + usize::from(be16(rest, 4));
        if declared < MIN_FRAME_LEN {
            return Some(std::mem::take(&mut rest));
        }
        let (frame, tail) = rest.split_at(declared.min(rest.len()));
        rest = tail;
        Some(frame)
    })
    .take(MAX_FRAMES_PER_SEGMENT)
}

pub fn record(v: &ModbusTcpFrame, timestamp: i64, cfg: &EncodeConfig) -> pb::ModbusTcp {
    pb::ModbusTcp {
        timestamp,
        transaction_identifier: i32::from(v.transaction_identifier()),
        protocol_identifier: i32::from(v.protocol_identifier()),
        length: i32::from(v.length()),
        unit_identifier: i32::from(v.unit_identifier()),
        function_code: i32::from(v.function_code()),
        exception: v.is_exception(),
        exception_code: i32::from(v.exception_code()),
        payload: if cfg.include_payload { v.pdu().to_vec() } else { Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    fn rec(b: &[u8], include_payload: bool) -> pb::ModbusTcp {
        record(&ModbusTcpFrame::new_checked(b).expect("valid"), 0, &EncodeConfig { include_payload })
    }

    #[test]
    fn read_input_registers() {
        // pcapplusplus modbusFrames.pcap frame 1. tshark: transaction 17,
        // protocol 0, length 6, unit 255, function 4 (reference 600, count 100).
        let b = hex("001100000006ff0402580064");
        let r = rec(&b, true);
        assert_eq!((r.transaction_identifier, r.protocol_identifier, r.length, r.unit_identifier), (17, 0, 6, 255));
        assert_eq!((r.function_code, r.exception, r.exception_code), (4, false, 0));
        assert_eq!(r.payload, hex("0402580064"));
        assert!(rec(&b, false).payload.is_empty());
    }

    #[test]
    fn write_multiple_coils_request_and_response() {
        // zeek modbusSmall.pcap frames 4 and 6. tshark: transaction 1,
        // length 8 then 6, unit 1, function 15.
        let r = rec(&hex("000100000008010f000000030100"), false);
        assert_eq!((r.transaction_identifier, r.length, r.unit_identifier, r.function_code), (1, 8, 1, 15));
        let r = rec(&hex("000100000006010f00000003"), false);
        assert_eq!((r.length, r.function_code), (6, 15));
    }

    #[test]
    fn exception_response() {
        // Built from the specification (no shared capture has one) and
        // checked with tshark 4.0: transaction 42, length 3, unit 1,
        // function code 3 (tshark masks the 0x80 bit), exception code 2.
        let r = rec(&hex("002a00000003018302"), true);
        assert_eq!((r.transaction_identifier, r.length, r.unit_identifier), (42, 3, 1));
        assert_eq!((r.function_code, r.exception, r.exception_code), (0x83, true, 2));
        assert_eq!(r.payload, hex("8302"));
    }

    #[test]
    fn rejects_what_is_not_modbus() {
        // tshark 4.0 leaves these as "data": protocol ID 1; Length 1.
        assert!(ModbusTcpFrame::new_checked(&hex("002a00010003018302")).is_err());
        assert!(ModbusTcpFrame::new_checked(&hex("002a000000010183")).is_err());
        assert!(ModbusTcpFrame::new_checked(&hex("002a0000000101")).is_err());
    }

    #[test]
    fn split_segments() {
        // Two requests in one segment (tshark 4.0: transactions 1 and 2,
        // functions 3 and 4).
        let two = hex("000100000006010300000002 000200000006010400100001");
        let frames: Vec<&[u8]> = split(&two).collect();
        assert_eq!(frames, vec![&two[..12], &two[12..]]);
        // A complete frame and the start of one that continues (tshark 4.0:
        // transactions 3 and 4, the second with length 255 and function 16).
        let cut = hex("000300000006010300000002 0004000000ff0110000a");
        let frames: Vec<&[u8]> = split(&cut).collect();
        assert_eq!(frames.len(), 2);
        let r = rec(frames[1], true);
        assert_eq!((r.transaction_identifier, r.length, r.function_code), (4, 255, 16));
        assert_eq!(r.payload, hex("10000a"));
        // A short tail after a frame is dropped; a short segment comes out whole.
        let tail = hex("002a00000003018302 002b0000");
        assert_eq!(split(&tail).count(), 1);
        assert_eq!(split(&tail[9..]).collect::<Vec<_>>(), vec![&tail[9..]]);
        assert_eq!(split(&[]).count(), 0);
        // Length 0 ends the walk with the rest.
        let zero = hex("000100000000 01030000 0002");
        assert_eq!(split(&zero).collect::<Vec<_>>(), vec![&zero[..]]);
    }

    #[test]
    fn split_is_bounded() {
        let many: Vec<u8> = std::iter::repeat_n(hex("0001000000020103"), 5000).flatten().collect();
        assert_eq!(split(&many).count(), MAX_FRAMES_PER_SEGMENT);
    }

    #[test]
    fn hostile_input_never_panics() {
        let s = hex("000300000006010300000002 0004000000ff0110000a");
        let mut next = crate::decode::test_util::xorshift(0x1234_5678_9abc_def1);
        let cfg = EncodeConfig { include_payload: true };
        let run = |b: &[u8]| {
            for f in split(b) {
                if let Ok(v) = ModbusTcpFrame::new_checked(f) {
                    record(&v, 0, &cfg);
                }
            }
        };
        for n in 0..=s.len() {
            run(&s[..n]);
        }
        for _ in 0..5000 {
            let mut m = s.clone();
            for _ in 0..1 + next() % 6 {
                let i = (next() as usize) % m.len();
                m[i] = next() as u8;
            }
            m.truncate((next() as usize) % (m.len() + 8));
            run(&m);
        }
    }
}

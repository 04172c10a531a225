//! The Ethernet Configuration Testing Protocol ("loopback"), EtherType
//! 0x9000: section 8 of The Ethernet, Version 2.0 (DEC, Intel, Xerox,
//! 1982); see also http://stuff.mit.edu/people/jhawk/ctp.html. tshark
//! calls it `loop` (epan/dissectors/packet-loop.c), gopacket EthernetCTP,
//! EthernetCTPForwardData and EthernetCTPReply (layers/ctp.go).
//!
//! A message is a skipCount, then a list of functions, each a 2-byte
//! function code and its arguments: forward data (2) with the 6-byte
//! address of the station to send the message to next, or reply (1) with
//! a 2-byte receipt number and the data to return. Unlike everything else
//! on Ethernet, skipCount, function codes and receipt numbers are
//! little-endian. skipCount is the offset, after the skipCount field, of
//! the function the receiving station must carry out; each station that
//! forwards the message adds 8 to it.
//!
//! The function list is read the way tshark reads it: from the first
//! function, through forward-data functions, up to a reply or an unknown
//! code (or the end of the bytes). The current function is the one that
//! starts exactly at the skipCount offset (tshark's
//! `loop.relevant_function`); a skipCount that points elsewhere (past
//! the list, into an address, odd) gives none. gopacket instead refuses
//! odd skipCounts and ignores skipCount when walking the list.
//!
//! One `EthernetCTP` record per message; one `EthernetCTPReply` record
//! ([`reply_record`]) only when the current function is the reply, i.e.
//! the message has arrived at the station that consumes it.

use super::wire::{le16, mac_string};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const ETHERTYPE: u16 = 0x9000;
pub const FUNCTION_REPLY: u16 = 1;
pub const FUNCTION_FORWARD_DATA: u16 = 2;

const SKIP_COUNT_LEN: usize = 2;
const FUNCTION_CODE_LEN: usize = 2;
const FORWARD_ADDRESS_LEN: usize = 6;
const RECEIPT_NUMBER_LEN: usize = 2;
/// The skipCount and one function code.
pub const MIN_LEN: usize = SKIP_COUNT_LEN + FUNCTION_CODE_LEN;
/// Most functions read from one message: a 1500-byte message holds at
/// most 187 forward-data functions (8 bytes each).
pub const MAX_FUNCTIONS: usize = 256;

/// One function of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtpFunction<'a> {
    /// Offset of the function code from the start of the message (the
    /// skipCount field included): the current function's is skipCount + 2.
    pub offset: usize,
    pub code: u16,
    /// Forward data: the 6-byte address (empty when cut short); else empty.
    pub forward_address: &'a [u8],
    /// Reply: the receipt number (0 when cut short); else 0.
    pub receipt_number: u16,
    /// Reply: the bytes after the receipt number; else empty.
    pub data: &'a [u8],
}

/// The functions of a message, in order; see the module comment.
pub struct CtpFunctions<'a> {
    buf: &'a [u8],
    offset: usize,
    count: usize,
    done: bool,
}

impl<'a> Iterator for CtpFunctions<'a> {
    type Item = CtpFunction<'a>;

    fn next(&mut self) -> Option<CtpFunction<'a>> {
        if self.done || self.count >= MAX_FUNCTIONS {
            return None;
        }
        let offset = self.offset;
        let args = offset.saturating_add(FUNCTION_CODE_LEN);
        if self.buf.len() < args {
            self.done = true;
            return None;
        }
        self.count += 1;
        let mut f =
            CtpFunction { offset, code: le16(self.buf, offset), forward_address: &[], receipt_number: 0, data: &[] };
        match f.code {
            FUNCTION_FORWARD_DATA => match self.buf.get(args..args + FORWARD_ADDRESS_LEN) {
                Some(addr) => {
                    f.forward_address = addr;
                    self.offset = args + FORWARD_ADDRESS_LEN;
                }
                None => self.done = true,
            },
            FUNCTION_REPLY => {
                f.receipt_number = le16(self.buf, args);
                f.data = self.buf.get(args + RECEIPT_NUMBER_LEN..).unwrap_or_default();
                self.done = true;
            }
            _ => self.done = true,
        }
        Some(f)
    }
}

/// A CTP message with its skipCount and first function code present.
#[derive(Clone, Copy)]
pub struct EthernetCtp<'a> {
    buf: &'a [u8],
}

impl<'a> EthernetCtp<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < MIN_LEN {
            return Err(DecodeError::truncated("EthernetCTP", MIN_LEN, buf.len()));
        }
        Ok(EthernetCtp { buf })
    }
    /// skipCount (little-endian): the current function's offset after
    /// this field.
    pub fn skip_count(&self) -> u16 {
        le16(self.buf, 0)
    }
    /// The function list, from the first function.
    pub fn functions(&self) -> CtpFunctions<'a> {
        CtpFunctions { buf: self.buf, offset: SKIP_COUNT_LEN, count: 0, done: false }
    }
    /// The function at the skipCount offset, if one of the list starts there.
    pub fn current_function(&self) -> Option<CtpFunction<'a>> {
        let at = SKIP_COUNT_LEN + usize::from(self.skip_count());
        self.functions().take_while(|f| f.offset <= at).find(|f| f.offset == at)
    }
    /// The bytes after the function list (a reply's data is part of it):
    /// what tshark hands to its `data` dissector.
    pub fn payload(&self) -> &'a [u8] {
        let mut end = SKIP_COUNT_LEN;
        for f in self.functions() {
            end = f.offset + FUNCTION_CODE_LEN;
            match f.code {
                FUNCTION_FORWARD_DATA => end += f.forward_address.len(),
                FUNCTION_REPLY => end += RECEIPT_NUMBER_LEN,
                _ => {}
            }
        }
        self.buf.get(end..).unwrap_or_default()
    }
}

fn function_record(f: &CtpFunction) -> pb::EthernetCtpFunction {
    pb::EthernetCtpFunction {
        function: i32::from(f.code),
        forward_address: if f.forward_address.is_empty() { String::new() } else { mac_string(f.forward_address) },
        receipt_number: u32::from(f.receipt_number),
    }
}

pub fn record(v: &EthernetCtp, timestamp: i64, _cfg: &EncodeConfig) -> pb::EthernetCtp {
    let current = v.current_function();
    pb::EthernetCtp {
        timestamp,
        skip_count: u32::from(v.skip_count()),
        function: current.map_or(0, |f| i32::from(f.code)),
        forward_address: match current {
            Some(f) if !f.forward_address.is_empty() => mac_string(f.forward_address),
            _ => String::new(),
        },
        functions: v.functions().map(|f| function_record(&f)).collect(),
    }
}

/// The reply record, when the current function is the reply.
pub fn reply_record(v: &EthernetCtp, timestamp: i64, cfg: &EncodeConfig) -> Option<pb::EthernetCtpReply> {
    let f = v.current_function().filter(|f| f.code == FUNCTION_REPLY)?;
    Some(pb::EthernetCtpReply {
        timestamp,
        function: i32::from(f.code),
        receipt_number: u32::from(f.receipt_number),
        data: if cfg.include_payload { f.data.to_vec() } else { Vec::new() },
        data_size: f.data.len() as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::{hex, mutate};

    // The messages below are the bytes after the 14-byte Ethernet header.
    /// 40 bytes of 0x55: the data of every reply in tcpdump/tests/loopback.pcap.
    const DATA_55: &str = "55555555555555555555555555555555555555555555555555555555555555555555555555555555";
    /// tcpdump/tests/loopback.pcap frame 1: skipCount 0, forward to
    /// aa:00:04:00:1d:04, reply with receipt number 1.
    const LOOP_1: &str = "00000200aa0004001d0401000100";
    /// Frame 2: the same message one hop later (skipCount 8).
    const LOOP_2: &str = "08000200aa0004001d0401000100";
    /// Frame 3: skipCount 0, three forwards, reply with receipt number 2.
    const LOOP_3: &str = "00000200aa0004006a040200aa00040069040200aa0004001d0401000200";
    /// Frame 6: the same message at its last hop (skipCount 24).
    const LOOP_6: &str = "18000200aa0004006a040200aa00040069040200aa0004001d0401000200";
    /// tcpdump/tests/rpvstp-trunk-native-vid5.pcap frame 22 (60 bytes): a
    /// reply to oneself, receipt 0, then 40 bytes of zeros.
    const RPVSTP_22: &str = "000001000000";

    fn msg(head: &str, data: &str) -> Vec<u8> {
        hex(&format!("{head}{data}"))
    }

    #[test]
    fn first_hop_as_tshark_reads_it() {
        // tshark frame 1: loop.skipcount 0, loop.relevant_function 2,
        // loop.function 2,1, loop.forwarding_address aa:00:04:00:1d:04,
        // loop.receipt_number 1, data.len 40.
        let b = msg(LOOP_1, DATA_55);
        let v = EthernetCtp::new_checked(&b).expect("valid");
        assert_eq!(v.skip_count(), 0);
        let fs: Vec<CtpFunction> = v.functions().collect();
        assert_eq!(fs.iter().map(|f| f.code).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(fs[0].forward_address, &[0xaa, 0x00, 0x04, 0x00, 0x1d, 0x04]);
        assert_eq!((fs[1].offset, fs[1].receipt_number, fs[1].data.len()), (10, 1, 40));
        let cur = v.current_function().expect("skipCount 0 points at the first function");
        assert_eq!((cur.offset, cur.code), (2, FUNCTION_FORWARD_DATA));
        assert_eq!(v.payload().len(), 40);
        let r = record(&v, 5, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.skip_count, r.function), (5, 0, 2));
        assert_eq!(r.forward_address, "aa:00:04:00:1d:04");
        let fr: Vec<(i32, &str, u32)> =
            r.functions.iter().map(|f| (f.function, f.forward_address.as_str(), f.receipt_number)).collect();
        assert_eq!(fr, [(2, "aa:00:04:00:1d:04", 0), (1, "", 1)]);
        assert!(reply_record(&v, 5, &EncodeConfig::default()).is_none());
    }

    #[test]
    fn last_hop_gives_a_reply() {
        // tshark frame 2: loop.skipcount 8, loop.relevant_function 1,
        // loop.receipt_number 1, data.len 40.
        let b = msg(LOOP_2, DATA_55);
        let v = EthernetCtp::new_checked(&b).expect("valid");
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!((r.skip_count, r.function, r.forward_address.as_str(), r.functions.len()), (8, 1, "", 2));
        let cfg = EncodeConfig { include_payload: true };
        let reply = reply_record(&v, 6, &cfg).expect("the current function is the reply");
        assert_eq!((reply.timestamp, reply.function, reply.receipt_number, reply.data_size), (6, 1, 1, 40));
        assert_eq!(reply.data, hex(DATA_55));
        assert!(reply_record(&v, 6, &EncodeConfig::default()).expect("reply").data.is_empty());

        // rpvstp frame 22: loop.skipcount 0, loop.relevant_function 1,
        // loop.receipt_number 0, data.len 40.
        let b = msg(RPVSTP_22, &"00".repeat(40));
        let v = EthernetCtp::new_checked(&b).expect("valid");
        let reply = reply_record(&v, 0, &EncodeConfig::default()).expect("reply");
        assert_eq!((reply.receipt_number, reply.data_size), (0, 40));
    }

    #[test]
    fn multi_hop_messages() {
        // tshark frame 3: skipcount 0, relevant function 2, functions
        // 2,2,2,1, forwarding addresses aa:00:04:00:6a:04,
        // aa:00:04:00:69:04, aa:00:04:00:1d:04, receipt number 2.
        let b = msg(LOOP_3, DATA_55);
        let r = record(&EthernetCtp::new_checked(&b).expect("valid"), 0, &EncodeConfig::default());
        assert_eq!((r.skip_count, r.function, r.forward_address.as_str()), (0, 2, "aa:00:04:00:6a:04"));
        let addrs: Vec<&str> = r.functions.iter().map(|f| f.forward_address.as_str()).collect();
        assert_eq!(addrs, ["aa:00:04:00:6a:04", "aa:00:04:00:69:04", "aa:00:04:00:1d:04", ""]);
        assert_eq!(r.functions[3].receipt_number, 2);
        // tshark frame 6: skipcount 24, relevant function 1.
        let b = msg(LOOP_6, DATA_55);
        let v = EthernetCtp::new_checked(&b).expect("valid");
        assert_eq!(record(&v, 0, &EncodeConfig::default()).function, 1);
        assert_eq!(reply_record(&v, 0, &EncodeConfig::default()).map(|r| r.receipt_number), Some(2));
        // Frame 5 (skipCount 16) points at the third forward.
        let mut b5 = b.clone();
        b5[0] = 16;
        let v = EthernetCtp::new_checked(&b5).expect("valid");
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!((r.function, r.forward_address.as_str()), (2, "aa:00:04:00:1d:04"));
    }

    #[test]
    fn odd_and_stray_skip_counts_and_unknown_functions() {
        // Built from the CTP description: a skipCount into the middle of a
        // forwarding address (5), one past the list (200), and an odd
        // one pointing nowhere: no current function, as in tshark.
        for skip in ["0500", "c800", "0300"] {
            let b = msg(&format!("{skip}{}", &LOOP_1[4..]), "");
            let v = EthernetCtp::new_checked(&b).expect("valid");
            assert!(v.current_function().is_none(), "skipCount {skip}");
            let r = record(&v, 0, &EncodeConfig::default());
            assert_eq!((r.function, r.functions.len()), (0, 2));
            assert!(reply_record(&v, 0, &EncodeConfig::default()).is_none());
        }
        // An unknown function code ends the list; what follows is payload.
        let b = hex("00000700aabbcc");
        let v = EthernetCtp::new_checked(&b).expect("valid");
        assert_eq!(v.functions().map(|f| f.code).collect::<Vec<_>>(), [7]);
        assert_eq!(record(&v, 0, &EncodeConfig::default()).function, 7);
        assert_eq!(v.payload(), &[0xaa, 0xbb, 0xcc]);
        // A forward cut short: its code is listed without an address.
        let b = hex("00000200aa00");
        let v = EthernetCtp::new_checked(&b).expect("valid");
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!((r.function, r.forward_address.as_str(), r.functions.len()), (2, "", 1));
        assert!(EthernetCtp::new_checked(&hex("000002")).is_err());
    }

    #[test]
    fn long_forward_chains_are_bounded() {
        let mut b = vec![0u8, 0];
        for _ in 0..400 {
            b.extend_from_slice(&hex("0200aa0004000000"));
        }
        let v = EthernetCtp::new_checked(&b).expect("valid");
        assert_eq!(v.functions().count(), MAX_FUNCTIONS);
        let r = record(&v, 0, &EncodeConfig::default());
        assert_eq!(r.functions.len(), MAX_FUNCTIONS);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let cfg = EncodeConfig { include_payload: true };
        for base in [msg(LOOP_6, DATA_55), msg(LOOP_2, "5555")] {
            for n in 0..=base.len() {
                match EthernetCtp::new_checked(&base[..n]) {
                    Ok(v) => {
                        let _ = record(&v, 0, &cfg);
                        let _ = reply_record(&v, 0, &cfg);
                        assert!(v.payload().len() <= n);
                    }
                    Err(_) => assert!(n < MIN_LEN),
                }
            }
            let mut state = 0x5eed_c7b0_0000_0001u64;
            for _ in 0..3000 {
                let (m, cut) = mutate(&base, &mut state, 3);
                if let Ok(v) = EthernetCtp::new_checked(&m[..cut]) {
                    assert!(v.functions().count() <= MAX_FUNCTIONS);
                    let _ = record(&v, 0, &cfg);
                    let _ = reply_record(&v, 0, &cfg);
                }
            }
        }
    }
}

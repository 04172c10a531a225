//! Fuzz target `reassembly`: TCP segments in hostile orders through the
//! stream stage's reassembly, with small limits so that holds, caps,
//! budget drops, gaps, timeouts and evictions happen within a few records.
//!
//! Byte 0 selects the mode: even, a `Connections` table (what a shard
//! runs) with the HTTP decoder; odd, one `HalfStream` alone (so that the
//! fuzzer's mutations go into sequence arithmetic, not into reaching it).
//! The rest is a list of records; a record cut short by the end of the
//! input reads zeros for what is missing.
//!
//! **Connections mode** (`memcap` 64 KiB, or 8 KiB when bit 1 of byte 0
//! is set so that the budget forces connections out; `max_held` 4 KiB;
//! idle timeout 1 ms). Four connections between 10.0.0.1 and 10.0.0.2
//! (client ports 40000..40002 to port 80, and 80 to 80, whose roles only
//! the addresses order). A record:
//!
//! - `ctrl`: bits 0-1 the connection, bit 2 the direction (server to
//!   client when set), bits 3-4 how the sequence number is given, bits
//!   5-6 how the acknowledgement number is given, bit 7 `expire` after it;
//! - `flags`: bits 0-4 FIN, SYN, RST, PSH, ACK; bits 5-7 the timestamp
//!   step ([`STEPS`]: none, 1 ns, 100 ns, half the idle timeout, the idle
//!   timeout, past it, far past it, backwards);
//! - the sequence number: 0 the direction's next one, 1 plus an `i8`, 2
//!   plus an `i16` (little-endian), 3 a raw `u32` (wrap-around, far jumps);
//! - the acknowledgement number, the same way from the other direction's
//!   next sequence number;
//! - `shape`: bits 0-1 the payload kind (0: `param` bytes of the input; 1:
//!   an HTTP request, 2: an HTTP response, from [`REQUESTS`]/[`RESPONSES`]
//!   by `param`, whole or one half; 3: `param` x 128 copies of one input
//!   byte), bits 2-7 `param`;
//! - `cut`: bit 7 set: the wire length is larger than the payload by bits
//!   0-5, times 256 if bit 6 is set (a segment cut by the snap length);
//! - the payload bytes (kind 0) or the fill byte (kind 3);
//! - with `expire`, a byte whose low 3 bits are one more step before it.
//!
//! The direction's next sequence number follows each segment (its SYN,
//! payload and FIN), raw ones included; the first ones are near the wrap
//! for two connections.
//!
//! Checks after every call: `memory() <= memcap`, every record an `HTTP`
//! message of bounded size (12x the bytes fed, as the `http_decoder`
//! target allows, plus its fixed fields). It ends with `flush`.
//!
//! **HalfStream mode** (`max_held` 4 KiB, a shared budget of 6 KiB of
//! which the stream's own held bytes are spent). A record: `op` (bits 0-2:
//! 0-3 a segment, 4 a SYN, 5 an acknowledgement, 6 `flush`, 7 `discard`;
//! bit 3 FIN with a segment; bits 4-5 the sequence mode as above; bit 6
//! the timestamp goes backwards), then the sequence (or ack) number, then
//! for a segment `shape` and `cut` and the payload as above. Checks after
//! every call: `held_bytes() <= max_held + RECENT_BYTES`, the data bytes
//! passed on never more than the bytes fed, nothing after `End`, nothing
//! at all after `discard`.
#![no_main]

use netcap::app::http::PROTOCOL;
use netcap::app::AppOutput;
use netcap::flows::tcp_flag;
use netcap::schema::pb;
use netcap::stream::connections::{Connections, Outputs, Records};
use netcap::stream::reassembly::{Event, HalfStream, Limits, ReassemblyStats, RECENT_BYTES};
use netcap::stream::{Segment, StreamConfig};
use prost::Message;

const MEMCAP: usize = 64 << 10;
const SMALL_MEMCAP: usize = 8 << 10;
const MAX_HELD: usize = 4 << 10;
const IDLE: i64 = 1_000_000;
/// HalfStream mode: the shared budget the stream's held bytes come out of.
const HALF_BUDGET: usize = 6 << 10;

const STEPS: [i64; 8] = [0, 1, 100, IDLE / 2, IDLE, IDLE + 1, 100 * IDLE, -IDLE];

const REQUESTS: [&[u8]; 4] = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"GET /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"HEAD /h HTTP/1.0\r\n\r\n",
];
const RESPONSES: [&[u8]; 4] = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close",
];

/// The input, read front to back; past its end every byte is 0.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
    /// A sequence (or ack) number in `mode` relative to `next`.
    fn number(&mut self, mode: u8, next: u32) -> u32 {
        match mode & 3 {
            0 => next,
            1 => next.wrapping_add_signed(i32::from(self.byte() as i8)),
            2 => next.wrapping_add_signed(i32::from(i16::from_le_bytes([self.byte(), self.byte()]))),
            _ => u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()]),
        }
    }
    /// A payload as `shape` says, and its wire length as `cut` says.
    fn payload(&mut self) -> (Vec<u8>, u32) {
        let shape = self.byte();
        let cut = self.byte();
        let param = usize::from(shape >> 2);
        let payload = match shape & 3 {
            0 => self.bytes(param).to_vec(),
            1 | 2 => {
                let all = if shape & 3 == 1 { REQUESTS } else { RESPONSES };
                let text = all[param % 4];
                let half = text.len() / 2;
                match (param >> 2) & 3 {
                    2 => text[..half].to_vec(),
                    3 => text[half..].to_vec(),
                    _ => text.to_vec(),
                }
            }
            _ => vec![self.byte(); param * 128],
        };
        let extra = if cut & 0x80 == 0 { 0 } else { u32::from(cut & 0x3f) * if cut & 0x40 != 0 { 256 } else { 1 } };
        let wire = payload.len() as u32 + extra;
        (payload, wire)
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode & 1 == 0 {
        connections(mode, Input(rest));
    } else {
        half_stream(Input(rest));
    }
});

/// Checks what a call wrote: HTTP records of bounded size.
fn check_records(records: &Records, fed: usize) {
    for (index, bytes) in records.iter().filter_map(AppOutput::record) {
        assert_eq!(index, 0, "the only selected type is HTTP");
        let record = pb::Http::decode_length_delimited(bytes);
        assert!(record.is_ok(), "not an HTTP record: {bytes:?}");
        // Named headers appear twice and invalid UTF-8 becomes U+FFFD (3
        // bytes); the rest are fixed fields (addresses, times, counts).
        assert!(bytes.len() <= 12 * fed + 1024, "a record of {} bytes from {fed} bytes fed", bytes.len());
    }
}

fn connections(mode: u8, mut input: Input) {
    let memcap = if mode & 2 == 0 { MEMCAP } else { SMALL_MEMCAP };
    let cfg = StreamConfig { memcap, max_held: MAX_HELD, idle_timeout: IDLE, ..Default::default() };
    let mut conns = Connections::new(cfg);
    let out = Outputs { protocols: &[&PROTOCOL], selected: &["HTTP"] };
    let hosts = [[10, 0, 0, 1], [10, 0, 0, 2]];
    let ports: [(u16, u16); 4] = [(40000, 80), (40001, 80), (40002, 80), (80, 80)];
    // The next sequence number of [connection][direction].
    let mut next: [[u32; 2]; 4] =
        [[u32::MAX - 40, 7000], [1000, u32::MAX - 3], [0x7fff_fff0, 0x8000_0000], [0, u32::MAX]];
    let mut now: i64 = 1_000_000_000;
    let mut frame = 0u64;
    let mut fed = 0usize;
    let mut records = Records::new();
    let mut ended = Vec::new();
    while !input.is_empty() {
        let ctrl = input.byte();
        let flags = input.byte();
        let (conn, dir) = (usize::from(ctrl & 3), usize::from((ctrl >> 2) & 1));
        let seq = input.number(ctrl >> 3, next[conn][dir]);
        let ack = input.number(ctrl >> 5, next[conn][1 - dir]);
        let (payload, wire) = input.payload();
        now = now.saturating_add(STEPS[usize::from(flags >> 5)]);
        let tcp = [tcp_flag::FIN, tcp_flag::SYN, tcp_flag::RST, tcp_flag::PSH, tcp_flag::ACK];
        let tcp_flags = tcp.iter().enumerate().filter(|(i, _)| flags & (1 << i) != 0).fold(0, |f, (_, b)| f | b);
        let (client_port, server_port) = ports[conn];
        let (src, dst, src_port, dst_port) = if dir == 0 {
            (hosts[0], hosts[1], client_port, server_port)
        } else {
            (hosts[1], hosts[0], server_port, client_port)
        };
        let mut s = Segment {
            index: 0,
            timestamp: now,
            ip_version: 4,
            src_port,
            dst_port,
            seq,
            ack,
            flags: tcp_flags,
            payload_at: 0,
            payload_len: payload.len() as u32,
            wire_len: wire,
            ..Segment::default()
        };
        s.src_ip[..4].copy_from_slice(&src);
        s.dst_ip[..4].copy_from_slice(&dst);
        let control = u32::from(tcp_flags & tcp_flag::SYN != 0) + u32::from(tcp_flags & tcp_flag::FIN != 0);
        next[conn][dir] = seq.wrapping_add(wire).wrapping_add(control);
        fed += payload.len();
        frame += 1;
        conns.segment(&s, &payload, frame, &out, &mut records);
        check_records(&records, fed);
        records.clear();
        assert!(conns.memory() <= memcap, "memory {} > memcap {memcap} after a segment", conns.memory());
        if ctrl & 0x80 != 0 {
            now = now.saturating_add(STEPS[usize::from(input.byte() & 7)]);
            conns.expire(now, &out, &mut ended);
            records.extend(ended.drain(..).map(|(_, r)| r));
            check_records(&records, fed);
            records.clear();
            assert!(conns.memory() <= memcap, "memory {} > memcap {memcap} after expire", conns.memory());
        }
    }
    conns.flush(now, &out, &mut ended);
    records.extend(ended.drain(..).map(|(_, r)| r));
    check_records(&records, fed);
    assert!(conns.memory() <= memcap, "memory {} > memcap {memcap} after flush", conns.memory());
}

/// What a half stream passed on, checked as it comes.
#[derive(Default)]
struct Seen {
    data: u64,
    ended: bool,
    discarded: bool,
}

impl Seen {
    fn event(&mut self, e: Event) {
        assert!(!self.ended, "{e:?} after End");
        assert!(!self.discarded, "{e:?} after discard");
        match e {
            Event::Data(_, bytes) => {
                assert!(!bytes.is_empty(), "empty data");
                self.data += bytes.len() as u64;
            }
            Event::Gap(n) => assert!(n > 0, "empty gap"),
            Event::End => self.ended = true,
        }
    }
}

fn half_stream(mut input: Input) {
    let limits = Limits { max_held: MAX_HELD };
    let mut half = HalfStream::default();
    let mut stats = ReassemblyStats::default();
    let mut seen = Seen::default();
    let mut next: u32 = u32::MAX - 100;
    let mut fed = 0u64;
    let mut now: i64 = 0;
    while !input.is_empty() {
        let op = input.byte();
        now += if op & 0x40 != 0 { -5 } else { 1 };
        let number = input.number(op >> 4, next);
        match op & 7 {
            0..=3 => {
                let (payload, wire) = input.payload();
                let fin = op & 8 != 0;
                fed += payload.len() as u64;
                let mut budget = HALF_BUDGET.saturating_sub(half.held_bytes());
                let before = budget;
                half.segment(number, &payload, u64::from(wire), fin, now, &limits, &mut budget, &mut stats, &mut |e| {
                    seen.event(e)
                });
                assert!(budget <= before);
                next = number.wrapping_add(wire).wrapping_add(u32::from(fin));
            }
            4 => {
                half.syn(number);
                next = number.wrapping_add(1);
            }
            5 => half.acknowledged(number, &mut stats, &mut |e| seen.event(e)),
            6 => half.flush(&mut stats, &mut |e| seen.event(e)),
            _ => {
                half.discard();
                seen.discarded = true;
                assert_eq!(half.held_bytes(), 0, "bytes held after discard");
            }
        }
        assert!(
            half.held_bytes() <= MAX_HELD + RECENT_BYTES,
            "held {} > {} + {RECENT_BYTES}",
            half.held_bytes(),
            MAX_HELD
        );
        assert!(seen.data <= fed, "passed on {} data bytes of {fed} fed", seen.data);
        assert!(stats.bytes >= seen.data, "counted {} bytes, passed on {}", stats.bytes, seen.data);
    }
    half.flush(&mut stats, &mut |e| seen.event(e));
    assert!(seen.data <= fed, "passed on {} data bytes of {fed} fed", seen.data);
}

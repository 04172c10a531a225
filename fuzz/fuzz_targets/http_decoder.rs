//! Fuzz target `http_decoder`: the input is a connection's events, fed to
//! the HTTP protocol's `detect` (as the stream stage calls it: with the
//! first bytes of each side, until it decides) and to an HTTP decoder
//! (whatever `detect` said, so that every input reaches the decoder; with
//! the sides swapped when it said `YesSwapped`), then closed.
//!
//! Input: byte 0 picks `max_buffer` (0xff: the default 64 KiB; else
//! 32 + 64 * byte, small enough that heads overflow). Then events, each a
//! tag byte:
//! * `0x00..=0xef`: data, side `tag & 1`, `tag >> 1` (0..119) bytes;
//! * `0xf0`/`0xf1`: a gap on side `tag & 1` of the next byte's length;
//! * `0xf2`/`0xf3`: FIN of side `tag & 1`;
//! * `0xf4..=0xff`: data, side `tag & 1`, length in the next two bytes
//!   (little-endian).
//!
//! The close reason is the input length mod 5. Checks: no panic, at most
//! `max_buffer` bytes held per side after every call, every record a valid
//! `HTTP` message of bounded size, at most one record per line fed (a
//! record needs a start line).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::http_decoder(data));

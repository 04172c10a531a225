//! Fuzz target `tls_decoder`: the input is a connection's events, fed to
//! the TLS protocol's `detect` (as the stream stage calls it: with the
//! first bytes of each side, until it decides) and to a TLS decoder
//! (whatever `detect` said, so that every input reaches the decoder; with
//! the sides swapped when it said `YesSwapped`), then closed.
//!
//! Input: as `http_decoder`'s. Byte 0 picks `max_buffer` (0xff: the
//! default 64 KiB; else 32 + 64 * byte, small enough that handshake
//! messages overflow). Then events, each a tag byte:
//! * `0x00..=0xef`: data, side `tag & 1`, `tag >> 1` (0..119) bytes;
//! * `0xf0`/`0xf1`: a gap on side `tag & 1` of the next byte's length;
//! * `0xf2`/`0xf3`: FIN of side `tag & 1`;
//! * `0xf4..=0xff`: data, side `tag & 1`, length in the next two bytes
//!   (little-endian).
//!
//! The close reason is the input length mod 5. Checks: no panic, at most
//! `max_buffer` plus a record header held per side after every call, every
//! record a valid `TLS` or `TLSServerHello` message, at most one record per
//! 9 bytes fed (a record header and a handshake header at least).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::tls_decoder(data));

//! Fuzz target `decode_packet`: see `harness::decode_packet` for what one input goes through.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::decode_packet(data));

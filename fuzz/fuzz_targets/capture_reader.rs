//! Fuzz target `capture_reader`: see `harness::capture_reader` for what one input goes through.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::capture_reader(data));

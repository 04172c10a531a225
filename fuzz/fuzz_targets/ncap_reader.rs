//! Fuzz target `ncap_reader`: see `harness::ncap_reader` for what one input goes through.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::ncap_reader(data));

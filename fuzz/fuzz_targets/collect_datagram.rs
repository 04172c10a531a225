//! Fuzz target `collect_datagram`: one UDP datagram through the
//! collection server's handler (authentication, decryption, size-capped
//! decompression, batch decoding, client-id and sequence checks), with a
//! fixed server key and one allowed sensor (`collect::server::fuzz_datagram`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| netcap::collect::server::fuzz_datagram(data));

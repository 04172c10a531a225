//! Fuzz target `alert_log`: the input as a Suricata alert log (EVE JSON or
//! fast.log, recognised by content) through `label::alerts::load`, and its
//! first line as a `-tz` value.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = netcap::label::alerts::load(data, 7200);
    if let Some(line) = data.split(|&b| b == b'\n').next() {
        let _ = netcap::label::alerts::parse_tz(&String::from_utf8_lossy(line));
    }
});

//! Fuzz target `alert_log`: the input as a Suricata alert log (EVE JSON or
//! fast.log, recognised by content) through `label::alerts::load`, and its
//! first line as a `-tz` value. The log is read in the zone that line
//! names when it is one (an offset or a zone name with daylight saving),
//! else two hours east of UTC, so fast.log times meet both kinds of zone.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let first = data.split(|&b| b == b'\n').next().map(String::from_utf8_lossy);
    let named = first.and_then(|line| netcap::label::alerts::parse_tz(&line).ok());
    let zone = named.or_else(|| netcap::label::alerts::parse_tz("+02:00").ok());
    if let Some(zone) = zone {
        let _ = netcap::label::alerts::load(data, &zone);
    }
});

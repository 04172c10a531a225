//! Durations as Go Netcap's flags take them (`1h30m`, `1m30s`, `500ms`,
//! `1.5h`, `90s`), for every flag that takes one.
//!
//! One parser, so `-flow-timeout`, `-flush-interval` and the rest accept
//! the same spellings. jiff's "friendly" duration format already reads
//! Go's `time.ParseDuration` forms (unit designators run together, a
//! fraction on the last unit), so no hand-written unit table is needed.
//! What Go Netcap adds on top, a bare number meaning seconds, is kept
//! because earlier netcap versions documented it.

use jiff::SignedDuration;
use std::time::Duration;

/// Longest duration accepted: about 146 years, so that a nanosecond count
/// fits an `i64` with room for adding a timestamp to it.
const MAX_NANOS: i128 = (i64::MAX / 2) as i128;

/// Parses `text` as a non-negative duration: Go syntax (`1h30m`, `1.5h`,
/// `500ms`, `300us`/`300µs`, `10ns`) or a bare number of seconds (`90`,
/// `2.5`). A negative duration or one over ~146 years is an error that
/// says so.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let signed = if let Ok(secs) = t.parse::<f64>() {
        if !secs.is_finite() {
            return Err(format!("not a duration: {text:?} (e.g. 90s, 1m30s, 1h30m, 500ms)"));
        }
        SignedDuration::try_from_secs_f64(secs).map_err(|_| format!("duration out of range: {text:?}"))?
    } else {
        t.parse::<SignedDuration>().map_err(|_| {
            format!("not a duration: {text:?} (Go syntax: 90s, 1m30s, 1h30m, 1.5h, 500ms; a bare number is seconds)")
        })?
    };
    if signed.is_negative() {
        return Err(format!("negative duration {text:?}: a timeout or interval must be 0 or more"));
    }
    if signed.as_nanos() > MAX_NANOS {
        return Err(format!("duration out of range: {text:?} (at most about 146 years)"));
    }
    Ok(signed.unsigned_abs())
}

/// [`parse`] as nanoseconds, the unit packet timestamps use.
pub fn parse_nanos(text: &str) -> Result<i64, String> {
    let d = parse(text)?;
    i64::try_from(d.as_nanos()).map_err(|_| format!("duration out of range: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn go_syntax() {
        assert_eq!(parse_nanos("1h30m"), Ok(5400 * S));
        assert_eq!(parse_nanos("1m30s"), Ok(90 * S));
        assert_eq!(parse_nanos("1.5h"), Ok(5400 * S));
        assert_eq!(parse_nanos("90s"), Ok(90 * S));
        assert_eq!(parse_nanos("500ms"), Ok(S / 2));
        assert_eq!(parse_nanos("300us"), Ok(300_000));
        assert_eq!(parse_nanos("300µs"), Ok(300_000));
        assert_eq!(parse_nanos("10ns"), Ok(10));
        assert_eq!(parse_nanos("2h45m30.5s"), Ok(2 * 3600 * S + 45 * 60 * S + 30 * S + S / 2));
        assert_eq!(parse_nanos("5m"), Ok(300 * S));
        assert_eq!(parse_nanos("0"), Ok(0));
        assert_eq!(parse_nanos("0s"), Ok(0));
    }

    #[test]
    fn bare_numbers_are_seconds() {
        assert_eq!(parse_nanos("90"), Ok(90 * S));
        assert_eq!(parse_nanos("2.5"), Ok(5 * S / 2));
        assert_eq!(parse("2"), Ok(Duration::from_secs(2)));
    }

    #[test]
    fn negative_durations_are_refused_with_a_clear_message() {
        for text in ["-1s", "-1h30m", "-5"] {
            let err = parse(text).unwrap_err();
            assert!(err.contains("negative duration"), "{text}: {err}");
        }
    }

    #[test]
    fn nonsense_is_refused() {
        for text in ["", "fast", "5 parsecs", "1d2x", "NaN", "inf", "1e300"] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
    }
}

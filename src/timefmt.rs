//! Timestamp text: nanoseconds since the Unix epoch to `seconds.fraction`
//! or ISO 8601 UTC, always zero-padded (Go Netcap printed 137 µs as
//! `.137`, which sorted and compared wrongly). The calendar is jiff's; the
//! digits are written here with itoa into the caller's buffer, because
//! this runs once per timestamp of every record printed.

/// `1499255023.848884` (digits = 6) or `1499255023.848884123` (digits = 9).
pub fn epoch_string(ns: i64, digits: u32) -> String {
    let mut out = Vec::with_capacity(24);
    push_epoch(&mut out, ns, digits);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`epoch_string`]'s text to `out` without allocating: the
/// output layer calls this once per timestamp of every record.
pub fn push_epoch(out: &mut Vec<u8>, ns: i64, digits: u32) {
    let (secs, frac) = split(ns);
    out.extend_from_slice(itoa::Buffer::new().format(secs).as_bytes());
    out.push(b'.');
    match digits {
        9 => push_padded(out, frac as u64, 9),
        _ => push_padded(out, (frac / 1000) as u64, 6),
    }
}

/// Appends [`utc_string`]'s text to `out`.
pub fn push_utc(out: &mut Vec<u8>, ns: i64, digits: u32) {
    let (secs, frac) = split(ns);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_date(secs);
    if (0..=9999).contains(&y) {
        push_padded(out, y as u64, 4);
    } else {
        out.extend_from_slice(itoa::Buffer::new().format(y).as_bytes());
    }
    out.push(b'-');
    push_padded(out, u64::from(m), 2);
    out.push(b'-');
    push_padded(out, u64::from(d), 2);
    out.push(b'T');
    push_padded(out, (tod / 3600) as u64, 2);
    out.push(b':');
    push_padded(out, (tod % 3600 / 60) as u64, 2);
    out.push(b':');
    push_padded(out, (tod % 60) as u64, 2);
    out.push(b'.');
    match digits {
        9 => push_padded(out, frac as u64, 9),
        _ => push_padded(out, (frac / 1000) as u64, 6),
    }
    out.push(b'Z');
}

/// `value` in decimal, left-padded with zeros to `width` digits.
fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut buf = itoa::Buffer::new();
    let s = buf.format(value).as_bytes();
    for _ in s.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(s);
}

/// `2012-03-16T13:30:07.100000Z`, with 6 or 9 fraction digits.
pub fn utc_string(ns: i64, digits: u32) -> String {
    let mut out = Vec::with_capacity(32);
    push_utc(&mut out, ns, digits);
    String::from_utf8(out).unwrap_or_default()
}

/// Whole seconds (floored) and the non-negative nanosecond remainder.
fn split(ns: i64) -> (i64, i64) {
    (ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000))
}

/// Proleptic Gregorian UTC date of `secs` seconds since the epoch. Every
/// `i64` of nanoseconds is within jiff's range (years -9999 to 9999); the
/// fallback for what is not cannot be reached from an `i64` of ns.
fn civil_date(secs: i64) -> (i64, u32, u32) {
    match jiff::Timestamp::from_second(secs) {
        Ok(ts) => {
            let date = jiff::tz::Offset::UTC.to_datetime(ts).date();
            (i64::from(date.year()), date.month().unsigned_abs().into(), date.day().unsigned_abs().into())
        }
        Err(_) => (1970, 1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_zero_padded() {
        assert_eq!(epoch_string(1_499_255_023_000_137_000, 6), "1499255023.000137");
        assert_eq!(epoch_string(1_499_255_023_000_137_001, 9), "1499255023.000137001");
        assert_eq!(epoch_string(-1, 9), "-1.999999999");
    }

    #[test]
    fn utc_matches_known_dates() {
        assert_eq!(utc_string(1_331_904_607_100_000_000, 6), "2012-03-16T13:30:07.100000Z");
        assert_eq!(utc_string(0, 9), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(utc_string(951_782_400_000_000_000, 6), "2000-02-29T00:00:00.000000Z");
        assert_eq!(utc_string(i64::MIN, 9), "1677-09-21T00:12:43.145224192Z");
        assert_eq!(utc_string(i64::MAX, 6), "2262-04-11T23:47:16.854775Z");
        assert_eq!(epoch_string(i64::MIN, 9), "-9223372037.145224192");
    }
}

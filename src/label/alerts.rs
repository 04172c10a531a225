//! Suricata alerts from EVE JSON (`eve.json`) or the classic one-line
//! `fast.log`, parsed into [`Alert`]s. Nothing here panics on log
//! contents: a line that does not parse is skipped and counted.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use std::io::BufRead;
use std::net::IpAddr;

/// One Suricata alert, reduced to what labeling needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Packet time, microseconds since the Unix epoch (UTC).
    pub ts_us: i64,
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    /// Ports only for protocols that have them (TCP, UDP, SCTP); fast.log's
    /// ICMP type and code are not ports.
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub proto: String,
    pub signature: String,
    /// Classification text (EVE `alert.category`, fast.log `Classification`).
    pub classification: String,
    /// Suricata severity / priority: 1 is the most severe.
    pub severity: u32,
    pub community_id: Option<String>,
    pub flow_id: Option<u64>,
    /// 1-based line in the log.
    pub line: usize,
}

/// Severity given to an alert that states none (least severe).
pub const NO_SEVERITY: u32 = u32::MAX;

/// The log formats Suricata writes alerts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Eve,
    Fast,
}

/// What loading a log produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub alerts: Vec<Alert>,
    /// Non-blank lines read.
    pub lines: usize,
    /// Lines that parsed but are not alerts (other EVE event types).
    pub other_events: usize,
    /// Lines that did not parse.
    pub bad_lines: usize,
    /// The first few bad lines: (line number, reason).
    pub bad_examples: Vec<(usize, String)>,
    pub format: Option<Format>,
}

/// How many bad lines are described one by one.
pub const BAD_EXAMPLES: usize = 5;

impl Loaded {
    /// No line parsed although there were lines: not a Suricata log.
    pub fn not_suricata(&self) -> bool {
        self.lines > 0 && self.bad_lines == self.lines
    }
}

/// Parses `-tz`, the zone of fast.log's times: `UTC`, `Z`, a fixed offset
/// (`+02:00`, `-0530`, `+2`, `UTC+1`) or an IANA zone name with its
/// daylight-saving rules (`Europe/Berlin`), from jiff's bundled tz
/// database, so the result does not depend on the machine's tzdata.
pub fn parse_tz(s: &str) -> Result<TimeZone, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("gmt") || t == "Z" || t == "z" {
        return Ok(TimeZone::UTC);
    }
    let offset_text = t.strip_prefix("UTC").or_else(|| t.strip_prefix("utc")).unwrap_or(t);
    if let Some(secs) = parse_offset(offset_text) {
        return fixed_zone(secs).ok_or_else(|| format!("time zone offset out of range: {s:?}"));
    }
    TimeZone::get(t).map_err(|_| {
        format!("unknown time zone {s:?}: give UTC, an offset such as +02:00 or -0500, or a zone name such as Europe/Berlin")
    })
}

/// The zone `secs` seconds east of UTC, without daylight saving.
fn fixed_zone(secs: i64) -> Option<TimeZone> {
    let secs = i32::try_from(secs).ok()?;
    Offset::from_seconds(secs).ok().map(TimeZone::fixed)
}

/// `+HH:MM`, `+HHMM`, `+HH`, `+H` (and `-`) → seconds east of UTC.
fn parse_offset(t: &str) -> Option<i64> {
    let (sign, rest) = if let Some(r) = t.strip_prefix('+') { (1, r) } else { (-1, t.strip_prefix('-')?) };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 && rest.is_ascii() => rest.split_at(2),
        None => (rest, "0"),
    };
    if h.is_empty() || h.len() > 2 || m.is_empty() || m.len() > 2 {
        return None;
    }
    let h: i64 = digits(h)?;
    let m: i64 = digits(m)?;
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 18 {
        return None;
    }
    s.parse().ok()
}

/// A wall-clock time's fields, as a log writes them.
#[derive(Clone, Copy)]
struct WallClock {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
}

impl WallClock {
    /// The calendar date and time, or why there is none: an impossible
    /// date (February 30, month 13) is named as such. A leap second (`:60`)
    /// is read as the next minute's first second, as before.
    fn to_civil(&self) -> Result<(DateTime, i64), String> {
        let WallClock { year, month, day, hour, minute, second, micros } = *self;
        let small = |v: i64| i8::try_from(v).ok();
        let (Some(mo), Some(d), Some(h), Some(mi), Some(sec), Ok(y)) =
            (small(month), small(day), small(hour), small(minute), small(second), i16::try_from(year))
        else {
            return Err(format!("impossible date or time {year}-{month}-{day} {hour}:{minute}:{second}"));
        };
        let date = Date::new(y, mo, d).map_err(|_| format!("impossible date {year:04}-{month:02}-{day:02}"))?;
        if !(1..=9999).contains(&year) {
            return Err(format!("year {year} out of range"));
        }
        let leap = i64::from(sec == 60);
        let time = Time::new(h, mi, sec - leap as i8, 0)
            .map_err(|_| format!("impossible time {hour:02}:{minute:02}:{second:02}"))?;
        Ok((date.to_datetime(time), leap * 1_000_000 + micros))
    }
}

/// A fraction's digits as microseconds (truncated past 6 digits).
fn fraction_us(f: &str) -> Option<i64> {
    if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut us = 0i64;
    for i in 0..6 {
        us = us * 10 + f.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
    }
    Some(us)
}

/// `HH:MM:SS[.ffffff]` → (hour, minute, second, microseconds).
fn parse_clock(clock: &str) -> Option<(i64, i64, i64, i64)> {
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, fraction_us(f)?),
        None => (clock, 0),
    };
    let mut tp = hms.splitn(3, ':');
    Some((digits(tp.next()?)?, digits(tp.next()?)?, digits(tp.next()?)?, frac))
}

/// Microseconds since the epoch of `wall` read in `zone`. In a
/// daylight-saving gap or fold the earlier reading wins for a fold and the
/// later for a gap (RFC 5545's "compatible" rule).
fn micros_in_zone(wall: &WallClock, zone: &TimeZone) -> Result<i64, String> {
    let (civil, extra_us) = wall.to_civil()?;
    let ts = zone.to_ambiguous_timestamp(civil).compatible().map_err(|e| format!("time out of range: {e}"))?;
    Ok(ts.as_microsecond() + extra_us)
}

/// EVE's `2010-04-07T17:29:29.923989+0000` (offset `+0000`, `+00:00` or `Z`).
pub fn parse_eve_time(s: &str) -> Result<i64, String> {
    let bad = || format!("bad timestamp {s:?}");
    let (date, rest) = s.split_once('T').ok_or_else(bad)?;
    let mut dp = date.splitn(3, '-');
    let mut field = || dp.next().and_then(digits).ok_or_else(bad);
    let (year, month, day) = (field()?, field()?, field()?);
    let zone_at = rest.find(['+', '-', 'Z', 'z']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let offset = match zone {
        "" | "Z" | "z" => 0,
        z => parse_offset(z).ok_or_else(bad)?,
    };
    let (hour, minute, second, micros) = parse_clock(clock).ok_or_else(bad)?;
    let wall = WallClock { year, month, day, hour, minute, second, micros };
    let zone = fixed_zone(offset).ok_or_else(bad)?;
    micros_in_zone(&wall, &zone).map_err(|e| format!("{e} in timestamp {s:?}"))
}

/// fast.log's `04/07/2010-17:29:29.923989`, a wall-clock time in `zone`.
pub fn parse_fast_time(s: &str, zone: &TimeZone) -> Result<i64, String> {
    let bad = || format!("bad timestamp {s:?}");
    let (date, clock) = s.split_once('-').ok_or_else(bad)?;
    let mut dp = date.splitn(3, '/');
    let mut field = || dp.next().and_then(digits).ok_or_else(bad);
    let (month, day, year) = (field()?, field()?, field()?);
    let (hour, minute, second, micros) = parse_clock(clock).ok_or_else(bad)?;
    let wall = WallClock { year, month, day, hour, minute, second, micros };
    micros_in_zone(&wall, zone).map_err(|e| format!("{e} in timestamp {s:?}"))
}

/// Protocols whose alerts carry real ports.
fn has_ports(proto: &str) -> bool {
    matches!(proto.to_ascii_uppercase().as_str(), "TCP" | "UDP" | "SCTP" | "UDPLITE")
}

/// Parses one EVE JSON line. `Ok(None)`: valid EVE, but not an alert.
pub fn parse_eve_line(line: &str, line_no: usize) -> Result<Option<Alert>, String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let ts = obj.get("timestamp").and_then(|t| t.as_str()).ok_or("no \"timestamp\"")?;
    let ts_us = parse_eve_time(ts)?;
    let event = obj.get("event_type").and_then(|t| t.as_str()).ok_or("no \"event_type\"")?;
    if event != "alert" {
        return Ok(None);
    }
    let alert = obj.get("alert").and_then(|a| a.as_object()).ok_or("alert event without an \"alert\" object")?;
    let text =
        |o: &serde_json::Map<String, serde_json::Value>, k: &str| o.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let ip = |k: &str| -> Result<Option<IpAddr>, String> {
        match obj.get(k).and_then(|x| x.as_str()) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| format!("bad {k} {s:?}")),
        }
    };
    let proto = text(obj, "proto").unwrap_or_default();
    let port = |k: &str| -> Result<Option<u16>, String> {
        match obj.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(p) => match p.as_u64().and_then(|p| u16::try_from(p).ok()) {
                Some(p) if has_ports(&proto) => Ok(Some(p)),
                Some(_) => Ok(None),
                None => Err(format!("bad {k} {p}")),
            },
        }
    };
    let severity = match alert.get("severity") {
        None | Some(serde_json::Value::Null) => NO_SEVERITY,
        Some(s) => s.as_u64().and_then(|s| u32::try_from(s).ok()).ok_or_else(|| format!("bad severity {s}"))?,
    };
    Ok(Some(Alert {
        ts_us,
        src_ip: ip("src_ip")?,
        dst_ip: ip("dest_ip")?,
        src_port: port("src_port")?,
        dst_port: port("dest_port")?,
        signature: text(alert, "signature").unwrap_or_default(),
        classification: text(alert, "category").unwrap_or_default(),
        severity,
        community_id: text(obj, "community_id").filter(|c| !c.is_empty()),
        flow_id: obj.get("flow_id").and_then(|f| f.as_u64()),
        proto,
        line: line_no,
    }))
}

/// Parses one fast.log line:
/// `MM/DD/YYYY-HH:MM:SS.uuuuuu  [**] [gid:sid:rev] SIGNATURE [**]
/// [Classification: C] [Priority: N] {PROTO} SRC:PORT -> DST:PORT`
/// (addresses absent, or `[Raw pkt: ...]`, for packets without IP).
pub fn parse_fast_line(line: &str, line_no: usize, zone: &TimeZone) -> Result<Alert, String> {
    let line = line.trim_end();
    let (ts, rest) = line.split_once(char::is_whitespace).ok_or("no timestamp")?;
    let ts_us = parse_fast_time(ts, zone)?;
    let rest = rest.trim_start().strip_prefix("[**]").ok_or("no \"[**]\" after the timestamp")?.trim_start();
    let rest = rest.strip_prefix('[').ok_or("no [gid:sid:rev]")?;
    let (ids, rest) = rest.split_once(']').ok_or("no [gid:sid:rev]")?;
    if ids.split(':').count() != 3 || !ids.split(':').all(|p| digits(p).is_some()) {
        return Err(format!("bad rule id [{ids}]"));
    }
    let (signature, mut rest) = rest.split_once("[**]").ok_or("no \"[**]\" after the signature")?;
    let mut classification = String::new();
    rest = rest.trim_start();
    if let Some(r) = rest.strip_prefix("[Classification:") {
        let (c, r) = r.split_once(']').ok_or("unterminated [Classification: ...]")?;
        classification = c.trim().to_owned();
        rest = r.trim_start();
    }
    // Suricata writes the priority on every line.
    let r = rest.strip_prefix("[Priority:").ok_or("no [Priority: N]")?;
    let (p, r) = r.split_once(']').ok_or("unterminated [Priority: ...]")?;
    let severity: u32 = p.trim().parse().map_err(|_| format!("bad priority {p:?}"))?;
    rest = r.trim_start();
    let mut alert = Alert {
        ts_us,
        src_ip: None,
        dst_ip: None,
        src_port: None,
        dst_port: None,
        proto: String::new(),
        signature: signature.trim().to_owned(),
        classification,
        severity,
        community_id: None,
        flow_id: None,
        line: line_no,
    };
    if let Some(r) = rest.strip_prefix('{') {
        let (proto, r) = r.split_once('}').ok_or("unterminated {PROTO}")?;
        alert.proto = proto.to_owned();
        let (src, dst) = r.trim().split_once(" -> ").ok_or("no \"SRC -> DST\"")?;
        let ports = has_ports(proto);
        let (sip, sport) = endpoint(src.trim(), ports)?;
        let (dip, dport) = endpoint(dst.trim(), ports)?;
        (alert.src_ip, alert.src_port, alert.dst_ip, alert.dst_port) = (Some(sip), sport, Some(dip), dport);
    } else if !(rest.is_empty() || rest.starts_with("[**]")) {
        return Err(format!("unexpected text {:?}", truncate(rest)));
    }
    Ok(alert)
}

/// `10.0.0.1:80`, `2001:0db8:...:0001:443` (the port after the last colon)
/// or a bare address.
fn endpoint(s: &str, ports: bool) -> Result<(IpAddr, Option<u16>), String> {
    // Suricata always prints a port; the address before it is IPv4 or a
    // fully expanded IPv6 address.
    if let Some((ip, port)) = s.rsplit_once(':') {
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        if let (Ok(ip), Ok(port)) = (ip.parse::<IpAddr>(), port.parse::<u16>()) {
            return Ok((ip, ports.then_some(port)));
        }
    }
    match s.parse::<IpAddr>() {
        Ok(ip) => Ok((ip, None)),
        Err(_) => Err(format!("bad endpoint {s:?}")),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Format of a log, from its first non-blank line: `{` is EVE JSON.
pub fn detect(first_line: &str) -> Format {
    if first_line.trim_start().starts_with('{') {
        Format::Eve
    } else {
        Format::Fast
    }
}

/// Reads every alert of a log; the format is recognised by content.
/// `zone` applies to fast.log only (EVE times carry their offset).
pub fn load(input: impl BufRead, zone: &TimeZone) -> std::io::Result<Loaded> {
    let mut out = Loaded::default();
    let mut bytes = Vec::new();
    let mut input = input;
    let mut line_no = 0;
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        line_no += 1;
        let line = String::from_utf8_lossy(&bytes);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        out.lines += 1;
        let format = *out.format.get_or_insert_with(|| detect(line));
        let parsed = match format {
            Format::Eve => parse_eve_line(line, line_no),
            Format::Fast => parse_fast_line(line, line_no, zone).map(Some),
        };
        match parsed {
            Ok(Some(a)) => out.alerts.push(a),
            Ok(None) => out.other_events += 1,
            Err(e) => {
                out.bad_lines += 1;
                if out.bad_examples.len() < BAD_EXAMPLES {
                    out.bad_examples.push((line_no, e));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVE: &str = r#"{"timestamp":"2010-04-07T17:29:29.923989+0000","flow_id":317350853211729,"pcap_cnt":8,"event_type":"alert","src_ip":"172.16.0.122","src_port":52166,"dest_ip":"199.181.132.250","dest_port":80,"proto":"TCP","community_id":"1:jCMm1EdvUVEZlVEzGwBQSr+dZ7A=","alert":{"signature":"NETCAP-TEST HTTP GET request","category":"Misc activity","severity":3}}"#;
    const FAST: &str = "04/07/2010-17:29:29.923989  [**] [1:8000002:1] NETCAP-TEST HTTP GET request [**] [Classification: Misc activity] [Priority: 3] {TCP} 172.16.0.122:52166 -> 199.181.132.250:80";

    #[test]
    fn eve_and_fast_agree() {
        let e = parse_eve_line(EVE, 1).expect("eve").expect("alert");
        let f = parse_fast_line(FAST, 1, &TimeZone::UTC).expect("fast");
        assert_eq!(e.ts_us, 1_270_661_369_923_989);
        assert_eq!(
            (e.ts_us, e.src_ip, e.dst_ip, e.src_port, e.dst_port),
            (f.ts_us, f.src_ip, f.dst_ip, f.src_port, f.dst_port)
        );
        assert_eq!((&e.signature, &e.classification, e.severity), (&f.signature, &f.classification, f.severity));
    }

    #[test]
    fn ipv6_icmp_and_raw_lines() {
        let f = parse_fast_line("01/05/2021-06:56:43.619085  [**] [1:2210029:3] X [**] [Classification: Y] [Priority: 3] {TCP} 2601:0647:4b02:1d20:fd05:6f66:ecce:8bc7:49735 -> 2620:01ec:0c11:0000:0000:0000:0000:0200:443", 1, &TimeZone::UTC).expect("v6");
        assert_eq!(f.src_ip, "2601:647:4b02:1d20:fd05:6f66:ecce:8bc7".parse().ok());
        assert_eq!((f.src_port, f.dst_port), (Some(49735), Some(443)));
        let i = parse_fast_line("06/29/2010-19:41:35.135052  [**] [1:8000007:1] ICMP [**] [Classification: A] [Priority: 2] {ICMP} 10.118.10.1:8 -> 10.118.10.2:0", 1, &TimeZone::UTC).expect("icmp");
        assert_eq!((i.src_port, i.dst_port), (None, None));
        let r = parse_fast_line("06/29/2010-19:41:50.969363  [**] [1:2200067:2] SURICATA VLAN unknown type [**] [Classification: Generic Protocol Command Decode] [Priority: 3] [**] [Raw pkt: 01 00 ] [pcap file packet: 21]", 1, &TimeZone::UTC).expect("raw");
        assert_eq!((r.src_ip, r.severity), (None, 3));
    }

    #[test]
    fn time_zones() {
        let at = |tz: &str, t: &str| parse_fast_time(t, &parse_tz(tz).expect(tz));
        assert_eq!(at("UTC", "04/07/2010-17:29:29.923989"), Ok(1_270_661_369_923_989));
        assert_eq!(at("+02:00", "04/07/2010-19:29:29.923989"), Ok(1_270_661_369_923_989));
        assert_eq!(at("UTC+2", "04/07/2010-19:29:29.923989"), Ok(1_270_661_369_923_989));
        assert_eq!(at("-0530", "04/07/2010-11:59:29.923989"), Ok(1_270_661_369_923_989));
        assert!(parse_tz("Mars/Olympus").is_err());
        assert_eq!(parse_eve_time("2010-04-07T19:29:29.923989+02:00"), Ok(1_270_661_369_923_989));
    }

    /// Europe/Berlin is +01:00 in winter and +02:00 in summer; in 2010
    /// the clocks went forward on March 28 at 02:00 and back on October
    /// 31 at 03:00. Instants from `date -u -d '2010-03-28 00:30' +%s`.
    #[test]
    fn iana_zones_follow_daylight_saving() {
        let berlin = parse_tz("Europe/Berlin").expect("bundled tz database");
        let at = |t: &str| parse_fast_time(t, &berlin).map(|us| us / 1_000_000);
        // Winter, the night of the change: 01:30 local is 00:30 UTC.
        assert_eq!(at("03/28/2010-01:30:00.000000"), Ok(1_269_736_200));
        // Summer, two hours later in local time: 03:30 local is 01:30 UTC.
        assert_eq!(at("03/28/2010-03:30:00.000000"), Ok(1_269_736_200 + 3600));
        // Midsummer +02:00, midwinter +01:00.
        assert_eq!(at("07/01/2010-12:00:00.000000"), Ok(1_277_978_400));
        assert_eq!(at("01/01/2010-12:00:00.000000"), Ok(1_262_343_600));
        // The hour that does not exist (02:30 on the spring-forward night)
        // is read with the offset before the change (RFC 5545):
        // 02:30 +01:00 = 01:30 UTC.
        assert_eq!(at("03/28/2010-02:30:00.000000"), Ok(1_269_736_200 + 3600));
        // The hour that happens twice (02:30 on the fall-back night) is
        // the first one, still +02:00: 00:30 UTC.
        assert_eq!(at("10/31/2010-02:30:00.000000"), Ok(1_288_485_000));
    }

    #[test]
    fn impossible_dates_are_named() {
        let err = parse_fast_time("02/30/2010-12:00:00.000000", &TimeZone::UTC).unwrap_err();
        assert!(err.contains("impossible date 2010-02-30"), "{err}");
        let err = parse_eve_time("2011-02-29T00:00:00.000000+0000").unwrap_err();
        assert!(err.contains("impossible date 2011-02-29"), "{err}");
        assert_eq!(parse_eve_time("2012-02-29T00:00:00.000000+0000"), Ok(1_330_473_600_000_000));
        assert!(parse_fast_time("13/01/2010-12:00:00.0", &TimeZone::UTC).is_err());
        assert!(parse_fast_time("01/01/2010-24:00:00.0", &TimeZone::UTC).unwrap_err().contains("impossible time"));
        // A leap second is the next minute's first second.
        assert_eq!(parse_eve_time("2016-12-31T23:59:60.5Z"), Ok(1_483_228_800_500_000));
        let line = "02/30/2010-17:29:29.923989  [**] [1:2:3] s [**] [Priority: 3] {TCP} 1.2.3.4:1 -> 1.2.3.4:2";
        assert!(parse_fast_line(line, 1, &TimeZone::UTC).unwrap_err().contains("impossible date"));
    }

    #[test]
    fn every_prefix_and_mangled_byte_is_handled() {
        for line in [EVE, FAST] {
            let mut variants: Vec<String> = Vec::new();
            for (i, _) in line.char_indices() {
                variants.push(line[..i].to_owned());
                for rep in ["é", "9", ":", "-", "+", " ", "[", "]", "{", "\"", "ü1"] {
                    variants.push(format!("{}{rep}{}", &line[..i], &line[i + 1..]));
                }
            }
            for v in &variants {
                let _ = parse_eve_line(v, 1);
                let _ = parse_fast_line(v, 1, &fixed_zone(3600).expect("+01:00"));
                let _ = parse_eve_time(v);
                let _ = parse_tz(v);
            }
        }
        assert!(parse_eve_time("2010-04-07T17:29:29.9+aé1").is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for l in [
            "",
            "{",
            "[]",
            "{\"timestamp\":5}",
            "99/99/2010-00:00:00.0 [**]",
            "04/07/2010-17:29:29.923989 [**] [1:2] x",
            "04/07/2010-17:29:29.9é [**]",
        ] {
            assert!(parse_eve_line(l, 1).is_err() || parse_fast_line(l, 1, &TimeZone::UTC).is_err());
        }
        assert!(parse_fast_line(
            "04/07/2010-17:29:29.923989  [**] [1:2:3] s [**] [Priority: 3] {TCP} 1.2.3.4:99999 -> 1.2.3.4:1",
            1,
            &TimeZone::UTC
        )
        .is_err());
    }
}

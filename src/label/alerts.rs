//! Suricata alerts from EVE JSON (`eve.json`) or the classic one-line
//! `fast.log`, parsed into [`Alert`]s. Nothing here panics on log
//! contents: a line that does not parse is skipped and counted.

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

/// Parses a UTC offset for fast.log times: `UTC`, `Z`, `+02:00`, `-0530`,
/// `+2`. Returns seconds east of UTC.
pub fn parse_tz(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("gmt") || t == "Z" || t == "z" {
        return Ok(0);
    }
    let t = t.strip_prefix("UTC").or_else(|| t.strip_prefix("utc")).unwrap_or(t);
    parse_offset(t).ok_or_else(|| format!("unknown time zone {s:?}: give UTC or an offset such as +02:00 or -0500"))
}

/// `+HH:MM`, `+HHMM`, `+HH`, `+H` (and `-`) → seconds east of UTC.
fn parse_offset(t: &str) -> Option<i64> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    if !rest.is_ascii() {
        return None;
    }
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => (&rest[..2], &rest[2..]),
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

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Microseconds since the epoch of a wall-clock time, range-checked.
fn to_us(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, us: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 || !(1..=9999).contains(&y) {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    Some(secs * 1_000_000 + us)
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

/// EVE's `2010-04-07T17:29:29.923989+0000` (offset `+0000`, `+00:00` or `Z`).
pub fn parse_eve_time(s: &str) -> Option<i64> {
    let (date, rest) = s.split_once('T')?;
    let mut dp = date.splitn(3, '-');
    let (y, mo, d) = (digits(dp.next()?)?, digits(dp.next()?)?, digits(dp.next()?)?);
    let zone_at = rest.find(['+', '-', 'Z', 'z']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let offset = match zone {
        "" | "Z" | "z" => 0,
        z => parse_offset(z)?,
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, fraction_us(f)?),
        None => (clock, 0),
    };
    let mut tp = hms.splitn(3, ':');
    let (h, mi, sec) = (digits(tp.next()?)?, digits(tp.next()?)?, digits(tp.next()?)?);
    Some(to_us(y, mo, d, h, mi, sec, frac)? - offset * 1_000_000)
}

/// fast.log's `04/07/2010-17:29:29.923989`, a wall-clock time in a zone
/// `tz_offset` seconds east of UTC.
pub fn parse_fast_time(s: &str, tz_offset: i64) -> Option<i64> {
    let (date, clock) = s.split_once('-')?;
    let mut dp = date.splitn(3, '/');
    let (mo, d, y) = (digits(dp.next()?)?, digits(dp.next()?)?, digits(dp.next()?)?);
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, fraction_us(f)?),
        None => (clock, 0),
    };
    let mut tp = hms.splitn(3, ':');
    let (h, mi, sec) = (digits(tp.next()?)?, digits(tp.next()?)?, digits(tp.next()?)?);
    Some(to_us(y, mo, d, h, mi, sec, frac)? - tz_offset * 1_000_000)
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
    let ts_us = parse_eve_time(ts).ok_or_else(|| format!("bad timestamp {ts:?}"))?;
    let event = obj.get("event_type").and_then(|t| t.as_str()).ok_or("no \"event_type\"")?;
    if event != "alert" {
        return Ok(None);
    }
    let alert = obj.get("alert").and_then(|a| a.as_object()).ok_or("alert event without an \"alert\" object")?;
    let text = |o: &serde_json::Map<String, serde_json::Value>, k: &str| o.get(k).and_then(|x| x.as_str()).map(str::to_owned);
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
pub fn parse_fast_line(line: &str, line_no: usize, tz_offset: i64) -> Result<Alert, String> {
    let line = line.trim_end();
    let (ts, rest) = line.split_once(char::is_whitespace).ok_or("no timestamp")?;
    let ts_us = parse_fast_time(ts, tz_offset).ok_or_else(|| format!("bad timestamp {ts:?}"))?;
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
    if first_line.trim_start().starts_with('{') { Format::Eve } else { Format::Fast }
}

/// Reads every alert of a log; the format is recognised by content.
/// `tz_offset` (seconds east of UTC) applies to fast.log only.
pub fn load(input: impl BufRead, tz_offset: i64) -> std::io::Result<Loaded> {
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
            Format::Fast => parse_fast_line(line, line_no, tz_offset).map(Some),
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
        let f = parse_fast_line(FAST, 1, 0).expect("fast");
        assert_eq!(e.ts_us, 1_270_661_369_923_989);
        assert_eq!((e.ts_us, e.src_ip, e.dst_ip, e.src_port, e.dst_port), (f.ts_us, f.src_ip, f.dst_ip, f.src_port, f.dst_port));
        assert_eq!((&e.signature, &e.classification, e.severity), (&f.signature, &f.classification, f.severity));
    }

    #[test]
    fn ipv6_icmp_and_raw_lines() {
        let f = parse_fast_line("01/05/2021-06:56:43.619085  [**] [1:2210029:3] X [**] [Classification: Y] [Priority: 3] {TCP} 2601:0647:4b02:1d20:fd05:6f66:ecce:8bc7:49735 -> 2620:01ec:0c11:0000:0000:0000:0000:0200:443", 1, 0).expect("v6");
        assert_eq!(f.src_ip, "2601:647:4b02:1d20:fd05:6f66:ecce:8bc7".parse().ok());
        assert_eq!((f.src_port, f.dst_port), (Some(49735), Some(443)));
        let i = parse_fast_line("06/29/2010-19:41:35.135052  [**] [1:8000007:1] ICMP [**] [Classification: A] [Priority: 2] {ICMP} 10.118.10.1:8 -> 10.118.10.2:0", 1, 0).expect("icmp");
        assert_eq!((i.src_port, i.dst_port), (None, None));
        let r = parse_fast_line("06/29/2010-19:41:50.969363  [**] [1:2200067:2] SURICATA VLAN unknown type [**] [Classification: Generic Protocol Command Decode] [Priority: 3] [**] [Raw pkt: 01 00 ] [pcap file packet: 21]", 1, 0).expect("raw");
        assert_eq!((r.src_ip, r.severity), (None, 3));
    }

    #[test]
    fn time_zones() {
        assert_eq!(parse_tz("UTC"), Ok(0));
        assert_eq!(parse_tz("+02:00"), Ok(7200));
        assert_eq!(parse_tz("-0530"), Ok(-19800));
        assert!(parse_tz("Mars/Olympus").is_err());
        assert_eq!(parse_fast_time("04/07/2010-19:29:29.923989", 7200), Some(1_270_661_369_923_989));
        assert_eq!(parse_eve_time("2010-04-07T19:29:29.923989+02:00"), Some(1_270_661_369_923_989));
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
                let _ = parse_fast_line(v, 1, 3600);
                let _ = parse_eve_time(v);
                let _ = parse_tz(v);
            }
        }
        assert_eq!(parse_eve_time("2010-04-07T17:29:29.9+aé1"), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for l in ["", "{", "[]", "{\"timestamp\":5}", "99/99/2010-00:00:00.0 [**]", "04/07/2010-17:29:29.923989 [**] [1:2] x", "04/07/2010-17:29:29.9é [**]"] {
            assert!(parse_eve_line(l, 1).is_err() || parse_fast_line(l, 1, 0).is_err());
        }
        assert!(parse_fast_line("04/07/2010-17:29:29.923989  [**] [1:2:3] s [**] [Priority: 3] {TCP} 1.2.3.4:99999 -> 1.2.3.4:1", 1, 0).is_err());
    }
}

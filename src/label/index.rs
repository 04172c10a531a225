//! Alerts indexed for lookup by record: by packet time (microsecond key)
//! for packet-level records, by address pair and by Community ID (each
//! bucket sorted by time) for flow-level records. Lookups never scan all
//! alerts.

use super::alerts::Alert;
use std::collections::HashMap;
use std::net::IpAddr;

/// One side of a record or alert: address and port where known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct End {
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
}

fn part_matches<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

fn end_matches(a: End, b: End) -> bool {
    part_matches(a.ip, b.ip) && part_matches(a.port, b.port)
}

/// Whether the alert's endpoints match the record's in either direction;
/// a part missing on either side does not count against the match.
pub fn endpoints_match(alert: &Alert, src: End, dst: End) -> bool {
    let a_src = End { ip: alert.src_ip, port: alert.src_port };
    let a_dst = End { ip: alert.dst_ip, port: alert.dst_port };
    (end_matches(a_src, src) && end_matches(a_dst, dst)) || (end_matches(a_src, dst) && end_matches(a_dst, src))
}

fn pair_key(a: IpAddr, b: IpAddr) -> (IpAddr, IpAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

pub struct Index {
    pub alerts: Vec<Alert>,
    /// Label text per alert (classification, or signature with -description).
    pub labels: Vec<String>,
    by_time: HashMap<i64, Vec<u32>>,
    by_pair: HashMap<(IpAddr, IpAddr), Vec<u32>>,
    by_cid: HashMap<String, Vec<u32>>,
    /// Records each alert landed on (over every file labeled).
    pub hits: Vec<u64>,
}

impl Index {
    /// Indexes `alerts`; `label_of` gives the label text of an alert.
    pub fn new(alerts: Vec<Alert>, label_of: impl Fn(&Alert) -> String) -> Index {
        let mut by_time: HashMap<i64, Vec<u32>> = HashMap::with_capacity(alerts.len());
        let mut by_pair: HashMap<(IpAddr, IpAddr), Vec<u32>> = HashMap::new();
        let mut by_cid: HashMap<String, Vec<u32>> = HashMap::new();
        let mut order: Vec<u32> = (0..alerts.len() as u32).collect();
        order.sort_by_key(|&i| alerts[i as usize].ts_us);
        for &i in &order {
            let a = &alerts[i as usize];
            by_time.entry(a.ts_us).or_default().push(i);
            if let (Some(s), Some(d)) = (a.src_ip, a.dst_ip) {
                by_pair.entry(pair_key(s, d)).or_default().push(i);
            }
            if let Some(c) = &a.community_id {
                by_cid.entry(c.clone()).or_default().push(i);
            }
        }
        let labels = alerts.iter().map(&label_of).collect();
        let hits = vec![0; alerts.len()];
        Index { alerts, labels, by_time, by_pair, by_cid, hits }
    }

    /// Alerts of the packet at `ts_ns` whose endpoints match the record's
    /// (the parts the record has). An alert with addresses but no ports
    /// (ICMP, ...) does not match a record that has ports.
    pub fn packet(&self, ts_ns: i64, src: End, dst: End, out: &mut Vec<u32>) {
        out.clear();
        let Some(bucket) = self.by_time.get(&ts_ns.div_euclid(1000)) else { return };
        let record_has_ports = src.port.is_some() || dst.port.is_some();
        for &i in bucket {
            let a = &self.alerts[i as usize];
            if record_has_ports && a.src_port.is_none() && a.dst_port.is_none() && (a.src_ip.is_some() || a.dst_ip.is_some()) {
                continue;
            }
            if endpoints_match(a, src, dst) {
                out.push(i);
            }
        }
    }

    /// Alerts whose time falls in `[first_ns, last_ns]` (to the
    /// microsecond) and that belong to the flow: same Community ID when
    /// both have one, else matching endpoints. A flow without addresses
    /// and without a Community ID matches nothing.
    pub fn flow(&self, first_ns: i64, last_ns: i64, src: End, dst: End, cid: Option<&str>, out: &mut Vec<u32>) {
        out.clear();
        let (lo, hi) = (first_ns.div_euclid(1000), last_ns.div_euclid(1000));
        let in_range = |bucket: &[u32]| -> (usize, usize) {
            let start = bucket.partition_point(|&i| self.alerts[i as usize].ts_us < lo);
            let end = bucket.partition_point(|&i| self.alerts[i as usize].ts_us <= hi);
            (start, end.max(start))
        };
        if let (Some(s), Some(d)) = (src.ip, dst.ip) {
            if let Some(bucket) = self.by_pair.get(&pair_key(s, d)) {
                let (start, end) = in_range(bucket);
                for &i in &bucket[start..end] {
                    let a = &self.alerts[i as usize];
                    let ok = match (cid, a.community_id.as_deref()) {
                        (Some(c), Some(ac)) => c == ac,
                        _ => endpoints_match(a, src, dst),
                    };
                    if ok {
                        out.push(i);
                    }
                }
            }
        }
        // Alerts without addresses but with the flow's Community ID, or a
        // flow record without addresses.
        if let Some(c) = cid {
            if let Some(bucket) = self.by_cid.get(c) {
                let (start, end) = in_range(bucket);
                let by_pair = src.ip.is_some() && dst.ip.is_some();
                for &i in &bucket[start..end] {
                    let a = &self.alerts[i as usize];
                    // With addresses on both sides, the pair lookup above has decided.
                    if !(by_pair && a.src_ip.is_some() && a.dst_ip.is_some()) {
                        out.push(i);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(ts_us: i64, src: &str, sp: u16, dst: &str, dp: u16, cid: Option<&str>, class: &str) -> Alert {
        Alert {
            ts_us,
            src_ip: src.parse().ok(),
            dst_ip: dst.parse().ok(),
            src_port: Some(sp),
            dst_port: Some(dp),
            proto: "TCP".into(),
            signature: String::new(),
            classification: class.into(),
            severity: 3,
            community_id: cid.map(str::to_owned),
            flow_id: None,
            line: 1,
        }
    }

    fn end(ip: &str, port: u16) -> End {
        End { ip: ip.parse().ok(), port: Some(port) }
    }

    #[test]
    fn flows_match_by_time_span_and_endpoints_either_way() {
        let idx = Index::new(
            vec![
                alert(1_000, "10.0.0.1", 1234, "10.0.0.2", 80, None, "a"),
                alert(5_000, "10.0.0.2", 80, "10.0.0.1", 1234, None, "b"),
                alert(9_000, "10.0.0.1", 1234, "10.0.0.2", 80, None, "c"),
                alert(5_000, "10.0.0.1", 9999, "10.0.0.2", 80, None, "d"),
            ],
            |a| a.classification.clone(),
        );
        let mut out = Vec::new();
        idx.flow(1_000_000, 5_000_999, end("10.0.0.1", 1234), end("10.0.0.2", 80), None, &mut out);
        assert_eq!(out, [0, 1]);
        idx.flow(1_000_000, 5_000_999, end("10.0.0.2", 80), end("10.0.0.1", 1234), None, &mut out);
        assert_eq!(out, [0, 1]);
        idx.flow(1_001_000, 4_999_999, end("10.0.0.1", 1234), end("10.0.0.2", 80), None, &mut out);
        assert!(out.is_empty(), "{out:?}");
        // A flow with addresses but no ports matches every alert of the pair in its span.
        idx.flow(0, 10_000_000, End { ip: "10.0.0.1".parse().ok(), port: None }, End { ip: "10.0.0.2".parse().ok(), port: None }, None, &mut out);
        out.sort();
        assert_eq!(out, [0, 1, 2, 3]);
    }

    #[test]
    fn community_id_decides_when_both_have_one() {
        let idx = Index::new(
            vec![
                alert(1_000, "10.0.0.1", 1, "10.0.0.2", 2, Some("1:x"), "a"),
                alert(1_000, "10.0.0.1", 1, "10.0.0.2", 2, Some("1:y"), "b"),
                Alert { src_ip: None, dst_ip: None, src_port: None, dst_port: None, ..alert(1_000, "", 0, "", 0, Some("1:x"), "c") },
            ],
            |a| a.classification.clone(),
        );
        let mut out = Vec::new();
        idx.flow(0, 2_000_000, end("10.0.0.1", 1), end("10.0.0.2", 2), Some("1:x"), &mut out);
        assert_eq!(out, [0, 2]);
        idx.flow(0, 2_000_000, End::default(), End::default(), Some("1:y"), &mut out);
        assert_eq!(out, [1]);
        idx.flow(0, 2_000_000, End::default(), End::default(), None, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn packets_match_by_microsecond_and_ports() {
        let mut icmp = alert(7, "10.0.0.1", 0, "10.0.0.2", 0, None, "icmp");
        (icmp.src_port, icmp.dst_port) = (None, None);
        let idx = Index::new(vec![alert(7, "10.0.0.1", 1234, "10.0.0.2", 80, None, "tcp"), icmp], |a| a.classification.clone());
        let mut out = Vec::new();
        let port = |p| End { ip: None, port: Some(p) };
        idx.packet(7_999, port(80), port(1234), &mut out);
        assert_eq!(out, [0], "TCP record: ports either way; the ICMP alert has none");
        idx.packet(8_000, port(80), port(1234), &mut out);
        assert!(out.is_empty(), "another microsecond");
        idx.packet(7_000, End::default(), End::default(), &mut out);
        assert_eq!(out, [0, 1], "a record without endpoints: every alert of its packet");
        idx.packet(7_000, End { ip: "10.0.0.2".parse().ok(), port: None }, End { ip: "10.0.0.9".parse().ok(), port: None }, &mut out);
        assert!(out.is_empty());
    }
}

//! End-to-end tests of `netcap label`: the shared captures are turned into
//! records, then labeled with the Suricata alerts recorded for them
//! (`../shared/suricata`, read in place). Expectations are computed from
//! eve.json directly, not from netcap.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "common/cli.rs"]
mod cli;
use cli::{netcap, repo, run_stdout, s, temp_dir, NETCAP};

fn suricata_dir() -> PathBuf {
    let p = repo().join("../shared/suricata");
    assert!(p.exists(), "missing {} — the shared material must sit beside the repository", p.display());
    p
}

/// name → capture path, from captures.tsv.
fn captures() -> Vec<(String, PathBuf)> {
    let tsv = std::fs::read_to_string(suricata_dir().join("captures.tsv")).expect("captures.tsv");
    tsv.lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, p)| (n.to_owned(), repo().join("../shared").join(p)))
        .collect()
}

fn capture_of(name: &str) -> PathBuf {
    captures().into_iter().find(|(n, _)| n == name).map(|(_, p)| p).expect("capture in captures.tsv")
}

/// Records of capture `name` in a fresh directory.
fn records(name: &str, tag: &str) -> (PathBuf, PathBuf) {
    let pcap = capture_of(name);
    let dir = temp_dir(&format!("{name}-{tag}"));
    run_stdout(&["-r", s(&pcap), "-out", s(&dir), "-quiet"]);
    (pcap, dir)
}

fn alerts(name: &str, file: &str) -> PathBuf {
    suricata_dir().join(name).join(file)
}

fn label(pcap: &Path, dir: &Path, alerts: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["label", "-r", s(pcap), "-out", s(dir), "-alerts", s(alerts)];
    args.extend_from_slice(extra);
    netcap(&args)
}

fn label_ok(pcap: &Path, dir: &Path, alerts: &Path, extra: &[&str]) -> String {
    let out = label(pcap, dir, alerts, extra);
    assert!(out.status.success(), "label failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every `<Type>_labeled.csv` in `dir`: type → (header, rows).
type Csvs = BTreeMap<String, (Vec<String>, Vec<Vec<String>>)>;

/// The packet-level labeled CSVs (record types with a `Timestamp`).
fn labeled(dir: &Path, sep: u8) -> Csvs {
    labeled_where(dir, sep, "Timestamp")
}

/// The flow-level labeled CSVs (record types with `TimestampFirst`).
fn labeled_flows(dir: &Path, sep: u8) -> Csvs {
    labeled_where(dir, sep, "TimestampFirst")
}

fn labeled_where(dir: &Path, sep: u8, time_column: &str) -> Csvs {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_owned();
        let Some(ty) = name.strip_suffix("_labeled.csv") else { continue };
        let mut rdr = csv::ReaderBuilder::new().delimiter(sep).from_path(&p).expect("csv");
        let header: Vec<String> = rdr.headers().expect("header").iter().map(str::to_owned).collect();
        let rows: Vec<Vec<String>> =
            rdr.records().map(|r| r.expect("row").iter().map(str::to_owned).collect()).collect();
        if header.iter().any(|h| h == time_column) {
            out.insert(ty.to_owned(), (header, rows));
        }
    }
    out
}

fn col(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

/// Label → records, over every file.
fn label_counts(csvs: &Csvs) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for (header, rows) in csvs.values() {
        let l = col(header, "Label").expect("Label column");
        assert_eq!(l, header.len() - 1, "Label is the last column");
        for r in rows {
            *m.entry(r[l].clone()).or_insert(0) += 1;
        }
    }
    m
}

/// Microseconds of a `seconds.fraction` cell.
fn cell_us(cell: &str) -> i64 {
    let (sec, frac) = cell.split_once('.').expect("seconds.fraction");
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    sec.parse::<i64>().expect("seconds") * 1_000_000 + frac.parse::<i64>().expect("fraction")
}

/// Microseconds of an EVE timestamp written in UTC (`...+0000`).
fn eve_us(ts: &str) -> i64 {
    let ts = ts.strip_suffix("+0000").expect("EVE times of the shared logs are UTC");
    let n = |a: usize, b: usize| ts[a..b].parse::<i64>().expect("digits");
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    // days from civil (Hinnant), written out separately from netcap's.
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19);
    secs * 1_000_000 + n(20, 26)
}

struct EveAlert {
    us: i64,
    /// Suricata's packet number; absent for alerts raised on a pseudo
    /// packet (`pkt_src` "stream (flow timeout)"), which belong to a flow
    /// but to no packet of the capture.
    pcap_cnt: Option<u64>,
    ports: Option<(String, String)>,
    ips: Option<(std::net::IpAddr, std::net::IpAddr)>,
    class: String,
    signature: String,
}

fn ip(v: &serde_json::Value, key: &str) -> Option<std::net::IpAddr> {
    v.get(key).and_then(|a| a.as_str()).and_then(|a| a.parse().ok())
}

/// Checks `-collect` output against eve.json at the flow level: each alert
/// of a real packet with addresses and ports lands on a Connection and a
/// Flow whose time span holds the alert and whose endpoints are the
/// alert's (either direction), with its classification.
fn check_flows_against_eve(name: &str, flows: &Csvs) {
    for ty in ["Connection", "Flow"] {
        let (header, rows) = flows.get(ty).unwrap_or_else(|| panic!("{name}: no {ty}_labeled.csv"));
        let c = |n: &str| col(header, n).unwrap_or_else(|| panic!("{ty} has no {n}"));
        let (first, last, sip, dip, sp, dp, l) = (
            c("TimestampFirst"),
            c("TimestampLast"),
            c("SrcIP"),
            c("DstIP"),
            c("SrcPort"),
            c("DstPort"),
            header.len() - 1,
        );
        let mut checked = 0;
        for a in eve(name).iter().filter(|a| a.pcap_cnt.is_some()) {
            let (Some((asp, adp)), Some((aip, bip))) = (&a.ports, &a.ips) else { continue };
            let hits: Vec<&Vec<String>> = rows
                .iter()
                .filter(|r| cell_us(&r[first]) <= a.us && a.us <= cell_us(&r[last]))
                .filter(|r| {
                    let (ri, rj) = (r[sip].parse::<std::net::IpAddr>().ok(), r[dip].parse::<std::net::IpAddr>().ok());
                    (ri == Some(*aip) && rj == Some(*bip) && &r[sp] == asp && &r[dp] == adp)
                        || (ri == Some(*bip) && rj == Some(*aip) && &r[sp] == adp && &r[dp] == asp)
                })
                .collect();
            assert!(!hits.is_empty(), "{name}: alert at {} {aip}:{asp} -> {bip}:{adp} landed on no {ty}", a.us);
            assert!(
                hits.iter().any(|r| r[l].split(" | ").any(|x| x == a.class)),
                "{name}: {ty} of the alert at {} lacks {:?}",
                a.us,
                a.class
            );
            checked += 1;
        }
        eprintln!("{name}: {checked} alerts found on their {ty}");
    }
}

fn eve(name: &str) -> Vec<EveAlert> {
    let text = std::fs::read_to_string(alerts(name, "eve.json")).expect("eve.json");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            let port = |k: &str| v.get(k).and_then(|p| p.as_u64()).map(|p| p.to_string());
            EveAlert {
                us: eve_us(v["timestamp"].as_str().expect("timestamp")),
                pcap_cnt: v.get("pcap_cnt").and_then(|c| c.as_u64()),
                ports: port("src_port").zip(port("dest_port")),
                ips: ip(&v, "src_ip").zip(ip(&v, "dest_ip")),
                class: v["alert"]["category"].as_str().expect("category").to_owned(),
                signature: v["alert"]["signature"].as_str().expect("signature").to_owned(),
            }
        })
        .collect()
}

/// Checks `-collect` output of capture `name` against eve.json: each alert
/// with ports lands on the TCP/UDP record of its packet (µs and ports,
/// either direction) with its classification; records at a time without
/// any alert, and TCP/UDP records without an alert of their ports, are
/// `normal`.
fn check_against_eve(name: &str, csvs: &Csvs) {
    let alerts = eve(name);
    let times: HashSet<i64> = alerts.iter().map(|a| a.us).collect();
    let no_address_times: HashSet<i64> = alerts.iter().filter(|a| a.ports.is_none()).map(|a| a.us).collect();
    for a in alerts.iter().filter(|a| a.ports.is_some() && a.pcap_cnt.is_some()) {
        let (sp, dp) = a.ports.clone().expect("ports");
        let mut found = 0;
        for ty in ["TCP", "UDP"] {
            let Some((header, rows)) = csvs.get(ty) else { continue };
            let (t, s_, d, l) = (
                col(header, "Timestamp").expect("ts"),
                col(header, "SrcPort").expect("sp"),
                col(header, "DstPort").expect("dp"),
                header.len() - 1,
            );
            for r in rows {
                if cell_us(&r[t]) == a.us && ((r[s_] == sp && r[d] == dp) || (r[s_] == dp && r[d] == sp)) {
                    found += 1;
                    assert!(
                        r[l].split(" | ").any(|x| x == a.class),
                        "{name} {ty} at {} {sp}->{dp}: label {:?} lacks {:?}",
                        a.us,
                        r[l],
                        a.class
                    );
                }
            }
        }
        assert!(found >= 1, "{name}: alert at {} {sp}->{dp} ({}) landed on no TCP/UDP record", a.us, a.class);
    }
    for (ty, (header, rows)) in csvs {
        let t = col(header, "Timestamp").expect("ts");
        let l = header.len() - 1;
        let ports = col(header, "SrcPort").zip(col(header, "DstPort"));
        for r in rows {
            let us = cell_us(&r[t]);
            let expected_alert = match ports {
                None => times.contains(&us),
                Some((s_, d)) => {
                    no_address_times.contains(&us)
                        || alerts.iter().any(|a| {
                            a.us == us
                                && a.ports.as_ref().is_some_and(|(sp, dp)| {
                                    (&r[s_] == sp && &r[d] == dp) || (&r[s_] == dp && &r[d] == sp)
                                })
                        })
                }
            };
            if !expected_alert {
                assert_eq!(r[l], "normal", "{name} {ty} record at {us} has no alert but label {:?}", r[l]);
            }
        }
    }
}

/// The count netcap reports of alerts that matched no record.
fn unmatched(stderr: &str) -> usize {
    stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("netcap label: ")
                .and_then(|l| l.split_once(" of "))
                .filter(|(_, r)| r.contains("matched no record"))
        })
        .map_or(0, |(n, _)| n.parse().expect("count"))
}

/// Label counts per capture (most severe label, over every record file).
/// Records per label; HTTP records (one per transaction, from the
/// reassembled streams) are labeled like every other record.
fn expected_counts(name: &str) -> Vec<(&'static str, u64)> {
    match name {
        "ek-to-cryptowall4" => vec![
            ("Exploit Kit Activity Detected", 12),
            ("Misc activity", 3),
            ("Potentially Bad Traffic", 18),
            ("normal", 1937),
        ],
        "http-espn" => vec![("Misc activity", 185), ("normal", 2772)],
        "many-protocols" => vec![
            ("Attempted Information Leak", 197),
            ("Detection of a Network Scan", 42),
            // Suricata's decoder-event alert on the 6 CDP frames (4 of them
            // behind a VLAN tag whose type is an 802.3 length) labels each
            // frame's Ethernet, Dot1Q, LLC, SNAP, CiscoDiscovery and
            // CiscoDiscoveryInfo records.
            ("Generic Protocol Command Decode", 34),
            ("Misc activity", 459),
            ("Not Suspicious Traffic", 60),
            ("Potential Corporate Privacy Violation", 24),
            ("access to a potentially vulnerable web application", 3),
            ("normal", 13809),
        ],
        "http-packets" => vec![
            ("Misc activity", 364),
            ("Potential Corporate Privacy Violation", 39),
            ("access to a potentially vulnerable web application", 23),
            ("normal", 5641),
        ],
        "tls2" => vec![("Generic Protocol Command Decode", 27), ("Misc activity", 42), ("normal", 22901)],
        "sll" => vec![("Misc activity", 4), ("normal", 1050)],
        other => panic!("no expected counts for {other}: add them"),
    }
}

#[test]
fn shared_captures_eve_and_fast_log_agree_and_match_eve() {
    for (name, _) in captures() {
        let (pcap, dir) = records(&name, "eve");
        label_ok(&pcap, &dir, &alerts(&name, "eve.json"), &[]);
        let from_eve = labeled(&dir, b',');
        assert!(from_eve.contains_key("TCP"), "{name}: no TCP_labeled.csv");
        label_ok(&pcap, &dir, &alerts(&name, "fast.log"), &[]);
        let from_fast = labeled(&dir, b',');
        assert!(from_eve == from_fast, "{name}: labels from eve.json and fast.log differ");
        let counts = label_counts(&from_eve);
        eprintln!("{name}: {counts:?}");
        let expected: BTreeMap<String, u64> =
            expected_counts(&name).into_iter().map(|(l, n)| (l.to_owned(), n)).collect();
        assert_eq!(counts, expected, "{name}: records per label");

        let stderr = label_ok(&pcap, &dir, &alerts(&name, "eve.json"), &["-collect"]);
        // Only pseudo-packet alerts may miss: they have no packet of their own.
        let pseudo = eve(&name).iter().filter(|a| a.pcap_cnt.is_none()).count();
        assert!(
            unmatched(&stderr) <= pseudo,
            "{name}: {} unmatched, {pseudo} pseudo-packet alerts\n{stderr}",
            unmatched(&stderr)
        );
        let collected = labeled(&dir, b',');
        check_against_eve(&name, &collected);
        check_flows_against_eve(&name, &labeled_flows(&dir, b','));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Labels of one type's CSV.
fn labels_of(csvs: &Csvs, ty: &str) -> Vec<String> {
    let (header, rows) = csvs.get(ty).unwrap_or_else(|| panic!("no {ty}_labeled.csv"));
    let l = header.len() - 1;
    rows.iter().map(|r| r[l].clone()).collect()
}

#[test]
fn most_severe_collect_strict_description_exclude() {
    // ek-to-cryptowall4 has packets with an exploit-kit alert (severity 1)
    // and a "Misc activity" alert (severity 3).
    let name = "ek-to-cryptowall4";
    let (pcap, dir) = records(name, "flags");
    let eve_path = alerts(name, "eve.json");

    label_ok(&pcap, &dir, &eve_path, &[]);
    let tcp = labels_of(&labeled(&dir, b','), "TCP");
    assert_eq!(tcp.iter().filter(|l| *l == "Exploit Kit Activity Detected").count(), 4);
    assert!(!tcp.iter().any(|l| l.contains(" | ")));

    label_ok(&pcap, &dir, &eve_path, &["-collect"]);
    let tcp = labels_of(&labeled(&dir, b','), "TCP");
    assert_eq!(tcp.iter().filter(|l| *l == "Exploit Kit Activity Detected | Misc activity").count(), 4, "{tcp:?}");

    let out = label(&pcap, &dir, &eve_path, &["-strict"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("conflicting labels (-strict): Exploit Kit Activity Detected | Misc activity"), "{err}");

    label_ok(&pcap, &dir, &eve_path, &["-description"]);
    let signatures: HashSet<String> = eve(name).into_iter().map(|a| a.signature).collect();
    let counts = label_counts(&labeled(&dir, b','));
    assert!(counts.len() > 1);
    for l in counts.keys().filter(|l| *l != "normal") {
        assert!(signatures.contains(l), "{l:?} is not a signature of {name}");
    }
    assert_eq!(counts["normal"], 1937, "-description changes the text, not which records are labeled");

    let err = label_ok(
        &pcap,
        &dir,
        &eve_path,
        &["-exclude", "Exploit Kit Activity Detected,Potentially Bad Traffic", "-strict"],
    );
    assert!(err.contains("10 of 15 alerts excluded by classification"), "{err}");
    let counts = label_counts(&labeled(&dir, b','));
    assert_eq!(counts.keys().collect::<Vec<_>>(), ["Misc activity", "normal"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ties_are_counted_and_resolved_by_sort_order() {
    let name = "http-espn";
    let (pcap, dir) = records(name, "ties");
    let fast = std::fs::read_to_string(alerts(name, "fast.log")).expect("fast.log");
    let first = fast.lines().next().expect("a line");
    let log = dir.join("tie.log");
    std::fs::write(&log, format!("{first}\n{}\n", first.replace("Misc activity", "Other class"))).expect("write");
    let err = label_ok(&pcap, &dir, &log, &[]);
    // Ethernet, IPv4 and TCP records of the packet, and its NetworkFlow, Flow and Connection.
    assert!(err.contains("netcap label: 6 records had equally severe alerts with different labels"), "{err}");
    let counts = label_counts(&labeled(&dir, b','));
    assert_eq!(counts.get("Misc activity"), Some(&3));
    assert_eq!(counts.get("Other class"), None);
    label_ok(&pcap, &dir, &log, &["-collect"]);
    assert_eq!(label_counts(&labeled(&dir, b',')).get("Misc activity | Other class"), Some(&3));
    let _ = std::fs::remove_dir_all(&dir);
}

/// fast.log with every time moved `hours` later (same day in the shared logs).
fn shift_fast_log(text: &str, hours: u32) -> String {
    text.lines()
        .map(|l| {
            let h: u32 = l[11..13].parse().expect("hour");
            assert!(h + hours < 24, "shift stays within the day");
            format!("{}{:02}{}\n", &l[..11], h + hours, &l[13..])
        })
        .collect()
}

#[test]
fn time_zone_of_fast_log() {
    let name = "http-espn";
    let (pcap, dir) = records(name, "tz");
    label_ok(&pcap, &dir, &alerts(name, "eve.json"), &[]);
    let reference = labeled(&dir, b',');

    // Read as +02:00, the UTC times of the log are two hours off.
    let err = label_ok(&pcap, &dir, &alerts(name, "fast.log"), &["-tz", "+02:00"]);
    assert!(err.contains("61 of 61 alerts matched no record"), "{err}");
    assert!(err.contains("wrong -tz"), "{err}");
    assert_eq!(label_counts(&labeled(&dir, b',')).keys().collect::<Vec<_>>(), ["normal"]);

    // A log written at +02:00 matches with -tz +02:00 (and +0200, UTC+2).
    let shifted = dir.join("fast-plus2.log");
    let text = std::fs::read_to_string(alerts(name, "fast.log")).expect("fast.log");
    std::fs::write(&shifted, shift_fast_log(&text, 2)).expect("write");
    for tz in ["+02:00", "+0200"] {
        label_ok(&pcap, &dir, &shifted, &["-tz", tz]);
        assert!(labeled(&dir, b',') == reference, "-tz {tz}");
    }
    let err = label_ok(&pcap, &dir, &shifted, &[]);
    assert!(err.contains("61 of 61 alerts matched no record"), "{err}");

    let out = label(&pcap, &dir, &shifted, &["-tz", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown time zone"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_lines_are_skipped_and_counted() {
    let name = "http-espn";
    let (pcap, dir) = records(name, "bad");
    label_ok(&pcap, &dir, &alerts(name, "eve.json"), &[]);
    let reference = labeled(&dir, b',');
    for file in ["eve.json", "fast.log"] {
        let text = std::fs::read_to_string(alerts(name, file)).expect("log");
        let mut lines: Vec<&str> = text.lines().collect();
        lines.insert(1, "garbage that is no alert");
        lines.insert(4, &lines[4][..lines[4].len() / 2]);
        let log = dir.join(format!("bad-{file}"));
        std::fs::write(&log, lines.join("\n")).expect("write");
        let err = label_ok(&pcap, &dir, &log, &[]);
        assert!(err.contains(&format!("{} line 2: ", log.display())), "{err}");
        assert!(err.contains(&format!("{} line 5: ", log.display())), "{err}");
        assert!(err.contains("skipped 2 malformed lines"), "{err}");
        // Line 5 is a half copy of the next alert: no alert is lost.
        assert!(labeled(&dir, b',') == reference, "{file}: labels differ from the clean log's");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn not_a_suricata_log_and_usage_errors() {
    let name = "sll";
    let (pcap, dir) = records(name, "usage");
    let out = label(&pcap, &dir, &repo().join("README.md"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a Suricata alert log"), "{err}");
    assert!(!dir.join("TCP_labeled.csv").exists());

    let json = dir.join("other.json");
    std::fs::write(&json, "{\"a\":1}\n{\"b\":2}\n").expect("write");
    assert_eq!(label(&pcap, &dir, &json, &[]).status.code(), Some(2));

    // Suricata is not installed here: -suricata says so.
    let empty = dir.join("empty-path");
    std::fs::create_dir_all(&empty).expect("dir");
    let out = Command::new(NETCAP)
        .args(["label", "-r", s(&pcap), "-out", s(&dir), "-suricata"])
        .env("PATH", &empty)
        .output()
        .expect("netcap runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("-suricata: no suricata on PATH"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = netcap(&["label", "-r", s(&pcap), "-out", s(&dir)]);
    assert_eq!(out.status.code(), Some(2), "no alerts given");
    let out = label(&capture_of("tls2"), &dir, &alerts(name, "eve.json"), &[]);
    assert_eq!(out.status.code(), Some(2), "records of another capture");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no record files made from"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn disable_layers_separator_and_netlabel() {
    let name = "sll";
    let (pcap, dir) = records(name, "misc");
    let err = label_ok(&pcap, &dir, &alerts(name, "eve.json"), &["-disable-layers"]);
    assert!(err.contains("-disable-layers: skipping packet-level TCP"), "{err}");
    assert!(labeled(&dir, b',').is_empty(), "no packet-level CSV with -disable-layers");
    let flows = labeled_flows(&dir, b',');
    assert!(flows.contains_key("Connection") && flows.contains_key("Flow"), "{:?}", flows.keys());

    label_ok(&pcap, &dir, &alerts(name, "eve.json"), &[]);
    let comma = labeled(&dir, b',');
    // netlabel is netcap under another name; Go-style flags.
    let link = dir.join("netlabel");
    std::os::unix::fs::symlink(NETCAP, &link).expect("symlink");
    let out = Command::new(&link)
        .args(["-r", s(&pcap), "-out", s(&dir), "-alerts", s(&alerts(name, "fast.log")), "-sep", ";", "-progress"])
        .output()
        .expect("netlabel runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let semicolon = labeled(&dir, b';');
    assert!(comma == semicolon);
    assert_eq!(label_counts(&semicolon).get("Misc activity"), Some(&4));
    let _ = std::fs::remove_dir_all(&dir);
}

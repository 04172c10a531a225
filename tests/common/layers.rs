//! Harness of the per-protocol differential tests against tshark
//! (`tests/layers_tshark.rs`): for one record type, every shared capture
//! that carries the protocol is read by netcap and by tshark; tshark's
//! fields of each packet say which records netcap must write and with
//! which values; per capture the two multisets of rows must be equal.
//! Every row starts with the packet's frame number and time, so each
//! record's `FrameNumber` is checked against tshark's `frame.number` too.
//!
//! A [`Spec`] says how to read one protocol on both sides. Rows are lists
//! of normalised text (the compared columns); the harness puts the packet
//! time in front of every row, so a row stands for one record of one
//! packet. Differences that are tshark's (or deliberate) are
//! [`Exception`]s, each explained by bytes; an exception that no longer
//! applies fails the test, so the list stays true.

use super::manifest::Capture;
use super::{epoch_nanos, tshark::TSHARK};
use netcap::container::RecordReader;
use prost_reflect::{DynamicMessage, ReflectMessage, Value};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Separates the occurrences of a field in tshark's output: a control
/// character, so that values with commas (SIP headers, TXT records) survive.
pub const AGGREGATOR: char = '\u{1f}';

/// tshark preferences of every run: no reassembly (netcap decodes each
/// packet on its own; stream reassembly is a later stage).
pub const BASE_PREFS: &[&str] = &[
    "ip.defragment:FALSE",
    "ipv6.defragment:FALSE",
    "tcp.desegment_tcp_streams:FALSE",
    "tcp.analyze_sequence_numbers:FALSE",
    "tcp.calculate_timestamps:FALSE",
    "udp.process_info:FALSE",
    "ipv6.tso_support:TRUE",
];

/// How one record type is read by tshark and by netcap.
pub struct Spec {
    /// netcap's record type, e.g. "DNS".
    pub record: &'static str,
    /// MANIFEST protocol names (columns `protocols` and `extra`) that put a
    /// capture into the test, e.g. `&["dns", "mdns"]`.
    pub protocols: &'static [&'static str],
    /// tshark fields (`-e`) the spec reads.
    pub fields: &'static [&'static str],
    /// tshark preferences (`-o`) besides [`BASE_PREFS`].
    pub prefs: &'static [&'static str],
    /// Names of the compared columns (after the timestamp), for messages.
    pub columns: &'static [&'static str],
    /// tshark's side: the rows (records) this packet must give.
    pub expected: fn(&Pkt) -> Vec<Vec<String>>,
    /// netcap's side: the row of one record.
    pub actual: fn(&DynamicMessage) -> Vec<String>,
    /// Documented differences.
    pub exceptions: &'static [Exception],
}

/// A documented difference, applied to tshark's expected rows of a packet.
pub struct Exception {
    /// The capture (MANIFEST path), or `"*"` for every capture.
    pub capture: &'static str,
    /// Why netcap's value is right (or the difference deliberate), by bytes.
    pub reason: &'static str,
    /// Adjusts the expected rows of one packet; returns whether it applied.
    pub apply: fn(&Pkt, &mut Vec<Vec<String>>) -> bool,
}

/// One packet as tshark read it (the spec's fields): the differential
/// test's packet view.
pub use super::tshark::Packet as Pkt;

#[allow(unused_imports)]
pub use super::{boolean, hex_bytes, ip, num};

/// The text of field `name` of a netcap record: numbers in decimal,
/// booleans as "1"/"0", strings as they are, bytes as lowercase hex.
pub fn field_str(m: &DynamicMessage, name: &str) -> String {
    let f = m
        .descriptor()
        .get_field_by_name(name)
        .unwrap_or_else(|| panic!("{} has no field {name}", m.descriptor().name()));
    value_text(&m.get_field(&f))
}

/// Same as [`field_str`] (kept as a separate name for readability in specs).
pub fn field_num(m: &DynamicMessage, name: &str) -> String {
    field_str(m, name)
}

/// The elements of a repeated message field.
pub fn field_list(m: &DynamicMessage, name: &str) -> Vec<DynamicMessage> {
    let f = m
        .descriptor()
        .get_field_by_name(name)
        .unwrap_or_else(|| panic!("{} has no field {name}", m.descriptor().name()));
    match &*m.get_field(&f) {
        Value::List(items) => items.iter().filter_map(|v| v.as_message().cloned()).collect(),
        Value::Message(one) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// The elements of a repeated scalar field, as text.
pub fn field_values(m: &DynamicMessage, name: &str) -> Vec<String> {
    let f = m
        .descriptor()
        .get_field_by_name(name)
        .unwrap_or_else(|| panic!("{} has no field {name}", m.descriptor().name()));
    match &*m.get_field(&f) {
        Value::List(items) => items.iter().map(value_text).collect(),
        other => vec![value_text(other)],
    }
}

/// Whether a (sub-)message field is set.
pub fn field_present(m: &DynamicMessage, name: &str) -> bool {
    m.descriptor().get_field_by_name(name).is_some_and(|f| m.has_field(&f))
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Bool(b) => if *b { "1" } else { "0" }.into(),
        Value::I32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::F32(n) => n.to_string(),
        Value::F64(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Bytes(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
        Value::EnumNumber(n) => n.to_string(),
        Value::List(items) => items.iter().map(value_text).collect::<Vec<_>>().join(","),
        Value::Message(m) => format!("{m:?}"),
        Value::Map(_) => "<map>".into(),
    }
}

/// Captures whose MANIFEST `protocols` or `extra` column names one of `protocols`.
pub fn captures_with(protocols: &[&str]) -> Vec<Capture> {
    super::manifest::rows()
        .into_iter()
        .filter(|r| r.all_protocols().any(|p| protocols.contains(&p)))
        .map(Capture::from)
        .collect()
}

/// Captures tshark cannot read to the end (a pcapng section of version
/// 2.0 stops it; netcap skips that section as the pcapng spec asks).
const UNREADABLE: &[&str] = &["gopacket/pcapgo/tests/be/test901.pcapng", "gopacket/pcapgo/tests/le/test901.pcapng"];

/// What one capture gave.
struct CaptureResult {
    name: String,
    netcap: usize,
    tshark: usize,
    /// Rows only one side has: (side, row).
    missing: Vec<String>,
}

/// Runs the spec over every selected capture; panics with the differences.
pub fn run(spec: &Spec) {
    super::tshark::check_installed();
    let captures = captures_with(spec.protocols);
    if captures.is_empty() && super::manifest::other_captures() {
        println!("{}: no capture of NETCAP_PCAPS carries {:?}", spec.record, spec.protocols);
        return;
    }
    assert!(!captures.is_empty(), "{}: no shared capture carries {:?}", spec.record, spec.protocols);
    let scratch = std::env::temp_dir().join(format!("netcap-layers-{}-{}", spec.record, std::process::id()));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<CaptureResult>> = Mutex::new(Vec::new());
    let applied: Mutex<Vec<u64>> = Mutex::new(vec![0; spec.exceptions.len()]);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = captures.get(i) else { break };
                let dir = scratch.join(i.to_string());
                let r = run_capture(spec, c, &dir, &applied);
                results.lock().unwrap().push(r);
                let _ = std::fs::remove_dir_all(&dir);
            });
        }
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.name.cmp(&b.name));
    let applied = applied.into_inner().unwrap();

    let (mut total_n, mut total_t, mut bad) = (0, 0, 0);
    println!(
        "{} vs tshark over {} captures (columns: FrameNumber, Timestamp, {}):",
        spec.record,
        results.len(),
        spec.columns.join(", ")
    );
    for r in &results {
        total_n += r.netcap;
        total_t += r.tshark;
        let ok = r.missing.is_empty();
        if !ok {
            bad += 1;
        }
        if r.netcap + r.tshark > 0 || !ok {
            println!("  {:>6} {:>6} {} {}", r.netcap, r.tshark, if ok { "ok  " } else { "DIFF" }, r.name);
        }
    }
    println!("  {total_n:>6} {total_t:>6} records in all (netcap, tshark)");
    for (e, n) in spec.exceptions.iter().zip(&applied) {
        println!(
            "  exception applied to {n} packets: {}: {}",
            e.capture,
            e.reason.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    let mut problems = String::new();
    for r in results.iter().filter(|r| !r.missing.is_empty()) {
        problems.push_str(&format!("{} ({} netcap, {} tshark records):\n", r.name, r.netcap, r.tshark));
        for m in r.missing.iter().take(12) {
            problems.push_str(&format!("    {m}\n"));
        }
        if r.missing.len() > 12 {
            problems.push_str(&format!("    ... {} more\n", r.missing.len() - 12));
        }
    }
    assert!(
        total_t > 0 || super::manifest::other_captures(),
        "{}: tshark found no PDU in {} captures: the spec selects nothing",
        spec.record,
        results.len()
    );
    let stale: Vec<&str> =
        spec.exceptions.iter().zip(&applied).filter(|(_, n)| **n == 0).map(|(e, _)| e.reason).collect();
    assert!(
        stale.is_empty() || super::manifest::other_captures(),
        "{}: documented exceptions that no longer apply (remove them): {stale:#?}",
        spec.record
    );
    assert!(bad == 0, "{}: netcap disagrees with tshark in {bad} captures:\n{problems}", spec.record);
}

/// Runs the spec on one capture the test built: (netcap's records,
/// tshark's records, rows only one side has).
pub fn run_on(spec: &Spec, path: &Path) -> (usize, usize, Vec<String>) {
    super::tshark::check_installed();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let capture = Capture { name, path: path.to_path_buf(), fuzz: false };
    let dir = std::env::temp_dir().join(format!("netcap-layers-{}-on-{}", spec.record, std::process::id()));
    let applied = Mutex::new(vec![0; spec.exceptions.len()]);
    let r = run_capture(spec, &capture, &dir, &applied);
    let _ = std::fs::remove_dir_all(&dir);
    (r.netcap, r.tshark, r.missing)
}

fn run_capture(spec: &Spec, c: &Capture, dir: &Path, applied: &Mutex<Vec<u64>>) -> CaptureResult {
    assert!(c.path.is_file(), "capture {} is missing", c.path.display());
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let out = Command::new(env!("CARGO_BIN_EXE_netcap"))
        .arg("-r")
        .arg(&c.path)
        .arg("-out")
        .arg(dir)
        .args(["-quiet", "-comp=false", "-workers", "1", "-include", spec.record])
        .output()
        .unwrap_or_else(|e| panic!("cannot run netcap: {e}"));
    assert!(out.status.success(), "netcap failed on {}: {}", c.name, String::from_utf8_lossy(&out.stderr));

    // netcap's rows.
    let mut netcap: HashMap<Vec<String>, i64> = HashMap::new();
    let mut n_netcap = 0;
    let path = dir.join(format!("{}.ncap", spec.record));
    if path.exists() {
        let desc =
            netcap::schema::message(spec.record).unwrap_or_else(|| panic!("{} is not in the schema", spec.record));
        let mut reader = RecordReader::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut buf = Vec::new();
        while reader.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
            let m = DynamicMessage::decode(desc.clone(), buf.as_slice())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut row = vec![field_str(&m, "FrameNumber"), field_str(&m, "Timestamp")];
            row.extend((spec.actual)(&m));
            *netcap.entry(row).or_default() += 1;
            n_netcap += 1;
        }
    }

    // tshark's rows.
    let mut cmd = Command::new(TSHARK);
    cmd.arg("-n").arg("-r").arg(&c.path);
    cmd.args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "quote=n", "-E", "header=n"]);
    cmd.arg("-E").arg(format!("aggregator={AGGREGATOR}"));
    for o in BASE_PREFS.iter().chain(spec.prefs) {
        cmd.arg("-o").arg(o);
    }
    let mut fields: Vec<&'static str> = vec!["frame.number", "frame.time_epoch", "frame.protocols"];
    fields.extend(spec.fields.iter().filter(|f| !["frame.number", "frame.time_epoch", "frame.protocols"].contains(f)));
    for f in &fields {
        cmd.arg("-e").arg(f);
    }
    let ts = cmd.output().unwrap_or_else(|e| panic!("cannot run {TSHARK}: {e}"));
    if UNREADABLE.contains(&c.name.as_str()) {
        // Not compared: tshark stops early (see tshark_diff.rs UNREADABLE);
        // check that it still does, so that the list stays true.
        assert!(!ts.status.success(), "{}: listed as unreadable for tshark, but tshark reads it now", c.name);
        return CaptureResult { name: c.name.clone(), netcap: 0, tshark: 0, missing: Vec::new() };
    }
    assert!(ts.status.success(), "tshark failed on {}: {}", c.name, String::from_utf8_lossy(&ts.stderr));
    let stdout = String::from_utf8_lossy(&ts.stdout);
    let index: HashMap<&'static str, usize> = fields.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let mut tshark: HashMap<Vec<String>, i64> = HashMap::new();
    let mut n_tshark = 0;
    let mut local = vec![0u64; spec.exceptions.len()];
    for line in stdout.lines() {
        let p = Pkt::parse(line, &index, AGGREGATOR);
        let mut rows = (spec.expected)(&p);
        for (k, e) in spec.exceptions.iter().enumerate() {
            if (e.capture == "*" || e.capture == c.name) && (e.apply)(&p, &mut rows) {
                local[k] += 1;
            }
        }
        let time = p.first("frame.time_epoch").map(epoch_nanos).unwrap_or_else(|| "0".into());
        let frame = p.first("frame.number").unwrap_or("0").to_string();
        for r in rows {
            let mut row = vec![frame.clone(), time.clone()];
            row.extend(r);
            *tshark.entry(row).or_default() += 1;
            n_tshark += 1;
        }
    }
    {
        let mut a = applied.lock().unwrap();
        for (k, n) in local.iter().enumerate() {
            a[k] += n;
        }
    }
    let mut missing = Vec::new();
    for (row, n) in &netcap {
        let t = tshark.get(row).copied().unwrap_or(0);
        if *n > t {
            missing.push(format!("netcap only ({}x): {}", n - t, row.join(" | ")));
        }
    }
    for (row, n) in &tshark {
        let k = netcap.get(row).copied().unwrap_or(0);
        if *n > k {
            missing.push(format!("tshark only ({}x): {}", n - k, row.join(" | ")));
        }
    }
    missing.sort();
    CaptureResult { name: c.name.clone(), netcap: n_netcap, tshark: n_tshark, missing }
}

//! Multiset comparison of netcap's rows with tshark's, per file, type and
//! field, and the agreement table.

use super::{Row, TYPES};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Agreement of one field (or of whole records, or of record counts).
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub matched: u64,
    pub total: u64,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.matched += other.matched;
        self.total += other.total;
    }
    pub fn perfect(&self) -> bool {
        self.matched == self.total
    }
}

/// What one file contributed: per type, the count check, whole records
/// and each field; plus readable descriptions of every disagreement.
#[derive(Debug, Default)]
pub struct FileResult {
    pub name: String,
    /// Per type index: (netcap records, tshark-derived records).
    pub counts: BTreeMap<usize, (u64, u64)>,
    /// Per (type, field index or usize::MAX for whole records).
    pub fields: BTreeMap<(usize, usize), Tally>,
    pub problems: Vec<String>,
}

pub const WHOLE_RECORD: usize = usize::MAX;

fn multiset<'a, I: Iterator<Item = &'a Option<String>>>(values: I) -> HashMap<&'a str, u64> {
    let mut m = HashMap::new();
    for v in values.flatten() {
        *m.entry(v.as_str()).or_insert(0) += 1;
    }
    m
}

/// Compares the rows of one record type of one file.
pub fn compare_type(result: &mut FileResult, ty: usize, netcap: &[Row], tshark: &[Row]) {
    let (type_name, field_names) = TYPES[ty];
    result.counts.insert(ty, (netcap.len() as u64, tshark.len() as u64));
    if netcap.len() != tshark.len() {
        let mut frames: Vec<u64> = tshark.iter().map(|r| r.frame).collect();
        frames.dedup();
        frames.truncate(12);
        result.problems.push(format!(
            "{type_name}: netcap wrote {} records, tshark shows {} (tshark frames {:?}{})",
            netcap.len(),
            tshark.len(),
            frames,
            if tshark.len() > 12 { " ..." } else { "" }
        ));
    }
    for (f, field_name) in field_names.iter().enumerate() {
        let a = multiset(netcap.iter().map(|r| &r.fields[f]));
        let b = multiset(tshark.iter().map(|r| &r.fields[f]));
        // A record whose field is not compared (None) takes one of the
        // other side's unmatched values out of the count.
        let a_wild = netcap.iter().filter(|r| r.fields[f].is_none()).count() as u64;
        let b_wild = tshark.iter().filter(|r| r.fields[f].is_none()).count() as u64;
        let tally = tally_wild(&a, a_wild, &b, b_wild);
        result.fields.entry((ty, f)).or_default().add(tally);
        if !tally.perfect() {
            let mut only_netcap: Vec<(&str, u64)> = a
                .iter()
                .map(|(v, n)| (*v, n.saturating_sub(*b.get(v).unwrap_or(&0))))
                .filter(|(_, n)| *n > 0)
                .collect();
            only_netcap.sort();
            let mut only_tshark: Vec<String> = Vec::new();
            let mut seen: HashMap<&str, u64> = HashMap::new();
            for r in tshark {
                if let Some(v) = &r.fields[f] {
                    let used = seen.entry(v.as_str()).or_insert(0);
                    *used += 1;
                    if *used > *a.get(v.as_str()).unwrap_or(&0) {
                        only_tshark.push(format!("{v} (frame {})", r.frame));
                    }
                }
            }
            let n = only_netcap.len();
            only_netcap.truncate(6);
            let m = only_tshark.len();
            only_tshark.truncate(6);
            result.problems.push(format!(
                "{type_name}.{field_name}: {}/{} agree; only netcap: {:?}{}; only tshark: {:?}{}",
                tally.matched,
                tally.total,
                only_netcap,
                if n > 6 { " ..." } else { "" },
                only_tshark,
                if m > 6 { " ..." } else { "" },
            ));
        }
    }
    // Whole records, so that values cannot pair up across records unseen;
    // over the fields compared in every record of this type and file, and
    // the frame number (netcap's FrameNumber against tshark's frame.number).
    let compared: Vec<usize> =
        (0..field_names.len()).filter(|f| netcap.iter().chain(tshark).all(|r| r.fields[*f].is_some())).collect();
    let key = |r: &Row| {
        let mut key = r.frame.to_string();
        for f in &compared {
            key.push('|');
            key.push_str(r.fields[*f].as_deref().unwrap_or("-"));
        }
        key
    };
    let mut a: HashMap<String, u64> = HashMap::new();
    for r in netcap {
        *a.entry(key(r)).or_insert(0) += 1;
    }
    let mut b: HashMap<String, u64> = HashMap::new();
    for r in tshark {
        *b.entry(key(r)).or_insert(0) += 1;
    }
    let whole = tally(&a, &b);
    result.fields.entry((ty, WHOLE_RECORD)).or_default().add(whole);
}

fn tally_wild<K: std::hash::Hash + Eq>(a: &HashMap<K, u64>, a_wild: u64, b: &HashMap<K, u64>, b_wild: u64) -> Tally {
    let matched: u64 = a.iter().map(|(v, n)| (*n).min(*b.get(v).unwrap_or(&0))).sum();
    let left_a = (a.values().sum::<u64>() - matched).saturating_sub(b_wild);
    let left_b = (b.values().sum::<u64>() - matched).saturating_sub(a_wild);
    Tally { matched, total: matched + left_a.max(left_b) }
}

fn tally<K: std::hash::Hash + Eq>(a: &HashMap<K, u64>, b: &HashMap<K, u64>) -> Tally {
    let matched = a.iter().map(|(v, n)| (*n).min(*b.get(v).unwrap_or(&0))).sum();
    let total = a.values().sum::<u64>().max(b.values().sum::<u64>());
    Tally { matched, total }
}

/// The agreement table over all files; returns it and whether it is all 100 %.
pub fn table(results: &[FileResult]) -> (String, bool) {
    let mut counts: BTreeMap<usize, (Tally, u64, u64)> = BTreeMap::new();
    let mut fields: BTreeMap<(usize, usize), Tally> = BTreeMap::new();
    for r in results {
        for (ty, (n, t)) in &r.counts {
            let e = counts.entry(*ty).or_default();
            e.0.add(Tally { matched: u64::from(n == t), total: 1 });
            e.1 += n;
            e.2 += t;
        }
        for (k, v) in &r.fields {
            fields.entry(*k).or_default().add(*v);
        }
    }
    let mut out = String::new();
    let mut ok = true;
    let pct = |t: &Tally| if t.total == 0 { 100.0 } else { 100.0 * t.matched as f64 / t.total as f64 };
    let _ = writeln!(out, "{:<44} {:>17} {:>8}", "type.field", "agree/total", "");
    for (ty, (files, n, t)) in &counts {
        let name = TYPES[*ty].0;
        let _ = writeln!(
            out,
            "{:<44} {:>17} {:>7.2}%   (records: netcap {n}, tshark {t})",
            format!("{name} [count per file]"),
            format!("{}/{}", files.matched, files.total),
            pct(files)
        );
        ok &= files.perfect();
        let whole = fields.get(&(*ty, WHOLE_RECORD)).copied().unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<44} {:>17} {:>7.2}%",
            format!("{name} [whole record]"),
            format!("{}/{}", whole.matched, whole.total),
            pct(&whole)
        );
        ok &= whole.perfect();
        for (f, field) in TYPES[*ty].1.iter().enumerate() {
            let t = fields.get(&(*ty, f)).copied().unwrap_or_default();
            let _ = writeln!(
                out,
                "{:<44} {:>17} {:>7.2}%",
                format!("{name}.{field}"),
                format!("{}/{}", t.matched, t.total),
                pct(&t)
            );
            ok &= t.perfect();
        }
    }
    (out, ok)
}

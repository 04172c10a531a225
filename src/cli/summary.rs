//! The end-of-run summary on stderr: a table of records per type, then
//! what else happened, in lines wrapped at word boundaries to the
//! terminal's width (at most 120 columns), numbers with thousands
//! separators.

use crate::pipeline::{CaptureOptions, KindTally, Summary};
use comfy_table::{presets, CellAlignment, Table};
use indicatif::HumanCount;
use std::collections::BTreeMap;
use std::io::IsTerminal;

/// Widest layout: wider lines are harder to read, not more useful.
pub const MAX_WIDTH: u16 = 120;
/// Narrowest layout: below that, wrapping would break most words.
pub const MIN_WIDTH: u16 = 40;

/// Columns to lay the summary out for: `COLUMNS` when set (shells do not
/// export it, so it is what a user or a test asks for), else the terminal's
/// width when stderr is one, else `None` (a file or a pipe: no wrapping).
pub fn terminal_width() -> Option<u16> {
    let width = match std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok()) {
        Some(w) => Some(w),
        // comfy-table asks the terminal (through crossterm).
        None if std::io::stderr().is_terminal() => Table::new().width(),
        None => None,
    };
    width.map(|w| w.clamp(MIN_WIDTH, MAX_WIDTH))
}

/// `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    HumanCount(n).to_string()
}

/// The summary text, every line at most `width` columns when given.
pub fn summary_text(s: &Summary, opts: &CaptureOptions, width: Option<u16>) -> String {
    let mut out = String::new();
    if s.records.is_empty() {
        out.push_str(&format!(
            "no records: none of the {} packets decoded into a selected record type\n",
            count(s.packets)
        ));
    } else {
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        table.set_header(vec!["Record type", "Records"]);
        for (name, n) in &s.records {
            table.add_row(vec![name.to_string(), count(*n)]);
        }
        if let Some(column) = table.column_mut(1) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        out.push_str(&table.to_string());
        out.push('\n');
    }
    for line in detail_lines(s, opts) {
        match width {
            Some(w) => {
                for l in wrap(&line, usize::from(w)) {
                    out.push_str(&l);
                    out.push('\n');
                }
            }
            None => {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    out
}

/// Everything after the table, a line per topic.
fn detail_lines(s: &Summary, opts: &CaptureOptions) -> Vec<String> {
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let mut lines = vec![format!(
        "{} packets ({} bytes) from {} in {:.3} s ({} packets/s) with {} workers, peak RSS {}{}",
        count(s.packets),
        count(s.bytes),
        opts.source_name,
        secs,
        count((s.packets as f64 / secs) as u64),
        opts.workers.max(1),
        peak_rss().map_or_else(|| "unknown".to_string(), |kb| format!("{} MiB", kb / 1024)),
        if s.interrupted { " — interrupted, files closed cleanly" } else { "" }
    )];
    let list = |m: &BTreeMap<String, KindTally>| {
        m.iter().map(|(k, t)| format!("{k}: {}", t.describe(count))).collect::<Vec<_>>().join(", ")
    };
    if s.errors > 0 {
        lines.push(format!(
            "{} packets with decode errors ({}) → errors.log, errors.{}",
            count(s.errors),
            list(&s.error_kinds),
            s.dump_extension
        ));
    }
    if s.unknown > 0 {
        lines.push(format!(
            "{} packets with unknown protocols ({}) → unknown.{}, {}",
            count(s.unknown),
            list(&s.unknown_kinds),
            s.dump_extension,
            crate::pipeline::UNKNOWN_TSV
        ));
    }
    for (name, n) in &s.flows_evicted {
        lines.push(format!(
            "{} {name} records written early: table full (-max-flows {}, -memcap {} MiB)",
            count(*n),
            opts.flows.max_flows,
            opts.flows.memcap >> 20
        ));
    }
    let d = &s.defrag;
    if d.fragments > 0 {
        lines.push(format!(
            "IP defragmentation: {} fragments, {} datagrams reassembled; {} overlaps ({} with different bytes), {} \
             timed out, {} with too many fragments, {} invalid, {} forced out",
            count(d.fragments),
            count(d.datagrams),
            count(d.overlaps),
            count(d.overlaps_differ),
            count(d.timed_out),
            count(d.too_many_fragments),
            count(d.invalid),
            count(d.evicted)
        ));
    }
    if let Some(st) = &s.stream {
        let r = &st.reassembly;
        lines.push(format!(
            "TCP reassembly: {} connections, {} segments, {} bytes in order; {} out of order, {} overlaps ({} with \
             different bytes), {} gaps ({} bytes missing), {} bytes dropped; {} timed out, {} ended by a new connection on \
             their ports, {} forced out by -memcap",
            count(st.connections),
            count(r.segments),
            count(r.bytes),
            count(r.out_of_order),
            count(r.overlaps),
            count(r.overlaps_differ),
            count(r.gaps),
            count(r.gap_bytes),
            count(r.dropped_bytes),
            count(st.timed_out),
            count(st.reused),
            count(st.evicted)
        ));
    }
    if let Some(k) = s.capture_stats {
        lines.push(format!(
            "kernel: {} packets received, {} dropped, {} dropped by the interface",
            count(k.received),
            count(k.dropped),
            count(k.if_dropped)
        ));
    }
    lines
}

/// `text` in lines of at most `width` characters, broken at spaces; a
/// single word longer than `width` (a long path) stays whole on its line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Peak resident set size in KiB (Linux: VmHWM of /proc/self/status).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_keeps_long_words_whole() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("a /very/long/path b", 4), ["a", "/very/long/path", "b"]);
        assert_eq!(count(1_234_567), "1,234,567");
    }
}

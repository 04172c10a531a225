//! Labeling records with Suricata alerts (`netcap label`, `netlabel`).
//!
//! Everything is decided by the schema's field names, never by record
//! type: a type with a `Timestamp` field is packet-level, one with
//! `TimestampFirst` and `TimestampLast` is flow-level; endpoints come
//! from fields named `SrcIP`, `DstIP`, `SrcPort`, `DstPort` and
//! `CommunityID` where the type has them. Records are streamed one at a
//! time; alerts are looked up in an [`index::Index`].

pub mod alerts;
pub mod index;

use crate::container::RecordReader;
use crate::output::csv::CsvSink;
use crate::output::record::{scalar, Kind, Message, Scalar, Values};
use crate::output::{timestamp_digits, Error, Renderer, Style};
use index::{End, Index};
use std::collections::BTreeMap;
use std::io::Write;

/// Label of a record no alert matched.
pub const NORMAL: &str = "normal";

/// How a record type is matched against alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// By the packet's time (field index of `Timestamp`).
    Packet(usize),
    /// By the flow's time span (`TimestampFirst`, `TimestampLast`).
    Flow(usize, usize),
}

/// The fields of a record type that labeling reads.
#[derive(Debug, Clone)]
pub struct Fields {
    pub level: Level,
    pub src_ip: Option<usize>,
    pub dst_ip: Option<usize>,
    pub src_port: Option<usize>,
    pub dst_port: Option<usize>,
    pub community_id: Option<usize>,
}

impl Fields {
    /// `None` for a type that is neither packet- nor flow-level.
    pub fn of(msg: &Message) -> Option<Fields> {
        let f = |n: &str| msg.field_index(n).filter(|&i| !msg.fields[i].repeated);
        let level = match (f("TimestampFirst"), f("TimestampLast"), f("Timestamp")) {
            (Some(a), Some(b), _) => Level::Flow(a, b),
            (_, _, Some(t)) => Level::Packet(t),
            _ => return None,
        };
        Some(Fields {
            level,
            src_ip: f("SrcIP"),
            dst_ip: f("DstIP"),
            src_port: f("SrcPort"),
            dst_port: f("DstPort"),
            community_id: f("CommunityID"),
        })
    }
}

/// Options of a labeling run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Join every matching label with ` | ` instead of taking the most severe.
    pub collect: bool,
    /// Fail on a record whose matching alerts have different labels.
    pub strict: bool,
    /// CSV separator.
    pub sep: u8,
}

/// What labeling one file did.
#[derive(Debug, Default, Clone)]
pub struct FileStats {
    pub type_name: String,
    pub records: u64,
    pub labeled: u64,
    /// Records per label (`normal` included).
    pub per_label: BTreeMap<String, u64>,
    /// Records whose most severe alerts disagree (the first label in sort order was taken).
    pub ties: u64,
}

/// Why labeling a file stopped.
#[derive(Debug)]
pub enum LabelError {
    /// Malformed record file.
    Input(String),
    /// Writing the CSV failed.
    Io(std::io::Error),
    /// `-strict` and a record with several labels.
    Conflict(String),
}

impl std::fmt::Display for LabelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabelError::Input(m) | LabelError::Conflict(m) => f.write_str(m),
            LabelError::Io(e) => write!(f, "cannot write labeled CSV: {e}"),
        }
    }
}

fn int_of(r: &Renderer, vals: &Values, buf: &[u8], fi: usize) -> Result<Option<i64>, String> {
    let kind = r.schema.root().fields[fi].kind;
    if matches!(kind, Kind::Message(_) | Kind::String | Kind::Bytes) {
        return Ok(None);
    }
    Ok(match scalar(kind, vals.get(fi).last().copied(), buf)? {
        Scalar::I(i) => Some(i),
        Scalar::U(u) => i64::try_from(u).ok(),
        _ => None,
    })
}

fn str_of<'a>(r: &Renderer, vals: &Values, buf: &'a [u8], fi: usize) -> Result<Option<&'a str>, String> {
    Ok(match scalar(r.schema.root().fields[fi].kind, vals.get(fi).last().copied(), buf)? {
        Scalar::Str(s) if !s.is_empty() => Some(s),
        _ => None,
    })
}

/// One side of a record: its address and port fields, where it has them.
fn end_of(r: &Renderer, vals: &Values, buf: &[u8], ip: Option<usize>, port: Option<usize>) -> Result<End, String> {
    let ip = match ip {
        Some(fi) => str_of(r, vals, buf, fi)?.and_then(|s| s.parse().ok()),
        None => None,
    };
    let port = match port {
        Some(fi) => int_of(r, vals, buf, fi)?.and_then(|p| u16::try_from(p).ok()),
        None => None,
    };
    Ok(End { ip, port })
}

/// The label of a record matched by `matched` alerts, and whether the
/// most severe alerts disagreed (a tie) or any alerts disagreed (a conflict).
fn choose(index: &Index, matched: &[u32], collect: bool, scratch: &mut Vec<u32>, out: &mut String) -> (bool, bool) {
    out.clear();
    if matched.is_empty() {
        out.push_str(NORMAL);
        return (false, false);
    }
    let mut labels: Vec<&str> = matched.iter().map(|&i| index.labels[i as usize].as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    let conflict = labels.len() > 1;
    if collect {
        out.push_str(&labels.join(" | "));
        return (false, conflict);
    }
    let best = matched.iter().map(|&i| index.alerts[i as usize].severity).min().unwrap_or(alerts::NO_SEVERITY);
    scratch.clear();
    scratch.extend(matched.iter().copied().filter(|&i| index.alerts[i as usize].severity == best));
    let mut top: Vec<&str> = scratch.iter().map(|&i| index.labels[i as usize].as_str()).collect();
    top.sort_unstable();
    top.dedup();
    out.push_str(top.first().copied().unwrap_or(NORMAL));
    (top.len() > 1, conflict)
}

/// Labels every record of `reader` into `out` as CSV: the record's
/// columns as `netcap read` prints them, then `Label`. `fields` comes
/// from [`Fields::of`] for the file's type. `on_record` is called after
/// each record (progress).
pub fn label_file(
    reader: &mut RecordReader,
    fields: &Fields,
    index: &mut Index,
    opts: &Options,
    out: impl Write,
    on_record: &mut dyn FnMut(u64),
) -> Result<FileStats, LabelError> {
    let type_name = reader.header().r#type.clone();
    let desc = crate::schema::message(&type_name).ok_or_else(|| LabelError::Input(format!("unknown record type {type_name:?}")))?;
    let style = Style { digits: timestamp_digits(reader.header().timestamp_digits), ..Style::default() };
    let mut r = Renderer::new(&desc, style);
    let mut sink = CsvSink::new(out, opts.sep);
    let io = |e: Error| match e {
        Error::Io(e) => LabelError::Io(e),
        Error::Data(m) => LabelError::Input(m),
    };
    sink.begin_extra(&r, &["Label"]).map_err(io)?;
    let mut stats = FileStats { type_name, ..FileStats::default() };
    let (mut buf, mut vals) = (Vec::with_capacity(4096), Values::default());
    let (mut matched, mut scratch, mut label) = (Vec::new(), Vec::new(), String::new());
    loop {
        match reader.next_raw(&mut buf) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(LabelError::Input(e.to_string())),
        }
        let bad = |e: String| LabelError::Input(reader.record_error(e).to_string());
        r.decode(&buf, &mut vals).map_err(bad)?;
        let src = end_of(&r, &vals, &buf, fields.src_ip, fields.src_port).map_err(bad)?;
        let dst = end_of(&r, &vals, &buf, fields.dst_ip, fields.dst_port).map_err(bad)?;
        match fields.level {
            Level::Packet(t) => {
                let ts = int_of(&r, &vals, &buf, t).map_err(bad)?.unwrap_or(0);
                index.packet(ts, src, dst, &mut matched);
            }
            Level::Flow(a, b) => {
                let first = int_of(&r, &vals, &buf, a).map_err(bad)?.unwrap_or(0);
                let last = int_of(&r, &vals, &buf, b).map_err(bad)?.unwrap_or(0);
                let cid = match fields.community_id {
                    Some(fi) => str_of(&r, &vals, &buf, fi).map_err(bad)?,
                    None => None,
                };
                index.flow(first, last.max(first), src, dst, cid, &mut matched);
            }
        }
        for &i in &matched {
            index.hits[i as usize] += 1;
        }
        let (tie, conflict) = choose(index, &matched, opts.collect, &mut scratch, &mut label);
        stats.records += 1;
        if conflict && opts.strict {
            let mut labels: Vec<&str> = matched.iter().map(|&i| index.labels[i as usize].as_str()).collect();
            labels.sort_unstable();
            labels.dedup();
            let (n, _) = reader.last_record();
            return Err(LabelError::Conflict(format!(
                "{} record {n}: conflicting labels (-strict): {}",
                stats.type_name,
                labels.join(" | ")
            )));
        }
        stats.ties += u64::from(tie);
        if !matched.is_empty() {
            stats.labeled += 1;
        }
        match stats.per_label.get_mut(label.as_str()) {
            Some(n) => *n += 1,
            None => {
                stats.per_label.insert(label.clone(), 1);
            }
        }
        sink.record_extra(&mut r, &vals, &buf, &[label.as_bytes()]).map_err(|e| match e {
            Error::Data(m) => LabelError::Input(reader.record_error(m).to_string()),
            Error::Io(e) => LabelError::Io(e),
        })?;
        on_record(stats.records);
    }
    sink.into_inner().map_err(io)?.flush().map_err(LabelError::Io)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::record::Schema;

    fn fields(ty: &str) -> Option<Fields> {
        let desc = crate::schema::message(ty)?;
        Fields::of(Schema::compile(&desc).root())
    }

    #[test]
    fn levels_and_endpoints_come_from_field_names() {
        let tcp = fields("TCP").expect("TCP");
        assert!(matches!(tcp.level, Level::Packet(_)));
        assert!(tcp.src_port.is_some() && tcp.dst_port.is_some() && tcp.src_ip.is_none() && tcp.community_id.is_none());
        let ip = fields("IPv4").expect("IPv4");
        assert!(ip.src_ip.is_some() && ip.dst_ip.is_some() && ip.src_port.is_none());
        let eth = fields("Ethernet").expect("Ethernet");
        assert!(eth.src_ip.is_none() && eth.src_port.is_none());
        assert!(fields("Header").is_none(), "no Timestamp field");
    }
}

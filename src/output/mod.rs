//! Printing records: CSV/TSV, JSON Lines, tables, a structured view, and
//! the separator check, all driven by the schema's descriptors.
//!
//! No code here knows a record type. A file's header names its type; the
//! type's descriptor gives the columns (field names in declaration
//! order), their kinds, and which are timestamps (int64 fields named
//! `Timestamp*`). Records are decoded by [`record::decode`] into
//! [`Values`] that borrow the record's bytes, then a [`Sink`] prints them.

pub mod check;
pub mod csv;
pub mod json;
pub mod record;
pub mod struc;
pub mod table;

use record::{elements, scalar, Kind, Scalar, Schema, Values, Wire, MAX_DEPTH};
use std::io;

/// How values are spelled in text output.
#[derive(Debug, Clone)]
pub struct Style {
    /// Opens a nested message or a list in a CSV cell.
    pub begin: String,
    /// Closes it.
    pub end: String,
    /// Separates the values inside it.
    pub struct_sep: String,
    /// How timestamps are spelled (`-ts`).
    pub ts: TsFormat,
    /// Fraction digits of timestamps (the header's TimestampDigits).
    pub digits: u32,
}

impl Default for Style {
    fn default() -> Self {
        Style { begin: "(".into(), end: ")".into(), struct_sep: "-".into(), ts: TsFormat::Seconds, digits: 6 }
    }
}

/// How timestamp fields (int64 nanoseconds since the epoch, recognised by
/// name in the schema) are written: `-ts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TsFormat {
    /// `1418145369.924505488`: seconds with the header's fraction digits,
    /// Go Netcap's CSV form. A JSON number, which most JSON readers parse
    /// into a 64-bit float and so round to about the microsecond.
    Seconds,
    /// `1418145369924505488`: integer nanoseconds, exact in every reader
    /// that keeps 64-bit integers (Python, pandas, Polars, DuckDB, jq 1.7).
    Ns,
    /// `2014-12-09T17:16:09.924505488Z`: RFC 3339 in UTC with the header's
    /// fraction digits; a JSON string, so no reader rounds it, and pandas,
    /// Polars and DuckDB parse it as a timestamp.
    Rfc3339,
}

/// Why printing stopped.
#[derive(Debug)]
pub enum Error {
    /// Writing the output failed.
    Io(io::Error),
    /// A record's contents are malformed.
    Data(String),
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<String> for Error {
    fn from(e: String) -> Self {
        Error::Data(e)
    }
}

/// One output format.
pub trait Sink {
    /// Before the first record (CSV prints its header row here).
    fn begin(&mut self, r: &Renderer) -> Result<(), Error>;
    /// One record, printed whole or not at all.
    fn record(&mut self, r: &mut Renderer, vals: &Values, buf: &[u8]) -> Result<(), Error>;
    /// After the last record, or before reporting an error: prints what is
    /// pending and flushes.
    fn finish(&mut self, r: &Renderer) -> Result<(), Error>;
}

/// A record type's schema, the chosen columns and the text style, with
/// scratch space reused for nested messages.
pub struct Renderer {
    pub schema: Schema,
    pub style: Style,
    /// Root field indexes to print, in order.
    pub columns: Vec<usize>,
    scratch: Vec<Values>,
}

impl Renderer {
    pub fn new(desc: &prost_reflect::MessageDescriptor, style: Style) -> Renderer {
        let schema = Schema::compile(desc);
        let columns = (0..schema.root().fields.len()).collect();
        Renderer { schema, style, columns, scratch: Vec::new() }
    }

    /// All column names of the record type, in schema order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.schema.root().fields.iter().map(|f| f.name.as_str())
    }

    /// Names of the chosen columns.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|&i| self.schema.root().fields[i].name.as_str())
    }

    /// Prints only `names`, in that order; an unknown name is an error
    /// that lists the valid ones.
    pub fn select(&mut self, names: &[String]) -> Result<(), String> {
        let root = self.schema.root();
        let mut columns = Vec::with_capacity(names.len());
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            match root.field_index(name) {
                Some(i) => columns.push(i),
                None => {
                    let valid: Vec<&str> = self.field_names().collect();
                    return Err(format!("unknown field {name:?} for {}; valid fields: {}", root.name, valid.join(",")));
                }
            }
        }
        if !columns.is_empty() {
            self.columns = columns;
        }
        Ok(())
    }

    /// Decodes a record's bytes into `vals`.
    pub fn decode(&self, buf: &[u8], vals: &mut Values) -> Result<(), String> {
        vals.reset(self.schema.root().fields.len());
        record::check_expansion(&self.schema, buf)?;
        record::decode(&self.schema, 0, buf, 0, buf.len(), vals)
    }

    /// Decodes the nested message `msg` held in `ranges` (merged, as
    /// protobuf does with repeated occurrences) and hands it to `f`.
    pub fn with_message<R>(
        &mut self,
        msg: usize,
        ranges: &[Wire],
        buf: &[u8],
        depth: usize,
        f: impl FnOnce(&mut Self, &Values) -> Result<R, String>,
    ) -> Result<R, String> {
        if depth > MAX_DEPTH {
            return Err(format!("messages nested deeper than {MAX_DEPTH} levels"));
        }
        if self.scratch.len() <= depth {
            self.scratch.resize_with(depth + 1, Values::default);
        }
        let mut vals = std::mem::take(&mut self.scratch[depth]);
        vals.reset(self.schema.messages[msg].fields.len());
        for w in ranges {
            match *w {
                Wire::Len(s, e) => record::decode(&self.schema, msg, buf, s, e, &mut vals)?,
                other => return Err(format!("message value {other:?} is not length-delimited")),
            }
        }
        let r = f(self, &vals);
        self.scratch[depth] = vals;
        r
    }

    /// Appends the text of field `fi` of message `msg` (one CSV cell):
    /// scalars as text, nested messages and lists as `(a-b-c)`, an absent
    /// nested message as nothing.
    pub fn field_text(&mut self, msg: usize, vals: &Values, fi: usize, buf: &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
        let field = &self.schema.messages[msg].fields[fi];
        let (kind, repeated, timestamp) = (field.kind, field.repeated, field.timestamp);
        let wires = vals.get(fi);
        if repeated {
            out.extend_from_slice(self.style.begin.as_bytes());
            for (i, el) in elements(kind, wires, buf).enumerate() {
                if i > 0 {
                    out.extend_from_slice(self.style.struct_sep.as_bytes());
                }
                let el = el?;
                match kind {
                    Kind::Message(m) => self.message_text(m, std::slice::from_ref(&el), buf, out, depth + 1)?,
                    _ => push_text(out, scalar(kind, Some(el), buf)?, timestamp, &self.style),
                }
            }
            out.extend_from_slice(self.style.end.as_bytes());
        } else if let Kind::Message(m) = kind {
            if !wires.is_empty() {
                self.message_text(m, wires, buf, out, depth + 1)?;
            }
        } else {
            push_text(out, scalar(kind, wires.last().copied(), buf)?, timestamp, &self.style);
        }
        Ok(())
    }

    fn message_text(&mut self, msg: usize, ranges: &[Wire], buf: &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
        self.with_message(msg, ranges, buf, depth, |r, vals| {
            out.extend_from_slice(r.style.begin.as_bytes());
            for fi in 0..r.schema.messages[msg].fields.len() {
                if fi > 0 {
                    out.extend_from_slice(r.style.struct_sep.as_bytes());
                }
                r.field_text(msg, vals, fi, buf, out, depth)?;
            }
            out.extend_from_slice(r.style.end.as_bytes());
            Ok(())
        })
    }
}

/// Appends a scalar as text: numbers in decimal, bools as `true`/`false`,
/// bytes as lowercase hex, timestamps per `style`.
#[inline]
pub fn push_text(out: &mut Vec<u8>, v: Scalar<'_>, timestamp: bool, style: &Style) {
    match v {
        Scalar::I(ns) if timestamp => push_timestamp(out, ns, style),
        Scalar::I(i) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
        Scalar::U(u) => out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes()),
        Scalar::F(f) => out.extend_from_slice(ryu::Buffer::new().format(f).as_bytes()),
        Scalar::B(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Scalar::Str(s) => out.extend_from_slice(s.as_bytes()),
        Scalar::Bytes(b) => push_hex(out, b),
    }
}

#[inline]
pub fn push_timestamp(out: &mut Vec<u8>, ns: i64, style: &Style) {
    match style.ts {
        TsFormat::Seconds => crate::timefmt::push_epoch(out, ns, style.digits),
        TsFormat::Ns => out.extend_from_slice(itoa::Buffer::new().format(ns).as_bytes()),
        TsFormat::Rfc3339 => crate::timefmt::push_utc(out, ns, style.digits),
    }
}

pub fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
}

/// Fraction digits to print for a file whose header says `digits`.
pub fn timestamp_digits(digits: u32) -> u32 {
    if digits == 9 { 9 } else { 6 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_as_text() {
        let style = Style::default();
        let mut out = Vec::new();
        for (v, ts) in [
            (Scalar::I(-5), false),
            (Scalar::U(u64::MAX), false),
            (Scalar::F(7.836586993143013), false),
            (Scalar::B(true), false),
            (Scalar::Bytes(&[0x0a, 0xff]), false),
            (Scalar::I(1_499_255_023_848_884_000), true),
        ] {
            push_text(&mut out, v, ts, &style);
            out.push(b' ');
        }
        assert_eq!(String::from_utf8_lossy(&out), "-5 18446744073709551615 7.836586993143013 true 0aff 1499255023.848884 ");
    }

    #[test]
    fn timestamps_in_each_form_keep_every_digit() {
        let ns = 1_418_145_369_924_505_488;
        let text = |ts| {
            let mut out = Vec::new();
            push_timestamp(&mut out, ns, &Style { ts, digits: 9, ..Style::default() });
            String::from_utf8_lossy(&out).into_owned()
        };
        assert_eq!(text(TsFormat::Seconds), "1418145369.924505488");
        assert_eq!(text(TsFormat::Ns), "1418145369924505488");
        assert_eq!(text(TsFormat::Rfc3339), "2014-12-09T17:16:09.924505488Z");
    }
}

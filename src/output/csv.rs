//! CSV and TSV: a header row of field names, then a row per record,
//! quoted per RFC 4180 by the csv crate where a value needs it.

use super::{Error, Renderer, Sink};
use crate::output::record::Values;
use std::io::Write;

pub struct CsvSink<W: Write> {
    wtr: ::csv::Writer<W>,
    /// The row's cells back to back, and where each ends: a record is
    /// rendered whole before any of it is written.
    cells: Vec<u8>,
    ends: Vec<usize>,
}

impl<W: Write> CsvSink<W> {
    /// `sep` is one byte; see [`parse_separator`].
    pub fn new(out: W, sep: u8) -> Self {
        let wtr = ::csv::WriterBuilder::new()
            .delimiter(sep)
            .quote_style(::csv::QuoteStyle::Necessary)
            .terminator(::csv::Terminator::Any(b'\n'))
            .buffer_capacity(1 << 16)
            .from_writer(out);
        CsvSink { wtr, cells: Vec::with_capacity(1024), ends: Vec::with_capacity(64) }
    }

    fn write_row(&mut self) -> Result<(), Error> {
        let mut start = 0;
        for &end in &self.ends {
            self.wtr.write_field(&self.cells[start..end]).map_err(csv_error)?;
            start = end;
        }
        self.wtr.write_record(None::<&[u8]>).map_err(csv_error)?;
        Ok(())
    }

    /// The header row with `extra` column names after the record's.
    pub fn begin_extra(&mut self, r: &Renderer, extra: &[&str]) -> Result<(), Error> {
        self.cells.clear();
        self.ends.clear();
        for name in r.column_names().chain(extra.iter().copied()) {
            self.cells.extend_from_slice(name.as_bytes());
            self.ends.push(self.cells.len());
        }
        self.write_row()
    }

    /// A record's row with `extra` cells after its columns.
    pub fn record_extra(&mut self, r: &mut Renderer, vals: &Values, buf: &[u8], extra: &[&[u8]]) -> Result<(), Error> {
        self.cells.clear();
        self.ends.clear();
        for c in 0..r.columns.len() {
            let fi = r.columns[c];
            r.field_text(0, vals, fi, buf, &mut self.cells, 0)?;
            self.ends.push(self.cells.len());
        }
        for cell in extra {
            self.cells.extend_from_slice(cell);
            self.ends.push(self.cells.len());
        }
        self.write_row()
    }

    /// Hands back the writer (for tests and the checker).
    pub fn into_inner(self) -> Result<W, Error> {
        self.wtr.into_inner().map_err(|e| Error::Io(e.into_error()))
    }
}

fn csv_error(e: ::csv::Error) -> Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => Error::Io(e),
        other => Error::Data(format!("{other:?}")),
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn begin(&mut self, r: &Renderer) -> Result<(), Error> {
        self.begin_extra(r, &[])
    }

    fn record(&mut self, r: &mut Renderer, vals: &Values, buf: &[u8]) -> Result<(), Error> {
        self.record_extra(r, vals, buf, &[])
    }

    fn finish(&mut self, _r: &Renderer) -> Result<(), Error> {
        self.wtr.flush()?;
        Ok(())
    }
}

/// The separator given to `-sep`: one ASCII character, or `\t`/`tab`
/// spelled out; not a quote or a line break, which would make the CSV
/// ambiguous.
pub fn parse_separator(s: &str) -> Result<u8, String> {
    let b = match s {
        "\\t" | "tab" => b'\t',
        _ if s.len() == 1 => s.as_bytes()[0],
        _ => return Err(format!("separator must be a single ASCII character, not {s:?}")),
    };
    if !b.is_ascii() || matches!(b, b'"' | b'\n' | b'\r') {
        return Err(format!("separator {s:?} is not allowed (a quote or line break would make rows ambiguous)"));
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(parse_separator(";"), Ok(b';'));
        assert_eq!(parse_separator("\\t"), Ok(b'\t'));
        assert_eq!(parse_separator("\t"), Ok(b'\t'));
        assert!(parse_separator("ab").is_err());
        assert!(parse_separator("\"").is_err());
        assert!(parse_separator("§").is_err());
        assert!(parse_separator("").is_err());
    }
}

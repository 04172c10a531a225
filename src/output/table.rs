//! `-table`: records as comfy-table tables, one per 100 records, and
//! `-header`: the file's header as a table.

use super::record::Values;
use super::{Error, Renderer, Sink};
use crate::schema::pb;
use comfy_table::{presets, Table};
use std::io::Write;

/// Records per printed table.
pub const ROWS_PER_TABLE: usize = 100;

pub struct TableSink<W: Write> {
    out: W,
    rows: Vec<Vec<String>>,
    cell: Vec<u8>,
}

impl<W: Write> TableSink<W> {
    pub fn new(out: W) -> Self {
        TableSink { out, rows: Vec::with_capacity(ROWS_PER_TABLE), cell: Vec::new() }
    }

    fn print(&mut self, r: &Renderer) -> Result<(), Error> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut table = new_table();
        table.set_header(r.column_names().collect::<Vec<_>>());
        for row in self.rows.drain(..) {
            table.add_row(row);
        }
        writeln!(self.out, "{table}")?;
        Ok(())
    }
}

fn new_table() -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table
}

impl<W: Write> Sink for TableSink<W> {
    fn begin(&mut self, _r: &Renderer) -> Result<(), Error> {
        Ok(())
    }

    fn record(&mut self, r: &mut Renderer, vals: &Values, buf: &[u8]) -> Result<(), Error> {
        let mut row = Vec::with_capacity(r.columns.len());
        for c in 0..r.columns.len() {
            self.cell.clear();
            let fi = r.columns[c];
            r.field_text(0, vals, fi, buf, &mut self.cell, 0)?;
            row.push(String::from_utf8_lossy(&self.cell).into_owned());
        }
        self.rows.push(row);
        if self.rows.len() >= ROWS_PER_TABLE {
            self.print(r)?;
        }
        Ok(())
    }

    fn finish(&mut self, r: &Renderer) -> Result<(), Error> {
        self.print(r)?;
        self.out.flush()?;
        Ok(())
    }
}

/// The file header as a two-column table.
pub fn header_table(h: &pb::Header) -> Table {
    let mut table = new_table();
    table.set_header(vec!["Field", "Value"]);
    table.add_row(vec!["Created".to_owned(), crate::timefmt::utc_string(h.created, 6)]);
    table.add_row(vec!["Source".to_owned(), h.input_source.clone()]);
    table.add_row(vec!["Version".to_owned(), h.version.clone()]);
    table.add_row(vec!["Type".to_owned(), h.r#type.clone()]);
    table.add_row(vec!["ContainsPayloads".to_owned(), h.contains_payloads.to_string()]);
    table.add_row(vec!["TimestampDigits".to_owned(), h.timestamp_digits.to_string()]);
    table
}

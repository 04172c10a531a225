//! `-format parquet`: the capture pipeline's records go to
//! `<dir>/<Type>.parquet`, a file per type created on its first record.

use super::FileTable;
use crate::output::Error;
use crate::sink::RecordSink;
use anyhow::{anyhow, Result};
use std::path::PathBuf;

pub struct ParquetSink {
    dir: PathBuf,
    tables: Vec<(&'static str, FileTable)>,
}

impl ParquetSink {
    pub fn new(dir: PathBuf) -> Self {
        ParquetSink { dir, tables: Vec::new() }
    }
}

fn describe(e: Error) -> String {
    match e {
        Error::Io(e) => e.to_string(),
        Error::Data(m) => m,
    }
}

impl RecordSink for ParquetSink {
    fn write(&mut self, type_name: &'static str, _timestamp_digits: u32, records: &[u8], count: u64) -> Result<()> {
        // A handful of types: a linear search beats hashing here.
        let index = match self.tables.iter().position(|(n, _)| *n == type_name) {
            Some(i) => i,
            None => {
                let path = self.dir.join(super::file_name(type_name));
                let t = FileTable::create(&path, type_name)
                    .map_err(|e| anyhow!("cannot create {}: {}", path.display(), describe(e)))?;
                self.tables.push((type_name, t));
                self.tables.len() - 1
            }
        };
        let (_, t) = &mut self.tables[index];
        let n = t
            .table()
            .append_delimited(records)
            .map_err(|e| anyhow!("cannot write {}: {}", t.path().display(), describe(e)))?;
        if n != count {
            return Err(anyhow!("{}: a batch said {count} records but held {n}", t.path().display()));
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> (Vec<(&'static str, u64)>, Result<()>) {
        let mut counts = Vec::with_capacity(self.tables.len());
        let mut result = Ok(());
        for (name, t) in self.tables {
            let path = t.path().to_owned();
            match t.finish() {
                Ok(n) => counts.push((name, n)),
                Err(e) => {
                    if result.is_ok() {
                        result = Err(anyhow!("cannot finish {}: {}", path.display(), describe(e)));
                    }
                }
            }
        }
        (counts, result)
    }
}

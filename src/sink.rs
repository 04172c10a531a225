//! Where records go once encoded: a [`RecordSink`]. The capture pipeline
//! hands every sink the same length-delimited record bytes, in capture
//! order; [`FileSink`] writes `<Type>.ncap.gz` files, and the sensor's
//! network sink (collect/) sends them to a server instead.

use crate::container::RecordWriter;
use crate::schema::pb;
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Facts about a run that go into every record file's Header.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The capture file or interface.
    pub input_source: String,
    pub contains_payloads: bool,
}

impl RunInfo {
    /// The Header of a `type_name` file of this run.
    pub fn header(&self, type_name: &str, timestamp_digits: u32) -> pb::Header {
        pb::Header {
            r#type: type_name.to_string(),
            version: crate::VERSION.to_string(),
            input_source: self.input_source.clone(),
            created: now_nanos(),
            contains_payloads: self.contains_payloads,
            timestamp_digits,
        }
    }
}

pub trait RecordSink: Send {
    /// Appends `count` length-delimited records of `type_name`.
    /// `timestamp_digits` (6 or 9) describes the capture's resolution.
    fn write(&mut self, type_name: &'static str, timestamp_digits: u32, records: &[u8], count: u64) -> Result<()>;

    /// Called at least every second while the pipeline runs, also when no
    /// packets arrive, for time-based flushing.
    fn tick(&mut self) -> Result<()> {
        Ok(())
    }

    /// Flushes and closes everything. Returns records written per type, in
    /// the order the types first appeared.
    fn finish(self: Box<Self>) -> Result<Vec<(&'static str, u64)>>;
}

/// Writes `<dir>/<Type>.ncap[.gz]`, each created with its Header on the
/// type's first record, so a type without records leaves no file.
pub struct FileSink {
    dir: PathBuf,
    compress: bool,
    buffered: bool,
    info: RunInfo,
    writers: Vec<(&'static str, RecordWriter)>,
}

impl FileSink {
    pub fn new(dir: PathBuf, compress: bool, buffered: bool, info: RunInfo) -> Self {
        FileSink { dir, compress, buffered, info, writers: Vec::new() }
    }
}

impl RecordSink for FileSink {
    fn write(&mut self, type_name: &'static str, timestamp_digits: u32, records: &[u8], count: u64) -> Result<()> {
        // A handful of types: a linear search beats hashing here.
        let index = match self.writers.iter().position(|(n, _)| *n == type_name) {
            Some(i) => i,
            None => {
                let header = self.info.header(type_name, timestamp_digits);
                let w = RecordWriter::create(&self.dir, &header, self.compress, self.buffered)
                    .with_context(|| format!("cannot create record file in {}", self.dir.display()))?;
                self.writers.push((type_name, w));
                self.writers.len() - 1
            }
        };
        let (_, w) = &mut self.writers[index];
        w.write_raw(records).with_context(|| format!("cannot write {}", w.path().display()))?;
        w.add_count(count);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<(&'static str, u64)>> {
        let mut counts = Vec::with_capacity(self.writers.len());
        for (name, w) in self.writers {
            let path = w.path().to_owned();
            counts.push((name, w.records()));
            w.finish().with_context(|| format!("cannot finish {}", path.display()))?;
        }
        Ok(counts)
    }
}

pub fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Hands every batch to two sinks (`-format both`: `.ncap.gz` and
/// Parquet). The counts are the first sink's.
pub struct TeeSink {
    pub first: Box<dyn RecordSink>,
    pub second: Box<dyn RecordSink>,
}

impl RecordSink for TeeSink {
    fn write(&mut self, type_name: &'static str, timestamp_digits: u32, records: &[u8], count: u64) -> Result<()> {
        self.first.write(type_name, timestamp_digits, records, count)?;
        self.second.write(type_name, timestamp_digits, records, count)
    }

    fn tick(&mut self) -> Result<()> {
        self.first.tick()?;
        self.second.tick()
    }

    fn finish(self: Box<Self>) -> Result<Vec<(&'static str, u64)>> {
        let counts = self.first.finish()?;
        self.second.finish()?;
        Ok(counts)
    }
}

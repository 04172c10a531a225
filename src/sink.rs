//! Where records go once encoded: a [`RecordSink`]. The capture pipeline
//! hands every sink the same length-delimited record bytes, in capture
//! order; [`FileSink`] writes `<Type>.ncap.gz` (or `.ncap.zst`, `.ncap`) files, and the sensor's
//! network sink (collect/) sends them to a server instead.

use crate::compress::Compression;
use crate::container::RecordWriter;
use crate::member_pool::MemberPool;
use crate::schema::pb;
use anyhow::Result;
use std::path::PathBuf;
use std::sync::Arc;

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

    /// [`write`](Self::write) of a buffer the sink may keep (a worker's
    /// records of one type, which the writer no longer needs).
    fn write_owned(
        &mut self,
        type_name: &'static str,
        timestamp_digits: u32,
        records: Vec<u8>,
        count: u64,
    ) -> Result<()> {
        self.write(type_name, timestamp_digits, &records, count)
    }

    /// Called at least every second while the pipeline runs, also when no
    /// packets arrive, for time-based flushing.
    fn tick(&mut self) -> Result<()> {
        Ok(())
    }

    /// Flushes and closes everything, also after a failed write. Returns
    /// the records kept per type, in the order the types first appeared,
    /// and what went wrong, if anything.
    fn finish(self: Box<Self>) -> (Vec<(&'static str, u64)>, Result<()>);
}

/// Writes `<dir>/<Type>.ncap[.gz|.zst]`, each created with its Header on the
/// type's first record, so a type without records leaves no file.
///
/// After a failed write (a full disk) it writes nothing more; `finish`
/// then closes every file as a valid stream of the batches written whole
/// before the failure (see [`RecordWriter::close`]), removes those left
/// without records, and says which directory failed and how much went in.
pub struct FileSink {
    dir: PathBuf,
    compression: Compression,
    buffered: bool,
    info: RunInfo,
    writers: Vec<(&'static str, RecordWriter)>,
    /// Compresses the members of buffered, compressed files off the
    /// writer thread (see [`crate::member_pool`]); started with the first file.
    pool: Option<Arc<MemberPool>>,
    /// The first failure, with the file it struck.
    failure: Option<(PathBuf, std::io::Error)>,
}

/// Threads of a [`FileSink`]'s [`MemberPool`]: two keep both cores of the
/// benchmark machine busy with the files that fill fastest.
const COMPRESSION_THREADS: usize = 2;

impl FileSink {
    pub fn new(dir: PathBuf, compression: Compression, buffered: bool, info: RunInfo) -> Self {
        FileSink { dir, compression, buffered, info, writers: Vec::new(), pool: None, failure: None }
    }

    fn fail(&mut self, path: PathBuf, e: std::io::Error) -> anyhow::Error {
        let error = anyhow::anyhow!("cannot write {}: {e}", path.display());
        self.failure.get_or_insert((path, e));
        error
    }

    /// The writer of `type_name`, whose file is created (with its header)
    /// on the type's first records.
    fn writer(&mut self, type_name: &'static str, timestamp_digits: u32) -> Result<&mut RecordWriter> {
        if self.failure.is_some() {
            anyhow::bail!("not written: an earlier write to {} failed", self.dir.display());
        }
        // A handful of types: a linear search beats hashing here.
        let index = match self.writers.iter().position(|(n, _)| *n == type_name) {
            Some(i) => i,
            None => {
                let header = self.info.header(type_name, timestamp_digits);
                if self.pool.is_none() && self.buffered && self.compression != Compression::None {
                    // Without threads (a failure to start them), members are compressed here.
                    self.pool = MemberPool::start(COMPRESSION_THREADS).ok().map(Arc::new);
                }
                let pool = self.pool.clone();
                match RecordWriter::create_with(&self.dir, &header, self.compression, self.buffered, pool) {
                    Ok(w) => self.writers.push((type_name, w)),
                    Err(e) => {
                        let path = self.dir.join(crate::container::file_name(type_name, self.compression));
                        return Err(self.fail(path, e));
                    }
                }
                self.writers.len() - 1
            }
        };
        match self.writers.get_mut(index) {
            Some((_, w)) => Ok(w),
            None => anyhow::bail!("no writer for {type_name}"),
        }
    }

    /// Records the failure of `result` (a write to `type_name`'s file).
    fn checked(&mut self, type_name: &'static str, result: std::io::Result<()>) -> Result<()> {
        let Err(e) = result else { return Ok(()) };
        let path = self.writers.iter().find(|(n, _)| *n == type_name).map(|(_, w)| w.path().to_owned());
        let path = path.unwrap_or_else(|| self.dir.join(crate::container::file_name(type_name, self.compression)));
        Err(self.fail(path, e))
    }
}

impl RecordSink for FileSink {
    fn write(&mut self, type_name: &'static str, timestamp_digits: u32, records: &[u8], count: u64) -> Result<()> {
        let result = self.writer(type_name, timestamp_digits)?.write_records(records, count);
        self.checked(type_name, result)
    }

    fn write_owned(
        &mut self,
        type_name: &'static str,
        timestamp_digits: u32,
        records: Vec<u8>,
        count: u64,
    ) -> Result<()> {
        let result = self.writer(type_name, timestamp_digits)?.write_records_owned(records, count);
        self.checked(type_name, result)
    }

    fn finish(self: Box<Self>) -> (Vec<(&'static str, u64)>, Result<()>) {
        let FileSink { dir, writers, mut failure, .. } = *self;
        let mut counts = Vec::with_capacity(writers.len());
        let (mut accepted, mut kept, mut removed) = (0u64, 0u64, 0usize);
        for (name, w) in writers {
            let path = w.path().to_owned();
            let closed = w.close();
            accepted += closed.accepted;
            kept += closed.bytes;
            if closed.removed {
                removed += 1;
            } else {
                counts.push((name, closed.records));
            }
            if let Some(e) = closed.error {
                failure.get_or_insert((path, e));
            }
        }
        let Some((path, e)) = failure else { return (counts, Ok(())) };
        let what = if e.kind() == std::io::ErrorKind::StorageFull {
            format!("{} is full", dir.display())
        } else {
            format!("cannot write to {}", dir.display())
        };
        let removed = match removed {
            0 => String::new(),
            n => format!("; {n} files left without records were removed"),
        };
        let error = anyhow::anyhow!(
            "{what} ({}: {e}) after {accepted} bytes of record files were written there; every record file was \
             closed at its last complete batch ({kept} bytes kept){removed}",
            path.display()
        );
        (counts, Err(error))
    }
}

pub fn now_nanos() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
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

    fn write_owned(
        &mut self,
        type_name: &'static str,
        timestamp_digits: u32,
        records: Vec<u8>,
        count: u64,
    ) -> Result<()> {
        self.first.write(type_name, timestamp_digits, &records, count)?;
        self.second.write_owned(type_name, timestamp_digits, records, count)
    }

    fn tick(&mut self) -> Result<()> {
        self.first.tick()?;
        self.second.tick()
    }

    fn finish(self: Box<Self>) -> (Vec<(&'static str, u64)>, Result<()>) {
        // Both are closed whatever happened to the other; the first error is told.
        let (counts, first) = self.first.finish();
        let (_, second) = self.second.finish();
        (counts, first.and(second))
    }
}

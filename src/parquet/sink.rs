//! `-format parquet`: the capture pipeline's records go to
//! `<dir>/<Type>.parquet`, a file per type created on its first record.
//!
//! The tables are written on threads of their own (`table-N`), each type
//! on one of them. Why: turning records into Parquet (decoding them,
//! filling the columns, encoding and compressing pages) costs several
//! times what the rest of the writer thread does, and in that thread it
//! was a wall — the workers waited for it with a core idle (1.5 of 2
//! cores busy). A type's records still reach its table in capture order,
//! through one thread, so every file is byte for byte what one thread
//! would write; which thread a type gets changes only the timing.

use super::FileTable;
use crate::budget::Budget;
use crate::output::Error;
use crate::sink::RecordSink;
use anyhow::{anyhow, Result};
use crossbeam_channel::{unbounded, Sender};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Record bytes waiting for a table thread: beyond this the writer waits,
/// so memory stays bounded whatever the input. Deep enough to cover a
/// row group's encoding (the thread's other types queue up meanwhile):
/// with a queue of 16 batches the writer waited so often that the two
/// cores were only 1.5 busy.
pub const QUEUED_BYTES: usize = 8 << 20;

/// What a batch counts against [`QUEUED_BYTES`]: its buffer and a
/// message's bookkeeping, so that a flood of tiny batches is bounded too.
fn queued_cost(records: &[u8]) -> usize {
    records.len() + 64
}

/// Most table threads: past the cores there is nothing to gain, and a
/// capture has a handful of busy types.
const MAX_THREADS: usize = 4;

/// The records of one type that a table thread appends.
struct Batch {
    type_name: &'static str,
    records: Vec<u8>,
    count: u64,
}

/// What a table thread hands back: its types' record counts and the
/// first error of any of its tables.
type Outcome = (Vec<(&'static str, u64)>, Result<(), String>);

struct TableThread {
    batches: Sender<Batch>,
    queued: Arc<Budget>,
    handle: JoinHandle<Outcome>,
    /// Record bytes sent so far: a new type goes to the least loaded thread.
    load: u64,
}

pub struct ParquetSink {
    dir: PathBuf,
    /// Buffered column bytes that end a table's row group.
    row_group_bytes: usize,
    threads: Vec<TableThread>,
    /// Each type's thread, in the order the types first appeared.
    types: Vec<(&'static str, usize)>,
    /// The first error of a table thread, told by the next write.
    failure: Arc<Mutex<Option<String>>>,
}

impl ParquetSink {
    /// Tables in `dir` for a capture with `types` record types enabled,
    /// which share [`super::writer::CAPTURE_BUFFER_BYTES`].
    pub fn new(dir: PathBuf, types: usize) -> Self {
        ParquetSink {
            dir,
            row_group_bytes: super::writer::capture_row_group_bytes(types),
            threads: Vec::new(),
            types: Vec::new(),
            failure: Arc::new(Mutex::new(None)),
        }
    }

    fn start_threads(&mut self) -> Result<()> {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_THREADS);
        for i in 0..n {
            // Unbounded in messages, bounded in bytes by `queued`.
            let (tx, rx) = unbounded::<Batch>();
            let queued = Arc::new(Budget::new(QUEUED_BYTES));
            let dir = self.dir.clone();
            let row_group_bytes = self.row_group_bytes;
            let failure = Arc::clone(&self.failure);
            let thread_queued = Arc::clone(&queued);
            let handle = std::thread::Builder::new()
                .name(format!("table-{i}"))
                .spawn(move || {
                    let _closed = CloseOnExit(&thread_queued);
                    serve(
                        &dir,
                        row_group_bytes,
                        rx.iter().inspect(|b| thread_queued.release(queued_cost(&b.records))),
                        &failure,
                    )
                })
                .map_err(|e| anyhow!("cannot start a Parquet table thread: {e}"))?;
            self.threads.push(TableThread { batches: tx, queued, handle, load: 0 });
        }
        Ok(())
    }

    fn failed(&self) -> Option<String> {
        self.failure.lock().map_or_else(|p| p.into_inner().clone(), |f| f.clone())
    }
}

/// Closes a table thread's budget however the thread ends, so that the
/// writer never waits for room that will not come.
struct CloseOnExit<'a>(&'a Budget);

impl Drop for CloseOnExit<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

fn describe(e: Error) -> String {
    match e {
        Error::Io(e) => e.to_string(),
        Error::Data(m) => m,
    }
}

/// A table thread: appends each batch to its type's table (created on the
/// type's first batch) until the channel closes, then finishes them all.
/// After an error it drops what comes, so the writer never waits on it.
fn serve(
    dir: &std::path::Path,
    row_group_bytes: usize,
    batches: impl Iterator<Item = Batch>,
    failure: &Mutex<Option<String>>,
) -> Outcome {
    let mut tables: Vec<(&'static str, FileTable)> = Vec::new();
    let mut result = Ok(());
    for b in batches {
        if result.is_err() {
            continue;
        }
        result = append(dir, row_group_bytes, &mut tables, &b);
        if let Err(e) = &result {
            if let Ok(mut f) = failure.lock() {
                f.get_or_insert_with(|| e.clone());
            }
        }
    }
    let mut counts = Vec::with_capacity(tables.len());
    for (name, t) in tables {
        let path = t.path().to_owned();
        match t.finish() {
            Ok(n) => counts.push((name, n)),
            Err(e) => {
                if result.is_ok() {
                    result = Err(format!("cannot finish {}: {}", path.display(), describe(e)));
                }
            }
        }
    }
    (counts, result)
}

fn append(
    dir: &std::path::Path,
    row_group_bytes: usize,
    tables: &mut Vec<(&'static str, FileTable)>,
    b: &Batch,
) -> Result<(), String> {
    // A handful of types per thread: a linear search beats hashing here.
    let index = match tables.iter().position(|(n, _)| *n == b.type_name) {
        Some(i) => i,
        None => {
            let path = dir.join(super::file_name(b.type_name));
            let t = FileTable::for_capture(&path, b.type_name, row_group_bytes)
                .map_err(|e| format!("cannot create {}: {}", path.display(), describe(e)))?;
            tables.push((b.type_name, t));
            tables.len() - 1
        }
    };
    let Some((_, t)) = tables.get_mut(index) else { return Ok(()) };
    let n = t
        .table()
        .append_delimited(&b.records)
        .map_err(|e| format!("cannot write {}: {}", t.path().display(), describe(e)))?;
    if n != b.count {
        return Err(format!("{}: a batch said {} records but held {n}", t.path().display(), b.count));
    }
    Ok(())
}

impl RecordSink for ParquetSink {
    fn write(&mut self, type_name: &'static str, timestamp_digits: u32, records: &[u8], count: u64) -> Result<()> {
        self.write_owned(type_name, timestamp_digits, records.to_vec(), count)
    }

    fn write_owned(
        &mut self,
        type_name: &'static str,
        _timestamp_digits: u32,
        records: Vec<u8>,
        count: u64,
    ) -> Result<()> {
        if let Some(e) = self.failed() {
            return Err(anyhow!(e));
        }
        if self.threads.is_empty() {
            self.start_threads()?;
        }
        let thread = match self.types.iter().find(|(n, _)| *n == type_name) {
            Some(&(_, t)) => t,
            None => {
                let t = (0..self.threads.len()).min_by_key(|&i| self.threads[i].load).unwrap_or(0);
                self.types.push((type_name, t));
                t
            }
        };
        let Some(t) = self.threads.get_mut(thread) else { return Err(anyhow!("no Parquet table thread")) };
        t.load += records.len() as u64;
        t.queued.acquire(queued_cost(&records));
        if t.batches.send(Batch { type_name, records, count }).is_err() {
            return Err(anyhow!(self.failed().unwrap_or_else(|| "a Parquet table thread stopped".to_owned())));
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> (Vec<(&'static str, u64)>, Result<()>) {
        let mut per_thread = Vec::with_capacity(self.threads.len());
        for t in self.threads {
            // Closing the channel lets the thread finish its tables.
            drop(t.batches);
            per_thread
                .push(t.handle.join().unwrap_or_else(|_| (Vec::new(), Err("a Parquet table thread failed".into()))));
        }
        let mut result = Ok(());
        for (_, r) in &per_thread {
            if let (Ok(()), Err(e)) = (&result, r) {
                result = Err(anyhow!(e.clone()));
            }
        }
        // Counts in the order the types first appeared, as the file sink gives them.
        let counts = self
            .types
            .iter()
            .filter_map(|&(name, t)| {
                let (counts, _) = per_thread.get(t)?;
                counts.iter().find(|(n, _)| *n == name).copied()
            })
            .collect();
        (counts, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::pb;
    use prost::Message;

    fn delimited(records: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in records {
            prost::encoding::encode_varint(r.len() as u64, &mut out);
            out.extend_from_slice(r);
        }
        out
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("netcap-parquet-sink-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    /// Batches of several types, interleaved: each type's table holds its
    /// records in the order they were written, counts come back in the
    /// order the types first appeared.
    #[test]
    fn each_table_keeps_its_records_in_order() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::record::RowAccessor;
        let dir = temp("order");
        let mut sink: Box<dyn RecordSink> = Box::new(ParquetSink::new(dir.clone(), 2));
        let mut expected = Vec::new();
        for batch in 0..40i32 {
            let udp: Vec<Vec<u8>> =
                (0..50).map(|i| pb::Udp { src_port: batch * 50 + i, ..Default::default() }.encode_to_vec()).collect();
            sink.write("UDP", 9, &delimited(&udp), 50).expect("UDP");
            let tcp = pb::Tcp { dst_port: batch, ..Default::default() }.encode_to_vec();
            sink.write_owned("TCP", 9, delimited(&[tcp]), 1).expect("TCP");
            expected.extend((0..50).map(|i| batch * 50 + i));
        }
        let (counts, result) = sink.finish();
        result.expect("finish");
        assert_eq!(counts, vec![("UDP", 2000), ("TCP", 40)]);
        let read = |name: &str, field: &str| -> Vec<i32> {
            let file = std::fs::File::open(dir.join(format!("{name}.parquet"))).expect("table");
            let reader = SerializedFileReader::new(file).expect("parquet");
            let rows = reader.get_row_iter(None).expect("rows").map(|r| r.expect("row"));
            rows.map(|r| {
                let column = r.get_column_iter().position(|(n, _)| n == field).expect("column");
                r.get_int(column).expect("int")
            })
            .collect()
        };
        assert_eq!(read("UDP", "SrcPort"), expected);
        assert_eq!(read("TCP", "DstPort"), (0..40).collect::<Vec<_>>());
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A batch that is not records fails the run with the file's name, on
    /// a later write or at the latest when the sink finishes.
    #[test]
    fn a_bad_batch_is_reported() {
        let dir = temp("bad");
        let mut sink: Box<dyn RecordSink> = Box::new(ParquetSink::new(dir.clone(), 2));
        sink.write("DNS", 9, &[0x05, 0x01], 1).expect("handed over");
        let (_, result) = sink.finish();
        let e = result.expect_err("a damaged batch");
        assert!(e.to_string().contains("DNS.parquet"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

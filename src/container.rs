//! The `.ncap` container: a (usually gzip- or zstd-compressed) stream of
//! varint length-delimited protobuf messages, the first being a `Header`.
//! No other file knows this byte layout.

use crate::compress::{self, Compression, InputPosition};
use crate::member_pool::{MemberCodec, MemberPool, MemberResult};
use crate::schema::pb;
use crossbeam_channel::{Receiver, TryRecvError};
use flate2::write::GzEncoder;
use prost::Message;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest record a reader accepts: a length prefix claiming more is
/// treated as corruption, never as a reason to allocate.
pub const MAX_RECORD_SIZE: usize = 16 << 20;

/// Output file name of a record type.
pub fn file_name(type_name: &str, compression: Compression) -> String {
    format!("{type_name}{}", compression.record_suffix())
}

/// The file under a [`RecordWriter`], counting the bytes the OS accepted:
/// after a failed write the file holds exactly those, whatever is still
/// buffered above it.
struct CountingFile {
    file: File,
    accepted: u64,
}

impl Write for CountingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.accepted += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Gzip members of about [`MEMBER_SIZE`] uncompressed bytes, each ending
/// with a batch of records.
///
/// Why members: a write error (a full disk) can strike in the middle of a
/// deflate stream, and a deflate stream cut anywhere is not valid: every
/// reader stops with "unexpected end of file" and the records before the
/// cut are lost to most tools. A file of whole gzip members is one valid
/// gzip stream (RFC 1952; flate2's `MultiGzDecoder`, which
/// [`RecordReader`] uses, Go's `gzip.Reader`, `zcat`). So the writer
/// collects whole batches of records, compresses them into a member once
/// they pass [`MEMBER_SIZE`] (and at the end), and remembers where each
/// member ended; after a failure the file is truncated to the end of the
/// last member the OS accepted completely, and holds every record up to
/// it. What is lost is what was still in memory, as with any buffering.
/// A member per batch instead cost 35-65% in size and up to 50% in time
/// (a fresh deflate dictionary every few KiB); 256 KiB members cost 0.0-0.7%
/// in size and no measurable time (four pcapplusplus example captures).
///
/// zstd works the same way: a file of whole zstd frames is one valid zstd
/// stream (RFC 8878, section 3.1), so each member is a frame, made by one
/// reused compression context.
///
/// With a [`MemberPool`] (capture output), members are compressed on the
/// pool's threads and written here in order as they come back: at most
/// [`MEMBERS_IN_FLIGHT`] per file are out at a time.
struct Members {
    /// Whole batches not yet compressed, in order: the workers' record
    /// buffers as they were handed over, or copies of borrowed bytes.
    pending: Vec<Vec<u8>>,
    /// Bytes in `pending`.
    pending_len: usize,
    /// The last chunk of `pending` was copied here (more copies may join it).
    tail_is_copy: bool,
    /// Records in `pending`.
    pending_records: u64,
    /// Compress once `pending` holds this much (0: every batch).
    member_size: usize,
    compression: Compression,
    /// Compresses here when there is no pool; made at the first member
    /// (a deflate state is about 300 KB to allocate and clear, and a
    /// capture opens a file per record type).
    codec: Option<MemberCodec>,
    /// A finished member, between the codec and the file.
    scratch: Vec<u8>,
    pool: Option<Arc<MemberPool>>,
    /// Members handed to the pool, oldest first, with their record counts.
    in_flight: VecDeque<(Receiver<MemberResult>, u64)>,
}

/// Uncompressed bytes per gzip member of buffered output (see [`Members`]).
pub const MEMBER_SIZE: usize = 256 << 10;

/// Members of one file handed to a [`MemberPool`] and not yet written.
pub const MEMBERS_IN_FLIGHT: usize = 3;

/// What a call wrote to the file: bytes, and the records of the members
/// they hold (each member ends with a whole batch).
#[derive(Default, Clone, Copy)]
struct Written {
    bytes: u64,
    records: u64,
}

impl Members {
    /// Members of `compression` (gzip or zstd).
    fn new(compression: Compression, member_size: usize, pool: Option<Arc<MemberPool>>) -> Self {
        Members {
            pending: Vec::new(),
            pending_len: 0,
            tail_is_copy: false,
            pending_records: 0,
            member_size,
            compression,
            codec: None,
            scratch: Vec::new(),
            pool,
            in_flight: VecDeque::new(),
        }
    }

    /// Adds a batch of `count` records; returns what was written, if a
    /// member was.
    fn add(&mut self, bytes: Cow<[u8]>, count: u64, out: &mut impl Write) -> io::Result<Option<Written>> {
        self.pending_len += bytes.len();
        match bytes {
            // Borrowed bytes (flow and application records, a record at a
            // time) are gathered in one chunk: the codec makes a deflate
            // call per chunk, and tiny ones would cost a call per record.
            Cow::Borrowed(b) => match self.pending.last_mut() {
                Some(tail) if self.tail_is_copy => tail.extend_from_slice(b),
                _ if b.is_empty() => {}
                _ => {
                    self.pending.push(b.to_vec());
                    self.tail_is_copy = true;
                }
            },
            Cow::Owned(v) if v.is_empty() => {}
            Cow::Owned(v) => {
                self.pending.push(v);
                self.tail_is_copy = false;
            }
        }
        self.pending_records += count;
        if self.pending_len < self.member_size {
            return self.collect(out, false);
        }
        self.end_member(out)
    }

    /// Writes what is pending as a member, if anything is, and with a pool
    /// every member still out (the end of the file).
    fn end(&mut self, out: &mut impl Write) -> io::Result<Option<Written>> {
        let ended = self.end_member(out)?;
        let rest = self.collect(out, true)?;
        Ok(sum(ended, rest))
    }

    /// Compresses what is pending into a member: here, or on the pool.
    fn end_member(&mut self, out: &mut impl Write) -> io::Result<Option<Written>> {
        if self.pending_len == 0 {
            return self.collect(out, false);
        }
        let records = std::mem::take(&mut self.pending_records);
        self.pending_len = 0;
        if let Some(pool) = &self.pool {
            let raw = std::mem::take(&mut self.pending);
            self.in_flight.push_back((pool.submit(self.compression, raw)?, records));
            return self.collect(out, false);
        }
        self.scratch.clear();
        let codec = match &mut self.codec {
            Some(codec) => codec,
            None => self.codec.insert(MemberCodec::new(self.compression)?),
        };
        let member = codec.member(&self.pending, &mut self.scratch);
        self.pending.clear();
        member?;
        out.write_all(&self.scratch)?;
        Ok(Some(Written { bytes: self.scratch.len() as u64, records }))
    }

    /// Writes the members the pool has finished, in order; waits for the
    /// oldest while too many are out, or for all of them when `all`.
    fn collect(&mut self, out: &mut impl Write, all: bool) -> io::Result<Option<Written>> {
        let mut written: Option<Written> = None;
        while let Some((result, _)) = self.in_flight.front() {
            let must_wait = all || self.in_flight.len() > MEMBERS_IN_FLIGHT;
            let answer = if must_wait {
                result.recv().map_err(|_| io::Error::other("a compression thread stopped"))
            } else {
                match result.try_recv() {
                    Ok(a) => Ok(a),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => Err(io::Error::other("a compression thread stopped")),
                }
            };
            let records = self.in_flight.pop_front().map_or(0, |(_, r)| r);
            let member = answer??;
            out.write_all(&member)?;
            written = sum(written, Some(Written { bytes: member.len() as u64, records }));
        }
        Ok(written)
    }
}

fn sum(a: Option<Written>, b: Option<Written>) -> Option<Written> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Written { bytes: a.bytes + b.bytes, records: a.records + b.records }),
        (a, None) => a,
        (None, b) => b,
    }
}

enum Sink {
    /// One long gzip member (the server's files, flushed with sync flushes).
    Gzip(GzEncoder<Box<dyn Write + Send>>),
    /// Gzip members or zstd frames of whole batches (capture output).
    Members(Members, BufWriter<CountingFile>),
    Plain(BufWriter<CountingFile>),
}

/// How a [`RecordWriter`] ended.
#[derive(Debug)]
pub struct Closed {
    /// Records the file holds.
    pub records: u64,
    /// Bytes the file holds.
    pub bytes: u64,
    /// Bytes the OS accepted before the first failure, kept or not.
    pub accepted: u64,
    /// Why the writer failed, if it did: then the file was cut back to its
    /// last complete batch, or removed when that left no record.
    pub error: Option<io::Error>,
    pub removed: bool,
}

/// Writes one record type's file.
pub struct RecordWriter {
    sink: Sink,
    path: PathBuf,
    records: u64,
    /// Bytes handed to the file's buffer.
    handed: u64,
    /// Records in those bytes.
    handed_records: u64,
    /// (file length, records) after each complete batch not known to be on
    /// disk yet, oldest first; the first may be on disk (the last known
    /// good end).
    commits: std::collections::VecDeque<(u64, u64)>,
    /// The first write error: nothing more is written.
    failed: Option<io::Error>,
}

impl RecordWriter {
    /// Creates `dir/<Type>.ncap[.gz|.zst]` and writes `header` into it. A file
    /// whose header cannot be written is removed.
    pub fn create(dir: &Path, header: &pb::Header, compression: Compression, buffered: bool) -> io::Result<Self> {
        Self::create_with(dir, header, compression, buffered, None)
    }

    /// [`create`](Self::create), with buffered members compressed on `pool`.
    pub fn create_with(
        dir: &Path,
        header: &pb::Header,
        compression: Compression,
        buffered: bool,
        pool: Option<Arc<MemberPool>>,
    ) -> io::Result<Self> {
        let path = dir.join(file_name(&header.r#type, compression));
        let file = File::create(&path)?;
        // Capacity 0: every write goes straight to the file.
        let out = BufWriter::with_capacity(if buffered { 1 << 20 } else { 0 }, CountingFile { file, accepted: 0 });
        let member_size = if buffered { MEMBER_SIZE } else { 0 };
        let sink = match compression {
            Compression::None => Sink::Plain(out),
            Compression::Gzip | Compression::Zstd => {
                let pool = if buffered { pool } else { None };
                Sink::Members(Members::new(compression, member_size, pool), out)
            }
        };
        let mut w = RecordWriter::with_sink(sink, path);
        if let Err(e) = w.write_records(&header.encode_length_delimited_to_vec(), 0) {
            let path = w.path.clone();
            drop(w);
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        Ok(w)
    }

    fn with_sink(sink: Sink, path: PathBuf) -> Self {
        let commits = std::collections::VecDeque::from([(0, 0)]);
        RecordWriter { sink, path, records: 0, handed: 0, handed_records: 0, commits, failed: None }
    }

    /// Opens `path` to add records of `header`'s type (the server's files,
    /// kept across restarts): a new or empty file starts with `header`; an
    /// existing one, whose header the caller has checked, gets a further
    /// gzip member, which readers (`MultiGzDecoder`) take as one stream.
    pub fn append(path: &Path, header: &pb::Header) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        let fresh = file.metadata()?.len() == 0;
        let inner: Box<dyn Write + Send> = Box::new(BufWriter::with_capacity(1 << 16, file));
        let sink = Sink::Gzip(GzEncoder::new(inner, flate2::Compression::new(compress::GZIP_LEVEL)));
        let mut w = RecordWriter::with_sink(sink, path.to_owned());
        if fresh {
            w.write_raw(&header.encode_length_delimited_to_vec())?;
        }
        Ok(w)
    }

    /// Opens `path` to add records as whole gzip members, one per
    /// [`write_raw`](Self::write_raw) (the NATS server's files: every
    /// batch ends a valid stream, so cutting the file back to the end of
    /// any batch leaves a readable file): a new or empty file starts with
    /// `header`; an existing one, whose header the caller has checked,
    /// keeps what it holds whatever happens next.
    pub fn append_members(path: &Path, header: &pb::Header) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        let len = file.metadata()?.len();
        let out = BufWriter::with_capacity(1 << 16, CountingFile { file, accepted: len });
        let sink = Sink::Members(Members::new(Compression::Gzip, 0, None), out);
        let mut w = RecordWriter::with_sink(sink, path.to_owned());
        w.handed = len;
        w.commits = std::collections::VecDeque::from([(len, u64::from(len > 0))]);
        if len == 0 {
            w.write_raw(&header.encode_length_delimited_to_vec())?;
        }
        Ok(w)
    }

    /// Writes out what is buffered and fsyncs the file; returns its length
    /// (files of [`append_members`](Self::append_members) and plain ones,
    /// where that length ends the last whole batch).
    pub fn sync(&mut self) -> io::Result<u64> {
        if let Some(e) = &self.failed {
            return Err(io::Error::new(e.kind(), e.to_string()));
        }
        match &mut self.sink {
            Sink::Members(_, w) | Sink::Plain(w) => {
                w.flush()?;
                w.get_ref().file.sync_all()?;
                Ok(w.get_ref().accepted)
            }
            Sink::Gzip(_) => Err(io::Error::other("a sync-flushed gzip stream has no batch ends to report")),
        }
    }

    /// Pushes everything written so far to the file (a gzip sync flush,
    /// a zstd block flush),
    /// so a long-lived writer loses nothing buffered if the process dies.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Gzip(w) => w.flush(),
            Sink::Members(_, w) | Sink::Plain(w) => w.flush(),
        }
    }

    /// Appends `count` records that are already length-delimited protobuf
    /// bytes, as one batch: after a later failure the file keeps them
    /// whole or not at all. After a failure nothing more is written.
    pub fn write_records(&mut self, bytes: &[u8], count: u64) -> io::Result<()> {
        self.write_batch(Cow::Borrowed(bytes), count)
    }

    /// [`write_records`](Self::write_records) of a buffer the writer may
    /// keep: compressed output holds it until its member is compressed,
    /// with no copy.
    pub fn write_records_owned(&mut self, bytes: Vec<u8>, count: u64) -> io::Result<()> {
        self.write_batch(Cow::Owned(bytes), count)
    }

    fn write_batch(&mut self, bytes: Cow<[u8]>, count: u64) -> io::Result<()> {
        if let Some(e) = &self.failed {
            return Err(io::Error::new(e.kind(), e.to_string()));
        }
        // The bytes handed to the file, if this batch ends a valid stream there.
        let whole = Written { bytes: bytes.len() as u64, records: count };
        let written = match &mut self.sink {
            Sink::Gzip(w) => w.write_all(&bytes).map(|()| Some(whole)),
            Sink::Members(m, w) => m.add(bytes, count, w),
            Sink::Plain(w) => w.write_all(&bytes).map(|()| Some(whole)),
        };
        match written {
            Ok(member) => {
                self.records += count;
                if let Some(w) = member {
                    self.handed_over(w);
                }
                Ok(())
            }
            Err(e) => {
                let copy = io::Error::new(e.kind(), e.to_string());
                self.failed = Some(e);
                Err(copy)
            }
        }
    }

    /// Counts bytes handed to the file that end a valid stream, and commits
    /// that end. Members compressed on a pool arrive after later batches
    /// were counted, so they bring their own record count; everywhere else
    /// the bytes hold every record so far (the server's files count theirs
    /// with [`add_count`](Self::add_count)).
    fn handed_over(&mut self, w: Written) {
        self.handed += w.bytes;
        let pooled = matches!(&self.sink, Sink::Members(m, _) if m.pool.is_some());
        self.handed_records = if pooled { self.handed_records + w.records } else { self.records };
        self.commit();
    }

    /// Records the batch just handed over as a good end, and forgets the
    /// ends before the last one the OS has accepted.
    fn commit(&mut self) {
        self.commits.push_back((self.handed, self.handed_records));
        let accepted = self.accepted();
        while self.commits.get(1).is_some_and(|&(end, _)| end <= accepted) {
            self.commits.pop_front();
        }
    }

    fn accepted(&self) -> u64 {
        match &self.sink {
            Sink::Gzip(_) => self.handed,
            Sink::Members(_, w) | Sink::Plain(w) => w.get_ref().accepted,
        }
    }

    /// Appends records that are already length-delimited protobuf bytes
    /// (the server's writer, whose count comes with [`add_count`](Self::add_count)).
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_records(bytes, 0)
    }

    pub fn add_count(&mut self, n: u64) {
        self.records += n;
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Completes the gzip stream and flushes everything to disk. On a
    /// failure the file is cut back as [`close`](Self::close) says.
    pub fn finish(self) -> io::Result<()> {
        match self.close().error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Flushes everything to disk; if that or an earlier write failed, cuts
    /// the file back to the end of its last batch the OS accepted whole
    /// (a valid stream: see [`Members`]), or removes it when that holds no
    /// record (a file whose header was not written whole included).
    pub fn close(mut self) -> Closed {
        if self.failed.is_none() {
            if let Sink::Members(m, w) = &mut self.sink {
                match m.end(w) {
                    Ok(Some(written)) => self.handed_over(written),
                    Ok(None) => {}
                    Err(e) => self.failed = Some(e),
                }
            }
        }
        let flushed = match self.sink {
            Sink::Gzip(w) => {
                let bytes = self.handed;
                let result = w.finish().and_then(|mut inner| inner.flush());
                let error = result.err();
                return Closed { records: self.records, bytes, accepted: bytes, error, removed: false };
            }
            Sink::Members(_, ref mut w) | Sink::Plain(ref mut w) => w.flush(),
        };
        let accepted = self.accepted();
        let error = match (self.failed.take(), flushed) {
            (None, Ok(())) => {
                return Closed { records: self.records, bytes: accepted, accepted, error: None, removed: false };
            }
            (Some(e), _) | (None, Err(e)) => e,
        };
        let (end, records) = self.commits.iter().rev().find(|&&(end, _)| end <= accepted).copied().unwrap_or((0, 0));
        let path = self.path.clone();
        // Dropping the buffer may write more of it; the cut below undoes that.
        drop(self);
        let removed = records == 0;
        let cut = if removed {
            std::fs::remove_file(&path)
        } else {
            std::fs::OpenOptions::new().write(true).open(&path).and_then(|f| f.set_len(end))
        };
        let error = match cut {
            Ok(()) => error,
            Err(e) => io::Error::new(error.kind(), format!("{error}; then cannot cut {} back: {e}", path.display())),
        };
        Closed { records, bytes: if removed { 0 } else { end }, accepted, error: Some(error), removed }
    }
}

/// Why reading a container stopped early.
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    /// 1-based number of the record that could not be read (the header is record 0).
    pub record: u64,
    /// Offset in the uncompressed stream where that record starts.
    pub offset: u64,
    pub reason: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: record {} at byte offset {} (uncompressed): {}",
            self.path.display(),
            self.record,
            self.offset,
            self.reason
        )
    }
}

impl std::error::Error for ReadError {}

/// Reads records one at a time from a `.ncap`, `.ncap.gz` or `.ncap.zst`
/// file, its compression recognised by content (magic bytes), not by name.
pub struct RecordReader {
    src: Box<dyn BufRead + Send>,
    path: PathBuf,
    next_record: u64,
    offset: u64,
    /// Where the record last returned by `next_raw` starts.
    last_start: u64,
    header: pb::Header,
    /// Where a compressed file's decoder stands, for error messages.
    compressed: Option<Arc<InputPosition>>,
}

impl RecordReader {
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let fail = |reason: String| ReadError { path: path.to_owned(), record: 0, offset: 0, reason };
        let file = File::open(path).map_err(|e| fail(e.to_string()))?;
        let file = BufReader::with_capacity(1 << 16, file);
        let (src, _, compressed) = compress::decompressed(file).map_err(|e| fail(e.to_string()))?;
        let mut r = Self::start(Box::new(BufReader::with_capacity(1 << 16, src)), path, compressed);
        r.read_header()?;
        Ok(r)
    }

    /// Reads an already decompressed stream.
    pub fn from_reader(src: Box<dyn BufRead + Send>, path: &Path) -> Result<Self, ReadError> {
        let mut r = Self::start(src, path, None);
        r.read_header()?;
        Ok(r)
    }

    fn start(src: Box<dyn BufRead + Send>, path: &Path, compressed: Option<Arc<InputPosition>>) -> Self {
        RecordReader {
            src,
            path: path.to_owned(),
            next_record: 0,
            offset: 0,
            last_start: 0,
            header: pb::Header::default(),
            compressed,
        }
    }

    fn read_header(&mut self) -> Result<(), ReadError> {
        let mut buf = Vec::new();
        match self.next_raw(&mut buf) {
            Ok(true) => {}
            Ok(false) => return Err(self.error(0, "empty file: no netcap header".into())),
            Err(e) => return Err(e),
        }
        // The header is record 0, whatever the counter says by now.
        let header_error = |r: &Self, reason: String| ReadError { record: 0, ..r.error(0, reason) };
        self.header = pb::Header::decode(buf.as_slice())
            .map_err(|e| header_error(self, format!("not a netcap file: bad header: {e}")))?;
        if self.header.r#type.is_empty() || crate::schema::message(&self.header.r#type).is_none() {
            return Err(header_error(self, format!("not a netcap file: unknown record type {:?}", self.header.r#type)));
        }
        Ok(())
    }

    pub fn header(&self) -> &pb::Header {
        &self.header
    }

    /// Number (1-based; the header is 0) and uncompressed byte offset of
    /// the record last returned by [`next_raw`](Self::next_raw), so that
    /// a reader that finds its contents malformed can say where it is.
    pub fn last_record(&self) -> (u64, u64) {
        (self.next_record.saturating_sub(1), self.last_start)
    }

    /// A [`ReadError`] about the record last returned by `next_raw`.
    pub fn record_error(&self, reason: String) -> ReadError {
        let (record, offset) = self.last_record();
        ReadError { path: self.path.clone(), record, offset, reason }
    }

    /// An error about the record starting at `offset`; for a compressed
    /// file it also says how far into the file itself the decoder had read
    /// (the end of a truncated file, near the damage of a corrupt one).
    fn error(&self, offset: u64, reason: String) -> ReadError {
        let reason = match &self.compressed {
            Some(p) => format!("{reason} (compressed input read up to byte {})", p.consumed()),
            None => reason,
        };
        ReadError { path: self.path.clone(), record: self.next_record, offset, reason }
    }

    /// Reads the next record's bytes into `buf`. `Ok(false)` at a clean end.
    pub fn next_raw(&mut self, buf: &mut Vec<u8>) -> Result<bool, ReadError> {
        let start = self.offset;
        let len = match read_varint(&mut self.src) {
            Ok(None) => return Ok(false),
            Ok(Some((len, n))) => {
                self.offset += n;
                len
            }
            Err(reason) => return Err(self.error(start, reason)),
        };
        if len > MAX_RECORD_SIZE as u64 {
            return Err(self.error(start, format!("record length {len} exceeds the limit of {MAX_RECORD_SIZE} bytes")));
        }
        // Copy straight out of the reader's buffer: no zero-filling, and
        // the allocation grows only with bytes that actually arrive.
        buf.clear();
        let mut left = len as usize;
        while left > 0 {
            let n = match self.src.fill_buf() {
                Ok(avail) => {
                    let n = avail.len().min(left);
                    buf.extend_from_slice(&avail[..n]);
                    n
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.error(start, e.to_string())),
            };
            if n == 0 {
                let got = len as usize - left;
                return Err(self.error(start, format!("truncated record: length {len}, only {got} bytes left")));
            }
            self.src.consume(n);
            left -= n;
        }
        self.offset += len;
        self.last_start = start;
        self.next_record += 1;
        Ok(true)
    }
}

/// Reads a protobuf varint length prefix (decoded by [`crate::varint`]):
/// (value, bytes it took); `Ok(None)` at end of input before its first byte.
fn read_varint(r: &mut dyn BufRead) -> Result<Option<(u64, u64)>, String> {
    use crate::varint::{decode, VarintError, MAX_LEN};
    // The prefix's bytes so far, when it straddles the reader's buffer.
    let mut bytes = [0u8; MAX_LEN];
    let mut have = 0usize;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.to_string()),
        };
        if avail.is_empty() {
            return if have == 0 { Ok(None) } else { Err("truncated length prefix".into()) };
        }
        // Fast path: the whole prefix is in the buffer.
        let mut take = 0;
        for (slot, &b) in bytes.iter_mut().skip(have).zip(avail) {
            *slot = b;
            take += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        r.consume(take);
        have += take;
        match decode(bytes.get(..have).unwrap_or_default()) {
            Ok((value, len)) => return Ok(Some((value, len as u64))),
            Err(VarintError::Truncated) => {}
            Err(VarintError::TooLong) => return Err("length prefix longer than 10 bytes".into()),
            Err(VarintError::Overflow) => return Err("length prefix overflows 64 bits".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> pb::Header {
        pb::Header { r#type: "UDP".into(), version: "test".into(), ..Default::default() }
    }

    fn roundtrip(compression: Compression) {
        let dir = std::env::temp_dir().join(format!("netcap-container-{}-{compression:?}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut w = RecordWriter::create(&dir, &header(), compression, true).expect("create");
        let rec = pb::Udp { src_port: 53, ..Default::default() };
        w.write_raw(&rec.encode_length_delimited_to_vec()).expect("write");
        let path = w.path().to_owned();
        w.finish().expect("finish");
        let mut r = RecordReader::open(&path).expect("open");
        assert_eq!(r.header().r#type, "UDP");
        let mut buf = Vec::new();
        assert!(r.next_raw(&mut buf).expect("record"));
        assert_eq!(pb::Udp::decode(buf.as_slice()).expect("decode").src_port, 53);
        assert!(!r.next_raw(&mut buf).expect("clean end"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn roundtrip_gzip_zstd_and_plain() {
        roundtrip(Compression::Gzip);
        roundtrip(Compression::Zstd);
        roundtrip(Compression::None);
    }

    /// Length prefixes split across the reader's buffer, cut short, too
    /// long or too large: the shared varint rules with this file's words.
    #[test]
    fn length_prefixes_across_buffers_and_their_errors() {
        let prefixed = |prefix: &[u8]| {
            let mut bytes = header().encode_length_delimited_to_vec();
            bytes.extend_from_slice(prefix);
            // A one-byte buffer makes every prefix straddle refills.
            let src = io::BufReader::with_capacity(1, io::Cursor::new(bytes));
            RecordReader::from_reader(Box::new(src), Path::new("x")).expect("header")
        };
        let mut buf = Vec::new();
        let mut r = prefixed(&[0x82, 0x00, 7, 7]);
        assert!(r.next_raw(&mut buf).expect("record"));
        assert_eq!(buf, [7, 7]);
        assert!(!r.next_raw(&mut buf).expect("clean end"));
        let reason = |prefix: &[u8]| prefixed(prefix).next_raw(&mut Vec::new()).expect_err("bad prefix").reason;
        assert_eq!(reason(&[0x80, 0x80]), "truncated length prefix");
        assert_eq!(reason(&[0x80; 11]), "length prefix longer than 10 bytes");
        assert_eq!(
            reason(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
            "length prefix overflows 64 bits"
        );
    }

    /// The premise of [`Members`]: the file cut at the end of any batch is a
    /// valid stream holding exactly the records up to there.
    #[test]
    fn a_gzip_file_cut_after_any_batch_is_valid() {
        let dir = std::env::temp_dir().join(format!("netcap-container-cut-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut w = RecordWriter::create(&dir, &header(), Compression::Gzip, false).expect("create");
        let mut ends = vec![w.accepted()];
        for batch in 0..5u32 {
            let mut bytes = Vec::new();
            for i in 0..100 {
                let rec = pb::Udp { src_port: (batch * 100 + i) as i32, ..Default::default() };
                bytes.extend(rec.encode_length_delimited_to_vec());
            }
            w.write_records(&bytes, 100).expect("write");
            ends.push(w.accepted());
        }
        let path = w.path().to_owned();
        w.finish().expect("finish");
        let whole = std::fs::read(&path).expect("read");
        assert_eq!(whole.len() as u64, ends[5]);
        for (batches, &end) in ends.iter().enumerate() {
            let cut = dir.join("cut.ncap.gz");
            std::fs::write(&cut, &whole[..end as usize]).expect("write");
            let mut r = RecordReader::open(&cut).expect("the header is a member of its own");
            let mut buf = Vec::new();
            let mut ports = Vec::new();
            while r.next_raw(&mut buf).expect("valid to the end") {
                ports.push(pb::Udp::decode(buf.as_slice()).expect("decode").src_port);
            }
            assert_eq!(ports, (0..batches as i32 * 100).collect::<Vec<_>>());
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn huge_length_is_an_error_not_an_allocation() {
        let mut bytes = header().encode_length_delimited_to_vec();
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]); // ~4 GiB
        let mut r = RecordReader::from_reader(Box::new(io::Cursor::new(bytes)), Path::new("x")).expect("header");
        let e = r.next_raw(&mut Vec::new()).expect_err("must refuse");
        assert!(e.reason.contains("exceeds"), "{e}");
        assert_eq!(e.record, 1);
    }
}

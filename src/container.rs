//! The `.ncap` container: a (usually gzip- or zstd-compressed) stream of
//! varint length-delimited protobuf messages, the first being a `Header`.
//! No other file knows this byte layout.

use crate::compress::{self, Compression, InputPosition};
use crate::schema::pb;
use flate2::write::GzEncoder;
use prost::Message;
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

enum Sink {
    Gzip(GzEncoder<Box<dyn Write + Send>>),
    Zstd(zstd::stream::write::Encoder<'static, Box<dyn Write + Send>>),
    Plain(Box<dyn Write + Send>),
}

/// Writes one record type's file.
pub struct RecordWriter {
    sink: Sink,
    path: PathBuf,
    records: u64,
}

impl RecordWriter {
    /// Creates `dir/<Type>.ncap[.gz|.zst]` and writes `header` into it.
    pub fn create(dir: &Path, header: &pb::Header, compression: Compression, buffered: bool) -> io::Result<Self> {
        let path = dir.join(file_name(&header.r#type, compression));
        let file = File::create(&path)?;
        let inner: Box<dyn Write + Send> =
            if buffered { Box::new(BufWriter::with_capacity(1 << 20, file)) } else { Box::new(file) };
        let sink = match compression {
            Compression::Gzip => Sink::Gzip(GzEncoder::new(inner, flate2::Compression::new(compress::GZIP_LEVEL))),
            Compression::Zstd => Sink::Zstd(zstd::stream::write::Encoder::new(inner, compress::ZSTD_LEVEL)?),
            Compression::None => Sink::Plain(inner),
        };
        let mut w = RecordWriter { sink, path, records: 0 };
        w.write_raw(&header.encode_length_delimited_to_vec())?;
        Ok(w)
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
        let mut w = RecordWriter { sink, path: path.to_owned(), records: 0 };
        if fresh {
            w.write_raw(&header.encode_length_delimited_to_vec())?;
        }
        Ok(w)
    }

    /// Pushes everything written so far to the file (a gzip sync flush,
    /// a zstd block flush),
    /// so a long-lived writer loses nothing buffered if the process dies.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Gzip(w) => w.flush(),
            Sink::Zstd(w) => w.flush(),
            Sink::Plain(w) => w.flush(),
        }
    }

    /// Appends records that are already length-delimited protobuf bytes.
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Gzip(w) => w.write_all(bytes),
            Sink::Zstd(w) => w.write_all(bytes),
            Sink::Plain(w) => w.write_all(bytes),
        }
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

    /// Completes the gzip or zstd stream and flushes everything to disk.
    pub fn finish(self) -> io::Result<()> {
        match self.sink {
            Sink::Gzip(w) => w.finish()?.flush(),
            Sink::Zstd(w) => w.finish()?.flush(),
            Sink::Plain(mut w) => w.flush(),
        }
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

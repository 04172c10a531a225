//! Compression of the files netcap reads and writes: record files
//! (`-comp gzip|zstd|none`) and capture files. Readers recognise it by
//! magic bytes, never by file name, so a renamed file still reads; this
//! is the one place that knows the magics.

use flate2::bufread::MultiGzDecoder;
use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// gzip (RFC 1952) member magic.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// zstd (RFC 8878) frame magic, 0xFD2FB528 little-endian.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// gzip level of record files: in README's size/speed table (`cargo bench
/// --bench compression`) levels 3 and 6 take 1.6 and 2.7 times level 1's
/// time for 5 to 6 points of size, and the writer thread sets the pace.
pub const GZIP_LEVEL: u32 = 1;
/// zstd level of record files, from the same table: level 1 is about as
/// small as gzip 6 at 2.4 times gzip 1's speed; level 3 halves the speed
/// for one point.
pub const ZSTD_LEVEL: i32 = 1;

/// How a file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// gzip: Go Netcap's format, hence the default.
    #[default]
    Gzip,
    Zstd,
    None,
}

impl Compression {
    /// Recognises the compression of a file from its first bytes.
    pub fn detect(head: &[u8]) -> Self {
        if head.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else {
            Compression::None
        }
    }

    /// Parses `-comp`: `gzip`, `zstd`, `none`, and Go Netcap's booleans
    /// (`true`/`false`, also `1`/`0`, `yes`/`no`, `on`/`off`) for gzip/none.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "gzip" | "gz" | "true" | "t" | "1" | "yes" | "y" | "on" => Ok(Compression::Gzip),
            "zstd" | "zst" => Ok(Compression::Zstd),
            "none" | "false" | "f" | "0" | "no" | "n" | "off" => Ok(Compression::None),
            _ => Err(format!("{s:?}: choose gzip, zstd or none (true/false mean gzip/none)")),
        }
    }

    /// The suffix of a record file written this way.
    pub fn record_suffix(self) -> &'static str {
        match self {
            Compression::Gzip => ".ncap.gz",
            Compression::Zstd => ".ncap.zst",
            Compression::None => ".ncap",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::None => "none",
        }
    }
}

/// Suffixes of record files, whatever their compression.
pub const RECORD_SUFFIXES: [&str; 3] = [".ncap", ".ncap.gz", ".ncap.zst"];

/// Whether `name` is named like a record file (`.ncap`, `.ncap.gz`, `.ncap.zst`).
pub fn is_record_file_name(name: &str) -> bool {
    RECORD_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Where a decompressing reader stands in its compressed input, and why it
/// last failed: readers above it (pcap-parser) keep only "read error", so
/// the position and the decoder's own words are kept here to report.
#[derive(Debug, Default)]
pub struct InputPosition {
    /// Compressed bytes the decoder has consumed.
    consumed: AtomicU64,
    /// The last error the decoder returned.
    error: Mutex<Option<String>>,
}

impl InputPosition {
    pub fn consumed(&self) -> u64 {
        self.consumed.load(Ordering::Relaxed)
    }

    pub fn last_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }
}

/// The decompressed content of `src`, chosen by its first bytes, and for
/// compressed input the [`InputPosition`] that tracks it. Streams: nothing
/// is inflated whole, and concatenated gzip members or zstd frames read
/// as one stream.
pub fn decompressed<R: BufRead + Send + 'static>(
    mut src: R,
) -> io::Result<(Box<dyn Read + Send>, Compression, Option<Arc<InputPosition>>)> {
    let kind = Compression::detect(src.fill_buf()?);
    if kind == Compression::None {
        return Ok((Box::new(src), kind, None));
    }
    let position = Arc::new(InputPosition::default());
    let counted = Counted { inner: src, position: Arc::clone(&position) };
    let decoder: Box<dyn Read + Send> = match kind {
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(counted)?),
        _ => Box::new(MultiGzDecoder::new(counted)),
    };
    Ok((Box::new(Noted { inner: decoder, position: Arc::clone(&position) }), kind, Some(position)))
}

/// Counts the compressed bytes a decoder consumes.
struct Counted<R> {
    inner: R,
    position: Arc<InputPosition>,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.position.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.position.consumed.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Keeps the decoder's last error in the shared [`InputPosition`].
struct Noted {
    inner: Box<dyn Read + Send>,
    position: Arc<InputPosition>,
}

impl Read for Noted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if let Ok(mut slot) = self.position.error.lock() {
                *slot = Some(e.to_string());
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn compressed(kind: Compression, data: &[u8]) -> Vec<u8> {
        match kind {
            Compression::Gzip => {
                let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                w.write_all(data).expect("gzip");
                w.finish().expect("gzip")
            }
            Compression::Zstd => zstd::stream::encode_all(data, ZSTD_LEVEL).expect("zstd"),
            Compression::None => data.to_vec(),
        }
    }

    #[test]
    fn detects_by_magic_and_round_trips() {
        let data: Vec<u8> = (0..100_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        for kind in [Compression::Gzip, Compression::Zstd, Compression::None] {
            let (mut r, got, _) = decompressed(Cursor::new(compressed(kind, &data))).expect("open");
            assert_eq!(got, kind);
            let mut out = Vec::new();
            r.read_to_end(&mut out).expect("read");
            assert_eq!(out, data, "{kind:?}");
        }
    }

    #[test]
    fn truncated_input_reports_position_and_reason() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        for kind in [Compression::Gzip, Compression::Zstd] {
            let full = compressed(kind, &data);
            let cut = &full[..full.len() / 2];
            let (mut r, _, pos) = decompressed(Cursor::new(cut.to_vec())).expect("open");
            let e = r.read_to_end(&mut Vec::new()).expect_err("truncated input must fail");
            let pos = pos.expect("compressed input is tracked");
            assert_eq!(pos.consumed(), cut.len() as u64, "{kind:?}");
            assert_eq!(pos.last_error(), Some(e.to_string()));
        }
    }

    #[test]
    fn comp_values() {
        assert_eq!(Compression::parse("zstd"), Ok(Compression::Zstd));
        assert_eq!(Compression::parse("true"), Ok(Compression::Gzip));
        assert_eq!(Compression::parse("false"), Ok(Compression::None));
        assert_eq!(Compression::parse("none"), Ok(Compression::None));
        assert!(Compression::parse("lz4").is_err());
    }
}

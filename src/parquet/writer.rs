//! One record type's Parquet file: records in, row groups out.
//!
//! Memory stays bounded whatever the input's size: rows are buffered only
//! until a row group is full ([`ROW_GROUP_ROWS`] rows, or
//! [`ROW_GROUP_BYTES`] of columns, counted by
//! [`Columns::buffered_bytes`]), then encoded, zstd-compressed and
//! written.

use super::columns::Columns;
use crate::output::Error;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Encoding, LogicalType, Type as PhysicalType, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnDescriptor;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Rows per row group: large enough for good compression and fast scans,
/// small enough that a type's buffer stays a few MiB.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Column bytes that also end a row group: payload-carrying records are
/// large, so rows alone would not bound memory.
pub const ROW_GROUP_BYTES: usize = 32 << 20;

/// Column bytes all the tables of a capture (`-format parquet`) buffer at
/// most: each enabled record type gets an equal share (at most
/// [`ROW_GROUP_BYTES`]). The share depends on the options only, so a
/// table's row groups, and its file, are the same in every run; a budget
/// shared as the types come would depend on when the stream shards'
/// records arrive.
pub const CAPTURE_BUFFER_BYTES: usize = 512 << 20;

/// The smallest share of [`CAPTURE_BUFFER_BYTES`]: row groups of a few
/// thousand rows still compress and scan well.
const MIN_ROW_GROUP_BYTES: usize = 2 << 20;

/// A table's row-group size in bytes when `types` record types are enabled.
pub fn capture_row_group_bytes(types: usize) -> usize {
    (CAPTURE_BUFFER_BYTES / types.max(1)).clamp(MIN_ROW_GROUP_BYTES, ROW_GROUP_BYTES)
}

fn parquet_error(e: impl std::fmt::Display) -> Error {
    Error::Io(io::Error::other(e.to_string()))
}

/// How every table is encoded; the choices were measured on the records
/// of the benchmark capture (README, "Parquet and data frames").
///
/// - zstd level 1: most of zstd's gain on these columns at a fraction of
///   the higher levels' time.
/// - No dictionary encoding: zstd over plain values made the tables of
///   the 1M-packet benchmark 12 % smaller than dictionary pages did, and
///   interning every value (hashing it, growing the table) cost about a
///   sixth of the export's time. Readers get the same types either way.
/// - No min/max statistics for byte-array (string and binary) columns:
///   the lexicographic range of a row group's addresses, names or
///   payloads prunes nothing, and computing it (a `memcmp` per value)
///   was a fifth of the export's time. Numeric and timestamp columns keep
///   page statistics, which do prune (time ranges, frame numbers).
/// - Timestamps and frame numbers delta-encoded (DELTA_BINARY_PACKED,
///   which pyarrow, pandas, Polars, DuckDB and Spark 3.3 or later read
///   with their vectorized readers): they rise
///   through a capture, so a value takes a few bits instead of eight
///   bytes for zstd to search. The 1M-packet benchmark's tables are
///   10.6 % smaller and a capture takes 3.2 % fewer instructions; delta
///   for every integer column was larger and slower (ports and sequence
///   numbers jump from row to row).
/// - Values handed to the column encoders 8,192 at a time (the crate's
///   default is 1,024): fewer, larger mini-batches and pages; 0.7 % fewer
///   instructions and a 4 % smaller TCP table.
fn properties(schema: &arrow_schema::SchemaRef) -> Result<WriterProperties, Error> {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).map_err(parquet_error)?))
        .set_dictionary_enabled(false)
        .set_write_batch_size(8192)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("netcap {}", crate::VERSION));
    let parquet_schema = ArrowSchemaConverter::new().convert(schema).map_err(parquet_error)?;
    for column in parquet_schema.columns() {
        if column.physical_type() == PhysicalType::BYTE_ARRAY {
            props = props.set_column_statistics_enabled(column.path().clone(), EnabledStatistics::None);
        }
        if is_packet_clock(column) {
            props = props.set_column_encoding(column.path().clone(), Encoding::DELTA_BINARY_PACKED);
        }
    }
    Ok(props.build())
}

/// A record's own timestamps (`Timestamp`, `TimestampFirst`, ...: the
/// columns the schema mapping made timestamps) and packet keys
/// (`FrameNumber`, `FrameNumberFirst`, ...): they rise with the capture,
/// so the differences between neighbours are small. Nested ones (an
/// answer's TTL, a certificate's validity) do not.
fn is_packet_clock(column: &ColumnDescriptor) -> bool {
    let [name] = column.path().parts() else { return false };
    column.physical_type() == PhysicalType::INT64
        && (matches!(column.logical_type_ref(), Some(LogicalType::Timestamp { .. })) || name.starts_with("FrameNumber"))
}

/// Writes the records of one type as Parquet to `W`.
pub struct TableWriter<W: Write + Send> {
    columns: Columns,
    writer: ArrowWriter<W>,
    /// Buffered column bytes that end a row group.
    row_group_bytes: usize,
    rows: u64,
}

impl TableWriter<BufWriter<File>> {
    /// Creates (or replaces) the file at `path` for records of `type_name`.
    pub fn create(path: &Path, type_name: &str) -> Result<Self, Error> {
        let file = File::create(path)?;
        TableWriter::new(BufWriter::with_capacity(1 << 20, file), type_name)
    }
}

impl<W: Write + Send> TableWriter<W> {
    pub fn new(out: W, type_name: &str) -> Result<Self, Error> {
        let desc = crate::schema::message(type_name)
            .ok_or_else(|| Error::Data(format!("unknown record type {type_name:?}")))?;
        let columns = Columns::new(&desc).map_err(Error::Data)?;
        let props = properties(columns.arrow_schema())?;
        let writer = ArrowWriter::try_new(out, columns.arrow_schema().clone(), Some(props)).map_err(parquet_error)?;
        Ok(TableWriter { columns, writer, row_group_bytes: ROW_GROUP_BYTES, rows: 0 })
    }

    /// For the records of this capture: see [`Columns::own_records`].
    pub fn own_records(mut self) -> Self {
        self.columns = self.columns.own_records();
        self
    }

    /// Ends row groups at `bytes` of buffered columns (instead of
    /// [`ROW_GROUP_BYTES`]), or at [`ROW_GROUP_ROWS`] rows.
    pub fn with_row_group_bytes(mut self, bytes: usize) -> Self {
        self.row_group_bytes = bytes;
        self
    }

    /// Appends one record (protobuf bytes without length prefix). A
    /// malformed record is `Error::Data` and leaves the table as it was.
    pub fn append(&mut self, record: &[u8]) -> Result<(), Error> {
        self.columns.append(record).map_err(Error::Data)?;
        self.rows += 1;
        if self.columns.rows() >= ROW_GROUP_ROWS || self.columns.buffered_bytes() >= self.row_group_bytes {
            self.flush_row_group()?;
        }
        Ok(())
    }

    /// Appends varint-length-delimited records, as the capture pipeline
    /// hands them to a sink. Returns how many were appended.
    pub fn append_delimited(&mut self, bytes: &[u8]) -> Result<u64, Error> {
        let mut pos = 0;
        let mut n = 0;
        while pos < bytes.len() {
            let at = pos;
            let len = crate::output::record::read_varint(bytes, &mut pos, bytes.len())
                .map_err(|e| Error::Data(format!("length prefix at byte {at}: {e}")))?;
            let record = usize::try_from(len)
                .ok()
                .and_then(|len| bytes.get(pos..pos.checked_add(len)?))
                .ok_or_else(|| Error::Data(format!("record at byte {at}: length {len} runs past the batch")))?;
            pos += record.len();
            self.append(record).map_err(|e| match e {
                Error::Data(m) => Error::Data(format!("record at byte {at}: {m}")),
                other => other,
            })?;
            n += 1;
        }
        Ok(n)
    }

    /// Records appended so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn flush_row_group(&mut self) -> Result<(), Error> {
        if self.columns.rows() == 0 {
            return Ok(());
        }
        let batch = self.columns.take_batch().map_err(parquet_error)?;
        self.writer.write(&batch).map_err(parquet_error)?;
        // Closes the row group: its encoded pages leave memory now.
        self.writer.flush().map_err(parquet_error)
    }

    /// Writes what is buffered and the file's footer; returns the writer
    /// and the number of records.
    pub fn finish(mut self) -> Result<(W, u64), Error> {
        self.flush_row_group()?;
        let mut out = self.writer.into_inner().map_err(parquet_error)?;
        out.flush()?;
        Ok((out, self.rows))
    }
}

/// A Parquet file written under a temporary name and renamed into place
/// when complete, so that an interrupted or failed run never leaves a
/// file that looks finished.
pub struct FileTable {
    table: TableWriter<BufWriter<File>>,
    tmp: PathBuf,
    path: PathBuf,
}

impl FileTable {
    /// A table for records read from files (`netcap export`).
    pub fn create(path: &Path, type_name: &str) -> Result<FileTable, Error> {
        FileTable::open(path, |tmp| TableWriter::create(tmp, type_name))
    }

    /// A table for the records of this capture (`-format parquet`), with
    /// row groups of `row_group_bytes` ([`capture_row_group_bytes`]).
    pub fn for_capture(path: &Path, type_name: &str, row_group_bytes: usize) -> Result<FileTable, Error> {
        FileTable::open(path, |tmp| {
            Ok(TableWriter::create(tmp, type_name)?.with_row_group_bytes(row_group_bytes).own_records())
        })
    }

    fn open(
        path: &Path,
        table: impl FnOnce(&Path) -> Result<TableWriter<BufWriter<File>>, Error>,
    ) -> Result<FileTable, Error> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".partial");
        let tmp = PathBuf::from(tmp);
        Ok(FileTable { table: table(&tmp)?, tmp, path: path.to_owned() })
    }

    pub fn table(&mut self) -> &mut TableWriter<BufWriter<File>> {
        &mut self.table
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Completes the file and moves it to its name; returns its records.
    pub fn finish(self) -> Result<u64, Error> {
        let (out, rows) = self.table.finish()?;
        // into_inner flushes the buffer and reports a failed write.
        drop(out.into_inner().map_err(|e| e.into_error())?);
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::pb;
    use parquet::basic::Encoding;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use prost::Message;

    /// A table ends its row groups at its byte share: every group but the
    /// last holds the fewest records whose columns reach the share.
    #[test]
    fn row_groups_end_at_the_byte_share_of_their_type() {
        assert_eq!(capture_row_group_bytes(1), ROW_GROUP_BYTES);
        assert_eq!(capture_row_group_bytes(61), CAPTURE_BUFFER_BYTES / 61);
        assert_eq!(capture_row_group_bytes(100_000), MIN_ROW_GROUP_BYTES);
        let record = pb::Tcp {
            src_port: 443,
            options: vec![pb::TcpOption { option_type: 8, option_length: 10, option_data: vec![7; 8] }; 3],
            ..Default::default()
        }
        .encode_to_vec();
        let mut one = Columns::new(&crate::schema::message("TCP").expect("TCP")).expect("columns");
        one.append(&record).expect("record");
        let per_record = one.buffered_bytes();
        let share: usize = 1 << 20;
        let per_group = share.div_ceil(per_record);
        let dir = std::env::temp_dir().join(format!("netcap-parquet-groups-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("TCP.parquet");
        let mut table = TableWriter::create(&path, "TCP").expect("table").with_row_group_bytes(share);
        for _ in 0..per_group * 3 + 5 {
            table.append(&record).expect("append");
        }
        table.finish().expect("finish");
        let reader = SerializedFileReader::new(std::fs::File::open(&path).expect("open")).expect("parquet");
        let rows: Vec<i64> = reader.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
        let per_group = per_group as i64;
        assert_eq!(rows, vec![per_group, per_group, per_group, 5]);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// The encoding choices of [`properties`], read back from a file's
    /// metadata: numbers keep min/max, byte arrays have none, no column
    /// is dictionary-encoded, and only the timestamp and the frame
    /// number are delta-encoded.
    #[test]
    fn the_encoding_choices_are_in_the_file() {
        let dir = std::env::temp_dir().join(format!("netcap-parquet-props-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("IPv4.parquet");
        let mut table = TableWriter::create(&path, "IPv4").expect("table");
        for (ts, src) in [(1_700_000_000_000_000_123, "10.0.0.2"), (1_700_000_000_000_000_007, "10.0.0.1")] {
            let r = pb::IPv4 { timestamp: ts, src_ip: src.into(), ttl: 64, ..Default::default() };
            table.append(&r.encode_to_vec()).expect("append");
        }
        table.finish().expect("finish");
        let reader = SerializedFileReader::new(std::fs::File::open(&path).expect("open")).expect("parquet");
        let group = reader.metadata().row_group(0);
        let column = |name: &str| {
            (0..group.num_columns())
                .map(|i| group.column(i))
                .find(|c| c.column_path().string() == name)
                .unwrap_or_else(|| panic!("no column {name}"))
        };
        let ts = column("Timestamp").statistics().expect("Timestamp statistics");
        assert_eq!(ts.min_bytes_opt(), Some(&1_700_000_000_000_000_007i64.to_le_bytes()[..]));
        assert_eq!(ts.max_bytes_opt(), Some(&1_700_000_000_000_000_123i64.to_le_bytes()[..]));
        let src = column("SrcIP").statistics();
        assert!(src.is_none_or(|s| s.min_bytes_opt().is_none()), "SrcIP has min/max: {src:?}");
        for i in 0..group.num_columns() {
            let c = group.column(i);
            let encodings: Vec<Encoding> = c.encodings().collect();
            assert!(
                !encodings.iter().any(|e| matches!(e, Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY)),
                "{} is dictionary-encoded: {encodings:?}",
                c.column_path()
            );
            let path = c.column_path().string();
            let delta = encodings.contains(&Encoding::DELTA_BINARY_PACKED);
            assert_eq!(delta, path == "Timestamp" || path == "FrameNumber", "{path}: {encodings:?}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}

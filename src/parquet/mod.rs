//! Parquet output: one table per record type, its Arrow schema derived
//! from the protobuf descriptors (see [`columns`] for the mapping), so
//! pandas, Polars, DuckDB and Spark get typed columns with no hints.
//!
//! [`ParquetSink`] writes `<Type>.parquet` during a capture
//! (`-format parquet`); `netcap export` (cli/export.rs) converts record
//! files. Both go through [`TableWriter`].

pub mod columns;
pub mod sink;
pub mod writer;

pub use sink::ParquetSink;
pub use writer::{FileTable, TableWriter, CAPTURE_BUFFER_BYTES, ROW_GROUP_BYTES, ROW_GROUP_ROWS};

/// File name of a record type's table.
pub fn file_name(type_name: &str) -> String {
    format!("{type_name}.parquet")
}

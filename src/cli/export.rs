//! `netcap export`: record files (`.ncap`, `.ncap.gz`; files or
//! directories of them) to Parquet, one table per record type.
//!
//! Files of one type merge into one table, `DIR/<Type>.parquet`; with
//! `-hive`, into one partition per capture,
//! `DIR/type=<Type>/capture=<name>/part-0.parquet`, so that a directory
//! of many captures' records is one dataset to Spark, DuckDB or Polars.
//! Tables are written one after the other, each streaming its files, so
//! memory stays that of one row group however many inputs there are.
//!
//! Exit status: 0 ok; 1 a malformed or unreadable record file (reported
//! with file, record and offset; the records before the damage are kept
//! and the other files exported); 2 usage errors.

use super::EXIT_USAGE;
use crate::container::RecordReader;
use crate::output::Error;
use crate::parquet::FileTable;
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Parser};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Exit status for malformed or unreadable input files.
pub const EXIT_BAD_INPUT: i32 = 1;

#[derive(Parser, Debug)]
#[command(
    name = "netcap export",
    version = crate::VERSION,
    about = "Converts record files (.ncap, .ncap.gz) to Parquet, one table per record type",
    after_help = "Exit status: 0 ok, 1 malformed or unreadable record file, 2 usage error."
)]
pub struct ExportArgs {
    /// Record files, or directories searched (recursively) for *.ncap and *.ncap.gz.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,

    /// Output directory (created if absent).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,

    /// Hive-style layout: DIR/type=<Type>/capture=<name>/part-0.parquet,
    /// the capture named after the file name of the header's InputSource.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub hive: bool,

    /// Replace Parquet files this export would write that already exist.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub overwrite: bool,

    /// No per-table report on stderr.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub quiet: bool,
}

pub fn main(args: Vec<OsString>) -> i32 {
    let args = match super::capture::parse::<ExportArgs>("netcap export", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let files = match input_files(&args.inputs) {
        Ok(f) => f,
        Err(msg) => {
            eprintln!("netcap: {msg}");
            return EXIT_USAGE;
        }
    };
    let mut failed = false;
    let mut tables: BTreeMap<PathBuf, (String, Vec<PathBuf>)> = BTreeMap::new();
    for file in files {
        let header = match RecordReader::open(&file) {
            Ok(r) => r.header().clone(),
            Err(e) => {
                eprintln!("netcap: {e}");
                failed = true;
                continue;
            }
        };
        let rel = if args.hive {
            hive_path(&header.r#type, &capture_name(&header.input_source, &file))
        } else {
            PathBuf::from(crate::parquet::file_name(&header.r#type))
        };
        tables.entry(args.out.join(rel)).or_insert_with(|| (header.r#type.clone(), Vec::new())).1.push(file);
    }
    if tables.is_empty() && !failed {
        eprintln!("netcap: no record files (*.ncap, *.ncap.gz) in {}", display_list(&args.inputs));
        return EXIT_USAGE;
    }
    if !args.overwrite {
        let existing: Vec<String> = tables.keys().filter(|p| p.exists()).map(|p| p.display().to_string()).collect();
        if !existing.is_empty() {
            eprintln!(
                "netcap: {} already exist{}: add -overwrite to replace, or choose another -out",
                existing.join(", "),
                if existing.len() == 1 { "s" } else { "" }
            );
            return EXIT_USAGE;
        }
    }
    for (path, (type_name, files)) in &tables {
        match export_table(path, type_name, files) {
            Ok((rows, ok)) => {
                failed |= !ok;
                if !args.quiet {
                    eprintln!("{type_name}: {rows} records from {} file(s) → {}", files.len(), path.display());
                }
            }
            Err(msg) => {
                eprintln!("netcap: {msg}");
                return EXIT_BAD_INPUT;
            }
        }
    }
    if failed {
        EXIT_BAD_INPUT
    } else {
        0
    }
}

/// Writes one table from `files` (all of `type_name`). Returns its record
/// count and whether every file was read to its end; a malformed file is
/// reported and its records before the damage kept. `Err` is an output
/// failure, which ends the export.
fn export_table(path: &Path, type_name: &str, files: &[PathBuf]) -> Result<(u64, bool), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let output = |e: Error| match e {
        Error::Io(e) => format!("cannot write {}: {e}", path.display()),
        Error::Data(m) => format!("cannot write {}: {m}", path.display()),
    };
    let mut table = FileTable::create(path, type_name).map_err(output)?;
    let mut complete = true;
    let mut buf = Vec::with_capacity(4096);
    for file in files {
        let mut reader = match RecordReader::open(file) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("netcap: {e}");
                complete = false;
                continue;
            }
        };
        loop {
            match reader.next_raw(&mut buf) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    eprintln!("netcap: {e}");
                    complete = false;
                    break;
                }
            }
            match table.table().append(&buf) {
                Ok(()) => {}
                Err(Error::Data(m)) => {
                    eprintln!("netcap: {}", reader.record_error(m));
                    complete = false;
                    break;
                }
                Err(e) => return Err(output(e)),
            }
        }
    }
    let rows = table.finish().map_err(output)?;
    Ok((rows, complete))
}

/// The record files among `inputs`: files as given, directories searched
/// recursively for `*.ncap` and `*.ncap.gz`, each directory's in name order.
fn input_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, &mut files)?;
        } else if input.exists() {
            files.push(input.clone());
        } else {
            return Err(format!("no such file or directory: {}", input.display()));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        // symlink_metadata: a link loop cannot make the walk endless.
        let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
        if meta.is_dir() {
            walk(&p, files)?;
        } else if p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".ncap") || n.ends_with(".ncap.gz"))
        {
            files.push(p);
        }
    }
    Ok(())
}

/// `type=<Type>/capture=<name>/part-0.parquet`.
fn hive_path(type_name: &str, capture: &str) -> PathBuf {
    PathBuf::from(format!("type={type_name}")).join(format!("capture={capture}")).join("part-0.parquet")
}

/// A capture's partition value: the file name of the header's InputSource
/// (the capture file, or the interface), or of the record file's directory
/// when the header names none. Characters other than letters, digits,
/// `.`, `_` and `-` become `_`, so the value needs no escaping in a path
/// and reads back the same in every Hive-aware reader.
pub fn capture_name(input_source: &str, file: &Path) -> String {
    let from_source = Path::new(input_source).file_name().and_then(|n| n.to_str()).filter(|n| !n.is_empty());
    let from_dir = || file.parent().and_then(|d| d.file_name()).and_then(|n| n.to_str());
    let raw = from_source.or_else(from_dir).unwrap_or("unknown");
    let name: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if name.chars().all(|c| c == '.') {
        "unknown".to_owned()
    } else {
        name
    }
}

fn display_list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_names_are_safe_path_parts() {
        assert_eq!(capture_name("/data/monday/traffic.pcap", Path::new("x/TCP.ncap.gz")), "traffic.pcap");
        assert_eq!(capture_name("eth0", Path::new("x/TCP.ncap.gz")), "eth0");
        assert_eq!(capture_name("my capture=1.pcap", Path::new("x/TCP.ncap.gz")), "my_capture_1.pcap");
        assert_eq!(capture_name("", Path::new("sensor-a/TCP.ncap.gz")), "sensor-a");
        assert_eq!(capture_name("..", Path::new("TCP.ncap.gz")), "unknown");
        assert_eq!(hive_path("TCP", "a.pcap"), Path::new("type=TCP/capture=a.pcap/part-0.parquet"));
    }
}

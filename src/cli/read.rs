//! `netcap read FILE` / `netcap -r FILE.ncap.gz`: prints a record file as
//! CSV (default), TSV, JSON Lines, tables or structured text; `-check`
//! verifies the separators of CSV output.
//!
//! Exit status: 0 ok, 1 malformed file contents or a failed check (after
//! printing every complete record), 2 usage errors.

use super::EXIT_USAGE;
use crate::container::RecordReader;
use crate::output::check::{Checker, Summary};
use crate::output::csv::{parse_separator, CsvSink};
use crate::output::json::JsonSink;
use crate::output::record::Values;
use crate::output::struc::StrucSink;
use crate::output::table::{header_table, TableSink};
use crate::output::{timestamp_digits, Error, Renderer, Sink, Style, TsFormat};
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Parser};
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit status for malformed input and failed checks.
pub const EXIT_BAD_INPUT: i32 = 1;

#[derive(Parser, Debug)]
#[command(
    name = "netcap read",
    version = crate::VERSION,
    about = "Prints the records of a netcap file (.ncap, .ncap.gz or .ncap.zst, recognised by content); CSV by default",
    after_help = "Go Netcap's single-dash spellings work too: -r TCP.ncap.gz -select Timestamp,SrcPort -tsv -utc.\n\
                  Timestamps that keep every digit in any reader: -json (RFC 3339 strings), or -ts ns.\n\
                  Boolean flags take an optional value with '=': -utc, -utc=true, -utc=false.\n\
                  Exit status: 0 ok, 1 malformed file or failed -check, 2 usage error."
)]
pub struct ReadArgs {
    /// Record file to print.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Record file to print (same as FILE).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Option<PathBuf>,

    /// Print the record type's field names (the CSV header) and exit.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub fields: bool,

    /// Only these fields, in this order (comma-separated).
    #[arg(long, value_name = "FIELDS", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Field separator: one ASCII character (\t or tab for a tab).
    #[arg(long, value_name = "SEP", default_value = ",")]
    pub sep: String,

    /// Tab-separated values (same as -sep '\t').
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub tsv: bool,

    /// Timestamp form: seconds (1418145369.924505488, Go Netcap's), ns
    /// (1418145369924505488) or rfc3339 (2014-12-09T17:16:09.924505488Z).
    /// Default: rfc3339 for -json (a JSON number in seconds is rounded by
    /// readers), seconds otherwise.
    #[arg(long, value_name = "FORM", value_enum)]
    pub ts: Option<TsFormat>,

    /// Timestamps as RFC 3339 UTC (2012-03-16T13:30:07.100000Z): same as -ts rfc3339.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub utc: bool,

    /// Tables (a table per 100 records).
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub table: bool,

    /// Each record as a readable multi-line block.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub struc: bool,

    /// Print the file's header (type, version, source, creation time) and exit.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub header: bool,

    /// JSON Lines: one object per record; numbers as numbers, timestamps as
    /// RFC 3339 strings (see -ts), bytes as hex, nested messages as objects.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub json: bool,

    /// Check that every CSV row has as many separators as the header: of
    /// this CSV file, of FILE's CSV output, or of standard input.
    #[arg(long, value_name = "CSV", num_args = 0..=1)]
    pub check: Option<Option<PathBuf>>,

    /// Opens a nested message or list in CSV.
    #[arg(long, value_name = "S", default_value = "(")]
    pub begin: String,

    /// Closes a nested message or list in CSV.
    #[arg(long, value_name = "S", default_value = ")")]
    pub end: String,

    /// Separates the values of a nested message or list in CSV.
    #[arg(long = "struct-sep", value_name = "S", default_value = "-")]
    pub struct_sep: String,
}

enum Mode {
    Csv,
    Json,
    Table,
    Struc,
}

/// Why printing records stopped early.
enum Failure {
    /// The file's contents: a message naming file, record and offset.
    Input(String),
    /// Writing standard output.
    Output(io::Error),
}

pub fn main(args: Vec<OsString>) -> i32 {
    let args = match super::help::parse::<ReadArgs>("netcap read", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let usage = |msg: String| {
        eprintln!("netcap: {msg}");
        EXIT_USAGE
    };
    let sep = if args.tsv {
        b'\t'
    } else {
        match parse_separator(&args.sep) {
            Ok(s) => s,
            Err(e) => return usage(e),
        }
    };
    let modes = [
        ("-fields", args.fields),
        ("-header", args.header),
        ("-check", args.check.is_some()),
        ("-table", args.table),
        ("-struc", args.struc),
        ("-json", args.json),
    ];
    let chosen: Vec<&str> = modes.iter().filter(|m| m.1).map(|m| m.0).collect();
    if chosen.len() > 1 {
        return usage(format!("choose one of {}, not several", chosen.join(", ")));
    }
    let ts = match (args.ts, args.utc) {
        (Some(ts), true) if ts != TsFormat::Rfc3339 => {
            return usage(format!("-utc means -ts rfc3339; it cannot be combined with -ts {}", ts_name(ts)))
        }
        (Some(ts), _) => ts,
        (None, true) => TsFormat::Rfc3339,
        (None, false) if args.json => TsFormat::Rfc3339,
        (None, false) => TsFormat::Seconds,
    };
    let input = match (args.read.clone(), args.file.clone()) {
        (Some(a), Some(b)) if a != b => {
            return usage(format!("two input files given: {} and {}", a.display(), b.display()))
        }
        (a, b) => a.or(b),
    };

    if let Some(check) = &args.check {
        let target = match (check, &input) {
            (Some(c), Some(i)) if c != i => {
                return usage(format!("two inputs given: -check {} and {}", c.display(), i.display()))
            }
            (Some(c), _) => Some(c.clone()),
            (None, i) => i.clone(),
        };
        return run_check(&args, target.as_deref(), sep, ts);
    }

    let Some(path) = input else {
        return usage("nothing to read: give a record file (netcap read FILE, or netcap -r FILE.ncap.gz)".into());
    };
    if !path.exists() {
        return usage(format!("no such file: {}", path.display()));
    }
    if path.is_dir() {
        return usage(directory_message(&path));
    }
    if let Some(format) = capture_format(&path) {
        return usage(format!(
            "{} is a packet capture ({format}), not a record file: decode it with `netcap -r {} -out DIR`, \
             then read DIR/<Type>.ncap.gz",
            path.display(),
            path.display()
        ));
    }
    let mut reader = match RecordReader::open(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("netcap: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    if args.header {
        return finish_output(writeln!(io::stdout().lock(), "{}", header_table(reader.header())));
    }
    let mut renderer = match renderer_for(&args, &reader, ts) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let stdout = io::stdout().lock();
    if args.fields {
        let names: Vec<&str> = renderer.field_names().collect();
        let line = format!("{}\n", names.join(&char::from(sep).to_string()));
        let mut out = stdout;
        return finish_output(out.write_all(line.as_bytes()));
    }
    let mode = if args.json {
        Mode::Json
    } else if args.table {
        Mode::Table
    } else if args.struc {
        Mode::Struc
    } else {
        Mode::Csv
    };
    let result = match mode {
        Mode::Csv => print_records(&mut reader, &mut renderer, &mut CsvSink::new(stdout, sep)),
        Mode::Json => print_records(&mut reader, &mut renderer, &mut JsonSink::new(stdout)),
        Mode::Table => print_records(&mut reader, &mut renderer, &mut TableSink::new(stdout)),
        Mode::Struc => print_records(&mut reader, &mut renderer, &mut StrucSink::new(stdout)),
    };
    match result {
        Ok(()) => 0,
        Err(Failure::Input(msg)) => {
            eprintln!("netcap: {msg}");
            EXIT_BAD_INPUT
        }
        Err(Failure::Output(e)) => finish_output(Err(e)),
    }
}

/// The renderer for the file's record type, with `-select` and the style
/// flags applied; an unknown `-select` name is a usage error.
fn renderer_for(args: &ReadArgs, reader: &RecordReader, ts: TsFormat) -> Result<Renderer, i32> {
    let header = reader.header();
    // RecordReader::open has checked that the type is in the schema.
    let Some(desc) = crate::schema::message(&header.r#type) else {
        eprintln!("netcap: unknown record type {:?}", header.r#type);
        return Err(EXIT_BAD_INPUT);
    };
    let style = Style {
        begin: args.begin.clone(),
        end: args.end.clone(),
        struct_sep: args.struct_sep.clone(),
        ts,
        digits: timestamp_digits(header.timestamp_digits),
    };
    let mut renderer = Renderer::new(&desc, style);
    if let Err(e) = renderer.select(&args.select) {
        eprintln!("netcap: {e}");
        return Err(EXIT_USAGE);
    }
    Ok(renderer)
}

/// Prints every record through `sink`. On malformed contents, everything
/// complete before it is printed (and flushed) first.
fn print_records(reader: &mut RecordReader, r: &mut Renderer, sink: &mut dyn Sink) -> Result<(), Failure> {
    let out = |e: Error| match e {
        Error::Io(e) => Failure::Output(e),
        Error::Data(m) => Failure::Input(m),
    };
    sink.begin(r).map_err(out)?;
    let mut buf = Vec::with_capacity(4096);
    let mut vals = Values::default();
    let failure = loop {
        match reader.next_raw(&mut buf) {
            Ok(true) => {}
            Ok(false) => break None,
            Err(e) => break Some(e.to_string()),
        }
        if let Err(e) = r.decode(&buf, &mut vals) {
            break Some(reader.record_error(e).to_string());
        }
        match sink.record(r, &vals, &buf) {
            Ok(()) => {}
            Err(Error::Data(e)) => break Some(reader.record_error(e).to_string()),
            Err(Error::Io(e)) => return Err(Failure::Output(e)),
        }
    };
    sink.finish(r).map_err(out)?;
    match failure {
        None => Ok(()),
        Some(msg) => Err(Failure::Input(msg)),
    }
}

/// `-check`: of a record file's CSV output, a CSV file, or stdin.
fn run_check(args: &ReadArgs, target: Option<&Path>, sep: u8, ts: TsFormat) -> i32 {
    let color = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let checker = Checker::new(io::stdout().lock(), sep, color);
    let (summary, input_error) = match target {
        Some(path) if !path.exists() => {
            eprintln!("netcap: no such file: {}", path.display());
            return EXIT_USAGE;
        }
        Some(path) if super::is_record_file(path) => {
            let mut reader = match RecordReader::open(path) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("netcap: {e}");
                    return EXIT_BAD_INPUT;
                }
            };
            let mut renderer = match renderer_for(args, &reader, ts) {
                Ok(r) => r,
                Err(code) => return code,
            };
            let mut sink = CsvSink::new(checker, sep);
            let result = print_records(&mut reader, &mut renderer, &mut sink);
            let input_error = match result {
                Ok(()) => None,
                Err(Failure::Input(m)) => Some(m),
                Err(Failure::Output(e)) => return finish_output(Err(e)),
            };
            let checker = match sink.into_inner() {
                Ok(c) => c,
                Err(Error::Io(e)) => return finish_output(Err(e)),
                Err(Error::Data(m)) => return usage_bad(m),
            };
            match checker.finish() {
                Ok((s, _)) => (s, input_error),
                Err(e) => return finish_output(Err(e)),
            }
        }
        Some(path) => {
            let file = match std::fs::File::open(path) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("netcap: cannot read {}: {e}", path.display());
                    return EXIT_BAD_INPUT;
                }
            };
            match check_stream(file, checker) {
                Ok(s) => (s, None),
                Err(e) => return finish_output(Err(e)),
            }
        }
        None => match check_stream(io::stdin().lock(), checker) {
            Ok(s) => (s, None),
            Err(e) => return finish_output(Err(e)),
        },
    };
    let report = match summary.expected {
        None => "no rows to check".to_owned(),
        Some(e) if summary.bad == 0 => format!("ok: {} rows, each with {e} separators like the header", summary.rows),
        Some(e) => {
            format!("{} of {} rows have a wrong number of separators (the header has {e})", summary.bad, summary.rows)
        }
    };
    if let Err(e) = writeln!(io::stdout().lock(), "{report}") {
        return finish_output(Err(e));
    }
    if let Some(m) = input_error {
        eprintln!("netcap: {m}");
        return EXIT_BAD_INPUT;
    }
    if summary.bad > 0 {
        EXIT_BAD_INPUT
    } else {
        0
    }
}

/// What `read DIR` says: read takes one file, so name one that is there,
/// or say that there is none (a capture's output directory before any
/// record was written, or the wrong directory).
fn directory_message(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(crate::compress::is_record_file_name))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    match files.first() {
        Some(first) => format!(
            "{} is a directory: read takes one record file, e.g. {} ({} record files there)",
            dir.display(),
            first.display(),
            files.len()
        ),
        None => format!(
            "{} is a directory and holds no record files (.ncap, .ncap.gz, .ncap.zst): read takes one record \
             file, e.g. DIR/TCP.ncap.gz of a `netcap -r CAPTURE -out DIR` run",
            dir.display()
        ),
    }
}

/// "pcap" or "pcapng" when `path` (plain, gzip- or zstd-compressed) starts
/// like a packet capture, so that `read` can say what to do with it
/// instead of failing on its bytes as records.
fn capture_format(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let file = std::io::BufReader::new(std::fs::File::open(path).ok()?);
    let (mut content, _, _) = crate::compress::decompressed(file).ok()?;
    let mut head = [0u8; 4];
    content.read_exact(&mut head).ok()?;
    match u32::from_le_bytes(head) {
        0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 => Some("pcap"),
        0x0a0d_0d0a => Some("pcapng"),
        _ => None,
    }
}

/// The `-ts` spelling of `ts`, for messages.
fn ts_name(ts: TsFormat) -> String {
    use clap::ValueEnum;
    ts.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
}

fn usage_bad(msg: String) -> i32 {
    eprintln!("netcap: {msg}");
    EXIT_BAD_INPUT
}

fn check_stream<R: io::Read, W: Write>(mut input: R, mut checker: Checker<W>) -> io::Result<Summary> {
    io::copy(&mut input, &mut checker)?;
    Ok(checker.finish()?.0)
}

/// Exit status after writing stdout: a closed pipe (`| head`) is a normal
/// end, any other write error is reported.
fn finish_output(r: io::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("netcap: cannot write output: {e}");
            EXIT_BAD_INPUT
        }
    }
}

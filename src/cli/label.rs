//! `netcap label` / `netlabel`: labels the record files made from a
//! capture with Suricata's alerts and writes `<Type>_labeled.csv`.
//!
//! Exit status: 0 ok, 1 a record file could not be read or written,
//! Suricata failed, or `-strict` found conflicting labels; 2 usage
//! errors, no Suricata on PATH, or an alert log that is not Suricata's.

use super::EXIT_USAGE;
use crate::container::RecordReader;
use crate::label::alerts::{self, Loaded};
use crate::label::index::Index;
use crate::label::{label_file, Fields, LabelError, Level, Options};
use crate::output::csv::parse_separator;
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Parser};
use std::ffi::OsString;
use std::io::{BufReader, BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::Command;

const EXIT_FAIL: i32 = 1;

#[derive(Parser, Debug)]
#[command(
    name = "netcap label",
    version = crate::VERSION,
    about = "Labels the record files made from a capture with Suricata alerts; writes <Type>_labeled.csv per record file",
    after_help = "Go Netcap's single-dash spellings work too: netlabel -r traffic.pcap -out DIR -alerts eve.json -collect.\n\
                  Exit status: 0 ok, 1 unreadable record file, Suricata failure or -strict conflict, 2 usage error or not a Suricata log."
)]
pub struct LabelArgs {
    /// The capture the records were made from.
    #[arg(short = 'r', long = "read", value_name = "PCAP")]
    pub read: Option<PathBuf>,

    /// Directory holding the record files (.ncap/.ncap.gz/.ncap.zst); the CSVs go there too.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,

    /// Suricata's alerts: eve.json (EVE JSON) or fast.log, recognised by content.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,

    /// Run `suricata -r PCAP -l DIR` first (suricata must be on PATH), then label with its alerts.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub suricata: bool,

    /// suricata.yaml for -suricata (passed as -c).
    #[arg(long = "suricata-config", value_name = "FILE")]
    pub suricata_config: Option<PathBuf>,

    /// Time zone of fast.log times: UTC, an offset such as +02:00, or an
    /// IANA zone name with daylight saving such as Europe/Berlin.
    #[arg(long, value_name = "TZ", default_value = "UTC")]
    pub tz: String,

    /// Label with the alert's signature instead of its classification.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub description: bool,

    /// Join every matching label with " | " (sorted, deduplicated) instead of taking the most severe.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub collect: bool,

    /// Fail (exit 1) on a record whose alerts have different labels.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub strict: bool,

    /// Ignore alerts of these classifications (comma-separated).
    #[arg(long, value_name = "CLASSES", value_delimiter = ',')]
    pub exclude: Vec<String>,

    /// Label only flow-level record types (TimestampFirst/TimestampLast); skip packet-level ones.
    #[arg(long = "disable-layers", value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub disable_layers: bool,

    /// CSV field separator: one ASCII character (\t or tab for a tab).
    #[arg(long, value_name = "SEP", default_value = ",")]
    pub sep: String,

    /// A progress indicator per file (only when stderr is a terminal).
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub progress: bool,
}

fn fail(code: i32, msg: impl std::fmt::Display) -> i32 {
    eprintln!("netcap label: {msg}");
    code
}

/// `suricata` on PATH, if any.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

pub fn main(args: Vec<OsString>) -> i32 {
    let args = match super::help::parse::<LabelArgs>("netcap label", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let sep = match parse_separator(&args.sep) {
        Ok(s) => s,
        Err(e) => return fail(EXIT_USAGE, e),
    };
    let tz = match alerts::parse_tz(&args.tz) {
        Ok(t) => t,
        Err(e) => return fail(EXIT_USAGE, e),
    };
    let Some(pcap) = args.read.clone() else {
        return fail(EXIT_USAGE, "give the capture the records were made from: -r PCAP");
    };
    if !args.out.is_dir() {
        return fail(EXIT_USAGE, format!("no such directory: {}", args.out.display()));
    }
    let alerts_path = match (&args.alerts, args.suricata) {
        (Some(_), true) => return fail(EXIT_USAGE, "give either -alerts or -suricata, not both"),
        (None, false) => {
            return fail(EXIT_USAGE, "no alerts: give -alerts eve.json|fast.log, or -suricata to run Suricata")
        }
        (Some(a), false) => a.clone(),
        (None, true) => match run_suricata(&pcap, &args.out, args.suricata_config.as_deref()) {
            Ok(p) => p,
            Err((code, msg)) => return fail(code, msg),
        },
    };

    let loaded = match std::fs::File::open(&alerts_path) {
        Ok(f) => match alerts::load(BufReader::new(f), &tz) {
            Ok(l) => l,
            Err(e) => return fail(EXIT_USAGE, format!("cannot read {}: {e}", alerts_path.display())),
        },
        Err(e) => return fail(EXIT_USAGE, format!("cannot read {}: {e}", alerts_path.display())),
    };
    report_bad_lines(&alerts_path, &loaded);
    if loaded.not_suricata() {
        return fail(
            EXIT_USAGE,
            format!(
                "{} is not a Suricata alert log (EVE JSON or fast.log): none of its {} lines parses",
                alerts_path.display(),
                loaded.lines
            ),
        );
    }
    let total = loaded.alerts.len();
    let exclude: Vec<&str> = args.exclude.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    let kept: Vec<_> = loaded.alerts.into_iter().filter(|a| !exclude.contains(&a.classification.as_str())).collect();
    if kept.len() < total {
        eprintln!("netcap label: {} of {total} alerts excluded by classification", total - kept.len());
    }
    let description = args.description;
    let mut index = Index::new(kept, |a| {
        let text = if description || a.classification.is_empty() { &a.signature } else { &a.classification };
        text.clone()
    });

    let opts = Options { collect: args.collect, strict: args.strict, sep };
    let files = match record_files(&args.out) {
        Ok(f) => f,
        Err(e) => return fail(EXIT_FAIL, format!("cannot list {}: {e}", args.out.display())),
    };
    let capture_name = pcap.file_name().map(|n| n.to_os_string());
    let show_progress = args.progress && std::io::stderr().is_terminal();
    let mut labeled_files = 0;
    let mut from_capture = 0;
    let mut ties = 0;
    let mut status = 0;
    for path in files {
        let mut reader = match RecordReader::open(&path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("netcap label: skipping {e}");
                continue;
            }
        };
        let source = reader.header().input_source.clone();
        if Path::new(&source).file_name().map(|n| n.to_os_string()) != capture_name {
            eprintln!("netcap label: skipping {}: made from {source:?}, not {}", path.display(), pcap.display());
            continue;
        }
        from_capture += 1;
        let type_name = reader.header().r#type.clone();
        let Some(desc) = crate::schema::message(&type_name) else { continue };
        let schema = crate::output::record::Schema::compile(&desc);
        let Some(fields) = Fields::of(schema.root()) else {
            eprintln!("netcap label: skipping {type_name}: no Timestamp or TimestampFirst/TimestampLast field");
            continue;
        };
        if args.disable_layers && matches!(fields.level, Level::Packet(_)) {
            eprintln!("netcap label: -disable-layers: skipping packet-level {type_name}");
            continue;
        }
        let csv_path = args.out.join(format!("{type_name}_labeled.csv"));
        let file = match std::fs::File::create(&csv_path) {
            Ok(f) => f,
            Err(e) => return fail(EXIT_FAIL, format!("cannot create {}: {e}", csv_path.display())),
        };
        let bar = progress_bar(show_progress, &type_name);
        let mut tick = |n: u64| {
            if n % 4096 == 0 {
                bar.set_position(n);
            }
        };
        let result =
            label_file(&mut reader, &fields, &mut index, &opts, BufWriter::with_capacity(1 << 16, file), &mut tick);
        bar.finish_and_clear();
        match result {
            Ok(stats) => {
                labeled_files += 1;
                ties += stats.ties;
                let per: Vec<String> = stats.per_label.iter().map(|(l, n)| format!("{l}: {n}")).collect();
                eprintln!("{type_name}: {} records, {} labeled ({})", stats.records, stats.labeled, per.join(", "));
            }
            Err(e) => {
                let _ = std::fs::remove_file(&csv_path);
                status = EXIT_FAIL;
                eprintln!("netcap label: {e}");
                if matches!(e, LabelError::Conflict(_) | LabelError::Io(_)) {
                    return EXIT_FAIL;
                }
            }
        }
    }
    if from_capture == 0 {
        return fail(EXIT_USAGE, format!("no record files made from {} in {}", pcap.display(), args.out.display()));
    }
    if labeled_files == 0 {
        eprintln!("netcap label: no record file to label (flow-level types only with -disable-layers)");
    }
    if ties > 0 {
        eprintln!("netcap label: {ties} records had equally severe alerts with different labels (took the first in sort order; -collect keeps all)");
    }
    let unmatched: Vec<usize> = (0..index.alerts.len()).filter(|&i| index.hits[i] == 0).collect();
    if !unmatched.is_empty() {
        let lines: Vec<String> = unmatched.iter().take(5).map(|&i| index.alerts[i].line.to_string()).collect();
        eprintln!(
            "netcap label: {} of {} alerts matched no record (lines {}{}); a wrong -tz or another capture's log?",
            unmatched.len(),
            index.alerts.len(),
            lines.join(", "),
            if unmatched.len() > 5 { ", ..." } else { "" }
        );
    }
    status
}

fn report_bad_lines(path: &Path, loaded: &Loaded) {
    for (line, reason) in &loaded.bad_examples {
        eprintln!("netcap label: {} line {line}: {reason}", path.display());
    }
    if loaded.bad_lines > 0 {
        eprintln!("netcap label: skipped {} malformed lines of {}", loaded.bad_lines, path.display());
    }
}

/// Record files (`.ncap`, `.ncap.gz`, `.ncap.zst`) in `dir`, sorted by name.
fn record_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if crate::compress::is_record_file_name(name) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Runs Suricata on the capture, writing its logs into `dir`; returns the
/// alert log to read (eve.json, else fast.log).
fn run_suricata(pcap: &Path, dir: &Path, config: Option<&Path>) -> Result<PathBuf, (i32, String)> {
    let Some(suricata) = find_on_path("suricata") else {
        return Err((
            EXIT_USAGE,
            "-suricata: no suricata on PATH; install Suricata, or run it yourself and pass -alerts eve.json".into(),
        ));
    };
    let mut cmd = Command::new(&suricata);
    if let Some(c) = config {
        cmd.arg("-c").arg(c);
    }
    cmd.arg("-r").arg(pcap).arg("-l").arg(dir);
    let status = cmd.status().map_err(|e| (EXIT_FAIL, format!("cannot run {}: {e}", suricata.display())))?;
    if !status.success() {
        return Err((EXIT_FAIL, format!("{} -r {} failed: {status}", suricata.display(), pcap.display())));
    }
    ["eve.json", "fast.log"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| (EXIT_FAIL, format!("suricata wrote neither eve.json nor fast.log into {}", dir.display())))
}

fn progress_bar(show: bool, name: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}: {pos} records  {per_sec}  {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(name.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

//! `netcap -r traffic.pcap` / `netcap capture -r ...`: capture file to
//! per-type record files.

use super::EXIT_USAGE;
use crate::capture::file::CaptureReader;
use crate::capture::PacketSource;
use crate::compress::{self, Compression};
use crate::decode::EncodeConfig;
use crate::flows::FlowConfig;
use crate::parquet::ParquetSink;
use crate::pipeline::{self, CaptureOptions, Summary};
use crate::registry::{self, ENCODERS};
use crate::sink::{FileSink, RecordSink, RunInfo, TeeSink};
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "netcap",
    version = crate::VERSION,
    about = "Turns packet captures into typed protobuf audit records (<Type>.ncap.gz)",
    after_help = "Go Netcap's single-dash spellings work too: -r, -out, -workers, -comp=false, -comp false.\n\
                  To print record files: netcap -r TCP.ncap.gz [-select ...] or netcap read FILE (see netcap read --help)."
)]
pub struct CaptureArgs {
    #[command(flatten)]
    pub common: PipelineArgs,

    /// Compression of the record files: gzip (.ncap.gz, Go Netcap's),
    /// zstd (.ncap.zst: smaller and faster) or none (.ncap); true/false
    /// mean gzip/none, as in Go Netcap.
    #[arg(long, value_name = "gzip|zstd|none", default_value = "gzip", num_args = 0..=1,
          default_missing_value = "gzip", value_parser = Compression::parse)]
    pub comp: Compression,

    /// Replace the netcap output already in -out (record files, errors and
    /// unknown packets, labeled CSVs) instead of refusing to mix with it.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub overwrite: bool,

    /// Buffer writes; false writes each batch straight to the file.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub buf: bool,

    /// Record file format: ncap (<Type>.ncap.gz, see -comp), parquet
    /// (<Type>.parquet, typed columns for pandas, Polars, DuckDB, Spark)
    /// or both.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = Format::Ncap)]
    pub format: Format,
}

/// What `-format` writes per record type.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ncap,
    Parquet,
    Both,
}

/// The flags of everything that runs the capture pipeline (`netcap -r`,
/// `netcap sensor`): input, filter, encoders, workers.
#[derive(Args, Debug)]
pub struct PipelineArgs {
    /// Capture file to read: pcap or pcapng, optionally gzip- or zstd-compressed.
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Option<PathBuf>,

    /// Capture live from this network interface (needs the `libpcap` feature).
    #[arg(long, value_name = "NAME", conflicts_with = "read")]
    pub iface: Option<String>,

    /// List the capture devices and exit (needs the `libpcap` feature).
    #[arg(long)]
    pub interfaces: bool,

    /// Berkeley Packet Filter expression (tcpdump syntax), live or on files
    /// (needs the `libpcap` feature).
    #[arg(long, value_name = "EXPR")]
    pub bpf: Option<String>,

    /// Put the interface into promiscuous mode (live capture).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub promisc: bool,

    /// Bytes captured per packet (live capture).
    #[arg(long, value_name = "BYTES", default_value_t = 262_144)]
    pub snaplen: i32,

    /// Kernel capture buffer (live capture), as tcpdump's -B: it holds
    /// packets while netcap is busy, so a burst is not dropped. The default,
    /// 32 MiB, holds ~100,000 small packets or about a quarter second of a
    /// saturated 1 Gbit/s link. Units: B, KB/KiB, MB/MiB, GB/GiB (at most 2 GiB).
    #[arg(long = "buffer-size", value_name = "SIZE", default_value = "32MiB", value_parser = parse_buffer_size)]
    pub buffer_size: i32,

    /// Link layer to decode every packet with, when the file or interface
    /// reports a wrong or generic one: ethernet, usb (Linux usbmon), dot11,
    /// radiotap, ppi, fddi, raw, ipv4, ipv6, null, loop, sll, sll2, ppp,
    /// ppp_serial, pppoe, chdlc, frelay, nflog, pktap, ipoib, ipnet,
    /// arcnet_linux, or a LINKTYPE_ number. Not needed when the link type is
    /// right.
    #[arg(long, value_name = "LINK", value_parser = crate::decode::linktype::parse)]
    pub base: Option<u32>,

    /// Output directory (created if absent); what goes there depends on
    /// the command, so each one's help says (cli/help.rs).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,

    /// Decoding workers, 1 to 256 (default: number of cores). Each is a
    /// thread with its own channels: thousands would only exhaust the
    /// system's threads, so more are refused before anything starts.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_WORKERS as u64))]
    pub workers: Option<usize>,

    /// Packets buffered per worker channel.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub pbuf: usize,

    /// Only these record types (comma-separated).
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    pub include: Vec<String>,

    /// All record types but these (comma-separated).
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    pub exclude: Vec<String>,

    /// List the record types (encoders) and exit.
    #[arg(long)]
    pub encoders: bool,

    /// Keep payload bytes in TCP and UDP records.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub payload: bool,

    /// Idle timeout of Flow, LinkFlow, NetworkFlow and TransportFlow records
    /// (packet time), in Go syntax: 90s, 1m30s, 1h30m, 1.5h, 500ms; a bare number
    /// is seconds.
    #[arg(long = "flow-timeout", value_name = "DURATION", default_value = "1m", value_parser = crate::duration::parse_nanos)]
    pub flow_timeout: i64,

    /// Idle timeout of Connection records (packet time).
    #[arg(long = "conn-timeout", value_name = "DURATION", default_value = "5m", value_parser = crate::duration::parse_nanos)]
    pub conn_timeout: i64,

    /// Active timeout of every flow record type: longer conversations are
    /// written in slices of this length (packet time).
    #[arg(long = "active-timeout", value_name = "DURATION", default_value = "30m", value_parser = crate::duration::parse_nanos)]
    pub active_timeout: i64,

    /// Most entries per flow table; when full, the least recently seen
    /// entry is written early (counted in the summary).
    #[arg(long = "max-flows", value_name = "N", default_value_t = FlowConfig::default().max_flows as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_flows: u64,

    /// One memory budget for the stateful stages, as Suricata's memcaps:
    /// the flow tables and TCP reassembly (connections, out-of-order
    /// segments, application decoders) share it; what it forces out early
    /// is counted in the summary. Units: B, KB/KiB, MB/MiB, GB/GiB.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    pub memcap: usize,

    /// Idle timeout of a TCP connection in reassembly (packet time).
    #[arg(long = "stream-timeout", value_name = "DURATION", default_value = "5m", value_parser = crate::duration::parse_nanos)]
    pub stream_timeout: i64,

    /// Most bytes one direction of a TCP connection holds out of order;
    /// past it reassembly moves on past the hole (a gap) and counts it.
    #[arg(long = "stream-buffer", value_name = "SIZE", default_value = "1MiB", value_parser = parse_size)]
    pub stream_buffer: usize,

    /// No progress bar and no summary table.
    #[arg(long, value_name = "BOOL", default_value_t = false, action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub quiet: bool,
}

/// Parses a size: a number with an optional unit (B, KB, MB, GB as powers
/// of 1000; KiB, MiB, GiB as powers of 1024; K, M, G as the binary ones).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown unit {other:?} in size {text:?} (use B, KB, MB, GB, KiB, MiB or GiB)")),
    };
    let value: f64 = number.parse().map_err(|_| format!("not a size: {text:?} (e.g. 512MiB, 2GB)"))?;
    let bytes = value * scale;
    if !bytes.is_finite() || bytes < 1.0 || bytes > (usize::MAX / 2) as f64 {
        return Err(format!("size out of range: {text:?}"));
    }
    Ok(bytes.round() as usize)
}

/// Parses `-buffer-size`: a size libpcap's `int` can hold.
fn parse_buffer_size(text: &str) -> Result<i32, String> {
    let bytes = parse_size(text)?;
    i32::try_from(bytes).map_err(|_| format!("buffer size too large: {text:?} (at most 2 GiB)"))
}

/// Resolves -include/-exclude to encoder indexes, or names the bad one.
pub fn select_encoders(include: &[String], exclude: &[String]) -> Result<Vec<usize>, String> {
    let lookup = |name: &String| {
        registry::find(name.trim()).ok_or_else(|| {
            let all: Vec<&str> = ENCODERS.iter().map(|e| e.name).collect();
            format!("unknown encoder {:?}; available: {}", name.trim(), all.join(", "))
        })
    };
    let included: Vec<usize> = include.iter().filter(|n| !n.trim().is_empty()).map(lookup).collect::<Result<_, _>>()?;
    let excluded: Vec<usize> = exclude.iter().filter(|n| !n.trim().is_empty()).map(lookup).collect::<Result<_, _>>()?;
    Ok((0..ENCODERS.len())
        .filter(|i| included.is_empty() || included.contains(i))
        .filter(|i| !excluded.contains(i))
        .collect())
}

/// The default form, `netcap [OPTIONS]`.
pub fn main(args: Vec<OsString>) -> i32 {
    main_as("netcap", args)
}

/// `netcap capture [OPTIONS]` (`bin_name` "netcap capture") or the
/// default form ("netcap"): the same run, with its own help screen.
pub fn main_as(bin_name: &str, args: Vec<OsString>) -> i32 {
    let args = match parse::<CaptureArgs>(bin_name, args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let (source, opts) = match prepare(&args.common) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if let Err(msg) = claim_output_dir(&args.common.out, args.overwrite) {
        eprintln!("netcap: {msg}");
        return EXIT_USAGE;
    }
    let info = RunInfo { input_source: opts.source_name.clone(), contains_payloads: args.common.payload };
    let ncap = || Box::new(FileSink::new(args.common.out.clone(), args.comp, args.buf, info.clone()));
    let parquet = || Box::new(ParquetSink::new(args.common.out.clone(), opts.encoders.len()));
    let records: Box<dyn RecordSink> = match args.format {
        Format::Ncap => ncap(),
        Format::Parquet => parquet(),
        Format::Both => Box::new(TeeSink { first: ncap(), second: parquet() }),
    };
    match pipeline::run(source, records, &opts) {
        Ok(summary) => {
            for w in &summary.warnings {
                eprintln!("netcap: warning: {w}");
            }
            if !args.common.quiet {
                print_summary(&summary, &opts);
                eprintln!("output in {}", opts.out_dir.display());
            }
            match &summary.write_error {
                Some(e) => {
                    eprintln!("netcap: {e}");
                    1
                }
                None => 0,
            }
        }
        Err(e) => {
            eprintln!("netcap: {e:#}");
            1
        }
    }
}

/// Whether `name` is a file a netcap run or `netcap label` writes.
fn is_netcap_output(name: &str) -> bool {
    compress::is_record_file_name(name)
        || name.ends_with("_labeled.csv")
        || is_parquet_output(name)
        || matches!(name, "errors.log" | "errors.pcap" | "errors.pcapng" | "unknown.pcap" | "unknown.pcapng")
        || name == crate::pipeline::UNKNOWN_TSV
}

/// `<Type>.parquet` of a record type (or its unfinished `.partial`):
/// other Parquet files in the directory are the user's.
fn is_parquet_output(name: &str) -> bool {
    let name = name.strip_suffix(".partial").unwrap_or(name);
    name.strip_suffix(".parquet").is_some_and(|t| registry::find(t).is_some())
}

/// Makes sure a run does not mix its files with an earlier run's: an
/// earlier run's `.ncap`, `.ncap.gz` and `.ncap.zst` of one type would sit side by side
/// (with `-comp` changed), or a type it had and this run has not would stay,
/// and `read`/`label` would take them all. With `overwrite` they are removed
/// first; otherwise the run is refused, naming what is there. Other files
/// are left alone.
fn claim_output_dir(dir: &Path, overwrite: bool) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| e.file_name().to_str().is_some_and(is_netcap_output))
        .map(|e| e.path())
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    found.sort();
    if !overwrite {
        let names: Vec<String> =
            found.iter().take(5).filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
        let more = if found.len() > 5 { format!(" and {} more", found.len() - 5) } else { String::new() };
        return Err(format!(
            "{} already holds netcap output ({}{more}): add -overwrite to replace it, or choose another -out",
            dir.display(),
            names.join(", ")
        ));
    }
    for path in &found {
        std::fs::remove_file(path).map_err(|e| format!("cannot remove {} for -overwrite: {e}", path.display()))?;
    }
    Ok(())
}

/// Most decoding workers `-workers` accepts.
pub const MAX_WORKERS: usize = 256;

/// Parses `args` (without the program name) as `name`'s flags; on
/// `--help`/`--version` or a usage error, prints and returns the exit status.
/// The command is the one help shows (see [`super::help`]).
pub fn parse<P: clap::CommandFactory + clap::FromArgMatches>(name: &str, args: Vec<OsString>) -> Result<P, i32> {
    super::help::parse(name, args)
}

/// What every pipeline command does before running: answers `-encoders`
/// and `-interfaces` (exit 0), resolves the encoders, opens the source and
/// installs the signal handlers. `Err` is the exit status to return.
pub fn prepare(args: &PipelineArgs) -> Result<(Box<dyn PacketSource>, CaptureOptions), i32> {
    if args.encoders {
        for e in ENCODERS {
            println!("+ {}", e.name);
        }
        return Err(0);
    }
    if args.interfaces {
        return Err(list_interfaces());
    }
    if args.out.as_os_str() == "-" {
        eprintln!(
            "netcap: -out -: records go to one file per record type, not to standard output; give a directory \
             (read a file back with `netcap read DIR/<Type>.ncap.gz`)"
        );
        return Err(EXIT_USAGE);
    }
    let encoders = select_encoders(&args.include, &args.exclude).map_err(|msg| {
        eprintln!("netcap: {msg}");
        EXIT_USAGE
    })?;
    let (source, source_name) = open_source(args).map_err(|msg| {
        eprintln!("netcap: {msg}");
        EXIT_USAGE
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    install_signal_handlers(&stop);
    let workers = args.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = CaptureOptions {
        source_name,
        out_dir: args.out.clone(),
        workers,
        packet_buffer: args.pbuf,
        encoders,
        config: EncodeConfig { include_payload: args.payload },
        flows: FlowConfig {
            flow_timeout: args.flow_timeout,
            conn_timeout: args.conn_timeout,
            active_timeout: args.active_timeout,
            max_flows: usize::try_from(args.max_flows).unwrap_or(usize::MAX),
            memcap: args.memcap,
        },
        stream: crate::stream::StreamConfig {
            idle_timeout: args.stream_timeout,
            max_held: args.stream_buffer,
            memcap: args.memcap,
            ..Default::default()
        },
        progress: !args.quiet && std::io::stderr().is_terminal(),
        stop,
    };
    Ok((source, opts))
}

/// SIGINT/SIGTERM set `stop` (the pipeline drains and closes its files);
/// a second one ends the process at once.
pub fn install_signal_handlers(stop: &Arc<AtomicBool>) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        // The conditional shutdown must be registered first: it fires only
        // when `stop` is already set, i.e. on the second signal.
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(stop));
        let _ = signal_hook::flag::register(sig, Arc::clone(stop));
    }
}

/// Prints the end-of-run summary to stderr (see [`super::summary`]).
pub fn print_summary(s: &Summary, opts: &CaptureOptions) {
    eprint!("{}", super::summary::summary_text(s, opts, super::summary::terminal_width()));
}

/// What `-iface`, `-interfaces` and `-bpf` say in a build without libpcap.
pub const NO_LIBPCAP: &str = "this netcap was built without libpcap, which live capture (-iface, -interfaces) and \
-bpf need: install libpcap-dev and rebuild with `cargo build --release --features libpcap`";

/// Opens the capture file or interface, with the BPF filter if any.
/// Errors are usage errors (exit 2): missing file, not a capture, no such
/// interface, no permission, invalid filter.
fn open_source(args: &PipelineArgs) -> Result<(Box<dyn PacketSource>, String), String> {
    let (source, name) = open_input(args)?;
    Ok(match args.base {
        Some(link_type) => (Box::new(crate::capture::ForcedLinkType { inner: source, link_type }), name),
        None => (source, name),
    })
}

/// The capture file or interface as it is, with the BPF filter if any.
fn open_input(args: &PipelineArgs) -> Result<(Box<dyn PacketSource>, String), String> {
    if let Some(iface) = &args.iface {
        return open_live(iface, args);
    }
    let Some(input) = &args.read else {
        return Err("nothing to do: give a capture with -r FILE or an interface with -iface NAME (see --help)".into());
    };
    // `-r -` is standard input, as for tcpdump and tshark.
    let (input, name) = if input.as_os_str() == "-" {
        (Path::new("/dev/stdin"), "stdin".to_string())
    } else {
        (input.as_path(), input.display().to_string())
    };
    if !input.exists() {
        return Err(format!("no such file: {}", input.display()));
    }
    let reader = CaptureReader::open(input).map_err(|e| e.to_string())?;
    match &args.bpf {
        None => Ok((Box::new(reader), name)),
        Some(expr) => filter_file(Box::new(reader), expr).map(|s| (s, name)),
    }
}

#[cfg(feature = "libpcap")]
fn filter_file(reader: Box<CaptureReader>, expr: &str) -> Result<Box<dyn PacketSource>, String> {
    let link = reader.link_type();
    Ok(Box::new(crate::capture::bpf::Filtered::new(reader, expr, link)?))
}

#[cfg(not(feature = "libpcap"))]
fn filter_file(_reader: Box<CaptureReader>, _expr: &str) -> Result<Box<dyn PacketSource>, String> {
    Err(NO_LIBPCAP.into())
}

#[cfg(feature = "libpcap")]
fn open_live(iface: &str, args: &PipelineArgs) -> Result<(Box<dyn PacketSource>, String), String> {
    use crate::capture::live::{LiveCapture, LiveOptions};
    let opts = LiveOptions {
        interface: iface,
        promisc: args.promisc,
        snaplen: args.snaplen,
        buffer_size: args.buffer_size,
        bpf: args.bpf.as_deref(),
    };
    Ok((Box::new(LiveCapture::open(&opts)?), iface.to_string()))
}

#[cfg(not(feature = "libpcap"))]
fn open_live(_iface: &str, _args: &PipelineArgs) -> Result<(Box<dyn PacketSource>, String), String> {
    Err(NO_LIBPCAP.into())
}

#[cfg(feature = "libpcap")]
fn list_interfaces() -> i32 {
    match crate::capture::live::interfaces() {
        Ok(list) => {
            for (name, desc) in list {
                if desc.is_empty() {
                    println!("{name}");
                } else {
                    println!("{name}\t{desc}");
                }
            }
            0
        }
        Err(e) => {
            eprintln!("netcap: cannot list interfaces: {e}");
            EXIT_USAGE
        }
    }
}

#[cfg(not(feature = "libpcap"))]
fn list_interfaces() -> i32 {
    eprintln!("netcap: {NO_LIBPCAP}");
    EXIT_USAGE
}

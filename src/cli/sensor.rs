//! `netcap sensor`: the capture pipeline with its records sent to a
//! `netcap server` in sealed batches (UDP, or NATS JetStream with the
//! `nats` feature) instead of written to files.

use super::capture::{self, PipelineArgs};
use super::EXIT_USAGE;
use crate::collect::sensor::{NetworkSink, SensorConfig, SensorStats, Transport, UdpTransport, DEFAULT_MAX};
use crate::collect::wire::Sealer;
use crate::collect::{self, generate_keypair, hex};
use crate::pipeline;
use crate::sink::RunInfo;
use clap::Parser;
use crypto_box::{PublicKey, SecretKey};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "netcap sensor",
    version = crate::VERSION,
    about = "Captures like netcap -r/-iface and sends the records to a netcap server (sealed batches over UDP or NATS)",
    after_help = "Go Netcap's single-dash spellings work too: -pubkey, -addr, -flush-interval 2s."
)]
pub struct SensorArgs {
    #[command(flatten)]
    pub common: PipelineArgs,

    /// The server's public key file (its pub.key).
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,

    /// The server's address.
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,

    /// This sensor's name: the server's directory for its files
    /// (1-64 of A-Z a-z 0-9 . _ -). Default: the host name.
    #[arg(long, value_name = "NAME")]
    pub id: Option<String>,

    /// Record bytes per batch (before compression); a batch is sent when
    /// the next record would pass it. At most 64000 (one UDP datagram).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX)]
    pub max: usize,

    /// Send a batch at the latest this long after its first record.
    #[arg(long, value_name = "DUR", default_value = "1s", value_parser = crate::duration::parse)]
    pub flush_interval: Duration,

    /// Keep this sensor's key pair in this file (created if absent, mode
    /// 0600); without it a new key pair is made at every start.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    #[cfg(feature = "nats")]
    #[command(flatten)]
    pub nats: super::nats::NatsArgs,

    /// Bytes of sealed batches held while NATS is down; a batch that does
    /// not fit is dropped and counted.
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = capture::parse_size)]
    pub nats_buffer: usize,

    /// How long the sensor keeps trying, at its end, to deliver what it
    /// holds while NATS is down.
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "DUR", default_value = "1m", value_parser = crate::duration::parse)]
    pub nats_timeout: Duration,
}

pub fn main(args: Vec<OsString>) -> i32 {
    let args = match capture::parse::<SensorArgs>("netcap sensor", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let fail = |msg: String| {
        eprintln!("netcap sensor: {msg}");
        EXIT_USAGE
    };
    // -encoders and -interfaces need nothing else.
    let listing = args.common.encoders || args.common.interfaces;
    let setup = if listing {
        None
    } else {
        Some(match setup(&args) {
            Ok(s) => s,
            Err(msg) => return fail(msg),
        })
    };
    let (source, opts) = match capture::prepare(&args.common) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let Some((id, server_public, secret, created)) = setup else { return 0 };
    let (transport, addr, nats_stats) = match transport(&args, &id) {
        Ok(t) => t,
        Err(msg) => return fail(msg),
    };
    let info = RunInfo { input_source: opts.source_name.clone(), contains_payloads: args.common.payload };
    let config = SensorConfig::new(id.clone(), args.max, args.flush_interval, info);
    let run_id = config.run_id;
    let sealer = Sealer::new(&secret, &server_public);
    if !args.common.quiet {
        let how = match (&args.key, created) {
            (Some(p), true) => format!("new key saved in {}", p.display()),
            (Some(p), false) => format!("key from {}", p.display()),
            (None, _) => "key made for this run".to_string(),
        };
        eprintln!(
            "netcap sensor: {id} → {addr}, public key {} ({how}), run {run_id:016x}",
            hex(sealer.sensor_public())
        );
    }
    let sink = match NetworkSink::new(config, sealer, transport) {
        Ok(s) => s,
        Err(e) => return fail(format!("{e:#}")),
    };
    let stats = sink.stats();
    let result = pipeline::run(source, Box::new(sink), &opts);
    let get = SensorStats::get;
    let summary_line = format!(
        "sent {} batches ({} records, {} record bytes, {} datagram bytes) to {addr} as {id}, run {run_id:016x}",
        get(&stats.batches),
        get(&stats.records),
        get(&stats.record_bytes),
        get(&stats.bytes)
    );
    match result {
        Ok(summary) => {
            for w in &summary.warnings {
                eprintln!("netcap sensor: warning: {w}");
            }
            if !args.common.quiet {
                capture::print_summary(&summary, &opts);
            }
            eprintln!("netcap sensor: {summary_line}");
            if let Some(line) = nats_stats.as_ref().map(|f| f()) {
                eprintln!("netcap sensor: {line}");
            }
            if get(&stats.send_errors) > 0 {
                eprintln!("netcap sensor: warning: {} batches could not be sent", get(&stats.send_errors));
            }
            if get(&stats.oversize_records) > 0 {
                eprintln!(
                    "netcap sensor: warning: {} records were larger than a datagram holds and were not sent",
                    get(&stats.oversize_records)
                );
            }
            match &summary.write_error {
                Some(e) => {
                    eprintln!("netcap sensor: {e}");
                    1
                }
                None => 0,
            }
        }
        Err(e) => {
            eprintln!("netcap sensor: {e:#}");
            eprintln!("netcap sensor: {summary_line}");
            1
        }
    }
}

/// The sealed batches' way out: NATS with `-nats`, else UDP to `-addr`.
/// Also says where they go, and (NATS) how to tell its counters.
#[allow(clippy::type_complexity)]
fn transport(
    args: &SensorArgs,
    id: &str,
) -> Result<(Box<dyn Transport>, String, Option<Box<dyn Fn() -> String>>), String> {
    #[cfg(feature = "nats")]
    if let Some(conn) = args.nats.connection(&format!("netcap sensor {id}")) {
        let settings = args.nats.stream()?;
        let t = crate::collect::nats::NatsTransport::connect(&conn, settings, args.nats_buffer, args.nats_timeout)?;
        let s = t.stats();
        let line = move || {
            let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
            format!(
                "NATS: {} batches acknowledged ({} of them resends dropped by deduplication), {} retries, {} dropped",
                get(&s.published),
                get(&s.duplicates),
                get(&s.retries),
                get(&s.dropped)
            )
        };
        return Ok((Box::new(t), conn.url, Some(Box::new(line))));
    }
    let _ = id;
    let addr = args.addr.clone().unwrap_or_default();
    match UdpTransport::connect(&addr) {
        Ok(t) => Ok((Box::new(t), addr, None)),
        Err(e) => Err(format!("cannot reach {addr}: {e}")),
    }
}

/// Checks the flags and loads the keys: (client id, server key, sensor
/// key, whether the sensor key file was created).
fn setup(args: &SensorArgs) -> Result<(String, PublicKey, SecretKey, bool), String> {
    let pubkey = args.pubkey.as_ref().ok_or("give the server's public key with -pubkey FILE")?;
    #[cfg(feature = "nats")]
    let nats = args.nats.nats.is_some();
    #[cfg(not(feature = "nats"))]
    let nats = false;
    if args.addr.is_none() && !nats {
        return Err("give the server's address with -addr HOST:PORT".into());
    }
    let id = match &args.id {
        Some(id) => id.clone(),
        None => default_id(),
    };
    if !collect::valid_client_id(&id) {
        return Err(format!("invalid -id {id:?}: use 1 to 64 of A-Z a-z 0-9 . _ - (not . or ..)"));
    }
    if !(crate::collect::sensor::MIN_MAX..=crate::collect::wire::MAX_BATCH_RECORDS).contains(&args.max) {
        return Err(format!(
            "-max must be between {} and {} bytes (one UDP datagram)",
            crate::collect::sensor::MIN_MAX,
            crate::collect::wire::MAX_BATCH_RECORDS
        ));
    }
    if args.flush_interval.is_zero() {
        return Err("-flush-interval must be above 0".into());
    }
    let server_public = PublicKey::from(collect::read_key_file(pubkey)?);
    let (secret, created) = match &args.key {
        Some(path) => collect::load_or_create_secret(path)?,
        None => (generate_keypair().0, false),
    };
    Ok((id, server_public, secret, created))
}

/// The host name made safe as a client id, or "sensor".
fn default_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let id: String = host
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' { c } else { '_' })
        .take(collect::MAX_CLIENT_ID)
        .collect();
    if collect::valid_client_id(&id) {
        id
    } else {
        "sensor".into()
    }
}

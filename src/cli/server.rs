//! `netcap server`: receives sealed batches from sensors and writes
//! `OUT/<client id>/<Type>.ncap.gz`; `-gen-keypair` makes its keys.

use super::capture;
use super::EXIT_USAGE;
use crate::collect::server::{self, Collector, Files, ServeOptions};
use crate::collect::{self, generate_keypair};
use clap::Parser;
use crypto_box::SecretKey;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "netcap server",
    version = crate::VERSION,
    about = "Collects the records of netcap sensors into OUT/<client id>/<Type>.ncap.gz",
    after_help = "Go Netcap's single-dash spellings work too: -gen-keypair, -privkey, -addr, -out, -allow."
)]
pub struct ServerArgs {
    /// Write a new key pair (pub.key, and priv.key with mode 0600) into -out and exit.
    #[arg(long)]
    pub gen_keypair: bool,

    /// The server's private key file (priv.key).
    #[arg(long, value_name = "FILE")]
    pub privkey: Option<PathBuf>,

    /// Address to listen on (UDP).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:1335")]
    pub addr: String,

    /// Output directory (created if absent); with -gen-keypair, where the keys go.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,

    /// Accept only the sensors whose public keys this file lists: one hex
    /// key per line, optionally followed by the client id that key must
    /// use (`<hex key> <client id>`); `#` starts a comment.
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,

    /// Print a stats line this often (0: only the final one).
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = crate::duration::parse)]
    pub stats_interval: Duration,

    #[cfg(feature = "nats")]
    #[command(flatten)]
    pub nats: super::nats::NatsArgs,

    /// The durable JetStream consumer the servers of one fleet share (each
    /// batch goes to one of them).
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "NAME", default_value = crate::collect::nats::DEFAULT_CONSUMER)]
    pub nats_consumer: String,

    /// How long JetStream waits for a server's acknowledgement before it
    /// hands the batch out again (set when the consumer is created).
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = crate::duration::parse)]
    pub nats_ack_wait: Duration,

    /// Batches taken, written, fsync'd and acknowledged together.
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub nats_batch: usize,
}

pub fn main(args: Vec<OsString>) -> i32 {
    let args = match capture::parse::<ServerArgs>("netcap server", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let fail = |msg: String| {
        eprintln!("netcap server: {msg}");
        EXIT_USAGE
    };
    if args.gen_keypair {
        return match gen_keypair(&args.out) {
            Ok(()) => {
                eprintln!(
                    "netcap server: wrote {} and {}",
                    args.out.join("pub.key").display(),
                    args.out.join("priv.key").display()
                );
                0
            }
            Err(msg) => fail(msg),
        };
    }
    let Some(privkey) = &args.privkey else {
        return fail("give the private key with -privkey FILE (make one with -gen-keypair)".into());
    };
    let secret = match collect::read_key_file(privkey) {
        Ok(k) => SecretKey::from_bytes(k),
        Err(msg) => return fail(msg),
    };
    let allow = match &args.allow {
        Some(path) => match read_allow_file(path) {
            Ok(keys) => Some(keys),
            Err(msg) => return fail(msg),
        },
        None => None,
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(format!("cannot create output directory {}: {e}", args.out.display()));
    }
    #[cfg(feature = "nats")]
    if let Some(conn) = args.nats.connection("netcap server") {
        return nats_main(&args, conn, Collector::with_bindings(secret, allow));
    }
    let socket = match server::bind(&args.addr) {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot listen on {}: {e}", args.addr)),
    };
    let local = socket.local_addr().map_or_else(|_| args.addr.clone(), |a| a.to_string());
    eprintln!(
        "netcap server: listening on {local}, writing to {}, {}",
        args.out.display(),
        match &allow {
            Some(keys) => format!("accepting {} allowed sensor keys", keys.len()),
            None => "accepting any sensor key".to_string(),
        }
    );
    let stop = Arc::new(AtomicBool::new(false));
    capture::install_signal_handlers(&stop);
    let opts = ServeOptions {
        stats_interval: (!args.stats_interval.is_zero()).then_some(args.stats_interval),
        flush_interval: Duration::from_secs(5),
        stop,
        processed: Arc::default(),
    };
    match server::serve(socket, Collector::with_bindings(secret, allow), Files::new(args.out.clone()), &opts) {
        Ok(stats) => i32::from(stats.write_errors > 0),
        Err(e) => {
            eprintln!("netcap server: {e}");
            1
        }
    }
}

/// `netcap server -nats URL`: consumes the stream until SIGINT/SIGTERM.
#[cfg(feature = "nats")]
fn nats_main(args: &ServerArgs, conn: crate::collect::nats::Connection, collector: Collector) -> i32 {
    use crate::collect::nats;
    let stream = match args.nats.stream() {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("netcap server: {msg}");
            return EXIT_USAGE;
        }
    };
    if args.nats_consumer.is_empty()
        || args.nats_consumer.contains(|c: char| c == '.' || c == '*' || c == '>' || c.is_whitespace())
    {
        eprintln!("netcap server: invalid -nats-consumer {:?}: no '.', '*', '>' or spaces", args.nats_consumer);
        return EXIT_USAGE;
    }
    let stop = Arc::new(AtomicBool::new(false));
    capture::install_signal_handlers(&stop);
    let opts = nats::ConsumeOptions {
        conn,
        stream,
        consumer: args.nats_consumer.clone(),
        ack_wait: args.nats_ack_wait,
        batch: args.nats_batch,
        stats_interval: (!args.stats_interval.is_zero()).then_some(args.stats_interval),
        stop,
        fault: nats::Fault::None,
    };
    match nats::consume(&opts, collector, &args.out) {
        Ok(stats) => i32::from(stats.write_errors > 0),
        Err(msg) => {
            eprintln!("netcap server: {msg}");
            1
        }
    }
}

/// Writes DIR/priv.key (0600) and DIR/pub.key; refuses to overwrite.
fn gen_keypair(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (private, public) = (dir.join("priv.key"), dir.join("pub.key"));
    for p in [&private, &public] {
        if p.exists() {
            return Err(format!("{} exists; not overwriting a key", p.display()));
        }
    }
    let (secret, public_key) = generate_keypair();
    collect::write_key_file(&private, &secret.to_bytes(), true)
        .map_err(|e| format!("cannot write {}: {e}", private.display()))?;
    collect::write_key_file(&public, public_key.as_bytes(), false)
        .map_err(|e| format!("cannot write {}: {e}", public.display()))?;
    Ok(())
}

/// A sensor key and, if the allow file binds one, the client id it must use.
pub type AllowEntry = ([u8; 32], Option<String>);

/// One hex public key per line, optionally followed by the client id that
/// key must use (`<hex key> <client id>`; without one, any id); `#`
/// starts a comment; blank lines are skipped.
pub fn read_allow_file(path: &Path) -> Result<Vec<AllowEntry>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read allow file {}: {e}", path.display()))?;
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let at = |e: String| format!("{}:{}: {e}", path.display(), n + 1);
        let mut words = line.split_whitespace();
        let key = collect::parse_hex_key(words.next().unwrap_or("")).map_err(at)?;
        let id = words.next().map(str::to_string);
        if let Some(id) = &id {
            if !collect::valid_client_id(id) {
                return Err(at(format!("invalid client id {id:?}: use 1 to 64 of A-Z a-z 0-9 . _ - (not . or ..)")));
            }
        }
        if let Some(extra) = words.next() {
            return Err(at(format!("unexpected {extra:?}: a line is a key and at most one client id")));
        }
        keys.push((key, id));
    }
    Ok(keys)
}

//! Sensor fleets through NATS JetStream (feature `nats`).
//!
//! The sensor publishes each sealed batch (the same bytes a UDP sensor
//! sends: the bus never sees plaintext) to subject
//! `netcap.<client id>.<Type>` of stream [`DEFAULT_STREAM`], with message id
//! `<first 8 bytes of the sensor key, hex>-<run id, hex>-<Type>-<seq>`: unique
//! per batch and the same at every resend, so JetStream's deduplication
//! window drops resends. It waits for each publish acknowledgement,
//! retries with exponential backoff, and holds a bounded number of bytes
//! while the bus is down (what does not fit is dropped and counted).
//!
//! Servers share one durable pull consumer, so each batch goes to one of
//! them. A server runs the UDP server's checks ([`Collector`]), appends,
//! fsyncs the files and its [`Ledger`], claims the batches in the fleet's
//! [`Claims`] bucket, commits, and only then acknowledges: a server killed
//! at any point loses nothing (unacknowledged batches are redelivered), and
//! no batch is kept twice in the fleet (the ledger makes a redelivered
//! batch a duplicate and cuts files back to what it recorded; a claim
//! decides which of two servers that wrote one batch keeps it). The server
//! that commits a stream's end-of-run batch checks in the bucket that the
//! fleet wrote every batch before it.
//!
//! The client library is async; a small runtime (one worker thread) owned
//! by the transport or the consumer runs it, and the rest of netcap stays
//! synchronous.

use super::claims::{self, Claim, Claims};
use super::ledger::{Ledger, LoggedBatch};
use super::sensor::{BatchMeta, Transport};
use super::server::{Accepted, Collector, Files, Log, Stats};
use super::wire::Reject;
use crate::registry::ENCODERS;
use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The stream's default name.
pub const DEFAULT_STREAM: &str = "NETCAP";
/// The subjects the stream takes: `netcap.<client id>.<Type>`.
pub const SUBJECTS: &str = "netcap.>";
/// Default stream size: 1 GiB; then the oldest batches go (limits retention).
pub const DEFAULT_MAX_BYTES: i64 = 1 << 30;
/// Default deduplication window: resends within it are dropped by JetStream.
pub const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// Default durable consumer name the servers share.
pub const DEFAULT_CONSUMER: &str = "netcap-server";
/// Default bytes a sensor holds while the bus is down.
pub const DEFAULT_BUFFER: usize = 64 << 20;
/// Longest wait between two tries to publish.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Errors logged per kind before they are only counted.
const LOG_ERRORS: u32 = 10;

/// How to reach the NATS servers: URL(s) and the client's TLS and
/// credential options, passed through to the client.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// `nats://host:port`, or several, comma-separated.
    pub url: String,
    /// A `.creds` file (JWT and NKey seed).
    pub creds: Option<PathBuf>,
    /// Root certificate(s) to trust (PEM).
    pub tls_ca: Option<PathBuf>,
    /// Client certificate and key (PEM), for mutual TLS.
    pub tls_cert: Option<(PathBuf, PathBuf)>,
    pub require_tls: bool,
    /// Shown by the server's monitoring.
    pub name: String,
}

/// The stream a sensor or server creates when it is missing, and the
/// settings it changes in an existing one.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    pub name: String,
    pub max_bytes: i64,
    /// Zero: no age limit.
    pub max_age: Duration,
    pub replicas: usize,
    pub duplicate_window: Duration,
    /// Settings asked for explicitly: an existing stream gets them too.
    pub change_existing: StreamChanges,
}

/// Settings of an existing stream to change (None: keep).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamChanges {
    pub max_bytes: Option<i64>,
    pub max_age: Option<Duration>,
    pub replicas: Option<usize>,
    pub duplicate_window: Option<Duration>,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            name: DEFAULT_STREAM.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            max_age: Duration::ZERO,
            replicas: 1,
            duplicate_window: DEFAULT_DUPLICATE_WINDOW,
            change_existing: StreamChanges::default(),
        }
    }
}

/// `netcap.<client id>.<Type>`.
pub fn subject(client_id: &str, type_name: &str) -> String {
    format!("netcap.{client_id}.{type_name}")
}

/// The batch's JetStream message id: the same for every resend of it.
pub fn message_id(meta: &BatchMeta<'_>) -> String {
    let prefix = meta.sensor.get(..8).map(super::hex).unwrap_or_default();
    format!("{prefix}-{:016x}-{}-{}", meta.run_id, meta.type_name, meta.seq)
}

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name("netcap-nats").enable_all().build()
}

async fn connect(c: &Connection, retry_initial: bool) -> Result<async_nats::Client, String> {
    // Reconnects without limit (the default) when the bus goes away.
    let mut o = async_nats::ConnectOptions::new().name(&c.name);
    if retry_initial {
        // The sensor starts even when the bus is down, and buffers.
        o = o.retry_on_initial_connect();
    }
    // async-nats leaves credentials in a URL unused: pass them on.
    match url_credentials(&c.url) {
        Some(UrlCredentials::UserPassword(user, password)) => o = o.user_and_password(user, password),
        Some(UrlCredentials::Token(token)) => o = o.token(token),
        None => {}
    }
    if let Some(path) = &c.creds {
        o = o.credentials_file(path).await.map_err(|e| format!("cannot read credentials {}: {e}", path.display()))?;
    }
    if let Some(ca) = &c.tls_ca {
        o = o.add_root_certificates(ca.clone());
    }
    if let Some((cert, key)) = &c.tls_cert {
        o = o.add_client_certificate(cert.clone(), key.clone());
    }
    if c.require_tls {
        o = o.require_tls(true);
    }
    o.connect(c.url.as_str()).await.map_err(|e| format!("cannot connect to {}: {e}", c.url))
}

/// `0-3,7,9-10`.
fn ranges(numbers: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&first) = numbers.get(i) {
        let mut last = first;
        while numbers.get(i + 1) == Some(&(last + 1)) {
            last += 1;
            i += 1;
        }
        out.push(if first == last { first.to_string() } else { format!("{first}-{last}") });
        i += 1;
    }
    out.join(",")
}

/// Credentials written into a server URL, as the NATS tools take them.
#[derive(Debug, PartialEq, Eq)]
enum UrlCredentials {
    /// `nats://user:password@host`.
    UserPassword(String, String),
    /// `nats://token@host`.
    Token(String),
}

/// The credentials of the first URL of a comma-separated list,
/// percent-decoded (a URL without a scheme is read as `nats://`, as the
/// client does).
fn url_credentials(urls: &str) -> Option<UrlCredentials> {
    let first = urls.split(',').next()?.trim();
    let url = if first.contains("://") { url::Url::parse(first) } else { url::Url::parse(&format!("nats://{first}")) };
    let url = url.ok()?;
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let user = Some(decode(url.username())).filter(|u| !u.is_empty())?;
    Some(match url.password() {
        Some(password) => UrlCredentials::UserPassword(user, decode(password)),
        None => UrlCredentials::Token(user),
    })
}

/// The stream, created with `s` when it is missing; an existing one gets
/// the settings in `s.change_existing` that it does not have yet.
pub async fn ensure_stream(js: &jetstream::Context, s: &StreamSettings) -> Result<stream::Stream, String> {
    let config = stream::Config {
        name: s.name.clone(),
        subjects: vec![SUBJECTS.into()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        max_bytes: s.max_bytes,
        max_age: s.max_age,
        num_replicas: s.replicas,
        duplicate_window: s.duplicate_window,
        ..Default::default()
    };
    let mut stream =
        js.get_or_create_stream(config).await.map_err(|e| format!("cannot get or create stream {}: {e}", s.name))?;
    let old = stream.cached_info().config.clone();
    let mut new = old.clone();
    let c = &s.change_existing;
    new.max_bytes = c.max_bytes.unwrap_or(old.max_bytes);
    new.max_age = c.max_age.unwrap_or(old.max_age);
    new.num_replicas = c.replicas.unwrap_or(old.num_replicas);
    new.duplicate_window = c.duplicate_window.unwrap_or(old.duplicate_window);
    if new != old {
        js.update_stream(&new).await.map_err(|e| format!("cannot change stream {}: {e}", s.name))?;
        stream = js.get_stream(&s.name).await.map_err(|e| format!("cannot get stream {}: {e}", s.name))?;
        let mut changes = Vec::new();
        if new.max_bytes != old.max_bytes {
            changes.push(format!("max bytes {} -> {}", old.max_bytes, new.max_bytes));
        }
        if new.max_age != old.max_age {
            changes.push(format!("max age {:?} -> {:?}", old.max_age, new.max_age));
        }
        if new.num_replicas != old.num_replicas {
            changes.push(format!("replicas {} -> {}", old.num_replicas, new.num_replicas));
        }
        if new.duplicate_window != old.duplicate_window {
            changes.push(format!("duplicate window {:?} -> {:?}", old.duplicate_window, new.duplicate_window));
        }
        eprintln!("netcap: stream {} changed: {}", s.name, changes.join(", "));
    }
    Ok(stream)
}

/// Counters of a [`NatsTransport`].
#[derive(Debug, Default)]
pub struct NatsStats {
    /// Batches the stream acknowledged.
    pub published: AtomicU64,
    /// Of those, ones JetStream took for resends (deduplicated).
    pub duplicates: AtomicU64,
    /// Failed tries (each followed by a wait and another).
    pub retries: AtomicU64,
    /// Batches dropped because the buffer was full, or left when the
    /// final wait ran out.
    pub dropped: AtomicU64,
}

struct Outgoing {
    subject: String,
    id: String,
    payload: Bytes,
}

/// The sensor's [`Transport`] to a JetStream stream.
pub struct NatsTransport {
    rt: tokio::runtime::Runtime,
    js: jetstream::Context,
    settings: StreamSettings,
    url: String,
    stream_ready: bool,
    queue: VecDeque<Outgoing>,
    queued_bytes: usize,
    buffer_limit: usize,
    backoff: Duration,
    retry_at: Option<Instant>,
    ack_timeout: Duration,
    /// How long [`Transport::finish`] keeps trying to deliver.
    finish_timeout: Duration,
    down_reported: bool,
    stats: Arc<NatsStats>,
}

impl NatsTransport {
    /// Connects (in the background when the bus is down: batches are
    /// buffered until it is up).
    pub fn connect(
        conn: &Connection,
        settings: StreamSettings,
        buffer_limit: usize,
        finish_timeout: Duration,
    ) -> Result<Self, String> {
        let rt = runtime().map_err(|e| format!("cannot start the NATS runtime: {e}"))?;
        // The context spawns a task: made inside the runtime.
        let js = rt.block_on(async { connect(conn, true).await.map(jetstream::new) })?;
        Ok(NatsTransport {
            rt,
            js,
            settings,
            url: conn.url.clone(),
            stream_ready: false,
            queue: VecDeque::new(),
            queued_bytes: 0,
            buffer_limit,
            backoff: FIRST_BACKOFF,
            retry_at: None,
            ack_timeout: Duration::from_secs(5),
            finish_timeout,
            down_reported: false,
            stats: Arc::default(),
        })
    }

    pub fn stats(&self) -> Arc<NatsStats> {
        Arc::clone(&self.stats)
    }

    /// Publishes the oldest buffered batch and waits for its acknowledgement.
    fn publish_front(&mut self) -> Result<bool, String> {
        let Some(m) = self.queue.front() else { return Ok(false) };
        // While the client is (re)connecting, fail at once rather than
        // block the pipeline for a whole acknowledgement timeout.
        let state = self.js.client().connection_state();
        if state != async_nats::connection::State::Connected {
            return Err(format!("not connected ({state:?})"));
        }
        let (js, settings, ack_timeout) = (&self.js, &self.settings, self.ack_timeout);
        let stream_ready = self.stream_ready;
        let result = self.rt.block_on(async {
            tokio::time::timeout(ack_timeout, async {
                if !stream_ready {
                    ensure_stream(js, settings).await?;
                }
                let publish = jetstream::message::PublishMessage::build().payload(m.payload.clone()).message_id(&m.id);
                let ack = js.send_publish(m.subject.clone(), publish).await.map_err(|e| format!("publish: {e}"))?;
                ack.await.map_err(|e| format!("acknowledgement: {e}"))
            })
            .await
            .map_err(|_| format!("no acknowledgement within {ack_timeout:?}"))?
        });
        match result {
            Ok(ack) => {
                self.stream_ready = true;
                self.stats.published.fetch_add(1, Ordering::Relaxed);
                if ack.duplicate {
                    self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(m) = self.queue.pop_front() {
                    self.queued_bytes -= m.payload.len();
                }
                Ok(true)
            }
            Err(e) => {
                // Perhaps the stream was deleted: check again next time.
                self.stream_ready = false;
                Err(e)
            }
        }
    }

    /// Publishes what is buffered, oldest first. Without `deadline`, gives
    /// up at the first failure (and waits out the backoff before the next
    /// try); with it, keeps trying until then.
    fn drain(&mut self, deadline: Option<Instant>) -> io::Result<()> {
        if deadline.is_none() && self.retry_at.is_some_and(|t| Instant::now() < t) {
            return Ok(());
        }
        loop {
            match self.publish_front() {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    if self.down_reported {
                        self.down_reported = false;
                        eprintln!(
                            "netcap sensor: NATS at {} is back; delivering {} buffered batches",
                            self.url,
                            self.queue.len()
                        );
                    }
                    self.backoff = FIRST_BACKOFF;
                    self.retry_at = None;
                }
                Err(e) => {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    if !self.down_reported {
                        self.down_reported = true;
                        eprintln!(
                            "netcap sensor: NATS at {} unavailable ({e}); buffering up to {} bytes and retrying",
                            self.url, self.buffer_limit
                        );
                    }
                    let wait = self.backoff;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    match deadline {
                        None => {
                            self.retry_at = Some(Instant::now() + wait);
                            return Ok(());
                        }
                        Some(d) if Instant::now() + wait > d => {
                            let left = self.queue.len() as u64;
                            self.stats.dropped.fetch_add(left, Ordering::Relaxed);
                            return Err(io::Error::other(format!(
                                "{left} batches not delivered to NATS at {} in {:?}: {e}",
                                self.url, self.finish_timeout
                            )));
                        }
                        Some(_) => std::thread::sleep(wait),
                    }
                }
            }
        }
    }
}

impl Transport for NatsTransport {
    fn send(&mut self, _datagram: &[u8]) -> io::Result<()> {
        Err(io::Error::other("a NATS batch needs its subject and message id"))
    }

    fn send_batch(&mut self, meta: &BatchMeta<'_>, datagram: &[u8]) -> io::Result<()> {
        if self.queued_bytes + datagram.len() > self.buffer_limit {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            // Try to make room for the next one.
            let _ = self.drain(None);
            return Err(io::Error::other(format!("NATS buffer of {} bytes full: batch dropped", self.buffer_limit)));
        }
        self.queue.push_back(Outgoing {
            subject: subject(meta.client_id, meta.type_name),
            id: message_id(meta),
            payload: Bytes::copy_from_slice(datagram),
        });
        self.queued_bytes += datagram.len();
        self.drain(None)
    }

    fn finish(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + self.finish_timeout;
        self.drain(Some(deadline))?;
        // Hand the acknowledgements' last bytes out before the runtime goes.
        let client = self.js.client();
        let _ = self.rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), client.flush()).await });
        Ok(())
    }
}

/// What a consuming server does.
pub struct ConsumeOptions {
    pub conn: Connection,
    pub stream: StreamSettings,
    /// The durable consumer's name, shared by the servers of one fleet.
    pub consumer: String,
    /// How long JetStream waits for an acknowledgement before it hands the
    /// batch to a server again.
    pub ack_wait: Duration,
    /// Batches fetched, written, fsync'd and acknowledged together.
    pub batch: usize,
    pub stats_interval: Option<Duration>,
    pub stop: Arc<AtomicBool>,
    /// Fault injection for the tests of the fleet's claims.
    #[doc(hidden)]
    pub fault: Fault,
}

/// A fault [`consume`] plays, once, after it has written and logged a group
/// and before it claims it: the moment where two servers can both have
/// written one batch.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    /// Stop there, claiming and acknowledging nothing (as if killed).
    DieBeforeClaim,
    /// Stop after the claims, committing and acknowledging nothing.
    DieAfterClaim,
    /// Wait that long there (as if stalled past the acknowledgement wait).
    StallBeforeClaim(Duration),
}

/// How a group ended.
#[derive(Debug, PartialEq, Eq)]
enum Group {
    /// Written and committed (or nothing to write): acknowledge it.
    Done,
    /// Stopped before its commit: acknowledge nothing; the next start
    /// cuts it away and releases its claims.
    Stopped,
}

/// The server's state while it consumes.
struct Consumer<'a> {
    rt: &'a tokio::runtime::Runtime,
    claims: &'a Claims,
    collector: Collector,
    files: Files,
    ledger: Ledger,
    log: Log,
    stop: &'a AtomicBool,
    fault: Fault,
    errors: u32,
    /// Ends of (run, type) streams to check against the fleet's claims,
    /// a second after their commit.
    end_checks: VecDeque<EndCheck>,
    /// Streams the first check found incomplete, checked once more after
    /// `end_check_delay`: then the batches still missing are reported.
    end_rechecks: VecDeque<EndCheck>,
    /// How long a recheck waits for batches still in other servers' hands
    /// (two acknowledgement waits: one redelivery).
    end_check_delay: Duration,
}

/// An end-of-run batch this server committed, and when to check that the
/// fleet wrote every batch before it.
struct EndCheck {
    due: Instant,
    client_id: String,
    end: LoggedBatch,
}

/// End-of-run checks waiting at once; past it the oldest is not done (and
/// counted as unchecked).
const MAX_END_CHECKS: usize = 65_536;
/// Batches of an ended stream looked up one by one in the claims bucket;
/// past it, the stream's claims are listed instead.
const MAX_LOOKUPS: usize = 1024;
/// When an ended stream is first checked: the batches just before its end
/// may still be in another server's group.
const END_CHECK_FIRST: Duration = Duration::from_secs(1);

/// The registry index of a record type, by its exact name.
fn type_index(name: &str) -> Option<usize> {
    ENCODERS.iter().position(|e| e.name == name)
}

/// Takes a batch the ledger names as seen (a redelivery of it is then a
/// duplicate).
fn restore(collector: &mut Collector, b: &LoggedBatch) {
    if let Some(t) = type_index(&b.type_name) {
        collector.restore(b.sensor, b.run_id, b.run_started, t, b.seq);
    }
}

/// Consumes the stream into `out` until `stop`; returns the final stats.
/// An error is returned (and nothing more acknowledged) when a record file
/// or the ledger cannot be written: restarted, the server cuts the files
/// back to its ledger and the unacknowledged batches come again.
pub fn consume(opts: &ConsumeOptions, mut collector: Collector, out: &Path) -> Result<Stats, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create output directory {}: {e}", out.display()))?;
    let (ledger, recovered) = Ledger::open(out, |b| restore(&mut collector, &b))?;
    let rt = runtime().map_err(|e| format!("cannot start the NATS runtime: {e}"))?;
    let (client, consumer, claims) = rt.block_on(async {
        let client = connect(&opts.conn, false).await?;
        let js = jetstream::new(client.clone());
        let stream = ensure_stream(&js, &opts.stream).await?;
        let config = consumer::pull::Config {
            durable_name: Some(opts.consumer.clone()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: opts.ack_wait,
            ..Default::default()
        };
        let consumer = stream
            .get_or_create_consumer::<consumer::pull::Config>(&opts.consumer, config)
            .await
            .map_err(|e| format!("cannot get or create consumer {}: {e}", opts.consumer))?;
        let bucket = claims::bucket_name(&opts.stream.name, &opts.consumer);
        let claims = Claims::open(&js, &bucket, opts.stream.replicas, opts.stream.max_age, ledger.owner()).await?;
        Ok::<_, String>((client, consumer, claims))
    })?;
    eprintln!(
        "netcap server: consuming stream {} as {} from {}, writing to {} as server {} (ledger: {} batches, {} files cut back, {} removed)",
        opts.stream.name,
        opts.consumer,
        opts.conn.url,
        out.display(),
        ledger.owner(),
        recovered.batches,
        recovered.files_cut,
        recovered.files_removed
    );
    let mut c = Consumer {
        rt: &rt,
        claims: &claims,
        collector,
        files: Files::with_members(out.to_owned()),
        ledger,
        log: Log::default(),
        stop: &opts.stop,
        fault: opts.fault,
        errors: 0,
        end_checks: VecDeque::new(),
        end_rechecks: VecDeque::new(),
        end_check_delay: opts.ack_wait.saturating_mul(2).saturating_add(Duration::from_secs(1)),
    };
    c.finish_last_run(recovered.tail, &recovered.aborted)?;
    let mut last_stats = Instant::now();
    let batch = opts.batch.max(1);
    let result = loop {
        if opts.stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        let fetched = rt.block_on(async {
            let mut messages = consumer
                .batch()
                .max_messages(batch)
                .expires(Duration::from_millis(500))
                .messages()
                .await
                .map_err(|e| e.to_string())?;
            let mut got = Vec::with_capacity(batch);
            while let Some(m) = messages.next().await {
                got.push(m.map_err(|e| e.to_string())?);
            }
            Ok::<_, String>(got)
        });
        let messages = match fetched {
            Ok(m) => m,
            Err(e) => {
                c.error(&format!("cannot fetch from NATS: {e}"));
                std::thread::sleep(Duration::from_millis(200));
                Vec::new()
            }
        };
        match c.handle_group(&messages) {
            Ok(Group::Done) => {}
            Ok(Group::Stopped) => break Ok(()),
            Err(e) => break Err(e),
        }
        for m in &messages {
            if let Err(e) = rt.block_on(m.ack()) {
                c.error(&format!("cannot acknowledge a batch (it will come again): {e}"));
            }
        }
        if !messages.is_empty() {
            // The acknowledgements leave now, not at some later write.
            let _ = rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), client.flush()).await });
        }
        c.run_end_checks(false);
        if opts.stats_interval.is_some_and(|i| last_stats.elapsed() >= i) {
            last_stats = Instant::now();
            eprintln!("netcap server: stats: {}", c.collector.stats.line());
        }
    };
    c.run_end_checks(true);
    let mut collector = c.collector;
    for (path, e) in c.files.finish() {
        collector.stats.write_errors += 1;
        eprintln!("netcap server: cannot complete {}: {e}", path.display());
    }
    eprintln!("netcap server: final: {}", collector.stats.line());
    result.map(|()| collector.stats)
}

impl Consumer<'_> {
    /// Finishes what the last run died in the middle of (see
    /// [`Recovered`](super::ledger::Recovered)): releases the claims of the
    /// groups it aborted, and claims the group it had written whole,
    /// keeping it if all of it is this server's.
    fn finish_last_run(&mut self, tail: Vec<LoggedBatch>, aborted: &[LoggedBatch]) -> Result<(), String> {
        let stopped = || "stopped while finishing the last run's group".to_string();
        if !self.release_all(aborted) {
            return Err(stopped());
        }
        if tail.is_empty() {
            return Ok(());
        }
        let owners = self.claim_all(&tail).ok_or_else(stopped)?;
        if owners.iter().all(|o| *o == Claim::Ours) {
            self.ledger.commit().map_err(|e| format!("cannot write the ledger: {e}"))?;
            for b in &tail {
                restore(&mut self.collector, b);
            }
            eprintln!("netcap server: kept the last run's unfinished group of {} batches", tail.len());
            return Ok(());
        }
        self.ledger.abort().map_err(|e| format!("cannot cut the last run's unfinished group back: {e}"))?;
        let ours: Vec<LoggedBatch> =
            tail.into_iter().zip(&owners).filter(|(_, o)| **o == Claim::Ours).map(|(b, _)| b).collect();
        if !self.release_all(&ours) {
            return Err(stopped());
        }
        eprintln!(
            "netcap server: dropped the last run's unfinished group of {} batches ({} written by another server)",
            owners.len(),
            owners.len() - ours.len()
        );
        Ok(())
    }

    fn schedule_end_check(&mut self, client_id: &str, end: &LoggedBatch) {
        if self.end_checks.len() + self.end_rechecks.len() >= MAX_END_CHECKS {
            self.end_checks.pop_front();
            self.collector.stats.fleet_unchecked += 1;
        }
        let due = Instant::now() + END_CHECK_FIRST;
        self.end_checks.push_back(EndCheck { due, client_id: client_id.to_string(), end: end.clone() });
    }

    /// Checks the ended streams that are due: a batch before a stream's end
    /// that no server of the fleet claimed, and still none after two
    /// acknowledgement waits, was lost on the way. When `stopping`, first
    /// checks are done at once (an incomplete one is then unchecked, as is
    /// every recheck not due yet).
    fn run_end_checks(&mut self, stopping: bool) {
        let now = Instant::now();
        while let Some(check) = self.end_checks.front() {
            if check.due > now && !stopping {
                break;
            }
            let Some(mut check) = self.end_checks.pop_front() else { break };
            match self.check_end(&check, false) {
                Some(_) if stopping => self.collector.stats.fleet_unchecked += 1,
                Some(_) => {
                    check.due = now + self.end_check_delay;
                    self.end_rechecks.push_back(check);
                }
                None => {}
            }
        }
        while let Some(check) = self.end_rechecks.front() {
            if check.due > now {
                break;
            }
            let Some(check) = self.end_rechecks.pop_front() else { break };
            let _ = self.check_end(&check, true);
        }
        if stopping && !self.end_rechecks.is_empty() {
            let left = self.end_rechecks.len() as u64;
            self.collector.stats.fleet_unchecked += left;
            self.end_rechecks.clear();
            eprintln!(
                "netcap server: {left} ended streams with batches not yet written anywhere left unchecked: stopped before their time"
            );
        }
    }

    /// Lists what the fleet has not written of `check`'s stream; counts a
    /// complete stream, and with `last`, reports and counts what is missing.
    /// Some(missing) when that is not empty.
    fn check_end(&mut self, check: &EndCheck, last: bool) -> Option<Vec<u64>> {
        let e = &check.end;
        // Only what this server did not write itself needs the bucket.
        let result = match type_index(&e.type_name).and_then(|t| self.collector.unseen(&e.sensor, e.run_id, t, e.seq)) {
            Some(unseen) if unseen.is_empty() => Ok(Some(unseen)),
            Some(unseen) if unseen.len() <= MAX_LOOKUPS => {
                self.rt.block_on(self.claims.unclaimed(e, &unseen)).map(Some)
            }
            _ => self.rt.block_on(self.claims.missing_before(e)),
        };
        let stream = || {
            format!(
                "{} {} (sensor {}…, run {:016x})",
                check.client_id,
                e.type_name,
                super::hex(e.sensor.get(..4).unwrap_or_default()),
                e.run_id
            )
        };
        match result {
            Ok(Some(missing)) if missing.is_empty() => {
                self.collector.stats.fleet_complete += 1;
                None
            }
            Ok(Some(missing)) if !last => Some(missing),
            Ok(Some(missing)) => {
                self.collector.stats.fleet_missing += missing.len() as u64;
                self.error(&format!(
                    "fleet: {} ended at batch {} with {} batches no server wrote: {}",
                    stream(),
                    e.seq,
                    missing.len(),
                    ranges(&missing)
                ));
                None
            }
            Ok(None) => {
                self.collector.stats.fleet_unchecked += 1;
                self.error(&format!("fleet: {} is too long ({} batches) to check", stream(), e.seq));
                None
            }
            Err(err) => {
                self.collector.stats.fleet_unchecked += 1;
                self.error(&format!("fleet: cannot check {}: {err}", stream()));
                None
            }
        }
    }

    fn error(&mut self, what: &str) {
        if self.errors < LOG_ERRORS {
            self.errors += 1;
            eprintln!("netcap server: {what}");
        }
    }

    /// Checks and writes a group of messages, fsyncs the files and the
    /// ledger, claims the group's batches in the fleet's bucket and
    /// commits it: afterwards every message of the group may be
    /// acknowledged. Batches another server claimed first are cut away
    /// again and counted as duplicates.
    fn handle_group(&mut self, messages: &[jetstream::Message]) -> Result<Group, String> {
        let mut written: Vec<(LoggedBatch, Accepted)> = Vec::new();
        for m in messages {
            match self.collector.handle(&m.payload) {
                Ok(a) => {
                    self.log.event(&a);
                    let logged = LoggedBatch {
                        sensor: a.sensor,
                        run_id: a.batch.run_id,
                        run_started: a.batch.run_started,
                        type_name: a.batch.r#type.clone(),
                        seq: a.batch.seq,
                    };
                    written.push((logged, a));
                }
                Err(reason) => self.log.reject(reason, &m.subject),
            }
        }
        // Each round drops at least one batch, so this ends.
        while !written.is_empty() {
            for (_, a) in &written {
                if let Err(e) = self.files.append(a) {
                    self.collector.stats.write_errors += 1;
                    self.log.write_error(a, &e);
                    return Err(format!("cannot write {} records of {}: {e}", a.batch.r#type, a.batch.client_id));
                }
            }
            let ends = self.files.sync().map_err(|e| format!("cannot write record files: {e}"))?;
            let batches: Vec<LoggedBatch> = written.iter().map(|(b, _)| b.clone()).collect();
            self.ledger.write_group(&batches, &ends).map_err(|e| format!("cannot write the ledger: {e}"))?;
            let fault = std::mem::take(&mut self.fault);
            match fault {
                Fault::DieBeforeClaim => return Ok(Group::Stopped),
                Fault::StallBeforeClaim(d) => std::thread::sleep(d),
                Fault::None | Fault::DieAfterClaim => {}
            }
            let Some(owners) = self.claim_all(&batches) else { return Ok(Group::Stopped) };
            if fault == Fault::DieAfterClaim {
                return Ok(Group::Stopped);
            }
            if owners.iter().all(|o| *o == Claim::Ours) {
                self.ledger.commit().map_err(|e| format!("cannot write the ledger: {e}"))?;
                for (end, a) in written.iter().filter(|(_, a)| a.batch.end_of_run) {
                    self.schedule_end_check(&a.batch.client_id, end);
                }
                return Ok(Group::Done);
            }
            // Undo the group, give up its claims, and write again what is ours.
            self.files.forget_open();
            self.ledger.abort().map_err(|e| format!("cannot cut record files back: {e}"))?;
            let ours: Vec<LoggedBatch> =
                batches.iter().zip(&owners).filter(|(_, o)| **o == Claim::Ours).map(|(b, _)| b.clone()).collect();
            if !self.release_all(&ours) {
                return Ok(Group::Stopped);
            }
            let mut theirs = 0u64;
            written = written
                .into_iter()
                .zip(owners)
                .filter_map(|(w, o)| {
                    if o == Claim::Theirs {
                        self.collector.uncount(&w.1);
                        theirs += 1;
                        None
                    } else {
                        Some(w)
                    }
                })
                .collect();
            self.collector.count_dropped(Reject::Duplicate, theirs);
            self.error(&format!("{theirs} batches were written by another server first: dropped here as duplicates"));
        }
        Ok(Group::Done)
    }

    /// Claims every batch (all at once), trying again while the bus is
    /// unreachable. None when told to stop meanwhile.
    fn claim_all(&mut self, batches: &[LoggedBatch]) -> Option<Vec<Claim>> {
        loop {
            let claims = self.claims;
            let result = self.rt.block_on(async {
                match tokio::time::timeout(Duration::from_secs(10), claims.claim_all(batches)).await {
                    Ok(owners) => owners,
                    Err(_) => Err("no answer from the claims bucket in 10 s".to_string()),
                }
            });
            match result {
                Ok(owners) => return Some(owners),
                Err(e) => self.error(&format!("{e} (trying again)")),
            }
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Releases this server's claims of `batches`, trying again while the
    /// bus is unreachable. False when told to stop meanwhile.
    fn release_all(&mut self, batches: &[LoggedBatch]) -> bool {
        for b in batches {
            loop {
                match self.rt.block_on(self.claims.release(b)) {
                    Ok(()) => break,
                    Err(e) => self.error(&format!("{e} (trying again)")),
                }
                if self.stop.load(Ordering::Relaxed) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_batches_print_as_ranges() {
        assert_eq!(ranges(&[0, 1, 2, 3, 7, 9, 10]), "0-3,7,9-10");
        assert_eq!(ranges(&[5]), "5");
        assert_eq!(ranges(&[]), "");
    }

    #[test]
    fn credentials_in_urls_are_found_and_decoded() {
        use UrlCredentials::*;
        let up = |u: &str, p: &str| Some(UserPassword(u.into(), p.into()));
        assert_eq!(url_credentials("nats://netcap:s3cret@bus:4222"), up("netcap", "s3cret"));
        assert_eq!(url_credentials("tls://a%40b:p%3Aw%2F@bus,nats://other:x@bus2"), up("a@b", "p:w/"));
        assert_eq!(url_credentials("nats://t0ken@127.0.0.1"), Some(Token("t0ken".into())));
        assert_eq!(url_credentials("bus:4222"), None);
        assert_eq!(url_credentials("nats://bus:4222/x@y"), None, "an @ after the host is not userinfo");
        assert_eq!(url_credentials("nats://u:%zz%4@h"), up("u", "%zz%4"), "bad escapes are kept");
    }

    #[test]
    fn message_ids_name_sensor_run_type_and_seq() {
        let key = [0xab; 32];
        let meta = BatchMeta { sensor: &key, client_id: "s1", type_name: "TCP", run_id: 0x1234, seq: 7 };
        assert_eq!(message_id(&meta), "abababababababab-0000000000001234-TCP-7");
        assert_eq!(subject("s1", "TCP"), "netcap.s1.TCP");
    }
}

//! The sensor's side: [`NetworkSink`] takes the pipeline's records, cuts
//! them at record boundaries into one batch per record type, and sends a
//! batch as one sealed UDP datagram when the next record would pass
//! `-max` bytes, when its oldest record is `-flush-interval` old, and at
//! the end.

use super::wire::{self, Sealer, MAX_BATCH_RECORDS, MAX_DATAGRAM, MAX_INPUT_SOURCE};
use crate::schema::pb;
use crate::sink::{RecordSink, RunInfo};
use anyhow::{bail, Result};
use std::io;
use std::net::{ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default `-max`: record bytes per batch, before compression.
pub const DEFAULT_MAX: usize = 60_000;
/// Smallest `-max` accepted.
pub const MIN_MAX: usize = 256;

/// What a sealed batch is, for transports that route or deduplicate by
/// it (NATS: subject and message id); the server never trusts it, it
/// reads the same facts from inside the box.
#[derive(Debug, Clone, Copy)]
pub struct BatchMeta<'a> {
    pub sensor: &'a [u8; wire::KEY_LEN],
    pub client_id: &'a str,
    pub type_name: &'a str,
    pub run_id: u64,
    pub seq: u64,
}

/// Where sealed datagrams go: UDP in the sensor, a Vec in tests and benches.
pub trait Transport: Send {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()>;

    /// Sends one sealed batch; transports that need its facts override this.
    fn send_batch(&mut self, _meta: &BatchMeta<'_>, datagram: &[u8]) -> io::Result<()> {
        self.send(datagram)
    }

    /// Called once after the last batch: a transport that buffers delivers
    /// what it still holds (or says why it cannot).
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A UDP socket connected to the server.
pub struct UdpTransport {
    socket: UdpSocket,
}

impl UdpTransport {
    pub fn connect(addr: &str) -> io::Result<Self> {
        let target = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{addr} resolves to no address")))?;
        let local = if target.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
        let socket = UdpSocket::bind(local)?;
        socket.connect(target)?;
        Ok(UdpTransport { socket })
    }
}

impl Transport for UdpTransport {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()> {
        let mut tries = 0;
        loop {
            match self.socket.send(datagram) {
                Ok(_) => return Ok(()),
                // A full send queue: wait a moment rather than lose the batch.
                Err(e) if tries < 200 && (e.kind() == io::ErrorKind::WouldBlock || e.raw_os_error() == Some(105)) => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                // An ICMP error left by an earlier datagram is reported on
                // this call, which then sent nothing: try once more.
                Err(e) if tries == 0 && e.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            tries += 1;
        }
    }
}

/// Collects datagrams in memory (tests, benchmarks).
#[derive(Default, Clone)]
pub struct MemoryTransport {
    pub datagrams: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl Transport for MemoryTransport {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()> {
        self.datagrams.lock().map_err(|_| io::Error::other("poisoned"))?.push(datagram.to_vec());
        Ok(())
    }
}

/// What a sensor run is and how it batches.
#[derive(Debug, Clone)]
pub struct SensorConfig {
    pub client_id: String,
    /// Random per start: tells the server a restarted sensor from a replay.
    pub run_id: u64,
    /// Start time, ns since the epoch.
    pub run_started: i64,
    /// Record bytes per batch (`-max`), at most [`MAX_BATCH_RECORDS`].
    pub max_bytes: usize,
    pub flush_interval: Duration,
    pub info: RunInfo,
}

impl SensorConfig {
    /// A config with a fresh random run id, started now.
    pub fn new(client_id: String, max_bytes: usize, flush_interval: Duration, info: RunInfo) -> Self {
        use crypto_box::aead::rand_core::RngCore;
        SensorConfig {
            client_id,
            run_id: crypto_box::aead::OsRng.next_u64(),
            run_started: crate::sink::now_nanos(),
            max_bytes,
            flush_interval,
            info,
        }
    }
}

/// Counters of a sensor run, readable while it runs and after.
#[derive(Debug, Default)]
pub struct SensorStats {
    pub batches: AtomicU64,
    pub records: AtomicU64,
    /// Bytes of datagrams sent.
    pub bytes: AtomicU64,
    /// Uncompressed record bytes sent.
    pub record_bytes: AtomicU64,
    pub send_errors: AtomicU64,
    /// Records dropped because one alone exceeds what a datagram can hold.
    pub oversize_records: AtomicU64,
}

impl SensorStats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

struct Pending {
    type_name: &'static str,
    digits: u32,
    /// Sequence number of the next batch of this type.
    seq: u64,
    records: Vec<u8>,
    count: u64,
    /// When the oldest record of `records` arrived.
    since: Option<Instant>,
    /// Records of this type taken into batches.
    total: u64,
}

/// The [`RecordSink`] of `netcap sensor`.
pub struct NetworkSink {
    config: SensorConfig,
    sealer: Sealer,
    transport: Box<dyn Transport>,
    pending: Vec<Pending>,
    stats: Arc<SensorStats>,
    /// Send errors are reported on stderr a few times, then only counted.
    errors_reported: u32,
}

impl NetworkSink {
    pub fn new(mut config: SensorConfig, sealer: Sealer, transport: Box<dyn Transport>) -> Result<Self> {
        if !super::valid_client_id(&config.client_id) {
            bail!("invalid client id {:?}: use 1 to 64 of A-Z a-z 0-9 . _ - (not . or ..)", config.client_id);
        }
        if !(MIN_MAX..=MAX_BATCH_RECORDS).contains(&config.max_bytes) {
            bail!("-max must be between {MIN_MAX} and {MAX_BATCH_RECORDS} bytes (one UDP datagram)");
        }
        if config.info.input_source.len() > MAX_INPUT_SOURCE {
            let mut cut = MAX_INPUT_SOURCE;
            while !config.info.input_source.is_char_boundary(cut) {
                cut -= 1;
            }
            config.info.input_source.truncate(cut);
        }
        Ok(NetworkSink { config, sealer, transport, pending: Vec::new(), stats: Arc::default(), errors_reported: 0 })
    }

    pub fn stats(&self) -> Arc<SensorStats> {
        Arc::clone(&self.stats)
    }

    fn slot(&mut self, type_name: &'static str, digits: u32) -> usize {
        match self.pending.iter().position(|p| p.type_name == type_name) {
            Some(i) => i,
            None => {
                self.pending.push(Pending {
                    type_name,
                    digits,
                    seq: 0,
                    records: Vec::with_capacity(self.config.max_bytes),
                    count: 0,
                    since: None,
                    total: 0,
                });
                self.pending.len() - 1
            }
        }
    }

    /// Sends the pending batch of slot `i`, if it has records; with
    /// `end_of_run`, then a batch without records that closes the (run,
    /// type) stream, so the server can tell a lost tail.
    fn send(&mut self, i: usize) {
        self.send_batch(i, false);
    }

    fn send_batch(&mut self, i: usize, end_of_run: bool) {
        let p = &mut self.pending[i];
        if p.count == 0 && !end_of_run {
            return;
        }
        let batch = pb::Batch {
            client_id: self.config.client_id.clone(),
            r#type: p.type_name.to_string(),
            run_id: self.config.run_id,
            run_started: self.config.run_started,
            seq: p.seq,
            records: std::mem::take(&mut p.records),
            count: p.count,
            contains_payloads: self.config.info.contains_payloads,
            timestamp_digits: p.digits,
            input_source: self.config.info.input_source.clone(),
            end_of_run,
        };
        p.seq += 1;
        p.total += p.count;
        p.count = 0;
        p.since = None;
        let plaintext = wire::encode_batch(&batch);
        // Give the buffer back for the next batch.
        let mut records = batch.records;
        let record_bytes = records.len() as u64;
        records.clear();
        self.pending[i].records = records;

        let meta = BatchMeta {
            sensor: self.sealer.sensor_public(),
            client_id: &self.config.client_id,
            type_name: &batch.r#type,
            run_id: batch.run_id,
            seq: batch.seq,
        };
        let result = match self.sealer.seal(&plaintext) {
            Ok(d) if d.len() <= MAX_DATAGRAM => self.transport.send_batch(&meta, &d).map(|()| d.len()),
            Ok(d) => Err(io::Error::other(format!("datagram of {} bytes exceeds the UDP limit", d.len()))),
            Err(_) => Err(io::Error::other("cannot seal batch")),
        };
        match result {
            Ok(len) => {
                self.stats.batches.fetch_add(1, Ordering::Relaxed);
                self.stats.records.fetch_add(batch.count, Ordering::Relaxed);
                self.stats.bytes.fetch_add(len as u64, Ordering::Relaxed);
                self.stats.record_bytes.fetch_add(record_bytes, Ordering::Relaxed);
            }
            Err(e) => {
                self.stats.send_errors.fetch_add(1, Ordering::Relaxed);
                if self.errors_reported < 5 {
                    self.errors_reported += 1;
                    eprintln!("netcap sensor: cannot send a {} batch ({} records): {e}", batch.r#type, batch.count);
                }
            }
        }
    }

    /// Sends every batch whose oldest record has waited `flush_interval`.
    fn send_due(&mut self, now: Instant) {
        for i in 0..self.pending.len() {
            if self.pending[i].since.is_some_and(|t| now.duration_since(t) >= self.config.flush_interval) {
                self.send(i);
            }
        }
    }
}

impl RecordSink for NetworkSink {
    fn write(&mut self, type_name: &'static str, timestamp_digits: u32, records: &[u8], _count: u64) -> Result<()> {
        let max = self.config.max_bytes;
        let i = self.slot(type_name, timestamp_digits);
        if self.pending[i].digits != timestamp_digits {
            // One batch, one resolution.
            self.send(i);
            self.pending[i].digits = timestamp_digits;
        }
        let now = Instant::now();
        let mut rest = records;
        while !rest.is_empty() {
            // Take as many whole records as fit into this batch.
            let room = max.saturating_sub(self.pending[i].records.len());
            let (mut cut, mut n) = (0usize, 0u64);
            while cut < rest.len() {
                let Some(len) = wire::record_len(&rest[cut..]) else {
                    bail!("malformed {type_name} records from the pipeline");
                };
                if cut + len > room {
                    break;
                }
                cut += len;
                n += 1;
            }
            if n == 0 {
                if self.pending[i].count > 0 {
                    self.send(i);
                    continue;
                }
                // A single record larger than -max: alone in its batch if a
                // datagram can hold it, else dropped (and counted).
                let len = wire::record_len(rest).unwrap_or(rest.len());
                if len <= MAX_BATCH_RECORDS {
                    let p = &mut self.pending[i];
                    p.records.extend_from_slice(&rest[..len]);
                    p.count = 1;
                    self.send(i);
                } else {
                    self.stats.oversize_records.fetch_add(1, Ordering::Relaxed);
                }
                rest = &rest[len..];
                continue;
            }
            let p = &mut self.pending[i];
            p.since.get_or_insert(now);
            p.records.extend_from_slice(&rest[..cut]);
            p.count += n;
            rest = &rest[cut..];
            if !rest.is_empty() {
                self.send(i);
            }
        }
        self.send_due(now);
        Ok(())
    }

    fn tick(&mut self) -> Result<()> {
        self.send_due(Instant::now());
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> (Vec<(&'static str, u64)>, Result<()>) {
        for i in 0..self.pending.len() {
            self.send(i);
            self.send_batch(i, true);
        }
        let delivered = self.transport.finish().map_err(|e| anyhow::anyhow!("cannot deliver the last batches: {e}"));
        (self.pending.iter().map(|p| (p.type_name, p.total)).collect(), delivered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::generate_keypair;
    use crate::collect::server::Collector;
    use prost::Message;

    fn sink(max: usize, flush: Duration) -> (NetworkSink, MemoryTransport, Collector) {
        let (server_sk, server_pk) = generate_keypair();
        let (sensor_sk, _) = generate_keypair();
        let info = RunInfo { input_source: "test.pcap".into(), contains_payloads: false };
        let config = SensorConfig::new("s1".into(), max, flush, info);
        let transport = MemoryTransport::default();
        let sink =
            NetworkSink::new(config, Sealer::new(&sensor_sk, &server_pk), Box::new(transport.clone())).expect("sink");
        (sink, transport, Collector::new(server_sk, None))
    }

    fn records(n: usize, size: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| {
                pb::Udp { src_port: i as i32, payload: vec![7; size], ..Default::default() }
                    .encode_length_delimited_to_vec()
            })
            .collect()
    }

    #[test]
    fn batches_cut_at_record_boundaries_and_stay_under_max() {
        let (mut s, t, mut server) = sink(1000, Duration::from_secs(3600));
        let (first, second) = (records(50, 90), records(50, 80));
        s.write("UDP", 6, &first, 50).expect("write");
        s.write("UDP", 6, &second, 50).expect("write");
        let recs = [first, second].concat();
        s.write("TCP", 6, &pb::Tcp::default().encode_length_delimited_to_vec(), 1).expect("write");
        let (counts, result) = Box::new(s).finish();
        result.expect("finish");
        assert_eq!(counts, vec![("UDP", 100), ("TCP", 1)]);
        let datagrams = t.datagrams.lock().expect("lock").clone();
        let mut got = Vec::new();
        for d in &datagrams {
            let a = server.handle(d).expect("accepted");
            assert!(a.batch.records.len() <= 1000);
            if a.batch.r#type == "UDP" {
                got.extend_from_slice(&a.batch.records);
            }
        }
        assert_eq!(got, recs, "every record once, in order");
        assert_eq!(server.stats.gaps, 0);
        assert_eq!(server.stats.ended, 2, "an end-of-run batch per type");
    }

    #[test]
    fn a_record_larger_than_max_travels_alone_and_a_huge_one_is_dropped() {
        let (mut s, t, _) = sink(256, Duration::from_secs(3600));
        let big = records(1, 1000);
        let huge = records(1, 70_000);
        s.write("UDP", 6, &[records(1, 10), big, huge, records(1, 10)].concat(), 4).expect("write");
        let stats = s.stats();
        Box::new(s).finish().1.expect("finish");
        assert_eq!(t.datagrams.lock().expect("lock").len(), 3 + 1, "three batches and the end of the run");
        assert_eq!(SensorStats::get(&stats.oversize_records), 1);
        assert_eq!(SensorStats::get(&stats.records), 3);
    }

    #[test]
    fn a_lost_tail_shows_as_a_gap_before_the_end_of_run() {
        let (mut s, t, mut server) = sink(256, Duration::from_secs(3600));
        s.write("UDP", 6, &records(6, 100), 6).expect("write");
        Box::new(s).finish().1.expect("finish");
        let datagrams = t.datagrams.lock().expect("lock").clone();
        assert_eq!(datagrams.len(), 3 + 1);
        // The last batch of records is lost; the end of the run arrives.
        for d in [&datagrams[0], &datagrams[1], &datagrams[3]] {
            server.handle(d).expect("accepted");
        }
        assert_eq!(server.stats.gaps, 1, "the lost last batch is missing");
        assert_eq!(server.stats.ended, 1);
    }

    #[test]
    fn rare_types_are_flushed_by_time() {
        let (mut s, t, _) = sink(60_000, Duration::from_millis(20));
        s.write("ARP", 6, &records(1, 0), 1).expect("write");
        assert!(t.datagrams.lock().expect("lock").is_empty());
        std::thread::sleep(Duration::from_millis(30));
        s.tick().expect("tick");
        assert_eq!(t.datagrams.lock().expect("lock").len(), 1);
    }
}

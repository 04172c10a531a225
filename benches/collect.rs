//! Load test of one `netcap server` on 127.0.0.1: how many batches and
//! records per second it accepts with 0 gaps.
//!
//! The batches are real: the records of ../shared/bench/base.pcap.gz
//! (24k packets, 92 batches at the default -max of 60000), cut by the
//! sensor's own NetworkSink, then sealed again for 4 sensor keys and as
//! many runs as needed (fresh run ids, so none is a replay). Sealing happens
//! before the clock starts. The sender keeps at most WINDOW datagrams in
//! flight (sent minus handled by the server), so what is measured is the
//! server's rate, not UDP loss from an overrun socket buffer.
//!
//! Bounded: at most NETCAP_LOAD_DATAGRAMS datagrams (default 10000) and
//! at most 15 s of sending, then it stops by itself.
//!
//!     cargo bench --bench collect

use netcap::capture::file::CaptureReader;
use netcap::collect::sensor::{MemoryTransport, NetworkSink, SensorConfig, DEFAULT_MAX};
use netcap::collect::server::{self, Collector, Files, ServeOptions};
use netcap::collect::wire::{self, Sealer};
use netcap::collect::generate_keypair;
use netcap::registry::ENCODERS;
use netcap::decode::EncodeConfig;
use netcap::pipeline::{self, CaptureOptions};
use netcap::schema::pb;
use netcap::sink::RunInfo;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SENSORS: usize = 4;
const WINDOW: u64 = 256;
const MAX_SENDING: Duration = Duration::from_secs(15);

fn main() {
    let capture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/base.pcap.gz");
    let total: usize = std::env::var("NETCAP_LOAD_DATAGRAMS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let work = std::env::temp_dir().join(format!("netcap-bench-collect-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("temp dir");

    // 1. The sensor's batches of base.pcap.gz.
    let (server_secret, server_public) = generate_keypair();
    let (sensor_secret, _) = generate_keypair();
    let transport = MemoryTransport::default();
    let info = RunInfo { input_source: capture.display().to_string(), contains_payloads: false };
    let config = SensorConfig::new("bench".into(), DEFAULT_MAX, Duration::from_secs(3600), info);
    let sink = NetworkSink::new(config, Sealer::new(&sensor_secret, &server_public), Box::new(transport.clone())).expect("sink");
    let opts = CaptureOptions {
        flows: Default::default(),
        stream: Default::default(),
        source_name: capture.display().to_string(),
        out_dir: work.join("sensor"),
        workers: 2,
        packet_buffer: 4096,
        encoders: (0..ENCODERS.len()).collect(),
        config: EncodeConfig { include_payload: false },
        progress: false,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let reader = CaptureReader::open(&capture).expect("base.pcap.gz (../shared/bench) opens");
    pipeline::run(Box::new(reader), Box::new(sink), &opts).expect("pipeline");
    let mut opener = Collector::new(server_secret.clone(), None);
    let base: Vec<pb::Batch> = transport
        .datagrams
        .lock()
        .expect("lock")
        .iter()
        .map(|d| opener.handle(d).expect("own datagram").batch)
        .collect();
    let base_records: u64 = base.iter().map(|b| b.count).sum();

    // 2. Sealed for 4 sensors and fresh runs, before the clock starts.
    let sealers: Vec<Sealer> = (0..SENSORS).map(|_| Sealer::new(&generate_keypair().0, &server_public)).collect();
    let runs = total.div_ceil(base.len());
    let prepare = Instant::now();
    let mut datagrams: Vec<Vec<u8>> = Vec::with_capacity(runs * base.len());
    std::thread::scope(|scope| {
        let halves: Vec<_> = (0..2)
            .map(|half| {
                let (base, sealers) = (&base, &sealers);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for run in (half..runs).step_by(2) {
                        for b in base {
                            let mut b = b.clone();
                            b.client_id = format!("sensor{}", run % SENSORS);
                            b.run_id = run as u64 + 1;
                            b.run_started = run as i64 + 1;
                            out.push((run, sealers[run % SENSORS].seal(&wire::encode_batch(&b)).expect("seal")));
                        }
                    }
                    out
                })
            })
            .collect();
        let mut all: Vec<(usize, Vec<u8>)> = halves.into_iter().flat_map(|h| h.join().expect("sealer thread")).collect();
        // Runs in order, batches of a run in the sensor's order.
        all.sort_by_key(|(run, _)| *run);
        datagrams.extend(all.into_iter().map(|(_, d)| d));
    });
    let bytes: usize = datagrams.iter().map(Vec::len).sum();
    eprintln!(
        "prepared {} datagrams ({} runs x {} batches, {:.1} MB, {:.0} bytes each on average) in {:.1}s",
        datagrams.len(),
        runs,
        base.len(),
        bytes as f64 / 1e6,
        bytes as f64 / datagrams.len() as f64,
        prepare.elapsed().as_secs_f64()
    );

    // 3. One server on 127.0.0.1, as `netcap server` runs it.
    let socket = server::bind("127.0.0.1:0").expect("bind");
    let addr = socket.local_addr().expect("address");
    let stop = Arc::new(AtomicBool::new(false));
    let processed = Arc::new(AtomicU64::new(0));
    let serve_opts =
        ServeOptions { stats_interval: None, flush_interval: Duration::from_secs(5), stop: Arc::clone(&stop), processed: Arc::clone(&processed) };
    let out = work.join("server");
    std::fs::create_dir_all(&out).expect("out");
    let server = std::thread::spawn(move || server::serve(socket, Collector::new(server_secret, None), Files::new(out), &serve_opts));

    // 4. Send, at most WINDOW datagrams ahead of the server.
    let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
    sender.connect(addr).expect("connect");
    let start = Instant::now();
    let mut sent = 0u64;
    for d in &datagrams {
        if start.elapsed() > MAX_SENDING {
            break;
        }
        while sent - processed.load(Ordering::Relaxed) >= WINDOW {
            std::thread::sleep(Duration::from_micros(50));
        }
        sender.send(d).expect("send");
        sent += 1;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while processed.load(Ordering::Relaxed) < sent && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let stats = server.join().expect("server thread").expect("serve");
    let _ = std::fs::remove_dir_all(&work);

    let secs = elapsed.max(1e-9);
    println!(
        "collect load: {} datagrams sent in {:.2}s; server accepted {} batches = {:.0} batches/s, {} records = {:.0} records/s, {:.1} MB/s of records ({:.1} MB/s on the wire); gaps {}, rejected {}",
        sent,
        elapsed,
        stats.batches,
        stats.batches as f64 / secs,
        stats.records,
        stats.records as f64 / secs,
        stats.bytes as f64 / secs / 1e6,
        stats.datagram_bytes as f64 / secs / 1e6,
        stats.gaps,
        stats.rejected_total()
    );
    println!("({} records per base.pcap.gz run of {} batches)", base_records, base.len());
    assert_eq!(stats.gaps, 0, "gaps under load");
    assert_eq!(stats.rejected_total(), 0, "rejections under load: {}", stats.line());
    assert_eq!(stats.batches, sent, "every datagram accepted");
}

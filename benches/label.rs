//! Records per second of `netcap label`: ~1,000,000 synthetic TCP and IPv4
//! records labeled against ~100,000 synthetic alerts (every tenth packet
//! has one), CSV into a discarding writer, one thread (gunzip, framing,
//! decoding, matching and CSV formatting all counted). Index building is
//! timed separately.
//!
//! Run: `cargo bench --bench label` (NETCAP_BENCH_RECORDS and
//! NETCAP_BENCH_ALERTS change the counts).

use netcap::container::{RecordReader, RecordWriter};
use netcap::label::alerts::Alert;
use netcap::label::index::Index;
use netcap::label::{label_file, Fields, Options};
use netcap::output::record::Schema;
use netcap::schema::pb;
use prost::Message;
use std::time::Instant;

const BASE_NS: i64 = 1_600_000_000_000_000_000;

fn ip(i: u64) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

fn main() {
    let n: u64 = std::env::var("NETCAP_BENCH_RECORDS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let alerts_n: u64 = std::env::var("NETCAP_BENCH_ALERTS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let every = (n / alerts_n.max(1)).max(1);
    let dir = std::env::temp_dir().join(format!("netcap-bench-label-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    // Packet k: 37 µs apart, a host pair and ports derived from k.
    let ts = |k: u64| BASE_NS + k as i64 * 37_000 + 123;
    let header = |ty: &str| pb::Header { r#type: ty.into(), version: "bench".into(), input_source: "bench.pcap".into(), timestamp_digits: 6, ..Default::default() };
    let mut tcp =
        RecordWriter::create(&dir, &header("TCP"), netcap::compress::Compression::Gzip, true).expect("create");
    let mut ipv4 =
        RecordWriter::create(&dir, &header("IPv4"), netcap::compress::Compression::Gzip, true).expect("create");
    for k in 0..n {
        let t = pb::Tcp { timestamp: ts(k), src_port: 1024 + (k % 50_000) as i32, dst_port: 443, seq_num: k as u32, window: 512, ..Default::default() };
        tcp.write_raw(&t.encode_length_delimited_to_vec()).expect("write");
        let i = pb::IPv4 { timestamp: ts(k), src_ip: ip(k % 4096), dst_ip: ip(70_000 + k % 97), ttl: 64, protocol: 6, ..Default::default() };
        ipv4.write_raw(&i.encode_length_delimited_to_vec()).expect("write");
    }
    let (tcp_path, ipv4_path) = (tcp.path().to_owned(), ipv4.path().to_owned());
    tcp.finish().expect("finish");
    ipv4.finish().expect("finish");

    let alerts: Vec<Alert> = (0..n)
        .step_by(every as usize)
        .take(alerts_n as usize)
        .map(|k| Alert {
            ts_us: ts(k).div_euclid(1000),
            src_ip: ip(k % 4096).parse().ok(),
            dst_ip: ip(70_000 + k % 97).parse().ok(),
            src_port: Some(1024 + (k % 50_000) as u16),
            dst_port: Some(443),
            proto: "TCP".into(),
            signature: format!("sig {}", k % 13),
            classification: format!("class {}", k % 7),
            severity: 1 + (k % 3) as u32,
            community_id: None,
            flow_id: None,
            line: k as usize + 1,
        })
        .collect();
    let count = alerts.len();
    let start = Instant::now();
    let mut index = Index::new(alerts, |a| a.classification.clone());
    println!("label benchmark: {n} records per type, {count} alerts; index built in {:.1} ms", start.elapsed().as_secs_f64() * 1e3);

    let opts = Options { collect: false, strict: false, sep: b',' };
    for path in [&tcp_path, &ipv4_path] {
        let mut reader = RecordReader::open(path).expect("open");
        let ty = reader.header().r#type.clone();
        let desc = netcap::schema::message(&ty).expect("type");
        let fields = Fields::of(Schema::compile(&desc).root()).expect("fields");
        let start = Instant::now();
        let stats = label_file(&mut reader, &fields, &mut index, &opts, std::io::sink(), &mut |_| {}).expect("label");
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(stats.records, n);
        assert_eq!(stats.labeled, count as u64, "{ty}: every alert's packet is labeled");
        println!("{ty:>5}: {} records in {secs:.2} s = {:.0} records/s ({} labeled)", stats.records, stats.records as f64 / secs, stats.labeled);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

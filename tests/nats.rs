//! End-to-end tests of `netcap sensor -nats` and `netcap server -nats`
//! through a real `nats-server` with JetStream (Debian's), started by the
//! tests on a free port of 127.0.0.1 with file storage in a temp dir:
//! sensors' records reach the servers exactly once (the union of the
//! servers' files equals local `netcap -r` runs as multisets), resends are
//! dropped, bad batches are rejected and counted, and neither a server
//! SIGKILLed mid-run nor a restarted nats-server loses or doubles a record.
//!
//! Without `nats-server` the tests say so and pass, unless `CI` is set:
//! then they fail.
#![cfg(feature = "nats")]

use async_nats::jetstream;
use netcap::collect::nats::{consume, Connection, ConsumeOptions, Fault, NatsTransport, StreamSettings};
use netcap::collect::sensor::{BatchMeta, Transport};
use netcap::collect::server::Collector;
use netcap::collect::wire::Reject;
use netcap::collect::wire::{self, Sealer};
use netcap::collect::{generate_keypair, hex, parse_hex_key, read_key_file};
use netcap::container::RecordReader;
use netcap::schema::pb;
use prost::Message;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

#[path = "common/cli.rs"]
mod cli;
use cli::{run_ok, s, shared, temp_dir, NETCAP};

/// Lines of a child's stderr, read by a thread.
fn line_reader(stderr: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line satisfying `want` (keeping all lines in `seen`).
fn wait_line(
    lines: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    want: impl Fn(&str) -> bool,
    what: &str,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                seen.push(line.clone());
                if want(&line) {
                    return line;
                }
            }
            Err(_) => panic!("no line {what}; got:\n{}", seen.join("\n")),
        }
    }
}

/// A `nats-server -js` child with file storage in `store`.
struct Nats {
    child: Child,
    port: u16,
    store: PathBuf,
}

impl Nats {
    /// None (after saying why) when nats-server is not installed and CI is
    /// not set; with CI set, a missing nats-server fails the test.
    fn start(store: &Path) -> Option<Nats> {
        if Command::new("nats-server").arg("--version").output().is_err() {
            assert!(std::env::var_os("CI").is_none(), "nats-server is not installed (apt-get install nats-server)");
            eprintln!("nats-server is not installed: NATS tests not run (CI would fail here)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        Some(Nats::start_on(store, port))
    }

    fn start_on(store: &Path, port: u16) -> Nats {
        Nats::start_with(store, port, &[])
    }

    fn start_with(store: &Path, port: u16, extra: &[&str]) -> Nats {
        let mut child = Command::new("nats-server")
            .args(["-js", "-sd", s(store), "-a", "127.0.0.1", "-p", &port.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nats-server starts");
        let lines = line_reader(child.stderr.take().expect("stderr"));
        let mut seen = Vec::new();
        wait_line(&lines, &mut seen, |l| l.contains("Server is ready"), "Server is ready from nats-server");
        // Keep draining, so nats-server never blocks on a full pipe.
        std::thread::spawn(move || while lines.recv().is_ok() {});
        Nats { child, port, store: store.to_owned() }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, then a new nats-server on the same port and store.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restart(&mut self) {
        self.kill();
        let again = Nats::start_on(&self.store.clone(), self.port);
        *self = again;
    }

    /// (pending, acknowledgement pending) of the servers' durable consumer.
    fn consumer_backlog(&self) -> (u64, usize) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let client = async_nats::connect(self.url()).await.expect("connect");
            let js = jetstream::new(client);
            let mut consumer: jetstream::consumer::PullConsumer =
                js.get_stream("NETCAP").await.expect("stream").get_consumer("netcap-server").await.expect("consumer");
            let info = consumer.info().await.expect("consumer info");
            (info.num_pending, info.num_ack_pending)
        })
    }

    /// Waits until every batch in the stream has been handed to a server
    /// and acknowledged.
    fn wait_consumed(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let backlog = self.consumer_backlog();
            if backlog == (0, 0) {
                return;
            }
            assert!(Instant::now() < deadline, "the servers did not consume the stream: {backlog:?} left");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `key=value` tokens of a stats line.
fn parse_stats(line: &str) -> HashMap<String, u64> {
    line.split_whitespace()
        .filter_map(|t| {
            let (k, v) = t.trim_matches(|c| c == '(' || c == ')').split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// A `netcap server -nats` child.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(nats: &Nats, privkey: &Path, out: &Path, extra: &[&str]) -> Server {
        let url = nats.url();
        let mut args = vec!["server", "-privkey", s(privkey), "-nats", &url, "-out", s(out), "-stats-interval", "0"];
        args.extend_from_slice(&["-nats-ack-wait", "2s"]);
        args.extend_from_slice(extra);
        let mut child = Command::new(NETCAP).args(&args).stderr(Stdio::piped()).spawn().expect("server starts");
        let lines = line_reader(child.stderr.take().expect("stderr"));
        let mut server = Server { child, lines, seen: Vec::new() };
        wait_line(&server.lines, &mut server.seen, |l| l.contains("consuming stream"), "consuming stream");
        server
    }

    /// SIGTERM; the final stats and everything the server said.
    fn stop(mut self) -> (HashMap<String, u64>, String) {
        let ok = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(ok.success());
        let line = wait_line(&self.lines, &mut self.seen, |l| l.contains("final:"), "final: from the server");
        let status = self.child.wait().expect("server exits");
        assert!(status.success(), "server exit status {status}: {}", self.seen.join("\n"));
        (parse_stats(&line), self.seen.join("\n"))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Records of a `.ncap.gz` file as a multiset of their bytes, and its header.
fn record_multiset(path: &Path) -> (pb::Header, BTreeMap<Vec<u8>, usize>) {
    let mut r = RecordReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    let header = r.header().clone();
    let mut set = BTreeMap::new();
    let mut buf = Vec::new();
    while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        *set.entry(buf.clone()).or_insert(0) += 1;
    }
    (header, set)
}

type Records = BTreeMap<String, (pb::Header, BTreeMap<Vec<u8>, usize>)>;

/// `Type → (header, records)` of every record file in the `dirs`, records
/// added up over them (the union of several servers' outputs).
fn record_files(dirs: &[PathBuf]) -> Records {
    let mut out: Records = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for entry in entries {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
            if let Some(t) = name.strip_suffix(".ncap.gz") {
                let (header, records) = record_multiset(&path);
                let slot = out.entry(t.to_string()).or_insert_with(|| (header, BTreeMap::new()));
                for (r, n) in records {
                    *slot.1.entry(r).or_insert(0) += n;
                }
            }
        }
    }
    out
}

fn keypair_files(dir: &Path) -> (PathBuf, PathBuf) {
    run_ok(&["server", "-gen-keypair", "-out", s(dir)]);
    (dir.join("priv.key"), dir.join("pub.key"))
}

/// The server's key files in `dir/server-keys`, and its public key for
/// sealing batches in the test.
fn server_keypair(dir: &Path) -> (PathBuf, PathBuf, crypto_box::PublicKey) {
    let (private, public) = keypair_files(&dir.join("server-keys"));
    let key = parse_hex_key(&std::fs::read_to_string(&public).expect("pub")).expect("hex");
    (private, public, crypto_box::PublicKey::from(key))
}

/// A capture a sensor sends, and the flags of its run.
struct Capture {
    id: &'static str,
    path: PathBuf,
    extra: &'static [&'static str],
}

fn captures() -> Vec<Capture> {
    let ppp = "pcaps/pcapplusplus/Tests/ExamplesTest/pcap_examples";
    vec![
        Capture { id: "http-espn", path: shared("pcaps/chrissanders-packets/http_espn.pcapng"), extra: &[] },
        Capture { id: "many-protocols", path: shared(&format!("{ppp}/many-protocols.pcap")), extra: &[] },
        Capture { id: "ip-frag", path: shared(&format!("{ppp}/ip-frag.pcap")), extra: &["-payload"] },
        Capture {
            id: "nd.v6",
            path: shared("pcaps/chrissanders-packets/icmpv6_neighbor_solicitation.pcapng"),
            extra: &[],
        },
    ]
}

/// A running `netcap sensor -nats` and its stderr.
struct Sensor {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Sensor {
    fn start(nats_url: &str, server_pub: &Path, key: &Path, c: &Capture, dir: &Path) -> Sensor {
        let errors_dir = dir.join(format!("sensor-{}", c.id));
        let mut args = vec!["sensor", "-pubkey", s(server_pub), "-nats", nats_url, "-r", s(&c.path), "-id", c.id];
        args.extend_from_slice(&["-key", s(key), "-out", s(&errors_dir), "-quiet"]);
        args.extend_from_slice(c.extra);
        let mut child = Command::new(NETCAP).args(&args).stderr(Stdio::piped()).spawn().expect("sensor starts");
        let lines = line_reader(child.stderr.take().expect("stderr"));
        Sensor { child, lines, seen: Vec::new() }
    }

    fn wait_for(&mut self, pattern: &str) {
        wait_line(&self.lines, &mut self.seen, |l| l.contains(pattern), pattern);
    }

    /// Waits for the end; the number of batches it sent.
    fn wait(mut self) -> u64 {
        let status = self.child.wait().expect("sensor ends");
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        let text = self.seen.join("\n");
        assert!(status.success(), "sensor failed: {status}\n{text}");
        let line = text
            .lines()
            .find(|l| l.contains("netcap sensor: sent "))
            .unwrap_or_else(|| panic!("no summary in\n{text}"));
        assert!(text.contains(" 0 dropped"), "{text}");
        line.split_whitespace().nth(3).and_then(|n| n.parse().ok()).expect("batch count")
    }
}

/// Sensor keys made beforehand, and an allow file binding each to its id.
fn sensor_keys(dir: &Path, captures: &[Capture]) -> (Vec<PathBuf>, PathBuf) {
    let mut allow = String::from("# the test sensors, each bound to its client id\n");
    let mut keys = Vec::new();
    for c in captures {
        let (private, public) = keypair_files(&dir.join(format!("keys-{}", c.id)));
        allow.push_str(&format!("{} {}\n", std::fs::read_to_string(&public).expect("pub").trim(), c.id));
        keys.push(private);
    }
    let path = dir.join("allow.txt");
    std::fs::write(&path, allow).expect("allow file");
    (keys, path)
}

/// The four captures published by their sensors (keys bound in an allow
/// file) before any server runs: (captures, allow file, batches sent).
fn publish_captures(nats: &Nats, server_pub: &Path, dir: &Path) -> (Vec<Capture>, PathBuf, u64) {
    let captures = captures();
    let (keys, allow) = sensor_keys(dir, &captures);
    let sensors: Vec<Sensor> =
        captures.iter().zip(&keys).map(|(c, k)| Sensor::start(&nats.url(), server_pub, k, c, dir)).collect();
    let sent = sensors.into_iter().map(Sensor::wait).sum();
    (captures, allow, sent)
}

/// The union of the servers' records per capture equals a local
/// `netcap -r` of it, as multisets: nothing lost, nothing twice. Returns
/// the number of (capture, record type) streams.
fn assert_union_equals_local(dir: &Path, captures: &[Capture], outs: &[PathBuf]) -> u64 {
    let mut streams = 0;
    for c in captures {
        let local = dir.join(format!("local-{}", c.id));
        let mut args = vec!["-r", s(&c.path), "-out", s(&local), "-quiet", "-overwrite"];
        args.extend_from_slice(c.extra);
        run_ok(&args);
        let want = record_files(&[local]);
        let got = record_files(&outs.iter().map(|o| o.join(c.id)).collect::<Vec<_>>());
        assert!(want.len() >= 4, "{}: a capture with several record types", c.id);
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{}: record types", c.id);
        streams += want.len() as u64;
        for (t, (want_header, want_records)) in &want {
            let (got_header, got_records) = &got[t];
            assert_eq!(got_header.contains_payloads, want_header.contains_payloads, "{} {t}", c.id);
            assert_eq!(got_header.timestamp_digits, want_header.timestamp_digits, "{} {t}", c.id);
            assert_eq!(got_header.input_source, want_header.input_source, "{} {t}", c.id);
            let (n, m): (usize, usize) = (want_records.values().sum(), got_records.values().sum());
            assert!(
                got_records == want_records,
                "{} {t}: the servers' {m} records differ from the {n} local ones",
                c.id
            );
        }
    }
    streams
}

#[test]
fn four_sensors_through_jetstream_to_two_servers_deliver_every_record_once() {
    let dir = temp_dir("four");
    let Some(nats) = Nats::start(&dir.join("js")) else { return };
    let (server_priv, server_pub) = keypair_files(&dir.join("server-keys"));
    let captures = captures();
    let (keys, allow) = sensor_keys(&dir, &captures);
    let outs = [dir.join("out-a"), dir.join("out-b")];
    let servers: Vec<Server> = outs
        .iter()
        .map(|o| Server::start(&nats, &server_priv, o, &["-allow", s(&allow), "-nats-batch", "8"]))
        .collect();
    let sensors: Vec<Sensor> =
        captures.iter().zip(&keys).map(|(c, k)| Sensor::start(&nats.url(), &server_pub, k, c, &dir)).collect();
    let sent: u64 = sensors.into_iter().map(Sensor::wait).sum();
    nats.wait_consumed();
    let (mut batches, mut ended, mut complete) = (0, 0, 0);
    for server in servers {
        let (stats, log) = server.stop();
        assert_eq!(stats["rejected"], 0, "{log}");
        assert_eq!(stats["write-errors"], 0, "{log}");
        let fleet = |k: &str| stats.get(k).copied().unwrap_or(0);
        assert_eq!((fleet("fleet-missing"), fleet("fleet-unchecked")), (0, 0), "{log}");
        batches += stats["batches"];
        ended += stats["ended"];
        complete += fleet("fleet-complete");
    }
    assert_eq!(batches, sent, "every batch handled once by one of the servers");
    let streams = assert_union_equals_local(&dir, &captures, &outs);
    assert_eq!(ended, streams, "an end-of-run batch per (sensor, record type)");
    assert_eq!(complete, streams, "each stream found complete across the fleet by the server that ended it");
    let _ = std::fs::remove_dir_all(&dir);
}

fn tcp_record(n: i32) -> Vec<u8> {
    pb::Tcp { src_port: n, dst_port: 80, ..Default::default() }.encode_length_delimited_to_vec()
}

fn batch(client_id: &str, run_id: u64, seq: u64, records: &[Vec<u8>]) -> pb::Batch {
    pb::Batch {
        client_id: client_id.into(),
        r#type: "TCP".into(),
        run_id,
        run_started: 1,
        seq,
        records: records.concat(),
        count: records.len() as u64,
        timestamp_digits: 6,
        input_source: "crafted".into(),
        ..Default::default()
    }
}

/// Publishes `datagram` with the message id `meta` makes.
fn publish(t: &mut NatsTransport, sensor: &[u8; 32], client_id: &str, run_id: u64, seq: u64, datagram: &[u8]) {
    let meta = BatchMeta { sensor, client_id, type_name: "TCP", run_id, seq };
    t.send_batch(&meta, datagram).expect("published");
}

#[test]
fn resends_are_dropped_forged_replayed_wrong_key_and_wrong_client_batches_rejected_and_counted() {
    let dir = temp_dir("bad");
    let Some(nats) = Nats::start(&dir.join("js")) else { return };
    let (server_priv, _, server_public) = server_keypair(&dir);
    let (sensor, sensor_public) = generate_keypair();
    let (other, other_public) = generate_keypair();
    let allow = dir.join("allow.txt");
    let lines = format!(
        "{} good\n{} other # bound to its own id\n",
        hex(sensor_public.as_bytes()),
        hex(other_public.as_bytes())
    );
    std::fs::write(&allow, lines).expect("allow");
    let out = dir.join("out");
    let server = Server::start(&nats, &server_priv, &out, &["-allow", s(&allow)]);
    let conn = Connection { url: nats.url(), name: "test".into(), ..Default::default() };
    let mut t =
        NatsTransport::connect(&conn, StreamSettings::default(), 1 << 20, Duration::from_secs(60)).expect("connect");
    let stats = t.stats();
    let key = *sensor_public.as_bytes();
    let good = Sealer::new(&sensor, &server_public);
    let seal = |sealer: &Sealer, b: &pb::Batch| sealer.seal(&wire::encode_batch(b)).expect("seal");

    // Ten batches, each published twice (the second time sealed anew, as a
    // restarted publish would): JetStream keeps one of each.
    let mut sealed = Vec::new();
    for seq in 0..10u64 {
        let b = batch("good", 42, seq, &[tcp_record(seq as i32), tcp_record(1000)]);
        sealed.push(seal(&good, &b));
        publish(&mut t, &key, "good", 42, seq, &sealed[seq as usize]);
        publish(&mut t, &key, "good", 42, seq, &seal(&good, &b));
    }
    // A replay under another message id gets past JetStream; the server drops it.
    publish(&mut t, &key, "good", 4242, 3, &sealed[3]);
    // Forged: garbage, too short, a key not allowed, sealed for another server.
    let mut noise = key.to_vec();
    noise.extend((0..300u32).map(|i| (i * 17 % 253) as u8));
    publish(&mut t, &key, "good", 1, 100, &noise);
    publish(&mut t, &key, "good", 1, 101, &[0x42; 10]);
    let (stranger, stranger_public) = generate_keypair();
    let from_stranger = seal(&Sealer::new(&stranger, &server_public), &batch("good", 42, 50, &[tcp_record(1)]));
    publish(&mut t, stranger_public.as_bytes(), "good", 1, 102, &from_stranger);
    let (_, another_server) = generate_keypair();
    let misaddressed = seal(&Sealer::new(&sensor, &another_server), &batch("good", 42, 51, &[tcp_record(1)]));
    publish(&mut t, &key, "good", 1, 103, &misaddressed);
    // Wrong client ids: "other"'s key posing as "good", "good"'s key as "evil".
    let posing = seal(&Sealer::new(&other, &server_public), &batch("good", 7, 0, &[tcp_record(666)]));
    publish(&mut t, other_public.as_bytes(), "good", 7, 0, &posing);
    publish(&mut t, &key, "evil", 42, 60, &seal(&good, &batch("evil", 42, 60, &[tcp_record(666)])));
    t.finish().expect("delivered");
    let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(get(&stats.duplicates), 10, "the resends were dropped by JetStream");
    assert_eq!(get(&stats.published), 10 + 10 + 1 + 4 + 2);

    nats.wait_consumed();
    let (stats, log) = server.stop();
    let want =
        [("batches", 10), ("duplicate", 1), ("auth", 2), ("short", 1), ("not-allowed", 1), ("wrong-client-id", 2)];
    for (k, n) in want {
        assert_eq!(stats.get(k).copied().unwrap_or(0), n, "{k}: {log}");
    }
    assert_eq!(stats["rejected"], 7, "{log}");
    let (_, records) = record_multiset(&out.join("good/TCP.ncap.gz"));
    // The reader gives records without their length prefix.
    let body = |n: i32| tcp_record(n)[1..].to_vec();
    let mut want = BTreeMap::new();
    for seq in 0..10 {
        *want.entry(body(seq)).or_insert(0) += 1;
        *want.entry(body(1000)).or_insert(0) += 1;
    }
    assert_eq!(records, want, "each good batch's records once");
    assert!(!out.join("evil").exists() && !out.join("other").exists());

    // A restarted server still knows what it wrote: a replay from before
    // the restart is a duplicate.
    let mut t =
        NatsTransport::connect(&conn, StreamSettings::default(), 1 << 20, Duration::from_secs(60)).expect("connect");
    publish(&mut t, &key, "good", 4243, 5, &sealed[5]);
    t.finish().expect("delivered");
    let server = Server::start(&nats, &server_priv, &out, &["-allow", s(&allow)]);
    nats.wait_consumed();
    let (stats, log) = server.stop();
    assert_eq!((stats["batches"], stats["duplicate"]), (0, 1), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_server_sigkilled_mid_run_and_restarted_loses_and_doubles_nothing() {
    let dir = temp_dir("kill");
    let Some(nats) = Nats::start(&dir.join("js")) else { return };
    let (server_priv, server_pub) = keypair_files(&dir.join("server-keys"));
    // Everything is in the stream before the server starts.
    let (captures, allow, sent) = publish_captures(&nats, &server_pub, &dir);
    let out = dir.join("out");
    let flags = ["-allow", s(&allow), "-nats-batch", "3"];
    let mut server = Server::start(&nats, &server_priv, &out, &flags);
    // Killed once it has written a few groups (the ledger names them).
    let ledger = out.join("@nats.ledger");
    let complete = |prefix: &str| -> Vec<String> {
        let text = std::fs::read_to_string(&ledger).unwrap_or_default();
        text.split_inclusive('\n').filter(|l| l.starts_with(prefix) && l.ends_with('\n')).map(str::to_string).collect()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while complete("B ").len() < 10 {
        assert!(Instant::now() < deadline, "the server wrote nothing");
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill();
    // Batches of groups written whole (a `G` line): committed, or claimed
    // and kept at the restart (there is no other server to claim them).
    let written_before = {
        let (mut whole, mut group) = (0, 0);
        for line in complete("") {
            match line.trim_end() {
                "G" => (whole, group) = (whole + group, 0),
                l if l.starts_with("B ") => group += 1,
                _ => {}
            }
        }
        whole
    };
    assert!((written_before as u64) < sent, "killed mid-run: {written_before} of {sent} batches written");
    eprintln!("server killed after {written_before} of {sent} batches");
    // Whatever the kill interrupted, make it the worst case too: a batch's
    // records in a file after its last recorded end, a file the ledger
    // never named, half a ledger line. The restart must undo all three.
    let last_file =
        complete("F ").last().and_then(|l| l.trim_end().splitn(3, ' ').nth(2).map(str::to_string)).expect("F line");
    let stray = [pb::Tcp { src_port: 4242, ..Default::default() }.encode_length_delimited_to_vec()].concat();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &stray).expect("gzip");
    let member = gz.finish().expect("gzip");
    let mut f = std::fs::OpenOptions::new().append(true).open(out.join(&last_file)).expect("record file");
    std::io::Write::write_all(&mut f, &member).expect("append");
    let client = last_file.split('/').next().expect("client dir");
    std::fs::copy(out.join(&last_file), out.join(client).join("Unnamed.ncap.gz")).expect("unlogged file");
    let mut l = std::fs::OpenOptions::new().append(true).open(&ledger).expect("ledger");
    std::io::Write::write_all(&mut l, b"B 00").expect("torn line");

    let server = Server::start(&nats, &server_priv, &out, &flags);
    // "(ledger: N batches, C files cut back, R removed)": the kill itself
    // may have left more to undo than the damage made above.
    let line = server.seen.iter().find(|l| l.contains("ledger: ")).expect("ledger line");
    let numbers: Vec<u64> = line
        .rsplit("ledger: ")
        .next()
        .unwrap_or("")
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(numbers.first().is_some_and(|&n| n + 3 >= written_before as u64 && n <= written_before as u64), "{line}");
    assert!(numbers.get(1).is_some_and(|&n| n >= 1) && numbers.get(2).is_some_and(|&n| n >= 1), "{line}");
    nats.wait_consumed();
    let (stats, log) = server.stop();
    assert_eq!(stats["write-errors"], 0, "{log}");
    assert_eq!(stats["batches"], sent - written_before as u64, "the rest, once: {log}");
    assert_union_equals_local(&dir, &captures, &[out]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_batch_no_server_wrote_is_reported_at_its_streams_end_across_the_fleet() {
    let dir = temp_dir("tail-loss");
    let Some(nats) = Nats::start(&dir.join("js")) else { return };
    let (server_priv, _, server_public) = server_keypair(&dir);
    let (sensor, sensor_public) = generate_keypair();
    let key = *sensor_public.as_bytes();
    let sealer = Sealer::new(&sensor, &server_public);
    let conn = Connection { url: nats.url(), name: "test".into(), ..Default::default() };
    let mut t =
        NatsTransport::connect(&conn, StreamSettings::default(), 1 << 20, Duration::from_secs(60)).expect("connect");
    // Two servers share the batches of two runs: run 77 lost batch 2 on
    // the way, run 78 lost nothing.
    let outs = [dir.join("out-a"), dir.join("out-b")];
    let servers: Vec<Server> =
        outs.iter().map(|o| Server::start(&nats, &server_priv, o, &["-nats-batch", "1"])).collect();
    for (run, seqs) in [(77u64, &[0u64, 1, 3][..]), (78, &[0, 1, 2, 3][..])] {
        for &seq in seqs {
            let b = batch("good", run, seq, &[tcp_record(seq as i32)]);
            publish(&mut t, &key, "good", run, seq, &sealer.seal(&wire::encode_batch(&b)).expect("seal"));
        }
        let mut end = batch("good", run, 4, &[]);
        end.end_of_run = true;
        publish(&mut t, &key, "good", run, 4, &sealer.seal(&wire::encode_batch(&end)).expect("seal"));
    }
    t.finish().expect("delivered");
    nats.wait_consumed();
    // The second look comes two acknowledgement waits (2 s each) after the first.
    std::thread::sleep(Duration::from_secs(7));
    let (mut complete, mut missing, mut said) = (0, 0, String::new());
    for server in servers {
        let (stats, log) = server.stop();
        let fleet = |k: &str| stats.get(k).copied().unwrap_or(0);
        complete += fleet("fleet-complete");
        missing += fleet("fleet-missing");
        said.push_str(&log);
    }
    assert_eq!((complete, missing), (1, 1), "{said}");
    let sensor_hex = hex(&key[..4]);
    let report = format!("fleet: good TCP (sensor {sensor_hex}…, run 000000000000004d) ended at batch 4 with 1 batches no server wrote: 2");
    assert!(said.contains(&report), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn claims_are_created_once_released_by_their_owner_and_listed_per_stream() {
    use netcap::collect::claims::{Claim, Claims};
    use netcap::collect::ledger::LoggedBatch;
    let dir = temp_dir("claims-api");
    let Some(nats) = Nats::start(&dir.join("js")) else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let js = jetstream::new(async_nats::connect(nats.url()).await.expect("connect"));
        let a = Claims::open(&js, "T_written", 1, Duration::ZERO, "aaaa").await.expect("bucket");
        let b = Claims::open(&js, "T_written", 1, Duration::ZERO, "bbbb").await.expect("same bucket");
        let batch = |run_id: u64, seq: u64| LoggedBatch {
            sensor: [9; 32],
            run_id,
            run_started: 1,
            type_name: "TCP".into(),
            seq,
        };
        let group: Vec<LoggedBatch> = [0, 1, 3, 5].iter().map(|&s| batch(1, s)).collect();
        assert_eq!(a.claim_all(&group).await.expect("claims"), vec![Claim::Ours; 4]);
        assert_eq!(a.claim_all(&group[..2]).await.expect("again"), vec![Claim::Ours; 2], "a's own, still");
        assert_eq!(b.claim_all(&group[1..3]).await.expect("b"), vec![Claim::Theirs; 2]);
        b.release(&group[1]).await.expect("b cannot release a's");
        assert_eq!(b.claim(&group[1]).await.expect("b"), Claim::Theirs);
        a.release(&group[1]).await.expect("a releases its own");
        assert_eq!(b.claim_all(&group[1..2]).await.expect("b"), vec![Claim::Ours], "a released key is free");
        // Another run's claims do not count for this one.
        assert_eq!(a.claim(&batch(2, 2)).await.expect("run 2"), Claim::Ours);
        let end = batch(1, 7);
        assert_eq!(a.missing_before(&end).await.expect("listed"), Some(vec![2, 4, 6]));
        assert_eq!(b.unclaimed(&end, &[1, 2, 3, 4]).await.expect("looked up"), vec![2, 4]);
        assert_eq!(a.missing_before(&batch(1, 1 << 40)).await.expect("too long"), None);
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `consume` in this process (so that it can play a [`Fault`]) on a
/// thread; `stop` ends it.
fn consume_in_thread(
    nats: &Nats,
    server_priv: &Path,
    out: &Path,
    fault: Fault,
) -> (Arc<AtomicBool>, std::thread::JoinHandle<Result<netcap::collect::server::Stats, String>>) {
    let secret = crypto_box::SecretKey::from(read_key_file(server_priv).expect("server key"));
    let stop = Arc::new(AtomicBool::new(false));
    let opts = ConsumeOptions {
        conn: Connection { url: nats.url(), name: "in-test server".into(), ..Default::default() },
        stream: StreamSettings::default(),
        consumer: "netcap-server".into(),
        ack_wait: Duration::from_secs(2),
        batch: 8,
        stats_interval: None,
        stop: Arc::clone(&stop),
        fault,
    };
    let out = out.to_owned();
    (stop, std::thread::spawn(move || consume(&opts, Collector::new(secret, None), &out)))
}

/// Waits until the ledger in `out` holds a group written whole (`G`) after
/// at least `groups` earlier ones.
fn wait_for_groups(out: &Path, groups: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(out.join("@nats.ledger")).unwrap_or_default();
        if text.lines().filter(|l| *l == "G").count() > groups {
            return;
        }
        assert!(Instant::now() < deadline, "no group written in {}", out.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_batch_two_servers_both_wrote_is_kept_once_by_the_server_that_claimed_it() {
    let dir = temp_dir("claims");
    let Some(nats) = Nats::start(&dir.join("js")) else { return };
    let (server_priv, server_pub) = keypair_files(&dir.join("server-keys"));
    let (captures, _, sent) = publish_captures(&nats, &server_pub, &dir);
    assert!(sent > 40, "enough batches for several groups: {sent}");
    let (out_a, out_b) = (dir.join("out-a"), dir.join("out-b"));

    // Server A writes its first group of 8 and claims it, then dies before
    // committing or acknowledging it.
    let (_, a) = consume_in_thread(&nats, &server_priv, &out_a, Fault::DieAfterClaim);
    let first = a.join().expect("server A").expect("server A ends");
    assert_eq!(first.batches, 8);
    // Restarted, A keeps that group (its claims stand), writes the next
    // one and stalls past the acknowledgement wait before claiming it.
    let (stop_a, a) = consume_in_thread(&nats, &server_priv, &out_a, Fault::StallBeforeClaim(Duration::from_secs(6)));
    wait_for_groups(&out_a, 1);
    // Server B gets both groups again once their acknowledgement wait is
    // over: the first is A's (B drops it), the second B claims first (A
    // drops it when it wakes up).
    let b = Server::start(&nats, &server_priv, &out_b, &["-nats-batch", "8"]);
    nats.wait_consumed();
    std::thread::sleep(Duration::from_secs(7));
    nats.wait_consumed();
    stop_a.store(true, Ordering::Relaxed);
    let a_stats = a.join().expect("server A").expect("server A ends");
    let (b_stats, log) = b.stop();
    eprintln!("A: {a_stats:?}\nB: {b_stats:?}");
    assert!(b_stats["duplicate"] >= 8, "B found the first group claimed by A: {log}");
    assert!(a_stats.rejected(Reject::Duplicate) >= 8, "A found its second group claimed by B: {a_stats:?}");
    assert_eq!(
        first.batches + a_stats.batches + b_stats["batches"],
        sent,
        "every batch counted once: {a_stats:?} {log}"
    );
    assert_union_equals_local(&dir, &captures, &[out_a.clone(), out_b.clone()]);

    // A restarted once more has nothing left to finish.
    let (stop_a, a) = consume_in_thread(&nats, &server_priv, &out_a, Fault::None);
    stop_a.store(true, Ordering::Relaxed);
    assert_eq!(a.join().expect("server A").expect("server A ends").batches, 0);
    assert_union_equals_local(&dir, &captures, &[out_a, out_b]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// (max bytes, max age, replicas, duplicate window) of stream NETCAP.
fn stream_limits(nats: &Nats) -> (i64, Duration, usize, Duration) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let js = jetstream::new(async_nats::connect(nats.url()).await.expect("connect"));
        let stream = js.get_stream("NETCAP").await.expect("stream");
        let c = &stream.cached_info().config;
        (c.max_bytes, c.max_age, c.num_replicas, c.duplicate_window)
    })
}

#[test]
fn stream_flags_shape_a_new_stream_and_change_an_existing_one() {
    let dir = temp_dir("flags");
    let Some(nats) = Nats::start(&dir.join("js")) else { return };
    let (server_priv, server_pub) = keypair_files(&dir.join("server-keys"));
    let out = dir.join("out");
    let (_, log) = Server::start(&nats, &server_priv, &out, &[]).stop();
    assert!(!log.contains("changed"), "{log}");
    let minutes = |m: u64| Duration::from_secs(60 * m);
    assert_eq!(stream_limits(&nats), (1 << 30, Duration::ZERO, 1, minutes(2)), "the documented defaults");

    // Flags given change the existing stream; the others stay as they are.
    let flags = ["-nats-max-bytes", "64MiB", "-nats-dup-window", "30s"];
    let (_, log) = Server::start(&nats, &server_priv, &out, &flags).stop();
    assert!(
        log.contains("stream NETCAP changed: max bytes 1073741824 -> 67108864, duplicate window 120s -> 30s"),
        "{log}"
    );
    assert_eq!(stream_limits(&nats), (64 << 20, Duration::ZERO, 1, Duration::from_secs(30)));
    // Given again with the same values: nothing to change.
    let (_, log) = Server::start(&nats, &server_priv, &out, &flags).stop();
    assert!(!log.contains("changed"), "{log}");

    // A sensor's flags too.
    let (sensor_key, _) = keypair_files(&dir.join("sensor-keys"));
    let c = captures().pop().expect("a capture");
    let errors = dir.join("sensor-out");
    let args = ["sensor", "-pubkey", s(&server_pub), "-nats", &nats.url(), "-r", s(&c.path), "-id", c.id];
    let output =
        run_ok(&[&args[..], &["-key", s(&sensor_key), "-out", s(&errors), "-quiet", "-nats-max-age", "1h"]].concat());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("max age 0ns -> 3600s"), "{said}");
    assert_eq!(stream_limits(&nats), (64 << 20, minutes(60), 1, Duration::from_secs(30)));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs openssl (CI installs it) with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl (apt-get install openssl)");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A test CA, and `<name>.pem`/`<name>.key` signed by it for 127.0.0.1 with
/// `usage` (serverAuth or clientAuth).
fn test_certificates(dir: &Path) {
    std::fs::create_dir_all(dir).expect("cert dir");
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=netcap-test-ca"],
        ]
        .concat(),
    );
    for (name, usage) in [("server", "serverAuth"), ("client", "clientAuth")] {
        let (key, csr, pem) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"));
        let subject = format!("/CN=netcap-test-{name}");
        openssl(dir, &[&["req"][..], &ec, &["-keyout", &key, "-out", &csr, "-subj", &subject]].concat());
        let ext = format!("{name}.ext");
        let text = format!("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage={usage}\n");
        std::fs::write(dir.join(&ext), text).expect("extensions");
        let sign = ["x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"];
        openssl(dir, &[&sign[..], &["-out", &pem, "-days", "2", "-extfile", &ext]].concat());
    }
}

#[test]
fn tls_with_client_certificates_and_a_password_carries_the_batches_and_plain_clients_are_refused() {
    let dir = temp_dir("tls");
    if Nats::start(&dir.join("probe")).is_none() {
        return;
    }
    let certs = dir.join("certs");
    test_certificates(&certs);
    let cert = |f: &str| s(&certs.join(f)).to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let (server_cert, server_key, ca) = (cert("server.pem"), cert("server.key"), cert("ca.pem"));
    let tls = ["--tls", "--tlscert", &server_cert, "--tlskey", &server_key, "--tlsverify", "--tlscacert", &ca];
    let nats = Nats::start_with(&dir.join("js"), port, &[&tls[..], &["--user", "netcap", "--pass", "s3cret"]].concat());
    let url = format!("nats://netcap:s3cret@127.0.0.1:{port}");
    let (client_cert, client_key) = (cert("client.pem"), cert("client.key"));
    let tls_flags =
        ["-nats-tls-ca", &ca, "-nats-tls-cert", &client_cert, "-nats-tls-key", &client_key, "-nats-require-tls"];
    let (server_priv, server_pub) = keypair_files(&dir.join("server-keys"));
    let out = dir.join("out");

    // Without the client certificate, or without the password, no connection.
    for (what, u, flags) in [
        ("no client certificate", url.as_str(), &["-nats-tls-ca", ca.as_str()][..]),
        ("no password", &format!("nats://127.0.0.1:{port}"), &tls_flags[..]),
    ] {
        let refused = dir.join("refused");
        let args = ["server", "-privkey", s(&server_priv), "-nats", u, "-out", s(&refused)];
        let o = Command::new(NETCAP).args(args).args(flags).output().expect("server runs");
        let said = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{what}: {said}");
        assert!(said.contains("cannot connect to"), "{what}: {said}");
    }

    let mut server_args: Vec<&str> = vec!["server", "-privkey", s(&server_priv), "-nats", &url, "-out", s(&out)];
    server_args.extend_from_slice(&["-stats-interval", "0", "-nats-ack-wait", "2s"]);
    server_args.extend_from_slice(&tls_flags);
    let mut child = Command::new(NETCAP).args(&server_args).stderr(Stdio::piped()).spawn().expect("server starts");
    let lines = line_reader(child.stderr.take().expect("stderr"));
    let mut server = Server { child, lines, seen: Vec::new() };
    wait_line(&server.lines, &mut server.seen, |l| l.contains("consuming stream"), "consuming stream");

    let (sensor_key, _) = keypair_files(&dir.join("sensor-keys"));
    let c = captures().pop().expect("a capture");
    let mut args = vec!["sensor", "-pubkey", s(&server_pub), "-nats", &url, "-r", s(&c.path), "-id", c.id];
    let errors = dir.join("sensor-out");
    args.extend_from_slice(&["-key", s(&sensor_key), "-out", s(&errors), "-quiet"]);
    args.extend_from_slice(&tls_flags);
    run_ok(&args);
    // The test's own client for the backlog: through TLS with a password too.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let backlog = rt.block_on(async {
            let client = async_nats::ConnectOptions::new()
                .add_root_certificates(certs.join("ca.pem"))
                .add_client_certificate(certs.join("client.pem"), certs.join("client.key"))
                .require_tls(true)
                .user_and_password("netcap".into(), "s3cret".into())
                .connect(&url)
                .await
                .expect("connect");
            let js = jetstream::new(client);
            let mut consumer: jetstream::consumer::PullConsumer =
                js.get_stream("NETCAP").await.expect("stream").get_consumer("netcap-server").await.expect("consumer");
            let info = consumer.info().await.expect("consumer info");
            (info.num_pending, info.num_ack_pending)
        });
        if backlog == (0, 0) {
            break;
        }
        assert!(Instant::now() < deadline, "not consumed: {backlog:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (stats, log) = server.stop();
    assert!(stats["batches"] >= 4 && stats["rejected"] == 0, "{log}");
    assert_union_equals_local(&dir, &[c], &[out]);
    drop(nats);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nats_server_restarted_mid_run_sensors_buffer_and_resend_nothing_lost() {
    let dir = temp_dir("restart");
    let Some(mut nats) = Nats::start(&dir.join("js")) else { return };
    let (server_priv, server_pub) = keypair_files(&dir.join("server-keys"));
    let captures: Vec<Capture> = captures().into_iter().take(2).collect();
    let (keys, allow) = sensor_keys(&dir, &captures);
    let outs = [dir.join("out-a"), dir.join("out-b")];
    let servers: Vec<Server> =
        outs.iter().map(|o| Server::start(&nats, &server_priv, o, &["-allow", s(&allow)])).collect();
    // The bus goes down (its file store stays); the sensors run meanwhile.
    nats.kill();
    let mut sensors: Vec<Sensor> =
        captures.iter().zip(&keys).map(|(c, k)| Sensor::start(&nats.url(), &server_pub, k, c, &dir)).collect();
    for sensor in &mut sensors {
        sensor.wait_for("unavailable");
    }
    nats.restart();
    let sent: u64 = sensors.into_iter().map(Sensor::wait).sum();
    nats.wait_consumed();
    let mut batches = 0;
    for server in servers {
        let (stats, log) = server.stop();
        // A group whose claims waited for the bus past the acknowledgement
        // wait went to the other server too: one of them keeps it, the
        // other drops its copy as duplicates. Nothing else is rejected.
        let duplicates = stats.get("duplicate").copied().unwrap_or(0);
        assert_eq!(stats["rejected"], duplicates, "{log}");
        batches += stats["batches"];
    }
    assert_eq!(batches, sent, "every batch once");
    assert_union_equals_local(&dir, &captures, &outs);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sensor_holds_a_bounded_buffer_while_the_bus_is_down_and_counts_what_it_drops() {
    let dir = temp_dir("down");
    // A port nothing listens on: the bus is down for the whole run.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let (_, server_pub) = keypair_files(&dir.join("server-keys"));
    let c = &captures()[1];
    let url = format!("nats://127.0.0.1:{port}");
    let args = ["sensor", "-pubkey", s(&server_pub), "-nats", &url, "-r", s(&c.path), "-id", c.id, "-quiet"];
    let out = Command::new(NETCAP)
        .args(args)
        .args(["-out", s(&dir.join("errors")), "-nats-buffer", "4KiB", "-nats-timeout", "1s"])
        .output()
        .expect("sensor runs");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "undelivered batches fail the run:\n{text}");
    assert!(text.contains("unavailable") && text.contains("buffering up to 4096 bytes"), "{text}");
    let number_before = |pattern: &str| -> u64 {
        let at = text.rfind(pattern).unwrap_or_else(|| panic!("no {pattern:?} in\n{text}"));
        text[..at]
            .split(|c: char| !c.is_ascii_digit())
            .rev()
            .find(|n| !n.is_empty())
            .and_then(|n| n.parse().ok())
            .expect("number")
    };
    // Batches taken into the buffer, and batches refused for want of room.
    let (buffered, refused) = (number_before(" batches ("), number_before(" batches could not be sent"));
    assert!(refused > 0 && buffered > 0, "{text}");
    assert!(text.contains("NATS: 0 batches acknowledged"), "{text}");
    assert_eq!(number_before(" dropped"), buffered + refused, "every batch counted as dropped:\n{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_nats_flags_exit_2_and_a_server_refuses_an_output_directory_not_its_own() {
    let dir = temp_dir("flags");
    let (server_priv, server_pub) = keypair_files(&dir.join("keys"));
    let url = "nats://127.0.0.1:1";
    let out_dir = dir.join("out");
    let out = s(&out_dir);
    let server = |extra: &[&str]| {
        Command::new(NETCAP)
            .args(["server", "-privkey", s(&server_priv), "-nats", url, "-out", out])
            .args(extra)
            .output()
    };
    let o = server(&["-nats-stream", "a.b"]).expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid -nats-stream"), "{o:?}");
    let o = server(&["-nats-consumer", "x>"]).expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let capture = captures().remove(3).path;
    let o = Command::new(NETCAP)
        .args(["sensor", "-pubkey", s(&server_pub), "-nats", url, "-r", s(&capture), "-nats-replicas", "0"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("-nats-replicas must be 1 to 5"), "{o:?}");
    // Record files without a ledger (a UDP server's directory): refused
    // before any connection, since repairing would remove them.
    std::fs::create_dir_all(dir.join("out/s1")).expect("dir");
    std::fs::write(dir.join("out/s1/TCP.ncap.gz"), b"x").expect("file");
    let o = server(&[]).expect("runs");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs an output directory of its own"), "{o:?}");
    assert!(dir.join("out/s1/TCP.ncap.gz").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

//! End-to-end tests of `netcap server` and `netcap sensor` on 127.0.0.1:
//! four sensors deliver exactly what `netcap -r` writes locally, bad
//! datagrams of every kind are dropped and counted while good ones land,
//! client ids cannot leave the output directory, keys and restarts.
//!
//! Bad datagrams are made with the crate's own API (collect::wire).

use netcap::collect::wire::{self, Sealer};
use netcap::collect::{generate_keypair, hex, parse_hex_key};
use netcap::container::RecordReader;
use netcap::schema::pb;
use prost::Message;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[path = "common/cli.rs"]
mod cli;
use cli::{netcap, repo, run_ok, s, shared, temp_dir, NETCAP};

/// `key=value` tokens of a stats line (`rejected=3 (auth=2 short=1)`).
fn parse_stats(line: &str) -> HashMap<String, u64> {
    line.split_whitespace()
        .filter_map(|t| {
            let (k, v) = t.trim_matches(|c| c == '(' || c == ')').split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// A `netcap server` child on 127.0.0.1 with an OS-chosen port.
struct Server {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(privkey: &Path, out: &Path, extra: &[&str]) -> Server {
        let mut args =
            vec!["server", "-privkey", s(privkey), "-addr", "127.0.0.1:0", "-out", s(out), "-stats-interval", "100ms"];
        args.extend_from_slice(extra);
        let mut child = Command::new(NETCAP).args(&args).stderr(Stdio::piped()).spawn().expect("server starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server { child, addr: String::new(), lines, seen: Vec::new() };
        let line = server.wait_for(|l| l.contains("listening on"), Duration::from_secs(10));
        let addr = line.split("listening on ").nth(1).and_then(|r| r.split(',').next()).expect("address");
        server.addr = addr.to_string();
        server
    }

    /// The first line (from now on, or already seen) that satisfies `want`.
    fn wait_for(&mut self, want: impl Fn(&str) -> bool, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if want(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("server said nothing matching in {timeout:?}; it said:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Waits until the server has handled `n` datagrams (stats lines).
    fn wait_for_datagrams(&mut self, n: u64) {
        self.wait_for(
            |l| l.contains("stats:") && parse_stats(l).get("datagrams").copied().unwrap_or(0) >= n,
            Duration::from_secs(60),
        );
    }

    /// SIGTERM; returns the final stats and everything the server said.
    fn stop(mut self) -> (HashMap<String, u64>, String) {
        let ok = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(ok.success());
        let line = self.wait_for(|l| l.contains("final:"), Duration::from_secs(30));
        let status = self.child.wait().expect("server exits");
        assert!(status.success(), "server exit status {status}: {}", self.seen.join("\n"));
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(100)) {
            self.seen.push(l);
        }
        (parse_stats(&line), self.seen.join("\n"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

/// `Type → (header, records)` of every record file in `dir`.
fn record_files(dir: &Path) -> BTreeMap<String, (pb::Header, BTreeMap<Vec<u8>, usize>)> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        if let Some(t) = name.strip_suffix(".ncap.gz") {
            out.insert(t.to_string(), record_multiset(&path));
        }
    }
    out
}

fn sent_batches(stderr: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(stderr);
    let line =
        text.lines().find(|l| l.contains("netcap sensor: sent ")).unwrap_or_else(|| panic!("no summary in\n{text}"));
    line.split_whitespace().nth(3).and_then(|n| n.parse().ok()).expect("batch count")
}

fn keypair_files(dir: &Path) -> (PathBuf, PathBuf) {
    run_ok(&["server", "-gen-keypair", "-out", s(dir)]);
    (dir.join("priv.key"), dir.join("pub.key"))
}

#[test]
fn four_sensors_deliver_exactly_the_records_netcap_writes_locally() {
    let dir = temp_dir("four");
    let (server_priv, server_pub) = keypair_files(&dir.join("server-keys"));
    let captures: [(&str, PathBuf, &[&str]); 4] = [
        ("base", shared("bench/base.pcap.gz"), &[]),
        ("many-protocols", shared("pcaps/pcapplusplus/Tests/ExamplesTest/pcap_examples/many-protocols.pcap"), &[]),
        ("ip-frag", shared("pcaps/pcapplusplus/Tests/ExamplesTest/pcap_examples/ip-frag.pcap"), &["-payload"]),
        ("nd.v6", shared("pcaps/chrissanders-packets/icmpv6_neighbor_solicitation.pcapng"), &[]),
    ];
    // Sensor key pairs made beforehand, so the allow file can list them.
    let mut allow = String::from("# the four test sensors\n\n");
    let mut sensor_keys = Vec::new();
    for (id, _, _) in &captures {
        let (private, public) = keypair_files(&dir.join(format!("keys-{id}")));
        allow.push_str(&format!("{}  # {id}\n", std::fs::read_to_string(&public).expect("pub").trim()));
        sensor_keys.push(private);
    }
    std::fs::write(dir.join("allow.txt"), allow).expect("allow file");
    let out = dir.join("collected");
    let mut server = Server::start(&server_priv, &out, &["-allow", s(&dir.join("allow.txt"))]);

    // The four sensors at once.
    let sensors: Vec<Child> = captures
        .iter()
        .zip(&sensor_keys)
        .map(|((id, capture, extra), key)| {
            let errors_dir = dir.join(format!("sensor-{id}"));
            let mut args =
                vec!["sensor", "-pubkey", s(&server_pub), "-addr", &server.addr, "-r", s(capture), "-id", id];
            args.extend_from_slice(&["-key", s(key), "-out", s(&errors_dir), "-quiet"]);
            args.extend_from_slice(extra);
            Command::new(NETCAP).args(&args).stderr(Stdio::piped()).spawn().expect("sensor starts")
        })
        .collect();
    let mut total = 0;
    for child in sensors {
        let out = child.wait_with_output().expect("sensor ends");
        assert!(out.status.success(), "sensor failed: {}", String::from_utf8_lossy(&out.stderr));
        total += sent_batches(&out.stderr);
    }
    server.wait_for_datagrams(total);
    let (stats, log) = server.stop();
    assert_eq!(stats["batches"], total, "{log}");
    assert_eq!(stats["gaps"], 0, "{log}");
    assert_eq!(stats["rejected"], 0, "{log}");
    assert_eq!(stats["write-errors"], 0, "{log}");

    for (id, capture, extra) in &captures {
        let local = dir.join(format!("local-{id}"));
        let mut args = vec!["-r", s(capture), "-out", s(&local), "-quiet"];
        args.extend_from_slice(extra);
        run_ok(&args);
        let want = record_files(&local);
        let got = record_files(&out.join(id));
        assert!(want.len() >= 4, "{id}: a capture with several record types");
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{id}: record types");
        for (t, (want_header, want_records)) in &want {
            let (got_header, got_records) = &got[t];
            assert_eq!(got_header.r#type, *t);
            assert_eq!(got_header.contains_payloads, want_header.contains_payloads, "{id} {t}");
            assert_eq!(got_header.timestamp_digits, want_header.timestamp_digits, "{id} {t}");
            assert_eq!(got_header.input_source, want_header.input_source, "{id} {t}");
            let n: usize = want_records.values().sum();
            assert!(
                got_records == want_records,
                "{id} {t}: the server's {} records differ from the {n} local ones",
                got_records.values().sum::<usize>()
            );
        }
    }
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

#[test]
fn bad_datagrams_are_dropped_and_counted_while_good_traffic_lands() {
    let dir = temp_dir("bad");
    let (server_priv, server_pub) = keypair_files(&dir.join("server-keys"));
    let server_public =
        crypto_box::PublicKey::from(parse_hex_key(&std::fs::read_to_string(&server_pub).expect("pub")).expect("hex"));
    let (sensor, sensor_public) = generate_keypair();
    // The key is bound to client id "good".
    std::fs::write(dir.join("allow.txt"), format!("{} good\n", hex(sensor_public.as_bytes()))).expect("allow");
    let out = dir.join("out");
    let mut server = Server::start(&server_priv, &out, &["-allow", s(&dir.join("allow.txt"))]);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("socket");
    socket.connect(&server.addr).expect("connect");

    let good = Sealer::new(&sensor, &server_public);
    let seal = |b: &pb::Batch| good.seal(&wire::encode_batch(b)).expect("seal");
    let good_datagrams: Vec<Vec<u8>> =
        (0..12).map(|seq| seal(&batch("good", 42, seq, &[tcp_record(seq as i32), tcp_record(1000)]))).collect();

    let mut bad: Vec<(&str, Vec<u8>)> = Vec::new();
    // Garbage: too short, a random key, the right key and noise.
    bad.push(("short", vec![0x42; 10]));
    bad.push(("not-allowed", (0..500u32).map(|i| (i * 31 % 251) as u8).collect()));
    let mut noise = sensor_public.as_bytes().to_vec();
    noise.extend((0..300u32).map(|i| (i * 17 % 253) as u8));
    bad.push(("auth", noise));
    // Truncated: below the minimum, and one byte short.
    bad.push(("short", good_datagrams[5][..60].to_vec()));
    bad.push(("auth", good_datagrams[5][..good_datagrams[5].len() - 1].to_vec()));
    // Wrong key: sealed for another server.
    let (_, other_server) = generate_keypair();
    bad.push((
        "auth",
        Sealer::new(&sensor, &other_server)
            .seal(&wire::encode_batch(&batch("good", 42, 100, &[tcp_record(1)])))
            .expect("seal"),
    ));
    // A valid sensor that is not on the allow list.
    let (stranger, _) = generate_keypair();
    bad.push((
        "not-allowed",
        Sealer::new(&stranger, &server_public)
            .seal(&wire::encode_batch(&batch("evil", 1, 0, &[tcp_record(1)])))
            .expect("seal"),
    ));
    // A decompression bomb: 32 MiB of zeros, a few KiB gzipped.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &vec![0u8; 32 << 20]).expect("gzip");
    let bomb = gz.finish().expect("gzip");
    assert!(bomb.len() < 60_000);
    bad.push(("oversize", good.seal(&bomb).expect("seal")));
    // Not gzip, not a batch, a wrong record count.
    bad.push(("decompress", good.seal(b"plain text, not gzip").expect("seal")));
    bad.push((
        "bad-batch",
        good.seal(&{
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, &[0xff; 64]).expect("gzip");
            gz.finish().expect("gzip")
        })
        .expect("seal"),
    ));
    let mut miscounted = batch("good", 42, 200, &[tcp_record(1)]);
    miscounted.count = 5;
    bad.push(("bad-batch", seal(&miscounted)));
    // Client ids that would leave OUT.
    let long = "x".repeat(65);
    for id in ["../../etc", "/abs", "..", ".", "a/b", "", long.as_str(), "..\\..\\x"] {
        bad.push(("client-id", seal(&batch(id, 7, 0, &[tcp_record(1)]))));
    }
    // The good key posing as another client.
    bad.push(("wrong-client-id", seal(&batch("posing", 42, 300, &[tcp_record(1)]))));
    // Replays: good batches sent again later (below).

    let mut sent = 0u64;
    let mut send = |d: &[u8]| {
        socket.send(d).expect("send");
        sent += 1;
        std::thread::sleep(Duration::from_millis(2));
    };
    // Batch 6 comes late (a gap, then filled); 12..=19 never come (a gap that stays).
    for (i, d) in good_datagrams.iter().enumerate() {
        if i != 6 {
            send(d);
        }
        if let Some((_, b)) = bad.get(i) {
            send(b);
        }
    }
    for (_, b) in bad.iter().skip(good_datagrams.len()) {
        send(b);
    }
    send(&good_datagrams[6]);
    send(&seal(&batch("good", 42, 20, &[tcp_record(20), tcp_record(1000)])));
    // Replays, also of a good batch sealed anew.
    send(&good_datagrams[0]);
    send(&good_datagrams[6]);
    send(&seal(&batch("good", 42, 3, &[tcp_record(3), tcp_record(1000)])));
    server.wait_for_datagrams(sent);
    let (stats, log) = server.stop();

    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for (reason, _) in &bad {
        *expected.entry(reason).or_default() += 1;
    }
    expected.insert("duplicate", 3);
    for (reason, n) in &expected {
        assert_eq!(stats.get(*reason).copied().unwrap_or(0), *n, "{reason}\n{log}");
    }
    assert_eq!(stats["rejected"], bad.len() as u64 + 3, "{log}");
    assert_eq!(stats["batches"], 13, "{log}");
    assert_eq!(stats["records"], 26, "{log}");
    assert_eq!((stats["gaps"], stats["late"]), (8, 1), "{log}");
    assert!(log.contains("dropped a datagram from 127.0.0.1:"), "{log}");
    assert!(log.contains("good TCP") && log.contains("batch 6 missing"), "{log}");
    assert!(log.contains("late batch 6 filled a gap") && log.contains("batches 12-19 missing"), "{log}");

    // Only the good client's directory exists, and nothing leaked outside OUT.
    let dirs: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dirs, ["good"]);
    let mut siblings: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    siblings.sort();
    assert_eq!(siblings, ["allow.txt", "out", "server-keys"]);
    assert!(!Path::new("/abs").exists());
    let (header, records) = record_multiset(&out.join("good/TCP.ncap.gz"));
    assert_eq!(header.input_source, "crafted");
    // Files hold records without their length prefixes once read.
    let bare = |n: i32| pb::Tcp { src_port: n, dst_port: 80, ..Default::default() }.encode_to_vec();
    let mut want = BTreeMap::new();
    for seq in (0..12).chain([20]) {
        *want.entry(bare(seq)).or_insert(0) += 1;
    }
    want.insert(bare(1000), 13);
    assert_eq!(records, want);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sensor_key_file_restarts_and_server_restarts_append_cleanly() {
    let dir = temp_dir("restart");
    let (server_priv, server_pub) = keypair_files(&dir.join("server-keys"));
    let key = dir.join("sensor.key");
    let sample = repo().join("testdata/sample.pcap");
    let out = dir.join("out");
    let sensor = |server: &Server| {
        let out = run_ok(&[
            "sensor",
            "-pubkey",
            s(&server_pub),
            "-addr",
            &server.addr,
            "-r",
            s(&sample),
            "-id",
            "s1",
            "-key",
            s(&key),
            "-out",
            s(&dir.join("sensor-out")),
        ]);
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        let public = text
            .split("public key ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .expect("public key printed")
            .to_string();
        (public, sent_batches(&out.stderr))
    };

    let mut server = Server::start(&server_priv, &out, &[]);
    let (first_key, n1) = sensor(&server);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key file created").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the sensor's private key is private");
    }
    let server_mode = std::fs::metadata(&server_priv).expect("priv").permissions();
    #[cfg(unix)]
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&server_mode) & 0o777, 0o600);
    // A restarted sensor (same key, new run) is not a replay.
    let (second_key, n2) = sensor(&server);
    assert_eq!(first_key, second_key, "-key keeps the key pair");
    server.wait_for_datagrams(n1 + n2);
    let (stats, log) = server.stop();
    assert_eq!((stats["batches"], stats["rejected"], stats["gaps"]), (n1 + n2, 0, 0), "{log}");

    // A restarted server appends to the files it wrote before.
    let allow = dir.join("allow.txt");
    std::fs::write(&allow, format!("# s1\n{first_key}\n")).expect("allow");
    let mut server = Server::start(&server_priv, &out, &["-allow", s(&allow)]);
    let (_, n3) = sensor(&server);
    server.wait_for_datagrams(n3);
    let (stats, log) = server.stop();
    assert_eq!((stats["batches"], stats["rejected"]), (n3, 0), "{log}");

    let local = dir.join("local");
    run_ok(&["-r", s(&sample), "-out", s(&local), "-quiet"]);
    let want = record_files(&local);
    let got = record_files(&out.join("s1"));
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    for (t, (_, records)) in &want {
        let thrice: BTreeMap<Vec<u8>, usize> = records.iter().map(|(r, n)| (r.clone(), 3 * n)).collect();
        assert_eq!(got[t].1, thrice, "{t}: three runs, one file, one header");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_and_keys_exit_2_with_a_clear_message() {
    let dir = temp_dir("flags");
    let (server_priv, server_pub) = keypair_files(&dir.join("k"));
    let check = |args: &[&str], want: &str| {
        let out = netcap(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    };
    check(&["server", "-gen-keypair", "-out", s(&dir.join("k"))], "not overwriting");
    check(&["server", "-out", s(&dir)], "-privkey");
    std::fs::write(dir.join("bad-allow.txt"), "# ok\n\nnot-a-key\n").expect("write");
    check(&["server", "-privkey", s(&server_priv), "-allow", s(&dir.join("bad-allow.txt"))], "bad-allow.txt:3");
    check(&["server", "-privkey", s(&server_pub), "-addr", "256.1.1.1:1"], "cannot listen");
    let sample = repo().join("testdata/sample.pcap");
    let base = ["sensor", "-pubkey", s(&server_pub), "-addr", "127.0.0.1:9", "-r", s(&sample)];
    check(&[&base[..], &["-id", "../../etc"]].concat(), "invalid -id");
    check(&[&base[..], &["-id", "s1", "-max", "70000"]].concat(), "-max must be");
    check(&[&base[..], &["-id", "s1", "-flush-interval", "soon"]].concat(), "not a duration");
    check(&["sensor", "-addr", "127.0.0.1:9", "-r", s(&sample)], "-pubkey");
    check(&["sensor", "-pubkey", s(&sample), "-addr", "127.0.0.1:9", "-r", s(&sample)], "key file");
    // Multi-call name: a link called netcap-server is `netcap server`.
    let link = dir.join("netcap-server");
    std::os::unix::fs::symlink(NETCAP, &link).expect("symlink");
    let out = Command::new(&link).arg("-help").output().expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("-gen-keypair"));
    let _ = std::fs::remove_dir_all(&dir);
}

//! Live capture and BPF (cargo feature `libpcap`). The live tests capture
//! on the loopback interface and need root (CI runs as root). Without the
//! feature, the flags must explain how to get them.

use std::process::Command;

const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");

#[cfg(not(feature = "libpcap"))]
#[test]
fn without_libpcap_the_flags_say_how_to_get_them() {
    for args in [vec!["-iface", "lo"], vec!["-interfaces"], vec!["-r", "testdata/sample.pcap", "-bpf", "tcp"]] {
        let out = Command::new(NETCAP).args(&args).current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("built without libpcap") && err.contains("--features libpcap"), "{args:?}: {err}");
    }
}

#[cfg(feature = "libpcap")]
mod with_libpcap {
    use super::*;
    use netcap::capture::file::CaptureReader;
    use netcap::capture::PacketBatch;
    use netcap::container::RecordReader;
    use netcap::schema::pb;
    use prost::Message;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream, UdpSocket};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Stdio};
    use std::time::{Duration, Instant};

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("netcap-live-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    fn read_records<M: Message + Default>(path: &Path) -> Vec<M> {
        let mut r = RecordReader::open(path).unwrap_or_else(|e| panic!("{e}"));
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("incomplete file: {e}")) {
            out.push(M::decode(buf.as_slice()).expect("record"));
        }
        out
    }

    /// Starts a live capture on lo and waits until it is capturing (the
    /// output directory is created once the interface is open).
    fn start(out: &Path, extra: &[&str]) -> Child {
        let mut args = vec!["-iface", "lo", "-out", out.to_str().expect("utf-8"), "-payload"];
        args.extend_from_slice(extra);
        let child = Command::new(NETCAP).args(&args).stderr(Stdio::piped()).spawn().expect("spawn netcap");
        let t = Instant::now();
        while !out.exists() {
            assert!(t.elapsed() < Duration::from_secs(10), "netcap did not start capturing");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        child
    }

    fn stop(child: Child) -> String {
        std::thread::sleep(Duration::from_millis(300));
        let ok = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
        assert!(ok.success());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "netcap failed: {err}");
        assert!(err.contains("interrupted, files closed cleanly"), "{err}");
        assert!(err.contains("kernel: "), "kernel statistics in the summary: {err}");
        err
    }

    /// A port nobody else in this test run uses.
    fn free_udp_port() -> u16 {
        UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()).map(|a| a.port()).expect("port")
    }

    #[test]
    fn loopback_capture_records_known_udp_and_tcp_traffic() {
        let out = temp_dir("loopback").join("out");
        let udp_port = free_udp_port();
        let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
        let tcp_port = listener.local_addr().expect("addr").port();
        let filter = format!("udp port {udp_port} or tcp port {tcp_port}");
        let child = start(&out, &["-bpf", &filter]);

        let receiver = UdpSocket::bind(("127.0.0.1", udp_port)).expect("bind");
        let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let sport = sender.local_addr().expect("addr").port();
        for i in 0..5 {
            sender.send_to(format!("netcap-udp-{i}").as_bytes(), ("127.0.0.1", udp_port)).expect("send");
        }
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).expect("read");
            s.write_all(&buf[..n]).expect("echo");
        });
        let mut client = TcpStream::connect(("127.0.0.1", tcp_port)).expect("connect");
        client.write_all(b"netcap-tcp-hello").expect("write");
        let mut echo = [0u8; 16];
        client.read_exact(&mut echo).expect("echo");
        drop(client);
        server.join().expect("server");
        drop(receiver);

        stop(child);
        let udp = read_records::<pb::Udp>(&out.join("UDP.ncap.gz"));
        let ours: Vec<&pb::Udp> = udp.iter().filter(|u| u.src_port == i32::from(sport)).collect();
        assert_eq!(ours.len(), 5, "{udp:?}");
        for (i, u) in ours.iter().enumerate() {
            assert_eq!(u.dst_port, i32::from(udp_port));
            assert_eq!(u.payload, format!("netcap-udp-{i}").as_bytes());
            assert_eq!(u.length, 8 + u.payload.len() as i32);
        }
        let tcp = read_records::<pb::Tcp>(&out.join("TCP.ncap.gz"));
        let syn = tcp.iter().find(|t| t.syn && !t.ack && t.dst_port == i32::from(tcp_port)).expect("the SYN");
        let data: Vec<&pb::Tcp> = tcp.iter().filter(|t| t.payload == b"netcap-tcp-hello").collect();
        assert_eq!(data.len(), 2, "request and echo");
        assert_eq!(data[0].src_port, syn.src_port);
        assert_eq!(data[0].seq_num, syn.seq_num.wrapping_add(1));
        assert!(tcp.iter().any(|t| t.fin), "the close");
        let ip = read_records::<pb::IPv4>(&out.join("IPv4.ncap.gz"));
        assert!(ip.iter().all(|r| r.src_ip == "127.0.0.1" && r.dst_ip == "127.0.0.1"));
        assert_eq!(ip.len(), udp.len() + tcp.len());
    }

    #[test]
    fn live_bpf_keeps_exactly_the_filtered_traffic() {
        let out = temp_dir("livebpf").join("out");
        let port = free_udp_port();
        let child = start(&out, &["-bpf", &format!("udp port {port}")]);
        let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");
        for i in 0..10u16 {
            // Every other datagram goes to a neighbouring port the filter drops.
            let dst = if i % 2 == 0 { port } else { port.wrapping_add(1) };
            sender.send_to(&i.to_be_bytes(), ("127.0.0.1", dst)).expect("send");
        }
        stop(child);
        let udp = read_records::<pb::Udp>(&out.join("UDP.ncap.gz"));
        assert_eq!(udp.len(), 5, "{udp:?}");
        assert!(udp.iter().all(|u| u.dst_port == i32::from(port) || u.src_port == i32::from(port)));
        let payloads: Vec<Vec<u8>> = udp.iter().map(|u| u.payload.clone()).collect();
        assert_eq!(payloads, (0..10u16).step_by(2).map(|i| i.to_be_bytes().to_vec()).collect::<Vec<_>>());
        assert!(!out.join("TCP.ncap.gz").exists());
    }

    /// Issue 16: with libpcap's default kernel buffer (2 MiB, a few slots of
    /// 256 KiB snap length in immediate mode) a burst of 20 datagrams on an
    /// idle `lo` lost 48 packets. The default `-buffer-size` must hold a
    /// burst of 10,000 sent as fast as the loopback takes them.
    #[test]
    fn burst_of_10000_datagrams_is_captured_without_drops() {
        const BURST: usize = 10_000;
        const PAYLOAD: usize = 200;
        let out = temp_dir("burst").join("out");
        let port = free_udp_port();
        let child = start(&out, &["-bpf", &format!("udp and dst port {port}"), "-include", "UDP"]);
        let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let sport = sender.local_addr().expect("addr").port();
        let mut payload = [0u8; PAYLOAD];
        for i in 0..BURST {
            payload[..4].copy_from_slice(&(i as u32).to_be_bytes());
            sender.send_to(&payload, ("127.0.0.1", port)).expect("send");
        }
        let err = stop(child);
        // On `lo` the kernel counts each datagram twice (sent and received);
        // libpcap hands over one copy. The summary groups thousands ("20,000").
        let kernel = err.lines().find(|l| l.starts_with("kernel: ")).expect("kernel statistics");
        let received: usize =
            kernel["kernel: ".len()..].split(' ').next().and_then(|n| n.replace(',', "").parse().ok()).expect("count");
        assert!(received >= BURST && kernel.contains(" received, 0 dropped, "), "{kernel}");
        let udp = read_records::<pb::Udp>(&out.join("UDP.ncap.gz"));
        assert_eq!(udp.len(), BURST, "every datagram a record");
        for (i, u) in udp.iter().enumerate() {
            assert_eq!((u.src_port, u.dst_port), (i32::from(sport), i32::from(port)));
            assert_eq!(u.length, (8 + PAYLOAD) as i32);
            assert_eq!(u.payload.len(), PAYLOAD);
            assert_eq!(u.payload[..4], (i as u32).to_be_bytes(), "in order");
        }
    }

    #[test]
    fn buffer_size_is_in_help_and_readme() {
        let help = Command::new(NETCAP).arg("--help").output().expect("runs");
        assert!(String::from_utf8_lossy(&help.stdout).contains("-buffer-size"));
        let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
        assert!(readme.contains("-buffer-size"));
    }

    #[test]
    fn cannot_start_capture_exits_2_with_the_reason() {
        let out = Command::new(NETCAP)
            .args(["-iface", "no-such-if0", "-out", temp_dir("noif").to_str().expect("utf-8")])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot capture on no-such-if0") && err.contains("No such device"), "{err}");
        let out = Command::new(NETCAP)
            .args(["-r", "testdata/sample.pcap", "-bpf", "tcp port"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("invalid filter \"tcp port\""));
        let out = Command::new(NETCAP).arg("-interfaces").output().expect("runs");
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).lines().any(|l| l.starts_with("lo")));
    }

    fn timestamps(path: &Path) -> Vec<i64> {
        let mut r = CaptureReader::open(path).unwrap_or_else(|e| panic!("{e}"));
        let mut batch = PacketBatch::with_capacity(1024, 1 << 20);
        while r.fill(&mut batch, usize::MAX, usize::MAX).unwrap_or_else(|w| panic!("{}", w.message)) {}
        batch.iter().map(|(m, _)| m.timestamp).collect()
    }

    #[test]
    fn file_bpf_keeps_the_packets_tcpdump_keeps() {
        let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps");
        assert!(shared.exists(), "missing {}", shared.display());
        let cases = [
            ("chrissanders-packets/http_espn.pcapng", "tcp port 80"),
            ("chrissanders-packets/http_espn.pcapng", "udp and port 53"),
            ("chrissanders-packets/http_espn.pcapng", "tcp[tcpflags] & tcp-syn != 0"),
            ("chrissanders-packets/ek_to_cryptowall4.pcapng", "src net 192.168.0.0/16 and greater 500"),
        ];
        for (file, expr) in cases {
            let input = shared.join(file);
            let dir = temp_dir("filebpf");
            let reference = dir.join("tcpdump.pcap");
            let status = Command::new("tcpdump")
                .args(["-r", input.to_str().expect("utf-8"), "-w", reference.to_str().expect("utf-8"), expr])
                .stderr(Stdio::null())
                .status()
                .expect("tcpdump must be installed (apt-get install tcpdump)");
            assert!(status.success(), "tcpdump {file} {expr}");
            let expected = timestamps(&reference);
            assert!(!expected.is_empty(), "{file} {expr}: the case must select something");

            let out = dir.join("out");
            let res = Command::new(NETCAP)
                .args([
                    "-r",
                    input.to_str().expect("utf-8"),
                    "-bpf",
                    expr,
                    "-out",
                    out.to_str().expect("utf-8"),
                    "-comp=false",
                ])
                .output()
                .expect("netcap");
            let err = String::from_utf8_lossy(&res.stderr);
            assert!(res.status.success(), "{err}");
            assert!(
                err.contains(&format!("{} packets (", netcap::cli::summary::count(expected.len() as u64))),
                "{file} {expr}: tcpdump kept {} packets; netcap: {err}",
                expected.len()
            );
            // Every packet of these captures is Ethernet: one Ethernet record each.
            let got: Vec<i64> =
                read_records::<pb::Ethernet>(&out.join("Ethernet.ncap")).iter().map(|e| e.timestamp).collect();
            assert_eq!(got, expected, "{file} {expr}");
        }
    }
}

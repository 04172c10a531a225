//! `FrameNumber`: the key that joins the records of one packet. Ethernet,
//! IPv4 and TCP records of a real capture join on it one to one, and the
//! joined row is the packet tshark shows under that frame number; the flow
//! records' `FrameNumberFirst`/`FrameNumberLast` are the first and last
//! frames of their TCP stream in tshark. (Every layer type's FrameNumber is
//! also compared with tshark's frame.number in tshark_diff and layers_tshark.)

#[path = "common/manifest.rs"]
#[allow(dead_code)]
mod manifest;
#[path = "common/netcap_run.rs"]
#[allow(dead_code)]
mod netcap_run;

use manifest::pcaps_dir;
use netcap::container::RecordReader;
use netcap_run::{require_tshark, tempdir};
use prost_reflect::{DynamicMessage, ReflectMessage};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

/// 956 frames: TCP (HTTP) over IPv4 over Ethernet with DNS over UDP in
/// between, so the TCP frames are not numbered consecutively.
const CAPTURE: &str = "chrissanders-packets/http_espn.pcapng";

fn capture() -> PathBuf {
    let path = pcaps_dir().join(CAPTURE);
    assert!(path.is_file(), "{} is missing (../shared/pcaps)", path.display());
    path
}

fn run(out: &Path, extra: &[&str]) {
    let run = Command::new(env!("CARGO_BIN_EXE_netcap"))
        .arg("-r")
        .arg(capture())
        .arg("-out")
        .arg(out)
        .args(["-quiet", "-comp=false", "-overwrite"])
        .args(extra)
        .output()
        .expect("netcap runs");
    assert!(run.status.success(), "netcap failed: {}", String::from_utf8_lossy(&run.stderr));
}

/// Every record of `type_name` in `dir`, decoded through the schema.
fn records(dir: &Path, type_name: &str) -> Vec<DynamicMessage> {
    let desc = netcap::schema::message(type_name).expect("type in the schema");
    let mut reader = RecordReader::open(&dir.join(format!("{type_name}.ncap"))).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = Vec::new();
    let mut out = Vec::new();
    while reader.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        out.push(DynamicMessage::decode(desc.clone(), buf.as_slice()).expect("record decodes"));
    }
    out
}

fn text(m: &DynamicMessage, field: &str) -> String {
    let v = m.get_field_by_name(field).unwrap_or_else(|| panic!("{} has no {field}", m.descriptor().name()));
    match &*v {
        prost_reflect::Value::String(s) => s.clone(),
        prost_reflect::Value::U64(n) => n.to_string(),
        prost_reflect::Value::U32(n) => n.to_string(),
        prost_reflect::Value::I64(n) => n.to_string(),
        prost_reflect::Value::I32(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

fn frame(m: &DynamicMessage) -> u64 {
    m.get_field_by_name("FrameNumber").and_then(|v| v.as_u64()).expect("FrameNumber")
}

/// tshark's fields of the frames `filter` selects, one row per frame.
fn tshark(filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    // Two passes: fields that point forward (http.response_in) are known then.
    cmd.arg("-2").arg("-n").arg("-r").arg(capture()).args(["-Y", filter, "-T", "fields", "-E", "separator=/t"]);
    for f in fields {
        cmd.arg("-e").arg(f);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(out.status.success(), "tshark failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split('\t').map(str::to_string).collect()).collect()
}

/// One joined row: the Ethernet, IPv4 and TCP records of a packet.
type Joined = (String, String, String, String, String, String);

#[test]
fn ethernet_ipv4_and_tcp_join_on_frame_number_as_tshark_numbers_frames() {
    require_tshark();
    let out = tempdir("frame-join");
    run(&out, &["-include", "Ethernet,IPv4,TCP"]);
    let by_frame = |type_name: &str| {
        let mut m: HashMap<u64, Vec<DynamicMessage>> = HashMap::new();
        for r in records(&out, type_name) {
            m.entry(frame(&r)).or_default().push(r);
        }
        m
    };
    let (eth, ip, tcp) = (by_frame("Ethernet"), by_frame("IPv4"), by_frame("TCP"));

    // The join: exactly one Ethernet, IPv4 and TCP record per TCP packet.
    let mut joined: BTreeMap<u64, Joined> = BTreeMap::new();
    for (n, t) in &tcp {
        let (e, i) = (&eth[n], &ip[n]);
        assert_eq!((e.len(), i.len(), t.len()), (1, 1, 1), "frame {n}: records per type");
        joined.insert(
            *n,
            (
                text(&e[0], "SrcMAC"),
                text(&i[0], "SrcIP"),
                text(&i[0], "DstIP"),
                text(&t[0], "SrcPort"),
                text(&t[0], "DstPort"),
                text(&t[0], "SeqNum"),
            ),
        );
    }
    // Every frame has its Ethernet record, numbered 1..=956 as tshark does.
    let mut eth_frames: Vec<u64> = eth.keys().copied().collect();
    eth_frames.sort();
    assert_eq!(eth_frames, (1..=956).collect::<Vec<u64>>());

    // One row per TCP packet tshark sees, with tshark's values.
    let fields = ["frame.number", "eth.src", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.seq_raw"];
    let expected: BTreeMap<u64, Joined> = tshark("tcp", &fields)
        .into_iter()
        .map(|r| {
            let n = r[0].parse().expect("frame.number");
            (n, (r[1].clone(), r[2].clone(), r[3].clone(), r[4].clone(), r[5].clone(), r[6].clone()))
        })
        .collect();
    assert_eq!(joined.len(), 928, "TCP packets (MANIFEST: tcp:928)");
    assert_eq!(joined, expected);

    // And a responder's jump to one frame: `tshark -Y frame.number==N`.
    let (&n, row) = joined.iter().nth(500).expect("a 501st TCP packet");
    let shown = tshark(&format!("frame.number=={n}"), &fields[1..]);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0], [row.0.as_str(), &row.1, &row.2, &row.3, &row.4, &row.5]);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn connections_carry_the_first_and_last_frame_of_their_stream() {
    require_tshark();
    let out = tempdir("frame-conn");
    run(&out, &["-include", "Connection"]);
    // tshark's TCP streams: (client, server) -> (first frame, last frame).
    let mut streams: HashMap<String, (u64, u64, String)> = HashMap::new();
    let fields = ["tcp.stream", "frame.number", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport"];
    for r in tshark("tcp", &fields) {
        let n: u64 = r[1].parse().expect("frame.number");
        let e = streams.entry(r[0].clone()).or_insert((n, n, format!("{}:{} {}:{}", r[2], r[3], r[4], r[5])));
        e.0 = e.0.min(n);
        e.1 = e.1.max(n);
    }
    let mut expected: Vec<(String, u64, u64)> = streams.into_values().map(|(a, b, k)| (k, a, b)).collect();
    expected.sort();
    let mut actual: Vec<(String, u64, u64)> = records(&out, "Connection")
        .iter()
        .filter(|c| text(c, "TransportProto") == "TCP")
        .map(|c| {
            let key =
                format!("{}:{} {}:{}", text(c, "SrcIP"), text(c, "SrcPort"), text(c, "DstIP"), text(c, "DstPort"));
            let first = c.get_field_by_name("FrameNumberFirst").and_then(|v| v.as_u64()).expect("first");
            let last = c.get_field_by_name("FrameNumberLast").and_then(|v| v.as_u64()).expect("last");
            (key, first, last)
        })
        .collect();
    actual.sort();
    assert!(expected.len() > 20, "streams in the capture: {}", expected.len());
    assert_eq!(actual, expected);
    let _ = std::fs::remove_dir_all(&out);
}

/// HTTP records span a request's first packet to its response's last:
/// tshark shows a request in the frame it completes in, names the frames
/// of its segments (`tcp.segment`) when there are several, and the frame
/// its response completes in (`http.response_in`).
#[test]
fn http_records_span_the_request_to_the_end_of_its_response() {
    require_tshark();
    let out = tempdir("frame-http");
    run(&out, &["-include", "HTTP"]);
    let mut actual: Vec<(u64, u64)> = records(&out, "HTTP")
        .iter()
        .filter(|r| !text(r, "Method").is_empty())
        .map(|r| {
            let first = r.get_field_by_name("FrameNumberFirst").and_then(|v| v.as_u64()).expect("first");
            let last = r.get_field_by_name("FrameNumberLast").and_then(|v| v.as_u64()).expect("last");
            (first, last)
        })
        .collect();
    actual.sort();
    let mut expected: Vec<(u64, u64)> = tshark("http.request", &["frame.number", "http.response_in", "tcp.segment"])
        .iter()
        .map(|r| {
            let shown: u64 = r[0].parse().expect("frame");
            let segments = r.get(2).map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect::<Vec<u64>>());
            let first = segments.and_then(|s| s.into_iter().min()).unwrap_or(shown);
            (first, r.get(1).and_then(|s| s.parse().ok()).unwrap_or(0))
        })
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 61, "requests in {CAPTURE}");
    assert_eq!(actual.len(), expected.len());
    let mut unanswered = 0;
    for (a, e) in actual.iter().zip(&expected) {
        assert_eq!(a.0, e.0, "first frame of the request ({a:?}, tshark {e:?})");
        if e.1 == 0 {
            // tshark links no response to frame 578's GET (TCP stream 3);
            // netcap reads its response on that connection to frame 612.
            unanswered += 1;
            assert_eq!(*a, (578, 612));
        } else {
            assert_eq!(a.1, e.1, "last frame of the response ({a:?}, tshark {e:?})");
        }
    }
    assert_eq!(unanswered, 1);
    let _ = std::fs::remove_dir_all(&out);
}

/// With a filter, frame numbers stay the packets' numbers in the file.
#[cfg(feature = "libpcap")]
#[test]
fn a_filter_keeps_the_frame_numbers_of_the_file() {
    require_tshark();
    let out = tempdir("frame-bpf");
    run(&out, &["-include", "UDP", "-bpf", "udp"]);
    let mut frames: Vec<u64> = records(&out, "UDP").iter().map(frame).collect();
    frames.sort();
    let expected: Vec<u64> = tshark("udp", &["frame.number"]).iter().map(|r| r[0].parse().expect("number")).collect();
    assert_eq!(expected.len(), 28);
    assert_eq!(frames, expected);
    let _ = std::fs::remove_dir_all(&out);
}

//! HTTP records against tshark, which reassembles TCP by default.
//!
//! For every shared capture whose MANIFEST row lists HTTP, each request
//! tshark shows (`http.request`) must be exactly one netcap `HTTP` record
//! with the same method, URI, Host and User-Agent, and the response tshark
//! pairs with it (`http.response_in`) must be in that record: same status
//! code and Content-Type. netcap also finds HTTP on ports where tshark does
//! not look for it (detection by content); those extra records are
//! reported, not failed.
//!
//! Then the same captures are rewritten: once with every IPv4 packet
//! turned into IPv6, and once with data segments reordered and
//! retransmitted. Both must give the same records as the original (IPv6:
//! mapped addresses; reordered: timestamps aside).

#[path = "common/manifest.rs"]
#[allow(dead_code)]
mod manifest;
#[path = "common/netcap_run.rs"]
#[allow(dead_code)]
mod netcap_run;
#[path = "common/pcap_rewrite.rs"]
#[allow(dead_code)]
mod pcap_rewrite;

use netcap::schema::pb;
use netcap_run::{read_records, require_tshark, tempdir};
use pcap_rewrite::{read_pcap, reorder_and_retransmit, to_ipv6, unmap_ipv6, write_pcap};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The MANIFEST's captures that carry HTTP, as tshark sees them
/// (`protocols` counts frames per protocol, "http:121"; `extra` counts
/// requests, "http.request:61").
fn http_captures() -> Vec<(String, PathBuf)> {
    manifest::captures_where(|names, linktype| {
        // ARCNET is a link layer netcap does not decode: its packets go
        // to unknown.pcap, so there is nothing to compare.
        !linktype.starts_with("arcnet") && names.iter().any(|p| *p == "http" || p.starts_with("http."))
    })
}

fn run_netcap(capture: &Path, out: &Path) -> Vec<pb::Http> {
    netcap_run::run_netcap(capture, out, "HTTP");
    read_records(&out.join("HTTP.ncap"))
}

/// One request as tshark shows it, with its response's code and type
/// (None where tshark's output does not say which value is whose).
#[derive(Debug, Clone)]
struct Request {
    frame: u64,
    method: String,
    uri: String,
    host: Option<String>,
    user_agent: Option<String>,
    code: Option<i32>,
    content_type: Option<String>,
    /// Sent while an earlier request of its connection was unanswered.
    pipelined: bool,
}

fn field<'a>(layers: &'a serde_json::Value, name: &str) -> Vec<&'a str> {
    layers.get(name).and_then(|v| v.as_array()).map_or_else(Vec::new, |a| a.iter().filter_map(|s| s.as_str()).collect())
}

/// The i-th value of a field that holds one value per HTTP message of the
/// frame; unknown when the count does not match the messages.
fn aligned(values: &[&str], i: usize, messages: usize) -> Option<String> {
    if values.len() == messages {
        values.get(i).map(|s| s.to_string())
    } else if values.is_empty() {
        Some(String::new())
    } else {
        None
    }
}

fn tshark_requests(capture: &Path) -> Vec<Request> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(["-2", "-Y", "http", "-T", "json"])
        .args(["-e", "frame.number", "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.host"])
        .args(["-e", "http.user_agent", "-e", "http.response_in", "-e", "http.response.code"])
        .args(["-e", "http.content_type", "-e", "tcp.stream"])
        .output()
        .expect("tshark runs");
    let packets: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    // Responses by frame: (code, content type) in frame order.
    let mut responses: HashMap<u64, Vec<(i32, Option<String>)>> = HashMap::new();
    let mut requests = Vec::new();
    for p in &packets {
        let layers = &p["_source"]["layers"];
        let frame: u64 = field(layers, "frame.number").first().and_then(|s| s.parse().ok()).unwrap_or(0);
        let codes = field(layers, "http.response.code");
        let types = field(layers, "http.content_type");
        let methods = field(layers, "http.request.method");
        if !codes.is_empty() {
            let list = codes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.parse().unwrap_or(0), aligned(&types, i, codes.len())))
                .collect();
            responses.insert(frame, list);
        }
        let uris = field(layers, "http.request.uri");
        let hosts = field(layers, "http.host");
        let agents = field(layers, "http.user_agent");
        let response_in = field(layers, "http.response_in");
        let stream = field(layers, "tcp.stream").first().map(|s| s.to_string()).unwrap_or_default();
        for (i, m) in methods.iter().enumerate() {
            requests.push((
                stream.clone(),
                Request {
                    frame,
                    method: m.to_string(),
                    uri: uris.get(i).map(|s| s.to_string()).unwrap_or_default(),
                    host: aligned(&hosts, i, methods.len()),
                    user_agent: aligned(&agents, i, methods.len()),
                    code: None,
                    content_type: None,
                    pipelined: false,
                },
                aligned(&response_in, i, methods.len()),
            ));
        }
    }
    // A request sent while an earlier one of its connection was still
    // unanswered is pipelined: HTTP/1.1 answers in order, and netcap pairs
    // so, but tshark 4.0 may pair such a response with the latest request
    // instead (see `every_request_tshark_shows_is_one_record_with_its_response`).
    let answered_at = |response_in: &Option<String>| response_in.as_deref().and_then(|f| f.parse::<u64>().ok());
    let pipelined: Vec<bool> = requests
        .iter()
        .enumerate()
        .map(|(k, (stream, r, _))| {
            requests[..k].iter().any(|(s, earlier, earlier_response)| {
                s == stream && earlier.frame <= r.frame && answered_at(earlier_response).is_none_or(|at| at > r.frame)
            })
        })
        .collect();
    // Pair each request with its response; several requests answered in
    // one frame take its responses in order.
    let mut taken: HashMap<u64, usize> = HashMap::new();
    requests
        .into_iter()
        .zip(pipelined)
        .map(|((_, mut r, response_in), pipelined)| {
            r.pipelined = pipelined;
            match response_in.as_deref().map(str::parse::<u64>) {
                Some(Ok(f)) => {
                    let n = taken.entry(f).or_default();
                    if let Some((code, ct)) = responses.get(&f).and_then(|l| l.get(*n)) {
                        r.code = Some(*code);
                        r.content_type = ct.clone();
                    }
                    *n += 1;
                }
                Some(_) => {}
                // No response: netcap's record must say so.
                None => {}
            }
            if response_in.as_deref() == Some("") {
                r.code = Some(0);
                r.content_type = Some(String::new());
            }
            r
        })
        .collect()
}

fn matches(r: &Request, h: &pb::Http) -> bool {
    let opt = |want: &Option<String>, got: &str| want.as_deref().is_none_or(|w| w == got);
    // tshark shows a response only once it has reassembled all of it, and
    // its reassembly gives up on some out-of-order and fast-retransmitted
    // segments that netcap puts in order (many-protocols.pcap, frame 2888);
    // netcap also writes the head of a response whose body the capture
    // cut, flagged Incomplete. Where tshark shows no response, only the
    // request is compared.
    let cut_response = r.code == Some(0);
    // tshark pairs a request with a 100 Continue (or other 1xx) that came
    // before the final response; netcap's record has the final status and
    // lists the interim ones.
    if let Some(code) = r.code.filter(|c| (100..200).contains(c)) {
        return r.method == h.method
            && r.uri == h.url
            && opt(&r.host, &h.host)
            && opt(&r.user_agent, &h.user_agent)
            && h.interim_status_codes.contains(&code);
    }
    r.method == h.method
        && r.uri == h.url
        && opt(&r.host, &h.host)
        && opt(&r.user_agent, &h.user_agent)
        && (cut_response || r.code.is_none_or(|c| c == h.status_code))
        && (cut_response || opt(&r.content_type, &h.content_type))
}

#[test]
fn every_request_tshark_shows_is_one_record_with_its_response() {
    require_tshark();
    let captures = http_captures();
    let shared = !manifest::other_captures();
    assert!(captures.len() >= 10 || !shared, "expected the MANIFEST's HTTP captures, found {}", captures.len());
    let tmp = tempdir("http-tshark");
    let (mut total, mut matched, mut extra, mut with_response, mut only_netcap) = (0usize, 0, 0, 0, 0);
    let mut request_only_count = 0;
    let mut failures = Vec::new();
    for (name, path) in &captures {
        let records = run_netcap(path, &tmp);
        let requests = tshark_requests(path);
        let mut used = vec![false; records.len()];
        for r in &requests {
            total += 1;
            let free = |i: usize, h: &pb::Http| !used[i] && !h.request_missing;
            let mut found = records.iter().enumerate().position(|(i, h)| free(i, h) && matches(r, h));
            if found.is_none() && r.pipelined {
                // tshark paired this pipelined request with a later
                // request's response: the request's own fields must agree.
                let request_only = Request { code: None, content_type: None, ..r.clone() };
                found = records.iter().enumerate().position(|(i, h)| free(i, h) && matches(&request_only, h));
                request_only_count += usize::from(found.is_some());
            }
            match found {
                Some(i) => {
                    used[i] = true;
                    matched += 1;
                    if records[i].status_code != 0 && r.code.is_some_and(|c| c != 0) {
                        with_response += 1;
                    }

                    if records[i].status_code != 0 && r.code == Some(0) {
                        only_netcap += 1;
                    }
                }
                None => failures.push(format!("{name}: frame {}: {r:?}", r.frame)),
            }
        }
        extra += used.iter().filter(|u| !**u).count();
    }
    eprintln!(
        "HTTP vs tshark: {matched}/{total} requests matched ({with_response} with the response tshark pairs \
         with them, {only_netcap} with a response tshark did not reassemble or pair, {request_only_count} pipelined \
         ones whose response tshark gave to another request) over {} captures; {extra} netcap records tshark \
         does not show (other ports, responses without request)",
        captures.len()
    );
    assert!(failures.is_empty(), "{} requests differ:\n{}", failures.len(), failures.join("\n"));
    assert!(total > 500 || !shared, "expected hundreds of requests, tshark showed {total}");
}

/// Records as compared across rewritten captures: timestamps and frame
/// numbers (the rewrite has other packets) aside.
fn comparable(mut records: Vec<pb::Http>, map_ip: impl Fn(&str) -> String) -> Vec<String> {
    let mut out: Vec<String> = records
        .iter_mut()
        .map(|h| {
            h.timestamp = 0;
            h.response_timestamp = 0;
            (h.frame_number_first, h.frame_number_last) = (0, 0);
            h.src_ip = map_ip(&h.src_ip);
            h.dst_ip = map_ip(&h.dst_ip);
            format!("{h:?}")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn records_survive_ipv6_and_reordered_retransmitted_segments() {
    let tmp = tempdir("http-rewrite");
    let mut compared = 0;
    for (name, path) in http_captures() {
        let Some(packets) = read_pcap(&path) else { continue };
        let original = run_netcap(&path, &tmp.join("orig"));
        if original.is_empty() {
            continue;
        }
        let v4 = comparable(original.clone(), |s| s.to_string());
        // IPv6.
        let v6_path = tmp.join("v6.pcap");
        write_pcap(&v6_path, packets.0, &packets.1.iter().map(|p| to_ipv6(p)).collect::<Vec<_>>());
        let v6 = comparable(run_netcap(&v6_path, &tmp.join("v6")), unmap_ipv6);
        assert_same(&v4, &v6, &format!("{name}: HTTP records over IPv6 differ from IPv4"));
        // Reordered and retransmitted.
        let shuffled_path = tmp.join("shuffled.pcap");
        write_pcap(&shuffled_path, packets.0, &reorder_and_retransmit(&packets.1));
        let shuffled = comparable(run_netcap(&shuffled_path, &tmp.join("shuffled")), |s| s.to_string());
        assert_same(
            &v4,
            &shuffled,
            &format!("{name}: HTTP records change when segments are reordered and retransmitted"),
        );
        compared += original.len();
    }
    eprintln!("{compared} HTTP records identical over IPv6 and with reordered/retransmitted segments");
    assert!(compared > 300 || manifest::other_captures(), "expected hundreds of records to compare, got {compared}");
}

/// Fails with the records only one side has.
fn assert_same(a: &[String], b: &[String], what: &str) {
    if a == b {
        return;
    }
    let only_a: Vec<&String> = a.iter().filter(|r| !b.contains(r)).take(3).collect();
    let only_b: Vec<&String> = b.iter().filter(|r| !a.contains(r)).take(3).collect();
    panic!("{what}: {} vs {} records\nonly before:\n{only_a:#?}\nonly after:\n{only_b:#?}", a.len(), b.len());
}

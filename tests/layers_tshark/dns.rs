//! DNS records (DNS, mDNS, LLMNR) against tshark.
//!
//! Counting rule: netcap writes one DNS record per DNS message: per UDP
//! datagram on port 53, 5353 or 5355 with at least the 12-byte header,
//! and per complete length-prefixed message of a TCP segment on port 53
//! or 5353 (a message continued in a later segment needs reassembly,
//! which is off on both sides). tshark gives one `dns.id` per message it
//! dissects, so a packet's expected rows are its `dns.id` occurrences.
//!
//! Per record the rows compare the transaction ID; QR, opcode, TC and RD
//! (tshark shows them for every message); AA, RA and RCODE (tshark shows
//! them only for responses: for queries they are taken from the bits of
//! `dns.flags`); the Z, AD and CD bits of `dns.flags`; the four counts
//! (`dns.count.zones`/`prerequisites`/`updates` for UPDATE messages); each
//! question's name and type in order; and each resource record's name and
//! type in order over the answer, authority and additional sections.
//! tshark shows no `dns.resp.name` for SRV records but splits the owner
//! name into `dns.srv.service`, `dns.srv.proto` and `dns.srv.name`, which
//! are joined back with ".". Names are compared as text: netcap prints
//! them as tshark does (`<Root>`, escapes).

use crate::common::layers::{self, boolean, field_list, field_str, ip, num, Exception, Pkt, Spec};
use prost_reflect::DynamicMessage;

const COLUMNS: &[&str] = &[
    "ID",
    "QR",
    "OpCode",
    "AA",
    "TC",
    "RD",
    "RA",
    "Z",
    "AD",
    "CD",
    "ResponseCode",
    "QDCount",
    "ANCount",
    "NSCount",
    "ARCount",
    "Questions",
    "Records",
    "RecordData",
];

/// The expected rows: one per `dns.id`. A packet holds several messages
/// only over TCP; their questions and records are split by the counts.
fn expected(p: &Pkt) -> Vec<Vec<String>> {
    let ids = p.all("dns.id");
    if ids.is_empty() {
        return Vec::new();
    }
    let at = |f: &str, k: usize| p.nth(f, k).map(num).unwrap_or_else(|| "?".into());
    let flag = |f: &str, k: usize| p.nth(f, k).map(boolean).unwrap_or_default();
    let (qnames, qtypes) = (p.all("dns.qry.name"), p.all("dns.qry.type"));
    let rrs = tshark_records(p);
    let (mut q_at, mut rr_at, mut resp_k) = (0, 0, 0);
    let mut rows = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let flags: u16 = at("dns.flags", k).parse().unwrap_or(0);
        let bit = |mask: u16| if flags & mask != 0 { "1" } else { "0" }.to_string();
        let qr = flag("dns.flags.response", k);
        // AA, RA, RCODE: tshark's fields for responses, the flag bits for queries.
        let (aa, ra, rcode) = if qr == "1" {
            resp_k += 1;
            let r = resp_k - 1;
            (flag("dns.flags.authoritative", r), flag("dns.flags.recavail", r), at("dns.flags.rcode", r))
        } else {
            (bit(0x0400), bit(0x0080), (flags & 0xf).to_string())
        };
        let update = at("dns.flags.opcode", k) == "5";
        let count = |plain: &str, upd: &str| if update { at(upd, k) } else { at(plain, k) };
        let (qd, an, ns, ar) = (
            count("dns.count.queries", "dns.count.zones"),
            count("dns.count.answers", "dns.count.prerequisites"),
            count("dns.count.auth_rr", "dns.count.updates"),
            at("dns.count.add_rr", k),
        );
        // The last message takes whatever is left.
        let last = k + 1 == ids.len();
        let n_q = if last { qnames.len().saturating_sub(q_at) } else { qd.parse().unwrap_or(0) };
        let n_rr = if last {
            rrs.len().saturating_sub(rr_at)
        } else {
            [&an, &ns, &ar].iter().map(|c| c.parse::<usize>().unwrap_or(0)).sum()
        };
        let questions: Vec<String> = (q_at..q_at + n_q)
            .map(|i| format!("{}/{}", qnames.get(i).unwrap_or(&"?"), qtypes.get(i).map(|t| num(t)).unwrap_or_default()))
            .collect();
        let mine = rrs.get(rr_at..(rr_at + n_rr).min(rrs.len())).unwrap_or_default();
        q_at += n_q;
        rr_at += n_rr;
        rows.push(vec![
            num(id),
            qr,
            at("dns.flags.opcode", k),
            aa,
            flag("dns.flags.truncated", k),
            flag("dns.flags.recdesired", k),
            ra,
            bit(0x0040),
            bit(0x0020),
            bit(0x0010),
            rcode,
            qd,
            an,
            ns,
            ar,
            questions.join(","),
            mine.iter().map(|r| r.0.as_str()).collect::<Vec<_>>().join(","),
            mine.iter().map(|r| r.1.as_str()).collect::<Vec<_>>().join(","),
        ]);
    }
    rows
}

/// A packet's resource records as tshark shows them, in order: "name/type"
/// and the decoded data (see [`data_text`]). Each RDATA field occurs once
/// per record of its type, so a cursor per field follows the records.
/// SRV records have no `dns.resp.name`: their owner name is joined back
/// from `dns.srv.service`, `.proto` and `.name`. mDNS shows an OPT's class
/// as a 15-bit payload size and the cache-flush bit (one per record).
fn tshark_records(p: &Pkt) -> Vec<(String, String)> {
    let mut cursors: std::collections::HashMap<&'static str, usize> = Default::default();
    let mut next = |f: &'static str| -> String {
        let i = cursors.entry(f).or_default();
        *i += 1;
        p.nth(f, *i - 1).unwrap_or("?").to_string()
    };
    let mdns = p.protocols().contains(&"mdns");
    let mut out = Vec::new();
    for (i, t) in p.all("dns.resp.type").into_iter().enumerate() {
        let t = num(t);
        let name = if t == "33" {
            let parts = [next("dns.srv.service"), next("dns.srv.proto"), next("dns.srv.name")];
            parts.into_iter().filter(|s| s != "?").collect::<Vec<_>>().join(".")
        } else {
            next("dns.resp.name")
        };
        let data = match t.as_str() {
            "1" => ip(&next("dns.a")),
            "28" => ip(&next("dns.aaaa")),
            "2" => next("dns.ns"),
            "5" => next("dns.cname"),
            "12" => next("dns.ptr.domain_name"),
            "15" => format!("{} {}", num(&next("dns.mx.preference")), next("dns.mx.mail_exchange")),
            "33" => {
                let f = ["dns.srv.priority", "dns.srv.weight", "dns.srv.port"].map(|f| num(&next(f)));
                format!("{} {}", f.join(" "), next("dns.srv.target"))
            }
            "6" => {
                let names = [next("dns.soa.mname"), next("dns.soa.rname")];
                let numbers = [
                    "dns.soa.serial_number",
                    "dns.soa.refresh_interval",
                    "dns.soa.retry_interval",
                    "dns.soa.expire_limit",
                    "dns.soa.minimum_ttl",
                ]
                .map(|f| num(&next(f)));
                format!("{} {}", names.join(" "), numbers.join(" "))
            }
            "41" => {
                let mut size: u64 = num(&next("dns.rr.udp_payload_size")).parse().unwrap_or(0);
                if mdns && p.nth("dns.resp.cache_flush", i).map(boolean).as_deref() == Some("1") {
                    size |= 0x8000;
                }
                let codes: Vec<String> = p.all("dns.opt.code").into_iter().map(num).collect();
                format!(
                    "{size} {} {} {} [{}]",
                    num(&next("dns.resp.ext_rcode")),
                    num(&next("dns.resp.edns0_version")),
                    boolean(&next("dns.resp.z.do")),
                    codes.join(" ")
                )
            }
            _ => String::new(),
        };
        out.push((format!("{name}/{t}"), data));
    }
    out
}

/// The decoded RDATA of one netcap record, as [`tshark_records`] puts it.
fn data_text(r: &DynamicMessage) -> String {
    let s = |f: &str| field_str(r, f);
    let sub = |f: &str, parts: &[&str]| {
        field_list(r, f).first().map(|m| parts.iter().map(|p| field_str(m, p)).collect::<Vec<_>>().join(" "))
    };
    match s("Type").as_str() {
        "1" | "28" => s("IP"),
        "2" => s("NS"),
        "5" => s("CNAME"),
        "12" => s("PTR"),
        "15" => sub("MX", &["Preference", "Name"]).unwrap_or_default(),
        "33" => sub("SRV", &["Priority", "Weight", "Port", "Name"]).unwrap_or_default(),
        "6" => sub("SOA", &["MName", "RName", "Serial", "Refresh", "Retry", "Expire", "Minimum"]).unwrap_or_default(),
        "41" => {
            let codes: Vec<String> = field_list(r, "OPT").iter().map(|o| field_str(o, "Code")).collect();
            format!(
                "{} {} {} {} [{}]",
                s("UDPPayloadSize"),
                s("ExtendedRCode"),
                s("EDNSVersion"),
                s("DO"),
                codes.join(" ")
            )
        }
        _ => String::new(),
    }
}

fn actual(m: &DynamicMessage) -> Vec<String> {
    let s = |f: &str| field_str(m, f);
    let z: u8 = s("Z").parse().unwrap_or(0);
    let questions: Vec<String> = field_list(m, "Questions")
        .iter()
        .map(|q| format!("{}/{}", field_str(q, "Name"), field_str(q, "Type")))
        .collect();
    let rrs: Vec<DynamicMessage> =
        ["Answers", "Authorities", "Additionals"].iter().flat_map(|sec| field_list(m, sec)).collect();
    let records: Vec<String> =
        rrs.iter().map(|r| format!("{}/{}", field_str(r, "Name"), field_str(r, "Type"))).collect();
    let data: Vec<String> = rrs.iter().map(data_text).collect();
    vec![
        s("ID"),
        s("QR"),
        s("OpCode"),
        s("AA"),
        s("TC"),
        s("RD"),
        s("RA"),
        (z >> 2 & 1).to_string(),
        s("AD"),
        s("CD"),
        s("ResponseCode"),
        s("QDCount"),
        s("ANCount"),
        s("NSCount"),
        s("ARCount"),
        questions.join(","),
        records.join(","),
        data.join(","),
    ]
}

/// Drops every expected row of the packet.
fn no_record(_: &Pkt, rows: &mut Vec<Vec<String>>) -> bool {
    let had = !rows.is_empty();
    rows.clear();
    had
}

/// Column indexes of the question and record lists in a row.
const QUESTIONS: usize = 15;
const RECORDS: usize = 16;

/// A first question name that tshark prints as "<Name too long>" (and
/// reads on after): netcap refuses it and ends the parsing there.
#[allow(clippy::ptr_arg)] // the signature of `Exception::apply`
fn overlong_first_name(_: &Pkt, rows: &mut Vec<Vec<String>>) -> bool {
    let mut applied = false;
    for row in rows.iter_mut().filter(|r| r[QUESTIONS].starts_with("<Name too long>/")) {
        row[QUESTIONS].clear();
        row[RECORDS].clear();
        row[RECORDS + 1].clear();
        applied = true;
    }
    applied
}

const EXCEPTIONS: &[Exception] = &[
    Exception {
        capture: "zeek/testing/btest/Traces/dns-inverse-query.pcap",
        reason: "DNS over TCP (over FDDI) whose 2-byte length prefix (00 1b) is frame 4's only payload \
                 and whose 27-byte message is frame 6: without desegmentation tshark reads the \
                 message's ID (87 ee) as a length and shows a message of ID 0x0980 (2432) from the \
                 flags onward; netcap decodes no message from a segment that does not hold one whole \
                 (stream reassembly is a later stage)",
        apply: |_, rows| {
            let before = rows.len();
            rows.retain(|r| r.first().map(String::as_str) != Some("2432"));
            rows.len() != before
        },
    },
    Exception {
        capture: "tcpdump/tests/LINKTYPE_IPV4_invalid.pcap",
        reason: "frame 1: link type IPV4 (228) whose packet starts 60 00 00 00, an IPv6 header; \
                 tshark reads it as IPv6 anyway, netcap's IPv4 link type fails with 'IPv4: bad \
                 version 6' (errors.log) before UDP",
        apply: no_record,
    },
    Exception {
        capture: "tcpdump/tests/rtp-seg-fault-1.pcapng",
        reason: "frame 1: the IPv4 total length (0x25 = 37) leaves 9 bytes of UDP payload \
                 (30 9f 12 2c e3 70 90 44 03), less than the 12-byte DNS header; tshark shows \
                 the partial header as malformed, netcap reports 'DNS: truncated header: need \
                 12 bytes, have 9' in errors.log and writes no record",
        apply: no_record,
    },
    Exception {
        capture: "tcpdump/tests/dns_fwdptr.pcap",
        reason: "frame 1: the first question's name (offset 12: 01 fb 03 01 fb 03 ...) ends after \
                 34 bytes of labels in the pointer fb 03 at offset 46, which points forward to \
                 offset 0x3b03 = 15107; tshark follows it into labels that run past 255 bytes, \
                 prints '<Name too long>' and reads on (10518 questions, each the same pointer); \
                 netcap refuses forward pointers and ends the parsing: no question, no record",
        apply: overlong_first_name,
    },
    Exception {
        capture: "tcpdump/tests/dns-badlabel.pcap",
        reason: "frame 1: the first question's labels (offset 12: 01 fb 03 01 fb 03 ...) pass \
                 255 bytes (RFC 1035 3.1) at offset 270 with no root label; tshark prints \
                 '<Name too long>' for it and then fails, netcap refuses the name and ends the \
                 parsing: no question, no record",
        apply: overlong_first_name,
    },
    Exception {
        capture: "tcpdump/tests/dns_udp_8053.pcap",
        reason: "UDP port 8053 (frames 1-2): tshark's heuristic DNS dissector (on by default for \
                 UDP) takes any payload that looks like DNS; netcap decodes DNS on its ports \
                 53, 5353 and 5355 only, as it does every port-selected protocol",
        apply: no_record,
    },
    Exception {
        capture: "tcpdump/tests/someip1.pcap",
        reason: "UDP 30490/31490 is SOME/IP service discovery (frames 1-3, payloads \
                 start ffff8100: SOME/IP-SD message ID 0xffff8100); tshark's heuristic DNS \
                 dissector reads it as a malformed DNS message; netcap does not look for DNS \
                 off its ports",
        apply: no_record,
    },
];

pub const DNS: Spec = Spec {
    record: "DNS",
    protocols: &["dns", "mdns", "llmnr"],
    fields: &[
        "dns.id",
        "dns.flags",
        "dns.flags.response",
        "dns.flags.opcode",
        "dns.flags.authoritative",
        "dns.flags.truncated",
        "dns.flags.recdesired",
        "dns.flags.recavail",
        "dns.flags.rcode",
        "dns.count.queries",
        "dns.count.zones",
        "dns.count.answers",
        "dns.count.prerequisites",
        "dns.count.auth_rr",
        "dns.count.updates",
        "dns.count.add_rr",
        "dns.qry.name",
        "dns.qry.type",
        "dns.resp.name",
        "dns.resp.type",
        "dns.srv.service",
        "dns.srv.proto",
        "dns.srv.name",
        "dns.srv.priority",
        "dns.srv.weight",
        "dns.srv.port",
        "dns.srv.target",
        "dns.a",
        "dns.aaaa",
        "dns.ns",
        "dns.cname",
        "dns.ptr.domain_name",
        "dns.mx.preference",
        "dns.mx.mail_exchange",
        "dns.soa.mname",
        "dns.soa.rname",
        "dns.soa.serial_number",
        "dns.soa.refresh_interval",
        "dns.soa.retry_interval",
        "dns.soa.expire_limit",
        "dns.soa.minimum_ttl",
        "dns.rr.udp_payload_size",
        "dns.resp.cache_flush",
        "dns.resp.ext_rcode",
        "dns.resp.edns0_version",
        "dns.resp.z.do",
        "dns.opt.code",
    ],
    // netcap reassembles IP fragments and decodes a fragmented DNS message
    // once, whole, at its last fragment, as tshark does by default.
    prefs: &["ip.defragment:TRUE", "ipv6.defragment:TRUE"],
    columns: COLUMNS,
    expected,
    actual,
    exceptions: EXCEPTIONS,
};

#[test]
fn dns_agrees_with_tshark() {
    layers::run(&DNS)
}

/// A DNS response with `strings` TXT strings of 200 bytes: a message that
/// needs fragments on common MTUs.
fn txt_response(id: u16, strings: usize) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    m.extend_from_slice(b"\x01a\x07example\x00\x00\x10\x00\x01");
    let rdata: Vec<u8> = (0..strings).flat_map(|i| [&[200u8][..], &[b'a' + i as u8; 200]].concat()).collect();
    m.extend_from_slice(&[0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60]);
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(&rdata);
    m
}

/// Ethernet II and an IPv6 header (fd00::53 -> fd00::1) before `payload`,
/// whose first header is `next_header`.
fn ipv6_frame(next_header: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x60, 0, 0, 0];
    f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    f.extend_from_slice(&[next_header, 64]);
    f.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53]);
    f.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    f.extend_from_slice(payload);
    f
}

/// UDP from port 53 to 40000 around `message` (checksum 0: neither side
/// checks it).
fn udp_from_53(message: &[u8]) -> Vec<u8> {
    let mut u = vec![0, 53, 0x9c, 0x40];
    u.extend_from_slice(&(8 + message.len() as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(message);
    u
}

/// An IPv6 Fragment header (next header UDP) before `data`.
fn fragment(id: u32, offset_bytes: usize, more: bool, data: &[u8]) -> Vec<u8> {
    let word = ((offset_bytes / 8) as u16) << 3 | u16::from(more);
    let mut h = vec![17, 0];
    h.extend_from_slice(&word.to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(data);
    h
}

/// An IPv6 atomic fragment (a Fragment header with offset 0 and no more
/// fragments, RFC 6946) is processed on its own: one DNS record at its
/// frame, as tshark shows it, not a second one from reassembly. Beside it,
/// a message in two fragments (one record at the last, as tshark's
/// reassembly shows it) and one without a Fragment header.
#[test]
fn an_ipv6_atomic_fragment_gives_one_dns_record() {
    let dir = std::env::temp_dir().join(format!("netcap-dns-atomic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let atomic = ipv6_frame(44, &fragment(1, 0, false, &udp_from_53(&txt_response(1, 2))));
    let split = udp_from_53(&txt_response(2, 5));
    let first = ipv6_frame(44, &fragment(2, 0, true, &split[..512]));
    let last = ipv6_frame(44, &fragment(2, 512, false, &split[512..]));
    let whole = ipv6_frame(17, &udp_from_53(&txt_response(3, 1)));
    let packets: Vec<crate::pcap_rewrite::Packet> = [atomic, first, last, whole]
        .into_iter()
        .enumerate()
        .map(|(i, frame)| {
            let wire = frame.len() as u32;
            (1_700_000_000 + i as u32, 0, frame, wire)
        })
        .collect();
    let path = dir.join("atomic-fragment.pcap");
    crate::pcap_rewrite::write_pcap(&path, 1, &packets);
    let (netcap, tshark, missing) = layers::run_on(&DNS, &path);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((netcap, tshark), (3, 3), "DNS records (netcap, tshark); rows only one side has: {missing:#?}");
    assert!(missing.is_empty(), "rows only one side has: {missing:#?}");
}

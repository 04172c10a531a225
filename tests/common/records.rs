//! netcap's side: run the binary on a capture and read its records as rows.

use super::{bool_text, hex_bytes, ip, type_index, Row, TYPES};
use netcap::container::RecordReader;
use netcap::schema::pb;
use prost::Message;
use std::path::Path;
use std::process::Command;

/// Runs netcap on `capture`, writing uncompressed record files of the
/// compared types into `out_dir`. Returns netcap's stderr.
pub fn run(capture: &Path, out_dir: &Path) -> String {
    let include: Vec<&str> = TYPES.iter().map(|(n, _)| *n).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_netcap"))
        .arg("-r")
        .arg(capture)
        .arg("-out")
        .arg(out_dir)
        .args(["-quiet", "-comp=false", "-workers", "1", "-include"])
        .arg(include.join(","))
        .output()
        .unwrap_or_else(|e| panic!("cannot run netcap: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "netcap failed on {} ({}): {stderr}", capture.display(), out.status);
    stderr
}

fn t(ts: i64) -> Option<String> {
    Some(ts.to_string())
}
fn d(v: impl ToString) -> Option<String> {
    Some(v.to_string())
}
fn b(v: bool) -> Option<String> {
    Some(bool_text(v))
}

/// netcap's address text, normalised as tshark's is: an IP address stays
/// one, anything else (hex of odd sizes, MACs) becomes bare hex digits.
fn addr(s: &str) -> Option<String> {
    if s.parse::<std::net::IpAddr>().is_ok() {
        Some(ip(s))
    } else {
        Some(hex_bytes(s))
    }
}

/// Every record of `type_name` in `dir`, as rows (none if the file is absent).
pub fn read(dir: &Path, type_name: &str) -> Vec<Row> {
    let path = dir.join(format!("{type_name}.ncap"));
    if !path.exists() {
        return Vec::new();
    }
    let ty = type_index(type_name);
    let mut reader = RecordReader::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reader.header().r#type, type_name, "header type of {}", path.display());
    let mut buf = Vec::new();
    let mut rows = Vec::new();
    while reader.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        let fields =
            decode(type_name, &buf).unwrap_or_else(|e| panic!("{}: bad {type_name} record: {e}", path.display()));
        assert_eq!(fields.len(), TYPES[ty].1.len(), "field list of {type_name}");
        rows.push(Row { ty, frame: frame_number(type_name, &buf), fields });
    }
    rows
}

/// The record's `FrameNumber`, read through the schema (the generated
/// structs leave it out: the emitter appends it, see build.rs).
fn frame_number(type_name: &str, buf: &[u8]) -> u64 {
    let desc = netcap::schema::message(type_name).unwrap_or_else(|| panic!("{type_name} is not in the schema"));
    let m = prost_reflect::DynamicMessage::decode(desc, buf).unwrap_or_else(|e| panic!("{type_name}: {e}"));
    m.get_field_by_name("FrameNumber").and_then(|v| v.as_u64()).unwrap_or(0)
}

fn decode(type_name: &str, buf: &[u8]) -> Result<Vec<Option<String>>, prost::DecodeError> {
    Ok(match type_name {
        "Ethernet" => {
            let r = pb::Ethernet::decode(buf)?;
            vec![t(r.timestamp), Some(hex_bytes(&r.src_mac)), Some(hex_bytes(&r.dst_mac)), d(r.ethernet_type)]
        }
        "Dot1Q" => {
            let r = pb::Dot1Q::decode(buf)?;
            vec![t(r.timestamp), d(r.priority), b(r.drop_eligible), d(r.vlan_identifier), d(r.r#type)]
        }
        "ARP" => {
            let r = pb::Arp::decode(buf)?;
            vec![
                t(r.timestamp),
                d(r.addr_type),
                d(r.protocol),
                d(r.hw_address_size),
                d(r.prot_address_size),
                d(r.operation),
                Some(hex_bytes(&r.src_hw_address)),
                addr(&r.src_prot_address),
                Some(hex_bytes(&r.dst_hw_address)),
                addr(&r.dst_prot_address),
            ]
        }
        "IPv4" => {
            let r = pb::IPv4::decode(buf)?;
            vec![
                t(r.timestamp),
                d(r.version),
                d(r.ihl),
                d(r.tos),
                d(r.length),
                d(r.id),
                d(r.flags),
                d(r.frag_offset),
                d(r.ttl),
                d(r.protocol),
                d(r.checksum),
                addr(&r.src_ip),
                addr(&r.dst_ip),
            ]
        }
        "IPv6" => {
            let r = pb::IPv6::decode(buf)?;
            vec![
                t(r.timestamp),
                d(r.version),
                d(r.traffic_class),
                d(r.flow_label),
                d(r.length),
                d(r.next_header),
                d(r.hop_limit),
                addr(&r.src_ip),
                addr(&r.dst_ip),
            ]
        }
        "IPv6Fragment" => {
            let r = pb::IPv6Fragment::decode(buf)?;
            vec![
                t(r.timestamp),
                d(r.next_header),
                d(r.reserved1),
                d(r.fragment_offset),
                d(r.reserved2),
                b(r.more_fragments),
                d(r.identification),
            ]
        }
        "TCP" => {
            let r = pb::Tcp::decode(buf)?;
            vec![
                t(r.timestamp),
                d(r.src_port),
                d(r.dst_port),
                d(r.seq_num),
                d(r.ack_num),
                d(r.data_offset),
                b(r.fin),
                b(r.syn),
                b(r.rst),
                b(r.psh),
                b(r.ack),
                b(r.urg),
                b(r.ece),
                b(r.cwr),
                b(r.ns),
                d(r.window),
                d(r.checksum),
                d(r.urgent),
                d(r.payload_size),
            ]
        }
        "UDP" => {
            let r = pb::Udp::decode(buf)?;
            vec![t(r.timestamp), d(r.src_port), d(r.dst_port), d(r.length), d(r.checksum)]
        }
        "ICMPv4" => {
            let r = pb::IcmPv4::decode(buf)?;
            let echo = matches!(r.type_code >> 8, 0 | 8);
            vec![
                t(r.timestamp),
                d(r.type_code),
                d(r.checksum),
                if echo { d(r.id) } else { None },
                if echo { d(r.seq) } else { None },
            ]
        }
        "ICMPv6" => {
            let r = pb::IcmPv6::decode(buf)?;
            vec![t(r.timestamp), d(r.type_code), d(r.checksum)]
        }
        "ICMPv6Echo" => {
            let r = pb::IcmPv6Echo::decode(buf)?;
            vec![t(r.timestamp), d(r.identifier), d(r.seq_number)]
        }
        "ICMPv6NeighborSolicitation" => {
            let r = pb::IcmPv6NeighborSolicitation::decode(buf)?;
            vec![t(r.timestamp), addr(&r.target_address)]
        }
        "ICMPv6NeighborAdvertisement" => {
            let r = pb::IcmPv6NeighborAdvertisement::decode(buf)?;
            vec![t(r.timestamp), d(r.flags), addr(&r.target_address)]
        }
        "ICMPv6RouterSolicitation" => {
            let r = pb::IcmPv6RouterSolicitation::decode(buf)?;
            vec![t(r.timestamp)]
        }
        "ICMPv6RouterAdvertisement" => {
            let r = pb::IcmPv6RouterAdvertisement::decode(buf)?;
            vec![
                t(r.timestamp),
                d(r.hop_limit),
                d(r.flags),
                d(r.router_lifetime),
                d(r.reachable_time),
                d(r.retrans_timer),
            ]
        }
        other => panic!("no reader for record type {other}"),
    })
}

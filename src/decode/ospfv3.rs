//! OSPFv3 (RFC 5340), IP protocol 89, normally over IPv6; the dispatch
//! tells it from OSPFv2 by the version byte ([`super::ospfv2::version`]).
//!
//! The 16-byte header has no authentication fields (RFC 5340 A.3.1; an
//! RFC 7166 authentication trailer follows the packet and is not read).
//! The body is read up to the Packet Length, and the walk over LSAs is
//! OSPFv2's ([`super::ospfv2::walk_lsas`]): the LSA header has the same
//! size and the Length field at the same offset, only the options byte
//! became part of a 16-bit LS type. LSA bodies are decoded for the
//! function codes of RFC 5340 A.4; prefixes (A.4.1) are shown as IPv6 text
//! padded with zeros, as tshark shows them.

use super::ospfv2::{be24, lsa_headers, packet_body, walk_lsas, HELLO_LEN, LSA_HEADER_LEN};
use super::ospfv2::{TYPE_DB_DESC, TYPE_HELLO, TYPE_LS_ACK, TYPE_LS_REQUEST, TYPE_LS_UPDATE};
use super::wire::{be16, be32, ipv4_string, ipv6_string, u8_at};
use super::{DecodeError, EncodeConfig, ErrorKind};
use crate::schema::pb;

pub const HEADER_LEN: usize = 16;
/// Fixed part of a Database Description body (options to DD sequence number).
const DB_DESC_LEN: usize = 12;

/// An OSPFv3 packet whose 16-byte header is present and whose version is 3.
#[derive(Clone, Copy)]
pub struct Ospfv3Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Ospfv3Packet<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("OSPFv3", HEADER_LEN, buf.len()));
        }
        let p = Ospfv3Packet { buf };
        if p.version() != 3 {
            return Err(DecodeError { layer: "OSPFv3", kind: ErrorKind::BadVersion(p.version()) });
        }
        Ok(p)
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    pub fn packet_type(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    pub fn packet_length(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn router_id(&self) -> &'a [u8] {
        self.buf.get(4..8).unwrap_or_default()
    }
    pub fn area_id(&self) -> &'a [u8] {
        self.buf.get(8..12).unwrap_or_default()
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 12)
    }
    pub fn instance_id(&self) -> u8 {
        u8_at(self.buf, 14)
    }
    pub fn reserved(&self) -> u8 {
        u8_at(self.buf, 15)
    }
    /// The bytes after the header, up to the Packet Length.
    pub fn body(&self) -> &'a [u8] {
        packet_body(self.buf, HEADER_LEN)
    }
}

fn ip(b: &[u8], off: usize) -> String {
    ipv4_string(b.get(off..off + 4).unwrap_or_default())
}

fn tail(b: &[u8], from: usize) -> &[u8] {
    b.get(from..).unwrap_or_default()
}

fn hello(b: &[u8]) -> pb::OspFv3Hello {
    pb::OspFv3Hello {
        interface_id: be32(b, 0),
        rtr_priority: i32::from(u8_at(b, 4)),
        options: be24(b, 5),
        hello_interval: i32::from(be16(b, 8)),
        router_dead_interval: i32::from(be16(b, 10)),
        designated_router: ip(b, 12),
        backup_designated_router: ip(b, 16),
        neighbors: tail(b, 20).chunks_exact(4).map(ipv4_string).collect(),
    }
}

fn db_desc(b: &[u8]) -> pb::OspFv3DbDesc {
    pb::OspFv3DbDesc {
        options: be24(b, 1),
        interface_mtu: i32::from(be16(b, 4)),
        flags: i32::from(u8_at(b, 7)),
        dd_seq_number: be32(b, 8),
        lsa_headers: lsa_headers(tail(b, 12)).map(|h| lsa(h, false)).collect(),
    }
}

fn ls_requests(b: &[u8]) -> Vec<pb::OspFv3LsRequest> {
    b.chunks_exact(12)
        .map(|r| pb::OspFv3LsRequest { ls_type: i32::from(be16(r, 2)), link_state_id: ip(r, 4), adv_router: ip(r, 8) })
        .collect()
}

fn ls_update(b: &[u8]) -> pb::OspFv3LsUpdate {
    let count = be32(b, 0);
    pb::OspFv3LsUpdate {
        num_of_ls_as: count,
        ls_as: walk_lsas(tail(b, 4), count).into_iter().map(|l| lsa(l, true)).collect(),
    }
}

/// One prefix at the start of `b` (RFC 5340 A.4.1): length, options, a
/// 16-bit field, then the prefix in whole 32-bit words. Returns it and the
/// bytes it took, or `None` when the bytes end first.
fn prefix(b: &[u8]) -> Option<(pb::OspFv3Prefix, usize)> {
    let plen = u8_at(b, 0);
    let words = usize::from(plen).div_ceil(32);
    let size = 4 + words * 4;
    let bytes = b.get(4..size)?;
    let mut addr = [0u8; 16];
    // A length above 128 claims more than an address: keep the first 16 bytes.
    for (d, s) in addr.iter_mut().zip(bytes) {
        *d = *s;
    }
    Some((
        pb::OspFv3Prefix {
            prefix_length: i32::from(plen),
            prefix_options: i32::from(u8_at(b, 1)),
            metric: i32::from(be16(b, 2)),
            address_prefix: ipv6_string(&addr),
        },
        size,
    ))
}

/// Up to `count` prefixes, as many as the bytes hold.
fn prefixes(mut b: &[u8], count: usize) -> Vec<pb::OspFv3Prefix> {
    let mut out = Vec::new();
    while out.len() < count {
        let Some((p, size)) = prefix(b) else { break };
        out.push(p);
        b = tail(b, size);
    }
    out
}

fn router_lsa(b: &[u8]) -> pb::OspFv3RouterLsa {
    pb::OspFv3RouterLsa {
        flags: i32::from(u8_at(b, 0)),
        options: be24(b, 1),
        links: tail(b, 4)
            .chunks_exact(16)
            .map(|l| pb::OspFv3RouterLink {
                r#type: i32::from(u8_at(l, 0)),
                metric: i32::from(be16(l, 2)),
                interface_id: be32(l, 4),
                neighbor_interface_id: be32(l, 8),
                neighbor_router_id: ip(l, 12),
            })
            .collect(),
    }
}

fn as_external_lsa(b: &[u8]) -> pb::OspFv3AsExternalLsa {
    let flags = u8_at(b, 0);
    let mut out = pb::OspFv3AsExternalLsa { flags: i32::from(flags), metric: be24(b, 1), ..Default::default() };
    let Some((p, size)) = prefix(tail(b, 4)) else {
        return out;
    };
    // The 16 bits after the prefix options are the referenced LS type here.
    out.referenced_ls_type = p.metric;
    out.prefix = Some(pb::OspFv3Prefix { metric: 0, ..p });
    let mut rest = tail(b, 4 + size);
    if flags & 0x02 != 0 {
        if let Some(a) = rest.get(..16) {
            out.forwarding_address = ipv6_string(a);
        }
        rest = tail(rest, 16);
    }
    if flags & 0x01 != 0 {
        out.external_route_tag = be32(rest, 0);
        rest = tail(rest, 4);
    }
    if out.referenced_ls_type != 0 {
        out.referenced_link_state_id = ip(rest, 0);
    }
    out
}

/// One LSA (`full`: an LS Update's, with its body; else a header only).
fn lsa(l: &[u8], full: bool) -> pb::OspFv3Lsa {
    let ls_type = be16(l, 2);
    let body = if full { tail(l, LSA_HEADER_LEN) } else { &[] };
    let mut out = pb::OspFv3Lsa {
        ls_age: i32::from(be16(l, 0)),
        ls_type: i32::from(ls_type),
        link_state_id: ip(l, 4),
        adv_router: ip(l, 8),
        ls_seq_number: be32(l, 12),
        ls_checksum: i32::from(be16(l, 16)),
        length: i32::from(be16(l, 18)),
        ..Default::default()
    };
    if !full {
        return out;
    }
    // The function code: the type without the U bit and flooding scope.
    match ls_type & 0x1fff {
        1 => out.router = Some(router_lsa(body)),
        2 => {
            out.network = Some(pb::OspFv3NetworkLsa {
                options: be24(body, 1),
                attached_routers: tail(body, 4).chunks_exact(4).map(ipv4_string).collect(),
            })
        }
        3 => {
            out.inter_area_prefix = Some(pb::OspFv3InterAreaPrefixLsa {
                metric: be24(body, 1),
                prefix: prefix(tail(body, 4)).map(|(p, _)| pb::OspFv3Prefix { metric: 0, ..p }),
            })
        }
        4 => {
            out.inter_area_router = Some(pb::OspFv3InterAreaRouterLsa {
                options: be24(body, 1),
                metric: be24(body, 5),
                destination_router_id: ip(body, 8),
            })
        }
        5 | 7 => out.as_external = Some(as_external_lsa(body)),
        8 => {
            let count = be32(body, 20);
            out.link = Some(pb::OspFv3LinkLsa {
                rtr_priority: i32::from(u8_at(body, 0)),
                options: be24(body, 1),
                link_local_address: body.get(4..20).map(ipv6_string).unwrap_or_default(),
                num_of_prefixes: count,
                prefixes: prefixes(tail(body, 24), count as usize),
            })
        }
        9 => {
            let count = be16(body, 0);
            out.intra_area_prefix = Some(pb::OspFv3IntraAreaPrefixLsa {
                num_of_prefixes: i32::from(count),
                ref_ls_type: i32::from(be16(body, 2)),
                ref_link_state_id: ip(body, 4),
                ref_adv_router: ip(body, 8),
                prefixes: prefixes(tail(body, 12), usize::from(count)),
            })
        }
        _ => out.body = body.to_vec(),
    }
    out
}

pub fn record(v: &Ospfv3Packet, timestamp: i64, _cfg: &EncodeConfig) -> pb::OspFv3 {
    let body = v.body();
    let mut out = pb::OspFv3 {
        timestamp,
        version: i32::from(v.version()),
        r#type: i32::from(v.packet_type()),
        packet_length: i32::from(v.packet_length()),
        router_id: ipv4_string(v.router_id()),
        area_id: ipv4_string(v.area_id()),
        checksum: i32::from(v.checksum()),
        instance: i32::from(v.instance_id()),
        reserved: i32::from(v.reserved()),
        ..Default::default()
    };
    // A Hello, DB Description or LS Update cut inside its fixed part is
    // not reported (tshark stops at the first missing field).
    match v.packet_type() {
        TYPE_HELLO if body.len() >= HELLO_LEN => out.hello = Some(hello(body)),
        TYPE_DB_DESC if body.len() >= DB_DESC_LEN => out.db_desc = Some(db_desc(body)),
        TYPE_LS_REQUEST => out.lsr = ls_requests(body),
        TYPE_LS_UPDATE if body.len() >= 4 => out.lsu = Some(ls_update(body)),
        TYPE_LS_ACK => out.ls_as = lsa_headers(body).map(|h| lsa(h, false)).collect(),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(buf: &[u8]) -> pb::OspFv3 {
        let v = Ospfv3Packet::new_checked(buf).expect("valid");
        record(&v, 3, &EncodeConfig::default())
    }

    // tcpdump/tests/OSPFv3_broadcast_adjacency.pcap frame 6: Hello with one neighbor.
    const HELLO: [u8; 40] = [
        0x03, 0x01, 0x00, 0x28, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0xf5, 0x78, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x05, 0x01, 0x00, 0x00, 0x13, 0x00, 0x0a, 0x00, 0x28, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x02, 0x02, 0x02,
    ];
    // OSPFv3_broadcast_adjacency.pcap frame 10: DB Description with 6 LSA headers.
    const DB_DESC: [u8; 148] = [
        0x03, 0x02, 0x00, 0x94, 0x02, 0x02, 0x02, 0x02, 0x00, 0x00, 0x00, 0x01, 0x78, 0x67, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x13, 0x05, 0xdc, 0x00, 0x03, 0x00, 0x00, 0x1d, 0x47, 0x00, 0x04, 0x20, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x02, 0xb3, 0x54, 0x00, 0x18, 0x00, 0x05, 0x20, 0x03, 0x00, 0x00,
        0x00, 0x00, 0x02, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x01, 0xef, 0xd7, 0x00, 0x24, 0x00, 0x05, 0x20, 0x03,
        0x00, 0x00, 0x00, 0x01, 0x02, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x01, 0xcd, 0xba, 0x00, 0x24, 0x00, 0x05,
        0x20, 0x03, 0x00, 0x00, 0x00, 0x02, 0x02, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x01, 0x9c, 0x11, 0x00, 0x24,
        0x00, 0x05, 0x20, 0x03, 0x00, 0x00, 0x00, 0x03, 0x02, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x01, 0x44, 0x73,
        0x00, 0x24, 0x00, 0x04, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05, 0x02, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x01,
        0x54, 0x33, 0x00, 0x2c,
    ];
    // OSPFv3_broadcast_adjacency.pcap frame 12: LS Request for 7 LSAs.
    const LS_REQUEST: [u8; 100] = [
        0x03, 0x03, 0x00, 0x64, 0x02, 0x02, 0x02, 0x02, 0x00, 0x00, 0x00, 0x01, 0x2c, 0x9a, 0x00, 0x00, 0x00, 0x00,
        0x20, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x20, 0x03, 0x00, 0x00, 0x00, 0x03,
        0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x20, 0x03, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00,
        0x20, 0x03, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x20, 0x03, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00,
        0x20, 0x09, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01,
    ];
    // OSPFv3_broadcast_adjacency.pcap frame 15: LS Update with router,
    // 4 inter-area-prefix, link and intra-area-prefix LSAs.
    const LSU: [u8; 288] = [
        0x03, 0x04, 0x01, 0x20, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0xe5, 0x56, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x07, 0x00, 0x28, 0x20, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x80, 0x00, 0x00, 0x02,
        0xd1, 0x3a, 0x00, 0x18, 0x01, 0x00, 0x00, 0x33, 0x00, 0x29, 0x20, 0x03, 0x00, 0x00, 0x00, 0x03, 0x01, 0x01,
        0x01, 0x01, 0x80, 0x00, 0x00, 0x01, 0x62, 0x59, 0x00, 0x24, 0x00, 0x00, 0x00, 0x4a, 0x40, 0x00, 0x00, 0x00,
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x03, 0x00, 0x29, 0x20, 0x03, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01,
        0x01, 0x01, 0x80, 0x00, 0x00, 0x01, 0xba, 0xf6, 0x00, 0x24, 0x00, 0x00, 0x00, 0x54, 0x40, 0x00, 0x00, 0x00,
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x04, 0x00, 0x29, 0x20, 0x03, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01,
        0x01, 0x01, 0x80, 0x00, 0x00, 0x01, 0xeb, 0xa0, 0x00, 0x24, 0x00, 0x00, 0x00, 0x4a, 0x40, 0x00, 0x00, 0x00,
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x34, 0x00, 0x29, 0x20, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
        0x01, 0x01, 0x80, 0x00, 0x00, 0x01, 0x0e, 0xbd, 0x00, 0x24, 0x00, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x00,
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x23, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05, 0x01, 0x01,
        0x01, 0x01, 0x80, 0x00, 0x00, 0x02, 0x3d, 0x08, 0x00, 0x38, 0x01, 0x00, 0x00, 0x33, 0xfe, 0x80, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x40, 0x00,
        0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x12, 0x00, 0x23, 0x20, 0x09, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x01, 0x01, 0x01, 0x80, 0x00, 0x00, 0x01, 0xe8, 0xd2, 0x00, 0x2c, 0x00, 0x01, 0x20, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x40, 0x00, 0x00, 0x0a, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x12,
    ];
    // OSPFv3_broadcast_adjacency.pcap frame 19: LS Update with network,
    // 2 intra-area-prefix and router LSAs.
    const LSU2: [u8; 168] = [
        0x03, 0x04, 0x00, 0xa8, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0x72, 0x2a, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x04, 0x00, 0x01, 0x20, 0x02, 0x00, 0x00, 0x00, 0x05, 0x01, 0x01, 0x01, 0x01, 0x80, 0x00, 0x00, 0x01,
        0x27, 0xcc, 0x00, 0x20, 0x00, 0x00, 0x00, 0x33, 0x01, 0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x02, 0x00, 0x01,
        0x20, 0x09, 0x00, 0x00, 0x14, 0x00, 0x01, 0x01, 0x01, 0x01, 0x80, 0x00, 0x00, 0x01, 0x8f, 0x1c, 0x00, 0x2c,
        0x00, 0x01, 0x20, 0x02, 0x00, 0x00, 0x00, 0x05, 0x01, 0x01, 0x01, 0x01, 0x40, 0x00, 0x00, 0x00, 0x20, 0x01,
        0x0d, 0xb8, 0x00, 0x00, 0x00, 0x12, 0x0e, 0x10, 0x20, 0x09, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01,
        0x80, 0x00, 0x00, 0x02, 0x14, 0xf6, 0x00, 0x20, 0x00, 0x00, 0x20, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
        0x01, 0x01, 0x00, 0x01, 0x20, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x80, 0x00, 0x00, 0x03,
        0x55, 0x8b, 0x00, 0x28, 0x01, 0x00, 0x00, 0x33, 0x02, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00,
        0x00, 0x05, 0x01, 0x01, 0x01, 0x01,
    ];
    // OSPFv3_broadcast_adjacency.pcap frame 28: LS Acknowledgment of 2 LSAs.
    const LS_ACK: [u8; 56] = [
        0x03, 0x05, 0x00, 0x38, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0x67, 0x6e, 0x00, 0x00, 0x00, 0x05,
        0x20, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x03, 0x37, 0xa5, 0x00, 0x28,
        0x00, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05, 0x02, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x02, 0x35, 0x0b,
        0x00, 0x38,
    ];

    #[test]
    fn hello_as_tshark_shows_it() {
        assert_eq!(super::super::ospfv2::version(&HELLO), Some(3));
        let r = rec(&HELLO);
        assert_eq!(
            (r.version, r.r#type, r.packet_length, r.checksum, r.instance, r.reserved),
            (3, 1, 40, 0xf578, 0, 0)
        );
        assert_eq!((r.router_id.as_str(), r.area_id.as_str()), ("1.1.1.1", "0.0.0.1"));
        let h = r.hello.expect("hello");
        assert_eq!(
            (h.interface_id, h.rtr_priority, h.options, h.hello_interval, h.router_dead_interval),
            (5, 1, 0x13, 10, 40)
        );
        assert_eq!((h.designated_router.as_str(), h.backup_designated_router.as_str()), ("1.1.1.1", "0.0.0.0"));
        assert_eq!(h.neighbors, vec!["2.2.2.2"]);
    }

    #[test]
    fn db_description_and_request() {
        let d = rec(&DB_DESC).db_desc.expect("db desc");
        assert_eq!((d.options, d.interface_mtu, d.flags, d.dd_seq_number), (0x13, 1500, 0x03, 7495));
        let types: Vec<i32> = d.lsa_headers.iter().map(|h| h.ls_type).collect();
        assert_eq!(types, vec![0x2001, 0x2003, 0x2003, 0x2003, 0x2003, 0x0008]);
        assert_eq!((d.lsa_headers[5].link_state_id.as_str(), d.lsa_headers[5].length), ("0.0.0.5", 44));
        let r = rec(&LS_REQUEST);
        let types: Vec<i32> = r.lsr.iter().map(|q| q.ls_type).collect();
        assert_eq!(types, vec![0x2001, 0x2003, 0x2003, 0x2003, 0x2003, 0x0008, 0x2009]);
        assert_eq!((r.lsr[1].link_state_id.as_str(), r.lsr[1].adv_router.as_str()), ("0.0.0.3", "1.1.1.1"));
    }

    #[test]
    fn ls_update_bodies() {
        let u = rec(&LSU).lsu.expect("lsu");
        assert_eq!((u.num_of_ls_as, u.ls_as.len()), (7, 7));
        let router = &u.ls_as[0];
        assert_eq!(
            (router.ls_age, router.ls_type, router.ls_seq_number, router.ls_checksum, router.length),
            (40, 0x2001, 0x8000_0002, 0xd13a, 24)
        );
        let rt = router.router.as_ref().expect("router");
        assert_eq!((rt.flags, rt.options, rt.links.len()), (0x01, 0x33, 0));
        let iap = u.ls_as[1].inter_area_prefix.as_ref().expect("inter-area-prefix");
        let p = iap.prefix.as_ref().expect("prefix");
        assert_eq!(
            (iap.metric, p.prefix_length, p.prefix_options, p.address_prefix.as_str()),
            (74, 64, 0, "2001:db8:0:3::")
        );
        assert_eq!(
            u.ls_as[4].inter_area_prefix.as_ref().and_then(|x| x.prefix.as_ref()).map(|p| p.address_prefix.as_str()),
            Some("2001:db8::")
        );
        let link = u.ls_as[5].link.as_ref().expect("link");
        assert_eq!(
            (link.rtr_priority, link.options, link.link_local_address.as_str(), link.num_of_prefixes),
            (1, 0x33, "fe80::1", 1)
        );
        assert_eq!(link.prefixes[0].address_prefix, "2001:db8:0:12::");
        let intra = u.ls_as[6].intra_area_prefix.as_ref().expect("intra-area-prefix");
        assert_eq!(
            (intra.num_of_prefixes, intra.ref_ls_type, intra.ref_link_state_id.as_str(), intra.ref_adv_router.as_str()),
            (1, 0x2001, "0.0.0.0", "1.1.1.1")
        );
        assert_eq!((intra.prefixes[0].metric, intra.prefixes[0].address_prefix.as_str()), (10, "2001:db8:0:12::"));

        let u = rec(&LSU2).lsu.expect("lsu");
        let n = u.ls_as[0].network.as_ref().expect("network");
        assert_eq!((n.options, n.attached_routers.clone()), (0x33, vec!["1.1.1.1".to_string(), "2.2.2.2".to_string()]));
        assert_eq!(u.ls_as[1].link_state_id, "0.0.20.0");
        assert!(u.ls_as[2].intra_area_prefix.as_ref().expect("intra").prefixes.is_empty());
        let rt = u.ls_as[3].router.as_ref().expect("router");
        let l = &rt.links[0];
        assert_eq!(
            (l.r#type, l.metric, l.interface_id, l.neighbor_interface_id, l.neighbor_router_id.as_str()),
            (2, 10, 5, 5, "1.1.1.1")
        );
    }

    #[test]
    fn ls_ack_headers() {
        let r = rec(&LS_ACK);
        let got: Vec<(i32, i32, &str, &str, i32)> = r
            .ls_as
            .iter()
            .map(|h| (h.ls_age, h.ls_type, h.link_state_id.as_str(), h.adv_router.as_str(), h.length))
            .collect();
        assert_eq!(got, vec![(5, 0x2001, "0.0.0.0", "2.2.2.2", 40), (5, 0x0008, "0.0.0.5", "2.2.2.2", 56)]);
    }

    #[test]
    fn external_and_inter_area_router_bodies() {
        // RFC 5340 A.4.7: E, F and T set, metric 20, 2001:db8:1::/48 with
        // referenced LS type 0x2001, forwarding address, tag and referenced ID.
        let mut l = vec![0, 1, 0x40, 0x05, 0, 0, 0, 9, 1, 1, 1, 1, 0x80, 0, 0, 1, 0, 0, 0, 0];
        l.extend_from_slice(&[0x07, 0, 0, 20, 48, 0, 0x20, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0]);
        l.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
        l.extend_from_slice(&[0, 0, 0, 42, 10, 0, 0, 1]);
        let e = lsa(&l, true).as_external.expect("external");
        assert_eq!((e.flags, e.metric, e.referenced_ls_type), (7, 20, 0x2001));
        assert_eq!(e.prefix.as_ref().map(|p| (p.prefix_length, p.address_prefix.as_str())), Some((48, "2001:db8:1::")));
        assert_eq!(
            (e.forwarding_address.as_str(), e.external_route_tag, e.referenced_link_state_id.as_str()),
            ("fe80::9", 42, "10.0.0.1")
        );
        // A.4.6 inter-area-router: options 0x13, metric 7, router 9.9.9.9.
        let mut l = vec![0, 1, 0x20, 0x04, 0, 0, 0, 9, 1, 1, 1, 1, 0x80, 0, 0, 1, 0, 0, 0, 32];
        l.extend_from_slice(&[0, 0, 0, 0x13, 0, 0, 0, 7, 9, 9, 9, 9]);
        let r = lsa(&l, true).inter_area_router.expect("inter-area-router");
        assert_eq!((r.options, r.metric, r.destination_router_id.as_str()), (0x13, 7, "9.9.9.9"));
        // An unknown function code keeps the raw body.
        l[3] = 0x0c;
        assert_eq!(lsa(&l, true).body, vec![0, 0, 0, 0x13, 0, 0, 0, 7, 9, 9, 9, 9]);
    }

    #[test]
    fn hello_cut_in_its_fixed_part() {
        // tcpdump/tests/ospf6_decode_v3_asan.pcap frame 1: a Hello claiming
        // 257 bytes with one body byte; tshark shows the header only
        // (instance 82, reserved 0x45).
        let cut =
            [0x03, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x22, 0x00, 0xff, 0x02, 0x02, 0x8e, 0x15, 0x52, 0x45, 0x01];
        let r = rec(&cut);
        assert_eq!((r.packet_length, r.router_id.as_str(), r.area_id.as_str()), (257, "1.1.0.34", "0.255.2.2"));
        assert_eq!((r.checksum, r.instance, r.reserved), (0x8e15, 82, 0x45));
        assert!(r.hello.is_none());
    }

    #[test]
    fn lying_lengths() {
        // A prefix length of 255 claims 32 bytes: the LSA does not hold them.
        let mut m = LSU;
        m[68] = 255;
        let u = rec(&m).lsu.expect("lsu");
        assert!(u.ls_as[1].inter_area_prefix.as_ref().expect("iap").prefix.is_none());
        // Link LSA claiming 10^9 prefixes: the one present.
        let mut m = LSU;
        m[228..232].copy_from_slice(&1_000_000_000u32.to_be_bytes());
        let link = rec(&m).lsu.expect("lsu").ls_as[5].link.clone().expect("link");
        assert_eq!((link.num_of_prefixes, link.prefixes.len()), (1_000_000_000, 1));
        assert!(Ospfv3Packet::new_checked(&HELLO[..15]).is_err());
        assert!(Ospfv3Packet::new_checked(&[2; 40]).is_err());
    }

    #[test]
    fn hostile_input_never_panics() {
        let samples: [&[u8]; 6] = [&HELLO, &DB_DESC, &LS_REQUEST, &LSU, &LSU2, &LS_ACK];
        let cfg = EncodeConfig::default();
        for s in samples {
            for n in 0..=s.len() {
                if let Ok(v) = Ospfv3Packet::new_checked(&s[..n]) {
                    let _ = record(&v, 0, &cfg);
                }
            }
        }
        let mut next = crate::decode::test_util::xorshift(0xda94_2042_e4dd_58b5);
        for i in 0..8000 {
            let mut m = samples[i % samples.len()].to_vec();
            for _ in 0..(next() % 6 + 1) {
                let r = next() as usize;
                match r % 4 {
                    0 | 1 if !m.is_empty() => {
                        let at = r / 4 % m.len();
                        m[at] = next() as u8;
                    }
                    2 => m.push(next() as u8),
                    _ => m.truncate(r / 4 % (m.len() + 1)),
                }
            }
            if let Some(b) = m.first_mut() {
                *b = 3;
            }
            if let Ok(v) = Ospfv3Packet::new_checked(&m) {
                let r = record(&v, 0, &cfg);
                let lsas = r.lsu.map_or(0, |u| u.ls_as.len());
                assert!(lsas <= m.len() / LSA_HEADER_LEN);
            }
        }
    }
}

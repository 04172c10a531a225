//! OSPFv2 (RFC 2328), IP protocol 89 over IPv4, and the parts that OSPFv3
//! shares with it (the packet length rule, the walk over LSAs).
//!
//! OSPF versions share IP protocol 89 and the first byte: [`version`]
//! tells the dispatch whether a packet is OSPFv2 ([`Ospfv2Packet`]) or
//! OSPFv3 ([`super::ospfv3::Ospfv3Packet`]), as tshark decides it.
//!
//! The packet body is read up to the header's Packet Length: what follows
//! it (cryptographic authentication data, RFC 5613 LLS data blocks,
//! Ethernet padding) is not OSPF packet content. Counts in the packet
//! (LSAs in an update, links in a router LSA) never make the decoder read
//! or allocate past the bytes present: a count larger than the bytes gives
//! what the bytes hold. An LSA whose length field is shorter than its
//! header, or runs past the packet, ends the walk over LSAs (it is kept with
//! what it holds). A Hello, Database Description or LS Update body cut
//! inside its fixed part is not reported (its sub-message stays unset): tshark
//! shows none of its fields either. IDs and masks are dotted quads, as
//! tshark shows them.

use super::wire::{be16, be32, ipv4_string, u8_at};
use super::{DecodeError, EncodeConfig, ErrorKind};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 89;
pub const HEADER_LEN: usize = 24;
/// LSA header length, the same in OSPFv2 and OSPFv3.
pub const LSA_HEADER_LEN: usize = 20;
/// Fixed part of a Hello body (mask to backup DR), the same in OSPFv3.
pub const HELLO_LEN: usize = 20;
/// Fixed part of a Database Description body (MTU to DD sequence number).
const DB_DESC_LEN: usize = 8;

pub const TYPE_HELLO: u8 = 1;
pub const TYPE_DB_DESC: u8 = 2;
pub const TYPE_LS_REQUEST: u8 = 3;
pub const TYPE_LS_UPDATE: u8 = 4;
pub const TYPE_LS_ACK: u8 = 5;

/// The OSPF version of an IP protocol 89 payload (its first byte).
pub fn version(buf: &[u8]) -> Option<u8> {
    buf.first().copied()
}

/// The packet body after a `header_len`-byte header, cut at the Packet
/// Length field (offset 2 in both versions) or at the bytes present. A
/// Packet Length shorter than the header leaves no body.
pub fn packet_body(buf: &[u8], header_len: usize) -> &[u8] {
    let declared = usize::from(be16(buf, 2));
    let end = declared.min(buf.len());
    buf.get(header_len..end).unwrap_or_default()
}

/// The LSA headers of a Database Description or LS Acknowledgment body.
pub fn lsa_headers(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.chunks_exact(LSA_HEADER_LEN)
}

/// The LSAs of an LS Update body (after its 4-byte count), at most
/// `count`: each by its Length field (offset 18), cut at the end of the
/// body. A length below the header or past the end ends the walk after
/// that LSA, which keeps what is there.
pub fn walk_lsas(mut body: &[u8], count: u32) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut left = count;
    while left > 0 && body.len() >= LSA_HEADER_LEN {
        left -= 1;
        let len = usize::from(be16(body, 18));
        if len < LSA_HEADER_LEN || len > body.len() {
            out.push(body.get(..len.clamp(LSA_HEADER_LEN, body.len())).unwrap_or_default());
            break;
        }
        out.push(body.get(..len).unwrap_or_default());
        body = body.get(len..).unwrap_or_default();
    }
    out
}

/// An OSPFv2 packet whose 24-byte header is present and whose version is 2.
#[derive(Clone, Copy)]
pub struct Ospfv2Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Ospfv2Packet<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("OSPFv2", HEADER_LEN, buf.len()));
        }
        let p = Ospfv2Packet { buf };
        if p.version() != 2 {
            return Err(DecodeError { layer: "OSPFv2", kind: ErrorKind::BadVersion(p.version()) });
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
    pub fn au_type(&self) -> u16 {
        be16(self.buf, 14)
    }
    pub fn authentication(&self) -> &'a [u8] {
        self.buf.get(16..24).unwrap_or_default()
    }
    /// The bytes after the header, up to the Packet Length.
    pub fn body(&self) -> &'a [u8] {
        packet_body(self.buf, HEADER_LEN)
    }
}

fn ip(b: &[u8], off: usize) -> String {
    ipv4_string(b.get(off..off + 4).unwrap_or_default())
}

/// 24-bit field at `off` (metrics, OSPFv3 options); 0 if not all present.
pub fn be24(b: &[u8], off: usize) -> u32 {
    match b.get(off..off + 3) {
        Some(x) => u32::from(x[0]) << 16 | u32::from(x[1]) << 8 | u32::from(x[2]),
        None => 0,
    }
}

fn hello(b: &[u8]) -> pb::OspFv2Hello {
    pb::OspFv2Hello {
        network_mask: ip(b, 0),
        hello_interval: i32::from(be16(b, 4)),
        options: i32::from(u8_at(b, 6)),
        rtr_priority: i32::from(u8_at(b, 7)),
        router_dead_interval: be32(b, 8),
        designated_router: ip(b, 12),
        backup_designated_router: ip(b, 16),
        neighbors: b.get(20..).unwrap_or_default().chunks_exact(4).map(ipv4_string).collect(),
    }
}

fn db_desc(b: &[u8]) -> pb::OspFv2DbDesc {
    pb::OspFv2DbDesc {
        interface_mtu: i32::from(be16(b, 0)),
        options: i32::from(u8_at(b, 2)),
        flags: i32::from(u8_at(b, 3)),
        dd_seq_number: be32(b, 4),
        lsa_headers: lsa_headers(b.get(8..).unwrap_or_default()).map(|h| lsa(h, false)).collect(),
    }
}

fn ls_requests(b: &[u8]) -> Vec<pb::OspFv2LsRequest> {
    b.chunks_exact(12)
        .map(|r| pb::OspFv2LsRequest { ls_type: be32(r, 0), link_state_id: ip(r, 4), adv_router: ip(r, 8) })
        .collect()
}

fn ls_update(b: &[u8]) -> pb::OspFv2LsUpdate {
    let count = be32(b, 0);
    pb::OspFv2LsUpdate {
        num_of_ls_as: count,
        ls_as: walk_lsas(b.get(4..).unwrap_or_default(), count).into_iter().map(|l| lsa(l, true)).collect(),
    }
}

/// Summary LSA TOS entries: TOS (1 byte), metric (3 bytes).
fn tos_metrics(b: &[u8]) -> Vec<pb::OspFv2TosMetric> {
    b.chunks_exact(4).map(|t| pb::OspFv2TosMetric { tos: i32::from(u8_at(t, 0)), metric: be24(t, 1) }).collect()
}

/// Router LSA body (RFC 2328 A.4.2): the links the bytes hold, at most # links.
fn router_lsa(b: &[u8]) -> pb::OspFv2RouterLsa {
    let count = be16(b, 2);
    let mut links = Vec::new();
    let mut rest = b.get(4..).unwrap_or_default();
    for _ in 0..count {
        if rest.len() < 12 {
            break;
        }
        let ntos = usize::from(u8_at(rest, 9));
        let end = (12 + ntos * 4).min(rest.len());
        links.push(pb::OspFv2RouterLink {
            link_id: ip(rest, 0),
            link_data: ip(rest, 4),
            r#type: i32::from(u8_at(rest, 8)),
            number_of_tos: ntos as i32,
            metric: i32::from(be16(rest, 10)),
            // TOS (1 byte), 0, metric (2 bytes).
            tos_metrics: rest
                .get(12..end)
                .unwrap_or_default()
                .chunks_exact(4)
                .map(|t| pb::OspFv2TosMetric { tos: i32::from(u8_at(t, 0)), metric: u32::from(be16(t, 2)) })
                .collect(),
        });
        rest = rest.get(end..).unwrap_or_default();
    }
    pb::OspFv2RouterLsa { flags: i32::from(u8_at(b, 0)), number_of_links: i32::from(count), links }
}

/// One LSA (`full`: an LS Update's, with its body; else a header only).
fn lsa(l: &[u8], full: bool) -> pb::OspFv2Lsa {
    let ls_type = u8_at(l, 3);
    let body = if full { l.get(LSA_HEADER_LEN..).unwrap_or_default() } else { &[] };
    let mut out = pb::OspFv2Lsa {
        ls_age: i32::from(be16(l, 0)),
        options: i32::from(u8_at(l, 2)),
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
    match ls_type {
        1 => out.router = Some(router_lsa(body)),
        2 => {
            out.network = Some(pb::OspFv2NetworkLsa {
                network_mask: ip(body, 0),
                attached_routers: body.get(4..).unwrap_or_default().chunks_exact(4).map(ipv4_string).collect(),
            })
        }
        3 | 4 => {
            out.summary = Some(pb::OspFv2SummaryLsa {
                network_mask: ip(body, 0),
                metric: be24(body, 5),
                tos_metrics: tos_metrics(body.get(8..).unwrap_or_default()),
            })
        }
        5 | 7 => {
            out.as_external = Some(pb::OspFv2AsExternalLsa {
                network_mask: ip(body, 0),
                external_type2: u8_at(body, 4) & 0x80 != 0,
                metric: be24(body, 5),
                forwarding_address: ip(body, 8),
                external_route_tag: be32(body, 12),
            })
        }
        _ => out.body = body.to_vec(),
    }
    out
}

pub fn record(v: &Ospfv2Packet, timestamp: i64, _cfg: &EncodeConfig) -> pb::OspFv2 {
    let body = v.body();
    let mut out = pb::OspFv2 {
        timestamp,
        version: i32::from(v.version()),
        r#type: i32::from(v.packet_type()),
        packet_length: i32::from(v.packet_length()),
        router_id: ipv4_string(v.router_id()),
        area_id: ipv4_string(v.area_id()),
        checksum: i32::from(v.checksum()),
        au_type: i32::from(v.au_type()),
        authentication: v.authentication().to_vec(),
        ..Default::default()
    };
    // A Hello, DB Description or LS Update cut inside its fixed part is
    // not reported (tshark stops at the first missing field).
    match v.packet_type() {
        TYPE_HELLO if body.len() >= HELLO_LEN => out.hello_v2 = Some(hello(body)),
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

    fn rec(buf: &[u8]) -> pb::OspFv2 {
        let v = Ospfv2Packet::new_checked(buf).expect("valid");
        record(&v, 3, &EncodeConfig::default())
    }

    // tcpdump/tests/OSPFv2_Capture_FINAL.pcapng frame 1: Hello with
    // cryptographic authentication; 16 bytes of digest and an LLS block
    // follow the 52-byte packet.
    const HELLO: [u8; 104] = [
        0x02, 0x01, 0x00, 0x34, 0xc0, 0xa8, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x01, 0x10, 0x5a, 0x83, 0x41, 0x12, 0xff, 0xff, 0xff, 0x00, 0x00, 0x0a, 0x12, 0x01, 0x00, 0x00, 0x00, 0x28,
        0xc0, 0xa8, 0x79, 0x04, 0xc0, 0xa8, 0x79, 0x05, 0xc0, 0xa8, 0xff, 0x0b, 0xc0, 0xa8, 0xff, 0x0e, 0x91, 0xb0,
        0x1c, 0x6b, 0xd6, 0xc7, 0x09, 0x3c, 0x11, 0x86, 0x1e, 0x76, 0x33, 0x4b, 0xa8, 0x58, 0x00, 0x00, 0x00, 0x09,
        0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x14, 0x5a, 0x83, 0x41, 0x12, 0x62, 0xa8,
        0x49, 0xdb, 0x46, 0x49, 0x60, 0x4c, 0x9f, 0xda, 0x6c, 0x0a, 0x9f, 0xdf, 0x25, 0x86,
    ];
    // OSPFv2_Capture_FINAL.pcapng frame 5: DB Description with 5 LSA headers.
    const DB_DESC: [u8; 148] = [
        0x02, 0x02, 0x00, 0x84, 0xc0, 0xa8, 0xff, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x01, 0x10, 0x5a, 0x83, 0x41, 0x3f, 0x05, 0xdc, 0x52, 0x02, 0x00, 0x00, 0x1b, 0xfb, 0x00, 0x04, 0x22, 0x01,
        0xc0, 0xa8, 0xff, 0x0b, 0xc0, 0xa8, 0xff, 0x0b, 0x80, 0x00, 0x00, 0x02, 0x3e, 0x97, 0x00, 0x3c, 0x00, 0x1e,
        0x20, 0x05, 0xc0, 0xa8, 0x7c, 0x00, 0xc0, 0xa8, 0xff, 0x0b, 0x80, 0x00, 0x00, 0x01, 0x8e, 0xb7, 0x00, 0x24,
        0x00, 0x1e, 0x20, 0x05, 0xc0, 0xa8, 0x7f, 0x00, 0xc0, 0xa8, 0xff, 0x0b, 0x80, 0x00, 0x00, 0x01, 0x6d, 0xd5,
        0x00, 0x24, 0x00, 0x1e, 0x20, 0x05, 0xc0, 0xa8, 0x80, 0x00, 0xc0, 0xa8, 0xff, 0x0b, 0x80, 0x00, 0x00, 0x01,
        0x5d, 0xe5, 0x00, 0x24, 0x00, 0x1e, 0x20, 0x05, 0xc0, 0xa8, 0xff, 0x0c, 0xc0, 0xa8, 0xff, 0x0b, 0x80, 0x00,
        0x00, 0x01, 0x69, 0x4e, 0x00, 0x24, 0xb9, 0xd7, 0xf3, 0x9d, 0x57, 0xa0, 0x3f, 0x51, 0x38, 0x77, 0x71, 0x84,
        0x09, 0x6e, 0x15, 0x73,
    ];
    // OSPFv2_Capture_FINAL.pcapng frame 18: LS Request for one router LSA.
    const LS_REQUEST: [u8; 52] = [
        0x02, 0x03, 0x00, 0x24, 0xc0, 0xa8, 0xff, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x01, 0x10, 0x5a, 0x83, 0x41, 0x3f, 0x00, 0x00, 0x00, 0x01, 0xc0, 0xa8, 0xff, 0x0b, 0xc0, 0xa8, 0xff, 0x0b,
        0xf3, 0x56, 0xbd, 0x70, 0x7c, 0x46, 0x44, 0x48, 0x92, 0xfa, 0x77, 0xff, 0xf3, 0x22, 0x8e, 0x28,
    ];
    // OSPFv2_Capture_FINAL.pcapng frame 20: LS Update, one router LSA with 3 links.
    const LSU_ROUTER: [u8; 104] = [
        0x02, 0x04, 0x00, 0x58, 0xc0, 0xa8, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x01, 0x10, 0x5a, 0x83, 0x41, 0x16, 0x00, 0x00, 0x00, 0x01, 0x01, 0x76, 0x22, 0x01, 0xc0, 0xa8, 0xff, 0x0b,
        0xc0, 0xa8, 0xff, 0x0b, 0x80, 0x00, 0x02, 0xd8, 0xce, 0x1e, 0x00, 0x3c, 0x02, 0x00, 0x00, 0x03, 0xc0, 0xa8,
        0xff, 0x0b, 0xff, 0xff, 0xff, 0xff, 0x03, 0x00, 0x00, 0x01, 0xc0, 0xa8, 0x7a, 0x00, 0xff, 0xff, 0xff, 0xfc,
        0x03, 0x00, 0x00, 0x0c, 0xc0, 0xa8, 0x79, 0x04, 0xc0, 0xa8, 0x79, 0x2a, 0x02, 0x00, 0x00, 0x0c, 0xf5, 0xb3,
        0x9d, 0x25, 0x79, 0x23, 0x7f, 0x32, 0x3a, 0xd6, 0xc1, 0x4d, 0x89, 0xed, 0x5f, 0x92,
    ];
    // OSPFv2_Capture_FINAL.pcapng frame 21: LS Update, one network LSA.
    const LSU_NETWORK: [u8; 80] = [
        0x02, 0x04, 0x00, 0x40, 0xc0, 0xa8, 0xff, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x01, 0x10, 0x5a, 0x84, 0x23, 0x71, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x22, 0x02, 0xc0, 0xa8, 0x79, 0x04,
        0xc0, 0xa8, 0xff, 0x0e, 0x80, 0x00, 0x00, 0x12, 0xd9, 0x88, 0x00, 0x24, 0xff, 0xff, 0xff, 0x00, 0xc0, 0xa8,
        0xff, 0x0e, 0xc0, 0xa8, 0xff, 0x0b, 0xc0, 0xa8, 0xff, 0x0f, 0x26, 0x5b, 0xf7, 0x46, 0x80, 0x3d, 0xaa, 0xae,
        0x77, 0x71, 0x00, 0x0f, 0x8d, 0x48, 0x44, 0xdc,
    ];
    // OSPFv2_Capture_FINAL.pcapng frame 10: LS Update, one AS-external LSA.
    const LSU_EXTERNAL: [u8; 80] = [
        0x02, 0x04, 0x00, 0x40, 0xc0, 0xa8, 0xff, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x01, 0x10, 0x5a, 0x83, 0x41, 0x3f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x20, 0x05, 0xc0, 0xa8, 0x7c, 0x00,
        0xc0, 0xa8, 0xff, 0x0b, 0x80, 0x00, 0x00, 0x0c, 0x78, 0xc2, 0x00, 0x24, 0xff, 0xff, 0xff, 0x00, 0x80, 0x00,
        0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xbc, 0x5d, 0x57, 0x74, 0x88, 0x93, 0xaa,
        0x42, 0x3a, 0x93, 0xb2, 0xfa, 0x57, 0x99, 0x79,
    ];
    // tcpdump/tests/ospf-ack.pcap frame 1: LS Acknowledgment of 2 LSAs, null authentication.
    const LS_ACK: [u8; 64] = [
        0x02, 0x05, 0x00, 0x40, 0x02, 0x02, 0x02, 0x02, 0x00, 0x00, 0x00, 0x01, 0x88, 0xe8, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2e, 0x22, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
        0x80, 0x00, 0x00, 0x02, 0x62, 0xba, 0x00, 0x24, 0x00, 0x2b, 0x22, 0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01,
        0x01, 0x01, 0x80, 0x00, 0x00, 0x01, 0xc2, 0x6b, 0x00, 0x1c,
    ];

    #[test]
    fn hello_stops_at_packet_length() {
        assert_eq!(version(&HELLO), Some(2));
        let r = rec(&HELLO);
        assert_eq!((r.version, r.r#type, r.packet_length, r.checksum, r.au_type), (2, 1, 52, 0, 2));
        assert_eq!((r.router_id.as_str(), r.area_id.as_str()), ("192.168.255.15", "0.0.0.0"));
        // Key id 1, data length 16, sequence 1518551314 (0x5a834112).
        assert_eq!(r.authentication, vec![0, 0, 1, 0x10, 0x5a, 0x83, 0x41, 0x12]);
        let h = r.hello_v2.expect("hello");
        assert_eq!(
            (h.network_mask.as_str(), h.hello_interval, h.options, h.rtr_priority),
            ("255.255.255.0", 10, 0x12, 1)
        );
        assert_eq!(h.router_dead_interval, 40);
        assert_eq!(
            (h.designated_router.as_str(), h.backup_designated_router.as_str()),
            ("192.168.121.4", "192.168.121.5")
        );
        // The digest and LLS block after the 52 bytes are not neighbors.
        assert_eq!(h.neighbors, vec!["192.168.255.11", "192.168.255.14"]);
        assert!(r.db_desc.is_none() && r.lsu.is_none() && r.lsr.is_empty() && r.ls_as.is_empty());
    }

    #[test]
    fn db_description_headers() {
        let r = rec(&DB_DESC);
        let d = r.db_desc.expect("db desc");
        assert_eq!((d.interface_mtu, d.options, d.flags, d.dd_seq_number), (1500, 0x52, 0x02, 7163));
        let types: Vec<i32> = d.lsa_headers.iter().map(|h| h.ls_type).collect();
        assert_eq!(types, vec![1, 5, 5, 5, 5]);
        let h = &d.lsa_headers[0];
        assert_eq!(
            (h.options, h.link_state_id.as_str(), h.adv_router.as_str()),
            (0x22, "192.168.255.11", "192.168.255.11")
        );
        assert_eq!((h.ls_seq_number, h.ls_checksum, h.length), (0x8000_0002, 0x3e97, 60));
        assert!(h.router.is_none());
        assert_eq!(d.lsa_headers[4].link_state_id, "192.168.255.12");
    }

    #[test]
    fn ls_request_entries() {
        let r = rec(&LS_REQUEST);
        assert_eq!(r.lsr.len(), 1);
        assert_eq!((r.lsr[0].ls_type, r.lsr[0].link_state_id.as_str()), (1, "192.168.255.11"));
        assert_eq!(r.lsr[0].adv_router, "192.168.255.11");
    }

    #[test]
    fn ls_update_bodies() {
        let u = rec(&LSU_ROUTER).lsu.expect("lsu");
        assert_eq!((u.num_of_ls_as, u.ls_as.len()), (1, 1));
        let l = &u.ls_as[0];
        assert_eq!(
            (l.ls_age, l.options, l.ls_type, l.ls_seq_number, l.ls_checksum, l.length),
            (374, 0x22, 1, 0x8000_02d8, 0xce1e, 60)
        );
        let rt = l.router.as_ref().expect("router lsa");
        assert_eq!((rt.flags, rt.number_of_links, rt.links.len()), (0x02, 3, 3));
        let k = &rt.links[2];
        assert_eq!(
            (k.link_id.as_str(), k.link_data.as_str(), k.r#type, k.number_of_tos, k.metric),
            ("192.168.121.4", "192.168.121.42", 2, 0, 12)
        );
        assert_eq!((rt.links[0].link_data.as_str(), rt.links[0].metric), ("255.255.255.255", 1));

        let u = rec(&LSU_NETWORK).lsu.expect("lsu");
        let n = u.ls_as[0].network.as_ref().expect("network lsa");
        assert_eq!(n.network_mask, "255.255.255.0");
        assert_eq!(n.attached_routers, vec!["192.168.255.14", "192.168.255.11", "192.168.255.15"]);

        let u = rec(&LSU_EXTERNAL).lsu.expect("lsu");
        let l = &u.ls_as[0];
        assert_eq!((l.ls_type, l.link_state_id.as_str()), (5, "192.168.124.0"));
        let e = l.as_external.as_ref().expect("external lsa");
        assert_eq!((e.network_mask.as_str(), e.external_type2, e.metric), ("255.255.255.0", true, 20));
        assert_eq!((e.forwarding_address.as_str(), e.external_route_tag), ("0.0.0.0", 0));
    }

    #[test]
    fn ls_ack_headers() {
        let r = rec(&LS_ACK);
        assert_eq!(
            (r.r#type, r.router_id.as_str(), r.area_id.as_str(), r.checksum, r.au_type),
            (5, "2.2.2.2", "0.0.0.1", 0x88e8, 0)
        );
        let got: Vec<(i32, i32, &str, i32)> =
            r.ls_as.iter().map(|h| (h.ls_age, h.ls_type, h.link_state_id.as_str(), h.length)).collect();
        assert_eq!(got, vec![(46, 1, "1.1.1.1", 36), (43, 3, "1.0.0.0", 28)]);
    }

    #[test]
    fn summary_and_unknown_bodies() {
        // RFC 2328 A.4.4 summary LSA for 10.1.0.0/16, metric 0x010203, one TOS entry.
        let mut l = vec![0, 1, 0x22, 3, 10, 1, 0, 0, 1, 1, 1, 1, 0x80, 0, 0, 1, 0, 0, 0, 32];
        l.extend_from_slice(&[255, 255, 0, 0, 0, 1, 2, 3, 8, 0, 0, 9]);
        let s = lsa(&l, true).summary.expect("summary");
        assert_eq!((s.network_mask.as_str(), s.metric), ("255.255.0.0", 0x010203));
        assert_eq!((s.tos_metrics.len(), s.tos_metrics[0].tos, s.tos_metrics[0].metric), (1, 8, 9));
        // An opaque LSA (type 10) keeps its body as bytes.
        l[3] = 10;
        let o = lsa(&l, true);
        assert!(o.summary.is_none());
        assert_eq!(o.body, vec![255, 255, 0, 0, 0, 1, 2, 3, 8, 0, 0, 9]);
    }

    #[test]
    fn lying_counts_and_lengths() {
        // Update claiming 1000 LSAs: only the one present.
        let mut m = LSU_NETWORK;
        m[24..28].copy_from_slice(&1000u32.to_be_bytes());
        let u = rec(&m).lsu.expect("lsu");
        assert_eq!((u.num_of_ls_as, u.ls_as.len()), (1000, 1));
        // An LSA length of 4 ends the walk after its header.
        let mut m = LSU_NETWORK;
        m[47] = 4;
        let u = rec(&m).lsu.expect("lsu");
        assert_eq!(u.ls_as.len(), 1);
        assert_eq!(u.ls_as[0].length, 4);
        // A router LSA claiming 300 links has the 3 present.
        let mut m = LSU_ROUTER;
        m[50..52].copy_from_slice(&300u16.to_be_bytes());
        let rt = rec(&m).lsu.expect("lsu").ls_as[0].router.clone().expect("router");
        assert_eq!((rt.number_of_links, rt.links.len()), (300, 3));
        // A packet length below the header: no body.
        let mut m = HELLO;
        m[3] = 10;
        assert!(rec(&m).hello_v2.is_none());
        // Short or not version 2.
        assert!(Ospfv2Packet::new_checked(&HELLO[..23]).is_err());
        let mut v3 = HELLO;
        v3[0] = 3;
        assert!(Ospfv2Packet::new_checked(&v3).is_err());
    }

    #[test]
    fn hostile_input_never_panics() {
        let samples: [&[u8]; 7] = [&HELLO, &DB_DESC, &LS_REQUEST, &LSU_ROUTER, &LSU_NETWORK, &LSU_EXTERNAL, &LS_ACK];
        let cfg = EncodeConfig::default();
        for s in samples {
            for n in 0..=s.len() {
                if let Ok(v) = Ospfv2Packet::new_checked(&s[..n]) {
                    let _ = record(&v, 0, &cfg);
                }
            }
        }
        let mut next = crate::decode::test_util::xorshift(0x853c_49e6_748f_ea9b);
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
                *b = 2;
            }
            if let Ok(v) = Ospfv2Packet::new_checked(&m) {
                let r = record(&v, 0, &cfg);
                let lsas = r.lsu.map_or(0, |u| u.ls_as.len());
                assert!(lsas <= m.len() / LSA_HEADER_LEN);
            }
        }
    }

    #[test]
    fn be24_reads_three_bytes() {
        assert_eq!(be24(&[0, 1, 2, 3], 1), 0x010203);
        assert_eq!(be24(&[1, 2, 3], 0), 0x010203);
        assert_eq!(be24(&[1, 2], 0), 0);
    }
}

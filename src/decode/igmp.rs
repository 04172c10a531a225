//! IGMP, the Internet Group Management Protocol: v1 (RFC 1112), v2
//! (RFC 2236) and v3 (RFC 3376), IP protocol 2 over IPv4.
//!
//! Only the membership messages are IGMP records: queries (0x11), v1
//! reports (0x12), v2 reports (0x16), v2 leaves (0x17) and v3 reports
//! (0x22). The other users of IP protocol 2 (DVMRP 0x13, PIMv1 0x14,
//! multicast traceroute 0x1e/0x1f, ...) are other protocols with other
//! layouts, as tshark and gopacket also treat them: [`is_membership_type`]
//! tells the dispatch which messages to hand to [`IgmpPacket`].
//!
//! The version follows tshark (and gopacket): a query is v3 when it has 12
//! bytes or more, otherwise v2, or v1 when its max response code is 0
//! (RFC 3376 7.1). The view is given the IP payload cut at the IP length,
//! so Ethernet padding does not turn a v2 query into a v3 one.

use super::wire::{be16, ipv4_string, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const IP_PROTOCOL: u8 = 2;
/// Type, code, checksum and the 4-byte group address (or v3 report counts).
pub const MIN_LEN: usize = 8;
/// A v3 query's fixed part, up to the number of sources.
const V3_QUERY_LEN: usize = 12;

pub const TYPE_QUERY: u8 = 0x11;
pub const TYPE_V1_REPORT: u8 = 0x12;
pub const TYPE_V2_REPORT: u8 = 0x16;
pub const TYPE_V2_LEAVE: u8 = 0x17;
pub const TYPE_V3_REPORT: u8 = 0x22;

/// Whether an IGMP message of this type is a membership message that
/// [`IgmpPacket`] decodes; any other type is another protocol.
pub fn is_membership_type(t: u8) -> bool {
    matches!(t, TYPE_QUERY | TYPE_V1_REPORT | TYPE_V2_REPORT | TYPE_V2_LEAVE | TYPE_V3_REPORT)
}

/// RFC 3376 4.1.1 / 4.1.7: codes from 128 up are a floating point value,
/// mantissa `(code & 0x0f) | 0x10` shifted by `((code >> 4) & 7) + 3`.
pub fn decode_code(code: u8) -> u32 {
    if code < 0x80 {
        u32::from(code)
    } else {
        (u32::from(code & 0x0f) | 0x10) << (((code >> 4) & 0x07) + 3)
    }
}

/// An IGMP membership message of at least 8 bytes.
#[derive(Clone, Copy)]
pub struct IgmpPacket<'a> {
    buf: &'a [u8],
}

impl<'a> IgmpPacket<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < MIN_LEN {
            return Err(DecodeError::truncated("IGMP", MIN_LEN, buf.len()));
        }
        if !is_membership_type(u8_at(buf, 0)) {
            return Err(DecodeError::malformed("IGMP", "not a membership message type"));
        }
        Ok(IgmpPacket { buf })
    }
    pub fn msg_type(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    /// The second byte: Max Resp Code in queries, unused or reserved elsewhere.
    pub fn code(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn version(&self) -> u8 {
        match self.msg_type() {
            TYPE_QUERY if self.buf.len() >= V3_QUERY_LEN => 3,
            TYPE_QUERY if self.code() == 0 => 1,
            TYPE_QUERY => 2,
            TYPE_V1_REPORT => 1,
            TYPE_V3_REPORT => 3,
            _ => 2,
        }
    }
    pub fn is_v3_query(&self) -> bool {
        self.msg_type() == TYPE_QUERY && self.version() == 3
    }
    /// Bytes 4..8: the group address (not in v3 reports).
    pub fn group_address(&self) -> &'a [u8] {
        self.buf.get(4..8).unwrap_or_default()
    }
    /// Max response time in tenths of a second (see the schema).
    pub fn max_response_time(&self) -> u32 {
        match (self.msg_type(), self.version()) {
            (TYPE_QUERY, 3) => decode_code(self.code()),
            (TYPE_V3_REPORT, _) => 0,
            _ => u32::from(self.code()),
        }
    }
    /// v3 query byte 8: Resv (4 bits), S (1 bit), QRV (3 bits).
    fn sqrv(&self) -> u8 {
        if self.is_v3_query() {
            u8_at(self.buf, 8)
        } else {
            0
        }
    }
    pub fn suppress_router_processing(&self) -> bool {
        self.sqrv() & 0x08 != 0
    }
    pub fn robustness(&self) -> u8 {
        self.sqrv() & 0x07
    }
    pub fn qqic(&self) -> u8 {
        if self.is_v3_query() {
            u8_at(self.buf, 9)
        } else {
            0
        }
    }
    /// v3 query: Number of Sources (offset 10).
    pub fn number_of_sources(&self) -> u16 {
        if self.is_v3_query() {
            be16(self.buf, 10)
        } else {
            0
        }
    }
    /// v3 report: Number of Group Records (offset 6).
    pub fn number_of_group_records(&self) -> u16 {
        if self.msg_type() == TYPE_V3_REPORT {
            be16(self.buf, 6)
        } else {
            0
        }
    }
    /// v3 query: the source addresses the bytes hold, at most the count.
    pub fn source_addresses(&self) -> Vec<String> {
        let rest = self.buf.get(V3_QUERY_LEN..).unwrap_or_default();
        addresses(rest, usize::from(self.number_of_sources()))
    }
    /// v3 report: the group records the bytes hold, at most the count; a
    /// record running past the end is kept with what it holds, then parsing stops.
    pub fn group_records(&self) -> Vec<pb::IgmPv3GroupRecord> {
        let mut out = Vec::new();
        let mut rest = self.buf.get(MIN_LEN..).unwrap_or_default();
        for _ in 0..self.number_of_group_records() {
            if rest.len() < 8 {
                break;
            }
            let nsrc = be16(rest, 2);
            let aux_words = u8_at(rest, 1);
            let srcs = rest.get(8..).unwrap_or_default();
            let aux_start = 8 + usize::from(nsrc) * 4;
            let aux_end = aux_start + usize::from(aux_words) * 4;
            out.push(pb::IgmPv3GroupRecord {
                r#type: i32::from(u8_at(rest, 0)),
                aux_data_len: i32::from(aux_words),
                number_of_sources: i32::from(nsrc),
                multicast_address: ipv4_string(rest.get(4..8).unwrap_or_default()),
                source_addresses: addresses(srcs, usize::from(nsrc)),
                aux_data: rest.get(aux_start.min(rest.len())..aux_end.min(rest.len())).unwrap_or_default().to_vec(),
            });
            match rest.get(aux_end..) {
                Some(r) => rest = r,
                None => break,
            }
        }
        out
    }
}

/// Up to `count` IPv4 addresses from the start of `buf`, as many as it holds.
fn addresses(buf: &[u8], count: usize) -> Vec<String> {
    buf.chunks_exact(4).take(count).map(ipv4_string).collect()
}

pub fn record(v: &IgmpPacket, timestamp: i64, _cfg: &EncodeConfig) -> pb::Igmp {
    let is_report_v3 = v.msg_type() == TYPE_V3_REPORT;
    pb::Igmp {
        timestamp,
        r#type: i32::from(v.msg_type()),
        max_response_time: v.max_response_time() as i32,
        checksum: i32::from(v.checksum()),
        group_address: if is_report_v3 { String::new() } else { ipv4_string(v.group_address()) },
        supress_router_processing: v.suppress_router_processing(),
        robustness_value: i32::from(v.robustness()),
        interval_time: if v.is_v3_query() { decode_code(v.qqic()) as i32 } else { 0 },
        source_addresses: if v.is_v3_query() { v.source_addresses() } else { Vec::new() },
        number_of_group_records: i32::from(v.number_of_group_records()),
        number_of_sources: i32::from(v.number_of_sources()),
        group_records: if is_report_v3 { v.group_records() } else { Vec::new() },
        version: i32::from(v.version()),
        qqic: i32::from(v.qqic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(buf: &[u8]) -> pb::Igmp {
        let v = IgmpPacket::new_checked(buf).expect("valid");
        record(&v, 7, &EncodeConfig::default())
    }

    // tcpdump/tests/IGMP_V1.pcap frame 1: IGMPv1 query (tshark: version 1,
    // type 0x11, maddr 0.0.0.0, checksum 0xeeff).
    const V1_QUERY: [u8; 8] = [0x11, 0x00, 0xee, 0xff, 0x00, 0x00, 0x00, 0x00];
    // IGMP_V1.pcap frame 3: v1 report for 239.255.255.250.
    const V1_REPORT: [u8; 8] = [0x12, 0x00, 0xfe, 0x04, 0xef, 0xff, 0xff, 0xfa];
    // tcpdump/tests/IGMP_V2.pcap frame 1: v2 general query, max resp 100.
    const V2_QUERY: [u8; 8] = [0x11, 0x64, 0xee, 0x9b, 0x00, 0x00, 0x00, 0x00];
    // IGMP_V2.pcap frame 5: v2 leave for 225.1.1.3.
    const V2_LEAVE: [u8; 8] = [0x17, 0x00, 0x06, 0xfb, 0xe1, 0x01, 0x01, 0x03];
    // tcpdump/tests/igmpv3-queries.pcap frame 2: v3 query, max resp code
    // 0xfe (tshark: 30720 tenths), S=0, QRV 2, QQIC 125, no sources.
    const V3_QUERY: [u8; 12] = [0x11, 0xfe, 0xeb, 0x84, 0, 0, 0, 0, 0x02, 0x7d, 0x00, 0x00];
    // tcpdump/tests/eapon1.pcap frame 44: v3 report, one record
    // (type 4 CHANGE_TO_EXCLUDE, 239.255.255.250, no sources).
    const V3_REPORT: [u8; 16] =
        [0x22, 0x00, 0xea, 0x03, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0xef, 0xff, 0xff, 0xfa];

    #[test]
    fn versions_and_fields_as_tshark_shows_them() {
        let r = rec(&V1_QUERY);
        assert_eq!((r.version, r.r#type, r.checksum, r.group_address.as_str()), (1, 0x11, 0xeeff, "0.0.0.0"));
        let r = rec(&V1_REPORT);
        assert_eq!((r.version, r.r#type, r.checksum, r.group_address.as_str()), (1, 0x12, 0xfe04, "239.255.255.250"));
        let r = rec(&V2_QUERY);
        assert_eq!((r.version, r.max_response_time, r.group_address.as_str()), (2, 100, "0.0.0.0"));
        let r = rec(&V2_LEAVE);
        assert_eq!((r.version, r.r#type, r.max_response_time, r.group_address.as_str()), (2, 0x17, 0, "225.1.1.3"));
        assert_eq!(r.checksum, 0x06fb);
        let r = rec(&V3_QUERY);
        assert_eq!((r.version, r.max_response_time, r.robustness_value, r.interval_time), (3, 30720, 2, 125));
        assert!(!r.supress_router_processing);
        assert_eq!((r.checksum, r.qqic), (0xeb84, 125));
        assert_eq!((r.number_of_sources, r.source_addresses.len()), (0, 0));
        let r = rec(&V3_REPORT);
        assert_eq!((r.version, r.r#type, r.number_of_group_records, r.group_address.as_str()), (3, 0x22, 1, ""));
        assert_eq!(r.group_records.len(), 1);
        let g = &r.group_records[0];
        assert_eq!((g.r#type, g.aux_data_len, g.number_of_sources), (4, 0, 0));
        assert_eq!(g.multicast_address, "239.255.255.250");
    }

    #[test]
    fn v3_query_with_sources_and_flags() {
        // A v3 query for 232.1.1.1 with S set, QRV 7, QQIC 0x81 and two sources.
        let q = [0x11, 0x0a, 0, 0, 232, 1, 1, 1, 0x0f, 0x81, 0, 2, 10, 0, 0, 1, 10, 0, 0, 2, 0xde, 0xad];
        let r = rec(&q);
        assert!(r.supress_router_processing);
        assert_eq!((r.robustness_value, r.qqic, r.interval_time, r.max_response_time), (7, 0x81, 136, 10));
        assert_eq!(r.source_addresses, vec!["10.0.0.1", "10.0.0.2"]);
        // A count larger than the bytes: only what is there.
        let mut lying = q;
        lying[11] = 0xff;
        assert_eq!(rec(&lying).source_addresses.len(), 2);
        assert_eq!(rec(&lying).number_of_sources, 255);
    }

    #[test]
    fn codes_decode_as_rfc_3376() {
        assert_eq!(decode_code(0x7f), 127);
        assert_eq!(decode_code(0x80), 128);
        assert_eq!(decode_code(0xfe), 30720);
        assert_eq!(decode_code(0xff), 31744);
    }

    #[test]
    fn group_records_with_sources_and_aux_data() {
        let mut m = vec![0x22, 0, 0, 0, 0, 0, 0, 3];
        m.extend_from_slice(&[1, 1, 0, 2, 239, 1, 2, 3, 10, 0, 0, 1, 10, 0, 0, 2, 0xaa, 0xbb, 0xcc, 0xdd]);
        m.extend_from_slice(&[6, 0, 0, 1, 239, 9, 9, 9, 192, 168, 0, 1]);
        m.extend_from_slice(&[2, 0, 0, 9, 239]); // cut short: not a record
        let r = rec(&m);
        assert_eq!(r.number_of_group_records, 3);
        assert_eq!(r.group_records.len(), 2);
        assert_eq!(r.group_records[0].source_addresses, vec!["10.0.0.1", "10.0.0.2"]);
        assert_eq!(r.group_records[0].aux_data, vec![0xaa, 0xbb, 0xcc, 0xdd]);
        assert_eq!(r.group_records[1].multicast_address, "239.9.9.9");
        assert_eq!(r.group_records[1].source_addresses, vec!["192.168.0.1"]);
    }

    #[test]
    fn other_types_and_short_messages_are_rejected() {
        assert!(IgmpPacket::new_checked(&V2_QUERY[..7]).is_err());
        // tcpdump/tests/mrinfo_query.pcap frame 1: DVMRP (0x13).
        let dvmrp = [0x13, 0x05, 0xe8, 0xe4, 0x00, 0x0a, 0x04, 0x0c];
        assert!(!is_membership_type(dvmrp[0]));
        assert!(IgmpPacket::new_checked(&dvmrp).is_err());
    }

    #[test]
    fn hostile_input_never_panics() {
        let samples: [&[u8]; 4] =
            [&V2_QUERY, &V3_QUERY, &V3_REPORT, &[0x22, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 0xff, 0xff, 0xff]];
        let cfg = EncodeConfig::default();
        for s in samples {
            for n in 0..=s.len() {
                if let Ok(v) = IgmpPacket::new_checked(&s[..n]) {
                    let _ = record(&v, 0, &cfg);
                }
            }
        }
        let mut next = crate::decode::test_util::xorshift(0x9e37_79b9_7f4a_7c15);
        for i in 0..5000 {
            let base = samples[i % samples.len()];
            let mut m = base.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let r = next() as usize;
                match r % 3 {
                    0 if !m.is_empty() => {
                        let at = r / 3 % m.len();
                        m[at] = next() as u8;
                    }
                    1 => m.push(next() as u8),
                    _ => m.truncate(r / 3 % (m.len() + 1)),
                }
            }
            if !m.is_empty() && next() % 2 == 0 {
                m[0] = [TYPE_QUERY, TYPE_V3_REPORT][i % 2];
            }
            if let Ok(v) = IgmpPacket::new_checked(&m) {
                let r = record(&v, 0, &cfg);
                assert!(r.group_records.len() <= m.len() / 8);
            }
        }
    }
}

//! ARCNET as Linux captures it (LINKTYPE_ARC_NET_LINUX 129): source and
//! destination station ids, two bytes of offset, and a protocol id; the
//! RFC 1201 protocols then add a split flag and a sequence number, the
//! RFC 1051 ones do not. No record of its own (Go Netcap had none): it
//! leads to the ARP, IPv4 and IPv6 records its frames carry.
//!
//! Protocol ids as Wireshark's `arcnet.protocol_id` table dispatches
//! them. An RFC 1201 exception packet (split flag 0xff) repeats the header
//! in a longer form and goes to unknown.pcap.

use super::DecodeError;

/// Source, destination, offset, protocol id.
const BASE_LEN: usize = 5;
/// The RFC 1201 split flag and sequence number.
const RFC1201_EXTRA: usize = 3;
const SPLIT_EXCEPTION: u8 = 0xff;

pub const PROTO_IP_1201: u8 = 0xd4;
pub const PROTO_ARP_1201: u8 = 0xd5;
pub const PROTO_RARP_1201: u8 = 0xd6;
pub const PROTO_IPV6: u8 = 0xc4;
pub const PROTO_IP_1051: u8 = 0xf0;
pub const PROTO_ARP_1051: u8 = 0xf1;
/// RFC 1051 protocols and the other ids without the RFC 1201 fields.
const PROTO_DIAGNOSE: u8 = 0x80;
const PROTO_BACNET: u8 = 0xcd;

/// What an ARCNET frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArcnetPayload<'a> {
    Packet {
        protocol: u8,
        payload: &'a [u8],
    },
    /// An RFC 1201 exception packet, with its protocol id.
    Exception(u8),
}

fn has_split_fields(protocol: u8) -> bool {
    !matches!(protocol, PROTO_IP_1051 | PROTO_ARP_1051 | PROTO_DIAGNOSE | PROTO_BACNET)
}

/// Parses a Linux ARCNET frame's header.
pub fn parse(buf: &[u8]) -> Result<ArcnetPayload<'_>, DecodeError> {
    let protocol = *buf.get(BASE_LEN - 1).ok_or(DecodeError::truncated("ARCNET", BASE_LEN, buf.len()))?;
    if !has_split_fields(protocol) {
        return Ok(ArcnetPayload::Packet { protocol, payload: buf.get(BASE_LEN..).unwrap_or_default() });
    }
    let len = BASE_LEN + RFC1201_EXTRA;
    let payload = buf.get(len..).ok_or(DecodeError::truncated("ARCNET", len, buf.len()))?;
    if buf.get(BASE_LEN) == Some(&SPLIT_EXCEPTION) {
        return Ok(ArcnetPayload::Exception(protocol));
    }
    Ok(ArcnetPayload::Packet { protocol, payload })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::hex;

    #[test]
    fn rfc1201_and_rfc1051_headers() {
        // tcpdump/tests/arcnet-rfc1201-arp-icmp-http.pcap frame 1: be 00 ea08,
        // protocol d5 (ARP), split 00, sequence 0165, then ARP (hardware 7).
        let f = hex("be00ea08 d5 00 0165 0007");
        assert_eq!(parse(&f), Ok(ArcnetPayload::Packet { protocol: PROTO_ARP_1201, payload: &f[8..] }));
        // arcnet-rfc1051-arp-icmp-http.pcap frame 3: be 50 ab08, f0 (IP), 45 ...
        let f = hex("be50ab08 f0 4500");
        assert_eq!(parse(&f), Ok(ArcnetPayload::Packet { protocol: PROTO_IP_1051, payload: &f[5..] }));
        assert_eq!(parse(&hex("be50ab08 d4 ff ffff d4")), Ok(ArcnetPayload::Exception(PROTO_IP_1201)));
        for short in ["", "be50ab08", "be50ab08d40001"] {
            assert!(parse(&hex(short)).is_err(), "{short:?}");
        }
    }
}

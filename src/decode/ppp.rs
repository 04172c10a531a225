//! PPP (RFC 1661) as captures carry it: on PPP links (LINKTYPE_PPP 9 and
//! LINKTYPE_PPP_HDLC 50), in PPTP's GRE (protocol 0x880b) and in PPPoE
//! sessions (RFC 2516, EtherType 0x8864). PPP carries no record of its
//! own (Go Netcap had none); what matters is the protocol field, which
//! names the network layer: IPv4, IPv6 or MPLS, so that DSL, dial-up and
//! VPN captures give the same records as Ethernet ones.
//!
//! Framing follows Wireshark's defaults, so that the inner records match
//! tshark's:
//! - "HDLC-like" framing (RFC 1662: links, GRE): a first byte 0xff is the
//!   address and the next byte the control field (whatever its value);
//!   otherwise both were compressed away and the protocol comes first. A
//!   first byte 0x0f or 0x8f is Cisco HDLC instead ([`is_cisco_hdlc`]).
//! - PPPoE sessions carry bare PPP: the protocol comes first.
//! - The protocol field is one byte when that byte is odd (protocol-field
//!   compression, RFC 1661 6.5: every protocol number has an odd low
//!   byte and an even high byte), two bytes otherwise.

use super::wire::be16;
use super::DecodeError;

/// PPP protocol numbers of the network layers decoded after PPP.
pub const PROTO_IPV4: u16 = 0x0021;
pub const PROTO_IPV6: u16 = 0x0057;
pub const PROTO_MPLS_UNICAST: u16 = 0x0281;
pub const PROTO_MPLS_MULTICAST: u16 = 0x0283;

/// The all-stations address of HDLC-like framing.
const HDLC_ADDRESS: u8 = 0xff;
/// Cisco HDLC's unicast and multicast addresses (`chdlc`): a frame on a
/// PPP link or in GRE starting with one of them is Cisco HDLC, as
/// Wireshark and tcpdump read it.
const CISCO_HDLC_UNICAST: u8 = 0x0f;
const CISCO_HDLC_MULTICAST: u8 = 0x8f;

/// The PPPoE session header's length, and its version/type byte (both 1).
pub const PPPOE_HEADER_LEN: usize = 6;
/// The PPPoE Credits tag (RFC 4938) that may start a session payload.
const PPPOE_TAG_CREDITS: u16 = 0x0106;
const PPPOE_CREDITS_LEN: usize = 8;

/// A PPP frame: its protocol and what follows the protocol field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PppFrame<'a> {
    pub protocol: u16,
    pub payload: &'a [u8],
}

/// Whether a frame on a PPP link or in GRE is Cisco HDLC (see the module
/// documentation).
pub fn is_cisco_hdlc(buf: &[u8]) -> bool {
    matches!(buf.first(), Some(&(CISCO_HDLC_UNICAST | CISCO_HDLC_MULTICAST)))
}

/// PPP in HDLC-like framing: address and control when the first byte is
/// 0xff, then the protocol field.
pub fn parse_hdlc_framed(buf: &[u8]) -> Result<PppFrame<'_>, DecodeError> {
    if buf.first() == Some(&HDLC_ADDRESS) {
        let rest = buf.get(2..).ok_or(DecodeError::truncated("PPP", 2, buf.len()))?;
        parse_protocol(rest, 2)
    } else {
        parse_protocol(buf, 0)
    }
}

/// Bare PPP: the protocol field first.
pub fn parse(buf: &[u8]) -> Result<PppFrame<'_>, DecodeError> {
    parse_protocol(buf, 0)
}

/// The protocol field (one or two bytes) of `buf`, which starts `before`
/// bytes into the PPP header (for the error's length).
fn parse_protocol(buf: &[u8], before: usize) -> Result<PppFrame<'_>, DecodeError> {
    let (protocol, len) = match buf.first() {
        Some(&b) if b & 1 == 1 => (u16::from(b), 1),
        Some(_) if buf.len() >= 2 => (be16(buf, 0), 2),
        _ => return Err(DecodeError::truncated("PPP", before + 2, before + buf.len())),
    };
    Ok(PppFrame { protocol, payload: buf.get(len..).unwrap_or_default() })
}

/// A PPPoE session frame (EtherType 0x8864, or LINKTYPE_PPP_ETHER 51):
/// the PPP frame it carries, cut to the header's payload length (the rest
/// is Ethernet padding), after the Credits tag if one starts it.
pub fn parse_pppoe_session(buf: &[u8]) -> Result<PppFrame<'_>, DecodeError> {
    if buf.len() < PPPOE_HEADER_LEN {
        return Err(DecodeError::truncated("PPPoE", PPPOE_HEADER_LEN, buf.len()));
    }
    let declared = usize::from(be16(buf, 4));
    let rest = buf.get(PPPOE_HEADER_LEN..).unwrap_or_default();
    let mut payload = rest.get(..declared).unwrap_or(rest);
    if be16(payload, 0) == PPPOE_TAG_CREDITS {
        payload = payload.get(PPPOE_CREDITS_LEN..).unwrap_or_default();
    }
    parse(payload).map_err(|_| DecodeError::truncated("PPP", 2, payload.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_util::hex;

    #[test]
    fn hdlc_framing_skips_address_and_control() {
        // tcpdump/tests/lspping-fec-ldp.pcap frame 1: ff 03 0281, an MPLS label.
        let f = hex("ff03028118930d4045");
        let p = parse_hdlc_framed(&f).expect("whole header");
        assert_eq!(p.protocol, PROTO_MPLS_UNICAST);
        assert_eq!(p.payload, &f[4..]);
        // tcpdump/tests/ppp_ip_udp_dns.pcap: address ff, control 5f (any
        // value is skipped, as tshark does), protocol 0x7e08.
        let f = hex("ff5f7e080045");
        let p = parse_hdlc_framed(&f).expect("whole header");
        assert_eq!(p.protocol, 0x7e08);
    }

    #[test]
    fn compressed_address_and_protocol_fields() {
        // No address/control, a one-byte protocol 0x21 (IPv4).
        let f = hex("2145000014");
        let p = parse_hdlc_framed(&f).expect("whole header");
        assert_eq!((p.protocol, p.payload.len()), (PROTO_IPV4, 4));
        // No address/control, two-byte IPv6.
        let f = hex("00576000");
        let p = parse_hdlc_framed(&f).expect("whole header");
        assert_eq!((p.protocol, p.payload), (PROTO_IPV6, &[0x60u8, 0][..]));
        // After ff 03, a compressed protocol byte.
        assert_eq!(parse_hdlc_framed(&hex("ff035745")).map(|p| p.protocol), Ok(0x57));
    }

    #[test]
    fn short_frames_are_errors() {
        for bytes in ["", "ff", "ff03", "ff0300", "00"] {
            assert!(parse_hdlc_framed(&hex(bytes)).is_err(), "{bytes:?}");
        }
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn cisco_hdlc_addresses_are_recognised() {
        assert!(is_cisco_hdlc(&hex("0f000800")));
        assert!(is_cisco_hdlc(&hex("8f002000")));
        assert!(!is_cisco_hdlc(&hex("ff030021")));
        assert!(!is_cisco_hdlc(&[]));
    }

    #[test]
    fn pppoe_session_cut_to_its_payload_length() {
        // pcapplusplus sip_reqs.pcap frame 2 (shape): version/type 0x11, code
        // 0, session 0x0001, length 6, PPP 0x0021, then four bytes and two
        // of Ethernet padding.
        let f = hex("1100000100060021450000140000");
        let p = parse_pppoe_session(&f).expect("whole header");
        assert_eq!(p.protocol, PROTO_IPV4);
        assert_eq!(p.payload, &hex("45000014")[..]);
        // A length past the captured bytes keeps what was captured.
        let f = hex("110000010400002145");
        let p = parse_pppoe_session(&f).expect("whole header");
        assert_eq!(p.payload, &[0x45u8][..]);
        // A Credits tag (0x0106, length 4) before the PPP protocol.
        let f = hex("1100000100 0c 0106000400010002 0057 60");
        let p = parse_pppoe_session(&f).expect("whole header");
        assert_eq!((p.protocol, p.payload), (PROTO_IPV6, &[0x60u8][..]));
        assert!(parse_pppoe_session(&hex("11000001")).is_err());
        assert!(parse_pppoe_session(&hex("110000010000")).is_err());
    }
}

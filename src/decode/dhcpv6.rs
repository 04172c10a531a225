//! DHCPv6 (RFC 8415) on UDP ports 546/547: one record per message.
//!
//! Client/server messages are msg-type and a 3-byte transaction id, then
//! options; relay messages (12 RELAY-FORW, 13 RELAY-REPL) are msg-type,
//! hop count, link address and peer address (34 bytes), then options, one
//! of which (Relay Message, 9) holds the relayed message. The record keeps
//! the message's own options and, for a relay message, the client/server
//! message found by following option 9 through nested relay messages
//! (bounded by [`MAX_RELAY_DEPTH`]; every level also consumes 34 bytes).
//!
//! Options are code (2), length (2), value. An option whose length runs
//! past the message ends the list and is not reported, as tshark does;
//! so are 1 to 3 stray bytes at the end.

use super::wire::{be16, be32, ipv6_string, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const RELAY_FORW: u8 = 12;
pub const RELAY_REPL: u8 = 13;
/// msg-type + transaction id.
pub const HEADER_LEN: usize = 4;
/// msg-type + hop count + link and peer addresses.
pub const RELAY_HEADER_LEN: usize = 34;
/// Nested relay messages followed at most (RFC 8415 allows a hop count of
/// up to 8 for relays that follow its HOP_COUNT_LIMIT; 32 leaves room).
pub const MAX_RELAY_DEPTH: usize = 32;

pub const OPT_CLIENTID: u16 = 1;
pub const OPT_SERVERID: u16 = 2;
pub const OPT_IA_NA: u16 = 3;
pub const OPT_ORO: u16 = 6;
pub const OPT_ELAPSED_TIME: u16 = 8;
pub const OPT_RELAY_MSG: u16 = 9;
pub const OPT_DNS_SERVERS: u16 = 23;
pub const OPT_DOMAIN_LIST: u16 = 24;

fn is_relay(msg_type: u8) -> bool {
    msg_type == RELAY_FORW || msg_type == RELAY_REPL
}

/// A DHCPv6 message whose fixed header (4 bytes, 34 for a relay message)
/// is known to be present.
#[derive(Clone, Copy)]
pub struct Dhcpv6Message<'a> {
    buf: &'a [u8],
}

impl<'a> Dhcpv6Message<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let need = match buf.first() {
            Some(&t) if is_relay(t) => RELAY_HEADER_LEN,
            _ => HEADER_LEN,
        };
        if buf.len() < need {
            return Err(DecodeError::truncated("DHCPv6", need, buf.len()));
        }
        Ok(Dhcpv6Message { buf })
    }
    pub fn msg_type(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    pub fn is_relay(&self) -> bool {
        is_relay(self.msg_type())
    }
    /// The 24-bit transaction id; 0 for relay messages, which have none.
    pub fn transaction_id(&self) -> u32 {
        if self.is_relay() {
            0
        } else {
            be32(self.buf, 0) & 0x00ff_ffff
        }
    }
    pub fn hop_count(&self) -> u8 {
        if self.is_relay() {
            u8_at(self.buf, 1)
        } else {
            0
        }
    }
    pub fn link_addr(&self) -> &'a [u8] {
        if self.is_relay() {
            self.buf.get(2..18).unwrap_or_default()
        } else {
            &[]
        }
    }
    pub fn peer_addr(&self) -> &'a [u8] {
        if self.is_relay() {
            self.buf.get(18..34).unwrap_or_default()
        } else {
            &[]
        }
    }
    pub fn options(&self) -> &'a [u8] {
        let start = if self.is_relay() { RELAY_HEADER_LEN } else { HEADER_LEN };
        self.buf.get(start..).unwrap_or_default()
    }
    /// The message in the first Relay Message option (relay messages only).
    pub fn relayed(&self) -> Option<Dhcpv6Message<'a>> {
        if !self.is_relay() {
            return None;
        }
        let mut found = None;
        walk(self.options(), |code, data| {
            if code == OPT_RELAY_MSG && found.is_none() {
                found = Some(data);
            }
        });
        found.and_then(|d| Dhcpv6Message::new_checked(d).ok())
    }
}

/// Calls `each(code, value)` for every complete option of `area`.
pub fn walk<'a>(mut area: &'a [u8], mut each: impl FnMut(u16, &'a [u8])) {
    while area.len() >= 4 {
        let code = be16(area, 0);
        let end = 4 + usize::from(be16(area, 2));
        let Some(data) = area.get(4..end) else { return };
        each(code, data);
        area = area.get(end..).unwrap_or_default();
    }
}

fn option_list(area: &[u8]) -> Vec<pb::DhcPv6Option> {
    let mut out = Vec::new();
    walk(area, |code, data| {
        out.push(pb::DhcPv6Option { code: i32::from(code), length: data.len() as i32, data: data.to_vec() });
    });
    out
}

/// Uncompressed DNS names (RFC 8415 10, RFC 1035 3.1) one after another;
/// a name that ends with the data instead of a root label is a partial
/// name and is kept. A label length with either top bit set (a compression
/// pointer or reserved type) ends the list.
fn domain_names(mut data: &[u8], out: &mut Vec<String>) {
    let mut name = String::new();
    while let Some(&len) = data.first() {
        if len == 0 {
            out.push(std::mem::take(&mut name));
            data = data.get(1..).unwrap_or_default();
            continue;
        }
        if len & 0xc0 != 0 {
            return;
        }
        let end = 1 + usize::from(len);
        let label = data.get(1..end.min(data.len())).unwrap_or_default();
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(&String::from_utf8_lossy(label));
        data = data.get(end..).unwrap_or_default();
    }
    if !name.is_empty() {
        out.push(name);
    }
}

/// Fills the typed option fields from one message's options.
fn typed_fields(area: &[u8], r: &mut pb::DhcPv6) {
    let (mut client, mut server, mut elapsed) = (false, false, false);
    walk(area, |code, d| match code {
        OPT_CLIENTID if !client => {
            client = true;
            r.client_id = d.to_vec();
        }
        OPT_SERVERID if !server => {
            server = true;
            r.server_id = d.to_vec();
        }
        OPT_ELAPSED_TIME if !elapsed && d.len() == 2 => {
            elapsed = true;
            r.elapsed_time = i32::from(be16(d, 0));
        }
        // IAID, T1, T2, then IA_NA options (RFC 8415 21.4).
        OPT_IA_NA if d.len() >= 12 => r.ianaiaid.push(be32(d, 0)),
        OPT_ORO => r.requested_options.extend(d.chunks_exact(2).map(|c| i32::from(be16(c, 0)))),
        OPT_DNS_SERVERS => r.dns_servers.extend(d.chunks_exact(16).map(ipv6_string)),
        OPT_DOMAIN_LIST => domain_names(d, &mut r.domain_list),
        _ => {}
    });
}

pub fn record(v: &Dhcpv6Message, timestamp: i64, _cfg: &EncodeConfig) -> pb::DhcPv6 {
    let mut r = pb::DhcPv6 {
        timestamp,
        msg_type: i32::from(v.msg_type()),
        hop_count: i32::from(v.hop_count()),
        link_addr: if v.is_relay() { ipv6_string(v.link_addr()) } else { String::new() },
        peer_addr: if v.is_relay() { ipv6_string(v.peer_addr()) } else { String::new() },
        transaction_id: v.transaction_id(),
        options: option_list(v.options()),
        ..Default::default()
    };
    // Follow Relay Message options down to the client/server message.
    let mut inner = *v;
    let mut depth = 0;
    while inner.is_relay() && depth < MAX_RELAY_DEPTH {
        let Some(next) = inner.relayed() else { break };
        inner = next;
        depth += 1;
    }
    r.relay_depth = depth as i32;
    if depth > 0 && !inner.is_relay() {
        r.inner_msg_type = i32::from(inner.msg_type());
        r.inner_transaction_id = inner.transaction_id();
        r.inner_options = option_list(inner.options());
        typed_fields(inner.options(), &mut r);
    } else {
        typed_fields(v.options(), &mut r);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    const CFG: EncodeConfig = EncodeConfig { include_payload: false };

    fn rec(b: &[u8]) -> pb::DhcPv6 {
        record(&Dhcpv6Message::new_checked(b).unwrap(), 0, &CFG)
    }

    fn codes(o: &[pb::DhcPv6Option]) -> Vec<i32> {
        o.iter().map(|o| o.code).collect()
    }

    /// tcpdump/tests/dhcpv6-domain-list.pcap frame 1 (Reply).
    #[test]
    fn reply_with_domain_list() {
        let b = hex(
            "07aa56ce0001000e0001000118f00b3f000c2938f3680002000e0001000118ef951b000c299ba15300180031076578616d706c65\
             03636f6d000573616c6573076578616d706c6503636f6d0003656e67076578616d706c6503636f6d00",
        );
        let r = rec(&b);
        // tshark: Reply (7), 0xaa56ce, options 1,2,24, DUIDs, search list.
        assert_eq!((r.msg_type, r.transaction_id, r.hop_count), (7, 0xaa56ce, 0));
        assert_eq!(codes(&r.options), [1, 2, 24]);
        assert_eq!(r.options[2].length, 49);
        assert_eq!(r.client_id, hex("0001000118f00b3f000c2938f368"));
        assert_eq!(r.server_id, hex("0001000118ef951b000c299ba153"));
        assert_eq!(r.domain_list, ["example.com", "sales.example.com", "eng.example.com"]);
        assert_eq!((r.link_addr.as_str(), r.peer_addr.as_str(), r.relay_depth), ("", "", 0));
    }

    /// tcpdump/tests/dhcpv6-rfc6355-duid-uuid.pcap frames 1 (Request) and 2 (Reply).
    #[test]
    fn request_and_reply_typed_options() {
        let b = hex(
            "0509f56b000100120004a256e92e40abd0d2a3ab3b3ff2ff89980002000a00030001a021b7e0d8710006000a0017001800170018\
             00010008000200000003002839e7148400000e1000001518000500182a02278807c804dd4a5b39fffee7148400001c2000001d4c",
        );
        let r = rec(&b);
        // tshark: Renew (5), 0x09f56b, options 1,2,6,8,3 (IA_NA, holding an
        // IA Address, 5); ORO 23,24,23,24,1; elapsed 0 ms; IAID 39e71484.
        assert_eq!((r.msg_type, r.transaction_id), (5, 0x09f56b));
        assert_eq!(codes(&r.options), [1, 2, 6, 8, 3]);
        assert_eq!(r.requested_options, [23, 24, 23, 24, 1]);
        assert_eq!(r.elapsed_time, 0);
        assert_eq!(r.ianaiaid, [0x39e7_1484]);
        assert_eq!(r.client_id, hex("0004a256e92e40abd0d2a3ab3b3ff2ff8998"));
        let b = hex(
            "0709f56b000100120004a256e92e40abd0d2a3ab3b3ff2ff89980003002839e714840000000f0000002d000500182a02278807c8\
             04dd4a5b39fffee714840000001e0000003c001700202a022788fff0000700000000000000032a022788fff00005000000000000\
             01400018000803766f6f026265000002000a00030001a021b7e0d871",
        );
        let r = rec(&b);
        // tshark: options 1,3 (holding 5),23,24,2; DNS 2a02:2788:fff0:7::3,
        // 2a02:2788:fff0:5::140; search list voo.be.
        assert_eq!(codes(&r.options), [1, 3, 23, 24, 2]);
        assert_eq!(r.dns_servers, ["2a02:2788:fff0:7::3", "2a02:2788:fff0:5::140"]);
        assert_eq!(r.domain_list, ["voo.be"]);
        assert_eq!(r.server_id, hex("00030001a021b7e0d871"));
    }

    /// tcpdump/tests/dhcpv6-mud.pcap frame 1: Relay-forw around a Solicit.
    fn relay_forw() -> Vec<u8> {
        hex("0c00200108a810060003022584fffedb2380fe80000000000000ba27ebfffeb853c8000900c60178244b0001000e000100011e62\
             770bb827ebb853c80008000200000010003300009f08002d6468637063642d362e31312e353a4c696e75782d342e312e31382d\
             76372b3a61726d76376c3a42434d32373039000e00000003000cebb853c800000000000000000027000d010b72617370626572\
             727970690070003668747470733a2f2f6d756463746c2e6578616d706c652e636f6d2f2e77656c6c2d6b6e6f776e2f6d7564\
             2f76312f7261736270313031001400000006000c00170018001f0027005200530012000400000008")
    }

    #[test]
    fn relay_forward_exposes_the_inner_solicit() {
        let r = rec(&relay_forw());
        // tshark: Relay-forw (12), hopcount 0, link 2001:8a8:1006:3:225:84ff:fedb:2380,
        // peer fe80::ba27:ebff:feb8:53c8; options 9 (198 bytes), 18; inner
        // Solicit (1), 0x78244b, options 1,8,16,14,3,39,112,20,6.
        assert_eq!((r.msg_type, r.hop_count, r.transaction_id), (12, 0, 0));
        assert_eq!(r.link_addr, "2001:8a8:1006:3:225:84ff:fedb:2380");
        assert_eq!(r.peer_addr, "fe80::ba27:ebff:feb8:53c8");
        assert_eq!(codes(&r.options), [9, 18]);
        assert_eq!(r.options[0].length, 198);
        assert_eq!((r.inner_msg_type, r.inner_transaction_id, r.relay_depth), (1, 0x78244b, 1));
        assert_eq!(codes(&r.inner_options), [1, 8, 16, 14, 3, 39, 112, 20, 6]);
        assert_eq!(r.client_id, hex("000100011e62770bb827ebb853c8"));
        assert_eq!(r.ianaiaid, [0xebb8_53c8]);
        assert_eq!(r.requested_options, [23, 24, 31, 39, 82, 83]);
    }

    /// Checked against tshark 4.0 with a hand-made packet: tshark shows
    /// msgtype 12,13,7, xid 0x010203, hopcount 3,2.
    #[test]
    fn nested_relays_reach_the_client_message() {
        let mut inner = vec![7, 1, 2, 3, 0, 2, 0, 2, b'd', b'd'];
        let mut mid = vec![13, 2];
        mid.extend([0u8; 32]);
        mid.extend([0, 9, 0, inner.len() as u8]);
        mid.append(&mut inner);
        let mut outer = vec![12, 3];
        outer.extend([0u8; 15]);
        outer.push(1);
        outer.extend([0u8; 15]);
        outer.push(2);
        outer.extend([0, 18, 0, 2, b'a', b'b', 0, 9, 0, mid.len() as u8]);
        outer.extend(&mid);
        let r = rec(&outer);
        assert_eq!((r.msg_type, r.hop_count, r.link_addr.as_str(), r.peer_addr.as_str()), (12, 3, "::1", "::2"));
        assert_eq!((r.inner_msg_type, r.inner_transaction_id, r.relay_depth), (7, 0x010203, 2));
        assert_eq!(r.server_id, b"dd");
        // A relay message without option 9: no inner message.
        let r = rec(&outer[..34]);
        assert_eq!((r.inner_msg_type, r.relay_depth, r.options.len()), (0, 0, 0));
    }

    #[test]
    fn overlong_option_and_stray_bytes_end_the_list() {
        // tshark lists only option 8 for both.
        let r = rec(&hex("01aabbcc 0008 0002 0005 0001 0032 616263"));
        assert_eq!(codes(&r.options), [8]);
        assert_eq!(r.elapsed_time, 5);
        let r = rec(&hex("01aabbcc 0008 0002 0005 000100"));
        assert_eq!(codes(&r.options), [8]);
        assert!(Dhcpv6Message::new_checked(&hex("0c03 00000000")).is_err());
        assert!(Dhcpv6Message::new_checked(&hex("01aabb")).is_err());
    }

    #[test]
    fn domain_names_partial_and_bad_labels() {
        let mut out = Vec::new();
        domain_names(b"\x03abc\x00\x03def\x02gh", &mut out);
        assert_eq!(out, ["abc", "def.gh"]);
        out.clear();
        domain_names(b"\x03abc\xc0\x0c", &mut out);
        assert!(out.is_empty());
        domain_names(b"\x05ab", &mut out);
        assert_eq!(out, ["ab"]);
    }

    #[test]
    fn hostile_input_never_panics() {
        let base = relay_forw();
        for n in 0..=base.len() {
            if let Ok(v) = Dhcpv6Message::new_checked(&base[..n]) {
                let _ = record(&v, 0, &CFG);
            }
        }
        let mut next = crate::decode::test_util::xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..5000 {
            let mut b = base.clone();
            for _ in 0..1 + next() % 8 {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            let cut = (next() as usize) % (b.len() + 1);
            if let Ok(v) = Dhcpv6Message::new_checked(&b[..cut]) {
                let r = record(&v, 0, &CFG);
                assert!(r.relay_depth as usize <= MAX_RELAY_DEPTH);
            }
        }
        // Relays nested deeper than the bound stop there.
        let mut m = vec![1, 0, 0, 1];
        for _ in 0..40 {
            let mut relay = vec![12, 0];
            relay.extend([0u8; 32]);
            relay.extend((OPT_RELAY_MSG).to_be_bytes());
            relay.extend((m.len() as u16).to_be_bytes());
            relay.extend(&m);
            m = relay;
        }
        let r = rec(&m);
        assert_eq!((r.relay_depth as usize, r.inner_msg_type), (MAX_RELAY_DEPTH, 0));
    }
}

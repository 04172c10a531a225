//! DHCPv4 (RFC 2131, options RFC 2132) and the BOOTP message it extends
//! (RFC 951), on UDP ports 67/68: one record per message.
//!
//! The 236-byte BOOTP header is required; everything after it is optional.
//! Options follow only when the next four bytes are the magic cookie
//! 99.130.83.99; without it the message is plain BOOTP and still gives a
//! record, with no options (gopacket rejects such a message; tshark shows
//! the header).
//!
//! Options are listed as tshark lists them (`dhcp.option.type`), not as
//! gopacket does: a run of Pad (0) bytes is one option (Type 0, Length =
//! the run's byte count; gopacket lists every pad byte) and End (255) is
//! an option too (Type 255, Length 0; gopacket drops it; tshark's field
//! value for End reads 0, its tree says 255). Nothing after End is an
//! option. An option whose length runs past the field is kept with the
//! bytes that are there and ends the walk (tshark lists it, then reports
//! the packet malformed); a type byte without its length byte is dropped.
//! Option Overload (52) makes the `file` and then the `sname` field hold
//! more options, read in that order after the options field (RFC 2131
//! 4.1; tshark shows them nested under option 52, sname first); those
//! fields are then not reported as text.

use super::wire::{be16, be32, hex_string, ipv4_string, mac_string, text_until_nul as text, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

/// op .. file: the fixed BOOTP header.
pub const HEADER_LEN: usize = 236;
/// 99.130.83.99 (RFC 2131 3).
pub const MAGIC_COOKIE: u32 = 0x6382_5363;

const CHADDR: usize = 28;
const SNAME: usize = 44;
const SNAME_LEN: usize = 64;
const FILE: usize = 108;
const FILE_LEN: usize = 128;
const OPTIONS: usize = HEADER_LEN + 4;

pub const OPT_PAD: u8 = 0;
pub const OPT_END: u8 = 255;
pub const OPT_OVERLOAD: u8 = 52;

/// A BOOTP/DHCPv4 message whose fixed header is known to be present.
#[derive(Clone, Copy)]
pub struct Dhcpv4Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Dhcpv4Packet<'a> {
    /// Rejects a buffer shorter than the 236-byte BOOTP header.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("DHCPv4", HEADER_LEN, buf.len()));
        }
        Ok(Dhcpv4Packet { buf })
    }
    pub fn op(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    pub fn htype(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    pub fn hlen(&self) -> u8 {
        u8_at(self.buf, 2)
    }
    pub fn hops(&self) -> u8 {
        u8_at(self.buf, 3)
    }
    pub fn xid(&self) -> u32 {
        be32(self.buf, 4)
    }
    pub fn secs(&self) -> u16 {
        be16(self.buf, 8)
    }
    pub fn flags(&self) -> u16 {
        be16(self.buf, 10)
    }
    pub fn ciaddr(&self) -> &'a [u8] {
        self.buf.get(12..16).unwrap_or_default()
    }
    pub fn yiaddr(&self) -> &'a [u8] {
        self.buf.get(16..20).unwrap_or_default()
    }
    pub fn siaddr(&self) -> &'a [u8] {
        self.buf.get(20..24).unwrap_or_default()
    }
    pub fn giaddr(&self) -> &'a [u8] {
        self.buf.get(24..28).unwrap_or_default()
    }
    /// The meaningful chaddr bytes: hlen of the 16 (all 16 when hlen is larger).
    pub fn chaddr(&self) -> &'a [u8] {
        let n = usize::from(self.hlen()).min(16);
        self.buf.get(CHADDR..CHADDR + n).unwrap_or_default()
    }
    pub fn sname(&self) -> &'a [u8] {
        self.buf.get(SNAME..SNAME + SNAME_LEN).unwrap_or_default()
    }
    pub fn file(&self) -> &'a [u8] {
        self.buf.get(FILE..FILE + FILE_LEN).unwrap_or_default()
    }
    /// The four bytes after the header, 0 when the message ends before them.
    pub fn magic_cookie(&self) -> u32 {
        be32(self.buf, HEADER_LEN)
    }
    pub fn is_dhcp(&self) -> bool {
        self.magic_cookie() == MAGIC_COOKIE
    }
    /// The options field (after the cookie); empty for BOOTP.
    pub fn options(&self) -> &'a [u8] {
        if !self.is_dhcp() {
            return &[];
        }
        self.buf.get(OPTIONS..).unwrap_or_default()
    }
}

/// One option of an options area, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawOption<'a> {
    pub code: u8,
    /// The length byte, or the byte count of a Pad run.
    pub len: u8,
    pub data: &'a [u8],
}

/// Walks one options area (options, file or sname field) as described in
/// the module comment. Every step consumes at least one byte.
pub fn walk<'a>(mut area: &'a [u8], mut each: impl FnMut(RawOption<'a>)) {
    while let Some(&code) = area.first() {
        match code {
            OPT_PAD => {
                let run = area.iter().take_while(|&&b| b == OPT_PAD).count();
                // A run longer than 255 bytes is reported in 255-byte pieces.
                let run = run.min(255);
                each(RawOption { code, len: run as u8, data: &[] });
                area = area.get(run..).unwrap_or_default();
            }
            OPT_END => {
                each(RawOption { code, len: 0, data: &[] });
                return;
            }
            _ => {
                let Some(&len) = area.get(1) else { return };
                let end = 2 + usize::from(len);
                let data = area.get(2..end.min(area.len())).unwrap_or_default();
                each(RawOption { code, len, data });
                if end > area.len() {
                    return;
                }
                area = area.get(end..).unwrap_or_default();
            }
        }
    }
}

fn addresses(data: &[u8], out: &mut Vec<String>) {
    out.extend(data.chunks_exact(4).map(ipv4_string));
}

/// An address option's value, empty unless it is exactly 4 bytes.
fn single_address(data: &[u8]) -> String {
    if data.len() == 4 {
        ipv4_string(data)
    } else {
        String::new()
    }
}

/// Every option of the message in reading order: options field, then
/// file, then sname when option 52 says they hold options.
pub fn all_options<'a>(v: &Dhcpv4Packet<'a>) -> (Vec<RawOption<'a>>, u8) {
    let mut opts = Vec::new();
    walk(v.options(), |o| opts.push(o));
    let overload = opts
        .iter()
        .find(|o| o.code == OPT_OVERLOAD && o.data.len() == 1)
        .map_or(0, |o| o.data.first().copied().unwrap_or(0));
    if overload & 1 != 0 {
        walk(v.file(), |o| opts.push(o));
    }
    if overload & 2 != 0 {
        walk(v.sname(), |o| opts.push(o));
    }
    (opts, overload)
}

pub fn record(v: &Dhcpv4Packet, timestamp: i64, _cfg: &EncodeConfig) -> pb::DhcPv4 {
    let (opts, overload) = all_options(v);
    let chaddr = v.chaddr();
    let mut r = pb::DhcPv4 {
        timestamp,
        operation: i32::from(v.op()),
        hardware_type: i32::from(v.htype()),
        hardware_len: i32::from(v.hlen()),
        hardware_opts: i32::from(v.hops()),
        xid: v.xid(),
        secs: i32::from(v.secs()),
        flags: i32::from(v.flags()),
        client_ip: ipv4_string(v.ciaddr()),
        your_client_ip: ipv4_string(v.yiaddr()),
        next_server_ip: ipv4_string(v.siaddr()),
        relay_agent_ip: ipv4_string(v.giaddr()),
        client_hw_addr: if matches!(v.htype(), 1 | 6) && v.hlen() == 6 {
            mac_string(chaddr)
        } else {
            hex_string(chaddr)
        },
        server_name: if overload & 2 != 0 { String::new() } else { text(v.sname()) },
        file: if overload & 1 != 0 { String::new() } else { text(v.file()) },
        magic_cookie: v.magic_cookie(),
        option_overload: i32::from(overload),
        ..Default::default()
    };
    let mut seen = [false; 256];
    for o in &opts {
        let first = !std::mem::replace(&mut seen[usize::from(o.code)], true);
        let d = o.data;
        match o.code {
            1 if first => r.subnet_mask = single_address(d),
            3 => addresses(d, &mut r.routers),
            6 => addresses(d, &mut r.dns_servers),
            12 if first => r.hostname = text(d),
            15 if first => r.domain_name = text(d),
            50 if first => r.requested_ip = single_address(d),
            51 if first && d.len() == 4 => r.lease_time = be32(d, 0),
            53 if first && d.len() == 1 => r.message_type = i32::from(u8_at(d, 0)),
            54 if first => r.server_id = single_address(d),
            55 => r.parameter_request_list.extend(d.iter().map(|&c| i32::from(c))),
            60 if first => r.vendor_class_id = text(d),
            61 if first => r.client_id = d.to_vec(),
            _ => {}
        }
    }
    r.options = opts
        .into_iter()
        .map(|o| pb::DhcPv4Option { r#type: i32::from(o.code), length: i32::from(o.len), data: o.data.to_vec() })
        .collect();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    const CFG: EncodeConfig = EncodeConfig { include_payload: false };

    /// A message from a capture: its first 34 bytes (op .. chaddr), zeros
    /// up to the cookie (as in the capture), then the bytes from the cookie on.
    fn message(head: &str, tail: &str) -> Vec<u8> {
        let mut b = hex(head);
        b.resize(HEADER_LEN, 0);
        b.extend(hex(tail));
        b
    }

    /// tcpdump/tests/dhcp-rfc3004.pcap frame 2 (DHCP Offer), UDP payload.
    fn offer() -> Vec<u8> {
        message(
            "0201060006e328640000000000000000c0a801040000000000000000000c291f7406",
            "638253633501023604c0a801013304000151800104ffffff000304c0a801010604c0a801010f04486f6d65ff",
        )
    }

    #[test]
    fn offer_matches_tshark() {
        let b = offer();
        let v = Dhcpv4Packet::new_checked(&b).unwrap();
        let r = record(&v, 7, &CFG);
        // tshark -V: Boot Reply (2), Ethernet (0x01), len 6, hops 0, 0x06e32864, ...
        assert_eq!((r.operation, r.hardware_type, r.hardware_len, r.hardware_opts), (2, 1, 6, 0));
        assert_eq!((r.xid, r.secs, r.flags), (0x06e3_2864, 0, 0));
        assert_eq!(r.client_ip, "0.0.0.0");
        assert_eq!(r.your_client_ip, "192.168.1.4");
        assert_eq!(r.next_server_ip, "0.0.0.0");
        assert_eq!(r.relay_agent_ip, "0.0.0.0");
        assert_eq!(r.client_hw_addr, "00:0c:29:1f:74:06");
        assert_eq!((r.server_name.as_str(), r.file.as_str()), ("", ""));
        assert_eq!(r.magic_cookie, MAGIC_COOKIE);
        // dhcp.option.type 53,54,51,1,3,6,15,0 (End); lengths 1,4,4,4,4,4,4
        let types: Vec<i32> = r.options.iter().map(|o| o.r#type).collect();
        assert_eq!(types, [53, 54, 51, 1, 3, 6, 15, 255]);
        let lens: Vec<i32> = r.options.iter().map(|o| o.length).collect();
        assert_eq!(lens, [1, 4, 4, 4, 4, 4, 4, 0]);
        assert_eq!(r.message_type, 2);
        assert_eq!(r.server_id, "192.168.1.1");
        assert_eq!(r.lease_time, 86400);
        assert_eq!(r.subnet_mask, "255.255.255.0");
        assert_eq!(r.routers, ["192.168.1.1"]);
        assert_eq!(r.dns_servers, ["192.168.1.1"]);
        assert_eq!(r.domain_name, "Home");
        assert_eq!(r.timestamp, 7);
    }

    /// tcpdump/tests/dhcp-rfc3004.pcap frame 1 (Discover): options 53, 50,
    /// 55 (7 items), 77 (37 bytes), End, then two padding bytes.
    #[test]
    fn discover_parameter_request_list() {
        let b = message(
            "0101060006e328640000000000000000000000000000000000000000000c291f7406",
            "638253633501013204c0a801043707011c02030f060c4d25077375626f707431117375626f7074322d31323334\
             35363738390a7375626f7074332d3132ff0000",
        );
        let r = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        assert_eq!((r.operation, r.message_type), (1, 1));
        assert_eq!(r.requested_ip, "192.168.1.4");
        assert_eq!(r.parameter_request_list, [1, 28, 2, 3, 15, 6, 12]);
        let types: Vec<i32> = r.options.iter().map(|o| o.r#type).collect();
        assert_eq!(types, [53, 50, 55, 77, 255]);
        assert_eq!(r.options[3].length, 37);
        assert_eq!(r.options[3].data.len(), 37);
    }

    /// tcpdump/tests/dhcpv4v6-rfc5970-rfc8572.pcap frame 8 (Request).
    #[test]
    fn request_with_vendor_class_and_client_id() {
        let b = message(
            "01010600796a827d0000000000000000000000000000000000000000000044010000",
            "6382536335010336040a0a000232040a0a0004370a1a011c030f06070c8f793c064172697374613d06000044010000ff\
             00000000000000000000000000000000",
        );
        let r = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        assert_eq!(r.xid, 0x796a_827d);
        assert_eq!(r.client_hw_addr, "00:00:44:01:00:00");
        let types: Vec<i32> = r.options.iter().map(|o| o.r#type).collect();
        assert_eq!(types, [53, 54, 50, 55, 60, 61, 255]);
        assert_eq!(r.message_type, 3);
        assert_eq!(r.server_id, "10.10.0.2");
        assert_eq!(r.requested_ip, "10.10.0.4");
        assert_eq!(r.parameter_request_list, [26, 1, 28, 3, 15, 6, 7, 12, 143, 121]);
        assert_eq!(r.vendor_class_id, "Arista");
        assert_eq!(r.client_id, hex("000044010000"));
    }

    #[test]
    fn bootp_without_cookie_has_no_options() {
        let mut b = offer();
        b[236] = 0;
        let r = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        assert!(r.options.is_empty());
        assert_eq!(r.message_type, 0);
        assert_eq!(r.xid, 0x06e3_2864);
        let header_only = &b[..236];
        let r = record(&Dhcpv4Packet::new_checked(header_only).unwrap(), 0, &CFG);
        assert_eq!((r.magic_cookie, r.options.len()), (0, 0));
        assert!(Dhcpv4Packet::new_checked(&b[..235]).is_err());
    }

    /// Cases checked against tshark 4.0 with hand-made packets.
    #[test]
    fn pad_runs_end_and_truncated_options_as_tshark_lists_them() {
        let mut b = offer();
        b.truncate(240);
        // 53, pad pad, 12 "abc", pad, End, trailing bytes: tshark types
        // 53,0,12,0,0(End) lengths 1,3.
        b.extend([53, 1, 1, 0, 0, 12, 3, b'a', b'b', b'c', 0, 255, 0, 0, 7]);
        let r = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        let got: Vec<(i32, i32)> = r.options.iter().map(|o| (o.r#type, o.length)).collect();
        assert_eq!(got, [(53, 1), (0, 2), (12, 3), (0, 1), (255, 0)]);
        assert_eq!(r.hostname, "abc");
        // 12 claims 50 bytes, 3 present: tshark lists 53,12 with lengths 1,50.
        b.truncate(240);
        b.extend([53, 1, 1, 12, 50, b'a', b'b', b'c']);
        let r = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        let got: Vec<(i32, i32)> = r.options.iter().map(|o| (o.r#type, o.length)).collect();
        assert_eq!(got, [(53, 1), (12, 50)]);
        assert_eq!(r.options[1].data, b"abc");
        // a type byte without its length: tshark lists only 53.
        b.truncate(240);
        b.extend([53, 1, 1, 12]);
        let r = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        assert_eq!(r.options.len(), 1);
    }

    #[test]
    fn overload_reads_file_then_sname() {
        let mut b = offer();
        b.truncate(240);
        b.extend([53, 1, 5, 52, 1, 3, 255]);
        b[SNAME..SNAME + 6].copy_from_slice(&[15, 3, b'x', b'y', b'z', 255]);
        b[FILE..FILE + 5].copy_from_slice(&[12, 2, b'h', b'h', 255]);
        let r = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        let types: Vec<i32> = r.options.iter().map(|o| o.r#type).collect();
        assert_eq!(types, [53, 52, 255, 12, 255, 15, 255]);
        assert_eq!((r.option_overload, r.hostname.as_str(), r.domain_name.as_str()), (3, "hh", "xyz"));
        assert_eq!((r.server_name.as_str(), r.file.as_str()), ("", ""));
    }

    #[test]
    fn hardware_address_forms_and_names() {
        let mut b = offer();
        b[1] = 6; // IEEE 802, hlen 6: tshark still shows a MAC
        b[SNAME..SNAME + 8].copy_from_slice(b"srv\0junk");
        b[FILE..FILE + 8].copy_from_slice(b"boot.img");
        let r = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        assert_eq!(r.client_hw_addr, "00:0c:29:1f:74:06");
        assert_eq!((r.server_name.as_str(), r.file.as_str()), ("srv", "boot.img"));
        b[1] = 2;
        b[2] = 8;
        let r = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        assert_eq!(r.client_hw_addr, "000c291f74060000");
        b[2] = 0;
        assert_eq!(record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG).client_hw_addr, "");
        b[2] = 200;
        assert_eq!(record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG).client_hw_addr.len(), 32);
    }

    #[test]
    fn hostile_input_never_panics() {
        let base = offer();
        for n in 0..=base.len() {
            if let Ok(v) = Dhcpv4Packet::new_checked(&base[..n]) {
                let _ = record(&v, 0, &CFG);
            }
        }
        let mut next = crate::decode::test_util::xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5000 {
            let mut b = base.clone();
            for _ in 0..1 + next() % 8 {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            // Now and then option 52 first, so that sname and file are walked too.
            if next() % 4 == 0 {
                b.splice(OPTIONS..OPTIONS, [52, 1, 3]);
            }
            let cut = 236 + (next() as usize) % (b.len() - 235);
            if let Ok(v) = Dhcpv4Packet::new_checked(&b[..cut]) {
                let r = record(&v, 0, &CFG);
                assert!(r.options.len() <= b.len());
            }
        }
        // Random bytes behind a valid cookie and an overload of both fields.
        for _ in 0..2000 {
            let len = 236 + (next() as usize) % 200;
            let mut b: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if b.len() >= OPTIONS + 3 {
                b[HEADER_LEN..OPTIONS + 3].copy_from_slice(&[0x63, 0x82, 0x53, 0x63, 52, 1, 3]);
            }
            let _ = record(&Dhcpv4Packet::new_checked(&b).unwrap(), 0, &CFG);
        }
    }
}

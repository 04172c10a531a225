//! DNS (RFC 1035), also as mDNS (RFC 6762, UDP 5353) and LLMNR (RFC 4795,
//! UDP 5355), which share its message format: a 12-byte header, then the
//! question, answer, authority and additional sections. Over TCP the
//! dispatch strips the 2-byte length prefix, so a view always holds one
//! message.
//!
//! Names are read with compression (RFC 1035 4.1.4) under three bounds, so
//! that hostile input cannot loop or grow: a pointer must point strictly
//! before its own position, a name follows at most [`MAX_POINTERS`]
//! pointers, and its uncompressed form is at most [`MAX_NAME_LEN`] bytes
//! (RFC 1035 3.1: labels, their length bytes and the root byte). Real
//! encoders only ever point back at names already written; a forward
//! pointer is what crafted loops are made of. tshark 4.0 follows forward
//! pointers and stops loops only after 255 jumps (printing "<Name contains
//! a pointer that loops>"), and prints "<Name too long>" past 253
//! characters yet keeps reading labels; both only happen in hostile
//! messages, and we refuse such names. Label types 0x40 (the extended
//! labels of RFC 2671, withdrawn by RFC 6891) and 0x80 are refused too.
//!
//! A question or record whose owner name cannot be read ends the parsing
//! of the message: where the next record starts is then unknown, or
//! known only from bytes already shown to be garbage. The record keeps the
//! entries before it. A name inside RDATA that cannot be read only leaves
//! that decoded field empty (RDLENGTH still says where the next record
//! starts). A record whose RDATA is cut short by the end of the message
//! is kept with the bytes present and ends the parsing. Counts are the
//! header's; the lists hold what the bytes hold, so a count of 65535 costs
//! nothing beyond the bytes present.
//!
//! Names are text as tshark shows them (`dns.qry.name`): labels joined by
//! "." (a "." inside a label is not escaped), the root as `<Root>`, and the
//! bytes passed through Wireshark's `format_text`: printable ASCII as is,
//! other ASCII as C escapes (`\t`, `\000`), UTF-8 decoded (invalid
//! sequences become U+FFFD), non-printable characters as `\uXXXX`. One
//! approximation: Unicode code points that are unassigned (which GLib
//! escapes) are printed as themselves, as netcap carries no Unicode table.

use super::wire::{be16, be32, ipv4_string, ipv6_string, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;
use std::fmt::Write;

pub const HEADER_LEN: usize = 12;
/// Longest name on the wire, uncompressed (RFC 1035 3.1).
pub const MAX_NAME_LEN: usize = 255;
/// Most compression pointers followed in one name.
pub const MAX_POINTERS: usize = 128;

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_MX: u16 = 15;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_SRV: u16 = 33;
pub const TYPE_OPT: u16 = 41;

/// A DNS message whose 12-byte header is known to be present.
#[derive(Clone, Copy)]
pub struct DnsMessage<'a> {
    buf: &'a [u8],
}

impl<'a> DnsMessage<'a> {
    /// Rejects only a buffer shorter than the header; whatever follows is
    /// parsed as far as it is readable.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("DNS", HEADER_LEN, buf.len()));
        }
        Ok(DnsMessage { buf })
    }
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
    pub fn id(&self) -> u16 {
        be16(self.buf, 0)
    }
    pub fn flags(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn qr(&self) -> bool {
        self.flags() & 0x8000 != 0
    }
    pub fn opcode(&self) -> u8 {
        ((self.flags() >> 11) & 0xf) as u8
    }
    pub fn aa(&self) -> bool {
        self.flags() & 0x0400 != 0
    }
    pub fn tc(&self) -> bool {
        self.flags() & 0x0200 != 0
    }
    pub fn rd(&self) -> bool {
        self.flags() & 0x0100 != 0
    }
    pub fn ra(&self) -> bool {
        self.flags() & 0x0080 != 0
    }
    /// The three bits after RA (Z, AD, CD), as gopacket's `Z`.
    pub fn z(&self) -> u8 {
        ((self.flags() >> 4) & 0x7) as u8
    }
    pub fn ad(&self) -> bool {
        self.flags() & 0x0020 != 0
    }
    pub fn cd(&self) -> bool {
        self.flags() & 0x0010 != 0
    }
    pub fn rcode(&self) -> u8 {
        (self.flags() & 0xf) as u8
    }
    pub fn qd_count(&self) -> u16 {
        be16(self.buf, 4)
    }
    pub fn an_count(&self) -> u16 {
        be16(self.buf, 6)
    }
    pub fn ns_count(&self) -> u16 {
        be16(self.buf, 8)
    }
    pub fn ar_count(&self) -> u16 {
        be16(self.buf, 10)
    }

    /// The four sections, as far as the bytes hold them (see the module
    /// documentation for where parsing stops).
    pub fn sections(&self) -> Sections {
        let msg = self.buf;
        let mut s = Sections::default();
        let mut pos = HEADER_LEN;
        // Compression lets a 2-byte pointer stand for a 255-byte name (and
        // escaping makes its text longer still): the decoded sections may
        // hold at most NAME_BUDGET_FACTOR times the message plus 4 KiB, so
        // a crafted message cannot make records hundreds of times its size.
        // Real messages stay far below (a full mDNS response: about 2x).
        let mut budget = msg.len().saturating_mul(NAME_BUDGET_FACTOR).saturating_add(4096);
        let mut spend = |len: usize| -> bool {
            budget = budget.saturating_sub(len);
            budget > 0
        };
        for _ in 0..self.qd_count() {
            match question(msg, pos) {
                Some((q, next)) if spend(prost::Message::encoded_len(&q)) => {
                    s.questions.push(q);
                    pos = next;
                }
                _ => return s,
            }
        }
        let counts = [self.an_count(), self.ns_count(), self.ar_count()];
        for (section, count) in counts.into_iter().enumerate() {
            for _ in 0..count {
                let Some((rr, next)) = resource_record(msg, pos) else {
                    return s;
                };
                if !spend(prost::Message::encoded_len(&rr)) {
                    return s;
                }
                let list = match section {
                    0 => &mut s.answers,
                    1 => &mut s.authorities,
                    _ => &mut s.additionals,
                };
                list.push(rr);
                match next {
                    Some(next) => pos = next,
                    None => return s,
                }
            }
        }
        s
    }
}

/// How many times its own size the decoded sections of a message may be.
pub const NAME_BUDGET_FACTOR: usize = 16;

/// The parsed sections of one message.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Sections {
    pub questions: Vec<pb::DnsQuestion>,
    pub answers: Vec<pb::DnsResourceRecord>,
    pub authorities: Vec<pb::DnsResourceRecord>,
    pub additionals: Vec<pb::DnsResourceRecord>,
}

/// Why a name could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// A label or pointer runs past the end of the message (or of the
    /// RDATA the name sits in).
    Truncated,
    /// A compression pointer to its own position or after it.
    ForwardPointer,
    /// More than [`MAX_POINTERS`] pointers.
    TooManyPointers,
    /// More than [`MAX_NAME_LEN`] bytes uncompressed.
    TooLong,
    /// A label type other than 0 (label) and 3 (pointer).
    BadLabelType,
}

/// Reads the name at `at` of message `msg` whose bytes in place (before
/// the first pointer) must end by `limit`. Returns the name's text (see
/// [`name_text`]) and the position after its bytes in place.
pub fn read_name(msg: &[u8], at: usize, limit: usize) -> Result<(String, usize), NameError> {
    let (raw, end) = read_name_raw(msg, at, limit)?;
    Ok((name_text(&raw), end))
}

/// [`read_name`] before formatting: the labels joined by '.'.
pub fn read_name_raw(msg: &[u8], at: usize, limit: usize) -> Result<(Vec<u8>, usize), NameError> {
    let limit = limit.min(msg.len());
    let mut raw = Vec::new();
    let mut pos = at;
    // Position after the name's bytes in place, once a pointer was taken.
    let mut end = None;
    let mut pointers = 0;
    // The uncompressed length so far: length bytes and labels.
    let mut wire_len = 0;
    loop {
        // Before the first pointer, bytes past `limit` are not the name's.
        let bound = if end.is_some() { msg.len() } else { limit };
        if pos >= bound {
            return Err(NameError::Truncated);
        }
        let len = u8_at(msg, pos);
        match len & 0xc0 {
            0x00 if len == 0 => {
                return Ok((raw, end.unwrap_or(pos + 1)));
            }
            0x00 => {
                let n = usize::from(len);
                wire_len += 1 + n;
                // The root byte still has to fit.
                if wire_len + 1 > MAX_NAME_LEN {
                    return Err(NameError::TooLong);
                }
                let label =
                    msg.get(pos + 1..pos + 1 + n).filter(|_| pos + 1 + n <= bound).ok_or(NameError::Truncated)?;
                if !raw.is_empty() {
                    raw.push(b'.');
                }
                raw.extend_from_slice(label);
                pos += 1 + n;
            }
            0xc0 => {
                if pos + 2 > bound {
                    return Err(NameError::Truncated);
                }
                let target = usize::from(be16(msg, pos) & 0x3fff);
                if target >= pos {
                    return Err(NameError::ForwardPointer);
                }
                pointers += 1;
                if pointers > MAX_POINTERS {
                    return Err(NameError::TooManyPointers);
                }
                end.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(NameError::BadLabelType),
        }
    }
}

/// A name's text as tshark prints it: `<Root>` for the root, else the
/// labels (joined by '.') through Wireshark's `format_text`.
pub fn name_text(raw: &[u8]) -> String {
    if raw.is_empty() {
        return "<Root>".to_string();
    }
    format_text(raw)
}

/// Wireshark's `format_text` (wsutil/str_util.c): printable ASCII as is,
/// other ASCII as C escapes, UTF-8 decoded permissively (overlong forms
/// accepted; bad sequences, surrogates and values past U+10FFFF become
/// U+FFFD), characters that are not printable as `\uXXXX`/`\UXXXXXXXX`.
pub fn format_text(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        i += 1;
        if (0x20..0x7f).contains(&c) {
            out.push(char::from(c));
            continue;
        }
        if c < 0x80 {
            out.push('\\');
            match c {
                0x07 => out.push('a'),
                0x08 => out.push('b'),
                0x0c => out.push('f'),
                b'\n' => out.push('n'),
                b'\r' => out.push('r'),
                b'\t' => out.push('t'),
                0x0b => out.push('v'),
                _ => {
                    let _ = write!(out, "{c:03o}");
                }
            }
            continue;
        }
        let (more, mask) = match c {
            0xc0..=0xdf => (1, 0x1f),
            0xe0..=0xef => (2, 0x0f),
            0xf0..=0xf7 => (3, 0x07),
            0xf8..=0xfb => (4, 0x03),
            0xfc..=0xfd => (5, 0x01),
            _ => (0, 0),
        };
        let mut uc = u32::from(c & mask);
        if more == 0 {
            uc = 0xfffd;
        }
        for _ in 0..more {
            match s.get(i) {
                Some(&b) if b & 0xc0 == 0x80 => {
                    uc = (uc << 6) | u32::from(b & 0x3f);
                    i += 1;
                }
                // Not a continuation byte: it starts the next character.
                _ => {
                    uc = 0xfffd;
                    break;
                }
            }
        }
        let ch = char::from_u32(uc).unwrap_or('\u{fffd}');
        if printable(ch) {
            out.push(ch);
        } else if uc <= 0xffff {
            let _ = write!(out, "\\u{uc:04X}");
        } else {
            let _ = write!(out, "\\U{uc:08X}");
        }
    }
    out
}

/// GLib's `g_unichar_isprint`: not a control, format, surrogate or
/// unassigned character. Format characters are listed (Unicode 15 `Cf`);
/// of the unassigned ones only the noncharacters are known here.
fn printable(ch: char) -> bool {
    let c = u32::from(ch);
    let control = c < 0x20 || (0x7f..0xa0).contains(&c);
    let format = matches!(
        c,
        0xad | 0x600..=0x605
            | 0x61c
            | 0x6dd
            | 0x70f
            | 0x890..=0x891
            | 0x8e2
            | 0x180e
            | 0x200b..=0x200f
            | 0x202a..=0x202e
            | 0x2060..=0x2064
            | 0x2066..=0x206f
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0x110bd
            | 0x110cd
            | 0x13430..=0x1343f
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0001
            | 0xe0020..=0xe007f
    );
    let noncharacter = (0xfdd0..=0xfdef).contains(&c) || c & 0xfffe == 0xfffe;
    !(control || format || noncharacter)
}

/// The question at `pos`: name, type, class. None when the name cannot be
/// read or the 4 bytes after it are missing.
fn question(msg: &[u8], pos: usize) -> Option<(pb::DnsQuestion, usize)> {
    let (name, at) = read_name(msg, pos, msg.len()).ok()?;
    if at + 4 > msg.len() {
        return None;
    }
    let q = pb::DnsQuestion { name, r#type: i32::from(be16(msg, at)), class: i32::from(be16(msg, at + 2)) };
    Some((q, at + 4))
}

/// The resource record at `pos`, and where the next one starts (None when
/// its RDATA is cut short: the record holds the bytes present). None when
/// the owner name cannot be read or the 10 bytes after it are missing.
fn resource_record(msg: &[u8], pos: usize) -> Option<(pb::DnsResourceRecord, Option<usize>)> {
    let (name, at) = read_name(msg, pos, msg.len()).ok()?;
    if at + 10 > msg.len() {
        return None;
    }
    let (rtype, class, ttl, rdlen) = (be16(msg, at), be16(msg, at + 2), be32(msg, at + 4), be16(msg, at + 8));
    let start = at + 10;
    let end = start + usize::from(rdlen);
    let complete = end <= msg.len();
    let mut rr = pb::DnsResourceRecord {
        name,
        r#type: i32::from(rtype),
        class: i32::from(class),
        ttl,
        data_length: i32::from(rdlen),
        data: msg.get(start..end.min(msg.len())).unwrap_or_default().to_vec(),
        ..Default::default()
    };
    if !complete {
        return Some((rr, None));
    }
    decode_rdata(&mut rr, msg, start, end);
    Some((rr, Some(end)))
}

/// Fills the typed fields of `rr` from its RDATA `msg[start..end]`.
fn decode_rdata(rr: &mut pb::DnsResourceRecord, msg: &[u8], start: usize, end: usize) {
    let rdata = msg.get(start..end).unwrap_or_default();
    let name_at = |off: usize| read_name(msg, start + off, end).ok();
    match u16::try_from(rr.r#type).unwrap_or(0) {
        TYPE_A if rdata.len() == 4 => rr.ip = ipv4_string(rdata),
        TYPE_AAAA if rdata.len() == 16 => rr.ip = ipv6_string(rdata),
        TYPE_NS => rr.ns = name_at(0).map(|n| n.0).unwrap_or_default(),
        TYPE_CNAME => rr.cname = name_at(0).map(|n| n.0).unwrap_or_default(),
        TYPE_PTR => rr.ptr = name_at(0).map(|n| n.0).unwrap_or_default(),
        TYPE_MX if rdata.len() >= 2 => {
            if let Some((name, _)) = name_at(2) {
                rr.mx = Some(pb::Dnsmx { preference: i32::from(be16(rdata, 0)), name });
            }
        }
        TYPE_TXT => {
            let mut rest = rdata;
            while let Some(&n) = rest.first() {
                let Some(text) = rest.get(1..1 + usize::from(n)) else {
                    break;
                };
                rr.tx_ts.push(text.to_vec());
                rest = rest.get(1 + usize::from(n)..).unwrap_or_default();
            }
        }
        TYPE_SOA => {
            let Some((mname, at)) = name_at(0) else {
                return;
            };
            let Ok((rname, at)) = read_name(msg, at, end) else {
                return;
            };
            if at + 20 <= end {
                rr.soa = Some(pb::Dnssoa {
                    m_name: mname,
                    r_name: rname,
                    serial: be32(msg, at),
                    refresh: be32(msg, at + 4),
                    retry: be32(msg, at + 8),
                    expire: be32(msg, at + 12),
                    minimum: be32(msg, at + 16),
                });
            }
        }
        TYPE_SRV if rdata.len() >= 6 => {
            if let Some((name, _)) = name_at(6) {
                rr.srv = Some(pb::Dnssrv {
                    priority: i32::from(be16(rdata, 0)),
                    weight: i32::from(be16(rdata, 2)),
                    port: i32::from(be16(rdata, 4)),
                    name,
                });
            }
        }
        TYPE_OPT => {
            rr.udp_payload_size = rr.class;
            rr.extended_r_code = (rr.ttl >> 24) as i32;
            rr.edns_version = ((rr.ttl >> 16) & 0xff) as i32;
            rr.r#do = rr.ttl & 0x8000 != 0;
            let mut rest = rdata;
            while rest.len() >= 4 {
                let n = usize::from(be16(rest, 2));
                let Some(data) = rest.get(4..4 + n) else {
                    break;
                };
                rr.opt.push(pb::Dnsopt { code: i32::from(be16(rest, 0)), data: data.to_vec() });
                rest = rest.get(4 + n..).unwrap_or_default();
            }
        }
        _ => {}
    }
}

pub fn record(v: &DnsMessage, timestamp: i64, _cfg: &EncodeConfig) -> pb::Dns {
    let s = v.sections();
    pb::Dns {
        timestamp,
        id: i32::from(v.id()),
        qr: v.qr(),
        op_code: i32::from(v.opcode()),
        aa: v.aa(),
        tc: v.tc(),
        rd: v.rd(),
        ra: v.ra(),
        z: i32::from(v.z()),
        response_code: i32::from(v.rcode()),
        qd_count: i32::from(v.qd_count()),
        an_count: i32::from(v.an_count()),
        ns_count: i32::from(v.ns_count()),
        ar_count: i32::from(v.ar_count()),
        questions: s.questions,
        answers: s.answers,
        authorities: s.authorities,
        additionals: s.additionals,
        ad: v.ad(),
        cd: v.cd(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(parts: &[&str]) -> Vec<u8> {
        let s: String = parts.concat();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
    }

    fn parse(bytes: &[u8]) -> pb::Dns {
        record(&DnsMessage::new_checked(bytes).expect("header"), 7, &EncodeConfig::default())
    }

    fn names(rrs: &[pb::DnsResourceRecord]) -> Vec<(&str, i32)> {
        rrs.iter().map(|r| (r.name.as_str(), r.r#type)).collect()
    }

    /// many-protocols.pcap frame 1084: a response whose CNAME target and
    /// second owner name are compression pointers (c00f).
    #[test]
    fn response_with_compressed_cname_and_a() {
        let m = parse(&hex(&[
            "603e818000010002000000000270780c64796e616d69637969656c6403636f6d0000010001c00c0005000100000447",
            "0002c00fc00f000100010000002a000436e2e878",
        ]));
        assert_eq!(
            (m.id, m.qr, m.op_code, m.aa, m.tc, m.rd, m.ra, m.z, m.response_code),
            (0x603e, true, 0, false, false, true, true, 0, 0)
        );
        assert_eq!((m.qd_count, m.an_count, m.ns_count, m.ar_count), (1, 2, 0, 0));
        assert_eq!(m.timestamp, 7);
        assert_eq!(m.questions, vec![pb::DnsQuestion { name: "px.dynamicyield.com".into(), r#type: 1, class: 1 }]);
        assert_eq!(names(&m.answers), vec![("px.dynamicyield.com", 5), ("dynamicyield.com", 1)]);
        let (cname, a) = (&m.answers[0], &m.answers[1]);
        assert_eq!((cname.class, cname.ttl, cname.data_length, cname.data.as_slice()), (1, 1095, 2, &[0xc0, 0x0f][..]));
        assert_eq!(cname.cname, "dynamicyield.com");
        assert_eq!((a.ttl, a.data_length, a.ip.as_str()), (42, 4, "54.226.232.120"));
        assert!(m.authorities.is_empty() && m.additionals.is_empty());
    }

    /// sll.pcap frame 13: an mDNS query over IPv6 (QM question, class IN).
    #[test]
    fn mdns_query() {
        let m = parse(&hex(&["0000000000010000000000000a5f73616e652d706f7274045f746370056c6f63616c00000c0001"]));
        assert_eq!((m.id, m.qr, m.op_code, m.rd, m.qd_count), (0, false, 0, false, 1));
        assert_eq!(m.questions, vec![pb::DnsQuestion { name: "_sane-port._tcp.local".into(), r#type: 12, class: 1 }]);
    }

    /// ip6_fragments.pcap frame 20 (the first fragment's UDP payload): an
    /// mDNS response of 36 SRV, TXT and PTR answers with cache-flush
    /// classes, names with spaces, compression throughout, and 4 bytes of
    /// the next fragment's data after the last answer.
    #[test]
    fn mdns_response_with_srv_txt_ptr() {
        let m = parse(&hex(&[
            "00008400000000240000000008526f73636f7269690b5f6166706f766572746370045f746370056c6f63616c000021800100",
            "000078001100000000022408526f73636f726969c026c00c0010800100001194000100095f7365727669636573075f646e73",
            "2d7364045f756470c026000c0001000011940002c015c015000c0001000011940002c00c08526f73636f7269690c5f646576",
            "6963652d696e666fc02100100001000011940011106d6f64656c3d4d6163426f6f6b342c3108526f73636f726969045f6674",
            "70c02100218001000000780008000000000015c03dc0bb0010800100001194000100c055000c0001000011940002c0c4c0c4",
            "000c0001000011940002c0bb08526f73636f726969045f736d62c021002180010000007800080000000001bdc03dc1060010",
            "800100001194000100c055000c0001000011940002c10fc10f000c0001000011940002c10608526f73636f726969045f7373",
            "68c02100218001000000780008000000000016c03dc1510010800100001194000100c055000c0001000011940002c15ac15a",
            "000c0001000011940002c15108526f73636f726969095f736674702d737368c02100218001000000780008000000000016c0",
            "3dc19c0010800100001194000100c055000c0001000011940002c1a5c1a5000c0001000011940002c19c095f6b6572626572",
            "6f73c03d00100001000011940033324c4b44433a534841312e34374139334639314134343541384632393244353537364443",
            "3638333130434232393832413446330a4361747320436c617773055f64616170c02100218001000000780008000000000e69",
            "c03dc235001080010000119400c709747874766572733d3113695453682056657273696f6e3d313936363039164d49443d30",
            "78333835394638303141373531374443311c44617461626173652049443d333835394638303141373531374443330a646d76",
            "3d3133313037380e56657273696f6e3d3139363631360a4f5373693d3078314635174d616368696e65204e616d653d436174",
            "7320436c617773144d65646961204b696e6473205368617265643d31174d616368696e652049443d38443745324639424430",
            "39440a50617373776f72643d30c055000c0001000011940002c240c240000c0001000011940002c2351c6954756e65735f43",
            "74726c5f38443436463333313346373735373741055f64616370c02100218001000000780008000000000e69c03dc3490010",
            "800100001194003609747874766572733d310a5665723d31333130373315446249643d333835394638303141373531374443",
            "330a4f5373693d3078314635c055000c0001000011940002c366c366000c0001000011940002c3490a4361747320436c6177",
            "730d5f686f6d652d73686172696e67c02100218001000000780008000000000e69c03dc3de001080010000119400fe097478",
            "74766572733d3113695453682056657273696f6e3d3139363630390668513d313030164d49443d3078333835394638303141",
            "373531374443311c44617461626173652049443d333835394638303141373531374443330a646d763d3133313037380e5665",
            "7273696f6e3d3139363631360a4f5373693d3078314635174d616368696e65204e616d653d4361747320436c617773276847",
            "3d30303030303030302d303133342d363931362d666630342d3863356437376465343237332768433d62323935303334392d",
            "316439372d343364372d613533322d636263376238316362306161174d616368696e652049443d3844374532463942443039",
            "44c055000c0001000011940002c3e9255f30303030303030302d303133342d363931362d666630342d386335643737646534",
            "323733045f737562c3e9000c0001000011940002c3dec3e9000c0001000011940002c3de1435302d33372d37312d37322052",
            "6f73636f7269690c5f736c6565702d70726f7879c0670021800100000078000800000000f999c03d3f6013b0",
        ]));
        assert_eq!((m.qr, m.aa, m.ra, m.qd_count, m.an_count), (true, true, false, 0, 36));
        // tshark: dns.resp.type, in order.
        let types: Vec<i32> = m.answers.iter().map(|r| r.r#type).collect();
        let want = [
            33, 16, 12, 12, 16, 33, 16, 12, 12, 33, 16, 12, 12, 33, 16, 12, 12, 33, 16, 12, 12, 16, 33, 16, 12, 12, 33,
            16, 12, 12, 33, 16, 12, 12, 12, 33,
        ];
        assert_eq!(types, want);
        let srv = &m.answers[0];
        assert_eq!(
            (srv.name.as_str(), srv.class, srv.ttl, srv.data_length),
            ("Roscorii._afpovertcp._tcp.local", 0x8001, 120, 17)
        );
        assert_eq!(srv.srv, Some(pb::Dnssrv { priority: 0, weight: 0, port: 548, name: "Roscorii.local".into() }));
        // An empty TXT is one empty character-string ("TXT Length: 0").
        assert_eq!((m.answers[1].ttl, m.answers[1].tx_ts.clone()), (4500, vec![Vec::new()]));
        assert_eq!((m.answers[2].name.as_str(), m.answers[2].class), ("_services._dns-sd._udp.local", 1));
        assert_eq!(m.answers[2].ptr, "_afpovertcp._tcp.local");
        assert_eq!(m.answers[4].tx_ts, vec![b"model=MacBook4,1".to_vec()]);
        let daap = &m.answers[22];
        assert_eq!(daap.name, "Cats Claws._daap._tcp.local");
        assert_eq!(daap.srv.as_ref().map(|s| (s.port, s.name.as_str())), Some((3689, "Roscorii.local")));
        let txt = &m.answers[23];
        assert_eq!((txt.data_length, txt.tx_ts.len()), (199, 11));
        assert_eq!(txt.tx_ts[7], b"Machine Name=Cats Claws".to_vec());
        assert_eq!(txt.tx_ts[10], b"Password=0".to_vec());
        assert_eq!(m.answers[33].name, "_00000000-0134-6916-ff04-8c5d77de4273._sub._home-sharing._tcp.local");
        assert_eq!(m.answers[33].ptr, "Cats Claws._home-sharing._tcp.local");
        let last = &m.answers[35];
        assert_eq!(last.name, "50-37-71-72 Roscorii._sleep-proxy._udp.local");
        assert_eq!(last.srv.as_ref().map(|s| s.port), Some(63897));
    }

    /// edns-opts.pcap frame 37: a query with an EDNS0 OPT record carrying
    /// NSID, PADDING and COOKIE options; AD set in the query.
    #[test]
    fn edns0_opt_options() {
        let m = parse(&hex(&[
            "725301200001000000000001076578616d706c6503636f6d00000100010000291000000000000028000300080123456789",
            "abcdef000c000c000000000000000000000000000a0008aaaaaaaaaaaaaaaa",
        ]));
        assert_eq!((m.id, m.qr, m.rd, m.z, m.ad, m.cd), (0x7253, false, true, 2, true, false));
        assert_eq!((m.qd_count, m.ar_count), (1, 1));
        assert_eq!(m.questions[0].name, "example.com");
        let opt = &m.additionals[0];
        assert_eq!((opt.name.as_str(), opt.r#type, opt.class, opt.ttl, opt.data_length), ("<Root>", 41, 4096, 0, 40));
        assert_eq!((opt.udp_payload_size, opt.extended_r_code, opt.edns_version, opt.r#do), (4096, 0, 0, false));
        let opts: Vec<(i32, Vec<u8>)> = opt.opt.iter().map(|o| (o.code, o.data.clone())).collect();
        assert_eq!(opts, vec![(3, hex(&["0123456789abcdef"])), (12, vec![0; 12]), (10, hex(&["aaaaaaaaaaaaaaaa"])),]);
    }

    /// edns-opts.pcap frame 4: an RRSIG (raw bytes only) and an OPT with DO.
    #[test]
    fn other_types_keep_raw_bytes_and_do_bit() {
        let m = parse(&hex(&[
            "b94085000001000200000001076578616d706c6503636f6d0000010001c00c000100010001518000045db8d822c00c002e00",
            "0100015180009f00010802000151805dbfb6d65da469f2dcff076578616d706c6503636f6d0002b74defb8185ffcf49a6551",
            "0c9985c594397da46659c29dd8a8778bb263f51de768597683ca6cc37864abcd48bfe9fec820d1819a148b15fcd2ef17aed9",
            "fc861dbf1ada04c07ee49373cdfe1389e50b3313986f5445a223bd580ec7958e204c660cd246057f45431709247077dd662f",
            "77283a384a84e0379ad97e7adc32a70b0000291000000080000000",
        ]));
        assert_eq!(names(&m.answers), vec![("example.com", 1), ("example.com", 46)]);
        assert_eq!(m.answers[0].ip, "93.184.216.34");
        let rrsig = &m.answers[1];
        assert_eq!((rrsig.ttl, rrsig.data_length, rrsig.data.len()), (86400, 159, 159));
        assert_eq!(&rrsig.data[..4], &[0x00, 0x01, 0x08, 0x02]);
        assert!(rrsig.ip.is_empty() && rrsig.opt.is_empty() && rrsig.soa.is_none());
        let opt = &m.additionals[0];
        assert_eq!((opt.udp_payload_size, opt.ttl, opt.r#do, opt.data_length), (4096, 0x8000, true, 0));
    }

    /// dns-badvers.pcap frames 4 and 2: an SOA in the authority section, and
    /// an OPT whose extended RCODE is 1 (BADVERS with the header's 0).
    #[test]
    fn soa_and_extended_rcode() {
        let m = parse(&hex(&[
            "e9f0850000010000000100010000100001000006000100015180004001610c726f6f742d73657276657273036e657400056e",
            "73746c640c766572697369676e2d67727303636f6d007857d192000007080000038400093a800001518000002905c0000000",
            "000000",
        ]));
        assert_eq!(m.questions, vec![pb::DnsQuestion { name: "<Root>".into(), r#type: 16, class: 1 }]);
        let soa = &m.authorities[0];
        assert_eq!((soa.name.as_str(), soa.r#type, soa.ttl, soa.data_length), ("<Root>", 6, 86400, 64));
        let want = pb::Dnssoa {
            m_name: "a.root-servers.net".into(),
            r_name: "nstld.verisign-grs.com".into(),
            serial: 2019021202,
            refresh: 1800,
            retry: 900,
            expire: 604800,
            minimum: 86400,
        };
        assert_eq!(soa.soa, Some(want));
        assert_eq!(m.additionals[0].udp_payload_size, 1472);

        let m = parse(&hex(&["8fb38100000100000000000100001000010000290200010000000000"]));
        let opt = &m.additionals[0];
        assert_eq!((m.response_code, opt.udp_payload_size, opt.extended_r_code, opt.edns_version), (0, 512, 1, 0));
    }

    /// dns_tcp.pcap frame 6, after the 2-byte length (224): NS names that
    /// point into the question, A and AAAA glue, an OPT.
    #[test]
    fn tcp_message_with_ns_and_glue() {
        let seg = hex(&[
            "00e0431985000001000200020005037777770774637064756d70036f72670000010001c00c000100010000003c0004c08b2e",
            "42c00c000100010000003c0004c6c75868c01000020001000151800012036e69630973616e64656c6d616e02636100c01000",
            "02000100015180001203736e7308636f6f7065726978036e657400c04d000100010000012c0004d157f912c04d001c000100",
            "00012c00102607f0b0000f000000000000babef00dc06b0001000100001c200004616b850fc06b001c000100001c20001026",
            "003c0300000000f03c91fffe96e8ef0000291000000000000000",
        ]);
        assert_eq!(usize::from(be16(&seg, 0)), seg.len() - 2);
        let m = parse(&seg[2..]);
        assert_eq!((m.id, m.aa, m.an_count, m.ns_count, m.ar_count), (0x4319, true, 2, 2, 5));
        assert_eq!(m.questions[0].name, "www.tcpdump.org");
        let ips: Vec<&str> = m.answers.iter().map(|r| r.ip.as_str()).collect();
        assert_eq!(ips, ["192.139.46.66", "198.199.88.104"]);
        let ns: Vec<(&str, &str)> = m.authorities.iter().map(|r| (r.name.as_str(), r.ns.as_str())).collect();
        assert_eq!(ns, [("tcpdump.org", "nic.sandelman.ca"), ("tcpdump.org", "sns.cooperix.net")]);
        assert_eq!(
            names(&m.additionals),
            vec![
                ("nic.sandelman.ca", 1),
                ("nic.sandelman.ca", 28),
                ("sns.cooperix.net", 1),
                ("sns.cooperix.net", 28),
                ("<Root>", 41)
            ]
        );
        assert_eq!(m.additionals[1].ip, "2607:f0b0:f::babe:f00d");
        assert_eq!(m.additionals[3].ip, "2600:3c03::f03c:91ff:fe96:e8ef");
    }

    /// arcnet-rfc1051-arp-icmp-http.pcap: a PTR answer.
    #[test]
    fn ptr_answer() {
        let m = parse(&hex(&[
            "d439818000010001000000000331363303323430033139300331343607696e2d61646472046172706100000c0001c00c000c",
            "00010000022e00180a666c6167706f6c652d340774637064756d70036f726700",
        ]));
        assert_eq!(m.questions[0].name, "163.240.190.146.in-addr.arpa");
        assert_eq!((m.answers[0].ttl, m.answers[0].ptr.as_str()), (558, "flagpole-4.tcpdump.org"));
    }

    /// Built by hand (no shared capture has MX), values as tshark 4.0
    /// shows them: MX with a compressed exchange, TXT of three strings
    /// (one empty), SRV with a compressed owner and target.
    #[test]
    fn mx_txt_srv_built() {
        let m = parse(&hex(&[
            "beef85800001000300000000076578616d706c65036f726700000f0001c00c000f000100000e100009000a046d61696cc00c",
            "c00c0010000100000e1000130b763d73706631202d616c6c0005613d622063045f736970045f756470c00c0021000100000e",
            "10000c0005006413c403736970c00c",
        ]));
        assert_eq!(m.answers[0].mx, Some(pb::Dnsmx { preference: 10, name: "mail.example.org".into() }));
        assert_eq!(m.answers[1].tx_ts, vec![b"v=spf1 -all".to_vec(), Vec::new(), b"a=b c".to_vec()]);
        assert_eq!(m.answers[2].name, "_sip._udp.example.org");
        assert_eq!(
            m.answers[2].srv,
            Some(pb::Dnssrv { priority: 5, weight: 100, port: 5060, name: "sip.example.org".into() })
        );
    }

    fn query(name: &[u8]) -> Vec<u8> {
        let mut m = hex(&["123401000001000000000000"]);
        m.extend_from_slice(name);
        m.extend_from_slice(&[0, 1, 0, 1]);
        m
    }

    /// Names as tshark 4.0 prints them (`dns.qry.name` of built queries).
    #[test]
    fn names_format_like_tshark() {
        let cases: &[(&[u8], &str)] = &[
            (b"\x00", "<Root>"),
            (
                b"\x03a.b\x04\x01\x7f\xff\x20\x02a\\\x04\xc3\xa9xy\x03com\x00",
                "a.b.\\001\\177\u{fffd} .a\\.\u{e9}xy.com",
            ),
            (b"\x05ab\x00cd\x00", "ab\\000cd"),
            (b"\x08\x07\x08\x09\x0a\x0b\x0c\x0d\x1b\x00", "\\a\\b\\t\\n\\v\\f\\r\\033"),
            (b"\x02\xc2\x85\x00", "\\u0085"),
            (b"\x02\xc0\x80\x00", "\\u0000"),
            (b"\x02\xc1\x81\x00", "A"),
            (b"\x03\xe2\x80\x8b\x00", "\\u200B"),
            (b"\x04\xf4\x90\x80\x80\x00", "\u{fffd}"),
            (b"\x03\xed\xa0\x80\x00", "\u{fffd}"),
            (b"\x03\xef\xb7\x90\x00", "\\uFDD0"),
            (b"\x02\xe2\x80\x00", "\u{fffd}"),
            (b"\x02\x80x\x00", "\u{fffd}x"),
            (b"\x04\xf0\x9f\x92\xa9\x00", "\u{1f4a9}"),
            (b"\x04\xf3\xa0\x80\x81\x00", "\\U000E0001"),
            (b"\x05\xf8\x88\x80\x80\x80\x00", "\u{fffd}"),
            (b"\x03\xee\x80\x80\x00", "\u{e000}"),
            (b"\x02\xc2\xad\x00", "\\u00AD"),
            (b"\x03\xef\xbf\xbe\x00", "\\uFFFE"),
        ];
        for (wire, text) in cases {
            let m = parse(&query(wire));
            assert_eq!(m.questions.len(), 1, "{wire:?}");
            assert_eq!(m.questions[0].name, *text, "{wire:?}");
        }
    }

    /// The longest name tshark accepts (253 characters, 255 bytes on the
    /// wire) is read; one more character is refused (tshark: "<Name too
    /// long>") and ends the parsing, the first question kept.
    #[test]
    fn name_length_bound() {
        let long = |chars: usize| {
            let mut wire = Vec::new();
            let mut left = chars;
            while left > 0 {
                let n = left.min(63);
                wire.push(n as u8);
                wire.extend(std::iter::repeat_n(b'x', n));
                left = left.saturating_sub(n + 1);
            }
            wire.push(0);
            wire
        };
        let ok = long(253);
        assert_eq!(ok.len(), 255);
        let (text, end) = read_name(&ok, 0, ok.len()).expect("fits");
        assert_eq!((text.len(), end), (253, 255));
        assert_eq!(read_name(&long(254), 0, 256), Err(NameError::TooLong));

        let mut m = query(b"\x01z\x00");
        m[5] = 2;
        m.extend_from_slice(&long(254));
        m.extend_from_slice(&[0, 1, 0, 1]);
        let r = parse(&m);
        assert_eq!((r.qd_count, r.questions.len(), r.questions[0].name.as_str()), (2, 1, "z"));
    }

    #[test]
    fn pointers_must_point_back() {
        // Self pointer at 12 (tshark: "<Name contains a pointer that loops>").
        assert!(parse(&query(b"\xc0\x0c")).questions.is_empty());
        assert_eq!(read_name(&query(b"\xc0\x0c"), 12, 18), Err(NameError::ForwardPointer));
        // Forward pointer to a name in the answer (tshark follows it and
        // shows www.example.com); refused here.
        let fwd = hex(&[
            "123481800001000100000000c0120001000103777777076578616d706c6503636f6d00000100010000003c000401020304",
        ]);
        assert_eq!(read_name(&fwd, 12, fwd.len()), Err(NameError::ForwardPointer));
        let r = parse(&fwd);
        assert!(r.questions.is_empty() && r.answers.is_empty());
        assert_eq!((r.qd_count, r.an_count), (1, 1));
        // a -> pointer back to a: a.a.a... until the length bound.
        assert_eq!(read_name(&query(b"\x01a\xc0\x0c"), 12, 30), Err(NameError::TooLong));
        // Two pointers pointing at each other: the second one is forward.
        assert_eq!(read_name(&query(b"\x01a\xc0\x10\xc0\x0c"), 12, 30), Err(NameError::ForwardPointer));
    }

    #[test]
    fn pointer_chains_are_bounded() {
        // The name "a" at 12, then n pointers, each to the one before it
        // (the first to "a"): n jumps from the last.
        let build = |n: usize| {
            let mut m = hex(&["123481800000000000000000"]);
            m.extend_from_slice(b"\x01a\x00");
            let first = m.len();
            for k in 0..n {
                let target = if k == 0 { 12 } else { first + 2 * (k - 1) };
                m.extend_from_slice(&[0xc0 | (target >> 8) as u8, target as u8]);
            }
            m
        };
        let m = build(MAX_POINTERS);
        let last = m.len() - 2;
        assert_eq!(read_name(&m, last, m.len()), Ok(("a".to_string(), m.len())));
        let m = build(MAX_POINTERS + 1);
        assert_eq!(read_name(&m, m.len() - 2, m.len()), Err(NameError::TooManyPointers));
    }

    #[test]
    fn bad_labels_and_cut_records() {
        assert_eq!(read_name(b"\x41\x01\x00", 0, 3), Err(NameError::BadLabelType));
        assert_eq!(read_name(b"\x80", 0, 1), Err(NameError::BadLabelType));
        assert_eq!(read_name(b"\x05abc", 0, 4), Err(NameError::Truncated));
        assert_eq!(read_name(b"\x01a", 0, 2), Err(NameError::Truncated));
        assert_eq!(read_name(b"\x01a\x00", 0, 2), Err(NameError::Truncated));
        assert_eq!(read_name(b"\x01a\xc0", 0, 3), Err(NameError::Truncated));
        // An A record whose RDATA is cut: kept with the bytes present, the
        // parsing ends (the second answer is not read).
        let m = hex(&["123481800000000200000000", "01610000010001000000050004", "0a0b"]);
        let r = parse(&m);
        assert_eq!(r.answers.len(), 1);
        let a = &r.answers[0];
        assert_eq!(
            (a.name.as_str(), a.ttl, a.data_length, a.data.as_slice(), a.ip.as_str()),
            ("a", 5, 4, &[10, 11][..], "")
        );
        // A CNAME whose target cannot be read keeps its bytes; the next
        // record is still read.
        let m =
            hex(&["123481800000000200000000", "0161000005000100000005000201ff", "0162000001000100000005000401020304"]);
        let r = parse(&m);
        assert_eq!(names(&r.answers), vec![("a", 5), ("b", 1)]);
        assert_eq!((r.answers[0].cname.as_str(), r.answers[0].data.as_slice()), ("", &[1, 0xff][..]));
        assert_eq!(r.answers[1].ip, "1.2.3.4");
        // A name in RDATA may not run past RDLENGTH.
        let m = hex(&["123481800000000100000000", "0161000005000100000005000201620000"]);
        assert_eq!(parse(&m).answers[0].cname, "");
    }

    #[test]
    fn header_only_and_short_buffers() {
        assert!(DnsMessage::new_checked(&[0; 11]).is_err());
        let m = hex(&["ffffffffffffffffffffffff"]);
        let r = parse(&m);
        assert_eq!(
            (r.id, r.qr, r.op_code, r.z, r.response_code, r.qd_count, r.ar_count),
            (0xffff, true, 15, 7, 15, 65535, 65535)
        );
        assert!(r.questions.is_empty() && r.answers.is_empty());
    }

    /// Every prefix and thousands of random mutations of real messages
    /// decode without a panic, and names stay within their bounds.
    #[test]
    fn hostile_input_never_panics() {
        let seeds = [
            hex(&[
                "e9f0850000010000000100010000100001000006000100015180004001610c726f6f742d73657276657273036e657400056e",
                "73746c640c766572697369676e2d67727303636f6d007857d192000007080000038400093a800001518000002905c0000000",
                "000000",
            ]),
            hex(&[
                "725301200001000000000001076578616d706c6503636f6d00000100010000291000000000000028000300080123456789",
                "abcdef000c000c000000000000000000000000000a0008aaaaaaaaaaaaaaaa",
            ]),
            hex(&[
                "beef85800001000300000000076578616d706c65036f726700000f0001c00c000f000100000e100009000a046d61696cc00c",
                "c00c0010000100000e1000130b763d73706631202d616c6c0005613d622063045f736970045f756470c00c0021000100000e",
                "10000c0005006413c403736970c00c",
            ]),
        ];
        let cfg = EncodeConfig::default();
        for seed in &seeds {
            for n in 0..=seed.len() {
                if let Ok(v) = DnsMessage::new_checked(&seed[..n]) {
                    record(&v, 0, &cfg);
                }
            }
        }
        let mut next = crate::decode::test_util::xorshift(0x9e37_79b9_7f4a_7c15);
        for i in 0..6000 {
            let mut m = seeds[i % seeds.len()].clone();
            for _ in 0..1 + next() % 6 {
                let at = (next() as usize) % m.len();
                m[at] = match next() % 4 {
                    0 => 0xc0 | (next() as u8 & 0x3f),
                    1 => next() as u8 & 0x3f,
                    _ => next() as u8,
                };
            }
            if let Ok(v) = DnsMessage::new_checked(&m) {
                let r = record(&v, 0, &cfg);
                let all = r.answers.iter().chain(&r.authorities).chain(&r.additionals);
                for name in r.questions.iter().map(|q| &q.name).chain(all.map(|a| &a.name)) {
                    // 253 bytes, each at most 10 characters once escaped.
                    assert!(name.len() <= 2530);
                }
            }
        }
    }
}

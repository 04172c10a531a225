//! SIP, the Session Initiation Protocol (RFC 3261): one message at the
//! start of a UDP datagram or TCP segment (port 5060).
//!
//! Go Netcap's SIP record had SNAP's fields by mistake; this one has what
//! gopacket's SIP layer decodes: the start line (request method and URI,
//! or status code and reason), the headers every SIP message carries as
//! typed fields, and every header line in order.
//!
//! The start line must be a request line (`METHOD SP Request-URI SP
//! SIP/2.0`) or a status line (`SIP/2.0 SP 3DIGIT SP reason`); anything
//! else is not SIP and is rejected. Leading CRLFs are skipped (RFC 3261
//! 7.5); a payload of CRLFs alone is an RFC 5626 keep-alive, not a
//! message, and is rejected too. [`looks_like_sip`] and [`is_keepalive`]
//! let a caller tell these apart beforehand (a TCP segment that continues
//! a message also starts with no start line).
//! After the start line, parsing never fails: header lines are read up to
//! the empty line (bare LF accepted for CRLF), continuation lines (RFC 3261
//! 7.3.1, starting with white space) are unfolded into the previous
//! header, lines without a colon are skipped, and a message cut short (a
//! TCP segment with part of a message, a snap length) gives the headers
//! that are there. Header names match case-insensitively and in their
//! compact forms (RFC 3261 7.3.3: i, f, t, v, m, c, l). Work and output
//! are bounded by the packet and by [`MAX_HEADERS`].

use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const PORT: u16 = 5060;
/// Most header lines kept from one message (unfolded lines count once).
pub const MAX_HEADERS: usize = 256;

/// A SIP message whose start line is known to be valid.
#[derive(Clone, Copy)]
pub struct SipMessage<'a> {
    /// The start line without its line ending.
    start: &'a [u8],
    /// Everything after the start line.
    rest: &'a [u8],
    response: bool,
}

/// Whether `payload` starts (after optional CRLFs) with a SIP request or
/// status line.
pub fn looks_like_sip(payload: &[u8]) -> bool {
    SipMessage::new_checked(payload).is_ok()
}

/// Whether `payload` is a keep-alive of RFC 5626 3.5.1 (a "ping" of two
/// CRLFs or a "pong" of one, used on TCP and UDP alike): CRs and LFs only.
pub fn is_keepalive(payload: &[u8]) -> bool {
    !payload.is_empty() && payload.iter().all(|&b| b == b'\r' || b == b'\n')
}

/// The line at the start of `buf` without its ending, and the bytes after
/// the ending; `None` for the line when `buf` has no line ending.
fn split_line(buf: &[u8]) -> (&[u8], Option<&[u8]>) {
    match buf.iter().position(|&b| b == b'\n') {
        Some(nl) => {
            let line = buf.get(..nl).unwrap_or_default();
            (line.strip_suffix(b"\r").unwrap_or(line), Some(buf.get(nl + 1..).unwrap_or_default()))
        }
        None => (buf.strip_suffix(b"\r").unwrap_or(buf), None),
    }
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

fn is_version(s: &[u8]) -> bool {
    s.len() > 4 && s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or_default()
}

fn text(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

impl<'a> SipMessage<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.is_empty() {
            return Err(DecodeError::truncated("SIP", 1, 0));
        }
        if is_keepalive(buf) {
            return Err(DecodeError::malformed("SIP", "CRLF keep-alive, no message"));
        }
        let start_at = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(0);
        let buf = buf.get(start_at..).unwrap_or_default();
        let (start, rest) = split_line(buf);
        let mut parts = start.splitn(3, |&b| b == b' ');
        let (a, b, c) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next());
        let response = is_version(a) && b.len() == 3 && b.iter().all(u8::is_ascii_digit);
        let request = is_token(a) && !b.is_empty() && c.is_some_and(is_version);
        if !response && !request {
            return Err(DecodeError::malformed("SIP", "not a SIP request or status line"));
        }
        Ok(SipMessage { start, rest: rest.unwrap_or_default(), response })
    }
    pub fn is_response(&self) -> bool {
        self.response
    }
    /// The n-th of the start line's three parts (the third keeps its spaces).
    fn part(&self, n: usize) -> &'a [u8] {
        self.start.splitn(3, |&b| b == b' ').nth(n).unwrap_or_default()
    }
    /// Requests: the method.
    pub fn method(&self) -> &'a [u8] {
        if self.response {
            &[]
        } else {
            self.part(0)
        }
    }
    pub fn request_uri(&self) -> &'a [u8] {
        if self.response {
            &[]
        } else {
            self.part(1)
        }
    }
    pub fn version(&self) -> &'a [u8] {
        self.part(if self.response { 0 } else { 2 })
    }
    /// Responses: the status code (0 in requests).
    pub fn status_code(&self) -> u16 {
        if !self.response {
            return 0;
        }
        self.part(1).iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'))
    }
    /// Responses: the reason phrase.
    pub fn reason(&self) -> &'a [u8] {
        if self.response {
            self.part(2)
        } else {
            &[]
        }
    }
    /// The bytes after the start line: headers, empty line, body.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// The header section: (name, value) pairs with continuation lines
/// unfolded, whether the empty line that ends the section was seen, and
/// the bytes after it (the body, possibly more than Content-Length says).
pub fn parse_headers(mut rest: &[u8]) -> (Vec<(String, String)>, bool, &[u8]) {
    let mut headers: Vec<(String, String)> = Vec::new();
    while !rest.is_empty() {
        let (line, next) = split_line(rest);
        if line.is_empty() && next.is_some() {
            return (headers, true, next.unwrap_or_default());
        }
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if let Some((_, value)) = headers.last_mut() {
                let more = trim(line);
                if !more.is_empty() {
                    value.push(' ');
                    value.push_str(&String::from_utf8_lossy(more));
                }
            }
        } else if let Some(colon) = line.iter().position(|&b| b == b':') {
            if headers.len() == MAX_HEADERS {
                break;
            }
            let name = trim(line.get(..colon).unwrap_or_default());
            let value = trim(line.get(colon + 1..).unwrap_or_default());
            headers.push((text(name), text(value)));
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    (headers, false, &[])
}

/// A header's long name in lower case (compact forms expanded).
fn canonical(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let long = match lower.as_str() {
        "i" => "call-id",
        "f" => "from",
        "t" => "to",
        "v" => "via",
        "m" => "contact",
        "c" => "content-type",
        "l" => "content-length",
        _ => return lower,
    };
    long.to_string()
}

/// A decimal number of up to 9 digits (so that it fits an i32), or -1.
fn small_number(s: &str) -> i32 {
    let s = s.trim();
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return -1;
    }
    s.parse().unwrap_or(-1)
}

/// CSeq: `1 INVITE` -> (1, "INVITE"); a number that is not a 32-bit
/// unsigned integer gives 0.
fn cseq(value: &str) -> (u32, String) {
    let mut parts = value.split_whitespace();
    let number = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    (number, parts.next().unwrap_or_default().to_string())
}

pub fn record(v: &SipMessage, timestamp: i64, cfg: &EncodeConfig) -> pb::Sip {
    let (headers, complete, after) = parse_headers(v.rest());
    let mut r = pb::Sip {
        timestamp,
        is_response: v.is_response(),
        method: text(v.method()),
        request_uri: text(v.request_uri()),
        version: text(v.version()),
        response_code: i32::from(v.status_code()),
        response_status: text(v.reason()),
        content_length: -1,
        max_forwards: -1,
        headers_complete: complete,
        ..Default::default()
    };
    let (mut seen_cl, mut seen_mf, mut seen_cseq) = (false, false, false);
    for (name, value) in &headers {
        let first = |field: &mut String| {
            if field.is_empty() {
                field.clone_from(value);
            }
        };
        match canonical(name).as_str() {
            "call-id" => first(&mut r.call_id),
            "from" => first(&mut r.from),
            "to" => first(&mut r.to),
            "contact" => first(&mut r.contact),
            "user-agent" => first(&mut r.user_agent),
            "content-type" => first(&mut r.content_type),
            "via" => r.via.push(value.clone()),
            "cseq" if !seen_cseq => {
                seen_cseq = true;
                (r.c_seq, r.c_seq_method) = cseq(value);
            }
            "content-length" if !seen_cl => {
                seen_cl = true;
                r.content_length = small_number(value);
            }
            "max-forwards" if !seen_mf => {
                seen_mf = true;
                r.max_forwards = small_number(value);
            }
            _ => {}
        }
    }
    let body = match usize::try_from(r.content_length) {
        Ok(n) => after.get(..n).unwrap_or(after),
        Err(_) => after,
    };
    r.body_length = body.len() as i32;
    if cfg.include_payload {
        r.body = body.to_vec();
    }
    r.headers = headers.into_iter().map(|(name, value)| pb::SipHeader { name, value }).collect();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(b: &[u8], include_payload: bool) -> pb::Sip {
        record(&SipMessage::new_checked(b).expect("valid"), 0, &EncodeConfig { include_payload })
    }

    /// pcapplusplus sip_reqs.pcap frame 1 (UDP 5060 -> 5061).
    const INVITE: &[u8] = b"INVITE sip:francisco@bestel.com:55060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 200.57.7.195;branch=z9hG4bKff9b46fb055c0521cc24024da96cd290\r\n\
Via: SIP/2.0/UDP 200.57.7.195:55061;branch=z9hG4bK291d90e31a47b225bd0ddff4353e9cc0\r\n\
From: <sip:200.57.7.195:55061;user=phone>;tag=GR52RWG346-34\r\n\
To: \"francisco@bestel.com\" <sip:francisco@bestel.com:55060>\r\n\
Call-ID: 12013223@200.57.7.195\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:200.57.7.195:5060>\r\n\
Content-Type: application/sdp\r\n\
Content-Length:   229\r\n\
\r\n\
v=0\r\n\
o=Clarent 120386 120387 IN IP4 200.57.7.196\r\n\
s=Clarent C5CM\r\n\
c=IN IP4 200.57.7.196\r\n\
t=0 0\r\n\
m=audio 40376 RTP/AVP 8 18 4 0\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:18 G729/8000\r\n\
a=rtpmap:4 G723/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=SendRecv\r\n";

    #[test]
    fn invite_with_sdp_body() {
        // tshark: method INVITE, r-uri sip:francisco@bestel.com:55060,
        // Call-ID 12013223@200.57.7.195, CSeq 1 INVITE, two Via,
        // Content-Type application/sdp, Content-Length 229.
        let r = rec(INVITE, true);
        assert!(!r.is_response);
        assert_eq!((r.method.as_str(), r.request_uri.as_str()), ("INVITE", "sip:francisco@bestel.com:55060"));
        assert_eq!((r.version.as_str(), r.response_code), ("SIP/2.0", 0));
        assert_eq!(r.call_id, "12013223@200.57.7.195");
        assert_eq!((r.c_seq, r.c_seq_method.as_str()), (1, "INVITE"));
        assert_eq!(r.via.len(), 2);
        assert_eq!(r.via[1], "SIP/2.0/UDP 200.57.7.195:55061;branch=z9hG4bK291d90e31a47b225bd0ddff4353e9cc0");
        assert_eq!(r.from, "<sip:200.57.7.195:55061;user=phone>;tag=GR52RWG346-34");
        assert_eq!(r.to, "\"francisco@bestel.com\" <sip:francisco@bestel.com:55060>");
        assert_eq!(r.contact, "<sip:200.57.7.195:5060>");
        assert_eq!((r.content_type.as_str(), r.content_length, r.max_forwards), ("application/sdp", 229, -1));
        assert!(r.headers_complete);
        assert_eq!(r.body_length, 229);
        assert!(r.body.starts_with(b"v=0\r\n") && r.body.ends_with(b"a=SendRecv\r\n"));
        let names: Vec<&str> = r.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["Via", "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Type", "Content-Length"]);
        assert!(rec(INVITE, false).body.is_empty());
    }

    #[test]
    fn response_over_tcp() {
        // sip_resp.pcap frame 5 (TCP 5054 -> 51806). tshark: Status-Code
        // 401, Call-ID 198676278, CSeq 1 REGISTER, Content-Length 0.
        let b = b"SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/TCP 10.129.34.51:51806;rport=51806;received=10.129.34.51;branch=z9hG4bKPjEdA3euFH50yfFGylbD-3xRi65B931x1c\r\n\
Via: SIP/2.0/UDP 10.3.160.214:5060;rport=5060;received=10.3.160.214;branch=z9hG4bK369154233\r\n\
Call-ID: 198676278\r\n\
From: <sip:user20@ims.hom>;tag=36429511\r\n\
To: <sip:user20@ims.hom>;tag=z9hG4bKPjEdA3euFH50yfFGylbD-3xRi65B931x1c\r\n\
CSeq: 1 REGISTER\r\n\
WWW-Authenticate: Digest  realm=\"ims.hom\",nonce=\"39aec6350dece717\",opaque=\"4b41a11c5e861779\",algorithm=MD5,qop=\"auth\"\r\n\
Content-Length:  0\r\n\r\n";
        let r = rec(b, true);
        assert!(r.is_response);
        assert_eq!((r.response_code, r.response_status.as_str(), r.method.as_str()), (401, "Unauthorized", ""));
        assert_eq!((r.call_id.as_str(), r.c_seq, r.c_seq_method.as_str()), ("198676278", 1, "REGISTER"));
        assert_eq!((r.content_length, r.body_length, r.headers_complete), (0, 0, true));
        assert_eq!(r.headers.len(), 8);
    }

    #[test]
    fn message_cut_short() {
        // sip_reqs.pcap frame 4 ends inside "Content-Length" (snap length).
        // tshark: method BYE, Call-ID 1-4247@10.0.2.20, CSeq 99791795 BYE.
        let b = b"BYE sip:sipp@10.0.2.20:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.2.15;rport;branch=z9hG4bKHUc1tjFS5809r\r\n\
Max-Forwards: 70\r\n\
From: test <sip:test@10.0.2.15:5060>;tag=j6QZcFDB22vSN\r\n\
To: \"speex/16000\" <sip:sipp@10.0.2.20:5060>;tag=1\r\n\
Call-ID: 1-4247@10.0.2.20\r\n\
CSeq: 99791795 BYE\r\n\
User-Agent: FreeSWITCH-mod_sofia/1.6.12-20-b91a0a6~64bit\r\n\
Content-Lengt";
        let r = rec(b, true);
        assert_eq!((r.method.as_str(), r.call_id.as_str()), ("BYE", "1-4247@10.0.2.20"));
        assert_eq!((r.c_seq, r.c_seq_method.as_str(), r.max_forwards), (99_791_795, "BYE", 70));
        assert_eq!(r.user_agent, "FreeSWITCH-mod_sofia/1.6.12-20-b91a0a6~64bit");
        assert_eq!((r.headers_complete, r.content_length, r.body_length), (false, -1, 0));
        assert_eq!(r.headers.len(), 7);
    }

    #[test]
    fn compact_forms_folding_and_case() {
        // Built by hand (bare LF line endings) and checked with tshark 4.0:
        // Method OPTIONS, Call-ID a84b4c76e66710, CSeq 314159 OPTIONS, Via,
        // Max-Forwards 70, From, To, Contact, Content-Type application/sdp,
        // Content-Length 4. tshark keeps the folded Subject as sent
        // ("first\n  second"); RFC 3261 7.3.1 makes it "first second".
        let b = b"OPTIONS sip:carol@chicago.com SIP/2.0\n\
v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKhjhs8ass877\n\
max-forwards: 70\n\
t: <sip:carol@chicago.com>\n\
f: Alice <sip:alice@atlanta.com>;tag=1928301774\n\
i: a84b4c76e66710\n\
CSEQ: 314159 OPTIONS\n\
m: <sip:alice@pc33.atlanta.com>\n\
Subject: first\n\
\x20 second\n\
no colon here\n\
c: application/sdp\n\
l: 4\n\
\n\
abcdefgh";
        let r = rec(b, true);
        assert_eq!(r.method, "OPTIONS");
        assert_eq!(r.via, vec!["SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKhjhs8ass877"]);
        assert_eq!((r.to.as_str(), r.call_id.as_str()), ("<sip:carol@chicago.com>", "a84b4c76e66710"));
        assert_eq!(r.from, "Alice <sip:alice@atlanta.com>;tag=1928301774");
        assert_eq!((r.c_seq, r.c_seq_method.as_str(), r.max_forwards), (314_159, "OPTIONS", 70));
        assert_eq!((r.contact.as_str(), r.content_type.as_str()), ("<sip:alice@pc33.atlanta.com>", "application/sdp"));
        assert_eq!((r.content_length, r.body_length, r.body.as_slice()), (4, 4, &b"abcd"[..]));
        let subject = r.headers.iter().find(|h| h.name == "Subject").expect("subject");
        assert_eq!(subject.value, "first second");
        assert_eq!(r.headers.len(), 10);
        assert_eq!(r.headers[0].name, "v");
        // CRLFs before the start line are ignored (RFC 3261 7.5; tshark
        // does not skip them over UDP).
        let mut crlf = b"\r\n\r\n".to_vec();
        crlf.extend_from_slice(b);
        assert_eq!(rec(&crlf, false).call_id, "a84b4c76e66710");
    }

    #[test]
    fn rejects_what_is_not_sip() {
        for b in [
            &b""[..],
            b"\r\n\r\n",
            b"\0\0\0\0",
            b"GET / HTTP/1.1\r\n\r\n",
            b"SIP/2.0 20 OK\r\n",
            b"INVITE sip:a\r\n",
            b"INV ITE sip:a SIP/2.0\r\n",
            b"HTTP/1.1 200 OK\r\n",
        ] {
            assert!(!looks_like_sip(b), "{:?}", String::from_utf8_lossy(b));
        }
        assert!(is_keepalive(b"\r\n\r\n") && is_keepalive(b"\r\n"));
        assert!(!is_keepalive(b"") && !is_keepalive(b"\r\nSIP/2.0 200 OK"));
        assert!(looks_like_sip(b"SIP/2.0 200 OK"));
        assert!(looks_like_sip(b"SIP/2.0 180\r\n"));
        assert_eq!(rec(b"SIP/2.0 183 Session Progress\r\n", false).response_status, "Session Progress");
    }

    #[test]
    fn header_count_is_bounded() {
        let mut b = b"MESSAGE sip:x SIP/2.0\r\n".to_vec();
        for _ in 0..2000 {
            b.extend_from_slice(b"Via: a\r\n");
        }
        let r = rec(&b, false);
        assert_eq!((r.headers.len(), r.via.len()), (MAX_HEADERS, MAX_HEADERS));
        let cut = rec(b"SIP/2.0 200 OK\r\nCSeq: 99999999999 INVITE\r\nContent-Length: 1234567890123\r\n", false);
        assert_eq!((cut.c_seq, cut.content_length), (0, -1));
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut next = crate::decode::test_util::xorshift(0x5eed_0f51_9000_0001);
        let cfg = EncodeConfig { include_payload: true };
        for n in 0..=INVITE.len() {
            if let Ok(v) = SipMessage::new_checked(&INVITE[..n]) {
                record(&v, 0, &cfg);
            }
        }
        for _ in 0..5000 {
            let mut m = INVITE.to_vec();
            for _ in 0..1 + next() % 8 {
                let i = (next() as usize) % m.len();
                m[i] = match next() % 4 {
                    0 => b'\n',
                    1 => b':',
                    2 => b' ',
                    _ => next() as u8,
                };
            }
            m.truncate((next() as usize) % (m.len() + 8));
            if let Ok(v) = SipMessage::new_checked(&m) {
                record(&v, 0, &cfg);
            }
        }
    }
}

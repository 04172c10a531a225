//! SSH over a reassembled TCP connection (RFC 4253): one `SSH` record per
//! side with its identification line and its first SSH_MSG_KEXINIT, and
//! from those the HASSH / HASSHServer fingerprints (Salesforce's: MD5 of
//! "kex;enc;mac;comp" for the sender's direction).
//!
//! Everything of interest is sent in the clear before the first NEWKEYS:
//! each side starts with its identification line ("SSH-2.0-software
//! comments", CR LF or bare LF; a server may send other lines first),
//! then binary packets (uint32 packet_length, byte padding_length,
//! payload, padding; no MAC before keys are in use) up to its KEXINIT.
//! After a side's KEXINIT the decoder ignores that side's bytes: the rest
//! is key exchange and then ciphertext, and nothing of it is held. An SSH 1
//! side ("SSH-1.5-...") has no KEXINIT: only its identification line is
//! written.
//!
//! Hostile or damaged streams: a line over 255 bytes (or `max_buffer`
//! less a packet header, if smaller), more than [`MAX_LINES_BEFORE`] lines before the
//! identification line, a packet length over max(35000, `max_buffer`), a
//! KEXINIT that does not fit `max_buffer` beside the identification line,
//! a malformed packet or KEXINIT and a gap before the KEXINIT are logged
//! and make the decoder give up that side (a binary stream has no resync
//! point); its identification line is still written. A side holds at most
//! its identification line and one line or KEXINIT being collected,
//! together within `max_buffer`; packets before the KEXINIT are skipped
//! without being held.

use super::{AppConfig, AppEmitter, AppProtocol, CloseReason, ConnInfo, Detect, Side, StreamDecoder};
use crate::decode::wire::hex_string;
use crate::schema::pb;
use md5::{Digest, Md5};

pub static PROTOCOL: AppProtocol = AppProtocol { name: "SSH", records: &["SSH"], detect, new };

/// The record type this decoder writes.
const RECORD: &str = "SSH";

/// How an identification line starts.
const IDENT_START: &[u8] = b"SSH-";

/// Longest line, CR LF included (RFC 4253 4.2 bounds the identification
/// line so; other lines get the same bound).
const MAX_LINE: usize = 255;

/// Lines a side may send before its identification line. RFC 4253 sets
/// no number; servers that use this send a short notice.
pub const MAX_LINES_BEFORE: usize = 16;

/// Packet lengths every implementation must accept (RFC 4253 6.1); longer
/// ones are accepted up to `max_buffer`.
const MIN_PACKET_LIMIT: usize = 35000;

/// SSH_MSG_KEXINIT.
const MSG_KEXINIT: u8 = 20;

/// packet_length (4), padding_length (1) and the message number (1).
const HEADER_LEN: usize = 6;

/// The port SSH servers listen on: picks the roles of a connection seen
/// without its handshake.
const SSH_PORT: u16 = 22;

fn new(info: &ConnInfo, cfg: &AppConfig) -> Box<dyn StreamDecoder> {
    Box::new(SshDecoder::new(info, cfg))
}

/// What the first bytes of one side say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// An identification line starts at the beginning or after a few lines.
    Ident,
    /// Could still become one (a prefix of "SSH-", or text lines so far).
    Maybe,
    No,
}

/// Looks at one side's first bytes: "SSH-", after up to `lines_before`
/// printable lines.
fn side_start(bytes: &[u8], lines_before: usize) -> Start {
    let mut rest = bytes;
    for seen in 0..=lines_before {
        let n = rest.len().min(IDENT_START.len());
        if rest.get(..n) == IDENT_START.get(..n) {
            return if n == IDENT_START.len() { Start::Ident } else { Start::Maybe };
        }
        // Not the identification line: another line must still be allowed.
        let Some(nl) = rest.iter().position(|&b| b == b'\n').filter(|_| seen < lines_before) else {
            let could_be_a_line = seen < lines_before && rest.len() < MAX_LINE && is_text(rest);
            return if could_be_a_line { Start::Maybe } else { Start::No };
        };
        let line = rest.get(..nl).unwrap_or_default();
        if nl >= MAX_LINE || !is_text(line) {
            return Start::No;
        }
        rest = rest.get(nl.saturating_add(1)..).unwrap_or_default();
    }
    Start::No
}

/// Printable ASCII, tab and CR (what a line before the banner may hold).
fn is_text(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == b'\t' || b == b'\r' || (0x20..0x7f).contains(&b))
}

/// `detect` of [`PROTOCOL`]: SSH when either side starts with an
/// identification line; the end that sent the SYN is the client. Only the
/// server may send lines before it (at most [`MAX_LINES_BEFORE`] text
/// lines, RFC 4253 4.2), so a client that starts otherwise (a text
/// protocol's command) is not SSH; without the handshake either end may be
/// the server. Without the handshake, a connection whose stage-chosen
/// client is on port 22 (and whose server is not) is swapped. Waits while
/// both sides could still become one.
pub fn detect(client: &[u8], server: &[u8], info: &ConnInfo) -> Detect {
    let client_lines = if info.saw_syn { 0 } else { MAX_LINES_BEFORE };
    let sides = [side_start(client, client_lines), side_start(server, MAX_LINES_BEFORE)];
    if sides.contains(&Start::Ident) {
        let swap = !info.saw_syn && info.client_port == SSH_PORT && info.server_port != SSH_PORT;
        return if swap { Detect::YesSwapped } else { Detect::Yes };
    }
    if sides.contains(&Start::No) {
        Detect::No
    } else {
        Detect::NeedMore
    }
}

/// Where a side's decoding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading lines up to the identification line.
    Lines,
    /// Reading a binary packet's first [`HEADER_LEN`] bytes.
    Header,
    /// Skipping the rest of a packet that is not a KEXINIT.
    Skip(u64),
    /// Collecting the KEXINIT's payload after its message number (this
    /// many bytes); its padding is not needed.
    KexInit(usize),
    /// The KEXINIT came, or the side was given up: its bytes are ignored.
    Done,
}

/// One direction of the connection.
struct Half {
    phase: Phase,
    /// The line, header or KEXINIT payload being collected.
    buf: Vec<u8>,
    /// Capture time of the current line's first byte.
    line_timestamp: i64,
    lines_before: usize,
    /// The identification line (as sent, without CR LF) and the time of
    /// its first byte; held until the record is written.
    ident: Option<(i64, Vec<u8>)>,
    /// Whether this side's record was written.
    written: bool,
    /// Frame numbers of the first and last packet of this side's bytes
    /// until its record is written.
    first_frame: u64,
    last_frame: u64,
}

impl Half {
    fn new() -> Half {
        Half {
            phase: Phase::Lines,
            buf: Vec::new(),
            line_timestamp: 0,
            lines_before: 0,
            ident: None,
            written: false,
            first_frame: 0,
            last_frame: 0,
        }
    }

    /// Stops decoding this side and frees what it held.
    fn give_up(&mut self) {
        self.phase = Phase::Done;
        self.buf = Vec::new();
    }
}

/// The decoder of one SSH connection.
pub struct SshDecoder {
    info: ConnInfo,
    max_buffer: usize,
    /// Longest packet_length accepted: max(35000, max_buffer).
    max_packet: usize,
    client: Half,
    server: Half,
}

/// Why a side's bytes could not be decoded (the errors.log kind).
struct Malformed {
    kind: &'static str,
    detail: String,
}

fn malformed(kind: &'static str, detail: String) -> Malformed {
    Malformed { kind, detail }
}

impl SshDecoder {
    pub fn new(info: &ConnInfo, cfg: &AppConfig) -> SshDecoder {
        SshDecoder {
            info: *info,
            max_buffer: cfg.max_buffer,
            max_packet: cfg.max_buffer.max(MIN_PACKET_LIMIT),
            client: Half::new(),
            server: Half::new(),
        }
    }

    fn half(&mut self, side: Side) -> &mut Half {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// Bytes `side` holds now (the line, header or KEXINIT being
    /// collected, and the identification line): at most `max_buffer`. For
    /// the tests and the fuzz target to check.
    pub fn held_bytes(&self, side: Side) -> usize {
        let half = match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        };
        half.buf.len().saturating_add(half.ident.as_ref().map_or(0, |(_, line)| line.len()))
    }

    fn feed(&mut self, side: Side, timestamp: i64, mut bytes: &[u8], out: &mut AppEmitter) {
        while !bytes.is_empty() {
            let step = match self.half(side).phase {
                Phase::Done => return,
                Phase::Lines => self.line_bytes(side, timestamp, bytes),
                Phase::Header => self.header_bytes(side, bytes),
                Phase::Skip(left) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    let left = left.saturating_sub(n as u64);
                    self.half(side).phase = if left == 0 { Phase::Header } else { Phase::Skip(left) };
                    Ok(n)
                }
                Phase::KexInit(need) => self.kexinit_bytes(side, need, bytes, out),
            };
            match step {
                Ok(used) => bytes = bytes.get(used..).unwrap_or_default(),
                Err(e) => {
                    self.half(side).give_up();
                    out.error(PROTOCOL.name, e.kind, &e.detail, timestamp, &self.info);
                    return;
                }
            }
        }
    }

    /// Collects a line; a complete identification line moves the side on
    /// to binary packets. Returns the bytes used.
    fn line_bytes(&mut self, side: Side, timestamp: i64, bytes: &[u8]) -> Result<usize, Malformed> {
        // A line is held whole until its end, and the identification line
        // then beside a packet header: both within max_buffer.
        let limit = MAX_LINE.min(self.max_buffer.saturating_sub(HEADER_LEN));
        let half = self.half(side);
        if half.buf.is_empty() {
            half.line_timestamp = timestamp;
        }
        let nl = bytes.iter().position(|&b| b == b'\n');
        let used = nl.map_or(bytes.len(), |i| i.saturating_add(1));
        let room = limit.saturating_sub(half.buf.len());
        if used > room {
            return Err(malformed("line too long", format!("a line before the KEXINIT longer than {limit} bytes")));
        }
        half.buf.extend_from_slice(bytes.get(..used).unwrap_or_default());
        if nl.is_none() {
            return Ok(used);
        }
        let line = std::mem::take(&mut half.buf);
        let line = line.strip_suffix(b"\n").unwrap_or(&line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(IDENT_START) {
            // SSH 1 ("SSH-1.5-...") frames packets differently and has no
            // KEXINIT; "1.99" is a server that speaks both, SSH 2 framing.
            let ssh1 = line.starts_with(b"SSH-1.") && !line.starts_with(b"SSH-1.99-");
            half.ident = Some((half.line_timestamp, line.to_vec()));
            half.phase = if ssh1 { Phase::Done } else { Phase::Header };
        } else {
            half.lines_before = half.lines_before.saturating_add(1);
            if half.lines_before > MAX_LINES_BEFORE {
                return Err(malformed(
                    "no identification line",
                    format!("more than {MAX_LINES_BEFORE} lines before the identification line"),
                ));
            }
        }
        Ok(used)
    }

    /// Collects a packet's header and decides what to do with the packet.
    fn header_bytes(&mut self, side: Side, bytes: &[u8]) -> Result<usize, Malformed> {
        let (max_packet, max_buffer) = (self.max_packet, self.max_buffer);
        let half = self.half(side);
        let used = HEADER_LEN.saturating_sub(half.buf.len()).min(bytes.len());
        half.buf.extend_from_slice(bytes.get(..used).unwrap_or_default());
        let Some(&[l0, l1, l2, l3, padding, message]) = half.buf.get(..HEADER_LEN) else { return Ok(used) };
        half.buf.clear();
        let packet_len = u32::from_be_bytes([l0, l1, l2, l3]);
        let packet_len_usize = usize::try_from(packet_len).unwrap_or(usize::MAX);
        if packet_len_usize > max_packet {
            return Err(malformed("packet too long", format!("packet_length {packet_len} over {max_packet}")));
        }
        // padding_length, the message number, the payload's rest and the padding.
        let Some(rest) = packet_len_usize.checked_sub(usize::from(padding)).and_then(|n| n.checked_sub(2)) else {
            return Err(malformed(
                "malformed packet",
                format!("packet_length {packet_len} leaves no payload after {padding} bytes of padding"),
            ));
        };
        if message != MSG_KEXINIT {
            // Skip the payload's rest and the padding.
            let skip = packet_len_usize.saturating_sub(2) as u64;
            half.phase = if skip == 0 { Phase::Header } else { Phase::Skip(skip) };
            return Ok(used);
        }
        // Held beside the identification line, within max_buffer.
        let room = max_buffer.saturating_sub(half.ident.as_ref().map_or(0, |(_, line)| line.len()));
        if rest > room {
            return Err(malformed(
                "KEXINIT too long",
                format!("a KEXINIT of {rest} bytes over the {room} bytes left of the {max_buffer} buffer"),
            ));
        }
        half.phase = Phase::KexInit(rest);
        Ok(used)
    }

    /// Collects the KEXINIT; once whole, parses it and writes the side's record.
    fn kexinit_bytes(
        &mut self,
        side: Side,
        need: usize,
        bytes: &[u8],
        out: &mut AppEmitter,
    ) -> Result<usize, Malformed> {
        let half = self.half(side);
        let used = need.saturating_sub(half.buf.len()).min(bytes.len());
        half.buf.extend_from_slice(bytes.get(..used).unwrap_or_default());
        if half.buf.len() < need {
            return Ok(used);
        }
        let payload = std::mem::take(&mut half.buf);
        half.give_up();
        let kex = KexInit::parse(&payload)?;
        self.write(side, Some(&kex), out);
        Ok(used)
    }

    /// A side's bytes stop: writes its record with the identification line
    /// alone if the KEXINIT never came.
    fn end_side(&mut self, side: Side, timestamp: i64, out: &mut AppEmitter) {
        let half = self.half(side);
        let cut = matches!(half.phase, Phase::KexInit(_) | Phase::Skip(_)) || !half.buf.is_empty();
        let had_ident = half.ident.is_some();
        half.give_up();
        if cut && had_ident && !half.written {
            out.error(
                PROTOCOL.name,
                "cut before KEXINIT",
                "the side's bytes ended inside a packet",
                timestamp,
                &self.info,
            );
        }
        self.write(side, None, out);
    }

    /// Writes `side`'s record once, if it sent an identification line.
    fn write(&mut self, side: Side, kex: Option<&KexInit>, out: &mut AppEmitter) {
        let info = self.info;
        let half = self.half(side);
        if half.written {
            return;
        }
        let Some((timestamp, ident)) = half.ident.take() else { return };
        let ident = String::from_utf8_lossy(&ident).into_owned();
        half.written = true;
        if !out.wants(RECORD) {
            return;
        }
        let is_client = side == Side::Client;
        let (src_ip, dst_ip, src_port, dst_port, src_mac, dst_mac) = if is_client {
            let (ip, port) = (info.client_ip_string(), info.client_port);
            (ip, info.server_ip_string(), port, info.server_port, info.client_mac_string(), info.server_mac_string())
        } else {
            let (ip, port) = (info.server_ip_string(), info.server_port);
            (ip, info.client_ip_string(), port, info.client_port, info.server_mac_string(), info.client_mac_string())
        };
        let (proto_version, software_version, comments) = ident_parts(&ident);
        let mut record = pb::Ssh {
            timestamp,
            src_ip,
            dst_ip,
            src_port: i32::from(src_port),
            dst_port: i32::from(dst_port),
            ident,
            is_client,
            src_mac,
            dst_mac,
            proto_version,
            software_version,
            comments,
            lines_before: i32::try_from(half.lines_before).unwrap_or(i32::MAX),
            frame_number_first: half.first_frame,
            frame_number_last: half.last_frame,
            ..Default::default()
        };
        if let Some(kex) = kex {
            let own = if is_client { &kex.client_to_server } else { &kex.server_to_client };
            let algorithms = format!("{};{};{};{}", kex.kex, own.ciphers, own.macs, own.compression);
            record.hassh = hex_string(&Md5::digest(algorithms.as_bytes()));
            record.algorithms = algorithms;
            record.kex_init = true;
            record.cookie = hex_string(&kex.cookie);
            record.kex_algorithms = names(&kex.kex);
            record.server_host_key_algorithms = names(&kex.host_key);
            record.ciphers = names(&own.ciphers);
            record.ma_cs = names(&own.macs);
            record.compression = names(&own.compression);
            record.languages = names(&own.languages);
            record.first_kex_packet_follows = kex.first_kex_packet_follows;
        }
        out.emit(RECORD, &record);
    }
}

/// A name-list split at its commas (an empty list is no names).
fn names(list: &str) -> Vec<String> {
    if list.is_empty() {
        Vec::new()
    } else {
        list.split(',').map(str::to_string).collect()
    }
}

/// "SSH-protoversion-softwareversion SP comments" as (protoversion,
/// softwareversion, comments); parts that are not there are empty.
fn ident_parts(ident: &str) -> (String, String, String) {
    let rest = ident.strip_prefix("SSH-").unwrap_or(ident);
    let (versions, comments) = rest.split_once(' ').unwrap_or((rest, ""));
    let (proto, software) = versions.split_once('-').unwrap_or((versions, ""));
    (proto.to_string(), software.to_string(), comments.to_string())
}

/// One direction's algorithm name-lists, as sent.
struct Direction {
    ciphers: String,
    macs: String,
    compression: String,
    languages: String,
}

/// SSH_MSG_KEXINIT (RFC 4253 7.1), after the message number.
struct KexInit {
    cookie: [u8; 16],
    kex: String,
    host_key: String,
    client_to_server: Direction,
    server_to_client: Direction,
    first_kex_packet_follows: bool,
}

/// Reads KEXINIT fields off the front of a payload.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Malformed> {
        if n > self.rest.len() {
            return Err(malformed("malformed KEXINIT", format!("{what}: {n} bytes needed, {} left", self.rest.len())));
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }

    /// A name-list: uint32 length and that many bytes of comma-separated names.
    fn name_list(&mut self, what: &str) -> Result<String, Malformed> {
        let len = match self.take(4, what)? {
            &[a, b, c, d] => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        };
        let list = self.take(usize::try_from(len).unwrap_or(usize::MAX), what)?;
        Ok(String::from_utf8_lossy(list).into_owned())
    }
}

impl KexInit {
    fn parse(payload: &[u8]) -> Result<KexInit, Malformed> {
        let mut r = Reader { rest: payload };
        let mut cookie = [0u8; 16];
        crate::decode::wire::copy_into(&mut cookie, r.take(16, "cookie")?);
        let kex = r.name_list("kex_algorithms")?;
        let host_key = r.name_list("server_host_key_algorithms")?;
        let enc = [
            r.name_list("encryption_algorithms_client_to_server")?,
            r.name_list("encryption_algorithms_server_to_client")?,
        ];
        let mac = [r.name_list("mac_algorithms_client_to_server")?, r.name_list("mac_algorithms_server_to_client")?];
        let comp = [
            r.name_list("compression_algorithms_client_to_server")?,
            r.name_list("compression_algorithms_server_to_client")?,
        ];
        let lang = [r.name_list("languages_client_to_server")?, r.name_list("languages_server_to_client")?];
        let first_kex_packet_follows = r.take(1, "first_kex_packet_follows")?.first().is_some_and(|&b| b != 0);
        // The reserved uint32 must be there too.
        r.take(4, "reserved")?;
        let [enc_c2s, enc_s2c] = enc;
        let [mac_c2s, mac_s2c] = mac;
        let [comp_c2s, comp_s2c] = comp;
        let [lang_c2s, lang_s2c] = lang;
        Ok(KexInit {
            cookie,
            kex,
            host_key,
            client_to_server: Direction { ciphers: enc_c2s, macs: mac_c2s, compression: comp_c2s, languages: lang_c2s },
            server_to_client: Direction { ciphers: enc_s2c, macs: mac_s2c, compression: comp_s2c, languages: lang_s2c },
            first_kex_packet_follows,
        })
    }
}

impl StreamDecoder for SshDecoder {
    fn data(&mut self, side: Side, timestamp: i64, bytes: &[u8], out: &mut AppEmitter) {
        let half = self.half(side);
        if !half.written && out.frame() != 0 {
            if half.first_frame == 0 {
                half.first_frame = out.frame();
            }
            half.last_frame = out.frame();
        }
        self.feed(side, timestamp, bytes, out);
    }

    /// Bytes lost before the KEXINIT: the packet framing is lost with them.
    fn gap(&mut self, side: Side, timestamp: i64, len: u64, out: &mut AppEmitter) {
        let half = self.half(side);
        if len == 0 || half.phase == Phase::Done {
            return;
        }
        half.give_up();
        out.error(PROTOCOL.name, "gap before KEXINIT", &format!("{len} bytes never seen"), timestamp, &self.info);
    }

    fn end(&mut self, side: Side, timestamp: i64, out: &mut AppEmitter) {
        self.end_side(side, timestamp, out);
    }

    fn close(&mut self, _reason: CloseReason, timestamp: i64, out: &mut AppEmitter) {
        self.end_side(Side::Client, timestamp, out);
        self.end_side(Side::Server, timestamp, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppOutput;
    use prost::Message;

    const SELECTED: &[&str] = &["SSH"];

    const KEX: &str = "curve25519-sha256,diffie-hellman-group14-sha256";
    /// Name-lists of a test KEXINIT: kex, host key, then client to server /
    /// server to client for ciphers, MACs, compression and languages.
    const LISTS: [&str; 10] = [
        KEX,
        "ssh-ed25519,rsa-sha2-512",
        "aes128-ctr,chacha20-poly1305@openssh.com",
        "aes256-gcm@openssh.com",
        "hmac-sha2-256",
        "hmac-sha1",
        "none,zlib@openssh.com",
        "none",
        "",
        "",
    ];
    /// `md5sum` of the client's and the server's HASSH input for [`LISTS`].
    const CLIENT_HASSH: &str = "4c62cbcd7d7bd5d7bab969610482f47a";
    const SERVER_HASSH: &str = "afe3f56c3d28542167b7b1d083c62278";

    fn info(saw_syn: bool, client_port: u16, server_port: u16) -> ConnInfo {
        let mut client_ip = [0u8; 16];
        client_ip[..4].copy_from_slice(&[192, 0, 2, 1]);
        let mut server_ip = [0u8; 16];
        server_ip[..4].copy_from_slice(&[198, 51, 100, 7]);
        ConnInfo {
            ip_version: 4,
            client_ip,
            server_ip,
            client_port,
            server_port,
            saw_syn,
            macs: Some(([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])),
        }
    }

    /// A binary packet around `payload` with `padding` bytes of padding.
    fn packet(payload: &[u8], padding: u8) -> Vec<u8> {
        let len = (payload.len() + 1 + usize::from(padding)) as u32;
        let mut p = len.to_be_bytes().to_vec();
        p.push(padding);
        p.extend_from_slice(payload);
        p.extend(std::iter::repeat_n(0xaa, usize::from(padding)));
        p
    }

    fn kexinit_payload(lists: &[&str; 10], first_kex_follows: bool) -> Vec<u8> {
        let mut p = vec![MSG_KEXINIT];
        p.extend(1..=16u8);
        for l in lists {
            p.extend_from_slice(&(l.len() as u32).to_be_bytes());
            p.extend_from_slice(l.as_bytes());
        }
        p.push(u8::from(first_kex_follows));
        p.extend_from_slice(&[0, 0, 0, 0]);
        p
    }

    fn client_stream() -> Vec<u8> {
        let mut s = b"SSH-2.0-OpenSSH_9.6\r\n".to_vec();
        // An SSH_MSG_IGNORE first: skipped.
        s.extend(packet(&[2, 0, 0, 0, 3, b'a', b'b', b'c'], 4));
        s.extend(packet(&kexinit_payload(&LISTS, false), 6));
        // Key exchange that follows: ignored.
        s.extend(packet(&[30, 1, 2, 3], 8));
        s
    }

    fn server_stream() -> Vec<u8> {
        let mut s = b"Welcome\r\nsecond notice\n".to_vec();
        s.extend_from_slice(b"SSH-1.99-Cisco-1.25 FIPS build\n");
        s.extend(packet(&kexinit_payload(&LISTS, true), 11));
        s
    }

    /// A decoder driven through the `StreamDecoder` trait, with what it wrote.
    struct Conn {
        decoder: SshDecoder,
        out: Vec<AppOutput>,
    }

    impl Conn {
        fn new(max_buffer: usize) -> Conn {
            Conn { decoder: SshDecoder::new(&info(true, 40000, 22), &AppConfig { max_buffer }), out: Vec::new() }
        }
        fn data(&mut self, side: Side, ts: i64, bytes: &[u8]) -> &mut Conn {
            self.decoder.data(side, ts, bytes, &mut AppEmitter::new(SELECTED, &mut self.out));
            self
        }
        fn bytewise(&mut self, side: Side, ts: i64, bytes: &[u8]) -> &mut Conn {
            for b in bytes {
                self.data(side, ts, std::slice::from_ref(b));
                assert!(self.decoder.held_bytes(side) <= 64 << 10);
            }
            self
        }
        fn gap(&mut self, side: Side, ts: i64, len: u64) -> &mut Conn {
            self.decoder.gap(side, ts, len, &mut AppEmitter::new(SELECTED, &mut self.out));
            self
        }
        fn close(&mut self) -> &mut Conn {
            self.decoder.close(CloseReason::Fin, 99, &mut AppEmitter::new(SELECTED, &mut self.out));
            self
        }
        fn records(&self) -> Vec<pb::Ssh> {
            self.out
                .iter()
                .filter_map(AppOutput::record)
                .map(|(_, b)| pb::Ssh::decode_length_delimited(b).unwrap())
                .collect()
        }
        fn errors(&self) -> Vec<String> {
            self.out.iter().filter_map(|o| o.error_kind().map(str::to_string)).collect()
        }
    }

    fn check_both(c: &Conn) {
        let r = c.records();
        assert_eq!(r.len(), 2, "{r:#?}");
        let client = r.iter().find(|r| r.is_client).unwrap();
        let server = r.iter().find(|r| !r.is_client).unwrap();
        assert_eq!(client.ident, "SSH-2.0-OpenSSH_9.6");
        assert_eq!((client.src_ip.as_str(), client.dst_ip.as_str()), ("192.0.2.1", "198.51.100.7"));
        assert_eq!((client.src_port, client.dst_port), (40000, 22));
        assert_eq!((client.src_mac.as_str(), client.dst_mac.as_str()), ("02:00:00:00:00:01", "02:00:00:00:00:02"));
        assert_eq!(client.timestamp, 1);
        assert!(client.kex_init);
        assert_eq!(client.hassh, CLIENT_HASSH);
        assert_eq!(client.algorithms, format!("{KEX};{};{};{}", LISTS[2], LISTS[4], LISTS[6]));
        assert_eq!(client.cookie, "0102030405060708090a0b0c0d0e0f10");
        assert_eq!(client.kex_algorithms, ["curve25519-sha256", "diffie-hellman-group14-sha256"]);
        assert_eq!(client.server_host_key_algorithms, ["ssh-ed25519", "rsa-sha2-512"]);
        assert_eq!(client.ciphers, ["aes128-ctr", "chacha20-poly1305@openssh.com"]);
        assert_eq!(client.ma_cs, ["hmac-sha2-256"]);
        assert_eq!(client.compression, ["none", "zlib@openssh.com"]);
        assert!(client.languages.is_empty());
        assert!(!client.first_kex_packet_follows);
        assert_eq!(
            (client.proto_version.as_str(), client.software_version.as_str(), client.comments.as_str()),
            ("2.0", "OpenSSH_9.6", "")
        );
        assert_eq!(server.ident, "SSH-1.99-Cisco-1.25 FIPS build");
        assert_eq!((server.src_ip.as_str(), server.src_port, server.dst_port), ("198.51.100.7", 22, 40000));
        assert_eq!(server.src_mac, "02:00:00:00:00:02");
        assert_eq!(server.hassh, SERVER_HASSH);
        assert_eq!(server.algorithms, format!("{KEX};{};{};{}", LISTS[3], LISTS[5], LISTS[7]));
        assert_eq!(server.ciphers, ["aes256-gcm@openssh.com"]);
        assert_eq!(server.ma_cs, ["hmac-sha1"]);
        assert!(server.first_kex_packet_follows);
        assert_eq!(server.lines_before, 2);
        assert_eq!(
            (server.proto_version.as_str(), server.software_version.as_str(), server.comments.as_str()),
            ("1.99", "Cisco-1.25", "FIPS build")
        );
        assert!(c.errors().is_empty(), "{:?}", c.errors());
    }

    #[test]
    fn banners_and_kexinits_make_one_record_per_side() {
        let mut c = Conn::new(64 << 10);
        c.data(Side::Server, 2, &server_stream()).data(Side::Client, 1, &client_stream());
        // Both written at their KEXINIT, before the close.
        assert_eq!(c.records().len(), 2);
        c.close();
        check_both(&c);
    }

    #[test]
    fn byte_by_byte_gives_the_same_records() {
        let mut c = Conn::new(64 << 10);
        let (client, server) = (client_stream(), server_stream());
        for i in 0..client.len().max(server.len()) {
            if let Some(b) = client.get(i) {
                c.bytewise(Side::Client, 1, std::slice::from_ref(b));
            }
            if let Some(b) = server.get(i) {
                c.bytewise(Side::Server, 2, std::slice::from_ref(b));
            }
        }
        c.close();
        check_both(&c);
    }

    #[test]
    fn banner_without_kexinit_is_written_at_the_close() {
        let mut c = Conn::new(64 << 10);
        c.data(Side::Client, 5, b"SSH-2.0-Go\n");
        assert!(c.records().is_empty());
        c.close();
        let r = c.records();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].ident.as_str(), r[0].kex_init, r[0].hassh.as_str()), ("SSH-2.0-Go", false, ""));
        assert_eq!(r[0].timestamp, 5);
        assert!(c.errors().is_empty());
    }

    #[test]
    fn ssh1_is_written_with_its_banner_only() {
        let mut c = Conn::new(64 << 10);
        let mut s = b"SSH-1.5-1.2.27\n".to_vec();
        // An SSH 1 public key packet: length, padding, type 2 ...
        s.extend_from_slice(&[0, 0, 1, 0x0c, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 3]);
        c.data(Side::Server, 1, &s).close();
        let r = c.records();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].ident.as_str(), r[0].proto_version.as_str(), r[0].kex_init), ("SSH-1.5-1.2.27", "1.5", false));
        assert!(c.errors().is_empty(), "{:?}", c.errors());
    }

    #[test]
    fn too_many_lines_before_the_banner_give_up_the_side() {
        let mut c = Conn::new(64 << 10);
        for _ in 0..=MAX_LINES_BEFORE {
            c.data(Side::Server, 1, b"notice\r\n");
        }
        c.data(Side::Server, 1, b"SSH-2.0-late\r\n").close();
        assert!(c.records().is_empty());
        assert_eq!(c.errors(), ["SSH: no identification line"]);
    }

    #[test]
    fn a_line_over_255_bytes_is_an_error() {
        let mut c = Conn::new(64 << 10);
        let mut line = b"SSH-2.0-".to_vec();
        line.extend(std::iter::repeat_n(b'x', 250));
        c.bytewise(Side::Client, 1, &line).close();
        assert!(c.records().is_empty());
        assert_eq!(c.errors(), ["SSH: line too long"]);
        // 255 bytes with the CR LF are fine.
        let mut c = Conn::new(64 << 10);
        let mut line = b"SSH-2.0-".to_vec();
        line.extend(std::iter::repeat_n(b'x', 245));
        line.extend_from_slice(b"\r\n");
        assert_eq!(line.len(), 255);
        c.data(Side::Client, 1, &line).close();
        assert_eq!(c.records().len(), 1);
        assert!(c.errors().is_empty());
    }

    #[test]
    fn oversized_and_malformed_packets_are_errors_with_the_banner_kept() {
        // packet_length over max(35000, max_buffer).
        let mut c = Conn::new(64 << 10);
        let mut s = b"SSH-2.0-x\r\n".to_vec();
        s.extend_from_slice(&[0x00, 0x01, 0x00, 0x01, 4, 20]);
        c.data(Side::Client, 1, &s).close();
        assert_eq!(c.errors(), ["SSH: packet too long"]);
        assert_eq!(c.records().len(), 1);
        assert!(!c.records()[0].kex_init);

        // Padding longer than the packet.
        let mut c = Conn::new(64 << 10);
        let mut s = b"SSH-2.0-x\r\n".to_vec();
        s.extend_from_slice(&[0, 0, 0, 8, 9, 20]);
        c.data(Side::Client, 1, &s).close();
        assert_eq!(c.errors(), ["SSH: malformed packet"]);

        // A name-list longer than the KEXINIT.
        let mut c = Conn::new(64 << 10);
        let mut payload = kexinit_payload(&LISTS, false);
        payload[17..21].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
        let mut s = b"SSH-2.0-x\r\n".to_vec();
        s.extend(packet(&payload, 4));
        c.data(Side::Client, 1, &s).close();
        assert_eq!(c.errors(), ["SSH: malformed KEXINIT"]);
        assert_eq!(c.records().len(), 1);

        // A KEXINIT without its reserved field.
        let mut c = Conn::new(64 << 10);
        let payload = kexinit_payload(&LISTS, false);
        let mut s = b"SSH-2.0-x\r\n".to_vec();
        s.extend(packet(&payload[..payload.len() - 4], 4));
        c.data(Side::Client, 1, &s).close();
        assert_eq!(c.errors(), ["SSH: malformed KEXINIT"]);
    }

    #[test]
    fn a_kexinit_over_max_buffer_is_dropped_not_held() {
        let mut c = Conn::new(64);
        c.data(Side::Client, 1, &client_stream()).close();
        assert_eq!(c.errors(), ["SSH: KEXINIT too long"]);
        assert!(c.decoder.held_bytes(Side::Client) <= 64);
        assert_eq!(c.records().len(), 1);
    }

    #[test]
    fn a_gap_before_the_kexinit_gives_up_the_side_only() {
        let mut c = Conn::new(64 << 10);
        c.data(Side::Client, 1, b"SSH-2.0-OpenSSH_9.6\r\n").gap(Side::Client, 2, 100);
        c.data(Side::Client, 3, &client_stream()[21..]);
        c.data(Side::Server, 2, &server_stream()).close();
        assert_eq!(c.errors(), ["SSH: gap before KEXINIT"]);
        let r = c.records();
        assert_eq!(r.len(), 2);
        let client = r.iter().find(|r| r.is_client).unwrap();
        assert!(!client.kex_init);
        assert_eq!(r.iter().find(|r| !r.is_client).unwrap().hassh, SERVER_HASSH);
        // After the KEXINIT a gap is nothing to report.
        let mut c = Conn::new(64 << 10);
        c.data(Side::Client, 1, &client_stream()).gap(Side::Client, 2, 100).close();
        assert!(c.errors().is_empty());
    }

    #[test]
    fn a_side_cut_inside_a_packet_is_logged() {
        let mut c = Conn::new(64 << 10);
        let s = client_stream();
        c.data(Side::Client, 1, &s[..40]).close();
        assert_eq!(c.errors(), ["SSH: cut before KEXINIT"]);
        assert_eq!(c.records().len(), 1);
    }

    #[test]
    fn detect_needs_an_identification_line() {
        let syn = info(true, 40000, 2222);
        assert_eq!(detect(b"SSH-2.0-x\r\n", b"", &syn), Detect::Yes);
        assert_eq!(detect(b"", b"SSH-", &syn), Detect::Yes);
        assert_eq!(detect(b"SS", b"", &syn), Detect::NeedMore);
        assert_eq!(detect(b"", b"", &syn), Detect::NeedMore);
        assert_eq!(detect(b"", b"Welcome\r\nSSH-2.0-x\r\n", &syn), Detect::Yes);
        assert_eq!(detect(b"", b"Welcome\r\n", &syn), Detect::NeedMore);
        // A client must start with its identification line.
        assert_eq!(detect(b"GET / HTTP/1.1\r\n", b"", &syn), Detect::No);
        assert_eq!(detect(b"EHLO x\r\n", b"220 mail ESMTP\r\n", &syn), Detect::No);
        assert_eq!(detect(b"", b"220 mail ESMTP\r\n", &syn), Detect::NeedMore);
        assert_eq!(detect(b"Welcome\r\n", b"", &info(false, 40000, 2222)), Detect::NeedMore);
        assert_eq!(detect(b"\x16\x03\x01\x02\x00", b"", &syn), Detect::No);
        assert_eq!(detect(b"SSX", b"", &syn), Detect::No);
        assert_eq!(detect(&[b'a'; 300], b"", &syn), Detect::No);
        let many: Vec<u8> = b"x\n".repeat(MAX_LINES_BEFORE + 1).into_iter().chain(*b"SSH-2.0-x\n").collect();
        assert_eq!(detect(b"", &many, &syn), Detect::No);
        // Without the handshake, the end on port 22 is the server.
        assert_eq!(detect(b"SSH-2.0-x\r\n", b"", &info(false, 22, 50000)), Detect::YesSwapped);
        assert_eq!(detect(b"SSH-2.0-x\r\n", b"", &info(false, 50000, 22)), Detect::Yes);
        assert_eq!(detect(b"SSH-2.0-x\r\n", b"", &info(true, 22, 50000)), Detect::Yes);
    }
}

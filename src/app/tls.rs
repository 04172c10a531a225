//! TLS handshakes over a reassembled TCP connection, on any port: one `TLS`
//! record per ClientHello (with its JA3) and one `TLSServerHello` record
//! per ServerHello (with its JA3S and, up to TLS 1.2, the server's
//! certificate chain).
//!
//! Each side's byte stream is cut into TLS records (a record may span many
//! segments, a segment may hold many records); the contents of consecutive
//! handshake records are joined into handshake messages (a message may span
//! records, a record may hold several messages). `tls-parser` parses the
//! record headers and the ClientHello, ServerHello and Certificate bodies;
//! the extension list is walked here at raw level so that its order,
//! unknown types and GREASE values stay exact, and `tls-parser`'s content
//! parsers read the typed extensions. `x509-parser` reads the certificates.
//!
//! A side is followed until its handshake turns encrypted: after its
//! ChangeCipherSpec for TLS 1.2 and older; for TLS 1.3 (the ServerHello's
//! supported_versions says 0x0304) the CCS is a compatibility no-op and
//! the encrypted handshake travels in application-data records, which are
//! skipped, so a second ClientHello and ServerHello after a
//! HelloRetryRequest are still seen.
//!
//! Hostile or damaged streams: anything that is not a TLS record header
//! where one must start, a handshake message longer than
//! [`AppConfig::max_buffer`] or a gap that cannot be stepped over ends the
//! decoding of that side, with an errors.log entry when a handshake message
//! is lost. A gap inside a non-handshake record is stepped over (its length
//! is known); a gap anywhere else leaves no way to find the next record
//! header again (record contents are arbitrary bytes), so that side stops.
//! A side holds at most one partial record header and one partial
//! handshake message (at most `max_buffer` bytes).

use super::ja4::{is_grease, ClientHelloView, Transport};
use super::{AppConfig, AppEmitter, AppProtocol, CloseReason, ConnInfo, Detect, Side, StreamDecoder};
use crate::schema::pb;
use md5::{Digest, Md5};
use tls_parser::TlsExtension;

pub static PROTOCOL: AppProtocol = AppProtocol { name: "TLS", records: &["TLS", "TLSServerHello"], detect, new };

/// The protocol name in errors.log.
const NAME: &str = "TLS";
const CLIENT_RECORD: &str = "TLS";
const SERVER_RECORD: &str = "TLSServerHello";

const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
const CONTENT_HANDSHAKE: u8 = 22;
const HANDSHAKE_CLIENT_HELLO: u8 = 1;
const HANDSHAKE_SERVER_HELLO: u8 = 2;
const HANDSHAKE_CERTIFICATE: u8 = 11;
const TLS13: u16 = 0x0304;

/// Longest record a peer may send (RFC 5246 6.2.3: 2^14 plus 2048 of
/// expansion); longer means the stream is not (or no longer) TLS.
const MAX_RECORD: u16 = (1 << 14) + 2048;
const RECORD_HEADER: usize = 5;
const HANDSHAKE_HEADER: usize = 4;

/// A message buffer whose capacity grew past this is freed after use.
const KEEP_CAPACITY: usize = 4096;

/// What the first bytes of one side say about a handshake message start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartMatch {
    Yes,
    Prefix,
    No,
}

/// Whether `bytes` start with a handshake record whose first message has
/// type `handshake_type`: content type 22, version 3.0 to 1.3, a length
/// that a handshake message fits in and no record exceeds.
fn hello_start(bytes: &[u8], handshake_type: u8) -> StartMatch {
    let wanted = |at: usize, ok: &dyn Fn(u8) -> bool| bytes.get(at).is_none_or(|&b| ok(b));
    let length_ok = match (bytes.get(3), bytes.get(4)) {
        (Some(&hi), Some(&lo)) => (HANDSHAKE_HEADER as u16..=MAX_RECORD).contains(&u16::from_be_bytes([hi, lo])),
        (Some(&hi), None) => u16::from(hi) << 8 <= MAX_RECORD,
        _ => true,
    };
    let consistent = wanted(0, &|b| b == CONTENT_HANDSHAKE)
        && wanted(1, &|b| b == 3)
        && wanted(2, &|b| b <= 4)
        && length_ok
        && wanted(5, &|b| b == handshake_type);
    match (consistent, bytes.len() > RECORD_HEADER) {
        (false, _) => StartMatch::No,
        (true, true) => StartMatch::Yes,
        (true, false) => StartMatch::Prefix,
    }
}

/// Whether `bytes` are TLS records from their first byte on, as on a
/// connection picked up after its handshake: each header has a content
/// type of TLS 1.0–1.3 (change_cipher_spec, alert, handshake,
/// application_data), version 3.1 to 3.4 and a length no record exceeds;
/// Yes once two headers were checked, or one whose record ends the bytes.
fn record_run(bytes: &[u8]) -> StartMatch {
    let mut at = 0usize;
    let mut headers = 0;
    loop {
        let Some(&[content, major, minor, hi, lo]) = bytes.get(at..at.saturating_add(RECORD_HEADER)) else {
            // A header cut by the end: its first bytes must fit.
            let tail = bytes.get(at..).unwrap_or(&[]);
            let fits = tail.first().is_none_or(|t| (20..=23).contains(t))
                && tail.get(1).is_none_or(|&m| m == 3)
                && tail.get(2).is_none_or(|m| (1..=4).contains(m));
            return match (fits, headers) {
                (false, _) => StartMatch::No,
                (true, 0) => StartMatch::Prefix,
                (true, _) if tail.is_empty() => StartMatch::Yes,
                (true, _) => StartMatch::Prefix,
            };
        };
        let length = u16::from_be_bytes([hi, lo]);
        let valid = (20..=23).contains(&content)
            && major == 3
            && (1..=4).contains(&minor)
            && (1..=MAX_RECORD).contains(&length);
        if !valid {
            return StartMatch::No;
        }
        headers += 1;
        if headers >= 2 {
            return StartMatch::Yes;
        }
        at = at.saturating_add(RECORD_HEADER).saturating_add(usize::from(length));
        if at > bytes.len() {
            return StartMatch::Prefix;
        }
    }
}

/// `detect` of [`PROTOCOL`]: a ClientHello from the client or a
/// ServerHello from the server is TLS as the stage oriented it; a
/// ServerHello from the client or a ClientHello from the server is TLS
/// picked up with the roles guessed wrong.
pub fn detect(client: &[u8], server: &[u8], _info: &ConnInfo) -> Detect {
    let straight = [hello_start(client, HANDSHAKE_CLIENT_HELLO), hello_start(server, HANDSHAKE_SERVER_HELLO)];
    let swapped = [hello_start(server, HANDSHAKE_CLIENT_HELLO), hello_start(client, HANDSHAKE_SERVER_HELLO)];
    // Picked up after the handshake: both sides' bytes are whole records,
    // or one side's are two records or more (one record on one side alone
    // says little: wait for more).
    let runs = [record_run(client), record_run(server)];
    let two_records = |b: &[u8]| {
        let first = match b.get(3..5) {
            Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
            _ => usize::MAX,
        };
        b.len() > first.saturating_add(RECORD_HEADER)
    };
    let [client_run, server_run] = runs;
    let one_side = (client_run == StartMatch::Yes && two_records(client) && server_run != StartMatch::No)
        || (server_run == StartMatch::Yes && two_records(server) && client_run != StartMatch::No);
    if straight.contains(&StartMatch::Yes) {
        Detect::Yes
    } else if swapped.contains(&StartMatch::Yes) {
        Detect::YesSwapped
    } else if runs == [StartMatch::Yes, StartMatch::Yes] || one_side {
        // Which end is the client is not in the bytes: the stage's guess stands.
        Detect::Yes
    } else if runs.iter().all(|r| *r != StartMatch::No) && runs.contains(&StartMatch::Yes) {
        Detect::NeedMore
    } else if straight.contains(&StartMatch::Prefix) || swapped.contains(&StartMatch::Prefix) {
        // A side that has sent something that cannot start a hello
        // decides: TLS peers send nothing before their hellos.
        let [client_as_client, server_as_server] = straight;
        let [server_as_client, client_as_server] = swapped;
        let client_no = !client.is_empty() && client_as_client == StartMatch::No && client_as_server == StartMatch::No;
        let server_no = !server.is_empty() && server_as_server == StartMatch::No && server_as_client == StartMatch::No;
        if client_no || server_no {
            Detect::No
        } else {
            Detect::NeedMore
        }
    } else {
        Detect::No
    }
}

fn new(info: &ConnInfo, cfg: &AppConfig) -> Box<dyn StreamDecoder> {
    Box::new(TlsDecoder::new(info, cfg))
}

/// The record layer of the record that carried (the start of) a handshake
/// message; zeros where there is none (a ClientHello from QUIC CRYPTO frames).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordLayer {
    pub content_type: u8,
    pub version: u16,
    pub length: u16,
}

/// A ClientHello's pieces, as sent (GREASE values included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// The handshake body length (without the 4-byte message header).
    pub handshake_len: u32,
    /// client_version (legacy_version).
    pub client_version: u16,
    pub random: Vec<u8>,
    pub session_id: Vec<u8>,
    pub ciphers: Vec<u16>,
    pub compression_methods: Vec<u8>,
    /// Length of the extensions block; 0 without one.
    pub extensions_len: usize,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// The first host_name of server_name, "" without one.
    pub sni: String,
    /// A status_request extension was present.
    pub status_request: bool,
    pub supported_groups: Vec<u16>,
    pub ec_point_formats: Vec<u8>,
    pub signature_algorithms: Vec<u16>,
    pub alpn: Vec<String>,
    pub supported_versions: Vec<u16>,
    /// Types of typed extensions whose contents did not parse (their
    /// fields stay empty; the type still counts in `extensions`).
    pub malformed_extensions: Vec<u16>,
}

/// Decimal values '-' joined, GREASE left out.
/// The decimal values without GREASE, joined by '-', appended to `out`
/// (written digit by digit: a `String` per value and a join cost more than
/// the rest of a ClientHello's record in profiles of the benchmark).
fn push_ja3_list<T: Copy + Into<u16>>(out: &mut String, values: &[T]) {
    let mut first = true;
    for v in values.iter().map(|&v| v.into()).filter(|&v| !is_grease(v)) {
        if !first {
            out.push('-');
        }
        first = false;
        crate::decode::wire::push_decimal_u32(out, u32::from(v));
    }
}

fn md5_hex(text: &str) -> String {
    hex(&Md5::digest(text.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    crate::decode::wire::hex_string(bytes)
}

impl ClientHello {
    /// Parses a whole handshake message (4-byte header included) that
    /// must be a ClientHello.
    pub fn parse(message: &[u8]) -> Result<ClientHello, String> {
        let (msg_type, body) = split_message(message)?;
        if msg_type != HANDSHAKE_CLIENT_HELLO {
            return Err(format!("handshake type {msg_type}, not a ClientHello"));
        }
        let (rest, hello) = tls_parser::parse_tls_handshake_client_hello(body)
            .map_err(|e| format!("ClientHello of {} bytes: {e:?}", body.len()))?;
        if !rest.is_empty() {
            return Err(format!("{} bytes after the ClientHello's fields", rest.len()));
        }
        let mut out = ClientHello {
            handshake_len: u32::try_from(body.len()).unwrap_or(u32::MAX),
            client_version: hello.version.0,
            random: hello.random.to_vec(),
            session_id: hello.session_id.unwrap_or_default().to_vec(),
            ciphers: hello.ciphers.iter().map(|c| c.0).collect(),
            compression_methods: hello.comp.iter().map(|c| c.0).collect(),
            extensions_len: hello.ext.map_or(0, <[u8]>::len),
            ..ClientHello::default()
        };
        for (ext_type, data) in raw_extensions(hello.ext.unwrap_or_default())? {
            out.extensions.push(ext_type);
            if !out.read_extension(ext_type, data) {
                out.malformed_extensions.push(ext_type);
            }
        }
        Ok(out)
    }

    /// Reads the typed extensions' contents; false when they do not parse.
    fn read_extension(&mut self, ext_type: u16, data: &[u8]) -> bool {
        let parsed = match ext_type {
            0 => tls_parser::parse_tls_extension_sni_content(data),
            10 => tls_parser::parse_tls_extension_elliptic_curves_content(data),
            11 => tls_parser::parse_tls_extension_ec_point_formats_content(data),
            13 => tls_parser::parse_tls_extension_signature_algorithms_content(data),
            16 => tls_parser::parse_tls_extension_alpn_content(data),
            5 => {
                self.status_request = true;
                return true;
            }
            43 => {
                // A u8 byte length, then u16 versions (RFC 8446 4.2.1).
                let list = data.split_first().and_then(|(&len, rest)| (usize::from(len) == rest.len()).then_some(rest));
                let Some(list) = list.filter(|l| l.len() % 2 == 0) else { return false };
                self.supported_versions = u16_list(list);
                return true;
            }
            _ => return true,
        };
        let Ok((_, ext)) = parsed else { return false };
        match ext {
            TlsExtension::SNI(names) => {
                let host = names.iter().find(|(t, _)| t.0 == 0).map(|(_, n)| *n);
                self.sni = String::from_utf8_lossy(host.unwrap_or_default()).into_owned();
            }
            TlsExtension::EllipticCurves(groups) => self.supported_groups = groups.iter().map(|g| g.0).collect(),
            TlsExtension::EcPointFormats(formats) => self.ec_point_formats = formats.to_vec(),
            TlsExtension::SignatureAlgorithms(algs) => self.signature_algorithms = algs,
            TlsExtension::ALPN(names) => {
                self.alpn = names.iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect();
            }
            _ => {}
        }
        true
    }

    /// The JA3 input as tshark's `tls.handshake.ja3_full` (and Salesforce's
    /// JA3) has it: version, ciphers, extensions, groups, point formats.
    pub fn ja3_string(&self) -> String {
        let mut s = String::with_capacity(256);
        crate::decode::wire::push_decimal_u32(&mut s, u32::from(self.client_version));
        for list in [&self.ciphers[..], &self.extensions, &self.supported_groups] {
            s.push(',');
            push_ja3_list(&mut s, list);
        }
        s.push(',');
        push_ja3_list(&mut s, &self.ec_point_formats);
        s
    }

    pub fn ja3(&self) -> String {
        md5_hex(&self.ja3_string())
    }

    /// Whether the client offers TLS 1.3.
    pub fn offers_tls13(&self) -> bool {
        self.supported_versions.contains(&TLS13)
    }

    /// The `TLS` record of this ClientHello, sent from `info`'s client.
    pub fn record(&self, layer: RecordLayer, timestamp: i64, info: &ConnInfo) -> pb::Tls {
        let ints = |v: &[u16]| v.iter().map(|&x| i32::from(x)).collect::<Vec<i32>>();
        let ja3_string = self.ja3_string();
        let (ja4, ja4_r) = super::ja4::ja4_and_raw(&self.ja4_view(Transport::Tcp));
        pb::Tls {
            timestamp,
            r#type: i32::from(layer.content_type),
            version: i32::from(layer.version),
            message_len: i32::from(layer.length),
            handshake_type: i32::from(HANDSHAKE_CLIENT_HELLO),
            handshake_len: self.handshake_len,
            handshake_version: i32::from(self.client_version),
            random: self.random.clone(),
            session_id_len: u32::try_from(self.session_id.len()).unwrap_or(u32::MAX),
            session_id: self.session_id.clone(),
            cipher_suite_len: i32::try_from(self.ciphers.len().saturating_mul(2)).unwrap_or(i32::MAX),
            extension_len: i32::try_from(self.extensions_len).unwrap_or(i32::MAX),
            sni: self.sni.clone(),
            oscp: self.status_request,
            cipher_suites: ints(&self.ciphers),
            compress_methods: self.compression_methods.iter().map(|&c| i32::from(c)).collect(),
            signature_algs: ints(&self.signature_algorithms),
            supported_groups: ints(&self.supported_groups),
            supported_points: self.ec_point_formats.iter().map(|&c| i32::from(c)).collect(),
            alp_ns: self.alpn.clone(),
            ja3: md5_hex(&ja3_string),
            src_ip: info.client_ip_string(),
            dst_ip: info.server_ip_string(),
            src_mac: info.client_mac_string(),
            d_st_mac: info.server_mac_string(),
            src_port: i32::from(info.client_port),
            dst_port: i32::from(info.server_port),
            ja3_string,
            extensions: ints(&self.extensions),
            supported_versions: ints(&self.supported_versions),
            ja4,
            ja4_r,
            // Set by the stream decoder, which knows the packets.
            frame_number_first: 0,
            frame_number_last: 0,
        }
    }

    /// What JA4 is made of, for a ClientHello carried over `transport`.
    pub fn ja4_view(&self, transport: Transport) -> ClientHelloView<'_> {
        ClientHelloView {
            transport,
            legacy_version: self.client_version,
            supported_versions: &self.supported_versions,
            ciphers: &self.ciphers,
            extensions: &self.extensions,
            alpn: &self.alpn,
            signature_algorithms: &self.signature_algorithms,
        }
    }
}

/// Parses a whole ClientHello handshake message (header included) into
/// its `TLS` record; the entry point for other carriers (QUIC CRYPTO
/// frames) as well.
pub fn client_hello_record(
    message: &[u8],
    layer: RecordLayer,
    timestamp: i64,
    info: &ConnInfo,
) -> Result<pb::Tls, String> {
    ClientHello::parse(message).map(|hello| hello.record(layer, timestamp, info))
}

/// A ServerHello's pieces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHello {
    pub version: u16,
    pub random: Vec<u8>,
    pub session_id: Vec<u8>,
    pub cipher: u16,
    pub extensions: Vec<u16>,
    /// supported_versions' selected version; 0 without the extension.
    pub supported_version: u16,
    pub alpn: String,
}

impl ServerHello {
    /// Parses a whole handshake message (header included) that must be a
    /// ServerHello (a HelloRetryRequest is one, with a fixed random).
    pub fn parse(message: &[u8]) -> Result<ServerHello, String> {
        let (msg_type, body) = split_message(message)?;
        if msg_type != HANDSHAKE_SERVER_HELLO {
            return Err(format!("handshake type {msg_type}, not a ServerHello"));
        }
        let (rest, hello) = tls_parser::parse_tls_handshake_server_hello(body)
            .map_err(|e| format!("ServerHello of {} bytes: {e:?}", body.len()))?;
        if !rest.is_empty() {
            return Err(format!("{} bytes after the ServerHello's fields", rest.len()));
        }
        let mut out = ServerHello {
            version: hello.version.0,
            random: hello.random.to_vec(),
            session_id: hello.session_id.unwrap_or_default().to_vec(),
            cipher: hello.cipher.0,
            ..ServerHello::default()
        };
        for (ext_type, data) in raw_extensions(hello.ext.unwrap_or_default())? {
            out.extensions.push(ext_type);
            match ext_type {
                16 => {
                    if let Ok((_, TlsExtension::ALPN(names))) = tls_parser::parse_tls_extension_alpn_content(data) {
                        let first = names.first().copied().unwrap_or_default();
                        out.alpn = String::from_utf8_lossy(first).into_owned();
                    }
                }
                43 => {
                    if let [hi, lo] = data {
                        out.supported_version = u16::from_be_bytes([*hi, *lo]);
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// tshark's `tls.handshake.ja3s_full`: version, cipher, extensions.
    pub fn ja3s_string(&self) -> String {
        let mut s = String::with_capacity(64);
        crate::decode::wire::push_decimal_u32(&mut s, u32::from(self.version));
        s.push(',');
        crate::decode::wire::push_decimal_u32(&mut s, u32::from(self.cipher));
        s.push(',');
        push_ja3_list(&mut s, &self.extensions);
        s
    }

    /// The `TLSServerHello` record (no certificates yet), sent from
    /// `info`'s server.
    pub fn record(&self, timestamp: i64, info: &ConnInfo) -> pb::TlsServerHello {
        let ja3s_string = self.ja3s_string();
        pb::TlsServerHello {
            timestamp,
            src_ip: info.server_ip_string(),
            dst_ip: info.client_ip_string(),
            src_port: i32::from(info.server_port),
            dst_port: i32::from(info.client_port),
            version: i32::from(self.version),
            supported_version: i32::from(self.supported_version),
            cipher_suite: i32::from(self.cipher),
            extensions: self.extensions.iter().map(|&x| i32::from(x)).collect(),
            alpn: self.alpn.clone(),
            ja3s: md5_hex(&ja3s_string),
            ja3s_string,
            session_id: self.session_id.clone(),
            random: self.random.clone(),
            certificates: Vec::new(),
            // Set by the stream decoder, which knows the packets.
            frame_number_first: 0,
            frame_number_last: 0,
        }
    }
}

/// Parses a whole ServerHello handshake message into its record.
pub fn server_hello_record(message: &[u8], timestamp: i64, info: &ConnInfo) -> Result<pb::TlsServerHello, String> {
    ServerHello::parse(message).map(|hello| hello.record(timestamp, info))
}

/// (type, body) of a whole handshake message whose length field must
/// match its size.
fn split_message(message: &[u8]) -> Result<(u8, &[u8]), String> {
    let (header, body) =
        message.split_at_checked(HANDSHAKE_HEADER).ok_or("a handshake message shorter than its header")?;
    let [msg_type, a, b, c] = *header else { return Err("a handshake message shorter than its header".into()) };
    let len = u32::from_be_bytes([0, a, b, c]);
    if usize::try_from(len).ok() != Some(body.len()) {
        return Err(format!("handshake length {len} but {} bytes", body.len()));
    }
    Ok((msg_type, body))
}

/// The (type, data) pairs of an extensions block, in wire order.
fn raw_extensions(mut block: &[u8]) -> Result<Vec<(u16, &[u8])>, String> {
    let mut out = Vec::new();
    while !block.is_empty() {
        let Some(&[t0, t1, l0, l1]) = block.get(..4) else {
            return Err(format!("{} stray bytes at the end of the extensions", block.len()));
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        let rest = block.get(4..).unwrap_or_default();
        let (data, after) = rest.split_at_checked(len).ok_or_else(|| {
            format!("extension {} of {len} bytes but {} left", u16::from_be_bytes([t0, t1]), rest.len())
        })?;
        out.push((u16::from_be_bytes([t0, t1]), data));
        block = after;
    }
    Ok(out)
}

/// The whole size (header included) of the handshake message `message`
/// starts, once its header is there.
fn message_size(message: &[u8]) -> Option<usize> {
    let &[_, a, b, c] = message.get(..HANDSHAKE_HEADER)? else { return None };
    usize::try_from(u32::from_be_bytes([0, a, b, c])).ok()?.checked_add(HANDSHAKE_HEADER)
}

fn u16_list(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|p| u16::from_be_bytes([p.first().copied().unwrap_or(0), p.get(1).copied().unwrap_or(0)]))
        .collect()
}

/// Where one side's stream is in the TLS record framing.
#[derive(Debug, Default)]
struct Reader {
    /// A record header being read (it may span segments).
    header: [u8; RECORD_HEADER],
    header_len: usize,
    /// The record being read: its layer and its content bytes still to come.
    record: RecordLayer,
    record_left: usize,
    /// A handshake message being joined from handshake records.
    message: Vec<u8>,
    /// The record the current message started in.
    message_layer: RecordLayer,
    /// Frame numbers of the packets where the record being read and the
    /// current message's record began (a record's header may come in an
    /// earlier packet than its content).
    record_frame: u64,
    message_frame: u64,
    /// Nothing more is read from this side (encrypted, broken or gone).
    stopped: bool,
    /// This side sent a ChangeCipherSpec that was taken for TLS 1.3's
    /// compatibility no-op: the only plaintext handshake message that may
    /// follow is a hello after a HelloRetryRequest.
    after_compat_ccs: bool,
}

impl Reader {
    fn clear_message(&mut self) {
        self.message.clear();
        if self.message.capacity() > KEEP_CAPACITY {
            self.message = Vec::new();
        }
    }
}

/// A ServerHello written once its certificates are known.
struct PendingServerHello {
    side: Side,
    record: pb::TlsServerHello,
}

/// The TLS decoder of one connection.
pub struct TlsDecoder {
    info: ConnInfo,
    max_buffer: usize,
    client: Reader,
    server: Reader,
    /// A ServerHello selected TLS 1.3: later handshake messages are
    /// encrypted and CCS records are no-ops.
    tls13: bool,
    /// The last ClientHello offered TLS 1.3 (its CCS may come before the
    /// ServerHello, middlebox compatibility mode).
    client_offers_tls13: bool,
    server_hello_seen: bool,
    pending: Option<PendingServerHello>,
}

impl TlsDecoder {
    pub fn new(info: &ConnInfo, cfg: &AppConfig) -> TlsDecoder {
        TlsDecoder {
            info: *info,
            max_buffer: cfg.max_buffer,
            client: Reader::default(),
            server: Reader::default(),
            tls13: false,
            client_offers_tls13: false,
            server_hello_seen: false,
            pending: None,
        }
    }

    /// Bytes held for `side` (the partial message and record header).
    pub fn held_bytes(&self, side: Side) -> usize {
        let r = self.reader_ref(side);
        r.message.len().saturating_add(r.header_len)
    }

    fn reader_ref(&self, side: Side) -> &Reader {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    fn reader(&mut self, side: Side) -> &mut Reader {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// The connection as seen with `side` as the client.
    fn info_from(&self, side: Side) -> ConnInfo {
        match side {
            Side::Client => self.info,
            Side::Server => ConnInfo {
                client_ip: self.info.server_ip,
                server_ip: self.info.client_ip,
                client_port: self.info.server_port,
                server_port: self.info.client_port,
                macs: self.info.macs.map(|(c, s)| (s, c)),
                ..self.info
            },
        }
    }

    fn error(&self, kind: &str, detail: &str, timestamp: i64, out: &mut AppEmitter) {
        out.error(NAME, kind, detail, timestamp, &self.info);
    }

    /// Stops reading `side`; its ServerHello goes out without certificates.
    fn stop(&mut self, side: Side, out: &mut AppEmitter) {
        let reader = self.reader(side);
        reader.stopped = true;
        reader.clear_message();
        reader.header_len = 0;
        reader.record_left = 0;
        self.flush_pending(Some(side), out);
    }

    /// Writes the held ServerHello (when `side` is None or its sender).
    fn flush_pending(&mut self, side: Option<Side>, out: &mut AppEmitter) {
        if side.is_some_and(|s| self.pending.as_ref().is_some_and(|p| p.side != s)) {
            return;
        }
        if let Some(p) = self.pending.take() {
            out.emit(SERVER_RECORD, &p.record);
        }
    }

    fn feed(&mut self, side: Side, timestamp: i64, mut rest: &[u8], out: &mut AppEmitter) {
        while !rest.is_empty() && !self.reader_ref(side).stopped {
            let reader = self.reader(side);
            if reader.record_left == 0 {
                if reader.header_len == 0 {
                    reader.record_frame = out.frame();
                }
                let want = RECORD_HEADER.saturating_sub(reader.header_len);
                let (part, after) = rest.split_at(want.min(rest.len()));
                rest = after;
                if let Some(slot) = reader.header.get_mut(reader.header_len..reader.header_len + part.len()) {
                    slot.copy_from_slice(part);
                }
                reader.header_len += part.len();
                if reader.header_len == RECORD_HEADER {
                    reader.header_len = 0;
                    let header = reader.header;
                    self.record_start(side, header, timestamp, out);
                }
                continue;
            }
            let (content, after) = rest.split_at(reader.record_left.min(rest.len()));
            rest = after;
            reader.record_left -= content.len();
            if reader.record.content_type == CONTENT_HANDSHAKE {
                self.handshake_bytes(side, content, timestamp, out);
            }
        }
    }

    /// A record header is complete.
    fn record_start(&mut self, side: Side, header: [u8; RECORD_HEADER], timestamp: i64, out: &mut AppEmitter) {
        let parsed = tls_parser::parse_tls_record_header(&header).ok().map(|(_, h)| h);
        let layer = parsed
            .map(|h| RecordLayer { content_type: h.record_type.0, version: h.version.0, length: h.len })
            .filter(|l| {
                (20..=24).contains(&l.content_type) && (0x0300..=TLS13).contains(&l.version) && l.length <= MAX_RECORD
            });
        let Some(layer) = layer else {
            self.error("not a TLS record", &format!("record header {}", hex(&header)), timestamp, out);
            self.stop(side, out);
            return;
        };
        let had_message = !self.reader_ref(side).message.is_empty();
        if layer.content_type != CONTENT_HANDSHAKE && had_message {
            self.error(
                "truncated handshake message",
                "a non-handshake record inside a handshake message",
                timestamp,
                out,
            );
            self.reader(side).clear_message();
        }
        let reader = self.reader(side);
        reader.record = layer;
        reader.record_left = usize::from(layer.length);
        match layer.content_type {
            CONTENT_HANDSHAKE => {}
            CONTENT_CHANGE_CIPHER_SPEC => self.change_cipher_spec(side, out),
            // Alerts, application data, heartbeats: skipped; the sender's
            // handshake has no Certificate coming before them.
            _ => self.flush_pending(Some(side), out),
        }
    }

    /// After its CCS a side's handshake is encrypted, except in TLS 1.3
    /// (a no-op for middleboxes, possibly before the ServerHello).
    fn change_cipher_spec(&mut self, side: Side, out: &mut AppEmitter) {
        self.flush_pending(Some(side), out);
        let compat = self.tls13 || (side == Side::Client && !self.server_hello_seen && self.client_offers_tls13);
        if compat {
            self.reader(side).after_compat_ccs = true;
        } else {
            self.stop(side, out);
        }
    }

    /// Whether a handshake message that starts after a compatibility CCS
    /// is plaintext: the hello its side may repeat after a
    /// HelloRetryRequest, within the record that carries it. Anything else
    /// is TLS 1.2's encrypted Finished, which tshark shows as "Encrypted
    /// Handshake Message" with the same test (a known type that fits the
    /// record): a capture that misses the ServerHello cannot tell the two
    /// versions apart by the CCS alone.
    fn plaintext_after_compat_ccs(side: Side, message: &[u8], total: usize, layer: RecordLayer) -> bool {
        let hello = match side {
            Side::Client => HANDSHAKE_CLIENT_HELLO,
            Side::Server => HANDSHAKE_SERVER_HELLO,
        };
        message.first() == Some(&hello) && total <= usize::from(layer.length)
    }

    fn handshake_bytes(&mut self, side: Side, mut content: &[u8], timestamp: i64, out: &mut AppEmitter) {
        let max_buffer = self.max_buffer;
        while !content.is_empty() {
            let reader = self.reader(side);
            if reader.stopped {
                return;
            }
            if reader.message.is_empty() {
                // Messages start in the record being read: messages are
                // parsed as soon as they complete, so an earlier one ended here.
                reader.message_layer = reader.record;
                reader.message_frame = reader.record_frame;
            }
            let need = message_size(&reader.message)
                .map_or(HANDSHAKE_HEADER, |total| total.min(max_buffer))
                .saturating_sub(reader.message.len());
            let (part, after) = content.split_at(need.min(content.len()));
            content = after;
            let header_before = reader.message.len() >= HANDSHAKE_HEADER;
            reader.message.extend_from_slice(part);
            let Some(total) = message_size(&reader.message) else { continue };
            if reader.after_compat_ccs
                && !header_before
                && !Self::plaintext_after_compat_ccs(side, &reader.message, total, reader.message_layer)
            {
                // Encrypted from here on: not an error.
                self.stop(side, out);
                return;
            }
            if total > max_buffer {
                let detail = format!("a handshake message of {total} bytes, over the {max_buffer} byte limit");
                self.error("handshake message too long", &detail, timestamp, out);
                self.stop(side, out);
                return;
            }
            if reader.message.len() == total {
                let message = std::mem::take(&mut reader.message);
                let layer = reader.message_layer;
                self.handshake_message(side, &message, layer, timestamp, out);
                let reader = self.reader(side);
                if message.capacity() <= KEEP_CAPACITY && reader.message.is_empty() && !reader.stopped {
                    reader.message = message;
                    reader.message.clear();
                }
            }
        }
    }

    fn handshake_message(
        &mut self,
        side: Side,
        message: &[u8],
        layer: RecordLayer,
        timestamp: i64,
        out: &mut AppEmitter,
    ) {
        let msg_type = message.first().copied().unwrap_or(0);
        match msg_type {
            HANDSHAKE_CLIENT_HELLO => match ClientHello::parse(message) {
                Ok(hello) => {
                    self.client_offers_tls13 = hello.offers_tls13();
                    if out.wants(CLIENT_RECORD) {
                        let mut record = hello.record(layer, timestamp, &self.info_from(side));
                        record.frame_number_first = self.reader_ref(side).message_frame;
                        record.frame_number_last = out.frame();
                        out.emit(CLIENT_RECORD, &record);
                    }
                    if let Some(ext) = hello.malformed_extensions.first() {
                        let detail = format!("extension {ext} does not parse (of {:?})", hello.malformed_extensions);
                        self.error("malformed ClientHello extension", &detail, timestamp, out);
                    }
                }
                Err(e) => self.error("malformed ClientHello", &e, timestamp, out),
            },
            HANDSHAKE_SERVER_HELLO => {
                self.flush_pending(None, out);
                match ServerHello::parse(message) {
                    Ok(hello) => {
                        self.server_hello_seen = true;
                        self.tls13 = hello.supported_version == TLS13;
                        let mut record = hello.record(timestamp, &self.info_from(side.other()));
                        record.frame_number_first = self.reader_ref(side).message_frame;
                        record.frame_number_last = out.frame();
                        if self.tls13 {
                            out.emit(SERVER_RECORD, &record);
                        } else {
                            self.pending = Some(PendingServerHello { side, record });
                        }
                    }
                    Err(e) => self.error("malformed ServerHello", &e, timestamp, out),
                }
            }
            HANDSHAKE_CERTIFICATE if self.pending.as_ref().is_some_and(|p| p.side == side) => {
                self.certificates(message, timestamp, out);
                self.flush_pending(Some(side), out);
            }
            _ => self.flush_pending(Some(side), out),
        }
    }

    /// Adds a Certificate message's chain to the held ServerHello.
    fn certificates(&mut self, message: &[u8], timestamp: i64, out: &mut AppEmitter) {
        let body = message.get(HANDSHAKE_HEADER..).unwrap_or_default();
        let chain = match tls_parser::parse_tls_handshake_msg_certificate(body) {
            Ok((_, tls_parser::TlsMessageHandshake::Certificate(c))) => c.cert_chain,
            Ok(_) | Err(_) => {
                self.error(
                    "malformed Certificate",
                    &format!("a Certificate message of {} bytes", body.len()),
                    timestamp,
                    out,
                );
                return;
            }
        };
        let mut certificates = Vec::with_capacity(chain.len());
        for raw in &chain {
            let (certificate, problem) = super::x509::certificate_record(raw.data);
            certificates.push(certificate);
            if let Some(e) = problem {
                self.error("malformed certificate", &e, timestamp, out);
            }
        }
        if let Some(p) = self.pending.as_mut() {
            p.record.certificates = certificates;
            p.record.frame_number_last = out.frame();
        }
    }

    /// `len` bytes of `side` were not seen.
    fn lost_bytes(&mut self, side: Side, timestamp: i64, len: u64, out: &mut AppEmitter) {
        let reader = self.reader(side);
        if reader.stopped {
            return;
        }
        let in_handshake =
            !reader.message.is_empty() || (reader.record_left > 0 && reader.record.content_type == CONTENT_HANDSHAKE);
        let inside_other = reader.header_len == 0 && reader.record_left > 0 && !in_handshake;
        if inside_other && u64::try_from(reader.record_left).is_ok_and(|left| len <= left) {
            // Inside an alert or application-data record: its length says
            // where the next record starts.
            reader.record_left -= usize::try_from(len).unwrap_or(0);
            return;
        }
        if in_handshake {
            let detail = format!("{len} bytes missing inside a handshake message");
            self.error("gap in handshake", &detail, timestamp, out);
        }
        self.stop(side, out);
    }

    /// `side` ends: a partial handshake message is reported.
    fn end_side(&mut self, side: Side, timestamp: i64, out: &mut AppEmitter) {
        let reader = self.reader(side);
        if !reader.stopped && !reader.message.is_empty() {
            let detail = format!("{} bytes of a handshake message, then the end", reader.message.len());
            self.error("truncated handshake message", &detail, timestamp, out);
        }
        self.stop(side, out);
    }
}

impl StreamDecoder for TlsDecoder {
    fn data(&mut self, side: Side, timestamp: i64, bytes: &[u8], out: &mut AppEmitter) {
        self.feed(side, timestamp, bytes, out);
    }

    fn gap(&mut self, side: Side, timestamp: i64, len: u64, out: &mut AppEmitter) {
        self.lost_bytes(side, timestamp, len, out);
    }

    fn end(&mut self, side: Side, timestamp: i64, out: &mut AppEmitter) {
        self.end_side(side, timestamp, out);
    }

    fn close(&mut self, _reason: CloseReason, timestamp: i64, out: &mut AppEmitter) {
        for side in [Side::Client, Side::Server] {
            self.end_side(side, timestamp, out);
        }
        self.flush_pending(None, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppOutput;
    use prost::Message;
    use sha2::Sha256;

    fn info() -> ConnInfo {
        ConnInfo {
            ip_version: 4,
            client_ip: [192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            server_ip: [192, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            client_port: 50000,
            server_port: 443,
            saw_syn: true,
            macs: Some(([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])),
        }
    }

    const SELECTED: &[&str] = &["TLS", "TLSServerHello"];

    struct Conn {
        decoder: TlsDecoder,
        out: Vec<AppOutput>,
    }

    impl Conn {
        fn new(max_buffer: usize) -> Conn {
            Conn { decoder: TlsDecoder::new(&info(), &AppConfig { max_buffer }), out: Vec::new() }
        }
        fn data(&mut self, side: Side, ts: i64, bytes: &[u8]) -> &mut Conn {
            self.decoder.data(side, ts, bytes, &mut AppEmitter::new(SELECTED, &mut self.out));
            self
        }
        fn bytewise(&mut self, side: Side, ts: i64, bytes: &[u8]) -> &mut Conn {
            for b in bytes {
                self.data(side, ts, std::slice::from_ref(b));
                assert!(self.decoder.held_bytes(side) <= self.decoder.max_buffer + RECORD_HEADER);
            }
            self
        }
        fn gap(&mut self, side: Side, len: u64) -> &mut Conn {
            self.decoder.gap(side, 0, len, &mut AppEmitter::new(SELECTED, &mut self.out));
            self
        }
        fn close(&mut self) -> &mut Conn {
            self.decoder.close(CloseReason::Fin, 0, &mut AppEmitter::new(SELECTED, &mut self.out));
            self
        }
        fn clients(&self) -> Vec<pb::Tls> {
            let it = self.out.iter().filter_map(AppOutput::record).filter(|(i, _)| *i == 0);
            it.map(|(_, b)| pb::Tls::decode_length_delimited(b).unwrap()).collect()
        }
        fn servers(&self) -> Vec<pb::TlsServerHello> {
            let it = self.out.iter().filter_map(AppOutput::record).filter(|(i, _)| *i == 1);
            it.map(|(_, b)| pb::TlsServerHello::decode_length_delimited(b).unwrap()).collect()
        }
        fn errors(&self) -> Vec<String> {
            let it = self.out.iter().filter_map(|o| o.error_kind().map(str::to_string));
            it.collect()
        }
    }

    fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
        let len = (body.len() as u32).to_be_bytes();
        let mut out = vec![msg_type, len[1], len[2], len[3]];
        out.extend_from_slice(body);
        out
    }

    fn record(content_type: u8, version: u16, content: &[u8]) -> Vec<u8> {
        let mut out = vec![content_type];
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&(content.len() as u16).to_be_bytes());
        out.extend_from_slice(content);
        out
    }

    fn ext(ext_type: u16, data: &[u8]) -> Vec<u8> {
        let mut out = ext_type.to_be_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(data);
        out
    }

    fn u16s(values: &[u16]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    /// A ClientHello message: GREASE cipher, extension and group, SNI,
    /// groups, point formats, ALPN, supported_versions (1.3, 1.2).
    fn client_hello() -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.push(0);
        let ciphers = u16s(&[0x1a1a, 0x1301, 0xc02b, 0x002f]);
        body.extend_from_slice(&(ciphers.len() as u16).to_be_bytes());
        body.extend_from_slice(&ciphers);
        body.extend_from_slice(&[1, 0]);
        let mut sni = vec![0, 14, 0, 0, 11];
        sni.extend_from_slice(b"example.com");
        let groups = u16s(&[0x2a2a, 29, 23]);
        let mut groups_data = (groups.len() as u16).to_be_bytes().to_vec();
        groups_data.extend_from_slice(&groups);
        let exts = [
            ext(0x0a0a, &[]),
            ext(0, &sni),
            ext(10, &groups_data),
            ext(11, &[1, 0]),
            ext(16, &[0, 12, 2, b'h', b'2', 8, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1']),
            ext(5, &[1, 0, 0, 0, 0]),
            ext(43, &[4, 3, 4, 3, 3]),
            ext(0x1a2a, &[0]),
        ]
        .concat();
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend_from_slice(&exts);
        handshake(1, &body)
    }

    fn server_hello(version: u16, extensions: &[u8]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[9; 32]);
        body.push(0);
        body.extend_from_slice(&0xc02bu16.to_be_bytes());
        body.push(0);
        let exts = [ext(0xff01, &[0]), ext(43, &version.to_be_bytes()), extensions.to_vec()].concat();
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend_from_slice(&exts);
        handshake(2, &body)
    }

    #[test]
    fn detect_cases() {
        let hello = record(22, 0x0301, &client_hello());
        let server = record(22, 0x0303, &server_hello(0x0303, &[]));
        let i = info();
        assert_eq!(detect(&hello, b"", &i), Detect::Yes);
        assert_eq!(detect(b"", &server, &i), Detect::Yes);
        assert_eq!(detect(b"", &hello, &i), Detect::YesSwapped);
        assert_eq!(detect(&server, b"", &i), Detect::YesSwapped);
        assert_eq!(detect(&hello[..3], b"", &i), Detect::NeedMore);
        assert_eq!(detect(b"", b"", &i), Detect::NeedMore);
        assert_eq!(detect(b"GET / HTTP/1.1\r\n", b"", &i), Detect::No);
        // Picked up after the handshake: whole records on both sides are
        // TLS; on one side only, wait; a side that is not records, no.
        let data = record(23, 0x0303, &[1, 2, 3, 4, 5]);
        assert_eq!(detect(&data, b"", &i), Detect::NeedMore);
        assert_eq!(detect(&data, &record(23, 0x0303, &[9; 40]), &i), Detect::Yes);
        assert_eq!(detect(&[data.clone(), record(21, 0x0303, &[2, 0])].concat(), b"", &i), Detect::Yes);
        assert_eq!(detect(&data, b"HTTP/1.1 200 OK\r\n", &i), Detect::No);
        assert_eq!(detect(&record(23, 0x0300, &[1]), &data, &i), Detect::No);
        assert_eq!(detect(&[23, 3, 3, 0, 0], &data, &i), Detect::No);
        // Not a handshake record, a bad version, an oversized length.
        assert_eq!(detect(&record(24, 0x0303, &[1, 2, 3, 4, 5]), b"", &i), Detect::No);
        assert_eq!(detect(&[22, 2, 0, 0, 100, 1], b"", &i), Detect::No);
        assert_eq!(detect(&[22, 3, 3, 0x50, 0, 1], b"", &i), Detect::No);
        // A ClientHello record whose first message is something else.
        assert_eq!(detect(&[22, 3, 1, 0, 100, 11], b"", &i), Detect::No);
    }

    #[test]
    fn client_hello_fields_and_ja3_leave_grease_out() {
        let mut c = Conn::new(64 << 10);
        c.data(Side::Client, 5, &record(22, 0x0301, &client_hello()));
        let r = &c.clients()[0];
        assert_eq!(r.ja3_string, "771,4865-49195-47,0-10-11-16-5-43-6698,29-23,0");
        assert_eq!(r.ja3, hex(&Md5::digest(r.ja3_string.as_bytes())));
        assert_eq!(r.extensions, vec![0x0a0a, 0, 10, 11, 16, 5, 43, 0x1a2a]);
        assert_eq!(r.cipher_suites, vec![0x1a1a, 0x1301, 0xc02b, 0x002f]);
        assert_eq!(r.sni, "example.com");
        assert_eq!(r.alp_ns, vec!["h2", "http/1.1"]);
        assert_eq!(r.supported_versions, vec![0x0304, 0x0303]);
        assert!(r.oscp);
        assert_eq!((r.r#type, r.version, r.handshake_type, r.handshake_version), (22, 0x0301, 1, 0x0303));
        assert_eq!(
            (r.src_port, r.dst_port, r.src_ip.as_str(), r.d_st_mac.as_str()),
            (50000, 443, "192.0.2.1", "02:00:00:00:00:02")
        );
        assert_eq!(r.timestamp, 5);
        // 0x1a2a has unequal bytes: not GREASE (RFC 8701), so in JA3.
        assert!(!is_grease(0x1a2a) && is_grease(0x2a2a));
    }

    #[test]
    fn split_byte_by_byte_and_over_records_gives_the_same_record() {
        let message = client_hello();
        let mut whole = Conn::new(64 << 10);
        whole.data(Side::Client, 1, &record(22, 0x0301, &message));
        let mut split = Conn::new(64 << 10);
        let stream: Vec<u8> = message.chunks(10).flat_map(|c| record(22, 0x0301, c)).collect();
        split.bytewise(Side::Client, 1, &stream);
        let (mut a, mut b) = (whole.clients(), split.clients());
        assert_eq!(a.len(), 1);
        a[0].message_len = 0;
        b[0].message_len = 0;
        assert_eq!(a, b);
        assert!(split.errors().is_empty());
    }

    #[test]
    fn server_hello_waits_for_its_certificates() {
        let mut c = Conn::new(64 << 10);
        let sh = server_hello(0x0303, &[]);
        // A chain of one certificate that is not X.509.
        let cert = handshake(11, &[0, 0, 7, 0, 0, 4, 1, 2, 3, 4]);
        let done = handshake(14, &[]);
        c.data(Side::Server, 3, &record(22, 0x0303, &sh));
        assert!(c.servers().is_empty(), "written before its certificates");
        c.data(Side::Server, 4, &record(22, 0x0303, &[cert, done].concat()));
        let s = c.servers();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].ja3s_string, "771,49195,65281-43");
        assert_eq!((s[0].src_port, s[0].dst_port, s[0].supported_version), (443, 50000, 0x0303));
        assert_eq!(s[0].certificates.len(), 1);
        let cert = &s[0].certificates[0];
        assert!(cert.unparsed);
        assert_eq!(cert.sha256, hex(&Sha256::digest([1, 2, 3, 4])));
        assert_eq!(c.errors(), vec!["TLS: malformed certificate"]);
    }

    #[test]
    fn tls13_hello_retry_gives_two_of_each() {
        let mut c = Conn::new(64 << 10);
        let ch = record(22, 0x0301, &client_hello());
        let hrr = record(22, 0x0303, &server_hello(0x0304, &[]));
        let ccs = record(20, 0x0303, &[1]);
        c.data(Side::Client, 1, &ch);
        c.data(Side::Server, 2, &[hrr.clone(), ccs.clone()].concat());
        c.data(Side::Client, 3, &[ccs.clone(), ch.clone()].concat());
        c.data(Side::Server, 4, &[hrr, ccs, record(23, 0x0303, &[0; 40])].concat());
        c.data(Side::Client, 5, &record(23, 0x0303, &[0; 40]));
        c.close();
        assert_eq!(c.clients().len(), 2);
        assert_eq!(c.servers().len(), 2);
        assert!(c.errors().is_empty(), "{:?}", c.errors());
    }

    #[test]
    fn tls12_change_cipher_spec_ends_the_side() {
        let mut c = Conn::new(64 << 10);
        c.data(Side::Server, 1, &record(22, 0x0303, &server_hello(0x0303, &[])));
        c.data(Side::Server, 2, &record(20, 0x0303, &[1]));
        assert_eq!(c.servers().len(), 1, "CCS writes the held ServerHello");
        // Encrypted Finished in a handshake record: not parsed.
        c.data(Side::Server, 3, &record(22, 0x0303, &[0xee; 40]));
        c.close();
        assert!(c.errors().is_empty(), "{:?}", c.errors());
    }

    #[test]
    fn encrypted_finished_after_a_ccs_taken_for_compatibility_is_not_an_error() {
        // base.pcap frame 11,889: the capture missed the ServerHello; the
        // client offered TLS 1.3, then sent TLS 1.2's ClientKeyExchange,
        // CCS and encrypted Finished (tshark: "Encrypted Handshake
        // Message"). Its first bytes read as a message of megabytes.
        let cke = record(22, 0x0303, &handshake(16, &[0x20; 33]));
        let ccs = record(20, 0x0303, &[1]);
        for first in [0x48u8, 1, 2] {
            let mut finished = vec![first, 0x61, 0x54, 0x74];
            finished.extend_from_slice(&[0x5a; 36]);
            let mut c = Conn::new(64 << 10);
            c.data(Side::Client, 1, &record(22, 0x0301, &client_hello()));
            c.data(Side::Client, 2, &[cke.clone(), ccs.clone(), record(22, 0x0303, &finished)].concat());
            c.data(Side::Client, 3, &record(23, 0x0303, &[0x33; 177]));
            c.close();
            assert_eq!(c.clients().len(), 1);
            assert!(c.errors().is_empty(), "first byte {first}: {:?}", c.errors());
            assert!(c.decoder.client.stopped, "first byte {first}: encrypted from the Finished on");
        }
        // A ClientHello that fits its record after such a CCS (a retry
        // after HelloRetryRequest) is still read.
        let mut c = Conn::new(64 << 10);
        let ch = record(22, 0x0301, &client_hello());
        c.data(Side::Client, 1, &[ch.clone(), ccs, ch].concat());
        c.close();
        assert_eq!(c.clients().len(), 2);
        assert!(c.errors().is_empty(), "{:?}", c.errors());
    }

    #[test]
    fn malformed_input_gives_errors_and_no_record() {
        let mut hello = client_hello();
        hello.truncate(60);
        let len = ((hello.len() - 4) as u32).to_be_bytes();
        hello[1..4].copy_from_slice(&len[1..]);
        let mut c = Conn::new(64 << 10);
        c.data(Side::Client, 1, &record(22, 0x0301, &hello));
        assert!(c.clients().is_empty());
        assert_eq!(c.errors(), vec!["TLS: malformed ClientHello"]);
        // Not a record header: the side stops.
        let mut c = Conn::new(64 << 10);
        c.data(Side::Client, 1, b"\x16\x03\x01\xff\xff garbage");
        c.data(Side::Client, 1, &record(22, 0x0301, &client_hello()));
        assert!(c.clients().is_empty());
        assert_eq!(c.errors(), vec!["TLS: not a TLS record"]);
        // A message cut by the end.
        let mut c = Conn::new(64 << 10);
        c.data(Side::Client, 1, &record(22, 0x0301, &client_hello()[..50]));
        c.close();
        assert_eq!(c.errors(), vec!["TLS: truncated handshake message"]);
    }

    #[test]
    fn limits_and_gaps() {
        // A message over max_buffer: error, nothing held, no record.
        let mut c = Conn::new(64);
        c.bytewise(Side::Client, 1, &record(22, 0x0301, &client_hello()));
        assert!(c.clients().is_empty());
        assert_eq!(c.errors(), vec!["TLS: handshake message too long"]);
        assert_eq!(c.decoder.held_bytes(Side::Client), 0);
        // A gap inside application data is stepped over.
        let mut c = Conn::new(64 << 10);
        let app = record(23, 0x0303, &[0; 100]);
        c.data(Side::Server, 1, &app[..20]).gap(Side::Server, 50).data(Side::Server, 2, &app[70..]);
        c.data(Side::Server, 3, &record(22, 0x0303, &server_hello(0x0304, &[])));
        assert_eq!(c.servers().len(), 1);
        assert!(c.errors().is_empty());
        // A gap inside a handshake message: error, the side stops.
        let mut c = Conn::new(64 << 10);
        let ch = record(22, 0x0301, &client_hello());
        c.data(Side::Client, 1, &ch[..30]).gap(Side::Client, 10).data(Side::Client, 2, &ch[40..]);
        c.data(Side::Client, 3, &ch);
        assert!(c.clients().is_empty());
        assert_eq!(c.errors(), vec!["TLS: gap in handshake"]);
    }
}

//! Application-layer decoders over reassembled TCP streams.
//!
//! The stream stage ([`crate::stream`]) reassembles both directions of a
//! TCP connection and hands each connection's ordered bytes to the
//! decoder of the protocol it carries. A protocol is recognised by
//! content (ports are only a hint): the stage shows the first bytes of
//! each side to every registered protocol's `detect` until one says yes
//! or all say no. From then on the connection's decoder sees, in capture
//! order, the client's and the server's bytes, the gaps where segments
//! were never seen, each side's FIN and the close.
//!
//! Adding a protocol = its messages in `proto/netcap.proto`, one file here
//! with an [`AppProtocol`] and its [`StreamDecoder`], and a registry line
//! (`src/registry.rs`) per record type it writes.

pub mod http;
pub mod ja4;
pub mod ssh;
pub mod tls;
pub mod x509;

/// Which end of the connection sent the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The end that opened the connection (sent the SYN), or, for a
    /// connection picked up without its handshake, the end `detect` chose.
    Client,
    Server,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

/// The connection a decoder works on, oriented client → server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnInfo {
    /// 4 or 6; IPv4 addresses use the first four bytes.
    pub ip_version: u8,
    pub client_ip: [u8; 16],
    pub server_ip: [u8; 16],
    pub client_port: u16,
    pub server_port: u16,
    /// Whether the handshake was seen (the roles are certain).
    pub saw_syn: bool,
    /// (client, server) MAC addresses, when the packets had an Ethernet header.
    pub macs: Option<([u8; 6], [u8; 6])>,
}

impl ConnInfo {
    pub fn client_ip_string(&self) -> String {
        crate::flows::ip_string(self.ip_version, &self.client_ip)
    }
    pub fn server_ip_string(&self) -> String {
        crate::flows::ip_string(self.ip_version, &self.server_ip)
    }
    /// "aa:bb:cc:dd:ee:ff", or "" without an Ethernet header.
    pub fn client_mac_string(&self) -> String {
        self.macs.map(|(c, _)| crate::decode::wire::mac_string(&c)).unwrap_or_default()
    }
    pub fn server_mac_string(&self) -> String {
        self.macs.map(|(_, s)| crate::decode::wire::mac_string(&s)).unwrap_or_default()
    }
}

/// Why a connection ended for its decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// Both sides sent FIN (and their data up to it arrived).
    Fin,
    Reset,
    /// Idle for longer than the timeout, in packet time.
    Timeout,
    /// Forced out early by the memory budget.
    Evicted,
    /// A SYN opened a new connection on the same addresses and ports
    /// before this one ended (port reuse).
    Reused,
    /// The capture ended (or the run was interrupted).
    EndOfInput,
}

/// What `detect` says about a connection's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detect {
    /// This protocol, with the stage's client and server as they are.
    Yes,
    /// This protocol, but the stage guessed the roles wrong (a connection
    /// picked up without its SYN): swap client and server.
    YesSwapped,
    No,
    /// Not enough bytes yet to say.
    NeedMore,
}

/// Limits and switches an application decoder must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppConfig {
    /// Most bytes a decoder may hold per connection (a header block
    /// waiting for its end, pipelined requests waiting for answers);
    /// past it the decoder drops what it holds, counts it and resyncs.
    pub max_buffer: usize,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig { max_buffer: 64 << 10 }
    }
}

/// One application protocol: how to recognise it and how to make a
/// decoder for a connection that carries it.
pub struct AppProtocol {
    /// For logs and the summary, e.g. "HTTP".
    pub name: &'static str,
    /// The record types its decoders write (names of `proto/netcap.proto`
    /// messages); the protocol runs when any of them is selected.
    pub records: &'static [&'static str],
    /// Looks at the first bytes each side sent (either may be empty) and
    /// says whether the connection carries this protocol. Must be cheap:
    /// it runs for every new connection until some protocol says yes.
    pub detect: fn(client: &[u8], server: &[u8], info: &ConnInfo) -> Detect,
    pub new: fn(info: &ConnInfo, cfg: &AppConfig) -> Box<dyn StreamDecoder>,
}

/// The decoder of one connection. Every call gets the emitter for the
/// records it completes. Nothing here may panic on any input, and what a
/// decoder holds must stay under [`AppConfig::max_buffer`].
pub trait StreamDecoder: Send {
    /// The next in-order bytes of one side; `timestamp` is the capture time
    /// (ns) of the packet that carried them.
    fn data(&mut self, side: Side, timestamp: i64, bytes: &[u8], out: &mut AppEmitter);
    /// `len` bytes of one side were never seen (a missing segment, or data
    /// the memory budget dropped); the next `data` of that side follows them.
    fn gap(&mut self, side: Side, timestamp: i64, len: u64, out: &mut AppEmitter);
    /// One side sent FIN: no more data from it.
    fn end(&mut self, side: Side, timestamp: i64, out: &mut AppEmitter);
    /// The connection is over: emit whatever is still pending.
    fn close(&mut self, reason: CloseReason, timestamp: i64, out: &mut AppEmitter);
}

/// What a decoder puts out, in the order it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppOutput {
    /// A record: (index into the selected types, length-delimited bytes).
    Record(usize, Vec<u8>),
    /// Input the decoder could not make sense of (a malformed or truncated
    /// message): an errors.log entry. `kind` names the problem for the
    /// summary ("TLS: malformed ClientHello"); `entry` is the log text.
    /// `frame` is the packet that made the decoder find it (0: none).
    Error { kind: String, entry: String, frame: u64 },
    /// The stage recognised `protocol` on the connection `conn` (oriented
    /// client → server): what Flow and Connection records call its
    /// ApplicationProto. Made by the stage, not by decoders.
    Identified { protocol: &'static str, conn: ConnInfo },
}

impl AppOutput {
    /// (selected-type index, bytes) of a record; `None` for an error.
    pub fn record(&self) -> Option<(usize, &[u8])> {
        match self {
            AppOutput::Record(i, bytes) => Some((*i, bytes)),
            AppOutput::Error { .. } | AppOutput::Identified { .. } => None,
        }
    }

    /// The summary kind of an error; `None` for anything else.
    pub fn error_kind(&self) -> Option<&str> {
        match self {
            AppOutput::Error { kind, .. } => Some(kind),
            AppOutput::Record(..) | AppOutput::Identified { .. } => None,
        }
    }
}

/// Where decoders put their records. The stage gives each record the
/// position that keeps output identical for any number of workers.
pub struct AppEmitter<'a> {
    /// The selected record types.
    selected: &'a [&'static str],
    out: &'a mut Vec<AppOutput>,
    /// Frame number of the packet whose bytes (or end) the decoder is
    /// handed; 0 when no packet caused the call (a timeout, the end of input).
    frame: u64,
}

impl<'a> AppEmitter<'a> {
    pub fn new(selected: &'a [&'static str], out: &'a mut Vec<AppOutput>) -> Self {
        AppEmitter { selected, out, frame: 0 }
    }

    /// The same, for the calls caused by packet `frame`.
    pub fn at_frame(self, frame: u64) -> Self {
        AppEmitter { frame, ..self }
    }

    /// Frame number of the packet being handed over (0: none).
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Whether record type `name` is selected (skip building one that is not).
    pub fn wants(&self, name: &str) -> bool {
        self.selected.contains(&name)
    }

    /// Writes `record` as a record of type `name` if that type is selected.
    pub fn emit(&mut self, name: &str, record: &impl prost::Message) {
        if let Some(i) = self.selected.iter().position(|s| *s == name) {
            self.out.push(AppOutput::Record(i, length_delimited(record)));
        }
    }

    /// Logs input `protocol`'s decoder could not use: `kind` is the class of
    /// problem (a short constant, counted in the summary), `detail` what
    /// exactly was wrong; the entry names the connection and the time.
    pub fn error(&mut self, protocol: &str, kind: &str, detail: &str, timestamp: i64, conn: &ConnInfo) {
        let frame = if self.frame == 0 { String::new() } else { format!("Frame: {}\n", self.frame) };
        let entry = format!(
            "{}\n{frame}Error: {protocol}: {kind}: {detail}\nConnection: {} -> {}\n\n",
            crate::timefmt::utc_string(timestamp, 9),
            endpoint(conn.ip_version, &conn.client_ip, conn.client_port),
            endpoint(conn.ip_version, &conn.server_ip, conn.server_port),
        );
        self.out.push(AppOutput::Error { kind: format!("{protocol}: {kind}"), entry, frame: self.frame });
    }
}

/// `record` with its length prefix, in a vector of exactly that size.
/// prost's `encode_length_delimited_to_vec` walks the message twice (its
/// length, then its bytes): an HTTP record with its header lists cost
/// about as much to measure as to encode. One walk into a reused buffer
/// and a copy is cheaper.
fn length_delimited(record: &impl prost::Message) -> Vec<u8> {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with(|scratch| {
        let mut body = scratch.borrow_mut();
        body.clear();
        record.encode_raw(&mut *body);
        let mut out = Vec::with_capacity(body.len() + prost::length_delimiter_len(body.len()));
        prost::encoding::encode_varint(body.len() as u64, &mut out);
        out.extend_from_slice(&body);
        // A rare huge record (a certificate chain) gives its memory back.
        if body.capacity() > SCRATCH_KEEP {
            *body = Vec::new();
        }
        out
    })
}

/// Capacity of the encoding buffer kept between records.
const SCRATCH_KEEP: usize = 1 << 20;

/// "192.0.2.1:80" or "[2001:db8::1]:80".
fn endpoint(version: u8, ip: &[u8; 16], port: u16) -> String {
    let ip = crate::flows::ip_string(version, ip);
    if version == 6 {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::pb;
    use prost::Message;

    #[test]
    fn records_are_framed_as_prost_frames_them() {
        let header = |n: &str, v: &str| pb::HttpHeader { name: n.into(), value: v.into() };
        let http = pb::Http {
            timestamp: 1_700_000_000_123_456_789,
            method: "GET".into(),
            url: "/a,\"b\"\n".into(),
            status_code: 200,
            request_header: (0..40).map(|i| header(&format!("X-{i}"), &"v".repeat(i))).collect(),
            response_header: vec![header("Server", "nginx")],
            interim_status_codes: vec![100, 103],
            ..pb::Http::default()
        };
        // Empty, one-byte-prefix and two-byte-prefix records, then a small
        // one after a large one (the reused buffer keeps nothing).
        let small = pb::Http { status_code: 404, ..pb::Http::default() };
        for record in [pb::Http::default(), small.clone(), http, small] {
            assert_eq!(length_delimited(&record), record.encode_length_delimited_to_vec());
        }
        let big = pb::Http { url: "u".repeat(SCRATCH_KEEP + 1), ..pb::Http::default() };
        assert_eq!(length_delimited(&big), big.encode_length_delimited_to_vec());
        assert_eq!(length_delimited(&pb::Http::default()), vec![0]);
    }
}

//! HTTP/1.x over a reassembled TCP connection: one `HTTP` record per
//! request/response pair, on any port.
//!
//! Go Netcap lost about half of the transactions (it looked at single
//! packets on port 80); here each side's ordered bytes are framed as RFC
//! 9112 frames them: a head (start line, header lines, empty line), then a
//! body delimited by Content-Length, by chunked coding, or (responses only)
//! by the connection's close. Heads are parsed by `httparse`; this module
//! only finds where a head, a chunk-size line or a body ends.
//!
//! Requests wait in a FIFO for their responses (keep-alive and
//! pipelining); 1xx interim responses are noted and the final response
//! pairs with the oldest waiting request. A HEAD request's response and
//! 204/304 responses have no body; 101 Switching Protocols and a 2xx answer
//! to CONNECT end HTTP on the connection (what follows is another protocol
//! or a tunnel). A request that never gets a response and a response
//! without a request are written too, flagged `ResponseMissing` /
//! `RequestMissing`.
//!
//! Hostile or damaged streams: a head must start with a valid start line
//! (checked by `httparse` as soon as the line is complete); anything else
//! is dropped line by line until one appears, which is also how the
//! decoder finds its way back after a gap (missing segments) or after a
//! head larger than [`AppConfig::max_buffer`]. What a side holds (a head
//! spanning segments, the heads of requests waiting for their responses,
//! the head of the response whose body is being read) stays under
//! `max_buffer` plus a small constant; body bytes are counted, never kept.

use super::{AppConfig, AppEmitter, AppProtocol, CloseReason, ConnInfo, Detect, Side, StreamDecoder};
use crate::schema::pb;
use httparse::{Header, ParserConfig, Status, EMPTY_HEADER};
use std::cell::RefCell;
use std::collections::VecDeque;

pub static PROTOCOL: AppProtocol = AppProtocol { name: "HTTP", records: &["HTTP"], detect, new };

/// The record type this decoder writes.
const RECORD: &str = "HTTP";

/// Methods that make `detect` say yes (RFC 9110, WebDAV (RFC 4918, 3253,
/// 3648, 3744, 4791, 5323, 5842), UPnP/GENA, purge). The decoder itself
/// accepts any method token: detection is stricter so that other
/// text protocols are not taken for HTTP.
const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"TRACE",
    b"CONNECT",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
    b"NOTIFY",
    b"M-SEARCH",
    b"REPORT",
    b"MKACTIVITY",
    b"CHECKOUT",
    b"CHECKIN",
    b"UNCHECKOUT",
    b"MERGE",
    b"MKWORKSPACE",
    b"VERSION-CONTROL",
    b"BASELINE-CONTROL",
    b"MKCALENDAR",
    b"ACL",
    b"BIND",
    b"UNBIND",
    b"REBIND",
    b"ORDERPATCH",
    b"LABEL",
    b"UPDATE",
    b"LINK",
    b"UNLINK",
    b"PURGE",
    b"QUERY",
];

/// How a response starts on the wire.
const RESPONSE_START: &[u8] = b"HTTP/1.";

/// Below this many bytes a side that is still a prefix of a request or
/// response start lets `detect` wait for more; longer than every method
/// in [`METHODS`] plus its space.
const DETECT_BYTES: usize = 16;

/// Requests kept waiting for responses; a pipeline deeper than this
/// forces the oldest out (written as `ResponseMissing`, `Incomplete`).
const MAX_PENDING: usize = 32;

/// 1xx interim codes kept for one transaction (more are counted out).
const MAX_INTERIM: usize = 8;

/// Header slots tried first; a head with more lines is parsed again with
/// one slot per line (bounded by the head's size).
const HEADER_SLOTS: usize = 64;

/// A span buffer whose capacity grew past this is freed after use, so a
/// connection that once saw a huge head does not keep its memory.
const KEEP_CAPACITY: usize = 4096;

/// Whether the bytes at the start of one side are a message start, could
/// still become one, or cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartMatch {
    Yes,
    Prefix,
    No,
}

/// Whether `bytes` start a request: a method of [`METHODS`] and a space,
/// and, when the first line is complete, an HTTP/1 version at its end (so
/// that RTSP or SIP requests with the same methods are not taken).
fn request_start(bytes: &[u8]) -> StartMatch {
    let Some(space) = bytes.iter().position(|&b| b == b' ') else {
        let could_be = METHODS.iter().any(|m| m.starts_with(bytes));
        return if could_be { StartMatch::Prefix } else { StartMatch::No };
    };
    let method = bytes.get(..space).unwrap_or_default();
    if !METHODS.contains(&method) {
        return StartMatch::No;
    }
    match first_line(bytes) {
        Some(line) if !ends_with_http1_version(line) => StartMatch::No,
        _ => StartMatch::Yes,
    }
}

/// Whether `bytes` start a response ("HTTP/1.").
fn response_start(bytes: &[u8]) -> StartMatch {
    if bytes.starts_with(RESPONSE_START) {
        StartMatch::Yes
    } else if RESPONSE_START.starts_with(bytes) {
        StartMatch::Prefix
    } else {
        StartMatch::No
    }
}

/// The first line of `bytes` without its line ending, if it is complete.
fn first_line(bytes: &[u8]) -> Option<&[u8]> {
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    let line = bytes.get(..nl)?;
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

fn ends_with_http1_version(line: &[u8]) -> bool {
    line.len() >= 8 && line.get(line.len() - 8..line.len() - 1) == Some(RESPONSE_START)
}

/// `detect` of [`PROTOCOL`]: a request start on the client side or a
/// response start on the server side is HTTP; the same on the opposite
/// sides is HTTP picked up with the roles guessed wrong.
pub fn detect(client: &[u8], server: &[u8], _info: &ConnInfo) -> Detect {
    let straight = [request_start(client), response_start(server)];
    let swapped = [request_start(server), response_start(client)];
    if straight.contains(&StartMatch::Yes) {
        return Detect::Yes;
    }
    if swapped.contains(&StartMatch::Yes) {
        return Detect::YesSwapped;
    }
    let short = client.len() < DETECT_BYTES && server.len() < DETECT_BYTES;
    if short && (straight.contains(&StartMatch::Prefix) || swapped.contains(&StartMatch::Prefix)) {
        Detect::NeedMore
    } else {
        Detect::No
    }
}

fn new(info: &ConnInfo, cfg: &AppConfig) -> Box<dyn StreamDecoder> {
    Box::new(HttpDecoder::new(info, cfg))
}

/// Where a request's method changes the framing of its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MethodKind {
    /// HEAD: the response has no body whatever its headers say.
    Head,
    /// CONNECT: a 2xx response turns the connection into a tunnel.
    Connect,
    Other,
}

impl MethodKind {
    fn of(method: Option<&str>) -> MethodKind {
        match method {
            Some("HEAD") => MethodKind::Head,
            Some("CONNECT") => MethodKind::Connect,
            _ => MethodKind::Other,
        }
    }
}

/// How a message's body is delimited, from its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    None,
    Length(u64),
    Chunked,
    /// Until the server closes (responses only).
    UntilClose,
}

/// What one side's bytes are expected to be next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// A message head (or, while out of step, a line to look at).
    Head,
    /// Body bytes still to come of a Content-Length body.
    Length(u64),
    Chunked(Chunk),
    /// A response body that ends when the server closes.
    UntilClose,
    /// No more HTTP on this side (after 101 or a CONNECT tunnel, or FIN).
    Done,
}

/// Where a chunked body is (RFC 9112 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// The chunk-size line (with extensions).
    Size,
    /// Bytes left of the chunk's data.
    Data(u64),
    /// The CRLF after the data; whether its CR was seen.
    DataEnd { cr: bool },
    /// Trailer lines after the last chunk, up to an empty line.
    Trailers,
}

/// What the current line looks like so far, carried across segments so
/// that an empty line (the end of a head or of the trailers) is found
/// without rescanning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum LineSoFar {
    #[default]
    Nothing,
    /// Only a CR so far.
    Cr,
    Text,
}

impl LineSoFar {
    /// After `bytes` (none of them LF) were added to the line.
    fn add(self, bytes: &[u8]) -> LineSoFar {
        match (self, bytes) {
            (_, []) => self,
            (LineSoFar::Nothing, b"\r") => LineSoFar::Cr,
            _ => LineSoFar::Text,
        }
    }

    /// Whether the line is empty once `tail` (without its LF) is added.
    fn empty_with(self, tail: &[u8]) -> bool {
        self.add(tail) != LineSoFar::Text
    }
}

/// Header lines are a few dozen bytes: memchr's word-at-a-time search
/// still beat a byte loop (the stream shards' top entry on the benchmark).
fn find_newline(bytes: &[u8], from: usize) -> Option<usize> {
    let tail = bytes.get(from..)?;
    memchr::memchr(b'\n', tail).map(|i| from + i)
}

/// The framing state of one side.
#[derive(Debug)]
struct Reader {
    framing: Framing,
    /// Head or chunk-size-line bytes that span segments (the only bytes
    /// copied before parsing).
    span: Vec<u8>,
    line: LineSoFar,
    /// A head has started: its first byte was seen at `head_ts`, in frame `head_frame`.
    in_head: bool,
    head_ts: i64,
    head_frame: u64,
    /// Bytes of the head's first line once it was found valid; 0 before.
    first_line: usize,
    /// The last bytes ended inside an overlong line: skip to its end.
    skip_line: bool,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            framing: Framing::Head,
            span: Vec::new(),
            line: LineSoFar::Nothing,
            in_head: false,
            head_ts: 0,
            head_frame: 0,
            first_line: 0,
            skip_line: false,
        }
    }

    /// Forgets the head or line being collected.
    fn reset_head(&mut self) {
        self.in_head = false;
        self.first_line = 0;
        self.line = LineSoFar::Nothing;
        self.clear_span();
    }

    fn clear_span(&mut self) {
        if self.span.capacity() > KEEP_CAPACITY {
            self.span = Vec::new();
        } else {
            self.span.clear();
        }
    }

    /// Appends `bytes` to the span if it stays within `limit` bytes;
    /// capacity grows by doubling but never past the limit.
    fn append_within(&mut self, bytes: &[u8], limit: usize) -> bool {
        let needed = self.span.len().saturating_add(bytes.len());
        if needed > limit {
            return false;
        }
        if needed > self.span.capacity() {
            let target = self.span.capacity().saturating_mul(2).clamp(needed, limit.max(needed));
            self.span.reserve_exact(target - self.span.len());
        }
        self.span.extend_from_slice(bytes);
        true
    }
}

/// A request whose head was read, waiting for its response.
#[derive(Debug)]
struct Request {
    /// The head as sent, or only its first line when the rest was lost;
    /// kept raw so that what is held is exactly what counts against the
    /// budget, and parsed into the record once, when it is written.
    head: Vec<u8>,
    timestamp: i64,
    /// Frame number of the packet its first byte came in.
    frame: u64,
    method: MethodKind,
    body_len: i64,
    /// Its body is still being read from the client.
    body_open: bool,
    incomplete: bool,
    /// False for the stand-in of a request whose start was lost in a gap:
    /// its response pairs with it (and is written `RequestMissing`) rather
    /// than with the next request.
    seen: bool,
}

impl Request {
    fn unseen(timestamp: i64, frame: u64) -> Request {
        Request {
            head: Vec::new(),
            timestamp,
            frame,
            method: MethodKind::Other,
            body_len: 0,
            body_open: false,
            incomplete: true,
            seen: false,
        }
    }
}

/// The final response being read (its body), with the request it answers.
#[derive(Debug)]
struct Exchange {
    request: Option<Request>,
    /// The response head (or its first line when the rest was lost).
    head: Vec<u8>,
    timestamp: i64,
    /// Frame number of the packet its first byte came in.
    frame: u64,
    body_len: i64,
    incomplete: bool,
}

/// The decoder of one HTTP connection.
pub struct HttpDecoder {
    src_ip: String,
    dst_ip: String,
    src_port: i32,
    dst_port: i32,
    max_buffer: usize,
    client: Reader,
    server: Reader,
    /// Requests waiting for a response, oldest first.
    pending: VecDeque<Request>,
    /// Head bytes held in `pending`.
    pending_bytes: usize,
    /// Responses still owed to requests forced out of `pending`: they are
    /// written alone so that later responses pair with the right requests.
    owed: usize,
    /// 1xx codes since the last final response.
    interim: Vec<i32>,
    /// The response whose body is being read.
    current: Option<Exchange>,
    closed: bool,
    /// Frame number of the last packet whose bytes (or end) came in.
    last_frame: u64,
}

impl HttpDecoder {
    pub fn new(info: &ConnInfo, cfg: &AppConfig) -> HttpDecoder {
        HttpDecoder {
            src_ip: info.client_ip_string(),
            dst_ip: info.server_ip_string(),
            src_port: i32::from(info.client_port),
            dst_port: i32::from(info.server_port),
            max_buffer: cfg.max_buffer,
            client: Reader::new(),
            server: Reader::new(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            owed: 0,
            interim: Vec::new(),
            current: None,
            closed: false,
            last_frame: 0,
        }
    }

    fn reader(&mut self, side: Side) -> &mut Reader {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// Bytes of `side` held outside its span buffer.
    fn held_outside_span(&self, side: Side) -> usize {
        let current = self.current.as_ref();
        match side {
            Side::Client => {
                self.pending_bytes.saturating_add(current.and_then(|c| c.request.as_ref()).map_or(0, |r| r.head.len()))
            }
            Side::Server => current.map_or(0, |c| c.head.len()),
        }
    }

    /// Appends to a side's span buffer within the side's budget; for the
    /// client, waiting requests are forced out (oldest first) to make room.
    fn append_span(&mut self, side: Side, bytes: &[u8], out: &mut AppEmitter) -> bool {
        loop {
            let limit = self.max_buffer.saturating_sub(self.held_outside_span(side));
            if self.reader(side).append_within(bytes, limit) {
                return true;
            }
            if side == Side::Server || !self.force_out_oldest(out) {
                return false;
            }
        }
    }

    /// Writes the oldest waiting request as unanswered to free its room;
    /// false when none waits.
    fn force_out_oldest(&mut self, out: &mut AppEmitter) -> bool {
        let Some(mut request) = self.pop_pending() else { return false };
        request.incomplete = true;
        self.owed += 1;
        self.emit(out, Some(&request), None);
        true
    }

    fn pop_pending(&mut self) -> Option<Request> {
        let request = self.pending.pop_front()?;
        self.pending_bytes = self.pending_bytes.saturating_sub(request.head.len());
        Some(request)
    }

    /// Queues a request for its response; past [`MAX_PENDING`] the oldest
    /// is forced out.
    fn push_pending(&mut self, request: Request, out: &mut AppEmitter) {
        if self.pending.len() >= MAX_PENDING {
            self.force_out_oldest(out);
        }
        self.pending_bytes += request.head.len();
        self.pending.push_back(request);
    }

    /// Whether a head of `len` bytes may be kept by `side` (for the client,
    /// after forcing out waiting requests if needed).
    fn head_fits(&mut self, side: Side, len: usize, out: &mut AppEmitter) -> bool {
        loop {
            if self.held_outside_span(side).saturating_add(len) <= self.max_buffer {
                return true;
            }
            if side == Side::Server || !self.force_out_oldest(out) {
                return false;
            }
        }
    }

    // ----- bytes -----

    fn feed(&mut self, side: Side, timestamp: i64, bytes: &[u8], out: &mut AppEmitter) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let used = match self.reader(side).framing {
                Framing::Head => self.head_bytes(side, timestamp, rest, out),
                Framing::Length(left) => self.length_bytes(side, left, rest, out),
                Framing::Chunked(chunk) => self.chunked_bytes(side, chunk, rest, out),
                Framing::UntilClose => {
                    self.count_body(side, rest.len());
                    rest.len()
                }
                Framing::Done => rest.len(),
            };
            // Every step consumes at least one byte; `max(1)` makes the
            // loop's end certain even if one ever did not.
            rest = rest.get(used.max(1)..).unwrap_or_default();
        }
    }

    /// Bytes where a head is expected: skips blank lines before it, checks
    /// its first line, finds its end (an empty line), and copies only what
    /// spans segments. Returns the bytes consumed.
    fn head_bytes(&mut self, side: Side, timestamp: i64, rest: &[u8], out: &mut AppEmitter) -> usize {
        let reader = self.reader(side);
        if reader.skip_line {
            return match find_newline(rest, 0) {
                Some(nl) => {
                    reader.skip_line = false;
                    nl + 1
                }
                None => rest.len(),
            };
        }
        if !reader.in_head {
            let blank = rest.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
            if blank > 0 {
                return blank;
            }
            reader.in_head = true;
            reader.head_ts = timestamp;
            reader.head_frame = out.frame();
        }
        // The head started in an earlier segment when the span holds bytes;
        // otherwise it starts at `rest[0]`.
        let spanning = !reader.span.is_empty();
        // Bytes of `rest` already copied to the span (only when spanning).
        let mut copied = 0;
        let mut pos = 0;
        loop {
            let reader = self.reader(side);
            let Some(nl) = find_newline(rest, pos) else {
                reader.line = reader.line.add(rest.get(pos..).unwrap_or_default());
                if !self.append_span(side, rest.get(copied..).unwrap_or_default(), out) {
                    self.head_overflow(side, rest, spanning, out);
                    // The bytes ended inside a line, which is not a start.
                    self.reader(side).skip_line = true;
                }
                return rest.len();
            };
            let end = nl + 1;
            let empty = reader.line.empty_with(rest.get(pos..nl).unwrap_or_default());
            reader.line = LineSoFar::Nothing;
            pos = end;
            if reader.first_line == 0 {
                if spanning {
                    if !self.append_span(side, rest.get(copied..end).unwrap_or_default(), out) {
                        self.reader(side).reset_head();
                        return end;
                    }
                    copied = end;
                }
                match self.check_first_line(side, rest.get(..end).unwrap_or_default(), spanning) {
                    FirstLine::Valid => continue,
                    FirstLine::Invalid => return end,
                    FirstLine::StartsAt(start) => return start,
                }
            }
            if !empty {
                continue;
            }
            let fits = if spanning {
                self.append_span(side, rest.get(copied..end).unwrap_or_default(), out)
            } else {
                self.head_fits(side, end, out)
            };
            if fits {
                self.head_complete(side, rest.get(..end).unwrap_or_default(), spanning, out);
            } else {
                self.head_overflow(side, rest, spanning, out);
            }
            return end;
        }
    }

    /// Checks a head's first line (`line_here`, or the span when the head
    /// spans segments). An invalid line is dropped, or, when a start line
    /// begins inside it (a body of unknown length ran into the next head),
    /// only the bytes before that start are.
    fn check_first_line(&mut self, side: Side, line_here: &[u8], spanning: bool) -> FirstLine {
        let reader = self.reader(side);
        let line = if spanning { reader.span.as_slice() } else { line_here };
        if start_line_ok(side, line) {
            reader.first_line = line.len();
            return FirstLine::Valid;
        }
        match find_start_inside(side, line) {
            Some(start) if spanning => {
                reader.span.drain(..start);
                reader.first_line = reader.span.len();
                FirstLine::Valid
            }
            Some(start) => {
                reader.reset_head();
                FirstLine::StartsAt(start)
            }
            None => {
                reader.reset_head();
                FirstLine::Invalid
            }
        }
    }

    /// A whole head: `here`, or the span when it spans segments.
    fn head_complete(&mut self, side: Side, here: &[u8], spanning: bool, out: &mut AppEmitter) {
        let reader = self.reader(side);
        let timestamp = reader.head_ts;
        let span = std::mem::take(&mut reader.span);
        let head = if spanning { span.as_slice() } else { here };
        match side {
            Side::Client => self.request_head(head, timestamp, false, out),
            Side::Server => self.response_head(head, timestamp, false, out),
        }
        let reader = self.reader(side);
        reader.span = span;
        reader.reset_head();
    }

    /// A head too large for the budget: what is kept is its first line (the
    /// message, marked Incomplete); the rest is dropped.
    fn head_overflow(&mut self, side: Side, rest: &[u8], spanning: bool, out: &mut AppEmitter) {
        let reader = self.reader(side);
        let first = reader.first_line;
        let source = if spanning { reader.span.as_slice() } else { rest };
        let line = if first == 0 { None } else { source.get(..first).map(<[u8]>::to_vec) };
        let timestamp = reader.head_ts;
        reader.reset_head();
        if let Some(line) = line {
            self.truncated_head(side, line, timestamp, out);
        }
    }

    /// The head in progress when its side's bytes stop (gap, FIN, close):
    /// written from its first line if that was seen. Whether it was.
    fn cut_head(&mut self, side: Side, out: &mut AppEmitter) -> bool {
        let reader = self.reader(side);
        let line = match reader.first_line {
            0 => None,
            first => reader.span.get(..first).map(<[u8]>::to_vec),
        };
        let timestamp = reader.head_ts;
        reader.reset_head();
        reader.skip_line = false;
        match line {
            Some(line) => {
                self.truncated_head(side, line, timestamp, out);
                true
            }
            None => false,
        }
    }

    fn truncated_head(&mut self, side: Side, first_line: Vec<u8>, timestamp: i64, out: &mut AppEmitter) {
        let head = if self.head_fits(side, first_line.len(), out) { first_line } else { Vec::new() };
        match side {
            Side::Client => self.request_head(&head, timestamp, true, out),
            Side::Server => self.response_head(&head, timestamp, true, out),
        }
    }

    /// A request head (whole, or `truncated` to its first line): queued
    /// for its response; its body, if any, is read next.
    fn request_head(&mut self, head: &[u8], timestamp: i64, truncated: bool, out: &mut AppEmitter) {
        let (method, body, complete) =
            with_request(head, |req| (MethodKind::of(req.method), body_kind(req.headers, false), req.complete));
        let whole = complete && !truncated;
        let body = if whole { body } else { BodyKind::None };
        let mut request = Request {
            head: head.to_vec(),
            timestamp,
            frame: self.client.head_frame,
            method,
            body_len: 0,
            body_open: true,
            incomplete: !whole,
            seen: true,
        };
        self.client.framing = match body {
            BodyKind::Length(n) if n > 0 => Framing::Length(n),
            BodyKind::Chunked => Framing::Chunked(Chunk::Size),
            _ => {
                request.body_open = false;
                Framing::Head
            }
        };
        self.push_pending(request, out);
    }

    /// A response head (whole, or `truncated` to its first line): a 1xx is
    /// noted; a final one pairs with the oldest waiting request.
    fn response_head(&mut self, head: &[u8], timestamp: i64, truncated: bool, out: &mut AppEmitter) {
        let (code, body, complete) = with_response(head, |res| (res.code, body_kind(res.headers, true), res.complete));
        let code = code.unwrap_or(0);
        if (100..200).contains(&code) && code != 101 {
            if self.interim.len() < MAX_INTERIM {
                self.interim.push(i32::from(code));
            }
            return;
        }
        let owed = self.owed > 0;
        let request = if owed {
            self.owed -= 1;
            None
        } else {
            self.pop_pending()
        };
        let method = request.as_ref().map_or(MethodKind::Other, |r| r.method);
        let tunnel = code == 101 || (method == MethodKind::Connect && (200..300).contains(&code));
        let whole = complete && !truncated;
        let body = if tunnel || !whole || method == MethodKind::Head || code == 204 || code == 304 {
            BodyKind::None
        } else {
            body
        };
        let exchange = Exchange {
            request,
            head: head.to_vec(),
            timestamp,
            frame: self.server.head_frame,
            body_len: 0,
            incomplete: !whole || owed,
        };
        self.server.framing = match body {
            BodyKind::Length(n) if n > 0 => Framing::Length(n),
            BodyKind::Chunked => Framing::Chunked(Chunk::Size),
            BodyKind::UntilClose => Framing::UntilClose,
            _ => {
                self.finish(exchange, out);
                if tunnel {
                    self.start_tunnel(out);
                }
                return;
            }
        };
        self.current = Some(exchange);
    }

    /// After 101 Switching Protocols or a CONNECT tunnel: the rest of the
    /// connection is not HTTP, and waiting requests get no HTTP response.
    fn start_tunnel(&mut self, out: &mut AppEmitter) {
        for reader in [&mut self.client, &mut self.server] {
            reader.framing = Framing::Done;
            reader.reset_head();
        }
        self.flush_pending(out);
    }

    fn flush_pending(&mut self, out: &mut AppEmitter) {
        while let Some(request) = self.pop_pending() {
            self.emit(out, Some(&request), None);
        }
    }

    fn finish(&mut self, exchange: Exchange, out: &mut AppEmitter) {
        self.emit(out, exchange.request.as_ref(), Some(&exchange));
    }

    /// The request whose body the client is sending, if it is still held.
    fn body_request(&mut self) -> Option<&mut Request> {
        if self.pending.back().is_some_and(|r| r.body_open) {
            return self.pending.back_mut();
        }
        self.current.as_mut().and_then(|c| c.request.as_mut()).filter(|r| r.body_open)
    }

    fn count_body(&mut self, side: Side, len: usize) {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        match side {
            Side::Client => {
                if let Some(request) = self.body_request() {
                    request.body_len = request.body_len.saturating_add(len);
                }
            }
            Side::Server => {
                if let Some(exchange) = self.current.as_mut() {
                    exchange.body_len = exchange.body_len.saturating_add(len);
                }
            }
        }
    }

    fn mark_body_incomplete(&mut self, side: Side) {
        match side {
            Side::Client => {
                if let Some(request) = self.body_request() {
                    request.incomplete = true;
                }
            }
            Side::Server => {
                if let Some(exchange) = self.current.as_mut() {
                    exchange.incomplete = true;
                }
            }
        }
    }

    /// The body being read on `side` ended (or its end can no longer be
    /// found, `incomplete`): a response is written, a request waits on.
    fn body_done(&mut self, side: Side, incomplete: bool, out: &mut AppEmitter) {
        if incomplete {
            self.mark_body_incomplete(side);
        }
        match side {
            Side::Client => {
                if let Some(request) = self.body_request() {
                    request.body_open = false;
                }
            }
            Side::Server => {
                if let Some(exchange) = self.current.take() {
                    self.finish(exchange, out);
                }
            }
        }
        let reader = self.reader(side);
        reader.framing = Framing::Head;
        reader.line = LineSoFar::Nothing;
        reader.clear_span();
    }

    fn length_bytes(&mut self, side: Side, left: u64, rest: &[u8], out: &mut AppEmitter) -> usize {
        let take = usize::try_from(left).map_or(rest.len(), |left| left.min(rest.len()));
        self.count_body(side, take);
        let left = left.saturating_sub(take as u64);
        if left == 0 {
            self.body_done(side, false, out);
        } else {
            self.reader(side).framing = Framing::Length(left);
        }
        take
    }

    fn chunked_bytes(&mut self, side: Side, chunk: Chunk, rest: &[u8], out: &mut AppEmitter) -> usize {
        match chunk {
            Chunk::Size => self.chunk_size_bytes(side, rest, out),
            Chunk::Data(left) => {
                let take = usize::try_from(left).map_or(rest.len(), |left| left.min(rest.len()));
                self.count_body(side, take);
                let left = left.saturating_sub(take as u64);
                self.reader(side).framing =
                    Framing::Chunked(if left == 0 { Chunk::DataEnd { cr: false } } else { Chunk::Data(left) });
                take
            }
            Chunk::DataEnd { cr } => {
                match rest.first() {
                    Some(b'\n') => self.reader(side).framing = Framing::Chunked(Chunk::Size),
                    Some(b'\r') if !cr => self.reader(side).framing = Framing::Chunked(Chunk::DataEnd { cr: true }),
                    // Not the CRLF that must follow: the framing is lost (the
                    // byte is dropped with the rest until a head is found).
                    _ => self.body_done(side, true, out),
                }
                1
            }
            Chunk::Trailers => self.trailer_bytes(side, rest, out),
        }
    }

    /// A chunk-size line (parsed by httparse once whole; copied only when
    /// it spans segments).
    fn chunk_size_bytes(&mut self, side: Side, rest: &[u8], out: &mut AppEmitter) -> usize {
        let spanning = !self.reader(side).span.is_empty();
        let Some(nl) = find_newline(rest, 0) else {
            if !self.append_span(side, rest, out) {
                self.body_done(side, true, out);
            }
            return rest.len();
        };
        let end = nl + 1;
        let here = rest.get(..end).unwrap_or_default();
        if spanning && !self.append_span(side, here, out) {
            self.body_done(side, true, out);
            return end;
        }
        let reader = self.reader(side);
        let line = if spanning { reader.span.as_slice() } else { here };
        let size = httparse::parse_chunk_size(line);
        reader.clear_span();
        match size {
            Ok(Status::Complete((_, 0))) => reader.framing = Framing::Chunked(Chunk::Trailers),
            Ok(Status::Complete((_, n))) => reader.framing = Framing::Chunked(Chunk::Data(n)),
            // A line that is not a chunk size: the framing is lost.
            _ => self.body_done(side, true, out),
        }
        end
    }

    /// Trailer lines after the last chunk: skipped (not kept) up to the
    /// empty line that ends the message.
    fn trailer_bytes(&mut self, side: Side, rest: &[u8], out: &mut AppEmitter) -> usize {
        let mut pos = 0;
        loop {
            let reader = self.reader(side);
            let Some(nl) = find_newline(rest, pos) else {
                reader.line = reader.line.add(rest.get(pos..).unwrap_or_default());
                return rest.len();
            };
            let empty = reader.line.empty_with(rest.get(pos..nl).unwrap_or_default());
            reader.line = LineSoFar::Nothing;
            if empty {
                self.body_done(side, false, out);
                return nl + 1;
            }
            pos = nl + 1;
        }
    }

    // ----- gaps and ends -----

    /// `len` bytes of `side` were never seen.
    fn lost_bytes(&mut self, side: Side, timestamp: i64, len: u64, out: &mut AppEmitter) {
        match self.reader(side).framing {
            Framing::Head => {
                // A head cut by the gap is written from its first line;
                // without one, a message start was lost.
                if !self.cut_head(side, out) {
                    self.lost_message_start(side, timestamp, out);
                }
            }
            Framing::Length(left) if len < left => {
                self.reader(side).framing = Framing::Length(left - len);
                self.mark_body_incomplete(side);
            }
            Framing::Length(left) => {
                self.body_done(side, true, out);
                if len > left {
                    // The gap went on into the next message.
                    self.lost_message_start(side, timestamp, out);
                }
            }
            Framing::Chunked(Chunk::Data(left)) if len <= left => {
                let next = if len == left { Chunk::DataEnd { cr: false } } else { Chunk::Data(left - len) };
                self.reader(side).framing = Framing::Chunked(next);
                self.mark_body_incomplete(side);
            }
            // The chunk framing is lost: the body ends here, and the bytes
            // after the gap are searched for the next head.
            Framing::Chunked(_) => self.body_done(side, true, out),
            Framing::UntilClose => self.mark_body_incomplete(side),
            Framing::Done => {}
        }
    }

    /// A gap swallowed the start of a message, so the rest of it will not
    /// be recognised. Pairing stays in step: a lost request leaves a
    /// stand-in for its response to pair with; a lost response means the
    /// oldest waiting request will get none.
    fn lost_message_start(&mut self, side: Side, timestamp: i64, out: &mut AppEmitter) {
        match side {
            Side::Client => self.push_pending(Request::unseen(timestamp, out.frame()), out),
            Side::Server if self.owed > 0 => self.owed -= 1,
            Side::Server => {
                // The response is missing as a whole (ResponseMissing); the
                // request itself is as complete as it was.
                if let Some(request) = self.pop_pending() {
                    self.emit(out, Some(&request), None);
                }
            }
        }
    }

    /// No more bytes from `side`: a head or body in progress ends there. A
    /// response body delimited by the close is whole when
    /// `close_ends_body`.
    fn end_side(&mut self, side: Side, close_ends_body: bool, out: &mut AppEmitter) {
        match self.reader(side).framing {
            Framing::Head => {
                self.cut_head(side, out);
            }
            Framing::UntilClose => self.body_done(side, !close_ends_body, out),
            Framing::Length(_) | Framing::Chunked(_) => self.body_done(side, true, out),
            Framing::Done => {}
        }
        let reader = self.reader(side);
        reader.framing = Framing::Done;
        reader.reset_head();
        if side == Side::Server {
            // No response can come any more.
            self.flush_pending(out);
        }
    }

    // ----- records -----

    /// Writes one record: a request with its response, or either alone.
    fn emit(&mut self, out: &mut AppEmitter, request: Option<&Request>, response: Option<&Exchange>) {
        // A stand-in for a request lost in a gap is written as missing.
        let request = request.filter(|r| r.seen);
        if !out.wants(RECORD) || (request.is_none() && response.is_none()) {
            self.interim.clear();
            return;
        }
        SCRATCH.with_borrow_mut(|Scratch { record, spare }| {
            reset(record, spare);
            record.src_ip.push_str(&self.src_ip);
            record.dst_ip.push_str(&self.dst_ip);
            record.src_port = self.src_port;
            record.dst_port = self.dst_port;
            record.req_content_length = -1;
            record.res_content_length = -1;
            record.interim_status_codes.append(&mut self.interim);
            record.frame_number_first = match (request, response) {
                (Some(r), _) => r.frame,
                (None, Some(r)) => r.frame,
                (None, None) => 0,
            };
            record.frame_number_last = self.last_frame.max(record.frame_number_first);
            match request {
                Some(request) => {
                    record.timestamp = request.timestamp;
                    record.req_body_length = request.body_len;
                    record.incomplete |= request.incomplete;
                    with_request(&request.head, |req| fill_request(record, spare, req));
                }
                // A request lost in a gap is missing as a whole (RequestMissing);
                // Incomplete speaks of the messages the record holds.
                None => record.request_missing = true,
            }
            match response {
                Some(response) => {
                    if request.is_none() {
                        record.timestamp = response.timestamp;
                    }
                    record.response_timestamp = response.timestamp;
                    record.res_body_length = response.body_len;
                    record.incomplete |= response.incomplete;
                    with_response(&response.head, |res| fill_response(record, spare, res));
                }
                None => record.response_missing = true,
            }
            out.emit(RECORD, record);
        });
    }
}

/// The record of each stream-shard thread, reused from transaction to
/// transaction, and the header entries of the previous ones: a record
/// built afresh cost two allocations per header line and a free for each
/// (2 % of the benchmark's instructions).
#[derive(Default)]
struct Scratch {
    record: pb::Http,
    /// Header entries (name and value buffers) for the next records.
    spare: Vec<pb::HttpHeader>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Header entries kept in [`Scratch::spare`]: the most a head of usual
/// size has, so one huge head does not keep its buffers for good.
const SPARE_HEADERS: usize = 64;

/// Empties `record` for the next transaction, keeping its buffers; its
/// header entries go to `spare`. prost's `clear` resets every field of the
/// schema (strings and lists in place), so no field can carry a value over.
fn reset(record: &mut pb::Http, spare: &mut Vec<pb::HttpHeader>) {
    use prost::Message;
    for headers in [&mut record.request_header, &mut record.response_header] {
        let room = SPARE_HEADERS.saturating_sub(spare.len());
        spare.extend(headers.drain(..).take(room));
    }
    record.clear();
}

/// What the first line of a head turned out to be.
enum FirstLine {
    Valid,
    Invalid,
    /// Not a start line, but one begins at this offset of the bytes given.
    StartsAt(usize),
}

/// Start lines tried inside one invalid line: each try parses to the
/// line's end, so a line crafted with many candidates stays linear.
const MAX_START_TRIES: usize = 4;

/// Where a valid start line begins inside `line` (not at 0): at "HTTP/1."
/// for a response, at a method of [`METHODS`] and a space for a request.
/// A body of unknown length is searched here, so both look for rare bytes
/// with memchr instead of visiting every position: "HTTP/1." as a whole,
/// and spaces after an uppercase letter (every method ends in one).
fn find_start_inside(side: Side, line: &[u8]) -> Option<usize> {
    let valid_at = |at: &usize| start_line_ok(side, line.get(*at..).unwrap_or_default());
    match side {
        Side::Server => response_start_finder()
            .find_iter(line.get(1..).unwrap_or_default())
            .map(|at| at + 1)
            .take(MAX_START_TRIES)
            .find(valid_at),
        Side::Client => memchr::memchr_iter(b' ', line)
            .filter(|&space| space > 1 && line.get(space - 1).is_some_and(u8::is_ascii_uppercase))
            .flat_map(|space| methods_ending_at(line, space))
            .take(MAX_START_TRIES)
            .find(valid_at),
    }
}

/// A searcher for [`RESPONSE_START`], built once: building one per call
/// cost more than the search in the usual short line.
fn response_start_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new(RESPONSE_START))
}

/// Where a method that ends right before `line[space]` starts (not at 0),
/// nearest the line's start first ("UNLOCK" before "LOCK"), so that the
/// candidates of successive spaces come in increasing order (a method
/// holds no space).
fn methods_ending_at(line: &[u8], space: usize) -> Vec<usize> {
    let mut starts: Vec<usize> = METHODS
        .iter()
        .filter_map(|m| space.checked_sub(m.len()).filter(|&at| at >= 1 && line.get(at..space) == Some(*m)))
        .collect();
    starts.sort_unstable();
    starts
}

/// Whether `line` (with its line ending) is a valid request line (client)
/// or status line (server), as httparse sees it.
fn start_line_ok(side: Side, line: &[u8]) -> bool {
    let mut headers = [EMPTY_HEADER; 1];
    let result = match side {
        Side::Client => parser_config().parse_request(&mut httparse::Request::new(&mut headers), line),
        Side::Server => parser_config().parse_response(&mut httparse::Response::new(&mut headers), line),
    };
    // A valid start line alone leaves httparse waiting for the headers.
    result.is_ok()
}

/// Lenient where real servers and clients are sloppy, so that their
/// transactions are not lost: repeated spaces in start lines, invalid
/// header lines skipped, obsolete folding and spaces before the colon in
/// responses.
fn parser_config() -> ParserConfig {
    let mut config = ParserConfig::default();
    config
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .ignore_invalid_headers_in_requests(true)
        .ignore_invalid_headers_in_responses(true);
    config
}

/// Bytes of one line per header slot are enough: a header takes a line.
fn line_count(head: &[u8]) -> usize {
    head.iter().filter(|&&b| b == b'\n').count() + 1
}

/// What httparse made of a request head; `headers` is empty unless the
/// head parsed `complete` (a head cut short keeps its start line).
struct RequestView<'r, 'b> {
    method: Option<&'b str>,
    path: Option<&'b str>,
    version: Option<u8>,
    headers: &'r [Header<'b>],
    complete: bool,
}

/// What httparse made of a response head (see [`RequestView`]).
struct ResponseView<'r, 'b> {
    version: Option<u8>,
    code: Option<u16>,
    reason: Option<&'b str>,
    headers: &'r [Header<'b>],
    complete: bool,
}

fn is_complete(result: &httparse::Result<usize>) -> bool {
    matches!(result, Ok(Status::Complete(_)))
}

/// Parses a request head into header slots on the stack, or, for a head
/// with more header lines than [`HEADER_SLOTS`], into one slot per line.
fn with_request<R>(head: &[u8], f: impl FnOnce(&RequestView<'_, '_>) -> R) -> R {
    fn view<'r, 'b>(req: &'r httparse::Request<'_, 'b>, result: &httparse::Result<usize>) -> RequestView<'r, 'b> {
        let complete = is_complete(result);
        RequestView {
            method: req.method,
            path: req.path,
            version: req.version,
            headers: if complete { &*req.headers } else { &[] },
            complete,
        }
    }
    let mut slots = [EMPTY_HEADER; HEADER_SLOTS];
    let mut req = httparse::Request::new(&mut slots);
    let result = parser_config().parse_request(&mut req, head);
    if matches!(result, Err(httparse::Error::TooManyHeaders)) {
        let mut many = vec![EMPTY_HEADER; line_count(head)];
        let mut req = httparse::Request::new(&mut many);
        let result = parser_config().parse_request(&mut req, head);
        return f(&view(&req, &result));
    }
    f(&view(&req, &result))
}

/// Parses a response head as [`with_request`] parses a request head.
fn with_response<R>(head: &[u8], f: impl FnOnce(&ResponseView<'_, '_>) -> R) -> R {
    fn view<'r, 'b>(res: &'r httparse::Response<'_, 'b>, result: &httparse::Result<usize>) -> ResponseView<'r, 'b> {
        let complete = is_complete(result);
        ResponseView {
            version: res.version,
            code: res.code,
            reason: res.reason,
            headers: if complete { &*res.headers } else { &[] },
            complete,
        }
    }
    let mut slots = [EMPTY_HEADER; HEADER_SLOTS];
    let mut res = httparse::Response::new(&mut slots);
    let result = parser_config().parse_response(&mut res, head);
    if matches!(result, Err(httparse::Error::TooManyHeaders)) {
        let mut many = vec![EMPTY_HEADER; line_count(head)];
        let mut res = httparse::Response::new(&mut many);
        let result = parser_config().parse_response(&mut res, head);
        return f(&view(&res, &result));
    }
    f(&view(&res, &result))
}

fn version_text(version: Option<u8>) -> &'static str {
    match version {
        Some(0) => "HTTP/1.0",
        Some(1) => "HTTP/1.1",
        _ => "",
    }
}

/// Appends a header value as text: not all senders keep to ASCII, and a
/// record field must be valid UTF-8 (invalid bytes become U+FFFD).
fn push_header_text(out: &mut String, value: &[u8]) {
    match std::str::from_utf8(value) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(value)),
    }
}

/// A header entry for `header`, made from a spare one when there is one.
fn header_entry(spare: &mut Vec<pb::HttpHeader>, header: &Header) -> pb::HttpHeader {
    let mut entry = spare.pop().unwrap_or_default();
    entry.name.clear();
    entry.name.push_str(header.name);
    entry.value.clear();
    push_header_text(&mut entry.value, header.value);
    entry
}

fn is_named(header: &Header, name: &str) -> bool {
    header.name.eq_ignore_ascii_case(name)
}

/// Sets `field` from the first header that has a value for it.
fn set_once(field: &mut String, value: &str) {
    if field.is_empty() {
        value.clone_into(field);
    }
}

fn fill_request(record: &mut pb::Http, spare: &mut Vec<pb::HttpHeader>, req: &RequestView) {
    record.method.push_str(req.method.unwrap_or_default());
    record.url.push_str(req.path.unwrap_or_default());
    record.proto.push_str(version_text(req.version));
    for header in req.headers {
        let entry = header_entry(spare, header);
        let value = entry.value.as_str();
        if is_named(header, "host") {
            set_once(&mut record.host, value);
        } else if is_named(header, "user-agent") {
            set_once(&mut record.user_agent, value);
        } else if is_named(header, "referer") {
            set_once(&mut record.referer, value);
        } else if is_named(header, "content-type") {
            set_once(&mut record.req_content_type, value);
        } else if is_named(header, "cookie") {
            add_cookies(&mut record.req_cookies, value);
        }
        record.request_header.push(entry);
    }
    record.req_content_length = content_length_field(req.headers);
}

fn fill_response(record: &mut pb::Http, spare: &mut Vec<pb::HttpHeader>, res: &ResponseView) {
    record.status_code = res.code.map_or(0, i32::from);
    record.status_text.push_str(res.reason.unwrap_or_default());
    record.res_proto.push_str(version_text(res.version));
    for header in res.headers {
        let entry = header_entry(spare, header);
        let value = entry.value.as_str();
        if is_named(header, "server") {
            set_once(&mut record.server_name, value);
        } else if is_named(header, "content-type") {
            set_once(&mut record.content_type, value);
        }
        record.response_header.push(entry);
    }
    record.res_content_length = content_length_field(res.headers);
}

/// Cookie pairs: split on ';', then name and value on the first '='; a
/// pair without '=' is a name with an empty value.
fn add_cookies(cookies: &mut Vec<pb::HttpCookie>, value: &str) {
    for pair in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        cookies.push(pb::HttpCookie { name: name.trim().to_owned(), value: value.trim().to_owned() });
    }
}

/// The Content-Length of a message: `Ok(None)` without one, `Err` when
/// a value is not a decimal number or two values differ (RFC 9112 6.3:
/// the length is then unknown). Repeated equal values ("5, 5") are one.
fn content_length(headers: &[Header]) -> Result<Option<u64>, ()> {
    let mut length = None;
    for header in headers.iter().filter(|h| is_named(h, "content-length")) {
        for part in header.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
            let n = decimal(part).ok_or(())?;
            if length.is_some_and(|l| l != n) {
                return Err(());
            }
            length = Some(n);
        }
    }
    Ok(length)
}

/// The record's form of Content-Length: -1 when absent or invalid.
fn content_length_field(headers: &[Header]) -> i64 {
    match content_length(headers) {
        Ok(Some(n)) => i64::try_from(n).unwrap_or(-1),
        _ => -1,
    }
}

fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// How a message's body is delimited (RFC 9112 6.3): Transfer-Encoding
/// with chunked last is chunked; any other Transfer-Encoding, a missing or
/// invalid Content-Length make a response last until the close and a
/// request have no body. (HEAD, 1xx, 204 and 304 are the caller's.)
fn body_kind(headers: &[Header], response: bool) -> BodyKind {
    let mut coded = false;
    let mut last_coding: &[u8] = b"";
    for header in headers.iter().filter(|h| is_named(h, "transfer-encoding")) {
        coded = true;
        for coding in header.value.split(|&b| b == b',').map(<[u8]>::trim_ascii).filter(|c| !c.is_empty()) {
            last_coding = coding;
        }
    }
    let unknown = if response { BodyKind::UntilClose } else { BodyKind::None };
    if coded {
        return if last_coding.eq_ignore_ascii_case(b"chunked") { BodyKind::Chunked } else { unknown };
    }
    match content_length(headers) {
        Ok(Some(n)) => BodyKind::Length(n),
        _ => unknown,
    }
}

impl StreamDecoder for HttpDecoder {
    fn data(&mut self, side: Side, timestamp: i64, bytes: &[u8], out: &mut AppEmitter) {
        self.last_frame = self.last_frame.max(out.frame());
        if !self.closed {
            self.feed(side, timestamp, bytes, out);
        }
    }

    fn gap(&mut self, side: Side, timestamp: i64, len: u64, out: &mut AppEmitter) {
        if !self.closed && len > 0 {
            self.lost_bytes(side, timestamp, len, out);
        }
    }

    fn end(&mut self, side: Side, _timestamp: i64, out: &mut AppEmitter) {
        self.last_frame = self.last_frame.max(out.frame());
        if !self.closed {
            self.end_side(side, true, out);
        }
    }

    /// Writes what is still pending. A response delimited by the close is
    /// whole when an end closed the connection (FIN or RST), Incomplete
    /// when the capture, a timeout or the memory budget ended it.
    fn close(&mut self, reason: CloseReason, _timestamp: i64, out: &mut AppEmitter) {
        if self.closed {
            return;
        }
        let ended_by_peer = matches!(reason, CloseReason::Fin | CloseReason::Reset);
        self.end_side(Side::Server, ended_by_peer, out);
        self.end_side(Side::Client, ended_by_peer, out);
        self.flush_pending(out);
        self.closed = true;
    }
}

impl HttpDecoder {
    /// Bytes `side` holds now (the head or line spanning segments, the
    /// heads of waiting requests, the head of the response being read):
    /// at most `max_buffer`. For the tests and the fuzz target to check.
    pub fn held_bytes(&self, side: Side) -> usize {
        let span = match side {
            Side::Client => self.client.span.len(),
            Side::Server => self.server.span.len(),
        };
        span + self.held_outside_span(side)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppOutput;
    use prost::Message;

    const SELECTED: &[&str] = &["HTTP"];

    #[test]
    fn start_lines_are_found_inside_a_body_of_unknown_length() {
        // find_start_inside looks only at spaces after an uppercase letter,
        // and takes a method's candidates in order of where they start.
        assert!(METHODS.iter().all(|m| m.last().is_some_and(u8::is_ascii_uppercase) && !m.contains(&b' ')));
        let line = b"\x00\x01body bytes of unknown length GET /next HTTP/1.1\r\n";
        assert_eq!(find_start_inside(Side::Client, line), Some(31));
        assert_eq!(find_start_inside(Side::Server, b"xyzHTTP/1.1 200 OK\r\n"), Some(3));
        assert_eq!(find_start_inside(Side::Server, b"HTTP/1.1 200 OK\r\n"), None, "not at 0");
        assert_eq!(find_start_inside(Side::Client, b"get / HTTP/1.1\r\n"), None);
        assert_eq!(find_start_inside(Side::Client, b"GET / HTTP/1.1\r\n"), None, "not at 0");
        // "UNLOCK " holds "LOCK ": the earlier start comes first.
        assert_eq!(methods_ending_at(b"xxUNLOCK /", 8), vec![2, 4]);
        assert_eq!(find_start_inside(Side::Client, b"xxUNLOCK /a HTTP/1.1\r\n"), Some(2));
        // Candidates that are not start lines are passed over (at most
        // MAX_START_TRIES of them).
        assert_eq!(find_start_inside(Side::Client, b"a GET x PUT /b HTTP/1.1\r\n"), Some(8));
        assert_eq!(find_start_inside(Side::Client, b"a GET x GET x GET x GET x PUT /b HTTP/1.1\r\n"), None);
    }

    #[test]
    fn a_reset_record_is_empty_and_keeps_its_header_entries() {
        let header = |n: &str, v: &str| pb::HttpHeader { name: n.into(), value: v.into() };
        let mut record = pb::Http {
            timestamp: 1,
            proto: "HTTP/1.1".into(),
            method: "GET".into(),
            host: "h".into(),
            user_agent: "u".into(),
            referer: "r".into(),
            req_cookies: vec![pb::HttpCookie { name: "a".into(), value: "b".into() }],
            req_content_length: 2,
            url: "/".into(),
            res_content_length: 3,
            content_type: "text/html".into(),
            status_code: 200,
            src_ip: "10.0.0.1".into(),
            dst_ip: "10.0.0.2".into(),
            src_port: 4,
            dst_port: 80,
            response_timestamp: 5,
            server_name: "s".into(),
            request_header: vec![header("Host", "h"), header("Cookie", "a=b")],
            response_header: vec![header("Server", "s")],
            status_text: "OK".into(),
            res_proto: "HTTP/1.0".into(),
            req_body_length: 6,
            res_body_length: 7,
            req_content_type: "text/plain".into(),
            interim_status_codes: vec![100],
            request_missing: true,
            response_missing: true,
            incomplete: true,
            frame_number_first: 8,
            frame_number_last: 9,
        };
        let mut spare = Vec::new();
        reset(&mut record, &mut spare);
        assert_eq!(record, pb::Http::default());
        assert_eq!(spare.len(), 3);
        // A reused entry holds the new header only.
        let reused = header_entry(&mut spare, &Header { name: "X", value: b"\xffy" });
        assert_eq!((reused.name.as_str(), reused.value.as_str()), ("X", "\u{fffd}y"));
        // Spares stay bounded whatever the heads held.
        record.request_header = (0..1000).map(|i| header("N", &i.to_string())).collect();
        reset(&mut record, &mut spare);
        assert_eq!(spare.len(), SPARE_HEADERS);
    }

    fn info() -> ConnInfo {
        let mut client_ip = [0u8; 16];
        client_ip[..4].copy_from_slice(&[192, 0, 2, 1]);
        let mut server_ip = [0u8; 16];
        server_ip[..4].copy_from_slice(&[198, 51, 100, 7]);
        ConnInfo {
            ip_version: 4,
            client_ip,
            server_ip,
            client_port: 40123,
            server_port: 8080,
            saw_syn: true,
            macs: None,
        }
    }

    /// A decoder driven through the `StreamDecoder` trait, with what it wrote.
    struct Conn {
        decoder: HttpDecoder,
        out: Vec<AppOutput>,
    }

    impl Conn {
        fn new() -> Conn {
            Conn::with_buffer(AppConfig::default().max_buffer)
        }

        fn with_buffer(max_buffer: usize) -> Conn {
            Conn { decoder: HttpDecoder::new(&info(), &AppConfig { max_buffer }), out: Vec::new() }
        }

        fn decoder(&mut self) -> (&mut dyn StreamDecoder, AppEmitter<'_>) {
            (&mut self.decoder, AppEmitter::new(SELECTED, &mut self.out))
        }

        fn client(&mut self, ts: i64, bytes: &[u8]) -> &mut Conn {
            let (d, mut e) = self.decoder();
            d.data(Side::Client, ts, bytes, &mut e);
            self
        }

        fn server(&mut self, ts: i64, bytes: &[u8]) -> &mut Conn {
            let (d, mut e) = self.decoder();
            d.data(Side::Server, ts, bytes, &mut e);
            self
        }

        /// Feeds `bytes` one byte per call.
        fn bytewise(&mut self, side: Side, ts: i64, bytes: &[u8]) -> &mut Conn {
            for b in bytes {
                let (d, mut e) = self.decoder();
                d.data(side, ts, std::slice::from_ref(b), &mut e);
            }
            self
        }

        fn gap(&mut self, side: Side, ts: i64, len: u64) -> &mut Conn {
            let (d, mut e) = self.decoder();
            d.gap(side, ts, len, &mut e);
            self
        }

        fn end(&mut self, side: Side, ts: i64) -> &mut Conn {
            let (d, mut e) = self.decoder();
            d.end(side, ts, &mut e);
            self
        }

        fn close(&mut self, reason: CloseReason, ts: i64) -> &mut Conn {
            let (d, mut e) = self.decoder();
            d.close(reason, ts, &mut e);
            self
        }

        /// The records written so far, decoded back.
        fn records(&self) -> Vec<pb::Http> {
            self.out
                .iter()
                .filter_map(AppOutput::record)
                .map(|(i, bytes)| {
                    assert_eq!(i, 0);
                    pb::Http::decode_length_delimited(bytes).expect("a valid HTTP record")
                })
                .collect()
        }
    }

    fn header(name: &str, value: &str) -> pb::HttpHeader {
        pb::HttpHeader { name: name.to_owned(), value: value.to_owned() }
    }

    fn get(path: &str) -> Vec<u8> {
        format!("GET {path} HTTP/1.1\r\nHost: example.com\r\n\r\n").into_bytes()
    }

    fn ok(body: &str) -> Vec<u8> {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    fn urls(records: &[pb::Http]) -> Vec<&str> {
        records.iter().map(|r| r.url.as_str()).collect()
    }

    #[test]
    fn simple_get_and_200() {
        let mut c = Conn::new();
        c.client(
            1_000,
            b"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\n\
              Referer: http://example.com/\r\nCookie: a=1; b=x=y; flag\r\nAccept: */*\r\n\r\n",
        );
        assert!(c.records().is_empty(), "nothing before the response");
        c.server(
            2_000,
            b"HTTP/1.1 200 OK\r\nServer: nginx/1.25\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello",
        );
        let r = c.records();
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(r.timestamp, 1_000);
        assert_eq!(r.response_timestamp, 2_000);
        assert_eq!((r.method.as_str(), r.url.as_str(), r.proto.as_str()), ("GET", "/index.html?q=1", "HTTP/1.1"));
        assert_eq!((r.host.as_str(), r.user_agent.as_str()), ("example.com", "curl/8.5.0"));
        assert_eq!(r.referer, "http://example.com/");
        let cookies: Vec<(&str, &str)> = r.req_cookies.iter().map(|c| (c.name.as_str(), c.value.as_str())).collect();
        assert_eq!(cookies, [("a", "1"), ("b", "x=y"), ("flag", "")]);
        assert_eq!(r.req_content_length, -1);
        assert_eq!(r.req_body_length, 0);
        assert_eq!((r.status_code, r.status_text.as_str(), r.res_proto.as_str()), (200, "OK", "HTTP/1.1"));
        assert_eq!((r.server_name.as_str(), r.content_type.as_str()), ("nginx/1.25", "text/html"));
        assert_eq!((r.res_content_length, r.res_body_length), (5, 5));
        assert_eq!((r.src_ip.as_str(), r.dst_ip.as_str()), ("192.0.2.1", "198.51.100.7"));
        assert_eq!((r.src_port, r.dst_port), (40123, 8080));
        assert_eq!(r.request_header.len(), 5);
        assert_eq!(r.request_header[4], header("Accept", "*/*"));
        assert_eq!(
            r.response_header,
            [header("Server", "nginx/1.25"), header("Content-Type", "text/html"), header("Content-Length", "5")]
        );
        assert!(!r.request_missing && !r.response_missing && !r.incomplete);
        assert!(r.interim_status_codes.is_empty());
        c.close(CloseReason::Fin, 3_000);
        assert_eq!(c.records().len(), 1, "close adds nothing");
    }

    #[test]
    fn keep_alive_three_pairs() {
        let mut c = Conn::new();
        for (i, path) in ["/a", "/b", "/c"].iter().enumerate() {
            let t = (i as i64 + 1) * 100;
            c.client(t, &get(path)).server(t + 10, &ok(&"x".repeat(i + 1)));
        }
        c.close(CloseReason::Fin, 1_000);
        let r = c.records();
        assert_eq!(urls(&r), ["/a", "/b", "/c"]);
        assert_eq!(r.iter().map(|r| r.res_body_length).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(
            r.iter().map(|r| (r.timestamp, r.response_timestamp)).collect::<Vec<_>>(),
            [(100, 110), (200, 210), (300, 310)]
        );
        assert!(r.iter().all(|r| !r.incomplete && !r.request_missing && !r.response_missing));
    }

    #[test]
    fn pipelined_requests_pair_in_order() {
        let mut c = Conn::new();
        let mut requests = get("/1");
        requests.extend(get("/2"));
        requests.extend(get("/3"));
        c.client(10, &requests);
        c.server(20, b"HTTP/1.1 200 one\r\nContent-Length: 1\r\n\r\nA");
        c.server(30, b"HTTP/1.1 404 two\r\nContent-Length: 2\r\n\r\nBBHTTP/1.1 500 three\r\nContent-Length: 0\r\n\r\n");
        let r = c.records();
        assert_eq!(urls(&r), ["/1", "/2", "/3"]);
        assert_eq!(
            r.iter().map(|r| (r.status_code, r.status_text.as_str())).collect::<Vec<_>>(),
            [(200, "one"), (404, "two"), (500, "three")]
        );
        assert_eq!(r.iter().map(|r| r.response_timestamp).collect::<Vec<_>>(), [20, 30, 30]);
        assert!(r.iter().all(|r| r.timestamp == 10));
    }

    #[test]
    fn pipeline_deeper_than_the_limit_keeps_pairs_in_step() {
        let mut c = Conn::new();
        let n = MAX_PENDING + 8;
        for i in 0..n {
            c.client(i as i64, &get(&format!("/{i}")));
        }
        let forced = c.records();
        assert_eq!(urls(&forced), (0..8).map(|i| format!("/{i}")).collect::<Vec<_>>());
        assert!(forced.iter().all(|r| r.response_missing && r.incomplete));
        for i in 0..n {
            c.server(1_000 + i as i64, format!("HTTP/1.1 200 R{i}\r\nContent-Length: 0\r\n\r\n").as_bytes());
        }
        let r = c.records();
        assert_eq!(r.len(), 8 + n);
        // The responses of the forced-out requests are written alone ...
        for (i, rec) in r[8..16].iter().enumerate() {
            assert!(rec.request_missing && rec.incomplete);
            assert_eq!(rec.status_text, format!("R{i}"));
        }
        // ... so that the later ones still pair with their requests.
        for rec in &r[16..] {
            assert_eq!(rec.url[1..], rec.status_text[1..]);
            assert!(!rec.incomplete && !rec.request_missing);
        }
    }

    #[test]
    fn chunked_response_bytewise_with_extensions_and_trailers() {
        let mut c = Conn::new();
        c.client(1, &get("/chunked"));
        let response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Type: text/plain\r\n\r\n\
            5;name=value;quoted=\"a;b\"\r\nhello\r\n\
            1A\r\nabcdefghijklmnopqrstuvwxyz\r\n\
            0;last\r\nExpires: never\r\nX-Checksum: 1234\r\n\r\n";
        c.bytewise(Side::Server, 2, response);
        c.client(3, &get("/next")).server(4, &ok("12"));
        let r = c.records();
        assert_eq!(urls(&r), ["/chunked", "/next"]);
        assert_eq!(r[0].res_body_length, 5 + 26);
        assert_eq!(r[0].res_content_length, -1);
        assert_eq!(r[0].content_type, "text/plain");
        assert!(!r[0].incomplete);
        assert_eq!(r[1].res_body_length, 2);
        assert_eq!(c.decoder.held_bytes(Side::Server), 0);
    }

    #[test]
    fn chunked_request_body() {
        let mut c = Conn::new();
        c.client(1, b"POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        c.server(2, &ok(""));
        let r = c.records();
        assert_eq!((r[0].method.as_str(), r[0].req_body_length, r[0].req_content_length), ("POST", 3, -1));
    }

    #[test]
    fn content_length_bodies_across_segments() {
        let mut c = Conn::new();
        c.client(1, b"POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n");
        c.client(2, b"Content-Length: 11\r\n\r\nname=");
        c.client(3, b"value");
        c.client(4, b"!");
        c.server(5, b"HTTP/1.1 201 Created\r\nContent-Len").server(6, b"gth: 10\r\n\r\n0123").server(7, b"456789");
        let r = c.records();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].timestamp, 1);
        assert_eq!(r[0].response_timestamp, 5);
        assert_eq!((r[0].req_content_length, r[0].req_body_length), (11, 11));
        assert_eq!(r[0].req_content_type, "application/x-www-form-urlencoded");
        assert_eq!((r[0].status_code, r[0].res_content_length, r[0].res_body_length), (201, 10, 10));
        assert!(!r[0].incomplete);
    }

    #[test]
    fn head_response_has_no_body() {
        let mut c = Conn::new();
        c.client(1, b"HEAD /big HTTP/1.1\r\nHost: h\r\n\r\n");
        c.server(2, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        c.client(3, &get("/after")).server(4, &ok("abc"));
        let r = c.records();
        assert_eq!(urls(&r), ["/big", "/after"]);
        assert_eq!((r[0].method.as_str(), r[0].res_content_length, r[0].res_body_length), ("HEAD", 1000, 0));
        assert_eq!((r[1].status_code, r[1].res_body_length), (200, 3));
    }

    #[test]
    fn continue_then_final_response() {
        let mut c = Conn::new();
        c.client(1, b"PUT /file HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        c.server(2, b"HTTP/1.1 100 Continue\r\n\r\n");
        c.client(3, b"data");
        c.server(4, b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
        let r = c.records();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].interim_status_codes, [100, 102]);
        assert_eq!((r[0].status_code, r[0].response_timestamp), (204, 4));
        assert_eq!(r[0].req_body_length, 4);
    }

    #[test]
    fn not_modified_and_no_content_have_no_body() {
        let mut c = Conn::new();
        c.client(1, &get("/304")).server(2, b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n");
        c.client(3, &get("/204")).server(4, b"HTTP/1.1 204 No Content\r\n\r\n");
        c.client(5, &get("/200")).server(6, &ok("ok"));
        let r = c.records();
        assert_eq!(urls(&r), ["/304", "/204", "/200"]);
        assert_eq!(
            r.iter().map(|r| (r.status_code, r.res_body_length)).collect::<Vec<_>>(),
            [(304, 0), (204, 0), (200, 2)]
        );
        assert_eq!(r[0].res_content_length, 50);
    }

    #[test]
    fn response_without_length_ends_at_fin() {
        let mut c = Conn::new();
        c.client(1, b"GET /old HTTP/1.0\r\n\r\n");
        c.server(2, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ").server(3, b"text");
        assert!(c.records().is_empty(), "the body goes on until the server closes");
        c.end(Side::Server, 4);
        let r = c.records();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].proto.as_str(), r[0].res_proto.as_str()), ("HTTP/1.0", "HTTP/1.0"));
        assert_eq!((r[0].res_content_length, r[0].res_body_length), (-1, 9));
        assert!(!r[0].incomplete);
        c.close(CloseReason::Fin, 5);
        assert_eq!(c.records().len(), 1);
    }

    #[test]
    fn response_without_length_cut_by_end_of_capture_is_incomplete() {
        let mut c = Conn::new();
        c.client(1, &get("/")).server(2, b"HTTP/1.1 200 OK\r\n\r\nabc");
        c.close(CloseReason::EndOfInput, 3);
        let r = c.records();
        assert_eq!((r.len(), r[0].res_body_length, r[0].incomplete), (1, 3, true));
    }

    #[test]
    fn request_without_response_is_written_at_close() {
        let mut c = Conn::new();
        c.client(7, &get("/lonely"));
        assert!(c.records().is_empty());
        c.close(CloseReason::Timeout, 9);
        let r = c.records();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].url.as_str(), r[0].timestamp, r[0].response_timestamp), ("/lonely", 7, 0));
        assert!(r[0].response_missing && !r[0].request_missing && !r[0].incomplete);
        assert_eq!(r[0].status_code, 0);
    }

    #[test]
    fn response_without_request_is_written_when_it_ends() {
        let mut c = Conn::new();
        c.server(5, &ok("orphan"));
        let r = c.records();
        assert_eq!(r.len(), 1, "written at once: no request can come before it");
        assert!(r[0].request_missing && !r[0].response_missing);
        assert_eq!((r[0].timestamp, r[0].response_timestamp), (5, 5));
        assert_eq!((r[0].method.as_str(), r[0].status_code, r[0].res_body_length), ("", 200, 6));
        c.client(6, &get("/then")).server(7, &ok(""));
        assert_eq!(urls(&c.records()), ["", "/then"]);
    }

    #[test]
    fn gap_inside_a_body_shortens_it() {
        let mut c = Conn::new();
        c.client(1, &get("/gap"));
        c.server(2, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n012");
        c.gap(Side::Server, 3, 4);
        c.server(3, b"789");
        c.client(4, &get("/after")).server(5, &ok("x"));
        let r = c.records();
        assert_eq!(urls(&r), ["/gap", "/after"]);
        assert_eq!((r[0].res_body_length, r[0].incomplete), (6, true));
        assert_eq!((r[1].res_body_length, r[1].incomplete), (1, false));
    }

    #[test]
    fn gap_inside_a_chunk_and_across_the_framing() {
        let mut c = Conn::new();
        c.client(1, &get("/c1")).server(2, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01");
        c.gap(Side::Server, 3, 5).server(3, b"789\r\n0\r\n\r\n");
        c.client(4, &get("/c2")).server(5, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01");
        // The gap covers the chunk's end and the next size line: lost framing.
        c.gap(Side::Server, 6, 20).server(6, b"zz\r\n0\r\n\r\n");
        c.client(7, &get("/c3")).server(8, &ok("1"));
        let r = c.records();
        assert_eq!(urls(&r), ["/c1", "/c2", "/c3"]);
        assert_eq!(
            r.iter().map(|r| (r.res_body_length, r.incomplete)).collect::<Vec<_>>(),
            [(5, true), (2, true), (1, false)]
        );
    }

    #[test]
    fn gap_inside_a_request_head() {
        let mut c = Conn::new();
        c.client(1, b"GET /cut HTTP/1.1\r\nHost: exa");
        c.gap(Side::Client, 2, 30);
        c.client(2, b"ent: x\r\n\r\n");
        c.server(3, &ok("resp"));
        c.client(4, &get("/whole")).server(5, &ok(""));
        let r = c.records();
        assert_eq!(urls(&r), ["/cut", "/whole"]);
        assert_eq!((r[0].method.as_str(), r[0].host.as_str(), r[0].incomplete), ("GET", "", true));
        assert_eq!((r[0].status_code, r[0].res_body_length), (200, 4));
        assert!(!r[1].incomplete && r[1].host == "example.com");
    }

    #[test]
    fn gap_inside_a_response_head() {
        let mut c = Conn::new();
        c.client(1, &get("/one"));
        c.server(2, b"HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Le");
        c.gap(Side::Server, 3, 12);
        c.server(3, b"\r\nabcdefghij");
        c.client(4, &get("/two")).server(5, &ok("22"));
        let r = c.records();
        assert_eq!(urls(&r), ["/one", "/two"]);
        assert_eq!((r[0].status_code, r[0].status_text.as_str(), r[0].incomplete), (302, "Found", true));
        assert!(r[0].response_header.is_empty());
        assert_eq!((r[1].status_code, r[1].res_body_length, r[1].incomplete), (200, 2, false));
    }

    #[test]
    fn gap_swallowing_a_whole_request_keeps_pipelined_pairs_in_step() {
        let mut c = Conn::new();
        c.client(1, &get("/a")).gap(Side::Client, 2, 40).client(3, &get("/c"));
        c.server(4, &ok("a")).server(5, &ok("bb")).server(6, &ok("ccc"));
        let r = c.records();
        assert_eq!(urls(&r), ["/a", "", "/c"]);
        assert_eq!(r.iter().map(|r| r.res_body_length).collect::<Vec<_>>(), [1, 2, 3]);
        // The lost request is missing as a whole; the response is complete.
        assert!(r[1].request_missing && !r[1].incomplete);
        assert!(!r[2].incomplete);
    }

    #[test]
    fn head_over_the_buffer_limit_is_dropped_and_resynced() {
        for segment in [usize::MAX, 100, 7] {
            let mut c = Conn::with_buffer(256);
            let mut request = b"GET /huge HTTP/1.1\r\nX-Big: ".to_vec();
            request.extend(std::iter::repeat_n(b'a', 1_000));
            request.extend(b"\r\nHost: h\r\n\r\n");
            request.extend(get("/small"));
            for chunk in request.chunks(segment.min(request.len())) {
                c.client(1, chunk);
                assert!(c.decoder.held_bytes(Side::Client) <= 256);
            }
            c.server(2, &ok("1")).server(3, &ok("22"));
            let r = c.records();
            assert_eq!(urls(&r), ["/huge", "/small"], "segments of {segment}");
            assert!(r[0].incomplete && r[0].request_header.is_empty());
            assert_eq!(r[0].res_body_length, 1);
            assert!(!r[1].incomplete);
            assert_eq!((r[1].host.as_str(), r[1].res_body_length), ("example.com", 2));
        }
    }

    #[test]
    fn response_head_over_the_buffer_limit() {
        let mut c = Conn::with_buffer(128);
        c.client(1, &get("/x"));
        let mut response = b"HTTP/1.1 200 OK\r\nSet-Cookie: ".to_vec();
        response.extend(std::iter::repeat_n(b'z', 500));
        response.extend(b"\r\nContent-Length: 3\r\n\r\nabc");
        for chunk in response.chunks(50) {
            c.server(2, chunk);
            assert!(c.decoder.held_bytes(Side::Server) <= 128);
        }
        c.client(3, &get("/y")).server(4, &ok("12"));
        let r = c.records();
        assert_eq!(urls(&r), ["/x", "/y"]);
        assert_eq!((r[0].status_code, r[0].incomplete, r[0].res_body_length), (200, true, 0));
        assert_eq!((r[1].res_body_length, r[1].incomplete), (2, false));
    }

    #[test]
    fn switching_protocols_and_connect_end_http() {
        let mut c = Conn::new();
        c.client(1, b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        c.server(2, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
        c.client(3, b"GET /not-http HTTP/1.1\r\n\r\n").server(4, &ok("no"));
        c.close(CloseReason::Fin, 5);
        let r = c.records();
        assert_eq!(urls(&r), ["/chat"]);
        assert_eq!((r[0].status_code, r[0].interim_status_codes.len()), (101, 0));

        let mut c = Conn::new();
        c.client(1, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        c.server(2, b"HTTP/1.1 200 Connection established\r\n\r\n");
        c.client(3, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03GET / HTTP/1.1\r\n\r\n").server(4, b"\x16\x03\x03");
        c.close(CloseReason::Reset, 5);
        let r = c.records();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].method.as_str(), r[0].url.as_str(), r[0].status_code), ("CONNECT", "example.com:443", 200));
    }

    #[test]
    fn odd_header_values_are_kept_as_text() {
        let mut c = Conn::new();
        c.client(
            1,
            b"GET /q?a=\"1,2\" HTTP/1.1\r\nHost: h\r\nUser-Agent: Mozilla/5.0 (X11; Linux, \"quoted\"; x=\\y)\r\n\
              X-Tab:\tv1,\t v2  \r\nX-Bytes: caf\xc3\xa9 \xff\xfe end\r\nX-Empty:\r\nAccept: a, b\r\nAccept: c\r\n\r\n",
        );
        c.server(2, b"HTTP/1.1 200 \xe2\x9c\x93 fine\r\nServer: \"srv\", v=1\r\nContent-Length: 0\r\n\r\n");
        let r = c.records();
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(r.url, "/q?a=\"1,2\"");
        assert_eq!(r.user_agent, "Mozilla/5.0 (X11; Linux, \"quoted\"; x=\\y)");
        assert_eq!(r.request_header[2], header("X-Tab", "v1,\t v2"));
        assert_eq!(r.request_header[3], header("X-Bytes", "café \u{fffd}\u{fffd} end"));
        assert_eq!(r.request_header[4], header("X-Empty", ""));
        assert_eq!(r.request_header[5..], [header("Accept", "a, b"), header("Accept", "c")]);
        assert_eq!(r.server_name, "\"srv\", v=1");
        // httparse gives a reason phrase with bytes past ASCII as empty.
        assert_eq!((r.status_code, r.status_text.as_str()), (200, ""));
    }

    #[test]
    fn garbage_before_a_request_is_skipped_line_by_line() {
        let mut c = Conn::new();
        c.client(1, b"\r\n\r\nnot a request line\r\nHeader: value\r\n\x00\x01\x02\n");
        c.client(2, &get("/real")).server(3, b"junk\r\n").server(4, &ok("ok"));
        let r = c.records();
        assert_eq!(urls(&r), ["/real"]);
        assert_eq!((r[0].timestamp, r[0].res_body_length), (2, 2));
    }

    #[test]
    fn detect_cases() {
        let i = info();
        assert_eq!(detect(b"GET / HTTP/1.1\r\n", b"", &i), Detect::Yes);
        assert_eq!(detect(b"M-SEARCH * HTTP/1.1\r\n", b"", &i), Detect::Yes);
        assert_eq!(detect(b"PROPFIND /very/long/path/without/end/yet", b"", &i), Detect::Yes);
        assert_eq!(detect(b"", b"HTTP/1.1 200 OK\r\n", &i), Detect::Yes);
        assert_eq!(detect(b"\x00\x01garbage body", b"HTTP/1.0 404", &i), Detect::Yes);
        assert_eq!(detect(b"", b"POST /x HTTP/1.1\r\n", &i), Detect::YesSwapped);
        assert_eq!(detect(b"HTTP/1.1 204 No Content\r\n", b"", &i), Detect::YesSwapped);
        assert_eq!(detect(b"", b"", &i), Detect::NeedMore);
        assert_eq!(detect(b"GE", b"", &i), Detect::NeedMore);
        assert_eq!(detect(b"OPTIONS", b"", &i), Detect::NeedMore);
        assert_eq!(detect(b"", b"HTTP/", &i), Detect::NeedMore);
        assert_eq!(detect(b"\x16\x03\x01\x02\x00", b"", &i), Detect::NeedMore, "the server may still answer HTTP/1.");
        assert_eq!(detect(b"\x16\x03\x01\x02\x00", b"\x16\x03\x03", &i), Detect::No);
        assert_eq!(detect(b"SSH-2.0-OpenSSH_9.6\r\n", b"SSH-2.0-OpenSSH_9.6\r\n", &i), Detect::No);
        assert_eq!(detect(b"get / HTTP/1.1\r\n", b"http/1.1 200", &i), Detect::No);
        assert_eq!(detect(b"BREW /pot HTTP/1.1\r\n", b"X", &i), Detect::No);
        assert_eq!(detect(b"OPTIONS rtsp://cam/ RTSP/1.0\r\n", b"RTSP/1.0 200 OK\r\n", &i), Detect::No);
        assert_eq!(detect(b"OPTIONS sip:a@b SIP/2.0\r\n", b"", &i), Detect::No);
        assert_eq!(detect(&[b'A'; 20], b"", &i), Detect::No);
        assert_eq!(detect(b"xyzzy", b"", &i), Detect::NeedMore);
        assert_eq!((PROTOCOL.name, PROTOCOL.records), ("HTTP", &["HTTP"][..]));
    }

    /// A deterministic xorshift generator (no dependency for tests).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Pieces that steer random streams into the decoder's states.
    const PIECES: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\n",
        b"HEAD /h HTTP/1.0\r\n",
        b"CONNECT a:1 HTTP/1.1\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 101 Switching\r\n\r\n",
        b"HTTP/1.0 304 NM\r\n",
        b"Content-Length: 5\r\n",
        b"Content-Length: 99999999999999999999\r\n",
        b"Transfer-Encoding: chunked\r\n",
        b"Cookie: a=b; c\r\n",
        b"\r\n",
        b"\n",
        b"5;x\r\nhello\r\n",
        b"0\r\n\r\n",
        b"ffffffffffffffff\r\n",
    ];

    #[test]
    fn hostile_streams_do_not_panic_and_stay_bounded() {
        const MAX_BUFFER: usize = 300;
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..400 {
            let mut c = Conn::with_buffer(MAX_BUFFER);
            let mut lines = 0;
            for step in 0..200 {
                let side = if rng.below(2) == 0 { Side::Client } else { Side::Server };
                let mut bytes = Vec::new();
                for _ in 0..rng.below(6) {
                    if rng.below(3) == 0 {
                        bytes.extend((0..rng.below(40)).map(|_| rng.next() as u8));
                    } else {
                        bytes.extend(PIECES[rng.below(PIECES.len())]);
                    }
                }
                lines += bytes.iter().filter(|&&b| b == b'\n').count() + 1;
                match rng.below(40) {
                    0 => {
                        c.gap(side, step, rng.below(100) as u64);
                    }
                    1 => {
                        c.end(side, step);
                    }
                    _ => {
                        for chunk in bytes.chunks(1 + rng.below(30)) {
                            c.client(step, b"");
                            let (d, mut e) = c.decoder();
                            d.data(side, step, chunk, &mut e);
                        }
                    }
                }
                for side in [Side::Client, Side::Server] {
                    assert!(c.decoder.held_bytes(side) <= MAX_BUFFER, "held {}", c.decoder.held_bytes(side));
                }
                assert!(c.decoder.pending.len() <= MAX_PENDING);
            }
            c.close(CloseReason::EndOfInput, 1_000);
            let records = c.records();
            // A record needs a start line, or stands for one lost in a gap.
            assert!(records.len() <= lines, "{} records from {lines} lines", records.len());
            for r in &records {
                assert!(r.encoded_len() < 8 * MAX_BUFFER + 512, "record of {} bytes", r.encoded_len());
            }
        }
    }
}

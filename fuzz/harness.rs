//! What each fuzz target does with one input, shared by the targets in
//! `fuzz_targets/` and by the regression tests in `tests/`, which include
//! this file with `#[path]`: a crash input found by a fuzzer is replayed
//! through exactly the code that found it.
//!
//! Every function panics only on a broken invariant of netcap (which is
//! what a fuzzer reports); malformed input must end in an `Err`, a warning
//! or an `Unknown`/`Error` outcome, never in a panic.
#![allow(dead_code)]

use netcap::app::AppOutput;
use netcap::capture::file::CaptureReader;
use netcap::capture::PacketBatch;
use netcap::container::{RecordReader, MAX_RECORD_SIZE};
use netcap::decode::{linktype, wire, Emitter, EncodeConfig, Layers, Outcome, MAX_LAYERS};
use netcap::output::csv::CsvSink;
use netcap::output::json::JsonSink;
use netcap::output::record::Values;
use netcap::output::struc::StrucSink;
use netcap::output::{Renderer, Sink, Style};
use netcap::parquet::columns::Columns;
use netcap::parquet::TableWriter;
use netcap::registry::ENCODERS;
use netcap::schema::pb;
use prost::Message;
use std::io::{BufRead, BufReader, Cursor};
use std::path::Path;

/// Link types the first 4 bytes of a `decode_packet` input map onto when
/// they are not already one netcap decodes; 147 (USER0) decodes to nothing.
pub const LINK_TYPES: [u32; 30] = [
    0, 1, 9, 10, 12, 14, 50, 51, 100, 101, 104, 105, 107, 108, 113, 127, 129, 149, 189, 192, 220, 226, 228, 229, 239,
    242, 249, 258, 276, 147,
];

/// Batch limits as in the pipeline (smaller, so that batches are cut often).
pub const MAX_PACKETS: usize = 64;
pub const MAX_BYTES: usize = 64 << 10;
/// The capture reader's largest block (`MAX_BLOCK` in src/capture/file.rs):
/// a batch holds at most MAX_BYTES plus one packet of at most this size.
pub const MAX_BLOCK: usize = 64 << 20;

/// The link type a `decode_packet` input selects, and the frame.
pub fn split_link(data: &[u8]) -> Option<(u32, &[u8])> {
    let (head, frame) = data.split_first_chunk::<4>()?;
    let raw = u32::from_le_bytes(*head);
    let link = if linktype::is_supported(raw) { raw } else { LINK_TYPES[raw as usize % LINK_TYPES.len()] };
    Some((link, frame))
}

/// Decodes one frame and runs every encoder, as a pipeline worker does;
/// returns the number of records emitted.
pub fn decode_frame(link: u32, timestamp: i64, frame: &[u8], config: &EncodeConfig) -> u64 {
    let layers = Layers::decode(link, timestamp, frame, frame.len());
    let mut buf = Vec::new();
    let mut total = 0;
    // The flow stage's view of the packet must not fail either.
    let _ = netcap::flows::Observation::of(&layers, frame.len() as u32);
    for e in ENCODERS {
        // Flow types are fed observations in the writer thread, not packets.
        let Some(encode) = e.packet() else { continue };
        buf.clear();
        let mut count = 0u64;
        encode(&layers, config, &mut Emitter::new(&mut buf, &mut count));
        // One record per layer: a packet has at most MAX_LAYERS (tunnels
        // repeat layers, MPLS gives one per label, DNS one per message).
        assert!(count <= MAX_LAYERS as u64, "{} emitted {count} records for one packet", e.name);
        assert_eq!(count == 0, buf.is_empty(), "{}: record count and bytes disagree", e.name);
        // A record holds at most a small multiple of the frame's bytes plus
        // fixed fields: addresses as text (4 bytes become up to 17: IGMP,
        // VRRP, OSPF lists), invalid UTF-8 as U+FFFD (3 bytes) and SIP's
        // headers kept both typed and in order (6x in all); DNS names
        // expand through compression pointers up to the DNS decoder's budget.
        let factor = if e.name == "DNS" { 2 + netcap::decode::dns::NAME_BUDGET_FACTOR } else { 6 };
        let most = factor * frame.len()
            + 1024 * count.max(1) as usize
            + if e.name == "DNS" { 4096 * count as usize } else { 0 };
        assert!(buf.len() <= most, "{}: {} bytes from a {}-byte frame", e.name, buf.len(), frame.len());
        total += count;
    }
    // What the pipeline writes to errors.log for a failed packet.
    if let Outcome::Error(err) = layers.outcome {
        let mut s = err.to_string();
        s.push_str(&layers.layer_names().join(", "));
        wire::hex_dump(frame, &mut s);
    }
    total
}

/// Target `decode_packet`: 4 bytes of link type, then one frame.
pub fn decode_packet(data: &[u8]) {
    let Some((link, frame)) = split_link(data) else { return };
    let config = EncodeConfig { include_payload: data[3] & 0x80 == 0 };
    decode_frame(link, i64::from(link), frame, &config);
}

/// Opens `data` as a capture the way `CaptureReader::open` does (gzip or
/// zstd by magic).
pub fn open_capture(data: &[u8]) -> Option<CaptureReader> {
    let (src, _, _) = netcap::compress::decompressed(Cursor::new(data.to_vec())).ok()?;
    CaptureReader::from_reader(src, Path::new("fuzz-input")).ok()
}

/// What reading a whole capture gave.
#[derive(Debug, Default, Clone, Copy)]
pub struct CaptureStats {
    pub packets: u64,
    pub bytes: u64,
    pub records: u64,
    pub warning: bool,
    pub largest_batch: usize,
}

/// Reads a capture to its end in batches; with `decode`, every packet
/// also goes through `Layers::decode` and every encoder.
pub fn read_capture(data: &[u8], decode: bool) -> Option<CaptureStats> {
    let mut reader = open_capture(data)?;
    let _ = (reader.format(), reader.link_type(), reader.timestamp_digits(), reader.interfaces());
    let mut stats = CaptureStats::default();
    let config = EncodeConfig { include_payload: true };
    loop {
        let mut batch = PacketBatch::with_capacity(MAX_PACKETS, 0);
        let more = reader.fill(&mut batch, MAX_PACKETS, MAX_BYTES);
        assert!(batch.len() <= MAX_PACKETS, "batch of {} packets", batch.len());
        assert!(batch.byte_len() <= MAX_BYTES + MAX_BLOCK, "batch of {} bytes", batch.byte_len());
        stats.largest_batch = stats.largest_batch.max(batch.byte_len());
        for (meta, frame) in batch.iter() {
            stats.packets += 1;
            stats.bytes += frame.len() as u64;
            // Any timestamp a file can state must format (errors.log, text output).
            let _ = netcap::timefmt::utc_string(meta.timestamp, reader.timestamp_digits());
            let _ = netcap::timefmt::epoch_string(meta.timestamp, 9);
            if decode {
                stats.records += decode_frame(meta.link_type, meta.timestamp, frame, &config);
            }
        }
        match more {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => {
                stats.warning = true;
                break;
            }
        }
    }
    Some(stats)
}

/// Target `capture_reader`: the input as a whole capture file.
pub fn capture_reader(data: &[u8]) {
    read_capture(data, false);
}

/// Target `ncap_reader`: the input as a `.ncap` (or `.ncap.gz`,
/// `.ncap.zst`) stream, each record decoded against the header's type.
pub fn ncap_reader(data: &[u8]) {
    let Ok((decompressed, _, _)) = netcap::compress::decompressed(Cursor::new(data.to_vec())) else { return };
    let src: Box<dyn BufRead + Send> = Box::new(BufReader::new(decompressed));
    let Ok(mut reader) = RecordReader::from_reader(src, Path::new("fuzz-input")) else { return };
    let Some(desc) = netcap::schema::message(&reader.header().r#type) else {
        panic!("reader accepted unknown record type {:?}", reader.header().r#type);
    };
    let type_name = reader.header().r#type.clone();
    // What `netcap read` and `netcap export` do with each record: the JSON,
    // CSV and struct printers and the Parquet table. They read a record
    // against the same schema, so they must agree on which records are
    // malformed: a record that `read -json` prints and `export` refuses
    // (or the other way round) would leave the two outputs unequal.
    let mut renderer = Renderer::new(&desc, Style::default());
    let mut json = JsonSink::new(std::io::sink());
    let mut csv = CsvSink::new(std::io::sink(), b',');
    let mut struc = StrucSink::new(std::io::sink());
    let mut table = TableWriter::new(std::io::sink(), &type_name).expect("a table for every record type");
    // The table appends in one pass from the wire when it can; the
    // decode-first path must give the same rows (and errors) for any bytes.
    let mut one_pass = Columns::new(&desc).expect("columns for every record type");
    let mut decode_first = Columns::new(&desc).expect("columns for every record type");
    // A capture's table skips the per-value UTF-8 check and relies on
    // Arrow's check of each string column: it may take a record the others
    // refuse (a string that is not UTF-8), but then its batch must fail.
    let mut own = Columns::new(&desc).expect("columns for every record type").own_records();
    let mut own_took_more = false;
    let mut vals = Values::default();
    let mut appended = 0u64;
    let mut buf = Vec::new();
    while let Ok(true) = reader.next_raw(&mut buf) {
        assert!(buf.len() <= MAX_RECORD_SIZE);
        let _ = prost_reflect::DynamicMessage::decode(desc.clone(), buf.as_slice());
        let printed = renderer.decode(&buf, &mut vals).is_ok()
            && json.record(&mut renderer, &vals, &buf).is_ok()
            && csv.record(&mut renderer, &vals, &buf).is_ok()
            && struc.record(&mut renderer, &vals, &buf).is_ok();
        let exported = table.append(&buf).is_ok();
        let fast = one_pass.append(&buf);
        assert_eq!(fast, decode_first.append_decoded(&buf), "one-pass and decode-first append disagree");
        let own_ok = own.append(&buf).is_ok();
        assert!(own_ok || fast.is_err(), "own records refused a record the checked append takes");
        own_took_more |= own_ok && fast.is_err();
        assert_eq!(fast.is_ok(), exported);
        assert_eq!(printed, exported, "read -json and export disagree on a record of {} bytes", buf.len());
        appended += u64::from(exported);
    }
    let (_, rows) = table.finish().expect("a table of the records it accepted");
    assert_eq!(rows, appended);
    let fast = one_pass.take_batch().expect("a batch of the records it accepted");
    assert_eq!(fast, decode_first.take_batch().expect("a batch of the records it accepted"));
    match own.take_batch() {
        Ok(batch) => {
            assert!(!own_took_more, "a string that is not UTF-8 reached a batch");
            assert_eq!(batch, fast);
        }
        Err(e) => assert!(own_took_more, "own records' batch failed: {e}"),
    }
}

/// Targets `http_decoder`, `tls_decoder`, `ssh_decoder`: one connection
/// for one application protocol. The input format (the same for the three)
/// is described in `fuzz_targets/http_decoder.rs`.
pub fn http_decoder(data: &[u8]) {
    use netcap::app::http::{HttpDecoder, PROTOCOL};
    let Some(run) = stream_case::run(data, 80, &PROTOCOL, HttpDecoder::new, HttpDecoder::held_bytes, 0) else {
        return;
    };
    let records: Vec<&[u8]> = run
        .out
        .iter()
        .filter_map(AppOutput::record)
        .map(|(i, b)| {
            assert_eq!(i, 0);
            b
        })
        .collect();
    assert!(records.len() <= run.lines, "{} records from {} lines", records.len(), run.lines);
    for bytes in records {
        let record = pb::Http::decode_length_delimited(bytes).expect("a valid HTTP record");
        // Two heads of at most max_buffer each; named headers appear twice
        // and invalid UTF-8 becomes U+FFFD (3 bytes): at most 12x plus the
        // fixed fields.
        assert!(bytes.len() <= 12 * run.max_buffer + 1024, "a record of {} bytes", bytes.len());
        assert!(!(record.request_missing && record.response_missing), "a record of nothing");
    }
}

pub fn tls_decoder(data: &[u8]) {
    use netcap::app::tls::{TlsDecoder, PROTOCOL};
    // A side may hold a record header besides its partial message.
    let Some(run) = stream_case::run(data, 443, &PROTOCOL, TlsDecoder::new, TlsDecoder::held_bytes, 5) else {
        return;
    };
    let records = run.out.iter().filter_map(AppOutput::record).count();
    assert!(records <= run.fed / 9, "{records} records from {} bytes", run.fed);
    for (index, bytes) in run.out.iter().filter_map(AppOutput::record) {
        match index {
            0 => {
                let record = pb::Tls::decode_length_delimited(bytes).expect("a valid TLS record");
                assert_eq!(record.handshake_type, 1);
            }
            1 => {
                pb::TlsServerHello::decode_length_delimited(bytes).expect("a valid TLSServerHello record");
            }
            _ => panic!("record type index {index}"),
        }
        // A record holds at most one handshake message's worth of fields;
        // the worst case is a chain of empty certificates (3 bytes each on
        // the wire, two hex fingerprints and a flag each in the record).
        assert!(bytes.len() <= 48 * run.max_buffer + 4096, "a record of {} bytes", bytes.len());
    }
}

pub fn ssh_decoder(data: &[u8]) {
    use netcap::app::ssh::{SshDecoder, PROTOCOL};
    let Some(run) = stream_case::run(data, 22, &PROTOCOL, SshDecoder::new, SshDecoder::held_bytes, 0) else {
        return;
    };
    let mut sides = [0usize; 2];
    for (index, bytes) in run.out.iter().filter_map(AppOutput::record) {
        assert_eq!(index, 0);
        let record = pb::Ssh::decode_length_delimited(bytes).expect("a valid SSH record");
        sides[usize::from(record.is_client)] += 1;
        assert!(record.ident.starts_with("SSH-"), "Ident {:?}", record.ident);
        assert_eq!(record.kex_init, !record.hassh.is_empty());
        assert!(bytes.len() <= 6 * run.max_buffer.max(35000) + 1024, "a record of {} bytes", bytes.len());
    }
    assert!(sides.iter().all(|&n| n <= 1), "records per side: {sides:?}");
}

/// A connection's events for a stream decoder, and the run through it.
mod stream_case {
    use netcap::app::{
        AppConfig, AppEmitter, AppOutput, AppProtocol, CloseReason, ConnInfo, Detect, Side, StreamDecoder,
    };

    enum Event<'a> {
        Data(Side, &'a [u8]),
        Gap(Side, u64),
        End(Side),
    }

    fn side(tag: u8) -> Side {
        if tag & 1 == 0 {
            Side::Client
        } else {
            Side::Server
        }
    }

    fn events(mut data: &[u8]) -> Vec<Event<'_>> {
        let mut events = Vec::new();
        while let Some((&tag, rest)) = data.split_first() {
            data = rest;
            let len = match tag {
                0xf0 | 0xf1 => {
                    let (&len, rest) = data.split_first().unwrap_or((&0, &[]));
                    data = rest;
                    events.push(Event::Gap(side(tag), u64::from(len)));
                    continue;
                }
                0xf2 | 0xf3 => {
                    events.push(Event::End(side(tag)));
                    continue;
                }
                0xf4..=0xff => {
                    let len = match data.get(..2) {
                        Some(&[lo, hi]) => usize::from(u16::from_le_bytes([lo, hi])),
                        _ => 0,
                    };
                    data = data.get(2..).unwrap_or_default();
                    len
                }
                _ => usize::from(tag >> 1),
            };
            let (bytes, rest) = data.split_at(len.min(data.len()));
            data = rest;
            events.push(Event::Data(side(tag), bytes));
        }
        events
    }

    /// What `detect` finally says about the first bytes (up to 512, as the
    /// stream stage keeps) of each side.
    fn detect_sides(events: &[Event], info: &ConnInfo, protocol: &AppProtocol) -> Detect {
        let (mut client, mut server) = (Vec::new(), Vec::new());
        for event in events {
            let Event::Data(side, bytes) = event else { continue };
            let first = if *side == Side::Client { &mut client } else { &mut server };
            first.extend(bytes.iter().take(512usize.saturating_sub(first.len())));
            let verdict = (protocol.detect)(&client, &server, info);
            if verdict != Detect::NeedMore {
                return verdict;
            }
        }
        Detect::NeedMore
    }

    /// What a run gave: the outputs, the limit it ran with, the data bytes
    /// and lines fed.
    pub struct Run {
        pub out: Vec<AppOutput>,
        pub max_buffer: usize,
        pub fed: usize,
        pub lines: usize,
    }

    /// Feeds the input's events to `detect` and to a decoder from `new`
    /// (whatever `detect` said, so that every input reaches the decoder;
    /// sides swapped when it said `YesSwapped`), then closes it. Checks
    /// that a side never holds more than `max_buffer` (+ `slack`).
    pub fn run<D: StreamDecoder>(
        data: &[u8],
        server_port: u16,
        protocol: &AppProtocol,
        new: fn(&ConnInfo, &AppConfig) -> D,
        held: fn(&D, Side) -> usize,
        slack: usize,
    ) -> Option<Run> {
        let (&config, rest) = data.split_first()?;
        let max_buffer = if config == 0xff { AppConfig::default().max_buffer } else { 32 + 64 * usize::from(config) };
        let events = events(rest);
        let info = ConnInfo {
            ip_version: 6,
            client_ip: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            server_ip: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            client_port: 50000,
            server_port,
            saw_syn: data.len() % 2 == 0,
            macs: None,
        };
        let swapped = detect_sides(&events, &info, protocol) == Detect::YesSwapped;
        let orient = |side: Side| if swapped { side.other() } else { side };
        let selected = protocol.records;
        let mut out = Vec::new();
        let mut decoder = new(&info, &AppConfig { max_buffer });
        let (mut fed, mut lines) = (0usize, 0usize);
        for (ts, event) in events.iter().enumerate() {
            let ts = ts as i64;
            let mut emitter = AppEmitter::new(selected, &mut out);
            match *event {
                Event::Data(side, bytes) => {
                    fed += bytes.len();
                    lines += bytes.iter().filter(|&&b| b == b'\n').count();
                    decoder.data(orient(side), ts, bytes, &mut emitter);
                }
                Event::Gap(side, len) => decoder.gap(orient(side), ts, len, &mut emitter),
                Event::End(side) => decoder.end(orient(side), ts, &mut emitter),
            }
            for side in [Side::Client, Side::Server] {
                let h = held(&decoder, side);
                assert!(h <= max_buffer + slack, "{side:?} holds {h} > {max_buffer} + {slack}");
            }
        }
        let reason =
            [CloseReason::Fin, CloseReason::Reset, CloseReason::Timeout, CloseReason::Evicted, CloseReason::EndOfInput]
                [data.len() % 5];
        decoder.close(reason, i64::MAX, &mut AppEmitter::new(selected, &mut out));
        Some(Run { out, max_buffer, fed, lines })
    }
}

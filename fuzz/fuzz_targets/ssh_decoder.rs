//! Fuzz target `ssh_decoder`: the input is a connection's events, fed to
//! the SSH protocol's `detect` (as the stream stage calls it: with the
//! first bytes of each side, until it decides) and to an SSH decoder
//! (whatever `detect` said, so that every input reaches the decoder; with
//! the sides swapped when it said `YesSwapped`), then closed.
//!
//! Input: byte 0 picks `max_buffer` (0xff: the default 64 KiB; else
//! 32 + 64 * byte, small enough that KEXINITs overflow). Then events, each
//! a tag byte:
//! * `0x00..=0xef`: data, side `tag & 1`, `tag >> 1` (0..119) bytes;
//! * `0xf0`/`0xf1`: a gap on side `tag & 1` of the next byte's length;
//! * `0xf2`/`0xf3`: FIN of side `tag & 1`;
//! * `0xf4..=0xff`: data, side `tag & 1`, length in the next two bytes
//!   (little-endian).
//!
//! The close reason is the input length mod 5. Checks: no panic, at most
//! `max_buffer` bytes held per side after every call, at most one record
//! per side, every record a valid `SSH` message whose Ident starts with
//! "SSH-" and whose HASSH is set exactly when its KEXINIT was seen.
#![no_main]

use netcap::app::ssh::{SshDecoder, PROTOCOL};
use netcap::app::{AppConfig, AppEmitter, AppOutput, CloseReason, ConnInfo, Detect, Side, StreamDecoder};
use netcap::schema::pb;
use prost::Message;

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
                let len = data.get(..2).map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])));
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

/// What `detect` finally says about the first bytes of each side.
fn detect_sides(events: &[Event], info: &ConnInfo) -> Detect {
    let (mut client, mut server) = (Vec::new(), Vec::new());
    for event in events {
        let Event::Data(side, bytes) = event else { continue };
        let first = if *side == Side::Client { &mut client } else { &mut server };
        first.extend(bytes.iter().take(512usize.saturating_sub(first.len())));
        let verdict = (PROTOCOL.detect)(&client, &server, info);
        if verdict != Detect::NeedMore {
            return verdict;
        }
    }
    Detect::NeedMore
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&config, rest)) = data.split_first() else { return };
    let max_buffer = if config == 0xff { AppConfig::default().max_buffer } else { 32 + 64 * usize::from(config) };
    let events = events(rest);
    let info = ConnInfo {
        ip_version: 6,
        client_ip: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        server_ip: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        client_port: 50000,
        server_port: 22,
        saw_syn: data.len() % 2 == 0,
        macs: None,
    };
    let swapped = detect_sides(&events, &info) == Detect::YesSwapped;
    let orient = |side: Side| if swapped { side.other() } else { side };

    let selected = PROTOCOL.records;
    let mut out = Vec::new();
    let mut decoder = SshDecoder::new(&info, &AppConfig { max_buffer });
    for (ts, event) in events.iter().enumerate() {
        let ts = ts as i64;
        let mut emitter = AppEmitter::new(selected, &mut out);
        match *event {
            Event::Data(side, bytes) => decoder.data(orient(side), ts, bytes, &mut emitter),
            Event::Gap(side, len) => decoder.gap(orient(side), ts, len, &mut emitter),
            Event::End(side) => decoder.end(orient(side), ts, &mut emitter),
        }
        for side in [Side::Client, Side::Server] {
            assert!(
                decoder.held_bytes(side) <= max_buffer,
                "{side:?} holds {} > {max_buffer}",
                decoder.held_bytes(side)
            );
        }
    }
    let reason =
        [CloseReason::Fin, CloseReason::Reset, CloseReason::Timeout, CloseReason::Evicted, CloseReason::EndOfInput]
            [data.len() % 5];
    decoder.close(reason, i64::MAX, &mut AppEmitter::new(selected, &mut out));

    let mut sides = [0usize; 2];
    for (index, bytes) in out.iter().filter_map(AppOutput::record) {
        assert_eq!(index, 0);
        let record = pb::Ssh::decode_length_delimited(bytes).expect("a valid SSH record");
        sides[usize::from(record.is_client)] += 1;
        assert!(record.ident.starts_with("SSH-"), "Ident {:?}", record.ident);
        assert_eq!(record.kex_init, !record.hassh.is_empty());
        assert!(bytes.len() <= 6 * max_buffer.max(35000) + 1024, "a record of {} bytes", bytes.len());
    }
    assert!(sides.iter().all(|&n| n <= 1), "records per side: {sides:?}");
});

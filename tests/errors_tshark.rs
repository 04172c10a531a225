//! errors.log against tshark. On every well-formed shared capture (the
//! MANIFEST's `fuzz_or_malformed` = no), each packet netcap logs as a
//! decode error must be one that tshark flags too: cut by the snap length
//! (`_ws.short`), malformed (`_ws.malformed`), or with an expert note of
//! warning or error severity. A decoder that starts rejecting packets
//! Wireshark reads fine fails here even when no record type's differential
//! test looks at that protocol.
//!
//! Entries of the stream stage (a "Connection:" line: a TLS, SSH or HTTP
//! byte stream that broke, e.g. bytes lost before a handshake) are about
//! streams, not packets, and have their own tests (`tls_tshark.rs`,
//! `ssh_tshark.rs`, `http_tshark.rs`); they are counted, not checked here.

#[path = "common/manifest.rs"]
#[allow(dead_code)]
mod manifest;
#[path = "common/netcap_run.rs"]
#[allow(dead_code)]
mod netcap_run;

use netcap_run::{require_tshark, tempdir};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// tshark's expert severities (`_ws.expert.severity`): PI_WARN and PI_ERROR.
const PI_WARN: u64 = 0x0060_0000;

/// One entry of errors.log.
struct Entry {
    frame: u64,
    error: String,
    /// A packet's entry ("Layers:"), not a stream's ("Connection:").
    packet: bool,
}

/// The entries of an errors.log (blocks up to the summary).
fn entries(log: &str) -> Vec<Entry> {
    let body = log.split("\n--- summary of").next().unwrap_or_default();
    let mut out = Vec::new();
    for block in body.split("\n\n") {
        let line = |prefix: &str| block.lines().find_map(|l| l.strip_prefix(prefix));
        let (Some(frame), Some(error)) = (line("Frame: "), line("Error: ")) else { continue };
        let frame = frame.trim().parse().unwrap_or_else(|_| panic!("errors.log frame number {frame:?}"));
        out.push(Entry { frame, error: error.to_string(), packet: line("Layers: ").is_some() });
    }
    out
}

/// The frames of `frames` that tshark flags: (flagged, not flagged).
fn tshark_flags(capture: &Path, frames: &BTreeSet<u64>) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let list: Vec<String> = frames.iter().map(u64::to_string).collect();
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(capture)
        .args(["-Y", &format!("frame.number in {{{}}}", list.join(", "))])
        .args(["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"])
        .args(["-e", "frame.number", "-e", "_ws.short", "-e", "_ws.malformed", "-e", "_ws.expert.severity"])
        .output()
        .expect("tshark runs");
    assert!(out.status.success(), "tshark on {}: {}", capture.display(), String::from_utf8_lossy(&out.stderr));
    let (mut flagged, mut clean) = (BTreeSet::new(), BTreeSet::new());
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        let Ok(frame) = cell(0).parse::<u64>() else { continue };
        let severe = cell(3).split(',').filter_map(|s| s.parse::<u64>().ok()).any(|s| s >= PI_WARN);
        if !cell(1).is_empty() || !cell(2).is_empty() || severe {
            flagged.insert(frame);
        } else {
            clean.insert(frame);
        }
    }
    (flagged, clean)
}

#[test]
fn every_packet_errors_log_names_on_a_well_formed_capture_is_one_tshark_flags() {
    require_tshark();
    let work = tempdir("errors-tshark");
    let (mut checked, mut stream_entries, mut clean_controls) = (0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    for row in manifest::rows().into_iter().filter(|r| !r.fuzz) {
        let out = work.join("out");
        let _ = std::fs::remove_dir_all(&out);
        let run = Command::new(env!("CARGO_BIN_EXE_netcap"))
            .arg("-r")
            .arg(&row.path)
            .arg("-out")
            .arg(&out)
            .args(["-quiet", "-comp", "none"])
            .output()
            .expect("netcap runs");
        assert!(run.status.success(), "{}: {}", row.name, String::from_utf8_lossy(&run.stderr));
        let log = std::fs::read_to_string(out.join("errors.log")).unwrap_or_default();
        let entries = entries(&log);
        stream_entries += entries.iter().filter(|e| !e.packet).count();
        let packets: Vec<&Entry> = entries.iter().filter(|e| e.packet).collect();
        if packets.is_empty() {
            continue;
        }
        // Frame 1 as a control when netcap logged nothing for it: tshark
        // must be able to say "not flagged", or the check proves nothing.
        let mut frames: BTreeSet<u64> = packets.iter().map(|e| e.frame).collect();
        let control = (!frames.contains(&1)).then_some(1);
        frames.extend(control);
        let (flagged, clean) = tshark_flags(&row.path, &frames);
        clean_controls += control.is_some_and(|c| clean.contains(&c)) as usize;
        for e in packets {
            checked += 1;
            if !flagged.contains(&e.frame) {
                wrong.push(format!("{} frame {}: {}", row.name, e.frame, e.error));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    println!(
        "{checked} packet entries checked against tshark, {stream_entries} stream entries not checked, \
         {clean_controls} control frames clean in tshark"
    );
    assert!(wrong.is_empty(), "errors.log entries tshark does not flag:\n{}", wrong.join("\n"));
    // The shared captures hold snap-length-cut DHCP, bogus IP versions and
    // the like (over 60 entries in 2026-12): a run that finds none checked nothing.
    assert!(checked >= 20, "only {checked} errors.log entries on the well-formed captures: was anything run?");
    assert!(clean_controls > 0, "no control frame was clean in tshark: the flag test cannot tell");
}

#[test]
fn an_errors_log_is_read_as_packet_and_stream_entries() {
    let log =
        "2012-06-29T07:28:25.298858000Z\nFrame: 1\nError: DHCPv4: truncated header\nLayers: Ethernet, IPv4, UDP\n\
               00000000  ff ff\n\n2019-04-18T16:32:45.062494000Z\nFrame: 12\nError: SSH: gap before KEXINIT\n\
               Connection: 192.168.56.10:34170 -> 192.168.56.24:22\n\n--- summary of 2 error kinds ---\n\
               DHCPv4: truncated: 1 (first: frame 1)\n";
    let e = entries(log);
    assert_eq!(e.len(), 2);
    assert_eq!((e[0].frame, e[0].packet, e[0].error.as_str()), (1, true, "DHCPv4: truncated header"));
    assert_eq!((e[1].frame, e[1].packet), (12, false));
}

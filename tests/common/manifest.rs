//! The shared captures (`../shared/pcaps/MANIFEST.tsv`) this test covers.

use std::path::{Path, PathBuf};

/// The protocols (tshark's names, as in the MANIFEST's `protocols` column)
/// whose presence puts a capture into the test.
pub const COVERED: &[&str] =
    &["eth", "vlan", "arp", "ip", "ipv6", "ipv6.hopopts", "ipv6.fraghdr", "tcp", "udp", "icmp", "icmpv6"];

pub struct Capture {
    /// Path relative to the pcaps folder, as in the MANIFEST.
    pub name: String,
    pub path: PathBuf,
    pub fuzz: bool,
}

/// The shared pcaps folder; panics when it is missing.
pub fn pcaps_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps");
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "the shared captures are missing: expected {}/MANIFEST.tsv (the test reads ../shared/pcaps relative to the repository)",
        dir.display()
    );
    dir
}

/// Every capture of the MANIFEST with at least one [`COVERED`] protocol,
/// malformed/fuzz ones included.
pub fn covered_captures() -> Vec<Capture> {
    let dir = pcaps_dir();
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv is readable");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("MANIFEST.tsv has a header").split('\t').collect();
    let col = |name: &str| {
        header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("MANIFEST.tsv lacks column {name}"))
    };
    let (file, protocols, fuzz) = (col("file"), col("protocols"), col("fuzz_or_malformed"));
    let mut out = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        let covered = cell(protocols).split(',').filter_map(|p| p.split(':').next()).any(|p| COVERED.contains(&p));
        if covered {
            out.push(Capture { name: cell(file).to_string(), path: dir.join(cell(file)), fuzz: cell(fuzz) == "yes" });
        }
    }
    out
}

/// The MANIFEST's captures `keep` accepts, as (name, path): `keep` gets the
/// protocol names of the row (its `protocols` and `extra` columns, counts
/// stripped: "tls", "tls.handshake", ...) and its link type.
pub fn captures_where(keep: impl Fn(&[&str], &str) -> bool) -> Vec<(String, PathBuf)> {
    let dir = pcaps_dir();
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv is readable");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("MANIFEST.tsv has a header").split('\t').collect();
    let col = |name: &str| {
        header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("MANIFEST.tsv lacks column {name}"))
    };
    let (file, protocols, extra, linktype) = (col("file"), col("protocols"), col("extra"), col("linktype"));
    let mut out = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        let names: Vec<&str> = [cell(protocols), cell(extra)]
            .iter()
            .flat_map(|c| c.split(','))
            .filter_map(|p| p.split(':').next())
            .filter(|p| !p.is_empty())
            .collect();
        if keep(&names, cell(linktype)) {
            out.push((cell(file).to_string(), dir.join(cell(file))));
        }
    }
    out
}

//! The shared captures (`../shared/pcaps/MANIFEST.tsv`) this test covers.

use std::path::{Path, PathBuf};

/// Whether the captures are another folder's ([`pcaps_dir`]): documented
/// exceptions are about the shared captures, so one that applies to none of
/// another folder's is not stale.
pub fn other_captures() -> bool {
    std::env::var_os("NETCAP_PCAPS").is_some()
}

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

/// The folder of captures with its MANIFEST.tsv: `../shared/pcaps`, or the
/// folder `NETCAP_PCAPS` names (held-out captures, or a generator's; write
/// its MANIFEST with `tests/manifest-for.sh DIR`). Panics when it is missing.
pub fn pcaps_dir() -> PathBuf {
    let dir = match std::env::var_os("NETCAP_PCAPS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps"),
    };
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "the captures are missing: expected {}/MANIFEST.tsv (the tests read ../shared/pcaps relative to the repository, or the folder NETCAP_PCAPS names)",
        dir.display()
    );
    dir
}

/// One row of MANIFEST.tsv.
pub struct Row {
    /// Path relative to the pcaps folder.
    pub name: String,
    pub path: PathBuf,
    /// A fuzz input or a malformed capture (`fuzz_or_malformed` = yes).
    pub fuzz: bool,
    pub linktype: String,
    /// Protocol names of the `protocols` column ("tls", "tls.handshake"; counts stripped).
    pub protocols: Vec<String>,
    /// Protocol names of the `extra` column.
    pub extra: Vec<String>,
}

impl Row {
    /// The names of both protocol columns.
    pub fn all_protocols(&self) -> impl Iterator<Item = &str> {
        self.protocols.iter().chain(&self.extra).map(String::as_str)
    }
}

impl From<Row> for Capture {
    fn from(r: Row) -> Capture {
        Capture { name: r.name, path: r.path, fuzz: r.fuzz }
    }
}

/// Every row of MANIFEST.tsv: the one reader of its columns.
pub fn rows() -> Vec<Row> {
    let dir = pcaps_dir();
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv is readable");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("MANIFEST.tsv has a header").split('\t').collect();
    let col = |name: &str| {
        header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("MANIFEST.tsv lacks column {name}"))
    };
    let (file, protocols, extra, linktype, fuzz) =
        (col("file"), col("protocols"), col("extra"), col("linktype"), col("fuzz_or_malformed"));
    let names = |cell: &str| -> Vec<String> {
        cell.split(',').filter_map(|p| p.split(':').next()).filter(|p| !p.is_empty()).map(str::to_owned).collect()
    };
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            let cell = |i: usize| cells.get(i).copied().unwrap_or("");
            Row {
                name: cell(file).to_string(),
                path: dir.join(cell(file)),
                fuzz: cell(fuzz) == "yes",
                linktype: cell(linktype).to_string(),
                protocols: names(cell(protocols)),
                extra: names(cell(extra)),
            }
        })
        .collect()
}

/// Every capture of the MANIFEST with at least one [`COVERED`] protocol,
/// malformed/fuzz ones included.
pub fn covered_captures() -> Vec<Capture> {
    rows()
        .into_iter()
        .filter(|r| r.protocols.iter().any(|p| COVERED.contains(&p.as_str())))
        .map(Capture::from)
        .collect()
}

/// The MANIFEST's captures `keep` accepts, as (name, path): `keep` gets the
/// protocol names of the row (its `protocols` and `extra` columns, counts
/// stripped: "tls", "tls.handshake", ...) and its link type.
pub fn captures_where(keep: impl Fn(&[&str], &str) -> bool) -> Vec<(String, PathBuf)> {
    rows()
        .into_iter()
        .filter(|r| keep(&r.all_protocols().collect::<Vec<_>>(), &r.linktype))
        .map(|r| (r.name, r.path))
        .collect()
}

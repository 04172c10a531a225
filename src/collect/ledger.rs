//! The NATS server's ledger: what it wrote, kept on disk in its output
//! directory, so that a crash loses nothing and duplicates nothing.
//!
//! A batch is acknowledged to JetStream only after its records are in
//! their file and the ledger says so (both fsync'd). The ledger is a text
//! file of lines, appended per group of batches:
//!
//! ```text
//! B <sensor key hex> <run id> <run started ns> <Type> <seq>   a batch written
//! F <length> <path relative to the output directory>          a file's end after them
//! ```
//!
//! At a start, [`Ledger::open`] reads it back: the `B` lines rebuild the
//! replay state (a redelivered batch, or a replay of one from before the
//! restart, is then a duplicate), and every record file is cut back to its
//! last `F` length: records written after the last line that reached the
//! disk belong to batches that were never acknowledged and will be
//! redelivered. A file the ledger does not name was created by such a
//! group and is removed. Each batch ends a whole gzip member
//! ([`RecordWriter::append_members`](crate::container::RecordWriter::append_members)),
//! so every recorded length ends a readable file.
//!
//! The ledger grows by about 100 bytes per batch and is read whole at a
//! start (not compacted yet).

use super::wire::KEY_LEN;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, Write};
use std::path::{Path, PathBuf};

/// The ledger's name in the output directory; `@` is not allowed in a
/// client id, so no sensor's directory can take it.
pub const LEDGER_NAME: &str = "@nats.ledger";

/// A batch as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedBatch {
    pub sensor: [u8; KEY_LEN],
    pub run_id: u64,
    pub run_started: i64,
    pub type_name: String,
    pub seq: u64,
}

/// What a ledger held at a start.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Batches the ledger names (each handed to `restore` in the order
    /// they were written, never all held at once).
    pub batches: u64,
    /// Record files cut back to their recorded end.
    pub files_cut: usize,
    /// Record files removed (created after the last recorded line).
    pub files_removed: usize,
}

/// The open ledger of an output directory.
pub struct Ledger {
    file: File,
    out: PathBuf,
    line: String,
}

impl Ledger {
    /// Opens (or creates) `out`'s ledger, hands every batch it names to
    /// `restore`, and repairs the
    /// record files as the module doc says. A new ledger in a directory
    /// that already holds record files is refused: they are not this
    /// server's, and repairing would remove them.
    pub fn open(out: &Path, mut restore: impl FnMut(LoggedBatch)) -> Result<(Ledger, Recovered), String> {
        let path = out.join(LEDGER_NAME);
        let existed = path.exists();
        let files = record_files(out).map_err(|e| format!("cannot list {}: {e}", out.display()))?;
        if !existed && !files.is_empty() {
            return Err(format!(
                "{} holds record files but no {LEDGER_NAME}: a NATS server needs an output directory of its own",
                out.display()
            ));
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut recovered = Recovered::default();
        let mut ends: HashMap<PathBuf, u64> = HashMap::new();
        let mut whole = 0u64;
        let mut reader = BufReader::new(&mut file);
        let mut text = String::new();
        let mut number = 0u64;
        loop {
            text.clear();
            let n = reader.read_line(&mut text).map_err(|e| format!("{}: line {}: {e}", path.display(), number + 1))?;
            if n == 0 || !text.ends_with('\n') {
                // The end, or a line torn by a crash (never fsync'd whole).
                break;
            }
            number += 1;
            match parse_line(text.trim_end()) {
                Some(Line::Batch(b)) => {
                    recovered.batches += 1;
                    restore(b);
                }
                Some(Line::File(len, rel)) => {
                    ends.insert(out.join(rel), len);
                }
                None => {
                    return Err(format!("{}: line {number} (byte {whole}) is not a ledger line", path.display()));
                }
            }
            whole += n as u64;
        }
        drop(reader);
        // Drop a torn tail so that the next line starts on its own.
        file.set_len(whole).map_err(|e| format!("cannot cut {} back: {e}", path.display()))?;
        file.seek(io::SeekFrom::End(0)).map_err(|e| format!("{}: {e}", path.display()))?;
        for f in files {
            match ends.get(&f) {
                Some(&len) => {
                    if std::fs::metadata(&f).is_ok_and(|m| m.len() > len) {
                        cut_back(&f, len)
                            .map_err(|e| format!("cannot cut {} back to {len} bytes: {e}", f.display()))?;
                        recovered.files_cut += 1;
                    }
                }
                None => {
                    std::fs::remove_file(&f).map_err(|e| format!("cannot remove {}: {e}", f.display()))?;
                    recovered.files_removed += 1;
                }
            }
        }
        Ok((Ledger { file, out: out.to_owned(), line: String::new() }, recovered))
    }

    /// Appends the batches of a group and the ends of the files they went
    /// to, and fsyncs: once this returns, they may be acknowledged.
    pub fn commit(&mut self, batches: &[LoggedBatch], files: &[(PathBuf, u64)]) -> io::Result<()> {
        use std::fmt::Write as _;
        self.line.clear();
        for b in batches {
            let _ = writeln!(
                self.line,
                "B {} {} {} {} {}",
                super::hex(&b.sensor),
                b.run_id,
                b.run_started,
                b.type_name,
                b.seq
            );
        }
        for (path, len) in files {
            let rel = path.strip_prefix(&self.out).unwrap_or(path);
            let _ = writeln!(self.line, "F {len} {}", rel.display());
        }
        if self.line.is_empty() {
            return Ok(());
        }
        self.file.write_all(self.line.as_bytes())?;
        self.file.sync_data()
    }
}

fn cut_back(path: &Path, len: u64) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}

enum Line {
    Batch(LoggedBatch),
    File(u64, String),
}

fn parse_line(line: &str) -> Option<Line> {
    let mut parts = line.splitn(6, ' ');
    match parts.next()? {
        "B" => {
            let sensor = super::parse_hex_key(parts.next()?).ok()?;
            let run_id = parts.next()?.parse().ok()?;
            let run_started = parts.next()?.parse().ok()?;
            let type_name = parts.next()?.to_string();
            let seq = parts.next()?.parse().ok()?;
            Some(Line::Batch(LoggedBatch { sensor, run_id, run_started, type_name, seq }))
        }
        "F" => {
            let len = parts.next()?.parse().ok()?;
            let rest: Vec<&str> = parts.collect();
            let rel = rest.join(" ");
            // Only `<client id>/<file>`, never a way out of the directory.
            let (dir, name) = rel.split_once('/')?;
            (super::valid_client_id(dir) && !name.contains('/') && name.ends_with(".ncap.gz"))
                .then_some(Line::File(len, rel))
        }
        _ => None,
    }
}

/// `<client id>/*.ncap.gz` under `out`.
fn record_files(out: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = match std::fs::read_dir(out) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if !entry.file_type()?.is_dir() || !name.to_str().is_some_and(super::valid_client_id) {
            continue;
        }
        for file in std::fs::read_dir(entry.path())? {
            let file = file?;
            if file.file_type()?.is_file() && file.file_name().to_str().is_some_and(|n| n.ends_with(".ncap.gz")) {
                files.push(file.path());
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("netcap-ledger-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    fn batch(seq: u64) -> LoggedBatch {
        LoggedBatch { sensor: [7; KEY_LEN], run_id: 9, run_started: -3, type_name: "TCP".into(), seq }
    }

    #[test]
    fn a_crash_is_undone_files_cut_back_torn_lines_dropped_unlogged_files_removed() {
        let out = temp_dir("crash");
        let (mut ledger, recovered) = Ledger::open(&out, |_| {}).expect("new ledger");
        assert_eq!(recovered.batches, 0);
        std::fs::create_dir_all(out.join("s1")).expect("dir");
        let tcp = out.join("s1/TCP.ncap.gz");
        std::fs::write(&tcp, b"0123456789").expect("file");
        ledger.commit(&[batch(0), batch(1)], &[(tcp.clone(), 10)]).expect("commit");
        // After the commit: more records, a new file, half a ledger line.
        std::fs::write(&tcp, b"0123456789abc").expect("file");
        std::fs::write(out.join("s1/UDP.ncap.gz"), b"xyz").expect("file");
        drop(ledger);
        let mut f = OpenOptions::new().append(true).open(out.join(LEDGER_NAME)).expect("ledger");
        f.write_all(b"B 0707").expect("torn");
        drop(f);

        let mut restored = Vec::new();
        let (mut ledger, recovered) = Ledger::open(&out, |b| restored.push(b)).expect("reopen");
        assert_eq!(restored, vec![batch(0), batch(1)]);
        assert_eq!(recovered.batches, 2);
        assert_eq!((recovered.files_cut, recovered.files_removed), (1, 1));
        assert_eq!(std::fs::read(&tcp).expect("tcp"), b"0123456789");
        assert!(!out.join("s1/UDP.ncap.gz").exists());
        ledger.commit(&[batch(2)], &[]).expect("commit after the torn line");
        drop(ledger);
        let mut restored = Vec::new();
        let (_, recovered) = Ledger::open(&out, |b| restored.push(b)).expect("reopen");
        assert_eq!(restored, vec![batch(0), batch(1), batch(2)]);
        assert_eq!(recovered.batches, 3);
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn foreign_directories_and_bad_lines_are_refused() {
        let out = temp_dir("foreign");
        std::fs::create_dir_all(out.join("s1")).expect("dir");
        std::fs::write(out.join("s1/TCP.ncap.gz"), b"x").expect("file");
        assert!(Ledger::open(&out, |_| {}).err().is_some_and(|e| e.contains("no @nats.ledger")));
        std::fs::write(out.join(LEDGER_NAME), "F 1 ../../etc/passwd.ncap.gz\n").expect("ledger");
        assert!(Ledger::open(&out, |_| {}).err().is_some_and(|e| e.contains("line 1")));
        let _ = std::fs::remove_dir_all(&out);
    }
}

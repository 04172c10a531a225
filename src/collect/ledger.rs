//! The NATS server's ledger: what it wrote, kept on disk in its output
//! directory, so that a crash loses nothing and duplicates nothing.
//!
//! A batch is acknowledged to JetStream only after its records are in
//! their file, the fleet's claims ([`super::claims`]) say this server
//! wrote it, and the ledger says so (each step fsync'd or acknowledged
//! before the next). The ledger is a text file of lines:
//!
//! ```text
//! I <server id>                                               this server's name in the claims (first line)
//! B <sensor key hex> <run id> <run started ns> <Type> <seq>   a batch written in the open group
//! F <length> <path relative to the output directory>          a file's end after the open group
//! G                                                           the open group is written whole: it may be claimed
//! C                                                           the open group is committed: all claimed, may be acknowledged
//! A                                                           the open group is dropped: its files are cut back
//! ```
//!
//! A group is the lines since the last `C` or `A`; its `B`, `F` and `G`
//! lines reach the disk with one write and one fsync. At a start,
//! [`Ledger::open`] reads it back: the committed groups' `B` lines rebuild
//! the replay state (a redelivered batch, or a replay of one from before
//! the restart, is then a duplicate), and every record file is cut back to
//! its last recorded length; a file no line names is removed. What the
//! server died in the middle of comes back in [`Recovered`]: a group
//! written whole but not committed (the [`tail`](Recovered::tail), kept
//! on disk: the caller claims it, then commits or aborts it), and the
//! batches of groups aborted since the last commit (the
//! [`aborted`](Recovered::aborted): the caller releases their claims,
//! which it may not have done before it died). A group not written whole
//! is aborted at once. Unacknowledged batches are handed out again by
//! JetStream. Each batch ends a whole gzip member
//! ([`RecordWriter::append_members`](crate::container::RecordWriter::append_members)),
//! so every recorded length ends a readable file.
//!
//! A ledger written before `I`/`C`/`A` lines existed (every group of it
//! was acknowledged) reads as committed line by line up to its first `I`.
//!
//! The ledger grows by about 100 bytes per batch and is read line by line
//! at a start (not compacted).

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
    /// Batches of committed groups (each handed to `restore` in the order
    /// they were written, never all held at once).
    pub batches: u64,
    /// The group the server died in, written whole but not committed: its
    /// records are kept; the caller claims the batches, then
    /// [`commit`](Ledger::commit)s or [`abort`](Ledger::abort)s it.
    pub tail: Vec<LoggedBatch>,
    /// Batches of groups aborted since the last commit, whose claims the
    /// server may not have released before it died.
    pub aborted: Vec<LoggedBatch>,
    /// Record files cut back to their committed end.
    pub files_cut: usize,
    /// Record files removed (created by an uncommitted group).
    pub files_removed: usize,
}

/// Batches one open group may name: far more than any `-nats-batch`.
const MAX_GROUP: usize = 1 << 20;

/// The open ledger of an output directory.
pub struct Ledger {
    file: File,
    out: PathBuf,
    line: String,
    owner: String,
    /// Every record file's end as of the last committed group.
    committed: HashMap<PathBuf, u64>,
    /// Ends of the open group's files.
    open_group: HashMap<PathBuf, u64>,
}

/// The ledger as read so far (see [`Ledger::open`]).
#[derive(Default)]
struct Reading {
    owner: Option<String>,
    committed: HashMap<PathBuf, u64>,
    group: Vec<LoggedBatch>,
    group_ends: HashMap<PathBuf, u64>,
    /// The open group's `G` line was read.
    group_whole: bool,
    aborted: Vec<LoggedBatch>,
    batches: u64,
}

impl Reading {
    fn commit(&mut self, restore: &mut impl FnMut(LoggedBatch)) {
        self.batches += self.group.len() as u64;
        self.group.drain(..).for_each(&mut *restore);
        self.committed.extend(self.group_ends.drain());
        self.group_whole = false;
        self.aborted.clear();
    }

    fn abort(&mut self) {
        self.aborted.append(&mut self.group);
        self.group_ends.clear();
        self.group_whole = false;
    }
}

impl Ledger {
    /// Opens (or creates) `out`'s ledger, hands every committed batch to
    /// `restore`, and repairs the record files as the module doc says. A
    /// new ledger in a directory that already holds record files is
    /// refused: they are not this server's, and repairing would remove
    /// them.
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
        let mut r = Reading::default();
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
            let bad = || format!("{}: line {number} (byte {whole}) is not a ledger line", path.display());
            match parse_line(text.trim_end()).ok_or_else(bad)? {
                Line::Owner(id) if r.owner.is_none() => r.owner = Some(id),
                Line::Owner(_) => return Err(format!("{}: line {number}: a second server id", path.display())),
                Line::Batch(_) | Line::File(..) if r.group_whole => {
                    return Err(format!("{}: line {number}: a group goes on after its end", path.display()));
                }
                Line::Batch(b) => {
                    if r.group.len() + r.aborted.len() >= MAX_GROUP {
                        return Err(format!("{}: line {number}: over {MAX_GROUP} uncommitted batches", path.display()));
                    }
                    r.group.push(b);
                }
                Line::File(len, rel) => {
                    r.group_ends.insert(out.join(rel), len);
                }
                Line::Whole => r.group_whole = true,
                Line::Commit => r.commit(&mut restore),
                Line::Abort => r.abort(),
            }
            if r.owner.is_none() {
                // A ledger from before groups: every line was acknowledged.
                r.commit(&mut restore);
            }
            whole += n as u64;
        }
        drop(reader);
        // Drop a torn tail so that the next line starts on its own.
        file.set_len(whole).map_err(|e| format!("cannot cut {} back: {e}", path.display()))?;
        file.seek(io::SeekFrom::End(0)).map_err(|e| format!("{}: {e}", path.display()))?;
        // A group cut short by the crash was never claimed: drop it.
        let torn_group = !r.group_whole && (!r.group.is_empty() || !r.group_ends.is_empty());
        if torn_group {
            r.abort();
            file.write_all(b"A\n")
                .and_then(|()| file.sync_data())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        let mut recovered = Recovered {
            batches: r.batches,
            tail: std::mem::take(&mut r.group),
            aborted: std::mem::take(&mut r.aborted),
            ..Default::default()
        };
        for f in files {
            match r.group_ends.get(&f).or_else(|| r.committed.get(&f)) {
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
        let owner = match r.owner {
            Some(id) => id,
            None => {
                let id = new_server_id();
                let line = format!("I {id}\n");
                file.write_all(line.as_bytes())
                    .and_then(|()| file.sync_data())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                id
            }
        };
        let ledger = Ledger {
            file,
            out: out.to_owned(),
            line: String::new(),
            owner,
            committed: r.committed,
            open_group: r.group_ends,
        };
        Ok((ledger, recovered))
    }

    /// This server's name in the fleet's claims: the same across restarts.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Appends the batches written into the open group and the ends of
    /// the files they went to, and fsyncs: the group may now be claimed.
    pub fn write_group(&mut self, batches: &[LoggedBatch], files: &[(PathBuf, u64)]) -> io::Result<()> {
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
            self.open_group.insert(path.clone(), *len);
        }
        if self.line.is_empty() {
            return Ok(());
        }
        self.line.push_str("G\n");
        self.append()
    }

    /// Commits the open group (all of it claimed by this server): once
    /// this returns, its batches may be acknowledged. Not fsync'd: a
    /// commit lost in a crash is made again at the next start, where the
    /// group comes back as the tail and its claims are all this server's.
    pub fn commit(&mut self) -> io::Result<()> {
        self.file.write_all(b"C\n")?;
        self.committed.extend(self.open_group.drain());
        Ok(())
    }

    /// Drops the open group: says so in the ledger, then cuts each of its
    /// files back to its committed end (removing one the group created).
    /// A crash in between is undone the same way at the next start. The
    /// caller then releases the group's claims (the next start does it too,
    /// from [`Recovered::aborted`]).
    pub fn abort(&mut self) -> io::Result<()> {
        self.line.clear();
        self.line.push_str("A\n");
        self.append()?;
        for (path, _) in self.open_group.drain() {
            match self.committed.get(&path) {
                Some(&len) => cut_back(&path, len)?,
                None => match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                },
            }
        }
        Ok(())
    }

    fn append(&mut self) -> io::Result<()> {
        self.file.write_all(self.line.as_bytes())?;
        self.file.sync_data()
    }
}

/// A server id unlikely to repeat in a fleet: random, from the OS.
fn new_server_id() -> String {
    use crypto_box::aead::rand_core::RngCore;
    format!("{:016x}", crypto_box::aead::OsRng.next_u64())
}

fn cut_back(path: &Path, len: u64) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}

enum Line {
    Owner(String),
    Batch(LoggedBatch),
    File(u64, String),
    Whole,
    Commit,
    Abort,
}

fn parse_line(line: &str) -> Option<Line> {
    let mut parts = line.splitn(6, ' ');
    let line = match parts.next()? {
        "I" => {
            let id = parts.next()?;
            (!id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
                .then(|| Line::Owner(id.to_string()))?
        }
        "G" => Line::Whole,
        "C" => Line::Commit,
        "A" => Line::Abort,
        "B" => {
            let sensor = super::parse_hex_key(parts.next()?).ok()?;
            let run_id = parts.next()?.parse().ok()?;
            let run_started = parts.next()?.parse().ok()?;
            let type_name = parts.next()?.to_string();
            let seq = parts.next()?.parse().ok()?;
            Line::Batch(LoggedBatch { sensor, run_id, run_started, type_name, seq })
        }
        "F" => {
            let len = parts.next()?.parse().ok()?;
            let rest: Vec<&str> = parts.collect();
            let rel = rest.join(" ");
            // Only `<client id>/<file>`, never a way out of the directory.
            let (dir, name) = rel.split_once('/')?;
            (super::valid_client_id(dir) && !name.contains('/') && name.ends_with(".ncap.gz"))
                .then_some(Line::File(len, rel))?
        }
        _ => return None,
    };
    Some(line)
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

    /// `write_group` then `commit`.
    fn committed(ledger: &mut Ledger, batches: &[LoggedBatch], files: &[(PathBuf, u64)]) {
        ledger.write_group(batches, files).expect("group");
        ledger.commit().expect("commit");
    }

    #[test]
    fn a_crash_is_undone_files_cut_back_torn_lines_dropped_unlogged_files_removed() {
        let out = temp_dir("crash");
        let (mut ledger, recovered) = Ledger::open(&out, |_| {}).expect("new ledger");
        assert_eq!(recovered.batches, 0);
        let owner = ledger.owner().to_string();
        assert_eq!(owner.len(), 16);
        std::fs::create_dir_all(out.join("s1")).expect("dir");
        let tcp = out.join("s1/TCP.ncap.gz");
        std::fs::write(&tcp, b"0123456789").expect("file");
        committed(&mut ledger, &[batch(0), batch(1)], &[(tcp.clone(), 10)]);
        // After the commit: more records, a new file, half a ledger line.
        std::fs::write(&tcp, b"0123456789abc").expect("file");
        std::fs::write(out.join("s1/UDP.ncap.gz"), b"xyz").expect("file");
        drop(ledger);
        let mut f = OpenOptions::new().append(true).open(out.join(LEDGER_NAME)).expect("ledger");
        f.write_all(b"B 0707").expect("torn");
        drop(f);

        let mut restored = Vec::new();
        let (mut ledger, recovered) = Ledger::open(&out, |b| restored.push(b)).expect("reopen");
        assert_eq!(ledger.owner(), owner, "the server id survives a restart");
        assert_eq!(restored, vec![batch(0), batch(1)]);
        assert_eq!(recovered.batches, 2);
        assert!(recovered.tail.is_empty());
        assert_eq!((recovered.files_cut, recovered.files_removed), (1, 1));
        assert_eq!(std::fs::read(&tcp).expect("tcp"), b"0123456789");
        assert!(!out.join("s1/UDP.ncap.gz").exists());
        committed(&mut ledger, &[batch(2)], &[]);
        drop(ledger);
        let mut restored = Vec::new();
        let (_, recovered) = Ledger::open(&out, |b| restored.push(b)).expect("reopen");
        assert_eq!(restored, vec![batch(0), batch(1), batch(2)]);
        assert_eq!(recovered.batches, 3);
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn a_group_written_whole_is_the_tail_aborted_groups_are_named_until_a_commit() {
        let out = temp_dir("tail");
        let (mut ledger, _) = Ledger::open(&out, |_| {}).expect("new ledger");
        std::fs::create_dir_all(out.join("s1")).expect("dir");
        let tcp = out.join("s1/TCP.ncap.gz");
        let udp = out.join("s1/UDP.ncap.gz");
        std::fs::write(&tcp, b"0123").expect("file");
        committed(&mut ledger, &[batch(0)], &[(tcp.clone(), 4)]);
        // A group written whole, then the server dies before it is committed
        // (and after writing more records into one of its files).
        std::fs::write(&tcp, b"012345??").expect("file");
        std::fs::write(&udp, b"xy").expect("file");
        ledger.write_group(&[batch(1), batch(2)], &[(tcp.clone(), 6), (udp.clone(), 2)]).expect("group");
        drop(ledger);

        let mut restored = Vec::new();
        let (mut ledger, recovered) = Ledger::open(&out, |b| restored.push(b)).expect("reopen");
        assert_eq!(restored, vec![batch(0)], "an uncommitted batch is not in the replay state");
        assert_eq!(recovered.tail, vec![batch(1), batch(2)]);
        assert!(recovered.aborted.is_empty());
        assert_eq!((recovered.files_cut, recovered.files_removed), (1, 0));
        assert_eq!(std::fs::read(&tcp).expect("tcp"), b"012345", "the tail's records stay");
        // Another server had claimed it: the group goes.
        ledger.abort().expect("abort");
        assert_eq!(std::fs::read(&tcp).expect("tcp"), b"0123");
        assert!(!udp.exists());
        drop(ledger);

        // Died before releasing the claims: the next start names the batches.
        let (ledger, recovered) = Ledger::open(&out, |_| {}).expect("reopen");
        assert!(recovered.tail.is_empty());
        assert_eq!(recovered.aborted, vec![batch(1), batch(2)]);
        // A group cut short by a crash (no G line) is aborted at the start.
        std::fs::write(&tcp, b"0123ab").expect("file");
        drop(ledger);
        let key = super::super::hex(&[7; KEY_LEN]);
        let mut f = OpenOptions::new().append(true).open(out.join(LEDGER_NAME)).expect("ledger");
        f.write_all(format!("B {key} 9 -3 TCP 3\nF 6 s1/TCP.ncap.gz\n").as_bytes()).expect("torn group");
        drop(f);
        let (mut ledger, recovered) = Ledger::open(&out, |_| {}).expect("reopen");
        assert!(recovered.tail.is_empty());
        assert_eq!(recovered.aborted, vec![batch(1), batch(2), batch(3)]);
        assert_eq!(std::fs::read(&tcp).expect("tcp"), b"0123");

        // The tail claimed whole by this server is committed at the start.
        std::fs::write(&tcp, b"0123cd").expect("file");
        ledger.write_group(&[batch(3)], &[(tcp.clone(), 6)]).expect("group");
        drop(ledger);
        let (mut ledger, recovered) = Ledger::open(&out, |_| {}).expect("reopen");
        assert_eq!(recovered.tail, vec![batch(3)]);
        ledger.commit().expect("commit");
        drop(ledger);
        let mut restored = Vec::new();
        let (_, recovered) = Ledger::open(&out, |b| restored.push(b)).expect("reopen");
        assert_eq!(restored, vec![batch(0), batch(3)]);
        assert!(recovered.tail.is_empty() && recovered.aborted.is_empty());
        assert_eq!((recovered.files_cut, recovered.files_removed), (0, 0));
        assert_eq!(std::fs::read(&tcp).expect("tcp"), b"0123cd");
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn a_ledger_from_before_groups_reads_as_committed() {
        let out = temp_dir("legacy");
        std::fs::create_dir_all(out.join("s1")).expect("dir");
        std::fs::write(out.join("s1/TCP.ncap.gz"), b"0123456").expect("file");
        let key = super::super::hex(&[7; KEY_LEN]);
        std::fs::write(out.join(LEDGER_NAME), format!("B {key} 9 -3 TCP 0\nF 5 s1/TCP.ncap.gz\n")).expect("ledger");
        let mut restored = Vec::new();
        let (ledger, recovered) = Ledger::open(&out, |b| restored.push(b)).expect("open");
        assert_eq!(restored, vec![batch(0)]);
        assert!(recovered.tail.is_empty());
        assert_eq!(std::fs::read(out.join("s1/TCP.ncap.gz")).expect("tcp"), b"01234");
        let owner = ledger.owner().to_string();
        drop(ledger);
        let (ledger, _) = Ledger::open(&out, |_| {}).expect("reopen");
        assert_eq!(ledger.owner(), owner);
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

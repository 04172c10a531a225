//! Streaming reader for pcap (µs and ns, either byte order) and pcapng
//! (any number of sections and interfaces, each with its own link type
//! and timestamp resolution), plain, gzip- or zstd-compressed.

use super::dump::{DumpFormat, InterfaceNames};
use super::{InputProgress, PacketBatch, PacketSource, ReadWarning};
use crate::compress::{self, Compression, InputPosition};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{PcapBlockOwned, PcapError};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const INITIAL_BUFFER: usize = 1 << 20;
/// Largest block we grow the read buffer for. Real packets are at most a
/// few hundred KiB; a larger length field is corruption.
const MAX_BLOCK: usize = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcap,
    PcapNg,
}

#[derive(Debug)]
pub enum OpenError {
    /// The file could not be opened or read.
    Io(PathBuf, io::Error),
    /// The file is neither pcap nor pcapng.
    NotCapture(PathBuf),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
            OpenError::NotCapture(p) => write!(f, "not a pcap or pcapng file: {}", p.display()),
        }
    }
}

impl std::error::Error for OpenError {}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: u32,
    /// Timestamp units per second.
    units_per_sec: u64,
    /// if_tsoffset: seconds added to every timestamp.
    offset_secs: i64,
}

/// Reads packets from a capture file.
pub struct CaptureReader {
    inner: Box<dyn PcapReaderIterator + Send>,
    path: PathBuf,
    state: FormatState,
    /// Bytes of the (decompressed) capture consumed so far.
    offset: u64,
    /// Size of pcap-parser's read buffer (it does not tell).
    capacity: usize,
    finished: bool,
    /// Bytes of the file read (compressed bytes of a compressed one) and
    /// its size, for the progress bar; None when not opened from a file.
    progress: Option<InputProgress>,
    /// A compressed file's decoder position and last error, so that a
    /// truncated or corrupt `.pcap.gz` says where its compressed bytes end.
    compressed: Option<(Compression, Arc<InputPosition>)>,
}

/// What the headers seen so far say about the packets that follow.
#[derive(Default)]
struct FormatState {
    format: Option<CaptureFormat>,
    pcap_link: u32,
    pcap_nanos: bool,
    interfaces: Vec<Interface>,
    /// The interfaces' names, shared with pcapng dumps.
    names: InterfaceNames,
    ns_seen: bool,
    /// The current pcapng section has a major version other than 1: its
    /// blocks are skipped up to the next section header, as the pcapng
    /// specification asks of a reader that does not know the version.
    skip_section: bool,
}

impl CaptureReader {
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let io_err = |e| OpenError::Io(path.to_owned(), e);
        let file = File::open(path).map_err(io_err)?;
        let progress = InputProgress::new(file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len()));
        let counted = Counted { inner: file, progress: progress.clone() };
        let file = BufReader::with_capacity(1 << 16, counted);
        let (src, kind, position) = compress::decompressed(file).map_err(io_err)?;
        let mut r = match (Self::from_reader(src, path), &position) {
            // Cut or damaged before the first block: say so, not "not a capture".
            (Err(e), Some(_)) => return Err(compressed_open_error(path).unwrap_or(e)),
            (r, _) => r?,
        };
        r.compressed = position.map(|p| (kind, p));
        r.progress = progress;
        Ok(r)
    }

    pub fn from_reader(src: Box<dyn Read + Send>, path: &Path) -> Result<Self, OpenError> {
        let inner = match pcap_parser::create_reader(INITIAL_BUFFER, src) {
            Ok(r) => r,
            Err(PcapError::ReadError) => return Err(OpenError::Io(path.to_owned(), io::Error::other("read failed"))),
            Err(_) => return Err(OpenError::NotCapture(path.to_owned())),
        };
        let mut r = CaptureReader {
            inner,
            path: path.to_owned(),
            state: FormatState::default(),
            offset: 0,
            capacity: INITIAL_BUFFER,
            finished: false,
            progress: None,
            compressed: None,
        };
        // Read up to the first packet so that format, link types and
        // timestamp resolution are known before any output is written.
        r.prime()?;
        Ok(r)
    }

    fn prime(&mut self) -> Result<(), OpenError> {
        // The first block is the pcap header or the pcapng section header.
        match self.inner.next() {
            Ok((n, block)) => {
                self.state.note_block(&block);
                self.inner.consume(n);
                self.offset += n as u64;
            }
            Err(_) => return Err(OpenError::NotCapture(self.path.clone())),
        }
        Ok(())
    }

    pub fn format(&self) -> CaptureFormat {
        self.state.format.unwrap_or(CaptureFormat::Pcap)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Link type of a pcap file (pcapng: of its first interface, if known).
    pub fn link_type(&self) -> u32 {
        match self.format() {
            CaptureFormat::Pcap => self.state.pcap_link,
            CaptureFormat::PcapNg => self.state.interfaces.first().map_or(1, |i| i.link_type),
        }
    }

    /// 9 when the capture has nanosecond (or finer) timestamps, else 6.
    pub fn timestamp_digits(&self) -> u32 {
        if self.state.pcap_nanos || self.state.ns_seen {
            9
        } else {
            6
        }
    }

    /// Link type and units-per-second of each pcapng interface seen so far.
    pub fn interfaces(&self) -> Vec<(u32, u64)> {
        self.state.interfaces.iter().map(|i| (i.link_type, i.units_per_sec)).collect()
    }

    /// Appends packets to `batch` until it holds `max_packets` or
    /// `max_bytes`. Returns `Ok(false)` once the capture has ended; a
    /// corrupt or truncated tail ends it with a warning instead.
    pub fn fill(&mut self, batch: &mut PacketBatch, max_packets: usize, max_bytes: usize) -> Result<bool, ReadWarning> {
        while !self.finished && batch.len() < max_packets && batch.byte_len() < max_bytes {
            if let Err(w) = self.next_into(batch) {
                self.finished = true;
                return Err(w);
            }
        }
        Ok(!self.finished)
    }

    fn warning(&self, message: String) -> ReadWarning {
        ReadWarning { offset: self.offset, message: format!("{}: {message}", self.path.display()) }
    }

    /// pcap-parser reports a failed read as just "read error": say what
    /// failed and where — for compressed input, the decoder's reason and
    /// how far into the file it got (the end of a truncated download).
    fn read_error(&self) -> ReadWarning {
        match &self.compressed {
            Some((kind, p)) => self.warning(format!(
                "{}, after {} bytes of capture data; stopping",
                compressed_end(*kind, p),
                self.offset
            )),
            None => self.warning(format!("read error at byte offset {}; stopping", self.offset)),
        }
    }

    /// Reads one block; a packet block goes into `batch`.
    fn next_into(&mut self, batch: &mut PacketBatch) -> Result<(), ReadWarning> {
        loop {
            let need = match self.inner.next() {
                Ok((n, block)) => {
                    if !self.state.push_packet(&block, batch) {
                        self.state.note_block(&block);
                    }
                    // `consume` moves what is left to the front of the buffer once
                    // half of it is read: every byte of the capture moved once more.
                    // Without the shift, `refill` moves only the cut-off tail block.
                    self.inner.consume_noshift(n);
                    self.offset += n as u64;
                    return Ok(());
                }
                Err(PcapError::Eof) => {
                    self.finished = true;
                    return Ok(());
                }
                Err(PcapError::Incomplete(_)) => Need::Data,
                Err(PcapError::BufferTooSmall) => Need::Room,
                Err(PcapError::UnexpectedEof) => {
                    return Err(self.warning(format!("truncated last packet at byte offset {} ignored", self.offset)));
                }
                Err(e) => {
                    let kind = match e {
                        PcapError::ReadError => return Err(self.read_error()),
                        PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => {
                            format!("malformed block ({k:?})")
                        }
                        _ => "malformed data".to_string(),
                    };
                    return Err(self.warning(format!("{kind} at byte offset {}; stopping", self.offset)));
                }
            };
            // "Incomplete" with a full buffer (a parser that cannot say how
            // much it needs): refill would read nothing and we would spin,
            // so grow as for BufferTooSmall.
            if matches!(need, Need::Data) && self.inner.data().len() < self.capacity {
                if self.inner.refill().is_err() {
                    return Err(self.read_error());
                }
                continue;
            }
            // Double the buffer. Not from the bytes it holds: a short read
            // (gzip input) leaves it part full, and doubling that would not
            // grow it at all.
            let size = self.capacity.saturating_mul(2);
            if size > MAX_BLOCK || !self.inner.grow(size) {
                return Err(self.warning(format!(
                    "block at byte offset {} is larger than {MAX_BLOCK} bytes; stopping",
                    self.offset
                )));
            }
            self.capacity = size;
            if self.inner.refill().is_err() {
                return Err(self.read_error());
            }
        }
    }
}

/// Why a compressed file that did not open as a capture failed, when its
/// decompression did: pcap-parser stops at the first short read, so the
/// file is read again (at most 1 MiB of content) to see whether the
/// compressed stream itself is cut short or damaged.
fn compressed_open_error(path: &Path) -> Option<OpenError> {
    let file = BufReader::with_capacity(1 << 16, File::open(path).ok()?);
    let (src, kind, position) = compress::decompressed(file).ok()?;
    let position = position?;
    io::copy(&mut src.take(1 << 20), &mut io::sink()).err()?;
    Some(OpenError::Io(path.to_owned(), io::Error::other(compressed_end(kind, &position))))
}

/// Where and why a compressed capture stopped decompressing.
fn compressed_end(kind: Compression, p: &InputPosition) -> String {
    format!(
        "{} input ends or is damaged at compressed byte offset {} ({})",
        kind.name(),
        p.consumed(),
        p.last_error().unwrap_or_else(|| "read failed".into())
    )
}

impl FormatState {
    fn note_block(&mut self, block: &PcapBlockOwned) {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                self.format = Some(CaptureFormat::Pcap);
                self.pcap_link = pcap_link_type(h.network.0 as u32);
                self.pcap_nanos = h.is_nanosecond_precision();
            }
            PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                self.skip_section = shb.major_version != 1;
                // A new section starts a new interface list.
                self.format = Some(CaptureFormat::PcapNg);
                self.interfaces.clear();
                if let Ok(mut names) = self.names.lock() {
                    names.clear();
                }
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(_)) if self.skip_section => {}
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                let units = ts_units_per_sec(idb.if_tsresol).unwrap_or(1_000_000);
                // Finer than µs, or a binary fraction that µs cannot show exactly.
                if units > 1_000_000 || (units.is_power_of_two() && units > 64) {
                    self.ns_seen = true;
                }
                if let Ok(mut names) = self.names.lock() {
                    names.push(idb.if_name().and_then(Result::ok).unwrap_or_default().to_owned());
                }
                self.interfaces.push(Interface {
                    link_type: idb.linktype.0 as u32,
                    units_per_sec: units.max(1),
                    offset_secs: idb.if_tsoffset,
                });
            }
            _ => {}
        }
    }

    fn push_packet(&mut self, block: &PcapBlockOwned, batch: &mut PacketBatch) -> bool {
        match block {
            PcapBlockOwned::NG(Block::EnhancedPacket(_) | Block::SimplePacket(_)) if self.skip_section => true,
            PcapBlockOwned::Legacy(b) => {
                let frac = i64::from(b.ts_usec);
                let ns = if self.pcap_nanos { frac } else { frac * 1000 };
                let ts = i64::from(b.ts_sec) * 1_000_000_000 + ns;
                let data = b.data.get(..b.caplen as usize).unwrap_or(b.data);
                batch.push(ts, self.pcap_link, 0, b.origlen, data);
                true
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                let iface = self.interfaces.get(epb.if_id as usize).copied();
                let (link, units, offset) = match iface {
                    Some(i) => (i.link_type, i.units_per_sec, i.offset_secs),
                    // An EPB naming a missing interface: keep the packet,
                    // under a link type nothing decodes, so it lands in unknown.pcap.
                    None => (u32::MAX, 1_000_000, 0),
                };
                let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let ts = to_nanos(raw, units, offset);
                batch.push(ts, link, epb.if_id, epb.origlen, epb.packet_data());
                true
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                // SPBs have no timestamp and belong to interface 0.
                let link = self.interfaces.first().map_or(u32::MAX, |i| i.link_type);
                batch.push(0, link, 0, spb.origlen, spb.packet_data());
                true
            }
            PcapBlockOwned::NG(Block::Custom(_) | Block::SystemdJournalExport(_)) => {
                batch.skip_frame();
                false
            }
            _ => false,
        }
    }
}

impl PacketSource for CaptureReader {
    fn fill(&mut self, batch: &mut PacketBatch, max_packets: usize, max_bytes: usize) -> Result<bool, ReadWarning> {
        CaptureReader::fill(self, batch, max_packets, max_bytes)
    }

    fn timestamp_digits(&self) -> u32 {
        CaptureReader::timestamp_digits(self)
    }

    fn dump_format(&self) -> DumpFormat {
        match self.format() {
            CaptureFormat::Pcap => {
                DumpFormat::Pcap { link_type: self.link_type(), nanos: self.timestamp_digits() == 9 }
            }
            CaptureFormat::PcapNg => DumpFormat::PcapNg { names: self.state.names.clone() },
        }
    }

    fn progress(&self) -> Option<InputProgress> {
        self.progress.clone()
    }
}

/// A file that counts the bytes read from it into an [`InputProgress`].
struct Counted {
    inner: File,
    progress: Option<InputProgress>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = &self.progress {
            p.add(n as u64);
        }
        Ok(n)
    }
}

/// The link type of a pcap file header's "LinkType and additional
/// information" word: its low 16 bits. The high bits carry the FCS length
/// (bits 28-31, with its presence flag in bit 26), which tcpdump's fuzz
/// captures set; libpcap and Wireshark mask them off (LT_LINKTYPE) too.
fn pcap_link_type(network: u32) -> u32 {
    network & 0x0000_ffff
}

/// Timestamp units per second of a pcapng `if_tsresol` option: 10^n, or
/// 2^n when the high bit is set. (pcap-parser's `build_ts_resolution`
/// rejects every base-2 value: it range-checks the byte with the flag bit
/// still set.) `None` for resolutions that do not fit a u64.
fn ts_units_per_sec(tsresol: u8) -> Option<u64> {
    let exp = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(exp)
    } else {
        1u64.checked_shl(exp).filter(|_| exp < 64)
    }
}

/// What an unfinished block needs before it can be parsed.
enum Need {
    /// More bytes read into the buffer.
    Data,
    /// A larger buffer.
    Room,
}

/// Converts a pcapng timestamp to nanoseconds without overflow.
fn to_nanos(raw: u64, units_per_sec: u64, offset_secs: i64) -> i64 {
    let secs = raw / units_per_sec;
    let frac = raw % units_per_sec;
    let frac_ns = (u128::from(frac) * 1_000_000_000 / u128::from(units_per_sec)) as i64;
    let secs = i64::try_from(secs).unwrap_or(i64::MAX / 1_000_000_000).saturating_add(offset_secs);
    secs.saturating_mul(1_000_000_000).saturating_add(frac_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian pcapng block: type, total length, body, total length.
    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len()) as u32;
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }

    fn section(major: u16, packet_byte: u8) -> Vec<u8> {
        let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
        shb.extend_from_slice(&major.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        let mut idb = 1u16.to_le_bytes().to_vec(); // Ethernet
        idb.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut epb = vec![0u8; 8]; // interface 0, timestamp high
        epb.extend_from_slice(&1u32.to_le_bytes()); // timestamp low
        epb.extend_from_slice(&4u32.to_le_bytes()); // captured
        epb.extend_from_slice(&4u32.to_le_bytes()); // original
        epb.extend_from_slice(&[packet_byte; 4]);
        let mut out = block(0x0a0d_0d0a, &shb);
        out.extend(block(1, &idb));
        out.extend(block(6, &epb));
        out
    }

    #[test]
    fn sections_of_an_unknown_major_version_are_skipped() {
        // gopacket/pcapgo/tests/*/test901.pcapng: sections of version 1.0, 2.0, 1.0.
        let mut bytes = section(1, 0xa1);
        bytes.extend(section(2, 0xb2));
        bytes.extend(section(1, 0xc3));
        let mut r = CaptureReader::from_reader(Box::new(std::io::Cursor::new(bytes)), Path::new("t.pcapng"))
            .expect("a pcapng file");
        let mut batch = PacketBatch::with_capacity(8, 64);
        while let Ok(true) = r.fill(&mut batch, 8, 1 << 16) {}
        let firsts: Vec<u8> = batch.iter().map(|(_, d)| d[0]).collect();
        assert_eq!(firsts, vec![0xa1, 0xc3]);
    }

    #[test]
    fn binary_timestamp_resolutions() {
        // gopacket/pcapgo/tests/*/test902.pcapng: if_tsresol 0x88, 2^-8 s.
        assert_eq!(ts_units_per_sec(0x88), Some(256));
        assert_eq!(to_nanos(0x5a_8c0d_c032, 256, 0), 1_519_128_000_195_312_500);
        assert_eq!(ts_units_per_sec(6), Some(1_000_000));
        assert_eq!(ts_units_per_sec(9), Some(1_000_000_000));
        assert_eq!(ts_units_per_sec(0x80 | 63), Some(1 << 63));
        assert_eq!(ts_units_per_sec(0x80 | 64), None);
        assert_eq!(ts_units_per_sec(20), None);
    }

    #[test]
    fn pcap_link_type_ignores_fcs_bits() {
        // tcpdump/tests/aarp-heapoverflow-1.pcap: network = 0x30000001.
        assert_eq!(pcap_link_type(0x3000_0001), 1);
        assert_eq!(pcap_link_type(0x0400_0071 | 0x2000_0000), 113);
        assert_eq!(pcap_link_type(276), 276);
    }

    #[test]
    fn tsresol_powers_of_ten_and_two() {
        assert_eq!(ts_units_per_sec(6), Some(1_000_000));
        assert_eq!(ts_units_per_sec(9), Some(1_000_000_000));
        assert_eq!(ts_units_per_sec(19), Some(10_000_000_000_000_000_000));
        assert_eq!(ts_units_per_sec(20), None);
        assert_eq!(ts_units_per_sec(0x80 | 20), Some(1 << 20));
        assert_eq!(ts_units_per_sec(0x80 | 63), Some(1 << 63));
        assert_eq!(ts_units_per_sec(0x80 | 64), None);
        assert_eq!(ts_units_per_sec(0xff), None);
    }

    #[test]
    fn nanos_from_various_resolutions() {
        assert_eq!(to_nanos(1_500_000, 1_000_000, 0), 1_500_000_000);
        assert_eq!(to_nanos(3, 1_000_000_000, 10), 10_000_000_003);
        assert_eq!(to_nanos(1 << 20 | 1 << 19, 1 << 20, 0), 1_500_000_000);
        assert_eq!(to_nanos(u64::MAX, 1, 0), i64::MAX / 1_000_000_000 * 1_000_000_000);
    }

    /// Hands out at most 4 KiB per read, as a gzip decoder often does.
    struct Trickle(io::Cursor<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(4096);
            self.0.read(&mut buf[..n])
        }
    }

    fn pcap_with_packets(sizes: &[usize]) -> Vec<u8> {
        let mut f = Vec::new();
        for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 0x0004_0000 * 256, 1] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        for (i, &n) in sizes.iter().enumerate() {
            for v in [i as u32, 0, n as u32, n as u32] {
                f.extend_from_slice(&v.to_le_bytes());
            }
            f.extend((0..n).map(|b| (b % 251) as u8));
        }
        f
    }

    #[test]
    fn blocks_over_two_mib_read_from_short_reads() {
        // Growing the buffer from the bytes it held (not its size) stalled
        // at 2 MiB when reads came in small pieces: a 3 MiB packet in a
        // gzipped capture ended the read with "larger than 64 MiB".
        let data = pcap_with_packets(&[60, 3 << 20, 60]);
        let src = Box::new(Trickle(io::Cursor::new(data)));
        let mut r = CaptureReader::from_reader(src, Path::new("t")).expect("pcap header");
        let mut batch = PacketBatch::with_capacity(4, 4 << 20);
        while r.fill(&mut batch, 10, 16 << 20).expect("no warning") {}
        let lens: Vec<usize> = batch.iter().map(|(_, b)| b.len()).collect();
        assert_eq!(lens, vec![60, 3 << 20, 60]);
    }

    #[test]
    fn a_block_over_the_limit_stops_the_read() {
        let mut data = pcap_with_packets(&[60]);
        for v in [1u32, 0, 100 << 20, 100 << 20] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        data.extend_from_slice(&[0; 4096]);
        let mut r = CaptureReader::from_reader(Box::new(io::Cursor::new(data)), Path::new("t")).expect("pcap header");
        let mut batch = PacketBatch::with_capacity(4, 4096);
        let mut warning = None;
        loop {
            match r.fill(&mut batch, 10, 1 << 20) {
                Ok(true) => {}
                Ok(false) => break,
                Err(w) => {
                    warning = Some(w);
                    break;
                }
            }
        }
        assert_eq!(batch.len(), 1);
        let w = warning.expect("a warning about the block");
        assert!(w.message.contains("truncated") || w.message.contains("larger than"), "{}", w.message);
    }

    #[test]
    fn buffer_growth_stops_at_max_block() {
        // A 100 MiB record in a long enough file: the buffer doubles up to
        // MAX_BLOCK, then the read stops with a warning instead of growing on.
        let mut head = pcap_with_packets(&[60]);
        for v in [1u32, 0, 100 << 20, 100 << 20] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        let src = Box::new(io::Cursor::new(head).chain(io::repeat(0).take(100 << 20)));
        let mut r = CaptureReader::from_reader(src, Path::new("t")).expect("pcap header");
        let mut batch = PacketBatch::with_capacity(4, 4096);
        let w = loop {
            match r.fill(&mut batch, 10, 1 << 20) {
                Ok(true) => {}
                Ok(false) => panic!("a 100 MiB record must not be read"),
                Err(w) => break w,
            }
        };
        assert_eq!(batch.len(), 1);
        assert!(w.message.contains("larger than"), "{}", w.message);
        assert_eq!(r.capacity, MAX_BLOCK);
    }

    #[test]
    fn garbage_is_not_a_capture() {
        let src = Box::new(io::Cursor::new(b"hello world, this is not a capture file at all".to_vec()));
        assert!(matches!(CaptureReader::from_reader(src, Path::new("t")), Err(OpenError::NotCapture(_))));
        let empty = Box::new(io::Cursor::new(Vec::new()));
        assert!(matches!(CaptureReader::from_reader(empty, Path::new("t")), Err(OpenError::NotCapture(_))));
    }
}

//! Writes packets back out (errors.pcap, unknown.pcap) in the input's
//! format and link type, so Wireshark opens them: pcap with the input's
//! timestamp resolution, or pcapng with one interface per input interface.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Interface names (pcapng `if_name`, empty when none) of the input's
/// current section, by interface number: the reader fills it as it meets
/// interface blocks, always before the packets that use them, so a dump
/// can name its interfaces as the input did.
pub type InterfaceNames = Arc<Mutex<Vec<String>>>;

pub enum DumpFormat {
    /// Classic pcap with this link type; `nanos` selects the ns magic.
    Pcap { link_type: u32, nanos: bool },
    /// pcapng; interfaces are described as packets name them, with the
    /// input's names.
    PcapNg { names: InterfaceNames },
}

impl DumpFormat {
    /// File name extension: a pcapng dump must not be called `.pcap`.
    pub fn extension(&self) -> &'static str {
        match self {
            DumpFormat::Pcap { .. } => "pcap",
            DumpFormat::PcapNg { .. } => "pcapng",
        }
    }
}

/// A packet file created on its first packet, so no empty file is left.
pub struct PacketDump {
    path: PathBuf,
    format: DumpFormat,
    out: Option<BufWriter<File>>,
    /// pcapng: (input interface number, link type) → output interface
    /// number. A map, not a list: a capture can name a new interface for
    /// every packet, and a linear search per packet made that quadratic.
    interfaces: HashMap<(u32, u32), u32>,
    packets: u64,
}

const PCAP_MAGIC_US: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;
const SNAPLEN: u32 = 262_144;

impl PacketDump {
    pub fn new(path: &Path, format: DumpFormat) -> Self {
        PacketDump { path: path.to_owned(), format, out: None, interfaces: HashMap::new(), packets: 0 }
    }

    pub fn packets(&self) -> u64 {
        self.packets
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open(&mut self) -> io::Result<&mut BufWriter<File>> {
        if self.out.is_none() {
            let mut w = BufWriter::new(File::create(&self.path)?);
            match self.format {
                DumpFormat::Pcap { link_type, nanos } => {
                    let magic = if nanos { PCAP_MAGIC_NS } else { PCAP_MAGIC_US };
                    w.write_all(&magic.to_le_bytes())?;
                    w.write_all(&2u16.to_le_bytes())?;
                    w.write_all(&4u16.to_le_bytes())?;
                    w.write_all(&0i32.to_le_bytes())?;
                    w.write_all(&0u32.to_le_bytes())?;
                    w.write_all(&SNAPLEN.to_le_bytes())?;
                    w.write_all(&link_type.to_le_bytes())?;
                }
                DumpFormat::PcapNg { .. } => {
                    // Section Header Block: byte-order magic, version 1.0, unknown section length.
                    let mut body = Vec::new();
                    body.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
                    body.extend_from_slice(&1u16.to_le_bytes());
                    body.extend_from_slice(&0u16.to_le_bytes());
                    body.extend_from_slice(&(-1i64).to_le_bytes());
                    write_block(&mut w, 0x0a0d_0d0a, &body)?;
                }
            }
            self.out = Some(w);
        }
        self.out.as_mut().ok_or_else(|| io::Error::other("dump file not open"))
    }

    /// Appends one packet. `timestamp` is in nanoseconds since the epoch.
    pub fn write(&mut self, timestamp: i64, link_type: u32, interface: u32, orig_len: u32, data: &[u8]) -> io::Result<()> {
        let secs = timestamp.div_euclid(1_000_000_000);
        let nanos = timestamp.rem_euclid(1_000_000_000);
        match self.format {
            DumpFormat::Pcap { nanos: ns_magic, .. } => {
                let frac = if ns_magic { nanos } else { nanos / 1000 };
                let w = self.open()?;
                w.write_all(&(secs as u32).to_le_bytes())?;
                w.write_all(&(frac as u32).to_le_bytes())?;
                w.write_all(&(data.len() as u32).to_le_bytes())?;
                w.write_all(&orig_len.max(data.len() as u32).to_le_bytes())?;
                w.write_all(data)?;
            }
            DumpFormat::PcapNg { .. } => {
                let out_iface = self.interface(interface, link_type)?;
                let ts = (timestamp.max(0)) as u64; // interfaces use if_tsresol 9 (ns)
                let mut body = Vec::with_capacity(20 + data.len() + 3);
                body.extend_from_slice(&out_iface.to_le_bytes());
                body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
                body.extend_from_slice(&(ts as u32).to_le_bytes());
                body.extend_from_slice(&(data.len() as u32).to_le_bytes());
                body.extend_from_slice(&orig_len.max(data.len() as u32).to_le_bytes());
                body.extend_from_slice(data);
                body.resize(body.len().next_multiple_of(4), 0);
                let w = self.open()?;
                write_block(w, 6, &body)?;
            }
        }
        self.packets += 1;
        Ok(())
    }

    /// pcapng: the output interface for an input interface, described
    /// (with nanosecond resolution) the first time it is used.
    fn interface(&mut self, interface: u32, link_type: u32) -> io::Result<u32> {
        if let Some(&out) = self.interfaces.get(&(interface, link_type)) {
            return Ok(out);
        }
        let out = self.interfaces.len() as u32;
        let mut body = Vec::new();
        body.extend_from_slice(&(link_type as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&SNAPLEN.to_le_bytes());
        if let Some(name) = self.interface_name(interface) {
            // if_name (2), padded to 32 bits.
            body.extend_from_slice(&2u16.to_le_bytes());
            body.extend_from_slice(&(name.len() as u16).to_le_bytes());
            body.extend_from_slice(name.as_bytes());
            body.resize(body.len().next_multiple_of(4), 0);
        }
        // if_tsresol = 9, then opt_endofopt.
        body.extend_from_slice(&9u16.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&[9, 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 0]);
        let w = self.open()?;
        write_block(w, 1, &body)?;
        self.interfaces.insert((interface, link_type), out);
        Ok(out)
    }

    /// The input's name of `interface`, if it has one (at most 255 bytes,
    /// cut at a character boundary: an option's length is 16 bits, and no
    /// real name comes near that).
    fn interface_name(&self, interface: u32) -> Option<String> {
        let DumpFormat::PcapNg { names } = &self.format else { return None };
        let names = names.lock().ok()?;
        let name = names.get(interface as usize).filter(|n| !n.is_empty())?;
        let mut end = name.len().min(255);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.get(..end).map(str::to_owned)
    }

    pub fn finish(self) -> io::Result<()> {
        match self.out {
            Some(mut w) => w.flush(),
            None => Ok(()),
        }
    }
}

fn write_block(w: &mut impl Write, block_type: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    w.write_all(&block_type.to_le_bytes())?;
    w.write_all(&total.to_le_bytes())?;
    w.write_all(body)?;
    w.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::file::CaptureReader;
    use crate::capture::PacketBatch;

    fn roundtrip(format: DumpFormat, name: &str) {
        let path = std::env::temp_dir().join(format!("netcap-dump-{}-{name}", std::process::id()));
        let mut d = PacketDump::new(&path, format);
        d.write(1_600_000_000_123_456_789, 1, 0, 64, &[0xaa; 14]).expect("write");
        d.write(1_600_000_001_000_000_000, 1, 0, 14, &[0xbb; 14]).expect("write");
        d.finish().expect("flush");
        let mut r = CaptureReader::open(&path).expect("readable");
        let mut batch = PacketBatch::with_capacity(4, 1024);
        while r.fill(&mut batch, 10, 1 << 20).expect("no warning") {}
        assert_eq!(batch.len(), 2);
        let first = batch.meta(0).copied().expect("packet");
        assert_eq!(first.orig_len, 64);
        assert_eq!(first.link_type, 1);
        assert_eq!(batch.bytes(&first), &[0xaa; 14]);
        std::fs::remove_file(&path).ok();
        let expect_ts = if name == "us" { 1_600_000_000_123_456_000 } else { 1_600_000_000_123_456_789 };
        assert_eq!(first.timestamp, expect_ts);
    }

    #[test]
    fn pcap_and_pcapng_roundtrip() {
        roundtrip(DumpFormat::Pcap { link_type: 1, nanos: false }, "us");
        roundtrip(DumpFormat::Pcap { link_type: 1, nanos: true }, "ns");
        roundtrip(DumpFormat::PcapNg { names: InterfaceNames::default() }, "ng");
    }

    /// Issue 16: pcapng dumps keep the input's interface names.
    #[test]
    fn pcapng_dump_keeps_interface_names() {
        let path = std::env::temp_dir().join(format!("netcap-dump-{}-names.pcapng", std::process::id()));
        let names = InterfaceNames::default();
        names.lock().expect("lock").extend(["".to_owned(), "eth7".to_owned()]);
        let mut d = PacketDump::new(&path, DumpFormat::PcapNg { names });
        d.write(1_600_000_000_000_000_000, 1, 1, 14, &[0xaa; 14]).expect("write");
        d.write(1_600_000_000_000_000_000, 1, 0, 14, &[0xaa; 14]).expect("write");
        d.finish().expect("flush");
        let bytes = std::fs::read(&path).expect("dump");
        std::fs::remove_file(&path).ok();
        let mut blocks = pcap_parser::PcapNGSlice::from_slice(&bytes).expect("pcapng");
        let mut got = Vec::new();
        while let Some(Ok(block)) = blocks.next() {
            if let pcap_parser::PcapBlockOwned::NG(pcap_parser::Block::InterfaceDescription(idb)) = block {
                got.push(idb.if_name().and_then(Result::ok).map(str::to_owned));
            }
        }
        assert_eq!(got, [Some("eth7".to_owned()), None]);
    }
}

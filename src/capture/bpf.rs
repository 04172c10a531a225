//! Berkeley Packet Filters on capture files, with tcpdump's semantics:
//! the expression is compiled by libpcap for each link type met (a pcapng
//! file may have several) and run in process on every packet.

use super::dump::DumpFormat;
use super::{PacketBatch, PacketSource, ReadWarning};
use pcap::{BpfProgram, Capture, Linktype};

/// Compiles `expr` for `link_type` (as tcpdump would for a file of that type).
pub fn compile(expr: &str, link_type: u32) -> Result<BpfProgram, String> {
    let dead = Capture::dead(Linktype(link_type as i32)).map_err(|e| e.to_string())?;
    dead.compile(expr, true).map_err(|e| format!("invalid filter {expr:?}: {e}"))
}

/// A source that drops the packets a filter rejects.
pub struct Filtered {
    inner: Box<dyn PacketSource>,
    expr: String,
    /// Compiled program per link type; `None` when the expression does not
    /// compile for that link type (its packets are then dropped, as
    /// tcpdump cannot filter them either).
    programs: Vec<(u32, Option<BpfProgram>)>,
}

impl Filtered {
    /// Checks that `expr` compiles for `link_type` before any packet is read.
    pub fn new(inner: Box<dyn PacketSource>, expr: &str, link_type: u32) -> Result<Self, String> {
        let program = compile(expr, link_type)?;
        Ok(Filtered { inner, expr: expr.to_string(), programs: vec![(link_type, Some(program))] })
    }

    fn program_index(&mut self, link_type: u32) -> usize {
        if let Some(i) = self.programs.iter().position(|(l, _)| *l == link_type) {
            return i;
        }
        self.programs.push((link_type, compile(&self.expr, link_type).ok()));
        self.programs.len() - 1
    }
}

impl PacketSource for Filtered {
    fn fill(&mut self, batch: &mut PacketBatch, max_packets: usize, max_bytes: usize) -> Result<bool, ReadWarning> {
        let result = self.inner.fill(batch, max_packets, max_bytes);
        let mut links: Vec<u32> = batch.iter().map(|(m, _)| m.link_type).collect();
        links.dedup();
        for l in links {
            self.program_index(l);
        }
        let programs = &self.programs;
        batch.retain(|m, data| {
            programs.iter().find(|(l, _)| *l == m.link_type).and_then(|(_, p)| p.as_ref()).is_some_and(|p| p.filter(data))
        });
        result
    }

    fn timestamp_digits(&self) -> u32 {
        self.inner.timestamp_digits()
    }

    fn dump_format(&self) -> DumpFormat {
        self.inner.dump_format()
    }

    fn progress(&self) -> Option<super::InputProgress> {
        self.inner.progress()
    }
}

//! What LinkFlow, NetworkFlow and TransportFlow share: a pair of
//! endpoints, both directions, counters per direction.

use super::{Counters, Key, Observation};

/// The state of a bidirectional flow whose `Src` side is the sender of its
/// first packet.
#[derive(Debug, Clone, Copy)]
pub struct Bidir {
    pub uid: u64,
    /// The key with `a` = Src (the first packet's sender).
    pub oriented: Key,
    /// [Src → Dst, Dst → Src].
    pub dir: [Counters; 2],
}

impl Bidir {
    pub fn new(uid: u64, oriented: Key) -> Self {
        Bidir { uid, oriented, dir: [Counters::default(); 2] }
    }

    /// Counts `o`, sent by the Src side when `from_src`.
    pub fn add(&mut self, o: &Observation, from_src: bool) {
        self.dir[usize::from(!from_src)].add(o);
    }

    pub fn total(&self) -> Counters {
        Counters::merged(&self.dir[0], &self.dir[1])
    }

    pub fn packets(&self) -> u64 {
        self.dir[0].packets + self.dir[1].packets
    }

    pub fn next_slice(&mut self) {
        self.dir = [Counters::default(); 2];
    }
}

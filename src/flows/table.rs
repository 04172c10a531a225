//! The bounded flow table shared by every flow record type.
//!
//! Entries live in a slab (indices, no per-packet allocation) and are
//! found through a hash map. Each entry sits in one of two intrusive
//! lists, both kept in order of a monotone packet clock (the largest
//! timestamp seen so far), so the next entry to expire is always at a
//! list head and checking for expiry costs O(1) per packet:
//!
//! - `Idle`: open entries, least recently seen first (idle timeout, and
//!   the victim when the table is full);
//! - `Closing`: TCP connections closed by FIN/FIN or RST, by closing time
//!   (written after [`CLOSE_LINGER`](super::CLOSE_LINGER));
//!
//! and, while its current slice has packets, in a third:
//!
//! - `Active`: by the time the slice started (active timeout).
//!
//! Expired entries are written in order of their deadlines; equal deadlines
//! go closing, idle, active, each in list order. Everything is a function
//! of the packets in capture order, so output is deterministic.

use super::{FlowConfig, Key, Observation, Tracker, CLOSE_LINGER};
use crate::decode::Emitter;
use std::collections::{HashMap, VecDeque};

/// A map key of byte fields packed into 64-bit words (the last one padded
/// with zeros). Keys held as byte arrays of 33 to 51 bytes were compared
/// with a call to `memcmp` on every hit of the per-packet lookups (LLVM
/// does not inline compares that long, nor of a struct of u128s); words
/// are compared inline, one xor and one or each.
#[derive(Clone, Copy, Debug)]
pub struct PackedKey<const W: usize>([u64; W]);

impl<const W: usize> PackedKey<W> {
    /// Packs `bytes` (at most 8 * W of them; more are ignored).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut words = [0u64; W];
        let mut chunks = bytes.chunks_exact(8);
        let mut slots = words.iter_mut();
        // Chunks first: `zip` takes from its first iterator first, and a
        // word taken for a missing chunk would skip the remainder's word.
        for (chunk, word) in (&mut chunks).zip(&mut slots) {
            *word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        }
        if let Some(word) = slots.next() {
            let mut last = [0u8; 8];
            for (to, from) in last.iter_mut().zip(chunks.remainder()) {
                *to = *from;
            }
            *word = u64::from_le_bytes(last);
        }
        PackedKey(words)
    }
}

impl<const W: usize> PartialEq for PackedKey<W> {
    fn eq(&self, other: &Self) -> bool {
        // A fold without early exit: `iter().eq()` or `==` on the arrays
        // is turned back into a memcmp call.
        self.0.iter().zip(&other.0).fold(0, |differ, (a, b)| differ | (a ^ b)) == 0
    }
}

impl<const W: usize> Eq for PackedKey<W> {}

impl<const W: usize> std::hash::Hash for PackedKey<W> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal keys have equal words, so hashing the words agrees with `eq`.
        self.0.hash(state);
    }
}

/// What a flow record type keys on, counts and writes.
pub trait Model: Send + 'static {
    type State: Send;
    /// The part of [`Key`] this type keys on, as compact as possible: the
    /// hash map's key (five lookups per packet).
    type MapKey: Copy + Eq + std::hash::Hash + Send;
    /// The record type (message) name.
    const NAME: &'static str;
    /// The packet's key, or None when it has no part in this type.
    fn key(o: &Observation) -> Option<Key>;
    fn map_key(k: &Key) -> Self::MapKey;
    /// A new entry for `key`, whose first packet is `o` (not counted yet).
    fn start(key: &Key, o: &Observation) -> Self::State;
    /// Counts a packet. True when it closes the conversation (TCP).
    fn add(s: &mut Self::State, o: &Observation) -> bool;
    /// True when `o` starts a new conversation on a closing entry's key.
    fn reopens(_s: &Self::State, _o: &Observation) -> bool {
        false
    }
    /// Packets counted in the current slice.
    fn packets(s: &Self::State) -> u64;
    /// Writes the record; `app` is the application protocol recognised in
    /// the conversation ("" if none).
    fn emit(key: &Key, s: &Self::State, app: &'static str, out: &mut Emitter);
    /// The key of the other direction, for types keyed on one direction:
    /// a protocol recognised on either direction names both.
    fn reverse(_key: &Key) -> Option<Key> {
        None
    }
    /// Counters to zero for the next slice; conversation state is kept.
    fn next_slice(s: &mut Self::State);
    fn idle_timeout(cfg: &FlowConfig) -> i64 {
        cfg.flow_timeout
    }
}

const NIL: u32 = u32::MAX;
const IDLE: usize = 0;
const CLOSING: usize = 1;
const ACTIVE: usize = 2;

#[derive(Clone, Copy)]
struct Link {
    prev: u32,
    next: u32,
}

const UNLINKED: Link = Link { prev: NIL, next: NIL };

struct Entry<S> {
    key: Key,
    state: S,
    /// Clock when last seen (Idle order).
    last_seen: i64,
    /// Clock when closed (Closing order).
    closed_at: i64,
    /// Clock of the first packet of the current slice (Active order).
    slice_start: i64,
    closing: bool,
    in_active: bool,
    /// The application protocol recognised in the conversation, "" until then.
    app: &'static str,
    /// [0]: Idle or Closing list, [1]: Active list.
    links: [Link; 2],
}

#[derive(Clone, Copy)]
struct Ends {
    head: u32,
    tail: u32,
}

pub struct FlowTable<M: Model> {
    map: HashMap<M::MapKey, u32, foldhash::fast::RandomState>,
    entries: Vec<Entry<M::State>>,
    free: Vec<u32>,
    lists: [Ends; 3],
    clock: i64,
    /// No entry's deadline is earlier than this (a lower bound: deadlines
    /// only move later once set). Until the clock passes it nothing can
    /// expire, and most packets skip looking at the three list heads.
    earliest: i64,
    idle_timeout: i64,
    linger: i64,
    active_timeout: i64,
    max: usize,
    evicted: u64,
    /// Application protocols of entries that left the table, by key, kept
    /// for `remember_for` of packet time (at most `max` of them), with the
    /// order they go in.
    recent_apps: HashMap<M::MapKey, (i64, &'static str), foldhash::fast::RandomState>,
    recent: VecDeque<(i64, M::MapKey)>,
    remember_for: i64,
}

fn slot(list: usize) -> usize {
    usize::from(list == ACTIVE)
}

impl<M: Model> FlowTable<M> {
    pub fn new(cfg: &FlowConfig) -> Self {
        let idle_timeout = M::idle_timeout(cfg).max(0);
        FlowTable {
            map: HashMap::default(),
            entries: Vec::new(),
            free: Vec::new(),
            lists: [Ends { head: NIL, tail: NIL }; 3],
            clock: i64::MIN,
            earliest: i64::MIN,
            idle_timeout,
            linger: CLOSE_LINGER.min(idle_timeout),
            active_timeout: cfg.active_timeout.max(0),
            // Slab indices are u32 and NIL is reserved.
            max: cfg.max_flows.min(cfg.memcap / Self::entry_bytes()).clamp(1, (u32::MAX - 1) as usize),
            evicted: 0,
            recent_apps: HashMap::default(),
            recent: VecDeque::new(),
            // As long as a TCP connection may idle in the stream stage.
            remember_for: cfg.conn_timeout.max(0),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Estimated bytes of one entry: its slab slot and its hash map slot,
    /// the map kept at most half full as it grows by doubling.
    pub fn entry_bytes() -> usize {
        // The remembered application protocol of a key that left: its
        // queue slot and map slot.
        let remembered =
            std::mem::size_of::<(i64, M::MapKey)>() + 2 * (std::mem::size_of::<(M::MapKey, (i64, &str))>() + 1);
        std::mem::size_of::<Entry<M::State>>() + 2 * (std::mem::size_of::<(M::MapKey, u32)>() + 1) + remembered
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn entry(&self, i: u32) -> Option<&Entry<M::State>> {
        self.entries.get(i as usize)
    }

    fn entry_mut(&mut self, i: u32) -> Option<&mut Entry<M::State>> {
        self.entries.get_mut(i as usize)
    }

    fn set_link(&mut self, i: u32, s: usize, f: impl FnOnce(&mut Link)) {
        if let Some(e) = self.entry_mut(i) {
            f(&mut e.links[s]);
        }
    }

    fn link(&self, i: u32, s: usize) -> Link {
        self.entry(i).map_or(UNLINKED, |e| e.links[s])
    }

    fn push_back(&mut self, list: usize, i: u32) {
        if let Some(d) = self.entry(i).map(|e| self.deadline(list, e)) {
            self.earliest = self.earliest.min(d);
        }
        let s = slot(list);
        let tail = self.lists[list].tail;
        self.set_link(i, s, |l| *l = Link { prev: tail, next: NIL });
        if tail == NIL {
            self.lists[list].head = i;
        } else {
            self.set_link(tail, s, |l| l.next = i);
        }
        self.lists[list].tail = i;
    }

    fn unlink(&mut self, list: usize, i: u32) {
        let s = slot(list);
        let Link { prev, next } = self.link(i, s);
        if prev == NIL {
            self.lists[list].head = next;
        } else {
            self.set_link(prev, s, |l| l.next = next);
        }
        if next == NIL {
            self.lists[list].tail = prev;
        } else {
            self.set_link(next, s, |l| l.prev = prev);
        }
        self.set_link(i, s, |l| *l = UNLINKED);
    }

    fn move_to_back(&mut self, list: usize, i: u32) {
        if self.lists[list].tail != i {
            self.unlink(list, i);
            self.push_back(list, i);
        }
    }

    /// Writes the entry (if its slice has packets) and frees it.
    fn remove(&mut self, i: u32, out: &mut Emitter) {
        let Some(e) = self.entry(i) else { return };
        let (key, closing, in_active, app, last_seen) = (e.key, e.closing, e.in_active, e.app, e.last_seen);
        if M::packets(&e.state) > 0 {
            M::emit(&e.key, &e.state, e.app, out);
        }
        self.remember(&key, app, last_seen);
        self.unlink(if closing { CLOSING } else { IDLE }, i);
        if in_active {
            self.unlink(ACTIVE, i);
        }
        self.map.remove(&M::map_key(&key));
        self.free.push(i);
    }

    /// Writes the current slice and starts the next one.
    fn slice(&mut self, i: u32, out: &mut Emitter) {
        self.unlink(ACTIVE, i);
        if let Some(e) = self.entry_mut(i) {
            e.in_active = false;
            if M::packets(&e.state) > 0 {
                M::emit(&e.key, &e.state, e.app, out);
            }
            M::next_slice(&mut e.state);
        }
    }

    /// The entry with the earliest deadline, if that deadline has passed:
    /// (list, index).
    fn next_expired(&self) -> Option<(usize, u32)> {
        self.heads()
            .filter(|&(deadline, _, _)| deadline < self.clock)
            .fold(None, |best: Option<(i64, usize, u32)>, head| match best {
                Some((d, _, _)) if d <= head.0 => best,
                _ => Some(head),
            })
            .map(|(_, list, i)| (list, i))
    }

    /// The deadline of an entry in `list`.
    fn deadline(&self, list: usize, e: &Entry<M::State>) -> i64 {
        match list {
            CLOSING => e.closed_at.saturating_add(self.linger),
            IDLE => e.last_seen.saturating_add(self.idle_timeout),
            _ => e.slice_start.saturating_add(self.active_timeout),
        }
    }

    /// (deadline, list, index) of each list's first entry, in the order
    /// equal deadlines expire: closing, idle, active.
    fn heads(&self) -> impl Iterator<Item = (i64, usize, u32)> + '_ {
        [CLOSING, IDLE, ACTIVE].into_iter().filter_map(|list| {
            let i = self.lists[list].head;
            self.entry(i).map(|e| (self.deadline(list, e), list, i))
        })
    }

    fn expire(&mut self, out: &mut Emitter) {
        if self.clock <= self.earliest {
            return;
        }
        while let Some((list, i)) = self.next_expired() {
            if list == ACTIVE {
                self.slice(i, out);
            } else {
                self.remove(i, out);
            }
        }
        self.earliest = self.heads().map(|(d, _, _)| d).min().unwrap_or(i64::MAX);
    }

    /// Makes room: the least recently seen entry goes early.
    fn evict(&mut self, out: &mut Emitter) {
        let idle = self.entry(self.lists[IDLE].head).map(|e| (e.last_seen, self.lists[IDLE].head));
        let closing = self.entry(self.lists[CLOSING].head).map(|e| (e.last_seen, self.lists[CLOSING].head));
        let victim = match (idle, closing) {
            (Some((ti, i)), Some((tc, c))) => {
                if tc <= ti {
                    c
                } else {
                    i
                }
            }
            (Some((_, i)), None) => i,
            (None, Some((_, c))) => c,
            (None, None) => return,
        };
        self.remove(victim, out);
        self.evicted += 1;
    }

    fn count(&mut self, i: u32, o: &Observation) {
        let clock = self.clock;
        let Some(e) = self.entry_mut(i) else { return };
        let closes = M::add(&mut e.state, o);
        let named = e.app.is_empty() && !o.app.is_empty();
        if named {
            e.app = o.app;
        }
        let key = e.key;
        e.last_seen = clock;
        let was_closing = e.closing;
        let start_slice = !e.in_active;
        if start_slice {
            e.in_active = true;
            e.slice_start = clock;
        }
        let close_now = closes && !was_closing;
        if close_now {
            e.closing = true;
            e.closed_at = clock;
        }
        if named {
            self.name(M::reverse(&key), o.app, false);
        }
        if start_slice {
            self.push_back(ACTIVE, i);
        }
        if close_now {
            self.unlink(IDLE, i);
            self.push_back(CLOSING, i);
        } else if !was_closing {
            self.move_to_back(IDLE, i);
        }
    }

    /// Names the entry of `key` (if any) as carrying `app`; `overwrite`
    /// replaces a name it has.
    fn name(&mut self, key: Option<Key>, app: &'static str, overwrite: bool) {
        let Some(key) = key else { return };
        let Some(&i) = self.map.get(&M::map_key(&key)) else { return };
        if let Some(e) = self.entry_mut(i) {
            if overwrite || e.app.is_empty() {
                e.app = app;
            }
        }
    }

    /// The application protocol of a conversation on `key`: that of the
    /// other direction's entry, or of an entry on this key that expired
    /// lately (a TCP connection idle for longer than the flow timeout
    /// comes back as a new entry of the same connection).
    fn known_app(&mut self, key: &Key) -> &'static str {
        let reverse = M::reverse(key)
            .and_then(|r| self.map.get(&M::map_key(&r)))
            .and_then(|&j| self.entry(j))
            .map_or("", |e| e.app);
        if !reverse.is_empty() {
            return reverse;
        }
        while self.recent.front().is_some_and(|(until, _)| *until < self.clock) {
            if let Some((_, k)) = self.recent.pop_front() {
                if self.recent_apps.get(&k).is_some_and(|(until, _)| *until < self.clock) {
                    self.recent_apps.remove(&k);
                }
            }
        }
        self.recent_apps.get(&M::map_key(key)).map_or("", |(_, app)| *app)
    }

    /// Keeps the application protocol of an entry that leaves the table
    /// (last seen at `last_seen`).
    fn remember(&mut self, key: &Key, app: &'static str, last_seen: i64) {
        if app.is_empty() || self.remember_for == 0 {
            return;
        }
        if self.recent.len() >= self.max {
            // A key may be queued more than once: only its latest entry counts.
            if let Some((until, k)) = self.recent.pop_front() {
                if self.recent_apps.get(&k).is_some_and(|(u, _)| *u == until) {
                    self.recent_apps.remove(&k);
                }
            }
        }
        let until = last_seen.saturating_add(self.remember_for);
        let k = M::map_key(key);
        self.recent.push_back((until, k));
        self.recent_apps.insert(k, (until, app));
    }

    fn insert(&mut self, key: Key, o: &Observation, out: &mut Emitter) {
        if self.map.len() >= self.max {
            self.evict(out);
        }
        let app = self.known_app(&key);
        let entry = Entry {
            key,
            app,
            state: M::start(&key, o),
            last_seen: self.clock,
            closed_at: 0,
            slice_start: self.clock,
            closing: false,
            in_active: false,
            links: [UNLINKED; 2],
        };
        let i = match self.free.pop() {
            Some(i) => {
                if let Some(e) = self.entry_mut(i) {
                    *e = entry;
                }
                i
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as u32
            }
        };
        self.map.insert(M::map_key(&key), i);
        self.push_back(IDLE, i);
        self.count(i, o);
    }
}

impl<M: Model> Tracker for FlowTable<M> {
    fn observe(&mut self, o: &Observation, out: &mut Emitter) {
        self.clock = self.clock.max(o.timestamp);
        self.expire(out);
        let Some(key) = M::key(o) else { return };
        if let Some(&i) = self.map.get(&M::map_key(&key)) {
            let reopen = self.entry(i).is_some_and(|e| e.closing && M::reopens(&e.state, o));
            if !reopen {
                self.count(i, o);
                return;
            }
            self.remove(i, out);
        }
        self.insert(key, o, out);
    }

    fn identify(&mut self, o: &Observation, app: &'static str) {
        let Some(key) = M::key(o) else { return };
        self.name(Some(key), app, true);
        self.name(M::reverse(&key), app, true);
    }

    fn flush(&mut self, out: &mut Emitter) {
        for list in [CLOSING, IDLE] {
            while self.lists[list].head != NIL {
                let i = self.lists[list].head;
                self.remove(i, out);
            }
        }
    }

    fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::{connection::Connection, flow::Flow, FlowConfig, PROTO_UDP, SECOND};
    use crate::schema::pb;
    use prost::Message;

    #[test]
    fn packed_keys_are_equal_exactly_when_their_bytes_are() {
        let base: Vec<u8> = (0..51u8).map(|i| i.wrapping_mul(37)).collect();
        let key = PackedKey::<7>::from_bytes(&base);
        assert_eq!(key, PackedKey::<7>::from_bytes(&base.clone()));
        let mut map = HashMap::<PackedKey<7>, u32, foldhash::fast::RandomState>::default();
        map.insert(key, 7);
        for at in 0..base.len() {
            let mut other = base.clone();
            other[at] ^= 0x80;
            let changed = PackedKey::<7>::from_bytes(&other);
            assert_ne!(key, changed, "byte {at}");
            assert_eq!(map.get(&changed), None);
        }
        assert_eq!(map.get(&PackedKey::from_bytes(&base)), Some(&7));
        // The padding of the last word is zero, not whatever follows.
        assert_eq!(PackedKey::<5>::from_bytes(&[1; 33]), PackedKey::<5>::from_bytes(&[1; 33]));
        assert_ne!(PackedKey::<5>::from_bytes(&[1; 33]), PackedKey::<5>::from_bytes(&[1; 34]));
    }

    fn udp(ts: i64, from_a: bool, app: &'static str) -> Observation {
        let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
        let (src, dst, sp, dp) = if from_a { (a, b, 40000, 53) } else { (b, a, 53, 40000) };
        let mut o = Observation {
            timestamp: ts,
            wire_len: 80,
            ip_version: 4,
            protocol: PROTO_UDP,
            has_ports: true,
            src_port: sp,
            dst_port: dp,
            app,
            ..Observation::default()
        };
        o.src_ip[..4].copy_from_slice(&src);
        o.dst_ip[..4].copy_from_slice(&dst);
        o
    }

    /// (SrcPort, ApplicationProto) of the Flow records a run writes.
    fn flows(packets: &[(Observation, Option<&'static str>)]) -> Vec<(i32, String)> {
        let mut t = FlowTable::<Flow>::new(&FlowConfig::default());
        let (mut buf, mut count) = (Vec::new(), 0u64);
        for (o, identified) in packets {
            t.observe(o, &mut Emitter::new(&mut buf, &mut count));
            if let Some(app) = identified {
                t.identify(o, app);
            }
        }
        t.flush(&mut Emitter::new(&mut buf, &mut count));
        let mut records = Vec::new();
        let mut rest = buf.as_slice();
        while !rest.is_empty() {
            let f = pb::Flow::decode_length_delimited(&mut rest).expect("a Flow record");
            records.push((f.src_port, f.application_proto));
        }
        records.sort();
        records
    }

    #[test]
    fn a_protocol_seen_in_one_direction_names_both() {
        // The reverse Flow exists before the packet that names the protocol.
        let named = flows(&[(udp(1, false, ""), None), (udp(2, true, "DNS"), None)]);
        assert_eq!(named, [(53, "DNS".into()), (40000, "DNS".into())]);
        // ... and is created after it.
        let named = flows(&[(udp(1, true, "DNS"), None), (udp(2, false, ""), None)]);
        assert_eq!(named, [(53, "DNS".into()), (40000, "DNS".into())]);
    }

    #[test]
    fn identification_names_both_directions_and_overrides_a_layer_guess() {
        let named = flows(&[(udp(1, true, "SIP"), None), (udp(2, false, ""), Some("HTTP"))]);
        assert_eq!(named, [(53, "HTTP".into()), (40000, "HTTP".into())]);
    }

    #[test]
    fn a_flow_back_from_idle_keeps_its_protocol_for_the_connection_timeout() {
        let idle = FlowConfig::default().flow_timeout;
        let back = 1 + idle + SECOND;
        let named = flows(&[(udp(1, true, ""), Some("HTTP")), (udp(back, true, ""), None)]);
        assert_eq!(named, [(40000, "HTTP".into()), (40000, "HTTP".into())]);
        // Past the Connection timeout it is a new conversation.
        let late = 1 + FlowConfig::default().conn_timeout + idle + SECOND;
        let named = flows(&[(udp(1, true, ""), Some("HTTP")), (udp(late, true, ""), None)]);
        assert_eq!(named, [(40000, "".into()), (40000, "HTTP".into())]);
    }

    #[test]
    fn connection_takes_the_protocol_of_either_direction() {
        let mut t = FlowTable::<Connection>::new(&FlowConfig::default());
        let (mut buf, mut count) = (Vec::new(), 0u64);
        t.observe(&udp(1, true, ""), &mut Emitter::new(&mut buf, &mut count));
        t.observe(&udp(2, false, "DNS"), &mut Emitter::new(&mut buf, &mut count));
        t.flush(&mut Emitter::new(&mut buf, &mut count));
        let c = pb::Connection::decode_length_delimited(buf.as_slice()).expect("a Connection record");
        assert_eq!((c.application_proto.as_str(), count), ("DNS", 1));
    }

    #[test]
    fn a_connection_closed_after_an_idle_one_started_expires_first() {
        // The idle UDP entry's deadline (Connection's idle timeout, 300 s
        // after its packet) is what the table knows as its earliest when
        // the TCP connection opens; the reset must bring the earliest down
        // to the end of its linger, 5 s after it.
        use crate::flows::{tcp_flag, PROTO_TCP};
        let mut t = FlowTable::<Connection>::new(&FlowConfig::default());
        let (mut buf, mut count) = (Vec::new(), 0u64);
        t.observe(&udp(SECOND, true, ""), &mut Emitter::new(&mut buf, &mut count));
        let tcp = |ts: i64, flags: u8| {
            let mut o = udp(ts, true, "");
            (o.protocol, o.src_port, o.dst_port, o.tcp_flags) = (PROTO_TCP, 50000, 80, flags);
            o
        };
        t.observe(&tcp(2 * SECOND, tcp_flag::SYN), &mut Emitter::new(&mut buf, &mut count));
        t.observe(&tcp(3 * SECOND, tcp_flag::RST), &mut Emitter::new(&mut buf, &mut count));
        // Packets of other connections move the clock on.
        let other = |ts: i64| {
            let mut o = tcp(ts, tcp_flag::SYN);
            o.src_port = 50001;
            o
        };
        t.observe(&other(8 * SECOND), &mut Emitter::new(&mut buf, &mut count));
        assert_eq!(count, 0, "the linger ends after 8 s");
        t.observe(&other(8 * SECOND + 1), &mut Emitter::new(&mut buf, &mut count));
        assert_eq!(count, 1, "the reset connection is written once its linger ends");
        let c = pb::Connection::decode_length_delimited(buf.as_slice()).expect("a Connection record");
        assert_eq!((c.src_port, c.dst_port), (50000, 80));
        // The idle one goes at its own deadline (300 s after 1 s), not before.
        let timeout = FlowConfig::default().conn_timeout;
        t.observe(&other(SECOND + timeout), &mut Emitter::new(&mut buf, &mut count));
        assert_eq!(count, 1);
        t.observe(&other(SECOND + timeout + 1), &mut Emitter::new(&mut buf, &mut count));
        assert_eq!(count, 2);
    }

    #[test]
    fn remembered_protocols_are_bounded_by_the_table_size() {
        let cfg = FlowConfig { max_flows: 4, ..FlowConfig::default() };
        let mut t = FlowTable::<Flow>::new(&cfg);
        let (mut buf, mut count) = (Vec::new(), 0u64);
        for port in 0..100u16 {
            let mut o = udp(i64::from(port), true, "DNS");
            o.src_port = port;
            t.observe(&o, &mut Emitter::new(&mut buf, &mut count));
        }
        assert!(t.recent.len() <= 4 && t.recent_apps.len() <= 4, "{} {}", t.recent.len(), t.recent_apps.len());
    }
}

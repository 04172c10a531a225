//! Small helpers shared by the protocol views: big-endian reads at fixed
//! offsets, address formatting and payload statistics.
//!
//! Views check their buffer length once in their constructor; the reads
//! below then take offsets that the check guarantees. They still go
//! through `get` so that a wrong offset table yields zero, never a panic.

use std::fmt::Write;

#[inline]
pub fn u8_at(buf: &[u8], off: usize) -> u8 {
    buf.get(off).copied().unwrap_or(0)
}

#[inline]
/// Copies as much of `src` as fits into `dst` (addresses into fixed arrays).
pub fn copy_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// 64-bit FNV-1a of the concatenation of `parts`: a fixed hash, the same
/// on every platform and run. Plain slices: over a chain of iterators the
/// same loop cost several times as many instructions per byte.
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A fixed 64-bit hash of words, the same on every platform and run: one
/// multiply per word and splitmix64's finalizer, so every input bit
/// reaches the low bits that `% n` keeps.
pub fn mix_words(words: impl IntoIterator<Item = u64>) -> u64 {
    let mut h: u64 = 0x243f_6a88_85a3_08d3;
    for w in words {
        h = (h ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Where `part` (a view borrowed from `whole`) starts in `whole`, if it
/// lies inside it.
pub fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    let at = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = at.checked_add(part.len())?;
    (end <= whole.len()).then_some(at)
}

pub fn be16(buf: &[u8], off: usize) -> u16 {
    match buf.get(off..off + 2) {
        Some(b) => u16::from_be_bytes([b[0], b[1]]),
        None => 0,
    }
}

#[inline]
pub fn be32(buf: &[u8], off: usize) -> u32 {
    match buf.get(off..off + 4) {
        Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

/// Little-endian reads, for the headers written in host order (radiotap,
/// PPI, usbmon, USBPcap) or little-endian by definition (802.11, CTP);
/// like the big-endian ones, a read past the end is 0.
#[inline]
pub fn le16(buf: &[u8], off: usize) -> u16 {
    match buf.get(off..off.saturating_add(2)) {
        Some(&[a, b]) => u16::from_le_bytes([a, b]),
        _ => 0,
    }
}

#[inline]
pub fn le32(buf: &[u8], off: usize) -> u32 {
    match buf.get(off..off.saturating_add(4)) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}

#[inline]
pub fn le64(buf: &[u8], off: usize) -> u64 {
    match buf.get(off..off.saturating_add(8)).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
        Some(b) => u64::from_le_bytes(b),
        None => 0,
    }
}

/// Walks IPv4 and TCP options, which share one layout (RFC 791, RFC 9293):
/// End of Option List (0) and No-Operation (1) are single bytes, every
/// other kind is kind, length, data. Calls `each(kind, length, data)` per
/// option and returns the padding after End of Option List. A malformed
/// length (below 2 or past the end) ends the walk with the rest as data.
pub fn walk_options<'a>(mut opts: &'a [u8], mut each: impl FnMut(u8, u8, &'a [u8])) -> &'a [u8] {
    while let Some(&kind) = opts.first() {
        match kind {
            0 => {
                each(0, 1, &[]);
                return opts.get(1..).unwrap_or_default();
            }
            1 => {
                each(1, 1, &[]);
                opts = opts.get(1..).unwrap_or_default();
            }
            _ => {
                let len = u8_at(opts, 1);
                let n = usize::from(len);
                let (data, rest) = if n >= 2 && n <= opts.len() {
                    (opts.get(2..n).unwrap_or_default(), opts.get(n..).unwrap_or_default())
                } else {
                    (opts.get(2..).unwrap_or_default(), &[][..])
                };
                each(kind, len, data);
                opts = rest;
            }
        }
    }
    &[]
}

/// `aa:bb:cc:dd:ee:ff`, lowercase like tshark's `eth.src`.
pub fn mac_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    write_mac(&mut s, bytes);
    s
}

/// [`mac_string`] into `s` (cleared first), reusing its buffer: records
/// reused from packet to packet keep their address strings' allocations.
pub fn write_mac(s: &mut String, bytes: &[u8]) {
    s.clear();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        push_hex_byte(s, *b);
    }
}

/// Dotted quad. Written by hand: `Ipv4Addr`'s Display goes through the
/// formatting machinery and cost more than decoding the whole packet.
pub fn ipv4_string(b: &[u8]) -> String {
    let mut s = String::with_capacity(15);
    write_ipv4(&mut s, b);
    s
}

/// [`ipv4_string`] into `s` (cleared first), reusing its buffer.
pub fn write_ipv4(s: &mut String, b: &[u8]) {
    s.clear();
    let [a, b, c, d] = b else {
        push_hex(s, b);
        return;
    };
    for (i, octet) in [a, b, c, d].into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        push_decimal(s, *octet);
    }
}

fn push_decimal(s: &mut String, v: u8) {
    if v >= 100 {
        s.push((b'0' + v / 100) as char);
    }
    if v >= 10 {
        s.push((b'0' + v / 10 % 10) as char);
    }
    s.push((b'0' + v % 10) as char);
}

/// RFC 5952 text form, as tshark prints `ipv6.src`: lowercase, no
/// leading zeros, the longest run of two or more zero groups (the first
/// on a tie) as `::`. Hand-written for speed like [`ipv4_string`];
/// IPv4-mapped addresses (rare) go to std for their dotted tail.
pub fn ipv6_string(b: &[u8]) -> String {
    let mut s = String::with_capacity(39);
    write_ipv6(&mut s, b);
    s
}

/// [`ipv6_string`] into `s` (cleared first), reusing its buffer.
pub fn write_ipv6(s: &mut String, b: &[u8]) {
    s.clear();
    let Ok(a) = <[u8; 16]>::try_from(b) else {
        push_hex(s, b);
        return;
    };
    let addr = std::net::Ipv6Addr::from(a);
    let g = addr.segments();
    if g[..5] == [0; 5] && g[5] == 0xffff {
        let _ = write!(s, "{addr}");
        return;
    }
    let (mut best, mut best_len, mut run, mut run_len) = (8, 0, 0, 0);
    for (i, &seg) in g.iter().enumerate() {
        if seg == 0 {
            if run_len == 0 {
                run = i;
            }
            run_len += 1;
            if run_len > best_len {
                best = run;
                best_len = run_len;
            }
        } else {
            run_len = 0;
        }
    }
    if best_len < 2 {
        best = 8;
    }
    let mut i = 0;
    while i < 8 {
        if i == best {
            s.push_str("::");
            i += best_len;
            continue;
        }
        if i > 0 && i != best + best_len {
            s.push(':');
        }
        push_hex_u16(s, g[i]);
        i += 1;
    }
}

fn push_hex_u16(s: &mut String, v: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let d = (v >> shift) & 0xf;
        if d != 0 || started || shift == 0 {
            s.push(HEX[d as usize] as char);
            started = true;
        }
    }
}

pub fn hex_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

/// Appends `bytes` as lowercase hex digits.
pub fn push_hex(s: &mut String, bytes: &[u8]) {
    for b in bytes {
        push_hex_byte(s, *b);
    }
}

/// Decimal digits of `v`, appended without the formatting machinery.
pub fn push_decimal_u32(s: &mut String, v: u32) {
    let mut digits = [0u8; 10];
    let mut n = v;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        s.push(char::from(d));
    }
}

/// Four lowercase hex digits of `v`, as `format!("{v:04x}")` writes them.
pub fn push_hex_u16_padded(s: &mut String, v: u16) {
    let [hi, lo] = v.to_be_bytes();
    push_hex_byte(s, hi);
    push_hex_byte(s, lo);
}

pub fn push_hex_byte(s: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    s.push(HEX[(b >> 4) as usize] as char);
    s.push(HEX[(b & 15) as usize] as char);
}

/// Text up to the first NUL, invalid UTF-8 replaced: how tshark shows
/// NUL-terminated and NUL-padded strings (FT_STRINGZ, FT_STRINGZPAD).
pub fn text_until_nul(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or_default()).into_owned()
}

/// Shannon entropy of `data` in bits per byte (0.0 for empty input).
pub fn entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut h = Histogram::default();
    h.add(data);
    h.entropy()
}

/// Byte counts of a slice, from which Shannon entropy follows. Counts are
/// additive, so the histogram of an enclosing or overlapping slice of the
/// same packet is found by adding and removing the difference only: one
/// packet's Ethernet, IP and TCP payloads cost one full pass, not three.
/// The sum of c*log2(c) is kept up to date across small changes, so
/// those do not cost another pass over the 256 counts either.
#[derive(Clone)]
pub struct Histogram {
    counts: [u32; 256],
    total: usize,
    /// sum over counts of c*log2(c), when `sum_valid`.
    sum: f64,
    sum_valid: bool,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: [0; 256], total: 0, sum: 0.0, sum_valid: true }
    }
}

/// Below this many bytes a change updates the running sum byte by byte.
/// Each byte costs two dependent floating-point additions there, so past
/// a few dozen bytes a fresh sum over the 256 counts (four independent
/// chains) is cheaper: a header's removal is tracked, a payload is not.
const TRACKED_CHANGE: usize = 64;

/// Below this many bytes counting goes straight into the histogram.
const SPLIT_COUNTING: usize = 256;

impl Histogram {
    pub fn add(&mut self, data: &[u8]) {
        if self.sum_valid && data.len() < TRACKED_CHANGE {
            let t = c_log2_c_table();
            if self.total + data.len() < C_LOG2_C_TABLE_LEN {
                // Every count stays below the table's length: one lookup
                // of the step, no bounds check.
                let steps = c_log2_c_steps();
                for &b in data {
                    let c = &mut self.counts[b as usize];
                    self.sum += steps[*c as usize & TABLE_MASK];
                    *c += 1;
                }
            } else {
                for &b in data {
                    let c = &mut self.counts[b as usize];
                    self.sum += c_log2_c_in(t, *c + 1) - c_log2_c_in(t, *c);
                    *c += 1;
                }
            }
        } else if data.len() < SPLIT_COUNTING {
            for &b in data {
                self.counts[b as usize] += 1;
            }
            self.sum_valid = false;
        } else {
            self.add_split(data);
            self.sum_valid = false;
        }
        self.total += data.len();
    }

    /// Counts into four tables, then adds them up. A run of equal bytes
    /// (padding, zeros) makes every increment of one table wait for the
    /// store of the previous one; spreading consecutive bytes over four
    /// tables lets four increments run at once. Profiles of the benchmark
    /// capture had the single-table loop at about a tenth of all CPU time.
    /// The first table is the histogram itself (counts add up) and the
    /// other three hold u16s: a packet-sized call zeroed and summed 4 KB
    /// of side tables before, 1.5 KB now.
    fn add_split(&mut self, data: &[u8]) {
        // Each side table sees a quarter of a piece: at most 65,535.
        for piece in data.chunks(4 * usize::from(u16::MAX)) {
            let [mut t1, mut t2, mut t3] = [[0u16; 256]; 3];
            let mut quads = piece.chunks_exact(4);
            for q in &mut quads {
                if let &[w, x, y, z] = q {
                    self.counts[usize::from(w)] += 1;
                    t1[usize::from(x)] += 1;
                    t2[usize::from(y)] += 1;
                    t3[usize::from(z)] += 1;
                }
            }
            for &b in quads.remainder() {
                self.counts[usize::from(b)] += 1;
            }
            for (c, ((a, b), d)) in self.counts.iter_mut().zip(t1.iter().zip(&t2).zip(&t3)) {
                *c += u32::from(*a) + u32::from(*b) + u32::from(*d);
            }
        }
    }

    /// Removes bytes that were added before (callers guarantee it).
    pub fn remove(&mut self, data: &[u8]) {
        let tracked = self.sum_valid && data.len() < TRACKED_CHANGE;
        if tracked && self.total < C_LOG2_C_TABLE_LEN {
            // As in `add`: counts below the table's length, one lookup.
            let steps = c_log2_c_steps();
            for &b in data {
                let c = &mut self.counts[b as usize];
                if *c > 0 {
                    *c -= 1;
                    self.sum -= steps[*c as usize & TABLE_MASK];
                }
            }
            self.total = self.total.saturating_sub(data.len());
            return;
        }
        let t = c_log2_c_table();
        for &b in data {
            let c = &mut self.counts[b as usize];
            if *c > 0 {
                if tracked {
                    self.sum += c_log2_c_in(t, *c - 1) - c_log2_c_in(t, *c);
                }
                *c -= 1;
            }
        }
        if !tracked {
            self.sum_valid = false;
        }
        self.total = self.total.saturating_sub(data.len());
    }

    /// H = log2(n) - (1/n) * sum(c * log2 c).
    pub fn entropy(&mut self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        if !self.sum_valid {
            // Four partial sums in four locals (registers): one chain of
            // 256 dependent additions waited on each addition's latency.
            let t = c_log2_c_table();
            let (mut a, mut b, mut c, mut d) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            if self.total < C_LOG2_C_TABLE_LEN {
                // No count reaches the table's end (packets are short):
                // masked lookups, no bounds checks or branches.
                let t: &[f64; C_LOG2_C_TABLE_LEN] = c_log2_c_array();
                for quad in self.counts.chunks_exact(4) {
                    if let &[w, x, y, z] = quad {
                        a += t[w as usize & TABLE_MASK];
                        b += t[x as usize & TABLE_MASK];
                        c += t[y as usize & TABLE_MASK];
                        d += t[z as usize & TABLE_MASK];
                    }
                }
                self.sum = (a + b) + (c + d);
            } else {
                for quad in self.counts.chunks_exact(4) {
                    if let &[w, x, y, z] = quad {
                        a += c_log2_c_in(t, w);
                        b += c_log2_c_in(t, x);
                        c += c_log2_c_in(t, y);
                        d += c_log2_c_in(t, z);
                    }
                }
                self.sum = (a + b) + (c + d);
            }
            self.sum_valid = true;
        }
        let n = self.total as f64;
        // log2 of a packet's length from the table: libm's log2 was about
        // 1 % of all CPU time, at three entropies per packet.
        let log2_n = c_log2_c_tables().log2.get(self.total).copied().unwrap_or_else(|| n.log2());
        (log2_n - self.sum / n).max(0.0)
    }

    fn reset(&mut self) {
        self.counts = [0; 256];
        self.total = 0;
        self.sum = 0.0;
        self.sum_valid = true;
    }
}

/// c * log2(c), from a table for the small counts that packets produce.
#[inline]
fn c_log2_c_in(table: &[f64], c: u32) -> f64 {
    match table.get(c as usize) {
        Some(v) => *v,
        None => f64::from(c) * f64::from(c).log2(),
    }
}

const C_LOG2_C_TABLE_LEN: usize = 4096;
/// Indexes masked with this stay in the tables (a power of two long).
const TABLE_MASK: usize = C_LOG2_C_TABLE_LEN - 1;

/// c*log2(c) for c below [`C_LOG2_C_TABLE_LEN`], and the steps between
/// neighbours: `steps[c] = table[c + 1] - table[c]`, the change of the
/// sum when a count goes from c to c + 1 (and back, negated: IEEE
/// subtraction is exactly antisymmetric, so sums stay bit for bit those
/// of the two-lookup form).
struct CLog2CTables {
    table: [f64; C_LOG2_C_TABLE_LEN],
    steps: [f64; C_LOG2_C_TABLE_LEN],
    /// log2(n), the same values as `f64::log2` gives (computed by it).
    log2: [f64; C_LOG2_C_TABLE_LEN],
}

fn c_log2_c_tables() -> &'static CLog2CTables {
    static TABLES: std::sync::OnceLock<Box<CLog2CTables>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let f = |c: usize| if c < 2 { 0.0 } else { c as f64 * (c as f64).log2() };
        let mut t = Box::new(CLog2CTables {
            table: [0.0; C_LOG2_C_TABLE_LEN],
            steps: [0.0; C_LOG2_C_TABLE_LEN],
            log2: [0.0; C_LOG2_C_TABLE_LEN],
        });
        for c in 0..C_LOG2_C_TABLE_LEN {
            t.table[c] = f(c);
            t.steps[c] = f(c + 1) - f(c);
            t.log2[c] = (c as f64).log2();
        }
        t
    })
}

fn c_log2_c_table() -> &'static [f64] {
    &c_log2_c_tables().table
}

fn c_log2_c_array() -> &'static [f64; C_LOG2_C_TABLE_LEN] {
    &c_log2_c_tables().table
}

fn c_log2_c_steps() -> &'static [f64; C_LOG2_C_TABLE_LEN] {
    &c_log2_c_tables().steps
}

/// Entropy of slices of one packet buffer, reusing the histogram of the
/// previous slice (see [`Histogram`]). Updated in place: a histogram is
/// a kilobyte, too big to move around per call.
pub struct EntropyMemo<'a> {
    frame: &'a [u8],
    memo: std::cell::RefCell<MemoState>,
}

#[derive(Default)]
struct MemoState {
    /// Range of `frame` that `hist` counts, when `valid`; until the
    /// first count `hist` is the zeroed default.
    valid: bool,
    start: usize,
    end: usize,
    hist: Histogram,
}

impl<'a> EntropyMemo<'a> {
    pub fn new(frame: &'a [u8]) -> Self {
        EntropyMemo { frame, memo: std::cell::RefCell::new(MemoState::default()) }
    }

    /// Entropy of `data`, which should be a sub-slice of the frame (any
    /// other slice is counted directly).
    pub fn entropy(&self, data: &[u8]) -> f64 {
        let base = self.frame.as_ptr() as usize;
        let start = (data.as_ptr() as usize).wrapping_sub(base);
        let end = start.wrapping_add(data.len());
        if data.is_empty() || start > self.frame.len() || end > self.frame.len() {
            return entropy(data);
        }
        let mut m = self.memo.borrow_mut();
        let f = self.frame;
        let overlapping = m.valid && m.start < end && start < m.end;
        if overlapping && start.abs_diff(m.start) + end.abs_diff(m.end) < data.len() {
            // Grow or shrink each end to the new range.
            let (ms, me) = (m.start, m.end);
            if start < ms {
                m.hist.add(f.get(start..ms).unwrap_or_default());
            } else {
                m.hist.remove(f.get(ms..start).unwrap_or_default());
            }
            if end > me {
                m.hist.add(f.get(me..end).unwrap_or_default());
            } else {
                m.hist.remove(f.get(end..me).unwrap_or_default());
            }
        } else {
            // A memo's first histogram is the zeroed default: clearing it
            // again cost a kilobyte of stores per packet.
            if m.valid {
                m.hist.reset();
            }
            m.hist.add(data);
        }
        m.valid = true;
        m.start = start;
        m.end = end;
        m.hist.entropy()
    }
}

/// Classic 16-bytes-per-line hex dump with an ASCII column, for errors.log.
pub fn hex_dump(data: &[u8], out: &mut String) {
    for (line, chunk) in data.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}  ", line * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        for &b in chunk {
            out.push(if (0x20..0x7f).contains(&b) { b as char } else { '.' });
        }
        out.push_str("|\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_bytes_is_eight_bits() {
        let all: Vec<u8> = (0..=255).collect();
        assert!((entropy(&all) - 8.0).abs() < 1e-12);
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"ab") - 1.0).abs() < 1e-12);
    }

    fn direct(data: &[u8]) -> f64 {
        let mut counts = [0u32; 256];
        data.iter().for_each(|&b| counts[b as usize] += 1);
        let n = data.len() as f64;
        counts.iter().filter(|&&c| c > 0).map(|&c| -(c as f64 / n) * (c as f64 / n).log2()).sum()
    }

    #[test]
    fn memo_agrees_with_direct_computation_for_nested_and_shifted_slices() {
        let frame: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8 ^ (i / 13) as u8).collect();
        let memo = EntropyMemo::new(&frame);
        for (s, e) in [(14, 3000), (34, 2990), (54, 2990), (0, 10), (54, 2990), (100, 5000), (2999, 3000)] {
            let slice = frame.get(s..e.min(frame.len())).unwrap_or_default();
            assert!((memo.entropy(slice) - direct(slice)).abs() < 1e-9, "{s}..{e}");
        }
        // Long runs of one byte and a length that is not a multiple of four.
        let padded: Vec<u8> = (0..1001u32).map(|i| if i < 600 { 0 } else { (i % 5) as u8 }).collect();
        assert!((EntropyMemo::new(&padded).entropy(&padded) - direct(&padded)).abs() < 1e-9);
        assert_eq!(entropy(&[0u8; 999]), 0.0);
        let other = [1u8, 2, 3];
        assert!((memo.entropy(&other) - direct(&other)).abs() < 1e-12);
    }

    #[test]
    fn tabled_log2_gives_the_bits_of_f64_log2() {
        // Records must not change with the table: every length in and past
        // it gives bit for bit log2(n) - sum / n.
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 253) as u8).collect();
        for n in (1..5000).step_by(7).chain([4095, 4096, 4097]) {
            let mut h = Histogram::default();
            h.add(&data[..n]);
            let got = h.entropy();
            let want = ((n as f64).log2() - h.sum / n as f64).max(0.0);
            assert_eq!(got.to_bits(), want.to_bits(), "n = {n}");
        }
    }

    #[test]
    fn side_tables_do_not_overflow_on_inputs_past_a_quarter_million_equal_bytes() {
        // 300,000 zeros put 75,000 into each side table of one piece if
        // the input were not cut at 262,140 bytes: u16 counts would wrap.
        let mut data = vec![0u8; 300_001];
        data[300_000] = 1;
        let mut h = Histogram::default();
        h.add(&data);
        assert_eq!(h.counts[0], 300_000);
        assert_eq!(h.counts[1], 1);
        assert!((h.entropy() - direct(&data)).abs() < 1e-12);
    }

    #[test]
    fn short_reads_are_zero_not_panics() {
        assert_eq!(be16(&[1], 0), 0);
        assert_eq!(be32(&[1, 2, 3], 0), 0);
        assert_eq!(u8_at(&[], 3), 0);
    }

    #[test]
    fn addresses_format_like_tshark() {
        assert_eq!(mac_string(&[0, 0x1b, 0x21, 0xab, 0xcd, 0xef]), "00:1b:21:ab:cd:ef");
        assert_eq!(ipv6_string(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), "fe80::1");
        assert_eq!(ipv4_string(&[10, 0, 0, 1]), "10.0.0.1");
        let samples: [[u16; 8]; 9] = [
            [0; 8],
            [0, 0, 0, 0, 0, 0, 0, 1],
            [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1],
            [0x2001, 0xdb8, 0, 1, 0, 0, 0, 0],
            [0xfe80, 0, 0, 0, 0x21b, 0x21ff, 0xfe0a, 0xb0c],
            [1, 0, 1, 0, 1, 0, 1, 0],
            [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304],
            [0xffff; 8],
            [0, 0, 1, 0, 0, 0, 1, 0],
        ];
        for g in samples {
            let a = std::net::Ipv6Addr::new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]);
            assert_eq!(ipv6_string(&a.octets()), a.to_string());
        }
        for v in [0u8, 9, 10, 99, 100, 199, 255] {
            assert_eq!(ipv4_string(&[v, v, 0, 255]), std::net::Ipv4Addr::new(v, v, 0, 255).to_string());
        }
    }

    #[test]
    fn fnv1a_over_parts_is_fnv1a_over_their_concatenation() {
        let (a, b, c) = (&b"Flow"[..], &[0u8, 1, 255, 7][..], &[][..]);
        let whole: Vec<u8> = [a, b, c].concat();
        assert_eq!(fnv1a(&[a, b, c]), fnv1a(&[&whole]));
        // FNV-1a's published test vectors (the empty string, "a", "foobar").
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(&[b"foo", b"bar"]), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn every_octet_and_byte_formats_as_std_does_into_a_reused_string() {
        let mut s = String::from("left over from the previous record");
        for v in 0..=255u8 {
            let ip = [v, 255 - v, v / 3, v.wrapping_mul(7)];
            write_ipv4(&mut s, &ip);
            assert_eq!(s, std::net::Ipv4Addr::from(ip).to_string());
            let mac = [v, 255 - v, v / 3, v.wrapping_mul(7), 0, 0xff];
            write_mac(&mut s, &mac);
            let want: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(s, want.join(":"));
        }
        // Other lengths: EUI-64 and truncated addresses.
        write_mac(&mut s, &[1, 2, 3, 4, 5, 6, 7, 0xab]);
        assert_eq!(s, "01:02:03:04:05:06:07:ab");
        write_mac(&mut s, &[]);
        assert_eq!(s, "");
        write_ipv4(&mut s, &[1, 2, 3]);
        assert_eq!(s, "010203");
    }
}

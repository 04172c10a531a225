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

/// `aa:bb:cc:dd:ee:ff`, lowercase like tshark's `eth.src`.
pub fn mac_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        push_hex_byte(&mut s, *b);
    }
    s
}

pub fn ipv4_string(b: &[u8]) -> String {
    match b {
        [a, b, c, d] => std::net::Ipv4Addr::new(*a, *b, *c, *d).to_string(),
        _ => hex_string(b),
    }
}

/// RFC 5952 text form, as tshark prints `ipv6.src`.
pub fn ipv6_string(b: &[u8]) -> String {
    match <[u8; 16]>::try_from(b) {
        Ok(a) => std::net::Ipv6Addr::from(a).to_string(),
        Err(_) => hex_string(b),
    }
}

pub fn hex_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        push_hex_byte(&mut s, *b);
    }
    s
}

fn push_hex_byte(s: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    s.push(HEX[(b >> 4) as usize] as char);
    s.push(HEX[(b & 15) as usize] as char);
}

/// Shannon entropy of `data` in bits per byte (0.0 for empty input).
pub fn entropy(data: &[u8]) -> f64 {
    let mut h = Histogram::default();
    h.add(data);
    h.entropy()
}

/// Byte counts of a slice, from which Shannon entropy follows. Counts are
/// additive, so the histogram of an enclosing or overlapping slice of the
/// same packet is found by adding and removing the difference only: one
/// packet's Ethernet, IP and TCP payloads cost one full pass, not three.
#[derive(Clone)]
pub struct Histogram {
    counts: [u32; 256],
    total: usize,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: [0; 256], total: 0 }
    }
}

impl Histogram {
    pub fn add(&mut self, data: &[u8]) {
        for &b in data {
            self.counts[b as usize] += 1;
        }
        self.total += data.len();
    }

    /// Removes bytes that were added before (callers guarantee it).
    pub fn remove(&mut self, data: &[u8]) {
        for &b in data {
            let c = &mut self.counts[b as usize];
            *c = c.saturating_sub(1);
        }
        self.total = self.total.saturating_sub(data.len());
    }

    /// H = log2(n) - (1/n) * sum(c * log2 c), with c * log2 c from a table
    /// for the small counts that packets produce.
    pub fn entropy(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let table = c_log2_c_table();
        let mut sum = 0.0;
        for &c in self.counts.iter() {
            if c > 1 {
                sum += match table.get(c as usize) {
                    Some(v) => *v,
                    None => f64::from(c) * f64::from(c).log2(),
                };
            }
        }
        let n = self.total as f64;
        (n.log2() - sum / n).max(0.0)
    }
}

const C_LOG2_C_TABLE_LEN: usize = 4096;

fn c_log2_c_table() -> &'static [f64] {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| (0..C_LOG2_C_TABLE_LEN).map(|c| if c < 2 { 0.0 } else { c as f64 * (c as f64).log2() }).collect())
}

/// Entropy of slices of one packet buffer, reusing the histogram of the
/// previous slice (see [`Histogram`]).
pub struct EntropyMemo<'a> {
    frame: &'a [u8],
    memo: std::cell::RefCell<Option<(usize, usize, Histogram)>>,
}

impl<'a> EntropyMemo<'a> {
    pub fn new(frame: &'a [u8]) -> Self {
        EntropyMemo { frame, memo: std::cell::RefCell::new(None) }
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
        let mut memo = self.memo.borrow_mut();
        let hist = match memo.take() {
            Some((ms, me, mut h)) if start.abs_diff(ms) + end.abs_diff(me) < data.len() && ms < end && start < me => {
                let f = self.frame;
                // Grow or shrink each end to the new range.
                if start < ms {
                    h.add(f.get(start..ms).unwrap_or_default());
                } else {
                    h.remove(f.get(ms..start).unwrap_or_default());
                }
                if end > me {
                    h.add(f.get(me..end).unwrap_or_default());
                } else {
                    h.remove(f.get(end..me).unwrap_or_default());
                }
                h
            }
            _ => {
                let mut h = Histogram::default();
                h.add(data);
                h
            }
        };
        let e = hist.entropy();
        *memo = Some((start, end, hist));
        e
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
        let other = [1u8, 2, 3];
        assert!((memo.entropy(&other) - direct(&other)).abs() < 1e-12);
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
    }
}

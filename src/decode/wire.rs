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
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    let mut h = 0.0;
    for &c in counts.iter() {
        if c > 0 {
            let p = c as f64 / n;
            h -= p * p.log2();
        }
    }
    h
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

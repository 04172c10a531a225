//! Helpers of the decoders' unit tests.

/// The bytes of a hex string (as tshark's `-x` or a capture tool prints
/// them); whitespace is ignored.
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex digits")).collect()
}

/// One seeded variant of `base` for the hostile-input tests: `flips`
/// bytes set to pseudo-random values (xorshift64 on `state`, so runs repeat)
/// and a length in `0..=len` to cut it at.
pub fn mutate(base: &[u8], state: &mut u64, flips: usize) -> (Vec<u8>, usize) {
    let mut m = base.to_vec();
    for _ in 0..flips {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        if !m.is_empty() {
            let i = (*state % m.len() as u64) as usize;
            m[i] = (*state >> 32) as u8;
        }
    }
    let cut = (*state >> 48) as usize % (m.len() + 1);
    (m, cut)
}

/// A xorshift64 generator: the seeded randomness of the hostile-input
/// tests, without a crate.
pub fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

//! Protobuf base-128 varints: the one decoder behind the `.ncap` length
//! prefixes (container), record fields (output) and batch records
//! (collection). Each caller words its own errors (file, record, offset);
//! the limits live here once: at most 10 bytes, and a tenth byte may only
//! hold the 64th bit.

/// Longest varint of a `u64`.
pub const MAX_LEN: usize = 10;

/// Why bytes are not a varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The input ends while the last byte says more follow.
    Truncated,
    /// Ten bytes and the tenth still says more follow.
    TooLong,
    /// The tenth byte carries bits beyond the 64th.
    Overflow,
}

/// Decodes the varint at the start of `buf`: (value, bytes it takes).
/// A one-byte varint (field keys, flags, small numbers: most of a
/// record's varints) is answered inline; profiles of `netcap export` had
/// the call and loop at about 15 % of all instructions before.
#[inline(always)]
pub fn decode(buf: &[u8]) -> Result<(u64, usize), VarintError> {
    match buf.first() {
        Some(&b) if b < 0x80 => Ok((u64::from(b), 1)),
        _ => decode_long(buf),
    }
}

/// The rest of [`decode`]: two or more bytes, or an error.
#[inline(never)]
fn decode_long(buf: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut value = 0u64;
    for (i, &b) in buf.iter().take(MAX_LEN).enumerate() {
        if i == MAX_LEN - 1 {
            if b & 0x80 != 0 {
                return Err(VarintError::TooLong);
            }
            if b > 1 {
                return Err(VarintError::Overflow);
            }
        }
        value |= u64::from(b & 0x7f) << (7 * i as u32);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(VarintError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lengths_and_limits() {
        assert_eq!(decode(&[0x00]), Ok((0, 1)));
        assert_eq!(decode(&[0x96, 0x01, 0xff]), Ok((150, 2)));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(decode(&max), Ok((u64::MAX, 10)));
        assert_eq!(decode(&[]), Err(VarintError::Truncated));
        assert_eq!(decode(&[0x80, 0x80]), Err(VarintError::Truncated));
        assert_eq!(decode(&[0x80; 11]), Err(VarintError::TooLong));
        let mut over = max;
        over[9] = 0x02;
        assert_eq!(decode(&over), Err(VarintError::Overflow));
    }
}

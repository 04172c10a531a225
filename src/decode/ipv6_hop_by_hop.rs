//! IPv6 Hop-by-Hop Options header (RFC 8200 section 4.3).

use super::wire::u8_at;
use super::{DecodeError, Emitter, EncodeConfig, Layers};
use crate::schema::pb;

/// A Hop-by-Hop header whose full length is known to be present.
#[derive(Clone, Copy)]
pub struct HopByHopHeader<'a> {
    header: &'a [u8],
    payload: &'a [u8],
}

impl<'a> HopByHopHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < 8 {
            return Err(DecodeError::truncated("IPv6HopByHop", 8, buf.len()));
        }
        let len = (usize::from(u8_at(buf, 1)) + 1) * 8;
        match (buf.get(..len), buf.get(len..)) {
            (Some(header), Some(payload)) => Ok(HopByHopHeader { header, payload }),
            _ => Err(DecodeError::truncated("IPv6HopByHop", len, buf.len())),
        }
    }
    pub fn next_header(&self) -> u8 {
        u8_at(self.header, 0)
    }
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
    /// TLV options; Pad1 (type 0) is a single byte.
    pub fn options(&self) -> Vec<pb::IPv6HopByHopOption> {
        let mut out = Vec::new();
        let mut rest = self.header.get(2..).unwrap_or_default();
        while let Some(&kind) = rest.first() {
            if kind == 0 {
                out.push(pb::IPv6HopByHopOption { option_type: 0, option_length: 0, option_data: Vec::new() });
                rest = rest.get(1..).unwrap_or_default();
                continue;
            }
            let len = usize::from(u8_at(rest, 1));
            let data = rest.get(2..2 + len).unwrap_or_else(|| rest.get(2..).unwrap_or_default());
            out.push(pb::IPv6HopByHopOption {
                option_type: i32::from(kind),
                option_length: len as i32,
                option_data: data.to_vec(),
            });
            rest = rest.get(2 + len..).unwrap_or_default();
        }
        out
    }
}

pub fn record(timestamp: i64, h: &HopByHopHeader) -> pb::IPv6HopByHop {
    pb::IPv6HopByHop { timestamp, options: h.options() }
}

pub fn encode(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    for h in crate::layers_of!(l, Ipv6HopByHop) {
        out.emit(&record(l.timestamp, h));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_alert_and_padn() {
        // next=58, len=0 (8 bytes): Router Alert (5, len 2, value 0), PadN (1, len 0).
        let buf = [58, 0, 5, 2, 0, 0, 1, 0, 0x80];
        let h = HopByHopHeader::new_checked(&buf).expect("complete");
        assert_eq!(h.next_header(), 58);
        assert_eq!(h.payload(), &[0x80]);
        let kinds: Vec<(i32, i32)> = h.options().iter().map(|o| (o.option_type, o.option_length)).collect();
        assert_eq!(kinds, vec![(5, 2), (1, 0)]);
        assert!(HopByHopHeader::new_checked(&[58, 1, 0, 0, 0, 0, 0, 0]).is_err());
    }
}

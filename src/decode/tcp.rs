//! TCP (RFC 9293) header, options and payload.

use super::wire::{be16, be32, u8_at};
use super::{DecodeError, Emitter, EncodeConfig, ErrorKind, Layers};
use crate::schema::pb;
use std::cell::RefCell;

pub const IP_PROTOCOL: u8 = 6;
const MIN_HEADER_LEN: usize = 20;

/// A TCP segment whose header (options included) is known to be present.
#[derive(Clone, Copy)]
pub struct TcpSegment<'a> {
    buf: &'a [u8],
    /// Segment length as the IP header declares it (may exceed `buf`
    /// when the capture was cut by a snap length).
    declared_len: usize,
}

impl<'a> TcpSegment<'a> {
    pub fn new_checked(buf: &'a [u8], declared_len: usize) -> Result<Self, DecodeError> {
        if buf.len() < MIN_HEADER_LEN {
            return Err(DecodeError::truncated("TCP", MIN_HEADER_LEN, buf.len()));
        }
        let s = TcpSegment { buf, declared_len };
        let hlen = s.header_len();
        if hlen < MIN_HEADER_LEN {
            return Err(DecodeError { layer: "TCP", kind: ErrorKind::BadHeaderLength(hlen) });
        }
        if hlen > buf.len() {
            return Err(DecodeError::truncated("TCP", hlen, buf.len()));
        }
        Ok(s)
    }
    pub fn src_port(&self) -> u16 {
        be16(self.buf, 0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn seq(&self) -> u32 {
        be32(self.buf, 4)
    }
    pub fn ack(&self) -> u32 {
        be32(self.buf, 8)
    }
    pub fn data_offset(&self) -> u8 {
        u8_at(self.buf, 12) >> 4
    }
    pub fn header_len(&self) -> usize {
        usize::from(self.data_offset()) * 4
    }
    /// The nine flag bits: NS in bit 8, then CWR ECE URG ACK PSH RST SYN FIN.
    pub fn flags(&self) -> u16 {
        be16(self.buf, 12) & 0x01ff
    }
    pub fn window(&self) -> u16 {
        be16(self.buf, 14)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 16)
    }
    pub fn urgent(&self) -> u16 {
        be16(self.buf, 18)
    }
    pub fn options(&self) -> &'a [u8] {
        self.buf.get(MIN_HEADER_LEN..self.header_len()).unwrap_or_default()
    }
    /// Captured payload bytes.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.header_len()..).unwrap_or_default()
    }
    /// Payload length as declared by the IP header (tshark's `tcp.len`).
    pub fn payload_len(&self) -> usize {
        self.declared_len.max(self.buf.len()).saturating_sub(self.header_len())
    }
}

/// Splits TCP options into (options, padding after End of Option List).
/// A malformed option (length < 2 or past the header) ends the list.
pub fn parse_options(opts: &[u8]) -> (Vec<pb::TcpOption>, &[u8]) {
    let mut out = Vec::new();
    let padding = parse_options_into(opts, &mut out);
    (out, padding)
}

/// [`parse_options`] into `out`, overwriting the options it holds (their
/// data buffers are reused) and dropping the ones left over.
pub fn parse_options_into<'o>(opts: &'o [u8], out: &mut Vec<pb::TcpOption>) -> &'o [u8] {
    let mut n = 0;
    let padding = super::wire::walk_options(opts, |kind, len, data| {
        match out.get_mut(n) {
            Some(o) => {
                o.option_type = i32::from(kind);
                o.option_length = i32::from(len);
                o.option_data.clear();
                o.option_data.extend_from_slice(data);
            }
            None => out.push(pb::TcpOption {
                option_type: i32::from(kind),
                option_length: i32::from(len),
                option_data: data.to_vec(),
            }),
        }
        n += 1;
    });
    out.truncate(n);
    padding
}

thread_local! {
    /// The record, reused from segment to segment: its options (a
    /// timestamp option on most segments of Linux hosts), padding and
    /// payload keep their buffers (see `ethernet::RECORD`).
    static RECORD: RefCell<pb::Tcp> = RefCell::default();
}

pub fn encode(l: &Layers, cfg: &EncodeConfig, out: &mut Emitter) {
    if !l.has(super::kind::TCP) {
        return;
    }
    RECORD.with_borrow_mut(|r| {
        for s in crate::layers_of!(l, Tcp) {
            let f = s.flags();
            // Every field bound, none left from the previous segment.
            let pb::Tcp {
                timestamp,
                src_port,
                dst_port,
                seq_num,
                ack_num,
                data_offset,
                fin,
                syn,
                rst,
                psh,
                ack,
                urg,
                ece,
                cwr,
                ns,
                window,
                checksum,
                urgent,
                padding,
                options,
                payload_entropy,
                payload_size,
                payload,
            } = r;
            *timestamp = l.timestamp;
            *src_port = i32::from(s.src_port());
            *dst_port = i32::from(s.dst_port());
            *seq_num = s.seq();
            *ack_num = s.ack();
            *data_offset = i32::from(s.data_offset());
            *fin = f & 0x001 != 0;
            *syn = f & 0x002 != 0;
            *rst = f & 0x004 != 0;
            *psh = f & 0x008 != 0;
            *ack = f & 0x010 != 0;
            *urg = f & 0x020 != 0;
            *ece = f & 0x040 != 0;
            *cwr = f & 0x080 != 0;
            *ns = f & 0x100 != 0;
            *window = i32::from(s.window());
            *checksum = i32::from(s.checksum());
            *urgent = i32::from(s.urgent());
            let option_padding = parse_options_into(s.options(), options);
            padding.clear();
            padding.extend_from_slice(option_padding);
            *payload_entropy = l.entropy.entropy(s.payload());
            *payload_size = s.payload_len() as i32;
            payload.clear();
            if cfg.include_payload {
                payload.extend_from_slice(s.payload());
            }
            out.emit(r);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syn_with_mss() {
        let mut seg = vec![0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0x12, 0x34, 0, 0];
        seg.extend_from_slice(&[2, 4, 0x05, 0xb4]);
        let s = TcpSegment::new_checked(&seg, seg.len()).expect("valid");
        assert_eq!((s.src_port(), s.dst_port(), s.seq()), (12345, 80, 1));
        assert_eq!((s.data_offset(), s.flags()), (6, 0x002));
        let (opts, pad) = parse_options(s.options());
        assert_eq!(opts[0].option_type, 2);
        assert_eq!(opts[0].option_data, vec![0x05, 0xb4]);
        assert!(pad.is_empty());
        assert_eq!(s.payload_len(), 0);
    }

    /// Encodes a raw IPv4 packet carrying `segment` into its TCP record.
    fn record_of(segment: &[u8], cfg: EncodeConfig) -> pb::Tcp {
        use prost::Message;
        let mut pkt = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        pkt[2..4].copy_from_slice(&((20 + segment.len()) as u16).to_be_bytes());
        pkt.extend_from_slice(segment);
        let l = Layers::decode(crate::decode::linktype::RAW, 7, &pkt, pkt.len());
        let (mut buf, mut count) = (Vec::new(), 0);
        encode(&l, &cfg, &mut Emitter::new(&mut buf, &mut count));
        assert_eq!(count, 1);
        pb::Tcp::decode_length_delimited(buf.as_slice()).expect("one record")
    }

    #[test]
    fn a_reused_record_keeps_nothing_of_the_previous_segment() {
        // SYN with MSS, SACK permitted, a timestamp, NOP, window scale, EOL
        // and padding, and payload kept; then a bare ACK with fewer options.
        let mut syn = vec![0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0xb0, 0x02, 0xff, 0xff, 0, 0, 0, 0];
        syn.extend_from_slice(&[
            2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7, 0, 0xee, 0xee, 0xee,
        ]);
        syn.extend_from_slice(b"hi");
        let first = record_of(&syn, EncodeConfig { include_payload: true });
        let kinds: Vec<i32> = first.options.iter().map(|o| o.option_type).collect();
        assert_eq!(kinds, vec![2, 4, 8, 1, 3, 0]);
        assert_eq!(first.options[2].option_data, vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((first.padding.as_slice(), first.payload.as_slice()), (&[0xee, 0xee, 0xee][..], &b"hi"[..]));
        assert!(first.syn && !first.ack);
        let mut ack = vec![0x00, 0x50, 0x30, 0x39, 0, 0, 0, 9, 0, 0, 0, 2, 0x60, 0x10, 0x01, 0x00, 0, 0, 0, 0];
        ack.extend_from_slice(&[1, 1, 4, 2]);
        let second = record_of(&ack, EncodeConfig { include_payload: false });
        let kinds: Vec<i32> = second.options.iter().map(|o| o.option_type).collect();
        assert_eq!(kinds, vec![1, 1, 4]);
        assert!(second.options.iter().all(|o| o.option_data.is_empty()));
        assert!(second.padding.is_empty() && second.payload.is_empty());
        assert!(second.ack && !second.syn);
        assert_eq!((second.src_port, second.seq_num, second.payload_size), (80, 9, 0));
    }

    #[test]
    fn rejects_short_and_bad_offsets() {
        let seg = [0u8; 20];
        assert!(TcpSegment::new_checked(&seg, 20).is_err()); // data offset 0
        let mut big = [0u8; 20];
        big[12] = 0xf0; // 60-byte header in 20 bytes
        assert!(TcpSegment::new_checked(&big, 20).is_err());
        assert!(TcpSegment::new_checked(&seg[..19], 19).is_err());
    }

    #[test]
    fn payload_len_follows_ip_when_capture_is_cut() {
        let mut seg = [0u8; 30];
        seg[12] = 0x50;
        let s = TcpSegment::new_checked(&seg, 1480).expect("valid");
        assert_eq!(s.payload().len(), 10);
        assert_eq!(s.payload_len(), 1460);
    }
}

//! IPv4 (RFC 791) with its options.

use super::wire::{be16, u8_at, write_ipv4};
use super::{DecodeError, Emitter, EncodeConfig, ErrorKind, Layers};
use crate::schema::pb;
use std::cell::RefCell;

const MIN_HEADER_LEN: usize = 20;

/// An IPv4 packet whose header (options included) is known to be present.
#[derive(Clone, Copy)]
pub struct Ipv4Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv4Packet<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < MIN_HEADER_LEN {
            return Err(DecodeError::truncated("IPv4", MIN_HEADER_LEN, buf.len()));
        }
        let p = Ipv4Packet { buf };
        if p.version() != 4 {
            return Err(DecodeError { layer: "IPv4", kind: ErrorKind::BadVersion(p.version()) });
        }
        let hlen = p.header_len();
        if hlen < MIN_HEADER_LEN {
            return Err(DecodeError { layer: "IPv4", kind: ErrorKind::BadHeaderLength(hlen) });
        }
        if hlen > buf.len() {
            return Err(DecodeError::truncated("IPv4", hlen, buf.len()));
        }
        Ok(p)
    }

    /// A total length shorter than the header leaves no payload to decode;
    /// the header itself is still reported.
    pub fn check_total_length(&self) -> Result<(), DecodeError> {
        let total = usize::from(self.total_len());
        if total != 0 && total < self.header_len() {
            return Err(DecodeError { layer: "IPv4", kind: ErrorKind::BadTotalLength(total) });
        }
        Ok(())
    }

    /// The packet's bytes from its header on (as captured).
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0) >> 4
    }
    pub fn ihl(&self) -> u8 {
        u8_at(self.buf, 0) & 0x0f
    }
    pub fn header_len(&self) -> usize {
        usize::from(self.ihl()) * 4
    }
    pub fn tos(&self) -> u8 {
        u8_at(self.buf, 1)
    }
    pub fn total_len(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn id(&self) -> u16 {
        be16(self.buf, 4)
    }
    /// The three flag bits (reserved, DF, MF).
    pub fn flags(&self) -> u8 {
        u8_at(self.buf, 6) >> 5
    }
    /// A fragment of a larger datagram: More Fragments set or an offset.
    pub fn is_fragment(&self) -> bool {
        self.flags() & 1 != 0 || self.frag_offset() != 0
    }
    /// Fragment offset in 8-byte units, as on the wire.
    pub fn frag_offset(&self) -> u16 {
        be16(self.buf, 6) & 0x1fff
    }
    pub fn ttl(&self) -> u8 {
        u8_at(self.buf, 8)
    }
    pub fn protocol(&self) -> u8 {
        u8_at(self.buf, 9)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 10)
    }
    pub fn src(&self) -> &'a [u8] {
        self.buf.get(12..16).unwrap_or_default()
    }
    pub fn dst(&self) -> &'a [u8] {
        self.buf.get(16..20).unwrap_or_default()
    }
    pub fn options(&self) -> &'a [u8] {
        self.buf.get(MIN_HEADER_LEN..self.header_len()).unwrap_or_default()
    }
    /// Payload length as the header declares it (a total length of 0,
    /// seen with TCP segmentation offload, means "what was captured").
    pub fn payload_len(&self) -> usize {
        match usize::from(self.total_len()) {
            0 => self.buf.len().saturating_sub(self.header_len()),
            total => total.saturating_sub(self.header_len()),
        }
    }
    /// Payload length as far as the packet on the wire carried it: the
    /// declared length, but no more than the bytes after the header, the
    /// `uncaptured` ones (cut by the snap length) included. A header that
    /// claims more than the frame held is not believed (tshark's "IPv4
    /// total length exceeds packet length"; gopacket does the same).
    /// A total length of 0 (TSO) means all the bytes on the wire.
    pub fn payload_len_on_wire(&self, uncaptured: usize) -> usize {
        let on_wire = (self.buf.len() + uncaptured).saturating_sub(self.header_len());
        match usize::from(self.total_len()) {
            0 => on_wire,
            total => total.saturating_sub(self.header_len()).min(on_wire),
        }
    }
    /// The captured payload, cut at the declared length (drops Ethernet padding).
    pub fn payload(&self) -> &'a [u8] {
        let start = self.header_len();
        let end = (start + self.payload_len()).min(self.buf.len());
        self.buf.get(start..end).unwrap_or_default()
    }
}

/// Splits IPv4 options into (options, padding after End of Option List).
/// A malformed option ends the list; its bytes are kept as its data.
pub fn parse_options(opts: &[u8]) -> (Vec<pb::IPv4Option>, &[u8]) {
    let mut out = Vec::new();
    let padding = super::wire::walk_options(opts, |kind, len, data| {
        out.push(pb::IPv4Option {
            option_type: i32::from(kind),
            option_length: i32::from(len),
            option_data: data.to_vec(),
        });
    });
    (out, padding)
}

thread_local! {
    /// The record, reused from packet to packet: its address strings keep
    /// their buffers (see `ethernet::RECORD`).
    static RECORD: RefCell<pb::IPv4> = RefCell::default();
}

pub fn encode(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    if !l.has(super::kind::IPV4) {
        return;
    }
    RECORD.with_borrow_mut(|r| {
        for p in crate::layers_of!(l, Ipv4) {
            let (parsed_options, option_padding) = parse_options(p.options());
            // Every field bound, none left from the previous packet.
            let pb::IPv4 {
                timestamp,
                version,
                ihl,
                tos,
                length,
                id,
                flags,
                frag_offset,
                ttl,
                protocol,
                checksum,
                src_ip,
                dst_ip,
                padding,
                options,
                payload_entropy,
                payload_size,
            } = r;
            *timestamp = l.timestamp;
            *version = i32::from(p.version());
            *ihl = i32::from(p.ihl());
            *tos = i32::from(p.tos());
            *length = i32::from(p.total_len());
            *id = i32::from(p.id());
            *flags = i32::from(p.flags());
            *frag_offset = i32::from(p.frag_offset());
            *ttl = i32::from(p.ttl());
            *protocol = i32::from(p.protocol());
            *checksum = i32::from(p.checksum());
            write_ipv4(src_ip, p.src());
            write_ipv4(dst_ip, p.dst());
            padding.clear();
            padding.extend_from_slice(option_padding);
            *options = parsed_options;
            *payload_entropy = l.entropy.entropy(p.payload());
            *payload_size = p.payload_len() as i32;
            out.emit(r);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [u8; 20] =
        [0x45, 0x00, 0x00, 0x1c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0xb1, 0xe6, 10, 0, 0, 1, 10, 0, 0, 2];

    #[test]
    fn fixed_fields() {
        let mut pkt = HEADER.to_vec();
        pkt.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 0, 0]); // 8 payload bytes + 2 padding
        let p = Ipv4Packet::new_checked(&pkt).expect("valid");
        assert_eq!((p.version(), p.ihl(), p.total_len(), p.id()), (4, 5, 28, 0x1c46));
        assert_eq!((p.flags(), p.frag_offset(), p.ttl(), p.protocol()), (2, 0, 64, 17));
        assert_eq!(p.payload(), &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(p.payload_len(), 8);
    }

    #[test]
    fn payload_on_wire_believes_the_frame_not_a_longer_header() {
        // tcpdump/tests/kday4.pcap frame 10: total length 820 in a 52-byte packet.
        let mut pkt = HEADER.to_vec();
        pkt[2..4].copy_from_slice(&820u16.to_be_bytes());
        pkt.extend_from_slice(&[0; 32]);
        let p = Ipv4Packet::new_checked(&pkt).expect("valid");
        assert_eq!(p.payload_len(), 800);
        assert_eq!(p.payload_len_on_wire(0), 32);
        // Cut by a snap length: the missing bytes were on the wire.
        assert_eq!(p.payload_len_on_wire(768), 800);
        assert_eq!(p.payload_len_on_wire(10_000), 800);
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(Ipv4Packet::new_checked(&HEADER[..19]).is_err());
        let mut v6 = HEADER;
        v6[0] = 0x65;
        assert!(Ipv4Packet::new_checked(&v6).is_err());
        let mut ihl = HEADER;
        ihl[0] = 0x46; // 24-byte header in a 20-byte buffer
        assert!(Ipv4Packet::new_checked(&ihl).is_err());
    }

    /// Encodes one raw IPv4 packet (link type RAW) into its record.
    fn record_of(pkt: &[u8]) -> pb::IPv4 {
        use prost::Message;
        let l = Layers::decode(crate::decode::linktype::RAW, 7, pkt, pkt.len());
        let (mut buf, mut count) = (Vec::new(), 0);
        encode(&l, &EncodeConfig::default(), &mut Emitter::new(&mut buf, &mut count));
        assert_eq!(count, 1);
        pb::IPv4::decode_length_delimited(buf.as_slice()).expect("one record")
    }

    #[test]
    fn a_reused_record_keeps_nothing_of_the_previous_packet() {
        // Options (Router Alert, EOL, padding) and long addresses first, then a plain header.
        let mut with_options = HEADER.to_vec();
        with_options[0] = 0x47;
        with_options[2..4].copy_from_slice(&36u16.to_be_bytes());
        with_options[12..20].copy_from_slice(&[192, 168, 100, 200, 172, 16, 254, 254]);
        with_options.extend_from_slice(&[148, 4, 0, 0, 0, 0xaa, 0xbb, 0xcc]);
        with_options.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let first = record_of(&with_options);
        assert_eq!((first.src_ip.as_str(), first.dst_ip.as_str()), ("192.168.100.200", "172.16.254.254"));
        assert_eq!(first.options.len(), 2);
        assert_eq!(first.padding, vec![0xaa, 0xbb, 0xcc]);
        let mut plain = HEADER.to_vec();
        plain.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let second = record_of(&plain);
        assert_eq!((second.src_ip.as_str(), second.dst_ip.as_str()), ("10.0.0.1", "10.0.0.2"));
        assert!(second.options.is_empty() && second.padding.is_empty());
        assert_eq!((second.ihl, second.length, second.payload_size), (5, 28, 8));
    }

    #[test]
    fn options_and_padding() {
        // Router Alert (type 148, length 4), NOP, EOL, two padding bytes.
        let (opts, padding) = parse_options(&[148, 4, 0, 0, 1, 0, 0xaa, 0xbb]);
        let kinds: Vec<i32> = opts.iter().map(|o| o.option_type).collect();
        assert_eq!(kinds, vec![148, 1, 0]);
        assert_eq!(padding, &[0xaa, 0xbb]);
        // A length running past the header ends parsing without panicking.
        let (opts, _) = parse_options(&[7, 200, 1]);
        assert_eq!(opts.len(), 1);
    }
}

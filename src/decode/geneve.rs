//! Geneve (RFC 8926): UDP port 6081, an 8-byte header (version, options
//! length, O and C flags, protocol type, VNI), variable-length TLV
//! options, then the payload named by the protocol type (an EtherType;
//! 0x6558 is an Ethernet frame).
//!
//! The options length (6 bits, in 4-byte words) locates the payload, so
//! a length past the captured bytes is rejected. Options are walked
//! within that length; one whose length runs past it is kept with the
//! bytes that are there and ends the walk. A version other than 0 is
//! reported, not rejected: Wireshark 4.0 flags it and still decodes the
//! payload (checked on a crafted version-1 packet).

use super::wire::{be16, be32, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const UDP_PORT: u16 = 6081;
pub const HEADER_LEN: usize = 8;
/// Protocol type of an Ethernet frame (Transparent Ethernet Bridging).
pub const PROTO_ETHERNET: u16 = 0x6558;

/// A Geneve header whose options are known to be present.
#[derive(Clone, Copy)]
pub struct GeneveHeader<'a> {
    buf: &'a [u8],
}

/// One option TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneveOption<'a> {
    pub class: u16,
    /// Its high bit marks a critical option.
    pub option_type: u8,
    /// The three reserved bits.
    pub flags: u8,
    /// Length in bytes, the 4-byte option header included.
    pub length: usize,
    /// The option data as present (shorter than `length - 4` when cut).
    pub data: &'a [u8],
}

impl<'a> GeneveHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("Geneve", HEADER_LEN, buf.len()));
        }
        let g = GeneveHeader { buf };
        let len = HEADER_LEN + g.options_len();
        if len > buf.len() {
            return Err(DecodeError::truncated("Geneve", len, buf.len()));
        }
        Ok(g)
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buf, 0) >> 6
    }
    /// Length of the options in bytes.
    pub fn options_len(&self) -> usize {
        usize::from(u8_at(self.buf, 0) & 0x3f) * 4
    }
    /// O flag: a control (OAM) packet.
    pub fn oam(&self) -> bool {
        u8_at(self.buf, 1) & 0x80 != 0
    }
    /// C flag: critical options are present.
    pub fn critical(&self) -> bool {
        u8_at(self.buf, 1) & 0x40 != 0
    }
    /// EtherType of the payload (0x6558: Ethernet).
    pub fn protocol(&self) -> u16 {
        be16(self.buf, 2)
    }
    /// 24-bit Virtual Network Identifier.
    pub fn vni(&self) -> u32 {
        be32(self.buf, 4) >> 8
    }
    pub fn options_bytes(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..HEADER_LEN + self.options_len()).unwrap_or_default()
    }
    /// The option TLVs; each consumes at least 4 bytes, so the walk ends.
    pub fn options(&self) -> impl Iterator<Item = GeneveOption<'a>> + 'a {
        let mut rest = self.options_bytes();
        std::iter::from_fn(move || {
            if rest.len() < 4 {
                return None;
            }
            let length = 4 + usize::from(u8_at(rest, 3) & 0x1f) * 4;
            let o = GeneveOption {
                class: be16(rest, 0),
                option_type: u8_at(rest, 2),
                flags: u8_at(rest, 3) >> 5,
                length,
                data: rest.get(4..length).unwrap_or_else(|| rest.get(4..).unwrap_or_default()),
            };
            rest = rest.get(length..).unwrap_or_default();
            Some(o)
        })
    }
    /// The encapsulated packet, after the options.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN + self.options_len()..).unwrap_or_default()
    }
}

pub fn record(g: &GeneveHeader, timestamp: i64, _cfg: &EncodeConfig) -> pb::Geneve {
    pb::Geneve {
        timestamp,
        version: i32::from(g.version()),
        options_length: g.options_len() as i32,
        oam_packet: g.oam(),
        critical_option: g.critical(),
        protocol: i32::from(g.protocol()),
        vni: g.vni(),
        options: g
            .options()
            .map(|o| pb::GeneveOption {
                class: i32::from(o.class),
                r#type: i32::from(o.option_type),
                flags: i32::from(o.flags),
                length: o.length as i32,
                data: o.data.to_vec(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    /// tcpdump/tests/geneve.pcap frame 1 (UDP payload): one critical option.
    const GENEVE_1: &str = "0240655800000a00000080010000000cfe71d883724fb69ed2495148080045000054";
    /// tcpdump/tests/geneve-gcp.pcap frame 1: three options (40 bytes), IPv4 inside.
    const GCP_1: &str = "0a0008000000000001320101800000d1013202040800000dc0a86402000000000000000001320302\
                         000000000000123445000028d944000040065837c0a86402c0a864010b59";

    #[test]
    fn geneve_as_tshark_reads_it() {
        let buf = hex(GENEVE_1);
        let g = GeneveHeader::new_checked(&buf).expect("valid");
        // tshark: version 0, "Length: 8 bytes", flags 0x40 (critical), proto_type 0x6558,
        // vni 0x00000a; option class 0x0000, type 0x80, flags 0x00, length 8, data 0000000c.
        assert_eq!((g.version(), g.options_len(), g.oam(), g.critical()), (0, 8, false, true));
        assert_eq!((g.protocol(), g.vni()), (PROTO_ETHERNET, 10));
        let opts: Vec<_> = g.options().collect();
        assert_eq!(opts.len(), 1);
        assert_eq!((opts[0].class, opts[0].option_type, opts[0].flags, opts[0].length), (0, 0x80, 0, 8));
        assert_eq!(opts[0].data, &[0, 0, 0, 0x0c]);
        // Inner eth.dst fe:71:d8:83:72:4f.
        assert_eq!(g.payload().get(..6), Some(&[0xfe, 0x71, 0xd8, 0x83, 0x72, 0x4f][..]));
    }

    #[test]
    fn gcp_options() {
        let buf = hex(GCP_1);
        let g = GeneveHeader::new_checked(&buf).expect("valid");
        // tshark: proto_type 0x0800, vni 0, option classes 0x0132 x3, types 1,2,3,
        // lengths 8,20,12 (after the header's 40).
        assert_eq!((g.protocol(), g.vni(), g.options_len()), (0x0800, 0, 40));
        let r = record(&g, 1, &EncodeConfig::default());
        let o: Vec<_> = r.options.iter().map(|o| (o.class, o.r#type, o.length, o.data.len())).collect();
        assert_eq!(o, vec![(0x132, 1, 8, 4), (0x132, 2, 20, 16), (0x132, 3, 12, 8)]);
        assert_eq!(g.payload().first(), Some(&0x45));
    }

    #[test]
    fn options_length_past_the_buffer_is_rejected_and_cut_options_end_the_walk() {
        let buf = hex(GCP_1);
        assert!(GeneveHeader::new_checked(&buf[..47]).is_err());
        assert!(GeneveHeader::new_checked(&buf[..48]).is_ok());
        // An option claiming 31 words inside 8 bytes of options.
        let g = hex("0200655800000100 0001 01 1f 01020304 aa");
        let g = GeneveHeader::new_checked(&g).expect("valid");
        let opts: Vec<_> = g.options().collect();
        assert_eq!(opts.len(), 1);
        assert_eq!((opts[0].length, opts[0].data), (128, &[1u8, 2, 3, 4][..]));
        assert_eq!(g.payload(), &[0xaa]);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let cfg = EncodeConfig::default();
        let mut state = 0xdead_beef_0bad_f00du64;
        for base in [hex(GENEVE_1), hex(GCP_1)] {
            for n in 0..=base.len() {
                if let Ok(g) = GeneveHeader::new_checked(&base[..n]) {
                    let _ = (record(&g, 0, &cfg), g.payload());
                }
            }
            for _ in 0..3000 {
                let (m, cut) = crate::decode::test_util::mutate(&base, &mut state, 3);
                if let Ok(g) = GeneveHeader::new_checked(&m[..cut]) {
                    let r = record(&g, 0, &cfg);
                    assert!(r.options.len() <= 63);
                }
            }
        }
    }
}

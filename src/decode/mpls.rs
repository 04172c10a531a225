//! MPLS label stack entries (RFC 3032): EtherTypes 0x8847 and 0x8848, GRE
//! protocol 0x8847, UDP port 6635 (RFC 7510). One record per 4-byte entry.
//!
//! An MPLS packet does not say what follows its bottom entry: Wireshark
//! (4.0, by default, no label bound by "Decode As") decides by the bottom
//! label and the first nibble after it (RFC 4928, RFC 4385, RFC 5586), as
//! [`inner_after_label`] does:
//! - label 13 (GAL): a G-ACh associated channel header (tshark `pwach`);
//! - label 14 (OAM alert, ITU-T Y.1711): data;
//! - otherwise nibble 4: IPv4; nibble 6: IPv6; nibble 1: a pseudowire
//!   associated channel header (`pwach`); nibble 0: an Ethernet
//!   pseudowire (`pwethheuristic`), with a 4-byte control word unless
//!   both MAC addresses at the first byte have OUIs known to Wireshark's
//!   manufacturer database; any other nibble: data.
//!
//! netcap always takes the control word for nibble 0: the OUI test needs
//! Wireshark's manuf file, and RFC 8469 makes the control word the rule
//! (Wireshark's own later versions assume it first). Associated channel
//! headers (their payload is BFD, LSP ping, ... by channel type) are left
//! as [`MplsPayload::Unknown`].
//!
//! None of the shared captures carries a pseudowire; the rule was checked
//! on crafted packets with tshark 4.0.17 (IPv4/IPv6 inside, a control word
//! before Ethernet, the reserved labels 0-15 and 1048575 at the bottom).

use super::wire::{be32, u8_at};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const ETHERTYPE_UNICAST: u16 = 0x8847;
pub const ETHERTYPE_MULTICAST: u16 = 0x8848;
/// MPLS in UDP (RFC 7510).
pub const UDP_PORT: u16 = 6635;
pub const ENTRY_LEN: usize = 4;
/// Generic Associated Channel Label (RFC 5586).
pub const LABEL_GAL: u32 = 13;
/// OAM Alert Label (RFC 3429).
pub const LABEL_OAM_ALERT: u32 = 14;
/// The pseudowire control word before an Ethernet frame (RFC 4448).
pub const CONTROL_WORD_LEN: usize = 4;

/// One label stack entry, known to be complete.
#[derive(Clone, Copy)]
pub struct MplsLabel<'a> {
    buf: &'a [u8],
}

impl<'a> MplsLabel<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < ENTRY_LEN {
            return Err(DecodeError::truncated("MPLS", ENTRY_LEN, buf.len()));
        }
        Ok(MplsLabel { buf })
    }
    fn entry(&self) -> u32 {
        be32(self.buf, 0)
    }
    /// The 20-bit label.
    pub fn label(&self) -> u32 {
        self.entry() >> 12
    }
    /// Traffic Class (formerly EXP), 3 bits.
    pub fn traffic_class(&self) -> u8 {
        ((self.entry() >> 9) & 0x7) as u8
    }
    /// S bit: the last entry of the stack.
    pub fn bottom(&self) -> bool {
        self.entry() & 0x100 != 0
    }
    pub fn ttl(&self) -> u8 {
        u8_at(self.buf, 3)
    }
    /// The bytes after this entry: the next entry, or the payload after
    /// the bottom one.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(ENTRY_LEN..).unwrap_or_default()
    }
}

/// What follows the bottom of a label stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MplsPayload<'a> {
    Ipv4(&'a [u8]),
    Ipv6(&'a [u8]),
    /// An Ethernet frame (after the pseudowire control word).
    Ethernet(&'a [u8]),
    /// Anything else (associated channel, OAM, unknown nibble, nothing).
    Unknown(&'a [u8]),
}

/// What follows the bottom entry `bottom`, as Wireshark decides by
/// default (see the module comment): the label first, then the nibble.
pub fn inner_after_label<'a>(bottom: &MplsLabel<'a>) -> MplsPayload<'a> {
    let buf = bottom.payload();
    match bottom.label() {
        LABEL_GAL | LABEL_OAM_ALERT => MplsPayload::Unknown(buf),
        _ => inner_after_stack(buf),
    }
}

/// The first-nibble rule alone, for `buf` = the bytes after the bottom
/// entry. [`inner_after_label`] adds the reserved labels 13 and 14.
pub fn inner_after_stack(buf: &[u8]) -> MplsPayload<'_> {
    match buf.first().map(|b| b >> 4) {
        Some(4) => MplsPayload::Ipv4(buf),
        Some(6) => MplsPayload::Ipv6(buf),
        Some(0) => match buf.get(CONTROL_WORD_LEN..) {
            Some(frame) => MplsPayload::Ethernet(frame),
            None => MplsPayload::Unknown(buf),
        },
        _ => MplsPayload::Unknown(buf),
    }
}

pub fn record(l: &MplsLabel, timestamp: i64, _cfg: &EncodeConfig) -> pb::Mpls {
    pb::Mpls {
        timestamp,
        label: l.label(),
        traffic_class: i32::from(l.traffic_class()),
        stack_bottom: l.bottom(),
        ttl: i32::from(l.ttl()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::hex;

    /// tcpdump/tests/mpls-label-heapoverflow.pcap frame 1 (after EtherType
    /// 0x8848): two entries, nothing after the bottom one.
    const HEAPOVERFLOW: &str = "303030303030bb30";
    /// tcpdump/tests/mpls-over-udp.pcap frame 1 (UDP payload, port 6635):
    /// one entry, then IPv4 from 10.3.0.10.
    const OVER_UDP: &str = "0001513f45000054676f40003f01c0220a03000a0a01000a08007643a6eb";
    /// tcpdump/tests/lspping-fec-ldp.pcap frame 1 (after PPP): EXP 6, then IPv4.
    const LDP_1: &str = "18930d4045c000479f0f00004006b6ca0c0404040c080808100400b36ee7";

    fn entries(mut buf: &[u8]) -> Vec<(u32, u8, bool, u8)> {
        let mut out = Vec::new();
        while let Ok(l) = MplsLabel::new_checked(buf) {
            out.push((l.label(), l.traffic_class(), l.bottom(), l.ttl()));
            buf = l.payload();
            if l.bottom() {
                break;
            }
        }
        out
    }

    #[test]
    fn label_stacks_as_tshark_reads_them() {
        // tshark: mpls.label 197379,197387; mpls.exp 0,5; mpls.bottom 0,1;
        // mpls.ttl 48,48; then "MPLS truncated".
        let buf = hex(HEAPOVERFLOW);
        assert_eq!(entries(&buf), vec![(197379, 0, false, 48), (197387, 5, true, 48)]);
        let second = MplsLabel::new_checked(&buf[4..]).expect("complete");
        assert_eq!(inner_after_label(&second), MplsPayload::Unknown(&[]));
        let r = record(&second, 4, &EncodeConfig::default());
        assert_eq!((r.timestamp, r.label, r.traffic_class, r.stack_bottom, r.ttl), (4, 197387, 5, true, 48));
        assert!(MplsLabel::new_checked(&buf[..3]).is_err());
        // tshark: label 21, exp 0, bottom 1, ttl 63, then ip.src 10.3.0.10.
        let buf = hex(OVER_UDP);
        assert_eq!(entries(&buf), vec![(21, 0, true, 63)]);
        let l = MplsLabel::new_checked(&buf).expect("complete");
        assert!(matches!(inner_after_label(&l), MplsPayload::Ipv4(ip) if ip.get(12..16) == Some(&[10, 3, 0, 10][..])));
        // tshark: label 100656, exp 6, bottom 1, ttl 64, then IPv4.
        let buf = hex(LDP_1);
        assert_eq!(entries(&buf), vec![(100656, 6, true, 64)]);
        assert!(matches!(inner_after_stack(&buf[4..]), MplsPayload::Ipv4(_)));
    }

    #[test]
    fn payload_rule_matches_tshark_on_crafted_packets() {
        // Each case was a packet run through tshark 4.0.17 (label 100 unless said).
        let ipv6 = hex("6000000000083a40fe80");
        assert_eq!(inner_after_stack(&ipv6), MplsPayload::Ipv6(&ipv6)); // mpls:ipv6
        let cw_eth = hex("00000005 021b21010203 041b21040506 0800 45");
        assert_eq!(inner_after_stack(&cw_eth), MplsPayload::Ethernet(&cw_eth[4..])); // pwethcw:eth
        for nibble in [1u8, 2, 3, 5, 7, 8, 9, 0xa, 0xc, 0xf] {
            let other = [nibble << 4, 0, 0, 0, 0x45];
            assert_eq!(inner_after_stack(&other), MplsPayload::Unknown(&other));
            // pwach or data
        }
        assert_eq!(inner_after_stack(&[0, 0]), MplsPayload::Unknown(&[0, 0])); // pwethheuristic:data
        assert_eq!(inner_after_stack(&[]), MplsPayload::Unknown(&[]));
        // Bottom label 13 (GAL) with IPv4 after it: pwach; 14 (OAM alert): data;
        // 0, 2, 15, 16 and 1048575: ip.
        let mut entry = hex("0000d140 45000000");
        for (label, ip) in [(13u32, false), (14, false), (0, true), (2, true), (15, true), (1_048_575, true)] {
            entry[..4].copy_from_slice(&((label << 12) | 0x140).to_be_bytes());
            let l = MplsLabel::new_checked(&entry).expect("complete");
            assert_eq!(matches!(inner_after_label(&l), MplsPayload::Ipv4(_)), ip, "label {label}");
        }
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let cfg = EncodeConfig::default();
        let mut state = 0x0123_4567_89ab_cdefu64;
        for base in [hex(HEAPOVERFLOW), hex(OVER_UDP), hex(LDP_1)] {
            for n in 0..=base.len() {
                if let Ok(l) = MplsLabel::new_checked(&base[..n]) {
                    let _ = (record(&l, 0, &cfg), inner_after_label(&l));
                }
            }
            for _ in 0..3000 {
                let (m, cut) = crate::decode::test_util::mutate(&base, &mut state, 1);
                assert!(entries(&m[..cut]).len() <= cut / 4);
                if let Ok(l) = MplsLabel::new_checked(&m[..cut]) {
                    let _ = (record(&l, 0, &cfg), inner_after_label(&l));
                }
            }
        }
    }
}

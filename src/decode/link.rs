//! Link layers that carry no record of their own: BSD null/loopback,
//! Linux "cooked" captures (SLL, SLL2), IP over InfiniBand and Solaris
//! ipnet. They only tell what follows.

use super::wire::{be16, be32};
use super::DecodeError;

pub const AF_INET: u32 = 2;

/// AF_INET6 differs between systems: Linux 10, NetBSD/OpenBSD 24,
/// FreeBSD 28, macOS 30. A null-link capture may come from any of them.
pub fn is_af_inet6(family: u32) -> bool {
    matches!(family, 10 | 24 | 28 | 30)
}

/// Reads the 4-byte address family of a DLT_NULL (`network_order` false:
/// the writer's byte order, so we accept both) or DLT_LOOP (big-endian) header.
pub fn null_family(buf: &[u8], network_order: bool) -> Result<(u32, &[u8]), DecodeError> {
    let payload = buf.get(4..).ok_or(DecodeError::truncated("Loopback", 4, buf.len()))?;
    let be = be32(buf, 0);
    let family = if network_order || be <= 0xffff { be } else { be.swap_bytes() };
    Ok((family, payload))
}

/// The parts of a Linux cooked header that matter for dispatch.
pub struct SllHeader<'a> {
    pub arphrd: u16,
    /// EtherType for most ARPHRD types.
    pub protocol: u16,
    pub payload: &'a [u8],
}

const ARPHRD_NETLINK: u16 = 824;
const ARPHRD_FRAD: u16 = 770;

impl SllHeader<'_> {
    /// True when `protocol` is an EtherType. For netlink and FRAD devices,
    /// and for the Linux pseudo-protocols below 0x0600 (802.3, 802.2 LLC,
    /// CAN, ...), it is something else. GRE devices (ARPHRD_IPGRE) give
    /// the GRE protocol type, which is an EtherType (RFC 2784), so they
    /// count as EtherType carriers (tcpdump/tests/babel.pcap).
    pub fn carries_ethertype(&self) -> bool {
        !matches!(self.arphrd, ARPHRD_NETLINK | ARPHRD_FRAD) && self.protocol >= 0x0600
    }
}

/// Parses SLL (16 bytes) or SLL2 (20 bytes).
pub fn sll(buf: &[u8], v2: bool) -> Result<SllHeader<'_>, DecodeError> {
    let (name, len) = if v2 { ("LinuxSLL2", 20) } else { ("LinuxSLL", 16) };
    let payload = buf.get(len..).ok_or(DecodeError::truncated(name, len, buf.len()))?;
    Ok(if v2 {
        SllHeader { arphrd: be16(buf, 8), protocol: be16(buf, 0), payload }
    } else {
        SllHeader { arphrd: be16(buf, 2), protocol: be16(buf, 14), payload }
    })
}

/// LINKTYPE_IPOIB (242): a 40-byte pseudo header (the InfiniBand global
/// route header, or the destination address when it is zero), then RFC
/// 4391's 4-byte encapsulation header: an EtherType and 2 reserved bytes.
/// Returns the EtherType and the packet.
pub fn ipoib(buf: &[u8]) -> Result<(u16, &[u8]), DecodeError> {
    const LEN: usize = 44;
    let payload = buf.get(LEN..).ok_or(DecodeError::truncated("IPoIB", LEN, buf.len()))?;
    Ok((be16(buf, 40), payload))
}

/// Solaris ipnet (LINKTYPE_IPNET 226): a 24-byte header whose second byte
/// is the address family, 2 (IPv4) or 26 (Solaris's AF_INET6).
pub const IPNET_AF_INET: u8 = 2;
pub const IPNET_AF_INET6: u8 = 26;

/// The address family and the packet of an ipnet frame.
pub fn ipnet(buf: &[u8]) -> Result<(u8, &[u8]), DecodeError> {
    const LEN: usize = 24;
    let payload = buf.get(LEN..).ok_or(DecodeError::truncated("IPNET", LEN, buf.len()))?;
    Ok((buf.get(1).copied().unwrap_or_default(), payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_family_accepts_both_byte_orders() {
        assert_eq!(null_family(&[2, 0, 0, 0, 0x45], false).map(|r| r.0), Ok(2));
        assert_eq!(null_family(&[0, 0, 0, 2], false).map(|r| r.0), Ok(2));
        assert_eq!(null_family(&[0, 0, 0, 30], true).map(|r| r.0), Ok(30));
        assert!(null_family(&[0, 0], false).is_err());
    }

    #[test]
    fn sll_reads_protocol_from_the_right_offset() {
        let mut v1 = [0u8; 16];
        v1[14] = 0x08;
        let h = sll(&v1, false).map(|h| h.protocol);
        assert_eq!(h, Ok(0x0800));
        let mut v2 = [0u8; 20];
        v2[0] = 0x86;
        v2[1] = 0xdd;
        assert_eq!(sll(&v2, true).map(|h| h.protocol), Ok(0x86dd));
        assert!(sll(&v2[..19], true).is_err());
    }

    #[test]
    fn ipoib_and_ipnet_headers() {
        // tcpdump/tests/ipoib.pcap frame 1: 40 bytes of pseudo header, then
        // type 0x0800, reserved 0, IPv4.
        let mut f = vec![0u8; 40];
        f.extend_from_slice(&[0x08, 0x00, 0x00, 0x00, 0x45]);
        assert_eq!(ipoib(&f), Ok((0x0800, &[0x45u8][..])));
        assert!(ipoib(&f[..43]).is_err());
        // tcpdump/tests/e1000g.pcap frame 1: version 1, family 2, ..., IPv4.
        let mut f = vec![1u8, 2, 0, 0, 0, 0, 0, 0x54];
        f.extend_from_slice(&[0; 16]);
        f.push(0x45);
        assert_eq!(ipnet(&f), Ok((IPNET_AF_INET, &[0x45u8][..])));
        assert!(ipnet(&f[..23]).is_err());
    }

    #[test]
    fn sll_on_a_gre_device_carries_an_ethertype() {
        // tcpdump/tests/babel.pcap: ARPHRD_IPGRE (778), protocol 0x86dd.
        let mut v1 = [0u8; 16];
        v1[2..4].copy_from_slice(&778u16.to_be_bytes());
        v1[14..16].copy_from_slice(&0x86ddu16.to_be_bytes());
        let h = sll(&v1, false).expect("16 bytes");
        assert!(h.carries_ethertype());
        v1[2..4].copy_from_slice(&824u16.to_be_bytes()); // netlink
        assert!(!sll(&v1, false).expect("16 bytes").carries_ethertype());
    }
}

//! Writes `testdata/sample.pcap`: a small capture the project makes itself,
//! with one or more packets of every protocol netcap decodes (and a few it
//! must report as errors or unknown), all with correct checksums so that
//! Wireshark shows them as clean. tests/capture.rs asserts the records
//! netcap makes of it; regenerate the file with this program after a change.
//!
//! Run: `cargo run --example make_testdata [-- OUT.pcap]`

#[path = "../tests/common/packets.rs"]
mod packets;

use etherparse::checksum::Sum16BitWords;
use etherparse::{
    EtherType, Ethernet2Header, IpDscp, IpNumber, Ipv4Header, Ipv4Options, Ipv6FlowLabel, Ipv6Header, UdpHeader,
};
use netcap::capture::dump::{DumpFormat, PacketDump};

const MAC_A: [u8; 6] = [0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c];
const MAC_B: [u8; 6] = [0x3c, 0x52, 0x82, 0x01, 0x02, 0x03];
const IP_A: [u8; 4] = [192, 168, 10, 2];
const IP_B: [u8; 4] = [93, 184, 216, 34];
const IP6_A: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1b, 0x21, 0xff, 0xfe, 0x0a, 0x0b, 0x0c];
const IP6_B: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01];

/// The Internet checksum (RFC 1071) of `chunks` laid end to end, for the
/// protocols etherparse does not build (ICMP, IGMP, OSPF, VRRP, CDP).
fn checksum(chunks: &[&[u8]]) -> u16 {
    // The sum works on native-endian words; `to_be` gives the value whose
    // `to_be_bytes` are the checksum's bytes on the wire.
    Sum16BitWords::new().add_slice(&chunks.concat()).ones_complement().to_be()
}

/// An Ethernet II frame, padded to the 60-byte minimum: padding that netcap
/// must not count as IP payload.
fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Ethernet2Header { source: src, destination: dst, ether_type: EtherType(ethertype) }.to_bytes().to_vec();
    f.extend_from_slice(payload);
    if f.len() < 60 {
        f.resize(60, 0);
    }
    f
}

/// An IPv4 packet with DF set and TOS 0x10 (DSCP 4), whose header etherparse
/// writes (lengths, IHL, checksum).
fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, id: u16, ttl: u8, options: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut h = Ipv4Header::new(0, ttl, IpNumber(proto), src, dst).expect("an empty payload fits");
    h.dscp = IpDscp::try_new(4).expect("a 6-bit value");
    h.identification = id;
    h.options = Ipv4Options::try_from(options).expect("options: a multiple of 4 bytes, at most 40");
    h.set_payload_len(payload.len()).expect("a test payload fits");
    h.header_checksum = h.calc_header_checksum();
    let mut p = h.to_bytes().to_vec();
    p.extend_from_slice(payload);
    p
}

/// An IPv6 packet with flow label 0x01234.
fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, hop_limit: u8, payload: &[u8]) -> Vec<u8> {
    let h = Ipv6Header {
        traffic_class: 0,
        flow_label: Ipv6FlowLabel::try_new(0x1234).expect("a 20-bit value"),
        payload_length: payload.len() as u16,
        next_header: IpNumber(next),
        hop_limit,
        source: src,
        destination: dst,
    };
    let mut p = Vec::with_capacity(40 + payload.len());
    h.write(&mut p).expect("writing to a Vec");
    p.extend_from_slice(payload);
    p
}

/// The checksum of an upper-layer `segment` over the IPv6 pseudo header
/// (RFC 8200 section 8.1), for ICMPv6 and OSPFv3.
fn l4_checksum_v6(src: [u8; 16], dst: [u8; 16], proto: u8, segment: &[u8]) -> u16 {
    let len = (segment.len() as u32).to_be_bytes();
    checksum(&[&src, &dst, &len, &[0, 0, 0, proto], segment])
}

/// A TCP segment with window 64240 and `flags` as the flags byte; etherparse
/// writes the data offset and the checksum.
#[allow(clippy::too_many_arguments)]
fn tcp(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let mut h = packets::tcp_header(sport, dport, seq, ack, flags, 64240);
    h.set_options_raw(options).expect("options: a multiple of 4 bytes, at most 40");
    h.checksum = h.calc_checksum_ipv4_raw(src, dst, payload).expect("a test payload fits");
    let mut s = h.to_bytes().to_vec();
    s.extend_from_slice(payload);
    s
}

fn udp_v4(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut h =
        UdpHeader { source_port: sport, destination_port: dport, length: (8 + payload.len()) as u16, checksum: 0 };
    h.checksum = h.calc_checksum_ipv4_raw(src, dst, payload).expect("a test payload fits");
    let mut s = h.to_bytes().to_vec();
    s.extend_from_slice(payload);
    s
}

fn icmpv6(src: [u8; 16], dst: [u8; 16], body: &[u8]) -> Vec<u8> {
    let mut m = body.to_vec();
    let c = l4_checksum_v6(src, dst, 58, &m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

fn dns_query() -> Vec<u8> {
    let mut q = vec![0x1a, 0x2b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["www", "example", "com"] {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// The packets, in capture order.
fn packets() -> Vec<Vec<u8>> {
    let mut p = Vec::new();
    let mss = [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0]; // MSS, NOP, window scale, SACK permitted, EOL pad
    let syn = tcp(IP_A, IP_B, 51000, 80, 1000, 0, 0x02, &mss, &[]);
    p.push(ethernet(MAC_B, MAC_A, 0x0800, &ipv4(IP_A, IP_B, 6, 0x1001, 64, &[], &syn)));
    let synack = tcp(IP_B, IP_A, 80, 51000, 5000, 1001, 0x12, &[2, 4, 0x05, 0xb4], &[]);
    p.push(ethernet(MAC_A, MAC_B, 0x0800, &ipv4(IP_B, IP_A, 6, 0x2001, 56, &[], &synack)));
    let get = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: netcap-test\r\n\r\n";
    let data = tcp(IP_A, IP_B, 51000, 80, 1001, 5001, 0x18, &[], get);
    p.push(ethernet(MAC_B, MAC_A, 0x0800, &ipv4(IP_A, IP_B, 6, 0x1002, 64, &[], &data)));
    let fin = tcp(IP_A, IP_B, 51000, 80, 1001 + get.len() as u32, 5001, 0x11, &[], &[]);
    p.push(ethernet(MAC_B, MAC_A, 0x0800, &ipv4(IP_A, IP_B, 6, 0x1003, 64, &[], &fin)));
    // UDP DNS query with an IPv4 Router Alert option (type 148).
    let dns = udp_v4(IP_A, [192, 168, 10, 1], 53000, 53, &dns_query());
    p.push(ethernet(MAC_B, MAC_A, 0x0800, &ipv4(IP_A, [192, 168, 10, 1], 17, 0x1004, 64, &[148, 4, 0, 0], &dns)));
    // ARP request.
    let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 1];
    arp.extend_from_slice(&MAC_A);
    arp.extend_from_slice(&IP_A);
    arp.extend_from_slice(&[0; 6]);
    arp.extend_from_slice(&[192, 168, 10, 1]);
    p.push(ethernet([0xff; 6], MAC_A, 0x0806, &arp));
    // ICMP echo request inside an 802.1Q tag (priority 5, VLAN 100).
    let mut echo = vec![8, 0, 0, 0, 0x12, 0x34, 0, 1];
    echo.extend_from_slice(b"abcdefghijklmnop");
    let c = checksum(&[&echo]);
    echo[2..4].copy_from_slice(&c.to_be_bytes());
    let mut tagged = vec![0xa0, 0x64, 0x08, 0x00];
    tagged.extend_from_slice(&ipv4(IP_A, IP_B, 1, 0x1005, 64, &[], &echo));
    p.push(ethernet(MAC_B, MAC_A, 0x8100, &tagged));
    // ICMPv6 echo request.
    let ping6 = icmpv6(IP6_A, IP6_B, &[128, 0, 0, 0, 0x0b, 0xad, 0, 7, b'n', b'c']);
    p.push(ethernet(MAC_B, MAC_A, 0x86dd, &ipv6(IP6_A, IP6_B, 58, 64, &ping6)));
    // Neighbor solicitation with a source link-layer address option.
    let target = IP6_B;
    let mut ns = vec![135, 0, 0, 0, 0, 0, 0, 0];
    ns.extend_from_slice(&target);
    ns.extend_from_slice(&[1, 1]);
    ns.extend_from_slice(&MAC_A);
    let ns = icmpv6(IP6_A, IP6_B, &ns);
    p.push(ethernet(MAC_B, MAC_A, 0x86dd, &ipv6(IP6_A, IP6_B, 58, 255, &ns)));
    // Neighbor advertisement (router, solicited, override) with a target link-layer option.
    let mut na = vec![136, 0, 0, 0, 0xe0, 0, 0, 0];
    na.extend_from_slice(&target);
    na.extend_from_slice(&[2, 1]);
    na.extend_from_slice(&MAC_B);
    let na = icmpv6(IP6_B, IP6_A, &na);
    p.push(ethernet(MAC_A, MAC_B, 0x86dd, &ipv6(IP6_B, IP6_A, 58, 255, &na)));
    // Router solicitation, then a router advertisement with a prefix option.
    let all_routers = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let rs = icmpv6(IP6_A, all_routers, &[133, 0, 0, 0, 0, 0, 0, 0]);
    p.push(ethernet([0x33, 0x33, 0, 0, 0, 2], MAC_A, 0x86dd, &ipv6(IP6_A, all_routers, 58, 255, &rs)));
    let all_nodes = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut ra = vec![134, 0, 0, 0, 64, 0x80, 0x07, 0x08, 0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8];
    ra.extend_from_slice(&[3, 4, 64, 0xc0, 0, 0x27, 0x8d, 0, 0, 0x09, 0x3a, 0x80, 0, 0, 0, 0]);
    ra.extend_from_slice(&IP6_B);
    let ra = icmpv6(IP6_B, all_nodes, &ra);
    p.push(ethernet([0x33, 0x33, 0, 0, 0, 1], MAC_B, 0x86dd, &ipv6(IP6_B, all_nodes, 58, 255, &ra)));
    // MLDv2 report behind a Hop-by-Hop header with Router Alert.
    let mld_dst = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16];
    let mld = icmpv6(IP6_A, mld_dst, &[143, 0, 0, 0, 0, 0, 0, 0]);
    let mut hbh = vec![58, 0, 5, 2, 0, 0, 1, 0];
    hbh.extend_from_slice(&mld);
    p.push(ethernet([0x33, 0x33, 0, 0, 0, 0x16], MAC_A, 0x86dd, &ipv6(IP6_A, mld_dst, 0, 1, &hbh)));
    // First fragment of a UDP datagram behind an IPv6 Fragment header.
    let mut frag = vec![17, 0, 0x00, 0x01, 0xca, 0xfe, 0xba, 0xbe];
    let mut udp6 = vec![0xc3, 0x50, 0x00, 0x35, 0x00, 0x28, 0, 0];
    udp6.extend_from_slice(&[0x55; 16]);
    frag.extend_from_slice(&udp6);
    p.push(ethernet(MAC_B, MAC_A, 0x86dd, &ipv6(IP6_A, IP6_B, 44, 64, &frag)));
    // Truncated TCP header (12 bytes): an error for errors.log and errors.pcap.
    let mut bad = tcp(IP_A, IP_B, 51001, 443, 1, 0, 0x02, &[], &[]);
    bad.truncate(12);
    let mut bad_ip = ipv4(IP_A, IP_B, 6, 0x1006, 64, &[], &bad);
    bad_ip.truncate(32);
    let mut f = ethernet(MAC_B, MAC_A, 0x0800, &bad_ip);
    f.truncate(14 + 32);
    p.push(f);
    // PTPv2 Sync (EtherType 0x88f7, IEEE 1588): no record type, so unknown.pcap.
    let mut ptp = vec![0x00, 0x02, 0x00, 0x2c, 0x00, 0x00, 0x02, 0x00];
    ptp.extend_from_slice(&[0; 12]);
    ptp.extend_from_slice(&[0x00, 0x1b, 0x21, 0xff, 0xfe, 0x0a, 0x0b, 0x0c, 0x00, 0x01]);
    ptp.extend_from_slice(&[0x00, 0x2a, 0x00, 0x00]);
    ptp.extend_from_slice(&[0, 0, 0x59, 0x5c, 0xce, 0xcf, 0x32, 0x9a, 0x4b, 0xa0]);
    p.push(ethernet([0x01, 0x1b, 0x19, 0, 0, 0], MAC_A, 0x88f7, &ptp));
    p.extend(layer_packets());
    p
}

const IP_C: [u8; 4] = [192, 168, 10, 1];
const MAC_BROADCAST: [u8; 6] = [0xff; 6];

fn eth_v4(dst_mac: [u8; 6], src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    ethernet(dst_mac, MAC_A, 0x0800, &ipv4(src, dst, proto, 0x2000, 64, &[], payload))
}

fn udp_v6(src: [u8; 16], dst: [u8; 16], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut h =
        UdpHeader { source_port: sport, destination_port: dport, length: (8 + payload.len()) as u16, checksum: 0 };
    h.checksum = h.calc_checksum_ipv6_raw(src, dst, payload).expect("a test payload fits");
    let mut s = h.to_bytes().to_vec();
    s.extend_from_slice(payload);
    s
}

/// CRC-32C (Castagnoli, reflected), SCTP's checksum (RFC 9260 appendix A).
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82f6_3b78 } else { crc >> 1 };
        }
    }
    !crc
}

/// An ICMP echo request with its checksum.
fn icmp_echo(id: u16, seq: u16) -> Vec<u8> {
    let mut m = vec![8, 0, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(b"netcap");
    let c = checksum(&[&m]);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// One packet of each protocol of the application, routing and tunnel
/// record types (issue 11), in the order of the registry.
fn layer_packets() -> Vec<Vec<u8>> {
    let mut p = Vec::new();
    // DNS response over UDP: www.example.com A 93.184.216.34, TTL 3600, with a compression pointer.
    let mut dns = vec![0x1a, 0x2b, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    for label in ["www", "example", "com"] {
        dns.push(label.len() as u8);
        dns.extend_from_slice(label.as_bytes());
    }
    dns.extend_from_slice(&[0, 0, 1, 0, 1, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
    dns.extend_from_slice(&IP_B);
    p.push(eth_v4(MAC_B, IP_C, IP_A, 17, &udp_v4(IP_C, IP_A, 53, 53000, &dns)));
    // DHCPv4 Discover: xid 0x3903f326, message type 1, from 0.0.0.0:68 to 255.255.255.255:67.
    let mut dhcp = vec![1, 1, 6, 0, 0x39, 0x03, 0xf3, 0x26, 0, 0, 0x80, 0];
    dhcp.extend_from_slice(&[0; 16]);
    dhcp.extend_from_slice(&MAC_A);
    dhcp.extend_from_slice(&[0; 10 + 64 + 128]);
    dhcp.extend_from_slice(&[99, 130, 83, 99, 53, 1, 1, 55, 3, 1, 3, 6, 255]);
    let dhcp = udp_v4([0; 4], [255; 4], 68, 67, &dhcp);
    p.push(ethernet(MAC_BROADCAST, MAC_A, 0x0800, &ipv4([0; 4], [255; 4], 17, 0x2001, 64, &[], &dhcp)));
    // DHCPv6 Solicit: transaction id 0x5f3c21 with an Elapsed Time option.
    let all_dhcp = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2];
    let dhcp6 = udp_v6(IP6_A, all_dhcp, 546, 547, &[1, 0x5f, 0x3c, 0x21, 0, 8, 0, 2, 0, 0]);
    p.push(ethernet([0x33, 0x33, 0, 1, 0, 2], MAC_A, 0x86dd, &ipv6(IP6_A, all_dhcp, 17, 1, &dhcp6)));
    // NTP v4 client request (mode 3) with a transmit timestamp.
    let mut ntp = vec![0x23, 0, 6, 0xec];
    ntp.extend_from_slice(&[0; 36]);
    ntp.extend_from_slice(&[0xe3, 0x1a, 0x2b, 0x3c, 0x80, 0, 0, 0]);
    p.push(eth_v4(MAC_B, IP_A, IP_B, 17, &udp_v4(IP_A, IP_B, 50123, 123, &ntp)));
    // SIP OPTIONS request.
    let sip = b"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.10.2:5060;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: Alice <sip:alice@example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    p.push(eth_v4(MAC_B, IP_A, IP_B, 17, &udp_v4(IP_A, IP_B, 5060, 5060, sip)));
    // IGMPv2 membership report for 239.1.2.3, behind a Router Alert option.
    let mut igmp = vec![0x16, 0, 0, 0, 239, 1, 2, 3];
    let c = checksum(&[&igmp]);
    igmp[2..4].copy_from_slice(&c.to_be_bytes());
    p.push(ethernet(
        [0x01, 0, 0x5e, 1, 2, 3],
        MAC_A,
        0x0800,
        &ipv4(IP_A, [239, 1, 2, 3], 2, 0x2002, 1, &[148, 4, 0, 0], &igmp),
    ));
    // SCTP INIT from port 5000 to 36412 (S1AP), verification tag 0.
    let mut sctp = vec![0x13, 0x88, 0x8e, 0x3c, 0, 0, 0, 0, 0, 0, 0, 0];
    sctp.extend_from_slice(&[1, 0, 0, 20, 0x12, 0x34, 0x56, 0x78, 0, 1, 0, 0, 0, 10, 0, 10, 0, 0, 0, 1]);
    let c = crc32c(&sctp);
    sctp[8..12].copy_from_slice(&c.to_le_bytes());
    p.push(eth_v4(MAC_B, IP_A, IP_B, 132, &sctp));
    // AH (SPI 0x1000, sequence 1, 12-byte ICV) around an ICMP echo request.
    let mut ah = vec![1, 4, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 1];
    ah.extend_from_slice(&[0xaa; 12]);
    ah.extend_from_slice(&icmp_echo(0x4242, 1));
    p.push(eth_v4(MAC_B, IP_A, IP_B, 51, &ah));
    // ESP (SPI 0x2000, sequence 7) with 32 opaque bytes.
    let mut esp = vec![0, 0, 0x20, 0, 0, 0, 0, 7];
    esp.extend_from_slice(&[0x5a; 32]);
    p.push(eth_v4(MAC_B, IP_A, IP_B, 50, &esp));
    // GRE with a key (0x00abcdef) around IPv4/ICMP.
    let mut gre = vec![0x20, 0, 0x08, 0, 0, 0xab, 0xcd, 0xef];
    gre.extend_from_slice(&ipv4([10, 0, 0, 1], [10, 0, 0, 2], 1, 0x3000, 64, &[], &icmp_echo(1, 2)));
    p.push(eth_v4(MAC_B, IP_A, IP_B, 47, &gre));
    // MPLS: two labels (100, then 200 at the bottom, TTL 64) around IPv4/ICMP.
    let mut mpls = vec![0x00, 0x06, 0x40, 0x40, 0x00, 0x0c, 0x81, 0x40];
    mpls.extend_from_slice(&ipv4([10, 1, 0, 1], [10, 1, 0, 2], 1, 0x3001, 64, &[], &icmp_echo(1, 3)));
    p.push(ethernet(MAC_B, MAC_A, 0x8847, &mpls));
    // VXLAN (VNI 5001) around Ethernet/IPv4/TCP SYN.
    let inner_syn = tcp([10, 2, 0, 1], [10, 2, 0, 2], 40000, 22, 7, 0, 0x02, &[], &[]);
    let inner = ethernet(MAC_A, MAC_B, 0x0800, &ipv4([10, 2, 0, 1], [10, 2, 0, 2], 6, 0x3002, 64, &[], &inner_syn));
    let mut vxlan = vec![0x08, 0, 0, 0, 0, 0x13, 0x89, 0];
    vxlan.extend_from_slice(&inner);
    p.push(eth_v4(MAC_B, IP_A, IP_B, 17, &udp_v4(IP_A, IP_B, 49152, 4789, &vxlan)));
    // Geneve (VNI 0x000123, no options) around Ethernet/IPv4/UDP.
    let inner_udp = udp_v4([10, 3, 0, 1], [10, 3, 0, 2], 1234, 5678, b"inner");
    let inner = ethernet(MAC_A, MAC_B, 0x0800, &ipv4([10, 3, 0, 1], [10, 3, 0, 2], 17, 0x3003, 64, &[], &inner_udp));
    let mut geneve = vec![0, 0, 0x65, 0x58, 0, 0x01, 0x23, 0];
    geneve.extend_from_slice(&inner);
    p.push(eth_v4(MAC_B, IP_A, IP_B, 17, &udp_v4(IP_A, IP_B, 49153, 6081, &geneve)));
    // OSPFv2 Hello from router 1.1.1.1 in area 0 (no authentication).
    let mut ospf = vec![2, 1, 0, 44, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    ospf.extend_from_slice(&[255, 255, 255, 0, 0, 10, 0x02, 1, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0]);
    let c = checksum(&[&ospf]);
    ospf[12..14].copy_from_slice(&c.to_be_bytes());
    p.push(ethernet([0x01, 0, 0x5e, 0, 0, 5], MAC_A, 0x0800, &ipv4(IP_A, [224, 0, 0, 5], 89, 0x2003, 1, &[], &ospf)));
    // OSPFv3 Hello from router 2.2.2.2 over IPv6 (checksum over the IPv6 pseudo header).
    let all_spf = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
    let mut ospf3 = vec![3, 1, 0, 36, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0];
    ospf3.extend_from_slice(&[0, 0, 0, 5, 1, 0, 0, 0x13, 0, 10, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0]);
    let c = l4_checksum_v6(IP6_A, all_spf, 89, &ospf3);
    ospf3[12..14].copy_from_slice(&c.to_be_bytes());
    p.push(ethernet([0x33, 0x33, 0, 0, 0, 5], MAC_A, 0x86dd, &ipv6(IP6_A, all_spf, 89, 1, &ospf3)));
    // BFD control packet: state Up, detect multiplier 3, discriminators 1 and 2, 1 s intervals.
    let mut bfd = vec![0x20, 0xc0, 3, 24, 0, 0, 0, 1, 0, 0, 0, 2];
    bfd.extend_from_slice(&[0, 0x0f, 0x42, 0x40, 0, 0x0f, 0x42, 0x40, 0, 0, 0, 0]);
    p.push(eth_v4(MAC_B, IP_A, IP_B, 17, &udp_v4(IP_A, IP_B, 49152, 3784, &bfd)));
    // VRRPv2 advertisement: virtual router 7, priority 100, one address.
    let mut vrrp = vec![0x21, 7, 100, 1, 0, 1, 0, 0, 192, 168, 10, 254, 0, 0, 0, 0, 0, 0, 0, 0];
    let c = checksum(&[&vrrp]);
    vrrp[6..8].copy_from_slice(&c.to_be_bytes());
    p.push(ethernet(
        [0x01, 0, 0x5e, 0, 0, 0x12],
        [0, 0, 0x5e, 0, 1, 7],
        0x0800,
        &ipv4(IP_A, [224, 0, 0, 18], 112, 0x2004, 255, &[], &vrrp),
    ));
    // Modbus/TCP: read holding registers (function 3), transaction 1, unit 17.
    let modbus = [0, 1, 0, 0, 0, 6, 17, 3, 0, 0x6b, 0, 3];
    let seg = tcp(IP_A, IP_B, 50502, 502, 100, 200, 0x18, &[], &modbus);
    p.push(eth_v4(MAC_B, IP_A, IP_B, 6, &seg));
    // LCM short message on channel "POSE", sequence 9, to the usual multicast group and port.
    let mut lcm = b"LC02".to_vec();
    lcm.extend_from_slice(&[0, 0, 0, 9]);
    lcm.extend_from_slice(b"POSE\0");
    lcm.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    p.push(eth_v4(
        [0x01, 0, 0x5e, 0x7f, 0, 1],
        IP_A,
        [239, 255, 76, 67],
        17,
        &udp_v4(IP_A, [239, 255, 76, 67], 40000, 7667, &lcm),
    ));
    p.extend(ethernet_link_packets());
    p
}

/// An IEEE 802.3 frame: a length field (the LLC bytes that follow), then
/// padding up to the minimum frame size.
fn ieee8023(dst: [u8; 6], src: [u8; 6], llc: &[u8]) -> Vec<u8> {
    ethernet(dst, src, llc.len() as u16, llc)
}

/// LLC UI frame with SNAP header (OUI, PID), then `payload`.
fn llc_snap(oui: [u8; 3], pid: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0xaa, 0xaa, 0x03];
    f.extend_from_slice(&oui);
    f.extend_from_slice(&pid.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An LLDP TLV: 7 bits of type, 9 bits of length.
fn lldp_tlv(t: u16, value: &[u8]) -> Vec<u8> {
    let mut v = ((t << 9) | value.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(value);
    v
}

/// A CDP TLV: type, length including the 4-byte header.
fn cdp_tlv(t: u16, value: &[u8]) -> Vec<u8> {
    let mut v = t.to_be_bytes().to_vec();
    v.extend_from_slice(&((value.len() + 4) as u16).to_be_bytes());
    v.extend_from_slice(value);
    v
}

/// The link-layer protocols Ethernet carries without IP: LLDP, CDP and
/// Nortel discovery (802.3 + LLC/SNAP), EAPOL with EAP, CTP, and IPv4
/// over LLC/SNAP.
fn ethernet_link_packets() -> Vec<Vec<u8>> {
    let mut p = Vec::new();
    // LLDP: chassis MAC, port "Gi0/1", TTL 120, port and system
    // descriptions, capabilities bridge+router (bridge enabled),
    // management address 192.168.10.1 (ifIndex 3), port VLAN 10, end.
    let mut lldp = lldp_tlv(1, &[[4].as_slice(), &MAC_B].concat());
    lldp.extend(lldp_tlv(2, b"\x05Gi0/1"));
    lldp.extend(lldp_tlv(3, &[0, 120]));
    lldp.extend(lldp_tlv(4, b"uplink to core"));
    lldp.extend(lldp_tlv(5, b"sw1.example.org"));
    lldp.extend(lldp_tlv(6, b"netcap sample switch"));
    lldp.extend(lldp_tlv(7, &[0x00, 0x14, 0x00, 0x04]));
    lldp.extend(lldp_tlv(8, &[5, 1, 192, 168, 10, 1, 2, 0, 0, 0, 3, 0]));
    lldp.extend(lldp_tlv(127, &[0x00, 0x80, 0xc2, 0x01, 0x00, 0x0a]));
    lldp.extend(lldp_tlv(0, &[]));
    p.push(ethernet([0x01, 0x80, 0xc2, 0, 0, 0x0e], MAC_B, 0x88cc, &lldp));
    // CDPv2 from "sw01": address 192.168.10.1, port, capabilities (router,
    // switch, IGMP), software version, platform, native VLAN 10, full duplex.
    let mut cdp = vec![2, 180, 0, 0];
    cdp.extend(cdp_tlv(1, b"sw01"));
    cdp.extend(cdp_tlv(2, &[0, 0, 0, 1, 1, 1, 0xcc, 0, 4, 192, 168, 10, 1]));
    cdp.extend(cdp_tlv(3, b"GigabitEthernet0/1"));
    cdp.extend(cdp_tlv(4, &[0, 0, 0, 0x29]));
    cdp.extend(cdp_tlv(5, b"Cisco IOS Software, 15.2(4)E7"));
    cdp.extend(cdp_tlv(6, b"cisco WS-C2960X"));
    cdp.extend(cdp_tlv(0x0a, &[0, 10]));
    cdp.extend(cdp_tlv(0x0b, &[1]));
    assert!(cdp.len() % 2 == 0, "CDP's checksum is only standard for even lengths");
    let c = checksum(&[&cdp]);
    cdp[2..4].copy_from_slice(&c.to_be_bytes());
    p.push(ieee8023([0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc], MAC_B, &llc_snap([0, 0, 0x0c], 0x2000, &cdp)));
    // Nortel segment hello: 192.168.10.3, segment 0x000103, chassis 12,
    // backplane 12, state heartbeat, one link.
    let ndp = [192, 168, 10, 3, 0x00, 0x01, 0x03, 12, 12, 2, 1];
    p.push(ieee8023([0x01, 0x00, 0x81, 0x00, 0x01, 0x00], MAC_B, &llc_snap([0, 0, 0x81], 0x01a2, &ndp)));
    // EAPOL (802.1X-2004) carrying an EAP Response/Identity.
    let identity = b"alice@example.org";
    let mut eap = vec![2, 1];
    eap.extend_from_slice(&((5 + identity.len()) as u16).to_be_bytes());
    eap.push(1);
    eap.extend_from_slice(identity);
    let mut eapol = vec![2, 0];
    eapol.extend_from_slice(&(eap.len() as u16).to_be_bytes());
    eapol.extend_from_slice(&eap);
    p.push(ethernet([0x01, 0x80, 0xc2, 0, 0, 0x03], MAC_A, 0x888e, &eapol));
    // CTP loopback at its last station: skipCount 0, reply function,
    // receipt number 7, data (little-endian fields).
    let mut ctp = vec![0, 0, 1, 0, 7, 0];
    ctp.extend_from_slice(b"netcap loop");
    p.push(ethernet(MAC_A, MAC_A, 0x9000, &ctp));
    // IPv4/UDP (NTP port, small payload) over 802.3 + LLC/SNAP (RFC 1042).
    let udp = udp_v4(IP_A, IP_B, 40123, 9, b"discard me");
    let ip = ipv4(IP_A, IP_B, 17, 0x2010, 64, &[], &udp);
    p.push(ieee8023(MAC_B, MAC_A, &llc_snap([0, 0, 0], 0x0800, &ip)));
    p
}

/// IEEE CRC-32 of an 802.11 or Ethernet frame (the FCS), little-endian on the wire.
fn fcs(frame: &[u8]) -> [u8; 4] {
    let mut crc = flate2::Crc::new();
    crc.update(frame);
    crc.sum().to_le_bytes()
}

/// A radiotap header (flags, rate, channel, antenna signal, antenna) in
/// front of an 802.11 frame, whose FCS it appends and announces.
fn radiotap(rate: u8, signal_dbm: i8, frame: &[u8]) -> Vec<u8> {
    let present: u32 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 11);
    let mut r = vec![0, 0, 16, 0];
    r.extend_from_slice(&present.to_le_bytes());
    // Flags: FCS at end; rate in 500 kb/s; 2437 MHz (channel 6), CCK + 2 GHz.
    r.extend_from_slice(&[0x10, rate]);
    r.extend_from_slice(&2437u16.to_le_bytes());
    r.extend_from_slice(&0x00a0u16.to_le_bytes());
    r.extend_from_slice(&[signal_dbm as u8, 1]);
    r.extend_from_slice(frame);
    r.extend_from_slice(&fcs(frame));
    r
}

const BSSID: [u8; 6] = [0x02, 0x4e, 0x43, 0x00, 0x00, 0x01];

/// An 802.11 QoS data frame (TID 0) between the station MAC_A and the
/// access point BSSID: `to_ds` from the station, else to it; `protected`
/// sets the Protected Frame flag. Sequence number `seq`.
fn dot11_qos_data(to_ds: bool, protected: bool, seq: u16, body: &[u8]) -> Vec<u8> {
    let flags = if to_ds { 0x01 } else { 0x02 } | if protected { 0x40 } else { 0 };
    let mut f = vec![0x88, flags, 0x2c, 0x00];
    let (a1, a2, a3) = if to_ds { (BSSID, MAC_A, MAC_B) } else { (MAC_A, BSSID, MAC_B) };
    for a in [a1, a2, a3] {
        f.extend_from_slice(&a);
    }
    f.extend_from_slice(&(seq << 4).to_le_bytes());
    f.extend_from_slice(&[0x00, 0x00]);
    f.extend_from_slice(body);
    f
}

/// The USB, 802.11, FDDI and PPI-less link types: (link type, frame).
fn other_link_packets() -> Vec<(u32, Vec<u8>)> {
    let mut p = Vec::new();
    // Beacon of "netcap-lab" on channel 6, sequence 100.
    let mut beacon = vec![0x80, 0x00, 0x00, 0x00];
    beacon.extend_from_slice(&[0xff; 6]);
    beacon.extend_from_slice(&BSSID);
    beacon.extend_from_slice(&BSSID);
    beacon.extend_from_slice(&(100u16 << 4).to_le_bytes());
    beacon.extend_from_slice(&0x0000_0000_1234_5678u64.to_le_bytes());
    beacon.extend_from_slice(&100u16.to_le_bytes());
    beacon.extend_from_slice(&0x0411u16.to_le_bytes());
    beacon.extend_from_slice(&[0, 10]);
    beacon.extend_from_slice(b"netcap-lab");
    beacon.extend_from_slice(&[1, 4, 0x82, 0x84, 0x8b, 0x96, 3, 1, 6]);
    p.push((127, radiotap(2, -42, &beacon)));
    // QoS data to the access point: LLC/SNAP, IPv4, ICMP echo request.
    let ip = ipv4(IP_A, IP_B, 1, 0x4001, 64, &[], &icmp_echo(9, 1));
    p.push((127, radiotap(108, -51, &dot11_qos_data(true, false, 101, &llc_snap([0, 0, 0], 0x0800, &ip)))));
    // EAPOL-Key message 1 of the 4-way handshake from the access point:
    // RSN descriptor, key information 0x008a (pairwise, ACK, HMAC-SHA1/AES),
    // key length 16, replay counter 1, ANonce 0x01..0x20, no key data.
    let mut key = vec![2, 0x00, 0x8a, 0, 16];
    key.extend_from_slice(&1u64.to_be_bytes());
    key.extend((1..=32).collect::<Vec<u8>>());
    key.extend_from_slice(&[0; 16 + 8 + 8 + 16 + 2]);
    let mut eapol = vec![2, 3];
    eapol.extend_from_slice(&(key.len() as u16).to_be_bytes());
    eapol.extend_from_slice(&key);
    p.push((127, radiotap(2, -40, &dot11_qos_data(false, false, 7, &llc_snap([0, 0, 0], 0x888e, &eapol)))));
    // Protected (CCMP) data: the body is ciphertext and ends at Dot11.
    let mut ccmp = vec![0x01, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00];
    ccmp.extend_from_slice(&[0x5a; 40]);
    p.push((127, radiotap(108, -50, &dot11_qos_data(true, true, 102, &ccmp))));
    // Plain 802.11 (no radio header, no FCS): an ACK to the station.
    let mut ack = vec![0xd4, 0x00, 0x00, 0x00];
    ack.extend_from_slice(&MAC_A);
    p.push((105, ack));
    // FDDI (addresses bit-swapped, as link type 10 stores them): LLC/SNAP,
    // IPv4, ICMP echo request.
    let swap = |m: [u8; 6]| m.map(|b| b.reverse_bits());
    let mut fddi = vec![0x50];
    fddi.extend_from_slice(&swap(MAC_B));
    fddi.extend_from_slice(&swap(MAC_A));
    fddi.extend(llc_snap([0, 0, 0], 0x0800, &ipv4(IP_A, IP_B, 1, 0x4002, 64, &[], &icmp_echo(9, 2))));
    p.push((10, fddi));
    // Linux usbmon, memory-mapped header: GET_DESCRIPTOR (device) submit
    // on device 3 of bus 1, then its completion with 18 bytes.
    let usbmon = |urb_type: u8, setup: Option<[u8; 8]>, status: i32, data: &[u8], mmapped: bool| {
        let mut h = 0xffff_8880_1234_5600u64.to_le_bytes().to_vec();
        h.extend_from_slice(&[urb_type, 2, 0x80, 3]);
        h.extend_from_slice(&1u16.to_le_bytes());
        h.push(if setup.is_some() { 0 } else { b'-' });
        h.push(if data.is_empty() { b'<' } else { 0 });
        h.extend_from_slice(&1_499_254_300i64.to_le_bytes());
        h.extend_from_slice(&125_000i32.to_le_bytes());
        h.extend_from_slice(&status.to_le_bytes());
        h.extend_from_slice(&18u32.to_le_bytes());
        h.extend_from_slice(&(data.len() as u32).to_le_bytes());
        h.extend_from_slice(&setup.unwrap_or([0; 8]));
        if mmapped {
            h.extend_from_slice(&0i32.to_le_bytes());
            h.extend_from_slice(&0i32.to_le_bytes());
            h.extend_from_slice(&0x200u32.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
        }
        h.extend_from_slice(data);
        h
    };
    let get_descriptor = [0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00];
    p.push((220, usbmon(b'S', Some(get_descriptor), -115, &[], true)));
    let device = [18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x6b, 0x1d, 0x02, 0x00, 0x10, 0x05, 3, 2, 1, 1];
    p.push((220, usbmon(b'C', None, 0, &device, true)));
    // The same completion with the 48-byte header of link type 189.
    p.push((189, usbmon(b'C', None, 0, &device, false)));
    // USBPcap (Windows): a bulk IN completion of 4 bytes from device 2, endpoint 1.
    let mut usbpcap = 27u16.to_le_bytes().to_vec();
    usbpcap.extend_from_slice(&0xffff_a001_0000_1000u64.to_le_bytes());
    usbpcap.extend_from_slice(&0u32.to_le_bytes());
    usbpcap.extend_from_slice(&0x0009u16.to_le_bytes());
    usbpcap.push(1);
    usbpcap.extend_from_slice(&1u16.to_le_bytes());
    usbpcap.extend_from_slice(&2u16.to_le_bytes());
    usbpcap.extend_from_slice(&[0x81, 3]);
    usbpcap.extend_from_slice(&4u32.to_le_bytes());
    usbpcap.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    p.push((249, usbpcap));
    // Links that lead to IP without a record of their own (ids 0x4010-).
    // PPP in HDLC-like framing (ff 03), IPv4, a DNS query.
    let dns = ipv4(IP_A, IP_B, 17, 0x4010, 64, &[], &udp_v4(IP_A, IP_B, 40001, 53, &dns_query()));
    p.push((9, [&[0xff, 0x03, 0x00, 0x21][..], &dns].concat()));
    // Cisco HDLC (unicast address 0f, protocol 0x0800), ICMP echo request.
    let icmp = ipv4(IP_A, IP_B, 1, 0x4011, 64, &[], &icmp_echo(9, 3));
    p.push((104, [&[0x0f, 0x00, 0x08, 0x00][..], &icmp].concat()));
    // Frame Relay, DLCI 302 (48 e1), RFC 2427: control 03, NLPID cc (IPv4).
    let icmp = ipv4(IP_A, IP_B, 1, 0x4012, 64, &[], &icmp_echo(9, 4));
    p.push((107, [&[0x48, 0xe1, 0x03, 0xcc][..], &icmp].concat()));
    // PPPoE session 0x0001 on Ethernet: PPP protocol 0x0021, IPv4, ICMP.
    let icmp = ipv4(IP_A, IP_B, 1, 0x4013, 64, &[], &icmp_echo(9, 5));
    let mut pppoe = vec![0x11, 0x00, 0x00, 0x01];
    pppoe.extend_from_slice(&(icmp.len() as u16 + 2).to_be_bytes());
    pppoe.extend_from_slice(&[0x00, 0x21]);
    pppoe.extend_from_slice(&icmp);
    p.push((1, ethernet(MAC_B, MAC_A, 0x8864, &pppoe)));
    // PPTP: enhanced GRE (version 1, key and sequence present, protocol
    // 0x880b; the key is payload length and call id 0x1234) carrying PPP,
    // then the inner IPv4 packet.
    let inner = ipv4([10, 0, 0, 2], [10, 0, 0, 1], 1, 0x4014, 64, &[], &icmp_echo(9, 6));
    let ppp = [&[0xff, 0x03, 0x00, 0x21][..], &inner].concat();
    let mut gre = vec![0x30, 0x01, 0x88, 0x0b];
    gre.extend_from_slice(&(ppp.len() as u16).to_be_bytes());
    gre.extend_from_slice(&0x1234u16.to_be_bytes());
    gre.extend_from_slice(&7u32.to_be_bytes());
    gre.extend_from_slice(&ppp);
    p.push((1, ethernet(MAC_B, MAC_A, 0x0800, &ipv4(IP_A, IP_B, 47, 0x4015, 64, &[], &gre))));
    // NFLOG (family 2, group 5): the payload attribute (type 9, its
    // length little-endian as Linux writes it), padded to four bytes.
    let logged = ipv4(IP_B, IP_A, 17, 0x4016, 57, &[], &udp_v4(IP_B, IP_A, 53, 40001, &dns_query()));
    let mut nflog = vec![2, 0, 0, 5];
    nflog.extend_from_slice(&(logged.len() as u16 + 4).to_le_bytes());
    nflog.extend_from_slice(&9u16.to_le_bytes());
    nflog.extend_from_slice(&logged);
    nflog.resize(nflog.len().next_multiple_of(4), 0);
    p.push((239, nflog));
    // PKTAP (macOS): a 108-byte header naming DLT 1 on en0, then Ethernet.
    let mut pktap = vec![0u8; 108];
    pktap[0..4].copy_from_slice(&108u32.to_le_bytes());
    pktap[4..8].copy_from_slice(&1u32.to_le_bytes());
    pktap[8..12].copy_from_slice(&1u32.to_le_bytes());
    pktap[12..15].copy_from_slice(b"en0");
    let icmp = ipv4(IP_A, IP_B, 1, 0x4017, 64, &[], &icmp_echo(9, 7));
    pktap.extend(ethernet(MAC_B, MAC_A, 0x0800, &icmp));
    p.push((258, pktap));
    // IP over InfiniBand: 40 bytes of pseudo header, type 0x0800, reserved.
    let icmp = ipv4(IP_A, IP_B, 1, 0x4018, 64, &[], &icmp_echo(9, 8));
    p.push((242, [&[0u8; 40][..], &[0x08, 0x00, 0x00, 0x00], &icmp].concat()));
    p
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "testdata/sample.pcap".to_string());
    let links_out = args.next().unwrap_or_else(|| "testdata/sample-links.pcapng".to_string());
    let mut dump = PacketDump::new(std::path::Path::new(&out), DumpFormat::Pcap { link_type: 1, nanos: false });
    // 2017-07-05T11:30:23.848884Z, then one packet every 1.000137 s.
    let start: i64 = 1_499_254_223_848_884_000;
    for (i, frame) in packets().iter().enumerate() {
        let ts = start + i as i64 * 1_000_137_000;
        dump.write(ts, 1, 0, frame.len() as u32, frame)?;
    }
    dump.finish()?;
    eprintln!("wrote {out}");
    // pcapng, as one pcap file holds one link type: an interface per link type.
    let mut dump = PacketDump::new(std::path::Path::new(&links_out), DumpFormat::PcapNg { names: Default::default() });
    for (i, (link, frame)) in other_link_packets().iter().enumerate() {
        let ts = start + 100_000_000_000 + i as i64 * 1_000_137_000;
        dump.write(ts, *link, *link, frame.len() as u32, frame)?;
    }
    dump.finish()?;
    eprintln!("wrote {links_out}");
    Ok(())
}

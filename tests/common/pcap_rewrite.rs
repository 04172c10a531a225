//! Rewriting Ethernet/IPv4 pcaps to stress TCP reassembly: data segments
//! split small, reordered and retransmitted, or the packets turned into
//! IPv6. The stream decoders' records must not change (timestamps and
//! mapped addresses aside).

use std::path::Path;

/// A packet of a capture: (seconds, microseconds, captured bytes, wire length).
pub type Packet = (u32, u32, Vec<u8>, u32);

/// An Ethernet pcap (not pcapng) as (link type, packets); None otherwise.
pub fn read_pcap(path: &Path) -> Option<(u32, Vec<Packet>)> {
    let data = std::fs::read(path).ok()?;
    let magic = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?);
    if magic != 0xa1b2_c3d4 {
        return None;
    }
    let le32 = |at: usize| data.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let link = le32(20)?;
    if link != 1 {
        return None;
    }
    let mut packets = Vec::new();
    let mut at = 24;
    while at + 16 <= data.len() {
        let (sec, usec, incl, orig) = (le32(at)?, le32(at + 4)?, le32(at + 8)? as usize, le32(at + 12)?);
        let bytes = data.get(at + 16..at + 16 + incl)?.to_vec();
        packets.push((sec, usec, bytes, orig));
        at += 16 + incl;
    }
    Some((link, packets))
}

pub fn write_pcap(path: &Path, link: u32, packets: &[Packet]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&link.to_le_bytes());
    for (sec, usec, bytes, orig) in packets {
        out.extend_from_slice(&sec.to_le_bytes());
        out.extend_from_slice(&usec.to_le_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&(orig + (bytes.len() as u32).saturating_sub(*orig)).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    std::fs::write(path, out).expect("write pcap");
}

/// Where the TCP header and payload of an Ethernet/IPv4 packet are:
/// (IP header length, TCP header length, payload length).
fn tcp_layout(bytes: &[u8]) -> Option<(usize, usize, usize)> {
    let ip = bytes.get(14..)?;
    if bytes.get(12..14)? != [0x08, 0x00] || ip.first()? >> 4 != 4 || *ip.get(9)? != 6 {
        return None;
    }
    if u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]) & 0x3fff != 0 {
        return None;
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    let tcp = ip.get(ihl..)?;
    let data_offset = usize::from(tcp.get(12)? >> 4) * 4;
    let payload = total.checked_sub(ihl + data_offset)?;
    // The whole payload must be captured to be split.
    ip.get(..ihl + data_offset + payload)?;
    Some((ihl, data_offset, payload))
}

/// The TCP 4-tuple and payload length of an Ethernet/IPv4 packet.
pub fn tcp_data(bytes: &[u8]) -> Option<([u8; 12], usize)> {
    let (ihl, _, payload) = tcp_layout(bytes)?;
    let ip = bytes.get(14..)?;
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(ip.get(12..20)?);
    key[8..].copy_from_slice(ip.get(ihl..ihl + 4)?);
    Some((key, payload))
}

/// Every TCP data segment cut into pieces of at most `size` bytes (same
/// time, sequence numbers moved on; the IPv4 header checksum recomputed;
/// the TCP checksum is left as it was, netcap does not check it).
pub fn split_segments(packets: &[Packet], size: usize) -> Vec<Packet> {
    let mut out = Vec::with_capacity(packets.len() * 4);
    for p in packets {
        let Some((ihl, thl, payload)) = tcp_layout(&p.2).filter(|(_, _, n)| *n > size) else {
            out.push(p.clone());
            continue;
        };
        let head_len = 14 + ihl + thl;
        let head = &p.2[..head_len];
        let seq = u32::from_be_bytes(head[14 + ihl + 4..14 + ihl + 8].try_into().unwrap());
        for (i, chunk) in p.2[head_len..head_len + payload].chunks(size).enumerate() {
            let mut bytes = head.to_vec();
            let total = (ihl + thl + chunk.len()) as u16;
            bytes[16..18].copy_from_slice(&total.to_be_bytes());
            bytes[24..26].copy_from_slice(&[0, 0]);
            let sum = ipv4_checksum(&bytes[14..14 + ihl]);
            bytes[24..26].copy_from_slice(&sum.to_be_bytes());
            let s = seq.wrapping_add((i * size) as u32);
            bytes[14 + ihl + 4..14 + ihl + 8].copy_from_slice(&s.to_be_bytes());
            bytes.extend_from_slice(chunk);
            let len = bytes.len() as u32;
            out.push((p.0, p.1, bytes, len));
        }
    }
    out
}

fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Swaps each pair of consecutive data segments of one direction (when no
/// other packet lies between them) and sends every third data segment
/// twice. The first data segment of each direction stays first: a stream
/// seen without its handshake, and before any ACK from the other side,
/// starts where its first segment is, so nothing could place an earlier one.
pub fn reorder_and_retransmit(packets: &[Packet]) -> Vec<Packet> {
    let mut out: Vec<Packet> = Vec::with_capacity(packets.len() * 2);
    let mut started = std::collections::HashSet::new();
    let mut i = 0;
    let mut data_seen = 0;
    while i < packets.len() {
        let p = &packets[i];
        let this = tcp_data(&p.2).filter(|(_, len)| *len > 0);
        if let Some((key, _)) = this {
            data_seen += 1;
            let first = started.insert(key);
            if let Some(next) = packets.get(i + 1).filter(|_| !first) {
                if tcp_data(&next.2).is_some_and(|(k, len)| k == key && len > 0) {
                    out.push(next.clone());
                    out.push(p.clone());
                    if data_seen % 3 == 0 {
                        out.push(p.clone());
                    }
                    i += 2;
                    continue;
                }
            }
            out.push(p.clone());
            if data_seen % 3 == 0 {
                out.push(p.clone());
            }
        } else {
            out.push(p.clone());
        }
        i += 1;
    }
    out
}

/// An Ethernet/IPv4 packet as Ethernet/IPv6, addresses mapped into
/// 2001:db8::/96; anything else (and IPv4 fragments) unchanged.
pub fn to_ipv6(p: &Packet) -> Packet {
    let (sec, usec, bytes, orig) = p;
    let ip = match bytes.get(14..) {
        Some(ip) if bytes[12..14] == [0x08, 0x00] && ip.len() >= 20 && ip[0] >> 4 == 4 => ip,
        _ => return p.clone(),
    };
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let fragmented = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0;
    if fragmented || ihl < 20 || ip.len() < ihl || total < ihl {
        return p.clone();
    }
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
    out.extend_from_slice(&((total - ihl) as u16).to_be_bytes());
    out.extend_from_slice(&[ip[9], ip[8]]);
    for addr in [&ip[12..16], &ip[16..20]] {
        out.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(addr);
    }
    out.extend_from_slice(&ip[ihl..]);
    let grown = 40 - ihl as u32;
    (*sec, *usec, out, orig + grown)
}

/// "2001:db8::a.b.c.d" (as netcap prints it) back to "a.b.c.d".
pub fn unmap_ipv6(s: &str) -> String {
    match s.parse::<std::net::Ipv6Addr>() {
        Ok(a) if a.segments()[..6] == [0x2001, 0x0db8, 0, 0, 0, 0] => {
            let o = a.octets();
            format!("{}.{}.{}.{}", o[12], o[13], o[14], o[15])
        }
        _ => s.to_string(),
    }
}

/// The capture `copies` times over, copy k `k * seconds` later, every IPv4
/// TCP sequence and acknowledgment number moved by `k * shift`: the same
/// connections opened again on the same addresses and ports, but as new
/// ones (other initial sequence numbers), as when a client reuses its ports.
pub fn repeat_on_the_same_ports(packets: &[Packet], copies: u32, seconds: u32, shift: u32) -> Vec<Packet> {
    let mut out = Vec::with_capacity(packets.len() * copies as usize);
    for k in 0..copies {
        for (sec, usec, bytes, orig) in packets {
            let mut bytes = bytes.clone();
            shift_tcp_numbers(&mut bytes, k.wrapping_mul(shift));
            out.push((sec + k * seconds, *usec, bytes, *orig));
        }
    }
    out
}

/// Moves the sequence number (and the acknowledgment number, when the ACK
/// flag says it is one) of an Ethernet/IPv4 TCP packet by `by`.
fn shift_tcp_numbers(bytes: &mut [u8], by: u32) {
    let is_tcp = bytes.get(12..14) == Some(&[0x08, 0x00]) && bytes.get(23) == Some(&6);
    let Some(&first) = bytes.get(14).filter(|_| is_tcp) else { return };
    let tcp = 14 + usize::from(first & 0x0f) * 4;
    let Some(header) = bytes.get_mut(tcp..tcp + 14) else { return };
    let number = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let seq = number(&header[4..8]).wrapping_add(by);
    header[4..8].copy_from_slice(&seq.to_be_bytes());
    if header[13] & 0x10 != 0 {
        let ack = number(&header[8..12]).wrapping_add(by);
        header[8..12].copy_from_slice(&ack.to_be_bytes());
    }
}

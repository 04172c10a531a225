//! Server certificates of TLS handshakes, read with `x509-parser`, into
//! the `Certificates` entries of a `TLSServerHello` record, with their
//! SHA-1 and SHA-256 fingerprints as Zeek's x509.log has them.
//!
//! Servers send the same chain to every client, so a capture holds few
//! distinct certificates many times over (the benchmark capture: 130
//! certificates, 51 distinct; a busy link, the same CDN chain thousands of
//! times). Each stream-shard thread keeps the records of the certificates
//! it parsed last in a small direct-mapped cache, keyed by the DER bytes
//! themselves: a hit costs a compare of the bytes instead of a parse (about
//! 90,000 instructions) and two digests. The records are a pure function
//! of the bytes, so output is the same with or without the cache.
//!
//! Hostile input: the cache has a fixed number of slots and takes no
//! certificate over [`CACHEABLE_DER`] bytes; many distinct certificates
//! only replace one another.

use super::tls::hex;
use crate::schema::pb;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::cell::RefCell;

/// Slots of each thread's cache (a power of two).
const CACHE_SLOTS: usize = 256;

/// Certificates longer than this are parsed every time (real ones are one
/// to a few kilobytes): the cache holds at most 256 * 16 KiB of DER.
pub const CACHEABLE_DER: usize = 16 << 10;

/// A certificate's DER bytes, with its record and its parse problem.
struct Cached {
    der: Vec<u8>,
    record: pb::TlsCertificate,
    problem: Option<String>,
}

thread_local! {
    static CACHE: RefCell<Vec<Option<Cached>>> = RefCell::new((0..CACHE_SLOTS).map(|_| None).collect());
}

/// The record of one certificate, and why it did not parse as X.509 if it
/// did not (then only its fingerprints are set, and `Unparsed`).
pub fn certificate_record(der: &[u8]) -> (pb::TlsCertificate, Option<String>) {
    if der.len() > CACHEABLE_DER {
        return parse_certificate(der);
    }
    CACHE.with_borrow_mut(|slots| {
        let Some(slot) = slots.get_mut(slot_of(der)) else { return parse_certificate(der) };
        if let Some(hit) = slot.as_ref().filter(|c| c.der == der) {
            return (hit.record.clone(), hit.problem.clone());
        }
        let (record, problem) = parse_certificate(der);
        *slot = Some(Cached { der: der.to_vec(), record: record.clone(), problem: problem.clone() });
        (record, problem)
    })
}

/// The slot of a certificate: a hash of its length and last 32 bytes,
/// which lie in its signature (as good as random, different for every
/// certificate) for well-formed ones. Hashing the whole certificate would
/// cost a few thousand cycles on every lookup; the compare on a hit reads
/// every byte anyway.
fn slot_of(der: &[u8]) -> usize {
    let tail = der.get(der.len().saturating_sub(32)..).unwrap_or_default();
    let h = crate::decode::wire::fnv1a(&[&der.len().to_le_bytes(), tail]);
    (h as usize) & (CACHE_SLOTS - 1)
}

/// What [`certificate_record`] returns, computed afresh.
fn parse_certificate(der: &[u8]) -> (pb::TlsCertificate, Option<String>) {
    let mut record = pb::TlsCertificate {
        sha1: hex(&Sha1::digest(der)),
        sha256: hex(&Sha256::digest(der)),
        ..pb::TlsCertificate::default()
    };
    let cert = match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert,
        Err(e) => {
            record.unparsed = true;
            return (record, Some(format!("certificate of {} bytes: {e}", der.len())));
        }
    };
    let registry = x509_parser::objects::oid_registry();
    let oid_name = |oid: &x509_parser::der_parser::oid::Oid| {
        x509_parser::objects::oid2sn(oid, registry).map_or_else(|_| oid.to_id_string(), str::to_string)
    };
    record.subject = cert.subject().to_string();
    record.issuer = cert.issuer().to_string();
    record.serial = hex(cert.raw_serial());
    let ns = |seconds: i64| seconds.saturating_mul(1_000_000_000);
    record.not_before = ns(cert.validity().not_before.timestamp());
    record.not_after = ns(cert.validity().not_after.timestamp());
    record.signature_algorithm = oid_name(&cert.signature_algorithm.algorithm);
    record.public_key_algorithm = oid_name(&cert.public_key().algorithm.algorithm);
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => record.dns_names.push(dns.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(ip) => record.ip_addresses.push(ip_text(ip)),
                _ => {}
            }
        }
    }
    (record, None)
}

/// A SAN iPAddress: 4 or 16 bytes as an address, anything else as hex.
fn ip_text(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        std::net::Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        std::net::Ipv6Addr::from(v6).to_string()
    } else {
        hex(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate made by `openssl req -x509` (see
    /// testdata/x509/README.md); the expected values are what
    /// `openssl x509 -noout -fingerprint -sha256 -serial -dates` prints.
    const TEST_DER: &[u8] = include_bytes!("../../testdata/x509/netcap-test.der");

    #[test]
    fn a_certificate_reads_as_openssl_shows_it() {
        let (c, problem) = certificate_record(TEST_DER);
        assert_eq!(problem, None);
        assert_eq!(c.sha256, "671f2ac28fb8c9276f5bfe9f1495a71debf4208900d10f4282b4e6920b33e8f8");
        assert_eq!(c.serial, "7ed84099db9c6604c3ee73dc169093642feb072c");
        assert_eq!(c.subject, "CN=netcap.test, O=netcap");
        assert_eq!(c.issuer, c.subject);
        assert_eq!(c.not_before, 1_796_130_359 * 1_000_000_000);
        assert_eq!(c.not_after, 2_111_490_359 * 1_000_000_000);
        assert_eq!(c.dns_names, ["netcap.test", "www.netcap.test"]);
        assert_eq!(c.ip_addresses, ["192.0.2.7"]);
        assert_eq!(c.public_key_algorithm, "id-ecPublicKey");
        assert!(!c.unparsed);
    }

    #[test]
    fn a_cached_certificate_gives_the_record_of_a_fresh_parse() {
        let fresh = parse_certificate(TEST_DER);
        assert_eq!(certificate_record(TEST_DER), fresh);
        assert_eq!(certificate_record(TEST_DER), fresh, "from the cache");
    }

    #[test]
    fn certificates_sharing_a_slot_keep_their_own_records() {
        // Same length and last 32 bytes: the same slot, different bytes.
        let mut a = vec![7u8; 100];
        let mut b = a.clone();
        a[0] = 1;
        b[0] = 2;
        assert_eq!(slot_of(&a), slot_of(&b));
        for der in [&a, &b, &a, &b] {
            let (record, problem) = certificate_record(der);
            assert!(record.unparsed);
            assert_eq!(record.sha256, hex(&Sha256::digest(der)));
            assert_eq!(problem.as_deref(), parse_certificate(der).1.as_deref());
            assert!(problem.is_some(), "the parse problem is reported on every sighting");
        }
    }

    #[test]
    fn oversized_certificates_bypass_the_cache() {
        let big = vec![0x30u8; CACHEABLE_DER + 1];
        let (record, problem) = certificate_record(&big);
        assert!(record.unparsed && problem.is_some());
        let slot = slot_of(&big);
        CACHE.with_borrow(|slots| assert!(slots[slot].as_ref().is_none_or(|c| c.der != big)));
    }
}

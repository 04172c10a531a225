//! JA4, FoxIO's TLS client fingerprint (github.com/FoxIO-LLC/ja4,
//! `technical_details/JA4.md`), as a pure function of a ClientHello's
//! fields: whoever parses ClientHellos (TCP, QUIC or DTLS) fills a
//! [`ClientHelloView`] and gets the fingerprint and its raw form.
//!
//! `t13d1516h2_8daaf6152771_e5627efa2ab1` is: transport (`t` TCP, `q`
//! QUIC, `d` DTLS), version, `d` with an SNI extension or `i` without, the
//! number of cipher suites and of extensions (GREASE left out, at most 99),
//! the first and last character of the first ALPN value; then the first 12
//! hex digits of the SHA-256 of the sorted cipher suites, and of the sorted
//! extensions (without SNI and ALPN) followed by the signature algorithms
//! in their original order. GREASE values (RFC 8701: 0x0a0a, 0x1a1a, ...,
//! 0xfafa) are left out everywhere.

use sha2::{Digest, Sha256};

/// What carried the ClientHello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Quic,
    Dtls,
}

/// The ClientHello fields JA4 is made of, in wire order, GREASE included.
#[derive(Debug, Clone, Copy)]
pub struct ClientHelloView<'a> {
    pub transport: Transport,
    /// ClientHello.client_version (legacy_version).
    pub legacy_version: u16,
    /// The supported_versions extension's list (empty without it).
    pub supported_versions: &'a [u16],
    pub ciphers: &'a [u16],
    /// Extension types.
    pub extensions: &'a [u16],
    /// The ALPN extension's protocol names. JA4 looks at the first one's
    /// bytes; a name that was not UTF-8 on the wire can only be given
    /// here converted (e.g. lossily), which changes its bytes.
    pub alpn: &'a [String],
    pub signature_algorithms: &'a [u16],
}

const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_ALPN: u16 = 0x0010;

/// Hash part written when its list is empty (instead of the hash of "").
const EMPTY_HASH: &str = "000000000000";

/// GREASE (RFC 8701): both bytes equal, low nibble 0xa.
pub fn is_grease(v: u16) -> bool {
    let [hi, lo] = v.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

fn without_grease(values: &[u16]) -> Vec<u16> {
    values.iter().copied().filter(|&v| !is_grease(v)).collect()
}

/// The two characters of a version, "00" for an unknown one.
fn version_code(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// Orders versions from old to new: TLS/SSL by value, DTLS (whose
/// numbers count down, 0xfeff is DTLS 1.0) by their one's complement, after
/// every TLS version.
fn version_rank(v: u16) -> u32 {
    if v >> 8 == 0xfe {
        0x1_0000 + u32::from(!v)
    } else {
        u32::from(v)
    }
}

/// The version JA4 names: the newest non-GREASE value of supported_versions
/// when the extension is there, ClientHello.client_version otherwise.
fn version(ch: &ClientHelloView) -> &'static str {
    let offered = ch.supported_versions.iter().copied().filter(|&v| !is_grease(v)).max_by_key(|&v| version_rank(v));
    version_code(offered.unwrap_or(ch.legacy_version))
}

/// First and last character of the first ALPN value, "00" without one;
/// when either end byte is not an ASCII letter or digit, the first and
/// last hex digit of the whole value instead.
pub fn alpn_code(first: &[u8]) -> String {
    let (Some(&a), Some(&z)) = (first.first(), first.last()) else { return "00".to_string() };
    if a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric() {
        return [char::from(a), char::from(z)].iter().collect();
    }
    let hex = crate::decode::wire::hex_string(first);
    let mut chars = hex.chars();
    match (chars.next(), chars.last()) {
        (Some(a), Some(z)) => [a, z].iter().collect(),
        _ => "00".to_string(),
    }
}

/// The values as 4-digit hex, joined by ',', appended to `out`.
fn push_hex_list(out: &mut String, values: &[u16]) {
    for (i, &v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::decode::wire::push_hex_u16_padded(out, v);
    }
}

fn hex_list(values: &[u16]) -> String {
    let mut s = String::with_capacity(values.len() * 5);
    push_hex_list(&mut s, values);
    s
}

/// SHA-256 of `text`, its first 12 hex digits; [`EMPTY_HASH`] when `empty`.
fn hash12(text: &str, empty: bool) -> String {
    if empty {
        return EMPTY_HASH.to_string();
    }
    let digest = Sha256::digest(text.as_bytes());
    crate::decode::wire::hex_string(digest.get(..6).unwrap_or_default())
}

/// The parts JA4 and JA4_r share: (the first section, sorted cipher
/// suites, sorted extensions without SNI/ALPN, signature algorithms).
fn parts(ch: &ClientHelloView) -> (String, Vec<u16>, Vec<u16>, Vec<u16>) {
    let transport = match ch.transport {
        Transport::Tcp => 't',
        Transport::Quic => 'q',
        Transport::Dtls => 'd',
    };
    let mut ciphers = without_grease(ch.ciphers);
    let extensions = without_grease(ch.extensions);
    let sni = if extensions.contains(&EXT_SERVER_NAME) { 'd' } else { 'i' };
    let alpn = alpn_code(ch.alpn.first().map_or(&[][..], |s| s.as_bytes()));
    let first =
        format!("{transport}{}{sni}{:02}{:02}{alpn}", version(ch), ciphers.len().min(99), extensions.len().min(99));
    ciphers.sort_unstable();
    let mut hashed: Vec<u16> = extensions.into_iter().filter(|&e| e != EXT_SERVER_NAME && e != EXT_ALPN).collect();
    hashed.sort_unstable();
    (first, ciphers, hashed, without_grease(ch.signature_algorithms))
}

/// "extensions" or "extensions_signature algorithms" (no underscore
/// without signature algorithms).
fn extensions_text(extensions: &[u16], signatures: &[u16]) -> String {
    let mut s = hex_list(extensions);
    if !signatures.is_empty() {
        s.push('_');
        push_hex_list(&mut s, signatures);
    }
    s
}

/// JA4, e.g. "t13d1516h2_8daaf6152771_e5627efa2ab1".
pub fn ja4(ch: &ClientHelloView) -> String {
    ja4_and_raw(ch).0
}

/// JA4_r, the raw form of [`ja4`]: the lists it hashes, sorted, as text.
pub fn ja4_r(ch: &ClientHelloView) -> String {
    ja4_and_raw(ch).1
}

/// JA4 and JA4_r together: they share every part but the hashing.
pub fn ja4_and_raw(ch: &ClientHelloView) -> (String, String) {
    let (first, ciphers, extensions, signatures) = parts(ch);
    let cipher_text = hex_list(&ciphers);
    let extension_text = extensions_text(&extensions, &signatures);
    let cipher_hash = hash12(&cipher_text, ciphers.is_empty());
    let extension_hash = hash12(&extension_text, extensions.is_empty());
    (format!("{first}_{cipher_hash}_{extension_hash}"), format!("{first}_{cipher_text}_{extension_text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published vectors: (source file, JA4, JA4_r, JA4_ro).
    fn vectors() -> Vec<(String, String, String, String)> {
        include_str!("../../testdata/ja4/foxio_vectors.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 5, "{l}");
                (f[0].to_string(), f[2].to_string(), f[3].to_string(), f[4].to_string())
            })
            .collect()
    }

    fn hex_values(list: &str) -> Vec<u16> {
        if list.is_empty() {
            return Vec::new();
        }
        list.split(',').map(|h| u16::from_str_radix(h, 16).unwrap()).collect()
    }

    /// A ClientHello rebuilt from a JA4_ro string (wire order, GREASE
    /// removed), with GREASE values put back in every list, as browsers send
    /// them: (transport, legacy version, supported_versions, ciphers,
    /// extensions, ALPN, signature algorithms).
    type Hello = (Transport, u16, Vec<u16>, Vec<u16>, Vec<u16>, Vec<String>, Vec<u16>);

    fn hello_from_ro(ro: &str) -> Hello {
        let parts: Vec<&str> = ro.split('_').collect();
        let a = parts[0];
        let transport = match &a[..1] {
            "t" => Transport::Tcp,
            "q" => Transport::Quic,
            "d" => Transport::Dtls,
            other => panic!("transport {other}"),
        };
        let version = match &a[1..3] {
            "13" => 0x0304,
            "12" => 0x0303,
            "11" => 0x0302,
            "10" => 0x0301,
            other => panic!("version {other}"),
        };
        let mut ciphers = vec![0x0a0a];
        ciphers.extend(hex_values(parts[1]));
        let mut extensions = vec![0x1a1a];
        extensions.extend(hex_values(parts[2]));
        extensions.push(0xfafa);
        let mut signature_algorithms = vec![0x2a2a];
        signature_algorithms.extend(parts.get(3).map_or_else(Vec::new, |s| hex_values(s)));
        // TLS 1.3 is only offered in supported_versions; legacy_version
        // stays TLS 1.2 (RFC 8446 4.1.2).
        let (legacy, supported) = if extensions.contains(&0x002b) {
            (version.min(0x0303), vec![0x3a3a, version, 0x0303])
        } else {
            (version, Vec::new())
        };
        let alpn = match &a[8..10] {
            "00" => Vec::new(),
            "h1" => vec!["http/1.1".to_string()],
            code => vec![code.to_string()],
        };
        (transport, legacy, supported, ciphers, extensions, alpn, signature_algorithms)
    }

    fn view(h: &Hello) -> ClientHelloView<'_> {
        ClientHelloView {
            transport: h.0,
            legacy_version: h.1,
            supported_versions: &h.2,
            ciphers: &h.3,
            extensions: &h.4,
            alpn: &h.5,
            signature_algorithms: &h.6,
        }
    }

    #[test]
    fn foxio_published_vectors() {
        let vectors = vectors();
        assert!(vectors.len() >= 12, "{} vectors", vectors.len());
        for (file, want_ja4, want_r, ro) in &vectors {
            let hello = hello_from_ro(ro);
            assert_eq!(ja4_r(&view(&hello)), *want_r, "{file}: JA4_r of {ro}");
            assert_eq!(ja4(&view(&hello)), *want_ja4, "{file}: JA4 of {ro}");
        }
    }

    #[test]
    fn specification_examples() {
        // technical_details/JA4.md: the cipher list, the extension list
        // without signature algorithms, and the example's JA4 and JA4_r.
        let ciphers = hex_values("1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035");
        let extensions = hex_values("001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015");
        let signatures = hex_values("0403,0804,0401,0503,0805,0501,0806,0601");
        let alpn = vec!["h2".to_string()];
        let mut ch = ClientHelloView {
            transport: Transport::Tcp,
            legacy_version: 0x0303,
            supported_versions: &[0x0304, 0x0303],
            ciphers: &ciphers,
            extensions: &extensions,
            alpn: &alpn,
            signature_algorithms: &signatures,
        };
        assert_eq!(ja4(&ch), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(
            ja4_r(&ch),
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,\
             000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
        );
        ch.signature_algorithms = &[];
        assert!(ja4(&ch).ends_with("_6d807ffa2a79"), "{}", ja4(&ch));
        // No ciphers, no extensions: zeros rather than the hash of nothing.
        ch.ciphers = &[0x0a0a];
        ch.extensions = &[0x0000, 0x0010];
        assert_eq!(ja4(&ch), "t13d0002h2_000000000000_000000000000");
    }

    #[test]
    fn alpn_first_and_last_characters() {
        // technical_details/JA4.md, "ALPN Extension Value".
        assert_eq!(alpn_code(b"h2"), "h2");
        assert_eq!(alpn_code(b"http/1.1"), "h1");
        assert_eq!(alpn_code(b"x"), "xx");
        assert_eq!(alpn_code(b""), "00");
        assert_eq!(alpn_code(&[0xab]), "ab");
        assert_eq!(alpn_code(&[0xab, 0xcd]), "ad");
        assert_eq!(alpn_code(&[0x30, 0xab]), "3b");
        assert_eq!(alpn_code(&[0x30, 0x31, 0xab, 0xcd]), "3d");
        assert_eq!(alpn_code(&[0x30, 0xab, 0xcd, 0x31]), "01");
        // Only the first value counts; none at all is "00".
        let two = vec!["spdy/3".to_string(), "h2".to_string()];
        let ch = ClientHelloView {
            transport: Transport::Quic,
            legacy_version: 0x0303,
            supported_versions: &[],
            ciphers: &[0x1301],
            extensions: &[0x0010],
            alpn: &two,
            signature_algorithms: &[],
        };
        assert!(ja4(&ch).starts_with("q12i0101s3_"), "{}", ja4(&ch));
        assert!(ja4(&ClientHelloView { alpn: &[], ..ch }).starts_with("q12i010100_"));
        assert!(ja4(&ClientHelloView { alpn: &[String::new()], ..ch }).starts_with("q12i010100_"));
    }

    #[test]
    fn versions_grease_and_counts() {
        for (v, code) in [
            (0x0304, "13"),
            (0x0303, "12"),
            (0x0302, "11"),
            (0x0301, "10"),
            (0x0300, "s3"),
            (0x0002, "s2"),
            (0xfeff, "d1"),
            (0xfefd, "d2"),
            (0xfefc, "d3"),
            (0x0305, "00"),
            (0x0200, "00"),
        ] {
            let ch = ClientHelloView {
                transport: Transport::Tcp,
                legacy_version: v,
                supported_versions: &[],
                ciphers: &[],
                extensions: &[],
                alpn: &[],
                signature_algorithms: &[],
            };
            assert_eq!(&ja4(&ch)[1..3], code, "{v:04x}");
            // supported_versions wins over legacy_version; GREASE ignored.
            let ch = ClientHelloView { legacy_version: 0x0301, supported_versions: &[0xdada, v], ..ch };
            assert_eq!(&ja4(&ch)[1..3], code, "{v:04x} in supported_versions");
        }
        // The newest version offered, DTLS counting down.
        let ch = ClientHelloView {
            transport: Transport::Dtls,
            legacy_version: 0xfefd,
            supported_versions: &[0xfefd, 0xfefc, 0xfeff],
            ciphers: &[],
            extensions: &[0x002b],
            alpn: &[],
            signature_algorithms: &[],
        };
        assert!(ja4(&ch).starts_with("dd3i0001"), "{}", ja4(&ch));
        let grease: Vec<u16> = (0..16u16).map(|i| (i << 12) | 0x0a00 | (i << 4) | 0x0a).collect();
        assert!(grease.iter().all(|&g| is_grease(g)));
        assert!(!is_grease(0x0a0b) && !is_grease(0x1a2a) && !is_grease(0xeeee) && !is_grease(0x4469));
        // Counts stop at 99.
        let many: Vec<u16> = (1..=120).collect();
        let ch = ClientHelloView { ciphers: &many, extensions: &many, ..ch };
        assert!(ja4(&ch).starts_with("dd3i9999"), "{}", ja4(&ch));
    }
}

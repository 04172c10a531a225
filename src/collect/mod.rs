//! Distributed collection: `netcap sensor` runs the capture pipeline and
//! sends each record type's records in batches over UDP to `netcap server`,
//! which writes them to `OUT/<client id>/<Type>.ncap.gz`.
//!
//! - [`wire`]: the datagram (sensor key ‖ nonce ‖ NaCl box of a gzipped
//!   [`pb::Batch`](crate::schema::pb::Batch)), sealing and opening, batch checks.
//! - [`sensor`]: [`sensor::NetworkSink`], the pipeline's sink that batches.
//! - [`server`]: the pure datagram handler ([`server::Collector`]), the
//!   files, and the receive loop.
//! - `nats` (feature `nats`): the same sealed batches through a NATS
//!   JetStream stream, to any number of servers sharing a durable consumer;
//!   [`ledger`]: what such a server wrote, on disk, and `claims`: which
//!   server of the fleet wrote each batch, in a JetStream key-value bucket,
//!   so crashes and redeliveries neither lose nor duplicate records.
//!
//! This module also holds the key files and the client-id rule both sides
//! share.

#[cfg(feature = "nats")]
pub mod claims;
pub mod ledger;
#[cfg(feature = "nats")]
pub mod nats;
pub mod sensor;
pub mod server;
pub mod wire;

use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SecretKey};
use std::io::{self, Write};
use std::path::Path;

/// Longest client id: it becomes a directory name on the server.
pub const MAX_CLIENT_ID: usize = 64;

/// True when `id` is safe as a single directory name under the server's
/// output directory: 1 to 64 characters of `[A-Za-z0-9._-]`, neither `.`
/// nor `..`. No separator, no absolute path, no parent reference can pass.
pub fn valid_client_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_ID
        && id != "."
        && id != ".."
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// A new random key pair (X25519, from the operating system's RNG).
pub fn generate_keypair() -> (SecretKey, PublicKey) {
    let secret = SecretKey::generate(&mut OsRng);
    let public = secret.public_key();
    (secret, public)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A 32-byte key from 64 hex digits (surrounding whitespace ignored).
pub fn parse_hex_key(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    if text.len() != 64 {
        return Err(format!("a key is 64 hex digits, got {} characters", text.len()));
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        let pair = text.get(2 * i..2 * i + 2).ok_or("a key is 64 hex digits")?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| format!("not a hex digit pair: {pair:?}"))?;
    }
    Ok(key)
}

/// Reads a key file: 64 hex digits.
pub fn read_key_file(path: &Path) -> Result<[u8; 32], String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read key file {}: {e}", path.display()))?;
    parse_hex_key(&text).map_err(|e| format!("bad key file {}: {e}", path.display()))
}

/// Writes `key` as hex to a new file; a private key gets mode 0600. Never
/// overwrites: an existing file is an error (`AlreadyExists`).
pub fn write_key_file(path: &Path, key: &[u8; 32], private: bool) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    let mut f = options.open(path)?;
    writeln!(f, "{}", hex(key))?;
    f.sync_all()
}

/// The sensor's secret key from `path`, or a new one written there (0600)
/// when the file does not exist. The flag tells whether it was created.
pub fn load_or_create_secret(path: &Path) -> Result<(SecretKey, bool), String> {
    if path.exists() {
        return Ok((SecretKey::from_bytes(read_key_file(path)?), false));
    }
    let (secret, _) = generate_keypair();
    match write_key_file(path, &secret.to_bytes(), true) {
        Ok(()) => Ok((secret, true)),
        // Another sensor created it in between: use that one.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok((SecretKey::from_bytes(read_key_file(path)?), false)),
        Err(e) => Err(format!("cannot create key file {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_cannot_leave_the_output_directory() {
        for ok in ["sensor-1", "a", "host.example.org", "A_b-9", &"x".repeat(64)] {
            assert!(valid_client_id(ok), "{ok}");
        }
        for bad in ["", ".", "..", "../../etc", "/abs", "a/b", "a\\b", "a b", "é", "a\0", &"x".repeat(65)] {
            assert!(!valid_client_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn hex_keys_round_trip_and_bad_ones_are_refused() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 7) as u8);
        assert_eq!(parse_hex_key(&format!(" {}\n", hex(&key))), Ok(key));
        assert!(parse_hex_key("abcd").is_err());
        assert!(parse_hex_key(&"zz".repeat(32)).is_err());
        assert!(parse_hex_key(&"é".repeat(32)).is_err());
    }
}

//! The datagram a sensor sends:
//!
//! ```text
//! sensor public key (32) ‖ nonce (24) ‖ NaCl box (XSalsa20-Poly1305, 16-byte tag) of gzip(Batch)
//! ```
//!
//! The box is made with the sensor's secret key and the server's public
//! key, so opening it proves the datagram comes from the holder of the
//! sensor key it names. Everything here is a pure function over bytes;
//! nothing panics on any input, and every allocation is bounded by the
//! datagram size or [`MAX_PLAINTEXT`].

use crate::registry;
use crate::schema::pb;
use crypto_box::aead::{Aead, AeadCore, OsRng};
use crypto_box::{Nonce, PublicKey, SalsaBox, SecretKey};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use prost::Message;
use std::io::{Read, Write};

pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 24;
/// Poly1305 tag inside the box.
pub const TAG_LEN: usize = 16;
/// Bytes a datagram has besides the compressed batch.
pub const OVERHEAD: usize = KEY_LEN + NONCE_LEN + TAG_LEN;
/// Largest UDP payload (IPv4).
pub const MAX_DATAGRAM: usize = 65_507;
/// Largest `-max`: record bytes per batch. Leaves room below
/// [`MAX_DATAGRAM`] for the batch's other fields (client id ≤ 64, type,
/// input source name cut to [`MAX_INPUT_SOURCE`]), gzip's worst case on
/// incompressible data (stored blocks, ~0.03 % + 18 bytes) and the box.
pub const MAX_BATCH_RECORDS: usize = 64_000;
/// Longest InputSource a sensor sends (longer names are cut).
pub const MAX_INPUT_SOURCE: usize = 256;
/// Largest batch the server decompresses: a legitimate one is below
/// 65 KiB; anything that inflates further is a decompression bomb.
pub const MAX_PLAINTEXT: usize = 128 << 10;

/// Why a datagram was dropped. Every one is counted by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reject {
    /// Shorter than key, nonce and tag.
    Short,
    /// The sensor key is not in the server's `-allow` list.
    NotAllowed,
    /// The box does not open: wrong server key, tampered, truncated or garbage.
    Auth,
    /// The content is not a valid gzip stream.
    Decompress,
    /// The content inflates past [`MAX_PLAINTEXT`].
    Oversize,
    /// Not a valid Batch: protobuf, record type, framing, count, digits.
    BadBatch,
    /// The client id is not a safe directory name.
    ClientId,
    /// A batch already received (duplicate or replay).
    Duplicate,
    /// A batch of a sensor run older than every run the server still tracks
    /// for that key (an old replay).
    StaleRun,
    /// The server's receive queue was full (overload, not the datagram's fault).
    QueueFull,
    /// The batch's client id is not the one the allow-list binds to its
    /// sensor key (a sensor posing as another).
    WrongClient,
}

impl Reject {
    pub const ALL: [Reject; 11] = [
        Reject::Short,
        Reject::NotAllowed,
        Reject::Auth,
        Reject::Decompress,
        Reject::Oversize,
        Reject::BadBatch,
        Reject::ClientId,
        Reject::Duplicate,
        Reject::StaleRun,
        Reject::QueueFull,
        Reject::WrongClient,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Reject::Short => "short",
            Reject::NotAllowed => "not-allowed",
            Reject::Auth => "auth",
            Reject::Decompress => "decompress",
            Reject::Oversize => "oversize",
            Reject::BadBatch => "bad-batch",
            Reject::ClientId => "client-id",
            Reject::Duplicate => "duplicate",
            Reject::StaleRun => "stale-run",
            Reject::QueueFull => "queue-full",
            Reject::WrongClient => "wrong-client-id",
        }
    }

    /// Position in [`Reject::ALL`], for counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Seals plaintexts from one sensor to one server.
pub struct Sealer {
    boxed: SalsaBox,
    sensor_public: [u8; KEY_LEN],
}

impl Sealer {
    pub fn new(sensor_secret: &SecretKey, server_public: &PublicKey) -> Self {
        Sealer {
            boxed: SalsaBox::new(server_public, sensor_secret),
            sensor_public: *sensor_secret.public_key().as_bytes(),
        }
    }

    pub fn sensor_public(&self) -> &[u8; KEY_LEN] {
        &self.sensor_public
    }

    /// `sensor key ‖ random nonce ‖ box(plaintext)`.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, crypto_box::aead::Error> {
        let nonce = SalsaBox::generate_nonce(&mut OsRng);
        let sealed = self.boxed.encrypt(&nonce, plaintext)?;
        let mut out = Vec::with_capacity(KEY_LEN + NONCE_LEN + sealed.len());
        out.extend_from_slice(&self.sensor_public);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }
}

/// The parts of a datagram.
pub struct Parts<'a> {
    pub sensor: [u8; KEY_LEN],
    pub nonce: &'a [u8],
    pub sealed: &'a [u8],
}

/// Splits a datagram into sensor key, nonce and box.
pub fn split(datagram: &[u8]) -> Result<Parts<'_>, Reject> {
    if datagram.len() < OVERHEAD {
        return Err(Reject::Short);
    }
    let (key, rest) = datagram.split_at(KEY_LEN);
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let mut sensor = [0u8; KEY_LEN];
    sensor.copy_from_slice(key);
    Ok(Parts { sensor, nonce, sealed })
}

/// Opens a box made for this server by the sensor `boxed` was made with.
pub fn open(boxed: &SalsaBox, nonce: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Reject> {
    if nonce.len() != NONCE_LEN {
        return Err(Reject::Short);
    }
    boxed.decrypt(Nonce::from_slice(nonce), sealed).map_err(|_| Reject::Auth)
}

/// gzip(protobuf(batch)): the plaintext of a datagram.
pub fn encode_batch(batch: &pb::Batch) -> Vec<u8> {
    let proto = batch.encode_to_vec();
    let mut gz = GzEncoder::new(Vec::with_capacity(proto.len() / 3 + 64), Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(&proto);
    gz.finish().unwrap_or_default()
}

/// Inflates at most `cap` bytes: a stream that gives more is [`Reject::Oversize`].
pub fn decompress(gz: &[u8], cap: usize) -> Result<Vec<u8>, Reject> {
    let mut out = Vec::with_capacity(gz.len().saturating_mul(4).min(cap));
    let mut reader = GzDecoder::new(gz).take(cap as u64 + 1);
    reader.read_to_end(&mut out).map_err(|_| Reject::Decompress)?;
    if out.len() > cap {
        return Err(Reject::Oversize);
    }
    Ok(out)
}

/// A checked batch: its record type's index in the registry.
pub struct CheckedBatch {
    pub batch: pb::Batch,
    pub type_index: usize,
}

/// Decompresses, decodes and checks a batch: a known record type, a
/// safe client id, timestamp digits of 0–9, and records that split exactly
/// into `Count` length-delimited messages (none for an end-of-run batch,
/// at least one for any other).
pub fn decode_batch(gz: &[u8]) -> Result<CheckedBatch, Reject> {
    let proto = decompress(gz, MAX_PLAINTEXT)?;
    let batch = pb::Batch::decode(proto.as_slice()).map_err(|_| Reject::BadBatch)?;
    if !super::valid_client_id(&batch.client_id) {
        return Err(Reject::ClientId);
    }
    let type_index = registry::ENCODERS.iter().position(|e| e.name == batch.r#type).ok_or(Reject::BadBatch)?;
    // An end-of-run batch carries no records; every other batch some.
    let count_ok = if batch.end_of_run { batch.count == 0 } else { batch.count > 0 };
    if batch.timestamp_digits > 9 || !count_ok || count_records(&batch.records) != Some(batch.count) {
        return Err(Reject::BadBatch);
    }
    Ok(CheckedBatch { batch, type_index })
}

/// Reads a protobuf varint at the start of `buf`: (value, its length).
/// `None` for anything [`crate::varint::decode`] rejects.
pub fn read_varint(buf: &[u8]) -> Option<(u64, usize)> {
    crate::varint::decode(buf).ok()
}

/// Length (prefix included) of the length-delimited record at the start
/// of `buf`, if it is complete.
pub fn record_len(buf: &[u8]) -> Option<usize> {
    let (len, prefix) = read_varint(buf)?;
    let total = usize::try_from(len).ok()?.checked_add(prefix)?;
    (total <= buf.len()).then_some(total)
}

/// Number of records in `buf`, or `None` if it does not split exactly
/// into length-delimited records.
pub fn count_records(mut buf: &[u8]) -> Option<u64> {
    let mut n = 0u64;
    while !buf.is_empty() {
        let len = record_len(buf)?;
        buf = &buf[len..];
        n += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::generate_keypair;

    fn batch() -> pb::Batch {
        let rec = pb::Udp { src_port: 53, ..Default::default() }.encode_length_delimited_to_vec();
        pb::Batch {
            client_id: "s1".into(),
            r#type: "UDP".into(),
            run_id: 7,
            seq: 0,
            records: [rec.clone(), rec].concat(),
            count: 2,
            timestamp_digits: 6,
            ..Default::default()
        }
    }

    #[test]
    fn seal_open_round_trip() {
        let (server_sk, server_pk) = generate_keypair();
        let (sensor_sk, sensor_pk) = generate_keypair();
        let d = Sealer::new(&sensor_sk, &server_pk).seal(&encode_batch(&batch())).expect("seal");
        let p = split(&d).expect("split");
        assert_eq!(&p.sensor, sensor_pk.as_bytes());
        let plain = open(&SalsaBox::new(&PublicKey::from(p.sensor), &server_sk), p.nonce, p.sealed).expect("open");
        let checked = decode_batch(&plain).expect("batch");
        assert_eq!(checked.batch, batch());
        assert_eq!(registry::ENCODERS[checked.type_index].name, "UDP");
    }

    #[test]
    fn bad_batches() {
        let mut b = batch();
        b.count = 3;
        assert_eq!(decode_batch(&encode_batch(&b)).err(), Some(Reject::BadBatch));
        let mut b = batch();
        b.records.pop();
        b.count = 2;
        assert_eq!(decode_batch(&encode_batch(&b)).err(), Some(Reject::BadBatch), "truncated last record");
        let mut b = batch();
        b.r#type = "Header".into();
        assert_eq!(decode_batch(&encode_batch(&b)).err(), Some(Reject::BadBatch));
        let mut b = batch();
        b.client_id = "../x".into();
        assert_eq!(decode_batch(&encode_batch(&b)).err(), Some(Reject::ClientId));
        let mut b = batch();
        b.end_of_run = true;
        assert_eq!(decode_batch(&encode_batch(&b)).err(), Some(Reject::BadBatch), "an end of run with records");
        b.records.clear();
        b.count = 0;
        assert!(decode_batch(&encode_batch(&b)).is_ok(), "an end of run without records");
        b.end_of_run = false;
        assert_eq!(decode_batch(&encode_batch(&b)).err(), Some(Reject::BadBatch), "an empty batch");
        assert_eq!(decode_batch(b"not gzip").err(), Some(Reject::Decompress));
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&vec![0u8; 4 << 20]).expect("write");
        let bomb = gz.finish().expect("gzip");
        assert!(bomb.len() < 10_000);
        assert_eq!(decode_batch(&bomb).err(), Some(Reject::Oversize));
    }

    #[test]
    fn varints_never_overrun() {
        assert_eq!(read_varint(&[0x96, 0x01]), Some((150, 2)));
        assert_eq!(read_varint(&[0x80; 11]), None);
        assert_eq!(record_len(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), None);
        assert_eq!(count_records(&[2, 1, 1, 0]), Some(2));
        assert_eq!(count_records(&[3, 1]), None);
    }
}

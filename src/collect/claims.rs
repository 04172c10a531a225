//! The fleet's record of which server wrote each batch: a JetStream
//! key-value bucket shared by every server of one consumer (feature `nats`).
//!
//! Why: a server's own [`Ledger`](super::ledger::Ledger) only knows what
//! that server wrote. When a server writes a batch and dies (or its
//! acknowledgement is lost) before JetStream hears of it, the batch is
//! handed out again, possibly to another server, which would write it a
//! second time. So a batch counts as written only once its key is created
//! in the bucket with the writer's server id, and creating a key is atomic:
//! of two servers that wrote the same batch, exactly one creates it; the
//! other cuts its copy away and acknowledges the batch as a duplicate.
//! A server that died between writing and claiming releases its claims
//! at its next start, after cutting the records away, so the redelivered
//! batch is written by whichever server gets it.
//!
//! Keys are `<sensor key hex>.<run id hex>.<Type>.<seq>`; a value is the
//! server id of its writer. The bucket keeps one entry per batch (about
//! 150 bytes on the bus per batch) for as long as the stream's age limit,
//! or for ever without one: it is also the fleet's replay record, so a
//! batch replayed to any server after a restart is a duplicate.

use super::ledger::LoggedBatch;
use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use std::time::Duration;

/// Whose a claimed batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This server's: keep its records.
    Ours,
    /// Another server wrote it first: drop this server's copy.
    Theirs,
}

/// The claims bucket, as seen by one server.
pub struct Claims {
    kv: kv::Store,
    owner: Bytes,
}

/// The bucket of the servers sharing `consumer` on `stream`: KV bucket
/// names take letters, digits, `-` and `_` only.
pub fn bucket_name(stream: &str, consumer: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
    };
    format!("{}_{}_written", clean(stream), clean(consumer))
}

/// A batch's key: unique per (sensor, run, type, seq).
pub fn key(b: &LoggedBatch) -> String {
    format!("{}.{:016x}.{}.{}", super::hex(&b.sensor), b.run_id, b.type_name, b.seq)
}

impl Claims {
    /// Opens the bucket, creating it (file storage, one entry per key,
    /// `replicas`, entries kept `max_age` or for ever) when it is missing.
    pub async fn open(
        js: &jetstream::Context,
        bucket: &str,
        replicas: usize,
        max_age: Duration,
        owner: &str,
    ) -> Result<Claims, String> {
        let kv = match js.get_key_value(bucket).await {
            Ok(kv) => kv,
            Err(_) => {
                // The bucket's stream as the KV clients make it, created
                // here: the client's own `create_key_value` first asks for
                // account details that Debian's nats-server 2.9 does not
                // answer in the form it expects.
                let config = jetstream::stream::Config {
                    name: format!("KV_{bucket}"),
                    description: Some("netcap: which server wrote each batch".into()),
                    subjects: vec![format!("$KV.{bucket}.>")],
                    max_messages_per_subject: 1,
                    max_bytes: -1,
                    max_age,
                    max_message_size: -1,
                    storage: jetstream::stream::StorageType::File,
                    num_replicas: replicas.max(1),
                    allow_rollup: true,
                    deny_delete: true,
                    allow_direct: true,
                    discard: jetstream::stream::DiscardPolicy::New,
                    ..Default::default()
                };
                // Another server of the fleet may create it meanwhile.
                let created = js.get_or_create_stream(config).await.map(|_| ());
                js.get_key_value(bucket).await.map_err(|e| match created {
                    Err(c) => format!("cannot create key-value bucket {bucket}: {c}"),
                    Ok(()) => format!("cannot open key-value bucket {bucket}: {e}"),
                })?
            }
        };
        Ok(Claims { kv, owner: Bytes::copy_from_slice(owner.as_bytes()) })
    }

    /// Claims `b` for this server, or finds whose it is.
    pub async fn claim(&self, b: &LoggedBatch) -> Result<Claim, String> {
        let key = key(b);
        // A key deleted between the two steps is tried again.
        for _ in 0..3 {
            match self.kv.create(&key, self.owner.clone()).await {
                Ok(_) => return Ok(Claim::Ours),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("cannot claim {key}: {e}")),
            }
            match self.kv.entry(&key).await {
                Ok(Some(entry)) if entry.operation == kv::Operation::Put => {
                    let mine = entry.value == self.owner;
                    return Ok(if mine { Claim::Ours } else { Claim::Theirs });
                }
                Ok(_) => continue,
                Err(e) => return Err(format!("cannot read claim {key}: {e}")),
            }
        }
        Err(format!("claim {key} keeps changing"))
    }

    /// Gives up this server's claim of `b` (another server's stays).
    pub async fn release(&self, b: &LoggedBatch) -> Result<(), String> {
        let key = key(b);
        match self.kv.entry(&key).await {
            Ok(Some(entry)) if entry.operation == kv::Operation::Put && entry.value == self.owner => self
                .kv
                .delete_expect_revision(&key, Some(entry.revision))
                .await
                .map_err(|e| format!("cannot release claim {key}: {e}")),
            Ok(_) => Ok(()),
            Err(e) => Err(format!("cannot read claim {key}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_bucket_names_use_only_what_jetstream_allows() {
        let b = LoggedBatch { sensor: [0xab; 32], run_id: 0x12, run_started: 5, type_name: "TCP".into(), seq: 7 };
        assert_eq!(key(&b), format!("{}.0000000000000012.TCP.7", "ab".repeat(32)));
        assert_eq!(bucket_name("NETCAP", "netcap-server"), "NETCAP_netcap-server_written");
        assert_eq!(bucket_name("a/b", "c:d"), "a_b_c_d_written");
    }
}

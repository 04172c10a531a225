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
    js: jetstream::Context,
    kv: kv::Store,
    bucket: String,
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
        Ok(Claims { js: js.clone(), kv, bucket: bucket.to_string(), owner: Bytes::copy_from_slice(owner.as_bytes()) })
    }

    /// Claims every batch of a group, or finds whose each is. All creates
    /// go out before the first acknowledgement is awaited (the key-value
    /// store's own create waits for each in turn); a key that exists is
    /// then looked up as [`claim`](Self::claim) does.
    pub async fn claim_all(&self, batches: &[LoggedBatch]) -> Result<Vec<Claim>, String> {
        use jetstream::context::PublishErrorKind;
        let mut acks = Vec::with_capacity(batches.len());
        for b in batches {
            let create = jetstream::message::PublishMessage::build()
                .payload(self.owner.clone())
                .expected_last_subject_sequence(0);
            let subject = format!("$KV.{}.{}", self.bucket, key(b));
            acks.push(self.js.send_publish(subject, create).await.map_err(|e| format!("cannot claim: {e}"))?);
        }
        let mut owners = Vec::with_capacity(batches.len());
        for (b, ack) in batches.iter().zip(acks) {
            owners.push(match ack.await {
                Ok(_) => Claim::Ours,
                // Claimed before (or released): whose it is now.
                Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => self.claim(b).await?,
                Err(e) => return Err(format!("cannot claim {}: {e}", key(b))),
            });
        }
        Ok(owners)
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

impl Claims {
    /// Which of the numbers `seqs` of `end`'s (sensor, run, type) stream no
    /// server of the fleet has claimed (all looked up at once).
    pub async fn unclaimed(&self, end: &LoggedBatch, seqs: &[u64]) -> Result<Vec<u64>, String> {
        let lookups = seqs.iter().map(|&seq| {
            let key = key(&LoggedBatch { seq, ..end.clone() });
            async move { (seq, self.kv.entry(key).await) }
        });
        let mut missing = Vec::new();
        for (seq, entry) in futures_util::future::join_all(lookups).await {
            match entry {
                Ok(Some(e)) if e.operation == kv::Operation::Put => {}
                Ok(_) => missing.push(seq),
                Err(e) => return Err(format!("cannot read claims: {e}")),
            }
        }
        Ok(missing)
    }
}

/// Longest (run, type) stream whose claims [`Claims::missing_before`]
/// lists (a bitmap of 512 KiB); the sequence number comes from a sensor.
pub const MAX_CHECKED_SEQ: u64 = 1 << 22;

impl Claims {
    /// The numbers below `end.seq` of `end`'s (sensor, run, type) stream
    /// that no server of the fleet has claimed: batches no server wrote.
    /// None when the stream is too long to check.
    pub async fn missing_before(&self, end: &LoggedBatch) -> Result<Option<Vec<u64>>, String> {
        use futures_util::StreamExt;
        if end.seq > MAX_CHECKED_SEQ {
            return Ok(None);
        }
        let prefix = format!("{}.{:016x}.{}.", super::hex(&end.sensor), end.run_id, end.type_name);
        let mut seen = vec![0u64; (end.seq as usize).div_ceil(64)];
        let mut watch =
            self.kv.watch_with_history(format!("{prefix}*")).await.map_err(|e| format!("cannot list claims: {e}"))?;
        // The entries there are now come first, the last with delta 0; the
        // wait covers a stream without any.
        while let Ok(next) = tokio::time::timeout(Duration::from_secs(2), watch.next()).await {
            let Some(entry) = next else { break };
            let entry = entry.map_err(|e| format!("cannot list claims: {e}"))?;
            let seq = entry.key.strip_prefix(&prefix).and_then(|n| n.parse::<u64>().ok());
            if let Some(seq) = seq.filter(|s| *s < end.seq) {
                if entry.operation == kv::Operation::Put {
                    if let Some(word) = seen.get_mut((seq / 64) as usize) {
                        *word |= 1 << (seq % 64);
                    }
                }
            }
            if entry.delta == 0 {
                break;
            }
        }
        let missing =
            (0..end.seq).filter(|s| seen.get((s / 64) as usize).is_some_and(|w| w & (1 << (s % 64)) == 0)).collect();
        Ok(Some(missing))
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

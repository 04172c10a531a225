//! The `-nats*` flags `netcap sensor` and `netcap server` share (feature
//! `nats`): where the bus is, the client's TLS and credentials, and the
//! stream: created when it is missing, changed where a flag is given.

use crate::collect::nats::{self, Connection, StreamChanges, StreamSettings};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct NatsArgs {
    /// Send (sensor) or take (server) batches through this NATS JetStream
    /// server instead of UDP: nats://HOST:PORT, several comma-separated.
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,

    /// NATS credentials file (JWT and NKey seed).
    #[arg(long, value_name = "FILE")]
    pub nats_creds: Option<PathBuf>,

    /// Root certificate(s) (PEM) to trust for NATS over TLS.
    #[arg(long, value_name = "FILE")]
    pub nats_tls_ca: Option<PathBuf>,

    /// Client certificate (PEM) for NATS mutual TLS (with -nats-tls-key).
    #[arg(long, value_name = "FILE", requires = "nats_tls_key")]
    pub nats_tls_cert: Option<PathBuf>,

    /// Client key (PEM) for NATS mutual TLS (with -nats-tls-cert).
    #[arg(long, value_name = "FILE", requires = "nats_tls_cert")]
    pub nats_tls_key: Option<PathBuf>,

    /// Refuse a NATS connection without TLS.
    #[arg(long)]
    pub nats_require_tls: bool,

    /// The JetStream stream (created when missing, subjects netcap.>,
    /// file storage, limits retention).
    #[arg(long, value_name = "NAME", default_value = nats::DEFAULT_STREAM)]
    pub nats_stream: String,

    /// Size limit of the stream; past it the oldest batches go [default
    /// for a new stream: 1GiB]. Given, it changes an existing stream too.
    #[arg(long, value_name = "SIZE", value_parser = super::capture::parse_size)]
    pub nats_max_bytes: Option<usize>,

    /// Age limit of the stream, 0 for none [default for a new stream: 0].
    /// Given, it changes an existing stream too.
    #[arg(long, value_name = "DUR", value_parser = crate::duration::parse)]
    pub nats_max_age: Option<Duration>,

    /// Replicas of the stream, 3 or 5 on a NATS cluster [default for a new
    /// stream: 1]. Given, it changes an existing stream too.
    #[arg(long, value_name = "N")]
    pub nats_replicas: Option<usize>,

    /// Deduplication window of the stream: a resent batch within it is
    /// dropped by JetStream [default for a new stream: 2m]. Given, it
    /// changes an existing stream too.
    #[arg(long, value_name = "DUR", value_parser = crate::duration::parse)]
    pub nats_dup_window: Option<Duration>,
}

impl NatsArgs {
    pub fn connection(&self, name: &str) -> Option<Connection> {
        let url = self.nats.clone()?;
        Some(Connection {
            url,
            creds: self.nats_creds.clone(),
            tls_ca: self.nats_tls_ca.clone(),
            tls_cert: self.nats_tls_cert.clone().zip(self.nats_tls_key.clone()),
            require_tls: self.nats_require_tls,
            name: name.to_string(),
        })
    }

    pub fn stream(&self) -> Result<StreamSettings, String> {
        if self.nats_stream.is_empty()
            || self.nats_stream.contains(|c: char| c == '.' || c == '*' || c == '>' || c.is_whitespace())
        {
            return Err(format!("invalid -nats-stream {:?}: no '.', '*', '>' or spaces", self.nats_stream));
        }
        if self.nats_replicas.is_some_and(|n| n == 0 || n > 5) {
            return Err("-nats-replicas must be 1 to 5".into());
        }
        let max_bytes = self
            .nats_max_bytes
            .map(|n| i64::try_from(n).map_err(|_| "-nats-max-bytes too large".to_string()))
            .transpose()?;
        let given = StreamChanges {
            max_bytes,
            max_age: self.nats_max_age,
            replicas: self.nats_replicas,
            duplicate_window: self.nats_dup_window,
        };
        let defaults = StreamSettings::default();
        Ok(StreamSettings {
            name: self.nats_stream.clone(),
            max_bytes: given.max_bytes.unwrap_or(defaults.max_bytes),
            max_age: given.max_age.unwrap_or(defaults.max_age),
            replicas: given.replicas.unwrap_or(defaults.replicas),
            duplicate_window: given.duplicate_window.unwrap_or(defaults.duplicate_window),
            change_existing: given,
        })
    }
}

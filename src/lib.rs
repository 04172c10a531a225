//! netcap: packet captures to typed protobuf audit records.
#![forbid(unsafe_code)]

pub mod decode;
pub mod registry;
pub mod flows;
pub mod app;
pub mod stream;
pub mod schema;
pub mod capture;
pub mod compress;
pub mod container;
pub mod member_pool;
pub mod budget;
pub mod timefmt;
pub mod varint;
pub mod cli;
pub mod pipeline;
pub mod output;
pub mod label;
pub mod sink;
pub mod parquet;
pub mod defrag;
pub mod duration;

/// Version written into every file header and printed by `-version`.
pub const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));
pub mod collect;

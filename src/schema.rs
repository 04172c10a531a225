//! The generated record types and the schema's descriptors.
//!
//! `pb` holds the prost structs the encoders fill. The descriptor pool is
//! the same schema in reflective form: output code asks it for field
//! names and types instead of knowing any record type.

use prost_reflect::{DescriptorPool, MessageDescriptor};
use std::sync::OnceLock;

#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/netcap.rs"));
}

/// Encoded `FileDescriptorSet` of `proto/netcap.proto`.
pub const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/netcap_descriptor.bin"));

/// Package of every message in the schema.
pub const PACKAGE: &str = "netcap";

pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        // The set was produced by build.rs from our own .proto; failing to
        // load it would be a build defect, not an input error.
        DescriptorPool::decode(DESCRIPTOR_SET).expect("embedded descriptor set is valid")
    })
}

/// The descriptor of record type `name` (e.g. "TCP").
pub fn message(name: &str) -> Option<MessageDescriptor> {
    pool().get_message_by_name(&format!("{PACKAGE}.{name}"))
}

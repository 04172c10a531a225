//! netcap: packet captures to typed protobuf audit records.
#![forbid(unsafe_code)]

pub mod decode;
pub mod schema;
pub mod capture;
pub mod container;
pub mod timefmt;

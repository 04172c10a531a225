//! Compiles `proto/netcap.proto` with protox (pure Rust), so no system
//! `protoc` is needed, and keeps the encoded descriptor set beside the
//! generated code: the output layer reads field names and types from it,
//! which makes the schema the single source of truth for CSV, JSON, ...
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/netcap.proto");
    let descriptors = protox::compile(["proto/netcap.proto"], ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let bytes = prost::Message::encode_to_vec(&descriptors);
    std::fs::write(out.join("netcap_descriptor.bin"), bytes)?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}

//! Compiles the schema (`proto/*.proto`, all in package `netcap`) with
//! protox (pure Rust), so no system `protoc` is needed, and keeps the
//! encoded descriptor set beside the generated code: the output layer reads
//! field names and types from it, which makes the schema the single source
//! of truth for CSV, JSON, ...
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let mut files: Vec<PathBuf> = std::fs::read_dir("proto")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .collect();
    files.sort();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let descriptors = protox::compile(&files, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let bytes = prost::Message::encode_to_vec(&descriptors);
    std::fs::write(out.join("netcap_descriptor.bin"), bytes)?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}

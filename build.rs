//! Compiles the schema (`proto/*.proto`, all in package `netcap`) with
//! protox (pure Rust), so no system `protoc` is needed, and keeps the
//! encoded descriptor set beside the generated code: the output layer reads
//! field names and types from it, which makes the schema the single source
//! of truth for CSV, JSON, ...
//!
//! `FrameNumber` (see the conventions at the top of `proto/netcap.proto`)
//! is appended to each per-packet record by the emitter, not set by the
//! encoders: it stays in the descriptor set (so every output shows it) but
//! is left out of the generated Rust structs. The build checks that every
//! `FrameNumber` field has the one number and type the emitter writes.
use std::path::PathBuf;

/// Field number of `FrameNumber` in every message; `decode::FRAME_NUMBER_FIELD`.
const FRAME_NUMBER_FIELD: i32 = 100;

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

    let mut for_structs = descriptors;
    for file in &mut for_structs.file {
        for message in &mut file.message_type {
            for field in message.field.iter().filter(|f| f.name() == "FrameNumber") {
                let uint64 = prost_types::field_descriptor_proto::Type::Uint64;
                if field.number() != FRAME_NUMBER_FIELD || field.r#type() != uint64 {
                    return Err(format!(
                        "{}.FrameNumber must be `uint64 FrameNumber = {FRAME_NUMBER_FIELD};` (the emitter appends it)",
                        message.name()
                    )
                    .into());
                }
            }
            message.field.retain(|f| f.name() != "FrameNumber");
        }
    }
    prost_build::Config::new().compile_fds(for_structs)?;
    Ok(())
}

#!/bin/sh
# Fills fuzz/corpus/<target>/ (gitignored) from the shared captures, using
# netcap's own CaptureReader and pipeline (the example fuzz_seed_corpus).
# Usage: fuzz/seed-corpus.sh [PCAP_DIR]   (default: ../shared/pcaps beside the repo)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
pcaps=${1:-$root/../shared/pcaps}
[ -d "$pcaps" ] || { echo "no capture folder at $pcaps" >&2; exit 1; }
cd "$root"
cargo run --quiet --release --example fuzz_seed_corpus -- "$pcaps" "$root/fuzz/corpus"

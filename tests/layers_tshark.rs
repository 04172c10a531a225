//! Differential tests of the application-layer, routing and tunnel record
//! types against tshark: one module per group of protocols, each with one
//! [`common::layers::Spec`] per record type (see `tests/common/layers.rs`).
//! `cargo test --release --test layers_tshark dns -- --nocapture` runs one
//! group and prints its agreement table.

mod common;
#[path = "common/pcap_rewrite.rs"]
#[allow(dead_code)]
mod pcap_rewrite;

#[path = "layers_tshark/dhcp.rs"]
mod dhcp;
#[path = "layers_tshark/discovery.rs"]
mod discovery;
#[path = "layers_tshark/dns.rs"]
mod dns;
#[path = "layers_tshark/eapol.rs"]
mod eapol;
#[path = "layers_tshark/routing.rs"]
mod routing;
#[path = "layers_tshark/small.rs"]
mod small;
#[path = "layers_tshark/tunnels.rs"]
mod tunnels;
#[path = "layers_tshark/usb.rs"]
mod usb;
#[path = "layers_tshark/wired.rs"]
mod wired;
#[path = "layers_tshark/wireless.rs"]
mod wireless;

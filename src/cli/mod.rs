//! Command line: multi-call dispatch and Go Netcap's flag spellings.
//!
//! Go Netcap takes single-dash long flags (`-select`, `-workers 4`,
//! `-comp=false`); clap wants `--select`. [`normalize`] rewrites them here
//! and nowhere else, so every subcommand accepts both spellings.

pub mod capture;
pub mod export;
pub mod help;
pub mod install;
pub mod label;
#[cfg(feature = "nats")]
pub mod nats;
pub mod read;
pub mod sensor;
pub mod server;
pub mod summary;

use std::ffi::OsString;
use std::path::Path;

/// Exit status for usage errors and input that is not what it should be.
pub const EXIT_USAGE: i32 = 2;

/// Turns `-name` and `-name=value` (a dash, then at least two characters
/// of a flag name) into `--name...`. Single-letter flags (`-r`), values
/// such as `-` or `-1`, and everything after `--` stay as they are.
pub fn normalize(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut passthrough = false;
    for arg in args {
        let Some(s) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if passthrough || s == "--" {
            passthrough = true;
            out.push(arg);
            continue;
        }
        let name =
            s.strip_prefix('-').filter(|rest| !rest.starts_with('-')).map(|rest| rest.split('=').next().unwrap_or(""));
        match name {
            Some(n)
                if n.len() >= 2
                    && n.starts_with(|c: char| c.is_ascii_alphabetic())
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                out.push(OsString::from(format!("-{s}")));
            }
            _ => out.push(arg),
        }
    }
    out
}

/// The subcommand a multi-call name stands for (`netlabel` → `label`).
pub fn subcommand_for_program(argv0: &Path) -> Option<&'static str> {
    let name = argv0.file_name()?.to_str()?;
    let name = name.strip_suffix(".exe").unwrap_or(name);
    match name {
        "netlabel" => Some("label"),
        "netcap-sensor" => Some("sensor"),
        "netcap-server" => Some("server"),
        _ => None,
    }
}

/// Entry point: returns the process exit status.
pub fn main_with_args(argv: Vec<OsString>) -> i32 {
    let mut argv = argv.into_iter();
    let argv0 = argv.next().unwrap_or_else(|| OsString::from("netcap"));
    let mut rest: Vec<OsString> = argv.collect();
    if let Some(sub) = subcommand_for_program(Path::new(&argv0)) {
        rest.insert(0, OsString::from(sub));
    }
    let rest = normalize(rest);
    let first = rest.first().and_then(|a| a.to_str()).unwrap_or("");
    match first {
        "capture" => capture::main_as("netcap capture", rest.into_iter().skip(1).collect()),
        "read" => read::main(rest.into_iter().skip(1).collect()),
        "export" => export::main(rest.into_iter().skip(1).collect()),
        "sensor" => sensor::main(rest.into_iter().skip(1).collect()),
        "server" => server::main(rest.into_iter().skip(1).collect()),
        "label" => label::main(rest.into_iter().skip(1).collect()),
        "help" => help::help(rest.into_iter().skip(1).collect()),
        "completions" => install::completions_main(rest.into_iter().skip(1).collect()),
        "man" => install::man_main(rest.into_iter().skip(1).collect()),
        "install-links" => install::install_links_main(rest.into_iter().skip(1).collect()),
        _ => {
            if wants_read(&rest) {
                return read::main(rest);
            }
            capture::main(rest)
        }
    }
}

/// Whether top-level arguments (already normalised) ask for `read`
/// rather than `capture`: `-check`, or `-r` of a record file. A record
/// file is recognised by content; a file named `.ncap`/`.ncap.gz`/`.ncap.zst` that
/// is not a capture goes to `read` too, so that its damage is reported
/// as a record file's.
fn wants_read(args: &[OsString]) -> bool {
    if args.iter().any(|a| a.to_str().is_some_and(|s| s == "--check" || s.starts_with("--check="))) {
        return true;
    }
    let Some(path) = input_path(args) else { return false };
    let path = Path::new(&path);
    if is_record_file(path) {
        return true;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    crate::compress::is_record_file_name(name)
        && path.is_file()
        && crate::capture::file::CaptureReader::open(path).is_err()
}

/// The value of `-r`/`--r`/`--read` in `args`, if any.
fn input_path(args: &[OsString]) -> Option<OsString> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let s = a.to_str().unwrap_or("");
        if s == "-r" || s == "--r" || s == "--read" {
            return it.next().cloned();
        }
        for prefix in ["-r=", "--r=", "--read="] {
            if let Some(v) = s.strip_prefix(prefix) {
                return Some(OsString::from(v));
            }
        }
    }
    None
}

/// True when `path` holds netcap records rather than a capture: decided
/// by content (a valid netcap header, compressed or not), so a `.ncap.gz`
/// and a `.pcap.gz` are told apart whatever their names. A pipe or device
/// (`tcpdump -w - | netcap -r /dev/stdin`) cannot be looked into without
/// consuming it, so there only the name decides.
pub fn is_record_file(path: &Path) -> bool {
    if !path.is_file() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        return crate::compress::is_record_file_name(name);
    }
    crate::container::RecordReader::open(path).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        normalize(args.iter().map(OsString::from)).into_iter().map(|a| a.into_string().unwrap_or_default()).collect()
    }

    #[test]
    fn go_style_flags_become_long_flags() {
        assert_eq!(
            norm(&["-r", "x.pcap", "-workers", "2", "-comp=false"]),
            ["-r", "x.pcap", "--workers", "2", "--comp=false"]
        );
        assert_eq!(norm(&["-select", "a,b", "--tsv", "-sep", "-"]), ["--select", "a,b", "--tsv", "--sep", "-"]);
        assert_eq!(norm(&["-bpf", "-1", "--", "-foo"]), ["--bpf", "-1", "--", "-foo"]);
    }

    #[test]
    fn multi_call_names() {
        assert_eq!(subcommand_for_program(Path::new("/usr/bin/netlabel")), Some("label"));
        assert_eq!(subcommand_for_program(Path::new("netcap-server")), Some("server"));
        assert_eq!(subcommand_for_program(Path::new("netcap")), None);
    }
}

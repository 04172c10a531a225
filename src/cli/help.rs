//! The command tree behind `--help`, `netcap help`, completions and the
//! man page.
//!
//! Each subcommand keeps its flags in its own derive struct; this module
//! puts them together into one clap [`Command`] (the default form,
//! `netcap -r FILE`, is the root and takes capture's flags) and adds what
//! every screen shares: its name in the usage line, one way of showing
//! boolean flags, and examples at the end. Parsing goes through the same
//! decorated command, so what help shows is what is accepted.

use super::{capture, export, install, label, read, sensor, server};
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Command, CommandFactory, FromArgMatches};
use std::ffi::OsString;

/// The subcommands, in the order help lists them.
pub const SUBCOMMANDS: [&str; 9] =
    ["capture", "read", "export", "label", "sensor", "server", "completions", "man", "install-links"];

/// The whole tree: `netcap` (the default form, capture's flags) with every
/// subcommand, plus clap's `help` subcommand.
pub fn command() -> Command {
    let mut root = decorate("netcap", capture::CaptureArgs::command())
        .args_conflicts_with_subcommands(true)
        .subcommand_value_name("COMMAND")
        .override_usage("netcap [OPTIONS]   (the same as netcap capture [OPTIONS])\n       netcap <COMMAND> [OPTIONS]");
    for name in SUBCOMMANDS {
        root = root.subcommand(subcommand(name));
    }
    root
}

/// Subcommand `name` as it appears in the tree (named `name`, shown as
/// `netcap name`).
fn subcommand(name: &'static str) -> Command {
    let cmd = match name {
        "capture" => capture::CaptureArgs::command(),
        "read" => read::ReadArgs::command(),
        "export" => export::ExportArgs::command(),
        "label" => label::LabelArgs::command(),
        "sensor" => sensor::SensorArgs::command(),
        "server" => server::ServerArgs::command(),
        "completions" => install::CompletionsArgs::command(),
        "man" => install::ManArgs::command(),
        _ => install::InstallLinksArgs::command(),
    };
    decorate(&format!("netcap {name}"), cmd).name(name)
}

/// Parses `args` (without the program name) as the command called
/// `bin_name` (`netcap` for the default form, `netcap read`, ...). On
/// `--help`, `--version` or a usage error it prints and returns the exit
/// status.
pub fn parse<P: CommandFactory + FromArgMatches>(bin_name: &str, args: Vec<OsString>) -> Result<P, i32> {
    let cmd = if bin_name == "netcap" { command() } else { decorate(bin_name, P::command()) };
    let argv = std::iter::once(OsString::from(bin_name)).chain(args);
    let result = cmd.try_get_matches_from(argv).and_then(|m| P::from_arg_matches(&m));
    result.map_err(print_clap_error)
}

/// `netcap help [COMMAND]`: clap's help subcommand over the whole tree.
pub fn help(args: Vec<OsString>) -> i32 {
    let argv = [OsString::from("netcap"), OsString::from("help")].into_iter().chain(args);
    match command().try_get_matches_from(argv) {
        Ok(_) => 0,
        Err(e) => print_clap_error(e),
    }
}

/// Prints clap's message (help, version or usage error) and returns the
/// exit status: 0 for help and version, 2 for a usage error.
fn print_clap_error(e: clap::Error) -> i32 {
    let code = if e.use_stderr() { super::EXIT_USAGE } else { 0 };
    match in_single_dash_spelling(&e, std::env::args_os()) {
        Some(text) => eprint!("{text}"),
        None => {
            let _ = e.print();
        }
    }
    code
}

/// clap sees the arguments after [`super::normalize`], so a Go Netcap
/// user who typed `-workrs` read "unexpected argument '--workrs'" and a
/// tip for `--workers`: a spelling they never used. When the command line
/// (`typed`) has the single-dash form of the unknown flag, the message
/// names it and the suggestion that way (both spellings work). None when
/// nothing needs rewriting.
fn in_single_dash_spelling(e: &clap::Error, mut typed: impl Iterator<Item = OsString>) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else { return None };
    let name = arg.split('=').next().unwrap_or(arg);
    let single = name.strip_prefix('-').filter(|s| s.starts_with('-') && !s.starts_with("--"))?;
    let as_typed = typed.any(|t| t.to_str().is_some_and(|t| t == single || t.starts_with(&format!("{single}="))));
    if !as_typed {
        return None;
    }
    let mut text = e.render().to_string().replace(&format!("'{name}"), &format!("'{single}"));
    if let Some(ContextValue::String(tip)) = e.get(ContextKind::SuggestedArg) {
        if let Some(short) = tip.strip_prefix('-').filter(|s| s.starts_with('-') && s.len() > 2) {
            text = text.replace(&format!("'{tip}'"), &format!("'{short}'"));
        }
    }
    Some(text)
}

/// What every screen shares: the command's name in its usage line,
/// boolean flags shown one way, examples last.
fn decorate(bin_name: &str, cmd: Command) -> Command {
    let cmd = specialise(bin_name, cmd.bin_name(bin_name.to_string()));
    let cmd = negative_durations_reach_the_parser(uniform_booleans(cmd));
    let mut after = cmd.get_after_help().map(|h| format!("{h}\n\n")).unwrap_or_default();
    after.push_str("Examples:\n");
    for line in examples(bin_name) {
        after.push_str("  ");
        after.push_str(line);
        after.push('\n');
    }
    cmd.after_help(after.trim_end().to_string())
}

/// Help that differs between commands sharing a flag: `-out` means the
/// record files for a capture, only the error files for a sensor.
fn specialise(bin_name: &str, cmd: Command) -> Command {
    match bin_name {
        "netcap" | "netcap capture" => {
            let cmd = cmd.mut_arg("out", |a| {
                a.help("Directory for the record files (<Type>.ncap.gz), errors.log, errors.pcap, unknown.pcap (.pcapng for a pcapng input) and unknown.tsv; created if absent")
            });
            if bin_name == "netcap capture" {
                cmd.about(
                    "Turns a capture file or an interface into record files, <Type>.ncap.gz (the default command)",
                )
                .override_usage("netcap capture [OPTIONS]\n       netcap [OPTIONS]   (the default form)")
            } else {
                cmd
            }
        }
        "netcap sensor" => cmd.mut_arg("out", |a| {
            a.help("Directory for errors.log, errors.pcap, unknown.pcap (.pcapng for a pcapng input) and unknown.tsv; the records go to the server")
        }),
        _ => cmd,
    }
}

/// Every boolean flag is shown and parsed one way: `--name [<BOOL>]`
/// with its default, where a bare `--name` means true and `--name=false`
/// (or `--name false`) turns it off, as Go's flags do. Flags written as
/// plain switches (`--encoders`) are turned into that form here, so a new
/// switch cannot show up the other way.
fn uniform_booleans(cmd: Command) -> Command {
    let switches: Vec<String> = cmd
        .get_arguments()
        .filter(|a| matches!(a.get_action(), ArgAction::SetTrue))
        .map(|a| a.get_id().to_string())
        .collect();
    switches.iter().fold(cmd, |cmd, id| {
        cmd.mut_arg(id, |a| {
            a.action(ArgAction::Set)
                .num_args(0..=1)
                .value_name("BOOL")
                .default_value("false")
                .default_missing_value("true")
                .require_equals(false)
                .value_parser(BoolishValueParser::new())
        })
    })
}

/// `-flow-timeout -1m` would otherwise be taken for a flag `-1` and
/// refused as such; letting a duration's value start with `-` lets the
/// duration parser say what is wrong (a negative duration).
fn negative_durations_reach_the_parser(cmd: Command) -> Command {
    let durations: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.get_value_names().is_some_and(|v| v.iter().any(|n| n == "DURATION" || n == "DUR")))
        .map(|a| a.get_id().to_string())
        .collect();
    durations.iter().fold(cmd, |cmd, id| cmd.mut_arg(id, |a| a.allow_hyphen_values(true)))
}

/// The examples at the end of a screen: real command lines that work as
/// written once the files they name exist (tests/cli_help.rs runs them).
fn examples(bin_name: &str) -> &'static [&'static str] {
    match bin_name {
        "netcap" => &[
            "netcap -r traffic.pcap -out records                       # one <Type>.ncap.gz per record type",
            "netcap read records/TCP.ncap.gz -select Timestamp,SrcPort,DstPort",
            "netcap label -r traffic.pcap -out records -alerts eve.json",
            "netcap help capture                                        # every command has its own help",
        ],
        "netcap capture" => &[
            "netcap capture -r traffic.pcap -out records",
            "netcap -r traffic.pcap -out records -include TCP,UDP,DNS -workers 2",
            "netcap -r traffic.pcap -out records -comp=false -flow-timeout 1m30s",
            "tcpdump -i eth0 -w - | netcap -r - -out records           # standard input",
            "netcap -iface eth0 -bpf 'tcp port 443' -out records        # live, needs --features libpcap",
        ],
        "netcap read" => &[
            "netcap read records/TCP.ncap.gz",
            "netcap read records/TCP.ncap.gz -select Timestamp,SrcPort,DstPort -tsv -utc",
            "netcap -r records/IPv4.ncap.gz -json",
            "netcap read records/TCP.ncap.gz -fields",
            "netcap read records/TCP.ncap.gz -check",
        ],
        "netcap export" => &[
            "netcap export -out parquet records                         # records/*.ncap.gz -> parquet/<Type>.parquet",
            "netcap export -hive -out dataset monday tuesday            # dataset/type=TCP/capture=.../part-0.parquet",
            "netcap -r traffic.pcap -out records -format both           # Parquet beside .ncap.gz during capture",
        ],
        "netcap label" => &[
            "netcap label -r traffic.pcap -out records -alerts eve.json",
            "netlabel -r traffic.pcap -out records -alerts fast.log -tz Europe/Berlin",
            "netcap label -r traffic.pcap -out records -suricata -collect",
        ],
        "netcap sensor" => &[
            "netcap server -gen-keypair -out keys",
            "netcap sensor -r traffic.pcap -pubkey keys/pub.key -addr 127.0.0.1:1335",
            "netcap sensor -iface eth0 -pubkey pub.key -addr collector:1335 -flush-interval 500ms",
        ],
        "netcap server" => &[
            "netcap server -gen-keypair -out keys",
            "netcap server -privkey keys/priv.key -addr 0.0.0.0:1335 -out collected -stats-interval 1m",
        ],
        "netcap completions" => &[
            "netcap completions bash > ~/.local/share/bash-completion/completions/netcap",
            "netcap completions zsh > ~/.zfunc/_netcap",
            "netcap completions fish > ~/.config/fish/completions/netcap.fish",
        ],
        "netcap man" => &["netcap man > netcap.1 && man ./netcap.1", "netcap man -dir ~/.local/share/man/man1"],
        "netcap install-links" => &[
            "netcap install-links                                       # next to the netcap binary",
            "netcap install-links ~/.local/bin",
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage_error(typed: &[&str]) -> clap::Error {
        let args = super::super::normalize(typed.iter().map(OsString::from));
        command().try_get_matches_from(args).expect_err("a usage error")
    }

    #[test]
    fn unknown_flags_are_named_as_the_user_typed_them() {
        let typed = ["netcap", "-r", "x.pcap", "-workrs", "2"];
        let text = in_single_dash_spelling(&usage_error(&typed), typed.iter().map(OsString::from)).expect("rewritten");
        assert!(text.contains("unexpected argument '-workrs' found"), "{text}");
        assert!(text.contains("a similar argument exists: '-workers'"), "{text}");
        assert!(!text.contains("'--w"), "{text}");
        // With a value attached, and without a suggestion.
        let typed = ["netcap", "-bogus=3"];
        let text = in_single_dash_spelling(&usage_error(&typed), typed.iter().map(OsString::from)).expect("rewritten");
        assert!(text.contains("'-bogus"), "{text}");
        assert!(!text.contains("'--bogus"), "{text}");
        // Typed with two dashes: clap's own message stands.
        let typed = ["netcap", "--workrs", "2"];
        assert_eq!(in_single_dash_spelling(&usage_error(&typed), typed.iter().map(OsString::from)), None);
    }

    #[test]
    fn the_tree_is_consistent() {
        command().debug_assert();
        for name in SUBCOMMANDS {
            subcommand(name).debug_assert();
        }
    }

    #[test]
    fn every_screen_has_examples_and_every_boolean_one_form() {
        let root = command();
        let mut screens = vec![&root];
        screens.extend(root.get_subcommands().filter(|c| c.get_name() != "help"));
        assert_eq!(screens.len(), SUBCOMMANDS.len() + 1);
        for cmd in screens {
            let after = cmd.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(after.contains("Examples:\n  "), "{} has no examples", cmd.get_name());
            for arg in cmd.get_arguments() {
                assert!(
                    !matches!(arg.get_action(), ArgAction::SetTrue),
                    "{} --{} is a bare switch",
                    cmd.get_name(),
                    arg.get_id()
                );
                if matches!(arg.get_action(), ArgAction::Set) && arg.get_value_names() == Some(&["BOOL".into()]) {
                    assert_eq!(
                        arg.get_default_values().len(),
                        1,
                        "{} --{} shows no default",
                        cmd.get_name(),
                        arg.get_id()
                    );
                }
            }
        }
    }

    #[test]
    fn switches_still_parse_bare_and_with_a_value() {
        let parse =
            |args: &[&str]| parse::<capture::CaptureArgs>("netcap capture", args.iter().map(OsString::from).collect());
        assert!(parse(&["--encoders"]).is_ok_and(|a| a.common.encoders));
        assert!(parse(&["--encoders=false"]).is_ok_and(|a| !a.common.encoders));
        assert!(parse(&[]).is_ok_and(|a| !a.common.encoders && a.comp == crate::compress::Compression::Gzip));
        assert!(parse(&["--comp", "false"]).is_ok_and(|a| a.comp == crate::compress::Compression::None));
    }
}

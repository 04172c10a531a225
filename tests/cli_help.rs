//! The help screens, completions, man page and links: `netcap --help`
//! lists the subcommands, `netcap help [COMMAND]` works, each screen names
//! its command in the usage line and ends with examples, and the examples
//! run as written (on testdata/sample.pcap).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NETCAP: &str = env!("CARGO_BIN_EXE_netcap");
const SUBCOMMANDS: [&str; 9] =
    ["capture", "read", "export", "label", "sensor", "server", "completions", "man", "install-links"];

fn netcap_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(NETCAP).current_dir(dir).args(args).output().expect("netcap runs")
}

fn stdout_ok(args: &[&str]) -> String {
    let out = netcap_in(Path::new("."), args);
    assert!(out.status.success(), "netcap {args:?}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netcap-cli-help-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn sample_pcap() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample.pcap")
}

/// The example lines of a help screen, shell comments removed.
fn examples(help: &str) -> Vec<String> {
    let Some((_, after)) = help.split_once("\nExamples:\n") else { panic!("no Examples section in\n{help}") };
    after
        .lines()
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split(" #").next().unwrap_or(l).trim().to_string())
        .collect()
}

#[test]
fn top_level_help_lists_every_subcommand() {
    for args in [&["--help"][..], &["-help"], &["help"], &["-h"]] {
        let help = stdout_ok(args);
        assert!(help.contains("Usage: netcap [OPTIONS]"), "{args:?}:\n{help}");
        assert!(help.contains("netcap <COMMAND>"), "{args:?}:\n{help}");
        let commands =
            help.split_once("Commands:\n").map(|(_, c)| c).unwrap_or_else(|| panic!("no Commands in\n{help}"));
        for sub in SUBCOMMANDS.iter().chain(&["help"]) {
            let line = commands.lines().find(|l| l.trim_start().starts_with(&format!("{sub} ")));
            let line = line.unwrap_or_else(|| panic!("{sub} not listed:\n{help}"));
            assert!(line.len() > sub.len() + 10, "{sub} has no description: {line:?}");
        }
        assert!(!examples(&help).is_empty());
    }
}

#[test]
fn every_subcommand_has_its_own_usage_and_examples() {
    for sub in SUBCOMMANDS {
        for args in [vec![sub, "--help"], vec!["help", sub]] {
            let help = stdout_ok(&args);
            assert!(help.contains(&format!("Usage: netcap {sub} ")), "{args:?}:\n{help}");
            assert!(examples(&help).len() >= 2, "{args:?}:\n{help}");
            let last = help.trim_end().lines().last().unwrap_or("");
            assert!(last.starts_with("  "), "{args:?}: examples are not last:\n{help}");
        }
    }
    let capture = stdout_ok(&["capture", "--help"]);
    assert!(capture.contains("Usage: netcap capture [OPTIONS]\n       netcap [OPTIONS]"), "{capture}");
    // -out is about the capture's files here, about the error files in the sensor's help.
    let out_help = |help: &str| help.lines().find(|l| l.contains("--out <DIR>")).unwrap_or("").to_string();
    assert!(out_help(&capture).contains("record files"), "{capture}");
    assert!(!capture.contains("the sensor"), "{capture}");
    let sensor = stdout_ok(&["sensor", "--help"]);
    assert!(out_help(&sensor).contains("errors.log"), "{sensor}");
}

#[test]
fn boolean_flags_are_shown_one_way() {
    let help = stdout_ok(&["capture", "--help"]);
    for flag in ["--encoders", "--interfaces", "--payload", "--quiet", "--overwrite"] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{flag} ")))
            .unwrap_or_else(|| panic!("{flag}\n{help}"));
        assert!(line.contains(&format!("{flag} [<BOOL>]")), "{line}");
    }
    assert!(help.contains("[default: true]") && help.contains("[default: false]"));
    assert!(stdout_ok(&["capture", "--encoders"]).contains("+ TCP"));
    assert!(stdout_ok(&["-encoders=true"]).contains("+ TCP"));
}

#[test]
fn unknown_subcommand_and_go_durations() {
    let out = netcap_in(Path::new("."), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("frobnicate"));
    let dir = temp_dir("durations");
    let pcap = sample_pcap();
    let pcap = pcap.to_str().expect("utf-8 path");
    let ok = netcap_in(&dir, &["-r", pcap, "-out", "o", "-quiet", "-flow-timeout", "1h30m", "-conn-timeout", "1m30s"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let neg = netcap_in(&dir, &["-r", pcap, "-out", "n", "-flow-timeout", "-1m"]);
    assert_eq!(neg.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&neg.stderr).contains("negative duration"),
        "{}",
        String::from_utf8_lossy(&neg.stderr)
    );
}

/// Runs the examples of the capture, read, completions and man screens as
/// written, in a directory holding traffic.pcap (testdata/sample.pcap).
/// Examples that need a network interface, a pipe, a Suricata log or a
/// server are left out here; tests/collect.rs, tests/label.rs and
/// tests/live.rs run those commands.
#[test]
fn examples_run_as_written() {
    let mut ran = 0;
    for sub in ["capture", "read", "completions", "man", "install-links"] {
        for example in examples(&stdout_ok(&[sub, "--help"])) {
            if ["|", "'", "-iface", "~", "&&"].iter().any(|s| example.contains(s)) {
                continue;
            }
            let dir = temp_dir(&format!("ex{ran}"));
            std::fs::copy(sample_pcap(), dir.join("traffic.pcap")).expect("copy");
            if sub == "read" {
                let made = netcap_in(&dir, &["-r", "traffic.pcap", "-out", "records", "-quiet"]);
                assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
            }
            if sub == "install-links" {
                // Into the temp directory, not next to the test binary.
                continue;
            }
            let words: Vec<&str> = example.split_whitespace().collect();
            assert_eq!(words.first(), Some(&"netcap"), "{example}");
            let out = netcap_in(&dir, &words[1..]);
            assert!(out.status.success(), "example `{example}` failed:\n{}", String::from_utf8_lossy(&out.stderr));
            if sub == "capture" {
                assert!(dir.join("records").is_dir(), "{example}");
            } else {
                assert!(!out.stdout.is_empty(), "example `{example}` printed nothing");
            }
            ran += 1;
        }
    }
    assert!(ran >= 8, "only {ran} examples ran");
}

#[test]
fn completions_and_man_pages_come_from_the_clap_tree() {
    let bash = stdout_ok(&["completions", "bash"]);
    assert!(bash.contains("install-links") && bash.contains("--flow-timeout"), "{bash}");
    let zsh = stdout_ok(&["completions", "zsh"]);
    assert!(zsh.contains("#compdef netcap"), "{zsh}");
    let fish = stdout_ok(&["completions", "fish"]);
    assert!(fish.contains("complete -c netcap"), "{fish}");
    let man = stdout_ok(&["man"]);
    assert!(man.starts_with(".ie") || man.contains(".TH netcap 1"), "{man}");
    assert!(man.contains("flow\\-timeout") || man.contains("flow-timeout"), "{man}");
    let dir = temp_dir("man");
    let out = netcap_in(&dir, &["man", "-dir", "pages"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for page in ["netcap.1", "netcap-read.1", "netcap-label.1", "netcap-capture.1"] {
        assert!(dir.join("pages").join(page).is_file(), "no {page}");
    }
}

#[test]
fn install_links_makes_working_multi_call_names() {
    let dir = temp_dir("links");
    let out = netcap_in(&dir, &["install-links", dir.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let help = Command::new(dir.join("netlabel")).arg("--help").output().expect("netlabel runs");
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: netcap label"));
    let help = Command::new(dir.join("netcap-server")).arg("--help").output().expect("netcap-server runs");
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: netcap server"));
}

//! Installing netcap's extras: shell completions and man pages generated
//! from the same clap tree as `--help` (so they cannot drift from the
//! flags), and the multi-call links (`netlabel`, `netcap-sensor`,
//! `netcap-server`) that [`super::subcommand_for_program`] answers to.

use super::help;
use clap::Parser;
use clap_complete::Shell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The names netcap answers to besides `netcap`, as `netcap <sub>`.
pub const LINKS: [&str; 3] = ["netlabel", "netcap-sensor", "netcap-server"];

#[derive(Parser, Debug)]
#[command(
    name = "netcap completions",
    version = crate::VERSION,
    about = "Prints a shell completion script for netcap (bash, zsh, fish, elvish or powershell)"
)]
pub struct CompletionsArgs {
    /// Shell to complete in.
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

#[derive(Parser, Debug)]
#[command(
    name = "netcap man",
    version = crate::VERSION,
    about = "Prints the man page netcap(1), or writes it and one page per subcommand into a directory"
)]
pub struct ManArgs {
    /// Write netcap.1 and netcap-<command>.1 here (created if absent)
    /// instead of printing netcap.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Parser, Debug)]
#[command(
    name = "netcap install-links",
    version = crate::VERSION,
    about = "Creates the netlabel, netcap-sensor and netcap-server links to this netcap binary"
)]
pub struct InstallLinksArgs {
    /// Directory for the links (default: the one holding the netcap binary).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn completions_main(args: Vec<OsString>) -> i32 {
    let args = match help::parse::<CompletionsArgs>("netcap completions", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    clap_complete::generate(args.shell, &mut help::command(), "netcap", &mut std::io::stdout());
    0
}

pub fn man_main(args: Vec<OsString>) -> i32 {
    let args = match help::parse::<ManArgs>("netcap man", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let result = match &args.dir {
        None => clap_mangen::Man::new(help::command()).render(&mut std::io::stdout()).map_err(|e| e.to_string()),
        Some(dir) => write_man_pages(dir),
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            eprintln!("netcap man: {msg}");
            1
        }
    }
}

/// netcap.1 and one page per subcommand (netcap-read.1, ...) in `dir`.
fn write_man_pages(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    clap_mangen::generate_to(help::command(), dir).map_err(|e| format!("cannot write into {}: {e}", dir.display()))?;
    eprintln!("netcap man: wrote netcap.1 and the subcommands' pages into {}", dir.display());
    Ok(())
}

pub fn install_links_main(args: Vec<OsString>) -> i32 {
    let args = match help::parse::<InstallLinksArgs>("netcap install-links", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let exe = match std::env::current_exe().and_then(|p| p.canonicalize()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("netcap install-links: cannot find this netcap binary: {e}");
            return 1;
        }
    };
    let dir = match args.dir.or_else(|| exe.parent().map(Path::to_path_buf)) {
        Some(d) => d,
        None => {
            eprintln!("netcap install-links: give a directory");
            return super::EXIT_USAGE;
        }
    };
    match install_links(&exe, &dir) {
        Ok(made) => {
            for link in made {
                eprintln!("{} -> {}", link.display(), exe.display());
            }
            0
        }
        Err(msg) => {
            eprintln!("netcap install-links: {msg}");
            1
        }
    }
}

/// Makes each of [`LINKS`] in `dir` a symbolic link to `exe`. A link that
/// is already there is replaced; a file that is not a link is left alone
/// and named in the error, so nothing of the user's is overwritten.
pub fn install_links(exe: &Path, dir: &Path) -> Result<Vec<PathBuf>, String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let mut made = Vec::new();
    for name in LINKS {
        let link = dir.join(name);
        match std::fs::symlink_metadata(&link) {
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::remove_file(&link).map_err(|e| format!("cannot replace {}: {e}", link.display()))?;
            }
            Ok(_) => return Err(format!("{} exists and is not a link; remove it first", link.display())),
            Err(_) => {}
        }
        symlink(exe, &link).map_err(|e| format!("cannot create {}: {e}", link.display()))?;
        made.push(link);
    }
    Ok(made)
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "symbolic links are made on Unix only"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_made_replaced_and_other_files_kept() {
        let dir = std::env::temp_dir().join(format!("netcap-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let exe = dir.join("netcap");
        std::fs::write(&exe, b"binary").expect("fake binary");
        let made = install_links(&exe, &dir).expect("links");
        assert_eq!(made.len(), 3);
        for name in LINKS {
            assert_eq!(std::fs::read_link(dir.join(name)).expect("a link"), exe);
            assert!(super::super::subcommand_for_program(&dir.join(name)).is_some());
        }
        // Again: the links are replaced, not an error.
        assert!(install_links(&exe, &dir).is_ok());
        // A real file of that name is not overwritten.
        std::fs::remove_file(dir.join("netlabel")).expect("rm");
        std::fs::write(dir.join("netlabel"), b"mine").expect("file");
        let err = install_links(&exe, &dir).unwrap_err();
        assert!(err.contains("not a link"), "{err}");
        assert_eq!(std::fs::read(dir.join("netlabel")).expect("kept"), b"mine");
        assert!(install_links(&exe, &dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

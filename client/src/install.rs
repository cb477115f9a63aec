//! Nothing to install by hand on the remote: when a host has no `moshmux-server` of this
//! version, `attach` can copy its own there over the same SSH (docs/client.md, Install).
//!
//! Every default server command over SSH goes through [`lookup_command`]: a short POSIX
//! script that runs the server on the remote PATH if it is this version, else the copy an
//! earlier attach installed under `~/.local/share/moshmux/VERSION/SYSTEM-MACHINE/`, else
//! prints one marker line with the host's `uname -sm` (and the other version it found).
//! No second round trip in the usual case, and no other version's `new` ever runs, so a
//! mismatch never leaves a session on a daemon this client cannot talk to.
//!
//! [`install_and_run`] then asks (or not), streams the binary into one SSH command that
//! writes it to a temporary file, checks its SHA-256 with `sha256sum`, checks it runs
//! there (`--version`), moves it into place (0700, in 0700 directories) and runs it. The
//! path is versioned, so a copy of another version is never written over.

use std::fs::File;
use std::io::{BufRead, IsTerminal, Read, Seek, Write};

use sha2::{Digest, Sha256};

use crate::cli::InstallServer;
use crate::server_command::{local_server, Failure, ServerPlace, SERVER_NAME};

/// This client's version; the server it supplies is built from the same workspace.
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The lookup script's line for a host without a usable server.
const MISSING_MARKER: &str = "MOSHMUX NO-SERVER ";
/// The install script's line when it stopped; what follows says why.
const FAILED_MARKER: &str = "MOSHMUX INSTALL-FAILED ";
/// Longest `uname` word or foreign version line taken from the remote side.
const REMOTE_WORD_MAX: usize = 64;

/// The directory and version every remote script starts with: the path is versioned and
/// per system and machine, so a home directory shared between hosts (NFS) holds each.
fn script_prelude() -> String {
    format!(
        "v={VERSION}\nd=\"$HOME/.local/share/moshmux/$v/$(uname -s)-$(uname -m)\"\n\
         s={SERVER_NAME}\n"
    )
}

/// The remote shell's line for a default server command: `sh -c SCRIPT` (a POSIX shell
/// whatever the user's login shell is) with `args` quoted after it. The scripts hold no
/// single quote, so the quoting is plain.
fn remote_command(script: &str, args: &[String]) -> String {
    debug_assert!(!script.contains('\''));
    format!("sh -c '{script}' {SERVER_NAME} {}", shell_words::join(args))
}

/// `moshmux-server ARGS` on the host: this version from PATH, else the installed copy,
/// else the marker line `MOSHMUX NO-SERVER SYSTEM MACHINE [OTHER VERSION LINE]`.
pub fn lookup_command(args: &[String]) -> String {
    let script = format!(
        "{}o=\n\
         if command -v $s >/dev/null 2>&1; then\n\
         o=$($s --version 2>/dev/null | head -n 1)\n\
         [ \"$o\" = \"$s $v\" ] && exec $s \"$@\"\n\
         o=${{o:-unknown}}\n\
         fi\n\
         [ -x \"$d/$s\" ] && exec \"$d/$s\" \"$@\"\n\
         echo \"{MISSING_MARKER}$(uname -s) $(uname -m) $o\"\n\
         exit 1\n",
        script_prelude()
    );
    remote_command(&script, args)
}

/// Reads the binary from stdin into the versioned path, checked, then runs it with the
/// arguments; any failure is the marker line `MOSHMUX INSTALL-FAILED WHY [DETAIL]`. The
/// umask is the user's again before the server starts: the panes' shells inherit it.
fn install_command(sha256: &str, args: &[String]) -> String {
    let script = format!(
        "{}t=\n\
         fail() {{ if [ -n \"$t\" ]; then rm -f \"$t\"; fi; echo \"{FAILED_MARKER}$*\"; exit 1; }}\n\
         command -v sha256sum >/dev/null 2>&1 || fail sha256sum\n\
         m=$(umask)\n\
         umask 077\n\
         mkdir -p \"$d\" || fail mkdir\n\
         chmod 700 \"$HOME/.local/share/moshmux\" \"$HOME/.local/share/moshmux/$v\" \"$d\" || fail mkdir\n\
         t=\"$d/.$s.$$\"\n\
         trap \"fail interrupted\" HUP INT TERM\n\
         cat >\"$t\" || fail write\n\
         h=$(sha256sum <\"$t\") || fail checksum\n\
         [ \"${{h%% *}}\" = {sha256} ] || fail checksum\n\
         chmod 700 \"$t\" || fail write\n\
         o=$(\"$t\" --version 2>&1 | head -n 1)\n\
         [ \"$o\" = \"$s $v\" ] || fail run \"$o\"\n\
         mv -f \"$t\" \"$d/$s\" || fail write\n\
         umask \"$m\"\n\
         exec \"$d/$s\" \"$@\"\n",
        script_prelude()
    );
    remote_command(&script, args)
}

/// What the lookup saw on a host without a usable server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHost {
    /// `uname -s` and `uname -m` there, e.g. `Linux` and `x86_64`.
    pub system: String,
    pub machine: String,
    /// The first line of `moshmux-server --version` on its PATH, when one of another
    /// version is there.
    pub other: Option<String>,
}

impl RemoteHost {
    /// Where the copy goes, as the user would type it on the host.
    fn install_path(&self) -> String {
        format!(
            "~/.local/share/moshmux/{VERSION}/{}-{}/{SERVER_NAME}",
            self.system, self.machine
        )
    }

    /// Whether a binary built for this client's OS and architecture runs there: Rust's
    /// names against `uname`'s, with the few spellings that differ.
    fn runs_ours(&self) -> bool {
        let system = match self.system.as_str() {
            "Linux" => "linux",
            "Darwin" => "macos",
            "FreeBSD" => "freebsd",
            "NetBSD" => "netbsd",
            "OpenBSD" => "openbsd",
            _ => return false,
        };
        let machine = match self.machine.as_str() {
            "x86_64" | "amd64" => "x86_64",
            "aarch64" | "arm64" => "aarch64",
            "i386" | "i486" | "i586" | "i686" => "x86",
            "armv6l" | "armv7l" => "arm",
            "riscv64" => "riscv64",
            _ => return false,
        };
        (system, machine) == (std::env::consts::OS, std::env::consts::ARCH)
    }

    /// What is wrong, for the start of a line: no server, or one of another version.
    fn situation(&self, host: &str) -> String {
        match &self.other {
            None => format!("{SERVER_NAME} was not found on {host}"),
            Some(line) => {
                let theirs = line
                    .strip_prefix("moshmux-server ")
                    .unwrap_or("of an unknown version");
                format!("{host} has {SERVER_NAME} {theirs}, this moshmux is {VERSION}")
            }
        }
    }

    /// The line for a host left as it is (`why` adds to the situation): the situation
    /// and every way out.
    pub fn declined(&self, host: &str, why: &str) -> String {
        let beside = if self.other.is_some() {
            " beside it"
        } else {
            ""
        };
        format!(
            "moshmux: {}{why}; install {SERVER_NAME} {VERSION} there, or attach with \
             --install-server=yes to copy this one{beside} to {host}:{}, or pass --server PATH",
            self.situation(host),
            self.install_path()
        )
    }
}

/// The marker line a remote script printed, as the failure it stands for.
pub fn marker(stdout: &str, host: &str) -> Option<Failure> {
    stdout.lines().find_map(|line| {
        if let Some(rest) = line.strip_prefix(MISSING_MARKER) {
            return parse_missing(rest).map(Failure::Missing);
        }
        let rest = line.strip_prefix(FAILED_MARKER)?;
        Some(Failure::NotRun(install_failed(rest, host)))
    })
}

/// `SYSTEM MACHINE [OTHER VERSION LINE]`; `uname`'s words must be plain enough for a
/// path (they are, on every system that has moshmux).
fn parse_missing(rest: &str) -> Option<RemoteHost> {
    let mut words = rest.splitn(3, ' ');
    let plain = |word: &str| {
        !word.is_empty()
            && word.len() <= REMOTE_WORD_MAX
            && word
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    let system = words.next().filter(|word| plain(word))?.to_owned();
    let machine = words.next().filter(|word| plain(word))?.to_owned();
    let other = words.next().map(printable).filter(|line| !line.is_empty());
    Some(RemoteHost {
        system,
        machine,
        other,
    })
}

/// The remote side's text, safe to print on the user's terminal: printable ASCII only,
/// and not much of it.
fn printable(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(REMOTE_WORD_MAX)
        .collect()
}

/// The line for an install the remote script stopped.
fn install_failed(rest: &str, host: &str) -> String {
    let (why, detail) = rest.split_once(' ').unwrap_or((rest, ""));
    let what = match why {
        "sha256sum" => format!("{host} has no sha256sum to check the copy with (coreutils)"),
        "mkdir" => format!("cannot create ~/.local/share/moshmux/{VERSION} on {host}"),
        "checksum" => "the copy's SHA-256 did not match; try again".to_owned(),
        "run" => format!(
            "the copy does not run on {host} ({}); a build for its C library is needed \
             (docs/client.md, Install)",
            printable(detail)
        ),
        "interrupted" => "it was interrupted".to_owned(),
        _ => format!("writing it on {host} failed"),
    };
    format!(
        "moshmux: installing {SERVER_NAME} {VERSION} on {host} failed: {what}; nothing was \
         installed"
    )
}

/// `attach`'s answer to [`Failure::Missing`]: decides as `when` says (asking on the
/// terminal for `ask`), copies this client's server there and runs `args` with it; the
/// server's stdout, or the one line that says why not.
pub fn install_and_run(
    place: &ServerPlace,
    remote: &RemoteHost,
    when: InstallServer,
    args: &[String],
) -> Result<String, Failure> {
    let host = place.host.as_deref().unwrap_or_default();
    if !remote.runs_ours() {
        return Err(Failure::NotRun(format!(
            "moshmux: {} ({} {}), and this moshmux can supply one for {} {} only; install \
             {SERVER_NAME} {VERSION} there, or pass --server PATH",
            remote.situation(host),
            remote.system,
            remote.machine,
            std::env::consts::OS,
            std::env::consts::ARCH
        )));
    }
    match when {
        InstallServer::Yes => {}
        InstallServer::No => return Err(Failure::NotRun(remote.declined(host, ""))),
        InstallServer::Ask => {
            if !std::io::stdin().is_terminal() {
                let why = ", and there is no terminal to ask whether to install it";
                return Err(Failure::NotRun(remote.declined(host, why)));
            }
            if !ask(&format!(
                "{}. Install {SERVER_NAME} {VERSION} to {host}:{}? [y/N] ",
                remote.situation(host),
                remote.install_path()
            )) {
                return Err(Failure::NotRun(remote.declined(host, "")));
            }
        }
    }
    let (binary, sha256, size) = ours(remote, host)?;
    eprintln!(
        "moshmux: installing {SERVER_NAME} {VERSION} ({:.1} MB) to {host}:{}",
        size as f64 / 1e6,
        remote.install_path()
    );
    place.over_ssh(host, &install_command(&sha256, args), binary.into())
}

/// A question on the terminal; true for an answer starting with y or Y.
fn ask(question: &str) -> bool {
    let mut stderr = std::io::stderr().lock();
    if stderr
        .write_all(question.as_bytes())
        .and_then(|()| stderr.flush())
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(_) => answer.trim_start().starts_with(['y', 'Y']),
        Err(_) => false,
    }
}

/// This client's server binary, opened at its start, with its SHA-256 (hex) and size.
/// The same open file is hashed and sent, so a binary replaced meanwhile cannot slip
/// past the checksum.
fn ours(remote: &RemoteHost, host: &str) -> Result<(File, String, u64), Failure> {
    let cannot = |what: String| {
        Failure::NotRun(format!(
            "moshmux: {}, and {what}; install {SERVER_NAME} {VERSION} there, or pass --server \
             PATH",
            remote.situation(host)
        ))
    };
    let path = local_server(None).map_err(|_| {
        cannot(format!(
            "there is no {SERVER_NAME} beside this moshmux or on PATH to copy"
        ))
    })?;
    let unreadable = |error: std::io::Error| cannot(format!("{} ({error})", path.display()));
    let mut file = File::open(&path).map_err(unreadable)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(unreadable)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    file.rewind().map_err(unreadable)?;
    Ok((file, format!("{:x}", hasher.finalize()), size))
}

#[cfg(test)]
mod tests;

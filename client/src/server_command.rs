//! Running a `moshmux-server` command, here or on a host through SSH, with the one-line
//! errors mosh users know for a missing server, a failed SSH and the like.

use std::path::PathBuf;
use std::process::{Command, ExitStatus, Output, Stdio};

use crate::install::{self, RemoteHost};

/// The server binary's name, looked up beside our own executable first.
pub const SERVER_NAME: &str = "moshmux-server";

/// Where `moshmux-server` runs.
#[derive(Debug, Default, Clone)]
pub struct ServerPlace {
    /// `[user@]host`; `None` runs it on this machine without SSH.
    pub host: Option<String>,
    /// The SSH command line, split like a shell would (`ssh -p 2222 -i key`).
    pub ssh: String,
    /// The server binary; by default `moshmux-server` beside us (local) or on the remote
    /// PATH (over SSH).
    pub server: Option<String>,
    /// ssh's `-4` or `-6`, when the address family is chosen (`attach -4`, `--family`).
    pub ssh_family: Option<&'static str>,
}

/// Why a server command gave no answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// It could not be run (no binary, SSH failed): the line says what to do.
    NotRun(String),
    /// The server ran and failed; it said why on stderr, which the user saw.
    Server(ExitStatus),
    /// The host has no server of this version where the lookup looks; `attach` may
    /// install this client's own ([`install::install_and_run`]).
    Missing(RemoteHost),
}

impl ServerPlace {
    /// The host's name or address, without the user; `127.0.0.1` for this machine.
    pub fn host_name(&self) -> &str {
        self.host.as_deref().map_or("127.0.0.1", host_name)
    }

    /// What the user would call it in an error: the binary, or `ssh HOST`.
    pub fn describe(&self) -> String {
        match &self.host {
            Some(host) => format!("{SERVER_NAME} on {host}"),
            None => self.server.as_deref().unwrap_or(SERVER_NAME).to_owned(),
        }
    }

    /// Runs `moshmux-server ARGS`; its stdout if it succeeded. Its stderr (and ssh's)
    /// goes straight to ours, so the user sees any message as it was written. Over SSH
    /// without `--server`, the host's server of this version is looked for
    /// ([`install::lookup_command`]); none gives [`Failure::Missing`].
    pub fn run(&self, args: &[String]) -> Result<String, Failure> {
        let Some(host) = &self.host else {
            let server = local_server(self.server.as_deref()).map_err(Failure::NotRun)?;
            let mut command = Command::new(&server);
            command.args(args).stdin(Stdio::null());
            let output = output(command, &server.display().to_string())?;
            return match output.status.success() {
                true => Ok(String::from_utf8_lossy(&output.stdout).into_owned()),
                false => Err(Failure::Server(output.status)),
            };
        };
        // ssh hands the remote shell one line. `--server` stays unquoted, a command as
        // in mosh's --server (`~/bin/moshmux-server` works); our arguments are quoted, so
        // a session name reaches the server as typed.
        let remote = match &self.server {
            Some(server) => format!("{server} {}", shell_words::join(args)),
            None => install::lookup_command(args),
        };
        self.over_ssh(host, &remote, Stdio::null())
    }

    /// Runs `remote` in the shell on `host` through the SSH command, with `stdin`; its
    /// stdout if it succeeded, else the failure its exit status or marker line means.
    pub fn over_ssh(&self, host: &str, remote: &str, stdin: Stdio) -> Result<String, Failure> {
        let not_run = Failure::NotRun;
        let words = shell_words::split(&self.ssh)
            .map_err(|e| not_run(format!("moshmux: cannot split --ssh {:?}: {e}", self.ssh)))?;
        let (program, ssh_args) = words.split_first().ok_or_else(|| {
            not_run("moshmux: --ssh is empty; give the SSH command, e.g. --ssh ssh".into())
        })?;
        let mut command = Command::new(program);
        command
            .args(ssh_args)
            .args(self.ssh_family)
            .args([host, "--", remote])
            .stdin(stdin);
        let output = output(command, &format!("{program} {host}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if let Some(failure) = install::marker(&stdout, host) {
            return Err(failure);
        }
        if output.status.success() {
            return Ok(stdout);
        }
        let remote_server = self.server.as_deref().unwrap_or(SERVER_NAME);
        Err(match output.status.code() {
            // The remote shell's codes for "command not found" and "cannot execute".
            Some(127) => not_run(format!(
                "moshmux: {remote_server} was not found on the remote host; install \
                 {SERVER_NAME} there or pass --server PATH"
            )),
            Some(126) => not_run(format!(
                "moshmux: {remote_server} cannot be run on the remote host; check it is \
                 the {SERVER_NAME} binary, or pass --server PATH"
            )),
            Some(255) => not_run(
                "moshmux: ssh failed (see its message above); check the host name, your \
                 keys, or --ssh"
                    .to_string(),
            ),
            _ => Failure::Server(output.status),
        })
    }
}

/// Runs `command` with stdout captured and stderr passed through; `what` names it in the
/// line for a program that cannot be started.
fn output(mut command: Command, what: &str) -> Result<Output, Failure> {
    command.stderr(Stdio::inherit()).output().map_err(|e| {
        Failure::NotRun(match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "moshmux: cannot run {what}: not found; install it, or pass --server \
                     PATH (or --ssh CMD)"
            ),
            _ => format!("moshmux: cannot run {what}: {e}"),
        })
    })
}

/// The host in an SSH destination `[user@]host`, without the brackets an IPv6 literal
/// may come in (`[::1]`).
fn host_name(destination: &str) -> &str {
    let host = destination
        .rsplit_once('@')
        .map_or(destination, |(_, host)| host);
    host.strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host)
}

/// The local server binary: `--server`, else beside our own executable (so an unpacked
/// build works without installing), else on PATH. It is also the binary `attach` copies
/// to a host that has none.
pub(crate) fn local_server(explicit: Option<&str>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return Ok(PathBuf::from(path));
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(SERVER_NAME)))
        .filter(|path| path.is_file());
    if let Some(path) = beside {
        return Ok(path);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(SERVER_NAME))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            format!(
                "moshmux: {SERVER_NAME} not found beside moshmux or on PATH; install it or \
                 pass --server PATH"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_what_follows_the_last_at_sign() {
        for (destination, host) in [
            ("example.org", "example.org"),
            ("me@example.org", "example.org"),
            ("me@work@example.org", "example.org"),
            ("root@2001:db8::1", "2001:db8::1"),
            ("root@[2001:db8::1]", "2001:db8::1"),
            ("[::1]", "::1"),
        ] {
            assert_eq!(host_name(destination), host, "{destination}");
        }
    }
}

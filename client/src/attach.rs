//! `moshmux attach`: start (or join) a session through `moshmux-server new` and connect to
//! the UDP endpoint it opened.
//!
//! Without a host the server runs here, directly; with one it runs through the SSH
//! command. Either way the server prints one `MOSHMUX CONNECT <port> <key>` line; the key
//! goes from that pipe straight into memory, never into argv, the environment or a log.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use moshmux_proto::SessionKey;

/// The server binary's name, looked up beside our own executable first.
const SERVER_NAME: &str = "moshmux-server";

/// What `attach` needs to know to start the server.
#[derive(Debug, Default)]
pub struct AttachPlan {
    /// `[user@]host`; `None` serves this machine without SSH.
    pub host: Option<String>,
    pub session: Option<String>,
    /// The SSH command line, split like a shell would (`ssh -p 2222 -i key`).
    pub ssh: String,
    pub port_range: Option<String>,
    /// The server binary; by default `moshmux-server` beside us (local) or on the remote
    /// PATH (over SSH).
    pub server: Option<String>,
}

/// Where to connect, and with which key.
#[derive(Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub key: SessionKey,
}

/// Runs the server's `new` and reads its CONNECT line.
pub fn start(plan: &AttachPlan) -> Result<Endpoint, String> {
    let mut new_args: Vec<String> = vec!["new".into()];
    if let Some(session) = &plan.session {
        new_args.extend(["--session".into(), session.clone()]);
    }
    if let Some(range) = &plan.port_range {
        new_args.extend(["-p".into(), range.clone()]);
    }
    let remote_server = plan.server.as_deref().unwrap_or(SERVER_NAME);
    let (mut command, what) = match &plan.host {
        None => {
            new_args.extend(["--bind".into(), "127.0.0.1".into()]);
            let server = local_server(plan.server.as_deref())?;
            let mut command = Command::new(&server);
            command.args(&new_args);
            (command, format!("{}", server.display()))
        }
        Some(host) => {
            let words = shell_words::split(&plan.ssh)
                .map_err(|e| format!("moshmux: cannot split --ssh {:?}: {e}", plan.ssh))?;
            let (program, ssh_args) = words
                .split_first()
                .ok_or("moshmux: --ssh is empty; give the SSH command, e.g. --ssh ssh")?;
            // ssh hands the remote shell one line. The server stays unquoted, a command
            // as in mosh's --server (`~/bin/moshmux-server` works); our arguments are
            // quoted, so a session name reaches the server as typed.
            let remote = format!("{remote_server} {}", shell_words::join(&new_args));
            let mut command = Command::new(program);
            command.args(ssh_args).args([host.as_str(), "--", &remote]);
            (command, format!("{program} {host}"))
        }
    };
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "moshmux: cannot run {what}: not found; install it, or pass --server PATH \
                 (or --ssh CMD)"
            ),
            _ => format!("moshmux: cannot run {what}: {e}"),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some((port, key)) = stdout.lines().find_map(parse_connect_line) else {
        return Err(match (&plan.host, output.status.code()) {
            // The remote shell's codes for "command not found" and "cannot execute".
            (Some(_), Some(127)) => format!(
                "moshmux: {remote_server} was not found on the remote host; install \
                 {SERVER_NAME} there or pass --server PATH"
            ),
            (Some(_), Some(126)) => format!(
                "moshmux: {remote_server} cannot be run on the remote host; check it is \
                 the {SERVER_NAME} binary, or pass --server PATH"
            ),
            (Some(_), Some(255)) => {
                "moshmux: ssh failed (see its message above); check the host name, \
                 your keys, or --ssh"
                    .to_string()
            }
            _ => format!(
                "moshmux: {what} did not print a MOSHMUX CONNECT line ({}); see its \
                 message above",
                output.status
            ),
        });
    };
    let host = plan.host.as_deref().map_or("127.0.0.1", host_name);
    Ok(Endpoint {
        addr: resolve(host, port)?,
        key,
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

/// The first address of `host`, or a line that says to check the name.
pub fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("moshmux: cannot find host {host:?} ({e}); check the name"))?
        .next()
        .ok_or_else(|| format!("moshmux: host {host:?} has no address; check the name"))
}

/// The local server binary: `--server`, else beside our own executable (so an unpacked
/// build works without installing), else on PATH.
fn local_server(explicit: Option<&str>) -> Result<PathBuf, String> {
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

/// `MOSHMUX CONNECT <port> <key>`, exactly; anything else (a login banner, say) is not it.
fn parse_connect_line(line: &str) -> Option<(u16, SessionKey)> {
    let mut words = line.trim_end().split(' ');
    let (Some("MOSHMUX"), Some("CONNECT"), Some(port), Some(key), None) = (
        words.next(),
        words.next(),
        words.next(),
        words.next(),
        words.next(),
    ) else {
        return None;
    };
    Some((port.parse().ok()?, key.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connect_line_is_read_exactly() {
        let key = SessionKey::from_bytes([7; 16]);
        let (port, parsed) =
            parse_connect_line(&format!("MOSHMUX CONNECT 60001 {key}\n")).expect("parses");
        assert_eq!((port, parsed), (60001, key.clone()));
        for line in [
            format!("MOSHMUX CONNECT 60001 {key} extra"),
            format!("MOSHMUX CONNECT 0x10 {key}"),
            "MOSHMUX CONNECT 60001 short".to_string(),
            format!("Welcome! MOSHMUX CONNECT 60001 {key}"),
        ] {
            assert_eq!(parse_connect_line(&line), None, "{line}");
        }
    }

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

    #[test]
    fn a_missing_local_server_says_what_to_do() {
        let plan = AttachPlan {
            server: Some("/nonexistent/moshmux-server".into()),
            ..AttachPlan::default()
        };
        let message = start(&plan).expect_err("cannot start");
        assert!(message.starts_with("moshmux: cannot run /nonexistent/moshmux-server: not found"));
        assert!(!message.contains('\n'));
    }
}

//! `moshmux attach`: start (or join) a session through `moshmux-server new` and connect to
//! the UDP endpoint it opened.
//!
//! Without a host the server runs here, directly; with one it runs through the SSH
//! command. Either way the server prints one `MOSHMUX CONNECT <port> <key>` line; the key
//! goes from that pipe straight into memory, never into argv, the environment or a log.

use std::net::{SocketAddr, ToSocketAddrs};

use moshmux_proto::SessionKey;

use crate::server_command::{Failure, ServerPlace};

/// What `attach` needs to know to start the server.
#[derive(Debug, Default)]
pub struct AttachPlan {
    pub place: ServerPlace,
    pub session: Option<String>,
    pub port_range: Option<String>,
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
    match &plan.session {
        Some(session) => new_args.extend(["--session".into(), session.clone()]),
        // As `tmux attach`: the session used last, else a new one.
        None => new_args.push("--join-recent".into()),
    }
    if let Some(range) = &plan.port_range {
        new_args.extend(["-p".into(), range.clone()]);
    }
    if plan.place.host.is_none() {
        new_args.extend(["--bind".into(), "127.0.0.1".into()]);
    }
    let no_connect_line = |status: String| {
        format!(
            "moshmux: {} did not print a MOSHMUX CONNECT line ({status}); see its message \
             above",
            plan.place.describe()
        )
    };
    let stdout = plan.place.run(&new_args).map_err(|failure| match failure {
        Failure::NotRun(line) => line,
        Failure::Server(status) => no_connect_line(status.to_string()),
    })?;
    let Some((port, key)) = stdout.lines().find_map(parse_connect_line) else {
        return Err(no_connect_line("it exited 0".into()));
    };
    Ok(Endpoint {
        addr: resolve(plan.place.host_name(), port)?,
        key,
    })
}

/// The first address of `host`, or a line that says to check the name.
pub fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("moshmux: cannot find host {host:?} ({e}); check the name"))?
        .next()
        .ok_or_else(|| format!("moshmux: host {host:?} has no address; check the name"))
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
    fn a_missing_local_server_says_what_to_do() {
        let plan = AttachPlan {
            place: ServerPlace {
                server: Some("/nonexistent/moshmux-server".into()),
                ..ServerPlace::default()
            },
            ..AttachPlan::default()
        };
        let message = start(&plan).expect_err("cannot start");
        assert!(message.starts_with("moshmux: cannot run /nonexistent/moshmux-server: not found"));
        assert!(!message.contains('\n'));
    }
}

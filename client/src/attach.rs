//! `moshmux attach`: start (or join) a session through `moshmux-server new` and connect to
//! the UDP endpoint it opened.
//!
//! Without a host the server runs here, directly; with one it runs through the SSH
//! command. Either way the server prints one `MOSHMUX CONNECT <port> <key> <version>`
//! line; the key goes from that pipe straight into memory, never into argv, the
//! environment or a log. A server of another protocol version is refused in one line
//! that names both versions, before a datagram is sent.

use std::net::{SocketAddr, ToSocketAddrs};

use moshmux_proto::instruction::PROTOCOL_VERSION;
use moshmux_proto::SessionKey;

use crate::cli::InstallServer;
use crate::install;
use crate::server_command::{Failure, ServerPlace};

/// What `attach` needs to know to start the server.
#[derive(Debug, Default)]
pub struct AttachPlan {
    pub place: ServerPlace,
    pub session: Option<String>,
    pub port_range: Option<String>,
    /// What to do when the host has no server of this version.
    pub install_server: InstallServer,
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
    new_args.extend(locale_arguments(std::env::vars_os()));
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
    let ran = match plan.place.run(&new_args) {
        Err(Failure::Missing(remote)) => {
            install::install_and_run(&plan.place, &remote, plan.install_server, &new_args)
        }
        ran => ran,
    };
    let stdout = ran.map_err(|failure| match failure {
        Failure::NotRun(line) => line,
        Failure::Server(status) => no_connect_line(status.to_string()),
        // The install command runs the copy it made, never the lookup again.
        Failure::Missing(_) => no_connect_line("none was found".into()),
    })?;
    let Some((port, key, version)) = stdout.lines().find_map(parse_connect_line) else {
        return Err(no_connect_line("it exited 0".into()));
    };
    if version != Some(PROTOCOL_VERSION) {
        return Err(version_mismatch(&plan.place.describe(), version));
    }
    Ok(Endpoint {
        addr: resolve(plan.place.host_name(), port)?,
        key,
    })
}

/// `-e NAME=VALUE` for each of the user's locale variables (`LANG`, `LANGUAGE`, `LC_*`),
/// as mosh passes them: the session's panes get the user's locale, and `new` says in one
/// line when the remote host lacks it (docs/client.md).
fn locale_arguments(
    variables: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Vec<String> {
    let mut locale: Vec<(String, String)> = variables
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .filter(|(name, _)| name == "LANG" || name == "LANGUAGE" || name.starts_with("LC_"))
        .collect();
    locale.sort();
    locale
        .into_iter()
        .flat_map(|(name, value)| ["-e".to_owned(), format!("{name}={value}")])
        .collect()
}

/// The first address of `host`, or a line that says to check the name.
pub fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("moshmux: cannot find host {host:?} ({e}); check the name"))?
        .next()
        .ok_or_else(|| format!("moshmux: host {host:?} has no address; check the name"))
}

/// `MOSHMUX CONNECT <port> <key> <version>`, exactly, with the version `None` in the
/// line of a server older than protocol 6, which had none; anything else (a login
/// banner, say) is not it.
fn parse_connect_line(line: &str) -> Option<(u16, SessionKey, Option<u32>)> {
    let words: Vec<&str> = line.trim_end().split(' ').collect();
    let (port, key, version) = match words[..] {
        ["MOSHMUX", "CONNECT", port, key] => (port, key, None),
        ["MOSHMUX", "CONNECT", port, key, version] => (port, key, Some(version.parse().ok()?)),
        _ => return None,
    };
    Some((port.parse().ok()?, key.parse().ok()?, version))
}

/// One line naming both protocol versions and the fix.
fn version_mismatch(server: &str, theirs: Option<u32>) -> String {
    let theirs = theirs.map_or_else(
        || "an older protocol".to_owned(),
        |v| format!("protocol {v}"),
    );
    format!(
        "moshmux: {server} speaks {theirs}, this moshmux {} speaks protocol \
         {PROTOCOL_VERSION}; install moshmux-server {} there (the same version on both ends)",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_VERSION"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connect_line_is_read_exactly() {
        let key = SessionKey::from_bytes([7; 16]);
        let line = format!("MOSHMUX CONNECT 60001 {key} {PROTOCOL_VERSION}\n");
        let parsed = parse_connect_line(&line).expect("parses");
        assert_eq!(parsed, (60001, key.clone(), Some(PROTOCOL_VERSION)));
        let old = parse_connect_line(&format!("MOSHMUX CONNECT 60001 {key}")).expect("parses");
        assert_eq!(old, (60001, key.clone(), None));
        for line in [
            format!("MOSHMUX CONNECT 60001 {key} 6 extra"),
            format!("MOSHMUX CONNECT 60001 {key} six"),
            format!("MOSHMUX CONNECT 0x10 {key}"),
            "MOSHMUX CONNECT 60001 short".to_string(),
            format!("Welcome! MOSHMUX CONNECT 60001 {key}"),
        ] {
            assert_eq!(parse_connect_line(&line), None, "{line}");
        }
    }

    #[test]
    fn the_locale_variables_and_no_others_are_passed_to_new() {
        let variables = [
            ("LC_TIME", "en_GB.UTF-8"),
            ("PATH", "/bin"),
            ("LANG", "de_DE.UTF-8"),
            ("LANGUAGE", "de:en"),
            ("MOSHMUX_KEY", "secret"),
        ]
        .map(|(name, value)| (name.into(), value.into()));
        assert_eq!(
            locale_arguments(variables.into_iter()),
            [
                "-e",
                "LANG=de_DE.UTF-8",
                "-e",
                "LANGUAGE=de:en",
                "-e",
                "LC_TIME=en_GB.UTF-8"
            ]
        );
    }

    #[test]
    fn another_version_is_named_in_one_line_with_the_fix() {
        let line = version_mismatch("moshmux-server on host", Some(5));
        let ours = format!("speaks protocol {PROTOCOL_VERSION}; ");
        assert!(line.starts_with("moshmux: moshmux-server on host speaks protocol 5, "));
        assert!(line.contains(&ours), "{line}");
        let fix = format!("install moshmux-server {} there", env!("CARGO_PKG_VERSION"));
        assert!(line.contains(&fix), "{line}");
        assert!(!line.contains('\n'));
        assert!(version_mismatch("x", None).contains("x speaks an older protocol, "));
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

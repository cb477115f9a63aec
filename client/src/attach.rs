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

use crate::cli::{Family, InstallServer};
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
    /// Which of the host's addresses the SSH and UDP go to.
    pub family: Family,
    /// `-A`: the session's panes get the daemon's agent socket.
    pub forward_agent: bool,
    /// `-d`: the session's other clients are detached.
    pub detach_others: bool,
}

/// Where to connect, and with which key.
#[derive(Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub key: SessionKey,
}

/// Runs the server's `new` and reads its CONNECT line.
pub fn start(plan: &AttachPlan) -> Result<Endpoint, String> {
    let mut place = plan.place.clone();
    if place.host.is_some() {
        place.ssh_family = ssh_family(place.host_name(), plan.family)?;
    }
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
    if plan.forward_agent {
        new_args.push("--forward-agent".into());
    }
    if plan.detach_others {
        new_args.push("--detach-others".into());
    }
    let no_connect_line = |status: String| {
        format!(
            "moshmux: {} did not print a MOSHMUX CONNECT line ({status}); see its message \
             above",
            place.describe()
        )
    };
    let ran = match place.run(&new_args) {
        Err(Failure::Missing(remote)) => {
            install::install_and_run(&place, &remote, plan.install_server, &new_args)
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
        return Err(version_mismatch(&place.describe(), version));
    }
    Ok(Endpoint {
        addr: resolve(place.host_name(), port, plan.family)?,
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

/// The address to send to: the first of `host`'s that `family` allows, or a line that
/// says what to check.
pub fn resolve(host: &str, port: u16, family: Family) -> Result<SocketAddr, String> {
    let addresses: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("moshmux: cannot find host {host:?} ({e}); check the name"))?
        .collect();
    pick(&addresses, family).ok_or_else(|| match family {
        Family::Inet => format!(
            "moshmux: host {host:?} has no IPv4 address; check the name, or leave out -4 \
             (--family inet)"
        ),
        Family::Inet6 => format!(
            "moshmux: host {host:?} has no IPv6 address; check the name, or leave out -6 \
             (--family inet6)"
        ),
        _ => format!("moshmux: host {host:?} has no address; check the name"),
    })
}

/// The first address `family` allows, as mosh chooses: only one family, one before the
/// other, or the resolver's order.
fn pick(addresses: &[SocketAddr], family: Family) -> Option<SocketAddr> {
    let inet = addresses.iter().find(|address| address.is_ipv4());
    let inet6 = addresses.iter().find(|address| address.is_ipv6());
    match family {
        Family::All => addresses.first(),
        Family::Inet => inet,
        Family::Inet6 => inet6,
        Family::PreferInet => inet.or(inet6),
        Family::PreferInet6 => inet6.or(inet),
    }
    .copied()
}

/// ssh's `-4` or `-6` for the family of the address the UDP will go to, so that ssh
/// reaches the host in that family too, and `new` (which binds the address the SSH
/// connection came in on) listens where the client sends. `all` leaves ssh as it is: it
/// takes the resolver's first address, as [`resolve`] does.
fn ssh_family(host: &str, family: Family) -> Result<Option<&'static str>, String> {
    if family == Family::All {
        return Ok(None);
    }
    let address = resolve(host, 0, family)?;
    Ok(Some(if address.is_ipv4() { "-4" } else { "-6" }))
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
    fn the_family_picks_the_address_as_mosh_does() {
        let v4: SocketAddr = "192.0.2.1:60001".parse().expect("v4");
        let v6: SocketAddr = "[2001:db8::1]:60001".parse().expect("v6");
        let both = [v6, v4];
        assert_eq!(pick(&both, Family::All), Some(v6));
        assert_eq!(pick(&both, Family::Inet), Some(v4));
        assert_eq!(pick(&both, Family::PreferInet), Some(v4));
        assert_eq!(pick(&both, Family::PreferInet6), Some(v6));
        assert_eq!(pick(&[v4], Family::PreferInet6), Some(v4));
        assert_eq!(pick(&[v4], Family::Inet6), None);
        assert_eq!(pick(&[v6], Family::Inet), None);
    }

    #[test]
    fn a_host_without_the_family_asked_for_is_one_line_before_ssh_runs() {
        let line = resolve("127.0.0.1", 1, Family::Inet6).expect_err("no IPv6");
        assert_eq!(
            line,
            "moshmux: host \"127.0.0.1\" has no IPv6 address; check the name, or leave out \
             -6 (--family inet6)"
        );
        assert!(resolve("::1", 1, Family::Inet)
            .expect_err("no IPv4")
            .contains("has no IPv4 address"));
        assert_eq!(ssh_family("::1", Family::PreferInet), Ok(Some("-6")));
        assert_eq!(ssh_family("127.0.0.1", Family::Inet), Ok(Some("-4")));
        assert_eq!(ssh_family("no-such-host.invalid", Family::All), Ok(None));
        let plan = AttachPlan {
            place: ServerPlace {
                host: Some("me@127.0.0.1".into()),
                ssh: "/nonexistent/ssh".into(),
                ..ServerPlace::default()
            },
            family: Family::Inet6,
            ..AttachPlan::default()
        };
        let line = start(&plan).expect_err("no IPv6");
        assert!(line.contains("has no IPv6 address"), "{line}");
    }

    #[test]
    fn ssh_is_told_the_family_of_the_address_chosen() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let record = dir.path().join("argv");
        // A stand-in ssh that records its arguments and fails as ssh does.
        let ssh = format!("sh -c 'echo \"$@\" > {}; exit 255' ssh", record.display());
        for (family, host, flag) in [
            (Family::PreferInet6, "me@::1", "-6 "),
            (Family::Inet, "me@127.0.0.1", "-4 "),
            (Family::All, "me@::1", ""),
        ] {
            let plan = AttachPlan {
                place: ServerPlace {
                    host: Some(host.into()),
                    ssh: ssh.clone(),
                    ..ServerPlace::default()
                },
                family,
                ..AttachPlan::default()
            };
            let line = start(&plan).expect_err("ssh fails");
            assert!(line.starts_with("moshmux: ssh failed"), "{line}");
            let argv = std::fs::read_to_string(&record).expect("recorded");
            assert!(argv.starts_with(&format!("{flag}{host} -- ")), "{argv}");
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

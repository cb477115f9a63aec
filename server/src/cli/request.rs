//! Each command as the request it sends the daemon.

use super::Command;
use crate::control::{self, ListScope, PortChoice, Request, Target, WindowChoice};
use crate::environment::Environment;
use std::net::IpAddr;

/// The daemon's one UDP port unless told otherwise: the first free one from mosh's first
/// port, so a host with one user (or a firewall opened for mosh) needs 60001 alone.
const DEFAULT_PORTS: PortChoice = PortChoice::Shared {
    first: 60001,
    last: 61000,
};
/// Where `new` binds when neither `--bind` nor `SSH_CONNECTION` says: every address of
/// both families (the daemon falls back to every IPv4 address on a host without IPv6).
const ANY_ADDRESS: IpAddr = IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED);

impl Command {
    /// The request this command sends; `None` for `daemon`, which sends nothing.
    pub fn into_request(self) -> Option<Request> {
        Some(match self {
            Command::New {
                session,
                join_recent,
                window_size,
                ports,
                bind,
                network_timeout,
                forward_agent,
                detach_others,
                environment,
                update_environment,
                options,
                command,
                ..
            } => Request::NewClient(control::NewClient {
                session: control::NewSession {
                    name: session,
                    command,
                    cwd: current_dir(),
                    join_recent,
                    window_size,
                    environment: Environment::from_client(
                        &update_environment,
                        &environment,
                        |name| std::env::var(name).ok(),
                    ),
                    options,
                },
                bind: if bind.is_empty() {
                    vec![std::env::var("SSH_CONNECTION")
                        .ok()
                        .and_then(|text| ssh_server_address(&text))
                        .unwrap_or(ANY_ADDRESS)]
                } else {
                    bind
                },
                ports: ports.unwrap_or(DEFAULT_PORTS),
                // 0 is "never", which the daemon spells as no limit.
                network_timeout_secs: network_timeout.filter(|&secs| secs > 0),
                forward_agent,
                detach_others,
            }),
            Command::NewSession {
                session,
                cwd,
                cols,
                rows,
                environment,
                options,
                command,
                ..
            } => Request::NewSession(control::NewDetached {
                session: control::NewSession {
                    name: session,
                    command: shell_command(command),
                    cwd: cwd.or_else(current_dir),
                    join_recent: false,
                    window_size: None,
                    environment: Environment::from_client(&[], &environment, |name| {
                        std::env::var(name).ok()
                    }),
                    options,
                },
                cols,
                rows,
            }),
            Command::Ls { all: true, .. } => Request::ListAll(()),
            Command::Ls { all: false, format } => Request::ListSessions(control::List {
                format,
                ..control::List::default()
            }),
            Command::HasSession { target } => Request::HasSession(target),
            Command::RenameSession { target, name } => {
                Request::RenameSession(control::RenameSession { target, name })
            }
            Command::KillWindow {
                target,
                all_others: false,
            } => Request::KillWindow(target),
            Command::KillWindow {
                target,
                all_others: true,
            } => Request::KillOtherWindows(target),
            Command::DetachClient {
                client,
                session,
                all_others,
            } => Request::DetachClient(control::DetachClient {
                client,
                session,
                all_others,
            }),
            Command::ListClients { target, format } => Request::ListClients(control::List {
                target,
                scope: ListScope::Target,
                format,
            }),
            Command::ListWindows {
                target,
                all,
                format,
            } => Request::ListWindows(control::List {
                target,
                scope: if all {
                    ListScope::All
                } else {
                    ListScope::Target
                },
                format,
            }),
            Command::DisplayMessage { target, format, .. } => {
                Request::DisplayMessage(control::DisplayMessage { target, format })
            }
            Command::KillSession {
                target: t,
                all_others: false,
            } => Request::KillSession(t),
            Command::KillSession {
                target: t,
                all_others: true,
            } => Request::KillOtherSessions(t),
            Command::KillServer => Request::KillServer(()),
            Command::ShowMessages => Request::ShowMessages(()),
            Command::SplitWindow {
                beside,
                percent,
                target,
                command,
                size,
                cwd,
                before,
                full,
                ..
            } => Request::SplitWindow(control::SplitWindow {
                target,
                side_by_side: beside,
                size: size.or(percent.map(control::Length::Percent)),
                placement: control::SplitPlacement { before, full },
                cwd,
                command: shell_command(command),
            }),
            Command::SelectPane { target, last: true } | Command::LastPane { target } => {
                Request::LastPane(target)
            }
            Command::SelectPane { target, .. } => Request::SelectPane(target),
            Command::KillPane { target, all: true } => Request::KillOtherPanes(target),
            Command::KillPane { target, .. } => Request::KillPane(target),
            Command::SelectWindow {
                target,
                next,
                previous,
                last,
            } => {
                let which = match (next, previous, last) {
                    (true, _, _) => WindowChoice::Next,
                    (_, true, _) => WindowChoice::Previous,
                    (_, _, true) => WindowChoice::Last,
                    _ => WindowChoice::Target,
                };
                Request::SelectWindow(control::SelectWindow { target, which })
            }
            Command::NextWindow { target, alert } => select_window(
                target,
                if alert {
                    WindowChoice::NextAlert
                } else {
                    WindowChoice::Next
                },
            ),
            Command::PreviousWindow { target, alert } => select_window(
                target,
                if alert {
                    WindowChoice::PreviousAlert
                } else {
                    WindowChoice::Previous
                },
            ),
            Command::LastWindow { target } => select_window(target, WindowChoice::Last),
            Command::Layout(layout) => layout.into_request(),
            Command::RenameWindow { target, name } => {
                Request::RenameWindow(control::RenameWindow { target, name })
            }
            Command::ResizeWindow { target, cols, rows } => {
                Request::ResizeWindow(control::ResizeWindow { target, cols, rows })
            }
            Command::ListPanes {
                target,
                session,
                all,
                format,
            } => Request::ListPanes(control::List {
                target,
                scope: match (session, all) {
                    (_, true) => ListScope::All,
                    (true, false) => ListScope::Session,
                    (false, false) => ListScope::Target,
                },
                format,
            }),
            Command::SendKeys {
                target,
                literal,
                keys,
            } => Request::SendKeys(control::SendKeys {
                target,
                literal,
                keys,
            }),
            Command::CapturePane {
                escapes,
                start,
                end,
                target,
                ..
            } => Request::CapturePane(control::CapturePane {
                target,
                escapes,
                start,
                end,
            }),
            Command::SearchHistory { target, pattern } => {
                Request::SearchHistory(control::SearchHistory { target, pattern })
            }
            Command::Spawn(spawn) => spawn.into_request(),
            Command::Rearrange(rearrange) => rearrange.into_request(),
            Command::Buffers(buffers) => return buffers.into_request(),
            Command::Environment(environment) => environment.into_request(),
            Command::Options(options) => options.into_request(),
            Command::Forward {
                target,
                local,
                remote,
                kill,
            } => {
                let kill = if kill { "K" } else { "" };
                let line = match (local, remote) {
                    (Some(spec), _) => format!("forward -{kill}L {spec}"),
                    (None, Some(spec)) => format!("forward -{kill}R {spec}"),
                    (None, None) => "forward".to_owned(),
                };
                Request::Forward(control::Forward { target, line })
            }
            Command::Daemon { .. } => return None,
        })
    }
}

/// This process's directory, where a session's panes start unless told (None if it is
/// not valid UTF-8: the daemon falls back to `$HOME`).
fn current_dir() -> Option<String> {
    std::env::current_dir()
        .ok()
        .and_then(|dir| dir.to_str().map(str::to_owned))
}

/// A command as tmux takes it: one argument is a shell command line, run with
/// `$SHELL -c` (else /bin/sh); several are the program and its arguments. One plain
/// word (`htop`, `/bin/sh`) runs as it is, which is what the shell would do with it.
pub(super) fn shell_command(command: Vec<String>) -> Vec<String> {
    let plain = |word: &str| {
        word.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./+-=:,@%".contains(&b))
    };
    match <[String; 1]>::try_from(command) {
        Ok([word]) if plain(&word) => vec![word],
        Ok([line]) => {
            let shell = std::env::var("SHELL")
                .ok()
                .filter(|shell| !shell.is_empty())
                .unwrap_or_else(|| "/bin/sh".to_string());
            vec![shell, "-c".to_string(), line]
        }
        Err(command) => command,
    }
}

/// The server's address in `SSH_CONNECTION` ("CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT").
pub(super) fn ssh_server_address(ssh_connection: &str) -> Option<IpAddr> {
    ssh_connection.split(' ').nth(2)?.parse().ok()
}

fn select_window(target: Option<Target>, which: WindowChoice) -> Request {
    Request::SelectWindow(control::SelectWindow { target, which })
}

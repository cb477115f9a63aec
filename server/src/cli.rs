//! The `moshmux-server` command line: tmux's commands and flags, parsed here, and usage
//! errors reduced to one line that names what the command does accept.

use crate::control::{self, LineRef, Request, Target};
use clap::{ArgAction, CommandFactory, Parser, Subcommand};
use std::net::IpAddr;

const FORMATS: &str = "\
Output formats:
  ls          NAME: N windows (created DATE) [COLSxROWS][ (N attached)]
              sorted by name; DATE is local time as ctime prints it, COLSxROWS the
              active window's size, N attached the clients joined to the session
  list-panes  INDEX: [COLSxROWS] at X,Y %ID COMMAND[ (active)][ (zoomed)]
              X,Y is the pane's top-left cell in its window; panes are separated by
              one-cell borders as in tmux.

Targets: SESSION, SESSION:WINDOW, SESSION:WINDOW.PANE (WINDOW is an index or a name,
PANE an index), or %ID.

  ls -a       then, per ended pane with history: %ID: ended, N lines, COMMAND[ \"TITLE\"]
  search-history  one line number per match, oldest first, numbered as capture-pane -S
              takes them (negative: history)

capture-pane line numbers are tmux's: 0 is the screen's first row, -1 the newest
history line, and `-` the oldest kept line (-S) or the screen's last row (-E).

The daemon's socket lives in $MOSHMUX_DIR, else $XDG_RUNTIME_DIR/moshmux, else
/tmp/moshmux-UID. History lives in $MOSHMUX_DIR/history, else
$XDG_STATE_HOME/moshmux, else ~/.local/state/moshmux. MOSHMUX_LOG filters the daemon's
log, server.log beside the socket, as RUST_LOG does (default: info).";

/// What `--help` says about the config file.
const CONFIG: &str = "\
Config file: $XDG_CONFIG_HOME/moshmux/config.toml, else ~/.config/moshmux/config.toml,
on the host. `new` reads its [server] and [history] tables ([client] is moshmux's); a
flag given to `new` wins over the file:

  [server]
  window-size = \"latest\"      # latest or smallest, as new --window-size
  network-timeout = 0         # seconds, as new --network-timeout; 0 keeps silent clients
  [history]                   # retention, applied when `new` starts the daemon;
  max-lines-per-pane = 100000 # as --history-lines; a key left out: no limit (default)
  max-bytes-per-pane = 50000000   # compressed bytes, as --history-bytes
  max-total-bytes = 1000000000    # compressed bytes, as --history-total-bytes

A bad value or key: one line on stderr naming the file, line and key, which keeps its
default; the rest applies. More in docs/usage.md.";

/// The general help's closing text: output formats, places, the config file.
fn after_help() -> String {
    format!("{FORMATS}\n\n{CONFIG}")
}

/// Where `new` opens the client's UDP port unless told otherwise: mosh's choices.
const DEFAULT_PORTS: (u16, u16) = (60000, 61000);
/// Where `new` binds when neither `--bind` nor `SSH_CONNECTION` says.
const ANY_ADDRESS: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

/// Largest window side accepted, far beyond any screen, so sizes stay sane.
const MAX_WINDOW_CELLS: i64 = 10_000;

#[derive(Debug, Parser)]
#[command(
    name = "moshmux-server",
    version,
    about = "The moshmux per-user daemon and its tmux-like commands",
    disable_help_subcommand = true,
    after_help = after_help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the daemon if none runs, create session NAME (or join it if it exists), open
    /// a UDP port for one client and print `MOSHMUX CONNECT <port> <key>`.
    #[command(after_help = CONFIG)]
    New {
        /// Session name; by default the next free number, as tmux names them.
        #[arg(short = 's', long = "session", value_name = "NAME")]
        session: Option<String>,
        /// With no --session: join the session a client used last (attached to or typed
        /// in), as `tmux attach` does; create one only if there is none.
        #[arg(long, conflicts_with = "session")]
        join_recent: bool,
        /// Whose size the session's windows take with several clients attached: the
        /// client active last (default for new sessions), or the smallest width and
        /// height of all. Sets it for the session whether created or joined. Default:
        /// the config file's server.window-size, if set.
        #[arg(long, value_enum, value_name = "POLICY")]
        window_size: Option<crate::session::WindowSize>,
        /// UDP port or range for the client, tried in order (default 60000:61000).
        #[arg(short = 'p', value_name = "PORT[:HIGH]", value_parser = parse_ports)]
        ports: Option<(u16, u16)>,
        /// Address the UDP port binds to. Default: run through SSH, the address the SSH
        /// connection came in on (as mosh does), which the client reaches, IPv4 or IPv6;
        /// else 0.0.0.0, every IPv4 address.
        #[arg(long, value_name = "ADDR")]
        bind: Option<IpAddr>,
        #[command(flatten)]
        limits: HistoryLimits,
        /// Close the endpoint once the client has been silent this many seconds; 0 keeps
        /// it forever, as mosh does (default: the config file's server.network-timeout,
        /// else 0). A connected client sends a heartbeat every 3 s, so give more than
        /// that. The session always stays.
        #[arg(long, value_name = "SECS")]
        network_timeout: Option<u64>,
        /// Program to run in the first pane (default: your shell).
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// List sessions by name, one per line: NAME: N windows (created DATE) [COLSxROWS]
    /// and, when clients are attached, (N attached).
    #[command(name = "ls", visible_alias = "list-sessions")]
    Ls {
        /// Also list ended panes (and panes of dead daemons) that still have history.
        #[arg(short = 'a')]
        all: bool,
    },
    /// End a session and every program in it.
    KillSession {
        /// The session to end.
        #[arg(short = 't', value_name = "NAME")]
        target: String,
    },
    /// End every session and stop the daemon.
    KillServer,
    /// Open a window in a session and make it active.
    NewWindow {
        /// The session to open the window in.
        #[arg(short = 't', value_name = "SESSION")]
        target: String,
        /// Program to run in the new window (default: your shell).
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Split a pane: -h side by side, -v (default) one above the other.
    #[command(disable_help_flag = true)]
    SplitWindow {
        /// Put the new pane right of the target.
        #[arg(short = 'h', conflicts_with = "below")]
        beside: bool,
        /// Put the new pane below the target (the default).
        #[arg(short = 'v')]
        below: bool,
        /// The new pane's share of the target pane, in percent.
        #[arg(short = 'p', value_name = "PCT", value_parser = clap::value_parser!(u8).range(1..=99))]
        percent: Option<u8>,
        /// The pane to split (session[:window[.pane]] or %ID).
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
        /// Program to run in the new pane (default: your shell).
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
        /// Print help (-h means side by side here, as in tmux).
        #[arg(long, action = ArgAction::Help)]
        help: Option<bool>,
    },
    /// Make a pane (and its window) active.
    SelectPane {
        /// The pane to make active.
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
    },
    /// End a pane's program and close the pane; its neighbour takes the space.
    KillPane {
        /// The pane to close.
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
    },
    /// Zoom a pane to fill its window, or unzoom it (-Z is the only resize supported).
    ResizePane {
        /// Toggle zoom (required, as there is no other resize).
        #[arg(short = 'Z', required = true)]
        zoom: bool,
        /// The pane to zoom or unzoom.
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
    },
    /// Name a window (it is otherwise named after its active pane's command).
    RenameWindow {
        /// The window to name (session[:window]).
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
        /// The new name.
        name: String,
    },
    /// Resize a window; its panes reflow in proportion, as in tmux.
    ResizeWindow {
        /// The window to resize (session[:window]).
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
        /// The new width in columns.
        #[arg(short = 'x', value_name = "COLS", value_parser = clap::value_parser!(u16).range(1..=MAX_WINDOW_CELLS))]
        cols: u16,
        /// The new height in rows.
        #[arg(short = 'y', value_name = "ROWS", value_parser = clap::value_parser!(u16).range(1..=MAX_WINDOW_CELLS))]
        rows: u16,
    },
    /// List a window's panes: INDEX: [COLSxROWS] at X,Y %ID COMMAND[ (active)][ (zoomed)].
    ListPanes {
        /// The window whose panes to list (session[:window]).
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
    },
    /// Type into a pane: each KEY is a key name (Enter, C-c, Up, F1, ...) or literal text.
    SendKeys {
        /// The pane to type into.
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
        /// Send every KEY as literal text.
        #[arg(short = 'l')]
        literal: bool,
        /// Key names (Enter, C-c, Up, F1, ...) or literal text, in order.
        #[arg(required = true, allow_hyphen_values = true, value_name = "KEY")]
        keys: Vec<String>,
    },
    /// Print a pane's screen.
    CapturePane {
        /// Print to stdout (required: there are no paste buffers).
        #[arg(short = 'p', required = true)]
        print: bool,
        /// Keep colours and attributes as SGR escape sequences.
        #[arg(short = 'e')]
        escapes: bool,
        /// First line: 0 is the screen's first row, negative is history, `-` the oldest.
        #[arg(short = 'S', value_name = "START", allow_hyphen_values = true, value_parser = parse_line)]
        start: Option<LineRef>,
        /// Last line: as -S; `-` is the screen's last row.
        #[arg(short = 'E', value_name = "END", allow_hyphen_values = true, value_parser = parse_line)]
        end: Option<LineRef>,
        /// A pane (%ID also names ended panes that still have history).
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
    },
    /// Print the line numbers of a pane's history lines that contain PATTERN.
    SearchHistory {
        /// The pane whose history to search.
        #[arg(short = 't', value_name = "TARGET")]
        target: String,
        /// Plain text, matched case-sensitively.
        #[arg(allow_hyphen_values = true)]
        pattern: String,
    },
    /// Run the daemon in this process (what `new` starts in the background).
    #[command(hide = true)]
    Daemon {
        #[command(flatten)]
        limits: HistoryLimits,
        /// The history directory `new` worked out, so the daemon uses the same one
        /// although it is started with MOSHMUX_DIR set (to pin down the runtime dir).
        #[arg(long, hide = true, value_name = "DIR")]
        state_dir: Option<std::path::PathBuf>,
    },
}

/// History retention, oldest lines first. Read by the daemon when it starts, so on `new`
/// they apply only when that `new` starts the daemon. Each defaults to the config file's
/// [history] key, else no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct HistoryLimits {
    /// Keep at most about N lines per pane (rounded up to whole 256-line blocks); the
    /// config file's history.max-lines-per-pane.
    #[arg(long, value_name = "N")]
    pub history_lines: Option<u64>,
    /// Keep at most N compressed bytes of history per pane; history.max-bytes-per-pane.
    #[arg(long, value_name = "N")]
    pub history_bytes: Option<u64>,
    /// Keep at most N compressed bytes of history over all panes; history.max-total-bytes.
    #[arg(long, value_name = "N")]
    pub history_total_bytes: Option<u64>,
}

impl HistoryLimits {
    pub fn retention(&self) -> moshmux_store::Retention {
        moshmux_store::Retention {
            max_lines_per_pane: self.history_lines,
            max_bytes_per_pane: self.history_bytes,
            max_total_bytes: self.history_total_bytes,
        }
    }

    /// The same limits as `daemon` arguments.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (flag, value) in [
            ("--history-lines", self.history_lines),
            ("--history-bytes", self.history_bytes),
            ("--history-total-bytes", self.history_total_bytes),
        ] {
            if let Some(value) = value {
                args.push(flag.to_string());
                args.push(value.to_string());
            }
        }
        args
    }
}

fn parse_line(text: &str) -> Result<LineRef, String> {
    if text == "-" {
        return Ok(LineRef::Oldest);
    }
    text.parse()
        .map(LineRef::Number)
        .map_err(|_| format!("{text:?} is not a line number (0, -5, or - for the end)"))
}

/// The server's address in `SSH_CONNECTION` ("CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT").
fn ssh_server_address(ssh_connection: &str) -> Option<IpAddr> {
    ssh_connection.split(' ').nth(2)?.parse().ok()
}

fn parse_ports(text: &str) -> Result<(u16, u16), String> {
    let port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("{p:?} is not a port number (1-65535)")),
        Ok(n) => Ok(n),
    };
    let (low, high) = match text.split_once(':') {
        Some((low, high)) => (port(low)?, port(high)?),
        None => (port(text)?, port(text)?),
    };
    if low > high {
        return Err(format!("port range {low}:{high} runs backwards"));
    }
    Ok((low, high))
}

impl Command {
    /// The request this command sends; `None` for `daemon`, which sends nothing.
    pub fn into_request(self) -> Option<Request> {
        let target = Target;
        Some(match self {
            Command::New {
                session,
                join_recent,
                window_size,
                ports,
                bind,
                network_timeout,
                command,
                ..
            } => Request::NewClient(control::NewClient {
                session: control::NewSession {
                    name: session,
                    command,
                    cwd: std::env::current_dir()
                        .ok()
                        .and_then(|dir| dir.to_str().map(str::to_owned)),
                    join_recent,
                    window_size,
                },
                bind: bind.unwrap_or_else(|| {
                    std::env::var("SSH_CONNECTION")
                        .ok()
                        .and_then(|text| ssh_server_address(&text))
                        .unwrap_or(ANY_ADDRESS)
                }),
                ports: ports.unwrap_or(DEFAULT_PORTS),
                // 0 is "never", which the daemon spells as no limit.
                network_timeout_secs: network_timeout.filter(|&secs| secs > 0),
            }),
            Command::Ls { all: false } => Request::ListSessions(()),
            Command::Ls { all: true } => Request::ListAll(()),
            Command::KillSession { target: t } => Request::KillSession(target(t)),
            Command::KillServer => Request::KillServer(()),
            Command::NewWindow { target, command } => {
                Request::NewWindow(control::NewWindow { target, command })
            }
            Command::SplitWindow {
                beside,
                percent,
                target,
                command,
                ..
            } => Request::SplitWindow(control::SplitWindow {
                target,
                side_by_side: beside,
                percent,
                command,
            }),
            Command::SelectPane { target: t } => Request::SelectPane(target(t)),
            Command::KillPane { target: t } => Request::KillPane(target(t)),
            Command::ResizePane { target: t, .. } => Request::ToggleZoom(target(t)),
            Command::RenameWindow { target, name } => {
                Request::RenameWindow(control::RenameWindow { target, name })
            }
            Command::ResizeWindow { target, cols, rows } => {
                Request::ResizeWindow(control::ResizeWindow { target, cols, rows })
            }
            Command::ListPanes { target: t } => Request::ListPanes(target(t)),
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
            Command::Daemon { .. } => return None,
        })
    }
}

/// Reduces a clap error to one line, followed by what the command accepts.
pub fn usage_error(error: &clap::Error, args: &[String]) -> String {
    let rendered = error.render().to_string();
    let first = match error.kind() {
        // clap renders the whole help for this one.
        clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "no command given".to_string()
        }
        // The first paragraph, which may list the missing arguments on lines of their own.
        _ => rendered
            .lines()
            .take_while(|line| !line.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
            .trim_start_matches("error: ")
            .to_string(),
    };
    let mut cli = Cli::command();
    cli.build();
    let subcommand = args
        .iter()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .and_then(|name| cli.find_subcommand(name));
    match subcommand {
        Some(sub) => format!("{first} ({} takes {})", sub.get_name(), accepted(sub)),
        None => {
            let names: Vec<&str> = cli
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .map(|sub| sub.get_name())
                .collect();
            format!("{first} (commands: {})", names.join(", "))
        }
    }
}

/// A command's flags and arguments, as `-t TARGET, -l, KEY...`.
fn accepted(command: &clap::Command) -> String {
    let mut parts = Vec::new();
    for arg in command.get_arguments() {
        if arg.is_hide_set() || matches!(arg.get_id().as_str(), "help" | "version") {
            continue;
        }
        let value = arg
            .get_value_names()
            .and_then(|names| names.first())
            .map(|name| name.to_string())
            .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        let part = if let Some(short) = arg.get_short() {
            if takes_value {
                format!("-{short} {value}")
            } else {
                format!("-{short}")
            }
        } else if let Some(long) = arg.get_long() {
            format!("--{long} {value}")
        } else if arg.is_last_set() {
            format!("-- {value}...")
        } else if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
            format!("{value}...")
        } else {
            value
        };
        parts.push(part);
    }
    if parts.is_empty() {
        "no arguments".to_string()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("moshmux-server").chain(args.iter().copied()))
    }

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_flag_and_argument_has_help() {
        let cli = Cli::command();
        for command in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
            for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
                let name = format!("{} {}", command.get_name(), arg.get_id());
                assert!(arg.get_help().is_some(), "{name} has no help");
            }
        }
        let help = cli.clone().render_long_help().to_string();
        assert!(help.contains("~/.config/moshmux/config.toml") && help.contains("[history]"));
    }

    #[test]
    fn split_window_takes_tmux_flags() {
        let cli = parse(&["split-window", "-h", "-p", "30", "-t", "0:1.2", "--", "sh"]).unwrap();
        let request = cli.command.into_request().unwrap();
        assert_eq!(
            request,
            Request::SplitWindow(control::SplitWindow {
                target: "0:1.2".into(),
                side_by_side: true,
                percent: Some(30),
                command: vec!["sh".into()],
            })
        );
    }

    #[test]
    fn ports_are_checked() {
        assert_eq!(parse_ports("60001"), Ok((60001, 60001)));
        assert_eq!(parse_ports("60000:61000"), Ok((60000, 61000)));
        assert!(parse_ports("61000:60000").is_err());
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("http").is_err());
        assert!(parse(&["new", "-p", "70000"]).is_err());
        assert!(parse(&["new", "--bind", "not-an-address"]).is_err());
    }

    #[test]
    fn the_ssh_connection_names_the_address_to_bind() {
        let v4 = "192.0.2.7 52110 198.51.100.1 22";
        assert_eq!(ssh_server_address(v4), "198.51.100.1".parse().ok());
        let v6 = "2001:db8::7 52110 2001:db8::1 22";
        assert_eq!(ssh_server_address(v6), "2001:db8::1".parse().ok());
        // A scoped link-local address cannot be bound as such: bind every address instead.
        assert_eq!(ssh_server_address("fe80::7 1 fe80::1%eth0 22"), None);
        assert_eq!(ssh_server_address(""), None);
    }

    #[test]
    fn unknown_flags_get_one_line_naming_the_accepted_ones() {
        let args = ["moshmux-server", "split-window", "-x", "-t", "0"];
        let error = Cli::try_parse_from(args).unwrap_err();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let line = usage_error(&error, &args);
        assert!(!line.contains('\n'), "{line}");
        assert!(line.contains("'-x'"), "{line}");
        assert!(
            line.contains("-h, -v, -p PCT, -t TARGET, -- COMMAND..."),
            "{line}"
        );
    }
}

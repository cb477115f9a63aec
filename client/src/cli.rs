//! The `moshmux` command line (design section 7), and usage errors reduced to one line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use moshmux_forward::ForwardSpec;

use crate::key_table::{COMMANDS, DEFAULT_BINDINGS};

#[derive(Debug, Parser)]
#[command(
    name = "moshmux",
    version,
    about = "Connect to a moshmux session over encrypted UDP",
    disable_help_subcommand = true,
    after_help = config_help()
)]
pub struct Cli {
    /// None: `moshmux` alone attaches on this machine, as `tmux` alone starts or attaches.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to the UDP port that `moshmux-server new` opened; the key it printed goes in
    /// the MOSHMUX_KEY environment variable, never on the command line.
    #[command(after_help = config_help())]
    Connect(ConnectArgs),
    /// Start or join a session and connect to it: on HOST through SSH (`CMD HOST --
    /// PATH new ...`), or on this machine, with no SSH, when HOST is left out. Also
    /// spelled as tmux's `a`, `new`, `attach-session` and `new-session`; `moshmux` alone
    /// is `moshmux attach`.
    #[command(
        after_help = config_help(),
        visible_aliases = ["a", "new"],
        aliases = ["attach-session", "new-session"]
    )]
    Attach(AttachArgs),
    /// List the sessions on HOST (through SSH: `CMD HOST -- PATH ls`) or on this machine,
    /// as `moshmux-server ls` prints them.
    Ls(LsArgs),
    /// Print the keys bound after the prefix, as this machine's config file binds them,
    /// in tmux's list-keys lines (prefix ? shows the same in a session).
    ListKeys {
        /// The key table: prefix, the only one.
        #[arg(short = 'T', value_name = "TABLE")]
        table: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// `[user@]host`; leave out to serve this machine without SSH.
    pub host: Option<String>,
    /// The session to join, or to create if it does not exist. Left out: the session
    /// used last (attached to or typed in), or a new one if there is none.
    /// `-t` too, as tmux's `attach -t` spells it.
    #[arg(long, short = 's', short_alias = 't', value_parser = session_name)]
    pub session: Option<String>,
    /// Detach every other client of the session, as tmux's `attach -d`: each exits
    /// with "[detached from session NAME]" (the session stays, now at this client's size).
    #[arg(short = 'd', long = "detach-others")]
    pub detach_others: bool,
    /// The SSH command, split like a shell would split it.
    #[arg(long, default_value = "ssh")]
    pub ssh: String,
    /// The server's UDP port, or a range PORT:HIGH to choose from.
    #[arg(short = 'p', long = "port", value_name = "PORT[:HIGH]")]
    pub port_range: Option<String>,
    /// The server binary: by default `moshmux-server` beside this one (no host) or on the
    /// remote PATH. With a host it is a command for the remote shell, as in mosh.
    #[arg(long)]
    pub server: Option<String>,
    /// When to echo keys locally before the server answers: adaptive (when the link is
    /// slow), always, or never. Default: the config file's client.predict, else adaptive.
    #[arg(long, value_enum)]
    pub predict: Option<Predict>,
    /// Most lines written into the terminal's own scrollback after a flood, an outage or
    /// an attach; older ones are skipped with one line saying so (prefix [ shows them).
    /// 0 writes nothing there. Default: the config file's client.scrollback-lines, else
    /// 2000.
    #[arg(long, value_name = "N")]
    pub scrollback_lines: Option<u64>,
    /// When the host has no moshmux-server of this version: ask (on the terminal), yes
    /// (copy this one's over SSH to ~/.local/share/moshmux/VERSION/ there), or no.
    /// Default: the config file's client.install-server, else ask.
    #[arg(long, value_enum, value_name = "WHEN")]
    pub install_server: Option<InstallServer>,
    #[command(flatten)]
    pub forwards: ForwardArgs,
    #[command(flatten)]
    pub family: FamilyArgs,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// `[user@]host`; leave out for this machine.
    pub host: Option<String>,
    /// The SSH command, split like a shell would split it.
    #[arg(long, default_value = "ssh")]
    pub ssh: String,
    /// The server binary, as for `attach`.
    #[arg(long)]
    pub server: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The server's host name or address.
    pub host: String,
    /// The UDP port `moshmux-server new` printed.
    #[arg(value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    #[command(flatten)]
    pub family: FamilyArgs,
    /// When to echo keys locally before the server answers: adaptive (when the link is
    /// slow), always, or never. Default: the config file's client.predict, else adaptive.
    #[arg(long, value_enum)]
    pub predict: Option<Predict>,
    /// Most lines written into the terminal's own scrollback after a flood, an outage or
    /// an attach; older ones are skipped with one line saying so (prefix [ shows them).
    /// 0 writes nothing there. Default: the config file's client.scrollback-lines, else
    /// 2000.
    #[arg(long, value_name = "N")]
    pub scrollback_lines: Option<u64>,
    #[command(flatten)]
    pub forwards: ForwardArgs,
}

/// `-L` and `-R`, as ssh takes them.
#[derive(Debug, Clone, Args)]
pub struct ForwardArgs {
    /// Forward a TCP port here to HOST:HOSTPORT as the server sees it, as `ssh -L`:
    /// [BIND:]PORT:HOST:HOSTPORT, listening on loopback unless BIND is given (an address,
    /// localhost, or * for every address). Repeatable. Each connection is a stream inside
    /// the session, so it lives through roams and outages as the shell does.
    #[arg(
        short = 'L',
        long = "local-forward",
        value_name = "[BIND:]PORT:HOST:HOSTPORT"
    )]
    pub local_forwards: Vec<ForwardSpec>,
    /// Forward a TCP port at the server to HOST:HOSTPORT as this machine sees it, as
    /// `ssh -R`: [BIND:]PORT:HOST:HOSTPORT, the server listening on its loopback unless
    /// BIND is given. Repeatable; lives through roams and outages as -L does.
    #[arg(
        short = 'R',
        long = "remote-forward",
        value_name = "[BIND:]PORT:HOST:HOSTPORT"
    )]
    pub remote_forwards: Vec<ForwardSpec>,
    /// Forward the SSH agent of this machine (SSH_AUTH_SOCK), as `ssh -A`: the
    /// session's new panes get SSH_AUTH_SOCK naming a socket the daemon serves, which
    /// reaches the agent of the client active last among those given -A. Each request
    /// is a stream inside the session, so the next one works after a roam or an outage.
    #[arg(short = 'A', long = "forward-agent")]
    pub forward_agent: bool,
}

/// Enough to read back a long build log or test run in the terminal, few enough that
/// fetching them after an outage takes a few round trips.
pub const DEFAULT_SCROLLBACK_LINES: u64 = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Predict {
    Adaptive,
    Always,
    Never,
}

/// Which of the host's addresses to use, with mosh's names for the choices.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Family {
    /// IPv4 only (-4).
    Inet,
    /// IPv6 only (-6).
    Inet6,
    /// The first IPv4 address, else the first IPv6 one.
    PreferInet,
    /// The first IPv6 address, else the first IPv4 one.
    PreferInet6,
    /// The first address in the system resolver's order.
    #[default]
    All,
}

/// `-4`, `-6` or `--family`, as mosh takes them.
#[derive(Debug, Args)]
pub struct FamilyArgs {
    /// IPv4 only: as --family inet.
    #[arg(short = '4', conflicts_with_all = ["inet6", "family"])]
    inet: bool,
    /// IPv6 only: as --family inet6.
    #[arg(short = '6', conflicts_with = "family")]
    inet6: bool,
    /// Which of the host's addresses to use: inet, inet6, prefer-inet, prefer-inet6, or
    /// all (the first in the system resolver's order). With a host, ssh is given -4 or -6
    /// for the family chosen, so SSH and UDP reach the same address family of the host.
    #[arg(long, value_enum, default_value = "all")]
    family: Family,
}

impl FamilyArgs {
    pub fn family(&self) -> Family {
        match (self.inet, self.inet6) {
            (true, _) => Family::Inet,
            (_, true) => Family::Inet6,
            _ => self.family,
        }
    }
}

/// Whether `attach` copies its own server to a host that has none of this version.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InstallServer {
    #[default]
    Ask,
    Yes,
    No,
}

/// What `--help` says about the config file: where it is and all it can set for the
/// client, with the default bindings written from the table itself.
fn config_help() -> String {
    let mut defaults = String::new();
    for (key, command) in DEFAULT_BINDINGS {
        // The ten window digits as one line.
        let (key, command) = match key {
            "0" => ("0-9", "select-window -t :=N"),
            _ if key.len() == 1 && key.as_bytes()[0].is_ascii_digit() => continue,
            _ => (key, command),
        };
        defaults.push_str(&format!("  {key:<6} {command}\n"));
    }
    format!(
        "\
Config file: $XDG_CONFIG_HOME/moshmux/config.toml, else ~/.config/moshmux/config.toml.
None means the defaults; a flag given here wins over the file. moshmux reads its [client]
table ([server] and [history] are moshmux-server's):

  [client]
  prefix = \"C-b\"           # C-a to C-z, C-@, C-\\, C-] or C-_; pressed twice, it is sent
  predict = \"adaptive\"     # adaptive, always or never, as --predict
  scrollback-lines = 2000  # as --scrollback-lines
  status-line = true       # false: the panes get the last row too; it shows over them
                           # only for a prompt, the scroll view or a notice
  mouse = false            # true: as tmux's mouse on (the wheel scrolls, a click selects
                           # a pane); false leaves the terminal its own wheel and selection
  mode-keys = \"vi\"         # the scroll view's keys: vi, or emacs (tmux's copy-mode)
  install-server = \"ask\"   # ask, yes or no, as --install-server
  [client.bind]            # key after the prefix = \"command\", or \"none\" to unbind
  \"|\" = \"split-window -h\"

Keys: one character, Space, Up, Down, Left, Right or C-<letter>.
{}

Default bindings after the prefix (and the prefix key itself: send-prefix):
{defaults}
C-^ . quits at once and C-^ C-^ sends C-^, whatever the prefix. A bad value or key in the
file: one line on stderr naming the file, line and key, which keeps its default; the rest
applies. More in docs/usage.md.",
        wrap(&format!("Commands: {COMMANDS}."), 88)
    )
}

/// `text` broken at spaces into lines of at most `width` columns (longer words stay whole).
fn wrap(text: &str, width: usize) -> String {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines
            .last_mut()
            .filter(|line| line.len() + 1 + word.len() <= width);
        match line {
            Some(line) if !line.is_empty() => {
                line.push(' ');
                line.push_str(word);
            }
            Some(line) => line.push_str(word),
            None => lines.push(word.to_owned()),
        }
    }
    lines.join("\n")
}

fn session_name(name: &str) -> Result<String, String> {
    if moshmux_proto::label::is_session_name(name) {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "bad session name: {}",
            moshmux_proto::label::SESSION_NAME_RULE
        ))
    }
}

/// clap's error as one line that says where to look next: the help of the subcommand
/// the user typed (`subcommand`, the first argument), or the general help.
pub fn usage_error(error: &clap::Error, subcommand: Option<&str>) -> String {
    let rendered = error.render().to_string();
    // The first paragraph: the message, and any list it introduces ("not provided:").
    let paragraph: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty())
        .collect();
    let message = paragraph.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    let help = match subcommand {
        Some(name @ ("connect" | "attach" | "ls")) => format!("moshmux {name} --help"),
        Some("a" | "new" | "attach-session" | "new-session") => "moshmux attach --help".into(),
        _ => "moshmux --help".to_string(),
    };
    format!("moshmux: {message}; see `{help}`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from([&["moshmux"][..], args].concat())
    }

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_flag_and_argument_has_help_and_the_config_file_is_described() {
        let cli = Cli::command();
        for command in cli.get_subcommands() {
            for arg in command.get_arguments() {
                let name = format!("{} {}", command.get_name(), arg.get_id());
                assert!(arg.get_help().is_some(), "{name} has no help");
            }
        }
        for command in [&cli, cli.find_subcommand("attach").expect("attach")] {
            let help = command.clone().render_long_help().to_string();
            for needle in [
                "~/.config/moshmux/config.toml",
                "status-line",
                "mouse = false",
                "send-prefix",
            ] {
                assert!(help.contains(needle), "{needle} missing:\n{help}");
            }
        }
    }

    #[test]
    fn connect_takes_host_port_and_predict() {
        let Ok(Cli {
            command: Some(Command::Connect(args)),
        }) = parse(&["connect", "example.org", "60001", "--predict", "never"])
        else {
            panic!("connect did not parse");
        };
        assert_eq!((args.host.as_str(), args.port), ("example.org", 60001));
        assert_eq!(args.predict, Some(Predict::Never));
    }

    #[test]
    fn attach_takes_when_to_install_the_server() {
        let Ok(Cli {
            command: Some(Command::Attach(args)),
        }) = parse(&["attach", "me@example.org", "--install-server=yes"])
        else {
            panic!("attach did not parse");
        };
        assert_eq!(args.install_server, Some(InstallServer::Yes));
        let Ok(Cli {
            command: Some(Command::Attach(args)),
        }) = parse(&["attach"])
        else {
            panic!("a bare attach did not parse");
        };
        assert_eq!(args.install_server, None);
        assert_eq!(args.family.family(), Family::All);
    }

    #[test]
    fn tmux_s_spellings_attach_too() {
        // `moshmux` alone: no command, which attaches here.
        assert!(matches!(parse(&[]), Ok(Cli { command: None })));
        for line in [
            &["a", "-t", "work"][..],
            &["attach", "-t", "work"],
            &["attach-session", "-t", "work"],
            &["new", "-s", "work"],
            &["new-session", "-s", "work"],
            &["attach", "--session", "work"],
        ] {
            let Ok(Cli {
                command: Some(Command::Attach(args)),
            }) = parse(line)
            else {
                panic!("{line:?} did not parse");
            };
            assert_eq!(args.session.as_deref(), Some("work"), "{line:?}");
        }
        let error = parse(&["new", "--bogus"]).expect_err("refused");
        assert!(usage_error(&error, Some("new")).ends_with("see `moshmux attach --help`"));
    }

    #[test]
    fn the_address_family_is_chosen_as_mosh_spells_it() {
        for (flags, family) in [
            (&["-4"][..], Family::Inet),
            (&["-6"], Family::Inet6),
            (&["--family", "prefer-inet6"], Family::PreferInet6),
            (&["--family=inet"], Family::Inet),
            (&[], Family::All),
        ] {
            let line = [&["connect", "h", "1"][..], flags].concat();
            let Ok(Cli {
                command: Some(Command::Connect(args)),
            }) = parse(&line)
            else {
                panic!("{line:?} did not parse");
            };
            assert_eq!(args.family.family(), family, "{line:?}");
        }
    }

    #[test]
    fn ls_takes_a_host_an_ssh_command_and_a_server() {
        let Ok(Cli {
            command: Some(Command::Ls(args)),
        }) = parse(&[
            "ls",
            "me@example.org",
            "--ssh",
            "ssh -p 2222",
            "--server",
            "bin/s",
        ])
        else {
            panic!("ls did not parse");
        };
        assert_eq!(args.host.as_deref(), Some("me@example.org"));
        assert_eq!(
            (args.ssh.as_str(), args.server.as_deref()),
            ("ssh -p 2222", Some("bin/s"))
        );
        let Ok(Cli {
            command: Some(Command::Ls(args)),
        }) = parse(&["ls"])
        else {
            panic!("a bare ls did not parse");
        };
        assert_eq!((args.host, args.ssh.as_str()), (None, "ssh"));
    }

    #[test]
    fn bad_lines_get_one_line_errors() {
        for args in [
            &["connect", "h", "0"][..],
            &["connect", "h", "70000"],
            &["connect", "h", "port"],
            &["connect", "h", "1", "--predict", "sometimes"],
            &["connect", "h", "1", "--bogus"],
            &["connect"],
            &["attach", "--bogus"],
            &["attach", "h", "--predict", "sometimes"],
            &["attach", "h", "--install-server", "maybe"],
            &["attach", "h", "-4", "-6"],
            &["connect", "h", "1", "-6", "--family", "inet"],
            &["connect", "h", "1", "--family", "ipx"],
            &["ls", "h", "extra"],
            &["ls", "--server"],
            &["ls", "--session", "s"],
        ] {
            let error = parse(args).expect_err("must be refused");
            let line = usage_error(&error, args.first().copied());
            assert!(!line.contains('\n'), "{line}");
            let help = format!("; see `moshmux {} --help`", args[0]);
            assert!(
                line.starts_with("moshmux: ") && line.ends_with(&help),
                "{line}"
            );
        }
    }
}

//! The `moshmux-server` command line: tmux's commands and flags, parsed here, and usage
//! errors reduced to one line that names what the command does accept.

use crate::control::{self, LineRef, PortChoice};
use crate::environment;
use crate::target::Target;
use clap::{ArgAction, Parser, Subcommand};
use moshmux_proto::screen::{MAX_COLS, MAX_ROWS};
use std::net::IpAddr;

mod buffers;
mod environment_commands;
mod layout;
mod option_commands;
mod rearrange;
mod request;
mod spawn;
mod usage;
mod values;
pub use buffers::{Buffers, FileSide};
pub use environment_commands::EnvironmentCommand;
pub use layout::Layout;
pub use option_commands::OptionCommand;
pub use rearrange::Rearrange;
pub use spawn::Spawn;
pub use usage::usage_error;
use values::{cells, parse_length, parse_line};
pub use values::{parse_ports, HistoryLimits, DEFAULT_TOTAL_BYTES};

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
/tmp/moshmux-UID (if another user took that: ~/.local/state/moshmux-runtime). History
lives in $MOSHMUX_DIR/history, else
$XDG_STATE_HOME/moshmux, else ~/.local/state/moshmux. MOSHMUX_LOG filters the daemon's
log, server.log beside the socket, as RUST_LOG does (default: info).";

/// What `--help` says about the config file.
const CONFIG: &str = "\
Config file: $XDG_CONFIG_HOME/moshmux/config.toml, else ~/.config/moshmux/config.toml,
on the host. `new` reads its [server] and [history] tables ([client] is moshmux's); a
flag given to `new` wins over the file:

  [server]
  window-size = \"latest\"      # latest, smallest or largest, as new --window-size
  network-timeout = 0         # seconds, as new --network-timeout; 0 keeps silent clients
  update-environment = \"EDITOR\" # more variables new passes to the session's panes
  [history]                   # retention, applied when `new` starts the daemon;
  max-lines-per-pane = 100000 # as --history-lines; a key left out: no limit (default)
  max-bytes-per-pane = 50000000   # compressed bytes, as --history-bytes
  max-total-bytes = 1000000000    # compressed bytes, as --history-total-bytes;
                                  # left out: 2 GiB (a year of heavy use)

A bad value or key: one line on stderr naming the file, line and key, which keeps its
default; the rest applies. More in docs/usage.md.";

/// The general help's closing text: output formats, places, the config file.
fn after_help() -> String {
    format!("{FORMATS}\n\n{CONFIG}")
}

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
        /// Session name; by default the number of its id ($N), as tmux names them.
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
        /// PORT: the daemon's one UDP port, which every client of every session shares
        /// (default: the first free one from 60001 up to 61000, kept while the daemon
        /// runs; the config file's server.port). LOW:HIGH: a port of the client's own,
        /// the first free one in the range, as mosh does (e.g. 60000:61000).
        #[arg(short = 'p', value_name = "PORT|LOW:HIGH", value_parser = parse_ports)]
        ports: Option<PortChoice>,
        /// Address the UDP port binds to; repeat for more (each gets the same port). `::`
        /// is every address of both families. Default: run through SSH, the address the
        /// SSH connection came in on (as mosh does), which the client reaches, IPv4 or
        /// IPv6; else `::`.
        #[arg(long, value_name = "ADDR")]
        bind: Vec<IpAddr>,
        #[command(flatten)]
        limits: HistoryLimits,
        /// Close the endpoint once the client has been silent this many seconds; 0 keeps
        /// it forever, as mosh does (default: the config file's server.network-timeout,
        /// else 0). A connected client sends a heartbeat every 3 s, so give more than
        /// that. The session always stays.
        #[arg(long, value_name = "SECS")]
        network_timeout: Option<u64>,
        /// The client forwards its SSH agent (`moshmux attach -A`): the session's new
        /// panes get SSH_AUTH_SOCK naming the daemon's agent socket, which reaches the
        /// agent of the client active last among those that forward theirs.
        #[arg(long)]
        forward_agent: bool,
        /// Detach every other client of the session (`moshmux attach -d`, as tmux's
        /// `attach -d`): each exits with "[detached from session NAME]".
        #[arg(long)]
        detach_others: bool,
        /// Set NAME to VALUE in the session's environment (created or joined), as tmux's
        /// new-session -e; panes get no other variable of this command's environment
        /// but tmux's update-environment set (DISPLAY, SSH_AUTH_SOCK, ...) and the
        /// config file's server.update-environment.
        #[arg(short = 'e', value_name = "NAME=VALUE", value_parser = environment::parse_assignment)]
        environment: Vec<(String, String)>,
        /// Names the config file adds to the update-environment set.
        #[arg(skip)]
        update_environment: Vec<String>,
        /// The config file's `[options]`.
        #[arg(skip)]
        options: Vec<(String, String)>,
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
        /// One line per session from this tmux format (#{session_name}, ...).
        #[arg(short = 'F', value_name = "FORMAT", conflicts_with = "all")]
        format: Option<String>,
    },
    /// Create a session no client is attached to, as tmux's new-session -d; attach to
    /// it with `moshmux attach --session NAME`.
    NewSession {
        /// Detached (required: this command never attaches; `moshmux` does).
        #[arg(short = 'd', required = true)]
        detached: bool,
        /// Session name (refused if taken); by default the number of its id.
        #[arg(short = 's', value_name = "NAME")]
        session: Option<String>,
        /// Directory the session's panes start in (default: this one).
        #[arg(short = 'c', value_name = "DIR")]
        cwd: Option<String>,
        /// Width until a client attaches (default 80).
        #[arg(short = 'x', value_name = "COLS", value_parser = cells(MAX_COLS))]
        cols: Option<u16>,
        /// Height until a client attaches (default 24).
        #[arg(short = 'y', value_name = "ROWS", value_parser = cells(MAX_ROWS))]
        rows: Option<u16>,
        /// Set NAME to VALUE in the session's environment.
        #[arg(short = 'e', value_name = "NAME=VALUE", value_parser = environment::parse_assignment)]
        environment: Vec<(String, String)>,
        /// The config file's `[options]`.
        #[arg(skip)]
        options: Vec<(String, String)>,
        /// Program for the first pane, as tmux takes it: one argument runs through
        /// `$SHELL -c`, several run as they are (default: your shell).
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "COMMAND"
        )]
        command: Vec<String>,
    },
    /// Exit 0 if the session exists, else 1 with one line, as tmux's has-session.
    #[command(visible_alias = "has")]
    HasSession {
        /// The session (default: the one used last).
        #[arg(short = 't', value_name = "NAME", value_parser = Target::parse)]
        target: Option<Target>,
    },
    /// Rename a session; its clients stay attached.
    #[command(visible_alias = "rename")]
    RenameSession {
        /// The session to rename (default: the one used last).
        #[arg(short = 't', value_name = "NAME", value_parser = Target::parse)]
        target: Option<Target>,
        /// The new name.
        name: String,
    },
    /// End a session and every program in it.
    KillSession {
        /// End every other session instead.
        #[arg(short = 'a')]
        all_others: bool,
        /// The session to end (default: the session used last).
        #[arg(short = 't', value_name = "NAME", value_parser = Target::parse)]
        target: Option<Target>,
    },
    /// End every session and stop the daemon.
    KillServer,
    /// The commands typed at clients' prompts and the messages their status lines
    /// showed, newest first, as tmux's message log.
    #[command(visible_alias = "showmsgs")]
    ShowMessages,
    /// Close a window and end every program in it.
    #[command(visible_alias = "killw")]
    KillWindow {
        /// Close every other window of its session instead.
        #[arg(short = 'a')]
        all_others: bool,
        /// The window to close (default: the active one of the session used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
    },
    /// List a session's windows: INDEX: NAME[FLAGS] (N panes) [COLSxROWS][ (active)].
    #[command(visible_alias = "lsw")]
    ListWindows {
        /// The session whose windows to list (default: the one used last).
        #[arg(short = 't', value_name = "SESSION", value_parser = Target::parse)]
        target: Option<Target>,
        /// Every session's windows, each line starting SESSION:.
        #[arg(short = 'a')]
        all: bool,
        /// One line per window from this tmux format (#{window_index}, ...).
        #[arg(short = 'F', value_name = "FORMAT")]
        format: Option<String>,
    },
    /// List the attached clients: ADDRESS: SESSION [COLSxROWS] (attached,UTF-8).
    #[command(visible_alias = "lsc")]
    ListClients {
        /// Only the clients of this session.
        #[arg(short = 't', value_name = "SESSION", value_parser = Target::parse)]
        target: Option<Target>,
        /// One line per client from this tmux format (#{client_name}, #{client_session},
        /// #{client_width}, #{client_height}, #{client_flags}, ...).
        #[arg(short = 'F', value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Detach a client (named as list-clients names it), or every client of a session:
    /// each exits with "[detached from session NAME]", as prefix d leaves.
    #[command(visible_alias = "detach")]
    DetachClient {
        /// The client to detach (its address, as list-clients prints it).
        #[arg(
            short = 't',
            value_name = "CLIENT",
            required_unless_present = "session"
        )]
        client: Option<String>,
        /// Detach every client of this session instead.
        #[arg(short = 's', value_name = "SESSION", value_parser = Target::parse, conflicts_with_all = ["client", "all_others"])]
        session: Option<Target>,
        /// Detach every other client of the -t client's session instead.
        #[arg(short = 'a', requires = "client")]
        all_others: bool,
    },
    /// Split a pane: -h side by side, -v (default) one above the other.
    #[command(disable_help_flag = true, visible_alias = "splitw")]
    SplitWindow {
        /// Put the new pane right of the target.
        #[arg(short = 'h', conflicts_with = "below")]
        beside: bool,
        /// Put the new pane below the target (the default).
        #[arg(short = 'v')]
        below: bool,
        /// The new pane's share of the target pane, in percent (as -l N%).
        #[arg(short = 'p', value_name = "PCT", value_parser = clap::value_parser!(u16).range(1..=99), conflicts_with = "size")]
        percent: Option<u16>,
        /// The pane to split (session[:window[.pane]] or %ID; default: the active pane
        /// of the session used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// Program to run in the new pane, as tmux takes it: one argument runs through
        /// `$SHELL -c`, several run as they are (default: your shell).
        #[arg(trailing_var_arg = true, value_name = "COMMAND")]
        command: Vec<String>,
        /// The new pane's width or height: cells, or N% of the target pane's.
        #[arg(short = 'l', value_name = "SIZE", value_parser = parse_length)]
        size: Option<control::Length>,
        /// Where the new pane starts: a directory, or a format such as
        /// "#{pane_current_path}" (default: the session's directory).
        #[arg(short = 'c', value_name = "DIR")]
        cwd: Option<String>,
        /// Put the new pane left of or above the target instead.
        #[arg(short = 'b')]
        before: bool,
        /// Split the whole window: the new pane spans its full height (-h) or width.
        #[arg(short = 'f')]
        full: bool,
        /// Print help (-h means side by side here, as in tmux).
        #[arg(long, action = ArgAction::Help)]
        help: Option<bool>,
    },
    /// Make a pane (and its window) active.
    #[command(visible_alias = "selectp")]
    SelectPane {
        /// The pane to make active (with -l: the window; default the session used last).
        #[arg(short = 't', value_name = "TARGET", required_unless_present = "last", value_parser = Target::parse)]
        target: Option<Target>,
        /// The pane active before in the target's window, as last-pane.
        #[arg(short = 'l')]
        last: bool,
    },
    /// Make the pane active before in the target's window active again.
    #[command(visible_alias = "lastp")]
    LastPane {
        /// The window (default: the active one of the session used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
    },
    /// Make a window active: the target's, or with -n/-p/-l the next, previous or last
    /// one of its session.
    #[command(visible_alias = "selectw")]
    SelectWindow {
        /// The window, or with -n/-p/-l the session (default: the session used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// The next window, wrapping around, as next-window.
        #[arg(short = 'n', conflicts_with_all = ["previous", "last"])]
        next: bool,
        /// The previous window, as previous-window.
        #[arg(short = 'p', conflicts_with = "last")]
        previous: bool,
        /// The window active before, as last-window.
        #[arg(short = 'l')]
        last: bool,
    },
    /// Make the next window of a session active, wrapping around.
    #[command(visible_alias = "next")]
    NextWindow {
        /// The session (default: the one used last).
        #[arg(short = 't', value_name = "SESSION", value_parser = Target::parse)]
        target: Option<Target>,
        /// The next window with an alert (a bell rang in it unseen).
        #[arg(short = 'a')]
        alert: bool,
    },
    /// Make the previous window of a session active, wrapping around.
    #[command(visible_alias = "prev")]
    PreviousWindow {
        /// The session (default: the one used last).
        #[arg(short = 't', value_name = "SESSION", value_parser = Target::parse)]
        target: Option<Target>,
        /// The previous window with an alert (a bell rang in it unseen).
        #[arg(short = 'a')]
        alert: bool,
    },
    /// Make the window active before active again.
    #[command(visible_alias = "last")]
    LastWindow {
        /// The session (default: the one used last).
        #[arg(short = 't', value_name = "SESSION", value_parser = Target::parse)]
        target: Option<Target>,
    },
    /// End a pane's program and close the pane; its neighbour takes the space.
    #[command(visible_alias = "killp")]
    KillPane {
        /// The pane to close (with -a: to keep; default the session used last's active).
        #[arg(short = 't', value_name = "TARGET", required_unless_present = "all", value_parser = Target::parse)]
        target: Option<Target>,
        /// Close every other pane of the target's window instead.
        #[arg(short = 'a')]
        all: bool,
    },
    #[command(flatten)]
    Layout(Layout),
    /// Name a window (it is otherwise named after its active pane's command).
    #[command(visible_alias = "renamew")]
    RenameWindow {
        /// The window to name (session[:window]; default: the session used last's active
        /// window).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// The new name.
        name: String,
    },
    /// Resize a window; its panes reflow in proportion, as in tmux. At most 1000x1000,
    /// the most a client can show (tmux allows 10000, allocating rows as they are used;
    /// here a window's cells are held in full).
    #[command(visible_alias = "resizew")]
    ResizeWindow {
        /// The window to resize (session[:window]; default: the session used last's
        /// active window).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// The new width in columns.
        #[arg(short = 'x', value_name = "COLS", value_parser = cells(MAX_COLS))]
        cols: u16,
        /// The new height in rows.
        #[arg(short = 'y', value_name = "ROWS", value_parser = cells(MAX_ROWS))]
        rows: u16,
    },
    /// List a window's panes: INDEX: [COLSxROWS] at X,Y %ID COMMAND[ (active)][ (zoomed)].
    #[command(visible_alias = "lsp")]
    ListPanes {
        /// The window whose panes to list (session[:window]; default: the active window
        /// of the session used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// Every pane of the target's session, each line starting WINDOW.
        #[arg(short = 's', conflicts_with = "all")]
        session: bool,
        /// Every pane of every session, each line starting SESSION:WINDOW.
        #[arg(short = 'a')]
        all: bool,
        /// One line per pane from this tmux format (#{pane_index}, #{pane_width}, ...).
        #[arg(short = 'F', value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Print a tmux format expanded for a pane: #{session_name}, #{pane_id},
    /// #{?pane_active,yes,no}, ... (docs/usage.md lists the variables).
    #[command(visible_alias = "display")]
    DisplayMessage {
        /// Print to stdout (what this command always does: it has no status line).
        #[arg(short = 'p')]
        print: bool,
        /// The pane the variables describe (default: the active pane of the session
        /// used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// The format to expand.
        format: String,
    },
    /// new-window, respawn-pane and respawn-window (`spawn.rs`).
    #[command(flatten)]
    Spawn(Spawn),
    /// break-pane, join-pane, swap-window and move-window (`rearrange.rs`).
    #[command(flatten)]
    Rearrange(Rearrange),
    /// set-buffer, show-buffer, list-buffers, delete-buffer, paste-buffer (`buffers.rs`).
    #[command(flatten)]
    Buffers(Buffers),
    /// set-environment and show-environment (`environment_commands.rs`).
    #[command(flatten)]
    Environment(EnvironmentCommand),
    /// set-option, set-window-option, show-options, show-window-options
    /// (`option_commands.rs`).
    #[command(flatten)]
    Options(OptionCommand),
    /// Ask the client attached to a session (the one active last) to forward a port of
    /// its machine here (-L), or to stop a forward (-KL, -KR); it says how it went on its
    /// status line. -R comes only from the client's own prompt (C-b :), never from here.
    Forward {
        /// The session whose client forwards (default: the session used last).
        #[arg(short = 't', value_name = "SESSION", value_parser = Target::parse)]
        target: Option<Target>,
        /// [BIND:]PORT:HOST:HOSTPORT as ssh -L; with -K, [BIND:]PORT to stop.
        #[arg(
            short = 'L',
            value_name = "SPEC",
            conflicts_with = "remote",
            required_unless_present = "remote"
        )]
        local: Option<String>,
        /// With -K: [BIND:]PORT of a -R forward to stop.
        #[arg(short = 'R', value_name = "SPEC")]
        remote: Option<String>,
        /// Stop the forward instead (-KL, -KR).
        #[arg(short = 'K')]
        kill: bool,
    },
    /// Type into a pane: each KEY is a key name (Enter, C-c, Up, F1, ...) or literal text.
    #[command(visible_alias = "send")]
    SendKeys {
        /// The pane to type into (default: the active pane of the session used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// Send every KEY as literal text.
        #[arg(short = 'l')]
        literal: bool,
        /// Key names (Enter, C-c, Up, F1, ...) or literal text, in order.
        #[arg(required = true, allow_hyphen_values = true, value_name = "KEY")]
        keys: Vec<String>,
    },
    /// Print a pane's screen.
    #[command(visible_alias = "capturep")]
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
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Target,
    },
    /// Print the line numbers of a pane's history lines that contain PATTERN.
    SearchHistory {
        /// The pane whose history to search.
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Target,
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

#[cfg(test)]
mod tests;

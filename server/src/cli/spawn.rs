//! The commands that start a program in a window or pane of their own choosing (tmux's
//! new-window, respawn-pane and respawn-window), flattened into [`super::Command`].

use crate::control::{self, Placement, Request};
use crate::target::Target;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Spawn {
    /// Open a window in a session and make it current: at the lowest free index, at
    /// SESSION:INDEX, or with -a/-b next to the target window.
    #[command(visible_alias = "neww")]
    NewWindow {
        /// SESSION (the lowest free index) or SESSION:INDEX; with -a/-b, the window to
        /// put it after or before (default: the session used last, its current window).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// Name the window (else it is named after its program).
        #[arg(short = 'n', value_name = "NAME")]
        name: Option<String>,
        /// Leave the session's current window current.
        #[arg(short = 'd')]
        detached: bool,
        /// The program's directory: a path or a format such as #{pane_current_path}.
        #[arg(short = 'c', value_name = "DIR")]
        cwd: Option<String>,
        /// At the index after the target window, moving the windows from there up to
        /// the next free index one index up.
        #[arg(short = 'a', conflicts_with = "before")]
        after: bool,
        /// At the target window's index, moving it and the windows after it up to the
        /// next free index one index up.
        #[arg(short = 'b')]
        before: bool,
        /// With -t SESSION:INDEX: destroy the window at INDEX, if any, and put this one
        /// in its place.
        #[arg(short = 'k')]
        kill: bool,
        /// Program to run in the new window, as tmux takes it: one argument runs through
        /// `$SHELL -c`, several run as they are (default: your shell).
        #[arg(trailing_var_arg = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Run a pane's program again in the same pane (same id, size, place and history):
    /// with -k the running one is ended first, else a running one is refused.
    #[command(visible_alias = "respawnp")]
    RespawnPane(RespawnArgs),
    /// Reduce a window to its first pane and run that pane's program again: with -k the
    /// running programs are ended first, else running ones are refused.
    #[command(visible_alias = "respawnw")]
    RespawnWindow(RespawnArgs),
}

impl Spawn {
    /// The request this command sends.
    pub fn into_request(self) -> Request {
        match self {
            Spawn::NewWindow {
                target,
                name,
                detached,
                cwd,
                after,
                before,
                kill,
                command,
            } => Request::NewWindow(control::NewWindow {
                target,
                command: super::request::shell_command(command),
                name,
                detached,
                cwd,
                placement: Placement::from_flags(after, before),
                replace: kill,
            }),
            Spawn::RespawnPane(respawn) => Request::RespawnPane(respawn.into()),
            Spawn::RespawnWindow(respawn) => Request::RespawnWindow(respawn.into()),
        }
    }
}

/// respawn-pane's and respawn-window's flags.
#[derive(Debug, clap::Args)]
pub struct RespawnArgs {
    /// End the running program (respawn-window: programs) first.
    #[arg(short = 'k')]
    kill: bool,
    /// The program's directory: a path or a format such as #{pane_current_path}
    /// (default: where the pane's program started).
    #[arg(short = 'c', value_name = "DIR")]
    cwd: Option<String>,
    /// The pane (respawn-pane) or window (respawn-window; its first pane); default: the
    /// active one of the session used last.
    #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
    target: Option<Target>,
    /// Program to run, as tmux takes it: one argument runs through `$SHELL -c`, several
    /// run as they are (default: the one the pane was started or last respawned with).
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    command: Vec<String>,
}

impl From<RespawnArgs> for control::Respawn {
    fn from(args: RespawnArgs) -> control::Respawn {
        control::Respawn {
            target: args.target,
            kill: args.kill,
            cwd: args.cwd,
            command: super::request::shell_command(args.command),
        }
    }
}

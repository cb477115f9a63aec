//! The option commands (tmux's set-option, set-window-option, show-options and
//! show-window-options), flattened into [`super::Command`].

use crate::control::{self, Request};
use crate::options::Scope;
use crate::target::Target;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum OptionCommand {
    /// Set an option: prefix, status, mouse, set-titles, bell-action, set-clipboard,
    /// mode-keys, window-size, synchronize-panes, the status line's formats, or a user
    /// option (@name). With no value a flag toggles.
    #[command(visible_alias = "set")]
    SetOption {
        /// A server option (for user options; a known option has its own scope).
        #[arg(short = 's', conflicts_with = "window")]
        server: bool,
        /// A window option (for user options; a known option has its own scope).
        #[arg(short = 'w')]
        window: bool,
        #[command(flatten)]
        set: SetArgs,
    },
    /// Set a window option (set-option -w).
    #[command(visible_alias = "setw")]
    SetWindowOption {
        #[command(flatten)]
        set: SetArgs,
    },
    /// Show the options set for a session (-g: the global ones, with their defaults).
    #[command(visible_alias = "show")]
    ShowOptions {
        /// Server options.
        #[arg(short = 's', conflicts_with = "window")]
        server: bool,
        /// Window options.
        #[arg(short = 'w')]
        window: bool,
        #[command(flatten)]
        show: ShowArgs,
    },
    /// Show the options set for a window (show-options -w).
    #[command(visible_alias = "showw")]
    ShowWindowOptions {
        #[command(flatten)]
        show: ShowArgs,
    },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The global table, under every session's (or window's).
    #[arg(short = 'g')]
    global: bool,
    /// Unset the option here: the global table (or the default) decides again.
    #[arg(short = 'u')]
    unset: bool,
    /// Refuse to change an option already set.
    #[arg(short = 'o')]
    only_if_unset: bool,
    /// Say nothing about an unknown option.
    #[arg(short = 'q')]
    quiet: bool,
    /// The session or window (default: the one used last).
    #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
    target: Option<Target>,
    /// The option's name.
    name: String,
    /// Its value (one starting with `-` too, as tmux takes `-3` to refuse it).
    #[arg(allow_hyphen_values = true)]
    value: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The global table.
    #[arg(short = 'g')]
    global: bool,
    /// The value alone.
    #[arg(short = 'v')]
    value_only: bool,
    /// Say nothing about an unknown option.
    #[arg(short = 'q')]
    quiet: bool,
    /// Options set above too (marked *).
    #[arg(short = 'A')]
    inherited: bool,
    /// The session or window (default: the one used last).
    #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
    target: Option<Target>,
    /// Only this option.
    name: Option<String>,
}

/// `-s` or `-w` as a scope.
fn scope(server: bool, window: bool) -> Option<Scope> {
    match (server, window) {
        (true, _) => Some(Scope::Server),
        (_, true) => Some(Scope::Window),
        _ => None,
    }
}

impl SetArgs {
    fn into_request(self, scope: Option<Scope>) -> Request {
        Request::SetOption(control::SetOption {
            target: self.target,
            global: self.global,
            scope,
            unset: self.unset,
            only_if_unset: self.only_if_unset,
            quiet: self.quiet,
            name: self.name,
            value: self.value,
        })
    }
}

impl ShowArgs {
    fn into_request(self, scope: Option<Scope>) -> Request {
        Request::ShowOptions(control::ShowOptions {
            target: self.target,
            global: self.global,
            scope,
            value_only: self.value_only,
            quiet: self.quiet,
            inherited: self.inherited,
            name: self.name,
        })
    }
}

impl OptionCommand {
    pub fn into_request(self) -> Request {
        match self {
            OptionCommand::SetOption {
                server,
                window,
                set,
            } => set.into_request(scope(server, window)),
            OptionCommand::SetWindowOption { set } => set.into_request(Some(Scope::Window)),
            OptionCommand::ShowOptions {
                server,
                window,
                show,
            } => show.into_request(scope(server, window)),
            OptionCommand::ShowWindowOptions { show } => show.into_request(Some(Scope::Window)),
        }
    }
}

//! The environment commands (tmux's set-environment and show-environment), flattened
//! into [`super::Command`].

use crate::control::{self, Request};
use crate::environment::VariableChange;
use crate::target::Target;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum EnvironmentCommand {
    /// Set a variable in a session's environment (or with -g the global one, under
    /// every session's); panes started afterwards get it.
    #[command(visible_alias = "setenv")]
    SetEnvironment {
        /// The global environment.
        #[arg(short = 'g')]
        global: bool,
        /// Remove the variable from the panes' environment.
        #[arg(short = 'r', conflicts_with = "unset")]
        remove: bool,
        /// Unset it here: the global environment (or the daemon's) decides again.
        #[arg(short = 'u')]
        unset: bool,
        /// The session (default: the session used last).
        #[arg(short = 't', value_name = "SESSION", value_parser = Target::parse)]
        target: Option<Target>,
        /// The variable's name.
        name: String,
        /// Its value (required unless -r or -u).
        value: Option<String>,
    },
    /// Print a session's environment (or with -g the global one): NAME=VALUE, or -NAME
    /// for a variable removed from the panes' environment.
    #[command(visible_alias = "showenv")]
    ShowEnvironment {
        /// The global environment.
        #[arg(short = 'g')]
        global: bool,
        /// As lines a shell can eval (NAME="VALUE"; export NAME; or unset NAME;).
        #[arg(short = 's')]
        shell: bool,
        /// The session (default: the session used last).
        #[arg(short = 't', value_name = "SESSION", value_parser = Target::parse)]
        target: Option<Target>,
        /// Only this variable.
        name: Option<String>,
    },
}

impl EnvironmentCommand {
    pub fn into_request(self) -> Request {
        match self {
            EnvironmentCommand::SetEnvironment {
                global,
                remove,
                unset,
                target,
                name,
                value,
            } => Request::SetEnvironment(control::SetEnvironment {
                target,
                global,
                name,
                change: match (unset, remove, value) {
                    (true, _, _) => Some(VariableChange::Unset),
                    (_, true, _) => Some(VariableChange::Remove),
                    (_, _, value) => value.map(VariableChange::Set),
                },
            }),
            EnvironmentCommand::ShowEnvironment {
                global,
                shell,
                target,
                name,
            } => Request::ShowEnvironment(control::ShowEnvironment {
                target,
                global,
                shell,
                name,
            }),
        }
    }
}

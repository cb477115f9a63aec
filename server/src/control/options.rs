//! The requests for options (`cli/option_commands.rs` makes them, `mux/options.rs` runs
//! them). The option's name travels as typed: an unknown one is an error only without
//! `-q`, which the mux decides.

use crate::options::Scope;
use crate::target::Target;
use serde::{Deserialize, Serialize};

/// tmux's set-option (and set-window-option, which is set-option -w).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetOption {
    /// The session or window (`None`: the one used last); ignored with `global`.
    pub target: Option<Target>,
    /// `-g`: the global table, under every session's (or window's).
    pub global: bool,
    /// `-s` or `-w`: where a user option (`@name`) lives; a known option has its own.
    pub scope: Option<Scope>,
    /// `-u`: unset here, so the level above decides again.
    pub unset: bool,
    /// `-o`: refuse to change an option already set here.
    pub only_if_unset: bool,
    /// `-q`: say nothing about an unknown option.
    pub quiet: bool,
    pub name: String,
    pub value: Option<String>,
}

/// tmux's show-options (and show-window-options, which is show-options -w).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShowOptions {
    pub target: Option<Target>,
    pub global: bool,
    /// `-s` or `-w`: which table to list (and where a user option lives).
    pub scope: Option<Scope>,
    /// `-v`: the value alone.
    pub value_only: bool,
    /// `-q`: say nothing about an unknown option.
    pub quiet: bool,
    /// `-A`: options set above this level too, marked with `*`.
    pub inherited: bool,
    /// Only this option.
    pub name: Option<String>,
}

//! The requests for environments (`cli/environment.rs` makes them, `mux/environment.rs`
//! runs them).

use crate::environment::VariableChange;
use crate::target::Target;
use serde::{Deserialize, Serialize};

/// tmux's set-environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetEnvironment {
    /// The session (`None`: the session used last); ignored with `global`.
    pub target: Option<Target>,
    /// `-g`: the global environment, under every session's.
    pub global: bool,
    pub name: String,
    /// `None`: a value to set was not given, which is an error unless `-r` or `-u`.
    pub change: Option<VariableChange>,
}

/// tmux's show-environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShowEnvironment {
    /// The session (`None`: the session used last); ignored with `global`.
    pub target: Option<Target>,
    /// `-g`: the global environment.
    pub global: bool,
    /// `-s`: as lines a shell can `eval`.
    pub shell: bool,
    /// Only this variable.
    pub name: Option<String>,
}

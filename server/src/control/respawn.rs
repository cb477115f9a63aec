//! The requests that restart a pane's or a window's program (`cli/respawn.rs` makes
//! them).

use crate::target::Target;
use serde::{Deserialize, Serialize};

/// tmux's respawn-pane and respawn-window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Respawn {
    /// The pane (respawn-pane) or window (respawn-window); `None`: the active one of
    /// the session used last.
    pub target: Option<Target>,
    /// `-k`: end the running program first; without it a running program is refused.
    pub kill: bool,
    /// `-c`: the directory, a path or a format; `None`: where the program started.
    pub cwd: Option<String>,
    /// Empty: the command the pane was started (or last respawned) with.
    pub command: Vec<String>,
}

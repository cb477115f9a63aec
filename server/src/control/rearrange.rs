//! The requests that move panes and windows (`cli/rearrange.rs` makes them).

use super::Length;
pub use crate::layout::SplitPlacement;
use crate::target::Target;
use serde::{Deserialize, Serialize};

/// tmux's break-pane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakPane {
    /// `None`: the active pane of the session used last.
    pub source: Option<Target>,
    /// `SESSION` or `SESSION:INDEX` for the new window; `None`: the lowest free index of
    /// the pane's own session.
    pub target: Option<Target>,
    /// `-a`, `-b`: after or at the target window (the target session's current one if
    /// no index is given), moving the windows from there up one index.
    pub placement: Option<super::Placement>,
    pub name: Option<String>,
    pub detached: bool,
}

/// tmux's join-pane (and move-pane).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JoinPane {
    pub source: Target,
    /// `None`: the active pane of the session used last.
    pub target: Option<Target>,
    pub side_by_side: bool,
    pub size: Option<Length>,
    /// `-b`, `-f`.
    pub placement: SplitPlacement,
    pub detached: bool,
}

/// tmux's swap-window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwapWindow {
    /// `None`: the current window of the target's session.
    pub source: Option<Target>,
    pub target: Target,
}

/// tmux's move-window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoveWindow {
    /// `None`: the current window of the session used last.
    pub source: Option<Target>,
    /// `SESSION:INDEX` or `SESSION`; `None`: the source's session.
    pub target: Option<Target>,
    pub detached: bool,
    /// `-k`: a window already at the target index is killed to make room.
    pub kill: bool,
    pub renumber: bool,
}

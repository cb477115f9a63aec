//! Ids of sessions and panes, and pane sizes, shared by the terminal side (panes) and the
//! multiplexer side (layouts, targets).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A pane's id, `%N`: proto's type, because the same id names the pane in the client's
/// state, in the history store and here.
pub use moshmux_proto::PaneId;

/// A session's id, shown as `$N` as in tmux. Never reused within a daemon's life, so a
/// client attached to a session can never end up in another one that took its name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SessionId(pub u32);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}", self.0)
    }
}

/// A size in character cells (the terminal's own type, so a pane passes its size on;
/// `at_least_one_cell` is there too).
pub use moshmux_terminal::Size;

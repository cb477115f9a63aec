//! Names for panes and their sizes, shared by the terminal side (panes) and the
//! multiplexer side (layouts, targets).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A pane's id, shown as `%N` as in tmux. Ids are never reused, so `%N` names one pane
/// (and, once history lands, one pane's history) for good.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PaneId(pub u32);

impl fmt::Display for PaneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// A size in character cells.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Size {
    pub rows: u16,
    pub cols: u16,
}

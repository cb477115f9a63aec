//! The id that names one pane's history.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A pane's id, shown as `%N`. The server's counter never reuses one, not even across
/// restarts (see [`crate::HistoryStore::allocate_pane_uid`]), so a `PaneUid` names one
/// pane's history for good.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PaneUid(pub u32);

impl fmt::Display for PaneUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

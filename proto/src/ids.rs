//! Ids that every crate shares: the server names panes with them, the store keys history
//! by them, and the client draws and scrolls by them. One type each, so a pane id is never
//! mistaken for a window index or a count.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A pane's id, shown as `%N` as in tmux. The server's counter never reuses one, not even
/// across restarts (the history store hands out the numbers), so `%N` names one pane and
/// its history for good.
///
/// On the wire and on disk it is the bare number: serde encodes a newtype struct as its
/// inner value, so messages that carried a `u32` carry the same bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PaneId(pub u32);

impl fmt::Display for PaneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;

    /// The ids replaced bare numbers in wire messages: their encoding must be the
    /// number's, or old and new peers would not understand each other.
    #[test]
    fn ids_encode_as_their_numbers() {
        for id in [0, 1, 300, u32::MAX] {
            assert_eq!(codec::encode(&PaneId(id)), codec::encode(&id));
            assert_eq!(codec::decode::<PaneId>(&codec::encode(&id)), Ok(PaneId(id)));
        }
    }

    #[test]
    fn ids_read_as_tmux_writes_them() {
        assert_eq!(PaneId(3).to_string(), "%3");
    }
}

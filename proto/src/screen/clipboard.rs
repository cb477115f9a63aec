//! A copy a program made with OSC 52, on its way to the user's clipboard.
//!
//! A copy is an event, but the host state is a snapshot: the state holds the session's
//! newest copy with a number from a counter the server never reuses, and a client hands
//! on a copy whose number is above the highest it has seen. A client takes the numbers in
//! its first state as seen, so a copy made before it attached is not delivered again.

use serde::{Deserialize, Serialize};

/// Most bytes of one copy (decoded; 64 KiB of base64 as a program writes it), as the
/// pane keeps it.
pub const MAX_CLIPBOARD_BYTES: usize = 48 * 1024;
/// Most selection letters a copy names (`c`, `p`, `s`, `0`-`7`...).
pub const MAX_SELECTIONS: usize = 8;

/// The newest OSC 52 copy of a session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ClipboardWire")]
pub struct ClipboardCopy {
    /// Above the number of every copy (and bell) the server announced before.
    pub number: u64,
    /// OSC 52's selection letters as the program wrote them (`c` clipboard, `p` primary,
    /// `s` selection, `0`-`7` cut buffers; empty: the terminal's default).
    selections: String,
    /// What was copied (decoded from the program's base64).
    data: Vec<u8>,
}

/// The same fields as [`ClipboardCopy`], not yet checked.
#[derive(Deserialize)]
struct ClipboardWire {
    number: u64,
    selections: String,
    data: Vec<u8>,
}

/// Why a received copy is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClipboardError {
    #[error("a copy of {0} bytes exceeds {MAX_CLIPBOARD_BYTES}")]
    TooLarge(usize),
    #[error("a copy names a selection other than OSC 52's letters")]
    Selection,
}

impl ClipboardCopy {
    /// A copy of `data` for `selections`; `None` when either is out of bounds (a larger
    /// copy is dropped, as tmux drops one over its limit).
    pub fn new(number: u64, selections: &str, data: Vec<u8>) -> Option<ClipboardCopy> {
        ClipboardCopy::try_from(ClipboardWire {
            number,
            selections: selections.to_owned(),
            data,
        })
        .ok()
    }

    pub fn selections(&self) -> &str {
        &self.selections
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// OSC 52's selection letters: clipboard, primary, secondary, selection, cut buffers.
fn is_selection(c: char) -> bool {
    matches!(c, 'c' | 'p' | 'q' | 's' | '0'..='7')
}

impl TryFrom<ClipboardWire> for ClipboardCopy {
    type Error = ClipboardError;

    fn try_from(wire: ClipboardWire) -> Result<Self, ClipboardError> {
        if wire.data.len() > MAX_CLIPBOARD_BYTES {
            return Err(ClipboardError::TooLarge(wire.data.len()));
        }
        if wire.selections.len() > MAX_SELECTIONS || !wire.selections.chars().all(is_selection) {
            return Err(ClipboardError::Selection);
        }
        Ok(ClipboardCopy {
            number: wire.number,
            selections: wire.selections,
            data: wire.data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;

    #[test]
    fn copies_out_of_bounds_are_refused_on_both_sides() {
        let copy = ClipboardCopy::new(3, "c", b"text".to_vec()).expect("a copy");
        assert_eq!(codec::decode(&codec::encode(&copy)), Ok(copy));
        assert!(ClipboardCopy::new(3, "c", vec![b'a'; MAX_CLIPBOARD_BYTES + 1]).is_none());
        assert!(ClipboardCopy::new(3, "c\x07", Vec::new()).is_none());
        assert!(ClipboardCopy::new(3, "ccccccccc", Vec::new()).is_none());
        let forged = (3u64, "\x1b]", b"x".to_vec());
        assert!(codec::decode::<ClipboardCopy>(&codec::encode(&forged)).is_err());
        let large = (3u64, "", vec![0u8; MAX_CLIPBOARD_BYTES + 1]);
        assert!(codec::decode::<ClipboardCopy>(&codec::encode(&large)).is_err());
    }
}

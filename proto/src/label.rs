//! Short text that a program or a user chose: a pane title, a window or session name, a
//! notice.
//!
//! Such text ends up in the client's terminal (a title becomes an OSC sequence, a name
//! lands in the status line), so it must never carry control characters that could start
//! an escape sequence there, and a peer must not make us hold megabytes of it. A [`Label`]
//! is cut and cleaned when it is made, so every state we build is one the peer accepts;
//! decoding refuses what construction would have changed, so a bad peer is noticed.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// Longest label in bytes: room for any title a shell or editor sets in practice.
pub const MAX_LABEL_LEN: usize = 1024;

/// Text cut to [`MAX_LABEL_LEN`] bytes, with control characters replaced by U+FFFD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Label(String);

/// Why received text is not a valid [`Label`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("label of {0} bytes exceeds {MAX_LABEL_LEN}")]
    TooLong(usize),
    #[error("label contains a control character")]
    ControlCharacter,
}

impl Label {
    pub fn new(text: &str) -> Self {
        let mut label = String::with_capacity(text.len().min(MAX_LABEL_LEN));
        for c in text.chars() {
            let c = if c.is_control() { '\u{fffd}' } else { c };
            if label.len() + c.len_utf8() > MAX_LABEL_LEN {
                break;
            }
            label.push(c);
        }
        Label(label)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Label {
    type Error = LabelError;

    fn try_from(text: String) -> Result<Self, LabelError> {
        if text.len() > MAX_LABEL_LEN {
            return Err(LabelError::TooLong(text.len()));
        }
        if text.chars().any(char::is_control) {
            return Err(LabelError::ControlCharacter);
        }
        Ok(Label(text))
    }
}

impl From<&str> for Label {
    fn from(text: &str) -> Self {
        Label::new(text)
    }
}

impl Deref for Label {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a session name may be, in words, for the errors that refuse one.
pub const SESSION_NAME_RULE: &str =
    "names are not empty, have no ':' or '.', and do not start with '%'";

/// Whether `name` can name a session: target syntax (`SESSION:WINDOW.PANE`, `%ID`) must
/// reach it. The server refuses other names, and the client checks before it starts
/// anything, so a typo costs no SSH round trip.
pub fn is_session_name(name: &str) -> bool {
    !(name.is_empty() || name.contains([':', '.']) || name.starts_with('%'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;
    use proptest::prelude::*;

    proptest! {
        /// Whatever text a program sets, the label made from it survives the trip to the
        /// peer unchanged.
        #[test]
        fn any_text_makes_a_label_the_peer_accepts(text: String) {
            let label = Label::new(&text);
            prop_assert!(label.len() <= MAX_LABEL_LEN);
            prop_assert_eq!(codec::decode::<Label>(&codec::encode(&label)), Ok(label));
        }
    }

    #[test]
    fn session_names_are_those_a_target_reaches() {
        for name in ["work", "0", "my work", "a%b", "日本"] {
            assert!(is_session_name(name), "{name}");
        }
        for name in ["", "a:b", "a.b", "%1", ":"] {
            assert!(!is_session_name(name), "{name}");
        }
    }

    #[test]
    fn escape_sequences_are_defused() {
        let label = Label::new("a\x1b]0;evil\x07b");
        assert_eq!(label.as_str(), "a\u{fffd}]0;evil\u{fffd}b");
        assert!(codec::decode::<Label>(&codec::encode(&"a\x1bb")).is_err());
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let label = Label::new(&"é".repeat(MAX_LABEL_LEN));
        assert_eq!(label.len(), MAX_LABEL_LEN);
        assert!(codec::decode::<Label>(&codec::encode(&"x".repeat(MAX_LABEL_LEN + 1))).is_err());
    }
}

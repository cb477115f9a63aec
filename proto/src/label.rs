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

/// Longest session or window name, in bytes: far more than a status line shows, little
/// enough that `ls` and error lines stay readable.
pub const MAX_NAME_LEN: usize = 256;

/// What a session name may be, in words, for the errors that refuse one.
pub const SESSION_NAME_RULE: &str = "names are 1 to 256 bytes without control characters, \
     have no ':' or '.', and do not start with '%'";

/// What a window name may be, in words.
pub const WINDOW_NAME_RULE: &str = "names are 1 to 256 bytes without control characters";

/// Whether `name` can name a session: target syntax (`SESSION:WINDOW.PANE`, `%ID`) must
/// reach it, and printing it (`ls`, the status line) must not drive the terminal. The
/// server refuses other names, and the client checks before it starts anything, so a
/// typo costs no SSH round trip.
pub fn is_session_name(name: &str) -> bool {
    is_window_name(name) && !(name.contains([':', '.']) || name.starts_with('%'))
}

/// Whether `name` can name a window: printable, and short.
pub fn is_window_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME_LEN && !name.chars().any(char::is_control)
}

/// `text` made safe to print on a user's terminal, as tmux prints names with `vis`:
/// control characters become C escapes (`\n`, `\t`, `\r`) or octal ones of their UTF-8
/// bytes (`\033` for ESC, `\302\233` for CSI), so nothing printed can move the cursor,
/// change colours or set a title; and it is cut after `max_chars` characters with `...`.
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars));
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push_str("...");
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut bytes = [0; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("\\{byte:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out
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
    fn names_with_control_characters_or_over_the_length_are_refused() {
        for name in [
            "a\x1b[31mb",
            "bell\x07",
            "cr\r",
            "back\x08",
            "csi\u{9b}2J",
            "del\x7f",
        ] {
            assert!(!is_session_name(name), "{name:?}");
            assert!(!is_window_name(name), "{name:?}");
        }
        assert!(is_session_name(&"n".repeat(MAX_NAME_LEN)));
        assert!(!is_session_name(&"n".repeat(MAX_NAME_LEN + 1)));
        assert!(!is_window_name(&"n".repeat(100_000)));
        assert!(is_window_name("a:b.c"));
    }

    #[test]
    fn printable_text_carries_no_control_character_and_is_cut() {
        assert_eq!(
            printable("a\x1b]0;x\x07\tb\n", 100),
            "a\\033]0;x\\007\\tb\\n"
        );
        assert_eq!(printable("csi\u{9b}", 100), "csi\\302\\233");
        assert_eq!(printable("日本語", 2), "日本...");
        assert_eq!(printable("abc", 3), "abc");
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

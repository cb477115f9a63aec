//! The options a client applies over its own config file: tmux's session and server
//! options that act on the client's side of the link (the prefix, the status line, the
//! mouse, bells, titles, the clipboard, the scroll view's keys), as `set-option` set them at run time.
//!
//! The server keeps tmux's option tree (`server/src/options`) and sends each client of a
//! session the values set for it, the session's own over the global ones. A value not set
//! at run time is `None`: the client keeps what its config file (or the built-in default,
//! which is tmux's) says, since that file lives on the user's device, not on the host.
//! The server and the client parse the names and values with the types here, so `set -g
//! bell-action other` and `bell-action = "other"` in the file share one vocabulary.

use serde::{Deserialize, Serialize};
use std::fmt;

/// tmux's `bell-action`: which windows' bells ring the terminal's bell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum BellAction {
    /// A bell in any window of the session.
    #[default]
    Any,
    /// None at all.
    None,
    /// Only in the window shown.
    Current,
    /// Only in the windows not shown.
    Other,
}

/// tmux's `set-clipboard`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum SetClipboard {
    /// Programs' OSC 52 copies and the scroll view's copies both reach the terminal.
    On,
    /// Only the scroll view's copies do (tmux's default: a program cannot set the
    /// user's clipboard unless the user allows it).
    #[default]
    External,
    /// Neither.
    Off,
}

/// tmux's `mode-keys`: which key table the scroll view (tmux's copy mode) reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ModeKeys {
    /// copy-mode-vi's keys. The default here, unlike tmux's `emacs`: the scroll view had
    /// only these before the option existed, and tmux itself picks vi whenever
    /// `$VISUAL` or `$EDITOR` names a vi.
    #[default]
    Vi,
    /// copy-mode's (emacs) keys.
    Emacs,
}

/// A prefix key: a control key, sent by the terminal as one byte. tmux takes any key;
/// here a prefix must be a byte the client can tell apart without a timeout, and neither
/// Escape (`C-[`, which starts arrow keys) nor mosh's escape `C-^` (`C-^ .` always quits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixKey(u8);

/// tmux's prefix, C-b.
pub const DEFAULT_PREFIX: PrefixKey = PrefixKey(0x02);
/// mosh's escape key, C-^.
pub const ESCAPE_KEY: u8 = 0x1e;
const ESC: u8 = 0x1b;

/// What a prefix may be, for error lines.
pub const PREFIX_KEYS: &str = "a control key C-a to C-z, C-@, C-\\, C-] or C-_";

impl PrefixKey {
    /// `C-a` (or tmux's other spelling, `^a`), as tmux and the config file write it.
    pub fn parse(text: &str) -> Option<PrefixKey> {
        match control_byte(text)? {
            ESC | ESCAPE_KEY => None,
            byte => Some(PrefixKey(byte)),
        }
    }

    /// The byte the terminal sends for it; `None` for one that cannot be a prefix (a
    /// peer may send any byte).
    pub fn from_byte(byte: u8) -> Option<PrefixKey> {
        (byte < 0x20 && byte != ESC && byte != ESCAPE_KEY).then_some(PrefixKey(byte))
    }

    pub const fn byte(self) -> u8 {
        self.0
    }
}

/// tmux's names for control keys: `C-a`, `C-Space` for NUL, `C-\` and so on.
impl fmt::Display for PrefixKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("C-Space"),
            byte @ 1..=26 => write!(f, "C-{}", char::from(byte - 1 + b'a')),
            byte => write!(f, "C-{}", char::from(byte + b'@')),
        }
    }
}

/// The byte of a control key written `C-x` or `^x`: a letter (either case), or one of
/// `@[\]^_`, or `Space` (NUL, as tmux names it).
pub fn control_byte(text: &str) -> Option<u8> {
    let key = text.strip_prefix("C-").or_else(|| text.strip_prefix('^'))?;
    match key.as_bytes() {
        b"Space" => Some(0),
        [letter] if letter.is_ascii_alphabetic() => Some(letter.to_ascii_lowercase() - b'a' + 1),
        [symbol @ (b'@' | b'[' | b'\\' | b']' | b'^' | b'_')] => Some(symbol - b'@'),
        _ => None,
    }
}

/// The options set at run time for a client's session (the session's own value, else the
/// global one); `None`: not set, the client's config file decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientOptions {
    pub prefix: Option<PrefixKey>,
    /// tmux's `status`: the status line is drawn.
    pub status: Option<bool>,
    pub mouse: Option<bool>,
    pub set_titles: Option<bool>,
    pub bell_action: Option<BellAction>,
    pub set_clipboard: Option<SetClipboard>,
    /// tmux's `mode-keys`, a window option: the global value under the session's active
    /// window's own.
    pub mode_keys: Option<ModeKeys>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_keys_read_and_print_as_tmux_names_them() {
        for (text, byte, shown) in [
            ("C-a", 0x01, "C-a"),
            ("C-A", 0x01, "C-a"),
            ("^b", 0x02, "C-b"),
            ("C-z", 0x1a, "C-z"),
            ("C-Space", 0x00, "C-Space"),
            ("C-@", 0x00, "C-Space"),
            ("C-\\", 0x1c, "C-\\"),
            ("C-]", 0x1d, "C-]"),
            ("C-_", 0x1f, "C-_"),
        ] {
            let key = PrefixKey::parse(text).unwrap_or_else(|| panic!("{text} refused"));
            assert_eq!(
                (key.byte(), key.to_string().as_str()),
                (byte, shown),
                "{text}"
            );
            assert_eq!(PrefixKey::from_byte(byte), Some(key));
        }
    }

    #[test]
    fn escape_mosh_escape_and_other_keys_are_never_a_prefix() {
        for text in ["C-[", "C-^", "^[", "a", "C-", "C-ab", "F12", "M-a", ""] {
            assert_eq!(PrefixKey::parse(text), None, "{text}");
        }
        for byte in [ESC, ESCAPE_KEY, b'a', 0x7f, 0x80] {
            assert_eq!(PrefixKey::from_byte(byte), None, "{byte}");
        }
    }
}

//! tmux `send-keys` key names, turned into the bytes xterm sends for those keys.
//!
//! Names are matched without regard to case, as tmux does. Modifier prefixes `C-`, `M-`
//! and `S-` (and `^x` for `C-x`) combine in any order. A word that is not a key name is
//! sent as literal text, also as tmux does; `send-keys -l` skips the lookup altogether
//! (the caller handles that).

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// A key name with modifiers that no terminal byte sequence expresses, like `C-%`.
    #[error("key \"{}\" has no byte sequence a terminal could send", crate::target::quoted(.0))]
    Unencodable(String),
}

#[derive(Clone, Copy, Default)]
struct Modifiers {
    shift: bool,
    meta: bool,
    ctrl: bool,
}

impl Modifiers {
    fn any(self) -> bool {
        self.shift || self.meta || self.ctrl
    }

    /// xterm's modifier parameter: 1 plus shift 1, alt 2, control 4.
    fn xterm_parameter(self) -> u8 {
        1 + u8::from(self.shift) + 2 * u8::from(self.meta) + 4 * u8::from(self.ctrl)
    }
}

/// How a special key is encoded.
#[derive(Clone, Copy)]
enum Special {
    /// A fixed byte, e.g. Enter's CR.
    Byte(u8),
    /// `CSI X` normally, `SS3 X` in application cursor mode, `CSI 1;m X` with modifiers.
    Cursor(u8),
    /// `SS3 X` normally, `CSI 1;m X` with modifiers (F1-F4).
    Ss3(u8),
    /// `CSI n ~`, `CSI n;m ~` with modifiers.
    Tilde(u8),
    /// Shift-Tab: `CSI Z`.
    BackTab,
}

fn special(name: &str) -> Option<Special> {
    const NAMES: &[(&str, Special)] = &[
        ("Enter", Special::Byte(b'\r')),
        ("Escape", Special::Byte(0x1b)),
        ("Tab", Special::Byte(b'\t')),
        ("BTab", Special::BackTab),
        ("BSpace", Special::Byte(0x7f)),
        ("Space", Special::Byte(b' ')),
        ("Up", Special::Cursor(b'A')),
        ("Down", Special::Cursor(b'B')),
        ("Right", Special::Cursor(b'C')),
        ("Left", Special::Cursor(b'D')),
        ("Home", Special::Cursor(b'H')),
        ("End", Special::Cursor(b'F')),
        ("IC", Special::Tilde(2)),
        ("Insert", Special::Tilde(2)),
        ("DC", Special::Tilde(3)),
        ("Delete", Special::Tilde(3)),
        ("PageUp", Special::Tilde(5)),
        ("PgUp", Special::Tilde(5)),
        ("PPage", Special::Tilde(5)),
        ("PageDown", Special::Tilde(6)),
        ("PgDn", Special::Tilde(6)),
        ("NPage", Special::Tilde(6)),
        ("F1", Special::Ss3(b'P')),
        ("F2", Special::Ss3(b'Q')),
        ("F3", Special::Ss3(b'R')),
        ("F4", Special::Ss3(b'S')),
        ("F5", Special::Tilde(15)),
        ("F6", Special::Tilde(17)),
        ("F7", Special::Tilde(18)),
        ("F8", Special::Tilde(19)),
        ("F9", Special::Tilde(20)),
        ("F10", Special::Tilde(21)),
        ("F11", Special::Tilde(23)),
        ("F12", Special::Tilde(24)),
    ];
    NAMES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, key)| *key)
}

/// The bytes for one `send-keys` argument. `application_cursor` is the pane's DECCKM
/// mode: full-screen programs turn it on and then expect `ESC O A` for Up.
pub fn key_bytes(name: &str, application_cursor: bool) -> Result<Vec<u8>, KeyError> {
    if let Some(key) = special(name) {
        return Ok(special_bytes(key, Modifiers::default(), application_cursor));
    }
    let (modifiers, base) = split_modifiers(name);
    if !modifiers.any() {
        return Ok(name.as_bytes().to_vec());
    }
    if let Some(key) = special(base) {
        return Ok(special_bytes(key, modifiers, application_cursor));
    }
    let mut chars = base.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => {
            modified_char(c, modifiers).ok_or_else(|| KeyError::Unencodable(name.to_owned()))
        }
        // Not a key name after all ("C-foo", "M-"): literal text, as tmux sends it.
        _ => Ok(name.as_bytes().to_vec()),
    }
}

/// Strips modifier prefixes; the last character is never taken as one, so `C--` is
/// Control with `-` and `^` alone is the character `^`.
fn split_modifiers(name: &str) -> (Modifiers, &str) {
    let mut modifiers = Modifiers::default();
    let mut rest = name;
    loop {
        let bytes = rest.as_bytes();
        match bytes {
            [m, b'-', _, ..] => match m.to_ascii_uppercase() {
                b'C' => modifiers.ctrl = true,
                b'M' => modifiers.meta = true,
                b'S' => modifiers.shift = true,
                _ => return (modifiers, rest),
            },
            [b'^', _, ..] => {
                modifiers.ctrl = true;
                rest = rest.get(1..).unwrap_or_default();
                continue;
            }
            _ => return (modifiers, rest),
        }
        rest = rest.get(2..).unwrap_or_default();
    }
}

fn special_bytes(key: Special, modifiers: Modifiers, application_cursor: bool) -> Vec<u8> {
    let parameter = modifiers.xterm_parameter();
    match key {
        Special::Cursor(letter) if modifiers.any() => {
            format!("\x1b[1;{parameter}{}", letter as char).into_bytes()
        }
        Special::Cursor(letter) if application_cursor => vec![0x1b, b'O', letter],
        Special::Cursor(letter) => vec![0x1b, b'[', letter],
        Special::Ss3(letter) if modifiers.any() => {
            format!("\x1b[1;{parameter}{}", letter as char).into_bytes()
        }
        Special::Ss3(letter) => vec![0x1b, b'O', letter],
        Special::Tilde(number) if modifiers.any() => {
            format!("\x1b[{number};{parameter}~").into_bytes()
        }
        Special::Tilde(number) => format!("\x1b[{number}~").into_bytes(),
        Special::BackTab => with_meta(b"\x1b[Z".to_vec(), modifiers.meta),
        Special::Byte(b'\t') if modifiers.shift => with_meta(b"\x1b[Z".to_vec(), modifiers.meta),
        Special::Byte(b' ') if modifiers.ctrl => with_meta(vec![0], modifiers.meta),
        Special::Byte(0x7f) if modifiers.ctrl => with_meta(vec![0x08], modifiers.meta),
        Special::Byte(byte) => with_meta(vec![byte], modifiers.meta),
    }
}

/// A character with modifiers, in the legacy encoding every terminal understands: Control
/// maps to the C0 code, Meta adds an ESC prefix, Shift capitalises.
fn modified_char(c: char, modifiers: Modifiers) -> Option<Vec<u8>> {
    let c = if modifiers.shift {
        c.to_ascii_uppercase()
    } else {
        c
    };
    let bytes = if modifiers.ctrl {
        vec![control_code(c)?]
    } else {
        c.to_string().into_bytes()
    };
    Some(with_meta(bytes, modifiers.meta))
}

/// The C0 code xterm sends for Control with `c`, including its digit aliases.
fn control_code(c: char) -> Option<u8> {
    Some(match c {
        'a'..='z' | 'A'..='Z' => c.to_ascii_uppercase() as u8 & 0x1f,
        '@' | ' ' | '2' => 0x00,
        '[' | '3' => 0x1b,
        '\\' | '4' => 0x1c,
        ']' | '5' => 0x1d,
        '^' | '6' | '~' => 0x1e,
        '_' | '7' | '/' => 0x1f,
        '?' | '8' => 0x7f,
        _ => return None,
    })
}

fn with_meta(bytes: Vec<u8>, meta: bool) -> Vec<u8> {
    if meta {
        let mut prefixed = vec![0x1b];
        prefixed.extend(bytes);
        prefixed
    } else {
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Vec<u8> {
        key_bytes(name, false).unwrap_or_else(|error| panic!("{name}: {error}"))
    }

    #[test]
    fn named_keys_send_xterm_bytes() {
        assert_eq!(key("Enter"), b"\r");
        assert_eq!(key("Escape"), b"\x1b");
        assert_eq!(key("Tab"), b"\t");
        assert_eq!(key("BTab"), b"\x1b[Z");
        assert_eq!(key("BSpace"), b"\x7f");
        assert_eq!(key("Space"), b" ");
        assert_eq!(key("Up"), b"\x1b[A");
        assert_eq!(key("Down"), b"\x1b[B");
        assert_eq!(key("Right"), b"\x1b[C");
        assert_eq!(key("Left"), b"\x1b[D");
        assert_eq!(key("Home"), b"\x1b[H");
        assert_eq!(key("End"), b"\x1b[F");
        assert_eq!(key("IC"), b"\x1b[2~");
        assert_eq!(key("Insert"), b"\x1b[2~");
        assert_eq!(key("DC"), b"\x1b[3~");
        assert_eq!(key("Delete"), b"\x1b[3~");
        assert_eq!(key("PageUp"), b"\x1b[5~");
        assert_eq!(key("PPage"), b"\x1b[5~");
        assert_eq!(key("PageDown"), b"\x1b[6~");
        assert_eq!(key("NPage"), b"\x1b[6~");
        assert_eq!(key("enter"), b"\r");
    }

    #[test]
    fn function_keys() {
        let expected: [&[u8]; 12] = [
            b"\x1bOP",
            b"\x1bOQ",
            b"\x1bOR",
            b"\x1bOS",
            b"\x1b[15~",
            b"\x1b[17~",
            b"\x1b[18~",
            b"\x1b[19~",
            b"\x1b[20~",
            b"\x1b[21~",
            b"\x1b[23~",
            b"\x1b[24~",
        ];
        for (number, bytes) in (1..=12).zip(expected) {
            assert_eq!(key(&format!("F{number}")), bytes, "F{number}");
        }
    }

    #[test]
    fn application_cursor_mode_changes_arrows_only() {
        let app = |name| key_bytes(name, true).unwrap_or_default();
        assert_eq!(app("Up"), b"\x1bOA");
        assert_eq!(app("Left"), b"\x1bOD");
        assert_eq!(app("Home"), b"\x1bOH");
        assert_eq!(app("End"), b"\x1bOF");
        assert_eq!(app("PageUp"), b"\x1b[5~");
        assert_eq!(app("C-Up"), b"\x1b[1;5A");
    }

    #[test]
    fn control_keys() {
        assert_eq!(key("C-a"), [0x01]);
        assert_eq!(key("C-c"), [0x03]);
        assert_eq!(key("C-C"), [0x03]);
        assert_eq!(key("c-z"), [0x1a]);
        assert_eq!(key("^c"), [0x03]);
        assert_eq!(key("C-@"), [0x00]);
        assert_eq!(key("C-Space"), [0x00]);
        assert_eq!(key("C-["), [0x1b]);
        assert_eq!(key("C-\\"), [0x1c]);
        assert_eq!(key("C-]"), [0x1d]);
        assert_eq!(key("C-^"), [0x1e]);
        assert_eq!(key("C-_"), [0x1f]);
        assert_eq!(key("C-?"), [0x7f]);
        assert_eq!(key("C-BSpace"), [0x08]);
    }

    #[test]
    fn meta_and_combinations() {
        assert_eq!(key("M-x"), b"\x1bx");
        assert_eq!(key("M-C-x"), [0x1b, 0x18]);
        assert_eq!(key("C-M-x"), [0x1b, 0x18]);
        assert_eq!(key("M-Enter"), b"\x1b\r");
        assert_eq!(key("M--"), b"\x1b-");
        assert_eq!(key("S-a"), b"A");
        assert_eq!(key("S-Tab"), b"\x1b[Z");
        assert_eq!(key("M-Up"), b"\x1b[1;3A");
        assert_eq!(key("S-Up"), b"\x1b[1;2A");
        assert_eq!(key("C-S-Right"), b"\x1b[1;6C");
        assert_eq!(key("C-F5"), b"\x1b[15;5~");
        assert_eq!(key("S-F1"), b"\x1b[1;2P");
        assert_eq!(key("M-DC"), b"\x1b[3;3~");
    }

    #[test]
    fn other_words_are_literal_text() {
        assert_eq!(key("hello"), b"hello");
        assert_eq!(key("echo hi"), b"echo hi");
        assert_eq!(key("C-foo"), b"C-foo");
        assert_eq!(key("M-"), b"M-");
        assert_eq!(key("^"), b"^");
        assert_eq!(key("x"), b"x");
        assert_eq!(key("é"), "é".as_bytes());
        assert_eq!(key(""), b"");
    }

    #[test]
    fn control_with_a_character_it_cannot_encode_is_an_error() {
        assert_eq!(
            key_bytes("C-%", false),
            Err(KeyError::Unencodable("C-%".to_owned()))
        );
        assert_eq!(
            key_bytes("C-é", false),
            Err(KeyError::Unencodable("C-é".to_owned()))
        );
    }
}

//! The keys prediction understands, read from the tokenizer's tokens. Anything else is
//! `Other`: its effect on the screen is unknown, so prediction waits for the server.

use crate::input::{Kind, NamedKey, Token};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character, combining marks included.
    Char(char),
    Backspace,
    Left,
    Right,
    /// CR or LF: the line goes to the program, and what comes next is anyone's guess.
    Enter,
    Other,
}

impl Key {
    /// What `token` is to a line editor: cursor left and right in both forms (`ESC [ D`,
    /// and `ESC O D` in application cursor mode), Alt keys, pastes, mouse reports and
    /// bytes cut by a read are `Other`, and guessing nothing is always safe.
    pub fn of(token: &Token) -> Key {
        match token.kind {
            Kind::Char(c) => Key::Char(c),
            Kind::Control(b'\r' | b'\n') => Key::Enter,
            Kind::Control(0x7f | 0x08) => Key::Backspace,
            Kind::Key(Some(NamedKey::Right)) => Key::Right,
            Kind::Key(Some(NamedKey::Left)) => Key::Left,
            _ => Key::Other,
        }
    }
}

#[cfg(test)]
pub(super) fn parse(bytes: &[u8]) -> Vec<Key> {
    crate::input::tests::tokens(bytes)
        .iter()
        .map(Key::of)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_tokens() {
        use Key::*;
        assert_eq!(
            parse("aü日\u{303}\x7f\x08\r\n\t".as_bytes()),
            [
                Char('a'),
                Char('ü'),
                Char('日'),
                Char('\u{303}'),
                Backspace,
                Backspace,
                Enter,
                Enter,
                Other
            ]
        );
        assert_eq!(
            parse(b"\x1b[C\x1b[D\x1bOC\x1bOD\x1b[A\x1b[1;5Cx\x1b[200~\x1b[201~\x1bb\x1b"),
            [
                Right,
                Left,
                Right,
                Left,
                Other,
                Other,
                Char('x'),
                Other,
                Other,
                Other
            ]
        );
        // A cut character guesses nothing; invalid bytes neither.
        assert_eq!(parse(&[b'a', 0xc3]), [Char('a'), Other]);
        assert_eq!(parse(&[0xff, b'b']), [Other, Char('b')]);
    }
}

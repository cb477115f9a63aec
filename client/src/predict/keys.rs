//! The keys prediction understands, read from the bytes the user typed. Anything else is
//! `Other`: its effect on the screen is unknown, so prediction waits for the server.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    /// A printable character, combining marks included.
    Char(char),
    Backspace,
    Left,
    Right,
    /// CR or LF: the line goes to the program, and what comes next is anyone's guess.
    Enter,
    Other,
}

const ESC: u8 = 0x1b;

/// The keys in `bytes`, in order. An escape sequence or UTF-8 character cut at the end of
/// the read is `Other`: a terminal sends a key in one write, so a cut one is rare, and
/// guessing nothing is always safe.
pub(super) fn parse(bytes: &[u8]) -> Vec<Key> {
    let mut keys = Vec::new();
    let mut rest = bytes;
    while let Some(&first) = rest.first() {
        let (key, len) = match first {
            b'\r' | b'\n' => (Key::Enter, 1),
            0x7f | 0x08 => (Key::Backspace, 1),
            ESC => escape(rest),
            0..=0x1f => (Key::Other, 1),
            _ => character(rest),
        };
        keys.push(key);
        rest = rest.get(len..).unwrap_or_default();
    }
    keys
}

/// Cursor left and right in both forms (`ESC [ D`, and `ESC O D` in application cursor
/// mode); any other sequence is skipped whole.
fn escape(bytes: &[u8]) -> (Key, usize) {
    match bytes.get(1) {
        Some(b'[') => {
            // Parameters and intermediates, then one final byte in 0x40..=0x7e.
            let end = bytes[2..]
                .iter()
                .position(|b| (0x40..=0x7e).contains(b))
                .map_or(bytes.len(), |i| i + 3);
            let key = match &bytes[2..end] {
                b"C" => Key::Right,
                b"D" => Key::Left,
                _ => Key::Other,
            };
            (key, end)
        }
        Some(b'O') => match bytes.get(2) {
            Some(b'C') => (Key::Right, 3),
            Some(b'D') => (Key::Left, 3),
            Some(_) => (Key::Other, 3),
            None => (Key::Other, 2),
        },
        // Alt with a key, or a lone escape.
        Some(_) => (Key::Other, 2),
        None => (Key::Other, 1),
    }
}

fn character(bytes: &[u8]) -> (Key, usize) {
    let len = match bytes[0] {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return (Key::Other, 1),
    };
    let decoded = bytes
        .get(..len)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.chars().next());
    match decoded {
        Some(c) if !c.is_control() => (Key::Char(c), len),
        _ => (Key::Other, len.min(bytes.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_bytes() {
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
            parse(b"\x1b[C\x1b[D\x1bOC\x1bOD\x1b[A\x1b[1;5Cx\x1b[200~\x1bb\x1b"),
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

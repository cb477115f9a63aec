//! The one reader of what the user's terminal sends: raw bytes in, tokens out (characters,
//! control keys, the Escape key, Alt with a character, function keys, mouse reports and
//! bracketed pastes), each with the exact bytes it came as.
//!
//! Bindings, the scroll view, prediction and the mouse all read these tokens, so there is
//! one escape parser and one rule for where a key ends. A terminal writes a key, a report
//! or a paste piece in one go, so:
//! - an ESC that ends a read is the Escape key, at once (it never waits for a next byte);
//! - bytes that can only be the start of something longer (`ESC [`, a mouse report, a
//!   UTF-8 character, a paste's end marker cut by the end of a read) wait for the next
//!   read, at most [`PARTIAL_WAIT`], then count as what they are alone.
//!
//! A pure state machine, like the rest of the client core: time comes in as `now`.

use moshmux_proto::user::Direction;
use std::time::{Duration, Instant};

pub const ESC: u8 = 0x1b;
/// How long the start of a sequence cut by the end of a read waits for its rest: a
/// terminal's next write follows at once, a person's next key does not.
pub const PARTIAL_WAIT: Duration = Duration::from_millis(50);
/// Longest control sequence read as one; longer ones are malformed and end there.
const MAX_SEQUENCE: usize = 32;
/// Bracketed paste markers: the terminal sends them around a paste when the focused pane
/// asked for them (the renderer mirrors the mode).
pub const PASTE_START: &[u8] = b"\x1b[200~";
pub const PASTE_END: &[u8] = b"\x1b[201~";

/// One key, report or paste piece, and the bytes it came as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// What the terminal sent: what the focused pane gets when the token is its.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A printable character, space included.
    Char(char),
    /// A C0 control byte or DEL (ESC excepted): Enter, Backspace, Tab, C-a...
    Control(u8),
    /// The Escape key.
    Escape,
    /// ESC and a character: the character with Alt (Meta).
    Alt(char),
    /// A function key's sequence (`ESC [` ... or `ESC O` ...): `Some` for the keys the
    /// client itself reads, unmodified; `None` for any other.
    Key(Option<NamedKey>),
    Mouse(Report),
    /// The terminal gained (`true`, `CSI I`) or lost (`CSI O`) the focus: it reports that
    /// while asked to (DECSET 1004, which the renderer mirrors from the focused pane).
    Focus(bool),
    /// A piece of a bracketed paste, its markers included: never a binding.
    Paste,
    /// Bytes that are nothing above: malformed UTF-8, a cut or malformed sequence.
    Other,
}

/// The function keys some part of the client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedKey {
    Up,
    Down,
    Right,
    Left,
    Home,
    End,
    PageUp,
    PageDown,
    ShiftPageUp,
    ShiftPageDown,
    /// An arrow with Ctrl (`CSI 1;5 A`) or Alt (`CSI 1;3 A`), as xterm sends them.
    CtrlArrow(Direction),
    AltArrow(Direction),
}

/// One mouse report, in SGR's numbering: `button` holds the button (low two bits, 3 for a
/// legacy release), the modifiers (4, 8, 16), motion (32) and the wheel (64); `x` and `y`
/// are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub button: u32,
    pub x: u32,
    pub y: u32,
    pub release: bool,
}

impl Token {
    /// The byte, when the token is one ASCII byte (a prefix key, `y`, `.`).
    pub fn byte(&self) -> Option<u8> {
        match (self.kind, self.bytes.as_slice()) {
            (Kind::Char(_) | Kind::Control(_), [byte]) => Some(*byte),
            _ => None,
        }
    }
}

/// What the bytes at the start of the input are.
enum Read {
    /// A whole token of this many bytes.
    Token(Kind, usize),
    /// They can still become something longer: wait for more.
    Incomplete,
}

#[derive(Debug, Default)]
pub struct Tokenizer {
    /// Bytes that began a token the last read cut, and when they started waiting.
    held: Vec<u8>,
    held_since: Option<Instant>,
    /// Inside a bracketed paste.
    pasting: bool,
    /// Legacy mouse reports carry their numbers as UTF-8 characters (mode 1005, which the
    /// focused pane may have asked for and the renderer mirrors).
    utf8_mouse: bool,
}

impl Tokenizer {
    /// Reads legacy mouse reports as mode 1005 (UTF-8) encodes them, or not.
    pub fn set_utf8_mouse(&mut self, on: bool) {
        self.utf8_mouse = on;
    }

    /// When bytes held from a cut read are to be taken as they are.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.held_since.map(|since| since + PARTIAL_WAIT)
    }

    /// The held bytes, once they waited long enough, as the tokens they are alone.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Token> {
        match self.poll_timeout() {
            Some(due) if now >= due => self.flush(),
            _ => Vec::new(),
        }
    }

    /// The tokens in one read (after anything held from the one before).
    pub fn feed(&mut self, bytes: &[u8], now: Instant) -> Vec<Token> {
        let mut input = std::mem::take(&mut self.held);
        input.extend_from_slice(bytes);
        let mut tokens = Vec::new();
        let mut at = 0;
        while at < input.len() {
            let rest = &input[at..];
            let read = if self.pasting {
                paste(rest)
            } else {
                read(rest, self.utf8_mouse)
            };
            match read {
                Read::Token(kind, len) => {
                    let kind = match kind {
                        Kind::Key(None) if &rest[..len] == PASTE_START => {
                            self.pasting = true;
                            Kind::Paste
                        }
                        Kind::Paste if rest[..len].ends_with(PASTE_END) => {
                            self.pasting = false;
                            Kind::Paste
                        }
                        kind => kind,
                    };
                    push(&mut tokens, kind, &rest[..len]);
                    at += len;
                }
                Read::Incomplete => {
                    self.held = rest.to_vec();
                    self.held_since = Some(self.held_since.unwrap_or(now));
                    return tokens;
                }
            }
        }
        self.held_since = None;
        tokens
    }

    /// The held bytes as what they are without their rest.
    fn flush(&mut self) -> Vec<Token> {
        self.held_since = None;
        let held = std::mem::take(&mut self.held);
        let kind = if self.pasting {
            Kind::Paste
        } else {
            match held.as_slice() {
                [ESC, second @ (b'[' | b'O')] => Kind::Alt(char::from(*second)),
                _ => Kind::Other,
            }
        };
        let mut tokens = Vec::new();
        if !held.is_empty() {
            push(&mut tokens, kind, &held);
        }
        tokens
    }
}

/// Appends a token; paste pieces next to each other become one.
fn push(tokens: &mut Vec<Token>, kind: Kind, bytes: &[u8]) {
    if let (Kind::Paste, Some(last)) = (kind, tokens.last_mut()) {
        if last.kind == Kind::Paste && !last.bytes.ends_with(PASTE_END) {
            last.bytes.extend_from_slice(bytes);
            return;
        }
    }
    tokens.push(Token {
        kind,
        bytes: bytes.to_vec(),
    });
}

/// The token at the start of `bytes` (never empty), outside a paste.
fn read(bytes: &[u8], utf8_mouse: bool) -> Read {
    match bytes[0] {
        ESC => escape(bytes, utf8_mouse),
        byte @ (0..=0x1f | 0x7f) => Read::Token(Kind::Control(byte), 1),
        _ => match character(bytes) {
            Some((c, len)) if !c.is_control() => Read::Token(Kind::Char(c), len),
            Some((_, len)) => Read::Token(Kind::Other, len),
            None if could_be_character(bytes) => Read::Incomplete,
            None => Read::Token(Kind::Other, 1),
        },
    }
}

/// Inside a paste: everything up to and including the end marker is paste, except a
/// cut end marker at the end, which waits.
fn paste(bytes: &[u8]) -> Read {
    if let Some(end) = bytes
        .windows(PASTE_END.len())
        .position(|window| window == PASTE_END)
    {
        return Read::Token(Kind::Paste, end + PASTE_END.len());
    }
    // The longest tail that could begin the end marker waits for the next read.
    let cut = (1..PASTE_END.len())
        .rev()
        .find(|&n| n <= bytes.len() && bytes.ends_with(&PASTE_END[..n]))
        .unwrap_or(0);
    match bytes.len() - cut {
        0 => Read::Incomplete,
        len => Read::Token(Kind::Paste, len),
    }
}

/// A sequence that begins with ESC: the Escape key, Alt and a character, CSI (`ESC [`),
/// SS3 (`ESC O`) or a mouse report.
fn escape(bytes: &[u8], utf8_mouse: bool) -> Read {
    match bytes.get(1) {
        // An ESC that ends the read is the key; so is one before another ESC.
        None | Some(&ESC) => Read::Token(Kind::Escape, 1),
        Some(b'[') => csi(bytes, utf8_mouse),
        Some(b'O') => match bytes.get(2) {
            None => Read::Incomplete,
            Some(&last) => Read::Token(Kind::Key(named(b"", last)), 3),
        },
        // Alt with a control key (Alt-Backspace): one key, not a character.
        Some(0..=0x1f | 0x7f) => Read::Token(Kind::Other, 2),
        Some(_) => match character(&bytes[1..]) {
            Some((c, len)) if !c.is_control() => Read::Token(Kind::Alt(c), 1 + len),
            Some((_, len)) => Read::Token(Kind::Other, 1 + len),
            None if could_be_character(&bytes[1..]) => Read::Incomplete,
            None => Read::Token(Kind::Other, 2),
        },
    }
}

/// `ESC [` parameters (0x30-0x3f), intermediates (0x20-0x2f) and a final byte
/// (0x40-0x7e); SGR mouse reports are among them, and `ESC [ M` begins a legacy one.
fn csi(bytes: &[u8], utf8_mouse: bool) -> Read {
    for (index, &byte) in bytes.iter().enumerate().skip(2) {
        if index >= MAX_SEQUENCE {
            return Read::Token(Kind::Other, index);
        }
        match byte {
            0x20..=0x3f => {}
            0x40..=0x7e => {
                let len = index + 1;
                let body = &bytes[2..index];
                if body.is_empty() && byte == b'M' {
                    return legacy_mouse(bytes, utf8_mouse);
                }
                if let Some(report) = sgr_mouse(body, byte) {
                    return Read::Token(Kind::Mouse(report), len);
                }
                if body.is_empty() && matches!(byte, b'I' | b'O') {
                    return Read::Token(Kind::Focus(byte == b'I'), len);
                }
                return Read::Token(Kind::Key(named(body, byte)), len);
            }
            // A byte that cannot continue a CSI ends it, malformed; it is read anew.
            _ => return Read::Token(Kind::Other, index),
        }
    }
    Read::Incomplete
}

/// The keys the client reads, in both their CSI and SS3 forms, unmodified, and
/// Shift-PageUp/PageDown (which open and move the scroll view).
fn named(body: &[u8], last: u8) -> Option<NamedKey> {
    Some(match (body, last) {
        (b"", b'A') => NamedKey::Up,
        (b"", b'B') => NamedKey::Down,
        (b"", b'C') => NamedKey::Right,
        (b"", b'D') => NamedKey::Left,
        (b"", b'H') | (b"1", b'~') => NamedKey::Home,
        (b"", b'F') | (b"4", b'~') => NamedKey::End,
        (b"5", b'~') => NamedKey::PageUp,
        (b"6", b'~') => NamedKey::PageDown,
        (b"5;2", b'~') => NamedKey::ShiftPageUp,
        (b"6;2", b'~') => NamedKey::ShiftPageDown,
        (b"1;5", arrow) => NamedKey::CtrlArrow(direction(arrow)?),
        (b"1;3", arrow) => NamedKey::AltArrow(direction(arrow)?),
        _ => return None,
    })
}

/// The arrow a CSI's final byte names.
fn direction(last: u8) -> Option<Direction> {
    Some(match last {
        b'A' => Direction::Up,
        b'B' => Direction::Down,
        b'C' => Direction::Right,
        b'D' => Direction::Left,
        _ => return None,
    })
}

/// `<` button `;` x `;` y, then `M` (press, motion) or `m` (release).
fn sgr_mouse(body: &[u8], last: u8) -> Option<Report> {
    let fields = body.strip_prefix(b"<")?;
    if last != b'M' && last != b'm' {
        return None;
    }
    let mut numbers = fields.split(|&b| b == b';').map(|field| {
        // At most six digits each: no real position or button is longer.
        (!field.is_empty() && field.len() <= 6 && field.iter().all(u8::is_ascii_digit))
            .then(|| std::str::from_utf8(field).ok()?.parse::<u32>().ok())
            .flatten()
    });
    let (Some(Some(button)), Some(Some(x)), Some(Some(y)), None) = (
        numbers.next(),
        numbers.next(),
        numbers.next(),
        numbers.next(),
    ) else {
        return None;
    };
    Some(Report {
        button,
        x,
        y,
        release: last == b'm',
    })
}

/// `ESC [ M` and three values offset by 32: a byte each, or in UTF-8 mode a character
/// each (for values above 95). Values that cannot be a report leave `ESC [ M` a key of
/// its own, and the bytes after it are read anew.
fn legacy_mouse(bytes: &[u8], utf8: bool) -> Read {
    let not_a_report = Read::Token(Kind::Key(None), 3);
    let mut values = [0u32; 3];
    let mut at = 3;
    for value in &mut values {
        let Some(&lead) = bytes.get(at) else {
            return Read::Incomplete;
        };
        if utf8 && lead >= 0x80 {
            let Some(&next) = bytes.get(at + 1) else {
                return Read::Incomplete;
            };
            if lead & 0xe0 != 0xc0 || next & 0xc0 != 0x80 {
                return not_a_report;
            }
            *value = (u32::from(lead & 0x1f) << 6) | u32::from(next & 0x3f);
            at += 2;
        } else {
            *value = u32::from(lead);
            at += 1;
        }
    }
    let [button, x, y] = values;
    if button < 32 || x <= 32 || y <= 32 {
        return not_a_report;
    }
    let button = button - 32;
    let report = Report {
        button,
        x: x - 32,
        y: y - 32,
        release: button & 3 == 3,
    };
    Read::Token(Kind::Mouse(report), at)
}

/// The UTF-8 character at the start of `bytes` and its length, if whole and valid.
fn character(bytes: &[u8]) -> Option<(char, usize)> {
    let len = utf8_len(bytes[0])?;
    let c = std::str::from_utf8(bytes.get(..len)?)
        .ok()?
        .chars()
        .next()?;
    Some((c, len))
}

/// Whether `bytes` are the valid start of a UTF-8 character the read cut.
fn could_be_character(bytes: &[u8]) -> bool {
    utf8_len(bytes[0])
        .is_some_and(|len| bytes.len() < len && bytes[1..].iter().all(|&b| b & 0xc0 == 0x80))
}

fn utf8_len(lead: u8) -> Option<usize> {
    match lead {
        0x00..=0x7f => Some(1),
        0xc2..=0xdf => Some(2),
        0xe0..=0xef => Some(3),
        0xf0..=0xf4 => Some(4),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests;

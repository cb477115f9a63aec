//! A pass over a pane's output before the terminal model parses it, for what the model
//! lacks or gets wrong.
//!
//! The DEC special graphics character set: programs draw boxes by designating it
//! (`ESC ( 0`, or `ESC ) 0` then SO) and printing plain letters: `lqk` means `┌─┐`. We
//! rewrite those letters to the Unicode characters.
//!
//! A bound on control strings: a VT parser buffers an OSC string without limit, so `printf '\e]'; yes` would grow the daemon until it dies. We pass on
//! only the first `MAX_CONTROL_STRING` bytes of any OSC, DCS, SOS, PM or APC string.
//!
//! A bound on REP (`CSI n b`, repeat the last character): the model prints the character
//! `n` times, up to 65535, so five bytes cost milliseconds and a 64 KiB read of them a minute
//! of the daemon's only thread, with every other pane waiting. ncurses (the one user of
//! REP, through xterm's terminfo) repeats within a line only, so we cap the count at the
//! pane's width: a bigger one is cancelled with CAN and sent again with the width. And
//! as in xterm, a REP repeats only a printed character: one right after another REP is
//! cancelled (the model would repeat again).
//!
//! Two queries the model's parser drops, for the terminal to answer where they end:
//! DECRQSS (`DCS $ q Pt ST`, request a setting) and XTVERSION (`CSI > q`). The filter
//! notes where in its output each one ends ([`Prefilter::take_marks`]).
//!
//! Overline (SGR 53 and 55), which the model's parser drops too: the filter reads each
//! SGR's parameters ([`SgrScan`]) and notes where one turns overline on or off, for the
//! terminal to set it in the model there (`overline.rs`).
//!
//! To know which bytes are printed text (and not the final byte of an escape sequence, or
//! part of a title), we follow the same states a VT parser does, but keep only the state,
//! never the bytes, so memory stays constant whatever the program sends and a sequence
//! split across reads is still followed.

use crate::overline::SgrScan;
use std::borrow::Cow;

/// Where we are in the escape-sequence grammar; enough of it to tell printed text apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ground,
    Escape,
    /// After `ESC` and an intermediate byte; the first intermediate says which G-set a
    /// designation is for.
    EscapeIntermediate(u8),
    Csi(CsiScan),
    /// OSC, DCS, SOS, PM or APC: everything up to ST (or BEL) is a string, not text.
    /// Counts the string's bytes so far.
    ControlString(usize),
}

/// What a CSI sequence says so far, to tell a REP and its count, and an SGR's overline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CsiScan {
    /// The first parameter, saturating (vte saturates at 65535 too).
    first: u32,
    /// Still reading the first parameter (no `;` or `:` yet).
    in_first: bool,
    /// No intermediate or private-marker byte: only then is a final `b` a REP.
    plain: bool,
    /// Began with the private marker `>` (XTVERSION is `CSI > q`).
    greater: bool,
    sgr: SgrScan,
}

impl CsiScan {
    const START: CsiScan = CsiScan {
        first: 0,
        in_first: true,
        plain: true,
        greater: false,
        sgr: SgrScan::START,
    };

    fn advance(self, byte: u8) -> CsiScan {
        let scan = CsiScan {
            sgr: self.sgr.advance(byte),
            ..self
        };
        match byte {
            b'0'..=b'9' if self.in_first => CsiScan {
                first: self
                    .first
                    .saturating_mul(10)
                    .saturating_add(u32::from(byte - b'0')),
                ..scan
            },
            b';' | b':' => CsiScan {
                in_first: false,
                ..scan
            },
            0x20..=0x2f | 0x3c..=0x3f => CsiScan {
                plain: false,
                greater: byte == b'>' && self.plain && self.first == 0 && self.in_first,
                ..scan
            },
            _ => scan,
        }
    }
}

/// The longest control string passed on. Titles are far shorter; an OSC 52 clipboard copy
/// of a few KiB of text still fits.
pub const MAX_CONTROL_STRING: usize = 64 * 1024;

/// A query the terminal answers at the point where it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// XTVERSION.
    Version,
    /// DECRQSS for SGR (`m`).
    Rendition,
    /// DECRQSS for the scrolling margins (`r`).
    Margins,
    /// DECRQSS for a setting not reported.
    OtherSetting,
}

/// Something the terminal does at the point in the output where the filter noted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Answer a query that ends here.
    Query(Query),
    /// An SGR that ends here turns overline on or off.
    Overline(bool),
}

/// The first bytes of a DCS string, enough to tell a DECRQSS and what it asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct DcsHead {
    bytes: [u8; 4],
    len: u8,
}

impl DcsHead {
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(usize::from(self.len)) {
            *slot = byte;
            self.len += 1;
        }
    }

    fn query(&self) -> Option<Query> {
        match self.bytes.get(..usize::from(self.len))? {
            b"$qm" => Some(Query::Rendition),
            b"$qr" => Some(Query::Margins),
            [b'$', b'q', ..] => Some(Query::OtherSetting),
            _ => None,
        }
    }
}

/// What to do with one byte of output.
enum Action {
    Keep,
    Replace(char),
    /// Cancel the REP just ended and repeat this many times instead.
    CapRepeat(u16),
    /// Cancel the sequence just ended.
    Cancel,
    Drop,
}

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;
const CAN: u8 = 0x18;
const SUB: u8 = 0x1a;
/// Shift Out: print from G1.
const SO: u8 = 0x0e;
/// Shift In: print from G0.
const SI: u8 = 0x0f;

/// Which sets G0 and G1 hold and which one prints; DECSC saves it with the cursor.
#[derive(Clone, Copy, Debug, Default)]
struct Charsets {
    g0_graphics: bool,
    g1_graphics: bool,
    shifted_out: bool,
}

/// Tracks escape-sequence state, charset designations and shifts across the output of
/// one pane.
#[derive(Debug)]
pub struct Prefilter {
    state: State,
    charsets: Charsets,
    saved: Charsets,
    /// The pane's width: the most a REP may repeat.
    max_repeat: u16,
    /// A character was printed since the last REP, so a REP now has one to repeat.
    printed_since_repeat: bool,
    /// The DCS string being read, if the control string is one.
    dcs: Option<DcsHead>,
    /// A mark for the sequence that ended at the byte just advanced over.
    ended: Option<Mark>,
    /// Marks in the output since the last drain: (output offset where each sequence
    /// ends, mark).
    marks: Vec<(usize, Mark)>,
    /// An SGR turned overline on since the filter was made or reset: until then the
    /// model cannot have it, and an SGR turning it off (every `CSI 0 m`) needs no mark,
    /// which would only cut the parser's input short.
    overline_seen: bool,
}

impl Prefilter {
    /// A filter for a pane `cols` wide.
    pub fn new(cols: u16) -> Self {
        Self {
            state: State::Ground,
            charsets: Charsets::default(),
            saved: Charsets::default(),
            max_repeat: cols.max(1),
            printed_since_repeat: false,
            dcs: None,
            ended: None,
            marks: Vec::new(),
            overline_seen: false,
        }
    }

    /// The marks in the output of the last [`Prefilter::filter`] calls since the last
    /// drain, each with the offset in that output just past its sequence's end.
    pub fn take_marks(&mut self) -> Vec<(usize, Mark)> {
        std::mem::take(&mut self.marks)
    }

    /// Follows the pane to a new width.
    pub fn set_width(&mut self, cols: u16) {
        self.max_repeat = cols.max(1);
    }

    /// Returns `input` with the letters printed in the DEC graphics set replaced by their
    /// Unicode equivalents, and overlong control strings cut. Borrows the input unchanged
    /// when nothing needed rewriting, which is the common case.
    pub fn filter<'a>(&mut self, input: &'a [u8]) -> Cow<'a, [u8]> {
        let mut output: Option<Vec<u8>> = None;
        let mut index = 0;
        while index < input.len() {
            if self.state == State::Ground && !self.graphics_active() {
                // Outside escape sequences and the graphics set, only these bytes can
                // change anything: skip to the next one at memchr speed.
                let rest = input.get(index..).unwrap_or_default();
                let plain = memchr::memchr3(ESC, SO, SI, rest).unwrap_or(rest.len());
                // Plain bytes may all be controls, but a program that sends REP after
                // nothing but controls asks for what xterm does not define either.
                self.printed_since_repeat |= plain > 0;
                if let Some(out) = output.as_mut() {
                    out.extend_from_slice(rest.get(..plain).unwrap_or_default());
                }
                index += plain;
            }
            let Some(&byte) = input.get(index) else {
                break;
            };
            let action = self.advance(byte);
            if !matches!(action, Action::Keep) && output.is_none() {
                let mut out = Vec::with_capacity(input.len() + input.len() / 2);
                out.extend_from_slice(input.get(..index).unwrap_or_default());
                output = Some(out);
            }
            if let Some(out) = output.as_mut() {
                match action {
                    Action::Keep => out.push(byte),
                    Action::Replace(symbol) => push_char(out, symbol),
                    Action::CapRepeat(count) => {
                        out.push(CAN);
                        out.extend_from_slice(format!("\x1b[{count}b").as_bytes());
                    }
                    Action::Cancel => out.push(CAN),
                    Action::Drop => {}
                }
            }
            if let Some(mark) = self.ended.take() {
                let end = output.as_ref().map_or(index + 1, Vec::len);
                self.marks.push((end, mark));
            }
            index += 1;
        }
        match output {
            Some(out) => Cow::Owned(out),
            None => Cow::Borrowed(input),
        }
    }

    /// Moves the state machine over one byte and says what to pass on in its place.
    fn advance(&mut self, byte: u8) -> Action {
        // These act the same in every state, as in a VT parser.
        match byte {
            ESC => {
                self.end_string();
                self.state = State::Escape;
                return Action::Keep;
            }
            CAN | SUB => {
                self.state = State::Ground;
                return Action::Keep;
            }
            // Controls act even inside escape sequences, but not inside strings.
            SO if !matches!(self.state, State::ControlString(_)) => {
                self.charsets.shifted_out = true;
                return Action::Keep;
            }
            SI if !matches!(self.state, State::ControlString(_)) => {
                self.charsets.shifted_out = false;
                return Action::Keep;
            }
            _ => {}
        }
        match self.state {
            State::Ground => {
                self.printed_since_repeat |= byte >= 0x20;
                if (0x5f..=0x7e).contains(&byte) && self.graphics_active() {
                    if let Some(symbol) = dec_graphics(byte) {
                        return Action::Replace(symbol);
                    }
                }
            }
            State::Escape => match byte {
                b'[' => self.state = State::Csi(CsiScan::START),
                b']' | b'P' | b'X' | b'^' | b'_' => {
                    self.dcs = (byte == b'P').then(DcsHead::default);
                    self.state = State::ControlString(0);
                }
                0x20..=0x2f => self.state = State::EscapeIntermediate(byte),
                // RIS resets the terminal, charsets included.
                b'c' => *self = Self::new(self.max_repeat),
                // DECSC and DECRC save and restore the charsets along with the cursor.
                b'7' => {
                    self.saved = self.charsets;
                    self.state = State::Ground;
                }
                b'8' => {
                    self.charsets = self.saved;
                    self.state = State::Ground;
                }
                0x30..=0x7e => self.state = State::Ground,
                _ => {}
            },
            State::EscapeIntermediate(first) => {
                if (0x30..=0x7e).contains(&byte) {
                    match first {
                        b'(' => self.charsets.g0_graphics = byte == b'0',
                        b')' => self.charsets.g1_graphics = byte == b'0',
                        _ => {}
                    }
                    self.state = State::Ground;
                }
            }
            State::Csi(scan) => {
                if (0x40..=0x7e).contains(&byte) {
                    self.state = State::Ground;
                    if byte == b'q' && scan.greater && scan.first == 0 {
                        self.ended = Some(Mark::Query(Query::Version));
                    }
                    if byte == b'm' && scan.plain {
                        self.note_overline(scan.sgr.overline());
                    }
                    if byte == b'b' && scan.plain {
                        if !std::mem::take(&mut self.printed_since_repeat) {
                            return Action::Cancel;
                        }
                        if scan.first > u32::from(self.max_repeat) {
                            return Action::CapRepeat(self.max_repeat);
                        }
                    }
                } else {
                    self.state = State::Csi(scan.advance(byte));
                }
            }
            State::ControlString(length) => {
                if byte == BEL {
                    self.end_string();
                    self.state = State::Ground;
                } else if length >= MAX_CONTROL_STRING {
                    return Action::Drop;
                } else {
                    if let Some(head) = self.dcs.as_mut() {
                        head.push(byte);
                    }
                    self.state = State::ControlString(length + 1);
                }
            }
        }
        Action::Keep
    }

    /// A control string ends (ST's ESC, or BEL): a DECRQSS in it is answered here.
    fn end_string(&mut self) {
        if matches!(self.state, State::ControlString(_)) {
            if let Some(head) = self.dcs.take() {
                self.ended = head.query().map(Mark::Query);
            }
        }
    }

    /// An SGR ended that does `overline` (see [`SgrScan::overline`]).
    fn note_overline(&mut self, overline: Option<bool>) {
        if let Some(on) = overline.filter(|&on| on || self.overline_seen) {
            self.overline_seen = true;
            self.ended = Some(Mark::Overline(on));
        }
    }

    fn graphics_active(&self) -> bool {
        let charsets = self.charsets;
        if charsets.shifted_out {
            charsets.g1_graphics
        } else {
            charsets.g0_graphics
        }
    }
}

fn push_char(out: &mut Vec<u8>, symbol: char) {
    let mut buffer = [0; 4];
    out.extend_from_slice(symbol.encode_utf8(&mut buffer).as_bytes());
}

/// The DEC special graphics glyphs for `_` through `~`, as xterm draws them.
fn dec_graphics(byte: u8) -> Option<char> {
    const GLYPHS: [char; 32] = [
        '\u{a0}', '◆', '▒', '␉', '␌', '␍', '␊', '°', '±', '␤', '␋', '┘', '┐', '┌', '└', '┼', '⎺',
        '⎻', '─', '⎼', '⎽', '├', '┤', '┴', '┬', '│', '≤', '≥', 'π', '≠', '£', '·',
    ];
    GLYPHS.get(usize::from(byte.checked_sub(0x5f)?)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translate_all(chunks: &[&[u8]]) -> String {
        let mut translator = Prefilter::new(80);
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend_from_slice(&translator.filter(chunk));
        }
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn box_drawing_through_g0() {
        assert_eq!(
            translate_all(&[b"\x1b(0lqk\r\nx x\r\nmqj\x1b(Bok"]),
            "\x1b(0┌─┐\r\n│ │\r\n└─┘\x1b(Bok"
        );
        assert_eq!(translate_all(&[b"\x1b(0tuvwn\x1b(B"]), "\x1b(0├┤┴┬┼\x1b(B");
    }

    #[test]
    fn plain_text_is_borrowed_untouched() {
        let mut translator = Prefilter::new(80);
        let input = b"hello \x1b[1mworld\x1b[m lqk";
        assert!(matches!(translator.filter(input), Cow::Borrowed(_)));
    }

    #[test]
    fn shift_out_uses_g1() {
        assert_eq!(
            translate_all(&[b"\x1b)0a\x0eqq\x0fqq"]),
            "\x1b)0a\x0e──\x0fqq"
        );
    }

    #[test]
    fn state_survives_chunk_boundaries() {
        assert_eq!(
            translate_all(&[b"\x1b", b"(", b"0", b"q", b"\x1b(", b"Bq"]),
            "\x1b(0─\x1b(Bq"
        );
        // A CSI whose final byte arrives in the next chunk is not text.
        assert_eq!(translate_all(&[b"\x1b(0\x1b[1", b"mq"]), "\x1b(0\x1b[1m─");
    }

    #[test]
    fn escape_sequences_inside_graphics_mode_are_kept() {
        assert_eq!(
            translate_all(&[b"\x1b(0\x1b[31mq\x1b]2;title lqk\x07q\x1b(B"]),
            "\x1b(0\x1b[31m─\x1b]2;title lqk\x07─\x1b(B"
        );
        assert_eq!(
            translate_all(&[b"\x1b(0\x1b]2;a\x1b\\q\x1b(B"]),
            "\x1b(0\x1b]2;a\x1b\\─\x1b(B"
        );
    }

    #[test]
    fn shifts_act_inside_escape_sequences_but_not_strings() {
        assert_eq!(
            translate_all(&[b"\x1b)0\x1b[\x0e1mq\x0f"]),
            "\x1b)0\x1b[\x0e1m─\x0f"
        );
        assert_eq!(
            translate_all(&[b"\x1b)0\x1b]2;\x0e\x07q"]),
            "\x1b)0\x1b]2;\x0e\x07q"
        );
    }

    #[test]
    fn cursor_save_and_restore_keep_the_charsets() {
        assert_eq!(
            translate_all(&[b"\x1b(0\x1b7\x1b(Bq\x1b8q"]),
            "\x1b(0\x1b7\x1b(Bq\x1b8─"
        );
    }

    #[test]
    fn overlong_control_strings_are_cut() {
        let mut filter = Prefilter::new(80);
        let mut passed = filter.filter(b"\x1b]2;").len();
        for _ in 0..100 {
            passed += filter.filter(&[b'y'; 4096]).len();
        }
        // `ESC ]` plus the string's first bytes, `2;` included.
        assert_eq!(passed, 2 + MAX_CONTROL_STRING);
        // The terminator still ends the string, and text after it is kept.
        assert_eq!(&*filter.filter(b"yy\x07after"), b"\x07after");
        assert_eq!(
            &*filter.filter(b"\x1b]2;short\x1b\\"),
            b"\x1b]2;short\x1b\\"
        );
    }

    #[test]
    fn repeats_are_capped_at_the_width() {
        assert_eq!(
            translate_all(&[b"x\x1b[999999999b"]),
            "x\x1b[999999999\x18\x1b[80b"
        );
        // Split across reads, with a C0 control inside and more parameters after it.
        assert_eq!(
            translate_all(&[b"x\x1b[6", b"5\n535;2b"]),
            "x\x1b[65\n535;2\x18\x1b[80b"
        );
        // Counts within the width, and sequences that are not REP, pass untouched.
        for kept in [
            &b"x\x1b[80b"[..],
            b"x\x1b[b",
            b"\x1b[?99999b",
            b"x\x1b[1;99999b",
            b"\x1b[99999 b",
        ] {
            assert_eq!(translate_all(&[kept]).as_bytes(), kept);
        }
        let mut narrow = Prefilter::new(80);
        narrow.set_width(3);
        assert_eq!(&*narrow.filter(b"x\x1b[4b"), b"x\x1b[4\x18\x1b[3b");
    }

    #[test]
    fn a_repeat_needs_a_character_printed_since_the_last_one() {
        assert_eq!(translate_all(&[b"x\x1b[2b\x1b[3b"]), "x\x1b[2b\x1b[3\x18");
        assert_eq!(translate_all(&[b"x\x1b[2by\x1b[3b"]), "x\x1b[2by\x1b[3b");
        assert_eq!(translate_all(&[b"\x1b[3b"]), "\x1b[3\x18");
    }

    #[test]
    fn overline_is_noted_where_its_sgr_ends() {
        let mut filter = Prefilter::new(80);
        // No mark for turning off what was never on; none for `CSI > .. m` (not SGR).
        filter.filter(b"\x1b[0mx\x1b[>4;53m\x1b[1;5");
        assert_eq!(filter.take_marks(), []);
        // Split across reads; offsets count in the output of the read they end in.
        filter.filter(b"3my\x1b[mz\x1b[38;5;53m");
        assert_eq!(
            filter.take_marks(),
            [(2, Mark::Overline(true)), (6, Mark::Overline(false))]
        );
    }

    #[test]
    fn queries_are_noted_where_they_end() {
        let mut filter = Prefilter::new(80);
        let out = filter.filter(b"ab\x1bP$qm\x1b\\cd\x1b[>q\x1bP$q\"p\x1b\\\x1bPq#0\x1b\\");
        assert_eq!(
            filter.take_marks(),
            [
                (8, Mark::Query(Query::Rendition)),
                (15, Mark::Query(Query::Version)),
                (22, Mark::Query(Query::OtherSetting))
            ]
        );
        assert_eq!(out.get(..8), Some(&b"ab\x1bP$qm\x1b"[..]));
        // Split across reads, and the margins.
        filter.filter(b"\x1bP$");
        filter.filter(b"qr\x1b\\\x1b[>0q\x1b[>1q");
        assert_eq!(
            filter.take_marks(),
            [
                (3, Mark::Query(Query::Margins)),
                (9, Mark::Query(Query::Version))
            ]
        );
    }

    #[test]
    fn reset_returns_to_ascii() {
        assert_eq!(translate_all(&[b"\x1b(0q\x1bcq"]), "\x1b(0─\x1bcq");
    }
}

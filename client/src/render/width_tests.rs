//! The renderer against terminals that measure emoji otherwise than the server's model:
//! a small terminal here prints what the renderer writes with a width table of its own
//! (sequences joined into one glyph, or emoji one column wide), and no row may keep a
//! character of what it showed before.

use unicode_width::UnicodeWidthChar;

use super::*;

/// How a terminal measures what it prints.
#[derive(Clone, Copy, Debug)]
enum Table {
    /// Each character by its own width, as the server's model (and unicode-width) does.
    PerCharacter,
    /// Joined sequences, skin tones and flags as one glyph two columns wide, as
    /// terminals with grapheme clustering draw them.
    Clusters,
    /// Every emoji one column wide, as terminals with Unicode 8 tables have them.
    NarrowEmoji,
}

fn is_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x1f000..=0x1faff)
}

/// The columns `c` takes after `before` (the text of the glyph printed last), or `None`
/// when it joins that glyph.
fn width(table: Table, before: &str, c: char) -> Option<usize> {
    let joins = before.ends_with('\u{200d}')
        || (0x1f3fb..=0x1f3ff).contains(&u32::from(c))
        || ((0x1f1e6..=0x1f1ff).contains(&u32::from(c))
            && before.chars().count() == 1
            && before
                .chars()
                .all(|b| (0x1f1e6..=0x1f1ff).contains(&u32::from(b))));
    match table {
        _ if c.width() == Some(0) => None,
        Table::Clusters if joins && !before.is_empty() => None,
        Table::NarrowEmoji if is_emoji(c) => Some(1),
        _ => Some(c.width().unwrap_or(1)),
    }
}

/// A terminal that knows what the renderer writes, with its own width table. A cell is
/// its text; the right half of a wide glyph is `None`.
struct Screen {
    table: Table,
    cols: usize,
    cells: Vec<Vec<Option<String>>>,
    row: usize,
    col: usize,
    autowrap: bool,
    /// The glyph printed last, which a joining character extends.
    last: Option<(usize, usize)>,
}

impl Screen {
    fn new(table: Table, cols: usize, rows: usize) -> Screen {
        Screen {
            table,
            cols,
            cells: vec![vec![Some(" ".to_owned()); cols]; rows],
            row: 0,
            col: 0,
            autowrap: true,
            last: None,
        }
    }

    fn blank(&mut self, row: usize, col: usize) {
        // Covering half a wide glyph erases the other half too.
        if self.cells[row][col].is_none() && col > 0 {
            self.cells[row][col - 1] = Some(" ".to_owned());
        }
        if col + 1 < self.cols && self.cells[row][col + 1].is_none() {
            self.cells[row][col + 1] = Some(" ".to_owned());
        }
        self.cells[row][col] = Some(" ".to_owned());
    }

    fn print(&mut self, c: char) {
        let before = self
            .last
            .and_then(|(row, col)| self.cells[row][col].clone())
            .unwrap_or_default();
        let Some(wide) = width(self.table, &before, c) else {
            if let Some((row, col)) = self.last {
                if let Some(text) = &mut self.cells[row][col] {
                    text.push(c);
                }
            }
            return;
        };
        if self.col + wide > self.cols {
            if self.autowrap {
                self.row += 1;
                self.col = 0;
            } else {
                self.col = self.cols - wide;
            }
        }
        let (row, col) = (self.row, self.col);
        self.blank(row, col);
        if wide == 2 {
            self.blank(row, col + 1);
            self.cells[row][col + 1] = None;
        }
        self.cells[row][col] = Some(c.to_string());
        self.last = Some((row, col));
        self.col = (col + wide).min(self.cols - usize::from(!self.autowrap));
    }

    fn erase_line(&mut self, from: usize) {
        for col in from..self.cols {
            self.cells[self.row][col] = Some(" ".to_owned());
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\x1b' => {
                    assert_eq!(chars.next(), Some('['), "only CSI in {text:?}");
                    let mut params = String::new();
                    let last = loop {
                        match chars.next() {
                            Some(c @ '\x30'..='\x3f') => params.push(c),
                            Some(c) => break c,
                            None => panic!("a cut sequence in {text:?}"),
                        }
                    };
                    self.csi(&params, last);
                }
                '\r' => self.col = 0,
                '\n' => self.row += 1,
                c => self.print(c),
            }
        }
    }

    fn csi(&mut self, params: &str, last: char) {
        let numbers: Vec<usize> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
        let first = numbers.first().copied().unwrap_or(0);
        match (last, params) {
            ('m', _) | ('h' | 'l', "?25") => {}
            ('h' | 'l', "?7") => self.autowrap = last == 'h',
            ('H', _) => {
                self.row = first.max(1) - 1;
                self.col = numbers.get(1).copied().unwrap_or(1).max(1) - 1;
            }
            ('C', _) => self.col = (self.col + first.max(1)).min(self.cols - 1),
            ('K', "") => self.erase_line(self.col),
            ('K', "2") => self.erase_line(0),
            _ => panic!("the test terminal does not know CSI {params}{last}"),
        }
        self.last = None;
    }

    /// A row's text, trailing blanks trimmed.
    fn text(&self, row: usize) -> String {
        let text: String = self.cells[row]
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        text.trim_end().to_owned()
    }
}

/// A frame of one row of text as the server's model holds it: each character in a cell
/// of its own width, zero-width ones joined to the cell before.
fn frame(text: &str) -> Frame {
    let mut cells: Vec<(String, bool)> = Vec::new();
    for c in text.chars() {
        match (c.width(), cells.last_mut()) {
            (Some(0), Some((last, _))) => last.push(c),
            (width, _) => cells.push((c.to_string(), width == Some(2))),
        }
    }
    let mut frame = Frame::blank(40, 3);
    let mut col = 0u16;
    for (text, wide) in cells {
        frame.put(0, col, &text, wide, CellStyle::default());
        col += if wide { 2 } else { 1 };
    }
    frame
}

const EMOJI_LINE: &str = "fam 👨\u{200d}👩\u{200d}👧 ok 👍🏽 fr 🇫🇷 end";

/// A row's text as its words: the same glyphs in the same order, whatever the gaps.
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

#[test]
fn emoji_over_a_longer_line_leave_nothing_stale_whatever_the_terminals_widths() {
    for table in [Table::PerCharacter, Table::Clusters, Table::NarrowEmoji] {
        let mut renderer = Renderer::default();
        let mut screen = Screen::new(table, 40, 3);
        let mut draw = |text: &str| {
            let mut out = Vec::new();
            renderer.render(&frame(text), &mut out);
            screen.feed(&out);
            screen.text(0)
        };
        draw(&"X".repeat(39));
        // Every sequence whole (printed in one go, the terminal joins what it joins),
        // nothing of the old line after it.
        let shown = draw(EMOJI_LINE);
        assert_eq!(words(&shown), words(EMOJI_LINE), "{table:?}");
        // And back: a plain line over the emoji keeps none of them.
        assert_eq!(draw("plain"), "plain", "{table:?}");
        // A change right of the emoji redraws what follows them.
        draw(EMOJI_LINE);
        let changed = EMOJI_LINE.replace("end", "fin");
        assert_eq!(words(&draw(&changed)), words(&changed), "{table:?}");
        // A change inside a sequence redraws it whole.
        let boy = changed.replace('\u{1f467}', "\u{1f466}");
        assert_eq!(words(&draw(&boy)), words(&boy), "{table:?}");
    }
}

#[test]
fn plain_rows_are_still_diffed_cell_by_cell() {
    let mut renderer = Renderer::default();
    let mut out = Vec::new();
    renderer.render(&frame("hello world"), &mut out);
    out.clear();
    renderer.render(&frame("hello world!"), &mut out);
    assert_eq!(out, b"!");
}

//! The text the scroll view's cursor moves over and copies from: a pane's history lines
//! and screen rows as one column of numbered lines, and each line's cells as the cursor
//! sees them (where each cell starts, and what kind of character it holds).

use moshmux_proto::screen::{PaneScreen, Row};
use moshmux_proto::{HostState, LineNumber, PaneId};

/// tmux's default `word-separators`: the punctuation that makes a word of its own for
/// `w`, `b` and `e` (letters, digits, `_` and every other character make the other kind).
const WORD_SEPARATORS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~";

/// A place in the text: a line, and the first column of a cell on it or a column past
/// the line's text (tmux's cursor may stand just after a line's last character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Point {
    pub line: LineNumber,
    pub col: u16,
}

/// What one line of the text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown<'a> {
    Line(&'a Row),
    /// Not here yet: drawn as [`super::LOADING`].
    Loading,
    /// Past the screen's last row.
    Empty,
}

/// The kind of character a cell holds, for word motions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Space,
    /// One of [`WORD_SEPARATORS`] (for `w`, `b`, `e`; `W`, `B`, `E` have none).
    Separator,
    Word,
}

/// How a motion tells words apart: vi's `w` (punctuation apart from letters) or `W`
/// (anything but spaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    Vi,
    Spaces,
}

/// A pane's history and screen as numbered lines (the store's numbers).
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pane: PaneId,
    host: &'a HostState,
    screen: &'a PaneScreen,
}

impl<'a> Text<'a> {
    pub fn new(pane: PaneId, host: &'a HostState, screen: &'a PaneScreen) -> Text<'a> {
        Text { pane, host, screen }
    }

    /// The oldest line kept.
    pub fn start(&self) -> LineNumber {
        self.screen.history_start
    }

    /// The first line of the live screen: the view's top at the bottom.
    pub fn history_end(&self) -> LineNumber {
        self.screen.history_end()
    }

    /// The screen's bottom row: the last line a cursor may reach.
    pub fn last(&self) -> LineNumber {
        let rows = self.screen.rows().len() as u64;
        (self.screen.history_end() + rows.saturating_sub(1)).max(self.start())
    }

    /// A history line (or the marker of one on its way), a screen row, or nothing.
    pub fn line(&self, line: LineNumber) -> Shown<'a> {
        let end = self.screen.history_end();
        if line < end {
            match self.host.history.get(&(self.pane, line)) {
                Some(row) => Shown::Line(row),
                None => Shown::Loading,
            }
        } else {
            usize::try_from(line - end)
                .ok()
                .and_then(|index| self.screen.rows().get(index))
                .map_or(Shown::Empty, |row| Shown::Line(row))
        }
    }

    /// The line's cells; a line on its way, or none, has no cells.
    pub fn cells(&self, line: LineNumber) -> LineCells {
        match self.line(line) {
            Shown::Line(row) => LineCells::of(row),
            Shown::Loading | Shown::Empty => LineCells::default(),
        }
    }

    /// Whether the line is still on its way: motions stop there rather than skip it.
    pub fn loading(&self, line: LineNumber) -> bool {
        self.line(line) == Shown::Loading
    }
}

/// One cell of a line as the cursor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    col: u16,
    wide: bool,
    class: Class,
    vi_class: Class,
}

/// A line's cells up to the end of its text (trailing blanks are no cells: the cursor
/// goes past the text at most one column, as in tmux).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineCells {
    spans: Vec<Span>,
    /// The column after the text: [`Row::text_width`].
    length: u16,
}

impl LineCells {
    pub fn of(row: &Row) -> LineCells {
        let length = row.text_width();
        let spans = row
            .cells()
            .take_while(|cell| cell.col < length)
            .map(|cell| {
                let space = cell.text == " ";
                let separator = cell.text.chars().count() == 1
                    && cell.text.chars().all(|c| WORD_SEPARATORS.contains(c));
                let class = if space { Class::Space } else { Class::Word };
                let vi_class = match (space, separator) {
                    (true, _) => Class::Space,
                    (false, true) => Class::Separator,
                    (false, false) => Class::Word,
                };
                Span {
                    col: cell.col,
                    wide: cell.wide,
                    class,
                    vi_class,
                }
            })
            .collect();
        LineCells { spans, length }
    }

    /// The column after the line's text: where `$` goes.
    pub fn length(&self) -> u16 {
        self.length
    }

    fn span(&self, col: u16) -> Option<&Span> {
        let index = self.spans.partition_point(|span| span.col <= col);
        self.spans
            .get(index.checked_sub(1)?)
            .filter(|span| col < span.col + if span.wide { 2 } else { 1 })
    }

    /// Where the cell covering `col` starts (`col` itself past the text).
    pub fn cell_start(&self, col: u16) -> u16 {
        self.span(col).map_or(col, |span| span.col)
    }

    /// The column after the cell at `col`: the next cell's start.
    pub fn next_col(&self, col: u16) -> u16 {
        match self.span(col) {
            Some(span) => span.col + if span.wide { 2 } else { 1 },
            None => col.saturating_add(1),
        }
    }

    /// The start of the cell before the one at `col` (0 stays 0).
    pub fn previous_col(&self, col: u16) -> u16 {
        match col.checked_sub(1) {
            Some(before) => self.cell_start(before),
            None => 0,
        }
    }

    /// What the cell at `col` holds; past the text, a space.
    pub fn class(&self, col: u16, words: Words) -> Class {
        self.span(col).map_or(Class::Space, |span| match words {
            Words::Vi => span.vi_class,
            Words::Spaces => span.class,
        })
    }

    /// The first cell that is not a space (`^`), if any.
    pub fn indentation(&self) -> Option<u16> {
        self.spans
            .iter()
            .find(|span| span.class != Class::Space)
            .map(|span| span.col)
    }
}

//! One screen row, stored compactly: its text as one string, its attributes as runs, and
//! a note for each cell that is not "one character, one column".
//!
//! Most rows are plain text in a handful of styles, so this costs three small allocations
//! per row and compares as fast as a string; rows are shared through `Arc` by the states
//! SSP keeps, so an unchanged row is never copied.
//!
//! A cell holds one character, or several when combining characters follow the base
//! (`e` + U+0301), and is one or two columns wide. The second column of a wide character
//! holds no text. An empty cell is stored as a space: on a terminal the two look the same.
//!
//! A hyperlink (OSC 8) is kept as a run of cells and its target, apart from the styles:
//! few rows have one.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Most characters one cell keeps (a base and its combining marks); more are dropped.
pub const MAX_CELL_CHARS: usize = 8;
/// The longest hyperlink target kept; a cell with a longer one has no link.
pub const MAX_LINK_BYTES: usize = 2048;

/// A colour as terminals encode it. Wire format: append only (bincode numbers variants by
/// position).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Color {
    #[default]
    Default,
    /// One of the 256 palette colours (0-15 are the classic 16).
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// How an underline is drawn (SGR `4:1`..`4:5`, `21`). Wire format: append only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnderlineStyle {
    #[default]
    Single,
    Double,
    Curly,
    Dotted,
    Dashed,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CellStyle {
    pub fg: Color,
    pub bg: Color,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub inverse: bool,
    pub strikethrough: bool,
    /// The underline's shape, when `underline` is set.
    pub underline_style: UnderlineStyle,
    /// The underline's colour (SGR 58); `Default` draws it in the text's colour.
    pub underline_color: Color,
    /// A line above the cell (SGR 53, off with 55).
    pub overline: bool,
    /// SGR 5 (slow) or 6 (rapid): the user's terminal blinks it as it blinks either.
    pub blink: bool,
}

impl CellStyle {
    /// Whether a blank cell in this style looks different from a default blank: such a
    /// blank is part of what a row shows, so trimming keeps it.
    pub fn shows_when_blank(&self) -> bool {
        self.bg != Color::Default || self.inverse || self.underline || self.overline
    }
}

/// A cell whose text is not exactly one character, or that is two columns wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Cluster {
    col: u16,
    chars: u8,
    wide: bool,
}

/// Cells `col..col + cols` link to `uri` (OSC 8).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Link {
    col: u16,
    cols: u16,
    uri: Arc<str>,
}

/// Unicode's control characters (category Cc, fixed since Unicode 1.1: C0, DEL and C1):
/// `char::is_control` by two comparisons instead of its table search, which capturing a
/// row (a tenth of its time) and checking a received one pay per cell.
pub fn is_control(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}')
}

/// Whether `uri` may be a hyperlink's target: printable ASCII (as OSC 8 asks; it is
/// written into the client's terminal as it is), not empty, bounded.
fn is_link_target(uri: &str) -> bool {
    !uri.is_empty() && uri.len() <= MAX_LINK_BYTES && uri.bytes().all(|b| b.is_ascii_graphic())
}

/// A row of cells. Build one with [`Row::builder`]; every `Row` that exists, built here or
/// decoded from a peer, is consistent, so reading its cells never fails.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RowWire")]
pub struct Row {
    /// Each cell's text, left to right.
    text: String,
    /// (columns, style), covering every column; adjacent runs differ.
    styles: Vec<(u16, CellStyle)>,
    /// Irregular cells, by ascending column.
    clusters: Vec<Cluster>,
    wrapped: bool,
    /// Hyperlinked cells, by ascending column, apart from each other.
    links: Vec<Link>,
}

/// The same fields as [`Row`], not yet checked; `S` is the cell style's layout (an older
/// one for rows written before a field was added to [`CellStyle`]).
#[derive(Deserialize)]
struct RowWire<S = CellStyle> {
    text: String,
    styles: Vec<(u16, S)>,
    clusters: Vec<Cluster>,
    wrapped: bool,
    links: Vec<Link>,
}

/// One cell as a renderer sees it. A wide cell covers `col` and `col + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell<'a> {
    pub col: u16,
    pub text: &'a str,
    pub wide: bool,
    pub style: CellStyle,
    /// The hyperlink's target, if the cell is part of one.
    pub link: Option<&'a Arc<str>>,
}

impl Row {
    /// A row of `cols` spaces in the default style.
    pub fn blank(cols: u16) -> Row {
        Row::builder(cols).finish(false)
    }

    pub fn builder(cols: u16) -> RowBuilder {
        // Room for a row of one-byte characters in one style up front: growing the text
        // as cells come, and shrinking it once kept, cost a flood's capture several
        // reallocations per row.
        RowBuilder {
            cols,
            width: 0,
            row: Row {
                text: String::with_capacity(usize::from(cols)),
                styles: Vec::with_capacity(1),
                ..Row::default()
            },
            link: None,
        }
    }

    /// Columns the row covers.
    pub fn width(&self) -> usize {
        self.styles
            .iter()
            .map(|&(cells, _)| usize::from(cells))
            .sum()
    }

    /// Whether the line continues on the next row (the program wrote past the edge).
    pub fn wrapped(&self) -> bool {
        self.wrapped
    }

    /// All cells' text, left to right.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Columns up to the end of the last cell that is not a single space, whatever its
    /// style: where a line's text ends for a copy, as `capture-pane` and tmux's copy mode
    /// trim it.
    pub fn text_width(&self) -> u16 {
        self.cell_bytes()
            .filter(|(cell, _)| cell.text != " ")
            .last()
            .map_or(0, |(cell, _)| cell.col + if cell.wide { 2 } else { 1 })
    }

    /// The text of the cells that start in columns `columns`: a range never splits a
    /// cell, and a wide cell is in it when its first column is.
    pub fn text_of_columns(&self, columns: std::ops::Range<u16>) -> &str {
        let mut bytes = self
            .cell_bytes()
            .filter(|(cell, _)| columns.contains(&cell.col))
            .map(|(_, bytes)| bytes);
        let Some(first) = bytes.next() else {
            return "";
        };
        let end = bytes.last().map_or(first.end, |last| last.end);
        self.text.get(first.start..end).unwrap_or_default()
    }

    /// The first column of the cell whose text holds byte `byte` of [`Row::text`]: where a
    /// match found in the text starts on screen.
    pub fn column_of_byte(&self, byte: usize) -> Option<u16> {
        self.cell_bytes()
            .find(|(_, bytes)| bytes.contains(&byte))
            .map(|(cell, _)| cell.col)
    }

    /// Each cell with the bytes of [`Row::text`] it holds (the cells' texts follow each
    /// other there).
    fn cell_bytes(&self) -> impl Iterator<Item = (Cell<'_>, std::ops::Range<usize>)> {
        self.cells().scan(0, |start, cell| {
            let bytes = *start..*start + cell.text.len();
            *start = bytes.end;
            Some((cell, bytes))
        })
    }

    /// Whether the last cell is a regular space, unlinked, in a style that shows nothing.
    fn ends_with_plain_blank(&self) -> bool {
        let Some(last) = self.width().checked_sub(1) else {
            return false;
        };
        self.text.ends_with(' ')
            && self
                .styles
                .last()
                .is_some_and(|(_, s)| !s.shows_when_blank())
            && self
                .clusters
                .last()
                .is_none_or(|c| usize::from(c.col) < last)
            && self
                .links
                .last()
                .is_none_or(|l| usize::from(l.col) + usize::from(l.cols) <= last)
    }

    /// A row of `text` in the default style, one character a cell, as wide as the text:
    /// for text whose characters each take one column (a wide character needs
    /// [`RowBuilder::push`]).
    pub fn plain(text: &str) -> Row {
        let cols = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
        let mut builder = Row::builder(cols);
        for c in text.chars() {
            builder.push_char(c, CellStyle::default());
        }
        builder.finish(false)
    }

    /// Gives back the spare capacity a builder left (a row kept for long, as history
    /// keeps it, holds only its cells).
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.styles.shrink_to_fit();
        self.clusters.shrink_to_fit();
        self.links.shrink_to_fit();
    }

    /// What the row holds in memory: its struct, and its heap blocks as allocated
    /// (capacity, not length) with the allocator's own overhead, so that a limit on
    /// buffered rows is a limit on memory, not on the text's length.
    pub fn memory_bytes(&self) -> usize {
        const ALLOCATION_OVERHEAD: usize = 16;
        let heap = |bytes: usize| {
            if bytes == 0 {
                0
            } else {
                bytes + ALLOCATION_OVERHEAD
            }
        };
        std::mem::size_of::<Row>()
            + heap(self.text.capacity())
            + heap(self.styles.capacity() * std::mem::size_of::<(u16, CellStyle)>())
            + heap(self.clusters.capacity() * std::mem::size_of::<Cluster>())
            + heap(self.links.capacity() * std::mem::size_of::<Link>())
    }

    /// The cells, left to right; the second column of a wide cell is not listed.
    pub fn cells(&self) -> Cells<'_> {
        Cells {
            row: self,
            byte: 0,
            col: 0,
            cluster: 0,
            link: 0,
            run: 0,
            run_end: self
                .styles
                .first()
                .map_or(0, |&(cells, _)| usize::from(cells)),
        }
    }
}

/// Fills a row of a fixed width cell by cell. Whatever it is given, the row it makes has
/// exactly that width and passes the checks a peer applies on decoding.
pub struct RowBuilder {
    cols: u16,
    width: u16,
    row: Row,
    /// The hyperlink the cells pushed next are part of.
    link: Option<Arc<str>>,
}

impl RowBuilder {
    /// Appends one cell. Empty text becomes a space, control characters become U+FFFD
    /// (a row is printed to the client's terminal as is), and characters past
    /// [`MAX_CELL_CHARS`] are dropped. Cells past the row's width are ignored; a wide
    /// cell that would not fit becomes a space.
    pub fn push(&mut self, text: &str, wide: bool, style: CellStyle) -> &mut Self {
        let room = self.cols - self.width;
        if room == 0 {
            return self;
        }
        let (text, wide) = if wide && room < 2 {
            (" ", false)
        } else if text.is_empty() {
            (" ", wide)
        } else {
            (text, wide)
        };
        let mut chars = 0u8;
        for c in text.chars().take(MAX_CELL_CHARS) {
            self.row
                .text
                .push(if is_control(c) { '\u{fffd}' } else { c });
            chars += 1;
        }
        if chars != 1 || wide {
            self.row.clusters.push(Cluster {
                col: self.width,
                chars,
                wide,
            });
        }
        let cells = if wide { 2 } else { 1 };
        match self.row.styles.last_mut() {
            Some((run, last)) if *last == style => *run += cells,
            _ => self.row.styles.push((cells, style)),
        }
        if let Some(uri) = &self.link {
            match self.row.links.last_mut() {
                Some(last) if last.col + last.cols == self.width && last.uri == *uri => {
                    last.cols += cells
                }
                _ => self.row.links.push(Link {
                    col: self.width,
                    cols: cells,
                    uri: uri.clone(),
                }),
            }
        }
        self.width += cells;
        self
    }

    /// Appends one cell of one character, one column wide: [`RowBuilder::push`] without
    /// a string.
    #[inline]
    pub fn push_char(&mut self, c: char, style: CellStyle) -> &mut Self {
        self.push(c.encode_utf8(&mut [0; 4]), false, style)
    }

    /// Appends one cell of one character, one column wide, in the style of the cell
    /// before it (the default style for the first). Capturing a row calls this for each
    /// cell that looks like the one before, which is most cells, so it builds and
    /// compares no style.
    #[inline]
    pub fn push_char_as_before(&mut self, c: char) -> &mut Self {
        if self.link.is_none() && self.width < self.cols && !is_control(c) {
            if let Some((cells, _)) = self.row.styles.last_mut() {
                self.row.text.push(c);
                *cells += 1;
                self.width += 1;
                return self;
            }
        }
        let style = self
            .row
            .styles
            .last()
            .map_or_else(CellStyle::default, |&(_, s)| s);
        self.push_char(c, style)
    }

    /// Makes the cells pushed from now on part of a hyperlink to `uri` (OSC 8), or of
    /// none. A target that is not printable ASCII, or longer than [`MAX_LINK_BYTES`], is
    /// no link.
    pub fn link(&mut self, uri: Option<&str>) -> &mut Self {
        let uri = uri.filter(|uri| is_link_target(uri));
        if self.link.as_deref() != uri {
            self.link = uri.map(Arc::from);
        }
        self
    }

    /// Pads the row with blank cells to its width.
    pub fn finish(mut self, wrapped: bool) -> Row {
        self.link = None;
        while self.width < self.cols {
            self.push(" ", false, CellStyle::default());
        }
        self.row.wrapped = wrapped;
        self.row
    }

    /// The row as far as it was pushed, not padded, as history keeps a row: unless it
    /// wrapped (its blanks then belong to the longer line), the blanks at its end that
    /// look like empty cells are dropped, as `capture-pane` drops them.
    pub fn finish_trimmed(self, wrapped: bool) -> Row {
        let mut row = self.row;
        row.wrapped = wrapped;
        if !wrapped {
            while row.ends_with_plain_blank() {
                row.text.pop();
                if let Some((cells, _)) = row.styles.last_mut() {
                    *cells -= 1;
                    if *cells == 0 {
                        row.styles.pop();
                    }
                }
            }
        }
        row
    }
}

/// Why received row data is inconsistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error("row has an empty or repeated style run")]
    StyleRuns,
    #[error("row is wider than 65535 columns")]
    TooWide,
    #[error("row text contains a control character")]
    ControlCharacter,
    #[error("row text does not match its cells")]
    CellMismatch,
    #[error("row has an empty, overlapping or unprintable hyperlink")]
    Links,
}

impl TryFrom<RowWire> for Row {
    type Error = RowError;

    fn try_from(wire: RowWire) -> Result<Self, RowError> {
        let row = Row {
            text: wire.text,
            styles: wire.styles,
            clusters: wire.clusters,
            wrapped: wire.wrapped,
            links: wire.links,
        };
        let empty_run = row.styles.iter().any(|&(cells, _)| cells == 0);
        let repeated = row.styles.windows(2).any(|pair| pair[0].1 == pair[1].1);
        if empty_run || repeated {
            return Err(RowError::StyleRuns);
        }
        if row.width() > usize::from(u16::MAX) {
            return Err(RowError::TooWide);
        }
        if row.text.chars().any(is_control) {
            return Err(RowError::ControlCharacter);
        }
        row.check_cells()?;
        let mut end = 0;
        for link in &row.links {
            let start = usize::from(link.col);
            if start < end || link.cols == 0 || !is_link_target(&link.uri) {
                return Err(RowError::Links);
            }
            end = start + usize::from(link.cols);
        }
        if end > row.width() {
            return Err(RowError::Links);
        }
        Ok(row)
    }
}

impl Row {
    /// Walks the cells as [`Cells`] does and checks that text, clusters and width agree.
    fn check_cells(&self) -> Result<(), RowError> {
        let width = self.width();
        let mut chars = self.text.chars();
        let mut clusters = self.clusters.iter().copied().peekable();
        let mut col = 0usize;
        while col < width {
            let (count, cells) = match clusters.peek().copied() {
                Some(c) if usize::from(c.col) == col => {
                    let regular = c.chars == 1 && !c.wide;
                    if regular || c.chars == 0 || usize::from(c.chars) > MAX_CELL_CHARS {
                        return Err(RowError::CellMismatch);
                    }
                    clusters.next();
                    (usize::from(c.chars), if c.wide { 2 } else { 1 })
                }
                Some(c) if usize::from(c.col) < col => return Err(RowError::CellMismatch),
                _ => (1, 1),
            };
            if chars.by_ref().take(count).count() != count {
                return Err(RowError::CellMismatch);
            }
            col += cells;
        }
        if col != width || chars.next().is_some() || clusters.next().is_some() {
            return Err(RowError::CellMismatch);
        }
        Ok(())
    }
}

/// Iterator over a row's cells; see [`Row::cells`].
pub struct Cells<'a> {
    row: &'a Row,
    byte: usize,
    col: usize,
    cluster: usize,
    link: usize,
    run: usize,
    run_end: usize,
}

impl<'a> Iterator for Cells<'a> {
    type Item = Cell<'a>;

    fn next(&mut self) -> Option<Cell<'a>> {
        let rest = self.row.text.get(self.byte..).filter(|s| !s.is_empty())?;
        while self.col >= self.run_end {
            self.run += 1;
            self.run_end += usize::from(self.row.styles.get(self.run)?.0);
        }
        let (_, style) = *self.row.styles.get(self.run)?;
        let (chars, wide) = match self.row.clusters.get(self.cluster) {
            Some(c) if usize::from(c.col) == self.col => {
                self.cluster += 1;
                (usize::from(c.chars), c.wide)
            }
            _ => (1, false),
        };
        let len = rest
            .char_indices()
            .nth(chars)
            .map_or(rest.len(), |(i, _)| i);
        let links = &self.row.links;
        while links
            .get(self.link)
            .is_some_and(|l| usize::from(l.col) + usize::from(l.cols) <= self.col)
        {
            self.link += 1;
        }
        let link = links
            .get(self.link)
            .filter(|l| usize::from(l.col) <= self.col)
            .map(|l| &l.uri);
        let cell = Cell {
            col: u16::try_from(self.col).ok()?,
            text: rest.get(..len)?,
            wide,
            style,
            link,
        };
        self.byte += len;
        self.col += if wide { 2 } else { 1 };
        Some(cell)
    }
}

#[cfg(test)]
mod tests;
mod without_overline;

pub use without_overline::RowWithoutOverline;

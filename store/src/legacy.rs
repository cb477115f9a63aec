//! Version 1 of the history format: a line as its text and attribute runs counted in
//! characters, before history kept the protocol's [`Row`] (version 2). Blocks and screen
//! snapshots written by older daemons are read through these types and turned into rows,
//! so no history written before is lost; nothing writes them any more.

use moshmux_proto::screen::{CellStyle, Color as RowColor, Row, UnderlineStyle, MAX_COLS};
use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthChar;

/// A cell colour as the terminal names it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Color {
    #[default]
    Default,
    /// One of the 256 palette entries (0-15 are the ANSI colours).
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// Style flags of a run of cells, as bits. On disk a varint: the first five flags, all
/// that existed when it was a `u8`, still fit one byte, so blocks written then read
/// back unchanged (`block::tests::lines_written_with_one_byte_styles_still_read`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Style(pub u16);

impl Style {
    pub const BOLD: Style = Style(1);
    pub const DIM: Style = Style(1 << 1);
    pub const ITALIC: Style = Style(1 << 2);
    pub const UNDERLINE: Style = Style(1 << 3);
    pub const INVERSE: Style = Style(1 << 4);
    pub const STRIKETHROUGH: Style = Style(1 << 5);
    /// The underline's shape, with `UNDERLINE`; none of these is a single line.
    pub const UNDERLINE_DOUBLE: Style = Style(1 << 6);
    pub const UNDERLINE_CURLY: Style = Style(1 << 7);
    pub const UNDERLINE_DOTTED: Style = Style(1 << 8);
    pub const UNDERLINE_DASHED: Style = Style(1 << 9);

    pub fn contains(self, other: Style) -> bool {
        self.0 & other.0 == other.0
    }
}

#[cfg(test)]
impl std::ops::BitOr for Style {
    type Output = Style;
    fn bitor(self, rhs: Style) -> Style {
        Style(self.0 | rhs.0)
    }
}

/// Attributes shared by `chars` consecutive characters of the line's text. Runs follow
/// each other from the start of the text; characters past the last run have default
/// attributes, so a plain line has no runs at all. Counted in characters of `text`
/// (not cells) so the runs stay meaningful whatever width a renderer gives a character.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrRun {
    pub chars: u32,
    pub fg: Color,
    pub bg: Color,
    pub style: Style,
}

/// One terminal row that left the top of a pane's screen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLine {
    pub text: String,
    pub attrs: Vec<AttrRun>,
    /// The row ended because the terminal wrapped it, not because of a newline.
    pub wrapped: bool,
}

/// The underline shapes as version 1's style bits; a single line has none.
const UNDERLINE_SHAPES: [(UnderlineStyle, Style); 4] = [
    (UnderlineStyle::Double, Style::UNDERLINE_DOUBLE),
    (UnderlineStyle::Curly, Style::UNDERLINE_CURLY),
    (UnderlineStyle::Dotted, Style::UNDERLINE_DOTTED),
    (UnderlineStyle::Dashed, Style::UNDERLINE_DASHED),
];

impl StoredLine {
    /// The line as a row as wide as its text: zero-width characters join the cell before
    /// them, and widths are the ones the client's renderer also uses.
    pub fn into_row(self) -> Row {
        let mut cells: Vec<(String, bool, CellStyle)> = Vec::new();
        let mut runs = self.attrs.iter();
        let mut run = runs.next();
        let mut left = run.map_or(0, |r| r.chars);
        for c in self.text.chars() {
            while run.is_some() && left == 0 {
                run = runs.next();
                left = run.map_or(0, |r| r.chars);
            }
            let style = run.map_or_else(CellStyle::default, AttrRun::cell_style);
            left = left.saturating_sub(1);
            match (c.width(), cells.last_mut()) {
                (Some(0), Some(last)) => last.0.push(c),
                (width, _) => cells.push((c.to_string(), width == Some(2), style)),
            }
        }
        let width: usize = cells.iter().map(|c| if c.1 { 2 } else { 1 }).sum();
        let cols = u16::try_from(width).unwrap_or(MAX_COLS).min(MAX_COLS);
        let mut builder = Row::builder(cols);
        for (text, wide, style) in &cells {
            builder.push(text, *wide, *style);
        }
        builder.finish(self.wrapped)
    }
}

impl AttrRun {
    /// The run's attributes as a row's cell style (version 1 kept no underline colour,
    /// overline or blink).
    fn cell_style(&self) -> CellStyle {
        let style = self.style;
        CellStyle {
            fg: self.fg.into(),
            bg: self.bg.into(),
            bold: style.contains(Style::BOLD),
            dim: style.contains(Style::DIM),
            italic: style.contains(Style::ITALIC),
            underline: style.contains(Style::UNDERLINE),
            inverse: style.contains(Style::INVERSE),
            strikethrough: style.contains(Style::STRIKETHROUGH),
            underline_style: UNDERLINE_SHAPES
                .iter()
                .find(|&&(_, flag)| style.contains(flag))
                .map_or(UnderlineStyle::Single, |&(shape, _)| shape),
            underline_color: RowColor::Default,
            overline: false,
            blink: false,
        }
    }
}

impl From<Color> for RowColor {
    fn from(color: Color) -> RowColor {
        match color {
            Color::Default => RowColor::Default,
            Color::Indexed(index) => RowColor::Indexed(index),
            Color::Rgb(r, g, b) => RowColor::Rgb(r, g, b),
        }
    }
}

//! What the predictor asks to draw, and drawing it into a frame over the focused pane.

use moshmux_proto::screen::{CellStyle, Point, Rect};
use moshmux_proto::PaneId;

use crate::frame::Frame;

/// Guessed cells and cursor of one pane, in the pane's coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    pub pane: PaneId,
    pub cells: Vec<OverlayCell>,
    pub cursor: Option<Point>,
    /// The link is slow or a guess was wrong lately: mark guesses as guesses.
    pub underline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayCell {
    pub row: u16,
    pub col: u16,
    /// A character and any combining marks, or a space where a guess erased one.
    pub text: String,
    pub wide: bool,
}

/// Draws `overlay` over the pane at `rect`. A guessed character takes the style of the
/// cell left of it (the program's pen is unknown, and text usually continues in the
/// style before it), underlined when the overlay says so. `with_cursor` is false while
/// the client's own prompt holds the cursor.
pub fn paint(frame: &mut Frame, rect: Rect, overlay: &Overlay, with_cursor: bool) {
    for cell in &overlay.cells {
        let width = if cell.wide { 2 } else { 1 };
        if cell.row >= rect.rows || cell.col + width > rect.cols {
            continue;
        }
        let (row, col) = (rect.y + cell.row, rect.x + cell.col);
        let source = if cell.col > 0 { col - 1 } else { col };
        let mut style = frame
            .row(row)
            .get(usize::from(source))
            .map_or_else(CellStyle::default, |c| c.style);
        style.underline |= overlay.underline && cell.text != " ";
        frame.put(row, col, &cell.text, cell.wide, style);
    }
    if let Some(at) = overlay
        .cursor
        .filter(|_| with_cursor && frame.cursor.is_some())
    {
        if at.row < rect.rows && at.col < rect.cols {
            frame.cursor = Some((rect.y + at.row, rect.x + at.col));
        }
    }
}

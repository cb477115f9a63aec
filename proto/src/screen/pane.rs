//! What the client needs to draw one pane: its rows, cursor, title and terminal modes.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::row::Row;
use super::ScreenError;
use crate::ids::LineNumber;
use crate::label::Label;

/// Largest pane screen, in rows and in columns. Bounds what a peer can make us allocate.
pub const MAX_ROWS: u16 = 1000;
pub const MAX_COLS: u16 = 1000;

/// A cell position, counted from the top left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Point {
    pub row: u16,
    pub col: u16,
}

/// Which mouse events the program asked for (DECSET 9/1000/1002/1003). Wire format: append
/// only (bincode numbers variants by position).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MouseMode {
    #[default]
    None,
    Press,
    PressRelease,
    ButtonMotion,
    AnyMotion,
}

/// How mouse events are encoded (default, DECSET 1005, 1006). Wire format: append only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MouseEncoding {
    #[default]
    Default,
    Utf8,
    Sgr,
}

/// Terminal modes the client must mirror so keys and the mouse reach the program encoded
/// the way it asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Modes {
    pub application_cursor: bool,
    pub application_keypad: bool,
    pub bracketed_paste: bool,
    pub mouse: MouseMode,
    pub mouse_encoding: MouseEncoding,
    pub alternate_screen: bool,
    /// The program asked to be told when the terminal gains and loses focus (DECSET
    /// 1004): the client then asks its terminal for the reports and passes them on.
    pub focus_events: bool,
}

/// One pane's visible screen. The rows are private so that every row always has the
/// screen's width; the cursor may lie outside the screen (renderers clip it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PaneScreenWire")]
pub struct PaneScreen {
    pub(super) cols: u16,
    pub(super) rows: Vec<Arc<Row>>,
    pub cursor: Point,
    pub cursor_visible: bool,
    pub title: Label,
    pub modes: Modes,
    /// Lines of this pane's history that left the top of the screen, in total: the
    /// number the next one gets.
    pub history_len: u64,
    /// Number of the oldest history line still kept (retention drops the oldest).
    pub history_start: LineNumber,
}

/// The same fields as [`PaneScreen`], not yet checked.
#[derive(Deserialize)]
struct PaneScreenWire {
    cols: u16,
    rows: Vec<Arc<Row>>,
    cursor: Point,
    cursor_visible: bool,
    title: Label,
    modes: Modes,
    history_len: u64,
    history_start: LineNumber,
}

impl PaneScreen {
    /// A blank screen with a visible cursor at the top left.
    pub fn new(rows: u16, cols: u16) -> Result<Self, ScreenError> {
        check_size(usize::from(rows), cols)?;
        // Blank rows share one allocation until they are written.
        let blank = Arc::new(Row::blank(cols));
        Ok(PaneScreen {
            cols,
            rows: vec![blank; usize::from(rows)],
            cursor: Point::default(),
            cursor_visible: true,
            title: Label::default(),
            modes: Modes::default(),
            history_len: 0,
            history_start: LineNumber(0),
        })
    }

    /// The number the next history line gets: the end of the pane's history, where the
    /// screen's top row follows on.
    pub fn history_end(&self) -> LineNumber {
        LineNumber(self.history_len)
    }

    pub fn cols(&self) -> u16 {
        self.cols
    }

    pub fn rows(&self) -> &[Arc<Row>] {
        &self.rows
    }

    /// Replaces one row. Passing an `Arc` that an older state holds lets both share it.
    pub fn set_row(&mut self, index: usize, row: impl Into<Arc<Row>>) -> Result<(), ScreenError> {
        let row = row.into();
        if row.width() != usize::from(self.cols) {
            return Err(ScreenError::RowWidth {
                width: row.width(),
                cols: self.cols,
            });
        }
        let rows = self.rows.len();
        let slot = self
            .rows
            .get_mut(index)
            .ok_or(ScreenError::RowIndex { index, rows })?;
        *slot = row;
        Ok(())
    }

    pub(super) fn cells(&self) -> usize {
        self.rows.len() * usize::from(self.cols)
    }
}

fn check_size(rows: usize, cols: u16) -> Result<(), ScreenError> {
    if rows > usize::from(MAX_ROWS) || cols > MAX_COLS {
        return Err(ScreenError::TooLarge { rows, cols });
    }
    Ok(())
}

impl TryFrom<PaneScreenWire> for PaneScreen {
    type Error = ScreenError;

    fn try_from(wire: PaneScreenWire) -> Result<Self, ScreenError> {
        check_size(wire.rows.len(), wire.cols)?;
        if let Some(row) = wire
            .rows
            .iter()
            .find(|row| row.width() != usize::from(wire.cols))
        {
            return Err(ScreenError::RowWidth {
                width: row.width(),
                cols: wire.cols,
            });
        }
        Ok(PaneScreen {
            cols: wire.cols,
            rows: wire.rows,
            cursor: wire.cursor,
            cursor_visible: wire.cursor_visible,
            title: wire.title,
            modes: wire.modes,
            history_len: wire.history_len,
            history_start: wire.history_start,
        })
    }
}

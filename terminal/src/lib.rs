//! A pane's terminal without its PTY: the prefilter, the terminal model, the answers to
//! the program's queries and the rows it scrolls off the screen. The server's pane owns
//! one; keeping it apart from the PTY lets the fuzz target feed it any output a program
//! could write.
//!
//! The model is alacritty_terminal's `Term` (docs/terminal.md has the measurements that
//! chose it over vt100 and avt). No other file names it: everything the rest of the
//! server needs from the screen comes out of here in our own types (`Row`, `Modes`,
//! `Size`). Its parser calls our [`handler::PaneHandler`], which passes each
//! call on to the `Term` and mends what xterm does differently, answers queries at the
//! exact point of the stream where they sit, and takes each row that leaves the top of
//! the main screen as it leaves.

mod blink;
mod handler;
mod line_text;
mod overline;
mod prefilter;
mod replies;
mod rows;
#[cfg(test)]
mod tests;

use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::Line;
use alacritty_terminal::term::{Config, Term, TermMode};
use alacritty_terminal::vte::ansi::{Processor, Timeout};
use handler::{NoEvents, PaneHandler, PaneState};
pub use line_text::render as render_line;
use moshmux_proto::screen::{Modes, MouseEncoding, MouseMode, Point, Row};
use prefilter::{Mark, Prefilter};
use std::time::Duration;

/// The most rows one call of the model can push into its history before we take them:
/// a scroll is at most a screen high, and screens are at most this tall.
const MAX_SCROLL_AT_ONCE: usize = moshmux_proto::screen::MAX_ROWS as usize;

/// The model is never narrower than this: it cannot hold a wide character in one column
/// (it indexes past the row, and reflowing one into a single column never ends). A
/// one-column pane shows the model's first column.
const MIN_MODEL_COLS: u16 = 2;

pub struct Terminal {
    /// The pane's size; the model's may be wider (see [`MIN_MODEL_COLS`]).
    size: Size,
    term: Term<NoEvents>,
    parser: Processor<NoSynchronizedUpdates>,
    prefilter: Prefilter,
    state: PaneState,
}

impl Terminal {
    /// A blank terminal; sizes of 0 become 1, which the model and the kernel both need.
    pub fn new(size: Size) -> Terminal {
        let size = size.at_least_one_cell();
        let config = Config {
            scrolling_history: MAX_SCROLL_AT_ONCE,
            ..Config::default()
        };
        Terminal {
            size,
            term: Term::new(config, &ModelSize(size), NoEvents),
            parser: Processor::new(),
            prefilter: Prefilter::new(size.cols),
            state: PaneState::new(size),
        }
    }

    /// Draws output from the program, answering each query where it ends and setting
    /// overline where its SGR ends.
    pub fn process(&mut self, bytes: &[u8]) {
        let filtered = self.prefilter.filter(bytes);
        let mut handler = PaneHandler {
            term: &mut self.term,
            state: &mut self.state,
        };
        let mut start = 0;
        for (end, mark) in self.prefilter.take_marks() {
            self.parser
                .advance(&mut handler, filtered.get(start..end).unwrap_or_default());
            match mark {
                Mark::Query(query) => handler.answer(query),
                Mark::Overline(on) => handler.set_overline(on),
            }
            start = end;
        }
        self.parser
            .advance(&mut handler, filtered.get(start..).unwrap_or_default());
    }

    /// The answers to the program's queries since the last call, to write to the PTY.
    pub fn take_replies(&mut self) -> Vec<u8> {
        self.state.replies.take()
    }

    /// The rows that left the top of the main screen since the last call, oldest first.
    pub fn take_scrolled(&mut self) -> std::vec::Drain<'_, Row> {
        self.state.scrolled.drain(..)
    }

    /// Frees the rows the model keeps in reserve once it has scrolled: it grows its
    /// storage by a thousand rows at a time (about 1.9 MB at 80 columns) and keeps them,
    /// while we take every scrolled row at once. Called when the pane has had a quiet
    /// moment; the next scroll allocates them again. The main screen's reserve stays
    /// while the alternate screen is up (the model gives no way to reach it then).
    pub fn release_spare_rows(&mut self) {
        self.term.grid_mut().truncate();
    }

    pub fn set_size(&mut self, size: Size) {
        let size = size.at_least_one_cell();
        self.size = size;
        self.term.resize(ModelSize(size));
        // Shrinking pushes the rows above the cursor into history, as tmux does.
        let mut handler = PaneHandler {
            term: &mut self.term,
            state: &mut self.state,
        };
        handler.resized(size);
        self.prefilter.set_width(size.cols);
    }

    pub fn size(&self) -> Size {
        self.size
    }

    /// The title the program set with OSC 0 or OSC 2, empty if none.
    pub fn title(&self) -> &str {
        &self.state.title
    }

    /// Bells rung (BEL) since the terminal was made.
    pub fn bells(&self) -> u64 {
        self.state.bells
    }

    /// The newest copy the program made with OSC 52 since the last call, as its
    /// selection letter and the data decoded.
    pub fn take_clipboard(&mut self) -> Option<(char, Vec<u8>)> {
        self.state.clipboard.take()
    }

    /// Visible row `row` (from the top) as the protocol's row.
    pub fn row(&self, row: u16) -> Row {
        rows::wire_row(&self.term.grid()[Line(i32::from(row))], self.size.cols)
    }

    /// A visible row as history keeps it, for the rows a pane leaves behind when it ends.
    pub fn history_row(&self, row: u16) -> Row {
        rows::history_row(&self.term.grid()[Line(i32::from(row))], self.size.cols)
    }

    /// The visible rows as `tmux capture-pane -p` prints them (`-e` with `escapes`): one
    /// line per row, trailing blanks trimmed unless their style shows.
    pub fn capture(&self, escapes: bool) -> String {
        let mut out = String::new();
        for row in 0..self.size().rows {
            let line = self.history_row(row);
            let start = out.len();
            line_text::render(&line, escapes, &mut out);
            if !escapes {
                out.truncate(start + out[start..].trim_end_matches(' ').len());
            }
            out.push('\n');
        }
        out
    }

    /// Where the cursor is, counted from the top left of the screen.
    pub fn cursor(&self) -> Point {
        let point = self.term.grid().cursor.point;
        Point {
            row: u16::try_from(point.line.0).unwrap_or(0),
            col: (point.column.0 as u16).min(self.size.cols - 1),
        }
    }

    pub fn cursor_visible(&self) -> bool {
        self.term.mode().contains(TermMode::SHOW_CURSOR)
    }

    pub fn alternate_screen(&self) -> bool {
        self.term.mode().contains(TermMode::ALT_SCREEN)
    }

    /// The modes a client mirrors so that keys and the mouse reach the program as it asked.
    pub fn modes(&self) -> Modes {
        let mode = *self.term.mode();
        Modes {
            application_cursor: mode.contains(TermMode::APP_CURSOR),
            application_keypad: mode.contains(TermMode::APP_KEYPAD),
            bracketed_paste: mode.contains(TermMode::BRACKETED_PASTE),
            mouse: if mode.contains(TermMode::MOUSE_MOTION) {
                MouseMode::AnyMotion
            } else if mode.contains(TermMode::MOUSE_DRAG) {
                MouseMode::ButtonMotion
            } else if mode.contains(TermMode::MOUSE_REPORT_CLICK) {
                MouseMode::PressRelease
            } else if self.state.x10_mouse {
                MouseMode::Press
            } else {
                MouseMode::None
            },
            mouse_encoding: if mode.contains(TermMode::SGR_MOUSE) {
                MouseEncoding::Sgr
            } else if mode.contains(TermMode::UTF8_MOUSE) {
                MouseEncoding::Utf8
            } else {
                MouseEncoding::Default
            },
            alternate_screen: mode.contains(TermMode::ALT_SCREEN),
            focus_events: mode.contains(TermMode::FOCUS_IN_OUT),
        }
    }
}

/// A size in character cells.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Size {
    pub rows: u16,
    pub cols: u16,
}

impl Size {
    /// The kernel and the terminal model need at least one row and one column.
    pub fn at_least_one_cell(self) -> Size {
        Size {
            rows: self.rows.max(1),
            cols: self.cols.max(1),
        }
    }
}

/// A pane's size as the model asks for it.
struct ModelSize(Size);

impl Dimensions for ModelSize {
    fn total_lines(&self) -> usize {
        self.screen_lines()
    }

    fn screen_lines(&self) -> usize {
        usize::from(self.0.rows)
    }

    fn columns(&self) -> usize {
        usize::from(self.0.cols.max(MIN_MODEL_COLS))
    }
}

/// Synchronized updates (mode 2026) are not held back: the host state is published at
/// most every 10 ms, and holding output needs a clock in the model. A timeout that is
/// never pending keeps the parser from buffering.
#[derive(Default)]
struct NoSynchronizedUpdates;

impl Timeout for NoSynchronizedUpdates {
    fn set_timeout(&mut self, _: Duration) {}

    fn clear_timeout(&mut self) {}

    fn pending_timeout(&self) -> bool {
        false
    }
}

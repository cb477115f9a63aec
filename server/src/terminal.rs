//! A pane's terminal without its PTY: the prefilter, the vt100 parser and the callbacks
//! that answer the program's queries and collect the rows it scrolls off the screen.
//! A [`crate::pane::Pane`] owns one; keeping it apart from the PTY lets the fuzz target
//! feed it any output a program could write.

use crate::capture;
use crate::history_line;
use crate::pane_id::Size;
use crate::prefilter::Prefilter;
use crate::queries::TerminalCallbacks;
use moshmux_store::StoredLine;
use std::num::NonZeroU16;

pub struct Terminal {
    parser: vt100::Parser<TerminalCallbacks>,
    prefilter: Prefilter,
}

impl Terminal {
    /// A blank terminal; sizes of 0 become 1, which vt100 and the kernel both need.
    pub fn new(size: Size) -> Terminal {
        Terminal {
            parser: vt100::Parser::new_with_callbacks(
                nonzero(size.rows),
                nonzero(size.cols),
                0,
                TerminalCallbacks::default(),
            ),
            prefilter: Prefilter::new(size.cols),
        }
    }

    /// Draws output from the program.
    pub fn process(&mut self, bytes: &[u8]) {
        let filtered = self.prefilter.filter(bytes);
        self.parser.process(&filtered);
    }

    /// The answers to the program's queries since the last call, to write to the PTY.
    pub fn take_replies(&mut self) -> Vec<u8> {
        self.parser.callbacks_mut().take_replies()
    }

    /// The rows that left the top of the main screen since the last call, oldest first.
    pub fn take_scrolled(&mut self) -> std::vec::Drain<'_, StoredLine> {
        self.parser.callbacks_mut().take_scrolled()
    }

    pub fn set_size(&mut self, size: Size) {
        self.parser.set_size(nonzero(size.rows), nonzero(size.cols));
        self.prefilter.set_width(size.cols);
    }

    pub fn screen(&self) -> &vt100::Screen {
        self.parser.screen()
    }

    /// The title the program set with OSC 0 or OSC 2, empty if none.
    pub fn title(&self) -> &str {
        self.parser.callbacks().title()
    }

    /// The visible rows as `tmux capture-pane -p` prints them (`-e` with `escapes`).
    pub fn capture(&self, escapes: bool) -> String {
        capture::screen_lines(self.parser.screen(), escapes)
    }

    /// A visible row as a history line, for the rows a pane leaves behind when it ends.
    pub fn row_line(&self, row: u16) -> StoredLine {
        history_line::from_screen_row(self.parser.screen(), row)
    }
}

fn nonzero(cells: u16) -> NonZeroU16 {
    NonZeroU16::new(cells).unwrap_or(NonZeroU16::MIN)
}

//! The user's own terminal, which the client draws on: a terminal model with scrollback,
//! so a test reads what the user would see on the screen and by scrolling back.

use std::num::NonZeroU16;

/// Lines the terminal keeps above its screen: more than any test writes.
const SCROLLBACK_LINES: usize = 100_000;

pub struct UserTerminal {
    parser: vt100::Parser,
}

impl UserTerminal {
    /// A terminal of `size` (columns, rows).
    pub fn new((cols, rows): (u16, u16)) -> UserTerminal {
        let cells = |n: u16| NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN);
        UserTerminal {
            parser: vt100::Parser::new(cells(rows), cells(cols), SCROLLBACK_LINES),
        }
    }

    pub fn process(&mut self, bytes: &[u8]) {
        self.parser.process(bytes);
    }

    /// The screen's rows as text, trailing blanks trimmed.
    pub fn screen(&self) -> Vec<String> {
        let screen = self.parser.screen();
        let cols = screen.size().1.get();
        screen
            .rows(0, cols)
            .map(|row| row.trim_end().to_owned())
            .collect()
    }

    /// Every line that scrolled off the top of the screen, oldest first, trailing blanks
    /// trimmed.
    pub fn scrollback(&mut self) -> Vec<String> {
        let screen = self.parser.screen_mut();
        screen.set_scrollback(usize::MAX);
        let kept = screen.scrollback();
        let cols = screen.size().1.get();
        let mut lines = Vec::with_capacity(kept);
        for offset in (1..=kept).rev() {
            screen.set_scrollback(offset);
            let top = screen.rows(0, cols).next().unwrap_or_default();
            lines.push(top.trim_end().to_owned());
        }
        screen.set_scrollback(0);
        lines
    }

    /// The scrollback and then the screen: all the user can read, oldest first.
    pub fn everything(&mut self) -> Vec<String> {
        let mut lines = self.scrollback();
        lines.extend(self.screen());
        lines
    }
}

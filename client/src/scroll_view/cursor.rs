//! The scroll view's cursor: its place in the text, and the moves that scroll the view
//! under it, as tmux's copy mode moves them.

use moshmux_proto::LineNumber;

use super::motion::{self, Goal};
use super::text::{Point, Text};
use super::ScrollView;

impl ScrollView {
    /// Where the cursor is in the text.
    pub(super) fn cursor(&self) -> Point {
        Point {
            line: self.first + u64::from(self.cursor_row),
            col: self.cursor_col,
        }
    }

    /// Puts the cursor at `point`, scrolling the view just enough to show it.
    pub(super) fn show(&mut self, point: Point) {
        let rows = u64::from(self.rows);
        if point.line < self.first {
            self.first = point.line;
        } else if point.line >= self.first + rows {
            self.first = point.line.saturating_sub(rows - 1);
        }
        self.cursor_row = u16::try_from(point.line - self.first).unwrap_or(self.rows - 1);
        self.cursor_col = point.col;
    }

    /// Any motion but the vertical ones.
    pub(super) fn go(&mut self, point: Point) {
        self.show(point);
        self.unplaced_match = None;
    }

    /// Before a vertical move: the cursor's column becomes the goal, unless it is at its
    /// line's end (then the goal stays, as tmux keeps it).
    fn aim(&mut self, text: &Text) {
        let cursor = self.cursor();
        let line_length = text.cells(cursor.line).length();
        if cursor.col != line_length {
            self.goal = Goal {
                col: cursor.col,
                line_length,
            };
        }
    }

    /// `j`, `k` and the arrows: `lines` down (up when negative), scrolling the view at
    /// its edges.
    pub(super) fn vertical(&mut self, lines: i64, text: &Text) {
        self.aim(text);
        let line = offset(self.cursor().line, lines).clamp(text.start(), text.last());
        self.show(motion::on_line(text, line, self.goal));
        self.keep_whole_lines(text);
        self.unplaced_match = None;
    }

    /// A page: the paging keys move the view by tmux's page, two lines short of the
    /// view's height so some of the last page stays in sight.
    pub(super) fn page_lines(&self) -> u16 {
        if self.rows > 2 {
            self.rows - 2
        } else {
            1
        }
    }

    /// The paging keys: the view moves `lines` down (up when negative) with the cursor
    /// on its row; when the view stops at the oldest line or the bottom, the cursor moves
    /// the lines instead, as in tmux.
    pub(super) fn page(&mut self, lines: i64, text: &Text) {
        self.aim(text);
        let before = self.first;
        self.scroll(lines, text);
        if self.first.distance(before) < lines.unsigned_abs() {
            let row = offset(self.cursor().line, lines).clamp(self.first, self.last_row(text));
            self.cursor_row = u16::try_from(row - self.first).unwrap_or(self.rows - 1);
        }
        self.show(motion::on_line(text, self.cursor().line, self.goal));
        self.keep_whole_lines(text);
        self.unplaced_match = None;
    }

    /// Moves the view `lines` down (up when negative), within the oldest kept line and
    /// the live screen's top, the cursor staying on its row (and on the text).
    pub(super) fn scroll(&mut self, lines: i64, text: &Text) {
        let bottom = text.history_end().max(text.start());
        self.first = offset(self.first, lines).clamp(text.start(), bottom);
        let row = (self.first + u64::from(self.cursor_row)).min(self.last_row(text));
        self.cursor_row = u16::try_from(row - self.first).unwrap_or(0);
    }

    /// The line on the view's last row, or the text's last line when the view shows
    /// less.
    pub(super) fn last_row(&self, text: &Text) -> LineNumber {
        (self.first + u64::from(self.rows - 1)).min(text.last().max(self.first))
    }

    /// `H`, `M`, `L`: the start of the line on the view's `row`.
    pub(super) fn go_to_row(&mut self, row: u16, text: &Text) {
        let line = (self.first + u64::from(row)).min(self.last_row(text));
        self.go(Point { line, col: 0 });
        self.keep_whole_lines(text);
    }

    /// `g`: the oldest line kept, at its start.
    pub(super) fn top(&mut self, text: &Text) {
        self.first = text.start();
        self.go(Point {
            line: self.first,
            col: 0,
        });
    }

    /// `G`: the view at the bottom, the cursor at the end of its last row.
    pub(super) fn bottom(&mut self, text: &Text) {
        self.first = text.history_end().max(text.start());
        let line = self.last_row(text);
        self.go(Point {
            line,
            col: text.cells(line).length(),
        });
        self.keep_whole_lines(text);
    }
}

/// `line` moved by `lines` (back when negative), within line 0 and the last number.
fn offset(line: LineNumber, lines: i64) -> LineNumber {
    if lines < 0 {
        line.saturating_sub(lines.unsigned_abs())
    } else {
        line.saturating_add(lines.unsigned_abs())
    }
}

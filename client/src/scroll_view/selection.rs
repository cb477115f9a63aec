//! The scroll view's selection, as tmux's copy mode makes it: from an anchor to the
//! cursor, both ends included (with emacs keys, the later end left out), by characters
//! (`v`, Space, C-Space), whole lines (`V`) or a rectangle of columns (C-v, R); and the
//! text a copy of it takes.
//!
//! The text follows tmux's rules: each line's trailing blanks are left out, a line the
//! program wrapped runs on into the next without a newline, and the last line ends with
//! a newline only when the selection reaches past its text (as after `$` or `V`).

use std::ops::{Range, RangeInclusive};

use moshmux_proto::ids::line_numbers;
use moshmux_proto::LineNumber;

use super::text::{LineCells, Point, Shown, Text};

/// How the selection covers the text between its ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// From one end to the other, as text reads.
    Chars,
    /// Every line from one end's to the other's, whole.
    Lines,
    /// The columns between the ends, on each line between them.
    Rectangle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// Where it started; the cursor is the other end.
    pub anchor: Point,
    pub shape: Shape,
    /// The cell at its later end is in it (vi keys); with emacs keys it is not, as an
    /// emacs region ends before its end, and tmux's selection does too. In a rectangle
    /// the column left out is the cursor's, when it is the right side.
    pub includes_end: bool,
}

/// A line of the selection is still on its way: a copy would have a hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StillLoading;

impl Selection {
    /// The lines it spans, oldest first, with the cursor at `cursor`.
    pub fn lines(&self, cursor: Point) -> RangeInclusive<LineNumber> {
        let (start, end) = self.ends(cursor);
        start.line..=end.line
    }

    /// Its ends in reading order.
    fn ends(&self, cursor: Point) -> (Point, Point) {
        (self.anchor.min(cursor), self.anchor.max(cursor))
    }

    /// The columns it covers on `line` (whose cells are `cells`) to draw it; `u16::MAX`
    /// for "to the pane's right edge".
    pub fn columns(&self, cursor: Point, line: LineNumber, cells: &LineCells) -> Range<u16> {
        let (start, end) = self.ends(cursor);
        match self.shape {
            Shape::Lines => 0..u16::MAX,
            Shape::Rectangle => {
                let (left, right) = self.sides(cursor);
                left..self.past_right(cursor, right, cells.next_col(right))
            }
            Shape::Chars => {
                let from = if line == start.line { start.col } else { 0 };
                let to = if line != end.line {
                    u16::MAX
                } else if self.includes_end {
                    cells.next_col(end.col)
                } else {
                    end.col
                };
                from..to
            }
        }
    }

    /// A rectangle's first and last columns.
    fn sides(&self, cursor: Point) -> (u16, u16) {
        (
            self.anchor.col.min(cursor.col),
            self.anchor.col.max(cursor.col),
        )
    }

    /// The column a rectangle ends before, given its right side and the column after
    /// that side's cell: that column, or the side's own when the cursor is the right side
    /// and the end is left out.
    fn past_right(&self, cursor: Point, right: u16, after: u16) -> u16 {
        if !self.includes_end && cursor.col > self.anchor.col {
            right
        } else {
            after
        }
    }

    /// The text a copy takes, with the cursor at `cursor`.
    pub fn text(&self, cursor: Point, text: &Text) -> Result<String, StillLoading> {
        let (start, end) = self.ends(cursor);
        let end_length = text.cells(end.line).length();
        // Each line's columns, and the column the last line's part ends before.
        let (first_from, rest_from, rest_to, last_to) = match self.shape {
            Shape::Chars if self.includes_end => {
                (start.col, 0, u16::MAX, end.col.min(end_length) + 1)
            }
            Shape::Chars => (start.col, 0, u16::MAX, end.col.min(end_length)),
            Shape::Lines => (0, 0, u16::MAX, u16::MAX),
            Shape::Rectangle => {
                let (left, right) = self.sides(cursor);
                let past_right = self.past_right(cursor, right, right.saturating_add(1));
                (left, left, past_right, past_right)
            }
        };
        let mut copied = String::new();
        let mut ends_in_newline = false;
        for line in line_numbers(start.line..end.line.next()) {
            let row = match text.line(line) {
                Shown::Line(row) => Some(row),
                Shown::Loading => return Err(StillLoading),
                Shown::Empty => None,
            };
            let from = if line == start.line {
                first_from
            } else {
                rest_from
            };
            let to = if line == end.line { last_to } else { rest_to };
            let wrapped = row.is_some_and(|row| row.wrapped());
            // A wrapped line's blanks are part of the longer line.
            let width = row.map_or(0, |row| {
                if wrapped {
                    u16::try_from(row.width()).unwrap_or(u16::MAX)
                } else {
                    row.text_width()
                }
            });
            let (from, to) = (from.min(width), to.min(width));
            if let Some(row) = row {
                copied.push_str(row.text_of_columns(from..to));
            }
            ends_in_newline = !(wrapped && to == width);
            if ends_in_newline {
                copied.push('\n');
            }
        }
        if ends_in_newline && last_to <= end_length {
            copied.pop();
        }
        Ok(copied)
    }
}

#[cfg(test)]
mod tests;

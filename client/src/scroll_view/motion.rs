//! Where the scroll view's cursor goes for each of tmux's copy-mode motions: pure
//! functions from a point to a point over the [`Text`], so each is tested on a few lines.
//!
//! As in tmux, `h` and `l` wrap to the line above or below, the word motions cross
//! lines and skip blank ones, and the cursor may stand one column past a line's text
//! (where `$` puts it). Unlike tmux, a motion never follows a wrapped line into the next
//! as one line, and a word motion stops before a line still on its way, rather than
//! skip text it cannot see.

use moshmux_proto::LineNumber;

use super::text::{Class, LineCells, Point, Text, Words};

/// `h`: the cell to the left, or the end of the line above.
pub fn left(text: &Text, at: Point) -> Point {
    if at.col > 0 {
        let col = text.cells(at.line).previous_col(at.col);
        return Point { col, ..at };
    }
    match line_above(text, at.line) {
        Some(line) => Point {
            line,
            col: text.cells(line).length(),
        },
        None => at,
    }
}

/// `l`: the cell to the right, up to just past the text, then the start of the line
/// below.
pub fn right(text: &Text, at: Point) -> Point {
    let cells = text.cells(at.line);
    if at.col < cells.length() {
        return Point {
            col: cells.next_col(at.col),
            ..at
        };
    }
    if at.line < text.last() {
        Point {
            line: at.line.next(),
            col: 0,
        }
    } else {
        at
    }
}

/// The column vertical moves aim for, as tmux keeps it: the cursor's column when a run
/// of them started, and the length of its line then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Goal {
    pub col: u16,
    pub line_length: u16,
}

/// `j`, `k` and the paging keys: `line` at the goal's column within its text; or at its
/// end when the goal was at or past its own line's end (the cursor then keeps to the
/// ends of lines, as in tmux; a goal of column 0 on a blank line is one).
pub fn on_line(text: &Text, line: LineNumber, goal: Goal) -> Point {
    let cells = text.cells(line);
    let length = cells.length();
    let col = if goal.col >= goal.line_length || goal.col > length {
        length
    } else {
        cells.cell_start(goal.col)
    };
    Point { line, col }
}

/// `^`: the line's first character that is not a space; a blank line keeps the cursor.
pub fn indentation(text: &Text, at: Point) -> Point {
    Point {
        col: text.cells(at.line).indentation().unwrap_or(at.col),
        ..at
    }
}

/// `w` and `W`: the start of the next word.
pub fn next_word(text: &Text, at: Point, words: Words) -> Point {
    let mut reader = Reader::new(text, at, words);
    if !reader.wrap() {
        return reader.at;
    }
    let class = reader.class();
    if class != Class::Space {
        reader.skip(class);
    }
    while reader.wrap() && reader.class() == Class::Space {
        reader.forward();
    }
    reader.at
}

/// `e` and `E`: the last character of this word, or of the next when the cursor is on
/// the last character already.
pub fn word_end(text: &Text, at: Point, words: Words) -> Point {
    let mut reader = Reader::new(text, at, words);
    if reader.class() != Class::Space && reader.at.col < reader.cells.length() {
        reader.forward();
    }
    left(text, reader.past_word_end())
}

/// emacs's M-f (tmux's next-word-end with emacs keys): just past the end of this word,
/// or of the next when the cursor is on a space or past its word already.
pub fn past_word_end(text: &Text, at: Point, words: Words) -> Point {
    Reader::new(text, at, words).past_word_end()
}

/// `b` and `B`: the start of this word, or of the one before when the cursor is at a
/// word's start.
pub fn previous_word(text: &Text, at: Point, words: Words) -> Point {
    let mut reader = Reader::new(text, at, words);
    // Back to the nearest character before the cursor that is not a space.
    let class = loop {
        if reader.at.col > 0 {
            reader.at.col = reader.cells.previous_col(reader.at.col);
            let class = reader.class();
            if class != Class::Space {
                break class;
            }
        } else {
            let Some(line) = line_above(text, reader.at.line) else {
                return reader.at;
            };
            reader.enter(line);
            reader.at.col = reader.cells.length();
        }
    };
    // Back to the first character of its word.
    while reader.at.col > 0 {
        let before = reader.cells.previous_col(reader.at.col);
        if reader.cells.class(before, words) != class {
            break;
        }
        reader.at.col = before;
    }
    reader.at
}

/// The line above `line`, unless `line` is the oldest kept or the one above is still on
/// its way.
fn line_above(text: &Text, line: LineNumber) -> Option<LineNumber> {
    (line > text.start())
        .then(|| line.saturating_sub(1))
        .filter(|above| !text.loading(*above))
}

/// A point moving cell by cell through the text, with its line's cells at hand.
struct Reader<'a> {
    text: &'a Text<'a>,
    words: Words,
    at: Point,
    cells: LineCells,
}

impl<'a> Reader<'a> {
    fn new(text: &'a Text<'a>, at: Point, words: Words) -> Reader<'a> {
        Reader {
            text,
            words,
            at,
            cells: text.cells(at.line),
        }
    }

    fn enter(&mut self, line: LineNumber) {
        self.at.line = line;
        self.cells = self.text.cells(line);
    }

    fn class(&self) -> Class {
        self.cells.class(self.at.col, self.words)
    }

    fn forward(&mut self) {
        self.at.col = self.cells.next_col(self.at.col);
    }

    /// Past the line's end (one column past its text is still on it), to the start of
    /// the line below; false, at the end of the line, when there is none to go to (the
    /// last line, or one still on its way).
    fn wrap(&mut self) -> bool {
        while self.at.col > self.cells.length() {
            let below = self.at.line.next();
            if self.at.line >= self.text.last() || self.text.loading(below) {
                self.at.col = self.cells.length();
                return false;
            }
            self.enter(below);
            self.at.col = 0;
        }
        true
    }

    /// Past any spaces, then past the word after them (a run of one class); at the end
    /// of the text, or before a line still on its way, when there is none.
    fn past_word_end(mut self) -> Point {
        while self.wrap() {
            match self.class() {
                Class::Space => self.forward(),
                class => {
                    self.skip(class);
                    break;
                }
            }
        }
        self.at
    }

    /// Moves past the run of `class` the reader is on.
    fn skip(&mut self, class: Class) {
        loop {
            self.forward();
            if !self.wrap() || self.class() != class {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! The scroll view: the focused pane's history and screen as one column of numbered lines,
//! paged through with keys while live output keeps arriving, with tmux's copy mode's
//! cursor, motions and selections, read with its vi or emacs keys (tmux's `mode-keys`).
//!
//! A pure state machine, like the bindings: keys in, a position and requests out, so every
//! key is tested without a terminal. The view is anchored to history line numbers (the
//! store's: 0 is the pane's oldest line ever), so new output does not move it. Lines at or
//! past the history length are the live screen's rows. The lines themselves come in the
//! host state's `history` (the server sends the page asked for plus a margin, and never a
//! line the client's state holds already); a line not there yet is drawn as a marker.
//!
//! As in tmux, the cursor starts where the pane's is, keeps its row while the view
//! scrolls under it (the wheel, the paging keys), and scrolls the view when it moves past
//! its top or bottom. `v` or Space starts a selection of characters at the cursor, `V`
//! one of whole lines, C-v makes selections rectangles; `y` or Enter copies the
//! selection to the local clipboard with OSC 52 (and the core makes it a paste buffer on
//! the server) and closes the view (with emacs keys: C-Space, then M-w). The key tables
//! are in `keys`, the motions in `motion`, the selection's shapes and text in
//! `selection`, lines and cells in `text`.

mod cursor;
mod keys;
mod motion;
mod search;
mod selection;
mod text;

use moshmux_proto::options::ModeKeys;
use moshmux_proto::screen::{CellStyle, Color, PaneScreen, Rect, UnderlineStyle};
use moshmux_proto::{
    HostState, Label, LineNumber, PaneId, ScrollRequest, SearchDirection, SearchRequest,
};

use crate::frame::{draw_row, Frame};
use crate::input::{Kind, Token};
use keys::Action;
use motion::Goal;
use selection::{Selection, Shape, StillLoading};
pub use text::Shown;
use text::{LineCells, Point, Text, Words};

/// Lines one mouse wheel notch moves.
const WHEEL_LINES: u64 = 3;
/// A wheel notch up and down, as mouse reports number them.
const WHEEL_UP: u32 = 64;
const WHEEL_DOWN: u32 = 65;
/// Longest search the prompt collects.
const MAX_NEEDLE_BYTES: usize = 256;
/// Drawn in place of a line still on its way.
pub const LOADING: &str = "[loading]";

/// How the view was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Prefix `[`: at the bottom, showing what the pane shows.
    Bottom,
    /// Shift-PageUp: a page up from the bottom.
    PageUp,
    /// The mouse wheel (with `mouse = true`): a notch up from the bottom; a wheel that
    /// comes back down to the bottom closes the view, as tmux's `copy-mode -e`.
    Wheel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    Normal,
    /// Typing a search.
    Prompt(SearchDirection, Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct ScrollView {
    pane: PaneId,
    /// The line on the view's top row.
    first: LineNumber,
    rows: u16,
    /// The cursor's row in the view: it stays there while the view scrolls, as tmux's.
    cursor_row: u16,
    cursor_col: u16,
    /// The column `j`, `k` and the paging keys aim for.
    goal: Goal,
    input: Input,
    /// The newest search asked for; the server answers with its id.
    search: Option<SearchRequest>,
    /// The search answered last, to tell a new answer from one already used.
    answered: Option<u32>,
    /// The cursor is on the line of a match that had not arrived: its column is found
    /// when it does.
    unplaced_match: Option<LineNumber>,
    message: Option<String>,
    selection: Option<Selection>,
    /// C-v's toggle: `v` and Space select rectangles. As in tmux, it outlasts the
    /// selection it was toggled in.
    rectangle: bool,
    /// Text copied and not yet sent to the terminal.
    copied: Option<String>,
    /// Opened by the wheel: the wheel closes it at the bottom.
    leave_at_bottom: bool,
}

impl ScrollView {
    /// Opens a view of pane `pane`, `rows` tall, whose screen is `screen`: the cursor
    /// where the pane's is, as tmux's copy mode starts.
    pub fn open(
        pane: PaneId,
        rows: u16,
        host: &HostState,
        screen: &PaneScreen,
        entry: Entry,
    ) -> ScrollView {
        let rows = rows.max(1);
        let mut view = ScrollView {
            pane,
            first: screen.history_end(),
            rows,
            cursor_row: screen.cursor.row.min(rows - 1),
            cursor_col: screen.cursor.col,
            goal: Goal::default(),
            input: Input::Normal,
            search: None,
            answered: None,
            unplaced_match: None,
            message: None,
            selection: None,
            rectangle: false,
            copied: None,
            leave_at_bottom: entry == Entry::Wheel,
        };
        let text = Text::new(pane, host, screen);
        match entry {
            Entry::Bottom => {}
            Entry::PageUp => view.page(-i64::from(view.page_lines()), &text),
            Entry::Wheel => view.scroll(-(WHEEL_LINES as i64), &text),
        }
        view
    }

    /// The pane is drawn `rows` tall now (the window or the layout changed); the cursor
    /// stays on its line.
    pub fn resize(&mut self, rows: u16) {
        let cursor = self.cursor();
        self.rows = rows.max(1);
        self.show(cursor);
    }

    pub fn pane(&self) -> PaneId {
        self.pane
    }

    /// What to ask the server for.
    pub fn request(&self) -> ScrollRequest {
        ScrollRequest {
            pane: self.pane,
            first: self.first,
            rows: self.rows,
        }
    }

    pub fn search(&self) -> Option<&SearchRequest> {
        self.search.as_ref()
    }

    /// Takes one key typed while the view is open, read in the `keys` table (tmux's
    /// `mode-keys` now: a change applies to the next key, as in tmux); returns false when
    /// it closed the view. `screen` is the view's pane's, from `host`.
    pub fn feed(
        &mut self,
        token: &Token,
        keys: ModeKeys,
        host: &HostState,
        screen: &PaneScreen,
    ) -> bool {
        let input = std::mem::replace(&mut self.input, Input::Normal);
        match input {
            Input::Normal => return self.key(token, keys, &Text::new(self.pane, host, screen)),
            Input::Prompt(direction, mut needle) => match token.kind {
                Kind::Control(b'\r' | b'\n') => {
                    let needle = String::from_utf8_lossy(&needle).into_owned();
                    if !needle.is_empty() {
                        self.start_search(Label::new(&needle), direction);
                    }
                }
                // Esc (any escape sequence), C-c and C-g cancel the prompt, not the view.
                Kind::Escape | Kind::Alt(_) | Kind::Key(_) | Kind::Control(0x03 | 0x07) => {}
                Kind::Control(0x7f | 0x08) => {
                    let mut text = String::from_utf8_lossy(&needle).into_owned();
                    text.pop();
                    self.input = Input::Prompt(direction, text.into_bytes());
                }
                Kind::Char(_) => {
                    if needle.len() + token.bytes.len() <= MAX_NEEDLE_BYTES {
                        needle.extend_from_slice(&token.bytes);
                    }
                    self.input = Input::Prompt(direction, needle);
                }
                Kind::Control(_) | Kind::Mouse(_) | Kind::Focus(_) | Kind::Paste | Kind::Other => {
                    self.input = Input::Prompt(direction, needle)
                }
            },
        }
        true
    }

    /// The Esc key: it cancels a selection, or else closes the view.
    fn escape(&mut self) -> bool {
        self.selection.take().is_some()
    }

    /// The text the last `y` copied, once: the caller sends it to the terminal.
    pub fn take_copied(&mut self) -> Option<String> {
        self.copied.take()
    }

    /// A key outside the prompt, read in the `keys` table; false when it closed the view.
    fn key(&mut self, token: &Token, keys: ModeKeys, text: &Text) -> bool {
        self.message = None;
        if let Kind::Mouse(report) = token.kind {
            if !report.release {
                match report.button {
                    WHEEL_UP => self.scroll(-(WHEEL_LINES as i64), text),
                    WHEEL_DOWN => {
                        self.scroll(WHEEL_LINES as i64, text);
                        return !(self.leave_at_bottom && self.first >= text.history_end());
                    }
                    _ => {}
                }
            }
            return true;
        }
        match keys::action(token, keys) {
            Some(action) => self.act(action, keys, text),
            None => true,
        }
    }

    /// Carries out `action`, whichever table named it; false when it closed the view.
    fn act(&mut self, action: Action, keys: ModeKeys, text: &Text) -> bool {
        let page = i64::from(self.page_lines());
        let half_page = i64::from(self.rows / 2);
        let at = self.cursor();
        match action {
            Action::Leave => return false,
            Action::Escape => return self.escape(),
            Action::ClearSelection => self.selection = None,
            Action::Up => self.vertical(-1, text),
            Action::Down => self.vertical(1, text),
            Action::Left => self.go(motion::left(text, at)),
            Action::Right => self.go(motion::right(text, at)),
            Action::NextWord(words) => self.go(motion::next_word(text, at, words)),
            Action::PreviousWord(words) => self.go(motion::previous_word(text, at, words)),
            Action::WordEnd(words) => self.go(motion::word_end(text, at, words)),
            Action::PastWordEnd => self.go(motion::past_word_end(text, at, Words::Vi)),
            Action::LineStart => self.go(Point { col: 0, ..at }),
            Action::Indentation => self.go(motion::indentation(text, at)),
            Action::LineEnd => self.go(Point {
                col: text.cells(at.line).length(),
                ..at
            }),
            Action::TopRow => self.go_to_row(0, text),
            Action::MiddleRow => self.go_to_row((self.rows - 1) / 2, text),
            Action::BottomRow => self.go_to_row(self.rows - 1, text),
            Action::Scroll(lines) => self.scroll(lines, text),
            Action::HalfPageUp => self.page(-half_page, text),
            Action::HalfPageDown => self.page(half_page, text),
            Action::PageUp => self.page(-page, text),
            Action::PageDown => self.page(page, text),
            Action::Top => self.top(text),
            Action::Bottom => self.bottom(text),
            Action::Select => {
                let shape = if self.rectangle {
                    Shape::Rectangle
                } else {
                    Shape::Chars
                };
                self.select(shape, keys);
            }
            Action::SelectLines => {
                self.select(Shape::Lines, keys);
                self.keep_whole_lines(text);
            }
            Action::ToggleRectangle => self.toggle_rectangle(),
            Action::SwapEnds => self.swap_ends(),
            Action::Copy if self.selection.is_some() => return !self.copy(text),
            Action::Copy => {}
            Action::CopyAndLeave => return self.selection.is_some() && !self.copy(text),
            Action::Search(direction) => self.input = Input::Prompt(direction, Vec::new()),
            Action::SearchAgain | Action::SearchReverse => {
                if let Some(last) = &self.search {
                    let direction = match (action, last.direction) {
                        (Action::SearchAgain, same) => same,
                        (_, SearchDirection::Older) => SearchDirection::Newer,
                        (_, SearchDirection::Newer) => SearchDirection::Older,
                    };
                    self.start_search(last.needle.clone(), direction);
                }
            }
        }
        true
    }

    /// `v`, Space, C-Space and `V`: a selection from the cursor, replacing any. As in
    /// tmux, one made with emacs keys leaves out the cell at its far end (the region's
    /// end, as in emacs), one made with vi keys takes it.
    fn select(&mut self, shape: Shape, keys: ModeKeys) {
        let anchor = self.cursor();
        let anchor = match shape {
            Shape::Lines => Point { col: 0, ..anchor },
            Shape::Chars | Shape::Rectangle => anchor,
        };
        self.selection = Some(Selection {
            anchor,
            shape,
            includes_end: keys == ModeKeys::Vi,
        });
    }

    /// C-v: rectangles from now on, or not; a selection of characters or a rectangle
    /// changes shape at once.
    fn toggle_rectangle(&mut self) {
        self.rectangle = !self.rectangle;
        if let Some(selection) = &mut self.selection {
            selection.shape = if self.rectangle {
                Shape::Rectangle
            } else {
                Shape::Chars
            };
        }
    }

    /// `o`: the cursor goes to the selection's other end, which stays where it was.
    fn swap_ends(&mut self) {
        let cursor = self.cursor();
        if let Some(selection) = &mut self.selection {
            let other = std::mem::replace(&mut selection.anchor, cursor);
            self.go(other);
        }
    }

    /// In a selection of whole lines the cursor sits at the far end of its line, as
    /// tmux's does: the end below the anchor, the start above it.
    fn keep_whole_lines(&mut self, text: &Text) {
        let Some(selection) = self.selection.filter(|s| s.shape == Shape::Lines) else {
            return;
        };
        let line = self.cursor().line;
        self.cursor_col = if line >= selection.anchor.line {
            text.cells(line).length()
        } else {
            0
        };
    }

    /// Copies the selection; true when it did. A line still on its way stops it, with a
    /// message, rather than copying a hole. As in tmux, a selection of nothing copies
    /// nothing.
    fn copy(&mut self, text: &Text) -> bool {
        let Some(selection) = self.selection else {
            return false;
        };
        match selection.text(self.cursor(), text) {
            Ok(copied) => {
                self.copied = Some(copied).filter(|copied| !copied.is_empty());
                true
            }
            Err(StillLoading) => {
                self.message = Some("selection still loading".to_owned());
                false
            }
        }
    }

    /// The view's line for each of its rows: a history line, a screen row, or `None` for
    /// a line still on its way (past the end there is nothing: an empty row).
    pub fn lines<'a>(&self, host: &'a HostState, screen: &'a PaneScreen) -> Vec<Shown<'a>> {
        let text = Text::new(self.pane, host, screen);
        (0..u64::from(self.rows))
            .map(|row| text.line(self.first + row))
            .collect()
    }

    /// Draws the view in the pane's place, over what the pane shows: the selection in
    /// inverse video, the last search's matches highlighted. Returns where the cursor is
    /// on the frame (the terminal's own cursor goes there), if in `rect`.
    pub fn draw(
        &self,
        frame: &mut Frame,
        host: &HostState,
        screen: &PaneScreen,
        rect: Rect,
    ) -> Option<(u16, u16)> {
        let cursor = self.cursor();
        let needle = self.search.as_ref().map(|s| s.needle.as_str());
        for (row, shown) in (0..rect.rows).zip(self.lines(host, screen)) {
            let y = rect.y + row;
            let line = self.first + u64::from(row);
            for col in rect.x..rect.x + rect.cols {
                frame.put(y, col, " ", false, CellStyle::default());
            }
            let cells = match shown {
                Shown::Line(line) => {
                    draw_row(frame, line, y, rect);
                    let cells = LineCells::of(line);
                    for (from, to) in needle
                        .into_iter()
                        .flat_map(|n| search::matches(line, n, &cells))
                    {
                        let (from, to) = (from.min(rect.cols), to.min(rect.cols));
                        frame.restyle(y, rect.x + from, rect.x + to, |style| {
                            style.fg = Color::Indexed(0);
                            style.bg = Color::Indexed(6);
                        });
                    }
                    cells
                }
                Shown::Loading => {
                    frame.put_text(y, rect.x, rect.x + rect.cols, LOADING, LOADING_STYLE);
                    LineCells::default()
                }
                Shown::Empty => LineCells::default(),
            };
            if let Some(selection) = self.selection.filter(|s| s.lines(cursor).contains(&line)) {
                let columns = selection.columns(cursor, line, &cells);
                let (from, to) = (columns.start.min(rect.cols), columns.end.min(rect.cols));
                frame.restyle(y, rect.x + from, rect.x + to, |style| {
                    style.inverse = !style.inverse;
                });
            }
        }
        (self.cursor_row < rect.rows && self.cursor_col < rect.cols)
            .then(|| (rect.y + self.cursor_row, rect.x + self.cursor_col))
    }

    /// The status line's right side, or the prompt when one is open.
    pub fn status(&self, host: &HostState, screen: &PaneScreen) -> (String, Option<String>) {
        let total = screen.history_len + screen.rows().len() as u64;
        let mut text = format!("line {} of {total}", self.first + 1);
        if self.lines(host, screen).contains(&Shown::Loading) {
            text.push_str(" [loading]");
        }
        if let Some(selection) = &self.selection {
            let lines = selection.lines(self.cursor());
            let count = lines.end().lines_since(*lines.start()) + 1;
            let noun = if count == 1 { "line" } else { "lines" };
            text = format!("{count} {noun} selected  {text}");
        }
        if let Some(message) = &self.message {
            text = format!("{message}  {text}");
        }
        let prompt = match &self.input {
            Input::Prompt(direction, needle) => Some(format!(
                "{}{}",
                if *direction == SearchDirection::Older {
                    '/'
                } else {
                    '?'
                },
                String::from_utf8_lossy(needle)
            )),
            _ => None,
        };
        (text, prompt)
    }
}

/// The style of the loading marker: dim, so it never passes for output.
pub const LOADING_STYLE: CellStyle = CellStyle {
    fg: moshmux_proto::screen::Color::Default,
    bg: moshmux_proto::screen::Color::Default,
    bold: false,
    dim: true,
    italic: false,
    underline: false,
    inverse: false,
    strikethrough: false,
    underline_style: UnderlineStyle::Single,
    underline_color: Color::Default,
    overline: false,
    blink: false,
};

#[cfg(test)]
mod tests;

//! The scroll view: the focused pane's history and screen as one column of numbered lines,
//! paged through with keys while live output keeps arriving.
//!
//! A pure state machine, like the bindings: keys in, a position and requests out, so every
//! key is tested without a terminal. The view is anchored to history line numbers (the
//! store's: 0 is the pane's oldest line ever), so new output does not move it. Lines at or
//! past the history length are the live screen's rows. The lines themselves come in the
//! host state's `history` (the server sends the page asked for plus a margin, and never a
//! line the client's state holds already); a line not there yet is drawn as a marker.
//!
//! As in tmux's copy mode, `v` or Space starts a line-wise selection at the view's top
//! line (the one the status line numbers), the moving keys extend it, and `y` or Enter
//! copies it to the local clipboard with OSC 52 and closes the view.

use moshmux_proto::ids::line_numbers;
use moshmux_proto::screen::{
    CellStyle, Color, PaneScreen, Rect, Row, SearchResult, UnderlineStyle,
};
use moshmux_proto::{
    HostState, Label, LineNumber, PaneId, ScrollRequest, SearchDirection, SearchRequest,
};

use crate::frame::{draw_row, Frame};
use crate::input::{Kind, NamedKey, Token};

/// Lines one mouse wheel notch moves, as in tmux.
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
    input: Input,
    /// The newest search asked for; the server answers with its id.
    search: Option<SearchRequest>,
    /// The search answered last, to tell a new answer from one already used.
    answered: Option<u32>,
    message: Option<String>,
    /// Where the selection started; it spans from there to the top line.
    anchor: Option<LineNumber>,
    /// Text copied and not yet sent to the terminal.
    copied: Option<String>,
    /// Opened by the wheel: the wheel closes it at the bottom.
    leave_at_bottom: bool,
}

impl ScrollView {
    /// Opens a view of pane `pane`, `rows` tall, whose screen is `screen`.
    pub fn open(pane: PaneId, rows: u16, screen: &PaneScreen, entry: Entry) -> ScrollView {
        let mut view = ScrollView {
            pane,
            first: screen.history_end(),
            rows,
            input: Input::Normal,
            search: None,
            answered: None,
            message: None,
            anchor: None,
            copied: None,
            leave_at_bottom: entry == Entry::Wheel,
        };
        match entry {
            Entry::Bottom => {}
            Entry::PageUp => view.move_by(-i64::from(rows), screen),
            Entry::Wheel => view.move_by(-(WHEEL_LINES as i64), screen),
        }
        view
    }

    /// The pane is drawn `rows` tall now (the window or the layout changed).
    pub fn resize(&mut self, rows: u16) {
        self.rows = rows;
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

    /// Takes one key typed while the view is open; returns false when it closed the view.
    /// `screen` is the view's pane's, from `host`.
    pub fn feed(&mut self, token: &Token, host: &HostState, screen: &PaneScreen) -> bool {
        let input = std::mem::replace(&mut self.input, Input::Normal);
        match input {
            Input::Normal => return self.key(token, host, screen),
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
        self.anchor.take().is_some()
    }

    /// The text the last `y` copied, once: the caller sends it to the terminal.
    pub fn take_copied(&mut self) -> Option<String> {
        self.copied.take()
    }

    /// A key outside the prompt; false when it closed the view.
    fn key(&mut self, token: &Token, host: &HostState, screen: &PaneScreen) -> bool {
        let page = i64::from(self.rows);
        self.message = None;
        match token.kind {
            Kind::Escape | Kind::Alt(_) => return self.escape(),
            Kind::Key(Some(key)) => match key {
                NamedKey::Up => self.move_by(-1, screen),
                NamedKey::Down => self.move_by(1, screen),
                NamedKey::PageUp | NamedKey::ShiftPageUp => self.move_by(-page, screen),
                NamedKey::PageDown | NamedKey::ShiftPageDown => self.move_by(page, screen),
                NamedKey::Home => self.first = screen.history_start,
                NamedKey::End => self.first = screen.history_end(),
                NamedKey::Left
                | NamedKey::Right
                | NamedKey::CtrlArrow(_)
                | NamedKey::AltArrow(_) => {}
            },
            Kind::Mouse(report) if !report.release => match report.button {
                WHEEL_UP => self.move_by(-(WHEEL_LINES as i64), screen),
                WHEEL_DOWN => {
                    self.move_by(WHEEL_LINES as i64, screen);
                    return !(self.leave_at_bottom && self.first >= screen.history_end());
                }
                _ => {}
            },
            _ => match token.byte() {
                Some(b'q') => return false,
                Some(b'k') => self.move_by(-1, screen),
                Some(b'j') => self.move_by(1, screen),
                Some(0x15) => self.move_by(-page / 2, screen),
                Some(0x04) => self.move_by(page / 2, screen),
                Some(0x02) => self.move_by(-page, screen),
                Some(0x06) => self.move_by(page, screen),
                Some(b'g') => self.first = screen.history_start,
                Some(b'G') => self.first = screen.history_end(),
                Some(b'v' | b' ') => self.anchor = Some(self.first),
                Some(b'y' | b'\r') if self.anchor.is_some() => return !self.copy(host, screen),
                Some(b'/') => self.input = Input::Prompt(SearchDirection::Older, Vec::new()),
                Some(b'?') => self.input = Input::Prompt(SearchDirection::Newer, Vec::new()),
                Some(byte @ (b'n' | b'N')) => {
                    if let Some(last) = &self.search {
                        let direction = match (byte, last.direction) {
                            (b'n', same) => same,
                            (_, SearchDirection::Older) => SearchDirection::Newer,
                            (_, SearchDirection::Newer) => SearchDirection::Older,
                        };
                        self.start_search(last.needle.clone(), direction);
                    }
                }
                _ => {}
            },
        }
        true
    }

    /// Moves the top line, within the oldest kept line and the live screen's top.
    fn move_by(&mut self, lines: i64, screen: &PaneScreen) {
        let moved = if lines < 0 {
            self.first.saturating_sub(lines.unsigned_abs())
        } else {
            self.first.saturating_add(lines.unsigned_abs())
        };
        self.first = moved.clamp(
            screen.history_start,
            screen.history_end().max(screen.history_start),
        );
    }

    /// The selected lines, oldest first, as one range.
    fn selection(&self) -> Option<std::ops::Range<LineNumber>> {
        self.anchor
            .map(|anchor| anchor.min(self.first)..anchor.max(self.first).next())
    }

    /// Copies the selection; true when it did. A line still on its way stops it, with a
    /// message, rather than copying a hole.
    fn copy(&mut self, host: &HostState, screen: &PaneScreen) -> bool {
        let Some(range) = self.selection() else {
            return false;
        };
        let mut rows = Vec::new();
        for line in line_numbers(range) {
            match self.line(host, screen, line) {
                Shown::Line(row) => rows.push(row),
                Shown::Loading => {
                    self.message = Some("selection still loading".to_owned());
                    return false;
                }
                Shown::Empty => {}
            }
        }
        self.copied = Some(crate::clipboard::join_rows(rows));
        true
    }

    fn start_search(&mut self, needle: Label, direction: SearchDirection) {
        let id = self.search.as_ref().map_or(1, |s| s.id.wrapping_add(1));
        self.search = Some(SearchRequest {
            id,
            pane: self.pane,
            needle,
            direction,
            from: self.first,
        });
        self.message = Some("searching".to_owned());
    }

    /// Takes the server's answer to the newest search, once: a match moves the view so
    /// that it is the top line.
    pub fn on_search_result(&mut self, result: Option<SearchResult>, screen: &PaneScreen) {
        let (Some(result), Some(search)) = (result, &self.search) else {
            return;
        };
        if result.id != search.id || self.answered == Some(result.id) {
            return;
        }
        self.answered = Some(result.id);
        match result.line {
            Some(line) => {
                self.first = line.clamp(screen.history_start, screen.history_end());
                self.message = None;
            }
            None => self.message = Some(format!("not found: {}", search.needle.as_str())),
        }
    }

    /// The view's line for each of its rows: a history line, a screen row, or `None` for
    /// a line still on its way (past the end there is nothing: an empty row).
    pub fn lines<'a>(&self, host: &'a HostState, screen: &'a PaneScreen) -> Vec<Shown<'a>> {
        (0..u64::from(self.rows))
            .map(|row| self.line(host, screen, self.first + row))
            .collect()
    }

    fn line<'a>(&self, host: &'a HostState, screen: &'a PaneScreen, line: LineNumber) -> Shown<'a> {
        if line < screen.history_end() {
            match host.history.get(&(self.pane, line)) {
                Some(row) => Shown::Line(row),
                None => Shown::Loading,
            }
        } else {
            usize::try_from(line - screen.history_end())
                .ok()
                .and_then(|index| screen.rows().get(index))
                .map_or(Shown::Empty, |row| Shown::Line(row))
        }
    }

    /// Draws the view in the pane's place, over what the pane shows.
    pub fn draw(&self, frame: &mut Frame, host: &HostState, screen: &PaneScreen, rect: Rect) {
        for (row, shown) in (0..rect.rows).zip(self.lines(host, screen)) {
            let y = rect.y + row;
            for col in rect.x..rect.x + rect.cols {
                frame.put(y, col, " ", false, CellStyle::default());
            }
            match shown {
                Shown::Line(line) => draw_row(frame, line, y, rect),
                Shown::Loading => {
                    frame.put_text(y, rect.x, rect.x + rect.cols, LOADING, LOADING_STYLE);
                }
                Shown::Empty => {}
            }
            if self
                .selection()
                .is_some_and(|range| range.contains(&(self.first + u64::from(row))))
            {
                frame.invert(y, rect.x, rect.x + rect.cols);
            }
        }
    }

    /// The status line's right side, or the prompt when one is open.
    pub fn status(&self, host: &HostState, screen: &PaneScreen) -> (String, Option<String>) {
        let total = screen.history_len + screen.rows().len() as u64;
        let mut text = format!("line {} of {total}", self.first + 1);
        if self.lines(host, screen).contains(&Shown::Loading) {
            text.push_str(" [loading]");
        }
        if let Some(range) = self.selection() {
            let count = range.end - range.start;
            text = format!("{count} selected  {text}");
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

/// What one row of the view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown<'a> {
    Line(&'a Row),
    /// Not here yet: drawn as [`LOADING`].
    Loading,
    Empty,
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
};

#[cfg(test)]
mod tests;

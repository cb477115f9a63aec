//! What the client's terminal should show: the session's panes at their places, the
//! borders between them, and a status line, composed into one grid of cells.
//!
//! The renderer compares grids, so everything drawn goes through here; nothing else
//! writes to the terminal while the client runs.

use std::sync::Arc;

use moshmux_proto::screen::{CellStyle, Color, Modes, PaneView, Rect, Row, UnderlineStyle};
use moshmux_proto::{HostState, PaneId};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Drawn for cell text whose width disagrees with the server's: printing it would put the
/// terminal's cursor somewhere the renderer does not expect. Plain ASCII, because some
/// terminals (vt100's parser among them) drop U+FFFD.
const NARROW_REPLACEMENT: char = '?';
const WIDE_REPLACEMENT: char = '\u{ff1f}';

const STATUS_STYLE: CellStyle = CellStyle {
    fg: Color::Indexed(0),
    bg: Color::Indexed(2),
    bold: false,
    dim: false,
    italic: false,
    underline: false,
    inverse: false,
    strikethrough: false,
    underline_style: UnderlineStyle::Single,
    underline_color: Color::Default,
    overline: false,
    blink: false,
};
const ACTIVE_BORDER_STYLE: CellStyle = CellStyle {
    fg: Color::Indexed(2),
    ..BLANK_STYLE
};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Glyph {
    /// One character: the usual case, kept without allocating.
    Char(char),
    /// A base character and its combining marks.
    Cluster(Arc<str>),
    /// The right half of the wide cell to the left; never printed on its own.
    WideTail,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FrameCell {
    pub glyph: Glyph,
    pub wide: bool,
    pub style: CellStyle,
    /// The hyperlink (OSC 8) the cell is part of.
    pub link: Option<Arc<str>>,
}

impl FrameCell {
    pub(crate) const BLANK: FrameCell = FrameCell {
        glyph: Glyph::Char(' '),
        wide: false,
        style: BLANK_STYLE,
        link: None,
    };

    /// A space in the default style: what erasing leaves.
    pub fn is_blank(&self) -> bool {
        *self == FrameCell::BLANK
    }
}

const BLANK_STYLE: CellStyle = CellStyle {
    fg: Color::Default,
    bg: Color::Default,
    bold: false,
    dim: false,
    italic: false,
    underline: false,
    inverse: false,
    strikethrough: false,
    underline_style: UnderlineStyle::Single,
    underline_color: Color::Default,
    overline: false,
    blink: false,
};

/// A whole terminal's worth of cells, plus where the cursor goes and the input modes the
/// focused pane asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    cols: u16,
    rows: u16,
    cells: Vec<FrameCell>,
    /// (row, column); `None` hides the cursor.
    pub cursor: Option<(u16, u16)>,
    pub modes: Modes,
}

/// What the client adds to the server's state on its status line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusExtras {
    /// A problem with the link ("Last contact 12 s ago"); shown before any notice.
    pub link_notice: Option<String>,
    /// An open prompt; it takes the whole status line and the cursor.
    pub prompt: Option<String>,
    /// Where an open scroll view is ("line X of Y"); shown instead of the server's
    /// notices.
    pub view: Option<String>,
    /// The config file's `status-line = false`: the panes get the last row too, and the
    /// status line is drawn over it only while it has something to say.
    pub auto_hide: bool,
}

impl StatusExtras {
    /// Whether the status line takes the last row.
    pub fn shown(&self, host: &HostState) -> bool {
        !self.auto_hide
            || self.link_notice.is_some()
            || self.prompt.is_some()
            || self.view.is_some()
            || !host.notices.is_empty()
    }
}

impl Frame {
    pub fn blank(cols: u16, rows: u16) -> Frame {
        Frame {
            cols,
            rows,
            cells: vec![FrameCell::BLANK; usize::from(cols) * usize::from(rows)],
            cursor: None,
            modes: Modes::default(),
        }
    }

    pub fn cols(&self) -> u16 {
        self.cols
    }

    pub fn rows(&self) -> u16 {
        self.rows
    }

    /// One row's cells, left to right (empty past the last row).
    pub fn row(&self, row: u16) -> &[FrameCell] {
        let width = usize::from(self.cols);
        let start = usize::from(row) * width;
        self.cells.get(start..start + width).unwrap_or_default()
    }

    /// Moves rows `k..region` up to `0..region - k` and blanks the rows below them, as a
    /// terminal does when its scrolling region is the top `region` rows.
    pub fn scroll_up(&mut self, region: u16, k: u16) {
        let region = usize::from(region.min(self.rows));
        let k = usize::from(k).min(region);
        let width = usize::from(self.cols);
        self.cells[..region * width].rotate_left(k * width);
        self.cells[(region - k) * width..region * width].fill(FrameCell::BLANK);
    }

    /// Writes one cell, keeping wide cells whole: a cell that half covers a wide one
    /// blanks its other half, and a wide cell that does not fit becomes a space.
    pub(crate) fn put(&mut self, row: u16, col: u16, text: &str, wide: bool, style: CellStyle) {
        if row >= self.rows || col >= self.cols {
            return;
        }
        let wide = wide && col + 1 < self.cols;
        let width = if wide { 2 } else { 1 };
        let glyph = match text.chars().count() {
            _ if text.width() != width => Glyph::Char(if wide {
                WIDE_REPLACEMENT
            } else {
                NARROW_REPLACEMENT
            }),
            1 => Glyph::Char(text.chars().next().unwrap_or(' ')),
            _ => Glyph::Cluster(text.into()),
        };
        self.unshare(row, col);
        if wide {
            self.unshare(row, col + 1);
        }
        let index = self.index(row, col);
        self.cells[index] = FrameCell {
            glyph,
            wide,
            style,
            link: None,
        };
        if wide {
            self.cells[index + 1] = FrameCell {
                glyph: Glyph::WideTail,
                wide: false,
                style,
                link: None,
            };
        }
    }

    /// Makes the cell at (row, col), both halves if it is wide, part of a hyperlink.
    fn link(&mut self, row: u16, col: u16, link: &Arc<str>) {
        if row >= self.rows || col >= self.cols {
            return;
        }
        let index = self.index(row, col);
        let halves = if self.cells[index].wide { 2 } else { 1 };
        for cell in &mut self.cells[index..index + halves] {
            cell.link = Some(link.clone());
        }
    }

    /// Blanks the other half of a wide cell that covers (row, col).
    fn unshare(&mut self, row: u16, col: u16) {
        let index = self.index(row, col);
        if self.cells[index].wide && col + 1 < self.cols {
            self.cells[index + 1] = FrameCell::BLANK;
        }
        if self.cells[index].glyph == Glyph::WideTail && col > 0 {
            self.cells[index - 1] = FrameCell::BLANK;
        }
        self.cells[index] = FrameCell::BLANK;
    }

    /// Changes the style of columns `from..to` of a row, keeping their text: how the
    /// scroll view shows its selection (inverse video, readable whatever colours the
    /// lines have) and search matches.
    pub(crate) fn restyle(
        &mut self,
        row: u16,
        from: u16,
        to: u16,
        change: impl Fn(&mut CellStyle),
    ) {
        if row >= self.rows {
            return;
        }
        for col in from..to.min(self.cols) {
            let index = self.index(row, col);
            change(&mut self.cells[index].style);
        }
    }

    fn index(&self, row: u16, col: u16) -> usize {
        usize::from(row) * usize::from(self.cols) + usize::from(col)
    }

    /// Writes text from `col` on, at most up to column `end`; returns the column after it.
    pub(crate) fn put_text(
        &mut self,
        row: u16,
        col: u16,
        end: u16,
        text: &str,
        style: CellStyle,
    ) -> u16 {
        let mut col = col;
        let mut buf = [0u8; 4];
        for c in text.chars() {
            let width = c.width().unwrap_or(0) as u16;
            if width == 0 {
                continue;
            }
            if col + width > end.min(self.cols) {
                break;
            }
            self.put(row, col, c.encode_utf8(&mut buf), width == 2, style);
            col += width;
        }
        col
    }
}

/// Composes the frame for a terminal of `cols` x `rows`: the panes fill all rows but the
/// last, which is the status line, or all of them when it is hidden.
pub fn compose(host: &HostState, cols: u16, rows: u16, extras: &StatusExtras) -> Frame {
    let mut frame = Frame::blank(cols, rows);
    let shown = extras.shown(host);
    let area = Rect {
        x: 0,
        y: 0,
        cols,
        rows: rows.saturating_sub(u16::from(shown)),
    };
    let visible: Vec<&PaneView> = match host.panes.iter().find(|view| view.zoomed) {
        Some(zoomed) => vec![zoomed],
        None => host.panes.iter().collect(),
    };
    let rects: Vec<Rect> = visible.iter().map(|view| clip(view.rect, area)).collect();
    for (view, rect) in visible.iter().zip(&rects) {
        draw_pane(&mut frame, host, view, *rect);
    }
    let active = visible.iter().zip(&rects).find(|(view, _)| view.active);
    draw_borders(&mut frame, &rects, active.map(|(_, rect)| *rect), area);
    if let Some((view, rect)) = active {
        if let Some(screen) = host.screens.get(&view.pane) {
            frame.modes = screen.modes;
            if screen.cursor_visible && rect.rows > 0 && rect.cols > 0 {
                let row = screen.cursor.row.min(rect.rows - 1);
                let col = screen.cursor.col.min(rect.cols - 1);
                frame.cursor = Some((rect.y + row, rect.x + col));
            }
        }
    }
    if rows > 0 && shown {
        draw_status(&mut frame, host, rows - 1, extras);
    }
    frame
}

/// Where the focused pane is drawn (the zoomed pane, else the active one) in the panes'
/// area of `cols` x `rows`, its id, and the input modes it asked for.
pub fn focused_pane(host: &HostState, cols: u16, rows: u16) -> Option<(PaneId, Rect, Modes)> {
    let view = focused_view(host)?;
    let modes = host.screens.get(&view.pane)?.modes;
    let area = Rect {
        x: 0,
        y: 0,
        cols,
        rows,
    };
    Some((view.pane, clip(view.rect, area), modes))
}

/// The pane that gets the keys: the zoomed one, else the active one.
pub fn focused_view(host: &HostState) -> Option<&PaneView> {
    host.panes
        .iter()
        .find(|view| view.zoomed)
        .or_else(|| host.panes.iter().find(|view| view.active))
}

/// The part of `rect` inside `area` (both start at the area's origin here).
fn clip(rect: Rect, area: Rect) -> Rect {
    let x = rect.x.min(area.cols);
    let y = rect.y.min(area.rows);
    Rect {
        x,
        y,
        cols: rect.cols.min(area.cols - x),
        rows: rect.rows.min(area.rows - y),
    }
}

fn draw_pane(frame: &mut Frame, host: &HostState, view: &PaneView, rect: Rect) {
    let Some(screen) = host.screens.get(&view.pane) else {
        return;
    };
    for (row, line) in (0..rect.rows).zip(screen.rows()) {
        draw_row(frame, line, rect.y + row, rect);
    }
}

/// Draws one row of a pane at frame row `y`, cut at the pane's right edge.
pub(crate) fn draw_row(frame: &mut Frame, line: &Row, y: u16, rect: Rect) {
    for cell in line.cells() {
        if cell.col >= rect.cols {
            break;
        }
        let wide = cell.wide && cell.col + 1 < rect.cols;
        let text = if wide == cell.wide { cell.text } else { " " };
        frame.put(y, rect.x + cell.col, text, wide, cell.style);
        if let Some(link) = cell.link {
            frame.link(y, rect.x + cell.col, link);
        }
    }
}

fn covers(rect: Rect, row: i32, col: i32) -> bool {
    let (x, y) = (i32::from(rect.x), i32::from(rect.y));
    col >= x && col < x + i32::from(rect.cols) && row >= y && row < y + i32::from(rect.rows)
}

/// Next to the rectangle, diagonals included.
fn touches(rect: Rect, row: i32, col: i32) -> bool {
    (-1..=1).any(|dr| (-1..=1).any(|dc| covers(rect, row + dr, col + dc)))
}

/// One-cell lines between panes, as tmux draws them: every uncovered cell within the
/// panes' bounding box that touches a pane. Lines join with box-drawing corners and tees,
/// and the cells around the active pane are highlighted.
fn draw_borders(frame: &mut Frame, rects: &[Rect], active: Option<Rect>, area: Rect) {
    let rects: Vec<Rect> = rects
        .iter()
        .copied()
        .filter(|r| r.cols > 0 && r.rows > 0)
        .collect();
    let (Some(left), Some(top)) = (
        rects.iter().map(|r| r.x).min(),
        rects.iter().map(|r| r.y).min(),
    ) else {
        return;
    };
    let right = rects.iter().map(|r| r.x + r.cols).max().unwrap_or(left);
    let bottom = rects.iter().map(|r| r.y + r.rows).max().unwrap_or(top);
    let is_border = |row: i32, col: i32| {
        row >= i32::from(top)
            && row < i32::from(bottom.min(area.rows))
            && col >= i32::from(left)
            && col < i32::from(right.min(area.cols))
            && !rects.iter().any(|r| covers(*r, row, col))
            && rects.iter().any(|r| touches(*r, row, col))
    };
    for row in top..bottom.min(area.rows) {
        for col in left..right.min(area.cols) {
            let (r, c) = (i32::from(row), i32::from(col));
            if !is_border(r, c) {
                continue;
            }
            let links = [
                is_border(r - 1, c),
                is_border(r + 1, c),
                is_border(r, c - 1),
                is_border(r, c + 1),
            ];
            let style = match active {
                Some(rect) if touches(rect, r, c) => ACTIVE_BORDER_STYLE,
                _ => BLANK_STYLE,
            };
            let mut buf = [0u8; 4];
            frame.put(
                row,
                col,
                box_char(links).encode_utf8(&mut buf),
                false,
                style,
            );
        }
    }
}

/// The line character joining the neighbours that are borders too: [up, down, left, right].
fn box_char(links: [bool; 4]) -> char {
    match links {
        [true, true, true, true] => '┼',
        [true, true, false, true] => '├',
        [true, true, true, false] => '┤',
        [false, true, true, true] => '┬',
        [true, false, true, true] => '┴',
        [false, true, false, true] => '┌',
        [false, true, true, false] => '┐',
        [true, false, false, true] => '└',
        [true, false, true, false] => '┘',
        [false, false, _, _] => '─',
        _ => '│',
    }
}

/// tmux's status line: `status-left` and the window list on the left, `status-right` at
/// the right edge, as the server formatted them (`StatusText`); the link notice, the
/// scroll view's position or the server's notices take the right side, in bold, while
/// there are any. A prompt replaces the whole line.
fn draw_status(frame: &mut Frame, host: &HostState, row: u16, extras: &StatusExtras) {
    let cols = frame.cols;
    for col in 0..cols {
        frame.put(row, col, " ", false, STATUS_STYLE);
    }
    if let Some(prompt) = &extras.prompt {
        let end = frame.put_text(row, 0, cols, prompt, STATUS_STYLE);
        frame.cursor = Some((row, end.min(cols.saturating_sub(1))));
        frame.modes = Modes::default();
        return;
    }
    let notice = match (&extras.link_notice, &extras.view) {
        (Some(notice), _) | (None, Some(notice)) => Some(notice.clone()),
        (None, None) if !host.notices.is_empty() => Some(
            host.notices
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (None, None) => None,
    };
    // A notice matters more than the window list; tmux's status-right less than the
    // session's name, so it shows only where both fit.
    let left = status_left(host);
    let left_width = u16::try_from(left.width()).unwrap_or(u16::MAX);
    let (right, style, margin) = match &notice {
        Some(notice) => (
            notice.as_str(),
            CellStyle {
                bold: true,
                ..STATUS_STYLE
            },
            1,
        ),
        None => (host.status.right.as_str(), STATUS_STYLE, 0),
    };
    let right_width = u16::try_from(right.width()).unwrap_or(u16::MAX);
    let fits = u32::from(left_width) + 1 + u32::from(right_width) <= u32::from(cols);
    let right_start = if notice.is_some() || fits {
        let start = cols.saturating_sub(right_width.saturating_add(margin));
        frame.put_text(row, start, cols, right, style);
        start
    } else {
        cols
    };
    let list_end = if right.is_empty() || right_start == cols {
        cols
    } else {
        right_start.saturating_sub(1)
    };
    let list_start = frame.put_text(row, 0, list_end, &left, STATUS_STYLE);
    frame.put_text(row, list_start, list_end, &window_list(host), STATUS_STYLE);
}

/// `status-left`, or a placeholder until the first state.
fn status_left(host: &HostState) -> String {
    if host.session.is_empty() {
        return "[connecting]".to_owned();
    }
    host.status.left.as_str().to_owned()
}

/// The windows, each in its format, between separators.
fn window_list(host: &HostState) -> String {
    let status = &host.status;
    let windows: Vec<&str> = status.windows.iter().map(|label| label.as_str()).collect();
    windows.join(status.separator.as_str())
}

#[cfg(test)]
pub(crate) mod tests;

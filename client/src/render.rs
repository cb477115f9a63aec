//! Turns frames into escape sequences: each frame is compared with the one the terminal
//! shows, and only the cells that differ are written, with the shortest cursor moves and
//! colour changes that get them there.
//!
//! The renderer tracks what the terminal holds (cells, pen, cursor, modes) and never
//! reads it back; the tests check that bookkeeping by feeding the output to a terminal
//! emulator and comparing its screen with the frame.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;

use moshmux_proto::screen::{CellStyle, Color, Modes, MouseEncoding, MouseMode};

use crate::frame::{Frame, FrameCell, Glyph};

/// Moving right over this many unchanged plain cells costs less by printing them again
/// than by a cursor-forward sequence.
const MAX_REPRINT: u16 = 3;

#[derive(Debug, Default)]
pub struct Renderer {
    /// What the terminal shows; `None` before the first frame.
    shown: Option<Frame>,
    /// The terminal's current attributes, when known.
    pen: Option<CellStyle>,
    /// The terminal's cursor (row, col), when known. Writing the last column leaves it
    /// unknown: terminals differ on the pending wrap that follows.
    cursor: Option<(u16, u16)>,
    cursor_visible: Option<bool>,
    /// Input modes set on the terminal, to match the focused pane.
    modes: Modes,
}

impl Renderer {
    /// Appends what turns the terminal's screen into `frame`. A first frame, or one of a
    /// new size, is drawn whole on a cleared screen.
    pub fn render(&mut self, frame: &Frame, out: &mut Vec<u8>) {
        let shown = match self.shown.take() {
            Some(shown) if shown.cols() == frame.cols() && shown.rows() == frame.rows() => shown,
            _ => {
                out.extend_from_slice(b"\x1b[m\x1b[H\x1b[2J");
                self.pen = Some(CellStyle::default());
                self.cursor = Some((0, 0));
                Frame::blank(frame.cols(), frame.rows())
            }
        };
        let mut shown = shown;
        if let Some((region, k)) = find_scroll(&shown, frame) {
            self.scroll(&mut shown, region, k, out);
        }
        for row in 0..frame.rows() {
            let (new, old) = (frame.row(row), shown.row(row));
            if new != old {
                self.update_row(row, new, old, out);
            }
        }
        self.set_modes(frame.modes, out);
        match frame.cursor {
            Some((row, col)) => {
                self.move_to(row, col, frame.row(row), out);
                if self.cursor_visible != Some(true) {
                    out.extend_from_slice(b"\x1b[?25h");
                    self.cursor_visible = Some(true);
                }
            }
            None if self.cursor_visible != Some(false) => {
                out.extend_from_slice(b"\x1b[?25l");
                self.cursor_visible = Some(false);
            }
            None => {}
        }
        self.shown = Some(frame.clone());
    }

    /// Appends what hands the terminal back: default attributes and modes, a visible
    /// cursor on a fresh line below the frame.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.set_pen(CellStyle::default(), out);
        self.set_modes(Modes::default(), out);
        out.extend_from_slice(b"\x1b[?25h");
        if let Some(shown) = &self.shown {
            let _ = write!(out, "\x1b[{}H", shown.rows());
        }
        out.extend_from_slice(b"\r\n");
        self.shown = None;
        self.cursor = None;
    }

    /// Scrolls the top `region` rows up by `k` with a scrolling region, so the rows that
    /// moved cost a few bytes instead of being drawn again. Deleting lines, unlike a line
    /// feed at the region's bottom, puts nothing into the terminal's scrollback (tmux
    /// keeps what leaves a region that starts at the top): only `push_to_scrollback` and
    /// `scroll_into_scrollback` write there.
    fn scroll(&mut self, shown: &mut Frame, region: u16, k: u16, out: &mut Vec<u8>) {
        // Rows that come in are erased in the current background: make it the default.
        self.set_pen(CellStyle::default(), out);
        // Setting the region homes the cursor, and so does resetting it.
        let _ = write!(out, "\x1b[1;{region}r\x1b[{k}M\x1b[r");
        self.cursor = Some((0, 0));
        shown.scroll_up(region, k);
    }

    /// Scrolls the whole terminal up by `k` rows, so that the top `k` rows it shows go
    /// into its scrollback; the next frame repaints what moved, cheaply, because the
    /// renderer knows where it went.
    pub fn scroll_into_scrollback(&mut self, k: u16, out: &mut Vec<u8>) {
        let Some(shown) = &mut self.shown else {
            return;
        };
        let rows = shown.rows();
        let k = k.min(rows);
        if k == 0 {
            return;
        }
        shown.scroll_up(rows, k);
        self.set_pen(CellStyle::default(), out);
        let _ = write!(out, "\x1b[{rows}H");
        out.extend(std::iter::repeat_n(b'\n', usize::from(k)));
        self.cursor = Some((rows - 1, 0));
    }

    /// Writes `lines` (each a row of the frame, as wide as the terminal) into the
    /// terminal's scrollback, oldest first, below what it holds already and above what
    /// the screen shows. They are written over the screen from its top, and line feeds at
    /// its bottom push them off; the next frame repaints the screen.
    pub fn push_to_scrollback(&mut self, lines: &Frame, out: &mut Vec<u8>) {
        if lines.rows() == 0 {
            return;
        }
        let rows = self.shown.as_ref().map_or(lines.rows(), Frame::rows).max(1);
        self.set_pen(CellStyle::default(), out);
        out.extend_from_slice(b"\x1b[H");
        for index in 0..lines.rows() {
            if index > 0 {
                out.extend_from_slice(b"\r\n");
            }
            // Erased first: erasing after a full line would take its last cell.
            self.set_pen(CellStyle::default(), out);
            out.extend_from_slice(b"\x1b[2K");
            let line = lines.row(index);
            let end = line
                .iter()
                .rposition(|c| !c.is_blank())
                .map_or(0, |i| i + 1);
            for cell in &line[..end] {
                self.set_pen(cell.style, out);
                print_glyph(&cell.glyph, out);
            }
        }
        // The last `on_screen` lines are still on the screen's top rows: feed them off.
        let on_screen = lines.rows().min(rows);
        self.set_pen(CellStyle::default(), out);
        let _ = write!(out, "\x1b[{rows}H");
        out.extend(std::iter::repeat_n(b'\n', usize::from(on_screen)));
        self.cursor = Some((rows - 1, 0));
        if let Some(shown) = &mut self.shown {
            // The rows written over are the ones that left; the rest moved up.
            shown.scroll_up(rows, on_screen);
        }
    }

    fn update_row(&mut self, row: u16, new: &[FrameCell], old: &[FrameCell], out: &mut Vec<u8>) {
        let cols = new.len();
        // From here on the new row is blank: one erase-to-end-of-line clears it.
        let tail = new.iter().rposition(|c| !c.is_blank()).map_or(0, |i| i + 1);
        let mut col = 0;
        while col < tail {
            let cell = &new[col];
            if cell.glyph == Glyph::WideTail || old.get(col) == Some(cell) {
                col += 1;
                continue;
            }
            let at = col as u16;
            self.move_to(row, at, new, out);
            self.set_pen(cell.style, out);
            print_glyph(&cell.glyph, out);
            let width = if cell.wide { 2 } else { 1 };
            col += width;
            self.cursor = (col < cols).then_some((row, col as u16));
        }
        if let Some(first) = old[tail..].iter().position(|c| !c.is_blank()) {
            self.move_to(row, (tail + first) as u16, new, out);
            self.set_pen(CellStyle::default(), out);
            out.extend_from_slice(b"\x1b[K");
        }
    }

    /// Moves the cursor by the shortest sequence available. `line` is what the terminal
    /// shows on the target row left of `col`: plain cells there may be printed again.
    fn move_to(&mut self, row: u16, col: u16, line: &[FrameCell], out: &mut Vec<u8>) {
        match self.cursor {
            Some((r, c)) if (r, c) == (row, col) => {}
            Some((r, _)) if r == row && col == 0 => out.push(b'\r'),
            Some((r, c)) if r == row && col > c => {
                let skipped = line
                    .get(usize::from(c)..usize::from(col))
                    .unwrap_or_default();
                let reprint = col - c <= MAX_REPRINT
                    && skipped.iter().all(|cell| {
                        Some(cell.style) == self.pen
                            && matches!(cell.glyph, Glyph::Char(ch) if ch.is_ascii())
                    });
                if reprint {
                    for cell in skipped {
                        if let Glyph::Char(ch) = cell.glyph {
                            out.push(ch as u8);
                        }
                    }
                } else {
                    let _ = write!(out, "\x1b[{}C", col - c);
                }
            }
            Some((r, c)) if r + 1 == row && c == col => out.push(b'\n'),
            Some((r, _)) if r + 1 == row && col == 0 => out.extend_from_slice(b"\r\n"),
            _ if col == 0 => {
                let _ = write!(out, "\x1b[{}H", row + 1);
            }
            _ => {
                let _ = write!(out, "\x1b[{};{}H", row + 1, col + 1);
            }
        }
        self.cursor = Some((row, col));
    }

    /// Changes attributes by whichever is shorter: changing only what differs, or a
    /// reset followed by everything that is set.
    fn set_pen(&mut self, style: CellStyle, out: &mut Vec<u8>) {
        if self.pen == Some(style) {
            return;
        }
        let mut reset = vec!["0".to_owned()];
        reset.extend(style_params(&CellStyle::default(), &style));
        if style == CellStyle::default() {
            reset.clear();
        }
        let params = match self.pen {
            Some(pen) => {
                let delta = style_params(&pen, &style);
                if delta.join(";").len() < reset.join(";").len() {
                    delta
                } else {
                    reset
                }
            }
            None => reset,
        };
        let _ = write!(out, "\x1b[{}m", params.join(";"));
        self.pen = Some(style);
    }

    fn set_modes(&mut self, modes: Modes, out: &mut Vec<u8>) {
        let old = self.modes;
        let flag = |out: &mut Vec<u8>, on: bool, code: &str| {
            let _ = write!(out, "\x1b[?{code}{}", if on { 'h' } else { 'l' });
        };
        if old.application_cursor != modes.application_cursor {
            flag(out, modes.application_cursor, "1");
        }
        if old.application_keypad != modes.application_keypad {
            out.extend_from_slice(if modes.application_keypad {
                b"\x1b="
            } else {
                b"\x1b>"
            });
        }
        if old.bracketed_paste != modes.bracketed_paste {
            flag(out, modes.bracketed_paste, "2004");
        }
        if old.mouse != modes.mouse {
            if let Some(code) = mouse_mode_code(old.mouse) {
                flag(out, false, code);
            }
            if let Some(code) = mouse_mode_code(modes.mouse) {
                flag(out, true, code);
            }
        }
        if old.mouse_encoding != modes.mouse_encoding {
            if let Some(code) = mouse_encoding_code(old.mouse_encoding) {
                flag(out, false, code);
            }
            if let Some(code) = mouse_encoding_code(modes.mouse_encoding) {
                flag(out, true, code);
            }
        }
        // The alternate screen is the pane's business: the client always draws on the
        // main screen, whose scrollback it will write to.
        self.modes = Modes {
            alternate_screen: old.alternate_screen,
            ..modes
        };
    }
}

/// The scroll (rows above the status line, distance) that turns `old` into `new` for more
/// rows than already match, if any. Blank rows are left out: they match anything blank.
fn find_scroll(old: &Frame, new: &Frame) -> Option<(u16, u16)> {
    let region = usize::from(new.rows().saturating_sub(1));
    if region < 2 {
        return None;
    }
    let hashes = |frame: &Frame| -> Vec<Option<u64>> {
        (0..region as u16)
            .map(|row| {
                let cells = frame.row(row);
                (!cells.iter().all(FrameCell::is_blank)).then(|| {
                    let mut hasher = DefaultHasher::new();
                    cells.hash(&mut hasher);
                    hasher.finish()
                })
            })
            .collect()
    };
    let (old, new) = (hashes(old), hashes(new));
    let matches = |k: usize| {
        (0..region - k)
            .filter(|&row| new[row].is_some() && new[row] == old[row + k])
            .count()
    };
    let unchanged = matches(0);
    let (k, best) = (1..region)
        .map(|k| (k, matches(k)))
        .max_by_key(|&(k, count)| (count, std::cmp::Reverse(k)))?;
    // A hash collision only makes a scroll that does not help: the diff after it repairs.
    (best > unchanged + 1).then_some((region as u16, k as u16))
}

/// A cell's text; the tail of a wide cell prints nothing, its head covers it.
fn print_glyph(glyph: &Glyph, out: &mut Vec<u8>) {
    match glyph {
        Glyph::Char(c) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        Glyph::Cluster(text) => out.extend_from_slice(text.as_bytes()),
        Glyph::WideTail => {}
    }
}

fn mouse_mode_code(mode: MouseMode) -> Option<&'static str> {
    match mode {
        MouseMode::None => None,
        MouseMode::Press => Some("9"),
        MouseMode::PressRelease => Some("1000"),
        MouseMode::ButtonMotion => Some("1002"),
        MouseMode::AnyMotion => Some("1003"),
    }
}

fn mouse_encoding_code(encoding: MouseEncoding) -> Option<&'static str> {
    match encoding {
        MouseEncoding::Default => None,
        MouseEncoding::Utf8 => Some("1005"),
        MouseEncoding::Sgr => Some("1006"),
    }
}

/// SGR parameters that turn `from` into `to`.
fn style_params(from: &CellStyle, to: &CellStyle) -> Vec<String> {
    let mut params = Vec::new();
    // Bold and dim share their "off" code.
    let intensity_off = (from.bold && !to.bold) || (from.dim && !to.dim);
    if intensity_off {
        params.push("22".to_owned());
    }
    let switch = |params: &mut Vec<String>, was: bool, is: bool, on: &str, off: &str| {
        if was != is {
            params.push(if is { on } else { off }.to_owned());
        }
    };
    switch(&mut params, from.bold && !intensity_off, to.bold, "1", "22");
    switch(&mut params, from.dim && !intensity_off, to.dim, "2", "22");
    switch(&mut params, from.italic, to.italic, "3", "23");
    switch(&mut params, from.underline, to.underline, "4", "24");
    switch(&mut params, from.inverse, to.inverse, "7", "27");
    if from.fg != to.fg {
        params.push(color_param(to.fg, 30, 90, 38));
    }
    if from.bg != to.bg {
        params.push(color_param(to.bg, 40, 100, 48));
    }
    params
}

fn color_param(color: Color, base: u8, bright: u8, extended: u8) -> String {
    match color {
        Color::Default => format!("{}", base + 9),
        Color::Indexed(n) if n < 8 => format!("{}", base + n),
        Color::Indexed(n) if n < 16 => format!("{}", bright + n - 8),
        Color::Indexed(n) => format!("{extended};5;{n}"),
        Color::Rgb(r, g, b) => format!("{extended};2;{r};{g};{b}"),
    }
}

#[cfg(test)]
mod tests;

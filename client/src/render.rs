//! Turns frames into escape sequences: each frame is compared with the one the terminal
//! shows, and only the cells that differ are written, with the shortest cursor moves and
//! colour changes that get them there.
//!
//! The renderer tracks what the terminal holds (cells, pen, cursor, modes) and never
//! reads it back; the tests check that bookkeeping by feeding the output to a terminal
//! emulator and comparing its screen with the frame.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::sync::Arc;

use moshmux_proto::screen::{CellStyle, Color, Modes, MouseEncoding, MouseMode, UnderlineStyle};

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
    /// The hyperlink (OSC 8) the terminal has open: what it prints joins it.
    link: Option<Arc<str>>,
    /// The terminal's cursor (row, col), when known. Writing the last column leaves it
    /// unknown: terminals differ on the pending wrap that follows.
    cursor: Option<(u16, u16)>,
    cursor_visible: Option<bool>,
    /// Input modes set on the terminal, to match the focused pane.
    modes: Modes,
}

impl Renderer {
    /// Appends what turns the terminal's screen into `frame`. A first frame, or one of a
    /// new size, is drawn whole on a cleared screen, cleared row by row: a terminal may
    /// keep what an erase of the whole screen removes (tmux 3.3's `scroll-on-clear`,
    /// VTE), and only native scrollback may write to the terminal's scrollback.
    pub fn render(&mut self, frame: &Frame, out: &mut Vec<u8>) {
        let shown = match self.shown.take() {
            Some(shown) if shown.cols() == frame.cols() && shown.rows() == frame.rows() => shown,
            _ => {
                out.extend_from_slice(b"\x1b[m");
                for row in 1..=frame.rows() {
                    let _ = write!(out, "\x1b[{row}H\x1b[2K");
                }
                out.extend_from_slice(b"\x1b[H");
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
        // Nothing written between frames joins a link.
        self.set_link(None, out);
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
        self.plain_pen(out);
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
        self.plain_pen(out);
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
        self.plain_pen(out);
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
        self.plain_pen(out);
        // Autowrap off: a line the terminal draws wider than the frame (emoji it
        // measures otherwise) is cut at the edge instead of taking a second row.
        out.extend_from_slice(b"\x1b[?7l\x1b[H");
        for index in 0..lines.rows() {
            if index > 0 {
                out.extend_from_slice(b"\r\n");
            }
            // Erased first: erasing after a full line would take its last cell.
            self.plain_pen(out);
            out.extend_from_slice(b"\x1b[2K");
            let line = lines.row(index);
            let end = line
                .iter()
                .rposition(|c| !c.is_blank())
                .map_or(0, |i| i + 1);
            for cell in &line[..end] {
                self.pen_for(cell, out);
                print_glyph(&cell.glyph, out);
            }
        }
        out.extend_from_slice(b"\x1b[?7h");
        // The last `on_screen` lines are still on the screen's top rows: feed them off.
        let on_screen = lines.rows().min(rows);
        self.plain_pen(out);
        let _ = write!(out, "\x1b[{rows}H");
        out.extend(std::iter::repeat_n(b'\n', usize::from(on_screen)));
        self.cursor = Some((rows - 1, 0));
        if let Some(shown) = &mut self.shown {
            // The rows written over are the ones that left; the rest moved up.
            shown.scroll_up(rows, on_screen);
        }
    }

    fn update_row(&mut self, row: u16, new: &[FrameCell], old: &[FrameCell], out: &mut Vec<u8>) {
        if new.iter().chain(old).any(uncertain_width) {
            return self.redraw_row(row, new, old, out);
        }
        // From here on the new row is blank: one erase-to-end-of-line clears it.
        let tail = new.iter().rposition(|c| !c.is_blank()).map_or(0, |i| i + 1);
        let mut col = 0;
        while col < tail {
            let cell = &new[col];
            if cell.glyph == Glyph::WideTail || old.get(col) == Some(cell) {
                col += 1;
                continue;
            }
            col = self.print_cell(row, col, new, out);
        }
        if let Some(first) = old[tail..].iter().position(|c| !c.is_blank()) {
            self.move_to(row, (tail + first) as u16, new, out);
            self.plain_pen(out);
            out.extend_from_slice(b"\x1b[K");
        }
    }

    /// A row that shows, or showed, a cell whose width terminals disagree on (emoji
    /// sequences: skin tones, flags, joined families): what the terminal holds right
    /// of such a cell may sit elsewhere than the frame says, so the row is erased from
    /// its first change or its first such cell, whichever comes first, and drawn again.
    /// Adjacent such cells are printed in one go, as the program printed them, so that
    /// the terminal joins them as it would have (a ZWJ family, a skin tone, a flag);
    /// after each run the cursor is placed anew, and autowrap is off meanwhile. Whatever
    /// width the terminal gives a run, nothing stale is left: a narrower one leaves
    /// erased cells, a wider one is overwritten by the next cell.
    fn redraw_row(&mut self, row: u16, new: &[FrameCell], old: &[FrameCell], out: &mut Vec<u8>) {
        let Some(changed) = new.iter().zip(old).position(|(new, old)| new != old) else {
            return;
        };
        let uncertain = [new, old].map(|line| line.iter().position(uncertain_width));
        let mut start = uncertain.into_iter().flatten().fold(changed, usize::min);
        if start > 0 && new[start].glyph == Glyph::WideTail {
            start -= 1;
        }
        self.move_to(row, start as u16, new, out);
        self.plain_pen(out);
        out.extend_from_slice(b"\x1b[K\x1b[?7l");
        let tail = new.iter().rposition(|c| !c.is_blank()).map_or(0, |i| i + 1);
        // The column right after the run of uncertain cells just printed, if any.
        let mut run_end = None;
        let mut col = start;
        while col < tail {
            let cell = &new[col];
            if cell.glyph == Glyph::WideTail || cell.is_blank() {
                col += 1;
                continue;
            }
            let joins_run = uncertain_width(cell) && run_end == Some(col);
            if joins_run {
                self.pen_for(cell, out);
                print_glyph(&cell.glyph, out);
                col += if cell.wide { 2 } else { 1 };
            } else {
                col = self.print_cell(row, col, new, out);
            }
            run_end = uncertain_width(cell).then_some(col);
        }
        out.extend_from_slice(b"\x1b[?7h");
    }

    /// Prints the cell at `col` of `line` (row `row`); returns the column after it. The
    /// cursor is not known after a cell whose width is uncertain.
    fn print_cell(&mut self, row: u16, col: usize, line: &[FrameCell], out: &mut Vec<u8>) -> usize {
        let cell = &line[col];
        self.move_to(row, col as u16, line, out);
        self.pen_for(cell, out);
        print_glyph(&cell.glyph, out);
        let next = col + if cell.wide { 2 } else { 1 };
        self.cursor = if uncertain_width(cell) {
            None
        } else {
            (next < line.len()).then_some((row, next as u16))
        };
        next
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
                            && cell.link == self.link
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

    /// Attributes and hyperlink for printing `cell`.
    fn pen_for(&mut self, cell: &FrameCell, out: &mut Vec<u8>) {
        self.set_pen(cell.style, out);
        self.set_link(cell.link.as_ref(), out);
    }

    /// Opens the hyperlink what is printed next joins (OSC 8), or closes the open one.
    fn set_link(&mut self, link: Option<&Arc<str>>, out: &mut Vec<u8>) {
        if self.link.as_ref() != link {
            let uri = link.map_or("", |link| &**link);
            // Targets are printable ASCII (the protocol's rows refuse others).
            let _ = write!(out, "\x1b]8;;{uri}\x1b\\");
            self.link = link.cloned();
        }
    }

    /// Default attributes and no hyperlink: before erasing, and what the terminal is
    /// left with.
    fn plain_pen(&mut self, out: &mut Vec<u8>) {
        self.pen_for(&FrameCell::BLANK, out);
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
        if old.focus_events != modes.focus_events {
            flag(out, modes.focus_events, "1004");
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

/// Whether terminals may draw the cell wider or narrower than the server's model: emoji
/// and the characters that join, modify or pair them (ZWJ, variation selectors, skin
/// tones, regional-indicator flags, tags, keycaps). Width tables differ there between
/// terminals and Unicode versions, so the renderer never trusts the cursor after one.
fn uncertain_width(cell: &FrameCell) -> bool {
    let pictographic = |c: char| {
        matches!(u32::from(c),
            0x231a..=0x23ff | 0x2600..=0x27bf | 0x2b00..=0x2bff | 0x1f000..=0x1faff)
    };
    let joining = |c: char| {
        matches!(u32::from(c),
            0x200d | 0x20e3 | 0xfe0e | 0xfe0f | 0x1f1e6..=0x1f1ff | 0x1f3fb..=0x1f3ff
                | 0xe0020..=0xe007f)
    };
    match &cell.glyph {
        Glyph::Char(c) if c.is_ascii() => false,
        Glyph::Char(c) => pictographic(*c) || joining(*c),
        Glyph::Cluster(text) => text.chars().any(|c| pictographic(c) || joining(c)),
        Glyph::WideTail => false,
    }
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
    let underline_changed = from.underline != to.underline
        || (to.underline && from.underline_style != to.underline_style);
    if underline_changed {
        params.push(underline_param(to).to_owned());
    }
    switch(&mut params, from.inverse, to.inverse, "7", "27");
    switch(&mut params, from.strikethrough, to.strikethrough, "9", "29");
    switch(&mut params, from.overline, to.overline, "53", "55");
    switch(&mut params, from.blink, to.blink, "5", "25");
    if from.underline_color != to.underline_color {
        params.push(match to.underline_color {
            Color::Default => "59".to_owned(),
            Color::Indexed(n) => format!("58:5:{n}"),
            Color::Rgb(r, g, b) => format!("58:2::{r}:{g}:{b}"),
        });
    }
    if from.fg != to.fg {
        params.push(color_param(to.fg, 30, 90, 38));
    }
    if from.bg != to.bg {
        params.push(color_param(to.bg, 40, 100, 48));
    }
    params
}

/// The underline as SGR: off, a single line (`4`, which every terminal knows), or a
/// shape (`4:N`, which terminals that lack it show as a single line or ignore).
fn underline_param(style: &CellStyle) -> &'static str {
    if !style.underline {
        return "24";
    }
    match style.underline_style {
        UnderlineStyle::Single => "4",
        UnderlineStyle::Double => "4:2",
        UnderlineStyle::Curly => "4:3",
        UnderlineStyle::Dotted => "4:4",
        UnderlineStyle::Dashed => "4:5",
    }
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
#[cfg(test)]
mod width_tests;

//! Terminal rows turned into history lines (`StoredLine`): text, attribute runs and the
//! wrap flag.
//!
//! vt100 hands a row that leaves the screen over only as "basic formatted" text (the
//! characters with SGR sequences where attributes change), so we parse those SGR
//! sequences back into runs. The wrap flag is not exposed either; it is read from what
//! vt100 would write before the next row (a newline unless the row wrapped), by asking it
//! to write the same row again with a copy of the capture state and stopping at the first
//! character.

use moshmux_store::{AttrRun, Color, StoredLine, Style};
use std::fmt::{self, Write as _};
use vt100::capture::{BasicFormattedCaptureState, RowContents};

/// The row `on_scroll` reported, as a history line.
pub fn from_scrolled_row(row: &RowContents<'_>) -> StoredLine {
    let mut formatted = String::new();
    let mut state = BasicFormattedCaptureState::new();
    // Writing into a String cannot fail.
    let _ = row.write_formatted_basic(&mut formatted, &mut state);
    let mut probe = FirstChar(None);
    // The probe stops the write at its first character, so this costs next to nothing.
    let _ = row.write_formatted_basic(&mut probe, &mut state.clone());
    let wrapped = probe.0 != Some('\n');
    if !formatted.contains('\x1b') {
        // Plain text, the common case under a flood: no runs to build, no copy to make.
        if !wrapped {
            formatted.truncate(formatted.trim_end_matches(' ').len());
        }
        return StoredLine {
            text: formatted,
            attrs: Vec::new(),
            wrapped,
        };
    }
    let mut builder = LineBuilder::default();
    let mut rest = formatted.as_str();
    while let Some(start) = rest.find('\x1b') {
        let (text, sequence) = rest.split_at(start);
        builder.push_text(text);
        // vt100 writes only `ESC [ params m` here.
        let body = sequence.get(2..).unwrap_or_default();
        let end = body.find('m').unwrap_or(body.len());
        builder.apply_sgr(body.get(..end).unwrap_or_default());
        rest = body.get(end + 1..).unwrap_or_default();
    }
    builder.push_text(rest);
    builder.finish(wrapped)
}

/// A visible row of the screen, as a history line (for the screen a pane leaves behind
/// when it ends).
pub fn from_screen_row(screen: &vt100::Screen, row: u16) -> StoredLine {
    let (_, cols) = screen.size();
    let mut builder = LineBuilder::default();
    for column in 0..cols.get() {
        let Some(cell) = screen.cell(row, column) else {
            continue;
        };
        if cell.is_wide_continuation() {
            continue;
        }
        let mut style = Style::default();
        for (on, flag) in [
            (cell.bold(), Style::BOLD),
            (cell.dim(), Style::DIM),
            (cell.italic(), Style::ITALIC),
            (cell.underline(), Style::UNDERLINE),
            (cell.inverse(), Style::INVERSE),
        ] {
            if on {
                style = style | flag;
            }
        }
        builder.current = Attr {
            fg: color(cell.fgcolor()),
            bg: color(cell.bgcolor()),
            style,
        };
        builder.push_text(if cell.has_contents() {
            cell.contents()
        } else {
            " "
        });
    }
    builder.finish(screen.row_wrapped(row))
}

fn color(color: vt100::Color) -> Color {
    match color {
        vt100::Color::Default => Color::Default,
        vt100::Color::Idx(index) => Color::Indexed(index),
        vt100::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

/// Remembers the first character written, then refuses the rest.
struct FirstChar(Option<char>);

impl fmt::Write for FirstChar {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match s.chars().next() {
            Some(c) => self.write_char(c),
            None => Ok(()),
        }
    }

    fn write_char(&mut self, c: char) -> fmt::Result {
        self.0 = Some(c);
        Err(fmt::Error)
    }
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Attr {
    fg: Color,
    bg: Color,
    style: Style,
}

impl Attr {
    fn set(&mut self, flag: Style, on: bool) {
        self.style = if on {
            self.style | flag
        } else {
            Style(self.style.0 & !flag.0)
        };
    }

    /// A blank in this style looks different from a default blank.
    fn shows_when_blank(&self) -> bool {
        self.bg != Color::Default
            || self.style.contains(Style::INVERSE)
            || self.style.contains(Style::UNDERLINE)
    }
}

#[derive(Default)]
struct LineBuilder {
    text: String,
    runs: Vec<(Attr, u32)>,
    current: Attr,
}

impl LineBuilder {
    fn push_text(&mut self, text: &str) {
        let chars = text.chars().count() as u32;
        if chars == 0 {
            return;
        }
        self.text.push_str(text);
        match self.runs.last_mut() {
            Some((attr, count)) if *attr == self.current => *count += chars,
            _ => self.runs.push((self.current, chars)),
        }
    }

    fn apply_sgr(&mut self, params: &str) {
        let mut numbers = params.split(';').map(|p| p.parse::<u16>().unwrap_or(0));
        let attr = &mut self.current;
        if params.is_empty() {
            *attr = Attr::default();
            return;
        }
        while let Some(code) = numbers.next() {
            match code {
                0 => *attr = Attr::default(),
                1 => {
                    attr.set(Style::DIM, false);
                    attr.set(Style::BOLD, true);
                }
                2 => {
                    attr.set(Style::BOLD, false);
                    attr.set(Style::DIM, true);
                }
                22 => {
                    attr.set(Style::BOLD, false);
                    attr.set(Style::DIM, false);
                }
                3 | 23 => attr.set(Style::ITALIC, code == 3),
                4 | 24 => attr.set(Style::UNDERLINE, code == 4),
                7 | 27 => attr.set(Style::INVERSE, code == 7),
                30..=37 => attr.fg = Color::Indexed((code - 30) as u8),
                90..=97 => attr.fg = Color::Indexed((code - 90 + 8) as u8),
                39 => attr.fg = Color::Default,
                40..=47 => attr.bg = Color::Indexed((code - 40) as u8),
                100..=107 => attr.bg = Color::Indexed((code - 100 + 8) as u8),
                49 => attr.bg = Color::Default,
                38 | 48 => {
                    let parsed = match numbers.next() {
                        Some(5) => numbers.next().map(|i| Color::Indexed(i as u8)),
                        Some(2) => {
                            let mut channel = || numbers.next().unwrap_or(0) as u8;
                            Some(Color::Rgb(channel(), channel(), channel()))
                        }
                        _ => None,
                    };
                    if let Some(parsed) = parsed {
                        if code == 38 {
                            attr.fg = parsed;
                        } else {
                            attr.bg = parsed;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Trims blanks that show nothing off the end (as `capture-pane` does) unless the
    /// row wrapped, where they belong to the longer line; drops default runs at the end.
    fn finish(mut self, wrapped: bool) -> StoredLine {
        if !wrapped {
            while self.text.ends_with(' ') {
                let Some((attr, count)) = self.runs.last_mut() else {
                    break;
                };
                if attr.shows_when_blank() {
                    break;
                }
                self.text.pop();
                *count -= 1;
                if *count == 0 {
                    self.runs.pop();
                }
            }
        }
        while self
            .runs
            .last()
            .is_some_and(|(attr, _)| *attr == Attr::default())
        {
            self.runs.pop();
        }
        let attrs = self
            .runs
            .into_iter()
            .map(|(attr, chars)| AttrRun {
                chars,
                fg: attr.fg,
                bg: attr.bg,
                style: attr.style,
            })
            .collect();
        StoredLine {
            text: self.text,
            attrs,
            wrapped,
        }
    }
}

/// A history line as `capture-pane` prints it: the text, or with `escapes` the text with
/// an SGR sequence (from a reset) at each change of attributes and a reset at the end.
pub fn render(line: &StoredLine, escapes: bool, out: &mut String) {
    if !escapes || line.attrs.is_empty() {
        out.push_str(&line.text);
        return;
    }
    let mut chars = line.text.chars();
    let mut current = Attr::default();
    for run in &line.attrs {
        let attr = Attr {
            fg: run.fg,
            bg: run.bg,
            style: run.style,
        };
        if attr != current {
            write_sgr(&attr, out);
            current = attr;
        }
        out.extend(chars.by_ref().take(run.chars as usize));
    }
    if current != Attr::default() {
        out.push_str("\x1b[0m");
    }
    out.extend(chars);
}

fn write_sgr(attr: &Attr, out: &mut String) {
    out.push_str("\x1b[0");
    for (flag, code) in [
        (Style::BOLD, ";1"),
        (Style::DIM, ";2"),
        (Style::ITALIC, ";3"),
        (Style::UNDERLINE, ";4"),
        (Style::INVERSE, ";7"),
    ] {
        if attr.style.contains(flag) {
            out.push_str(code);
        }
    }
    write_color(out, attr.fg, 30, 90, 38);
    write_color(out, attr.bg, 40, 100, 48);
    out.push('m');
}

fn write_color(out: &mut String, color: Color, base: u8, bright: u8, extended: u8) {
    let _ = match color {
        Color::Default => Ok(()),
        Color::Indexed(i @ 0..=7) => write!(out, ";{}", base + i),
        Color::Indexed(i @ 8..=15) => write!(out, ";{}", bright + i - 8),
        Color::Indexed(i) => write!(out, ";{extended};5;{i}"),
        Color::Rgb(r, g, b) => write!(out, ";{extended};2;{r};{g};{b}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<StoredLine>);

    impl vt100::Callbacks for Collect {
        fn on_scroll(&mut self, row: RowContents<'_>, _alternate: bool) {
            self.0.push(from_scrolled_row(&row));
        }
    }

    fn scrolled(rows: u16, cols: u16, input: &[u8]) -> Vec<StoredLine> {
        let size = |n| std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN);
        let mut parser =
            vt100::Parser::new_with_callbacks(size(rows), size(cols), 0, Collect::default());
        parser.process(input);
        std::mem::take(&mut parser.callbacks_mut().0)
    }

    #[test]
    fn plain_rows_keep_text_and_newline() {
        let lines = scrolled(2, 10, b"one  \r\ntwo\r\nthree");
        assert_eq!(lines, vec![StoredLine::plain("one")]);
    }

    #[test]
    fn a_wrapped_row_says_so() {
        let lines = scrolled(2, 4, b"abcdefgh\r\nxy\r\n");
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].text.as_str(), lines[0].wrapped), ("abcd", true));
        assert_eq!((lines[1].text.as_str(), lines[1].wrapped), ("efgh", false));
    }

    #[test]
    fn colours_and_styles_become_runs() {
        let lines = scrolled(1, 20, b"a\x1b[1;31mbc\x1b[0;4;48;5;200md\x1b[m e\r\n");
        let line = &lines[0];
        assert_eq!(line.text, "abcd e");
        let red_bold = AttrRun {
            chars: 2,
            fg: Color::Indexed(1),
            bg: Color::Default,
            style: Style::BOLD,
        };
        let underlined = AttrRun {
            chars: 1,
            fg: Color::Default,
            bg: Color::Indexed(200),
            style: Style::UNDERLINE,
        };
        assert_eq!(line.attrs[1..], [red_bold, underlined]);
        assert_eq!(line.attrs[0].chars, 1);
        let mut out = String::new();
        render(line, true, &mut out);
        assert_eq!(out, "a\x1b[0;1;31mbc\x1b[0;4;48;5;200md\x1b[0m e");
    }

    #[test]
    fn rgb_colours_survive() {
        let lines = scrolled(1, 20, b"\x1b[38;2;1;2;3mx\r\n");
        assert_eq!(lines[0].attrs[0].fg, Color::Rgb(1, 2, 3));
    }
}

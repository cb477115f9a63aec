//! The screen as text, the way `tmux capture-pane -p` prints it.

use vt100::{Cell, Color, Screen};

/// One line per visible row, each ending in `\n`, trailing blanks trimmed. With `escapes`,
/// each change of colour or attribute is written as one SGR sequence that starts from a
/// reset, so every line can be printed on its own, and a line never ends with attributes
/// left on (as `capture-pane -e` does).
pub fn screen_lines(screen: &Screen, escapes: bool) -> String {
    let (rows, cols) = screen.size();
    let (rows, cols) = (rows.get(), cols.get());
    let mut out = String::new();
    for row in 0..rows {
        if escapes {
            write_formatted_row(screen, row, cols, &mut out);
        } else {
            let line: String = row_cells(screen, row, cols).map(cell_text).collect();
            out.push_str(line.trim_end_matches(' '));
        }
        out.push('\n');
    }
    out
}

/// The cells of a row that start a character; the right half of a wide character is
/// left out.
fn row_cells(screen: &Screen, row: u16, cols: u16) -> impl Iterator<Item = &Cell> {
    (0..cols)
        .filter_map(move |column| screen.cell(row, column))
        .filter(|cell| !cell.is_wide_continuation())
}

/// A cell's character; cells never written are blanks.
fn cell_text(cell: &Cell) -> &str {
    if cell.has_contents() {
        cell.contents()
    } else {
        " "
    }
}

/// The attributes a cell is drawn with, compared to emit SGR only where they change.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Style {
    fg: Color,
    bg: Color,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    inverse: bool,
}

impl Style {
    fn of(cell: &Cell) -> Self {
        Self {
            fg: cell.fgcolor(),
            bg: cell.bgcolor(),
            bold: cell.bold(),
            dim: cell.dim(),
            italic: cell.italic(),
            underline: cell.underline(),
            inverse: cell.inverse(),
        }
    }

    /// Whether a blank cell in this style looks different from a blank default cell.
    fn visible_when_blank(&self) -> bool {
        self.bg != Color::Default || self.inverse || self.underline
    }

    fn write_sgr(&self, out: &mut String) {
        out.push_str("\x1b[0");
        for (on, code) in [
            (self.bold, ";1"),
            (self.dim, ";2"),
            (self.italic, ";3"),
            (self.underline, ";4"),
            (self.inverse, ";7"),
        ] {
            if on {
                out.push_str(code);
            }
        }
        write_color(out, self.fg, 30, 90, 38);
        write_color(out, self.bg, 40, 100, 48);
        out.push('m');
    }
}

fn write_color(out: &mut String, color: Color, base: u8, bright_base: u8, extended: u8) {
    match color {
        Color::Default => {}
        Color::Idx(index @ 0..=7) => out.push_str(&format!(";{}", base + index)),
        Color::Idx(index @ 8..=15) => out.push_str(&format!(";{}", bright_base + index - 8)),
        Color::Idx(index) => out.push_str(&format!(";{extended};5;{index}")),
        Color::Rgb(r, g, b) => out.push_str(&format!(";{extended};2;{r};{g};{b}")),
    }
}

fn write_formatted_row(screen: &Screen, row: u16, cols: u16, out: &mut String) {
    let cells: Vec<&Cell> = row_cells(screen, row, cols).collect();
    // Trailing blanks are trimmed unless their style shows (a coloured background).
    let keep = cells
        .iter()
        .rposition(|cell| cell_text(cell) != " " || Style::of(cell).visible_when_blank())
        .map_or(0, |last| last + 1);
    let mut current = Style::default();
    for cell in cells.iter().take(keep) {
        let style = Style::of(cell);
        if style != current {
            style.write_sgr(out);
            current = style;
        }
        out.push_str(cell_text(cell));
    }
    if current != Style::default() {
        out.push_str("\x1b[0m");
    }
}

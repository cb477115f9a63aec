//! The model's rows as the protocol's `Row`, read from its cells directly: padded to the
//! pane's width for the client's screen, trimmed for history (no SGR text written and
//! parsed back, which cost a third of the daemon's CPU under a flood with vt100). History
//! keeps the same type on disk, so a line reaches the scroll view unconverted.

use crate::blink::{blinks, BLINK_MARK};
use crate::overline::OVERLINE;
use alacritty_terminal::grid::Row as ModelRow;
use alacritty_terminal::index::Column;
use alacritty_terminal::term::cell::{Cell, Flags};
use alacritty_terminal::vte::ansi::Color as ModelColor;
use moshmux_proto::screen::{is_control, CellStyle, Color, Row, RowBuilder, UnderlineStyle};

/// What a cell shows: its base character (a blank for what is not printable: the
/// model keeps a tab's `\t` in the cells it crossed, and a leading spacer marks a wide
/// character that did not fit), or `None` for the second column of a wide character.
fn base(cell: &Cell) -> Option<char> {
    if cell.flags.contains(Flags::WIDE_CHAR_SPACER) {
        return None;
    }
    if is_control(cell.c) || cell.flags.contains(Flags::LEADING_WIDE_CHAR_SPACER) {
        Some(' ')
    } else {
        Some(cell.c)
    }
}

/// Appends the cell's text (base and combining marks) to `text`. A wide cell whose second
/// half would stick out of the pane is a blank, as the client shows it.
fn push_text(cell: &Cell, base: char, at_edge: bool, text: &mut String) {
    if at_edge && cell.flags.contains(Flags::WIDE_CHAR) {
        text.push(' ');
        return;
    }
    text.push(base);
    let marks = cell.zerowidth().unwrap_or_default();
    text.extend(
        marks
            .iter()
            .filter(|&&mark| !is_control(mark) && mark != BLINK_MARK),
    );
}

fn style(cell: &Cell) -> CellStyle {
    let flags = cell.flags;
    CellStyle {
        fg: color(cell.fg),
        bg: color(cell.bg),
        bold: flags.contains(Flags::BOLD),
        dim: flags.contains(Flags::DIM),
        italic: flags.contains(Flags::ITALIC),
        underline: flags.intersects(Flags::ALL_UNDERLINES),
        inverse: flags.contains(Flags::INVERSE),
        strikethrough: flags.contains(Flags::STRIKEOUT),
        underline_style: if flags.contains(Flags::DOUBLE_UNDERLINE) {
            UnderlineStyle::Double
        } else if flags.contains(Flags::UNDERCURL) {
            UnderlineStyle::Curly
        } else if flags.contains(Flags::DOTTED_UNDERLINE) {
            UnderlineStyle::Dotted
        } else if flags.contains(Flags::DASHED_UNDERLINE) {
            UnderlineStyle::Dashed
        } else {
            UnderlineStyle::Single
        },
        underline_color: cell.underline_color().map_or(Color::Default, color),
        overline: flags.contains(OVERLINE),
        blink: blinks(cell),
    }
}

fn color(color: ModelColor) -> Color {
    match color {
        ModelColor::Spec(rgb) => Color::Rgb(rgb.r, rgb.g, rgb.b),
        ModelColor::Indexed(index) => Color::Indexed(index),
        // The 16 classic colours by number; the default foreground and background (and
        // the renderer's own shades, never in a cell) are the defaults.
        ModelColor::Named(named) => match named as usize {
            index @ 0..=15 => Color::Indexed(index as u8),
            _ => Color::Default,
        },
    }
}

/// The SGR parameters that set a cell's attributes from a reset, as DECRQSS reports
/// the current rendition: `0;1;38;5;200`.
pub fn sgr_parameters(cell: &Cell) -> String {
    let mut out = String::from("0");
    let flags = cell.flags;
    for (flag, code) in [
        (Flags::BOLD, ";1"),
        (Flags::DIM, ";2"),
        (Flags::ITALIC, ";3"),
        (Flags::UNDERLINE, ";4"),
        (Flags::DOUBLE_UNDERLINE, ";4:2"),
        (Flags::UNDERCURL, ";4:3"),
        (Flags::DOTTED_UNDERLINE, ";4:4"),
        (Flags::DASHED_UNDERLINE, ";4:5"),
        (Flags::INVERSE, ";7"),
        (Flags::HIDDEN, ";8"),
        (Flags::STRIKEOUT, ";9"),
        (OVERLINE, ";53"),
    ] {
        if flags.contains(flag) {
            out.push_str(code);
        }
    }
    if blinks(cell) {
        out.push_str(";5");
    }
    crate::line_text::write_color(&mut out, color(cell.fg), 30, 90, 38);
    crate::line_text::write_color(&mut out, color(cell.bg), 40, 100, 48);
    out
}

fn wrapped(row: &ModelRow<Cell>) -> bool {
    let last = row.len().saturating_sub(1);
    row[Column(last)].flags.contains(Flags::WRAPLINE)
}

/// A row as the protocol sends it, `cols` wide (the model's row may be wider).
pub fn wire_row(row: &ModelRow<Cell>, cols: u16) -> Row {
    let mut builder = Row::builder(cols);
    push_cells(row, usize::from(cols), usize::from(cols), &mut builder);
    builder.finish(wrapped(row))
}

/// A row as history keeps it (its first `cols` columns). Blanks that show nothing are
/// trimmed off the end (as `capture-pane` does) unless the row wrapped, where they belong
/// to the longer line.
pub fn history_row(row: &ModelRow<Cell>, cols: u16) -> Row {
    let wrapped = wrapped(row);
    let cols = row.len().min(usize::from(cols));
    // The blanks the trimming would take off anyway are not read at all: most rows of a
    // flood are shorter than the pane. A wide character's second column reads as a
    // blank, and stays with its character.
    let mut end = cols;
    if !wrapped {
        while end > 0 && invisible_blank(&row[Column(end - 1)]) {
            end -= 1;
        }
        if end > 0 && end < cols && row[Column(end - 1)].flags.contains(Flags::WIDE_CHAR) {
            end += 1;
        }
    }
    let mut builder = Row::builder(u16::try_from(end).unwrap_or(u16::MAX));
    push_cells(row, end, cols, &mut builder);
    builder.finish_trimmed(wrapped)
}

/// Pushes the row's first `end` cells of a pane `cols` wide.
fn push_cells(row: &ModelRow<Cell>, end: usize, cols: usize, builder: &mut RowBuilder) {
    let mut text = String::new();
    let mut previous: Option<&Cell> = None;
    // Whether the cell pushed last was part of a link: only then does a plain cell need
    // to end it (the builder's call is not free, and most rows have no link).
    let mut linked = false;
    for (col, cell) in row[..Column(end.min(row.len()))].iter().enumerate() {
        // Most cells look like the one before: comparing the model's own fields is a
        // fraction of building and comparing a `CellStyle` (a fifth of the daemon's CPU
        // under a flood went there).
        let styled_as_previous = previous.is_some_and(|previous| same_look(previous, cell));
        // Most cells are printable ASCII with nothing attached (no combining marks,
        // link or underline colour) and no width of their own to mind.
        if cell.extra.is_none()
            && (' '..='~').contains(&cell.c)
            && !cell.flags.intersects(WIDTH_FLAGS)
        {
            if linked {
                builder.link(None);
                linked = false;
            }
            if styled_as_previous {
                builder.push_char_as_before(cell.c);
            } else {
                builder.push_char(cell.c, style(cell));
            }
            previous = Some(cell);
            continue;
        }
        let Some(base) = base(cell) else {
            continue;
        };
        previous = Some(cell);
        let at_edge = col + 1 >= cols;
        text.clear();
        push_text(cell, base, at_edge, &mut text);
        let link = cell.hyperlink();
        builder.link(link.as_ref().map(|link| link.uri()));
        linked = link.is_some();
        let wide = cell.flags.contains(Flags::WIDE_CHAR) && !at_edge;
        builder.push(&text, wide, style(cell));
    }
}

/// The flags that make a cell's text more than its character.
const WIDTH_FLAGS: Flags = Flags::WIDE_CHAR
    .union(Flags::WIDE_CHAR_SPACER)
    .union(Flags::LEADING_WIDE_CHAR_SPACER);

/// The flags that `style` reads.
const STYLE_FLAGS: Flags = Flags::BOLD
    .union(Flags::DIM)
    .union(Flags::ITALIC)
    .union(Flags::ALL_UNDERLINES)
    .union(Flags::INVERSE)
    .union(Flags::STRIKEOUT)
    .union(OVERLINE);

/// Whether `style` gives the two cells the same style, read from the model's fields.
fn same_look(a: &Cell, b: &Cell) -> bool {
    a.fg == b.fg
        && a.bg == b.bg
        && a.flags.intersection(STYLE_FLAGS) == b.flags.intersection(STYLE_FLAGS)
        && a.underline_color() == b.underline_color()
        && blinks(a) == blinks(b)
}

/// A space that looks like an empty cell: `shows_when_blank` read from the model's
/// fields.
fn invisible_blank(cell: &Cell) -> bool {
    cell.c == ' '
        && cell.zerowidth().is_none()
        && !cell
            .flags
            .intersects(Flags::INVERSE.union(Flags::ALL_UNDERLINES).union(OVERLINE))
        && color(cell.bg) == Color::Default
}

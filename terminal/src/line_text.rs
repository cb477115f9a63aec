//! History rows as `capture-pane` prints them: the text, or with `-e` the text with an
//! SGR sequence at each change of style.

use moshmux_proto::screen::{CellStyle, Color, Row, UnderlineStyle};
use std::fmt::Write as _;

/// A row as `capture-pane` prints it: the text, or with `escapes` the text with an SGR
/// sequence (from a reset) at each change of style and a reset at the end.
pub fn render(row: &Row, escapes: bool, out: &mut String) {
    if !escapes {
        out.push_str(row.text());
        return;
    }
    let mut current = CellStyle::default();
    for cell in row.cells() {
        if cell.style != current {
            write_sgr(&cell.style, out);
            current = cell.style;
        }
        out.push_str(cell.text);
    }
    if current != CellStyle::default() {
        out.push_str("\x1b[0m");
    }
}

fn write_sgr(style: &CellStyle, out: &mut String) {
    out.push_str("\x1b[0");
    for (on, code) in [
        (style.bold, ";1"),
        (style.dim, ";2"),
        (style.italic, ";3"),
        (style.underline, ";4"),
    ] {
        if on {
            out.push_str(code);
        }
    }
    if style.underline {
        out.push_str(match style.underline_style {
            UnderlineStyle::Single => "",
            UnderlineStyle::Double => ":2",
            UnderlineStyle::Curly => ":3",
            UnderlineStyle::Dotted => ":4",
            UnderlineStyle::Dashed => ":5",
        });
    }
    for (on, code) in [
        (style.blink, ";5"),
        (style.inverse, ";7"),
        (style.strikethrough, ";9"),
        (style.overline, ";53"),
    ] {
        if on {
            out.push_str(code);
        }
    }
    write_color(out, style.fg, 30, 90, 38);
    write_color(out, style.bg, 40, 100, 48);
    if style.underline {
        write_extended_color(out, style.underline_color, 58);
    }
    out.push('m');
}

/// `;N` (or `;38;5;N`, `;38;2;R;G;B`) for a colour, nothing for the default.
pub(crate) fn write_color(out: &mut String, color: Color, base: u8, bright: u8, extended: u8) {
    match color {
        Color::Indexed(i @ 0..=7) => {
            let _ = write!(out, ";{}", base + i);
        }
        Color::Indexed(i @ 8..=15) => {
            let _ = write!(out, ";{}", bright + i - 8);
        }
        color => write_extended_color(out, color, extended),
    }
}

/// `;E;5;N` or `;E;2;R;G;B` for a colour, nothing for the default.
fn write_extended_color(out: &mut String, color: Color, extended: u8) {
    let _ = match color {
        Color::Default => Ok(()),
        Color::Indexed(i) => write!(out, ";{extended};5;{i}"),
        Color::Rgb(r, g, b) => write!(out, ";{extended};2;{r};{g};{b}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_become_sgr_from_a_reset() {
        let red_bold = CellStyle {
            fg: Color::Indexed(1),
            bold: true,
            ..CellStyle::default()
        };
        let underlined = CellStyle {
            bg: Color::Indexed(200),
            underline: true,
            underline_style: UnderlineStyle::Curly,
            underline_color: Color::Rgb(1, 2, 3),
            ..CellStyle::default()
        };
        let mut row = Row::builder(6);
        row.push_char('a', CellStyle::default())
            .push_char('b', red_bold)
            .push_char('c', red_bold)
            .push_char('d', underlined)
            .push_char(' ', CellStyle::default())
            .push_char('e', CellStyle::default());
        let row = row.finish(false);
        let mut out = String::new();
        render(&row, true, &mut out);
        assert_eq!(
            out,
            "a\x1b[0;1;31mbc\x1b[0;4:3;48;5;200;58;2;1;2;3md\x1b[0m e"
        );
        out.clear();
        render(&row, false, &mut out);
        assert_eq!(out, "abcd e");
    }
}

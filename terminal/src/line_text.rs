//! History lines (`StoredLine`) as `capture-pane` prints them: the text, or with `-e`
//! the text with an SGR sequence at each change of attributes.

use moshmux_store::{Color, StoredLine, Style};
use std::fmt::Write as _;

/// A run's attributes, compared to write SGR only where they change.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Attr {
    fg: Color,
    bg: Color,
    style: Style,
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
        (Style::UNDERLINE_DOUBLE, ":2"),
        (Style::UNDERLINE_CURLY, ":3"),
        (Style::UNDERLINE_DOTTED, ":4"),
        (Style::UNDERLINE_DASHED, ":5"),
        (Style::INVERSE, ";7"),
        (Style::STRIKETHROUGH, ";9"),
    ] {
        if attr.style.contains(flag) {
            out.push_str(code);
        }
    }
    write_color(out, attr.fg, 30, 90, 38);
    write_color(out, attr.bg, 40, 100, 48);
    out.push('m');
}

/// `;N` (or `;38;5;N`, `;38;2;R;G;B`) for a colour, nothing for the default.
pub(crate) fn write_color(out: &mut String, color: Color, base: u8, bright: u8, extended: u8) {
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
    use moshmux_store::AttrRun;

    #[test]
    fn runs_become_sgr_from_a_reset() {
        let line = StoredLine {
            text: "abcd e".to_owned(),
            attrs: vec![
                AttrRun {
                    chars: 1,
                    ..AttrRun::default()
                },
                AttrRun {
                    chars: 2,
                    fg: Color::Indexed(1),
                    bg: Color::Default,
                    style: Style::BOLD,
                },
                AttrRun {
                    chars: 1,
                    fg: Color::Default,
                    bg: Color::Indexed(200),
                    style: Style::UNDERLINE,
                },
            ],
            wrapped: false,
        };
        let mut out = String::new();
        render(&line, true, &mut out);
        assert_eq!(out, "a\x1b[0;1;31mbc\x1b[0;4;48;5;200md\x1b[0m e");
        out.clear();
        render(&line, false, &mut out);
        assert_eq!(out, "abcd e");
    }
}

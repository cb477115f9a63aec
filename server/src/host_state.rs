//! A pane's vt100 screen as the client sees it: a [`PaneScreen`] of shared rows.
//!
//! Composing runs every time a session's output is published (up to about a hundred
//! times a second during a flood), and only for panes whose output arrived since the last
//! time (the others' screens are reused whole). A row whose contents did not change keeps
//! the previous state's `Arc<Row>`, so the SSP diff and the states the sender keeps share
//! it. Rows are rebuilt and compared rather than compared cell by cell with the vt100
//! screen: a row compares as a string and two short vectors, which measured faster than
//! walking both rows' cells.

use moshmux_proto::label::Label;
use moshmux_proto::screen::{
    CellStyle, Color, Modes, MouseEncoding, MouseMode, PaneScreen, Point, Row, ScreenError,
};
use std::sync::Arc;

/// Converts a screen, reusing rows of `previous` (the same pane's screen in the last
/// published state) that did not change.
pub fn pane_screen(
    screen: &vt100::Screen,
    title: &str,
    previous: Option<&PaneScreen>,
) -> Result<PaneScreen, ScreenError> {
    let (rows, cols) = screen.size();
    let mut converted = PaneScreen::new(rows.get(), cols.get())?;
    let reusable = previous.filter(|p| p.cols() == cols.get());
    for row in 0..rows.get() {
        let built = build_row(screen, row, cols.get());
        match reusable.and_then(|p| p.rows().get(usize::from(row))) {
            Some(old) if **old == built => converted.set_row(usize::from(row), Arc::clone(old))?,
            _ => converted.set_row(usize::from(row), built)?,
        }
    }
    let (cursor_row, cursor_col) = screen.cursor_position();
    converted.cursor = Point {
        row: cursor_row,
        col: cursor_col,
    };
    converted.cursor_visible = !screen.hide_cursor();
    converted.title = Label::new(title);
    converted.modes = modes(screen);
    Ok(converted)
}

fn build_row(screen: &vt100::Screen, row: u16, cols: u16) -> Row {
    let mut builder = Row::builder(cols);
    for col in 0..cols {
        let Some(cell) = screen.cell(row, col) else {
            break;
        };
        if cell.is_wide_continuation() {
            continue;
        }
        builder.push(cell.contents(), cell.is_wide(), style(cell));
    }
    builder.finish(screen.row_wrapped(row))
}

fn style(cell: &vt100::Cell) -> CellStyle {
    CellStyle {
        fg: color(cell.fgcolor()),
        bg: color(cell.bgcolor()),
        bold: cell.bold(),
        dim: cell.dim(),
        italic: cell.italic(),
        underline: cell.underline(),
        inverse: cell.inverse(),
    }
}

fn color(color: vt100::Color) -> Color {
    match color {
        vt100::Color::Default => Color::Default,
        vt100::Color::Idx(index) => Color::Indexed(index),
        vt100::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn modes(screen: &vt100::Screen) -> Modes {
    Modes {
        application_cursor: screen.application_cursor(),
        application_keypad: screen.application_keypad(),
        bracketed_paste: screen.bracketed_paste(),
        mouse: match screen.mouse_protocol_mode() {
            vt100::MouseProtocolMode::None => MouseMode::None,
            vt100::MouseProtocolMode::Press => MouseMode::Press,
            vt100::MouseProtocolMode::PressRelease => MouseMode::PressRelease,
            vt100::MouseProtocolMode::ButtonMotion => MouseMode::ButtonMotion,
            vt100::MouseProtocolMode::AnyMotion => MouseMode::AnyMotion,
        },
        mouse_encoding: match screen.mouse_protocol_encoding() {
            vt100::MouseProtocolEncoding::Default => MouseEncoding::Default,
            vt100::MouseProtocolEncoding::Utf8 => MouseEncoding::Utf8,
            vt100::MouseProtocolEncoding::Sgr => MouseEncoding::Sgr,
        },
        alternate_screen: screen.alternate_screen(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn parser(rows: u16, cols: u16, bytes: &[u8]) -> vt100::Parser {
        let size = |n| std::num::NonZeroU16::new(n).expect("test sizes are not zero");
        let mut parser = vt100::Parser::new(size(rows), size(cols), 0);
        parser.process(bytes);
        parser
    }

    fn cells(screen: &PaneScreen, row: usize) -> Vec<(u16, String, bool, CellStyle)> {
        screen.rows()[row]
            .cells()
            .map(|c| (c.col, c.text.to_string(), c.wide, c.style))
            .collect()
    }

    #[test]
    fn colours_and_attributes_come_through() {
        let parser = parser(
            3,
            10,
            b"\x1b[1;31ma\x1b[0;2;3;4;7;38;5;200;48;2;1;2;3mb\x1b[0mc",
        );
        let screen = pane_screen(parser.screen(), "", None).unwrap();
        let row = cells(&screen, 0);
        let red_bold = CellStyle {
            fg: Color::Indexed(1),
            bold: true,
            ..CellStyle::default()
        };
        let fancy = CellStyle {
            fg: Color::Indexed(200),
            bg: Color::Rgb(1, 2, 3),
            dim: true,
            italic: true,
            underline: true,
            inverse: true,
            ..CellStyle::default()
        };
        assert_eq!(row[0], (0, "a".into(), false, red_bold));
        assert_eq!(row[1], (1, "b".into(), false, fancy));
        assert_eq!(row[2], (2, "c".into(), false, CellStyle::default()));
        assert_eq!(row[3].1, " ");
        assert_eq!(screen.rows()[0].width(), 10);
    }

    #[test]
    fn wide_and_combining_characters_and_wrapping() {
        let parser = parser(3, 6, "中e\u{301}xyzw".as_bytes());
        let screen = pane_screen(parser.screen(), "", None).unwrap();
        let row = cells(&screen, 0);
        assert_eq!(row[0], (0, "中".into(), true, CellStyle::default()));
        assert_eq!(row[1], (2, "e\u{301}".into(), false, CellStyle::default()));
        assert_eq!(screen.rows()[0].text(), "中e\u{301}xyz");
        assert!(screen.rows()[0].wrapped());
        assert_eq!(screen.rows()[1].text(), "w     ");
        assert!(!screen.rows()[1].wrapped());
    }

    #[test]
    fn cursor_title_and_modes() {
        let parser = parser(
            5,
            20,
            b"\x1b[3;7H\x1b[?25l\x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h",
        );
        let screen = pane_screen(parser.screen(), "vim \x1b", None).unwrap();
        assert_eq!(screen.cursor, Point { row: 2, col: 6 });
        assert!(!screen.cursor_visible);
        assert_eq!(screen.title.as_str(), "vim \u{fffd}");
        assert_eq!(
            screen.modes,
            Modes {
                application_cursor: true,
                application_keypad: true,
                bracketed_paste: true,
                mouse: MouseMode::ButtonMotion,
                mouse_encoding: MouseEncoding::Sgr,
                alternate_screen: false,
            }
        );
        let alternate = parser_with(b"\x1b[?1049h");
        assert!(alternate.modes.alternate_screen);
    }

    fn parser_with(bytes: &[u8]) -> PaneScreen {
        pane_screen(parser(4, 10, bytes).screen(), "", None).unwrap()
    }

    #[test]
    fn unchanged_rows_are_shared_with_the_previous_state() {
        let mut parser = parser(4, 10, b"one\r\ntwo\r\n");
        let first = pane_screen(parser.screen(), "", None).unwrap();
        parser.process(b"three");
        let second = pane_screen(parser.screen(), "", Some(&first)).unwrap();
        assert!(Arc::ptr_eq(&first.rows()[0], &second.rows()[0]));
        assert!(Arc::ptr_eq(&first.rows()[1], &second.rows()[1]));
        assert!(!Arc::ptr_eq(&first.rows()[2], &second.rows()[2]));
        assert_eq!(second.rows()[2].text(), "three     ");
        // A style change alone is a change.
        parser.process(b"\r\x1b[1mthree");
        let third = pane_screen(parser.screen(), "", Some(&second)).unwrap();
        assert!(!Arc::ptr_eq(&second.rows()[2], &third.rows()[2]));
        assert_eq!(third, pane_screen(parser.screen(), "", None).unwrap());
    }

    /// Prints what composing costs: `cargo test -p moshmux-server --release --lib
    /// composition_cost -- --nocapture`.
    #[test]
    fn composition_cost() {
        for (rows, cols) in [(24u16, 80u16), (60, 200)] {
            let mut parser = parser(rows, cols, b"");
            let mut bytes = Vec::new();
            for line in 0..rows {
                let text: String = (0..cols - 1)
                    .map(|i| char::from(b'a' + ((i + line) % 26) as u8))
                    .collect();
                bytes.extend_from_slice(format!("\x1b[3{}m{text}\r\n", line % 8).as_bytes());
            }
            parser.process(&bytes);
            let rounds = 200;
            let started = Instant::now();
            let mut last = None;
            for _ in 0..rounds {
                last = Some(pane_screen(parser.screen(), "", None).unwrap());
            }
            let fresh = started.elapsed() / rounds;
            let started = Instant::now();
            for _ in 0..rounds {
                last = Some(pane_screen(parser.screen(), "", last.as_ref()).unwrap());
            }
            let reused = started.elapsed() / rounds;
            println!("compose {cols}x{rows}: every row built {fresh:?}, unchanged rows reused {reused:?}");
        }
    }
}

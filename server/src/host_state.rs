//! A pane's terminal as the client sees it: a [`PaneScreen`] of shared rows.
//!
//! Composing runs every time a session's output is published (up to about a hundred
//! times a second during a flood), and only for panes whose output arrived since the last
//! time (the others' screens are reused whole). A row whose contents did not change keeps
//! the previous state's `Arc<Row>`, so the SSP diff and the states the sender keeps share
//! it. Rows are rebuilt from the model's cells and compared: a row compares as a string
//! and two short vectors.

use crate::terminal::Terminal;
use moshmux_proto::label::Label;
use moshmux_proto::screen::{PaneScreen, ScreenError};
use std::sync::Arc;

/// Converts a terminal's screen, reusing rows of `previous` (the same pane's screen in
/// the last published state) that did not change.
pub fn pane_screen(
    terminal: &Terminal,
    title: &str,
    previous: Option<&PaneScreen>,
) -> Result<PaneScreen, ScreenError> {
    let size = terminal.size();
    let mut converted = PaneScreen::new(size.rows, size.cols)?;
    let reusable = previous.filter(|p| p.cols() == size.cols);
    for row in 0..size.rows {
        let built = terminal.row(row);
        match reusable.and_then(|p| p.rows().get(usize::from(row))) {
            Some(old) if **old == built => converted.set_row(usize::from(row), Arc::clone(old))?,
            _ => converted.set_row(usize::from(row), built)?,
        }
    }
    converted.cursor = terminal.cursor();
    converted.cursor_visible = terminal.cursor_visible();
    converted.title = Label::new(title);
    converted.modes = terminal.modes();
    Ok(converted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use moshmux_proto::screen::{CellStyle, Color, Modes, MouseEncoding, MouseMode, Point};
    use std::time::Instant;

    fn parser(rows: u16, cols: u16, bytes: &[u8]) -> Terminal {
        let mut terminal = Terminal::new(crate::pane_id::Size { rows, cols });
        terminal.process(bytes);
        terminal
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
        let screen = pane_screen(&parser, "", None).unwrap();
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
        let screen = pane_screen(&parser, "", None).unwrap();
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
            b"\x1b[3;7H\x1b[?25l\x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?1004h",
        );
        let screen = pane_screen(&parser, "vim \x1b", None).unwrap();
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
                focus_events: true,
            }
        );
        let alternate = parser_with(b"\x1b[?1049h");
        assert!(alternate.modes.alternate_screen);
    }

    fn parser_with(bytes: &[u8]) -> PaneScreen {
        pane_screen(&parser(4, 10, bytes), "", None).unwrap()
    }

    #[test]
    fn unchanged_rows_are_shared_with_the_previous_state() {
        let mut parser = parser(4, 10, b"one\r\ntwo\r\n");
        let first = pane_screen(&parser, "", None).unwrap();
        parser.process(b"three");
        let second = pane_screen(&parser, "", Some(&first)).unwrap();
        assert!(Arc::ptr_eq(&first.rows()[0], &second.rows()[0]));
        assert!(Arc::ptr_eq(&first.rows()[1], &second.rows()[1]));
        assert!(!Arc::ptr_eq(&first.rows()[2], &second.rows()[2]));
        assert_eq!(second.rows()[2].text(), "three     ");
        // A style change alone is a change.
        parser.process(b"\r\x1b[1mthree");
        let third = pane_screen(&parser, "", Some(&second)).unwrap();
        assert!(!Arc::ptr_eq(&second.rows()[2], &third.rows()[2]));
        assert_eq!(third, pane_screen(&parser, "", None).unwrap());
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
                last = Some(pane_screen(&parser, "", None).unwrap());
            }
            let fresh = started.elapsed() / rounds;
            let started = Instant::now();
            for _ in 0..rounds {
                last = Some(pane_screen(&parser, "", last.as_ref()).unwrap());
            }
            let reused = started.elapsed() / rounds;
            println!("compose {cols}x{rows}: every row built {fresh:?}, unchanged rows reused {reused:?}");
        }
    }
}

//! Copying to the local clipboard: the text of selected rows, and the OSC 52 sequence that
//! hands it to the terminal (which, like tmux with `set-clipboard on`, or xterm, puts it
//! on the system clipboard), so a copy works however far away the session runs.

use base64::Engine;
use moshmux_proto::screen::Row;

/// The rows' text as a user means it: trailing blanks trimmed, one line per row, except
/// that a row the program wrote past the edge of continues on the next one unbroken.
pub fn join_rows<'a>(rows: impl IntoIterator<Item = &'a Row>) -> String {
    let mut text = String::new();
    let mut rows = rows.into_iter().peekable();
    while let Some(row) = rows.next() {
        if row.wrapped() {
            text.push_str(row.text());
        } else {
            text.push_str(row.text().trim_end_matches(' '));
            if rows.peek().is_some() {
                text.push('\n');
            }
        }
    }
    text
}

/// `ESC ] 52 ; SELECTIONS ; BASE64 BEL`: put `data` on the terminal's clipboard, or on
/// the selections a program named (`c` when none).
pub fn osc52(selections: &str, data: &[u8]) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let selections = if selections.is_empty() {
        "c"
    } else {
        selections
    };
    format!("\x1b]52;{selections};{encoded}\x07").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use moshmux_proto::screen::CellStyle;

    fn row(text: &str, cols: u16, wrapped: bool) -> Row {
        let mut builder = Row::builder(cols);
        for c in text.chars() {
            builder.push(&c.to_string(), false, CellStyle::default());
        }
        builder.finish(wrapped)
    }

    #[test]
    fn rows_join_trimmed_and_wrapped_rows_continue() {
        let rows = [
            row("one", 8, false),
            row("a long l", 8, true),
            row("ine  x", 8, false),
            row("", 8, false),
            row("last", 8, false),
        ];
        assert_eq!(join_rows(&rows), "one\na long line  x\n\nlast");
        assert_eq!(join_rows(&rows[..1]), "one");
        assert_eq!(join_rows([]), "");
    }

    #[test]
    fn osc52_is_the_exact_sequence() {
        let text = |text: &str| osc52("c", text.as_bytes());
        assert_eq!(text("73\n74\n75"), b"\x1b]52;c;NzMKNzQKNzU=\x07".to_vec());
        assert_eq!(text("é"), b"\x1b]52;c;w6k=\x07".to_vec());
        assert_eq!(text(""), b"\x1b]52;c;\x07".to_vec());
        assert_eq!(osc52("", b"x"), b"\x1b]52;c;eA==\x07".to_vec());
        assert_eq!(osc52("p", b"x"), b"\x1b]52;p;eA==\x07".to_vec());
    }
}

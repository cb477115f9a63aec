//! The line the probe binary and the store's tests agree line `n` holds (the probe
//! includes this file too, so the two cannot drift apart).

use moshmux_proto::screen::{CellStyle, Color, Row};

/// The line the probe binary and the tests agree line `n` holds: its number in the
/// text, so a gap, duplicate or reordering shows, and attributes that vary with `n`.
pub fn numbered_line(n: u64) -> Row {
    let text = format!(
        "line {n:010} the quick brown fox jumps over the lazy dog {}",
        n % 97
    );
    let first = CellStyle {
        fg: Color::Indexed((n % 256) as u8),
        bold: n % 2 == 0,
        italic: n % 2 == 1,
        ..CellStyle::default()
    };
    let mut row = Row::builder(text.len() as u16);
    for (i, c) in text.chars().enumerate() {
        row.push_char(c, if i < 4 { first } else { CellStyle::default() });
    }
    row.finish(n % 7 == 0)
}

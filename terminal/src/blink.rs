//! Blink (SGR 5 and 6 on, 25 off), which the model's parser reads but the model drops:
//! it has no attribute for it, and its cell flags have no bit left (overline took the
//! last one, `overline.rs`). A blinking cell carries [`BLINK_MARK`] among its zero-width
//! characters instead, which the model keeps per cell beside the underline colour and
//! hyperlink: the handler puts the mark on the cursor template where an SGR turns blink
//! on (the model copies the template's extras into each printed cell, and makes erased
//! cells from the template's background only, as xterm does), and takes it off where one
//! turns it off or resets. Row capture reads the mark as the style's `blink` and never
//! as text.

use alacritty_terminal::term::cell::Cell;

/// A noncharacter (U+10FFFE): never a zero-width character of a program's, since the
/// model makes a zero-width character only of what has no width, and a noncharacter
/// takes one column.
pub const BLINK_MARK: char = '\u{10FFFE}';

pub fn blinks(cell: &Cell) -> bool {
    cell.zerowidth()
        .is_some_and(|marks| marks.contains(&BLINK_MARK))
}

/// Puts the mark on the template, or takes it off keeping its other extras.
pub fn set_blink(template: &mut Cell, on: bool) {
    if blinks(template) == on {
        return;
    }
    if on {
        template.push_zerowidth(BLINK_MARK);
        return;
    }
    let underline_color = template.underline_color();
    let hyperlink = template.hyperlink();
    let marks: Vec<char> = template
        .zerowidth()
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|&mark| mark != BLINK_MARK)
        .collect();
    template.extra = None;
    template.set_underline_color(underline_color);
    template.set_hyperlink(hyperlink);
    for mark in marks {
        template.push_zerowidth(mark);
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{replies, style, terminal};

    /// SGR 5 and 6 turn it on, 25 and 0 off; it keeps the underline colour and a link
    /// beside it, never shows as text, and reaches history, capture and DECRQSS.
    #[test]
    fn blink_is_kept_beside_the_other_extras_and_reaches_rows_capture_and_decrqss() {
        let blinking = |bytes: &[u8]| -> Vec<bool> {
            let t = terminal(1, 10, bytes);
            (0..4).map(|col| style(&t, 0, col).blink).collect()
        };
        assert_eq!(blinking(b"a\x1b[5mb\x1b[25mc"), [false, true, false, false]);
        assert_eq!(
            blinking(b"\x1b[6ma\x1b[1mb\x1b[0mc"),
            [true, true, false, false]
        );
        assert_eq!(blinking(b"\x1b[5mab\x1b[1;1H\x1b[K"), [false; 4], "erased");
        assert_eq!(blinking(b"\x1b[5m\x1bca"), [false; 4], "RIS");

        let mut t = terminal(
            2,
            20,
            b"\x1b[5;58:5:1;4m\x1b]8;;http://x\x1b\\e\xcc\x81\x1b[25mf",
        );
        let e = style(&t, 0, 0);
        assert!(e.blink && e.underline);
        assert_eq!(e.underline_color, moshmux_proto::screen::Color::Indexed(1));
        let f = style(&t, 0, 1);
        assert!(!f.blink && f.underline, "25 ends blink only");
        assert_eq!(f.underline_color, moshmux_proto::screen::Color::Indexed(1));
        assert_eq!(
            t.capture(false).lines().next(),
            Some("e\u{301}f"),
            "the mark is never text"
        );
        t.process(b"\r\n\r\n");
        let line = t.take_scrolled().next().unwrap_or_default();
        let styles: Vec<bool> = line.cells().map(|cell| cell.style.blink).collect();
        assert_eq!(styles, [true, false]);
        assert_eq!(
            replies(&[b"\x1b[5;7m\x1bP$qm\x1b\\"]),
            b"\x1bP1$r0;7;5m\x1b\\"
        );
    }
}

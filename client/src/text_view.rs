//! Lines of text the client shows over the pane area until dismissed, as tmux's view
//! mode shows `list-keys`: longer than the status line can hold, read-only, scrolled with
//! the scroll view's keys, closed with q, Esc or C-c. Nothing in it comes from the
//! server, so it costs no round trip and works while the link is down.

use moshmux_proto::screen::{CellStyle, Rect};

use crate::frame::Frame;
use crate::input::{Kind, NamedKey, Token};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextView {
    lines: Vec<String>,
    /// The index of the line on the view's first row.
    top: usize,
}

impl TextView {
    pub fn open(lines: Vec<String>) -> TextView {
        TextView { lines, top: 0 }
    }

    /// One key, with the view `rows` high: false once the view closes. Keys that mean
    /// nothing here are dropped, as in the scroll view.
    pub fn feed(&mut self, token: &Token, rows: u16) -> bool {
        let page = usize::from(rows.max(1));
        let last_top = self.lines.len().saturating_sub(page);
        let up = |top: usize, by: usize| top.saturating_sub(by);
        let down = |top: usize, by: usize| top.saturating_add(by).min(last_top);
        self.top = match token.kind {
            Kind::Escape | Kind::Alt(_) => return false,
            Kind::Key(Some(key)) => match key {
                NamedKey::Up => up(self.top, 1),
                NamedKey::Down => down(self.top, 1),
                NamedKey::PageUp | NamedKey::ShiftPageUp => up(self.top, page),
                NamedKey::PageDown | NamedKey::ShiftPageDown => down(self.top, page),
                NamedKey::Home => 0,
                NamedKey::End => last_top,
                _ => self.top,
            },
            _ => match token.byte() {
                Some(b'q' | 0x03) => return false,
                Some(b'k' | 0x10) => up(self.top, 1),
                Some(b'j' | 0x0e | b'\r') => down(self.top, 1),
                Some(0x02) => up(self.top, page),
                Some(0x06 | b' ') => down(self.top, page),
                Some(0x15) => up(self.top, page / 2),
                Some(0x04) => down(self.top, page / 2),
                Some(b'g') => 0,
                Some(b'G') => last_top,
                _ => self.top,
            },
        };
        true
    }

    /// Draws the lines from the top one in `rect`, over what is there.
    pub fn draw(&self, frame: &mut Frame, rect: Rect) {
        let mut lines = self.lines.iter().skip(self.top);
        for y in rect.y..rect.y + rect.rows {
            for x in rect.x..rect.x + rect.cols {
                frame.put(y, x, " ", false, CellStyle::default());
            }
            if let Some(line) = lines.next() {
                frame.put_text(y, rect.x, rect.x + rect.cols, line, CellStyle::default());
            }
        }
    }

    /// Where the view is, for the status line: `[TOP/LAST]` as tmux's view mode shows it
    /// (0 the first line), and how to leave.
    pub fn status(&self, rows: u16) -> String {
        let last_top = self.lines.len().saturating_sub(usize::from(rows.max(1)));
        format!("[{}/{last_top}] q to close", self.top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Tokenizer;

    fn typed(view: &mut TextView, keys: &[u8], rows: u16) -> bool {
        let mut open = true;
        let now = std::time::Instant::now();
        for token in Tokenizer::default().feed(keys, now) {
            open = view.feed(&token, rows);
        }
        open
    }

    fn text(frame: &Frame, row: u16) -> String {
        let text: String = (frame.row(row).iter())
            .map(|cell| match &cell.glyph {
                crate::frame::Glyph::Char(c) => c.to_string(),
                crate::frame::Glyph::Cluster(cluster) => cluster.to_string(),
                crate::frame::Glyph::WideTail => String::new(),
            })
            .collect();
        text.trim_end().to_owned()
    }

    #[test]
    fn keys_scroll_within_the_lines_and_q_closes() {
        let lines: Vec<String> = (0..10).map(|n| format!("line {n}")).collect();
        let mut view = TextView::open(lines);
        assert_eq!(view.status(4), "[0/6] q to close");
        assert!(typed(&mut view, b"jj", 4));
        assert_eq!(view.top, 2);
        assert!(typed(&mut view, b" ", 4));
        assert_eq!(view.top, 6);
        assert!(typed(&mut view, b"j\x1b[B", 4));
        assert_eq!(view.top, 6, "not past the last page");
        assert!(typed(&mut view, b"g", 4));
        assert_eq!(view.top, 0);
        assert!(typed(&mut view, b"kx", 4));
        assert_eq!(view.top, 0);
        assert!(typed(&mut view, b"G", 4));
        let mut frame = Frame::blank(20, 5);
        frame.put_text(4, 0, 20, "status", CellStyle::default());
        view.draw(
            &mut frame,
            Rect {
                x: 2,
                y: 0,
                cols: 10,
                rows: 4,
            },
        );
        assert_eq!(text(&frame, 0), "  line 6");
        assert_eq!(text(&frame, 3), "  line 9");
        assert_eq!(text(&frame, 4), "status");
        assert!(!typed(&mut view, b"q", 4));
        let mut view = TextView::open(vec!["one".into()]);
        assert!(!typed(&mut view, b"\x03", 4));
    }
}

//! tmux's `display-panes` (prefix `q`): each pane's index over its middle for a moment,
//! the active pane's in red and the others' in blue as tmux's default colours; a digit
//! typed meanwhile selects that pane. It is the client's own: the panes and their places
//! are in the state it has, so it answers at once, also while the link is down.

use std::time::{Duration, Instant};

use moshmux_proto::screen::{CellStyle, Color, HostState, Rect};
use moshmux_proto::PaneId;

use crate::frame::Frame;
use crate::input::Token;

/// How long the numbers show: tmux's `display-panes-time` default.
pub const SHOWN_FOR: Duration = Duration::from_millis(1000);

/// tmux's `display-panes-active-colour` and `display-panes-colour`.
const ACTIVE: Color = Color::Indexed(1);
const OTHER: Color = Color::Indexed(4);

pub struct PaneNumbers {
    until: Instant,
}

/// What a key does while the numbers show.
#[derive(Debug, PartialEq, Eq)]
pub enum Choice {
    /// Select this pane (its id).
    Pane(PaneId),
    /// A number no pane has: the numbers go, the key with them (as in tmux).
    Nothing,
    /// Any other key: the numbers go and the key does what it does.
    Pass,
}

impl PaneNumbers {
    pub fn open(now: Instant) -> PaneNumbers {
        PaneNumbers {
            until: now + SHOWN_FOR,
        }
    }

    /// When the numbers go by themselves.
    pub fn until(&self) -> Instant {
        self.until
    }

    /// The pane a key picks: `0`-`9` and then `a`-`z` for 10-35, as tmux numbers them.
    pub fn choose(token: &Token, host: &HostState) -> Choice {
        let index = match token.byte() {
            Some(digit @ b'0'..=b'9') => usize::from(digit - b'0'),
            Some(letter @ b'a'..=b'z') => 10 + usize::from(letter - b'a'),
            _ => return Choice::Pass,
        };
        match numbered(host).nth(index) {
            Some((_, pane, _)) => Choice::Pane(pane),
            None => Choice::Nothing,
        }
    }

    /// Draws each pane's number in the middle of its place, within the first `rows`.
    pub fn draw(frame: &mut Frame, host: &HostState, rows: u16) {
        for (index, pane, rect) in numbered(host) {
            if rect.y >= rows {
                continue;
            }
            let label = format!(" {} ", number_name(index));
            let width = u16::try_from(label.len()).unwrap_or(u16::MAX);
            let end = rect.x.saturating_add(rect.cols);
            let x = rect.x + rect.cols.saturating_sub(width) / 2;
            let y = rect.y + rect.rows.min(rows - rect.y) / 2;
            let active = host
                .panes
                .iter()
                .any(|view| view.pane == pane && view.active);
            let style = CellStyle {
                fg: Color::Indexed(15),
                bg: if active { ACTIVE } else { OTHER },
                bold: true,
                ..CellStyle::default()
            };
            frame.put_text(y, x, end, &label, style);
        }
    }
}

/// The panes with their numbers (their order in the window, as tmux's `pane_index`).
/// None while one is zoomed: the state then holds that pane alone, without its index.
fn numbered(host: &HostState) -> impl Iterator<Item = (usize, PaneId, Rect)> + '_ {
    let zoomed = host.panes.iter().any(|view| view.zoomed);
    let panes = host.panes.iter().filter(move |_| !zoomed);
    panes
        .enumerate()
        .map(|(index, view)| (index, view.pane, view.rect))
}

/// 0-9, then a-z, as tmux names the keys that choose them.
fn number_name(index: usize) -> String {
    match index {
        0..=9 => index.to_string(),
        _ => u8::try_from(index - 10)
            .ok()
            .filter(|letter| *letter < 26)
            .map_or_else(
                || index.to_string(),
                |letter| char::from(b'a' + letter).to_string(),
            ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::{host, rect, screen};
    use crate::input::Tokenizer;

    /// Two panes side by side (ids 1 and 2), the second active.
    fn two_panes() -> HostState {
        host(vec![
            (rect(0, 0, 40, 10), false, false, screen(10, 40, &[])),
            (rect(41, 0, 39, 10), true, false, screen(10, 39, &[])),
        ])
    }

    fn key(byte: u8) -> Token {
        let tokens = Tokenizer::default().feed(&[byte], Instant::now());
        tokens.into_iter().next().expect("a token")
    }

    fn row_text(frame: &Frame, row: u16) -> String {
        (frame.row(row).iter())
            .map(|cell| match &cell.glyph {
                crate::frame::Glyph::Char(c) => c.to_string(),
                _ => String::new(),
            })
            .collect()
    }

    #[test]
    fn each_pane_shows_its_index_in_its_middle_the_active_one_in_red() {
        let mut frame = Frame::blank(80, 11);
        PaneNumbers::draw(&mut frame, &two_panes(), 10);
        let middle = row_text(&frame, 5);
        assert_eq!(middle.find(" 0 "), Some(18), "{middle:?}");
        assert_eq!(middle.rfind(" 1 "), Some(59), "{middle:?}");
        assert_eq!(frame.row(5)[19].style.bg, OTHER);
        assert_eq!(frame.row(5)[60].style.bg, ACTIVE);
        assert_eq!(row_text(&frame, 4).trim(), "");
    }

    #[test]
    fn a_digit_picks_that_pane_and_other_keys_pass() {
        let host = two_panes();
        assert_eq!(
            PaneNumbers::choose(&key(b'1'), &host),
            Choice::Pane(PaneId(2))
        );
        assert_eq!(
            PaneNumbers::choose(&key(b'0'), &host),
            Choice::Pane(PaneId(1))
        );
        assert_eq!(PaneNumbers::choose(&key(b'7'), &host), Choice::Nothing);
        assert_eq!(PaneNumbers::choose(&key(b'x'), &host), Choice::Nothing);
        assert_eq!(PaneNumbers::choose(&key(b'Q'), &host), Choice::Pass);
        assert_eq!(PaneNumbers::choose(&key(0x0d), &host), Choice::Pass);
    }

    #[test]
    fn numbers_past_nine_are_letters() {
        assert_eq!(number_name(9), "9");
        assert_eq!(number_name(10), "a");
        assert_eq!(number_name(35), "z");
        assert_eq!(number_name(36), "36");
    }
}

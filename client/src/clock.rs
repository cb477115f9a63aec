//! tmux's `clock-mode` (prefix `t`): the time in large digits over the focused pane, in
//! tmux's default `clock-mode-colour` (blue) and 24-hour style, until a key. It is the
//! client's own, drawn from this device's clock in its time zone, so it shows the user's
//! time and needs nothing from the server (it keeps going while the link is down).

use std::time::{Duration, Instant, SystemTime};

use moshmux_proto::screen::{CellStyle, Color, Rect};

use crate::frame::Frame;

/// tmux's `clock-mode-colour` default.
const COLOUR: Color = Color::Indexed(4);
/// Each glyph is this many cells wide and tall, with one blank column between glyphs.
const GLYPH_COLS: u16 = 5;
const GLYPH_ROWS: u16 = 5;

/// The glyphs for `0`-`9` and `:`, a row of five cells each, drawn where a bit is set
/// (the highest of five bits is the leftmost cell).
const GLYPHS: [[u8; GLYPH_ROWS as usize]; 11] = [
    [0b11111, 0b10001, 0b10001, 0b10001, 0b11111],
    [0b00001, 0b00001, 0b00001, 0b00001, 0b00001],
    [0b11111, 0b00001, 0b11111, 0b10000, 0b11111],
    [0b11111, 0b00001, 0b11111, 0b00001, 0b11111],
    [0b10001, 0b10001, 0b11111, 0b00001, 0b00001],
    [0b11111, 0b10000, 0b11111, 0b00001, 0b11111],
    [0b11111, 0b10000, 0b11111, 0b10001, 0b11111],
    [0b11111, 0b00001, 0b00001, 0b00001, 0b00001],
    [0b11111, 0b10001, 0b11111, 0b10001, 0b11111],
    [0b11111, 0b10001, 0b11111, 0b00001, 0b11111],
    [0b00000, 0b00100, 0b00000, 0b00100, 0b00000],
];

/// The clock while it shows: the time it shows and when that changes.
#[derive(Debug)]
pub struct Clock {
    shown: (u8, u8),
    next_minute: Instant,
}

impl Clock {
    /// Opens the clock at `now`, the calendar time then being `wall`.
    pub fn open(now: Instant, wall: SystemTime) -> Clock {
        let (shown, left) = local_time(wall);
        Clock {
            shown,
            next_minute: now + left,
        }
    }

    /// When the minute shown ends.
    pub fn until(&self) -> Instant {
        self.next_minute
    }

    /// Moves the clock on if its minute ended; true when it did (it needs drawing).
    pub fn tick(&mut self, now: Instant, wall: SystemTime) -> bool {
        if now < self.next_minute {
            return false;
        }
        *self = Clock::open(now, wall);
        true
    }

    /// Draws `HH:MM` in the middle of `rect`, large where it fits, else as text.
    pub fn draw(&self, frame: &mut Frame, rect: Rect) {
        for y in rect.y..rect.y + rect.rows {
            for x in rect.x..rect.x + rect.cols {
                frame.put(y, x, " ", false, CellStyle::default());
            }
        }
        let (hour, minute) = self.shown;
        let text = format!("{hour:02}:{minute:02}");
        let width = text.len() as u16 * (GLYPH_COLS + 1) - 1;
        if rect.cols < width || rect.rows < GLYPH_ROWS {
            let text_width = text.len() as u16;
            let x = rect.x + rect.cols.saturating_sub(text_width) / 2;
            let y = rect.y + rect.rows / 2;
            let style = CellStyle {
                fg: COLOUR,
                ..CellStyle::default()
            };
            frame.put_text(y, x, rect.x + rect.cols, &text, style);
            return;
        }
        let left = rect.x + (rect.cols - width) / 2;
        let top = rect.y + (rect.rows - GLYPH_ROWS) / 2;
        let lit = CellStyle {
            bg: COLOUR,
            ..CellStyle::default()
        };
        for (row, pattern) in (top..).zip(large(&text)) {
            for (col, cell) in (left..).zip(pattern.chars()) {
                if cell == '#' {
                    frame.put(row, col, " ", false, lit);
                }
            }
        }
    }
}

/// `text` (digits and `:`) in the large glyphs, a line of `#` (lit) and `.` per row, a
/// blank column between glyphs.
pub fn large(text: &str) -> Vec<String> {
    (0..usize::from(GLYPH_ROWS))
        .map(|row| {
            let glyphs = text.bytes().map(|b| match b {
                b'0'..=b'9' => usize::from(b - b'0'),
                _ => 10,
            });
            let cells: Vec<String> = glyphs
                .map(|glyph| {
                    (0..GLYPH_COLS)
                        .map(|col| {
                            let bit = 1 << (GLYPH_COLS - 1 - col);
                            if GLYPHS[glyph][row] & bit != 0 {
                                '#'
                            } else {
                                '.'
                            }
                        })
                        .collect()
                })
                .collect();
            cells.join(".")
        })
        .collect()
}

/// The hour and minute of `wall` in this device's time zone, and how long that minute
/// lasts still.
fn local_time(wall: SystemTime) -> ((u8, u8), Duration) {
    let zoned = jiff::Timestamp::try_from(wall)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::system());
    let hour = u8::try_from(zoned.hour()).unwrap_or(0);
    let minute = u8::try_from(zoned.minute()).unwrap_or(0);
    let into_minute = Duration::from_secs(u64::try_from(zoned.second()).unwrap_or(0))
        + Duration::from_nanos(u64::try_from(zoned.subsec_nanosecond()).unwrap_or(0));
    (
        (hour, minute),
        Duration::from_secs(60).saturating_sub(into_minute),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::lines;
    use std::time::UNIX_EPOCH;

    fn clock_at(hour: u8, minute: u8) -> Clock {
        Clock {
            shown: (hour, minute),
            next_minute: Instant::now(),
        }
    }

    #[test]
    fn large_digits_in_the_middle_or_text_where_they_do_not_fit() {
        let mut frame = Frame::blank(31, 7);
        let rect = Rect {
            x: 0,
            y: 0,
            cols: 31,
            rows: 7,
        };
        clock_at(10, 47).draw(&mut frame, rect);
        // Lit cells are blue blanks: read them as `#`.
        let lit: Vec<String> = (0..7)
            .map(|y| {
                frame
                    .row(y)
                    .iter()
                    .map(|cell| if cell.style.bg == COLOUR { '#' } else { '.' })
                    .collect()
            })
            .collect();
        assert_eq!(
            lit,
            [
                "...............................",
                ".....#.#####.......#...#.#####.",
                ".....#.#...#...#...#...#.....#.",
                ".....#.#...#.......#####.....#.",
                ".....#.#...#...#.......#.....#.",
                ".....#.#####...........#.....#.",
                "...............................",
            ]
        );
        let mut small = Frame::blank(8, 3);
        let rect = Rect {
            x: 0,
            y: 0,
            cols: 8,
            rows: 3,
        };
        clock_at(9, 5).draw(&mut small, rect);
        assert_eq!(lines(&small), ["        ", " 09:05  ", "        "]);
    }

    #[test]
    fn the_clock_moves_on_when_its_minute_ends() {
        let now = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(999_999_990);
        let mut clock = Clock::open(now, wall);
        assert_eq!(clock.until(), now + Duration::from_secs(30));
        assert!(!clock.tick(now + Duration::from_secs(29), wall));
        let later = now + Duration::from_secs(30);
        assert!(clock.tick(later, wall + Duration::from_secs(30)));
        assert_eq!(clock.until(), later + Duration::from_secs(60));
    }
}

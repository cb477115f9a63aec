//! Local echo prediction: keys typed into the focused pane are drawn at once, before the
//! server's screen could show them, and checked against that screen when it does.
//!
//! A pure state machine, as the protocol core is: the client core feeds it the keys with the
//! user-stream position they end at, the focused pane's screen as it arrives, the
//! position the server acknowledged with the smoothed RTT, and the time; it answers with
//! an [`Overlay`] to draw over the pane. It never reads a clock.
//!
//! Safety rules, from mosh's design:
//! - A guess is judged once the server acknowledged its key and had time to echo it
//!   (see `covered`): the server's cell matches (confirmed, dropped) or it does
//!   not (every guess is withdrawn, and a new epoch begins). The server's screen always
//!   wins.
//! - Guesses belong to epochs. A new epoch (after Enter, an unknown key, a wrong guess, a
//!   switch of pane or of screen) is tentative: its guesses are drawn only once one of
//!   them was confirmed. So nothing is shown on a fresh line or the alternate screen until
//!   the program there proved to echo.
//! - A typed character that the server did not echo while its cursor stayed put means
//!   echo is off (a password prompt): no guesses until the next Enter.
//! - A guess pending for [`OUTAGE`] is dropped with all others: after a long outage the
//!   screen may have changed, and guesses are never applied to it.

mod keys;
mod overlay;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use moshmux_proto::screen::{PaneScreen, Point};
use moshmux_proto::PaneId;
use unicode_width::UnicodeWidthChar;

use crate::cli::Predict;
pub use keys::Key;
pub use overlay::{paint, Overlay, OverlayCell};

/// Adaptive mode shows guesses when the smoothed RTT rises above the first bound and
/// stops when it falls below the second; the gap keeps it from flickering on and off.
const SHOW_ABOVE: Duration = Duration::from_millis(30);
const SHOW_BELOW: Duration = Duration::from_millis(20);
/// Guesses are underlined, so the user knows they are not confirmed, when the link is
/// this slow (same hysteresis), or after a slow response.
const UNDERLINE_ABOVE: Duration = Duration::from_millis(80);
const UNDERLINE_BELOW: Duration = Duration::from_millis(50);
/// A response slower than this turns showing and underlining on, whatever the RTT, until
/// [`SLOW_MEMORY`] quicker ones followed.
const SLOW_RESPONSE: Duration = Duration::from_millis(250);
const SLOW_MEMORY: u32 = 8;
/// How long after the acknowledgement of a key its echo may still come: the server may
/// have sent the acknowledgement just before its echo, and then waits one frame interval
/// (half its RTT, 20 to 250 ms) before the next frame.
const ECHO_GRACE: Duration = Duration::from_millis(50);
const FRAME_INTERVAL_MIN: Duration = Duration::from_millis(20);
const FRAME_INTERVAL_MAX: Duration = Duration::from_millis(250);
/// With no new screen since the acknowledgement, a key counts as covered only after this
/// many RTTs, and at least the minimum: several lost frames in a row on a bad link.
const NO_SCREEN_WAIT_RTTS: u32 = 3;
const NO_SCREEN_WAIT_MIN: Duration = Duration::from_secs(1);
/// A guess pending this long is dropped, with all others (see the module doc).
pub const OUTAGE: Duration = Duration::from_secs(5);
/// While guesses are pending the session calls back this often: acknowledgements arrive
/// in the link's status, which nobody announces.
const PENDING_POLL: Duration = Duration::from_millis(10);

/// One column of a pane's row as the line editor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Col {
    /// A cell's text (a character and any combining marks), and whether it is wide.
    Text(String, bool),
    /// The right half of the wide cell to its left.
    Tail,
}

impl Col {
    fn blank() -> Col {
        Col::Text(" ".to_owned(), false)
    }

    fn is_blank(&self) -> bool {
        matches!(self, Col::Text(text, false) if text == " ")
    }

    fn width(&self) -> u16 {
        match self {
            Col::Text(_, true) => 2,
            _ => 1,
        }
    }
}

/// A guessed cell.
#[derive(Debug, Clone)]
struct Guess {
    col: Col,
    /// The user-stream position of the newest key that changed this cell.
    position: u64,
    epoch: u64,
    made_at: Instant,
    /// What the server showed there when the guess was made: a guess that changes
    /// nothing earns no confirmation.
    original: Col,
    /// For the cell a character was typed into: the cursor before it, to tell an
    /// unechoed key (echo off) from one echoed elsewhere.
    typed_at: Option<Point>,
    slow_noted: bool,
}

#[derive(Debug, Clone, Copy)]
struct CursorGuess {
    at: Point,
    position: u64,
    epoch: u64,
    made_at: Instant,
}

/// The prediction engine for the client's focused pane.
#[derive(Debug)]
pub struct Predictor {
    mode: Predict,
    pane: Option<PaneId>,
    screen: Option<PaneScreen>,
    cells: BTreeMap<(u16, u16), Guess>,
    cursor: Option<CursorGuess>,
    epoch: u64,
    /// The newest epoch with a confirmed guess: guesses of epochs up to it are drawn.
    confirmed: u64,
    /// Position the server acknowledged, and when each acknowledged position was first
    /// seen (oldest first), for the echo grace.
    acked: u64,
    ack_times: VecDeque<(u64, Instant)>,
    echo_off: bool,
    srtt: Duration,
    show_by_rtt: bool,
    underline_by_rtt: bool,
    /// Quick responses still needed to forget a slow one.
    slow: u32,
    last_call: Option<Instant>,
    /// When the newest screen arrived.
    screen_at: Option<Instant>,
}

impl Predictor {
    pub fn new(mode: Predict) -> Predictor {
        Predictor {
            mode,
            pane: None,
            screen: None,
            cells: BTreeMap::new(),
            cursor: None,
            // The first epoch is tentative: nothing is known about the program yet.
            epoch: 1,
            confirmed: 0,
            acked: 0,
            ack_times: VecDeque::new(),
            echo_off: false,
            srtt: Duration::ZERO,
            show_by_rtt: false,
            underline_by_rtt: false,
            slow: 0,
            last_call: None,
            screen_at: None,
        }
    }

    /// Keys the user typed into `pane`; `position` is the user stream's event count once
    /// they are pushed.
    pub fn handle_keys(&mut self, pane: PaneId, keys: &[Key], position: u64, now: Instant) {
        self.last_call = Some(now);
        if self.mode == Predict::Never {
            return;
        }
        if self.pane != Some(pane) {
            self.become_tentative();
            return;
        }
        for &key in keys {
            if key == Key::Enter {
                self.echo_off = false;
                self.become_tentative();
                continue;
            }
            if !self.echo_off && !self.guess(key, position, now) {
                self.become_tentative();
            }
        }
    }

    /// An event other than keys (a command, a resize) went into the user stream: what it
    /// does to the screen is the server's business.
    pub fn handle_other_event(&mut self, now: Instant) {
        self.last_call = Some(now);
        self.become_tentative();
    }

    /// The focused pane's screen, as the newest host state has it.
    pub fn handle_screen(&mut self, pane: PaneId, screen: &PaneScreen, now: Instant) {
        self.last_call = Some(now);
        if self.mode == Predict::Never {
            return;
        }
        let changed = match &self.screen {
            Some(old) => {
                old.rows().len() != screen.rows().len()
                    || old.cols() != screen.cols()
                    || old.modes.alternate_screen != screen.modes.alternate_screen
            }
            None => true,
        };
        if self.pane != Some(pane) || changed {
            self.withdraw_all(false);
            self.pane = Some(pane);
        }
        self.screen = Some(screen.clone());
        self.screen_at = Some(now);
        self.judge(now);
    }

    /// What the link says: the user-stream position the server acknowledged, and the
    /// smoothed round-trip time.
    pub fn handle_link(&mut self, acked: u64, srtt: Duration, now: Instant) {
        self.last_call = Some(now);
        self.srtt = srtt;
        if srtt > SHOW_ABOVE {
            self.show_by_rtt = true;
        } else if srtt < SHOW_BELOW {
            self.show_by_rtt = false;
        }
        if srtt > UNDERLINE_ABOVE {
            self.underline_by_rtt = true;
        } else if srtt < UNDERLINE_BELOW {
            self.underline_by_rtt = false;
        }
        if acked > self.acked {
            self.acked = acked;
            self.ack_times.push_back((acked, now));
        }
        self.judge(now);
    }

    /// Whether guesses are pending: an acknowledgement or the time may then change what
    /// is shown.
    pub fn is_guessing(&self) -> bool {
        !self.cells.is_empty() || self.cursor.is_some()
    }

    /// When the session should call again (any `handle_*`) though nothing happened.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let waiting = !self.cells.is_empty() || self.cursor.is_some();
        self.last_call
            .filter(|_| waiting && self.mode != Predict::Never)
            .map(|at| at + PENDING_POLL)
    }

    /// The guesses to draw over the focused pane now, if any.
    pub fn overlay(&self) -> Option<Overlay> {
        let pane = self.pane?;
        if !self.showing() {
            return None;
        }
        let cells: Vec<OverlayCell> = self
            .cells
            .iter()
            .filter(|(_, guess)| guess.epoch <= self.confirmed)
            .filter_map(|(&(row, col), guess)| match &guess.col {
                Col::Text(text, wide) => Some(OverlayCell {
                    row,
                    col,
                    text: text.clone(),
                    wide: *wide,
                }),
                Col::Tail => None,
            })
            .collect();
        let cursor = self
            .cursor
            .filter(|guess| guess.epoch <= self.confirmed)
            .map(|guess| guess.at);
        let underline = self.underline_by_rtt || self.slow > 0;
        (!cells.is_empty() || cursor.is_some()).then_some(Overlay {
            pane,
            cells,
            cursor,
            underline,
        })
    }

    fn showing(&self) -> bool {
        match self.mode {
            Predict::Never => false,
            Predict::Always => true,
            Predict::Adaptive => self.show_by_rtt || self.slow > 0,
        }
    }

    /// How long after its acknowledgement a key's echo may still arrive.
    fn grace(&self) -> Duration {
        (self.srtt / 2).clamp(FRAME_INTERVAL_MIN, FRAME_INTERVAL_MAX) + ECHO_GRACE
    }

    /// Whether the server's screen covers the key at `position`: acknowledged, a screen
    /// arrived since and the grace for its echo is over; or, with no new screen, a long
    /// wait is over. A retransmitted old frame can carry the acknowledgement without the
    /// echo, and on a lossy link the frame with the echo may take several tries; a
    /// program that echoes nothing (a password prompt) sends no new screen at all.
    fn covered(&self, position: u64, now: Instant) -> bool {
        // Position 0 is the empty stream, which the server holds from the start.
        if position == 0 {
            return true;
        }
        let Some(&(_, acked_at)) = self.ack_times.iter().find(|&&(acked, _)| acked >= position)
        else {
            return false;
        };
        let screen_since = self.screen_at.is_some_and(|at| at >= acked_at);
        let wait = if screen_since {
            self.grace()
        } else {
            (self.srtt * NO_SCREEN_WAIT_RTTS).max(NO_SCREEN_WAIT_MIN)
        };
        now >= acked_at + wait
    }

    /// Starts a new epoch: what comes next is not drawn until the server confirmed one
    /// guess of it. Guesses made after a key whose effect is unknown may sit on a stale
    /// screen; they are judged like any other, once the server covers their keys.
    fn become_tentative(&mut self) {
        self.epoch += 1;
    }

    /// Drops every guess. `shown`: some were on screen, so the user saw a wrong guess and
    /// the next ones are underlined for a while.
    fn withdraw_all(&mut self, shown: bool) {
        self.cells.clear();
        self.cursor = None;
        self.become_tentative();
        if shown {
            self.slow = SLOW_MEMORY;
        }
    }

    /// Compares the guesses the server's screen covers with that screen.
    fn judge(&mut self, now: Instant) {
        let Some(screen) = self.screen.take() else {
            return;
        };
        self.judge_against(&screen, now);
        self.screen = Some(screen);
        // Acknowledgement times older than any key still waiting are not needed.
        let oldest = self
            .cells
            .values()
            .map(|g| g.position)
            .chain(self.cursor.map(|g| g.position))
            .min()
            .unwrap_or(u64::MAX);
        while self.ack_times.len() > 1 && self.ack_times[1].0 <= oldest {
            self.ack_times.pop_front();
        }
    }

    fn judge_against(&mut self, screen: &PaneScreen, now: Instant) {
        let outage = self
            .cells
            .values()
            .map(|g| g.made_at)
            .chain(self.cursor.map(|g| g.made_at))
            .any(|made_at| now.saturating_duration_since(made_at) >= OUTAGE);
        if outage {
            self.withdraw_all(false);
            return;
        }
        let showing = self.showing();
        let keys: Vec<(u16, u16)> = self.cells.keys().copied().collect();
        for (row, col) in keys {
            let Some(guess) = self.cells.get(&(row, col)).cloned() else {
                continue;
            };
            let shown = showing && guess.epoch <= self.confirmed;
            let waited = now.saturating_duration_since(guess.made_at);
            let server = server_col(screen, row, col);
            if self.acked >= guess.position && server.as_ref() == Some(&guess.col) {
                self.cells.remove(&(row, col));
                if !guess.col.is_blank() && guess.original != guess.col {
                    self.confirmed = self.confirmed.max(guess.epoch);
                    self.note_response(waited);
                }
            } else if self.covered(guess.position, now) {
                // Not echoed where the cursor stood: the program does not echo.
                self.echo_off |= guess.typed_at == Some(screen.cursor);
                self.withdraw_all(shown);
                return;
            } else if shown && waited > SLOW_RESPONSE && !guess.slow_noted {
                if let Some(pending) = self.cells.get_mut(&(row, col)) {
                    pending.slow_noted = true;
                }
                self.slow = SLOW_MEMORY;
            }
        }
        if let Some(guess) = self.cursor {
            if self.acked >= guess.position && screen.cursor == guess.at {
                self.cursor = None;
            } else if self.covered(guess.position, now) {
                self.withdraw_all(showing && guess.epoch <= self.confirmed);
            }
        }
    }

    fn note_response(&mut self, waited: Duration) {
        if waited > SLOW_RESPONSE {
            self.slow = SLOW_MEMORY;
        } else {
            self.slow = self.slow.saturating_sub(1);
        }
    }

    /// Guesses what `key` does; false when it cannot (the cursor is where a line editor
    /// cannot follow it).
    fn guess(&mut self, key: Key, position: u64, now: Instant) -> bool {
        let Some(screen) = &self.screen else {
            return false;
        };
        let cursor = self.cursor.map_or(screen.cursor, |guess| guess.at);
        let Some(old) = self.effective_row(cursor.row) else {
            return false;
        };
        let col = usize::from(cursor.col);
        if col >= old.len() {
            return false;
        }
        let mut new = old.clone();
        let mut typed_at = None;
        let to = match key {
            Key::Char(c) => match c.width() {
                Some(0) => {
                    // A combining mark joins the cell left of the cursor.
                    let Some(left) = left_of(&old, col) else {
                        return false;
                    };
                    let Col::Text(text, wide) = &old[left] else {
                        return false;
                    };
                    new[left] = Col::Text(format!("{text}{c}"), *wide);
                    typed_at = Some(left);
                    col
                }
                Some(width @ (1 | 2)) => {
                    if !insert(&mut new, col, c, width) {
                        return false;
                    }
                    typed_at = Some(col);
                    col + width
                }
                _ => return false,
            },
            Key::Backspace => {
                let Some(left) = left_of(&old, col) else {
                    return false;
                };
                delete(&mut new, left);
                left
            }
            Key::Left => match left_of(&old, col) {
                Some(left) => left,
                None => return false,
            },
            Key::Right if old[col..].iter().all(Col::is_blank) => col,
            Key::Right => col + usize::from(old[col].width()),
            Key::Enter | Key::Other => return false,
        };
        let Ok(to) = u16::try_from(to) else {
            return false;
        };
        for (index, (before, after)) in old.iter().zip(&new).enumerate() {
            let Ok(at) = u16::try_from(index) else {
                continue;
            };
            if *after == Col::Tail {
                // Covered by the wide guess to its left, not a guess of its own.
                self.cells.remove(&(cursor.row, at));
                continue;
            }
            if before == after {
                continue;
            }
            let original = server_col(screen, cursor.row, at).unwrap_or_else(Col::blank);
            self.cells.insert(
                (cursor.row, at),
                Guess {
                    col: after.clone(),
                    position,
                    epoch: self.epoch,
                    made_at: now,
                    original,
                    typed_at: (typed_at == Some(index)).then_some(cursor),
                    slow_noted: false,
                },
            );
        }
        self.cursor = Some(CursorGuess {
            at: Point {
                row: cursor.row,
                col: to,
            },
            position,
            epoch: self.epoch,
            made_at: now,
        });
        true
    }

    /// Row `row` of the server's screen with the guesses on it.
    fn effective_row(&self, row: u16) -> Option<Vec<Col>> {
        let screen = self.screen.as_ref()?;
        let mut cols = server_row(screen, row)?;
        for (&(_, col), guess) in self.cells.range((row, 0)..=(row, u16::MAX)) {
            let col = usize::from(col);
            if col < cols.len() {
                cols[col] = guess.col.clone();
                if guess.col.width() == 2 && col + 1 < cols.len() {
                    cols[col + 1] = Col::Tail;
                }
            }
        }
        Some(cols)
    }
}

/// The column of the cell left of `col` (the start of a wide one).
fn left_of(row: &[Col], col: usize) -> Option<usize> {
    let left = col.checked_sub(1)?;
    match row.get(left)? {
        Col::Tail => left.checked_sub(1),
        Col::Text(..) => Some(left),
    }
}

/// Inserts `c` at `col` as a line editor does, shifting the rest of the row right; false
/// when text would reach the row's last column or fall off its end (the terminal's
/// pending wrap and the editor's wrapping are not guessed).
fn insert(row: &mut Vec<Col>, col: usize, c: char, width: usize) -> bool {
    if col + width >= row.len() || row[col] == Col::Tail {
        return false;
    }
    let cols = row.len();
    let mut cell = vec![Col::Text(c.to_string(), width == 2)];
    if width == 2 {
        cell.push(Col::Tail);
    }
    row.splice(col..col, cell);
    if !row[cols..].iter().all(Col::is_blank) {
        return false;
    }
    row.truncate(cols);
    true
}

/// Deletes the cell at `col`, shifting the rest of the row left.
fn delete(row: &mut Vec<Col>, col: usize) {
    let width = row.get(col).map_or(1, |c| usize::from(c.width()));
    let end = (col + width).min(row.len());
    row.drain(col..end);
    row.resize(row.len() + (end - col), Col::blank());
}

/// The server's row `row` as columns.
fn server_row(screen: &PaneScreen, row: u16) -> Option<Vec<Col>> {
    let line = screen.rows().get(usize::from(row))?;
    let mut cols = Vec::with_capacity(usize::from(screen.cols()));
    for cell in line.cells() {
        cols.push(Col::Text(cell.text.to_owned(), cell.wide));
        if cell.wide {
            cols.push(Col::Tail);
        }
    }
    cols.resize(usize::from(screen.cols()), Col::blank());
    Some(cols)
}

fn server_col(screen: &PaneScreen, row: u16, col: u16) -> Option<Col> {
    server_row(screen, row)?.get(usize::from(col)).cloned()
}

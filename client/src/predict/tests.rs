//! The engine against a simulated server: a line editor (and a tiny modal editor on the
//! alternate screen) that gets the keys when the test delivers them, as a server one
//! round trip away would, and whose screen is what the client's frame is drawn from.

use moshmux_proto::screen::{CellStyle, PaneScreen, Point, Row};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::keys::{parse, Key};
use super::*;
use crate::frame::tests::{host, lines, rect};
use crate::frame::{compose, StatusExtras};

const ROWS: u16 = 4;
const COLS: u16 = 30;
const PANE: PaneId = PaneId(1);
const OTHER_PANE: PaneId = PaneId(2);
const SLOW_LINK: Duration = Duration::from_millis(200);

/// A modal editor on the alternate screen: `j` moves down, `i` starts inserting.
struct Vim {
    inserting: bool,
    row: u16,
    text: String,
}

/// A shell's line editor: prompt, line (cells), cursor, echo.
struct Shell {
    done: Vec<String>,
    prompt: String,
    line: Vec<String>,
    at: usize,
    echo: bool,
    /// Echo every letter upper-cased (a guess the client cannot make).
    upper: bool,
    /// Prompt and echo after the next Enter (a password prompt), else `$ ` with echo.
    after_enter: Option<(String, bool)>,
    vim: Option<Vim>,
}

impl Shell {
    fn new() -> Shell {
        Shell {
            done: Vec::new(),
            prompt: "$ ".to_owned(),
            line: Vec::new(),
            at: 0,
            echo: true,
            upper: false,
            after_enter: None,
            vim: None,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for key in parse(bytes) {
            if let Some(vim) = &mut self.vim {
                match key {
                    Key::Char('j') if !vim.inserting => vim.row += 1,
                    Key::Char('i') if !vim.inserting => vim.inserting = true,
                    Key::Char(c) if vim.inserting => vim.text.push(c),
                    _ => {}
                }
                continue;
            }
            match key {
                Key::Char(c) if c.width() == Some(0) => {
                    if let Some(cell) = self.at.checked_sub(1).and_then(|i| self.line.get_mut(i)) {
                        cell.push(c);
                    }
                }
                Key::Char(c) => {
                    let c = if self.upper {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    };
                    self.line.insert(self.at, c.to_string());
                    self.at += 1;
                }
                Key::Backspace if self.at > 0 => {
                    self.at -= 1;
                    self.line.remove(self.at);
                }
                Key::Left => self.at = self.at.saturating_sub(1),
                Key::Right => self.at = (self.at + 1).min(self.line.len()),
                Key::Enter => {
                    let shown = if self.echo {
                        self.line.concat()
                    } else {
                        String::new()
                    };
                    self.done.push(format!("{}{shown}", self.prompt));
                    let (prompt, echo) = self
                        .after_enter
                        .take()
                        .unwrap_or_else(|| ("$ ".to_owned(), true));
                    (self.prompt, self.echo) = (prompt, echo);
                    self.line.clear();
                    self.at = 0;
                }
                _ => {}
            }
        }
    }

    fn screen(&self) -> PaneScreen {
        let mut screen = PaneScreen::new(ROWS, COLS).unwrap();
        if let Some(vim) = &self.vim {
            screen.modes.alternate_screen = true;
            screen.set_row(0, row(&cells(&vim.text))).unwrap();
            let col = if vim.row == 0 { vim.text.width() } else { 0 };
            screen.cursor = point(vim.row, col);
            return screen;
        }
        let keep = self.done.len().saturating_sub(usize::from(ROWS) - 1);
        let done = &self.done[keep..];
        for (index, text) in done.iter().enumerate() {
            screen.set_row(index, row(&cells(text))).unwrap();
        }
        let shown: &[String] = if self.echo { &self.line } else { &[] };
        let mut current = cells(&self.prompt);
        current.extend(shown.iter().cloned());
        screen.set_row(done.len(), row(&current)).unwrap();
        let before = if self.echo {
            self.line[..self.at].concat()
        } else {
            String::new()
        };
        let col = self.prompt.width() + before.width();
        screen.cursor = point(done.len() as u16, col);
        screen
    }
}

fn cells(text: &str) -> Vec<String> {
    text.chars().map(String::from).collect()
}

fn row(cells: &[String]) -> Row {
    let mut row = Row::builder(COLS);
    for cell in cells {
        row.push(cell, cell.width() == 2, CellStyle::default());
    }
    row.finish(false)
}

fn point(row: u16, col: usize) -> Point {
    Point {
        row,
        col: col as u16,
    }
}

/// The client, its link and the server, with a virtual clock.
struct Sim {
    predictor: Predictor,
    shell: Shell,
    /// The server's screen as the client last received it.
    received: PaneScreen,
    now: Instant,
    srtt: Duration,
    /// Keys typed and not yet delivered, with the position they end at.
    in_flight: Vec<(Vec<u8>, u64)>,
    typed: u64,
    acked: u64,
}

impl Sim {
    fn new(mode: Predict, srtt: Duration) -> Sim {
        let shell = Shell::new();
        let mut sim = Sim {
            predictor: Predictor::new(mode),
            received: shell.screen(),
            shell,
            now: Instant::now(),
            srtt,
            in_flight: Vec::new(),
            typed: 0,
            acked: 0,
        };
        sim.predictor.handle_link(0, srtt, sim.now);
        sim.predictor.handle_screen(PANE, &sim.received, sim.now);
        sim
    }

    fn type_keys(&mut self, text: &str) {
        self.typed += 1;
        self.in_flight.push((text.as_bytes().to_vec(), self.typed));
        self.predictor
            .handle_keys(PANE, &parse(text.as_bytes()), self.typed, self.now);
    }

    /// Half a round trip later the server has the keys; half another later the client
    /// has the acknowledgement and the screen they produced.
    fn round_trip(&mut self) {
        self.acknowledge();
        // As the server does, a new screen only when something changed.
        let screen = self.shell.screen();
        if screen != self.received {
            self.received = screen;
            self.predictor.handle_screen(PANE, &self.received, self.now);
        }
    }

    /// A round trip whose answer carries the acknowledgement but not the screen: a
    /// retransmitted older frame, sent before the echo, whose follower was lost.
    fn acknowledge(&mut self) {
        let mut acked = self.acked;
        for (keys, position) in std::mem::take(&mut self.in_flight) {
            self.shell.feed(&keys);
            acked = position;
        }
        self.advance(self.srtt);
        self.acked = acked;
        self.predictor.handle_link(self.acked, self.srtt, self.now);
    }

    /// Time passes with the client polling, as the session does.
    fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while self.now < end {
            self.now = (self.now + PENDING_POLL).min(end);
            self.predictor.handle_link(self.acked, self.srtt, self.now);
        }
    }

    /// Waits out the echo grace after the newest acknowledgement.
    fn settle(&mut self) {
        self.advance(self.predictor.grace() + PENDING_POLL);
    }

    /// Waits out the longer wait for keys that brought no new screen.
    fn settle_without_screen(&mut self) {
        self.advance(NO_SCREEN_WAIT_MIN.max(self.srtt * NO_SCREEN_WAIT_RTTS) + PENDING_POLL);
    }

    /// What the user sees: the client's frame (status line left out) and cursor.
    fn view(&self) -> (Vec<String>, Option<(u16, u16)>) {
        let area = rect(0, 0, COLS, ROWS);
        let host = host(vec![(area, true, false, self.received.clone())]);
        let mut frame = compose(&host, COLS, ROWS + 1, &StatusExtras::default());
        if let Some(overlay) = self.predictor.overlay() {
            paint(&mut frame, area, &overlay, true);
        }
        let mut rows = lines(&frame);
        rows.truncate(usize::from(ROWS));
        (
            rows.into_iter().map(|r| r.trim_end().to_owned()).collect(),
            frame.cursor,
        )
    }

    fn line(&self, row: usize) -> String {
        self.view().0[row].clone()
    }

    fn cursor(&self) -> Option<(u16, u16)> {
        self.view().1
    }

    /// What the server's screen alone shows.
    fn server_view(&self) -> (Vec<String>, Option<(u16, u16)>) {
        let area = rect(0, 0, COLS, ROWS);
        let host = host(vec![(area, true, false, self.received.clone())]);
        let frame = compose(&host, COLS, ROWS + 1, &StatusExtras::default());
        let mut rows = lines(&frame);
        rows.truncate(usize::from(ROWS));
        (
            rows.into_iter().map(|r| r.trim_end().to_owned()).collect(),
            frame.cursor,
        )
    }

    /// Types a first key and lets the server confirm it, so the epoch is trusted.
    fn confirm_with(&mut self, key: &str) {
        self.type_keys(key);
        self.round_trip();
        self.settle();
        assert_eq!(self.view(), self.server_view());
        assert!(self.predictor.cells.is_empty(), "{:?}", self.predictor);
    }
}

#[test]
fn typed_keys_show_at_once_and_the_echo_confirms_them() {
    let mut sim = Sim::new(Predict::Adaptive, SLOW_LINK);
    // The first key of an epoch is not drawn: the program may not echo.
    sim.type_keys("e");
    assert_eq!(sim.line(0), "$");
    assert!(sim.predictor.overlay().is_none());
    sim.round_trip();
    assert_eq!(sim.line(0), "$ e");

    // Confirmed: the next keys are drawn before the server has them, underlined on a
    // slow link, with the cursor after them.
    sim.type_keys("c");
    sim.type_keys("ho glück");
    assert_eq!(sim.line(0), "$ echo glück");
    assert_eq!(sim.cursor(), Some((0, 12)));
    let overlay = sim.predictor.overlay().unwrap();
    assert!(overlay.underline);
    // One cell per character but the space, which changes no cell at the end of a line.
    assert_eq!(overlay.cells.len(), 8);
    // The echo confirms every guess: nothing is left to draw, and the server's screen
    // is what shows.
    sim.round_trip();
    assert!(sim.predictor.overlay().is_none());
    assert!(sim.predictor.cells.is_empty() && sim.predictor.cursor.is_none());
    assert_eq!(sim.view(), sim.server_view());
    assert_eq!(sim.line(0), "$ echo glück");
}

#[test]
fn combining_marks_wide_characters_and_line_editing() {
    let mut sim = Sim::new(Predict::Always, SLOW_LINK);
    sim.confirm_with("x");
    // "faĩl": the tilde is a combining mark on the i; the cursor does not move for it.
    sim.type_keys("fai\u{303}l 日本");
    assert_eq!(sim.line(0), "$ xfai\u{303}l 日本");
    assert_eq!(sim.cursor(), Some((0, 12)));
    // Left twice (over one wide cell each), backspace deletes the space before 日.
    sim.type_keys("\x1b[D\x1b[D\x7f");
    assert_eq!(sim.line(0), "$ xfai\u{303}l日本");
    assert_eq!(sim.cursor(), Some((0, 7)));
    // Typing in the middle inserts; right moves over a wide cell, not past the end.
    sim.type_keys("!\x1b[C\x1b[C\x1b[C");
    assert_eq!(sim.line(0), "$ xfai\u{303}l!日本");
    assert_eq!(sim.cursor(), Some((0, 12)));
    sim.round_trip();
    sim.settle();
    assert!(sim.predictor.overlay().is_none());
    assert_eq!(sim.view(), sim.server_view());
    assert_eq!(sim.line(0), "$ xfai\u{303}l!日本");
}

#[test]
fn a_wrong_guess_is_repaired_within_a_round_trip() {
    let mut sim = Sim::new(Predict::Adaptive, SLOW_LINK);
    sim.confirm_with("e");
    sim.shell.upper = true;
    sim.type_keys("x");
    assert_eq!(sim.line(0), "$ ex");
    sim.round_trip();
    // The server's screen wins once the echo had its time: within the grace after the
    // acknowledgement, well inside the next round trip.
    let repaired_at = sim.now + sim.predictor.grace() + PENDING_POLL;
    sim.settle();
    assert!(sim.now <= repaired_at && sim.predictor.grace() < 2 * SLOW_LINK);
    assert_eq!(sim.line(0), "$ eX");
    assert_eq!(sim.view(), sim.server_view());
    // The next key is not drawn until the server proved the guesses right again, and
    // the guesses after that are underlined for a while, whatever the RTT.
    sim.shell.upper = false;
    sim.type_keys("y");
    assert_eq!(sim.line(0), "$ eX");
    sim.round_trip();
    sim.settle();
    sim.srtt = Duration::from_millis(40);
    sim.type_keys("z");
    assert_eq!(sim.line(0), "$ eXyz");
    assert!(sim.predictor.overlay().unwrap().underline);
}

#[test]
fn an_acknowledgement_without_the_echo_keeps_the_guesses() {
    let mut sim = Sim::new(Predict::Always, SLOW_LINK);
    sim.confirm_with("e");
    sim.type_keys("x");
    sim.acknowledge();
    // The frame with the echo is lost twice, at half an RTT each.
    sim.advance(SLOW_LINK);
    assert_eq!(sim.line(0), "$ ex");
    sim.round_trip();
    assert!(sim.predictor.cells.is_empty());
    sim.type_keys("y");
    assert_eq!(sim.line(0), "$ exy", "still trusted: drawn at once");
}

#[test]
fn typing_on_after_an_unknown_key_is_drawn_from_the_first_confirmation() {
    let mut sim = Sim::new(Predict::Always, SLOW_LINK);
    sim.confirm_with("e");
    // Tab: its effect is unknown, so the key after it is guessed but not drawn...
    sim.type_keys("\t");
    sim.type_keys("a");
    assert_eq!(sim.line(0), "$ e");
    // ...until its echo confirms it; the next key is drawn at once, with no wait.
    sim.round_trip();
    sim.type_keys("b");
    assert_eq!(sim.line(0), "$ eab");
}

#[test]
fn a_guess_the_server_did_not_make_is_withdrawn() {
    let mut sim = Sim::new(Predict::Always, SLOW_LINK);
    sim.confirm_with("a");
    // Left twice: the line editor stops at the start of the line, the guess does not.
    sim.type_keys("\x1b[D\x1b[D");
    assert_eq!(sim.cursor(), Some((0, 1)));
    sim.round_trip();
    assert_eq!(
        sim.cursor(),
        Some((0, 1)),
        "pending until the echo had its time"
    );
    sim.settle();
    assert_eq!(sim.cursor(), Some((0, 2)));
    assert_eq!(sim.view(), sim.server_view());
    assert!(!sim.predictor.echo_off);
}

#[test]
fn no_guesses_while_echo_is_off_until_the_next_enter() {
    let mut sim = Sim::new(Predict::Always, SLOW_LINK);
    sim.confirm_with("s");
    sim.type_keys("udo ls");
    sim.shell.after_enter = Some(("Password: ".to_owned(), false));
    sim.type_keys("\r");
    sim.round_trip();
    sim.settle();
    assert_eq!(sim.line(1), "Password:");
    // The first key at the prompt is tentative, so it is never drawn; the server does
    // not echo it, so prediction stops. No new screen came with the acknowledgement, so
    // the echo might still be on its way in a lost frame: the verdict waits longer.
    sim.type_keys("h");
    assert_eq!(sim.line(1), "Password:");
    sim.round_trip();
    sim.settle();
    assert!(!sim.predictor.echo_off && !sim.predictor.cells.is_empty());
    sim.settle_without_screen();
    assert!(sim.predictor.echo_off);
    sim.type_keys("unter2");
    assert!(sim.predictor.cells.is_empty() && sim.predictor.overlay().is_none());
    assert_eq!(sim.line(1), "Password:");
    // Enter ends it: the shell's next line is guessed again once confirmed.
    sim.type_keys("\r");
    sim.round_trip();
    sim.settle();
    assert!(!sim.predictor.echo_off);
    assert_eq!(sim.predictor.poll_timeout(), None, "nothing to wait for");
    sim.confirm_with("l");
    sim.type_keys("s");
    assert_eq!(sim.line(2), "$ ls");
}

#[test]
fn the_alternate_screen_gets_no_guesses_until_one_is_confirmed() {
    let mut sim = Sim::new(Predict::Always, SLOW_LINK);
    sim.confirm_with("v");
    sim.shell.vim = Some(Vim {
        inserting: false,
        row: 0,
        text: String::new(),
    });
    sim.type_keys("i");
    sim.round_trip();
    sim.settle();
    // In normal mode `j` moves the cursor: a guess would have drawn a `j`.
    sim.shell.vim.as_mut().unwrap().inserting = false;
    sim.type_keys("j");
    assert_eq!(sim.line(0), "");
    sim.round_trip();
    sim.settle();
    assert_eq!(sim.view(), sim.server_view());
    // Inserting on the first line: the first letter is confirmed, then guesses show.
    sim.shell.vim = Some(Vim {
        inserting: true,
        row: 0,
        text: String::new(),
    });
    sim.round_trip();
    sim.settle();
    sim.confirm_with("h");
    sim.type_keys("ello");
    assert_eq!(sim.line(0), "hello");
    sim.round_trip();
    sim.settle();
    assert_eq!(sim.view(), sim.server_view());
}

#[test]
fn a_long_outage_drops_guesses_before_the_screen_changes() {
    let mut sim = Sim::new(Predict::Always, SLOW_LINK);
    sim.confirm_with("e");
    sim.type_keys("cho hi");
    assert_eq!(sim.line(0), "$ echo hi");
    // Nothing comes back for longer than the outage limit.
    sim.advance(OUTAGE + Duration::from_secs(1));
    assert_eq!(sim.line(0), "$ e");
    assert!(sim.predictor.cells.is_empty());
    // Meanwhile the screen changed: a job printed a line and a new prompt. The keys
    // land there; nothing is painted on the old line, and nothing at all until the
    // server's screen covers them.
    sim.shell.done.push("[1]+ Done".to_owned());
    sim.type_keys("!");
    assert_eq!(sim.line(0), "$ e");
    sim.round_trip();
    assert_eq!(sim.view(), sim.server_view());
    sim.settle();
    assert_eq!(sim.view(), sim.server_view());
}

#[test]
fn switching_panes_drops_guesses() {
    let mut sim = Sim::new(Predict::Always, SLOW_LINK);
    sim.confirm_with("e");
    sim.type_keys("cho");
    assert!(sim.predictor.overlay().is_some());
    let other = sim.shell.screen();
    sim.predictor.handle_screen(OTHER_PANE, &other, sim.now);
    assert!(sim.predictor.overlay().is_none());
    // Keys typed into the other pane are guessed but not drawn until it proved to echo.
    sim.predictor
        .handle_keys(OTHER_PANE, &parse(b"ls"), sim.typed + 1, sim.now);
    assert!(sim.predictor.overlay().is_none());
    let guessed = sim.predictor.cells.len();
    assert_eq!(guessed, 2);
    // And keys typed for a pane the predictor does not follow guess nothing.
    sim.predictor
        .handle_keys(PANE, &parse(b"pwd"), sim.typed + 2, sim.now);
    assert_eq!(sim.predictor.cells.len(), guessed);
}

#[test]
fn adaptive_mode_follows_the_rtt_with_hysteresis() {
    let mut sim = Sim::new(Predict::Adaptive, Duration::from_millis(10));
    sim.confirm_with("e");
    // A fast link: guesses are made (and confirmed) but not drawn.
    sim.type_keys("c");
    assert!(!sim.predictor.cells.is_empty());
    assert_eq!(sim.line(0), "$ e");
    sim.round_trip();
    sim.settle();
    let show = |sim: &mut Sim, ms: u64, key: &str| {
        sim.srtt = Duration::from_millis(ms);
        sim.predictor.handle_link(sim.acked, sim.srtt, sim.now);
        sim.type_keys(key);
        let overlay = sim.predictor.overlay();
        sim.round_trip();
        sim.settle();
        overlay.map(|o| o.underline)
    };
    assert_eq!(
        show(&mut sim, 40, "h"),
        Some(false),
        "shown, not underlined"
    );
    assert_eq!(
        show(&mut sim, 25, "o"),
        Some(false),
        "still shown above 20 ms"
    );
    assert_eq!(
        show(&mut sim, 100, " "),
        Some(true),
        "underlined on a slow link"
    );
    assert_eq!(
        show(&mut sim, 60, "a"),
        Some(true),
        "still underlined above 50 ms"
    );
    assert_eq!(show(&mut sim, 40, "b"), Some(false));
    assert_eq!(show(&mut sim, 15, "c"), None, "off below 20 ms");
    // Always draws on a fast link; never guesses nothing at all.
    let mut always = Sim::new(Predict::Always, Duration::from_millis(5));
    always.confirm_with("e");
    always.type_keys("c");
    assert_eq!(always.line(0), "$ ec");
    let mut never = Sim::new(Predict::Never, SLOW_LINK);
    never.confirm_with("e");
    never.type_keys("c");
    assert_eq!(never.line(0), "$ e");
    assert!(never.predictor.cells.is_empty() && never.predictor.poll_timeout().is_none());
}

#[test]
fn a_slow_response_turns_showing_on_for_a_while() {
    let mut sim = Sim::new(Predict::Adaptive, Duration::from_millis(10));
    sim.confirm_with("e");
    sim.type_keys("c");
    sim.advance(SLOW_RESPONSE + PENDING_POLL);
    sim.round_trip();
    sim.settle();
    sim.type_keys("h");
    assert_eq!(
        sim.line(0),
        "$ ech",
        "a slow response shows guesses on a fast link"
    );
    for key in ["o", "a", "b", "c", "d", "e", "f", "g"] {
        sim.round_trip();
        sim.settle();
        sim.type_keys(key);
    }
    assert!(
        sim.predictor.overlay().is_none(),
        "quick responses turned it off"
    );
}

#[test]
fn a_character_that_would_wrap_is_not_guessed() {
    let mut sim = Sim::new(Predict::Always, SLOW_LINK);
    sim.confirm_with("e");
    let long = "x".repeat(usize::from(COLS) - 5);
    sim.type_keys(&long);
    assert_eq!(sim.cursor(), Some((0, COLS - 2)));
    sim.type_keys("日");
    assert_eq!(sim.cursor(), Some((0, COLS - 2)));
    assert_eq!(sim.line(0), format!("$ e{long}"));
    // What follows is a new epoch: not drawn until confirmed.
    sim.type_keys("z");
    assert_eq!(sim.line(0), format!("$ e{long}"));
}

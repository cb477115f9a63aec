use moshmux_proto::screen::{CellStyle, Row};

use super::*;
use crate::frame::tests::{host, rect, screen};

const ROWS: u16 = 5;
const COLS: u16 = 20;
const PANE: PaneId = PaneId(1);

/// One pane of 20x5 filling the window, `history_len` lines of history (from
/// `history_start`), and history lines `cached` in the host state.
fn state(history_len: u64, history_start: u64, cached: std::ops::Range<u64>) -> HostState {
    let mut pane = screen(ROWS, COLS, &["a", "b"]);
    pane.history_len = history_len;
    pane.history_start = LineNumber(history_start);
    let mut host = host(vec![(rect(0, 0, COLS, ROWS), true, false, pane)]);
    for number in cached {
        host.history
            .insert((PANE, LineNumber(number)), line(number));
    }
    host
}

fn line(number: u64) -> Arc<Row> {
    let mut row = Row::builder(COLS);
    for c in number.to_string().chars() {
        row.push(c.encode_utf8(&mut [0; 4]), false, CellStyle::default());
    }
    Arc::new(row.finish(false))
}

/// The numbers of the lines in a `Lines` write, and its marker.
fn written(writes: &[Write]) -> Vec<(Option<String>, Vec<String>)> {
    writes
        .iter()
        .filter_map(|write| match write {
            Write::Lines { marker, lines } => Some((
                marker.clone(),
                lines
                    .iter()
                    .map(|row| row.text().trim_end().to_owned())
                    .collect(),
            )),
            Write::ScrollShown(_) => None,
        })
        .collect()
}

fn numbers(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|n| n.to_string()).collect()
}

/// A client that has been showing the pane since its history was `history_len` long.
fn following(limit: u64, history_len: u64) -> NativeScrollback {
    let mut native = NativeScrollback::new(limit);
    native.fresh = false;
    let writes = native.plan(&state(history_len, 0, 0..0), Mode::Fill(PANE), None, ROWS);
    assert!(writes.is_empty());
    native
}

#[test]
fn lines_seen_leaving_the_screen_are_scrolled_off_the_terminal_as_shown() {
    let mut native = following(100, 10);
    let host = state(13, 0, 0..0);
    let writes = native.plan(&host, Mode::Fill(PANE), Some((PANE, 10)), ROWS);
    assert_eq!(writes, vec![Write::ScrollShown(3)]);
    assert_eq!(native.request(&host, Mode::Fill(PANE)), None);
    // Nothing moved: nothing to write.
    assert!(native
        .plan(&host, Mode::Fill(PANE), Some((PANE, 13)), ROWS)
        .is_empty());
}

#[test]
fn more_lines_than_the_screen_held_come_from_the_history_channel_in_order() {
    let mut native = following(100, 10);
    // Six lines left a five-row screen: the client never saw the first of them.
    let host = state(16, 0, 0..0);
    assert!(native
        .plan(&host, Mode::Fill(PANE), Some((PANE, 10)), ROWS)
        .is_empty());
    let request = native.request(&host, Mode::Fill(PANE));
    assert_eq!(
        request,
        Some(ScrollRequest {
            pane: PANE,
            first: LineNumber(10),
            rows: 6
        })
    );
    // Two more leave while the first are on their way: they wait for them, though the
    // terminal shows them, so the scrollback stays in order.
    let host = state(18, 0, 10..13);
    let writes = native.plan(&host, Mode::Fill(PANE), Some((PANE, 16)), ROWS);
    assert_eq!(written(&writes), vec![(None, numbers(10..13))]);
    assert_eq!(
        native
            .request(&host, Mode::Fill(PANE))
            .map(|r| (r.first.0, r.rows)),
        Some((13, 5))
    );
    let writes = native.plan(
        &state(18, 0, 10..18),
        Mode::Fill(PANE),
        Some((PANE, 18)),
        ROWS,
    );
    assert_eq!(written(&writes), vec![(None, numbers(13..18))]);
    // Caught up: the next lines are scrolled off the screen again.
    let writes = native.plan(
        &state(19, 0, 0..0),
        Mode::Fill(PANE),
        Some((PANE, 18)),
        ROWS,
    );
    assert_eq!(writes, vec![Write::ScrollShown(1)]);
}

#[test]
fn a_flood_writes_the_newest_lines_after_one_marker() {
    let mut native = following(500, 0);
    native.plan(
        &state(1500, 0, 0..0),
        Mode::Fill(PANE),
        Some((PANE, 0)),
        ROWS,
    );
    // The flood goes on before any line arrived: still one marker, for all skipped.
    let host = state(3000, 0, 0..0);
    assert!(native
        .plan(&host, Mode::Fill(PANE), Some((PANE, 1500)), ROWS)
        .is_empty());
    assert_eq!(
        native
            .request(&host, Mode::Fill(PANE))
            .map(|r| (r.first.0, r.rows)),
        Some((2500, 500))
    );
    let writes = native.plan(&state(3000, 0, 2500..2800), Mode::Fill(PANE), None, ROWS);
    assert_eq!(
        written(&writes),
        vec![(Some(marker(2500)), numbers(2500..2800))]
    );
    assert!(marker(2500).contains("2500 older lines skipped") && marker(2500).contains("prefix ["));
    let writes = native.plan(&state(3000, 0, 2500..3000), Mode::Fill(PANE), None, ROWS);
    assert_eq!(written(&writes), vec![(None, numbers(2800..3000))]);
}

/// Lines fetched while the flood still runs are held, so the terminal never reads chunk,
/// marker, chunk: once the history stops growing by more than a screen between states,
/// the newest lines go after the one marker (found by the simulator, seed 185).
#[test]
fn a_flood_still_running_is_written_once_it_slows_after_one_marker() {
    let mut native = following(500, 0);
    for end in [300, 900, 1600] {
        let host = state(end, 0, end.saturating_sub(300)..end);
        let writes = native.plan(&host, Mode::Fill(PANE), None, ROWS);
        assert_eq!(written(&writes), vec![], "the flood runs at {end}");
    }
    // The flood ended: three more lines (the prompt) since the last state.
    let writes = native.plan(&state(1603, 0, 1103..1603), Mode::Fill(PANE), None, ROWS);
    assert_eq!(
        written(&writes),
        vec![(Some(marker(1103)), numbers(1103..1603))]
    );
}

#[test]
fn a_request_never_asks_for_more_rows_than_the_server_serves() {
    let mut native = following(5000, 0);
    let host = state(4000, 0, 0..0);
    native.plan(&host, Mode::Fill(PANE), None, ROWS);
    assert_eq!(
        native
            .request(&host, Mode::Fill(PANE))
            .map(|r| (r.first.0, r.rows)),
        Some((0, 1000))
    );
}

#[test]
fn a_fresh_client_fills_the_new_terminal_with_the_newest_lines() {
    let mut native = NativeScrollback::new(2000);
    // Lines before 1000 are gone from the store, so the scroll view has 2000 of those
    // skipped; the newest 2000 of 5000 are written.
    let host = state(5000, 1000, 3000..5000);
    let writes = native.plan(&host, Mode::Fill(PANE), None, ROWS);
    let written = written(&writes);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].0, Some(marker(2000)));
    assert!(written[0].1 == numbers(3000..5000));

    // Everything kept fits: no marker.
    let mut native = NativeScrollback::new(2000);
    let writes = native.plan(&state(3, 0, 0..3), Mode::Fill(PANE), None, ROWS);
    assert_eq!(super::tests::written(&writes), vec![(None, numbers(0..3))]);
}

#[test]
fn split_panes_and_other_panes_write_nothing_of_their_past() {
    let mut native = following(2000, 10);
    // Split: nothing, and nothing asked for.
    let split = state(20, 0, 10..20);
    assert!(native
        .plan(&split, Mode::Off, Some((PANE, 10)), ROWS)
        .is_empty());
    assert_eq!(native.request(&split, Mode::Off), None);
    // Back to one pane: what scrolled while it was split stays out.
    let host = state(20, 0, 10..20);
    assert!(native.plan(&host, Mode::Fill(PANE), None, ROWS).is_empty());
    assert_eq!(native.request(&host, Mode::Fill(PANE)), None);
    // A different pane shown (another window, a zoom) starts at its end too.
    let mut other = state(50, 0, 0..50);
    let screen = other.screens.remove(&PANE).unwrap();
    other.screens.insert(PaneId(7), screen);
    assert!(native
        .plan(&other, Mode::Fill(PaneId(7)), None, ROWS)
        .is_empty());
    assert_eq!(native.request(&other, Mode::Fill(PaneId(7))), None);
}

#[test]
fn lines_wait_while_the_scroll_view_covers_the_pane() {
    let mut native = following(2000, 10);
    let host = state(14, 0, 10..14);
    assert!(native
        .plan(&host, Mode::Paused(PANE), Some((PANE, 10)), ROWS)
        .is_empty());
    // The view has the request meanwhile.
    assert_eq!(native.request(&host, Mode::Paused(PANE)), None);
    // Closed: the terminal showed the view, so the lines come from the history.
    let writes = native.plan(&host, Mode::Fill(PANE), None, ROWS);
    assert_eq!(written(&writes), vec![(None, numbers(10..14))]);
}

#[test]
fn lines_dropped_by_the_store_before_they_were_fetched_are_counted_as_skipped() {
    let mut native = following(2000, 10);
    native.plan(&state(30, 0, 0..0), Mode::Fill(PANE), None, ROWS);
    // Retention dropped lines up to 25 before they arrived.
    let writes = native.plan(&state(30, 25, 25..30), Mode::Fill(PANE), None, ROWS);
    assert_eq!(written(&writes), vec![(Some(marker(15)), numbers(25..30))]);
    assert_eq!(
        marker(1),
        "[moshmux: 1 older line skipped here; the scroll view (prefix [) has them]"
    );
}

#[test]
fn a_limit_of_zero_writes_nothing_and_asks_for_nothing() {
    let mut native = NativeScrollback::new(0);
    let host = state(40, 0, 0..40);
    assert!(native.plan(&host, Mode::Fill(PANE), None, ROWS).is_empty());
    let host = state(42, 0, 0..42);
    assert!(native
        .plan(&host, Mode::Fill(PANE), Some((PANE, 40)), ROWS)
        .is_empty());
    assert_eq!(native.request(&host, Mode::Fill(PANE)), None);
}

/// What the terminal's scrollback holds: history lines by number, and markers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Held {
    Line(u64),
    Marker(String),
}

/// A model of the terminal: its scrollback, and the line its top row shows (the pane's
/// screen as last drawn, when the pane filled the window).
#[derive(Debug, Default)]
struct Terminal {
    scrollback: Vec<Held>,
    top: Option<u64>,
}

impl Terminal {
    fn apply(&mut self, writes: &[Write]) {
        for write in writes {
            match write {
                Write::ScrollShown(k) => {
                    let top = self.top.expect("scrolled a screen the terminal showed");
                    self.scrollback
                        .extend((top..top + u64::from(*k)).map(Held::Line));
                    self.top = Some(top + u64::from(*k));
                }
                Write::Lines { marker, lines } => {
                    self.scrollback.extend(marker.clone().map(Held::Marker));
                    for line in lines {
                        let number = line.text().trim_end().parse().expect("a numbered line");
                        self.scrollback.push(Held::Line(number));
                    }
                }
            }
        }
    }

    /// Reads the scrollback as a user would: every line follows the one before it, or
    /// follows a marker whose count is exactly the lines missing there.
    fn check(&self, first: u64) -> Result<u64, String> {
        let mut next = first;
        let mut said = None::<u64>;
        for held in &self.scrollback {
            match held {
                Held::Marker(text) => {
                    if said.is_some() {
                        return Err(format!("two markers in a row: {:?}", self.scrollback));
                    }
                    let count = text
                        .strip_prefix("[moshmux: ")
                        .and_then(|rest| rest.split(' ').next())
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| format!("a marker without a count: {text}"))?;
                    said = Some(count);
                }
                Held::Line(number) => {
                    let expected = next + said.take().unwrap_or(0);
                    if *number != expected {
                        return Err(format!(
                            "line {number} where {expected} was due: {:?}",
                            self.scrollback
                        ));
                    }
                    next = number + 1;
                }
            }
        }
        Ok(next)
    }
}

proptest::proptest! {
    /// Whatever the output, the pages that arrive and the scroll view in between: the
    /// terminal's scrollback reads in order, every gap has one marker with its exact size,
    /// and once the pages come it catches up with the screen.
    #[test]
    fn the_scrollback_reads_in_order_and_markers_count_exactly(
        limit in 0u64..40,
        fresh in proptest::bool::ANY,
        start in 0u64..60,
        steps in proptest::collection::vec(
            (0u64..30, 0u64..4, proptest::bool::weighted(0.15), 0u8..3),
            1..40,
        ),
    ) {
        let mut native = NativeScrollback::new(limit);
        native.fresh = fresh;
        let mut terminal = Terminal::default();
        let mut end = start;
        // What the client holds of the history: the pages asked for, when they came.
        let mut cached = std::collections::BTreeSet::new();
        let mut request: Option<ScrollRequest> = None;
        let mut first = None;
        for (output, arrive, paused, gone) in steps {
            end += output;
            let history_start = (end / 10).min(start + u64::from(gone) * 5);
            if arrive > 0 {
                if let Some(r) = request {
                    cached.extend(r.first.0..r.first.0 + u64::from(r.rows));
                }
            }
            let mut host = state(end, history_start, 0..0);
            for &line_number in cached.iter().filter(|&&n| n >= history_start && n < end) {
                host.history.insert((PANE, LineNumber(line_number)), line(line_number));
            }
            let mode = if paused { Mode::Paused(PANE) } else { Mode::Fill(PANE) };
            let shown = terminal.top.map(|top| (PANE, top));
            // A fresh client's scrollback starts at the oldest line kept, any other at the end.
            first.get_or_insert(if fresh { history_start } else { end });
            let writes = native.plan(&host, mode, shown, ROWS);
            terminal.apply(&writes);
            // The frame drawn: the pane, or the scroll view over it.
            terminal.top = (!paused).then_some(end);
            request = native.request(&host, mode);
        }
        let reached = terminal.check(first.unwrap_or(start));
        proptest::prop_assert!(reached.is_ok(), "{}", reached.unwrap_err());
    }
}

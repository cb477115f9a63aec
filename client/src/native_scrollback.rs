//! Native scrollback: while one pane fills the window and is on its main screen, every
//! line that leaves its top also goes into the local terminal's own scrollback, in order,
//! as over plain SSH.
//!
//! A pure state machine (no terminal, no clock): each host state goes in with what the
//! terminal shows, and out come the writes to make before the next frame. Lines the
//! client saw on the screen (they were on the terminal's top rows) are scrolled off the
//! terminal as they are; lines it never saw (a flood that outran the frames, an outage,
//! a reattach) come over the history channel, the same scroll request the scroll view
//! uses, and are written when they arrive: the screen keeps being drawn meanwhile, and
//! nothing later enters the scrollback before them. Past `limit` lines behind, the older
//! ones are skipped, and one marker line says how many and where they are.

use std::sync::Arc;

use moshmux_proto::ids::line_numbers;
use moshmux_proto::screen::{CellStyle, Color, Row, UnderlineStyle};
use moshmux_proto::{HostState, LineNumber, PaneId, ScrollRequest};

/// The most rows one scroll request may ask for (the server refuses more than 1000).
const MAX_REQUEST_ROWS: u64 = 1000;

/// Where native scrollback stands for the pane the window shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `pane` fills the window on its main screen: its lines go to the terminal.
    Fill(PaneId),
    /// `pane` fills the window, but the scroll view covers it: lines wait.
    Paused(PaneId),
    /// Split panes, the alternate screen, or nothing yet: nothing is written.
    Off,
}

/// A write into the terminal's scrollback, before the next frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// The terminal's top `k` rows show the lines due next: scroll them off as they are.
    ScrollShown(u16),
    /// One line saying how many lines were skipped, then lines, oldest first.
    Lines {
        marker: Option<String>,
        lines: Vec<Arc<Row>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tracked {
    pane: PaneId,
    /// The first line (history numbering) that the terminal's scrollback lacks: every
    /// older one was written or skipped.
    next: LineNumber,
    /// Lines skipped and not yet announced by a marker line.
    skipped: u64,
    /// The pane's history length at the previous plan, to tell a flood still running
    /// (it grew by more than a screen since) from one that has ended.
    seen_end: LineNumber,
}

#[derive(Debug, Clone)]
pub struct NativeScrollback {
    limit: u64,
    tracked: Option<Tracked>,
    /// No pane shown since the client started: the first pane's older lines fill the
    /// new terminal's scrollback (a reattach).
    fresh: bool,
}

impl NativeScrollback {
    /// Writes at most `limit` lines after a flood, an outage or an attach.
    pub fn new(limit: u64) -> NativeScrollback {
        NativeScrollback {
            limit,
            tracked: None,
            fresh: true,
        }
    }

    /// What to write before drawing `host`. `shown` is (pane, history length) of the pane
    /// screen the terminal's rows show now, when they show one pane filling the window;
    /// `pane_rows` is how many rows the pane has.
    pub fn plan(
        &mut self,
        host: &HostState,
        mode: Mode,
        shown: Option<(PaneId, u64)>,
        pane_rows: u16,
    ) -> Vec<Write> {
        let pane = match mode {
            Mode::Fill(pane) | Mode::Paused(pane) => pane,
            Mode::Off => {
                if !host.panes.is_empty() {
                    self.fresh = false;
                    self.tracked = None;
                }
                return Vec::new();
            }
        };
        let Some(screen) = host.screens.get(&pane) else {
            return Vec::new();
        };
        let (end, start) = (screen.history_end(), screen.history_start);
        let mut tracked = match self.tracked {
            Some(tracked) if tracked.pane == pane => tracked,
            // A pane newly shown starts at its end; only a fresh client fills in the past.
            _ if !self.fresh => Tracked {
                pane,
                next: end,
                skipped: 0,
                seen_end: end,
            },
            // The past a fresh client finds is no flood in progress.
            _ => Tracked {
                pane,
                next: start,
                skipped: 0,
                seen_end: end,
            },
        };
        self.fresh = false;
        tracked.next = tracked.next.min(end);
        if tracked.next < start {
            tracked.skipped += start - tracked.next;
            tracked.next = start;
        }
        // A flood that still runs (the history grew by more than a screen since the last
        // state) outruns the history channel: lines written now would be followed by
        // another skip, and the terminal would read chunk, marker, chunk. Nothing is
        // written from history until it slows, then the newest `limit` lines go after one
        // marker.
        let flooding = end > tracked.seen_end.saturating_add(u64::from(pane_rows));
        tracked.seen_end = end;
        if end - tracked.next > self.limit {
            tracked.skipped += end.saturating_sub(self.limit) - tracked.next;
            tracked.next = end.saturating_sub(self.limit);
        }
        let mut writes = Vec::new();
        if mode == Mode::Fill(pane) {
            let behind = end - tracked.next;
            if tracked.skipped == 0
                && shown == Some((pane, tracked.next.0))
                && behind <= u64::from(pane_rows)
            {
                if behind > 0 {
                    writes.push(Write::ScrollShown(behind as u16));
                }
                tracked.next = end;
            } else if !flooding {
                let lines: Vec<Arc<Row>> = line_numbers(tracked.next..end)
                    .map_while(|line| host.history.get(&(pane, line)).cloned())
                    .collect();
                if !lines.is_empty() {
                    tracked.next += lines.len() as u64;
                    let marker = (tracked.skipped > 0).then(|| marker(tracked.skipped));
                    tracked.skipped = 0;
                    writes.push(Write::Lines { marker, lines });
                }
            }
        }
        self.tracked = Some(tracked);
        writes
    }

    /// The history lines still to fetch for the terminal's scrollback, as a scroll
    /// request; `None` when none are missing or the scroll view has the request.
    pub fn request(&self, host: &HostState, mode: Mode) -> Option<ScrollRequest> {
        let tracked = self.tracked?;
        if mode != Mode::Fill(tracked.pane) {
            return None;
        }
        let end = host.screens.get(&tracked.pane)?.history_end();
        let missing = Some(end.lines_since(tracked.next)).filter(|&n| n > 0)?;
        Some(ScrollRequest {
            pane: tracked.pane,
            first: tracked.next,
            rows: missing.min(MAX_REQUEST_ROWS) as u16,
        })
    }
}

/// The marker line stands out from the output around it.
pub const MARKER_STYLE: CellStyle = CellStyle {
    fg: moshmux_proto::screen::Color::Default,
    bg: moshmux_proto::screen::Color::Default,
    bold: true,
    dim: false,
    italic: false,
    underline: false,
    inverse: false,
    strikethrough: false,
    underline_style: UnderlineStyle::Single,
    underline_color: Color::Default,
    overline: false,
    blink: false,
};

/// The line written in place of lines skipped after a flood.
pub fn marker(skipped: u64) -> String {
    let lines = if skipped == 1 { "line" } else { "lines" };
    format!("[moshmux: {skipped} older {lines} skipped here; the scroll view (prefix [) has them]")
}

#[cfg(test)]
mod tests;

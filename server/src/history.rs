//! The daemon's side of pane history: opening the store, sending each pane's scrolled
//! rows to it, and reading history back for `capture-pane`, `ls -a` and `search-history`.
//!
//! Line numbers as tmux counts them: 0 is the screen's first row, -1 the newest history
//! line, `-` the oldest line still kept. The store numbers a pane's lines from 0 (its
//! oldest line ever); history line `-k` is store line `next - k`.

use crate::control::LineRef;
use crate::history_line;
use crate::pane_id::PaneId;
use anyhow::bail;
use moshmux_store::{
    Direction, HistoryStore, PaneInfo, PaneUid, Retention, StoreError, StoreOptions, StoredLine,
};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// Lines read from the store at once while printing a long range, so a capture of a
/// million lines never holds them all decoded.
const READ_CHUNK_LINES: u64 = 4096;

/// The most text one `capture-pane` prints; past it the command asks for a narrower
/// range instead of building a reply the control socket would refuse.
pub const MAX_CAPTURE_BYTES: usize = 48 << 20;

/// Opens the store for this daemon, and marks ended every pane left from an earlier
/// daemon (none of them is alive now).
pub fn open(dir: &Path, retention: Retention) -> anyhow::Result<Arc<HistoryStore>> {
    let options = StoreOptions {
        retention,
        ..StoreOptions::default()
    };
    let store = match HistoryStore::open(dir, options) {
        Ok(store) => store,
        Err(StoreError::Locked(_)) => bail!(
            "another moshmux daemon is using the history in {}; refusing to start a second one",
            dir.display()
        ),
        Err(error) => bail!("opening the history in {}: {error}", dir.display()),
    };
    for pane in store.panes() {
        if !pane.ended {
            store.mark_ended(pane.pane);
        }
    }
    tracing::info!(dir = %dir.display(), panes = store.panes().len(), "history store open");
    Ok(Arc::new(store))
}

/// Where one live pane's scrolled rows go.
pub struct PaneHistory {
    store: Arc<HistoryStore>,
    uid: PaneUid,
    refused: u64,
}

impl PaneHistory {
    pub fn new(store: Arc<HistoryStore>, id: PaneId) -> PaneHistory {
        PaneHistory {
            store,
            uid: PaneUid(id.0),
            refused: 0,
        }
    }

    /// Hands lines to the store's writer without waiting for the disk. Lines it refuses
    /// (its backlog is full because the disk is failing) are counted and logged once.
    pub fn append(&mut self, lines: impl IntoIterator<Item = StoredLine>) {
        for line in lines {
            if let Err(error) = self.store.append(self.uid, line) {
                if self.refused == 0 {
                    tracing::error!(pane = %self.uid, %error, "history lines are being dropped");
                }
                self.refused += 1;
            }
        }
    }

    pub fn set_label(&self, command: &str, title: &str) {
        self.store.set_label(self.uid, command, title);
    }

    pub fn mark_ended(&self) {
        if self.refused > 0 {
            tracing::warn!(pane = %self.uid, lines = self.refused, "history lines were dropped");
        }
        self.store.mark_ended(self.uid);
    }
}

/// A pane's screen for capture: its rows, already rendered (empty for an ended pane).
pub struct ScreenRows {
    pub rows: Vec<String>,
}

/// Prints lines `start..=end` (tmux numbering) of a pane's history and screen. With no
/// `start`/`end`, a live pane prints its screen and an ended pane its whole history.
pub fn capture(
    store: &HistoryStore,
    id: PaneId,
    screen: Option<ScreenRows>,
    start: Option<LineRef>,
    end: Option<LineRef>,
    escapes: bool,
) -> Result<String, String> {
    let uid = PaneUid(id.0);
    let (first, next) = store
        .info(uid)
        .map_or((0, 0), |info| (info.first_line, info.next_line));
    let history = (next - first) as i64;
    let live = screen.is_some();
    let rows = screen.map_or(Vec::new(), |s| s.rows);
    let last_row = rows.len() as i64 - 1;
    let default_start = if live {
        LineRef::Number(0)
    } else {
        LineRef::Oldest
    };
    let position = |line: LineRef, oldest: i64| match line {
        LineRef::Oldest => oldest,
        LineRef::Number(n) => n,
    };
    let mut top = position(start.unwrap_or(default_start), -history).max(-history);
    let mut bottom = position(end.unwrap_or(LineRef::Oldest), last_row).min(last_row);
    top = top.min(last_row.max(-1));
    bottom = bottom.max(-history);
    if bottom < top {
        std::mem::swap(&mut top, &mut bottom);
    }
    let mut out = String::new();
    if top < 0 {
        let mut from = (next as i64 + top) as u64;
        let to = (next as i64 + bottom.min(-1) + 1) as u64;
        while from < to {
            let chunk_end = to.min(from + READ_CHUNK_LINES);
            let page = store
                .read(uid, from..chunk_end)
                .map_err(|e| format!("reading history of {id}: {e}"))?;
            for line in &page.lines {
                history_line::render(line, escapes, &mut out);
                out.push('\n');
            }
            if out.len() > MAX_CAPTURE_BYTES {
                return Err(format!(
                    "capture of {id} is over {} MiB; ask for fewer lines with -S and -E",
                    MAX_CAPTURE_BYTES >> 20
                ));
            }
            from = chunk_end.max(page.first + page.lines.len() as u64);
        }
    }
    for row in rows
        .iter()
        .take((bottom + 1).max(0) as usize)
        .skip(top.max(0) as usize)
    {
        out.push_str(row);
        out.push('\n');
    }
    Ok(out)
}

/// `ls -a`'s extra lines: panes that are not alive here but still have history.
pub fn list_ended(store: &HistoryStore, live: &HashSet<PaneId>) -> String {
    let mut out = String::new();
    for pane in store.panes() {
        if live.contains(&PaneId(pane.pane.0)) || pane.next_line == pane.first_line {
            continue;
        }
        let _ = writeln!(out, "{}", ended_line(&pane));
    }
    out
}

fn ended_line(pane: &PaneInfo) -> String {
    let mut line = format!(
        "{}: ended, {} lines, {}",
        pane.pane,
        pane.next_line - pane.first_line,
        if pane.command.is_empty() {
            "?"
        } else {
            &pane.command
        }
    );
    if !pane.title.is_empty() {
        let _ = write!(line, " {:?}", pane.title);
    }
    line
}

/// Numbers of every history line containing `needle`, oldest first, as `capture-pane -S`
/// takes them (-1 is the newest history line).
pub fn search(store: &HistoryStore, id: PaneId, needle: &str) -> Result<String, String> {
    let uid = PaneUid(id.0);
    let Some(info) = store.info(uid) else {
        return Ok(String::new());
    };
    let mut out = String::new();
    let mut from = info.first_line;
    while let Some(found) = store
        .search(uid, needle, Direction::Newer, from)
        .map_err(|e| format!("searching history of {id}: {e}"))?
    {
        if found >= info.next_line {
            break;
        }
        let _ = writeln!(out, "{}", found as i64 - info.next_line as i64);
        if out.len() > MAX_CAPTURE_BYTES {
            return Err(format!(
                "too many matches in {id}; search for something longer"
            ));
        }
        from = found + 1;
    }
    Ok(out)
}

/// Whether the store has any history (or a record) for this pane.
pub fn known(store: &HistoryStore, id: PaneId) -> bool {
    store.info(PaneUid(id.0)).is_some()
}

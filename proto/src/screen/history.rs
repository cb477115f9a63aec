//! The host state's half of the history channel: the history lines a client's scroll view
//! asked for, and the answer to its search.
//!
//! A history line never changes once stored, so the diff carries only lines the base
//! lacks, as runs of consecutive lines, and names the lines the new state no longer holds
//! by range (a few bytes), never by content. What the host state holds is therefore also
//! the client's cache: the server decides which lines stay (the ones near the view), both
//! sides agree on it, and no line the client holds is ever sent again.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::diff::HostChange;
use super::pane::MAX_COLS;
use super::row::Row;
use super::ScreenError;
use crate::ids::{numbered, LineNumber, PaneId};

/// Most history lines a host state holds, for all panes together: several screens of a
/// view and its prefetch margin, while bounding what a peer can make us hold.
pub const MAX_HISTORY_LINES: usize = 8192;

/// History lines by (pane id, line number); line numbers are the store's (0 is the pane's
/// oldest line ever).
pub type HistoryLines = BTreeMap<(PaneId, LineNumber), Arc<Row>>;

/// The answer to the search request with the same `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SearchResult {
    pub id: u32,
    /// The nearest matching line in the asked direction; `None`: no line matches.
    pub line: Option<LineNumber>,
}

/// Appends to `changes` what turns `old`'s lines into `new`'s: ranges to drop, then runs
/// of lines `old` lacks (or holds differently, which a correct server never causes).
pub(super) fn history_changes(
    old: &HistoryLines,
    new: &HistoryLines,
    changes: &mut Vec<HostChange>,
) {
    if old == new {
        return;
    }
    let mut dropped: Option<(PaneId, LineNumber, u64)> = None;
    for &(pane, line) in old.keys().filter(|key| !new.contains_key(key)) {
        match &mut dropped {
            Some((p, first, count)) if *p == pane && first.checked_add(*count) == Some(line) => {
                *count += 1
            }
            _ => {
                if let Some((p, first, count)) = dropped.take() {
                    changes.push(HostChange::DropHistory(p, first, count));
                }
                dropped = Some((pane, line, 1));
            }
        }
    }
    if let Some((p, first, count)) = dropped {
        changes.push(HostChange::DropHistory(p, first, count));
    }
    let mut run: Option<(PaneId, LineNumber, Vec<Arc<Row>>)> = None;
    for (&(pane, line), row) in new.iter().filter(|(key, row)| old.get(key) != Some(row)) {
        match &mut run {
            Some((p, first, rows))
                if *p == pane && first.checked_add(rows.len() as u64) == Some(line) =>
            {
                rows.push(row.clone());
            }
            _ => {
                if let Some((p, first, rows)) = run.take() {
                    changes.push(HostChange::History(p, first, rows));
                }
                run = Some((pane, line, vec![row.clone()]));
            }
        }
    }
    if let Some((p, first, rows)) = run {
        changes.push(HostChange::History(p, first, rows));
    }
}

/// Drops `count` lines from `first` (lines the state does not hold are skipped).
pub(super) fn drop_lines(lines: &mut HistoryLines, pane: PaneId, first: LineNumber, count: u64) {
    let Some(last_offset) = count.checked_sub(1) else {
        return;
    };
    let last = first.saturating_add(last_offset);
    let held: Vec<(PaneId, LineNumber)> = lines
        .range((pane, first)..=(pane, last))
        .map(|(&key, _)| key)
        .collect();
    for key in held {
        lines.remove(&key);
    }
}

/// Stores a run of lines, refusing one wider than any screen or numbered past `u64::MAX`
/// (every number up to it is a line, so any state's lines survive a diff).
pub(super) fn insert_lines(
    lines: &mut HistoryLines,
    pane: PaneId,
    first: LineNumber,
    rows: Vec<Arc<Row>>,
) -> Result<(), ScreenError> {
    if rows.len() > MAX_HISTORY_LINES {
        return Err(ScreenError::TooMany {
            what: "history lines",
            count: rows.len(),
            limit: MAX_HISTORY_LINES,
        });
    }
    let last_offset = (rows.len() as u64).saturating_sub(1);
    if first.checked_add(last_offset).is_none() {
        return Err(ScreenError::HistoryLine(first));
    }
    if let Some(row) = rows.iter().find(|row| row.width() > usize::from(MAX_COLS)) {
        return Err(ScreenError::RowWidth {
            width: row.width(),
            cols: MAX_COLS,
        });
    }
    // No number overflows: the last offset was checked above.
    for (line, row) in numbered(first, rows) {
        lines.insert((pane, line), row);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::screen::{HostState, Row};
    use crate::{LineNumber, PaneId, SyncState};
    use std::sync::Arc;

    /// Found by the `state_diff_roundtrip` fuzz target: lines numbered at the top of
    /// `u64` overflowed the run arithmetic on both sides (a panic in builds with
    /// overflow checks). Every line number now survives a diff.
    #[test]
    fn history_lines_at_the_end_of_the_number_space_survive_a_diff() {
        let base = HostState::default();
        let mut state = base.clone();
        for (pane, line) in [(1, u64::MAX - 1), (1, u64::MAX), (2, 0), (2, u64::MAX)] {
            state
                .history
                .insert((PaneId(pane), LineNumber(line)), Arc::new(Row::blank(3)));
        }
        let mut rebuilt = base.clone();
        rebuilt.apply(&state.diff_from(&base)).unwrap();
        assert_eq!(rebuilt, state);
        let mut emptied = state.clone();
        emptied.apply(&base.diff_from(&state)).unwrap();
        assert_eq!(emptied, base);
    }
}

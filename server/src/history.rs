//! The daemon's side of pane history: opening the store, sending each pane's scrolled
//! rows to it, and listing ended panes for `ls -a` (`capture-pane` and `search-history`
//! are `output_stream`'s).

use crate::pane_id::PaneId;
use anyhow::bail;
use moshmux_proto::label::{printable, MAX_LABEL_LEN};
use moshmux_proto::screen::Row;
use moshmux_store::{HistoryStore, PaneInfo, Retention, StoreError, StoreOptions};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// How long a starting daemon waits for a command that reads the store without a
/// daemon to let go of it; less than `new` waits for the daemon, so a second daemon's
/// refusal still reaches the user.
const LOCKED_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
const LOCKED_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// The store a daemon opened, and what an earlier daemon left behind.
pub struct OpenedHistory {
    pub store: Arc<HistoryStore>,
    /// Panes an earlier daemon never ended: it was killed or crashed. Their last screens
    /// are in their history now, as far as the snapshots went.
    pub orphans: Vec<PaneId>,
}

/// Opens the store for this daemon, and ends every pane an earlier daemon left live
/// (none of them is alive now): the rows of its last screen snapshot that had not yet
/// scrolled into history are appended, as a pane that ends normally leaves its screen.
pub fn open(dir: &Path, retention: Retention) -> anyhow::Result<OpenedHistory> {
    let options = StoreOptions {
        retention,
        ..StoreOptions::default()
    };
    // A command reading history while no daemon ran (`offline.rs`) holds the store for
    // a moment; a second daemon holds it for good.
    let deadline = std::time::Instant::now() + LOCKED_WAIT;
    let store = loop {
        match HistoryStore::open(dir, options.clone()) {
            Ok(store) => break store,
            Err(StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(LOCKED_POLL)
            }
            Err(StoreError::Locked(_)) => bail!(
                "another moshmux daemon is using the history in {}; refusing to start a second one",
                dir.display()
            ),
            Err(error) => bail!("opening the history in {}: {error}", dir.display()),
        }
    };
    let mut orphans = Vec::new();
    for pane in store.panes() {
        if !pane.ended {
            end_orphan(&store, &pane);
            orphans.push(pane.pane);
        }
    }
    if !orphans.is_empty() {
        tracing::warn!(
            panes = orphans.len(),
            "an earlier daemon ended without closing its panes"
        );
    }
    tracing::info!(dir = %dir.display(), panes = store.panes().len(), "history store open");
    Ok(OpenedHistory {
        store: Arc::new(store),
        orphans,
    })
}

/// Appends what the pane's last snapshot showed beyond its stored lines, then marks it
/// ended. Rows of the snapshot that scrolled into history after it was taken are there
/// already and are skipped.
fn end_orphan(store: &HistoryStore, pane: &PaneInfo) {
    if let Some(screen) = store.screen(pane.pane) {
        let stored_since = pane.next_line.lines_since(screen.after_line);
        let rows = screen.lines.into_iter().skip(stored_since as usize);
        for line in rows {
            if store.append(pane.pane, line).is_err() {
                break;
            }
        }
        store.set_screen(pane.pane, None);
    }
    store.mark_ended(pane.pane);
}

/// Where one live pane's scrolled rows go.
pub struct PaneHistory {
    store: Arc<HistoryStore>,
    pane: PaneId,
    refused: u64,
}

impl PaneHistory {
    pub fn new(store: Arc<HistoryStore>, pane: PaneId) -> PaneHistory {
        PaneHistory {
            store,
            pane,
            refused: 0,
        }
    }

    /// Hands lines to the store's writer without waiting for the disk. Lines it refuses
    /// (its backlog is full because the disk is failing) are counted and logged once.
    pub fn append(&mut self, lines: impl IntoIterator<Item = Row>) {
        for line in lines {
            if let Err(error) = self.store.append(self.pane, line) {
                if self.refused == 0 {
                    tracing::error!(pane = %self.pane, %error, "history lines are being dropped");
                }
                self.refused += 1;
            }
        }
    }

    pub fn set_label(&self, command: &str, title: &str) {
        self.store.set_label(self.pane, command, title);
    }

    /// Keeps what the pane shows now, for a daemon killed before it could end the pane
    /// (`HistoryStore::set_screen`).
    pub fn save_screen(&self, lines: Vec<Row>) {
        self.store.set_screen(self.pane, Some(lines));
    }

    /// Marks the pane ended; its last screen went to history, so the snapshot goes.
    pub fn mark_ended(&self) {
        self.store.set_screen(self.pane, None);
        if self.refused > 0 {
            tracing::warn!(pane = %self.pane, lines = self.refused, "history lines were dropped");
        }
        self.store.mark_ended(self.pane);
    }
}

/// `ls -a`'s extra lines: panes that are not alive here but still have history.
pub fn list_ended(store: &HistoryStore, live: &HashSet<PaneId>) -> String {
    let mut out = String::new();
    for pane in store.panes() {
        if live.contains(&pane.pane) || pane.next_line == pane.first_line {
            continue;
        }
        let _ = writeln!(out, "{}", ended_line(&pane));
    }
    out
}

/// Command and title as programs set them, escaped: either may hold anything.
fn ended_line(pane: &PaneInfo) -> String {
    let mut line = format!(
        "{}: ended, {} lines, {}",
        pane.pane,
        pane.next_line - pane.first_line,
        if pane.command.is_empty() {
            "?".to_owned()
        } else {
            printable(&pane.command, MAX_LABEL_LEN)
        }
    );
    if !pane.title.is_empty() {
        let _ = write!(line, " \"{}\"", printable(&pane.title, MAX_LABEL_LEN));
    }
    line
}

/// Whether the store has any history (or a record) for this pane.
pub fn known(store: &HistoryStore, id: PaneId) -> bool {
    store.info(id).is_some()
}

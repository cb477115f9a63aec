//! History trouble told where the user looks: on `new`'s stderr and on every attached
//! client's status line, one line each, instead of only in `server.log`.
//!
//! The store reports its state (`HistoryStore::status`): the last write error until a
//! write round succeeds (a full disk, a failing one), and how many lines it refused
//! because its backlog was full. The mux looks at it whenever it publishes (output is
//! flowing, which is when lines can be lost) and whenever `new` runs.

use moshmux_proto::label::printable;
use moshmux_store::{HistoryStore, Recovery};
use std::time::{Duration, Instant};

/// How long after the last dropped line the status line still says lines were dropped.
const DROPPED_SHOWN_FOR: Duration = Duration::from_secs(60);

/// Longest error text a status line notice repeats.
const NOTICE_ERROR_CHARS: usize = 60;

/// What the mux has seen of the store's trouble.
#[derive(Debug, Default)]
pub struct StoreHealth {
    /// The store's error while writes fail.
    write_error: Option<String>,
    /// Lines refused since the daemon started, and when that count last grew.
    dropped: u64,
    dropped_at: Option<Instant>,
}

impl StoreHealth {
    /// Takes in the store's state at `now`; true when what the notices say changed.
    pub fn update(&mut self, store: &HistoryStore, now: Instant) -> bool {
        let before = self.notices(now);
        let status = store.status();
        self.write_error = status.last_error;
        if status.refused_lines > self.dropped {
            self.dropped = status.refused_lines;
            self.dropped_at = Some(now);
        }
        self.notices(now) != before
    }

    /// Short lines for a client's status line (tmux shows its messages there too).
    pub fn notices(&self, now: Instant) -> Vec<String> {
        let mut notices = Vec::new();
        if let Some(error) = &self.write_error {
            let error = error.trim_start_matches("history not written: ");
            notices.push(format!(
                "history not saved: {}",
                printable(error, NOTICE_ERROR_CHARS)
            ));
        }
        if self
            .dropped_at
            .is_some_and(|at| now.saturating_duration_since(at) < DROPPED_SHOWN_FOR)
        {
            notices.push(format!("{} history lines dropped", self.dropped));
        }
        notices
    }

    /// Whole sentences for `new`'s stderr, one per trouble there is now.
    pub fn lines_for_new(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(error) = &self.write_error {
            lines.push(format!(
                "the pane history is not being saved ({error}); new lines wait in memory \
                 and are dropped once too many wait: see server.log"
            ));
        }
        if self.dropped > 0 {
            lines.push(format!(
                "{} lines of pane history were dropped since the server started: the \
                 disk did not take them (full, failing or too slow)",
                self.dropped
            ));
        }
        lines
    }
}

/// What `new` says when the database was found damaged as the daemon started.
pub fn recovery_line(recovery: &Recovery) -> String {
    format!(
        "the history database could not be read ({}); it was moved to {} and a new one \
         started, so earlier history is not listed (ls -a) but kept there",
        recovery.reason,
        recovery.moved_to.display()
    )
}

/// Said after "can't find pane" when the database was moved aside at start: the pane's
/// history may be in the old file.
pub fn moved_aside_hint(store: &HistoryStore) -> Option<String> {
    store.recovery().map(|recovery| {
        format!(
            "history from before the server started was in a damaged database, now {}",
            recovery.moved_to.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_lines_are_shown_for_a_minute_after_the_last_one() {
        let start = Instant::now();
        let mut health = StoreHealth {
            dropped: 12,
            dropped_at: Some(start),
            ..StoreHealth::default()
        };
        assert_eq!(health.notices(start), ["12 history lines dropped"]);
        assert_eq!(
            health.notices(start + DROPPED_SHOWN_FOR),
            Vec::<String>::new()
        );
        health.write_error = Some("database I/O error: No space left on device".into());
        assert_eq!(
            health.notices(start),
            [
                "history not saved: database I/O error: No space left on device",
                "12 history lines dropped"
            ]
        );
        assert_eq!(health.lines_for_new().len(), 2);
    }
}

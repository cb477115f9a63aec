//! Helpers shared by the store's integration tests.

#![allow(dead_code)] // each test file uses a different subset

use moshmux_proto::{LineNumber, PaneId};
use moshmux_store::{HistoryStore, StoreOptions};
use std::path::Path;

#[path = "numbered_line.rs"]
mod numbered;
pub use numbered::numbered_line;
use std::time::{Duration, Instant};

pub fn open(dir: &Path) -> HistoryStore {
    HistoryStore::open(dir, StoreOptions::default()).expect("store opens")
}

/// Reads lines `range` in pages and checks each is `numbered_line` of its number.
pub fn assert_numbered(store: &HistoryStore, pane: PaneId, range: std::ops::Range<u64>) {
    let mut pos = range.start;
    while pos < range.end {
        let end = (pos + 10_000).min(range.end);
        let page = store
            .read(pane, LineNumber(pos)..LineNumber(end))
            .expect("read");
        assert_eq!(page.first, LineNumber(pos), "page starts where asked");
        assert_eq!(
            page.lines.len() as u64,
            end - pos,
            "page of {pos}..{end} is whole"
        );
        for (i, line) in page.lines.iter().enumerate() {
            let n = pos + i as u64;
            assert_eq!(line, &numbered_line(n), "line {n}");
        }
        pos = end;
    }
}

/// Polls `check` until it returns true or the deadline passes.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

//! Appends 10,000,000 lines under a 1,000,000-line limit and prints the disk use every
//! million lines: it must level off once retention starts dropping the oldest blocks.

#[path = "common/text.rs"]
mod text;

use moshmux_proto::PaneId;
use moshmux_store::{HistoryStore, Retention, StoreError, StoreOptions};
use std::time::{Duration, Instant};

const LINES: u64 = 10_000_000;
const KEEP: u64 = 1_000_000;
const PANE: PaneId = PaneId(1);

fn main() -> Result<(), StoreError> {
    let dir = tempfile::tempdir().map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let options = StoreOptions {
        retention: Retention {
            max_lines_per_pane: Some(KEEP),
            ..Retention::default()
        },
        ..StoreOptions::default()
    };
    let store = HistoryStore::open(dir.path(), options)?;
    let mut lines = text::Lines::with_fixed_seed();
    let started = Instant::now();
    for n in 0..LINES {
        let line = lines.next_line(n);
        while let Err(StoreError::BacklogFull(_)) = store.append(PANE, line.clone()) {
            std::thread::sleep(Duration::from_millis(1));
        }
        if (n + 1) % 1_000_000 == 0 {
            // Two rounds: the first stores the lines, the second applies retention to them.
            store.flush()?;
            store.flush()?;
            let info = store.info(PANE).ok_or(StoreError::UnknownPane(PANE))?;
            println!(
                "{:>9} lines appended, {:>8} kept, {:>11} bytes on disk, {:.1?}",
                n + 1,
                info.next_line - info.first_line,
                store.disk_bytes()?,
                started.elapsed()
            );
        }
    }
    Ok(())
}

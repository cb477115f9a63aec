//! Ingest and read figures for 1,000,000 lines of ~64 characters in one pane: lines/s
//! until durable, bytes on disk per line, and the time to read the oldest 1,000 lines.

#[path = "common/text.rs"]
mod text;

use moshmux_proto::{LineNumber, PaneId};
use moshmux_store::{HistoryStore, StoreError, StoreOptions};
use std::time::{Duration, Instant};

const LINES: u64 = 1_000_000;
const PANE: PaneId = PaneId(1);

fn main() -> Result<(), StoreError> {
    let dir = tempfile::tempdir().map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut lines = text::Lines::with_fixed_seed();
    let all: Vec<_> = (0..LINES).map(|n| lines.next_line(n)).collect();
    // A text near the start that nothing later repeats, for the search figures.
    let needle = all[3].text().to_owned();
    let text: Vec<u8> = all
        .iter()
        .flat_map(|l| format!("{}\n", l.text()).into_bytes())
        .collect();
    let floor: usize = text
        .chunks(16 << 10)
        .map(|chunk| zstd::bulk::compress(chunk, 3).map_or(chunk.len(), |c| c.len()))
        .sum();
    println!(
        "text: {:.1} bytes/line raw, {:.1} bytes/line as plain zstd-3 of 16 KiB chunks",
        lines.raw_bytes as f64 / LINES as f64,
        floor as f64 / LINES as f64
    );
    let store = HistoryStore::open(dir.path(), StoreOptions::default())?;
    let started = Instant::now();
    let mut refused = 0u64;
    for line in all {
        while let Err(StoreError::BacklogFull(_)) = store.append(PANE, line.clone()) {
            refused += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let appended = started.elapsed();
    store.flush()?;
    let durable = started.elapsed();
    let disk = store.disk_bytes()?;
    let stored = store.info(PANE).map_or(0, |i| i.stored_bytes);
    println!(
        "ingest: {LINES} lines appended in {:.2?} ({:.0} lines/s for the caller), durable after \
         {:.2?} ({:.0} lines/s), {refused} waits on a full backlog",
        appended,
        LINES as f64 / appended.as_secs_f64(),
        durable,
        LINES as f64 / durable.as_secs_f64()
    );
    println!(
        "disk: {disk} bytes = {:.1} bytes/line (raw text {:.1} bytes/line, {:.0}% of it); \
         blocks hold {:.1} bytes/line, the rest is the database's page and file slack",
        disk as f64 / LINES as f64,
        lines.raw_bytes as f64 / LINES as f64,
        100.0 * disk as f64 / lines.raw_bytes as f64,
        stored as f64 / LINES as f64
    );
    let warm = time_oldest_read(&store)?;
    drop(store);
    let store = HistoryStore::open(dir.path(), StoreOptions::default())?;
    let cold = time_oldest_read(&store)?;
    println!("read oldest 1000 lines: {warm:.2?} warm, {cold:.2?} just after reopening");
    let started = Instant::now();
    let hit = store.search(
        PANE,
        "no such text",
        moshmux_store::Direction::Older,
        LineNumber(LINES),
    )?;
    println!(
        "search all {LINES} lines (no match: {}): {:.2?}",
        hit.is_none(),
        started.elapsed()
    );
    // search-history's case: every line holding a text found near the start only, by
    // bytes (what the store does) and by decoding every line (what it did before).
    let started = Instant::now();
    let by_bytes = store.matching_lines(PANE, LineNumber(0)..LineNumber(LINES), &needle)?;
    let bytes_took = started.elapsed();
    let started = Instant::now();
    let mut by_lines = Vec::new();
    for first in (0..LINES).step_by(4096) {
        let page = store.read(
            PANE,
            LineNumber(first)..LineNumber((first + 4096).min(LINES)),
        )?;
        by_lines.extend(
            page.numbered()
                .filter(|(_, line)| line.text().contains(&needle))
                .map(|(number, _)| number),
        );
    }
    let lines_took = started.elapsed();
    assert_eq!(by_bytes, by_lines);
    println!(
        "every match of {needle:?} in {LINES} lines ({} found): {bytes_took:.2?} scanning \
         block bytes, {lines_took:.2?} decoding every line ({:.1}x)",
        by_bytes.len(),
        lines_took.as_secs_f64() / bytes_took.as_secs_f64()
    );
    Ok(())
}

fn time_oldest_read(store: &HistoryStore) -> Result<Duration, StoreError> {
    let started = Instant::now();
    let page = store.read(PANE, LineNumber(0)..LineNumber(1000))?;
    let took = started.elapsed();
    assert_eq!(page.lines.len(), 1000);
    Ok(took)
}

//! The background thread that owns the write path.
//!
//! `append` only pushes a line into memory, so a slow or failing disk never stalls a
//! pane's PTY reader. Every [`TICK`] (sooner under a flood or on `flush`) this thread
//! takes a snapshot of the unwritten lines, compresses them into blocks outside the
//! lock, writes them in one atomic batch with the pane records and the retention
//! deletes, and makes the batch durable. A line is therefore on disk about one tick plus
//! one write after it was appended, well within the promised second.
//!
//! A pane's open block (fewer than [`BLOCK_LINES`] lines) is rewritten whole each round
//! it grows, under the same key, until it fills and is sealed; slow panes thus get
//! full, well-compressed blocks instead of a block per tick.

use crate::backend::WriteBatch;
use crate::block::{self, BLOCK_KEY_LEN, BLOCK_LINES};
use crate::dir;
use crate::meta::{self, PaneMeta, ScreenSnapshot};
use crate::retention::{self, BlockInfo, Fetch, PaneView};
use crate::state::{Doomed, Shared, State};
use crate::StoreError;
use moshmux_proto::screen::Row;
use moshmux_proto::PaneId;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest a line waits in memory before the writer starts on it.
pub const TICK: Duration = Duration::from_millis(200);
/// Backlog that wakes the writer before its tick, so a flood is written in steady
/// batches rather than one huge one.
pub const EARLY_WAKE_BYTES: usize = 4 << 20;
/// Lines per round at most, so one round's batch and its snapshot stay a few MB.
const ROUND_LINES: usize = 64 * BLOCK_LINES;
/// After a failed round (disk full, I/O error) wait this long before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// How often to put the modes of new database files back to 0600.
const TIGHTEN_EVERY: Duration = Duration::from_secs(10);

struct Job {
    pane: PaneId,
    incarnation: u64,
    first: u64,
    seq: u64,
    lines: Vec<Row>,
}

struct PaneRecord {
    pane: PaneId,
    incarnation: u64,
    meta: PaneMeta,
    meta_version: u64,
    /// A snapshot change to write (`Some(None)` deletes it), and its version.
    screen: Option<Option<ScreenSnapshot>>,
    screen_version: u64,
    persisted_to: u64,
    newly_persisted_bytes: usize,
}

#[derive(Default)]
struct Round {
    jobs: Vec<Job>,
    records: Vec<PaneRecord>,
    /// Every pane as retention sees it when the round starts.
    views: Vec<PaneView>,
    doomed: Vec<Doomed>,
    /// Everything appended before the round started is in it.
    complete: bool,
    /// Sequence number of this round, stored with its batch (see `dir::read_watermark`).
    number: u64,
}

/// What a round wrote: each job's stored size, and the blocks retention deleted.
struct Written {
    /// Whether a batch went to the database (a round with nothing to do writes none).
    applied: bool,
    sizes: Vec<u64>,
    expired: Vec<(PaneId, u64, BlockInfo)>,
}

pub fn spawn(shared: Arc<Shared>, dir: PathBuf) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("history-writer".into())
        .spawn(move || run(&shared, &dir))
}

fn run(shared: &Shared, dir: &std::path::Path) {
    let mut next_tick = Instant::now() + TICK;
    let mut next_tighten = Instant::now() + TIGHTEN_EVERY;
    let mut retry_at: Option<Instant> = None;
    let mut more_work = false;
    let mut watermark = 0;
    loop {
        let mut state = shared.lock();
        while !more_work && !state.shutdown {
            let flush_wanted = state.flush_wanted > state.flush_done;
            if !flush_wanted && retry_at.is_none() && !state.has_work() {
                state.writer_idle = true;
                state = match shared.work.wait(state) {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
                state.writer_idle = false;
                // Give the first lines after a pause a tick to gather company.
                next_tick = Instant::now() + TICK;
                continue;
            }
            let now = Instant::now();
            let waiting_out_error = retry_at.is_some_and(|at| now < at);
            let due = now >= next_tick || state.backlog_bytes >= EARLY_WAKE_BYTES;
            if flush_wanted || (due && !waiting_out_error) {
                break;
            }
            let until = retry_at.filter(|_| waiting_out_error).unwrap_or(next_tick);
            let timeout = until
                .saturating_duration_since(now)
                .max(Duration::from_millis(1));
            state = match shared.work.wait_timeout(state, timeout) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        let shutting_down = state.shutdown;
        let flush_target = state.flush_wanted;
        let round = collect(&mut state);
        drop(state);

        let outcome = write(shared, &round);

        let mut state = shared.lock();
        more_work = !round.complete;
        match outcome {
            Ok(written) => {
                commit(&mut state, round, written);
                retry_at = None;
                state.last_error = None;
                if !more_work {
                    state.flush_done = flush_target;
                    state.flush_error = None;
                }
            }
            Err(error) => {
                let message = format!("history not written: {error}");
                if state.last_error.as_deref() != Some(&message) {
                    tracing::error!("{message}");
                }
                // Lines stay in memory; the next round writes them to the reopened
                // database. Reopening takes the backend's write lock, not the state's.
                drop(state);
                if let Err(reopen) = shared.reopen_backend() {
                    tracing::debug!("reopening history database failed: {reopen}");
                }
                state = shared.lock();
                state.last_error = Some(message.clone());
                state.flush_done = flush_target;
                state.flush_error = Some(message);
                retry_at = Some(Instant::now() + RETRY_AFTER);
                more_work = false;
            }
        }
        shared.flushed.notify_all();
        let durable_round = state.durable_round;
        let going_idle = !more_work && retry_at.is_none() && !state.has_work();
        drop(state);
        let finished = shutting_down && (!more_work || retry_at.is_some());
        let now = Instant::now();
        if finished || going_idle || now >= next_tighten {
            next_tighten = now + TIGHTEN_EVERY;
            tighten(dir);
            if durable_round > watermark {
                match dir::write_watermark(dir, durable_round) {
                    Ok(()) => watermark = durable_round,
                    Err(e) => tracing::warn!("cannot record history watermark: {e}"),
                }
            }
        }
        if finished {
            return;
        }
        next_tick = now + TICK;
    }
}

/// Puts the modes of files the database created since the last look back to private.
pub fn tighten(dir: &std::path::Path) {
    if let Err(error) = dir::measure_and_tighten(dir) {
        tracing::warn!("cannot tighten modes under {}: {error}", dir.display());
    }
}

/// Under the lock: copies what needs writing and plans retention. Cheap: clones lines,
/// compresses nothing.
fn collect(state: &mut State) -> Round {
    state.retention_due = false;
    let mut round = Round {
        doomed: std::mem::take(&mut state.doomed),
        complete: true,
        number: state.durable_round + 1,
        ..Round::default()
    };
    let mut budget = ROUND_LINES;
    let State {
        panes, next_seq, ..
    } = state;
    for (&pane, pane_state) in panes.iter() {
        if !pane_state.needs_write() {
            continue;
        }
        if budget == 0 {
            round.complete = false;
            break;
        }
        let mut first = pane_state.open_first;
        let mut newly_persisted_bytes = 0;
        let total = pane_state.open_lines.len();
        for chunk_start in (0..total).step_by(BLOCK_LINES) {
            if budget == 0 {
                round.complete = false;
                break;
            }
            let chunk_end = (chunk_start + BLOCK_LINES).min(total);
            let end = first + (chunk_end - chunk_start) as u64;
            if end > pane_state.persisted {
                let chunk: Vec<Row> = pane_state
                    .open_lines
                    .range(chunk_start..chunk_end)
                    .cloned()
                    .collect();
                let skip = pane_state.persisted.saturating_sub(first) as usize;
                newly_persisted_bytes += chunk
                    .iter()
                    .skip(skip)
                    .map(Row::memory_bytes)
                    .sum::<usize>();
                let seq = match pane_state.blocks.seq_of_newest(first) {
                    Some(seq) => seq,
                    None => {
                        *next_seq += 1;
                        *next_seq - 1
                    }
                };
                round.jobs.push(Job {
                    pane,
                    incarnation: pane_state.incarnation,
                    first,
                    seq,
                    lines: chunk,
                });
            }
            budget = budget.saturating_sub(chunk_end - chunk_start);
            first = end;
        }
        let mut meta = pane_state.meta.clone();
        meta.next_line = first;
        // A snapshot goes to disk only with the lines before it, so after a crash its
        // rows never repeat a line that scrolled off before it was taken.
        let screen_follows = pane_state
            .screen
            .as_ref()
            .is_none_or(|screen| screen.after_line.0 <= first);
        let screen = (pane_state.screen_version != pane_state.screen_saved && screen_follows)
            .then(|| pane_state.screen.clone());
        round.records.push(PaneRecord {
            pane,
            incarnation: pane_state.incarnation,
            meta,
            meta_version: pane_state.meta_version,
            screen,
            screen_version: pane_state.screen_version,
            persisted_to: first,
            newly_persisted_bytes,
        });
    }
    round.views = panes
        .iter()
        .map(|(&pane, p)| PaneView {
            pane,
            blocks: p.blocks,
            open_first: p.open_first,
            next_line: p.next_line(),
            own_line_limit: p.own_line_limit,
        })
        .collect();
    round
}

/// Up to `fetch.most` of a pane's stored blocks whose first line is in the range, in line
/// order, read from their headers.
fn stored_blocks(shared: &Shared, fetch: Fetch) -> Result<Vec<(u64, BlockInfo)>, StoreError> {
    let mut blocks = Vec::new();
    if fetch.from >= fetch.until {
        return Ok(blocks);
    }
    let from = block::block_key(fetch.pane, fetch.from);
    let until = block::block_key(fetch.pane, fetch.until);
    shared.with_backend(|backend| {
        backend.scan_covering(&from, &from, &until, |key, value| {
            let (_, first) = block::parse_block_key(key)?;
            let header = block::decode_header(value)?;
            let bytes = (key.len() + value.len()) as u64;
            blocks.push((
                first,
                BlockInfo {
                    lines: header.lines,
                    bytes,
                    seq: header.seq,
                },
            ));
            Ok::<bool, StoreError>(blocks.len() < fetch.most)
        })
    })?;
    Ok(blocks)
}

/// Outside the lock: plans retention over the stored blocks, compresses, writes one
/// batch, makes it durable.
fn write(shared: &Shared, round: &Round) -> Result<Written, StoreError> {
    let expired = retention::plan(&shared.options.retention, &round.views, |fetch| {
        stored_blocks(shared, fetch)
    })?;
    let mut batch = WriteBatch::default();
    for doomed in &round.doomed {
        let range = &doomed.block_firsts;
        let firsts = stored_blocks(
            shared,
            Fetch {
                pane: doomed.pane,
                from: range.start,
                until: range.end,
                most: usize::MAX,
            },
        )?;
        for (first, _) in firsts {
            batch.delete(&block::block_key(doomed.pane, first));
        }
        if doomed.meta {
            batch.delete(&meta::meta_key(doomed.pane));
            batch.delete(&meta::screen_key(doomed.pane));
            for key in meta::old_screen_keys(doomed.pane) {
                batch.delete(&key);
            }
        }
    }
    for &(pane, first, _) in &expired {
        batch.delete(&block::block_key(pane, first));
    }
    let mut sizes = Vec::with_capacity(round.jobs.len());
    for job in &round.jobs {
        let value = block::encode_block(job.seq, &job.lines);
        sizes.push((BLOCK_KEY_LEN + value.len()) as u64);
        batch.put(&block::block_key(job.pane, job.first), value);
    }
    for record in &round.records {
        batch.put(
            &meta::meta_key(record.pane),
            meta::encode_meta(&record.meta),
        );
        match &record.screen {
            Some(Some(screen)) => {
                batch.put(&meta::screen_key(record.pane), meta::encode_screen(screen))
            }
            Some(None) => {
                batch.delete(&meta::screen_key(record.pane));
                for key in meta::old_screen_keys(record.pane) {
                    batch.delete(&key);
                }
            }
            None => {}
        }
    }
    let nothing = round.jobs.is_empty()
        && round.records.is_empty()
        && round.doomed.is_empty()
        && expired.is_empty();
    if nothing {
        return Ok(Written {
            applied: false,
            sizes,
            expired,
        });
    }
    batch.put(meta::ROUND_KEY, meta::encode_round(round.number).to_vec());
    shared.with_backend(|backend| {
        backend.apply(batch)?;
        backend.flush()
    })?;
    Ok(Written {
        applied: true,
        sizes,
        expired,
    })
}

/// Under the lock again: the round is durable, so update the index, seal full blocks
/// (dropping their lines from memory) and release the backlog it covered.
fn commit(state: &mut State, round: Round, written: Written) {
    if written.applied {
        state.durable_round = round.number;
    }
    if !round.jobs.is_empty() {
        state.retention_due = true;
    }
    for (pane, first, info) in written.expired {
        if let Some(pane_state) = state.panes.get_mut(&pane) {
            // Blocks go oldest first; one the summary no longer starts with is stale.
            if pane_state.blocks.oldest() == Some(first) {
                pane_state.blocks.dropped_oldest(first, info);
            }
        }
    }
    for (job, bytes) in round.jobs.into_iter().zip(written.sizes) {
        let live = state
            .panes
            .get_mut(&job.pane)
            .filter(|p| p.incarnation == job.incarnation);
        let Some(pane_state) = live else {
            // Dropped while we wrote it: delete what we just wrote next round.
            state.doomed.push(Doomed {
                pane: job.pane,
                block_firsts: job.first..job.first + 1,
                meta: true,
            });
            continue;
        };
        let info = BlockInfo {
            lines: job.lines.len() as u32,
            bytes,
            seq: job.seq,
        };
        pane_state.blocks.written(job.first, info);
        if job.lines.len() == BLOCK_LINES && pane_state.open_first == job.first {
            pane_state.open_lines.drain(..BLOCK_LINES);
            pane_state.open_first += BLOCK_LINES as u64;
        }
    }
    for record in round.records {
        let live = state
            .panes
            .get_mut(&record.pane)
            .filter(|p| p.incarnation == record.incarnation);
        let Some(pane_state) = live else {
            continue;
        };
        pane_state.persisted = pane_state.persisted.max(record.persisted_to);
        if pane_state.meta_version == record.meta_version {
            pane_state.meta_saved = record.meta_version;
        }
        if record.screen.is_some() && pane_state.screen_version == record.screen_version {
            pane_state.screen_saved = record.screen_version;
        }
        state.backlog_bytes = state
            .backlog_bytes
            .saturating_sub(record.newly_persisted_bytes);
    }
}

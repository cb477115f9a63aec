//! What the store holds in memory: per pane, a summary of its stored blocks and the lines
//! of the open block (the newest, not yet sealed, partly or not yet on disk); plus the
//! writer's bookkeeping. Appenders, readers and the writer share it under one mutex that
//! each holds only for index and vector work, never for I/O or compression.

use crate::backend::{Backend, BackendError};
use crate::block::{self, BLOCK_KEY_PREFIX, BLOCK_LINES};
use crate::meta::{
    self, PaneMeta, ScreenSnapshot, META_KEY_PREFIX, PANE_COUNTER_KEY, SCREEN_KEY_PREFIX,
    V1_SCREEN_KEY_PREFIX, V2_SCREEN_KEY_PREFIX,
};
use crate::retention::{BlockInfo, StoredBlocks};
use crate::{StoreError, StoreOptions};
use moshmux_proto::screen::Row;
use moshmux_proto::PaneId;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, RwLock};

pub struct PaneState {
    /// Distinguishes a pane from a later one under the same id after `drop_pane`, so
    /// the writer never credits a block written for the old one to the new one.
    pub incarnation: u64,
    pub meta: PaneMeta,
    /// Bumped on every change of `meta`; the writer persists it when ahead of `meta_saved`.
    pub meta_version: u64,
    pub meta_saved: u64,
    /// The live pane's newest screen snapshot, and its versions as for `meta`.
    pub screen: Option<ScreenSnapshot>,
    pub screen_version: u64,
    pub screen_saved: u64,
    pub blocks: StoredBlocks,
    pub open_first: u64,
    /// A deque: sealing drains whole blocks from the front, which on a Vec would move
    /// the entire backlog each time during a flood.
    pub open_lines: VecDeque<Row>,
    /// Lines below this number are in the database.
    pub persisted: u64,
    /// The pane's own line limit: `None` follows the store's `max_lines_per_pane`,
    /// `Some(None)` keeps every line. Kept in memory only: a limit is the live pane's.
    pub own_line_limit: Option<Option<u64>>,
}

impl PaneState {
    pub fn new(incarnation: u64) -> PaneState {
        PaneState {
            incarnation,
            meta: PaneMeta::default(),
            meta_version: 1,
            meta_saved: 0,
            screen: None,
            screen_version: 0,
            screen_saved: 0,
            blocks: StoredBlocks::default(),
            open_first: 0,
            open_lines: VecDeque::new(),
            persisted: 0,
            own_line_limit: None,
        }
    }

    pub fn next_line(&self) -> u64 {
        self.open_first + self.open_lines.len() as u64
    }

    pub fn first_retained(&self) -> u64 {
        self.blocks.oldest().unwrap_or(self.open_first)
    }

    /// Memory held by lines that are not yet in the database.
    pub fn unpersisted_bytes(&self) -> usize {
        let from = self.persisted.saturating_sub(self.open_first) as usize;
        self.open_lines
            .iter()
            .skip(from)
            .map(Row::memory_bytes)
            .sum()
    }

    pub fn needs_write(&self) -> bool {
        self.next_line() > self.persisted
            || self.meta_version != self.meta_saved
            || self.screen_version != self.screen_saved
    }
}

/// A dropped pane whose keys the writer still has to delete.
pub struct Doomed {
    pub pane: PaneId,
    /// The stored blocks to delete: those whose first line is in this range.
    pub block_firsts: Range<u64>,
    pub meta: bool,
}

#[derive(Default)]
pub struct State {
    pub panes: BTreeMap<PaneId, PaneState>,
    pub doomed: Vec<Doomed>,
    pub next_incarnation: u64,
    pub next_seq: u64,
    pub next_pane_id: u32,
    /// Number of the last write round the database holds.
    pub durable_round: u64,
    /// Memory held by appended lines not yet in the database.
    pub backlog_bytes: usize,
    pub refused_lines: u64,
    pub last_error: Option<String>,
    /// Flush generations: callers wait until `flush_done` reaches the value they set.
    pub flush_wanted: u64,
    pub flush_done: u64,
    pub flush_error: Option<String>,
    pub shutdown: bool,
    /// The writer sleeps until woken because nothing needs writing: the next change
    /// must notify it. Waking only then keeps an idle server from ticking 5 times a
    /// second, and a busy one from a futex call per appended line.
    pub writer_idle: bool,
    /// Blocks were written since retention last looked.
    pub retention_due: bool,
}

impl State {
    pub fn has_work(&self) -> bool {
        self.retention_due
            || !self.doomed.is_empty()
            || self.panes.values().any(|p| p.needs_write())
    }

    pub fn pane_mut(&mut self, pane: PaneId) -> &mut PaneState {
        let incarnation = &mut self.next_incarnation;
        self.panes.entry(pane).or_insert_with(|| {
            *incarnation += 1;
            PaneState::new(*incarnation)
        })
    }
}

pub struct Shared {
    pub state: Mutex<State>,
    /// Wakes the writer early: a flush request, a large backlog, or shutdown.
    pub work: Condvar,
    /// Wakes callers of `flush` when a write round finishes.
    pub flushed: Condvar,
    /// `None` between closing a database that failed and reopening it.
    pub backend: RwLock<Option<Backend>>,
    pub db_dir: PathBuf,
    pub options: StoreOptions,
}

impl Shared {
    /// The mutex only guards plain data that every holder leaves consistent between
    /// statements, so a panic elsewhere while holding it leaves nothing half-done.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn wake_if_idle(&self, state: &mut State) {
        if state.writer_idle {
            state.writer_idle = false;
            self.work.notify_one();
        }
    }

    pub fn with_backend<T, E>(
        &self,
        op: impl FnOnce(&Backend) -> Result<T, E>,
    ) -> Result<T, StoreError>
    where
        StoreError: From<E>,
    {
        let backend = self.backend.read().unwrap_or_else(|p| p.into_inner());
        match backend.as_ref() {
            Some(backend) => Ok(op(backend)?),
            None => Err(StoreError::Unavailable),
        }
    }

    /// Closes and reopens the database. After an I/O error some databases (redb, sled)
    /// refuse every later call until reopened, even once the disk has room again.
    pub fn reopen_backend(&self) -> Result<(), BackendError> {
        let mut backend = self.backend.write().unwrap_or_else(|p| p.into_inner());
        drop(backend.take());
        *backend = Some(Backend::open(&self.db_dir)?);
        Ok(())
    }
}

/// Rebuilds the in-memory state from the database: a summary of each pane's blocks from
/// their headers (not their text), checking that they join, pane records, the pane
/// counter, and the text of each pane's open block.
pub fn load(backend: &Backend) -> Result<State, StoreError> {
    let mut state = State::default();
    let mut max_pane: Option<u32> = None;
    backend.scan_prefix(&[BLOCK_KEY_PREFIX], |key, value| {
        let (pane, first) = block::parse_block_key(key)?;
        let header = block::decode_header(value)?;
        state.next_seq = state.next_seq.max(header.seq + 1);
        max_pane = max_pane.max(Some(pane.0));
        let info = BlockInfo {
            lines: header.lines,
            bytes: (key.len() + value.len()) as u64,
            seq: header.seq,
        };
        let blocks = &mut state.pane_mut(pane).blocks;
        // Keys come in line order, so each block must start where the one before ended.
        if let Some((before, before_info)) = blocks.newest() {
            if before + u64::from(before_info.lines) != first {
                return Err(StoreError::Corrupt(format!(
                    "history of {pane} has a gap before line {first}"
                )));
            }
        }
        blocks.written(first, info);
        Ok::<(), StoreError>(())
    })?;
    backend.scan_prefix(&[META_KEY_PREFIX], |key, value| {
        let pane = meta::parse_pane_key(META_KEY_PREFIX, key)
            .ok_or_else(|| StoreError::Corrupt("malformed pane record key".into()))?;
        let record = meta::decode_meta(value)
            .map_err(|e| StoreError::Corrupt(format!("pane record of {pane}: {e}")))?;
        max_pane = max_pane.max(Some(pane.0));
        let pane_state = state.pane_mut(pane);
        pane_state.meta = record;
        pane_state.meta_saved = pane_state.meta_version;
        Ok::<(), StoreError>(())
    })?;
    // A pane's snapshot in a newer format is newer than one in an older format, so the
    // formats are read oldest first.
    type Decode = fn(&[u8]) -> Result<ScreenSnapshot, String>;
    let formats: [(u8, Decode); 3] = [
        (V1_SCREEN_KEY_PREFIX, meta::decode_v1_screen),
        (V2_SCREEN_KEY_PREFIX, meta::decode_v2_screen),
        (SCREEN_KEY_PREFIX, meta::decode_screen),
    ];
    for (prefix, decode) in formats {
        backend.scan_prefix(&[prefix], |key, value| {
            let pane = meta::parse_pane_key(prefix, key)
                .ok_or_else(|| StoreError::Corrupt("malformed screen snapshot key".into()))?;
            let screen = decode(value)
                .map_err(|e| StoreError::Corrupt(format!("screen snapshot of {pane}: {e}")))?;
            state.pane_mut(pane).screen = Some(screen);
            Ok::<(), StoreError>(())
        })?;
    }
    let counter = match backend.get(PANE_COUNTER_KEY)? {
        Some(bytes) => meta::decode_counter(&bytes).map_err(StoreError::Corrupt)?,
        None => 0,
    };
    state.durable_round = match backend.get(meta::ROUND_KEY)? {
        Some(bytes) => meta::decode_round(&bytes).map_err(StoreError::Corrupt)?,
        None => 0,
    };
    state.next_pane_id = counter.max(max_pane.map_or(0, |p| p.saturating_add(1)));
    for (pane, pane_state) in &mut state.panes {
        reopen_pane(backend, *pane, pane_state)?;
    }
    Ok(state)
}

fn reopen_pane(backend: &Backend, pane: PaneId, state: &mut PaneState) -> Result<(), StoreError> {
    let stored_end = state
        .blocks
        .newest()
        .map_or(0, |(first, info)| first + u64::from(info.lines));
    let next_line = state.meta.next_line.max(stored_end);
    state.meta.next_line = next_line;
    state.open_first = next_line;
    state.persisted = next_line;
    // A last block that is not full goes on filling, so slow panes do not leave a trail
    // of tiny blocks across restarts.
    if let Some((first, info)) = state.blocks.newest() {
        if (info.lines as usize) < BLOCK_LINES && first + u64::from(info.lines) == next_line {
            let value = backend
                .get(&block::block_key(pane, first))?
                .ok_or_else(|| StoreError::Corrupt(format!("open block of {pane} vanished")))?;
            state.open_lines = block::decode_block(&value)?.into();
            state.open_first = first;
        }
    }
    Ok(())
}

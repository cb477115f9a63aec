//! moshmux pane history on disk.
//!
//! Each line that leaves the top of a pane's screen is appended here with its text,
//! colours and wrap flag. [`HistoryStore::append`] never blocks on the disk: a writer
//! thread batches lines into compressed blocks and makes them durable every 200 ms
//! plus one write, so after `kill -9` everything older than about a second survives. Reads by line range and substring search run here, over the disk
//! and the not-yet-written lines alike. Retention drops the oldest blocks first.
//!
//! Pane ids are never reused (the counter is persisted), so an id names one pane's
//! history for good, also after the pane ended or the server restarted.

mod backend;
mod block;
mod dir;
mod legacy;
mod meta;
mod read;
mod retention;
mod state;
mod writer;

pub use backend::BackendError;
pub use block::{BlockError, BLOCK_LINES};
pub use meta::ScreenSnapshot;
pub use read::{Direction, HistoryPage};
pub use retention::Retention;

use backend::{Backend, WriteBatch};
use moshmux_proto::screen::Row;
use moshmux_proto::{LineNumber, PaneId};
use state::{Doomed, Shared, State};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

/// Name of the database directory inside the store directory.
const DB_DIR: &str = "db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("history store {0} is already open in another process")]
    Locked(PathBuf),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("damaged history block: {0}")]
    Block(#[from] BlockError),
    #[error("damaged history: {0}")]
    Corrupt(String),
    #[error("no history for pane {0}")]
    UnknownPane(PaneId),
    #[error("history writer is {0} bytes behind; line dropped")]
    BacklogFull(usize),
    #[error("{0}")]
    WriteFailed(String),
    #[error("history writer has stopped")]
    WriterStopped,
    #[error("history database is closed after an I/O error; reopening")]
    Unavailable,
    #[error("pane ids exhausted")]
    PaneIdsExhausted,
}

impl StoreError {
    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.to_path_buf();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }

    /// Damage that opening a fresh database (after moving this one aside) cures.
    fn is_corruption(&self) -> bool {
        matches!(
            self,
            StoreError::Backend(BackendError::Corrupt(_))
                | StoreError::Block(_)
                | StoreError::Corrupt(_)
        )
    }
}

#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub retention: Retention,
    /// Memory that lines waiting for the writer may hold. Past it `append` refuses lines
    /// (and counts them) instead of growing without bound while the disk is failing.
    pub backlog_limit_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            retention: Retention::default(),
            backlog_limit_bytes: 64 << 20,
        }
    }
}

/// The database could not be opened and was moved aside; the store started empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    pub moved_to: PathBuf,
    pub reason: String,
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "history database unreadable ({}); moved to {} and started empty",
            self.reason,
            self.moved_to.display()
        )
    }
}

/// What `ls -a` shows of a pane's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaneInfo {
    pub pane: PaneId,
    /// Oldest line still kept (retention moves it forward).
    pub first_line: LineNumber,
    /// The number the next line gets (as many lines were ever appended).
    pub next_line: LineNumber,
    /// Compressed bytes its stored blocks take in the database (keys and values).
    pub stored_bytes: u64,
    pub ended: bool,
    pub command: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreStatus {
    /// Memory held by lines the writer has not written yet.
    pub backlog_bytes: usize,
    /// Lines `append` refused because the backlog was full.
    pub refused_lines: u64,
    /// Why the last write round failed, until one succeeds.
    pub last_error: Option<String>,
}

pub struct HistoryStore {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
    /// Serialises pane id allocation so the persisted counter only moves forward.
    allocation: Mutex<()>,
    recovery: Option<Recovery>,
    dir: PathBuf,
    // Declared last so it is released only after the database has closed.
    _lock: dir::DirLock,
}

impl HistoryStore {
    /// Opens the store in `dir` (created 0700 if missing), refusing if another process
    /// has it open. A database that fails to open is moved aside and a fresh one used;
    /// [`HistoryStore::recovery`] then says so.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<HistoryStore, StoreError> {
        dir::make_private_dir(dir).map_err(StoreError::io("creating", dir))?;
        let lock = dir::lock_dir(dir).map_err(|e| match e {
            dir::LockError::Held => StoreError::Locked(dir.to_path_buf()),
            dir::LockError::Io(e) => StoreError::io("locking", dir)(e),
        })?;
        let db_dir = dir.join(DB_DIR);
        let (backend, state, recovery) = match open_db(dir, &db_dir) {
            Ok((backend, state)) => (backend, state, None),
            Err(error) if error.is_corruption() => {
                let moved_to =
                    dir::move_aside(&db_dir).map_err(StoreError::io("moving aside", &db_dir))?;
                dir::clear_watermark(dir).map_err(StoreError::io("clearing watermark in", dir))?;
                let recovery = Recovery {
                    moved_to,
                    reason: error.to_string(),
                };
                tracing::error!("{recovery}");
                let (backend, state) = open_db(dir, &db_dir)?;
                (backend, state, Some(recovery))
            }
            Err(error) => return Err(error),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            work: Default::default(),
            flushed: Default::default(),
            backend: RwLock::new(Some(backend)),
            db_dir,
            options,
        });
        writer::tighten(dir);
        let writer = writer::spawn(Arc::clone(&shared), dir.to_path_buf())
            .map_err(StoreError::io("starting writer for", dir))?;
        Ok(HistoryStore {
            shared,
            writer: Some(writer),
            allocation: Mutex::new(()),
            recovery,
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// Hands out a pane id that was never handed out before by this store, durably.
    pub fn allocate_pane_id(&self) -> Result<PaneId, StoreError> {
        let _serial = self
            .allocation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = self.shared.lock().next_pane_id;
        let next = id.checked_add(1).ok_or(StoreError::PaneIdsExhausted)?;
        let mut batch = WriteBatch::default();
        batch.put(meta::PANE_COUNTER_KEY, meta::encode_counter(next).to_vec());
        self.shared.with_backend(|backend| {
            backend.apply(batch)?;
            backend.flush()
        })?;
        let mut state = self.shared.lock();
        state.next_pane_id = state.next_pane_id.max(next);
        Ok(PaneId(id))
    }

    /// Adds the next line of `pane` and returns its number. Never waits for the disk.
    pub fn append(&self, pane: PaneId, mut line: Row) -> Result<LineNumber, StoreError> {
        // A line built for a whole row (its capacity the row's width) may wait here a
        // while: keep only what it holds (a realloc in place, outside the lock).
        line.shrink_to_fit();
        let size = line.memory_bytes();
        let mut state = self.shared.lock();
        let before = state.backlog_bytes;
        if before + size > self.shared.options.backlog_limit_bytes {
            state.refused_lines += 1;
            return Err(StoreError::BacklogFull(before));
        }
        let pane_state = state.pane_mut(pane);
        let number = pane_state.next_line();
        pane_state.open_lines.push_back(line);
        state.backlog_bytes = before + size;
        let flood =
            before < writer::EARLY_WAKE_BYTES && state.backlog_bytes >= writer::EARLY_WAKE_BYTES;
        if state.writer_idle || flood {
            state.writer_idle = false;
            self.shared.work.notify_one();
        }
        Ok(LineNumber(number))
    }

    /// Returns once every line appended before the call is durable on disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        let mut state = self.shared.lock();
        state.flush_wanted += 1;
        let target = state.flush_wanted;
        self.shared.work.notify_one();
        while state.flush_done < target {
            if self.writer.as_ref().is_none_or(|w| w.is_finished()) {
                return Err(StoreError::WriterStopped);
            }
            state = match self
                .shared
                .flushed
                .wait_timeout(state, Duration::from_secs(1))
            {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        match &state.flush_error {
            Some(message) => Err(StoreError::WriteFailed(message.clone())),
            None => Ok(()),
        }
    }

    /// Lines `range` of `pane`, clamped to what is kept; see [`HistoryPage::first`].
    pub fn read(&self, pane: PaneId, range: Range<LineNumber>) -> Result<HistoryPage, StoreError> {
        read::read(&self.shared, pane, raw(range))
    }

    /// The numbers of the lines in `range` whose text contains `needle`, oldest first;
    /// blocks without it are skipped undecoded ([`read::matching_lines`]).
    pub fn matching_lines(
        &self,
        pane: PaneId,
        range: Range<LineNumber>,
        needle: &str,
    ) -> Result<Vec<LineNumber>, StoreError> {
        let found = read::matching_lines(&self.shared, pane, raw(range), needle)?;
        Ok(found.into_iter().map(LineNumber).collect())
    }

    /// Number of the nearest line (from `from` in `direction`) whose text contains
    /// `needle`, case-sensitively.
    pub fn search(
        &self,
        pane: PaneId,
        needle: &str,
        direction: Direction,
        from: LineNumber,
    ) -> Result<Option<LineNumber>, StoreError> {
        let found = read::search(&self.shared, pane, needle, direction, from.0)?;
        Ok(found.map(LineNumber))
    }

    pub fn info(&self, pane: PaneId) -> Option<PaneInfo> {
        let state = self.shared.lock();
        state.panes.get(&pane).map(|p| pane_info(pane, p))
    }

    /// Every pane with history, live or ended, by id.
    pub fn panes(&self) -> Vec<PaneInfo> {
        let state = self.shared.lock();
        state
            .panes
            .iter()
            .map(|(&pane, p)| pane_info(pane, p))
            .collect()
    }

    /// Records what runs in the pane, for listings after it ended.
    pub fn set_label(&self, pane: PaneId, command: &str, title: &str) {
        self.update_meta(pane, |meta| {
            meta.command = command.to_string();
            meta.title = title.to_string();
        });
    }

    /// The most lines `pane` keeps (`None`: all of them), in place of the store's
    /// `max_lines_per_pane`: tmux's `history-limit`, which the daemon gives a pane as
    /// it starts. Whole blocks go, as for the store's limit.
    pub fn set_line_limit(&self, pane: PaneId, max_lines: Option<u64>) {
        let mut state = self.shared.lock();
        state.pane_mut(pane).own_line_limit = Some(max_lines);
        state.retention_due = true;
        self.shared.wake_if_idle(&mut state);
    }

    /// The limits the store was opened with.
    pub fn retention(&self) -> Retention {
        self.shared.options.retention
    }

    /// The pane's process exited; its history stays readable.
    pub fn mark_ended(&self, pane: PaneId) {
        self.update_meta(pane, |meta| meta.ended = true);
    }

    /// Keeps what a live pane's screen shows now (`None`: forget it), written with the
    /// next round after the lines before it, so a daemon that dies without ending the pane
    /// loses at most about a second of it ([`ScreenSnapshot`]).
    pub fn set_screen(&self, pane: PaneId, lines: Option<Vec<Row>>) {
        let mut state = self.shared.lock();
        let pane_state = state.pane_mut(pane);
        let after_line = LineNumber(pane_state.next_line());
        pane_state.screen = lines.map(|lines| ScreenSnapshot { after_line, lines });
        pane_state.screen_version += 1;
        self.shared.wake_if_idle(&mut state);
    }

    /// The screen snapshot a pane left, if it has one on disk or in memory.
    pub fn screen(&self, pane: PaneId) -> Option<ScreenSnapshot> {
        self.shared.lock().panes.get(&pane)?.screen.clone()
    }

    fn update_meta(&self, pane: PaneId, change: impl FnOnce(&mut meta::PaneMeta)) {
        let mut state = self.shared.lock();
        let pane_state = state.pane_mut(pane);
        change(&mut pane_state.meta);
        pane_state.meta_version += 1;
        self.shared.wake_if_idle(&mut state);
    }

    /// Deletes a pane's whole history. Returns whether there was any.
    pub fn drop_pane(&self, pane: PaneId) -> bool {
        let mut state = self.shared.lock();
        let Some(pane_state) = state.panes.remove(&pane) else {
            return false;
        };
        state.backlog_bytes = state
            .backlog_bytes
            .saturating_sub(pane_state.unpersisted_bytes());
        state.doomed.push(Doomed {
            pane,
            block_firsts: 0..pane_state.next_line(),
            meta: true,
        });
        self.shared.wake_if_idle(&mut state);
        true
    }

    pub fn status(&self) -> StoreStatus {
        let state = self.shared.lock();
        StoreStatus {
            backlog_bytes: state.backlog_bytes,
            refused_lines: state.refused_lines,
            last_error: state.last_error.clone(),
        }
    }

    /// Bytes the store's files occupy on disk now (and puts their modes back to 0600).
    pub fn disk_bytes(&self) -> Result<u64, StoreError> {
        dir::measure_and_tighten(&self.dir).map_err(StoreError::io("measuring", &self.dir))
    }
}

fn open_db(dir: &Path, db_dir: &Path) -> Result<(Backend, State), StoreError> {
    dir::make_private_dir(db_dir).map_err(StoreError::io("creating", db_dir))?;
    let backend = Backend::open(db_dir)?;
    let state = state::load(&backend)?;
    let watermark = dir::read_watermark(dir);
    if state.durable_round < watermark {
        return Err(StoreError::Corrupt(format!(
            "database holds write round {} but round {watermark} was confirmed durable",
            state.durable_round
        )));
    }
    Ok((backend, state))
}

/// The bare numbers of `range`: the block bookkeeping inside the store counts in `u64`
/// (block keys hold it big-endian), its API in line numbers.
fn raw(range: Range<LineNumber>) -> Range<u64> {
    range.start.0..range.end.0
}

fn pane_info(pane: PaneId, state: &state::PaneState) -> PaneInfo {
    PaneInfo {
        pane,
        first_line: LineNumber(state.first_retained()),
        next_line: LineNumber(state.next_line()),
        stored_bytes: state.blocks.bytes(),
        ended: state.meta.ended,
        command: state.meta.command.clone(),
        title: state.meta.title.clone(),
    }
}

impl Drop for HistoryStore {
    /// Writes everything still in memory before the database closes.
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.work.notify_one();
        if let Some(writer) = self.writer.take() {
            if writer.join().is_err() {
                tracing::error!("history writer panicked; unwritten lines lost");
            }
        }
    }
}

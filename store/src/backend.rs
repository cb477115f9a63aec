//! The only module that names the embedded database (redb 2). Everything above sees
//! ordered byte keys, atomic batches and an explicit durability barrier, which any
//! ordered key-value store offers, so moving to another one rewrites this file alone.
//!
//! redb replaced sled 0.34, which the store started on (figures in
//! docs/history-store.md). Both passed the kill -9 test, but sled opened a damaged file
//! without complaint and silently dropped what it could not read, used 43 bytes/line on
//! disk against redb's 33, and under retention grew to 1.5-1.6x its first million
//! lines where redb stays flat, reusing freed pages. redb also detects damage itself.
//!
//! Every call runs under `catch_unwind`: a database that panics on a damaged file must
//! become [`BackendError::Corrupt`], so the caller moves it aside instead of dying in a
//! restart loop.

use redb::TableDefinition;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The database file inside the directory the store gives us.
const FILE: &str = "history.redb";
const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("history");
/// redb's page cache. History reads are rare, block-sized and sequential, and appends
/// touch the rightmost pages, so a small cache costs nothing measurable (20 million
/// lines append as fast with 1 MiB as with 4). Opening reads every block header once,
/// and a daemon doing so with 4 MiB kept 4 to 13 MiB more the more history there was
/// (docs/history-store.md, "Memory"); with 1 MiB it stays at the empty daemon's size.
const CACHE_BYTES: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The files are damaged or the database broke its own invariants.
    #[error("database is corrupt: {0}")]
    Corrupt(String),
    /// The operating system refused a read or write (disk full, I/O error, ...).
    #[error("database I/O error: {0}")]
    Io(#[from] std::io::Error),
}

fn backend_error(error: impl Into<redb::Error>) -> BackendError {
    match error.into() {
        redb::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
            ) =>
        {
            BackendError::Corrupt(io.to_string())
        }
        redb::Error::Io(io) => BackendError::Io(io),
        redb::Error::PreviousIo => BackendError::Io(std::io::Error::other(
            "an earlier I/O error closed the database",
        )),
        other => BackendError::Corrupt(other.to_string()),
    }
}

/// Puts and deletes applied all together or not at all, also across a crash. Later
/// operations on the same key replace earlier ones.
#[derive(Default)]
pub struct WriteBatch {
    ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl WriteBatch {
    pub fn put(&mut self, key: &[u8], value: Vec<u8>) {
        self.ops.insert(key.to_vec(), Some(value));
    }

    pub fn delete(&mut self, key: &[u8]) {
        self.ops.insert(key.to_vec(), None);
    }
}

pub struct Backend {
    db: redb::Database,
}

fn guarded<T>(op: impl FnOnce() -> Result<T, BackendError>) -> Result<T, BackendError> {
    match catch_unwind(AssertUnwindSafe(op)) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(BackendError::Corrupt(format!(
                "database panicked: {message}"
            )))
        }
    }
}

impl Backend {
    /// Opens or creates the database in `dir`, which must already exist.
    pub fn open(dir: &Path) -> Result<Backend, BackendError> {
        guarded(|| {
            let db = redb::Builder::new()
                .set_cache_size(CACHE_BYTES)
                .create(dir.join(FILE))
                .map_err(backend_error)?;
            // Create the table once, so readers never meet a missing one.
            let txn = db.begin_write().map_err(backend_error)?;
            txn.open_table(TABLE).map_err(backend_error)?;
            txn.commit().map_err(backend_error)?;
            Ok(Backend { db })
        })
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        guarded(|| {
            let txn = self.db.begin_read().map_err(backend_error)?;
            let table = txn.open_table(TABLE).map_err(backend_error)?;
            let value = table.get(key).map_err(backend_error)?;
            Ok(value.map(|v| v.value().to_vec()))
        })
    }

    /// Calls `visit` on every entry whose key starts with `prefix`, in key order.
    pub fn scan_prefix<E: From<BackendError>>(
        &self,
        prefix: &[u8],
        mut visit: impl FnMut(&[u8], &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let txn = guarded(|| self.db.begin_read().map_err(backend_error))?;
        let table = guarded(|| txn.open_table(TABLE).map_err(backend_error))?;
        let mut iter = guarded(|| table.range(prefix..).map_err(backend_error))?;
        loop {
            let entry = guarded(|| iter.next().transpose().map_err(backend_error))?;
            let Some((key, value)) = entry else {
                return Ok(());
            };
            if !key.value().starts_with(prefix) {
                return Ok(());
            }
            visit(key.value(), value.value())?;
        }
    }

    /// In one snapshot: the last entry with a key in `floor..=at`, if any, then every
    /// entry with a key after `at` and before `end`, in key order, until `visit` says
    /// stop (`Ok(false)`). A block's key is its first line, so a read finds the block
    /// holding its first wanted line as the entry at or before that line's key.
    pub fn scan_covering<E: From<BackendError>>(
        &self,
        floor: &[u8],
        at: &[u8],
        end: &[u8],
        mut visit: impl FnMut(&[u8], &[u8]) -> Result<bool, E>,
    ) -> Result<(), E> {
        use std::ops::Bound::{Excluded, Included};
        let txn = guarded(|| self.db.begin_read().map_err(backend_error))?;
        let table = guarded(|| txn.open_table(TABLE).map_err(backend_error))?;
        let below = guarded(|| {
            let mut range = table
                .range::<&[u8]>((Included(floor), Included(at)))
                .map_err(backend_error)?;
            range.next_back().transpose().map_err(backend_error)
        })?;
        if let Some((key, value)) = below {
            if !visit(key.value(), value.value())? {
                return Ok(());
            }
        }
        if at >= end {
            return Ok(());
        }
        let mut iter = guarded(|| {
            table
                .range::<&[u8]>((Excluded(at), Excluded(end)))
                .map_err(backend_error)
        })?;
        loop {
            let entry = guarded(|| iter.next().transpose().map_err(backend_error))?;
            let Some((key, value)) = entry else {
                return Ok(());
            };
            if !visit(key.value(), value.value())? {
                return Ok(());
            }
        }
    }

    /// Applies the batch atomically and durably: redb's commit syncs to disk.
    pub fn apply(&self, batch: WriteBatch) -> Result<(), BackendError> {
        guarded(|| {
            let txn = self.db.begin_write().map_err(backend_error)?;
            {
                let mut table = txn.open_table(TABLE).map_err(backend_error)?;
                for (key, op) in &batch.ops {
                    match op {
                        Some(value) => table.insert(key.as_slice(), value.as_slice()),
                        None => table.remove(key.as_slice()).map(|_| None),
                    }
                    .map_err(backend_error)?;
                }
            }
            txn.commit().map_err(backend_error)
        })
    }

    /// Returns once everything applied so far is on disk; with redb that is already so
    /// when `apply` returns.
    pub fn flush(&self) -> Result<(), BackendError> {
        Ok(())
    }
}

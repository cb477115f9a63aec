//! The only module that names the embedded database (sled 0.34). Everything above sees
//! ordered byte keys, atomic batches and an explicit durability barrier, which any
//! ordered key-value store offers, so moving to redb or fjall rewrites this file alone.
//!
//! sled sometimes panics on a damaged file instead of returning an error, so every call
//! runs under `catch_unwind` and a panic becomes [`BackendError::Corrupt`]: the caller
//! then moves the database aside instead of dying in a restart loop.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

/// sled's page cache. Its default (1 GiB) is sized for a database server; history reads
/// are rare and sequential, so a small cache costs little.
const CACHE_BYTES: u64 = 32 << 20;

/// Longest wait for sled's threads to let go of a database closed in this process.
const LINGERING_CLOSE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The files are damaged or the database broke its own invariants.
    #[error("database is corrupt: {0}")]
    Corrupt(String),
    /// The operating system refused a read or write (disk full, I/O error, ...).
    #[error("database I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<sled::Error> for BackendError {
    fn from(error: sled::Error) -> BackendError {
        match error {
            // sled reports a file cut short or garbled as an I/O error of these kinds.
            sled::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
                ) =>
            {
                BackendError::Corrupt(io.to_string())
            }
            sled::Error::Io(io) => BackendError::Io(io),
            other => BackendError::Corrupt(other.to_string()),
        }
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
    db: sled::Db,
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
    ///
    /// sled's worker threads keep its file (and the file lock it takes) open for a moment
    /// after the last handle drops, so reopening in the same process can find the lock
    /// still held. The store's own directory lock already excludes other processes, so a
    /// held sled lock can only be that lingering close: wait for it.
    pub fn open(dir: &Path) -> Result<Backend, BackendError> {
        let deadline = Instant::now() + LINGERING_CLOSE;
        loop {
            let opened = guarded(|| {
                let db = sled::Config::new()
                    .path(dir)
                    .cache_capacity(CACHE_BYTES)
                    // The store's writer calls `flush` on its own schedule; sled's timer
                    // would only add a second writer of the same data.
                    .flush_every_ms(None)
                    .open()?;
                Ok(Backend { db })
            });
            match opened {
                Err(BackendError::Io(e))
                    if e.to_string().contains("could not acquire lock")
                        && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                other => return other,
            }
        }
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        guarded(|| Ok(self.db.get(key)?.map(|value| value.to_vec())))
    }

    /// Calls `visit` on every entry whose key starts with `prefix`, in key order.
    pub fn scan_prefix<E: From<BackendError>>(
        &self,
        prefix: &[u8],
        mut visit: impl FnMut(&[u8], &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut iter = self.db.scan_prefix(prefix);
        loop {
            match guarded(|| Ok(iter.next().transpose()?))? {
                Some((key, value)) => visit(&key, &value)?,
                None => return Ok(()),
            }
        }
    }

    /// Applies the batch atomically; it is visible to `get` at once and durable after
    /// the next [`Backend::flush`].
    pub fn apply(&self, batch: WriteBatch) -> Result<(), BackendError> {
        guarded(|| {
            let mut sled_batch = sled::Batch::default();
            for (key, op) in batch.ops {
                match op {
                    Some(value) => sled_batch.insert(key, value),
                    None => sled_batch.remove(key),
                }
            }
            Ok(self.db.apply_batch(sled_batch)?)
        })
    }

    /// Returns once everything applied so far is on disk.
    pub fn flush(&self) -> Result<(), BackendError> {
        guarded(|| {
            self.db.flush()?;
            Ok(())
        })
    }
}

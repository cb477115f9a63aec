//! The store's directory: private permissions, the one-opener lock, moving a damaged
//! database aside, and measuring what the history really takes on disk.
//!
//! Layout: `<dir>/lock` (held with `flock` while a store is open), `<dir>/db/` (the
//! database's own files), and `<dir>/db.corrupt-<unix seconds>` for a database that
//! failed to open, kept for inspection instead of deleted.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) private to the user, and makes an existing one so.
pub fn make_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    set_mode(dir, DIR_MODE)
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.mode() & 0o7777 != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// An exclusive `flock` on `<dir>/lock`, released when this value drops (or the process
/// dies, which a stale pid file would not handle).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

pub enum LockError {
    Held,
    Io(io::Error),
}

pub fn lock_dir(dir: &Path) -> Result<DirLock, LockError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .open(dir.join("lock"))
        .map_err(LockError::Io)?;
    // SAFETY: flock on a file descriptor we own; it has no memory effects.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let error = io::Error::last_os_error();
        return Err(match error.raw_os_error() {
            Some(libc::EWOULDBLOCK) => LockError::Held,
            _ => LockError::Io(error),
        });
    }
    Ok(DirLock { _file: file })
}

/// Renames a database directory that cannot be opened to `<db>.corrupt-<unix seconds>`
/// (with a counter if that exists), so a fresh one can start and nothing is deleted.
pub fn move_aside(db_dir: &Path) -> io::Result<PathBuf> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = db_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "db".to_string());
    let mut target = db_dir.with_file_name(format!("{name}.corrupt-{seconds}"));
    let mut n = 1;
    while target.exists() {
        target = db_dir.with_file_name(format!("{name}.corrupt-{seconds}-{n}"));
        n += 1;
    }
    fs::rename(db_dir, &target)?;
    Ok(target)
}

/// Bytes the files under `dir` occupy on disk (allocated blocks, so sparse or
/// preallocated files count for what they really use). Also puts every file back to
/// 0600 and every directory to 0700: the database creates its files with the process
/// umask, and changing the umask of a multi-threaded server is not ours to do.
pub fn measure_and_tighten(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        // The database may delete a file between listing and stat: skip it, it is gone.
        let (path, meta) = match entry.and_then(|e| Ok((e.path(), e.metadata()?))) {
            Ok(found) => found,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let step = if meta.is_dir() {
            set_mode(&path, DIR_MODE).and_then(|()| measure_and_tighten(&path))
        } else if meta.is_file() {
            set_mode(&path, FILE_MODE).map(|()| meta.blocks() * 512)
        } else {
            Ok(0)
        };
        match step {
            Ok(bytes) => total += bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

const WATERMARK: &str = "watermark";

/// The last write round known durable, as recorded beside the database. A database
/// that opens "successfully" but reports an earlier round lost writes it had
/// confirmed, which is corruption. sled 0.34 did exactly this on a damaged file; the
/// check keeps any backend honest.
pub fn read_watermark(dir: &Path) -> u64 {
    fs::read(dir.join(WATERMARK))
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

/// Replaces the watermark atomically (write, fsync, rename).
pub fn write_watermark(dir: &Path, round: u64) -> io::Result<()> {
    let temporary = dir.join("watermark.new");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(&temporary)?;
    io::Write::write_all(&mut file, &round.to_be_bytes())?;
    file.sync_all()?;
    fs::rename(&temporary, dir.join(WATERMARK))
}

pub fn clear_watermark(dir: &Path) -> io::Result<()> {
    match fs::remove_file(dir.join(WATERMARK)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

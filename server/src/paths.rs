//! Where the daemon's socket, lock and log live, and the checks that keep them private.
//!
//! The runtime directory is the daemon's identity: one directory, one daemon. Anyone who
//! can open the socket can type into every pane, so the directory must be ours and 0700
//! before we put anything in it; a directory we did not create (a planted `/tmp` path)
//! is refused rather than repaired.

use anyhow::{bail, Context};
use std::fs::{self, DirBuilder};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The files of one daemon, all inside one private runtime directory.
#[derive(Clone, Debug)]
pub struct RuntimePaths {
    pub dir: PathBuf,
    /// The history store's directory (see [`RuntimePaths::from_env`]).
    pub state: PathBuf,
}

impl RuntimePaths {
    /// The directory from `MOSHMUX_DIR`, else `$XDG_RUNTIME_DIR/moshmux`, else
    /// `/tmp/moshmux-UID`. Nothing is created yet: `ls` on a machine with no daemon
    /// should not leave directories behind.
    pub fn from_env() -> RuntimePaths {
        let var = |name| std::env::var_os(name).filter(|value| !value.is_empty());
        let dir = if let Some(dir) = var("MOSHMUX_DIR") {
            PathBuf::from(dir)
        } else if let Some(runtime) = var("XDG_RUNTIME_DIR") {
            PathBuf::from(runtime).join("moshmux")
        } else {
            PathBuf::from(format!("/tmp/moshmux-{}", nix::unistd::getuid()))
        };
        // History: `$MOSHMUX_DIR/history`, else `$XDG_STATE_HOME/moshmux`, else
        // `~/.local/state/moshmux` (else beside the socket, with no home at all).
        let state = if var("MOSHMUX_DIR").is_some() {
            dir.join("history")
        } else if let Some(state) = var("XDG_STATE_HOME") {
            PathBuf::from(state).join("moshmux")
        } else if let Some(home) = var("HOME") {
            PathBuf::from(home).join(".local/state/moshmux")
        } else {
            dir.join("history")
        };
        // The daemon changes to `/`, so relative paths must be pinned down first.
        let absolute = |path: PathBuf| std::path::absolute(&path).unwrap_or(path);
        RuntimePaths {
            dir: absolute(dir),
            state: absolute(state),
        }
    }

    /// The control socket (0600).
    pub fn socket(&self) -> PathBuf {
        self.dir.join("server.sock")
    }

    /// Held with `flock` by the live daemon for its whole life, and holding its pid; the
    /// lock, not the socket file, decides whether a daemon is alive, so two daemons
    /// starting at once cannot both think they own the directory.
    pub fn lock(&self) -> PathBuf {
        self.dir.join("server.lock")
    }

    /// The detached daemon's stderr.
    pub fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Creates the directory 0700 if missing, and refuses one that another user owns or
    /// that others can read or enter.
    pub fn ensure_private_dir(&self) -> anyhow::Result<()> {
        match DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
        {
            Ok(()) => {}
            Err(e) => return Err(e).with_context(|| format!("creating {}", self.dir.display())),
        }
        check_private(&self.dir)
    }

    /// Refuses a directory that exists but is not private, before a command sends it
    /// anything: a socket planted in someone else's directory would read our keystrokes.
    /// A missing directory is fine here; the connect that follows reports no server.
    pub fn check_if_present(&self) -> anyhow::Result<()> {
        if std::fs::symlink_metadata(&self.dir).is_err() {
            return Ok(());
        }
        check_private(&self.dir)
    }

    /// Refuses a history directory that another user owns or that others can write:
    /// they could have planted or could replace the database we are about to trust.
    /// One others can merely read is made private by the store as it opens it.
    pub fn check_state_dir(&self) -> anyhow::Result<()> {
        if std::fs::symlink_metadata(&self.state).is_err() {
            return Ok(());
        }
        let mode = check_owned_dir(&self.state)?;
        if mode & 0o022 != 0 {
            bail!(
                "{} has mode {mode:o}; others could write our history there (chmod 700 it)",
                self.state.display()
            );
        }
        Ok(())
    }
}

/// Checks that `dir` is a directory we own; returns its permission bits.
fn check_owned_dir(dir: &Path) -> anyhow::Result<u32> {
    let meta = fs::metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
    if !meta.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let uid = nix::unistd::getuid().as_raw();
    if meta.uid() != uid {
        bail!(
            "{} belongs to uid {}, not to us (uid {uid}); remove it or choose another \
             directory (MOSHMUX_DIR)",
            dir.display(),
            meta.uid()
        );
    }
    Ok(meta.permissions().mode() & 0o777)
}

fn check_private(dir: &Path) -> anyhow::Result<()> {
    let mode = check_owned_dir(dir)?;
    if mode & 0o077 != 0 {
        bail!(
            "{} has mode {mode:o}; it must be private (chmod 700 it)",
            dir.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("moshmux-paths-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn creates_missing_dir_private() {
        let dir = scratch("create").join("nested");
        RuntimePaths {
            dir: dir.clone(),
            state: dir.join("history"),
        }
        .ensure_private_dir()
        .unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn refuses_dir_others_can_enter() {
        let dir = scratch("open");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let err = RuntimePaths {
            dir: dir.clone(),
            state: dir.join("history"),
        }
        .ensure_private_dir()
        .unwrap_err();
        assert!(err.to_string().contains("mode 755"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}

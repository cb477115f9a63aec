//! Where the daemon's socket, lock and log live, and the checks that keep them private.
//!
//! The runtime directory is the daemon's identity: one directory, one daemon. Anyone who
//! can open the socket can type into every pane, so the directory must be ours and 0700
//! before we put anything in it, checked without following a symbolic link (another user
//! could swap a link's target between our check and our use of it); a directory we did
//! not create (a planted `/tmp` path) is refused rather than repaired.
//!
//! The shared default, `/tmp/moshmux-UID`, is a name anyone can take first. tmux refuses
//! its own `/tmp/tmux-UID` when it finds it so ("unsafe permissions"), which leaves the
//! user blocked until an administrator removes it; ssh-agent avoids the question with an
//! unpredictable `mkdtemp` name, which works because the name travels in
//! `SSH_AUTH_SOCK`. Our commands must find the daemon with no such variable, so a taken
//! `/tmp/moshmux-UID` makes them all use a private directory in the user's home instead
//! (`~/.local/state/moshmux-runtime`), and `new` says so. And since a check of a path is
//! not a check of what a later `connect` reaches, every command also checks the uid of
//! the daemon it reached (`SO_PEERCRED`) before sending it anything.

use anyhow::{bail, Context};
use std::fs::{self, DirBuilder, Metadata};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The files of one daemon, all inside one private runtime directory.
#[derive(Clone, Debug)]
pub struct RuntimePaths {
    pub dir: PathBuf,
    /// The history store's directory (see [`RuntimePaths::from_env`]).
    pub state: PathBuf,
    /// Why the shared default directory was passed over, when it was: `new` warns.
    pub squatted: Option<String>,
}

impl RuntimePaths {
    /// The directory from `MOSHMUX_DIR`, else `$XDG_RUNTIME_DIR/moshmux`, else
    /// `/tmp/moshmux-UID` (or, when that is another user's, see the module doc). Nothing
    /// is created yet: `ls` on a machine with no daemon should not leave directories
    /// behind.
    pub fn from_env() -> RuntimePaths {
        let var = |name| std::env::var_os(name).filter(|value| !value.is_empty());
        // History: `$MOSHMUX_DIR/history`, else `$XDG_STATE_HOME/moshmux`, else
        // `~/.local/state/moshmux` (else beside the socket, with no home at all).
        let state_home = var("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".local/state")));
        let mut squatted = None;
        let dir = if let Some(dir) = var("MOSHMUX_DIR") {
            PathBuf::from(dir)
        } else if let Some(runtime) = var("XDG_RUNTIME_DIR") {
            PathBuf::from(runtime).join("moshmux")
        } else {
            let shared = PathBuf::from(format!("/tmp/moshmux-{}", nix::unistd::getuid()));
            let fallback = state_home.as_ref().map(|home| home.join(FALLBACK_DIR));
            let (dir, why) = choose_shared_or_fallback(shared, fallback);
            squatted = why;
            dir
        };
        let state = if var("MOSHMUX_DIR").is_some() {
            dir.join("history")
        } else if let Some(home) = state_home {
            home.join("moshmux")
        } else {
            dir.join("history")
        };
        // The daemon changes to `/`, so relative paths must be pinned down first.
        let absolute = |path: PathBuf| std::path::absolute(&path).unwrap_or(path);
        RuntimePaths {
            dir: absolute(dir),
            state: absolute(state),
            squatted,
        }
    }

    /// The control socket (0600).
    pub fn socket(&self) -> PathBuf {
        self.dir.join("server.sock")
    }

    /// Held with `flock` by the live daemon for its whole life, and holding its pid; the
    /// lock, not the socket file, decides whether a daemon is alive, so two daemons
    /// starting at once cannot both think they own the directory.
    pub fn agent_socket(&self) -> PathBuf {
        self.dir.join("agent.sock")
    }

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

/// The runtime directory's name under the state home, when `/tmp/moshmux-UID` is taken.
const FALLBACK_DIR: &str = "moshmux-runtime";

/// The shared default, or the private fallback when the default is another user's (with
/// why). A daemon started in the fallback while the default was taken stays reachable
/// after the default is freed: the fallback is kept while it has a socket and the
/// default has none.
fn choose_shared_or_fallback(
    shared: PathBuf,
    fallback: Option<PathBuf>,
) -> (PathBuf, Option<String>) {
    let Some(fallback) = fallback else {
        return (shared, None);
    };
    match foreign(&shared) {
        Some(why) => (fallback, Some(format!("{} {why}", shared.display()))),
        None if has_socket(&fallback) && !has_socket(&shared) => (fallback, None),
        None => (shared, None),
    }
}

fn has_socket(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join("server.sock")).is_ok_and(|meta| meta.file_type().is_socket())
}

/// Why the entry at `path` is not a directory of ours, if it is not one (a missing one
/// is fine: we create it). The link itself is looked at, never where it points.
fn foreign(path: &Path) -> Option<String> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => return Some(format!("cannot be read ({error})")),
    };
    let uid = nix::unistd::getuid().as_raw();
    if meta.file_type().is_symlink() {
        Some(format!("is a symbolic link of uid {}", meta.uid()))
    } else if !meta.is_dir() {
        Some("is not a directory".to_owned())
    } else if meta.uid() != uid {
        Some(format!(
            "belongs to uid {}, not to us (uid {uid})",
            meta.uid()
        ))
    } else {
        None
    }
}

/// The entry at `dir` itself, refusing a symbolic link that another user made: its
/// target could change between this check and our use of it. A link of our own is
/// followed.
fn dir_metadata(dir: &Path) -> anyhow::Result<Metadata> {
    let meta = fs::symlink_metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
    if !meta.file_type().is_symlink() {
        return Ok(meta);
    }
    let uid = nix::unistd::getuid().as_raw();
    if meta.uid() != uid {
        bail!(
            "{} is a symbolic link of uid {}, not of us (uid {uid}); remove it or choose \
             another directory (MOSHMUX_DIR)",
            dir.display(),
            meta.uid()
        );
    }
    fs::metadata(dir).with_context(|| format!("reading {}", dir.display()))
}

/// Checks that `dir` is a directory we own; returns its permission bits.
fn check_owned_dir(dir: &Path) -> anyhow::Result<u32> {
    let meta = dir_metadata(dir)?;
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
            squatted: None,
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
            squatted: None,
        }
        .ensure_private_dir()
        .unwrap_err();
        assert!(err.to_string().contains("mode 755"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}

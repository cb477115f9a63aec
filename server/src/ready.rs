//! A daemon that `new` starts says when its socket answers, on a pipe, instead of `new`
//! polling for the socket: the poll's interval was up to a fifth of a cold start.
//!
//! `new` gives the daemon the pipe's write end as descriptor 3 and names it in
//! [`READY_FD_VAR`]; the daemon writes one byte once it listens, and closes it. A daemon
//! that fails, or loses the race to another, closes it by exiting: `new` then looks at
//! the socket as before.

use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// The variable naming the descriptor, so a daemon started by hand finds none.
pub const READY_FD_VAR: &str = "MOSHMUX_READY_FD";
/// The descriptor the daemon gets the write end as.
const READY_FD: RawFd = 3;

/// `new`'s end of the pipe.
pub struct ReadyPipe {
    read: OwnedFd,
    write: Option<OwnedFd>,
}

impl ReadyPipe {
    pub fn new() -> io::Result<ReadyPipe> {
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        Ok(ReadyPipe {
            read,
            write: Some(write),
        })
    }

    /// Makes `command` start with the write end as descriptor 3. `pre_exec` runs `setup`
    /// first (the daemon's own preparation in the child).
    pub fn hand_to(
        &self,
        command: &mut Command,
        setup: impl Fn() -> io::Result<()> + Send + Sync + 'static,
    ) {
        let write = self.write.as_ref().map(|fd| fd.as_raw_fd());
        command.env(READY_FD_VAR, READY_FD.to_string());
        // SAFETY: dup2 is async-signal-safe and touches no memory of ours; `setup` is the
        // caller's promise of the same.
        unsafe {
            command.pre_exec(move || {
                setup()?;
                let status = match write {
                    // Already there: only close-on-exec has to go.
                    Some(READY_FD) => libc::fcntl(READY_FD, libc::F_SETFD, 0),
                    // dup2 clears close-on-exec on the copy, so the daemon keeps it.
                    Some(write) => libc::dup2(write, READY_FD),
                    None => 0,
                };
                if status == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// After the spawn: our copy of the write end goes, so the pipe ends when the
    /// daemon's does.
    pub fn spawned(&mut self) {
        self.write = None;
    }

    /// Waits up to `timeout` for the daemon's byte or its end of the pipe closing; true
    /// if either came (look at the socket then).
    pub fn wait(&self, timeout: Duration) -> bool {
        let millis = libc::c_int::try_from(timeout.as_millis().max(1)).unwrap_or(libc::c_int::MAX);
        let mut pollfd = libc::pollfd {
            fd: self.read.as_fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut pollfd, 1, millis) };
        ready > 0
    }
}

/// In the daemon, once its socket listens: writes the byte and closes the descriptor.
/// The variable is removed first, so no pane inherits it.
pub fn notify_started_by_new() {
    let Some(fd) = std::env::var(READY_FD_VAR)
        .ok()
        .and_then(|value| value.parse::<RawFd>().ok())
        .filter(|&fd| fd == READY_FD)
    else {
        return;
    };
    // The daemon is single-threaded here, so nothing reads the environment meanwhile.
    std::env::remove_var(READY_FD_VAR);
    // SAFETY: `new` put the pipe's write end there for us and nothing else owns it.
    let pipe = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let _ = io::Write::write_all(&mut &pipe, b"r");
}

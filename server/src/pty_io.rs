//! The threads that move bytes between a pane's PTY and the daemon.
//!
//! PTY reads and writes block, and the daemon's mux task must never block, so each pane has
//! a reader thread (PTY -> bounded tokio channel) and a writer thread (std channel -> PTY).
//! The master is non-blocking and both threads wait in `poll` on it together with a stop
//! pipe: when the `Pane` is dropped the pipe closes, both threads return and drop their
//! copies of the master, and the kernel hangs the terminal up. So no thread keeps a pane
//! alive, even when its program ignores SIGHUP or a background job holds the terminal.

use crate::pane::PaneEvent;
use crate::pane_id::PaneId;
use portable_pty::Child;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Sender;

/// Bytes per read. A PTY rarely hands over more than a few KiB at once; this bounds the
/// size of one `Output` event, so daemon memory is at most channel capacity times this.
const READ_CHUNK: usize = 64 * 1024;

/// Whether the child has been reaped. Signals to a reaped pid could hit an unrelated
/// process that reused it, so `kill` and the reaping thread agree under this lock.
#[derive(Debug, Default)]
pub struct ChildState {
    reaped: Mutex<bool>,
}

impl ChildState {
    /// Runs `signal` unless the child has been reaped, holding off reaping meanwhile.
    pub fn while_unreaped(&self, signal: impl FnOnce()) {
        let reaped = self
            .reaped
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if !*reaped {
            signal();
        }
    }
}

/// What ended a wait.
enum Ready {
    Pty,
    Stop,
    ChildExited,
    TimedOut,
}

/// Waits until `pty` is ready for `events`, the stop pipe closes, or (when given) the
/// child's pidfd reports its exit; gives up after `timeout_ms` (-1: never).
fn wait_ready(
    pty: BorrowedFd<'_>,
    events: libc::c_short,
    stop: BorrowedFd<'_>,
    child_exit: Option<BorrowedFd<'_>>,
    timeout_ms: libc::c_int,
) -> io::Result<Ready> {
    let pollfd = |fd: libc::c_int, events| libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        let mut fds = [
            pollfd(pty.as_raw_fd(), events),
            pollfd(stop.as_raw_fd(), libc::POLLIN),
            // poll skips negative descriptors.
            pollfd(child_exit.map_or(-1, |fd| fd.as_raw_fd()), libc::POLLIN),
        ];
        // SAFETY: `fds` is a valid array of three pollfd for the duration of the call,
        // and the descriptors in it are borrowed, so they stay open.
        let result = unsafe { libc::poll(fds.as_mut_ptr(), 3, timeout_ms) };
        if result < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        let [pty, stop, child_exit] = fds;
        return Ok(if stop.revents != 0 {
            Ready::Stop
        } else if pty.revents != 0 {
            Ready::Pty
        } else if child_exit.revents != 0 {
            Ready::ChildExited
        } else {
            Ready::TimedOut
        });
    }
}

/// A descriptor that becomes readable when the process exits, without reaping it; `None`
/// on kernels older than 5.3, which then rely on end of file alone.
fn open_pidfd(pid: u32) -> Option<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).ok()?;
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = libc::c_int::try_from(fd).ok().filter(|&fd| fd >= 0)?;
    // SAFETY: the kernel just gave us this descriptor, and nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// After the child exits, output still in the terminal is forwarded until it has been
/// quiet this long. End of file normally comes first; this matters when a background job
/// (`nohup cmd &`) keeps the terminal open after the program is gone, where tmux, too,
/// closes the pane rather than wait for the job.
const QUIET_AFTER_EXIT: Duration = Duration::from_millis(100);

/// ... and for no longer than this, in case that job keeps writing.
const MAX_DRAIN_AFTER_EXIT: Duration = Duration::from_secs(1);

/// Everything the reader thread owns.
pub struct Reader {
    pub id: PaneId,
    pub pty: File,
    pub stop: OwnedFd,
    pub events: Sender<PaneEvent>,
    pub child: Box<dyn Child + Send + Sync>,
    pub child_state: Arc<ChildState>,
}

impl Reader {
    /// Forwards output until the terminal closes, then reports how the child exited.
    pub fn run(mut self) {
        let stopped = self.forward_output();
        // Closing our copy of the master lets the kernel hang the terminal up.
        drop(self.pty);
        let code = reap(self.child.as_mut(), &self.child_state);
        if !stopped {
            // The receiver may be gone with the daemon; nothing is left to tell then.
            let _ = self.events.blocking_send(PaneEvent::Exited(self.id, code));
        }
    }

    /// Returns true when stopped by the pane's owner, false at end of file or once the
    /// child has exited and its output has been drained.
    fn forward_output(&mut self) -> bool {
        let mut buffer = vec![0; READ_CHUNK];
        let child_exit = self.child.process_id().and_then(open_pidfd);
        let mut exited_at: Option<Instant> = None;
        loop {
            let (watch_child, timeout_ms) = match exited_at {
                None => (child_exit.as_ref().map(|fd| fd.as_fd()), -1),
                Some(at) => {
                    let left = MAX_DRAIN_AFTER_EXIT.saturating_sub(at.elapsed());
                    if left.is_zero() {
                        return false;
                    }
                    (None, millis(left.min(QUIET_AFTER_EXIT)))
                }
            };
            let stop = self.stop.as_fd();
            match wait_ready(
                self.pty.as_fd(),
                libc::POLLIN,
                stop,
                watch_child,
                timeout_ms,
            ) {
                Ok(Ready::Stop) => return true,
                Ok(Ready::Pty) => {}
                Ok(Ready::ChildExited) => {
                    exited_at = Some(Instant::now());
                    continue;
                }
                Ok(Ready::TimedOut) => return false,
                Err(error) => {
                    tracing::warn!(pane = %self.id, %error, "polling the PTY failed");
                    return false;
                }
            }
            match self.pty.read(&mut buffer) {
                Ok(0) => return false,
                Ok(n) => {
                    let chunk = buffer.get(..n).unwrap_or_default().to_vec();
                    if self
                        .events
                        .blocking_send(PaneEvent::Output(self.id, chunk))
                        .is_err()
                    {
                        return true;
                    }
                }
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                // EIO: every slave descriptor is closed, Linux's end of file for a PTY.
                Err(error) if error.raw_os_error() == Some(libc::EIO) => return false,
                Err(error) => {
                    tracing::warn!(pane = %self.id, %error, "reading the PTY failed");
                    return false;
                }
            }
        }
    }
}

/// A poll timeout in milliseconds, rounded up so a wait never spins at zero.
fn millis(duration: Duration) -> libc::c_int {
    libc::c_int::try_from(duration.as_millis().max(1)).unwrap_or(libc::c_int::MAX)
}

/// Waits for the child to exit and reaps it; the exit code, or `None` if a signal ended it.
fn reap(child: &mut (dyn Child + Send + Sync), state: &ChildState) -> Option<u32> {
    if let Some(pid) = child.process_id().and_then(|pid| i32::try_from(pid).ok()) {
        // Wait without reaping, so the pid stays ours while `kill` may still signal it.
        use nix::sys::wait::{waitid, Id, WaitPidFlag};
        let pid = nix::unistd::Pid::from_raw(pid);
        while let Err(nix::errno::Errno::EINTR) =
            waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
        {}
    }
    let mut reaped = state
        .reaped
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let status = child.wait();
    *reaped = true;
    match status {
        Ok(status) if status.signal().is_none() => Some(status.exit_code()),
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(%error, "waiting for a pane's child failed");
            None
        }
    }
}

/// The daemon's side of the writer thread: queues bytes without ever blocking.
#[derive(Debug)]
pub struct InputQueue {
    chunks: mpsc::Sender<Vec<u8>>,
    queued_bytes: Arc<AtomicUsize>,
}

/// Input waiting for a program that does not read it is held up to this much; beyond it,
/// input is dropped rather than growing daemon memory without bound.
const MAX_QUEUED_INPUT_BYTES: usize = 4 * 1024 * 1024;

impl InputQueue {
    /// Starts the writer thread for `pty`.
    pub fn start(id: PaneId, pty: File, stop: OwnedFd) -> io::Result<Self> {
        let (chunks, receiver) = mpsc::channel();
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let writer = Writer {
            id,
            pty,
            stop,
            chunks: receiver,
            queued_bytes: queued_bytes.clone(),
        };
        std::thread::Builder::new()
            .name(format!("pty-writer-{id}"))
            .spawn(move || writer.run())?;
        Ok(Self {
            chunks,
            queued_bytes,
        })
    }

    /// Queues `bytes` for the PTY. Returns false when they were dropped because the
    /// program has not read what it was already sent, or the writer is gone.
    pub fn push(&self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return true;
        }
        let queued = self.queued_bytes.fetch_add(bytes.len(), Ordering::AcqRel);
        if queued + bytes.len() > MAX_QUEUED_INPUT_BYTES
            || self.chunks.send(bytes.to_vec()).is_err()
        {
            self.queued_bytes.fetch_sub(bytes.len(), Ordering::AcqRel);
            return false;
        }
        true
    }
}

struct Writer {
    id: PaneId,
    pty: File,
    stop: OwnedFd,
    chunks: mpsc::Receiver<Vec<u8>>,
    queued_bytes: Arc<AtomicUsize>,
}

impl Writer {
    fn run(mut self) {
        let mut broken = false;
        // Ends when the pane drops its `InputQueue`.
        while let Ok(chunk) = self.chunks.recv() {
            if !broken {
                match self.write_all(&chunk) {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(error) => {
                        // The program is gone (EIO); drop input from now on.
                        tracing::debug!(pane = %self.id, %error, "writing to the PTY failed");
                        broken = true;
                    }
                }
            }
            self.queued_bytes.fetch_sub(chunk.len(), Ordering::AcqRel);
        }
    }

    /// Writes the whole chunk; Ok(false) if told to stop while waiting.
    fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<bool> {
        while !bytes.is_empty() {
            match self.pty.write(bytes) {
                Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    if let Ready::Stop =
                        wait_ready(self.pty.as_fd(), libc::POLLOUT, self.stop.as_fd(), None, -1)?
                    {
                        return Ok(false);
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(true)
    }
}

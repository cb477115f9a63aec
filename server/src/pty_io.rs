//! The task that moves bytes between one pane's PTY and the daemon's loop.
//!
//! One tokio task per pane on the daemon's single thread, not two OS threads: it waits on
//! the non-blocking master (readable for output, writable for queued input) and on the
//! child's pidfd, so a pane costs a task, a master descriptor and a pidfd. Output goes to
//! the loop on one bounded channel, so a flooding program waits for the loop instead of
//! growing memory; input waits in an unbounded queue that [`InputQueue`] caps in bytes.
//!
//! When the `Pty` is dropped the task closes the master (the kernel hangs the terminal
//! up) and stays only to reap the child once it is gone; it reports nothing then.

use crate::pane_id::PaneId;
use crate::pty::{PaneEvent, Run};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Bytes per read. A PTY rarely hands over more than a few KiB at once; this bounds the
/// size of one `Output` event, so daemon memory is at most channel capacity times this.
const READ_CHUNK: usize = 64 * 1024;

/// Input waiting for a program that does not read it is held up to this much; beyond it,
/// input is refused rather than growing daemon memory without bound.
const MAX_QUEUED_INPUT_BYTES: usize = 4 * 1024 * 1024;

/// After the child exits, output still in the terminal is forwarded until it has been
/// quiet this long. End of file normally comes first; this matters when a background job
/// (`nohup cmd &`) keeps the terminal open after the program is gone, where tmux, too,
/// closes the pane rather than wait for the job.
const QUIET_AFTER_EXIT: Duration = Duration::from_millis(100);

/// ... and for no longer than this, in case that job keeps writing.
const MAX_DRAIN_AFTER_EXIT: Duration = Duration::from_secs(1);

/// Whether the child has been reaped. Signals to a reaped pid could hit an unrelated
/// process that reused it, so the pane's owner checks this before it signals; the task
/// sets it in the same step as it reaps, on the same thread.
#[derive(Debug, Default)]
pub struct Reaped(AtomicBool);

impl Reaped {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The daemon's side of a pane's input: queues bytes without ever blocking.
#[derive(Debug)]
pub struct InputQueue {
    chunks: mpsc::UnboundedSender<Vec<u8>>,
    queued_bytes: Arc<AtomicUsize>,
}

impl InputQueue {
    /// Bytes that can be queued now: the limit, less what the program has not read yet.
    pub fn room(&self) -> usize {
        MAX_QUEUED_INPUT_BYTES.saturating_sub(self.queued_bytes.load(Ordering::Acquire))
    }

    /// Queues `bytes` for the PTY. Returns false when they were refused because the
    /// program has not read what it was already sent, or its task is gone.
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

/// The master, shared by the `Pty` (for its size and foreground group) and its task.
pub type Master = Arc<AsyncFd<OwnedFd>>;

/// Starts the task for a pane whose master is `master` and whose child is `pid`. Returns
/// the input queue, what tells the task its owner is gone, and the reaped flag.
pub fn start(
    id: PaneId,
    run: Run,
    master: Master,
    pid: Option<u32>,
    events: mpsc::Sender<PaneEvent>,
) -> (InputQueue, oneshot::Sender<()>, Arc<Reaped>) {
    let (chunks, input) = mpsc::unbounded_channel();
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let (dropped, owner_gone) = oneshot::channel();
    let reaped = Arc::new(Reaped::default());
    let task = PaneTask {
        id,
        run,
        master,
        child: pid.and_then(Child::watch),
        events,
        input,
        queued_bytes: queued_bytes.clone(),
        reaped: reaped.clone(),
    };
    tokio::spawn(task.run(owner_gone));
    let queue = InputQueue {
        chunks,
        queued_bytes,
    };
    (queue, dropped, reaped)
}

/// The child process, and a descriptor that becomes readable when it exits.
struct Child {
    pid: nix::unistd::Pid,
    /// `None` on kernels older than 5.3, which then rely on end of file alone.
    exit: Option<AsyncFd<OwnedFd>>,
}

impl Child {
    fn watch(pid: u32) -> Option<Child> {
        let raw = libc::pid_t::try_from(pid).ok()?;
        Some(Child {
            pid: nix::unistd::Pid::from_raw(raw),
            exit: open_pidfd(raw).and_then(|fd| watch(fd).ok()),
        })
    }

    /// Waits until the child has exited (without reaping it).
    async fn exited(&self) {
        match &self.exit {
            Some(exit) => {
                let _ = exit.readable().await;
            }
            None => std::future::pending().await,
        }
    }

    /// Reaps the child once it exits; the exit code, or `None` if a signal ended it.
    async fn reap(&self, reaped: &Reaped) -> Option<u32> {
        use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
        let mut waited = false;
        loop {
            match waitpid(self.pid, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => {}
                Ok(WaitStatus::Exited(_, code)) => {
                    reaped.set();
                    return u32::try_from(code).ok();
                }
                Ok(WaitStatus::Signaled(..)) => {
                    reaped.set();
                    return None;
                }
                Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
                Err(error) => {
                    // ECHILD: not ours to wait for any more.
                    reaped.set();
                    tracing::warn!(%error, "waiting for a pane's child failed");
                    return None;
                }
            }
            // The pidfd is readable from the child's exit on; until then it waits. Without
            // one, look again now and then: the terminal has closed, so the child is on
            // its way out.
            match &self.exit {
                Some(exit) if !waited => {
                    waited = true;
                    let _ = exit.readable().await;
                }
                _ => tokio::time::sleep(QUIET_AFTER_EXIT).await,
            }
        }
    }
}

struct PaneTask {
    id: PaneId,
    run: Run,
    master: Master,
    child: Option<Child>,
    events: mpsc::Sender<PaneEvent>,
    input: mpsc::UnboundedReceiver<Vec<u8>>,
    queued_bytes: Arc<AtomicUsize>,
    reaped: Arc<Reaped>,
}

impl PaneTask {
    async fn run(mut self, mut owner_gone: oneshot::Receiver<()>) {
        let forgotten = tokio::select! {
            forgotten = self.forward() => forgotten,
            _ = &mut owner_gone => true,
        };
        // The last reference to the master may be the owner's, dropped already, or ours:
        // either way the terminal hangs up once both are gone.
        let PaneTask {
            id,
            run,
            master,
            child,
            events,
            reaped,
            ..
        } = self;
        drop(master);
        let code = match &child {
            Some(child) => child.reap(&reaped).await,
            None => None,
        };
        if !forgotten {
            // The receiver may be gone with the daemon; nothing is left to tell then.
            let _ = events.send(PaneEvent::Exited(id, run, code)).await;
        }
    }

    /// Moves output and input until the terminal closes or the child has exited and its
    /// output is drained (false), or the loop stopped listening (true).
    async fn forward(&mut self) -> bool {
        let mut pending: VecDeque<Vec<u8>> = VecDeque::new();
        let mut written = 0;
        let mut drain_until: Option<Instant> = None;
        let mut quiet_until: Option<Instant> = None;
        loop {
            let wake = match (drain_until, quiet_until) {
                (Some(drain), Some(quiet)) => Some(drain.min(quiet)),
                _ => None,
            };
            tokio::select! {
                ready = self.master.readable() => {
                    let Ok(mut ready) = ready else { return false };
                    let (chunk, ended) =
                        READ_SCRATCH.with_borrow_mut(|scratch| read_available(&mut ready, scratch));
                    if let Err(error) = &ended {
                        tracing::warn!(pane = %self.id, %error, "reading the PTY failed");
                    }
                    if !chunk.is_empty() {
                        if self.events.send(PaneEvent::Output(self.id, self.run, chunk)).await.is_err() {
                            return true;
                        }
                        quiet_until = drain_until.map(|_| Instant::now() + QUIET_AFTER_EXIT);
                    }
                    if !matches!(ended, Ok(false)) {
                        return false;
                    }
                }
                chunk = self.input.recv(), if pending.len() < 2 => match chunk {
                    Some(chunk) => pending.push_back(chunk),
                    None => return true,
                },
                ready = self.master.writable(), if !pending.is_empty() => {
                    let Ok(mut ready) = ready else { return false };
                    let Some(chunk) = pending.front() else { continue };
                    let rest = chunk.get(written..).unwrap_or_default();
                    match ready.try_io(|master| write(master.get_ref(), rest)) {
                        Ok(Ok(n)) => written += n,
                        // The program is gone (EIO): its input goes nowhere.
                        Ok(Err(_)) => written = chunk.len(),
                        Err(_would_block) => {}
                    }
                    if written >= chunk.len() {
                        self.queued_bytes.fetch_sub(chunk.len(), Ordering::AcqRel);
                        pending.pop_front();
                        written = 0;
                    }
                }
                () = async {
                    match &self.child {
                        Some(child) => child.exited().await,
                        None => std::future::pending().await,
                    }
                }, if drain_until.is_none() => {
                    let now = Instant::now();
                    drain_until = Some(now + MAX_DRAIN_AFTER_EXIT);
                    quiet_until = Some(now + QUIET_AFTER_EXIT);
                }
                () = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                    return false;
                }
            }
        }
    }
}

thread_local! {
    /// Where reads land before their bytes are copied out at their own size: one buffer
    /// per thread (every pane's task runs on the daemon's one thread), not a zeroed
    /// 64 KiB allocation per read, which under a flood cost more in the allocator than
    /// the copy does.
    static READ_SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0u8; READ_CHUNK]);
}

/// Reads what the master holds, up to the scratch's size, as one chunk: a PTY hands
/// over at most 4095 bytes a read, and reading on until it has no more saves a wait for
/// readiness and a trip through the mux per read under a flood. Also says whether the
/// terminal ended (`Ok(true)`, or the error that ended it).
fn read_available(
    ready: &mut AsyncFdReadyGuard<'_, OwnedFd>,
    scratch: &mut [u8],
) -> (Vec<u8>, io::Result<bool>) {
    let mut filled = 0;
    let ended = loop {
        let Some(rest) = scratch.get_mut(filled..).filter(|rest| !rest.is_empty()) else {
            break Ok(false);
        };
        match ready.try_io(|master| read(master.get_ref(), rest)) {
            Ok(Ok(Some(n))) => filled += n,
            Ok(Ok(None)) => break Ok(true),
            Ok(Err(error)) => break Err(error),
            Err(_would_block) => break Ok(false),
        }
    };
    (scratch.get(..filled).unwrap_or_default().to_vec(), ended)
}

/// One read from the master into `buffer`: `Some(bytes read)`, or `None` at its end of
/// file (EIO once every slave descriptor is closed, Linux's end of file for a PTY).
fn read(master: &OwnedFd, buffer: &mut [u8]) -> io::Result<Option<usize>> {
    loop {
        // SAFETY: the buffer is valid for its length and the descriptor is open.
        let n = unsafe { libc::read(master.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
        if n > 0 {
            return Ok(Some(usize::try_from(n).unwrap_or(0)));
        }
        if n == 0 {
            return Ok(None);
        }
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EIO) => return Ok(None),
            _ => return Err(error),
        }
    }
}

fn write(master: &OwnedFd, bytes: &[u8]) -> io::Result<usize> {
    loop {
        // SAFETY: the slice is valid for its length and the descriptor is open.
        let n = unsafe { libc::write(master.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        if n >= 0 {
            return Ok(usize::try_from(n).unwrap_or(0));
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::EINTR) {
            return Err(error);
        }
    }
}

/// Registers a descriptor we own with the daemon's reactor.
pub fn watch(fd: OwnedFd) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: an `OwnedFd` stays open and names the same descriptor until it is dropped,
    // which only the `AsyncFd` does.
    unsafe { AsyncFd::register(fd) }.map_err(|error| error.into_parts().1)
}

/// A descriptor that becomes readable when the process exits, without reaping it; `None`
/// on kernels older than 5.3, which then rely on end of file alone.
fn open_pidfd(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = libc::c_int::try_from(fd).ok().filter(|&fd| fd >= 0)?;
    // SAFETY: the kernel just gave us this descriptor, and nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

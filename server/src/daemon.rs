//! The daemon process: claims the runtime directory, serves the control socket, and runs
//! the mux task that owns all state until `kill-server`, a signal, or the last session's
//! end.
//!
//! Tasks: one acceptor, one short task per control connection (read a request, pass it
//! to the mux over a channel with a oneshot for the reply, write the reply), and the mux
//! loop itself on the main task. Panes' reader threads send their output to the mux loop
//! on one bounded channel, so a flooding pane waits for the mux instead of growing memory.

use crate::control::{self, Reply, Request};
use crate::history;
use crate::mux::{Flow, Mux};
use crate::pane::PaneEvent;
use crate::paths::RuntimePaths;
use anyhow::{bail, Context};
use moshmux_store::HistoryStore;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{UnixListener, UnixStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};

/// Requests waiting for the mux; commands are one-shot and rare, so a few suffice.
const REQUEST_QUEUE: usize = 64;
/// Pane output events waiting for the mux; each holds at most 64 KiB.
const EVENT_QUEUE: usize = 256;
/// What client links report (user input, their end) waiting for the mux.
const LINK_EVENT_QUEUE: usize = 64;
/// Output is published to clients this long after it first changed a screen, so the
/// pieces of one burst (a key's echo and the redrawn prompt) go in one composition...
const PUBLISH_DELAY: Duration = Duration::from_millis(2);
/// ...but no sooner than this after the previous publication, so a flood costs at most
/// one composition per session per interval. A key typed after a quiet spell is thus
/// published within 2 ms, not a whole interval later; the SSP sender adds its own 8 ms
/// collection delay. The timer is armed only while something waits to be published.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(10);
/// A client that connects but does not send its whole request within this is dropped,
/// so a stalled connection holds a task and its buffer for no longer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A client that does not read its reply within this is dropped, for the same reason (a
/// capture can be megabytes, more than the socket buffers).
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for replies still being written.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a starting daemon waits for the lock of one that does not answer (exiting,
/// or itself starting); `new` waits 5 s in all for a daemon to answer.
const CLAIM_WAIT: Duration = Duration::from_secs(2);
const CLAIM_POLL: Duration = Duration::from_millis(10);

type Job = (Request, oneshot::Sender<Reply>);

/// Runs the daemon in this process until it shuts down.
pub fn run(paths: RuntimePaths, retention: moshmux_store::Retention) -> anyhow::Result<()> {
    paths.ensure_private_dir()?;
    let lock = claim(&paths)?;
    paths.check_state_dir()?;
    let store = history::open(&paths.state, retention)?;
    let socket = paths.socket();
    // We hold the lock, so a socket file left here belongs to a dead daemon; but never
    // unlink one that something still answers on.
    if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
        bail!("something already listens on {}", socket.display());
    }
    match std::fs::remove_file(&socket) {
        Ok(()) => tracing::info!(socket = %socket.display(), "replaced a stale socket"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).context("removing the stale socket"),
    }
    let listener = std::os::unix::net::UnixListener::bind(&socket)
        .with_context(|| format!("binding {}", socket.display()))?;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;
    listener.set_nonblocking(true)?;
    // Hold no directory the user might want to unmount; panes get their own cwd.
    std::env::set_current_dir("/")?;
    tracing::info!(pid = std::process::id(), socket = %socket.display(), "daemon started");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(listener, paths, lock, store))?;
    tracing::info!("daemon stopped");
    Ok(())
}

/// Takes the directory's lock and writes our pid into it; fails if a live daemon has it.
/// A daemon that is exiting removes its socket a moment before it releases the lock, so
/// a `new` that found no socket may start us inside that moment: while no socket
/// answers, the holder is taken to be leaving (or still starting) and waited for, up to
/// [`CLAIM_WAIT`].
fn claim(paths: &RuntimePaths) -> anyhow::Result<Flock<File>> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(paths.lock())
        .with_context(|| format!("opening {}", paths.lock().display()))?;
    let deadline = std::time::Instant::now() + CLAIM_WAIT;
    let mut lock = loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => break lock,
            Err((held, nix::errno::Errno::EWOULDBLOCK)) => {
                let answers = std::os::unix::net::UnixStream::connect(paths.socket()).is_ok();
                if answers || std::time::Instant::now() >= deadline {
                    bail!("a daemon already runs on {}", paths.dir.display())
                }
                file = held;
                std::thread::sleep(CLAIM_POLL);
            }
            Err((_, errno)) => return Err(errno).context("locking the runtime directory"),
        }
    };
    lock.set_len(0)?;
    writeln!(lock, "{}", std::process::id())?;
    Ok(lock)
}

async fn serve(
    listener: std::os::unix::net::UnixListener,
    paths: RuntimePaths,
    lock: Flock<File>,
    store: Arc<HistoryStore>,
) -> anyhow::Result<()> {
    let listener = UnixListener::from_std(listener)?;
    let (jobs_tx, mut jobs) = mpsc::channel::<Job>(REQUEST_QUEUE);
    let (events_tx, mut events) = mpsc::channel::<PaneEvent>(EVENT_QUEUE);
    let (stop_tx, stop_rx) = watch::channel(false);
    let acceptor = tokio::spawn(accept(listener, jobs_tx, stop_rx));
    let (links_tx, mut link_events) = mpsc::channel(LINK_EVENT_QUEUE);
    let mut mux = Mux::new(events_tx, links_tx, paths.socket(), store);
    let mut publish_at: Option<Instant> = None;
    let mut published_at = Instant::now();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    // With no controlling terminal a hangup can only come from a stray `kill`; ignore it
    // as daemons do.
    let mut hangup = signal(SignalKind::hangup())?;

    let pending_reply = loop {
        if publish_at.is_none() && mux.wants_publish() {
            publish_at =
                Some((Instant::now() + PUBLISH_DELAY).max(published_at + PUBLISH_INTERVAL));
        }
        tokio::select! {
            Some((request, reply)) = jobs.recv() => {
                let (answer, flow) = mux.handle(request);
                if flow == Flow::Stop {
                    break Some((reply, answer));
                }
                let _ = reply.send(answer);
            }
            Some(event) = events.recv() => {
                if mux.on_event(event) == Flow::Stop {
                    break None;
                }
                // Under a flood this branch is always ready, and tokio would let the
                // other tasks (control connections, client links and their SSP
                // drivers) run only once its budget of 128 receives ran out: at a few
                // ms a chunk, commands and heartbeats would wait for seconds.
                tokio::task::yield_now().await;
            }
            Some((client, event)) = link_events.recv() => {
                if mux.on_link_event(client, event) == Flow::Stop {
                    break None;
                }
            }
            () = sleep_until(publish_at.unwrap_or_else(Instant::now)), if publish_at.is_some() => {
                publish_at = None;
                published_at = Instant::now();
                mux.publish();
            }
            _ = terminate.recv() => break None,
            _ = interrupt.recv() => break None,
            _ = hangup.recv() => tracing::info!("ignoring SIGHUP"),
        }
    };

    // Requests still queued, or sent from now on, are answered ShuttingDown at once
    // rather than waiting for a mux that is gone.
    drop(jobs);
    // Clean up before answering `kill-server`, so that once it returns a new daemon can
    // start on this directory at once.
    mux.shutdown();
    // The history store goes with the mux: its last lines are written and its lock
    // released before a new daemon may start on this directory.
    drop(mux);
    if let Err(e) = std::fs::remove_file(paths.socket()) {
        tracing::warn!(error = %e, "removing the socket");
    }
    drop(lock);
    if let Some((reply, answer)) = pending_reply {
        let _ = reply.send(answer);
    }
    let _ = stop_tx.send(true);
    acceptor.await?;
    Ok(())
}

/// Accepts control connections until told to stop, then lets the ones in flight finish
/// writing their replies.
async fn accept(listener: UnixListener, jobs: mpsc::Sender<Job>, mut stop: watch::Receiver<bool>) {
    let our_uid = nix::unistd::getuid().as_raw();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if admits(peer_uid(&stream), our_uid) {
                        connections.spawn(converse(stream, jobs.clone(), REQUEST_TIMEOUT));
                    } else {
                        tracing::warn!("refused a control connection from another user");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "accepting a control connection"),
            },
            Some(_) = connections.join_next() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
}

/// The uid of the process at the other end (`SO_PEERCRED`), if the kernel tells it.
fn peer_uid(stream: &UnixStream) -> Option<u32> {
    stream.peer_cred().ok().map(|cred| cred.uid())
}

/// Whether a control connection is served. The socket is 0600 in a 0700 directory;
/// checking the peer too costs nothing and survives a mistaken chmod. A peer whose
/// credentials cannot be read is refused: the check fails closed.
fn admits(peer_uid: Option<u32>, our_uid: u32) -> bool {
    peer_uid == Some(our_uid)
}

/// One request (read within `request_timeout`) and its reply.
async fn converse(mut stream: UnixStream, jobs: mpsc::Sender<Job>, request_timeout: Duration) {
    let request =
        match tokio::time::timeout(request_timeout, control::read_request(&mut stream)).await {
            Ok(Ok(request)) => request,
            Ok(Err(e)) => {
                let _ = control::write_reply(&mut stream, &Reply::Error(e.to_string())).await;
                return;
            }
            Err(_) => return,
        };
    let (reply_tx, reply_rx) = oneshot::channel();
    let answer = match jobs.send((request, reply_tx)).await {
        Ok(()) => reply_rx.await.unwrap_or(Reply::ShuttingDown(())),
        Err(_) => Reply::ShuttingDown(()),
    };
    match tokio::time::timeout(REPLY_TIMEOUT, control::write_reply(&mut stream, &answer)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "writing a control reply"),
        Err(_) => tracing::debug!("a control client did not read its reply"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Without root no test can connect as another user, so the decision is checked here
    /// on its own; `local_security.rs` proves it over the real socket when run as root.
    #[tokio::test]
    async fn only_our_own_uid_is_admitted_to_the_control_socket() {
        let ours = nix::unistd::getuid().as_raw();
        let (peer, _daemon_end) = UnixStream::pair().expect("a socket pair");
        assert_eq!(peer_uid(&peer), Some(ours));
        assert!(admits(peer_uid(&peer), ours));
        assert!(!admits(Some(ours ^ 1), ours));
        // Root is no exception: a daemon of another user refuses it too.
        assert!(!admits(Some(0), 65534));
        assert!(!admits(None, ours));
    }

    #[tokio::test]
    async fn a_stalled_request_is_dropped_at_its_deadline() {
        let (mut peer, ours) = UnixStream::pair().expect("a socket pair");
        let (jobs, mut queued) = mpsc::channel::<Job>(1);
        let conversation = tokio::spawn(converse(ours, jobs, Duration::from_millis(100)));
        // A header claiming 64 MiB, ten bytes of it, then nothing more.
        peer.write_all(&(64u32 << 20).to_be_bytes()).await.unwrap();
        peer.write_all(b"ten bytes!").await.unwrap();
        tokio::time::timeout(Duration::from_secs(20), conversation)
            .await
            .expect("the conversation ended at its deadline")
            .expect("the conversation task did not panic");
        // The daemon hung up without passing anything to the mux.
        let mut rest = Vec::new();
        assert_eq!(peer.read_to_end(&mut rest).await.unwrap(), 0);
        assert!(queued.try_recv().is_err());
    }
}

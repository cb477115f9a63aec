//! The daemon process: claims the runtime directory, serves the control socket, and runs
//! the event loop that drives the mux until `kill-server`, a signal, or the last
//! session's end.
//!
//! The loop is the only code with sockets, PTYs, threads and the clock: it hands the mux
//! control requests (from the acceptor's tasks, `control_socket.rs`), pane output (from
//! each PTY's reader thread), datagrams (from each endpoint's reader task) and the time,
//! and carries out what the mux asks (`host.rs`). Panes' reader threads send their output
//! on one bounded channel, so a flooding pane waits for the loop instead of growing
//! memory.

mod control_socket;
mod host;

use crate::history;
use crate::mux::{Answer, Mux, MuxConfig};
use crate::paths::RuntimePaths;
use crate::pty::PaneEvent;
use anyhow::{bail, Context};
use host::{DaemonHost, Datagram};
use moshmux_proto::alarm::Alarm;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::UnixListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot, watch};

/// Requests waiting for the loop; commands are one-shot and rare, so a few suffice.
const REQUEST_QUEUE: usize = 64;
/// Pane output events waiting for the loop; each holds at most 64 KiB.
const EVENT_QUEUE: usize = 256;
/// Datagrams waiting for the loop, from all endpoints together.
const DATAGRAM_QUEUE: usize = 1024;

/// How long a starting daemon waits for the lock of one that does not answer (exiting,
/// or itself starting); `new` waits 5 s in all for a daemon to answer.
const CLAIM_WAIT: Duration = Duration::from_secs(2);
const CLAIM_POLL: Duration = Duration::from_millis(10);

/// Runs the daemon in this process until it shuts down.
pub fn run(paths: RuntimePaths, retention: moshmux_store::Retention) -> anyhow::Result<()> {
    match crate::fd_limit::raise_soft_limit() {
        Ok(limit) => tracing::info!(limit, "file descriptor limit"),
        Err(error) => tracing::warn!(%error, "raising the file descriptor limit"),
    }
    paths.ensure_private_dir()?;
    let lock = claim(&paths)?;
    paths.check_state_dir()?;
    let history = history::open(&paths.state, retention)?;
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
    crate::ready::notify_started_by_new();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(listener, paths, lock, history))?;
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
    history: history::OpenedHistory,
) -> anyhow::Result<()> {
    let listener = UnixListener::from_std(listener)?;
    let (jobs_tx, mut jobs) = mpsc::channel::<control_socket::Job>(REQUEST_QUEUE);
    let (events_tx, mut events) = mpsc::channel::<PaneEvent>(EVENT_QUEUE);
    let (datagrams_tx, mut datagrams) = mpsc::channel::<Datagram>(DATAGRAM_QUEUE);
    let (stop_tx, stop_rx) = watch::channel(false);
    let acceptor = tokio::spawn(control_socket::accept(listener, jobs_tx, stop_rx));
    let (mut host, mut sockets) = DaemonHost::new(events_tx, datagrams_tx);
    let mut mux = Mux::new(MuxConfig {
        store: history.store,
        identity: format!("{},{}", paths.socket().display(), std::process::id()),
        // What gethostname(2) returns, as tmux's `host` shows it.
        host_name: std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim_end().to_owned())
            .unwrap_or_default(),
        orphans: history.orphans,
        agent_socket: Some(paths.agent_socket()),
        daemon_environment: crate::environment::Environment::of_daemon(std::env::vars()),
    });
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    // With no controlling terminal a hangup can only come from a stray `kill`; ignore it
    // as daemons do.
    let mut hangup = signal(SignalKind::hangup())?;
    let mut alarm = Alarm::new();

    let pending_reply: Option<(oneshot::Sender<Answer>, Answer)> = loop {
        drive(&mut mux, &mut host);
        let timeout = mux.poll_timeout();
        tokio::select! {
            Some((request, reply)) = jobs.recv() => {
                let answer = mux.handle_request(Instant::now(), SystemTime::now(), request, &mut host);
                if mux.should_stop() {
                    break Some((reply, answer));
                }
                let _ = reply.send(answer);
            }
            Some(event) = events.recv() => {
                match event {
                    PaneEvent::Output(pane, run, bytes) if host.is_current(pane, run) => {
                        mux.handle_pane_output(Instant::now(), pane, &bytes)
                    }
                    PaneEvent::Exited(pane, run, status) if host.is_current(pane, run) => {
                        mux.handle_pane_exited(Instant::now(), pane, status)
                    }
                    // The program respawn-pane replaced: the pane is not its any more.
                    PaneEvent::Output(..) | PaneEvent::Exited(..) => {}
                }
                if mux.should_stop() {
                    break None;
                }
                // Under a flood this branch is always ready, and tokio would let the
                // other tasks (control connections, endpoint readers) run only once its
                // budget of 128 receives ran out: at a few ms a chunk, commands would
                // wait for seconds.
                tokio::task::yield_now().await;
            }
            Some(datagram) = datagrams.recv() => {
                mux.handle_datagram(Instant::now(), datagram.listener, datagram.from, &datagram.contents, &mut host);
                if mux.should_stop() {
                    break None;
                }
            }
            Some(((client, stream), event)) = sockets.recv() => {
                mux.handle_socket_event(client, stream, event);
            }
            () = alarm.wait_until(timeout), if timeout.is_some() => {
                mux.handle_timeout(Instant::now(), &host);
                if mux.should_stop() {
                    break None;
                }
            }
            _ = terminate.recv() => break None,
            _ = interrupt.recv() => break None,
            _ = hangup.recv() => tracing::info!("ignoring SIGHUP"),
        }
    };

    // Requests still queued, or sent from now on, are answered ShuttingDown at once
    // rather than waiting for a loop that is gone.
    drop(jobs);
    // Clean up before answering `kill-server`, so that once it returns a new daemon can
    // start on this directory at once.
    mux.shutdown();
    drive(&mut mux, &mut host);
    drop(host);
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

/// Sends what the mux has to send and carries out what it asks, until it has nothing.
fn drive(mux: &mut Mux, host: &mut DaemonHost) {
    let now = Instant::now();
    loop {
        if let Some((listener, transmit)) = mux.poll_transmit(now) {
            host.transmit(listener, &transmit);
        } else if let Some(action) = mux.poll_action() {
            host.carry_out(action);
        } else {
            return;
        }
    }
}

//! The command-line side of the control socket: send one request, print the reply, and
//! start the daemon first when `new` finds none.

use crate::control::{self, Reply, Request};
use crate::environment;
use crate::paths::RuntimePaths;
use crate::ready::ReadyPipe;
use anyhow::{bail, Context};
use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long `new` waits for a daemon it started to answer.
const START_TIMEOUT: Duration = Duration::from_secs(5);
const START_POLL: Duration = Duration::from_millis(20);
/// After a daemon we started exits with an error, how long another one (that won the
/// race to start) gets to answer before we report the error.
const EXITED_GRACE: Duration = Duration::from_secs(1);
/// A daemon that accepted a connection but never answers is hung; say so.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Writing the command's output failed; with `BrokenPipe` the reader went away (`| head`),
/// which ends the command quietly, as tmux does.
#[derive(Debug, thiserror::Error)]
#[error("writing the output: {0}")]
pub struct OutputError(#[from] pub std::io::Error);

/// Nothing answers on the control socket.
#[derive(Debug, thiserror::Error)]
#[error("no server running on {}", .0.display())]
pub struct NoServer(pub std::path::PathBuf);

/// Sends a request to a running daemon; output that comes in pieces (`Output` frames) is
/// written to `out` as it arrives, and the reply that ends it is returned.
pub fn request(
    paths: &RuntimePaths,
    request: &Request,
    out: &mut dyn Write,
) -> anyhow::Result<Reply> {
    paths.check_if_present()?;
    let socket = paths.socket();
    let stream = UnixStream::connect(&socket).map_err(|e| match e.kind() {
        ErrorKind::NotFound | ErrorKind::ConnectionRefused => anyhow::Error::new(NoServer(socket)),
        _ => anyhow::anyhow!("connecting to {}: {e}", socket.display()),
    })?;
    exchange(stream, paths, request, out)
}

/// Sends a request, starting the daemon (with `daemon_args`) first if none answers. A
/// daemon caught ending (its last session closed just as we connected) is waited out and
/// replaced.
pub fn request_starting_daemon(
    paths: &RuntimePaths,
    request: &Request,
    daemon_args: &[String],
) -> anyhow::Result<Reply> {
    paths.ensure_private_dir()?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let stream = match UnixStream::connect(paths.socket()) {
            Ok(stream) => stream,
            Err(_) => start_daemon(paths, daemon_args)?,
        };
        match exchange(stream, paths, request, &mut std::io::sink()) {
            Ok(Reply::ShuttingDown(())) if Instant::now() < deadline => {
                std::thread::sleep(START_POLL)
            }
            // A daemon that stopped with our connection still queued (its last session
            // had just ended) closes it unanswered: it never ran the request.
            Err(error) if went_away(&error) && Instant::now() < deadline => {
                std::thread::sleep(START_POLL)
            }
            result => return result,
        }
    }
}

/// Whether the daemon closed the connection before answering: it was exiting.
fn went_away(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let io = match cause.downcast_ref::<control::ControlError>() {
            Some(control::ControlError::Io(io)) => Some(io),
            _ => cause.downcast_ref::<std::io::Error>(),
        };
        io.is_some_and(|io| {
            matches!(
                io.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof
            )
        })
    })
}

fn exchange(
    mut stream: UnixStream,
    paths: &RuntimePaths,
    request: &Request,
    out: &mut dyn Write,
) -> anyhow::Result<Reply> {
    check_daemon_uid(&stream, paths)?;
    stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
    control::write_request(&mut stream, request)?;
    loop {
        match control::read_reply(&mut stream).context("reading the daemon's reply")? {
            Reply::Output(piece) => out.write_all(piece.as_bytes()).map_err(OutputError)?,
            reply => return Ok(reply),
        }
    }
}

/// Refuses a daemon that runs as another user, before it is sent anything or believed:
/// checking the directory's path does not check what `connect` reached a moment later
/// (another user may have won a race for a shared path), but the kernel's word on the
/// peer (`SO_PEERCRED`) does.
fn check_daemon_uid(stream: &UnixStream, paths: &RuntimePaths) -> anyhow::Result<()> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let ours = nix::unistd::getuid().as_raw();
    let peer = getsockopt(stream, PeerCredentials)
        .context("reading the uid of the server on the control socket")?
        .uid();
    if peer != ours {
        bail!(
            "the server on {} runs as uid {peer}, not as us (uid {ours}): refusing to talk \
             to it; another user may be trying to intercept moshmux (remove it and try again)",
            paths.socket().display()
        );
    }
    Ok(())
}

/// Starts `moshmux-server daemon` in its own session, detached from our terminal, and
/// waits until its socket answers. The daemon is a fresh exec of this binary rather than
/// a fork, so no half-initialised runtime or lock state is ever copied.
fn start_daemon(paths: &RuntimePaths, daemon_args: &[String]) -> anyhow::Result<UnixStream> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(paths.log())
        .with_context(|| format!("opening {}", paths.log().display()))?;
    let exe = std::env::current_exe().context("finding our own executable")?;
    let mut command = Command::new(exe);
    command
        .arg("daemon")
        .args(daemon_args)
        .arg("--state-dir")
        .arg(&paths.state)
        .env_clear()
        .envs(environment::for_daemon(std::env::vars_os()))
        .env("MOSHMUX_DIR", &paths.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let mut ready = ReadyPipe::new().context("making the daemon's ready pipe")?;
    // setsid is async-signal-safe and touches no memory of ours.
    ready.hand_to(&mut command, || {
        // SAFETY: see above.
        if unsafe { libc::setsid() } == -1 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    });
    let mut child = command.spawn().context("starting the daemon")?;
    ready.spawned();
    let mut signalled = false;
    let mut deadline = Instant::now() + START_TIMEOUT;
    let mut exited = false;
    loop {
        // A daemon that lost the race to another starting daemon exits at once; keep
        // waiting, the winner will answer.
        if let Ok(stream) = UnixStream::connect(paths.socket()) {
            // Reap it if it has already exited; otherwise init will.
            let _ = child.try_wait();
            return Ok(stream);
        }
        if !exited && matches!(child.try_wait(), Ok(Some(status)) if !status.success()) {
            // It failed; unless it lost a race to a daemon that answers shortly, its last
            // log line says why, and there is no point waiting the whole timeout.
            exited = true;
            deadline = deadline.min(Instant::now() + EXITED_GRACE);
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = child.try_wait();
            if exited {
                bail!("the daemon did not start: {}", last_log_line(paths));
            }
            bail!(
                "the daemon did not answer within {} s: {}",
                START_TIMEOUT.as_secs(),
                last_log_line(paths)
            );
        }
        // Woken at once by the daemon's byte, or by its end of the pipe closing (it
        // failed, or lost a race to another daemon that will answer); after that the
        // pipe is spent and the socket is polled as before.
        if signalled {
            std::thread::sleep(START_POLL);
        } else {
            signalled = ready.wait(deadline - now);
        }
    }
}

/// The daemon's last words, which say why it did not start.
fn last_log_line(paths: &RuntimePaths) -> String {
    std::fs::read_to_string(paths.log())
        .ok()
        .and_then(|log| log.lines().last().map(str::to_owned))
        .unwrap_or_else(|| format!("see {}", paths.log().display()))
}

//! The command-line side of the control socket: send one request, print the reply, and
//! start the daemon first when `new` finds none.

use crate::control::{self, Reply, Request};
use crate::paths::RuntimePaths;
use anyhow::{bail, Context};
use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
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

/// Sends a request to a running daemon.
pub fn request(paths: &RuntimePaths, request: &Request) -> anyhow::Result<Reply> {
    paths.check_if_present()?;
    let socket = paths.socket();
    let stream = UnixStream::connect(&socket).map_err(|e| match e.kind() {
        ErrorKind::NotFound | ErrorKind::ConnectionRefused => {
            anyhow::anyhow!("no server running on {}", socket.display())
        }
        _ => anyhow::anyhow!("connecting to {}: {e}", socket.display()),
    })?;
    exchange(stream, request)
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
        match exchange(stream, request)? {
            Reply::ShuttingDown(()) if Instant::now() < deadline => std::thread::sleep(START_POLL),
            reply => return Ok(reply),
        }
    }
}

fn exchange(mut stream: UnixStream, request: &Request) -> anyhow::Result<Reply> {
    stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
    control::write_request(&mut stream, request)?;
    control::read_reply(&mut stream).context("reading the daemon's reply")
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
        .env("MOSHMUX_DIR", &paths.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    // SAFETY: setsid is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().context("starting the daemon")?;
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
        if Instant::now() >= deadline {
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
        std::thread::sleep(START_POLL);
    }
}

/// The daemon's last words, which say why it did not start.
fn last_log_line(paths: &RuntimePaths) -> String {
    std::fs::read_to_string(paths.log())
        .ok()
        .and_then(|log| log.lines().last().map(str::to_owned))
        .unwrap_or_else(|| format!("see {}", paths.log().display()))
}

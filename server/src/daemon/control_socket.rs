//! The control socket: an acceptor task, and one short task per connection that reads a
//! request, hands it to the daemon's loop with a oneshot for the reply, and writes the
//! reply. A connection that does not send its whole request, or read its reply, within
//! its deadline is dropped, so a stalled client holds a task and its buffer no longer.

use crate::control::{self, Reply, Request};
use crate::fd_limit::{RateLimited, Reserve};
use crate::mux::Answer;
use std::time::Duration;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

/// A connection that does not send its whole request within this is dropped.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A client that does not read its reply within this is dropped, for the same reason.
/// Output of any length (a capture) streams without a deadline instead: see
/// `OutputPlan::send`.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for replies still being written.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// A request for the daemon's loop, and where its reply goes.
pub type Job = (Request, oneshot::Sender<Answer>);

/// Connections served at once; more wait in the listen queue. Each holds a task, a
/// descriptor and at most one request (8 MiB), so this bounds what they can take.
const MAX_CONNECTIONS: usize = 64;
/// After an accept that failed for another reason than a lack of descriptors (or when
/// not even the reserve is left), how long the acceptor waits before trying again, so
/// an error that repeats cannot make it spin.
const ACCEPT_PAUSE: Duration = Duration::from_secs(1);
/// How long a refused connection gets to take its one-line answer.
const REFUSAL_TIME: Duration = Duration::from_millis(200);
/// At most one log line per this for a failure that repeats.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Accepts control connections until told to stop, then lets the ones in flight finish
/// writing their replies. Out of descriptors, it answers each waiting connection with
/// one line saying so (on a descriptor held in reserve for that), one at a time, and logs
/// it at most once per [`LOG_INTERVAL`]: a queue of connections at the limit costs a
/// refusal each, never a busy loop or a flood of log.
pub async fn accept(
    listener: UnixListener,
    jobs: mpsc::Sender<Job>,
    mut stop: watch::Receiver<bool>,
) {
    let our_uid = nix::unistd::getuid().as_raw();
    let mut connections = JoinSet::new();
    let mut reserve = Reserve::new();
    let mut refusing: Option<tokio::task::JoinHandle<()>> = None;
    let mut paused_until: Option<tokio::time::Instant> = None;
    let mut failures = RateLimited::new(LOG_INTERVAL);
    loop {
        let open = connections.len() < MAX_CONNECTIONS && refusing.is_none();
        tokio::select! {
            accepted = listener.accept(), if open && paused_until.is_none() => match accepted {
                Ok((stream, _)) => {
                    if admits(peer_uid(&stream), our_uid) {
                        connections.spawn(converse(stream, jobs.clone(), REQUEST_TIMEOUT));
                    } else {
                        tracing::warn!("refused a control connection from another user");
                    }
                }
                Err(error) => {
                    let out_of_fds = crate::fd_limit::is_exhaustion(&error);
                    if let Some(held_back) = failures.due(std::time::Instant::now()) {
                        tracing::warn!(%error, held_back, "accepting a control connection");
                    }
                    if out_of_fds && reserve.release() {
                        refusing = match tokio::time::timeout(REFUSAL_TIME, listener.accept()).await {
                            Ok(Ok((stream, _))) => Some(tokio::spawn(refuse(stream))),
                            _ => None,
                        };
                        if refusing.is_none() {
                            reserve.restore();
                        }
                    }
                    if refusing.is_none() {
                        paused_until = Some(tokio::time::Instant::now() + ACCEPT_PAUSE);
                    }
                }
            },
            _ = finished(&mut refusing), if refusing.is_some() => {
                refusing = None;
                reserve.restore();
            }
            () = tokio::time::sleep_until(paused_until.unwrap_or_else(tokio::time::Instant::now)),
                if paused_until.is_some() => paused_until = None,
            Some(_) = connections.join_next() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
}

/// Waits for the refusal in flight, if any (else forever).
async fn finished(refusing: &mut Option<tokio::task::JoinHandle<()>>) {
    match refusing {
        Some(task) => {
            let _ = task.await;
        }
        None => std::future::pending().await,
    }
}

/// Tells a connection that came when the daemon had no descriptor left that it is
/// refused, and why, then hangs up. Its request is read (and dropped) after, for a
/// moment, so a client still writing it is not cut off before it reads the answer.
async fn refuse(mut stream: UnixStream) {
    let limit = crate::fd_limit::soft_limit().unwrap_or_default();
    let reply = Reply::Error(format!(
        "the server has run out of file descriptors (its limit is {limit}); close some \
         panes or sessions and try again"
    ));
    let answer = async {
        let _ = control::write_reply(&mut stream, &reply).await;
        let _ = control::read_request(&mut stream).await;
    };
    let _ = tokio::time::timeout(REFUSAL_TIME, answer).await;
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
    let shutting_down = Answer::Reply(Reply::ShuttingDown(()));
    let answer = match jobs.send((request, reply_tx)).await {
        Ok(()) => reply_rx.await.unwrap_or(shutting_down),
        Err(_) => shutting_down,
    };
    let reply = match answer {
        Answer::Reply(reply) => reply,
        Answer::Stream(plan) => {
            if let Err(e) = plan.send(&mut stream).await {
                tracing::debug!(error = %e, "a control client stopped reading its capture");
            }
            return;
        }
    };
    match tokio::time::timeout(REPLY_TIMEOUT, control::write_reply(&mut stream, &reply)).await {
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
        // A header claiming 8 MiB (the limit), ten bytes of it, then nothing more.
        peer.write_all(&(8u32 << 20).to_be_bytes()).await.unwrap();
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

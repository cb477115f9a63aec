//! One attached client: a UDP endpoint running SSP, and the task that connects it to the
//! mux.
//!
//! The mux owns a [`ClientLink`] per endpoint and publishes host states into it; a task per
//! link owns the SSP driver's handle, hands the newest published state to the driver (a
//! `watch` channel holds only the newest, so states the task had no time for are
//! skipped, as the SSP sender itself skips states), forwards the client's user-stream
//! updates to the mux, and ends the link by the lifetime rules below. Dropping the
//! `ClientLink` stops the task, the driver and the socket.

use crate::link_log::LinkLog;
use crate::pane_id::Size;
use moshmux_proto::driver::{self, DriverHandle};
use moshmux_proto::{Connection, HostState, SessionKey, UserStream};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// A client that has not sent one authentic datagram by then is not coming (a wrong key,
/// a firewall, a user who gave up); its port is closed, as mosh-server gives up too.
pub const FIRST_CONTACT_LIMIT: Duration = Duration::from_secs(60);
/// After its session ended, how long an endpoint waits for a silent client to come back
/// and acknowledge the final state ("session ended"), when the session has no
/// `--network-timeout`. A day outlasts a laptop asleep overnight or over a long trip,
/// so its user still learns the session ended instead of staring at "Last contact"
/// forever; and it is finite, so a client that never returns leaves no daemon behind
/// for longer than that. Waiting costs one heartbeat every 3 s.
pub const FINAL_STATE_LINGER: Duration = Duration::from_secs(24 * 60 * 60);

/// Names a link for as long as the daemon runs; never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u64);

/// What a link's task tells the mux.
#[derive(Debug)]
pub enum LinkEvent {
    /// User-stream events not delivered before, each exactly once.
    User(UserStream),
    /// The link ended on its own; the mux drops it.
    Gone(GoneReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoneReason {
    NeverConnected,
    Silent,
    /// The client acknowledged the final state.
    Finished,
    /// The SSP driver stopped: a fatal protocol error or a socket failure.
    DriverStopped,
    /// The session ended and its client never acknowledged the final state: it stayed
    /// silent for the network timeout, or for [`FINAL_STATE_LINGER`].
    SilentAfterEnd,
    /// The client said it detaches.
    Detached,
    /// A reattach to the session found the client silent too long (`Mux::reclaim_silent`).
    Reclaimed,
}

/// A state for the client, and whether it is the last one (the session ended).
#[derive(Clone)]
struct Publication {
    state: Arc<HostState>,
    last: bool,
}

/// The mux's side of one endpoint.
pub struct ClientLink {
    /// The session the client is attached to.
    pub session: String,
    pub port: u16,
    /// The client's pane area, once it has said (its first `Resize`).
    pub size: Option<Size>,
    /// When the client last attached or sent input, on the mux's activity clock.
    pub active_at: u64,
    published: watch::Sender<Publication>,
    /// The SSP driver's status, to tell how long the client has been silent.
    status: watch::Receiver<driver::Status>,
    opened: Instant,
    finishing: bool,
    task: JoinHandle<()>,
}

/// How long a link lives without hearing from its client.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime {
    pub first_contact: Duration,
    /// `None`: a client that went silent keeps its endpoint forever, as in mosh.
    pub silence: Option<Duration>,
}

/// Binds the first free port in `ports` on `bind`. Only "in use" moves on to the next
/// port; any other failure (an address this host lacks, a privileged port) is the same
/// for every port and is reported at once.
pub fn bind_port(bind: IpAddr, ports: (u16, u16)) -> Result<std::net::UdpSocket, String> {
    for port in ports.0..=ports.1 {
        match std::net::UdpSocket::bind(SocketAddr::new(bind, port)) {
            Ok(socket) => return Ok(socket),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(format!("cannot open UDP port {port} on {bind}: {e}")),
        }
    }
    Err(format!(
        "no free UDP port in {}:{} on {bind}",
        ports.0, ports.1
    ))
}

impl ClientLink {
    /// Starts SSP on `socket` with `key`, and the task that runs the link. Must run
    /// inside the daemon's tokio runtime.
    pub fn start(
        id: ClientId,
        session: String,
        socket: std::net::UdpSocket,
        key: &SessionKey,
        lifetime: Lifetime,
        events: mpsc::Sender<(ClientId, LinkEvent)>,
    ) -> std::io::Result<ClientLink> {
        socket.set_nonblocking(true)?;
        let port = socket.local_addr()?.port();
        let socket = tokio::net::UdpSocket::from_std(socket)?;
        let now = Instant::now();
        let connection =
            Connection::new_server(key, HostState::default(), UserStream::default(), now);
        let (driver, handle) = driver::drive(socket, connection)?;
        let status = handle.status_watch();
        let driver = tokio::spawn(driver.run());
        let (published, watched) = watch::channel(Publication {
            state: Arc::new(HostState::default()),
            last: false,
        });
        let task = tokio::spawn(run(id, handle, driver, watched, events, lifetime, now));
        Ok(ClientLink {
            session,
            port,
            size: None,
            active_at: 0,
            published,
            status,
            opened: now,
            finishing: false,
            task,
        })
    }

    /// Hands the client a new state, unless it has that one already.
    pub fn publish(&self, state: &Arc<HostState>) {
        if self.finishing {
            return;
        }
        self.published.send_if_modified(|current| {
            let changed = !Arc::ptr_eq(&current.state, state) && *current.state != **state;
            if changed {
                current.state = Arc::clone(state);
            }
            changed
        });
    }

    /// The state last handed to the client, to compose the next one from.
    pub fn last_published(&self) -> Arc<HostState> {
        Arc::clone(&self.published.borrow().state)
    }

    /// Sends the final state; the link ends once the client has it, or once the client
    /// has been silent for the network timeout (without one, [`FINAL_STATE_LINGER`]).
    pub fn finish(&mut self, state: HostState) {
        self.finishing = true;
        self.published.send_replace(Publication {
            state: Arc::new(state),
            last: true,
        });
    }

    /// How long the client has been silent at `now`: since its newest authentic
    /// datagram, or since the endpoint opened if none came yet.
    pub fn silent_for(&self, now: Instant) -> Duration {
        let since = self.status.borrow().last_heard.unwrap_or(self.opened);
        now.saturating_duration_since(since)
    }

    pub fn is_finishing(&self) -> bool {
        self.finishing
    }
}

impl Drop for ClientLink {
    fn drop(&mut self) {
        // The task owns the driver's handle; dropping it stops the driver and closes the
        // socket.
        self.task.abort();
    }
}

async fn run(
    id: ClientId,
    mut handle: DriverHandle<HostState, UserStream>,
    driver: JoinHandle<Result<(), driver::DriverError>>,
    mut published: watch::Receiver<Publication>,
    events: mpsc::Sender<(ClientId, LinkEvent)>,
    lifetime: Lifetime,
    opened: Instant,
) {
    // Changes handed to the driver, to know when its status speaks of the newest.
    let mut updates = 0u64;
    let mut log = LinkLog::default();
    let reason = loop {
        let heard = handle.status().last_heard;
        let deadline = match heard {
            None => Some(opened + lifetime.first_contact),
            Some(heard) => lifetime.silence.map(|silence| heard + silence),
        };
        tokio::select! {
            changed = published.changed() => {
                if changed.is_err() {
                    return;
                }
                let publication = published.borrow_and_update().clone();
                let state = publication.state;
                let applied = handle.update_local(move |local| *local = (*state).clone()).await;
                if applied.is_err() {
                    break GoneReason::DriverStopped;
                }
                updates += 1;
                if publication.last {
                    let limit = lifetime.silence.unwrap_or(FINAL_STATE_LINGER);
                    break wait_for_final_ack(&mut handle, updates, limit).await;
                }
            }
            update = handle.recv_remote() => match update {
                Some(stream) => {
                    log.note(id, &handle.status());
                    if events.send((id, LinkEvent::User(stream))).await.is_err() {
                        return;
                    }
                }
                None => break GoneReason::DriverStopped,
            },
            () = sleep_until(deadline), if deadline.is_some() => {
                let now = Instant::now();
                if deadline.is_some_and(|deadline| now >= deadline) {
                    // Heard in the meantime? The next turn computes a later deadline.
                    if handle.status().last_heard == heard {
                        break if heard.is_none() {
                            GoneReason::NeverConnected
                        } else {
                            GoneReason::Silent
                        };
                    }
                }
            }
        }
    };
    if reason == GoneReason::DriverStopped {
        drop(handle);
        match driver.await {
            Ok(Err(error)) => tracing::warn!(client = id.0, %error, "client link failed"),
            Ok(Ok(())) => {}
            Err(error) => tracing::warn!(client = id.0, %error, "client driver task failed"),
        }
    }
    let _ = events.send((id, LinkEvent::Gone(reason))).await;
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await;
    }
}

/// Waits until the client has acknowledged the final state (the `updates`-th change):
/// the link has then done its job. A client never heard from cannot receive anything,
/// and one silent for `limit` is taken for gone. Input from the client meanwhile goes
/// nowhere (its session is gone). No polling: the driver's status changes at least with
/// every datagram in or out, a heartbeat every 3 s while the client is away.
async fn wait_for_final_ack(
    handle: &mut DriverHandle<HostState, UserStream>,
    updates: u64,
    limit: Duration,
) -> GoneReason {
    let mut status = handle.status_watch();
    loop {
        let (heard, acked) = {
            let now = status.borrow_and_update();
            (
                now.last_heard,
                now.local_updates == updates && now.local_acked,
            )
        };
        let Some(heard) = heard else {
            return GoneReason::NeverConnected;
        };
        if acked {
            return GoneReason::Finished;
        }
        tokio::select! {
            changed = status.changed() => {
                if changed.is_err() {
                    return GoneReason::DriverStopped;
                }
            }
            update = handle.recv_remote() => {
                if update.is_none() {
                    return GoneReason::DriverStopped;
                }
            }
            () = sleep_until(Some(heard + limit)) => {
                if status.borrow().last_heard == Some(heard) {
                    return GoneReason::SilentAfterEnd;
                }
            }
        }
    }
}

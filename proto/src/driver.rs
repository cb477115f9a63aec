//! Runs a [`Connection`] on a tokio `UdpSocket`: the one place that reads the clock and
//! touches a socket on the protocol's behalf.
//!
//! The application holds a [`DriverHandle`]: it changes the local state through it,
//! receives the peer's state from it, and reads the link's [`Status`]. The [`Driver`]
//! itself is a future to spawn; it ends when the handle is dropped or the connection
//! fails for good.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{sleep_until, Instant};

use crate::connection::{Connection, Stats};
use crate::error::{ConnectionError, DatagramError};
use crate::state::SyncState;

/// Largest datagram the driver reads; longer ones are truncated (and fail authentication).
const MAX_DATAGRAM: usize = 65_535;

/// Commands waiting for the driver; the application waits when it runs this far ahead.
const COMMAND_QUEUE: usize = 64;

/// Why the driver stopped.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error("socket: {0}")]
    Io(#[from] io::Error),
}

/// What the application may want to show about the link ("Last contact 12 s ago").
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub local_addr: SocketAddr,
    pub remote_addr: Option<SocketAddr>,
    pub last_heard: Option<std::time::Instant>,
    pub srtt: Duration,
    pub stats: Stats,
    /// How many `update_local` changes the driver has applied, so the application can
    /// tell that `local_acked` speaks of a state that includes its latest change.
    pub local_updates: u64,
    /// The peer acknowledged the local state as of `local_updates` changes.
    pub local_acked: bool,
    /// [`Connection::local_acked_progress`]: on the client, how many user-stream events
    /// the server has acknowledged, whatever was pushed since.
    pub local_acked_progress: u64,
}

type Update<L> = Box<dyn FnOnce(&mut L) + Send>;

enum Command<L> {
    UpdateLocal(Update<L>),
    Rebind(oneshot::Sender<io::Result<SocketAddr>>),
}

/// The application's side of a running [`Driver`]. Dropping it stops the driver.
pub struct DriverHandle<L, R> {
    commands: mpsc::Sender<Command<L>>,
    remote: mpsc::Receiver<R>,
    status: watch::Receiver<Status>,
}

/// The loop that owns the socket and the connection. Spawn [`Driver::run`].
pub struct Driver<L, R> {
    socket: UdpSocket,
    connection: Connection<L, R>,
    commands: mpsc::Receiver<Command<L>>,
    remote: mpsc::Sender<R>,
    status: watch::Sender<Status>,
    /// The remote state number the application has been given.
    delivered_num: u64,
    /// `update_local` changes applied so far.
    local_updates: u64,
}

/// Pairs a connection with its socket. The remote channel holds one update: while the
/// application has not taken it, newer states accumulate inside the connection
/// ([`Connection::take_remote_update`]), so a slow reader gets the newest snapshot, or all
/// of a stream's new events, in one piece.
pub fn drive<L, R>(
    socket: UdpSocket,
    connection: Connection<L, R>,
) -> io::Result<(Driver<L, R>, DriverHandle<L, R>)>
where
    L: SyncState,
    R: SyncState,
{
    let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (remote_tx, remote_rx) = mpsc::channel(1);
    let (status_tx, status_rx) = watch::channel(status_of(&socket, &connection, 0)?);
    let driver = Driver {
        delivered_num: connection.remote_state_num(),
        local_updates: 0,
        socket,
        connection,
        commands: command_rx,
        remote: remote_tx,
        status: status_tx,
    };
    let handle = DriverHandle {
        commands: command_tx,
        remote: remote_rx,
        status: status_rx,
    };
    Ok((driver, handle))
}

fn status_of<L: SyncState, R: SyncState>(
    socket: &UdpSocket,
    connection: &Connection<L, R>,
    local_updates: u64,
) -> io::Result<Status> {
    Ok(Status {
        local_addr: socket.local_addr()?,
        remote_addr: connection.remote_addr(),
        last_heard: connection.last_heard(),
        srtt: connection.srtt(),
        stats: connection.stats().clone(),
        local_updates,
        local_acked: connection.local_acked(),
        local_acked_progress: connection.local_acked_progress(),
    })
}

fn stopped() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the connection driver has stopped",
    )
}

impl<L, R> DriverHandle<L, R> {
    /// Changes the local state in place (push a key to a stream, replace a screen).
    pub async fn update_local(
        &self,
        update: impl FnOnce(&mut L) + Send + 'static,
    ) -> io::Result<()> {
        let command = Command::UpdateLocal(Box::new(update));
        self.commands.send(command).await.map_err(|_| stopped())
    }

    /// What changed in the peer's state ([`Connection::take_remote_update`]); `None` once
    /// the driver has stopped.
    pub async fn recv_remote(&mut self) -> Option<R> {
        self.remote.recv().await
    }

    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// The status for another part of the application than the one holding the handle
    /// (a server's registry of clients asking how long each has been silent).
    pub fn status_watch(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }

    /// Moves the client to a fresh local port, as mosh does when it has heard nothing for
    /// a while: a NAT or firewall that lost the old mapping gets a new one. Returns the new
    /// local address.
    pub async fn rebind(&self) -> io::Result<SocketAddr> {
        let (reply, result) = oneshot::channel();
        self.commands
            .send(Command::Rebind(reply))
            .await
            .map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())?
    }
}

impl<L, R> Driver<L, R>
where
    L: SyncState,
    R: SyncState,
{
    /// Runs until the handle is dropped (`Ok`) or the connection or socket fails.
    pub async fn run(mut self) -> Result<(), DriverError> {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            self.transmit().await;
            // A fatal error can also arise while sending (the key ran out).
            if let Some(error) = self.connection.error() {
                return Err(error.clone().into());
            }
            self.status.send_if_modified(|status| {
                let Ok(fresh) = status_of(&self.socket, &self.connection, self.local_updates)
                else {
                    return false;
                };
                let changed = fresh != *status;
                *status = fresh;
                changed
            });
            let deadline = self.connection.poll_timeout().map(Instant::from_std);
            let update_pending = self.connection.remote_state_num() != self.delivered_num;
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((len, from)) => {
                        let result = self.connection.handle_datagram(now(), from, &buf[..len]);
                        // Any other refusal is counted in the connection's stats.
                        if let Err(DatagramError::Closed(error)) = result {
                            return Err(error.into());
                        }
                    }
                    Err(error) if transient(&error) => {}
                    Err(error) => return Err(error.into()),
                },
                () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    self.connection.handle_timeout(now())?;
                }
                // An owned permit: a borrowed one would hold `self` through every branch.
                permit = self.remote.clone().reserve_owned(), if update_pending => {
                    let update = self.connection.take_remote_update();
                    self.delivered_num = self.connection.remote_state_num();
                    // If the application dropped its receiver it wants no updates.
                    if let Ok(permit) = permit {
                        permit.send(update);
                    }
                }
                command = self.commands.recv() => match command {
                    None => return Ok(()),
                    Some(Command::UpdateLocal(update)) => {
                        let mut state = self.connection.local_state().clone();
                        update(&mut state);
                        self.connection.set_local_state(state, now());
                        self.local_updates += 1;
                    }
                    Some(Command::Rebind(reply)) => {
                        let _ = reply.send(self.rebind().await);
                    }
                },
            }
        }
    }

    /// Sends everything the connection has due. A failed send is not fatal: the network
    /// may be down for a while, and the protocol retransmits.
    async fn transmit(&mut self) {
        while let Some(transmit) = self.connection.poll_transmit(now()) {
            let _ = self
                .socket
                .send_to(&transmit.contents, transmit.destination)
                .await;
        }
    }

    async fn rebind(&mut self) -> io::Result<SocketAddr> {
        let ip = self.socket.local_addr()?.ip();
        let fresh = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        let addr = fresh.local_addr()?;
        self.socket = fresh;
        // A client on a fresh port takes its next connection id (a server's stays).
        if let Some(server) = self.connection.remote_addr() {
            self.connection.migrate(server);
        }
        Ok(addr)
    }
}

/// The only clock reading in the protocol: tokio's, so a paused test clock applies too.
fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// Errors a UDP socket may report for an earlier datagram (an ICMP answer), after which
/// it keeps working.
fn transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SessionKey;
    use crate::state::testing::{text, Text};

    /// How long any wait may take before the test fails: generous for a loaded machine.
    const DEADLINE: Duration = Duration::from_secs(20);

    async fn pair() -> (DriverHandle<Text, Text>, DriverHandle<Text, Text>) {
        let key = SessionKey::from_bytes([7; 16]);
        let server_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server_socket.local_addr().unwrap();
        let client_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = Connection::new_server(&key, text(""), text(""), now());
        let client = Connection::new_client(&key, server_addr, text(""), text(""), now());
        let (server_driver, server) = drive(server_socket, server).unwrap();
        let (client_driver, client) = drive(client_socket, client).unwrap();
        tokio::spawn(server_driver.run());
        tokio::spawn(client_driver.run());
        (client, server)
    }

    /// Receives updates until one equals `expected`.
    async fn expect_remote(handle: &mut DriverHandle<Text, Text>, expected: &str) {
        let wait = async {
            while let Some(update) = handle.recv_remote().await {
                if update == text(expected) {
                    return;
                }
            }
            panic!("the driver stopped before {expected:?} arrived");
        };
        tokio::time::timeout(DEADLINE, wait)
            .await
            .unwrap_or_else(|_| panic!("{expected:?} never arrived"));
    }

    #[tokio::test]
    async fn states_cross_both_ways_and_survive_a_rebind() {
        let (mut client, mut server) = pair().await;
        client.update_local(|s| *s = text("ls")).await.unwrap();
        expect_remote(&mut server, "ls").await;
        server.update_local(|s| *s = text("a.txt")).await.unwrap();
        expect_remote(&mut client, "a.txt").await;
        // The server learns that its state arrived.
        let acked = async {
            loop {
                let status = server.status();
                if status.local_updates == 1 && status.local_acked {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(DEADLINE, acked)
            .await
            .expect("the client acknowledged the server's state");

        let old = client.status().local_addr;
        let fresh = client.rebind().await.unwrap();
        assert_ne!(old, fresh);
        assert_eq!(client.status().local_addr, fresh);
        client.update_local(|s| *s = text("ls -l")).await.unwrap();
        expect_remote(&mut server, "ls -l").await;
        // The server now answers the new port.
        assert_eq!(server.status().remote_addr, Some(fresh));
        server
            .update_local(|s| *s = text("a.txt b.txt"))
            .await
            .unwrap();
        expect_remote(&mut client, "a.txt b.txt").await;
        assert!(client.status().last_heard.is_some());
    }

    #[tokio::test]
    async fn the_client_learns_how_many_events_the_server_holds() {
        use crate::{UserEvent, UserStream};
        let key = SessionKey::from_bytes([3; 16]);
        let server_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server_socket.local_addr().unwrap();
        let client_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = Connection::new_server(&key, text(""), UserStream::default(), now());
        let client =
            Connection::new_client(&key, server_addr, UserStream::default(), text(""), now());
        let (server_driver, _server) = drive(server_socket, server).unwrap();
        let (client_driver, client) = drive(client_socket, client).unwrap();
        tokio::spawn(server_driver.run());
        tokio::spawn(client_driver.run());
        assert_eq!(client.status().local_acked_progress, 0);
        for keys in [&b"l"[..], b"s", b"\r"] {
            let event = UserEvent::Keys(keys.to_vec());
            client.update_local(move |s| s.push(event)).await.unwrap();
        }
        let acked = async {
            while client.status().local_acked_progress < 3 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(DEADLINE, acked)
            .await
            .expect("the server acknowledged the three events");
        assert_eq!(client.status().local_acked_progress, 3);
    }

    #[tokio::test]
    async fn dropping_the_handle_ends_the_driver() {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let key = SessionKey::from_bytes([1; 16]);
        let connection = Connection::new_server(&key, text(""), text(""), now());
        let (driver, handle) = drive(socket, connection).unwrap();
        let running = tokio::spawn(driver.run());
        drop(handle);
        let result = tokio::time::timeout(DEADLINE, running)
            .await
            .unwrap()
            .unwrap();
        assert!(result.is_ok());
    }
}

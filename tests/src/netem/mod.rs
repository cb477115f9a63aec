//! A userspace link emulator: a UDP proxy that gives each direction its own loss, delay,
//! jitter, reordering, duplication and rate limit, and adds blackouts and roaming.
//!
//! Kernel netem needs root and a network namespace; this needs neither, so every test can
//! run its own link on loopback. The client sends to the emulator's listen address; the
//! emulator forwards to the server from its own upstream socket and sends the server's
//! replies back to the client's newest address. Roaming swaps the upstream socket, so the
//! server sees a new source port exactly as it would when a laptop changes network. On
//! request it records the datagrams it carries, for tests that replay real traffic.
//!
//! Every random decision comes from a per-direction ChaCha8 stream seeded from
//! [`LinkConfig::seed`], and each datagram draws the same number of values whatever
//! happens to it. So the same seed and the same arrival order give the same fate to each
//! datagram, even when timing differs between runs.
//!
//! This file is the handle tests hold; the task it talks to is in `link`, what decides a
//! datagram's delivery time in `schedule`, and the plain data callers pass and read back
//! in `config` and `counters`.

mod config;
mod counters;
mod link;
pub mod schedule;

pub use config::{Blackout, DirectionConfig, LinkConfig, DEFAULT_REORDER_HOLD};
pub use counters::{Count, Counters, DirectionCounters, Recording};

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use link::Link;

/// A running emulator. Dropping it stops the emulator and closes its sockets.
pub struct Netem {
    listen_addr: SocketAddr,
    commands: mpsc::UnboundedSender<Command>,
    counters: Arc<Mutex<Counters>>,
}

/// Requests from the handle to the link task, which alone owns the sockets and the queue.
enum Command {
    Roam(oneshot::Sender<io::Result<SocketAddr>>),
    RoamTo(SocketAddr, oneshot::Sender<io::Result<SocketAddr>>),
    Blackout { from: Instant, until: Instant },
    SetDirections(Box<(DirectionConfig, DirectionConfig)>),
    Record(usize),
    Recorded(oneshot::Sender<Recording>),
}

impl Netem {
    /// Binds `listen` (port 0 picks one) and starts forwarding to `server` on the current
    /// tokio runtime. The upstream socket binds to `listen`'s address with a fresh port.
    pub async fn start(
        listen: SocketAddr,
        server: SocketAddr,
        config: LinkConfig,
    ) -> io::Result<Netem> {
        config.to_server.validate()?;
        config.to_client.validate()?;
        let listen_socket = UdpSocket::bind(listen).await?;
        let listen_addr = listen_socket.local_addr()?;
        let upstream = UdpSocket::bind(SocketAddr::new(listen_addr.ip(), 0)).await?;
        let counters = Arc::new(Mutex::new(Counters::default()));
        let (commands, command_rx) = mpsc::unbounded_channel();
        let link = Link::new(
            listen_socket,
            upstream,
            server,
            config,
            Arc::clone(&counters),
        );
        tokio::spawn(link.run(command_rx));
        Ok(Netem {
            listen_addr,
            commands,
            counters,
        })
    }

    /// The address clients send to.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen_addr
    }

    pub fn counters(&self) -> Counters {
        *self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the server-facing socket with a fresh one and returns its address. Replies
    /// the server sends to the old address are lost, as after a real network change.
    pub async fn roam(&self) -> io::Result<SocketAddr> {
        let (reply, result) = oneshot::channel();
        self.send(Command::Roam(reply))?;
        result.await.map_err(|_| stopped())?
    }

    /// Roams as [`Netem::roam`] does, onto a network where the server is `server` (another
    /// of its addresses, of another family even): the fresh socket is on the loopback of
    /// `server`'s family, so a roam from IPv4 to IPv6 is a move between families.
    pub async fn roam_to(&self, server: SocketAddr) -> io::Result<SocketAddr> {
        let (reply, result) = oneshot::channel();
        self.send(Command::RoamTo(server, reply))?;
        result.await.map_err(|_| stopped())?
    }

    /// Drops everything, both ways, from now for `duration`.
    pub fn blackout(&self, duration: Duration) -> io::Result<()> {
        let from = Instant::now();
        self.send(Command::Blackout {
            from,
            until: from + duration,
        })
    }

    /// Changes how each direction treats datagrams from now on. The random streams carry on
    /// where they were.
    pub fn set_directions(
        &self,
        to_server: DirectionConfig,
        to_client: DirectionConfig,
    ) -> io::Result<()> {
        to_server.validate()?;
        to_client.validate()?;
        self.send(Command::SetDirections(Box::new((to_server, to_client))))
    }

    /// Starts a fresh recording that keeps the next `limit` datagrams of each direction.
    pub fn record(&self, limit: usize) -> io::Result<()> {
        self.send(Command::Record(limit))
    }

    /// What was recorded since [`Netem::record`].
    pub async fn recorded(&self) -> io::Result<Recording> {
        let (reply, result) = oneshot::channel();
        self.send(Command::Recorded(reply))?;
        result.await.map_err(|_| stopped())
    }

    fn send(&self, command: Command) -> io::Result<()> {
        self.commands.send(command).map_err(|_| stopped())
    }
}

fn stopped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the link emulator has stopped")
}

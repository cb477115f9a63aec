//! The task behind a [`Netem`](super::Netem): the only owner of the two sockets and the
//! queue of datagrams in flight, so no lock guards them. It decides each datagram's fate on
//! arrival, delivers what is due, and carries out the handle's commands (roaming among
//! them: a fresh upstream socket gives the server a new source port).

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::sleep_until;

use super::schedule::{Dir, LinkSchedule};
use super::{Command, Counters, LinkConfig, Recording};

/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65_535;

/// The task that owns the sockets and the queue of datagrams in flight.
pub(super) struct Link {
    listen: UdpSocket,
    upstream: UdpSocket,
    server: SocketAddr,
    /// Where the newest datagram from the client came from; replies go there.
    client: Option<SocketAddr>,
    schedule: LinkSchedule,
    /// Blackout windows as [from, until).
    blackouts: Vec<(Instant, Instant)>,
    counters: Arc<Mutex<Counters>>,
    recording: Recording,
    /// Datagrams of each direction still to record.
    record_limit: usize,
}

impl Link {
    pub(super) fn new(
        listen: UdpSocket,
        upstream: UdpSocket,
        server: SocketAddr,
        config: LinkConfig,
        counters: Arc<Mutex<Counters>>,
    ) -> Link {
        // Blackouts count from now, the moment the emulator starts.
        let epoch = Instant::now();
        Link {
            listen,
            upstream,
            server,
            client: None,
            blackouts: config
                .blackouts
                .iter()
                .map(|b| (epoch + b.start, epoch + b.start + b.duration))
                .collect(),
            schedule: LinkSchedule::new(config, epoch),
            counters,
            recording: Recording::default(),
            record_limit: 0,
        }
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut from_client = vec![0u8; MAX_DATAGRAM];
        let mut from_server = vec![0u8; MAX_DATAGRAM];
        loop {
            let next_delivery = self.schedule.next_at();
            // Biased, commands first: a blackout requested before a datagram was sent
            // applies to that datagram.
            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => return,
                },
                () = sleep_until(next_delivery.unwrap_or_else(Instant::now).into()),
                    if next_delivery.is_some() => self.deliver_due(),
                received = self.listen.recv_from(&mut from_client) => match received {
                    Ok((len, from)) => {
                        self.client = Some(from);
                        self.admit(Dir::ToServer, &from_client[..len]);
                    }
                    Err(e) if transient(&e) => {}
                    Err(_) => return,
                },
                received = self.upstream.recv_from(&mut from_server) => match received {
                    // Only the server may answer; anything else on this port is noise.
                    Ok((len, from)) if from == self.server => {
                        self.admit(Dir::ToClient, &from_server[..len]);
                    }
                    Ok(_) => {}
                    Err(e) if transient(&e) => {}
                    Err(_) => return,
                },
            }
        }
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Roam(reply) => {
                let fresh = UdpSocket::bind(SocketAddr::new(self.listen_ip(), 0)).await;
                let result = fresh.and_then(|socket| {
                    let addr = socket.local_addr()?;
                    self.upstream = socket;
                    Ok(addr)
                });
                // The caller may have given up waiting; the roam stands anyway.
                let _ = reply.send(result);
            }
            Command::RoamTo(server, reply) => {
                let loopback = match server {
                    SocketAddr::V4(_) => std::net::IpAddr::from(std::net::Ipv4Addr::LOCALHOST),
                    SocketAddr::V6(_) => std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
                };
                let fresh = UdpSocket::bind(SocketAddr::new(loopback, 0)).await;
                let result = fresh.and_then(|socket| {
                    let addr = socket.local_addr()?;
                    self.upstream = socket;
                    self.server = server;
                    Ok(addr)
                });
                let _ = reply.send(result);
            }
            Command::Blackout { from, until } => self.blackouts.push((from, until)),
            Command::SetDirections(configs) => {
                let (to_server, to_client) = *configs;
                self.schedule.to_server.config = to_server;
                self.schedule.to_client.config = to_client;
            }
            Command::Record(limit) => {
                self.recording = Recording::default();
                self.record_limit = limit;
            }
            Command::Recorded(reply) => {
                let _ = reply.send(self.recording.clone());
            }
        }
    }

    fn listen_ip(&self) -> std::net::IpAddr {
        match self.listen.local_addr() {
            Ok(addr) => addr.ip(),
            Err(_) => self.server.ip(),
        }
    }

    fn in_blackout(&mut self, now: Instant) -> bool {
        self.blackouts.retain(|&(_, until)| until > now);
        self.blackouts
            .iter()
            .any(|&(from, until)| from <= now && now < until)
    }

    /// Decides the fate of a datagram that just reached the emulator.
    fn admit(&mut self, dir: Dir, datagram: &[u8]) {
        let now = Instant::now();
        let recorded = match dir {
            Dir::ToServer => &mut self.recording.to_server,
            Dir::ToClient => &mut self.recording.to_client,
        };
        if recorded.len() < self.record_limit {
            recorded.push(datagram.to_vec());
        }
        let blacked_out = self.in_blackout(now);
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        self.schedule
            .admit(dir, now, datagram, blacked_out, &mut counters);
    }

    fn deliver_due(&mut self) {
        let now = Instant::now();
        while let Some(datagram) = self.schedule.pop_due(now) {
            let blacked_out = self.in_blackout(now);
            let (socket, destination) = match datagram.dir {
                Dir::ToServer => (&self.upstream, Some(self.server)),
                Dir::ToClient => (&self.listen, self.client),
            };
            // The send happens under the counters' lock, so whoever sees a datagram arrive
            // and then reads the counters finds it counted.
            let mut all = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
            let counters = all.direction_mut(datagram.dir);
            let len = datagram.bytes.len();
            if blacked_out {
                counters.blacked_out.add(len);
                continue;
            }
            // A full send buffer drops the datagram, as a full interface queue would.
            let sent = destination.map(|to| socket.try_send_to(&datagram.bytes, to));
            match sent {
                Some(Ok(_)) => counters.delivered.add(len),
                Some(Err(_)) | None => counters.failed.add(len),
            }
        }
    }
}

/// Errors a UDP socket may report for an earlier datagram (an ICMP answer), after which it
/// keeps working.
fn transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    )
}

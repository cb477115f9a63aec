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

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, Instant};

/// Extra delay for a datagram picked for reordering, unless configured otherwise: long
/// enough to let a few datagrams of a burst overtake it.
pub const DEFAULT_REORDER_HOLD: Duration = Duration::from_millis(50);

/// Datagrams waiting in one direction beyond which new ones are dropped (and counted as
/// overflowed). It bounds the memory a sender can make a rate-limited link hold.
const MAX_IN_FLIGHT_PER_DIRECTION: u64 = 16_384;

/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65_535;

/// How one direction of the link treats datagrams.
#[derive(Clone, Debug, PartialEq)]
pub struct DirectionConfig {
    /// Probability (0..=1) that a datagram is lost.
    pub loss: f64,
    /// One-way delay added to every datagram.
    pub delay: Duration,
    /// Each datagram's delay varies uniformly within `delay +- jitter` (never below zero).
    /// Datagrams may overtake each other, as with kernel netem.
    pub jitter: Duration,
    /// Probability (0..=1) that a datagram is held back by `reorder_hold` on top of its delay.
    pub reorder: f64,
    /// Extra delay of a datagram picked for reordering.
    pub reorder_hold: Duration,
    /// Probability (0..=1) that a datagram is delivered twice (each copy with its own jitter).
    pub duplicate: f64,
    /// Bytes per second the direction can carry; datagrams queue behind each other.
    pub rate: Option<u64>,
}

impl Default for DirectionConfig {
    /// A clean link: no loss, no delay.
    fn default() -> Self {
        Self {
            loss: 0.0,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            reorder: 0.0,
            reorder_hold: DEFAULT_REORDER_HOLD,
            duplicate: 0.0,
            rate: None,
        }
    }
}

impl DirectionConfig {
    fn validate(&self) -> io::Result<()> {
        for (name, p) in [
            ("loss", self.loss),
            ("reorder", self.reorder),
            ("duplicate", self.duplicate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(invalid(format!(
                    "{name} probability {p} is not within 0..=1"
                )));
            }
        }
        if self.rate == Some(0) {
            return Err(invalid("rate must be above zero".to_string()));
        }
        Ok(())
    }
}

/// A window in which the link drops everything, both ways, including datagrams already in
/// flight that would arrive inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blackout {
    /// When the window opens, counted from [`Netem::start`].
    pub start: Duration,
    pub duration: Duration,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkConfig {
    pub to_server: DirectionConfig,
    pub to_client: DirectionConfig,
    pub seed: u64,
    pub blackouts: Vec<Blackout>,
}

impl LinkConfig {
    /// The same loss and delay each way (a round trip is twice `one_way`), no blackouts.
    pub fn symmetric(one_way: Duration, loss: f64, seed: u64) -> LinkConfig {
        let direction = DirectionConfig {
            loss,
            delay: one_way,
            ..DirectionConfig::default()
        };
        LinkConfig {
            to_server: direction.clone(),
            to_client: direction,
            seed,
            blackouts: Vec::new(),
        }
    }
}

/// A number of datagrams and their payload bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub packets: u64,
    pub bytes: u64,
}

impl Count {
    fn add(&mut self, len: usize) {
        self.packets += 1;
        self.bytes += len as u64;
    }
}

impl std::ops::Add for Count {
    type Output = Count;
    fn add(self, other: Count) -> Count {
        Count {
            packets: self.packets + other.packets,
            bytes: self.bytes + other.bytes,
        }
    }
}

/// What happened to the datagrams of one direction. Once nothing is in flight,
/// `sent + duplicated == delivered + dropped()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectionCounters {
    /// Datagrams the sender put on the link (that reached the emulator).
    pub sent: Count,
    /// Dropped by the random loss.
    pub lost: Count,
    /// Dropped because they arrived, or would have been delivered, during a blackout.
    pub blacked_out: Count,
    /// Dropped because too many datagrams were already waiting in this direction.
    pub overflowed: Count,
    /// Extra copies made by duplication.
    pub duplicated: Count,
    /// Handed to the receiver's socket.
    pub delivered: Count,
    /// The emulator's own send failed (or a reply came before any client was heard).
    pub failed: Count,
}

impl DirectionCounters {
    pub fn dropped(&self) -> Count {
        self.lost + self.blacked_out + self.overflowed + self.failed
    }

    /// Datagrams (sent or duplicated) that are neither delivered nor dropped yet.
    pub fn in_flight(&self) -> u64 {
        (self.sent.packets + self.duplicated.packets)
            .saturating_sub(self.delivered.packets + self.dropped().packets)
    }
}

impl fmt::Display for DirectionCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = [
            ("sent", self.sent),
            ("lost", self.lost),
            ("blacked_out", self.blacked_out),
            ("overflowed", self.overflowed),
            ("duplicated", self.duplicated),
            ("delivered", self.delivered),
            ("failed", self.failed),
        ];
        for (i, (name, count)) in fields.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{name}={}/{}B", count.packets, count.bytes)?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub to_server: DirectionCounters,
    pub to_client: DirectionCounters,
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "to_server {}", self.to_server)?;
        write!(f, "to_client {}", self.to_client)
    }
}

/// Copies of datagrams as they reached the emulator, in arrival order, whatever their fate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    pub to_server: Vec<Vec<u8>>,
    pub to_client: Vec<Vec<u8>>,
}

/// A running emulator. Dropping it stops the emulator and closes its sockets.
pub struct Netem {
    listen_addr: SocketAddr,
    commands: mpsc::UnboundedSender<Command>,
    counters: Arc<Mutex<Counters>>,
}

enum Command {
    Roam(oneshot::Sender<io::Result<SocketAddr>>),
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
        let epoch = Instant::now();
        let counters = Arc::new(Mutex::new(Counters::default()));
        let (commands, command_rx) = mpsc::unbounded_channel();
        let link = Link {
            listen: listen_socket,
            upstream,
            server,
            client: None,
            to_server: DirectionState::new(config.to_server, config.seed, Dir::ToServer),
            to_client: DirectionState::new(config.to_client, config.seed, Dir::ToClient),
            blackouts: config
                .blackouts
                .iter()
                .map(|b| (epoch + b.start, epoch + b.start + b.duration))
                .collect(),
            queue: BinaryHeap::new(),
            next_order: 0,
            counters: Arc::clone(&counters),
            recording: Recording::default(),
            record_limit: 0,
        };
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

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn stopped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the link emulator has stopped")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    ToServer,
    ToClient,
}

struct DirectionState {
    config: DirectionConfig,
    rng: ChaCha8Rng,
    /// When the rate-limited link finishes sending what is queued.
    link_free_at: Instant,
    in_flight: u64,
}

impl DirectionState {
    fn new(config: DirectionConfig, seed: u64, dir: Dir) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(dir as u64);
        Self {
            config,
            rng,
            link_free_at: Instant::now(),
            in_flight: 0,
        }
    }

    /// When a datagram of `len` bytes arriving `now` reaches the far end.
    fn arrival(&mut self, now: Instant, len: usize, draws: CopyDraws) -> Instant {
        let mut departure = now;
        if let Some(rate) = self.config.rate {
            let start = self.link_free_at.max(now);
            departure = start + Duration::from_secs_f64(len as f64 / rate as f64);
            self.link_free_at = departure;
        }
        let jitter = (2.0 * draws.jitter - 1.0) * self.config.jitter.as_secs_f64();
        let mut delay =
            Duration::from_secs_f64((self.config.delay.as_secs_f64() + jitter).max(0.0));
        if draws.reorder < self.config.reorder {
            delay += self.config.reorder_hold;
        }
        departure + delay
    }
}

/// The random values one datagram consumes, all drawn up front so that the stream advances
/// by the same amount whatever the datagram's fate.
struct PacketDraws {
    loss: f64,
    duplicate: f64,
    copies: [CopyDraws; 2],
}

#[derive(Clone, Copy)]
struct CopyDraws {
    jitter: f64,
    reorder: f64,
}

impl PacketDraws {
    fn draw(rng: &mut ChaCha8Rng) -> Self {
        let mut copy = || CopyDraws {
            jitter: rng.random(),
            reorder: rng.random(),
        };
        let copies = [copy(), copy()];
        Self {
            loss: rng.random(),
            duplicate: rng.random(),
            copies,
        }
    }
}

struct Scheduled {
    at: Instant,
    /// Breaks ties between equal instants in arrival order.
    order: u64,
    dir: Dir,
    datagram: Vec<u8>,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

/// The task that owns the sockets and the queue of datagrams in flight.
struct Link {
    listen: UdpSocket,
    upstream: UdpSocket,
    server: SocketAddr,
    /// Where the newest datagram from the client came from; replies go there.
    client: Option<SocketAddr>,
    to_server: DirectionState,
    to_client: DirectionState,
    /// Blackout windows as [from, until).
    blackouts: Vec<(Instant, Instant)>,
    queue: BinaryHeap<Reverse<Scheduled>>,
    next_order: u64,
    counters: Arc<Mutex<Counters>>,
    recording: Recording,
    /// Datagrams of each direction still to record.
    record_limit: usize,
}

impl Link {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut from_client = vec![0u8; MAX_DATAGRAM];
        let mut from_server = vec![0u8; MAX_DATAGRAM];
        loop {
            let next_delivery = self.queue.peek().map(|Reverse(s)| s.at);
            // Biased, commands first: a blackout requested before a datagram was sent
            // applies to that datagram.
            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => return,
                },
                () = sleep_until(next_delivery.unwrap_or_else(Instant::now)),
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
            Command::Blackout { from, until } => self.blackouts.push((from, until)),
            Command::SetDirections(configs) => {
                let (to_server, to_client) = *configs;
                self.to_server.config = to_server;
                self.to_client.config = to_client;
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
        let state = match dir {
            Dir::ToServer => &mut self.to_server,
            Dir::ToClient => &mut self.to_client,
        };
        let draws = PacketDraws::draw(&mut state.rng);
        let mut all = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let counters = match dir {
            Dir::ToServer => &mut all.to_server,
            Dir::ToClient => &mut all.to_client,
        };
        let len = datagram.len();
        counters.sent.add(len);
        if blacked_out {
            counters.blacked_out.add(len);
            return;
        }
        if draws.loss < state.config.loss {
            counters.lost.add(len);
            return;
        }
        let copies = if draws.duplicate < state.config.duplicate {
            counters.duplicated.add(len);
            2
        } else {
            1
        };
        for copy in draws.copies.into_iter().take(copies) {
            if state.in_flight >= MAX_IN_FLIGHT_PER_DIRECTION {
                counters.overflowed.add(len);
                continue;
            }
            state.in_flight += 1;
            let at = state.arrival(now, len, copy);
            self.queue.push(Reverse(Scheduled {
                at,
                order: self.next_order,
                dir,
                datagram: datagram.to_vec(),
            }));
            self.next_order += 1;
        }
    }

    fn deliver_due(&mut self) {
        let now = Instant::now();
        while self.queue.peek().is_some_and(|Reverse(s)| s.at <= now) {
            let Some(Reverse(scheduled)) = self.queue.pop() else {
                break;
            };
            let blacked_out = self.in_blackout(now);
            let (state, socket, destination) = match scheduled.dir {
                Dir::ToServer => (&mut self.to_server, &self.upstream, Some(self.server)),
                Dir::ToClient => (&mut self.to_client, &self.listen, self.client),
            };
            state.in_flight -= 1;
            // The send happens under the counters' lock, so whoever sees a datagram arrive
            // and then reads the counters finds it counted.
            let mut all = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
            let counters = match scheduled.dir {
                Dir::ToServer => &mut all.to_server,
                Dir::ToClient => &mut all.to_client,
            };
            let len = scheduled.datagram.len();
            if blacked_out {
                counters.blacked_out.add(len);
                continue;
            }
            // A full send buffer drops the datagram, as a full interface queue would.
            let sent = destination.map(|to| socket.try_send_to(&scheduled.datagram, to));
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

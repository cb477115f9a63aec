//! When a datagram reaches the far end: per-direction random draws, rate limiting, delay,
//! jitter and reordering, and the order of the delivery queue. Kept apart from the socket
//! loop so the arithmetic that makes runs repeatable reads on its own, so the
//! whole-system simulator (`sim/`) gives datagrams the same fates on its virtual clock,
//! and so the IP-level link ([`crate::iplink`]) gives a TCP connection's packets the
//! fates this emulator gives UDP datagrams.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

use super::{Counters, DirectionConfig, DirectionCounters, LinkConfig};

/// Datagrams waiting in one direction beyond which new ones are dropped (and counted as
/// overflowed). It bounds the memory a sender can make a rate-limited link hold.
pub const MAX_IN_FLIGHT_PER_DIRECTION: u64 = 16_384;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// One direction of a link: its configuration and its own random stream.
pub struct DirectionState {
    pub config: DirectionConfig,
    pub(super) rng: ChaCha8Rng,
    /// When the rate-limited link finishes sending what is queued.
    link_free_at: Instant,
    pub(super) in_flight: u64,
}

/// What happens to one datagram.
pub enum Fate {
    Lost,
    /// It goes through, in one copy or (duplicated) two; [`DirectionState::arrival`] says
    /// when each copy reaches the far end.
    Copies(Vec<CopyDraws>),
}

impl DirectionState {
    pub fn new(config: DirectionConfig, seed: u64, dir: Dir, now: Instant) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(dir as u64);
        Self {
            config,
            rng,
            link_free_at: now,
            in_flight: 0,
        }
    }

    /// The fate of the next datagram, drawing the same random values whatever it is, so
    /// the stream stays in step whatever happens to each datagram.
    pub fn fate(&mut self) -> Fate {
        let draws = PacketDraws::draw(&mut self.rng);
        if draws.loss < self.config.loss {
            return Fate::Lost;
        }
        let copies = if draws.duplicate < self.config.duplicate {
            2
        } else {
            1
        };
        Fate::Copies(draws.copies.into_iter().take(copies).collect())
    }

    /// Draws the fate of a datagram of `len` bytes that reached the link `now` (inside a
    /// blackout or not), counts it, and returns when each copy that goes through reaches
    /// the far end: none if it is lost, blacked out or overflowed. The fate is drawn
    /// first whatever happens, so a blackout leaves the random stream in step.
    fn admit(
        &mut self,
        now: Instant,
        len: usize,
        blacked_out: bool,
        counters: &mut DirectionCounters,
    ) -> Vec<Instant> {
        let fate = self.fate();
        counters.sent.add(len);
        if blacked_out {
            counters.blacked_out.add(len);
            return Vec::new();
        }
        let copies = match fate {
            Fate::Lost => {
                counters.lost.add(len);
                return Vec::new();
            }
            Fate::Copies(copies) => copies,
        };
        if copies.len() > 1 {
            counters.duplicated.add(len);
        }
        let mut arrivals = Vec::with_capacity(copies.len());
        for copy in copies {
            if self.in_flight >= MAX_IN_FLIGHT_PER_DIRECTION {
                counters.overflowed.add(len);
                continue;
            }
            self.in_flight += 1;
            arrivals.push(self.arrival(now, len, copy));
        }
        arrivals
    }

    /// A copy [`DirectionState::admit`] scheduled has left the queue (delivered or not).
    fn left_queue(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// When a copy of a datagram of `len` bytes arriving `now` reaches the far end.
    pub fn arrival(&mut self, now: Instant, len: usize, draws: CopyDraws) -> Instant {
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

/// The random values of one copy of a datagram.
#[derive(Clone, Copy)]
pub struct CopyDraws {
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

/// Both directions of a link and the copies in flight between them: what the UDP
/// emulator's task and the IP link's task share, so a seed gives a datagram and an IP
/// packet the same fate.
pub struct LinkSchedule {
    pub to_server: DirectionState,
    pub to_client: DirectionState,
    queue: DeliveryQueue<Packet>,
}

/// A copy of a datagram (or IP packet) on its way in direction `dir`.
pub struct Packet {
    pub dir: Dir,
    pub bytes: Vec<u8>,
}

impl LinkSchedule {
    /// Each direction draws from its own stream of `config.seed`.
    pub fn new(config: LinkConfig, now: Instant) -> LinkSchedule {
        LinkSchedule {
            to_server: DirectionState::new(config.to_server, config.seed, Dir::ToServer, now),
            to_client: DirectionState::new(config.to_client, config.seed, Dir::ToClient, now),
            queue: DeliveryQueue::default(),
        }
    }

    pub fn direction_mut(&mut self, dir: Dir) -> &mut DirectionState {
        match dir {
            Dir::ToServer => &mut self.to_server,
            Dir::ToClient => &mut self.to_client,
        }
    }

    /// Decides the fate of `bytes`, which reached the link `now` going `dir`, counts it
    /// in `counters`, and queues the copies that go through
    /// ([`DirectionState::admit`]).
    pub fn admit(
        &mut self,
        dir: Dir,
        now: Instant,
        bytes: &[u8],
        blacked_out: bool,
        counters: &mut Counters,
    ) {
        let counters = counters.direction_mut(dir);
        for at in self
            .direction_mut(dir)
            .admit(now, bytes.len(), blacked_out, counters)
        {
            self.queue.push(
                at,
                Packet {
                    dir,
                    bytes: bytes.to_vec(),
                },
            );
        }
    }

    /// When the earliest copy is due, if any waits.
    pub fn next_at(&self) -> Option<Instant> {
        self.queue.next_at()
    }

    /// The earliest copy if it is due at `now`, out of its direction's count in flight.
    pub fn pop_due(&mut self, now: Instant) -> Option<Packet> {
        let packet = self.queue.pop_due(now)?;
        self.direction_mut(packet.dir).left_queue();
        Some(packet)
    }
}

/// One item waiting in a [`DeliveryQueue`].
struct Scheduled<T> {
    at: Instant,
    /// Breaks ties between equal instants in arrival order.
    order: u64,
    item: T,
}

/// Items in flight (datagrams, packets), earliest first; equal instants leave in the
/// order they came.
pub struct DeliveryQueue<T> {
    queue: BinaryHeap<Reverse<Scheduled<T>>>,
    next_order: u64,
}

impl<T> Default for DeliveryQueue<T> {
    fn default() -> Self {
        DeliveryQueue {
            queue: BinaryHeap::new(),
            next_order: 0,
        }
    }
}

impl<T> DeliveryQueue<T> {
    pub fn push(&mut self, at: Instant, item: T) {
        self.queue.push(Reverse(Scheduled {
            at,
            order: self.next_order,
            item,
        }));
        self.next_order += 1;
    }

    /// When the earliest item is due, if any waits.
    pub fn next_at(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse(s)| s.at)
    }

    /// The earliest item if it is due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.next_at()? > now {
            return None;
        }
        self.queue.pop().map(|Reverse(s)| s.item)
    }
}

impl<T> PartialEq for Scheduled<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T> Eq for Scheduled<T> {}
impl<T> PartialOrd for Scheduled<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Scheduled<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

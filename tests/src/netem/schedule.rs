//! When a datagram reaches the far end: per-direction random draws, rate limiting, delay,
//! jitter and reordering, and the order of the delivery queue. Kept apart from the socket
//! loop so the arithmetic that makes runs repeatable reads on its own, and so the
//! whole-system simulator (`sim/`) gives datagrams the same fates on its virtual clock.

use std::cmp::Ordering;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

use super::DirectionConfig;

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

pub(super) struct Scheduled {
    pub(super) at: Instant,
    /// Breaks ties between equal instants in arrival order.
    pub(super) order: u64,
    pub(super) dir: Dir,
    pub(super) datagram: Vec<u8>,
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

//! The path between one client and the server: each direction's loss, delay, jitter,
//! reordering and duplication drawn by the link emulator's own schedule (so a seed means
//! the same link here and through real sockets), plus blackouts, on the virtual clock.
//! Datagrams in flight wait in one queue for the whole world, in arrival order.

use moshmux_tests::netem::schedule::{DeliveryQueue, Dir, DirectionState, Fate};
use moshmux_tests::netem::LinkConfig;
use std::net::SocketAddr;
use std::time::Instant;

pub struct Link {
    to_server: DirectionState,
    to_client: DirectionState,
    /// Windows `[from, until)` in which nothing gets through, either way.
    blackouts: Vec<(Instant, Instant)>,
}

impl Link {
    pub fn new(config: &LinkConfig, now: Instant) -> Link {
        Link {
            to_server: DirectionState::new(
                config.to_server.clone(),
                config.seed,
                Dir::ToServer,
                now,
            ),
            to_client: DirectionState::new(
                config.to_client.clone(),
                config.seed,
                Dir::ToClient,
                now,
            ),
            blackouts: config
                .blackouts
                .iter()
                .map(|b| (now + b.start, now + b.start + b.duration))
                .collect(),
        }
    }

    pub fn blackout(&mut self, from: Instant, until: Instant) {
        self.blackouts.push((from, until));
    }

    pub fn blacked_out(&self, at: Instant) -> bool {
        self.blackouts
            .iter()
            .any(|&(from, until)| from <= at && at < until)
    }

    /// When the copies of a datagram sent `now` arrive (none: lost).
    fn arrivals(&mut self, dir: Dir, now: Instant, len: usize) -> Vec<Instant> {
        let state = match dir {
            Dir::ToServer => &mut self.to_server,
            Dir::ToClient => &mut self.to_client,
        };
        // The draws are taken whatever happens, so a blackout does not shift the stream.
        let fate = state.fate();
        if self.blacked_out(now) {
            return Vec::new();
        }
        match fate {
            Fate::Lost => Vec::new(),
            Fate::Copies(copies) => copies
                .into_iter()
                .map(|copy| match dir {
                    Dir::ToServer => self.to_server.arrival(now, len, copy),
                    Dir::ToClient => self.to_client.arrival(now, len, copy),
                })
                .collect(),
        }
    }
}

/// A datagram on its way.
pub struct InFlight {
    /// Index of the client whose link carries it.
    pub client: usize,
    pub to_server: bool,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub contents: Vec<u8>,
}

/// Every datagram in flight, soonest first (the emulator's own queue: equal instants
/// keep their order).
#[derive(Default)]
pub struct InFlightQueue {
    queue: DeliveryQueue<InFlight>,
}

/// One datagram handed to a link.
pub struct Send {
    pub client: usize,
    pub to_server: bool,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub contents: Vec<u8>,
}

impl InFlightQueue {
    /// Puts a datagram on `link`: lost, or queued once or twice.
    pub fn send(&mut self, link: &mut Link, send: Send, now: Instant) {
        let dir = if send.to_server {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        for at in link.arrivals(dir, now, send.contents.len()) {
            let datagram = InFlight {
                client: send.client,
                to_server: send.to_server,
                from: send.from,
                to: send.to,
                contents: send.contents.clone(),
            };
            self.queue.push(at, datagram);
        }
    }

    pub fn next_arrival(&self) -> Option<Instant> {
        self.queue.next_at()
    }

    /// The next datagram that has arrived by `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<InFlight> {
        self.queue.pop_due(now)
    }
}

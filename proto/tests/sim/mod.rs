//! A client and a server `Connection` joined by a simulated link, on a virtual clock that
//! jumps to the next deadline or arrival, so hours of lossy traffic run in milliseconds.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod log;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use moshmux_proto::crypto::{Cipher, Direction};
use moshmux_proto::{Connection, SessionKey};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use log::Log;

pub type Endpoint = Connection<Log, Log>;

pub fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

pub const SERVER: &str = "127.0.0.1:60001";
pub const CLIENT: &str = "127.0.0.1:40000";

pub fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// The session key of the pair made from `seed`.
pub fn key(seed: u64) -> SessionKey {
    SessionKey::from_bytes(seed.to_le_bytes().repeat(2).try_into().unwrap())
}

/// One direction of the simulated path.
#[derive(Debug, Clone)]
pub struct Link {
    pub delay: Duration,
    /// Extra delay, uniform in `0..jitter`; datagrams overtake each other when it exceeds
    /// their spacing.
    pub jitter: Duration,
    pub loss: f64,
    pub duplicate: f64,
    /// Nothing gets through.
    pub cut: bool,
}

impl Link {
    pub fn clean(delay: Duration) -> Link {
        Link {
            delay,
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            cut: false,
        }
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    at: Instant,
    order: u64,
    to_server: bool,
    from: SocketAddr,
    to: SocketAddr,
    contents: Vec<u8>,
}

pub struct Pair {
    pub client: Endpoint,
    pub server: Endpoint,
    pub now: Instant,
    pub to_server: Link,
    pub to_client: Link,
    /// The client's current address; datagrams still in flight to an old one are lost.
    pub client_addr: SocketAddr,
    pub server_addr: SocketAddr,
    /// Sequence numbers (the nonce tails, unmasked) of every datagram each side sent, in
    /// order.
    pub client_nonces: Vec<u64>,
    pub server_nonces: Vec<u64>,
    in_flight: BinaryHeap<Reverse<InFlight>>,
    order: u64,
    rng: ChaCha8Rng,
    /// The pair's key, to read the masked sequence numbers.
    cipher: Cipher,
    /// Steps taken without the clock moving: a bound on it catches livelock.
    stalled_steps: u32,
    next_item: u64,
}

const MAX_STALLED_STEPS: u32 = 1000;
const MAX_TRANSMITS_PER_FLUSH: usize = 1_000_000;

impl Pair {
    pub fn new(seed: u64, to_server: Link, to_client: Link) -> Pair {
        let key = key(seed);
        let now = Instant::now();
        let server_addr = addr(SERVER);
        Pair {
            client: Connection::new_client(&key, server_addr, Log::default(), Log::default(), now),
            server: Connection::new_server(&key, Log::default(), Log::default(), now),
            now,
            to_server,
            to_client,
            client_addr: addr(CLIENT),
            server_addr,
            client_nonces: Vec::new(),
            server_nonces: Vec::new(),
            in_flight: BinaryHeap::new(),
            order: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            cipher: Cipher::new(&key),
            stalled_steps: 0,
            next_item: 0,
        }
    }

    /// Both directions clean with this one-way delay.
    pub fn clean(seed: u64, delay: Duration) -> Pair {
        Pair::new(seed, Link::clean(delay), Link::clean(delay))
    }

    /// Ends loss, duplication, jitter and cuts; the delays stay.
    pub fn heal(&mut self) {
        self.to_server = Link::clean(self.to_server.delay);
        self.to_client = Link::clean(self.to_client.delay);
    }

    /// Both sides hold each other's newest state.
    pub fn converged(&self) -> bool {
        self.client.remote_state() == self.server.local_state()
            && self.server.remote_state() == self.client.local_state()
    }

    /// Appends a fresh number to the client's stream and returns it.
    pub fn client_push(&mut self) -> u64 {
        let item = self.fresh_item();
        let mut state = self.client.local_state().clone();
        state.push(item);
        self.client.set_local_state(state, self.now);
        item
    }

    pub fn server_push(&mut self) -> u64 {
        let item = self.fresh_item();
        let mut state = self.server.local_state().clone();
        state.push(item);
        self.server.set_local_state(state, self.now);
        item
    }

    fn fresh_item(&mut self) -> u64 {
        self.next_item += 1;
        self.next_item
    }

    pub fn run_for(&mut self, duration: Duration) {
        let deadline = self.now + duration;
        self.run_until(deadline, |_| false);
    }

    /// Runs until `done` holds (true) or the virtual clock reaches `deadline` (false).
    pub fn run_until(&mut self, deadline: Instant, mut done: impl FnMut(&Pair) -> bool) -> bool {
        loop {
            self.flush();
            if done(self) {
                return true;
            }
            if self.now >= deadline {
                return false;
            }
            self.step(deadline);
        }
    }

    fn step(&mut self, deadline: Instant) {
        let next = [
            self.client.poll_timeout(),
            self.server.poll_timeout(),
            self.in_flight.peek().map(|Reverse(d)| d.at),
        ]
        .into_iter()
        .flatten()
        .min()
        .map_or(deadline, |next| next.min(deadline))
        .max(self.now);
        if next == self.now {
            self.stalled_steps += 1;
            assert!(
                self.stalled_steps < MAX_STALLED_STEPS,
                "livelock: the clock stopped moving"
            );
        } else {
            self.stalled_steps = 0;
        }
        self.now = next;
        while self
            .in_flight
            .peek()
            .is_some_and(|Reverse(d)| d.at <= self.now)
        {
            let Reverse(datagram) = self.in_flight.pop().unwrap();
            if datagram.to_server && datagram.to == self.server_addr {
                let _ = self
                    .server
                    .handle_datagram(self.now, datagram.from, &datagram.contents);
            } else if !datagram.to_server && datagram.to == self.client_addr {
                let _ = self
                    .client
                    .handle_datagram(self.now, datagram.from, &datagram.contents);
            }
        }
        self.client.handle_timeout(self.now).unwrap();
        self.server.handle_timeout(self.now).unwrap();
    }

    /// Sends everything both sides have to send now into the link.
    pub fn flush(&mut self) {
        for _ in 0..MAX_TRANSMITS_PER_FLUSH {
            if let Some(transmit) = self.client.poll_transmit(self.now) {
                self.client_nonces
                    .push(seq(&self.cipher, Direction::ToServer, &transmit.contents));
                let from = self.client_addr;
                self.route(true, from, transmit.destination, transmit.contents);
            } else if let Some(transmit) = self.server.poll_transmit(self.now) {
                self.server_nonces
                    .push(seq(&self.cipher, Direction::ToClient, &transmit.contents));
                let from = self.server_addr;
                self.route(false, from, transmit.destination, transmit.contents);
            } else {
                return;
            }
        }
        panic!("livelock: endless datagrams at one instant");
    }

    fn route(&mut self, to_server: bool, from: SocketAddr, to: SocketAddr, contents: Vec<u8>) {
        let link = if to_server {
            &self.to_server
        } else {
            &self.to_client
        };
        if link.cut || self.rng.random_bool(link.loss) {
            return;
        }
        let copies = if self.rng.random_bool(link.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let link = if to_server {
                &self.to_server
            } else {
                &self.to_client
            };
            let at = self.now + link.delay + link.jitter.mul_f64(self.rng.random::<f64>());
            self.order += 1;
            self.in_flight.push(Reverse(InFlight {
                at,
                order: self.order,
                to_server,
                from,
                to,
                contents: contents.clone(),
            }));
        }
    }
}

/// The sequence number under a datagram's mask.
pub fn seq(cipher: &Cipher, direction: Direction, datagram: &[u8]) -> u64 {
    let opened = cipher.open(direction, datagram);
    opened.expect("a datagram of the pair's own opens").seq
}

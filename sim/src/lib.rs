//! The whole-system simulator: the server's real [`Mux`] over a real history store in a
//! temporary directory, real [`ClientCore`]s drawing into real terminal models, lossy
//! links drawn by the link emulator's schedule, scripted shells in the panes, and one
//! virtual clock that jumps to the next deadline. Nothing waits on the machine's clock,
//! so a ten-minute outage costs nothing and a seed replays exactly; the server can be
//! crashed at any step and restarted from its store, as `kill -9` would leave it.
//!
//! The model is TigerBeetle's and FoundationDB's simulation testing: production code
//! takes time, randomness and I/O from its caller, and the simulator is the caller.
//! Properties are checked by the tests in `tests/`, each over many seeds; a failing seed
//! is printed so that it replays.

mod host;
mod link;
pub mod program;
pub mod sweep;
mod terminal;

pub use host::SERVER_IP;
pub use moshmux_client::config::ClientConfig;
pub use moshmux_client::core::{ClientAction, Exit};
pub use moshmux_tests::netem::{Blackout, DirectionConfig, LinkConfig};
pub use terminal::UserTerminal;

use host::SimHost;
use link::{InFlightQueue, Link, Send};
use moshmux_client::core::ClientCore;
use moshmux_proto::{PaneId, SessionKey};
use moshmux_server::control::{self, PortChoice, Reply, Request};
use moshmux_server::mux::{Answer, Mux, MuxConfig};
use program::Step;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

/// Steps without the clock moving before the simulator calls it a livelock.
const MAX_STALLED_STEPS: u32 = 10_000;

/// The server: its mux and the machine it runs on. Gone while crashed.
struct Server {
    mux: Mux,
    host: SimHost,
}

/// One client: its core, the terminal it draws on, and its path to the server.
pub struct SimClient {
    pub core: ClientCore,
    pub terminal: UserTerminal,
    /// Where it sends from now; a roam or a rebind changes it.
    pub addr: SocketAddr,
    link: Link,
    /// How the session ended for it, once it did.
    pub exit: Option<Exit>,
    /// The newest of its datagrams that reached the server: what an onlooker who saw it
    /// arrive can replay, or forge from.
    pub last_delivered: Option<Vec<u8>>,
    next_port: u16,
}

pub struct Sim {
    pub now: Instant,
    start: Instant,
    pub seed: u64,
    rng: ChaCha8Rng,
    server: Option<Server>,
    pub clients: Vec<SimClient>,
    in_flight: InFlightQueue,
    dir: tempfile::TempDir,
    stalled: u32,
    /// The server address each client was given, by index.
    server_addrs: Vec<SocketAddr>,
    /// Datagrams the server sent, by destination address.
    sent_to: BTreeMap<IpAddr, u64>,
}

impl Sim {
    /// A fresh world: a server with an empty store, no session, no client.
    pub fn new(seed: u64) -> Sim {
        let now = Instant::now();
        // In memory where the machine has it: the store syncs every round, and the disk's
        // latency says nothing about the properties.
        let dir = tempfile::Builder::new()
            .prefix("moshmux-sim")
            .tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .expect("a temporary directory for the store");
        let mut sim = Sim {
            now,
            start: now,
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
            server: None,
            clients: Vec::new(),
            in_flight: InFlightQueue::default(),
            dir,
            stalled: 0,
            server_addrs: Vec::new(),
            sent_to: BTreeMap::new(),
        };
        sim.start_server();
        sim
    }

    /// Starts a server on the store as it is now (after a crash: what the dead one left).
    fn start_server(&mut self) {
        let history = moshmux_server::history::open(self.dir.path(), Default::default())
            .expect("the simulated server opens its store");
        let mux = Mux::new(MuxConfig {
            store: history.store,
            identity: "sim".to_owned(),
            host_name: "sim".to_owned(),
            orphans: history.orphans,
            agent_socket: None,
            daemon_environment: Default::default(),
        });
        let host = SimHost::new(ChaCha8Rng::seed_from_u64(self.rng_u64()), self.now);
        self.server = Some(Server { mux, host });
    }

    fn rng_u64(&mut self) -> u64 {
        rand::RngCore::next_u64(&mut self.rng)
    }

    /// The server dies at this instant, as under `kill -9`: no pane is ended, no client
    /// told. What the store had been handed is on disk (the store's own crash tests hold
    /// it to its one-second promise; here the bound is zero).
    pub fn crash_server(&mut self) {
        self.server = None;
    }

    /// A new server on the dead one's store.
    pub fn restart_server(&mut self) {
        assert!(self.server.is_none(), "the server is still running");
        self.start_server();
    }

    /// The calendar time, for what the server shows (`ls`).
    fn wall(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + (self.now - self.start)
    }

    /// The mux's answer to a control request, now.
    fn ask(&mut self, request: Request) -> Answer {
        let (now, wall) = (self.now, self.wall());
        let server = self.server.as_mut().expect("the server runs");
        server.host.set_now(now);
        server
            .mux
            .handle_request(now, wall, request, &mut server.host)
    }

    /// Runs a control request as `moshmux-server` would; a capture is read to the end.
    pub fn request(&mut self, request: Request) -> Result<String, String> {
        let result = match self.ask(request) {
            Answer::Reply(Reply::Ok(text) | Reply::Output(text)) => Ok(text),
            Answer::Reply(Reply::Error(line)) => Err(line),
            Answer::Reply(Reply::Connect(connect)) => Ok(format!("connect {}", connect.port)),
            Answer::Reply(Reply::ShuttingDown(())) => Err("shutting down".to_owned()),
            Answer::Stream(plan) => {
                let mut text = String::new();
                plan.render(|piece| {
                    text.push_str(&piece);
                    true
                })
                .map(|()| text)
            }
        };
        self.flush();
        result
    }

    /// `moshmux attach` to `session` (created if new) from a terminal of `size` (columns,
    /// rows) over `link`, on the daemon's shared port; returns the client's index.
    pub fn attach(
        &mut self,
        session: &str,
        link: &LinkConfig,
        size: (u16, u16),
        config: ClientConfig,
    ) -> usize {
        let shared = PortChoice::Shared {
            first: 60001,
            last: 61000,
        };
        self.attach_on(session, link, size, config, shared)
    }

    /// [`Sim::attach`] with `new -p`'s choice of port.
    pub fn attach_on(
        &mut self,
        session: &str,
        link: &LinkConfig,
        size: (u16, u16),
        config: ClientConfig,
        ports: PortChoice,
    ) -> usize {
        let request = Request::NewClient(control::NewClient {
            session: control::NewSession {
                name: Some(session.to_owned()),
                command: Vec::new(),
                cwd: None,
                join_recent: false,
                window_size: None,
                environment: control::Environment::default(),
                options: Vec::new(),
            },
            bind: vec![SERVER_IP],
            ports,
            network_timeout_secs: None,
            forward_agent: false,
            detach_others: false,
        });
        let Answer::Reply(Reply::Connect(connect)) = self.ask(request) else {
            panic!("seed {}: attaching to {session} failed", self.seed);
        };
        let server_addr = SocketAddr::new(SERVER_IP, connect.port);
        self.server_addrs.push(server_addr);
        let index = self.clients.len();
        let clock_micros = (self.wall().duration_since(SystemTime::UNIX_EPOCH))
            .map_or(0, |since| since.as_micros() as u64);
        let core = ClientCore::new(
            &SessionKey::from_bytes(connect.key),
            server_addr,
            config,
            size,
            self.now,
            clock_micros,
        );
        self.clients.push(SimClient {
            core,
            terminal: UserTerminal::new(size),
            addr: client_addr(index, 0),
            link: Link::new(link, self.now),
            exit: None,
            last_delivered: None,
            next_port: 1,
        });
        self.flush();
        index
    }

    /// The user types `text` into client `client`'s terminal, as one read.
    pub fn type_text(&mut self, client: usize, text: &str) {
        self.clients[client]
            .core
            .handle_input(self.now, text.as_bytes());
        self.flush();
    }

    /// The client's machine moves to another network: a new address from now on.
    pub fn roam(&mut self, client: usize) {
        let c = &mut self.clients[client];
        c.addr = client_addr(client, c.next_port);
        c.next_port += 1;
    }

    /// The server address client `client` was given (`MOSHMUX CONNECT`'s port).
    pub fn server_addr(&self, client: usize) -> SocketAddr {
        self.server_addrs[client]
    }

    /// A datagram from `from`, no client's, reaches the server's `to` at once: junk or
    /// a forgery from someone on the path.
    pub fn inject(&mut self, from: SocketAddr, to: SocketAddr, contents: &[u8]) {
        let now = self.now;
        if let Some(server) = &mut self.server {
            if let Some(listener) = server.host.listener_at(to) {
                server.host.set_now(now);
                server
                    .mux
                    .handle_datagram(now, listener, from, contents, &mut server.host);
            }
        }
        self.flush();
    }

    /// Datagrams the server has sent to `ip`: any at all to an address that only ever
    /// sent junk would be an answer to something unauthenticated.
    pub fn sent_to(&self, ip: IpAddr) -> u64 {
        self.sent_to.get(&ip).copied().unwrap_or(0)
    }

    /// Datagrams the server dropped because no connection has their id.
    pub fn unrouted(&self) -> u64 {
        self.server
            .as_ref()
            .map_or(0, |s| s.mux.unrouted_datagrams())
    }

    /// Nothing gets through client `client`'s link, either way, for `duration` from now.
    pub fn blackout(&mut self, client: usize, duration: Duration) {
        let now = self.now;
        self.clients[client].link.blackout(now, now + duration);
    }

    pub fn run_for(&mut self, duration: Duration) {
        let deadline = self.now + duration;
        self.run_until(deadline, |_| false);
    }

    /// Runs until `done` holds (checked after every step) or the clock reaches
    /// `deadline`; returns whether `done` held.
    pub fn run_until(&mut self, deadline: Instant, mut done: impl FnMut(&mut Sim) -> bool) -> bool {
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

    /// Like [`Sim::run_until`], checking `done` only every `every` of virtual time, for
    /// checks that cost more than a step.
    pub fn run_until_every(
        &mut self,
        deadline: Instant,
        every: Duration,
        mut done: impl FnMut(&mut Sim) -> bool,
    ) -> bool {
        loop {
            let next_check = (self.now + every).min(deadline);
            self.run_until(next_check, |_| false);
            if done(self) {
                return true;
            }
            if self.now >= deadline {
                return false;
            }
        }
    }

    /// Moves the clock to the next thing due and makes it happen.
    fn step(&mut self, deadline: Instant) {
        let next = self
            .timeouts()
            .into_iter()
            .flatten()
            .min()
            .map_or(deadline, |next| next.min(deadline))
            .max(self.now);
        if next == self.now {
            self.stalled += 1;
            assert!(
                self.stalled < MAX_STALLED_STEPS,
                "seed {}: livelock, the clock stopped moving",
                self.seed
            );
        } else {
            self.stalled = 0;
        }
        self.now = next;
        self.deliver_due();
        self.run_programs();
        let now = self.now;
        if let Some(server) = &mut self.server {
            if server.mux.poll_timeout().is_some_and(|at| at <= now) {
                server.host.set_now(now);
                server.mux.handle_timeout(now, &server.host);
            }
        }
        for client in &mut self.clients {
            if client.core.poll_timeout().is_some_and(|at| at <= now) {
                client.core.handle_timeout(now);
            }
        }
    }

    fn timeouts(&self) -> Vec<Option<Instant>> {
        let mut timeouts = vec![self.in_flight.next_arrival()];
        if let Some(server) = &self.server {
            timeouts.push(server.mux.poll_timeout());
            timeouts.push(server.host.poll_timeout());
        }
        timeouts.extend(self.clients.iter().map(|c| c.core.poll_timeout()));
        timeouts
    }

    fn deliver_due(&mut self) {
        while let Some(datagram) = self.in_flight.pop_due(self.now) {
            let now = self.now;
            let client = &mut self.clients[datagram.client];
            if client.link.blacked_out(now) {
                continue;
            }
            if !datagram.to_server {
                // A datagram for an address the client has left is lost.
                if datagram.to == client.addr {
                    client
                        .core
                        .handle_datagram(now, datagram.from, &datagram.contents);
                }
                continue;
            }
            let Some(server) = &mut self.server else {
                continue;
            };
            client.last_delivered = Some(datagram.contents.clone());
            if let Some(listener) = server.host.listener_at(datagram.to) {
                server.host.set_now(now);
                server.mux.handle_datagram(
                    now,
                    listener,
                    datagram.from,
                    &datagram.contents,
                    &mut server.host,
                );
            }
        }
    }

    fn run_programs(&mut self) {
        let now = self.now;
        let Some(server) = &mut self.server else {
            return;
        };
        while let Some((pane, step)) = server.host.step_programs(now) {
            match step {
                Step::Output(bytes) => server.mux.handle_pane_output(now, pane, &bytes),
                Step::Exit => {
                    server.host.shells.remove(&pane);
                    server.mux.handle_pane_exited(now, pane, Some(0));
                }
            }
        }
    }

    /// Everything every part has to send, write or do at this instant.
    fn flush(&mut self) {
        let now = self.now;
        loop {
            let mut moved = false;
            for (index, client) in self.clients.iter_mut().enumerate() {
                while let Some(transmit) = client.core.poll_transmit(now) {
                    moved = true;
                    let send = Send {
                        client: index,
                        to_server: true,
                        from: client.addr,
                        to: transmit.destination,
                        contents: transmit.contents,
                    };
                    self.in_flight.send(&mut client.link, send, now);
                }
                while let Some(bytes) = client.core.poll_output() {
                    client.terminal.process(&bytes);
                }
                while let Some(action) = client.core.poll_action() {
                    moved = true;
                    match action {
                        ClientAction::Rebind => {
                            client.addr = client_addr(index, client.next_port);
                            client.next_port += 1;
                        }
                        // The server's port always answers or stays silent here.
                        ClientAction::Probe => {}
                        ClientAction::Exit(exit) => client.exit = Some(exit),
                        // The simulated users type no `forward` at the prompt.
                        ClientAction::Listen(_)
                        | ClientAction::StopListening { .. }
                        | ClientAction::Suspend => {}
                    }
                }
            }
            if let Some(server) = &mut self.server {
                while let Some((listener, transmit)) = server.mux.poll_transmit(now) {
                    moved = true;
                    let from = server.host.listener_addr(listener);
                    *self.sent_to.entry(transmit.destination.ip()).or_default() += 1;
                    // Sent to an address no client has now: lost on the way.
                    let to = transmit.destination;
                    let client = self.clients.iter().position(|c| c.addr == to);
                    if let (Some(from), Some(index)) = (from, client) {
                        let send = Send {
                            client: index,
                            to_server: false,
                            from,
                            to: transmit.destination,
                            contents: transmit.contents,
                        };
                        self.in_flight
                            .send(&mut self.clients[index].link, send, now);
                    }
                }
                while let Some(action) = server.mux.poll_action() {
                    moved = true;
                    server.host.carry_out(action, now);
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// The history lines the server's store holds for `pane`, oldest first, each as its
    /// text: what `capture-pane -S -` reaches above the screen.
    pub fn history(&mut self, pane: PaneId) -> Vec<String> {
        let server = self.server.as_ref().expect("the server runs");
        let store = server.mux.store();
        let Some(info) = store.info(pane) else {
            return Vec::new();
        };
        let page = store
            .read(pane, info.first_line..info.next_line)
            .unwrap_or_else(|error| panic!("seed {}: reading history: {error}", self.seed));
        page.lines
            .into_iter()
            .map(|line| line.text().to_owned())
            .collect()
    }

    /// The server's text of the screen of a session's active pane (`capture-pane -p -t
    /// SESSION`).
    pub fn server_screen(&mut self, session: &str) -> String {
        let target = control::Target::session(control::SessionRef::Name(session.to_owned()));
        self.request(Request::CapturePane(control::CapturePane {
            target,
            start: None,
            end: None,
            escapes: false,
        }))
        .unwrap_or_else(|error| panic!("seed {}: capture of {session}: {error}", self.seed))
    }
}

/// Client `index`'s address after `moves` roams or rebinds.
fn client_addr(index: usize, moves: u16) -> SocketAddr {
    let host = u8::try_from(index % 250).unwrap_or(0) + 1;
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 1, 0, host)), 40000 + moves)
}

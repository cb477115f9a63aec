//! The core against the protocol's own server side, in process, on a virtual clock that
//! jumps to the next deadline or arrival: keys, screens, detach, the end of a session,
//! the link notices and a second client with the same key, under loss, in milliseconds.

use std::net::SocketAddr;

use moshmux_proto::{
    Connection, HostState, Label, MuxCommand, PaneId, SessionKey, UserEvent, UserStream,
};

use super::*;
use crate::frame::tests::{host, rect, screen};

const COLS: u16 = 80;
const ROWS: u16 = 24;
const SERVER: &str = "127.0.0.1:60001";
/// The wall clock the first client starts at, in microseconds.
const CLOCK: u64 = 1_800_000_000_000_000;

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// One client: its core, the address it sends from, and its terminal.
struct Client {
    core: ClientCore,
    addr: SocketAddr,
    terminal: vt100::Parser,
    /// Every byte written to the terminal.
    written: Vec<u8>,
    exit: Option<(Exit, Instant)>,
    actions: Vec<(ClientAction, Instant)>,
}

struct Datagram {
    at: Instant,
    from: SocketAddr,
    to: SocketAddr,
    contents: Vec<u8>,
}

/// A server endpoint and clients, joined by a link with a delay, loss (a seeded xorshift)
/// and cuts.
struct Rig {
    key: SessionKey,
    server: Connection<HostState, UserStream>,
    /// Events the server took from the user stream, in order.
    events: Vec<UserEvent>,
    clients: Vec<Client>,
    now: Instant,
    start: Instant,
    in_flight: Vec<Datagram>,
    delay: Duration,
    /// Chance in 100 that a datagram is lost.
    loss: u64,
    cut: bool,
    rng: u64,
}

impl Rig {
    fn new(seed: u64, delay: Duration, loss: u64) -> Rig {
        let key = SessionKey::from_bytes([seed as u8; 16]);
        let now = Instant::now();
        let mut rig = Rig {
            server: Connection::new_server(&key, HostState::default(), UserStream::default(), now),
            key,
            events: Vec::new(),
            clients: Vec::new(),
            now,
            start: now,
            in_flight: Vec::new(),
            delay,
            loss,
            cut: false,
            rng: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
        };
        rig.add_client(CLOCK);
        rig
    }

    fn add_client(&mut self, clock_micros: u64) {
        let config = ClientConfig {
            predict: crate::cli::Predict::Never,
            ..ClientConfig::default()
        };
        let core = ClientCore::new(
            &self.key,
            addr(SERVER),
            config,
            (COLS, ROWS),
            self.now,
            clock_micros,
        );
        self.clients.push(Client {
            core,
            addr: addr(&format!("127.0.0.1:{}", 40000 + self.clients.len())),
            terminal: vt100::Parser::new(ROWS.try_into().unwrap(), COLS.try_into().unwrap(), 0),
            written: Vec::new(),
            exit: None,
            actions: Vec::new(),
        });
    }

    /// A server state of one pane filling the window and showing `lines`.
    fn publish(&mut self, lines: &[&str]) {
        let pane = screen(ROWS - 1, COLS, lines);
        self.publish_state(host(vec![(rect(0, 0, COLS, ROWS - 1), true, false, pane)]));
    }

    fn publish_state(&mut self, state: HostState) {
        self.server.set_local_state(state, self.now);
    }

    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn send(&mut self, from: SocketAddr, to: SocketAddr, contents: Vec<u8>) {
        if self.cut || self.random() % 100 < self.loss {
            return;
        }
        let at = self.now + self.delay;
        self.in_flight.push(Datagram {
            at,
            from,
            to,
            contents,
        });
    }

    /// Everything due now: datagrams out, terminal bytes, actions, the server's events.
    fn flush(&mut self) {
        for index in 0..self.clients.len() {
            let now = self.now;
            let client = &mut self.clients[index];
            let mut sent = Vec::new();
            while let Some(transmit) = client.core.poll_transmit(now) {
                sent.push((client.addr, transmit.destination, transmit.contents));
            }
            while let Some(bytes) = client.core.poll_output() {
                client.terminal.process(&bytes);
                client.written.extend_from_slice(&bytes);
            }
            while let Some(action) = client.core.poll_action() {
                match action {
                    ClientAction::Exit(exit) => client.exit = Some((exit, now)),
                    // A fresh port, as the event loop binds.
                    ClientAction::Rebind => {
                        client.addr.set_port(client.addr.port() + 100);
                        client.actions.push((action, now));
                    }
                    ClientAction::Probe
                    | ClientAction::Listen(_)
                    | ClientAction::StopListening { .. }
                    | ClientAction::Suspend => client.actions.push((action, now)),
                }
            }
            for (from, to, contents) in sent {
                self.send(from, to, contents);
            }
        }
        while let Some(transmit) = self.server.poll_transmit(self.now) {
            self.send(addr(SERVER), transmit.destination, transmit.contents);
        }
        self.events
            .extend_from_slice(self.server.take_remote_update().events());
    }

    /// Moves the clock to the next deadline or arrival (at most `until`) and handles it.
    fn step(&mut self, until: Instant) {
        let running = self.clients.iter().filter(|c| c.exit.is_none());
        let next = running
            .filter_map(|c| c.core.poll_timeout())
            .chain(self.server.poll_timeout())
            .chain(self.in_flight.iter().map(|d| d.at))
            .min()
            .map_or(until, |next| next.min(until))
            .max(self.now);
        self.now = next;
        let (due, later) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|d| d.at <= self.now);
        self.in_flight = later;
        for datagram in due {
            if datagram.to == addr(SERVER) {
                let _ = self
                    .server
                    .handle_datagram(self.now, datagram.from, &datagram.contents);
            } else if let Some(client) = self.clients.iter_mut().find(|c| c.addr == datagram.to) {
                client
                    .core
                    .handle_datagram(self.now, datagram.from, &datagram.contents);
            }
        }
        for client in &mut self.clients {
            client.core.handle_timeout(self.now);
        }
        let _ = self.server.handle_timeout(self.now);
    }

    /// Runs until `done` holds (true) or `limit` of virtual time passed (false).
    fn run_until(&mut self, limit: Duration, done: impl Fn(&Rig) -> bool) -> bool {
        let until = self.now + limit;
        loop {
            self.flush();
            if done(self) {
                return true;
            }
            if self.now >= until {
                return false;
            }
            self.step(until);
        }
    }

    fn run_for(&mut self, duration: Duration) {
        self.run_until(duration, |_| false);
    }

    fn type_keys(&mut self, client: usize, bytes: &[u8]) {
        self.clients[client].core.handle_input(self.now, bytes);
    }

    fn contents(&self, client: usize) -> String {
        self.clients[client].terminal.screen().contents()
    }

    fn status_line(&self, client: usize) -> String {
        let screen = self.clients[client].terminal.screen();
        let row = screen.rows(0, COLS).nth(usize::from(ROWS) - 1);
        row.unwrap_or_default().trim_end().to_owned()
    }

    /// The keys the server received, joined.
    fn typed(&self) -> Vec<u8> {
        self.events
            .iter()
            .flat_map(|event| match event {
                UserEvent::Keys(keys) => keys.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    fn exit(&self, client: usize) -> Option<&(Exit, Instant)> {
        self.clients[client].exit.as_ref()
    }
}

/// A rig whose first client shows the server's first state.
fn connected(seed: u64, delay: Duration, loss: u64) -> Rig {
    let mut rig = Rig::new(seed, delay, loss);
    rig.publish(&["$ "]);
    assert!(rig.run_until(Duration::from_secs(30), |rig| rig
        .contents(0)
        .starts_with("$")));
    rig
}

#[test]
fn keys_reach_the_server_in_one_event_per_read_and_its_screen_is_drawn() {
    let mut rig = Rig::new(1, ms(20), 0);
    assert!(rig.run_until(ms(100), |rig| !rig.events.is_empty()));
    // The client keeps its last row for the status line.
    assert_eq!(rig.events, [UserEvent::Resize { rows: 23, cols: 80 }]);
    assert!(rig.status_line(0).starts_with("[connecting]"));
    rig.publish(&["hello from the server"]);
    // The server paces its first states by a guessed RTT of 1 s: 250 ms apart.
    assert!(rig.run_until(ms(1000), |rig| rig
        .contents(0)
        .contains("hello from the server")));
    assert!(rig.status_line(0).starts_with("[main] 0:bash*"));

    rig.events.clear();
    rig.type_keys(0, b"ls -l\r");
    rig.type_keys(0, b"\x02c\x1b[A");
    assert!(rig.run_until(ms(200), |rig| rig.events.len() == 3));
    assert_eq!(
        rig.events,
        [
            UserEvent::Keys(b"ls -l\r".to_vec()),
            UserEvent::Command(MuxCommand::NewWindow),
            UserEvent::Keys(b"\x1b[A".to_vec()),
        ]
    );
    rig.events.clear();
    rig.clients[0].core.handle_resize(rig.now, 100, 30);
    assert!(rig.run_until(ms(200), |rig| !rig.events.is_empty()));
    assert_eq!(
        rig.events,
        [UserEvent::Resize {
            rows: 29,
            cols: 100
        }]
    );
}

#[test]
fn an_escape_sequence_cut_by_a_read_reaches_the_pane_whole() {
    let mut rig = connected(2, ms(20), 0);
    rig.events.clear();
    rig.type_keys(0, b"a\x1b[");
    rig.run_for(ms(5));
    rig.type_keys(0, b"Db");
    // Alt-[ alone waits for its rest, then goes as it is.
    rig.type_keys(0, b"\x1b[");
    assert!(rig.run_until(ms(500), |rig| rig.typed().len() == 7));
    assert_eq!(rig.typed(), b"a\x1b[Db\x1b[");
}

/// The terminal is asked for focus reports while the focused pane wants them, and they
/// reach the pane then only, whatever the prefix or a prompt is waiting for.
#[test]
fn focus_reports_reach_the_focused_pane_only_when_it_asked() {
    let mut rig = connected(3, ms(20), 0);
    let asks = |rig: &Rig| {
        let written = String::from_utf8_lossy(&rig.clients[0].written).into_owned();
        (
            written.matches("\x1b[?1004h").count(),
            written.matches("\x1b[?1004l").count(),
        )
    };
    assert_eq!(asks(&rig), (0, 0));
    rig.events.clear();
    rig.type_keys(0, b"\x1b[I\x1b[Oa");
    assert!(rig.run_until(ms(500), |rig| !rig.typed().is_empty()));
    assert_eq!(rig.typed(), b"a");

    let mut pane = screen(ROWS - 1, COLS, &["$ vim"]);
    pane.modes.focus_events = true;
    rig.publish_state(host(vec![(rect(0, 0, COLS, ROWS - 1), true, false, pane)]));
    assert!(rig.run_until(ms(1000), |rig| asks(rig) == (1, 0)));
    rig.events.clear();
    // The prefix, then focus lost and regained, then the prefix's key.
    rig.type_keys(0, b"\x02\x1b[O\x1b[Ic");
    assert!(rig.run_until(ms(500), |rig| rig.events.len() == 2));
    assert_eq!(
        rig.events,
        [
            UserEvent::Keys(b"\x1b[O\x1b[I".to_vec()),
            UserEvent::Command(MuxCommand::NewWindow),
        ]
    );

    rig.publish(&["$ "]);
    assert!(rig.run_until(ms(1000), |rig| asks(rig) == (1, 1)));
}

#[test]
fn detach_waits_for_the_servers_acknowledgement_on_a_clean_link() {
    let mut rig = connected(3, ms(50), 0);
    let start = rig.now;
    rig.type_keys(0, b"\x02d");
    assert!(rig.run_until(ms(3000), |rig| rig.exit(0).is_some()));
    let (exit, at) = rig.exit(0).cloned().unwrap();
    assert_eq!(
        exit,
        Exit::Detached {
            session: "main".into()
        }
    );
    assert!(rig.events.contains(&UserEvent::Command(MuxCommand::Detach)));
    assert!(rig.server.peer_closed());
    // One round trip (SSP acknowledges a closing state at once), not the 2 s bound.
    assert!(at - start < ms(150), "{:?}", at - start);
}

/// Under 30% loss each way the client leaves within the bound, and when it left before
/// the bound it was because the server held the detach.
#[test]
fn detach_under_loss_is_bounded_and_acknowledged_detaches_are_registered() {
    let mut registered = 0;
    for seed in 0..40 {
        let mut rig = connected(seed, ms(100), 30);
        let start = rig.now;
        rig.type_keys(0, b"\x02d");
        assert!(
            rig.run_until(ms(2100), |rig| rig.exit(0).is_some()),
            "seed {seed}"
        );
        let (exit, at) = rig.exit(0).cloned().unwrap();
        assert!(matches!(exit, Exit::Detached { .. }), "seed {seed}");
        // What was in flight lands.
        rig.run_for(ms(200));
        let held = rig.events.contains(&UserEvent::Command(MuxCommand::Detach));
        if at - start < DETACH_WAIT {
            assert!(
                held,
                "seed {seed}: left early without the server holding the detach"
            );
        }
        registered += usize::from(held);
    }
    // Several tries fit in the bound: most detaches get through.
    assert!(
        registered >= 30,
        "only {registered} of 40 detaches registered"
    );
}

#[test]
fn the_end_of_the_session_is_acknowledged_before_the_client_exits() {
    for (seed, loss) in [(4, 0), (5, 20)] {
        let mut rig = connected(seed, ms(50), loss);
        rig.publish(&["$ echo bye", "bye", "$ exit"]);
        assert!(rig.run_until(ms(5000), |rig| rig.contents(0).contains("$ exit")));
        rig.publish_state(HostState {
            session: Label::new("main"),
            notices: vec![Label::new("session main ended")],
            ..HostState::default()
        });
        rig.server.close(rig.now);
        assert!(rig.run_until(ms(10_000), |rig| rig.exit(0).is_some()));
        let (exit, _) = rig.exit(0).cloned().unwrap();
        assert_eq!(
            exit,
            Exit::Ended {
                session: "main".into()
            }
        );
        // The last frame is the session's last output, not an empty window (its top line
        // went up with the line feed that leaves the cursor below it).
        assert!(
            rig.contents(0).starts_with("bye\n$ exit"),
            "{}",
            rig.contents(0)
        );
        if loss == 0 {
            rig.run_for(ms(200));
            assert!(
                rig.server.close_acked(),
                "the last state was never acknowledged"
            );
        }
    }
}

#[test]
fn a_silent_or_refusing_port_is_reported_and_the_client_keeps_trying() {
    let mut rig = Rig::new(6, ms(20), 0);
    rig.cut = true;
    rig.run_for(ms(1900));
    assert!(!rig.status_line(0).contains("Nothing"));
    rig.run_for(ms(200));
    assert!(rig
        .status_line(0)
        .ends_with("Nothing received from the server on UDP port 60001"));
    // Probes at once and every 2 s while nothing is heard.
    let probes: Vec<Duration> = rig.clients[0]
        .actions
        .iter()
        .filter(|(action, _)| *action == ClientAction::Probe)
        .map(|(_, at)| *at - rig.start)
        .collect();
    assert_eq!(probes, [ms(0), ms(2000)]);
    // The server's host says nothing listens there: the client says so, and goes on.
    let now = rig.now;
    rig.clients[0].core.handle_port_refused(now);
    rig.run_for(ms(10));
    assert!(rig
        .status_line(0)
        .ends_with("Nothing listening on UDP port 60001 of the server yet; still trying"));
    assert!(rig.exit(0).is_none());
    // The server comes up: the first state is drawn and the notice goes.
    rig.cut = false;
    rig.publish(&["up at last"]);
    assert!(rig.run_until(Duration::from_secs(10), |rig| rig
        .contents(0)
        .contains("up at last")));
    assert!(!rig.status_line(0).contains("Nothing"));
    let probes = rig.clients[0]
        .actions
        .iter()
        .filter(|(a, _)| *a == ClientAction::Probe);
    let before = probes.count();
    rig.run_for(Duration::from_secs(5));
    let after = rig.clients[0]
        .actions
        .iter()
        .filter(|(a, _)| *a == ClientAction::Probe);
    assert_eq!(after.count(), before, "probes go on after contact");
}

#[test]
fn silence_shows_the_last_contact_and_moves_to_a_fresh_port_every_ten_seconds() {
    let mut rig = connected(7, ms(20), 0);
    let heard = rig.clients[0].core.connection().last_heard().unwrap();
    rig.cut = true;
    rig.run_until(Duration::from_secs(30), |rig| {
        rig.now >= heard + Duration::from_secs(8)
    });
    assert!(
        rig.status_line(0).ends_with("Last contact 8 s ago"),
        "{}",
        rig.status_line(0)
    );
    rig.run_until(Duration::from_secs(30), |rig| {
        rig.now >= heard + Duration::from_secs(25)
    });
    let rebinds: Vec<Duration> = rig.clients[0]
        .actions
        .iter()
        .filter(|(action, _)| *action == ClientAction::Rebind)
        .map(|(_, at)| *at - heard)
        .collect();
    assert_eq!(rebinds, [Duration::from_secs(10), Duration::from_secs(20)]);
    // The link comes back: the server follows the new port, and the notice goes.
    rig.cut = false;
    rig.publish(&["back"]);
    assert!(rig.run_until(Duration::from_secs(10), |rig| rig
        .contents(0)
        .contains("back")));
    assert!(!rig.status_line(0).contains("Last contact"));
    assert_eq!(rig.server.remote_addr(), Some(rig.clients[0].addr));
}

/// `moshmux connect` again with the key of a running client: the second one says in one
/// line what happened, within a few seconds; it sealed under none of the first one's
/// nonces; and the first one, once its silence moved it to a fresh port, is the newest
/// again and works on.
#[test]
fn a_second_client_with_the_same_key_says_so_and_the_first_one_recovers() {
    let mut rig = connected(8, ms(20), 0);
    rig.type_keys(0, b"first ");
    rig.run_for(Duration::from_secs(1));
    let second_start = rig.now;
    rig.add_client(CLOCK + 1_000_000);
    assert!(rig.run_until(Duration::from_secs(10), |rig| rig.exit(1).is_some()));
    let (exit, at) = rig.exit(1).cloned().unwrap();
    assert_eq!(exit, Exit::Failed(KEY_IN_USE.into()));
    assert!(!KEY_IN_USE.contains('\n'));
    assert!(
        at - second_start <= Duration::from_secs(4),
        "{:?}",
        at - second_start
    );
    rig.type_keys(0, b"again");
    assert!(rig.run_until(Duration::from_secs(30), |rig| rig
        .typed()
        .ends_with(b"again")));
    assert_eq!(rig.typed(), b"first again");
}

#[test]
fn a_quit_exits_at_once_and_sends_nothing_more() {
    let mut rig = connected(9, ms(20), 0);
    let start = rig.now;
    rig.type_keys(0, b"ab\x1e.cd");
    rig.flush();
    assert_eq!(rig.exit(0), Some(&(Exit::Quit, start)));
    assert_eq!(rig.clients[0].core.poll_timeout(), None);
    assert_eq!(rig.clients[0].core.poll_transmit(start), None);
}

#[test]
fn list_keys_shows_the_bindings_over_the_panes_until_q_without_asking_the_server() {
    let mut rig = connected(7, ms(20), 0);
    rig.events.clear();
    // Prefix ?, as tmux: the table in tmux's lines, with the position on the status line.
    rig.type_keys(0, b"\x02?");
    rig.run_for(ms(100));
    let shown = rig.contents(0);
    assert!(
        shown.starts_with("bind-key    -T prefix C-b     send-prefix\n"),
        "{shown}"
    );
    assert!(shown.contains("bind-key    -T prefix Space   next-layout"));
    assert!(rig.status_line(0).contains("[0/"), "{}", rig.status_line(0));
    // Its keys scroll it, and none reaches the pane or the server.
    rig.type_keys(0, b"j");
    rig.run_for(ms(100));
    let shown = rig.contents(0);
    assert!(shown.starts_with("bind-key    -T prefix C-o "), "{shown}");
    assert!(shown.contains("bind-key    -T prefix \\'      command-prompt -T window-target"));
    rig.type_keys(0, b"G");
    rig.run_for(ms(100));
    let shown = rig.contents(0);
    assert!(shown.contains("C-Right resize-pane -R\n"), "{shown}");
    // At the last line: the position reads [N/N].
    let status = rig.status_line(0);
    let position = status
        .rsplit_once('[')
        .and_then(|(_, rest)| rest.split_once("] q to close"))
        .and_then(|(position, _)| position.split_once('/'));
    assert!(
        position.is_some_and(|(at, of)| at == of && at != "0"),
        "{status}"
    );
    rig.type_keys(0, b"q");
    rig.run_for(ms(100));
    assert!(rig.contents(0).starts_with('$'), "{}", rig.contents(0));
    assert_eq!(rig.events, []);
    // At the prompt, with tmux's refusal of a table there is not.
    rig.type_keys(0, b"\x02:list-keys -T root\r");
    rig.run_for(ms(100));
    assert!(rig.status_line(0).contains("table root doesn't exist"));
    assert_eq!(rig.events, []);
}

#[test]
fn display_panes_numbers_the_panes_for_a_second_and_a_digit_selects_one() {
    let mut rig = connected(11, ms(20), 0);
    let (rows, left_cols) = (ROWS - 1, 40);
    let right_cols = COLS - left_cols - 1;
    rig.publish_state(host(vec![
        (
            rect(0, 0, left_cols, rows),
            true,
            false,
            screen(rows, left_cols, &["$ "]),
        ),
        (
            rect(left_cols + 1, 0, right_cols, rows),
            false,
            false,
            screen(rows, right_cols, &["$ "]),
        ),
    ]));
    rig.run_for(ms(200));
    let middle = |rig: &Rig| {
        let contents = rig.contents(0);
        contents
            .lines()
            .nth(usize::from(rows / 2))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(!middle(&rig).contains(" 1 "), "{}", middle(&rig));
    rig.events.clear();
    // Prefix q: each pane's index in its middle, drawn by the client alone.
    rig.type_keys(0, b"\x02q");
    rig.run_for(ms(100));
    assert!(
        middle(&rig).contains(" 0 ") && middle(&rig).contains(" 1 "),
        "{}",
        middle(&rig)
    );
    assert_eq!(rig.events, []);
    // A digit within the second selects that pane by its id; the pane gets no key.
    rig.type_keys(0, b"1");
    assert!(rig.run_until(ms(500), |rig| !rig.events.is_empty()));
    assert_eq!(
        rig.events,
        [UserEvent::Command(MuxCommand::SelectPaneById(PaneId(2)))]
    );
    assert!(!middle(&rig).contains(" 1 "), "{}", middle(&rig));
    // Untouched, the numbers go after a second; the next key is the pane's again.
    rig.events.clear();
    rig.type_keys(0, b"\x02q");
    rig.run_for(ms(100));
    assert!(middle(&rig).contains(" 1 "), "{}", middle(&rig));
    rig.run_for(ms(1000));
    assert!(!middle(&rig).contains(" 1 "), "{}", middle(&rig));
    rig.type_keys(0, b"1");
    assert!(rig.run_until(ms(500), |rig| !rig.typed().is_empty()));
    assert_eq!(rig.typed(), b"1");
}

//! The mux driven directly, on a virtual clock: a host that starts no programs, and SSP
//! clients that are plain `Connection`s whose datagrams are handed over in memory. The
//! whole-system simulator (`sim/`) does the same with the real client and lossy links;
//! these are the small cases of endpoint lifetimes.

use super::*;
use crate::control::{NewClient, NewSession, Reply};
use moshmux_proto::{Connection, HostState, SessionKey, UserEvent, UserStream};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// A target as the command line parses it.
fn parsed(text: &str) -> crate::target::Target {
    crate::target::Target::parse(text).expect("a well-formed target")
}

/// What a command answered: its text, or its error line.
pub(super) fn answered(answer: Answer) -> Result<String, String> {
    match answer {
        Answer::Reply(Reply::Ok(text)) => Ok(text),
        Answer::Reply(Reply::Error(text)) => Err(text),
        _ => Err("an answer of another kind".into()),
    }
}

/// The panes the mux asked to close since its actions were last taken.
pub(super) fn closed_panes(mux: &mut Mux) -> Vec<PaneId> {
    std::iter::from_fn(|| mux.poll_action())
        .filter_map(|action| match action {
            Action::ClosePane { pane } => Some(pane),
            _ => None,
        })
        .collect()
}

struct TestHost {
    next_port: u16,
    next_key: u8,
    /// What every pane runs in the foreground, when a test says.
    foreground: Option<String>,
}

impl Host for TestHost {
    fn spawn_pane(&mut self, _pane: PaneId, spec: &PaneSpawn) -> anyhow::Result<SpawnedPane> {
        Ok(SpawnedPane {
            pid: None,
            command_name: spec.command.first().cloned().unwrap_or_default(),
        })
    }

    fn open_listener(
        &mut self,
        _listener: ListenerId,
        _bind: IpAddr,
        _ports: (u16, u16),
    ) -> Result<u16, String> {
        self.next_port += 1;
        Ok(self.next_port)
    }

    fn session_key(&mut self) -> Result<SessionKey, String> {
        self.next_key += 1;
        Ok(SessionKey::from_bytes([self.next_key; 16]))
    }

    fn foreground_command(&self, _pane: PaneId) -> Option<String> {
        self.foreground.clone()
    }
}

type Client = Connection<UserStream, HostState>;

struct Fixture {
    mux: Mux,
    host: TestHost,
    now: Instant,
    clients: BTreeMap<ClientId, Client>,
    /// Moments at which the mux had something to do: a datagram, or its own deadline.
    mux_wake_ups: u64,
    _dir: tempfile::TempDir,
}

const SERVER: &str = "127.0.0.1:60000";

fn client_addr(id: ClientId) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 40000 + id.0 as u16))
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("a temp dir");
        let history = crate::history::open(dir.path(), Default::default()).expect("store");
        let mux = Mux::new(MuxConfig {
            store: history.store,
            identity: "test".into(),
            host_name: "testhost".into(),
            orphans: history.orphans,
            agent_socket: None,
            daemon_environment: Default::default(),
        });
        Fixture {
            mux,
            host: TestHost {
                next_port: 60000,
                next_key: 0,
                foreground: None,
            },
            now: Instant::now(),
            clients: BTreeMap::new(),
            mux_wake_ups: 0,
            _dir: dir,
        }
    }

    /// `new -s SESSION`, and a client for the endpoint it opens, which says its size.
    fn attach(&mut self, session: &str) -> ClientId {
        let request = Request::NewClient(NewClient {
            session: NewSession {
                name: Some(session.to_owned()),
                command: vec!["sh".to_owned()],
                cwd: None,
                join_recent: false,
                window_size: None,
                environment: Default::default(),
                options: Vec::new(),
            },
            bind: vec![Ipv4Addr::LOCALHOST.into()],
            ports: crate::control::PortChoice::Shared {
                first: 60001,
                last: 61000,
            },
            network_timeout_secs: None,
            forward_agent: false,
            detach_others: false,
        });
        let reply =
            self.mux
                .handle_request(self.now, SystemTime::UNIX_EPOCH, request, &mut self.host);
        let Answer::Reply(Reply::Connect(connect)) = reply else {
            panic!("no endpoint");
        };
        let id = ClientId(self.mux.next_client - 1);
        let server = SERVER.parse().expect("an address");
        let key = SessionKey::from_bytes(connect.key);
        let mut client = Client::new_client(
            &key,
            server,
            UserStream::default(),
            HostState::default(),
            self.now,
        );
        let mut stream = UserStream::default();
        stream.push(UserEvent::Resize { rows: 20, cols: 60 });
        client.set_local_state(stream, self.now);
        self.clients.insert(id, client);
        id
    }

    fn type_keys(&mut self, id: ClientId, keys: &str) {
        let client = self.clients.get_mut(&id).expect("a client");
        let mut stream = client.local_state().clone();
        stream.push(UserEvent::Keys(keys.as_bytes().to_vec()));
        client.set_local_state(stream, self.now);
    }

    fn has_endpoint(&self, id: ClientId) -> bool {
        self.mux.clients.contains_key(&id)
    }

    /// Runs the clock `time` on; the clients in `talking` (all when `None`) take part,
    /// the others are dead: they neither send nor receive.
    fn run(&mut self, time: Duration, talking: Option<&[ClientId]>) {
        let end = self.now + time;
        let alive = |id: &ClientId| talking.is_none_or(|ids| ids.contains(id));
        let mut stalled = 0;
        // Whether the mux's own deadline brought the clock here.
        let mut deadline_reached = false;
        loop {
            let mut woken = deadline_reached;
            loop {
                let mut moved = false;
                for (id, client) in self.clients.iter_mut().filter(|(id, _)| alive(id)) {
                    while let Some(transmit) = client.poll_transmit(self.now) {
                        moved = true;
                        woken = true;
                        let from = client_addr(*id);
                        let contents = transmit.contents;
                        self.mux.handle_datagram(
                            self.now,
                            ListenerId(0),
                            from,
                            &contents,
                            &mut self.host,
                        );
                    }
                }
                while let Some((_, transmit)) = self.mux.poll_transmit(self.now) {
                    moved = true;
                    let id = ClientId(u64::from(transmit.destination.port() - 40000));
                    if let Some(client) = self.clients.get_mut(&id).filter(|_| alive(&id)) {
                        let server = SERVER.parse().expect("an address");
                        let _ = client.handle_datagram(self.now, server, &transmit.contents);
                    }
                }
                while self.mux.poll_action().is_some() {}
                if !moved {
                    break;
                }
            }
            self.mux_wake_ups += u64::from(woken);
            let next = self
                .clients
                .iter()
                .filter(|(id, _)| alive(id))
                .filter_map(|(_, client)| client.poll_timeout())
                .chain(self.mux.poll_timeout())
                .min()
                .map_or(end, |next| next.min(end));
            if self.now >= end {
                return;
            }
            // A deadline the mux reports but does not consume would stop the clock.
            stalled = if next <= self.now { stalled + 1 } else { 0 };
            assert!(stalled < 1000, "livelock: the clock stopped at a deadline");
            self.now = next.max(self.now);
            for client in self.clients.values_mut() {
                let _ = client.handle_timeout(self.now);
            }
            deadline_reached = self.mux.poll_timeout().is_some_and(|at| at <= self.now);
            self.mux.handle_timeout(self.now, &self.host);
        }
    }

    fn ls(&mut self) -> String {
        let request = Request::ListSessions(Default::default());
        match self
            .mux
            .handle_request(self.now, SystemTime::UNIX_EPOCH, request, &mut self.host)
        {
            Answer::Reply(Reply::Ok(text)) => text,
            _ => panic!("ls failed"),
        }
    }
}

#[test]
fn a_reattach_closes_silent_endpoints_of_its_session_and_no_other() {
    let mut fixture = Fixture::new();
    let live = fixture.attach("work");
    let dead = fixture.attach("work");
    fixture.run(Duration::from_secs(1), None);
    // An endpoint of another session whose client never came.
    let other = fixture.attach("other");
    // The live client talks; the dead one went silent after it was heard.
    fixture.run(RECLAIM_AFTER_TEST, Some(&[live]));
    assert!(fixture.has_endpoint(dead));

    let newcomer = fixture.attach("work");
    assert!(!fixture.has_endpoint(dead), "the silent endpoint stays");
    assert!(fixture.has_endpoint(live), "the live client was reclaimed");
    assert!(
        fixture.has_endpoint(other),
        "another session's endpoint went"
    );
    assert!(fixture.has_endpoint(newcomer));
}

#[test]
fn the_newcomers_input_closes_an_endpoint_that_falls_silent_later() {
    let mut fixture = Fixture::new();
    let old = fixture.attach("work");
    fixture.run(Duration::from_secs(1), None);
    // Reattached at once: the old client has not been silent long yet.
    let newcomer = fixture.attach("work");
    assert!(fixture.has_endpoint(old));
    fixture.run(RECLAIM_AFTER_TEST, Some(&[newcomer]));
    fixture.type_keys(newcomer, "x");
    fixture.run(Duration::from_millis(500), Some(&[newcomer]));
    assert!(!fixture.has_endpoint(old), "the silent endpoint stays");
    assert!(fixture.has_endpoint(newcomer));
}

#[test]
fn a_detach_stops_counting_at_once_and_closes_the_endpoint_after_its_linger() {
    let mut fixture = Fixture::new();
    let client = fixture.attach("work");
    fixture.run(Duration::from_secs(1), None);
    assert!(fixture.ls().contains("(1 attached)"), "{}", fixture.ls());
    let connection = fixture.clients.get_mut(&client).expect("the client");
    let mut stream = connection.local_state().clone();
    stream.push(UserEvent::Command(moshmux_proto::MuxCommand::Detach));
    connection.set_local_state(stream, fixture.now);
    connection.close(fixture.now);
    fixture.run(Duration::from_millis(200), None);
    assert!(fixture.clients[&client].close_acked());
    assert!(!fixture.ls().contains("attached"), "{}", fixture.ls());
    assert!(fixture.has_endpoint(client));
    fixture.run(DETACH_LINGER, None);
    assert!(!fixture.has_endpoint(client));
}

#[test]
fn an_ended_session_closes_its_endpoint_once_the_client_has_the_last_state() {
    let mut fixture = Fixture::new();
    let client = fixture.attach("work");
    fixture.run(Duration::from_secs(1), None);
    let kill = Request::KillSession(Some(parsed("work")));
    let reply =
        fixture
            .mux
            .handle_request(fixture.now, SystemTime::UNIX_EPOCH, kill, &mut fixture.host);
    assert!(matches!(reply, Answer::Reply(Reply::Ok(text)) if text.is_empty()));
    assert!(
        !fixture.mux.should_stop(),
        "stopped before telling the client"
    );
    fixture.run(Duration::from_millis(300), None);
    let last = fixture.clients[&client].remote_state();
    assert!(fixture.clients[&client].peer_closed());
    assert!(last.windows.is_empty());
    assert_eq!(last.notices[0].as_str(), "session work ended");
    assert!(!fixture.has_endpoint(client));
    assert!(fixture.mux.should_stop());
}

/// Long enough for a reclaim: the fixture's mux uses the daemon's own rule.
const RECLAIM_AFTER_TEST: Duration = reclaim::RECLAIM_AFTER;

#[test]
fn a_changed_screen_is_saved_for_crash_recovery_within_its_interval() {
    let mut fixture = Fixture::new();
    fixture.attach("work");
    let pane = *fixture.mux.panes.keys().next().expect("the session's pane");
    fixture
        .mux
        .handle_pane_output(fixture.now, pane, b"first\r\n");
    assert_eq!(fixture.mux.store.screen(pane), None);
    fixture.run(SCREEN_SAVE_INTERVAL, None);
    let saved = fixture.mux.store.screen(pane).expect("a saved screen");
    assert_eq!(saved.lines.len(), 1);
    assert_eq!(saved.lines[0].text(), "first");
}

/// A bell marks its window and a copy its session, each numbered above everything
/// before, also in a window the client does not show; a pane's output without either
/// changes neither.
#[test]
fn bells_and_copies_reach_the_state_numbered_in_order() {
    let mut fixture = Fixture::new();
    let client = fixture.attach("work");
    fixture.run(Duration::from_secs(1), None);
    let first = *fixture.mux.panes.keys().next().expect("the session's pane");
    let shown = |fixture: &Fixture| fixture.clients[&client].remote_state().clone();
    assert_eq!(shown(&fixture).windows[0].bell, 0);
    assert_eq!(shown(&fixture).clipboard, None);

    fixture.mux.handle_pane_output(fixture.now, first, b"\x07");
    fixture.run(Duration::from_millis(100), None);
    let rung = shown(&fixture).windows[0].bell;
    assert!(rung > 0);
    fixture
        .mux
        .handle_pane_output(fixture.now, first, b"\x1b]52;c;aGk=\x07text");
    fixture.run(Duration::from_millis(100), None);
    let state = shown(&fixture);
    let copy = state.clipboard.expect("the copy");
    assert_eq!((copy.selections(), copy.data()), ("c", &b"hi"[..]));
    assert!(copy.number > rung);
    assert_eq!(state.windows[0].bell, rung);

    // A second window is shown; a bell in the first still reaches the state.
    let new_window = Request::NewWindow(crate::control::NewWindow {
        target: Some(parsed("work")),
        command: vec!["sh".into()],
        ..Default::default()
    });
    let _ = fixture.mux.handle_request(
        fixture.now,
        SystemTime::UNIX_EPOCH,
        new_window,
        &mut fixture.host,
    );
    fixture.mux.handle_pane_output(fixture.now, first, b"\x07");
    fixture.run(Duration::from_millis(100), None);
    let state = shown(&fixture);
    assert_eq!(state.windows.len(), 2);
    assert!(state.windows[0].bell > copy.number);
    assert_eq!(state.windows[1].bell, 0);
}

#[test]
fn an_idle_attached_client_wakes_the_mux_only_for_heartbeats() {
    let mut fixture = Fixture::new();
    fixture.attach("idle");
    fixture.run(Duration::from_secs(10), None);
    fixture.mux_wake_ups = 0;
    let window = Duration::from_secs(60);
    fixture.run(window, None);
    // Each side sends a heartbeat per interval: the mux sends its own and takes the
    // client's, nothing more (no publication for a datagram that changes nothing), but
    // for the status line's clock: at each new minute it is due, then published.
    let heartbeats = 2 * window.as_secs() / moshmux_proto::sender::ACK_INTERVAL.as_secs();
    let clock = 2 * (window.as_secs() / 60 + 1);
    assert!(
        fixture.mux_wake_ups <= heartbeats + clock + 2,
        "{} wake-ups in {window:?} for {heartbeats} heartbeats",
        fixture.mux_wake_ups
    );
}

#[test]
fn a_program_started_by_typed_keys_names_the_window_without_more_output() {
    let mut fixture = Fixture::new();
    let id = fixture.attach("names");
    fixture.run(Duration::from_secs(2), None);
    // `vim` and Enter: the echo is published, and vim reaches the foreground just after,
    // printing nothing yet.
    fixture.type_keys(id, "vim\r");
    fixture.run(Duration::from_millis(50), None);
    fixture.host.foreground = Some("vim".to_owned());
    fixture.run(Duration::from_secs(1), None);
    let shown = &fixture.clients[&id].remote_state().windows;
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].name.to_string(), "vim");
}

/// A copy from the scroll view arrives in pieces and becomes a new automatic buffer, as
/// tmux's copy mode makes one; prefix ] then pastes it.
#[test]
fn a_copy_from_the_scroll_view_becomes_the_newest_buffer_whatever_its_size() {
    let mut fixture = Fixture::new();
    let client = fixture.attach("work");
    fixture.run(Duration::from_secs(1), None);
    let copied: Vec<u8> = (0..10_000).map(|i| b'a' + (i % 26) as u8).collect();
    let connection = fixture.clients.get_mut(&client).expect("the client");
    let mut stream = connection.local_state().clone();
    stream.push(UserEvent::Copied {
        piece: copied.clone(),
        last: true,
    });
    connection.set_local_state(stream, fixture.now);
    fixture.run(Duration::from_secs(1), None);
    let request = Request::ShowBuffer(crate::control::BufferName(None));
    let shown = fixture.mux.handle_request(
        fixture.now,
        SystemTime::UNIX_EPOCH,
        request,
        &mut fixture.host,
    );
    let Answer::Reply(Reply::Ok(text)) = shown else {
        panic!("no buffer");
    };
    assert_eq!(text.as_bytes(), copied);
    assert!(fixture.mux.copies.is_empty(), "the pieces are not kept");
}

/// Targets typed at the prompt are parsed there, by the command line's parser: a
/// malformed one is answered in the words the command line prints, and nothing runs.
#[test]
fn a_bad_target_typed_at_the_prompt_is_answered_in_the_command_lines_words() {
    let mut fixture = Fixture::new();
    let client = fixture.attach("work");
    fixture.run(Duration::from_secs(1), None);
    let connection = fixture.clients.get_mut(&client).expect("the client");
    let mut stream = connection.local_state().clone();
    let line = moshmux_proto::Label::new("kill-session -t work:1.b");
    stream.push(UserEvent::Command(moshmux_proto::MuxCommand::CommandLine(
        line,
    )));
    connection.set_local_state(stream, fixture.now);
    fixture.run(Duration::from_secs(1), None);
    let reply = fixture.clients[&client].remote_state().reply.clone();
    let reply = reply.expect("a reply");
    assert!(reply.error);
    assert_eq!(
        reply.lines().iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        ["bad pane index \"b\" in target: pane indexes are numbers"]
    );
    assert_eq!(fixture.mux.sessions.len(), 1, "the session is still there");
}

mod detach;
mod moves;
mod tree;

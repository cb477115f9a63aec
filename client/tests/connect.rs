//! The real `moshmux connect`, run in tmux, against a real SSP peer on loopback UDP (the
//! protocol's own server side, through the link emulator): what the user sees, and what
//! reaches the server when they type.

use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::time::{Duration, Instant};

use moshmux_proto::driver::{self, DriverHandle};
use moshmux_proto::screen::{
    CellStyle, MouseEncoding, MouseMode, PaneScreen, PaneView, Point, Rect, Row, StatusText,
    WindowInfo,
};
use moshmux_proto::user::Direction;
use moshmux_proto::{
    Connection, HostState, Label, MuxCommand, PaneId, SessionKey, UserEvent, UserStream,
};
use moshmux_tests::harness::Tmux;
use moshmux_tests::netem::{LinkConfig, Netem};
use tokio::net::UdpSocket;

const WAIT: Duration = Duration::from_secs(20);

/// The server side of one client's connection, with every event it has received.
struct Peer {
    handle: DriverHandle<HostState, UserStream>,
    events: Vec<UserEvent>,
    addr: SocketAddr,
}

impl Peer {
    async fn start(key: &SessionKey) -> Peer {
        Peer::start_at(key, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    async fn start_at(key: &SessionKey, addr: SocketAddr) -> Peer {
        let socket = UdpSocket::bind(addr).await.unwrap();
        let addr = socket.local_addr().unwrap();
        let connection = Connection::new_server(
            key,
            HostState::default(),
            UserStream::default(),
            Instant::now(),
        );
        let (driver, handle) = driver::drive(socket, connection).unwrap();
        tokio::spawn(driver.run());
        Peer {
            handle,
            events: Vec::new(),
            addr,
        }
    }

    /// Receives events until `done` holds for the events not yet consumed; consumes them.
    async fn expect(&mut self, what: &str, done: impl Fn(&[UserEvent]) -> bool) -> Vec<UserEvent> {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done(&self.events) {
            match tokio::time::timeout_at(deadline, self.handle.recv_remote()).await {
                Ok(Some(stream)) => self.events.extend_from_slice(stream.events()),
                _ => panic!("{what} never arrived; got {:?}", self.events),
            }
        }
        std::mem::take(&mut self.events)
    }

    /// Waits for exactly these bytes, in as many `Keys` events as they came in.
    async fn expect_keys(&mut self, keys: &[u8]) {
        let typed = |events: &[UserEvent]| -> Vec<u8> {
            events
                .iter()
                .flat_map(|e| match e {
                    UserEvent::Keys(k) => k.clone(),
                    _ => Vec::new(),
                })
                .collect()
        };
        let events = self
            .expect(&format!("keys {keys:?}"), |e| typed(e).len() >= keys.len())
            .await;
        assert_eq!(typed(&events), keys, "{events:?}");
    }

    async fn expect_command(&mut self, command: MuxCommand) {
        let wanted = UserEvent::Command(command);
        let events = self.expect(&format!("{wanted:?}"), |e| !e.is_empty()).await;
        assert_eq!(events, [wanted]);
    }

    async fn publish(&self, host: HostState) {
        self.handle.update_local(move |s| *s = host).await.unwrap();
    }
}

fn pane(rect: Rect, lines: &[&str]) -> PaneScreen {
    let mut screen = PaneScreen::new(rect.rows, rect.cols).unwrap();
    for (index, line) in lines.iter().enumerate() {
        let mut row = Row::builder(rect.cols);
        for c in line.chars() {
            row.push(c.encode_utf8(&mut [0; 4]), false, CellStyle::default());
        }
        screen.set_row(index, row.finish(false)).unwrap();
    }
    screen.cursor = Point {
        row: 0,
        col: lines.first().map_or(0, |l| l.len() as u16),
    };
    screen
}

/// Session "demo", windows 0:shell (active) and 1:logs, with these panes; the last active.
fn host(panes: &[(Rect, &[&str])]) -> HostState {
    let window = |index: u32, name: &str| WindowInfo {
        id: index,
        index,
        name: Label::new(name),
        active: index == 0,
        bell: 0,
    };
    let mut state = HostState {
        session: Label::new("demo"),
        windows: vec![window(0, "shell"), window(1, "logs")],
        // As the server formats them by tmux's defaults (without status-right).
        status: StatusText {
            left: Label::new("[demo] "),
            right: Label::new(""),
            windows: vec![Label::new("0:shell*"), Label::new("1:logs")],
            separator: Label::new(" "),
        },
        ..HostState::default()
    };
    for (id, (rect, lines)) in (1u32..).zip(panes) {
        state.panes.push(PaneView {
            pane: PaneId(id),
            rect: *rect,
            active: id as usize == panes.len(),
            zoomed: false,
        });
        state.screens.insert(PaneId(id), pane(*rect, lines));
    }
    state
}

fn rect(x: u16, y: u16, cols: u16, rows: u16) -> Rect {
    Rect { x, y, cols, rows }
}

/// `moshmux connect` to `port` in tmux; afterwards the shell prints the exit code and
/// whether the terminal is back in canonical mode.
fn client(cols: u16, rows: u16, port: u16, key: &SessionKey) -> Tmux {
    let binary = moshmux_tests::harness::workspace_binary("moshmux");
    let binary = binary.display();
    let command = format!(
        "{binary} connect 127.0.0.1 {port}; echo \"exit=$?\"; \
         stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon"
    );
    let key = key.to_string();
    Tmux::start(
        cols,
        rows,
        &command,
        &[
            ("MOSHMUX_KEY", &key),
            ("LANG", "C.UTF-8"),
            ("LC_ALL", "C.UTF-8"),
        ],
    )
}

fn wait_screen(tmux: &Tmux, what: &str, done: impl Fn(&str) -> bool) -> String {
    tmux.wait_for(done, WAIT)
        .unwrap_or_else(|screen| panic!("{what} never showed; screen:\n{screen}"))
}

/// The client exited with `code` and left the terminal in canonical mode.
fn assert_exited(tmux: &Tmux, code: i32) {
    let exit = format!("exit={code}");
    let screen = wait_screen(tmux, &exit, |s| s.contains(&exit) && s.contains("icanon"));
    assert!(
        screen.lines().any(|l| l == "icanon"),
        "terminal left raw:\n{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draws_the_session_and_sends_keys_commands_and_resizes() {
    let key = SessionKey::generate().unwrap();
    let mut peer = Peer::start(&key).await;
    let netem = Netem::start(
        "127.0.0.1:0".parse().unwrap(),
        peer.addr,
        LinkConfig::default(),
    )
    .await
    .unwrap();
    let tmux = client(60, 12, netem.listen_addr().port(), &key);
    let events = peer.expect("a resize", |e| !e.is_empty()).await;
    // The client keeps its last row for the status line.
    assert_eq!(events[0], UserEvent::Resize { rows: 11, cols: 60 });

    peer.publish(host(&[(rect(0, 0, 60, 11), &["hello from the server"])]))
        .await;
    let screen = wait_screen(&tmux, "the pane", |s| s.contains("hello from the server"));
    assert_eq!(screen.lines().nth(11), Some("[demo] 0:shell* 1:logs"));

    tmux.send_literal("ls -l");
    tmux.send_keys(&["Enter"]);
    peer.expect_keys(b"ls -l\r").await;
    for (keys, command) in [
        (&["C-b", "%"][..], MuxCommand::SplitHorizontal),
        (&["C-b", "\""], MuxCommand::SplitVertical),
        (&["C-b", "Up"], MuxCommand::SelectPane(Direction::Up)),
        (&["C-b", "o"], MuxCommand::NextPane),
        (&["C-b", "z"], MuxCommand::ToggleZoom),
        (&["C-b", "C-Up"], MuxCommand::ResizePane(Direction::Up, 1)),
        (
            &["C-b", "M-Left"],
            MuxCommand::ResizePane(Direction::Left, 5),
        ),
        (&["C-b", "c"], MuxCommand::NewWindow),
        (&["C-b", "n"], MuxCommand::NextWindow),
        (&["C-b", "p"], MuxCommand::PreviousWindow),
        (&["C-b", "l"], MuxCommand::LastWindow),
        // `\;`: a lone `;` ends tmux's send-keys command.
        (&["C-b", "\\;"], MuxCommand::LastPane),
        (&["C-b", "1"], MuxCommand::SelectWindow(1)),
        (&["C-b", "x", "y"], MuxCommand::KillPane),
        (&["C-b", "&", "y"], MuxCommand::KillWindow),
    ] {
        tmux.send_keys(keys);
        peer.expect_command(command).await;
    }
    for (key, prompt, name, command) in [
        (
            ",",
            "(rename-window)",
            "build",
            MuxCommand::RenameWindow as fn(Label) -> _,
        ),
        ("$", "(rename-session)", "work", MuxCommand::RenameSession),
    ] {
        // The prompt starts with the current name; C-u clears it for a new one.
        tmux.send_keys(&["C-b", key]);
        wait_screen(&tmux, prompt, |s| s.contains(prompt));
        tmux.send_keys(&["C-u"]);
        tmux.send_literal(name);
        tmux.send_keys(&["Enter"]);
        peer.expect_command(command(Label::new(name))).await;
    }
    tmux.send_keys(&["C-b", "C-b", "C-^", "C-^"]);
    peer.expect_keys(b"\x02\x1e").await;

    let mut split = host(&[
        (rect(0, 0, 30, 11), &["left"]),
        (rect(31, 0, 29, 11), &["right"]),
    ]);
    let right = split.screens.get_mut(&PaneId(2)).unwrap();
    right.modes.mouse = MouseMode::PressRelease;
    right.modes.mouse_encoding = MouseEncoding::Sgr;
    peer.publish(split).await;
    wait_screen(&tmux, "two panes", |s| {
        s.lines()
            .next()
            .is_some_and(|l| l.starts_with("left ") && l.ends_with("│right"))
    });
    // A click at window column 45 is column 14 of the right pane, which asked for the mouse.
    tmux.send_literal("\x1b[<0;45;3M");
    peer.expect_keys(b"\x1b[<0;14;3M").await;

    // The client's address changes (a new network): the server follows it unasked.
    netem.roam().await.unwrap();
    peer.publish(host(&[(rect(0, 0, 60, 11), &["after roaming"])]))
        .await;
    wait_screen(&tmux, "the state sent after roaming", |s| {
        s.contains("after roaming")
    });
    tmux.send_literal("x");
    peer.expect_keys(b"x").await;

    tmux.resize(50, 10);
    let events = peer.expect("the new size", |e| !e.is_empty()).await;
    assert_eq!(events, [UserEvent::Resize { rows: 9, cols: 50 }]);

    tmux.send_keys(&["C-b", "d"]);
    peer.expect_command(MuxCommand::Detach).await;
    wait_screen(&tmux, "the detach message", |s| {
        s.contains("[detached from session demo]")
    });
    assert_exited(&tmux, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_is_reported_and_quitting_restores_the_terminal() {
    let key = SessionKey::generate().unwrap();
    // Bound, so no refusal comes back, but it never answers.
    let silent = StdUdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let tmux = client(70, 8, port, &key);
    let notice = format!("Nothing received from the server on UDP port {port}");
    wait_screen(&tmux, "the silence notice", |s| s.contains(&notice));
    tmux.send_keys(&["C-^", "."]);
    assert_exited(&tmux, 0);
}

/// Issue 15: a first datagram refused (a server or proxy a moment slow to bind) used to end
/// the client with an error; as mosh, it keeps trying and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_reported_and_the_client_connects_once_a_server_binds_it() {
    let key = SessionKey::generate().unwrap();
    let port = StdUdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmux = client(120, 8, port, &key);
    let notice = format!("Nothing listening on UDP port {port} of the server yet; still trying");
    wait_screen(&tmux, "the refusal notice", |s| s.contains(&notice));
    let peer = Peer::start_at(&key, SocketAddr::from(([127, 0, 0, 1], port))).await;
    peer.publish(host(&[(rect(0, 0, 120, 7), &["connected at last"])]))
        .await;
    wait_screen(&tmux, "the session and no notice", |s| {
        s.contains("connected at last") && !s.contains("Nothing")
    });
    tmux.send_keys(&["C-^", "."]);
    assert_exited(&tmux, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_restores_the_terminal() {
    let key = SessionKey::generate().unwrap();
    let silent = StdUdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let tmux = client(70, 8, port, &key);
    wait_screen(&tmux, "the status line", |s| s.contains("[connecting]"));
    let shell = tmux.pane_pid();
    let client = child_of(shell).expect("the shell runs moshmux");
    // SAFETY: sends a signal to a process this test started.
    assert_eq!(unsafe { libc::kill(client, libc::SIGTERM) }, 0);
    assert_exited(&tmux, 128 + libc::SIGTERM);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_link_shows_the_last_contact_and_recovers() {
    let key = SessionKey::generate().unwrap();
    let peer = Peer::start(&key).await;
    let netem = Netem::start(
        "127.0.0.1:0".parse().unwrap(),
        peer.addr,
        LinkConfig::default(),
    )
    .await
    .unwrap();
    let tmux = client(60, 8, netem.listen_addr().port(), &key);
    peer.publish(host(&[(rect(0, 0, 60, 7), &["connected"])]))
        .await;
    wait_screen(&tmux, "the pane", |s| s.contains("connected"));
    // Long enough for the notice and for the client to move to a fresh port.
    netem.blackout(Duration::from_secs(12)).unwrap();
    wait_screen(&tmux, "the last-contact notice", |s| {
        s.contains("Last contact ") && s.contains(" s ago")
    });
    peer.publish(host(&[(rect(0, 0, 60, 7), &["back again"])]))
        .await;
    wait_screen(&tmux, "the state after the outage", |s| {
        s.contains("back again") && !s.contains("Last contact")
    });
}

/// The first process whose parent is `parent`.
fn child_of(parent: u32) -> Option<i32> {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // The fields after the command name, which is in parentheses.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
            if fields.get(1) == Some(&parent.to_string().as_str()) {
                return Some(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

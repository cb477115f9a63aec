//! Remote clients through the real daemon and real UDP on loopback: `new` prints where to
//! connect, and an SSP client built from the protocol crate sees the session and drives it.

mod common;

use common::{has_prompt, is_connect_line, Daemon, DEADLINE};
use moshmux_proto::driver::{self, DriverHandle};
use moshmux_proto::screen::PaneView;
use moshmux_proto::user::Direction;
use moshmux_proto::{
    Connection, HostState, LineNumber, MuxCommand, PaneId, SessionKey, UserEvent, UserStream,
};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Instant;

type Client = DriverHandle<UserStream, HostState>;

/// Runs `new` on loopback with the given extra arguments; returns the port and key.
fn new_endpoint(server: &Daemon, ports: &str, args: &[&str]) -> (u16, SessionKey) {
    let mut all = vec!["new", "--bind", "127.0.0.1", "-p", ports];
    all.extend_from_slice(args);
    let line = server.ok(&all);
    assert!(is_connect_line(&line), "not a connect line: {line:?}");
    let fields: Vec<&str> = line.split_whitespace().collect();
    (
        fields[2].parse().expect("port"),
        fields[3].parse().expect("key"),
    )
}

fn connect(port: u16, key: &SessionKey) -> Client {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("client socket");
    socket.set_nonblocking(true).expect("non-blocking");
    let socket = tokio::net::UdpSocket::from_std(socket).expect("tokio socket");
    let server = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let connection = Connection::new_client(
        key,
        server,
        UserStream::default(),
        HostState::default(),
        Instant::now(),
    );
    let (driver, handle) = driver::drive(socket, connection).expect("driver");
    tokio::spawn(driver.run());
    handle
}

async fn send(client: &Client, event: UserEvent) {
    client
        .update_local(move |stream| stream.push(event))
        .await
        .expect("the client's driver runs");
}

/// Receives states until one satisfies `done`.
async fn wait_state(
    client: &mut Client,
    what: &str,
    done: impl Fn(&HostState) -> bool,
) -> HostState {
    let mut last = HostState::default();
    let wait = async {
        while let Some(state) = client.recv_remote().await {
            if done(&state) {
                return Some(state);
            }
            last = state;
        }
        None
    };
    match tokio::time::timeout(DEADLINE, wait).await {
        Ok(Some(state)) => state,
        Ok(None) => panic!("the client's driver stopped before {what}"),
        Err(_) => panic!("timed out waiting for {what}; last state: {last:#?}"),
    }
}

/// The text of a pane's screen, one line per row with trailing blanks trimmed.
fn screen_text(state: &HostState, pane: PaneId) -> String {
    state
        .screens
        .get(&pane)
        .map(|screen| {
            screen
                .rows()
                .iter()
                .map(|row| row.text().trim_end().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn active_text(state: &HostState) -> String {
    state
        .panes
        .iter()
        .find(|view| view.active)
        .map(|view| screen_text(state, view.pane))
        .unwrap_or_default()
}

/// Polls without blocking the runtime, so the test's client keeps running meanwhile.
async fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn port_is_closed(port: u16) -> bool {
    UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

#[tokio::test]
async fn a_client_sees_the_shell_and_types_into_it() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(&server, "61100:61199", &["-s", "work", "--", "sh"]);
    let mut client = connect(port, &key);
    let state = wait_state(&mut client, "the prompt", |s| has_prompt(&active_text(s))).await;
    assert_eq!(state.session.as_str(), "work");
    assert_eq!(state.windows.len(), 1);
    assert!(state.windows[0].active);
    assert_eq!(state.panes.len(), 1);
    assert_eq!(state.panes[0].rect.cols, 80);
    assert_eq!(state.panes[0].rect.rows, 24);

    send(&client, UserEvent::Keys(b"echo hi-$((6*7))\r".to_vec())).await;
    wait_state(&mut client, "the command's output", |s| {
        active_text(s).lines().any(|line| line == "hi-42")
    })
    .await;
}

#[tokio::test]
async fn split_and_resize_from_the_client_change_the_layout() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(&server, "61200:61299", &["-s", "s", "--", "sh"]);
    let mut client = connect(port, &key);
    wait_state(&mut client, "the prompt", |s| has_prompt(&active_text(s))).await;

    send(&client, UserEvent::Command(MuxCommand::SplitHorizontal)).await;
    let state = wait_state(&mut client, "two panes", |s| s.panes.len() == 2).await;
    let rects: Vec<_> = state.panes.iter().map(|v: &PaneView| v.rect).collect();
    assert_eq!((rects[0].x, rects[0].y, rects[0].cols), (0, 0, 40));
    assert_eq!((rects[1].x, rects[1].y, rects[1].cols), (41, 0, 39));
    assert!(state.panes[1].active && !state.panes[0].active);
    let left = state.panes[0].pane;
    send(
        &client,
        UserEvent::Command(MuxCommand::SelectPane(Direction::Left)),
    )
    .await;
    wait_state(&mut client, "the left pane active", |s| {
        s.panes.iter().any(|v| v.active && v.pane == left)
    })
    .await;

    send(
        &client,
        UserEvent::Resize {
            rows: 30,
            cols: 101,
        },
    )
    .await;
    let state = wait_state(&mut client, "the new size", |s| {
        s.panes.iter().all(|view| view.rect.rows == 30)
    })
    .await;
    let rects: Vec<_> = state.panes.iter().map(|v| v.rect).collect();
    assert_eq!(rects[0].cols + 1 + rects[1].cols, 101);
    // The programs see it too, as `list-panes` does.
    let panes = server.panes("s");
    assert_eq!(panes[0].rows, 30);
    assert_eq!(panes[0].cols + 1 + panes[1].cols, 101);
    let screen = state.screens.get(&state.panes[0].pane).expect("screen");
    assert_eq!((screen.rows().len(), screen.cols()), (30, rects[0].cols));
}

#[tokio::test]
async fn datagrams_with_a_wrong_key_change_nothing() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(&server, "61300:61399", &["-s", "k", "--", "sh"]);
    server.wait_for_screen("k", has_prompt);
    let wrong = SessionKey::from_bytes([0x5a; 16]);
    let intruder = connect(port, &wrong);
    send(&intruder, UserEvent::Keys(b"echo intruder\r".to_vec())).await;
    send(&intruder, UserEvent::Command(MuxCommand::SplitVertical)).await;
    // Wait until the intruder has sent several datagrams.
    let deadline = Instant::now() + DEADLINE;
    while intruder.status().stats.datagrams_sent < 3 {
        assert!(Instant::now() < deadline, "the intruder sent nothing");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The real client, connecting afterwards, works; what the intruder sent did nothing.
    let mut client = connect(port, &key);
    send(&client, UserEvent::Keys(b"echo owner\r".to_vec())).await;
    let state = wait_state(&mut client, "the owner's output", |s| {
        active_text(s).lines().any(|line| line == "owner")
    })
    .await;
    assert!(!active_text(&state).contains("intruder"));
    assert_eq!(state.panes.len(), 1);
    assert_eq!(server.panes("k").len(), 1);
    assert_eq!(intruder.status().last_heard, None);
}

#[test]
fn a_full_port_range_is_one_line_error() {
    let server = Daemon::new();
    let taken = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("a port");
    let port = taken.local_addr().expect("address").port();
    let range = format!("{port}:{port}");
    let error = server.fails(&["new", "-p", &range, "-s", "x", "--", "sh"]);
    assert_eq!(error, format!("no free UDP port in {range} on 127.0.0.1"));
    // No session was left behind.
    assert!(server.run(&["ls"]).stdout.is_empty());
}

#[tokio::test]
async fn the_key_is_in_no_log_and_no_command_line() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(&server, "61400:61499", &["-s", "secret", "--", "sh"]);
    let mut client = connect(port, &key);
    wait_state(&mut client, "a state", |s| !s.windows.is_empty()).await;
    let key = key.to_string();
    let log = std::fs::read_to_string(server.dir().join("server.log")).expect("daemon log");
    assert!(log.contains("client endpoint opened"), "{log}");
    assert!(!log.contains(&key));
    let ps = std::process::Command::new("ps")
        .args(["-eww", "-o", "args="])
        .output()
        .expect("ps");
    assert!(ps.status.success());
    assert!(!String::from_utf8_lossy(&ps.stdout).contains(&key));
}

#[tokio::test]
async fn kill_server_closes_the_port() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(&server, "61500:61599", &["--", "sh"]);
    let mut client = connect(port, &key);
    wait_state(&mut client, "a state", |s| !s.windows.is_empty()).await;
    assert!(!port_is_closed(port));
    server.ok(&["kill-server"]);
    wait_for("the port to close", || port_is_closed(port)).await;
}

#[tokio::test]
async fn mux_commands_from_the_client() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(&server, "61600:61699", &["-s", "m", "--", "sh"]);
    let mut client = connect(port, &key);
    wait_state(&mut client, "the prompt", |s| has_prompt(&active_text(s))).await;
    let active = |s: &HostState| s.panes.iter().find(|v| v.active).map(|v| v.pane);

    send(&client, UserEvent::Command(MuxCommand::SplitVertical)).await;
    let state = wait_state(&mut client, "two stacked panes", |s| s.panes.len() == 2).await;
    let (top, bottom) = (state.panes[0], state.panes[1]);
    assert_eq!((top.rect.y, bottom.rect.x), (0, 0));
    assert!(bottom.rect.y > top.rect.y && bottom.active);

    send(
        &client,
        UserEvent::Command(MuxCommand::SelectPane(Direction::Up)),
    )
    .await;
    wait_state(&mut client, "the top pane active", |s| {
        active(s) == Some(top.pane)
    })
    .await;
    send(&client, UserEvent::Command(MuxCommand::NextPane)).await;
    wait_state(&mut client, "the bottom pane active", |s| {
        active(s) == Some(bottom.pane)
    })
    .await;
    // A click: the pane by its id.
    send(
        &client,
        UserEvent::Command(MuxCommand::SelectPaneById(top.pane)),
    )
    .await;
    wait_state(&mut client, "the clicked pane active", |s| {
        active(s) == Some(top.pane)
    })
    .await;
    send(&client, UserEvent::Command(MuxCommand::NextPane)).await;
    wait_state(&mut client, "the bottom pane active again", |s| {
        active(s) == Some(bottom.pane)
    })
    .await;

    send(&client, UserEvent::Command(MuxCommand::ToggleZoom)).await;
    let state = wait_state(&mut client, "the zoom", |s| s.panes.len() == 1).await;
    assert!(state.panes[0].zoomed && state.panes[0].pane == bottom.pane);
    assert_eq!(state.panes[0].rect.rows, 24);
    assert_eq!(state.screens.len(), 1);
    send(&client, UserEvent::Command(MuxCommand::ToggleZoom)).await;
    wait_state(&mut client, "the unzoom", |s| s.panes.len() == 2).await;

    send(&client, UserEvent::Command(MuxCommand::NewWindow)).await;
    let state = wait_state(&mut client, "a second window", |s| s.windows.len() == 2).await;
    assert!(state.windows[1].active && state.panes.len() == 1);
    send(
        &client,
        UserEvent::Command(MuxCommand::RenameWindow("logs".into())),
    )
    .await;
    wait_state(&mut client, "the new name", |s| {
        s.windows[1].name.as_str() == "logs"
    })
    .await;
    send(&client, UserEvent::Command(MuxCommand::PreviousWindow)).await;
    wait_state(&mut client, "window 0", |s| {
        s.windows[0].active && s.panes.len() == 2
    })
    .await;
    send(&client, UserEvent::Command(MuxCommand::SelectWindow(1))).await;
    wait_state(&mut client, "window 1", |s| s.windows[1].active).await;
    send(&client, UserEvent::Command(MuxCommand::KillPane)).await;
    let state = wait_state(&mut client, "window 1 closed", |s| s.windows.len() == 1).await;
    assert!(state.windows[0].active && state.panes.len() == 2);
}

#[tokio::test]
async fn two_clients_share_a_session() {
    let server = Daemon::new();
    let (first_port, first_key) = new_endpoint(&server, "61700:61799", &["-s", "both", "--", "sh"]);
    let (second_port, second_key) = new_endpoint(&server, "61700:61799", &["-s", "both"]);
    assert_ne!(first_port, second_port);
    assert_ne!(first_key.as_bytes(), second_key.as_bytes());
    let mut first = connect(first_port, &first_key);
    let mut second = connect(second_port, &second_key);
    wait_state(&mut first, "the prompt", |s| has_prompt(&active_text(s))).await;
    send(&second, UserEvent::Keys(b"echo from-the-second\r".to_vec())).await;
    let seen = |s: &HostState| active_text(s).lines().any(|l| l == "from-the-second");
    wait_state(&mut first, "the second client's typing", seen).await;
    wait_state(&mut second, "its own typing", seen).await;
}

#[tokio::test]
async fn detach_closes_the_endpoint_and_the_session_stays() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(&server, "61800:61849", &["-s", "d", "--", "sh"]);
    let mut client = connect(port, &key);
    wait_state(&mut client, "a state", |s| !s.windows.is_empty()).await;
    send(&client, UserEvent::Command(MuxCommand::Detach)).await;
    wait_for("the port to close", || port_is_closed(port)).await;
    assert_eq!(server.sessions(), "d: 1 windows [80x24]\n");
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_network_timeout() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(
        &server,
        "61850:61899",
        &["-s", "t", "--network-timeout", "1", "--", "sh"],
    );
    let mut client = connect(port, &key);
    wait_state(&mut client, "a state", |s| !s.windows.is_empty()).await;
    // A second client with the same timeout that keeps talking (at the session's size).
    let (live_port, live_key) = new_endpoint(
        &server,
        "61850:61899",
        &["-s", "t", "--network-timeout", "1"],
    );
    let live = connect(live_port, &live_key);
    let talking = tokio::spawn(async move {
        loop {
            send(&live, UserEvent::Resize { rows: 24, cols: 80 }).await;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    drop(client);
    wait_for("the port to close", || port_is_closed(port)).await;
    assert!(
        !port_is_closed(live_port),
        "the live client's endpoint closed"
    );
    assert_eq!(server.sessions(), "t: 1 windows [80x24] (1 attached)\n");
    talking.abort();
}

#[tokio::test]
async fn the_client_hears_that_the_session_ended() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(&server, "61900:61949", &["-s", "e", "--", "sh"]);
    let mut client = connect(port, &key);
    wait_state(&mut client, "the prompt", |s| has_prompt(&active_text(s))).await;
    send(&client, UserEvent::Keys(b"exit\r".to_vec())).await;
    let state = wait_state(&mut client, "the last state", |s| s.windows.is_empty()).await;
    assert_eq!(state.session.as_str(), "e");
    assert_eq!(state.notices, vec!["session e ended".into()]);
    assert!(state.panes.is_empty() && state.screens.is_empty());
    // Acknowledged, the endpoint closes and the daemon, with no session left, ends.
    wait_for("the port to close", || port_is_closed(port)).await;
    wait_for("the daemon to stop", || !common::exists(&server.socket())).await;
}

/// The history channel end to end: a scroll request brings the lines it asked for, with
/// the pane's history length, and a search answers with the matching line's number.
#[tokio::test]
async fn scroll_and_search_requests_bring_history() {
    let server = Daemon::new();
    let (port, key) = new_endpoint(&server, "61950:61999", &["-s", "h", "--", "sh"]);
    let mut client = connect(port, &key);
    let state = wait_state(&mut client, "the prompt", |s| has_prompt(&active_text(s))).await;
    let pane = state.panes[0].pane;
    send(&client, UserEvent::Keys(b"seq 1 3000\r".to_vec())).await;
    let state = wait_state(&mut client, "the end of seq", |s| {
        active_text(s).contains("3000\n$")
    })
    .await;
    let screen = &state.screens[&pane];
    // The command line left first, then "1" and on; the screen shows the last rows.
    assert!(screen.history_len > 2900, "{}", screen.history_len);
    assert_eq!(screen.history_start, LineNumber(0));
    client
        .update_local(move |stream| {
            stream.scroll = Some(moshmux_proto::ScrollRequest {
                pane,
                first: LineNumber(1000),
                rows: 20,
            });
            stream.search = Some(moshmux_proto::SearchRequest {
                id: 7,
                pane,
                needle: "2345".into(),
                direction: moshmux_proto::SearchDirection::Older,
                from: LineNumber(3000),
            });
        })
        .await
        .expect("the client's driver runs");
    let page = |s: &HostState| {
        (1000..1020)
            .map(|line| {
                s.history
                    .get(&(pane, LineNumber(line)))
                    .map(|row| row.text().to_string())
            })
            .collect::<Vec<_>>()
    };
    let expected: Vec<Option<String>> = (1000..1020).map(|n| Some(n.to_string())).collect();
    let state = wait_state(&mut client, "the page", |s| {
        page(s) == expected && s.search.is_some()
    })
    .await;
    assert_eq!(
        state.search,
        Some(moshmux_proto::screen::SearchResult {
            id: 7,
            line: Some(LineNumber(2345))
        })
    );
    // The margin around the page came too.
    assert!(state.history.contains_key(&(pane, LineNumber(980))));
    assert!(state.history.contains_key(&(pane, LineNumber(1039))));
}

#[tokio::test]
async fn a_client_of_no_size_gets_one_cell_and_wide_characters_in_it_do_no_harm() {
    let server = Daemon::new();
    let script = "stty -echo; while :; do printf '\\r日本\\314\\201語x'; sleep 0.05; done & \
                  read x; kill $!; wait; stty echo; exec sh";
    let (port, key) = new_endpoint(
        &server,
        "62000:62049",
        &["-s", "tiny", "--", "sh", "-c", script],
    );
    let mut client = connect(port, &key);
    send(&client, UserEvent::Resize { rows: 0, cols: 0 }).await;
    let one_cell = |state: &HostState| {
        state.panes.iter().any(|view| {
            view.active
                && state
                    .screens
                    .get(&view.pane)
                    .is_some_and(|s| s.cols() == 1 && s.rows().len() == 1)
        })
    };
    wait_state(&mut client, "a 1x1 pane", one_cell).await;
    // Composed and published while wide characters keep arriving at one column.
    wait_state(&mut client, "the x after the wide characters", |state| {
        one_cell(state) && active_text(state) == "x"
    })
    .await;
    send(&client, UserEvent::Resize { rows: 24, cols: 80 }).await;
    send(&client, UserEvent::Keys(b"\recho big-$((4*4))\r".to_vec())).await;
    wait_state(&mut client, "the shell at full size", |state| {
        active_text(state).contains("big-16")
    })
    .await;
}

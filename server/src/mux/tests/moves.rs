//! Windows and panes moved between sessions (move-window, swap-window, join-pane,
//! break-pane -t): the panes keep running with their ids, a window takes its new
//! session's size when a client is attached there, and a session left empty ends with
//! its clients told.

use super::*;
use crate::control::{
    BreakPane, JoinPane, List, ListScope, MoveWindow, NewDetached, NewWindow, Placement, SwapWindow,
};

/// `#{session_name}:#{window_index}.#{pane_index} WxH %ID` of every pane, as the
/// scripting test prints it.
const PANES: &str =
    "#{session_name}:#{window_index}.#{pane_index} #{pane_width}x#{pane_height} #{pane_id}";

impl Fixture {
    fn order(&mut self, request: Request) -> Result<String, String> {
        answered(
            self.mux
                .handle_request(self.now, SystemTime::UNIX_EPOCH, request, &mut self.host),
        )
    }

    fn obey(&mut self, request: Request) {
        if let Err(error) = self.order(request) {
            panic!("refused: {error}");
        }
    }

    /// `new -d -s NAME -x COLS -y ROWS sh`.
    fn detached(&mut self, name: &str, cols: u16, rows: u16) {
        self.obey(Request::NewSession(NewDetached {
            session: NewSession {
                name: Some(name.into()),
                command: vec!["sh".into()],
                cwd: None,
                join_recent: false,
                window_size: None,
                environment: Default::default(),
                options: Vec::new(),
            },
            cols: Some(cols),
            rows: Some(rows),
        }));
    }

    fn split_below(&mut self, target: &str) {
        self.obey(Request::SplitWindow(crate::control::SplitWindow {
            target: Some(parsed(target)),
            side_by_side: false,
            size: None,
            placement: Default::default(),
            cwd: None,
            command: vec!["sh".into()],
        }));
    }

    /// `new-window -d -t TARGET sh`.
    fn detached_window(&mut self, target: &str) {
        self.obey(Request::NewWindow(NewWindow {
            target: Some(parsed(target)),
            command: vec!["sh".into()],
            detached: true,
            ..Default::default()
        }));
    }

    /// Every pane of every session, one [`PANES`] line each, joined by ` | `.
    fn every_pane(&mut self) -> String {
        let list = self.order(Request::ListPanes(List {
            target: None,
            scope: ListScope::All,
            format: Some(PANES.into()),
        }));
        list.expect("a listing")
            .lines()
            .collect::<Vec<_>>()
            .join(" | ")
    }

    fn move_window(&mut self, source: &str, target: &str, kill: bool) -> Result<String, String> {
        self.order(Request::MoveWindow(MoveWindow {
            source: Some(parsed(source)),
            target: Some(parsed(target)),
            detached: false,
            kill,
            renumber: false,
        }))
    }
}

#[test]
fn a_sessions_last_window_moved_away_ends_it_and_its_client_is_told() {
    let mut fixture = Fixture::new();
    let client = fixture.attach("a");
    fixture.run(Duration::from_secs(1), None);
    fixture.split_below("a:0");
    fixture.detached("b", 100, 30);
    assert_eq!(fixture.move_window("a:0", "b:1", true), Ok(String::new()));
    // The window keeps the client's 60x20 in b, which nobody is attached to (tmux).
    assert_eq!(
        fixture.every_pane(),
        "b:0.0 100x30 %2 | b:1.0 60x10 %0 | b:1.1 60x9 %1"
    );
    assert!(
        closed_panes(&mut fixture.mux).is_empty(),
        "the moved panes run on"
    );
    fixture.run(Duration::from_millis(300), None);
    let last = fixture.clients[&client].remote_state();
    assert!(fixture.clients[&client].peer_closed());
    assert_eq!(last.notices[0].as_str(), "session a ended");
    assert!(fixture.ls().starts_with("b: 2 windows"), "{}", fixture.ls());
}

#[test]
fn a_window_moved_into_an_attached_session_takes_its_size() {
    let mut fixture = Fixture::new();
    fixture.attach("a");
    fixture.run(Duration::from_secs(1), None);
    fixture.detached("b", 100, 30);
    fixture.split_below("b:0");
    assert_eq!(
        fixture.move_window("b:0", "a:0", false),
        Err("index in use: 0".into())
    );
    assert_eq!(
        fixture.move_window("b:0", "b:0", false),
        Err("same index: 0".into())
    );
    fixture.obey(Request::MoveWindow(MoveWindow {
        source: Some(parsed("b:0")),
        target: Some(parsed("a:5")),
        detached: true,
        kill: false,
        renumber: false,
    }));
    assert_eq!(
        fixture.every_pane(),
        "a:0.0 60x20 %0 | a:5.0 60x10 %1 | a:5.1 60x9 %2"
    );
    let a = &fixture.mux.sessions[&SessionId(0)];
    assert_eq!(a.active_window(), 0, "-d leaves the current window");
    assert_eq!(fixture.mux.sessions.len(), 1, "b ended");
}

#[test]
fn move_window_k_ends_the_panes_of_the_window_it_replaces() {
    let mut fixture = Fixture::new();
    fixture.detached("a", 80, 24);
    fixture.detached("b", 100, 30);
    fixture.split_below("b:0");
    closed_panes(&mut fixture.mux);
    assert_eq!(fixture.move_window("a:0", "b:0", true), Ok(String::new()));
    assert_eq!(closed_panes(&mut fixture.mux), [PaneId(1), PaneId(2)]);
    assert_eq!(fixture.every_pane(), "b:0.0 80x24 %0");
}

#[test]
fn swapped_windows_trade_places_across_sessions() {
    let mut fixture = Fixture::new();
    fixture.attach("a");
    fixture.run(Duration::from_secs(1), None);
    fixture.detached("b", 100, 30);
    fixture.split_below("b:0");
    fixture.obey(Request::SwapWindow(SwapWindow {
        source: Some(parsed("a:0")),
        target: parsed("b:0"),
    }));
    // b's window is laid out at the attached client's size; a's keeps its size in b.
    assert_eq!(
        fixture.every_pane(),
        "a:0.0 60x10 %1 | a:0.1 60x9 %2 | b:0.0 60x20 %0"
    );
}

#[test]
fn a_pane_joined_into_another_session_ends_the_one_it_leaves_empty() {
    let mut fixture = Fixture::new();
    let client = fixture.attach("a");
    fixture.run(Duration::from_secs(1), None);
    fixture.detached("b", 100, 30);
    let join = |source: &str, target: &str| {
        Request::JoinPane(JoinPane {
            source: parsed(source),
            target: Some(parsed(target)),
            side_by_side: false,
            size: None,
            placement: Default::default(),
            detached: false,
        })
    };
    assert_eq!(
        fixture.order(join("b:0.0", "%1")),
        Err("source and target panes must be different".into())
    );
    fixture.obey(join("a:0.0", "b:0"));
    assert_eq!(fixture.every_pane(), "b:0.0 100x15 %1 | b:0.1 100x14 %0");
    assert!(closed_panes(&mut fixture.mux).is_empty());
    fixture.run(Duration::from_millis(300), None);
    assert!(fixture.clients[&client].peer_closed());
    let said = fixture.order(Request::DisplayMessage(crate::control::DisplayMessage {
        target: Some(parsed("%0")),
        format: "#{session_name}".into(),
    }));
    assert_eq!(said, Ok("b\n".into()));
}

#[test]
fn break_pane_t_makes_a_window_in_another_session() {
    let mut fixture = Fixture::new();
    fixture.detached("a", 80, 24);
    fixture.split_below("a:0");
    fixture.detached("b", 100, 30);
    let brk = |source: &str, target: Option<&str>| {
        Request::BreakPane(BreakPane {
            source: Some(parsed(source)),
            target: target.map(parsed),
            placement: None,
            name: Some("out".into()),
            detached: false,
        })
    };
    assert_eq!(
        fixture.order(brk("a:0.1", Some("b:0"))),
        Err("index in use: 0".into())
    );
    assert_eq!(
        fixture.order(brk("a:0.1", Some("b:0.0"))),
        Err("can't specify pane here".into())
    );
    fixture.obey(brk("a:0.1", Some("b:")));
    // The new window has the size of the window the pane left, as in tmux.
    assert_eq!(
        fixture.every_pane(),
        "a:0.0 80x24 %0 | b:0.0 100x30 %2 | b:1.0 80x24 %1"
    );
    let b = &fixture.mux.sessions[&SessionId(1)];
    assert_eq!(
        (b.active_window(), b.window(1).and_then(Window::name)),
        (1, Some("out"))
    );
    assert_eq!(
        fixture.order(brk("a:0.0", None)),
        Err("can't break with only one pane".into())
    );
    // A window's only pane takes its window along, and its session ends.
    fixture.obey(brk("a:0.0", Some("b:7")));
    assert_eq!(
        fixture.every_pane(),
        "b:0.0 100x30 %2 | b:1.0 80x24 %1 | b:7.0 80x24 %0"
    );
    assert_eq!(fixture.mux.sessions.len(), 1);
}

#[test]
fn break_pane_a_and_b_make_room_next_to_the_target_window() {
    let mut fixture = Fixture::new();
    fixture.detached("a", 80, 24);
    for index in ["a:1", "a:2", "a:5"] {
        fixture.detached_window(index);
    }
    fixture.detached("b", 100, 30);
    for _ in 0..3 {
        fixture.split_below("b:0");
    }
    let brk = |target: &str, placement: Placement| {
        Request::BreakPane(BreakPane {
            source: Some(parsed("b:0.1")),
            target: Some(parsed(target)),
            placement: Some(placement),
            name: None,
            detached: false,
        })
    };
    let windows = |fixture: &Fixture| -> Vec<(u32, PaneId)> {
        let a = &fixture.mux.sessions[&SessionId(0)];
        a.windows().map(|w| (w.index, w.active())).collect()
    };
    fixture.obey(brk("a:2", Placement::After));
    assert_eq!(
        windows(&fixture)[2..],
        [(2, PaneId(2)), (3, PaneId(5)), (5, PaneId(3))]
    );
    fixture.obey(brk("a:5", Placement::Before));
    assert_eq!(windows(&fixture)[4..], [(5, PaneId(6)), (6, PaneId(3))]);
    // No window at 9: next to the current window (5, just made), as tmux does.
    fixture.obey(brk("a:9", Placement::After));
    assert_eq!(windows(&fixture)[5..], [(6, PaneId(7)), (7, PaneId(3))]);
}

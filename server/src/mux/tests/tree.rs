//! The chooser's tree and preview in a client's state: only while it asks, with tmux's
//! choose-tree lines, and the previewed pane's screen following its output.

use super::*;
use moshmux_proto::screen::TreeRequest;
use moshmux_proto::MuxCommand;

impl Fixture {
    fn command(&mut self, id: ClientId, command: MuxCommand) {
        let client = self.clients.get_mut(&id).expect("a client");
        let mut stream = client.local_state().clone();
        stream.push(UserEvent::Command(command));
        client.set_local_state(stream, self.now);
    }

    fn ask_tree(&mut self, id: ClientId, tree: Option<TreeRequest>) {
        let client = self.clients.get_mut(&id).expect("a client");
        let mut stream = client.local_state().clone();
        stream.tree = tree;
        client.set_local_state(stream, self.now);
    }

    fn state(&self, id: ClientId) -> &HostState {
        self.clients[&id].remote_state()
    }
}

/// The text of a screen's rows, trimmed.
fn screen_text(state: &HostState, pane: PaneId) -> String {
    let screen = state.screens.get(&pane).expect("the preview's screen");
    let rows = screen
        .rows()
        .iter()
        .map(|row| row.text().trim_end().to_owned());
    rows.collect::<Vec<_>>().join("\n")
}

/// Sessions "work" (window 0, and window 1 split in two) and "other", with a client
/// each; the first's client.
fn two_sessions(fixture: &mut Fixture) -> ClientId {
    fixture.host.foreground = Some("sh".to_owned());
    let client = fixture.attach("work");
    fixture.attach("other");
    fixture.command(client, MuxCommand::NewWindow);
    fixture.command(client, MuxCommand::SplitHorizontal);
    client
}

#[test]
fn an_open_chooser_gets_every_session_and_the_previewed_panes_screen() {
    let mut fixture = Fixture::new();
    let client = two_sessions(&mut fixture);
    fixture.command(client, MuxCommand::SelectWindow(0));
    fixture.run(Duration::from_millis(500), None);
    assert_eq!(fixture.state(client).tree, None, "closed: no tree");
    let shown = fixture.state(client).panes[0].pane;
    let session = fixture.mux.sessions.values().next().expect("work");
    let hidden = session.window(1).expect("window 1").active();
    fixture
        .mux
        .handle_pane_output(fixture.now, hidden, b"only in window one");

    fixture.ask_tree(
        client,
        Some(TreeRequest {
            preview: Some(hidden),
            filter: None,
        }),
    );
    fixture.run(Duration::from_millis(500), None);
    let state = fixture.state(client);
    let tree = state.tree.as_deref().expect("the tree");
    let lines: Vec<String> = (tree.sessions.iter())
        .flat_map(|session| {
            let windows = session.windows.iter().flat_map(|window| {
                let panes = window.panes.iter().map(|pane| format!("    {}", pane.text));
                std::iter::once(format!("  {}: {}", window.index, window.text)).chain(panes)
            });
            let head = format!(
                "{}{}: {}",
                session.current as u8, session.name, session.text
            );
            std::iter::once(head).chain(windows)
        })
        .collect();
    // tmux 3.3's choose-tree lines for the same sessions (without the tree's glyphs,
    // which the client draws): `*` the active window and pane, `-` the last window.
    assert_eq!(
        lines,
        [
            "1work: 2 windows (attached)",
            "  0: sh*",
            "    sh*",
            "  1: sh-",
            "    sh",
            "    sh*",
            "0other: 1 windows (attached)",
            "  0: sh*",
            "    sh*",
        ]
    );
    assert_eq!(
        screen_text(state, hidden).lines().next(),
        Some("only in window one")
    );
    assert!(state.screens.contains_key(&shown), "the shown pane stays");
    assert!(
        state.panes.iter().all(|view| view.pane != hidden),
        "the preview is not a pane of the layout"
    );

    // The previewed pane's output reaches the client though its session shows no change.
    fixture
        .mux
        .handle_pane_output(fixture.now, hidden, b"\r\nmore");
    fixture.run(Duration::from_millis(100), None);
    assert!(screen_text(fixture.state(client), hidden).contains("more"));

    fixture.ask_tree(client, None);
    fixture.run(Duration::from_millis(100), None);
    let state = fixture.state(client);
    assert_eq!(state.tree, None);
    assert!(!state.screens.contains_key(&hidden), "the preview went");
    assert!(state.screens.contains_key(&shown));
}

/// find-window: the tree of the windows whose name, a pane's title or a pane's screen
/// holds the text, and their sessions; none at all says what it looked for.
#[test]
fn a_filtered_tree_holds_the_windows_that_hold_the_text() {
    let mut fixture = Fixture::new();
    let client = two_sessions(&mut fixture);
    fixture.run(Duration::from_millis(500), None);
    let session = fixture.mux.sessions.values().next().expect("work");
    let second = session.window(1).expect("window 1").panes()[1];
    fixture
        .mux
        .handle_pane_output(fixture.now, second, b"error: disk full");
    let find = |fixture: &mut Fixture, text: &str| {
        fixture.ask_tree(
            client,
            Some(TreeRequest {
                preview: None,
                filter: Some(moshmux_proto::Label::new(text)),
            }),
        );
        fixture.run(Duration::from_millis(500), None);
        let tree = fixture.state(client).tree.clone().expect("the tree");
        let found: Vec<(String, u32)> = (tree.sessions.iter())
            .flat_map(|s| s.windows.iter().map(|w| (s.name.to_string(), w.index)))
            .collect();
        (found, tree.filter.clone())
    };
    let (found, filter) = find(&mut fixture, "disk full");
    assert_eq!(found, [("work".to_owned(), 1)]);
    assert_eq!(filter.as_ref().map(|f| f.as_str()), Some("disk full"));
    // A name: every window named sh, in both sessions.
    let (found, _) = find(&mut fixture, "sh");
    assert_eq!(found.len(), 3, "{found:?}");
    let (found, filter) = find(&mut fixture, "nowhere");
    assert!(found.is_empty());
    assert_eq!(filter.as_ref().map(|f| f.as_str()), Some("nowhere"));
}

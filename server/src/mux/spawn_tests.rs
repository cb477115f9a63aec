//! new-window's places and respawn-pane/respawn-window on the mux alone, with a host that
//! records what it was asked to start (and can refuse to).

use super::tests::{answered, closed_panes};
use super::*;
use crate::control::{self, NewDetached, NewWindow, Placement, Respawn};
use moshmux_proto::{LineNumber, SessionKey};
use std::net::IpAddr;

/// A target as the command line parses it.
fn parsed(text: &str) -> crate::target::Target {
    crate::target::Target::parse(text).expect("a well-formed target")
}

#[derive(Default)]
struct RecordingHost {
    /// Every program started, in order.
    started: Vec<(PaneId, PaneSpawn)>,
    /// Refuse to start programs.
    broken: bool,
}

impl Host for RecordingHost {
    fn spawn_pane(&mut self, pane: PaneId, spec: &PaneSpawn) -> anyhow::Result<SpawnedPane> {
        if self.broken {
            anyhow::bail!("no such program");
        }
        self.started.push((pane, spec.clone()));
        Ok(SpawnedPane {
            pid: None,
            command_name: spec.command.first().cloned().unwrap_or_default(),
        })
    }

    fn open_listener(&mut self, _: ListenerId, _: IpAddr, _: (u16, u16)) -> Result<u16, String> {
        Err("no listeners here".into())
    }

    fn session_key(&mut self) -> Result<SessionKey, String> {
        Err("no keys here".into())
    }

    fn foreground_command(&self, _pane: PaneId) -> Option<String> {
        None
    }
}

struct Fixture {
    mux: Mux,
    host: RecordingHost,
    now: Instant,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// A mux with session `s` (80x24) running `sh` in /tmp.
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("a temp dir");
        let history = crate::history::open(dir.path(), Default::default()).expect("store");
        let mut fixture = Fixture {
            mux: Mux::new(MuxConfig {
                store: history.store,
                identity: "test".into(),
                host_name: "testhost".into(),
                orphans: history.orphans,
                agent_socket: None,
                daemon_environment: Default::default(),
            }),
            host: RecordingHost::default(),
            now: Instant::now(),
            _dir: dir,
        };
        let new = Request::NewSession(NewDetached {
            session: crate::control::NewSession {
                name: Some("s".into()),
                command: vec!["sh".into()],
                cwd: Some("/tmp".into()),
                join_recent: false,
                window_size: None,
                environment: Default::default(),
                options: Vec::new(),
            },
            cols: None,
            rows: None,
        });
        fixture.ok(new);
        fixture
    }

    fn request(&mut self, request: Request) -> Result<String, String> {
        answered(
            self.mux
                .handle_request(self.now, SystemTime::UNIX_EPOCH, request, &mut self.host),
        )
    }

    fn ok(&mut self, request: Request) {
        if let Err(error) = self.request(request) {
            panic!("refused: {error}");
        }
    }

    fn list(&mut self, request: Request) -> String {
        self.request(request).expect("a listing")
    }

    /// `INDEX:NAME FLAGS` of each window of `s`.
    fn windows(&mut self) -> String {
        self.list(Request::ListWindows(control::List {
            target: Some(parsed("s")),
            format: Some("#I:#W#{window_flags}".into()),
            ..Default::default()
        }))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
    }

    fn panes(&mut self, target: &str) -> String {
        self.list(Request::ListPanes(control::List {
            target: Some(parsed(target)),
            format: Some("#{pane_id} #{pane_width}x#{pane_height} #{pane_active}".into()),
            ..Default::default()
        }))
    }

    fn new_window(
        &mut self,
        target: &str,
        name: &str,
        edit: impl Fn(&mut NewWindow),
    ) -> Result<String, String> {
        let mut new = NewWindow {
            target: Some(parsed(target)),
            name: Some(name.into()),
            command: vec!["sleep".into()],
            ..Default::default()
        };
        edit(&mut new);
        self.request(Request::NewWindow(new))
    }

    /// Splits the target pane side by side, running `cat`.
    fn split(&mut self, target: &str) {
        self.ok(Request::SplitWindow(control::SplitWindow {
            target: Some(parsed(target)),
            side_by_side: true,
            size: None,
            placement: Default::default(),
            cwd: None,
            command: vec!["cat".into()],
        }));
    }

    fn pane(&self, id: PaneId) -> &PaneState {
        &self.mux.panes[&id]
    }

    fn closed(&mut self) -> Vec<PaneId> {
        closed_panes(&mut self.mux)
    }
}

fn respawn(target: &str, kill: bool, command: &[&str], cwd: Option<&str>) -> Respawn {
    Respawn {
        target: Some(parsed(target)),
        kill,
        cwd: cwd.map(str::to_owned),
        command: command.iter().map(|word| word.to_string()).collect(),
    }
}

#[test]
fn new_window_takes_an_index_and_refuses_one_in_use_or_a_pane() {
    let mut f = Fixture::new();
    f.ok(Request::RenameWindow(control::RenameWindow {
        target: Some(parsed("s:0")),
        name: "w0".into(),
    }));
    for (index, name) in [(2, "w2"), (3, "w3"), (5, "w5")] {
        f.new_window(&format!("s:{index}"), name, |_| {}).unwrap();
    }
    assert_eq!(f.windows(), "0:w0 2:w2 3:w3- 5:w5*");
    assert_eq!(
        f.new_window("s:3", "dup", |_| {}),
        Err("create window failed: index 3 in use".into())
    );
    for pane in ["s:3.0", "%0"] {
        assert_eq!(
            f.new_window(pane, "p", |_| {}),
            Err("can't specify pane here".into())
        );
    }
    // Nothing was started for the refusals.
    assert_eq!(f.host.started.len(), 4);
    // A session alone: the lowest free index.
    f.new_window("s", "low", |_| {}).unwrap();
    assert_eq!(f.windows(), "0:w0 1:low* 2:w2 3:w3 5:w5-");
}

#[test]
fn new_window_a_and_b_move_the_windows_up_to_the_next_gap_as_tmux_does() {
    let mut f = Fixture::new();
    for (index, name) in [(2, "w2"), (3, "w3"), (5, "w5")] {
        f.new_window(&format!("s:{index}"), name, |_| {}).unwrap();
    }
    f.ok(Request::SelectWindow(control::SelectWindow {
        target: Some(parsed("s:0")),
        which: control::WindowChoice::Target,
    }));
    let after = |new: &mut NewWindow| new.placement = Some(Placement::After);
    let before = |new: &mut NewWindow| new.placement = Some(Placement::Before);
    // After the current window, 0: 1 is free.
    f.new_window("s", "a1", after).unwrap();
    assert_eq!(f.windows(), "0:sh- 1:a1* 2:w2 3:w3 5:w5");
    // After 2: 3 moves to 4; 5 stays, as 4 was free.
    f.new_window("s:2", "a2", after).unwrap();
    assert_eq!(f.windows(), "0:sh 1:a1- 2:w2 3:a2* 4:w3 5:w5");
    // Before 3: 3, 4 and 5 move up.
    f.new_window("s:3", "b3", before).unwrap();
    assert_eq!(f.windows(), "0:sh 1:a1 2:w2 3:b3* 4:a2- 5:w3 6:w5");
    // An index no window has is taken as it is.
    f.new_window("s:9", "a9", |new| {
        after(new);
        new.detached = true;
    })
    .unwrap();
    assert_eq!(f.windows(), "0:sh 1:a1 2:w2 3:b3* 4:a2- 5:w3 6:w5 9:a9");
}

#[test]
fn new_window_k_replaces_the_window_at_the_index_and_ends_its_panes() {
    let mut f = Fixture::new();
    f.new_window("s:1", "one", |_| {}).unwrap();
    f.new_window("s:2", "two", |_| {}).unwrap();
    let _ = f.closed();
    let replace = |new: &mut NewWindow| new.replace = true;
    f.new_window("s:1", "k1", replace).unwrap();
    // The replaced window's one pane ended; the current window (2) became the last.
    assert_eq!(f.closed(), [PaneId(1)]);
    assert_eq!(f.windows(), "0:sh 1:k1* 2:two-");
    // Replacing the current window with -d: the new one is current all the same.
    f.new_window("s:1", "k1d", |new| {
        replace(new);
        new.detached = true;
    })
    .unwrap();
    assert_eq!(f.windows(), "0:sh 1:k1d* 2:two-");
    // -k where no window is: just a window there.
    f.new_window("s:7", "k7", replace).unwrap();
    assert_eq!(f.windows(), "0:sh 1:k1d- 2:two 7:k7*");

    // The session's only window: the session lives on in the new one.
    let mut f = Fixture::new();
    f.new_window("s:0", "only", replace).unwrap();
    assert_eq!(f.windows(), "0:only*");
    assert_eq!(f.closed(), [PaneId(0)]);
}

#[test]
fn respawn_pane_without_k_is_refused_in_tmuxs_words() {
    let mut f = Fixture::new();
    f.split("s:0");
    let started = f.host.started.len();
    assert_eq!(
        f.request(Request::RespawnPane(respawn("s:0.1", false, &[], None))),
        Err("respawn pane failed: pane s:0.1 still active".into())
    );
    assert_eq!(
        f.request(Request::RespawnWindow(respawn("s:0", false, &[], None))),
        Err("respawn window failed: window s:0 still active".into())
    );
    assert_eq!(f.host.started.len(), started);
}

#[test]
fn respawn_pane_k_runs_a_new_program_in_the_same_pane_and_its_history_goes_on() {
    let mut f = Fixture::new();
    let pane = PaneId(0);
    f.mux
        .handle_pane_output(f.now, pane, b"old program's line\r\n");
    let size = f.pane(pane).size();
    f.ok(Request::RespawnPane(respawn("s:0.0", true, &[], None)));
    // Without a command or -c: the program and directory it started with.
    let (id, spec) = f.host.started.last().cloned().expect("a program started");
    assert_eq!(
        (id, spec.command, spec.cwd.clone()),
        (pane, vec!["sh".to_owned()], Some("/tmp".into()))
    );
    assert_eq!(spec.size, size);
    // The old screen went to history; the new program has a blank one.
    assert_eq!(f.pane(pane).capture(false).trim(), "");
    f.mux.store().flush().expect("flush");
    let lines = f
        .mux
        .store()
        .read(PaneId(0), LineNumber(0)..LineNumber(10))
        .expect("history");
    let texts: Vec<&str> = lines.lines.iter().map(|line| line.text()).collect();
    assert_eq!(texts, ["old program's line"]);
    // A daemon killed now would leave the new, blank screen, not the old one again.
    let snapshot = f.mux.store().screen(PaneId(0)).expect("a screen snapshot");
    assert_eq!(snapshot.lines, []);

    // A command and -c are kept for the next respawn, as tmux keeps them.
    f.ok(Request::RespawnPane(respawn(
        "%0",
        true,
        &["top", "-b"],
        Some("/usr"),
    )));
    f.ok(Request::RespawnPane(respawn("%0", true, &[], None)));
    let (_, spec) = f.host.started.last().cloned().expect("a program started");
    assert_eq!(
        (spec.command, spec.cwd),
        (vec!["top".to_owned(), "-b".to_owned()], Some("/usr".into()))
    );
    assert_eq!(f.pane(pane).current_command(), "top");
    // The pane never closed.
    assert_eq!(f.closed(), []);
}

#[test]
fn a_program_that_cannot_start_leaves_the_old_one_running() {
    let mut f = Fixture::new();
    let pane = PaneId(0);
    f.mux.handle_pane_output(f.now, pane, b"still here");
    f.host.broken = true;
    let refused = f.request(Request::RespawnPane(respawn(
        "s:0.0",
        true,
        &["nope"],
        None,
    )));
    assert!(refused.is_err_and(|error| error.contains("no such program")));
    assert_eq!(f.pane(pane).capture(false).trim(), "still here");
    assert_eq!(f.pane(pane).start().command, ["sh"]);
    let refused = f.request(Request::RespawnWindow(respawn(
        "s:0",
        true,
        &["nope"],
        None,
    )));
    assert!(refused.is_err());
    assert_eq!(f.closed(), []);
}

#[test]
fn respawn_window_k_keeps_the_first_pane_alone_filling_the_window() {
    let mut f = Fixture::new();
    f.split("s:0");
    f.split("s:0.0");
    let _ = f.closed();
    let first = f.panes("s:0").lines().next().unwrap_or_default().to_owned();
    assert!(first.starts_with("%0 "), "{first}");
    f.ok(Request::RespawnWindow(respawn(
        "s:0",
        true,
        &["sleep"],
        None,
    )));
    assert_eq!(f.panes("s:0"), "%0 80x24 1\n");
    let mut closed = f.closed();
    closed.sort();
    assert_eq!(closed, [PaneId(1), PaneId(2)]);
    let (id, spec) = f.host.started.last().cloned().expect("a program started");
    assert_eq!((id, spec.size), (PaneId(0), Size { rows: 24, cols: 80 }));
    assert_eq!(f.pane(PaneId(0)).size(), Size { rows: 24, cols: 80 });
}

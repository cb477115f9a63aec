//! Panes on real PTYs: what a program prints shows on the pane's terminal, what it asks
//! the terminal is answered, and what the daemon sends reaches it. Each test joins the
//! daemon's two halves of a pane as its loop does: the [`Pty`] and the mux's
//! [`PaneState`].

use moshmux_server::history::PaneHistory;
use moshmux_server::pane::{PaneSpawn, PaneState};
use moshmux_server::pane_id::{PaneId, Size};
use moshmux_server::pty::{PaneEvent, Pty, Run};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

/// Generous: the machine running the suite may be busy.
const DEADLINE: Duration = Duration::from_secs(20);

struct TestPane {
    pty: Pty,
    pane: PaneState,
    events: mpsc::Receiver<PaneEvent>,
    exit: Option<Option<u32>>,
    // After `pane`, so the store (which the pane's history holds) closes first.
    _history_dir: tempfile::TempDir,
}

/// A real history store in a directory removed when the returned guard drops.
fn history() -> (tempfile::TempDir, PaneHistory) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = moshmux_store::HistoryStore::open(dir.path(), Default::default())
        .expect("opening a history store");
    (dir, PaneHistory::new(std::sync::Arc::new(store), PaneId(1)))
}

fn spec(command: &[&str]) -> PaneSpawn {
    PaneSpawn {
        command: command.iter().map(|s| s.to_string()).collect(),
        cwd: None,
        env: vec![],
        size: Size { rows: 24, cols: 80 },
    }
}

impl TestPane {
    fn spawn(command: &[&str]) -> Self {
        Self::start(&spec(command), 64)
    }

    /// Starts `spec` with room for `queue` output events before the program must wait.
    fn start(spec: &PaneSpawn, queue: usize) -> Self {
        let (sender, events) = mpsc::channel(queue);
        let (dir, history) = history();
        let (pty, spawned) = Pty::spawn(PaneId(1), Run(0), spec, sender).expect("spawning a pane");
        Self {
            pty,
            pane: PaneState::new(PaneId(1), spec.size, spawned, history),
            events,
            exit: None,
            _history_dir: dir,
        }
    }

    fn resize(&mut self, size: Size) {
        if self.pane.resize(size) {
            self.pty.resize(size);
        }
    }

    fn sh(script: &str) -> Self {
        Self::spawn(&["/bin/sh", "-c", script])
    }

    /// Processes events until `done` holds, failing with the screen after the deadline.
    async fn wait_for(&mut self, what: &str, done: impl Fn(&PaneState) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done(&self.pane) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{}",
                self.pane.capture(false)
            );
            self.next_event().await;
        }
    }

    async fn wait_for_text(&mut self, text: &str) {
        self.wait_for(text, |pane| pane.capture(false).contains(text))
            .await;
    }

    /// Processes everything up to the exit, and returns the exit code.
    async fn wait_exit(&mut self) -> Option<u32> {
        let deadline = Instant::now() + DEADLINE;
        while self.exit.is_none() {
            assert!(Instant::now() < deadline, "timed out waiting for the exit");
            self.next_event().await;
        }
        self.exit.flatten()
    }

    async fn next_event(&mut self) {
        match timeout(Duration::from_millis(200), self.events.recv()).await {
            Ok(Some(PaneEvent::Output(id, _, bytes))) => {
                assert_eq!(id, PaneId(1));
                let replies = self.pane.process_output(&bytes);
                self.pty.write_input(&replies);
            }
            Ok(Some(PaneEvent::Exited(id, _, code))) => {
                assert_eq!(id, PaneId(1));
                self.exit = Some(code);
            }
            Ok(None) => panic!("the event channel closed"),
            Err(_) => {}
        }
    }
}

/// A shell snippet that reads `count` bytes of terminal reply with echo off and prints
/// them with ESC shown as `E`, so the screen shows what the program received.
fn read_reply(count: usize) -> String {
    format!(
        "r=$(dd bs=1 count={count} 2>/dev/null); stty sane; printf '\\nreply:%s\\n' \"$r\" | tr '\\033' E"
    )
}

const RAW: &str = "stty -icanon -echo min 1 time 0;";

#[tokio::test]
async fn printed_text_is_captured() {
    let mut pane = TestPane::sh("printf 'hello\\n  world  '; sleep 5");
    pane.wait_for_text("world").await;
    let capture = pane.pane.capture(false);
    let lines: Vec<&str> = capture.lines().collect();
    assert_eq!(lines.len(), 24);
    assert_eq!(lines[0], "hello");
    assert_eq!(lines[1], "  world");
}

#[tokio::test]
async fn input_reaches_the_program() {
    let mut pane = TestPane::spawn(&["cat"]);
    pane.pty.write_input(b"typed line\r");
    pane.wait_for("echo and cat's copy", |pane| {
        pane.capture(false).matches("typed line").count() == 2
    })
    .await;
    pane.pty.write_input(&[0x04]);
    assert_eq!(pane.wait_exit().await, Some(0));
}

#[tokio::test]
async fn cursor_position_report_reaches_the_program() {
    let script = format!("{RAW} printf 'abc\\033[6n'; {}; sleep 5", read_reply(6));
    let mut pane = TestPane::sh(&script);
    pane.wait_for_text("reply:E[1;4R").await;
}

#[tokio::test]
async fn device_attributes_are_answered() {
    let script = format!("{RAW} printf '\\033[c'; {}; sleep 5", read_reply(7));
    let mut pane = TestPane::sh(&script);
    pane.wait_for_text("reply:E[?1;2c").await;
}

#[tokio::test]
async fn a_query_split_across_writes_is_answered() {
    let script = format!(
        "{RAW} printf 'xy\\033['; sleep 0.5; printf '6n'; {}; sleep 5",
        read_reply(6)
    );
    let mut pane = TestPane::sh(&script);
    pane.wait_for_text("reply:E[1;3R").await;
}

#[tokio::test]
async fn dec_line_drawing_becomes_box_characters() {
    let mut pane = TestPane::sh(
        "printf '\\033(0lqk\\033(B\\n\\033)0\\016x\\017x\\033(0\\033[1mx\\033(B end\\n'; sleep 5",
    );
    pane.wait_for_text("end").await;
    let capture = pane.pane.capture(false);
    let lines: Vec<&str> = capture.lines().collect();
    assert_eq!(lines[0], "┌─┐");
    assert_eq!(lines[1], "│x│ end");
}

#[tokio::test]
async fn alternate_screen_leaves_the_main_screen_intact() {
    let mut pane = TestPane::sh(
        "printf 'main text\\n'; stty -echo; printf '\\033[?1049h\\033[Halt text'; read x; printf '\\033[?1049l'; sleep 5",
    );
    pane.wait_for("the alternate screen", |pane| {
        pane.modes().alternate_screen && pane.capture(false).contains("alt text")
    })
    .await;
    assert!(!pane.pane.capture(false).contains("main text"));
    pane.pty.write_input(b"\r");
    pane.wait_for("the main screen", |pane| {
        !pane.modes().alternate_screen && pane.capture(false).contains("main text")
    })
    .await;
    assert!(!pane.pane.capture(false).contains("alt text"));
}

#[tokio::test]
async fn title_from_osc() {
    let mut pane = TestPane::sh("printf '\\033]2;my title\\007done'; sleep 5");
    pane.wait_for_text("done").await;
    assert_eq!(pane.pane.title(), "my title");
}

#[tokio::test]
async fn resize_reaches_the_program() {
    let mut pane = TestPane::sh("stty size; stty -echo; read x; stty size; sleep 5");
    pane.wait_for_text("24 80").await;
    pane.resize(Size {
        rows: 30,
        cols: 100,
    });
    assert_eq!(
        pane.pane.size(),
        Size {
            rows: 30,
            cols: 100
        }
    );
    assert_eq!(pane.pane.capture(false).lines().count(), 30);
    pane.pty.write_input(b"\r");
    pane.wait_for_text("30 100").await;
}

#[tokio::test]
async fn exit_code_is_reported() {
    let mut pane = TestPane::sh("exit 3");
    assert_eq!(pane.wait_exit().await, Some(3));
    let mut pane = TestPane::sh("kill -TERM $$");
    assert_eq!(pane.wait_exit().await, None);
}

#[tokio::test]
async fn kill_hangs_up_the_program() {
    let mut pane = TestPane::sh("echo started; sleep 100");
    pane.wait_for_text("started").await;
    pane.pty.hang_up();
    assert_eq!(pane.wait_exit().await, None);
}

#[tokio::test]
async fn the_foreground_command_follows_the_foreground_job() {
    let mut pane = TestPane::spawn(&["/bin/sh"]);
    assert_eq!(pane.pane.current_command(), "sh");
    let deadline = Instant::now() + DEADLINE;
    while pane.pty.foreground_command().as_deref() != Some("sh") {
        assert!(
            Instant::now() < deadline,
            "the shell never led the terminal"
        );
        pane.next_event().await;
    }
    pane.pty.write_input(b"sleep 30\r");
    while pane.pty.foreground_command().as_deref() != Some("sleep") {
        assert!(
            Instant::now() < deadline,
            "sleep never reached the foreground"
        );
        pane.next_event().await;
    }
}

#[tokio::test]
async fn a_flood_is_processed_to_the_end() {
    let mut pane = TestPane::spawn(&["seq", "1", "200000"]);
    assert_eq!(pane.wait_exit().await, Some(0));
    let capture = pane.pane.capture(false);
    let lines: Vec<&str> = capture.lines().collect();
    assert_eq!(lines[22], "200000");
    assert_eq!(lines[21], "199999");
    assert_eq!(lines[0], "199978");
}

#[tokio::test]
async fn capture_with_escapes_keeps_colours() {
    let mut pane =
        TestPane::sh("printf '\\033[1;31mred\\033[0m plain \\033[44m  \\033[0m\\n'; sleep 5");
    pane.wait_for_text("plain").await;
    let capture = pane.pane.capture(true);
    let first = capture.lines().next().unwrap_or_default();
    assert_eq!(first, "\x1b[0;1;31mred\x1b[0m plain \x1b[0;44m  \x1b[0m");
    assert_eq!(pane.pane.capture(false).lines().next(), Some("red plain"));
}

#[tokio::test]
async fn dropping_a_pane_hangs_up_even_a_program_ignoring_sighup() {
    // The loop ignores SIGHUP, so only the terminal hanging up (echo failing) ends it.
    let mut pane = TestPane::sh("trap '' HUP; echo ready; while echo tick; do sleep 0.2; done");
    pane.wait_for_text("ready").await;
    let TestPane {
        pty, mut events, ..
    } = pane;
    drop(pty);
    // The reader thread owns the only sender: the channel closes once it has ended, and
    // no `Exited` is reported for a pane its owner dropped.
    let deadline = Instant::now() + DEADLINE;
    loop {
        assert!(
            Instant::now() < deadline,
            "the reader thread outlived its pane"
        );
        match timeout(Duration::from_millis(200), events.recv()).await {
            Ok(None) => break,
            Ok(Some(PaneEvent::Output(..))) | Err(_) => {}
            Ok(Some(PaneEvent::Exited(..))) => panic!("Exited reported for a dropped pane"),
        }
    }
}

#[tokio::test]
async fn a_missing_program_is_an_error() {
    let (sender, _events) = mpsc::channel(1);
    let spec = spec(&["/nonexistent/moshmux-test-program"]);
    let error = Pty::spawn(PaneId(1), Run(0), &spec, sender).expect_err("spawn must fail");
    assert!(format!("{error:#}").contains("moshmux-test-program"));
}

#[tokio::test]
async fn environment_and_directory_are_given_to_the_program() {
    let spec = PaneSpawn {
        cwd: Some("/tmp".into()),
        env: vec![("GREETING".into(), Some("hi-there".into()))],
        ..spec(&["/bin/sh", "-c", "echo \"$TERM $GREETING $(pwd)\"; sleep 5"])
    };
    let mut pane = TestPane::start(&spec, 64);
    pane.wait_for_text("xterm-256color hi-there /tmp").await;
}

#[tokio::test]
async fn a_flooding_program_waits_for_the_daemon() {
    // Room for two chunks only: the program must block on its terminal until we read.
    let mut pane = TestPane::start(&spec(&["seq", "1", "200000"]), 2);
    let pid = pane.pane.pid().expect("the child's pid");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .next();
    assert!(
        matches!(state, Some("S") | Some("R") | Some("D")),
        "seq should still be writing, but its state is {state:?}"
    );
    assert_eq!(pane.wait_exit().await, Some(0));
    assert!(pane.pane.capture(false).contains("200000"));
}

#[tokio::test]
async fn wide_characters_are_captured_once() {
    let mut pane = TestPane::sh("printf '日本語 ok\\n'; sleep 5");
    pane.wait_for_text("ok").await;
    assert_eq!(pane.pane.capture(false).lines().next(), Some("日本語 ok"));
    assert_eq!(pane.pane.capture(true).lines().next(), Some("日本語 ok"));
}

#[tokio::test]
async fn a_pane_can_live_in_a_spawned_task() {
    // The daemon keeps its panes in one tokio task, so a pane must move between threads.
    let task = tokio::spawn(async move {
        let mut pane = TestPane::sh("printf 'from a task'; sleep 5");
        pane.wait_for_text("from a task").await;
        pane.pane.capture(false)
    });
    let capture = task.await.expect("the task");
    assert!(capture.starts_with("from a task\n"));
}

#[tokio::test]
async fn exit_is_reported_while_a_background_job_holds_the_terminal() {
    // The job ignores SIGHUP and keeps the terminal open; the pane's program is gone.
    let mut pane = TestPane::sh("trap '' HUP; sleep 60 & echo \"job:$!:\"; exit 4");
    assert_eq!(pane.wait_exit().await, Some(4));
    let capture = pane.pane.capture(false);
    let job = capture
        .split("job:")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|pid| pid.parse::<i32>().ok())
        .expect("the job's pid on screen");
    // SAFETY: kill with a pid and a signal number has no memory effects.
    unsafe { libc::kill(job, libc::SIGKILL) };
}

#[tokio::test]
async fn an_endless_title_is_cut_and_text_after_it_still_shows() {
    let mut pane = TestPane::sh(
        "printf '\\033]2;'; head -c 3000000 /dev/zero | tr '\\0' y; printf '\\007done'; sleep 5",
    );
    pane.wait_for_text("done").await;
    let title = pane.pane.title();
    assert!(!title.is_empty() && title.len() <= 64 * 1024);
    assert!(title.bytes().all(|byte| byte == b'y'));
}

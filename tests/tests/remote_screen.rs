//! The remote screen end to end: the real `moshmux-server` daemon opens a UDP port, the
//! real `moshmux connect` runs in tmux and talks to it through the link emulator (with
//! loss, delay and reordering), and the tests read what a user would see.

use std::time::Duration;

use moshmux_tests::harness::{connect_client, status_line as status, Daemon};
use moshmux_tests::netem::{DirectionConfig, LinkConfig, Netem};

const WAIT: Duration = Duration::from_secs(20);

/// A lossy, slow, reordering link: what the protocol is for.
fn rough_link() -> LinkConfig {
    let direction = DirectionConfig {
        loss: 0.1,
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(10),
        reorder: 0.05,
        ..DirectionConfig::default()
    };
    LinkConfig {
        to_server: direction.clone(),
        to_client: direction,
        seed: 7,
        blackouts: Vec::new(),
    }
}

/// The index of the window the status line marks active (`INDEX:NAME*`).
fn active_window(status: &str) -> Option<&str> {
    status
        .split_whitespace()
        .find(|word| word.ends_with('*') || word.ends_with("*Z"))
        .and_then(|word| word.split_once(':'))
        .map(|(index, _)| index)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_session_through_a_rough_link() {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("e2e");
    let server = format!("127.0.0.1:{port}").parse().unwrap();
    let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, rough_link())
        .await
        .unwrap();
    let tmux = connect_client(80, 24, netem.listen_addr().port(), &key);

    // The shell's prompt, and the status line with the session and its window.
    let screen = tmux.expect("the prompt", WAIT, |s| {
        s.lines().any(|l| l.starts_with('$')) && status(s, 24).starts_with("[e2e] 0:")
    });
    assert!(status(&screen, 24).contains('*'), "{screen}");

    // Type a command and see its output.
    tmux.send_literal("echo remote-$((6*7))");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the command's output", WAIT, |s| {
        s.lines().any(|l| l == "remote-42")
    });

    // Split left/right with the prefix: two panes, a border between them.
    tmux.send_keys(&["C-b", "%"]);
    let screen = tmux.expect("the split", WAIT, |s| {
        s.lines().take(23).all(|l| l.contains('│'))
    });
    assert_eq!(daemon.pane_sizes("e2e").len(), 2, "{screen}");
    // Back to the left pane with the prefix and an arrow: typing reaches its shell.
    tmux.send_keys(&["C-b", "Left"]);
    tmux.send_literal("echo left-$((2+2))");
    tmux.send_keys(&["Enter"]);
    tmux.expect("output in the left pane", WAIT, |s| {
        s.lines()
            .any(|l| l.starts_with("left-4 ") && l.contains('│'))
    });

    // A new window, then back to the first by number.
    tmux.send_keys(&["C-b", "c"]);
    let screen = tmux.expect("window 1, active", WAIT, |s| {
        active_window(status(s, 24)) == Some("1")
    });
    assert!(
        !screen.lines().take(23).any(|l| l.contains('│')),
        "the new window has one pane:\n{screen}"
    );
    tmux.send_keys(&["C-b", "0"]);
    tmux.expect("window 0 again, with its split", WAIT, |s| {
        active_window(status(s, 24)) == Some("0") && s.lines().take(23).all(|l| l.contains('│'))
    });

    // Resize the outer window: the layout follows, and the status line moves down.
    tmux.resize(100, 30);
    let screen = tmux.expect("the larger layout", WAIT, |s| {
        status(s, 30).starts_with("[e2e] ") && s.lines().take(29).all(|l| l.contains('│'))
    });
    let sizes = daemon.pane_sizes("e2e");
    let width: u16 = sizes.iter().map(|&(cols, _)| cols).sum::<u16>() + 1;
    assert_eq!(width, 100, "{sizes:?}\n{screen}");
    assert!(sizes.iter().all(|&(_, rows)| rows == 29), "{sizes:?}");
}

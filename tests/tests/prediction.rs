//! Local echo prediction end to end: the real daemon, the real client in tmux, and the
//! link emulator at 200 ms RTT (100 ms each way). Whether a typed word could have been
//! echoed by the server is told by the emulator's counters, not by a clock: the echo
//! needs a datagram delivered to the server after the keys were typed, then one
//! delivered back to the client.

use std::time::{Duration, Instant};

use moshmux_tests::harness::{workspace_binary, Daemon, Tmux};
use moshmux_tests::netem::{Counters, DirectionConfig, LinkConfig, Netem};

const WAIT: Duration = Duration::from_secs(20);
const COLS: u16 = 80;
const ROWS: u16 = 24;

fn slow_link() -> LinkConfig {
    let direction = DirectionConfig {
        delay: Duration::from_millis(100),
        ..DirectionConfig::default()
    };
    LinkConfig {
        to_server: direction.clone(),
        to_client: direction,
        seed: 9,
        blackouts: Vec::new(),
    }
}

struct Setup {
    daemon: Daemon,
    netem: Netem,
    tmux: Tmux,
}

/// A session behind the slow link, its client connected with `--predict mode`, and the
/// shell's first key typed and echoed (an epoch's first guess is never drawn, so this
/// confirms that the shell echoes).
async fn connected(mode: &str) -> Setup {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("predict");
    let server = format!("127.0.0.1:{port}").parse().unwrap();
    let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, slow_link())
        .await
        .unwrap();
    let binary = workspace_binary("moshmux");
    let command = format!(
        "'{}' connect 127.0.0.1 {} --predict {mode}",
        binary.display(),
        netem.listen_addr().port()
    );
    let env = [
        ("MOSHMUX_KEY", key.as_str()),
        ("LANG", "C.UTF-8"),
        ("LC_ALL", "C.UTF-8"),
    ];
    let tmux = Tmux::start(COLS, ROWS, &command, &env);
    tmux.expect("the prompt", WAIT, |s| s.lines().any(|l| l == "$"));
    tmux.send_literal("e");
    tmux.expect("the echo of the first key", WAIT, |s| {
        s.lines().any(|l| l == "$ e")
    });
    Setup {
        daemon,
        netem,
        tmux,
    }
}

impl Setup {
    /// Waits until no datagram is in flight and none was delivered for a while, so the
    /// counters move next because of what the test types.
    async fn quiet(&self) -> Counters {
        let mut last = self.netem.counters();
        let mut still_since = Instant::now();
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.netem.counters();
            let moving = now.to_server.delivered != last.to_server.delivered
                || now.to_client.delivered != last.to_client.delivered;
            if moving {
                still_since = Instant::now();
            } else if still_since.elapsed() >= Duration::from_millis(400) {
                return now;
            }
            last = now;
        }
        panic!("the link never went quiet");
    }

    /// The client's pane area (its screen above the status line), trailing blanks cut.
    fn client_panes(&self) -> Vec<String> {
        let screen = self.tmux.capture();
        let mut lines: Vec<String> = screen.lines().map(|l| l.trim_end().to_owned()).collect();
        lines.resize(usize::from(ROWS - 1), String::new());
        lines
    }

    fn server_pane(&self) -> Vec<String> {
        let screen = self.daemon.ok(&["capture-pane", "-p", "-t", "predict"]);
        let mut lines: Vec<String> = screen.lines().map(|l| l.trim_end().to_owned()).collect();
        lines.resize(usize::from(ROWS - 1), String::new());
        lines
    }

    /// Polls until the client's screen equals the server's pane and shows `line`.
    fn expect_equal_to_server(&self, line: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let (client, server) = (self.client_panes(), self.server_pane());
            if client == server && client.iter().any(|l| l == line) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the client's screen never matched the server's:\n{client:#?}\n{server:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Whether the server's echo of keys typed after `before` could have reached the client
/// by `after`: something was delivered to the server, and something came back.
fn echo_possible(before: &Counters, after: &Counters) -> bool {
    after.to_server.delivered.packets > before.to_server.delivered.packets
        && after.to_client.delivered.packets > before.to_client.delivered.packets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_word_shows_before_the_server_could_answer() {
    let setup = connected("adaptive").await;
    let before = setup.quiet().await;
    setup.tmux.send_literal("cho predicted");
    let deadline = Instant::now() + WAIT;
    let shown = loop {
        let screen = setup.tmux.capture();
        // Read after the screen: if even these counters allow no echo, none had come.
        let counters = setup.netem.counters();
        if screen.lines().any(|l| l == "$ echo predicted") {
            break counters;
        }
        assert!(Instant::now() < deadline, "never shown:\n{screen}");
    };
    assert!(
        !echo_possible(&before, &shown),
        "the word showed only after the echo could have come: {before:?} -> {shown:?}"
    );
    // Confirmed by the server's echo: the client ends showing exactly the server's pane.
    setup.expect_equal_to_server("$ echo predicted");
    setup.tmux.send_keys(&["Enter"]);
    setup.expect_equal_to_server("predicted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_never_a_word_shows_only_after_the_echo() {
    let setup = connected("never").await;
    let before = setup.quiet().await;
    setup.tmux.send_literal("cho late");
    let deadline = Instant::now() + WAIT;
    loop {
        let screen = setup.tmux.capture();
        // Read after the screen: an echo that came before it shows in these.
        let counters = setup.netem.counters();
        if screen.lines().any(|l| l.starts_with("$ ec")) {
            assert!(
                echo_possible(&before, &counters),
                "shown before the echo could come: {before:?} -> {counters:?}\n{screen}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "never shown:\n{screen}");
    }
    setup.expect_equal_to_server("$ echo late");
}

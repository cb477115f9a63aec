//! The remote screen under the conditions the protocol exists for: a slow and very lossy
//! link, a long outage, a client that changes address, and an attacker who sends the
//! server's port forged and replayed datagrams. The real daemon, the real `moshmux connect`
//! in tmux and the link emulator; the tests check what a user would see.

use std::time::{Duration, Instant};

use moshmux_tests::harness::{connect_client, status_line, Daemon, Tmux};
use moshmux_tests::netem::{DirectionConfig, LinkConfig, Netem};

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// How long the screen may take to show what it should: generous for a loaded machine.
const WAIT: Duration = Duration::from_secs(20);

/// A daemon with session `e2e`, the link emulator in front of its UDP port, and the client
/// in tmux talking through the emulator, showing its shell's prompt.
struct Setup {
    daemon: Daemon,
    netem: Netem,
    tmux: Tmux,
}

impl Setup {
    async fn start(link: LinkConfig) -> Setup {
        let daemon = Daemon::new();
        let (port, key) = daemon.new_session("e2e");
        let server = format!("127.0.0.1:{port}").parse().unwrap();
        let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, link)
            .await
            .unwrap();
        let tmux = connect_client(COLS, ROWS, netem.listen_addr().port(), &key);
        tmux.expect("the prompt", WAIT, |s| {
            pane_rows(s).first() == Some(&"$") && status_line(s, ROWS).starts_with("[e2e] 0:")
        });
        Setup {
            daemon,
            netem,
            tmux,
        }
    }

    /// Types `command` and Enter, and waits until a row of the screen reads `output`.
    fn run(&self, command: &str, output: &str) -> String {
        self.tmux.send_literal(command);
        self.tmux.send_keys(&["Enter"]);
        self.tmux.expect(&format!("{output:?}"), WAIT, |s| {
            pane_rows(s).contains(&output)
        })
    }
}

/// Polls the daemon's log until a line holds every one of `words`; returns that line.
fn wait_for_log(daemon: &Daemon, words: &[&str]) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let log = daemon.log();
        let found = log
            .lines()
            .rev()
            .find(|line| words.iter().all(|word| line.contains(word)));
        if let Some(line) = found {
            return line.to_owned();
        }
        assert!(Instant::now() < deadline, "no {words:?} in the log:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The seconds in the status line's "Last contact N s ago", if it shows that.
fn last_contact(screen: &str) -> Option<u64> {
    let status = status_line(screen, ROWS);
    let (_, rest) = status.split_once("Last contact ")?;
    let (seconds, _) = rest.split_once(" s ago")?;
    seconds.parse().ok()
}

/// Both directions alike.
fn symmetric(direction: DirectionConfig, seed: u64) -> LinkConfig {
    LinkConfig {
        to_server: direction.clone(),
        to_client: direction,
        seed,
        blackouts: Vec::new(),
    }
}

/// The rows of the client's panes: every row but the status line.
fn pane_rows(screen: &str) -> Vec<&str> {
    let mut rows: Vec<&str> = screen.lines().collect();
    rows.resize(usize::from(ROWS), "");
    rows.truncate(usize::from(ROWS) - 1);
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_finishes_right_at_200_ms_rtt_and_30_percent_loss() {
    let link = symmetric(
        DirectionConfig {
            loss: 0.3,
            delay: Duration::from_millis(100),
            ..DirectionConfig::default()
        },
        200,
    );
    let setup = Setup::start(link).await;
    setup.tmux.send_literal("seq 1 200000");
    setup.tmux.send_keys(&["Enter"]);

    // The last numbers on the rows above a fresh prompt, as a user would check.
    let above_prompt = usize::from(ROWS) - 2;
    let last: Vec<String> = (200_001 - above_prompt..=200_000)
        .map(|n| n.to_string())
        .collect();
    let screen = setup.tmux.expect(
        "the end of seq and a prompt",
        Duration::from_secs(90),
        |s| {
            let rows = pane_rows(s);
            rows[..above_prompt] == last[..] && rows[above_prompt] == "$"
        },
    );
    assert!(
        status_line(&screen, ROWS).starts_with("[e2e] 0:"),
        "{screen}"
    );

    // Exactly what the pane shows on the server.
    let on_server = setup.daemon.ok(&["capture-pane", "-p", "-t", "e2e"]);
    let on_server: Vec<&str> = on_server.lines().map(str::trim_end).collect();
    assert_eq!(on_server, pane_rows(&screen), "{screen}");

    // The link really was that bad, both ways.
    let counters = setup.netem.counters();
    for direction in [counters.to_server, counters.to_client] {
        assert!(
            direction.lost.packets > 0 && direction.delivered.packets > 0,
            "{counters}"
        );
    }
    // And the session still answers.
    setup.run("echo after-$((40+2))", "after-42");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_s_blackout_shows_last_contact_and_then_recovers() {
    let link = symmetric(
        DirectionConfig {
            delay: Duration::from_millis(10),
            ..DirectionConfig::default()
        },
        20,
    );
    let setup = Setup::start(link).await;
    setup.run("echo before-$((1+1))", "before-2");
    let blackout = Duration::from_secs(20);
    setup.netem.blackout(blackout).unwrap();

    // The status line says how long the server has been silent, and the number grows.
    let screen = setup
        .tmux
        .expect("Last contact", blackout, |s| last_contact(s).is_some());
    let first = last_contact(&screen).unwrap_or_default();
    assert!(first >= 7, "shown after 7 s of silence:\n{screen}");
    setup.tmux.expect("a later Last contact", blackout, |s| {
        last_contact(s).is_some_and(|seconds| seconds > first)
    });
    // What the user types during the outage reaches the shell once the link is back.
    setup.tmux.send_literal("echo during-$((2+2))");
    setup.tmux.send_keys(&["Enter"]);

    // Then the status line is clear again, and typing works as before.
    setup.tmux.expect("the recovery", blackout + WAIT, |s| {
        last_contact(s).is_none() && pane_rows(s).contains(&"during-4")
    });
    assert!(setup.netem.counters().to_server.blacked_out.packets > 0);
    setup.run("echo after-$((3+3))", "after-6");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roam_mid_session_keeps_the_session_working() {
    let link = symmetric(
        DirectionConfig {
            delay: Duration::from_millis(20),
            loss: 0.05,
            ..DirectionConfig::default()
        },
        3,
    );
    let setup = Setup::start(link).await;
    setup.run("echo before-$((1+1))", "before-2");
    let first = wait_for_log(&setup.daemon, &["client connected"]);

    for round in 1..=2 {
        // The server now sees the client's datagrams come from another port, and the old
        // port is closed: replies reach the client only if the server follows.
        let before = setup.netem.counters();
        let roamed = setup.netem.roam().await.unwrap();
        assert!(!first.contains(&roamed.to_string()), "{first}");
        setup.run(
            &format!("echo roamed-$(({round}*11))"),
            &format!("roamed-{}", round * 11),
        );
        wait_for_log(
            &setup.daemon,
            &["client address changed", &format!("to={roamed}")],
        );
        let after = setup.netem.counters();
        assert!(
            after.to_client.delivered.packets > before.to_client.delivered.packets,
            "{after}"
        );
    }
}

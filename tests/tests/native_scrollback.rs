//! Native scrollback end to end, over a 200 ms RTT link losing 30% each way: the real
//! daemon, the real `moshmux connect` in tmux, and the OUTER tmux's own history, which is
//! the terminal scrollback a user scrolls back through with the terminal's own keys.

use std::time::Duration;

use moshmux_tests::harness::{connect_client_with, Daemon, Tmux};
use moshmux_tests::netem::{LinkConfig, Netem};

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// How long the screen may take to show what it should: generous for a loaded machine.
const WAIT: Duration = Duration::from_secs(20);
/// How long the outer terminal's scrollback may take to fill: the lines come over the
/// lossy link a few hundred per round trip, and the machine may be busy with builds.
const HISTORY_WAIT: Duration = Duration::from_secs(30);
/// `--scrollback-lines` for these tests: fewer than the flood, so the marker shows.
const LIMIT: u64 = 500;

struct Setup {
    tmux: Tmux,
    // Dropped after the client's window.
    _netem: Netem,
    _daemon: Daemon,
}

async fn connect(seed: u64) -> Setup {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("native");
    let (tmux, netem) = client(port, &key, seed).await;
    Setup {
        tmux,
        _netem: netem,
        _daemon: daemon,
    }
}

/// A client of session port `port`, through a link of its own, showing its prompt.
async fn client(port: u16, key: &str, seed: u64) -> (Tmux, Netem) {
    let link = LinkConfig::symmetric(Duration::from_millis(100), 0.3, seed);
    let server = format!("127.0.0.1:{port}").parse().unwrap();
    let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, link)
        .await
        .unwrap();
    let options = format!("--scrollback-lines {LIMIT}");
    let tmux = connect_client_with(COLS, ROWS, netem.listen_addr().port(), key, &options);
    tmux.expect("the prompt", WAIT, |s| s.lines().any(|row| row == "$"));
    (tmux, netem)
}

/// The numbers among `lines`, each line that is one.
fn numbers(lines: &str) -> Vec<u64> {
    lines
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect()
}

/// Checks that the outer terminal's history and screen read as the pane's history did
/// (line 0 the command `seq 1 3000`, line N the number N), with lines skipped only where
/// a marker line says how many: every line in order, and after a marker saying K lines
/// were skipped, the line K + 1 past the one before it. At least `LIMIT` lines follow
/// the last marker.
fn reads_in_order(history: &str, screen: &str) -> Result<(), String> {
    reads_in_order_after("$ seq 1 3000", history, screen)
}

/// [`reads_in_order`] where line 0 is `command`.
fn reads_in_order_after(command: &str, history: &str, screen: &str) -> Result<(), String> {
    let mut previous: i64 = -1;
    let mut after_marker = None;
    let mut skipped = 0;
    for line in history.lines().chain(screen.lines()) {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("[moshmux: ") {
            let count: i64 = rest
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("a marker without a count: {line}"))?;
            if !line.ends_with("the scroll view (prefix [) has them]") {
                return Err(format!(
                    "the marker does not say where the lines are: {line}"
                ));
            }
            skipped = count;
            after_marker = Some(0);
            continue;
        }
        let number = match line.parse::<i64>() {
            Ok(number) => number,
            Err(_) if line == command => 0,
            Err(_) => continue,
        };
        if number != previous + skipped + 1 {
            return Err(format!(
                "line {number} follows line {previous} with {skipped} lines said skipped"
            ));
        }
        previous = number;
        skipped = 0;
        after_marker = after_marker.map(|n| n + 1);
    }
    if previous != 3000 {
        return Err(format!("the last number is {previous}"));
    }
    match after_marker {
        Some(n) if n < LIMIT => Err(format!("only {n} lines after the marker")),
        Some(_) => Ok(()),
        None => Err("no marker line".to_owned()),
    }
}

/// Polls the outer terminal's history and screen until `check` passes; fails the test
/// with both and the last complaint if it never does.
fn expect_history(tmux: &Tmux, what: &str, check: impl Fn(&str, &str) -> Result<(), String>) {
    let last = std::cell::RefCell::new(String::new());
    let done = tmux.wait_for(
        |screen| {
            let history = tmux.capture_history();
            let verdict = check(&history, screen);
            *last.borrow_mut() = format!("{verdict:?}\nhistory:\n{history}\nscreen:\n{screen}");
            verdict.is_ok()
        },
        HISTORY_WAIT,
    );
    assert!(done.is_ok(), "{what} never showed: {}", last.borrow());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_reaches_the_terminals_scrollback_in_order_after_one_marker() {
    let Setup { tmux, .. } = &connect(81).await;
    tmux.send_literal("seq 1 3000");
    tmux.send_keys(&["Enter"]);
    expect_history(tmux, "seq 1 3000 in order after a marker", reads_in_order);

    // Lines that scroll past a few at a time, as the client watches, follow the flood.
    tmux.send_literal("for i in $(seq 3001 3060); do echo $i; sleep 0.02; done");
    tmux.send_keys(&["Enter"]);
    expect_history(tmux, "2501 to 3060 in order", |history, screen| {
        let all = numbers(&format!("{history}\n{screen}"));
        if all.windows(2).all(|w| w[1] > w[0]) && (2501..=3060).all(|n| all.contains(&n)) {
            Ok(())
        } else {
            Err("a line missing or out of order".to_owned())
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_panes_write_nothing_into_the_terminals_scrollback() {
    let Setup { tmux, .. } = &connect(82).await;
    tmux.send_keys(&["C-b", "%"]);
    tmux.expect("two panes", WAIT, |s| s.contains('│'));
    // The left pane runs `sh`; a split runs the user's shell, which tests leave alone.
    tmux.send_keys(&["C-b", "Left"]);
    tmux.send_literal("seq 1 300");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the end of seq", WAIT, |s| {
        s.lines()
            .any(|row| row.trim_end().trim_end_matches('│').trim() == "300")
    });
    // A frame or two more, in case anything were still on its way.
    tmux.send_literal("echo end");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the echo", WAIT, |s| {
        s.lines().any(|row| row.starts_with("end"))
    });
    let history = tmux.capture_history();
    assert!(
        history.lines().all(|line| line.trim().is_empty()),
        "the outer scrollback holds:\n{history}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alternate_screen_never_leaks_into_the_terminals_scrollback() {
    let Setup { tmux, .. } = &connect(83).await;
    // Slowly, so the client sees the screen scroll a few lines at a time.
    tmux.send_literal(
        r"printf '\033[?1049h'; for i in $(seq 1 100); do echo $i; sleep 0.02; done; sleep 3; printf '\033[?1049l'; echo back",
    );
    tmux.send_keys(&["Enter"]);
    tmux.expect("the alternate screen", WAIT, |s| {
        s.lines().any(|row| row.trim() == "100")
    });
    tmux.expect("the main screen again", WAIT, |s| {
        s.lines().any(|row| row == "back")
    });
    let history = tmux.capture_history();
    assert!(
        numbers(&history).is_empty(),
        "the outer scrollback holds:\n{history}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_fills_its_terminals_scrollback_with_the_newest_lines() {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("native");
    let (first, _first_link) = client(port, &key, 84).await;
    first.send_literal("seq 1 3000");
    first.send_keys(&["Enter"]);
    first.expect("the end of seq", WAIT, |s| {
        let rows: Vec<&str> = s.lines().collect();
        rows.contains(&"3000") && rows.contains(&"$")
    });
    drop(first);

    // Attaching again, from a new terminal: the last lines are in its scrollback.
    let (port, key) = daemon.new_session("native");
    let (second, _second_link) = client(port, &key, 85).await;
    expect_history(
        &second,
        "seq 1 3000 in order after a marker",
        reads_in_order,
    );
}

/// Issue 15: a marker once said 3000 lines were skipped where 2967 were. A window resize
/// made the renderer redraw on a screen erased whole (`CSI 2J`), which tmux (3.3's
/// scroll-on-clear) and other terminals turn into a push of the visible rows into their
/// scrollback, unknown to native scrollback: those rows (33 on a 34-row terminal) came
/// before the marker of a later flood, which did not count them. The outer tmux here is
/// such a terminal: the rows shown at the resize must not reach its history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resize_before_a_flood_leaves_the_marker_exact() {
    let Setup { tmux, .. } = &connect(86).await;
    let command = "seq 1 10; sleep 3; seq 11 3000";
    tmux.send_literal(command);
    tmux.send_keys(&["Enter"]);
    tmux.expect("the first ten lines", WAIT, |s| {
        s.lines().any(|row| row.trim() == "10")
    });
    tmux.resize(COLS + 10, ROWS);
    let history = tmux.capture_history();
    assert!(
        numbers(&history).is_empty(),
        "the resize put rows into the scrollback:\n{history}"
    );
    let line_zero = format!("$ {command}");
    expect_history(
        tmux,
        "1 to 3000 in order after a marker",
        |history, screen| reads_in_order_after(&line_zero, history, screen),
    );
}

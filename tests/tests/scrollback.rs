//! The scroll view end to end, over the kind of link it exists for (200 ms RTT, 30% loss
//! each way): the real daemon, the real `moshmux connect` in tmux, the link emulator in
//! between, and what a user reads on the screen.

use std::time::Duration;

use moshmux_tests::harness::{connect_client, status_line, Daemon, Tmux};
use moshmux_tests::netem::{DirectionConfig, LinkConfig, Netem};

const COLS: u16 = 80;
const ROWS: u16 = 24;
const PANE_ROWS: usize = ROWS as usize - 1;
/// How long the screen may take to show what it should: generous for a loaded machine.
const WAIT: Duration = Duration::from_secs(20);

fn pane_rows(screen: &str) -> Vec<&str> {
    let mut rows: Vec<&str> = screen.lines().collect();
    rows.resize(usize::from(ROWS), "");
    rows.truncate(PANE_ROWS);
    rows
}

/// The top line's number (0-based) from the status line's "line X of Y", once no line
/// of the view is still on its way.
fn view_top(screen: &str) -> Option<u64> {
    let status = status_line(screen, ROWS);
    if status.contains("[loading]") || status.contains("searching") {
        return None;
    }
    let x = status.split("line ").nth(1)?.split(" of ").next()?;
    x.trim().parse::<u64>().ok()?.checked_sub(1)
}

/// Whether the view shows line `top` and on, each history line reading its own number
/// (`seq` wrote line N as "N"; the command line was line 0), and the live output after
/// them (lines past 50000) as "live".
fn shows_lines_from(screen: &str, top: u64) -> bool {
    let rows = pane_rows(screen);
    let mut numbers = 0;
    for (line, row) in (top..).zip(&rows) {
        let right = match (line, row.parse::<u64>()) {
            (0, _) => row.starts_with("$ seq 1 50000"),
            (_, Ok(number)) => {
                numbers += 1;
                number == line
            }
            (_, Err(_)) => line > 50_000 && (*row == "live" || *row == "$" || row.is_empty()),
        };
        if !right {
            return false;
        }
    }
    numbers > 0 || top == 0
}

/// Waits until the view's status and rows agree, and returns the top line.
fn settled_view(tmux: &Tmux, what: &str, wanted: impl Fn(u64) -> bool) -> u64 {
    let screen = tmux.expect(what, WAIT, |s| {
        view_top(s).is_some_and(|top| wanted(top) && shows_lines_from(s, top))
    });
    view_top(&screen).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scroll_view_pages_searches_and_reaches_line_1_over_a_lossy_link() {
    let direction = DirectionConfig {
        loss: 0.3,
        delay: Duration::from_millis(100),
        ..DirectionConfig::default()
    };
    let link = LinkConfig {
        to_server: direction.clone(),
        to_client: direction,
        seed: 8,
        blackouts: Vec::new(),
    };
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("sb");
    let server = format!("127.0.0.1:{port}").parse().unwrap();
    let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, link)
        .await
        .unwrap();
    let tmux = connect_client(COLS, ROWS, netem.listen_addr().port(), &key);
    tmux.expect("the prompt", WAIT, |s| pane_rows(s).first() == Some(&"$"));

    // The numbers, then a line of live output every half second while we scroll.
    tmux.send_literal("seq 1 50000; while :; do echo live; sleep 0.5; done");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the end of seq", WAIT, |s| pane_rows(s).contains(&"50000"));

    // Prefix [ opens the view at the bottom; each PageUp shows the page above, less the
    // two lines tmux's page keeps in sight.
    tmux.send_keys(&["C-b", "["]);
    let mut top = settled_view(&tmux, "the view at the bottom", |top| top > 49_000);
    for page in 1..=3 {
        tmux.send_keys(&["PPage"]);
        let expected = top - (PANE_ROWS as u64 - 2);
        top = settled_view(&tmux, &format!("page {page} up"), |t| t == expected);
    }
    assert!(top < 50_000, "three pages up is still live output: {top}");

    // A search over the server's store jumps far back.
    tmux.send_keys(&["/"]);
    tmux.send_literal("12345");
    tmux.send_keys(&["Enter"]);
    // The match shows a quarter of the view from its bottom, as tmux shows it.
    let match_row = (PANE_ROWS - PANE_ROWS / 4) as u64;
    settled_view(&tmux, "the match of /12345 in sight", |t| {
        t == 12_345 - match_row
    });

    // g reaches the oldest line: the command, then 1, 2, 3...
    tmux.send_keys(&["g"]);
    let screen = tmux.expect("line 1", WAIT, |s| {
        view_top(s) == Some(0) && shows_lines_from(s, 0)
    });
    assert!(status_line(&screen, ROWS).contains("line 1 of"), "{screen}");
    assert_eq!(pane_rows(&screen)[1], "1");

    // Live output kept arriving all along; q goes back to it.
    tmux.send_keys(&["q"]);
    tmux.expect("the live pane again", WAIT, |s| {
        let rows = pane_rows(s);
        rows.iter().filter(|row| **row == "live").count() >= 2
            && !status_line(s, ROWS).contains("line ")
    });
}

/// `new` for `daemon` as a daemon on a full disk would run: writes past 2 MiB fail
/// (RLIMIT_FSIZE, with SIGXFSZ ignored, as a full disk fails them with ENOSPC); the
/// daemon `new` starts inherits both. Returns the port and key it printed.
fn new_on_a_full_disk(daemon: &Daemon, session: &str) -> (u16, String) {
    use std::os::unix::process::CommandExt;
    let mut new = daemon.command(&["new", "-s", session, "--", "sh"]);
    // SAFETY: signal and setrlimit are async-signal-safe and change only the child.
    unsafe {
        new.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 2 << 20,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = new.output().expect("running new");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    match line.split_whitespace().collect::<Vec<_>>()[..] {
        ["MOSHMUX", "CONNECT", port, key, _version] => {
            (port.parse().expect("a port"), key.to_owned())
        }
        _ => panic!("not a MOSHMUX CONNECT line: {line}"),
    }
}

#[test]
fn history_that_cannot_be_saved_shows_on_the_status_line_and_on_new() {
    let daemon = Daemon::new();
    let (port, key) = new_on_a_full_disk(&daemon, "full");
    let tmux = connect_client(COLS, ROWS, port, &key);
    tmux.expect("the prompt", WAIT, |s| s.starts_with('$'));
    // Output that compresses badly, so the history outgrows the 2 MiB at once.
    tmux.send_literal("od -An -tx1 /dev/urandom | head -n 100000");
    tmux.send_keys(&["Enter"]);
    let screen = tmux.expect("the notice", WAIT, |s| {
        status_line(s, ROWS).contains("history not saved")
    });
    assert!(
        status_line(&screen, ROWS).contains("File too large"),
        "{screen}"
    );
    // The next `new` (another device attaching) says it in a whole line.
    let again = daemon.run(&["new", "-s", "full"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr
            .lines()
            .any(|line| line.contains("the pane history is not being saved")),
        "{stderr}"
    );
}

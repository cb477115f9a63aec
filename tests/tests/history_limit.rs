//! tmux's `history-limit` on the real daemon: a pane keeps the limit its session had
//! when the pane was made, as tmux fixes a pane's limit then; panes made before, and
//! panes of other sessions, keep all their history (the store's default: no limit).
//! The store drops whole blocks, so a limited pane keeps from the limit up to one
//! block more.

use std::time::{Duration, Instant};

use moshmux_store::BLOCK_LINES;
use moshmux_tests::harness::Daemon;

const LIMIT: usize = 300;
const PRINTED: usize = 3000;
const WAIT: Duration = Duration::from_secs(30);

/// The numbers `seq` printed that `capture-pane -S -` still shows: history and screen.
fn kept_lines(daemon: &Daemon, target: &str) -> Vec<usize> {
    daemon
        .ok(&["capture-pane", "-p", "-S", "-", "-t", target])
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect()
}

/// Waits until the pane shows the last line and its history is as `settled` wants it.
fn settled(daemon: &Daemon, target: &str, settled: impl Fn(&[usize]) -> bool) -> Vec<usize> {
    let deadline = Instant::now() + WAIT;
    loop {
        let kept = kept_lines(daemon, target);
        if kept.last() == Some(&PRINTED) && settled(&kept) {
            return kept;
        }
        assert!(
            Instant::now() < deadline,
            "{target}: history never settled; it keeps {} lines from {:?}",
            kept.len(),
            kept.first()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_pane_keeps_the_history_limit_its_session_had_when_it_was_made() {
    let daemon = Daemon::new();
    let seq = format!("seq 1 {PRINTED}; exec sleep 600");
    daemon.new_session("lim");
    daemon.new_session("free");
    assert_eq!(
        daemon.ok(&["show", "-g", "history-limit"]),
        "history-limit 0\n"
    );
    daemon.ok(&["set", "-t", "lim", "history-limit", &LIMIT.to_string()]);
    assert_eq!(
        daemon.ok(&["show", "-v", "-t", "lim", "history-limit"]),
        format!("{LIMIT}\n")
    );
    daemon.ok(&["new-window", "-t", "lim", &seq]);
    daemon.ok(&["new-window", "-t", "free", &seq]);
    daemon.ok(&["send-keys", "-t", "lim:0", &seq, "Enter"]);

    let limited = settled(&daemon, "lim:1", |kept| kept.first() != Some(&1));
    assert!(
        (LIMIT..=LIMIT + BLOCK_LINES).contains(&limited.len()),
        "the limited pane keeps {} lines",
        limited.len()
    );
    let numbered = (limited[0]..=PRINTED).collect::<Vec<_>>();
    assert_eq!(
        limited, numbered,
        "what it keeps are the newest lines, in order"
    );

    // The session's first pane was made before the limit, the other session never had
    // one: both keep every line.
    for target in ["lim:0", "free:1"] {
        let all = settled(&daemon, target, |kept| kept.first() == Some(&1));
        assert_eq!(all.len(), PRINTED, "{target} keeps its whole history");
    }
}

#[test]
fn history_limit_takes_tmux_values_and_a_config_file_sets_it_for_every_pane() {
    let daemon = Daemon::new();
    let config = daemon.dir().join("config/moshmux");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("config.toml"),
        format!("[options]\nhistory-limit = {LIMIT}\n"),
    )
    .expect("config file");
    daemon.new_session("conf");
    assert_eq!(
        daemon.ok(&["show", "-g", "history-limit"]),
        format!("history-limit {LIMIT}\n")
    );
    let refused = daemon.fails(&["set", "-g", "history-limit", "3000000000"]);
    assert_eq!(refused, "value is too large: 3000000000");
    let refused = daemon.fails(&["set", "-g", "history-limit", "-1"]);
    assert_eq!(refused, "value is too small: -1");

    daemon.ok(&[
        "new-window",
        "-t",
        "conf",
        &format!("seq 1 {PRINTED}; exec sleep 600"),
    ]);
    let limited = settled(&daemon, "conf:1", |kept| kept.first() != Some(&1));
    assert!(
        (LIMIT..=LIMIT + BLOCK_LINES).contains(&limited.len()),
        "a pane under the config file's limit keeps {} lines",
        limited.len()
    );
}

//! Prefix `t`, tmux's clock-mode, in the real client inside tmux: the time in large blue
//! digits over the pane (blue cells in `capture-pane -e`), or as text in a pane too
//! narrow for them, where it reads as this machine's clock; any key gives the pane back.
//! (The digits' shapes are the unit tests' in `client/src/clock.rs`.)

use std::time::Duration;

use moshmux_tests::harness::Attached;

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn prefix_t_shows_the_time_in_large_digits_until_a_key() {
    let attached = Attached::new("", 80, 24);
    let tmux = &attached.tmux;
    tmux.send_literal("echo before-the-clock");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the echo", WAIT, |s| s.contains("before-the-clock"));
    tmux.send_keys(&["C-b", "t"]);
    tmux.expect("the pane cleared", WAIT, |s| {
        !s.contains("before-the-clock")
    });
    // The digits are blue blanks: the pane shows no text, and blue where it did not.
    let escaped = tmux.capture_escapes();
    let blue = escaped.matches("\u{1b}[44m").count() + escaped.matches(";44m").count();
    assert!(blue >= 5, "no blue cells:\n{escaped}");
    let screen = tmux.capture();
    let text_rows = screen
        .lines()
        .take(23)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(text_rows, 0, "text over the clock:\n{screen}");
    tmux.send_keys(&["q"]);
    tmux.expect("the pane back", WAIT, |s| s.contains("before-the-clock"));
}

#[test]
fn in_a_narrow_pane_the_clock_is_text_and_reads_as_this_machine_s_clock() {
    let attached = Attached::new("", 24, 10);
    let tmux = &attached.tmux;
    let now = || {
        let output = std::process::Command::new("date")
            .arg("+%H:%M")
            .output()
            .expect("date runs");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let before = now();
    tmux.send_keys(&["C-b", "t"]);
    let screen = tmux.expect("the clock as text", WAIT, |s| {
        s.lines().any(|line| {
            let line = line.trim();
            line.len() == 5 && line.as_bytes()[2] == b':'
        })
    });
    let after = now();
    let shown = screen
        .lines()
        .map(str::trim)
        .find(|line| line.len() == 5 && line.as_bytes()[2] == b':')
        .unwrap_or_default();
    assert!(
        shown == before || shown == after,
        "the clock shows {shown}, this machine {before} or {after}"
    );
}

//! Window alerts as tmux keeps them: a bell rung in a window out of view flags it (`!`
//! in `#{window_flags}`, `#{window_bell_flag}`), selecting the window clears the flag,
//! and `next-window -a` / `previous-window -a` (prefix `M-n`, `M-p`) go to a flagged
//! window. One script run against tmux 3.3 and `moshmux-server`, compared line for
//! line; then the keys and the status line on a real client attached in tmux.

use std::time::{Duration, Instant};

use moshmux_tests::harness::scripts::run_both;
use moshmux_tests::harness::{status_line, Attached};

const WAIT: Duration = Duration::from_secs(20);

/// `$T` is the program. The session has no client, so as in tmux even its current
/// window keeps a bell's flag until it is selected again.
const ALERTS_SCRIPT: &str = r##"
set -u
T="$1"
$T new-session -d -s al -x 80 -y 24 sh
$T new-window -d -t al -- sh
$T new-window -d -t al -- sh
$T new-window -d -t al -- sh
flags() {
  echo "$1:" $($T list-windows -t al -F '#{window_index}#{window_flags}/#{window_bell_flag}')
}
flags "no bell yet"
$T next-window -a -t al 2>&1; echo "none flagged: $?"
$T previous-window -a -t al 2>&1; echo "none flagged: $?"
$T send-keys -t al:2 "printf '\\a'" Enter
$T send-keys -t al:3 "printf '\\a'" Enter
$T send-keys -t al:0 "printf '\\a'" Enter
sleep 1
flags "three bells"
$T previous-window -a -t al
$T display -p -t al 'previous with an alert: #{window_index}'
flags "after previous-window -a"
$T next-window -a -t al
$T display -p -t al 'next with an alert: #{window_index}'
$T next-window -a -t al
$T display -p -t al 'next with an alert: #{window_index}'
flags "all seen"
$T next-window -a -t al 2>&1; echo "none left: $?"
$T send-keys -t al:1 "printf '\\a'" Enter
sleep 1
$T select-window -t al:1
flags "selected by hand"
"##;

#[test]
fn bells_flag_windows_and_next_window_a_finds_them_as_tmux_does() {
    let (expected, actual) = run_both(ALERTS_SCRIPT, "alerts");
    for line in [
        "three bells: 0!*/1 1/0 2!/1 3!/1",
        "previous with an alert: 3",
        "none left: 1",
    ] {
        assert!(expected.contains(line), "tmux said:\n{expected}");
    }
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}

#[test]
fn a_bell_out_of_view_shows_on_the_status_line_and_prefix_m_n_goes_there() {
    let attached = Attached::new("", 80, 24);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);
    daemon.ok(&["new-window", "-d", "-t", "s", "--", "sh"]);
    tmux.expect("two windows", WAIT, |s| {
        status_line(s, 24).starts_with("[s] 0:sh* 1:sh")
    });
    // A bell in the window in view flags nothing; one in the other window does.
    daemon.ok(&["send-keys", "-t", "s:0", "printf '\\a'", "Enter"]);
    daemon.ok(&["send-keys", "-t", "s:1", "printf '\\a'", "Enter"]);
    tmux.expect("the bell's flag", WAIT, |s| {
        status_line(s, 24).starts_with("[s] 0:sh* 1:sh!")
    });
    let index = ["display-message", "-p", "-t", "s", "#{window_index}"];
    let deadline = Instant::now() + WAIT;
    while daemon.ok(&index).trim() != "1" {
        assert!(
            Instant::now() < deadline,
            "prefix M-n never went to window 1"
        );
        tmux.send_keys(&["C-b", "M-n"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    tmux.expect("the flag cleared", WAIT, |s| {
        status_line(s, 24).starts_with("[s] 0:sh- 1:sh*")
    });
}

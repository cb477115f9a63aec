//! set-option, set-window-option, show-options and show-window-options: one script run
//! against tmux 3.3 and against `moshmux-server`, compared line for line: defaults, the
//! global and session tables and what shows through, toggling, unsetting, user options,
//! tmux's refusals, mode-keys (a window option), and synchronize-panes copying `send-keys`
//! to every pane. And what the options do to a real client attached in tmux: the status
//! line, the prefix and the mouse change at once, and unsetting them brings back the
//! client's config file.

use std::time::{Duration, Instant};

use moshmux_tests::harness::scripts::run_both;
use moshmux_tests::harness::Attached;

const WAIT: Duration = Duration::from_secs(20);

/// `$T` is the program. A refusal's exit status is printed; its line too, but for a bad
/// prefix key, where moshmux says which keys can be a prefix after tmux's words, and a
/// missing session, where tmux's set-option words it unlike its other commands.
const OPTIONS_SCRIPT: &str = r##"
set -u
T="$1"
$T new-session -d -s opt -x 80 -y 24 sh
for o in bell-action mouse prefix set-clipboard set-titles status window-size; do
  $T show-options -g $o
done
$T show-window-options -g synchronize-panes
for o in status-left status-left-length status-right status-right-length; do
  $T show -g $o
done
for o in window-status-format window-status-current-format window-status-separator; do
  $T showw -g $o
done
echo "-- session and global tables"
$T set -g mouse on
$T show -g mouse
$T show -t opt mouse; echo "not set on the session: $?"
$T show -A -t opt mouse
$T set -t opt mouse off
$T show -t opt mouse
$T show -v -t opt mouse
$T set -t opt mouse
$T show -t opt mouse
$T set -u -t opt mouse
$T show -t opt mouse; echo "unset: $?"
$T set -g mouse NO
$T show -gv mouse
echo "-- values"
$T set -g prefix C-a
$T show -g prefix
$T set -g prefix '^q'
$T show -g prefix
$T set-option -g prefix nokey 2>&1 | sed 's/ (.*//'
$T set -g prefix 2>&1; echo "no key: $?"
$T set -gu prefix
$T show -g prefix
$T set -g status off
$T show -g status
$T set -g status
$T show -g status
$T set -g bell-action other
$T set -g set-titles yes
$T set -s set-clipboard on
$T show -s set-clipboard
$T set -g window-size smallest
$T show -gv window-size
$T show -g bell-action
$T show -g set-titles
echo "-- refusals"
$T set -g mouse maybe 2>&1; echo "bad value: $?"
$T set -g bell-action sometimes 2>&1; echo "unknown value: $?"
$T set -g status 3x 2>&1; echo "unknown status: $?"
$T set -g status-left-length abc 2>&1; echo "not a number: $?"
$T set -g status-left-length -3 2>&1; echo "negative: $?"
$T set -g status-left-length 99999 2>&1; echo "too long: $?"
$T set -g status-left-length 20
$T show -gv status-left-length
$T set -g history-limit 50000
$T show -g history-limit
$T set -t opt history-limit 2147483648 2>&1; echo "too many lines: $?"
$T show -v -t opt history-limit; echo "not set on the session: $?"
$T set -g status-left 2>&1; echo "no format: $?"
$T set -g status-left '#[fg=red]#S $x'
$T show -g status-left
$T set -g nosuch x 2>&1; echo "invalid: $?"
$T set -gq nosuch x; echo "quiet: $?"
$T show -g nosuch 2>&1; echo "show invalid: $?"
$T show -gq nosuch; echo "show quiet: $?"
$T set -go mouse off 2>&1; echo "already set: $?"
$T show -gv mouse
$T set -t nosession mouse on 2>/dev/null; echo "no session: $?"
echo "-- user options"
$T set -g @plugin 'two words'
$T show -g @plugin
$T show -gv @plugin
$T set -g @plain word
$T show -g @plain
$T set -g @empty 2>&1; echo "empty: $?"
$T show -g @missing 2>&1; echo "missing: $?"
$T set -gu @plugin
$T show -g @plugin 2>&1; echo "unset user option: $?"
$T set -t opt @mine here
$T show -t opt @mine
$T show -gq @mine; echo "not global: $?"
echo "-- window options"
$T split-window -t opt -- sh -c 'cat > second'
$T send-keys -t opt:0.0 'exec cat > first' Enter
sleep 0.5
$T setw -t opt synchronize-panes on
$T showw -t opt
$T showw -t opt synchronize-panes
$T show -w -t opt synchronize-panes
$T showw -g synchronize-panes
$T send-keys -t opt:0.1 both Enter
$T setw -t opt synchronize-panes off
$T send-keys -t opt:0.1 alone Enter
sleep 0.5
echo "first: $(cat first)"
echo "second: $(cat second | tr '\n' ' ')"
echo "-- mode-keys (the global default is left out: tmux's follows \$EDITOR, ours is vi)"
$T set -gw mode-keys vi
$T showw -g mode-keys
$T set -g mode-keys emacs
$T show -gw mode-keys
$T setw -t opt mode-keys vi
$T showw -t opt mode-keys
$T showw -v -t opt mode-keys
$T setw -u -t opt mode-keys
$T showw -t opt mode-keys; echo "window's own unset: $?"
$T show -A -w -t opt mode-keys
$T setw -g mode-keys
$T showw -gv mode-keys
$T setw -g mode-keys vim 2>&1; echo "unknown mode-keys: $?"
"##;

#[test]
fn options_are_set_shown_and_inherited_as_tmux_keeps_them() {
    let (expected, actual) = run_both(OPTIONS_SCRIPT, "options");
    // tmux's answer has its defaults, its refusals and the synchronized panes.
    for said in [
        "prefix C-b",
        "status-left \"[#{session_name}] \"",
        "value is too large: 99999",
        "set-clipboard external",
        "window-size latest",
        "mouse* on",
        "prefix C-q",
        "bad key: nokey",
        "bad value: maybe",
        "unknown value: sometimes",
        "invalid option: nosuch",
        "already set: mouse",
        "@plugin \"two words\"",
        "invalid option: @missing",
        "synchronize-panes on",
        "first: both",
        "second: both alone",
        "mode-keys emacs",
        "unknown value: vim",
    ] {
        assert!(expected.contains(said), "tmux said:\n{expected}");
    }
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}

/// Tries `step` until it says it is done, every `pause`, failing with `what` after
/// [`WAIT`].
fn until(what: &str, pause: Duration, mut step: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !step() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(pause);
    }
}

const POLL: Duration = Duration::from_millis(50);
/// Long enough for a key to reach the server and a window to open.
const KEY_PAUSE: Duration = Duration::from_millis(300);

#[test]
fn options_set_at_run_time_change_an_attached_client_and_unsetting_brings_back_its_file() {
    // The client's file sets the mouse on; set-option overrides it and -u gives it back.
    let attached = Attached::new("[client]\nmouse = true\n", 80, 24);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);
    let height = ["display-message", "-p", "-t", "s", "#{pane_height}"];
    assert_eq!(daemon.ok(&height).trim(), "23");
    assert_eq!(tmux.pane_format("#{mouse_sgr_flag}"), "1");

    // status off: the status line goes and the pane gets the last row.
    daemon.ok(&["set-option", "-g", "status", "off"]);
    until("the pane never grew", POLL, || {
        daemon.ok(&height).trim() == "24"
    });
    tmux.expect("no status line", WAIT, |s| !s.contains("[s]"));

    // The prefix is C-a now: C-a c opens a window, and C-b reaches the shell.
    daemon.ok(&["set", "-g", "prefix", "C-a"]);
    let windows = ["display-message", "-p", "-t", "s", "#{session_windows}"];
    until("C-a c never opened a window", KEY_PAUSE, || {
        let done = daemon.ok(&windows).trim() == "2";
        if !done {
            tmux.send_keys(&["C-a", "c"]);
        }
        done
    });
    tmux.send_keys(&["C-b", "c"]);
    std::thread::sleep(KEY_PAUSE);
    assert_eq!(daemon.ok(&windows).trim(), "2", "C-b is still the prefix");

    // The session's own mouse off wins over the client's file...
    daemon.ok(&["set", "-t", "s", "mouse", "off"]);
    until("the client still asks for the mouse", POLL, || {
        tmux.pane_format("#{mouse_sgr_flag}") == "0"
    });
    // ...and unsetting every option brings the file's settings and tmux's defaults back
    // (the prefix typed at the prompt, as a tmux user would).
    daemon.ok(&["set", "-u", "-t", "s", "mouse"]);
    daemon.ok(&["set", "-gu", "status"]);
    tmux.send_keys(&["C-a", ":"]);
    tmux.expect("the prompt", WAIT, |s| {
        s.lines().last().is_some_and(|l| l.starts_with(':'))
    });
    tmux.send_literal("set -gu prefix");
    tmux.send_keys(&["Enter"]);
    until("the status line never came back", POLL, || {
        daemon.ok(&height).trim() == "23"
    });
    until("the file's mouse = true never came back", POLL, || {
        tmux.pane_format("#{mouse_sgr_flag}") == "1"
    });
    until("C-b c never opened a window again", KEY_PAUSE, || {
        let done = daemon.ok(&windows).trim() == "3";
        if !done {
            tmux.send_keys(&["C-b", "c"]);
        }
        done
    });
}

//! The config file's `mouse = true` as a user meets it: the wheel over a shell opens the
//! scroll view, a click selects the pane under it, and the shell never sees a report.
//! With the default (`mouse = false`) the client leaves the mouse to the terminal. The
//! reports are typed into the client as a terminal sends them (SGR, which the client asks
//! for while the mouse is on).

use std::time::Duration;

use moshmux_tests::harness::{status_line, Attached, Daemon, Tmux};

const WAIT: Duration = Duration::from_secs(20);
const COLS: u16 = 80;
const ROWS: u16 = 24;
/// A wheel notch up at column 10, row 5.
const WHEEL_UP: &str = "\x1b[<64;10;5M";

fn attach(config: &str) -> Attached {
    Attached::new(config, COLS, ROWS)
}

/// Whether the terminal reports the mouse, and in SGR: "1 1" or "0 0".
fn mouse_flags(tmux: &Tmux) -> String {
    tmux.pane_format("#{mouse_any_flag} #{mouse_sgr_flag}")
}

fn count_to_300(tmux: &Tmux) -> u64 {
    tmux.send_literal("seq 1 300");
    tmux.send_keys(&["Enter"]);
    let screen = tmux.expect("the numbers", WAIT, |s| {
        s.lines().any(|l| l == "300") && s.lines().last().is_some_and(|l| l.contains("[s]"))
    });
    let top = screen.lines().next().unwrap_or("");
    top.parse()
        .unwrap_or_else(|_| panic!("no number on the top row:\n{screen}"))
}

#[test]
fn with_mouse_on_the_wheel_opens_the_scroll_view_and_the_shell_gets_nothing() {
    let a = attach("[client]\nmouse = true\n");
    let top = count_to_300(&a.tmux);
    // The terminal reports the mouse, in SGR, though the shell asked for nothing.
    assert_eq!(mouse_flags(&a.tmux), "1 1");
    a.tmux.send_literal(WHEEL_UP);
    // One notch: three lines further back, and the view says where it is.
    let older = (top - 3).to_string();
    let screen = a.tmux.expect("the scroll view a notch up", WAIT, |s| {
        status_line(s, ROWS).contains("line ") && s.lines().next() == Some(older.as_str())
    });
    assert!(status_line(&screen, ROWS).contains(" of "), "{screen}");
    // Two more notches in one read move it on.
    a.tmux.send_literal(&WHEEL_UP.repeat(2));
    let oldest = (top - 9).to_string();
    a.tmux.expect("six lines further back", WAIT, |s| {
        s.lines().next() == Some(oldest.as_str())
    });
    // The wheel coming back down to the bottom closes the view, as in tmux.
    a.tmux.send_literal(&"\x1b[<65;10;5M".repeat(3));
    let screen = a.tmux.expect("the view closed", WAIT, |s| {
        !status_line(s, ROWS).contains("line ") && s.lines().any(|l| l == "300")
    });
    // Nothing reached the shell: its prompt line is still empty.
    assert!(
        !screen.contains("[<"),
        "a report reached the shell:\n{screen}"
    );
    a.tmux.send_literal("echo typed");
    a.tmux.send_keys(&["Enter"]);
    a.tmux.expect("the command's output", WAIT, |s| {
        s.lines().any(|l| l == "typed")
    });
    // Quitting hands the terminal back with its mouse reporting off.
    a.tmux.send_keys(&["C-^", "."]);
    a.tmux.expect("the mouse given back", WAIT, |_| {
        mouse_flags(&a.tmux) == "0 0"
    });
}

#[test]
fn with_mouse_on_a_click_or_the_wheel_selects_the_pane_under_it() {
    let a = attach("[client]\nmouse = true\n");
    a.tmux.send_keys(&["C-b", "%"]);
    a.tmux.expect("the split", WAIT, |s| s.contains('│'));
    let active = |daemon: &Daemon| {
        daemon
            .ok(&["list-panes", "-t", "s"])
            .lines()
            .find(|l| l.ends_with("(active)"))
            .map(|l| l.split(':').next().unwrap_or("").to_owned())
    };
    a.tmux.expect("the new right pane focused", WAIT, |_| {
        active(&a.daemon).as_deref() == Some("1")
    });
    // Press and release in the left pane.
    a.tmux.send_literal("\x1b[<0;5;5M\x1b[<0;5;5m");
    a.tmux.expect("the left pane focused", WAIT, |_| {
        active(&a.daemon).as_deref() == Some("0")
    });
    a.tmux.send_literal("echo clicked");
    a.tmux.send_keys(&["Enter"]);
    a.tmux.expect("the output in the left pane", WAIT, |_| {
        let left = a.daemon.ok(&["capture-pane", "-p", "-t", "s:0.0"]);
        left.lines().any(|l| l == "clicked")
    });
    // The wheel over the right pane selects it and opens its scroll view.
    a.tmux.send_literal("\x1b[<64;50;5M");
    a.tmux.expect("the right pane's scroll view", WAIT, |s| {
        status_line(s, ROWS).contains("line ") && active(&a.daemon).as_deref() == Some("1")
    });
    let screen = a.tmux.capture();
    assert!(
        !screen.contains("[<"),
        "a report reached a shell:\n{screen}"
    );
}

#[test]
fn with_mouse_off_the_client_leaves_the_wheel_to_the_terminal() {
    let a = attach("");
    count_to_300(&a.tmux);
    // A terminal whose reporting is off never sends this; typed anyway, it is keys for
    // the shell like any others (its line shows them), not a scroll view.
    a.tmux.send_literal(WHEEL_UP);
    let screen = a
        .tmux
        .expect("the bytes echoed by the shell's line", WAIT, |s| {
            s.contains("[<64;10;5M")
        });
    assert!(!status_line(&screen, ROWS).contains("line "), "{screen}");
    assert!(screen.lines().any(|l| l == "300"), "{screen}");
    assert_eq!(mouse_flags(&a.tmux), "0 0");
}

//! Two things that cross the client between a pane and the user's own terminal, end to
//! end: the terminal's focus reports reach a pane whose program asked for them (DECSET
//! 1004, as vim does) and no other, and a hyperlink (OSC 8) a program prints reaches the
//! user's terminal around its text. The outer tmux plays the user's terminal; for the
//! hyperlink, which tmux 3.3 drops, `script` records every byte the client writes.

use std::time::{Duration, Instant};

use moshmux_tests::harness::{
    config_home, private_dir, workspace_binary, Attached, Daemon, Tmux, CONFIG_HOME,
};

const WAIT: Duration = Duration::from_secs(20);

/// What the terminal sends when it gains and loses focus, as `send-keys -H` takes it.
const FOCUS_IN: [&str; 4] = ["-H", "1b", "5b", "49"];
const FOCUS_OUT: [&str; 4] = ["-H", "1b", "5b", "4f"];

#[test]
fn focus_reports_reach_a_pane_that_asked_for_them_and_no_other() {
    let attached = Attached::new("", 80, 24);
    let tmux = &attached.tmux;
    // A program that does not ask: the reports are not keys for it.
    tmux.send_literal("cat -v");
    tmux.send_keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux.send_keys(&FOCUS_OUT);
    tmux.send_keys(&FOCUS_IN);
    tmux.send_literal("plain");
    tmux.send_keys(&["Enter"]);
    let screen = tmux.expect("cat's echo", WAIT, |s| s.contains("plain"));
    assert!(
        !screen.contains("^[["),
        "a report reached a pane that did not ask:\n{screen}"
    );
    tmux.send_keys(&["C-c"]);
    // dash prompts `#` for root, whatever PS1 says.
    tmux.expect("the shell back", WAIT, |s| {
        let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
        lines
            .windows(2)
            .any(|w| w[0] == "^C" && matches!(w[1], "#" | "$"))
    });

    // One that asks, as vim's FocusGained does.
    tmux.send_literal("printf '\\033[?1004h'; cat -v");
    tmux.send_keys(&["Enter"]);
    // The pane's mode reaches the client with its screen; until it has, the client does
    // not pass reports on, so the pair is sent again until it shows.
    let deadline = Instant::now() + WAIT;
    let screen = loop {
        tmux.send_keys(&FOCUS_OUT);
        tmux.send_keys(&FOCUS_IN);
        std::thread::sleep(Duration::from_millis(500));
        let screen = tmux.capture();
        if screen.contains("^[[O^[[I") || Instant::now() > deadline {
            break screen;
        }
    };
    assert!(
        screen.contains("^[[O^[[I"),
        "focus out and in never reached the pane that asked:\n{screen}"
    );
}

#[test]
fn a_hyperlink_printed_in_a_pane_reaches_the_users_terminal_around_its_text() {
    let daemon = Daemon::new();
    let home = config_home("");
    let log_dir = private_dir("osc8-log");
    let log = log_dir.join("terminal.log");
    let command = format!(
        "script -qfc \"'{}' attach --session s\" '{}'",
        workspace_binary("moshmux").display(),
        log.display()
    );
    let dir = daemon.dir().to_str().expect("a UTF-8 temp dir");
    let env = [
        ("MOSHMUX_DIR", dir),
        ("SHELL", "/bin/sh"),
        ("LANG", "C.UTF-8"),
        ("PS1", "$ "),
        (CONFIG_HOME, home.to_str().expect("a UTF-8 temp dir")),
    ];
    let tmux = Tmux::start(100, 24, &command, &env);
    tmux.expect("the prompt", WAIT, |s| {
        s.lines().any(|l| l.starts_with(['$', '#']))
    });
    tmux.send_literal(
        "printf 'see \\033]8;;https://example.com/docs\\033\\\\the docs\\033]8;;\\033\\\\ now\\n'",
    );
    tmux.send_keys(&["Enter"]);
    tmux.expect("the printed line", WAIT, |s| s.contains("see the docs now"));
    let deadline = Instant::now() + WAIT;
    let written = loop {
        let written = std::fs::read(&log).unwrap_or_default();
        let written = String::from_utf8_lossy(&written).into_owned();
        if written.contains("the docs") || Instant::now() > deadline {
            break written;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The link opens before its text and closes after it, whatever the terminator.
    let opened = written
        .find("\x1b]8;;https://example.com/docs")
        .unwrap_or_else(|| panic!("no hyperlink reached the terminal:\n{written:?}"));
    let text = opened
        + written[opened..]
            .find("the docs")
            .expect("the text after the link");
    assert!(
        written[text..].contains("\x1b]8;;\x1b\\") || written[text..].contains("\x1b]8;;\x07"),
        "the link never closed after its text:\n{written:?}"
    );

    // History keeps the link: once the line has scrolled off the screen, the scroll
    // view draws it from the server's store with its link again.
    tmux.send_literal("seq 60");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the end of seq", WAIT, |s| {
        s.lines().any(|l| l == "60") && !s.contains("see the docs now")
    });
    std::thread::sleep(Duration::from_millis(500));
    let before_view = std::fs::read(&log).unwrap_or_default().len();
    tmux.send_keys(&["C-b", "["]);
    for _ in 0..4 {
        tmux.send_keys(&["PPage"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    tmux.expect("the linked line in the scroll view", WAIT, |s| {
        s.contains("see the docs now")
    });
    let deadline = Instant::now() + WAIT;
    let drawn = loop {
        let written = std::fs::read(&log).unwrap_or_default();
        let drawn = String::from_utf8_lossy(&written[before_view.min(written.len())..]);
        if drawn.contains("\x1b]8;;https://example.com/docs") || Instant::now() > deadline {
            break drawn.into_owned();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        drawn.contains("\x1b]8;;https://example.com/docs"),
        "the scroll view drew the line from history without its link:\n{drawn:?}"
    );
    tmux.send_keys(&["q"]);
    // Detach, so the client and the `script` around it end with the test: `script`
    // outlives the terminal tmux closes around it.
    tmux.send_keys(&["C-b", "d"]);
    let deadline = Instant::now() + WAIT;
    while !String::from_utf8_lossy(&std::fs::read(&log).unwrap_or_default()).contains("[detached")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(tmux);
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&log_dir);
}

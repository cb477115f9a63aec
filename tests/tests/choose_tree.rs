//! tmux's choose-tree (prefix `w`) in a real client: the tree lists the session's
//! windows by name under their session, with another session beside it, the preview
//! shows the selected window's screen, Enter selects the chosen window, and x kills
//! one after y.

use std::time::{Duration, Instant};

use moshmux_tests::harness::Attached;

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn prefix_w_lists_the_windows_previews_one_and_enter_selects_it() {
    let attached = Attached::new("", 80, 24);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);
    daemon.ok(&["rename-window", "-t", "s:0", "shell"]);
    daemon.ok(&["new-window", "-t", "s", "-n", "editor"]);
    daemon.ok(&["new-window", "-t", "s", "-n", "logs"]);
    daemon.new_session("other");
    daemon.ok(&[
        "send-keys",
        "-t",
        "s:1",
        "echo only-in-the-ed''itor",
        "Enter",
    ]);
    let active = || daemon.ok(&["display-message", "-p", "-t", "s", "#{window_index}"]);
    assert_eq!(active().trim(), "2");

    tmux.send_keys(&["C-b", "w"]);
    // tmux 3.3's lines for the same sessions: the current window (2) selected, `-`
    // marking the window active before it.
    let screen = tmux.expect("the tree", WAIT, |screen| {
        screen.contains("(3) └─> 2: logs*") && screen.contains("(5) └─> 0: ")
    });
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    assert_eq!(lines[0], "(0) - s: 3 windows (attached)", "{screen}");
    assert_eq!(lines[1], "(1) ├─> 0: shell", "{screen}");
    assert_eq!(lines[2], "(2) ├─> 1: editor-", "{screen}");
    assert!(lines[4].starts_with("(4) - other: 1 windows"), "{screen}");

    // Up to window 1: the preview below the tree shows its screen.
    tmux.send_keys(&["k"]);
    tmux.expect("window 1's screen in the preview", WAIT, |screen| {
        screen.contains("┌ 1 ─") && screen.contains("only-in-the-editor")
    });
    tmux.send_keys(&["Enter"]);
    let deadline = Instant::now() + WAIT;
    while active().trim() != "1" {
        assert!(Instant::now() < deadline, "Enter never selected window 1");
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.expect("the chooser closed", WAIT, |screen| {
        !screen.contains("(0) - s:")
    });
}

/// Prefix `f`, tmux's find-window: the chooser of the windows whose name, titles or
/// screen hold the text typed; a text no window holds is one line on the status line.
#[test]
fn prefix_f_finds_the_window_whose_screen_holds_the_text() {
    let attached = Attached::new("", 80, 24);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);
    daemon.ok(&["new-window", "-t", "s", "-n", "build"]);
    daemon.ok(&["new-window", "-t", "s", "-n", "notes"]);
    daemon.ok(&[
        "send-keys",
        "-t",
        "s:1",
        "echo 'error: disk ''full'",
        "Enter",
    ]);
    let active = || daemon.ok(&["display-message", "-p", "-t", "s", "#{window_index}"]);
    let deadline = Instant::now() + WAIT;
    while !daemon
        .ok(&["capture-pane", "-p", "-t", "s:1"])
        .contains("error: disk full")
    {
        assert!(Instant::now() < deadline, "the echo never showed");
        std::thread::sleep(Duration::from_millis(50));
    }

    tmux.send_keys(&["C-b", "f"]);
    tmux.expect("the find prompt", WAIT, |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.starts_with("(find-window)"))
    });
    tmux.send_literal("disk full");
    tmux.send_keys(&["Enter"]);
    let screen = tmux.expect("the one window found", WAIT, |s| {
        s.contains("1: build") && s.contains("(0)")
    });
    // The tree above the preview holds that window alone.
    let tree: Vec<&str> = screen
        .lines()
        .take_while(|line| !line.starts_with('┌'))
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(tree.len(), 2, "{screen}");
    assert!(tree[1].contains("1: build"), "{screen}");
    // find-window starts on it: Enter selects it.
    tmux.send_keys(&["Enter"]);
    let deadline = Instant::now() + WAIT;
    while active().trim() != "1" {
        assert!(
            Instant::now() < deadline,
            "find-window never selected window 1"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    tmux.send_keys(&["C-b", "f"]);
    tmux.send_literal("nowhere to be found");
    tmux.send_keys(&["Enter"]);
    tmux.expect("tmux's message", WAIT, |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.contains("No windows matching: nowhere to be found"))
    });
}

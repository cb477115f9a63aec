//! The multiplexer commands on real PTYs through the real binary: output, layouts, zoom,
//! terminal queries, and programs that exit.

mod common;

use common::{exists, has_prompt, process_alive, wait_until, Daemon};
use moshmux_tests::harness::PaneRow;

/// Waits until the pane's shell has drawn its prompt, so typed keys reach a shell.
fn shell(server: &Daemon, session: &str) {
    server.ok(&["new", "-s", session, "--", "sh"]);
    server.wait_for_screen(session, has_prompt);
}

fn rects(rows: &[PaneRow]) -> Vec<(u16, u16, u16, u16)> {
    rows.iter().map(PaneRow::rect).collect()
}

#[test]
fn runs_a_command_and_captures_its_output() {
    let server = Daemon::new();
    shell(&server, "s");
    server.ok(&["send-keys", "-t", "s", "echo hello-$((6*7))", "Enter"]);
    server.wait_for_screen("s", |s| s.lines().any(|l| l == "hello-42"));
    // -l types key names as text.
    server.ok(&["send-keys", "-l", "-t", "s:0.0", "Enter"]);
    server.wait_for_screen("s", |s| s.lines().any(|l| l.ends_with("$ Enter")));
}

#[test]
fn splits_both_ways_and_panes_get_their_sizes() {
    let server = Daemon::new();
    shell(&server, "s");
    server.ok(&["split-window", "-h", "-t", "s", "--", "sh"]);
    assert_eq!(
        rects(&server.panes("s")),
        vec![(40, 24, 0, 0), (39, 24, 41, 0)]
    );
    server.ok(&["split-window", "-v", "-t", "s:0.1", "--", "sh"]);
    let panes = server.panes("s");
    assert_eq!(
        rects(&panes),
        vec![(40, 24, 0, 0), (39, 12, 41, 0), (39, 11, 41, 13)]
    );
    assert!(panes[2].active && !panes[0].active && !panes[1].active);
    server.ok(&["split-window", "-p", "25", "-t", "s:0.0", "--", "sh"]);
    assert_eq!(
        rects(&server.panes("s"))[..2],
        [(40, 17, 0, 0), (40, 6, 0, 18)]
    );

    // The program in the pane sees the same size.
    let target = &panes[2].id;
    server.wait_for_screen(target, has_prompt);
    server.ok(&["send-keys", "-t", target, "stty size", "Enter"]);
    server.wait_for_screen(target, |s| s.lines().any(|l| l == "11 39"));
}

#[test]
fn zoom_fills_the_window_and_unzoom_restores_the_layout() {
    let server = Daemon::new();
    shell(&server, "s");
    server.ok(&["split-window", "-t", "s", "--", "sh"]);
    server.ok(&["resize-pane", "-Z", "-t", "s:0.0"]);
    let panes = server.panes("s");
    assert!(panes[0].active && panes[0].zoomed);
    assert_eq!(panes[0].rect(), (80, 24, 0, 0));
    server.ok(&["send-keys", "-t", "s:0.0", "stty size", "Enter"]);
    server.wait_for_screen("s:0.0", |s| s.lines().any(|l| l == "24 80"));

    server.ok(&["resize-pane", "-Z", "-t", "s:0.0"]);
    let panes = server.panes("s");
    assert!(!panes[0].zoomed);
    assert_eq!(rects(&panes), vec![(80, 12, 0, 0), (80, 11, 0, 13)]);
}

#[test]
fn killing_a_pane_gives_its_space_to_the_neighbour() {
    let server = Daemon::new();
    shell(&server, "s");
    server.ok(&["split-window", "-h", "-t", "s", "--", "sh"]);
    server.ok(&["split-window", "-v", "-t", "s:0.0", "--", "sh"]);
    assert_eq!(
        rects(&server.panes("s")),
        vec![(40, 12, 0, 0), (40, 11, 0, 13), (39, 24, 41, 0)]
    );
    server.ok(&["kill-pane", "-t", "s:0.2"]);
    assert_eq!(
        rects(&server.panes("s")),
        vec![(80, 12, 0, 0), (80, 11, 0, 13)]
    );
    server.ok(&["kill-pane", "-t", "s:0.0"]);
    let panes = server.panes("s");
    assert_eq!(rects(&panes), vec![(80, 24, 0, 0)]);
    assert!(panes[0].active);
}

#[test]
fn full_screen_program_leaves_the_main_screen_intact() {
    let server = Daemon::new();
    shell(&server, "s");
    server.ok(&["send-keys", "-t", "s", "echo main-$((1+1))", "Enter"]);
    server.wait_for_screen("s", |s| s.contains("main-2"));
    server.ok(&[
        "send-keys",
        "-t",
        "s",
        r"printf '\033[?1049h\033[Halt-%s' $((2+2))",
        "Enter",
    ]);
    server.wait_for_screen("s", |s| s.contains("alt-4") && !s.contains("main-2"));
    server.ok(&["send-keys", "-t", "s", r"printf '\033[?1049l'", "Enter"]);
    let screen = server.wait_for_screen("s", |s| !s.contains("alt-4"));
    assert!(screen.contains("main-2"), "{screen}");
}

#[test]
fn cursor_position_query_gets_its_report() {
    let server = Daemon::new();
    let script = server.dir().join("cpr.sh");
    std::fs::write(
        &script,
        "stty -icanon -echo\n\
         printf '\\033[3;7H\\033[6n'\n\
         reply=$(head -c 6)\n\
         stty sane\n\
         printf '\\033[10;1H'\n\
         printf 'reply=%s\\n' \"$reply\" | cat -v\n\
         exec sleep 1000\n",
    )
    .unwrap();
    server.ok(&["new", "-s", "q", "--", "sh", script.to_str().unwrap()]);
    server.wait_for_screen("q", |s| s.lines().any(|l| l == "reply=^[[3;7R"));
}

#[test]
fn dec_line_drawing_shows_box_characters() {
    let server = Daemon::new();
    server.ok(&[
        "new",
        "-s",
        "b",
        "--",
        "sh",
        "-c",
        r"printf '\033(0lqqk\nx  x\nmqqj\033(B ok\n'; exec sleep 1000",
    ]);
    let screen = server.wait_for_screen("b", |s| s.contains("ok"));
    assert!(screen.starts_with("┌──┐\n│  │\n└──┘ ok\n"), "{screen}");
}

#[test]
fn capture_with_escapes_keeps_colours() {
    let server = Daemon::new();
    server.ok(&[
        "new",
        "-s",
        "c",
        "--",
        "sh",
        "-c",
        r"printf '\033[31mred\033[0m plain\n'; exec sleep 1000",
    ]);
    server.wait_for_screen("c", |s| s.contains("red plain"));
    let coloured = server.ok(&["capture-pane", "-p", "-e", "-t", "c"]);
    assert!(coloured.contains("31mred\x1b[0m plain"), "{coloured:?}");
    assert!(!server
        .ok(&["capture-pane", "-p", "-t", "c"])
        .contains('\x1b'));
}

#[test]
fn exits_close_pane_then_window_then_session() {
    let server = Daemon::new();
    shell(&server, "keep");
    shell(&server, "s");
    server.ok(&["split-window", "-t", "s", "--", "sh"]);
    server.ok(&["new-window", "-t", "s", "--", "sh"]);
    assert_eq!(
        server.sessions(),
        "keep: 1 windows [80x24]\ns: 2 windows [80x24]\n"
    );

    server.wait_for_screen("s:0.1", has_prompt);
    server.ok(&["send-keys", "-t", "s:0.1", "exit", "Enter"]);
    wait_until("the pane to close", || server.panes("s:0").len() == 1);
    assert_eq!(rects(&server.panes("s:0")), vec![(80, 24, 0, 0)]);

    server.wait_for_screen("s:1", has_prompt);
    server.ok(&["send-keys", "-t", "s:1", "exit", "Enter"]);
    wait_until("the window to close", || {
        server.sessions() == "keep: 1 windows [80x24]\ns: 1 windows [80x24]\n"
    });

    server.ok(&["send-keys", "-t", "s:0", "exit", "Enter"]);
    wait_until("the session to end", || {
        server.sessions() == "keep: 1 windows [80x24]\n"
    });

    let daemon = server.pid();
    server.ok(&["send-keys", "-t", "keep", "exit", "Enter"]);
    wait_until("the daemon to exit with its last session", || {
        !process_alive(daemon)
    });
    assert!(!exists(&server.socket()));
}

#[test]
fn windows_are_found_by_name_after_rename() {
    let server = Daemon::new();
    shell(&server, "s");
    server.ok(&["new-window", "-t", "s", "--", "sh"]);
    server.ok(&["rename-window", "-t", "s:1", "logs"]);
    server.ok(&["split-window", "-h", "-t", "s:logs", "--", "sh"]);
    assert_eq!(server.panes("s:logs").len(), 2);
    assert_eq!(server.panes("s:0").len(), 1);
}

#[test]
fn resizing_a_window_reflows_its_panes_in_proportion() {
    let server = Daemon::new();
    shell(&server, "s");
    server.ok(&["split-window", "-h", "-t", "s", "--", "sh"]);
    server.ok(&["split-window", "-v", "-t", "s:0.1", "--", "sh"]);
    let before = rects(&server.panes("s"));
    server.ok(&["resize-window", "-t", "s", "-x", "161", "-y", "49"]);
    assert_eq!(server.sessions(), "s: 1 windows [161x49]\n");
    let panes = server.panes("s");
    assert_eq!(
        rects(&panes),
        vec![(81, 49, 0, 0), (79, 25, 82, 0), (79, 23, 82, 26)]
    );
    server.wait_for_screen(&panes[2].id, has_prompt);
    server.ok(&["send-keys", "-t", &panes[2].id, "stty size", "Enter"]);
    server.wait_for_screen(&panes[2].id, |s| s.lines().any(|l| l == "23 79"));

    server.ok(&["resize-window", "-t", "s", "-x", "80", "-y", "24"]);
    assert_eq!(rects(&server.panes("s")), before);
    let error = server.fails(&["resize-window", "-t", "s", "-x", "0", "-y", "24"]);
    assert!(error.contains("-x"), "{error}");
}

#[test]
fn select_pane_moves_the_focus_that_session_targets_use() {
    let server = Daemon::new();
    shell(&server, "s");
    server.ok(&["split-window", "-h", "-t", "s", "--", "sh"]);
    server.ok(&["new-window", "-t", "s", "--", "sh"]);
    server.ok(&["select-pane", "-t", "s:0.0"]);
    let panes = server.panes("s");
    assert_eq!(panes.len(), 2, "select-pane also selects the pane's window");
    assert!(panes[0].active && !panes[1].active);
    // A bare session target now means that pane.
    server.ok(&["send-keys", "-t", "s", "echo focus-$((3*3))", "Enter"]);
    server.wait_for_screen("s:0.0", |s| s.lines().any(|l| l == "focus-9"));
    assert!(!server
        .ok(&["capture-pane", "-p", "-t", "s:0.1"])
        .contains("focus-9"));
}

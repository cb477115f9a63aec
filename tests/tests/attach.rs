//! `moshmux attach` with no host: the client starts the local server itself, with no SSH
//! and nothing set up, and a detached session can be joined again.

use std::process::Command;
use std::time::Duration;

use moshmux_tests::harness::{workspace_binary, Daemon, Tmux};

const WAIT: Duration = Duration::from_secs(20);

/// `moshmux attach ARGS` in a terminal of its own, serving `daemon`'s directory.
fn attach(daemon: &Daemon, args: &str) -> Tmux {
    let command = format!("{} attach {args}", workspace_binary("moshmux").display());
    let dir = daemon.dir().to_str().expect("a UTF-8 temp dir");
    let env = [
        ("MOSHMUX_DIR", dir),
        ("SHELL", "/bin/sh"),
        ("LANG", "C.UTF-8"),
        ("PS1", "$ "),
    ];
    Tmux::start(90, 24, &command, &env)
}

#[test]
fn attach_with_no_host_serves_this_machine_and_reattaches_after_detach() {
    let daemon = Daemon::new();
    let first = attach(&daemon, "--session work");
    first
        .wait_for(|screen| screen.contains("[work]"), WAIT)
        .unwrap_or_else(|screen| panic!("no session on screen:\n{screen}"));
    first.send_literal("echo attached-$((6*7))");
    first.send_keys(&["Enter"]);
    first
        .wait_for(|screen| screen.contains("attached-42"), WAIT)
        .unwrap_or_else(|screen| panic!("command output missing:\n{screen}"));
    first.send_keys(&["C-b", "d"]);
    first
        .wait_for(
            |screen| screen.contains("[detached from session work]"),
            WAIT,
        )
        .unwrap_or_else(|screen| panic!("no detach message:\n{screen}"));
    assert!(daemon.ok(&["ls"]).starts_with("work: 1 windows"));

    // Another terminal joins the same session and sees the shell as it was left.
    let second = attach(&daemon, "--session work");
    second
        .wait_for(|screen| screen.contains("attached-42"), WAIT)
        .unwrap_or_else(|screen| panic!("reattach did not show the session:\n{screen}"));
}

#[test]
fn attach_without_a_server_binary_says_what_to_do() {
    let daemon = Daemon::new();
    let output = Command::new(workspace_binary("moshmux"))
        .env("MOSHMUX_DIR", daemon.dir())
        .env("LANG", "C.UTF-8")
        .args(["attach", "--server", "/nonexistent/moshmux-server"])
        .output()
        .expect("run moshmux");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--server PATH"), "{stderr}");
}

//! The daemon's life: started by `new`, found by the next command, private files, stale
//! sockets, one daemon per directory, clean shutdown, and one-line errors.

mod common;

use common::{exists, is_connect_line, process_alive, wait_until, Daemon};
use std::os::unix::fs::PermissionsExt;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn new_starts_one_daemon_that_later_commands_find() {
    let server = Daemon::new();
    assert!(is_connect_line(
        &server.ok(&["new", "-s", "work", "--", "sh"])
    ));
    let pid = server.pid();
    assert!(process_alive(pid));
    assert_eq!(mode(&server.socket()), 0o600);
    assert_eq!(mode(server.dir()), 0o700);

    assert!(is_connect_line(&server.ok(&["new", "--", "sh"])));
    assert!(is_connect_line(&server.ok(&["new", "--", "sh"])));
    // Joining an existing session creates nothing.
    assert!(is_connect_line(&server.ok(&["new", "--session", "work"])));
    assert_eq!(server.pid(), pid, "the second `new` started another daemon");
    // Unnamed sessions take their id's number, as in tmux: `work` is $0.
    assert_eq!(
        server.sessions(),
        "1: 1 windows [80x24]\n2: 1 windows [80x24]\nwork: 1 windows [80x24]\n"
    );
}

#[test]
fn daemon_survives_the_invoking_process_and_leaves_its_session() {
    let server = Daemon::new();
    server.ok(&["new", "--", "sh"]);
    let pid = server.pid();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    // Fields after the command: state, ppid, pgrp, session.
    assert_eq!(
        fields[3],
        pid.to_string(),
        "the daemon leads its own session"
    );
    assert_ne!(fields[1], std::process::id().to_string());
}

/// The minute `date` says it is, in the form `ls` starts its creation times with.
fn this_minute() -> String {
    let out = std::process::Command::new("date")
        .arg("+%a %b %e %H:%M")
        .env("LC_ALL", "C")
        .output()
        .expect("date runs");
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

#[test]
fn ls_shows_sessions_by_name_with_their_local_creation_time() {
    let server = Daemon::new();
    let before = this_minute();
    server.ok(&["new", "-s", "b", "--", "sh"]);
    server.ok(&["new", "-s", "a", "--", "sh"]);
    let after = this_minute();
    let ls = server.ok(&["ls"]);
    let names: Vec<&str> = ls.lines().filter_map(|l| l.split(':').next()).collect();
    assert_eq!(names, ["a", "b"], "{ls}");
    for line in ls.lines() {
        let created = line
            .split_once(" (created ")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(created, _)| created)
            .unwrap_or_else(|| panic!("no creation time: {line}"));
        // `Wed Nov 25 10:52:50 2026`: the minute, then seconds and the year.
        assert_eq!(created.len(), "Wed Nov 25 10:52:50 2026".len(), "{line}");
        let minute = &created[.."Wed Nov 25 10:52".len()];
        assert!(minute == before || minute == after, "{line} vs {before}");
    }
}

#[test]
fn stale_socket_from_a_dead_daemon_is_replaced() {
    let server = Daemon::new();
    // A socket file nobody listens on, as a crashed daemon leaves behind.
    drop(std::os::unix::net::UnixListener::bind(server.socket()).unwrap());
    assert!(exists(&server.socket()));
    server.ok(&["new", "-s", "a", "--", "sh"]);
    assert_eq!(server.sessions(), "a: 1 windows [80x24]\n");

    // And a daemon killed outright is replaced by the next `new`.
    let pid = server.pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::SIGKILL,
    )
    .unwrap();
    wait_until("the killed daemon to die", || !process_alive(pid));
    assert!(exists(&server.socket()), "SIGKILL leaves the socket behind");
    server.ok(&["new", "-s", "b", "--", "sh"]);
    assert_ne!(server.pid(), pid);
    assert_eq!(server.sessions(), "b: 1 windows [80x24]\n");
}

#[test]
fn a_second_daemon_on_the_same_directory_refuses() {
    let server = Daemon::new();
    server.ok(&["new", "--", "sh"]);
    let out = server.run(&["daemon"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already runs"), "{stderr}");
    assert_eq!(server.sessions(), "0: 1 windows [80x24]\n");
}

#[test]
fn a_daemon_started_while_an_exiting_one_holds_the_lock_takes_over_once_it_is_released() {
    use nix::fcntl::{Flock, FlockArg};
    use std::os::unix::fs::OpenOptionsExt;
    let server = Daemon::new();
    // An exiting daemon: its socket already removed, its lock not yet released.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(server.dir().join("server.lock"))
        .unwrap();
    let held = Flock::lock(file, FlockArg::LockExclusiveNonblock).unwrap();
    let mut daemon = server
        .command(&["daemon"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(held);
    wait_until("the new daemon's socket", || exists(&server.socket()));
    assert_eq!(server.ok(&["ls"]), "");
    server.ok(&["kill-server"]);
    assert!(daemon.wait().unwrap().success());
}

#[test]
fn daemons_on_different_directories_run_side_by_side() {
    let first = Daemon::new();
    let second = Daemon::new();
    first.ok(&["new", "-s", "one", "--", "sh"]);
    second.ok(&["new", "-s", "two", "--", "sh"]);
    assert_ne!(first.pid(), second.pid());
    assert_eq!(first.sessions(), "one: 1 windows [80x24]\n");
    assert_eq!(second.sessions(), "two: 1 windows [80x24]\n");
}

/// A pane whose program prints its pid, so a test can watch the program's fate.
fn start_and_get_child_pid(server: &Daemon) -> u32 {
    server.ok(&[
        "new",
        "-s",
        "s",
        "--",
        "sh",
        "-c",
        "echo pid=$$; exec sleep 1000",
    ]);
    let screen = server.wait_for_screen("s", |s| s.contains("pid="));
    let line = screen.lines().find(|l| l.starts_with("pid=")).unwrap();
    line["pid=".len()..].trim().parse().unwrap()
}

#[test]
fn kill_server_ends_children_and_removes_the_socket() {
    let server = Daemon::new();
    let child = start_and_get_child_pid(&server);
    let daemon = server.pid();
    assert_eq!(server.ok(&["kill-server"]), "");
    assert!(!exists(&server.socket()));
    wait_until("the pane's program to end", || !process_alive(child));
    wait_until("the daemon to exit", || !process_alive(daemon));
    assert_eq!(
        server.fails(&["ls"]),
        format!("no server running on {}", server.socket().display())
    );
}

#[test]
fn sigterm_ends_children_and_removes_the_socket() {
    let server = Daemon::new();
    let child = start_and_get_child_pid(&server);
    let daemon = server.pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon as i32),
        nix::sys::signal::SIGTERM,
    )
    .unwrap();
    wait_until("the daemon to exit", || !process_alive(daemon));
    wait_until("the pane's program to end", || !process_alive(child));
    assert!(!exists(&server.socket()));
}

#[test]
fn bad_targets_name_what_exists() {
    let server = Daemon::new();
    server.ok(&["new", "-s", "work", "--", "sh"]);
    server.ok(&["new-window", "-t", "work", "--", "sh"]);
    assert_eq!(
        server.fails(&["list-panes", "-t", "play"]),
        "can't find session: play; sessions: work"
    );
    assert_eq!(
        server.fails(&["kill-session", "-t", "play"]),
        "can't find session: play; sessions: work"
    );
    assert_eq!(
        server.fails(&["list-panes", "-t", "work:5"]),
        "can't find window: 5 in session work; windows: 0 (sh), 1 (sh)"
    );
    assert_eq!(
        server.fails(&["select-pane", "-t", "work:1.3"]),
        "can't find pane: 3 in window work:1; panes: 0 (%1)"
    );
    assert_eq!(
        server.fails(&["capture-pane", "-p", "-t", "%42"]),
        "can't find pane %42; panes: %0, %1"
    );
    assert_eq!(
        server.fails(&["send-keys", "-t", "%x", "a"]),
        "bad pane id \"%x\": pane ids look like %3"
    );
    assert_eq!(
        server.fails(&["new", "-s", "a:b"]),
        "bad session name \"a:b\": names are 1 to 256 bytes without control characters, have no ':' or '.', and do not start with '%'"
    );
}

#[test]
fn bad_flags_and_commands_name_what_is_accepted() {
    let server = Daemon::new();
    let error = server.fails(&["split-window", "-x", "-t", "0"]);
    assert!(error.contains("'-x'"), "{error}");
    assert!(
        error.contains("split-window takes -h, -v, -p PCT, -t TARGET"),
        "{error}"
    );
    let error = server.fails(&["capture-pane", "-t", "0"]);
    assert!(error.contains("-p"), "{error}");
    let error = server.fails(&["frobnicate"]);
    assert!(
        error.contains("'frobnicate'") && error.contains("commands: new, ls"),
        "{error}"
    );
    let error = server.fails(&["new", "-p", "61000:60000"]);
    assert!(error.contains("runs backwards"), "{error}");
    // None of that needed, or started, a daemon.
    assert!(!exists(&server.socket()));
}

#[test]
fn the_last_session_ending_stops_the_daemon() {
    let server = Daemon::new();
    server.ok(&["new", "-s", "a", "--", "sh"]);
    server.ok(&["new", "-s", "b", "--", "sh"]);
    let daemon = server.pid();
    server.ok(&["kill-session", "-t", "a"]);
    assert_eq!(server.sessions(), "b: 1 windows [80x24]\n");
    server.ok(&["kill-session", "-t", "b"]);
    wait_until("the daemon to exit", || !process_alive(daemon));
    assert!(!exists(&server.socket()));
}

#[test]
fn concurrent_news_share_one_daemon() {
    let server = Daemon::new();
    // All started before any is waited for, so they race to start the daemon.
    let children: Vec<_> = (0..4)
        .map(|i| {
            server
                .command(&["new", "-s", &format!("s{i}"), "--", "sh"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        server.sessions(),
        ["s0", "s1", "s2", "s3"]
            .map(|s| format!("{s}: 1 windows [80x24]\n"))
            .concat()
    );
}

#[test]
fn a_program_that_cannot_start_is_a_one_line_error() {
    let server = Daemon::new();
    let error = server.fails(&["new", "-s", "x", "--", "/nonexistent/program"]);
    assert!(error.contains("/nonexistent/program"), "{error}");
    // The daemon started for it had nothing to serve and left.
    wait_until("the idle daemon to exit", || !exists(&server.socket()));

    server.ok(&["new", "-s", "y", "--", "sh"]);
    let error = server.fails(&["split-window", "-t", "y", "--", "/nonexistent/program"]);
    assert!(error.contains("/nonexistent/program"), "{error}");
    // Pane ids are never reused, not even across daemons: %0 went to the failed one.
    assert_eq!(
        server.ok(&["list-panes", "-t", "y"]),
        "0: [80x24] at 0,0 %1 sh (active)\n"
    );
}

#[test]
fn commands_refuse_a_runtime_directory_others_can_enter() {
    let server = Daemon::new();
    std::fs::set_permissions(server.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let error = server.fails(&["ls"]);
    assert!(error.contains("must be private"), "{error}");
    let error = server.fails(&["new", "--", "sh"]);
    assert!(error.contains("must be private"), "{error}");
}

#[test]
fn a_relative_runtime_directory_is_pinned_down() {
    let server = Daemon::new();
    let parent = server.dir().parent().unwrap();
    let name = server.dir().file_name().unwrap();
    let relative = |args: &[&str]| {
        std::process::Command::new(common::bin())
            .args(args)
            .env("MOSHMUX_DIR", name)
            .current_dir(parent)
            .output()
            .unwrap()
    };
    let new = relative(&["new", "--bind", "127.0.0.1", "-s", "r", "--", "sh"]);
    assert!(new.status.success());
    assert_eq!(server.sessions(), "r: 1 windows [80x24]\n");
    // The daemon runs in `/`; it still finds its socket to remove.
    assert!(relative(&["kill-server"]).status.success());
    assert!(!exists(&server.socket()));
}

#[test]
fn a_daemon_that_cannot_start_is_reported_with_its_reason() {
    let server = Daemon::new();
    // Too long for a Unix socket address (108 bytes), so the daemon cannot bind.
    let deep = server.dir().join("d".repeat(120));
    let out = std::process::Command::new(common::bin())
        .args(["new", "--bind", "127.0.0.1", "--", "sh"])
        .env("MOSHMUX_DIR", &deep)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let error = String::from_utf8_lossy(&out.stderr);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(
        error.contains("did not start") && error.contains("binding"),
        "{error}"
    );
}

#[test]
fn a_request_caught_by_shutdown_is_told_so() {
    use moshmux_server::control::{read_reply, write_request, Reply, Request};
    let server = Daemon::new();
    server.ok(&["new", "-s", "a", "--", "sh", "-c", "read line"]);
    // Connected (and accepted) while the daemon runs, but asking only once it ends.
    let mut early = std::os::unix::net::UnixStream::connect(server.socket()).unwrap();
    server.ok(&["send-keys", "-t", "a", "Enter"]);
    wait_until("the daemon to remove its socket", || {
        !exists(&server.socket())
    });
    write_request(&mut early, &Request::ListSessions(Default::default())).unwrap();
    assert_eq!(read_reply(&mut early).unwrap(), Reply::ShuttingDown(()));
    // And `new` then simply starts a fresh daemon.
    server.ok(&["new", "-s", "b", "--", "sh"]);
    assert_eq!(server.sessions(), "b: 1 windows [80x24]\n");
}

/// A script that ends its last session and starts the next one at once never meets the
/// old daemon on its way out: each `new` gets its session.
#[test]
fn new_right_after_killing_the_last_session_always_gets_a_session() {
    let server = Daemon::new();
    for round in 0..30 {
        let session = format!("s{round}");
        let connect = server.ok(&["new", "-s", &session, "--", "sleep", "100"]);
        assert!(is_connect_line(&connect), "round {round}: {connect}");
        server.ok(&["kill-session", "-t", &session]);
    }
}

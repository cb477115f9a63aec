//! `moshmux ls`: the sessions of this machine's daemon, or of a host's through a real
//! `sshd`, with their windows, attached clients and creation times.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use moshmux_tests::harness::{output_into_closed_pipe, workspace_binary, Daemon, Tmux};
use moshmux_tests::sshd::Sshd;

const WAIT: Duration = Duration::from_secs(20);

/// `moshmux ARGS` with `daemon`'s directory; the local server is found beside `moshmux`.
fn moshmux(daemon: &Daemon, args: &[&str]) -> Output {
    Command::new(workspace_binary("moshmux"))
        .env("MOSHMUX_DIR", daemon.dir())
        .env("LANG", "C.UTF-8")
        .args(args)
        .output()
        .expect("moshmux runs")
}

fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "moshmux ls failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Session `b` with nobody attached, then session `a` with a client in a terminal; returns
/// once `ls` counts that client (it has sent its size).
fn two_sessions_one_attached(daemon: &Daemon) -> Tmux {
    daemon.ok(&["new", "-s", "b", "--bind", "127.0.0.1", "--", "sh"]);
    let dir = daemon.dir().to_str().expect("a UTF-8 temp dir");
    let command = format!(
        "'{}' attach --session a",
        workspace_binary("moshmux").display()
    );
    let env = [
        ("MOSHMUX_DIR", dir),
        ("SHELL", "/bin/sh"),
        ("LANG", "C.UTF-8"),
    ];
    let client = Tmux::start(90, 24, &command, &env);
    let deadline = Instant::now() + WAIT;
    while !daemon.ok(&["ls"]).contains("(1 attached)") {
        assert!(
            Instant::now() < deadline,
            "the client never counted; ls:\n{}\nscreen:\n{}",
            daemon.ok(&["ls"]),
            client.capture()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    client
}

#[test]
fn ls_here_lists_sessions_by_name_with_windows_clients_and_creation_time() {
    let daemon = Daemon::new();
    let _client = two_sessions_one_attached(&daemon);
    let listed = stdout_of(&moshmux(&daemon, &["ls"]));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].starts_with("a: 1 windows (created ") && lines[0].ends_with("] (1 attached)"),
        "{listed}"
    );
    assert!(
        lines[1].starts_with("b: 1 windows (created ") && lines[1].ends_with(" [80x24]"),
        "{listed}"
    );
    assert_eq!(listed, daemon.ok(&["ls"]));
}

#[test]
fn ls_with_a_host_lists_that_hosts_sessions_through_ssh() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    let _client = two_sessions_one_attached(&daemon);
    let server = workspace_binary("moshmux-server");
    let ssh = sshd.ssh_command(daemon.dir());
    let over_ssh = Command::new(workspace_binary("moshmux"))
        .args(["ls", "--ssh", &ssh, "--server"])
        .arg(&server)
        .arg(sshd.destination())
        .output()
        .expect("moshmux runs");
    assert_eq!(stdout_of(&over_ssh), daemon.ok(&["ls"]));

    // A host without the server binary gets the line that names --server.
    let missing = Command::new(workspace_binary("moshmux"))
        .args([
            "ls",
            "--ssh",
            &ssh,
            "--server",
            "/nonexistent/moshmux-server",
        ])
        .arg(sshd.destination())
        .output()
        .expect("moshmux runs");
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains("not found on the remote host"), "{stderr}");
}

#[test]
fn ls_with_no_daemon_says_so_in_one_line() {
    let daemon = Daemon::new();
    let output = moshmux(&daemon, &["ls"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("no server running on "), "{stderr}");
}

#[test]
fn ls_into_a_closed_pipe_ends_quietly() {
    let daemon = Daemon::new();
    daemon.ok(&["new", "-s", "b", "--bind", "127.0.0.1", "--", "sh"]);
    let output = output_into_closed_pipe(
        Command::new(workspace_binary("moshmux"))
            .env("MOSHMUX_DIR", daemon.dir())
            .env("LANG", "C.UTF-8")
            .arg("ls"),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

//! `moshmux attach` with no host: the client starts the local server itself, with no SSH
//! and nothing set up, and a detached session can be joined again.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use moshmux_tests::harness::{workspace_binary, Tmux};

const WAIT: Duration = Duration::from_secs(20);

/// A private runtime directory, and a daemon in it that is killed when the test ends.
struct Daemon {
    dir: PathBuf,
}

impl Daemon {
    fn new(name: &str) -> Daemon {
        let dir = std::env::temp_dir().join(format!("mmx-attach-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        Daemon { dir }
    }

    fn attach_command(&self, args: &str) -> String {
        format!("{} attach {args}", workspace_binary("moshmux").display())
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("MOSHMUX_DIR", self.dir.to_str().expect("utf-8 temp dir")),
            ("SHELL", "/bin/sh"),
            ("LANG", "C.UTF-8"),
            ("PS1", "$ "),
        ]
    }

    fn server(&self, args: &[&str]) -> String {
        let output = Command::new(workspace_binary("moshmux-server"))
            .env("MOSHMUX_DIR", &self.dir)
            .args(args)
            .output()
            .expect("run moshmux-server");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.server(&["kill-server"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn attach_with_no_host_serves_this_machine_and_reattaches_after_detach() {
    let daemon = Daemon::new("local");
    let first = Tmux::start(
        90,
        24,
        &daemon.attach_command("--session work"),
        &daemon.env(),
    );
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
    assert!(daemon.server(&["ls"]).starts_with("work: 1 windows"));

    // Another terminal joins the same session and sees the shell as it was left.
    let second = Tmux::start(
        90,
        24,
        &daemon.attach_command("--session work"),
        &daemon.env(),
    );
    second
        .wait_for(|screen| screen.contains("attached-42"), WAIT)
        .unwrap_or_else(|screen| panic!("reattach did not show the session:\n{screen}"));
}

#[test]
fn attach_without_a_server_binary_says_what_to_do() {
    let daemon = Daemon::new("missing");
    let output = Command::new(workspace_binary("moshmux"))
        .env("MOSHMUX_DIR", &daemon.dir)
        .env("LANG", "C.UTF-8")
        .args(["attach", "--server", "/nonexistent/moshmux-server"])
        .output()
        .expect("run moshmux");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--server PATH"), "{stderr}");
}

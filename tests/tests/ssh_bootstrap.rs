//! `moshmux attach user@host` through a real OpenSSH `sshd` on a loopback port: the
//! client runs `moshmux-server new` over SSH, reads the CONNECT line and reaches the
//! remote shell over UDP; SSH failures and a missing remote server get their one-line
//! errors.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use moshmux_tests::harness::{workspace_binary, Daemon, Tmux, CONFIG_HOME};
use moshmux_tests::sshd::Sshd;

const WAIT: Duration = Duration::from_secs(20);

/// `moshmux attach --ssh SSH --server SERVER ARGS DESTINATION`, run directly, with
/// `config_home` (private, empty) instead of the user's config directory.
fn attach_output(ssh: &str, server: &Path, destination: &str, config_home: &Path) -> Output {
    Command::new(workspace_binary("moshmux"))
        .env("LANG", "C.UTF-8")
        .env(CONFIG_HOME, config_home)
        .args(["attach", "--ssh", ssh, "--server"])
        .arg(server)
        .arg(destination)
        .output()
        .expect("moshmux runs")
}

#[test]
fn attach_through_ssh_reaches_the_remote_shell() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    let command = format!(
        "{} attach --ssh '{}' --server {} --session 'remote work' {}",
        workspace_binary("moshmux").display(),
        sshd.ssh_command(daemon.dir()),
        workspace_binary("moshmux-server").display(),
        sshd.destination(),
    );
    let tmux = Tmux::start(90, 24, &command, &[("LANG", "C.UTF-8")]);
    // The name has a space: the remote shell must get it quoted.
    tmux.wait_for(|screen| screen.contains("[remote work]"), WAIT)
        .unwrap_or_else(|screen| panic!("no session on screen:\n{screen}"));
    // The HOME that sshd gave the remote side shows the shell runs there.
    tmux.send_literal("echo \"over-ssh-$((6*7)) $HOME\"");
    tmux.send_keys(&["Enter"]);
    let expected = format!("over-ssh-42 {}", sshd.remote_home().display());
    tmux.wait_for(|screen| screen.lines().any(|line| line == expected), WAIT)
        .unwrap_or_else(|screen| panic!("no command output:\n{screen}"));
    assert!(daemon.ok(&["ls"]).starts_with("remote work: 1 windows"));
}

#[test]
fn a_closed_ssh_port_says_ssh_failed() {
    // An sshd that has stopped leaves a port nothing listens on.
    let (ssh, destination, home) = {
        let sshd = Sshd::start();
        (
            sshd.ssh_command(Path::new("/nonexistent")),
            sshd.destination(),
            sshd.remote_home(),
        )
    };
    let server = workspace_binary("moshmux-server");
    let output = attach_output(&ssh, &server, &destination, &home);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("moshmux: ssh failed"), "{stderr}");
    assert!(last.contains("--ssh"), "{stderr}");
}

#[test]
fn a_missing_remote_server_names_the_server_option() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    let output = attach_output(
        &sshd.ssh_command(daemon.dir()),
        Path::new("/nonexistent/moshmux-server"),
        &sshd.destination(),
        &sshd.remote_home(),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("not found on the remote host") && last.contains("--server PATH"),
        "{stderr}"
    );
}

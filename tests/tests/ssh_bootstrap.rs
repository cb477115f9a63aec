//! `moshmux attach user@host` through a real OpenSSH `sshd` on a loopback port: the
//! client runs `moshmux-server new` over SSH, reads the CONNECT line and reaches the
//! remote shell over UDP; SSH failures and a missing remote server get their one-line
//! errors.

use std::path::Path;
use std::time::Duration;

use moshmux_tests::harness::{workspace_binary, Daemon, Tmux, CONFIG_HOME};
use moshmux_tests::sshd::Sshd;

const WAIT: Duration = Duration::from_secs(20);

/// `moshmux attach --ssh SSH --server SERVER DESTINATION` in a terminal of its own (attach
/// checks for one before it asks any server for a session), with `config_home` (private,
/// empty) instead of the user's config directory. Returns its exit code and the last line
/// it wrote that starts with `moshmux:`, under whatever ssh said.
fn attach_error(ssh: &str, server: &Path, destination: &str, config_home: &Path) -> (i32, String) {
    let command = format!(
        "'{}' attach --ssh '{ssh}' --server '{}' {destination}; echo client-exit-$?",
        workspace_binary("moshmux").display(),
        server.display(),
    );
    let config_home = config_home.to_str().expect("a UTF-8 path");
    let tmux = Tmux::start(
        250,
        24,
        &command,
        &[("LANG", "C.UTF-8"), (CONFIG_HOME, config_home)],
    );
    tmux.client_exit(WAIT)
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
    let (code, last) = attach_error(&ssh, &server, &destination, &home);
    assert_ne!(code, 0, "{last}");
    assert!(last.starts_with("moshmux: ssh failed"), "{last}");
    assert!(last.contains("--ssh"), "{last}");
}

#[test]
fn a_missing_remote_server_names_the_server_option() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    let (code, last) = attach_error(
        &sshd.ssh_command(daemon.dir()),
        Path::new("/nonexistent/moshmux-server"),
        &sshd.destination(),
        &sshd.remote_home(),
    );
    assert_ne!(code, 0, "{last}");
    assert!(
        last.contains("not found on the remote host") && last.contains("--server PATH"),
        "{last}"
    );
}

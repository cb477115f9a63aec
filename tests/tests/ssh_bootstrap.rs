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

/// `moshmux attach OPTIONS --session SESSION DESTINATION` through the fixture, in a
/// terminal: waits for the session, types `echo "TAG-$((6*7)) $HOME"` and waits for its
/// output, whose HOME (the one sshd gave the remote side) shows the shell runs there.
fn attach_and_echo(sshd: &Sshd, daemon: &Daemon, options: &str, destination: &str, session: &str) {
    let command = format!(
        "{} attach {options} --ssh '{}' --server {} --session '{session}' {destination}",
        workspace_binary("moshmux").display(),
        sshd.ssh_command(daemon.dir()),
        workspace_binary("moshmux-server").display(),
    );
    let tmux = Tmux::start(90, 24, &command, &[("LANG", "C.UTF-8")]);
    // The status line's left, as tmux's default `status-left` shows it: `[SESSION] `,
    // cut to `status-left-length` (10 columns), so `[remote wo` for "remote work".
    let left: String = format!("[{session}] ").chars().take(10).collect();
    tmux.wait_for(|screen| screen.lines().any(|l| l.starts_with(&left)), WAIT)
        .unwrap_or_else(|screen| panic!("no session on screen:\n{screen}"));
    let tag = session.replace(' ', "-");
    tmux.send_literal(&format!("echo \"{tag}-$((6*7)) $HOME\""));
    tmux.send_keys(&["Enter"]);
    let expected = format!("{tag}-42 {}", sshd.remote_home().display());
    tmux.wait_for(|screen| screen.lines().any(|line| line == expected), WAIT)
        .unwrap_or_else(|screen| panic!("no command output:\n{screen}"));
    let listed = format!("{session}: 1 windows");
    assert!(daemon.ok(&["ls"]).starts_with(&listed));
}

#[test]
fn attach_through_ssh_reaches_the_remote_shell() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    // The name has a space: the remote shell must get it quoted.
    attach_and_echo(&sshd, &daemon, "", &sshd.destination(), "remote work");
}

#[test]
fn attach_dash_6_goes_over_ipv6_from_ssh_to_udp() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    // ssh -6 reaches ::1, so `new` binds only ::1 (the address SSH_CONNECTION came in
    // on): the session shows only if the client's UDP goes to [::1] too.
    attach_and_echo(&sshd, &daemon, "-6", &sshd.destination_ipv6(), "v6");
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

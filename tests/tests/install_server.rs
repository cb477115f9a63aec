//! `moshmux attach user@host` to a host whose PATH has no `moshmux-server` of this
//! version, through a real OpenSSH `sshd` on a loopback port with a fresh remote HOME:
//! `--install-server=yes` copies the client's own server there and connects, the next
//! attach runs that copy without copying again, `no` (or "n" to the question) is one line
//! naming the fix, and another version on the remote PATH is named in one line.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use moshmux_tests::harness::{workspace_binary, Daemon, Tmux};
use moshmux_tests::sshd::Sshd;

/// Generous: the copy is the debug build, over 100 MB, and two cores are shared.
const WAIT: Duration = Duration::from_secs(60);
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Wide enough that the client's longest line is one row.
const COLS: u16 = 400;

/// `moshmux attach --ssh SSH OPTIONS DESTINATION` (no `--server`: the default lookup) in
/// a terminal, followed by `client-exit-STATUS` once it exits.
fn attach(sshd: &Sshd, daemon: &Daemon, options: &str) -> Tmux {
    let command = format!(
        "'{}' attach --ssh '{}' {options} {}; echo client-exit-$?",
        workspace_binary("moshmux").display(),
        sshd.ssh_command(daemon.dir()),
        sshd.destination(),
    );
    Tmux::start(COLS, 24, &command, &[("LANG", "C.UTF-8")])
}

/// Runs `script` on the host as the attach would, and returns its stdout.
fn remote(sshd: &Sshd, script: &str) -> String {
    let ssh = sshd.ssh_command(&sshd.remote_home());
    let words: Vec<&str> = ssh.split(' ').collect();
    let output = Command::new(words[0])
        .args(&words[1..])
        .arg(sshd.destination())
        .arg(script)
        .stdin(Stdio::null())
        .output()
        .expect("ssh runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The tests are about a host without the server: one installed on this machine's
/// system PATH (a .deb, `cargo install --root /usr/local`) would be found first.
fn assert_no_server_on_the_remote_path(sshd: &Sshd) {
    let found = remote(sshd, "command -v moshmux-server");
    assert!(
        found.trim().is_empty(),
        "this test needs a remote PATH without moshmux-server, but the host has {found}; \
         remove that one to run it"
    );
}

/// `~/.local/share/moshmux/VERSION/SYSTEM-MACHINE/moshmux-server` in the remote HOME, and
/// the same path as the client names it to the user.
fn install_path(sshd: &Sshd) -> (PathBuf, String) {
    let platform = remote(sshd, "echo \"$(uname -s)-$(uname -m)\"");
    let relative = format!(
        ".local/share/moshmux/{VERSION}/{}/moshmux-server",
        platform.trim()
    );
    let shown = format!("{}:~/{relative}", sshd.destination());
    (sshd.remote_home().join(relative), shown)
}

/// A stand-in `moshmux-server` on the remote PATH: `--version` says `version`, and
/// anything else prints a CONNECT line of protocol `protocol`, as a server of that
/// version would.
fn fake_server_on_remote_path(sshd: &Sshd, version: &str, protocol: u32) {
    let path = sshd.remote_bin().join("moshmux-server");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'moshmux-server {version}'; exit 0; fi\n\
         echo 'MOSHMUX CONNECT 60001 AAAAAAAAAAAAAAAAAAAAAA {protocol}'\n"
    );
    std::fs::write(&path, script).expect("writing the stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .expect("making it executable");
}

/// Types a command into the remote shell and waits for its output.
fn run_in_session(tmux: &Tmux, tag: &str) {
    tmux.send_literal(&format!("echo \"{tag}-$((6*7))\""));
    tmux.send_keys(&["Enter"]);
    let expected = format!("{tag}-42");
    tmux.expect("the command's output", WAIT, |screen| {
        screen.lines().any(|line| line == expected)
    });
}

#[test]
fn install_yes_copies_the_server_and_connects_and_the_next_attach_reuses_the_copy() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    assert_no_server_on_the_remote_path(&sshd);
    let (installed, shown) = install_path(&sshd);

    let first = attach(&sshd, &daemon, "--install-server=yes --session inst");
    first.expect("the session", WAIT, |screen| screen.contains("[inst]"));
    run_in_session(&first, "installed");
    let printed = first.capture_all();
    let installing = format!("moshmux: installing moshmux-server {VERSION} (");
    let line = printed
        .lines()
        .find(|line| line.starts_with(&installing))
        .unwrap_or_else(|| panic!("no install line:\n{printed}"));
    assert!(line.ends_with(&format!(" MB) to {shown}")), "{line}");
    first.send_keys(&["C-b", "d"]);
    let (code, _) = first.client_exit(WAIT);
    assert_eq!(code, 0);

    let metadata = std::fs::metadata(&installed).expect("the copy is there");
    assert_eq!(metadata.mode() & 0o777, 0o700);
    let ours = std::fs::read(workspace_binary("moshmux-server")).expect("our server");
    assert!(std::fs::read(&installed).expect("the copy") == ours);
    for dir in installed.ancestors().skip(1).take(3) {
        let mode = std::fs::metadata(dir).expect("its directory").mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
    assert!(daemon.ok(&["ls"]).starts_with("inst: 1 windows"));

    // The default (ask) asks nothing: the copy is found and run as it is.
    let second = attach(&sshd, &daemon, "--session inst");
    second.expect("the session again", WAIT, |screen| {
        screen.contains("[inst]")
    });
    run_in_session(&second, "reused");
    let printed = second.capture_all();
    assert!(!printed.contains("moshmux: installing"), "{printed}");
    assert!(!printed.contains("[y/N]"), "{printed}");
    let again = std::fs::metadata(&installed).expect("the copy is still there");
    assert_eq!(
        (again.ino(), again.mtime(), again.mtime_nsec()),
        (metadata.ino(), metadata.mtime(), metadata.mtime_nsec()),
        "the copy was written again"
    );
}

#[test]
fn install_no_and_a_no_to_the_question_leave_the_host_as_it_was() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    assert_no_server_on_the_remote_path(&sshd);
    let (_, shown) = install_path(&sshd);
    let destination = sshd.destination();
    let refusal = format!(
        "moshmux: moshmux-server was not found on {destination}; install moshmux-server \
         {VERSION} there, or attach with --install-server=yes to copy this one to {shown}, \
         or pass --server PATH"
    );

    let (code, last) = attach(&sshd, &daemon, "--install-server=no").client_exit(WAIT);
    assert_eq!((code, last.as_str()), (1, refusal.as_str()));

    let asked = attach(&sshd, &daemon, "");
    let question = format!(
        "moshmux-server was not found on {destination}. Install moshmux-server {VERSION} to \
         {shown}? [y/N]"
    );
    asked.expect("the question", WAIT, |screen| {
        screen.lines().any(|line| line.trim_end() == question)
    });
    asked.send_keys(&["n", "Enter"]);
    let (code, last) = asked.client_exit(WAIT);
    assert_eq!((code, last.as_str()), (1, refusal.as_str()));

    assert!(
        !sshd.remote_home().join(".local").exists(),
        "something was written"
    );
    assert!(!daemon.has_socket(), "a daemon was started");
}

#[test]
fn another_version_on_the_remote_path_is_named_and_yes_installs_this_one_beside_it() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    fake_server_on_remote_path(&sshd, "0.0.7", 3);
    let (installed, shown) = install_path(&sshd);
    let destination = sshd.destination();

    let (code, last) = attach(&sshd, &daemon, "--install-server=no").client_exit(WAIT);
    let expected = format!(
        "moshmux: {destination} has moshmux-server 0.0.7, this moshmux is {VERSION}; install \
         moshmux-server {VERSION} there, or attach with --install-server=yes to copy this \
         one beside it to {shown}, or pass --server PATH"
    );
    assert_eq!((code, last.as_str()), (1, expected.as_str()));
    assert!(!installed.exists());

    let beside = attach(&sshd, &daemon, "--install-server=yes --session beside");
    beside.expect("the session", WAIT, |screen| screen.contains("[beside]"));
    run_in_session(&beside, "beside");
    assert!(installed.exists());
    assert!(sshd.remote_bin().join("moshmux-server").exists());
}

#[test]
fn a_server_of_this_version_with_another_protocol_is_named_in_one_line() {
    let sshd = Sshd::start();
    let daemon = Daemon::new();
    fake_server_on_remote_path(&sshd, VERSION, 3);
    let (code, last) = attach(&sshd, &daemon, "--install-server=yes").client_exit(WAIT);
    assert_eq!(code, 1);
    let start = format!(
        "moshmux: moshmux-server on {} speaks protocol 3, this moshmux {VERSION} speaks \
         protocol ",
        sshd.destination()
    );
    assert!(last.starts_with(&start), "{last}");
    assert!(
        last.ends_with(&format!(
            "install moshmux-server {VERSION} there (the same version on both ends)"
        )),
        "{last}"
    );
}

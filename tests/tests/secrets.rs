//! The session key and what the user types never reach the daemon's log or its state on
//! disk, even with the most verbose log. The real daemon and the real client in tmux.

use std::path::Path;
use std::time::Duration;

use moshmux_proto::SessionKey;
use moshmux_tests::harness::{connect_client, status_line, Daemon};

const WAIT: Duration = Duration::from_secs(20);
const ROWS: u16 = 24;

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                pending.extend(entries.flatten().map(|entry| entry.path()));
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|window| window == needle) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[test]
fn the_key_and_typed_secrets_stay_out_of_the_log_and_the_state_directory() {
    let daemon = Daemon::with_env(&[("MOSHMUX_LOG", "trace")]);
    let (port, key) = daemon.new_session("secret");
    let tmux = connect_client(80, ROWS, port, &key);
    tmux.expect("the prompt", WAIT, |s| {
        s.starts_with('$') && status_line(s, ROWS).starts_with("[secret] 0:")
    });
    // A password typed at a prompt that does not echo: it crosses the link and the PTY,
    // and is on no screen, so no history may hold it either.
    let word = "plover-quartz-1729";
    tmux.send_literal("stty -echo; echo reading; read pw; stty echo; echo got-${#pw}");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the hidden prompt", WAIT, |s| {
        s.lines().any(|line| line == "reading")
    });
    tmux.send_literal(word);
    tmux.send_keys(&["Enter"]);
    let screen = tmux.expect("the length of what was read", WAIT, |s| {
        s.lines().any(|line| line == "got-18")
    });
    assert!(!screen.contains(word), "{screen}");

    // Everything written so far reaches the disk once the daemon has stopped.
    daemon.ok(&["kill-server"]);
    let log = daemon.log();
    assert!(
        log.contains("client connected"),
        "the log is not the verbose one:\n{log}"
    );
    let raw_key = key
        .parse::<SessionKey>()
        .expect("the key new printed")
        .as_bytes()
        .to_vec();
    for needle in [word.as_bytes(), key.as_bytes(), &raw_key[..]] {
        let found = files_containing(daemon.dir(), needle);
        assert!(
            found.is_empty(),
            "{:?} found in {found:?}",
            String::from_utf8_lossy(needle)
        );
    }
}

/// The `moshmux` process of a tmux pane: the pane's own pid when its shell exec'd the
/// client, else the child it started.
fn client_pid(tmux: &moshmux_tests::harness::Tmux) -> u32 {
    let pane = tmux.pane_pid();
    let is_client = |pid: u32| {
        std::fs::read_link(format!("/proc/{pid}/exe"))
            .is_ok_and(|exe| exe.file_name().is_some_and(|name| name == "moshmux"))
    };
    if is_client(pane) {
        return pane;
    }
    let children =
        std::fs::read_to_string(format!("/proc/{pane}/task/{pane}/children")).unwrap_or_default();
    children
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .find(|&pid| is_client(pid))
        .unwrap_or_else(|| panic!("no moshmux process under pane pid {pane}"))
}

#[test]
fn the_client_keeps_no_key_in_its_environment() {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("secret");
    let tmux = connect_client(80, ROWS, port, &key);
    tmux.expect("the prompt", WAIT, |s| {
        s.starts_with('$') && status_line(s, ROWS).starts_with("[secret] 0:")
    });
    // What another process of the user (or a crash reporter) reads of the client.
    let pid = client_pid(&tmux);
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("reading environ");
    assert!(
        environ.windows(b"LANG=".len()).any(|w| w == b"LANG="),
        "not the client's environment: {}",
        String::from_utf8_lossy(&environ)
    );
    assert!(
        !environ.windows(key.len()).any(|w| w == key.as_bytes()),
        "the key is in /proc/{pid}/environ"
    );
}

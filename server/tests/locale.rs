//! The user's locale reaches the session's panes (`new -e`, as `moshmux attach` passes
//! it), and a locale the host lacks is said in one line on `new`'s stderr.

mod common;

use common::{is_connect_line, wait_until, Daemon};

#[test]
fn the_locale_reaches_the_panes_and_a_missing_one_is_named() {
    let server = Daemon::new();
    let new = server.run(&[
        "new",
        "--bind",
        "127.0.0.1",
        "-e",
        "LANG=C.UTF-8",
        "-e",
        "LC_TIME=xx_NOWHERE.UTF-8",
        "-s",
        "loc",
        "--",
        "sh",
    ]);
    let stdout = String::from_utf8_lossy(&new.stdout);
    let stderr = String::from_utf8_lossy(&new.stderr);
    assert!(new.status.success(), "{stderr}");
    assert!(is_connect_line(&stdout), "{stdout}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("moshmux-server: this host has no locale xx_NOWHERE.UTF-8 (LC_TIME)"),
        "{stderr}"
    );
    server.ok(&[
        "send-keys",
        "-t",
        "loc",
        "echo \"lang=$LANG time=$LC_TIME\"",
        "Enter",
    ]);
    let wanted = "lang=C.UTF-8 time=xx_NOWHERE.UTF-8";
    wait_until("the pane's locale", || {
        server
            .ok(&["capture-pane", "-p", "-t", "loc"])
            .lines()
            .any(|line| line == wanted)
    });
}

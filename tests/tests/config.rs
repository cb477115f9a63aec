//! The config file as a user meets it: `~/.config/moshmux/config.toml` (here a private
//! `XDG_CONFIG_HOME`) changes the prefix and the bindings of `moshmux attach`, hides the
//! status line and sets the window-size policy of the session that `attach` creates, its
//! `[options]` are set when the daemon starts (as tmux reads its config file), and a bad
//! key is one warning while the client still works.

use std::time::Duration;

use moshmux_tests::harness::{attach_client, status_line, Attached};

const WAIT: Duration = Duration::from_secs(20);
const COLS: u16 = 80;
const ROWS: u16 = 24;

fn attach(config: &str) -> Attached {
    Attached::new(config, COLS, ROWS)
}

#[test]
fn a_configured_prefix_and_binding_work_and_the_old_prefix_reaches_the_shell() {
    let a = attach("[client]\nprefix = \"C-a\"\n[client.bind]\n\"|\" = \"split-window -h\"\n");
    a.tmux.send_keys(&["C-a", "|"]);
    a.tmux.expect("the split", WAIT, |s| s.contains('│'));
    assert_eq!(a.daemon.pane_sizes("s").len(), 2);
    // In the new pane: C-a C-a sends one C-a, and C-b is the shell's like any key.
    a.tmux.send_literal("cat -v");
    a.tmux.send_keys(&["Enter"]);
    a.tmux.send_keys(&["C-a", "C-a", "C-b", "Enter"]);
    a.tmux
        .expect("the keys the pane got", WAIT, |s| s.contains("^A^B"));
    assert_eq!(a.daemon.pane_sizes("s").len(), 2);
}

#[test]
fn with_the_status_line_off_the_pane_gets_every_row_and_prompts_still_show() {
    let a = attach("[client]\nstatus-line = false\n");
    a.tmux.expect("the pane at full height", WAIT, |_| {
        a.daemon.pane_sizes("s") == [(COLS, ROWS)]
    });
    let screen = a.tmux.capture();
    assert!(!status_line(&screen, ROWS).contains("[s]"), "{screen}");
    // The rename prompt shows over the last row while it is open.
    a.tmux.send_keys(&["C-b", ","]);
    a.tmux.expect("the prompt", WAIT, |s| {
        status_line(s, ROWS).starts_with("(rename-window)")
    });
    a.tmux.send_keys(&["Escape"]);
    a.tmux.expect("the prompt gone", WAIT, |s| {
        !status_line(s, ROWS).contains("rename-window")
    });
}

#[test]
fn a_bad_key_is_one_warning_each_and_the_rest_of_the_file_applies() {
    // Wide enough that each warning fits on one row.
    let a = Attached::new(
        "[client]\npredict = \"sometimes\"\nprefix = \"C-a\"\n[server]\nwindow-size = 1\n",
        200,
        ROWS,
    );
    // The warnings went to the terminal before the client took it: they are in its
    // scrollback, where the user scrolls back to them.
    let history = a.tmux.capture_history();
    let client = history.lines().find(|l| l.starts_with("moshmux: "));
    let server = history.lines().find(|l| l.starts_with("moshmux-server: "));
    let (Some(client), Some(server)) = (client, server) else {
        panic!("no warnings in the terminal's scrollback:\n{history}");
    };
    assert!(
        client.ends_with(
            "line 2: client.predict: expected adaptive, always or never; using the default"
        ),
        "{client}"
    );
    assert!(
        server.ends_with(
            "line 5: server.window-size: expected latest, smallest or largest; using the default"
        ),
        "{server}"
    );
    // The good key applies: C-a is the prefix.
    a.tmux.send_keys(&["C-a", "c"]);
    a.tmux.expect("a second window", WAIT, |s| {
        status_line(s, ROWS).contains("1:")
    });
}

#[test]
fn the_session_attach_creates_takes_the_window_size_policy_of_the_file() {
    let a = attach("[server]\nwindow-size = \"smallest\"\n");
    // A second client, wider but shorter, attached last: `latest` would give it its
    // whole 100x15; `smallest` takes the smaller side of each.
    let _second = attach_client(&a.daemon, &a.home, 100, 16);
    a.tmux.expect("the smallest of both sizes", WAIT, |_| {
        a.daemon.pane_sizes("s") == [(COLS, 15)]
    });
}

#[test]
fn the_file_s_options_are_set_when_the_daemon_starts_and_a_bad_one_is_one_warning() {
    let a = Attached::new(
        "[options]\nstatus-left = \"<#S> \"\nwindow-status-current-format = \"(#I:#W)\"\n\
         mouse = \"maybe\"\n\"@theme\" = \"dark\"\nstatus-right = \"\"\n",
        200,
        ROWS,
    );
    let history = a.tmux.capture_history();
    let warning = history.lines().find(|l| l.starts_with("moshmux-server: "));
    assert!(
        warning.is_some_and(|line| {
            line.ends_with("line 4: options.mouse: bad value: maybe; using the default")
        }),
        "no warning for the bad option in the terminal's scrollback:\n{history}"
    );
    a.tmux.expect("the file's status line", WAIT, |s| {
        status_line(s, ROWS).trim_end() == "<s> (0:sh)"
    });
    assert_eq!(a.daemon.ok(&["show", "-gv", "@theme"]), "dark\n");
    // They are global options, which set-option changes as any other.
    a.daemon.ok(&["set", "-g", "status-left", "[#S] "]);
    a.tmux.expect("the changed status line", WAIT, |s| {
        status_line(s, ROWS).starts_with("[s] (0:sh)")
    });
}

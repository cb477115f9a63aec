//! The command prompt (prefix `:`), as a tmux user types it: a line in the language of
//! `moshmux-server`'s command line runs for the client's session, its answer or error
//! shows on the status line, and a key dismisses it.

use std::time::Duration;

use moshmux_tests::harness::{Attached, Tmux};

const WAIT: Duration = Duration::from_secs(20);

/// Opens the prompt and types `line` into it, then Enter.
fn run_at_prompt(tmux: &Tmux, line: &str) {
    tmux.send_keys(&["C-b", ":"]);
    tmux.expect("the prompt", WAIT, |screen| {
        screen.lines().last().is_some_and(|l| l.starts_with(':'))
    });
    tmux.send_literal(line);
    tmux.send_keys(&["Enter"]);
}

fn status_line(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}

#[test]
fn a_command_line_at_the_prompt_runs_for_the_session_and_answers_on_the_status_line() {
    let attached = Attached::new("", 80, 24);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);

    run_at_prompt(tmux, "split-window -h");
    let deadline = std::time::Instant::now() + WAIT;
    while daemon.panes("s").len() != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "split-window never ran"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Output: the first line of what the command printed, on the status line.
    run_at_prompt(
        tmux,
        "display-message -p 'at #{session_name}:#{window_panes}'",
    );
    tmux.expect("the command's output", WAIT, |s| {
        status_line(s).contains("at s:2")
    });
    // Any key ends the message (and does what it does: here a new shell prompt).
    tmux.send_keys(&["Enter"]);
    tmux.expect("the message gone", WAIT, |s| {
        !status_line(s).contains("at s:2")
    });

    // A mistake is one line that says what the command takes; nothing runs.
    run_at_prompt(tmux, "split-window --sideways");
    let error = tmux.expect("the usage error", WAIT, |s| {
        status_line(s).contains("--sideways")
    });
    assert!(
        status_line(&error).contains("split-window takes"),
        "{error}"
    );
    run_at_prompt(tmux, "no-such-command");
    tmux.expect("the unknown command", WAIT, |s| {
        status_line(s).contains("no-such-command")
    });
    // Commands that start a session belong to a shell.
    run_at_prompt(tmux, "new-session -d -s other");
    tmux.expect("the refusal", WAIT, |s| {
        status_line(s).contains("run it from a shell")
    });
    assert!(
        !daemon.sessions().contains("other:"),
        "{}",
        daemon.sessions()
    );
    assert_eq!(daemon.panes("s").len(), 2);

    // A key's command that fails says why too, as tmux does: there is no window 7.
    tmux.send_keys(&["C-b", "7"]);
    let error = tmux.expect("the missing window", WAIT, |s| status_line(s).contains('7'));
    assert!(!status_line(&error).starts_with(':'), "{error}");

    // Escape cancels the prompt: nothing runs.
    tmux.send_keys(&["C-b", ":"]);
    tmux.send_literal("kill-server");
    tmux.expect("the typed line", WAIT, |s| {
        status_line(s).starts_with(":kill-server")
    });
    tmux.send_keys(&["Escape"]);
    // A lone Escape is told from Alt+key by the pause after it, as in every terminal
    // program: the next keys wait for the prompt to go.
    tmux.expect("the prompt gone", WAIT, |s| {
        !status_line(s).starts_with(':')
    });
    tmux.send_literal("echo still-$((40+2))");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the session alive", WAIT, |s| s.contains("still-42"));
}

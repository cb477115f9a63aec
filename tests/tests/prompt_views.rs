//! What the command prompt and its neighbours show, in a real client inside tmux: a
//! command's output of several lines over the panes (tmux's view mode), the message log
//! (prefix `~`, `show-messages`), what a key runs (prefix `/`), and Up bringing back
//! the lines run at the prompt before.

use std::time::Duration;

use moshmux_tests::harness::{Attached, Tmux};

const WAIT: Duration = Duration::from_secs(20);

fn status_line(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}

/// Opens the prompt and types `line` into it, then Enter.
fn run_at_prompt(tmux: &Tmux, line: &str) {
    tmux.send_keys(&["C-b", ":"]);
    tmux.expect("the prompt", WAIT, |s| status_line(s).starts_with(':'));
    tmux.send_literal(line);
    tmux.send_keys(&["Enter"]);
}

#[test]
fn output_messages_key_descriptions_and_prompt_history_show_as_in_tmux() {
    let attached = Attached::new("", 80, 24);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);
    daemon.ok(&["new-window", "-d", "-n", "second", "-t", "s"]);

    // Several lines of output: over the panes, one per line, until q.
    run_at_prompt(tmux, "list-windows -F '#{window_index}=#{window_name}'");
    let view = tmux.expect("the listing over the panes", WAIT, |s| {
        s.lines().any(|l| l.trim_end() == "1=second")
    });
    assert_eq!(
        view.lines().next().map(str::trim_end),
        Some("0=sh"),
        "{view}"
    );
    tmux.send_keys(&["q"]);
    tmux.expect("the view gone", WAIT, |s| {
        !s.lines().any(|l| l.trim_end() == "1=second")
    });

    // A mistake is a message on the status line, and the log keeps it.
    run_at_prompt(tmux, "select-window -t :7");
    tmux.expect("the error", WAIT, |s| status_line(s).contains("7"));
    tmux.send_keys(&["C-b", "~"]);
    let log = tmux.expect("the message log", WAIT, |s| {
        s.contains("command: select-window -t :7")
    });
    // Newest first: the key's own command, the message, the command that caused it,
    // then the listing.
    let entries: Vec<&str> = log.lines().filter(|l| l.contains(": ")).collect();
    assert!(entries.len() >= 4, "{log}");
    assert!(entries[0].contains(" command: show-messages"), "{log}");
    assert!(
        entries[1].contains(" message: can't find window: 7"),
        "{log}"
    );
    assert!(
        entries[2].contains(" command: select-window -t :7"),
        "{log}"
    );
    assert!(entries[3].contains(" command: list-windows -F"), "{log}");
    assert!(
        entries[0].as_bytes()[..6]
            .iter()
            .enumerate()
            .all(|(i, b)| match i {
                2 => *b == b':',
                5 => *b == b':',
                _ => b.is_ascii_digit(),
            }),
        "each entry starts with HH:MM: {log}"
    );
    tmux.send_keys(&["q"]);
    assert_eq!(
        daemon.ok(&["show-messages"]).lines().next(),
        entries.first().map(|l| l.trim_end()),
        "show-messages from a shell prints the same log"
    );

    // Prefix / asks for a key and says what it runs, without running it.
    tmux.send_keys(&["C-b", "/"]);
    tmux.expect("the key prompt", WAIT, |s| {
        status_line(s).starts_with("(key)")
    });
    tmux.send_keys(&["c"]);
    tmux.expect("c's binding", WAIT, |s| {
        status_line(s).contains("bind-key -T prefix c new-window")
    });
    assert_eq!(daemon.ok(&["list-windows", "-t", "s"]).lines().count(), 2);

    // Up at the prompt brings back the last line run there.
    tmux.send_keys(&["C-b", ":"]);
    tmux.expect("the prompt", WAIT, |s| status_line(s).starts_with(':'));
    tmux.send_keys(&["Up"]);
    tmux.expect("the last line again", WAIT, |s| {
        status_line(s).starts_with(":select-window -t :7")
    });
    tmux.send_keys(&["Escape"]);
}

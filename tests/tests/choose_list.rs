//! tmux's choose-buffer (prefix `=`) and choose-client (prefix `D`) in a real client
//! inside tmux: the server's paste buffers and clients listed over the panes, Enter
//! pasting the chosen buffer into the pane or detaching the chosen client, `d` deleting
//! a buffer.

use std::time::{Duration, Instant};

use moshmux_tests::harness::{attach_client, Attached};

const WAIT: Duration = Duration::from_secs(20);

fn has_line(screen: &str, start: &str) -> bool {
    screen.lines().any(|line| line.starts_with(start))
}

#[test]
fn prefix_equals_pastes_or_deletes_the_chosen_buffer() {
    let attached = Attached::new("", 80, 24);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);
    daemon.ok(&["set-buffer", "-b", "older", "echo first-buffer"]);
    daemon.ok(&["set-buffer", "-b", "newer", "echo second-buffer"]);

    // Newest first, as tmux lists them, each with its shortcut, name, size and sample.
    tmux.send_keys(&["C-b", "="]);
    let list = tmux.expect("both buffers", WAIT, |s| has_line(s, "(1) older: "));
    assert!(
        has_line(&list, "(0) newer: 18 bytes: \"echo second-buffer\""),
        "{list}"
    );
    tmux.send_keys(&["Down", "Enter"]);
    tmux.expect("the older buffer pasted", WAIT, |s| {
        !has_line(s, "(0) newer") && s.contains("echo first-buffer")
    });
    tmux.send_keys(&["Enter"]);
    tmux.expect("the pasted line run", WAIT, |s| {
        s.lines().any(|l| l.trim_end() == "first-buffer")
    });

    tmux.send_keys(&["C-b", "="]);
    tmux.expect("the list again", WAIT, |s| has_line(s, "(1) older: "));
    tmux.send_keys(&["d"]);
    tmux.expect("the newer buffer gone from the list", WAIT, |s| {
        has_line(s, "(0) older: ") && !s.contains("newer")
    });
    // The list drops the line at once; the server deletes when the command arrives.
    let deadline = Instant::now() + WAIT;
    while daemon
        .ok(&["list-buffers", "-F", "#{buffer_name}"])
        .trim_end()
        != "older"
    {
        assert!(
            Instant::now() < deadline,
            "the newer buffer was not deleted"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.send_keys(&["q"]);
    tmux.expect("the list closed", WAIT, |s| !has_line(s, "(0) older"));

    // The same chooser typed at the prompt.
    tmux.send_keys(&["C-b", ":"]);
    tmux.expect("the prompt", WAIT, |s| {
        s.lines().last().is_some_and(|l| l.starts_with(':'))
    });
    tmux.send_literal("choose-buffer");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the list from the prompt", WAIT, |s| {
        has_line(s, "(0) older: ")
    });
    tmux.send_keys(&["Escape"]);
    tmux.expect("the list closed by Esc", WAIT, |s| {
        !has_line(s, "(0) older")
    });

    // With no buffer the key shows nothing, as tmux's.
    daemon.ok(&["delete-buffer", "-b", "older"]);
    tmux.send_keys(&["C-b", "="]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!tmux.capture().contains("(0)"), "{}", tmux.capture());
}

#[test]
fn prefix_d_detaches_the_chosen_client_and_this_one_stays() {
    let attached = Attached::new("", 80, 24);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);
    let other = attach_client(daemon, &attached.home, 80, 24);
    let clients = daemon.ok(&["list-clients", "-F", "#{client_name}"]);
    let names: Vec<&str> = clients.lines().collect();
    assert_eq!(names.len(), 2, "{clients}");

    tmux.send_keys(&["C-b", "D"]);
    let list = tmux.expect("both clients", WAIT, |s| has_line(s, "(1) "));
    for name in &names {
        let line = format!("{name}: session s [80x24]");
        assert!(list.lines().any(|l| l.contains(&line)), "{line}\n{list}");
    }
    // The second line is the client attached second: the other one.
    tmux.send_keys(&["Down", "Enter"]);
    other.expect("the other client detached", WAIT, |s| {
        s.contains("[detached from session s]")
    });
    tmux.expect("the list closed", WAIT, |s| !has_line(s, "(0) "));
    let left = daemon.ok(&["list-clients", "-F", "#{client_name}"]);
    assert_eq!(left.trim_end(), names[0], "this client stays");

    let error = daemon.run(&["detach-client", "-t", names[1]]);
    let stderr = String::from_utf8_lossy(&error.stderr);
    assert!(
        stderr.contains(&format!("can't find client: {}", names[1])),
        "{stderr}"
    );
}

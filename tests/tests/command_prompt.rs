//! The command prompt (prefix `:`), as a tmux user types it: a line in the language of
//! `moshmux-server`'s command line runs for the client's session, its answer or error
//! shows on the status line, and a key dismisses it. `forward` adds, lists and removes
//! the client's forwards while it runs, and `moshmux-server forward` asks it to.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

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

/// Waits for the status line to show `text`; the screen then.
fn expect_status(tmux: &Tmux, what: &str, text: impl AsRef<str>) -> String {
    tmux.expect(what, WAIT, |s| status_line(s).contains(text.as_ref()))
}

#[test]
fn a_command_line_at_the_prompt_runs_for_the_session_and_answers_on_the_status_line() {
    let attached = Attached::new("", 80, 24);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);

    run_at_prompt(tmux, "split-window -h");
    let deadline = Instant::now() + WAIT;
    while daemon.panes("s").len() != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "split-window never ran"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Prefix q numbers the panes for a second; a digit selects one (tmux's
    // display-panes). The split made pane 1 the active one.
    let active = || daemon.ok(&["display-message", "-p", "-t", "s", "#{pane_index}"]);
    assert_eq!(active().trim(), "1");
    // The middle row holds the two numbers and the border between the panes.
    let middle_words = |s: &str| -> Vec<String> {
        let middle = s.lines().nth(11).unwrap_or_default();
        middle.split_whitespace().map(str::to_owned).collect()
    };
    // They show for a second only: on a loaded machine a look may miss them, so ask
    // again until one sees them.
    let deadline = Instant::now() + WAIT;
    loop {
        tmux.send_keys(&["C-b", "q"]);
        let seen = tmux.wait_for(
            |s| middle_words(s) == ["0", "│", "1"],
            Duration::from_secs(3),
        );
        if seen.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "the panes' numbers never showed");
    }
    // The digit in the same keystrokes as the prefix and q, so it comes within the second.
    tmux.send_keys(&["C-b", "q", "0"]);
    let deadline = Instant::now() + WAIT;
    while active().trim() != "0" {
        assert!(
            Instant::now() < deadline,
            "display-panes never selected pane 0"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.expect("the numbers gone", WAIT, |s| middle_words(s) == ["│"]);

    // Output: the first line of what the command printed, on the status line.
    run_at_prompt(
        tmux,
        "display-message -p 'at #{session_name}:#{window_panes}'",
    );
    expect_status(tmux, "the command's output", "at s:2");
    // Any key ends the message (and does what it does: here a new shell prompt).
    tmux.send_keys(&["Enter"]);
    tmux.expect("the message gone", WAIT, |s| {
        !status_line(s).contains("at s:2")
    });

    // A mistake is one line that says what the command takes; nothing runs.
    run_at_prompt(tmux, "split-window --sideways");
    let error = expect_status(tmux, "the usage error", "--sideways");
    assert!(
        status_line(&error).contains("split-window takes"),
        "{error}"
    );
    run_at_prompt(tmux, "no-such-command");
    expect_status(tmux, "the unknown command", "no-such-command");
    // Commands that start a session belong to a shell.
    run_at_prompt(tmux, "new-session -d -s other");
    expect_status(tmux, "the refusal", "run it from a shell");
    assert!(
        !daemon.sessions().contains("other:"),
        "{}",
        daemon.sessions()
    );
    assert_eq!(daemon.panes("s").len(), 2);
    // So do load-buffer and save-buffer, whose files are the caller's: the daemon
    // writes none.
    let file = daemon.dir().join("from-the-prompt");
    run_at_prompt(tmux, &format!("save-buffer {}", file.display()));
    expect_status(tmux, "the file refusal", "save-buffer: run it from a shell");
    assert!(!file.exists(), "the prompt wrote {}", file.display());

    // A key's command that fails says why too, as tmux does: there is no window 7.
    tmux.send_keys(&["C-b", "7"]);
    let error = expect_status(tmux, "the missing window", "7");
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

    // Prefix ] pastes the newest buffer, here one set at the prompt.
    run_at_prompt(tmux, "set-buffer 'echo pasted-$((6*7))'");
    tmux.send_keys(&["C-b", "]"]);
    tmux.send_keys(&["Enter"]);
    tmux.expect("the paste", WAIT, |s| s.contains("pasted-42"));

    // Prefix ! is tmux's break-pane: the pane gets a window of its own.
    tmux.send_keys(&["C-b", "!"]);
    let deadline = Instant::now() + WAIT;
    while daemon.ok(&["list-windows", "-t", "s"]).lines().count() != 2 {
        assert!(Instant::now() < deadline, "break-pane never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        daemon.panes("s").len(),
        1,
        "the current window keeps one pane"
    );

    // Prefix ' asks for a window's index and selects that window, as tmux's.
    let current = || daemon.ok(&["display-message", "-p", "-t", "s", "#I"]);
    assert_eq!(current().trim(), "1", "break-pane's window is current");
    tmux.send_keys(&["C-b", "'"]);
    tmux.expect("the index prompt", WAIT, |s| {
        status_line(s).starts_with("(index)")
    });
    tmux.send_literal("0");
    tmux.send_keys(&["Enter"]);
    let deadline = Instant::now() + WAIT;
    while current().trim() != "0" {
        assert!(
            Instant::now() < deadline,
            "prefix ' never selected window 0"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Prefix Page Up opens the scroll view a page up (tmux's copy-mode -u): the last
    // numbers are below it.
    tmux.send_literal("seq 200");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the numbers", WAIT, |s| s.lines().any(|l| l == "200"));
    tmux.send_keys(&["C-b", "PPage"]);
    let view = tmux.expect("the view a page up", WAIT, |s| {
        status_line(s).contains("line ") && !s.lines().any(|l| l == "200")
    });
    assert!(view.lines().any(|l| l == "170"), "{view}");
    tmux.send_keys(&["q"]);

    // Prefix ' takes a window's name as well as its index, as tmux's does.
    daemon.ok(&["new-window", "-d", "-n", "logs", "-t", "s"]);
    tmux.send_keys(&["C-b", "'"]);
    tmux.expect("the index prompt", WAIT, |s| {
        status_line(s).starts_with("(index)")
    });
    tmux.send_literal("logs");
    tmux.send_keys(&["Enter"]);
    let window = ["display-message", "-p", "-t", "s", "#{window_name}"];
    let deadline = Instant::now() + WAIT;
    while daemon.ok(&window).trim() != "logs" {
        assert!(
            Instant::now() < deadline,
            "the prompt never chose window logs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Prefix , starts with the window's name, as tmux's `command-prompt -I "#W"`.
    tmux.expect("logs current on the status line", WAIT, |s| {
        status_line(s).contains("logs*")
    });
    tmux.send_keys(&["C-b", ","]);
    tmux.expect("the name to edit", WAIT, |s| {
        status_line(s).starts_with("(rename-window) logs")
    });
    tmux.send_keys(&["BSpace", "BSpace", "BSpace", "BSpace"]);
    tmux.send_literal("notes");
    tmux.send_keys(&["Enter"]);
    let deadline = Instant::now() + WAIT;
    while daemon.ok(&window).trim() != "notes" {
        assert!(
            Instant::now() < deadline,
            "the window was never renamed notes"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Prefix . asks where to move the window: an index of this session.
    tmux.send_keys(&["C-b", "."]);
    tmux.expect("the target prompt", WAIT, |s| {
        status_line(s).starts_with("(target)")
    });
    tmux.send_literal("7");
    tmux.send_keys(&["Enter"]);
    let index = ["display-message", "-p", "-t", "s:notes", "#{window_index}"];
    let deadline = Instant::now() + WAIT;
    while daemon.ok(&index).trim() != "7" {
        assert!(
            Instant::now() < deadline,
            "the window never moved to index 7"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A TCP server on loopback that echoes every connection back; its port.
fn echo_server() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for mut connection in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(len @ 1..) = connection.read(&mut buffer) {
                    if connection.write_all(&buffer[..len]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A port nothing listens on yet.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
    listener.local_addr().expect("its address").port()
}

/// Whether `port` answers with `text` echoed back through whatever forwards it.
fn echoes(port: u16, text: &str) -> bool {
    let Ok(mut connection) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = connection.set_read_timeout(Some(Duration::from_secs(10)));
    let mut back = vec![0u8; text.len()];
    connection.write_all(text.as_bytes()).is_ok()
        && connection.read_exact(&mut back).is_ok()
        && back == text.as_bytes()
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn forwards_are_added_listed_and_removed_at_the_prompt_and_from_the_server() {
    let attached = Attached::new("", 100, 24);
    let tmux = &attached.tmux;
    let echo = echo_server();
    let (local, remote) = (free_port(), free_port());

    run_at_prompt(tmux, &format!("forward -L {local}:127.0.0.1:{echo}"));
    expect_status(
        tmux,
        "the -L forward",
        format!("forwarding -L 127.0.0.1:{local}:127.0.0.1:{echo}"),
    );
    assert!(echoes(local, "through -L"));

    // -R: the daemon listens, the client connects here.
    run_at_prompt(tmux, &format!("forward -R {remote}:127.0.0.1:{echo}"));
    wait_until("the -R forward", || echoes(remote, "through -R"));

    run_at_prompt(tmux, "forward");
    let listed = expect_status(tmux, "the list", "-R");
    assert!(
        status_line(&listed).contains(&format!("-L 127.0.0.1:{local}")),
        "{listed}"
    );

    // A port already listened on is one line, and the first forward keeps working.
    run_at_prompt(tmux, &format!("forward -L {local}:127.0.0.1:{echo}"));
    expect_status(tmux, "the refusal", "already forwarded");
    assert!(echoes(local, "still"));

    run_at_prompt(tmux, &format!("forward -KL {local}"));
    wait_until("-L to stop", || {
        TcpStream::connect((Ipv4Addr::LOCALHOST, local)).is_err()
    });
    run_at_prompt(tmux, &format!("forward -KR {remote}"));
    wait_until("-R to stop", || {
        TcpStream::connect((Ipv4Addr::LOCALHOST, remote)).is_err()
    });
    run_at_prompt(tmux, "forward");
    expect_status(tmux, "an empty list", "no forwards");

    // The server's command line asks the client: -L, and stopping it.
    let (daemon, asked) = (&attached.daemon, free_port());
    let spec = format!("{asked}:127.0.0.1:{echo}");
    let answer = daemon.ok(&["forward", "-t", "s", "-L", &spec]);
    assert!(answer.contains("asked the client of session s"), "{answer}");
    wait_until("the server's -L", || echoes(asked, "asked for"));
    expect_status(
        tmux,
        "the client's word",
        format!("forwarding -L 127.0.0.1:{spec}"),
    );
    daemon.ok(&["forward", "-KL", &asked.to_string()]);
    wait_until("the server's -L to stop", || {
        TcpStream::connect((Ipv4Addr::LOCALHOST, asked)).is_err()
    });
    // -R only from the client's own prompt: the server would choose where it connects.
    let refused = daemon.fails(&["forward", "-R", &spec]);
    assert!(refused.contains("client's own prompt"), "{refused}");
    let refused = daemon.fails(&["forward", "-L", &format!("0.0.0.0:{spec}")]);
    assert!(refused.contains("loopback only"), "{refused}");

    run_at_prompt(tmux, "forward -L nonsense");
    expect_status(tmux, "the bad spec", "bad forward");
}

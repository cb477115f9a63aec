//! Copying from the scroll view end to end: the real daemon, the real `moshmux connect`
//! in a tmux whose `set-clipboard on` stores what OSC 52 copies in a paste buffer, as a
//! user's terminal would put it on the clipboard; and the server's own paste buffer.

use std::time::{Duration, Instant};

use moshmux_tests::harness::{connect_client, status_line, Daemon};

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// How long the screen may take to show what it should: generous for a loaded machine.
const WAIT: Duration = Duration::from_secs(20);

#[test]
fn v_k_k_y_in_the_scroll_view_copies_three_lines_to_the_clipboard() {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("copy");
    let tmux = connect_client(COLS, ROWS, port, &key);
    tmux.set_option("set-clipboard", "on");
    tmux.expect("the prompt", WAIT, |s| s.lines().next() == Some("$"));
    tmux.send_literal("seq 1 100");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the end of seq", WAIT, |s| s.lines().any(|l| l == "100"));

    // Into the view, a few lines up, then a selection of the top line and two above it.
    tmux.send_keys(&["C-b", "["]);
    tmux.expect("the view", WAIT, |s| status_line(s, ROWS).contains("line "));
    tmux.send_keys(&["k", "k", "k", "v", "k", "k"]);
    let screen = tmux.expect("three lines selected", WAIT, |s| {
        let status = status_line(s, ROWS);
        status.contains("3 selected") && !status.contains("[loading]")
    });
    let top: Vec<&str> = screen.lines().take(3).collect();
    let numbers: Vec<u32> = top.iter().filter_map(|row| row.parse().ok()).collect();
    assert!(
        numbers.len() == 3 && numbers[1] == numbers[0] + 1 && numbers[2] == numbers[1] + 1,
        "the top rows are not three lines of seq: {top:?}"
    );

    tmux.send_keys(&["y"]);
    let deadline = Instant::now() + WAIT;
    let copied = loop {
        if let Some(buffer) = tmux.buffer() {
            break buffer;
        }
        assert!(Instant::now() < deadline, "nothing reached the clipboard");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(copied, top.join("\n"));
    // y left the view.
    tmux.expect("the pane again", WAIT, |s| {
        !status_line(s, ROWS).contains("line ")
    });
    // The copy is also the server's newest paste buffer, as tmux's copy mode makes one:
    // prefix ] types it into the pane.
    let deadline = Instant::now() + WAIT;
    while String::from_utf8_lossy(&daemon.run(&["show-buffer"]).stdout) != copied {
        assert!(Instant::now() < deadline, "the copy never became a buffer");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Into a file by cat, as tmux pastes: each newline typed as Enter. (The file, not
    // the screen, where the terminal's echo and cat's output interleave.)
    let pasted = daemon.dir().join("pasted.txt");
    tmux.send_literal(&format!("cat > '{}'", pasted.display()));
    tmux.send_keys(&["Enter"]);
    tmux.send_keys(&["C-b", "]"]);
    tmux.send_keys(&["Enter", "C-d"]);
    let expected = format!("{}\n", top.join("\n"));
    let deadline = Instant::now() + WAIT;
    while std::fs::read_to_string(&pasted).unwrap_or_default() != expected {
        assert!(
            Instant::now() < deadline,
            "the paste never arrived: {:?}",
            std::fs::read_to_string(&pasted)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

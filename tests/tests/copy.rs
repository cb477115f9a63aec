//! Copying from the scroll view end to end: the real daemon, the real `moshmux connect`
//! in a tmux whose `set-clipboard on` stores what OSC 52 copies in a paste buffer, as a
//! user's terminal would put it on the clipboard; and the server's own paste buffer. The
//! same keys in a real tmux's copy mode (vi keys, and emacs keys with `mode-keys emacs`)
//! are the reference for what a selection takes.

use std::time::{Duration, Instant};

use moshmux_tests::harness::{connect_client, status_line, Daemon, Tmux};

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// How long the screen may take to show what it should: generous for a loaded machine.
const WAIT: Duration = Duration::from_secs(20);

#[test]
fn h_v_j_j_e_y_in_the_scroll_view_copies_three_lines_to_the_clipboard() {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("copy");
    let tmux = connect_client(COLS, ROWS, port, &key);
    tmux.set_option("set-clipboard", "on");
    tmux.expect("the prompt", WAIT, |s| s.lines().next() == Some("$"));
    tmux.send_literal("seq 1 100");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the end of seq", WAIT, |s| s.lines().any(|l| l == "100"));

    // Into the view, the cursor to the top row, then a selection from there to the end
    // of the number two lines below.
    tmux.send_keys(&["C-b", "["]);
    tmux.expect("the view", WAIT, |s| status_line(s, ROWS).contains("line "));
    tmux.send_keys(&["H", "v", "j", "j", "e"]);
    let screen = tmux.expect("three lines selected", WAIT, |s| {
        let status = status_line(s, ROWS);
        status.contains("3 lines selected") && !status.contains("[loading]")
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

/// The newest paste buffer of `tmux`, once there is one.
fn wait_for_buffer(tmux: &Tmux, what: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(buffer) = tmux.buffer() {
            return buffer;
        }
        assert!(Instant::now() < deadline, "nothing reached {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Two known lines; the cursor then waits at the start of the line below them (in cat).
const LINES: &str = "printf '%s\\n' 'alpha beta.gamma delta' 'second line here'";

/// What `keys` copy from [`LINES`] in a real tmux's copy mode with `mode-keys` set to
/// `mode_keys` (the reference), and what they copy in moshmux's scroll view with the
/// same `mode-keys` set on its server (`moshmux-server set-option`), as the clipboard
/// gets it.
fn copies_of(keys: &[&str], mode_keys: &str) -> (String, String) {
    // tmux's own copy mode, entered by the pane's command (send-keys bypasses the
    // prefix).
    let reference = Tmux::start(
        COLS,
        ROWS,
        &format!("{LINES}; tmux copy-mode; exec cat"),
        &[],
    );
    reference.set_option("mode-keys", mode_keys);
    reference.expect("the lines", WAIT, |s| s.contains("second line here"));
    reference.send_keys(keys);
    let expected = wait_for_buffer(&reference, "tmux's buffer");

    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("copy");
    daemon.ok(&["set-option", "-g", "mode-keys", mode_keys]);
    let tmux = connect_client(COLS, ROWS, port, &key);
    tmux.set_option("set-clipboard", "on");
    tmux.expect("the prompt", WAIT, |s| s.lines().next() == Some("$"));
    tmux.send_literal(&format!("clear; {LINES}; exec cat"));
    tmux.send_keys(&["Enter"]);
    tmux.expect("the lines", WAIT, |s| {
        s.lines().next() == Some("alpha beta.gamma delta")
    });
    tmux.send_keys(&["C-b", "["]);
    tmux.expect("the view", WAIT, |s| status_line(s, ROWS).contains("line "));
    tmux.send_keys(keys);
    (expected, wait_for_buffer(&tmux, "the clipboard"))
}

#[test]
fn a_character_selection_copies_what_tmuxs_copy_mode_vi_copies_for_the_same_keys() {
    // Up to the first line (from a blank line, k goes to line ends), to its start, a word
    // on, a selection to the end of the word, then down a line; Enter copies
    // (copy-pipe-and-cancel, tmux's vi Enter).
    let keys = ["k", "k", "0", "w", "Space", "e", "j", "Enter"];
    let (expected, copied) = copies_of(&keys, "vi");
    assert_eq!(expected, "beta.gamma delta\nsecond lin");
    assert_eq!(copied, expected);
}

#[test]
fn with_mode_keys_emacs_c_space_m_f_m_w_copy_what_tmuxs_copy_mode_copies() {
    // Up to the first line, to its start, past two words and back to the second's start;
    // C-Space, then past three words (`.` is a word of its own), M-w copies (the region
    // ends before the cursor, as in tmux) and leaves.
    let keys = [
        "C-p", "C-p", "C-a", "M-f", "M-f", "M-b", "C-Space", "M-f", "M-f", "M-f", "M-w",
    ];
    let (expected, copied) = copies_of(&keys, "emacs");
    assert_eq!(expected, "beta.gamma");
    assert_eq!(copied, expected);
}

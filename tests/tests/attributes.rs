//! What a pane shows reaches the user's terminal as it is: strikethrough, a curly
//! underline and overline printed in a pane show in the outer tmux, as `capture-pane -e`
//! of that tmux reads them (the client's renderer writes `9`, `4:3` and `53`), and a line
//! of emoji sequences leaves nothing of an older line behind it, as in plain tmux.

use std::time::Duration;

use moshmux_tests::harness::{Attached, Tmux};

const WAIT: Duration = Duration::from_secs(20);

/// The SGR parameters written just before the last `text` on the outer terminal's
/// screen (the command line typed above it holds the words too).
fn sgr_before(escaped: &str, text: &str) -> String {
    let at = escaped.rfind(text).unwrap_or(0);
    let before = &escaped[..at];
    let start = before.rfind("\x1b[").map_or(at, |start| start + 2);
    before[start..].trim_end_matches('m').to_owned()
}

#[test]
fn strikethrough_curly_underline_overline_and_blink_reach_the_outer_terminal() {
    let attached = Attached::new("", 80, 24);
    let tmux = &attached.tmux;
    tmux.send_literal(
        r"printf '\033[9mstruck\033[0m \033[4:3mcurly\033[0m \033[53mover\033[55m plain \033[5mblink\033[25m still\n'",
    );
    tmux.send_keys(&["Enter"]);
    tmux.expect("the printed line", WAIT, |s| {
        s.lines()
            .any(|l| l.starts_with("struck curly over plain blink still"))
    });
    let escaped = tmux.capture_escapes();
    let struck = sgr_before(&escaped, "struck");
    let curly = sgr_before(&escaped, "curly");
    assert!(
        struck.split(';').any(|p| p == "9"),
        "{struck:?} in {escaped:?}"
    );
    assert!(
        curly.split(';').any(|p| p == "4:3"),
        "{curly:?} in {escaped:?}"
    );
    // tmux 3.3a's `capture-pane -e` writes overline as `5:3` (it splits every code
    // past 9 as it does the underline shapes' `4:3`); newer ones may write `53`.
    let over = sgr_before(&escaped, "over");
    assert!(
        over.split(';').any(|p| p == "53" || p == "5:3"),
        "{over:?} in {escaped:?}"
    );
    let plain = sgr_before(&escaped, " plain");
    assert!(
        !plain.split(';').any(|p| p == "53" || p == "5:3"),
        "{plain:?} in {escaped:?}"
    );
    let blink = sgr_before(&escaped, "blink");
    assert!(
        blink.split(';').any(|p| p == "5"),
        "{blink:?} in {escaped:?}"
    );
    let still = sgr_before(&escaped, " still");
    assert!(
        !still.split(';').any(|p| p == "5"),
        "{still:?} in {escaped:?}"
    );
}

/// A ZWJ family, a skin-toned thumb and a flag: sequences whose widths terminals disagree
/// on, and the server's model may measure otherwise than the outer tmux.
const EMOJI_LINE: &str = "fam \u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467} ok \u{1f44d}\u{1f3fd} fr \u{1f1eb}\u{1f1f7} end";

/// Fills the screen with `X`, then `clear`s it and prints [`EMOJI_LINE`] over the old
/// rows; returns the screen's first `rows` rows once the shell prompts after it.
fn emoji_after_clear(tmux: &Tmux, rows: usize) -> Vec<String> {
    tmux.send_literal("printf 'X%.0s' $(seq 1500)");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the rows of X", WAIT, |s| {
        s.lines().filter(|l| l.starts_with(&"X".repeat(40))).count() >= 10
    });
    // Octal escapes, so that the command line typed never holds the line it prints.
    let octal: String = EMOJI_LINE
        .bytes()
        .map(|b| match b {
            b' '..=b'~' => char::from(b).to_string(),
            _ => format!("\\{b:03o}"),
        })
        .collect();
    tmux.send_literal(&format!("clear; printf '{octal}\\n'"));
    tmux.send_keys(&["Enter"]);
    let screen = tmux.expect("the emoji line and the prompt after it", WAIT, |s| {
        let mut lines = s.lines();
        lines.next().is_some_and(|l| l.starts_with("fam "))
            && lines.next().is_some_and(|l| l.starts_with(['$', '#']))
    });
    screen.lines().take(rows).map(str::to_owned).collect()
}

#[test]
fn an_emoji_line_over_a_longer_one_leaves_no_stale_cells() {
    let attached = Attached::new("", 80, 24);
    // Plain tmux, the same size as the pane above moshmux's status line.
    let plain = Tmux::start(
        80,
        23,
        "sh",
        &[("SHELL", "/bin/sh"), ("LANG", "C.UTF-8"), ("PS1", "$ ")],
    );
    let expected = emoji_after_clear(&plain, 23);
    let shown = emoji_after_clear(&attached.tmux, 23);
    assert!(expected[0].ends_with(" end"), "{expected:?}");
    // The same glyphs in the same order, each sequence whole, and nothing of the old
    // line after them. The gaps may differ: the server's model gives a ZWJ family the
    // width of its members, the outer tmux draws it in two columns.
    let words = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(words(&shown[0]), words(&expected[0]), "{shown:?}");
    // Below the prompt (dash prompts `#` for root in moshmux's panes) nothing is left.
    assert_eq!(shown[2..], expected[2..]);
}

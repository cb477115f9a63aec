//! The chooser's keys and lines, on a tree of two sessions as the server sends it.

use std::time::Instant;

use moshmux_proto::screen::{TreePane, TreeSession, TreeWindow};

use super::draw::line_text;
use super::*;
use crate::frame::tests::{host, lines as frame_lines, rect, screen};
use crate::frame::Frame;
use crate::input::Tokenizer;
use moshmux_proto::screen::Color;

fn pane(id: u32, active: bool) -> TreePane {
    TreePane {
        pane: PaneId(id),
        active,
        text: Label::new(if active { "bash*" } else { "bash" }),
    }
}

/// `main` (current) with windows 0 (two panes, %1 and %2), 1 `editor` (active, %3) and
/// 2 `logs` (%4); `other` with window 0 (%5).
fn tree() -> SessionTree {
    let window = |index, active, text: &str, panes| TreeWindow {
        index,
        active,
        text: Label::new(text),
        panes,
    };
    SessionTree {
        sessions: vec![
            TreeSession {
                name: Label::new("main"),
                current: true,
                text: Label::new("3 windows (attached)"),
                windows: vec![
                    window(0, false, "bash-", vec![pane(1, true), pane(2, false)]),
                    window(1, true, "editor*", vec![pane(3, true)]),
                    window(2, false, "logs", vec![pane(4, true)]),
                ],
            },
            TreeSession {
                name: Label::new("other"),
                current: false,
                text: Label::new("1 windows"),
                windows: vec![window(0, true, "bash*", vec![pane(5, true)])],
            },
        ],
        filter: None,
    }
}

fn typed(chooser: &mut ChooseTree, keys: &[u8]) -> Outcome {
    let tree = tree();
    let mut outcome = Outcome::Stay;
    for token in Tokenizer::default().feed(keys, Instant::now()) {
        outcome = chooser.feed(&token, Some(&tree), 10);
    }
    outcome
}

fn shown(chooser: &ChooseTree) -> Vec<String> {
    let lines = chooser.lines(&tree());
    let count = lines.len();
    (lines.iter().enumerate())
        .map(|(index, line)| line_text(line, index, count))
        .collect()
}

fn opened(start: Start) -> ChooseTree {
    let mut chooser = ChooseTree::open(start);
    chooser.follow(&tree());
    chooser
}

/// The lines tmux 3.3's `choose-tree -w` shows for the same sessions (read off a real
/// tmux: window 0 with two panes folded, `other`'s lone window without a fold mark).
#[test]
fn windows_start_unfolded_at_the_current_window_with_tmuxs_glyphs() {
    let chooser = opened(Start::Windows);
    assert_eq!(
        shown(&chooser),
        [
            "(0) - main: 3 windows (attached)",
            "(1) ├─> + 0: bash-",
            "(2) ├─>   1: editor*",
            "(3) └─>   2: logs",
            "(4) - other: 1 windows",
            "(5) └─> 0: bash*",
        ]
    );
    assert_eq!(
        chooser.selected(),
        Some(&Item::Window(Label::new("main"), 1))
    );
    assert_eq!(chooser.request(Some(&tree())).preview, Some(PaneId(3)));
}

#[test]
fn no_flag_starts_with_everything_unfolded_and_flags_parse_as_tmuxs() {
    let chooser = opened(Start::Panes);
    assert_eq!(shown(&chooser).len(), 8);
    assert_eq!(
        chooser.selected(),
        Some(&Item::Window(Label::new("main"), 1))
    );
    assert_eq!(Start::of_flags(&["-Zw"]), Ok(Start::Windows));
    assert_eq!(Start::of_flags(&["-Z", "-s"]), Ok(Start::Sessions));
    assert_eq!(Start::of_flags(&[]), Ok(Start::Panes));
    assert!(Start::of_flags(&["-x"]).is_err());
    assert!(Start::of_flags(&["w"]).is_err());
}

#[test]
fn sessions_start_folded_at_the_current_session() {
    let mut chooser = opened(Start::Sessions);
    assert_eq!(
        shown(&chooser),
        ["(0) + main: 3 windows (attached)", "(1) + other: 1 windows"]
    );
    assert_eq!(chooser.selected(), Some(&Item::Session(Label::new("main"))));
    assert_eq!(chooser.request(Some(&tree())).preview, Some(PaneId(3)));
    assert_eq!(typed(&mut chooser, b"j\x1b[C"), Outcome::Stay);
    assert_eq!(shown(&chooser)[2], "(2) └─> 0: bash*");
    assert_eq!(chooser.request(Some(&tree())).preview, Some(PaneId(5)));
}

#[test]
fn moves_wrap_and_right_unfolds_a_window_into_its_panes() {
    let mut chooser = opened(Start::Windows);
    typed(&mut chooser, b"kk");
    assert_eq!(chooser.selected(), Some(&Item::Session(Label::new("main"))));
    typed(&mut chooser, b"\x1b[A");
    assert_eq!(
        chooser.selected(),
        Some(&Item::Window(Label::new("other"), 0))
    );
    typed(&mut chooser, b"j");
    assert_eq!(chooser.selected(), Some(&Item::Session(Label::new("main"))));
    typed(&mut chooser, b"\x1b[Bl");
    let lines = shown(&chooser);
    assert_eq!(lines[1], "(1) ├─> - 0: bash-");
    assert_eq!(lines[2], "(2) │   ├─> 0: bash*");
    assert_eq!(lines[3], "(3) │   └─> 1: bash");
    typed(&mut chooser, b"ll");
    assert_eq!(
        chooser.selected(),
        Some(&Item::Pane(Label::new("main"), 0, PaneId(2)))
    );
    assert_eq!(chooser.request(Some(&tree())).preview, Some(PaneId(2)));
    // Left from a pane goes to its window and folds it; again, to the session.
    typed(&mut chooser, b"h");
    assert_eq!(
        chooser.selected(),
        Some(&Item::Window(Label::new("main"), 0))
    );
    assert_eq!(shown(&chooser).len(), 6);
    typed(&mut chooser, b"\x1b[D");
    assert_eq!(shown(&chooser)[0], "(0) + main: 3 windows (attached)");
    assert_eq!(chooser.selected(), Some(&Item::Session(Label::new("main"))));
}

#[test]
fn enter_and_shortcuts_choose_and_q_escape_and_c_c_leave() {
    let mut chooser = opened(Start::Windows);
    assert_eq!(
        typed(&mut chooser, b"j\r"),
        Outcome::Chose(Item::Window(Label::new("main"), 2))
    );
    assert_eq!(
        typed(&mut opened(Start::Windows), b"5"),
        Outcome::Chose(Item::Window(Label::new("other"), 0))
    );
    assert_eq!(typed(&mut opened(Start::Windows), b"9"), Outcome::Stay);
    for keys in [&b"q"[..], b"\x1b", b"\x03"] {
        assert_eq!(typed(&mut opened(Start::Windows), keys), Outcome::Leave);
    }
}

#[test]
fn x_asks_before_killing() {
    let mut chooser = opened(Start::Windows);
    assert_eq!(typed(&mut chooser, b"x"), Outcome::Stay);
    assert_eq!(
        chooser.confirmation().as_deref(),
        Some("Kill window main:1? (y/n)")
    );
    assert_eq!(typed(&mut chooser, b"n"), Outcome::Stay);
    assert_eq!(chooser.confirmation(), None);
    typed(&mut chooser, b"x");
    assert_eq!(
        typed(&mut chooser, b"y"),
        Outcome::Kill(Item::Window(Label::new("main"), 1))
    );
}

#[test]
fn a_tree_without_the_selected_window_selects_its_session() {
    let mut chooser = opened(Start::Windows);
    let mut smaller = tree();
    smaller.sessions[0].windows.remove(1);
    chooser.follow(&smaller);
    assert_eq!(chooser.selected(), Some(&Item::Session(Label::new("main"))));
}

#[test]
fn more_than_ten_lines_take_alt_letters_and_wider_keys() {
    let line = Line {
        item: Item::Session(Label::new("s")),
        depth: 0,
        last: false,
        parent_last: false,
        fold: Some(Fold::Open),
        name: "s".into(),
        text: "1 windows".into(),
    };
    assert_eq!(line_text(&line, 0, 12), "(0)   - s: 1 windows");
    assert_eq!(line_text(&line, 11, 12), "(M-b) - s: 1 windows");
    let alt_b = Tokenizer::default().feed(b"\x1bb", Instant::now());
    assert_eq!(shortcut(alt_b[0].kind, alt_b[0].byte()), Some(11));
}

#[test]
fn the_tree_takes_tmuxs_share_of_the_rows() {
    assert_eq!(tree_rows(23, 6), 11);
    assert_eq!(tree_rows(23, 15), 14);
    assert_eq!(tree_rows(12, 6), 12, "too few rows for a preview");
}

fn row_text(frame: &Frame, row: u16) -> String {
    frame_lines(frame)[usize::from(row)].trim_end().to_owned()
}

#[test]
fn the_preview_boxes_the_selected_windows_pane() {
    let chooser = opened(Start::Windows);
    let mut state = host(vec![(
        rect(0, 0, 40, 23),
        true,
        false,
        screen(23, 40, &["shell"]),
    )]);
    state.tree = Some(std::sync::Arc::new(tree()));
    state
        .screens
        .insert(PaneId(3), screen(5, 30, &["editing a file"]));
    let mut frame = Frame::blank(40, 24);
    chooser.draw(&mut frame, rect(0, 0, 40, 23), &state);
    assert_eq!(row_text(&frame, 2), "(2) ├─>   1: editor*");
    assert_eq!(frame.row(2)[39].style.bg, Color::Indexed(3), "selected");
    assert_eq!(
        row_text(&frame, 11),
        "┌ 1 ───────────────────────────────────┐"
    );
    assert_eq!(
        row_text(&frame, 12),
        "│editing a file                        │"
    );
    assert_eq!(
        row_text(&frame, 22),
        "└──────────────────────────────────────┘"
    );
}

#[test]
fn find_window_asks_for_its_text_starts_on_the_first_window_and_says_when_nothing_is_found() {
    let mut chooser = ChooseTree::find("logs");
    let mut found = tree();
    found.filter = Some(Label::new("logs"));
    found.sessions.truncate(1);
    found.sessions[0].windows.retain(|window| window.index == 2);
    assert_eq!(chooser.request(None).filter, Some(Label::new("logs")));
    chooser.follow(&found);
    assert_eq!(
        chooser.selected(),
        Some(&Item::Window(Label::new("main"), 2))
    );
    assert_eq!(chooser.found_nothing(&found), None);
    // A tree for another request (or none) is not an answer.
    assert_eq!(chooser.found_nothing(&tree()), None);
    found.sessions.clear();
    assert_eq!(chooser.found_nothing(&found), Some("logs"));
    // choose-tree asks for no filter and never "finds nothing".
    let plain = ChooseTree::open(Start::Windows);
    assert_eq!(plain.request(None).filter, None);
    assert_eq!(plain.found_nothing(&found), None);
}

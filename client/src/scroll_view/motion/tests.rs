use std::sync::Arc;

use moshmux_proto::screen::{CellStyle, PaneScreen, Row};
use moshmux_proto::{HostState, LineNumber, PaneId};

use super::*;
use crate::frame::tests::screen as screen_of;

/// Cursor moves as tmux's copy-mode-vi makes them, over `lines` as a pane's screen.
fn screen(lines: &[&str]) -> PaneScreen {
    screen_of(lines.len() as u16, 16, lines)
}

fn at(line: u64, col: u16) -> Point {
    Point {
        line: LineNumber(line),
        col,
    }
}

/// The points a motion visits from `from`, applied `steps` times.
fn walk(
    lines: &[&str],
    from: Point,
    steps: usize,
    motion: impl Fn(&Text, Point) -> Point,
) -> Vec<(u64, u16)> {
    let screen = screen(lines);
    let host = HostState::default();
    let text = Text::new(PaneId(1), &host, &screen);
    let mut point = from;
    (0..steps)
        .map(|_| {
            point = motion(&text, point);
            (point.line.0, point.col)
        })
        .collect()
}

#[test]
fn h_and_l_step_over_cells_past_the_text_by_one_and_wrap_to_the_next_line() {
    let lines = ["ab cd", "e"];
    assert_eq!(
        walk(&lines, at(0, 3), 5, right),
        [(0, 4), (0, 5), (1, 0), (1, 1), (1, 1)]
    );
    assert_eq!(
        walk(&lines, at(1, 1), 4, left),
        [(1, 0), (0, 5), (0, 4), (0, 3)]
    );
    assert_eq!(walk(&lines, at(0, 0), 1, left), [(0, 0)]);
}

#[test]
fn a_wide_character_is_one_step_and_never_split() {
    let lines = ["a中b"];
    assert_eq!(walk(&lines, at(0, 0), 3, right), [(0, 1), (0, 3), (0, 4)]);
    assert_eq!(walk(&lines, at(0, 4), 3, left), [(0, 3), (0, 1), (0, 0)]);
    // A vertical move aiming at the wide character's second half lands on its start.
    let onto = |col, line_length| {
        let goal = Goal { col, line_length };
        walk(&lines, at(0, 0), 1, move |t, _| {
            on_line(t, LineNumber(0), goal)
        })
    };
    assert_eq!(onto(2, 8), [(0, 1)]);
    // Past the line's text, or from the end of its own line: the end.
    assert_eq!(onto(9, 12), [(0, 4)]);
    assert_eq!(onto(0, 0), [(0, 4)]);
    assert_eq!(onto(3, 3), [(0, 4)]);
}

#[test]
fn w_goes_to_each_word_and_run_of_punctuation_and_skips_blank_lines() {
    let lines = ["foo.bar  baz_1", "", "  qux"];
    assert_eq!(
        walk(&lines, at(0, 0), 5, |t, p| next_word(t, p, Words::Vi)),
        [(0, 3), (0, 4), (0, 9), (2, 2), (2, 5)]
    );
    assert_eq!(
        walk(&lines, at(0, 0), 2, |t, p| next_word(t, p, Words::Spaces)),
        [(0, 9), (2, 2)]
    );
}

#[test]
fn e_goes_to_the_last_character_of_each_word() {
    let lines = ["foo.bar  baz_1", "", "  qux"];
    assert_eq!(
        walk(&lines, at(0, 0), 5, |t, p| word_end(t, p, Words::Vi)),
        [(0, 2), (0, 3), (0, 6), (0, 13), (2, 4)]
    );
    assert_eq!(
        walk(&lines, at(0, 0), 2, |t, p| word_end(t, p, Words::Spaces)),
        [(0, 6), (0, 13)]
    );
}

#[test]
fn b_goes_back_to_the_start_of_each_word() {
    let lines = ["foo.bar  baz_1", "", "  qux"];
    assert_eq!(
        walk(&lines, at(2, 3), 6, |t, p| previous_word(t, p, Words::Vi)),
        [(2, 2), (0, 9), (0, 4), (0, 3), (0, 0), (0, 0)]
    );
    assert_eq!(
        walk(&lines, at(0, 11), 2, |t, p| previous_word(
            t,
            p,
            Words::Spaces
        )),
        [(0, 9), (0, 0)]
    );
}

#[test]
fn caret_goes_to_the_first_character_that_is_not_a_space() {
    let lines = ["   x y", "    "];
    assert_eq!(walk(&lines, at(0, 5), 1, indentation), [(0, 3)]);
    // A blank line has none: the cursor stays.
    assert_eq!(walk(&lines, at(1, 2), 1, indentation), [(1, 2)]);
}

#[test]
fn word_motions_stop_before_a_line_still_on_its_way() {
    // History lines 0..3, of which line 1 has not arrived; the screen follows.
    let mut screen = screen(&["screen"]);
    screen.history_len = 3;
    let mut host = HostState::default();
    let row = |text: &str| {
        let mut builder = Row::builder(text.len() as u16);
        for c in text.chars() {
            builder.push_char(c, CellStyle::default());
        }
        Arc::new(builder.finish(false))
    };
    host.history.insert((PaneId(1), LineNumber(0)), row("one"));
    host.history.insert((PaneId(1), LineNumber(2)), row("two"));
    let text = Text::new(PaneId(1), &host, &screen);
    assert_eq!(next_word(&text, at(0, 0), Words::Vi), at(0, 3));
    assert_eq!(previous_word(&text, at(2, 0), Words::Vi), at(2, 0));
    assert_eq!(left(&text, at(2, 0)), at(2, 0));
    // From the last history line, w reaches the screen.
    assert_eq!(next_word(&text, at(2, 0), Words::Vi), at(3, 0));
}

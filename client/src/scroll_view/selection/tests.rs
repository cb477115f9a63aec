use moshmux_proto::screen::{CellStyle, PaneScreen, Row};
use moshmux_proto::{HostState, LineNumber, PaneId};

use super::*;
use crate::frame::tests::screen as screen_of;

const COLS: u16 = 12;

/// Lines 0-2 as written, line 3 wrapped into line 4.
fn screen() -> PaneScreen {
    let mut screen = screen_of(5, COLS, &["one two", "three  x", "中文x", "", "next"]);
    let mut wrapped = Row::builder(COLS);
    for c in "wrapped part".chars() {
        wrapped.push_char(c, CellStyle::default());
    }
    screen.set_row(3, wrapped.finish(true)).unwrap();
    screen
}

fn at(line: u64, col: u16) -> Point {
    Point {
        line: LineNumber(line),
        col,
    }
}

/// What a copy of `shape` from `anchor` to `cursor` takes, made with vi keys (the end
/// included) or emacs keys (not).
fn copy_of(
    shape: Shape,
    includes_end: bool,
    anchor: Point,
    cursor: Point,
) -> Result<String, StillLoading> {
    let screen = screen();
    let host = HostState::default();
    let text = Text::new(PaneId(1), &host, &screen);
    let selection = Selection {
        anchor,
        shape,
        includes_end,
    };
    selection.text(cursor, &text)
}

fn copy(shape: Shape, anchor: Point, cursor: Point) -> Result<String, StillLoading> {
    copy_of(shape, true, anchor, cursor)
}

fn copied(shape: Shape, anchor: Point, cursor: Point) -> String {
    copy(shape, anchor, cursor).unwrap()
}

/// With emacs keys.
fn region(shape: Shape, anchor: Point, cursor: Point) -> String {
    copy_of(shape, false, anchor, cursor).unwrap()
}

#[test]
fn with_emacs_keys_the_later_end_is_left_out() {
    assert_eq!(region(Shape::Chars, at(0, 4), at(0, 7)), "two");
    assert_eq!(region(Shape::Chars, at(0, 7), at(0, 4)), "two");
    assert_eq!(region(Shape::Chars, at(0, 4), at(0, 4)), "");
    // To the end of the text (C-e): no newline; to the next line's start: one.
    assert_eq!(region(Shape::Chars, at(0, 4), at(0, 11)), "two");
    assert_eq!(region(Shape::Chars, at(0, 4), at(1, 0)), "two\n");
    assert_eq!(region(Shape::Chars, at(0, 4), at(1, 2)), "two\nth");
    // A rectangle leaves out the cursor's column when the cursor is its right side.
    assert_eq!(region(Shape::Rectangle, at(0, 1), at(1, 3)), "ne\nhr");
    assert_eq!(region(Shape::Rectangle, at(1, 3), at(0, 1)), "ne \nhre");
}

#[test]
fn characters_from_one_end_to_the_other_both_included() {
    assert_eq!(copied(Shape::Chars, at(0, 4), at(0, 6)), "two");
    assert_eq!(copied(Shape::Chars, at(0, 6), at(0, 4)), "two");
    assert_eq!(copied(Shape::Chars, at(0, 4), at(1, 1)), "two\nth");
    assert_eq!(copied(Shape::Chars, at(1, 1), at(0, 4)), "two\nth");
    // Blanks inside the text are kept, the ones after it are not.
    assert_eq!(copied(Shape::Chars, at(1, 3), at(1, 7)), "ee  x");
    assert_eq!(copied(Shape::Chars, at(0, 4), at(1, 2)), "two\nthr");
    // To the end of the text ($): the line's newline comes too, as in tmux.
    assert_eq!(copied(Shape::Chars, at(0, 4), at(0, 7)), "two\n");
    assert_eq!(copied(Shape::Chars, at(0, 4), at(0, 11)), "two\n");
    // From past the text: only the newline of that line.
    assert_eq!(copied(Shape::Chars, at(0, 9), at(1, 4)), "\nthree");
}

#[test]
fn wide_characters_are_copied_whole() {
    assert_eq!(copied(Shape::Chars, at(2, 0), at(2, 2)), "中文");
    // A column in the second half of a wide cell does not split it: the cell starts
    // before, so a selection from there starts at the next cell.
    assert_eq!(copied(Shape::Chars, at(2, 2), at(2, 4)), "文x");
    assert_eq!(copied(Shape::Rectangle, at(2, 1), at(2, 3)), "文");
}

#[test]
fn whole_lines_end_each_with_a_newline() {
    assert_eq!(
        copied(Shape::Lines, at(0, 0), at(1, 8)),
        "one two\nthree  x\n"
    );
    assert_eq!(
        copied(Shape::Lines, at(1, 0), at(0, 0)),
        "one two\nthree  x\n"
    );
    assert_eq!(
        copied(Shape::Lines, at(3, 0), at(4, 4)),
        "wrapped partnext\n"
    );
}

#[test]
fn a_rectangle_takes_the_same_columns_of_each_line() {
    assert_eq!(copied(Shape::Rectangle, at(0, 1), at(1, 3)), "ne \nhre");
    assert_eq!(copied(Shape::Rectangle, at(1, 3), at(0, 1)), "ne \nhre");
    // The last line's text ends inside the rectangle: its newline is kept (tmux's rule).
    assert_eq!(
        copied(Shape::Rectangle, at(0, 4), at(2, 9)),
        "two\ne  x\nx\n"
    );
}

#[test]
fn a_wrapped_line_runs_on_into_the_next() {
    assert_eq!(copied(Shape::Chars, at(3, 8), at(4, 1)), "partne");
}

#[test]
fn a_line_still_on_its_way_stops_the_copy() {
    let mut screen = screen();
    screen.history_len = 2;
    let mut host = HostState::default();
    host.history
        .insert((PaneId(1), LineNumber(0)), Row::plain("old").into());
    let text = Text::new(PaneId(1), &host, &screen);
    let selection = Selection {
        anchor: at(0, 0),
        shape: Shape::Chars,
        includes_end: true,
    };
    assert_eq!(selection.text(at(2, 2), &text), Err(StillLoading));
    host.history
        .insert((PaneId(1), LineNumber(1)), Row::plain("older").into());
    let text = Text::new(PaneId(1), &host, &screen);
    assert_eq!(
        selection.text(at(2, 2), &text).as_deref(),
        Ok("old\nolder\none")
    );
}

#[test]
fn the_columns_drawn_cover_whole_cells() {
    let screen = screen();
    let host = HostState::default();
    let text = Text::new(PaneId(1), &host, &screen);
    let chars = Selection {
        anchor: at(0, 4),
        shape: Shape::Chars,
        includes_end: true,
    };
    let cells = |line| text.cells(LineNumber(line));
    assert_eq!(
        chars.columns(at(2, 2), LineNumber(0), &cells(0)),
        4..u16::MAX
    );
    assert_eq!(
        chars.columns(at(2, 2), LineNumber(1), &cells(1)),
        0..u16::MAX
    );
    // The cursor on a wide character covers both its columns.
    assert_eq!(chars.columns(at(2, 2), LineNumber(2), &cells(2)), 0..4);
    let lines = Selection {
        shape: Shape::Lines,
        ..chars
    };
    assert_eq!(
        lines.columns(at(1, 1), LineNumber(0), &cells(0)),
        0..u16::MAX
    );
    let rectangle = Selection {
        shape: Shape::Rectangle,
        ..chars
    };
    assert_eq!(rectangle.columns(at(2, 1), LineNumber(2), &cells(2)), 1..5);
    // With emacs keys the cell at the later end is not drawn either.
    let region = Selection {
        includes_end: false,
        ..chars
    };
    assert_eq!(region.columns(at(2, 2), LineNumber(2), &cells(2)), 0..2);
    assert_eq!(region.columns(at(0, 6), LineNumber(0), &cells(0)), 4..6);
}

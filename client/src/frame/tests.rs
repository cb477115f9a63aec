use std::collections::BTreeMap;

use moshmux_proto::screen::{PaneScreen, Point, Row, StatusText, WindowInfo};
use moshmux_proto::Label;

use super::*;

/// A pane screen showing `lines`, one per row, in the default style.
pub(crate) fn screen(rows: u16, cols: u16, lines: &[&str]) -> PaneScreen {
    let mut screen = PaneScreen::new(rows, cols).unwrap();
    for (index, line) in lines.iter().enumerate() {
        let mut row = Row::builder(cols);
        for c in line.chars() {
            let wide = c.width() == Some(2);
            row.push(c.encode_utf8(&mut [0; 4]), wide, CellStyle::default());
        }
        screen.set_row(index, row.finish(false)).unwrap();
    }
    screen
}

pub(crate) fn rect(x: u16, y: u16, cols: u16, rows: u16) -> Rect {
    Rect { x, y, cols, rows }
}

/// A session "main" with windows 0:bash (active) and 1:logs, showing `panes`.
pub(crate) fn host(panes: Vec<(Rect, bool, bool, PaneScreen)>) -> HostState {
    let mut views = Vec::new();
    let mut screens = BTreeMap::new();
    for (id, (rect, active, zoomed, screen)) in (1..).map(PaneId).zip(panes) {
        views.push(PaneView {
            pane: id,
            rect,
            active,
            zoomed,
        });
        screens.insert(id, screen);
    }
    let window = |index: u32, name: &str, active| WindowInfo {
        id: index + 10,
        index,
        name: Label::new(name),
        active,
        bell: 0,
    };
    HostState {
        session: Label::new("main"),
        windows: vec![window(0, "bash", true), window(1, "logs", false)],
        panes: views,
        screens,
        notices: Vec::new(),
        // As tmux's default formats give them.
        status: StatusText {
            left: Label::new("[main] "),
            right: Label::new("\"box\" 12:34 07-Dec-26"),
            windows: vec![Label::new("0:bash*"), Label::new("1:logs ")],
            separator: Label::new(" "),
        },
        ..HostState::default()
    }
}

/// Each row's text, wide cells once.
pub(crate) fn lines(frame: &Frame) -> Vec<String> {
    (0..frame.rows())
        .map(|row| {
            frame
                .row(row)
                .iter()
                .map(|cell| match &cell.glyph {
                    Glyph::Char(c) => c.to_string(),
                    Glyph::Cluster(text) => text.to_string(),
                    Glyph::WideTail => String::new(),
                })
                .collect()
        })
        .collect()
}

fn no_extras() -> StatusExtras {
    StatusExtras::default()
}

#[test]
fn one_pane_fills_the_window_above_the_status_line() {
    let mut pane = screen(3, 12, &["$ ls", "a.txt  中b"]);
    pane.cursor = Point { row: 2, col: 2 };
    let frame = compose(
        &host(vec![(rect(0, 0, 12, 3), true, false, pane)]),
        12,
        4,
        &no_extras(),
    );
    assert_eq!(
        lines(&frame),
        [
            "$ ls        ",
            "a.txt  中b  ",
            "            ",
            "[main] 0:bas"
        ]
    );
    assert_eq!(frame.cursor, Some((2, 2)));
    assert_eq!(frame.row(3)[0].style, STATUS_STYLE);
    assert!(frame.row(1)[7].wide);
    assert_eq!(frame.row(1)[8].glyph, Glyph::WideTail);
}

#[test]
fn side_by_side_panes_get_a_border_lit_around_the_active_one() {
    let left = screen(3, 5, &["left"]);
    let mut right = screen(3, 4, &["rt"]);
    right.cursor = Point { row: 1, col: 1 };
    let state = host(vec![
        (rect(0, 0, 5, 3), false, false, left),
        (rect(6, 0, 4, 3), true, false, right),
    ]);
    let frame = compose(&state, 10, 4, &no_extras());
    assert_eq!(
        lines(&frame)[..3],
        ["left │rt  ", "     │    ", "     │    "]
    );
    assert_eq!(frame.row(0)[5].style, ACTIVE_BORDER_STYLE);
    assert_eq!(frame.cursor, Some((1, 7)));
    assert_eq!(lines(&frame)[3], "[main] 0:b");
}

#[test]
fn borders_join_with_tees() {
    // A left pane, and a right column split in two.
    let state = host(vec![
        (rect(0, 0, 3, 5), true, false, screen(5, 3, &[])),
        (rect(4, 0, 3, 2), false, false, screen(2, 3, &[])),
        (rect(4, 3, 3, 2), false, false, screen(2, 3, &[])),
    ]);
    let frame = compose(&state, 7, 6, &no_extras());
    assert_eq!(
        lines(&frame)[..5],
        ["   │   ", "   │   ", "   ├───", "   │   ", "   │   "]
    );
    // The active pane is on the left: its border is lit, the other line is not.
    assert_eq!(frame.row(2)[3].style, ACTIVE_BORDER_STYLE);
    assert_eq!(frame.row(2)[5].style, CellStyle::default());
}

#[test]
fn a_zoomed_pane_is_drawn_alone_and_flagged() {
    let state = host(vec![
        (rect(0, 0, 3, 3), false, false, screen(3, 3, &["aaa"])),
        (rect(0, 0, 7, 3), true, true, screen(3, 7, &["zoomed"])),
    ]);
    let frame = compose(&state, 7, 4, &no_extras());
    assert_eq!(lines(&frame)[0], "zoomed ");
    assert!(lines(&frame)[1..3].iter().all(|l| l.trim().is_empty()));
}

#[test]
fn the_status_line_is_status_left_the_windows_and_status_right_where_it_fits() {
    let state = host(vec![(rect(0, 0, 44, 1), true, false, screen(1, 44, &[]))]);
    let frame = compose(&state, 44, 2, &no_extras());
    assert_eq!(
        lines(&frame)[1],
        "[main] 0:bash* 1:logs  \"box\" 12:34 07-Dec-26"
    );
    // Too narrow for both: the session's name and windows win over status-right.
    let narrow = compose(&state, 25, 2, &no_extras());
    assert_eq!(lines(&narrow)[1], "[main] 0:bash* 1:logs    ");
}

#[test]
fn status_line_shows_link_notice_at_the_right_and_cuts_the_window_list() {
    let state = host(vec![(rect(0, 0, 30, 1), true, false, screen(1, 30, &[]))]);
    let extras = StatusExtras {
        link_notice: Some("Last contact 12 s ago".to_owned()),
        prompt: None,
        view: Some("line 3 of 40".to_owned()),
        auto_hide: false,
    };
    let frame = compose(&state, 30, 2, &extras);
    assert_eq!(lines(&frame)[1], "[main]  Last contact 12 s ago ");
    assert!(frame.row(1)[9].style.bold);
    let mut noticed = state.clone();
    noticed.notices = vec![Label::new("pane 3 exited")];
    let frame = compose(&noticed, 40, 2, &no_extras());
    assert_eq!(lines(&frame)[1], "[main] 0:bash* 1:logs     pane 3 exited ");
    // An open scroll view's position replaces the notices, not the link notice.
    let viewing = StatusExtras {
        link_notice: None,
        ..extras
    };
    let frame = compose(&noticed, 40, 2, &viewing);
    assert_eq!(lines(&frame)[1], "[main] 0:bash* 1:logs      line 3 of 40 ");
}

#[test]
fn a_prompt_takes_the_status_line_and_the_cursor() {
    let state = host(vec![(rect(0, 0, 20, 1), true, false, screen(1, 20, &[]))]);
    let extras = StatusExtras {
        link_notice: Some("Last contact 12 s ago".to_owned()),
        prompt: Some("(rename-window) ab".to_owned()),
        view: None,
        auto_hide: false,
    };
    let frame = compose(&state, 20, 2, &extras);
    assert_eq!(lines(&frame)[1], "(rename-window) ab  ");
    assert_eq!(frame.cursor, Some((1, 18)));
}

#[test]
fn a_hidden_status_line_gives_the_panes_every_row_until_it_has_something_to_say() {
    let state = host(vec![(
        rect(0, 0, 20, 2),
        true,
        false,
        screen(2, 20, &["a", "b"]),
    )]);
    let hidden = StatusExtras {
        auto_hide: true,
        ..no_extras()
    };
    assert!(!hidden.shown(&state));
    let trimmed = |frame: &Frame| -> Vec<String> {
        lines(frame)
            .iter()
            .map(|l| l.trim_end().to_owned())
            .collect()
    };
    assert_eq!(trimmed(&compose(&state, 20, 2, &hidden)), ["a", "b"]);
    let prompting = StatusExtras {
        prompt: Some("kill-pane? (y/n)".to_owned()),
        ..hidden.clone()
    };
    assert_eq!(
        trimmed(&compose(&state, 20, 2, &prompting)),
        ["a", "kill-pane? (y/n)"]
    );
    let mut noticed = state.clone();
    noticed.notices = vec![Label::new("pane 3 exited")];
    assert_eq!(
        lines(&compose(&noticed, 20, 2, &hidden))[1],
        "[main pane 3 exited "
    );
}

#[test]
fn hidden_cursor_and_modes_follow_the_active_pane() {
    let mut pane = screen(2, 5, &[]);
    pane.cursor_visible = false;
    pane.modes.bracketed_paste = true;
    let frame = compose(
        &host(vec![(rect(0, 0, 5, 2), true, false, pane)]),
        5,
        3,
        &no_extras(),
    );
    assert_eq!(frame.cursor, None);
    assert!(frame.modes.bracketed_paste);
}

#[test]
fn cells_that_would_mislead_the_terminal_are_replaced() {
    let mut pane = PaneScreen::new(1, 4).unwrap();
    let mut row = Row::builder(4);
    row.push("\u{301}", false, CellStyle::default())
        .push("中", false, CellStyle::default())
        .push("中", true, CellStyle::default());
    pane.set_row(0, row.finish(false)).unwrap();
    // The pane is one column narrower than its screen: the wide cell no longer fits.
    let state = host(vec![(rect(0, 0, 3, 1), true, false, pane)]);
    let frame = compose(&state, 3, 2, &no_extras());
    assert_eq!(lines(&frame)[0], "?? ");
}

#[test]
fn no_state_yet_and_tiny_windows() {
    let frame = compose(&HostState::default(), 20, 3, &no_extras());
    assert_eq!(lines(&frame)[2], "[connecting]        ");
    assert_eq!(frame.cursor, None);
    for (cols, rows) in [(0, 0), (1, 1), (0, 5), (5, 0)] {
        let state = host(vec![(rect(0, 0, 80, 24), true, false, screen(24, 80, &[]))]);
        let frame = compose(&state, cols, rows, &no_extras());
        assert_eq!((frame.cols(), frame.rows()), (cols, rows));
    }
}

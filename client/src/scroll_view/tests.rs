use std::sync::Arc;

use moshmux_proto::screen::{Point as ScreenPoint, Rect, Row, SearchResult};

use super::*;
use crate::frame::tests::screen as screen_of;
use crate::frame::Frame;

/// A pane of 5 rows showing "s0".."s4" with its cursor at row 4, column 1, under 1000
/// history lines numbered from 100 (retention dropped 0..100).
fn screen() -> PaneScreen {
    let mut screen = screen_of(5, 10, &["s0", "s1", "s2", "s3", "s4"]);
    screen.history_len = 1000;
    screen.history_start = LineNumber(100);
    screen.cursor = ScreenPoint { row: 4, col: 1 };
    screen
}

fn line(text: &str) -> Arc<Row> {
    Arc::new(Row::plain(text))
}

/// History lines 990..1000 as "h990".."h999", with trailing blanks.
fn host_with_history() -> HostState {
    let mut host = HostState::default();
    for n in 990..1000 {
        host.history
            .insert((PaneId(7), LineNumber(n)), line(&format!("h{n}   ")));
    }
    host
}

/// Keys typed into the view in one read, as vi keys; false when they closed it.
fn feed(view: &mut ScrollView, bytes: &[u8], host: &HostState, screen: &PaneScreen) -> bool {
    feed_keys(view, ModeKeys::Vi, bytes, host, screen)
}

fn feed_keys(
    view: &mut ScrollView,
    keys: ModeKeys,
    bytes: &[u8],
    host: &HostState,
    screen: &PaneScreen,
) -> bool {
    crate::input::tests::tokens(bytes)
        .iter()
        .all(|token| view.feed(token, keys, host, screen))
}

fn open(host: &HostState, screen: &PaneScreen, entry: Entry) -> ScrollView {
    ScrollView::open(PaneId(7), 5, host, screen, entry)
}

fn first(view: &ScrollView) -> u64 {
    view.request().first.0
}

/// (top line, cursor line, cursor column).
type Place = (u64, u64, u16);

fn place(view: &ScrollView) -> Place {
    let cursor = view.cursor();
    (first(view), cursor.line.0, cursor.col)
}

#[test]
fn the_cursor_starts_at_the_panes_and_the_view_scrolls_when_it_passes_an_edge() {
    let screen = screen();
    let host = HostState::default();
    let mut view = open(&host, &screen, Entry::Bottom);
    assert_eq!(
        view.request(),
        ScrollRequest {
            pane: PaneId(7),
            first: LineNumber(1000),
            rows: 5
        }
    );
    assert_eq!(place(&view), (1000, 1004, 1));
    // Pages are two lines short of the view (3 here), half pages 2 lines; the cursor
    // keeps its row while the view moves.
    let steps: [(&[u8], Place); 22] = [
        (b"kkkk", (1000, 1000, 1)),
        (b"k", (999, 999, 0)),
        (b"\x1b[A", (998, 998, 0)),
        (b"\x1bOB", (998, 999, 0)),
        (b"j", (998, 1000, 1)),
        (b"L", (998, 1002, 0)),
        (b"M", (998, 1000, 0)),
        (b"H", (998, 998, 0)),
        (b"\x1b[5~", (995, 995, 0)),
        (b"\x1b[6~", (998, 998, 0)),
        (b"\x15", (996, 996, 0)),
        (b"\x04", (998, 998, 0)),
        (b"\x02", (995, 995, 0)),
        (b"\x06", (998, 998, 0)),
        (b"g", (100, 100, 0)),
        (b"k", (100, 100, 0)),
        (b"\x06\x06", (106, 106, 0)),
        (b"G", (1000, 1004, 2)),
        (b"j", (1000, 1004, 1)),
        (b"\x1b[<64;3;4M", (997, 1001, 1)),
        (b"\x1b[H", (100, 100, 0)),
        (b"\x1b[F", (1000, 1004, 2)),
    ];
    for (keys, expected) in steps {
        assert!(
            feed(&mut view, keys, &host, &screen),
            "{keys:?} closed the view"
        );
        assert_eq!(place(&view), expected, "after {keys:?}");
    }
    // At the oldest line and at the bottom, a page moves the cursor instead.
    assert!(feed(&mut view, b"H\x06", &host, &screen));
    assert_eq!(place(&view), (1000, 1003, 0));
    assert!(feed(&mut view, b"g\x04j\x02", &host, &screen));
    assert_eq!(place(&view), (100, 100, 0));
    let shift_page_up = open(&host, &screen, Entry::PageUp);
    assert_eq!(place(&shift_page_up), (997, 1001, 1));
}

#[test]
fn horizontal_and_word_motions_move_along_the_text() {
    let mut screen = screen_of(2, 16, &["foo.bar  中文 x", ""]);
    screen.cursor = ScreenPoint { row: 1, col: 0 };
    let host = HostState::default();
    let mut view = ScrollView::open(PaneId(7), 2, &host, &screen, Entry::Bottom);
    // From a blank line, k goes to the end of the line above, as tmux's does.
    let steps: [(&[u8], u16); 14] = [
        (b"k", 15),
        (b"0", 0),
        (b"l", 1),
        (b"\x1b[C", 2),
        (b"w", 3),
        (b"w", 4),
        (b"e", 6),
        (b"w", 9),
        (b"e", 11),
        (b"$", 15),
        (b"^", 0),
        (b"W", 9),
        (b"B", 0),
        (b"E", 6),
    ];
    for (keys, col) in steps {
        assert!(feed(&mut view, keys, &host, &screen));
        assert_eq!(view.cursor().col, col, "after {keys:?}");
    }
    assert!(feed(&mut view, b"b\x1b[Dh\x7f0", &host, &screen));
    assert_eq!(view.cursor().col, 0);
    // From the end of a line the goal stays (column 0 of a blank line, so the end).
    assert!(feed(&mut view, b"$j", &host, &screen));
    assert_eq!((view.cursor().line.0, view.cursor().col), (1, 0));
    assert!(feed(&mut view, b"k", &host, &screen));
    assert_eq!(view.cursor().col, 15);
}

#[test]
fn a_view_the_wheel_opened_closes_when_the_wheel_brings_it_to_the_bottom() {
    let screen = screen();
    let host = HostState::default();
    let mut view = open(&host, &screen, Entry::Wheel);
    assert_eq!(first(&view), 997);
    assert!(feed(&mut view, b"\x1b[<64;3;4M", &host, &screen));
    assert_eq!(first(&view), 994);
    assert!(feed(&mut view, b"\x1b[<65;3;4M", &host, &screen));
    assert!(!feed(&mut view, b"\x1b[<65;3;4M", &host, &screen));
    // Opened by keys, the wheel at the bottom leaves it open, as the keys do.
    let mut view = open(&host, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"\x1b[<65;3;4M", &host, &screen));
}

#[test]
fn q_c_c_and_a_lone_esc_close_the_view_and_unknown_keys_do_nothing() {
    let screen = screen();
    let host = HostState::default();
    let mut view = open(&host, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"xyz\x1b[Z\x1b[2~", &host, &screen));
    assert_eq!(place(&view), (1000, 1004, 1));
    assert!(!feed(&mut view, b"q", &host, &screen));
    let mut view = open(&host, &screen, Entry::Bottom);
    assert!(!feed(&mut view, b"\x03", &host, &screen));
    let mut view = open(&host, &screen, Entry::Bottom);
    assert!(!feed(&mut view, b"\x1b", &host, &screen));
    // An arrow split over two reads is still an arrow.
    let mut view = open(&host, &screen, Entry::Bottom);
    let mut tokenizer = crate::input::Tokenizer::default();
    let now = std::time::Instant::now();
    assert_eq!(tokenizer.feed(b"\x1b[", now), []);
    for token in tokenizer.feed(b"A", now) {
        assert!(view.feed(&token, ModeKeys::Vi, &host, &screen));
    }
    assert_eq!(place(&view), (1000, 1003, 1));
}

#[test]
fn searches_go_to_the_server_and_a_match_takes_the_cursor_to_it() {
    let screen = screen();
    let mut host = HostState::default();
    let mut view = open(&host, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"/12", &host, &screen));
    assert_eq!(view.status(&host, &screen).1.as_deref(), Some("/12"));
    assert!(view.search().is_none());
    assert!(feed(&mut view, b"\x7f3\r", &host, &screen));
    let search = view.search().cloned().unwrap();
    // From the cursor's line.
    assert_eq!(
        (
            search.pane,
            search.needle.as_str(),
            search.direction,
            search.from
        ),
        (PaneId(7), "13", SearchDirection::Older, LineNumber(1004))
    );
    // An answer to another search is not this one's.
    let answer = |id, line| Some(SearchResult { id, line });
    view.on_search_result(answer(search.id + 1, Some(LineNumber(200))), &host, &screen);
    assert_eq!(place(&view), (1000, 1004, 1));
    // A match out of sight: a quarter of the view from its bottom, as in tmux. Its line
    // has not arrived, so the cursor waits at its start...
    view.on_search_result(answer(search.id, Some(LineNumber(613))), &host, &screen);
    assert_eq!(place(&view), (609, 613, 0));
    // ...and goes to the match when it arrives (the last on the line: searching up).
    host.history
        .insert((PaneId(7), LineNumber(613)), line("ab13cd13"));
    view.on_search_result(answer(search.id, Some(LineNumber(613))), &host, &screen);
    assert_eq!(place(&view), (609, 613, 6));
    // Used once: moving away and getting the same state again does not jump back.
    feed(&mut view, b"k", &host, &screen);
    view.on_search_result(answer(search.id, Some(LineNumber(613))), &host, &screen);
    assert_eq!(place(&view), (609, 612, 0));
    // n repeats the search from the cursor; a match in sight leaves the view still.
    feed(&mut view, b"n", &host, &screen);
    let next = view.search().cloned().unwrap();
    assert_eq!(
        (next.direction, next.from),
        (SearchDirection::Older, LineNumber(612))
    );
    assert_ne!(next.id, search.id);
    view.on_search_result(answer(next.id, Some(LineNumber(610))), &host, &screen);
    assert_eq!(place(&view), (609, 610, 0));
    feed(&mut view, b"n", &host, &screen);
    let again = view.search().cloned().unwrap();
    view.on_search_result(answer(again.id, None), &host, &screen);
    assert!(view.status(&host, &screen).0.starts_with("not found: 13"));
    feed(&mut view, b"N", &host, &screen);
    assert_eq!(
        view.search().map(|s| s.direction),
        Some(SearchDirection::Newer)
    );
    // `?` searches newer lines; Esc in the prompt cancels the prompt only.
    assert!(feed(&mut view, b"?ab\x1b", &host, &screen));
    assert!(feed(&mut view, b"?x", &host, &screen));
    assert!(feed(&mut view, b"\x03", &host, &screen));
    assert_eq!(view.status(&host, &screen).1, None);
}

#[test]
fn the_last_searchs_matches_are_highlighted_where_they_show() {
    let screen = screen();
    let mut host = HostState::default();
    host.history
        .insert((PaneId(7), LineNumber(997)), line("ab13cd13"));
    let mut view = open(&host, &screen, Entry::Wheel);
    assert!(feed(&mut view, b"/13\r", &host, &screen));
    let frame = drawn(&view, &host, &screen);
    let lit: Vec<bool> = (0..10)
        .map(|col| frame.row(0)[col].style.bg == Color::Indexed(6))
        .collect();
    let expected: Vec<bool> = (0..10).map(|col| [2, 3, 6, 7].contains(&col)).collect();
    assert_eq!(lit, expected);
    assert!(frame
        .row(1)
        .iter()
        .all(|cell| cell.style.bg == Color::Default));
}

#[test]
fn rows_show_history_lines_screen_rows_or_a_loading_marker_and_the_cursor() {
    let screen = screen();
    let mut host = HostState::default();
    host.history
        .insert((PaneId(7), LineNumber(997)), line("h997"));
    host.history
        .insert((PaneId(7), LineNumber(999)), line("h999"));
    let view = open(&host, &screen, Entry::Wheel);
    let shown: Vec<String> = view
        .lines(&host, &screen)
        .iter()
        .map(|shown| match shown {
            Shown::Line(row) => row.text().trim_end().to_string(),
            Shown::Loading => LOADING.to_string(),
            Shown::Empty => String::new(),
        })
        .collect();
    assert_eq!(shown, ["h997", LOADING, "h999", "s0", "s1"]);
    assert_eq!(view.status(&host, &screen).0, "line 998 of 1005 [loading]");
    host.history
        .insert((PaneId(7), LineNumber(998)), line("h998"));
    assert_eq!(view.status(&host, &screen).0, "line 998 of 1005");

    let mut frame = Frame::blank(12, 6);
    let rect = Rect {
        x: 1,
        y: 0,
        cols: 10,
        rows: 5,
    };
    // The terminal's cursor goes to the view's: row 4, column 1 of the pane.
    assert_eq!(view.draw(&mut frame, &host, &screen, rect), Some((4, 2)));
    let text = |row: u16| -> String {
        frame
            .row(row)
            .iter()
            .map(|cell| match &cell.glyph {
                crate::frame::Glyph::Char(c) => *c,
                _ => '#',
            })
            .collect()
    };
    assert_eq!(text(0), " h997       ");
    assert_eq!(text(3), " s0         ");
}

/// The view drawn on a frame of its size.
fn drawn(view: &ScrollView, host: &HostState, screen: &PaneScreen) -> Frame {
    let mut frame = Frame::blank(10, 5);
    let rect = Rect {
        x: 0,
        y: 0,
        cols: 10,
        rows: 5,
    };
    view.draw(&mut frame, host, screen, rect);
    frame
}

/// The frame's inverse cells of the view's rows, as "#" and ".".
fn inverse(view: &ScrollView, host: &HostState, screen: &PaneScreen) -> Vec<String> {
    let frame = drawn(view, host, screen);
    (0..5)
        .map(|row| {
            (frame.row(row).iter())
                .map(|cell| if cell.style.inverse { '#' } else { '.' })
                .collect()
        })
        .collect()
}

#[test]
fn v_selects_characters_from_the_cursor_and_y_copies_them_and_closes() {
    let screen = screen();
    let host = host_with_history();
    let mut view = open(&host, &screen, Entry::Bottom);
    // y and Enter copy nothing without a selection.
    assert!(feed(&mut view, b"kky\r", &host, &screen));
    assert_eq!(view.take_copied(), None);
    // To line 998, column 1; select to the end of the next line's word.
    assert!(feed(&mut view, b"kkkkv", &host, &screen));
    assert_eq!(place(&view), (998, 998, 1));
    assert!(feed(&mut view, b"je", &host, &screen));
    assert_eq!(place(&view), (998, 999, 3));
    assert_eq!(
        view.status(&host, &screen).0,
        "2 lines selected  line 999 of 1005"
    );
    assert_eq!(
        inverse(&view, &host, &screen),
        [
            ".#########",
            "####......",
            "..........",
            "..........",
            ".........."
        ]
    );
    // o: the cursor goes to the other end; the selection is the same.
    assert!(feed(&mut view, b"o", &host, &screen));
    assert_eq!(place(&view), (998, 998, 1));
    assert!(!feed(&mut view, b"y", &host, &screen));
    assert_eq!(view.take_copied().as_deref(), Some("998\nh999"));
    assert_eq!(view.take_copied(), None);

    // Space selects too, Enter copies too; $ takes the line's newline, as in tmux.
    let mut view = open(&host, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"kkkkk0 $", &host, &screen));
    assert!(!feed(&mut view, b"\r", &host, &screen));
    assert_eq!(view.take_copied().as_deref(), Some("h999\n"));
}

/// Opens the view at the bottom over lines 990..1000, types each of `reads` (one read
/// each), and returns the top two rows' inverse cells and what `y` then copies.
fn select_and_copy(reads: &[&[u8]]) -> (Vec<String>, Option<String>) {
    let screen = screen();
    let host = host_with_history();
    let mut view = open(&host, &screen, Entry::Bottom);
    for keys in reads {
        assert!(feed(&mut view, keys, &host, &screen), "{keys:?} closed it");
    }
    let mut shown = inverse(&view, &host, &screen);
    shown.truncate(2);
    assert!(!feed(&mut view, b"y", &host, &screen));
    (shown, view.take_copied())
}

#[test]
fn capital_v_selects_whole_lines_and_c_v_a_rectangle() {
    let (shown, copied) = select_and_copy(&[b"kkkkkkVj"]);
    assert_eq!(shown, ["##########", "##########"]);
    assert_eq!(copied.as_deref(), Some("h998\nh999\n"));
    let (shown, copied) = select_and_copy(&[b"kkkkkkv\x16jl"]);
    assert_eq!(shown, [".##.......", ".##......."]);
    assert_eq!(copied.as_deref(), Some("99\n99"));
    // The rectangle outlasts its selection: C-v again makes selections characters.
    let (shown, copied) = select_and_copy(&[b"kkkkkk\x16v", b"\x1b", b"\x16vj"]);
    assert_eq!(shown, [".#########", "##........"]);
    assert_eq!(copied.as_deref(), Some("998\nh9"));
}

#[test]
fn a_word_of_wide_characters_is_copied_whole() {
    let mut screen = screen_of(2, 10, &["中文 ab", ""]);
    screen.cursor = ScreenPoint { row: 0, col: 0 };
    let host = HostState::default();
    let mut view = ScrollView::open(PaneId(7), 2, &host, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"ve", &host, &screen));
    assert_eq!(view.cursor().col, 2);
    assert!(!feed(&mut view, b"y", &host, &screen));
    assert_eq!(view.take_copied().as_deref(), Some("中文"));
}

#[test]
fn esc_cancels_the_selection_only_and_a_loading_line_stops_the_copy() {
    let screen = screen();
    let mut host = HostState::default();
    host.history
        .insert((PaneId(7), LineNumber(999)), line("h999"));
    let mut view = open(&host, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"vk", &host, &screen));
    assert!(feed(&mut view, b"\x1b", &host, &screen));
    assert_eq!(view.status(&host, &screen).0, "line 1001 of 1005");
    // With nothing selected, Esc closes as before; so does Esc followed by a key.
    assert!(!feed(&mut view, b"\x1b", &host, &screen));
    let mut view = open(&host, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"kvk\x1bx", &host, &screen));
    assert!(!feed(&mut view, b"\x1bx", &host, &screen));

    // Line 998 is still on its way: no copy, the view stays open and says why.
    let mut view = open(&host, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"kkkkkkvjy", &host, &screen));
    assert_eq!(view.take_copied(), None);
    assert!(view
        .status(&host, &screen)
        .0
        .starts_with("selection still loading"));
    host.history
        .insert((PaneId(7), LineNumber(998)), line("h998"));
    assert!(!feed(&mut view, b"y", &host, &screen));
    assert_eq!(view.take_copied().as_deref(), Some("h998\nh9"));
}

#[test]
fn emacs_keys_select_a_region_without_its_end_and_m_w_copies_it_and_closes() {
    let screen = screen();
    let host = host_with_history();
    let emacs = |view: &mut ScrollView, bytes: &[u8]| {
        feed_keys(view, ModeKeys::Emacs, bytes, &host, &screen)
    };
    let mut view = open(&host, &screen, Entry::Bottom);
    // vi's keys do nothing; C-p five times and C-a: the start of line 999.
    assert!(emacs(&mut view, b"jkv"));
    assert_eq!(place(&view), (1000, 1004, 1));
    assert!(emacs(&mut view, b"\x10\x10\x10\x10\x10\x01"));
    assert_eq!(place(&view), (999, 999, 0));
    // C-Space, then M-f: just past the word, which the region ends before.
    assert!(emacs(&mut view, b"\x00\x1bf"));
    assert_eq!(place(&view), (999, 999, 4));
    assert_eq!(
        view.status(&host, &screen).0,
        "1 line selected  line 1000 of 1005"
    );
    assert_eq!(inverse(&view, &host, &screen)[0], "####......");
    // C-g clears the selection and keeps the view; M-b and M-f move it.
    assert!(emacs(&mut view, b"\x07"));
    assert_eq!(view.status(&host, &screen).0, "line 1000 of 1005");
    assert!(emacs(&mut view, b"\x01\x00\x1bf\x1bb\x1bf"));
    assert!(!emacs(&mut view, b"\x1bw"));
    assert_eq!(view.take_copied().as_deref(), Some("h999"));
    // M-w without a selection closes the view, copying nothing; so do q and Esc.
    for keys in [b"\x1bw".as_slice(), b"q", b"\x1b"] {
        let mut view = open(&host, &screen, Entry::Bottom);
        assert!(!emacs(&mut view, keys), "{keys:?}");
        assert_eq!(view.take_copied(), None);
    }
}

use std::sync::Arc;

use moshmux_proto::screen::Rect;

use super::*;
use crate::frame::tests::screen as screen_of;
use crate::frame::Frame;

/// A pane of 5 rows showing "s0".."s4", under 1000 history lines numbered from 100
/// (retention dropped 0..100).
fn screen() -> PaneScreen {
    let mut screen = screen_of(5, 10, &["s0", "s1", "s2", "s3", "s4"]);
    screen.history_len = 1000;
    screen.history_start = LineNumber(100);
    screen
}

fn line(text: &str) -> Arc<Row> {
    let mut builder = Row::builder(text.len() as u16);
    for c in text.chars() {
        builder.push(&c.to_string(), false, CellStyle::default());
    }
    Arc::new(builder.finish(false))
}

/// Keys typed into the view in one read; false when they closed it.
fn feed(view: &mut ScrollView, bytes: &[u8], host: &HostState, screen: &PaneScreen) -> bool {
    crate::input::tests::tokens(bytes)
        .iter()
        .all(|token| view.feed(token, host, screen))
}

fn first(view: &ScrollView) -> u64 {
    view.request().first.0
}

#[test]
fn keys_move_the_view_within_the_history_and_the_screen() {
    let screen = screen();
    let host = HostState::default();
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    assert_eq!(
        view.request(),
        ScrollRequest {
            pane: PaneId(7),
            first: LineNumber(1000),
            rows: 5
        }
    );
    let steps: [(&[u8], u64); 14] = [
        (b"k", 999),
        (b"\x1b[A", 998),
        (b"\x1bOA", 997),
        (b"j", 998),
        (b"\x1b[B", 999),
        (b"\x1b[5~", 994),
        (b"\x1b[6~", 999),
        (b"\x15", 997),
        (b"\x04", 999),
        (b"g", 100),
        (b"k", 100),
        (b"G", 1000),
        (b"j", 1000),
        (b"\x1b[<64;3;4M", 997),
    ];
    for (keys, expected) in steps {
        assert!(
            feed(&mut view, keys, &host, &screen),
            "{keys:?} closed the view"
        );
        assert_eq!(first(&view), expected, "after {keys:?}");
    }
    let shift_page_up = ScrollView::open(PaneId(7), 5, &screen, Entry::PageUp);
    assert_eq!(first(&shift_page_up), 995);
}

#[test]
fn a_view_the_wheel_opened_closes_when_the_wheel_brings_it_to_the_bottom() {
    let screen = screen();
    let host = HostState::default();
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Wheel);
    assert_eq!(first(&view), 997);
    assert!(feed(&mut view, b"\x1b[<64;3;4M", &host, &screen));
    assert_eq!(first(&view), 994);
    assert!(feed(&mut view, b"\x1b[<65;3;4M", &host, &screen));
    assert!(!feed(&mut view, b"\x1b[<65;3;4M", &host, &screen));
    // Opened by keys, the wheel at the bottom leaves it open, as the keys do.
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"\x1b[<65;3;4M", &host, &screen));
}

#[test]
fn q_and_a_lone_esc_close_the_view_and_unknown_keys_do_nothing() {
    let screen = screen();
    let host = HostState::default();
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"xyz\x1b[Z\x1b[2~", &host, &screen));
    assert_eq!(first(&view), 1000);
    assert!(!feed(&mut view, b"q", &host, &screen));
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    assert!(!feed(&mut view, b"\x1b", &host, &screen));
    // An arrow split over two reads is still an arrow.
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    let mut tokenizer = crate::input::Tokenizer::default();
    let now = std::time::Instant::now();
    assert_eq!(tokenizer.feed(b"\x1b[", now), []);
    for token in tokenizer.feed(b"A", now) {
        assert!(view.feed(&token, &host, &screen));
    }
    assert_eq!(first(&view), 999);
}

#[test]
fn searches_go_to_the_server_and_a_match_moves_the_view() {
    let screen = screen();
    let host = HostState::default();
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"/12", &host, &screen));
    assert_eq!(view.status(&host, &screen).1.as_deref(), Some("/12"));
    assert!(view.search().is_none());
    assert!(feed(&mut view, b"\x7f3\r", &host, &screen));
    let search = view.search().cloned().unwrap();
    assert_eq!(
        (
            search.pane,
            search.needle.as_str(),
            search.direction,
            search.from
        ),
        (PaneId(7), "13", SearchDirection::Older, LineNumber(1000))
    );
    // An answer to another search is not this one's.
    let answer = |id, line| Some(SearchResult { id, line });
    view.on_search_result(answer(search.id + 1, Some(LineNumber(200))), &screen);
    assert_eq!(first(&view), 1000);
    view.on_search_result(answer(search.id, Some(LineNumber(613))), &screen);
    assert_eq!(first(&view), 613);
    // Used once: scrolling away and getting the same state again does not jump back.
    feed(&mut view, b"k", &host, &screen);
    view.on_search_result(answer(search.id, Some(LineNumber(613))), &screen);
    assert_eq!(first(&view), 612);
    // n repeats the search from here, N reverses it.
    feed(&mut view, b"n", &host, &screen);
    let next = view.search().cloned().unwrap();
    assert_eq!(
        (next.direction, next.from),
        (SearchDirection::Older, LineNumber(612))
    );
    assert_ne!(next.id, search.id);
    view.on_search_result(answer(next.id, None), &screen);
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
fn rows_show_history_lines_screen_rows_or_a_loading_marker() {
    let screen = screen();
    let mut host = HostState::default();
    host.history
        .insert((PaneId(7), LineNumber(997)), line("h997"));
    host.history
        .insert((PaneId(7), LineNumber(999)), line("h999"));
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    feed(&mut view, b"kkk", &host, &screen);
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
    view.draw(&mut frame, &host, &screen, rect);
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

#[test]
fn v_selects_lines_the_moving_keys_extend_and_y_copies_them_and_closes() {
    let screen = screen();
    let mut host = HostState::default();
    for n in 990..1000 {
        host.history
            .insert((PaneId(7), LineNumber(n)), line(&format!("h{n}   ")));
    }
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    // y and Enter copy nothing without a selection.
    assert!(feed(&mut view, b"kky\r", &host, &screen));
    assert_eq!(view.take_copied(), None);
    assert!(feed(&mut view, b"v\x1b[A", &host, &screen));
    assert!(feed(&mut view, b"k", &host, &screen));
    assert_eq!(first(&view), 996);
    assert_eq!(
        view.status(&host, &screen).0,
        "3 selected  line 997 of 1005"
    );
    // The selected rows (the top three) are drawn in inverse, the others not.
    let mut frame = Frame::blank(10, 5);
    let rect = Rect {
        x: 0,
        y: 0,
        cols: 10,
        rows: 5,
    };
    view.draw(&mut frame, &host, &screen, rect);
    let inverse: Vec<bool> = (0..5).map(|row| frame.row(row)[0].style.inverse).collect();
    assert_eq!(inverse, [true, true, true, false, false]);
    assert!(!feed(&mut view, b"y", &host, &screen));
    assert_eq!(view.take_copied().as_deref(), Some("h996\nh997\nh998"));
    assert_eq!(view.take_copied(), None);

    // Downwards from the anchor, into the live screen, and Enter copies too.
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"k \x1b[B", &host, &screen));
    assert!(!feed(&mut view, b"\r", &host, &screen));
    assert_eq!(view.take_copied().as_deref(), Some("h999\ns0"));
}

#[test]
fn esc_cancels_the_selection_only_and_a_loading_line_stops_the_copy() {
    let screen = screen();
    let mut host = HostState::default();
    host.history
        .insert((PaneId(7), LineNumber(999)), line("h999"));
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"vk", &host, &screen));
    assert!(feed(&mut view, b"\x1b", &host, &screen));
    assert_eq!(view.status(&host, &screen).0, "line 1000 of 1005");
    // With nothing selected, Esc closes as before; so does Esc followed by a key.
    assert!(!feed(&mut view, b"\x1b", &host, &screen));
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"kvk\x1bx", &host, &screen));
    assert!(!feed(&mut view, b"\x1bx", &host, &screen));

    // Line 998 is still on its way: no copy, the view stays open and says why.
    let mut view = ScrollView::open(PaneId(7), 5, &screen, Entry::Bottom);
    assert!(feed(&mut view, b"kvky", &host, &screen));
    assert_eq!(view.take_copied(), None);
    assert!(view
        .status(&host, &screen)
        .0
        .starts_with("selection still loading"));
    host.history
        .insert((PaneId(7), LineNumber(998)), line("h998"));
    assert!(!feed(&mut view, b"y", &host, &screen));
    assert_eq!(view.take_copied().as_deref(), Some("h998\nh999"));
}

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
    screen.history_start = 100;
    screen
}

fn line(text: &str) -> Arc<Row> {
    let mut builder = Row::builder(text.len() as u16);
    for c in text.chars() {
        builder.push(&c.to_string(), false, CellStyle::default());
    }
    Arc::new(builder.finish(false))
}

fn first(view: &ScrollView) -> u64 {
    view.request().first
}

#[test]
fn keys_move_the_view_within_the_history_and_the_screen() {
    let screen = screen();
    let mut view = ScrollView::open(7, 5, &screen, Entry::Bottom);
    assert_eq!(
        view.request(),
        ScrollRequest {
            pane: 7,
            first: 1000,
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
        assert!(view.feed(keys, &screen), "{keys:?} closed the view");
        assert_eq!(first(&view), expected, "after {keys:?}");
    }
    let shift_page_up = ScrollView::open(7, 5, &screen, Entry::PageUp);
    assert_eq!(first(&shift_page_up), 995);
}

#[test]
fn q_and_a_lone_esc_close_the_view_and_unknown_keys_do_nothing() {
    let screen = screen();
    let mut view = ScrollView::open(7, 5, &screen, Entry::Bottom);
    assert!(view.feed(b"xyz\x1b[Z\x1b[2~", &screen));
    assert_eq!(first(&view), 1000);
    assert!(!view.feed(b"q", &screen));
    let mut view = ScrollView::open(7, 5, &screen, Entry::Bottom);
    assert!(!view.feed(b"\x1b", &screen));
    // An arrow split over two reads is still an arrow.
    let mut view = ScrollView::open(7, 5, &screen, Entry::Bottom);
    assert!(view.feed(b"\x1b[", &screen));
    assert!(view.feed(b"A", &screen));
    assert_eq!(first(&view), 999);
}

#[test]
fn searches_go_to_the_server_and_a_match_moves_the_view() {
    let screen = screen();
    let host = HostState::default();
    let mut view = ScrollView::open(7, 5, &screen, Entry::Bottom);
    assert!(view.feed(b"/12", &screen));
    assert_eq!(view.status(&host, &screen).1.as_deref(), Some("/12"));
    assert!(view.search().is_none());
    assert!(view.feed(b"\x7f3\r", &screen));
    let search = view.search().cloned().unwrap();
    assert_eq!(
        (
            search.pane,
            search.needle.as_str(),
            search.direction,
            search.from
        ),
        (7, "13", SearchDirection::Older, 1000)
    );
    // An answer to another search is not this one's.
    let answer = |id, line| Some(SearchResult { id, line });
    view.on_search_result(answer(search.id + 1, Some(200)), &screen);
    assert_eq!(first(&view), 1000);
    view.on_search_result(answer(search.id, Some(613)), &screen);
    assert_eq!(first(&view), 613);
    // Used once: scrolling away and getting the same state again does not jump back.
    view.feed(b"k", &screen);
    view.on_search_result(answer(search.id, Some(613)), &screen);
    assert_eq!(first(&view), 612);
    // n repeats the search from here, N reverses it.
    view.feed(b"n", &screen);
    let next = view.search().cloned().unwrap();
    assert_eq!((next.direction, next.from), (SearchDirection::Older, 612));
    assert_ne!(next.id, search.id);
    view.on_search_result(answer(next.id, None), &screen);
    assert!(view.status(&host, &screen).0.starts_with("not found: 13"));
    view.feed(b"N", &screen);
    assert_eq!(
        view.search().map(|s| s.direction),
        Some(SearchDirection::Newer)
    );
    // `?` searches newer lines; Esc in the prompt cancels the prompt only.
    assert!(view.feed(b"?ab\x1b", &screen));
    assert!(view.feed(b"?x", &screen));
    assert!(view.feed(b"\x03", &screen));
    assert_eq!(view.status(&host, &screen).1, None);
}

#[test]
fn rows_show_history_lines_screen_rows_or_a_loading_marker() {
    let screen = screen();
    let mut host = HostState::default();
    host.history.insert((7, 997), line("h997"));
    host.history.insert((7, 999), line("h999"));
    let mut view = ScrollView::open(7, 5, &screen, Entry::Bottom);
    view.feed(b"kkk", &screen);
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
    host.history.insert((7, 998), line("h998"));
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

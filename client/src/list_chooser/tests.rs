use super::*;
use crate::frame::Glyph;
use crate::input::Tokenizer;

fn listed(kind: ListKind, items: &[(&str, &str)]) -> ListChooser {
    let lines: Vec<Label> = (items.iter())
        .map(|(name, rest)| Label::new(&format!("{name}{SEPARATOR}{rest}")))
        .collect();
    ListChooser::of_reply(kind, &lines).expect("a listing")
}

fn typed(list: &mut ListChooser, keys: &[u8]) -> Vec<ListOutcome> {
    let now = std::time::Instant::now();
    let tokens = Tokenizer::default().feed(keys, now);
    tokens.iter().map(|token| list.feed(token, 3)).collect()
}

fn row_text(frame: &Frame, row: u16) -> String {
    let text: String = (frame.row(row).iter())
        .map(|cell| match &cell.glyph {
            Glyph::Char(c) => c.to_string(),
            Glyph::Cluster(cluster) => cluster.to_string(),
            Glyph::WideTail => String::new(),
        })
        .collect();
    text.trim_end().to_owned()
}

#[test]
fn the_listing_asks_for_names_and_only_its_answer_opens_a_chooser() {
    let listing = ListKind::Buffers.listing();
    assert!(
        listing.starts_with("list-buffers -F '#{buffer_name}\u{fffd}"),
        "{listing}"
    );
    assert!(ListKind::Clients.listing().starts_with("list-clients -F "));
    let other = [Label::new("buffer0: 3 bytes: \"abc\"")];
    assert_eq!(ListChooser::of_reply(ListKind::Buffers, &other), None);
    assert_eq!(ListChooser::of_reply(ListKind::Buffers, &[]), None);
    assert_eq!(
        ListKind::of_words(&["choose-buffer", "-Z"]),
        Some(Ok(ListKind::Buffers))
    );
    assert_eq!(
        ListKind::of_words(&["choose-client"]),
        Some(Ok(ListKind::Clients))
    );
    assert!(matches!(
        ListKind::of_words(&["choose-client", "-x"]),
        Some(Err(_))
    ));
    assert_eq!(ListKind::of_words(&["choose-tree"]), None);
}

#[test]
fn keys_move_wrap_and_choose_with_the_name_quoted() {
    let mut list = listed(
        ListKind::Buffers,
        &[
            ("buffer1", "3 bytes: \"two\""),
            ("it's", "3 bytes: \"one\""),
        ],
    );
    assert_eq!(typed(&mut list, b"j"), [ListOutcome::Stay]);
    assert_eq!(list.selected, 1);
    assert_eq!(typed(&mut list, b"j\x1b[A"), vec![ListOutcome::Stay; 2]);
    assert_eq!(list.selected, 1, "down wraps to the first, up to the last");
    assert_eq!(
        typed(&mut list, b"\r"),
        [ListOutcome::Chose("paste-buffer -b 'it'\\''s'".into())]
    );
    let mut list = listed(ListKind::Clients, &[("1.2.3.4:5", "session 0 [80x24]")]);
    assert_eq!(
        typed(&mut list, b"0"),
        [ListOutcome::Chose("detach-client -t '1.2.3.4:5'".into())]
    );
    assert_eq!(typed(&mut list, b"q"), [ListOutcome::Leave]);
    assert_eq!(typed(&mut list, b"\x1b"), [ListOutcome::Leave]);
}

#[test]
fn d_removes_the_item_and_the_last_one_empties_the_list() {
    let mut list = listed(
        ListKind::Buffers,
        &[("a", "1 bytes: \"x\""), ("b", "1 bytes: \"y\"")],
    );
    assert_eq!(typed(&mut list, b"G"), [ListOutcome::Stay]);
    assert_eq!(
        typed(&mut list, b"d"),
        [ListOutcome::Removed("delete-buffer -b 'b'".into())]
    );
    assert_eq!(list.selected, 0);
    assert!(!list.is_empty());
    assert_eq!(
        typed(&mut list, b"d"),
        [ListOutcome::Removed("delete-buffer -b 'a'".into())]
    );
    assert!(list.is_empty());
}

#[test]
fn the_list_draws_tmux_s_lines_and_scrolls_to_the_selected_one() {
    let items: Vec<(String, String)> = (0..5)
        .map(|n| (format!("buffer{n}"), format!("{n} bytes")))
        .collect();
    let items: Vec<(&str, &str)> = items
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut list = listed(ListKind::Buffers, &items);
    typed(&mut list, b"jjjj");
    let mut frame = Frame::blank(30, 4);
    let area = Rect {
        x: 0,
        y: 0,
        cols: 30,
        rows: 3,
    };
    list.draw(&mut frame, area);
    assert_eq!(row_text(&frame, 0), "(2) buffer2: 2 bytes");
    assert_eq!(row_text(&frame, 2), "(4) buffer4: 4 bytes");
    assert_eq!(frame.row(2)[0].style, selected_style());
    assert_eq!(frame.row(0)[0].style, CellStyle::default());
}

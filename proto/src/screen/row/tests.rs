use super::*;
use crate::codec;

fn red() -> CellStyle {
    CellStyle {
        fg: Color::Indexed(1),
        bold: true,
        ..CellStyle::default()
    }
}

#[test]
fn wide_and_combining_cells_round_trip() {
    let mut builder = Row::builder(8);
    builder
        .push("a", false, red())
        .push("中", true, CellStyle::default())
        .push("e\u{301}", false, red())
        .push("", false, red());
    let row = builder.finish(true);
    let cells: Vec<_> = row.cells().map(|c| (c.col, c.text, c.wide)).collect();
    assert_eq!(
        cells,
        [
            (0, "a", false),
            (1, "中", true),
            (3, "e\u{301}", false),
            (4, " ", false),
            (5, " ", false),
            (6, " ", false),
            (7, " ", false),
        ]
    );
    assert_eq!(row.cells().nth(2).map(|c| c.style), Some(red()));
    assert_eq!(row.width(), 8);
    assert_eq!(codec::decode::<Row>(&codec::encode(&row)), Ok(row));
}

#[test]
fn a_wide_cell_at_the_edge_becomes_a_space_and_extra_cells_are_ignored() {
    let mut builder = Row::builder(3);
    builder
        .push("ab", false, red())
        .push("x", false, red())
        .push("中", true, red())
        .push("y", false, red());
    let row = builder.finish(false);
    assert_eq!(row.width(), 3);
    assert_eq!(row.text(), "abx ");
}

#[test]
fn inconsistent_rows_are_refused() {
    let forge = |text: &str, styles: Vec<(u16, CellStyle)>, clusters: Vec<Cluster>| {
        let wire = (text, styles, clusters, false, Vec::<Link>::new());
        codec::decode::<Row>(&codec::encode(&wire))
    };
    let plain = CellStyle::default();
    let wide = |col| Cluster {
        col,
        chars: 1,
        wide: true,
    };
    assert_eq!(
        forge("ab", vec![(2, plain)], vec![]).map(|r| r.width()),
        Ok(2)
    );
    assert!(forge("abc", vec![(2, plain)], vec![]).is_err());
    assert!(forge("a", vec![(2, plain)], vec![]).is_err());
    assert!(forge("ab", vec![(1, plain), (1, plain)], vec![]).is_err());
    assert!(forge("ab", vec![(0, red()), (2, plain)], vec![]).is_err());
    assert!(forge("a\x1b", vec![(2, plain)], vec![]).is_err());
    assert!(forge("中", vec![(1, plain)], vec![wide(0)]).is_err());
    assert!(forge("中b", vec![(4, plain)], vec![wide(0), wide(1)]).is_err());
    assert!(forge("a中", vec![(3, plain)], vec![wide(1)]).is_ok());
}

#[test]
fn hyperlinks_cover_their_cells_only() {
    let mut builder = Row::builder(8);
    builder.push("a", false, red()).link(Some("http://x/"));
    builder
        .push("b", false, red())
        .push("中", true, CellStyle::default());
    builder.link(Some("http://y/")).push("c", false, red());
    builder.link(Some("bad\x07")).push("d", false, red());
    builder.link(None).push("e", false, red());
    let row = builder.finish(false);
    let links: Vec<_> = row.cells().map(|c| c.link.map(|l| &**l)).collect();
    let (x, y) = (Some("http://x/"), Some("http://y/"));
    assert_eq!(links, [None, x, x, y, None, None, None]);
    assert_eq!(codec::decode::<Row>(&codec::encode(&row)), Ok(row));

    let forge = |links: Vec<(u16, u16, &str)>| {
        let links: Vec<_> = (links.into_iter())
            .map(|(col, cols, uri)| Link {
                col,
                cols,
                uri: uri.into(),
            })
            .collect();
        let wire = (
            "abcd",
            vec![(4u16, CellStyle::default())],
            Vec::<Cluster>::new(),
            false,
            links,
        );
        codec::decode::<Row>(&codec::encode(&wire))
    };
    assert_eq!(
        forge(vec![(0, 2, "u"), (2, 2, "v")]).map(|r| r.width()),
        Ok(4)
    );
    assert!(forge(vec![(0, 2, "u"), (1, 2, "v")]).is_err());
    assert!(forge(vec![(2, 3, "u")]).is_err());
    assert!(forge(vec![(1, 0, "u")]).is_err());
    assert!(forge(vec![(0, 1, "\x1b\\")]).is_err());
    assert!(forge(vec![(0, 1, "")]).is_err());
}

#[test]
fn cells_pushed_as_before_take_the_style_and_link_of_the_cell_before() {
    let mut builder = Row::builder(5);
    builder.push_char_as_before('a');
    builder.push_char('b', red()).push_char_as_before('c');
    builder.link(Some("https://x.org/"));
    builder.push_char_as_before('d');
    let row = builder.finish(false);
    let cells: Vec<_> = row
        .cells()
        .map(|c| (c.text, c.style, c.link.map(|l| l.to_string())))
        .collect();
    let plain = CellStyle::default();
    let link = Some("https://x.org/".to_owned());
    assert_eq!(
        cells,
        [
            ("a", plain, None),
            ("b", red(), None),
            ("c", red(), None),
            ("d", red(), link),
            (" ", plain, None),
        ]
    );
    assert_eq!(codec::decode::<Row>(&codec::encode(&row)), Ok(row));
}

#[test]
fn trimming_drops_the_blanks_that_show_nothing_unless_the_row_wrapped() {
    let on_blue = CellStyle {
        bg: Color::Indexed(4),
        ..CellStyle::default()
    };
    let build = |cells: &[(char, CellStyle)], wrapped: bool| {
        let mut builder = Row::builder(10);
        for &(c, style) in cells {
            builder.push_char(c, style);
        }
        builder.finish_trimmed(wrapped)
    };
    let plain = CellStyle::default();
    let row = build(&[('a', red()), (' ', red()), (' ', plain)], false);
    assert_eq!((row.text(), row.width()), ("a", 1));
    let row = build(&[('a', plain), (' ', on_blue), (' ', plain)], false);
    assert_eq!((row.text(), row.width()), ("a ", 2));
    let row = build(&[('a', plain), (' ', plain)], true);
    assert_eq!((row.text(), row.width(), row.wrapped()), ("a ", 2, true));
    assert_eq!(build(&[(' ', plain)], false), Row::default());
    let mut builder = Row::builder(10);
    builder.push("中", true, plain).push(" ", false, plain);
    let row = builder.finish_trimmed(false);
    assert_eq!((row.text(), row.width()), ("中", 2));
    for row in [row, build(&[('x', plain)], false)] {
        assert_eq!(codec::decode::<Row>(&codec::encode(&row)), Ok(row));
    }
}

#[test]
fn control_characters_are_what_the_standard_library_says() {
    for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
        assert_eq!(is_control(c), c.is_control(), "{c:?}");
    }
}

/// "a中é  x" then blanks: a wide cell, a cluster, spaces inside and after the text.
fn mixed_row() -> Row {
    let mut builder = Row::builder(10);
    builder
        .push("a", false, red())
        .push("中", true, CellStyle::default())
        .push("e\u{301}", false, red())
        .push(" ", false, red())
        .push(" ", false, CellStyle::default())
        .push("x", false, CellStyle::default())
        .push(" ", false, red());
    builder.finish(false)
}

#[test]
fn text_width_ends_at_the_last_cell_that_is_not_a_space() {
    assert_eq!(mixed_row().text_width(), 7);
    assert_eq!(Row::blank(5).text_width(), 0);
    assert_eq!(Row::default().text_width(), 0);
    let mut builder = Row::builder(4);
    builder.push("a", false, red()).push("中", true, red());
    assert_eq!(builder.finish(false).text_width(), 3);
}

#[test]
fn text_of_columns_takes_whole_cells_that_start_in_the_range() {
    let row = mixed_row();
    assert_eq!(row.text_of_columns(0..10), row.text());
    assert_eq!(row.text_of_columns(0..1), "a");
    // Column 2 is the wide cell's second half: the cell starts at 1.
    assert_eq!(row.text_of_columns(1..2), "中");
    assert_eq!(row.text_of_columns(2..4), "e\u{301}");
    assert_eq!(row.text_of_columns(3..7), "e\u{301}  x");
    assert_eq!(row.text_of_columns(4..4), "");
    assert_eq!(row.text_of_columns(20..30), "");
}

#[test]
fn column_of_byte_finds_the_cell_holding_it() {
    let row = mixed_row();
    let text = row.text();
    let at = |needle: &str| text.find(needle).and_then(|byte| row.column_of_byte(byte));
    assert_eq!(at("a"), Some(0));
    assert_eq!(at("中"), Some(1));
    assert_eq!(at("e"), Some(3));
    // The combining mark is part of the cell at column 3.
    assert_eq!(at("\u{301}"), Some(3));
    assert_eq!(at("x"), Some(6));
    assert_eq!(row.column_of_byte(text.len()), None);
}

use std::num::NonZeroU16;

use moshmux_proto::screen::{PaneScreen, Point, Rect, Row};
use moshmux_proto::HostState;
use proptest::prelude::*;

use super::*;
use crate::frame::tests::{host, rect, screen};
use crate::frame::{compose, StatusExtras};

/// Checks that the emulator's screen is the frame: every cell's text, width and
/// attributes, the cursor, and the mirrored input modes.
fn check_screen(parser: &vt100::Parser, frame: &Frame) -> Result<(), String> {
    let screen = parser.screen();
    for row in 0..frame.rows() {
        for (col, cell) in (0u16..).zip(frame.row(row)) {
            let Some(shown) = screen.cell(row, col) else {
                return Err(format!("no cell at {row},{col}"));
            };
            let want = match &cell.glyph {
                Glyph::Char(c) => c.to_string(),
                Glyph::Cluster(text) => text.to_string(),
                Glyph::WideTail if shown.is_wide_continuation() => continue,
                Glyph::WideTail => return Err(format!("{row},{col}: not a wide tail")),
            };
            let text = match shown.contents() {
                "" => " ",
                text => text,
            };
            let style = CellStyle {
                fg: color(shown.fgcolor()),
                bg: color(shown.bgcolor()),
                bold: shown.bold(),
                dim: shown.dim(),
                italic: shown.italic(),
                underline: shown.underline(),
                inverse: shown.inverse(),
                // vt100 (the oracle) knows none of these: compared in `sgr_for_newer_attributes`.
                ..CellStyle::default()
            };
            let known = CellStyle {
                strikethrough: false,
                overline: false,
                underline_style: UnderlineStyle::Single,
                underline_color: Color::Default,
                ..cell.style
            };
            if text != want || shown.is_wide() != cell.wide || style != known {
                return Err(format!(
                    "{row},{col}: shows {text:?} wide={} {style:?}, frame has {want:?} wide={} {:?}",
                    shown.is_wide(),
                    cell.wide,
                    cell.style
                ));
            }
        }
    }
    let cursor = (!screen.hide_cursor()).then(|| screen.cursor_position());
    if cursor != frame.cursor {
        return Err(format!("cursor {cursor:?}, frame has {:?}", frame.cursor));
    }
    let modes = (
        screen.application_cursor(),
        screen.application_keypad(),
        screen.bracketed_paste(),
    );
    let want = (
        frame.modes.application_cursor,
        frame.modes.application_keypad,
        frame.modes.bracketed_paste,
    );
    if modes != want {
        return Err(format!("modes {modes:?}, frame has {want:?}"));
    }
    Ok(())
}

fn color(color: vt100::Color) -> Color {
    match color {
        vt100::Color::Default => Color::Default,
        vt100::Color::Idx(n) => Color::Indexed(n),
        vt100::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn nonzero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("test frames are at least 1x1")
}

/// A renderer and the terminal it draws on.
struct Terminal {
    renderer: Renderer,
    parser: vt100::Parser,
}

impl Terminal {
    fn new() -> Terminal {
        Terminal {
            renderer: Renderer::default(),
            parser: vt100::Parser::new(nonzero(24), nonzero(80), 0),
        }
    }

    /// Draws the frame and returns the bytes it took.
    fn draw(&mut self, frame: &Frame) -> Vec<u8> {
        let size = (nonzero(frame.rows()), nonzero(frame.cols()));
        if self.parser.screen().size() != size {
            self.parser.set_size(size.0, size.1);
        }
        let mut out = Vec::new();
        self.renderer.render(frame, &mut out);
        self.parser.process(&out);
        if let Err(problem) = check_screen(&self.parser, frame) {
            panic!("{problem}\nafter {:?}", String::from_utf8_lossy(&out));
        }
        out
    }
}

/// A shell screen of `rows` x `cols` full of `ls -l`-like lines, the prompt at the bottom.
fn busy_screen(rows: u16, cols: u16, first: usize) -> PaneScreen {
    let mut pane = PaneScreen::new(rows, cols).unwrap();
    let bold_blue = CellStyle {
        fg: Color::Indexed(4),
        bold: true,
        ..CellStyle::default()
    };
    for index in 0..usize::from(rows) {
        let mut row = Row::builder(cols);
        let line = format!(
            "-rw-r--r-- 1 user user {:>6} Nov 25 08:{:02} ",
            (first + index) * 37,
            (first + index) % 60
        );
        for c in line.chars() {
            row.push(c.encode_utf8(&mut [0; 4]), false, CellStyle::default());
        }
        for c in format!("file-{}.txt", first + index).chars() {
            row.push(c.encode_utf8(&mut [0; 4]), false, bold_blue);
        }
        pane.set_row(index, row.finish(false)).unwrap();
    }
    pane.cursor = Point {
        row: rows - 1,
        col: 0,
    };
    pane
}

fn one_pane(pane: PaneScreen) -> HostState {
    let (rows, cols) = (pane.rows().len() as u16, pane.cols());
    host(vec![(rect(0, 0, cols, rows), true, false, pane)])
}

#[test]
fn an_unchanged_frame_costs_nothing_and_a_typed_character_one_byte() {
    let mut pane = screen(23, 80, &["$ "]);
    pane.cursor = Point { row: 0, col: 2 };
    let mut terminal = Terminal::new();
    let frame = compose(&one_pane(pane.clone()), 80, 24, &StatusExtras::default());
    terminal.draw(&frame);
    assert!(terminal.draw(&frame).is_empty());
    let mut typed = screen(23, 80, &["$ l"]);
    typed.cursor = Point { row: 0, col: 3 };
    let frame = compose(&one_pane(typed), 80, 24, &StatusExtras::default());
    // The status line was drawn last, in its colours: the first character resets them.
    assert_eq!(terminal.draw(&frame), b"\x1b[ml");
    let mut typed = screen(23, 80, &["$ ls"]);
    typed.cursor = Point { row: 0, col: 4 };
    let frame = compose(&one_pane(typed), 80, 24, &StatusExtras::default());
    assert_eq!(terminal.draw(&frame), b"s");
}

#[test]
fn a_change_elsewhere_costs_a_move_and_the_cell() {
    let mut terminal = Terminal::new();
    let pane = busy_screen(23, 80, 0);
    terminal.draw(&compose(
        &one_pane(pane.clone()),
        80,
        24,
        &StatusExtras::default(),
    ));
    let mut changed = pane;
    let mut row = Row::builder(80);
    row.push("X", false, CellStyle::default());
    changed.set_row(10, row.finish(false)).unwrap();
    let bytes = terminal.draw(&compose(
        &one_pane(changed),
        80,
        24,
        &StatusExtras::default(),
    ));
    // A move to row 11, the X, an erase of the rest of the line, and the cursor back.
    assert!(bytes.len() < 24, "{:?}", String::from_utf8_lossy(&bytes));
    assert!(bytes.windows(3).any(|w| w == b"\x1b[K"));
}

#[test]
fn sgr_for_newer_attributes() {
    let plain = CellStyle::default();
    let curly_struck = CellStyle {
        underline: true,
        underline_style: UnderlineStyle::Curly,
        underline_color: Color::Rgb(1, 2, 3),
        strikethrough: true,
        ..plain
    };
    assert_eq!(
        style_params(&plain, &curly_struck),
        ["4:3", "9", "58:2::1:2:3"]
    );
    assert_eq!(style_params(&curly_struck, &plain), ["24", "29", "59"]);
    let double = CellStyle {
        underline_style: UnderlineStyle::Double,
        underline_color: Color::Indexed(5),
        ..curly_struck
    };
    assert_eq!(style_params(&curly_struck, &double), ["4:2", "58:5:5"]);
    // A shape without the underline draws nothing.
    let shape_only = CellStyle {
        underline_style: UnderlineStyle::Dashed,
        ..plain
    };
    assert!(style_params(&plain, &shape_only).is_empty());
    let overlined = CellStyle {
        overline: true,
        ..plain
    };
    assert_eq!(style_params(&plain, &overlined), ["53"]);
    assert_eq!(style_params(&overlined, &plain), ["55"]);
    assert_eq!(
        style_params(&overlined, &curly_struck),
        ["4:3", "9", "55", "58:2::1:2:3"]
    );
    // Drawn: on before the overlined cells, off (a reset, the shorter) after them.
    let mut pane = PaneScreen::new(1, 4).unwrap();
    let mut row = Row::builder(4);
    row.push("a", false, overlined).push("b", false, plain);
    pane.set_row(0, row.finish(false)).unwrap();
    let frame = compose(&one_pane(pane), 4, 2, &StatusExtras::default());
    let drawn = String::from_utf8_lossy(&Terminal::new().draw(&frame)).into_owned();
    assert!(drawn.contains("\x1b[53ma\x1b[mb"), "{drawn:?}");
}

/// A hyperlink opens before its cells and closes after them; a row that gains or loses
/// one is drawn again, though its text is the same.
#[test]
fn hyperlinks_open_and_close_around_their_cells() {
    let row = |link: Option<&str>| {
        let mut row = Row::builder(6);
        row.push("a", false, CellStyle::default()).link(link);
        row.push("b", false, CellStyle::default())
            .push("c", false, CellStyle::default());
        row.link(None).push("d", false, CellStyle::default());
        row.finish(false)
    };
    let pane = |link| {
        let mut pane = PaneScreen::new(2, 6).unwrap();
        pane.set_row(0, row(link)).unwrap();
        pane
    };
    let mut terminal = Terminal::new();
    let linked = compose(
        &one_pane(pane(Some("http://x/"))),
        6,
        3,
        &StatusExtras::default(),
    );
    let drawn = String::from_utf8_lossy(&terminal.draw(&linked)).into_owned();
    assert!(
        drawn.contains("a\x1b]8;;http://x/\x1b\\bc\x1b]8;;\x1b\\d"),
        "{drawn:?}"
    );
    let plain = compose(&one_pane(pane(None)), 6, 3, &StatusExtras::default());
    let drawn = String::from_utf8_lossy(&terminal.draw(&plain)).into_owned();
    assert!(drawn.contains("bc") && !drawn.contains("]8;"), "{drawn:?}");
    let drawn = String::from_utf8_lossy(&terminal.draw(&linked)).into_owned();
    assert!(
        drawn.contains("\x1b]8;;http://x/\x1b\\bc\x1b]8;;\x1b\\"),
        "{drawn:?}"
    );
}

#[test]
fn colours_attributes_and_modes_reach_the_terminal() {
    let styles = [
        CellStyle {
            fg: Color::Rgb(1, 2, 3),
            bg: Color::Indexed(200),
            italic: true,
            ..CellStyle::default()
        },
        CellStyle {
            fg: Color::Indexed(9),
            bg: Color::Indexed(3),
            // vt100 keeps one intensity: bold or dim, not both.
            bold: true,
            underline: true,
            inverse: true,
            ..CellStyle::default()
        },
        CellStyle {
            dim: true,
            ..CellStyle::default()
        },
    ];
    let mut pane = PaneScreen::new(2, 6).unwrap();
    let mut row = Row::builder(6);
    for (c, style) in ["a", "b", "c", "d"].iter().zip(styles.iter().cycle()) {
        row.push(c, false, *style);
    }
    pane.set_row(0, row.finish(false)).unwrap();
    pane.modes.application_cursor = true;
    pane.modes.bracketed_paste = true;
    pane.modes.application_keypad = true;
    pane.modes.mouse = moshmux_proto::screen::MouseMode::ButtonMotion;
    pane.modes.mouse_encoding = moshmux_proto::screen::MouseEncoding::Sgr;
    pane.modes.focus_events = true;
    let mut terminal = Terminal::new();
    let drawn = terminal.draw(&compose(
        &one_pane(pane.clone()),
        6,
        3,
        &StatusExtras::default(),
    ));
    // The model has no focus reporting: the bytes tell.
    assert!(drawn.windows(8).any(|w| w == b"\x1b[?1004h"));
    let screen = terminal.parser.screen();
    assert_eq!(
        screen.mouse_protocol_mode(),
        vt100::MouseProtocolMode::ButtonMotion
    );
    assert_eq!(
        screen.mouse_protocol_encoding(),
        vt100::MouseProtocolEncoding::Sgr
    );
    let mut out = Vec::new();
    terminal.renderer.finish(&mut out);
    terminal.parser.process(&out);
    assert!(out.windows(8).any(|w| w == b"\x1b[?1004l"));
    let screen = terminal.parser.screen();
    assert!(!screen.application_cursor() && !screen.bracketed_paste());
    assert!(!screen.application_keypad() && !screen.hide_cursor());
    assert_eq!(screen.mouse_protocol_mode(), vt100::MouseProtocolMode::None);
    assert_eq!(screen.cursor_position(), (2, 0));
    // The frame stays, scrolled up by one to make room for the shell's next line.
    assert_eq!(screen.cell(1, 0).map(|c| c.contents()), Some("["));
}

#[test]
fn figures() {
    let mut terminal = Terminal::new();
    let extras = StatusExtras::default();
    let first = terminal.draw(&compose(&one_pane(busy_screen(23, 80, 0)), 80, 24, &extras));
    let scrolled = terminal.draw(&compose(&one_pane(busy_screen(23, 80, 1)), 80, 24, &extras));
    println!(
        "bytes: first full 80x24 draw {}, a 1-line scroll {}",
        first.len(),
        scrolled.len()
    );
    assert!(first.len() < 80 * 24 * 2);
    // The scroll moves 22 rows with a scrolling region and draws one new row.
    assert!(
        scrolled.len() < 100,
        "{:?}",
        String::from_utf8_lossy(&scrolled)
    );
}

/// Cuts `area` as the server does: each split halves one rectangle (chosen by index)
/// with a one-cell border, if it is big enough.
fn tile(area: Rect, splits: &[(bool, usize)]) -> Vec<Rect> {
    let mut rects = vec![area];
    for &(side_by_side, pick) in splits {
        let index = pick % rects.len();
        let r = rects[index];
        let halves = if side_by_side && r.cols >= 3 {
            let left = (r.cols - 1) / 2;
            [
                rect(r.x, r.y, left, r.rows),
                rect(r.x + left + 1, r.y, r.cols - left - 1, r.rows),
            ]
        } else if !side_by_side && r.rows >= 3 {
            let top = (r.rows - 1) / 2;
            [
                rect(r.x, r.y, r.cols, top),
                rect(r.x, r.y + top + 1, r.cols, r.rows - top - 1),
            ]
        } else {
            continue;
        };
        rects.splice(index..=index, halves);
    }
    rects
}

const CELLS: [(&str, bool); 12] = [
    (" ", false),
    (" ", false),
    ("a", false),
    ("b", false),
    ("é", false),
    ("e\u{301}", false),
    ("中", true),
    ("😀", true),
    ("\u{301}", false),
    ("中", false),
    ("─", false),
    ("x", true),
];

fn styles() -> [CellStyle; 5] {
    [
        CellStyle::default(),
        CellStyle::default(),
        CellStyle {
            fg: Color::Indexed(1),
            bold: true,
            ..CellStyle::default()
        },
        CellStyle {
            bg: Color::Rgb(10, 20, 30),
            underline: true,
            inverse: true,
            ..CellStyle::default()
        },
        CellStyle {
            fg: Color::Indexed(123),
            dim: true,
            italic: true,
            ..CellStyle::default()
        },
    ]
}

#[derive(Debug, Clone)]
struct Spec {
    size: Option<(u16, u16)>,
    splits: Vec<(bool, usize)>,
    pool: Vec<(usize, usize)>,
    active: usize,
    zoom: bool,
    cursor: (u16, u16, bool),
    modes: (bool, bool, bool),
    notice: Option<&'static str>,
    prompt: Option<&'static str>,
    /// Rows to scroll the panes' contents by in a second frame.
    scroll: usize,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::option::of((1u16..26, 1u16..9)),
        prop::collection::vec((any::<bool>(), 0usize..8), 0..5),
        prop::collection::vec((0..CELLS.len(), 0usize..5), 1..200),
        (0usize..8, any::<bool>()),
        (0u16..30, 0u16..10, any::<bool>()),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        prop::option::of(prop::sample::select(vec![
            "Last contact 12 s ago",
            "Nothing received from the server on UDP port 60001",
        ])),
        prop::option::of(prop::sample::select(vec![
            "(rename-window) ab中",
            "kill-pane? (y/n)",
        ])),
        0usize..4,
    )
        .prop_map(
            |(size, splits, pool, (active, zoom), cursor, modes, notice, prompt, scroll)| Spec {
                size,
                splits,
                pool,
                active,
                zoom,
                cursor,
                modes,
                notice,
                prompt,
                scroll,
            },
        )
}

/// The frame a spec describes, with each pane's contents scrolled up by `scroll` rows.
fn frame_of(spec: &Spec, (cols, rows): (u16, u16), scroll: usize) -> Frame {
    let area = rect(0, 0, cols, rows.saturating_sub(1));
    let rects = tile(area, &spec.splits);
    let active = spec.active % rects.len();
    let styles = styles();
    let mut pool = spec.pool.iter().cycle().skip(scroll * usize::from(cols));
    let mut panes = Vec::new();
    for (index, r) in rects.iter().enumerate() {
        let zoomed = spec.zoom && index == active;
        let r = if zoomed { area } else { *r };
        let mut pane = PaneScreen::new(r.rows, r.cols).unwrap();
        for line in 0..usize::from(r.rows) {
            let mut row = Row::builder(r.cols);
            for _ in 0..r.cols {
                let &(cell, style) = pool.next().unwrap();
                let (text, wide) = CELLS[cell];
                row.push(text, wide, styles[style]);
            }
            pane.set_row(line, row.finish(false)).unwrap();
        }
        pane.cursor = Point {
            row: spec.cursor.1,
            col: spec.cursor.0,
        };
        pane.cursor_visible = spec.cursor.2;
        (
            pane.modes.application_cursor,
            pane.modes.application_keypad,
            pane.modes.bracketed_paste,
        ) = spec.modes;
        panes.push((r, index == active, zoomed, pane));
    }
    let extras = StatusExtras {
        link_notice: spec.notice.map(str::to_owned),
        prompt: spec.prompt.map(str::to_owned),
        view: None,
        auto_hide: false,
    };
    compose(&host(panes), cols, rows, &extras)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Drawing any sequence of frames incrementally leaves the terminal showing the last.
    #[test]
    fn the_terminal_always_shows_the_last_frame(specs in prop::collection::vec(spec(), 1..6)) {
        let mut terminal = Terminal::new();
        let mut size = (20, 6);
        for spec in &specs {
            size = spec.size.unwrap_or(size);
            terminal.draw(&frame_of(spec, size, 0));
            if spec.scroll > 0 {
                terminal.draw(&frame_of(spec, size, spec.scroll));
            }
        }
    }
}

/// Every line of a vt100 terminal's scrollback, oldest first, trailing spaces removed.
fn scrollback(parser: &mut vt100::Parser) -> Vec<String> {
    parser.screen_mut().set_scrollback(usize::MAX);
    let total = parser.screen().scrollback();
    let mut lines = Vec::new();
    for offset in (1..=total).rev() {
        parser.screen_mut().set_scrollback(offset);
        let rows: Vec<String> = parser
            .screen()
            .rows(0, parser.screen().size().1.get())
            .collect();
        lines.push(rows[0].trim_end().to_owned());
    }
    parser.screen_mut().set_scrollback(0);
    lines
}

/// A 10-row frame whose pane shows lines `first..first + 9`, numbered.
fn numbered(first: usize) -> Frame {
    let text: Vec<String> = (first..first + 9).map(|n| format!("line {n}")).collect();
    let refs: Vec<&str> = text.iter().map(String::as_str).collect();
    let pane = screen(9, 30, &refs);
    compose(&one_pane(pane), 30, 10, &StatusExtras::default())
}

#[test]
fn only_the_scrollback_writes_reach_the_terminals_scrollback() {
    let mut renderer = Renderer::default();
    let mut parser = vt100::Parser::new(nonzero(10), nonzero(30), 1000);
    let draw = |renderer: &mut Renderer, parser: &mut vt100::Parser, frame: &Frame| {
        let mut out = Vec::new();
        renderer.render(frame, &mut out);
        parser.process(&out);
        check_screen(parser, frame).unwrap();
    };
    draw(&mut renderer, &mut parser, &numbered(0));
    // An ordinary scroll (as with split panes) moves rows without keeping any.
    draw(&mut renderer, &mut parser, &numbered(2));
    assert!(scrollback(&mut parser).is_empty());

    // Lines the screen shows go off its top as they are, and the repaint is a small diff.
    let mut out = Vec::new();
    renderer.scroll_into_scrollback(3, &mut out);
    renderer.render(&numbered(5), &mut out);
    parser.process(&out);
    check_screen(&parser, &numbered(5)).unwrap();
    assert_eq!(scrollback(&mut parser), ["line 2", "line 3", "line 4"]);
    assert!(out.len() < 120, "{:?}", String::from_utf8_lossy(&out));

    // Lines the screen never showed, more than it has rows, with colour: written above it.
    let red = CellStyle {
        fg: Color::Indexed(1),
        ..CellStyle::default()
    };
    let mut lines = Frame::blank(30, 12);
    lines.put_text(0, 0, 30, "[skipped]", CellStyle::default());
    for n in 1..12u16 {
        lines.put_text(n, 0, 30, &format!("old {n}"), red);
    }
    let mut out = Vec::new();
    renderer.push_to_scrollback(&lines, &mut out);
    renderer.render(&numbered(40), &mut out);
    parser.process(&out);
    check_screen(&parser, &numbered(40)).unwrap();
    let mut want = vec![
        "line 2".to_owned(),
        "line 3".into(),
        "line 4".into(),
        "[skipped]".into(),
    ];
    want.extend((1..12).map(|n| format!("old {n}")));
    assert_eq!(scrollback(&mut parser), want);
    parser.screen_mut().set_scrollback(11);
    assert_eq!(
        parser.screen().cell(0, 0).map(|cell| cell.fgcolor()),
        Some(vt100::Color::Idx(1))
    );
    parser.screen_mut().set_scrollback(0);

    // Fewer lines than the screen has rows: the rest of the screen survives the move.
    let mut few = Frame::blank(30, 2);
    few.put_text(0, 0, 30, "new 1", CellStyle::default());
    few.put_text(1, 0, 30, "new 2", CellStyle::default());
    let mut out = Vec::new();
    renderer.push_to_scrollback(&few, &mut out);
    renderer.render(&numbered(41), &mut out);
    parser.process(&out);
    check_screen(&parser, &numbered(41)).unwrap();
    let lines = scrollback(&mut parser);
    assert_eq!(lines[lines.len() - 2..], ["new 1", "new 2"]);
}

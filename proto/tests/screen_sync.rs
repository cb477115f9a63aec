//! Host-state diffs: any edit of any state round-trips, scrolls are cheap, and no input,
//! however wrong, makes `apply` panic.

use moshmux_proto::options::{BellAction, ClientOptions, ModeKeys, PrefixKey, SetClipboard};
use std::collections::BTreeMap;
use std::sync::Arc;

use moshmux_proto::ids::numbered;
use moshmux_proto::screen::{
    CellStyle, ClientRequest, ClipboardCopy, Color, CommandReply, HistoryLines, Modes,
    MouseEncoding, MouseMode, PaneScreen, PaneView, Point, Rect, Row, SearchResult, SessionTree,
    StatusText, TreePane, TreeSession, TreeWindow, UnderlineStyle, WindowInfo, MAX_CLIENT_REQUESTS,
};
use moshmux_proto::{codec, HostState, Label, LineNumber, PaneId, SyncState};
use proptest::prelude::*;
use proptest::sample::Index;

/// One cell as a test writes it: text, wide, style.
type CellSpec = (String, bool, CellStyle, Option<&'static str>);

fn color() -> impl Strategy<Value = Color> {
    prop_oneof![
        2 => Just(Color::Default),
        1 => any::<u8>().prop_map(Color::Indexed),
        1 => any::<(u8, u8, u8)>().prop_map(|(r, g, b)| Color::Rgb(r, g, b)),
    ]
}

fn style() -> impl Strategy<Value = CellStyle> {
    let underline_style = prop_oneof![
        Just(UnderlineStyle::Single),
        Just(UnderlineStyle::Double),
        Just(UnderlineStyle::Curly),
        Just(UnderlineStyle::Dotted),
        Just(UnderlineStyle::Dashed),
    ];
    let any_style = (
        color(),
        color(),
        color(),
        any::<[bool; 8]>(),
        underline_style,
    )
        .prop_map(|(fg, bg, underline_color, flags, underline_style)| {
            let [bold, dim, italic, underline, inverse, strikethrough, overline, blink] = flags;
            CellStyle {
                fg,
                bg,
                bold,
                dim,
                italic,
                underline,
                inverse,
                strikethrough,
                underline_style,
                underline_color,
                overline,
                blink,
            }
        });
    prop_oneof![3 => Just(CellStyle::default()), 1 => any_style]
}

fn cell() -> impl Strategy<Value = CellSpec> {
    let text = prop_oneof![
        6 => "[a-z ]".boxed(),
        1 => Just("中".to_owned()).boxed(),
        1 => Just("e\u{301}".to_owned()).boxed(),
        1 => Just(String::new()).boxed(),
        1 => Just("\x1b".to_owned()).boxed(),
        1 => "\\PC{0,3}".boxed(),
    ];
    // Hyperlinks: none mostly, two targets, and one that is no valid target.
    let link = prop::sample::select(vec![
        None,
        None,
        None,
        Some("http://a/"),
        Some("b"),
        Some("\x07"),
    ]);
    (text, prop::bool::weighted(0.1), style(), link)
}

fn row_spec() -> impl Strategy<Value = (Vec<CellSpec>, bool)> {
    (prop::collection::vec(cell(), 0..14), any::<bool>())
}

fn build_row(cols: u16, (cells, wrapped): &(Vec<CellSpec>, bool)) -> Row {
    let mut builder = Row::builder(cols);
    for (text, wide, style, link) in cells {
        builder.link(*link).push(text, *wide, *style);
    }
    builder.finish(*wrapped)
}

fn modes() -> impl Strategy<Value = Modes> {
    let mouse = prop::sample::select(vec![
        MouseMode::None,
        MouseMode::Press,
        MouseMode::PressRelease,
        MouseMode::ButtonMotion,
        MouseMode::AnyMotion,
    ]);
    let encoding = prop::sample::select(vec![
        MouseEncoding::Default,
        MouseEncoding::Utf8,
        MouseEncoding::Sgr,
    ]);
    (any::<[bool; 5]>(), mouse, encoding).prop_map(|(flags, mouse, mouse_encoding)| {
        let [application_cursor, application_keypad, bracketed_paste, alternate_screen, focus_events] =
            flags;
        Modes {
            application_cursor,
            application_keypad,
            bracketed_paste,
            mouse,
            mouse_encoding,
            alternate_screen,
            focus_events,
        }
    })
}

fn screen() -> impl Strategy<Value = PaneScreen> {
    (0u16..9, 0u16..13).prop_flat_map(|(rows, cols)| {
        (
            prop::collection::vec(row_spec(), usize::from(rows)),
            any::<(u16, u16, bool)>(),
            ".{0,8}",
            modes(),
            any::<u64>(),
        )
            .prop_map(move |(specs, cursor, title, modes, history_len)| {
                let mut screen = PaneScreen::new(rows, cols).unwrap();
                for (index, spec) in specs.iter().enumerate() {
                    screen.set_row(index, build_row(cols, spec)).unwrap();
                }
                screen.cursor = Point {
                    row: cursor.0 % (rows + 1),
                    col: cursor.1 % (cols + 1),
                };
                screen.cursor_visible = cursor.2;
                screen.title = Label::new(&title);
                screen.modes = modes;
                screen.history_len = history_len;
                screen
            })
    })
}

fn windows() -> impl Strategy<Value = Vec<WindowInfo>> {
    let window = (0u32..5, 0u32..10, "[a-z]{0,6}", any::<bool>(), 0u64..4).prop_map(
        |(id, index, name, active, bell)| WindowInfo {
            id,
            index,
            name: Label::new(&name),
            active,
            bell,
        },
    );
    prop::collection::vec(window, 0..4)
}

fn pane_views() -> impl Strategy<Value = Vec<PaneView>> {
    let view = (
        (0u32..6).prop_map(PaneId),
        any::<[u8; 4]>(),
        any::<(bool, bool)>(),
    )
        .prop_map(|(pane, [x, y, cols, rows], (active, zoomed))| PaneView {
            pane,
            rect: Rect {
                x: x.into(),
                y: y.into(),
                cols: cols.into(),
                rows: rows.into(),
            },
            active,
            zoomed,
        });
    prop::collection::vec(view, 0..4)
}

fn labels() -> impl Strategy<Value = Vec<Label>> {
    prop::collection::vec(".{0,10}".prop_map(|s| Label::new(&s)), 0..3)
}

/// History lines as the server holds them: runs of a few panes' lines, at any width.
fn history() -> impl Strategy<Value = HistoryLines> {
    let line = (0u16..20, row_spec()).prop_map(|(cols, spec)| Arc::new(build_row(cols, &spec)));
    prop::collection::btree_map(
        ((0u32..3).prop_map(PaneId), (0u64..40).prop_map(LineNumber)),
        line,
        0..30,
    )
}

fn search_result() -> impl Strategy<Value = Option<SearchResult>> {
    prop::option::of(
        (
            any::<u32>(),
            prop::option::of(any::<u64>().prop_map(LineNumber)),
        )
            .prop_map(|(id, line)| SearchResult { id, line }),
    )
}

/// A program's OSC 52 copy: a few numbers, short or empty data.
fn clipboard() -> impl Strategy<Value = Option<Arc<ClipboardCopy>>> {
    let copy = (
        0u64..4,
        "[cps]{0,2}",
        prop::collection::vec(any::<u8>(), 0..6),
    )
        .prop_filter_map("a valid copy", |(number, selections, data)| {
            ClipboardCopy::new(number, &selections, data).map(Arc::new)
        });
    prop::option::of(copy)
}

fn host_state() -> impl Strategy<Value = HostState> {
    (
        (".{0,6}", windows(), pane_views()),
        prop::collection::btree_map((0u32..6).prop_map(PaneId), screen(), 0..4),
        labels(),
        history(),
        (
            search_result(),
            clipboard(),
            reply(),
            requests(),
            any::<bool>(),
            client_options(),
            status(),
            tree(),
        ),
    )
        .prop_map(
            |(
                (session, windows, panes),
                screens,
                notices,
                history,
                (search, clipboard, reply, requests, detached, options, status, tree),
            )| {
                HostState {
                    session: Label::new(&session),
                    windows,
                    panes,
                    screens,
                    notices,
                    history,
                    search,
                    clipboard,
                    reply,
                    requests,
                    detached,
                    options,
                    status,
                    tree,
                }
            },
        )
}

/// A status line's text: a few short labels.
fn status() -> impl Strategy<Value = StatusText> {
    (".{0,4}", ".{0,4}", prop::collection::vec(".{0,3}", 0..3)).prop_map(
        |(left, right, windows)| StatusText {
            left: Label::new(&left),
            right: Label::new(&right),
            windows: windows.iter().map(|w| Label::new(w)).collect(),
            separator: Label::new(" "),
        },
    )
}

/// Options set at run time: each one set or not.
fn client_options() -> impl Strategy<Value = ClientOptions> {
    (
        prop::option::of((0u8..0x20).prop_filter_map("a prefix", PrefixKey::from_byte)),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(prop_oneof![Just(BellAction::Any), Just(BellAction::Other)]),
        prop::option::of(prop_oneof![Just(SetClipboard::On), Just(SetClipboard::Off)]),
        prop::option::of(prop_oneof![Just(ModeKeys::Vi), Just(ModeKeys::Emacs)]),
    )
        .prop_map(
            |(prefix, status, mouse, bell_action, set_clipboard, mode_keys)| ClientOptions {
                prefix,
                status,
                mouse,
                set_titles: status,
                bell_action,
                set_clipboard,
                mode_keys,
            },
        )
}

fn requests() -> impl Strategy<Value = Vec<ClientRequest>> {
    prop::collection::vec(
        (any::<u32>(), ".{0,12}").prop_map(|(serial, line)| ClientRequest {
            serial,
            line: Label::new(line.as_str()),
        }),
        0..=MAX_CLIENT_REQUESTS,
    )
}

/// A chooser's tree, or none: a session or two, their windows and panes.
fn tree() -> impl Strategy<Value = Option<Arc<SessionTree>>> {
    let pane = (1u32..9, any::<bool>(), "[a-z]{0,3}").prop_map(|(id, active, text)| TreePane {
        pane: PaneId(id),
        active,
        text: Label::new(&text),
    });
    let window = (0u32..9, any::<bool>(), prop::collection::vec(pane, 1..3)).prop_map(
        |(index, active, panes)| TreeWindow {
            index,
            active,
            text: Label::new("sh*"),
            panes,
        },
    );
    let session = (
        "[a-z]{1,3}",
        any::<bool>(),
        prop::collection::vec(window, 1..3),
    )
        .prop_map(|(name, current, windows)| TreeSession {
            name: Label::new(&name),
            current,
            text: Label::new("1 windows"),
            windows,
        });
    let tree = prop::collection::vec(session, 1..3).prop_map(|sessions| SessionTree {
        sessions,
        filter: None,
    });
    prop::option::of(tree.prop_map(Arc::new))
}

fn reply() -> impl Strategy<Value = Option<CommandReply>> {
    prop::option::of(
        (any::<u32>(), ".{0,12}", any::<bool>())
            .prop_map(|(serial, text, error)| CommandReply::new(serial, &text, error)),
    )
}

/// A change to a host state; `Index` picks one of the state's pane screens.
#[derive(Debug, Clone)]
enum Edit {
    SetRow(Index, Index, (Vec<CellSpec>, bool)),
    Scroll {
        pane: Index,
        by: usize,
        up: bool,
        fill: Vec<(Vec<CellSpec>, bool)>,
    },
    Replace(PaneId, PaneScreen),
    Remove(Index),
    Cursor(Index, Point, bool),
    Title(Index, String),
    Modes(Index, Modes),
    HistoryLen(Index, u64, u64),
    /// The view moved: lines of `pane` from `first` are added, and those before `keep`
    /// dropped.
    HistoryPage {
        pane: PaneId,
        first: u64,
        lines: Vec<(u16, (Vec<CellSpec>, bool))>,
        keep: u64,
    },
    Search(Option<SearchResult>),
    Clipboard(Option<Arc<ClipboardCopy>>),
    Windows(Vec<WindowInfo>),
    Panes(Vec<PaneView>),
    Notices(Vec<Label>),
    Session(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let pane = any::<Index>;
    prop_oneof![
        6 => (pane(), pane(), row_spec()).prop_map(|(p, r, spec)| Edit::SetRow(p, r, spec)),
        4 => (pane(), 1usize..10, any::<bool>(), prop::collection::vec(row_spec(), 0..4))
            .prop_map(|(pane, by, up, fill)| Edit::Scroll { pane, by, up, fill }),
        1 => ((0u32..6).prop_map(PaneId), screen()).prop_map(|(id, screen)| Edit::Replace(id, screen)),
        1 => pane().prop_map(Edit::Remove),
        1 => (pane(), any::<(u16, u16)>(), any::<bool>())
            .prop_map(|(p, (row, col), visible)| Edit::Cursor(p, Point { row: row % 9, col: col % 13 }, visible)),
        1 => (pane(), ".{0,8}").prop_map(|(p, title)| Edit::Title(p, title)),
        1 => (pane(), modes()).prop_map(|(p, modes)| Edit::Modes(p, modes)),
        1 => (pane(), any::<(u64, u64)>()).prop_map(|(p, (len, start))| Edit::HistoryLen(p, len, start)),
        3 => ((0u32..3).prop_map(PaneId), 0u64..50, prop::collection::vec((0u16..20, row_spec()), 0..12), 0u64..50)
            .prop_map(|(pane, first, lines, keep)| Edit::HistoryPage { pane, first, lines, keep }),
        1 => search_result().prop_map(Edit::Search),
        1 => clipboard().prop_map(Edit::Clipboard),
        1 => windows().prop_map(Edit::Windows),
        1 => pane_views().prop_map(Edit::Panes),
        1 => labels().prop_map(Edit::Notices),
        1 => ".{0,6}".prop_map(Edit::Session),
    ]
}

fn pick<'a>(
    screens: &'a mut BTreeMap<PaneId, PaneScreen>,
    pane: &Index,
) -> Option<&'a mut PaneScreen> {
    if screens.is_empty() {
        return None;
    }
    let n = pane.index(screens.len());
    screens.values_mut().nth(n)
}

/// Moves the screen's rows by `by` (up or down), filling vacated rows from `fill`, then
/// blank, as a terminal's scroll would.
fn scroll(screen: &mut PaneScreen, by: usize, up: bool, fill: &[(Vec<CellSpec>, bool)]) {
    let old: Vec<Arc<Row>> = screen.rows().to_vec();
    let n = old.len();
    let by = by.min(n);
    let cols = screen.cols();
    let mut fill = fill.iter().map(|spec| build_row(cols, spec));
    for i in 0..n {
        let source = if up { i + by } else { i.wrapping_sub(by) };
        let row = match old.get(source) {
            Some(row) => row.clone(),
            None => Arc::new(fill.next().unwrap_or_else(|| Row::blank(cols))),
        };
        screen.set_row(i, row).unwrap();
    }
}

fn apply_edit(state: &mut HostState, edit: &Edit) {
    match edit {
        Edit::SetRow(pane, row, spec) => {
            if let Some(screen) = pick(&mut state.screens, pane) {
                if !screen.rows().is_empty() {
                    let index = row.index(screen.rows().len());
                    let row = build_row(screen.cols(), spec);
                    screen.set_row(index, row).unwrap();
                }
            }
        }
        Edit::Scroll { pane, by, up, fill } => {
            if let Some(screen) = pick(&mut state.screens, pane) {
                scroll(screen, *by, *up, fill);
            }
        }
        Edit::Replace(id, screen) => {
            state.screens.insert(*id, screen.clone());
        }
        Edit::Remove(pane) => {
            if let Some(&id) = state
                .screens
                .keys()
                .nth(pane.index(state.screens.len().max(1)))
            {
                state.screens.remove(&id);
            }
        }
        Edit::Cursor(pane, cursor, visible) => {
            if let Some(screen) = pick(&mut state.screens, pane) {
                screen.cursor = *cursor;
                screen.cursor_visible = *visible;
            }
        }
        Edit::Title(pane, title) => {
            if let Some(screen) = pick(&mut state.screens, pane) {
                screen.title = Label::new(title);
            }
        }
        Edit::Modes(pane, modes) => {
            if let Some(screen) = pick(&mut state.screens, pane) {
                screen.modes = *modes;
            }
        }
        Edit::HistoryLen(pane, len, start) => {
            if let Some(screen) = pick(&mut state.screens, pane) {
                screen.history_len = *len;
                screen.history_start = LineNumber(*start);
            }
        }
        Edit::HistoryPage {
            pane,
            first,
            lines,
            keep,
        } => {
            state
                .history
                .retain(|&(p, line), _| p != *pane || line >= LineNumber(*keep));
            for (line, (cols, spec)) in numbered(LineNumber(*first), lines) {
                state
                    .history
                    .insert((*pane, line), Arc::new(build_row(*cols, spec)));
            }
        }
        Edit::Search(result) => state.search = *result,
        Edit::Clipboard(copy) => state.clipboard = copy.clone(),
        Edit::Windows(windows) => state.windows = windows.clone(),
        Edit::Panes(panes) => state.panes = panes.clone(),
        Edit::Notices(notices) => state.notices = notices.clone(),
        Edit::Session(session) => state.session = Label::new(session),
    }
}

fn edited(old: &HostState, edits: &[Edit]) -> HostState {
    let mut new = old.clone();
    for edit in edits {
        apply_edit(&mut new, edit);
    }
    new
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// A diff applied to its base gives the target, for any state and any edits; the diff
    /// is empty exactly when nothing changed.
    #[test]
    fn diffs_round_trip(old in host_state(), edits in prop::collection::vec(edit(), 0..6)) {
        let new = edited(&old, &edits);
        prop_assert!(new.check_limits().is_ok());
        let diff = new.diff_from(&old);
        prop_assert_eq!(diff.is_empty(), new == old);
        let mut applied = old.clone();
        applied.apply(&diff).unwrap();
        prop_assert_eq!(applied, new);
    }

    /// A diff applied to a state it was not made for is refused or applied, never a panic;
    /// so are random bytes and corrupted diffs.
    #[test]
    fn wrong_bases_and_garbage_never_panic(
        old in host_state(),
        other in host_state(),
        edits in prop::collection::vec(edit(), 1..4),
        garbage: Vec<u8>,
        flips in prop::collection::vec((any::<Index>(), any::<u8>()), 1..4),
    ) {
        let new = edited(&old, &edits);
        let diff = new.diff_from(&old);
        let _ = other.clone().apply(&diff);
        let _ = other.clone().apply(&garbage);
        let mut corrupted = diff.clone();
        if !corrupted.is_empty() {
            for (at, byte) in flips {
                let at = at.index(corrupted.len());
                corrupted[at] ^= byte | 1;
            }
            let mut target = old.clone();
            if target.apply(&corrupted).is_err() {
                prop_assert_eq!(target, old, "a refused diff changed the state");
            }
        }
    }
}

/// A screen of distinct, hard-to-compress lines: line `n` is the same wherever it shows.
fn text_screen(rows: u16, cols: u16, first_line: usize) -> PaneScreen {
    let mut screen = PaneScreen::new(rows, cols).unwrap();
    for index in 0..usize::from(rows) {
        let mut seed = ((first_line + index) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut builder = Row::builder(cols);
        for _ in 0..cols - 8 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let letter = char::from(b'a' + (seed >> 59) as u8 % 26);
            builder.push(&letter.to_string(), false, CellStyle::default());
        }
        screen.set_row(index, builder.finish(false)).unwrap();
    }
    screen
}

fn with_screen(screen: PaneScreen) -> HostState {
    HostState {
        screens: BTreeMap::from([(PaneId(0), screen)]),
        ..HostState::default()
    }
}

/// Scrolling by k sends "scroll by k" and k new rows, a fraction of a redraw, in either
/// direction.
#[test]
fn a_scroll_costs_a_fraction_of_a_redraw() {
    let old = with_screen(text_screen(24, 80, 100));
    let redraw = old.diff_from(&HostState::default());
    let redraw_packed = codec::compress(&redraw).len();
    for k in [1usize, 3, 10] {
        let scrolled_up = with_screen(text_screen(24, 80, 100 + k));
        let scrolled_down = with_screen(text_screen(24, 80, 100 - k));
        for new in [scrolled_up, scrolled_down] {
            let diff = new.diff_from(&old);
            let packed = codec::compress(&diff).len();
            for (size, full) in [(diff.len(), redraw.len()), (packed, redraw_packed)] {
                assert!(
                    size * 24 < full * (k + 2),
                    "scroll by {k}: {size} bytes, redraw {full} bytes"
                );
            }
            let mut applied = old.clone();
            applied.apply(&diff).unwrap();
            assert_eq!(applied, new);
        }
    }
}

/// Lines the base holds are never sent again: moving the view by one line costs one line
/// and a range to drop, not a page.
#[test]
fn history_lines_the_base_holds_are_not_resent() {
    let line = |n: u64| {
        let mut builder = Row::builder(8);
        for c in format!("{n:08}").chars() {
            builder.push(&c.to_string(), false, CellStyle::default());
        }
        Arc::new(builder.finish(false))
    };
    let page = |first: u64| HostState {
        history: (first..first + 100)
            .map(|n| ((PaneId(1), LineNumber(n)), line(n)))
            .collect(),
        ..HostState::default()
    };
    let old = page(1000);
    let whole = old.diff_from(&HostState::default());
    let new = page(1001);
    let moved = new.diff_from(&old);
    assert!(
        moved.len() * 40 < whole.len(),
        "moved by one line: {} bytes, whole page {} bytes",
        moved.len(),
        whole.len()
    );
    let mut applied = old.clone();
    applied.apply(&moved).unwrap();
    assert_eq!(applied, new);
    assert!(new.diff_from(&new.clone()).is_empty());
}

/// A screen resized in place is sent whole and replaces the old one; a pane that
/// disappears loses its screen on the other side too.
#[test]
fn resized_and_removed_screens_follow() {
    let old = HostState {
        screens: BTreeMap::from([
            (PaneId(1), text_screen(24, 80, 0)),
            (PaneId(2), text_screen(5, 10, 0)),
        ]),
        ..HostState::default()
    };
    let new = HostState {
        screens: BTreeMap::from([(PaneId(1), text_screen(30, 100, 0))]),
        ..HostState::default()
    };
    let mut applied = old.clone();
    applied.apply(&new.diff_from(&old)).unwrap();
    assert_eq!(applied, new);
    assert_eq!(applied.screens[&PaneId(1)].rows().len(), 30);
}

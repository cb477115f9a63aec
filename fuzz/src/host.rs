//! Host states from fuzzer input: a base state, and edits that turn it into a related
//! one (scrolls, changed rows, new and removed panes, history moving), which is what the
//! server really sends and what exercises the diff's scroll detection and row reuse.

use std::sync::Arc;

use arbitrary::Arbitrary;
use moshmux_proto::label::Label;
use moshmux_proto::screen::{
    CellStyle, ClipboardCopy, Color, Modes, MouseEncoding, MouseMode, PaneScreen, PaneView, Point,
    Rect, Row, SearchResult, UnderlineStyle, WindowInfo,
};
use moshmux_proto::{HostState, LineNumber, PaneId};

/// Small dimensions keep executions fast; the limits themselves are the unit tests' job.
const MAX_FUZZ_ROWS: u8 = 40;
const MAX_FUZZ_COLS: u8 = 100;

#[derive(Arbitrary, Debug, Clone)]
pub struct HostInput {
    session: String,
    windows: Vec<(u32, u32, String, bool)>,
    panes: Vec<(u8, RectInput, bool, bool)>,
    screens: Vec<ScreenInput>,
    notices: Vec<String>,
    history: Vec<(u8, u64, RowInput)>,
    search: Option<(u32, Option<u64>)>,
    /// A program's OSC 52 copy: number, selection letters, data (out of bounds: none).
    clipboard: Option<(u64, String, Vec<u8>)>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct RectInput {
    x: u16,
    y: u16,
    cols: u16,
    rows: u16,
}

#[derive(Arbitrary, Debug, Clone)]
pub struct ScreenInput {
    pane: u8,
    rows: u8,
    cols: u8,
    lines: Vec<(u8, RowInput)>,
    cursor: (u16, u16),
    cursor_visible: bool,
    title: String,
    modes: ModesInput,
    history_len: u64,
    history_start: u64,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct ModesInput {
    application_cursor: bool,
    application_keypad: bool,
    bracketed_paste: bool,
    mouse: u8,
    mouse_encoding: u8,
    alternate_screen: bool,
    focus_events: bool,
}

#[derive(Arbitrary, Debug, Clone)]
pub struct RowInput {
    cells: Vec<(CellText, bool, u8)>,
    wrapped: bool,
}

/// Cell contents a terminal can produce, and some it should not (control characters,
/// over-long clusters) that the row builder must clean.
#[derive(Arbitrary, Debug, Clone)]
enum CellText {
    Ascii(u8),
    Empty,
    Combining(u8),
    Wide(u8),
    Control(u8),
    Any(String),
}

/// A change that turns one host state into the next.
#[derive(Arbitrary, Debug, Clone)]
pub enum Edit {
    Scroll {
        pane: u8,
        up: bool,
        by: u8,
    },
    SetRow {
        pane: u8,
        row: u8,
        contents: RowInput,
    },
    Cursor {
        pane: u8,
        row: u16,
        col: u16,
        visible: bool,
    },
    Title {
        pane: u8,
        title: String,
    },
    HistoryLength {
        pane: u8,
        len: u64,
        start: u64,
    },
    AddScreen(ScreenInput),
    RemoveScreen(u8),
    AddHistory {
        pane: u8,
        line: u64,
        contents: RowInput,
    },
    DropHistory {
        pane: u8,
        first: u64,
        count: u8,
    },
    Windows(Vec<(u32, u32, String, bool)>),
    Panes(Vec<(u8, RectInput, bool, bool)>),
    Notices(Vec<String>),
    Session(String),
    Search(Option<(u32, Option<u64>)>),
    Clipboard(Option<(u64, String, Vec<u8>)>),
}

fn style(index: u8) -> CellStyle {
    let color = |bits: u8| match bits % 4 {
        0 => Color::Default,
        1 => Color::Indexed(bits),
        2 => Color::Rgb(bits, 0, 255 - bits),
        _ => Color::Indexed(bits / 4),
    };
    CellStyle {
        fg: color(index),
        bg: color(index >> 2),
        bold: index & 0x10 != 0,
        dim: index & 0x20 != 0,
        italic: index & 0x40 != 0,
        underline: index & 0x80 != 0,
        inverse: index & 0x11 == 0x11,
        strikethrough: index & 0x22 == 0x22,
        underline_style: match index % 5 {
            0 => UnderlineStyle::Single,
            1 => UnderlineStyle::Double,
            2 => UnderlineStyle::Curly,
            3 => UnderlineStyle::Dotted,
            _ => UnderlineStyle::Dashed,
        },
        underline_color: color(index >> 4),
        overline: index & 0x44 == 0x44,
        blink: index & 0x88 == 0x88,
    }
}

pub fn row(input: &RowInput, cols: u16) -> Row {
    let mut builder = Row::builder(cols);
    for (text, wide, style_index) in &input.cells {
        let owned;
        let text: &str = match text {
            CellText::Ascii(byte) => {
                owned = char::from(b' ' + byte % 95).to_string();
                &owned
            }
            CellText::Empty => "",
            CellText::Combining(marks) => {
                owned = std::iter::once('e')
                    .chain(std::iter::repeat_n('\u{301}', usize::from(marks % 12)))
                    .collect::<String>();
                &owned
            }
            CellText::Wide(which) => ["漢", "字", "😀", "ｱ"][usize::from(which % 4)],
            CellText::Control(byte) => {
                owned = char::from(byte % 32).to_string();
                &owned
            }
            CellText::Any(text) => text,
        };
        // Hyperlinks from the style's number: none mostly, two targets, one invalid.
        let link = ["http://a/", "b", "\x07"].get(usize::from(style_index % 8));
        builder
            .link(link.copied())
            .push(text, *wide, style(*style_index));
    }
    builder.finish(input.wrapped)
}

fn screen(input: &ScreenInput) -> PaneScreen {
    let rows = input.rows % (MAX_FUZZ_ROWS + 1);
    let cols = u16::from(input.cols % (MAX_FUZZ_COLS + 1));
    let mut screen = PaneScreen::new(u16::from(rows), cols).expect("small screens are valid");
    for (index, contents) in &input.lines {
        if rows > 0 {
            let index = usize::from(index % rows);
            screen
                .set_row(index, row(contents, cols))
                .expect("built rows have the screen's width");
        }
    }
    screen.cursor = Point {
        row: input.cursor.0,
        col: input.cursor.1,
    };
    screen.cursor_visible = input.cursor_visible;
    screen.title = Label::new(&input.title);
    let modes = input.modes;
    screen.modes = Modes {
        application_cursor: modes.application_cursor,
        application_keypad: modes.application_keypad,
        bracketed_paste: modes.bracketed_paste,
        mouse: [
            MouseMode::None,
            MouseMode::Press,
            MouseMode::PressRelease,
            MouseMode::ButtonMotion,
            MouseMode::AnyMotion,
        ][usize::from(modes.mouse % 5)],
        mouse_encoding: [
            MouseEncoding::Default,
            MouseEncoding::Utf8,
            MouseEncoding::Sgr,
        ][usize::from(modes.mouse_encoding % 3)],
        alternate_screen: modes.alternate_screen,
        focus_events: modes.focus_events,
    };
    screen.history_len = input.history_len;
    screen.history_start = LineNumber(input.history_start);
    screen
}

fn clipboard(input: &Option<(u64, String, Vec<u8>)>) -> Option<Arc<ClipboardCopy>> {
    let (number, selections, data) = input.as_ref()?;
    ClipboardCopy::new(*number, selections, data.clone()).map(Arc::new)
}

fn windows(input: &[(u32, u32, String, bool)]) -> Vec<WindowInfo> {
    input
        .iter()
        .map(|(id, index, name, active)| WindowInfo {
            id: *id,
            index: *index,
            name: Label::new(name),
            active: *active,
            bell: u64::from(*id % 3),
        })
        .collect()
}

fn panes(input: &[(u8, RectInput, bool, bool)]) -> Vec<PaneView> {
    input
        .iter()
        .map(|&(pane, rect, active, zoomed)| PaneView {
            pane: PaneId(u32::from(pane)),
            rect: Rect {
                x: rect.x,
                y: rect.y,
                cols: rect.cols,
                rows: rect.rows,
            },
            active,
            zoomed,
        })
        .collect()
}

fn labels(input: &[String]) -> Vec<Label> {
    input.iter().map(|text| Label::new(text)).collect()
}

fn search(input: Option<(u32, Option<u64>)>) -> Option<SearchResult> {
    input.map(|(id, line)| SearchResult {
        id,
        line: line.map(LineNumber),
    })
}

pub fn build(input: &HostInput) -> HostState {
    let mut state = HostState {
        session: Label::new(&input.session),
        windows: windows(&input.windows),
        panes: panes(&input.panes),
        notices: labels(&input.notices),
        search: search(input.search),
        clipboard: clipboard(&input.clipboard),
        ..HostState::default()
    };
    for screen_input in &input.screens {
        state
            .screens
            .insert(PaneId(u32::from(screen_input.pane)), screen(screen_input));
    }
    for (pane, line, contents) in &input.history {
        let cols = contents.cells.len().min(usize::from(MAX_FUZZ_COLS)) as u16;
        state.history.insert(
            (PaneId(u32::from(*pane)), LineNumber(*line)),
            Arc::new(row(contents, cols)),
        );
    }
    state
}

/// The screen an edit aims at: the `pane`-th one held, if any.
fn nth_screen(state: &mut HostState, pane: u8) -> Option<&mut PaneScreen> {
    let count = state.screens.len();
    if count == 0 {
        return None;
    }
    state.screens.values_mut().nth(usize::from(pane) % count)
}

pub fn apply_edit(state: &mut HostState, edit: &Edit) {
    match edit {
        Edit::Scroll { pane, up, by } => {
            let Some(screen) = nth_screen(state, *pane) else {
                return;
            };
            let rows = screen.rows().to_vec();
            let by = usize::from(*by).min(rows.len());
            let blank = Arc::new(Row::blank(screen.cols()));
            for index in 0..rows.len() {
                let source = if *up {
                    index.checked_add(by).filter(|&i| i < rows.len())
                } else {
                    index.checked_sub(by)
                };
                let row = source.map_or_else(|| blank.clone(), |i| rows[i].clone());
                screen.set_row(index, row).expect("same screen, same width");
            }
        }
        Edit::SetRow {
            pane,
            row: index,
            contents,
        } => {
            let Some(screen) = nth_screen(state, *pane) else {
                return;
            };
            let rows = screen.rows().len();
            if rows > 0 {
                let built = row(contents, screen.cols());
                screen
                    .set_row(usize::from(*index) % rows, built)
                    .expect("built rows have the screen's width");
            }
        }
        Edit::Cursor {
            pane,
            row,
            col,
            visible,
        } => {
            if let Some(screen) = nth_screen(state, *pane) {
                screen.cursor = Point {
                    row: *row,
                    col: *col,
                };
                screen.cursor_visible = *visible;
            }
        }
        Edit::Title { pane, title } => {
            if let Some(screen) = nth_screen(state, *pane) {
                screen.title = Label::new(title);
            }
        }
        Edit::HistoryLength { pane, len, start } => {
            if let Some(screen) = nth_screen(state, *pane) {
                screen.history_len = *len;
                screen.history_start = LineNumber(*start);
            }
        }
        Edit::AddScreen(input) => {
            state
                .screens
                .insert(PaneId(u32::from(input.pane)), screen(input));
        }
        Edit::RemoveScreen(pane) => {
            let count = state.screens.len();
            let key = (count > 0)
                .then(|| state.screens.keys().nth(usize::from(*pane) % count))
                .flatten()
                .copied();
            if let Some(key) = key {
                state.screens.remove(&key);
            }
        }
        Edit::AddHistory {
            pane,
            line,
            contents,
        } => {
            let cols = contents.cells.len().min(usize::from(MAX_FUZZ_COLS)) as u16;
            state.history.insert(
                (PaneId(u32::from(*pane)), LineNumber(*line)),
                Arc::new(row(contents, cols)),
            );
        }
        Edit::DropHistory { pane, first, count } => {
            let pane = PaneId(u32::from(*pane));
            for line in (0..u64::from(*count)).filter_map(|i| LineNumber(*first).checked_add(i)) {
                state.history.remove(&(pane, line));
            }
        }
        Edit::Windows(input) => state.windows = windows(input),
        Edit::Panes(input) => state.panes = panes(input),
        Edit::Notices(input) => state.notices = labels(input),
        Edit::Session(name) => state.session = Label::new(name),
        Edit::Search(input) => state.search = search(*input),
        Edit::Clipboard(input) => state.clipboard = clipboard(input),
    }
}

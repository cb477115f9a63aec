//! Host-state diffs: the parts of the state that changed, and for a pane screen of
//! unchanged size, a scroll plus the rows that still differ.
//!
//! Diffs are not compressed here: the instruction layer compresses the whole message
//! (`Instruction::to_bytes`), diff included, and a second pass would only add framing.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::clipboard::ClipboardCopy;
use super::history::{self, SearchResult};
use super::pane::{Modes, PaneScreen, Point};
use super::row::Row;
use super::scroll::{apply_shift, best_shift, Shift};
use super::{
    ClientRequest, CommandReply, HostState, PaneView, ScreenError, SessionTree, StatusText,
    WindowInfo,
};
use crate::codec;
use crate::ids::{LineNumber, PaneId};
use crate::label::Label;
use crate::options::ClientOptions;
use crate::state::{DiffError, SyncState};

/// One part of a host-state diff. Wire format: append only (bincode numbers variants by
/// position; `golden_bytes` pins them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum HostChange {
    Session(Label),
    Windows(Vec<WindowInfo>),
    Panes(Vec<PaneView>),
    Notices(Vec<Label>),
    RemoveScreen(PaneId),
    /// A pane screen sent whole: new, or resized.
    Screen(PaneId, PaneScreen),
    EditScreen(PaneId, Vec<ScreenEdit>),
    /// History lines `first..first + count` of a pane are no longer held.
    DropHistory(PaneId, LineNumber, u64),
    /// History lines of a pane from `first` on, consecutive.
    History(PaneId, LineNumber, Vec<Arc<Row>>),
    Search(Option<SearchResult>),
    Clipboard(Option<Arc<ClipboardCopy>>),
    Reply(Option<CommandReply>),
    Requests(Vec<ClientRequest>),
    Detached(bool),
    Options(ClientOptions),
    Status(StatusText),
    Tree(Option<Arc<SessionTree>>),
}

/// One change to a pane screen of unchanged size, applied in order. Wire format: append
/// only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum ScreenEdit {
    ScrollUp(u16),
    ScrollDown(u16),
    Row(u16, Arc<Row>),
    Cursor(Point),
    CursorVisible(bool),
    Title(Label),
    Modes(Modes),
    HistoryLen(u64),
    HistoryStart(LineNumber),
}

impl From<ScreenError> for DiffError {
    fn from(error: ScreenError) -> Self {
        DiffError::new(error.to_string())
    }
}

impl SyncState for HostState {
    fn diff_from(&self, old: &Self) -> Vec<u8> {
        if self == old {
            return Vec::new();
        }
        let mut changes = Vec::new();
        if self.session != old.session {
            changes.push(HostChange::Session(self.session.clone()));
        }
        if self.windows != old.windows {
            changes.push(HostChange::Windows(self.windows.clone()));
        }
        if self.panes != old.panes {
            changes.push(HostChange::Panes(self.panes.clone()));
        }
        if self.notices != old.notices {
            changes.push(HostChange::Notices(self.notices.clone()));
        }
        for &pane in old.screens.keys() {
            if !self.screens.contains_key(&pane) {
                changes.push(HostChange::RemoveScreen(pane));
            }
        }
        for (&pane, screen) in &self.screens {
            match old.screens.get(&pane) {
                Some(before) if before == screen => {}
                Some(before)
                    if before.cols == screen.cols && before.rows.len() == screen.rows.len() =>
                {
                    changes.push(HostChange::EditScreen(pane, screen_edits(before, screen)));
                }
                _ => changes.push(HostChange::Screen(pane, screen.clone())),
            }
        }
        history::history_changes(&old.history, &self.history, &mut changes);
        if self.search != old.search {
            changes.push(HostChange::Search(self.search));
        }
        if self.clipboard != old.clipboard {
            changes.push(HostChange::Clipboard(self.clipboard.clone()));
        }
        if self.reply != old.reply {
            changes.push(HostChange::Reply(self.reply.clone()));
        }
        if self.requests != old.requests {
            changes.push(HostChange::Requests(self.requests.clone()));
        }
        if self.detached != old.detached {
            changes.push(HostChange::Detached(self.detached));
        }
        if self.options != old.options {
            changes.push(HostChange::Options(self.options));
        }
        if self.status != old.status {
            changes.push(HostChange::Status(self.status.clone()));
        }
        if self.tree != old.tree {
            changes.push(HostChange::Tree(self.tree.clone()));
        }
        codec::encode(&changes)
    }

    /// Applies all of the diff or, on any error, none of it.
    fn apply(&mut self, diff: &[u8]) -> Result<(), DiffError> {
        if diff.is_empty() {
            return Ok(());
        }
        let changes: Vec<HostChange> = codec::decode(diff)?;
        let mut next = self.clone();
        for change in changes {
            next.apply_change(change)?;
        }
        next.check_limits()?;
        *self = next;
        Ok(())
    }
}

impl HostState {
    fn apply_change(&mut self, change: HostChange) -> Result<(), ScreenError> {
        match change {
            HostChange::Session(session) => self.session = session,
            HostChange::Windows(windows) => self.windows = windows,
            HostChange::Panes(panes) => self.panes = panes,
            HostChange::Notices(notices) => self.notices = notices,
            HostChange::RemoveScreen(pane) => {
                self.screens
                    .remove(&pane)
                    .ok_or(ScreenError::UnknownPane(pane))?;
            }
            HostChange::Screen(pane, screen) => {
                self.screens.insert(pane, screen);
            }
            HostChange::EditScreen(pane, edits) => {
                let screen = self
                    .screens
                    .get_mut(&pane)
                    .ok_or(ScreenError::UnknownPane(pane))?;
                apply_edits(screen, edits)?;
            }
            HostChange::DropHistory(pane, first, count) => {
                history::drop_lines(&mut self.history, pane, first, count);
            }
            HostChange::History(pane, first, rows) => {
                history::insert_lines(&mut self.history, pane, first, rows)?;
            }
            HostChange::Search(result) => self.search = result,
            HostChange::Clipboard(copy) => self.clipboard = copy,
            HostChange::Reply(reply) => self.reply = reply,
            HostChange::Requests(requests) => self.requests = requests,
            HostChange::Detached(detached) => self.detached = detached,
            HostChange::Options(options) => self.options = options,
            HostChange::Status(status) => self.status = status,
            HostChange::Tree(tree) => self.tree = tree,
        }
        Ok(())
    }
}

fn screen_edits(old: &PaneScreen, new: &PaneScreen) -> Vec<ScreenEdit> {
    let mut edits = Vec::new();
    let blank = Arc::new(Row::blank(new.cols));
    let mut base = std::borrow::Cow::Borrowed(&old.rows);
    if let Some(shift) = best_shift(&old.rows, &new.rows, &blank) {
        edits.push(match shift {
            Shift::Up(by) => ScreenEdit::ScrollUp(by),
            Shift::Down(by) => ScreenEdit::ScrollDown(by),
        });
        apply_shift(base.to_mut(), shift, &blank);
    }
    for (index, (before, after)) in base.iter().zip(&new.rows).enumerate() {
        // Screens hold at most MAX_ROWS rows, so every index fits.
        let Ok(index) = u16::try_from(index) else {
            break;
        };
        if before != after {
            edits.push(ScreenEdit::Row(index, after.clone()));
        }
    }
    if new.cursor != old.cursor {
        edits.push(ScreenEdit::Cursor(new.cursor));
    }
    if new.cursor_visible != old.cursor_visible {
        edits.push(ScreenEdit::CursorVisible(new.cursor_visible));
    }
    if new.title != old.title {
        edits.push(ScreenEdit::Title(new.title.clone()));
    }
    if new.modes != old.modes {
        edits.push(ScreenEdit::Modes(new.modes));
    }
    if new.history_len != old.history_len {
        edits.push(ScreenEdit::HistoryLen(new.history_len));
    }
    if new.history_start != old.history_start {
        edits.push(ScreenEdit::HistoryStart(new.history_start));
    }
    edits
}

fn apply_edits(screen: &mut PaneScreen, edits: Vec<ScreenEdit>) -> Result<(), ScreenError> {
    for edit in edits {
        match edit {
            ScreenEdit::ScrollUp(by) | ScreenEdit::ScrollDown(by) => {
                let rows = screen.rows.len();
                if usize::from(by) > rows {
                    return Err(ScreenError::ScrollTooFar { by, rows });
                }
                let shift = match edit {
                    ScreenEdit::ScrollUp(_) => Shift::Up(by),
                    _ => Shift::Down(by),
                };
                let blank = Arc::new(Row::blank(screen.cols));
                apply_shift(&mut screen.rows, shift, &blank);
            }
            ScreenEdit::Row(index, row) => screen.set_row(usize::from(index), row)?,
            ScreenEdit::Cursor(cursor) => screen.cursor = cursor,
            ScreenEdit::CursorVisible(visible) => screen.cursor_visible = visible,
            ScreenEdit::Title(title) => screen.title = title,
            ScreenEdit::Modes(modes) => screen.modes = modes,
            ScreenEdit::HistoryLen(len) => screen.history_len = len,
            ScreenEdit::HistoryStart(start) => screen.history_start = start,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{BellAction, ModeKeys, PrefixKey, SetClipboard};
    use crate::screen::{
        CellStyle, Color, MouseEncoding, MouseMode, Rect, TreePane, TreeSession, TreeWindow,
        UnderlineStyle,
    };

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Pins the encoding of every variant of every host-state wire enum: reordering or
    /// inserting a variant changes these bytes and fails here. A new variant goes at the
    /// end of its enum and gets a line here (the `match`es below fail to compile until
    /// it does).
    #[test]
    fn golden_bytes() {
        let mut builder = Row::builder(2);
        builder.push("a", false, CellStyle::default());
        let row = Arc::new(builder.finish(false));
        let screen = PaneScreen::new(1, 1).unwrap();
        let window = WindowInfo {
            id: 1,
            index: 0,
            name: Label::new("w"),
            active: true,
            bell: 0,
        };
        let view = PaneView {
            pane: PaneId(3),
            rect: Rect {
                x: 0,
                y: 1,
                cols: 2,
                rows: 3,
            },
            active: true,
            zoomed: false,
        };
        let changes = [
            (HostChange::Session(Label::new("s")), "000173"),
            (HostChange::Windows(vec![window]), "010101000177 01 00"),
            (HostChange::Panes(vec![view]), "020103000102030100"),
            (HostChange::Notices(vec![Label::new("n")]), "0301016e"),
            (HostChange::RemoveScreen(PaneId(7)), "0407"),
            (
                HostChange::Screen(PaneId(9), screen),
                "0509 01 01 0120 01 01 0000 0000000000 00000000 00 00 00 00 0000 01 00 00000000000000 00 00",
            ),
            (HostChange::EditScreen(PaneId(9), vec![]), "0609 00"),
            (HostChange::DropHistory(PaneId(9), LineNumber(300), 2), "0709 fb2c01 02"),
            (
                HostChange::History(PaneId(9), LineNumber(1), vec![row.clone()]),
                "0809 01 01 026120 01 02 0000 0000000000 00000000 00 00 00 00",
            ),
            (
                HostChange::Search(Some(SearchResult {
                    id: 4,
                    line: Some(LineNumber(5)),
                })),
                "09 01 04 01 05",
            ),
            (
                HostChange::Clipboard(ClipboardCopy::new(2, "c", b"x".to_vec()).map(Arc::new)),
                "0a 01 02 0163 0178",
            ),
            (
                HostChange::Reply(Some(CommandReply::new(3, "r", true))),
                "0b 01 03 01 0172 01",
            ),
            (
                HostChange::Requests(vec![ClientRequest {
                    serial: 2,
                    line: Label::new("f"),
                }]),
                "0c 01 02 0166",
            ),
            (HostChange::Detached(true), "0d 01"),
            (
                HostChange::Options(ClientOptions {
                    prefix: PrefixKey::from_byte(1),
                    status: Some(false),
                    mouse: None,
                    set_titles: Some(true),
                    bell_action: Some(BellAction::Other),
                    set_clipboard: Some(SetClipboard::On),
                    mode_keys: Some(ModeKeys::Emacs),
                }),
                "0e 0101 0100 00 0101 0103 0100 0101",
            ),
            (
                HostChange::Status(StatusText {
                    left: Label::new("l"),
                    right: Label::new("r"),
                    windows: vec![Label::new("w")],
                    separator: Label::new(" "),
                }),
                "0f 016c 0172 01 0177 0120",
            ),
            (
                HostChange::Tree(Some(Arc::new(SessionTree {
                    sessions: vec![TreeSession {
                        name: Label::new("s"),
                        current: true,
                        text: Label::new("t"),
                        windows: vec![TreeWindow {
                            index: 2,
                            active: true,
                            text: Label::new("w"),
                            panes: vec![TreePane {
                                pane: PaneId(5),
                                active: true,
                                text: Label::new("p"),
                            }],
                        }],
                    }],
                    filter: Some(Label::new("f")),
                }))),
                "10 01 01 0173 01 0174 01 02 01 0177 01 05 01 0170 01 0166",
            ),
        ];
        for (change, expected) in changes {
            match change {
                HostChange::Session(_)
                | HostChange::Windows(_)
                | HostChange::Panes(_)
                | HostChange::Notices(_)
                | HostChange::RemoveScreen(_)
                | HostChange::Screen(..)
                | HostChange::EditScreen(..)
                | HostChange::DropHistory(..)
                | HostChange::History(..)
                | HostChange::Search(_)
                | HostChange::Clipboard(_)
                | HostChange::Reply(_)
                | HostChange::Requests(_)
                | HostChange::Detached(_)
                | HostChange::Options(_)
                | HostChange::Status(_)
                | HostChange::Tree(_) => {}
            }
            assert_eq!(
                hex(&codec::encode(&change)),
                expected.replace(' ', ""),
                "{change:?}"
            );
        }
        let modes = Modes {
            mouse: MouseMode::AnyMotion,
            mouse_encoding: MouseEncoding::Sgr,
            ..Modes::default()
        };
        let edits = [
            (ScreenEdit::ScrollUp(2), "0002"),
            (ScreenEdit::ScrollDown(3), "0103"),
            (
                ScreenEdit::Row(1, row),
                "0201 026120 01 02 0000 0000000000 00000000 00 00 00 00",
            ),
            (ScreenEdit::Cursor(Point { row: 4, col: 5 }), "030405"),
            (ScreenEdit::CursorVisible(false), "0400"),
            (ScreenEdit::Title(Label::new("t")), "050174"),
            (ScreenEdit::Modes(modes), "0600000004020000"),
            (ScreenEdit::HistoryLen(300), "07fb2c01"),
            (ScreenEdit::HistoryStart(LineNumber(2)), "0802"),
        ];
        for (edit, expected) in edits {
            match edit {
                ScreenEdit::ScrollUp(_)
                | ScreenEdit::ScrollDown(_)
                | ScreenEdit::Row(..)
                | ScreenEdit::Cursor(_)
                | ScreenEdit::CursorVisible(_)
                | ScreenEdit::Title(_)
                | ScreenEdit::Modes(_)
                | ScreenEdit::HistoryLen(_)
                | ScreenEdit::HistoryStart(_) => {}
            }
            assert_eq!(
                hex(&codec::encode(&edit)),
                expected.replace(' ', ""),
                "{edit:?}"
            );
        }
        let colors = [
            (Color::Default, "00"),
            (Color::Indexed(200), "01c8"),
            (Color::Rgb(1, 2, 3), "02010203"),
        ];
        for (color, expected) in colors {
            match color {
                Color::Default | Color::Indexed(_) | Color::Rgb(..) => {}
            }
            assert_eq!(hex(&codec::encode(&color)), expected);
        }
        let underlines = [
            (UnderlineStyle::Single, "00"),
            (UnderlineStyle::Double, "01"),
            (UnderlineStyle::Curly, "02"),
            (UnderlineStyle::Dotted, "03"),
            (UnderlineStyle::Dashed, "04"),
        ];
        for (underline, expected) in underlines {
            match underline {
                UnderlineStyle::Single
                | UnderlineStyle::Double
                | UnderlineStyle::Curly
                | UnderlineStyle::Dotted
                | UnderlineStyle::Dashed => {}
            }
            assert_eq!(hex(&codec::encode(&underline)), expected);
        }
        let mouse_modes = [
            MouseMode::None,
            MouseMode::Press,
            MouseMode::PressRelease,
            MouseMode::ButtonMotion,
            MouseMode::AnyMotion,
        ];
        for (index, mode) in mouse_modes.into_iter().enumerate() {
            match mode {
                MouseMode::None
                | MouseMode::Press
                | MouseMode::PressRelease
                | MouseMode::ButtonMotion
                | MouseMode::AnyMotion => {}
            }
            assert_eq!(codec::encode(&mode), [index as u8]);
        }
        let encodings = [
            MouseEncoding::Default,
            MouseEncoding::Utf8,
            MouseEncoding::Sgr,
        ];
        for (index, encoding) in encodings.into_iter().enumerate() {
            match encoding {
                MouseEncoding::Default | MouseEncoding::Utf8 | MouseEncoding::Sgr => {}
            }
            assert_eq!(codec::encode(&encoding), [index as u8]);
        }
    }
}

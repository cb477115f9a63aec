//! The host state: what the server shows the client. It is a snapshot (SSP sends the
//! difference between the snapshot the client holds and the newest one), so it holds only
//! what the client draws: the session's windows, the active window's layout, each visible
//! pane's screen, notices, the history lines and search answer its scroll view asked
//! for, and the tree its chooser asked for.

mod clipboard;
mod diff;
mod history;
mod pane;
mod reply;
mod row;
mod scroll;
mod tree;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use clipboard::{ClipboardCopy, ClipboardError, MAX_CLIPBOARD_BYTES};
pub use history::{HistoryLines, SearchResult, MAX_HISTORY_LINES};
pub use pane::{Modes, MouseEncoding, MouseMode, PaneScreen, Point, MAX_COLS, MAX_ROWS};
pub use reply::{CommandReply, ReplyTooLarge, MAX_REPLY_BYTES, MAX_REPLY_LINES};
pub use row::{
    is_control, Cell, CellStyle, Cells, Color, Row, RowBuilder, RowError, RowWithoutOverline,
    UnderlineStyle, MAX_CELL_CHARS,
};
pub use tree::{SessionTree, TreePane, TreeRequest, TreeSession, TreeWindow, MAX_TREE_ITEMS};

use crate::ids::{LineNumber, PaneId};
use crate::label::Label;
use crate::options::ClientOptions;

/// Most windows a session may list.
pub const MAX_WINDOWS: usize = 1000;
/// Most panes the active window's layout, and the set of pane screens, may hold.
pub const MAX_PANES: usize = 256;
/// Most cells all pane screens together may hold: visible panes share one client window,
/// so this is far above real use while bounding what a peer can make us hold.
pub const MAX_TOTAL_CELLS: usize = 4 * MAX_ROWS as usize * MAX_COLS as usize;
/// Most notices shown at once.
pub const MAX_NOTICES: usize = 16;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostState {
    pub session: Label,
    pub windows: Vec<WindowInfo>,
    /// The active window's panes, where they sit in the client's window.
    pub panes: Vec<PaneView>,
    /// The screens of the visible panes, by pane id.
    pub screens: BTreeMap<PaneId, PaneScreen>,
    /// Messages for the user, such as "session ended".
    pub notices: Vec<Label>,
    /// The lines around the client's scroll view (the page it asked for and a prefetch
    /// margin), and others it was sent and may still need.
    pub history: HistoryLines,
    /// The answer to the client's newest search request, once there is one.
    pub search: Option<SearchResult>,
    /// The newest copy a program of the session made with OSC 52 (`clipboard.rs`).
    pub clipboard: Option<Arc<ClipboardCopy>>,
    /// What the server said to this client's newest command (a prompt's command line, or
    /// a key's command that failed), to show on its status line for a while.
    pub reply: Option<CommandReply>,
    /// Command lines the server's command line asked this client to run (`moshmux-server
    /// forward`), the newest [`MAX_CLIENT_REQUESTS`]; each runs once, by its serial.
    pub requests: Vec<ClientRequest>,
    /// The server detached this client (another client attached with `attach -d`): the
    /// last state, which closes the connection, says so, and the client exits as
    /// detached rather than as at the end of its session.
    pub detached: bool,
    /// The options set at run time for the session, which the client applies over its
    /// config file (`crate::options`).
    pub options: ClientOptions,
    /// The status line's text as the session's options format it.
    pub status: StatusText,
    /// The sessions, windows and panes for this client's chooser, while it is open; the
    /// pane it previews is among `screens`, though no `panes` entry shows it.
    pub tree: Option<Arc<SessionTree>>,
}

/// The status line as tmux's options format it (`status-left`, `status-right`, and each
/// window's `window-status-format` or `window-status-current-format`), expanded on the
/// server, where the variables live, and cut to `status-left-length` and
/// `status-right-length`. The client lays it out, and shows its own notices (the link's,
/// the scroll view's position) over the right side while it has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusText {
    pub left: Label,
    pub right: Label,
    /// One per window of the state's `windows`, in their order.
    pub windows: Vec<Label>,
    /// Between two windows (`window-status-separator`).
    pub separator: Label,
}

/// Most requests a state carries: older ones have run by the time this many newer came,
/// unless the client was away, and then they are stale anyway.
pub const MAX_CLIENT_REQUESTS: usize = 8;

/// A command line for the client to run as if typed at its prompt; it runs only those it
/// allows from the server (`forward -L`, and removing a forward).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRequest {
    pub serial: u32,
    pub line: Label,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowInfo {
    /// Unique within the server (tmux's `@N`).
    pub id: u32,
    /// The number the user selects the window by.
    pub index: u32,
    pub name: Label,
    pub active: bool,
    /// The number of the newest bell rung in one of its panes, 0 if none: bells are
    /// numbered by a counter the server never reuses (shared with clipboard copies), so
    /// a client rings once for numbers above the highest it has seen.
    pub bell: u64,
}

/// A pane's place in the layout of the active window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaneView {
    /// Unique within the server (tmux's `%N`); keys [`HostState::screens`].
    pub pane: PaneId,
    pub rect: Rect,
    pub active: bool,
    pub zoomed: bool,
}

/// Cells of the client's window, counted from its top left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub x: u16,
    pub y: u16,
    pub cols: u16,
    pub rows: u16,
}

/// As a user reads a pane's place: `COLSxROWS at X,Y`, as `list-panes` prints it.
impl std::fmt::Display for Rect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{} at {},{}", self.cols, self.rows, self.x, self.y)
    }
}

/// A state or a change that breaks the limits above, or does not fit the screen it is for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreenError {
    #[error("a screen of {cols}x{rows} is larger than {MAX_COLS}x{MAX_ROWS}")]
    TooLarge { rows: usize, cols: u16 },
    #[error("row of width {width} on a screen {cols} columns wide")]
    RowWidth { width: usize, cols: u16 },
    #[error("row {index} on a screen of {rows} rows")]
    RowIndex { index: usize, rows: usize },
    #[error("scroll by {by} rows on a screen of {rows} rows")]
    ScrollTooFar { by: u16, rows: usize },
    #[error("no screen for pane {0}")]
    UnknownPane(PaneId),
    #[error("a pane of {0} reaches past {MAX_COLS}x{MAX_ROWS}")]
    RectTooLarge(Rect),
    #[error("history line number {0} overflows")]
    HistoryLine(LineNumber),
    #[error("{count} {what} exceed the limit of {limit}")]
    TooMany {
        what: &'static str,
        count: usize,
        limit: usize,
    },
}

impl HostState {
    /// Checks the limits a peer enforces on every state it receives. The server calls this
    /// before publishing a state: one that fails would be refused by every client.
    pub fn check_limits(&self) -> Result<(), ScreenError> {
        let too_many = |what, count, limit| {
            (count > limit).then_some(ScreenError::TooMany { what, count, limit })
        };
        let cells = self.screens.values().map(PaneScreen::cells).sum();
        let counts = [
            too_many("windows", self.windows.len(), MAX_WINDOWS),
            too_many("status windows", self.status.windows.len(), MAX_WINDOWS),
            too_many("pane views", self.panes.len(), MAX_PANES),
            too_many("pane screens", self.screens.len(), MAX_PANES),
            too_many("cells", cells, MAX_TOTAL_CELLS),
            too_many("notices", self.notices.len(), MAX_NOTICES),
            too_many("requests", self.requests.len(), MAX_CLIENT_REQUESTS),
            too_many("history lines", self.history.len(), MAX_HISTORY_LINES),
            too_many(
                "tree items",
                self.tree.as_ref().map_or(0, |tree| tree.items()),
                MAX_TREE_ITEMS,
            ),
        ];
        if let Some(error) = counts.into_iter().flatten().next() {
            return Err(error);
        }
        let outside = |r: &Rect| {
            u32::from(r.x) + u32::from(r.cols) > u32::from(MAX_COLS)
                || u32::from(r.y) + u32::from(r.rows) > u32::from(MAX_ROWS)
        };
        match self.panes.iter().find(|view| outside(&view.rect)) {
            Some(view) => Err(ScreenError::RectTooLarge(view.rect)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client shows when a state cannot be drawn is this error's text: words and
    /// figures, never Rust's debug text of the values.
    #[test]
    fn limit_errors_read_as_words() {
        let state = HostState {
            panes: vec![PaneView {
                pane: PaneId(1),
                rect: Rect {
                    x: 0,
                    y: 0,
                    cols: 10_000,
                    rows: 10_000,
                },
                active: true,
                zoomed: false,
            }],
            ..HostState::default()
        };
        let error = state
            .check_limits()
            .expect_err("over the limits")
            .to_string();
        assert_eq!(error, "a pane of 10000x10000 at 0,0 reaches past 1000x1000");
        let error = PaneScreen::new(2000, 80)
            .expect_err("too many rows")
            .to_string();
        assert_eq!(error, "a screen of 80x2000 is larger than 1000x1000");
    }
}

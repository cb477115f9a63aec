//! Why a request or a key's command failed: one line each, in tmux's words where tmux
//! has them.

use crate::keys::KeyError;
use crate::layout::LayoutError;
use crate::pane_id::PaneId;
use crate::target::quoted;
use moshmux_proto::label::{SESSION_NAME_RULE, WINDOW_NAME_RULE};
use moshmux_proto::screen::{MAX_COLS, MAX_ROWS};

/// Why a command failed; each renders as the one line the user sees.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("can't find session: {}; sessions: {existing}", quoted(name))]
    NoSession { name: String, existing: String },
    #[error(
        "can't find window: {} in session {session}; windows: {existing}",
        quoted(window)
    )]
    NoWindow {
        window: String,
        session: String,
        existing: String,
    },
    #[error("can't find pane: {index} in window {window}; panes: {existing}")]
    NoPaneIndex {
        index: usize,
        window: String,
        existing: String,
    },
    #[error("can't find pane {id}; panes: {existing}")]
    NoPaneId { id: PaneId, existing: String },
    #[error("no sessions")]
    NoSessions,
    #[error("can't find client: {0}")]
    NoClient(String),
    /// detach-client naming no client or session: the daemon has no client of its own.
    #[error("no current client")]
    NoCurrentClient,
    #[error("no last window")]
    NoLastWindow,
    #[error("no last pane")]
    NoLastPane,
    /// next-window or previous-window in a session of one window.
    #[error("no {0} window")]
    NoWindowThatWay(&'static str),
    #[error("duplicate session: {}", quoted(.0))]
    DuplicateSession(String),
    #[error("bad session name \"{}\": {SESSION_NAME_RULE}", quoted(.0))]
    BadSessionName(String),
    #[error("bad window name \"{}\": {WINDOW_NAME_RULE}", quoted(.0))]
    BadWindowName(String),
    #[error(
        "{bytes} bytes of keys is more than {pane} takes now ({room} more: a pane holds \
         at most 4 MiB its program has not read); nothing was sent"
    )]
    InputFull {
        pane: PaneId,
        bytes: usize,
        room: usize,
    },
    #[error(
        "a window is at most {MAX_COLS}x{MAX_ROWS} (the most a client can show), not \
         {cols}x{rows}"
    )]
    WindowTooLarge { cols: u16, rows: u16 },
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error("swap-pane between windows is not supported yet; both panes must be in one window")]
    SwapAcrossWindows,
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The program could not be started (with the cause chain, on one line).
    #[error("{0}")]
    Spawn(String),
    #[error("cannot allocate a pane id: {0}")]
    PaneId(String),
    #[error("{0}")]
    History(String),
    /// The client's UDP endpoint could not be opened.
    #[error("{0}")]
    Endpoint(String),
    #[error(transparent)]
    Buffer(#[from] crate::buffers::BufferError),
    #[error(transparent)]
    Environment(#[from] crate::environment::EnvironmentError),
    #[error(transparent)]
    Option(#[from] crate::options::OptionError),
    /// `forward`: a bad forward, or no client to ask.
    #[error("{0}")]
    Forward(String),
    /// break-pane, join-pane, swap-window, move-window: a move tmux refuses too.
    #[error("{0}")]
    Move(&'static str),
    #[error("index in use: {0}")]
    IndexInUse(u32),
    /// move-window to the index the window has.
    #[error("same index: {0}")]
    SameIndex(u32),
    /// new-window's words for it.
    #[error("create window failed: index {0} in use")]
    WindowIndexInUse(u32),
    #[error("can't specify pane here")]
    PaneNotAllowed,
    /// respawn-pane without `-k` (`SESSION:WINDOW.PANE`).
    #[error("respawn pane failed: pane {0} still active")]
    PaneStillActive(String),
    /// respawn-window without `-k` (`SESSION:WINDOW`).
    #[error("respawn window failed: window {0} still active")]
    WindowStillActive(String),
}

pub(super) type Outcome = Result<String, CommandError>;

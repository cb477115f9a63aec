//! The tree of sessions, windows and panes that a client's chooser (tmux's
//! `choose-tree`, prefix `w` and `s`) lists. The host state carries it only while the
//! client asks for it (`UserStream::tree`), so an idle client pays nothing for the
//! daemon's other sessions.
//!
//! Each item's line is formatted by the server, from tmux's default `choose-tree`
//! format and the server's own format variables, so the client only adds the tree's
//! glyphs and shortcut keys.

use serde::{Deserialize, Serialize};

use crate::ids::PaneId;
use crate::label::Label;

/// Most sessions, windows and panes a tree may list together.
pub const MAX_TREE_ITEMS: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTree {
    /// In the server's order of sessions (by creation, tmux's sort by index).
    pub sessions: Vec<TreeSession>,
    /// The find-window text the tree answers (`TreeRequest::filter`), so the client
    /// tells an answer that found nothing from a tree asked for before.
    pub filter: Option<Label>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeSession {
    pub name: Label,
    /// The session this client shows.
    pub current: bool,
    /// What follows the name on its line (`3 windows (attached)`).
    pub text: Label,
    pub windows: Vec<TreeWindow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeWindow {
    pub index: u32,
    /// The session's active window.
    pub active: bool,
    /// What follows the index on its line (`editor*`).
    pub text: Label,
    /// In the window's order (tmux's `pane_index`); never empty.
    pub panes: Vec<TreePane>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreePane {
    pub pane: PaneId,
    /// The window's active pane.
    pub active: bool,
    /// What follows the pane's index on its line (`bash*`).
    pub text: Label,
}

impl SessionTree {
    /// How many lines the tree would have with everything expanded.
    pub fn items(&self) -> usize {
        let windows = self.sessions.iter().flat_map(|session| &session.windows);
        self.sessions.len() + windows.map(|window| 1 + window.panes.len()).sum::<usize>()
    }
}

/// What an open chooser asks of the server: the tree, and the screen of one pane to
/// preview (any pane of the daemon), which the state then holds in its `screens`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TreeRequest {
    pub preview: Option<PaneId>,
    /// tmux's find-window: only the windows whose name, a pane's title or a pane's
    /// screen holds this text (and their sessions).
    pub filter: Option<Label>,
}

//! The user stream: what the client sends the server, as an ordered, reliable stream of
//! events (keys, resizes, multiplexer commands), plus three small states, the scroll
//! view's request, the search request and the chooser's request.
//!
//! Events are numbered from the start of the session. A diff carries the events the old
//! state lacks, with the number and a fingerprint of everything before them, so it applies
//! only to the exact state it was made from; `subtract` drops the prefix both sides hold,
//! so neither keeps the whole session's typing.
//!
//! The requests are state, not events: every diff carries the newest of each (a few
//! bytes), so fast scrolling over a lossy link never queues stale requests; the server
//! only ever sees where the view is now.

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::ids::{LineNumber, PaneId};
use crate::label::Label;
use crate::layouts::{LayoutChoice, Step};
use crate::screen::TreeRequest;
use crate::state::{DiffError, SyncState};

/// Largest `Keys` event: a paste is split into events of this size, so that each is a
/// bounded piece the server can hand to a PTY without buffering the whole paste.
pub const MAX_KEYS_LEN: usize = 4096;

/// Something the user did. Wire format: append only (bincode numbers variants by position;
/// the `golden_bytes` test pins them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserEvent {
    /// Bytes for the focused pane, as the terminal produced them.
    Keys(Vec<u8>),
    /// The space the client has for panes changed: its terminal less the one status-line
    /// row the client draws itself, so the server lays panes out in exactly this size.
    /// The client sends one at start and after every SIGWINCH. Screens larger than
    /// [`crate::screen::MAX_ROWS`] x [`crate::screen::MAX_COLS`] cannot be synchronised, so
    /// the server clamps the panes it lays out to those.
    Resize {
        rows: u16,
        cols: u16,
    },
    Command(MuxCommand),
    /// Text the user copied in the client's scroll view, for a new paste buffer as tmux's
    /// copy mode makes one (prefix `]` pastes it): pieces of at most [`MAX_KEYS_LEN`]
    /// bytes, `last` on the final one.
    Copied {
        piece: Vec<u8>,
        last: bool,
    },
}

/// A multiplexer command from the client's prefix bindings. Wire format: append only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MuxCommand {
    /// Split the focused pane into two side by side (prefix `%`, tmux `split-window -h`).
    SplitHorizontal,
    /// Split the focused pane into two one above the other (prefix `"`).
    SplitVertical,
    SelectPane(Direction),
    NextPane,
    ToggleZoom,
    KillPane,
    NewWindow,
    NextWindow,
    PreviousWindow,
    /// Select the window with this index (prefix `0`-`9`).
    SelectWindow(u32),
    RenameWindow(Label),
    Detach,
    /// Select this pane (its id, tmux's `%N`) of the active window: a mouse click on it.
    /// An id that is not there (closed meanwhile, or in another window) changes nothing.
    SelectPaneById(PaneId),
    /// Move the focused pane's border this many cells (prefix `C-arrow` by 1, `M-arrow`
    /// by 5; tmux's `resize-pane -U/-D/-L/-R N`).
    ResizePane(Direction, u16),
    /// The window active before (prefix `l`, tmux's `last-window`).
    LastWindow,
    /// The pane active before in this window (prefix `;`, tmux's `last-pane`).
    LastPane,
    /// Close the focused window (prefix `&`, after y).
    KillWindow,
    /// Rename the client's session (prefix `$`).
    RenameSession(Label),
    /// Rearrange the focused window's panes (prefix Space, `M-1`..`M-5`).
    SelectLayout(LayoutChoice),
    /// Swap the focused pane with the one before or after it (prefix `{`, `}`).
    SwapPane(Step),
    /// Move every pane of the focused window one cell (prefix `C-o`, `M-o`).
    RotateWindow(Step),
    /// A command line typed at the command prompt (prefix `:`), in the language of the
    /// server's command line (`moshmux-server` without the program name), run for the
    /// client's session; its output or error comes back as the state's `reply`.
    CommandLine(Label),
}

/// Wire format: append only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Left,
    Right,
    Up,
    Down,
}

/// The history lines an open scroll view shows: lines `first..first + rows` of pane
/// `pane`, numbered as the server's history store numbers them (0 is the pane's oldest
/// line ever, so a number names the same line for good).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScrollRequest {
    pub pane: PaneId,
    pub first: LineNumber,
    pub rows: u16,
}

/// Which way a search goes from its starting line. Wire format: append only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SearchDirection {
    /// Towards line 0 (`?`, and `/` in a view that pages upwards as tmux's does).
    Older,
    Newer,
}

/// A search of a pane's history, run by the server over its store (the client never
/// downloads history to search it). The answer is a [`crate::screen::SearchResult`]
/// with the same `id`, so a repeated search from the same line is told apart from the
/// previous one's answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SearchRequest {
    pub id: u32,
    pub pane: PaneId,
    /// Matched case-sensitively against each line's text.
    pub needle: Label,
    pub direction: SearchDirection,
    /// The search starts after this line in `direction` (the line itself is skipped, so
    /// `n` from a match finds the next one).
    pub from: LineNumber,
}

/// The client's events, minus the prefix the server acknowledged, and its current
/// requests. On the server, the value `Connection::take_remote_update` returns holds
/// exactly the events not taken yet, and the newest requests.
#[derive(Debug, Clone, Default)]
pub struct UserStream {
    /// Number of `events[0]`: how many events were subtracted.
    start: u64,
    events: Vec<UserEvent>,
    /// Folds every event ever pushed, subtracted or not.
    fingerprint: u64,
    /// `None` while no scroll view is open.
    pub scroll: Option<ScrollRequest>,
    pub search: Option<SearchRequest>,
    /// `None` while no chooser (`choose-tree`) is open.
    pub tree: Option<TreeRequest>,
}

#[derive(Serialize, Deserialize)]
struct StreamDiff {
    /// Events the base has had, and their fingerprint: the diff applies to no other state.
    base_len: u64,
    base_fingerprint: u64,
    /// Number of the first event below.
    first: u64,
    events: Vec<UserEvent>,
    /// The newest requests, whatever the base held: they are small, and a diff that
    /// always carries them cannot leave the server with an older one.
    scroll: Option<ScrollRequest>,
    search: Option<SearchRequest>,
    tree: Option<TreeRequest>,
}

/// FNV-1a over the event's wire encoding: stable across builds and platforms, unlike
/// `std::hash`, which matters because both peers compute it.
fn fold(fingerprint: u64, event: &UserEvent) -> u64 {
    codec::encode(event)
        .iter()
        .fold(fingerprint ^ 0xcbf2_9ce4_8422_2325, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

impl UserStream {
    /// Appends an event; `Keys` and `Copied` longer than [`MAX_KEYS_LEN`] become several
    /// events, and empty `Keys` none.
    pub fn push(&mut self, event: UserEvent) {
        match event {
            UserEvent::Keys(keys) => {
                for chunk in keys.chunks(MAX_KEYS_LEN) {
                    self.append(UserEvent::Keys(chunk.to_vec()));
                }
            }
            UserEvent::Copied { piece, last } => {
                let pieces = piece.len().div_ceil(MAX_KEYS_LEN).max(1);
                for (index, chunk) in piece.chunks(MAX_KEYS_LEN).enumerate() {
                    let last = last && index + 1 == pieces;
                    self.append(UserEvent::Copied {
                        piece: chunk.to_vec(),
                        last,
                    });
                }
                if piece.is_empty() {
                    self.append(UserEvent::Copied { piece, last });
                }
            }
            other => self.append(other),
        }
    }

    fn append(&mut self, event: UserEvent) {
        self.fingerprint = fold(self.fingerprint, &event);
        self.events.push(event);
    }

    /// The events held: on the sender, those not acknowledged yet; on the receiver, in a
    /// value from `take_remote_update`, those not taken before.
    pub fn events(&self) -> &[UserEvent] {
        &self.events
    }

    /// How many events the stream has had in total, subtracted or not.
    pub fn pushed(&self) -> u64 {
        self.start + self.events.len() as u64
    }
}

/// Two streams are the same when they had the same events, whatever each subtracted, and
/// hold the same requests.
impl PartialEq for UserStream {
    fn eq(&self, other: &Self) -> bool {
        self.pushed() == other.pushed()
            && self.fingerprint == other.fingerprint
            && self.scroll == other.scroll
            && self.search == other.search
            && self.tree == other.tree
    }
}

impl SyncState for UserStream {
    fn diff_from(&self, old: &Self) -> Vec<u8> {
        if self == old {
            return Vec::new();
        }
        // SSP only diffs from a state at or after what it subtracted. Otherwise the diff
        // says where its events start, and the peer refuses it rather than skip events.
        let first = old.pushed().clamp(self.start, self.pushed());
        let skip = usize::try_from(first - self.start).unwrap_or(usize::MAX);
        let diff = StreamDiff {
            base_len: old.pushed(),
            base_fingerprint: old.fingerprint,
            first,
            events: self.events.get(skip..).unwrap_or_default().to_vec(),
            scroll: self.scroll,
            search: self.search.clone(),
            tree: self.tree.clone(),
        };
        codec::encode(&diff)
    }

    /// Appends the diff's events and takes its requests, or refuses the whole diff.
    fn apply(&mut self, diff: &[u8]) -> Result<(), DiffError> {
        if diff.is_empty() {
            return Ok(());
        }
        let diff: StreamDiff = codec::decode(diff)?;
        if (diff.base_len, diff.base_fingerprint) != (self.pushed(), self.fingerprint)
            || diff.first != diff.base_len
        {
            return Err(DiffError::new("user stream diff made for another state"));
        }
        let oversized = diff.events.iter().any(|event| match event {
            UserEvent::Keys(keys) | UserEvent::Copied { piece: keys, .. } => {
                keys.len() > MAX_KEYS_LEN
            }
            _ => false,
        });
        if oversized {
            return Err(DiffError::new("keys or copied event exceeds MAX_KEYS_LEN"));
        }
        if diff
            .scroll
            .is_some_and(|s| s.rows > crate::screen::MAX_ROWS)
        {
            return Err(DiffError::new("scroll request taller than a screen"));
        }
        for event in diff.events {
            self.append(event);
        }
        self.scroll = diff.scroll;
        self.search = diff.search;
        self.tree = diff.tree;
        Ok(())
    }

    fn subtract(&mut self, acked: &Self) {
        let shared = acked
            .pushed()
            .saturating_sub(self.start)
            .min(self.events.len() as u64);
        // `shared` is at most events.len(), so it fits.
        self.events.drain(..shared as usize);
        self.start += shared;
    }

    fn progress(&self) -> u64 {
        self.pushed()
    }
}

#[cfg(test)]
mod tests;

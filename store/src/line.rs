//! What one history line is: the row's text, its colours and styles, and whether the
//! terminal wrapped it into the next row (so a reader can rejoin long lines).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A pane's id, shown as `%N`. The server's counter never reuses one, not even across
/// restarts (see [`crate::HistoryStore::allocate_pane_uid`]), so a `PaneUid` names one
/// pane's history for good.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PaneUid(pub u32);

impl fmt::Display for PaneUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// A cell colour as the terminal names it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Color {
    #[default]
    Default,
    /// One of the 256 palette entries (0-15 are the ANSI colours).
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// Style flags of a run of cells, as bits so a run costs one byte for all of them.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Style(pub u8);

impl Style {
    pub const BOLD: Style = Style(1);
    pub const DIM: Style = Style(1 << 1);
    pub const ITALIC: Style = Style(1 << 2);
    pub const UNDERLINE: Style = Style(1 << 3);
    pub const INVERSE: Style = Style(1 << 4);

    pub fn contains(self, other: Style) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Style {
    type Output = Style;
    fn bitor(self, rhs: Style) -> Style {
        Style(self.0 | rhs.0)
    }
}

/// Attributes shared by `chars` consecutive characters of the line's text. Runs follow
/// each other from the start of the text; characters past the last run have default
/// attributes, so a plain line has no runs at all. Counted in characters of `text`
/// (not cells) so the runs stay meaningful whatever width a renderer gives a character.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AttrRun {
    pub chars: u32,
    pub fg: Color,
    pub bg: Color,
    pub style: Style,
}

/// One terminal row that left the top of a pane's screen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StoredLine {
    pub text: String,
    pub attrs: Vec<AttrRun>,
    /// The row ended because the terminal wrapped it, not because of a newline.
    pub wrapped: bool,
}

impl StoredLine {
    /// A line of plain text with default attributes that ended with a newline.
    pub fn plain(text: impl Into<String>) -> StoredLine {
        StoredLine {
            text: text.into(),
            attrs: Vec::new(),
            wrapped: false,
        }
    }

    /// Bytes this line holds in memory, for the writer's backlog accounting. An estimate
    /// that counts the heap parts, which dominate.
    pub(crate) fn memory_bytes(&self) -> usize {
        std::mem::size_of::<StoredLine>()
            + self.text.len()
            + self.attrs.len() * std::mem::size_of::<AttrRun>()
    }
}

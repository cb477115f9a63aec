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

/// Style flags of a run of cells, as bits. On disk a varint: the first five flags, all
/// that existed when it was a `u8`, still fit one byte, so blocks written then read
/// back unchanged (`block::tests::lines_written_with_one_byte_styles_still_read`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Style(pub u16);

impl Style {
    pub const BOLD: Style = Style(1);
    pub const DIM: Style = Style(1 << 1);
    pub const ITALIC: Style = Style(1 << 2);
    pub const UNDERLINE: Style = Style(1 << 3);
    pub const INVERSE: Style = Style(1 << 4);
    pub const STRIKETHROUGH: Style = Style(1 << 5);
    /// The underline's shape, with `UNDERLINE`; none of these is a single line.
    pub const UNDERLINE_DOUBLE: Style = Style(1 << 6);
    pub const UNDERLINE_CURLY: Style = Style(1 << 7);
    pub const UNDERLINE_DOTTED: Style = Style(1 << 8);
    pub const UNDERLINE_DASHED: Style = Style(1 << 9);

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
    /// What the line holds in memory: its struct, and its heap blocks as allocated
    /// (capacity, not length) with the allocator's own overhead, so that a backlog
    /// limit is a limit on the daemon's memory, not on the text's length.
    pub(crate) fn memory_bytes(&self) -> usize {
        const ALLOCATION_OVERHEAD: usize = 16;
        let heap = |capacity: usize| {
            if capacity == 0 {
                0
            } else {
                capacity + ALLOCATION_OVERHEAD
            }
        };
        std::mem::size_of::<StoredLine>()
            + heap(self.text.capacity())
            + heap(self.attrs.capacity() * std::mem::size_of::<AttrRun>())
    }
}

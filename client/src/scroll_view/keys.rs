//! The scroll view's two key tables, as tmux 3.3 binds copy-mode-vi and copy-mode
//! (emacs) keys, chosen by tmux's `mode-keys`: each key names one [`Action`], and the
//! view carries out actions the same way whichever table named them. Only the keys
//! differ, so a motion or a selection behaves the same in both (but for the end of a
//! selection, `Selection::includes_end`, which tmux also draws apart).

use moshmux_proto::options::ModeKeys;
use moshmux_proto::user::Direction;
use moshmux_proto::SearchDirection;

use super::text::Words;
use crate::input::{Kind, NamedKey, Token};

/// What a key does in the view (not the mouse: the wheel is the same in both tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Close the view.
    Leave,
    /// vi's Esc: cancel the selection, or close the view when there is none.
    Escape,
    /// Cancel the selection, if any (emacs's C-g).
    ClearSelection,
    Up,
    Down,
    Left,
    Right,
    /// The start of the next word (vi's `w`, `W`).
    NextWord(Words),
    /// The start of this word or the one before (vi's `b`, emacs's M-b).
    PreviousWord(Words),
    /// The last character of the word (vi's `e`, `E`).
    WordEnd(Words),
    /// Just past the end of the word (emacs's M-f).
    PastWordEnd,
    LineStart,
    /// The line's first character that is not a space (vi's `^`, emacs's M-m).
    Indentation,
    LineEnd,
    TopRow,
    MiddleRow,
    BottomRow,
    /// Move the view by this many lines (emacs's C-Up, C-Down), the cursor keeping its
    /// row.
    Scroll(i64),
    HalfPageUp,
    HalfPageDown,
    PageUp,
    PageDown,
    /// The oldest line kept.
    Top,
    /// The newest line.
    Bottom,
    /// Start a selection at the cursor (vi's `v`, Space; emacs's C-Space): of
    /// characters, or a rectangle after a rectangle toggle.
    Select,
    /// vi's `V`: whole lines.
    SelectLines,
    ToggleRectangle,
    /// vi's `o`: the cursor to the selection's other end.
    SwapEnds,
    /// vi's `y` and Enter: copy the selection and close the view; nothing without one.
    Copy,
    /// emacs's M-w and C-w: copy any selection, and close the view with or without one.
    CopyAndLeave,
    /// Open the prompt for a search in this direction.
    Search(SearchDirection),
    /// `n`: the last search again.
    SearchAgain,
    /// `N`: the last search the other way.
    SearchReverse,
}

/// The action `token` names in the `keys` table; `None` for a key it does not bind.
pub fn action(token: &Token, keys: ModeKeys) -> Option<Action> {
    match keys {
        ModeKeys::Vi => vi(token),
        ModeKeys::Emacs => emacs(token),
    }
}

/// copy-mode-vi's keys, as the view had them before `mode-keys` existed. An Alt key is
/// Esc here: an Esc typed just before a key arrives as one.
fn vi(token: &Token) -> Option<Action> {
    let action = match token.kind {
        Kind::Escape | Kind::Alt(_) => Action::Escape,
        Kind::Key(Some(key)) => match key {
            NamedKey::Home => Action::Top,
            NamedKey::End => Action::Bottom,
            key => arrows_and_pages(key)?,
        },
        _ => match token.byte()? {
            b'q' | 0x03 => Action::Leave,
            b'k' => Action::Up,
            b'j' => Action::Down,
            b'h' | 0x7f | 0x08 => Action::Left,
            b'l' => Action::Right,
            b'w' => Action::NextWord(Words::Vi),
            b'W' => Action::NextWord(Words::Spaces),
            b'b' => Action::PreviousWord(Words::Vi),
            b'B' => Action::PreviousWord(Words::Spaces),
            b'e' => Action::WordEnd(Words::Vi),
            b'E' => Action::WordEnd(Words::Spaces),
            b'0' => Action::LineStart,
            b'^' => Action::Indentation,
            b'$' => Action::LineEnd,
            b'H' => Action::TopRow,
            b'M' => Action::MiddleRow,
            b'L' => Action::BottomRow,
            0x15 => Action::HalfPageUp,
            0x04 => Action::HalfPageDown,
            0x02 => Action::PageUp,
            0x06 => Action::PageDown,
            b'g' => Action::Top,
            b'G' => Action::Bottom,
            b'v' | b' ' => Action::Select,
            b'V' => Action::SelectLines,
            0x16 => Action::ToggleRectangle,
            b'o' => Action::SwapEnds,
            b'y' | b'\r' => Action::Copy,
            b'/' => Action::Search(SearchDirection::Older),
            b'?' => Action::Search(SearchDirection::Newer),
            b'n' => Action::SearchAgain,
            b'N' => Action::SearchReverse,
            _ => return None,
        },
    };
    Some(action)
}

/// copy-mode's (emacs) keys. tmux's searches there are incremental; here C-s and C-r
/// open the same prompt as vi's `?` and `/`, run on Enter.
fn emacs(token: &Token) -> Option<Action> {
    let action = match token.kind {
        Kind::Escape => Action::Leave,
        Kind::Alt(key) => match key {
            'f' => Action::PastWordEnd,
            'b' => Action::PreviousWord(Words::Vi),
            'm' => Action::Indentation,
            'v' => Action::PageUp,
            '<' => Action::Top,
            '>' => Action::Bottom,
            'R' => Action::TopRow,
            'r' => Action::MiddleRow,
            'w' => Action::CopyAndLeave,
            _ => return None,
        },
        Kind::Key(Some(key)) => match key {
            NamedKey::Home => Action::LineStart,
            NamedKey::End => Action::LineEnd,
            NamedKey::CtrlArrow(Direction::Up) => Action::Scroll(-1),
            NamedKey::CtrlArrow(Direction::Down) => Action::Scroll(1),
            NamedKey::AltArrow(Direction::Up) => Action::HalfPageUp,
            NamedKey::AltArrow(Direction::Down) => Action::HalfPageDown,
            key => arrows_and_pages(key)?,
        },
        _ => match token.byte()? {
            b'q' | 0x03 => Action::Leave,
            0x07 => Action::ClearSelection,
            0x10 => Action::Up,
            0x0e => Action::Down,
            0x02 => Action::Left,
            0x06 => Action::Right,
            0x01 => Action::LineStart,
            0x05 => Action::LineEnd,
            0x16 | b' ' => Action::PageDown,
            0x00 => Action::Select,
            b'R' => Action::ToggleRectangle,
            0x17 => Action::CopyAndLeave,
            0x13 => Action::Search(SearchDirection::Newer),
            0x12 => Action::Search(SearchDirection::Older),
            b'n' => Action::SearchAgain,
            b'N' => Action::SearchReverse,
            _ => return None,
        },
    };
    Some(action)
}

/// The arrows and the paging keys, which both tables bind alike (Shift-PageUp and
/// Shift-PageDown, which open the view, page it too).
fn arrows_and_pages(key: NamedKey) -> Option<Action> {
    Some(match key {
        NamedKey::Up => Action::Up,
        NamedKey::Down => Action::Down,
        NamedKey::Left => Action::Left,
        NamedKey::Right => Action::Right,
        NamedKey::PageUp | NamedKey::ShiftPageUp => Action::PageUp,
        NamedKey::PageDown | NamedKey::ShiftPageDown => Action::PageDown,
        _ => return None,
    })
}

#[cfg(test)]
mod tests;

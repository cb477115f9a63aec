//! tmux's preset layouts by name, and which way panes move through a window, as a key
//! binding, the command line and the user stream name them; the server arranges the
//! panes (`server/src/layout/`).

use serde::{Deserialize, Serialize};

/// The preset layouts, in the order `next-layout` cycles through them. Wire format:
/// append only.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    EvenHorizontal,
    EvenVertical,
    MainHorizontal,
    MainVertical,
    Tiled,
}

/// Which layout `select-layout`, `next-layout` or `previous-layout` asks for. Wire
/// format: append only.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayoutChoice {
    Preset(Preset),
    /// `next-layout` (prefix Space): the one after the window's last preset.
    Next,
    /// `previous-layout`.
    Previous,
    /// `select-layout` without a name: the window's last preset again, if it had one.
    Again,
    /// `select-layout -E` (prefix `E`): the cells beside the target pane made the same
    /// size, or the cells around theirs when they already are. No preset.
    SpreadOut,
}

/// Which way swap-pane (`-U`, `-D`) or rotate-window moves panes through a window's
/// index order. Wire format: append only.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Towards the first pane (tmux's `-U`).
    Up,
    /// Towards the last (`-D`).
    Down,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::EvenHorizontal,
        Preset::EvenVertical,
        Preset::MainHorizontal,
        Preset::MainVertical,
        Preset::Tiled,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::EvenHorizontal => "even-horizontal",
            Preset::EvenVertical => "even-vertical",
            Preset::MainHorizontal => "main-horizontal",
            Preset::MainVertical => "main-vertical",
            Preset::Tiled => "tiled",
        }
    }

    /// The preset a name or an unambiguous prefix of one names, as tmux looks it up.
    pub fn lookup(name: &str) -> Option<Preset> {
        if let Some(exact) = Preset::ALL.into_iter().find(|p| p.name() == name) {
            return Some(exact);
        }
        let mut matches = (Preset::ALL.into_iter()).filter(|p| p.name().starts_with(name));
        let first = matches.next()?;
        matches.next().is_none().then_some(first)
    }

    /// The one after `current` in the cycle; the first when none was chosen yet.
    pub fn next(current: Option<Preset>) -> Preset {
        let at = current.map_or(0, |p| p.position() + 1);
        Preset::ALL[at % Preset::ALL.len()]
    }

    /// The one before `current` in the cycle; the last when none was chosen yet.
    pub fn previous(current: Option<Preset>) -> Preset {
        let count = Preset::ALL.len();
        let at = current.map_or(count - 1, |p| (p.position() + count - 1) % count);
        Preset::ALL[at]
    }

    fn position(self) -> usize {
        Preset::ALL.iter().position(|&p| p == self).unwrap_or(0)
    }
}

impl LayoutChoice {
    /// The preset this choice picks for a window whose last preset was `last`; `None`
    /// for `Again` with no last preset (tmux then does nothing).
    pub fn pick(self, last: Option<Preset>) -> Option<Preset> {
        match self {
            LayoutChoice::Preset(preset) => Some(preset),
            LayoutChoice::Next => Some(Preset::next(last)),
            LayoutChoice::Previous => Some(Preset::previous(last)),
            LayoutChoice::Again => last,
            LayoutChoice::SpreadOut => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_exactly_or_by_an_unambiguous_prefix() {
        assert_eq!(Preset::lookup("tiled"), Some(Preset::Tiled));
        assert_eq!(Preset::lookup("t"), Some(Preset::Tiled));
        assert_eq!(Preset::lookup("main-v"), Some(Preset::MainVertical));
        assert_eq!(Preset::lookup("even"), None);
        assert_eq!(Preset::lookup("spiral"), None);
    }

    #[test]
    fn next_and_previous_cycle_and_start_at_the_ends() {
        assert_eq!(LayoutChoice::Next.pick(None), Some(Preset::EvenHorizontal));
        assert_eq!(
            LayoutChoice::Next.pick(Some(Preset::Tiled)),
            Some(Preset::EvenHorizontal)
        );
        assert_eq!(LayoutChoice::Previous.pick(None), Some(Preset::Tiled));
        assert_eq!(
            LayoutChoice::Previous.pick(Some(Preset::EvenHorizontal)),
            Some(Preset::Tiled)
        );
        assert_eq!(LayoutChoice::Again.pick(None), None);
        assert_eq!(
            LayoutChoice::Again.pick(Some(Preset::MainVertical)),
            Some(Preset::MainVertical)
        );
    }
}

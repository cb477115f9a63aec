//! A window's split layout: a binary tree whose leaves are panes and whose inner nodes
//! split their rectangle in two, with a one-cell border between the halves as tmux draws.
//!
//! Splits store the first half's share of the space as a ratio rather than a cell count,
//! so a window resize reflows every pane in proportion. A fresh split reproduces tmux's
//! cell counts exactly (the new pane gets `(n + 1) / 2 - 1` cells, or the asked
//! percentage), so users and tests see the numbers tmux would show.

use crate::pane_id::{PaneId, Size};
use serde::{Deserialize, Serialize};

mod order;
mod preset;
mod resize;
mod spread;

/// Fewest cells a pane keeps along a split, as tmux's `PANE_MINIMUM`.
const PANE_MINIMUM: u16 = 1;

/// Where a split puts its new pane (tmux's `split-window -b` and `-f`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitPlacement {
    /// Left of or above the target, rather than right of or below it.
    pub before: bool,
    /// Across the whole window, beside every pane, rather than in the target's place.
    pub full: bool,
}

/// A pane's rectangle in window cells.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: u16,
    pub y: u16,
    pub cols: u16,
    pub rows: u16,
}

impl Rect {
    pub fn size(&self) -> Size {
        Size {
            rows: self.rows,
            cols: self.cols,
        }
    }
}

/// How a split divides its rectangle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Orientation {
    /// Left and right halves with a vertical border (tmux `split-window -h`).
    SideBySide,
    /// Top and bottom halves with a horizontal border (tmux `split-window -v`).
    Stacked,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LayoutError {
    #[error("no space for new pane")]
    NoSpace,
    #[error("pane {0} is not in this window")]
    NoSuchPane(PaneId),
    /// tmux would make the window larger than its clients show; this refuses.
    #[error("the window is too small for its panes in the {0} layout")]
    TooSmall(&'static str),
}

/// A length in cells, or in percent of a whole (a window's, a split pane's).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Length {
    Cells(u16),
    Percent(u16),
}

impl Length {
    /// The length in cells, in a window `whole` cells long.
    pub fn cells(self, whole: u16) -> u16 {
        match self {
            Length::Cells(cells) => cells,
            Length::Percent(percent) => {
                let cells = u32::from(whole) * u32::from(percent) / 100;
                u16::try_from(cells).unwrap_or(u16::MAX)
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Node {
    Pane(PaneId),
    Split {
        orientation: Orientation,
        /// The first half's share of the cells left after the border.
        ratio: f64,
        first: Box<Node>,
        second: Box<Node>,
    },
}

impl Node {
    fn collect(&self, out: &mut Vec<PaneId>) {
        match self {
            Node::Pane(id) => out.push(*id),
            Node::Split { first, second, .. } => {
                first.collect(out);
                second.collect(out);
            }
        }
    }

    fn place(&self, rect: Rect, out: &mut Vec<(PaneId, Rect)>) {
        match self {
            Node::Pane(id) => out.push((*id, rect)),
            Node::Split {
                orientation,
                ratio,
                first,
                second,
            } => {
                let (a, b) = divide(rect, *orientation, *ratio);
                first.place(a, out);
                second.place(b, out);
            }
        }
    }

    /// The pane nearest to the split's border on the given side.
    fn edge_pane(&self, first_side: bool) -> PaneId {
        match self {
            Node::Pane(id) => *id,
            Node::Split { first, second, .. } if first_side => first.edge_pane(true),
            Node::Split { second, .. } => second.edge_pane(false),
        }
    }
}

/// Cells of a split's length that go to its first half, leaving one for the border.
fn first_len(total: u16, ratio: f64) -> u16 {
    let available = total.saturating_sub(1);
    if available < 2 * PANE_MINIMUM {
        return available;
    }
    let wanted = (f64::from(available) * ratio).round() as u16;
    wanted.clamp(PANE_MINIMUM, available - PANE_MINIMUM)
}

fn divide(rect: Rect, orientation: Orientation, ratio: f64) -> (Rect, Rect) {
    match orientation {
        Orientation::SideBySide => {
            let first = first_len(rect.cols, ratio);
            let second = rect.cols.saturating_sub(first + 1);
            (
                Rect {
                    cols: first,
                    ..rect
                },
                Rect {
                    x: rect.x + first + 1,
                    cols: second,
                    ..rect
                },
            )
        }
        Orientation::Stacked => {
            let first = first_len(rect.rows, ratio);
            let second = rect.rows.saturating_sub(first + 1);
            (
                Rect {
                    rows: first,
                    ..rect
                },
                Rect {
                    y: rect.y + first + 1,
                    rows: second,
                    ..rect
                },
            )
        }
    }
}

#[derive(Clone, Debug)]
pub struct Layout {
    root: Node,
    size: Size,
}

impl Layout {
    pub fn new(pane: PaneId, size: Size) -> Layout {
        Layout {
            root: Node::Pane(pane),
            size,
        }
    }

    pub fn size(&self) -> Size {
        self.size
    }

    /// Panes in tmux's index order: left to right and top to bottom within each split.
    pub fn panes(&self) -> Vec<PaneId> {
        let mut out = Vec::new();
        self.root.collect(&mut out);
        out
    }

    /// Every pane's rectangle, in index order.
    pub fn geometry(&self) -> Vec<(PaneId, Rect)> {
        let mut out = Vec::new();
        let whole = Rect {
            x: 0,
            y: 0,
            cols: self.size.cols,
            rows: self.size.rows,
        };
        self.root.place(whole, &mut out);
        out
    }

    pub fn rect(&self, pane: PaneId) -> Option<Rect> {
        self.geometry()
            .into_iter()
            .find(|(id, _)| *id == pane)
            .map(|(_, rect)| rect)
    }

    /// Splits `target`, putting `new` right of or below it. `size` is the new pane's
    /// length (percent: of the target's cells); without it the new pane gets half,
    /// rounded down.
    pub fn split(
        &mut self,
        target: PaneId,
        new: PaneId,
        orientation: Orientation,
        size: Option<Length>,
    ) -> Result<(), LayoutError> {
        self.split_placed(target, new, orientation, size, SplitPlacement::default())
    }

    /// [`Layout::split`], with the new pane before the target (left or above) and
    /// taking the larger half, or splitting the whole window rather than the target
    /// (then a percentage is of the window), as tmux's `split-window -b` and `-f`.
    pub fn split_placed(
        &mut self,
        target: PaneId,
        new: PaneId,
        orientation: Orientation,
        size: Option<Length>,
        placement: SplitPlacement,
    ) -> Result<(), LayoutError> {
        let rect = self.rect(target).ok_or(LayoutError::NoSuchPane(target))?;
        let rect = if placement.full {
            Rect {
                x: 0,
                y: 0,
                cols: self.size.cols,
                rows: self.size.rows,
            }
        } else {
            rect
        };
        let total = match orientation {
            Orientation::SideBySide => rect.cols,
            Orientation::Stacked => rect.rows,
        };
        if total < 2 * PANE_MINIMUM + 1 {
            return Err(LayoutError::NoSpace);
        }
        // tmux sizes the second (right or lower) half, whichever pane goes there.
        let second = match (size, placement.before) {
            (None, _) => total.div_ceil(2) - 1,
            (Some(size), true) => total.saturating_sub(size.cells(total) + 1),
            (Some(size), false) => size.cells(total),
        }
        .clamp(PANE_MINIMUM, total - 2);
        let available = total - 1;
        let ratio = f64::from(available - second) / f64::from(available);
        let split = if placement.full {
            &mut self.root
        } else {
            find_leaf(&mut self.root, target).ok_or(LayoutError::NoSuchPane(target))?
        };
        let old = std::mem::replace(split, Node::Pane(new));
        let (first, second) = if placement.before {
            (Node::Pane(new), old)
        } else {
            (old, Node::Pane(new))
        };
        *split = Node::Split {
            orientation,
            ratio,
            first: Box::new(first),
            second: Box::new(second),
        };
        Ok(())
    }

    /// Removes a pane; its sibling takes its space. Returns the pane that now borders the
    /// freed space (the natural one to make active), or None if `pane` was the only one,
    /// which the layout cannot lose: the caller closes the window instead.
    pub fn remove(&mut self, pane: PaneId) -> Result<Option<PaneId>, LayoutError> {
        if let Node::Pane(only) = self.root {
            return if only == pane {
                Ok(None)
            } else {
                Err(LayoutError::NoSuchPane(pane))
            };
        }
        remove_from(&mut self.root, pane)
            .map(Some)
            .ok_or(LayoutError::NoSuchPane(pane))
    }

    /// Reflows every pane to a new window size, keeping each split's proportions.
    pub fn resize(&mut self, size: Size) {
        self.size = size;
    }
}

fn find_leaf(node: &mut Node, pane: PaneId) -> Option<&mut Node> {
    match node {
        Node::Pane(id) if *id == pane => Some(node),
        Node::Pane(_) => None,
        Node::Split { first, second, .. } => {
            find_leaf(first, pane).or_else(|| find_leaf(second, pane))
        }
    }
}

/// Replaces the split holding `pane` by the pane's sibling; returns the sibling's pane
/// nearest the old border.
fn remove_from(node: &mut Node, pane: PaneId) -> Option<PaneId> {
    let Node::Split { first, second, .. } = node else {
        return None;
    };
    let (survivor, first_side) = if matches!(**first, Node::Pane(id) if id == pane) {
        (std::mem::replace(&mut **second, Node::Pane(pane)), true)
    } else if matches!(**second, Node::Pane(id) if id == pane) {
        (std::mem::replace(&mut **first, Node::Pane(pane)), false)
    } else {
        return remove_from(first, pane).or_else(|| remove_from(second, pane));
    };
    let heir = survivor.edge_pane(first_side);
    *node = survivor;
    Some(heir)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P0: PaneId = PaneId(0);
    const P1: PaneId = PaneId(1);
    const P2: PaneId = PaneId(2);

    fn size(cols: u16, rows: u16) -> Size {
        Size { rows, cols }
    }

    fn rect(x: u16, y: u16, cols: u16, rows: u16) -> Rect {
        Rect { x, y, cols, rows }
    }

    #[test]
    fn halves_match_tmux() {
        let mut layout = Layout::new(P0, size(80, 24));
        layout.split(P0, P1, Orientation::SideBySide, None).unwrap();
        assert_eq!(
            layout.geometry(),
            vec![(P0, rect(0, 0, 40, 24)), (P1, rect(41, 0, 39, 24))]
        );
        layout.split(P1, P2, Orientation::Stacked, None).unwrap();
        assert_eq!(
            layout.geometry(),
            vec![
                (P0, rect(0, 0, 40, 24)),
                (P1, rect(41, 0, 39, 12)),
                (P2, rect(41, 13, 39, 11)),
            ]
        );
    }

    #[test]
    fn percentage_is_the_new_panes_share() {
        let mut layout = Layout::new(P0, size(80, 24));
        layout
            .split(P0, P1, Orientation::SideBySide, Some(Length::Percent(30)))
            .unwrap();
        assert_eq!(layout.rect(P1), Some(rect(56, 0, 24, 24)));
        assert_eq!(layout.rect(P0), Some(rect(0, 0, 55, 24)));
    }

    #[test]
    fn resize_reflows_in_proportion() {
        let mut layout = Layout::new(P0, size(80, 24));
        layout.split(P0, P1, Orientation::SideBySide, None).unwrap();
        layout.split(P0, P2, Orientation::Stacked, None).unwrap();
        layout.resize(size(161, 49));
        assert_eq!(
            layout.geometry(),
            vec![
                (P0, rect(0, 0, 81, 25)),
                (P2, rect(0, 26, 81, 23)),
                (P1, rect(82, 0, 79, 49)),
            ]
        );
        layout.resize(size(80, 24));
        assert_eq!(layout.rect(P1), Some(rect(41, 0, 39, 24)));
    }

    #[test]
    fn sibling_takes_the_space_of_a_removed_pane() {
        let mut layout = Layout::new(P0, size(80, 24));
        layout.split(P0, P1, Orientation::SideBySide, None).unwrap();
        layout.split(P1, P2, Orientation::Stacked, None).unwrap();
        assert_eq!(layout.remove(P2), Ok(Some(P1)));
        assert_eq!(layout.rect(P1), Some(rect(41, 0, 39, 24)));
        assert_eq!(layout.remove(P0), Ok(Some(P1)));
        assert_eq!(layout.geometry(), vec![(P1, rect(0, 0, 80, 24))]);
        assert_eq!(layout.remove(P1), Ok(None));
        assert_eq!(layout.remove(P0), Err(LayoutError::NoSuchPane(P0)));
    }

    #[test]
    fn removed_subtree_heir_is_the_pane_next_to_the_border() {
        let mut layout = Layout::new(P0, size(80, 24));
        layout.split(P0, P1, Orientation::SideBySide, None).unwrap();
        layout.split(P0, P2, Orientation::SideBySide, None).unwrap();
        // P0 | P2 | P1: removing P1 hands its space to P2's subtree, nearest pane P2.
        assert_eq!(layout.remove(P1), Ok(Some(P2)));
        assert_eq!(layout.panes(), vec![P0, P2]);
    }

    #[test]
    fn tiny_panes_refuse_to_split() {
        let mut layout = Layout::new(P0, size(2, 24));
        assert_eq!(
            layout.split(P0, P1, Orientation::SideBySide, None),
            Err(LayoutError::NoSpace)
        );
        layout.resize(size(3, 24));
        layout.split(P0, P1, Orientation::SideBySide, None).unwrap();
        assert_eq!(
            layout.geometry(),
            vec![(P0, rect(0, 0, 1, 24)), (P1, rect(2, 0, 1, 24))]
        );
    }

    #[test]
    fn rectangles_tile_the_window_with_borders_at_any_size() {
        let mut layout = Layout::new(P0, size(80, 24));
        layout
            .split(P0, P1, Orientation::SideBySide, Some(Length::Percent(33)))
            .unwrap();
        layout
            .split(P1, P2, Orientation::Stacked, Some(Length::Percent(70)))
            .unwrap();
        for (cols, rows) in [(3, 3), (10, 5), (79, 23), (200, 60)] {
            layout.resize(size(cols, rows));
            let cells: u32 = layout
                .geometry()
                .iter()
                .map(|(_, r)| u32::from(r.cols) * u32::from(r.rows))
                .sum();
            // One border column full height, one border row across the right half.
            let right = layout.rect(P1).unwrap().cols;
            let expected = u32::from(cols) * u32::from(rows) - u32::from(rows) - u32::from(right);
            assert_eq!(cells, expected, "at {cols}x{rows}");
        }
    }
}

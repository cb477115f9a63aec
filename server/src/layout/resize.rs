//! Moving one border, as tmux's resize-pane does: the border after the pane's cell in
//! the nearest run of splits of that orientation (before it, for the run's last cell),
//! with every pane not touching that border keeping its size.
//!
//! A run of same-orientation splits nested in each other is one of tmux's n-ary layout
//! cells: `a | b | c` is `Split(a, Split(b, c))` or `Split(Split(a, b), c)` depending on
//! which pane was split, and the border after `b` is whichever split has `b`'s side
//! first. Unlike tmux, a border stops where the pane next to it is at its minimum
//! instead of pushing the panes beyond.

use super::{first_len, Layout, LayoutError, Node, Orientation, PANE_MINIMUM};
use crate::pane_id::PaneId;

/// One split on the way from the root to a pane.
struct Step {
    /// Whether it splits across the orientation being resized.
    same: bool,
    /// Whether the pane is in its second half.
    second: bool,
    /// Its length along that orientation, and its half's that holds the pane.
    len: u16,
    half: u16,
}

/// The border a resize moves: the split's path from the root and its length, and the
/// pane's cell beside it.
struct Border {
    path: Vec<bool>,
    len: u16,
    /// The length of the pane's cell in its run of splits.
    cell: u16,
    /// Whether that cell is the run's last, so the border is the one before it.
    last: bool,
}

impl Layout {
    /// Moves the border of `pane`'s cell across `orientation` by `change` cells
    /// (negative: left or up); returns whether it moved.
    pub fn resize_pane(
        &mut self,
        pane: PaneId,
        orientation: Orientation,
        change: i32,
    ) -> Result<bool, LayoutError> {
        let Some(border) = self.border(pane, orientation)? else {
            return Ok(false);
        };
        Ok(move_border(&mut self.root, &border, orientation, change))
    }

    /// Gives `pane`'s cell `length` cells across `orientation` (tmux's -x and -y), by
    /// moving the border `resize_pane` moves; returns whether it moved.
    pub fn resize_pane_to(
        &mut self,
        pane: PaneId,
        orientation: Orientation,
        length: u16,
    ) -> Result<bool, LayoutError> {
        let Some(border) = self.border(pane, orientation)? else {
            return Ok(false);
        };
        let change = i32::from(length) - i32::from(border.cell);
        let change = if border.last { -change } else { change };
        Ok(move_border(&mut self.root, &border, orientation, change))
    }

    /// The border `pane`'s resize moves; `None` if no split of that orientation holds
    /// the pane.
    fn border(
        &self,
        pane: PaneId,
        orientation: Orientation,
    ) -> Result<Option<Border>, LayoutError> {
        let mut path = Vec::new();
        if !path_to(&self.root, pane, &mut path) {
            return Err(LayoutError::NoSuchPane(pane));
        }
        let mut steps = Vec::new();
        let mut node = &self.root;
        let mut len = match orientation {
            Orientation::SideBySide => self.size.cols,
            Orientation::Stacked => self.size.rows,
        };
        for &second in &path {
            let Node::Split {
                orientation: split,
                ratio,
                first,
                second: other,
            } = node
            else {
                break;
            };
            let same = *split == orientation;
            let half = match (same, second) {
                (false, _) => len,
                (true, false) => first_len(len, *ratio),
                (true, true) => len.saturating_sub(first_len(len, *ratio) + 1),
            };
            steps.push(Step {
                same,
                second,
                len,
                half,
            });
            len = half;
            node = if second { other } else { first };
        }
        // The nearest split of the orientation, then up its run.
        let Some(nearest) = steps.iter().rposition(|step| step.same) else {
            return Ok(None);
        };
        let run = steps[..=nearest]
            .iter()
            .rev()
            .take_while(|step| step.same)
            .count();
        let after = (nearest + 1 - run..=nearest)
            .rev()
            .find(|&depth| !steps[depth].second);
        let (depth, last) = match after {
            Some(depth) => (depth, false),
            None => (nearest, true),
        };
        Ok(Some(Border {
            path: path[..depth].to_vec(),
            len: steps[depth].len,
            cell: steps[nearest].half,
            last,
        }))
    }
}

pub(super) fn path_to(node: &Node, pane: PaneId, path: &mut Vec<bool>) -> bool {
    match node {
        Node::Pane(id) => *id == pane,
        Node::Split { first, second, .. } => {
            for (side, half) in [(false, first), (true, second)] {
                path.push(side);
                if path_to(half, pane, path) {
                    return true;
                }
                path.pop();
            }
            false
        }
    }
}

/// The node at the end of `path` (false: first half, true: second) from `root`.
pub(super) fn node_at<'a>(root: &'a mut Node, path: &[bool]) -> Option<&'a mut Node> {
    let mut node = root;
    for &second in path {
        let Node::Split {
            first,
            second: other,
            ..
        } = node
        else {
            return None;
        };
        node = if second { other } else { first };
    }
    Some(node)
}

/// Moves `border` by `change`, as far as the panes beside it allow; returns whether it
/// moved.
fn move_border(root: &mut Node, border: &Border, orientation: Orientation, change: i32) -> bool {
    let Some(node) = node_at(root, &border.path) else {
        return false;
    };
    let Node::Split {
        ratio,
        first,
        second,
        ..
    } = node
    else {
        return false;
    };
    let len = border.len;
    if len < 3 {
        return false;
    }
    let first_part = first_len(len, *ratio);
    let second_part = len.saturating_sub(first_part + 1);
    let change = if change > 0 {
        change.min(i32::from(give(second, second_part, orientation, false)))
    } else {
        change.max(-i32::from(give(first, first_part, orientation, true)))
    };
    let Ok(moved) = u16::try_from(i32::from(first_part) + change) else {
        return false;
    };
    if change == 0 {
        return false;
    }
    pin(first, first_part, moved, orientation, true);
    pin(second, second_part, len - moved - 1, orientation, false);
    *ratio = f64::from(moved) / f64::from(len - 1);
    true
}

/// How many cells `node` (of length `len`) can give up at its end (or start), with only
/// the panes along that edge shrinking.
fn give(node: &Node, len: u16, orientation: Orientation, at_end: bool) -> u16 {
    match node {
        Node::Pane(_) => len.saturating_sub(PANE_MINIMUM),
        Node::Split {
            orientation: split,
            ratio,
            first,
            second,
        } if *split == orientation => {
            let first_part = first_len(len, *ratio);
            if at_end {
                give(
                    second,
                    len.saturating_sub(first_part + 1),
                    orientation,
                    true,
                )
            } else {
                give(first, first_part, orientation, false)
            }
        }
        Node::Split { first, second, .. } => {
            give(first, len, orientation, at_end).min(give(second, len, orientation, at_end))
        }
    }
}

/// Makes `node` `new` cells long instead of `old`, the panes along its end (or start)
/// taking the difference and every other pane keeping its length.
fn pin(node: &mut Node, old: u16, new: u16, orientation: Orientation, at_end: bool) {
    match node {
        Node::Pane(_) => {}
        Node::Split {
            orientation: split,
            ratio,
            first,
            second,
        } if *split == orientation => {
            let first_part = first_len(old, *ratio);
            let second_part = old.saturating_sub(first_part + 1);
            let available = f64::from(new.saturating_sub(1).max(1));
            if at_end {
                *ratio = f64::from(first_part) / available;
                let rest = new.saturating_sub(first_part + 1);
                pin(second, second_part, rest, orientation, true);
            } else {
                let rest = new.saturating_sub(second_part + 1);
                *ratio = f64::from(rest) / available;
                pin(first, first_part, rest, orientation, false);
            }
        }
        Node::Split { first, second, .. } => {
            pin(first, old, new, orientation, at_end);
            pin(second, old, new, orientation, at_end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pane_id::Size;

    const P0: PaneId = PaneId(0);
    const P1: PaneId = PaneId(1);
    const P2: PaneId = PaneId(2);
    const ACROSS: Orientation = Orientation::SideBySide;

    /// Each pane's left column and width, in index order.
    fn columns(layout: &Layout) -> Vec<(u16, u16)> {
        let geometry = layout.geometry();
        geometry.iter().map(|(_, r)| (r.x, r.cols)).collect()
    }

    // The figures are tmux 3.3's for the same commands at 80x24; the end-to-end script
    // test compares against a running tmux.
    #[test]
    fn the_border_after_the_pane_moves_or_before_the_last() {
        let mut layout = Layout::new(P0, Size { rows: 24, cols: 80 });
        layout.split(P0, P1, ACROSS, None).unwrap();
        assert_eq!(layout.resize_pane(P0, ACROSS, 5), Ok(true));
        assert_eq!(columns(&layout), [(0, 45), (46, 34)]);
        assert_eq!(layout.resize_pane(P1, ACROSS, 3), Ok(true));
        assert_eq!(columns(&layout), [(0, 48), (49, 31)]);
        assert_eq!(layout.resize_pane(P1, ACROSS, -10), Ok(true));
        assert_eq!(columns(&layout), [(0, 38), (39, 41)]);
        // No split across rows: nothing to move.
        assert_eq!(layout.resize_pane(P0, Orientation::Stacked, 2), Ok(false));
    }

    #[test]
    fn a_middle_pane_moves_its_own_border_and_the_others_keep_their_size() {
        let mut layout = Layout::new(P0, Size { rows: 24, cols: 80 });
        layout.split(P0, P1, ACROSS, None).unwrap();
        layout.resize_pane(P1, ACROSS, -2).unwrap();
        layout.split(P0, P2, ACROSS, None).unwrap();
        assert_eq!(columns(&layout), [(0, 19), (20, 18), (39, 41)]);
        layout.resize_pane(P2, ACROSS, 4).unwrap();
        assert_eq!(columns(&layout), [(0, 19), (20, 22), (43, 37)]);
        layout.resize_pane_to(P2, ACROSS, 30).unwrap();
        assert_eq!(columns(&layout), [(0, 19), (20, 30), (51, 29)]);
        layout.resize_pane_to(P1, ACROSS, 40).unwrap();
        assert_eq!(columns(&layout), [(0, 19), (20, 19), (40, 40)]);
    }

    #[test]
    fn a_border_stops_at_the_smallest_pane() {
        let mut layout = Layout::new(P0, Size { rows: 24, cols: 80 });
        layout.split(P0, P1, ACROSS, None).unwrap();
        assert_eq!(layout.resize_pane(P0, ACROSS, 500), Ok(true));
        assert_eq!(columns(&layout), [(0, 78), (79, 1)]);
        assert_eq!(layout.resize_pane(P0, ACROSS, 1), Ok(false));
        assert_eq!(layout.resize_pane(P0, ACROSS, -500), Ok(true));
        assert_eq!(columns(&layout), [(0, 1), (2, 78)]);
    }
}

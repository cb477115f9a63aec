//! tmux's preset layouts (`select-layout`, `next-layout`, `C-b Space`, `M-1`..`M-5`):
//! every pane of a window rearranged, in index order, with the cell counts tmux 3.3 gives.
//!
//! tmux builds a tree whose nodes hold any number of children along one direction; the
//! layout here is binary, so a row of k cells becomes a chain of k - 1 splits whose
//! ratios reproduce each cell's length exactly at the window's present size.

use super::{Layout, Node, Orientation, PANE_MINIMUM};
use crate::pane_id::{PaneId, Size};
use moshmux_proto::layouts::Preset;

/// tmux's default `main-pane-height` and `main-pane-width`.
const MAIN_PANE_ROWS: u16 = 24;
const MAIN_PANE_COLS: u16 = 80;

/// Parts of a line, each with its length along `orientation`, as the chain of splits
/// `Split(p1, Split(p2, ...))`: each split's ratio gives its first part exactly its
/// length of the cells beside the border. Returns the line's whole length too.
fn line(orientation: Orientation, parts: Vec<(u16, Node)>) -> Option<(u16, Node)> {
    let mut parts = parts.into_iter().rev();
    let (mut len, mut node) = parts.next()?;
    for (first_len, first) in parts {
        let total = first_len + 1 + len;
        node = Node::Split {
            orientation,
            ratio: f64::from(first_len) / f64::from(total - 1),
            first: Box::new(first),
            second: Box::new(node),
        };
        len = total;
    }
    Some((len, node))
}

/// `n` lengths spread over `total` cells as tmux spreads them: equal, the last taking
/// what the division leaves. `None` when a pane would get no cell.
pub(super) fn spread(total: u16, n: usize) -> Option<Vec<u16>> {
    let n16 = u16::try_from(n).ok()?;
    let each = total.checked_sub(n16.checked_sub(1)?)? / n16;
    if each < PANE_MINIMUM {
        return None;
    }
    let mut lengths = vec![each; n - 1];
    lengths.push(total - (each + 1) * (n16 - 1));
    Some(lengths)
}

/// The panes as a line with these lengths.
fn pane_line(orientation: Orientation, panes: &[PaneId], lengths: Vec<u16>) -> Option<Node> {
    let parts = lengths
        .into_iter()
        .zip(panes.iter().map(|&id| Node::Pane(id)));
    line(orientation, parts.collect()).map(|(_, node)| node)
}

/// The main pane's length and the others' along `total` cells, with tmux's default
/// main size and the rule that the others keep at least one cell.
fn main_split(total: u16, main_default: u16) -> Option<(u16, u16)> {
    let available = total.checked_sub(1)?;
    if main_default + PANE_MINIMUM < available {
        return Some((main_default, available - main_default));
    }
    if available <= 2 * PANE_MINIMUM {
        return None;
    }
    Some((available - PANE_MINIMUM, PANE_MINIMUM))
}

/// `main-horizontal` (the first pane on top, the others in a row under it) or
/// `main-vertical` (on the left, the others stacked right of it).
fn main_and_others(panes: &[PaneId], along: Orientation, total: u16, across: u16) -> Option<Node> {
    let (default, others_direction) = match along {
        Orientation::Stacked => (MAIN_PANE_ROWS, Orientation::SideBySide),
        Orientation::SideBySide => (MAIN_PANE_COLS, Orientation::Stacked),
    };
    let (main, other) = main_split(total, default)?;
    let (first, rest) = panes.split_first()?;
    let others = pane_line(others_direction, rest, spread(across, rest.len())?)?;
    let parts = vec![(main, Node::Pane(*first)), (other, others)];
    line(along, parts).map(|(_, node)| node)
}

/// `tiled`: rows of equal panes, as many columns as rows or one fewer; the last pane of
/// each row and the last row take what the division leaves, and a pane alone in the
/// last row takes the whole width.
fn tiled(panes: &[PaneId], cols: u16, rows: u16) -> Option<Node> {
    let (mut grid_rows, mut grid_cols) = (1u16, 1u16);
    while usize::from(grid_rows * grid_cols) < panes.len() {
        grid_rows += 1;
        if usize::from(grid_rows * grid_cols) < panes.len() {
            grid_cols += 1;
        }
    }
    let width = cols.checked_sub(grid_cols - 1)? / grid_cols;
    let height = rows.checked_sub(grid_rows - 1)? / grid_rows;
    if width < PANE_MINIMUM || height < PANE_MINIMUM {
        return None;
    }
    let mut row_nodes = Vec::new();
    for row in panes.chunks(usize::from(grid_cols)) {
        let count = u16::try_from(row.len()).ok()?;
        let mut lengths = vec![width; row.len() - 1];
        lengths.push(cols - (width + 1) * (count - 1));
        row_nodes.push(pane_line(Orientation::SideBySide, row, lengths)?);
    }
    let count = u16::try_from(row_nodes.len()).ok()?;
    let mut heights = vec![height; row_nodes.len() - 1];
    heights.push(rows - (height + 1) * (count - 1));
    let parts = heights.into_iter().zip(row_nodes).collect();
    line(Orientation::Stacked, parts).map(|(_, node)| node)
}

impl Layout {
    /// Rearranges every pane, in index order, as `preset` does in tmux. False, with the
    /// layout unchanged, when the window is too small for that many panes that way (tmux
    /// would grow the window past what the client shows); a lone pane has nothing to
    /// arrange.
    pub fn arrange(&mut self, preset: Preset) -> bool {
        let panes = self.panes();
        if panes.len() < 2 {
            return true;
        }
        let Size { rows, cols } = self.size;
        let arranged = match preset {
            Preset::EvenHorizontal => spread(cols, panes.len())
                .and_then(|lengths| pane_line(Orientation::SideBySide, &panes, lengths)),
            Preset::EvenVertical => spread(rows, panes.len())
                .and_then(|lengths| pane_line(Orientation::Stacked, &panes, lengths)),
            Preset::MainHorizontal => main_and_others(&panes, Orientation::Stacked, rows, cols),
            Preset::MainVertical => main_and_others(&panes, Orientation::SideBySide, cols, rows),
            Preset::Tiled => tiled(&panes, cols, rows),
        };
        match arranged {
            Some(root) => {
                self.root = root;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests;

//! tmux's `select-layout -E` (prefix `E`): the cells beside a pane made the same size.
//!
//! tmux spreads the children of the pane's layout cell evenly, or when they already are,
//! those of the cell above, and so on. Here a layout cell of k children is a run of k - 1
//! splits of one orientation (see `resize.rs`), so a spread gives each split of the run
//! the ratio that makes its cells the lengths tmux's spread gives them.

use super::preset::spread;
use super::resize::{node_at, path_to};
use super::{divide, first_len, Layout, LayoutError, Node, Orientation, Rect, PANE_MINIMUM};
use crate::pane_id::PaneId;

impl Layout {
    /// Spreads the run of splits that holds `pane` evenly, or the nearest run around it
    /// that is not even yet; false when every run is already even (or too small).
    pub fn spread_out(&mut self, pane: PaneId) -> Result<bool, LayoutError> {
        let mut path = Vec::new();
        if !path_to(&self.root, pane, &mut path) {
            return Err(LayoutError::NoSuchPane(pane));
        }
        // The depths on the path where a run starts: a split under no split of its own
        // orientation.
        let mut starts = Vec::new();
        let mut node = &self.root;
        let mut rect = self.whole();
        let mut above: Option<Orientation> = None;
        for (depth, &second) in path.iter().enumerate() {
            let Node::Split {
                orientation,
                ratio,
                first,
                second: other,
            } = node
            else {
                break;
            };
            if above != Some(*orientation) {
                starts.push((depth, rect));
            }
            above = Some(*orientation);
            let (a, b) = divide(rect, *orientation, *ratio);
            (node, rect) = if second { (&**other, b) } else { (&**first, a) };
        }
        let before = self.geometry();
        for &(depth, rect) in starts.iter().rev() {
            let saved = self.root.clone();
            if let Some(run) = node_at(&mut self.root, &path[..depth]) {
                spread_run(run, rect);
            }
            if self.geometry() != before {
                return Ok(true);
            }
            self.root = saved;
        }
        Ok(false)
    }

    fn whole(&self) -> Rect {
        Rect {
            x: 0,
            y: 0,
            cols: self.size.cols,
            rows: self.size.rows,
        }
    }
}

/// The cells of the run rooted at `node`: its descendants of another orientation (or
/// panes), in order.
fn run_cells<'a>(node: &'a Node, orientation: Orientation, out: &mut Vec<&'a Node>) {
    match node {
        Node::Split {
            orientation: own,
            first,
            second,
            ..
        } if *own == orientation => {
            run_cells(first, orientation, out);
            run_cells(second, orientation, out);
        }
        _ => out.push(node),
    }
}

fn run_cells_mut<'a>(node: &'a mut Node, orientation: Orientation, out: &mut Vec<&'a mut Node>) {
    let in_run = matches!(node, Node::Split { orientation: own, .. } if *own == orientation);
    if !in_run {
        out.push(node);
    } else if let Node::Split { first, second, .. } = node {
        run_cells_mut(first, orientation, out);
        run_cells_mut(second, orientation, out);
    }
}

/// The lengths of the run's cells when the run is `len` long.
fn run_lengths(node: &Node, orientation: Orientation, len: u16, out: &mut Vec<u16>) {
    match node {
        Node::Split {
            orientation: own,
            ratio,
            first,
            second,
        } if *own == orientation => {
            let a = first_len(len, *ratio);
            run_lengths(first, orientation, a, out);
            run_lengths(second, orientation, len.saturating_sub(a + 1), out);
        }
        _ => out.push(len),
    }
}

/// A layout cell as tmux sees it, with its length along the orientation being changed:
/// a pane, or a run whose cells lie along that orientation (`along`) or across it.
struct Cell {
    len: u16,
    along: bool,
    cells: Vec<Cell>,
}

impl Cell {
    fn of(node: &Node, orientation: Orientation, len: u16) -> Cell {
        let Node::Split {
            orientation: own, ..
        } = node
        else {
            return Cell {
                len,
                along: false,
                cells: Vec::new(),
            };
        };
        let along = *own == orientation;
        let mut nodes = Vec::new();
        run_cells(node, *own, &mut nodes);
        let mut lengths = Vec::new();
        if along {
            run_lengths(node, orientation, len, &mut lengths);
        } else {
            lengths = vec![len; nodes.len()];
        }
        let cells = nodes
            .into_iter()
            .zip(lengths)
            .map(|(node, len)| Cell::of(node, orientation, len))
            .collect();
        Cell { len, along, cells }
    }

    /// How far the cell can shrink (tmux's layout_resize_check).
    fn slack(&self) -> u16 {
        if self.cells.is_empty() {
            self.len.saturating_sub(PANE_MINIMUM)
        } else if self.along {
            self.cells.iter().map(Cell::slack).sum()
        } else {
            self.cells.iter().map(Cell::slack).min().unwrap_or(0)
        }
    }

    /// tmux's layout_resize_adjust: a run across takes the change in every cell; a run
    /// along hands it out a cell at a time, first cell first, round and round.
    fn adjust(&mut self, change: i32) {
        self.len = u16::try_from(i32::from(self.len) + change).unwrap_or(self.len);
        if !self.along {
            for cell in &mut self.cells {
                cell.adjust(change);
            }
            return;
        }
        let mut left = change;
        while left != 0 {
            let before = left;
            for cell in &mut self.cells {
                if left > 0 {
                    cell.adjust(1);
                    left -= 1;
                } else if left < 0 && cell.slack() > 0 {
                    cell.adjust(-1);
                    left += 1;
                }
                if left == 0 {
                    break;
                }
            }
            if left == before {
                break;
            }
        }
    }

    /// Gives the layout under `node` this cell's lengths.
    fn apply(&self, node: &mut Node) {
        let Node::Split {
            orientation: own, ..
        } = node
        else {
            return;
        };
        let own = *own;
        if self.along {
            let lengths: Vec<u16> = self.cells.iter().map(|cell| cell.len).collect();
            set_ratios(node, own, &lengths);
        }
        let mut nodes = Vec::new();
        run_cells_mut(node, own, &mut nodes);
        for (cell, node) in self.cells.iter().zip(nodes) {
            cell.apply(node);
        }
    }
}

/// Gives the run rooted at `node`, laid out in `rect`, tmux's even lengths; what is in
/// its cells follows as tmux resizes it.
fn spread_run(node: &mut Node, rect: Rect) {
    let Node::Split { orientation, .. } = node else {
        return;
    };
    let orientation = *orientation;
    let total = match orientation {
        Orientation::SideBySide => rect.cols,
        Orientation::Stacked => rect.rows,
    };
    let mut run = Cell::of(node, orientation, total);
    let Some(lengths) = spread(total, run.cells.len()) else {
        return;
    };
    for (cell, len) in run.cells.iter_mut().zip(lengths) {
        let change = i32::from(len) - i32::from(cell.len);
        cell.adjust(change);
    }
    run.apply(node);
}

/// Sets each split of the run so that its cells get `lengths`, in order.
fn set_ratios(node: &mut Node, orientation: Orientation, lengths: &[u16]) {
    let Node::Split {
        orientation: own,
        ratio,
        first,
        second,
    } = node
    else {
        return;
    };
    if *own != orientation {
        return;
    }
    let mut firsts = Vec::new();
    run_cells(first, orientation, &mut firsts);
    let (firsts, seconds) = lengths.split_at(firsts.len().min(lengths.len()));
    let span = |part: &[u16]| part.iter().sum::<u16>() + part.len().saturating_sub(1) as u16;
    let first_span = span(firsts);
    let whole = span(lengths);
    *ratio = f64::from(first_span) / f64::from(whole.saturating_sub(1).max(1));
    debug_assert_eq!(first_len(whole, *ratio), first_span);
    set_ratios(first, orientation, firsts);
    set_ratios(second, orientation, seconds);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pane_id::Size;

    fn widths(layout: &Layout) -> Vec<u16> {
        layout.geometry().iter().map(|(_, r)| r.cols).collect()
    }

    fn heights(layout: &Layout) -> Vec<u16> {
        layout.geometry().iter().map(|(_, r)| r.rows).collect()
    }

    #[test]
    fn a_run_of_panes_gets_tmux_s_even_lengths_then_the_run_around_it() {
        let mut layout = Layout::new(PaneId(1), Size { cols: 80, rows: 24 });
        layout
            .split(PaneId(1), PaneId(2), Orientation::SideBySide, None)
            .expect("split");
        layout
            .split(PaneId(2), PaneId(3), Orientation::SideBySide, None)
            .expect("split");
        assert_ne!(widths(&layout), [26, 26, 26]);
        assert_eq!(layout.spread_out(PaneId(3)), Ok(true));
        // (80 - 2) / 3 = 26; the last takes what is left.
        assert_eq!(widths(&layout), [26, 26, 26]);
        assert_eq!(layout.spread_out(PaneId(3)), Ok(false), "already even");

        // Pane 3 split downwards (12 rows over 11): its own run is spread first, as
        // tmux's (11 over 12: the last takes what is left); once it is even, the run
        // around it, and the stacked run inside pane 3's cell keeps its rows.
        layout
            .split(PaneId(3), PaneId(4), Orientation::Stacked, None)
            .expect("split");
        layout
            .resize_pane(PaneId(1), Orientation::SideBySide, 10)
            .expect("resize");
        assert_ne!(widths(&layout), [26, 26, 26, 26]);
        assert_eq!(layout.spread_out(PaneId(4)), Ok(true));
        assert_eq!(heights(&layout), [24, 24, 11, 12]);
        assert_ne!(widths(&layout), [26, 26, 26, 26]);
        assert_eq!(layout.spread_out(PaneId(4)), Ok(true));
        assert_eq!(widths(&layout), [26, 26, 26, 26]);
        assert_eq!(heights(&layout), [24, 24, 11, 12]);
        assert_eq!(
            layout.spread_out(PaneId(9)),
            Err(LayoutError::NoSuchPane(PaneId(9)))
        );
    }
}

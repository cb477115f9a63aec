//! Moving panes between the cells of a layout (tmux's swap-pane and rotate-window):
//! every cell keeps its place and size, and the panes change cells. A pane's index is
//! its cell's place in the tree, so it moves with the pane, as in tmux.

use super::{find_leaf, Layout, LayoutError, Node};
use crate::pane_id::PaneId;
use moshmux_proto::layouts::Step;

impl Layout {
    /// Puts `a` in `b`'s cell and `b` in `a`'s.
    pub fn swap(&mut self, a: PaneId, b: PaneId) -> Result<(), LayoutError> {
        for pane in [a, b] {
            find_leaf(&mut self.root, pane).ok_or(LayoutError::NoSuchPane(pane))?;
        }
        let order: Vec<PaneId> = self
            .panes()
            .into_iter()
            .map(|id| match id {
                id if id == a => b,
                id if id == b => a,
                id => id,
            })
            .collect();
        self.refill(&order);
        Ok(())
    }

    /// Moves every pane one cell back in index order, the first to the last cell; with
    /// `Step::Down`, one cell on, the last to the first.
    pub fn rotate(&mut self, step: Step) {
        let mut order = self.panes();
        match step {
            Step::Down => order.rotate_right(1),
            Step::Up => order.rotate_left(1),
        }
        self.refill(&order);
    }

    /// Puts `order` into the cells in index order.
    fn refill(&mut self, order: &[PaneId]) {
        fn fill(node: &mut Node, order: &mut std::slice::Iter<'_, PaneId>) {
            match node {
                Node::Pane(id) => {
                    if let Some(next) = order.next() {
                        *id = *next;
                    }
                }
                Node::Split { first, second, .. } => {
                    fill(first, order);
                    fill(second, order);
                }
            }
        }
        fill(&mut self.root, &mut order.iter());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Orientation;
    use crate::pane_id::Size;

    fn three() -> Layout {
        let mut layout = Layout::new(PaneId(0), Size { rows: 24, cols: 80 });
        layout
            .split(PaneId(0), PaneId(1), Orientation::SideBySide, None)
            .unwrap();
        layout
            .split(PaneId(1), PaneId(2), Orientation::Stacked, None)
            .unwrap();
        layout
    }

    #[test]
    fn a_swap_exchanges_cells_and_keeps_them() {
        let mut layout = three();
        let cells: Vec<_> = layout.geometry().into_iter().map(|(_, r)| r).collect();
        layout.swap(PaneId(0), PaneId(2)).unwrap();
        assert_eq!(layout.panes(), [PaneId(2), PaneId(1), PaneId(0)]);
        let after: Vec<_> = layout.geometry().into_iter().map(|(_, r)| r).collect();
        assert_eq!(after, cells);
        assert_eq!(
            layout.swap(PaneId(0), PaneId(9)),
            Err(LayoutError::NoSuchPane(PaneId(9)))
        );
    }

    #[test]
    fn rotation_moves_every_pane_one_cell() {
        let mut layout = three();
        layout.rotate(Step::Up);
        assert_eq!(layout.panes(), [PaneId(1), PaneId(2), PaneId(0)]);
        layout.rotate(Step::Down);
        layout.rotate(Step::Down);
        assert_eq!(layout.panes(), [PaneId(2), PaneId(0), PaneId(1)]);
    }
}

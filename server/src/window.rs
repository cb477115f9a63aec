//! A window: a layout of panes, which of them is active, and whether it is zoomed.
//! Windows hold pane ids only; the mux owns the panes themselves.

use crate::layout::{Layout, LayoutError, Orientation, Rect};
use crate::pane_id::{PaneId, Size};

#[derive(Clone, Debug)]
pub struct Window {
    pub index: u32,
    /// Set by `rename-window`; until then the window is named after its active pane's
    /// command, as tmux's automatic-rename does.
    name: Option<String>,
    layout: Layout,
    active: PaneId,
    zoomed: bool,
}

impl Window {
    pub fn new(index: u32, pane: PaneId, size: Size) -> Window {
        Window {
            index,
            name: None,
            layout: Layout::new(pane, size),
            active: pane,
            zoomed: false,
        }
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn rename(&mut self, name: String) {
        self.name = Some(name);
    }

    pub fn active(&self) -> PaneId {
        self.active
    }

    pub fn is_zoomed(&self) -> bool {
        self.zoomed
    }

    pub fn size(&self) -> Size {
        self.layout.size()
    }

    /// Reflows the layout to a new window size.
    pub fn resize(&mut self, size: Size) {
        self.layout.resize(size);
    }

    /// Panes in index order.
    pub fn panes(&self) -> Vec<PaneId> {
        self.layout.panes()
    }

    pub fn contains(&self, pane: PaneId) -> bool {
        self.panes().contains(&pane)
    }

    /// Splits `target`; the new pane becomes active and any zoom ends, as in tmux.
    pub fn split(
        &mut self,
        target: PaneId,
        new: PaneId,
        orientation: Orientation,
        percent: Option<u8>,
    ) -> Result<(), LayoutError> {
        self.zoomed = false;
        self.layout.split(target, new, orientation, percent)?;
        self.active = new;
        Ok(())
    }

    /// Takes a pane out; returns false when it was the last one and the window should
    /// close.
    pub fn remove(&mut self, pane: PaneId) -> Result<bool, LayoutError> {
        let Some(heir) = self.layout.remove(pane)? else {
            return Ok(false);
        };
        self.zoomed = false;
        if self.active == pane {
            self.active = heir;
        }
        Ok(true)
    }

    /// Makes a pane active; moving away from a zoomed pane unzooms, as in tmux.
    pub fn select(&mut self, pane: PaneId) {
        if pane != self.active {
            self.zoomed = false;
            self.active = pane;
        }
    }

    /// Zooms the active pane to the whole window, or back. A lone pane has nothing to
    /// zoom over, so it stays as it is (tmux does the same).
    pub fn toggle_zoom(&mut self) {
        self.zoomed = !self.zoomed && self.panes().len() > 1;
    }

    /// Where each pane is drawn now: with zoom on, the active pane covers the window and
    /// the others keep their layout rectangles while hidden.
    pub fn rects(&self) -> Vec<(PaneId, Rect)> {
        let mut rects = self.layout.geometry();
        if self.zoomed {
            let size = self.layout.size();
            for (id, rect) in &mut rects {
                if *id == self.active {
                    *rect = Rect {
                        x: 0,
                        y: 0,
                        cols: size.cols,
                        rows: size.rows,
                    };
                }
            }
        }
        rects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_covers_the_window_until_the_focus_moves() {
        let size = Size { rows: 24, cols: 80 };
        let mut window = Window::new(0, PaneId(0), size);
        window.toggle_zoom();
        assert!(!window.is_zoomed(), "a lone pane does not zoom");
        window
            .split(PaneId(0), PaneId(1), Orientation::Stacked, None)
            .unwrap();
        window.toggle_zoom();
        assert!(window.is_zoomed());
        let rects = window.rects();
        assert_eq!(rects[1].1.size(), size);
        assert_eq!(rects[0].1.size(), Size { rows: 12, cols: 80 });
        window.select(PaneId(0));
        assert!(!window.is_zoomed());
    }

    #[test]
    fn removing_the_active_pane_activates_its_neighbour() {
        let size = Size { rows: 24, cols: 80 };
        let mut window = Window::new(0, PaneId(0), size);
        window
            .split(PaneId(0), PaneId(1), Orientation::SideBySide, None)
            .unwrap();
        assert_eq!(window.active(), PaneId(1));
        assert_eq!(window.remove(PaneId(1)), Ok(true));
        assert_eq!(window.active(), PaneId(0));
        assert_eq!(window.remove(PaneId(0)), Ok(false));
    }
}

//! A window: a layout of panes, which of them is active, and whether it is zoomed.
//! Windows hold pane ids only; the mux owns the panes themselves.

use crate::layout::{Layout, LayoutError, Length, Orientation, Rect, SplitPlacement};
use crate::options::Options;
use crate::pane_id::{PaneId, Size};
use moshmux_proto::layouts::{LayoutChoice, Preset, Step};

/// How `resize-pane` changes a pane along one orientation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PaneResize {
    /// Move the border by this many cells (negative: left or up).
    By(i32),
    /// Give the pane's cell this many cells.
    To(u16),
}

#[derive(Clone, Debug)]
pub struct Window {
    pub index: u32,
    /// Set by `rename-window`; until then the window is named after its active pane's
    /// command, as tmux's automatic-rename does.
    name: Option<String>,
    layout: Layout,
    active: PaneId,
    /// The pane active before, for last-pane (tmux 3.3 keeps one).
    last: Option<PaneId>,
    zoomed: bool,
    /// The number of the newest bell rung in one of its panes, 0 if none (`mux/alerts.rs`).
    bell: u64,
    /// tmux's bell flag (`!`, `#{window_bell_flag}`): a bell rang while the window was
    /// not in view (not current, or its session had no client); cleared when the window
    /// becomes current.
    bell_flag: bool,
    /// The preset layout chosen last, which `next-layout` moves on from (tmux keeps it
    /// for the window's life, whatever happened to the panes since).
    preset: Option<Preset>,
    /// The options set for this window (`set-option -w -t`), over the global ones.
    options: Options,
}

impl Window {
    pub fn new(index: u32, pane: PaneId, size: Size) -> Window {
        Window {
            index,
            name: None,
            layout: Layout::new(pane, size),
            active: pane,
            last: None,
            zoomed: false,
            bell: 0,
            bell_flag: false,
            preset: None,
            options: Options::default(),
        }
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    pub fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn rename(&mut self, name: String) {
        self.name = Some(name);
    }

    pub fn bell(&self) -> u64 {
        self.bell
    }

    /// A bell rang in one of the window's panes; `number` is above every earlier one.
    /// `unseen`: the window was not in view, so it keeps the bell flag.
    pub fn ring(&mut self, number: u64, unseen: bool) {
        self.bell = number;
        self.bell_flag |= unseen;
    }

    pub fn bell_flag(&self) -> bool {
        self.bell_flag
    }

    /// The window became current: its alerts are seen.
    pub fn clear_alert_flags(&mut self) {
        self.bell_flag = false;
    }

    pub fn active(&self) -> PaneId {
        self.active
    }

    /// The pane active before the current one.
    pub fn last(&self) -> Option<PaneId> {
        self.last
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
        size: Option<Length>,
        placement: SplitPlacement,
    ) -> Result<(), LayoutError> {
        self.zoomed = false;
        self.layout
            .split_placed(target, new, orientation, size, placement)?;
        self.last = Some(self.active);
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
        if self.last == Some(pane) || self.last == Some(self.active) {
            self.last = None;
        }
        Ok(true)
    }

    /// Moves the border beside `pane` across `orientation` by `change` cells, or to give
    /// its cell `length` cells; any zoom ends first, as in tmux. Returns whether it moved.
    pub fn resize_pane(
        &mut self,
        pane: PaneId,
        orientation: Orientation,
        resize: PaneResize,
    ) -> Result<bool, LayoutError> {
        self.zoomed = false;
        match resize {
            PaneResize::By(change) => self.layout.resize_pane(pane, orientation, change),
            PaneResize::To(length) => self.layout.resize_pane_to(pane, orientation, length),
        }
    }

    /// Rearranges the panes as the chosen preset layout, unzooming first as tmux does.
    pub fn select_layout(&mut self, choice: LayoutChoice, pane: PaneId) -> Result<(), LayoutError> {
        if choice == LayoutChoice::SpreadOut {
            self.layout.spread_out(pane)?;
            self.zoomed = false;
            return Ok(());
        }
        let Some(preset) = choice.pick(self.preset) else {
            return Ok(());
        };
        if !self.layout.arrange(preset) {
            return Err(LayoutError::TooSmall(preset.name()));
        }
        self.zoomed = false;
        self.preset = Some(preset);
        Ok(())
    }

    /// swap-pane: `target` and `source` change cells. The target stays active when it
    /// was (tmux makes it active); with `keep_position` the active cell stays active,
    /// whichever pane is in it now. Unzooms, as in tmux.
    pub fn swap_panes(
        &mut self,
        target: PaneId,
        source: PaneId,
        keep_position: bool,
    ) -> Result<(), LayoutError> {
        if target == source {
            return Ok(());
        }
        self.layout.swap(target, source)?;
        self.zoomed = false;
        if !keep_position || self.active == source {
            self.select(target);
        } else if self.active == target {
            self.select(source);
        }
        Ok(())
    }

    /// rotate-window: every pane moves one cell back in index order (`Step::Down`: on);
    /// the active cell stays active, as in tmux, so the pane moved into it becomes active.
    pub fn rotate(&mut self, step: Step) {
        let Some(at) = self.panes().iter().position(|&id| id == self.active) else {
            return;
        };
        self.layout.rotate(step);
        self.zoomed = false;
        if let Some(&now_there) = self.panes().get(at) {
            self.select(now_there);
        }
    }

    /// The pane before or after `pane` in index order, wrapping around (tmux's `-U`,
    /// `-D`, and `:.+`).
    pub fn next_in_order(&self, pane: PaneId, step: Step) -> Option<PaneId> {
        let panes = self.panes();
        let at = panes.iter().position(|&id| id == pane)?;
        let count = panes.len();
        let other = match step {
            Step::Up => (at + count - 1) % count,
            Step::Down => (at + 1) % count,
        };
        panes.get(other).copied()
    }

    /// Makes a pane active; moving away from a zoomed pane unzooms, as in tmux.
    pub fn select(&mut self, pane: PaneId) {
        if pane != self.active {
            self.zoomed = false;
            self.last = Some(self.active);
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
            .split(
                PaneId(0),
                PaneId(1),
                Orientation::Stacked,
                None,
                Default::default(),
            )
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
            .split(
                PaneId(0),
                PaneId(1),
                Orientation::SideBySide,
                None,
                Default::default(),
            )
            .unwrap();
        assert_eq!(window.active(), PaneId(1));
        assert_eq!(window.remove(PaneId(1)), Ok(true));
        assert_eq!(window.active(), PaneId(0));
        assert_eq!(window.remove(PaneId(0)), Ok(false));
    }
}

//! Moving between panes and windows, and changing them: resize-pane's borders and
//! sizes, select-layout's presets, select-window and its shortcuts, last-pane,
//! kill-pane -a.

use super::commands::{CommandError, Outcome};
use super::Mux;
use crate::control::{self, WindowChoice};
use crate::layout::Orientation;
use crate::pane_id::PaneId;
use crate::target::Target;
use crate::window::PaneResize;
use moshmux_proto::layouts::Step;
use std::time::Instant;

impl Mux {
    /// tmux's resize-pane: `-Z` alone zooms; otherwise `-x`/`-y` set the pane's size,
    /// then `-L`/`-R`/`-U`/`-D` move its border, in tmux's order.
    pub(super) fn resize_pane(&mut self, resize: control::ResizePane) -> Outcome {
        let location = self.resolve_or_recent(resize.target.as_ref())?;
        if resize.zoom {
            return self.zoom(&location);
        }
        let Some(window) = self.window_mut(location.session, location.window) else {
            return Ok(String::new());
        };
        let size = window.size();
        let changes = [
            (
                Orientation::SideBySide,
                resize.width.map(|w| PaneResize::To(w.cells(size.cols))),
            ),
            (
                Orientation::Stacked,
                resize.height.map(|h| PaneResize::To(h.cells(size.rows))),
            ),
            (
                Orientation::SideBySide,
                (resize.across != 0).then_some(PaneResize::By(resize.across)),
            ),
            (
                Orientation::Stacked,
                (resize.down != 0).then_some(PaneResize::By(resize.down)),
            ),
        ];
        for (orientation, change) in changes {
            if let Some(change) = change {
                window.resize_pane(location.pane, orientation, change)?;
            }
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    /// select-layout, next-layout, previous-layout: the target's window rearranged.
    pub(super) fn select_layout(&mut self, select: control::SelectLayout) -> Outcome {
        let location = self.resolve_or_recent(select.target.as_ref())?;
        if let Some(window) = self.window_mut(location.session, location.window) {
            window.select_layout(select.choice, location.pane)?;
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    /// swap-pane: the target pane and the source (`-s`, or the pane before or after the
    /// target) change places. Both must be in one window.
    pub(super) fn swap_pane(&mut self, swap: control::SwapPane) -> Outcome {
        let target = self.resolve_or_recent(swap.target.as_ref())?;
        let source = match &swap.source {
            Some(source) => Some(self.resolve(source)?),
            None => None,
        };
        if source
            .as_ref()
            .is_some_and(|s| (s.session, s.window) != (target.session, target.window))
        {
            return Err(CommandError::SwapAcrossWindows);
        }
        let Some(window) = self.window_mut(target.session, target.window) else {
            return Ok(String::new());
        };
        let source = match source {
            Some(source) => Some(source.pane),
            None => window.next_in_order(target.pane, swap.step.unwrap_or(Step::Down)),
        };
        if let Some(source) = source {
            window.swap_panes(target.pane, source, swap.keep_position)?;
        }
        self.apply_layout(target.session, target.window);
        Ok(String::new())
    }

    /// rotate-window: every pane of the target's window moves one cell.
    pub(super) fn rotate_window(&mut self, rotate: control::RotateWindow) -> Outcome {
        let location = self.resolve_or_recent(rotate.target.as_ref())?;
        if let Some(window) = self.window_mut(location.session, location.window) {
            window.rotate(rotate.step);
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    /// select-window: the target's window, or the next, previous or last one of the
    /// target's session, with tmux's errors when there is none.
    pub(super) fn select_window(&mut self, select: control::SelectWindow) -> Outcome {
        let location = self.resolve_or_recent(select.target.as_ref())?;
        let session = &self.sessions[&location.session];
        let active = session.active_window();
        let indexes: Vec<u32> = session.windows().map(|w| w.index).collect();
        let at = indexes.iter().position(|&i| i == active).unwrap_or(0);
        let count = indexes.len().max(1);
        let index = match select.which {
            WindowChoice::Target => location.window,
            WindowChoice::Next => indexes[(at + 1) % count],
            WindowChoice::Previous => indexes[(at + count - 1) % count],
            WindowChoice::Last => session.last_window().ok_or(CommandError::NoLastWindow)?,
            WindowChoice::NextAlert => session.alerted_window(true).unwrap_or(active),
            WindowChoice::PreviousAlert => session.alerted_window(false).unwrap_or(active),
        };
        match select.which {
            WindowChoice::Next | WindowChoice::NextAlert if index == active => {
                Err(CommandError::NoWindowThatWay("next"))?
            }
            WindowChoice::Previous | WindowChoice::PreviousAlert if index == active => {
                Err(CommandError::NoWindowThatWay("previous"))?
            }
            _ => {}
        }
        if let Some(session) = self.sessions.get_mut(&location.session) {
            session.select_window(index);
        }
        Ok(String::new())
    }

    /// last-pane: the pane of the target's window that was active before.
    pub(super) fn last_pane(&mut self, target: Option<&Target>) -> Outcome {
        let location = self.resolve_or_recent(target)?;
        let window = self
            .window_mut(location.session, location.window)
            .ok_or(CommandError::NoLastPane)?;
        let last = window.last().ok_or(CommandError::NoLastPane)?;
        window.select(last);
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    /// kill-pane -a: every pane of the target's window but the target.
    pub(super) fn kill_other_panes(&mut self, target: Option<&Target>, now: Instant) -> Outcome {
        let location = self.resolve_or_recent(target)?;
        let others: Vec<PaneId> = self.sessions[&location.session]
            .window(location.window)
            .map(|window| window.panes())
            .unwrap_or_default()
            .into_iter()
            .filter(|&pane| pane != location.pane)
            .collect();
        for pane in others {
            self.close_pane(pane, now);
        }
        Ok(String::new())
    }
}

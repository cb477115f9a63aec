//! Moving panes between windows and windows between indexes and sessions, as tmux 3.3
//! does it: break-pane, join-pane (move-pane), swap-window and move-window. The panes'
//! programs go on running and keep their ids and history; only the layouts change, and
//! every pane whose cell changed size is resized. A session whose last window or pane
//! moves away ends as tmux ends it, its clients told so; its panes live on elsewhere.

use super::commands::{CommandError, Outcome};
use super::resolve::Location;
use super::Mux;
use crate::control::{self, Placement};
use crate::layout::{LayoutError, Orientation};
use crate::pane_id::SessionId;
use crate::session::{Removal, Session};
use crate::target::{Target, WindowRef};
use crate::window::Window;
use moshmux_proto::label::is_window_name;
use std::time::Instant;

/// Where a window goes: its session and index.
#[derive(Clone, Copy)]
struct Place {
    session: SessionId,
    index: u32,
}

impl Mux {
    pub(super) fn break_pane(&mut self, brk: control::BreakPane, now: Instant) -> Outcome {
        if let Some(name) = &brk.name {
            if !is_window_name(name) {
                return Err(CommandError::BadWindowName(name.clone()));
            }
        }
        let from = self.resolve_or_recent(brk.source.as_ref())?;
        let alone = self
            .session_mut(from.session)?
            .window(from.window)
            .is_some_and(|window| window.panes().len() == 1);
        // tmux moves a lone pane's window itself; without -t that would only renumber it.
        if alone && brk.target.is_none() {
            return Err(CommandError::Move("can't break with only one pane"));
        }
        let to = self.break_place(&brk, &from)?;
        // Making room may have moved the pane's window up an index.
        let from = self.resolve(&Target::Pane(from.pane))?;
        if alone {
            self.relocate_window(from, to, !brk.detached, false, now)?;
        } else {
            let source = self.session_mut(from.session)?;
            // tmux gives the new window the size of the one the pane leaves.
            let size = source.window(from.window).map(Window::size);
            let fresh = Window::new(to.index, from.pane, size.unwrap_or(source.size()));
            if self.session_mut(to.session)?.window(to.index).is_some() {
                return Err(CommandError::IndexInUse(to.index));
            }
            self.session_mut(from.session)?.remove_pane(from.pane);
            self.admit_window(to, fresh, !brk.detached, now);
            self.apply_layout(from.session, from.window);
        }
        if let (Some(name), Some(window)) = (brk.name, self.window_mut(to.session, to.index)) {
            window.rename(name);
        }
        Ok(String::new())
    }

    /// Where break-pane's window goes: `-t`'s index, else the lowest free one; with `-a`
    /// or `-b` after or at the target window (the session's current one when no window
    /// has the index given, as in tmux), once the windows from there have moved up.
    fn break_place(
        &mut self,
        brk: &control::BreakPane,
        from: &Location,
    ) -> Result<Place, CommandError> {
        let (session, index) = match brk.target.as_ref() {
            Some(target) => self.window_place(target)?,
            None => (from.session, None),
        };
        let Some(placement) = brk.placement else {
            return match index {
                Some(index) => Ok(Place { session, index }),
                None => self.lowest_free_place(session),
            };
        };
        let target = self.session_mut(session)?;
        let next_to = index
            .filter(|&index| target.window(index).is_some())
            .unwrap_or(target.active_window());
        let index = match placement {
            Placement::Before => next_to,
            Placement::After => {
                (next_to.checked_add(1)).ok_or(CommandError::IndexInUse(next_to))?
            }
        };
        if !target.make_room_at(index) {
            return Err(CommandError::IndexInUse(index));
        }
        Ok(Place { session, index })
    }

    pub(super) fn join_pane(&mut self, join: control::JoinPane, now: Instant) -> Outcome {
        let from = self.resolve(&join.source)?;
        let to = self.resolve_or_recent(join.target.as_ref())?;
        if from.pane == to.pane {
            return Err(CommandError::Move(
                "source and target panes must be different",
            ));
        }
        let orientation = match join.side_by_side {
            true => Orientation::SideBySide,
            false => Orientation::Stacked,
        };
        let same_window = (from.session, from.window) == (to.session, to.window);
        // Laid out on a copy first: a target too small to split leaves both windows as
        // they were.
        let mut trial = self
            .session_mut(to.session)?
            .window(to.window)
            .ok_or(LayoutError::NoSuchPane(to.pane))?
            .clone();
        if same_window {
            trial.remove(from.pane)?;
        }
        let active = trial.active();
        trial.split(to.pane, from.pane, orientation, join.size, join.placement)?;
        if join.detached {
            trial.select(active);
        }
        let removal = match same_window {
            true => Removal::Pane,
            false => self.session_mut(from.session)?.remove_pane(from.pane),
        };
        let target = self.session_mut(to.session)?;
        if let Some(window) = target.window_mut(to.window) {
            *window = trial;
        }
        if !join.detached {
            target.select_window(to.window);
        }
        self.apply_layout(from.session, from.window);
        self.apply_layout(to.session, to.window);
        if removal == Removal::Session {
            self.end_session(from.session, now);
        }
        Ok(String::new())
    }

    pub(super) fn swap_window(&mut self, swap: control::SwapWindow) -> Outcome {
        let to = self.resolve(&swap.target)?;
        let from = match swap.source.as_ref() {
            Some(source) => self.resolve(source)?,
            None => self.current_window_of(to.session)?,
        };
        if from.session == to.session {
            if from.window != to.window {
                self.session_mut(to.session)?
                    .swap_windows(from.window, to.window);
            }
            return Ok(String::new());
        }
        let (first, second) = self
            .two_sessions_mut(from.session, to.session)
            .ok_or(CommandError::NoSessions)?;
        let (Some(a), Some(b)) = (first.window_mut(from.window), second.window_mut(to.window))
        else {
            return Err(CommandError::NoSessions);
        };
        // Each takes the other's place; the indexes stay with the places.
        std::mem::swap(a, b);
        std::mem::swap(&mut a.index, &mut b.index);
        self.fit_moved(from.session, from.window);
        self.fit_moved(to.session, to.window);
        Ok(String::new())
    }

    pub(super) fn move_window(&mut self, moved: control::MoveWindow, now: Instant) -> Outcome {
        if moved.renumber {
            let session = match moved.target.as_ref() {
                Some(target) => self.resolve(target)?.session,
                None => self.resolve_or_recent(None)?.session,
            };
            self.session_mut(session)?.renumber_windows();
            return Ok(String::new());
        }
        let from = self.resolve_or_recent(moved.source.as_ref())?;
        let to = match moved.target.as_ref() {
            Some(target) => self.free_place(target)?,
            None => self.lowest_free_place(from.session)?,
        };
        self.relocate_window(from, to, !moved.detached, moved.kill, now)?;
        Ok(String::new())
    }

    /// Moves the window holding `from` to `to`, current there when `select`; with
    /// `kill` a window already at `to` ends (tmux's `-k`), else that is refused.
    fn relocate_window(
        &mut self,
        from: Location,
        to: Place,
        select: bool,
        kill: bool,
        now: Instant,
    ) -> Result<(), CommandError> {
        if (from.session, from.window) == (to.session, to.index) {
            return Err(CommandError::SameIndex(to.index));
        }
        let target = self.session_mut(to.session)?;
        if target.window(to.index).is_some() && !kill {
            return Err(CommandError::IndexInUse(to.index));
        }
        if from.session == to.session {
            // The window keeps its place in the current/last order, as tmux's winlink
            // does; one killed for it leaves, and if it was current the moved one is.
            let select = select || target.active_window() == to.index;
            let replaced = target.take_window(to.index);
            target.move_window(from.window, to.index, select);
            for pane in replaced.iter().flat_map(Window::panes) {
                self.close_pane(pane, now);
            }
            return Ok(());
        }
        let source = self.session_mut(from.session)?;
        let window = source
            .take_window(from.window)
            .ok_or(CommandError::NoSessions)?;
        let source_ended = source.is_empty();
        self.admit_window(to, window, select, now);
        if source_ended {
            self.end_session(from.session, now);
        }
        Ok(())
    }

    /// Puts a window at `to` (ending the panes of one already there), current when
    /// `select`, and lays it out for its new session.
    fn admit_window(&mut self, to: Place, window: Window, select: bool, now: Instant) {
        let Some(session) = self.sessions.get_mut(&to.session) else {
            return;
        };
        let replaced = match session.put_window(to.index, window, select) {
            Ok(()) => None,
            Err(window) => session.replace_window(to.index, window, select),
        };
        for pane in replaced.iter().flat_map(Window::panes) {
            self.close_pane(pane, now);
        }
        self.fit_moved(to.session, to.index);
    }

    /// A window arrived in a session: with a client attached it takes the size the
    /// session is laid out at (tmux sizes windows to clients only, so in a session
    /// nobody is attached to it keeps its size until someone attaches).
    fn fit_moved(&mut self, session: SessionId, index: u32) {
        self.fit_session(session);
        self.apply_layout(session, index);
    }

    /// `SESSION:INDEX` (an index no window has) or `SESSION` (its lowest free index).
    fn free_place(&self, target: &Target) -> Result<Place, CommandError> {
        match self.window_place(target)? {
            (session, Some(index)) => Ok(Place { session, index }),
            (session, None) => self.lowest_free_place(session),
        }
    }

    /// `SESSION:INDEX` or `SESSION` (no index): a place for a window, not a pane.
    fn window_place(&self, target: &Target) -> Result<(SessionId, Option<u32>), CommandError> {
        let Target::Path {
            session,
            window,
            pane: None,
        } = target
        else {
            return Err(CommandError::PaneNotAllowed);
        };
        let session = self.resolve(&Target::session(session.clone()))?.session;
        match window {
            None => Ok((session, None)),
            Some(WindowRef::Index(index)) => Ok((session, Some(*index))),
            Some(WindowRef::Name(_)) => {
                Err(CommandError::Move("-t takes a window index, not a name"))
            }
        }
    }

    fn lowest_free_place(&self, session: SessionId) -> Result<Place, CommandError> {
        let index = self
            .sessions
            .get(&session)
            .ok_or(CommandError::NoSessions)?
            .lowest_free_index();
        Ok(Place { session, index })
    }

    fn current_window_of(&self, session: SessionId) -> Result<Location, CommandError> {
        let session = self
            .sessions
            .get(&session)
            .ok_or(CommandError::NoSessions)?;
        let window = session.active_window();
        let pane = session
            .window(window)
            .map(|window| window.active())
            .ok_or(CommandError::NoSessions)?;
        Ok(Location {
            session: session.id,
            window,
            pane,
        })
    }

    fn session_mut(&mut self, session: SessionId) -> Result<&mut Session, CommandError> {
        self.sessions
            .get_mut(&session)
            .ok_or(CommandError::NoSessions)
    }

    /// Two different sessions at once, in the order asked.
    fn two_sessions_mut(
        &mut self,
        a: SessionId,
        b: SessionId,
    ) -> Option<(&mut Session, &mut Session)> {
        let mut both = self
            .sessions
            .iter_mut()
            .filter(|(id, _)| **id == a || **id == b);
        let (first_id, first) = both.next()?;
        let (_, second) = both.next()?;
        Some(match *first_id == a {
            true => (first, second),
            false => (second, first),
        })
    }
}

//! Moving panes between windows and windows between indexes, as tmux 3.3 does it:
//! break-pane, join-pane (move-pane), swap-window and move-window. The panes' programs
//! go on running; only the layouts change, and every pane whose cell changed size is
//! resized. Moves stay within a session: windows and panes belong to one.

use super::commands::{CommandError, Outcome};
use super::resolve::Location;
use super::Mux;
use crate::control;
use crate::layout::{LayoutError, Orientation};
use crate::pane_id::SessionId;
use crate::session::Removal;
use crate::target::{Target, WindowRef};
use moshmux_proto::label::is_window_name;

impl Mux {
    pub(super) fn break_pane(&mut self, brk: control::BreakPane) -> Outcome {
        if let Some(name) = &brk.name {
            if !is_window_name(name) {
                return Err(CommandError::BadWindowName(name.clone()));
            }
        }
        let from = self.resolve_or_recent(brk.source.as_ref())?;
        let session = self.session_mut(from.session)?;
        let alone = session
            .window(from.window)
            .is_some_and(|window| window.panes().len() == 1);
        if alone {
            return Err(CommandError::Move("can't break with only one pane"));
        }
        session.remove_pane(from.pane);
        let index = session.add_window(from.pane, !brk.detached);
        if let (Some(name), Some(window)) = (brk.name, session.window_mut(index)) {
            window.rename(name);
        }
        self.apply_layout(from.session, from.window);
        self.apply_layout(from.session, index);
        Ok(String::new())
    }

    pub(super) fn join_pane(&mut self, join: control::JoinPane) -> Outcome {
        let from = self.resolve(&join.source)?;
        let to = self.resolve_or_recent(join.target.as_ref())?;
        if from.pane == to.pane {
            return Err(CommandError::Move(
                "source and target panes must be different",
            ));
        }
        if from.session != to.session {
            return Err(CommandError::Move(
                "join-pane between sessions is not supported yet; both panes must be in one session",
            ));
        }
        let orientation = match join.side_by_side {
            true => Orientation::SideBySide,
            false => Orientation::Stacked,
        };
        let session = self.session_mut(to.session)?;
        // Laid out on a copy first: a target too small to split leaves both windows as
        // they were.
        let mut trial = session
            .window(to.window)
            .ok_or(LayoutError::NoSuchPane(to.pane))?
            .clone();
        if from.window == to.window {
            trial.remove(from.pane)?;
        }
        let active = trial.active();
        trial.split(to.pane, from.pane, orientation, join.size, join.placement)?;
        if join.detached {
            trial.select(active);
        }
        if from.window != to.window && session.remove_pane(from.pane) == Removal::Session {
            return Err(CommandError::Move("the source pane's session would end"));
        }
        if let Some(window) = session.window_mut(to.window) {
            *window = trial;
        }
        if !join.detached {
            session.select_window(to.window);
        }
        self.apply_layout(to.session, from.window);
        self.apply_layout(to.session, to.window);
        Ok(String::new())
    }

    pub(super) fn swap_window(&mut self, swap: control::SwapWindow) -> Outcome {
        let to = self.resolve(&swap.target)?;
        let from = match swap.source.as_ref() {
            Some(source) => self.resolve(source)?,
            None => self.current_window_of(to.session)?,
        };
        if from.session != to.session {
            return Err(CommandError::Move(
                "swap-window between sessions is not supported yet; both windows must be in one session",
            ));
        }
        if from.window != to.window {
            self.session_mut(to.session)?
                .swap_windows(from.window, to.window);
        }
        Ok(String::new())
    }

    pub(super) fn move_window(&mut self, moved: control::MoveWindow) -> Outcome {
        if moved.renumber {
            let session = match moved.target.as_ref() {
                Some(target) => self.resolve(target)?.session,
                None => self.resolve_or_recent(None)?.session,
            };
            self.session_mut(session)?.renumber_windows();
            return Ok(String::new());
        }
        let from = self.resolve_or_recent(moved.source.as_ref())?;
        let (session, index) = match moved.target.as_ref() {
            Some(target) => self.free_index(target)?,
            None => (from.session, None),
        };
        if session != from.session {
            return Err(CommandError::Move(
                "move-window between sessions is not supported yet; the target must be the window's own session",
            ));
        }
        let session = self.session_mut(session)?;
        let index = index.unwrap_or_else(|| session.lowest_free_index());
        if index != from.window && !session.move_window(from.window, index, !moved.detached) {
            return Err(CommandError::IndexInUse(index));
        }
        Ok(String::new())
    }

    /// `SESSION:INDEX` (an index no window has) or `SESSION` (`None`: the lowest free).
    fn free_index(&self, target: &Target) -> Result<(SessionId, Option<u32>), CommandError> {
        let Target::Path {
            session,
            window,
            pane: None,
        } = target
        else {
            return Err(CommandError::Move(
                "move-window -t takes SESSION or SESSION:INDEX",
            ));
        };
        let session = self.resolve(&Target::session(session.clone()))?.session;
        match window {
            None => Ok((session, None)),
            Some(WindowRef::Index(index)) => Ok((session, Some(*index))),
            Some(WindowRef::Name(_)) => Err(CommandError::Move(
                "move-window -t takes a window index, not a name",
            )),
        }
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

    fn session_mut(
        &mut self,
        session: SessionId,
    ) -> Result<&mut crate::session::Session, CommandError> {
        self.sessions
            .get_mut(&session)
            .ok_or(CommandError::NoSessions)
    }
}

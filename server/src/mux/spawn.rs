//! The commands that start a program where they are told: new-window (at the lowest
//! free index, at an index, next to a window, or in a window's place), respawn-pane and
//! respawn-window (a new program in the same pane, whose id, place and history go on).

use super::commands::{CommandError, Outcome};
use super::resolve::Location;
use super::{Host, Mux};
use crate::control::{self, Placement};
use crate::pane::PaneStart;
use crate::pane_id::{PaneId, Size};
use crate::session::Session;
use crate::target::{Target, WindowRef};
use crate::window::Window;
use moshmux_proto::label::is_window_name;
use std::path::PathBuf;
use std::time::Instant;

/// Where new-window puts its window.
enum Slot {
    /// The lowest free index (no index given).
    Lowest,
    /// This index: free, or with `-k` a window's to replace.
    At(u32),
    /// This index, once the windows from it up to the next free one move up (`-a`, `-b`).
    Insert(u32),
}

impl Mux {
    /// tmux's new-window: the program starts first, so a program that cannot start
    /// leaves the session as it was.
    pub(super) fn new_window(
        &mut self,
        new: control::NewWindow,
        now: Instant,
        host: &mut dyn Host,
    ) -> Outcome {
        if let Some(name) = new.name.as_ref().filter(|name| !is_window_name(name)) {
            return Err(CommandError::BadWindowName(name.clone()));
        }
        let (location, index) = self.new_window_target(new.target.as_ref())?;
        let session = &self.sessions[&location.session];
        let slot = match (new.placement, index) {
            (Some(placement), _) => {
                // Next to the target's window (the current one if only a session is
                // given); an index no window has is taken as it is, as tmux does.
                let next_to = index.unwrap_or(location.window);
                match (session.window(next_to), placement) {
                    (None, _) => Slot::At(next_to),
                    (Some(_), Placement::Before) => Slot::Insert(next_to),
                    (Some(_), Placement::After) => Slot::Insert(
                        next_to
                            .checked_add(1)
                            .ok_or(CommandError::WindowIndexInUse(next_to))?,
                    ),
                }
            }
            (None, Some(index)) => Slot::At(index),
            (None, None) => Slot::Lowest,
        };
        if let Slot::At(index) = slot {
            if session.window(index).is_some() && !new.replace {
                return Err(CommandError::WindowIndexInUse(index));
            }
        }
        let cwd = self.start_dir(&location, new.cwd.as_deref(), host);
        let size = session.size();
        let environment = session.environment.clone();
        let id = self.allocate_pane_id()?;
        let pane = self.spawn(host, id, new.command, cwd, size, &environment)?;
        self.limit_history(pane, Some(location.session));
        let select = !new.detached;
        let Some(session) = self.sessions.get_mut(&location.session) else {
            self.close_pane(pane, now);
            return Ok(String::new());
        };
        let (index, replaced) = match place(session, slot, pane, select) {
            Ok(placed) => placed,
            Err(index) => {
                self.close_pane(pane, now);
                return Err(CommandError::WindowIndexInUse(index));
            }
        };
        if let (Some(name), Some(window)) = (new.name, self.window_mut(location.session, index)) {
            window.rename(name);
        }
        // The replaced window is out of the session already: its panes only end.
        for old in replaced.iter().flat_map(|window| window.panes()) {
            self.close_pane(old, now);
        }
        Ok(String::new())
    }

    /// new-window's `-t`: the location its `-c` is expanded at and `-a`/`-b` count from
    /// (the target's window if it has one, else the session's current one), and the
    /// index it names, if any. A pane is refused, as tmux does.
    fn new_window_target(
        &self,
        target: Option<&Target>,
    ) -> Result<(Location, Option<u32>), CommandError> {
        let Some(target) = target else {
            return Ok((self.resolve_or_recent(None)?, None));
        };
        match target {
            Target::Pane(_) | Target::Path { pane: Some(_), .. } => {
                Err(CommandError::PaneNotAllowed)
            }
            Target::Path { window: None, .. } => Ok((self.resolve(target)?, None)),
            Target::Path {
                session,
                window: Some(WindowRef::Index(index)),
                ..
            } => match self.resolve(target) {
                Ok(location) => Ok((location, Some(*index))),
                // An index no window has yet: the session's current window for `-c`.
                Err(_) => {
                    let session = Target::session(session.clone());
                    Ok((self.resolve(&session)?, Some(*index)))
                }
            },
            Target::Path {
                window: Some(WindowRef::Name(_)),
                ..
            } => {
                let location = self.resolve(target)?;
                let index = location.window;
                Ok((location, Some(index)))
            }
        }
    }

    /// respawn-pane: without `-k` a pane whose program runs is refused (every pane here
    /// has one: a pane closes when its program ends), with it the program is replaced.
    pub(super) fn respawn_pane(
        &mut self,
        respawn: control::Respawn,
        host: &mut dyn Host,
    ) -> Outcome {
        let location = self.resolve_or_recent(respawn.target.as_ref())?;
        if !respawn.kill {
            return Err(CommandError::PaneStillActive(self.pane_path(&location)));
        }
        self.restart(&location, respawn, None, host)?;
        Ok(String::new())
    }

    /// respawn-window: the window keeps its first pane, whose program is replaced and
    /// which then fills the window; its other panes end, as in tmux.
    pub(super) fn respawn_window(
        &mut self,
        respawn: control::Respawn,
        now: Instant,
        host: &mut dyn Host,
    ) -> Outcome {
        let target = self.resolve_or_recent(respawn.target.as_ref())?;
        let session = &self.sessions[&target.session];
        if !respawn.kill {
            let path = format!("{}:{}", session.name, target.window);
            return Err(CommandError::WindowStillActive(path));
        }
        let Some(window) = session.window(target.window) else {
            return Ok(String::new());
        };
        let panes = window.panes();
        let Some((&first, others)) = panes.split_first() else {
            return Ok(String::new());
        };
        let location = Location {
            pane: first,
            ..target
        };
        self.restart(&location, respawn, Some(window.size()), host)?;
        for &other in others {
            self.close_pane(other, now);
        }
        Ok(String::new())
    }

    /// Starts a new program for the pane at `location` on a terminal of `size` (`None`:
    /// the pane's), with the command and directory asked for, else those its program
    /// started with; the old program is hung up once the new one runs, and runs on if it
    /// cannot start.
    fn restart(
        &mut self,
        location: &Location,
        respawn: control::Respawn,
        size: Option<Size>,
        host: &mut dyn Host,
    ) -> Result<(), CommandError> {
        let Some(pane) = self.panes.get(&location.pane) else {
            return Ok(());
        };
        let size = size.unwrap_or(pane.size());
        let before = pane.start().clone();
        let start = PaneStart {
            command: match respawn.command.is_empty() {
                true => before.command,
                false => respawn.command,
            },
            cwd: match respawn.cwd.as_deref() {
                Some(template) => Some(PathBuf::from(self.expand_at(location, template, host))),
                None => before.cwd,
            },
        };
        let environment = self.sessions[&location.session].environment.clone();
        let spawned = self.start_program(host, location.pane, &start, size, &environment)?;
        if let Some(pane) = self.panes.get_mut(&location.pane) {
            pane.respawned(spawned, start);
            // What a daemon killed now leaves of the screen is the new, blank one: the
            // old one is in history already.
            pane.save_screen();
        }
        Ok(())
    }

    /// `SESSION:WINDOW.INDEX` of the pane at `location`, as tmux's messages name it.
    fn pane_path(&self, location: &Location) -> String {
        let session = &self.sessions[&location.session];
        let index = session
            .window(location.window)
            .and_then(|window| window.panes().iter().position(|&p| p == location.pane))
            .unwrap_or_default();
        format!("{}:{}.{index}", session.name, location.window)
    }
}

/// Puts a new window of `pane` in `slot`: its index, and the window it replaced (out
/// of the session, its panes still to end); or the index in use when no index was left
/// to move windows up to.
fn place(
    session: &mut Session,
    slot: Slot,
    pane: PaneId,
    select: bool,
) -> Result<(u32, Option<Window>), u32> {
    match slot {
        Slot::Lowest => Ok((session.add_window(pane, select), None)),
        Slot::At(index) => {
            match session.replace_window(index, Window::new(index, pane, session.size()), select) {
                Some(old) => Ok((index, Some(old))),
                None if session.add_window_at(index, pane, select) => Ok((index, None)),
                None => Err(index),
            }
        }
        Slot::Insert(index) => {
            match session.make_room_at(index) && session.add_window_at(index, pane, select) {
                true => Ok((index, None)),
                false => Err(index),
            }
        }
    }
}

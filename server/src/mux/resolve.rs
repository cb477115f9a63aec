//! Turning a parsed target into the session, window and pane it names now, with errors
//! that list what does exist. The text was parsed where it arrived (`crate::target`).

use super::{CommandError, Mux};
use crate::pane_id::{PaneId, SessionId};
use crate::session::Session;
use crate::target::{quoted, SessionRef, Target, WindowRef};
use crate::window::Window;

/// Where a target points, resolved against what exists now.
pub(super) struct Location {
    pub session: SessionId,
    pub window: u32,
    pub pane: PaneId,
}

impl Mux {
    pub(super) fn resolve(&self, target: &Target) -> Result<Location, CommandError> {
        match target {
            &Target::Pane(id) => self
                .sessions
                .values()
                .find_map(|s| {
                    s.window_of(id).map(|window| Location {
                        session: s.id,
                        window,
                        pane: id,
                    })
                })
                .ok_or_else(|| CommandError::NoPaneId {
                    id,
                    existing: self.pane_ids(),
                }),
            Target::Path {
                session,
                window,
                pane,
            } => self.resolve_path(session, window.as_ref(), *pane),
        }
    }

    /// The target as given, or with none, the session used last (as tmux picks outside
    /// a session): its active window and pane.
    pub(super) fn resolve_or_recent(
        &self,
        target: Option<&Target>,
    ) -> Result<Location, CommandError> {
        if let Some(target) = target {
            return self.resolve(target);
        }
        let session = self
            .recent_session()
            .and_then(|id| self.sessions.get(&id))
            .ok_or(CommandError::NoSessions)?;
        let window = session.active_window();
        let pane = session
            .window(window)
            .map(Window::active)
            .ok_or(CommandError::NoSessions)?;
        Ok(Location {
            session: session.id,
            window,
            pane,
        })
    }

    /// The session a client attached to or typed in last, or created last; among
    /// equals, the newest.
    pub(super) fn recent_session(&self) -> Option<SessionId> {
        self.sessions
            .values()
            .max_by_key(|s| (s.last_used, s.id))
            .map(|s| s.id)
    }

    fn resolve_path(
        &self,
        session: &SessionRef,
        window: Option<&WindowRef>,
        pane: Option<usize>,
    ) -> Result<Location, CommandError> {
        let found: Option<&Session> = match session {
            SessionRef::Name(name) => self.sessions.values().find(|s| s.name == *name),
            SessionRef::Id(id) => self.sessions.get(id),
            SessionRef::Current => self.recent_session().and_then(|id| self.sessions.get(&id)),
        };
        let session = found.ok_or_else(|| CommandError::NoSession {
            name: match session {
                SessionRef::Name(name) => name.clone(),
                SessionRef::Id(id) => id.to_string(),
                SessionRef::Current => String::new(),
            },
            existing: self.session_names(),
        })?;
        let name = &session.name;
        let found = match window {
            None => session.window(session.active_window()),
            Some(WindowRef::Index(i)) => session.window(*i),
            Some(WindowRef::Name(wanted)) => {
                session.windows().find(|w| self.window_name(w) == *wanted)
            }
        };
        let Some(found) = found else {
            let windows: Vec<String> = session
                .windows()
                .map(|w| format!("{} ({})", w.index, quoted(&self.window_name(w))))
                .collect();
            return Err(CommandError::NoWindow {
                window: match window {
                    Some(WindowRef::Name(name)) => name.clone(),
                    Some(WindowRef::Index(i)) => i.to_string(),
                    None => session.active_window().to_string(),
                },
                session: name.clone(),
                existing: windows.join(", "),
            });
        };
        let panes = found.panes();
        let pane = match pane {
            None => found.active(),
            Some(i) => *panes.get(i).ok_or_else(|| {
                let list: Vec<String> = panes
                    .iter()
                    .enumerate()
                    .map(|(i, id)| format!("{i} ({id})"))
                    .collect();
                CommandError::NoPaneIndex {
                    index: i,
                    window: format!("{name}:{}", found.index),
                    existing: list.join(", "),
                }
            })?,
        };
        Ok(Location {
            session: session.id,
            window: found.index,
            pane,
        })
    }

    /// The name set by `rename-window`, else the active pane's command.
    pub(super) fn window_name(&self, window: &Window) -> String {
        match window.name() {
            Some(name) => name.to_string(),
            None => self
                .panes
                .get(&window.active())
                .map(|pane| pane.current_command().to_owned())
                .unwrap_or_default(),
        }
    }

    fn session_names(&self) -> String {
        let names: Vec<&str> = self.sessions.values().map(|s| s.name.as_str()).collect();
        none_if_empty(names.join(", "))
    }

    fn pane_ids(&self) -> String {
        let mut ids: Vec<PaneId> = self.panes.keys().copied().collect();
        ids.sort();
        let ids: Vec<String> = ids.iter().map(PaneId::to_string).collect();
        none_if_empty(ids.join(", "))
    }
}

fn none_if_empty(list: String) -> String {
    if list.is_empty() {
        "none".to_string()
    } else {
        list
    }
}

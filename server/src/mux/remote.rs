//! Attached clients: opening their endpoints, and carrying out what they send. Every
//! command goes through the same mux operation as its command-line counterpart, aimed at
//! the client's session by name (a name is a valid target: it means the session's active
//! window and pane).

use super::{CommandError, Flow, Mux};
use crate::client_link::{
    ClientId, ClientLink, GoneReason, Lifetime, LinkEvent, FIRST_CONTACT_LIMIT,
};
use crate::control::{self, Connect};
use crate::layout::Rect;
use crate::pane_id::{PaneId, Size};
use moshmux_proto::screen::{MAX_COLS, MAX_ROWS};
use moshmux_proto::user::Direction;
use moshmux_proto::{MuxCommand, SessionKey, UserEvent};
use std::time::{Duration, Instant};

impl Mux {
    /// Creates or joins the session, then opens a UDP endpoint for one client with a
    /// fresh key. The port is taken first, so a full range leaves no session behind; a
    /// join first closes the session's endpoints whose clients went silent, which may
    /// free that very port.
    pub(super) fn new_client(&mut self, new: control::NewClient) -> Result<Connect, CommandError> {
        if let Some(index) = self.existing_session(&new.session) {
            let name = self.sessions[index].name.clone();
            let newcomer = ClientId(self.next_client);
            self.reclaim_silent(&name, newcomer, Instant::now());
        }
        let socket =
            crate::client_link::bind_port(new.bind, new.ports).map_err(CommandError::Endpoint)?;
        let key = SessionKey::generate()
            .map_err(|e| CommandError::Endpoint(format!("cannot make a session key: {e}")))?;
        let index = self.new_session(new.session)?;
        let active_at = self.touch(index);
        let session = self.sessions[index].name.clone();
        let id = ClientId(self.next_client);
        self.next_client += 1;
        let lifetime = Lifetime {
            first_contact: FIRST_CONTACT_LIMIT,
            silence: new.network_timeout_secs.map(Duration::from_secs),
        };
        let mut link = ClientLink::start(
            id,
            session.clone(),
            socket,
            &key,
            lifetime,
            self.link_events.clone(),
        )
        .map_err(|e| CommandError::Endpoint(format!("cannot start the client endpoint: {e}")))?;
        link.active_at = active_at;
        tracing::info!(client = id.0, %session, port = link.port, "client endpoint opened");
        let connect = Connect {
            port: link.port,
            key: *key.as_bytes(),
        };
        self.clients.insert(id, link);
        self.dirty.everything = true;
        Ok(connect)
    }

    /// Handles what a link's task reports.
    pub fn on_link_event(&mut self, id: ClientId, event: LinkEvent) -> Flow {
        match event {
            LinkEvent::Gone(reason) => self.drop_client(id, reason),
            LinkEvent::User(stream) => {
                let Some(session) = self
                    .clients
                    .get(&id)
                    .filter(|link| !link.is_finishing())
                    .map(|link| link.session.clone())
                else {
                    return self.idle_flow();
                };
                self.heard_from.insert(id);
                // Updates without events come and go as the stream is trimmed; only
                // input is activity.
                let input = !stream.events().is_empty();
                let index = self.sessions.iter().position(|s| s.name == session);
                if let Some(index) = index.filter(|_| input) {
                    let active_at = self.touch(index);
                    if let Some(link) = self.clients.get_mut(&id) {
                        link.active_at = active_at;
                    }
                    self.reclaim_silent(&session, id, Instant::now());
                }
                for event in stream.events() {
                    match event {
                        UserEvent::Command(MuxCommand::Detach) => {
                            self.drop_client(id, GoneReason::Detached);
                            break;
                        }
                        UserEvent::Resize { rows, cols } => {
                            if let Some(link) = self.clients.get_mut(&id) {
                                link.size = Some(Size {
                                    rows: (*rows).clamp(1, MAX_ROWS),
                                    cols: (*cols).clamp(1, MAX_COLS),
                                });
                            }
                        }
                        event => {
                            if let Err(error) = self.user_event(&session, event) {
                                tracing::debug!(client = id.0, %error, "client command failed");
                            }
                        }
                    }
                }
                self.fit_session(&session);
                if self.clients.contains_key(&id) {
                    let view = self.views.entry(id).or_default();
                    view.set_requests(&self.store, stream.scroll, stream.search.clone());
                }
                self.dirty.everything = true;
            }
        }
        self.idle_flow()
    }

    /// Marks the session, and the client acting on it, as used now; returns the
    /// activity clock's new reading for the client.
    fn touch(&mut self, session: usize) -> u64 {
        self.activity += 1;
        if let Some(session) = self.sessions.get_mut(session) {
            session.last_used = self.activity;
        }
        self.activity
    }

    pub(super) fn drop_client(&mut self, id: ClientId, reason: GoneReason) {
        self.heard_from.remove(&id);
        self.views.remove(&id);
        if let Some(link) = self.clients.remove(&id) {
            tracing::info!(client = id.0, session = %link.session, ?reason, "client endpoint closed");
            // Its size no longer counts.
            self.fit_session(&link.session);
            self.dirty.everything = true;
        }
    }

    /// Lays the session's windows out at the size its policy picks among its clients.
    fn fit_session(&mut self, name: &str) {
        let Some(index) = self.sessions.iter().position(|s| s.name == name) else {
            return;
        };
        let clients = self
            .clients
            .values()
            .filter(|link| link.session == name && !link.is_finishing())
            .filter_map(|link| Some((link.active_at, link.size?)));
        let session = &mut self.sessions[index];
        let Some(size) = session.window_size.choose(clients) else {
            return;
        };
        if size == session.size() {
            return;
        }
        session.resize(size);
        let windows: Vec<u32> = session.windows().map(|w| w.index).collect();
        for window in windows {
            self.apply_layout(index, window);
        }
    }

    fn user_event(&mut self, session: &str, event: &UserEvent) -> Result<(), CommandError> {
        match event {
            UserEvent::Keys(bytes) => {
                let location = self.resolve(session)?;
                if let Some(pane) = self.panes.get_mut(&location.pane) {
                    pane.write_input(bytes);
                }
            }
            // The caller keeps the client's size and fits the session to its clients.
            UserEvent::Resize { .. } => {}
            UserEvent::Command(command) => self.mux_command(session, command)?,
        }
        Ok(())
    }

    fn mux_command(&mut self, session: &str, command: &MuxCommand) -> Result<(), CommandError> {
        let target = session.to_string();
        let split = |side_by_side| control::SplitWindow {
            target: target.clone(),
            side_by_side,
            percent: None,
            command: Vec::new(),
        };
        match command {
            MuxCommand::SplitHorizontal => self.split_window(split(true)).map(drop),
            MuxCommand::SplitVertical => self.split_window(split(false)).map(drop),
            MuxCommand::SelectPane(direction) => match self.neighbour(session, *direction)? {
                Some(pane) => self.select_pane(&pane.to_string()).map(drop),
                None => Ok(()),
            },
            MuxCommand::NextPane => {
                let location = self.resolve(session)?;
                let panes = self.sessions[location.session]
                    .window(location.window)
                    .map(|w| w.panes())
                    .unwrap_or_default();
                let at = panes.iter().position(|&p| p == location.pane).unwrap_or(0);
                match panes.get((at + 1) % panes.len().max(1)) {
                    Some(next) => self.select_pane(&next.to_string()).map(drop),
                    None => Ok(()),
                }
            }
            MuxCommand::ToggleZoom => self.toggle_zoom(session).map(drop),
            MuxCommand::KillPane => self.kill_pane(session).map(drop),
            MuxCommand::NewWindow => self
                .new_window(control::NewWindow {
                    target,
                    command: Vec::new(),
                })
                .map(drop),
            MuxCommand::NextWindow | MuxCommand::PreviousWindow => {
                let location = self.resolve(session)?;
                let indexes: Vec<u32> = self.sessions[location.session]
                    .windows()
                    .map(|w| w.index)
                    .collect();
                let at = indexes
                    .iter()
                    .position(|&i| i == location.window)
                    .unwrap_or(0);
                let count = indexes.len().max(1);
                let step = if *command == MuxCommand::NextWindow {
                    1
                } else {
                    count - 1
                };
                match indexes.get((at + step) % count) {
                    Some(index) => self.select_pane(&format!("{session}:{index}")).map(drop),
                    None => Ok(()),
                }
            }
            MuxCommand::SelectWindow(index) => {
                self.select_pane(&format!("{session}:{index}")).map(drop)
            }
            MuxCommand::RenameWindow(name) => self
                .rename_window(control::RenameWindow {
                    target,
                    name: name.to_string(),
                })
                .map(drop),
            // Handled by the caller, which owns the link.
            MuxCommand::Detach => Ok(()),
            MuxCommand::SelectPaneById(pane) => {
                // Only a pane of the window shown: an id names any pane of the daemon.
                let location = self.resolve(session)?;
                let shown = self.sessions[location.session]
                    .window(location.window)
                    .is_some_and(|w| w.panes().contains(&PaneId(*pane)));
                if shown {
                    self.select_pane(&PaneId(*pane).to_string()).map(drop)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The pane next to the active one in `direction`: the one sharing the longest stretch
    /// of the active pane's edge (tmux picks the most recently used; we have no such
    /// record), or none at the window's edge.
    fn neighbour(
        &self,
        session: &str,
        direction: Direction,
    ) -> Result<Option<PaneId>, CommandError> {
        let location = self.resolve(session)?;
        let Some(window) = self.sessions[location.session].window(location.window) else {
            return Ok(None);
        };
        let rects = window.rects();
        let Some(&(_, active)) = rects.iter().find(|(id, _)| *id == location.pane) else {
            return Ok(None);
        };
        let overlap =
            |a0: u16, a1: u16, b0: u16, b1: u16| i32::from(a1.min(b1)) - i32::from(a0.max(b0));
        let best = rects
            .iter()
            .filter(|(id, _)| *id != location.pane)
            .filter_map(|&(id, r)| {
                let (adjacent, shared) = match direction {
                    Direction::Left => (end(r.x, r.cols) + 1 == active.x, rows(&r, &active)),
                    Direction::Right => (end(active.x, active.cols) + 1 == r.x, rows(&r, &active)),
                    Direction::Up => (end(r.y, r.rows) + 1 == active.y, cols(&r, &active)),
                    Direction::Down => (end(active.y, active.rows) + 1 == r.y, cols(&r, &active)),
                };
                let shared = overlap(shared.0, shared.1, shared.2, shared.3);
                (adjacent && shared > 0).then_some((shared, id))
            })
            .max_by_key(|&(shared, id)| (shared, std::cmp::Reverse(id)));
        Ok(best.map(|(_, id)| id))
    }

    /// Stops the daemon once nothing is left: no session, and no link still delivering a
    /// final state.
    pub(super) fn idle_flow(&self) -> Flow {
        if self.sessions.is_empty() && self.clients.is_empty() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

fn end(start: u16, len: u16) -> u16 {
    start.saturating_add(len)
}

/// The row spans of two rectangles, as (a0, a1, b0, b1) half-open ranges.
fn rows(a: &Rect, b: &Rect) -> (u16, u16, u16, u16) {
    (a.y, end(a.y, a.rows), b.y, end(b.y, b.rows))
}

fn cols(a: &Rect, b: &Rect) -> (u16, u16, u16, u16) {
    (a.x, end(a.x, a.cols), b.x, end(b.x, b.cols))
}

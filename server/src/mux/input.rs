//! Attached clients: opening their endpoints, and carrying out what they send. Every
//! command goes through the same mux operation as its command-line counterpart, aimed at
//! the client's session by id (a session target means its active window and pane), so a
//! session renamed meanwhile is still the one the client is in.

use super::clients::ClientEndpoint;
use super::{Action, ClientId, CommandError, GoneReason, Host, Lifetime, Mux, FIRST_CONTACT_LIMIT};
use crate::control::{self, Connect, WindowChoice};
use crate::layout::Rect;
use crate::pane_id::{PaneId, SessionId, Size};
use crate::target::{SessionRef, Target};
use moshmux_proto::layouts::Step;
use moshmux_proto::screen::{MAX_COLS, MAX_ROWS};
use moshmux_proto::user::Direction;
use moshmux_proto::{HostState, IdEvent, Label, MuxCommand, UserEvent, UserStream};
use std::time::{Duration, Instant, SystemTime};

impl Mux {
    /// Creates or joins the session, then opens a UDP endpoint for one client with a
    /// fresh key: on the daemon's shared port, or on a port of its own. The port is taken
    /// first, so a full range leaves no session behind; a join first closes the
    /// session's endpoints whose clients went silent, which may free that very port.
    pub(super) fn new_client(
        &mut self,
        mut new: control::NewClient,
        now: Instant,
        wall: SystemTime,
        host: &mut dyn Host,
    ) -> Result<Connect, CommandError> {
        let id = ClientId(self.next_client);
        if let Some(session) = self.existing_session(&new.session) {
            self.reclaim_silent(session, id, now);
        }
        let key = host.session_key().map_err(CommandError::Endpoint)?;
        let (_, port) = self
            .listeners
            .open_for(id, &new.bind, new.ports, host, &mut self.actions)
            .map_err(CommandError::Endpoint)?;
        self.next_client += 1;
        if new.forward_agent {
            self.serve_agent(&mut new.session.environment);
        }
        let session = match self.new_session(new.session, wall, host) {
            Ok(session) => session,
            Err(error) => {
                self.close_listeners_of(id);
                return Err(error);
            }
        };
        let active_at = self.touch(session);
        let lifetime = Lifetime {
            first_contact: FIRST_CONTACT_LIMIT,
            silence: new.network_timeout_secs.map(Duration::from_secs),
        };
        let mut client = ClientEndpoint::new(session, &key, lifetime, now);
        client.active_at = active_at;
        while let Some(event) = client.poll_id_event() {
            self.routes.apply(id, event);
        }
        tracing::info!(client = id.0, %session, port, "client endpoint opened");
        self.clients.insert(id, client);
        if new.detach_others {
            self.detach_others(session, id, now);
        }
        self.dirty.everything = true;
        Ok(Connect {
            port,
            key: *key.as_bytes(),
            notices: {
                self.health.update(&self.store, now);
                let mut notices = std::mem::take(&mut self.notices);
                notices.extend(self.health.lines_for_new());
                notices
            },
        })
    }

    /// A client forwards its agent: the session's new panes get `SSH_AUTH_SOCK` naming
    /// the daemon's agent socket, which is served from the first such client on.
    fn serve_agent(&mut self, environment: &mut crate::environment::Environment) {
        let Some(path) = self.agent_socket.clone() else {
            return;
        };
        let value = path.to_string_lossy().into_owned();
        environment
            .0
            .insert("SSH_AUTH_SOCK".to_owned(), Some(value));
        if !self.serving_agent {
            self.serving_agent = true;
            self.actions.push_back(Action::ServeAgent { path });
        }
    }

    /// Carries out what a client sent: its input, commands and scroll requests.
    pub(super) fn user_input(
        &mut self,
        id: ClientId,
        stream: UserStream,
        now: Instant,
        host: &mut dyn Host,
    ) {
        let Some(client) = self
            .clients
            .get(&id)
            .filter(|client| !client.is_finishing())
        else {
            return;
        };
        let session = client.session;
        let closing = client.peer_closed();
        self.heard_from.insert(id);
        // Updates without events come and go as the stream is trimmed; only input is
        // activity.
        let input = !stream.events().is_empty();
        if input && self.sessions.contains_key(&session) {
            let active_at = self.touch(session);
            if let Some(client) = self.clients.get_mut(&id) {
                client.active_at = active_at;
            }
            self.reclaim_silent(session, id, now);
        }
        for event in stream.events() {
            match event {
                UserEvent::Command(MuxCommand::Detach) => {
                    self.detach(id, now);
                    break;
                }
                UserEvent::Resize { rows, cols } => {
                    if let Some(client) = self.clients.get_mut(&id) {
                        client.size = Some(Size {
                            rows: (*rows).clamp(1, MAX_ROWS),
                            cols: (*cols).clamp(1, MAX_COLS),
                        });
                    }
                }
                UserEvent::Command(MuxCommand::CommandLine(line)) => {
                    self.run_command_line(id, line.as_str(), now, host);
                }
                UserEvent::Copied { piece, last } => self.take_copied(id, piece, *last, now),
                event => {
                    let outcome = match self.sessions.contains_key(&session) {
                        true => self.user_event(session, event, now, host),
                        false => Ok(()),
                    };
                    // Shown on the client's status line, as tmux shows a key's error.
                    if let Err(error) = outcome {
                        tracing::debug!(client = id.0, %error, "client command failed");
                        self.reply_to(id, &error.to_string(), true, now);
                    }
                }
            }
        }
        // A client that closed its side without saying why has left all the same.
        if closing {
            self.detach(id, now);
        }
        self.fit_session(session);
        let mut requests_changed = false;
        if let Some(client) = self.clients.get_mut(&id).filter(|c| !c.is_finishing()) {
            requests_changed = client.tree != stream.tree;
            client.tree = stream.tree;
        }
        if let Some(srtt) = self
            .clients
            .get(&id)
            .filter(|c| !c.is_finishing())
            .map(ClientEndpoint::srtt)
        {
            let view = self.views.entry(id).or_default();
            requests_changed |=
                view.set_requests(&self.store, stream.scroll, stream.search.clone(), now, srtt);
        }
        // A heartbeat or a bare acknowledgement changes nothing anyone sees: publishing
        // for it would wake the daemon a second time per heartbeat.
        if input || closing || requests_changed {
            self.dirty.everything = true;
        }
    }

    /// Marks the session, and the client acting on it, as used now; returns the
    /// activity clock's new reading for the client.
    pub(super) fn touch(&mut self, session: SessionId) -> u64 {
        self.activity += 1;
        if let Some(session) = self.sessions.get_mut(&session) {
            session.last_used = self.activity;
        }
        self.activity
    }

    /// The client detached: it stops counting as attached at once; its endpoint stays a
    /// moment to acknowledge the detach again should that acknowledgement be lost.
    fn detach(&mut self, id: ClientId, now: Instant) {
        self.heard_from.remove(&id);
        self.views.remove(&id);
        if let Some(client) = self.clients.get_mut(&id) {
            if !client.is_finishing() {
                tracing::info!(client = id.0, session = %client.session, "client detached");
            }
            client.leave(now);
            let session = client.session;
            self.fit_session(session);
        }
    }

    /// `attach -d`: every client of `session` but `keep` is detached.
    fn detach_others(&mut self, session: SessionId, keep: ClientId, now: Instant) {
        self.detach_where(session, now, |id| id != keep);
    }

    /// Detaches every client of `session` that `which` picks, as tmux's `attach -d` and
    /// `detach-client` do: each gets a last state that says so and closes its
    /// connection, and stops counting as attached at once (the session's size follows
    /// the clients left).
    pub(super) fn detach_where(
        &mut self,
        session: SessionId,
        now: Instant,
        which: impl Fn(ClientId) -> bool,
    ) {
        let Some(name) = self.sessions.get(&session).map(|s| s.name.clone()) else {
            return;
        };
        let last = HostState {
            session: Label::new(&name),
            detached: true,
            ..HostState::default()
        };
        let picked: Vec<ClientId> = (self.clients.iter())
            .filter(|(id, c)| which(**id) && c.session == session && !c.is_finishing())
            .map(|(id, _)| *id)
            .collect();
        for id in picked {
            tracing::info!(client = id.0, %session, "client detached by another");
            self.heard_from.remove(&id);
            self.views.remove(&id);
            if let Some(client) = self.clients.get_mut(&id) {
                client.finish(last.clone(), now);
            }
        }
        self.fit_session(session);
    }

    pub(super) fn drop_client(&mut self, id: ClientId, reason: GoneReason) {
        self.heard_from.remove(&id);
        self.views.remove(&id);
        self.copies.remove(&id);
        if let Some(client) = self.clients.remove(&id) {
            tracing::info!(client = id.0, session = %client.session, ?reason, "client endpoint closed");
            for connection_id in client.connection_ids() {
                self.routes.apply(id, IdEvent::Remove(connection_id));
            }
            self.close_listeners_of(id);
            self.actions.push_back(Action::AbortSockets { client: id });
            // Its size no longer counts.
            self.fit_session(client.session);
            self.dirty.everything = true;
        }
    }

    /// Closes the port a client had of its own, if it had one.
    fn close_listeners_of(&mut self, id: ClientId) {
        for listener in self.listeners.take_owned_by(id) {
            self.actions.push_back(Action::CloseListener { listener });
        }
    }

    /// Lays the session's windows out at the size its policy picks among its clients.
    pub(super) fn fit_session(&mut self, id: SessionId) {
        let clients = self
            .clients
            .values()
            .filter(|client| client.session == id && !client.is_finishing())
            .filter_map(|client| Some((client.active_at, client.size?)));
        let policy = self.window_size_of(id);
        let Some(session) = self.sessions.get_mut(&id) else {
            return;
        };
        let Some(size) = policy.choose(clients) else {
            return;
        };
        // A window moved in from another session may still have the size it had there.
        if size == session.size() && session.windows().all(|w| w.size() == size) {
            return;
        }
        session.resize(size);
        let windows: Vec<u32> = session.windows().map(|w| w.index).collect();
        for window in windows {
            self.apply_layout(id, window);
        }
    }

    fn user_event(
        &mut self,
        session: SessionId,
        event: &UserEvent,
        now: Instant,
        host: &mut dyn Host,
    ) -> Result<(), CommandError> {
        match event {
            UserEvent::Keys(bytes) => {
                let location = self.resolve(&Target::session(SessionRef::Id(session)))?;
                for pane in self.typed_into(&location) {
                    self.actions.push_back(Action::WritePane {
                        pane,
                        bytes: bytes.clone(),
                    });
                }
            }
            // The caller keeps the client's size and fits the session to its clients, and
            // gathers its copies.
            UserEvent::Resize { .. } | UserEvent::Copied { .. } => {}
            UserEvent::Command(command) => self.mux_command(session, command, now, host)?,
        }
        Ok(())
    }

    fn mux_command(
        &mut self,
        session: SessionId,
        command: &MuxCommand,
        now: Instant,
        host: &mut dyn Host,
    ) -> Result<(), CommandError> {
        let target = Target::session(SessionRef::Id(session));
        let split = |side_by_side| control::SplitWindow {
            target: Some(target.clone()),
            side_by_side,
            size: None,
            placement: control::SplitPlacement::default(),
            cwd: None,
            command: Vec::new(),
        };
        match command {
            MuxCommand::SplitHorizontal => self.split_window(split(true), host).map(drop),
            MuxCommand::SplitVertical => self.split_window(split(false), host).map(drop),
            MuxCommand::SelectPane(direction) => match self.neighbour(&target, *direction)? {
                Some(pane) => self.select_pane(Some(&Target::Pane(pane))).map(drop),
                None => Ok(()),
            },
            MuxCommand::NextPane => {
                let location = self.resolve(&target)?;
                let next = self.sessions[&location.session]
                    .window(location.window)
                    .and_then(|w| w.next_in_order(location.pane, Step::Down));
                match next {
                    Some(next) => self.select_pane(Some(&Target::Pane(next))).map(drop),
                    None => Ok(()),
                }
            }
            MuxCommand::ToggleZoom => self.toggle_zoom(&target).map(drop),
            MuxCommand::KillPane => self.kill_pane(Some(&target), now).map(drop),
            MuxCommand::NewWindow => self
                .new_window(
                    control::NewWindow {
                        target: Some(target),
                        ..control::NewWindow::default()
                    },
                    now,
                    host,
                )
                .map(drop),
            MuxCommand::NextWindow | MuxCommand::PreviousWindow | MuxCommand::LastWindow => {
                let which = match command {
                    MuxCommand::NextWindow => WindowChoice::Next,
                    MuxCommand::PreviousWindow => WindowChoice::Previous,
                    _ => WindowChoice::Last,
                };
                self.select_window(control::SelectWindow {
                    target: Some(target),
                    which,
                })
                .map(drop)
            }
            MuxCommand::LastPane => self.last_pane(Some(&target)).map(drop),
            MuxCommand::KillWindow => self.kill_window(Some(&target), now).map(drop),
            MuxCommand::RenameSession(name) => self
                .rename_session(control::RenameSession {
                    target: Some(target),
                    name: name.to_string(),
                })
                .map(drop),
            MuxCommand::SelectWindow(index) => {
                let window = Target::window(session, *index);
                self.select_pane(Some(&window)).map(drop)
            }
            MuxCommand::RenameWindow(name) => self
                .rename_window(control::RenameWindow {
                    target: Some(target),
                    name: name.to_string(),
                })
                .map(drop),
            MuxCommand::ResizePane(direction, cells) => {
                let cells = i32::from(*cells);
                let (across, down) = match direction {
                    Direction::Left => (-cells, 0),
                    Direction::Right => (cells, 0),
                    Direction::Up => (0, -cells),
                    Direction::Down => (0, cells),
                };
                self.resize_pane(control::ResizePane {
                    target: Some(target),
                    across,
                    down,
                    ..control::ResizePane::default()
                })
                .map(drop)
            }
            MuxCommand::SwapPane(step) => self
                .swap_pane(control::SwapPane {
                    target: Some(target),
                    step: Some(*step),
                    ..control::SwapPane::default()
                })
                .map(drop),
            MuxCommand::RotateWindow(step) => self
                .rotate_window(control::RotateWindow {
                    target: Some(target),
                    step: *step,
                })
                .map(drop),
            MuxCommand::SelectLayout(choice) => self
                .select_layout(control::SelectLayout {
                    target: Some(target),
                    choice: *choice,
                })
                .map(drop),
            // Both are handled by the caller, which knows the client (`user_input`).
            MuxCommand::Detach | MuxCommand::CommandLine(_) => Ok(()),
            MuxCommand::SelectPaneById(pane) => {
                // Only a pane of the window shown: an id names any pane of the daemon.
                let location = self.resolve(&target)?;
                let shown = self.sessions[&location.session]
                    .window(location.window)
                    .is_some_and(|w| w.panes().contains(pane));
                if shown {
                    self.select_pane(Some(&Target::Pane(*pane))).map(drop)
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
        session: &Target,
        direction: Direction,
    ) -> Result<Option<PaneId>, CommandError> {
        let location = self.resolve(session)?;
        let Some(window) = self.sessions[&location.session].window(location.window) else {
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

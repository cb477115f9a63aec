//! Control requests: what `moshmux-server` commands ask of the daemon, each carried out
//! on the mux's state. Targets arrive parsed and are resolved here (`resolve.rs`),
//! against what exists now.

use super::resolve::Location;
use super::{Answer, Host, Mux};
use crate::control::{self, NewSession, Reply, Request, WindowSize};
use crate::history;
use crate::keys;
use crate::layout::{LayoutError, Orientation};
use crate::options::{OptionKey, OptionName, OptionValue};
use crate::output_stream::{self, OutputPlan};
use crate::pane_id::{PaneId, SessionId, Size};
use crate::session::Session;
use crate::store_health::moved_aside_hint;
use crate::target::Target;
use crate::window::Window;
use moshmux_proto::label::{is_session_name, is_window_name};
use moshmux_proto::screen::{MAX_COLS, MAX_ROWS};
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

/// Window size for sessions no client has sized yet, as tmux's default-size.
const DEFAULT_SIZE: Size = Size { rows: 24, cols: 80 };

pub use super::errors::CommandError;
pub(super) use super::errors::Outcome;

impl Mux {
    pub(super) fn request(
        &mut self,
        now: Instant,
        wall: SystemTime,
        request: Request,
        host: &mut dyn Host,
    ) -> Answer {
        // Whatever a request does may show on a client's screen.
        self.dirty.everything = true;
        self.refresh_foreground(host, |_| true);
        let had_sessions = !self.sessions.is_empty();
        let outcome = match request {
            Request::NewClient(new) => {
                let reply = match self.new_client(new, now, wall, host) {
                    Ok(connect) => Reply::Connect(connect),
                    Err(error) => Reply::Error(error.to_string()),
                };
                // A daemon started for a session that could not start ends.
                self.stop_when_idle();
                return Answer::Reply(reply);
            }
            Request::NewSession(new) => {
                let outcome = self.new_detached(new, wall, host);
                // A daemon started for a session that could not start ends.
                self.stop_when_idle();
                outcome
            }
            Request::ListSessions(list) => Ok(self.list_sessions(&list, host)),
            Request::HasSession(t) => self.resolve_or_recent(t.as_ref()).map(|_| String::new()),
            Request::RenameSession(rename) => self.rename_session(rename),
            Request::KillSession(t) => self.kill_session(t.as_ref(), now),
            Request::KillServer(()) => {
                self.shutdown();
                return Answer::Reply(Reply::Ok(String::new()));
            }
            Request::NewWindow(new) => self.new_window(new, now, host),
            Request::KillWindow(t) => self.kill_window(t.as_ref(), now),
            Request::ListWindows(list) => self.list_windows(&list, host),
            Request::SplitWindow(split) => self.split_window(split, host),
            Request::SelectPane(t) => self.select_pane(t.as_ref()),
            Request::KillPane(t) => self.kill_pane(t.as_ref(), now),
            Request::KillOtherPanes(t) => self.kill_other_panes(t.as_ref(), now),
            Request::KillOtherWindows(t) => self.kill_other_windows(t.as_ref(), now),
            Request::KillOtherSessions(t) => self.kill_other_sessions(t.as_ref(), now),
            Request::SelectWindow(select) => self.select_window(select),
            Request::LastPane(t) => self.last_pane(t.as_ref()),
            Request::ResizePane(resize) => self.resize_pane(resize),
            Request::SelectLayout(select) => self.select_layout(select),
            Request::SwapPane(swap) => self.swap_pane(swap),
            Request::RotateWindow(rotate) => self.rotate_window(rotate),
            Request::RenameWindow(rename) => self.rename_window(rename),
            Request::ResizeWindow(resize) => self.resize_window(resize),
            Request::ListPanes(list) => self.list_panes(&list, host),
            Request::ListClients(list) => self.list_clients(&list),
            Request::DetachClient(detach) => self.detach_client(&detach, now),
            Request::ShowMessages(()) => Ok(self.show_messages()),
            Request::DisplayMessage(display) => {
                self.display_message(display.target.as_ref(), &display.format, host)
            }
            Request::SendKeys(send) => self.send_keys(send, host),
            Request::CapturePane(capture) => match self.capture_pane(capture) {
                Ok(plan) => return Answer::Stream(plan),
                Err(error) => Err(error),
            },
            Request::ListAll(()) => {
                Ok(self.list_sessions(&control::List::default(), host) + &self.list_ended())
            }
            Request::Forward(forward) => self.ask_client_to_forward(forward),
            Request::BreakPane(brk) => self.break_pane(brk, now),
            Request::JoinPane(join) => self.join_pane(join, now),
            Request::SwapWindow(swap) => self.swap_window(swap),
            Request::MoveWindow(moved) => self.move_window(moved, now),
            Request::SetBuffer(set) => self.set_buffer(set),
            Request::ShowBuffer(name) => self.show_buffer(name.0.as_deref()),
            Request::ListBuffers(format) => self.list_buffers(format.0.as_deref()),
            Request::DeleteBuffer(name) => self.delete_buffer(name.0.as_deref()),
            Request::PasteBuffer(paste) => self.paste_buffer(paste, host),
            Request::RespawnPane(respawn) => self.respawn_pane(respawn, host),
            Request::RespawnWindow(respawn) => self.respawn_window(respawn, now, host),
            Request::SetEnvironment(set) => self.set_environment(set),
            Request::ShowEnvironment(show) => self.show_environment(&show),
            Request::SetOption(set) => self.set_option(set),
            Request::ShowOptions(show) => self.show_options(&show),
            Request::SearchHistory(search) => match self.search_history(search) {
                Ok(plan) => return Answer::Stream(plan),
                Err(error) => Err(error),
            },
        };
        // A daemon whose sessions are all gone ends, like tmux's server, once its clients
        // have been told.
        if had_sessions {
            self.stop_when_idle();
        }
        Answer::Reply(match outcome {
            Ok(text) => Reply::Ok(text),
            Err(error) => Reply::Error(error.to_string()),
        })
    }

    /// Creates a session, or finds the one of that name (with no name and `join_recent`,
    /// the one used last); gives it the window size policy asked for; returns its index.
    pub(super) fn new_session(
        &mut self,
        new: control::NewSession,
        wall: SystemTime,
        host: &mut dyn Host,
    ) -> Result<SessionId, CommandError> {
        let policy = new.window_size;
        self.apply_config_options(&new.options);
        let id = match self.existing_session(&new) {
            Some(id) => {
                if let Some(session) = self.sessions.get_mut(&id) {
                    session.environment.update(new.environment);
                }
                id
            }
            None => self.create_session(new, DEFAULT_SIZE, wall, host)?,
        };
        self.set_window_size(id, policy);
        Ok(id)
    }

    /// Gives the session the window size policy asked for, if one was.
    fn set_window_size(&mut self, id: SessionId, policy: Option<WindowSize>) {
        if let (Some(policy), Some(session)) = (policy, self.sessions.get_mut(&id)) {
            session.options.set(
                OptionKey::Known(OptionName::WindowSize),
                OptionValue::WindowSize(policy),
            );
        }
    }

    /// The session `new` joins, if it joins one.
    pub(super) fn existing_session(&self, new: &control::NewSession) -> Option<SessionId> {
        match &new.name {
            Some(name) => self.session_named(name),
            None if new.join_recent => self.recent_session(),
            None => None,
        }
    }

    /// A session of `new`'s name (else its id's number), command, directory and
    /// environment, laid out at `size`.
    fn create_session(
        &mut self,
        new: NewSession,
        size: Size,
        wall: SystemTime,
        host: &mut dyn Host,
    ) -> Result<SessionId, CommandError> {
        let NewSession {
            name,
            command,
            cwd,
            environment,
            ..
        } = new;
        let name = match name {
            Some(name) => {
                check_session_name(&name)?;
                name
            }
            None => loop {
                let candidate = self.next_session.to_string();
                if self.session_named(&candidate).is_none() {
                    break candidate;
                }
                self.next_session += 1;
            },
        };
        let cwd = cwd.map(PathBuf::from);
        let id = self.allocate_pane_id()?;
        let pane = self.spawn(host, id, command, cwd.clone(), size, &environment)?;
        self.limit_history(pane, None);
        let id = SessionId(self.next_session);
        self.next_session += 1;
        let mut session = Session::new(id, name, cwd, pane, size, wall);
        session.environment = environment;
        self.sessions.insert(id, session);
        Ok(id)
    }

    /// `new-session -d`: a session of its own size that no client joins; as tmux, a
    /// name already taken is refused rather than joined.
    fn new_detached(
        &mut self,
        new: control::NewDetached,
        wall: SystemTime,
        host: &mut dyn Host,
    ) -> Outcome {
        let size = Size {
            cols: new.cols.unwrap_or(DEFAULT_SIZE.cols),
            rows: new.rows.unwrap_or(DEFAULT_SIZE.rows),
        };
        if size.cols > MAX_COLS || size.rows > MAX_ROWS {
            return Err(CommandError::WindowTooLarge {
                cols: size.cols,
                rows: size.rows,
            });
        }
        let name = new.session.name.as_ref();
        if let Some(name) = name.filter(|n| self.session_named(n).is_some()) {
            return Err(CommandError::DuplicateSession(name.clone()));
        }
        let policy = new.session.window_size;
        let id = self.create_session(new.session, size, wall, host)?;
        // Created counts as used, so commands without -t find it as tmux's do.
        self.touch(id);
        self.set_window_size(id, policy);
        Ok(String::new())
    }

    pub(super) fn rename_session(&mut self, rename: control::RenameSession) -> Outcome {
        check_session_name(&rename.name)?;
        let location = self.resolve_or_recent(rename.target.as_ref())?;
        if self
            .session_named(&rename.name)
            .is_some_and(|other| other != location.session)
        {
            return Err(CommandError::DuplicateSession(rename.name));
        }
        if let Some(session) = self.sessions.get_mut(&location.session) {
            session.name = rename.name;
        }
        Ok(String::new())
    }

    /// Closes every pane of the window, as tmux's kill-window.
    pub(super) fn kill_window(&mut self, target: Option<&Target>, now: Instant) -> Outcome {
        let location = self.resolve_or_recent(target)?;
        let panes = self.sessions[&location.session]
            .window(location.window)
            .map(Window::panes)
            .unwrap_or_default();
        for pane in panes {
            self.close_pane(pane, now);
        }
        Ok(String::new())
    }

    /// `kill-window -a`: the target's window stays, every other window of its session
    /// closes.
    fn kill_other_windows(&mut self, target: Option<&Target>, now: Instant) -> Outcome {
        let location = self.resolve_or_recent(target)?;
        let others: Vec<PaneId> = self.sessions[&location.session]
            .windows()
            .filter(|window| window.index != location.window)
            .flat_map(Window::panes)
            .collect();
        for pane in others {
            self.close_pane(pane, now);
        }
        if let Some(session) = self.sessions.get_mut(&location.session) {
            session.select_window(location.window);
        }
        Ok(String::new())
    }

    /// `kill-session -a`: the target stays, every other session ends.
    fn kill_other_sessions(&mut self, target: Option<&Target>, now: Instant) -> Outcome {
        let location = self.resolve_or_recent(target)?;
        let others: Vec<SessionId> = (self.sessions.keys().copied())
            .filter(|&id| id != location.session)
            .collect();
        for id in others {
            self.end_session(id, now);
        }
        Ok(String::new())
    }

    fn kill_session(&mut self, target: Option<&Target>, now: Instant) -> Outcome {
        let location = self.resolve_or_recent(target)?;
        self.end_session(location.session, now);
        Ok(String::new())
    }

    /// Ends a session and every program left in it (none when its last window or pane
    /// moved to another session).
    pub(super) fn end_session(&mut self, id: SessionId, now: Instant) {
        let Some(session) = self.sessions.remove(&id) else {
            return;
        };
        for id in session.panes() {
            if let Some(mut pane) = self.panes.remove(&id) {
                self.actions
                    .push_back(super::Action::ClosePane { pane: id });
                pane.end_history();
            }
        }
        self.session_ended(&session, now);
    }

    /// Where a new pane's program starts: `-c` (a path or a format, expanded for the pane
    /// at `location`), else the session's directory.
    pub(super) fn start_dir(
        &self,
        location: &Location,
        template: Option<&str>,
        host: &dyn Host,
    ) -> Option<PathBuf> {
        match template {
            Some(template) => Some(PathBuf::from(self.expand_at(location, template, host))),
            None => self.sessions[&location.session].cwd.clone(),
        }
    }

    pub(super) fn split_window(
        &mut self,
        split: control::SplitWindow,
        host: &mut dyn Host,
    ) -> Outcome {
        let location = self.resolve_or_recent(split.target.as_ref())?;
        let orientation = if split.side_by_side {
            Orientation::SideBySide
        } else {
            Orientation::Stacked
        };
        let cwd = self.start_dir(&location, split.cwd.as_deref(), host);
        let session = &self.sessions[&location.session];
        let environment = session.environment.clone();
        let Some(window) = session.window(location.window) else {
            return Ok(String::new());
        };
        // Lay the split out on a copy first: the new pane's size is needed to start it,
        // and a program that fails to start must leave the window as it was.
        let mut trial = window.clone();
        let new_id = self.allocate_pane_id()?;
        trial.split(
            location.pane,
            new_id,
            orientation,
            split.size,
            split.placement,
        )?;
        let size = trial
            .rects()
            .into_iter()
            .find(|(id, _)| *id == new_id)
            .map(|(_, rect)| rect.size())
            .ok_or(LayoutError::NoSuchPane(new_id))?;
        self.spawn(host, new_id, split.command, cwd, size, &environment)?;
        self.limit_history(new_id, Some(location.session));
        if let Some(window) = self.window_mut(location.session, location.window) {
            *window = trial;
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    /// select-pane; `None` (only a peer of the socket sends it: the command line
    /// requires `-t`) is the active pane of the session used last, as tmux's default.
    pub(super) fn select_pane(&mut self, target: Option<&Target>) -> Outcome {
        let location = self.resolve_or_recent(target)?;
        if let Some(session) = self.sessions.get_mut(&location.session) {
            session.select_window(location.window);
        }
        if let Some(window) = self.window_mut(location.session, location.window) {
            window.select(location.pane);
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    /// kill-pane; `None` as for [`Mux::select_pane`].
    pub(super) fn kill_pane(&mut self, target: Option<&Target>, now: Instant) -> Outcome {
        let location = self.resolve_or_recent(target)?;
        self.close_pane(location.pane, now);
        Ok(String::new())
    }

    pub(super) fn toggle_zoom(&mut self, target: &Target) -> Outcome {
        let location = self.resolve(target)?;
        self.zoom(&location)
    }

    pub(super) fn zoom(&mut self, location: &Location) -> Outcome {
        if let Some(window) = self.window_mut(location.session, location.window) {
            window.select(location.pane);
            window.toggle_zoom();
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    pub(super) fn rename_window(&mut self, rename: control::RenameWindow) -> Outcome {
        if !is_window_name(&rename.name) {
            return Err(CommandError::BadWindowName(rename.name));
        }
        let location = self.resolve_or_recent(rename.target.as_ref())?;
        if let Some(window) = self.window_mut(location.session, location.window) {
            window.rename(rename.name);
        }
        Ok(String::new())
    }

    fn resize_window(&mut self, resize: control::ResizeWindow) -> Outcome {
        if resize.cols > MAX_COLS || resize.rows > MAX_ROWS {
            return Err(CommandError::WindowTooLarge {
                cols: resize.cols,
                rows: resize.rows,
            });
        }
        let location = self.resolve_or_recent(resize.target.as_ref())?;
        if let Some(window) = self.window_mut(location.session, location.window) {
            window.resize(Size {
                rows: resize.rows,
                cols: resize.cols,
            });
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    fn send_keys(&mut self, send: control::SendKeys, host: &dyn Host) -> Outcome {
        let location = self.resolve_or_recent(send.target.as_ref())?;
        let Some(pane) = self.panes.get(&location.pane) else {
            return Ok(String::new());
        };
        let application_cursor = pane.modes().application_cursor;
        let mut bytes = Vec::new();
        for key in &send.keys {
            if send.literal {
                bytes.extend_from_slice(key.as_bytes());
            } else {
                bytes.extend(keys::key_bytes(key, application_cursor)?);
            }
        }
        for pane in self.typed_into(&location) {
            self.type_into(pane, bytes.clone(), host)?;
        }
        Ok(String::new())
    }

    /// Types `bytes` into a pane, all or nothing: a pane would drop what does not fit.
    pub(super) fn type_into(
        &mut self,
        pane: PaneId,
        bytes: Vec<u8>,
        host: &dyn Host,
    ) -> Result<(), CommandError> {
        let room = host.input_room(pane);
        if bytes.len() > room {
            return Err(CommandError::InputFull {
                pane,
                bytes: bytes.len(),
                room,
            });
        }
        self.actions
            .push_back(super::Action::WritePane { pane, bytes });
        Ok(())
    }

    /// The pane's screen and history; `%ID` also reaches a pane that has ended (here or
    /// under an earlier daemon) as long as its history is kept.
    fn capture_pane(&self, capture: control::CapturePane) -> Result<OutputPlan, CommandError> {
        let id = self.resolve_with_history(&capture.target)?;
        let screen = self.panes.get(&id).map(|pane| {
            let text = pane.capture(capture.escapes);
            text.lines().map(str::to_owned).collect()
        });
        Ok(output_stream::plan(
            self.store.clone(),
            id,
            screen,
            capture.start,
            capture.end,
            capture.escapes,
        ))
    }

    fn search_history(&self, search: control::SearchHistory) -> Result<OutputPlan, CommandError> {
        let id = self.resolve_with_history(&search.target)?;
        Ok(output_stream::plan_search(
            self.store.clone(),
            id,
            search.pattern,
        ))
    }

    /// A live pane, or (for `%ID`) an ended one the store has history for.
    fn resolve_with_history(&self, target: &Target) -> Result<PaneId, CommandError> {
        match self.resolve(target) {
            Ok(location) => Ok(location.pane),
            Err(error) => match target {
                &Target::Pane(id) if history::known(&self.store, id) => Ok(id),
                Target::Pane(_) => match moved_aside_hint(&self.store) {
                    Some(hint) => Err(CommandError::History(format!("{error}; {hint}"))),
                    None => Err(error),
                },
                _ => Err(error),
            },
        }
    }

    fn list_ended(&self) -> String {
        let live: HashSet<PaneId> = self.panes.keys().copied().collect();
        history::list_ended(&self.store, &live)
    }
}

/// Names that target syntax could not reach are refused up front.
fn check_session_name(name: &str) -> Result<(), CommandError> {
    if !is_session_name(name) {
        return Err(CommandError::BadSessionName(name.to_string()));
    }
    Ok(())
}

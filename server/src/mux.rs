//! The multiplexer: every session, window and pane of the daemon, owned in one place.
//! The daemon feeds it control requests and pane events one at a time; it answers each
//! request with a reply and says whether the daemon should go on.

mod publish;
mod reclaim;
mod remote;
mod resolve;

use crate::client_link::{ClientId, ClientLink, LinkEvent};
use crate::control::{self, Reply, Request};
use crate::history::{self, PaneHistory, ScreenRows};
use crate::history_view::HistoryView;
use crate::keys::{self, KeyError};
use crate::layout::{LayoutError, Orientation};
use crate::local_time;
use crate::pane::{Pane, PaneEvent, PaneSpawn};
use crate::pane_id::{PaneId, Size};
use crate::session::{Removal, Session};
use crate::target::TargetError;
use crate::window::Window;
use moshmux_proto::label::{is_session_name, SESSION_NAME_RULE};
use moshmux_store::HistoryStore;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::Sender;

/// Window size for sessions no client has sized yet, as tmux's default-size.
const DEFAULT_SIZE: Size = Size { rows: 24, cols: 80 };

/// Whether the daemon keeps running after a request or event.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// `kill-server`, or the last session ended: shut down as tmux's server does.
    Stop,
}

/// Why a command failed; each renders as the one line the user sees.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("can't find session: {name}; sessions: {existing}")]
    NoSession { name: String, existing: String },
    #[error("can't find window: {window} in session {session}; windows: {existing}")]
    NoWindow {
        window: String,
        session: String,
        existing: String,
    },
    #[error("can't find pane: {index} in window {window}; panes: {existing}")]
    NoPaneIndex {
        index: usize,
        window: String,
        existing: String,
    },
    #[error("can't find pane {id}; panes: {existing}")]
    NoPaneId { id: PaneId, existing: String },
    #[error("bad session name {0:?}: {SESSION_NAME_RULE}")]
    BadSessionName(String),
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The program could not be started (with the cause chain, on one line).
    #[error("{0}")]
    Spawn(String),
    #[error("cannot allocate a pane id: {0}")]
    PaneId(String),
    #[error("{0}")]
    History(String),
    /// The client's UDP endpoint could not be opened.
    #[error("{0}")]
    Endpoint(String),
}

pub struct Mux {
    /// In creation order (the order of session numbers); `ls` sorts them by name.
    sessions: Vec<Session>,
    panes: HashMap<PaneId, Pane>,
    /// Pane history, and the source of pane ids (never reused, also across restarts).
    store: Arc<HistoryStore>,
    next_session: u32,
    events: Sender<PaneEvent>,
    /// Every attached client's endpoint.
    clients: BTreeMap<ClientId, ClientLink>,
    /// The clients that have been heard from (a client sends its size first): what `ls`
    /// counts as attached, unlike an endpoint still waiting for its client.
    heard_from: HashSet<ClientId>,
    /// Each client's scroll view and search: the history its state carries.
    views: BTreeMap<ClientId, HistoryView>,
    next_client: u64,
    /// Counts client activity (attaching, input), to tell which client and which session
    /// were active last.
    activity: u64,
    /// Silence after which a reattach to its session closes a client's endpoint.
    reclaim_after: std::time::Duration,
    /// Where client links report to the daemon loop, which hands it to `on_link_event`.
    link_events: Sender<(ClientId, LinkEvent)>,
    dirty: publish::Dirty,
    /// `MOSHMUX` in every pane's environment (socket path and daemon pid, as tmux's
    /// `TMUX`), so programs can tell they run inside moshmux and find its socket.
    identity: String,
}

type Outcome = Result<String, CommandError>;

impl Mux {
    pub fn new(
        events: Sender<PaneEvent>,
        link_events: Sender<(ClientId, LinkEvent)>,
        socket: PathBuf,
        store: Arc<HistoryStore>,
    ) -> Mux {
        Mux {
            sessions: Vec::new(),
            panes: HashMap::new(),
            store,
            next_session: 0,
            events,
            clients: BTreeMap::new(),
            heard_from: HashSet::new(),
            views: BTreeMap::new(),
            next_client: 0,
            activity: 0,
            reclaim_after: reclaim::RECLAIM_AFTER,
            link_events,
            dirty: publish::Dirty::default(),
            identity: format!("{},{}", socket.display(), std::process::id()),
        }
    }

    pub fn handle(&mut self, request: Request) -> (Reply, Flow) {
        // Whatever a request does may show on a client's screen.
        self.dirty.everything = true;
        let had_sessions = !self.sessions.is_empty();
        let outcome = match request {
            Request::NewClient(new) => {
                let reply = match self.new_client(new) {
                    Ok(connect) => Reply::Connect(connect),
                    Err(error) => Reply::Error(error.to_string()),
                };
                // A daemon started for a session that could not start ends.
                return (reply, self.idle_flow());
            }
            Request::ListSessions(()) => Ok(self.list_sessions()),
            Request::KillSession(t) => self.kill_session(&t.0),
            Request::KillServer(()) => {
                self.shutdown();
                return (Reply::Ok(String::new()), Flow::Stop);
            }
            Request::NewWindow(new) => self.new_window(new),
            Request::SplitWindow(split) => self.split_window(split),
            Request::SelectPane(t) => self.select_pane(&t.0),
            Request::KillPane(t) => self.kill_pane(&t.0),
            Request::ToggleZoom(t) => self.toggle_zoom(&t.0),
            Request::RenameWindow(rename) => self.rename_window(rename),
            Request::ResizeWindow(resize) => self.resize_window(resize),
            Request::ListPanes(t) => self.list_panes(&t.0),
            Request::SendKeys(send) => self.send_keys(send),
            Request::CapturePane(capture) => self.capture_pane(capture),
            Request::ListAll(()) => Ok(self.list_sessions() + &self.list_ended()),
            Request::SearchHistory(search) => self.search_history(search),
        };
        let reply = match outcome {
            Ok(text) => Reply::Ok(text),
            Err(error) => Reply::Error(error.to_string()),
        };
        // A daemon whose sessions are all gone ends, like tmux's server, once its clients
        // have been told.
        let flow = if had_sessions {
            self.idle_flow()
        } else {
            Flow::Continue
        };
        (reply, flow)
    }

    pub fn on_event(&mut self, event: PaneEvent) -> Flow {
        match event {
            PaneEvent::Output(id, bytes) => {
                if let Some(pane) = self.panes.get_mut(&id) {
                    pane.process_output(&bytes);
                    if !self.clients.is_empty() {
                        self.dirty.panes.insert(id);
                    }
                }
                Flow::Continue
            }
            PaneEvent::Exited(id, status) => {
                tracing::info!(pane = %id, ?status, "pane's program exited");
                if self.panes.contains_key(&id) {
                    self.close_pane(id);
                    self.dirty.everything = true;
                    return self.idle_flow();
                }
                Flow::Continue
            }
        }
    }

    /// Closes every client endpoint and hangs up every pane's program.
    pub fn shutdown(&mut self) {
        self.clients.clear();
        for (_, mut pane) in self.panes.drain() {
            pane.kill();
            pane.end_history();
        }
        self.sessions.clear();
    }

    /// A pane id the store never handed out before.
    fn allocate_pane_id(&self) -> Result<PaneId, CommandError> {
        self.store
            .allocate_pane_uid()
            .map(|uid| PaneId(uid.0))
            .map_err(|e| CommandError::PaneId(e.to_string()))
    }

    fn spawn(
        &mut self,
        id: PaneId,
        command: Vec<String>,
        cwd: Option<PathBuf>,
        size: Size,
    ) -> Result<PaneId, CommandError> {
        let spec = PaneSpawn {
            command,
            cwd,
            env: vec![
                ("MOSHMUX".to_string(), self.identity.clone()),
                ("MOSHMUX_PANE".to_string(), id.to_string()),
            ],
            size,
        };
        let history = PaneHistory::new(self.store.clone(), id);
        let pane = Pane::spawn(id, &spec, self.events.clone(), history)
            .map_err(|e| CommandError::Spawn(format!("{e:#}")))?;
        self.panes.insert(id, pane);
        Ok(id)
    }

    /// Creates a session, or finds the one of that name (with no name and `join_recent`,
    /// the one used last); gives it the window size policy asked for; returns its index.
    fn new_session(&mut self, new: control::NewSession) -> Result<usize, CommandError> {
        let index = match self.existing_session(&new) {
            Some(index) => index,
            None => self.create_session(new.name, new.command, new.cwd)?,
        };
        if let Some(policy) = new.window_size {
            self.sessions[index].window_size = policy;
        }
        Ok(index)
    }

    /// The session `new` joins, if it joins one.
    fn existing_session(&self, new: &control::NewSession) -> Option<usize> {
        match &new.name {
            Some(name) => self.sessions.iter().position(|s| &s.name == name),
            None if new.join_recent => {
                (0..self.sessions.len()).max_by_key(|&index| self.sessions[index].last_used)
            }
            None => None,
        }
    }

    fn create_session(
        &mut self,
        name: Option<String>,
        command: Vec<String>,
        cwd: Option<String>,
    ) -> Result<usize, CommandError> {
        let name = match name {
            Some(name) => {
                check_session_name(&name)?;
                name
            }
            None => loop {
                let candidate = self.next_session.to_string();
                self.next_session += 1;
                if !self.sessions.iter().any(|s| s.name == candidate) {
                    break candidate;
                }
            },
        };
        let cwd = cwd.map(PathBuf::from);
        let id = self.allocate_pane_id()?;
        let pane = self.spawn(id, command, cwd.clone(), DEFAULT_SIZE)?;
        self.sessions
            .push(Session::new(name, cwd, pane, DEFAULT_SIZE));
        Ok(self.sessions.len() - 1)
    }

    /// tmux's list-sessions with the size and the number of attached clients, sorted by
    /// name as tmux sorts them.
    fn list_sessions(&self) -> String {
        let mut sessions: Vec<&Session> = self.sessions.iter().collect();
        sessions.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out = String::new();
        for session in sessions {
            let count = session.windows().count();
            let size = session
                .window(session.active_window())
                .map_or(session.size(), Window::size);
            let _ = write!(
                out,
                "{}: {count} windows (created {}) [{}x{}]",
                session.name,
                local_time::ctime(session.created),
                size.cols,
                size.rows
            );
            let clients = self
                .clients
                .iter()
                // A link of an ended session of the same name, still waiting to tell its
                // client, is not attached to this one.
                .filter(|(id, link)| {
                    link.session == session.name
                        && !link.is_finishing()
                        && self.heard_from.contains(id)
                })
                .count();
            if clients > 0 {
                let _ = write!(out, " ({clients} attached)");
            }
            out.push('\n');
        }
        out
    }

    fn kill_session(&mut self, target: &str) -> Outcome {
        let location = self.resolve(target)?;
        let session = self.sessions.remove(location.session);
        for id in session.panes() {
            if let Some(mut pane) = self.panes.remove(&id) {
                pane.kill();
                pane.end_history();
            }
        }
        self.session_ended(&session.name);
        Ok(String::new())
    }

    fn new_window(&mut self, new: control::NewWindow) -> Outcome {
        let location = self.resolve(&new.target)?;
        let session = &self.sessions[location.session];
        let (cwd, size) = (session.cwd.clone(), session.size());
        let id = self.allocate_pane_id()?;
        let pane = self.spawn(id, new.command, cwd, size)?;
        self.sessions[location.session].add_window(pane);
        Ok(String::new())
    }

    fn split_window(&mut self, split: control::SplitWindow) -> Outcome {
        let location = self.resolve(&split.target)?;
        let orientation = if split.side_by_side {
            Orientation::SideBySide
        } else {
            Orientation::Stacked
        };
        let session = &self.sessions[location.session];
        let cwd = session.cwd.clone();
        let Some(window) = session.window(location.window) else {
            return Ok(String::new());
        };
        // Lay the split out on a copy first: the new pane's size is needed to start it,
        // and a program that fails to start must leave the window as it was.
        let mut trial = window.clone();
        let new_id = self.allocate_pane_id()?;
        trial.split(location.pane, new_id, orientation, split.percent)?;
        let size = trial
            .rects()
            .into_iter()
            .find(|(id, _)| *id == new_id)
            .map(|(_, rect)| rect.size())
            .ok_or(LayoutError::NoSuchPane(new_id))?;
        self.spawn(new_id, split.command, cwd, size)?;
        if let Some(window) = self.sessions[location.session].window_mut(location.window) {
            *window = trial;
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    fn select_pane(&mut self, target: &str) -> Outcome {
        let location = self.resolve(target)?;
        let session = &mut self.sessions[location.session];
        session.select_window(location.window);
        if let Some(window) = session.window_mut(location.window) {
            window.select(location.pane);
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    fn kill_pane(&mut self, target: &str) -> Outcome {
        let location = self.resolve(target)?;
        if let Some(pane) = self.panes.get_mut(&location.pane) {
            pane.kill();
        }
        self.close_pane(location.pane);
        Ok(String::new())
    }

    fn toggle_zoom(&mut self, target: &str) -> Outcome {
        let location = self.resolve(target)?;
        if let Some(window) = self.sessions[location.session].window_mut(location.window) {
            window.select(location.pane);
            window.toggle_zoom();
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    fn rename_window(&mut self, rename: control::RenameWindow) -> Outcome {
        let location = self.resolve(&rename.target)?;
        if let Some(window) = self.sessions[location.session].window_mut(location.window) {
            window.rename(rename.name);
        }
        Ok(String::new())
    }

    fn resize_window(&mut self, resize: control::ResizeWindow) -> Outcome {
        let location = self.resolve(&resize.target)?;
        if let Some(window) = self.sessions[location.session].window_mut(location.window) {
            window.resize(Size {
                rows: resize.rows,
                cols: resize.cols,
            });
        }
        self.apply_layout(location.session, location.window);
        Ok(String::new())
    }

    fn list_panes(&self, target: &str) -> Outcome {
        let location = self.resolve(target)?;
        let mut out = String::new();
        let Some(window) = self.sessions[location.session].window(location.window) else {
            return Ok(out);
        };
        for (index, (id, rect)) in window.rects().into_iter().enumerate() {
            let command = self
                .panes
                .get(&id)
                .map(Pane::current_command)
                .unwrap_or_default();
            let active = id == window.active();
            let _ = writeln!(
                out,
                "{index}: [{}x{}] at {},{} {id} {command}{}{}",
                rect.cols,
                rect.rows,
                rect.x,
                rect.y,
                if active { " (active)" } else { "" },
                if active && window.is_zoomed() {
                    " (zoomed)"
                } else {
                    ""
                },
            );
        }
        Ok(out)
    }

    fn send_keys(&mut self, send: control::SendKeys) -> Outcome {
        let location = self.resolve(&send.target)?;
        let Some(pane) = self.panes.get_mut(&location.pane) else {
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
        pane.write_input(&bytes);
        Ok(String::new())
    }

    /// The pane's screen and history; `%ID` also reaches a pane that has ended (here or
    /// under an earlier daemon) as long as its history is kept.
    fn capture_pane(&self, capture: control::CapturePane) -> Outcome {
        let id = self.resolve_with_history(&capture.target)?;
        let pane = self.panes.get(&id);
        if let (Some(pane), None, None) = (pane, capture.start, capture.end) {
            return Ok(pane.capture(capture.escapes));
        }
        let screen = pane.map(|pane| ScreenRows {
            rows: pane
                .capture(capture.escapes)
                .lines()
                .map(str::to_owned)
                .collect(),
        });
        history::capture(
            &self.store,
            id,
            screen,
            capture.start,
            capture.end,
            capture.escapes,
        )
        .map_err(CommandError::History)
    }

    fn search_history(&self, search: control::SearchHistory) -> Outcome {
        let id = self.resolve_with_history(&search.target)?;
        history::search(&self.store, id, &search.pattern).map_err(CommandError::History)
    }

    /// A live pane, or (for `%ID`) an ended one the store has history for.
    fn resolve_with_history(&self, target: &str) -> Result<PaneId, CommandError> {
        match self.resolve(target) {
            Ok(location) => Ok(location.pane),
            Err(error) => match crate::target::Target::parse(target) {
                Ok(crate::target::Target::Pane(id)) if history::known(&self.store, id) => Ok(id),
                _ => Err(error),
            },
        }
    }

    fn list_ended(&self) -> String {
        let live: HashSet<PaneId> = self.panes.keys().copied().collect();
        history::list_ended(&self.store, &live)
    }

    /// Takes a pane out of its window (closing the window, and the session, if it was
    /// the last) and drops it.
    fn close_pane(&mut self, id: PaneId) {
        if let Some(mut pane) = self.panes.remove(&id) {
            pane.end_history();
        }
        let Some(index) = self.sessions.iter().position(|s| s.window_of(id).is_some()) else {
            return;
        };
        let window = self.sessions[index].window_of(id);
        match self.sessions[index].remove_pane(id) {
            Removal::Session => {
                let session = self.sessions.remove(index);
                self.session_ended(&session.name);
            }
            Removal::Pane => {
                if let Some(window) = window {
                    self.apply_layout(index, window);
                }
            }
            Removal::Window | Removal::NotHere => {}
        }
    }

    /// Gives every pane of a window the size its rectangle now has.
    fn apply_layout(&mut self, session: usize, window: u32) {
        let Some(window) = self.sessions.get(session).and_then(|s| s.window(window)) else {
            return;
        };
        for (id, rect) in window.rects() {
            if let Some(pane) = self.panes.get_mut(&id) {
                pane.resize(rect.size());
            }
        }
    }
}

/// Names that target syntax could not reach are refused up front.
fn check_session_name(name: &str) -> Result<(), CommandError> {
    if !is_session_name(name) {
        return Err(CommandError::BadSessionName(name.to_string()));
    }
    Ok(())
}

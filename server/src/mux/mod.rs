//! The multiplexer: every session, window, pane terminal and client connection of the
//! daemon, as one state machine without I/O, in the manner of quinn-proto.
//!
//! Call order: feed an input (`handle_request`, `handle_pane_output`,
//! `handle_pane_exited`, `handle_datagram`, `handle_timeout`), each with the caller's
//! `now`; then poll `poll_transmit` and `poll_action` until both are empty, and sleep
//! until `poll_timeout`. The mux never reads a clock, opens a socket or touches a PTY:
//! the daemon's loop (`daemon/`) does all of that for real, and the whole-system
//! simulator in the tests does it on a virtual clock with scripted programs.
//!
//! Two effects answer at once, because their failure is the answer to the command that
//! asked for them (`new` must print why the program did not start, and leave nothing
//! behind): starting a pane's program and opening a UDP port (with a client's key). The
//! mux asks the caller's [`Host`] for those; everything else it wants done waits in
//! [`Mux::poll_action`] and [`Mux::poll_transmit`].

mod alerts;
mod buffers;
mod client_list;
mod clients;
mod commands;
mod environment;
mod errors;
mod forwards;
mod host;
mod input;
mod listeners;
mod listing;
mod messages;
mod moves;
mod options;
mod panes;
mod prompt;
mod publish;
mod reclaim;
mod resolve;
mod spawn;
#[cfg(test)]
mod spawn_tests;
mod status;
#[cfg(test)]
mod tests;
mod tree;

pub use clients::{
    ClientId, GoneReason, Lifetime, DETACH_LINGER, FINAL_STATE_LINGER, FIRST_CONTACT_LIMIT,
};
pub use commands::CommandError;
pub use host::{Action, Answer, Host};
pub use listeners::ListenerId;

use crate::control::Request;
use crate::environment::Environment;
use crate::history_view::HistoryView;
use crate::pane::{PaneSpawn, PaneStart, PaneState, SpawnedPane};
use crate::pane_id::{PaneId, SessionId, Size};
use crate::session::Session;
use crate::store_health::{self, StoreHealth};
use crate::window::Window;
use clients::ClientEndpoint;
use listeners::{Listeners, Routes};
use moshmux_proto::Transmit;
use moshmux_store::HistoryStore;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// How often a pane whose screen changes has it saved for crash recovery: with the
/// store's commit interval (200 ms), a daemon killed at any moment loses at most about a
/// second of a pane's screen.
const SCREEN_SAVE_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// What the next client to attach is told when an earlier daemon was killed.
fn orphan_notice(orphans: &[PaneId]) -> Option<String> {
    let (first, rest) = orphans.split_first()?;
    let panes = match rest.last() {
        None => format!("pane {first}"),
        Some(last) => format!("{} panes ({first} to {last})", orphans.len()),
    };
    Some(format!(
        "the previous server ended without closing its sessions (killed or crashed); \
         the history of its {panes} is kept: moshmux-server ls -a, \
         moshmux-server capture-pane -p -S - -t %ID"
    ))
}

/// What the mux is built with.
pub struct MuxConfig {
    /// Pane history, and the source of pane ids (never reused, also across restarts).
    pub store: Arc<HistoryStore>,
    /// `MOSHMUX` in every pane's environment (socket path and daemon pid, as tmux's
    /// `TMUX`), so programs can tell they run inside moshmux and find its socket.
    pub identity: String,
    /// The machine's name, for tmux's `host` format variable.
    pub host_name: String,
    /// Panes an earlier daemon left without ending them (it was killed): the next client
    /// to attach is told, once.
    pub orphans: Vec<PaneId>,
    /// Where the daemon serves forwarded agents (`new --forward-agent`); `None`: it
    /// does not.
    pub agent_socket: Option<std::path::PathBuf>,
    /// The base variables of the daemon's environment, what every pane starts from
    /// (`Environment::of_daemon`): the global environment `show-environment -g` shows.
    pub daemon_environment: Environment,
}

/// The owner the agent socket's listener is filed under among the clients' sockets.
pub const AGENT_LISTENER: ClientId = ClientId(u64::MAX);

pub struct Mux {
    /// By id, so in creation order; `ls` sorts them by name.
    sessions: BTreeMap<SessionId, Session>,
    panes: HashMap<PaneId, PaneState>,
    store: Arc<HistoryStore>,
    /// The next session's id, and its name when none is given (as tmux numbers both).
    next_session: u32,
    /// Every client endpoint, attached or finishing.
    clients: BTreeMap<ClientId, ClientEndpoint>,
    /// The UDP ports, and which client each connection id belongs to.
    listeners: Listeners,
    routes: Routes,
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
    dirty: publish::Dirty,
    publish: publish::Pacing,
    /// The last number given to a bell or an OSC 52 copy (`alerts.rs`).
    alert_numbers: u64,
    identity: String,
    host_name: String,
    /// What the next client to attach is told first.
    notices: Vec<String>,
    /// tmux's global environment: under every session's, for the panes started after a
    /// change; it starts as the daemon's base variables.
    global_environment: Environment,
    /// tmux's server options and global session and window options.
    options: options::GlobalOptions,
    /// The agent socket (`MuxConfig::agent_socket`), and whether it is served yet.
    agent_socket: Option<std::path::PathBuf>,
    serving_agent: bool,
    /// History trouble, for `new`'s stderr and the clients' status lines.
    health: StoreHealth,
    /// Panes whose screen changed since it was last saved for crash recovery, and when
    /// the next save is due.
    unsaved_screens: HashSet<PaneId>,
    screens_due: Option<Instant>,
    actions: VecDeque<Action>,
    /// Set by `kill-server`, or when the last session and endpoint are gone.
    stopping: bool,
    /// tmux's paste buffers, shared by every session.
    buffers: crate::buffers::PasteBuffers,
    /// The pieces of a copy each client is sending from its scroll view (`Copied`), and
    /// whether some did not fit in a buffer.
    copies: HashMap<ClientId, (Vec<u8>, bool)>,
    /// The calendar time of the newest control request and its `now`: the calendar time
    /// a prompt's command runs at, read off the monotonic clock (`wall_clock`).
    wall_anchor: Option<(Instant, SystemTime)>,
    /// tmux's message log (`show-messages`).
    messages: messages::MessageLog,
    /// When the status line's clock next changes, while a client is attached.
    status_due: Option<Instant>,
}

impl Mux {
    pub fn new(config: MuxConfig) -> Mux {
        Mux {
            sessions: BTreeMap::new(),
            panes: HashMap::new(),
            next_session: 0,
            clients: BTreeMap::new(),
            listeners: Listeners::default(),
            routes: Routes::default(),
            heard_from: HashSet::new(),
            views: BTreeMap::new(),
            next_client: 0,
            activity: 0,
            reclaim_after: reclaim::RECLAIM_AFTER,
            dirty: publish::Dirty::default(),
            publish: publish::Pacing::default(),
            alert_numbers: 0,
            identity: config.identity,
            host_name: config.host_name,
            agent_socket: config.agent_socket,
            global_environment: config.daemon_environment,
            options: options::GlobalOptions::default(),
            serving_agent: false,
            notices: orphan_notice(&config.orphans)
                .into_iter()
                .chain(config.store.recovery().map(store_health::recovery_line))
                .collect(),
            health: StoreHealth::default(),
            store: config.store,
            unsaved_screens: HashSet::new(),
            screens_due: None,
            actions: VecDeque::new(),
            stopping: false,
            wall_anchor: None,
            messages: messages::MessageLog::default(),
            status_due: None,
            buffers: crate::buffers::PasteBuffers::default(),
            copies: HashMap::new(),
        }
    }

    /// Runs one control request. `wall` is the calendar time, for what `ls` shows.
    pub fn handle_request(
        &mut self,
        now: Instant,
        wall: SystemTime,
        request: Request,
        host: &mut dyn Host,
    ) -> Answer {
        self.wall_anchor = Some((now, wall));
        let answer = self.request(now, wall, request, host);
        self.after_input(now);
        answer
    }

    /// The calendar time at `now`, from the newest control request's (a client exists
    /// only after `new`, a request); the epoch before any.
    fn wall_clock(&self, now: Instant) -> SystemTime {
        match self.wall_anchor {
            Some((then, wall)) => wall + now.saturating_duration_since(then),
            None => SystemTime::UNIX_EPOCH,
        }
    }

    /// Output a pane's program wrote.
    pub fn handle_pane_output(&mut self, now: Instant, pane: PaneId, bytes: &[u8]) {
        if let Some(state) = self.panes.get_mut(&pane) {
            let bells_before = state.screen().bells();
            let replies = state.process_output(bytes);
            if !replies.is_empty() {
                self.actions.push_back(Action::WritePane {
                    pane,
                    bytes: replies,
                });
            }
            if !self.clients.is_empty() {
                self.dirty.panes.insert(pane);
            }
            self.unsaved_screens.insert(pane);
            self.screens_due.get_or_insert(now + SCREEN_SAVE_INTERVAL);
            self.take_pane_alerts(pane, bells_before);
        }
        self.after_input(now);
    }

    /// A pane's program exited (and its terminal closed), with its exit code if it had one.
    pub fn handle_pane_exited(&mut self, now: Instant, pane: PaneId, status: Option<u32>) {
        tracing::info!(%pane, ?status, "pane's program exited");
        if self.panes.contains_key(&pane) {
            self.close_pane(pane, now);
            self.dirty.everything = true;
            self.stop_when_idle();
        }
        self.after_input(now);
    }

    /// A datagram arrived at a listener. It goes to the client whose connection id it
    /// starts with; one with no known id is dropped without a word (it is never
    /// answered: nothing unauthenticated is).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        listener: ListenerId,
        from: SocketAddr,
        datagram: &[u8],
        host: &mut dyn Host,
    ) {
        let Some(client) = self.routes.route(datagram) else {
            return;
        };
        let Some(endpoint) = self.clients.get_mut(&client) else {
            return;
        };
        let stream = endpoint.handle_datagram(client, now, listener, from, datagram);
        while let Some(event) = endpoint.poll_id_event() {
            self.routes.apply(client, event);
        }
        self.forward(client, None);
        if let Some(stream) = stream {
            self.routes.note();
            self.user_input(client, stream, now, host);
        }
        self.after_input(now);
    }

    /// Datagrams dropped so far because no connection has their id.
    pub fn unrouted_datagrams(&self) -> u64 {
        self.routes.unrouted()
    }

    /// Time passed: connections retransmit and heartbeat, endpoints whose time is up
    /// close, and what changed is published.
    pub fn handle_timeout(&mut self, now: Instant, host: &dyn Host) {
        let ids: Vec<ClientId> = self.clients.keys().copied().collect();
        for id in ids {
            if let Some(endpoint) = self.clients.get_mut(&id) {
                endpoint.handle_timeout(now);
            }
            self.forward(id, None);
        }
        self.close_gone_endpoints(now);
        self.recheck_names(now, host);
        if self.status_due.is_some_and(|due| now >= due) {
            self.status_due = None;
            self.dirty.everything = true;
            self.publish.arm(now);
        }
        if self.publish.is_due(now) {
            self.publish(now, host);
        }
        if self.screens_due.is_some_and(|due| now >= due) {
            self.save_screens();
        }
        self.after_input(now);
    }

    /// The next datagram to send, and the listener to send it from.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<(ListenerId, Transmit)> {
        self.clients
            .values_mut()
            .find_map(|endpoint| endpoint.poll_transmit(now))
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next moment [`Mux::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let endpoints = self
            .clients
            .values()
            .filter_map(ClientEndpoint::poll_timeout);
        endpoints
            .chain(self.publish.deadline())
            .chain(self.screens_due)
            .chain(self.status_due)
            .min()
    }

    /// The history store the mux writes to.
    pub fn store(&self) -> &Arc<HistoryStore> {
        &self.store
    }

    /// Whether the daemon should stop: `kill-server`, or nothing is left (no session, and
    /// no endpoint still delivering a session's end), as tmux's server exits.
    pub fn should_stop(&self) -> bool {
        self.stopping
    }

    /// Closes every client endpoint and hangs up every pane's program, leaving each pane's
    /// history complete.
    pub fn shutdown(&mut self) {
        let clients: Vec<ClientId> = self.clients.keys().copied().collect();
        for client in clients {
            self.drop_client(client, GoneReason::Shutdown);
        }
        for listener in self.listeners.take_all() {
            self.actions.push_back(Action::CloseListener { listener });
        }
        let mut panes: Vec<(PaneId, PaneState)> = self.panes.drain().collect();
        panes.sort_by_key(|(id, _)| *id);
        for (id, mut pane) in panes {
            self.actions.push_back(Action::ClosePane { pane: id });
            pane.end_history();
        }
        self.sessions.clear();
        self.stopping = true;
    }

    /// Work every input ends with: endpoints whose time is up go, and the publish timer
    /// is armed if something changed.
    fn after_input(&mut self, now: Instant) {
        self.close_gone_endpoints(now);
        if self.wants_publish() {
            self.publish.arm(now);
        }
    }

    fn close_gone_endpoints(&mut self, now: Instant) {
        let gone: Vec<(ClientId, GoneReason)> = self
            .clients
            .iter()
            .filter_map(|(&id, endpoint)| Some((id, endpoint.gone(now)?)))
            .collect();
        if gone.is_empty() {
            return;
        }
        for (id, reason) in gone {
            self.drop_client(id, reason);
        }
        self.stop_when_idle();
    }

    /// Stops the daemon once nothing is left: no session, and no endpoint still
    /// delivering a final state.
    fn stop_when_idle(&mut self) {
        if self.sessions.is_empty() && self.clients.is_empty() {
            self.stopping = true;
        }
    }

    /// Asks the host what runs in the foreground of the panes `which` selects: window
    /// names and `list-panes` show it. True when that changed for any of them.
    fn refresh_foreground(&mut self, host: &dyn Host, which: impl Fn(PaneId) -> bool) -> bool {
        let mut changed = false;
        for (&id, pane) in self.panes.iter_mut().filter(|(id, _)| which(**id)) {
            changed |= pane.set_foreground(host.foreground_command(id));
        }
        changed
    }

    /// Saves the screens that changed since the last save, for crash recovery.
    fn save_screens(&mut self) {
        self.screens_due = None;
        for id in std::mem::take(&mut self.unsaved_screens) {
            if let Some(pane) = self.panes.get_mut(&id) {
                pane.save_screen();
                // Half a second after output, once: a flood pays for the model's reserve
                // twice a second, an idle pane holds none (about 1.9 MB a pane before).
                pane.release_spare_rows();
            }
        }
        self.actions.push_back(Action::ReturnFreedMemory);
    }

    /// A pane id the store never handed out before.
    fn allocate_pane_id(&self) -> Result<PaneId, CommandError> {
        self.store
            .allocate_pane_id()
            .map_err(|e| CommandError::PaneId(e.to_string()))
    }

    /// Starts a pane's program through the host and gives the pane its terminal.
    fn spawn(
        &mut self,
        host: &mut dyn Host,
        id: PaneId,
        command: Vec<String>,
        cwd: Option<std::path::PathBuf>,
        size: Size,
        environment: &Environment,
    ) -> Result<PaneId, CommandError> {
        let start = PaneStart { command, cwd };
        let spawned = self.start_program(host, id, &start, size, environment)?;
        let history = crate::history::PaneHistory::new(self.store.clone(), id);
        let pane = PaneState::new(id, size, spawned, history).started_with(start);
        self.panes.insert(id, pane);
        Ok(id)
    }

    /// Starts `start`'s program for pane `id` through the host. For a pane that has a
    /// program already (a respawn), the host replaces it: the old one is hung up and
    /// nothing more is reported from it.
    fn start_program(
        &mut self,
        host: &mut dyn Host,
        id: PaneId,
        start: &PaneStart,
        size: Size,
        environment: &Environment,
    ) -> Result<SpawnedPane, CommandError> {
        let ours = [
            ("MOSHMUX".to_string(), self.identity.clone()),
            ("MOSHMUX_PANE".to_string(), id.to_string()),
        ];
        let spec = PaneSpawn {
            command: start.command.clone(),
            cwd: start.cwd.clone(),
            env: environment.for_pane(&self.global_environment, &ours),
            size,
        };
        host.spawn_pane(id, &spec)
            .map_err(|e| CommandError::Spawn(format!("{e:#}")))
    }

    /// Takes a pane out of its window (closing the window, and the session, if it was
    /// the last), ends its history and forgets its terminal.
    fn close_pane(&mut self, id: PaneId, now: Instant) {
        if let Some(mut pane) = self.panes.remove(&id) {
            pane.end_history();
            self.actions.push_back(Action::ClosePane { pane: id });
        }
        let Some(session) = self.session_of(id) else {
            return;
        };
        let Some(removal) = self
            .sessions
            .get_mut(&session)
            .map(|s| (s.window_of(id), s.remove_pane(id)))
        else {
            return;
        };
        match removal {
            (_, crate::session::Removal::Session) => {
                if let Some(ended) = self.sessions.remove(&session) {
                    self.session_ended(&ended, now);
                }
            }
            (Some(window), crate::session::Removal::Pane) => self.apply_layout(session, window),
            _ => {}
        }
    }

    /// Gives every pane of a window the size its rectangle now has.
    fn apply_layout(&mut self, session: SessionId, window: u32) {
        let Some(window) = self.sessions.get(&session).and_then(|s| s.window(window)) else {
            return;
        };
        for (id, rect) in window.rects() {
            if let Some(pane) = self.panes.get_mut(&id) {
                if pane.resize(rect.size()) {
                    self.actions.push_back(Action::ResizePane {
                        pane: id,
                        size: pane.size(),
                    });
                }
            }
        }
    }

    /// The session holding `pane`.
    fn session_of(&self, pane: PaneId) -> Option<SessionId> {
        self.sessions
            .values()
            .find(|s| s.window_of(pane).is_some())
            .map(|s| s.id)
    }

    fn session_named(&self, name: &str) -> Option<SessionId> {
        self.sessions
            .values()
            .find(|s| s.name == name)
            .map(|s| s.id)
    }

    fn window_mut(&mut self, session: SessionId, window: u32) -> Option<&mut Window> {
        self.sessions.get_mut(&session)?.window_mut(window)
    }
}

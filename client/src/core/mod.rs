//! The client core: everything the client decides, as a state machine. It owns the SSP
//! connection (user stream out, host state in), the input tokenizer, the bindings, the
//! scroll view, prediction, the mouse, native scrollback, the renderer's record of the
//! terminal and the link bookkeeping. It never reads a clock, touches a socket, a
//! terminal, a signal or a thread: the event loop (`session.rs`) or a simulator moves
//! bytes and time in and polls what comes out.
//!
//! Call order, as in quinn-proto: getters, `handle_*` (input, each with `now`), commands,
//! then `poll_transmit` (datagrams), `poll_output` (terminal bytes) and `poll_action`
//! until each is empty, and sleep until `poll_timeout`.

mod chooser;
mod forwards;
mod link;
mod message;
mod prompt;
mod routing;
#[cfg(test)]
mod tests;
mod view;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use moshmux_forward::{ForwardSpec, Pump, SocketAction};
use moshmux_proto::{
    Connection, ConnectionError, DatagramError, HostState, ScrollRequest, SearchRequest,
    SessionKey, StreamId, Transmit, TreeRequest, UserStream,
};

use crate::clock::Clock;
use crate::config::ClientConfig;
use crate::input::Tokenizer;
use crate::list_chooser::ListKind;
use crate::predict::Key;
use link::LinkWatch;
use view::View;

/// Longest wait for the server to acknowledge a detach before the client exits anyway
/// (the server may be unreachable; the detach then happens when its endpoint times out).
const DETACH_WAIT: Duration = Duration::from_secs(2);
/// Longest wait, once the session ended, for the acknowledgement of its last state to go
/// out (SSP acknowledges a closing state at once). Without it the server's endpoint, and
/// so its daemon, would wait for us for up to a day.
const FINAL_ACK_WAIT: Duration = Duration::from_secs(1);
/// What the user reads when the server's endpoint for the key talks to another client.
pub const KEY_IN_USE: &str = "moshmux: the server's endpoint for this key already serves \
another client (each key serves one); get a new key with `moshmux attach` (or \
`moshmux-server new`)";

/// Why the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// `C-^ .`
    Quit,
    Detached {
        session: String,
    },
    /// The server's session has no windows left.
    Ended {
        session: String,
    },
    /// Standard input closed (the terminal went away).
    InputClosed,
    Signal(i32),
    /// An error the user must act on, as one line.
    Failed(String),
}

/// What the event loop must do for the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAction {
    /// Send from a fresh local port from now on (mosh's answer to a NAT that forgot us).
    Rebind,
    /// Send an empty datagram to the server's port from a connected socket, and report an
    /// ICMP refusal with `handle_port_refused`.
    Probe,
    /// Write what `poll_output` gave, restore the terminal and exit.
    Exit(Exit),
    /// Write what `poll_output` gave, restore the terminal and stop this process as the
    /// shell's job control does (tmux's `suspend-client`, prefix C-z); once continued,
    /// take the terminal again and report with `handle_resumed`.
    Suspend,
    /// Listen for a `-L` forward added at the command prompt; report with
    /// `handle_listening`.
    Listen(ForwardSpec),
    /// Stop listening for the `-L` forward on `bind:port` (`forward -KL`).
    StopListening { bind: IpAddr, port: u16 },
}

/// The ways a session winds down, each with a deadline: SSP's closing handshake, as
/// mosh's shutdown.
#[derive(Debug, Clone, Copy)]
enum Ending {
    /// `Detach` is the user stream's last event and the connection is closed: done once
    /// the server acknowledged it.
    Detaching { deadline: Instant },
    /// The server closed (the session ended): done once our acknowledgement of its last
    /// state went out, since its endpoint, and so its daemon, waits for it.
    Ended { deadline: Instant },
}

pub struct ClientCore {
    connection: Connection<UserStream, HostState>,
    tokenizer: Tokenizer,
    view: View,
    link: LinkWatch,
    /// Keys for the focused pane not yet in the user stream, and what prediction reads of
    /// them: the keys of one read go as one event.
    pending_keys: Vec<u8>,
    pending_predict: Vec<Key>,
    /// The remote state number last taken into the view.
    taken_num: u64,
    /// The scroll view's or native scrollback's requests, and the chooser's, as last put
    /// in the user stream.
    requests: (
        Option<ScrollRequest>,
        Option<SearchRequest>,
        Option<TreeRequest>,
    ),
    ending: Option<Ending>,
    /// Numbers this client's datagrams from its wall clock (see `new`).
    clock_micros: u64,
    started: Instant,
    /// The time of the latest input, for drawing.
    now: Instant,
    dirty: bool,
    exited: bool,
    /// `suspend-client` handed the terminal back: nothing is drawn until `handle_resumed`.
    suspended: bool,
    output: VecDeque<Vec<u8>>,
    actions: VecDeque<ClientAction>,
    /// Connections forwarded with `-L`, their socket actions for the loop, and the
    /// latest notice about them with when it goes (`forwards.rs`).
    forwards: Pump,
    socket_actions: VecDeque<(StreamId, SocketAction)>,
    /// The status line's message and when it goes (`message.rs`).
    message: Option<(String, Instant)>,
    /// The status line's notice as last drawn.
    drawn_notice: Option<String>,
    /// The serials of the server's newest answer shown and newest request run.
    reply_serial: Option<u32>,
    request_serial: Option<u32>,
    /// The `-L` forwards listening, and the `-R` forwards asked of the server with their
    /// streams: what `forward` at the prompt lists and removes.
    local_forwards: Vec<ForwardSpec>,
    remote_forwards: Vec<(ForwardSpec, StreamId)>,
    /// `choose-buffer` or `choose-client` asked the server for its list: the answer
    /// that is that list opens the chooser (`chooser.rs`).
    awaiting_list: Option<ListKind>,
}

impl ClientCore {
    /// A client of the session whose endpoint is `server`, drawing on a terminal of `size`
    /// (columns, rows). `clock_micros` is the wall clock in microseconds since the Unix
    /// epoch: its datagrams are numbered from it, so a client started again with the key of
    /// an earlier one seals under no nonce that one used (no client seals a datagram per
    /// microsecond), and the server hears it as the newest.
    pub fn new(
        key: &SessionKey,
        server: SocketAddr,
        config: ClientConfig,
        size: (u16, u16),
        now: Instant,
        clock_micros: u64,
    ) -> ClientCore {
        let mut connection = Connection::new_client(
            key,
            server,
            UserStream::default(),
            HostState::default(),
            now,
        );
        connection.skip_sequence_to(clock_micros);
        let view = View::new(size, config);
        let mut core = ClientCore {
            connection,
            tokenizer: Tokenizer::default(),
            link: LinkWatch::new(server.port(), now),
            pending_keys: Vec::new(),
            pending_predict: Vec::new(),
            taken_num: 0,
            requests: (None, None, None),
            ending: None,
            clock_micros,
            started: now,
            now,
            dirty: true,
            exited: false,
            suspended: false,
            output: VecDeque::from([view::claim_window(view.rows)]),
            actions: VecDeque::new(),
            forwards: Pump::client(),
            socket_actions: VecDeque::new(),
            message: None,
            drawn_notice: None,
            reply_serial: None,
            request_serial: None,
            local_forwards: Vec::new(),
            remote_forwards: Vec::new(),
            awaiting_list: None,
            view,
        };
        let resize = core.resize_event();
        core.push(resize, now);
        core.link_timers(now);
        core
    }

    /// The connection, for counters and tests.
    pub fn connection(&self) -> &Connection<UserStream, HostState> {
        &self.connection
    }

    /// Bytes read from the user's terminal.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.begin(now) {
            self.dirty = true;
            let tokens = self.tokenizer.feed(bytes, now);
            self.route(tokens, now);
            self.end(now);
        }
    }

    /// The terminal is now `cols` by `rows`.
    pub fn handle_resize(&mut self, now: Instant, cols: u16, rows: u16) {
        if self.begin(now) && (cols, rows) != (self.view.cols, self.view.rows) {
            (self.view.cols, self.view.rows) = (cols, rows);
            self.dirty = true;
            self.flush_keys(now);
            let resize = self.resize_event();
            self.push(resize, now);
            self.view.predictor.handle_other_event(now);
            self.end(now);
        }
    }

    /// The user brought the client back (`fg`) after `suspend-client`: the terminal may
    /// have another size now, and the whole frame is drawn again (handing the terminal
    /// back forgot what it showed).
    pub fn handle_resumed(&mut self, now: Instant, cols: u16, rows: u16) {
        self.suspended = false;
        self.dirty = true;
        self.handle_resize(now, cols, rows);
    }

    /// A datagram that arrived from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if !self.begin(now) {
            return;
        }
        match self.connection.handle_datagram(now, from, datagram) {
            Err(DatagramError::Closed(error)) => return self.fail(&error),
            Err(DatagramError::KeyInUse) => return self.finish(Exit::Failed(KEY_IN_USE.into())),
            // Any other refusal is counted in the connection's stats.
            _ => {}
        }
        if self.connection.peer_closed() {
            self.session_ended(now);
        } else {
            self.take_host(now);
        }
        self.pump_forwards(now);
        self.end(now);
    }

    /// The server's host answered a probe: nothing listens on its port (yet).
    pub fn handle_port_refused(&mut self, now: Instant) {
        if self.begin(now) {
            self.dirty = true;
            self.link.refused(now);
            self.end(now);
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.begin(now) {
            return;
        }
        if let Err(error) = self.connection.handle_timeout(now) {
            return self.fail(&error);
        }
        let tokens = self.tokenizer.handle_timeout(now);
        // A key the tokenizer held (a lone Escape) may close a prompt or a view.
        self.dirty |= !tokens.is_empty();
        self.dirty |= self.view.expire_pane_numbers(now);
        let wall = self.wall_clock(now);
        self.dirty |= self
            .view
            .clock
            .as_mut()
            .is_some_and(|clock| clock.tick(now, wall));
        self.route(tokens, now);
        self.link_timers(now);
        self.follow_link(now);
        self.pump_forwards(now);
        self.end(now);
    }

    /// Ends the session for a reason of the event loop's own (input closed, a signal): the
    /// terminal is handed back and the exit follows.
    pub fn close(&mut self, exit: Exit) {
        self.finish(exit);
    }

    /// The next datagram for the server.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if self.exited {
            return None;
        }
        let transmit = self.connection.poll_transmit(now);
        if transmit.is_none() {
            match self.connection.error().cloned() {
                Some(error) => self.fail(&error),
                None => self.check_ending(now),
            }
        }
        transmit
    }

    /// The next bytes for the terminal.
    pub fn poll_output(&mut self) -> Option<Vec<u8>> {
        if self.dirty && !self.exited && !self.suspended {
            self.draw();
        }
        self.output.pop_front()
    }

    pub fn poll_action(&mut self) -> Option<ClientAction> {
        self.actions.pop_front()
    }

    /// When `handle_timeout` has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.exited {
            return None;
        }
        let heard = self.connection.last_heard();
        let ending = self.ending.map(|ending| match ending {
            Ending::Detaching { deadline } | Ending::Ended { deadline } => deadline,
        });
        [
            self.connection.poll_timeout(),
            self.view.predictor.poll_timeout(),
            self.tokenizer.poll_timeout(),
            Some(self.link.poll_timeout(heard, self.now)),
            ending,
            self.message_deadline().filter(|&until| until > self.now),
            self.view.pane_numbers_until(),
            self.view.clock.as_ref().map(Clock::until),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The calendar time at `now`: the wall clock the event loop gave at the start, moved
    /// on by the monotonic clock (the core reads no clock of its own).
    pub(super) fn wall_clock(&self, now: Instant) -> SystemTime {
        let elapsed = now.saturating_duration_since(self.started);
        UNIX_EPOCH + Duration::from_micros(self.clock_micros) + elapsed
    }

    /// Starts handling an input; false once the session is over. The frame is due after
    /// any input but a datagram, which draws a new state at once (see `take_host`).
    fn begin(&mut self, now: Instant) -> bool {
        self.now = self.now.max(now);
        !self.exited
    }

    /// After any input: the requests follow what the view shows, and a winding down may
    /// be over.
    fn end(&mut self, now: Instant) {
        if self.exited {
            return;
        }
        self.flush_keys(now);
        let requests = self.view.requests();
        if requests != self.requests {
            self.requests = requests.clone();
            let mut stream = self.connection.local_state().clone();
            (stream.scroll, stream.search, stream.tree) = requests;
            self.connection.set_local_state(stream, now);
        }
        self.check_ending(now);
    }

    /// Takes a new host state, if one arrived, into the view, and draws it at once: native
    /// scrollback plans each state against what the terminal showed of the one before.
    fn take_host(&mut self, now: Instant) {
        let (acked, srtt) = (
            self.connection.local_acked_progress(),
            self.connection.srtt(),
        );
        if self.connection.remote_state_num() == self.taken_num {
            self.follow_link(now);
            return;
        }
        self.taken_num = self.connection.remote_state_num();
        let host = self.connection.take_remote_update();
        self.take_reply(host.reply.as_ref(), now);
        self.take_requests(&host.requests, now);
        if self.view.follow_server(host, acked, srtt, now) {
            let resize = self.resize_event();
            self.push(resize, now);
        }
        if let Some(message) = self.view.close_empty_finder() {
            self.show_message(message, now);
        }
        self.tokenizer.set_utf8_mouse(self.view.utf8_mouse());
        self.draw();
    }

    /// The server closed: the session ended, or another client's `attach -d` detached
    /// this one. Its last state (no windows, and which of the two) is not drawn: the last
    /// frame keeps the panes' last output above the exit message.
    fn session_ended(&mut self, now: Instant) {
        if matches!(self.ending, Some(Ending::Ended { .. })) {
            return;
        }
        let last = self.connection.take_remote_update();
        if !last.session.as_str().is_empty() {
            self.view.host.session = last.session;
        }
        self.view.host.detached = last.detached;
        let deadline = now + FINAL_ACK_WAIT;
        self.ending = Some(Ending::Ended { deadline });
    }

    /// Rebinds and probes that came due. A rebind also moves the datagrams' numbers up to
    /// the clock: a client whose key another one took over (see `new`) is then the newest
    /// again, and the server comes back to it. And it takes the next connection id, so
    /// the fresh port is not linked to the old one by its header (docs/protocol.md, 1).
    fn link_timers(&mut self, now: Instant) {
        let heard = self.connection.last_heard();
        if self.link.rebind_due(heard, now) {
            let elapsed = now.saturating_duration_since(self.started).as_micros();
            let clock = self
                .clock_micros
                .saturating_add(u64::try_from(elapsed).unwrap_or(u64::MAX));
            self.connection.skip_sequence_to(clock);
            if let Some(server) = self.connection.remote_addr() {
                self.connection.migrate(server);
            }
            self.actions.push_back(ClientAction::Rebind);
        }
        if self.link.probe_due(heard, now) {
            self.actions.push_back(ClientAction::Probe);
        }
    }

    fn check_ending(&mut self, now: Instant) {
        let done = match self.ending {
            None => return,
            Some(Ending::Detaching { deadline }) => {
                self.connection.close_acked() || now >= deadline
            }
            Some(Ending::Ended { deadline }) => {
                self.connection.acked_peer_close() || now >= deadline
            }
        };
        if done {
            let session = self.view.host.session.to_string();
            // A last state that says the server detached us (another `attach -d`) ends
            // the connection as a detach does.
            let detached = self.view.host.detached;
            self.finish(match self.ending {
                Some(Ending::Detaching { .. }) => Exit::Detached { session },
                _ if detached => Exit::Detached { session },
                _ => Exit::Ended { session },
            });
        }
    }

    /// After a datagram or a timer that brought no new state: an acknowledgement may
    /// confirm or withdraw guesses, and the time or the peer's news may change the status
    /// line's notice. Only then is the frame drawn again: a stream datagram or a pacing
    /// timer comes thousands of times a second during a transfer, and composing the frame
    /// for each was what bounded the forwards' throughput.
    fn follow_link(&mut self, now: Instant) {
        let (acked, srtt) = (
            self.connection.local_acked_progress(),
            self.connection.srtt(),
        );
        let guessing = self.view.predictor.is_guessing();
        self.view.predictor.handle_link(acked, srtt, now);
        if guessing || self.view.predictor.is_guessing() || self.notice() != self.drawn_notice {
            self.dirty = true;
        }
    }

    /// What the status line says instead of the windows: the link's notice, else the
    /// message.
    fn notice(&self) -> Option<String> {
        self.link
            .notice(self.connection.last_heard(), self.now)
            .or_else(|| self.message())
    }

    fn draw(&mut self) {
        self.dirty = false;
        let notice = self.notice();
        self.drawn_notice = notice.clone();
        let bytes = self.view.draw(notice);
        if !bytes.is_empty() {
            self.output.push_back(bytes);
        }
    }

    fn fail(&mut self, error: &ConnectionError) {
        self.finish(Exit::Failed(format!(
            "moshmux: the connection failed: {error}"
        )));
    }

    /// Hands the terminal back and exits; once.
    fn finish(&mut self, exit: Exit) {
        if !self.exited {
            self.exited = true;
            self.output.push_back(self.view.finish());
            self.actions.push_back(ClientAction::Exit(exit));
        }
    }
}

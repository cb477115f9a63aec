//! One attached client as the mux sees it: the SSP [`Connection`] of its endpoint, owned
//! here (the daemon's loop only moves its datagrams), and the rules for how long the
//! endpoint lives.
//!
//! Lifetime rules, all measured on the caller's clock:
//! - a client that never sends one authentic datagram is given up after
//!   [`FIRST_CONTACT_LIMIT`];
//! - a silent client keeps its endpoint forever (as in mosh) unless the session has a
//!   network timeout, or a reattach reclaims it (`reclaim.rs`);
//! - when its session ends, the endpoint sends the last state (SSP's closing handshake,
//!   [`Connection::close`]) and goes once the client acknowledged it, or once the client
//!   has been silent for the network timeout or, without one, [`FINAL_STATE_LINGER`];
//! - a client that detaches closes its side; the endpoint stays [`DETACH_LINGER`] to
//!   acknowledge again should its acknowledgement be lost, counted as gone meanwhile.

use super::ListenerId;
use crate::link_log::LinkLog;
use crate::pane_id::{SessionId, Size};
use moshmux_forward::{Pump, SocketAction, SocketEvent};
use moshmux_proto::screen::{ClientRequest, CommandReply, TreeRequest, MAX_CLIENT_REQUESTS};
use moshmux_proto::{
    Connection, ConnectionId, HostState, IdEvent, Label, SessionKey, StreamId, Transmit, UserStream,
};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A client that has not sent one authentic datagram by then is not coming (a wrong key,
/// a firewall, a user who gave up); its port is closed, as mosh-server gives up too.
pub const FIRST_CONTACT_LIMIT: Duration = Duration::from_secs(60);
/// After its session ended, how long an endpoint waits for a silent client to come back
/// and acknowledge the final state ("session ended"), when the session has no
/// `--network-timeout`. A day outlasts a laptop asleep overnight or over a long trip,
/// so its user still learns the session ended instead of staring at "Last contact"
/// forever; and it is finite, so a client that never returns leaves no daemon behind
/// for longer than that. Waiting costs one heartbeat every 3 s.
pub const FINAL_STATE_LINGER: Duration = Duration::from_secs(24 * 60 * 60);
/// How long the endpoint of a client that detached stays to acknowledge its last state
/// again, should the first acknowledgement be lost: the client waits up to 2 s for it
/// and resends after a retransmission timeout (at most about a second).
pub const DETACH_LINGER: Duration = Duration::from_secs(2);

/// Names a client endpoint for as long as the daemon runs; never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u64);

/// Why an endpoint closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoneReason {
    NeverConnected,
    Silent,
    /// The client acknowledged the final state.
    Finished,
    /// The connection failed for good: the peer speaks another protocol version, or the
    /// key is worn out.
    Failed,
    /// The session ended and its client never acknowledged the final state: it stayed
    /// silent for the network timeout, or for [`FINAL_STATE_LINGER`].
    SilentAfterEnd,
    /// The client said it detaches.
    Detached,
    /// A reattach to the session found the client silent too long (`reclaim.rs`).
    Reclaimed,
    /// The daemon is shutting down.
    Shutdown,
}

/// How long an endpoint lives without hearing from its client.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime {
    pub first_contact: Duration,
    /// `None`: a client that went silent keeps its endpoint forever, as in mosh.
    pub silence: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Attached,
    /// The session ended; the last state is on its way.
    Finishing,
    /// The client detached at this moment.
    Leaving(Instant),
}

/// The mux's side of one endpoint.
pub struct ClientEndpoint {
    /// The session the client is attached to.
    pub session: SessionId,
    /// The client's pane area, once it has said (its first `Resize`).
    pub size: Option<Size>,
    /// When the client last attached or sent input, on the mux's activity clock.
    pub active_at: u64,
    /// What the client's chooser (`choose-tree`) asks for, while it is open.
    pub tree: Option<TreeRequest>,
    connection: Connection<HostState, UserStream>,
    /// The listener the client's newest authentic datagram came in on: where the
    /// answers go out from.
    via: Option<ListenerId>,
    /// The client's user-stream state number last handed to the mux.
    delivered: u64,
    opened: Instant,
    lifetime: Lifetime,
    phase: Phase,
    log: LinkLog,
    /// The client's forwards (`-L`, `-R`): its streams, and the sockets and listeners the
    /// daemon holds for them.
    forwards: Pump,
    /// The answer to the client's newest command, and what the server's command line
    /// asked it to run: added to every state it is sent.
    reply: Option<CommandReply>,
    requests: Vec<ClientRequest>,
    next_request: u32,
}

impl ClientEndpoint {
    pub fn new(
        session: SessionId,
        key: &SessionKey,
        lifetime: Lifetime,
        now: Instant,
    ) -> ClientEndpoint {
        let connection =
            Connection::new_server(key, HostState::default(), UserStream::default(), now);
        ClientEndpoint {
            session,
            size: None,
            active_at: 0,
            tree: None,
            delivered: connection.remote_state_num(),
            connection,
            via: None,
            opened: now,
            lifetime,
            phase: Phase::Attached,
            log: LinkLog::default(),
            forwards: Pump::server(),
            reply: None,
            requests: Vec::new(),
            next_request: 0,
        }
    }

    /// Takes a datagram with the client's connection id, which came in on `listener`;
    /// returns the client's new user-stream events, if it brought any. Forgeries change
    /// nothing but the counters.
    pub fn handle_datagram(
        &mut self,
        id: ClientId,
        now: Instant,
        listener: ListenerId,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Option<UserStream> {
        match self.connection.handle_datagram(now, from, datagram) {
            // The connection follows the newest authentic datagram's address, so the
            // answers follow its listener (another family's socket after such a roam).
            Ok(()) if self.connection.remote_addr() == Some(from) => self.via = Some(listener),
            Ok(()) => {}
            Err(error) => tracing::trace!(client = id.0, %error, "datagram refused"),
        }
        if self.connection.remote_state_num() == self.delivered {
            return None;
        }
        self.delivered = self.connection.remote_state_num();
        self.log
            .note(id, self.connection.remote_addr(), self.connection.stats());
        Some(self.connection.take_remote_update())
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        // A fatal error sticks; `gone` reports it.
        let _ = self.connection.handle_timeout(now);
    }

    /// Whether the client forwards its agent (`-A`).
    pub fn offers_agent(&self) -> bool {
        self.forwards.offers_agent()
    }

    /// A program connected to the agent socket (announced as `incoming`): a stream to
    /// this client's agent, and what the daemon must do with the socket.
    pub fn forward_agent(&mut self, incoming: u64) -> Vec<SocketAction> {
        let stream = self.forwards.open_agent(self.connection.streams());
        let mut actions: Vec<SocketAction> =
            std::iter::from_fn(|| self.forwards.poll_action()).collect();
        if let Some(stream) = stream {
            actions.insert(
                0,
                SocketAction::Adopt {
                    stream: Some(stream),
                    incoming,
                },
            );
        }
        actions
    }

    /// Moves forwarded bytes after the connection's streams or a socket changed; what
    /// the daemon must do with sockets.
    pub fn forward(&mut self, socket: Option<(StreamId, SocketEvent)>) -> Vec<SocketAction> {
        let streams = self.connection.streams();
        match socket {
            Some((stream, event)) => self.forwards.handle_socket(streams, stream, event),
            None => self.forwards.handle_streams(streams),
        }
        std::iter::from_fn(|| self.forwards.poll_action()).collect()
    }

    /// The next datagram for the client, and the listener to send it from.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<(ListenerId, Transmit)> {
        let via = self.via?;
        Some((via, self.connection.poll_transmit(now)?))
    }

    /// The next change to the routing table's ids for this client.
    pub fn poll_id_event(&mut self) -> Option<IdEvent> {
        self.connection.poll_id_event()
    }

    /// The ids routed to this client now: what to take out of the table when it goes.
    pub fn connection_ids(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.connection.connection_ids()
    }

    /// The next moment the connection or the lifetime rules have something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.connection.poll_timeout(), self.lifetime_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Hands the client a new state, unless it has that one already or is leaving.
    pub fn publish(&mut self, state: &HostState, now: Instant) {
        if self.phase != Phase::Attached {
            return;
        }
        // The session's state, with this client's own answer and requests: one copy.
        let own = if state.reply == self.reply && state.requests == self.requests {
            None
        } else {
            Some(HostState {
                reply: self.reply.clone(),
                requests: self.requests.clone(),
                ..state.clone()
            })
        };
        let changed = self.connection.local_state() != own.as_ref().unwrap_or(state);
        if changed {
            let next = own.unwrap_or_else(|| state.clone());
            self.connection.set_local_state(next, now);
        }
    }

    /// Asks the client to run `line` (`moshmux-server forward`); the next state carries
    /// it, with the newest few before it.
    pub fn add_request(&mut self, line: Label) {
        if self.requests.len() == MAX_CLIENT_REQUESTS {
            self.requests.remove(0);
        }
        self.requests.push(ClientRequest {
            serial: self.next_request,
            line,
        });
        self.next_request = self.next_request.wrapping_add(1);
    }

    /// Answers the client's newest command; the next state it is sent carries it.
    pub fn set_reply(&mut self, text: &str, error: bool) {
        let serial = self
            .reply
            .as_ref()
            .map_or(0, |reply| reply.serial.wrapping_add(1));
        self.reply = Some(CommandReply::new(serial, text, error));
    }

    /// Where the client's newest authentic datagram came from: it follows a roam.
    pub fn remote_addr(&self) -> Option<std::net::SocketAddr> {
        self.connection.remote_addr()
    }

    /// The state last handed to the client, to compose the next one from.
    pub fn last_published(&self) -> &HostState {
        self.connection.local_state()
    }

    /// Sends the final state with SSP's closing flag; the endpoint ends once the client
    /// has it, or by the lifetime rules.
    pub fn finish(&mut self, state: HostState, now: Instant) {
        self.phase = Phase::Finishing;
        self.connection.set_local_state(state, now);
        self.connection.close(now);
    }

    /// The client detached: it no longer counts as attached, and the endpoint goes
    /// after [`DETACH_LINGER`].
    pub fn leave(&mut self, now: Instant) {
        if self.phase == Phase::Attached {
            self.phase = Phase::Leaving(now);
        }
    }

    /// Whether the client detached or its session ended: it is not attached anymore.
    /// The link's smoothed round trip, for how far ahead history is sent.
    pub fn srtt(&self) -> Duration {
        self.connection.srtt()
    }

    pub fn is_finishing(&self) -> bool {
        self.phase != Phase::Attached
    }

    /// Whether the client closed its side of the connection (its last event came).
    pub fn peer_closed(&self) -> bool {
        self.connection.peer_closed()
    }

    /// How long the client has been silent at `now`: since its newest authentic
    /// datagram, or since the endpoint opened if none came yet.
    pub fn silent_for(&self, now: Instant) -> Duration {
        let since = self.connection.last_heard().unwrap_or(self.opened);
        now.saturating_duration_since(since)
    }

    /// Whether the endpoint has done its job or may wait no longer, and why.
    pub fn gone(&self, now: Instant) -> Option<GoneReason> {
        if self.connection.error().is_some() {
            return Some(GoneReason::Failed);
        }
        let heard = self.connection.last_heard();
        match self.phase {
            Phase::Leaving(since) => (now >= since + DETACH_LINGER).then_some(GoneReason::Detached),
            Phase::Finishing if self.connection.close_acked() => Some(GoneReason::Finished),
            // A client never heard from cannot receive anything.
            Phase::Finishing if heard.is_none() => Some(GoneReason::NeverConnected),
            _ if self.lifetime_deadline().is_some_and(|at| now >= at) => Some(match heard {
                None => GoneReason::NeverConnected,
                Some(_) if self.phase == Phase::Finishing => GoneReason::SilentAfterEnd,
                Some(_) => GoneReason::Silent,
            }),
            _ => None,
        }
    }

    fn lifetime_deadline(&self) -> Option<Instant> {
        let heard = self.connection.last_heard();
        match (self.phase, heard) {
            (Phase::Leaving(since), _) => Some(since + DETACH_LINGER),
            (_, None) => Some(self.opened + self.lifetime.first_contact),
            (Phase::Finishing, Some(heard)) => {
                Some(heard + self.lifetime.silence.unwrap_or(FINAL_STATE_LINGER))
            }
            (Phase::Attached, Some(heard)) => self.lifetime.silence.map(|silence| heard + silence),
        }
    }
}

//! One end of an SSP session: datagrams in, datagrams out, two synchronised states.
//!
//! Call order, as in quinn-proto: feed input (`handle_datagram`, `handle_timeout`,
//! `set_local_state`), then call `poll_transmit` until it returns `None` and sleep until
//! `poll_timeout`. The connection never calls back, reads a clock or touches a socket.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::cid::{IdEvent, IdWindow};
use crate::crypto::{Cipher, CryptoError, Direction, Route, SessionKey};
use crate::error::{ConnectionError, DatagramError};
use crate::fragment::{Fragment, Fragmenter, Reassembler, MAX_INSTRUCTION_LEN};
use crate::instruction::{Instruction, InstructionError};
use crate::packet::{max_payload, Packet, PacketError};
use crate::packet::{KIND_STATE, KIND_STREAMS};
use crate::receiver::{Receiver, Reception};
use crate::rtt::{RttEstimator, TimestampEcho};
use crate::sender::Sender;
use crate::sequence::{Arrival, ReplayWindow, SendSequence};
use crate::state::SyncState;
use crate::stream::Streams;

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub destination: SocketAddr,
    pub contents: Vec<u8>,
}

/// Counters for what crossed the wire and what was refused. Every datagram received is
/// counted once in `datagrams_received`, and at most once among the `dropped_*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub datagrams_sent: u64,
    pub bytes_sent: u64,
    pub datagrams_received: u64,
    pub bytes_received: u64,
    /// Instructions (new states, retransmissions, acknowledgements) sent.
    pub instructions_sent: u64,
    /// Failed authentication: wrong key, corrupted or forged.
    pub dropped_forged: u64,
    /// Too short, or authentic but with contents we cannot parse.
    pub dropped_malformed: u64,
    /// Authentic but seen before, or too far behind the newest to tell.
    pub dropped_replayed: u64,
    /// Authentic instructions whose diff the state type refused.
    pub rejected_diffs: u64,
    /// Authentic instructions from a peer synchronised with another endpoint that has our
    /// key ([`DatagramError::KeyInUse`]).
    pub dropped_key_in_use: u64,
}

/// An SSP endpoint synchronising local state `L` to the peer and mirroring its state `R`.
pub struct Connection<L, R> {
    cipher: Cipher,
    /// The direction of the datagrams we seal.
    direction: Direction,
    /// Whether the peer's address follows its datagrams (the server side).
    follows_peer: bool,
    remote_addr: Option<SocketAddr>,
    /// The client's connection id now, as its index in the key's sequence (`cid.rs`).
    id_index: u64,
    /// The client heard from the server since it last moved to another id.
    heard_since_move: bool,
    /// The server's accepted ids, and the changes its owner's table has yet to take.
    id_window: Option<IdWindow>,
    id_events: VecDeque<IdEvent>,
    sequence: SendSequence,
    replay: ReplayWindow,
    echo: TimestampEcho,
    rtt: RttEstimator,
    sender: Sender<L>,
    receiver: Receiver<R>,
    fragmenter: Fragmenter,
    reassembler: Reassembler,
    streams: Streams,
    /// Sealed datagrams of the instruction being sent.
    outgoing: VecDeque<Vec<u8>>,
    last_heard: Option<Instant>,
    /// The peer closed: the newest remote state is its last.
    peer_closed: bool,
    /// An acknowledgement of the peer's last state has been sent.
    acked_peer_close: bool,
    stats: Stats,
    error: Option<ConnectionError>,
}

impl<L: SyncState, R: SyncState> Connection<L, R> {
    /// The server side: it learns the client's address from the first authentic datagram
    /// and sends nothing before. `local` and `remote` must equal the client's initial
    /// `remote` and `local`: both sides start from state 0 of each direction.
    pub fn new_server(key: &SessionKey, local: L, remote: R, now: Instant) -> Self {
        Self::new(key, Direction::ToClient, None, local, remote, now)
    }

    /// The client side: it always sends to `server`, and its first datagram (a heartbeat)
    /// is due at once.
    pub fn new_client(
        key: &SessionKey,
        server: SocketAddr,
        local: L,
        remote: R,
        now: Instant,
    ) -> Self {
        Self::new(key, Direction::ToServer, Some(server), local, remote, now)
    }

    fn new(
        key: &SessionKey,
        direction: Direction,
        remote_addr: Option<SocketAddr>,
        local: L,
        remote: R,
        now: Instant,
    ) -> Self {
        let cipher = Cipher::new(key);
        let (id_window, id_events) = match direction {
            Direction::ToClient => {
                let (window, events) = IdWindow::new(&cipher);
                (Some(window), events.into())
            }
            Direction::ToServer => (None, VecDeque::new()),
        };
        Connection {
            cipher,
            direction,
            follows_peer: remote_addr.is_none(),
            remote_addr,
            id_index: 0,
            heard_since_move: false,
            id_window,
            id_events,
            sequence: SendSequence::new(),
            replay: ReplayWindow::default(),
            echo: TimestampEcho::new(now),
            rtt: RttEstimator::new(),
            sender: Sender::new(local, now),
            receiver: Receiver::new(remote),
            fragmenter: Fragmenter::new(),
            reassembler: Reassembler::new(),
            streams: Streams::new(direction == Direction::ToClient),
            outgoing: VecDeque::new(),
            last_heard: None,
            peer_closed: false,
            acked_peer_close: false,
            stats: Stats::default(),
            error: None,
        }
    }

    pub fn local_state(&self) -> &L {
        self.sender.current()
    }

    /// Whether the peer has acknowledged the current local state: a server that sends a
    /// last state before closing waits for this.
    pub fn local_acked(&self) -> bool {
        self.sender.current_acked()
    }

    /// [`SyncState::progress`] of the newest local state the peer acknowledged: for the
    /// user stream, how many of the client's events the server holds.
    pub fn local_acked_progress(&self) -> u64 {
        self.sender.acked().progress()
    }

    /// The newest state received from the peer.
    pub fn remote_state(&self) -> &R {
        self.receiver.newest()
    }

    /// The number of [`Connection::remote_state`]; it grows with every new state.
    pub fn remote_state_num(&self) -> u64 {
        self.receiver.newest_num()
    }

    /// Where datagrams go; `None` on a server that has not heard from its client yet.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// When the last authentic, fresh datagram arrived.
    pub fn last_heard(&self) -> Option<Instant> {
        self.last_heard
    }

    /// Smoothed round-trip time (1 s until the first measurement).
    pub fn srtt(&self) -> Duration {
        self.rtt.srtt()
    }

    /// The connection's byte streams (forwarding): open, write, read, reset.
    pub fn streams(&mut self) -> &mut Streams {
        &mut self.streams
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The fatal error, once one happened.
    pub fn error(&self) -> Option<&ConnectionError> {
        self.error.as_ref()
    }

    /// Moves the sequence number of the next datagram up to `next` (never down): a client
    /// that may share its key with an earlier one (the same key given to `connect` twice)
    /// starts its numbers from its clock, so that it seals under no nonce the earlier one
    /// used and the server takes its datagrams as the newest. The limit on datagrams per
    /// key counts datagrams sealed, so skipping spends none of it.
    pub fn skip_sequence_to(&mut self, next: u64) {
        self.sequence.skip_to(next);
    }

    /// The client moves: its datagrams go to `server` from now on (the same address, or
    /// another one of the server's, another family even), and it takes its next
    /// connection id, so an onlooker cannot link the new path to the old one. The caller
    /// sends from a fresh local port too. The id moves only if the server was heard
    /// since the last move: a datagram reaching a fresh port was sent after the server
    /// heard from it, and so after it saw the id in use, which keeps the client within
    /// the ids the server accepts (`cid.rs`). A server's connection does not move.
    pub fn migrate(&mut self, server: SocketAddr) {
        if self.follows_peer {
            return;
        }
        self.remote_addr = Some(server);
        if self.heard_since_move {
            self.id_index += 1;
            self.heard_since_move = false;
        }
    }

    /// The server's next change to its table of connection ids: at first the ids the
    /// client may start with, later those an authentic datagram moved the window to.
    /// Always `None` on a client.
    pub fn poll_id_event(&mut self) -> Option<IdEvent> {
        self.id_events.pop_front()
    }

    /// Every connection id the server's side accepts now (none on a client): what to
    /// take out of the table when the connection goes.
    pub fn connection_ids(&self) -> impl Iterator<Item = crate::ConnectionId> + '_ {
        self.id_window.iter().flat_map(IdWindow::ids)
    }

    /// Replaces the local state; the peer gets the newest one at the next send.
    ///
    /// The value is taken whole, with the time of the change, rather than changed through
    /// a `&mut` accessor: the connection must know when a change happened to start the
    /// collection delay, and a borrow gives it no moment to notice. For a stream, clone
    /// [`Connection::local_state`], push to it and set it back; the clone is small because
    /// the acknowledged prefix has been subtracted.
    pub fn set_local_state(&mut self, state: L, now: Instant) {
        self.sender.set_current(state);
        self.sender.update_timers(now, &self.rtt);
    }

    /// Makes the current local state the last one, as mosh's shutdown does: it is sent
    /// with the closing flag (at once, even if unchanged) until the peer acknowledges it
    /// ([`Connection::close_acked`]); later `set_local_state` calls are ignored. The
    /// application decides how long to wait for that before it drops the connection.
    pub fn close(&mut self, now: Instant) {
        self.sender.close(now);
        self.sender.update_timers(now, &self.rtt);
    }

    /// Whether [`Connection::close`] was called.
    pub fn is_closing(&self) -> bool {
        self.sender.is_closing()
    }

    /// We closed and the peer holds our last state: nothing is left to deliver.
    pub fn close_acked(&self) -> bool {
        self.sender.is_closing() && self.sender.current_acked()
    }

    /// The peer closed: [`Connection::remote_state`] is its last state.
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// The peer closed and an acknowledgement of its last state has gone out (in a
    /// datagram returned by `poll_transmit`), so the peer can stop waiting. Should that
    /// datagram be lost, the peer sends its last state again, and each copy that arrives
    /// is acknowledged at once.
    pub fn acked_peer_close(&self) -> bool {
        self.acked_peer_close
    }

    /// What is new in the remote state since the last call: the newest state with the
    /// previous result subtracted ([`SyncState::subtract`]). For a stream (the user's
    /// keystrokes) these are the events not yet taken; for a snapshot type, whose
    /// `subtract` does nothing, it is the whole newest state.
    pub fn take_remote_update(&mut self) -> R {
        self.receiver.take_update()
    }

    /// The next moment `handle_timeout` has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.error.is_some() || self.remote_addr.is_none() {
            return None;
        }
        [self.sender.poll_timeout(), self.streams.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), ConnectionError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        self.sender.update_timers(now, &self.rtt);
        self.streams.handle_timeout(now);
        Ok(())
    }

    /// The next datagram to send, if one is due: the state's first, so a transfer on a
    /// stream never holds back a keystroke or a screen update.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        let destination = self.remote_addr?;
        if self.outgoing.is_empty() && self.error.is_none() {
            if let Err(error) = self.send_instruction(now) {
                self.outgoing.clear();
                self.error = Some(error);
            }
        }
        if self.outgoing.is_empty() && self.error.is_none() {
            if let Err(error) = self.send_streams(now) {
                self.error = Some(error);
            }
        }
        let contents = self.outgoing.pop_front()?;
        self.stats.datagrams_sent += 1;
        self.stats.bytes_sent += contents.len() as u64;
        Some(Transmit {
            destination,
            contents,
        })
    }

    fn route(&self) -> Route {
        match self.direction {
            Direction::ToServer => Route::ToServer(self.cipher.connection_id(self.id_index)),
            Direction::ToClient => Route::ToClient,
        }
    }

    fn seal(
        &mut self,
        now: Instant,
        kind: u8,
        body: &[u8],
    ) -> Result<(u64, Vec<u8>), ConnectionError> {
        let seq = self.sequence.next().ok_or(ConnectionError::KeyExhausted)?;
        let mut payload = Vec::with_capacity(1 + body.len());
        payload.push(kind);
        payload.extend_from_slice(body);
        let packet = Packet {
            route: self.route(),
            seq,
            timestamp: self.echo.stamp(now),
            timestamp_reply: self.echo.take_reply(now),
            payload,
        };
        Ok((seq, packet.seal(&self.cipher)))
    }

    fn send_streams(&mut self, now: Instant) -> Result<(), ConnectionError> {
        let budget = max_payload(self.direction) - 1;
        let Some(payload) = self.streams.poll_payload(now, budget) else {
            return Ok(());
        };
        let (seq, datagram) = self.seal(now, KIND_STREAMS, &payload.frames)?;
        self.streams.on_sent(now, seq, datagram.len(), payload);
        self.outgoing.push_back(datagram);
        Ok(())
    }

    fn send_instruction(&mut self, now: Instant) -> Result<(), ConnectionError> {
        let Some(instruction) = self.sender.poll_instruction(now, &self.rtt) else {
            return Ok(());
        };
        let bytes = instruction.to_bytes();
        if bytes.len() > MAX_INSTRUCTION_LEN {
            return Err(ConnectionError::InstructionTooLarge(bytes.len()));
        }
        self.stats.instructions_sent += 1;
        if self.peer_closed && instruction.ack_num == self.receiver.newest_num() {
            self.acked_peer_close = true;
        }
        let budget = max_payload(self.direction) - 1;
        for fragment in self.fragmenter.make_fragments(&bytes, budget) {
            let (_, datagram) = self.seal(now, KIND_STATE, &fragment.encode())?;
            self.outgoing.push_back(datagram);
        }
        self.sender.update_timers(now, &self.rtt);
        Ok(())
    }

    /// Takes one datagram from the network. Whatever it contains, this never panics: a bad
    /// datagram is counted in [`Stats`] and reported, and changes nothing else.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Result<(), DatagramError> {
        self.stats.datagrams_received += 1;
        self.stats.bytes_received += datagram.len() as u64;
        if let Some(error) = &self.error {
            return Err(DatagramError::Closed(error.clone()));
        }
        let result = self.process_datagram(now, from, datagram);
        match &result {
            Err(DatagramError::Forged) => self.stats.dropped_forged += 1,
            Err(DatagramError::Malformed | DatagramError::BadInstruction(_)) => {
                self.stats.dropped_malformed += 1
            }
            Err(DatagramError::Replayed { .. }) => self.stats.dropped_replayed += 1,
            Err(DatagramError::BadDiff(_)) => self.stats.rejected_diffs += 1,
            Err(DatagramError::KeyInUse) => self.stats.dropped_key_in_use += 1,
            Err(DatagramError::Closed(error)) => self.error = Some(error.clone()),
            Ok(()) => {}
        }
        self.sender.update_timers(now, &self.rtt);
        result
    }

    fn process_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Result<(), DatagramError> {
        let incoming = match self.direction {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        };
        // On the server, an id outside the window is not this connection's: refused
        // before any cryptography, as the table in front of it would refuse it.
        let id_index = match &self.id_window {
            Some(window) => {
                let id = crate::ConnectionId::of(datagram).ok_or(DatagramError::Malformed)?;
                Some(window.index_of(id).ok_or(DatagramError::Forged)?)
            }
            None => None,
        };
        let packet =
            Packet::open(&self.cipher, incoming, datagram).map_err(|error| match error {
                PacketError::Crypto(CryptoError::Forged) => DatagramError::Forged,
                PacketError::Crypto(CryptoError::Truncated(_)) | PacketError::ShortHeader(_) => {
                    DatagramError::Malformed
                }
            })?;
        let arrival = self
            .replay
            .accept(packet.seq)
            .ok_or(DatagramError::Replayed { seq: packet.seq })?;
        self.last_heard = Some(now);
        self.heard_since_move = true;
        if let (Some(window), Some(index)) = (&mut self.id_window, id_index) {
            self.id_events.extend(window.heard(index, &self.cipher));
        }
        // Only a datagram newer than all before may move the peer's address or time a
        // round trip: an old one, replayed from anywhere, must not steer us.
        if arrival == Arrival::Newest {
            if self.follows_peer {
                self.remote_addr = Some(from);
            }
            self.echo.hold(packet.timestamp, now);
            if let Some(reply) = packet.timestamp_reply {
                self.rtt.on_sample(self.echo.round_trip(now, reply));
            }
        }
        self.streams.on_peer_heard(now);
        let fragment = match packet.payload.split_first() {
            Some((&KIND_STATE, fragment)) => fragment,
            Some((&KIND_STREAMS, frames)) => {
                return self
                    .streams
                    .on_payload(now, packet.seq, frames)
                    .map_err(|()| DatagramError::Malformed);
            }
            _ => return Err(DatagramError::Malformed),
        };
        let fragment = Fragment::decode(fragment).map_err(|_| DatagramError::Malformed)?;
        let Some(bytes) = self.reassembler.add(fragment) else {
            return Ok(());
        };
        let instruction = Instruction::from_bytes(&bytes).map_err(|error| match error {
            InstructionError::VersionMismatch { theirs } => {
                DatagramError::Closed(ConnectionError::VersionMismatch { theirs })
            }
            malformed => DatagramError::BadInstruction(malformed),
        })?;
        // The peer discards states up to its throwaway number only once we acknowledged
        // one that new, and we acknowledge only states we hold: a number past our newest
        // means its acknowledgements came from another endpoint with our key.
        if instruction.throwaway_num > self.receiver.newest_num() {
            return Err(DatagramError::KeyInUse);
        }
        self.sender.process_ack(instruction.ack_num);
        let reception = self.receiver.receive(&instruction)?;
        if let Reception::Newest { with_data } = reception {
            self.sender
                .on_remote_state(self.receiver.newest_num(), with_data, now);
        }
        // A closing peer waits for our acknowledgement of its last state; a copy of that
        // state arriving again means the previous acknowledgement was lost.
        if instruction.closing && reception != Reception::UnknownBase {
            self.peer_closed = true;
            self.sender.ack_now(now);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;

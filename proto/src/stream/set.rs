//! A connection's streams: the application's calls, the frames in and out, and the
//! bookkeeping that ties acknowledgements and losses back to streams.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

use super::congestion::Congestion;
use super::frame::{self, Frame, DATA_OVERHEAD};
use super::recovery::{AckRanges, AckTracker, Outcome, Sent, SentLog};
use super::recv::RecvStream;
use super::send::SendStream;
use super::{StreamEvent, StreamId, CONNECTION_WINDOW, MAX_STREAMS, STREAM_WINDOW};

/// How far past the peer's next stream id a frame may name one: a peer opens its
/// streams in order, and at most [`MAX_STREAMS`] are open at once.
const MAX_OPEN_AHEAD: u64 = 4 * MAX_STREAMS as u64;

#[derive(Debug)]
struct Stream {
    send: SendStream,
    recv: RecvStream,
    /// A write was cut short: say `Writable` when room frees.
    blocked: bool,
    /// `Readable` was said and nothing was read since.
    signalled: bool,
    /// Bytes received for the first time (the connection's window counts them).
    received: u64,
    read: u64,
}

/// A datagram's worth of frames, from [`Streams::poll_payload`].
pub struct Payload {
    pub frames: Vec<u8>,
    items: Vec<Sent>,
    app_limited: bool,
}

/// Every stream of one connection, and what their datagrams need.
#[derive(Debug)]
pub struct Streams {
    /// 0 on the client (even ids), 1 on the server.
    parity: u64,
    next_local: u64,
    /// The peer's next id not yet opened.
    next_peer: u64,
    streams: BTreeMap<u64, Stream>,
    /// Streams we reset whose `Reset` is not yet acknowledged, and those to send now.
    resetting: BTreeSet<u64>,
    resets_due: BTreeSet<u64>,
    /// Window frames to send again (their datagram was lost): a stream, or the connection.
    windows_due: BTreeSet<Option<u64>>,
    events: VecDeque<StreamEvent>,
    sent: SentLog,
    acks: AckTracker,
    congestion: Congestion,
    /// Probes allowed past the congestion window after a probe timeout.
    probes_due: u32,
    /// The stream served last, so streams take turns.
    turn: u64,
    recv_total: u64,
    recv_consumed: u64,
    recv_advertised: u64,
    send_total: u64,
    send_limit: u64,
    /// Frames that broke the protocol (over a window, a moved end): dropped, counted.
    pub refused_frames: u64,
}

impl Streams {
    pub(crate) fn new(is_server: bool) -> Self {
        let parity = u64::from(is_server);
        Streams {
            parity,
            next_local: parity,
            next_peer: 1 - parity,
            streams: BTreeMap::new(),
            resetting: BTreeSet::new(),
            resets_due: BTreeSet::new(),
            windows_due: BTreeSet::new(),
            events: VecDeque::new(),
            sent: SentLog::new(),
            acks: AckTracker::default(),
            congestion: Congestion::new(),
            probes_due: 0,
            turn: 0,
            recv_total: 0,
            recv_consumed: 0,
            recv_advertised: CONNECTION_WINDOW,
            send_total: 0,
            send_limit: CONNECTION_WINDOW,
            refused_frames: 0,
        }
    }

    fn new_stream() -> Stream {
        Stream {
            send: SendStream::new(STREAM_WINDOW),
            recv: RecvStream::new(STREAM_WINDOW),
            blocked: false,
            signalled: false,
            received: 0,
            read: 0,
        }
    }

    /// Opens a stream; `None` at [`MAX_STREAMS`].
    pub fn open(&mut self) -> Option<StreamId> {
        if self.streams.len() >= MAX_STREAMS {
            return None;
        }
        let id = self.next_local;
        self.next_local += 2;
        self.streams.insert(id, Self::new_stream());
        Some(StreamId(id))
    }

    pub fn is_open(&self, id: StreamId) -> bool {
        self.streams.contains_key(&id.0)
    }

    fn buffered(&self) -> u64 {
        self.streams
            .values()
            .map(|s| s.send.buffered() as u64)
            .sum()
    }

    /// Takes as much of `bytes` as the stream's and the connection's buffers allow; the
    /// rest waits for [`StreamEvent::Writable`].
    pub fn write(&mut self, id: StreamId, bytes: &[u8]) -> usize {
        let total = self.buffered();
        let Some(stream) = self.streams.get_mut(&id.0) else {
            return 0;
        };
        let room = (STREAM_WINDOW.saturating_sub(stream.send.buffered() as u64))
            .min(CONNECTION_WINDOW.saturating_sub(total)) as usize;
        let taken = stream.send.write(bytes, room);
        stream.blocked |= taken < bytes.len();
        taken
    }

    /// No more bytes on this stream from us.
    pub fn finish(&mut self, id: StreamId) {
        if let Some(stream) = self.streams.get_mut(&id.0) {
            stream.send.finish();
        }
        self.retire(id.0);
    }

    /// Reads up to `max` bytes into `out`; how many. `(0, true)`: the peer's end.
    pub fn read(&mut self, id: StreamId, out: &mut Vec<u8>, max: usize) -> (usize, bool) {
        let Some(stream) = self.streams.get_mut(&id.0) else {
            return (0, true);
        };
        let count = stream.recv.read(out, max);
        stream.read += count as u64;
        stream.signalled = false;
        self.recv_consumed += count as u64;
        let ended = stream.recv.is_finished();
        if stream.recv.window_update().is_some() {
            self.windows_due.insert(Some(id.0));
        }
        if self.recv_consumed + CONNECTION_WINDOW >= self.recv_advertised + CONNECTION_WINDOW / 4 {
            self.recv_advertised = self.recv_consumed + CONNECTION_WINDOW;
            self.windows_due.insert(None);
        }
        if ended {
            self.retire(id.0);
        }
        (count, ended)
    }

    /// Drops the stream at once, both ways; the peer is told.
    pub fn reset(&mut self, id: StreamId) {
        if let Some(stream) = self.streams.remove(&id.0) {
            self.recv_consumed += stream.received - stream.read;
            self.resetting.insert(id.0);
            self.resets_due.insert(id.0);
        }
    }

    pub fn poll_event(&mut self) -> Option<StreamEvent> {
        self.events.pop_front()
    }

    /// Forgets a stream both of whose ends are done.
    fn retire(&mut self, id: u64) {
        if self
            .streams
            .get(&id)
            .is_some_and(|s| s.send.is_done() && s.recv.is_finished())
        {
            self.streams.remove(&id);
        }
    }

    /// Any authentic datagram from the peer: after an outage, probe at once.
    pub(crate) fn on_peer_heard(&mut self, now: Instant) {
        self.sent.on_peer_heard(now);
    }

    /// The frames of a stream datagram; `Err` if they do not parse (nothing applied).
    pub(crate) fn on_payload(&mut self, now: Instant, seq: u64, payload: &[u8]) -> Result<(), ()> {
        let frames = frame::decode_all(payload).map_err(|_| ())?;
        if frames.iter().any(Frame::is_ack_eliciting) {
            self.acks.on_datagram(seq, now);
        }
        for frame in frames {
            match frame {
                Frame::Data {
                    stream,
                    offset,
                    fin,
                    bytes,
                } => self.on_data(stream, offset, fin, &bytes),
                Frame::Ack {
                    largest,
                    delay_micros,
                    first_len,
                    ranges,
                } => match AckRanges::from_frame(largest, delay_micros, first_len, &ranges) {
                    Some(ack) => {
                        let outcome = self.sent.on_ack(now, &ack);
                        self.apply(now, outcome);
                    }
                    None => self.refused_frames += 1,
                },
                Frame::Window {
                    stream: None,
                    limit,
                } => self.send_limit = self.send_limit.max(limit),
                Frame::Window {
                    stream: Some(id),
                    limit,
                } => {
                    if let Some(stream) = self.streams.get_mut(&id) {
                        stream.send.raise_limit(limit);
                    }
                }
                Frame::Reset { stream } => self.on_reset(stream),
            }
        }
        Ok(())
    }

    /// Opens the peer's streams up to `id` (a later one's data may come first).
    /// `false` when `id` is further ahead than [`MAX_OPEN_AHEAD`]: only a broken peer
    /// names such a stream, and opening every id below it would cost without bound.
    fn open_peer_streams(&mut self, id: u64) -> bool {
        if id >= self.next_peer.saturating_add(MAX_OPEN_AHEAD) {
            self.refused_frames += 1;
            return false;
        }
        while self.next_peer <= id {
            let new = self.next_peer;
            self.next_peer += 2;
            if self.streams.len() >= MAX_STREAMS {
                // Refused; the peer is told, within a bound on what is remembered.
                if self.resetting.len() < MAX_STREAMS {
                    self.resetting.insert(new);
                    self.resets_due.insert(new);
                }
                continue;
            }
            self.streams.insert(new, Self::new_stream());
            self.events.push_back(StreamEvent::Opened(StreamId(new)));
        }
        true
    }

    fn on_data(&mut self, id: u64, offset: u64, fin: bool, bytes: &[u8]) {
        if id % 2 != self.parity && !self.open_peer_streams(id) {
            return;
        }
        // A stream that is gone (done, or reset) gets its late copies acknowledged only.
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if self.recv_total + stream.recv.fresh(offset, bytes.len() as u64) > self.recv_advertised {
            self.refused_frames += 1;
            return;
        }
        match stream.recv.on_data(offset, bytes, fin) {
            Ok(fresh) => {
                stream.received += fresh;
                self.recv_total += fresh;
                if (stream.recv.readable() > 0 || stream.recv.is_finished()) && !stream.signalled {
                    stream.signalled = true;
                    self.events.push_back(StreamEvent::Readable(StreamId(id)));
                }
            }
            Err(_) => self.refused_frames += 1,
        }
    }

    fn on_reset(&mut self, id: u64) {
        if id % 2 != self.parity && id >= self.next_peer && !self.open_peer_streams(id) {
            return;
        }
        if let Some(stream) = self.streams.remove(&id) {
            self.recv_consumed += stream.received - stream.read;
            self.events.push_back(StreamEvent::Reset(StreamId(id)));
        }
        self.resetting.remove(&id);
        self.resets_due.remove(&id);
    }

    fn apply(&mut self, now: Instant, outcome: Outcome) {
        self.congestion
            .on_outcome(now, &outcome, self.sent.delivered, self.sent.in_flight());
        for item in outcome.acked {
            match item {
                Sent::Data {
                    stream: id,
                    range,
                    fin,
                } => {
                    if let Some(stream) = self.streams.get_mut(&id) {
                        stream.send.on_acked(range, fin);
                        if stream.blocked && stream.send.buffered() < STREAM_WINDOW as usize / 2 {
                            stream.blocked = false;
                            self.events.push_back(StreamEvent::Writable(StreamId(id)));
                        }
                        self.retire(id);
                    }
                }
                Sent::Reset { stream } => {
                    self.resetting.remove(&stream);
                }
                Sent::Window { .. } => {}
            }
        }
        for item in outcome.lost {
            match item {
                Sent::Data {
                    stream: id,
                    range,
                    fin,
                } => {
                    if let Some(stream) = self.streams.get_mut(&id) {
                        stream.send.on_lost(range, fin);
                    }
                }
                Sent::Window { stream } => {
                    if stream.is_none_or(|id| self.streams.contains_key(&id)) {
                        self.windows_due.insert(stream);
                    }
                }
                Sent::Reset { stream } => {
                    if self.resetting.contains(&stream) {
                        self.resets_due.insert(stream);
                    }
                }
            }
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let outcome = self.sent.on_timeout(now);
        if outcome.probe {
            self.probes_due = 2;
        }
        self.apply(now, outcome);
    }

    fn data_ready(&self) -> bool {
        let credit = self.send_limit.saturating_sub(self.send_total);
        self.streams.values().any(|s| s.send.has_chunk(credit))
    }

    /// Whether the congestion window has room for another datagram (probes always do).
    fn window_open(&self) -> bool {
        self.probes_due > 0
            || self.sent.in_flight() + crate::packet::MAX_DATAGRAM <= self.congestion.window()
    }

    fn may_send_data(&self, now: Instant) -> bool {
        self.window_open()
            && (self.probes_due > 0 || self.congestion.next_send().is_none_or(|at| at <= now))
    }

    /// Frames due at once (acknowledgements, windows, resets, data the pacer allows)
    /// go out in the `poll_transmit` that follows any input; this is the next moment
    /// something becomes due by time alone.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let pacing = (self.data_ready() && self.window_open())
            .then(|| self.congestion.next_send())
            .flatten();
        [self.acks.deadline(), self.sent.timeout(), pacing]
            .into_iter()
            .flatten()
            .min()
    }

    /// The frames for the next stream datagram of at most `budget` bytes, if one is due.
    pub(crate) fn poll_payload(&mut self, now: Instant, budget: usize) -> Option<Payload> {
        let mut frames = Vec::new();
        let mut items = Vec::new();
        if self.acks.deadline().is_some_and(|at| at <= now) {
            if let Some(ack) = self.acks.frame(now) {
                frame::encode(&ack, &mut frames);
            }
        }
        for id in std::mem::take(&mut self.resets_due) {
            frame::encode(&Frame::Reset { stream: id }, &mut frames);
            items.push(Sent::Reset { stream: id });
        }
        for stream in std::mem::take(&mut self.windows_due) {
            let limit = match stream {
                None => self.recv_advertised,
                Some(id) => match self.streams.get(&id) {
                    Some(s) => s.recv.advertised(),
                    None => continue,
                },
            };
            frame::encode(&Frame::Window { stream, limit }, &mut frames);
            items.push(Sent::Window { stream });
        }
        if self.may_send_data(now) {
            self.fill_data(budget, &mut frames, &mut items);
        }
        if frames.is_empty() {
            return None;
        }
        let app_limited = !self.data_ready();
        Some(Payload {
            frames,
            items,
            app_limited,
        })
    }

    /// Data frames from the streams in turn, while they fit.
    fn fill_data(&mut self, budget: usize, frames: &mut Vec<u8>, items: &mut Vec<Sent>) {
        if self.streams.is_empty() {
            return;
        }
        let ids: Vec<u64> = self
            .streams
            .range(self.turn + 1..)
            .chain(self.streams.range(..=self.turn))
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            let room = budget.saturating_sub(frames.len() + DATA_OVERHEAD);
            if room == 0 {
                break;
            }
            let credit = self.send_limit.saturating_sub(self.send_total);
            let Some(stream) = self.streams.get_mut(&id) else {
                continue;
            };
            if !stream.send.has_chunk(credit) {
                continue;
            }
            let Some(chunk) = stream.send.next_chunk(room, credit) else {
                continue;
            };
            self.send_total += chunk.new_bytes;
            self.turn = id;
            let end = chunk.offset + chunk.bytes.len() as u64;
            items.push(Sent::Data {
                stream: id,
                range: chunk.offset..end,
                fin: chunk.fin,
            });
            let data = Frame::Data {
                stream: id,
                offset: chunk.offset,
                fin: chunk.fin,
                bytes: chunk.bytes,
            };
            frame::encode(&data, frames);
        }
    }

    /// The datagram holding `payload` went out as `seq`, `size` bytes on the wire.
    pub(crate) fn on_sent(&mut self, now: Instant, seq: u64, size: usize, payload: Payload) {
        if payload.items.is_empty() {
            return;
        }
        self.probes_due = self.probes_due.saturating_sub(1);
        self.congestion.on_sent(now, size);
        self.sent
            .on_sent(seq, now, size, payload.items, payload.app_limited);
    }
}

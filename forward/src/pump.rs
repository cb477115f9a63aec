//! The sans-IO part of forwarding, the same on both ends: each forwarded TCP connection
//! is one stream and one socket, and the pump moves bytes between them.
//!
//! Flow control is end to end: the pump reads a stream only while the socket's write
//! queue has room ([`SOCKET_QUEUE`]), and asks the loop to stop reading a socket while
//! the stream refuses bytes (its window is full); so a slow consumer at either end
//! slows the producer at the other, and nothing grows without bound.

use std::collections::{BTreeMap, VecDeque};

use moshmux_proto::stream::Streams;
use moshmux_proto::{StreamEvent, StreamId};

use crate::header::{self, OpenReply, Parsed, StreamOpen, MAX_HEADER};

/// Bytes given to a socket's writer and not yet written, at most.
pub const SOCKET_QUEUE: usize = 256 << 10;

/// What the event loop does with a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketAction {
    /// Connect to `host:port` for the stream; answer with `Connected` or `Refused`.
    Connect {
        stream: StreamId,
        host: String,
        port: u16,
    },
    /// Queue bytes for the socket; say `Drained` as they are written.
    Write {
        stream: StreamId,
        bytes: Vec<u8>,
    },
    /// Stop reading the socket until `Resume` (the stream is full).
    Pause {
        stream: StreamId,
    },
    Resume {
        stream: StreamId,
    },
    /// Nothing more comes for the socket: shut its sending side once the queue is out.
    Shutdown {
        stream: StreamId,
    },
    /// The pump is done with the socket: finish what is queued, then let it go.
    Close {
        stream: StreamId,
    },
    /// Drop the socket now (the stream was reset, or the link went).
    Abort {
        stream: StreamId,
    },
}

impl SocketAction {
    /// The stream whose socket it is about.
    pub fn stream(&self) -> StreamId {
        match self {
            SocketAction::Connect { stream, .. }
            | SocketAction::Write { stream, .. }
            | SocketAction::Pause { stream }
            | SocketAction::Resume { stream }
            | SocketAction::Shutdown { stream }
            | SocketAction::Close { stream }
            | SocketAction::Abort { stream } => *stream,
        }
    }
}

/// What happened to a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketEvent {
    Connected,
    /// The connection failed: why, as one line.
    Refused(String),
    Data(Vec<u8>),
    /// The socket's peer finished sending.
    Eof,
    /// This many queued bytes were written.
    Drained(usize),
    /// The socket failed or was reset.
    Closed,
}

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    /// The peer opened the stream; its header is being read.
    Opening,
    /// Connecting the socket; the stream's data waits in it.
    Connecting,
    /// We opened the stream for `target`; the answer is being read.
    AwaitingReply {
        target: String,
    },
    Open,
    /// We refused: the answer is on its way, and the peer's data is thrown away.
    Refused,
}

#[derive(Debug)]
struct Pipe {
    phase: Phase,
    /// Stream bytes read past a header, not yet passed to the socket.
    inbound: Vec<u8>,
    /// Bytes for the stream (a header, socket data) it has not taken yet.
    outbound: Vec<u8>,
    /// Written to the socket's queue and not yet drained.
    queued: usize,
    paused: bool,
    socket_eof: bool,
    stream_finished: bool,
    stream_ended: bool,
}

impl Pipe {
    fn new(phase: Phase, outbound: Vec<u8>) -> Pipe {
        Pipe {
            phase,
            inbound: Vec::new(),
            outbound,
            queued: 0,
            paused: false,
            socket_eof: false,
            stream_finished: false,
            stream_ended: false,
        }
    }
}

/// The forwarded connections of one session link.
#[derive(Debug, Default)]
pub struct Pump {
    pipes: BTreeMap<StreamId, Pipe>,
    /// Whether the peer may open streams (the server side, for `-L`).
    accepts_opens: bool,
    actions: VecDeque<SocketAction>,
    notices: VecDeque<String>,
}

impl Pump {
    /// The server's side: it connects where the client's streams ask.
    pub fn accepting() -> Pump {
        Pump {
            accepts_opens: true,
            ..Pump::default()
        }
    }

    /// The client's side: it opens streams for connections it accepted.
    pub fn opening() -> Pump {
        Pump::default()
    }

    /// Opens a stream for a socket the loop accepted; `None` when the link has as many
    /// streams as it may (the loop closes the socket).
    pub fn open(&mut self, streams: &mut Streams, open: StreamOpen) -> Option<StreamId> {
        let stream = streams.open()?;
        let StreamOpen::Connect { host, port } = &open;
        let target = format!("{host}:{port}");
        let phase = Phase::AwaitingReply { target };
        self.pipes
            .insert(stream, Pipe::new(phase, header::encode(&open)));
        self.pump(streams);
        Some(stream)
    }

    pub fn poll_action(&mut self) -> Option<SocketAction> {
        self.actions.pop_front()
    }

    /// A line for the user (a forward the far end refused).
    pub fn poll_notice(&mut self) -> Option<String> {
        self.notices.pop_front()
    }

    /// Forwarded connections now.
    pub fn len(&self) -> usize {
        self.pipes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pipes.is_empty()
    }

    /// Takes the connection's stream events, then moves what can move.
    pub fn handle_streams(&mut self, streams: &mut Streams) {
        while let Some(event) = streams.poll_event() {
            match event {
                StreamEvent::Opened(stream) if self.accepts_opens => {
                    self.pipes
                        .insert(stream, Pipe::new(Phase::Opening, Vec::new()));
                }
                StreamEvent::Opened(stream) => streams.reset(stream),
                StreamEvent::Reset(stream) => {
                    if self.pipes.remove(&stream).is_some() {
                        self.actions.push_back(SocketAction::Abort { stream });
                    }
                }
                StreamEvent::Readable(_) | StreamEvent::Writable(_) => {}
            }
        }
        self.pump(streams);
    }

    pub fn handle_socket(&mut self, streams: &mut Streams, stream: StreamId, event: SocketEvent) {
        let Some(pipe) = self.pipes.get_mut(&stream) else {
            return;
        };
        match event {
            SocketEvent::Connected if pipe.phase == Phase::Connecting => {
                pipe.phase = Phase::Open;
                pipe.outbound = header::encode(&OpenReply::Connected);
            }
            SocketEvent::Refused(why) if pipe.phase == Phase::Connecting => {
                pipe.phase = Phase::Refused;
                pipe.outbound = header::encode(&OpenReply::Refused(why));
                pipe.socket_eof = true;
            }
            SocketEvent::Connected | SocketEvent::Refused(_) => {}
            SocketEvent::Data(bytes) => pipe.outbound.extend_from_slice(&bytes),
            SocketEvent::Eof => pipe.socket_eof = true,
            SocketEvent::Drained(count) => pipe.queued = pipe.queued.saturating_sub(count),
            SocketEvent::Closed => {
                self.pipes.remove(&stream);
                streams.reset(stream);
                self.actions.push_back(SocketAction::Abort { stream });
            }
        }
        self.pump(streams);
    }

    /// The link went: every socket goes with it.
    pub fn abort_all(&mut self) {
        for stream in std::mem::take(&mut self.pipes).into_keys() {
            self.actions.push_back(SocketAction::Abort { stream });
        }
    }

    /// Moves bytes both ways on every pipe, and lets finished ones go.
    pub fn pump(&mut self, streams: &mut Streams) {
        let ids: Vec<StreamId> = self.pipes.keys().copied().collect();
        for stream in ids {
            let Some(mut pipe) = self.pipes.remove(&stream) else {
                continue;
            };
            self.socket_to_stream(streams, stream, &mut pipe);
            let keep = self.stream_to_socket(streams, stream, &mut pipe);
            let done = pipe.stream_finished && pipe.stream_ended;
            if keep && !done {
                self.pipes.insert(stream, pipe);
            } else if keep {
                self.actions.push_back(SocketAction::Close { stream });
            }
        }
    }

    /// Socket bytes (and headers) into the stream, pausing the socket while it is full.
    fn socket_to_stream(&mut self, streams: &mut Streams, stream: StreamId, pipe: &mut Pipe) {
        let taken = streams.write(stream, &pipe.outbound);
        pipe.outbound.drain(..taken);
        let full = !pipe.outbound.is_empty();
        if full != pipe.paused && pipe.phase != Phase::Refused {
            pipe.paused = full;
            self.actions.push_back(match full {
                true => SocketAction::Pause { stream },
                false => SocketAction::Resume { stream },
            });
        }
        if pipe.socket_eof && !full && !pipe.stream_finished && pipe.phase != Phase::Connecting {
            streams.finish(stream);
            pipe.stream_finished = true;
        }
    }

    /// Stream bytes to the socket, as far as its queue has room; `false` when the pipe
    /// is to be dropped without a word (the socket is already told).
    fn stream_to_socket(
        &mut self,
        streams: &mut Streams,
        stream: StreamId,
        pipe: &mut Pipe,
    ) -> bool {
        match &pipe.phase {
            Phase::Connecting => true,
            Phase::Opening => {
                let room = (4 + MAX_HEADER).saturating_sub(pipe.inbound.len());
                streams.read(stream, &mut pipe.inbound, room);
                match header::parse::<StreamOpen>(&pipe.inbound) {
                    Parsed::Partial if pipe.inbound.len() < 4 + MAX_HEADER => true,
                    Parsed::Done(StreamOpen::Connect { host, port }, used) => {
                        pipe.inbound.drain(..used);
                        pipe.phase = Phase::Connecting;
                        self.actions
                            .push_back(SocketAction::Connect { stream, host, port });
                        true
                    }
                    Parsed::Partial | Parsed::Invalid => {
                        streams.reset(stream);
                        false
                    }
                }
            }
            Phase::AwaitingReply { target } => {
                let room = (4 + MAX_HEADER).saturating_sub(pipe.inbound.len());
                streams.read(stream, &mut pipe.inbound, room);
                match header::parse::<OpenReply>(&pipe.inbound) {
                    Parsed::Partial if pipe.inbound.len() < 4 + MAX_HEADER => true,
                    Parsed::Done(OpenReply::Connected, used) => {
                        pipe.inbound.drain(..used);
                        pipe.phase = Phase::Open;
                        self.deliver(streams, stream, pipe);
                        true
                    }
                    Parsed::Done(OpenReply::Refused(why), _) => {
                        self.notices
                            .push_back(format!("forward to {target}: {why}"));
                        streams.reset(stream);
                        self.actions.push_back(SocketAction::Abort { stream });
                        false
                    }
                    Parsed::Partial | Parsed::Invalid => {
                        streams.reset(stream);
                        self.actions.push_back(SocketAction::Abort { stream });
                        false
                    }
                }
            }
            Phase::Open => {
                self.deliver(streams, stream, pipe);
                true
            }
            Phase::Refused => {
                let mut discarded = Vec::new();
                let (_, ended) = streams.read(stream, &mut discarded, usize::MAX);
                pipe.stream_ended = ended;
                !(ended && pipe.stream_finished)
            }
        }
    }

    /// An open pipe's stream bytes into the socket's queue, and its end once read.
    fn deliver(&mut self, streams: &mut Streams, stream: StreamId, pipe: &mut Pipe) {
        let mut room = SOCKET_QUEUE.saturating_sub(pipe.queued);
        let mut bytes = std::mem::take(&mut pipe.inbound);
        if bytes.len() > room {
            pipe.inbound = bytes.split_off(room);
        }
        room -= bytes.len();
        let mut ended = false;
        if pipe.inbound.is_empty() && room > 0 {
            ended = streams.read(stream, &mut bytes, room).1;
        }
        if !bytes.is_empty() {
            pipe.queued += bytes.len();
            self.actions
                .push_back(SocketAction::Write { stream, bytes });
        }
        if ended && !pipe.stream_ended {
            pipe.stream_ended = true;
            self.actions.push_back(SocketAction::Shutdown { stream });
        }
    }
}

#[cfg(test)]
#[path = "pump_tests.rs"]
mod tests;

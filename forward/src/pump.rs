//! The sans-IO part of forwarding, the same on both ends: each forwarded TCP connection
//! is one stream and one socket, and the pump moves bytes between them. A `-R` forward
//! is one more stream, for as long as the server's listener lives; each connection the
//! listener accepts comes back as a stream the server opens.
//!
//! Flow control is end to end: the pump reads a stream only while the socket's write
//! queue has room ([`SOCKET_QUEUE`]), and asks the loop to stop reading a socket while
//! the stream refuses bytes (its window is full); so a slow consumer at either end
//! slows the producer at the other, and nothing grows without bound.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::path::PathBuf;

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
    /// Connect to the Unix socket at `path` for the stream (the agent's).
    ConnectUnix {
        stream: StreamId,
        path: PathBuf,
    },
    /// Listen on `bind:port` for the stream (`-R`); answer with `Connected` (listening)
    /// or `Refused`, then `Incoming` for each connection accepted.
    Listen {
        stream: StreamId,
        bind: IpAddr,
        port: u16,
    },
    /// The connection `Incoming` announced is the socket of `stream` from now on; with
    /// no stream for it (`None`), it is closed.
    Adopt {
        stream: Option<StreamId>,
        incoming: u64,
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
    /// The stream whose socket it is about (for `Adopt` without a stream, the
    /// listener's: the loop needs only its owner).
    pub fn stream(&self) -> StreamId {
        match self {
            SocketAction::Adopt { stream, .. } => stream.unwrap_or(StreamId(u64::MAX)),
            SocketAction::Connect { stream, .. }
            | SocketAction::ConnectUnix { stream, .. }
            | SocketAction::Listen { stream, .. }
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
    /// The listener accepted a connection, held under this number until `Adopt`.
    Incoming(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// The peer opened the stream; its header is being read.
    Opening,
    /// Connecting the socket; the stream's data waits.
    Connecting,
    /// Binding the listener of a `-R` stream.
    Binding,
    /// We opened the stream for `target`; the answer is being read, then the stream
    /// goes on as `then`.
    AwaitingReply {
        target: String,
        then: Box<Phase>,
    },
    Open,
    /// We refused: the answer is on its way, and the peer's data is thrown away.
    Refused,
    /// The client's `-R` stream, once the server listens: its connections go to
    /// `host:port` here.
    Forwarding {
        host: String,
        port: u16,
    },
    /// The server's `-R` stream: the socket is the listener.
    Listening,
    /// The client's `-A` stream, and the server's side of it: the client's agent is
    /// offered while it lasts.
    AgentOffered,
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
    /// The server's side (it takes `Connect`, `Listen` and `OfferAgent`), or the
    /// client's (`Accepted`, and `Agent` while it offers its agent).
    is_server: bool,
    /// The client's agent socket, once offered (`-A`).
    agent: Option<PathBuf>,
    actions: VecDeque<SocketAction>,
    notices: VecDeque<String>,
}

impl Pump {
    /// The server's side: it connects and listens where the client's streams ask.
    pub fn server() -> Pump {
        Pump {
            is_server: true,
            ..Pump::default()
        }
    }

    /// The client's side: it opens streams for `-L` connections and `-R` forwards.
    pub fn client() -> Pump {
        Pump::default()
    }

    /// Opens a stream for a socket the loop accepted (`-L`), to be connected to
    /// `host:port` by the far end; `None` when the link has as many streams as it may
    /// (the loop closes the socket).
    pub fn connect(&mut self, streams: &mut Streams, host: &str, port: u16) -> Option<StreamId> {
        let open = StreamOpen::Connect {
            host: host.to_owned(),
            port,
        };
        let target = format!("{host}:{port}");
        let stream = self.open_stream(streams, open, target, Phase::Open);
        self.pump(streams);
        stream
    }

    /// Asks the server to listen on `bind:port` (`-R`) and to send each connection back
    /// here, to be connected to `host:host_port`.
    pub fn listen(
        &mut self,
        streams: &mut Streams,
        (bind, port): (IpAddr, u16),
        host: &str,
        host_port: u16,
    ) -> Option<StreamId> {
        let open = StreamOpen::Listen { bind, port };
        let target = format!("port {port} at the server");
        let forwarding = Phase::Forwarding {
            host: host.to_owned(),
            port: host_port,
        };
        let stream = self.open_stream(streams, open, target, forwarding);
        self.pump(streams);
        stream
    }

    /// Ends the forward or connection on `stream` from this side: the peer sees the
    /// stream reset (a `-R` forward's listener at the server closes), and its socket
    /// here, if any, closes.
    pub fn stop(&mut self, streams: &mut Streams, stream: StreamId) {
        if self.pipes.remove(&stream).is_some() {
            streams.reset(stream);
            self.actions.push_back(SocketAction::Abort { stream });
        }
    }

    /// Offers the agent at `path` (`-A`): the daemon's agent socket reaches it while
    /// this client is the one active last among those that offer theirs.
    pub fn offer_agent(&mut self, streams: &mut Streams, path: PathBuf) -> Option<StreamId> {
        self.agent = Some(path);
        let target = "the agent".to_owned();
        let stream = self.open_stream(streams, StreamOpen::OfferAgent, target, Phase::AgentOffered);
        self.pump(streams);
        stream
    }

    /// Whether the client offers its agent (the server's side).
    pub fn offers_agent(&self) -> bool {
        self.is_server
            && self
                .pipes
                .values()
                .any(|pipe| pipe.phase == Phase::AgentOffered)
    }

    /// A connection to the daemon's agent socket, for this client's agent (the server's
    /// side): its stream, for the loop to `Adopt` the connection into.
    pub fn open_agent(&mut self, streams: &mut Streams) -> Option<StreamId> {
        let target = "the agent".to_owned();
        let stream = self.open_stream(streams, StreamOpen::Agent, target, Phase::Open);
        self.pump(streams);
        stream
    }

    fn open_stream(
        &mut self,
        streams: &mut Streams,
        open: StreamOpen,
        target: String,
        then: Phase,
    ) -> Option<StreamId> {
        let stream = streams.open()?;
        let phase = Phase::AwaitingReply {
            target,
            then: Box::new(then),
        };
        self.pipes
            .insert(stream, Pipe::new(phase, header::encode(&open)));
        Some(stream)
    }

    pub fn poll_action(&mut self) -> Option<SocketAction> {
        self.actions.pop_front()
    }

    /// A line for the user (a forward the far end refused).
    pub fn poll_notice(&mut self) -> Option<String> {
        self.notices.pop_front()
    }

    /// Forwarded connections and forwards now.
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
                StreamEvent::Opened(stream) => {
                    self.pipes
                        .insert(stream, Pipe::new(Phase::Opening, Vec::new()));
                }
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
            if let SocketEvent::Incoming(incoming) = event {
                self.actions.push_back(SocketAction::Adopt {
                    stream: None,
                    incoming,
                });
            }
            return;
        };
        match event {
            SocketEvent::Connected if matches!(pipe.phase, Phase::Connecting | Phase::Binding) => {
                pipe.phase = match pipe.phase {
                    Phase::Binding => Phase::Listening,
                    _ => Phase::Open,
                };
                pipe.outbound = header::encode(&OpenReply::Connected);
            }
            SocketEvent::Refused(why)
                if matches!(pipe.phase, Phase::Connecting | Phase::Binding) =>
            {
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
            SocketEvent::Incoming(incoming) => {
                let open = StreamOpen::Accepted { listener: stream.0 };
                let target = format!("the forward of server port {stream}");
                let accepted = match pipe.phase {
                    Phase::Listening => self.open_stream(streams, open, target, Phase::Open),
                    _ => None,
                };
                self.actions.push_back(SocketAction::Adopt {
                    stream: accepted,
                    incoming,
                });
            }
        }
        self.pump(streams);
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
        let has_socket = match &pipe.phase {
            Phase::Open => true,
            Phase::AwaitingReply { then, .. } => **then == Phase::Open,
            _ => false,
        };
        if full != pipe.paused && has_socket {
            pipe.paused = full;
            self.actions.push_back(match full {
                true => SocketAction::Pause { stream },
                false => SocketAction::Resume { stream },
            });
        }
        let waiting = matches!(pipe.phase, Phase::Connecting | Phase::Binding);
        if pipe.socket_eof && !full && !pipe.stream_finished && !waiting {
            streams.finish(stream);
            pipe.stream_finished = true;
        }
    }

    /// Stream bytes to the socket, as far as its queue has room; `false` when the pipe
    /// is to be dropped without a word (the socket, if any, is already told).
    fn stream_to_socket(
        &mut self,
        streams: &mut Streams,
        stream: StreamId,
        pipe: &mut Pipe,
    ) -> bool {
        match &pipe.phase {
            Phase::Connecting | Phase::Binding => true,
            Phase::Forwarding { .. } | Phase::Listening | Phase::AgentOffered => {
                self.watch_forward(streams, stream)
            }
            Phase::Opening => self.read_open(streams, stream, pipe),
            Phase::AwaitingReply { .. } => self.read_reply(streams, stream, pipe),
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

    /// A stream that carries no bytes of its own (a `-R` forward) ends the forward when
    /// it ends.
    fn watch_forward(&mut self, streams: &mut Streams, stream: StreamId) -> bool {
        let mut discarded = Vec::new();
        let (_, ended) = streams.read(stream, &mut discarded, usize::MAX);
        if ended {
            streams.reset(stream);
            self.actions.push_back(SocketAction::Abort { stream });
        }
        !ended
    }

    /// The peer's header: what the stream is for.
    fn read_open(&mut self, streams: &mut Streams, stream: StreamId, pipe: &mut Pipe) -> bool {
        let room = (4 + MAX_HEADER).saturating_sub(pipe.inbound.len());
        streams.read(stream, &mut pipe.inbound, room);
        let (open, used) = match header::parse::<StreamOpen>(&pipe.inbound) {
            Parsed::Partial if pipe.inbound.len() < 4 + MAX_HEADER => return true,
            Parsed::Done(open, used) => (open, used),
            Parsed::Partial | Parsed::Invalid => {
                streams.reset(stream);
                return false;
            }
        };
        pipe.inbound.drain(..used);
        let action = match open {
            StreamOpen::Connect { host, port } if self.is_server => {
                SocketAction::Connect { stream, host, port }
            }
            StreamOpen::Listen { bind, port } if self.is_server => {
                pipe.phase = Phase::Binding;
                self.actions
                    .push_back(SocketAction::Listen { stream, bind, port });
                return true;
            }
            StreamOpen::OfferAgent if self.is_server => {
                pipe.phase = Phase::AgentOffered;
                pipe.outbound = header::encode(&OpenReply::Connected);
                return true;
            }
            StreamOpen::Agent if !self.is_server => match self.agent.clone() {
                Some(path) => SocketAction::ConnectUnix { stream, path },
                None => {
                    streams.reset(stream);
                    return false;
                }
            },
            StreamOpen::Accepted { listener } if !self.is_server => {
                match self.pipes.get(&StreamId(listener)).map(|pipe| &pipe.phase) {
                    Some(Phase::Forwarding { host, port }) => SocketAction::Connect {
                        stream,
                        host: host.clone(),
                        port: *port,
                    },
                    _ => {
                        streams.reset(stream);
                        return false;
                    }
                }
            }
            // Not what this side serves: a peer that breaks the protocol.
            _ => {
                streams.reset(stream);
                return false;
            }
        };
        pipe.phase = Phase::Connecting;
        self.actions.push_back(action);
        true
    }

    /// The answer to a stream we opened.
    fn read_reply(&mut self, streams: &mut Streams, stream: StreamId, pipe: &mut Pipe) -> bool {
        let room = (4 + MAX_HEADER).saturating_sub(pipe.inbound.len());
        streams.read(stream, &mut pipe.inbound, room);
        let Phase::AwaitingReply { target, then } = &pipe.phase else {
            return true;
        };
        match header::parse::<OpenReply>(&pipe.inbound) {
            Parsed::Partial if pipe.inbound.len() < 4 + MAX_HEADER => true,
            Parsed::Done(OpenReply::Connected, used) => {
                pipe.inbound.drain(..used);
                pipe.phase = (**then).clone();
                if pipe.phase == Phase::Open {
                    self.deliver(streams, stream, pipe);
                }
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

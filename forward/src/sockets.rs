//! The event loops' side of forwarding: TCP connections on tokio tasks, each a reader
//! that stops while paused and a writer that reports what it wrote, and the events
//! they send back on one channel. `K` names a connection: a stream of one session link.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::pump::{SocketAction, SocketEvent};

/// Bytes read from a socket at a time.
const READ_CHUNK: usize = 64 << 10;
/// Events waiting for the loop; a reader waits when they are full.
const EVENT_QUEUE: usize = 256;
/// How long a connection may take before it counts as refused.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

enum Write {
    Bytes(Vec<u8>),
    Shutdown,
}

/// One connection's handles: its write queue, its reading gate, and the task that runs
/// it (connecting first, for `Connect`).
struct Connection {
    writes: mpsc::UnboundedSender<Write>,
    reading: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// The sockets of every forward of a loop, keyed by `K`.
pub struct Sockets<K> {
    connections: HashMap<K, Connection>,
    /// `-R` listeners: each a task that accepts until aborted.
    listeners: HashMap<K, JoinHandle<()>>,
    events: mpsc::Sender<(K, SocketEvent)>,
    /// Connections the listeners accepted, numbered, until `Adopt` gives each a stream.
    incoming: mpsc::UnboundedReceiver<(u64, TcpStream)>,
    incoming_sender: mpsc::UnboundedSender<(u64, TcpStream)>,
    pending: HashMap<u64, TcpStream>,
    next_incoming: Arc<AtomicU64>,
}

impl<K: Copy + Eq + Hash + Send + 'static> Sockets<K> {
    /// The sockets, and where their events arrive.
    pub fn new() -> (Sockets<K>, mpsc::Receiver<(K, SocketEvent)>) {
        let (events, receiver) = mpsc::channel(EVENT_QUEUE);
        let (incoming_sender, incoming) = mpsc::unbounded_channel();
        let sockets = Sockets {
            connections: HashMap::new(),
            listeners: HashMap::new(),
            events,
            incoming,
            incoming_sender,
            pending: HashMap::new(),
            next_incoming: Arc::new(AtomicU64::new(0)),
        };
        (sockets, receiver)
    }

    /// Carries a connection the loop accepted.
    pub fn adopt(&mut self, key: K, socket: TcpStream) {
        self.spawn(key, Ok(socket));
    }

    fn spawn(&mut self, key: K, target: Result<TcpStream, (String, u16)>) {
        let (writes, writes_rx) = mpsc::unbounded_channel();
        let (reading, reading_rx) = watch::channel(true);
        let events = self.events.clone();
        let task = tokio::spawn(async move {
            let socket = match target {
                Ok(socket) => socket,
                Err((host, port)) => match connect(&host, port).await {
                    Ok(socket) => {
                        let _ = events.send((key, SocketEvent::Connected)).await;
                        socket
                    }
                    Err(why) => {
                        let _ = events.send((key, SocketEvent::Refused(why))).await;
                        return;
                    }
                },
            };
            run(key, socket, events, writes_rx, reading_rx).await;
        });
        let connection = Connection {
            writes,
            reading,
            task,
        };
        if let Some(old) = self.connections.insert(key, connection) {
            old.task.abort();
        }
    }

    /// Does what the pump asked for the connection `key`.
    pub fn carry_out(&mut self, key: K, action: SocketAction) {
        match action {
            SocketAction::Connect { host, port, .. } => self.spawn(key, Err((host, port))),
            SocketAction::Listen { bind, port, .. } => self.listen(key, bind, port),
            SocketAction::Adopt { stream, incoming } => {
                while let Ok((number, socket)) = self.incoming.try_recv() {
                    self.pending.insert(number, socket);
                }
                let socket = self.pending.remove(&incoming);
                if let (Some(_), Some(socket)) = (stream, socket) {
                    self.adopt(key, socket);
                }
            }
            SocketAction::Write { bytes, .. } => self.send(key, Write::Bytes(bytes)),
            SocketAction::Shutdown { .. } => self.send(key, Write::Shutdown),
            SocketAction::Pause { .. } => self.gate(key, false),
            SocketAction::Resume { .. } => self.gate(key, true),
            // The task finishes the queue (and its shutdown) on its own: dropping the
            // queue's sender ends its writer once the queue is empty.
            SocketAction::Close { .. } => {
                self.connections.remove(&key);
                if let Some(listener) = self.listeners.remove(&key) {
                    listener.abort();
                }
            }
            SocketAction::Abort { .. } => self.abort(key),
        }
    }

    fn abort(&mut self, key: K) {
        if let Some(connection) = self.connections.remove(&key) {
            connection.task.abort();
        }
        if let Some(listener) = self.listeners.remove(&key) {
            listener.abort();
        }
    }

    /// A `-R` listener: `Connected` once it listens (or `Refused`), then `Incoming` for
    /// each connection, until aborted.
    fn listen(&mut self, key: K, bind: IpAddr, port: u16) {
        let events = self.events.clone();
        let incoming = self.incoming_sender.clone();
        let numbers = Arc::clone(&self.next_incoming);
        let task = tokio::spawn(async move {
            let listener = match TcpListener::bind((bind, port)).await {
                Ok(listener) => listener,
                Err(error) => {
                    let why = format!("cannot listen on {bind} port {port}: {error}");
                    let _ = events.send((key, SocketEvent::Refused(why))).await;
                    return;
                }
            };
            if events.send((key, SocketEvent::Connected)).await.is_err() {
                return;
            }
            loop {
                match listener.accept().await {
                    Ok((socket, _)) => {
                        let number = numbers.fetch_add(1, Ordering::Relaxed);
                        if incoming.send((number, socket)).is_err()
                            || events
                                .send((key, SocketEvent::Incoming(number)))
                                .await
                                .is_err()
                        {
                            return;
                        }
                    }
                    // Out of descriptors, or a connection reset before it was taken:
                    // the listener itself still works.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        if let Some(old) = self.listeners.insert(key, task) {
            old.abort();
        }
    }

    /// Drops every connection whose key `matches` (the link it served went).
    pub fn abort_where(&mut self, matches: impl Fn(&K) -> bool) {
        let keys: Vec<K> = self
            .connections
            .keys()
            .chain(self.listeners.keys())
            .copied()
            .filter(|key| matches(key))
            .collect();
        for key in keys {
            self.abort(key);
        }
    }

    fn send(&mut self, key: K, write: Write) {
        if let Some(connection) = self.connections.get(&key) {
            let _ = connection.writes.send(write);
        }
    }

    fn gate(&mut self, key: K, open: bool) {
        if let Some(connection) = self.connections.get(&key) {
            let _ = connection.reading.send(open);
        }
    }
}

async fn connect(host: &str, port: u16) -> Result<TcpStream, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port))).await {
        Ok(Ok(socket)) => Ok(socket),
        Ok(Err(error)) => Err(format!("cannot connect to {host}:{port}: {error}")),
        Err(_) => Err(format!("cannot connect to {host}:{port}: timed out")),
    }
}

/// Runs a connection: a reader that stops while the gate is shut, and a writer that
/// reports each write, until both ends are done (or the task is aborted).
async fn run<K: Copy + Send + 'static>(
    key: K,
    socket: TcpStream,
    events: mpsc::Sender<(K, SocketEvent)>,
    mut writes: mpsc::UnboundedReceiver<Write>,
    mut reading: watch::Receiver<bool>,
) {
    let _ = socket.set_nodelay(true);
    let (mut reader, mut writer) = socket.into_split();
    let read_events = events.clone();
    let read = async move {
        let mut buffer = vec![0u8; READ_CHUNK];
        loop {
            if reading.wait_for(|open| *open).await.is_err() {
                return;
            }
            let event = match reader.read(&mut buffer).await {
                Ok(0) => SocketEvent::Eof,
                Ok(len) => SocketEvent::Data(buffer[..len].to_vec()),
                Err(_) => SocketEvent::Closed,
            };
            let last = !matches!(event, SocketEvent::Data(_));
            if read_events.send((key, event)).await.is_err() || last {
                return;
            }
        }
    };
    let write = async move {
        while let Some(write) = writes.recv().await {
            let result = match write {
                Write::Bytes(bytes) => writer.write_all(&bytes).await.map(|()| bytes.len()),
                Write::Shutdown => writer.shutdown().await.map(|()| 0),
            };
            let event = match result {
                Ok(0) => continue,
                Ok(len) => SocketEvent::Drained(len),
                Err(_) => SocketEvent::Closed,
            };
            let failed = event == SocketEvent::Closed;
            if events.send((key, event)).await.is_err() || failed {
                return;
            }
        }
    };
    tokio::join!(read, write);
}

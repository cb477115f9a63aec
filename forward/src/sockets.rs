//! The event loops' side of forwarding: TCP connections on tokio tasks, each a reader
//! that stops while paused and a writer that reports what it wrote, and the events
//! they send back on one channel. `K` names a connection: a stream of one session link.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::pump::{SocketAction, SocketEvent};

/// Bytes read from a socket at a time.
const READ_CHUNK: usize = 64 << 10;
/// Events waiting for the loop; a reader waits when they are full.
const EVENT_QUEUE: usize = 256;
/// How long a connection may take before it counts as refused.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A forwarded connection's socket: TCP (`-L`, `-R`) or Unix (the agent's).
pub enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// Where a listener listens: a TCP address to bind (`-R`), or a Unix socket bound
/// already (the agent's).
enum ListenOn {
    Tcp(IpAddr, u16),
    Unix(UnixListener),
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    async fn accept(&self) -> std::io::Result<Socket> {
        match self {
            Listener::Tcp(listener) => listener.accept().await.map(|(s, _)| Socket::Tcp(s)),
            Listener::Unix(listener) => listener.accept().await.map(|(s, _)| Socket::Unix(s)),
        }
    }
}

/// What a connection's task starts from.
enum Target {
    Socket(Socket),
    Tcp(String, u16),
    Unix(PathBuf),
}

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
    incoming: mpsc::UnboundedReceiver<(u64, Socket)>,
    incoming_sender: mpsc::UnboundedSender<(u64, Socket)>,
    pending: HashMap<u64, Socket>,
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
        self.spawn(key, Target::Socket(Socket::Tcp(socket)));
    }

    fn spawn(&mut self, key: K, target: Target) {
        let (writes, writes_rx) = mpsc::unbounded_channel();
        let (reading, reading_rx) = watch::channel(true);
        let events = self.events.clone();
        let adopted = matches!(target, Target::Socket(_));
        let task = tokio::spawn(async move {
            let connected = match target {
                Target::Socket(socket) => Ok(socket),
                Target::Tcp(host, port) => connect(&host, port).await.map(Socket::Tcp),
                Target::Unix(path) => UnixStream::connect(&path)
                    .await
                    .map(Socket::Unix)
                    .map_err(|error| format!("cannot connect to {}: {error}", path.display())),
            };
            let event = match &connected {
                Ok(_) => SocketEvent::Connected,
                Err(why) => SocketEvent::Refused(why.clone()),
            };
            // An adopted socket was connected all along; the others say how it went.
            if !adopted && events.send((key, event)).await.is_err() {
                return;
            }
            match connected {
                Ok(Socket::Tcp(socket)) => {
                    let _ = socket.set_nodelay(true);
                    run(key, socket, events, writes_rx, reading_rx).await
                }
                Ok(Socket::Unix(socket)) => run(key, socket, events, writes_rx, reading_rx).await,
                Err(_) => {}
            }
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
            SocketAction::Connect { host, port, .. } => self.spawn(key, Target::Tcp(host, port)),
            SocketAction::ConnectUnix { path, .. } => self.spawn(key, Target::Unix(path)),
            SocketAction::Listen { bind, port, .. } => self.listen(key, bind, port),
            SocketAction::Adopt { stream, incoming } => {
                while let Ok((number, socket)) = self.incoming.try_recv() {
                    self.pending.insert(number, socket);
                }
                let socket = self.pending.remove(&incoming);
                if let (Some(_), Some(socket)) = (stream, socket) {
                    self.spawn(key, Target::Socket(socket));
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
        self.spawn_listener(key, ListenOn::Tcp(bind, port));
    }

    /// A listener on a Unix socket the caller bound (the agent's): `Incoming` for each
    /// connection, until aborted.
    pub fn listen_unix(&mut self, key: K, listener: UnixListener) {
        self.spawn_listener(key, ListenOn::Unix(listener));
    }

    fn spawn_listener(&mut self, key: K, on: ListenOn) {
        let events = self.events.clone();
        let incoming = self.incoming_sender.clone();
        let numbers = Arc::clone(&self.next_incoming);
        let task = tokio::spawn(async move {
            let listener = match on {
                ListenOn::Unix(listener) => Listener::Unix(listener),
                // A `-R` listener says whether it could bind, as a connection says
                // whether it could connect.
                ListenOn::Tcp(bind, port) => {
                    let (listener, event) = match TcpListener::bind((bind, port)).await {
                        Ok(listener) => (Some(Listener::Tcp(listener)), SocketEvent::Connected),
                        Err(error) => {
                            let why = format!("cannot listen on {bind} port {port}: {error}");
                            (None, SocketEvent::Refused(why))
                        }
                    };
                    let told = events.send((key, event)).await.is_ok();
                    match listener {
                        Some(listener) if told => listener,
                        _ => return,
                    }
                }
            };
            while announce(key, listener.accept().await, &numbers, &incoming, &events).await {}
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

/// Numbers an accepted connection and tells the loop; `false` once the loop is gone.
async fn announce<K: Copy>(
    key: K,
    accepted: std::io::Result<Socket>,
    numbers: &AtomicU64,
    incoming: &mpsc::UnboundedSender<(u64, Socket)>,
    events: &mpsc::Sender<(K, SocketEvent)>,
) -> bool {
    match accepted {
        Ok(socket) => {
            let number = numbers.fetch_add(1, Ordering::Relaxed);
            incoming.send((number, socket)).is_ok()
                && events
                    .send((key, SocketEvent::Incoming(number)))
                    .await
                    .is_ok()
        }
        // Out of descriptors, or a connection reset before it was taken: the listener
        // itself still works.
        Err(_) => {
            tokio::time::sleep(Duration::from_millis(50)).await;
            true
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
async fn run<K: Copy + Send + 'static, S: AsyncRead + AsyncWrite + Send + 'static>(
    key: K,
    socket: S,
    events: mpsc::Sender<(K, SocketEvent)>,
    mut writes: mpsc::UnboundedReceiver<Write>,
    mut reading: watch::Receiver<bool>,
) {
    let (mut reader, mut writer) = tokio::io::split(socket);
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

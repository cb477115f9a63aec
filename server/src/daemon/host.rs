//! The daemon's side of the mux's effects: real PTYs for panes, real UDP sockets for
//! the mux's listeners, keys from the OS's random source. The mux asks for these through
//! [`Host`] or leaves them in its action queue; this is the one place that does them.

use crate::mux::{Action, ClientId, Host, ListenerId, AGENT_LISTENER};
use crate::pane::{PaneSpawn, SpawnedPane};
use crate::pane_id::PaneId;
use crate::pty::{PaneEvent, Pty, Run};
use moshmux_forward::sockets::Sockets;
use moshmux_forward::SocketEvent;
use moshmux_proto::{SessionKey, StreamId, Transmit};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Largest datagram read; longer ones are truncated (and then fail authentication).
const MAX_DATAGRAM: usize = 65_535;

/// Pause after a failed receive.
const RECEIVE_ERROR_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

/// A datagram that arrived at one of the daemon's UDP ports.
#[derive(Debug)]
pub struct Datagram {
    pub listener: ListenerId,
    pub from: SocketAddr,
    pub contents: Vec<u8>,
}

/// One listener's UDP socket and the task that reads it.
struct ListenerSocket {
    socket: Arc<UdpSocket>,
    reader: JoinHandle<()>,
}

impl Drop for ListenerSocket {
    fn drop(&mut self) {
        // The reader holds the other reference to the socket; stopping it closes it.
        self.reader.abort();
    }
}

pub struct DaemonHost {
    ptys: HashMap<PaneId, Pty>,
    /// The number the next program started gets (`Run`), to tell a respawned pane's
    /// events from its old program's.
    next_run: u64,
    listeners: HashMap<ListenerId, ListenerSocket>,
    pane_events: mpsc::Sender<PaneEvent>,
    datagrams: mpsc::Sender<Datagram>,
    /// The sockets of clients' forwarded connections.
    sockets: Sockets<(ClientId, StreamId)>,
}

/// What happened to the socket of a client's forwarded connection.
pub type SocketReport = ((ClientId, StreamId), SocketEvent);

impl DaemonHost {
    /// The host, and where its forwarded sockets report.
    pub fn new(
        pane_events: mpsc::Sender<PaneEvent>,
        datagrams: mpsc::Sender<Datagram>,
    ) -> (DaemonHost, mpsc::Receiver<SocketReport>) {
        let (sockets, reports) = Sockets::new();
        let host = DaemonHost {
            ptys: HashMap::new(),
            next_run: 0,
            listeners: HashMap::new(),
            pane_events,
            datagrams,
            sockets,
        };
        (host, reports)
    }

    pub fn carry_out(&mut self, action: Action) {
        match action {
            Action::WritePane { pane, bytes } => {
                if let Some(pty) = self.ptys.get_mut(&pane) {
                    pty.write_input(&bytes);
                }
            }
            Action::ResizePane { pane, size } => {
                if let Some(pty) = self.ptys.get_mut(&pane) {
                    pty.resize(size);
                }
            }
            // Dropping the PTY hangs its programs up and ends its threads.
            Action::ClosePane { pane } => drop(self.ptys.remove(&pane)),
            Action::CloseListener { listener } => drop(self.listeners.remove(&listener)),
            Action::Socket {
                client,
                stream,
                action,
            } => self.sockets.carry_out((client, stream), action),
            Action::AbortSockets { client } => {
                self.sockets.abort_where(|&(owner, _)| owner == client)
            }
            Action::ReturnFreedMemory => {
                // SAFETY: glibc's malloc_trim only walks the allocator's own free lists.
                unsafe { libc::malloc_trim(0) };
            }
            Action::ServeAgent { path } => match bind_agent_socket(&path) {
                Ok(listener) => {
                    let key = (AGENT_LISTENER, StreamId(0));
                    self.sockets.listen_unix(key, listener);
                }
                Err(error) => {
                    tracing::warn!(%error, path = %path.display(), "cannot serve the agent socket")
                }
            },
        }
    }

    /// Whether an event from `run` of `pane` is from the program the pane runs now, and
    /// not from one that respawn-pane replaced (whose output or exit may still have
    /// been queued when it was replaced).
    pub fn is_current(&self, pane: PaneId, run: Run) -> bool {
        self.ptys.get(&pane).is_none_or(|pty| pty.run() == run)
    }

    /// Sends a datagram from a listener. A full socket buffer drops it, as the network
    /// could: SSP retransmits what matters.
    pub fn transmit(&self, listener: ListenerId, transmit: &Transmit) {
        let Some(open) = self.listeners.get(&listener) else {
            return;
        };
        if let Err(error) = open
            .socket
            .try_send_to(&transmit.contents, transmit.destination)
        {
            tracing::debug!(listener = listener.0, %error, "sending a datagram failed");
        }
    }
}

impl Host for DaemonHost {
    fn spawn_pane(&mut self, pane: PaneId, spec: &PaneSpawn) -> anyhow::Result<SpawnedPane> {
        crate::fd_limit::check_room_for_pane()?;
        let run = Run(self.next_run);
        self.next_run += 1;
        let (pty, spawned) = Pty::spawn(pane, run, spec, self.pane_events.clone())?;
        // A respawned pane's old PTY goes here: dropping it hangs its program up.
        self.ptys.insert(pane, pty);
        Ok(spawned)
    }

    fn open_listener(
        &mut self,
        listener: ListenerId,
        bind: IpAddr,
        ports: (u16, u16),
    ) -> Result<u16, String> {
        let socket = bind_port(bind, ports)?;
        let start = || -> std::io::Result<(u16, Arc<UdpSocket>)> {
            socket.set_nonblocking(true)?;
            let port = socket.local_addr()?.port();
            Ok((port, Arc::new(UdpSocket::from_std(socket)?)))
        };
        let (port, socket) = start().map_err(|e| format!("cannot start the UDP port: {e}"))?;
        let reader = tokio::spawn(read_datagrams(
            listener,
            Arc::clone(&socket),
            self.datagrams.clone(),
        ));
        self.listeners
            .insert(listener, ListenerSocket { socket, reader });
        Ok(port)
    }

    fn session_key(&mut self) -> Result<SessionKey, String> {
        SessionKey::generate().map_err(|e| format!("cannot make a session key: {e}"))
    }

    fn input_room(&self, pane: PaneId) -> usize {
        self.ptys.get(&pane).map_or(0, Pty::input_room)
    }

    fn foreground_command(&self, pane: PaneId) -> Option<String> {
        self.ptys.get(&pane)?.foreground_command()
    }

    fn current_path(&self, pane: PaneId) -> Option<std::path::PathBuf> {
        self.ptys.get(&pane)?.foreground_cwd()
    }
}

/// Binds the agent socket (0600, in the private runtime directory), replacing one an
/// earlier daemon left.
fn bind_agent_socket(path: &std::path::Path) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Forwards what arrives at one listener to the daemon's loop, until aborted.
async fn read_datagrams(
    listener: ListenerId,
    socket: Arc<UdpSocket>,
    datagrams: mpsc::Sender<Datagram>,
) {
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        match socket.recv_from(&mut buffer).await {
            Ok((len, from)) => {
                let datagram = Datagram {
                    listener,
                    from,
                    contents: buffer[..len].to_vec(),
                };
                if datagrams.send(datagram).await.is_err() {
                    return;
                }
            }
            // ICMP errors from an earlier send surface here on some systems; they say
            // nothing about what arrives next. A pause keeps an error that repeats from
            // spinning.
            Err(error) => {
                tracing::trace!(listener = listener.0, %error, "receiving a datagram");
                tokio::time::sleep(RECEIVE_ERROR_PAUSE).await;
            }
        }
    }
}

/// Binds the first free port in `ports` on `bind`. Only "in use" moves on to the next
/// port; any other failure (an address this host lacks, a privileged port) is the same
/// for every port and is reported at once. `::` is both families on Linux (dual stack);
/// on a host without IPv6 it falls back to `0.0.0.0`, every IPv4 address.
fn bind_port(bind: IpAddr, ports: (u16, u16)) -> Result<std::net::UdpSocket, String> {
    match bind_first_free(bind, ports) {
        Err(error) if bind == IpAddr::V6(Ipv6Addr::UNSPECIFIED) && !has_ipv6() => {
            tracing::info!(%error, "no IPv6 here: listening on IPv4 alone");
            bind_first_free(IpAddr::V4(Ipv4Addr::UNSPECIFIED), ports)
        }
        result => result,
    }
}

fn bind_first_free(bind: IpAddr, ports: (u16, u16)) -> Result<std::net::UdpSocket, String> {
    for port in ports.0..=ports.1 {
        match std::net::UdpSocket::bind(SocketAddr::new(bind, port)) {
            Ok(socket) => return Ok(socket),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(format!("cannot open UDP port {port} on {bind}: {e}")),
        }
    }
    Err(format!(
        "no free UDP port in {}:{} on {bind}",
        ports.0, ports.1
    ))
}

/// Whether an IPv6 socket can be had at all (a kernel booted with `ipv6.disable=1`, or a
/// container without it, cannot).
fn has_ipv6() -> bool {
    std::net::UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pane_id::Size;
    use std::time::Duration;

    fn spec(script: &str) -> PaneSpawn {
        PaneSpawn {
            command: ["/bin/sh", "-c", script].map(str::to_owned).to_vec(),
            cwd: None,
            env: Vec::new(),
            size: Size { rows: 24, cols: 80 },
        }
    }

    /// A respawned pane's old program may have its exit (and output) queued already when
    /// the new one starts: those events name the old run, which is no longer current, so
    /// the loop never lets them close or draw on the new program's pane.
    #[tokio::test]
    async fn events_queued_by_a_replaced_program_are_not_current() {
        let (events_tx, mut events) = mpsc::channel(16);
        let (datagrams, _) = mpsc::channel(1);
        let (mut host, _reports) = DaemonHost::new(events_tx, datagrams);
        let pane = PaneId(7);
        host.spawn_pane(pane, &spec("echo old"))
            .expect("the old program");
        let mut queued = Vec::new();
        while !matches!(queued.last(), Some(PaneEvent::Exited(..))) {
            let event = tokio::time::timeout(Duration::from_secs(20), events.recv()).await;
            queued.push(event.expect("the old program's events").expect("an event"));
        }
        let old = match queued.last() {
            Some(PaneEvent::Exited(id, run, _)) => (*id, *run),
            _ => unreachable!("the loop above ends at the exit"),
        };
        assert_eq!(old.0, pane);
        assert!(host.is_current(pane, old.1));

        host.spawn_pane(pane, &spec("exec cat"))
            .expect("the new program");
        assert!(!host.is_current(pane, old.1));
        for event in &queued {
            let (PaneEvent::Output(id, run, _) | PaneEvent::Exited(id, run, _)) = event;
            assert!(!host.is_current(*id, *run), "{event:?}");
        }
        let new = host
            .ptys
            .get(&pane)
            .map(Pty::run)
            .expect("the new program's PTY");
        assert!(host.is_current(pane, new));
        // A pane the host has no program for: the mux decides (it has forgotten it).
        assert!(host.is_current(PaneId(8), old.1));
    }
}

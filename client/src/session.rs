//! The client's event loop: the only place with the terminal (raw mode, the stdin reader,
//! SIGWINCH and the other signals), the UDP socket and the clock. It moves bytes and time
//! into the [`ClientCore`] and does what the core says until the core is done; every
//! decision is the core's.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use moshmux_forward::sockets::Sockets;
use moshmux_proto::alarm::Alarm;
use moshmux_proto::{SessionKey, StreamId};
use tokio::net::UdpSocket;
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::cli::ForwardArgs;
use crate::config::ClientConfig;
use crate::core::{ClientAction, ClientCore};
use crate::local_listeners::LocalListeners;
use crate::terminal::{self, RawMode};

pub use crate::core::Exit;

/// Largest datagram read; longer ones are truncated (and fail authentication).
const MAX_DATAGRAM: usize = 65_535;

pub async fn run(
    server: SocketAddr,
    key: SessionKey,
    config: ClientConfig,
    forwards: ForwardArgs,
) -> Result<Exit, String> {
    let ForwardArgs {
        local_forwards: forwards,
        remote_forwards,
        forward_agent,
    } = forwards;
    let agent = match forward_agent {
        true => Some(std::env::var_os("SSH_AUTH_SOCK").ok_or(
            "moshmux: -A: SSH_AUTH_SOCK is not set here, so there is no agent to forward; \
             start one (eval \"$(ssh-agent)\"; ssh-add) or leave out -A",
        )?),
        false => None,
    };
    let fail = |what: &str, error: io::Error| format!("moshmux: {what}: {error}");
    // Before the terminal is taken, so a port in use is one line the user can read.
    let (mut listeners, mut accepted) = LocalListeners::new();
    for forward in &forwards {
        listeners
            .add(forward.clone())
            .await
            .map_err(|error| format!("moshmux: {error}"))?;
    }
    let (mut sockets, mut socket_events) = Sockets::<StreamId>::new();
    // Registered first: from here on these signals no longer kill us before we restore.
    let mut signals = Signals::new().map_err(|e| fail("cannot handle signals", e))?;
    let local = SocketAddr::new(local_ip(server.ip()), 0);
    let mut socket = UdpSocket::bind(local)
        .await
        .map_err(|e| fail("cannot open a UDP socket", e))?;
    // Connected, so that an ICMP refusal of the server's port comes back to it as an error.
    let probe = UdpSocket::bind(local)
        .await
        .map_err(|e| fail("cannot open a UDP socket", e))?;
    probe
        .connect(server)
        .await
        .map_err(|e| fail("cannot reach the server", e))?;

    let raw = RawMode::enter()?;
    let mut input =
        terminal::spawn_input_reader().map_err(|e| fail("cannot read the terminal", e))?;
    let size = terminal::size().map_err(|e| fail("cannot read the terminal size", e))?;
    let clock_micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
        });
    let mut core = ClientCore::new(&key, server, config, size, Instant::now(), clock_micros);
    core.local_forwards_listening(forwards);
    for spec in &remote_forwards {
        core.open_remote_forward(Instant::now(), spec);
    }
    if let Some(agent) = agent {
        core.offer_agent(Instant::now(), agent.into());
    }

    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut probe_buf = [0u8; 1];
    let mut alarm = Alarm::new();
    let exit = 'run: loop {
        let now = Instant::now();
        while let Some(transmit) = core.poll_transmit(now) {
            // A failed send is not fatal: the network may be down for a while, and the
            // protocol retransmits.
            let _ = socket
                .send_to(&transmit.contents, transmit.destination)
                .await;
        }
        while let Some(bytes) = core.poll_output() {
            // A terminal that cannot be written to has gone; input ending tells us.
            let _ = terminal::write_all(&bytes);
        }
        while let Some(action) = core.poll_action() {
            match action {
                ClientAction::Exit(exit) => break 'run exit,
                // A failed rebind keeps the old socket, which may still work.
                ClientAction::Rebind => match UdpSocket::bind(local).await {
                    Ok(fresh) => socket = fresh,
                    Err(_) => continue,
                },
                // Only a refusal counts, which the receive below hears.
                ClientAction::Probe => {
                    let _ = probe.send(&[]).await;
                }
                ClientAction::Listen(forward) => {
                    let listening = listeners.add(forward.clone()).await;
                    core.handle_listening(Instant::now(), forward, listening);
                }
                ClientAction::StopListening { bind, port } => listeners.remove(bind, port),
                ClientAction::Suspend => {
                    while let Some(bytes) = core.poll_output() {
                        let _ = terminal::write_all(&bytes);
                    }
                    raw.suspend();
                    // SAFETY: raise(3) only sends a signal to this process; SIGTSTP's
                    // default action stops it until the shell's `fg` continues it.
                    unsafe { libc::raise(libc::SIGTSTP) };
                    raw.resume()?;
                    if let Ok((cols, rows)) = terminal::size() {
                        core.handle_resumed(Instant::now(), cols, rows);
                    }
                }
            }
        }
        while let Some((stream, action)) = core.poll_socket_action() {
            sockets.carry_out(stream, action);
        }
        let deadline = core.poll_timeout();
        tokio::select! {
            bytes = input.recv() => match bytes {
                Some(bytes) => core.handle_input(Instant::now(), &bytes),
                None => core.close(Exit::InputClosed),
            },
            received = socket.recv_from(&mut buf) => match received {
                Ok((len, from)) => core.handle_datagram(Instant::now(), from, &buf[..len]),
                // An ICMP answer to an earlier datagram: the socket keeps working.
                Err(error) if transient(&error) => {}
                Err(error) => core.close(Exit::Failed(fail("the connection failed: socket", error))),
            },
            refused = probe.recv(&mut probe_buf) => {
                if refused.is_err_and(|error| error.kind() == io::ErrorKind::ConnectionRefused) {
                    core.handle_port_refused(Instant::now());
                }
            }
            () = alarm.wait_until(deadline) => core.handle_timeout(Instant::now()),
            Some((forward, connection)) = accepted.recv() => {
                let now = Instant::now();
                if let Some(stream) = core.open_forward(now, &forward.host, forward.host_port) {
                    sockets.adopt(stream, connection);
                }
            }
            Some((stream, event)) = socket_events.recv() => {
                core.handle_socket(Instant::now(), stream, event);
            }
            _ = signals.window_change.recv() => {
                if let Ok((cols, rows)) = terminal::size() {
                    core.handle_resize(Instant::now(), cols, rows);
                }
            }
            _ = signals.terminate.recv() => core.close(Exit::Signal(libc::SIGTERM)),
            _ = signals.hangup.recv() => core.close(Exit::Signal(libc::SIGHUP)),
            _ = signals.interrupt.recv() => core.close(Exit::Signal(libc::SIGINT)),
        }
    };
    while let Some(bytes) = core.poll_output() {
        let _ = terminal::write_all(&bytes);
    }
    drop(raw);
    Ok(exit)
}

/// Errors a UDP socket may report for an earlier datagram (an ICMP answer), after which
/// it keeps working.
fn transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    )
}

/// The signals the loop answers: three that end it (after the terminal is restored) and
/// the window size change.
struct Signals {
    terminate: Signal,
    hangup: Signal,
    interrupt: Signal,
    window_change: Signal,
}

impl Signals {
    fn new() -> io::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            interrupt: signal(SignalKind::interrupt())?,
            window_change: signal(SignalKind::window_change())?,
        })
    }
}

/// The address to send from: loopback for a server on this machine, so tests never
/// listen beyond it, else any.
fn local_ip(server: IpAddr) -> IpAddr {
    match server {
        IpAddr::V4(ip) if ip.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(ip) if ip.is_loopback() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

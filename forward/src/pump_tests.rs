//! The pump on both ends of a real pair of connections over a lossless link, with the
//! sockets played by the test: what each end asks of its sockets, in order.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use moshmux_proto::{Connection, HostState, SessionKey, StreamId, UserStream};

use super::*;

struct Ends {
    now: Instant,
    client: Connection<UserStream, HostState>,
    server: Connection<HostState, UserStream>,
    client_pump: Pump,
    server_pump: Pump,
}

const SERVER: &str = "127.0.0.1:60001";
const CLIENT: &str = "127.0.0.1:40000";

impl Ends {
    fn new() -> Ends {
        let key = SessionKey::from_bytes([5; 16]);
        let now = Instant::now();
        let server: SocketAddr = SERVER.parse().unwrap();
        Ends {
            now,
            client: Connection::new_client(
                &key,
                server,
                UserStream::default(),
                HostState::default(),
                now,
            ),
            server: Connection::new_server(&key, HostState::default(), UserStream::default(), now),
            client_pump: Pump::client(),
            server_pump: Pump::server(),
        }
    }

    /// Carries datagrams both ways until both ends are quiet, then pumps.
    fn settle(&mut self) {
        for _ in 0..200 {
            self.now += Duration::from_millis(5);
            let _ = self.client.handle_timeout(self.now);
            let _ = self.server.handle_timeout(self.now);
            let mut moved = false;
            while let Some(transmit) = self.client.poll_transmit(self.now) {
                moved = true;
                let _ = self.server.handle_datagram(
                    self.now,
                    CLIENT.parse().unwrap(),
                    &transmit.contents,
                );
            }
            while let Some(transmit) = self.server.poll_transmit(self.now) {
                moved = true;
                let _ = self.client.handle_datagram(
                    self.now,
                    SERVER.parse().unwrap(),
                    &transmit.contents,
                );
            }
            self.client_pump.handle_streams(self.client.streams());
            self.server_pump.handle_streams(self.server.streams());
            if !moved
                && self
                    .client
                    .poll_timeout()
                    .is_none_or(|at| at > self.now + Duration::from_secs(1))
            {
                break;
            }
        }
    }

    fn client_actions(&mut self) -> Vec<SocketAction> {
        std::iter::from_fn(|| self.client_pump.poll_action()).collect()
    }

    fn server_actions(&mut self) -> Vec<SocketAction> {
        std::iter::from_fn(|| self.server_pump.poll_action()).collect()
    }

    /// The bytes of the `Write` actions, in order.
    fn written(actions: &[SocketAction]) -> Vec<u8> {
        actions
            .iter()
            .filter_map(|action| match action {
                SocketAction::Write { bytes, .. } => Some(bytes.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }
}

fn open(ends: &mut Ends) -> StreamId {
    let stream = ends
        .client_pump
        .connect(ends.client.streams(), "db", 5432)
        .unwrap();
    ends.settle();
    stream
}

#[test]
fn a_forwarded_connection_carries_bytes_both_ways_and_ends_both_ways() {
    let mut ends = Ends::new();
    let stream = open(&mut ends);
    assert_eq!(
        ends.server_actions(),
        [SocketAction::Connect {
            stream,
            host: "db".into(),
            port: 5432
        }]
    );
    // The client's socket talks before the far end connected: its bytes wait.
    let request = b"SELECT 1;".to_vec();
    ends.client_pump.handle_socket(
        ends.client.streams(),
        stream,
        SocketEvent::Data(request.clone()),
    );
    ends.settle();
    assert!(ends.server_actions().is_empty());
    ends.server_pump
        .handle_socket(ends.server.streams(), stream, SocketEvent::Connected);
    ends.settle();
    assert_eq!(Ends::written(&ends.server_actions()), request);
    let answer = vec![7u8; 100_000];
    ends.server_pump.handle_socket(
        ends.server.streams(),
        stream,
        SocketEvent::Data(answer.clone()),
    );
    ends.server_pump
        .handle_socket(ends.server.streams(), stream, SocketEvent::Eof);
    ends.settle();
    let client_actions = ends.client_actions();
    assert_eq!(Ends::written(&client_actions), answer);
    assert!(client_actions.contains(&SocketAction::Shutdown { stream }));
    ends.client_pump
        .handle_socket(ends.client.streams(), stream, SocketEvent::Eof);
    ends.settle();
    assert!(ends
        .server_actions()
        .contains(&SocketAction::Shutdown { stream }));
    ends.settle();
    assert!(ends.client_pump.is_empty() && ends.server_pump.is_empty());
    assert!(
        ends.client_actions()
            .contains(&SocketAction::Close { stream })
            || !ends.client.streams().is_open(stream)
    );
}

#[test]
fn a_refusal_reaches_the_client_as_a_notice_and_drops_its_socket() {
    let mut ends = Ends::new();
    let stream = open(&mut ends);
    ends.server_actions();
    let why = "cannot connect to db:5432: Connection refused (os error 111)";
    ends.server_pump.handle_socket(
        ends.server.streams(),
        stream,
        SocketEvent::Refused(why.into()),
    );
    ends.settle();
    assert_eq!(ends.client_actions(), [SocketAction::Abort { stream }]);
    assert_eq!(
        ends.client_pump.poll_notice(),
        Some(format!("forward to db:5432: {why}"))
    );
    ends.settle();
    assert!(ends.client_pump.is_empty() && ends.server_pump.is_empty());
}

/// The far socket never drains: the server stops reading the stream at its queue's
/// limit, the stream's window fills, and the client pauses its socket.
#[test]
fn a_socket_that_does_not_drain_pauses_the_one_that_feeds_it() {
    let mut ends = Ends::new();
    let stream = open(&mut ends);
    ends.server_pump
        .handle_socket(ends.server.streams(), stream, SocketEvent::Connected);
    ends.settle();
    ends.server_actions();
    let mut paused = false;
    for _ in 0..200 {
        let chunk = SocketEvent::Data(vec![1; 64 << 10]);
        ends.client_pump
            .handle_socket(ends.client.streams(), stream, chunk);
        ends.settle();
        if ends
            .client_actions()
            .contains(&SocketAction::Pause { stream })
        {
            paused = true;
            break;
        }
    }
    assert!(paused, "the client's socket was never paused");
    let queued = Ends::written(&ends.server_actions()).len();
    assert!(
        queued <= SOCKET_QUEUE,
        "{queued} bytes queued to a socket that never drained"
    );
}

/// `-R`: the server listens for the client's stream; each connection it accepts comes
/// back as a stream the client connects to the forward's target, and bytes flow.
#[test]
fn a_remote_forward_brings_each_accepted_connection_back_to_the_clients_target() {
    let mut ends = Ends::new();
    let bind = "127.0.0.1".parse().unwrap();
    let forward = ends
        .client_pump
        .listen(ends.client.streams(), (bind, 8022), "localhost", 22)
        .unwrap();
    ends.settle();
    assert_eq!(
        ends.server_actions(),
        [SocketAction::Listen {
            stream: forward,
            bind,
            port: 8022
        }]
    );
    ends.server_pump
        .handle_socket(ends.server.streams(), forward, SocketEvent::Connected);
    ends.settle();
    ends.server_pump
        .handle_socket(ends.server.streams(), forward, SocketEvent::Incoming(7));
    let adopted = ends.server_actions();
    let Some(SocketAction::Adopt {
        stream: Some(accepted),
        incoming: 7,
    }) = adopted.first().cloned()
    else {
        panic!("no adoption: {adopted:?}");
    };
    ends.settle();
    assert_eq!(
        ends.client_actions(),
        [SocketAction::Connect {
            stream: accepted,
            host: "localhost".into(),
            port: 22
        }]
    );
    ends.client_pump
        .handle_socket(ends.client.streams(), accepted, SocketEvent::Connected);
    ends.client_pump.handle_socket(
        ends.client.streams(),
        accepted,
        SocketEvent::Data(b"SSH-2.0-OpenSSH\r\n".to_vec()),
    );
    ends.settle();
    assert_eq!(
        Ends::written(&ends.server_actions()),
        b"SSH-2.0-OpenSSH\r\n"
    );
    // The forward ends with its stream: the listener goes.
    ends.client.streams().reset(forward);
    ends.settle();
    assert!(ends
        .server_actions()
        .contains(&SocketAction::Abort { stream: forward }));
}

/// A peer that asks the client to listen, or the server to take an accepted
/// connection, breaks the protocol: the stream is reset and no socket is touched.
#[test]
fn opens_a_side_does_not_serve_are_reset() {
    let mut ends = Ends::new();
    let bind = "127.0.0.1".parse().unwrap();
    // The server side asking the client to listen: made by hand on the server's streams.
    let stream = ends.server.streams().open().unwrap();
    let open = crate::header::encode(&StreamOpen::Listen { bind, port: 1 });
    ends.server.streams().write(stream, &open);
    ends.settle();
    assert!(ends.client_actions().is_empty());
    assert!(!ends.server.streams().is_open(stream));
    let stream = ends.client.streams().open().unwrap();
    let open = crate::header::encode(&StreamOpen::Accepted { listener: 1 });
    ends.client.streams().write(stream, &open);
    ends.settle();
    assert!(ends.server_actions().is_empty());
    assert!(!ends.client.streams().is_open(stream));
}

/// `-A`: once the client offers its agent, the server can open agent streams to it,
/// and the client connects each to its agent's socket; a client that offers nothing
/// refuses them.
#[test]
fn agent_streams_reach_the_socket_the_client_offered() {
    let mut ends = Ends::new();
    assert!(!ends.server_pump.offers_agent());
    let early = ends.server_pump.open_agent(ends.server.streams()).unwrap();
    ends.settle();
    assert!(ends.client_actions().is_empty());
    assert!(!ends.server.streams().is_open(early));
    let path = std::path::PathBuf::from("/run/user/1000/agent.sock");
    ends.client_pump
        .offer_agent(ends.client.streams(), path.clone())
        .unwrap();
    ends.settle();
    assert!(ends.server_pump.offers_agent());
    let stream = ends.server_pump.open_agent(ends.server.streams()).unwrap();
    ends.settle();
    assert_eq!(
        ends.client_actions(),
        [SocketAction::ConnectUnix { stream, path }]
    );
}

//! The daemon's one UDP port through real sockets on loopback (docs/protocol.md, section
//! 8): every `new` gets the same port, on each address it binds; a client reaches it over
//! IPv6 (`::1`), and a client that moves from IPv4 to IPv6 keeps its session, since the
//! server finds it by its connection id and answers from the socket it came in on.

mod common;

use common::{is_connect_line, Daemon, DEADLINE};
use moshmux_proto::{Connection, HostState, SessionKey, UserEvent, UserStream};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

type Client = Connection<UserStream, HostState>;

/// `new` on both loopback addresses; returns the port and key it printed.
fn new_on_both(server: &Daemon, session: &str) -> (u16, SessionKey) {
    let line = server.ok(&[
        "new",
        "--bind",
        "127.0.0.1",
        "--bind",
        "::1",
        "-s",
        session,
        "--",
        "sh",
    ]);
    assert!(is_connect_line(&line), "not a connect line: {line:?}");
    let fields: Vec<&str> = line.split_whitespace().collect();
    (
        fields[2].parse().expect("port"),
        fields[3].parse().expect("key"),
    )
}

/// A client on a real socket, driven by hand so the test can move it between families.
struct Path {
    socket: UdpSocket,
}

impl Path {
    fn bind(local: &str) -> Path {
        let socket = UdpSocket::bind(local).expect("a client socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("a read timeout");
        Path { socket }
    }

    /// Sends and receives until `done` holds of the client's copy of the host state.
    fn run_until(&self, client: &mut Client, what: &str, done: impl Fn(&HostState) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        let mut buffer = [0u8; 2048];
        loop {
            let now = Instant::now();
            let _ = client.handle_timeout(now);
            while let Some(transmit) = client.poll_transmit(now) {
                let _ = self
                    .socket
                    .send_to(&transmit.contents, transmit.destination);
            }
            if let Ok((len, from)) = self.socket.recv_from(&mut buffer) {
                let _ = client.handle_datagram(Instant::now(), from, &buffer[..len]);
            }
            if done(client.remote_state()) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
        }
    }
}

fn screen_has(state: &HostState, line: &str) -> bool {
    state.screens.values().any(|screen| {
        screen
            .rows()
            .iter()
            .any(|row| row.text().trim_end() == line)
    })
}

fn type_line(client: &mut Client, text: &str) {
    let mut stream = client.local_state().clone();
    stream.push(UserEvent::Keys(format!("{text}\r").into_bytes()));
    client.set_local_state(stream, Instant::now());
}

fn new_client(key: &SessionKey, server: SocketAddr) -> Client {
    let mut client = Client::new_client(
        key,
        server,
        UserStream::default(),
        HostState::default(),
        Instant::now(),
    );
    let mut stream = UserStream::default();
    stream.push(UserEvent::Resize { rows: 24, cols: 80 });
    client.set_local_state(stream, Instant::now());
    client
}

#[test]
fn two_sessions_share_the_port_over_ipv6_and_a_client_roams_from_ipv4_to_ipv6() {
    let server = Daemon::new();
    let (port, first_key) = new_on_both(&server, "six");
    let (second_port, second_key) = new_on_both(&server, "four");
    assert_eq!(second_port, port, "the second session got another port");
    let v4 = SocketAddr::from(([127, 0, 0, 1], port));
    let v6: SocketAddr = format!("[::1]:{port}").parse().expect("an address");

    // Over IPv6 from the start.
    let six = Path::bind("[::1]:0");
    let mut first = new_client(&first_key, v6);
    type_line(&mut first, "echo over-$((3+3))");
    six.run_until(&mut first, "output over IPv6", |s| screen_has(s, "over-6"));

    // Over IPv4, then the same connection from an IPv6 socket.
    let four = Path::bind("127.0.0.1:0");
    let mut second = new_client(&second_key, v4);
    type_line(&mut second, "echo before-$((2+2))");
    four.run_until(&mut second, "output over IPv4", |s| {
        screen_has(s, "before-4")
    });
    second.migrate(v6);
    let moved = Path::bind("[::1]:0");
    type_line(&mut second, "echo after-$((5+5))");
    moved.run_until(&mut second, "output after the move", |s| {
        screen_has(s, "after-10")
    });
    let log = server.log();
    assert!(
        log.lines()
            .any(|line| line.contains("client address changed") && line.contains("[::1]:")),
        "{log}"
    );
    // The other session saw none of it.
    let six_screen = server.ok(&["capture-pane", "-p", "-t", "six"]);
    assert!(!six_screen.contains("after-10"), "{six_screen}");
}

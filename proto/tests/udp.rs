//! The sans-IO connection on real UDP sockets on loopback, with the real clock: what a
//! driver does, in its simplest form (one thread, non-blocking sockets, polling).

mod sim;

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::thread::sleep;
use std::time::{Duration, Instant};

use moshmux_proto::SessionKey;
use sim::{Endpoint, Log};

const GIVE_UP: Duration = Duration::from_secs(20);

fn socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    socket
}

/// Feeds everything waiting on `socket` to `endpoint`, then sends what it has to say.
fn service(endpoint: &mut Endpoint, socket: &UdpSocket) {
    let mut buffer = [0u8; 2048];
    loop {
        match socket.recv_from(&mut buffer) {
            Ok((len, from)) => {
                let _ = endpoint.handle_datagram(Instant::now(), from, &buffer[..len]);
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => break,
            Err(error) => panic!("recv_from: {error}"),
        }
    }
    let now = Instant::now();
    endpoint.handle_timeout(now).unwrap();
    while let Some(transmit) = endpoint.poll_transmit(now) {
        socket
            .send_to(&transmit.contents, transmit.destination)
            .unwrap();
    }
}

/// Runs both ends until `done` holds; panics after [`GIVE_UP`].
fn run_until(
    client: (&mut Endpoint, &UdpSocket),
    server: (&mut Endpoint, &UdpSocket),
    mut done: impl FnMut(&Endpoint, &Endpoint) -> bool,
) {
    let deadline = Instant::now() + GIVE_UP;
    while !done(client.0, server.0) {
        assert!(Instant::now() < deadline, "no convergence in {GIVE_UP:?}");
        service(client.0, client.1);
        service(server.0, server.1);
        sleep(Duration::from_millis(1));
    }
}

fn synced(client: &Endpoint, server: &Endpoint) -> bool {
    client.remote_state() == server.local_state() && server.remote_state() == client.local_state()
}

#[test]
fn states_cross_real_sockets_and_the_server_follows_a_new_client_port() {
    let key = SessionKey::generate().unwrap();
    let server_socket = socket();
    let server_addr = server_socket.local_addr().unwrap();
    let now = Instant::now();
    let mut server = Endpoint::new_server(&key, Log::default(), Log::default(), now);
    let mut client = Endpoint::new_client(&key, server_addr, Log::default(), Log::default(), now);
    let mut client_socket = socket();

    // A large change (about a hundred datagrams of fragments) each way, and a keystroke.
    let mut output = server.local_state().clone();
    let mut typed = client.local_state().clone();
    for item in 0..10_000u64 {
        output.push(item.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }
    typed.push(42);
    server.set_local_state(output, Instant::now());
    client.set_local_state(typed, Instant::now());
    run_until(
        (&mut client, &client_socket),
        (&mut server, &server_socket),
        synced,
    );
    assert_eq!(
        server.remote_addr(),
        Some(client_socket.local_addr().unwrap())
    );
    assert!(client.srtt() < Duration::from_millis(500));

    // The client moves to another port, as after a network change.
    client_socket = socket();
    let mut typed = client.local_state().clone();
    typed.push(43);
    client.set_local_state(typed, Instant::now());
    let new_addr = client_socket.local_addr().unwrap();
    run_until(
        (&mut client, &client_socket),
        (&mut server, &server_socket),
        |client, server| synced(client, server) && server.remote_addr() == Some(new_addr),
    );
    for endpoint in [&client, &server] {
        let stats = endpoint.stats();
        assert_eq!(
            stats.dropped_forged + stats.dropped_malformed + stats.rejected_diffs,
            0
        );
    }
}

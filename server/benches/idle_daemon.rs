//! Prints the CPU time and resident memory of an idle daemon holding 10 sessions over a
//! window of wall time: 4 never attached, 3 whose client attached and detached, and 3
//! whose client attached and vanished without a word (a laptop closed), whose endpoints
//! stay open. An idle daemon should cost next to nothing.
//!
//! `cargo build --release -p moshmux && cargo bench -p moshmux-server --bench idle_daemon`; the window is
//! `MOSHMUX_IDLE_SECS` seconds (default 60).

mod common;

use common::{cpu_seconds, rss_kib, run, MoshmuxServer};
use moshmux_proto::user::MuxCommand;
use moshmux_proto::{Connection, HostState, SessionKey, UserEvent, UserStream};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

const SESSIONS: usize = 10;
const NEVER_ATTACHED: usize = 4;
const DETACHED: usize = 3;
const DEADLINE: Duration = Duration::from_secs(20);

/// Sends what `connection` has to send now.
fn flush(connection: &mut Connection<UserStream, HostState>, socket: &UdpSocket) {
    while let Some(transmit) = connection.poll_transmit(Instant::now()) {
        let _ = socket.send_to(&transmit.contents, transmit.destination);
    }
}

/// Runs the client side until `done` holds or the deadline passes.
fn pump(
    connection: &mut Connection<UserStream, HostState>,
    socket: &UdpSocket,
    done: impl Fn(&Connection<UserStream, HostState>) -> bool,
) {
    let deadline = Instant::now() + DEADLINE;
    let mut buffer = [0u8; 2048];
    while !done(connection) {
        assert!(Instant::now() < deadline, "the daemon did not answer");
        flush(connection, socket);
        if let Ok((len, from)) = socket.recv_from(&mut buffer) {
            let _ = connection.handle_datagram(Instant::now(), from, &buffer[..len]);
        }
        let _ = connection.handle_timeout(Instant::now());
    }
    flush(connection, socket);
}

/// A client that attaches to the endpoint `new` printed, sees the screen, and then
/// detaches or (with `detach` false) falls silent for good.
fn attach(connect_line: &str, detach: bool) {
    let fields: Vec<&str> = connect_line.split_whitespace().collect();
    let (port, key) = match fields[..] {
        ["MOSHMUX", "CONNECT", port, key] => (port, key),
        _ => panic!("not a connect line: {connect_line:?}"),
    };
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().expect("an address");
    let key: SessionKey = key.parse().expect("a key");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a UDP socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(5)))
        .expect("a read timeout");
    let now = Instant::now();
    let mut connection = Connection::new_client(
        &key,
        server,
        UserStream::default(),
        HostState::default(),
        now,
    );
    let mut stream = UserStream::default();
    stream.push(UserEvent::Resize { rows: 24, cols: 80 });
    connection.set_local_state(stream.clone(), now);
    pump(&mut connection, &socket, |c| {
        c.remote_state() != &HostState::default()
    });
    if !detach {
        return;
    }
    stream.push(UserEvent::Command(MuxCommand::Detach));
    connection.set_local_state(stream, Instant::now());
    let sent = Instant::now() + Duration::from_millis(300);
    pump(&mut connection, &socket, |_| Instant::now() > sent);
}

fn main() {
    let window = std::env::var("MOSHMUX_IDLE_SECS")
        .ok()
        .and_then(|secs| secs.parse().ok())
        .map_or(Duration::from_secs(60), Duration::from_secs);
    let daemon = MoshmuxServer::new(
        std::env::temp_dir().join(format!("mmx-idle-bench-{}", std::process::id())),
    );
    for index in 0..SESSIONS {
        let name = format!("s{index}");
        let line = run(daemon.command(&["new", "--bind", "127.0.0.1", "-s", &name, "--", "sh"]));
        if index >= NEVER_ATTACHED {
            attach(&line, index < NEVER_ATTACHED + DETACHED);
        }
    }
    let vanished = SESSIONS - NEVER_ATTACHED - DETACHED;
    let deadline = Instant::now() + DEADLINE;
    while run(daemon.command(&["ls"])).matches("(1 attached)").count() != vanished {
        assert!(
            Instant::now() < deadline,
            "the detached clients stayed attached"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    let pid = daemon.pid();
    let (cpu_before, rss_before) = (cpu_seconds(pid), rss_kib(pid));
    std::thread::sleep(window);
    let (cpu_after, rss_after) = (cpu_seconds(pid), rss_kib(pid));
    let cpu = cpu_after - cpu_before;
    println!(
        "idle daemon, {SESSIONS} sessions ({NEVER_ATTACHED} never attached, {DETACHED} \
         detached, {vanished} with a vanished client), {} s: CPU {cpu:.2} s ({:.3} % of \
         one core), RSS {:.1} MiB -> {:.1} MiB",
        window.as_secs(),
        cpu / window.as_secs_f64() * 100.0,
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
    );
}

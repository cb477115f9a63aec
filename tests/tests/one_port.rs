//! One UDP port for every client, end to end: 5 sessions and 12 real `moshmux connect`
//! clients in tmux, each through its own link emulator with loss, all on the daemon's
//! one port; half of them roam; a flood of random and forged datagrams at the port gets
//! no byte back and stops no one; and a client of the old port-range mode still works.

use std::net::SocketAddr;
use std::time::Duration;

use moshmux_tests::harness::{connect_client, status_line, Daemon, Tmux};
use moshmux_tests::netem::{LinkConfig, Netem};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::net::UdpSocket;

const COLS: u16 = 80;
const ROWS: u16 = 24;
const WAIT: Duration = Duration::from_secs(30);
/// Clients per session: 12 in all.
const CLIENTS: [usize; 5] = [3, 3, 2, 2, 2];

fn link(seed: u64) -> LinkConfig {
    LinkConfig::symmetric(Duration::from_millis(15), 0.05, seed)
}

struct Client {
    session: usize,
    netem: Netem,
    tmux: Tmux,
}

/// The client types a command in its session and waits until it shows on its screen.
fn type_and_see(client: &Client, word: &str) {
    client.tmux.send_literal(&format!("echo {word}-$((6*7))"));
    client.tmux.send_keys(&["Enter"]);
    let shown = format!("{word}-42");
    client
        .tmux
        .expect(&shown, WAIT, |s| s.lines().any(|line| line == shown));
}

/// Every client of each session shows every word typed in it.
fn all_see(clients: &[Client], words: &[(usize, String)]) {
    for client in clients {
        for (session, word) in words.iter().filter(|(s, _)| *s == client.session) {
            let shown = format!("{word}-42");
            let screen = client
                .tmux
                .expect(&shown, WAIT, |s| s.lines().any(|line| line == shown));
            assert!(status_line(&screen, ROWS).starts_with(&format!("[s{session}] ")));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_clients_of_five_sessions_share_one_port_through_roams_and_a_flood() {
    let daemon = Daemon::new();
    let mut clients = Vec::new();
    let mut port = None;
    for (session, count) in CLIENTS.iter().enumerate() {
        for _ in 0..*count {
            let name = format!("s{session}");
            let (this_port, key) = daemon.new_client(&["-s", &name, "--", "sh"]);
            assert_eq!(
                *port.get_or_insert(this_port),
                this_port,
                "one port for all"
            );
            let server: SocketAddr = format!("127.0.0.1:{this_port}").parse().unwrap();
            let seed = clients.len() as u64;
            let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, link(seed))
                .await
                .unwrap();
            let tmux = connect_client(COLS, ROWS, netem.listen_addr().port(), &key);
            clients.push(Client {
                session,
                netem,
                tmux,
            });
        }
    }
    let port = port.unwrap();
    let mut words = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        let word = format!("first{i}");
        type_and_see(client, &word);
        words.push((client.session, word));
    }
    all_see(&clients, &words);

    for client in clients.iter().step_by(2) {
        client.netem.roam().await.unwrap();
    }
    // 5000 random datagrams of up to 1300 bytes (their first 8 bytes, where a
    // connection id goes, are no connection's): none is answered, none stops anyone.
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(20);
    for _ in 0..5000 {
        let len = rng.random_range(0..1300);
        let datagram: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let _ = stranger.send_to(&datagram, ("127.0.0.1", port)).await;
    }
    for (i, client) in clients.iter().enumerate() {
        let word = format!("after{i}");
        type_and_see(client, &word);
        words.push((client.session, word));
    }
    all_see(&clients, &words);
    let mut reply = [0u8; 2048];
    let answered = tokio::time::timeout(Duration::from_secs(1), stranger.recv(&mut reply)).await;
    assert!(answered.is_err(), "the daemon answered a stranger");

    // The old mode: a port of the client's own from a range, beside the shared one.
    let (own, key) = daemon.new_client(&["-s", "s0", "-p", "61500:61600", "--", "sh"]);
    assert!((61500..=61600).contains(&own) && own != port);
    let server: SocketAddr = format!("127.0.0.1:{own}").parse().unwrap();
    let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, link(99))
        .await
        .unwrap();
    let tmux = connect_client(COLS, ROWS, netem.listen_addr().port(), &key);
    let old_mode = Client {
        session: 0,
        netem,
        tmux,
    };
    type_and_see(&old_mode, "own");
    // Session s0's clients on the shared port see it too.
    all_see(&clients[..1], &[(0, "own".to_owned())]);
}

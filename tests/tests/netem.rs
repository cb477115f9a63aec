//! The link emulator on real loopback sockets: each impairment is observable from the
//! endpoints, and the counters agree with what the endpoints saw.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moshmux_tests::netem::{Blackout, DirectionConfig, LinkConfig, Netem};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

const LOOPBACK: &str = "127.0.0.1:0";
/// How long any wait may take before the test fails: generous for a loaded machine.
const DEADLINE: Duration = Duration::from_secs(20);

struct Received {
    bytes: Vec<u8>,
    from: SocketAddr,
    at: Instant,
}

/// A UDP endpoint that records everything it receives (and may echo it back), read by its
/// own task so that bursts never overflow the kernel's receive buffer.
struct Peer {
    socket: Arc<UdpSocket>,
    received: Arc<Mutex<Vec<Received>>>,
    reader: JoinHandle<()>,
    echo: bool,
}

impl Peer {
    async fn bind(echo: bool) -> Peer {
        let socket = Arc::new(UdpSocket::bind(LOOPBACK).await.unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let reader = tokio::spawn({
            let socket = Arc::clone(&socket);
            let received = Arc::clone(&received);
            async move {
                let mut buf = vec![0u8; 65_535];
                while let Ok((len, from)) = socket.recv_from(&mut buf).await {
                    if echo {
                        socket.send_to(&buf[..len], from).await.unwrap();
                    }
                    received.lock().unwrap().push(Received {
                        bytes: buf[..len].to_vec(),
                        from,
                        at: Instant::now(),
                    });
                }
            }
        });
        Peer {
            socket,
            received,
            reader,
            echo,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// Sequence numbers of the received datagrams, in arrival order.
    fn sequence(&self) -> Vec<u32> {
        let received = self.received.lock().unwrap();
        received.iter().map(|r| number(&r.bytes)).collect()
    }

    fn sources(&self) -> Vec<SocketAddr> {
        let received = self.received.lock().unwrap();
        received.iter().map(|r| r.from).collect()
    }

    /// Sends datagrams numbered `range` to `to`, `size` bytes each, pausing now and then so
    /// that no receive buffer on the way overflows.
    async fn send_numbered(&self, to: SocketAddr, range: std::ops::Range<u32>, size: usize) {
        for n in range {
            let mut datagram = vec![0u8; size.max(4)];
            datagram[..4].copy_from_slice(&n.to_be_bytes());
            self.socket.send_to(&datagram, to).await.unwrap();
            if n % 20 == 19 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

fn number(datagram: &[u8]) -> u32 {
    u32::from_be_bytes([datagram[0], datagram[1], datagram[2], datagram[3]])
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until the emulator has seen `sent` datagrams towards the server, settled the fate
/// of everything in flight both ways, and both peers have read what it delivered (and an
/// echoing server's replies have reached the emulator).
async fn settle(netem: &Netem, client: &Peer, server: &Peer, sent: u64) {
    wait_for("the link to settle", || {
        let c = netem.counters();
        c.to_server.sent.packets >= sent
            && c.to_server.in_flight() == 0
            && c.to_client.in_flight() == 0
            && server.count() as u64 == c.to_server.delivered.packets
            && (!server.echo || c.to_client.sent.packets == c.to_server.delivered.packets)
            && client.count() as u64 == c.to_client.delivered.packets
    })
    .await;
}

fn one_way(config: DirectionConfig) -> LinkConfig {
    LinkConfig {
        to_server: config,
        seed: 1,
        ..LinkConfig::default()
    }
}

async fn link(config: LinkConfig, echo: bool) -> (Netem, Peer, Peer) {
    let server = Peer::bind(echo).await;
    let client = Peer::bind(false).await;
    let netem = Netem::start(LOOPBACK.parse().unwrap(), server.addr(), config)
        .await
        .unwrap();
    (netem, client, server)
}

#[tokio::test]
async fn loss_rate_matches_the_setting_in_each_direction() {
    let config = LinkConfig {
        to_server: DirectionConfig {
            loss: 0.3,
            ..Default::default()
        },
        to_client: DirectionConfig {
            loss: 0.1,
            ..Default::default()
        },
        seed: 7,
        blackouts: Vec::new(),
    };
    let (netem, client, server) = link(config, true).await;
    client.send_numbered(netem.listen_addr(), 0..3000, 32).await;
    settle(&netem, &client, &server, 3000).await;

    let c = netem.counters();
    assert_eq!(c.to_server.sent.packets, 3000);
    let up = c.to_server.lost.packets as f64 / 3000.0;
    assert!((0.26..=0.34).contains(&up), "client to server lost {up}");
    let echoed = c.to_client.sent.packets as f64;
    let down = c.to_client.lost.packets as f64 / echoed;
    assert!(
        (0.07..=0.13).contains(&down),
        "server to client lost {down}"
    );
    assert_eq!(c.to_client.sent.packets, c.to_server.delivered.packets);
}

#[tokio::test]
async fn replies_take_at_least_both_delays() {
    let delay = Duration::from_millis(100);
    let config = LinkConfig {
        to_server: DirectionConfig {
            delay,
            ..Default::default()
        },
        to_client: DirectionConfig {
            delay,
            ..Default::default()
        },
        ..LinkConfig::default()
    };
    let (netem, client, _server) = link(config, true).await;
    for n in 0..3 {
        let sent_at = Instant::now();
        client.send_numbered(netem.listen_addr(), n..n + 1, 8).await;
        wait_for("the echo", || client.count() as u32 == n + 1).await;
        let received_at = client.received.lock().unwrap()[n as usize].at;
        let rtt = received_at - sent_at;
        assert!(
            rtt >= 2 * delay,
            "round trip {rtt:?} is shorter than two delays"
        );
    }
}

#[tokio::test]
async fn duplicates_arrive_twice() {
    let (netem, client, server) = link(
        one_way(DirectionConfig {
            duplicate: 0.3,
            ..Default::default()
        }),
        false,
    )
    .await;
    client.send_numbered(netem.listen_addr(), 0..500, 16).await;
    settle(&netem, &client, &server, 500).await;

    let c = netem.counters().to_server;
    let sequence = server.sequence();
    let distinct: BTreeSet<u32> = sequence.iter().copied().collect();
    assert_eq!(distinct.len(), 500, "every datagram arrives at least once");
    assert_eq!(sequence.len() as u64, 500 + c.duplicated.packets);
    assert!((100..=200).contains(&c.duplicated.packets), "{c}");
}

fn inversions(sequence: &[u32]) -> usize {
    sequence.windows(2).filter(|pair| pair[0] > pair[1]).count()
}

#[tokio::test]
async fn held_back_datagrams_are_overtaken() {
    let config = DirectionConfig {
        reorder: 0.1,
        reorder_hold: Duration::from_millis(30),
        ..Default::default()
    };
    let (netem, client, server) = link(one_way(config), false).await;
    client.send_numbered(netem.listen_addr(), 0..400, 16).await;
    settle(&netem, &client, &server, 400).await;

    let sequence = server.sequence();
    assert_eq!(sequence.len(), 400, "reordering loses nothing");
    assert!(inversions(&sequence) > 0, "nothing was reordered");
}

#[tokio::test]
async fn jitter_reorders_a_burst() {
    let config = DirectionConfig {
        delay: Duration::from_millis(50),
        jitter: Duration::from_millis(30),
        ..Default::default()
    };
    let (netem, client, server) = link(one_way(config), false).await;
    client.send_numbered(netem.listen_addr(), 0..100, 16).await;
    settle(&netem, &client, &server, 100).await;
    let sequence = server.sequence();
    assert_eq!(sequence.len(), 100);
    assert!(inversions(&sequence) > 0, "jitter reordered nothing");
}

#[tokio::test]
async fn blackouts_drop_everything_and_traffic_resumes() {
    let window = Duration::from_secs(1);
    let config = LinkConfig {
        blackouts: vec![Blackout {
            start: Duration::ZERO,
            duration: window,
        }],
        ..LinkConfig::default()
    };
    let (netem, client, server) = link(config, true).await;
    // Taken after the emulator's own clock started, so the window is surely over at
    // `started + window`.
    let started = Instant::now();
    let to = netem.listen_addr();

    // Inside the scheduled window: nothing passes.
    client.send_numbered(to, 0..10, 16).await;
    settle(&netem, &client, &server, 10).await;
    assert_eq!(server.count(), 0);
    assert_eq!(netem.counters().to_server.blacked_out.packets, 10);

    // After it: everything passes, both ways.
    tokio::time::sleep_until((started + window).into()).await;
    client.send_numbered(to, 10..20, 16).await;
    settle(&netem, &client, &server, 20).await;
    assert_eq!(server.sequence(), (10..20).collect::<Vec<_>>());
    assert_eq!(client.count(), 10);

    // A runtime blackout also drops what is already in flight.
    let slow = DirectionConfig {
        delay: Duration::from_millis(300),
        ..Default::default()
    };
    netem.set_directions(slow.clone(), slow).unwrap();
    client.send_numbered(to, 20..30, 16).await;
    let blackout = Duration::from_secs(1);
    netem.blackout(blackout).unwrap();
    let blackout_started = Instant::now();
    settle(&netem, &client, &server, 30).await;
    assert_eq!(server.count(), 10, "nothing got through the blackout");
    assert_eq!(netem.counters().to_server.blacked_out.packets, 20);

    tokio::time::sleep_until((blackout_started + blackout).into()).await;
    client.send_numbered(to, 30..40, 16).await;
    settle(&netem, &client, &server, 40).await;
    assert_eq!(server.count(), 20);
    assert_eq!(client.count(), 20);
}

#[tokio::test]
async fn roaming_gives_the_server_a_new_source_port() {
    let (netem, client, server) = link(LinkConfig::default(), true).await;
    let to = netem.listen_addr();
    client.send_numbered(to, 0..1, 8).await;
    wait_for("the echo", || client.count() == 1).await;

    let roamed = netem.roam().await.unwrap();
    client.send_numbered(to, 1..2, 8).await;
    wait_for("the echo after roaming", || client.count() == 2).await;

    let sources = server.sources();
    assert_ne!(sources[0].port(), sources[1].port());
    assert_eq!(sources[1], roamed);
    // The client's side of the link did not change: replies still come from the listen
    // address, to the same client socket.
    let replies = client.sources();
    assert_eq!(replies, vec![to, to]);
}

#[tokio::test]
async fn counters_add_up_on_a_bad_link() {
    let bad = DirectionConfig {
        loss: 0.2,
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(10),
        reorder: 0.1,
        reorder_hold: Duration::from_millis(15),
        duplicate: 0.2,
        rate: None,
    };
    let config = LinkConfig {
        to_server: bad.clone(),
        to_client: bad,
        seed: 3,
        blackouts: Vec::new(),
    };
    let (netem, client, server) = link(config, true).await;
    client
        .send_numbered(netem.listen_addr(), 0..1000, 100)
        .await;
    settle(&netem, &client, &server, 1000).await;

    let c = netem.counters();
    for d in [c.to_server, c.to_client] {
        assert_eq!(d.sent + d.duplicated, d.delivered + d.dropped(), "{d}");
        assert!(d.lost.packets > 0 && d.duplicated.packets > 0, "{d}");
    }
    assert_eq!(c.to_server.sent.bytes, 100 * 1000);
    assert_eq!(c.to_client.sent, c.to_server.delivered);
}

#[tokio::test]
async fn the_rate_cap_spreads_a_burst() {
    let config = DirectionConfig {
        rate: Some(20_000),
        ..Default::default()
    };
    let (netem, client, server) = link(one_way(config), false).await;
    let sent_at = Instant::now();
    client.send_numbered(netem.listen_addr(), 0..20, 1000).await;
    settle(&netem, &client, &server, 20).await;
    let received = server.received.lock().unwrap();
    assert_eq!(received.len(), 20);
    // 20 kB at 20 kB/s takes a second to pass; the clock may only make it longer.
    let last = received[19].at - sent_at;
    assert!(
        last >= Duration::from_millis(990),
        "the burst passed in {last:?}"
    );
}

/// Which of 300 datagrams pass a 50% loss link seeded with `seed`.
async fn survivors(seed: u64) -> BTreeSet<u32> {
    let config = LinkConfig {
        to_server: DirectionConfig {
            loss: 0.5,
            ..Default::default()
        },
        seed,
        ..LinkConfig::default()
    };
    let (netem, client, server) = link(config, false).await;
    client.send_numbered(netem.listen_addr(), 0..300, 8).await;
    settle(&netem, &client, &server, 300).await;
    server.sequence().into_iter().collect()
}

#[tokio::test]
async fn the_same_seed_drops_the_same_datagrams() {
    let first = survivors(42).await;
    assert_eq!(first, survivors(42).await);
    assert_ne!(first, survivors(43).await);
}

#[tokio::test]
async fn a_recording_keeps_each_direction_up_to_its_limit_lost_or_not() {
    let config = LinkConfig {
        to_server: DirectionConfig {
            loss: 0.5,
            ..Default::default()
        },
        seed: 5,
        ..LinkConfig::default()
    };
    let (netem, client, server) = link(config, true).await;
    client.send_numbered(netem.listen_addr(), 0..4, 8).await;
    settle(&netem, &client, &server, 4).await;
    assert_eq!(netem.recorded().await.unwrap(), Default::default());

    netem.record(10).unwrap();
    client.send_numbered(netem.listen_addr(), 4..24, 8).await;
    settle(&netem, &client, &server, 24).await;
    let recording = netem.recorded().await.unwrap();
    let numbers = |datagrams: &[Vec<u8>]| datagrams.iter().map(|d| number(d)).collect::<Vec<_>>();
    // Lost datagrams are recorded too: all ten first ones, in order.
    assert_eq!(numbers(&recording.to_server), (4..14).collect::<Vec<_>>());
    assert!(netem.counters().to_server.lost.packets > 0);
    // Replies: the echoes of what got through, in the order they came back.
    let echoed: Vec<u32> = server
        .sequence()
        .into_iter()
        .filter(|&n| n >= 4)
        .take(10)
        .collect();
    assert_eq!(numbers(&recording.to_client), echoed);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_emulator() {
    let server = Peer::bind(false).await;
    let netem = Netem::start(
        LOOPBACK.parse().unwrap(),
        server.addr(),
        LinkConfig::default(),
    )
    .await
    .unwrap();
    let listen = netem.listen_addr();
    drop(netem);
    // Once the emulator's task has ended, its listen port is free again.
    let start = Instant::now();
    while UdpSocket::bind(listen).await.is_err() {
        assert!(
            start.elapsed() < DEADLINE,
            "the emulator still holds {listen}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

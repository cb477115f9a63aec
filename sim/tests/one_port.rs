//! One UDP port for every client of every session (docs/protocol.md, section 1): many
//! sessions and clients share the daemon's port over lossy links with roams and moves to
//! fresh ports, while someone on the path floods that port with random datagrams and
//! forgeries made from what the clients sent. Every client's screen must become its
//! session's, and the flood must get no byte back. The old mode, a port per client,
//! still works the same way.

use moshmux_server::control::{PortChoice, Request, SendKeys, SessionRef, Target};
use moshmux_sim::sweep::{lossy_link, sweep};
use moshmux_sim::{ClientConfig, LinkConfig, Sim};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Seeds each property sweeps in the test suite: each seed is a dozen clients.
const SEEDS: u64 = 12;
const SESSIONS: usize = 5;
const CLIENTS: usize = 12;
const SIZE: (u16, u16) = (80, 24);
/// Rows a pane gets: all but the status line.
const PANE_ROWS: usize = 23;
/// Where the flood comes from: no client ever has this address.
const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9));

fn session(client: usize) -> String {
    format!("s{}", client % SESSIONS)
}

/// The emulator's lossy link for `seed` with its loss held to 10 % each way: at the
/// sweep's 40 %, three heartbeats in a row are lost often enough that a newer client's
/// input reclaims a live older one as gone (`mux/reclaim.rs`, by design, and the
/// sessions here have three clients each); this test is about the port.
fn link(seed: u64) -> LinkConfig {
    let mut link = lossy_link(seed);
    for direction in [&mut link.to_server, &mut link.to_client] {
        direction.loss = direction.loss.min(0.1);
    }
    link
}

/// Attaches `CLIENTS` clients to `SESSIONS` sessions with `ports`, each over its own
/// lossy link, one after the other as users would: each once the one before shows its
/// prompt (a newcomer's first input reclaims an older client not heard from for 10 s,
/// `mux/reclaim.rs`, which a dozen clients attached in one instant over 40 % loss
/// would test instead of the port).
fn attach_all(sim: &mut Sim, seed: u64, ports: PortChoice) -> Vec<usize> {
    (0..CLIENTS)
        .map(|i| {
            let link = link(seed * 100 + i as u64);
            let client = sim.attach_on(&session(i), &link, SIZE, ClientConfig::default(), ports);
            let deadline = sim.now + Duration::from_secs(60);
            let prompt = sim.run_until(deadline, |sim| {
                sim.clients[client].terminal.screen()[0].starts_with('$')
            });
            assert!(
                prompt,
                "seed {seed}: client {client} never showed its prompt"
            );
            client
        })
        .collect()
}

/// Whether every client's pane rows are its session's screen on the server.
fn all_converged(sim: &mut Sim, clients: &[usize]) -> Result<(), String> {
    for &client in clients {
        let ours = sim.clients[client].terminal.screen();
        let theirs = sim.server_screen(&session(client));
        let theirs: Vec<&str> = theirs.lines().collect();
        let same = ours.len() > PANE_ROWS
            && (0..PANE_ROWS).all(|row| ours[row] == theirs.get(row).copied().unwrap_or(""));
        if !same {
            return Err(format!(
                "client {client} shows\n{}\nits session {}\n{}",
                ours.join("\n"),
                session(client),
                theirs.join("\n")
            ));
        }
    }
    Ok(())
}

/// Types a command into every session through the server and moves some clients: a
/// roam, or a blackout. The newest client of each session may be silent long enough
/// to move to a fresh port and its next id (10 s); an older one is kept under that, as a
/// newer client's input would reclaim its endpoint (`mux/reclaim.rs`).
fn work_and_move(sim: &mut Sim, rng: &mut ChaCha8Rng, clients: &[usize], round: usize) {
    for s in 0..SESSIONS {
        let keys = Request::SendKeys(SendKeys {
            target: Some(Target::session(SessionRef::Name(format!("s{s}")))),
            keys: vec![format!("echo round-{round}-s{s}"), "Enter".into()],
            literal: false,
        });
        sim.request(keys).expect("send-keys");
    }
    for &client in clients {
        match rng.random_range(0..4) {
            0 => sim.roam(client),
            1 if client + SESSIONS >= CLIENTS => sim.blackout(
                client,
                Duration::from_millis(rng.random_range(10_500..13_000)),
            ),
            1 => sim.blackout(client, Duration::from_millis(rng.random_range(500..5_000))),
            _ => {}
        }
    }
}

/// What an onlooker on the paths sends the port: noise of every length, the clients'
/// datagrams that reached the server replayed, and forgeries that keep a real connection
/// id in front. (A datagram caught on its way and delivered first from elsewhere is
/// authentic: the server follows it, as mosh's does, until the client's next one.)
fn flood(sim: &mut Sim, rng: &mut ChaCha8Rng, clients: &[usize]) -> u64 {
    let mut noise = 0;
    for n in 0..200u16 {
        let from = SocketAddr::new(ATTACKER, 30000 + n % 50);
        let client = clients[rng.random_range(0..clients.len())];
        let to = sim.server_addr(client);
        let mut datagram = vec![0u8; rng.random_range(0..1300)];
        rng.fill(&mut datagram[..]);
        match (
            rng.random_range(0..3),
            sim.clients[client].last_delivered.clone(),
        ) {
            // A real datagram, again: a replay.
            (0, Some(real)) => datagram = real,
            // A real id, then a flipped bit or garbage.
            (1, Some(mut real)) => {
                let at = rng.random_range(8..real.len());
                real[at] ^= 1 << rng.random_range(0..8);
                datagram = real;
            }
            (2, Some(real)) => {
                let id = 8.min(datagram.len());
                datagram[..id].copy_from_slice(&real[..id]);
            }
            _ => noise += 1,
        }
        sim.inject(from, to, &datagram);
        sim.run_for(Duration::from_millis(rng.random_range(0..20)));
    }
    noise
}

fn run(seed: u64, ports: PortChoice, flooded: bool) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0e_0e);
    let mut sim = Sim::new(seed);
    let clients = attach_all(&mut sim, seed, ports);
    let ports_used: BTreeSet<u16> = clients.iter().map(|&c| sim.server_addr(c).port()).collect();
    match ports {
        PortChoice::Shared { first, .. } => assert_eq!(ports_used, BTreeSet::from([first])),
        PortChoice::PerClient { .. } => assert_eq!(ports_used.len(), CLIENTS),
    }
    for round in 0..3 {
        work_and_move(&mut sim, &mut rng, &clients, round);
        if flooded {
            let unrouted_before = sim.unrouted();
            let noise = flood(&mut sim, &mut rng, &clients);
            // Noise is dropped at the table: no connection spends a decryption on it.
            assert!(sim.unrouted() - unrouted_before >= noise, "seed {seed}");
        } else {
            sim.run_for(Duration::from_secs(rng.random_range(1..8)));
        }
    }
    let deadline = sim.now + Duration::from_secs(90);
    let converged = sim.run_until_every(deadline, Duration::from_millis(500), |sim| {
        all_converged(sim, &clients).is_ok()
    });
    if !converged {
        let problem = all_converged(&mut sim, &clients).unwrap_err();
        let ls = sim
            .request(Request::ListSessions(Default::default()))
            .unwrap_or_default();
        panic!("seed {seed}: {problem}\nls:\n{ls}");
    }
    assert_eq!(
        sim.sent_to(ATTACKER),
        0,
        "seed {seed}: the flood was answered"
    );
    for &client in &clients {
        assert!(
            sim.clients[client].exit.is_none(),
            "seed {seed}: client {client} ended"
        );
    }
    let ls = sim
        .request(Request::ListSessions(Default::default()))
        .expect("ls");
    assert_eq!(ls.lines().count(), SESSIONS, "seed {seed}: {ls}");
}

/// 5 sessions and 12 clients on the daemon's one port, under loss, roams and moves to
/// fresh ports, with a flood of noise, replays and forged datagrams at the port: every
/// client's screen becomes its session's, and nothing goes back to the flood's source.
#[test]
fn five_sessions_and_twelve_clients_share_one_port_through_roams_and_a_flood() {
    let shared = PortChoice::Shared {
        first: 60001,
        last: 61000,
    };
    sweep(SEEDS, |seed| run(seed, shared, true));
}

/// `new -p LOW:HIGH`: a port per client, as mosh opens, works as before.
#[test]
fn a_port_per_client_still_works() {
    let range = PortChoice::PerClient {
        first: 60000,
        last: 61000,
    };
    sweep(SEEDS / 3, |seed| run(seed, range, false));
}

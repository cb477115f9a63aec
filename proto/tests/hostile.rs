//! The hostile-network fault matrix: what an attacker on the path can send (bit flips,
//! truncations, oversized junk, reflections, replays from spoofed addresses, wild
//! sequence numbers) is refused, counted, and changes nothing an attacker could use: not
//! the synchronised state, not the roaming target, not the round-trip estimate, not the
//! replay window. Queue bounds under a flood and key retirement are tested next to the
//! internals they count (`connection.rs`).

mod sim;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use moshmux_proto::crypto::{Cipher, Direction, TO_SERVER_OVERHEAD};
use moshmux_proto::sequence::REPLAY_WINDOW;
use moshmux_proto::{DatagramError, Stats};
use sim::{addr, ms, Endpoint, Log, Pair};

const SEED: u64 = 23;
const ATTACKER: &str = "127.0.0.1:6666";

/// A pair that has exchanged states both ways over a 40 ms path, so both ends hold an RTT
/// estimate away from the initial one that a forged sample would visibly move.
fn synced_pair() -> Pair {
    let mut pair = Pair::clean(SEED, ms(40));
    for _ in 0..4 {
        pair.client_push();
        pair.server_push();
        pair.run_for(ms(500));
    }
    assert!(pair.converged());
    assert_ne!(pair.server.srtt(), Duration::from_secs(1));
    pair
}

/// The next datagram the client seals for a new state, not delivered.
fn next_client_datagram(pair: &mut Pair) -> Vec<u8> {
    pair.client_push();
    pair.now += Duration::from_secs(1);
    pair.client.handle_timeout(pair.now).unwrap();
    pair.client.poll_transmit(pair.now).unwrap().contents
}

fn next_server_datagram(pair: &mut Pair) -> Vec<u8> {
    pair.server_push();
    pair.now += Duration::from_secs(1);
    pair.server.handle_timeout(pair.now).unwrap();
    pair.server.poll_transmit(pair.now).unwrap().contents
}

/// Everything about an endpoint that a datagram could steer.
#[derive(Debug, PartialEq)]
struct Observed {
    remote_state: Log,
    remote_state_num: u64,
    remote_addr: Option<SocketAddr>,
    last_heard: Option<Instant>,
    srtt: Duration,
    poll_timeout: Option<Instant>,
}

fn observe(endpoint: &Endpoint) -> Observed {
    Observed {
        remote_state: endpoint.remote_state().clone(),
        remote_state_num: endpoint.remote_state_num(),
        remote_addr: endpoint.remote_addr(),
        last_heard: endpoint.last_heard(),
        srtt: endpoint.srtt(),
        poll_timeout: endpoint.poll_timeout(),
    }
}

fn dropped(stats: &Stats) -> u64 {
    stats.dropped_forged + stats.dropped_malformed + stats.dropped_replayed
}

/// The sequence number a datagram to the server carries, under its mask.
fn client_seq(datagram: &[u8]) -> u64 {
    let cipher = Cipher::new(&sim::key(SEED));
    let opened = cipher.open(Direction::ToServer, datagram);
    opened.expect("the client's own datagram").seq
}

/// Feeds `datagrams` to `endpoint` from the attacker, each a little later than the last,
/// and checks each is refused as `expected` and changes nothing: the endpoint is observed
/// just before (its timers brought to the same instant) and just after.
fn refuse_all(
    endpoint: &mut Endpoint,
    now: Instant,
    datagrams: &[Vec<u8>],
    expected: impl Fn(&[u8]) -> DatagramError,
) {
    let first = observe(endpoint);
    let stats = endpoint.stats().clone();
    for (i, datagram) in datagrams.iter().enumerate() {
        let at = now + ms(i as u64 % 50);
        endpoint.handle_timeout(at).unwrap();
        let before = observe(endpoint);
        assert_eq!(
            endpoint.handle_datagram(at, addr(ATTACKER), datagram),
            Err(expected(datagram)),
            "datagram {i} of {}",
            datagrams.len()
        );
        assert_eq!(
            observe(endpoint),
            before,
            "datagram {i} changed the endpoint"
        );
    }
    let last = observe(endpoint);
    assert_eq!(
        (last.remote_state, last.remote_state_num, last.remote_addr),
        (
            first.remote_state,
            first.remote_state_num,
            first.remote_addr
        )
    );
    assert_eq!((last.last_heard, last.srtt), (first.last_heard, first.srtt));
    let after = endpoint.stats();
    assert_eq!(dropped(after) - dropped(&stats), datagrams.len() as u64);
    assert_eq!(after.rejected_diffs, stats.rejected_diffs);
}

/// Delivers one genuine datagram each way from the real addresses; both must be used.
fn deliver_genuine(pair: &mut Pair, to_server: &[u8], to_client: &[u8]) {
    let (now, client, server) = (pair.now, pair.client_addr, pair.server_addr);
    pair.server.handle_datagram(now, client, to_server).unwrap();
    pair.client.handle_datagram(now, server, to_client).unwrap();
}

/// Each datagram with exactly one bit flipped.
fn bit_flips(datagram: &[u8]) -> Vec<Vec<u8>> {
    (0..datagram.len() * 8)
        .map(|bit| {
            let mut flipped = datagram.to_vec();
            flipped[bit / 8] ^= 1 << (bit % 8);
            flipped
        })
        .collect()
}

#[test]
fn every_single_bit_flip_of_a_valid_datagram_is_refused_and_changes_nothing() {
    let mut pair = synced_pair();
    let to_server = next_client_datagram(&mut pair);
    let to_client = next_server_datagram(&mut pair);
    let now = pair.now;
    refuse_all(&mut pair.server, now, &bit_flips(&to_server), |_| {
        DatagramError::Forged
    });
    refuse_all(&mut pair.client, now, &bit_flips(&to_client), |_| {
        DatagramError::Forged
    });
    // No flip of the tail advanced the replay window: the genuine datagrams still count.
    deliver_genuine(&mut pair, &to_server, &to_client);
    assert_eq!(pair.server.remote_state(), pair.client.local_state());
    assert_eq!(pair.client.remote_state(), pair.server.local_state());
}

#[test]
fn short_and_oversized_datagrams_are_refused_and_change_nothing() {
    let mut pair = synced_pair();
    let valid = next_client_datagram(&mut pair);
    let mut cases: Vec<Vec<u8>> = (0..valid.len()).map(|len| valid[..len].to_vec()).collect();
    // Larger than any UDP payload we could be handed, and a valid datagram with junk
    // after it (the tag is then read from the junk).
    cases.push(vec![0xa5; 65_535]);
    let mut padded = valid.clone();
    padded.resize(65_507, 0);
    cases.push(padded);
    let now = pair.now;
    refuse_all(&mut pair.server, now, &cases, |datagram| {
        if datagram.len() < TO_SERVER_OVERHEAD {
            DatagramError::Malformed
        } else {
            DatagramError::Forged
        }
    });
    let client = pair.client_addr;
    pair.server.handle_datagram(now, client, &valid).unwrap();
}

#[test]
fn reflected_datagrams_are_refused_on_both_ends_and_change_nothing() {
    let mut pair = synced_pair();
    let from_client = next_client_datagram(&mut pair);
    let from_server = next_server_datagram(&mut pair);
    let now = pair.now;
    // Each end's own datagram, sent back to it: the two directions have different shapes
    // (only the client's carry a connection id), so neither opens as the other.
    refuse_all(
        &mut pair.client,
        now,
        std::slice::from_ref(&from_client),
        |_| DatagramError::Forged,
    );
    refuse_all(
        &mut pair.server,
        now,
        std::slice::from_ref(&from_server),
        |_| DatagramError::Forged,
    );
    // Reflection did not use up the sequence numbers the real peer's datagrams carry.
    deliver_genuine(&mut pair, &from_client, &from_server);
}

#[test]
fn replays_from_a_spoofed_source_do_not_move_the_roaming_target_or_the_rtt() {
    let mut pair = synced_pair();
    let datagrams: Vec<Vec<u8>> = (0..5).map(|_| next_client_datagram(&mut pair)).collect();
    let client = pair.client_addr;
    // The server echoes a timestamp, so the client's later datagrams carry a reply: a
    // replay that counted would give a round-trip sample of the replay's delay.
    for datagram in &datagrams {
        pair.server
            .handle_datagram(pair.now, client, datagram)
            .unwrap();
    }
    assert_eq!(pair.server.remote_addr(), Some(client));
    let later = pair.now + Duration::from_secs(3);
    refuse_all(&mut pair.server, later, &datagrams, |datagram| {
        DatagramError::Replayed {
            seq: client_seq(datagram),
        }
    });
    assert_eq!(pair.server.remote_addr(), Some(client));
    // The real client, still where it was, goes on as before.
    pair.run_for(Duration::from_secs(2));
    assert!(pair.converged());
}

#[test]
fn wild_sequence_numbers_far_ahead_or_behind_are_refused_and_do_not_stall_the_session() {
    let mut pair = synced_pair();
    // Sealed but held back: by the end it is a full window behind the newest.
    let oldest = next_client_datagram(&mut pair);
    let client = pair.client_addr;
    let mut newest = Vec::new();
    for _ in 0..REPLAY_WINDOW {
        newest = next_client_datagram(&mut pair);
        pair.server
            .handle_datagram(pair.now, client, &newest)
            .unwrap();
    }
    let seq = client_seq(&newest);
    // An attacker rewrites the tail of a genuine datagram to numbers far ahead (which
    // would make every genuine datagram look old if believed) and far behind; under the
    // mask the numbers are not even the ones written.
    let wild_tails = [
        (1 << 63) - 1,
        seq + (1 << 40),
        seq + REPLAY_WINDOW,
        seq + 1,
        seq.saturating_sub(REPLAY_WINDOW + 1),
        0,
        u64::MAX,
    ];
    let rewritten: Vec<Vec<u8>> = wild_tails
        .iter()
        .map(|tail| {
            let mut datagram = newest.clone();
            datagram[8..16].copy_from_slice(&tail.to_be_bytes());
            datagram
        })
        .collect();
    let now = pair.now;
    refuse_all(&mut pair.server, now, &rewritten, |_| DatagramError::Forged);
    // The genuine datagram a full window behind the newest is refused, though unseen.
    refuse_all(&mut pair.server, now, &[oldest], |datagram| {
        DatagramError::Replayed {
            seq: client_seq(datagram),
        }
    });
    // The window still sits at the genuine newest: the session carries on.
    pair.run_for(Duration::from_secs(2));
    assert!(pair.converged());
}

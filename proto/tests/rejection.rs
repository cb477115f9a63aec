//! Datagrams that must be refused: replayed, forged, truncated, random, reflected, and
//! authentic ones that would steer roaming if they were trusted.

mod sim;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use moshmux_proto::crypto::{Cipher, Direction, Route};
use moshmux_proto::fragment::Fragment;
use moshmux_proto::instruction::{Instruction, InstructionError, PROTOCOL_VERSION};
use moshmux_proto::packet::Packet;
use moshmux_proto::{codec, ConnectionError, DatagramError, SessionKey, Stats, SyncState};
use proptest::prelude::*;
use sim::{addr, ms, Endpoint, Log, Pair};

const SEED: u64 = 11;

/// A server that has synchronised with a client and holds a few of its states.
fn synced_server() -> Pair {
    let mut pair = Pair::clean(SEED, ms(20));
    for _ in 0..3 {
        pair.client_push();
        pair.run_for(ms(200));
    }
    assert!(pair.converged());
    pair
}

/// Datagrams the client seals next (one per new state), not yet delivered.
fn next_client_datagrams(pair: &mut Pair, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            pair.client_push();
            pair.now += Duration::from_secs(1);
            pair.client.handle_timeout(pair.now).unwrap();
            pair.client.poll_transmit(pair.now).unwrap().contents
        })
        .collect()
}

/// What the server's observable state is; a refused datagram must not change it.
fn snapshot(server: &Endpoint) -> (Log, u64, Option<SocketAddr>, Option<Instant>) {
    (
        server.remote_state().clone(),
        server.remote_state_num(),
        server.remote_addr(),
        server.last_heard(),
    )
}

fn dropped(stats: &Stats) -> u64 {
    stats.dropped_forged + stats.dropped_malformed + stats.dropped_replayed
}

#[test]
fn replayed_forged_truncated_and_reflected_datagrams_change_nothing() {
    let mut pair = synced_server();
    let datagram = next_client_datagrams(&mut pair, 1).remove(0);
    let client = addr(sim::CLIENT);
    pair.server
        .handle_datagram(pair.now, client, &datagram)
        .unwrap();
    // One of the server's own datagrams, as if a reflector sent it back.
    pair.server_push();
    pair.now += Duration::from_secs(1);
    pair.server.handle_timeout(pair.now).unwrap();
    let own = pair.server.poll_transmit(pair.now).unwrap().contents;
    let before = snapshot(&pair.server);
    let stats = pair.server.stats().clone();

    let mut forged = datagram.clone();
    forged[20] ^= 1;
    let cipher = Cipher::new(&sim::key(SEED));
    let seq = sim::seq(&cipher, Direction::ToServer, &datagram);
    // Cut short: below the id, tail and tag it cannot even be checked; above, it fails the
    // tag. The server's own datagram has no id the server knows: refused before any
    // cryptography, as a forgery.
    let cases: [(&[u8], DatagramError); 5] = [
        (&datagram, DatagramError::Replayed { seq }),
        (&forged, DatagramError::Forged),
        (&datagram[..20], DatagramError::Malformed),
        (&datagram[..40], DatagramError::Forged),
        (&own, DatagramError::Forged),
    ];
    for (bytes, expected) in cases {
        let attacker = addr("127.0.0.1:6666");
        assert_eq!(
            pair.server
                .handle_datagram(pair.now + ms(5), attacker, bytes),
            Err(expected)
        );
        assert_eq!(snapshot(&pair.server), before);
    }
    let after = pair.server.stats();
    assert_eq!(after.dropped_replayed, stats.dropped_replayed + 1);
    assert_eq!(after.dropped_forged, stats.dropped_forged + 3);
    assert_eq!(after.dropped_malformed, stats.dropped_malformed + 1);
    assert_eq!(after.rejected_diffs, 0);
    assert_eq!(after.datagrams_received, stats.datagrams_received + 5);
}

#[test]
fn datagrams_under_another_key_are_forged() {
    let mut pair = synced_server();
    let other_key = SessionKey::from_bytes([7; 16]);
    let mut stranger: Endpoint = Endpoint::new_client(
        &other_key,
        pair.server_addr,
        Log::default(),
        Log::default(),
        pair.now,
    );
    let datagram = stranger.poll_transmit(pair.now).unwrap().contents;
    let before = snapshot(&pair.server);
    let result = pair
        .server
        .handle_datagram(pair.now, addr("127.0.0.1:7"), &datagram);
    assert_eq!(result, Err(DatagramError::Forged));
    assert_eq!(snapshot(&pair.server), before);
}

#[test]
fn only_the_newest_authentic_datagram_moves_the_server() {
    let mut pair = synced_server();
    let [older, newer]: [Vec<u8>; 2] = next_client_datagrams(&mut pair, 2).try_into().unwrap();
    let roamed = addr("127.0.0.1:40001");
    let spoofed = addr("127.0.0.1:6666");
    pair.server
        .handle_datagram(pair.now, roamed, &newer)
        .unwrap();
    assert_eq!(pair.server.remote_addr(), Some(roamed));
    // Late but unseen: its contents count, its source address does not.
    pair.server
        .handle_datagram(pair.now, spoofed, &older)
        .unwrap();
    assert_eq!(pair.server.remote_addr(), Some(roamed));
    // Replays from anywhere are refused outright.
    for datagram in [&older, &newer] {
        let result = pair.server.handle_datagram(pair.now, spoofed, datagram);
        assert!(matches!(result, Err(DatagramError::Replayed { .. })));
    }
    assert_eq!(pair.server.remote_addr(), Some(roamed));
    assert_eq!(pair.server.stats().dropped_replayed, 2);
}

#[test]
fn datagrams_far_behind_the_newest_are_refused_even_if_unseen() {
    let mut pair = synced_server();
    let datagrams = next_client_datagrams(&mut pair, 70);
    let client = addr(sim::CLIENT);
    pair.server
        .handle_datagram(pair.now, client, &datagrams[69])
        .unwrap();
    let result = pair.server.handle_datagram(pair.now, client, &datagrams[0]);
    assert!(matches!(result, Err(DatagramError::Replayed { .. })));
    pair.server
        .handle_datagram(pair.now, client, &datagrams[10])
        .unwrap();
}

proptest! {
    #[test]
    fn random_datagrams_are_counted_and_change_nothing(
        datagrams in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..1300), 1..20),
    ) {
        let mut pair = synced_server();
        let before = snapshot(&pair.server);
        let stats = pair.server.stats().clone();
        for datagram in &datagrams {
            prop_assert!(pair.server.handle_datagram(pair.now, addr("127.0.0.1:9"), datagram).is_err());
        }
        prop_assert_eq!(snapshot(&pair.server), before);
        let after = pair.server.stats();
        prop_assert_eq!(dropped(after) - dropped(&stats), datagrams.len() as u64);
    }
}

/// An authentic datagram to the server, with any payload: what a buggy or newer client
/// with the right key could send.
fn authentic(seq: u64, payload: Vec<u8>) -> Vec<u8> {
    let cipher = Cipher::new(&sim::key(SEED));
    let packet = Packet {
        route: Route::ToServer(cipher.connection_id(0)),
        seq,
        timestamp: 0,
        timestamp_reply: None,
        payload,
    };
    packet.seal(&cipher)
}

fn whole_instruction(id: u64, bytes: Vec<u8>) -> Vec<u8> {
    let fragment = Fragment {
        instruction_id: id,
        number: 0,
        is_final: true,
        contents: bytes,
    };
    [&[moshmux_proto::packet::KIND_STATE][..], &fragment.encode()].concat()
}

#[test]
fn authentic_nonsense_is_counted_and_changes_nothing() {
    let mut pair = synced_server();
    let client = addr(sim::CLIENT);
    let base = pair.server.remote_state_num();
    let mut other_base = Log::default();
    other_base.push(999);
    let mut target = other_base.clone();
    target.push(1000);
    let bad_diffs = [vec![0xff; 5], target.diff_from(&other_base)];
    let before = snapshot(&pair.server);
    let stats = pair.server.stats().clone();

    let short = authentic(1_000, vec![1, 2, 3]);
    assert_eq!(
        pair.server.handle_datagram(pair.now, client, &short),
        Err(DatagramError::Malformed)
    );
    let garbage = authentic(1_001, whole_instruction(1 << 40, vec![9; 50]));
    let result = pair.server.handle_datagram(pair.now, client, &garbage);
    assert!(matches!(
        result,
        Err(DatagramError::BadInstruction(InstructionError::Malformed(
            _
        )))
    ));
    for (i, diff) in bad_diffs.into_iter().enumerate() {
        let instruction = Instruction {
            old_num: base,
            new_num: base + 100,
            ack_num: 0,
            throwaway_num: 0,
            diff,
            closing: false,
        };
        let i = i as u64;
        let datagram = authentic(
            1_002 + i,
            whole_instruction((1 << 40) + 1 + i, instruction.to_bytes()),
        );
        let result = pair.server.handle_datagram(pair.now, client, &datagram);
        assert!(
            matches!(result, Err(DatagramError::BadDiff(_))),
            "{result:?}"
        );
    }
    let after = pair.server.stats();
    assert_eq!(after.dropped_malformed, stats.dropped_malformed + 2);
    assert_eq!(after.rejected_diffs, stats.rejected_diffs + 2);
    // Authentic and newest, so the client was heard; but its state is untouched.
    let (state, num, remote, _) = snapshot(&pair.server);
    assert_eq!((state, num, remote), (before.0, before.1, before.2));
}

#[test]
fn another_protocol_version_is_a_sticky_fatal_error() {
    let mut pair = synced_server();
    let client = addr(sim::CLIENT);
    let future = codec::compress(&codec::encode(&(
        PROTOCOL_VERSION + 1,
        b"new shape".to_vec(),
    )));
    let datagram = authentic(1_000, whole_instruction(1 << 40, future));
    let fatal = ConnectionError::VersionMismatch {
        theirs: PROTOCOL_VERSION + 1,
    };
    assert_eq!(
        pair.server.handle_datagram(pair.now, client, &datagram),
        Err(DatagramError::Closed(fatal.clone()))
    );
    assert_eq!(pair.server.error(), Some(&fatal));
    assert_eq!(pair.server.handle_timeout(pair.now), Err(fatal.clone()));
    pair.server_push();
    assert_eq!(pair.server.poll_timeout(), None);
    assert_eq!(pair.server.poll_transmit(pair.now + ms(500)), None);
    let fresh = next_client_datagrams(&mut pair, 1).remove(0);
    assert_eq!(
        pair.server.handle_datagram(pair.now, client, &fresh),
        Err(DatagramError::Closed(fatal))
    );
}

proptest! {
    /// Authentic datagrams with any contents, and authentic instructions with any numbers
    /// and diffs, never panic the server; each one is either used or counted as dropped.
    #[test]
    fn authentic_garbage_never_panics(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..10),
        instructions in prop::collection::vec(
            (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), prop::collection::vec(any::<u8>(), 0..50), any::<bool>()),
            0..10,
        ),
    ) {
        let mut pair = synced_server();
        let client = addr(sim::CLIENT);
        let mut seq = 1_000;
        for payload in payloads {
            seq += 1;
            let _ = pair.server.handle_datagram(pair.now, client, &authentic(seq, payload));
        }
        for (i, (old_num, new_num, ack_num, throwaway_num, diff, closing)) in instructions.into_iter().enumerate() {
            seq += 1;
            let instruction = Instruction { old_num, new_num, ack_num, throwaway_num, diff, closing };
            let fragment = whole_instruction((1 << 40) + i as u64, instruction.to_bytes());
            let _ = pair.server.handle_datagram(pair.now, client, &authentic(seq, fragment));
            pair.server.handle_timeout(pair.now).unwrap();
            while pair.server.poll_transmit(pair.now).is_some() {}
        }
        pair.run_for(Duration::from_secs(5));
    }
}

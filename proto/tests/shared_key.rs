//! A second client started with the key of a first one (`moshmux connect` run again with
//! the same key): it must never seal under a nonce the first one used, and it must learn
//! at once that the server is synchronised with someone else, rather than wait forever.

mod sim;

use std::collections::HashSet;
use std::time::Instant;

use moshmux_proto::crypto::{Cipher, Direction};
use moshmux_proto::{Connection, DatagramError};
use sim::{addr, key, ms, Endpoint, Log, Pair};

const SEED: u64 = 21;

/// A pair that has worked for a while: the server has discarded states the client
/// acknowledged.
fn worked_pair() -> Pair {
    let mut pair = Pair::clean(SEED, ms(20));
    for _ in 0..5 {
        pair.client_push();
        pair.server_push();
        pair.run_for(ms(500));
    }
    assert!(pair.converged());
    pair
}

/// Delivers what `from` sends now to `to`, from `from_addr`; the results of each delivery.
fn deliver(
    from: &mut Endpoint,
    to: &mut Endpoint,
    from_addr: &str,
    now: Instant,
) -> Vec<Result<(), DatagramError>> {
    let mut results = Vec::new();
    while let Some(transmit) = from.poll_transmit(now) {
        results.push(to.handle_datagram(now, addr(from_addr), &transmit.contents));
    }
    results
}

fn nonce(datagram: &[u8]) -> u64 {
    let cipher = Cipher::new(&key(SEED));
    sim::seq(&cipher, Direction::ToServer, datagram)
}

/// Started from sequence 0, the second client's datagrams are replays to the server, which
/// drops them in silence (and the second one re-seals the first one's nonces). Started
/// above every number the first one used, it is heard, and the server's first answer
/// tells it that its key is in use.
#[test]
fn a_second_client_with_the_key_is_told_at_once_and_reuses_no_nonce() {
    let mut pair = worked_pair();
    let first_nonces: HashSet<u64> = pair.client_nonces.iter().copied().collect();
    let used = pair.client_nonces.iter().max().copied().unwrap();
    let second_addr = "127.0.0.1:40002";

    let mut from_zero: Endpoint = Connection::new_client(
        &key(SEED),
        addr(sim::SERVER),
        Log::default(),
        Log::default(),
        pair.now,
    );
    let mut sealed = Vec::new();
    while let Some(transmit) = from_zero.poll_transmit(pair.now) {
        sealed.push(nonce(&transmit.contents));
        let result = pair
            .server
            .handle_datagram(pair.now, addr(second_addr), &transmit.contents);
        assert!(matches!(result, Err(DatagramError::Replayed { .. })));
    }
    assert!(sealed.iter().all(|n| first_nonces.contains(n)));

    let mut second: Endpoint = Connection::new_client(
        &key(SEED),
        addr(sim::SERVER),
        Log::default(),
        Log::default(),
        pair.now,
    );
    second.skip_sequence_to(used + 1_000_000);
    let mut state = Log::default();
    state.push(99);
    second.set_local_state(state, pair.now);
    let mut now = pair.now;
    let mut told = false;
    for _ in 0..100 {
        while let Some(transmit) = second.poll_transmit(now) {
            assert!(!first_nonces.contains(&nonce(&transmit.contents)));
            // The server takes it as the newest, and answers the new address...
            pair.server
                .handle_datagram(now, addr(second_addr), &transmit.contents)
                .unwrap();
        }
        assert_eq!(pair.server.remote_addr(), Some(addr(second_addr)));
        // ... with states the second client never had.
        let results = deliver(&mut pair.server, &mut second, sim::SERVER, now);
        if results.contains(&Err(DatagramError::KeyInUse)) {
            told = true;
            break;
        }
        now = [second.poll_timeout(), pair.server.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        second.handle_timeout(now).unwrap();
        pair.server.handle_timeout(now).unwrap();
    }
    assert!(told, "the second client never learned its key is in use");
    assert!(
        now - pair.now <= ms(3_100),
        "told only after {:?}",
        now - pair.now
    );
    assert_eq!(second.stats().dropped_key_in_use, 1);
    // Nothing of the second client's reached the server's state.
    assert_eq!(pair.server.remote_state(), pair.client.local_state());
}

/// The first client is never mistaken for one whose key is in use, whatever the loss: the
/// sign (a peer that discarded states we never acknowledged) cannot happen in one pair.
#[test]
fn one_pair_never_sees_its_key_in_use_under_loss_and_reordering() {
    for seed in 0..20 {
        let mut link = sim::Link::clean(ms(50));
        link.loss = 0.3;
        link.jitter = ms(80);
        link.duplicate = 0.1;
        let mut pair = Pair::new(seed, link.clone(), link);
        for _ in 0..20 {
            pair.client_push();
            pair.server_push();
            pair.run_for(ms(300));
        }
        assert_eq!(pair.client.stats().dropped_key_in_use, 0, "seed {seed}");
        assert_eq!(pair.server.stats().dropped_key_in_use, 0, "seed {seed}");
    }
}

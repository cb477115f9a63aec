//! State Synchronization Protocol behaviour, end to end through two `Connection`s on a
//! simulated link and a virtual clock.

mod sim;

use std::time::Duration;

use moshmux_proto::sender::{ACK_DELAY, ACK_INTERVAL, SEND_MINDELAY};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::{ms, Link, Pair};

/// Pushes `count` items into one side, `gap` apart, and returns them.
fn push_many(pair: &mut Pair, on_client: bool, count: u64, gap: Duration) -> Vec<u64> {
    (0..count)
        .map(|_| {
            pair.run_for(gap);
            if on_client {
                pair.client_push()
            } else {
                pair.server_push()
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the link did while both sides were changing, once it heals both sides
    /// reach each other's newest state, no diff was ever applied to the wrong base (the
    /// Log state refuses that, and it would be counted), and the stream the server took
    /// piece by piece is exactly what the client typed, in order, without gaps or repeats.
    #[test]
    fn converges_after_any_loss_reordering_and_duplication(
        seed: u64,
        loss in 0.0..0.5f64,
        duplicate in 0.0..0.3f64,
        delay_ms in 1u64..200,
        jitter_ms in 0u64..300,
        edits in prop::collection::vec((any::<bool>(), 0u64..400), 1..60),
    ) {
        let link = Link { delay: ms(delay_ms), jitter: ms(jitter_ms), loss, duplicate, cut: false };
        let mut pair = Pair::new(seed, link.clone(), link);
        let mut typed = Vec::new();
        let mut taken = Vec::new();
        for (on_client, gap) in edits {
            pair.run_for(ms(gap));
            if on_client {
                typed.push(pair.client_push());
            } else {
                pair.server_push();
            }
            taken.extend_from_slice(pair.server.take_remote_update().items());
        }
        pair.heal();
        let deadline = pair.now + Duration::from_secs(60);
        prop_assert!(pair.run_until(deadline, Pair::converged));
        taken.extend_from_slice(pair.server.take_remote_update().items());
        prop_assert_eq!(taken, typed);
        prop_assert_eq!(pair.client.stats().rejected_diffs, 0);
        prop_assert_eq!(pair.server.stats().rejected_diffs, 0);
    }
}

#[test]
fn a_flood_of_changes_sends_far_fewer_states_than_were_made() {
    let mut pair = Pair::clean(1, ms(50));
    pair.run_for(Duration::from_secs(1));
    let before = pair.server.stats().instructions_sent;
    let made = 10_000;
    push_many(&mut pair, false, made, ms(1));
    let deadline = pair.now + Duration::from_secs(5);
    assert!(pair.run_until(deadline, Pair::converged));
    let sent = pair.server.stats().instructions_sent - before;
    // Two frames per round trip (100 ms) over 10 s is about 200 frames.
    assert!(sent < made / 20, "{sent} instructions for {made} states");
}

#[test]
fn the_server_sends_nothing_before_an_authentic_datagram() {
    let mut pair = Pair::clean(2, ms(10));
    assert_eq!(pair.server.remote_addr(), None);
    assert_eq!(pair.server.poll_timeout(), None);
    pair.server_push();
    assert_eq!(pair.server.poll_transmit(pair.now), None);
    let forged = vec![0x55; 100];
    let _ = pair
        .server
        .handle_datagram(pair.now, sim::addr("127.0.0.1:9"), &forged);
    assert_eq!(pair.server.remote_addr(), None);
    assert_eq!(pair.server.stats().dropped_forged, 1);
    pair.run_for(ms(100));
    assert_eq!(pair.server.remote_addr(), Some(sim::addr(sim::CLIENT)));
}

#[test]
fn the_server_follows_a_roaming_client() {
    let mut pair = Pair::clean(3, ms(30));
    pair.run_for(Duration::from_secs(1));
    pair.client_addr = sim::addr("127.0.0.1:40001");
    // Until the client sends from its new address, replies go to the old one and are lost.
    pair.client_push();
    let deadline = pair.now + Duration::from_secs(1);
    assert!(pair.run_until(deadline, Pair::converged));
    assert_eq!(pair.server.remote_addr(), Some(pair.client_addr));
    // An idle client is found again through its heartbeat alone.
    pair.client_addr = sim::addr("127.0.0.1:40002");
    pair.server_push();
    let deadline = pair.now + ACK_INTERVAL + ms(500);
    assert!(pair.run_until(deadline, Pair::converged));
    assert_eq!(pair.server.remote_addr(), Some(pair.client_addr));
}

#[test]
fn a_one_way_outage_costs_nothing_once_it_ends() {
    let mut pair = Pair::clean(4, ms(40));
    pair.run_for(Duration::from_secs(1));
    pair.to_client.cut = true;
    let typed = push_many(&mut pair, true, 1_200, ms(500));
    pair.heal();
    let deadline = pair.now + Duration::from_secs(10);
    assert!(pair.run_until(deadline, Pair::converged));
    assert_eq!(pair.server.take_remote_update().items(), typed);
}

#[test]
fn sequence_numbers_never_repeat() {
    let link = Link {
        delay: ms(20),
        jitter: ms(30),
        loss: 0.2,
        duplicate: 0.1,
        cut: false,
    };
    let mut pair = Pair::new(5, link.clone(), link);
    // Six hours of heartbeats, with bursts of typing and output every minute.
    for _ in 0..6 * 60 {
        push_many(&mut pair, true, 5, ms(10));
        push_many(&mut pair, false, 5, ms(10));
        pair.run_for(Duration::from_secs(60));
    }
    for nonces in [&pair.client_nonces, &pair.server_nonces] {
        assert!(nonces.len() > 5_000);
        assert!(nonces.windows(2).all(|w| w[0] < w[1]));
    }
    // Each datagram was read back as its own direction, which checks the direction bit
    // under the mask: the two directions' nonces never meet.
}

/// The timing rules, checked to the millisecond on a clean link with 50 ms one way.
#[test]
fn collection_delay_delayed_ack_and_heartbeat_are_exact() {
    let mut pair = Pair::clean(6, ms(50));
    let start = pair.now;
    pair.flush();
    assert_eq!(
        pair.client_nonces.len(),
        1,
        "the client's first heartbeat leaves at once"
    );
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.client.poll_timeout(), Some(start + ACK_INTERVAL));

    // The first state with content leaves at once: it has nothing to be gathered with.
    let first = pair.now;
    pair.client_push();
    assert_eq!(pair.client.poll_timeout(), Some(first));
    pair.run_for(Duration::from_secs(1));

    // Later changes wait the collection delay.
    let changed = pair.now;
    pair.client_push();
    assert_eq!(pair.client.poll_timeout(), Some(changed + SEND_MINDELAY));
    let sent = pair.client_nonces.len();
    pair.run_for(SEND_MINDELAY - ms(1));
    assert_eq!(pair.client_nonces.len(), sent);
    pair.run_for(ms(1));
    assert_eq!(pair.client_nonces.len(), sent + 1);

    // The server has nothing to send back, so it acknowledges after exactly ACK_DELAY.
    let arrives = changed + SEND_MINDELAY + ms(50);
    pair.run_until(arrives, |_| false);
    let server_sent = pair.server_nonces.len();
    assert_eq!(pair.server.poll_timeout(), Some(arrives + ACK_DELAY));
    pair.run_for(ACK_DELAY - ms(1));
    assert_eq!(pair.server_nonces.len(), server_sent);
    pair.run_for(ms(1));
    assert_eq!(pair.server_nonces.len(), server_sent + 1);

    // Acknowledged and idle: the next datagram is the heartbeat, ACK_INTERVAL after the last.
    pair.run_for(ms(60));
    assert_eq!(
        pair.client.poll_timeout(),
        Some(changed + SEND_MINDELAY + ACK_INTERVAL)
    );
}

/// More than a million datagrams, and no nonce tail twice: with the server cut off, the
/// client retransmits a large incompressible state (hundreds of fragments an attempt)
/// through an hour of virtual time.
#[test]
fn a_million_datagrams_never_repeat_a_nonce() {
    let mut pair = Pair::clean(9, ms(50));
    pair.to_server.cut = true;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut state = pair.client.local_state().clone();
    for _ in 0..100_000 {
        state.push(rng.random());
    }
    pair.client.set_local_state(state, pair.now);
    while pair.client_nonces.len() < 1_000_000 {
        pair.run_for(Duration::from_secs(60));
    }
    assert!(pair.client_nonces.windows(2).all(|w| w[0] < w[1]));
    assert!(pair.client.error().is_none());
}

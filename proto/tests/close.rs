//! The end of a session inside SSP: one side closes (its current state is its last), the
//! other acknowledges that state at once, and each side can tell when it may go. Swept
//! over many loss patterns on the simulated link.

mod sim;

use std::time::Duration;

use moshmux_proto::sender::ACK_DELAY;
use sim::{ms, Link, Pair};

const SEEDS: u64 = 500;

fn lossy(seed: u64) -> Link {
    Link {
        delay: ms(10 + seed % 190),
        jitter: ms(seed % 50),
        loss: (seed % 6) as f64 * 0.1,
        duplicate: (seed % 3) as f64 * 0.05,
        cut: false,
    }
}

/// The server's last state reaches the client under any loss, the client knows it is the
/// last, and its acknowledgement reaches the server, which then knows it may close.
#[test]
fn a_closing_servers_last_state_is_delivered_and_acknowledged_under_loss() {
    for seed in 0..SEEDS {
        let mut pair = Pair::new(seed, lossy(seed), lossy(seed.rotate_left(7)));
        pair.run_for(Duration::from_secs(1));
        pair.server_push();
        let last = pair.server_push();
        pair.server.close(pair.now);
        // Changes after the close are not sent.
        let mut state = pair.server.local_state().clone();
        state.push(u64::MAX);
        pair.server.set_local_state(state, pair.now);
        let deadline = pair.now + Duration::from_secs(120);
        let closed = pair.run_until(deadline, |p| p.server.close_acked());
        assert!(
            closed,
            "seed {seed}: the server never learnt its last state arrived"
        );
        assert!(pair.client.peer_closed(), "seed {seed}");
        assert!(pair.client.acked_peer_close(), "seed {seed}");
        assert_eq!(pair.client.remote_state(), pair.server.local_state());
        assert_eq!(pair.client.remote_state().items().last(), Some(&last));
        assert!(
            !pair.server.peer_closed(),
            "seed {seed}: the client did not close"
        );
    }
}

/// A client that closes with its last input (a detach) has it delivered and acknowledged.
#[test]
fn a_closing_clients_last_input_reaches_the_server_under_loss() {
    for seed in 0..SEEDS {
        let mut pair = Pair::new(seed, lossy(seed.rotate_left(3)), lossy(seed));
        pair.run_for(ms(500));
        let detach = pair.client_push();
        pair.client.close(pair.now);
        let deadline = pair.now + Duration::from_secs(120);
        assert!(
            pair.run_until(deadline, |p| p.client.close_acked()),
            "seed {seed}"
        );
        assert!(pair.server.peer_closed(), "seed {seed}");
        let taken = pair.server.take_remote_update();
        assert_eq!(taken.items().last(), Some(&detach), "seed {seed}");
    }
}

/// On a clean link the acknowledgement of a last state is not held back by the delayed-ack
/// wait: the closing side learns it within a round trip and the collection delay.
#[test]
fn the_last_state_is_acknowledged_at_once() {
    let delay = ms(50);
    let mut pair = Pair::clean(1, delay);
    pair.run_for(Duration::from_secs(2));
    pair.server_push();
    pair.server.close(pair.now);
    let start = pair.now;
    assert!(pair.run_until(start + Duration::from_secs(5), |p| p.server.close_acked()));
    let took = pair.now - start;
    assert!(
        took < 2 * delay + ACK_DELAY,
        "the acknowledgement took {took:?}, a delayed ack's time"
    );
}

/// Closing with nothing new to say still tells the peer: an instruction goes out at once.
#[test]
fn closing_an_unchanged_state_still_tells_the_peer() {
    let mut pair = Pair::clean(2, ms(20));
    pair.server_push();
    pair.run_for(Duration::from_secs(2));
    assert!(pair.server.local_acked());
    pair.server.close(pair.now);
    let deadline = pair.now + Duration::from_secs(1);
    assert!(pair.run_until(deadline, |p| p.client.peer_closed()
        && p.server.close_acked()));
}

//! Long outages on the simulated link with a virtual clock: while nothing gets through,
//! each side falls back to a heartbeat (plus one datagram per change it makes) instead
//! of retrying at full speed, and once the link returns both converge within seconds,
//! also when the client's address changed during the outage.

mod sim;

use std::time::Duration;

use moshmux_proto::sender::{ACK_INTERVAL, ACTIVE_RETRY_TIMEOUT, SEND_INTERVAL_MAX};
use sim::{ms, Pair};

/// Both sides make a change this often during the outage: typing and output that wait.
const CHANGE_EVERY: Duration = Duration::from_secs(10);

/// Datagrams each side sent during the outage.
struct OutageTraffic {
    /// In the first seconds, while the sender still retries at its send interval.
    early: [usize; 2],
    /// From then to the end of the outage.
    late: [usize; 2],
    late_span: Duration,
    late_changes: usize,
}

fn sent(pair: &Pair) -> [usize; 2] {
    [pair.client_nonces.len(), pair.server_nonces.len()]
}

fn since(now: [usize; 2], before: [usize; 2]) -> [usize; 2] {
    [now[0] - before[0], now[1] - before[1]]
}

/// Cuts both directions for `outage`, with a change on each side every CHANGE_EVERY;
/// `roam` moves the client to another address halfway through.
fn cut_for(pair: &mut Pair, outage: Duration, roam: bool) -> OutageTraffic {
    pair.to_server.cut = true;
    pair.to_client.cut = true;
    let start = sent(pair);
    let early_span = ACTIVE_RETRY_TIMEOUT + Duration::from_secs(5);
    let mut elapsed = Duration::ZERO;
    let mut early = None;
    let mut late_changes = 0;
    while elapsed < outage {
        pair.client_push();
        pair.server_push();
        if early.is_some() {
            late_changes += 1;
        }
        pair.run_for(CHANGE_EVERY);
        elapsed += CHANGE_EVERY;
        if roam && elapsed == outage / 2 {
            pair.client_addr = sim::addr("127.0.0.1:40999");
        }
        if early.is_none() && elapsed >= early_span {
            early = Some((sent(pair), elapsed));
        }
    }
    let (at_early, early_elapsed) = early.expect("the outage outlasts the retry phase");
    pair.heal();
    OutageTraffic {
        early: since(at_early, start),
        late: since(sent(pair), at_early),
        late_span: outage - early_elapsed,
        late_changes,
    }
}

fn assert_bounded(traffic: &OutageTraffic) {
    // A few a second while retrying (every RTO plus the ack delay, one per change)...
    let early_bound =
        (ACTIVE_RETRY_TIMEOUT + Duration::from_secs(5)).as_millis() / SEND_INTERVAL_MAX.as_millis();
    // ...then a heartbeat per ACK_INTERVAL and one datagram per change.
    let heartbeats = traffic.late_span.as_millis() / ACK_INTERVAL.as_millis();
    let late_bound = heartbeats as usize + traffic.late_changes + 2;
    for side in 0..2 {
        assert!(
            traffic.early[side] as u128 <= early_bound,
            "side {side}: {} datagrams while retrying",
            traffic.early[side]
        );
        assert!(
            traffic.late[side] <= late_bound,
            "side {side}: {} datagrams in {:?} of outage (bound {late_bound})",
            traffic.late[side],
            traffic.late_span
        );
    }
}

fn converges_after(pair: &mut Pair) {
    let deadline = pair.now + Duration::from_secs(10);
    assert!(
        pair.run_until(deadline, Pair::converged),
        "no convergence within 10 s of the link's return"
    );
}

#[test]
fn a_60_s_outage_costs_heartbeats_and_converges_after() {
    let mut pair = Pair::clean(60, ms(50));
    pair.run_for(Duration::from_secs(1));
    let traffic = cut_for(&mut pair, Duration::from_secs(60), false);
    assert_bounded(&traffic);
    converges_after(&mut pair);
}

#[test]
fn a_10_min_outage_with_a_roam_costs_heartbeats_and_converges_after() {
    let mut pair = Pair::clean(600, ms(50));
    pair.run_for(Duration::from_secs(1));
    let traffic = cut_for(&mut pair, Duration::from_secs(600), true);
    assert_bounded(&traffic);
    // A heartbeat every 3 s, not more: about 200 in ten minutes, plus the changes.
    assert!(
        traffic.late[0] >= 100,
        "the client fell silent: {:?}",
        traffic.late
    );
    converges_after(&mut pair);
    assert_eq!(pair.server.remote_addr(), Some(pair.client_addr));
}

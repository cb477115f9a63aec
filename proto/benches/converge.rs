//! How long SSP takes to bring a change across a lossy 200 ms round trip, in virtual time,
//! and what one convergence costs in CPU.
//!
//! The virtual-time figures are printed as plain lines (median and 90th percentile over
//! many seeds); criterion times the CPU work of one convergence on a clean link.

#[path = "../tests/sim/mod.rs"]
mod sim;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use sim::{ms, Link, Pair};

const ONE_WAY: Duration = Duration::from_millis(100);
const SEEDS: u64 = 300;
const GIVE_UP: Duration = Duration::from_secs(120);

fn settled_pair(seed: u64, loss: f64) -> Pair {
    let link = Link {
        loss,
        ..Link::clean(ONE_WAY)
    };
    let mut pair = Pair::new(seed, link.clone(), link);
    // Long enough for round-trip estimates to settle and both sides to be heard.
    pair.run_for(Duration::from_secs(5));
    pair
}

/// Virtual time from one change on one side until the other side holds it.
fn time_to_converge(seed: u64, loss: f64, from_client: bool) -> Duration {
    let mut pair = settled_pair(seed, loss);
    let start = pair.now;
    if from_client {
        pair.client_push();
    } else {
        pair.server_push();
    }
    let deadline = start + GIVE_UP;
    pair.run_until(deadline, |p| {
        if from_client {
            p.server.remote_state() == p.client.local_state()
        } else {
            p.client.remote_state() == p.server.local_state()
        }
    });
    pair.now - start
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

fn print_convergence_times() {
    println!(
        "SSP convergence after one change, {} ms round trip, {SEEDS} seeds:",
        2 * ONE_WAY.as_millis()
    );
    for loss in [0.0, 0.1, 0.3, 0.5] {
        for (from_client, what) in [(true, "keystroke -> server"), (false, "screen -> client")] {
            let mut times: Vec<Duration> = (0..SEEDS)
                .map(|seed| time_to_converge(seed, loss, from_client))
                .collect();
            times.sort();
            println!(
                "  loss {:>2.0}%  {what:<20} median {:>5} ms  p90 {:>5} ms  max {:>5} ms",
                loss * 100.0,
                percentile(&times, 0.5).as_millis(),
                percentile(&times, 0.9).as_millis(),
                times[times.len() - 1].as_millis(),
            );
        }
    }
}

fn cpu_cost(c: &mut Criterion) {
    c.bench_function("one convergence, clean 200 ms RTT (CPU)", |b| {
        b.iter_batched(
            || settled_pair(1, 0.0),
            |mut pair| {
                pair.server_push();
                let deadline = pair.now + ms(2_000);
                black_box(pair.run_until(deadline, Pair::converged))
            },
            BatchSize::LargeInput,
        )
    });
}

fn main() {
    print_convergence_times();
    let mut criterion = Criterion::default().configure_from_args();
    cpu_cost(&mut criterion);
    criterion.final_summary();
}

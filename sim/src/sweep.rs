//! Running a property over many seeds, and the links the seeds draw.
//!
//! `MOSHMUX_SIM_SEEDS=N` sweeps N seeds instead of a property's default (a long sweep by
//! hand, docs/simulation.md), from `MOSHMUX_SIM_FIRST_SEED` (default 0);
//! `MOSHMUX_SIM_SEED=S` runs the one seed S, to replay a failure. A failing seed is named
//! in the panic message.

use crate::{DirectionConfig, LinkConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// Runs `property` for each seed of the sweep.
pub fn sweep(default_seeds: u64, mut property: impl FnMut(u64)) {
    if let Some(seed) = env_number("MOSHMUX_SIM_SEED") {
        property(seed);
        return;
    }
    let seeds = env_number("MOSHMUX_SIM_SEEDS").unwrap_or(default_seeds);
    let first = env_number("MOSHMUX_SIM_FIRST_SEED").unwrap_or(0);
    for seed in first..first.saturating_add(seeds) {
        property(seed);
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

/// A link drawn from `seed`: round trips of 0 to 400 ms, loss of 0 to 40 % each way,
/// some jitter, reordering and duplication.
pub fn lossy_link(seed: u64) -> LinkConfig {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_1145);
    let one_way = Duration::from_millis(rng.random_range(0..200));
    let mut direction = || DirectionConfig {
        loss: rng.random_range(0..=40) as f64 / 100.0,
        delay: one_way,
        jitter: Duration::from_millis(rng.random_range(0..30)),
        reorder: rng.random_range(0..=10) as f64 / 100.0,
        duplicate: rng.random_range(0..=5) as f64 / 100.0,
        ..DirectionConfig::default()
    };
    LinkConfig {
        to_server: direction(),
        to_client: direction(),
        seed,
        blackouts: Vec::new(),
    }
}

/// The round trip and the worse loss of a link, to scale a time bound with.
pub fn harshness(link: &LinkConfig) -> (Duration, f64) {
    let rtt = link.to_server.delay + link.to_client.delay;
    (rtt, link.to_server.loss.max(link.to_client.loss))
}

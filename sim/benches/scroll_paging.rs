//! Prints how long a page of the scroll view takes to be whole after PageUp when the reader
//! pages quickly, on the simulator's virtual clock (so the figure is the protocol's and
//! the mux's, not this machine's load): PageUp, wait for a page with no `[loading]` row,
//! pause `BENCH_PAUSE_MS` (default 50), again, 40 times, at 200 ms round trip with 30 %
//! loss each way; median, p90 and max over `BENCH_RUNS` seeds (default 5).
//!
//! ```text
//! cargo bench -p moshmux-sim --bench scroll_paging
//! ```

use moshmux_sim::{ClientConfig, LinkConfig, Sim};
use std::time::Duration;

const PAGES: usize = 40;
const LINES: u64 = 5000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let pause = Duration::from_millis(env_number("BENCH_PAUSE_MS", 50));
    let runs = env_number("BENCH_RUNS", 5);
    let mut times = Vec::new();
    for seed in 0..runs {
        let link = LinkConfig::symmetric(Duration::from_millis(100), 0.3, seed);
        let mut sim = Sim::new(seed);
        let config = ClientConfig {
            scrollback_lines: 0,
            ..ClientConfig::default()
        };
        let client = sim.attach("work", &link, (80, 24), config);
        let screen = |sim: &Sim| sim.clients[client].terminal.screen();
        let ready = sim.run_until(sim.now + Duration::from_secs(60), |sim| {
            screen(sim)[0].starts_with('$')
        });
        assert!(ready, "seed {seed}: no prompt");
        sim.type_text(client, &format!("seq 1 {LINES}\r"));
        let flooded = sim.run_until(sim.now + Duration::from_secs(120), |sim| {
            screen(sim).iter().any(|l| *l == LINES.to_string())
        });
        assert!(flooded, "seed {seed}: the flood never ended");
        sim.type_text(client, "\x02[");
        sim.run_for(Duration::from_secs(2));
        for page in 0..PAGES {
            let before = screen(&sim);
            sim.type_text(client, "\x1b[5~");
            let pressed = sim.now;
            let whole = sim.run_until(pressed + Duration::from_secs(60), |sim| {
                let now = screen(sim);
                now != before && !now.iter().any(|row| row.contains("[loading]"))
            });
            assert!(whole, "seed {seed}: page {page} never loaded");
            times.push(sim.now - pressed);
            sim.run_for(pause);
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "scroll view, PageUp every {pause:?} after each whole page, 200 ms RTT, 30% loss each \
         way, {} pages over {runs} seeds (virtual time): median {:?}, p90 {:?}, max {:?}",
        times.len(),
        at(0.5),
        at(0.9),
        at(1.0)
    );
}

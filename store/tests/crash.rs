//! kill -9 of a process flooding the store, at random moments: after reopening, every
//! line appended more than a second before the kill is there, in order, with no gap
//! and no duplicate.

mod common;

use common::{assert_numbered, open};
use moshmux_proto::{LineNumber, PaneId};
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PANE: PaneId = PaneId(1);
const KILL_POINTS: usize = 5;
/// What the store promises survives a crash: lines older than this at the kill.
const DURABLE_AFTER: Duration = Duration::from_secs(1);

#[test]
fn lines_older_than_a_second_survive_kill_9_at_random_points() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("history");
    let seed: u64 = rand::rng().random();
    println!("seed {seed}");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut found_before = 0;
    for round in 0..KILL_POINTS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_moshmux-store-probe"))
            .arg("flood")
            .arg(&root)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // (when we read it, lines appended by then); reading is after appending, so a
        // line counted here was appended no later than the recorded instant.
        let progress: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::default();
        let reader = {
            let progress = Arc::clone(&progress);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(n) = line.strip_prefix("appended ").and_then(|n| n.parse().ok()) {
                        progress.lock().unwrap().push((Instant::now(), n));
                    }
                }
            })
        };
        // Wait for the flood to start, then kill at a random moment in it.
        common::wait_until("the flood to start", Duration::from_secs(20), || {
            !progress.lock().unwrap().is_empty()
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(200..2500)));
        let killed_at = Instant::now();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();

        let progress = progress.lock().unwrap();
        let last_reported = progress.last().map_or(0, |&(_, n)| n);
        let must_survive = progress
            .iter()
            .filter(|&&(at, _)| at + DURABLE_AFTER <= killed_at)
            .map(|&(_, n)| n)
            .max()
            .unwrap_or(0)
            .max(found_before);
        let store = open(&root);
        let found = store.info(PANE).map_or(0, |info| info.next_line.0);
        println!(
            "round {round}: {last_reported} appended by the kill, {must_survive} older than \
             {DURABLE_AFTER:?}, {found} found"
        );
        assert!(
            found >= must_survive,
            "lost lines: {found} < {must_survive}"
        );
        assert!(
            found <= last_reported + 1000,
            "more lines than were appended"
        );
        assert_eq!(store.info(PANE).unwrap().first_line, LineNumber(0));
        // Earlier rounds' lines were checked then; a reopen must not have disturbed them,
        // which the whole-history check of the last round shows.
        let from = if round + 1 == KILL_POINTS {
            0
        } else {
            found_before
        };
        assert_numbered(&store, PANE, from..found);
        found_before = found;
    }
}

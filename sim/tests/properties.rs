//! The lossy-link and lifecycle promises, each checked over many seeds in the whole-system
//! simulator: the real mux and store, real client cores drawing into terminal models,
//! links drawn by the emulator's schedule, all on a virtual clock. Each seed draws its own
//! link (round trip 0-400 ms, loss 0-40 % each way, jitter, reordering, duplication) and
//! its own timings. `MOSHMUX_SIM_SEED=S` replays one seed; `MOSHMUX_SIM_SEEDS=N` sweeps N.

use moshmux_proto::PaneId;
use moshmux_server::control::{Request, SessionRef, Target};
use moshmux_sim::sweep::{harshness, lossy_link, sweep};
use moshmux_sim::{ClientConfig, Exit, LinkConfig, Sim};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// Seeds each property sweeps in the test suite.
const SEEDS: u64 = 1000;
const SIZE: (u16, u16) = (80, 24);
/// Rows the pane gets: all but the status line.
const PANE_ROWS: usize = 23;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A time bound that grows with the link's round trip and loss: `base` plus `round_trips`
/// round trips, each stretched by the loss (a lost datagram costs about a retransmission
/// timeout, at most a second).
fn bound(link: &LinkConfig, base: Duration, round_trips: u32) -> Duration {
    let (rtt, loss) = harshness(link);
    let per_trip = rtt.max(Duration::from_millis(50)) + Duration::from_secs(1).mul_f64(loss);
    base + per_trip * round_trips
}

/// The lines the pane shows or showed from the first `seq` output on, as numbers; a
/// line that is not a number ends them.
fn numbers(lines: &[String]) -> Vec<Option<u64>> {
    lines.iter().map(|line| line.trim().parse().ok()).collect()
}

fn attach(sim: &mut Sim, link: &LinkConfig, config: ClientConfig) -> usize {
    let client = sim.attach("work", link, SIZE, config);
    let deadline = sim.now + bound(link, Duration::from_secs(20), 40);
    let prompt = sim.run_until(deadline, |sim| {
        sim.clients[client].terminal.screen()[0].starts_with('$')
    });
    assert!(prompt, "seed {}: the prompt never showed", sim.seed);
    client
}

/// After a flood in one pane that fills the window, the user's terminal holds every line
/// of it, in order: each line either written or accounted for by the one marker that
/// says how many were skipped, which precedes the newest lines. Bound: 10 s plus 60
/// round trips, each stretched by a second times the loss.
#[test]
fn native_scrollback_delivers_every_line_after_a_flood_in_order_after_one_true_marker() {
    sweep(SEEDS, |seed| {
        let mut rng = rng(seed);
        let link = lossy_link(seed);
        let lines: u64 = rng.random_range(100..4000);
        let mut sim = Sim::new(seed);
        let client = attach(&mut sim, &link, ClientConfig::default());
        sim.type_text(client, &format!("seq 1 {lines}\r"));
        let limit = bound(&link, Duration::from_secs(10), 60);
        let deadline = sim.now + limit;
        let whole = |sim: &mut Sim| {
            let everything = sim.clients[client].terminal.everything();
            flood_in_terminal(&everything, lines).is_ok()
        };
        sim.run_until_every(deadline, Duration::from_millis(200), whole);
        let everything = sim.clients[client].terminal.everything();
        if let Err(problem) = flood_in_terminal(&everything, lines) {
            panic!(
                "seed {seed}: {lines} lines, link {link:?}: after {limit:?}, {problem}; the terminal ends:\n{}",
                tail(&everything, 40)
            );
        }
    });
}

/// Whether the terminal holds everything the pane showed, in order: the command line,
/// the numbers 1..=lines and the prompt after them, each line either written or counted
/// by the one marker that may stand for a run of them; if not, what is wrong.
fn flood_in_terminal(everything: &[String], lines: u64) -> Result<(), String> {
    let mut expected: Vec<String> = vec![format!("$ seq 1 {lines}")];
    expected.extend((1..=lines).map(|n| n.to_string()));
    expected.push("$".to_owned());
    // The rows the client scrolled away when it took the window come first, blank.
    let written = everything.iter().skip_while(|line| line.is_empty());
    let mut at = 0;
    let mut markers = 0;
    for line in written {
        if at == expected.len() {
            break;
        }
        if let Some(skipped) = marker_count(line) {
            markers += 1;
            at += skipped as usize;
            if at >= expected.len() {
                return Err(format!(
                    "a marker skips {skipped} lines, past the flood's end"
                ));
            }
        } else if line.trim_end() == expected[at] {
            at += 1;
        } else {
            return Err(format!(
                "{:?} stands where {:?} belongs",
                line, expected[at]
            ));
        }
    }
    if at < expected.len() {
        return Err(format!("the terminal stops before {:?}", expected[at]));
    }
    if markers > 1 {
        return Err(format!("{markers} markers"));
    }
    Ok(())
}

fn marker_count(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("[moshmux: ")?;
    rest.split(' ').next()?.parse().ok()
}

fn tail(lines: &[String], count: usize) -> String {
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// Paging up through a flood's history in the scroll view, every page, once its lines
/// arrived, shows consecutive lines, and its top row is the line the status line names.
#[test]
fn the_scroll_view_shows_the_right_lines_on_every_page() {
    sweep(SEEDS, |seed| {
        let mut rng = rng(seed);
        let link = lossy_link(seed);
        let lines: u64 = rng.random_range(200..3000);
        let mut sim = Sim::new(seed);
        let config = ClientConfig {
            scrollback_lines: 0,
            ..ClientConfig::default()
        };
        let client = attach(&mut sim, &link, config);
        sim.type_text(client, &format!("seq 1 {lines}\r"));
        let deadline = sim.now + bound(&link, Duration::from_secs(10), 60);
        let flooded = sim.run_until(deadline, |sim| {
            let screen = sim.clients[client].terminal.screen();
            screen.iter().any(|l| *l == lines.to_string())
        });
        assert!(flooded, "seed {seed}: the flood's end never showed");
        sim.type_text(client, "\x02[");
        for page in 0..rng.random_range(1..12) {
            if rng.random_bool(0.8) {
                sim.type_text(client, "\x1b[5~");
            } else {
                sim.type_text(client, "k");
            }
            let deadline = sim.now + bound(&link, Duration::from_secs(5), 30);
            let loaded = sim.run_until(deadline, |sim| {
                let screen = sim.clients[client].terminal.screen();
                !screen.iter().any(|row| row.contains("[loading]"))
            });
            let screen = sim.clients[client].terminal.screen();
            assert!(
                loaded,
                "seed {seed}: page {page} never loaded:\n{}",
                screen.join("\n")
            );
            check_page(seed, page, &screen);
        }
    });
}

/// The page's rows are consecutive view lines, and the top row is the one the status
/// line numbers: view line 1 is the command line, line L (L >= 2) shows `L - 1`.
fn check_page(seed: u64, page: usize, screen: &[String]) {
    let status = &screen[screen.len() - 1];
    let top_line: u64 = status
        .split("line ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("seed {seed}: no position on the status line: {status}"));
    for (row, text) in screen[..PANE_ROWS].iter().enumerate() {
        let line = top_line + row as u64;
        if line == 1 {
            assert!(
                text.starts_with("$ seq 1"),
                "seed {seed}: page {page}: {text}"
            );
        } else if let Ok(number) = text.trim().parse::<u64>() {
            assert_eq!(number, line - 1, "seed {seed}: page {page}, row {row}");
        } else {
            // The flood's end: the prompt, then the blank rest of the screen.
            assert!(
                text.starts_with('$') || text.is_empty(),
                "seed {seed}: page {page}, row {row}: {text}"
            );
        }
    }
}

/// A detach is registered by the server under any loss, also right after a flood, while
/// the attach-time history fetch is in flight; the next attach is counted once.
#[test]
fn detach_and_reattach_are_registered_under_any_loss() {
    sweep(SEEDS, |seed| {
        let mut rng = rng(seed);
        let link = lossy_link(seed);
        let mut sim = Sim::new(seed);
        let client = attach(&mut sim, &link, ClientConfig::default());
        if rng.random_bool(0.7) {
            let lines: u64 = rng.random_range(30..3000);
            sim.type_text(client, &format!("seq 1 {lines}\r"));
            sim.run_for(Duration::from_millis(rng.random_range(0..600)));
        }
        sim.type_text(client, "\x02d");
        let deadline = sim.now + Duration::from_secs(5);
        sim.run_until(deadline, |sim| sim.clients[client].exit.is_some());
        let exit = sim.clients[client].exit.clone();
        assert!(
            matches!(exit, Some(Exit::Detached { .. })),
            "seed {seed}: the client ended with {exit:?}"
        );
        // However the acknowledgement fared, the server counts the client gone once its
        // detach arrived, or once it stops hearing from it (the reattach reclaims it).
        let again = sim.attach("work", &link, SIZE, ClientConfig::default());
        let deadline = sim.now + bound(&link, Duration::from_secs(20), 40);
        let counted_once = sim.run_until_every(deadline, Duration::from_millis(100), |sim| {
            let ls = sim
                .request(Request::ListSessions(Default::default()))
                .unwrap_or_default();
            ls.contains("(1 attached)")
        });
        let ls = sim
            .request(Request::ListSessions(Default::default()))
            .unwrap_or_default();
        assert!(
            counted_once,
            "seed {seed}: after a detach and a reattach: {ls}"
        );
        assert!(sim.clients[again].exit.is_none(), "seed {seed}");
    });
}

/// After a blackout of up to a minute, with a roam in the middle and output meanwhile,
/// the client's screen becomes the server's within a bound once the link returns.
#[test]
fn the_client_converges_to_the_servers_screen_after_any_blackout_and_roam() {
    sweep(SEEDS, |seed| {
        let mut rng = rng(seed);
        let link = lossy_link(seed);
        let mut sim = Sim::new(seed);
        let client = attach(&mut sim, &link, ClientConfig::default());
        let outage = Duration::from_millis(rng.random_range(500..60_000));
        sim.blackout(client, outage);
        sim.run_for(outage / 3);
        sim.roam(client);
        let typed = format!("echo during-{seed}");
        let keys = Request::SendKeys(moshmux_server::control::SendKeys {
            target: Some(Target::session(SessionRef::Name("work".into()))),
            keys: vec![typed, "Enter".into()],
            literal: false,
        });
        sim.request(keys).expect("send-keys");
        sim.run_for(outage - outage / 3);
        let deadline = sim.now + bound(&link, Duration::from_secs(15), 40);
        let converged = sim.run_until_every(deadline, Duration::from_millis(100), |sim| {
            same_screen(sim, client)
        });
        let ours = sim.clients[client].terminal.screen();
        let theirs = sim.server_screen("work");
        assert!(
            converged,
            "seed {seed}: after a {outage:?} outage the client shows\n{}\nthe server\n{theirs}",
            ours.join("\n")
        );
    });
}

/// Whether the client's pane rows are the server's screen of the pane.
fn same_screen(sim: &mut Sim, client: usize) -> bool {
    let ours = sim.clients[client].terminal.screen();
    let theirs = sim.server_screen("work");
    let theirs: Vec<&str> = theirs.lines().collect();
    ours.len() > PANE_ROWS
        && (0..PANE_ROWS).all(|row| ours[row] == theirs.get(row).copied().unwrap_or(""))
}

/// Whatever step the server dies at, during or after a flood, its successor holds the
/// pane's history exactly as it stood (nothing lost, nothing twice), followed by the rest
/// of the pane's last saved screen, continuing the numbering.
#[test]
fn no_history_line_is_lost_or_duplicated_across_a_server_crash() {
    sweep(SEEDS, |seed| {
        let mut rng = rng(seed);
        let link = lossy_link(seed);
        let mut sim = Sim::new(seed);
        let client = attach(&mut sim, &link, ClientConfig::default());
        let lines: u64 = rng.random_range(10..5000);
        sim.type_text(client, &format!("seq 1 {lines}\r"));
        sim.run_for(Duration::from_millis(rng.random_range(0..3000)));
        let before = sim.history(PaneId(0));
        sim.crash_server();
        sim.run_for(Duration::from_millis(rng.random_range(0..2000)));
        sim.restart_server();
        let after = sim.history(PaneId(0));
        assert!(
            after.starts_with(&before),
            "seed {seed}: history changed across the crash: {} lines before, {} after",
            before.len(),
            after.len()
        );
        let recovered = &after[before.len()..];
        assert!(recovered.len() <= PANE_ROWS, "seed {seed}");
        // The recovered screen continues the numbering where history stopped.
        let mut previous = numbers(&before).last().copied().flatten();
        for line in numbers(recovered).into_iter().flatten() {
            if let Some(previous) = previous {
                assert_eq!(
                    line,
                    previous + 1,
                    "seed {seed}: the recovered screen skips"
                );
            }
            previous = Some(line);
        }
    });
}

/// Typing with prediction on, over any link, never leaves a character on screen that the
/// server's screen does not have once it has arrived.
#[test]
fn prediction_never_leaves_a_wrong_character_once_the_servers_screen_arrived() {
    sweep(SEEDS, |seed| {
        let mut rng = rng(seed);
        let link = lossy_link(seed);
        let mut sim = Sim::new(seed);
        let config = ClientConfig {
            predict: moshmux_client::cli::Predict::Always,
            ..ClientConfig::default()
        };
        let client = attach(&mut sim, &link, config);
        let words = ["echo hello", "echo wörld", "ls", "echo a  b", "xyz"];
        for _ in 0..rng.random_range(1..4) {
            let word = words[rng.random_range(0..words.len())];
            for key in word.chars() {
                sim.type_text(client, &key.to_string());
                sim.run_for(Duration::from_millis(rng.random_range(0..300)));
            }
            if rng.random_bool(0.3) {
                sim.type_text(client, "\x7f");
            }
            sim.type_text(client, "\r");
            sim.run_for(Duration::from_millis(rng.random_range(0..500)));
        }
        let deadline = sim.now + bound(&link, Duration::from_secs(15), 40);
        let converged = sim.run_until_every(deadline, Duration::from_millis(100), |sim| {
            same_screen(sim, client)
        });
        let ours = sim.clients[client].terminal.screen();
        assert!(
            converged,
            "seed {seed}: the client shows\n{}\nthe server\n{}",
            ours.join("\n"),
            sim.server_screen("work")
        );
    });
}

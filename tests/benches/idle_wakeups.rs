//! Prints how often an idle attached session wakes its programs up, moshmux beside mosh
//! in one run: `moshmux attach` (local, no host) and `mosh-server new` + `mosh-client`
//! on localhost, each in its own 80x24 outer tmux showing an idle shell prompt. Over the
//! same window of wall time it counts the context switches (voluntary and not, every
//! thread) and CPU time of the server side (the daemon; mosh-server) and of the client.
//! A laptop on battery pays for every wake-up, so idle should cost what mosh costs.
//!
//! ```text
//! cargo build --release -p moshmux
//! cargo bench -p moshmux-tests --bench idle_wakeups
//! ```
//! `MOSHMUX_IDLE_SECS=N` sets the window (default 60). Needs tmux and mosh.

mod common;

use std::time::{Duration, Instant};

use common::{
    env_number, moshmux_beside_mosh, quoted, release_binary, shows_prompt, time_until, MoshServer,
    SHELL_ENV,
};
use moshmux_tests::harness::{Daemon, Tmux};

const TIMEOUT: Duration = Duration::from_secs(30);
/// Start-up traffic (the first screen, native scrollback, prediction's probes) settles
/// before the window opens.
const SETTLE: Duration = Duration::from_secs(5);

/// Context switches of every thread of `pid`, and its CPU seconds.
fn wakeups_and_cpu(pid: u32) -> (u64, f64) {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap_or_else(|e| panic!("process {pid} is gone: {e}"));
    let switches = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|line| line.contains("ctxt_switches:"))
                .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum();
    (switches, common::tree_cpu_seconds(pid as i32))
}

/// One program's figures over the window.
struct Idle {
    switches: u64,
    cpu: f64,
}

/// Counts what each of `pids` does from now for `window`.
fn measure(pids: &[u32], window: Duration) -> Vec<Idle> {
    let before: Vec<(u64, f64)> = pids.iter().map(|&pid| wakeups_and_cpu(pid)).collect();
    std::thread::sleep(window);
    pids.iter()
        .zip(before)
        .map(|(&pid, (switches, cpu))| {
            let (switches_after, cpu_after) = wakeups_and_cpu(pid);
            Idle {
                switches: switches_after - switches,
                cpu: cpu_after - cpu,
            }
        })
        .collect()
}

fn started(tmux: &Tmux, what: &str) {
    if time_until(tmux, Instant::now(), TIMEOUT, shows_prompt).is_none() {
        panic!("{what} showed no prompt within {TIMEOUT:?}");
    }
}

fn main() {
    if !moshmux_beside_mosh() {
        return;
    }
    let window = Duration::from_secs(env_number("MOSHMUX_IDLE_SECS", 60));
    let client = quoted(&release_binary("moshmux"));

    let daemon = Daemon::new();
    let dir = daemon.dir().to_str().expect("a UTF-8 temp dir").to_owned();
    let mut env = vec![("MOSHMUX_DIR", dir.as_str())];
    env.extend(SHELL_ENV);
    let moshmux = Tmux::start(80, 24, &format!("exec {client} attach"), &env);
    started(&moshmux, "moshmux attach");

    let mosh = MoshServer::start();
    let key = mosh.key.clone();
    let mut mosh_env: Vec<(&str, &str)> = vec![("MOSH_KEY", key.as_str())];
    mosh_env.extend(SHELL_ENV);
    let mosh_client = Tmux::start(
        80,
        24,
        &format!("exec mosh-client 127.0.0.1 {}", mosh.port),
        &mosh_env,
    );
    started(&mosh_client, "mosh-client");
    std::thread::sleep(SETTLE);

    let pids = [
        daemon.pid(),
        moshmux.pane_pid(),
        mosh.pid as u32,
        mosh_client.pane_pid(),
    ];
    let figures = measure(&pids, window);
    let minutes = window.as_secs_f64() / 60.0;
    println!(
        "idle attached session, {} s window, one run (per minute; CPU in ms per minute)",
        window.as_secs()
    );
    println!(
        "{:<26}{:>10}{:>8}{:>18}",
        "program", "wake-ups", "CPU ms", "wake-ups vs mosh"
    );
    let rows = [
        ("moshmux-server (daemon)", &figures[0], &figures[2]),
        ("moshmux attach (client)", &figures[1], &figures[3]),
        ("mosh-server", &figures[2], &figures[2]),
        ("mosh-client", &figures[3], &figures[3]),
    ];
    for (name, idle, peer) in rows {
        let ratio = idle.switches as f64 / peer.switches.max(1) as f64;
        println!(
            "{name:<26}{:>10.1}{:>8.1}{:>17.2}x",
            idle.switches as f64 / minutes,
            idle.cpu * 1e3 / minutes,
            ratio
        );
    }
}

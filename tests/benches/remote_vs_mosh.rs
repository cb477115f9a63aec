//! Prints, side by side with mosh 1.4 through the same link emulator settings, what
//! `seq 1 200000` costs in an 80x24 client terminal: the time from pressing Enter until
//! the client's screen shows the final `200000` and the prompt after it, the bytes each
//! way and the datagrams to the client, which shows how often its screen moved (the
//! emulator's counters, as sent, lost datagrams included), the CPU seconds of the
//! server's process tree and of the client, and their resident memory afterwards.
//!
//! ```text
//! cargo build --release -p moshmux
//! cargo bench -p moshmux-tests --bench remote_vs_mosh
//! ```
//! `BENCH_CELLS=200/30,0/0` picks cells (RTT ms / loss %; default all of 0 and 200 ms
//! RTT with 0, 10 and 30% loss), `BENCH_RUNS=N` repeats each (default 1; medians).
//! Needs mosh (`mosh-server`, `mosh-client`) and tmux.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{
    client_through_link, emulator_runtime, env_number, moshmux_beside_mosh, quoted, release_binary,
    shows_prompt, time_until, tree_cpu_seconds, tree_rss_mib, MoshServer,
};
use moshmux_tests::harness::Daemon;
use moshmux_tests::netem::{DirectionConfig, LinkConfig};

const COMMAND: &str = "seq 1 200000";
/// Connecting through 30% loss can take several round trips of retries.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone, Copy)]
struct Cell {
    rtt_ms: u64,
    loss_percent: u64,
}

impl Cell {
    /// The link of run `run`: each run draws its own losses, so a median over runs is not
    /// one loss pattern's luck; mosh and moshmux get the same seed in the same run.
    fn link(self, run: u64) -> LinkConfig {
        let direction = DirectionConfig {
            loss: self.loss_percent as f64 / 100.0,
            delay: Duration::from_millis(self.rtt_ms / 2),
            ..DirectionConfig::default()
        };
        LinkConfig {
            to_server: direction.clone(),
            to_client: direction,
            seed: run,
            blackouts: Vec::new(),
        }
    }
}

/// One run's figures, in table order.
type Figures = [f64; 8];
const COLUMNS: [&str; 8] = [
    "time s",
    "cli pkts",
    "to cli kB",
    "to srv kB",
    "srv CPU s",
    "cli CPU s",
    "srv MiB",
    "cli MiB",
];

/// A server waiting for its client: where it listens, the client's command line for a
/// given port, and the environment that carries the key.
struct Server {
    /// Stops the server when dropped.
    _stop_on_drop: Box<dyn std::any::Any>,
    addr: SocketAddr,
    pid: i32,
    client: Box<dyn Fn(u16) -> String>,
    env: Vec<(&'static str, String)>,
}

fn mosh_server() -> Server {
    let mosh = MoshServer::start();
    Server {
        addr: SocketAddr::from(([127, 0, 0, 1], mosh.port)),
        pid: mosh.pid,
        client: Box::new(|port| format!("exec mosh-client 127.0.0.1 {port}")),
        env: vec![("MOSH_KEY", mosh.key.clone())],
        _stop_on_drop: Box::new(mosh),
    }
}

/// `client_flags` go to `moshmux connect`: the bench also runs it without native
/// scrollback, whose lines (fetched over the history channel after a flood) mosh lacks.
fn moshmux_server(client_flags: &'static str) -> Server {
    let daemon = Daemon::new();
    let out = daemon.ok(&["new", "-s", "bench", "--bind", "127.0.0.1", "--", "sh"]);
    let (port, key) = match out.split_whitespace().collect::<Vec<_>>()[..] {
        ["MOSHMUX", "CONNECT", port, key, _version] => {
            (port.parse().expect("a port number"), key.to_owned())
        }
        _ => panic!("not a MOSHMUX CONNECT line: {out:?}"),
    };
    let lock = std::fs::read_to_string(daemon.dir().join("server.lock")).expect("lock file");
    let client = quoted(&release_binary("moshmux"));
    Server {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        pid: lock
            .trim()
            .parse()
            .expect("the daemon's pid in its lock file"),
        client: Box::new(move |port| {
            format!("exec {client} connect 127.0.0.1 {port}{client_flags}")
        }),
        env: vec![("MOSHMUX_KEY", key)],
        _stop_on_drop: Box::new(daemon),
    }
}

/// The last number, and the prompt on the line after it.
fn finished(screen: &str) -> bool {
    let lines: Vec<&str> = screen.lines().collect();
    lines
        .windows(2)
        .any(|pair| pair[0] == "200000" && pair[1].starts_with('$'))
}

fn measure(
    runtime: &tokio::runtime::Runtime,
    cell: Cell,
    run: u64,
    server: Server,
) -> Option<Figures> {
    let (netem, tmux) = client_through_link(
        runtime,
        server.addr,
        cell.link(run),
        (80, 24),
        |port| (server.client)(port),
        &server.env,
    );
    time_until(&tmux, Instant::now(), CONNECT_TIMEOUT, shows_prompt)?;
    tmux.send_literal(COMMAND);
    let typed = format!("$ {COMMAND}");
    time_until(&tmux, Instant::now(), CONNECT_TIMEOUT, |s| {
        s.contains(&typed)
    })?;

    let client_pid = tmux.pane_pid() as i32;
    let bytes_before = netem.counters();
    let server_cpu = tree_cpu_seconds(server.pid);
    let client_cpu = tree_cpu_seconds(client_pid);
    let start = Instant::now();
    tmux.send_keys(&["Enter"]);
    let elapsed = time_until(&tmux, start, RUN_TIMEOUT, finished)?;
    let bytes = netem.counters();
    let figures = [
        elapsed.as_secs_f64(),
        (bytes.to_client.sent.packets - bytes_before.to_client.sent.packets) as f64,
        (bytes.to_client.sent.bytes - bytes_before.to_client.sent.bytes) as f64 / 1e3,
        (bytes.to_server.sent.bytes - bytes_before.to_server.sent.bytes) as f64 / 1e3,
        tree_cpu_seconds(server.pid) - server_cpu,
        tree_cpu_seconds(client_pid) - client_cpu,
        tree_rss_mib(server.pid),
        tree_rss_mib(client_pid),
    ];
    // The server stops first, while its client is there to acknowledge the shutdown.
    drop(server);
    drop(tmux);
    Some(figures)
}

/// Each column's median over the runs that finished.
fn medians(runs: &[Figures]) -> Option<Figures> {
    if runs.is_empty() {
        return None;
    }
    let mut out = [0.0; 8];
    for (column, slot) in out.iter_mut().enumerate() {
        let mut values: Vec<f64> = runs.iter().map(|run| run[column]).collect();
        values.sort_by(f64::total_cmp);
        *slot = values[values.len() / 2];
    }
    Some(out)
}

fn cells() -> Vec<Cell> {
    let all = || {
        [0, 200]
            .into_iter()
            .flat_map(|rtt_ms| {
                [0, 10, 30].map(|loss_percent| Cell {
                    rtt_ms,
                    loss_percent,
                })
            })
            .collect()
    };
    let Ok(list) = std::env::var("BENCH_CELLS") else {
        return all();
    };
    list.split(',')
        .map(|item| {
            let parsed = item.trim().split_once('/').and_then(|(rtt, loss)| {
                Some(Cell {
                    rtt_ms: rtt.parse().ok()?,
                    loss_percent: loss.trim_end_matches('%').parse().ok()?,
                })
            });
            parsed.unwrap_or_else(|| {
                eprintln!("BENCH_CELLS takes RTT_MS/LOSS_PERCENT items, e.g. 0/0,200/30");
                std::process::exit(2);
            })
        })
        .collect()
}

fn print_row(rtt: &str, loss: &str, program: &str, figures: Option<&Figures>) {
    print!("{rtt:>5} {loss:>4}  {program:<8}");
    match figures {
        // A ratio to nothing (0 CPU ticks) shows as a dash.
        Some(figures) => figures.iter().for_each(|value| {
            if value.is_finite() {
                print!("{value:>10.2}");
            } else {
                print!("{:>10}", "-");
            }
        }),
        None => print!("{:>10}", "timed out"),
    }
    println!();
}

fn main() {
    if !moshmux_beside_mosh() {
        return;
    }
    let runs: usize = env_number("BENCH_RUNS", 1);
    let runtime = emulator_runtime();

    println!(
        "`{COMMAND}` in an 80x24 client terminal through the link emulator, median of {runs} \
         run(s); bytes as sent, lost datagrams included"
    );
    print!("{:>5} {:>4}  {:<8}", "RTT", "loss", "program");
    COLUMNS.iter().for_each(|name| print!("{name:>10}"));
    println!();
    for cell in cells() {
        let mut mosh_runs = Vec::new();
        let mut moshmux_runs = Vec::new();
        let mut screen_only_runs = Vec::new();
        for run in 0..runs as u64 {
            mosh_runs.extend(measure(&runtime, cell, run, mosh_server()));
            moshmux_runs.extend(measure(&runtime, cell, run, moshmux_server("")));
            screen_only_runs.extend(measure(
                &runtime,
                cell,
                run,
                moshmux_server(" --scrollback-lines 0"),
            ));
        }
        let mosh = medians(&mosh_runs);
        let rtt = format!("{}ms", cell.rtt_ms);
        let loss = format!("{}%", cell.loss_percent);
        print_row(&rtt, &loss, "mosh", mosh.as_ref());
        for (name, runs) in [("moshmux", &moshmux_runs), ("  sb=0", &screen_only_runs)] {
            let figures = medians(runs);
            print_row("", "", name, figures.as_ref());
            if let (Some(mosh), Some(figures)) = (mosh, figures) {
                let ratio: Figures = std::array::from_fn(|i| figures[i] / mosh[i]);
                print_row("", "", "  ratio", Some(&ratio));
            }
        }
    }
}

//! Prints how long a page of scrollback takes to show after PageUp (median, p90 and max
//! over 20 pages) and the bytes sent each way while scrolling: moshmux's scroll view
//! (prefix [) beside today's workaround, tmux inside mosh 1.4 scrolled with tmux's
//! copy-mode (prefix [), through the link emulator at 0 ms, 200 ms RTT with 10% loss and
//! 200 ms RTT with 30% loss each way.
//!
//! ```text
//! cargo build --release -p moshmux
//! cargo bench -p moshmux-tests --bench scroll_vs_tmux_mosh
//! ```
//! Both run `seq 1 3000` in an 80x24 terminal, open their scroll mode, go up a page
//! untimed, then time 20 PageUps: from `tmux send-keys` to the first `capture-pane` (every
//! 10 ms, the resolution) whose 23 pane rows are a new, whole page (consecutive numbers
//! above the previous page's). A reader pauses `BENCH_PAUSE_MS` (default 300) on each
//! page, as a person skimming does; the bytes are everything the emulator saw from the
//! first timed PageUp to the last page shown. Needs mosh (`mosh-server`, `mosh-client`)
//! and tmux.

mod common;

use std::cell::Cell;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{
    client_through_link, emulator_runtime, env_number, moshmux_beside_mosh, percentile, quoted,
    release_binary, shows_prompt, time_until, MoshServer,
};
use moshmux_tests::harness::Daemon;
use moshmux_tests::netem::LinkConfig;

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// Rows of the page both show: all but their status line.
const PAGE_ROWS: usize = ROWS as usize - 1;
const PAGES: usize = 20;
const LINES: u64 = 3000;
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// A server waiting for its client: where it listens, the client's command line with
/// PORT for the emulator's port, the environment that carries the key, and the command
/// that starts the multiplexer whose scrolling is measured (none: the client is one).
struct Server {
    /// Stops the server when dropped.
    _stop_on_drop: Box<dyn std::any::Any>,
    addr: SocketAddr,
    client: String,
    env: Vec<(&'static str, String)>,
    inner_tmux: Option<String>,
}

fn moshmux_server() -> Server {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("bench");
    Server {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        client: format!(
            "exec {} connect 127.0.0.1 PORT",
            quoted(&release_binary("moshmux"))
        ),
        env: vec![("MOSHMUX_KEY", key)],
        inner_tmux: None,
        _stop_on_drop: Box::new(daemon),
    }
}

fn mosh_tmux_server() -> Server {
    let mosh = MoshServer::start();
    Server {
        addr: SocketAddr::from(([127, 0, 0, 1], mosh.port)),
        client: "exec mosh-client 127.0.0.1 PORT".to_owned(),
        env: vec![("MOSH_KEY", mosh.key.clone())],
        inner_tmux: Some(format!("scroll-bench-{}", std::process::id())),
        _stop_on_drop: Box::new(mosh),
    }
}

type StartServer = fn() -> Server;
const PROGRAMS: [(&str, StartServer); 2] =
    [("moshmux", moshmux_server), ("mosh+tmux", mosh_tmux_server)];

/// An empty prompt: `$` from PS1, or root's `#` that /etc/profile sets for the login
/// shell tmux starts.
fn is_prompt(row: &str) -> bool {
    row == "$" || row == "#"
}

/// The number a row starts with.
fn number(row: &str) -> Option<u64> {
    row.split_whitespace().next()?.parse().ok()
}

/// The top line's number when the pane rows show a whole page of `seq` output (tmux's
/// copy-mode puts its position at the right of the top row, after the number).
fn page_top(screen: &str) -> Option<u64> {
    let rows: Vec<&str> = screen.lines().take(PAGE_ROWS).collect();
    let top = number(rows.first()?)?;
    let whole = rows.len() == PAGE_ROWS
        && (0u64..)
            .zip(&rows)
            .all(|(i, row)| number(row) == Some(top + i));
    whole.then_some(top)
}

/// The tmux server run inside mosh, by socket name; killed on drop.
struct InnerTmux(String);

impl Drop for InnerTmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .output();
    }
}

/// Milliseconds each page took, and (to server, to client) bytes while scrolling.
struct Figures {
    pages: Vec<f64>,
    bytes: (u64, u64),
}

fn measure(
    runtime: &tokio::runtime::Runtime,
    link: LinkConfig,
    pause: Duration,
    server: Server,
) -> Option<Figures> {
    let (netem, tmux) = client_through_link(
        runtime,
        server.addr,
        link,
        (COLS, ROWS),
        |port| server.client.replace("PORT", &port.to_string()),
        &server.env,
    );
    time_until(&tmux, Instant::now(), SETUP_TIMEOUT, shows_prompt)?;
    // Its server outlives mosh-server, which does not wait for it: stopped on every exit.
    let _inner = server.inner_tmux.clone().map(InnerTmux);
    if let Some(socket) = &server.inner_tmux {
        tmux.send_literal(&format!("exec tmux -L {socket} -f /dev/null new -s bench"));
        tmux.send_keys(&["Enter"]);
        time_until(&tmux, Instant::now(), SETUP_TIMEOUT, |s| {
            s.lines()
                .next()
                .is_some_and(|row| is_prompt(row.trim_end()))
        })?;
    }
    tmux.send_literal(&format!("seq 1 {LINES}"));
    tmux.send_keys(&["Enter"]);
    time_until(&tmux, Instant::now(), SETUP_TIMEOUT, |s| {
        let rows: Vec<&str> = s.lines().map(str::trim_end).collect();
        rows.windows(2)
            .any(|pair| pair[0] == LINES.to_string() && is_prompt(pair[1]))
    })?;
    tmux.send_keys(&["C-b", "["]);
    std::thread::sleep(pause);
    tmux.send_keys(&["PPage"]);
    let seen = Cell::new(None);
    time_until(&tmux, Instant::now(), PAGE_TIMEOUT, |s| {
        seen.set(page_top(s));
        seen.get().is_some()
    })?;
    let mut top = seen.get()?;
    std::thread::sleep(pause);

    let before = netem.counters();
    let mut pages = Vec::with_capacity(PAGES);
    for _ in 0..PAGES {
        let start = Instant::now();
        tmux.send_keys(&["PPage"]);
        let shown = time_until(&tmux, start, PAGE_TIMEOUT, |s| {
            seen.set(page_top(s).filter(|&t| t < top));
            seen.get().is_some()
        })?;
        pages.push(shown.as_secs_f64() * 1e3);
        top = seen.get()?;
        std::thread::sleep(pause);
    }
    let after = netem.counters();
    // The server stops first, while its client is there to acknowledge the shutdown.
    drop(server);
    drop(tmux);
    Some(Figures {
        pages,
        bytes: (
            after.to_server.sent.bytes - before.to_server.sent.bytes,
            after.to_client.sent.bytes - before.to_client.sent.bytes,
        ),
    })
}

fn main() {
    if !moshmux_beside_mosh() {
        return;
    }
    let pause = Duration::from_millis(env_number("BENCH_PAUSE_MS", 300));
    let runtime = emulator_runtime();

    println!(
        "PageUp to the page on screen, {PAGES} pages of {PAGE_ROWS} rows over `seq 1 {LINES}`, \
         80x24, {} ms on each page (10 ms capture steps)",
        pause.as_millis()
    );
    println!(
        "{:<16} {:<10} {:>9} {:>7} {:>7} {:>10} {:>10}",
        "link", "program", "median ms", "p90 ms", "max ms", "to srv kB", "to cli kB"
    );
    for (rtt_ms, loss_percent) in [(0u64, 0u64), (200, 10), (200, 30)] {
        for (program, server) in PROGRAMS {
            let link = LinkConfig::symmetric(
                Duration::from_millis(rtt_ms / 2),
                loss_percent as f64 / 100.0,
                7,
            );
            let label = format!("{rtt_ms} ms, {loss_percent}%");
            match measure(&runtime, link, pause, server()) {
                Some(Figures { mut pages, bytes }) => {
                    pages.sort_by(f64::total_cmp);
                    println!(
                        "{label:<16} {program:<10} {:>9.0} {:>7.0} {:>7.0} {:>10.1} {:>10.1}",
                        percentile(&pages, 0.5),
                        percentile(&pages, 0.9),
                        pages.last().copied().unwrap_or(f64::NAN),
                        bytes.0 as f64 / 1e3,
                        bytes.1 as f64 / 1e3,
                    );
                }
                None => println!("{label:<16} {program:<10} {:>9}", "timed out"),
            }
        }
    }
}

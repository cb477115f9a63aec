//! Prints, for a `moshmux connect -L` forward through the link emulator at 50 and 200 ms
//! RTT and 0, 1 and 5 % loss each way: the time to the last byte and the throughput of
//! a bulk transfer to a TCP sink behind the daemon, and the keystroke echo latency
//! (median and p90, prediction off) while the transfer runs.
//!
//! ```text
//! cargo build --release -p moshmux-server -p moshmux
//! cargo bench -p moshmux-tests --bench forward_throughput
//! ```
//! `BENCH_MB=N` sets the transfer's size (default 50), `BENCH_KEYS=N` the keys timed.
//! `ssh -L` beside it needs a TCP-level lossy link, which the userspace emulator (UDP)
//! is not and kernel netem is absent here; see the issue's closing note.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::{
    client_through_link, emulator_runtime, env_number, percentile, quoted, release_binary,
    shows_prompt, time_until,
};
use moshmux_tests::harness::Daemon;
use moshmux_tests::netem::LinkConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
const KEY_TIMEOUT: Duration = Duration::from_secs(20);

fn link(rtt_ms: u64, loss_percent: u64) -> LinkConfig {
    LinkConfig::symmetric(
        Duration::from_millis(rtt_ms / 2),
        loss_percent as f64 / 100.0,
        31,
    )
}

/// A TCP server that reads one connection to its end; it tells when the last byte
/// came, and how many came.
async fn sink() -> (u16, oneshot::Receiver<(Instant, usize)>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (done, finished) = oneshot::channel();
    tokio::spawn(async move {
        let (mut connection, _) = listener.accept().await.unwrap();
        let mut buffer = vec![0u8; 256 << 10];
        let (mut total, mut last) = (0, Instant::now());
        while let Ok(len) = connection.read(&mut buffer).await {
            if len == 0 {
                break;
            }
            total += len;
            last = Instant::now();
        }
        let _ = done.send((last, total));
    });
    (port, finished)
}

struct Figures {
    seconds: f64,
    megabytes_per_second: f64,
    /// Keystroke echo before the transfer, then during it: (median, p90) in ms.
    idle_keys: (f64, f64),
    busy_keys: (f64, f64),
}

/// Types `keys` keys one at a time after `line`, each once the previous one showed;
/// the (median, p90) of their echo times in ms.
fn time_keys(
    tmux: &moshmux_tests::harness::Tmux,
    line: &mut String,
    keys: usize,
) -> Option<(f64, f64)> {
    let mut latencies = Vec::with_capacity(keys);
    for i in 0..keys {
        let key = char::from(b'a' + (i % 26) as u8).to_string();
        line.push_str(&key);
        let typed = Instant::now();
        tmux.send_literal(&key);
        let shown = time_until(tmux, typed, KEY_TIMEOUT, |s| {
            s.lines().any(|l| l.starts_with(line.as_str()))
        })?;
        latencies.push(shown.as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(100));
    }
    latencies.sort_by(f64::total_cmp);
    Some((percentile(&latencies, 0.5), percentile(&latencies, 0.9)))
}

fn measure(
    runtime: &tokio::runtime::Runtime,
    (rtt_ms, loss): (u64, u64),
    bytes: usize,
    keys: usize,
) -> Option<Figures> {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("bench");
    let (sink_port, finished) = runtime.block_on(sink());
    let local = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let client = quoted(&release_binary("moshmux"));
    let (_link, tmux) = client_through_link(
        runtime,
        SocketAddr::from(([127, 0, 0, 1], port)),
        link(rtt_ms, loss),
        (80, 24),
        |port| {
            format!(
                "exec {client} connect 127.0.0.1 {port} --predict never -L {local}:127.0.0.1:{sink_port}"
            )
        },
        &[("MOSHMUX_KEY", key)],
    );
    time_until(&tmux, Instant::now(), CONNECT_TIMEOUT, shows_prompt)?;
    let mut line = "$ e".to_owned();
    tmux.send_literal("e");
    time_until(&tmux, Instant::now(), CONNECT_TIMEOUT, |s| {
        s.lines().any(|l| l.starts_with(&line))
    })?;
    let idle_keys = time_keys(&tmux, &mut line, keys)?;
    let start = Instant::now();
    let sending = runtime.spawn(async move {
        let mut connection = TcpStream::connect((Ipv4Addr::LOCALHOST, local)).await?;
        let chunk = vec![0x5a; 1 << 20];
        let mut left = bytes;
        while left > 0 {
            let len = left.min(chunk.len());
            connection.write_all(&chunk[..len]).await?;
            left -= len;
        }
        connection.shutdown().await
    });
    let busy_keys = time_keys(&tmux, &mut line, keys)?;
    let (last, total) = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(900), finished).await })
        .ok()?
        .ok()?;
    runtime.block_on(sending).ok()?.ok()?;
    if total != bytes {
        eprintln!("the sink got {total} of {bytes} bytes");
        return None;
    }
    let seconds = last.duration_since(start).as_secs_f64();
    Some(Figures {
        seconds,
        megabytes_per_second: bytes as f64 / 1e6 / seconds,
        idle_keys,
        busy_keys,
    })
}

fn main() {
    let megabytes: usize = env_number("BENCH_MB", 50);
    let keys: usize = env_number("BENCH_KEYS", 20);
    let runtime = emulator_runtime();
    println!("moshmux -L, {megabytes} MB to a TCP sink behind the daemon, prediction off");
    println!("keys: echo median / p90 in ms, before the transfer -> during it");
    println!(
        "{:>6} {:>5} {:>12} {:>8} {:>24}",
        "RTT", "loss", "last byte s", "MB/s", "keys idle -> busy"
    );
    for rtt in [50, 200] {
        for loss in [0, 1, 5] {
            match measure(&runtime, (rtt, loss), megabytes << 20, keys) {
                Some(f) => println!(
                    "{:>4}ms {:>4}% {:>12.2} {:>8.2} {:>9.0}/{:<4.0} -> {:>4.0}/{:<4.0}",
                    rtt,
                    loss,
                    f.seconds,
                    f.megabytes_per_second,
                    f.idle_keys.0,
                    f.idle_keys.1,
                    f.busy_keys.0,
                    f.busy_keys.1
                ),
                None => println!("{rtt:>4}ms {loss:>4}%  failed (see above)"),
            }
        }
    }
}

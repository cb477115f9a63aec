//! Prints, for a `moshmux connect -L` forward and an `ssh -L` forward side by side, at
//! 50 and 200 ms RTT and 0, 1 and 5 % loss each way: the time to the last byte and the
//! throughput of a bulk transfer to a TCP sink on the far side, and the keystroke echo
//! latency (median and p90; moshmux's prediction off) before and while it runs.
//!
//! ```text
//! cargo build --release -p moshmux
//! cargo bench -p moshmux-tests --bench forward_throughput
//! ```
//! Both cross the same lossy IP link ([`IpLink`]): two network namespaces joined by TUN
//! devices and the UDP emulator's own schedule, as `ssh` speaks TCP and kernel netem is
//! missing here. The host side runs the moshmux daemon, a real OpenSSH `sshd` and the
//! sink; the client side runs the client (in tmux) and the sender. Each program gets a
//! fresh link with the same seed, so both meet the same sequence of fates.
//!
//! Needs root (namespaces, `/dev/net/tun`), tmux, `ip` (Debian's `iproute2`), `ssh`
//! and `sshd` (`openssh-client`, `openssh-server`).
//! `BENCH_MB=N` sets the transfer's size (default 50), `BENCH_KEYS=N` the keys timed,
//! `BENCH_RTT=50,200` and `BENCH_LOSS=0,1,5` the conditions (these are the defaults),
//! `BENCH_CAP_S=N` how long one transfer may run (default 300 s): past it the row shows
//! what arrived by then, marked `>`. `BENCH_TCP_CC=cubic` sets TCP's congestion control
//! on both sides of the link (default: the machine's, `sysctl
//! net.ipv4.tcp_congestion_control`), which decides how `ssh -L` copes with loss: BBR
//! does not take random loss for congestion, CUBIC and Reno do.

mod common;

use std::net::{Ipv4Addr, TcpListener as StdListener, TcpStream as StdStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{env_list, env_number, first_key, median_p90, quoted, release_binary, time_keys};
use moshmux_tests::harness::{Daemon, Tmux};
use moshmux_tests::iplink::{IpLink, Netns, HOST_ADDR};
use moshmux_tests::netem::LinkConfig;
use moshmux_tests::sshd::{Sshd, SshdOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
const KEY_TIMEOUT: Duration = Duration::from_secs(20);
/// Between timed keys, so the keys sample the whole transfer rather than its start.
const KEY_PAUSE: Duration = Duration::from_millis(100);
const SEED: u64 = 31;

#[derive(Clone, Copy, PartialEq)]
enum Program {
    Moshmux,
    Ssh,
}

impl Program {
    fn name(self) -> &'static str {
        match self {
            Program::Moshmux => "moshmux",
            Program::Ssh => "ssh -L",
        }
    }
}

fn link(rtt_ms: u64, loss_percent: u64) -> LinkConfig {
    LinkConfig::symmetric(
        Duration::from_millis(rtt_ms / 2),
        loss_percent as f64 / 100.0,
        SEED,
    )
}

/// Bytes the sink has read so far and when the last of them came.
type Progress = Arc<Mutex<(usize, Instant)>>;

/// A TCP server on the host side's loopback that reads one connection to its end.
fn sink(runtime: &tokio::runtime::Runtime, host: &Netns) -> (u16, Progress) {
    let listener = host
        .run(|| StdListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .unwrap()
        .unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let progress: Progress = Arc::new(Mutex::new((0, Instant::now())));
    let seen = Arc::clone(&progress);
    let _inside = runtime.enter();
    let listener = TcpListener::from_std(listener).unwrap();
    runtime.spawn(async move {
        let Ok((mut connection, _)) = listener.accept().await else {
            return;
        };
        let mut buffer = vec![0u8; 256 << 10];
        while let Ok(len) = connection.read(&mut buffer).await {
            if len == 0 {
                break;
            }
            let mut seen = seen.lock().unwrap();
            seen.0 += len;
            seen.1 = Instant::now();
        }
    });
    (port, progress)
}

/// Writes `bytes` into the forward's local port on the client side, then closes.
fn send(
    runtime: &tokio::runtime::Runtime,
    client: &Netns,
    local: u16,
    bytes: usize,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    let connection = client
        .run(|| StdStream::connect((Ipv4Addr::LOCALHOST, local)))
        .unwrap()
        .unwrap();
    connection.set_nonblocking(true).unwrap();
    let _inside = runtime.enter();
    let mut connection = TcpStream::from_std(connection).unwrap();
    runtime.spawn(async move {
        let chunk = vec![0x5a; 1 << 20];
        let mut left = bytes;
        while left > 0 {
            let len = left.min(chunk.len());
            connection.write_all(&chunk[..len]).await?;
            left -= len;
        }
        connection.shutdown().await
    })
}

/// The server side of `program` on the host side, and its client in a tmux window on
/// the client side with `-L local:127.0.0.1:sink_port`; the first holds the server
/// until dropped.
fn start(
    program: Program,
    link: &IpLink,
    local: u16,
    sink_port: u16,
) -> (Box<dyn std::any::Any>, Tmux) {
    let forward = format!("-L {local}:127.0.0.1:{sink_port}");
    let env = [("LANG", "C.UTF-8"), ("LC_ALL", "C.UTF-8")];
    match program {
        Program::Moshmux => {
            let daemon = Daemon::new();
            let host = HOST_ADDR.to_string();
            let (port, key) = link
                .host()
                .run(|| daemon.new_client(&["--bind", &host, "-s", "bench", "--", "sh"]))
                .unwrap();
            let client = quoted(&release_binary("moshmux"));
            let command =
                format!("exec {client} connect {HOST_ADDR} {port} --predict never {forward}");
            let mut env = env.to_vec();
            env.push(("MOSHMUX_KEY", &key));
            let tmux = link
                .client()
                .run(|| Tmux::start(80, 24, &command, &env))
                .unwrap();
            (Box::new(daemon), tmux)
        }
        Program::Ssh => {
            let options = SshdOptions {
                listen: vec![HOST_ADDR.into()],
                tcp_forwarding: true,
            };
            let sshd = link.host().run(|| Sshd::start_with(options)).unwrap();
            // An interactive `sh` with the prompt the keys look for, as moshmux's panes.
            let command = format!(
                "exec {} -t {forward} {} \"PS1='\\$ ' exec sh -i\"",
                sshd.ssh_command(&sshd.remote_home()),
                sshd.destination()
            );
            let tmux = link
                .client()
                .run(|| Tmux::start(80, 24, &command, &env))
                .unwrap();
            (Box::new(sshd), tmux)
        }
    }
}

struct Figures {
    seconds: f64,
    megabytes_per_second: f64,
    /// Whether every byte arrived before the cap; if not, the figures cover what did.
    complete: bool,
    /// Keystroke echo before the transfer, then during it: (median, p90) in ms.
    idle_keys: (f64, f64),
    busy_keys: (f64, f64),
}

fn measure(
    runtime: &tokio::runtime::Runtime,
    program: Program,
    (rtt_ms, loss): (u64, u64),
    (bytes, keys, cap): (usize, usize, Duration),
) -> Option<Figures> {
    let link = IpLink::start(runtime.handle(), link(rtt_ms, loss)).unwrap();
    if let Ok(algorithm) = std::env::var("BENCH_TCP_CC") {
        link.set_congestion_control(&algorithm).unwrap();
    }
    let (sink_port, progress) = sink(runtime, link.host());
    let local = link
        .client()
        .run(|| StdListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr())
        .unwrap()
        .unwrap()
        .port();
    let (server, tmux) = start(program, &link, local, sink_port);
    let mut line = first_key(&tmux, CONNECT_TIMEOUT)?;
    let idle = time_keys(&tmux, &mut line, keys, KEY_PAUSE, KEY_TIMEOUT)?;
    let start = Instant::now();
    let sending = send(runtime, link.client(), local, bytes);
    let busy = time_keys(&tmux, &mut line, keys, KEY_PAUSE, KEY_TIMEOUT)?;
    let (got, last) = loop {
        let (got, last) = *progress.lock().unwrap();
        if got >= bytes || start.elapsed() > cap {
            break (got, last);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    sending.abort();
    drop(tmux);
    drop(server);
    if got == 0 {
        eprintln!("{}: no byte reached the sink", program.name());
        return None;
    }
    let seconds = last.duration_since(start).as_secs_f64();
    Some(Figures {
        seconds,
        megabytes_per_second: got as f64 / 1e6 / seconds,
        complete: got >= bytes,
        idle_keys: median_p90(idle),
        busy_keys: median_p90(busy),
    })
}

fn row(condition: &str, program: Program, figures: &Option<Figures>) {
    let Some(f) = figures else {
        println!("{condition} {:<8} failed (see above)", program.name());
        return;
    };
    let mark = if f.complete { ' ' } else { '>' };
    println!(
        "{condition} {:<8} {mark}{:>10.2} {:>8.3} {:>9.0}/{:<4.0} -> {:>4.0}/{:<4.0}",
        program.name(),
        f.seconds,
        f.megabytes_per_second,
        f.idle_keys.0,
        f.idle_keys.1,
        f.busy_keys.0,
        f.busy_keys.1
    );
}

fn main() {
    let megabytes: usize = env_number("BENCH_MB", 50);
    let keys: usize = env_number("BENCH_KEYS", 20);
    let cap = Duration::from_secs(env_number("BENCH_CAP_S", 300));
    release_binary("moshmux-server");
    release_binary("moshmux");
    // One worker, so the link and the sink never compete for more than one core.
    let runtime = common::emulator_runtime();
    println!(
        "-L forward, {megabytes} MiB to a TCP sink on the far side of one IP link \
         (TUN + the emulator's schedule); moshmux prediction off"
    );
    println!("MB/s: 10^6 bytes per second; keys: echo median / p90 in ms, before the transfer -> during it");
    let congestion = std::env::var("BENCH_TCP_CC").unwrap_or_else(|_| {
        std::fs::read_to_string("/proc/sys/net/ipv4/tcp_congestion_control")
            .unwrap_or_default()
            .trim()
            .to_owned()
    });
    println!("TCP congestion control on the link: {congestion}");
    println!("> : the transfer was stopped after {cap:?}; figures cover what arrived");
    println!(
        "{:>6} {:>5} {:<8} {:>11} {:>8} {:>24}",
        "RTT", "loss", "program", "last byte s", "MB/s", "keys idle -> busy"
    );
    let plan = (megabytes << 20, keys, cap);
    let losses = env_list("BENCH_LOSS", &[0, 1, 5]);
    for rtt in env_list("BENCH_RTT", &[50, 200]) {
        for &loss in &losses {
            let condition = format!("{rtt:>4}ms {loss:>4}%");
            let moshmux = measure(&runtime, Program::Moshmux, (rtt, loss), plan);
            row(&condition, Program::Moshmux, &moshmux);
            let ssh = measure(&runtime, Program::Ssh, (rtt, loss), plan);
            row(&condition, Program::Ssh, &ssh);
            if let (Some(m), Some(s)) = (&moshmux, &ssh) {
                println!(
                    "{condition} moshmux/ssh: MB/s x{:.2}, busy key p50 x{:.2}",
                    m.megabytes_per_second / s.megabytes_per_second,
                    m.busy_keys.0 / s.busy_keys.0
                );
            }
        }
    }
}

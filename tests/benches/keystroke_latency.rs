//! Prints keystroke-to-screen latency (median and p90 over 50 keys) of `moshmux connect`
//! beside mosh 1.4, both with prediction adaptive and never, through the link emulator at
//! 200 ms RTT with 0, 10 and 30% loss each way.
//!
//! ```text
//! cargo build --release -p moshmux
//! cargo bench -p moshmux-tests --bench keystroke_latency
//! ```
//! A key's latency runs from `tmux send-keys` to the first `capture-pane` that shows it
//! (captures every 10 ms, so that is the resolution). Each key waits for the previous
//! one to show. The first key after the prompt is typed and echoed before measuring, as
//! both programs draw nothing early until the shell proved to echo.
//! `BENCH_LOSS=0,30` picks the loss rates, `BENCH_KEYS=N` the number of keys.
//! Needs mosh (`mosh-server`, `mosh-client`) and tmux.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{
    client_through_link, emulator_runtime, env_list, env_number, first_key, median_p90,
    moshmux_beside_mosh, quoted, release_binary, time_keys, MoshServer,
};
use moshmux_tests::harness::Daemon;
use moshmux_tests::netem::{DirectionConfig, LinkConfig};

const RTT: Duration = Duration::from_millis(200);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// One key through 30% loss can take several retransmissions.
const KEY_TIMEOUT: Duration = Duration::from_secs(20);

fn link(loss_percent: u64) -> LinkConfig {
    let direction = DirectionConfig {
        loss: loss_percent as f64 / 100.0,
        delay: RTT / 2,
        ..DirectionConfig::default()
    };
    LinkConfig {
        to_server: direction.clone(),
        to_client: direction,
        seed: 11,
        blackouts: Vec::new(),
    }
}

/// A server waiting for its client, and the client's command line and environment.
struct Server {
    /// Stops the server when dropped.
    _stop_on_drop: Box<dyn std::any::Any>,
    addr: SocketAddr,
    client: String,
    env: Vec<(&'static str, String)>,
}

fn mosh_server(mode: &str) -> Server {
    let mosh = MoshServer::start();
    Server {
        addr: SocketAddr::from(([127, 0, 0, 1], mosh.port)),
        client: "exec mosh-client 127.0.0.1 PORT".to_owned(),
        // What `mosh --predict=MODE` sets for mosh-client.
        env: vec![
            ("MOSH_KEY", mosh.key.clone()),
            ("MOSH_PREDICTION_DISPLAY", mode.to_owned()),
        ],
        _stop_on_drop: Box::new(mosh),
    }
}

fn moshmux_server(mode: &str) -> Server {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("bench");
    let client = quoted(&release_binary("moshmux"));
    Server {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        client: format!("exec {client} connect 127.0.0.1 PORT --predict {mode}"),
        env: vec![("MOSHMUX_KEY", key)],
        _stop_on_drop: Box::new(daemon),
    }
}

/// The programs compared, and how to start a server for each with a prediction mode.
type StartServer = fn(&str) -> Server;
const PROGRAMS: [(&str, StartServer); 2] = [("mosh", mosh_server), ("moshmux", moshmux_server)];

/// Each key's latency in ms, or `None` if the session never came up or a key never
/// showed.
fn measure(
    runtime: &tokio::runtime::Runtime,
    loss: u64,
    keys: usize,
    server: Server,
) -> Option<Vec<f64>> {
    let (_link, tmux) = client_through_link(
        runtime,
        server.addr,
        link(loss),
        (80, 24),
        |port| server.client.replace("PORT", &port.to_string()),
        &server.env,
    );
    let mut line = first_key(&tmux, CONNECT_TIMEOUT)?;
    let latencies = time_keys(&tmux, &mut line, keys, Duration::ZERO, KEY_TIMEOUT)?;
    // The server stops first, while its client is there to acknowledge the shutdown.
    drop(server);
    drop(tmux);
    Some(latencies)
}

fn main() {
    if !moshmux_beside_mosh() {
        return;
    }
    let keys: usize = env_number("BENCH_KEYS", 50);
    let losses = env_list("BENCH_LOSS", &[0, 10, 30]);
    let runtime = emulator_runtime();

    println!(
        "keystroke to screen, {keys} keys, {} ms RTT, 80x24 client in tmux (10 ms capture steps)",
        RTT.as_millis()
    );
    println!(
        "{:>5}  {:<8} {:<9} {:>10} {:>10}",
        "loss", "program", "predict", "median ms", "p90 ms"
    );
    for loss in losses {
        for mode in ["adaptive", "never"] {
            for (program, server) in PROGRAMS {
                let figures = measure(&runtime, loss, keys, server(mode)).map(median_p90);
                let loss = format!("{loss}%");
                match figures {
                    Some((median, p90)) => {
                        println!("{loss:>5}  {program:<8} {mode:<9} {median:>10.0} {p90:>10.0}")
                    }
                    None => println!("{loss:>5}  {program:<8} {mode:<9} {:>10}", "timed out"),
                }
            }
        }
    }
}

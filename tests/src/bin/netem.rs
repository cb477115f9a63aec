//! `moshmux-netem`: runs the link emulator between a client and a UDP server, for trying
//! moshmux (or mosh) by hand over a bad link. Prints the address to connect to on the first
//! line of stdout, and the counters when it gets SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use moshmux_tests::netem::{Blackout, DirectionConfig, LinkConfig, Netem};
use tokio::signal::unix::{signal, SignalKind};

/// A lossy UDP proxy. Shared settings apply to both directions; `--up-*` (client to server)
/// and `--down-*` (server to client) override them for one direction.
#[derive(Parser, Debug)]
#[command(name = "moshmux-netem", version)]
struct Args {
    /// Address clients send to; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The server's UDP address.
    #[arg(long)]
    server: SocketAddr,
    /// Seed of the random decisions; the same seed repeats the same fates.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Drop everything both ways for a window, given as START+LENGTH (e.g. 5s+5s). Repeatable.
    #[arg(long = "blackout", value_parser = parse_blackout)]
    blackouts: Vec<Blackout>,
    /// Give the server a new source port at this interval.
    #[arg(long, value_parser = parse_duration)]
    roam_every: Option<Duration>,

    /// Loss probability (0..1).
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// One-way delay, e.g. 100ms.
    #[arg(long, value_parser = parse_duration, default_value = "0ms")]
    delay: Duration,
    /// Uniform variation of the delay, +- this much.
    #[arg(long, value_parser = parse_duration, default_value = "0ms")]
    jitter: Duration,
    /// Probability (0..1) that a datagram is held back by --reorder-hold.
    #[arg(long, default_value_t = 0.0)]
    reorder: f64,
    /// Extra delay of a datagram picked for reordering.
    #[arg(long, value_parser = parse_duration, default_value = "50ms")]
    reorder_hold: Duration,
    /// Duplication probability (0..1).
    #[arg(long, default_value_t = 0.0)]
    duplicate: f64,
    /// Bandwidth cap in bytes per second.
    #[arg(long)]
    rate: Option<u64>,

    #[arg(long)]
    up_loss: Option<f64>,
    #[arg(long, value_parser = parse_duration)]
    up_delay: Option<Duration>,
    #[arg(long, value_parser = parse_duration)]
    up_jitter: Option<Duration>,
    #[arg(long)]
    up_reorder: Option<f64>,
    #[arg(long)]
    up_duplicate: Option<f64>,
    #[arg(long)]
    up_rate: Option<u64>,

    #[arg(long)]
    down_loss: Option<f64>,
    #[arg(long, value_parser = parse_duration)]
    down_delay: Option<Duration>,
    #[arg(long, value_parser = parse_duration)]
    down_jitter: Option<Duration>,
    #[arg(long)]
    down_reorder: Option<f64>,
    #[arg(long)]
    down_duplicate: Option<f64>,
    #[arg(long)]
    down_rate: Option<u64>,
}

/// One direction's overrides, in the order of the shared settings.
struct Overrides {
    loss: Option<f64>,
    delay: Option<Duration>,
    jitter: Option<Duration>,
    reorder: Option<f64>,
    duplicate: Option<f64>,
    rate: Option<u64>,
}

impl Args {
    fn direction(&self, o: Overrides) -> DirectionConfig {
        DirectionConfig {
            loss: o.loss.unwrap_or(self.loss),
            delay: o.delay.unwrap_or(self.delay),
            jitter: o.jitter.unwrap_or(self.jitter),
            reorder: o.reorder.unwrap_or(self.reorder),
            reorder_hold: self.reorder_hold,
            duplicate: o.duplicate.unwrap_or(self.duplicate),
            rate: o.rate.or(self.rate),
        }
    }

    fn link_config(&self) -> LinkConfig {
        LinkConfig {
            to_server: self.direction(Overrides {
                loss: self.up_loss,
                delay: self.up_delay,
                jitter: self.up_jitter,
                reorder: self.up_reorder,
                duplicate: self.up_duplicate,
                rate: self.up_rate,
            }),
            to_client: self.direction(Overrides {
                loss: self.down_loss,
                delay: self.down_delay,
                jitter: self.down_jitter,
                reorder: self.down_reorder,
                duplicate: self.down_duplicate,
                rate: self.down_rate,
            }),
            seed: self.seed,
            blackouts: self.blackouts.clone(),
        }
    }
}

/// Parses `250ms`, `5s`, `1.5s`, `2m` or `500us`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{text:?} has no unit (ms, s, m or us)"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{number:?} is not a number"))?;
    let seconds = match unit {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit {unit:?} (use ms, s, m or us)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// Parses `START+LENGTH`, e.g. `5s+5s`.
fn parse_blackout(text: &str) -> Result<Blackout, String> {
    let (start, duration) = text
        .split_once('+')
        .ok_or_else(|| format!("{text:?} is not START+LENGTH (e.g. 5s+5s)"))?;
    Ok(Blackout {
        start: parse_duration(start)?,
        duration: parse_duration(duration)?,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let netem = Netem::start(args.listen, args.server, args.link_config())
        .await
        .context("starting the link emulator")?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", netem.listen_addr())?;
    stdout.flush()?;

    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let roam_period = args.roam_every.unwrap_or(Duration::MAX);
    let mut next_roam = tokio::time::Instant::now().checked_add(roam_period);
    loop {
        let roam_due = next_roam.unwrap_or_else(tokio::time::Instant::now);
        tokio::select! {
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            () = tokio::time::sleep_until(roam_due), if next_roam.is_some() => {
                let upstream = netem.roam().await.context("roaming")?;
                eprintln!("roamed: the server now sees {upstream}");
                next_roam = roam_due.checked_add(roam_period);
            }
        }
    }
    writeln!(stdout, "{}", netem.counters())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use moshmux_tests::netem::DEFAULT_REORDER_HOLD;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500us"), Ok(Duration::from_micros(500)));
        assert!(parse_duration("100").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("ms").is_err());
    }

    #[test]
    fn blackouts_are_start_plus_length() {
        assert_eq!(
            parse_blackout("5s+500ms"),
            Ok(Blackout {
                start: Duration::from_secs(5),
                duration: Duration::from_millis(500)
            })
        );
        assert!(parse_blackout("5s").is_err());
    }

    #[test]
    fn direction_flags_override_shared_ones() {
        let args = Args::parse_from([
            "moshmux-netem",
            "--server",
            "127.0.0.1:9",
            "--loss",
            "0.3",
            "--delay",
            "100ms",
            "--down-loss",
            "0.1",
            "--up-delay",
            "20ms",
        ]);
        let config = args.link_config();
        assert_eq!(config.to_server.loss, 0.3);
        assert_eq!(config.to_client.loss, 0.1);
        assert_eq!(config.to_server.delay, Duration::from_millis(20));
        assert_eq!(config.to_client.delay, Duration::from_millis(100));
        assert_eq!(config.to_client.reorder_hold, DEFAULT_REORDER_HOLD);
    }
}

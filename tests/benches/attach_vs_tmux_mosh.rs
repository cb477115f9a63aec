//! Prints time to first screen, measured in one run, each case started N times in a
//! fresh 80x24 outer tmux, from pressing Enter on the command until the outer screen
//! shows what the user waits for:
//! - `moshmux attach` (local, no host) with no daemon running yet, until the prompt;
//! - `moshmux attach --session busy` to a session whose screen churns (20 coloured rows
//!   redrawn ten times a second), until all 20 rows are on screen;
//! - `tmux new-session sh` with no tmux server yet, until the prompt;
//! - `tmux attach` to a separate tmux server's session in the same busy state;
//! - `mosh-server new` + `mosh-client` on localhost (what `mosh localhost` does after
//!   ssh), until the prompt.
//!
//! ```text
//! cargo build --release -p moshmux
//! cargo bench -p moshmux-tests --bench attach_vs_tmux_mosh
//! ```
//! `BENCH_RUNS=N` sets the starts per case (default 10). Needs tmux; the mosh case needs
//! mosh.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{
    env_number, have_mosh, quoted, release_binary, shows_prompt, stop_process, time_until,
    SHELL_ENV,
};
use moshmux_tests::harness::{Daemon, Tmux};

const TIMEOUT: Duration = Duration::from_secs(30);
const BUSY_ROWS: usize = 20;

/// A `top`-like screen: 20 coloured rows with a frame counter, redrawn in place.
const BUSY: &str = r#"i=0; while :; do i=$((i+1)); printf '\033[H'; r=1; while [ $r -le 20 ]; do printf '\033[1;3%dm%02d busy frame %-8d \033[7m%s\033[0m\n' $((r % 7 + 1)) $r $i 'cpu mem io net ----------------------------------'; r=$((r+1)); done; sleep 0.1; done"#;

fn busy_shown(screen: &str) -> bool {
    (1..=BUSY_ROWS).all(|row| {
        let start = format!("{row:02} busy frame ");
        screen.lines().any(|line| line.starts_with(&start))
    })
}

/// Starts `command` in a fresh outer terminal and times it to `done`. The pane waits at
/// `read` first, so tmux's own start-up is not counted.
fn time_start(
    command: &str,
    env: &[(&str, &str)],
    done: impl Fn(&str) -> bool,
) -> Option<Duration> {
    let tmux = Tmux::start(80, 24, &format!("echo ready; read go; {command}"), env);
    time_until(&tmux, Instant::now(), TIMEOUT, |s| s.starts_with("ready"))?;
    let start = Instant::now();
    tmux.send_keys(&["Enter"]);
    time_until(&tmux, start, TIMEOUT, done)
}

fn moshmux_env(daemon: &Daemon) -> Vec<(&str, &str)> {
    let dir = daemon.dir().to_str().expect("a UTF-8 temp dir");
    let mut env = vec![("MOSHMUX_DIR", dir)];
    env.extend(SHELL_ENV);
    env
}

fn moshmux_cold(client: &str) -> Option<Duration> {
    let daemon = Daemon::new();
    time_start(
        &format!("exec {client} attach"),
        &moshmux_env(&daemon),
        shows_prompt,
    )
}

fn moshmux_busy(client: &str, daemon: &Daemon) -> Option<Duration> {
    time_start(
        &format!("exec {client} attach --session busy"),
        &moshmux_env(daemon),
        busy_shown,
    )
}

fn tmux(socket: &str, args: &[&str]) -> Command {
    let mut command = Command::new("tmux");
    command
        .args(["-L", socket, "-f", "/dev/null"])
        .args(args)
        .env_remove("TMUX")
        .envs(SHELL_ENV);
    command
}

fn tmux_cold(socket: &str) -> Option<Duration> {
    let time = time_start(
        &format!("unset TMUX; exec tmux -L {socket} -f /dev/null new-session sh"),
        &SHELL_ENV,
        shows_prompt,
    );
    let _ = tmux(socket, &["kill-server"]).output();
    time
}

fn tmux_busy(socket: &str) -> Option<Duration> {
    time_start(
        &format!("unset TMUX; exec tmux -L {socket} -f /dev/null attach -t busy"),
        &SHELL_ENV,
        busy_shown,
    )
}

/// `mosh-server new`, then `mosh-client` with the key it printed, as `mosh` runs them.
fn mosh_start(scratch: &Path, run: usize) -> Option<Duration> {
    let errors = scratch.join(format!("mosh-server-{run}.err"));
    let command = format!(
        "set -- $(mosh-server new -i 127.0.0.1 -- sh 2>{} | tr -d '\\r'); \
         MOSH_KEY=$4 exec mosh-client 127.0.0.1 $3",
        quoted(&errors)
    );
    let time = time_start(&command, &SHELL_ENV, shows_prompt);
    let detached = std::fs::read_to_string(&errors).unwrap_or_default();
    let pid = detached
        .split_once("pid = ")
        .and_then(|(_, rest)| rest.split(']').next()?.trim().parse().ok());
    if let Some(pid) = pid {
        stop_process(pid);
    }
    time
}

fn print_row(case: &str, mut times: Vec<Duration>, runs: usize) {
    print!("{case:<44}");
    if times.is_empty() {
        println!("{:>8}", "failed");
        return;
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p90 = times[(times.len() * 9).div_ceil(10) - 1];
    print!(
        "{:>8.0}{:>8.0}{:>8.0}",
        ms(times[times.len() / 2]),
        ms(p90),
        ms(times[times.len() - 1])
    );
    if times.len() < runs {
        print!("  ({} of {runs} timed out)", runs - times.len());
    }
    println!();
}

fn main() {
    let client = quoted(&release_binary("moshmux"));
    release_binary("moshmux-server");
    let mosh = have_mosh();
    let runs: usize = env_number("BENCH_RUNS", 10);
    let scratch = std::env::temp_dir().join(format!("mmx-bench-attach-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("a scratch directory");

    let busy_daemon = Daemon::new();
    busy_daemon.ok(&[
        "new",
        "-s",
        "busy",
        "--bind",
        "127.0.0.1",
        "--",
        "sh",
        "-c",
        BUSY,
    ]);
    let inner = format!("mmx-bench-inner-{}", std::process::id());
    let created = tmux(
        &inner,
        &[
            "new-session",
            "-d",
            "-s",
            "busy",
            "-x",
            "80",
            "-y",
            "24",
            "sh",
            "-c",
            BUSY,
        ],
    )
    .status();
    assert!(
        created.is_ok_and(|s| s.success()),
        "tmux new-session failed"
    );
    // Both busy screens are drawing before any attach is timed.
    std::thread::sleep(Duration::from_secs(1));

    let collect = |case: &mut dyn FnMut(usize) -> Option<Duration>| {
        (0..runs).filter_map(&mut *case).collect::<Vec<_>>()
    };
    let results = [
        (
            "moshmux attach (local, no daemon yet)",
            collect(&mut |_| moshmux_cold(&client)),
        ),
        (
            "moshmux attach --session busy",
            collect(&mut |_| moshmux_busy(&client, &busy_daemon)),
        ),
        (
            "tmux new-session sh (no server yet)",
            collect(&mut |run| tmux_cold(&format!("mmx-bench-cold-{}-{run}", std::process::id()))),
        ),
        ("tmux attach -t busy", collect(&mut |_| tmux_busy(&inner))),
    ];
    let mosh_times = if mosh {
        Some(collect(&mut |run| mosh_start(&scratch, run)))
    } else {
        None
    };
    let _ = tmux(&inner, &["kill-server"]).output();
    drop(busy_daemon);
    let _ = std::fs::remove_dir_all(&scratch);

    println!("time to first screen in an 80x24 terminal, ms, {runs} starts each");
    println!("{:<44}{:>8}{:>8}{:>8}", "", "median", "p90", "max");
    for (case, times) in results {
        print_row(case, times, runs);
    }
    if let Some(times) = mosh_times {
        print_row("mosh-server new + mosh-client (localhost)", times, runs);
    }
}

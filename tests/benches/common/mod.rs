//! What both comparison benchmarks need: the release binaries of this workspace, mosh,
//! CPU time and memory of a process tree from /proc, and timing what an outer tmux shows.

#![allow(dead_code)] // Each bench uses part of this module.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use moshmux_tests::harness::Tmux;
use moshmux_tests::netem::{LinkConfig, Netem};
use std::net::SocketAddr;

/// How often a timed wait looks at the screen: each look runs a `tmux capture-pane`.
const POLL: Duration = Duration::from_millis(10);

/// A binary of this workspace built next to the bench, or a one-line hint and exit.
/// `cargo bench -p moshmux-tests` builds only this package, so the binaries under test
/// come from `cargo build --release` run just before.
pub fn release_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the bench executable has a path");
    // target/release/deps/<bench> -> target/release/<name>
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join(name));
    match path {
        Some(path) if path.exists() => path,
        _ => {
            eprintln!("{name} is not built: run `cargo build --release -p moshmux` first");
            std::process::exit(1);
        }
    }
}

/// Whether mosh-server and mosh-client are on PATH; if not, says how to get them.
pub fn have_mosh() -> bool {
    let found = ["mosh-server", "mosh-client"].iter().all(|program| {
        Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|out| out.status.success())
    });
    if !found {
        println!("mosh is not installed: `apt-get install mosh` to run this comparison");
    }
    found
}

/// Whether the comparison can run: mosh is installed (else a one-line hint) and both
/// moshmux binaries are built (else a hint and exit).
pub fn moshmux_beside_mosh() -> bool {
    if !have_mosh() {
        return false;
    }
    release_binary("moshmux-server");
    release_binary("moshmux");
    true
}

/// A number from the environment (the benches' knobs), else `default`.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// A comma-separated list of numbers from the environment (`BENCH_LOSS=0,30`), else
/// `default`.
pub fn env_list(name: &str, default: &[u64]) -> Vec<u64> {
    std::env::var(name)
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| default.to_vec())
}

/// The value below which `fraction` of the sorted values lie.
pub fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let index = ((sorted.len() as f64 * fraction).ceil() as usize).saturating_sub(1);
    sorted.get(index).copied().unwrap_or(f64::NAN)
}

/// The runtime the link emulator runs on: one worker, so it never competes with the
/// programs under test for more than one core.
pub fn emulator_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime for the link emulator")
}

/// The environment every shell under test gets: a UTF-8 locale (mosh insists) and the
/// plain prompt the benches look for. `sh`, because a login bash can hang in a profile.
pub const SHELL_ENV: [(&str, &str); 4] = [
    ("LANG", "C.UTF-8"),
    ("LC_ALL", "C.UTF-8"),
    ("PS1", "$ "),
    ("SHELL", "/bin/sh"),
];

/// A `mosh-server new` session running `sh` on 127.0.0.1; killed on drop.
pub struct MoshServer {
    pub port: u16,
    pub key: String,
    pub pid: i32,
}

impl MoshServer {
    pub fn start() -> MoshServer {
        let out = Command::new("mosh-server")
            .args(["new", "-i", "127.0.0.1", "--", "sh"])
            .envs(SHELL_ENV)
            .env_remove("ENV")
            .output()
            .expect("running mosh-server");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let connect = stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix("MOSH CONNECT "))
            .and_then(|rest| rest.split_once(' '));
        let pid = stderr
            .split_once("pid = ")
            .and_then(|(_, rest)| rest.split(']').next())
            .and_then(|pid| pid.trim().parse().ok());
        match (connect, pid) {
            (Some((port, key)), Some(pid)) => MoshServer {
                port: port.parse().expect("mosh-server prints a port number"),
                key: key.trim().to_owned(),
                pid,
            },
            _ => panic!("unexpected mosh-server output: {stdout:?} {stderr:?}"),
        }
    }
}

impl Drop for MoshServer {
    fn drop(&mut self) {
        stop_process(self.pid);
    }
}

/// SIGTERM, then SIGKILL if the process still runs after two seconds (mosh-server waits
/// for its client to acknowledge the shutdown).
pub fn stop_process(pid: i32) {
    // SAFETY: kill only sends a signal to a pid this bench started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(2);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// (pid, parent pid, CPU ticks of itself and its reaped children, RSS pages) of a process.
fn stat(pid: i32) -> Option<(i32, i32, u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces; field 3 (state) is first.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let parent = number(1)? as i32;
    // utime, stime, cutime, cstime: a shell's reaped `seq` counts through the shell.
    let ticks = number(11)? + number(12)? + number(13)? + number(14)?;
    Some((pid, parent, ticks, number(21)?))
}

/// `root` and every process descending from it, with their stats.
fn tree(root: i32) -> Vec<(i32, i32, u64, u64)> {
    let all: Vec<_> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat)
        .collect();
    let mut members: Vec<_> = all.iter().filter(|p| p.0 == root).copied().collect();
    let mut i = 0;
    while i < members.len() {
        let parent = members[i].0;
        members.extend(all.iter().filter(|p| p.1 == parent));
        i += 1;
    }
    members
}

/// CPU seconds (user + system) a process tree has used, its reaped children included.
pub fn tree_cpu_seconds(root: i32) -> f64 {
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    tree(root).iter().map(|p| p.2).sum::<u64>() as f64 / per_second
}

/// Resident memory of a process tree in MiB.
pub fn tree_rss_mib(root: i32) -> f64 {
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    tree(root).iter().map(|p| p.3).sum::<u64>() as f64 * page / (1 << 20) as f64
}

/// How long after `start` the screen first satisfied `done`, looking every 10 ms; `None`
/// with the last screen printed if `timeout` passed first.
pub fn time_until(
    tmux: &Tmux,
    start: Instant,
    timeout: Duration,
    done: impl Fn(&str) -> bool,
) -> Option<Duration> {
    loop {
        let screen = tmux.capture();
        if done(&screen) {
            return Some(start.elapsed());
        }
        if start.elapsed() > timeout {
            eprintln!("timed out; last screen:\n{screen}");
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Types `e` after the shell's prompt and waits for its echo; the line it shows (`$ e`,
/// or `# e` under root's prompt), which [`time_keys`] extends. Both moshmux and mosh
/// draw nothing early until the shell proved to echo, so this key is never timed.
pub fn first_key(tmux: &Tmux, timeout: Duration) -> Option<String> {
    time_until(tmux, Instant::now(), timeout, shows_prompt)?;
    tmux.send_literal("e");
    time_until(tmux, Instant::now(), timeout, |s| echoed(s).is_some())?;
    echoed(&tmux.capture()).map(str::to_owned)
}

/// The line where the shell's prompt shows the first key, if any.
fn echoed(screen: &str) -> Option<&str> {
    screen
        .lines()
        .map(str::trim_end)
        .find(|l| matches!(*l, "$ e" | "# e"))
}

/// Types `keys` keys one at a time after `line`, each once the previous one showed and
/// `pause` passed; each key's echo time in ms, or `None` if one never showed within
/// `timeout` (the last screen printed).
pub fn time_keys(
    tmux: &Tmux,
    line: &mut String,
    keys: usize,
    pause: Duration,
    timeout: Duration,
) -> Option<Vec<f64>> {
    let mut latencies = Vec::with_capacity(keys);
    for i in 0..keys {
        let key = char::from(b'a' + (i % 26) as u8).to_string();
        line.push_str(&key);
        let typed = Instant::now();
        tmux.send_literal(&key);
        let shown = time_until(tmux, typed, timeout, |s| {
            s.lines().any(|l| l.starts_with(line.as_str()))
        })?;
        latencies.push(shown.as_secs_f64() * 1e3);
        std::thread::sleep(pause);
    }
    Some(latencies)
}

/// The median and p90 of `values`.
pub fn median_p90(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    (percentile(&values, 0.5), percentile(&values, 0.9))
}

/// A shell prompt at the start of some line: `$ ` from PS1, or root's `# ` that Debian's
/// /etc/profile sets when a pane's shell starts as a login shell.
pub fn shows_prompt(screen: &str) -> bool {
    screen.lines().any(|line| {
        let line = line.trim_end();
        ["$", "#"]
            .iter()
            .any(|prompt| line == *prompt || line.starts_with(&format!("{prompt} ")))
    })
}

/// Single-quoted for `sh`.
pub fn quoted(path: &std::path::Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// A client in a tmux terminal of `cols` x `rows`, reaching `server` through a fresh link
/// emulator: `command` gets the emulator's port, and `server_env` (the key) joins a UTF-8
/// locale in the client's environment.
pub fn client_through_link(
    runtime: &tokio::runtime::Runtime,
    server: SocketAddr,
    link: LinkConfig,
    (cols, rows): (u16, u16),
    command: impl FnOnce(u16) -> String,
    server_env: &[(&'static str, String)],
) -> (Netem, Tmux) {
    let netem = runtime
        .block_on(Netem::start(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            server,
            link,
        ))
        .expect("starting the link emulator");
    let mut env: Vec<(&str, &str)> = vec![("LANG", "C.UTF-8"), ("LC_ALL", "C.UTF-8")];
    env.extend(
        server_env
            .iter()
            .map(|(name, value)| (*name, value.as_str())),
    );
    let tmux = Tmux::start(cols, rows, &command(netem.listen_addr().port()), &env);
    (netem, tmux)
}

//! Prints, side by side with tmux 3.3 run the same way in the same run:
//! - PTY-to-parser throughput: `cat` of a large file into one 80x24 pane, timed from the
//!   keystroke that starts it until the pane shows the line printed after it, per second
//!   of wall time and per second of the server's CPU time;
//! - the daemon's resident memory (VmRSS) with 1, 10 and 100 idle `sh` panes, and with
//!   the 100 after each has printed 200 lines (scrolled, then idle again: what panes in
//!   daily use look like).
//!
//! `cargo build --release -p moshmux && cargo bench -p moshmux-server --bench daemon_vs_tmux`. Needs `tmux` on PATH.

mod common;

use common::{cpu_seconds, private_dir, rss_kib, run, MoshmuxServer, TmuxServer};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const FILE_MIB: usize = 64;
const RUNS: usize = 3;
const MARKER: &str = "moshmux-bench-done";
const DEADLINE: Duration = Duration::from_secs(120);

/// The operations the benchmark needs from either multiplexer. Dropping one kills its
/// server.
trait Multiplexer {
    fn name(&self) -> &'static str;
    /// Starts session `name` running `argv`; the first call also starts the server.
    fn new_session(&self, name: &str, argv: &[&str]);
    fn new_window(&self, session: &str, argv: &[&str]);
    fn send_keys(&self, target: &str, keys: &[&str]);
    fn capture(&self, target: &str) -> String;
    fn server_pid(&self) -> i32;
}

impl Multiplexer for MoshmuxServer {
    fn name(&self) -> &'static str {
        "moshmux"
    }
    fn new_session(&self, name: &str, argv: &[&str]) {
        let mut args = vec!["new", "--bind", "127.0.0.1", "-s", name, "--"];
        args.extend_from_slice(argv);
        run(self.command(&args));
    }
    fn new_window(&self, session: &str, argv: &[&str]) {
        let mut args = vec!["new-window", "-t", session, "--"];
        args.extend_from_slice(argv);
        run(self.command(&args));
    }
    fn send_keys(&self, target: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", target];
        args.extend_from_slice(keys);
        run(self.command(&args));
    }
    fn capture(&self, target: &str) -> String {
        run(self.command(&["capture-pane", "-p", "-t", target]))
    }
    fn server_pid(&self) -> i32 {
        self.pid()
    }
}

impl Multiplexer for TmuxServer {
    fn name(&self) -> &'static str {
        "tmux"
    }
    fn new_session(&self, name: &str, argv: &[&str]) {
        let mut args = vec!["new-session", "-d", "-s", name, "-x", "80", "-y", "24"];
        args.extend_from_slice(argv);
        run(self.command(&args));
    }
    fn new_window(&self, session: &str, argv: &[&str]) {
        let target = format!("{session}:");
        let mut args = vec!["new-window", "-d", "-t", &target];
        args.extend_from_slice(argv);
        run(self.command(&args));
    }
    fn send_keys(&self, target: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", target];
        args.extend_from_slice(keys);
        run(self.command(&args));
    }
    fn capture(&self, target: &str) -> String {
        run(self.command(&["capture-pane", "-p", "-t", target]))
    }
    fn server_pid(&self) -> i32 {
        self.pid()
    }
}

fn wait_for(mux: &dyn Multiplexer, target: &str, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if done(&mux.capture(target)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: timed out on {target}",
            mux.name()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn has_prompt(screen: &str) -> bool {
    screen.contains('$') || screen.contains('#')
}

/// Plain terminal text with an SGR colour every few lines, like a build log.
fn write_input_file(path: &Path) -> usize {
    let mut text = String::with_capacity(FILE_MIB << 20);
    let mut line = 0u64;
    while text.len() < FILE_MIB << 20 {
        if line % 8 == 0 {
            text.push_str(&format!(
                "\x1b[1;32m{line:>9}\x1b[0m compiling crate-{} v0.{}.{} (/src/crates/{})\n",
                line % 97,
                line % 13,
                line % 7,
                line % 89
            ));
        } else {
            text.push_str(&format!(
                "{line:>9} the quick brown fox jumps over the lazy dog, {} times over\n",
                line % 1000
            ));
        }
        line += 1;
    }
    std::fs::write(path, &text).expect("writing the input file");
    text.len()
}

/// MB/s (10^6 bytes) of wall time and of server CPU time, each the median of the runs.
/// On a busy machine the wall figure mostly measures the load; the CPU figure does not.
fn throughput(mux: &dyn Multiplexer, file: &Path, bytes: usize) -> (f64, f64) {
    let mut rates = Vec::new();
    let mut cpu_rates = Vec::new();
    for run in 0..RUNS {
        let session = format!("cat{run}");
        let script = format!(
            "read go; cat '{}'; echo {MARKER}; exec sleep 100000",
            file.display()
        );
        mux.new_session(&session, &["sh", "-c", &script]);
        // The pane must be reading before the clock starts.
        std::thread::sleep(Duration::from_millis(300));
        let pid = mux.server_pid();
        let cpu_start = cpu_seconds(pid);
        let start = Instant::now();
        mux.send_keys(&session, &["Enter"]);
        wait_for(mux, &session, |s| s.lines().any(|l| l == MARKER));
        let seconds = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds(pid) - cpu_start;
        rates.push(bytes as f64 / seconds / 1e6);
        cpu_rates.push(bytes as f64 / cpu / 1e6);
    }
    (median(rates), median(cpu_rates))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// RSS in KiB with 1, 10 and 100 idle panes, all in one session's windows, then with
/// the 100 after each printed 200 lines.
fn idle_rss(mux: &dyn Multiplexer) -> Vec<u64> {
    let mut out = Vec::new();
    mux.new_session("idle", &["sh"]);
    let mut panes = 1;
    for wanted in [1, 10, 100] {
        while panes < wanted {
            mux.new_window("idle", &["sh"]);
            panes += 1;
        }
        let last = format!("idle:{}", panes - 1);
        wait_for(mux, &last, has_prompt);
        std::thread::sleep(Duration::from_millis(500));
        out.push(rss_kib(mux.server_pid()));
    }
    for pane in 0..panes {
        mux.send_keys(&format!("idle:{pane}"), &["seq 1 200", "Enter"]);
    }
    for pane in 0..panes {
        wait_for(mux, &format!("idle:{pane}"), |screen| {
            screen.lines().any(|line| line.trim_end() == "200")
        });
    }
    std::thread::sleep(Duration::from_secs(2));
    out.push(rss_kib(mux.server_pid()));
    out
}

struct Figures {
    mb_per_s: f64,
    mb_per_cpu_s: f64,
    rss: Vec<u64>,
}

fn measure(make: &dyn Fn() -> Box<dyn Multiplexer>, file: &Path, bytes: usize) -> Figures {
    // A fresh server for each figure, so the throughput runs' screens do not count
    // towards the idle memory.
    let mux = make();
    let (mb_per_s, mb_per_cpu_s) = throughput(mux.as_ref(), file, bytes);
    drop(mux);
    let mux = make();
    let rss = idle_rss(mux.as_ref());
    drop(mux);
    Figures {
        mb_per_s,
        mb_per_cpu_s,
        rss,
    }
}

/// A number no earlier call returned, for server names.
fn unique() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn main() {
    let scratch =
        private_dir(std::env::temp_dir().join(format!("mmx-bench-{}", std::process::id())));
    let file = scratch.join("input.txt");
    let bytes = write_input_file(&file);

    let dir = scratch.clone();
    let moshmux = measure(
        &|| Box::new(MoshmuxServer::new(dir.join(format!("server{}", unique())))),
        &file,
        bytes,
    );
    let tmux = measure(
        &|| {
            Box::new(TmuxServer::new(format!(
                "mmx-bench-{}-{}",
                std::process::id(),
                unique()
            )))
        },
        &file,
        bytes,
    );
    let _ = std::fs::remove_dir_all(&scratch);

    let version = Command::new("tmux")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!(
        "cat of {:.1} MB into one 80x24 pane (median of {RUNS}), and server RSS with idle sh panes",
        bytes as f64 / 1e6
    );
    println!("{:<34}{:>12}{:>12}{:>10}", "", "moshmux", version, "ratio");
    println!(
        "{:<34}{:>12.1}{:>12.1}{:>10.2}",
        "throughput (MB/s)",
        moshmux.mb_per_s,
        tmux.mb_per_s,
        moshmux.mb_per_s / tmux.mb_per_s
    );
    println!(
        "{:<34}{:>12.1}{:>12.1}{:>10.2}",
        "  per server CPU second",
        moshmux.mb_per_cpu_s,
        tmux.mb_per_cpu_s,
        moshmux.mb_per_cpu_s / tmux.mb_per_cpu_s
    );
    let rows = [
        "1 idle pane",
        "10 idle panes",
        "100 idle panes",
        "100, 200 lines each",
    ];
    for (i, label) in rows.iter().enumerate() {
        let (ours, theirs) = (moshmux.rss[i], tmux.rss[i]);
        println!(
            "{:<34}{:>12.1}{:>12.1}{:>10.2}",
            format!("RSS, {label} (MiB)"),
            ours as f64 / 1024.0,
            theirs as f64 / 1024.0,
            ours as f64 / theirs as f64
        );
    }
}

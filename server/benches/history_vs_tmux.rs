//! Pane history under a flood, side by side with tmux 3.3 (history-limit 2,000,000) in
//! the same run: `seq -f` prints 1,000,000 lines of 64 characters into one 80x24 pane.
//! Prints, for each:
//! - ingest: lines per second, from the keystroke that starts the flood until the pane
//!   shows the line printed after it, per second of wall time and of the server's CPU
//!   time;
//! - the server's resident memory (VmRSS) after the flood;
//! - bytes on disk per line (moshmux's history directory; tmux keeps history in RAM);
//! - the time `capture-pane -p -S - -E ..` takes to print the oldest 1,000 lines
//!   (median of 5, including the command's own start-up).
//!
//! `cargo build --release -p moshmux && cargo bench -p moshmux-server --bench history_vs_tmux`. Needs `tmux` and `seq`.

mod common;

use common::{cpu_seconds, rss_kib, run, MoshmuxServer, TmuxServer};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const LINES: u64 = 1_000_000;
/// 64 characters a line, as the issue asks.
const FORMAT: &str = "flood line %07.0f: the quick brown fox jumps over the lazy dog ok";
const FIRST_LINE: &str = "flood line 0000001: the quick brown fox jumps over the lazy dog ok";
const MARKER: &str = "moshmux-bench-done";
const OLDEST: i64 = 1000;
const READS: usize = 5;
const DEADLINE: Duration = Duration::from_secs(600);

/// What the benchmark needs from either multiplexer. Dropping one kills its server.
trait Multiplexer {
    fn name(&self) -> &'static str;
    fn command(&self, args: &[&str]) -> Command;
    fn start(&self, script: &str);
    fn server_pid(&self) -> i32;
    /// Lines in the pane's history (above the screen).
    fn history_size(&self) -> i64;
    fn disk_bytes(&self) -> Option<u64>;
    fn capture(&self, extra: &[&str]) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "flood"];
        args.extend_from_slice(extra);
        run(self.command(&args))
    }
}

impl Multiplexer for MoshmuxServer {
    fn name(&self) -> &'static str {
        "moshmux"
    }
    fn command(&self, args: &[&str]) -> Command {
        MoshmuxServer::command(self, args)
    }
    fn start(&self, script: &str) {
        run(self.command(&[
            "new",
            "--bind",
            "127.0.0.1",
            "-s",
            "flood",
            "--",
            "sh",
            "-c",
            script,
        ]));
    }
    fn server_pid(&self) -> i32 {
        self.pid()
    }
    fn history_size(&self) -> i64 {
        // The first flood line sits one below the oldest (the empty row the Enter left).
        let found = run(self.command(&["search-history", "-t", "flood", FIRST_LINE]));
        let number: i64 = found.trim().parse().expect("the first line's number");
        1 - number
    }
    fn disk_bytes(&self) -> Option<u64> {
        Some(tree_bytes(&self.dir().join("history")))
    }
}

impl Multiplexer for TmuxServer {
    fn name(&self) -> &'static str {
        "tmux"
    }
    fn command(&self, args: &[&str]) -> Command {
        TmuxServer::command(self, args)
    }
    fn start(&self, script: &str) {
        let quoted = format!("sh -c \"{script}\"");
        run(self.command(&[
            "start-server",
            ";",
            "set-option",
            "-g",
            "history-limit",
            "2000000",
            ";",
            "new-session",
            "-d",
            "-s",
            "flood",
            "-x",
            "80",
            "-y",
            "24",
            &quoted,
        ]));
    }
    fn server_pid(&self) -> i32 {
        self.pid()
    }
    fn history_size(&self) -> i64 {
        run(self.command(&["display-message", "-p", "-t", "flood", "#{history_size}"]))
            .trim()
            .parse()
            .expect("tmux history size")
    }
    fn disk_bytes(&self) -> Option<u64> {
        None
    }
}

/// Bytes the files under `dir` occupy (allocated blocks).
fn tree_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => tree_bytes(&entry.path()),
            Ok(meta) => meta.blocks() * 512,
            Err(_) => 0,
        })
        .sum()
}

struct Figures {
    lines_per_s: f64,
    lines_per_cpu_s: f64,
    rss_kib: u64,
    disk_bytes: Option<u64>,
    read_ms: f64,
}

fn measure(mux: &dyn Multiplexer) -> Figures {
    let script = format!("read go; seq -f '{FORMAT}' 1 {LINES}; echo {MARKER}; exec sleep 100000");
    mux.start(&script);
    std::thread::sleep(Duration::from_millis(500));
    let cpu_start = cpu_seconds(mux.server_pid());
    let start = Instant::now();
    run(mux.command(&["send-keys", "-t", "flood", "Enter"]));
    loop {
        if mux.capture(&[]).lines().any(|l| l == MARKER) {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{}: the flood never ended",
            mux.name()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds(mux.server_pid()) - cpu_start;
    // Let the history writer finish its last rounds before measuring memory and disk.
    std::thread::sleep(Duration::from_secs(2));
    let pid = mux.server_pid();
    let rss = rss_kib(pid);
    let disk_bytes = mux.disk_bytes();

    let history = mux.history_size();
    let end = (-history + OLDEST - 1).to_string();
    let mut times = Vec::new();
    for _ in 0..READS {
        let started = Instant::now();
        let text = mux.capture(&["-S", "-", "-E", &end]);
        times.push(started.elapsed().as_secs_f64() * 1e3);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as i64, OLDEST, "{}: oldest lines", mux.name());
        assert_eq!(
            lines.get(1),
            Some(&FIRST_LINE),
            "{}: oldest lines",
            mux.name()
        );
    }
    times.sort_by(f64::total_cmp);
    Figures {
        lines_per_s: LINES as f64 / seconds,
        lines_per_cpu_s: LINES as f64 / cpu,
        rss_kib: rss,
        disk_bytes,
        read_ms: times[READS / 2],
    }
}

fn main() {
    // Each server is dropped, and so killed, as soon as its figures are in.
    let moshmux = measure(&MoshmuxServer::new(
        std::env::temp_dir().join(format!("mmx-history-bench-{}", std::process::id())),
    ));
    let tmux = measure(&TmuxServer::new(format!(
        "mmx-history-bench-{}",
        std::process::id()
    )));

    let raw_per_line = FIRST_LINE.len() as f64 + 1.0;
    println!(
        "{LINES} lines of {} characters into an 80x24 pane",
        FIRST_LINE.len()
    );
    println!(
        "{:<28} {:>14} {:>14} {:>10}",
        "", "moshmux", "tmux 3.3", "ratio"
    );
    println!(
        "{:<28} {:>14.0} {:>14.0} {:>10.2}",
        "ingest, lines/s",
        moshmux.lines_per_s,
        tmux.lines_per_s,
        moshmux.lines_per_s / tmux.lines_per_s
    );
    println!(
        "{:<28} {:>14.0} {:>14.0} {:>10.2}",
        "ingest, lines/server CPU s",
        moshmux.lines_per_cpu_s,
        tmux.lines_per_cpu_s,
        moshmux.lines_per_cpu_s / tmux.lines_per_cpu_s
    );
    println!(
        "{:<28} {:>14.1} {:>14.1} {:>10.3}",
        "server RSS after, MiB",
        moshmux.rss_kib as f64 / 1024.0,
        tmux.rss_kib as f64 / 1024.0,
        moshmux.rss_kib as f64 / tmux.rss_kib as f64
    );
    println!(
        "{:<28} {:>14.0} {:>14.0}",
        "server RSS per line, bytes",
        moshmux.rss_kib as f64 * 1024.0 / LINES as f64,
        tmux.rss_kib as f64 * 1024.0 / LINES as f64
    );
    let disk = moshmux.disk_bytes.unwrap_or(0) as f64 / LINES as f64;
    println!(
        "{:<28} {:>14.1} {:>14} {:>10}",
        "disk per line, bytes",
        disk,
        "0 (RAM only)",
        format!("{:.0}% raw", disk / raw_per_line * 100.0)
    );
    println!(
        "{:<28} {:>14.1} {:>14.1} {:>10.2}",
        "read oldest 1,000 lines, ms",
        moshmux.read_ms,
        tmux.read_ms,
        moshmux.read_ms / tmux.read_ms
    );
}

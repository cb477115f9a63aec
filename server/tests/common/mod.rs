//! A real `moshmux-server` daemon per test, in its own private runtime directory, shut
//! down (and the directory removed) when the test ends, however it ends.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_moshmux-server");
/// Generous: two cores are shared by many builds and tests.
pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct Server {
    pub dir: PathBuf,
}

impl Server {
    pub fn new() -> Server {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mmx-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .expect("creating the test's runtime directory");
        Server { dir }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        // Every `new` opens a UDP port for a client; tests keep it on loopback.
        if args.first() == Some(&"new") && !args.contains(&"--bind") {
            command.args(["new", "--bind", "127.0.0.1"]);
            command.args(&args[1..]);
        } else {
            command.args(args);
        }
        // The daemon, and so every pane's shell, inherits this environment: pin the
        // prompt the tests wait for, whatever the user's shell setup exports.
        command
            .env("MOSHMUX_DIR", &self.dir)
            .env("PS1", "$ ")
            .env_remove("ENV")
            // Never the user's config file: this one is absent, so the defaults apply.
            .env("XDG_CONFIG_HOME", self.dir.join("config"));
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("running moshmux-server")
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// `ls` without the creation times, which a test cannot know in advance.
    pub fn sessions(&self) -> String {
        self.ls_without_times(&["ls"])
    }

    /// `ls -a` (sessions, then ended panes) without the creation times.
    pub fn sessions_and_ended_panes(&self) -> String {
        self.ls_without_times(&["ls", "-a"])
    }

    fn ls_without_times(&self, args: &[&str]) -> String {
        self.ok(args)
            .lines()
            .map(|line| format!("{}\n", without_created(line)))
            .collect()
    }

    /// Runs a command that must fail with exit code 1 and a one-line error; returns it.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        let error = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert_eq!(
            error.lines().count(),
            1,
            "{args:?}: not one line: {error:?}"
        );
        error.trim_end().to_string()
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("server.sock")
    }

    /// The daemon's pid, from the lock file it holds.
    pub fn daemon_pid(&self) -> i32 {
        let text = std::fs::read_to_string(self.dir.join("server.lock")).expect("lock file");
        text.trim().parse().expect("pid in the lock file")
    }

    /// Polls `capture-pane` until `done` accepts the screen; panics with the last screen.
    pub fn wait_for_screen(&self, target: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let screen = self.ok(&["capture-pane", "-p", "-t", target]);
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out; screen of {target}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls until `done` holds, panicking after the deadline.
    pub fn wait_until(&self, what: &str, done: impl Fn() -> bool) {
        wait_until(what, done)
    }

    /// `list-panes` as (index, cols, rows, x, y, id, active) rows.
    pub fn panes(&self, target: &str) -> Vec<PaneRow> {
        self.ok(&["list-panes", "-t", target])
            .lines()
            .map(PaneRow::parse)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether `text` is exactly the one line `new` prints.
pub fn is_connect_line(text: &str) -> bool {
    let Some(line) = text.strip_suffix('\n') else {
        return false;
    };
    let fields: Vec<&str> = line.split(' ').collect();
    matches!(fields.as_slice(), ["MOSHMUX", "CONNECT", port, key]
        if port.parse::<u16>().is_ok()
            && key.len() == 22
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/'))
}

/// Whether a pane's `sh` shows its prompt (`$ `, pinned through PS1; capture trims the
/// trailing space).
pub fn has_prompt(screen: &str) -> bool {
    screen.lines().any(|line| line.starts_with('$'))
}

pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn process_alive(pid: i32) -> bool {
    // A zombie still has a /proc entry; count it as gone. But the main thread of a killed
    // process turns zombie before its other threads have exited, and those still hold
    // its files (a listening socket accepts connections, then resets them): it is gone
    // only once it is a zombie with no thread left but the main one.
    let zombie = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => return false,
    };
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |tasks| tasks.count());
    !zombie || threads > 1
}

fn number<T: std::str::FromStr>(text: &str, line: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| panic!("bad number {text:?} in list-panes line {line:?}"))
}

pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// One `list-panes` line: `INDEX: [COLSxROWS] at X,Y %ID COMMAND[ (active)][ (zoomed)]`.
#[derive(Debug, PartialEq, Eq)]
pub struct PaneRow {
    pub index: u16,
    pub cols: u16,
    pub rows: u16,
    pub x: u16,
    pub y: u16,
    pub id: String,
    pub active: bool,
    pub zoomed: bool,
}

impl PaneRow {
    fn parse(line: &str) -> PaneRow {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(
            fields.len() >= 5 && fields[2] == "at",
            "bad list-panes line {line:?}"
        );
        let pair = |text: &str, sep| {
            let (a, b) = text
                .split_once(sep)
                .unwrap_or_else(|| panic!("bad list-panes line {line:?}"));
            (number(a, line), number(b, line))
        };
        let (cols, rows) = pair(fields[1].trim_matches(['[', ']']), 'x');
        let (x, y) = pair(fields[3], ',');
        PaneRow {
            index: number(fields[0].trim_end_matches(':'), line),
            cols,
            rows,
            x,
            y,
            id: fields[4].to_string(),
            active: line.contains("(active)"),
            zoomed: line.contains("(zoomed)"),
        }
    }

    /// (cols, rows, x, y): what a geometry check compares.
    pub fn rect(&self) -> (u16, u16, u16, u16) {
        (self.cols, self.rows, self.x, self.y)
    }
}

/// An `ls` line with its ` (created DATE)` taken out.
pub fn without_created(line: &str) -> String {
    let Some(start) = line.find(" (created ") else {
        return line.to_owned();
    };
    match line[start..].find(')') {
        Some(end) => format!("{}{}", &line[..start], &line[start + end + 1..]),
        None => line.to_owned(),
    }
}

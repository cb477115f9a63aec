//! A real `moshmux-server` daemon per test, driven through its CLI. The end-to-end tests
//! and the server's own integration tests share it, so both pin the same environment:
//! a private runtime directory, a prompt they can recognise, loopback UDP ports, and no
//! user configuration.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::{private_dir, workspace_binary, CONFIG_HOME};

/// Generous: two cores are shared by many builds and tests.
const DEADLINE: Duration = Duration::from_secs(20);

/// A `moshmux-server` daemon in a private directory of its own (`MOSHMUX_DIR`), so tests
/// run side by side; killed, and the directory removed, on drop.
pub struct Daemon {
    dir: PathBuf,
    binary: PathBuf,
    /// Added to every command's environment, and so to the daemon the first `new` starts.
    env: Vec<(String, String)>,
}

impl Daemon {
    pub fn new() -> Daemon {
        Daemon::with_env(&[])
    }

    /// A daemon started with `env` in its environment (e.g. `MOSHMUX_LOG`).
    pub fn with_env(env: &[(&str, &str)]) -> Daemon {
        Daemon {
            dir: private_dir("e2e"),
            binary: workspace_binary("moshmux-server"),
            env: env
                .iter()
                .map(|&(key, value)| (key.to_owned(), value.to_owned()))
                .collect(),
        }
    }

    /// The directory to pass as `MOSHMUX_DIR`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("server.sock")
    }

    /// The daemon's log (its stderr), empty if there is none yet.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Whether the daemon's control socket is there.
    pub fn has_socket(&self) -> bool {
        self.socket().exists()
    }

    /// The running daemon's pid, from the lock file it holds.
    pub fn pid(&self) -> u32 {
        let text = std::fs::read_to_string(self.dir.join("server.lock")).unwrap_or_default();
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("no daemon pid in the lock file: {text:?}"))
    }

    /// A `moshmux-server` command aimed at this daemon. Every `new` gets `--bind
    /// 127.0.0.1` unless it names an address: tests keep their UDP ports on loopback. It
    /// also sets the prompt the tests wait for (`-e PS1='$ '`) in the session, whatever
    /// the user's shell setup says: panes get no other variable of `new`'s environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        if args.first() == Some(&"new") {
            command.arg("new");
            if !args.contains(&"--bind") {
                command.args(["--bind", "127.0.0.1"]);
            }
            command.args(["-e", "PS1=$ "]);
            command.args(&args[1..]);
        } else {
            command.args(args);
        }
        command
            .env("MOSHMUX_DIR", &self.dir)
            // Not the user's config file (absent: the defaults), unless the test gives one.
            .env(CONFIG_HOME, self.dir.join("config"))
            .envs(self.env.iter().map(|(key, value)| (key, value)));
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("running moshmux-server")
    }

    /// Runs a command that must succeed; returns its stdout, which must be UTF-8.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
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

    /// Creates session `name` running `sh`, with its UDP port on loopback; returns the
    /// port and key that `new` printed.
    pub fn new_session(&self, name: &str) -> (u16, String) {
        self.new_client(&["-s", name, "--", "sh"])
    }

    /// Runs `new` with `args` (and its UDP port on loopback); returns the port and key.
    pub fn new_client(&self, args: &[&str]) -> (u16, String) {
        let mut command = vec!["new"];
        command.extend_from_slice(args);
        let out = self.ok(&command);
        let fields: Vec<&str> = out.split_whitespace().collect();
        match fields[..] {
            ["MOSHMUX", "CONNECT", port, key, _version] => {
                (port.parse().expect("a port number"), key.to_owned())
            }
            _ => panic!("not a MOSHMUX CONNECT line: {out:?}"),
        }
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

    /// `list-panes` of `target`, one row per pane.
    pub fn panes(&self, target: &str) -> Vec<PaneRow> {
        self.ok(&["list-panes", "-t", target])
            .lines()
            .map(PaneRow::parse)
            .collect()
    }

    /// (cols, rows) of each pane of `target`.
    pub fn pane_sizes(&self, target: &str) -> Vec<(u16, u16)> {
        self.panes(target)
            .iter()
            .map(|pane| (pane.cols, pane.rows))
            .collect()
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
}

impl Default for Daemon {
    fn default() -> Self {
        Daemon::new()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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

fn number<T: std::str::FromStr>(text: &str, line: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| panic!("bad number {text:?} in list-panes line {line:?}"))
}

/// An `ls` line with its ` (created DATE)` taken out.
fn without_created(line: &str) -> String {
    let Some(start) = line.find(" (created ") else {
        return line.to_owned();
    };
    match line[start..].find(')') {
        Some(end) => format!("{}{}", &line[..start], &line[start + end + 1..]),
        None => line.to_owned(),
    }
}

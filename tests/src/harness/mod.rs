//! Runs a program in a private tmux server and reads its screen as a user would see it:
//! the end-to-end tests drive the real `moshmux` binary this way.
//!
//! Each [`Tmux`] has its own server socket (`tmux -L`), no configuration file and no
//! status line, so the pane is exactly the requested size; dropping it kills the server.
//! Nothing run here reads the user's own moshmux config file: `XDG_CONFIG_HOME` points at
//! an empty private directory unless a test passes its own.

mod daemon;
pub mod scripts;

pub use daemon::{Daemon, PaneRow};

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How often `wait_for` looks at the screen.
const POLL: Duration = Duration::from_millis(50);

pub struct Tmux {
    socket: String,
    target: String,
    /// The empty `XDG_CONFIG_HOME` the programs in the window get by default.
    config_home: PathBuf,
}

impl Tmux {
    /// Starts `command` (run by `sh -c`) in a new tmux server, in a window of `cols` x
    /// `rows`, with `env` added to its environment. The variables go through the
    /// environment of the tmux server, never its arguments, so a key stays out of `ps`.
    /// `XDG_CONFIG_HOME` is an empty private directory unless `env` sets it.
    pub fn start(cols: u16, rows: u16, command: &str, env: &[(&str, &str)]) -> Tmux {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let socket = format!(
            "moshmux-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let tmux = Tmux {
            target: "test".to_owned(),
            socket,
            config_home: private_dir("xdg-config"),
        };
        let mut start = tmux.command();
        start
            .env_remove("TMUX")
            .env(CONFIG_HOME, &tmux.config_home)
            .envs(env.iter().copied())
            .args([
                "new-session",
                "-d",
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
                "-s",
                &tmux.target,
                command,
                ";",
                "set-option",
                "-g",
                "status",
                "off",
                ";",
                "set-option",
                "-g",
                "remain-on-exit",
                "on",
            ]);
        check("tmux new-session", start.output());
        tmux
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        // -u: panes hold UTF-8 whatever the locale of the process running the tests.
        command.args(["-u", "-L", &self.socket, "-f", "/dev/null"]);
        command
    }

    fn run(&self, what: &str, args: &[&str]) -> String {
        let output = self.command().args(args).output();
        check(what, output)
    }

    /// Keys in tmux's names: `Enter`, `C-b`, `Up`, or literal text.
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.target];
        args.extend_from_slice(keys);
        self.run("tmux send-keys", &args);
    }

    /// Types `text` exactly, with no key names interpreted.
    pub fn send_literal(&self, text: &str) {
        self.run(
            "tmux send-keys -l",
            &["send-keys", "-t", &self.target, "-l", text],
        );
    }

    /// A tmux format for the window's pane, e.g. `#{mouse_any_flag}`: what the program
    /// in it asked of its terminal.
    pub fn pane_format(&self, format: &str) -> String {
        let args = ["display-message", "-p", "-t", &self.target, format];
        self.run("tmux display-message", &args).trim().to_owned()
    }

    /// The screen's text, one line per row, trailing spaces removed.
    pub fn capture(&self) -> String {
        self.run(
            "tmux capture-pane",
            &["capture-pane", "-p", "-t", &self.target],
        )
    }

    /// The screen with colours and attributes as escape sequences (`capture-pane -e`):
    /// one stream whose attributes carry over from one line to the next, DEC line drawing
    /// as SO/SI around the ASCII letters that stand for it.
    pub fn capture_escapes(&self) -> String {
        self.run(
            "tmux capture-pane -e",
            &["capture-pane", "-p", "-e", "-t", &self.target],
        )
    }

    /// The lines that scrolled off the top of the window into tmux's own history, oldest
    /// first (what a user scrolls back to in the terminal), without the screen.
    pub fn capture_history(&self) -> String {
        self.run(
            "tmux capture-pane -S -",
            &[
                "capture-pane",
                "-p",
                "-S",
                "-",
                "-E",
                "-1",
                "-t",
                &self.target,
            ],
        )
    }

    /// Everything the terminal showed: its history, then the screen (tmux's resize at
    /// start may move the first lines printed into the history).
    pub fn capture_all(&self) -> String {
        format!("{}\n{}", self.capture_history(), self.capture())
    }

    /// Waits for the line `client-exit-STATUS` that a test's shell prints after the
    /// client (`moshmux ...; echo client-exit-$?`); returns that status and the last line
    /// the client wrote that starts with `moshmux:`, under whatever ssh said.
    pub fn client_exit(&self, timeout: Duration) -> (i32, String) {
        self.expect("the client's exit", timeout, |screen| {
            screen.contains("client-exit-")
        });
        let all = self.capture_all();
        let code = all
            .lines()
            .find_map(|line| line.strip_prefix("client-exit-")?.trim().parse().ok())
            .expect("an exit status");
        let last = all
            .lines()
            .rfind(|line| line.starts_with("moshmux:"))
            .unwrap_or_default()
            .to_owned();
        (code, last)
    }

    /// Sets an option of the tmux server for every session (`set-option -g`).
    pub fn set_option(&self, name: &str, value: &str) {
        self.run("tmux set-option", &["set-option", "-g", name, value]);
    }

    /// The newest paste buffer, or `None` while there is none. With `set-clipboard on`,
    /// what a program copies with OSC 52 lands there, as it would on a user's clipboard.
    pub fn buffer(&self) -> Option<String> {
        let output = self.command().arg("show-buffer").output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Polls the screen until `done` holds. On timeout, the error holds the last screen.
    pub fn wait_for(
        &self,
        done: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture();
            if done(&screen) {
                return Ok(screen);
            }
            if Instant::now() >= deadline {
                return Err(screen);
            }
            std::thread::sleep(POLL);
        }
    }

    /// Resizes the window, as a user resizing their terminal would.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.run(
            "tmux resize-window",
            &[
                "resize-window",
                "-t",
                &self.target,
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
            ],
        );
    }

    /// Like [`Tmux::wait_for`], but a timeout fails the test, naming `what` never showed.
    pub fn expect(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        self.wait_for(done, timeout)
            .unwrap_or_else(|screen| panic!("{what} never showed; screen:\n{screen}"))
    }

    /// The pid of the program in the pane.
    pub fn pane_pid(&self) -> u32 {
        let pid = self.run(
            "tmux display-message",
            &["display-message", "-p", "-t", &self.target, "#{pane_pid}"],
        );
        pid.trim()
            .parse()
            .unwrap_or_else(|_| panic!("tmux gave no pane pid: {pid:?}"))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
        let _ = std::fs::remove_dir_all(&self.config_home);
    }
}

/// Where moshmux looks for `moshmux/config.toml`.
pub const CONFIG_HOME: &str = "XDG_CONFIG_HOME";

/// A private `XDG_CONFIG_HOME` holding `moshmux/config.toml` with `text`; the caller
/// removes it.
pub fn config_home(text: &str) -> PathBuf {
    let home = private_dir("config");
    let dir = home.join("moshmux");
    std::fs::create_dir(&dir).expect("creating the config dir");
    std::fs::write(dir.join("config.toml"), text).expect("writing the config file");
    home
}

fn check(what: &str, output: std::io::Result<Output>) -> String {
    let output = output.unwrap_or_else(|error| panic!("{what}: cannot run tmux: {error}"));
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `moshmux attach --session s` (no host: the local server of a new [`Daemon`], which
/// reads the same file) in a terminal of `cols` x `rows` whose programs find `config` as
/// their config file.
pub struct Attached {
    pub tmux: Tmux,
    pub daemon: Daemon,
    /// The private `XDG_CONFIG_HOME`, removed on drop.
    pub home: PathBuf,
}

impl Attached {
    pub fn new(config: &str, cols: u16, rows: u16) -> Attached {
        let daemon = Daemon::new();
        let home = config_home(config);
        let tmux = attach_client(&daemon, &home, cols, rows);
        Attached { tmux, daemon, home }
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// `moshmux attach --session s` of `daemon` (its local server, no SSH) in a terminal of
/// `cols` x `rows` whose programs read their config file from `home` (see
/// [`config_home`]), panes running `sh`; returns once the shell prompts.
pub fn attach_client(daemon: &Daemon, home: &Path, cols: u16, rows: u16) -> Tmux {
    let command = format!(
        "'{}' attach --session s",
        workspace_binary("moshmux").display()
    );
    let dir = daemon.dir().to_str().expect("a UTF-8 temp dir");
    let home = home.to_str().expect("a UTF-8 temp dir");
    let env = [
        ("MOSHMUX_DIR", dir),
        ("SHELL", "/bin/sh"),
        ("LANG", "C.UTF-8"),
        ("PS1", "$ "),
        (CONFIG_HOME, home),
    ];
    let tmux = Tmux::start(cols, rows, &command, &env);
    // dash prompts `#` for root, whatever PS1 says.
    tmux.expect("the prompt", Duration::from_secs(20), |s| {
        s.lines().any(|l| l.starts_with(['$', '#']))
    });
    tmux
}

/// Runs `command` with its stdout a real pipe whose reading end is already closed, so
/// its first write fails with EPIPE, as under `| head` once head has exited; stderr is
/// captured.
pub fn output_into_closed_pipe(command: &mut Command) -> Output {
    let (read_end, write_end) = nix::unistd::pipe().expect("a pipe");
    drop(read_end);
    command
        .stdout(write_end)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("running the command")
}

/// A binary of this workspace, built next to the test executables. `cargo test
/// --workspace` builds both programs before it runs any test, since the `moshmux`
/// package that has them has an integration test (`app/tests/programs.rs`).
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executables live in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build it first (cargo build --workspace)",
        path.display()
    );
    path
}

/// `moshmux connect 127.0.0.1 PORT` in a tmux window of `cols` x `rows`, with `key` in
/// `MOSHMUX_KEY` and a UTF-8 locale.
pub fn connect_client(cols: u16, rows: u16, port: u16, key: &str) -> Tmux {
    connect_client_with(cols, rows, port, key, "")
}

/// [`connect_client`] with more options for `moshmux connect` (shell words).
pub fn connect_client_with(cols: u16, rows: u16, port: u16, key: &str, options: &str) -> Tmux {
    let binary = workspace_binary("moshmux");
    let command = format!("'{}' connect 127.0.0.1 {port} {options}", binary.display());
    client_in_tmux(cols, rows, &command, key)
}

/// [`connect_client`] under a shell that then prints `client exited with STATUS`, as a
/// user sees it: tmux does not always learn the status of a pane's program itself (it
/// may leave the dead client unreaped).
pub fn connect_client_reporting_exit(cols: u16, rows: u16, port: u16, key: &str) -> Tmux {
    let binary = workspace_binary("moshmux");
    let command = format!(
        "'{}' connect 127.0.0.1 {port}; echo \"client exited with $?\"",
        binary.display()
    );
    client_in_tmux(cols, rows, &command, key)
}

/// `command` in tmux with `key` in `MOSHMUX_KEY` and a UTF-8 locale.
fn client_in_tmux(cols: u16, rows: u16, command: &str, key: &str) -> Tmux {
    Tmux::start(
        cols,
        rows,
        command,
        &[
            ("MOSHMUX_KEY", key),
            ("LANG", "C.UTF-8"),
            ("LC_ALL", "C.UTF-8"),
        ],
    )
}

/// The client's status line in a screen of `rows` rows: its last row.
pub fn status_line(screen: &str, rows: u16) -> &str {
    screen.lines().nth(usize::from(rows) - 1).unwrap_or("")
}

/// A new empty 0700 directory under the temp dir, unique to this process and call; the
/// caller removes it.
pub fn private_dir(purpose: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mmx-{purpose}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .unwrap_or_else(|error| panic!("creating {}: {error}", dir.display()));
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(20);

    #[test]
    fn types_reads_and_resizes_a_shell() {
        let tmux = Tmux::start(40, 10, "PS1='$ ' sh", &[("GREETING", "hello")]);
        // Typed before the prompt, the text would be echoed by the terminal, not the shell.
        tmux.wait_for(|s| s.starts_with('$'), WAIT)
            .unwrap_or_else(|screen| panic!("no prompt; screen:\n{screen}"));
        tmux.send_literal("echo \"$GREETING-$((1+2))\"");
        tmux.send_keys(&["Enter"]);
        let screen = tmux
            .wait_for(|s| s.lines().any(|l| l == "hello-3"), WAIT)
            .unwrap_or_else(|screen| panic!("no output; screen:\n{screen}"));
        assert!(screen.contains("$ echo"));
        tmux.resize(30, 6);
        tmux.send_literal("stty size");
        tmux.send_keys(&["Enter"]);
        tmux.wait_for(|s| s.lines().any(|l| l == "6 30"), WAIT)
            .unwrap_or_else(|screen| panic!("size did not change; screen:\n{screen}"));
        assert!(tmux.pane_pid() > 1);
    }

    #[test]
    fn wait_for_returns_the_last_screen_on_timeout() {
        let tmux = Tmux::start(20, 5, "echo ready; sleep 30", &[]);
        let last = tmux
            .wait_for(|s| s.contains("never"), Duration::from_millis(300))
            .expect_err("the text never appears");
        assert!(
            tmux.wait_for(|s| s.contains("ready"), WAIT).is_ok(),
            "{last}"
        );
    }
}

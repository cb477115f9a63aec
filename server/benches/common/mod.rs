//! What the server benchmarks share: a moshmux daemon and a tmux server each driven through
//! its own CLI in a place of its own, running a command, and reading a server process's
//! CPU time and memory from /proc.

#![allow(dead_code)] // Each bench uses part of this module.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A moshmux daemon in its own runtime directory. Dropping it kills the daemon and removes
/// the directory, so a bench that panics half way leaves nothing running.
pub struct MoshmuxServer {
    dir: PathBuf,
}

impl MoshmuxServer {
    /// Creates `dir`; the first `new` sent through [`MoshmuxServer::command`] starts the
    /// daemon there.
    pub fn new(dir: PathBuf) -> MoshmuxServer {
        MoshmuxServer {
            dir: private_dir(dir),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server binary of this build, aimed at this daemon's directory.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(moshmux_tests::harness::workspace_binary("moshmux-server"));
        // Not the user's config file, which could change the daemon measured.
        command
            .args(args)
            .env("MOSHMUX_DIR", &self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"));
        command
    }

    /// The daemon writes its pid into the lock file it holds.
    pub fn pid(&self) -> i32 {
        let text = std::fs::read_to_string(self.dir.join("server.lock")).expect("lock file");
        text.trim().parse().expect("pid in the lock file")
    }
}

impl Drop for MoshmuxServer {
    fn drop(&mut self) {
        let _ = self.command(&["kill-server"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A tmux server on a socket of its own, reading no configuration file, so the user's
/// tmux and its settings play no part. Dropping it kills the server.
pub struct TmuxServer {
    socket: String,
}

impl TmuxServer {
    pub fn new(socket: String) -> TmuxServer {
        TmuxServer { socket }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("tmux");
        command
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX");
        command
    }

    pub fn pid(&self) -> i32 {
        run(self.command(&["display-message", "-p", "#{pid}"]))
            .trim()
            .parse()
            .expect("tmux pid")
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = self.command(&["kill-server"]).output();
    }
}

/// Creates `dir` readable by us alone (moshmux refuses a runtime directory others can read).
pub fn private_dir(dir: PathBuf) -> PathBuf {
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .expect("creating a private directory");
    dir
}

pub fn run(mut command: Command) -> String {
    let out = command.output().expect("running a multiplexer command");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// CPU seconds (user + system, all threads) a process has used.
pub fn cpu_seconds(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("process stat");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks as f64 / per_second
}

pub fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc status")
}

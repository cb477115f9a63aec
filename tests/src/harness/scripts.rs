//! tmux as the reference for scripts: a script written for tmux, run unchanged against
//! tmux 3.3 on a private socket and against `moshmux-server` with a private daemon (only
//! the program's name, `$T`, differs), so a test compares the two outputs instead of
//! typing tmux's answer in.

use std::path::PathBuf;
use std::process::Command;

use super::{private_dir, workspace_binary, Daemon};

/// Runs `script` with `program` as `$T` in `dir`; returns what it printed, and its
/// stderr for the failure message.
fn run_script(
    script: &str,
    program: &str,
    dir: &std::path::Path,
    env: &[(&str, &std::ffi::OsStr)],
) -> String {
    let output = Command::new("sh")
        .args(["-c", script, "script", program])
        .current_dir(dir)
        .env("SHELL", "/bin/sh")
        .env_remove("TMUX")
        .envs(env.iter().copied())
        .output()
        .expect("sh runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.stderr.is_empty(),
        "{program}: the script wrote to stderr:\n{}\nstdout so far:\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// A tmux server on a private socket, killed (and its directory removed) on drop.
struct TmuxServer {
    dir: PathBuf,
}

impl TmuxServer {
    fn socket(&self) -> PathBuf {
        self.dir.join("tmux.sock")
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(self.socket())
            .arg("kill-server")
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What `script` prints run by tmux 3.3 on a private socket, and by `moshmux-server`
/// with a private daemon, both in a fresh working directory named after `purpose`.
pub fn run_both(script: &str, purpose: &str) -> (String, String) {
    let work = private_dir(&format!("{purpose}-cwd"));
    let tmux = TmuxServer {
        dir: private_dir(&format!("{purpose}-tmux")),
    };
    let program = format!("tmux -S {} -f /dev/null", tmux.socket().display());
    let expected = run_script(script, &program, &work, &[]);
    drop(tmux);

    let daemon = Daemon::new();
    let server = workspace_binary("moshmux-server");
    let env = [
        ("MOSHMUX_DIR", daemon.dir().as_os_str()),
        ("XDG_CONFIG_HOME", work.as_os_str()),
    ];
    let actual = run_script(script, &server.display().to_string(), &work, &env);
    drop(daemon);
    let _ = std::fs::remove_dir_all(&work);
    (expected, actual)
}

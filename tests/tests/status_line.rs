//! The status line against tmux 3.3's, in the same run: a real tmux client attached to a
//! tmux session, and the real `moshmux` client attached to a moshmux session, each in a
//! terminal of the same size, with the same windows; their last rows must read the same
//! (tmux's default `status-left`, window formats with their flags, and `status-right`
//! with the host's name and the time). Then formats set at run time change it.

use std::time::{Duration, Instant};

use moshmux_tests::harness::{private_dir, Attached, Tmux};

const COLS: u16 = 80;
const ROWS: u16 = 24;
const WAIT: Duration = Duration::from_secs(20);

fn last_row(screen: &str) -> String {
    screen.lines().last().unwrap_or_default().to_owned()
}

/// tmux with a session `s` of three windows running `sh`, the first one active and the
/// third the last one, attached in a terminal of its own; `run` gives it commands.
struct TmuxReference {
    terminal: Tmux,
    socket: std::path::PathBuf,
}

impl TmuxReference {
    fn start() -> TmuxReference {
        let dir = private_dir("status-tmux");
        let socket = dir.join("tmux.sock");
        let tmux = format!("tmux -S {} -f /dev/null", socket.display());
        let setup = format!(
            "unset TMUX; {tmux} new-session -d -s s -x {COLS} -y {ROWS} sh && {tmux} new-window -t s: sh && \
             {tmux} new-window -t s: sh && {tmux} select-window -t s:0 && exec {tmux} attach -t s"
        );
        let terminal = Tmux::start(COLS, ROWS, &setup, &[("SHELL", "/bin/sh")]);
        TmuxReference { terminal, socket }
    }
}

impl Drop for TmuxReference {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

#[test]
fn the_status_line_reads_as_tmux_s_and_follows_its_formats() {
    let reference = TmuxReference::start();
    let attached = Attached::new("", COLS, ROWS);
    let (tmux, daemon) = (&attached.tmux, &attached.daemon);
    daemon.ok(&["new-window", "-t", "s", "--", "sh"]);
    daemon.ok(&["new-window", "-t", "s", "--", "sh"]);
    daemon.ok(&["select-window", "-t", "s:0"]);

    // The clock may turn between the two looks: look again until both show one minute.
    let deadline = Instant::now() + WAIT;
    let (theirs, ours) = loop {
        let theirs = last_row(&reference.terminal.capture());
        let ours = last_row(&tmux.capture());
        if theirs == ours || Instant::now() > deadline {
            break (theirs, ours);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        theirs.starts_with("[s] 0:sh* 1:sh  2:sh-"),
        "tmux's status line: {theirs:?}"
    );
    assert_eq!(ours, theirs, "moshmux (left) and tmux 3.3 (right) disagree");

    // Formats set at run time: a user's status-left and window format, and no right.
    daemon.ok(&["set", "-g", "status-left", "<#S> "]);
    daemon.ok(&["setw", "-g", "window-status-format", "#I=#W"]);
    daemon.ok(&["setw", "-g", "window-status-current-format", "(#I=#W)"]);
    daemon.ok(&["set", "-g", "status-right", "#{session_windows} windows"]);
    tmux.expect("the status line in the new formats", WAIT, |screen| {
        let row = last_row(screen);
        row.starts_with("<s> (0=sh) 1=sh 2=sh") && row.ends_with("3 windows")
    });
}

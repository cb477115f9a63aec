//! The daemon's side of a pane: its program on a real PTY.
//!
//! A [`Pty`] does no blocking I/O in the daemon's loop. A task on the loop's thread
//! (`pty_io.rs`) sends the PTY's output to the loop as [`PaneEvent::Output`], which the
//! loop hands to the mux, and writes queued input as the program reads it, so a program
//! that stops reading never stalls the daemon. A pane holds two descriptors: the master
//! and the child's pidfd. What the output draws (the terminal, its history) is the mux's
//! [`crate::pane::PaneState`]: the multiplexer never touches a file descriptor.

use crate::environment;
use crate::pane::{PaneSpawn, SpawnedPane};
use crate::pane_id::{PaneId, Size};
use crate::pty_io::{self, InputQueue, Master, Reaped};
use anyhow::Context;
use moshmux_proto::label::printable;
use portable_pty::{CommandBuilder, PtySize};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use tokio::sync::mpsc::Sender;
use tokio::sync::oneshot;

/// The terminal type programs in a pane see. The terminal model follows xterm's behaviour
/// (background colour erase, `?1049` alternate screen, bracketed paste, SGR mouse,
/// italics, REP), and `xterm-256color` is installed on practically every host a user may
/// ssh to from the pane. `screen-256color` would hide italics and maps standout to
/// italics; `tmux-256color` is missing on many systems (Debian ships it in ncurses-term
/// only).
pub const PANE_TERM: &str = "xterm-256color";

/// Which of a pane's programs an event comes from. respawn-pane starts a new program on
/// a new PTY under the same pane id while events of the old one may still wait in the
/// channel; the daemon's loop drops those (`DaemonHost::is_current`), so the new
/// program's terminal never gets the old one's output, nor is the pane closed by the
/// old one's exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run(pub u64);

/// What a pane's PTY tells the daemon; sent from the pane's task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneEvent {
    /// Bytes the program wrote, for the mux.
    Output(PaneId, Run, Vec<u8>),
    /// The terminal closed and the program exited, with its exit code (`None` when a
    /// signal ended it). No events for this pane follow. Not sent for a PTY that was
    /// dropped first: dropping it is its owner's way of forgetting it.
    Exited(PaneId, Run, Option<u32>),
}

pub struct Pty {
    id: PaneId,
    run: Run,
    size: Size,
    master: Master,
    input: InputQueue,
    pid: Option<u32>,
    reaped: Arc<Reaped>,
    /// Dropping this tells the task its owner forgot the pane: it closes the master and
    /// only reaps the child.
    _owner: oneshot::Sender<()>,
}

impl std::fmt::Debug for Pty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pty")
            .field("id", &self.id)
            .field("run", &self.run)
            .field("size", &self.size)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

impl Pty {
    /// Starts `spec`'s program on a new PTY. Output and the exit arrive on `events`, marked
    /// with `run`; give it a bounded capacity, so a program that floods output waits for
    /// the daemon instead of filling its memory (each event holds at most 64 KiB).
    pub fn spawn(
        id: PaneId,
        run: Run,
        spec: &PaneSpawn,
        events: Sender<PaneEvent>,
    ) -> anyhow::Result<(Pty, SpawnedPane)> {
        let size = spec.size.at_least_one_cell();
        // portable-pty words this error with Rust's debug text of the OS error; the
        // user gets the OS's words (errno is still the failed call's).
        let pair = portable_pty::native_pty_system()
            .openpty(pty_size(size))
            .map_err(|_| {
                let cause = std::io::Error::last_os_error();
                anyhow::anyhow!("cannot open a terminal for the pane: {cause}")
            })?;
        let child = pair
            .slave
            .spawn_command(command_builder(spec))
            .with_context(|| format!("starting {}", printable(&spec.command.join(" "), 200)))?;
        // The slave must close in this process, or reads never reach end of file.
        drop(pair.slave);
        let master_fd = pair
            .master
            .as_raw_fd()
            .context("the PTY master has no descriptor")?;
        // One descriptor of our own for the master; portable-pty's closes with it.
        let master = own_copy(master_fd)?;
        drop(pair.master);
        set_nonblocking(master.as_raw_fd())?;
        let master = Arc::new(pty_io::watch(master).context("watching the PTY master")?);
        let pid = child.process_id();
        // The task waits for and reaps the child itself.
        drop(child);
        let (input, owner, reaped) = pty_io::start(id, run, master.clone(), pid, events);
        let spawned = SpawnedPane {
            pid,
            command_name: command_name(spec),
        };
        let pty = Pty {
            id,
            run,
            size,
            master,
            input,
            pid,
            reaped,
            _owner: owner,
        };
        Ok((pty, spawned))
    }

    /// Which of the pane's programs this is; its events carry it.
    pub fn run(&self) -> Run {
        self.run
    }

    /// Bytes of input the pane takes now without dropping any.
    pub fn input_room(&self) -> usize {
        self.input.room()
    }

    /// Sends bytes to the program as if typed. Never blocks; input is dropped (and logged)
    /// when the program has left several MiB unread.
    pub fn write_input(&mut self, bytes: &[u8]) {
        if !self.input.push(bytes) {
            tracing::warn!(pane = %self.id, bytes = bytes.len(), "dropped input the program is not reading");
        }
    }

    /// Resizes the terminal; the program gets SIGWINCH from the kernel.
    pub fn resize(&mut self, size: Size) {
        let size = size.at_least_one_cell();
        if size == self.size {
            return;
        }
        self.size = size;
        let winsize = libc::winsize {
            ws_row: size.rows,
            ws_col: size.cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads the winsize we pass; the master is open.
        let result = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &winsize) };
        if result != 0 {
            let error = std::io::Error::last_os_error();
            tracing::warn!(pane = %self.id, %error, "resizing the PTY failed");
        }
    }

    /// The terminal's foreground process group, if the kernel tells.
    fn foreground_group(&self) -> Option<libc::pid_t> {
        // SAFETY: tcgetpgrp only reads the terminal's state; the master is open.
        let group = unsafe { libc::tcgetpgrp(self.master.as_raw_fd()) };
        (group > 0).then_some(group)
    }

    /// The name of the terminal's foreground process (what the user is running in the
    /// pane, e.g. `vim` under the shell), if the kernel tells.
    pub fn foreground_command(&self) -> Option<String> {
        self.foreground_group()
            .and_then(|pgid| std::fs::read_to_string(format!("/proc/{pgid}/comm")).ok())
            .map(|comm| comm.trim_end_matches('\n').to_owned())
            .filter(|comm| !comm.is_empty())
    }

    /// The working directory of the terminal's foreground process, as tmux reads it for
    /// `pane_current_path`.
    pub fn foreground_cwd(&self) -> Option<std::path::PathBuf> {
        let group = self.foreground_group()?;
        std::fs::read_link(format!("/proc/{group}/cwd")).ok()
    }

    /// Hangs up the pane's programs, as tmux does when a pane is killed: SIGHUP to the
    /// child's process group and to the terminal's foreground group. The `Exited` event
    /// follows once they are gone, unless the `Pty` is dropped first.
    pub fn hang_up(&mut self) {
        let Some(pid) = self.pid.and_then(|pid| i32::try_from(pid).ok()) else {
            return;
        };
        // The task reaps on this same thread, so the pid cannot be reaped and reused
        // between this look and the signal.
        if self.reaped.is_set() {
            return;
        }
        use nix::sys::signal::{killpg, Signal};
        use nix::unistd::Pid;
        let _ = killpg(Pid::from_raw(pid), Signal::SIGHUP);
        if let Some(group) = self.foreground_group().filter(|&group| group != pid) {
            let _ = killpg(Pid::from_raw(group), Signal::SIGHUP);
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        self.hang_up();
    }
}

fn pty_size(size: Size) -> PtySize {
    PtySize {
        rows: size.rows,
        cols: size.cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

fn command_builder(spec: &PaneSpawn) -> CommandBuilder {
    let mut builder = if spec.command.is_empty() {
        CommandBuilder::new_default_prog()
    } else {
        CommandBuilder::from_argv(spec.command.iter().map(Into::into).collect())
    };
    if let Some(cwd) = &spec.cwd {
        builder.cwd(cwd);
    }
    builder.env_clear();
    for (key, value) in environment::for_program(std::env::vars(), &spec.env) {
        builder.env(key, value);
    }
    builder.env("TERM", PANE_TERM);
    builder
}

/// What a pane is called when its foreground process is unknown: the program's file name.
fn command_name(spec: &PaneSpawn) -> String {
    let program = match spec.command.first() {
        Some(program) => program.clone(),
        None => CommandBuilder::new_default_prog().get_shell(),
    };
    program.rsplit('/').next().unwrap_or(&program).to_owned()
}

fn set_nonblocking(fd: RawFd) -> anyhow::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// A close-on-exec copy of the master that we own.
fn own_copy(fd: RawFd) -> anyhow::Result<OwnedFd> {
    // SAFETY: `fd` belongs to portable-pty's master, which is open for this whole call.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    Ok(borrowed.try_clone_to_owned()?)
}

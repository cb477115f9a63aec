//! One pane: a program on a real PTY and the vt100 screen its output draws.
//!
//! The pane itself does no blocking I/O. A reader thread sends the PTY's output to the
//! daemon as `PaneEvent::Output`; the daemon's mux task hands it back to
//! [`Pane::process_output`], which draws it and answers the program's terminal queries.
//! Input goes to a writer thread, so a program that stops reading never stalls the daemon.

use crate::history::PaneHistory;
use crate::pane_id::{PaneId, Size};
use crate::pty_io::{ChildState, InputQueue, Reader};
use crate::terminal::Terminal;
use anyhow::Context;
use portable_pty::{CommandBuilder, MasterPty, PtySize};
use std::fs::File;
use std::os::fd::{BorrowedFd, RawFd};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::Sender;

/// The terminal type programs in a pane see. vt100 follows xterm's behaviour (background
/// colour erase, `?1049` alternate screen, bracketed paste, SGR mouse, italics, REP), and
/// `xterm-256color` is installed on practically every host a user may ssh to from the pane.
/// `screen-256color` would hide italics and maps standout to italics; `tmux-256color` is
/// missing on many systems (Debian ships it in ncurses-term only).
pub const PANE_TERM: &str = "xterm-256color";

/// What a pane tells the daemon; sent from the pane's reader thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneEvent {
    /// Bytes the program wrote; pass them to [`Pane::process_output`].
    Output(PaneId, Vec<u8>),
    /// The terminal closed and the program exited, with its exit code (`None` when a
    /// signal ended it). No events for this pane follow. Not sent for a pane that was
    /// dropped first: dropping it is its owner's way of forgetting it.
    Exited(PaneId, Option<u32>),
}

/// How to start the program in a new pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneSpawn {
    /// Program and arguments; empty means the user's login shell (`$SHELL`, else the
    /// password database's shell, else `/bin/sh`).
    pub command: Vec<String>,
    /// Working directory; `None` (or a directory that does not exist) means `$HOME`.
    pub cwd: Option<PathBuf>,
    /// Extra environment, on top of the daemon's own.
    pub env: Vec<(String, String)>,
    pub size: Size,
}

/// The terminal modes a program has switched on, which change what a client must send
/// (application cursor keys, bracketed paste, mouse reports) or show (alternate screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaneModes {
    pub alternate_screen: bool,
    pub application_cursor: bool,
    pub bracketed_paste: bool,
    pub mouse: vt100::MouseProtocolMode,
    pub mouse_encoding: vt100::MouseProtocolEncoding,
}

pub struct Pane {
    id: PaneId,
    size: Size,
    terminal: Terminal,
    master: Box<dyn MasterPty + Send>,
    input: InputQueue,
    pid: Option<u32>,
    command_name: String,
    child_state: Arc<ChildState>,
    /// `None` once the pane has ended and left its last screen to history.
    history: Option<PaneHistory>,
    /// Dropping this closes the stop pipe, which ends the reader and writer threads.
    _stop: std::os::fd::OwnedFd,
}

impl std::fmt::Debug for Pane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pane")
            .field("id", &self.id)
            .field("size", &self.size)
            .field("pid", &self.pid)
            .field("command", &self.command_name)
            .finish_non_exhaustive()
    }
}

impl Pane {
    /// Starts `spec`'s program on a new PTY. Output and the exit arrive on `events`; give
    /// it a bounded capacity, so a program that floods output waits for the daemon instead
    /// of filling its memory (each event holds at most 64 KiB).
    pub fn spawn(
        id: PaneId,
        spec: &PaneSpawn,
        events: Sender<PaneEvent>,
        history: PaneHistory,
    ) -> anyhow::Result<Pane> {
        let size = clamp_size(spec.size);
        let pair = portable_pty::native_pty_system()
            .openpty(pty_size(size))
            .context("opening a PTY")?;
        let child = pair
            .slave
            .spawn_command(command_builder(spec))
            .with_context(|| format!("starting {:?}", spec.command))?;
        // The slave must close in this process, or reads never reach end of file.
        drop(pair.slave);
        let master = pair.master;
        let master_fd = master
            .as_raw_fd()
            .context("the PTY master has no descriptor")?;
        set_nonblocking(master_fd)?;
        let (stop_reader, stop_writer) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let child_state = Arc::new(ChildState::default());
        let pid = child.process_id();
        let reader = Reader {
            id,
            pty: duplicate(master_fd)?,
            stop: stop_reader.try_clone()?,
            events,
            child,
            child_state: child_state.clone(),
        };
        std::thread::Builder::new()
            .name(format!("pty-reader-{id}"))
            .spawn(move || reader.run())
            .context("starting the PTY reader thread")?;
        let input = InputQueue::start(id, duplicate(master_fd)?, stop_reader)
            .context("starting the PTY writer thread")?;
        let command_name = command_name(spec);
        history.set_label(&command_name, "");
        Ok(Pane {
            id,
            size,
            terminal: Terminal::new(size),
            master,
            input,
            pid,
            command_name,
            child_state,
            history: Some(history),
            _stop: stop_writer,
        })
    }

    pub fn id(&self) -> PaneId {
        self.id
    }

    pub fn size(&self) -> Size {
        self.size
    }

    /// The child's process id (also its process group and session, as it leads both).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Draws the program's output and answers the terminal queries in it.
    pub fn process_output(&mut self, bytes: &[u8]) {
        self.terminal.process(bytes);
        if let Some(history) = &mut self.history {
            history.append(self.terminal.take_scrolled());
        }
        let replies = self.terminal.take_replies();
        if !replies.is_empty() && !self.input.push(&replies) {
            tracing::debug!(pane = %self.id, "dropped terminal query replies");
        }
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
        let size = clamp_size(size);
        if size == self.size {
            return;
        }
        self.size = size;
        self.terminal.set_size(size);
        if let Err(error) = self.master.resize(pty_size(size)) {
            tracing::warn!(pane = %self.id, %error, "resizing the PTY failed");
        }
    }

    pub fn screen(&self) -> &vt100::Screen {
        self.terminal.screen()
    }

    /// The visible rows as `tmux capture-pane -p` prints them: one line per row, trailing
    /// blanks trimmed; with `escapes`, colours and attributes as SGR sequences (`-e`).
    pub fn capture(&self, escapes: bool) -> String {
        self.terminal.capture(escapes)
    }

    /// The title the program set with OSC 0 or OSC 2, empty if none.
    pub fn title(&self) -> &str {
        self.terminal.title()
    }

    pub fn modes(&self) -> PaneModes {
        let screen = self.terminal.screen();
        PaneModes {
            alternate_screen: screen.alternate_screen(),
            application_cursor: screen.application_cursor(),
            bracketed_paste: screen.bracketed_paste(),
            mouse: screen.mouse_protocol_mode(),
            mouse_encoding: screen.mouse_protocol_encoding(),
        }
    }

    /// The name of the terminal's foreground process (what the user is running in the
    /// pane, e.g. `vim` under the shell), or of the spawned program if that is unknown.
    pub fn current_command(&self) -> String {
        self.master
            .process_group_leader()
            .and_then(|pgid| std::fs::read_to_string(format!("/proc/{pgid}/comm")).ok())
            .map(|comm| comm.trim_end_matches('\n').to_owned())
            .filter(|comm| !comm.is_empty())
            .unwrap_or_else(|| self.command_name.clone())
    }

    /// Ends the pane's history: the rows still on the main screen (down to the last one
    /// with text) go to history after the rows that scrolled off, so an ended pane reads
    /// as everything it showed; then the pane is recorded as ended with its command
    /// and title.
    pub fn end_history(&mut self) {
        let Some(mut history) = self.history.take() else {
            return;
        };
        let screen = self.terminal.screen();
        if !screen.alternate_screen() {
            let (rows, _) = screen.size();
            let lines: Vec<_> = (0..rows.get())
                .map(|row| self.terminal.row_line(row))
                .collect();
            let used = lines
                .iter()
                .rposition(|line| !line.text.is_empty())
                .map_or(0, |last| last + 1);
            history.append(lines.into_iter().take(used));
        }
        history.set_label(&self.command_name, self.title());
        history.mark_ended();
    }

    /// Hangs up the pane's programs, as tmux does when a pane is killed: SIGHUP to the
    /// child's process group and to the terminal's foreground group. The `Exited` event
    /// follows once they are gone.
    pub fn kill(&mut self) {
        let Some(pid) = self.pid.and_then(|pid| i32::try_from(pid).ok()) else {
            return;
        };
        let foreground = self.master.process_group_leader();
        self.child_state.while_unreaped(|| {
            use nix::sys::signal::{killpg, Signal};
            use nix::unistd::Pid;
            let _ = killpg(Pid::from_raw(pid), Signal::SIGHUP);
            if let Some(group) = foreground.filter(|&group| group != pid) {
                let _ = killpg(Pid::from_raw(group), Signal::SIGHUP);
            }
        });
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The kernel needs at least one row and one column, as vt100 does.
fn clamp_size(size: Size) -> Size {
    Size {
        rows: size.rows.max(1),
        cols: size.cols.max(1),
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
    // The daemon's own terminal size says nothing about the pane's.
    builder.env_remove("LINES");
    builder.env_remove("COLUMNS");
    builder.env("TERM", PANE_TERM);
    for (key, value) in &spec.env {
        builder.env(key, value);
    }
    builder
}

/// The name `current_command` falls back to: the program's file name.
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

/// A close-on-exec copy of the master for a thread to own.
fn duplicate(fd: RawFd) -> anyhow::Result<File> {
    // SAFETY: `fd` belongs to the `MasterPty` we hold, which is open for this whole call.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    Ok(File::from(borrowed.try_clone_to_owned()?))
}

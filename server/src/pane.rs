//! The mux's side of a pane: the terminal its program's output draws, where the rows it
//! scrolls off go (history), and what is known about the program. No file descriptor:
//! the daemon's [`crate::pty::Pty`] (or the simulator's scripted program) moves the bytes,
//! and the mux hands them to [`PaneState::process_output`].

use crate::history::PaneHistory;
use crate::pane_id::{PaneId, Size};
use crate::terminal::Terminal;
use moshmux_proto::screen::Row;
use std::path::PathBuf;

/// How to start the program in a new pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneSpawn {
    /// Program and arguments; empty means the user's login shell (`$SHELL`, else the
    /// password database's shell, else `/bin/sh`).
    pub command: Vec<String>,
    /// Working directory; `None` (or a directory that does not exist) means `$HOME`.
    pub cwd: Option<PathBuf>,
    /// Variables set (`Some`) or removed (`None`) on top of the daemon's base variables;
    /// the program gets no others but `TERM` (`environment.rs`).
    pub env: Vec<(String, Option<String>)>,
    pub size: Size,
}

/// What a pane's program was started with: respawn-pane and respawn-window without a
/// command run it again, in the same directory, as tmux does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaneStart {
    /// Program and arguments; empty: the user's shell.
    pub command: Vec<String>,
    /// Working directory; `None`: `$HOME`.
    pub cwd: Option<PathBuf>,
}

/// What the host tells the mux about a program it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnedPane {
    /// The child's process id (also its process group and session, as it leads both).
    pub pid: Option<u32>,
    /// The program's file name, what the pane is called when its foreground process is
    /// unknown.
    pub command_name: String,
}

/// The terminal modes a program has switched on, which change what a client must send
/// (application cursor keys, bracketed paste, mouse reports) or show (alternate screen).
pub type PaneModes = moshmux_proto::screen::Modes;

pub struct PaneState {
    id: PaneId,
    size: Size,
    terminal: Terminal,
    spawned: SpawnedPane,
    /// What the program was started with, for a respawn without a command.
    start: PaneStart,
    /// The foreground process's name as the host last told it.
    foreground: Option<String>,
    /// `None` once the pane has ended and left its last screen to history.
    history: Option<PaneHistory>,
}

impl std::fmt::Debug for PaneState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaneState")
            .field("id", &self.id)
            .field("size", &self.size)
            .field("spawned", &self.spawned)
            .finish_non_exhaustive()
    }
}

impl PaneState {
    /// A blank pane for a program the host has started.
    pub fn new(id: PaneId, size: Size, spawned: SpawnedPane, history: PaneHistory) -> PaneState {
        let size = size.at_least_one_cell();
        history.set_label(&spawned.command_name, "");
        PaneState {
            id,
            size,
            terminal: Terminal::new(size),
            spawned,
            start: PaneStart::default(),
            foreground: None,
            history: Some(history),
        }
    }

    /// The pane, remembering what its program was started with.
    pub fn started_with(mut self, start: PaneStart) -> PaneState {
        self.start = start;
        self
    }

    /// What the program was started with (the newest respawn's, after one).
    pub fn start(&self) -> &PaneStart {
        &self.start
    }

    /// A new program runs in the pane (respawn-pane): the old screen's rows go to
    /// history after those that scrolled off, as when a pane ends, so the history goes on
    /// under the same id and keeps everything the old program showed; the new program
    /// starts on a blank terminal of the same size.
    pub fn respawned(&mut self, spawned: SpawnedPane, start: PaneStart) {
        let lines = self.screen_lines();
        if let Some(history) = &mut self.history {
            history.append(lines);
            history.set_label(&spawned.command_name, "");
        }
        self.terminal = Terminal::new(self.size);
        self.spawned = spawned;
        self.start = start;
        self.foreground = None;
    }

    pub fn id(&self) -> PaneId {
        self.id
    }

    pub fn size(&self) -> Size {
        self.size
    }

    pub fn pid(&self) -> Option<u32> {
        self.spawned.pid
    }

    /// What the user is running in the pane: the foreground process as last told by
    /// [`PaneState::set_foreground`], else the program's file name.
    pub fn current_command(&self) -> &str {
        self.foreground
            .as_deref()
            .unwrap_or(&self.spawned.command_name)
    }

    /// True when the foreground command changed.
    pub fn set_foreground(&mut self, command: Option<String>) -> bool {
        let changed = self.foreground != command;
        self.foreground = command;
        changed
    }

    /// Draws the program's output; returns the answers to the terminal queries in it, to
    /// be written to the program at once.
    pub fn process_output(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.terminal.process(bytes);
        if let Some(history) = &mut self.history {
            history.append(self.terminal.take_scrolled());
        }
        self.terminal.take_replies()
    }

    /// Resizes the terminal; true when the size changed (and the PTY must follow).
    pub fn resize(&mut self, size: Size) -> bool {
        let size = size.at_least_one_cell();
        if size == self.size {
            return false;
        }
        self.size = size;
        self.terminal.set_size(size);
        true
    }

    /// The pane's terminal: its screen, cursor, modes and title.
    pub fn screen(&self) -> &Terminal {
        &self.terminal
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

    /// The newest copy the program made with OSC 52 since the last call.
    pub fn take_clipboard(&mut self) -> Option<(char, Vec<u8>)> {
        self.terminal.take_clipboard()
    }

    pub fn modes(&self) -> PaneModes {
        self.terminal.modes()
    }

    /// The rows of the main screen down to the last one with text, as history lines: what
    /// the pane shows beyond what it scrolled off. Empty on the alternate screen, whose
    /// contents never go to history.
    pub fn screen_lines(&self) -> Vec<Row> {
        if self.terminal.alternate_screen() {
            return Vec::new();
        }
        let rows = self.terminal.size().rows;
        let mut lines: Vec<_> = (0..rows)
            .map(|row| self.terminal.history_row(row))
            .collect();
        let used = lines
            .iter()
            .rposition(|line| !line.text().is_empty())
            .map_or(0, |last| last + 1);
        lines.truncate(used);
        lines
    }

    /// Keeps what the screen shows now in the store, so a daemon killed before it could
    /// end the pane still leaves the screen in history (`history::open`).
    pub fn save_screen(&self) {
        if let Some(history) = &self.history {
            history.save_screen(self.screen_lines());
        }
    }

    /// Gives back the memory the terminal model holds in reserve for scrolling.
    pub fn release_spare_rows(&mut self) {
        self.terminal.release_spare_rows();
    }

    /// Ends the pane's history: the rows still on the main screen (down to the last one
    /// with text) go to history after the rows that scrolled off, so an ended pane reads
    /// as everything it showed; then the pane is recorded as ended with its command
    /// and title.
    pub fn end_history(&mut self) {
        let lines = self.screen_lines();
        let Some(mut history) = self.history.take() else {
            return;
        };
        history.append(lines);
        history.set_label(&self.spawned.command_name, self.title());
        history.mark_ended();
    }
}

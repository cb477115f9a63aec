//! The programs in the simulated panes: a small shell on a terminal in canonical mode.
//! It echoes what is typed, and at Enter runs one of a few commands, whose output comes
//! in chunks spread over virtual time as a real program's does through a PTY.
//!
//! Commands: `seq A B` (one line per number, as seq prints them), `echo TEXT`, `exit`;
//! anything else prints `?`. A prompt `$ ` follows each command's output.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Lines of a command's output per chunk.
const LINES_PER_CHUNK: u64 = 64;
/// Time between chunks: a flood of about 60k lines a second, of the order a real PTY
/// gives the daemon.
const CHUNK_INTERVAL: Duration = Duration::from_millis(1);
const PROMPT: &[u8] = b"$ ";

/// What a program does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Bytes for its terminal.
    Output(Vec<u8>),
    /// It exited.
    Exit,
}

#[derive(Debug, Clone)]
enum Pending {
    Bytes(Vec<u8>),
    /// Lines `from..=to` of `seq`, still to print.
    Seq {
        from: u64,
        to: u64,
    },
    Exit,
}

#[derive(Debug, Default)]
pub struct Shell {
    line: Vec<u8>,
    pending: VecDeque<Pending>,
    /// When the next chunk of output is due.
    due: Option<Instant>,
    exited: bool,
}

impl Shell {
    /// A shell that has just started: its prompt is due at once.
    pub fn start(now: Instant) -> Shell {
        let mut shell = Shell::default();
        shell.queue(Pending::Bytes(PROMPT.to_vec()), now);
        shell
    }

    /// Bytes from the terminal: typed keys (and nothing else; it asks no queries).
    pub fn input(&mut self, bytes: &[u8], now: Instant) {
        for &byte in bytes {
            match byte {
                b'\r' => {
                    self.queue(Pending::Bytes(b"\r\n".to_vec()), now);
                    let line =
                        String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                    self.run(&line, now);
                }
                0x7f if !self.line.is_empty() => {
                    self.line.pop();
                    self.queue(Pending::Bytes(b"\x08 \x08".to_vec()), now);
                }
                0x20..=0x7e => {
                    self.line.push(byte);
                    self.queue(Pending::Bytes(vec![byte]), now);
                }
                _ => {}
            }
        }
    }

    fn run(&mut self, line: &str, now: Instant) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            ["seq", from, to] => match (from.parse(), to.parse()) {
                (Ok(from), Ok(to)) => self.queue(Pending::Seq { from, to }, now),
                _ => self.queue(Pending::Bytes(b"?\r\n".to_vec()), now),
            },
            ["echo", rest @ ..] => {
                let text = format!("{}\r\n", rest.join(" "));
                self.queue(Pending::Bytes(text.into_bytes()), now);
            }
            ["exit"] => {
                self.queue(Pending::Exit, now);
                return;
            }
            _ => self.queue(Pending::Bytes(b"?\r\n".to_vec()), now),
        }
        self.queue(Pending::Bytes(PROMPT.to_vec()), now);
    }

    fn queue(&mut self, pending: Pending, now: Instant) {
        if !self.exited {
            self.pending.push_back(pending);
            self.due.get_or_insert(now);
        }
    }

    /// When [`Shell::step`] has something.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.due
    }

    /// The next chunk of output (or the exit), if it is due.
    pub fn step(&mut self, now: Instant) -> Option<Step> {
        if self.due.is_none_or(|due| due > now) {
            return None;
        }
        let step = match self.pending.pop_front()? {
            Pending::Bytes(bytes) => Step::Output(bytes),
            Pending::Exit => {
                self.exited = true;
                self.pending.clear();
                Step::Exit
            }
            Pending::Seq { from, to } => {
                let last = to.min(from + LINES_PER_CHUNK - 1);
                let text: String = (from..=last).map(|n| format!("{n}\r\n")).collect();
                if last < to {
                    self.pending.push_front(Pending::Seq { from: last + 1, to });
                }
                Step::Output(text.into_bytes())
            }
        };
        self.due = match self.pending.front() {
            Some(Pending::Seq { .. }) => Some(now + CHUNK_INTERVAL),
            Some(_) => Some(now),
            None => None,
        };
        Some(step)
    }
}

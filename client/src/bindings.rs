//! The client's key bindings: tokens from the terminal in, actions out.
//!
//! A pure state machine, so that every binding is tested without a terminal. Tokens that
//! are not bindings go to the focused pane unchanged: it gets exactly what the terminal
//! produced, whatever mode (application cursor, bracketed paste, mouse) made it. A
//! bracketed paste is one token, so nothing pasted is ever a binding.

use moshmux_proto::user::Direction;
use moshmux_proto::{Label, MuxCommand};

use crate::input::{Kind, NamedKey, Token, PASTE_END};
use crate::key_table::{Binding, Key, KeyTable, ESCAPE_KEY};
use crate::scroll_view::Entry;

/// Longest text a prompt collects: a window or session name, or a command line.
const MAX_PROMPT_BYTES: usize = 1024;
/// Command lines the prompt remembers, as tmux's prompt history keeps 100.
const MAX_PROMPT_HISTORY: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A token for the focused pane.
    Pane(Token),
    Command(MuxCommand),
    /// Tell the server we leave, then exit (prefix `d`).
    Detach,
    /// Exit at once (`C-^ .`).
    Quit,
    /// Hand the terminal back and stop, as the shell's C-z would (prefix C-z).
    Suspend,
    /// Open the scroll view of the focused pane (prefix `[`, or `PPage` a page up).
    ScrollView(Entry),
    /// A line typed at the command prompt (prefix `:`).
    CommandLine(String),
    /// Say what this key after the prefix is bound to (prefix `/`).
    DescribeKey(Key),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum State {
    #[default]
    Normal,
    Prefix,
    /// After C-^.
    EscapeKey,
    /// Collecting a new window or session name, or a command line.
    Prompt(Prompting, Vec<u8>),
    /// Waiting for `y` to kill the focused pane (or window): the command to send.
    ConfirmKill(MuxCommand),
    /// A paste that cancelled a prompt is dropped whole: its pieces still to come too.
    DroppingPaste,
    /// Waiting for the key to describe (prefix `/`).
    DescribeKey,
}

/// What a prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompting {
    WindowName,
    SessionName,
    /// A window's index to select.
    WindowIndex,
    /// Where to move the current window: an index, or a session and index.
    MoveTarget,
    /// What find-window looks for.
    FindText,
    CommandLine,
}

#[derive(Debug, Clone, Default)]
pub struct Bindings {
    state: State,
    table: KeyTable,
    /// A rename prompt just opened, to be started with the current name (tmux's
    /// `command-prompt -I "#W"`), which the caller knows ([`Bindings::prefill`]).
    unfilled: bool,
    /// The command lines run from the prompt, oldest first (tmux's prompt history of
    /// type `command`), and which of them Up and Down have brought back into it.
    history: Vec<String>,
    recalled: Option<usize>,
}

impl Bindings {
    pub fn new(table: KeyTable) -> Bindings {
        Bindings {
            table,
            ..Bindings::default()
        }
    }

    /// The prefix and the keys bound after it.
    pub fn table(&self) -> &KeyTable {
        &self.table
    }

    /// A new prefix key, set at run time (`KeyTable::set_prefix`).
    pub fn set_prefix(&mut self, prefix: u8) {
        self.table.set_prefix(prefix);
    }

    /// Starts a rename prompt that just opened with the window's or the session's
    /// current name, as tmux's `,` and `$` do; the user edits it or clears it (C-u).
    pub fn prefill(&mut self, window: &str, session: &str) {
        if !std::mem::take(&mut self.unfilled) {
            return;
        }
        if let State::Prompt(what, text) = &mut self.state {
            match what {
                Prompting::WindowName => *text = window.as_bytes().to_vec(),
                Prompting::SessionName => *text = session.as_bytes().to_vec(),
                Prompting::WindowIndex
                | Prompting::MoveTarget
                | Prompting::FindText
                | Prompting::CommandLine => {}
            }
        }
    }

    /// What one token means, appended to `actions`.
    pub fn feed(&mut self, token: Token, actions: &mut Vec<Action>) {
        let state = std::mem::take(&mut self.state);
        self.unfilled = matches!(state, State::Prefix);
        self.state = match state {
            // The escape key is never a prefix, so it is looked at first.
            State::Normal => match token.byte() {
                Some(ESCAPE_KEY) => State::EscapeKey,
                Some(byte) if byte == self.table.prefix() => State::Prefix,
                _ => {
                    actions.push(Action::Pane(token));
                    State::Normal
                }
            },
            State::Prefix => self.prefix_key(token, actions),
            State::EscapeKey => match token.byte() {
                Some(b'.') => {
                    actions.push(Action::Quit);
                    State::Normal
                }
                Some(ESCAPE_KEY) => {
                    actions.push(Action::Pane(escape_key()));
                    State::Normal
                }
                _ => {
                    // Not an escape: the C-^ was meant for the pane, and so is this key.
                    actions.push(Action::Pane(escape_key()));
                    return self.feed(token, actions);
                }
            },
            State::Prompt(Prompting::CommandLine, text) => self.command_key(text, &token, actions),
            State::Prompt(what, text) => prompt_key(what, text, &token, actions),
            State::ConfirmKill(command) => {
                if matches!(token.byte(), Some(b'y' | b'Y')) {
                    actions.push(Action::Command(command));
                }
                dropping_rest_of(&token)
            }
            State::DescribeKey => {
                if let Some(key) = bindable_key(&token) {
                    actions.push(Action::DescribeKey(key));
                }
                dropping_rest_of(&token)
            }
            State::DroppingPaste if token.kind == Kind::Paste => dropping_rest_of(&token),
            State::DroppingPaste => {
                self.state = State::Normal;
                return self.feed(token, actions);
            }
        };
    }

    /// The prompt to show on the status line, if one is open.
    pub fn prompt(&self) -> Option<String> {
        match &self.state {
            State::Prompt(what, text) => {
                let text = String::from_utf8_lossy(text);
                Some(match what {
                    Prompting::WindowName => format!("(rename-window) {text}"),
                    Prompting::SessionName => format!("(rename-session) {text}"),
                    Prompting::WindowIndex => format!("(index) {text}"),
                    Prompting::MoveTarget => format!("(target) {text}"),
                    Prompting::FindText => format!("(find-window) {text}"),
                    // tmux's command prompt is a bare colon.
                    Prompting::CommandLine => format!(":{text}"),
                })
            }
            State::DescribeKey => Some("(key) ".to_owned()),
            State::ConfirmKill(MuxCommand::KillWindow) => Some("kill-window? (y/n)".to_owned()),
            State::ConfirmKill(_) => Some("kill-pane? (y/n)".to_owned()),
            _ => None,
        }
    }

    /// One key typed at the command prompt: Up and Down go through the lines run
    /// before, Enter runs the line and remembers it.
    fn command_key(&mut self, text: Vec<u8>, token: &Token, actions: &mut Vec<Action>) -> State {
        let step = match token.kind {
            Kind::Key(Some(NamedKey::Up)) => Some(true),
            Kind::Key(Some(NamedKey::Down)) => Some(false),
            _ => None,
        };
        if let Some(back) = step {
            let newest = self.history.len().checked_sub(1);
            self.recalled = match (self.recalled, back) {
                (None, true) => newest,
                (Some(at), true) => Some(at.saturating_sub(1)),
                (Some(at), false) if Some(at) < newest => Some(at + 1),
                (_, false) => None,
            };
            let line = self.recalled.and_then(|at| self.history.get(at));
            let text = line.map_or_else(Vec::new, |line| line.as_bytes().to_vec());
            return State::Prompt(Prompting::CommandLine, text);
        }
        let state = prompt_key(Prompting::CommandLine, text.clone(), token, actions);
        if !matches!(state, State::Prompt(..)) {
            self.recalled = None;
        }
        if matches!(token.kind, Kind::Control(b'\r' | b'\n')) {
            let line = String::from_utf8_lossy(&text).trim().to_owned();
            if !line.is_empty() && self.history.last() != Some(&line) {
                if self.history.len() == MAX_PROMPT_HISTORY {
                    self.history.remove(0);
                }
                self.history.push(line);
            }
        }
        state
    }

    /// tmux's `show-prompt-history`: the command lines the prompt remembers.
    pub fn prompt_history(&self) -> Vec<String> {
        let mut lines = vec!["History for command:".to_owned(), String::new()];
        let numbered = self.history.iter().enumerate();
        lines.extend(numbered.map(|(n, line)| format!("{}: {line}", n + 1)));
        lines
    }

    /// tmux's `clear-prompt-history`.
    pub fn clear_prompt_history(&mut self) {
        self.history.clear();
        self.recalled = None;
    }

    /// The key after the prefix: an arrow or one byte. Anything else, as an unbound key,
    /// is dropped whole, as in tmux; but a paste cancels the prefix and reaches the pane.
    fn prefix_key(&self, token: Token, actions: &mut Vec<Action>) -> State {
        if token.kind == Kind::Paste {
            actions.push(Action::Pane(token));
            return State::Normal;
        }
        match bindable_key(&token) {
            Some(key) => self.run(key, actions),
            None => State::Normal,
        }
    }

    /// Runs what `key` after the prefix is bound to; unbound keys are dropped, as in tmux.
    fn run(&self, key: Key, actions: &mut Vec<Action>) -> State {
        match self.table.get(key) {
            None => {}
            Some(Binding::Command(mux)) => actions.push(Action::Command(mux.clone())),
            Some(Binding::ConfirmKillPane) => return State::ConfirmKill(MuxCommand::KillPane),
            Some(Binding::ConfirmKillWindow) => return State::ConfirmKill(MuxCommand::KillWindow),
            Some(Binding::RenameWindow) => return State::Prompt(Prompting::WindowName, Vec::new()),
            Some(Binding::RenameSession) => {
                return State::Prompt(Prompting::SessionName, Vec::new())
            }
            Some(Binding::CommandPrompt) => {
                return State::Prompt(Prompting::CommandLine, Vec::new())
            }
            // The client's own command, run as if typed at the prompt.
            Some(Binding::ListKeys) => actions.push(Action::CommandLine("list-keys".to_owned())),
            Some(Binding::DisplayPanes) => {
                actions.push(Action::CommandLine("display-panes".to_owned()))
            }
            Some(Binding::ClockMode) => actions.push(Action::CommandLine("clock-mode".to_owned())),
            Some(Binding::ChooseTree(start)) => {
                actions.push(Action::CommandLine(start.command_line().to_owned()))
            }
            Some(Binding::ChooseList(kind)) => {
                actions.push(Action::CommandLine(kind.command_line().to_owned()))
            }
            Some(Binding::Detach) => actions.push(Action::Detach),
            Some(Binding::SuspendClient) => actions.push(Action::Suspend),
            Some(Binding::CopyMode) => actions.push(Action::ScrollView(Entry::Bottom)),
            Some(Binding::CopyModePageUp) => actions.push(Action::ScrollView(Entry::PageUp)),
            Some(Binding::SelectWindowPrompt) => {
                return State::Prompt(Prompting::WindowIndex, Vec::new())
            }
            Some(Binding::MoveWindowPrompt) => {
                return State::Prompt(Prompting::MoveTarget, Vec::new())
            }
            Some(Binding::FindWindowPrompt) => {
                return State::Prompt(Prompting::FindText, Vec::new())
            }
            Some(Binding::DescribeKey) => return State::DescribeKey,
            Some(Binding::SendPrefix) => {
                let prefix = self.table.prefix();
                actions.push(Action::Pane(Token {
                    kind: Kind::Control(prefix),
                    bytes: vec![prefix],
                }));
            }
        }
        State::Normal
    }
}

/// The state after a token that ended a prompt: a paste cut across reads has more pieces
/// coming, which go where the first went.
fn dropping_rest_of(token: &Token) -> State {
    if token.kind == Kind::Paste && !token.bytes.ends_with(PASTE_END) {
        State::DroppingPaste
    } else {
        State::Normal
    }
}

/// One key typed into a prompt.
fn prompt_key(
    what: Prompting,
    mut text: Vec<u8>,
    token: &Token,
    actions: &mut Vec<Action>,
) -> State {
    match token.kind {
        Kind::Control(b'\r' | b'\n') => {
            let text = String::from_utf8_lossy(&text);
            if !text.trim().is_empty() {
                let label = Label::new(&text);
                actions.push(match what {
                    Prompting::WindowName => Action::Command(MuxCommand::RenameWindow(label)),
                    Prompting::SessionName => Action::Command(MuxCommand::RenameSession(label)),
                    // An index selects at once; a name goes to the server, which knows
                    // the windows' names (tmux's `select-window -t ':%%'`).
                    Prompting::WindowIndex => match text.trim().parse() {
                        Ok(index) => Action::Command(MuxCommand::SelectWindow(index)),
                        Err(_) => Action::CommandLine(format!(
                            "select-window -t {}",
                            single_quoted(&format!(":{}", text.trim()))
                        )),
                    },
                    // As tmux finds a window target: a bare index or name is one of this
                    // session's.
                    Prompting::MoveTarget => {
                        let target = text.trim();
                        let target = match target.contains(':') {
                            true => target.to_owned(),
                            false => format!(":{target}"),
                        };
                        Action::CommandLine(format!("move-window -t {}", single_quoted(&target)))
                    }
                    Prompting::FindText => {
                        Action::CommandLine(format!("find-window -Z {}", single_quoted(&text)))
                    }
                    Prompting::CommandLine => Action::CommandLine(text.into_owned()),
                });
            }
            State::Normal
        }
        // Escape, any other escape sequence, C-c and C-g cancel, as in tmux's prompt.
        Kind::Escape | Kind::Alt(_) | Kind::Key(_) | Kind::Control(0x03 | 0x07) => State::Normal,
        // Backspace removes a whole character.
        Kind::Control(0x7f | 0x08) => {
            let mut edited = String::from_utf8_lossy(&text).into_owned();
            edited.pop();
            State::Prompt(what, edited.into_bytes())
        }
        // C-u clears.
        Kind::Control(0x15) => State::Prompt(what, Vec::new()),
        Kind::Char(_) => {
            if text.len() + token.bytes.len() <= MAX_PROMPT_BYTES {
                text.extend_from_slice(&token.bytes);
            }
            State::Prompt(what, text)
        }
        Kind::Control(_) | Kind::Mouse(_) | Kind::Focus(_) | Kind::Paste | Kind::Other => {
            State::Prompt(what, text)
        }
    }
}

/// The key a token is, as a binding names it: an arrow, Alt and a character, or a byte.
fn bindable_key(token: &Token) -> Option<Key> {
    match (token.kind, token.byte()) {
        (Kind::Paste, _) => None,
        (Kind::Key(Some(named)), _) => prefix_key_name(named),
        (Kind::Alt(c), _) if c.is_ascii_graphic() => Some(Key::AltByte(c as u8)),
        (_, Some(byte)) => Some(Key::Byte(byte)),
        _ => None,
    }
}

/// The bindable key a named key is: an arrow, bare or with Ctrl or Alt.
fn prefix_key_name(key: NamedKey) -> Option<Key> {
    Some(match key {
        NamedKey::Up => Key::Arrow(Direction::Up),
        NamedKey::Down => Key::Arrow(Direction::Down),
        NamedKey::Right => Key::Arrow(Direction::Right),
        NamedKey::Left => Key::Arrow(Direction::Left),
        NamedKey::PageUp => Key::PageUp,
        NamedKey::CtrlArrow(direction) => Key::CtrlArrow(direction),
        NamedKey::AltArrow(direction) => Key::AltArrow(direction),
        _ => return None,
    })
}

/// C-^ for the pane.
fn escape_key() -> Token {
    Token {
        kind: Kind::Control(ESCAPE_KEY),
        bytes: vec![ESCAPE_KEY],
    }
}

/// `text` as one word of a command line, split as a shell splits it: in single quotes,
/// each `'` closed, escaped and reopened.
pub(crate) fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests;

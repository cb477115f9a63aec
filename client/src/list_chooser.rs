//! tmux's `choose-buffer` (prefix `=`) and `choose-client` (prefix `D`): a list over the
//! pane area, one line per paste buffer or attached client, the selected one in tmux's
//! mode style; Enter (or a line's shortcut) runs the kind's command on the chosen item,
//! `d` its other command and keeps the list. Both lists live on the server, so the
//! client asks for one with a listing command line and opens the chooser over the
//! server's answer (`core/chooser.rs`); what a key decides goes back as another command
//! line. No new request or state field: the server's command line already lists,
//! pastes, deletes and detaches, and a chooser that never gets its answer (the link
//! lost) simply never opens.

use moshmux_proto::screen::{CellStyle, Rect};
use moshmux_proto::Label;

use crate::bindings::single_quoted;
use crate::choose_tree::{selected_style, shortcut, shortcut_label};
use crate::frame::Frame;
use crate::input::{Kind, NamedKey, Token};

/// Between an item's name and the rest of its line in the listing's format: a character
/// no buffer or client name holds (a label turns control characters into it, so even a
/// name that held a tab could not be told apart), and which no other command's answer
/// puts on every line, so the answer is recognised as the listing's.
const SEPARATOR: char = '\u{fffd}';

/// What the chooser lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// `choose-buffer`: Enter pastes the buffer into the pane, `d` deletes it.
    Buffers,
    /// `choose-client`: Enter or `d` detaches the client.
    Clients,
}

impl ListKind {
    /// The kind a prompt's command opens, or `None` when the line is another command;
    /// `-Z` changes nothing (the list always covers the pane area), as for choose-tree.
    pub fn of_words(words: &[&str]) -> Option<Result<ListKind, String>> {
        let (kind, flags) = match words.split_first()? {
            (&"choose-buffer", flags) => (ListKind::Buffers, flags),
            (&"choose-client", flags) => (ListKind::Clients, flags),
            _ => return None,
        };
        Some(match flags {
            [] | ["-Z"] => Ok(kind),
            _ => Err(format!("usage: {} [-Z]", words[0])),
        })
    }

    /// The command line that opens this chooser, as tmux's default key runs it.
    pub fn command_line(self) -> &'static str {
        match self {
            ListKind::Buffers => "choose-buffer -Z",
            ListKind::Clients => "choose-client -Z",
        }
    }

    /// The server command whose answer is the list: each line the item's name, the
    /// separator, and what the line shows after the name.
    pub fn listing(self) -> String {
        let (command, name, rest) = match self {
            ListKind::Buffers => (
                "list-buffers",
                "#{buffer_name}",
                "#{buffer_size} bytes: \"#{buffer_sample}\"",
            ),
            ListKind::Clients => (
                "list-clients",
                "#{client_name}",
                "session #{session_name} [#{client_width}x#{client_height}]",
            ),
        };
        format!(
            "{command} -F {}",
            single_quoted(&format!("{name}{SEPARATOR}{rest}"))
        )
    }

    /// What Enter runs on the item named `name`.
    fn choose(self, name: &str) -> String {
        match self {
            ListKind::Buffers => format!("paste-buffer -b {}", single_quoted(name)),
            ListKind::Clients => format!("detach-client -t {}", single_quoted(name)),
        }
    }

    /// What `d` runs on it.
    fn delete(self, name: &str) -> String {
        match self {
            ListKind::Buffers => format!("delete-buffer -b {}", single_quoted(name)),
            ListKind::Clients => self.choose(name),
        }
    }
}

/// What a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListOutcome {
    Stay,
    Leave,
    /// Enter or a shortcut: the chooser closes and this command line runs.
    Chose(String),
    /// `d`: this command line runs and its item leaves the list; the chooser closes
    /// once the list is empty, as tmux's.
    Removed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListChooser {
    kind: ListKind,
    /// Each item's name and the rest of its line.
    items: Vec<(String, String)>,
    selected: usize,
    /// The item on the first row.
    top: usize,
}

impl ListChooser {
    /// The chooser over the server's answer to [`ListKind::listing`]; `None` when the
    /// answer is not one (an earlier command's answer came first) or lists nothing.
    pub fn of_reply(kind: ListKind, lines: &[Label]) -> Option<ListChooser> {
        let items: Option<Vec<(String, String)>> = (lines.iter())
            .map(|line| {
                let (name, rest) = line.as_str().split_once(SEPARATOR)?;
                Some((name.to_owned(), rest.to_owned()))
            })
            .collect();
        let items = items.filter(|items| !items.is_empty())?;
        Some(ListChooser {
            kind,
            items,
            selected: 0,
            top: 0,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// One key, with the list `rows` high.
    pub fn feed(&mut self, token: &Token, rows: u16) -> ListOutcome {
        if matches!(token.kind, Kind::Escape) || matches!(token.byte(), Some(b'q' | 0x03)) {
            return ListOutcome::Leave;
        }
        let Some(last) = self.items.len().checked_sub(1) else {
            return ListOutcome::Leave;
        };
        let at = self.selected.min(last);
        let page = usize::from(rows.max(1));
        self.selected = match (token.kind, token.byte()) {
            (Kind::Key(Some(NamedKey::Up)), _) | (_, Some(b'k' | 0x10)) => {
                at.checked_sub(1).unwrap_or(last)
            }
            (Kind::Key(Some(NamedKey::Down)), _) | (_, Some(b'j' | 0x0e)) => {
                if at == last {
                    0
                } else {
                    at + 1
                }
            }
            (Kind::Key(Some(NamedKey::PageUp)), _) => at.saturating_sub(page),
            (Kind::Key(Some(NamedKey::PageDown)), _) => (at + page).min(last),
            (Kind::Key(Some(NamedKey::Home)), _) | (_, Some(b'g')) => 0,
            (Kind::Key(Some(NamedKey::End)), _) | (_, Some(b'G')) => last,
            (_, Some(b'\r')) => return ListOutcome::Chose(self.kind.choose(&self.items[at].0)),
            (_, Some(b'd')) => {
                let (name, _) = self.items.remove(at);
                self.selected = at.min(self.items.len().saturating_sub(1));
                self.keep_in_view(rows);
                return ListOutcome::Removed(self.kind.delete(&name));
            }
            (kind, byte) => match shortcut(kind, byte).and_then(|index| self.items.get(index)) {
                Some((name, _)) => return ListOutcome::Chose(self.kind.choose(name)),
                None => at,
            },
        };
        self.keep_in_view(rows);
        ListOutcome::Stay
    }

    /// Scrolls so that the selected line is among the `rows` shown.
    fn keep_in_view(&mut self, rows: u16) {
        let rows = usize::from(rows.max(1));
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + rows {
            self.top = self.selected + 1 - rows;
        }
        self.top = self.top.min(self.items.len().saturating_sub(rows));
    }

    /// Draws the list over `area` as tmux's chooser lines: `(KEY) NAME: REST`.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let end = area.x + area.cols;
        let mut items = self.items.iter().enumerate().skip(self.top);
        for y in area.y..area.y + area.rows {
            let item = items.next();
            let style = match item {
                Some((index, _)) if index == self.selected => selected_style(),
                _ => CellStyle::default(),
            };
            for x in area.x..end {
                frame.put(y, x, " ", false, style);
            }
            if let Some((index, (name, rest))) = item {
                let key = shortcut_label(index, self.items.len());
                frame.put_text(y, area.x, end, &format!("{key}{name}: {rest}"), style);
            }
        }
    }
}

#[cfg(test)]
mod tests;

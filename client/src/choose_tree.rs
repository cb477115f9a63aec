//! tmux's `choose-tree` (prefix `w`, `choose-tree -Zw`, and prefix `s`, `-Zs`): every
//! session, its windows and their panes over the whole pane area, the selected one's
//! screen previewed below, and keys that move, fold, choose or kill. A state machine:
//! tokens in, what the user chose out; it holds no tree of its own, only which items
//! are folded and which is selected, by name, so a new tree from the server (a window
//! gone, one renamed) keeps the user's place. The tree and the preview come in the host
//! state while [`ChooseTree::request`] asks for them.

mod draw;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use moshmux_proto::screen::{SessionTree, TreeRequest};
use moshmux_proto::{Label, PaneId};

use crate::input::{Kind, NamedKey, Token};

pub use draw::tree_rows;
pub(crate) use draw::{selected_style, shortcut_label};

/// Which items show at first, as tmux's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// No flag: everything unfolded, the current pane selected.
    Panes,
    /// `-w`: windows folded, the current window selected.
    Windows,
    /// `-s`: sessions folded, the current session selected.
    Sessions,
}

impl Start {
    /// `choose-tree`'s flags: `-s` or `-w`, and `-Z`, which changes nothing here since
    /// the chooser always covers the whole pane area (tmux zooms the pane it runs in).
    pub fn of_flags(flags: &[&str]) -> Result<Start, String> {
        let mut start = Start::Panes;
        for flag in flags {
            let letters = flag.strip_prefix('-').filter(|l| !l.is_empty());
            for letter in letters.ok_or(USAGE)?.chars() {
                start = match letter {
                    's' => Start::Sessions,
                    'w' => Start::Windows,
                    'Z' => start,
                    _ => return Err(USAGE.to_owned()),
                };
            }
        }
        Ok(start)
    }

    /// The command line that opens the chooser so.
    pub fn command_line(self) -> &'static str {
        match self {
            Start::Panes => "choose-tree -Z",
            Start::Windows => "choose-tree -Zw",
            Start::Sessions => "choose-tree -Zs",
        }
    }
}

const USAGE: &str = "usage: choose-tree [-Z] [-s|-w]";

/// One item of the tree, named as it is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Item {
    Session(Label),
    Window(Label, u32),
    Pane(Label, u32, PaneId),
}

impl Item {
    fn session(&self) -> &Label {
        match self {
            Item::Session(name) | Item::Window(name, _) | Item::Pane(name, ..) => name,
        }
    }

    fn parent(&self) -> Option<Item> {
        match self {
            Item::Session(_) => None,
            Item::Window(session, _) => Some(Item::Session(session.clone())),
            Item::Pane(session, window, _) => Some(Item::Window(session.clone(), *window)),
        }
    }
}

/// One line of the tree as shown, with what tmux's glyphs need to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub item: Item,
    /// 0 a session, 1 a window, 2 a pane.
    pub depth: u8,
    /// The last of its siblings (`└─>` rather than `├─>`).
    pub last: bool,
    /// Its window is the last of its session (no `│` runs past it).
    pub parent_last: bool,
    /// Whether it has children to fold, and whether they show; `None` when none of its
    /// siblings has any either (tmux then draws no fold mark at all).
    pub fold: Option<Fold>,
    /// The item's name on its line: a session's name, a window's or a pane's index.
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    Leaf,
    Open,
    Closed,
}

/// What a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Leave,
    /// Enter, or a line's shortcut: the chooser closes and this is selected.
    Chose(Item),
    /// `x` and then `y`: the chooser stays and this is killed.
    Kill(Item),
}

pub struct ChooseTree {
    start: Start,
    /// Items folded or unfolded by the user; the others as `start` says.
    open: HashMap<Item, bool>,
    /// `None` until the first tree arrives, which says where the user is.
    selected: Option<Item>,
    /// The line on the tree's first row.
    top: usize,
    /// `x` asked whether to kill this.
    confirm: Option<Item>,
    /// find-window's text: the server sends only the windows that hold it.
    filter: Option<Label>,
}

impl ChooseTree {
    pub fn open(start: Start) -> ChooseTree {
        ChooseTree {
            start,
            open: HashMap::new(),
            selected: None,
            top: 0,
            confirm: None,
            filter: None,
        }
    }

    /// tmux's find-window: the chooser of the windows whose name, a pane's title or a
    /// pane's screen holds `text`, unfolded to their panes.
    pub fn find(text: &str) -> ChooseTree {
        ChooseTree {
            filter: Some(Label::new(text)),
            ..ChooseTree::open(Start::Panes)
        }
    }

    /// `Some(text)` once the server answered find-window's `text` with no window: the
    /// chooser is then closed with tmux's message.
    pub fn found_nothing(&self, tree: &SessionTree) -> Option<&str> {
        let filter = self.filter.as_ref()?;
        (tree.filter.as_ref() == Some(filter) && tree.sessions.is_empty())
            .then_some(filter.as_str())
    }

    fn is_open(&self, item: &Item) -> bool {
        let default = match item {
            Item::Session(_) => self.start != Start::Sessions,
            _ => self.start == Start::Panes,
        };
        self.open.get(item).copied().unwrap_or(default)
    }

    /// The lines shown, in order.
    pub fn lines(&self, tree: &SessionTree) -> Vec<Line> {
        let mut lines = Vec::new();
        let sessions_flat = tree.sessions.iter().all(|s| s.windows.is_empty());
        for (s, session) in tree.sessions.iter().enumerate() {
            let item = Item::Session(session.name.clone());
            let open = self.is_open(&item);
            lines.push(Line {
                depth: 0,
                last: s + 1 == tree.sessions.len(),
                parent_last: false,
                fold: (!sessions_flat).then_some(fold(!session.windows.is_empty(), open)),
                name: session.name.to_string(),
                text: session.text.to_string(),
                item,
            });
            if !open {
                continue;
            }
            // tmux lists a window's panes only when it has more than one.
            let windows_flat = session.windows.iter().all(|w| w.panes.len() < 2);
            for (w, window) in session.windows.iter().enumerate() {
                let item = Item::Window(session.name.clone(), window.index);
                let open = self.is_open(&item);
                let window_last = w + 1 == session.windows.len();
                lines.push(Line {
                    depth: 1,
                    last: window_last,
                    parent_last: false,
                    fold: (!windows_flat).then_some(fold(window.panes.len() > 1, open)),
                    name: window.index.to_string(),
                    text: window.text.to_string(),
                    item,
                });
                if !open || window.panes.len() < 2 {
                    continue;
                }
                for (p, pane) in window.panes.iter().enumerate() {
                    lines.push(Line {
                        item: Item::Pane(session.name.clone(), window.index, pane.pane),
                        depth: 2,
                        last: p + 1 == window.panes.len(),
                        parent_last: window_last,
                        fold: None,
                        name: p.to_string(),
                        text: pane.text.to_string(),
                    });
                }
            }
        }
        lines
    }

    /// Takes a new tree: the first says where the user is; later ones may have lost the
    /// selected item, and then its parent (or the first line) is selected.
    pub fn follow(&mut self, tree: &SessionTree) {
        let lines = self.lines(tree);
        let has = |item: &Item| lines.iter().any(|line| &line.item == item);
        // find-window starts on the first window found, wherever the user is.
        let first_found = || {
            let found = self.filter.as_ref().and(
                lines
                    .iter()
                    .find(|line| matches!(line.item, Item::Window(..))),
            );
            found.map(|line| line.item.clone())
        };
        let mut selected = (self.selected.take())
            .or_else(first_found)
            .or_else(|| self.where_user_is(tree));
        while let Some(item) = selected.clone().filter(|item| !has(item)) {
            selected = item.parent();
        }
        self.selected = selected.or_else(|| lines.first().map(|line| line.item.clone()));
    }

    fn where_user_is(&self, tree: &SessionTree) -> Option<Item> {
        let session = tree.sessions.iter().find(|session| session.current)?;
        let window = session.windows.iter().find(|window| window.active);
        let pane = window.and_then(|w| {
            w.panes
                .iter()
                .find(|p| p.active)
                .filter(|_| w.panes.len() > 1)
        });
        match (self.start, window, pane) {
            (Start::Panes, Some(window), Some(pane)) => {
                Some(Item::Pane(session.name.clone(), window.index, pane.pane))
            }
            (Start::Panes | Start::Windows, Some(window), _) => {
                Some(Item::Window(session.name.clone(), window.index))
            }
            _ => Some(Item::Session(session.name.clone())),
        }
    }

    pub fn selected(&self) -> Option<&Item> {
        self.selected.as_ref()
    }

    /// What the server must send: the tree, and the screen of the selected item's pane
    /// (a window's active pane, a session's active window's).
    pub fn request(&self, tree: Option<&SessionTree>) -> TreeRequest {
        let preview = match (tree, &self.selected) {
            (Some(tree), Some(item)) => preview_pane(tree, item),
            _ => None,
        };
        TreeRequest {
            preview,
            filter: self.filter.clone(),
        }
    }

    /// The question `x` asked, while it waits for y or n.
    pub fn confirmation(&self) -> Option<String> {
        let question = match self.confirm.as_ref()? {
            Item::Session(name) => format!("Kill session {name}? (y/n)"),
            Item::Window(name, index) => format!("Kill window {name}:{index}? (y/n)"),
            Item::Pane(_, _, pane) => format!("Kill pane {pane}? (y/n)"),
        };
        Some(question)
    }

    /// One key, with `rows` lines of the tree on the screen.
    pub fn feed(&mut self, token: &Token, tree: Option<&SessionTree>, rows: u16) -> Outcome {
        if let Some(item) = self.confirm.take() {
            return match token.byte() {
                Some(b'y') => Outcome::Kill(item),
                _ => Outcome::Stay,
            };
        }
        if matches!(token.kind, Kind::Escape) || matches!(token.byte(), Some(b'q' | 0x03)) {
            return Outcome::Leave;
        }
        let Some(tree) = tree else {
            return Outcome::Stay;
        };
        let lines = self.lines(tree);
        let Some(at) = (lines.iter()).position(|line| Some(&line.item) == self.selected.as_ref())
        else {
            return Outcome::Stay;
        };
        let last = lines.len() - 1;
        let page = usize::from(rows.max(1));
        let moved = match (token.kind, token.byte()) {
            (Kind::Key(Some(NamedKey::Up)), _) | (_, Some(b'k')) => {
                Some(if at == 0 { last } else { at - 1 })
            }
            (Kind::Key(Some(NamedKey::Down)), _) | (_, Some(b'j')) => {
                Some(if at == last { 0 } else { at + 1 })
            }
            (Kind::Key(Some(NamedKey::PageUp)), _) => Some(at.saturating_sub(page)),
            (Kind::Key(Some(NamedKey::PageDown)), _) => Some((at + page).min(last)),
            (Kind::Key(Some(NamedKey::Home)), _) | (_, Some(b'g')) => Some(0),
            (Kind::Key(Some(NamedKey::End)), _) | (_, Some(b'G')) => Some(last),
            (Kind::Key(Some(NamedKey::Left)), _) | (_, Some(b'h' | b'-')) => {
                self.fold_up(&lines, at)
            }
            (Kind::Key(Some(NamedKey::Right)), _) | (_, Some(b'l' | b'+')) => {
                match lines[at].fold {
                    Some(Fold::Closed) => {
                        self.open.insert(lines[at].item.clone(), true);
                        None
                    }
                    _ => Some((at + 1).min(last)),
                }
            }
            (_, Some(b'\r')) => return Outcome::Chose(lines[at].item.clone()),
            (_, Some(b'x')) => {
                self.confirm = Some(lines[at].item.clone());
                None
            }
            (kind, byte) => match shortcut(kind, byte).filter(|&index| index <= last) {
                Some(index) => return Outcome::Chose(lines[index].item.clone()),
                None => None,
            },
        };
        if let Some(index) = moved {
            self.selected = Some(lines[index].item.clone());
        }
        self.keep_in_view(tree, rows);
        Outcome::Stay
    }

    /// Left: an open item folds; any other goes to its parent and folds it, as tmux's;
    /// a session with nothing to fold moves the selection up. Returns the line to select
    /// when it is not the folded item.
    fn fold_up(&mut self, lines: &[Line], at: usize) -> Option<usize> {
        let line = &lines[at];
        let target = match line.fold {
            Some(Fold::Open) => Some(line.item.clone()),
            _ => line.item.parent(),
        };
        match target {
            Some(item) => {
                self.open.insert(item.clone(), false);
                self.selected = Some(item);
                None
            }
            None => Some(at.checked_sub(1).unwrap_or(lines.len() - 1)),
        }
    }

    /// Scrolls so that the selected line is among the `rows` shown.
    fn keep_in_view(&mut self, tree: &SessionTree, rows: u16) {
        let lines = self.lines(tree);
        let rows = usize::from(rows.max(1));
        let at = (lines.iter())
            .position(|line| Some(&line.item) == self.selected.as_ref())
            .unwrap_or(0);
        if at < self.top {
            self.top = at;
        } else if at >= self.top + rows {
            self.top = at + 1 - rows;
        }
        self.top = self.top.min(lines.len().saturating_sub(rows));
    }

    /// The session an item is in.
    pub fn session_of(item: &Item) -> &Label {
        item.session()
    }
}

fn fold(has_children: bool, open: bool) -> Fold {
    match (has_children, open) {
        (false, _) => Fold::Leaf,
        (true, true) => Fold::Open,
        (true, false) => Fold::Closed,
    }
}

/// The line a shortcut key chooses: `0`-`9`, then `M-a` to `M-z`, as tmux's.
pub(crate) fn shortcut(kind: Kind, byte: Option<u8>) -> Option<usize> {
    match (kind, byte) {
        (_, Some(digit @ b'0'..=b'9')) => Some(usize::from(digit - b'0')),
        (Kind::Alt(letter @ 'a'..='z'), _) => Some(10 + (letter as usize - 'a' as usize)),
        _ => None,
    }
}

/// The pane an item's preview shows.
fn preview_pane(tree: &SessionTree, item: &Item) -> Option<PaneId> {
    let session = (tree.sessions.iter()).find(|session| &session.name == item.session())?;
    let window = match item {
        Item::Pane(_, _, pane) => return Some(*pane),
        Item::Window(_, index) => session.windows.iter().find(|w| w.index == *index),
        Item::Session(_) => session.windows.iter().find(|w| w.active),
    }?;
    window
        .panes
        .iter()
        .find(|pane| pane.active)
        .map(|pane| pane.pane)
}

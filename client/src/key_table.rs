//! The prefix key and what each key after it does: tmux's defaults, which the config
//! file's `[client]` `prefix` and `[client.bind]` change.
//!
//! Keys and commands are written in tmux's words (`C-a`, `Up`, `split-window -h`), so a
//! tmux user's habits and notes carry over; the defaults are written the same way, so the
//! help and the docs show exactly what the table holds.

use moshmux_proto::layouts::{LayoutChoice, Preset, Step};
use moshmux_proto::options::{control_byte, PrefixKey, PREFIX_KEYS};
use moshmux_proto::user::Direction;
use moshmux_proto::{Label, MuxCommand};

use crate::choose_tree::Start;
use crate::list_chooser::ListKind;

/// tmux's prefix, C-b.
pub const DEFAULT_PREFIX: u8 = moshmux_proto::options::DEFAULT_PREFIX.byte();
/// mosh's escape key, C-^: never a prefix, so `C-^ .` always quits.
pub use moshmux_proto::options::ESCAPE_KEY;
const ESC: u8 = 0x1b;

/// The default bindings after the prefix, as the config file would write them; the prefix
/// key itself is bound to `send-prefix` too, whichever key it is.
pub const DEFAULT_BINDINGS: [(&str, &str); 70] = [
    ("%", "split-window -h"),
    ("\"", "split-window -v"),
    ("Up", "select-pane -U"),
    ("Down", "select-pane -D"),
    ("Left", "select-pane -L"),
    ("Right", "select-pane -R"),
    ("o", "select-pane -t :.+"),
    ("z", "resize-pane -Z"),
    ("C-Up", "resize-pane -U"),
    ("C-Down", "resize-pane -D"),
    ("C-Left", "resize-pane -L"),
    ("C-Right", "resize-pane -R"),
    ("M-Up", "resize-pane -U 5"),
    ("M-Down", "resize-pane -D 5"),
    ("M-Left", "resize-pane -L 5"),
    ("M-Right", "resize-pane -R 5"),
    ("x", "confirm-before kill-pane"),
    ("&", "confirm-before kill-window"),
    ("$", "rename-session"),
    ("c", "new-window"),
    ("n", "next-window"),
    ("p", "previous-window"),
    ("l", "last-window"),
    ("M-n", "next-window -a"),
    ("M-p", "previous-window -a"),
    (";", "last-pane"),
    ("0", "select-window -t :=0"),
    ("1", "select-window -t :=1"),
    ("2", "select-window -t :=2"),
    ("3", "select-window -t :=3"),
    ("4", "select-window -t :=4"),
    ("5", "select-window -t :=5"),
    ("6", "select-window -t :=6"),
    ("7", "select-window -t :=7"),
    ("8", "select-window -t :=8"),
    ("9", "select-window -t :=9"),
    (",", "rename-window"),
    ("d", "detach-client"),
    ("C-z", "suspend-client"),
    ("[", "copy-mode"),
    ("PPage", "copy-mode -u"),
    (
        "'",
        "command-prompt -T window-target -p index { select-window -t ':%%' }",
    ),
    (".", "command-prompt -T target { move-window -t '%%' }"),
    ("Space", "next-layout"),
    ("M-1", "select-layout even-horizontal"),
    ("M-2", "select-layout even-vertical"),
    ("M-3", "select-layout main-horizontal"),
    ("M-4", "select-layout main-vertical"),
    ("M-5", "select-layout tiled"),
    ("E", "select-layout -E"),
    ("~", "show-messages"),
    ("/", "command-prompt -k -p key { list-keys -1N \"%%\" }"),
    ("{", "swap-pane -U"),
    ("}", "swap-pane -D"),
    ("C-o", "rotate-window"),
    ("M-o", "rotate-window -D"),
    (":", "command-prompt"),
    ("?", "list-keys"),
    ("q", "display-panes"),
    ("t", "clock-mode"),
    ("s", "choose-tree -Zs"),
    ("w", "choose-tree -Zw"),
    ("=", "choose-buffer -Z"),
    ("D", "choose-client -Z"),
    ("f", "command-prompt { find-window -Z '%%' }"),
    ("!", "break-pane"),
    ("]", "paste-buffer -p"),
    ("#", "list-buffers"),
    ("-", "delete-buffer"),
    (
        "i",
        "display-message '[#{session_name}] #{window_index}:#{window_name}, current pane #{pane_index}'",
    ),
];

/// Server commands a binding may run with any arguments, as typed at the command prompt
/// (`MuxCommand::CommandLine`): the server parses and checks them when the key is
/// pressed, and a mistake shows on the status line.
const SERVER_COMMANDS: [&str; 20] = [
    "new-window",
    "show-messages",
    "detach-client",
    "next-window",
    "previous-window",
    "respawn-pane",
    "respawn-window",
    "break-pane",
    "set-buffer",
    "show-buffer",
    "list-buffers",
    "delete-buffer",
    "paste-buffer",
    "join-pane",
    "move-pane",
    "swap-window",
    "move-window",
    "kill-session",
    "display-message",
    "send-keys",
];

/// The commands a binding can run, for messages and help.
pub const COMMANDS: &str = "split-window [-h|-v], select-pane -U|-D|-L|-R, \
select-pane -t :.+ (next pane), resize-pane -Z, resize-pane -U|-D|-L|-R [N], kill-pane, confirm-before kill-pane, kill-window, \
confirm-before kill-window, rename-session (asks the name), \
new-window, next-window, previous-window, last-window, last-pane, select-window -t N, rename-window (asks the \
name), next-layout, previous-layout, select-layout even-horizontal|even-vertical|main-horizontal|main-vertical|tiled|-E, \
swap-pane -U|-D, rotate-window [-U|-D], \
detach-client, suspend-client, copy-mode [-u] (the scroll view, -u a page up), \
command-prompt -T window-target -p index { select-window -t ':%%' } (asks a window's index), \
command-prompt -T target { move-window -t '%%' } (asks where to move the window), \
command-prompt { find-window -Z '%%' } (asks what to find), command-prompt -k -p key { list-keys -1N \"%%\" } (asks a key and shows its binding), command-prompt, list-keys, display-panes, clock-mode, choose-tree [-Z] [-s|-w], choose-buffer [-Z], choose-client [-Z], send-prefix, \
none (unbound), \
or new-window, show-messages, detach-client, next-window, previous-window, respawn-pane, respawn-window, break-pane, join-pane, move-pane, swap-window, \
move-window, kill-session, display-message, send-keys, set-buffer, show-buffer, list-buffers, \
delete-buffer or paste-buffer with their arguments, as at the command prompt";

/// A key pressed after the prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Byte(u8),
    Arrow(Direction),
    /// `C-Up`, ... and `M-Up`, ...: an arrow with Ctrl or Alt.
    CtrlArrow(Direction),
    AltArrow(Direction),
    /// `M-1`, `M-a`, ...: a printable ASCII character with Alt.
    AltByte(u8),
    /// Page Up (tmux's `PPage`).
    PageUp,
}

/// What a key after the prefix does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    Command(MuxCommand),
    /// Ask y/n first (tmux's `confirm-before kill-pane`).
    ConfirmKillPane,
    /// Ask y/n first (tmux's `confirm-before kill-window`).
    ConfirmKillWindow,
    /// Ask for the session's new name.
    RenameSession,
    /// Ask for the window's new name.
    RenameWindow,
    Detach,
    /// Hand the terminal back and stop (tmux's `suspend-client`).
    SuspendClient,
    CopyMode,
    /// The scroll view, a page up from the bottom (tmux's `copy-mode -u`).
    CopyModePageUp,
    /// Ask for a window's index and select it (tmux's `command-prompt -p index ...`).
    SelectWindowPrompt,
    /// Ask what to find and choose among the windows that hold it (tmux's
    /// `command-prompt { find-window -Z "%%" }`).
    FindWindowPrompt,
    /// Ask where to move the window (tmux's `command-prompt -T target { move-window ... }`).
    MoveWindowPrompt,
    /// Ask for a command line (tmux's `command-prompt`).
    CommandPrompt,
    /// Show these bindings (tmux's `list-keys`).
    ListKeys,
    /// Show the panes' numbers; a digit then selects one (tmux's `display-panes`).
    DisplayPanes,
    /// tmux's clock-mode: the time in large digits over the pane until a key.
    ClockMode,
    /// Ask for a key and say what it is bound to (tmux's `command-prompt -k -p key {
    /// list-keys -1N "%%" }`).
    DescribeKey,
    /// Choose a session, window or pane from a tree (tmux's `choose-tree`).
    ChooseTree(Start),
    /// Choose a paste buffer or a client from a list (tmux's `choose-buffer`,
    /// `choose-client`).
    ChooseList(ListKind),
    SendPrefix,
}

/// A key's binding, and its command in the words it was given (for list-keys).
pub type Bound = (Binding, String);

/// The prefix and the keys bound after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTable {
    prefix: u8,
    keys: Vec<(Key, Bound)>,
}

impl Default for KeyTable {
    fn default() -> Self {
        KeyTable::new(DEFAULT_PREFIX, &[])
    }
}

impl KeyTable {
    /// The defaults, with the prefix key bound to `send-prefix`, then `changes` in order
    /// (`None` unbinds).
    pub fn new(prefix: u8, changes: &[(Key, Option<Bound>)]) -> KeyTable {
        let mut table = KeyTable {
            prefix,
            keys: Vec::new(),
        };
        let defaults = DEFAULT_BINDINGS
            .iter()
            .filter_map(|(key, command)| {
                let binding = parse_binding(command).ok()?;
                Some((
                    parse_key(key).ok()?,
                    binding.map(|b| (b, command.to_string())),
                ))
            })
            .chain([(
                Key::Byte(prefix),
                Some((Binding::SendPrefix, "send-prefix".to_owned())),
            )]);
        for (key, bound) in defaults.chain(changes.iter().cloned()) {
            table.bind(key, bound);
        }
        table
    }

    fn bind(&mut self, key: Key, bound: Option<Bound>) {
        self.keys.retain(|(at, _)| *at != key);
        if let Some(bound) = bound {
            self.keys.push((key, bound));
        }
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Makes `prefix` the prefix, as `set-option prefix` does at run time: the old
    /// prefix's `send-prefix` binding moves to the new key, unless that key has a
    /// binding of its own.
    pub fn set_prefix(&mut self, prefix: u8) {
        if prefix == self.prefix {
            return;
        }
        let old = Key::Byte(self.prefix);
        self.prefix = prefix;
        if self.get(old) == Some(&Binding::SendPrefix) && self.get(Key::Byte(prefix)).is_none() {
            self.bind(old, None);
            self.bind(
                Key::Byte(prefix),
                Some((Binding::SendPrefix, "send-prefix".to_owned())),
            );
        }
    }

    pub fn get(&self, key: Key) -> Option<&Binding> {
        self.keys
            .iter()
            .find(|(at, _)| *at == key)
            .map(|(_, (binding, _))| binding)
    }

    /// What `key` after the prefix runs, as `list-keys` lists it, or that it runs
    /// nothing: what tmux's describe-key (prefix `/`) shows.
    pub fn describe(&self, key: Key) -> String {
        let name = key_name(key);
        match self.keys.iter().find(|(at, _)| *at == key) {
            Some((_, (_, command))) => format!("bind-key -T {PREFIX_TABLE} {name} {command}"),
            None => format!("{name} is not bound in table {PREFIX_TABLE}"),
        }
    }

    /// tmux's `list-keys [-T TABLE]`: a `bind-key -T prefix KEY COMMAND` line per key
    /// bound after the prefix, in tmux's order (control keys and characters by code,
    /// then arrows, then Alt and Ctrl ones) and columns, keys escaped as tmux escapes
    /// them. The prefix table is the only one: any other name is refused as tmux
    /// refuses a table it does not have.
    pub fn list(&self, table: Option<&str>) -> Result<Vec<String>, String> {
        if let Some(other) = table.filter(|&name| name != PREFIX_TABLE) {
            return Err(format!("table {other} doesn't exist"));
        }
        let mut keys: Vec<(Key, String, &str)> = (self.keys.iter())
            .map(|(key, (_, command))| (*key, key_name(*key), command.as_str()))
            .collect();
        keys.sort_by_key(|(key, ..)| order(*key));
        let width = keys.iter().map(|(_, name, _)| name.chars().count()).max();
        let width = width.unwrap_or_default();
        Ok(keys
            .into_iter()
            .map(|(_, name, command)| {
                format!("bind-key    -T {PREFIX_TABLE} {name:<width$} {command}")
            })
            .collect())
    }
}

/// The one key table a client has: the keys after the prefix.
pub const PREFIX_TABLE: &str = "prefix";

/// Characters tmux writes with a backslash in a key's name, as its parser needs.
const ESCAPED_IN_NAMES: &str = "\"#$%';{}~\\";

/// A key as tmux names it (`C-b`, `Space`, `\;`, `M-Up`), escaped as `list-keys` shows it.
pub fn key_name(key: Key) -> String {
    let arrow = |direction| match direction {
        Direction::Up => "Up",
        Direction::Down => "Down",
        Direction::Left => "Left",
        Direction::Right => "Right",
    };
    let character = |byte: u8| {
        let c = char::from(byte);
        match ESCAPED_IN_NAMES.contains(c) {
            true => format!("\\{c}"),
            false => c.to_string(),
        }
    };
    match key {
        Key::Byte(b' ') => "Space".to_owned(),
        Key::Byte(0x7f) => "BSpace".to_owned(),
        Key::Byte(0) => "C-Space".to_owned(),
        Key::Byte(byte @ 1..=0x1a) => format!("C-{}", char::from(byte - 1 + b'a')),
        Key::Byte(byte @ 0x1b..=0x1f) => format!("C-{}", character(byte + b'@')),
        Key::Byte(byte) => character(byte),
        Key::Arrow(direction) => arrow(direction).to_owned(),
        Key::AltByte(byte) => format!("M-{}", character(byte)),
        Key::AltArrow(direction) => format!("M-{}", arrow(direction)),
        Key::CtrlArrow(direction) => format!("C-{}", arrow(direction)),
        Key::PageUp => "PPage".to_owned(),
    }
}

/// Where tmux sorts a key: by its key code, plain keys first, then named keys, then
/// those with Alt, then with Ctrl.
fn order(key: Key) -> (u8, u8) {
    // tmux numbers Page Up before the arrows.
    let arrow = |direction| match direction {
        Direction::Up => 1,
        Direction::Down => 2,
        Direction::Left => 3,
        Direction::Right => 4,
    };
    match key {
        Key::Byte(byte) => (0, byte),
        Key::PageUp => (1, 0),
        Key::Arrow(direction) => (1, arrow(direction)),
        Key::AltByte(byte) => (2, byte),
        Key::AltArrow(direction) => (3, arrow(direction)),
        Key::CtrlArrow(direction) => (4, arrow(direction)),
    }
}

/// A prefix: `C-` and a letter or one of `@[\]^_`, but neither Escape (`C-[`, which starts
/// arrow keys) nor mosh's escape `C-^`.
pub fn parse_prefix(text: &str) -> Result<u8, String> {
    PrefixKey::parse(text)
        .map(PrefixKey::byte)
        .ok_or_else(|| PREFIX_KEYS.to_owned())
}

/// A key after the prefix: one ASCII character, `Space`, `Up`, `Down`, `Left`, `Right`
/// (also with `C-` or `M-`), or a control key (`C-a`; not `C-[`, which is Escape).
pub fn parse_key(text: &str) -> Result<Key, String> {
    let arrow = |name: &str| match name {
        "Up" => Some(Direction::Up),
        "Down" => Some(Direction::Down),
        "Left" => Some(Direction::Left),
        "Right" => Some(Direction::Right),
        _ => None,
    };
    if let Some(direction) = text.strip_prefix("C-").and_then(arrow) {
        return Ok(Key::CtrlArrow(direction));
    }
    if let Some(direction) = text.strip_prefix("M-").and_then(arrow) {
        return Ok(Key::AltArrow(direction));
    }
    if let Some([byte]) = text.strip_prefix("M-").map(str::as_bytes) {
        if byte.is_ascii_graphic() {
            return Ok(Key::AltByte(*byte));
        }
    }
    let key = match text {
        "Up" => Key::Arrow(Direction::Up),
        "Down" => Key::Arrow(Direction::Down),
        "Left" => Key::Arrow(Direction::Left),
        "Right" => Key::Arrow(Direction::Right),
        "Space" => Key::Byte(b' '),
        "PPage" | "PageUp" => Key::PageUp,
        _ => match (text.as_bytes(), control_byte(text)) {
            ([byte], _) if byte.is_ascii_graphic() => Key::Byte(*byte),
            (_, Some(byte)) if byte != ESC => Key::Byte(byte),
            _ => {
                return Err(
                    "a key name: one character, Space, PPage, Up, Down, Left, Right (C-Up, \
                     M-Up, ...), C-<letter> or M-<character>"
                        .into(),
                )
            }
        },
    };
    Ok(key)
}

/// resize-pane's direction flag.
fn resize_direction(flag: &str) -> Result<Direction, String> {
    Ok(match flag {
        "-U" => Direction::Up,
        "-D" => Direction::Down,
        "-L" => Direction::Left,
        "-R" => Direction::Right,
        _ => return Err(format!("one of: {COMMANDS}")),
    })
}

/// A binding's command in tmux's words; `None` for `none`.
pub fn parse_binding(text: &str) -> Result<Option<Binding>, String> {
    use MuxCommand::*;
    let words: Vec<&str> = text.split_whitespace().collect();
    let command = |mux| Some(Binding::Command(mux));
    let binding = match words[..] {
        ["none"] => None,
        ["split-window", "-h"] => command(SplitHorizontal),
        ["split-window"] | ["split-window", "-v"] => command(SplitVertical),
        ["select-pane", "-U"] => command(SelectPane(Direction::Up)),
        ["select-pane", "-D"] => command(SelectPane(Direction::Down)),
        ["select-pane", "-L"] => command(SelectPane(Direction::Left)),
        ["select-pane", "-R"] => command(SelectPane(Direction::Right)),
        ["select-pane", "-t", ":.+"] => command(NextPane),
        ["resize-pane", "-Z"] => command(ToggleZoom),
        ["resize-pane", flag] => command(ResizePane(resize_direction(flag)?, 1)),
        ["resize-pane", flag, cells] => match cells.parse() {
            Ok(cells) if cells > 0 => command(ResizePane(resize_direction(flag)?, cells)),
            _ => return Err("resize-pane -U|-D|-L|-R N, N a number of cells".into()),
        },
        ["kill-pane"] => command(KillPane),
        ["confirm-before", "kill-pane"] => Some(Binding::ConfirmKillPane),
        ["confirm-before", "kill-window"] => Some(Binding::ConfirmKillWindow),
        ["kill-window"] => command(KillWindow),
        ["rename-session"] => Some(Binding::RenameSession),
        ["new-window"] => command(NewWindow),
        ["next-window"] => command(NextWindow),
        ["previous-window"] => command(PreviousWindow),
        ["last-window"] => command(LastWindow),
        ["last-pane"] => command(LastPane),
        ["next-layout"] => command(SelectLayout(LayoutChoice::Next)),
        ["swap-pane", "-U"] => command(SwapPane(Step::Up)),
        ["swap-pane", "-D"] => command(SwapPane(Step::Down)),
        ["rotate-window"] | ["rotate-window", "-U"] => command(RotateWindow(Step::Up)),
        ["rotate-window", "-D"] => command(RotateWindow(Step::Down)),
        ["previous-layout"] => command(SelectLayout(LayoutChoice::Previous)),
        ["select-layout", "-E"] => command(SelectLayout(LayoutChoice::SpreadOut)),
        ["select-layout", name] => match Preset::lookup(name) {
            Some(preset) => command(SelectLayout(LayoutChoice::Preset(preset))),
            None => return Err(format!("invalid layout {name}: one of: {COMMANDS}")),
        },
        ["select-window", "-t", target] => {
            let index = target.trim_start_matches(":=").trim_start_matches(':');
            match index.parse() {
                Ok(index) => command(SelectWindow(index)),
                Err(_) => return Err("select-window -t N, N a window index".into()),
            }
        }
        ["rename-window"] => Some(Binding::RenameWindow),
        ["detach-client"] => Some(Binding::Detach),
        ["suspend-client"] => Some(Binding::SuspendClient),
        ["copy-mode"] => Some(Binding::CopyMode),
        ["copy-mode", "-u"] => Some(Binding::CopyModePageUp),
        ["command-prompt", "-T", "window-target", "-p", "index", "{", "select-window", "-t", "':%%'", "}"] => {
            Some(Binding::SelectWindowPrompt)
        }
        ["command-prompt", "-T", "target", "{", "move-window", "-t", "'%%'", "}"] => {
            Some(Binding::MoveWindowPrompt)
        }
        ["command-prompt", "{", "find-window", "-Z", "'%%'", "}"] => {
            Some(Binding::FindWindowPrompt)
        }
        ["command-prompt"] => Some(Binding::CommandPrompt),
        ["list-keys"] => Some(Binding::ListKeys),
        ["display-panes"] => Some(Binding::DisplayPanes),
        ["clock-mode"] => Some(Binding::ClockMode),
        ["command-prompt", "-k", "-p", "key", "{", "list-keys", "-1N", "\"%%\"", "}"] => {
            Some(Binding::DescribeKey)
        }
        ["choose-tree", ref flags @ ..] => Some(Binding::ChooseTree(Start::of_flags(flags)?)),
        ["choose-buffer" | "choose-client", ..] => ListKind::of_words(&words)
            .transpose()?
            .map(Binding::ChooseList),
        ["send-prefix"] => Some(Binding::SendPrefix),
        [name, ..] if SERVER_COMMANDS.contains(&name) => {
            command(CommandLine(Label::new(text.trim())))
        }
        _ => return Err(format!("one of: {COMMANDS}")),
    };
    Ok(binding)
}

#[cfg(test)]
mod tests;

//! tmux's options, for the ones this product has: names, scopes, values, and the
//! lines `set-option` and `show-options` say, as tmux 3.3 says them.
//!
//! tmux keeps options in a tree: the server's, then for sessions a global table under
//! each session's own, and for windows a global table under each window's own. An
//! option's scope comes from its name (`set mouse` and `setw mouse` both reach the
//! session option); only a user option (`@name`) takes its scope from the flags. Each
//! level here is an [`Options`] table holding what was set at that level; the mux walks
//! the tree (`mux/options.rs`) and a global table that lacks an option gives its default.
//!
//! Options that act on the client's side (prefix, status, mouse, bells, titles, the
//! clipboard, the scroll view's keys) reach the clients in their host state (`moshmux_proto::options`); those
//! that act here (synchronize-panes, window-size) are read where they act.

use crate::session::WindowSize;
use clap::ValueEnum;
use moshmux_proto::options::{
    BellAction, ClientOptions, ModeKeys, PrefixKey, SetClipboard, DEFAULT_PREFIX,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which table of the tree an option lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Server,
    Session,
    Window,
}

/// The options this product has, in tmux's (alphabetical) order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OptionName {
    BellAction,
    HistoryLimit,
    ModeKeys,
    Mouse,
    Prefix,
    SetClipboard,
    SetTitles,
    Status,
    StatusLeft,
    StatusLeftLength,
    StatusRight,
    StatusRightLength,
    SynchronizePanes,
    WindowSize,
    WindowStatusCurrentFormat,
    WindowStatusFormat,
    WindowStatusSeparator,
}

/// tmux 3.3's default window-status-format and window-status-current-format.
const WINDOW_STATUS: &str = "#I:#W#{?window_flags,#{window_flags}, }";
/// tmux 3.3's default status-right. `window_bigger` is never set here (a client's
/// window is never scrolled), so the offset never shows.
const STATUS_RIGHT: &str =
    "#{?window_bigger,[#{window_offset_x}#,#{window_offset_y}] ,}\"#{=21:pane_title}\" %H:%M %d-%b-%y";
/// The largest status-left-length and status-right-length tmux takes.
const MAX_LENGTH: u64 = 32767;
/// The largest history-limit tmux takes (`INT_MAX`).
const MAX_HISTORY_LIMIT: u64 = 2_147_483_647;

impl OptionName {
    pub const ALL: [OptionName; 17] = [
        OptionName::BellAction,
        OptionName::HistoryLimit,
        OptionName::ModeKeys,
        OptionName::Mouse,
        OptionName::Prefix,
        OptionName::SetClipboard,
        OptionName::SetTitles,
        OptionName::Status,
        OptionName::StatusLeft,
        OptionName::StatusLeftLength,
        OptionName::StatusRight,
        OptionName::StatusRightLength,
        OptionName::SynchronizePanes,
        OptionName::WindowSize,
        OptionName::WindowStatusCurrentFormat,
        OptionName::WindowStatusFormat,
        OptionName::WindowStatusSeparator,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OptionName::BellAction => "bell-action",
            OptionName::HistoryLimit => "history-limit",
            OptionName::ModeKeys => "mode-keys",
            OptionName::Mouse => "mouse",
            OptionName::Prefix => "prefix",
            OptionName::SetClipboard => "set-clipboard",
            OptionName::SetTitles => "set-titles",
            OptionName::Status => "status",
            OptionName::StatusLeft => "status-left",
            OptionName::StatusLeftLength => "status-left-length",
            OptionName::StatusRight => "status-right",
            OptionName::StatusRightLength => "status-right-length",
            OptionName::WindowStatusCurrentFormat => "window-status-current-format",
            OptionName::WindowStatusFormat => "window-status-format",
            OptionName::WindowStatusSeparator => "window-status-separator",
            OptionName::SynchronizePanes => "synchronize-panes",
            OptionName::WindowSize => "window-size",
        }
    }

    /// tmux's scopes, but for window-size: a session's windows here all take one size,
    /// so it is a session option (`setw window-size` still reaches it).
    pub fn scope(self) -> Scope {
        match self {
            OptionName::SetClipboard => Scope::Server,
            OptionName::ModeKeys
            | OptionName::SynchronizePanes
            | OptionName::WindowStatusCurrentFormat
            | OptionName::WindowStatusFormat
            | OptionName::WindowStatusSeparator => Scope::Window,
            _ => Scope::Session,
        }
    }

    /// tmux's default, but for mode-keys (`ModeKeys`: vi here) and history-limit: history
    /// is on disk here and has no limit (0) unless the daemon's config file gives one,
    /// which the mux shows in its place (`Mux::default_of`).
    pub fn default_value(self) -> OptionValue {
        match self {
            OptionName::BellAction => OptionValue::BellAction(BellAction::default()),
            OptionName::HistoryLimit => OptionValue::Number(0),
            OptionName::ModeKeys => OptionValue::ModeKeys(ModeKeys::default()),
            OptionName::Mouse | OptionName::SetTitles | OptionName::SynchronizePanes => {
                OptionValue::Flag(false)
            }
            OptionName::Prefix => OptionValue::Prefix(DEFAULT_PREFIX),
            OptionName::SetClipboard => OptionValue::SetClipboard(SetClipboard::default()),
            OptionName::Status => OptionValue::Status(true),
            OptionName::StatusLeft => OptionValue::Text("[#{session_name}] ".to_owned()),
            OptionName::StatusLeftLength => OptionValue::Number(10),
            OptionName::StatusRight => OptionValue::Text(STATUS_RIGHT.to_owned()),
            OptionName::StatusRightLength => OptionValue::Number(40),
            OptionName::WindowStatusCurrentFormat | OptionName::WindowStatusFormat => {
                OptionValue::Text(WINDOW_STATUS.to_owned())
            }
            OptionName::WindowStatusSeparator => OptionValue::Text(" ".to_owned()),
            OptionName::WindowSize => OptionValue::WindowSize(WindowSize::default()),
        }
    }
}

/// An option as `set-option` names it: one of ours, or a user option (`@name`), which
/// holds any text for scripts and plugins.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OptionKey {
    Known(OptionName),
    User(String),
}

impl OptionKey {
    /// `None` for a name that is neither ours nor a user option.
    pub fn parse(name: &str) -> Option<OptionKey> {
        if name.len() > 1 && name.starts_with('@') {
            return Some(OptionKey::User(name.to_owned()));
        }
        OptionName::ALL
            .into_iter()
            .find(|option| option.name() == name)
            .map(OptionKey::Known)
    }

    pub fn name(&self) -> &str {
        match self {
            OptionKey::Known(option) => option.name(),
            OptionKey::User(name) => name,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OptionValue {
    Flag(bool),
    /// tmux's `status` is a choice (off, on, or a number of lines); here on or off.
    Status(bool),
    Prefix(PrefixKey),
    BellAction(BellAction),
    SetClipboard(SetClipboard),
    ModeKeys(ModeKeys),
    WindowSize(WindowSize),
    /// status-left-length and status-right-length (0 to 32767) and history-limit (0 to
    /// 2147483647), as tmux takes them.
    Number(u64),
    Text(String),
}

/// Why `set-option` or `show-options` did nothing; the lines are tmux's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OptionError {
    #[error("invalid option: {}", crate::target::quoted(.0))]
    Invalid(String),
    #[error("bad value: {}", crate::target::quoted(.0))]
    BadValue(String),
    #[error("unknown value: {}", crate::target::quoted(.0))]
    UnknownValue(String),
    #[error("bad key: {} (a prefix here is {})", crate::target::quoted(.0), moshmux_proto::options::PREFIX_KEYS)]
    BadKey(String),
    #[error("value is invalid: {}", crate::target::quoted(.0))]
    InvalidNumber(String),
    #[error("value is too small: {}", crate::target::quoted(.0))]
    TooSmall(String),
    #[error("value is too large: {}", crate::target::quoted(.0))]
    TooLarge(String),
    #[error("empty value")]
    EmptyValue,
    #[error("already set: {}", crate::target::quoted(.0))]
    AlreadySet(String),
}

impl OptionValue {
    /// The value `text` gives option `key`, whose value now is `current`. No text
    /// toggles a flag, and a choice between its first two values, as tmux does.
    pub fn parse(
        key: &OptionKey,
        text: Option<&str>,
        current: &OptionValue,
    ) -> Result<OptionValue, OptionError> {
        let value = match (current, text) {
            (_, Some(text)) if matches!(key, OptionKey::User(_)) => {
                OptionValue::Text(text.to_owned())
            }
            (OptionValue::Flag(on), None) => OptionValue::Flag(!on),
            (OptionValue::Flag(_), Some(text)) => OptionValue::Flag(flag(text)?),
            (OptionValue::Status(on), None) => OptionValue::Status(!on),
            (OptionValue::Status(_), Some(text)) => OptionValue::Status(match text {
                "on" => true,
                "off" => false,
                _ => return Err(OptionError::UnknownValue(text.to_owned())),
            }),
            (OptionValue::Prefix(_), Some(text)) => OptionValue::Prefix(
                PrefixKey::parse(text).ok_or_else(|| OptionError::BadKey(text.to_owned()))?,
            ),
            (OptionValue::BellAction(now), text) => OptionValue::BellAction(choice(*now, text)?),
            (OptionValue::SetClipboard(now), text) => {
                OptionValue::SetClipboard(choice(*now, text)?)
            }
            (OptionValue::ModeKeys(now), text) => OptionValue::ModeKeys(choice(*now, text)?),
            (OptionValue::WindowSize(now), text) => OptionValue::WindowSize(choice(*now, text)?),
            (OptionValue::Number(_), Some(text)) => {
                let max = match key {
                    OptionKey::Known(OptionName::HistoryLimit) => MAX_HISTORY_LIMIT,
                    _ => MAX_LENGTH,
                };
                OptionValue::Number(number(text, max)?)
            }
            (OptionValue::Prefix(_) | OptionValue::Number(_) | OptionValue::Text(_), None) => {
                return Err(OptionError::EmptyValue)
            }
            (OptionValue::Text(_), Some(text)) => OptionValue::Text(text.to_owned()),
        };
        Ok(value)
    }

    /// As `show-options -v` prints it: text as it is.
    pub fn bare(&self) -> String {
        match self {
            OptionValue::Text(text) => text.clone(),
            _ => self.shown(),
        }
    }

    /// As `show-options` prints it.
    pub fn shown(&self) -> String {
        match self {
            OptionValue::Flag(on) | OptionValue::Status(on) => {
                if *on { "on" } else { "off" }.to_owned()
            }
            OptionValue::Prefix(key) => key.to_string(),
            OptionValue::Number(number) => number.to_string(),
            OptionValue::BellAction(value) => choice_name(*value),
            OptionValue::SetClipboard(value) => choice_name(*value),
            OptionValue::ModeKeys(value) => choice_name(*value),
            OptionValue::WindowSize(value) => choice_name(*value),
            OptionValue::Text(text) => shell_word(text),
        }
    }
}

/// A number from 0 to `max`: tmux's words for what is not one.
fn number(text: &str, max: u64) -> Result<u64, OptionError> {
    match text.parse::<i64>() {
        Ok(n) if n < 0 => Err(OptionError::TooSmall(text.to_owned())),
        Ok(n) if n.unsigned_abs() > max => Err(OptionError::TooLarge(text.to_owned())),
        Ok(n) => Ok(n.unsigned_abs()),
        Err(_) if text.starts_with('-') && text[1..].bytes().all(|b| b.is_ascii_digit()) => {
            Err(OptionError::TooSmall(text.to_owned()))
        }
        Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Err(OptionError::TooLarge(text.to_owned()))
        }
        Err(_) => Err(OptionError::InvalidNumber(text.to_owned())),
    }
}

/// tmux's flag values: 1, on or yes, and 0, off or no, in any case.
fn flag(text: &str) -> Result<bool, OptionError> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "on" | "yes" => Ok(true),
        "0" | "off" | "no" => Ok(false),
        _ => Err(OptionError::BadValue(text.to_owned())),
    }
}

fn choice<T: ValueEnum + PartialEq + Copy>(now: T, text: Option<&str>) -> Result<T, OptionError> {
    let Some(text) = text else {
        let values = T::value_variants();
        return Ok(match values.iter().position(|value| *value == now) {
            Some(0) => values.get(1).copied().unwrap_or(now),
            Some(1) => values[0],
            _ => now,
        });
    };
    T::from_str(text, false).map_err(|_| OptionError::UnknownValue(text.to_owned()))
}

fn choice_name<T: ValueEnum>(value: T) -> String {
    value
        .to_possible_value()
        .map(|name| name.get_name().to_owned())
        .unwrap_or_default()
}

/// Text as tmux shows it (its `args_escape`): in double quotes when it holds a character
/// its parser treats specially (`"`, `$` and `\` then escaped), in single quotes when it
/// holds a double quote only, else as it is; a backslash, a leading `~` and control
/// characters escaped.
fn shell_word(text: &str) -> String {
    if text.is_empty() {
        return "''".to_owned();
    }
    let quote = if text.contains(|c| " #';${}%".contains(c)) {
        Some('"')
    } else if text.contains('"') {
        Some('\'')
    } else {
        None
    };
    let mut word = String::new();
    if quote.is_none() && text.starts_with('~') {
        word.push('\\');
    }
    word.extend(quote);
    for c in text.chars() {
        match c {
            '"' | '$' if quote == Some('"') => word.push('\\'),
            '\\' => word.push('\\'),
            _ => {}
        }
        match c {
            '\t' => word.push_str("\\t"),
            '\n' => word.push_str("\\n"),
            '\r' => word.push_str("\\r"),
            c if c.is_control() => word.push_str(&format!("\\{:03o}", u32::from(c))),
            c => word.push(c),
        }
    }
    word.extend(quote);
    word
}

/// One level of the tree: what was set there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options(BTreeMap<OptionKey, OptionValue>);

impl Options {
    pub fn get(&self, key: &OptionKey) -> Option<&OptionValue> {
        self.0.get(key)
    }

    pub fn known(&self, option: OptionName) -> Option<&OptionValue> {
        self.0.get(&OptionKey::Known(option))
    }

    pub fn set(&mut self, key: OptionKey, value: OptionValue) {
        self.0.insert(key, value);
    }

    pub fn unset(&mut self, key: &OptionKey) {
        self.0.remove(key);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&OptionKey, &OptionValue)> {
        self.0.iter()
    }
}

/// What a session's clients apply: each option from the first of `levels` (the
/// session's table, the global one, the server's) that set it; the window options from
/// the first of `window_levels` (the active window's table, the global one).
pub fn client_options(levels: &[&Options], window_levels: &[&Options]) -> ClientOptions {
    let find = |option| levels.iter().find_map(|level| level.known(option));
    let mut options = ClientOptions::default();
    if let Some(OptionValue::Prefix(key)) = find(OptionName::Prefix) {
        options.prefix = Some(*key);
    }
    if let Some(OptionValue::Status(on)) = find(OptionName::Status) {
        options.status = Some(*on);
    }
    if let Some(OptionValue::Flag(on)) = find(OptionName::Mouse) {
        options.mouse = Some(*on);
    }
    if let Some(OptionValue::Flag(on)) = find(OptionName::SetTitles) {
        options.set_titles = Some(*on);
    }
    if let Some(OptionValue::BellAction(value)) = find(OptionName::BellAction) {
        options.bell_action = Some(*value);
    }
    if let Some(OptionValue::SetClipboard(value)) = find(OptionName::SetClipboard) {
        options.set_clipboard = Some(*value);
    }
    let find_window = |option| window_levels.iter().find_map(|level| level.known(option));
    if let Some(OptionValue::ModeKeys(value)) = find_window(OptionName::ModeKeys) {
        options.mode_keys = Some(*value);
    }
    options
}

#[cfg(test)]
mod tests;

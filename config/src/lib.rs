//! moshmux's configuration file, `$XDG_CONFIG_HOME/moshmux/config.toml`: where it is, and
//! reading it one key at a time.
//!
//! One file serves both programs: `moshmux` reads `[client]` on the user's machine and
//! `moshmux-server` reads `[server]`, `[history]` and `[options]` on the host, each skipping the other's
//! tables. The typed tables belong to each program's crate (they know their defaults and
//! flags); this crate only finds the file, parses it into toml's spanned document tree and
//! hands each key to its table's reader. A bad file never stops a program: a syntax error
//! leaves every default in place, a bad value or unknown key only that key's, and each
//! problem becomes one line that names the file, the line and the key. serde's derive
//! would stop at the first bad field, so the tree is walked here instead.

use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

/// The file's top-level tables; any other top-level key is reported by both programs.
const TABLES: [&str; 4] = ["client", "server", "history", "options"];

/// Where the file is: `$XDG_CONFIG_HOME/moshmux/config.toml`, else
/// `$HOME/.config/moshmux/config.toml`; `None` with neither set.
pub fn default_path() -> Option<PathBuf> {
    path_from(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
}

/// As the XDG base directory spec says, a relative or empty `XDG_CONFIG_HOME` is ignored.
fn path_from(
    xdg_config_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let base = match xdg_config_home.map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => PathBuf::from(home.filter(|home| !home.is_empty())?).join(".config"),
    };
    Some(base.join("moshmux").join("config.toml"))
}

/// One value, as a table's reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    String(&'a str),
    Integer(i64),
    Boolean(bool),
    /// A float, date, array, a table no reader walks into, or an integer beyond i64.
    Other,
}

/// Why a reader did not take a key; the key keeps its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownKey,
    /// What the value should have been, as "adaptive, always or never".
    Expected(String),
    /// Why the value was refused, in the words the setting's own command uses
    /// ("bad value: maybe", as `set-option` says it).
    Refused(String),
}

/// A table's reader: it takes the table's keys one at a time.
pub trait Table {
    fn set(&mut self, key: &str, value: Value<'_>) -> Result<(), Refusal>;
}

impl Value<'_> {
    /// A whole number, 0 or more.
    pub fn count(self) -> Result<u64, Refusal> {
        match self {
            Value::Integer(n) => u64::try_from(n).map_err(|_| expected("a number, 0 or more")),
            _ => Err(expected("a number, 0 or more")),
        }
    }

    pub fn boolean(self) -> Result<bool, Refusal> {
        match self {
            Value::Boolean(value) => Ok(value),
            _ => Err(expected("true or false")),
        }
    }

    /// One of a command-line choice's values, spelled as the flag takes them, so the file
    /// and the flag share one vocabulary.
    pub fn choice<T: clap::ValueEnum>(self) -> Result<T, Refusal> {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|variant| variant.to_possible_value())
            .map(|value| value.get_name().to_owned())
            .collect();
        let wanted = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        match self {
            Value::String(text) => T::from_str(text, false).map_err(|_| expected(&wanted)),
            _ => Err(expected(&wanted)),
        }
    }
}

/// A refusal saying what the value should have been.
pub fn expected(what: &str) -> Refusal {
    Refusal::Expected(what.to_owned())
}

/// Reads the file at `path` into `tables`, each named by its dotted path (`client`,
/// `client.bind`); tables of the file that none names are another program's and are
/// skipped. Returns one line per problem, in the file's order, each starting with
/// `program`. A missing file is no problem.
pub fn read(program: &str, path: &Path, tables: &mut [(&str, &mut dyn Table)]) -> Vec<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(error) => {
            return vec![format!(
                "{program}: {}: cannot read it ({error}); using the defaults",
                path.display()
            )]
        }
    };
    let root = match DeTable::parse(&text) {
        Ok(root) => root.into_inner(),
        Err(error) => {
            let line = error.span().map_or(1, |span| line_of(&text, span.start));
            return vec![format!(
                "{program}: {} line {line}: {}; using the defaults",
                path.display(),
                error.message().trim_end()
            )];
        }
    };
    let mut problems = Vec::new();
    for (key, value) in root.iter() {
        let name: &str = key.get_ref();
        if TABLES.contains(&name) {
            walk(name, value, tables, &text, &mut problems);
        } else {
            let message = "unknown key: the file has [client], [server], [history] and \
                           [options] tables; it is ignored";
            problems.push((
                line_of(&text, key.span().start),
                key_name(name),
                message.into(),
            ));
        }
    }
    problems.sort_by_key(|(line, _, _)| *line);
    problems
        .into_iter()
        .map(|(line, key, message)| {
            format!(
                "{program}: {} line {line}: {key}: {message}",
                path.display()
            )
        })
        .collect()
}

type Spanned<T> = toml::Spanned<T>;
/// (line, dotted key, message)
type Problem = (usize, String, String);

/// Hands the keys of table `path` to its reader, if this program has one.
fn walk(
    path: &str,
    value: &Spanned<DeValue<'_>>,
    tables: &mut [(&str, &mut dyn Table)],
    text: &str,
    problems: &mut Vec<Problem>,
) {
    if !tables.iter().any(|(name, _)| *name == path) {
        return;
    }
    let Some(table) = value.get_ref().as_table() else {
        let line = line_of(text, value.span().start);
        problems.push((
            line,
            path.to_owned(),
            "expected a table; it is ignored".into(),
        ));
        return;
    };
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let full = format!("{path}.{}", key_name(name));
        if value.get_ref().is_table() && tables.iter().any(|(table, _)| *table == full) {
            walk(&full, value, tables, text, problems);
            continue;
        }
        let Some((_, reader)) = tables.iter_mut().find(|(table, _)| *table == path) else {
            return;
        };
        match reader.set(name, simple(value.get_ref())) {
            Ok(()) => {}
            Err(Refusal::UnknownKey) => problems.push((
                line_of(text, key.span().start),
                full,
                "unknown key; it is ignored".into(),
            )),
            Err(Refusal::Expected(what)) => problems.push((
                line_of(text, value.span().start),
                full,
                format!("expected {what}; using the default"),
            )),
            Err(Refusal::Refused(why)) => problems.push((
                line_of(text, value.span().start),
                full,
                format!("{why}; using the default"),
            )),
        }
    }
}

fn simple<'a>(value: &'a DeValue<'_>) -> Value<'a> {
    match value {
        DeValue::String(text) => Value::String(text),
        DeValue::Integer(n) => {
            i64::from_str_radix(n.as_str(), n.radix()).map_or(Value::Other, Value::Integer)
        }
        DeValue::Boolean(value) => Value::Boolean(*value),
        _ => Value::Other,
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
    before.iter().filter(|&&byte| byte == b'\n').count() + 1
}

/// A key as it would be written in the file: bare when it can be, else quoted.
fn key_name(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

#[cfg(test)]
mod tests;

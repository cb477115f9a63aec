//! What a pane's program finds in its environment, and nothing more.
//!
//! tmux copies the whole environment of the command that started its server into every
//! pane, which is how a secret exported for one command (`MOSHMUX_KEY`, a token in a
//! test's environment) ends up in every shell of every session. Here a pane gets:
//! - from the daemon (which `new` starts with only these): the login basics in
//!   [`BASE_VARIABLES`] and any `LC_*`;
//! - from the `new` that created or last joined its session: the variables of tmux's
//!   `update-environment` ([`UPDATE_ENVIRONMENT`], so the agent socket and display of the
//!   user's latest login reach new panes), plus names the config file's
//!   `server.update-environment` adds, plus `new -e NAME=VALUE`;
//! - `TERM`, `MOSHMUX` (socket and daemon pid, as tmux's `TMUX`) and `MOSHMUX_PANE`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::OsString;

/// Passed from the daemon's own environment; `MOSHMUX_DIR` lets `moshmux-server` commands
/// typed in a pane reach the daemon that runs it.
pub const BASE_VARIABLES: &[&str] = &[
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "PATH",
    "MAIL",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "XDG_DATA_HOME",
    "XDG_DATA_DIRS",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "MOSHMUX_DIR",
];

/// The daemon's own settings, which it keeps but does not hand to panes.
const DAEMON_ONLY: &[&str] = &["MOSHMUX_LOG"];

/// tmux 3.3's default `update-environment`: taken from each `new`, set in its session.
pub const UPDATE_ENVIRONMENT: &[&str] = &[
    "DISPLAY",
    "KRB5CCNAME",
    "SSH_ASKPASS",
    "SSH_AUTH_SOCK",
    "SSH_AGENT_PID",
    "SSH_CONNECTION",
    "WINDOWID",
    "XAUTHORITY",
];

fn is_base(name: &str) -> bool {
    BASE_VARIABLES.contains(&name) || name.starts_with("LC_")
}

/// The environment `new` starts the daemon with: the base variables of its own, and the
/// daemon's settings. Nothing else (no `MOSHMUX_KEY`, no secret of the shell that ran
/// `new`) ever reaches the daemon.
pub fn for_daemon(vars: impl Iterator<Item = (OsString, OsString)>) -> Vec<(OsString, OsString)> {
    vars.filter(|(name, _)| {
        name.to_str()
            .is_some_and(|name| is_base(name) || DAEMON_ONLY.contains(&name))
    })
    .collect()
}

/// Variables a session (or, as the global environment, every session) sets for its new
/// panes: set (`Some`) or removed (`None`: a variable of the update set that the last
/// `new` did not have, or one `set-environment -r` took out, as tmux marks them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment(pub BTreeMap<String, Option<String>>);

/// Why `set-environment` or `show-environment` did nothing; the lines are tmux's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvironmentError {
    #[error("unknown variable: {}", crate::target::quoted(.0))]
    Unknown(String),
    #[error("no value specified")]
    NoValue,
    #[error("empty variable name")]
    EmptyName,
    #[error("variable name contains =")]
    NameWithEquals,
}

/// What `set-environment` does to one variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VariableChange {
    Set(String),
    /// `-r`: removed from the panes' environment, even if the daemon's has it.
    Remove,
    /// `-u`: no longer this environment's to say (the global one, or the daemon's, then
    /// decides).
    Unset,
}

impl Environment {
    /// The daemon's base variables (what every pane starts from), as the global
    /// environment starts.
    pub fn of_daemon(vars: impl Iterator<Item = (String, String)>) -> Environment {
        Environment(
            vars.filter(|(name, _)| is_base(name))
                .map(|(name, value)| (name, Some(value)))
                .collect(),
        )
    }

    /// `set-environment`'s change to variable `name`.
    pub fn change(&mut self, name: &str, change: VariableChange) -> Result<(), EnvironmentError> {
        if name.is_empty() {
            return Err(EnvironmentError::EmptyName);
        }
        if name.contains('=') {
            return Err(EnvironmentError::NameWithEquals);
        }
        match change {
            VariableChange::Set(value) => self.0.insert(name.to_owned(), Some(value)),
            VariableChange::Remove => self.0.insert(name.to_owned(), None),
            VariableChange::Unset => self.0.remove(name),
        };
        Ok(())
    }

    /// `show-environment`: every variable (or only `name`) as `NAME=VALUE`, or `-NAME`
    /// when removed; with `shell`, as lines a shell can `eval`.
    pub fn show(&self, name: Option<&str>, shell: bool) -> Result<String, EnvironmentError> {
        let mut out = String::new();
        let mut line = |name: &str, value: &Option<String>| match (value, shell) {
            (Some(value), false) => out.push_str(&format!("{name}={value}\n")),
            (None, false) => out.push_str(&format!("-{name}\n")),
            (Some(value), true) => {
                let quoted = shell_quoted(value);
                out.push_str(&format!("{name}=\"{quoted}\"; export {name};\n"));
            }
            (None, true) => out.push_str(&format!("unset {name};\n")),
        };
        match name {
            Some(name) => {
                let value = self
                    .0
                    .get(name)
                    .ok_or_else(|| EnvironmentError::Unknown(name.to_owned()))?;
                line(name, value);
            }
            None => self.0.iter().for_each(|(name, value)| line(name, value)),
        }
        Ok(out)
    }

    /// What `new` sends: each name of the update set (tmux's, and `extra_names` from the
    /// config file) with its value in `lookup` (`new`'s environment) or `None`, then the
    /// `NAME=VALUE` pairs given with `-e`.
    pub fn from_client(
        extra_names: &[String],
        assignments: &[(String, String)],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Environment {
        let names = UPDATE_ENVIRONMENT
            .iter()
            .copied()
            .chain(extra_names.iter().map(String::as_str));
        let mut vars: BTreeMap<String, Option<String>> =
            names.map(|name| (name.to_owned(), lookup(name))).collect();
        for (name, value) in assignments {
            vars.insert(name.clone(), Some(value.clone()));
        }
        Environment(vars)
    }

    /// Takes what a later `new` (joining the session) sent over what was there.
    pub fn update(&mut self, newer: Environment) {
        self.0.extend(newer.0);
    }

    /// What a new pane of the session gets on top of the daemon's base variables: the
    /// global environment's variables, the session's over them (set or removed), then
    /// `extra`.
    pub fn for_pane(
        &self,
        global: &Environment,
        extra: &[(String, String)],
    ) -> Vec<(String, Option<String>)> {
        let mut vars = global.0.clone();
        vars.extend(self.0.clone());
        for (name, value) in extra {
            vars.insert(name.clone(), Some(value.clone()));
        }
        vars.into_iter().collect()
    }
}

/// A new pane's whole environment (`TERM` aside): the base variables of `daemon_vars`
/// (the daemon's own environment), with `changes` ([`Environment::for_pane`])
/// applied.
pub fn for_program(
    daemon_vars: impl Iterator<Item = (String, String)>,
    changes: &[(String, Option<String>)],
) -> Vec<(String, String)> {
    let mut vars: BTreeMap<String, String> =
        daemon_vars.filter(|(name, _)| is_base(name)).collect();
    for (name, value) in changes {
        match value {
            Some(value) => vars.insert(name.clone(), value.clone()),
            None => vars.remove(name),
        };
    }
    vars.into_iter().collect()
}

/// A value inside double quotes for a shell: `$`, `` ` ``, `"` and `\\` escaped.
fn shell_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '$' | '`' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `-e NAME=VALUE`, as tmux's `new-session -e` takes it.
pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if is_variable_name(name) => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!(
            "{text:?} is not NAME=VALUE (a name of letters, digits and _)"
        )),
    }
}

/// A name a shell can export.
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|&(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }

    #[test]
    fn the_daemon_keeps_only_the_base_variables_and_its_own_settings() {
        let given = [
            ("HOME", "/home/me"),
            ("LC_TIME", "C"),
            ("MOSHMUX_LOG", "debug"),
            ("MOSHMUX_KEY", "secret"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("SSH_AUTH_SOCK", "/tmp/agent"),
        ]
        .map(|(name, value)| (OsString::from(name), OsString::from(value)));
        let kept: Vec<String> = for_daemon(given.into_iter())
            .into_iter()
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        assert_eq!(kept, ["HOME", "LC_TIME", "MOSHMUX_LOG"]);
    }

    #[test]
    fn a_pane_gets_the_base_the_sessions_update_set_and_nothing_else() {
        let client = [("SSH_AUTH_SOCK", "/tmp/agent-2"), ("EDITOR", "vi")];
        let lookup = |name: &str| {
            client
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        let mut session = Environment::from_client(
            &["EDITOR".to_owned()],
            &[("PS1".to_owned(), "$ ".to_owned())],
            lookup,
        );
        let daemon = vars(&[
            ("PATH", "/bin"),
            ("DISPLAY", ":0"),
            ("MOSHMUX_KEY", "secret"),
            ("MOSHMUX_LOG", "debug"),
        ]);
        let extra = vars(&[("MOSHMUX_PANE", "%1")]);
        let pane = for_program(
            daemon.clone().into_iter(),
            &session.for_pane(&Environment::default(), &extra),
        );
        assert_eq!(
            pane,
            vars(&[
                ("EDITOR", "vi"),
                ("MOSHMUX_PANE", "%1"),
                ("PATH", "/bin"),
                ("PS1", "$ "),
                ("SSH_AUTH_SOCK", "/tmp/agent-2"),
            ])
        );
        // A later `new` without an agent takes the session's away, as tmux does.
        session.update(Environment::from_client(&[], &[], |_| None));
        let pane = for_program(
            daemon.into_iter(),
            &session.for_pane(&Environment::default(), &[]),
        );
        assert_eq!(
            pane,
            vars(&[("EDITOR", "vi"), ("PATH", "/bin"), ("PS1", "$ ")])
        );
    }

    #[test]
    fn assignments_are_checked() {
        assert_eq!(
            parse_assignment("PS1=$ "),
            Ok(("PS1".to_owned(), "$ ".to_owned()))
        );
        assert_eq!(
            parse_assignment("A=b=c"),
            Ok(("A".to_owned(), "b=c".to_owned()))
        );
        assert!(parse_assignment("noequals").is_err());
        assert!(parse_assignment("1X=y").is_err());
        assert!(parse_assignment("=y").is_err());
    }
}

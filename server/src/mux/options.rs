//! set-option and show-options over tmux's option tree (`crate::options` has the table of
//! options and what each level holds): where an option lives, what it is worth there,
//! and what a change does at once.

use super::commands::{CommandError, Outcome};
use super::resolve::Location;
use super::Mux;
use crate::control;
use crate::options::{
    client_options, OptionError, OptionKey, OptionName, OptionValue, Options, Scope,
};
use crate::pane_id::{PaneId, SessionId};
use crate::session::WindowSize;
use moshmux_proto::options::ClientOptions;

/// The options above every session and window: tmux's server table and its global
/// session and window tables.
#[derive(Debug, Default)]
pub struct GlobalOptions {
    pub server: Options,
    pub session: Options,
    pub window: Options,
    /// The config file's `[options]` were applied (by the first `new`).
    pub from_config: bool,
}

/// One table of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Server,
    GlobalSession,
    GlobalWindow,
    Session(SessionId),
    Window(SessionId, u32),
}

impl Level {
    fn is_global(self) -> bool {
        matches!(
            self,
            Level::Server | Level::GlobalSession | Level::GlobalWindow
        )
    }
}

impl Mux {
    /// The config file's `[options]`, from the first `new`: each as `set-option -g`, as
    /// tmux reads its config file once, when its server starts. Later ones are ignored,
    /// so an attach never undoes what `set-option` changed since. The file's reader
    /// checked them; one this daemon refuses still becomes a notice for the next client.
    pub(super) fn apply_config_options(&mut self, options: &[(String, String)]) {
        if std::mem::replace(&mut self.options.from_config, true) {
            return;
        }
        for (name, value) in options {
            let set = control::SetOption {
                target: None,
                global: true,
                scope: None,
                unset: false,
                only_if_unset: false,
                quiet: false,
                name: name.clone(),
                value: Some(value.clone()),
            };
            if let Err(error) = self.set_option(set) {
                self.notices
                    .push(format!("config file, [options] {name}: {error}"));
            }
        }
    }

    pub(super) fn set_option(&mut self, set: control::SetOption) -> Outcome {
        let Some(key) = known_or_quiet(&set.name, set.quiet)? else {
            return Ok(String::new());
        };
        let level = self.level(&key, set.scope, set.global, set.target.as_ref())?;
        let current = self.value_from(level, &key);
        let table = self.table_mut(level).ok_or(CommandError::NoSessions)?;
        if set.unset {
            table.unset(&key);
        } else {
            if set.only_if_unset && table.get(&key).is_some() {
                return Err(OptionError::AlreadySet(set.name).into());
            }
            let placeholder = OptionValue::Text(String::new());
            let current = current.unwrap_or(placeholder);
            table.set(
                key.clone(),
                OptionValue::parse(&key, set.value.as_deref(), &current)?,
            );
        }
        if key == OptionKey::Known(OptionName::WindowSize) {
            let sessions: Vec<SessionId> = self.sessions.keys().copied().collect();
            for session in sessions {
                self.fit_session(session);
            }
        }
        Ok(String::new())
    }

    pub(super) fn show_options(&self, show: &control::ShowOptions) -> Outcome {
        let named = match &show.name {
            Some(name) => match known_or_quiet(name, show.quiet)? {
                Some(key) => Some(key),
                None => return Ok(String::new()),
            },
            None => None,
        };
        let level = match &named {
            Some(key) => self.level(key, show.scope, show.global, show.target.as_ref())?,
            None => self.listed_level(show)?,
        };
        let table = self.table(level).ok_or(CommandError::NoSessions)?;
        let mut lines: Vec<(String, bool, OptionValue)> = Vec::new();
        let mut add = |key: &OptionKey| {
            if let Some(value) = table.get(key) {
                lines.push((key.name().to_owned(), false, value.clone()));
            } else if let Some(value) = self.default_at(level, key) {
                lines.push((key.name().to_owned(), false, value));
            } else if show.inherited {
                if let Some(value) = self.value_from(level, key) {
                    lines.push((key.name().to_owned(), true, value));
                }
            }
        };
        match &named {
            Some(key) => {
                add(key);
                if lines.is_empty() && matches!(key, OptionKey::User(_)) && !show.quiet {
                    return Err(OptionError::Invalid(key.name().to_owned()).into());
                }
            }
            None => {
                let scope = scope_of_level(level);
                let known = OptionName::ALL
                    .into_iter()
                    .filter(|option| option.scope() == scope)
                    .map(OptionKey::Known);
                let users = table.iter().map(|(key, _)| key.clone());
                let keys: Vec<OptionKey> = users.chain(known).collect();
                for key in &keys {
                    add(key);
                }
                lines.sort_by(|a, b| a.0.cmp(&b.0));
                lines.dedup_by(|a, b| a.0 == b.0);
            }
        }
        let mut out = String::new();
        for (name, inherited, value) in lines {
            if show.value_only {
                out.push_str(&value.bare());
            } else {
                let mark = if inherited { "*" } else { "" };
                out.push_str(&format!("{name}{mark} {}", value.shown()));
            }
            out.push('\n');
        }
        Ok(out)
    }

    /// What a session's clients apply (the session's own options, then the global ones;
    /// for window options, the active window's own, then the global ones). Every client
    /// of a session shows its active window, so that window's options are the clients'.
    pub(super) fn client_options_of(&self, session: SessionId) -> ClientOptions {
        let session = self.sessions.get(&session);
        let levels: Vec<&Options> = (session.map(|s| &s.options).into_iter())
            .chain([&self.options.session, &self.options.server])
            .collect();
        let window = session.and_then(|s| s.window(s.active_window()));
        let window_levels: Vec<&Options> = (window.map(|w| w.options()).into_iter())
            .chain([&self.options.window])
            .collect();
        client_options(&levels, &window_levels)
    }

    /// The session's window-size, from its own table, the global one or the default.
    pub(super) fn window_size_of(&self, session: SessionId) -> WindowSize {
        match self.value_from(
            Level::Session(session),
            &OptionKey::Known(OptionName::WindowSize),
        ) {
            Some(OptionValue::WindowSize(size)) => size,
            _ => WindowSize::default(),
        }
    }

    /// A session option's text (a format), from the session's table, the global one or
    /// the default.
    pub(super) fn session_text(&self, session: SessionId, option: OptionName) -> String {
        text_of(self.value_from(Level::Session(session), &OptionKey::Known(option)))
    }

    /// A window option's text.
    pub(super) fn window_text(
        &self,
        session: SessionId,
        window: u32,
        option: OptionName,
    ) -> String {
        text_of(self.value_from(Level::Window(session, window), &OptionKey::Known(option)))
    }

    /// A session option's number (a length).
    pub(super) fn session_number(&self, session: SessionId, option: OptionName) -> u64 {
        match self.value_from(Level::Session(session), &OptionKey::Known(option)) {
            Some(OptionValue::Number(number)) => number,
            _ => 0,
        }
    }

    /// The panes that get what is typed into the pane at `location`: that pane, or with
    /// synchronize-panes on for its window, every live pane of the window, as tmux
    /// copies keys to them.
    pub(super) fn typed_into(&self, location: &Location) -> Vec<PaneId> {
        let key = OptionKey::Known(OptionName::SynchronizePanes);
        let level = Level::Window(location.session, location.window);
        let window = self
            .sessions
            .get(&location.session)
            .and_then(|session| session.window(location.window));
        let panes = match window {
            Some(window) if self.value_from(level, &key) == Some(OptionValue::Flag(true)) => {
                window.panes()
            }
            _ => vec![location.pane],
        };
        panes
            .into_iter()
            .filter(|pane| self.panes.contains_key(pane))
            .collect()
    }

    /// The table an option is set in or shown from: the option's own scope (or, for a
    /// user option, the one the flags name), global with `-g`, else the target's.
    fn level(
        &self,
        key: &OptionKey,
        flagged: Option<Scope>,
        global: bool,
        target: Option<&control::Target>,
    ) -> Result<Level, CommandError> {
        let scope = match key {
            OptionKey::Known(option) => option.scope(),
            OptionKey::User(_) => flagged.unwrap_or(Scope::Session),
        };
        self.level_of_scope(scope, global, target)
    }

    /// The table `show-options` lists without a name: the flags' scope.
    fn listed_level(&self, show: &control::ShowOptions) -> Result<Level, CommandError> {
        let scope = show.scope.unwrap_or(Scope::Session);
        self.level_of_scope(scope, show.global, show.target.as_ref())
    }

    fn level_of_scope(
        &self,
        scope: Scope,
        global: bool,
        target: Option<&control::Target>,
    ) -> Result<Level, CommandError> {
        Ok(match (scope, global) {
            (Scope::Server, _) => Level::Server,
            (Scope::Session, true) => Level::GlobalSession,
            (Scope::Window, true) => Level::GlobalWindow,
            (Scope::Session, false) => Level::Session(self.resolve_or_recent(target)?.session),
            (Scope::Window, false) => {
                let location = self.resolve_or_recent(target)?;
                Level::Window(location.session, location.window)
            }
        })
    }

    fn table(&self, level: Level) -> Option<&Options> {
        match level {
            Level::Server => Some(&self.options.server),
            Level::GlobalSession => Some(&self.options.session),
            Level::GlobalWindow => Some(&self.options.window),
            Level::Session(session) => self.sessions.get(&session).map(|s| &s.options),
            Level::Window(session, window) => self
                .sessions
                .get(&session)?
                .window(window)
                .map(|w| w.options()),
        }
    }

    fn table_mut(&mut self, level: Level) -> Option<&mut Options> {
        match level {
            Level::Server => Some(&mut self.options.server),
            Level::GlobalSession => Some(&mut self.options.session),
            Level::GlobalWindow => Some(&mut self.options.window),
            Level::Session(session) => self.sessions.get_mut(&session).map(|s| &mut s.options),
            Level::Window(session, window) => self
                .sessions
                .get_mut(&session)?
                .window_mut(window)
                .map(|w| w.options_mut()),
        }
    }

    /// A known option's default, shown in a global table that did not set it.
    fn default_at(&self, level: Level, key: &OptionKey) -> Option<OptionValue> {
        match key {
            OptionKey::Known(option) if level.is_global() => Some(self.default_of(*option)),
            _ => None,
        }
    }

    /// tmux's default (`OptionName::default_value`), but history-limit's is the limit
    /// the daemon's config file gave the store (0: none).
    fn default_of(&self, option: OptionName) -> OptionValue {
        match option {
            OptionName::HistoryLimit => {
                OptionValue::Number(self.store.retention().max_lines_per_pane.unwrap_or(0))
            }
            _ => option.default_value(),
        }
    }

    /// Gives a pane that just started the history-limit of its session (the global one
    /// for a new session's first pane), as tmux fixes a pane's limit when it is made:
    /// changing the option later leaves the panes already there as they are.
    pub(super) fn limit_history(&self, pane: PaneId, session: Option<SessionId>) {
        let level = session.map_or(Level::GlobalSession, Level::Session);
        let key = OptionKey::Known(OptionName::HistoryLimit);
        if let Some(OptionValue::Number(lines)) = self.value_from(level, &key) {
            self.store
                .set_line_limit(pane, (lines > 0).then_some(lines));
        }
    }

    /// The option's value at `level`: set there, else set above, else its default.
    fn value_from(&self, level: Level, key: &OptionKey) -> Option<OptionValue> {
        let above = match level {
            Level::Session(_) => Some(Level::GlobalSession),
            Level::Window(..) => Some(Level::GlobalWindow),
            _ => None,
        };
        let set = [Some(level), above]
            .into_iter()
            .flatten()
            .find_map(|level| self.table(level)?.get(key).cloned());
        set.or_else(|| match key {
            OptionKey::Known(option) => Some(self.default_of(*option)),
            OptionKey::User(_) => None,
        })
    }
}

fn text_of(value: Option<OptionValue>) -> String {
    match value {
        Some(OptionValue::Text(text)) => text,
        _ => String::new(),
    }
}

fn scope_of_level(level: Level) -> Scope {
    match level {
        Level::Server => Scope::Server,
        Level::GlobalSession | Level::Session(_) => Scope::Session,
        Level::GlobalWindow | Level::Window(..) => Scope::Window,
    }
}

/// The option `name` names; `None` (and no error) for an unknown one with `-q`.
fn known_or_quiet(name: &str, quiet: bool) -> Result<Option<OptionKey>, CommandError> {
    match OptionKey::parse(name) {
        Some(key) => Ok(Some(key)),
        None if quiet => Ok(None),
        None => Err(OptionError::Invalid(name.to_owned()).into()),
    }
}

//! What the config file's `[client]` table sets for `moshmux` (the file itself is read by
//! `moshmux_config`). A flag on the command line wins over the file, and the file over the
//! built-in default; a bad key in the file keeps its default and is reported.

use std::path::Path;

use moshmux_config::{expected, Refusal, Table, Value};
use moshmux_proto::options::ModeKeys;

use crate::alerts::AlertConfig;
use crate::cli::{InstallServer, Predict, DEFAULT_SCROLLBACK_LINES};
use crate::key_table::{
    parse_binding, parse_key, parse_prefix, Bound, Key, KeyTable, DEFAULT_PREFIX,
};

/// The client's settings, every one resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub keys: KeyTable,
    pub predict: Predict,
    pub scrollback_lines: u64,
    /// false: the panes get the last row too, and the status line shows over it only
    /// while it has something to say.
    pub status_line: bool,
    /// true: the terminal reports the mouse all the time, as under tmux's `mouse on`
    /// (`mouse::route`); false leaves the terminal's own wheel scrollback and selection.
    pub mouse: bool,
    /// `bell-action`, `set-clipboard` and `set-titles`, as tmux's options of those names.
    pub alerts: AlertConfig,
    /// tmux's `mode-keys`: the scroll view's vi or emacs keys (vi by default, as the
    /// view had only those before).
    pub mode_keys: ModeKeys,
    /// tmux's `focus-events`: the terminal's focus reports reach a focused pane that
    /// asked for them (DECSET 1004). On by default, unlike tmux, since the terminal is
    /// asked for them only while such a pane is focused.
    pub focus_events: bool,
    /// Whether `attach` copies its server to a host that lacks one of this version.
    pub install_server: InstallServer,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            keys: KeyTable::default(),
            predict: Predict::Adaptive,
            scrollback_lines: DEFAULT_SCROLLBACK_LINES,
            status_line: true,
            mouse: false,
            alerts: AlertConfig::default(),
            mode_keys: ModeKeys::default(),
            focus_events: true,
            install_server: InstallServer::default(),
        }
    }
}

impl ClientConfig {
    /// Reads the user's file (`$XDG_CONFIG_HOME/moshmux/config.toml`); returns the
    /// settings and one line per problem found in it.
    pub fn load() -> (ClientConfig, Vec<String>) {
        match moshmux_config::default_path() {
            Some(path) => ClientConfig::read(&path),
            None => (ClientConfig::default(), Vec::new()),
        }
    }

    pub fn read(path: &Path) -> (ClientConfig, Vec<String>) {
        let mut client = ClientTable {
            prefix: DEFAULT_PREFIX,
            config: ClientConfig::default(),
        };
        let mut bind = BindTable::default();
        let problems = moshmux_config::read(
            "moshmux",
            path,
            &mut [("client", &mut client), ("client.bind", &mut bind)],
        );
        let mut config = client.config;
        config.keys = KeyTable::new(client.prefix, &bind.changes);
        (config, problems)
    }

    /// The flags given on the command line, over the file's settings.
    pub fn with_flags(self, predict: Option<Predict>, scrollback_lines: Option<u64>) -> Self {
        ClientConfig {
            predict: predict.unwrap_or(self.predict),
            scrollback_lines: scrollback_lines.unwrap_or(self.scrollback_lines),
            ..self
        }
    }
}

/// `[client]`; the prefix is kept apart until the bindings are known, which the file may
/// list before it.
struct ClientTable {
    prefix: u8,
    config: ClientConfig,
}

impl Table for ClientTable {
    fn set(&mut self, key: &str, value: Value<'_>) -> Result<(), Refusal> {
        match key {
            "prefix" => {
                self.prefix = match value {
                    Value::String(text) => parse_prefix(text).map_err(|what| expected(&what))?,
                    _ => return Err(expected("a prefix key as a string, e.g. \"C-a\"")),
                }
            }
            "predict" => self.config.predict = value.choice()?,
            "scrollback-lines" => self.config.scrollback_lines = value.count()?,
            "status-line" => self.config.status_line = value.boolean()?,
            "mouse" => self.config.mouse = value.boolean()?,
            "bell-action" => self.config.alerts.bell_action = value.choice()?,
            "set-clipboard" => self.config.alerts.set_clipboard = value.choice()?,
            "set-titles" => self.config.alerts.set_titles = value.boolean()?,
            "mode-keys" => self.config.mode_keys = value.choice()?,
            "focus-events" => self.config.focus_events = value.boolean()?,
            "install-server" => self.config.install_server = value.choice()?,
            // A [client.bind] table is read by `BindTable`; only anything else lands here.
            "bind" => return Err(expected("a [client.bind] table of key = \"command\"")),
            _ => return Err(Refusal::UnknownKey),
        }
        Ok(())
    }
}

/// `[client.bind]`: key = "command", in the file's order.
#[derive(Default)]
struct BindTable {
    changes: Vec<(Key, Option<Bound>)>,
}

impl Table for BindTable {
    fn set(&mut self, key: &str, value: Value<'_>) -> Result<(), Refusal> {
        let key = parse_key(key).map_err(|what| expected(&format!("{what} as the key")))?;
        let Value::String(command) = value else {
            return Err(expected("a command as a string, e.g. \"split-window -h\""));
        };
        let binding = parse_binding(command).map_err(|what| expected(&what))?;
        let command = command.trim().to_owned();
        self.changes
            .push((key, binding.map(|binding| (binding, command))));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{BellAction, SetClipboard};
    use crate::key_table::Binding;
    use moshmux_proto::MuxCommand;

    fn read_text(text: &str) -> (ClientConfig, Vec<String>) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("writing the file");
        ClientConfig::read(&path)
    }

    #[test]
    fn every_key_is_read() {
        let (config, problems) = read_text(
            "[client]\nprefix = \"C-a\"\npredict = \"never\"\nscrollback-lines = 50\n\
             status-line = false\nmouse = true\nbell-action = \"other\"\n\
             set-clipboard = \"on\"\nset-titles = true\nfocus-events = false\n\
             mode-keys = \"emacs\"\n\
             install-server = \"no\"\n[client.bind]\n\"|\" = \"split-window -h\"\n\"%\" = \"none\"\n\
             [server]\nwindow-size = \"smallest\"\n",
        );
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(config.keys.prefix(), 0x01);
        assert_eq!(config.predict, Predict::Never);
        assert_eq!(config.scrollback_lines, 50);
        assert!(!config.status_line);
        assert!(config.mouse);
        let alerts = AlertConfig {
            bell_action: BellAction::Other,
            set_clipboard: SetClipboard::On,
            set_titles: true,
        };
        assert_eq!(config.alerts, alerts);
        assert!(!config.focus_events);
        assert_eq!(config.mode_keys, ModeKeys::Emacs);
        assert_eq!(config.install_server, InstallServer::No);
        assert_eq!(
            config.keys.get(Key::Byte(b'|')),
            Some(&Binding::Command(MuxCommand::SplitHorizontal))
        );
        assert_eq!(config.keys.get(Key::Byte(b'%')), None);
        assert_eq!(config.keys.get(Key::Byte(0x01)), Some(&Binding::SendPrefix));
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_the_defaults() {
        let (file, _) = read_text("[client]\npredict = \"always\"\nscrollback-lines = 10\n");
        let config = file.clone().with_flags(Some(Predict::Never), None);
        assert_eq!(
            (config.predict, config.scrollback_lines),
            (Predict::Never, 10)
        );
        let config = file.with_flags(None, Some(0));
        assert_eq!(
            (config.predict, config.scrollback_lines),
            (Predict::Always, 0)
        );
        let (none, problems) = read_text("");
        assert!(problems.is_empty());
        assert_eq!(none, ClientConfig::default());
        assert_eq!(none.with_flags(None, None), ClientConfig::default());
    }

    #[test]
    fn bad_keys_keep_their_defaults_and_the_rest_applies() {
        let (config, problems) = read_text(
            "[client]\npredict = \"sometimes\"\nprefix = \"C-^\"\nstatus-line = \"no\"\n\
             scrollback-lines = 7\nbell = true\n[client.bind]\nF1 = \"new-window\"\n\
             \"v\" = \"kill-server\"\n\"w\" = \"new-window\"\n",
        );
        let lines: Vec<&str> = problems
            .iter()
            .map(|line| line.split_once(" line ").map_or("", |(_, rest)| rest))
            .collect();
        assert_eq!(lines.len(), 6, "{problems:?}");
        assert!(lines[0].starts_with("2: client.predict: expected adaptive, always or never"));
        assert!(lines[1].starts_with("3: client.prefix: expected a control key"));
        assert!(lines[2].starts_with("4: client.status-line: expected true or false"));
        assert_eq!(lines[3], "6: client.bell: unknown key; it is ignored");
        assert!(lines[4].starts_with("8: client.bind.F1: expected a key name"));
        assert!(lines[5].starts_with("9: client.bind.v: expected one of: split-window"));
        assert!(problems.iter().all(|line| line.starts_with("moshmux: /")));
        assert_eq!(config.predict, Predict::Adaptive);
        assert_eq!(config.keys.prefix(), DEFAULT_PREFIX);
        assert!(config.status_line);
        assert_eq!(config.scrollback_lines, 7);
        assert_eq!(
            config.keys.get(Key::Byte(b'w')),
            Some(&Binding::Command(MuxCommand::NewWindow))
        );
    }

    #[test]
    fn a_syntax_error_keeps_every_default() {
        let (config, problems) = read_text("[client]\nprefix = \"C-a\"\npredict = never\n");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains(" line 3: "), "{problems:?}");
        assert_eq!(config, ClientConfig::default());
    }
}

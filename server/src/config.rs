//! What the config file's `[server]` and `[history]` tables set for `moshmux-server new`
//! (the file itself is read by `moshmux_config`). Only `new` reads it, on the host, and
//! passes the history limits on to the daemon it starts, as the flags are. A flag wins
//! over the file, the file over the built-in default; a bad key keeps its default.

use std::path::Path;

use moshmux_config::{expected, Refusal, Table, Value};

use crate::cli::{Command, HistoryLimits};
use crate::control::PortChoice;
use crate::options::{OptionKey, OptionValue};
use crate::session::WindowSize;

/// What the file says; `None` where it says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerConfig {
    /// Applied as `--window-size` is: to the session created or joined.
    pub window_size: Option<WindowSize>,
    /// Seconds; `Some(0)` keeps silent clients' endpoints, as no flag does.
    pub network_timeout: Option<u64>,
    /// Variable names `new` passes to the session besides tmux's update-environment set.
    pub update_environment: Vec<String>,
    /// As `-p`: the shared port, or a range for a port per client.
    pub port: Option<PortChoice>,
    pub history: HistoryLimits,
    /// `[options]`: tmux options as `set -g NAME VALUE`, checked here.
    pub options: Vec<(String, String)>,
}

impl ServerConfig {
    /// Reads the user's file (`$XDG_CONFIG_HOME/moshmux/config.toml`); returns what it
    /// says and one line per problem found in it.
    pub fn load() -> (ServerConfig, Vec<String>) {
        match moshmux_config::default_path() {
            Some(path) => ServerConfig::read(&path),
            None => (ServerConfig::default(), Vec::new()),
        }
    }

    pub fn read(path: &Path) -> (ServerConfig, Vec<String>) {
        let mut server = ServerTable::default();
        let mut history = HistoryTable::default();
        let mut options = OptionsTable::default();
        let problems = moshmux_config::read(
            "moshmux-server",
            path,
            &mut [
                ("server", &mut server),
                ("history", &mut history),
                ("options", &mut options),
            ],
        );
        let config = ServerConfig {
            window_size: server.window_size,
            network_timeout: server.network_timeout,
            update_environment: server.update_environment,
            port: server.port,
            history: history.0,
            options: options.0,
        };
        (config, problems)
    }

    /// Fills in what `new` was not given on the command line; other commands are left
    /// as they are.
    pub fn under_flags(&self, command: &mut Command) {
        if let Command::NewSession { options, .. } = command {
            options.clone_from(&self.options);
        }
        let Command::New {
            window_size,
            limits,
            network_timeout,
            update_environment,
            ports,
            options,
            ..
        } = command
        else {
            return;
        };
        options.clone_from(&self.options);
        update_environment.clone_from(&self.update_environment);
        *window_size = window_size.or(self.window_size);
        *network_timeout = network_timeout.or(self.network_timeout);
        *ports = ports.or(self.port);
        let file = &self.history;
        limits.history_lines = limits.history_lines.or(file.history_lines);
        limits.history_bytes = limits.history_bytes.or(file.history_bytes);
        limits.history_total_bytes = limits.history_total_bytes.or(file.history_total_bytes);
    }
}

#[derive(Default)]
struct ServerTable {
    window_size: Option<WindowSize>,
    network_timeout: Option<u64>,
    update_environment: Vec<String>,
    port: Option<PortChoice>,
}

impl Table for ServerTable {
    fn set(&mut self, key: &str, value: Value<'_>) -> Result<(), Refusal> {
        match key {
            "window-size" => self.window_size = Some(value.choice()?),
            "network-timeout" => self.network_timeout = Some(value.count()?),
            "update-environment" => self.update_environment = variable_names(value)?,
            "port" => self.port = Some(port_choice(value)?),
            _ => return Err(Refusal::UnknownKey),
        }
        Ok(())
    }
}

/// `60001` (a number or a string) or `"60000:61000"`, as `-p` takes them.
fn port_choice(value: Value<'_>) -> Result<PortChoice, Refusal> {
    let wanted = "a port (60001) or a range of ports for one each (\"60000:61000\")";
    let text = match value {
        Value::String(text) => text.to_owned(),
        Value::Integer(number) => number.to_string(),
        _ => return Err(expected(wanted)),
    };
    crate::cli::parse_ports(&text).map_err(|_| expected(wanted))
}

/// Names separated by spaces, as tmux's `set -g update-environment "A B"` takes them.
fn variable_names(value: Value<'_>) -> Result<Vec<String>, Refusal> {
    let wanted = "variable names separated by spaces";
    let Value::String(text) = value else {
        return Err(expected(wanted));
    };
    let names: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    if names
        .iter()
        .all(|name| crate::environment::is_variable_name(name))
    {
        Ok(names)
    } else {
        Err(expected(wanted))
    }
}

/// `[options]`: tmux's options, each as `set -g NAME VALUE` would set it (`true` and
/// `false` for on and off); a name or value `set-option` would refuse is refused here,
/// in its words, and the rest apply.
#[derive(Default)]
struct OptionsTable(Vec<(String, String)>);

impl Table for OptionsTable {
    fn set(&mut self, key: &str, value: Value<'_>) -> Result<(), Refusal> {
        let text = match value {
            Value::String(text) => text.to_owned(),
            Value::Integer(number) => number.to_string(),
            Value::Boolean(on) => if on { "on" } else { "off" }.to_owned(),
            Value::Other => return Err(expected("a string, a number, true or false")),
        };
        let option = OptionKey::parse(key).ok_or(Refusal::UnknownKey)?;
        let default = match &option {
            OptionKey::Known(name) => name.default_value(),
            OptionKey::User(_) => OptionValue::Text(String::new()),
        };
        OptionValue::parse(&option, Some(&text), &default)
            .map_err(|error| Refusal::Refused(error.to_string()))?;
        self.0.push((key.to_owned(), text));
        Ok(())
    }
}

/// `[history]`: retention, oldest lines first. A limit is left out for none, so 0 (which
/// would keep nothing) is refused.
#[derive(Default)]
struct HistoryTable(HistoryLimits);

impl Table for HistoryTable {
    fn set(&mut self, key: &str, value: Value<'_>) -> Result<(), Refusal> {
        let limit = match key {
            "max-lines-per-pane" => &mut self.0.history_lines,
            "max-bytes-per-pane" => &mut self.0.history_bytes,
            "max-total-bytes" => &mut self.0.history_total_bytes,
            _ => return Err(Refusal::UnknownKey),
        };
        match value.count()? {
            0 => Err(expected(
                "a number, 1 or more (leave the key out for no limit)",
            )),
            n => {
                *limit = Some(n);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn read_text(text: &str) -> (ServerConfig, Vec<String>) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("writing the file");
        ServerConfig::read(&path)
    }

    fn new_command(args: &[&str]) -> Command {
        let args = ["moshmux-server", "new"].iter().chain(args);
        Cli::try_parse_from(args).expect("new parses").command
    }

    #[test]
    fn every_key_is_read_and_the_client_table_is_skipped() {
        let (config, problems) = read_text(
            "[client]\nprefix = \"C-a\"\n[server]\nwindow-size = \"smallest\"\n\
             network-timeout = 30\nupdate-environment = \"EDITOR  PAGER\"\nport = 60005\n\
             [history]\nmax-lines-per-pane = 1000\n\
             max-bytes-per-pane = 2000\nmax-total-bytes = 3000\n\
             [options]\nmouse = true\nstatus-left-length = 20\n\"@x\" = \"y z\"\n",
        );
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(
            config,
            ServerConfig {
                window_size: Some(WindowSize::Smallest),
                network_timeout: Some(30),
                update_environment: vec!["EDITOR".to_owned(), "PAGER".to_owned()],
                port: Some(PortChoice::Shared {
                    first: 60005,
                    last: 60005
                }),
                history: HistoryLimits {
                    history_lines: Some(1000),
                    history_bytes: Some(2000),
                    history_total_bytes: Some(3000),
                },
                options: [("@x", "y z"), ("mouse", "on"), ("status-left-length", "20")]
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .to_vec(),
            }
        );
    }

    /// The config file's port is `-p`'s: a range there is a port per client, and `-p`
    /// on the command line wins.
    #[test]
    fn the_port_key_reads_as_p_does_and_p_wins() {
        let (config, problems) = read_text("[server]\nport = \"60000:61000\"\n");
        assert_eq!(problems, Vec::<String>::new());
        let range = PortChoice::PerClient {
            first: 60000,
            last: 61000,
        };
        assert_eq!(config.port, Some(range));
        let ports = |args: &[&str]| {
            let mut command = new_command(args);
            config.under_flags(&mut command);
            match command {
                Command::New { ports, .. } => ports,
                _ => panic!("not new"),
            }
        };
        assert_eq!(ports(&[]), Some(range));
        let one = PortChoice::Shared {
            first: 60009,
            last: 60009,
        };
        assert_eq!(ports(&["-p", "60009"]), Some(one));
        let (_, problems) = read_text("[server]\nport = \"high\"\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    /// `new ARGS` under `config`: (window size, network timeout, history limits).
    fn resolved(
        config: &ServerConfig,
        args: &[&str],
    ) -> (Option<WindowSize>, Option<u64>, HistoryLimits) {
        let mut command = new_command(args);
        config.under_flags(&mut command);
        match command {
            Command::New {
                window_size,
                limits,
                network_timeout,
                ..
            } => (window_size, network_timeout, limits),
            _ => panic!("not new"),
        }
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_the_defaults() {
        let (config, _) = read_text(
            "[server]\nwindow-size = \"smallest\"\nnetwork-timeout = 30\n\
             [history]\nmax-lines-per-pane = 1000\n",
        );
        let args = ["--window-size", "latest", "--history-lines", "5"];
        let (window_size, network_timeout, limits) = resolved(&config, &args);
        assert_eq!(window_size, Some(WindowSize::Latest));
        assert_eq!(network_timeout, Some(30));
        assert_eq!(limits.history_lines, Some(5));
        let (_, network_timeout, limits) = resolved(&config, &["--network-timeout", "0"]);
        assert_eq!(
            (network_timeout, limits.history_lines),
            (Some(0), Some(1000))
        );
        // Nothing in the file, nothing given: today's defaults.
        let (window_size, network_timeout, limits) = resolved(&ServerConfig::default(), &[]);
        assert_eq!((window_size, network_timeout), (None, None));
        assert_eq!(limits.to_args(), Vec::<String>::new());
    }

    #[test]
    fn bad_keys_keep_their_defaults_and_the_rest_applies() {
        let (config, problems) = read_text(
            "[server]\nwindow-size = \"widest\"\nnetwork-timeout = -1\nport = 0\n\
             update-environment = \"EDITOR BAD-NAME\"\n\
             [history]\nmax-lines-per-pane = 0\nmax-total-bytes = 4096\n",
        );
        let after_line: Vec<&str> = problems
            .iter()
            .map(|line| line.split_once(" line ").map_or("", |(_, rest)| rest))
            .collect();
        assert_eq!(
            after_line,
            [
                "2: server.window-size: expected latest, smallest or largest; using the default",
                "3: server.network-timeout: expected a number, 0 or more; using the default",
                "4: server.port: expected a port (60001) or a range of ports for one each \
                 (\"60000:61000\"); using the default",
                "5: server.update-environment: expected variable names separated by spaces; \
                 using the default",
                "7: history.max-lines-per-pane: expected a number, 1 or more (leave the key \
                 out for no limit); using the default",
            ]
        );
        assert!(problems[0].starts_with("moshmux-server: /"));
        assert_eq!(config.history.history_total_bytes, Some(4096));
        assert_eq!(config.history.history_lines, None);
        assert_eq!(config.window_size, None);
        assert!(config.update_environment.is_empty());
    }
}

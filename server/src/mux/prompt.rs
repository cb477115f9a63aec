//! The command prompt (prefix `:` in the client): a command line in the language of the
//! server's own command line, run for the client that typed it.
//!
//! One language, one parser: the line is split as a shell would and parsed by the same
//! clap definition as `moshmux-server`'s arguments, into the same [`Request`] the
//! control socket carries, and run by the same code. What differs is where the answer
//! goes: the output (up to the reply's bounds) or the error goes back in the client's
//! state as its `reply`, shown on its status line, or over its panes when it has several
//! lines. Each line typed, and each one-line answer, goes into the message log
//! (`show-messages`). A command without `-t`
//! acts on the client's own session, which typing the line made the session used last.

use std::time::Instant;

use clap::Parser;

use super::{Answer, ClientId, Mux};
use crate::cli::{usage_error, Buffers, Cli, Command};
use crate::control::{Reply, Request};
use crate::mux::Host;

/// The program name clap expects before the words typed.
const PROGRAM: &str = "moshmux-server";

impl Mux {
    /// Runs `line`, typed at client `id`'s command prompt, and puts the answer in the
    /// client's reply.
    pub(super) fn run_command_line(
        &mut self,
        id: ClientId,
        line: &str,
        now: Instant,
        host: &mut dyn Host,
    ) {
        let who = self.client_name(id);
        self.log_message(now, &who, "command", line);
        let (text, error) = match self.command_line_answer(line, now, host) {
            Ok(text) => (text, false),
            Err(text) => (text, true),
        };
        if error || !text.is_empty() {
            self.reply_to(id, &text, error, now);
        }
    }

    /// What the client is told of its command: a failed key command's error, or a
    /// prompt's answer. Shown on its status line (then logged, as tmux logs a status
    /// line's messages) or, several lines, over its panes; it publishes at once.
    pub(super) fn reply_to(&mut self, id: ClientId, text: &str, error: bool, now: Instant) {
        if text.lines().count() == 1 {
            let who = self.client_name(id);
            self.log_message(now, &who, "message", text.trim_end());
        }
        if let Some(client) = self.clients.get_mut(&id) {
            client.set_reply(text, error);
            self.dirty.everything = true;
        }
    }

    /// The client as `list-clients` names it: where its datagrams come from.
    fn client_name(&self, id: ClientId) -> String {
        self.clients
            .get(&id)
            .and_then(|client| client.remote_addr())
            .map_or_else(|| format!("client-{}", id.0), |addr| addr.to_string())
    }

    fn command_line_answer(
        &mut self,
        line: &str,
        now: Instant,
        host: &mut dyn Host,
    ) -> Result<String, String> {
        let words = shell_words::split(line).map_err(|error| format!("{line}: {error}"))?;
        if words.is_empty() {
            return Ok(String::new());
        }
        let args: Vec<String> = std::iter::once(PROGRAM.to_owned()).chain(words).collect();
        let cli = Cli::try_parse_from(&args).map_err(|error| match error.kind() {
            // `--help` and `--version` render as "errors"; they are the answer, which the
            // client shows over the panes when it is longer than a line.
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                error.render().to_string()
            }
            _ => usage_error(&error, &args),
        })?;
        let name = &args[1];
        let request = match cli.command {
            // These start processes or sessions with the caller's directory and
            // environment, or read and write the caller's files, which a prompt in the
            // daemon does not have.
            Command::New { .. }
            | Command::NewSession { .. }
            | Command::Daemon { .. }
            | Command::Buffers(Buffers::LoadBuffer { .. } | Buffers::SaveBuffer { .. }) => {
                return Err(format!(
                    "{name}: run it from a shell, not the command prompt"
                ));
            }
            command => command.into_request(),
        };
        let Some(request) = request else {
            return Err(format!("{name}: not a command for the prompt"));
        };
        if matches!(request, Request::NewClient(_)) {
            return Err(format!(
                "{name}: run it from a shell, not the command prompt"
            ));
        }
        let wall = self.wall_clock(now);
        match self.request(now, wall, request, host) {
            Answer::Reply(Reply::Ok(text)) => Ok(text),
            Answer::Reply(Reply::Error(text)) => Err(text),
            Answer::Reply(Reply::ShuttingDown(())) => Ok("the server is shutting down".into()),
            Answer::Reply(Reply::Connect(_) | Reply::Output(_)) => Ok(String::new()),
            // Output of any length (capture-pane, search-history) is printed by the
            // control socket as it reads the store; the status line has no room for it.
            Answer::Stream(_) => Err(format!(
                "{name}: its output is for a shell: run `moshmux-server {name} ...` in a pane"
            )),
        }
    }
}

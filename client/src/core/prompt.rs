//! A line typed at the command prompt (prefix `:`). `forward` is the client's own, since
//! the client holds the forwards (ssh's `~C` command line does the same), and so is
//! `list-keys`, since the keys are bound here, `display-panes`, drawn from the state
//! the client has, `choose-tree`, a view of the client's over a tree the server
//! sends while it is open, `choose-buffer` and `choose-client`, a view of the client's
//! over the server's answer to a listing, `detach-client` alone (this client), and `show-prompt-history` and `clear-prompt-history`, since
//! the prompt's history is the client's; any other line
//! is in the language of the server's command line and runs there for this client's
//! session (`MuxCommand::CommandLine`), its answer coming back in the state
//! (`message.rs`).

use std::time::Instant;

use moshmux_forward::spec::parse_listen_place;
use moshmux_forward::ForwardSpec;
use moshmux_proto::screen::ClientRequest;
use moshmux_proto::{Label, MuxCommand};

use super::{ClientAction, ClientCore};
use crate::bindings::Action;
use crate::choose_tree::{ChooseTree, Start};
use crate::clock::Clock;
use crate::list_chooser::ListKind;

const FORWARD_USAGE: &str = "forward -L|-R [bind:]port:host:hostport, forward -KL|-KR \
[bind:]port, or forward alone to list them";

impl ClientCore {
    pub(super) fn command_line(&mut self, line: &str, now: Instant) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(kind) = ListKind::of_words(&words) {
            return match kind {
                Ok(kind) => self.ask_list(kind, now),
                Err(usage) => self.show_message(usage, now),
            };
        }
        match words.split_first() {
            // The server's detach-client names a client; alone it is this one, as prefix d.
            Some((&"detach-client", [])) => self.act(Action::Detach, now),
            Some((&"forward", args)) => {
                let answer = self
                    .forward_command(args, now)
                    .unwrap_or_else(|error| error);
                if !answer.is_empty() {
                    self.show_message(answer, now);
                }
            }
            Some((&"list-keys", args)) => self.list_keys(args, now),
            Some((&"show-prompt-history", [] | ["-T", "command"])) => {
                let lines = self.view.bindings.prompt_history();
                self.view.open_text(lines);
                self.dirty = true;
            }
            Some((&"clear-prompt-history", [] | ["-T", "command"])) => {
                self.view.bindings.clear_prompt_history();
            }
            Some((&"display-panes", [])) => {
                self.view.open_pane_numbers(now);
                self.dirty = true;
            }
            Some((&"clock-mode", [])) => {
                self.view.clock = Some(Clock::open(now, self.wall_clock(now)));
                self.dirty = true;
            }
            Some((&"choose-tree", flags)) => match Start::of_flags(flags) {
                Ok(start) => {
                    self.flush_keys(now);
                    self.view.open_chooser(ChooseTree::open(start));
                    self.dirty = true;
                }
                Err(usage) => self.show_message(usage, now),
            },
            Some((&"find-window", _)) => match find_window_text(line) {
                Ok(text) => {
                    self.flush_keys(now);
                    self.view.open_chooser(ChooseTree::find(&text));
                    self.dirty = true;
                }
                Err(usage) => self.show_message(usage, now),
            },
            _ => self.command(MuxCommand::CommandLine(Label::new(line)), now),
        }
    }

    /// tmux's `list-keys [-T TABLE]`: the client's own, since the keys are bound here
    /// (each client of a session may have its own config file), shown over the pane area
    /// as tmux's view mode shows them: more lines than the status line holds.
    fn list_keys(&mut self, args: &[&str], now: Instant) {
        let table = match args {
            [] => Ok(None),
            ["-T", table] => Ok(Some(*table)),
            _ => Err("usage: list-keys [-T prefix]".to_owned()),
        };
        match table.and_then(|table| self.view.bindings.table().list(table)) {
            Ok(lines) => {
                self.view.open_text(lines);
                self.dirty = true;
            }
            Err(error) => self.show_message(error, now),
        }
    }

    /// Runs what the server's command line asked of this client (`moshmux-server
    /// forward`), each request once, in order. Only a `-L` on loopback and removing a
    /// forward: a `-R` would have this machine connect where the server says, which only
    /// the user here may ask for.
    pub(super) fn take_requests(&mut self, requests: &[ClientRequest], now: Instant) {
        let seen = self
            .request_serial
            .and_then(|serial| requests.iter().position(|r| r.serial == serial));
        let new = seen.map_or(0, |at| at + 1);
        for request in &requests[new..] {
            self.request_serial = Some(request.serial);
            let line = request.line.as_str();
            let words: Vec<&str> = line.split_whitespace().collect();
            let allowed = match words.as_slice() {
                ["forward", "-L", spec] => spec
                    .parse::<ForwardSpec>()
                    .is_ok_and(|forward| forward.bind.is_loopback()),
                ["forward", "-KL" | "-KR", _] => true,
                _ => false,
            };
            let answer = match allowed {
                true => self.forward_command(&words[1..], now),
                false => Err(format!("refused the server's request: {line}")),
            };
            let answer = answer.unwrap_or_else(|error| error);
            if !answer.is_empty() {
                self.show_message(answer, now);
            }
        }
    }

    /// The `-L` forwards given on the command line, listening before the session began.
    pub fn local_forwards_listening(&mut self, forwards: Vec<ForwardSpec>) {
        self.local_forwards = forwards;
    }

    /// The event loop's answer to [`ClientAction::Listen`].
    pub fn handle_listening(
        &mut self,
        now: Instant,
        forward: ForwardSpec,
        listening: Result<(), String>,
    ) {
        if !self.begin(now) {
            return;
        }
        let message = match listening {
            Ok(()) => {
                let line = format!("forwarding {}", describe('L', &forward));
                self.local_forwards.push(forward);
                line
            }
            Err(error) => error,
        };
        self.show_message(message, now);
        self.end(now);
    }

    fn forward_command(&mut self, args: &[&str], now: Instant) -> Result<String, String> {
        match args {
            [] => Ok(self.list_forwards()),
            ["-L", spec] => {
                let forward: ForwardSpec = spec.parse()?;
                self.actions.push_back(ClientAction::Listen(forward));
                // The loop answers with `handle_listening`, which says how it went.
                Ok(String::new())
            }
            ["-R", spec] => {
                let forward: ForwardSpec = spec.parse()?;
                if self
                    .remote_forwards
                    .iter()
                    .any(|(f, _)| same_place(f, &forward))
                {
                    return Err(format!("-R {spec}: that server port is forwarded already"));
                }
                let line = format!("forwarding {}", describe('R', &forward));
                self.open_remote_forward(now, &forward);
                Ok(line)
            }
            ["-KL", place] => {
                let (bind, port) = parse_listen_place(place)?;
                let at = self
                    .local_forwards
                    .iter()
                    .position(|f| (f.bind, f.port) == (bind, port));
                let forward = at
                    .map(|at| self.local_forwards.remove(at))
                    .ok_or_else(|| format!("no -L forward listens on {bind} port {port}"))?;
                self.actions
                    .push_back(ClientAction::StopListening { bind, port });
                Ok(format!("stopped {}", describe('L', &forward)))
            }
            ["-KR", place] => {
                let (bind, port) = parse_listen_place(place)?;
                let at = self
                    .remote_forwards
                    .iter()
                    .position(|(f, _)| (f.bind, f.port) == (bind, port));
                let (forward, stream) = at
                    .map(|at| self.remote_forwards.remove(at))
                    .ok_or_else(|| format!("no -R forward of server port {port} ({bind})"))?;
                self.forwards.stop(self.connection.streams(), stream);
                self.pump_forwards(now);
                Ok(format!("stopped {}", describe('R', &forward)))
            }
            _ => Err(FORWARD_USAGE.to_owned()),
        }
    }

    fn list_forwards(&self) -> String {
        let local = self.local_forwards.iter().map(|f| describe('L', f));
        let remote = self.remote_forwards.iter().map(|(f, _)| describe('R', f));
        let all: Vec<String> = local.chain(remote).collect();
        match all.is_empty() {
            true => "no forwards".to_owned(),
            false => all.join(", "),
        }
    }
}

/// `-L 127.0.0.1:8080:localhost:80`, as the user would give it again.
fn describe(kind: char, forward: &ForwardSpec) -> String {
    format!(
        "-{kind} {}:{}:{}:{}",
        forward.bind, forward.port, forward.host, forward.host_port
    )
}

fn same_place(a: &ForwardSpec, b: &ForwardSpec) -> bool {
    (a.bind, a.port) == (b.bind, b.port)
}

/// find-window's text: `find-window [-Z] TEXT`, the text one word as a shell splits it
/// (the prompt quotes what was typed). Matching is tmux's default: the name, the titles
/// and what the panes show; `-C`, `-N`, `-T`, `-i` and `-r` are not taken.
fn find_window_text(line: &str) -> Result<String, String> {
    const USAGE: &str = "usage: find-window [-Z] TEXT";
    let words = shell_words::split(line).map_err(|_| USAGE.to_owned())?;
    match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["find-window", text] | ["find-window", "-Z", text] if !text.is_empty() => {
            Ok(text.to_owned())
        }
        _ => Err(USAGE.to_owned()),
    }
}

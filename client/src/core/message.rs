//! The message on the status line: what the server answered to the user's newest
//! command (a command-prompt line, or a key's command that failed), or what a forward's
//! far end said. It stays until the user types or its time is up, as tmux's messages
//! stay until a key (but longer: over a slow link the answer may come late).
//!
//! The server's answer is part of its state (`HostState::reply`), not an event, so it
//! survives loss; its serial tells a new answer from one already shown.

use std::time::{Duration, Instant};

use moshmux_proto::screen::CommandReply;

use super::ClientCore;

/// How long a message stays when nothing is typed.
const MESSAGE_FOR: Duration = Duration::from_secs(10);

impl ClientCore {
    pub(super) fn show_message(&mut self, text: String, now: Instant) {
        self.message = Some((text, now + MESSAGE_FOR));
        self.dirty = true;
    }

    /// A typed key ends the message, as in tmux.
    pub(super) fn dismiss_message(&mut self) {
        if self.message.take().is_some() {
            self.dirty = true;
        }
    }

    /// Shows the server's answer in `reply` if it is one not shown yet: one line on the
    /// status line, more over the panes as tmux's view mode shows a command's output.
    pub(super) fn take_reply(&mut self, reply: Option<&CommandReply>, now: Instant) {
        let Some(reply) = reply else {
            return;
        };
        if self.reply_serial == Some(reply.serial) {
            return;
        }
        self.reply_serial = Some(reply.serial);
        if self.open_list(reply) {
            return;
        }
        match reply.lines() {
            [line] => self.show_message(line.to_string(), now),
            [] => self.show_message(String::new(), now),
            lines => {
                let lines = lines.iter().map(|line| line.to_string()).collect();
                self.view.open_text(lines);
                self.dirty = true;
            }
        }
    }

    /// The message still to show, if any.
    pub(super) fn message(&self) -> Option<String> {
        let (text, until) = self.message.as_ref()?;
        (self.now < *until).then(|| text.clone())
    }

    /// When the message goes.
    pub(super) fn message_deadline(&self) -> Option<Instant> {
        self.message.as_ref().map(|(_, until)| *until)
    }
}

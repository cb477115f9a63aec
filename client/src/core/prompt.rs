//! A line typed at the command prompt (prefix `:`). It is in the language of the
//! server's command line and runs there for this client's session
//! (`MuxCommand::CommandLine`); the answer comes back in the state (`message.rs`).

use std::time::Instant;

use moshmux_proto::{Label, MuxCommand};

use super::ClientCore;

impl ClientCore {
    pub(super) fn command_line(&mut self, line: &str, now: Instant) {
        self.command(MuxCommand::CommandLine(Label::new(line)), now);
    }
}

//! What the chooser's keys do once it has decided (`choose_tree.rs`): a window or pane
//! of this client's session is selected; one of another session is named on the status
//! line with the command that attaches to it, since a client shows one session (tmux's
//! `switch-client` is not planned: a client's endpoint, key and size belong to its
//! session); `x` then `y` kills the item by the server's command line.

use std::time::Instant;

use moshmux_proto::{Label, MuxCommand};

use super::ClientCore;
use crate::choose_tree::{ChooseTree, Item, Outcome};

impl ClientCore {
    pub(super) fn chooser_outcome(&mut self, outcome: Outcome, now: Instant) {
        match outcome {
            Outcome::Stay | Outcome::Leave => {}
            Outcome::Chose(item) if ChooseTree::session_of(&item) != &self.view.host.session => {
                let name = ChooseTree::session_of(&item);
                let line = format!(
                    "session {name} is not this client's: attach to it with \
                     moshmux attach --session {name}"
                );
                self.show_message(line, now);
            }
            Outcome::Chose(Item::Session(_)) => {}
            Outcome::Chose(Item::Window(_, index)) => {
                self.command(MuxCommand::SelectWindow(index), now)
            }
            Outcome::Chose(Item::Pane(_, index, pane)) => {
                self.command(MuxCommand::SelectWindow(index), now);
                self.command(MuxCommand::SelectPaneById(pane), now);
            }
            Outcome::Kill(item) => {
                let line = match item {
                    Item::Session(name) => format!("kill-session -t {}", quoted(&name)),
                    Item::Window(name, index) => {
                        format!(
                            "kill-window -t {}",
                            quoted(&Label::new(&format!("{name}:{index}")))
                        )
                    }
                    Item::Pane(_, _, pane) => format!("kill-pane -t {pane}"),
                };
                self.command(MuxCommand::CommandLine(Label::new(&line)), now);
            }
        }
    }
}

/// A target in single quotes for the server's command line, whatever the session's
/// name holds.
fn quoted(target: &Label) -> String {
    format!("'{}'", target.as_str().replace('\'', "'\\''"))
}

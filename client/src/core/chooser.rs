//! What the chooser's keys do once it has decided (`choose_tree.rs`): a window or pane
//! of this client's session is selected; one of another session is named on the status
//! line with the command that attaches to it, since a client shows one session (tmux's
//! `switch-client` is not planned: a client's endpoint, key and size belong to its
//! session); `x` then `y` kills the item by the server's command line.

use std::time::Instant;

use moshmux_proto::screen::CommandReply;
use moshmux_proto::{Label, MuxCommand};

use super::ClientCore;
use crate::bindings::single_quoted;
use crate::choose_tree::{ChooseTree, Item, Outcome};
use crate::list_chooser::{ListChooser, ListKind, ListOutcome};

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

    /// `choose-buffer` or `choose-client`: asks the server for the list; the chooser
    /// opens when the answer comes (`open_list`), or never, if it lists nothing (tmux
    /// then shows nothing either) or the link never brings it.
    pub(super) fn ask_list(&mut self, kind: ListKind, now: Instant) {
        self.awaiting_list = Some(kind);
        let listing = kind.listing();
        self.command(MuxCommand::CommandLine(Label::new(&listing)), now);
    }

    /// Opens the list chooser if `reply` is the list asked for: true when it did. An
    /// answer of another command that came first leaves the question open.
    pub(super) fn open_list(&mut self, reply: &CommandReply) -> bool {
        let list = (self.awaiting_list)
            .filter(|_| !reply.error)
            .and_then(|kind| ListChooser::of_reply(kind, reply.lines()));
        let Some(list) = list else {
            return false;
        };
        self.awaiting_list = None;
        self.view.list = Some(list);
        self.dirty = true;
        true
    }

    /// What a key of the list chooser decided: its command line, for the server.
    pub(super) fn list_outcome(&mut self, outcome: ListOutcome, now: Instant) {
        if let ListOutcome::Chose(line) | ListOutcome::Removed(line) = outcome {
            self.command(MuxCommand::CommandLine(Label::new(&line)), now);
        }
    }
}

/// A target in single quotes for the server's command line, whatever the session's
/// name holds.
fn quoted(target: &Label) -> String {
    single_quoted(target.as_str())
}

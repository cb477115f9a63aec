//! The commands that move panes and windows (tmux's break-pane, join-pane, swap-window
//! and move-window), flattened into [`super::Command`]: same command line, own file.

use super::parse_length;
use crate::control::{self, Request};
use crate::target::Target;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Rearrange {
    /// Take a pane out of its window into a new window of its own (at the lowest free
    /// index, or where -t says, in this or another session), which becomes current.
    #[command(visible_alias = "breakp")]
    BreakPane {
        /// Leave the current window current.
        #[arg(short = 'd')]
        detached: bool,
        /// The new window's name (default: named after its command).
        #[arg(short = 'n', value_name = "NAME")]
        name: Option<String>,
        /// The pane to take out (default: the active pane of the session used last).
        #[arg(short = 's', value_name = "SOURCE", value_parser = Target::parse)]
        source: Option<Target>,
        /// Where the new window goes: SESSION:INDEX, or SESSION (its lowest free index;
        /// default: the pane's own session). A window's only pane moves with its window.
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// At the index after the target window (or the target session's current one),
        /// moving the windows from there up to the next free index one index up.
        #[arg(short = 'a', conflicts_with = "before")]
        after: bool,
        /// At the target window's index, moving it and the windows after it up.
        #[arg(short = 'b')]
        before: bool,
    },
    /// Move a pane into another window (of any session), splitting the target pane for it
    /// as split-window does; a window left with no pane closes.
    #[command(
        disable_help_flag = true,
        visible_alias = "joinp",
        alias = "move-pane",
        alias = "movep"
    )]
    JoinPane {
        /// Beside the target pane.
        #[arg(short = 'h', conflicts_with = "below")]
        beside: bool,
        /// Below the target pane (the default).
        #[arg(short = 'v')]
        below: bool,
        /// Leave the active pane and window as they are.
        #[arg(short = 'd')]
        detached: bool,
        /// Put the moved pane left of or above the target instead.
        #[arg(short = 'b')]
        before: bool,
        /// Split the target's whole window for it.
        #[arg(short = 'f')]
        full: bool,
        /// The moved pane's width or height: cells, or N% of the target pane's.
        #[arg(short = 'l', value_name = "SIZE", value_parser = parse_length)]
        size: Option<control::Length>,
        /// The pane to move (there is no marked pane to default to).
        #[arg(short = 's', value_name = "SOURCE", value_parser = Target::parse)]
        source: Target,
        /// The pane to split for it (default: the active pane of the session used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
    },
    /// Swap two windows, of one session or of two: each takes the other's place; the
    /// current index stays current, as in tmux.
    #[command(visible_alias = "swapw")]
    SwapWindow {
        /// Accepted, as tmux's; the current index stays current either way.
        #[arg(short = 'd')]
        detached: bool,
        /// One window (default: the current window of the target's session).
        #[arg(short = 's', value_name = "SOURCE", value_parser = Target::parse)]
        source: Option<Target>,
        /// The other window.
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Target,
    },
    /// Move a window to a free index of its session or another (SESSION:INDEX; SESSION
    /// alone: the lowest free one), or with -r number a session's windows 0, 1, ... in
    /// order.
    #[command(visible_alias = "movew")]
    MoveWindow {
        /// Leave the current window current.
        #[arg(short = 'd')]
        detached: bool,
        /// Kill a window already at the target index.
        #[arg(short = 'k')]
        kill: bool,
        /// Renumber the windows of the target session instead.
        #[arg(short = 'r', conflicts_with = "source")]
        renumber: bool,
        /// The window to move (default: the current window of the session used last).
        #[arg(short = 's', value_name = "SOURCE", value_parser = Target::parse)]
        source: Option<Target>,
        /// Where to: SESSION:INDEX, or SESSION.
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
    },
}

impl Rearrange {
    /// The request this command sends.
    pub fn into_request(self) -> Request {
        match self {
            Rearrange::BreakPane {
                detached,
                name,
                source,
                target,
                after,
                before,
            } => Request::BreakPane(control::BreakPane {
                source,
                target,
                placement: control::Placement::from_flags(after, before),
                name,
                detached,
            }),
            Rearrange::JoinPane {
                beside,
                detached,
                before,
                full,
                size,
                source,
                target,
                ..
            } => Request::JoinPane(control::JoinPane {
                source,
                target,
                side_by_side: beside,
                size,
                placement: control::SplitPlacement { before, full },
                detached,
            }),
            Rearrange::SwapWindow { source, target, .. } => {
                Request::SwapWindow(control::SwapWindow { source, target })
            }
            Rearrange::MoveWindow {
                detached,
                kill,
                renumber,
                source,
                target,
            } => Request::MoveWindow(control::MoveWindow {
                source,
                target,
                detached,
                kill,
                renumber,
            }),
        }
    }
}

//! The paste-buffer commands (tmux's set-buffer, show-buffer, list-buffers,
//! delete-buffer and paste-buffer), flattened into [`super::Command`].

use crate::control::{self, Request};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Buffers {
    /// Put text in a paste buffer: a new one (buffer0, buffer1, ...) or the one named.
    #[command(visible_alias = "setb")]
    SetBuffer {
        /// Add to the buffer instead of replacing it.
        #[arg(short = 'a')]
        append: bool,
        /// The buffer's name (default: a new buffer, or appending, the newest).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
        /// Rename the buffer to this instead.
        #[arg(short = 'n', value_name = "NEW", conflicts_with = "data")]
        new_name: Option<String>,
        /// The text.
        #[arg(required_unless_present = "new_name")]
        data: Option<String>,
    },
    /// Print a paste buffer (default: the newest).
    #[command(visible_alias = "showb")]
    ShowBuffer {
        /// The buffer (default: the newest).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
    },
    /// List the paste buffers, newest first.
    #[command(visible_alias = "lsb")]
    ListBuffers {
        /// One line per buffer from this format (#{buffer_name}, #{buffer_size},
        /// #{buffer_sample}).
        #[arg(short = 'F', value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Delete a paste buffer (default: the newest).
    #[command(visible_alias = "deleteb")]
    DeleteBuffer {
        /// The buffer (default: the newest).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
    },
    /// Type a paste buffer into a pane (default: the newest buffer, into the active pane
    /// of the session used last); newlines become carriage returns, as Enter types.
    #[command(visible_alias = "pasteb")]
    PasteBuffer {
        /// The buffer (default: the newest).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
        /// Delete the buffer once pasted.
        #[arg(short = 'd')]
        delete: bool,
        /// Wrap it in bracketed-paste markers if the pane's program asked for them.
        #[arg(short = 'p')]
        bracketed: bool,
        /// Keep newlines as they are.
        #[arg(short = 'r', conflicts_with = "separator")]
        raw: bool,
        /// What each newline becomes.
        #[arg(short = 's', value_name = "SEPARATOR")]
        separator: Option<String>,
        /// The pane to paste into (default: the active pane of the session used last).
        #[arg(short = 't', value_name = "TARGET")]
        target: Option<String>,
    },
}

impl Buffers {
    /// The request this command sends.
    pub fn into_request(self) -> Request {
        match self {
            Buffers::SetBuffer {
                append,
                name,
                new_name,
                data,
            } => Request::SetBuffer(control::SetBuffer {
                name,
                new_name,
                data,
                append,
            }),
            Buffers::ShowBuffer { name } => Request::ShowBuffer(control::MaybeTarget(name)),
            Buffers::ListBuffers { format } => Request::ListBuffers(control::MaybeTarget(format)),
            Buffers::DeleteBuffer { name } => Request::DeleteBuffer(control::MaybeTarget(name)),
            Buffers::PasteBuffer {
                name,
                delete,
                bracketed,
                raw,
                separator,
                target,
            } => Request::PasteBuffer(control::PasteBuffer {
                name,
                target,
                delete,
                bracketed,
                separator: match raw {
                    true => Some("\n".to_owned()),
                    false => separator,
                },
            }),
        }
    }
}

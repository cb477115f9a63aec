//! The requests for paste buffers (`cli/buffers.rs` makes them, `mux/buffers.rs` runs
//! them).

use crate::target::Target;
use serde::{Deserialize, Serialize};

/// tmux's set-buffer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetBuffer {
    /// `-b`; `None`: a new automatic buffer (or, appending, the newest).
    pub name: Option<String>,
    /// `-n`: rename the buffer instead.
    pub new_name: Option<String>,
    pub data: Option<String>,
    pub append: bool,
}

/// tmux's paste-buffer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PasteBuffer {
    /// `None`: the newest buffer.
    pub name: Option<String>,
    /// `None`: the active pane of the session used last.
    pub target: Option<Target>,
    /// Delete the buffer once pasted.
    pub delete: bool,
    /// In bracketed-paste markers if the pane's program asked for them.
    pub bracketed: bool,
    /// What each newline becomes (tmux: a carriage return, as Enter types; `-r`: kept).
    pub separator: Option<String>,
}

/// show-buffer's and delete-buffer's `-b`: a buffer's name, which is no target (buffers
/// belong to the daemon, not to a session); `None`: the newest buffer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BufferName(pub Option<String>);

/// list-buffers' `-F`: one line per buffer from this format; `None`: tmux's line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BufferFormat(pub Option<String>);

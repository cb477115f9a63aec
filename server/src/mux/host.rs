//! What the mux and the loop that drives it say to each other beyond `handle_*`: the two
//! effects the mux needs answered at once ([`Host`]), what it wants done that nothing
//! waits for ([`Action`]), and its answer to a request ([`Answer`]).

use super::{ClientId, ListenerId};
use crate::control::Reply;
use crate::output_stream::OutputPlan;
use crate::pane::{PaneSpawn, SpawnedPane};
use crate::pane_id::{PaneId, Size};
use moshmux_forward::SocketAction;
use moshmux_proto::{SessionKey, StreamId};
use std::net::IpAddr;

/// What the mux asks of its host and needs answered at once.
pub trait Host {
    /// Starts a pane's program on a terminal of `spec.size`; its output and exit come back
    /// through [`Mux::handle_pane_output`] and [`Mux::handle_pane_exited`]. For a pane
    /// that runs a program already (respawn-pane), the new one replaces it: the old one is
    /// hung up, and neither its exit nor any more of its output is reported; if the new
    /// one cannot start, the old one runs on.
    fn spawn_pane(&mut self, pane: PaneId, spec: &PaneSpawn) -> anyhow::Result<SpawnedPane>;
    /// Opens UDP listener `listener` on the first free port of `ports` (first, last) on
    /// `bind`, and returns the port; its datagrams come back through
    /// [`Mux::handle_datagram`].
    fn open_listener(
        &mut self,
        listener: ListenerId,
        bind: IpAddr,
        ports: (u16, u16),
    ) -> Result<u16, String>;
    /// A new client's session key, from the OS's random source.
    fn session_key(&mut self) -> Result<SessionKey, String>;
    /// The name of the process in the pane's terminal foreground (`vim` under the shell),
    /// if the host can tell.
    fn foreground_command(&self, pane: PaneId) -> Option<String>;
    /// The working directory of the process in the pane's terminal foreground (tmux's
    /// `pane_current_path`), if the host can tell.
    fn current_path(&self, _pane: PaneId) -> Option<std::path::PathBuf> {
        None
    }
    /// Bytes of input the pane's program takes now without any being dropped (what it
    /// has not read yet counts against a limit); a command that would send more is
    /// refused instead. A host without such a limit keeps the default.
    fn input_room(&self, _pane: PaneId) -> usize {
        usize::MAX
    }
}

/// What the mux wants done that nothing waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Bytes for a pane's program, as if typed (input, and answers to terminal queries).
    WritePane {
        pane: PaneId,
        bytes: Vec<u8>,
    },
    ResizePane {
        pane: PaneId,
        size: Size,
    },
    /// Hang up the pane's programs and forget its terminal: no exit is expected from it.
    ClosePane {
        pane: PaneId,
    },
    /// Close a UDP listener: a client's own port, once it is gone, or every port at the
    /// shutdown.
    CloseListener {
        listener: ListenerId,
    },
    /// Do this with the socket of a client's forwarded connection (`-L`).
    Socket {
        client: ClientId,
        stream: StreamId,
        action: SocketAction,
    },
    /// The client went: drop every socket of its forwards.
    AbortSockets {
        client: ClientId,
    },
    /// Hand the memory the allocator holds free back to the system: panes just released
    /// their models' reserves, freed in the middle of the heap where the allocator
    /// would otherwise keep it.
    ReturnFreedMemory,
    /// Listen on the agent socket at `path`, filing its connections under
    /// [`AGENT_LISTENER`](super::AGENT_LISTENER) (once, at the first `new --forward-agent`).
    ServeAgent {
        path: std::path::PathBuf,
    },
}

/// What the mux answers a request with.
pub enum Answer {
    Reply(Reply),
    /// Output of any length, which the control connection prints piece by piece, reading
    /// the store off the mux's loop.
    Stream(OutputPlan),
}

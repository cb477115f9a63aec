//! The control protocol between `moshmux-server` commands and the daemon, over the Unix
//! socket: one request, one reply, then the connection closes.
//!
//! A frame is a 4-byte big-endian length and an [`Envelope`] encoded with
//! `moshmux_proto::codec`. The envelope never changes shape: a protocol version, a string
//! tag naming the message, and the message body encoded on its own. Tags, not enum order,
//! name messages, so adding or reordering variants never makes an old peer misread one,
//! and a version mismatch is reported in words instead of as garbage.

mod buffers;
mod environment;
mod options;
mod rearrange;
mod respawn;

pub use crate::environment::Environment;
pub use crate::layout::Length;
pub use crate::session::WindowSize;
pub use crate::target::{SessionRef, Target, WindowRef};
pub use buffers::{BufferFormat, BufferName, PasteBuffer, SetBuffer};
pub use environment::{SetEnvironment, ShowEnvironment};
use moshmux_proto::codec::{self, CodecError};
use moshmux_proto::layouts::{LayoutChoice, Step};
pub use options::{SetOption, ShowOptions};
pub use rearrange::{BreakPane, JoinPane, MoveWindow, SplitPlacement, SwapWindow};
pub use respawn::Respawn;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::net::IpAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Bumped whenever a body's fields change; both sides refuse a different version.
pub const PROTOCOL_VERSION: u32 = 15;

/// Largest frame either side accepts. Long output (a capture of any length) comes as many
/// `Output` frames of [`OUTPUT_PIECE_BYTES`], so no frame needs to be large; a request's
/// largest part is the text of `send-keys`, refused by the mux past its own limit.
const MAX_FRAME_LEN: usize = 8 << 20;

/// About how much text one `Output` frame carries.
pub const OUTPUT_PIECE_BYTES: usize = 256 << 10;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("control socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed control message: {0}")]
    Codec(#[from] CodecError),
    #[error("control frame of {0} bytes is larger than the limit of {MAX_FRAME_LEN} bytes")]
    TooLarge(usize),
    #[error("control frame announced {announced} bytes but ended after {received}")]
    Truncated { announced: usize, received: usize },
    #[error("peer speaks control protocol {0}, we speak {PROTOCOL_VERSION}")]
    Version(u32),
    #[error("unknown control message {0:?}")]
    UnknownTag(String),
}

/// The one wire shape that never changes.
#[derive(Serialize, Deserialize)]
struct Envelope {
    version: u32,
    tag: String,
    body: Vec<u8>,
}

/// Defines a message enum whose variants travel as `(tag, body)` pairs.
macro_rules! tagged_messages {
    ($(#[$meta:meta])* $name:ident {
        $($(#[$variant_meta:meta])* $variant:ident($body:ty) = $tag:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub enum $name { $($(#[$variant_meta])* $variant($body),)* }

        impl $name {
            fn to_envelope(&self) -> Envelope {
                let (tag, body) = match self {
                    $($name::$variant(body) => ($tag, codec::encode(body)),)*
                };
                Envelope { version: PROTOCOL_VERSION, tag: tag.to_string(), body }
            }

            fn from_envelope(envelope: Envelope) -> Result<Self, ControlError> {
                if envelope.version != PROTOCOL_VERSION {
                    return Err(ControlError::Version(envelope.version));
                }
                match envelope.tag.as_str() {
                    $($tag => Ok($name::$variant(codec::decode(&envelope.body)?)),)*
                    _ => Err(ControlError::UnknownTag(envelope.tag)),
                }
            }
        }
    };
}

tagged_messages! {
    /// What a command asks the daemon to do. Targets come parsed (`crate::target`), so a
    /// malformed one never reaches the daemon; the daemon resolves them, since it alone
    /// knows what exists. An absent target means the session used last, as tmux picks
    /// outside a session.
    Request {
        /// Create or join a session and open a UDP endpoint for one client.
        NewClient(NewClient) = "new-client",
        /// Create a session no client is attached to (tmux's `new-session -d`).
        NewSession(NewDetached) = "new-session",
        ListSessions(List) = "list-sessions",
        HasSession(Option<Target>) = "has-session",
        RenameSession(RenameSession) = "rename-session",
        KillSession(Option<Target>) = "kill-session",
        KillServer(()) = "kill-server",
        NewWindow(NewWindow) = "new-window",
        KillWindow(Option<Target>) = "kill-window",
        ListWindows(List) = "list-windows",
        SplitWindow(SplitWindow) = "split-window",
        SelectPane(Option<Target>) = "select-pane",
        KillPane(Option<Target>) = "kill-pane",
        /// `kill-pane -a`: every pane of the target's window but the target.
        KillOtherPanes(Option<Target>) = "kill-other-panes",
        /// `kill-window -a`: every window of the target's session but the target's.
        KillOtherWindows(Option<Target>) = "kill-other-windows",
        /// `kill-session -a`: every session but the target.
        KillOtherSessions(Option<Target>) = "kill-other-sessions",
        SelectWindow(SelectWindow) = "select-window",
        LastPane(Option<Target>) = "last-pane",
        ResizePane(ResizePane) = "resize-pane",
        /// select-layout, next-layout and previous-layout.
        SelectLayout(SelectLayout) = "select-layout",
        SwapPane(SwapPane) = "swap-pane",
        RotateWindow(RotateWindow) = "rotate-window",
        RenameWindow(RenameWindow) = "rename-window",
        ResizeWindow(ResizeWindow) = "resize-window",
        ListPanes(List) = "list-panes",
        /// `list-clients`: the target is a session; the scope is not used.
        ListClients(List) = "list-clients",
        DetachClient(DetachClient) = "detach-client",
        DisplayMessage(DisplayMessage) = "display-message",
        SendKeys(SendKeys) = "send-keys",
        CapturePane(CapturePane) = "capture-pane",
        /// `ls -a`: sessions, then ended panes that still have history.
        ListAll(()) = "list-sessions-all",
        SearchHistory(SearchHistory) = "search-history",
        Forward(Forward) = "forward",
        BreakPane(BreakPane) = "break-pane",
        JoinPane(JoinPane) = "join-pane",
        SwapWindow(SwapWindow) = "swap-window",
        MoveWindow(MoveWindow) = "move-window",
        SetBuffer(SetBuffer) = "set-buffer",
        ShowBuffer(BufferName) = "show-buffer",
        ListBuffers(BufferFormat) = "list-buffers",
        DeleteBuffer(BufferName) = "delete-buffer",
        PasteBuffer(PasteBuffer) = "paste-buffer",
        RespawnPane(Respawn) = "respawn-pane",
        RespawnWindow(Respawn) = "respawn-window",
        SetEnvironment(SetEnvironment) = "set-environment",
        ShowEnvironment(ShowEnvironment) = "show-environment",
        SetOption(SetOption) = "set-option",
        ShowOptions(ShowOptions) = "show-options",
        ShowMessages(()) = "show-messages",
    }
}

tagged_messages! {
    /// The daemon's answer: text for stdout, or a one-line error for stderr (exit 1).
    Reply {
        Ok(String) = "ok",
        /// Part of stdout; more frames follow, the last one `Ok` (the rest) or `Error`.
        Output(String) = "output",
        /// The endpoint `NewClient` opened: `new` prints it as `MOSHMUX CONNECT`.
        Connect(Connect) = "connect",
        Error(String) = "error",
        /// The daemon was ending (its last session had just closed) and did not run the
        /// request; `new` starts a fresh daemon and asks again.
        ShuttingDown(()) = "shutting-down",
    }
}

/// `detach-client`: the client named as `list-clients` names it, or every client of a
/// session; each exits as detached, as prefix d leaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetachClient {
    /// `-t`: the client's name (`#{client_name}`).
    pub client: Option<String>,
    /// `-s`: every client of this session.
    pub session: Option<Target>,
    /// `-a`: every client of `client`'s session but `client`.
    pub all_others: bool,
}

/// `ls`, `list-windows`, `list-panes`: which ones, and how each is printed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct List {
    /// The session, window or pane whose items to list (`ls` ignores it).
    pub target: Option<Target>,
    pub scope: ListScope,
    /// `-F`: one line per item from this format; `None`: the default line.
    pub format: Option<String>,
}

/// How far a list reaches beyond its target, as tmux's `-s` and `-a`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListScope {
    /// The target's window (panes) or session (windows).
    #[default]
    Target,
    /// `list-panes -s`: every pane of the target's session.
    Session,
    /// `-a`: every session's.
    All,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisplayMessage {
    pub target: Option<Target>,
    pub format: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenameSession {
    pub target: Option<Target>,
    pub name: String,
}

/// `new-session -d`: a session without a client, at a size of its own until one attaches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewDetached {
    pub session: NewSession,
    /// `-x`, `-y`: columns and rows (default 80x24, as tmux's default-size).
    pub cols: Option<u16>,
    pub rows: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewSession {
    pub name: Option<String>,
    /// Empty: the user's shell.
    pub command: Vec<String>,
    /// The invoking shell's directory, where the session's panes start (None if it is not
    /// valid UTF-8 or unknown: the daemon falls back to `$HOME`).
    pub cwd: Option<String>,
    /// With no name: join the session used last, if there is one, instead of creating.
    pub join_recent: bool,
    /// The window size policy to give the session (created or joined); `None` keeps it.
    pub window_size: Option<WindowSize>,
    /// Variables from `new`'s environment (tmux's update-environment) and `-e`, set in
    /// the session created or joined.
    pub environment: Environment,
    /// The config file's `[options]`, as (name, value) for `set-option -g`: applied by
    /// the request that starts the daemon's first session, as tmux reads its config file
    /// when its server starts.
    pub options: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewClient {
    pub session: NewSession,
    /// The addresses the client's UDP port is open on, all with the same port number
    /// (`::` is every address of both families).
    pub bind: Vec<IpAddr>,
    pub ports: PortChoice,
    /// Drop the endpoint once the client has been silent this long; `None`: never.
    pub network_timeout_secs: Option<u64>,
    /// The client forwards its SSH agent (`attach -A`): the session's panes get
    /// `SSH_AUTH_SOCK` naming the daemon's agent socket.
    pub forward_agent: bool,
    /// `attach -d`: every other client of the session is detached.
    pub detach_others: bool,
}

/// How `new` picks the client's UDP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortChoice {
    /// One port for every client of every session: the daemon's port in `first..=last`
    /// on the address if it has one open, else the first free one there.
    Shared { first: u16, last: u16 },
    /// A port of the client's own, the first free one in `first..=last`, as mosh opens
    /// one per session: for networks that already open mosh's range.
    PerClient { first: u16, last: u16 },
}

impl PortChoice {
    pub fn range(self) -> (u16, u16) {
        match self {
            PortChoice::Shared { first, last } | PortChoice::PerClient { first, last } => {
                (first, last)
            }
        }
    }
}

/// Where the client connects, and with what key. The key travels only over this socket
/// (0600, peer uid checked) and is printed once by `new`; it never reaches argv or a log.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Connect {
    pub port: u16,
    pub key: [u8; 16],
    /// Lines for the user before the session starts (`new` prints them on stderr), such
    /// as what became of an earlier daemon that was killed.
    pub notices: Vec<String>,
}

impl std::fmt::Debug for Connect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewWindow {
    /// `SESSION` or `SESSION:INDEX` (with `-a`/`-b`, the window to go next to; default:
    /// the session used last).
    pub target: Option<Target>,
    pub command: Vec<String>,
    /// `-n`: the window's name (else it is named after its program).
    pub name: Option<String>,
    /// `-d`: the session's current window stays current.
    pub detached: bool,
    /// `-c`: the program's directory, a format (`#{pane_current_path}`) or a path.
    pub cwd: Option<String>,
    /// `-a`, `-b`: at the index after (before) the target window, moving the windows
    /// from there up to the next free index one up.
    pub placement: Option<Placement>,
    /// `-k`: a window at the target's index is destroyed and replaced.
    pub replace: bool,
}

/// new-window's and break-pane's `-a` or `-b`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Placement {
    After,
    Before,
}

impl Placement {
    /// From the `-a` and `-b` flags (clap keeps them apart).
    pub fn from_flags(after: bool, before: bool) -> Option<Placement> {
        match (after, before) {
            (true, _) => Some(Placement::After),
            (_, true) => Some(Placement::Before),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitWindow {
    /// `None`: the session used last.
    pub target: Option<Target>,
    /// Side by side (tmux `-h`) rather than one above the other (`-v`, the default).
    pub side_by_side: bool,
    /// The new pane's length (`-l N`, `-l N%`, `-p N`): cells, or percent of the split
    /// pane's (with `-f`, the window's); `None`: half.
    pub size: Option<Length>,
    /// `-b` (left of or above the target), `-f` (across the whole window).
    pub placement: SplitPlacement,
    /// `-c`: where the new pane starts, a format expanded for the split pane (so
    /// `#{pane_current_path}` works); `None`: the session's directory.
    pub cwd: Option<String>,
    pub command: Vec<String>,
}

/// select-window and its shortcuts: which window of the target's session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelectWindow {
    pub target: Option<Target>,
    pub which: WindowChoice,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WindowChoice {
    /// The target's window.
    Target,
    /// `-n`, next-window: the one after the active window, wrapping around.
    Next,
    /// `-p`, previous-window.
    Previous,
    /// `-l`, last-window: the one active before.
    Last,
    /// next-window `-a`: the next window with an alert (a bell), wrapping around.
    NextAlert,
    /// previous-window `-a`.
    PreviousAlert,
}

/// tmux's resize-pane: zoom, or move the pane's borders, or give it a size.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResizePane {
    pub target: Option<Target>,
    /// `-Z`: zoom or unzoom, and nothing else, as in tmux.
    pub zoom: bool,
    /// `-x`, `-y`: the pane's width and height.
    pub width: Option<Length>,
    pub height: Option<Length>,
    /// `-L`/`-R` (negative: left) and `-U`/`-D` (negative: up): cells to move a border.
    pub across: i32,
    pub down: i32,
}

/// tmux's select-layout, next-layout and previous-layout on the target's window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelectLayout {
    pub target: Option<Target>,
    pub choice: LayoutChoice,
}

/// tmux's swap-pane within one window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SwapPane {
    /// `-t`: the pane that moves to the source's cell (default: the active one).
    pub target: Option<Target>,
    /// `-s`: the pane it swaps with; else `step`'s neighbour of the target.
    pub source: Option<Target>,
    /// `-U` or `-D`: the pane before or after the target.
    pub step: Option<Step>,
    /// `-d`: the active cell stays active.
    pub keep_position: bool,
}

/// tmux's rotate-window: `-U` (the default) or `-D`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RotateWindow {
    pub target: Option<Target>,
    pub step: Step,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenameWindow {
    /// `None`: the session used last.
    pub target: Option<Target>,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResizeWindow {
    /// `None`: the session used last.
    pub target: Option<Target>,
    pub cols: u16,
    pub rows: u16,
}

/// A command line for the client of a session to run (`forward -L ...`, `forward -KL
/// ...`), as if typed at its prompt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Forward {
    /// `None`: the session used last.
    pub target: Option<Target>,
    pub line: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SendKeys {
    /// `None`: the session used last.
    pub target: Option<Target>,
    /// Send every argument as text, never as a key name (tmux `-l`).
    pub literal: bool,
    pub keys: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapturePane {
    pub target: Target,
    /// Keep colours and attributes as SGR sequences (tmux `-e`).
    pub escapes: bool,
    /// First and last line (tmux `-S`, `-E`); `None` means the screen's first or last.
    pub start: Option<LineRef>,
    pub end: Option<LineRef>,
}

/// A line number as `capture-pane -S/-E` takes it: 0 is the screen's first row,
/// negative numbers are history; `-` is the oldest kept line (`-S`) or the screen's last
/// row (`-E`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineRef {
    Oldest,
    Number(i64),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHistory {
    pub target: Target,
    /// Matched as a plain substring, case-sensitively.
    pub pattern: String,
}

fn frame(envelope: &Envelope) -> Vec<u8> {
    let body = codec::encode(envelope);
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

fn check_len(header: [u8; 4]) -> Result<usize, ControlError> {
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME_LEN {
        return Err(ControlError::TooLarge(len));
    }
    Ok(len)
}

/// A peer that closed before sending the body its header announced.
fn check_complete(body: &[u8], len: usize) -> Result<(), ControlError> {
    if body.len() < len {
        return Err(ControlError::Truncated {
            announced: len,
            received: body.len(),
        });
    }
    Ok(())
}

/// Blocking write, for the command-line side. A request over the limit is refused here,
/// before the daemon would hang up on it halfway.
pub fn write_request(stream: &mut impl Write, request: &Request) -> Result<(), ControlError> {
    let frame = frame(&request.to_envelope());
    if frame.len() - 4 > MAX_FRAME_LEN {
        return Err(ControlError::TooLarge(frame.len() - 4));
    }
    stream.write_all(&frame)?;
    Ok(stream.flush()?)
}

/// Blocking read, for the command-line side.
pub fn read_reply(stream: &mut impl Read) -> Result<Reply, ControlError> {
    let mut header = [0; 4];
    stream.read_exact(&mut header)?;
    let len = check_len(header)?;
    let mut body = Vec::new();
    stream.take(len as u64).read_to_end(&mut body)?;
    check_complete(&body, len)?;
    Reply::from_envelope(codec::decode(&body)?)
}

/// Async read, for the daemon side.
pub async fn read_request(stream: &mut (impl AsyncRead + Unpin)) -> Result<Request, ControlError> {
    let mut header = [0; 4];
    stream.read_exact(&mut header).await?;
    let len = check_len(header)?;
    // The body grows as its bytes arrive: a peer that claims 64 MiB and sends ten bytes
    // costs ten bytes, not the claim.
    let mut body = Vec::new();
    stream.take(len as u64).read_to_end(&mut body).await?;
    check_complete(&body, len)?;
    Request::from_envelope(codec::decode(&body)?)
}

/// A reply as the bytes of its frame, for a writer that cannot wait (or a test).
pub fn reply_frame(reply: &Reply) -> Vec<u8> {
    frame(&reply.to_envelope())
}

/// Async write, for the daemon side.
pub async fn write_reply(
    stream: &mut (impl AsyncWrite + Unpin),
    reply: &Reply,
) -> Result<(), ControlError> {
    stream.write_all(&frame(&reply.to_envelope())).await?;
    Ok(stream.flush().await?)
}

#[cfg(test)]
mod tests;

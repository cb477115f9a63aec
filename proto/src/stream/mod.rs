//! Reliable byte streams inside the session, beside the two synchronised states: what
//! port and agent forwarding ride on (docs/protocol.md, section 9).
//!
//! SSP suits states, not bulk data: it resends the newest diff whole, and one lost
//! fragment loses an instruction. Streams are QUIC's design in small instead: each
//! datagram carries frames, acknowledgements name datagrams (`recovery`), lost frames go
//! again in new datagrams, a receiver's window bounds what a sender may have in flight
//! per stream and per connection, and a BBR-style pacer (`congestion`) sets the rate
//! without reading random loss as congestion. The connection sends SSP's datagrams
//! first, so a transfer never delays a keystroke or a screen update.
//!
//! Stream ids: the client opens even ones, the server odd ones, each side in rising
//! order. A stream's first `Data` frame opens it at the peer.

mod congestion;
pub(crate) mod frame;
mod recovery;
mod recv;
mod send;
mod set;

pub use set::Streams;

use serde::{Deserialize, Serialize};

/// One stream of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StreamId(pub u64);

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stream {}", self.0)
    }
}

/// What changed for the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEvent {
    /// The peer opened a stream: read its first bytes to learn what it is for.
    Opened(StreamId),
    /// Bytes (or the end) arrived that the application has not read.
    Readable(StreamId),
    /// A write that was cut short may go on: acknowledgements freed room.
    Writable(StreamId),
    /// The peer dropped the stream (or refused it): it is gone.
    Reset(StreamId),
}

/// Bytes a stream's receiver lets its sender have in flight beyond what was read, and
/// what a stream's sender buffers: 2 MiB moves 10 MB/s at a 200 ms round trip.
pub const STREAM_WINDOW: u64 = 2 << 20;
/// The same over all of a connection's streams: the most one client's streams can make
/// the daemon buffer in each direction.
pub const CONNECTION_WINDOW: u64 = 8 << 20;
/// Streams open at once per connection; the peer's streams past it are refused.
pub const MAX_STREAMS: usize = 64;

#[cfg(test)]
mod tests;

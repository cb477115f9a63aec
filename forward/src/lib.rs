//! Forwarding: TCP connections carried on the session's byte streams
//! (`moshmux_proto::stream`), so they survive roams and outages with the session.
//!
//! - `spec`: `-L` and `-R` `[bind:]port:host:hostport`, ssh's syntax.
//! - `header`: what a stream is for, said in its first bytes, and the answer.
//! - `pump`: the sans-IO part, the same on both ends: moves bytes between a connection's
//!   streams and the sockets the event loop holds, with flow control both ways.
//! - `sockets`: the event loops' part: TCP connections and listeners on tokio tasks.

pub mod header;
pub mod pump;
pub mod sockets;
pub mod spec;

pub use header::{OpenReply, StreamOpen};
pub use pump::{Pump, SocketAction, SocketEvent};
pub use spec::ForwardSpec;

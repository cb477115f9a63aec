//! The moshmux protocol core: crypto, datagrams, fragments and the State Synchronization
//! Protocol, as pure state machines. Nothing here opens a socket, reads a clock or draws
//! randomness on its own: callers pass `now` in and carry datagrams out, so every rule
//! can be tested without a network or a real clock. The exceptions are `driver`, behind
//! the `tokio` feature, which runs a connection on a real socket and clock, and `alarm`,
//! the event loops' timer.

#[cfg(feature = "tokio")]
pub mod alarm;
pub mod cid;
pub mod codec;
pub mod connection;
pub mod crypto;
#[cfg(feature = "tokio")]
pub mod driver;
pub mod error;
pub mod fragment;
pub mod ids;
pub mod instruction;
pub mod label;
pub mod layouts;
pub mod options;
pub mod packet;
pub mod receiver;
pub mod rtt;
pub mod screen;
pub mod sender;
pub mod sequence;
pub mod state;
pub mod stream;
mod timer;
pub mod user;

pub use cid::{ConnectionId, IdEvent};
pub use connection::{Connection, Stats, Transmit};
pub use crypto::SessionKey;
pub use error::{ConnectionError, DatagramError};
pub use ids::{LineNumber, PaneId};
pub use label::Label;
pub use screen::HostState;
pub use screen::TreeRequest;
pub use state::{DiffError, SyncState};
pub use stream::{StreamEvent, StreamId};
pub use user::{MuxCommand, ScrollRequest, SearchDirection, SearchRequest, UserEvent, UserStream};

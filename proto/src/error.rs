//! What can go wrong: a fatal condition that ends the connection, or one bad datagram.

use crate::instruction::InstructionError;
use crate::state::DiffError;

/// A condition after which the connection cannot go on. It is sticky: once set, every
/// later call reports it again and nothing more is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// The key sealed all the datagrams it safely may ([`crate::sequence::SEQUENCE_LIMIT`]);
    /// sending more would weaken or reuse nonces. A new session (and key) is needed.
    #[error("the session key has sealed its last datagram; start a new session")]
    KeyExhausted,
    /// The peer runs a different protocol version; nothing it sends can be understood.
    #[error(
        "peer speaks protocol version {theirs}, we speak {}",
        crate::instruction::PROTOCOL_VERSION
    )]
    VersionMismatch { theirs: u32 },
    /// The local state changed by more than one instruction can carry; the application
    /// must make smaller steps (several states) instead.
    #[error("an instruction of {0} bytes is larger than the protocol allows")]
    InstructionTooLarge(usize),
}

/// Why one received datagram was dropped. The connection itself carries on, except for
/// [`DatagramError::Closed`].
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DatagramError {
    #[error("datagram failed authentication")]
    Forged,
    #[error("datagram too short or its contents malformed")]
    Malformed,
    #[error("datagram {seq} replayed, or too far behind the newest")]
    Replayed { seq: u64 },
    /// The peer has forgotten states we never received: it is synchronised with another
    /// endpoint that holds our key (a second client started with the key of a first one).
    /// Nothing it sends can ever apply here.
    #[error("the peer is synchronised with another endpoint that has this key")]
    KeyInUse,
    #[error("instruction undecodable: {0}")]
    BadInstruction(InstructionError),
    #[error(transparent)]
    BadDiff(#[from] DiffError),
    #[error("connection failed: {0}")]
    Closed(#[from] ConnectionError),
}

//! The moshmux protocol core: crypto, datagrams, fragments and the State Synchronization
//! Protocol, as pure state machines. Nothing here opens a socket, reads a clock or draws
//! randomness on its own: callers pass `now` in and carry datagrams out, so every rule
//! can be tested without a network or a real clock.

pub mod codec;
pub mod crypto;
pub mod fragment;
pub mod packet;

//! Test tooling for moshmux: a link emulator that makes loopback UDP behave like a bad
//! network, for the transport and end-to-end tests.

pub mod netem;

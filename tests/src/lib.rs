//! Test tooling for moshmux: a link emulator that makes loopback UDP behave like a bad
//! network, and a tmux-driven harness that runs the real binaries and reads their screen.

pub mod harness;
pub mod netem;

//! Test tooling for moshmux: a link emulator that makes loopback UDP behave like a bad
//! network, a tmux-driven harness that runs the real binaries and reads their screen, and
//! a real `sshd` on a loopback port for what runs through SSH.

pub mod harness;
pub mod netem;
pub mod sshd;

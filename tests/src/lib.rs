//! Test tooling for moshmux: a link emulator that makes loopback UDP behave like a bad
//! network, a tmux-driven harness that runs the real binaries and reads their screen, a
//! real `sshd` on a loopback port for what runs through SSH, and a lossy IP link between
//! two network namespaces for comparisons with programs that speak TCP.

pub mod harness;
pub mod iplink;
pub mod netem;
pub mod sshd;

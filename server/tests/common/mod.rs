//! What the server's integration tests share beyond the harness's [`Daemon`] (a real
//! daemon per test in a private directory, shut down and removed however the test ends):
//! waiting, and looking at processes and files.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

pub use moshmux_tests::harness::Daemon;

/// The `moshmux-server` program of this build (the `moshmux` package's binary).
pub fn bin() -> std::path::PathBuf {
    moshmux_tests::harness::workspace_binary("moshmux-server")
}
/// Generous: two cores are shared by many builds and tests.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Whether `text` is exactly the one line `new` prints.
pub fn is_connect_line(text: &str) -> bool {
    let Some(line) = text.strip_suffix('\n') else {
        return false;
    };
    let fields: Vec<&str> = line.split(' ').collect();
    matches!(fields.as_slice(), ["MOSHMUX", "CONNECT", port, key, version]
        if port.parse::<u16>().is_ok()
            && *version == moshmux_proto::instruction::PROTOCOL_VERSION.to_string()
            && key.len() == 22
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/'))
}

/// Whether a pane's `sh` shows its prompt (`$ `, pinned through PS1; capture trims the
/// trailing space).
pub fn has_prompt(screen: &str) -> bool {
    screen.lines().any(|line| line.starts_with('$'))
}

pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn process_alive(pid: u32) -> bool {
    // A zombie still has a /proc entry; count it as gone. But the main thread of a killed
    // process turns zombie before its other threads have exited, and those still hold
    // its files (a listening socket accepts connections, then resets them): it is gone
    // only once it is a zombie with no thread left but the main one.
    let zombie = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => return false,
    };
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |tasks| tasks.count());
    !zombie || threads > 1
}

pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The uid and gid of `nobody` on Debian and most systems.
pub const NOBODY: u32 = 65534;

pub fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The address of the Unix socket at `path`, made before a fork so that the child
/// only makes system calls.
pub fn socket_address(path: &Path) -> libc::sockaddr_un {
    // SAFETY: a zeroed sockaddr_un is a valid value; we fill in the family and path.
    let mut address: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    address.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let path = path.as_os_str().as_encoded_bytes();
    assert!(path.len() < address.sun_path.len(), "socket path too long");
    for (slot, &byte) in address.sun_path.iter_mut().zip(path) {
        *slot = byte as libc::c_char;
    }
    address
}

/// In a child process (after fork): drops every group and becomes `nobody`, or leaves
/// with exit status 9.
///
/// # Safety
/// Only in a forked child: it calls `_exit` on failure.
pub unsafe fn become_nobody() {
    let nobody = NOBODY as libc::uid_t;
    if libc::setgroups(0, std::ptr::null()) != 0
        || libc::setgid(nobody) != 0
        || libc::setuid(nobody) != 0
    {
        libc::_exit(9);
    }
}

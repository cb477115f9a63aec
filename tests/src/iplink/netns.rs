//! A named network namespace made with `ip netns add`, and a way to run code inside it.
//!
//! A thread that calls `setns` moves into the namespace alone: the sockets it opens and
//! the processes it starts belong there, while the rest of the process stays where it
//! was. So a bench keeps one tokio runtime in the root namespace and still listens,
//! connects and starts servers on either side of the link.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::process::Command;

/// Where `ip netns add` mounts a namespace under its name.
const NETNS_DIR: &str = "/run/netns";

/// A network namespace with its loopback up; deleted (`ip netns del`) on drop.
pub struct Netns {
    name: String,
}

impl Netns {
    /// Adds namespace `name` and brings its loopback up.
    pub fn add(name: &str) -> io::Result<Netns> {
        ip(&["netns", "add", name])?;
        // From here on, drop deletes it, also when bringing `lo` up fails.
        let netns = Netns {
            name: name.to_owned(),
        };
        netns.ip(&["link", "set", "lo", "up"])?;
        Ok(netns)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip -n NAME args...` in this namespace.
    pub fn ip(&self, args: &[&str]) -> io::Result<()> {
        let mut all = vec!["-n", &self.name];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// Runs `f` on a fresh thread that has joined this namespace, and returns what it
    /// returns: sockets it opens and processes it starts live here. A panic in `f`
    /// carries on in the caller.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        let namespace = File::open(format!("{NETNS_DIR}/{}", self.name))?;
        std::thread::scope(|scope| {
            let thread = scope.spawn(move || {
                // SAFETY: `namespace` is an open namespace file for the whole call, and
                // CLONE_NEWNET moves only this thread, which ends after `f`.
                let joined = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) };
                if joined != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(f())
            });
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// Runs `ip` (iproute2) with `args`; its stderr becomes the error if it fails.
fn ip(args: &[&str]) -> io::Result<()> {
    let output = Command::new("ip").args(args).output().map_err(|error| {
        io::Error::new(
            error.kind(),
            format!("cannot run ip: {error}; install iproute2"),
        )
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

//! The daemon's file descriptors: as many as the system lets it have, a new pane refused
//! in words before it would run out, and the control socket kept answering (with a
//! refusal) when it has.
//!
//! A pane costs [`FDS_PER_PANE`] descriptors (the PTY master and the child's pidfd). With
//! a user's usual soft limit of 1024 that is about 500 panes, so the daemon also raises
//! its soft limit to the hard limit when it starts, as a server that holds a descriptor
//! per client should. The
//! panes inherit the raised limit (portable-pty gives no hook to lower it for the child),
//! which only matters to programs that size a table by it; the raise is capped at
//! [`MAX_SOFT_LIMIT`] so that none meets a limit of a billion.

use std::fs::File;
use std::io;
use std::time::{Duration, Instant};

/// Descriptors a pane holds in the daemon.
pub const FDS_PER_PANE: u64 = 2;

/// Descriptors kept free after the last pane a limit admits: for control connections,
/// client endpoints and the history store's files.
const HEADROOM: u64 = 16;

/// The highest soft limit the daemon raises itself to.
const MAX_SOFT_LIMIT: u64 = 1 << 20;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (at most [`MAX_SOFT_LIMIT`]);
/// returns the limit now in force.
pub fn raise_soft_limit() -> io::Result<u64> {
    let (soft, hard) = limits()?;
    let wanted = hard.min(MAX_SOFT_LIMIT).max(soft);
    if wanted > soft {
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: hard,
        };
        // SAFETY: setrlimit reads the struct we pass and changes only this process.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(wanted)
}

/// The soft `RLIMIT_NOFILE` in force.
pub fn soft_limit() -> io::Result<u64> {
    Ok(limits()?.0)
}

/// The soft and hard `RLIMIT_NOFILE`.
fn limits() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

/// Descriptors this process has open now.
fn open_count() -> io::Result<u64> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count() as u64)
}

/// Refuses a new pane, in words, when it would leave fewer than [`HEADROOM`]
/// descriptors: past that the daemon could not accept the command that closes panes.
pub fn check_room_for_pane() -> anyhow::Result<()> {
    let (Ok((soft, _)), Ok(open)) = (limits(), open_count()) else {
        return Ok(());
    };
    if open + FDS_PER_PANE + HEADROOM > soft {
        anyhow::bail!(
            "no room for another pane: the server has {open} of its {soft} file descriptors \
             open and a pane takes about {FDS_PER_PANE}; close some panes, or raise the \
             limit (ulimit -Hn) before the server starts"
        );
    }
    Ok(())
}

/// Whether an error is the process (or the system) being out of descriptors.
pub fn is_exhaustion(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// One descriptor held back so that, when every other one is taken, the control socket
/// can still accept a connection to tell it why it is refused, instead of leaving it
/// queued (or spinning on an accept that fails at once).
pub struct Reserve(Option<File>);

impl Reserve {
    pub fn new() -> Reserve {
        Reserve(File::open("/dev/null").ok())
    }

    /// Frees the held descriptor for one use; false if none was held.
    pub fn release(&mut self) -> bool {
        self.0.take().is_some()
    }

    /// Takes a descriptor back once the use is over (if one is free by then).
    pub fn restore(&mut self) {
        if self.0.is_none() {
            self.0 = File::open("/dev/null").ok();
        }
    }
}

impl Default for Reserve {
    fn default() -> Self {
        Reserve::new()
    }
}

/// Lets a repeated log line through at most once per interval, counting the ones held
/// back, so a condition that repeats thousands of times a second costs a line a minute.
pub struct RateLimited {
    interval: Duration,
    last: Option<Instant>,
    held_back: u64,
}

impl RateLimited {
    pub fn new(interval: Duration) -> RateLimited {
        RateLimited {
            interval,
            last: None,
            held_back: 0,
        }
    }

    /// `Some(number of occurrences held back since the last line)` when a line is due
    /// at `now`; `None` when this one is held back.
    pub fn due(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.duration_since(last) < self.interval => {
                self.held_back += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.held_back))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_line_is_let_through_once_per_interval_with_a_count() {
        let start = Instant::now();
        let mut limit = RateLimited::new(Duration::from_secs(10));
        assert_eq!(limit.due(start), Some(0));
        for ms in 1..1000 {
            assert_eq!(limit.due(start + Duration::from_millis(ms)), None);
        }
        assert_eq!(limit.due(start + Duration::from_secs(10)), Some(999));
        assert_eq!(limit.due(start + Duration::from_secs(11)), None);
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one_and_panes_are_counted_against_it() {
        let (before, _) = limits().expect("reading the limits");
        let raised = raise_soft_limit().expect("raising the limit");
        let (soft, hard) = limits().expect("reading the limits");
        assert_eq!(raised, soft);
        assert_eq!(soft, hard.min(MAX_SOFT_LIMIT).max(before));
        assert!(check_room_for_pane().is_ok());
    }
}

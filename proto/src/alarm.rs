//! The event loops' timer: wakes the loop once at its next deadline and not before.
//!
//! tokio's timer wheel keeps a deadline seconds away in a coarse slot and wakes the
//! thread at that slot's start to move it into a finer one: a heartbeat 3 s away costs
//! two or three wake-ups instead of one. An idle attached session sleeps on nothing but
//! heartbeats, so on Linux the alarm is a `timerfd` in the loop's epoll set, which the
//! kernel fires once, at the deadline. Elsewhere it is tokio's sleep.

use std::time::Instant;

/// One deadline at a time, changed freely between waits.
pub struct Alarm {
    #[cfg(target_os = "linux")]
    timer: Option<linux::Timer>,
}

impl Alarm {
    /// An alarm; where a timerfd cannot be had, tokio's timer stands in.
    pub fn new() -> Alarm {
        Alarm {
            #[cfg(target_os = "linux")]
            timer: linux::Timer::new().ok(),
        }
    }

    /// Waits until `deadline`, or forever without one. Cancel-safe: a wait dropped for
    /// another event leaves nothing behind but the armed timer the next wait reuses.
    pub async fn wait_until(&mut self, deadline: Option<Instant>) {
        let Some(deadline) = deadline else {
            return std::future::pending().await;
        };
        #[cfg(target_os = "linux")]
        if let Some(timer) = &mut self.timer {
            if timer.wait_until(deadline).await.is_ok() {
                return;
            }
            // A timerfd that fails once is not trusted again.
            self.timer = None;
        }
        tokio::time::sleep_until(deadline.into()).await;
    }
}

impl Default for Alarm {
    fn default() -> Alarm {
        Alarm::new()
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use nix::errno::Errno;
    use nix::sys::time::TimeSpec;
    use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
    use std::io;
    use std::os::fd::{AsFd, AsRawFd, RawFd};
    use std::time::Instant;
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    /// `AsyncFd` wants `AsRawFd`, which nix's `TimerFd` only offers as `AsFd`.
    struct RawTimerFd(TimerFd);

    impl AsRawFd for RawTimerFd {
        fn as_raw_fd(&self) -> RawFd {
            self.0.as_fd().as_raw_fd()
        }
    }

    pub struct Timer {
        fd: AsyncFd<RawTimerFd>,
        /// The deadline the timerfd is set to and has not yet been read for.
        armed: Option<Instant>,
    }

    impl Timer {
        pub fn new() -> io::Result<Timer> {
            let flags = TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC;
            let timer = RawTimerFd(TimerFd::new(ClockId::CLOCK_MONOTONIC, flags)?);
            // SAFETY: the descriptor is the TimerFd's own, which the AsyncFd owns and keeps
            // open, unchanged, until it is dropped.
            let fd = unsafe { AsyncFd::register_with_interest(timer, Interest::READABLE) }
                .map_err(|error| error.into_parts().1)?;
            Ok(Timer { fd, armed: None })
        }

        pub async fn wait_until(&mut self, deadline: Instant) -> io::Result<()> {
            if self.armed != Some(deadline) {
                let left = deadline.saturating_duration_since(Instant::now());
                // A zero expiry would disarm the timerfd instead of firing it.
                if left.is_zero() {
                    return Ok(());
                }
                let expiry = Expiration::OneShot(TimeSpec::from_duration(left));
                self.fd
                    .get_ref()
                    .0
                    .set(expiry, TimerSetTimeFlags::empty())?;
                self.armed = Some(deadline);
            }
            loop {
                let mut ready = self.fd.readable().await?;
                match ready.get_inner().0.wait() {
                    Ok(()) => {
                        self.armed = None;
                        return Ok(());
                    }
                    Err(Errno::EAGAIN) => ready.clear_ready(),
                    Err(error) => return Err(error.into()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    }

    #[test]
    fn wakes_at_the_deadline_not_before() {
        runtime().block_on(async {
            let mut alarm = Alarm::new();
            for wait in [Duration::from_millis(30), Duration::from_millis(5)] {
                let start = Instant::now();
                alarm.wait_until(Some(start + wait)).await;
                assert!(start.elapsed() >= wait, "woke after {:?}", start.elapsed());
            }
        });
    }

    #[test]
    fn a_past_deadline_returns_at_once_and_a_moved_one_is_kept() {
        runtime().block_on(async {
            let mut alarm = Alarm::new();
            alarm.wait_until(Some(Instant::now())).await;
            // A wait abandoned for another event, then the deadline moved earlier.
            let far = Instant::now() + Duration::from_secs(60);
            let abandoned =
                tokio::time::timeout(Duration::from_millis(5), alarm.wait_until(Some(far)));
            assert!(abandoned.await.is_err());
            let near = Instant::now() + Duration::from_millis(10);
            alarm.wait_until(Some(near)).await;
            assert!(Instant::now() >= near);
        });
    }

    #[test]
    fn no_deadline_waits_for_ever() {
        runtime().block_on(async {
            let mut alarm = Alarm::new();
            let waited = tokio::time::timeout(Duration::from_millis(20), alarm.wait_until(None));
            assert!(waited.await.is_err());
        });
    }
}

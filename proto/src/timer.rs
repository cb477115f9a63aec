//! The deadlines a connection waits for, kept in one table so the earliest is one lookup.

use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Send the local state (new, or a retransmission of one not acknowledged in time).
    SendState,
    /// Send an acknowledgement: delayed after new data arrived, or the periodic heartbeat.
    Ack,
}

impl Timer {
    const COUNT: usize = 2;

    fn index(self) -> usize {
        match self {
            Timer::SendState => 0,
            Timer::Ack => 1,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, deadline: Instant) {
        self.deadlines[timer.index()] = Some(deadline);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer.index()]
    }

    pub(crate) fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|deadline| deadline <= now)
    }

    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn earliest_running_timer_wins() {
        let now = Instant::now();
        let mut timers = TimerTable::default();
        assert_eq!(timers.next_timeout(), None);
        timers.set(Timer::Ack, now + Duration::from_secs(3));
        timers.set(Timer::SendState, now + Duration::from_millis(8));
        assert_eq!(timers.next_timeout(), Some(now + Duration::from_millis(8)));
        assert!(!timers.is_expired(Timer::SendState, now));
        assert!(timers.is_expired(Timer::SendState, now + Duration::from_millis(8)));
        timers.stop(Timer::SendState);
        assert_eq!(timers.next_timeout(), Some(now + Duration::from_secs(3)));
    }
}

//! What the client keeps about the link beyond the protocol: the notice on the status line
//! (nothing heard yet, nothing listening, the last contact), when to move to a fresh local
//! port, and when to ask whether anything listens on the server's port. Time comes in as
//! `now`; the connection's `last_heard` is passed in as `heard`.

use std::time::{Duration, Instant};

/// Silence from the server after which the status line says when it was last heard. The
/// server sends at least a heartbeat every 3 s, so this means two or more were lost.
const SILENCE_NOTICE_AFTER: Duration = Duration::from_secs(7);
/// How long the client waits for a first datagram before saying nothing came.
const NOTHING_RECEIVED_AFTER: Duration = Duration::from_secs(2);
/// Silence after which the client moves to a fresh local port, as mosh does: a NAT or
/// firewall that forgot the old mapping gets a new one. The server follows the newest
/// authentic datagram, so nothing else has to happen.
pub(super) const REBIND_AFTER: Duration = Duration::from_secs(10);
/// How often, until the server is first heard, the client asks whether anything listens
/// on its port (an empty datagram on a connected socket, which an ICMP refusal answers).
pub(super) const PROBE_EVERY: Duration = Duration::from_secs(2);
/// How long one refusal keeps "nothing listening" on the status line: past the next probe,
/// so the notice holds while refusals go on, and gives way once they stop.
const REFUSAL_HOLDS: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub(super) struct LinkWatch {
    started: Instant,
    /// The server's port, for the notices.
    port: u16,
    last_rebind: Instant,
    refused_at: Option<Instant>,
    next_probe: Instant,
}

impl LinkWatch {
    pub(super) fn new(port: u16, now: Instant) -> LinkWatch {
        LinkWatch {
            started: now,
            port,
            last_rebind: now,
            refused_at: None,
            next_probe: now,
        }
    }

    /// The notice for the status line now, if any.
    pub(super) fn notice(&self, heard: Option<Instant>, now: Instant) -> Option<String> {
        match heard {
            None if self.refusal_stands(now) => Some(format!(
                "Nothing listening on UDP port {} of the server yet; still trying",
                self.port
            )),
            None if now >= self.started + NOTHING_RECEIVED_AFTER => Some(format!(
                "Nothing received from the server on UDP port {}",
                self.port
            )),
            Some(heard) if now >= heard + SILENCE_NOTICE_AFTER => Some(format!(
                "Last contact {} s ago",
                now.duration_since(heard).as_secs()
            )),
            _ => None,
        }
    }

    /// The server's port answered that nothing listens there.
    pub(super) fn refused(&mut self, now: Instant) {
        self.refused_at = Some(now);
    }

    fn refusal_stands(&self, now: Instant) -> bool {
        self.refused_at.is_some_and(|at| now < at + REFUSAL_HOLDS)
    }

    /// Whether to move to a fresh local port now; the next move is due after as much
    /// silence again.
    pub(super) fn rebind_due(&mut self, heard: Option<Instant>, now: Instant) -> bool {
        let due = now >= self.rebind_at(heard);
        if due {
            self.last_rebind = now;
        }
        due
    }

    fn rebind_at(&self, heard: Option<Instant>) -> Instant {
        heard.unwrap_or(self.started).max(self.last_rebind) + REBIND_AFTER
    }

    /// Whether to probe the server's port now: until it is first heard, every
    /// [`PROBE_EVERY`].
    pub(super) fn probe_due(&mut self, heard: Option<Instant>, now: Instant) -> bool {
        let due = heard.is_none() && now >= self.next_probe;
        if due {
            self.next_probe = now + PROBE_EVERY;
        }
        due
    }

    /// The next moment something here changes: a rebind or probe due, or the notice's text.
    pub(super) fn poll_timeout(&self, heard: Option<Instant>, now: Instant) -> Instant {
        let notice = match heard {
            None => [
                Some(self.started + NOTHING_RECEIVED_AFTER),
                self.refused_at.map(|at| at + REFUSAL_HOLDS),
                Some(self.next_probe),
            ]
            .into_iter()
            .flatten()
            .filter(|&at| at > now)
            .min(),
            // "Last contact N s ago" counts up every second.
            Some(heard) if now >= heard + SILENCE_NOTICE_AFTER => {
                let silent = now.duration_since(heard).as_secs();
                Some(heard + Duration::from_secs(silent + 1))
            }
            Some(heard) => Some(heard + SILENCE_NOTICE_AFTER),
        };
        let rebind = self.rebind_at(heard);
        notice.map_or(rebind, |notice| notice.min(rebind))
    }
}

//! Round-trip time, measured from the 16-bit millisecond timestamps every datagram carries.
//!
//! Each datagram stamps the sender's clock; the peer echoes the newest stamp it received,
//! advanced by how long it held it, so the echo measures the network alone and not the
//! peer's delayed-ack wait. The smoothing follows RFC 6298, as mosh does.

use std::time::{Duration, Instant};

/// Assumed before the first measurement (RFC 6298 starts at 1 s).
pub const INITIAL_SRTT: Duration = Duration::from_millis(1000);
pub const INITIAL_RTTVAR: Duration = Duration::from_millis(500);
/// Retransmission timeout bounds: below 50 ms we would resend what is merely queued; above
/// 1 s a lost frame would be noticed too late for interactive use.
pub const MIN_RTO: Duration = Duration::from_millis(50);
pub const MAX_RTO: Duration = Duration::from_millis(1000);
/// Samples this large come from a peer that was suspended, not from the network.
pub const MAX_RTT_SAMPLE: Duration = Duration::from_millis(5000);
/// A timestamp held longer than this is not echoed: the hold time would dominate the echo.
pub const MAX_ECHO_HOLD: Duration = Duration::from_millis(1000);

/// Smoothed round-trip time and its variation.
#[derive(Debug, Clone)]
pub(crate) struct RttEstimator {
    srtt: Duration,
    rttvar: Duration,
    measured: bool,
}

impl RttEstimator {
    pub(crate) fn new() -> Self {
        RttEstimator {
            srtt: INITIAL_SRTT,
            rttvar: INITIAL_RTTVAR,
            measured: false,
        }
    }

    pub(crate) fn srtt(&self) -> Duration {
        self.srtt
    }

    /// Whether a round trip was measured yet (else `srtt` is the assumed 1 s).
    pub(crate) fn is_measured(&self) -> bool {
        self.measured
    }

    /// How long a sent state may go unacknowledged before we stop assuming it arrived.
    pub(crate) fn rto(&self) -> Duration {
        (self.srtt + 4 * self.rttvar).clamp(MIN_RTO, MAX_RTO)
    }

    pub(crate) fn on_sample(&mut self, rtt: Duration) {
        if rtt >= MAX_RTT_SAMPLE {
            return;
        }
        if self.measured {
            self.rttvar = self.rttvar * 3 / 4 + self.srtt.abs_diff(rtt) / 4;
            self.srtt = self.srtt * 7 / 8 + rtt / 8;
        } else {
            self.srtt = rtt;
            self.rttvar = rtt / 2;
            self.measured = true;
        }
    }
}

/// Our 16-bit clock, and the peer's stamp we owe an echo for.
#[derive(Debug, Clone)]
pub(crate) struct TimestampEcho {
    epoch: Instant,
    held: Option<(u16, Instant)>,
}

impl TimestampEcho {
    pub(crate) fn new(epoch: Instant) -> Self {
        TimestampEcho { epoch, held: None }
    }

    /// Milliseconds since the connection began, wrapping every 65.5 s; only differences of
    /// stamps are ever used, and round trips are far shorter than the wrap. 0xFFFF is the
    /// packet layer's "no reply" marker, so that millisecond reads as the next one.
    pub(crate) fn stamp(&self, now: Instant) -> u16 {
        match (now.saturating_duration_since(self.epoch).as_millis() % (1 << 16)) as u16 {
            u16::MAX => 0,
            stamp => stamp,
        }
    }

    /// Remembers the peer's stamp from a datagram newer than any before it.
    pub(crate) fn hold(&mut self, stamp: u16, now: Instant) {
        self.held = Some((stamp, now));
    }

    /// The echo for the next outgoing datagram, corrected for the time we held it. Each
    /// stamp is echoed once, so a later datagram cannot report a stale round trip.
    pub(crate) fn take_reply(&mut self, now: Instant) -> Option<u16> {
        let (stamp, at) = self.held.take()?;
        let held_for = now.saturating_duration_since(at);
        (held_for < MAX_ECHO_HOLD).then(|| stamp.wrapping_add(held_for.as_millis() as u16))
    }

    /// The round trip an echo of one of our stamps reveals.
    pub(crate) fn round_trip(&self, now: Instant, reply: u16) -> Duration {
        Duration::from_millis(u64::from(self.stamp(now).wrapping_sub(reply)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn first_sample_sets_srtt_and_half_variation() {
        let mut rtt = RttEstimator::new();
        assert_eq!(rtt.rto(), MAX_RTO);
        rtt.on_sample(200 * MS);
        assert_eq!(rtt.srtt(), 200 * MS);
        assert_eq!(rtt.rto(), 600 * MS);
    }

    #[test]
    fn later_samples_are_smoothed_as_rfc_6298() {
        let mut rtt = RttEstimator::new();
        rtt.on_sample(200 * MS);
        rtt.on_sample(280 * MS);
        // rttvar = 3/4 * 100 + 1/4 * |200 - 280| = 95; srtt = 7/8 * 200 + 1/8 * 280 = 210.
        assert_eq!(rtt.srtt(), 210 * MS);
        assert_eq!(rtt.rto(), (210 + 4 * 95) * MS);
    }

    #[test]
    fn rto_is_clamped_and_suspensions_ignored() {
        let mut rtt = RttEstimator::new();
        rtt.on_sample(MS);
        assert_eq!(rtt.rto(), MIN_RTO);
        rtt.on_sample(MAX_RTT_SAMPLE);
        assert_eq!(rtt.srtt(), MS);
        let mut slow = RttEstimator::new();
        slow.on_sample(900 * MS);
        assert_eq!(slow.rto(), MAX_RTO);
    }

    #[test]
    fn echo_subtracts_the_time_the_stamp_was_held() {
        let epoch = Instant::now();
        let client = TimestampEcho::new(epoch);
        let mut server = TimestampEcho::new(epoch + 12_345 * MS);
        let sent_at = epoch + 70_000 * MS; // past one wrap of the 16-bit clock
        let stamp = client.stamp(sent_at);
        // 40 ms to reach the server, held 90 ms for a delayed ack, 40 ms back.
        server.hold(stamp, sent_at + 40 * MS);
        let reply = server.take_reply(sent_at + 130 * MS).unwrap();
        assert_eq!(server.take_reply(sent_at + 131 * MS), None);
        assert_eq!(
            client.round_trip(sent_at + 170 * MS, reply),
            170 * MS - 90 * MS
        );
    }

    #[test]
    fn stamps_held_too_long_are_not_echoed() {
        let epoch = Instant::now();
        let mut echo = TimestampEcho::new(epoch);
        echo.hold(7, epoch);
        assert_eq!(echo.take_reply(epoch + MAX_ECHO_HOLD), None);
    }
}

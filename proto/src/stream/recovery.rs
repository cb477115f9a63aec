//! Which stream datagrams arrived, both ways: the receiver's record of sequence numbers
//! to acknowledge, and the sender's record of what each unacknowledged datagram carried.
//!
//! This is QUIC's loss recovery (RFC 9002) in small: acknowledgements name datagrams,
//! not bytes, so a retransmission is a new datagram and its acknowledgement is never
//! ambiguous; a datagram is lost once one sent 3 later is acknowledged, or once it is
//! 9/8 of a round trip older than an acknowledged one; when nothing is acknowledged for
//! a probe timeout, everything in flight counts lost and two probes go out, and the
//! timeout doubles up to [`MAX_PROBE_TIMEOUT`], so a blackout of any length is noticed
//! within that once it ends.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::{Duration, Instant};

use rangemap::RangeSet;

use super::frame::Frame;

/// A datagram is lost once one sent this many sequence numbers later is acknowledged.
const PACKET_THRESHOLD: u64 = 3;
/// How long a receiver may hold an acknowledgement (QUIC's default max_ack_delay 25 ms;
/// shorter here, since acknowledgements pace the sender).
pub(crate) const MAX_ACK_DELAY: Duration = Duration::from_millis(10);
/// The longest the sender waits between probes once nothing is acknowledged: how late,
/// at worst, it notices that an outage ended.
pub(crate) const MAX_PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// Ranges an acknowledgement names (the newest ones): enough to cover a window at 10 %
/// loss, within a datagram.
const MAX_ACK_RANGES: usize = 64;
/// Ranges the receiver remembers.
const MAX_KEPT_RANGES: usize = 256;

/// Something a datagram carried that must be delivered: sent again when it is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sent {
    Data {
        stream: u64,
        range: Range<u64>,
        fin: bool,
    },
    Window {
        stream: Option<u64>,
    },
    Reset {
        stream: u64,
    },
}

#[derive(Debug)]
pub(crate) struct SentDatagram {
    pub sent: Instant,
    pub size: usize,
    pub items: Vec<Sent>,
    /// Bytes delivered (acknowledged) when it was sent, and when that count last grew:
    /// the delivery rate sample its acknowledgement gives (BBR's rate estimation).
    pub delivered: u64,
    pub delivered_time: Instant,
    /// When the datagram acknowledged last before this one was sent was itself sent:
    /// the send side of the rate sample, so acknowledgements bunched on the way back
    /// cannot make the path look faster than we sent (BBR's send_elapsed).
    pub first_sent: Instant,
    pub app_limited: bool,
}

/// What an acknowledgement or a timeout decided.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub acked: Vec<Sent>,
    pub lost: Vec<Sent>,
    /// Newly acknowledged bytes, a round-trip sample and a delivery-rate sample.
    pub acked_bytes: u64,
    pub rtt: Option<Duration>,
    pub rate: Option<RateSample>,
    /// The probe timeout fired: send probes past the congestion window.
    pub probe: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RateSample {
    pub bytes_per_sec: f64,
    pub app_limited: bool,
    /// The delivered count when the acknowledged datagram was sent (ends BBR rounds).
    pub prior_delivered: u64,
}

/// The sender's side.
#[derive(Debug)]
pub(crate) struct SentLog {
    sent: BTreeMap<u64, SentDatagram>,
    in_flight: usize,
    largest_acked: Option<u64>,
    srtt: Option<Duration>,
    rttvar: Duration,
    probes: u32,
    last_sent: Option<Instant>,
    pub(crate) delivered: u64,
    delivered_time: Option<Instant>,
    first_sent: Option<Instant>,
}

impl SentLog {
    pub(crate) fn new() -> Self {
        SentLog {
            sent: BTreeMap::new(),
            in_flight: 0,
            largest_acked: None,
            srtt: None,
            rttvar: Duration::ZERO,
            probes: 0,
            last_sent: None,
            delivered: 0,
            delivered_time: None,
            first_sent: None,
        }
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    pub(crate) fn on_sent(
        &mut self,
        seq: u64,
        now: Instant,
        size: usize,
        items: Vec<Sent>,
        app_limited: bool,
    ) {
        self.last_sent = Some(now);
        self.in_flight += size;
        let delivered_time = *self.delivered_time.get_or_insert(now);
        let first_sent = *self.first_sent.get_or_insert(now);
        self.sent.insert(
            seq,
            SentDatagram {
                sent: now,
                size,
                items,
                delivered: self.delivered,
                delivered_time,
                first_sent,
                app_limited,
            },
        );
    }

    fn probe_timeout(&self) -> Duration {
        let srtt = self.srtt.unwrap_or(Duration::from_millis(500));
        let base = srtt + (4 * self.rttvar).max(Duration::from_millis(1)) + MAX_ACK_DELAY;
        (base * 2u32.saturating_pow(self.probes)).min(MAX_PROBE_TIMEOUT)
    }

    fn loss_delay(&self) -> Duration {
        self.srtt.unwrap_or(Duration::from_millis(500)) * 9 / 8
    }

    /// When [`SentLog::on_timeout`] has work: a datagram turning lost by age, or the probe.
    pub(crate) fn timeout(&self) -> Option<Instant> {
        let largest = self.largest_acked;
        let by_age = self
            .sent
            .iter()
            .find(|(&seq, _)| largest.is_some_and(|largest| seq < largest))
            .map(|(_, datagram)| datagram.sent + self.loss_delay());
        let probe = (!self.sent.is_empty())
            .then(|| self.last_sent.map(|last| last + self.probe_timeout()))
            .flatten();
        by_age.into_iter().chain(probe).min()
    }

    /// The peer was heard while we probe: the outage is over, so probe now rather than
    /// at the (possibly long) timeout; at most once a round trip, however much we hear.
    pub(crate) fn on_peer_heard(&mut self, now: Instant) {
        let srtt = self.srtt.unwrap_or(Duration::from_millis(500));
        if self.probes > 0 && self.last_sent.is_some_and(|last| now >= last + srtt) {
            self.last_sent = now.checked_sub(self.probe_timeout());
        }
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> Outcome {
        let mut outcome = Outcome::default();
        self.detect_lost(now, &mut outcome);
        if self.timeout().is_some_and(|at| at <= now) && !self.sent.is_empty() {
            let all: Vec<u64> = self.sent.keys().copied().collect();
            for seq in all {
                self.declare_lost(seq, &mut outcome);
            }
            self.probes += 1;
            self.last_sent = Some(now);
            outcome.probe = true;
        }
        outcome
    }

    fn declare_lost(&mut self, seq: u64, outcome: &mut Outcome) {
        if let Some(datagram) = self.sent.remove(&seq) {
            self.in_flight -= datagram.size;
            outcome.lost.extend(datagram.items);
        }
    }

    fn detect_lost(&mut self, now: Instant, outcome: &mut Outcome) {
        let Some(largest) = self.largest_acked else {
            return;
        };
        let delay = self.loss_delay();
        let lost: Vec<u64> = self
            .sent
            .iter()
            .take_while(|(&seq, _)| seq < largest)
            .filter(|(&seq, datagram)| {
                seq + PACKET_THRESHOLD <= largest || datagram.sent + delay <= now
            })
            .map(|(&seq, _)| seq)
            .collect();
        for seq in lost {
            self.declare_lost(seq, outcome);
        }
    }

    /// Takes an `Ack` frame; what it acknowledged and what it showed lost.
    pub(crate) fn on_ack(&mut self, now: Instant, ack: &AckRanges) -> Outcome {
        let mut outcome = Outcome::default();
        let mut newest: Option<(u64, Instant)> = None;
        for range in &ack.ranges {
            let seqs: Vec<u64> = self
                .sent
                .range(range.clone())
                .map(|(&seq, _)| seq)
                .collect();
            for seq in seqs {
                let Some(datagram) = self.sent.remove(&seq) else {
                    continue;
                };
                self.in_flight -= datagram.size;
                self.delivered += datagram.size as u64;
                outcome.acked_bytes += datagram.size as u64;
                let elapsed = now
                    .saturating_duration_since(datagram.delivered_time)
                    .max(datagram.sent.saturating_duration_since(datagram.first_sent));
                if !elapsed.is_zero() {
                    let sample = RateSample {
                        bytes_per_sec: (self.delivered - datagram.delivered) as f64
                            / elapsed.as_secs_f64(),
                        app_limited: datagram.app_limited,
                        prior_delivered: datagram.delivered,
                    };
                    if outcome
                        .rate
                        .is_none_or(|best| sample.prior_delivered >= best.prior_delivered)
                    {
                        outcome.rate = Some(sample);
                    }
                }
                if newest.is_none_or(|(best, _)| seq > best) {
                    newest = Some((seq, datagram.sent));
                    self.first_sent = Some(datagram.sent);
                }
                outcome.acked.extend(datagram.items);
            }
        }
        if outcome.acked_bytes > 0 {
            self.delivered_time = Some(now);
            self.probes = 0;
        }
        self.largest_acked = self.largest_acked.max(Some(ack.largest));
        if let Some((_, sent)) = newest.filter(|&(seq, _)| seq == ack.largest) {
            let rtt = now
                .saturating_duration_since(sent)
                .saturating_sub(ack.delay.min(MAX_ACK_DELAY));
            self.on_rtt(rtt);
            outcome.rtt = (rtt < crate::rtt::MAX_RTT_SAMPLE).then_some(rtt);
        }
        self.detect_lost(now, &mut outcome);
        outcome
    }

    fn on_rtt(&mut self, rtt: Duration) {
        if rtt >= crate::rtt::MAX_RTT_SAMPLE {
            return;
        }
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                self.rttvar = self.rttvar * 3 / 4 + srtt.abs_diff(rtt) / 4;
                self.srtt = Some(srtt * 7 / 8 + rtt / 8);
            }
        }
    }
}

/// A decoded `Ack` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AckRanges {
    pub largest: u64,
    pub delay: Duration,
    /// Acknowledged sequence numbers, newest range first.
    pub ranges: Vec<Range<u64>>,
}

impl AckRanges {
    /// `None` when the frame's ranges run below zero: only a broken peer sends that.
    pub(crate) fn from_frame(
        largest: u64,
        delay_micros: u64,
        first_len: u64,
        gaps: &[(u64, u64)],
    ) -> Option<Self> {
        let mut ranges = Vec::with_capacity(gaps.len() + 1);
        let mut start = largest.checked_add(1)?.checked_sub(first_len)?;
        ranges.push(start..largest + 1);
        for &(gap, len) in gaps {
            let end = start.checked_sub(gap)?;
            start = end.checked_sub(len)?;
            ranges.push(start..end);
        }
        Some(AckRanges {
            largest,
            delay: Duration::from_micros(delay_micros.min(u32::MAX as u64)),
            ranges,
        })
    }
}

/// The receiver's side: which datagrams that need an acknowledgement arrived.
#[derive(Debug, Default)]
pub(crate) struct AckTracker {
    received: RangeSet<u64>,
    largest: Option<(u64, Instant)>,
    unacked: u32,
    deadline: Option<Instant>,
}

impl AckTracker {
    pub(crate) fn on_datagram(&mut self, seq: u64, now: Instant) {
        self.received.insert(seq..seq + 1);
        if self.largest.is_none_or(|(largest, _)| seq > largest) {
            self.largest = Some((seq, now));
        }
        while self.received.len() > MAX_KEPT_RANGES {
            let Some(oldest) = self.received.iter().next().cloned() else {
                break;
            };
            self.received.remove(oldest);
        }
        self.unacked += 1;
        // Every second datagram at once (the sender's clock), the others within the delay.
        if self.unacked >= 2 {
            self.deadline = Some(now);
        } else {
            self.deadline.get_or_insert(now + MAX_ACK_DELAY);
        }
    }

    /// When an acknowledgement is due, if one is.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// An `Ack` frame for what arrived; the tracker counts it as sent.
    pub(crate) fn frame(&mut self, now: Instant) -> Option<Frame> {
        let (largest, at) = self.largest?;
        self.unacked = 0;
        self.deadline = None;
        let mut ranges = self.received.iter().rev().take(MAX_ACK_RANGES + 1);
        let first = ranges.next()?.clone();
        let mut start = first.start;
        let gaps = ranges
            .map(|range| {
                let gap = (start - range.end, range.end - range.start);
                start = range.start;
                gap
            })
            .collect();
        Some(Frame::Ack {
            largest,
            delay_micros: now.saturating_duration_since(at).as_micros() as u64,
            first_len: first.end - first.start,
            ranges: gaps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(frame: Frame) -> AckRanges {
        let Frame::Ack {
            largest,
            delay_micros,
            first_len,
            ranges,
        } = frame
        else {
            panic!("not an ack: {frame:?}");
        };
        AckRanges::from_frame(largest, delay_micros, first_len, &ranges).unwrap()
    }

    #[test]
    fn acknowledgements_name_what_arrived_and_show_what_did_not() {
        let now = Instant::now();
        let mut tracker = AckTracker::default();
        for seq in [10, 11, 13, 14, 15, 18] {
            tracker.on_datagram(seq, now);
        }
        let ack = decode(tracker.frame(now).unwrap());
        assert_eq!(ack.ranges, [18..19, 13..16, 10..12]);
        let mut log = SentLog::new();
        for seq in 10..19 {
            log.on_sent(seq, now, 100, vec![Sent::Reset { stream: seq }], false);
        }
        let outcome = log.on_ack(now + Duration::from_millis(50), &ack);
        assert_eq!(outcome.acked.len(), 6);
        // 12 is 3 below an acknowledged number, 16 and 17 are not yet.
        assert_eq!(outcome.lost, [Sent::Reset { stream: 12 }]);
        assert_eq!(log.in_flight(), 200);
        assert_eq!(outcome.rtt, Some(Duration::from_millis(50)));
    }

    #[test]
    fn broken_ranges_are_refused() {
        assert_eq!(AckRanges::from_frame(3, 0, 5, &[]), None);
        assert_eq!(AckRanges::from_frame(10, 0, 2, &[(9, 1)]), None);
        assert!(AckRanges::from_frame(u64::MAX, 0, 1, &[]).is_none());
    }

    #[test]
    fn silence_counts_everything_lost_and_the_probe_timeout_backs_off_to_its_cap() {
        let start = Instant::now();
        let mut log = SentLog::new();
        log.on_sent(1, start, 100, vec![Sent::Window { stream: None }], false);
        let mut now = start;
        let mut gaps = Vec::new();
        for _ in 0..8 {
            let at = log.timeout().unwrap();
            gaps.push(at - now);
            now = at;
            let outcome = log.on_timeout(now);
            log.on_sent(2 + gaps.len() as u64, now, 100, outcome.lost, false);
        }
        assert!(gaps.windows(2).all(|pair| pair[1] >= pair[0]));
        assert_eq!(*gaps.last().unwrap(), MAX_PROBE_TIMEOUT);
        // Heard within a round trip of the last probe: nothing changes; later, probe now.
        log.on_peer_heard(now);
        assert_eq!(log.timeout(), Some(now + MAX_PROBE_TIMEOUT));
        let later = now + Duration::from_millis(600);
        log.on_peer_heard(later);
        assert_eq!(log.timeout(), Some(later));
    }
}

//! How fast stream datagrams go out: a small BBR (Cardwell et al., 2016), not a
//! loss-based controller.
//!
//! A loss-based controller (Reno, CUBIC: TCP inside SSH) halves its window at each loss,
//! so at 5 % random loss and 200 ms it moves tens of kilobytes a second whatever the link
//! could carry; the links moshmux is for lose datagrams without being full. BBR instead
//! measures the bottleneck's rate (the highest delivery rate of the last 10 rounds) and
//! the path's round trip (the lowest of the last 10 s), paces at that rate, probing 25 %
//! above it one round in eight, and caps what is in flight at 1.5 times their product. It
//! starts by doubling each round until the rate stops growing. Pacing keeps queues at
//! the bottleneck short, so keystrokes and screen updates sharing the link are not stuck
//! behind a burst of stream data.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::recovery::{Outcome, RateSample};

/// Datagram size the windows are counted in.
const DATAGRAM: f64 = 1232.0;
/// Before any measurement: 32 datagrams in flight, sent over a guessed round trip.
const INITIAL_WINDOW: f64 = 32.0 * DATAGRAM;
const INITIAL_RTT: Duration = Duration::from_millis(200);
/// Never fewer than this in flight, so a bad estimate cannot stall a stream.
const MIN_WINDOW: f64 = 8.0 * DATAGRAM;
/// Startup's gain, 2/ln 2: the rate that doubles delivery each round.
const STARTUP_GAIN: f64 = 2.885;
const PROBE_GAINS: [f64; 8] = [1.25, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
/// In flight at most 1.5 times the path's product: room for delayed acknowledgements
/// and the probing round, little standing queue for keystrokes to wait in.
const WINDOW_GAIN: f64 = 1.5;
/// After startup, the pace that drains the queue startup built (BBR's drain).
const DRAIN_GAIN: f64 = 1.0 / STARTUP_GAIN;
const BANDWIDTH_ROUNDS: u64 = 10;
const MIN_RTT_LIFETIME: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct Congestion {
    /// (round, highest delivery rate seen in it), the last [`BANDWIDTH_ROUNDS`] rounds.
    bandwidth: VecDeque<(u64, f64)>,
    min_rtt: Option<(Duration, Instant)>,
    round: u64,
    round_end: u64,
    /// Startup: the best rate at the last growth, and rounds since it grew by 25 %.
    startup: Option<(f64, u32)>,
    /// Startup ended and what is in flight is still above the path's product.
    draining: bool,
    cycle: usize,
    cycle_start: Option<Instant>,
    next_send: Option<Instant>,
}

impl Congestion {
    pub(crate) fn new() -> Self {
        Congestion {
            bandwidth: VecDeque::new(),
            min_rtt: None,
            round: 0,
            round_end: 0,
            startup: Some((0.0, 0)),
            draining: false,
            cycle: 0,
            cycle_start: None,
            next_send: None,
        }
    }

    fn bottleneck(&self) -> Option<f64> {
        self.bandwidth
            .iter()
            .map(|&(_, rate)| rate)
            .reduce(f64::max)
    }

    fn min_rtt(&self) -> Duration {
        self.min_rtt.map_or(INITIAL_RTT, |(rtt, _)| rtt)
    }

    /// Bytes that may be in flight.
    pub(crate) fn window(&self) -> usize {
        match self.bottleneck() {
            Some(rate) => {
                (WINDOW_GAIN * rate * self.min_rtt().as_secs_f64()).max(MIN_WINDOW) as usize
            }
            None => INITIAL_WINDOW as usize,
        }
    }

    fn pacing_rate(&self) -> f64 {
        let gain = match self.startup {
            Some(_) => STARTUP_GAIN,
            None if self.draining => DRAIN_GAIN,
            None => PROBE_GAINS[self.cycle],
        };
        let rate = self
            .bottleneck()
            .unwrap_or(INITIAL_WINDOW / INITIAL_RTT.as_secs_f64());
        (gain * rate).max(MIN_WINDOW / self.min_rtt().as_secs_f64())
    }

    /// When the next datagram may go; `None`: now.
    pub(crate) fn next_send(&self) -> Option<Instant> {
        self.next_send
    }

    pub(crate) fn on_sent(&mut self, now: Instant, size: usize) {
        let gap = Duration::from_secs_f64(size as f64 / self.pacing_rate());
        // A sender that was idle does not bank credit for a burst.
        let from = self.next_send.map_or(now, |at| at.max(now));
        self.next_send = Some(from + gap);
    }

    pub(crate) fn on_outcome(
        &mut self,
        now: Instant,
        outcome: &Outcome,
        delivered: u64,
        in_flight: usize,
    ) {
        if let Some(rtt) = outcome.rtt {
            let expired = self
                .min_rtt
                .is_none_or(|(best, at)| rtt <= best || now.duration_since(at) > MIN_RTT_LIFETIME);
            if expired {
                self.min_rtt = Some((rtt, now));
            }
        }
        if let Some(sample) = outcome.rate {
            self.on_rate(now, sample, delivered);
        }
        if self.draining {
            let product = self.bottleneck().unwrap_or(0.0) * self.min_rtt().as_secs_f64();
            self.draining = in_flight as f64 > product;
        }
    }

    fn on_rate(&mut self, now: Instant, sample: RateSample, delivered: u64) {
        let new_round = sample.prior_delivered >= self.round_end;
        if new_round {
            self.round += 1;
            self.round_end = delivered;
        }
        let best = self.bottleneck().unwrap_or(0.0);
        if !sample.app_limited || sample.bytes_per_sec > best {
            match self.bandwidth.back_mut() {
                Some((round, rate)) if *round == self.round => {
                    *rate = rate.max(sample.bytes_per_sec)
                }
                _ => self.bandwidth.push_back((self.round, sample.bytes_per_sec)),
            }
            while self
                .bandwidth
                .front()
                .is_some_and(|&(round, _)| round + BANDWIDTH_ROUNDS <= self.round)
            {
                self.bandwidth.pop_front();
            }
        }
        if new_round {
            self.end_round(now, sample.app_limited);
        }
    }

    fn end_round(&mut self, now: Instant, app_limited: bool) {
        let rate = self.bottleneck().unwrap_or(0.0);
        if let Some((full, flat_rounds)) = self.startup {
            self.startup = if rate >= full * 1.25 {
                Some((rate, 0))
            } else if app_limited {
                Some((full, flat_rounds))
            } else if flat_rounds + 1 >= 3 {
                self.draining = true;
                None
            } else {
                Some((full, flat_rounds + 1))
            };
            return;
        }
        let start = *self.cycle_start.get_or_insert(now);
        if now.duration_since(start) >= self.min_rtt() {
            self.cycle = (self.cycle + 1) % PROBE_GAINS.len();
            self.cycle_start = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link that delivers 1 MB/s at a 100 ms round trip: startup finds the rate within
    /// a few rounds, leaves startup, and the window settles near twice the product.
    #[test]
    fn the_estimates_converge_on_the_links_rate_and_round_trip() {
        let start = Instant::now();
        let mut congestion = Congestion::new();
        let mut delivered = 0u64;
        for round in 0..40u64 {
            let now = start + Duration::from_millis(100 * round);
            let offered = congestion.window() as f64 / 0.1;
            let rate = offered.min(1e6);
            let prior = delivered;
            delivered += (rate * 0.1) as u64;
            let outcome = Outcome {
                rtt: Some(Duration::from_millis(100)),
                rate: Some(RateSample {
                    bytes_per_sec: rate,
                    app_limited: false,
                    prior_delivered: prior,
                }),
                ..Outcome::default()
            };
            congestion.on_outcome(now, &outcome, delivered, 0);
        }
        assert!(congestion.startup.is_none());
        let window = congestion.window() as f64;
        assert!((120_000.0..=180_000.0).contains(&window), "window {window}");
    }
}

//! Datagram sequence numbers: the nonce we never reuse, and the replays we refuse.

use crate::crypto::MAX_SEQ;

/// Datagrams one key may seal. OCB's security bound (mosh retires a key at 2^47 blocks)
/// divided by the 77 blocks of our largest datagram leaves room for 2^40 datagrams: more
/// than a century at a thousand datagrams a second.
pub const SEQUENCE_LIMIT: u64 = 1 << 40;

/// How far behind the newest sequence number a datagram may arrive and still be used:
/// enough for the reordering of a real path, and one machine word of bookkeeping.
pub const REPLAY_WINDOW: u64 = 64;

/// Hands out each sequence number once, at most [`SEQUENCE_LIMIT`] of them, in rising order.
#[derive(Debug, Clone)]
pub(crate) struct SendSequence {
    next: u64,
    /// Numbers still to hand out: the limit counts datagrams sealed, so moving `next` up
    /// (see [`SendSequence::skip_to`]) spends none of it.
    left: u64,
}

impl SendSequence {
    pub(crate) fn new() -> Self {
        Self::between(0, SEQUENCE_LIMIT)
    }

    /// Hands out `first..limit`. A connection takes all of `0..SEQUENCE_LIMIT`; tests
    /// start near the end to reach the limit without sealing 2^40 datagrams.
    pub(crate) fn between(first: u64, limit: u64) -> Self {
        SendSequence {
            next: first,
            left: limit.saturating_sub(first),
        }
    }

    /// Moves the next number up to `next`; never down, so no number is handed out twice.
    pub(crate) fn skip_to(&mut self, next: u64) {
        self.next = self.next.max(next);
    }

    /// `None` once the key has sealed all it safely may, or the numbers reached the
    /// nonce's direction bit.
    pub(crate) fn next(&mut self) -> Option<u64> {
        (self.left > 0 && self.next <= MAX_SEQ).then(|| {
            self.left -= 1;
            self.next += 1;
            self.next - 1
        })
    }
}

/// Whether an authenticated datagram moved the newest sequence number forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Newer than anything before: may steer roaming and round-trip timing.
    Newest,
    /// Late but unseen, within the window: its contents are still useful.
    Late,
}

/// The highest sequence number seen, and which of the ones just below it were seen too.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplayWindow {
    highest: Option<u64>,
    /// Bit `i` is set when `highest - i` has been seen.
    seen: u64,
}

impl ReplayWindow {
    /// Records `seq`, or returns `None` when it was seen before or is too old to tell.
    pub(crate) fn accept(&mut self, seq: u64) -> Option<Arrival> {
        let Some(highest) = self.highest else {
            self.highest = Some(seq);
            self.seen = 1;
            return Some(Arrival::Newest);
        };
        if seq > highest {
            let shift = seq - highest;
            self.seen = if shift >= REPLAY_WINDOW {
                0
            } else {
                self.seen << shift
            } | 1;
            self.highest = Some(seq);
            return Some(Arrival::Newest);
        }
        let age = highest - seq;
        if age >= REPLAY_WINDOW || self.seen & (1 << age) != 0 {
            return None;
        }
        self.seen |= 1 << age;
        Some(Arrival::Late)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn sequence_stops_at_the_limit() {
        let mut sequence = SendSequence::between(0, 3);
        let numbers: Vec<_> = std::iter::from_fn(|| sequence.next()).collect();
        assert_eq!(numbers, [0, 1, 2]);
        assert_eq!(sequence.next(), None);
        let mut sequence = SendSequence::new();
        assert_eq!(sequence.next(), Some(0));
    }

    /// Skipping moves the numbers up, never down, and costs none of the limit; the nonce's
    /// direction bit is never reached.
    #[test]
    fn skipping_moves_up_only_and_keeps_the_count() {
        let mut sequence = SendSequence::between(0, 3);
        assert_eq!(sequence.next(), Some(0));
        sequence.skip_to(1_000);
        sequence.skip_to(10);
        let numbers: Vec<_> = std::iter::from_fn(|| sequence.next()).collect();
        assert_eq!(numbers, [1_000, 1_001]);
        let mut sequence = SendSequence::new();
        sequence.skip_to(MAX_SEQ);
        assert_eq!(sequence.next(), Some(MAX_SEQ));
        assert_eq!(sequence.next(), None);
    }

    /// The limit's reason, as numbers: the largest datagram's plaintext plus OCB's final
    /// block, times the limit, stays within the 2^47 blocks per sender that mosh retires
    /// a key at; and no number handed out reaches the direction bit of the nonce.
    #[test]
    fn the_limit_keeps_each_sender_under_the_ocb_block_bound() {
        use crate::crypto::TO_CLIENT_OVERHEAD;
        use crate::packet::MAX_DATAGRAM;
        // The server's datagrams are the larger (the client's carry a connection id, one
        // block of associated data instead of plaintext).
        let blocks_per_datagram = (MAX_DATAGRAM - TO_CLIENT_OVERHEAD).div_ceil(16) as u64 + 1;
        assert_eq!(blocks_per_datagram, 77);
        assert!(SEQUENCE_LIMIT * blocks_per_datagram <= 1 << 47);
        const { assert!(SEQUENCE_LIMIT - 1 <= MAX_SEQ) };
    }

    #[test]
    fn window_accepts_late_once_and_refuses_the_too_old() {
        let mut window = ReplayWindow::default();
        assert_eq!(window.accept(10), Some(Arrival::Newest));
        assert_eq!(window.accept(10), None);
        assert_eq!(window.accept(8), Some(Arrival::Late));
        assert_eq!(window.accept(8), None);
        assert_eq!(window.accept(100), Some(Arrival::Newest));
        assert_eq!(window.accept(100 - REPLAY_WINDOW + 1), Some(Arrival::Late));
        assert_eq!(window.accept(100 - REPLAY_WINDOW), None);
        assert_eq!(window.accept(9), None);
    }

    proptest! {
        /// Against a model that remembers every number: a number is accepted at most once,
        /// and a fresh one is refused only when it is a full window behind the newest.
        #[test]
        fn window_matches_a_perfect_memory(arrivals in prop::collection::vec(0u64..300, 1..400)) {
            let mut window = ReplayWindow::default();
            let mut seen = HashSet::new();
            let mut highest = None::<u64>;
            for seq in arrivals {
                let accepted = window.accept(seq).is_some();
                let fresh = !seen.contains(&seq);
                let too_old = highest.is_some_and(|h| seq + REPLAY_WINDOW <= h);
                prop_assert_eq!(accepted, fresh && !too_old);
                if accepted {
                    seen.insert(seq);
                    highest = highest.max(Some(seq));
                }
            }
        }
    }
}

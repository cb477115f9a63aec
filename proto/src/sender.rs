//! The sending half of SSP: numbers local states, decides when to send, and diffs each
//! new state from the newest one the peer holds (or very probably holds).
//!
//! Only the state current at send time is ever sent: states the application sets while
//! the sender waits replace each other, so a flood of output costs a few frames per round
//! trip, not one per change.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::instruction::Instruction;
use crate::rtt::RttEstimator;
use crate::state::SyncState;
use crate::timer::{Timer, TimerTable};

/// Frames are spaced by half the smoothed round trip (two per RTT), within these bounds.
pub const SEND_INTERVAL_MIN: Duration = Duration::from_millis(20);
pub const SEND_INTERVAL_MAX: Duration = Duration::from_millis(250);
/// Wait after the first change before sending, so changes that come together (a burst of
/// output, a pasted line) leave in one frame.
pub const SEND_MINDELAY: Duration = Duration::from_millis(8);
/// Acknowledge new data within this time, even when there is nothing to send back.
pub const ACK_DELAY: Duration = Duration::from_millis(100);
/// Heartbeat: an acknowledgement at least this often, so the peer knows we are alive and
/// a roaming client's new address reaches the server.
pub const ACK_INTERVAL: Duration = Duration::from_millis(3000);
/// After this long without news from the peer, stop retransmitting at frame rate and fall
/// back to one attempt per heartbeat.
pub const ACTIVE_RETRY_TIMEOUT: Duration = Duration::from_millis(10_000);
/// Sent states kept while waiting for acknowledgements; beyond it states are dropped from
/// the middle, so memory stays bounded when the peer never acknowledges.
pub const MAX_SENT_STATES: usize = 32;
/// Which state the cap drops: this many places from the newest, keeping both the
/// acknowledged base and the most recent states, the likely bases for the next diff.
const DROP_FROM_NEWEST: usize = 16;
/// A diff from the acknowledged state is preferred to a shorter one from an assumed state
/// when it costs at most this many more bytes, and stays under the total below: the peer
/// can then apply it even if the assumed state was lost.
const RESEND_FROM_ACKED_EXTRA: usize = 100;
const RESEND_FROM_ACKED_MAX: usize = 1000;

#[derive(Debug, Clone)]
struct SentState<S> {
    num: u64,
    sent_at: Instant,
    state: S,
}

#[derive(Debug)]
pub(crate) struct Sender<S> {
    current: S,
    /// Never empty. Front: the newest state the peer acknowledged. Back: the newest sent.
    sent: VecDeque<SentState<S>>,
    /// Index in `sent` of the newest state the peer probably holds: acknowledged, or sent
    /// less than a retransmission timeout ago.
    assumed: usize,
    /// The newest remote state we hold, reported in every instruction.
    ack_num: u64,
    /// New data arrived and is not acknowledged yet.
    pending_data_ack: bool,
    /// When the local state first differed from the newest sent one.
    changed_since: Option<Instant>,
    /// When a new remote state last arrived.
    last_heard: Option<Instant>,
    /// The current state is the last one ([`Sender::close`]).
    closing: bool,
    /// A state with content went out. Until then nothing is gathered: the first state of
    /// a link (the server's first screen, the client's first keystroke) is whole when it
    /// is set, and waiting for more only delays the first frame.
    sent_content: bool,
    timers: TimerTable,
}

/// Two frames per round trip, within the frame-rate bounds.
pub(crate) fn send_interval(srtt: Duration) -> Duration {
    (srtt / 2).clamp(SEND_INTERVAL_MIN, SEND_INTERVAL_MAX)
}

impl<S: SyncState> Sender<S> {
    /// Both peers start from the same state number 0; the first heartbeat is due at once,
    /// so a client makes itself known to the server without waiting.
    pub(crate) fn new(initial: S, now: Instant) -> Self {
        let mut timers = TimerTable::default();
        timers.set(Timer::Ack, now);
        Sender {
            current: initial.clone(),
            sent: VecDeque::from([SentState {
                num: 0,
                sent_at: now,
                state: initial,
            }]),
            assumed: 0,
            ack_num: 0,
            pending_data_ack: false,
            changed_since: None,
            last_heard: None,
            closing: false,
            sent_content: false,
            timers,
        }
    }

    pub(crate) fn current(&self) -> &S {
        &self.current
    }

    /// The newest state the peer acknowledged.
    pub(crate) fn acked(&self) -> &S {
        &self.sent[0].state
    }

    /// Whether the peer acknowledged the current state.
    pub(crate) fn current_acked(&self) -> bool {
        self.current == self.sent[0].state
    }

    /// Ignored once closed: the last state is final.
    pub(crate) fn set_current(&mut self, mut state: S) {
        if self.closing {
            return;
        }
        state.subtract(&self.sent[0].state);
        self.current = state;
    }

    /// Makes the current state the last: every instruction from now on says so, and one
    /// goes out at once even if the state did not change, so the peer learns it.
    pub(crate) fn close(&mut self, now: Instant) {
        self.closing = true;
        self.timers.set(Timer::Ack, now);
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing
    }

    /// Acknowledges the remote state at once instead of after the delayed-ack wait: the
    /// peer closed and waits for this before it goes.
    pub(crate) fn ack_now(&mut self, now: Instant) {
        self.timers.set(Timer::Ack, now);
    }

    /// The peer holds state `ack_num`: older sent states can never be a base again.
    /// Acknowledgements of states we no longer keep (dropped by the cap) are ignored.
    pub(crate) fn process_ack(&mut self, ack_num: u64) {
        let Some(position) = self.sent.iter().position(|sent| sent.num == ack_num) else {
            return;
        };
        if position == 0 {
            return;
        }
        self.sent.drain(..position);
        self.assumed = self.assumed.saturating_sub(position);
        let acked = self.sent[0].state.clone();
        self.current.subtract(&acked);
        for sent in &mut self.sent {
            sent.state.subtract(&acked);
        }
    }

    /// A new newest remote state arrived; `with_data` when it changed something, which
    /// makes its acknowledgement urgent.
    pub(crate) fn on_remote_state(&mut self, num: u64, with_data: bool, now: Instant) {
        self.ack_num = num;
        self.last_heard = Some(now);
        self.pending_data_ack |= with_data;
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    /// Recomputes the deadlines; call after any input, before reading them.
    pub(crate) fn update_timers(&mut self, now: Instant, rtt: &RttEstimator) {
        self.update_assumed(now, rtt.rto());
        let interval = send_interval(rtt.srtt());
        let newest_sent = &self.sent[self.sent.len() - 1];
        let active = self
            .last_heard
            .is_some_and(|heard| now < heard + ACTIVE_RETRY_TIMEOUT);
        let gather = if self.sent_content {
            SEND_MINDELAY
        } else {
            Duration::ZERO
        };
        let send_at = if self.current != newest_sent.state {
            let changed = *self.changed_since.get_or_insert(now);
            // Before any round trip was measured, the assumed 1 s would hold a new state
            // 250 ms behind the one before: the first screen of a link, which follows the
            // first exchange, waited that long. Retries keep the slower pace.
            let interval = match rtt.is_measured() {
                true => interval,
                false => SEND_INTERVAL_MIN,
            };
            Some((changed + gather).max(newest_sent.sent_at + interval))
        } else if active && self.current != self.sent[self.assumed].state {
            let retry = newest_sent.sent_at + interval;
            Some(
                self.changed_since
                    .map_or(retry, |c| retry.max(c + SEND_MINDELAY)),
            )
        } else if active && self.closing && self.current != self.sent[0].state {
            // A last state is resent at the frame rate until acknowledged: the other side
            // waits for nothing else, and the side that closes may leave soon (a client
            // that detaches gives it 2 s).
            Some(newest_sent.sent_at + interval)
        } else if active && self.current != self.sent[0].state {
            // Sent but unacknowledged: look again when the peer should have answered.
            Some(newest_sent.sent_at + rtt.rto() + ACK_DELAY)
        } else {
            None
        };
        match send_at {
            Some(at) => self.timers.set(Timer::SendState, at),
            None => self.timers.stop(Timer::SendState),
        }
        if self.pending_data_ack {
            let ack_by = now + ACK_DELAY;
            if self.timers.get(Timer::Ack).is_none_or(|at| at > ack_by) {
                self.timers.set(Timer::Ack, ack_by);
            }
        }
    }

    /// The instruction to send now, if a deadline has passed.
    pub(crate) fn poll_instruction(
        &mut self,
        now: Instant,
        rtt: &RttEstimator,
    ) -> Option<Instruction> {
        self.update_timers(now, rtt);
        let ack_due = self.timers.is_expired(Timer::Ack, now);
        if !ack_due && !self.timers.is_expired(Timer::SendState, now) {
            return None;
        }
        let (base, diff) = self.choose_base();
        let newest = self.sent.len() - 1;
        if !ack_due
            && self.current == self.sent[newest].state
            && self.current == self.sent[base].state
        {
            self.timers.stop(Timer::SendState);
            self.changed_since = None;
            return None;
        }
        let old_num = self.sent[base].num;
        let new_num = if self.current == self.sent[newest].state && !diff.is_empty() {
            // A retransmission of the newest state, perhaps from an older base.
            self.sent[newest].sent_at = now;
            self.sent[newest].num
        } else {
            // New content, or a heartbeat: a new number the peer will acknowledge.
            self.push_sent(now)
        };
        self.assumed = self.sent.len() - 1;
        self.sent_content |= !diff.is_empty();
        self.pending_data_ack = false;
        self.changed_since = None;
        self.timers.set(Timer::Ack, now + ACK_INTERVAL);
        self.timers.stop(Timer::SendState);
        Some(Instruction {
            old_num,
            new_num,
            ack_num: self.ack_num,
            throwaway_num: self.sent[0].num,
            diff,
            closing: self.closing,
        })
    }

    /// Trust unacknowledged states sent recently; one that timed out and everything after
    /// it (diffed from it) are presumed lost.
    fn update_assumed(&mut self, now: Instant, rto: Duration) {
        self.assumed = self
            .sent
            .iter()
            .skip(1)
            .take_while(|sent| now.saturating_duration_since(sent.sent_at) < rto + ACK_DELAY)
            .count();
    }

    /// Diff from the assumed state, or from the acknowledged one when that costs little
    /// more and survives the loss of the states in between.
    fn choose_base(&self) -> (usize, Vec<u8>) {
        // A last state always goes from the acknowledged base, so any one copy of it that
        // arrives is enough.
        let assumed = if self.closing { 0 } else { self.assumed };
        let diff = self.current.diff_from(&self.sent[assumed].state);
        if assumed == 0 {
            return (0, diff);
        }
        let from_acked = self.current.diff_from(&self.sent[0].state);
        let cheap = from_acked.len() <= diff.len()
            || (from_acked.len() < RESEND_FROM_ACKED_MAX
                && from_acked.len() - diff.len() < RESEND_FROM_ACKED_EXTRA);
        if cheap {
            (0, from_acked)
        } else {
            (self.assumed, diff)
        }
    }

    fn push_sent(&mut self, now: Instant) -> u64 {
        let num = self.sent[self.sent.len() - 1].num + 1;
        self.sent.push_back(SentState {
            num,
            sent_at: now,
            state: self.current.clone(),
        });
        if self.sent.len() > MAX_SENT_STATES {
            self.sent.remove(self.sent.len() - DROP_FROM_NEWEST);
        }
        num
    }

    #[cfg(test)]
    pub(crate) fn sent_states(&self) -> usize {
        self.sent.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::{text, Text};

    const MS: Duration = Duration::from_millis(1);

    fn sender(now: Instant) -> (Sender<Text>, RttEstimator) {
        let mut rtt = RttEstimator::new();
        rtt.on_sample(100 * MS); // srtt 100 ms, rto 300 ms, send interval 50 ms
        (Sender::new(text(""), now), rtt)
    }

    #[test]
    fn heartbeat_at_start_then_every_ack_interval() {
        let t0 = Instant::now();
        let (mut sender, rtt) = sender(t0);
        let first = sender.poll_instruction(t0, &rtt).unwrap();
        assert_eq!((first.old_num, first.new_num, first.diff.len()), (0, 1, 0));
        assert_eq!(sender.poll_instruction(t0, &rtt), None);
        sender.update_timers(t0, &rtt);
        assert_eq!(sender.poll_timeout(), Some(t0 + ACK_INTERVAL));
        assert_eq!(sender.poll_instruction(t0 + ACK_INTERVAL - MS, &rtt), None);
        let second = sender.poll_instruction(t0 + ACK_INTERVAL, &rtt).unwrap();
        assert_eq!((second.new_num, second.diff.len()), (2, 0));
    }

    #[test]
    fn the_first_state_with_content_goes_out_at_once_later_ones_are_gathered() {
        let t0 = Instant::now();
        let (mut sender, rtt) = sender(t0);
        sender.poll_instruction(t0, &rtt); // the opening heartbeat
        let t1 = t0 + 1000 * MS;
        sender.set_current(text("screen"));
        sender.update_timers(t1, &rtt);
        assert_eq!(sender.poll_timeout(), Some(t1));
        assert!(sender.poll_instruction(t1, &rtt).is_some());
        let t2 = t1 + 1000 * MS;
        sender.set_current(text("screen, then more"));
        sender.update_timers(t2, &rtt);
        assert_eq!(sender.poll_timeout(), Some(t2 + SEND_MINDELAY));
    }

    /// A reattach: a first state went out at once, and the session's screen follows a
    /// moment later, before any round trip was measured. It waits only the collection
    /// delay and the shortest interval, not half the assumed 1 s round trip.
    #[test]
    fn before_a_round_trip_is_measured_the_next_state_waits_the_shortest_interval() {
        let t0 = Instant::now();
        let mut rtt = RttEstimator::new();
        let mut sender = Sender::new(text(""), t0);
        sender.poll_instruction(t0, &rtt); // the opening heartbeat
        let t1 = t0 + 30 * MS;
        sender.set_current(text("windows, no screen yet"));
        let first = sender.poll_instruction(t1, &rtt);
        assert!(first.is_some(), "the first state goes out at once");
        let t2 = t1 + 3 * MS;
        sender.set_current(text("windows and the screen"));
        sender.update_timers(t2, &rtt);
        let next = (t2 + SEND_MINDELAY).max(t1 + SEND_INTERVAL_MIN);
        assert_eq!(sender.poll_timeout(), Some(next));
        // Once a round trip is known, the interval follows it again.
        let sent = sender.poll_instruction(next, &rtt).unwrap();
        rtt.on_sample(400 * MS);
        sender.process_ack(sent.new_num);
        let t3 = next + 10 * MS;
        sender.set_current(text("the next frame"));
        sender.update_timers(t3, &rtt);
        let interval = send_interval(rtt.srtt());
        assert_eq!(
            sender.poll_timeout(),
            Some((t3 + SEND_MINDELAY).max(next + interval))
        );
    }

    #[test]
    fn changes_wait_the_collection_delay_and_only_the_last_is_sent() {
        let t0 = Instant::now();
        let (mut sender, rtt) = sender(t0);
        sender.poll_instruction(t0, &rtt);
        // Content went out once: from then on changes are gathered.
        sender.set_current(text("x"));
        let content = sender.poll_instruction(t0 + 50 * MS, &rtt).unwrap();
        sender.process_ack(content.new_num);
        let t1 = t0 + 1000 * MS;
        sender.set_current(text("a"));
        sender.update_timers(t1, &rtt);
        assert_eq!(sender.poll_timeout(), Some(t1 + SEND_MINDELAY));
        sender.set_current(text("ab"));
        sender.update_timers(t1 + 5 * MS, &rtt);
        assert_eq!(sender.poll_timeout(), Some(t1 + SEND_MINDELAY));
        sender.set_current(text("abc"));
        let sent = sender.poll_instruction(t1 + SEND_MINDELAY, &rtt).unwrap();
        let mut rebuilt = text("x");
        rebuilt.apply(&sent.diff).unwrap();
        assert_eq!(rebuilt, text("abc"));
        assert_eq!(
            (sent.old_num, sent.new_num),
            (content.new_num, content.new_num + 1)
        );
    }

    #[test]
    fn frames_are_spaced_by_the_send_interval() {
        let t0 = Instant::now();
        let (mut sender, rtt) = sender(t0);
        sender.poll_instruction(t0, &rtt);
        sender.set_current(text("a"));
        sender.update_timers(t0 + MS, &rtt);
        // The heartbeat just went out: the next frame waits srtt/2 after it.
        assert_eq!(sender.poll_timeout(), Some(t0 + 50 * MS));
        assert_eq!(send_interval(Duration::from_secs(10)), SEND_INTERVAL_MAX);
        assert_eq!(send_interval(MS), SEND_INTERVAL_MIN);
    }

    #[test]
    fn unacknowledged_state_is_resent_from_the_acknowledged_base() {
        let t0 = Instant::now();
        let (mut sender, rtt) = sender(t0);
        sender.on_remote_state(1, false, t0);
        sender.set_current(text("x"));
        let first = sender.poll_instruction(t0, &rtt).unwrap();
        assert_eq!((first.old_num, first.new_num), (0, 1));
        sender.update_timers(t0, &rtt);
        let retry_at = t0 + rtt.rto() + ACK_DELAY;
        assert_eq!(sender.poll_timeout(), Some(retry_at));
        let again = sender.poll_instruction(retry_at, &rtt).unwrap();
        assert_eq!(
            (again.old_num, again.new_num, again.diff),
            (0, 1, first.diff)
        );
        sender.process_ack(1);
        let heartbeat = sender
            .poll_instruction(retry_at + ACK_INTERVAL, &rtt)
            .unwrap();
        assert_eq!((heartbeat.old_num, heartbeat.throwaway_num), (1, 1));
    }

    #[test]
    fn new_data_is_acknowledged_within_the_ack_delay() {
        let t0 = Instant::now();
        let (mut sender, rtt) = sender(t0);
        sender.poll_instruction(t0, &rtt);
        let t1 = t0 + 500 * MS;
        sender.on_remote_state(7, true, t1);
        sender.update_timers(t1, &rtt);
        assert_eq!(sender.poll_timeout(), Some(t1 + ACK_DELAY));
        let ack = sender.poll_instruction(t1 + ACK_DELAY, &rtt).unwrap();
        assert_eq!((ack.ack_num, ack.diff.len()), (7, 0));
    }

    #[test]
    fn a_silent_peer_cannot_grow_the_sent_queue() {
        let t0 = Instant::now();
        let (mut sender, rtt) = sender(t0);
        let mut now = t0;
        for i in 0..500 {
            sender.set_current(text(&i.to_string()));
            now += ACK_INTERVAL;
            assert!(sender.poll_instruction(now, &rtt).is_some());
            assert!(sender.sent_states() <= MAX_SENT_STATES);
        }
        // The acknowledged base survives the cap: diffs still start from it.
        let resend = sender.poll_instruction(now + ACK_INTERVAL, &rtt).unwrap();
        assert_eq!(resend.throwaway_num, 0);
    }

    #[test]
    fn acks_of_dropped_or_unknown_states_are_ignored() {
        let t0 = Instant::now();
        let (mut sender, rtt) = sender(t0);
        sender.poll_instruction(t0, &rtt);
        sender.process_ack(99);
        let next = sender.poll_instruction(t0 + ACK_INTERVAL, &rtt).unwrap();
        assert_eq!(next.throwaway_num, 0);
    }
}

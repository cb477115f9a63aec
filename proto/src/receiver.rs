//! The receiving half of SSP: rebuilds the peer's states from diffs, each applied only to
//! the exact state it was made from.

use std::collections::VecDeque;

use crate::instruction::Instruction;
use crate::state::{DiffError, SyncState};

/// Received states kept at most (mosh's bound). A sender that never lets us forget (its
/// acknowledgements cannot reach it) cannot make us hold more.
pub const MAX_RECEIVED_STATES: usize = 1024;

#[derive(Debug, Clone)]
struct ReceivedState<S> {
    num: u64,
    state: S,
}

/// What an instruction did to the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reception {
    /// A state newer than any we had: it is what we now acknowledge.
    Newest { with_data: bool },
    /// A state older than our newest, kept in case the sender diffs from it.
    Older,
    /// We already had this state number.
    Duplicate,
    /// We do not hold the base (never received, or already forgotten): ignored, never
    /// applied to anything else. The sender will resend from a base we acknowledged.
    UnknownBase,
}

#[derive(Debug)]
pub(crate) struct Receiver<S> {
    /// Sorted by number, never empty; the last is the newest.
    states: VecDeque<ReceivedState<S>>,
    /// The newest state as of the last [`Receiver::take_update`].
    taken: S,
}

impl<S: SyncState> Receiver<S> {
    pub(crate) fn new(initial: S) -> Self {
        Receiver {
            states: VecDeque::from([ReceivedState {
                num: 0,
                state: initial.clone(),
            }]),
            taken: initial,
        }
    }

    pub(crate) fn newest(&self) -> &S {
        &self.newest_entry().state
    }

    pub(crate) fn newest_num(&self) -> u64 {
        self.newest_entry().num
    }

    fn newest_entry(&self) -> &ReceivedState<S> {
        &self.states[self.states.len() - 1]
    }

    pub(crate) fn receive(&mut self, instruction: &Instruction) -> Result<Reception, DiffError> {
        if self.find(instruction.new_num).is_some() {
            return Ok(Reception::Duplicate);
        }
        let Some(base) = self.find(instruction.old_num) else {
            return Ok(Reception::UnknownBase);
        };
        let mut state = base.state.clone();
        let with_data = !instruction.diff.is_empty();
        if with_data {
            state.apply(&instruction.diff)?;
        }
        // The sender will never diff from a state older than its throwaway number.
        self.states.retain(|r| r.num >= instruction.throwaway_num);
        let position = self.states.partition_point(|r| r.num < instruction.new_num);
        let newest = position == self.states.len();
        self.states.insert(
            position,
            ReceivedState {
                num: instruction.new_num,
                state,
            },
        );
        if self.states.len() > MAX_RECEIVED_STATES {
            // Keep the oldest (the sender's acknowledged base) and the newest; the ones
            // between are the least likely bases. Losing one only costs a resend.
            self.states.remove(1);
        }
        Ok(if newest {
            Reception::Newest { with_data }
        } else {
            Reception::Older
        })
    }

    fn find(&self, num: u64) -> Option<&ReceivedState<S>> {
        let position = self.states.partition_point(|r| r.num < num);
        self.states.get(position).filter(|r| r.num == num)
    }

    /// The newest state, minus what earlier calls returned (see [`SyncState::subtract`]).
    ///
    /// Afterwards every held state forgets what the oldest one holds: the sender never
    /// diffs from a state older than that, and the application has taken it.
    pub(crate) fn take_update(&mut self) -> S {
        let newest = self.newest().clone();
        let mut update = newest.clone();
        update.subtract(&self.taken);
        self.taken = newest;
        let oldest = self.states[0].state.clone();
        for received in &mut self.states {
            received.state.subtract(&oldest);
        }
        update
    }

    #[cfg(test)]
    pub(crate) fn held_states(&self) -> usize {
        self.states.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::text;

    fn instruction(old_num: u64, new_num: u64, throwaway_num: u64, to: &str) -> Instruction {
        Instruction {
            old_num,
            new_num,
            ack_num: 0,
            throwaway_num,
            diff: text(to).diff_from(&text("")),
            closing: false,
        }
    }

    #[test]
    fn diffs_apply_only_to_their_own_base() {
        let mut receiver = Receiver::new(text(""));
        assert_eq!(
            receiver.receive(&instruction(3, 4, 0, "x")),
            Ok(Reception::UnknownBase)
        );
        assert_eq!(
            receiver.receive(&instruction(0, 2, 0, "b")),
            Ok(Reception::Newest { with_data: true })
        );
        assert_eq!(
            receiver.receive(&instruction(0, 1, 0, "a")),
            Ok(Reception::Older)
        );
        assert_eq!(
            receiver.receive(&instruction(0, 2, 0, "c")),
            Ok(Reception::Duplicate)
        );
        assert_eq!((receiver.newest(), receiver.newest_num()), (&text("b"), 2));
    }

    #[test]
    fn throwaway_forgets_older_states() {
        let mut receiver = Receiver::new(text(""));
        receiver.receive(&instruction(0, 1, 0, "a")).unwrap();
        receiver.receive(&instruction(1, 2, 1, "b")).unwrap();
        assert_eq!(receiver.held_states(), 2);
        assert_eq!(
            receiver.receive(&instruction(0, 3, 1, "c")),
            Ok(Reception::UnknownBase)
        );
    }

    #[test]
    fn a_bad_diff_is_an_error_and_changes_nothing() {
        let mut receiver = Receiver::new(text("kept"));
        let mut bad = instruction(0, 1, 0, "");
        bad.diff = vec![0xff; 3];
        assert!(receiver.receive(&bad).is_err());
        assert_eq!(
            (receiver.newest(), receiver.newest_num()),
            (&text("kept"), 0)
        );
    }

    #[test]
    fn a_sender_that_never_forgets_cannot_grow_the_queue() {
        let mut receiver = Receiver::new(text(""));
        for num in 1..3 * MAX_RECEIVED_STATES as u64 {
            let reception = receiver.receive(&instruction(0, num, 0, &num.to_string()));
            assert_eq!(reception, Ok(Reception::Newest { with_data: true }));
            assert!(receiver.held_states() <= MAX_RECEIVED_STATES);
        }
        assert_eq!(
            receiver.take_update(),
            text(&(3 * MAX_RECEIVED_STATES - 1).to_string())
        );
    }
}

//! Ids that every crate shares: the server names panes with them, the store keys history
//! by them, and the client draws and scrolls by them. One type each, so a pane id is never
//! mistaken for a window index, nor a line's number for a count of lines.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A pane's id, shown as `%N` as in tmux. The server's counter never reuses one, not even
/// across restarts (the history store hands out the numbers), so `%N` names one pane and
/// its history for good.
///
/// On the wire and on disk it is the bare number: serde encodes a newtype struct as its
/// inner value, so messages that carried a `u32` carry the same bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PaneId(pub u32);

impl fmt::Display for PaneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// A history line's number: 0 is a pane's oldest line ever, and a number names the same
/// line for good (retention drops the oldest lines, it never renumbers). Counts of lines
/// stay plain integers; the arithmetic here is the little that mixes the two.
///
/// Encoded as the bare `u64`, as [`PaneId`] is as its `u32`.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct LineNumber(pub u64);

impl LineNumber {
    /// The line after this one (saturating: `u64::MAX` is the last number there is).
    pub fn next(self) -> LineNumber {
        LineNumber(self.0.saturating_add(1))
    }

    /// The number `count` lines later, if there is one.
    pub fn checked_add(self, count: u64) -> Option<LineNumber> {
        self.0.checked_add(count).map(LineNumber)
    }

    /// The number `count` lines later, or the last one.
    pub fn saturating_add(self, count: u64) -> LineNumber {
        LineNumber(self.0.saturating_add(count))
    }

    /// The number `count` lines earlier, or line 0.
    pub fn saturating_sub(self, count: u64) -> LineNumber {
        LineNumber(self.0.saturating_sub(count))
    }

    /// How many lines lie from `earlier` up to this one (0 if `earlier` is not earlier).
    pub fn lines_since(self, earlier: LineNumber) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// How far apart two lines are, either way.
    pub fn distance(self, other: LineNumber) -> u64 {
        self.0.abs_diff(other.0)
    }
}

/// `line + count`: the caller knows the sum stays below `u64::MAX` (a number the store
/// handed out plus lines it holds); otherwise use `checked_add` or `saturating_add`.
impl Add<u64> for LineNumber {
    type Output = LineNumber;
    fn add(self, count: u64) -> LineNumber {
        LineNumber(self.0 + count)
    }
}

impl AddAssign<u64> for LineNumber {
    fn add_assign(&mut self, count: u64) {
        *self = *self + count;
    }
}

/// `end - start`: the count of lines in `start..end`, for a caller that knows the order.
impl Sub for LineNumber {
    type Output = u64;
    fn sub(self, start: LineNumber) -> u64 {
        self.0 - start.0
    }
}

impl fmt::Display for LineNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Pairs each of `items` with its line number, from `first` on: what `(first..).zip(..)`
/// did with bare numbers (a range of `LineNumber`s cannot iterate on stable Rust).
/// Counting by offset, so lines that end at `u64::MAX` (a peer may send them) never step
/// past it; numbers beyond it would stay at `u64::MAX`, so a caller that takes a count
/// from a peer checks it first, as `insert_lines` does.
pub fn numbered<T>(
    first: LineNumber,
    items: impl IntoIterator<Item = T>,
) -> impl Iterator<Item = (LineNumber, T)> {
    items
        .into_iter()
        .zip(0u64..)
        .map(move |(item, offset)| (first.saturating_add(offset), item))
}

/// The numbers of `range`, in order.
pub fn line_numbers(range: std::ops::Range<LineNumber>) -> impl Iterator<Item = LineNumber> {
    (range.start.0..range.end.0).map(LineNumber)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;

    /// The ids replaced bare numbers in wire messages: their encoding must be the
    /// number's, or old and new peers would not understand each other.
    #[test]
    fn ids_encode_as_their_numbers() {
        for id in [0, 1, 300, u32::MAX] {
            assert_eq!(codec::encode(&PaneId(id)), codec::encode(&id));
            assert_eq!(codec::decode::<PaneId>(&codec::encode(&id)), Ok(PaneId(id)));
        }
        for line in [0, 1, 300, u64::MAX] {
            assert_eq!(codec::encode(&LineNumber(line)), codec::encode(&line));
            assert_eq!(
                codec::decode::<LineNumber>(&codec::encode(&line)),
                Ok(LineNumber(line))
            );
        }
    }

    #[test]
    fn numbered_lines_count_up_from_the_first() {
        let lines: Vec<_> = numbered(LineNumber(7), ["a", "b"]).collect();
        assert_eq!(lines, [(LineNumber(7), "a"), (LineNumber(8), "b")]);
        // The last numbers there are: no step past `u64::MAX` (a panic with overflow checks).
        let last = LineNumber(u64::MAX - 1);
        let at_the_end: Vec<_> = numbered(last, ["y", "z"]).map(|(n, _)| n).collect();
        assert_eq!(at_the_end, [last, LineNumber(u64::MAX)]);
        assert_eq!(LineNumber(9) - LineNumber(7), 2);
        assert_eq!(LineNumber(u64::MAX).next(), LineNumber(u64::MAX));
    }

    #[test]
    fn ids_read_as_tmux_writes_them() {
        assert_eq!(PaneId(3).to_string(), "%3");
        assert_eq!(LineNumber(42).to_string(), "42");
    }
}

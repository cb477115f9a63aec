//! Scroll detection: when output scrolls a screen, the new rows are the old ones moved up
//! (or down) by k. Sending "scroll by k" and the k new rows costs a fraction of a redraw.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use super::row::Row;

/// A vertical move of a screen's contents; rows moved in from outside are blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shift {
    /// Row `i + k` moves to row `i`: output scrolled, as at the bottom of a shell.
    Up(u16),
    /// Row `i` moves to row `i + k`: reverse scrolling, as when a pager goes back a line.
    Down(u16),
}

/// Moves `rows` by `shift`, filling the vacated rows with `blank`. The caller has checked
/// that k is at most the number of rows.
pub(super) fn apply_shift(rows: &mut Vec<Arc<Row>>, shift: Shift, blank: &Arc<Row>) {
    match shift {
        Shift::Up(k) => {
            let k = usize::from(k).min(rows.len());
            rows.drain(..k);
            rows.resize(rows.len() + k, blank.clone());
        }
        Shift::Down(k) => {
            let k = usize::from(k).min(rows.len());
            rows.truncate(rows.len() - k);
            rows.splice(0..0, std::iter::repeat_n(blank.clone(), k));
        }
    }
}

fn row_hash(row: &Row) -> u64 {
    let mut hasher = DefaultHasher::new();
    row.hash(&mut hasher);
    hasher.finish()
}

/// The shift after which the most rows of `old` already match `new`, if it beats no shift
/// at all. Rows are compared by hash, so this costs O(rows²) integer comparisons (a few
/// microseconds at 60 rows); a hash collision can only pick a worse shift, never a wrong
/// diff, because the caller compares the shifted rows exactly.
pub(super) fn best_shift(old: &[Arc<Row>], new: &[Arc<Row>], blank: &Row) -> Option<Shift> {
    let n = old.len();
    if n != new.len() || n < 2 {
        return None;
    }
    let unshifted = old.iter().zip(new).filter(|(o, n)| o == n).count();
    if unshifted == n {
        return None;
    }
    let old_hashes: Vec<u64> = old.iter().map(|row| row_hash(row)).collect();
    let new_hashes: Vec<u64> = new.iter().map(|row| row_hash(row)).collect();
    let blank_hash = row_hash(blank);
    // blanks_before[i]: how many of the first i new rows are blank, so the rows a shift
    // fills with blanks are counted in O(1).
    let mut blanks_before = vec![0usize; n + 1];
    for (i, &hash) in new_hashes.iter().enumerate() {
        blanks_before[i + 1] = blanks_before[i] + usize::from(hash == blank_hash);
    }
    let mut best = (unshifted, None);
    for k in 1..n {
        let Ok(by) = u16::try_from(k) else { break };
        let up = count_equal(&new_hashes[..n - k], &old_hashes[k..])
            + (blanks_before[n] - blanks_before[n - k]);
        if up > best.0 {
            best = (up, Some(Shift::Up(by)));
        }
        let down = count_equal(&new_hashes[k..], &old_hashes[..n - k]) + blanks_before[k];
        if down > best.0 {
            best = (down, Some(Shift::Down(by)));
        }
    }
    best.1
}

fn count_equal(a: &[u64], b: &[u64]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::CellStyle;

    fn rows(texts: &[&str]) -> Vec<Arc<Row>> {
        texts
            .iter()
            .map(|text| {
                let mut builder = Row::builder(4);
                for c in text.chars() {
                    builder.push(&c.to_string(), false, CellStyle::default());
                }
                Arc::new(builder.finish(false))
            })
            .collect()
    }

    #[test]
    fn finds_scrolls_both_ways_and_prefers_no_shift_on_a_tie() {
        let blank = Row::blank(4);
        let old = rows(&["a", "b", "c", "d", "e"]);
        assert_eq!(
            best_shift(&old, &rows(&["c", "d", "e", "f", ""]), &blank),
            Some(Shift::Up(2))
        );
        assert_eq!(
            best_shift(&old, &rows(&["x", "a", "b", "c", "d"]), &blank),
            Some(Shift::Down(1))
        );
        assert_eq!(
            best_shift(&old, &rows(&["a", "x", "c", "y", "e"]), &blank),
            None
        );
        assert_eq!(
            best_shift(&rows(&["", ""]), &rows(&["a", "b"]), &blank),
            None
        );
    }

    #[test]
    fn shifting_fills_with_blank_rows() {
        let blank = Arc::new(Row::blank(4));
        let mut moved = rows(&["a", "b", "c"]);
        apply_shift(&mut moved, Shift::Up(2), &blank);
        assert_eq!(moved, rows(&["c", "", ""]));
        apply_shift(&mut moved, Shift::Down(1), &blank);
        assert_eq!(moved, rows(&["", "c", ""]));
        apply_shift(&mut moved, Shift::Down(3), &blank);
        assert_eq!(moved, rows(&["", "", ""]));
    }
}

//! Which blocks to drop so the history stays within its limits, oldest first.
//!
//! Limits work in whole blocks: a block is dropped only when the pane keeps at least
//! `max_lines_per_pane` lines without it, so a pane holds between that many and one
//! block ([`crate::block::BLOCK_LINES`]) more. A pane's open (still filling) block is
//! never dropped: it is the newest history and the writer rewrites it.

use crate::line::PaneUid;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// History limits; `None` means no limit of that kind. Bytes are what the blocks take
/// in the database (compressed), not the text's raw size.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    pub max_lines_per_pane: Option<u64>,
    pub max_bytes_per_pane: Option<u64>,
    pub max_total_bytes: Option<u64>,
}

/// What the index knows of one stored block.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    pub lines: u32,
    /// Key plus value length.
    pub bytes: u64,
    /// Global write order (see [`crate::block::BlockHeader::seq`]).
    pub seq: u64,
}

/// A pane's stored blocks by first line number, with their total size kept up to date
/// so each writer round checks the byte limits without summing every block.
#[derive(Default)]
pub struct BlockIndex {
    blocks: BTreeMap<u64, BlockInfo>,
    bytes: u64,
}

impl BlockIndex {
    pub fn insert(&mut self, first: u64, info: BlockInfo) {
        self.bytes += info.bytes;
        if let Some(old) = self.blocks.insert(first, info) {
            self.bytes -= old.bytes;
        }
    }

    pub fn remove(&mut self, first: u64) {
        if let Some(old) = self.blocks.remove(&first) {
            self.bytes -= old.bytes;
        }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl std::ops::Deref for BlockIndex {
    type Target = BTreeMap<u64, BlockInfo>;
    fn deref(&self) -> &Self::Target {
        &self.blocks
    }
}

/// One pane as retention sees it.
pub struct PaneView<'a> {
    pub pane: PaneUid,
    pub blocks: &'a BlockIndex,
    /// First line of the open block, which is never dropped.
    pub open_first: u64,
    pub next_line: u64,
}

/// Returns `(pane, first line)` of every block to delete, oldest first within a pane.
pub fn plan(limits: &Retention, panes: &[PaneView<'_>]) -> Vec<(PaneUid, u64)> {
    let mut drops = Vec::new();
    // For each pane: the first block that survives the per-pane limits, and its bytes.
    let mut survivors: Vec<(usize, u64)> = Vec::with_capacity(panes.len());
    let mut total: u64 = 0;
    for view in panes {
        let mut pane_bytes = view.blocks.bytes();
        let mut skipped = 0;
        for (&first, info) in view.blocks.range(..view.open_first) {
            let after = first + u64::from(info.lines);
            let too_many_lines = limits
                .max_lines_per_pane
                .is_some_and(|max| view.next_line.saturating_sub(after) >= max);
            let too_many_bytes = limits
                .max_bytes_per_pane
                .is_some_and(|max| pane_bytes > max);
            if !(too_many_lines || too_many_bytes) {
                break;
            }
            drops.push((view.pane, first));
            pane_bytes -= info.bytes;
            skipped += 1;
        }
        survivors.push((skipped, pane_bytes));
        total += pane_bytes;
    }
    let Some(max_total) = limits.max_total_bytes else {
        return drops;
    };
    // Across panes: repeatedly drop the globally oldest sealed block.
    let mut cursors: Vec<_> = panes
        .iter()
        .zip(&survivors)
        .map(|(view, &(skipped, _))| {
            view.blocks
                .range(..view.open_first)
                .skip(skipped)
                .peekable()
        })
        .collect();
    let mut oldest: BinaryHeap<Reverse<(u64, usize)>> = cursors
        .iter_mut()
        .enumerate()
        .filter_map(|(i, c)| c.peek().map(|(_, info)| Reverse((info.seq, i))))
        .collect();
    while total > max_total {
        let Some(Reverse((_, i))) = oldest.pop() else {
            break;
        };
        let Some((&first, info)) = cursors[i].next() else {
            continue;
        };
        drops.push((panes[i].pane, first));
        total = total.saturating_sub(info.bytes);
        if let Some((_, next)) = cursors[i].peek() {
            oldest.push(Reverse((next.seq, i)));
        }
    }
    drops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(seqs: &[u64], lines: u32, bytes: u64) -> BlockIndex {
        let mut index = BlockIndex::default();
        for (i, &seq) in seqs.iter().enumerate() {
            index.insert(i as u64 * u64::from(lines), BlockInfo { lines, bytes, seq });
        }
        index
    }

    #[test]
    fn line_limit_drops_oldest_blocks_but_keeps_at_least_the_limit() {
        let index = blocks(&[0, 1, 2, 3], 10, 100);
        let view = PaneView {
            pane: PaneUid(1),
            blocks: &index,
            open_first: 30,
            next_line: 35,
        };
        let limits = Retention {
            max_lines_per_pane: Some(12),
            ..Retention::default()
        };
        // 35 lines; without block 0 there are 25 >= 12, without 0 and 1 there are 15,
        // without 0..=2 only 5: so blocks 0 and 1 go.
        assert_eq!(
            plan(&limits, &[view]),
            vec![(PaneUid(1), 0), (PaneUid(1), 10)]
        );
    }

    #[test]
    fn total_limit_drops_globally_oldest_and_never_open_blocks() {
        let a = blocks(&[0, 2, 4], 10, 100);
        let b = blocks(&[1, 3, 5], 10, 100);
        let views = [
            PaneView {
                pane: PaneUid(1),
                blocks: &a,
                open_first: 20,
                next_line: 25,
            },
            PaneView {
                pane: PaneUid(2),
                blocks: &b,
                open_first: 20,
                next_line: 25,
            },
        ];
        let limits = Retention {
            max_total_bytes: Some(250),
            ..Retention::default()
        };
        assert_eq!(
            plan(&limits, &views),
            vec![
                (PaneUid(1), 0),
                (PaneUid(2), 0),
                (PaneUid(1), 10),
                (PaneUid(2), 10)
            ]
        );
        let everything = Retention {
            max_total_bytes: Some(0),
            ..Retention::default()
        };
        // Four sealed blocks go; the two open blocks (line 20) stay.
        assert_eq!(plan(&everything, &views).len(), 4);
    }

    #[test]
    fn per_pane_bytes_then_total() {
        let a = blocks(&[0, 1, 2, 3], 10, 100);
        let view = PaneView {
            pane: PaneUid(7),
            blocks: &a,
            open_first: 40,
            next_line: 40,
        };
        let limits = Retention {
            max_bytes_per_pane: Some(250),
            max_total_bytes: Some(150),
            ..Retention::default()
        };
        assert_eq!(
            plan(&limits, &[view]),
            vec![(PaneUid(7), 0), (PaneUid(7), 10), (PaneUid(7), 20)]
        );
    }
}

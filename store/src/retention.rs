//! Which blocks to drop so the history stays within its limits, oldest first.
//!
//! Limits work in whole blocks: a block is dropped only when the pane keeps at least
//! `max_lines_per_pane` lines without it, so a pane holds between that many and one
//! block ([`crate::block::BLOCK_LINES`]) more. A pane's open (still filling) block is
//! never dropped: it is the newest history and the writer rewrites it.

use moshmux_proto::PaneId;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

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

/// What the store keeps in memory of a pane's stored blocks: a summary, not a list, so
/// memory does not grow with the history kept (docs/history-store.md, "Memory"). Reads
/// and retention find the blocks themselves in the database, where a block's key holds
/// its first line; a pane's blocks join without gaps, so the summary knows where each
/// remaining one starts.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredBlocks {
    /// First line of the oldest stored block.
    oldest: Option<u64>,
    /// The newest stored block, which the writer rewrites while it fills.
    newest: Option<(u64, BlockInfo)>,
    count: u64,
    bytes: u64,
}

impl StoredBlocks {
    /// A block was written: the newest one again, or a new newest after it.
    pub fn written(&mut self, first: u64, info: BlockInfo) {
        match self.newest {
            Some((newest, old)) if newest == first => {
                self.bytes = self.bytes.saturating_sub(old.bytes) + info.bytes;
            }
            _ => {
                self.count += 1;
                self.bytes += info.bytes;
                self.oldest.get_or_insert(first);
            }
        }
        if self.newest.is_none_or(|(newest, _)| first >= newest) {
            self.newest = Some((first, info));
        }
    }

    /// The oldest block, which starts at `first`, was deleted.
    pub fn dropped_oldest(&mut self, first: u64, info: BlockInfo) {
        self.count = self.count.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(info.bytes);
        if self.count == 0 {
            *self = StoredBlocks::default();
        } else {
            self.oldest = Some(first + u64::from(info.lines));
        }
    }

    pub fn oldest(&self) -> Option<u64> {
        self.oldest
    }

    pub fn newest(&self) -> Option<(u64, BlockInfo)> {
        self.newest
    }

    /// Write order of the stored block starting at `first`, if it is the newest (the
    /// one a write round may rewrite).
    pub fn seq_of_newest(&self, first: u64) -> Option<u64> {
        self.newest
            .filter(|(newest, _)| *newest == first)
            .map(|(_, info)| info.seq)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// One pane as retention sees it.
pub struct PaneView {
    pub pane: PaneId,
    pub blocks: StoredBlocks,
    /// First line of the open block, which is never dropped.
    pub open_first: u64,
    pub next_line: u64,
    /// The pane's own line limit (tmux's `history-limit`, given by the daemon when the
    /// pane starts) in place of [`Retention::max_lines_per_pane`]; `Some(None)`: none.
    pub own_line_limit: Option<Option<u64>>,
}

/// Stored blocks of one pane from its oldest on, read `FETCH` at a time and only when
/// retention needs to look: under its limits it reads nothing.
struct Cursor {
    pane: PaneId,
    from: u64,
    until: u64,
    buffered: VecDeque<(u64, BlockInfo)>,
}

/// Blocks a cursor reads at once; at a steady limit a round drops about one.
const FETCH: usize = 8;

impl Cursor {
    fn new(view: &PaneView) -> Cursor {
        Cursor {
            pane: view.pane,
            from: view.blocks.oldest().unwrap_or(view.open_first),
            until: view.open_first,
            buffered: VecDeque::new(),
        }
    }

    fn peek<E>(
        &mut self,
        fetch: &mut impl FnMut(Fetch) -> Result<Vec<(u64, BlockInfo)>, E>,
    ) -> Result<Option<(u64, BlockInfo)>, E> {
        if self.buffered.is_empty() && self.from < self.until {
            let blocks = fetch(Fetch {
                pane: self.pane,
                from: self.from,
                until: self.until,
                most: FETCH,
            })?;
            match blocks.last() {
                Some(&(first, _)) => self.from = first + 1,
                None => self.from = self.until,
            }
            self.buffered.extend(blocks);
        }
        Ok(self.buffered.front().copied())
    }

    /// Where the next block starts, or a line at or before that if it is not read yet.
    fn next_start(&self) -> u64 {
        self.buffered.front().map_or(self.from, |&(first, _)| first)
    }

    fn advance(&mut self) {
        self.buffered.pop_front();
    }
}

/// A request for stored blocks: up to `most` of `pane`'s, in line order, whose first line
/// is in `from..until`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fetch {
    pub pane: PaneId,
    pub from: u64,
    pub until: u64,
    pub most: usize,
}

/// Returns every block to delete with what it held, oldest first within a pane. `fetch`
/// reads stored blocks (from the database); it is called only for panes that may be
/// over a limit.
pub fn plan<E>(
    limits: &Retention,
    panes: &[PaneView],
    mut fetch: impl FnMut(Fetch) -> Result<Vec<(u64, BlockInfo)>, E>,
) -> Result<Vec<(PaneId, u64, BlockInfo)>, E> {
    let mut drops = Vec::new();
    let mut cursors: Vec<Cursor> = panes.iter().map(Cursor::new).collect();
    let mut total: u64 = 0;
    for (view, cursor) in panes.iter().zip(&mut cursors) {
        let mut pane_bytes = view.blocks.bytes();
        let max_lines = view.own_line_limit.unwrap_or(limits.max_lines_per_pane);
        loop {
            // Without reading: a block ends at least one line after it starts.
            let lines_over = |after: u64| {
                max_lines.is_some_and(|max| view.next_line.saturating_sub(after) >= max)
            };
            let bytes_over = limits
                .max_bytes_per_pane
                .is_some_and(|max| pane_bytes > max);
            if !bytes_over && !lines_over(cursor.next_start().saturating_add(1)) {
                break;
            }
            let Some((first, info)) = cursor.peek(&mut fetch)? else {
                break;
            };
            if !bytes_over && !lines_over(first + u64::from(info.lines)) {
                break;
            }
            cursor.advance();
            drops.push((view.pane, first, info));
            pane_bytes = pane_bytes.saturating_sub(info.bytes);
        }
        total += pane_bytes;
    }
    let Some(max_total) = limits.max_total_bytes else {
        return Ok(drops);
    };
    if total <= max_total {
        return Ok(drops);
    }
    // Across panes: repeatedly drop the globally oldest sealed block.
    let mut oldest = BinaryHeap::new();
    for (i, cursor) in cursors.iter_mut().enumerate() {
        if let Some((_, info)) = cursor.peek(&mut fetch)? {
            oldest.push(Reverse((info.seq, i)));
        }
    }
    while total > max_total {
        let Some(Reverse((_, i))) = oldest.pop() else {
            break;
        };
        let Some((first, info)) = cursors[i].peek(&mut fetch)? else {
            continue;
        };
        cursors[i].advance();
        drops.push((panes[i].pane, first, info));
        total = total.saturating_sub(info.bytes);
        if let Some((_, next)) = cursors[i].peek(&mut fetch)? {
            oldest.push(Reverse((next.seq, i)));
        }
    }
    Ok(drops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Stored blocks of several panes, as the database would list them.
    struct Stored(BTreeMap<(PaneId, u64), BlockInfo>);

    impl Stored {
        fn add(&mut self, pane: PaneId, seqs: &[u64], lines: u32, bytes: u64) -> StoredBlocks {
            let mut summary = StoredBlocks::default();
            for (i, &seq) in seqs.iter().enumerate() {
                let first = i as u64 * u64::from(lines);
                let info = BlockInfo { lines, bytes, seq };
                self.0.insert((pane, first), info);
                summary.written(first, info);
            }
            summary
        }

        fn plan(&self, limits: &Retention, views: &[PaneView]) -> Vec<(PaneId, u64)> {
            let fetch = |f: Fetch| {
                Ok::<_, ()>(
                    (self.0.range((f.pane, f.from)..(f.pane, f.until)))
                        .take(f.most)
                        .map(|(&(_, first), &info)| (first, info))
                        .collect(),
                )
            };
            let drops = plan(limits, views, fetch).expect("no error");
            drops.into_iter().map(|(p, first, _)| (p, first)).collect()
        }
    }

    fn stored() -> Stored {
        Stored(BTreeMap::new())
    }

    #[test]
    fn line_limit_drops_oldest_blocks_but_keeps_at_least_the_limit() {
        let mut db = stored();
        let view = PaneView {
            pane: PaneId(1),
            blocks: db.add(PaneId(1), &[0, 1, 2, 3], 10, 100),
            open_first: 30,
            next_line: 35,
            own_line_limit: None,
        };
        let limits = Retention {
            max_lines_per_pane: Some(12),
            ..Retention::default()
        };
        // 35 lines; without block 0 there are 25 >= 12, without 0 and 1 there are 15,
        // without 0..=2 only 5: so blocks 0 and 1 go.
        assert_eq!(
            db.plan(&limits, &[view]),
            vec![(PaneId(1), 0), (PaneId(1), 10)]
        );
    }

    #[test]
    fn a_panes_own_line_limit_replaces_the_stores() {
        let mut db = stored();
        let view = |pane, own_line_limit, db: &mut Stored| PaneView {
            pane,
            blocks: db.add(pane, &[0, 1, 2, 3], 10, 100),
            open_first: 30,
            next_line: 35,
            own_line_limit,
        };
        let views = [
            view(PaneId(1), Some(Some(12)), &mut db),
            view(PaneId(2), None, &mut db),
            view(PaneId(3), Some(None), &mut db),
        ];
        let limits = Retention {
            max_lines_per_pane: Some(22),
            ..Retention::default()
        };
        // Pane 1 keeps 15 of 35 lines (its own 12), pane 2 keeps 25 (the store's 22),
        // pane 3 keeps everything.
        assert_eq!(
            db.plan(&limits, &views),
            vec![(PaneId(1), 0), (PaneId(1), 10), (PaneId(2), 0)]
        );
    }

    #[test]
    fn total_limit_drops_globally_oldest_and_never_open_blocks() {
        let mut db = stored();
        let views = [
            PaneView {
                pane: PaneId(1),
                blocks: db.add(PaneId(1), &[0, 2, 4], 10, 100),
                open_first: 20,
                next_line: 25,
                own_line_limit: None,
            },
            PaneView {
                pane: PaneId(2),
                blocks: db.add(PaneId(2), &[1, 3, 5], 10, 100),
                open_first: 20,
                next_line: 25,
                own_line_limit: None,
            },
        ];
        let limits = Retention {
            max_total_bytes: Some(250),
            ..Retention::default()
        };
        assert_eq!(
            db.plan(&limits, &views),
            vec![
                (PaneId(1), 0),
                (PaneId(2), 0),
                (PaneId(1), 10),
                (PaneId(2), 10)
            ]
        );
        let everything = Retention {
            max_total_bytes: Some(0),
            ..Retention::default()
        };
        // Four sealed blocks go; the two open blocks (line 20) stay.
        assert_eq!(db.plan(&everything, &views).len(), 4);
    }

    #[test]
    fn per_pane_bytes_then_total() {
        let mut db = stored();
        let view = PaneView {
            pane: PaneId(7),
            blocks: db.add(PaneId(7), &[0, 1, 2, 3], 10, 100),
            open_first: 40,
            next_line: 40,
            own_line_limit: None,
        };
        let limits = Retention {
            max_bytes_per_pane: Some(250),
            max_total_bytes: Some(150),
            ..Retention::default()
        };
        assert_eq!(
            db.plan(&limits, &[view]),
            vec![(PaneId(7), 0), (PaneId(7), 10), (PaneId(7), 20)]
        );
    }

    #[test]
    fn under_the_limits_nothing_is_read() {
        let mut db = stored();
        let view = PaneView {
            pane: PaneId(3),
            blocks: db.add(PaneId(3), &[0, 1, 2], 256, 1000),
            open_first: 768,
            next_line: 800,
            own_line_limit: None,
        };
        let limits = Retention {
            max_lines_per_pane: Some(1000),
            max_bytes_per_pane: Some(3000),
            max_total_bytes: Some(3000),
        };
        let mut fetched = 0;
        let drops = plan(&limits, &[view], |_| {
            fetched += 1;
            Ok::<Vec<(u64, BlockInfo)>, ()>(Vec::new())
        });
        assert_eq!(drops, Ok(Vec::new()));
        assert_eq!(fetched, 0);
    }

    #[test]
    fn the_summary_follows_writes_rewrites_and_drops() {
        let info = |lines, bytes, seq| BlockInfo { lines, bytes, seq };
        let mut blocks = StoredBlocks::default();
        blocks.written(0, info(256, 100, 0));
        blocks.written(256, info(10, 20, 1));
        blocks.written(256, info(30, 50, 1));
        assert_eq!(blocks.bytes(), 150);
        assert_eq!(blocks.seq_of_newest(256), Some(1));
        assert_eq!(blocks.seq_of_newest(0), None);
        blocks.dropped_oldest(0, info(256, 100, 0));
        assert_eq!((blocks.oldest(), blocks.bytes()), (Some(256), 50));
        blocks.dropped_oldest(256, info(30, 50, 1));
        assert_eq!(blocks, StoredBlocks::default());
    }
}

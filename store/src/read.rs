//! Range reads and search. A read sees one history: blocks from the database below the
//! open block, and lines from memory (not yet written, or the open block) above it, so a
//! reader never sees a gap while the writer is behind.

use crate::block::{self, BLOCK_LINES};
use crate::line::{PaneUid, StoredLine};
use crate::state::Shared;
use crate::StoreError;
use std::ops::Range;

/// Lines `first..first + lines.len()` of a pane's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryPage {
    /// Number of the first line returned. Larger than the range asked for when retention
    /// has already dropped the older lines.
    pub first: u64,
    pub lines: Vec<StoredLine>,
}

/// Which way a search goes from its starting line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Lines `from..` in increasing order.
    Newer,
    /// Lines `..from` in decreasing order.
    Older,
}

pub fn read(shared: &Shared, pane: PaneUid, range: Range<u64>) -> Result<HistoryPage, StoreError> {
    let (start, end, disk_blocks, memory) = {
        let state = shared.lock();
        let pane_state = state
            .panes
            .get(&pane)
            .ok_or(StoreError::UnknownPane(pane))?;
        let start = range.start.max(pane_state.first_retained());
        let end = range.end.min(pane_state.next_line());
        if start >= end {
            return Ok(HistoryPage {
                first: start.min(pane_state.next_line()),
                lines: Vec::new(),
            });
        }
        let open_first = pane_state.open_first;
        let memory_from = start.max(open_first);
        let memory: Vec<StoredLine> = if memory_from < end {
            let lo = (memory_from - open_first) as usize;
            let hi = (end - open_first) as usize;
            pane_state.open_lines.range(lo..hi).cloned().collect()
        } else {
            Vec::new()
        };
        let disk_end = end.min(open_first);
        let mut disk_blocks = Vec::new();
        if start < disk_end {
            if let Some((&first, _)) = pane_state.blocks.range(..=start).next_back() {
                disk_blocks.push(first);
            }
            disk_blocks.extend(
                pane_state
                    .blocks
                    .range(start + 1..disk_end)
                    .map(|(&f, _)| f),
            );
        }
        (start, end, disk_blocks, (memory_from, memory))
    };

    let disk_end = end.min(memory.0);
    let mut page = HistoryPage {
        first: start,
        lines: Vec::with_capacity((end - start) as usize),
    };
    let mut next = None;
    for first in disk_blocks {
        let Some(value) = shared.with_backend(|b| b.get(&block::block_key(pane, first)))? else {
            // Retention may drop this block, and the older ones we already read, while
            // we read: then the page starts after it. Any other missing block is damage.
            let dropped = shared
                .lock()
                .panes
                .get(&pane)
                .is_none_or(|p| p.first_retained() > first);
            if dropped {
                page.lines.clear();
                next = None;
                continue;
            }
            return Err(StoreError::Corrupt(format!(
                "block {first} of {pane} vanished between newer and older lines"
            )));
        };
        let lines = block::decode_block(&value)?;
        let lo = start.max(first);
        let hi = disk_end.min(first + lines.len() as u64);
        if next.is_some_and(|n| n != lo) || lo >= hi {
            return Err(StoreError::Corrupt(format!(
                "blocks of {pane} do not join at line {lo}"
            )));
        }
        let wanted = lines
            .get((lo - first) as usize..(hi - first) as usize)
            .ok_or_else(|| StoreError::Corrupt(format!("block {first} of {pane} is short")))?;
        if next.is_none() {
            page.first = lo;
        }
        page.lines.extend_from_slice(wanted);
        next = Some(hi);
    }
    let (memory_from, memory_lines) = memory;
    if !memory_lines.is_empty() {
        if next.is_some_and(|n| n != memory_from) {
            return Err(StoreError::Corrupt(format!(
                "stored history of {pane} ends before line {memory_from}"
            )));
        }
        if next.is_none() {
            page.first = memory_from;
        }
        page.lines.extend(memory_lines);
    }
    Ok(page)
}

/// Finds the nearest line containing `needle`, reading block-sized pages so each block
/// is decompressed once and memory stays small however long the history is.
pub fn search(
    shared: &Shared,
    pane: PaneUid,
    needle: &str,
    direction: Direction,
    from: u64,
) -> Result<Option<u64>, StoreError> {
    let page_lines = BLOCK_LINES as u64;
    let (first, next_line) = {
        let state = shared.lock();
        let pane_state = state
            .panes
            .get(&pane)
            .ok_or(StoreError::UnknownPane(pane))?;
        (pane_state.first_retained(), pane_state.next_line())
    };
    match direction {
        Direction::Newer => {
            let mut pos = from.max(first);
            while pos < next_line {
                let page_end = ((pos / page_lines + 1) * page_lines).min(next_line);
                let page = read(shared, pane, pos..page_end)?;
                if let Some(i) = page.lines.iter().position(|l| l.text.contains(needle)) {
                    return Ok(Some(page.first + i as u64));
                }
                pos = page_end.max(page.first + page.lines.len() as u64);
            }
        }
        Direction::Older => {
            let mut end = from.min(next_line);
            while end > first {
                let page_start = ((end - 1) / page_lines * page_lines).max(first);
                let page = read(shared, pane, page_start..end)?;
                if let Some(i) = page.lines.iter().rposition(|l| l.text.contains(needle)) {
                    return Ok(Some(page.first + i as u64));
                }
                end = page_start;
            }
        }
    }
    Ok(None)
}

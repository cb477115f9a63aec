//! Range reads and search. A read sees one history: blocks from the database below the
//! open block, and lines from memory (not yet written, or the open block) above it, so a
//! reader never sees a gap while the writer is behind.

use crate::block::{self, BLOCK_LINES};
use crate::state::Shared;
use crate::StoreError;
use moshmux_proto::ids::numbered;
use moshmux_proto::screen::Row;
use moshmux_proto::{LineNumber, PaneId};
use std::ops::Range;

/// Lines `first..first + lines.len()` of a pane's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryPage {
    /// Number of the first line returned. Larger than the range asked for when retention
    /// has already dropped the older lines.
    pub first: LineNumber,
    pub lines: Vec<Row>,
}

impl HistoryPage {
    /// Each line with its number, oldest first.
    pub fn numbered(&self) -> impl Iterator<Item = (LineNumber, &Row)> {
        numbered(self.first, &self.lines)
    }
}

/// Which way a search goes from its starting line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Lines `from..` in increasing order.
    Newer,
    /// Lines `..from` in decreasing order.
    Older,
}

/// What a range read takes from where: the blocks on disk, then the lines in memory.
struct ReadPlan {
    start: u64,
    end: u64,
    /// Where the lines in memory start, and those of them inside the range; the blocks
    /// on disk hold the lines below.
    memory_from: u64,
    memory: Vec<Row>,
}

impl ReadPlan {
    /// Under the lock: where the lines in memory start, and a copy of those wanted.
    fn make(shared: &Shared, pane: PaneId, range: Range<u64>) -> Result<ReadPlan, StoreError> {
        let state = shared.lock();
        let pane_state = state
            .panes
            .get(&pane)
            .ok_or(StoreError::UnknownPane(pane))?;
        let start = range.start.max(pane_state.first_retained());
        let end = range.end.min(pane_state.next_line()).max(start);
        let open_first = pane_state.open_first;
        let memory_from = start.max(open_first);
        let memory: Vec<Row> = if memory_from < end {
            let lo = (memory_from - open_first) as usize;
            let hi = (end - open_first) as usize;
            pane_state.open_lines.range(lo..hi).cloned().collect()
        } else {
            Vec::new()
        };
        Ok(ReadPlan {
            start: start.min(pane_state.next_line()),
            end,
            memory_from,
            memory,
        })
    }

    /// Hands `visit` each disk block's value and the lines of it inside the range, oldest
    /// first, checking that they join; then gives the lines in memory. Returns the number
    /// of the first line visited. The blocks come from one snapshot of the database,
    /// taken after the plan: every block below the lines in memory is in it, though
    /// retention may have dropped the oldest, which makes the page start later.
    fn walk(
        self,
        shared: &Shared,
        pane: PaneId,
        mut visit: impl FnMut(BlockPart<'_>) -> Result<(), StoreError>,
    ) -> Result<(u64, Vec<Row>), StoreError> {
        let disk_end = self.end.min(self.memory_from);
        let mut first_visited = None;
        let mut next = None;
        if self.start < disk_end {
            let floor = block::block_key(pane, 0);
            let at = block::block_key(pane, self.start);
            let end = block::block_key(pane, disk_end);
            shared.with_backend(|backend| {
                backend.scan_covering(&floor, &at, &end, |key, value| {
                    let (_, first) = block::parse_block_key(key)?;
                    let lines = u64::from(block::decode_header(value)?.lines);
                    let lo = self.start.max(first);
                    let hi = disk_end.min(first + lines);
                    if lo >= hi && next.is_none() {
                        // The block before the range's start ends before it: retention
                        // dropped the block that held it.
                        return Ok(true);
                    }
                    if next.is_some_and(|n| n != lo) || lo >= hi {
                        return Err(StoreError::Corrupt(format!(
                            "blocks of {pane} do not join at line {lo}"
                        )));
                    }
                    visit(BlockPart {
                        value,
                        first,
                        wanted: lo..hi,
                    })?;
                    first_visited.get_or_insert(lo);
                    next = Some(hi);
                    Ok::<bool, StoreError>(true)
                })
            })?;
        }
        if !self.memory.is_empty() {
            if next.is_some_and(|n| n != self.memory_from) {
                return Err(StoreError::Corrupt(format!(
                    "stored history of {pane} ends before line {}",
                    self.memory_from
                )));
            }
            first_visited.get_or_insert(self.memory_from);
        }
        Ok((first_visited.unwrap_or(self.start), self.memory))
    }
}

/// What [`ReadPlan::walk`] hands over: a block's stored value, the number of its first
/// line, and the lines of it wanted.
struct BlockPart<'a> {
    value: &'a [u8],
    first: u64,
    wanted: Range<u64>,
}

/// The lines of one block that the range wants.
fn wanted_lines(
    lines: Vec<Row>,
    pane: PaneId,
    first: u64,
    wanted: Range<u64>,
) -> Result<impl Iterator<Item = (u64, Row)>, StoreError> {
    let (lo, hi) = (
        (wanted.start - first) as usize,
        (wanted.end - first) as usize,
    );
    if hi > lines.len() {
        return Err(StoreError::Corrupt(format!(
            "block {first} of {pane} is short"
        )));
    }
    Ok((wanted.start..).zip(lines.into_iter().take(hi).skip(lo)))
}

pub fn read(shared: &Shared, pane: PaneId, range: Range<u64>) -> Result<HistoryPage, StoreError> {
    let plan = ReadPlan::make(shared, pane, range)?;
    let mut lines = Vec::with_capacity((plan.end - plan.start) as usize);
    let (first, memory) = plan.walk(shared, pane, |part| {
        let decoded = block::decode_block(part.value)?;
        lines.extend(wanted_lines(decoded, pane, part.first, part.wanted)?.map(|(_, line)| line));
        Ok(())
    })?;
    lines.extend(memory);
    Ok(HistoryPage {
        first: LineNumber(first),
        lines,
    })
}

/// The numbers of the lines in `range` whose text contains `needle`, oldest first.
///
/// A block is decompressed and its bytes scanned for the needle (memchr's memmem); only a
/// block where the bytes hold it is decoded into lines. The encoded text is the line's
/// UTF-8 as is, so a line that contains the needle always makes its block's bytes contain
/// it, and decoding weeds out the rare hit that straddles fields. Most blocks of a long
/// history hold no match, and decoding every line was nearly all of a search's time.
pub fn matching_lines(
    shared: &Shared,
    pane: PaneId,
    range: Range<u64>,
    needle: &str,
) -> Result<Vec<u64>, StoreError> {
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let plan = ReadPlan::make(shared, pane, range)?;
    let memory_from = plan.memory_from;
    let mut found = Vec::new();
    let (_, memory) = plan.walk(shared, pane, |part| {
        let Some(lines) = block::decode_block_if(part.value, |raw| finder.find(raw).is_some())?
        else {
            return Ok(());
        };
        found.extend(
            wanted_lines(lines, pane, part.first, part.wanted)?
                .filter(|(_, line)| finder.find(line.text().as_bytes()).is_some())
                .map(|(number, _)| number),
        );
        Ok(())
    })?;
    found.extend(
        (memory_from..)
            .zip(&memory)
            .filter(|(_, line)| finder.find(line.text().as_bytes()).is_some())
            .map(|(number, _)| number),
    );
    Ok(found)
}

/// Finds the nearest line containing `needle`, reading block-sized pages so each block
/// is decompressed once and memory stays small however long the history is.
pub fn search(
    shared: &Shared,
    pane: PaneId,
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
                if let Some(&hit) = matching_lines(shared, pane, pos..page_end, needle)?.first() {
                    return Ok(Some(hit));
                }
                pos = page_end;
            }
        }
        Direction::Older => {
            let mut end = from.min(next_line);
            while end > first {
                let page_start = ((end - 1) / page_lines * page_lines).max(first);
                if let Some(&hit) = matching_lines(shared, pane, page_start..end, needle)?.last() {
                    return Ok(Some(hit));
                }
                end = page_start;
            }
        }
    }
    Ok(None)
}

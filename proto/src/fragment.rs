//! Instructions larger than one datagram travel as numbered fragments.
//!
//! Fragment layout: `instruction id (u64 BE) || final bit << 15 | number (u16 BE) ||
//! contents`. Ids grow with each new instruction; a byte-identical retransmission keeps
//! its id, so fragments from different transmissions of one instruction combine and a
//! lossy link needs only one copy of each fragment to arrive, not one whole transmission.
//!
//! The receiver keeps only what can still matter: an instruction older than the newest
//! one completed is superseded (SSP always sends the newest state), and everything held
//! for unfinished instructions is capped, so a misbehaving peer cannot grow our memory.

use std::collections::BTreeMap;

/// Bytes of id and number in front of each fragment's contents.
pub const FRAGMENT_HEADER_LEN: usize = 10;
/// Largest instruction the fragmenter sends and the reassembler accepts. Screen diffs are
/// far smaller; a caller with more to say (a huge paste) must split it into states.
pub const MAX_INSTRUCTION_LEN: usize = 4 << 20;
/// Most fragments one instruction may have. The wire allows 2^15; this bounds the
/// bookkeeping a peer can make us hold with empty fragments.
pub const MAX_FRAGMENTS: u16 = 4096;
/// Unfinished instructions held at once: enough for several to overlap on a reordering
/// link, few enough that a peer cannot spread memory across many ids.
const MAX_PARTIALS: usize = 4;
/// Contents bytes held across all unfinished instructions: room for one instruction of
/// the largest size plus others in flight.
const MAX_HELD_BYTES: usize = 2 * MAX_INSTRUCTION_LEN;

const FINAL_BIT: u16 = 1 << 15;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub instruction_id: u64,
    /// Position within the instruction, from 0; must be below 2^15.
    pub number: u16,
    pub is_final: bool,
    pub contents: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    #[error("fragment of {0} bytes is shorter than the {FRAGMENT_HEADER_LEN}-byte header")]
    Truncated(usize),
}

impl Fragment {
    /// # Panics
    /// If `number` does not fit in 15 bits; the fragmenter never makes such a fragment.
    pub fn encode(&self) -> Vec<u8> {
        assert!(
            self.number < FINAL_BIT,
            "fragment number {} too large",
            self.number
        );
        let flags = if self.is_final { FINAL_BIT } else { 0 };
        let mut bytes = Vec::with_capacity(FRAGMENT_HEADER_LEN + self.contents.len());
        bytes.extend_from_slice(&self.instruction_id.to_be_bytes());
        bytes.extend_from_slice(&(flags | self.number).to_be_bytes());
        bytes.extend_from_slice(&self.contents);
        bytes
    }

    pub fn decode(bytes: &[u8]) -> Result<Fragment, FragmentError> {
        let truncated = FragmentError::Truncated(bytes.len());
        let (id, rest) = bytes.split_first_chunk::<8>().ok_or(truncated)?;
        let (number, contents) = rest.split_first_chunk::<2>().ok_or(truncated)?;
        let number = u16::from_be_bytes(*number);
        Ok(Fragment {
            instruction_id: u64::from_be_bytes(*id),
            number: number & !FINAL_BIT,
            is_final: number & FINAL_BIT != 0,
            contents: contents.to_vec(),
        })
    }
}

/// Splits outgoing instructions and numbers them.
#[derive(Debug, Default)]
pub struct Fragmenter {
    next_id: u64,
    last: Option<LastInstruction>,
}

/// The previous instruction, kept whole so that a retransmission is recognised exactly
/// (a hash could collide and mix two instructions' fragments).
#[derive(Debug)]
struct LastInstruction {
    id: u64,
    max_payload: usize,
    bytes: Vec<u8>,
}

impl Fragmenter {
    pub fn new() -> Fragmenter {
        Fragmenter::default()
    }

    /// Splits `instruction` so that each fragment's encoding fits in `max_payload` bytes.
    /// The same bytes with the same budget as last time keep the last id; anything else
    /// gets a new one (a different budget splits differently, so it must not share ids).
    ///
    /// # Panics
    /// If `max_payload <= FRAGMENT_HEADER_LEN`, if `instruction` is longer than
    /// [`MAX_INSTRUCTION_LEN`], or if it needs more than [`MAX_FRAGMENTS`] fragments: the
    /// peer would drop such an instruction forever, so sending it is a bug in the caller.
    pub fn make_fragments(&mut self, instruction: &[u8], max_payload: usize) -> Vec<Fragment> {
        assert!(
            max_payload > FRAGMENT_HEADER_LEN,
            "payload budget {max_payload} leaves no room for fragment contents"
        );
        assert!(
            instruction.len() <= MAX_INSTRUCTION_LEN,
            "instruction of {} bytes exceeds MAX_INSTRUCTION_LEN",
            instruction.len()
        );
        let chunk_len = max_payload - FRAGMENT_HEADER_LEN;
        let count = instruction.len().div_ceil(chunk_len).max(1);
        assert!(
            count <= usize::from(MAX_FRAGMENTS),
            "instruction needs {count} fragments, more than MAX_FRAGMENTS"
        );

        let id = match &self.last {
            Some(last) if last.max_payload == max_payload && last.bytes == instruction => last.id,
            _ => {
                let id = self.next_id;
                self.next_id += 1;
                self.last = Some(LastInstruction {
                    id,
                    max_payload,
                    bytes: instruction.to_vec(),
                });
                id
            }
        };

        let mut chunks: Vec<&[u8]> = instruction.chunks(chunk_len).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        (0..count)
            .zip(chunks)
            .map(|(number, contents)| Fragment {
                instruction_id: id,
                number: number as u16,
                is_final: number + 1 == count,
                contents: contents.to_vec(),
            })
            .collect()
    }
}

/// Puts incoming fragments back together into instructions.
#[derive(Debug, Default)]
pub struct Reassembler {
    partials: BTreeMap<u64, Partial>,
    newest_completed: Option<u64>,
    bytes_held: usize,
    dropped: u64,
}

#[derive(Debug, Default)]
struct Partial {
    pieces: BTreeMap<u16, Vec<u8>>,
    final_number: Option<u16>,
    len: usize,
}

impl Partial {
    /// Whether `fragment` can belong here: not a duplicate, and consistent with where the
    /// instruction ends.
    fn accepts(&self, fragment: &Fragment) -> bool {
        let highest = self.pieces.last_key_value().map(|(&number, _)| number);
        !self.pieces.contains_key(&fragment.number)
            && self.final_number.is_none_or(|last| {
                fragment.number <= last && (!fragment.is_final || fragment.number == last)
            })
            && (!fragment.is_final || highest.is_none_or(|h| h <= fragment.number))
            && self.len + fragment.contents.len() <= MAX_INSTRUCTION_LEN
    }
}

impl Reassembler {
    pub fn new() -> Reassembler {
        Reassembler::default()
    }

    /// Fragments thrown away without adding to an instruction: duplicates, stale ids,
    /// inconsistent numbering, and fragments of unfinished instructions evicted for room.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Contents bytes held for unfinished instructions.
    pub fn bytes_held(&self) -> usize {
        self.bytes_held
    }

    /// Takes one fragment; returns the instruction it completes, if any. A retransmission
    /// of the newest completed instruction is a duplicate and yields nothing again.
    pub fn add(&mut self, fragment: Fragment) -> Option<Vec<u8>> {
        let id = fragment.instruction_id;
        let stale = self.newest_completed.is_some_and(|newest| id <= newest);
        let fits = self
            .partials
            .get(&id)
            .map_or(fragment.contents.len() <= MAX_INSTRUCTION_LEN, |partial| {
                partial.accepts(&fragment)
            });
        if stale || fragment.number >= MAX_FRAGMENTS || !fits || !self.make_room(&fragment) {
            self.dropped += 1;
            return None;
        }

        let partial = self.partials.entry(id).or_default();
        if fragment.is_final {
            partial.final_number = Some(fragment.number);
        }
        partial.len += fragment.contents.len();
        self.bytes_held += fragment.contents.len();
        partial.pieces.insert(fragment.number, fragment.contents);

        let complete = partial
            .final_number
            .is_some_and(|last| partial.pieces.len() == usize::from(last) + 1);
        if !complete {
            return None;
        }
        let partial = self.partials.remove(&id)?;
        self.bytes_held -= partial.len;
        self.newest_completed = Some(id);
        let newer = self.partials.split_off(&id);
        for stale in std::mem::replace(&mut self.partials, newer).into_values() {
            self.forget(stale);
        }
        let mut instruction = Vec::with_capacity(partial.len);
        for piece in partial.pieces.into_values() {
            instruction.extend_from_slice(&piece);
        }
        Some(instruction)
    }

    /// Evicts unfinished instructions older than `fragment`'s until it fits under the
    /// partial-count and byte limits. Newer instructions are never evicted for older
    /// ones: SSP would discard the older result anyway.
    fn make_room(&mut self, fragment: &Fragment) -> bool {
        let id = fragment.instruction_id;
        let is_new = !self.partials.contains_key(&id);
        let needed = fragment.contents.len();
        let (older_count, older_bytes) = self
            .partials
            .range(..id)
            .fold((0, 0), |(count, bytes), (_, p)| (count + 1, bytes + p.len));
        let fits_after_evicting_all_older = (!is_new
            || self.partials.len() - older_count < MAX_PARTIALS)
            && self.bytes_held - older_bytes + needed <= MAX_HELD_BYTES;
        if !fits_after_evicting_all_older {
            return false;
        }
        loop {
            let too_many = is_new && self.partials.len() >= MAX_PARTIALS;
            let too_big = self.bytes_held + needed > MAX_HELD_BYTES;
            if !too_many && !too_big {
                return true;
            }
            match self.partials.first_key_value() {
                Some((&oldest, _)) if oldest < id => {
                    if let Some(evicted) = self.partials.remove(&oldest) {
                        self.forget(evicted);
                    }
                }
                _ => return false,
            }
        }
    }

    fn forget(&mut self, partial: Partial) {
        self.bytes_held -= partial.len;
        self.dropped += partial.pieces.len() as u64;
    }
}

#[cfg(test)]
mod tests;

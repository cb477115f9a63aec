//! A stream state for tests: numbers appended one by one, like keystrokes.
//!
//! Items are numbered from the start of the stream, so `subtract` can drop an acknowledged
//! prefix and later diffs still apply. Every item ever appended is folded into a
//! fingerprint that each diff carries with its base; applying a diff to any state but its
//! exact base is therefore detected and refused, which is how the tests prove SSP never
//! does it.

use moshmux_proto::{codec, DiffError, SyncState};

#[derive(Debug, Clone, Default)]
pub struct Log {
    /// Stream position of `items[0]`: how much was subtracted.
    start: u64,
    items: Vec<u64>,
    fingerprint: u64,
}

fn fold(fingerprint: u64, item: u64) -> u64 {
    (fingerprint ^ item)
        .wrapping_mul(0x0000_0100_0000_01b3)
        .rotate_left(17)
        .wrapping_add(1)
}

impl Log {
    pub fn push(&mut self, item: u64) {
        self.items.push(item);
        self.fingerprint = fold(self.fingerprint, item);
    }

    /// How many items the stream has had, subtracted or not.
    pub fn len(&self) -> u64 {
        self.start + self.items.len() as u64
    }

    /// The items still held (not subtracted).
    pub fn items(&self) -> &[u64] {
        &self.items
    }
}

/// Two logs are the same stream when they had the same items, whatever each subtracted.
impl PartialEq for Log {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.fingerprint == other.fingerprint
    }
}

impl SyncState for Log {
    fn diff_from(&self, old: &Self) -> Vec<u8> {
        if self == old {
            return Vec::new();
        }
        assert!(
            old.len() >= self.start && old.len() <= self.len(),
            "diff from a base outside the held items"
        );
        let new_items = &self.items[(old.len() - self.start) as usize..];
        codec::encode(&(old.len(), old.fingerprint, new_items))
    }

    fn apply(&mut self, diff: &[u8]) -> Result<(), DiffError> {
        let (base_len, base_fingerprint, items): (u64, u64, Vec<u64>) = codec::decode(diff)?;
        if (base_len, base_fingerprint) != (self.len(), self.fingerprint) {
            return Err(DiffError::new("diff applied to the wrong base"));
        }
        for item in items {
            self.push(item);
        }
        Ok(())
    }

    fn subtract(&mut self, acked: &Self) {
        let shared = acked
            .len()
            .saturating_sub(self.start)
            .min(self.items.len() as u64);
        self.items.drain(..shared as usize);
        self.start += shared;
    }
}

//! One stream's receiving half: bytes that arrived in any order, held until the
//! application reads them in order, within the window the peer was given.

use std::collections::BTreeMap;

use rangemap::RangeSet;

/// Why a `Data` frame was refused: only a peer that breaks the protocol sends one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecvError {
    /// Bytes at or past the limit we advertised.
    OverLimit,
    /// An end that moved, or bytes past the end.
    EndMoved,
}

#[derive(Debug)]
pub(crate) struct RecvStream {
    /// The application has read everything below this offset.
    read: u64,
    /// The bytes received at or above `read`, by offset, never overlapping: memory
    /// follows what arrived, however far into the window a byte lands.
    chunks: BTreeMap<u64, Vec<u8>>,
    /// Received ranges at or above `read`.
    received: RangeSet<u64>,
    fin: Option<u64>,
    /// How far past `read` the peer may send.
    window: u64,
    /// The limit the peer was last told.
    advertised: u64,
}

impl RecvStream {
    pub(crate) fn new(window: u64) -> Self {
        RecvStream {
            read: 0,
            chunks: BTreeMap::new(),
            received: RangeSet::new(),
            fin: None,
            window,
            advertised: window,
        }
    }

    /// Takes a `Data` frame; the number of bytes never received before (for the
    /// connection's window).
    pub(crate) fn on_data(
        &mut self,
        offset: u64,
        bytes: &[u8],
        fin: bool,
    ) -> Result<u64, RecvError> {
        let end = offset
            .checked_add(bytes.len() as u64)
            .ok_or(RecvError::OverLimit)?;
        if end > self.advertised {
            return Err(RecvError::OverLimit);
        }
        match self.fin {
            Some(stop) if end > stop || (fin && end != stop) => return Err(RecvError::EndMoved),
            None if fin && self.received.iter().any(|range| range.end > end) => {
                return Err(RecvError::EndMoved)
            }
            _ => {}
        }
        if fin {
            self.fin = Some(end);
        }
        let start = offset.max(self.read);
        if start >= end {
            return Ok(0);
        }
        let fresh = self.fresh(offset, bytes.len() as u64);
        for gap in self.received.gaps(&(start..end)) {
            let piece = &bytes[(gap.start - offset) as usize..(gap.end - offset) as usize];
            self.chunks.insert(gap.start, piece.to_vec());
        }
        self.received.insert(start..end);
        Ok(fresh)
    }

    /// How many of the bytes at `offset..offset + len` were never received.
    pub(crate) fn fresh(&self, offset: u64, len: u64) -> u64 {
        let start = offset.max(self.read);
        let end = offset.saturating_add(len);
        if start >= end {
            return 0;
        }
        end - start
            - self
                .received
                .overlapping(&(start..end))
                .map(|range| range.end.min(end) - range.start.max(start))
                .sum::<u64>()
    }

    /// In-order bytes ready to read.
    pub(crate) fn readable(&self) -> usize {
        self.received
            .get(&self.read)
            .map_or(0, |range| (range.end - self.read) as usize)
    }

    /// Reads up to `max` in-order bytes into `out`; how many.
    pub(crate) fn read(&mut self, out: &mut Vec<u8>, max: usize) -> usize {
        let from = self.read;
        let mut count = 0;
        while count < max {
            let Some(entry) = self.chunks.first_entry() else {
                break;
            };
            if *entry.key() != self.read {
                break;
            }
            let mut chunk = entry.remove();
            let take = chunk.len().min(max - count);
            out.extend_from_slice(&chunk[..take]);
            if take < chunk.len() {
                self.chunks
                    .insert(self.read + take as u64, chunk.split_off(take));
            }
            self.read += take as u64;
            count += take;
        }
        if count > 0 {
            self.received.remove(from..self.read);
        }
        count
    }

    /// Every byte up to the end has been read.
    pub(crate) fn is_finished(&self) -> bool {
        self.fin == Some(self.read)
    }

    /// A new limit to tell the peer, once reading freed a quarter of the window; the
    /// caller sends it (and sends it again if its datagram is lost).
    pub(crate) fn window_update(&mut self) -> Option<u64> {
        let limit = self.read + self.window;
        if self.fin.is_some() || limit < self.advertised + self.window / 4 {
            return None;
        }
        self.advertised = limit;
        Some(limit)
    }

    pub(crate) fn advertised(&self) -> u64 {
        self.advertised
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_any_order_are_read_in_order_once() {
        let mut stream = RecvStream::new(16);
        assert_eq!(stream.on_data(4, b"efgh", false), Ok(4));
        assert_eq!(stream.readable(), 0);
        assert_eq!(stream.on_data(0, b"abcdef", false), Ok(4));
        assert_eq!(stream.on_data(8, b"ij", true), Ok(2));
        let mut out = Vec::new();
        assert_eq!(stream.read(&mut out, 5), 5);
        assert_eq!(stream.on_data(0, b"abcdef", false), Ok(0));
        stream.read(&mut out, 100);
        assert_eq!(out, b"abcdefghij");
        assert!(stream.is_finished());
    }

    #[test]
    fn a_peer_past_the_window_or_the_end_is_refused() {
        let mut stream = RecvStream::new(8);
        assert_eq!(
            stream.on_data(4, b"abcde", false),
            Err(RecvError::OverLimit)
        );
        assert_eq!(stream.on_data(0, b"ab", true), Ok(2));
        assert_eq!(stream.on_data(1, b"bc", false), Err(RecvError::EndMoved));
        assert_eq!(stream.on_data(0, b"a", true), Err(RecvError::EndMoved));
    }

    /// One byte at the far end of the window costs one byte, not the window.
    #[test]
    fn memory_follows_the_bytes_received_not_their_offsets() {
        let mut stream = RecvStream::new(1 << 20);
        assert_eq!(stream.on_data((1 << 20) - 1, b"z", false), Ok(1));
        assert_eq!(stream.chunks.values().map(Vec::len).sum::<usize>(), 1);
        assert_eq!(stream.on_data(0, &[7; 10], false), Ok(10));
        assert_eq!(stream.on_data(5, &[7; 10], false), Ok(5));
        let mut out = Vec::new();
        assert_eq!(stream.read(&mut out, 12), 12);
        assert_eq!(stream.read(&mut out, 100), 3);
        assert_eq!(out, [7; 15]);
    }

    #[test]
    fn reading_a_quarter_of_the_window_raises_the_limit() {
        let mut stream = RecvStream::new(8);
        stream.on_data(0, b"abcdefgh", false).unwrap();
        let mut out = Vec::new();
        stream.read(&mut out, 1);
        assert_eq!(stream.window_update(), None);
        stream.read(&mut out, 1);
        assert_eq!(stream.window_update(), Some(10));
        assert_eq!(stream.advertised(), 10);
    }
}

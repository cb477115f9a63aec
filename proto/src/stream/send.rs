//! One stream's sending half: the bytes written and not yet acknowledged, which of them
//! still have to go out (never sent, or sent and counted lost), and the end.
//!
//! Acknowledgements are selective, so the acknowledged bytes above the lowest
//! unacknowledged one are a set of ranges; the buffer drops its front as soon as that
//! front is acknowledged, so it never holds more than the application was allowed to
//! write ([`SendStream::room`]).

use std::collections::VecDeque;
use std::ops::Range;

use rangemap::RangeSet;

/// A piece of a stream ready to go into a `Data` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub offset: u64,
    pub bytes: Vec<u8>,
    pub fin: bool,
    /// Bytes never sent before (they spend connection-level flow-control credit).
    pub new_bytes: u64,
}

#[derive(Debug)]
pub(crate) struct SendStream {
    /// Offset of `buffer[0]`: everything below is acknowledged.
    base: u64,
    buffer: VecDeque<u8>,
    /// Acknowledged ranges at or above `base` (never containing `base` itself).
    acked: RangeSet<u64>,
    /// Sent ranges counted lost, to be sent again before new bytes.
    lost: RangeSet<u64>,
    /// The first byte never sent.
    next_new: u64,
    /// Where the stream ends, once the application finished it.
    fin: Option<u64>,
    /// The end has to be sent (first time, or its datagram was lost).
    fin_pending: bool,
    fin_acked: bool,
    /// The peer's flow-control limit: bytes at or above it may not be sent yet.
    limit: u64,
}

impl SendStream {
    pub(crate) fn new(limit: u64) -> Self {
        SendStream {
            base: 0,
            buffer: VecDeque::new(),
            acked: RangeSet::new(),
            lost: RangeSet::new(),
            next_new: 0,
            fin: None,
            fin_pending: false,
            fin_acked: false,
            limit,
        }
    }

    /// Bytes written and not yet acknowledged.
    pub(crate) fn buffered(&self) -> usize {
        self.buffer.len()
    }

    fn end(&self) -> u64 {
        self.base + self.buffer.len() as u64
    }

    /// Appends at most `room` bytes; how many were taken. Nothing after the end.
    pub(crate) fn write(&mut self, bytes: &[u8], room: usize) -> usize {
        if self.fin.is_some() {
            return 0;
        }
        let taken = bytes.len().min(room);
        self.buffer.extend(&bytes[..taken]);
        taken
    }

    pub(crate) fn finish(&mut self) {
        if self.fin.is_none() {
            self.fin = Some(self.end());
            self.fin_pending = true;
        }
    }

    pub(crate) fn raise_limit(&mut self, limit: u64) {
        self.limit = self.limit.max(limit);
    }

    /// Whether a chunk is ready, given `credit` new bytes the connection's window allows.
    pub(crate) fn has_chunk(&self, credit: u64) -> bool {
        let new_ready = self.next_new < self.end().min(self.limit) && credit > 0;
        let fin_ready = self.fin_pending && self.fin.is_some_and(|fin| self.next_new >= fin);
        !self.lost.is_empty() || new_ready || fin_ready
    }

    /// The next chunk of at most `max_len` bytes: lost bytes first, then new ones.
    pub(crate) fn next_chunk(&mut self, max_len: usize, credit: u64) -> Option<Chunk> {
        let (range, new_bytes) = match self.lost.iter().next().cloned() {
            Some(lost) => {
                let range = lost.start..lost.end.min(lost.start + max_len as u64);
                self.lost.remove(range.clone());
                (range, 0)
            }
            None => {
                let stop = self
                    .end()
                    .min(self.limit)
                    .min(self.next_new + credit)
                    .min(self.next_new + max_len as u64);
                let range = self.next_new..stop.max(self.next_new);
                self.next_new = range.end;
                let new_bytes = range.end - range.start;
                (range, new_bytes)
            }
        };
        let fin = self.fin_pending && self.fin == Some(range.end) && self.next_new >= range.end;
        if range.is_empty() && !fin {
            return None;
        }
        if fin {
            self.fin_pending = false;
        }
        let start = (range.start - self.base) as usize;
        let stop = (range.end - self.base) as usize;
        Some(Chunk {
            offset: range.start,
            bytes: self.buffer.range(start..stop).copied().collect(),
            fin,
            new_bytes,
        })
    }

    pub(crate) fn on_acked(&mut self, range: Range<u64>, fin: bool) {
        if fin {
            self.fin_acked = true;
        }
        let range = range.start.max(self.base)..range.end;
        if range.is_empty() {
            return;
        }
        self.lost.remove(range.clone());
        self.acked.insert(range);
        if let Some(front) = self.acked.get(&self.base).cloned() {
            let advanced = (front.end - self.base) as usize;
            self.buffer.drain(..advanced.min(self.buffer.len()));
            self.acked.remove(front.clone());
            self.base = front.end;
        }
    }

    pub(crate) fn on_lost(&mut self, range: Range<u64>, fin: bool) {
        if fin && !self.fin_acked {
            self.fin_pending = true;
        }
        let range = range.start.max(self.base)..range.end.min(self.next_new);
        if range.is_empty() {
            return;
        }
        self.lost.insert(range.clone());
        let acked: Vec<_> = self.acked.overlapping(&range).cloned().collect();
        for done in acked {
            self.lost.remove(done);
        }
    }

    /// Everything, the end included, is acknowledged.
    pub(crate) fn is_done(&self) -> bool {
        self.fin_acked && self.fin == Some(self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_bytes_go_again_before_new_ones_and_acks_free_the_front() {
        let mut stream = SendStream::new(1000);
        assert_eq!(stream.write(b"abcdefgh", 100), 8);
        let first = stream.next_chunk(3, 100).unwrap();
        assert_eq!(
            (first.offset, &first.bytes[..], first.new_bytes),
            (0, &b"abc"[..], 3)
        );
        let second = stream.next_chunk(3, 100).unwrap();
        assert_eq!(second.bytes, b"def");
        stream.on_acked(3..6, false);
        assert_eq!(stream.buffered(), 8);
        stream.on_lost(0..3, false);
        let again = stream.next_chunk(10, 100).unwrap();
        assert_eq!(
            (again.offset, &again.bytes[..], again.new_bytes),
            (0, &b"abc"[..], 0)
        );
        stream.on_acked(0..3, false);
        assert_eq!(stream.buffered(), 2);
        stream.finish();
        let last = stream.next_chunk(10, 100).unwrap();
        assert_eq!(
            (last.offset, &last.bytes[..], last.fin),
            (6, &b"gh"[..], true)
        );
        assert!(stream.next_chunk(10, 100).is_none());
        stream.on_lost(6..8, true);
        assert!(stream.next_chunk(10, 100).unwrap().fin);
        stream.on_acked(6..8, true);
        assert!(stream.is_done());
    }

    #[test]
    fn the_peers_limit_and_the_connection_credit_hold_new_bytes_back() {
        let mut stream = SendStream::new(4);
        stream.write(b"abcdefgh", 100);
        assert_eq!(stream.next_chunk(100, 100).unwrap().bytes, b"abcd");
        assert!(!stream.has_chunk(100));
        stream.raise_limit(100);
        assert_eq!(stream.next_chunk(100, 2).unwrap().bytes, b"ef");
        assert!(!stream.has_chunk(0));
    }
}

//! What the link did with the datagrams it carried. The link task updates these under a
//! lock the handle reads, so a test can check its assumptions (how much was really lost)
//! beside what the protocol reports.

use std::fmt;

use super::schedule::Dir;

/// A number of datagrams and their payload bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub packets: u64,
    pub bytes: u64,
}

impl Count {
    pub(crate) fn add(&mut self, len: usize) {
        self.packets += 1;
        self.bytes += len as u64;
    }
}

impl std::ops::Add for Count {
    type Output = Count;
    fn add(self, other: Count) -> Count {
        Count {
            packets: self.packets + other.packets,
            bytes: self.bytes + other.bytes,
        }
    }
}

/// What happened to the datagrams of one direction. Once nothing is in flight,
/// `sent + duplicated == delivered + dropped()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectionCounters {
    /// Datagrams the sender put on the link (that reached the emulator).
    pub sent: Count,
    /// Dropped by the random loss.
    pub lost: Count,
    /// Dropped because they arrived, or would have been delivered, during a blackout.
    pub blacked_out: Count,
    /// Dropped because too many datagrams were already waiting in this direction.
    pub overflowed: Count,
    /// Extra copies made by duplication.
    pub duplicated: Count,
    /// Handed to the receiver's socket.
    pub delivered: Count,
    /// The emulator's own send failed (or a reply came before any client was heard).
    pub failed: Count,
}

impl DirectionCounters {
    pub fn dropped(&self) -> Count {
        self.lost + self.blacked_out + self.overflowed + self.failed
    }

    /// Datagrams (sent or duplicated) that are neither delivered nor dropped yet.
    pub fn in_flight(&self) -> u64 {
        (self.sent.packets + self.duplicated.packets)
            .saturating_sub(self.delivered.packets + self.dropped().packets)
    }
}

impl fmt::Display for DirectionCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = [
            ("sent", self.sent),
            ("lost", self.lost),
            ("blacked_out", self.blacked_out),
            ("overflowed", self.overflowed),
            ("duplicated", self.duplicated),
            ("delivered", self.delivered),
            ("failed", self.failed),
        ];
        for (i, (name, count)) in fields.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{name}={}/{}B", count.packets, count.bytes)?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub to_server: DirectionCounters,
    pub to_client: DirectionCounters,
}

impl Counters {
    pub fn direction_mut(&mut self, dir: Dir) -> &mut DirectionCounters {
        match dir {
            Dir::ToServer => &mut self.to_server,
            Dir::ToClient => &mut self.to_client,
        }
    }
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "to_server {}", self.to_server)?;
        write!(f, "to_client {}", self.to_client)
    }
}

/// Copies of datagrams as they reached the emulator, in arrival order, whatever their fate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    pub to_server: Vec<Vec<u8>>,
    pub to_client: Vec<Vec<u8>>,
}

//! Connection ids: what lets one server port carry every client, and a client move
//! without being followed by an onlooker.
//!
//! Every datagram to the server starts with an 8-byte connection id in the clear. The
//! server keeps a table from id to connection and looks each datagram up before any
//! cryptography, so a datagram with an unknown or forged id costs one lookup, never a
//! decryption attempt per connection, and is never answered. The id is the seal's
//! associated data, so it is authenticated with the connection's key like the rest.
//!
//! The ids are a sequence both ends compute from the session key
//! ([`Cipher::connection_id`](crate::crypto::Cipher::connection_id)), so none is ever
//! sent. The client uses one at a time and moves to the next when it moves (a fresh
//! local port, another server address): as QUIC's clients change connection id when
//! they migrate (RFC 9000, 9.5), an onlooker who saw the old path cannot tell the new one
//! is the same client. The server accepts a short window of ids ([`IdWindow`]): the one
//! in use, the one before (datagrams still on their way) and a few ahead; the window
//! follows the newest id an authentic datagram carried, so only the key's holder moves
//! it. A client moves to the next id only after hearing from the server since its last
//! move, so it never runs past the window (see [`Connection::migrate`]). The first id
//! stays accepted for the connection's life: a second client started with the same key
//! (`moshmux connect` run again) starts there, and must be heard to be told at once
//! that its key is in use (docs/protocol.md, section 4).
//!
//! [`Connection::migrate`]: crate::Connection::migrate

use std::fmt;
use std::ops::RangeInclusive;

use crate::crypto::Cipher;

/// Bytes of connection id at the front of each datagram to the server: 64 random bits,
/// so a guessed id hits one of n connections with probability n / 2^64.
pub const CID_LEN: usize = 8;

/// Ids ahead of the newest one used that the server already accepts: a client moves by
/// one at a time and only after the server heard the one before, so one would do; the
/// rest is slack.
pub const IDS_AHEAD: u64 = 3;

/// The clear header of a datagram to the server.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId([u8; CID_LEN]);

impl ConnectionId {
    pub fn from_bytes(bytes: [u8; CID_LEN]) -> ConnectionId {
        ConnectionId(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The id a datagram to the server starts with; `None` if it is too short to have one.
    pub fn of(datagram: &[u8]) -> Option<ConnectionId> {
        let (id, _) = datagram.split_first_chunk::<CID_LEN>()?;
        Some(ConnectionId(*id))
    }
}

/// Ids appear in logs as hex, which is all they are.
impl fmt::Debug for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

/// A change to the server's table of ids, for the owner of the table to apply.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IdEvent {
    /// Datagrams with this id belong to this connection from now on.
    Add(ConnectionId),
    /// This id is retired: drop it from the table.
    Remove(ConnectionId),
}

/// The server's side: which ids of the sequence it accepts now.
#[derive(Debug, Clone)]
pub(crate) struct IdWindow {
    /// The highest index an authentic datagram carried.
    newest: u64,
    /// The accepted indices and their ids, lowest first.
    live: Vec<(u64, ConnectionId)>,
}

impl IdWindow {
    /// The window before the client was heard: its first id and those ahead of it. The
    /// returned events add them all.
    pub(crate) fn new(cipher: &Cipher) -> (IdWindow, Vec<IdEvent>) {
        let mut window = IdWindow {
            newest: 0,
            live: Vec::new(),
        };
        let events = window.move_to(0, cipher);
        (window, events)
    }

    /// The index of `id` if the window accepts it.
    pub(crate) fn index_of(&self, id: ConnectionId) -> Option<u64> {
        self.live
            .iter()
            .find(|(_, live)| *live == id)
            .map(|&(index, _)| index)
    }

    /// Every id accepted now.
    pub(crate) fn ids(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.live.iter().map(|&(_, id)| id)
    }

    /// An authentic datagram carried id number `index`: the window follows it if it is
    /// the newest, and the events say which ids came and went.
    pub(crate) fn heard(&mut self, index: u64, cipher: &Cipher) -> Vec<IdEvent> {
        if index <= self.newest {
            return Vec::new();
        }
        self.move_to(index, cipher)
    }

    fn move_to(&mut self, newest: u64, cipher: &Cipher) -> Vec<IdEvent> {
        self.newest = newest;
        let wanted = Self::range(newest);
        let mut events = Vec::new();
        self.live.retain(|&(index, id)| {
            let keep = index == 0 || wanted.contains(&index);
            if !keep {
                events.push(IdEvent::Remove(id));
            }
            keep
        });
        let first_new = self
            .live
            .last()
            .map_or(*wanted.start(), |&(last, _)| last + 1);
        for index in first_new.max(*wanted.start())..=*wanted.end() {
            let id = cipher.connection_id(index);
            self.live.push((index, id));
            events.push(IdEvent::Add(id));
        }
        events
    }

    /// The indices accepted when `newest` is the newest heard: the one before it (still
    /// on its way), it, and [`IDS_AHEAD`] after it; and always 0 (see the module's text).
    fn range(newest: u64) -> RangeInclusive<u64> {
        newest.saturating_sub(1)..=newest.saturating_add(IDS_AHEAD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SessionKey;
    use std::collections::HashSet;

    fn cipher() -> Cipher {
        Cipher::new(&SessionKey::from_bytes([9; 16]))
    }

    /// Applies events to a table as the server's owner of it would.
    fn apply(table: &mut HashSet<ConnectionId>, events: Vec<IdEvent>) {
        for event in events {
            match event {
                IdEvent::Add(id) => assert!(table.insert(id), "{id:?} added twice"),
                IdEvent::Remove(id) => assert!(table.remove(&id), "{id:?} not there"),
            }
        }
    }

    #[test]
    fn the_window_follows_the_newest_id_and_its_events_keep_a_table_equal_to_it() {
        let cipher = cipher();
        let (mut window, events) = IdWindow::new(&cipher);
        let mut table = HashSet::new();
        apply(&mut table, events);
        let ids = |range: RangeInclusive<u64>| -> HashSet<ConnectionId> {
            range.map(|index| cipher.connection_id(index)).collect()
        };
        assert_eq!(table, ids(0..=IDS_AHEAD));
        // Older or equal indices move nothing.
        for index in [0, 0] {
            assert!(window.heard(index, &cipher).is_empty());
        }
        for (heard, expected) in [
            (1, 0..=4),
            (3, 2..=6),
            (2, 2..=6),
            (20, 19..=23),
            (0, 19..=23),
        ] {
            apply(&mut table, window.heard(heard, &cipher));
            let mut wanted = ids(expected.clone());
            wanted.insert(cipher.connection_id(0));
            assert_eq!(table, wanted, "after {heard}");
            assert_eq!(window.ids().collect::<HashSet<_>>(), table);
            for index in expected {
                assert_eq!(window.index_of(cipher.connection_id(index)), Some(index));
            }
        }
        assert_eq!(window.index_of(cipher.connection_id(18)), None);
        assert_eq!(window.index_of(cipher.connection_id(0)), Some(0));
    }

    #[test]
    fn ids_differ_between_indices_and_keys_and_read_back_from_a_datagram() {
        let a = cipher();
        let b = Cipher::new(&SessionKey::from_bytes([10; 16]));
        let ids: HashSet<ConnectionId> = (0..1000)
            .flat_map(|index| [a.connection_id(index), b.connection_id(index)])
            .collect();
        assert_eq!(ids.len(), 2000);
        let id = a.connection_id(7);
        let datagram = [id.as_bytes(), b"rest"].concat();
        assert_eq!(ConnectionId::of(&datagram), Some(id));
        assert_eq!(ConnectionId::of(&datagram[..CID_LEN - 1]), None);
        assert_eq!(
            format!("{:?}", ConnectionId::from_bytes([0xab; 8])),
            "abababababababab"
        );
    }
}

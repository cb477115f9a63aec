//! What the daemon's log says about a client link: the address its client sends from
//! (which changes when it roams) and how many datagrams with its connection id were
//! refused as forged, malformed or replayed (those with no connection's id are counted
//! for the whole daemon: `mux/listeners.rs`). An operator looking into "my session
//! froze" or "is someone probing my port" reads it there.
//!
//! Notes are taken only when authentic user input arrives, so whoever sends junk to the
//! port cannot make the log grow faster than the real client types.

use crate::mux::ClientId;
use moshmux_proto::Stats;
use std::net::SocketAddr;

/// Datagrams a link's port refused so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refused {
    pub forged: u64,
    pub malformed: u64,
    pub replayed: u64,
}

impl Refused {
    fn of(stats: &Stats) -> Refused {
        Refused {
            forged: stats.dropped_forged,
            malformed: stats.dropped_malformed,
            replayed: stats.dropped_replayed,
        }
    }
}

/// What changed since the previous note.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// The client's new address, and the one before it (`None` at first contact).
    pub moved: Option<(Option<SocketAddr>, SocketAddr)>,
    /// The totals, when they rose.
    pub refused: Option<Refused>,
}

/// The last address and totals logged for one link.
#[derive(Debug, Default)]
pub struct LinkLog {
    peer: Option<SocketAddr>,
    refused: Refused,
}

impl LinkLog {
    /// Logs what changed since the previous call: the client's address, as the connection
    /// follows it, and the connection's counters.
    pub fn note(&mut self, client: ClientId, peer: Option<SocketAddr>, stats: &Stats) {
        let changes = self.changes(peer, stats);
        match changes.moved {
            Some((None, to)) => tracing::info!(client = client.0, %to, "client connected"),
            Some((Some(from), to)) => {
                tracing::info!(client = client.0, %from, %to, "client address changed")
            }
            None => {}
        }
        if let Some(refused) = changes.refused {
            tracing::info!(
                client = client.0,
                forged = refused.forged,
                malformed = refused.malformed,
                replayed = refused.replayed,
                "datagrams refused so far"
            );
        }
    }

    fn changes(&mut self, peer: Option<SocketAddr>, stats: &Stats) -> Changes {
        let mut changes = Changes::default();
        if let Some(peer) = peer.filter(|&peer| Some(peer) != self.peer) {
            changes.moved = Some((self.peer, peer));
            self.peer = Some(peer);
        }
        let refused = Refused::of(stats);
        if refused != self.refused {
            changes.refused = Some(refused);
            self.refused = refused;
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(peer: Option<&str>, forged: u64) -> (Option<SocketAddr>, Stats) {
        let stats = Stats {
            dropped_forged: forged,
            ..Stats::default()
        };
        (peer.map(|peer| peer.parse().unwrap()), stats)
    }

    impl LinkLog {
        fn changes_of(&mut self, (peer, stats): (Option<SocketAddr>, Stats)) -> Changes {
            self.changes(peer, &stats)
        }
    }

    #[test]
    fn each_move_and_each_rise_is_reported_once() {
        let mut log = LinkLog::default();
        assert_eq!(log.changes_of(status(None, 0)), Changes::default());
        let first: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let moved = log.changes_of(status(Some("127.0.0.1:5000"), 0));
        assert_eq!(moved.moved, Some((None, first)));
        assert_eq!(moved.refused, None);
        assert_eq!(
            log.changes_of(status(Some("127.0.0.1:5000"), 0)),
            Changes::default()
        );

        let roamed = log.changes_of(status(Some("127.0.0.1:5001"), 3));
        assert_eq!(
            roamed.moved,
            Some((Some(first), "127.0.0.1:5001".parse().unwrap()))
        );
        assert_eq!(roamed.refused.map(|refused| refused.forged), Some(3));
        assert_eq!(
            log.changes_of(status(Some("127.0.0.1:5001"), 3)),
            Changes::default()
        );
    }
}

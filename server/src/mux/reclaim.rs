//! Reclaiming the endpoints of clients that went away. A client killed with `kill -9`, or
//! on a laptop whose lid closed, says nothing; its endpoint would keep a UDP port, an SSP
//! state and (with `window-size smallest`) its size until `--network-timeout`, forever by
//! default. A reattach to the same session is the moment to look: the user is on another
//! terminal or device, and whatever has been silent that long is most likely gone. As
//! the user usually reattaches at once, before the old client has been silent long, the
//! newcomer's input looks again, until the old endpoint is gone or talks.

use super::Mux;
use super::{ClientId, GoneReason};
use crate::pane_id::SessionId;
use moshmux_proto::sender::ACK_INTERVAL;
use std::time::{Duration, Instant};

/// Silence after which a reattach closes a client's endpoint: three heartbeats
/// ([`ACK_INTERVAL`], 3 s) plus a second, so a live client, idle or not, always has
/// been heard within it unless three heartbeats in a row were lost. The client itself
/// moves to a fresh port after 10 s of silence from the server, the same judgement
/// from the other side.
pub(super) const RECLAIM_AFTER: Duration = ACK_INTERVAL
    .saturating_mul(3)
    .saturating_add(Duration::from_secs(1));

impl Mux {
    /// Closes the endpoints of `session` opened before `newcomer` (a client attaching, or
    /// one that attached and now sends input) whose clients have been silent for
    /// `self.reclaim_after` at `now` (never heard from: since the endpoint opened). Only
    /// a newer client judges an older one, as a reattach does.
    pub(super) fn reclaim_silent(&mut self, session: SessionId, newcomer: ClientId, now: Instant) {
        let silent: Vec<ClientId> = self
            .clients
            .range(..newcomer)
            .filter(|(_, link)| link.session == session && !link.is_finishing())
            .filter(|(_, link)| link.silent_for(now) >= self.reclaim_after)
            .map(|(&id, _)| id)
            .collect();
        for id in silent {
            self.drop_client(id, GoneReason::Reclaimed);
        }
    }
}

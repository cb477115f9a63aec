//! The daemon's UDP ports, and the table that routes each datagram to its client.
//!
//! Every client of every session shares one port per address by default (the listener
//! is opened by the first `new` that needs it and stays while the daemon runs); `-p
//! LOW:HIGH` gives a client a port of its own instead, closed with it. Either way a
//! datagram is routed by the connection id at its front (`moshmux_proto::cid`), not by
//! the port it came to: one lookup in [`Routes`], no cryptography for an id nobody has,
//! and no answer. The client's endpoint then answers from the listener its newest
//! authentic datagram came in on, so a client that roams to another family (from an
//! IPv4 address to an IPv6 one) is answered from the socket of that family.

use super::{Action, ClientId, Host};
use crate::control::PortChoice;
use moshmux_proto::{ConnectionId, IdEvent};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;

/// Names one UDP socket of the daemon for as long as it runs; never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerId(pub u64);

/// One open socket: its address and port, and whose it is.
#[derive(Debug, Clone, Copy)]
struct Listener {
    bind: IpAddr,
    port: u16,
    /// `None`: shared by every client.
    owner: Option<ClientId>,
}

impl Listener {
    /// Whether a datagram to `address` reaches this socket: its own address, or any
    /// address of its family when it is bound to the unspecified one (`::` takes both
    /// families: Linux's sockets are dual stack unless told otherwise).
    fn covers(&self, address: IpAddr) -> bool {
        self.bind == address
            || (self.bind.is_unspecified() && (self.bind.is_ipv6() || address.is_ipv4()))
    }
}

#[derive(Debug, Default)]
pub(super) struct Listeners {
    open: BTreeMap<ListenerId, Listener>,
    next: u64,
}

impl Listeners {
    /// The listeners a new client gets datagrams on, one per address of `bind`, all on
    /// the same port; returns them and the port. A shared port already open on an
    /// address is reused; a new shared one takes the port the daemon uses elsewhere when
    /// the range allows, so every address has the same. On failure what this call
    /// opened is closed again (through `actions`).
    pub(super) fn open_for(
        &mut self,
        client: ClientId,
        bind: &[IpAddr],
        ports: PortChoice,
        host: &mut dyn Host,
        actions: &mut VecDeque<Action>,
    ) -> Result<(Vec<ListenerId>, u16), String> {
        let (first, last) = ports.range();
        let owner = match ports {
            PortChoice::Shared { .. } => None,
            PortChoice::PerClient { .. } => Some(client),
        };
        let in_range = |port: u16| (first..=last).contains(&port);
        let shared_port = || {
            self.open
                .values()
                .filter(|l| l.owner.is_none() && in_range(l.port))
                .map(|l| l.port)
                .next()
        };
        let mut port = match owner {
            None => shared_port(),
            Some(_) => None,
        };
        let mut opened = Vec::new();
        let mut ids = Vec::new();
        for &address in bind {
            let existing = self.open.iter().find(|(_, l)| {
                owner.is_none() && l.owner.is_none() && l.covers(address) && Some(l.port) == port
            });
            if let Some((&id, _)) = existing {
                ids.push(id);
                continue;
            }
            let id = ListenerId(self.next);
            self.next += 1;
            let range = port.map_or((first, last), |port| (port, port));
            match host.open_listener(id, address, range) {
                Ok(bound) => {
                    port = Some(bound);
                    self.open.insert(
                        id,
                        Listener {
                            bind: address,
                            port: bound,
                            owner,
                        },
                    );
                    opened.push(id);
                    ids.push(id);
                }
                Err(error) => {
                    for listener in opened {
                        self.open.remove(&listener);
                        actions.push_back(Action::CloseListener { listener });
                    }
                    return Err(error);
                }
            }
        }
        match port {
            Some(port) => Ok((ids, port)),
            None => Err("no address to open the UDP port on".to_owned()),
        }
    }

    /// The listeners only `client` used, to close now that it is gone.
    pub(super) fn take_owned_by(&mut self, client: ClientId) -> Vec<ListenerId> {
        let owned: Vec<ListenerId> = self
            .open
            .iter()
            .filter(|(_, l)| l.owner == Some(client))
            .map(|(&id, _)| id)
            .collect();
        for id in &owned {
            self.open.remove(id);
        }
        owned
    }

    /// Every listener, for the shutdown.
    pub(super) fn take_all(&mut self) -> Vec<ListenerId> {
        std::mem::take(&mut self.open).into_keys().collect()
    }
}

/// Connection id to client: the only thing a datagram is looked up by.
#[derive(Debug, Default)]
pub(super) struct Routes {
    by_id: HashMap<ConnectionId, ClientId>,
    /// Datagrams dropped because no connection has their id: junk, forgeries, old
    /// clients, or a client's datagrams still on their way after it went.
    unrouted: u64,
    /// The count last logged.
    logged: u64,
}

impl Routes {
    /// The client a datagram is for, by the id at its front.
    pub(super) fn route(&mut self, datagram: &[u8]) -> Option<ClientId> {
        let found = ConnectionId::of(datagram).and_then(|id| self.by_id.get(&id).copied());
        if found.is_none() {
            self.unrouted += 1;
        }
        found
    }

    /// Applies a connection's change to its ids. An id another connection holds already
    /// stays with it (two keys give one id with odds of about 2^-64 per pair): the
    /// newcomer's datagrams with it fail authentication there, and it moves on to its
    /// next id when it next moves.
    pub(super) fn apply(&mut self, client: ClientId, event: IdEvent) {
        match event {
            IdEvent::Add(id) => {
                let holder = *self.by_id.entry(id).or_insert(client);
                if holder != client {
                    tracing::warn!(client = client.0, ?id, "connection id already in use");
                }
            }
            IdEvent::Remove(id) => {
                if self.by_id.get(&id) == Some(&client) {
                    self.by_id.remove(&id);
                }
            }
        }
    }

    /// Datagrams dropped so far without any connection seeing them.
    pub fn unrouted(&self) -> u64 {
        self.unrouted
    }

    /// Logs the count if it rose since the last time. Called when authentic input
    /// arrives, as a link's own counts are (`link_log.rs`), so junk alone never makes
    /// the log grow.
    pub(super) fn note(&mut self) {
        if self.unrouted != self.logged {
            self.logged = self.unrouted;
            tracing::info!(
                unrouted = self.unrouted,
                "datagrams with no connection's id so far"
            );
        }
    }
}

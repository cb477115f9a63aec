//! The simulated server machine: what the mux asks of its host, done in memory. Panes
//! run [`Shell`]s, listeners are ports on a made-up address, and keys come from the
//! world's seeded random stream, so a seed replays exactly.

use crate::program::{Shell, Step};
use moshmux_proto::SessionKey;
use moshmux_server::mux::{Action, Host, ListenerId};
use moshmux_server::pane::{PaneSpawn, SpawnedPane};
use moshmux_server::pane_id::PaneId;
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

/// The server's address; each listener is a port on it.
pub const SERVER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));

pub struct SimHost {
    pub shells: BTreeMap<PaneId, Shell>,
    /// Each open listener's port (all on [`SERVER_IP`]).
    pub listeners: BTreeMap<ListenerId, u16>,
    rng: ChaCha8Rng,
    now: Instant,
}

impl SimHost {
    pub fn new(rng: ChaCha8Rng, now: Instant) -> SimHost {
        SimHost {
            shells: BTreeMap::new(),
            listeners: BTreeMap::new(),
            rng,
            now,
        }
    }

    /// The time the next spawn starts its program at.
    pub fn set_now(&mut self, now: Instant) {
        self.now = now;
    }

    pub fn carry_out(&mut self, action: Action, now: Instant) {
        match action {
            Action::WritePane { pane, bytes } => {
                if let Some(shell) = self.shells.get_mut(&pane) {
                    shell.input(&bytes, now);
                }
            }
            Action::ResizePane { .. } => {}
            Action::ClosePane { pane } => {
                self.shells.remove(&pane);
            }
            Action::CloseListener { listener } => {
                self.listeners.remove(&listener);
            }
            // The simulated clients open no forwards; the allocator is the real one's.
            Action::Socket { .. }
            | Action::AbortSockets { .. }
            | Action::ServeAgent { .. }
            | Action::ReturnFreedMemory => {}
        }
    }

    /// The listener on `to`, if any.
    pub fn listener_at(&self, to: SocketAddr) -> Option<ListenerId> {
        if to.ip() != SERVER_IP {
            return None;
        }
        let found = self.listeners.iter().find(|(_, &port)| port == to.port());
        found.map(|(&listener, _)| listener)
    }

    pub fn listener_addr(&self, listener: ListenerId) -> Option<SocketAddr> {
        let port = self.listeners.get(&listener)?;
        Some(SocketAddr::new(SERVER_IP, *port))
    }

    /// The next step of any program that is due, and its pane.
    pub fn step_programs(&mut self, now: Instant) -> Option<(PaneId, Step)> {
        self.shells
            .iter_mut()
            .find_map(|(&pane, shell)| Some((pane, shell.step(now)?)))
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.shells.values().filter_map(Shell::poll_timeout).min()
    }
}

impl Host for SimHost {
    fn spawn_pane(&mut self, pane: PaneId, spec: &PaneSpawn) -> anyhow::Result<SpawnedPane> {
        if !spec.command.is_empty() {
            anyhow::bail!("the simulator runs only its shell, not {:?}", spec.command);
        }
        self.shells.insert(pane, Shell::start(self.now));
        Ok(SpawnedPane {
            pid: None,
            command_name: "sh".to_owned(),
        })
    }

    /// The first port of the range no listener has: every address is the server's one.
    fn open_listener(
        &mut self,
        listener: ListenerId,
        _bind: IpAddr,
        (first, last): (u16, u16),
    ) -> Result<u16, String> {
        let free = (first..=last).find(|port| !self.listeners.values().any(|p| p == port));
        let port = free.ok_or_else(|| format!("no free UDP port in {first}:{last}"))?;
        self.listeners.insert(listener, port);
        Ok(port)
    }

    fn session_key(&mut self) -> Result<SessionKey, String> {
        let mut key = [0u8; 16];
        self.rng.fill_bytes(&mut key);
        Ok(SessionKey::from_bytes(key))
    }

    fn foreground_command(&self, _pane: PaneId) -> Option<String> {
        None
    }
}

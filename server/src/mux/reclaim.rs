//! Reclaiming the endpoints of clients that went away. A client killed with `kill -9`, or
//! on a laptop whose lid closed, says nothing; its endpoint would keep a UDP port, an SSP
//! state and (with `window-size smallest`) its size until `--network-timeout`, forever by
//! default. A reattach to the same session is the moment to look: the user is on another
//! terminal or device, and whatever has been silent that long is most likely gone. As
//! the user usually reattaches at once, before the old client has been silent long, the
//! newcomer's input looks again, until the old endpoint is gone or talks.

use super::Mux;
use crate::client_link::{ClientId, GoneReason};
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
    pub(super) fn reclaim_silent(&mut self, session: &str, newcomer: ClientId, now: Instant) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_link::LinkEvent;
    use crate::control::{NewClient, NewSession};
    use crate::pane::PaneEvent;
    use moshmux_proto::driver::{self, DriverHandle};
    use moshmux_proto::{Connection, HostState, SessionKey, UserEvent, UserStream};
    use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
    use tokio::sync::mpsc;

    const DEADLINE: Duration = Duration::from_secs(20);
    /// The silence the tests reclaim after; the clients that live talk every 50 ms.
    const SHORT: Duration = Duration::from_secs(1);
    const TALK: Duration = Duration::from_millis(50);

    struct Fixture {
        mux: Mux,
        /// Ports of this test alone, so a freed port is not taken by another test.
        ports: (u16, u16),
        link_events: mpsc::Receiver<(ClientId, LinkEvent)>,
        _pane_events: mpsc::Receiver<PaneEvent>,
        _dir: tempfile::TempDir,
    }

    impl Fixture {
        fn new(ports: (u16, u16)) -> Fixture {
            let dir = tempfile::tempdir().expect("a temp dir");
            let store = crate::history::open(dir.path(), Default::default()).expect("store");
            let (pane_tx, pane_events) = mpsc::channel(256);
            let (link_tx, link_events) = mpsc::channel(64);
            let mut mux = Mux::new(pane_tx, link_tx, dir.path().join("server.sock"), store);
            mux.reclaim_after = SHORT;
            Fixture {
                mux,
                ports,
                link_events,
                _pane_events: pane_events,
                _dir: dir,
            }
        }

        /// `new -s SESSION -- sh` on loopback; returns the endpoint's port and key.
        fn attach(&mut self, session: &str) -> (u16, SessionKey) {
            let connect = self
                .mux
                .new_client(NewClient {
                    session: NewSession {
                        name: Some(session.to_owned()),
                        command: vec!["sh".to_owned()],
                        cwd: None,
                        join_recent: false,
                        window_size: None,
                    },
                    bind: Ipv4Addr::LOCALHOST.into(),
                    ports: self.ports,
                    network_timeout_secs: None,
                })
                .expect("new client");
            (connect.port, SessionKey::from_bytes(connect.key))
        }

        fn id_of(&self, port: u16) -> ClientId {
            let link = self.mux.clients.iter().find(|(_, link)| link.port == port);
            *link.expect("an endpoint on that port").0
        }

        fn has_endpoint(&self, port: u16) -> bool {
            self.mux.clients.values().any(|link| link.port == port)
        }

        /// Hands what the links reported to the mux, as the daemon loop does, for `time`.
        async fn run_for(&mut self, time: Duration) -> Vec<ClientId> {
            let mut heard = Vec::new();
            let end = Instant::now() + time;
            while Instant::now() < end {
                while let Ok((id, event)) = self.link_events.try_recv() {
                    if matches!(event, LinkEvent::User(_)) {
                        heard.push(id);
                    }
                    self.mux.on_link_event(id, event);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            heard
        }
    }

    /// A real SSP client on loopback that sends a resize every `interval` until dropped.
    fn client(port: u16, key: &SessionKey, interval: Duration) -> tokio::task::JoinHandle<()> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("client socket");
        socket.set_nonblocking(true).expect("non-blocking");
        let socket = tokio::net::UdpSocket::from_std(socket).expect("tokio socket");
        let connection = Connection::new_client(
            key,
            SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            UserStream::default(),
            HostState::default(),
            Instant::now(),
        );
        let (driver, handle): (_, DriverHandle<UserStream, HostState>) =
            driver::drive(socket, connection).expect("driver");
        tokio::spawn(driver.run());
        tokio::spawn(async move {
            loop {
                let resize = UserEvent::Resize { rows: 20, cols: 60 };
                if handle.update_local(|s| s.push(resize)).await.is_err() {
                    return;
                }
                tokio::time::sleep(interval).await;
            }
        })
    }

    async fn wait_port_free(port: u16) {
        let deadline = Instant::now() + DEADLINE;
        // The socket closes as the link's tasks end, on the runtime's next turns.
        while is_bound(port) {
            assert!(Instant::now() < deadline, "port {port} is still bound");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn is_bound(port: u16) -> bool {
        UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_err()
    }

    /// Attaches a client to `session` that is heard once, then dies; returns its port.
    async fn dead_client(fixture: &mut Fixture, session: &str) -> u16 {
        let (port, key) = fixture.attach(session);
        let dead = client(port, &key, Duration::from_secs(3600));
        let id = fixture.id_of(port);
        let deadline = Instant::now() + DEADLINE;
        while !fixture
            .run_for(Duration::from_millis(50))
            .await
            .contains(&id)
        {
            assert!(Instant::now() < deadline, "the client was never heard");
        }
        dead.abort();
        port
    }

    #[tokio::test]
    async fn a_reattach_closes_silent_endpoints_of_its_session_and_no_other() {
        let mut fixture = Fixture::new((62300, 62349));
        let (live_port, live_key) = fixture.attach("work");
        let live = client(live_port, &live_key, TALK);
        let dead_port = dead_client(&mut fixture, "work").await;
        // An endpoint of another session whose client never came.
        let (other_port, _) = fixture.attach("other");
        // The live client's input judges no client that attached after it.
        fixture.run_for(SHORT + Duration::from_millis(500)).await;
        assert!(fixture.has_endpoint(dead_port));

        let (new_port, _) = fixture.attach("work");
        assert!(
            !fixture.has_endpoint(dead_port),
            "the silent endpoint stays"
        );
        assert!(
            fixture.has_endpoint(live_port),
            "the live client was reclaimed"
        );
        assert!(
            fixture.has_endpoint(other_port),
            "another session's endpoint went"
        );
        assert!(fixture.has_endpoint(new_port));
        wait_port_free(dead_port).await;
        assert!(is_bound(live_port) && is_bound(other_port));
        live.abort();
    }

    #[tokio::test]
    async fn the_newcomers_input_closes_an_endpoint_that_falls_silent_later() {
        let mut fixture = Fixture::new((62350, 62399));
        let dead_port = dead_client(&mut fixture, "work").await;
        // Reattached at once: the old client has not been silent long yet.
        let (new_port, new_key) = fixture.attach("work");
        assert!(fixture.has_endpoint(dead_port));
        let newcomer = client(new_port, &new_key, TALK);
        fixture.run_for(SHORT + Duration::from_millis(500)).await;
        assert!(
            !fixture.has_endpoint(dead_port),
            "the silent endpoint stays"
        );
        wait_port_free(dead_port).await;
        assert!(fixture.has_endpoint(new_port) && is_bound(new_port));
        newcomer.abort();
    }
}

//! Two SSP endpoints on real loopback sockets, each run by the tokio driver, talking through
//! the link emulator at 200 ms round trip with 30% loss each way, jitter, duplication,
//! reordering, a 5 s blackout, a server-side roam and a client port hop. Both sides keep
//! changing their state throughout; each must end up holding the other's final state.

use std::time::Duration;

use moshmux_proto::codec;
use moshmux_proto::driver::{drive, DriverHandle};
use moshmux_proto::{Connection, DiffError, SessionKey, SyncState};
use moshmux_tests::netem::{Blackout, DirectionConfig, LinkConfig, Netem};
use tokio::net::UdpSocket;
use tokio::time::{sleep_until, Instant};

/// A growing list of lines: the diff from an older log (always a prefix, as lines are only
/// ever appended) is the lines appended since.
#[derive(Clone, Debug, Default, PartialEq)]
struct Log(Vec<String>);

impl SyncState for Log {
    fn diff_from(&self, old: &Self) -> Vec<u8> {
        if self == old {
            return Vec::new();
        }
        let common = old.0.len().min(self.0.len());
        codec::encode(&(common as u64, &self.0[common..]))
    }

    fn apply(&mut self, diff: &[u8]) -> Result<(), DiffError> {
        let (base, lines): (u64, Vec<String>) = codec::decode(diff)?;
        if base != self.0.len() as u64 {
            return Err(DiffError::new("diff made for a log of another length"));
        }
        self.0.extend(lines);
        Ok(())
    }
}

/// Each side's state changes this many times, 50 ms apart (about 10 s): long enough on
/// both sides of the blackout that loss and duplication surely show in the counters.
const CHANGES: u32 = 200;
const TICK: Duration = Duration::from_millis(50);
/// The link drops everything from 1 s to 6 s.
const BLACKOUT: Blackout = Blackout {
    start: Duration::from_secs(1),
    duration: Duration::from_secs(5),
};
/// In the blackout, the client moves to a fresh port, as mosh does when it hears nothing.
const HOP_AT: Duration = Duration::from_millis(3500);
/// After the blackout the server starts seeing the client from a new address.
const ROAM_AT: Duration = Duration::from_secs(7);
/// How long convergence may take once the last change is made.
const DEADLINE: Duration = Duration::from_secs(60);

fn bad_direction() -> DirectionConfig {
    DirectionConfig {
        loss: 0.3,
        delay: Duration::from_millis(100),
        jitter: Duration::from_millis(20),
        reorder: 0.05,
        reorder_hold: Duration::from_millis(50),
        duplicate: 0.15,
        rate: None,
    }
}

/// Appends `line` to one side's state, and to the record of what that side wrote.
async fn append(handle: &DriverHandle<Log, Log>, wrote: &mut Log, line: String) {
    wrote.0.push(line.clone());
    handle
        .update_local(move |log| log.0.push(line))
        .await
        .unwrap();
}

#[tokio::test]
async fn both_sides_converge_through_loss_blackout_and_roaming() {
    let key = SessionKey::generate().unwrap();
    let server_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let config = LinkConfig {
        to_server: bad_direction(),
        to_client: bad_direction(),
        seed: 2026,
        blackouts: vec![BLACKOUT],
    };
    let netem = Netem::start(
        "127.0.0.1:0".parse().unwrap(),
        server_socket.local_addr().unwrap(),
        config,
    )
    .await
    .unwrap();
    let started = Instant::now();
    let now = started.into_std();
    let server = Connection::new_server(&key, Log::default(), Log::default(), now);
    let client = Connection::new_client(
        &key,
        netem.listen_addr(),
        Log::default(),
        Log::default(),
        now,
    );
    let (server_driver, mut server) = drive(server_socket, server).unwrap();
    let client_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (client_driver, mut client) = drive(client_socket, client).unwrap();
    let server_task = tokio::spawn(server_driver.run());
    let client_task = tokio::spawn(client_driver.run());

    let mut client_wrote = Log::default();
    let mut server_wrote = Log::default();
    let mut client_sees = Log::default();
    let mut server_sees = Log::default();
    let mut changes = 0;
    let mut roamed_to = None;
    let mut hopped = false;
    let mut next_change = Instant::now();
    let mut last_change = None;
    let converged_at = loop {
        if let Some(last) = last_change {
            if client_sees == server_wrote && server_sees == client_wrote {
                break Instant::now() - last;
            }
            assert!(
                Instant::now() - last < DEADLINE,
                "no convergence {DEADLINE:?} after the last change: server has {} of {} client \
                 lines, client has {} of {} server lines; link: {}",
                server_sees.0.len(),
                client_wrote.0.len(),
                client_sees.0.len(),
                server_wrote.0.len(),
                netem.counters()
            );
        }
        tokio::select! {
            () = sleep_until(next_change), if changes < CHANGES => {
                changes += 1;
                append(&client, &mut client_wrote, format!("key {changes}")).await;
                append(&server, &mut server_wrote, format!("output {changes}")).await;
                let elapsed = started.elapsed();
                if !hopped && elapsed >= HOP_AT {
                    hopped = true;
                    client.rebind().await.unwrap();
                }
                if roamed_to.is_none() && elapsed >= ROAM_AT {
                    roamed_to = Some(netem.roam().await.unwrap());
                }
                next_change += TICK;
                if changes == CHANGES {
                    last_change = Some(Instant::now());
                }
            }
            Some(update) = client.recv_remote() => client_sees = update,
            Some(update) = server.recv_remote() => server_sees = update,
            // Wakes the loop to check the deadline even if nothing arrives.
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    };
    assert!(
        hopped && roamed_to.is_some(),
        "the roam and the hop both happened"
    );

    let link = netem.counters();
    let server_status = server.status();
    let client_status = client.status();
    eprintln!("converged {converged_at:?} after the last change\nlink: {link}");
    eprintln!("server: {server_status:?}\nclient: {client_status:?}");
    // The link really was bad, both ways, so a clean run cannot pass this test.
    for direction in [link.to_server, link.to_client] {
        assert!(direction.lost.packets > 0, "{direction}");
        assert!(direction.blacked_out.packets > 0, "{direction}");
    }
    assert!(link.to_server.duplicated.packets + link.to_client.duplicated.packets > 0);
    // The server followed the roam: it answers the emulator's new upstream port.
    assert_eq!(server_status.remote_addr, roamed_to);
    // Duplicates reached the endpoints and were refused as replays.
    assert!(server_status.stats.dropped_replayed + client_status.stats.dropped_replayed > 0);

    drop((client, server));
    assert!(client_task.await.unwrap().is_ok());
    assert!(server_task.await.unwrap().is_ok());
}

//! Connection ids: the client takes a fresh one when it moves, only once the server can
//! know the one before, so it never leaves the server's window however often it moves
//! or however long the link is gone; the server's events keep a table equal to its
//! window; an id says nothing about the sequence numbers under it.

mod sim;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use moshmux_proto::{ConnectionId, IdEvent};
use proptest::prelude::*;
use sim::{ms, Link, Pair};

/// What the server's owner keeps: the table the events build.
fn apply_events(pair: &mut Pair, table: &mut HashSet<ConnectionId>) {
    while let Some(event) = pair.server.poll_id_event() {
        match event {
            IdEvent::Add(id) => assert!(table.insert(id), "{id:?} added twice"),
            IdEvent::Remove(id) => assert!(table.remove(&id), "{id:?} removed unknown"),
        }
    }
    let live: HashSet<ConnectionId> = pair.server.connection_ids().collect();
    assert_eq!(*table, live, "the events and the window disagree");
}

/// The ids of the next datagrams the client sends, by sending something.
fn next_client_id(pair: &mut Pair) -> ConnectionId {
    pair.client_push();
    pair.now += Duration::from_secs(1);
    pair.client.handle_timeout(pair.now).unwrap();
    let datagram = pair.client.poll_transmit(pair.now).unwrap().contents;
    // Delivered, so the exchange goes on as it would.
    let from = pair.client_addr;
    let _ = pair.server.handle_datagram(pair.now, from, &datagram);
    ConnectionId::of(&datagram).unwrap()
}

#[test]
fn a_client_moves_to_a_new_id_only_after_hearing_from_the_server() {
    let mut pair = Pair::clean(31, ms(30));
    let mut table = HashSet::new();
    apply_events(&mut pair, &mut table);
    let first = next_client_id(&mut pair);
    pair.run_for(Duration::from_secs(2));
    assert!(pair.converged());
    apply_events(&mut pair, &mut table);

    // The link goes; the client moves every 10 s of silence, as it rebinds.
    pair.to_server.cut = true;
    pair.to_client.cut = true;
    let mut ids_while_cut = HashSet::new();
    for port in 0..30 {
        pair.run_for(Duration::from_secs(10));
        pair.client_addr = format!("127.0.0.1:{}", 41000 + port).parse().unwrap();
        let server = pair.server_addr;
        pair.client.migrate(server);
        pair.client_push();
        pair.flush();
        ids_while_cut.insert(next_client_id(&mut pair));
    }
    // One move after the last news, and none after that: the server never heard.
    assert_eq!(ids_while_cut.len(), 1);
    assert!(!ids_while_cut.contains(&first));
    pair.heal();
    pair.run_for(Duration::from_secs(5));
    assert!(pair.converged());
    apply_events(&mut pair, &mut table);
    let now_used = next_client_id(&mut pair);
    assert!(table.contains(&now_used));
    assert_eq!(pair.server.remote_addr(), Some(pair.client_addr));
}

/// Ids of one connection, and of two keys, share nothing an onlooker could follow: the
/// datagrams of one path all carry one id, those of the next path another.
#[test]
fn each_path_has_its_own_id() {
    let mut pair = Pair::clean(32, ms(20));
    let mut ids_by_path: HashMap<u16, HashSet<ConnectionId>> = HashMap::new();
    for path in 0..5u16 {
        for _ in 0..3 {
            let id = next_client_id(&mut pair);
            ids_by_path.entry(path).or_default().insert(id);
            pair.run_for(Duration::from_millis(500));
        }
        pair.client_addr = format!("127.0.0.1:{}", 42000 + path).parse().unwrap();
        let server = pair.server_addr;
        pair.client.migrate(server);
    }
    let mut all = HashSet::new();
    for ids in ids_by_path.values() {
        assert_eq!(ids.len(), 1, "{ids_by_path:?}");
        assert!(all.insert(*ids.iter().next().unwrap()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Under loss, duplication, reordering, outages of any length and moves at any
    /// moment, the client never runs out of the server's window: once the link heals
    /// the two converge, and the id the client uses is one the server's table holds.
    #[test]
    fn moves_never_leave_the_servers_window(
        seed in any::<u64>(),
        loss in 0.0f64..0.5,
        plan in proptest::collection::vec((0u64..20_000, any::<bool>(), any::<bool>()), 1..40),
    ) {
        let link = Link { delay: ms(40), jitter: ms(60), loss, duplicate: 0.05, cut: false };
        let mut pair = Pair::new(seed, link.clone(), link);
        let mut table = HashSet::new();
        for (port, (wait, cut, push)) in plan.into_iter().enumerate() {
            pair.to_server.cut = cut;
            pair.to_client.cut = cut;
            if push {
                pair.client_push();
                pair.server_push();
            }
            pair.run_for(Duration::from_millis(wait));
            apply_events(&mut pair, &mut table);
            pair.client_addr = format!("127.0.0.1:{}", 43000 + port).parse().unwrap();
            let server = pair.server_addr;
            pair.client.migrate(server);
        }
        pair.heal();
        pair.client_push();
        pair.server_push();
        pair.run_for(Duration::from_secs(20));
        prop_assert!(pair.converged());
        apply_events(&mut pair, &mut table);
        let used = next_client_id(&mut pair);
        prop_assert!(table.contains(&used));
    }
}

//! The receiving side before authentication: raw bytes from the network, to a server that
//! has heard nothing yet and to a client. Every one must be refused, counted once, and
//! change nothing (state, peer address, round-trip estimate, last-heard time).

#![no_main]

use libfuzzer_sys::fuzz_target;
use moshmux_fuzz::{client_addr, epoch, fresh_ends, server_addr};

fuzz_target!(|datagram: &[u8]| {
    let now = epoch();
    let (mut server, mut client) = fresh_ends(now);
    assert!(server
        .handle_datagram(now, client_addr(1), datagram)
        .is_err());
    assert_eq!(server.remote_addr(), None);
    assert_eq!(server.last_heard(), None);
    assert_eq!(server.remote_state_num(), 0);
    assert!(server.poll_transmit(now).is_none());

    let srtt = client.srtt();
    assert!(client
        .handle_datagram(now, server_addr(), datagram)
        .is_err());
    assert_eq!(client.remote_addr(), Some(server_addr()));
    assert_eq!(client.last_heard(), None);
    assert_eq!(client.remote_state_num(), 0);
    assert_eq!(client.srtt(), srtt);
    for stats in [server.stats(), client.stats()] {
        let dropped = stats.dropped_forged + stats.dropped_malformed;
        assert_eq!((stats.datagrams_received, dropped), (1, 1));
    }
});

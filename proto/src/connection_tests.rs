//! The connection's tests: queues under a cut link, key exhaustion, floods.

use super::*;
use crate::fragment::FRAGMENT_HEADER_LEN;
use crate::receiver::MAX_RECEIVED_STATES;
use crate::sender::MAX_SENT_STATES;
use crate::sequence::SEQUENCE_LIMIT;
use crate::state::testing::{text, Text};

/// The server's datagrams never reach the client, for ten virtual minutes of changes on
/// both sides: no acknowledgement ever trims a queue, yet every queue stays within its
/// cap, and the working direction keeps delivering the newest state.
#[test]
fn queues_stay_bounded_when_one_direction_is_cut_for_good() {
    let key = SessionKey::from_bytes([1; 16]);
    let server_addr: SocketAddr = "127.0.0.1:60001".parse().unwrap();
    let client_addr: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let start = Instant::now();
    let mut now = start;
    let mut client: Connection<Text, Text> =
        Connection::new_client(&key, server_addr, text(""), text(""), now);
    let mut server: Connection<Text, Text> = Connection::new_server(&key, text(""), text(""), now);
    let mut next_change = now;
    let mut changes = 0;
    while now < start + Duration::from_secs(600) {
        if now >= next_change {
            // Each change reached the server before the next one was made.
            assert_eq!(server.remote_state(), client.local_state());
            changes += 1;
            client.set_local_state(text(&format!("typed {changes}")), now);
            server.set_local_state(text(&format!("output {changes}")), now);
            next_change = now + Duration::from_millis(250);
        }
        while let Some(transmit) = client.poll_transmit(now) {
            server
                .handle_datagram(now, client_addr, &transmit.contents)
                .unwrap();
        }
        while server.poll_transmit(now).is_some() {}
        for sender in [&client.sender, &server.sender] {
            assert!(sender.sent_states() <= MAX_SENT_STATES);
        }
        assert!(server.receiver.held_states() <= MAX_RECEIVED_STATES);
        now = [
            client.poll_timeout(),
            server.poll_timeout(),
            Some(next_change),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap();
        client.handle_timeout(now).unwrap();
        server.handle_timeout(now).unwrap();
    }
    // The caps were reached, so they were what held the queues.
    assert_eq!(server.receiver.held_states(), MAX_RECEIVED_STATES);
    assert_eq!(client.sender.sent_states(), MAX_SENT_STATES);
    assert_eq!(client.receiver.held_states(), 1);
}

/// Past the sequence limit the key must not seal again: the connection fails for good
/// instead of reusing or overflowing a nonce.
#[test]
fn an_exhausted_key_stops_the_connection_for_good() {
    let key = SessionKey::from_bytes([2; 16]);
    let server_addr: SocketAddr = "127.0.0.1:60001".parse().unwrap();
    let mut now = Instant::now();
    let mut client: Connection<Text, Text> =
        Connection::new_client(&key, server_addr, text(""), text(""), now);
    client.sequence = SendSequence::between(0, 3);
    let mut sent = 0;
    for change in 0..5 {
        client.set_local_state(text(&change.to_string()), now);
        now += Duration::from_secs(1);
        while client.poll_transmit(now).is_some() {
            sent += 1;
        }
    }
    assert_eq!(sent, 3);
    assert_eq!(client.error(), Some(&ConnectionError::KeyExhausted));
    assert_eq!(
        client.handle_timeout(now),
        Err(ConnectionError::KeyExhausted)
    );
    assert_eq!(client.poll_timeout(), None);
}

/// A peer with the key floods us one way: states that never let us forget (each
/// diffed from state 0, throwaway 0, ours never acknowledged), then pieces of
/// instructions it never finishes. What the connection retains stays within the receiver's and the
/// reassembler's caps, and the caps are what held it.
#[test]
fn a_one_way_flood_of_authenticated_states_is_retained_within_the_caps() {
    let key = SessionKey::from_bytes([3; 16]);
    let cipher = Cipher::new(&key);
    let client_addr: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let mut now = Instant::now();
    let mut server: Connection<Text, Text> = Connection::new_server(&key, text(""), text(""), now);
    let mut seq = 0;
    let mut deliver = |server: &mut Connection<Text, Text>, fragment: Fragment, now| {
        let packet = Packet {
            route: Route::ToServer(cipher.connection_id(0)),
            seq,
            timestamp: 0,
            timestamp_reply: None,
            payload: [&[KIND_STATE][..], &fragment.encode()].concat(),
        };
        seq += 1;
        server.handle_datagram(now, client_addr, &packet.seal(&cipher))
    };
    let piece = max_payload(Direction::ToServer) - 1 - FRAGMENT_HEADER_LEN;
    let unfinished_id = 1 << 40;
    let mut most_held = 0;
    for num in 1..=3 * MAX_RECEIVED_STATES as u64 {
        let instruction = Instruction {
            old_num: 0,
            new_num: num,
            ack_num: 0,
            throwaway_num: 0,
            diff: text(&num.to_string()).diff_from(&text("")),
            closing: false,
        };
        let whole = Fragment {
            instruction_id: num,
            number: 0,
            is_final: true,
            contents: instruction.to_bytes(),
        };
        deliver(&mut server, whole, now).unwrap();
        assert!(server.receiver.held_states() <= MAX_RECEIVED_STATES);
        now += Duration::from_millis(1);
        server.handle_timeout(now).unwrap();
        while server.poll_transmit(now).is_some() {}
    }
    // Then pieces of four instructions newer than all, each never finished: more
    // bytes than the reassembler may hold.
    for n in 0..(3 * MAX_INSTRUCTION_LEN / piece) as u64 {
        let partial = Fragment {
            instruction_id: unfinished_id + n % 4,
            number: (n / 4) as u16,
            is_final: false,
            contents: vec![n as u8; piece],
        };
        deliver(&mut server, partial, now).unwrap();
        assert!(server.reassembler.bytes_held() <= 2 * MAX_INSTRUCTION_LEN);
        most_held = most_held.max(server.reassembler.bytes_held());
    }
    assert_eq!(server.receiver.held_states(), MAX_RECEIVED_STATES);
    assert!(most_held > 2 * MAX_INSTRUCTION_LEN - 4 * piece);
    assert!(server.reassembler.dropped() > 0);
    let newest = 3 * MAX_RECEIVED_STATES;
    assert_eq!(server.remote_state(), &text(&newest.to_string()));
}

/// Started three numbers before the real limit, a client seals exactly those three
/// datagrams, with distinct nonces the server accepts, then retires the key: a sticky
/// error whose message tells the user what to do, and nothing more on the wire.
#[test]
fn the_key_retires_at_the_real_limit_without_reusing_a_nonce() {
    let key = SessionKey::from_bytes([4; 16]);
    let server_addr: SocketAddr = "127.0.0.1:60001".parse().unwrap();
    let client_addr: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let mut now = Instant::now();
    let mut client: Connection<Text, Text> =
        Connection::new_client(&key, server_addr, text(""), text(""), now);
    let mut server: Connection<Text, Text> = Connection::new_server(&key, text(""), text(""), now);
    client.sequence = SendSequence::between(SEQUENCE_LIMIT - 3, SEQUENCE_LIMIT);
    let mut tails = Vec::new();
    for change in 0..5 {
        client.set_local_state(text(&change.to_string()), now);
        now += Duration::from_secs(1);
        let _ = client.handle_timeout(now);
        while let Some(transmit) = client.poll_transmit(now) {
            let opened = Cipher::new(&key).open(Direction::ToServer, &transmit.contents);
            tails.push(opened.unwrap().seq);
            server
                .handle_datagram(now, client_addr, &transmit.contents)
                .unwrap();
        }
    }
    let last = SEQUENCE_LIMIT - 1;
    assert_eq!(tails, [last - 2, last - 1, last]);
    // The third datagram carried the state current when it was sent.
    assert_eq!(server.remote_state(), &text("2"));
    let error = ConnectionError::KeyExhausted;
    assert_eq!(client.error(), Some(&error));
    assert_eq!(client.handle_timeout(now), Err(error.clone()));
    assert_eq!(client.poll_transmit(now + Duration::from_secs(5)), None);
    assert_eq!(
        error.to_string(),
        "the session key has sealed its last datagram; start a new session"
    );
}

//! The receiving side after authentication: fuzzer bytes sealed with the session key, so
//! the packet, fragment, instruction, codec, state-diff and stream-frame parsers all see them. Plaintext
//! is either raw or built from fragment and instruction fields, so deep layers are reached
//! without a corpus. Both ends receive (the server parses user streams, the client host
//! states), send their replies, and must never panic or hold a state over the limits.

#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use moshmux_fuzz::{client_addr, epoch, fixed_key, fresh_ends, server_addr};
use moshmux_proto::crypto::{Cipher, Direction, Route, MAX_SEQ};
use moshmux_proto::fragment::{Fragment, Fragmenter};
use moshmux_proto::instruction::Instruction;
use moshmux_proto::packet::{max_payload, Packet, KIND_STATE, KIND_STREAMS};
use moshmux_proto::{Connection, SyncState};

#[derive(Arbitrary, Debug)]
struct Datagram {
    to_client: bool,
    /// Sealed for the receiver's own direction, as a reflector would send it back.
    reflected: bool,
    /// Which of the key's connection ids a datagram to the server carries (the server
    /// accepts a few near the newest it heard).
    id_index: u8,
    seq: u64,
    timestamp: u16,
    timestamp_reply: u16,
    after_ms: u16,
    from_port: u8,
    body: Body,
}

#[derive(Arbitrary, Debug)]
enum Body {
    Plaintext(Vec<u8>),
    Fragment {
        id: u64,
        number: u16,
        is_final: bool,
        contents: Vec<u8>,
    },
    Instruction {
        id: u64,
        old_num: u8,
        new_num: u8,
        ack_num: u8,
        throwaway_num: u8,
        diff: Vec<u8>,
        closing: bool,
    },
    /// Stream frames (kind 1): bincode values back to back, parsed by `stream/`.
    Streams(Vec<u8>),
}

/// The payloads a body becomes (kind byte, then a fragment or stream frames); a long
/// instruction is cut as a sender cuts it.
fn payloads(body: Body) -> Vec<Vec<u8>> {
    let state = |fragment: Vec<u8>| [&[KIND_STATE][..], &fragment].concat();
    match body {
        Body::Streams(frames) => vec![[&[KIND_STREAMS][..], &frames].concat()],
        Body::Plaintext(bytes) => vec![bytes],
        Body::Fragment {
            id,
            number,
            is_final,
            contents,
        } => vec![Fragment {
            instruction_id: id,
            number: number & 0x7fff,
            is_final,
            contents,
        }
        .encode()]
        .into_iter()
        .map(state)
        .collect(),
        Body::Instruction {
            id,
            old_num,
            new_num,
            ack_num,
            throwaway_num,
            diff,
            closing,
        } => {
            let bytes = Instruction {
                old_num: old_num.into(),
                new_num: new_num.into(),
                ack_num: ack_num.into(),
                throwaway_num: throwaway_num.into(),
                diff,
                closing,
            }
            .to_bytes();
            let mut fragmenter = Fragmenter::new();
            fragmenter
                .make_fragments(&bytes, max_payload(Direction::ToServer) - 1)
                .into_iter()
                .map(|mut fragment| {
                    fragment.instruction_id = id;
                    state(fragment.encode())
                })
                .collect()
        }
    }
}

fn drain<L: SyncState, R: SyncState>(connection: &mut Connection<L, R>, now: std::time::Instant) {
    let _ = connection.handle_timeout(now);
    while connection.poll_transmit(now).is_some() {}
}

fuzz_target!(|datagrams: Vec<Datagram>| {
    let cipher = Cipher::new(&fixed_key());
    let mut now = epoch();
    let (mut server, mut client) = fresh_ends(now);
    for datagram in datagrams {
        now += Duration::from_millis(datagram.after_ms.into());
        let route = match datagram.to_client != datagram.reflected {
            true => Route::ToClient,
            false => Route::ToServer(cipher.connection_id(datagram.id_index.into())),
        };
        let reply = datagram.timestamp_reply;
        for (offset, payload) in payloads(datagram.body).into_iter().enumerate() {
            let sealed = Packet {
                route,
                seq: datagram.seq.wrapping_add(offset as u64) & MAX_SEQ,
                timestamp: datagram.timestamp,
                timestamp_reply: (reply != u16::MAX).then_some(reply),
                payload,
            }
            .seal(&cipher);
            if datagram.to_client {
                let _ = client.handle_datagram(now, server_addr(), &sealed);
            } else {
                let from = client_addr(datagram.from_port);
                let _ = server.handle_datagram(now, from, &sealed);
            }
        }
        drain(&mut server, now);
        drain(&mut client, now);
        assert!(client.remote_state().check_limits().is_ok());
        assert!(client.srtt() <= moshmux_proto::rtt::MAX_RTT_SAMPLE);
    }
});

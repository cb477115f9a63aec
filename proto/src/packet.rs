//! The plaintext inside each datagram: two timestamps for round-trip measurement, then
//! the payload: a kind byte, then a fragment of an instruction or stream frames.
//!
//! Plaintext layout: `timestamp (u16 BE) || timestamp_reply (u16 BE) || payload`, where a
//! reply of `0xFFFF` means "nothing to reply to". Timestamps are milliseconds modulo 2^16
//! on the sender's own clock; the peer echoes the newest one it has seen so the sender can
//! subtract and learn the round trip without the two clocks agreeing.

use crate::crypto::{Cipher, CryptoError, Direction, Route};

/// Largest datagram we send: the 1280-byte IPv6 minimum MTU less the 40-byte IPv6 and
/// 8-byte UDP headers, so no path ever has to fragment it.
pub const MAX_DATAGRAM: usize = 1232;
/// Bytes of timestamps before the payload.
pub const HEADER_LEN: usize = 4;

/// Largest payload that keeps a datagram in `direction` within [`MAX_DATAGRAM`]: 1196
/// bytes to the server (its datagrams carry a connection id), 1204 to the client.
pub const fn max_payload(direction: Direction) -> usize {
    MAX_DATAGRAM - direction.overhead() - HEADER_LEN
}

/// First byte of a payload: a fragment of an SSP instruction follows.
pub const KIND_STATE: u8 = 0;
/// First byte of a payload: stream frames follow (`stream/`).
pub const KIND_STREAMS: u8 = 1;

/// Wire value of an absent `timestamp_reply`.
const NO_REPLY: u16 = 0xFFFF;

/// One datagram's contents. The packet layer does not interpret the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub route: Route,
    pub seq: u64,
    pub timestamp: u16,
    /// The newest peer timestamp being echoed. `Some(0xFFFF)` is sent as "none" (it is the
    /// wire's marker), so a sender should avoid producing the timestamp 0xFFFF, or accept
    /// losing the one round-trip sample in 65536 that lands on it.
    pub timestamp_reply: Option<u16>,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("plaintext of {0} bytes is shorter than the {HEADER_LEN}-byte packet header")]
    ShortHeader(usize),
}

impl Packet {
    /// Encrypts the packet into one datagram. The payload is not checked against
    /// [`max_payload`]: the fragmenter is what keeps it there.
    pub fn seal(&self, cipher: &Cipher) -> Vec<u8> {
        let mut plaintext = Vec::with_capacity(HEADER_LEN + self.payload.len());
        plaintext.extend_from_slice(&self.timestamp.to_be_bytes());
        plaintext.extend_from_slice(&self.timestamp_reply.unwrap_or(NO_REPLY).to_be_bytes());
        plaintext.extend_from_slice(&self.payload);
        cipher.seal(self.route, self.seq, &plaintext)
    }

    /// Authenticates and parses a datagram from the network that travels `direction`.
    pub fn open(
        cipher: &Cipher,
        direction: Direction,
        datagram: &[u8],
    ) -> Result<Packet, PacketError> {
        let opened = cipher.open(direction, datagram)?;
        let plaintext = opened.plaintext;
        let Some((header, payload)) = plaintext.split_first_chunk::<HEADER_LEN>() else {
            return Err(PacketError::ShortHeader(plaintext.len()));
        };
        let [t0, t1, r0, r1] = *header;
        let timestamp = u16::from_be_bytes([t0, t1]);
        let timestamp_reply = match u16::from_be_bytes([r0, r1]) {
            NO_REPLY => None,
            reply => Some(reply),
        };
        Ok(Packet {
            route: opened.route,
            seq: opened.seq,
            timestamp,
            timestamp_reply,
            payload: payload.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{SessionKey, MAX_SEQ};
    use proptest::prelude::*;

    fn cipher() -> Cipher {
        Cipher::new(&SessionKey::from_bytes([0x42; 16]))
    }

    fn to_server() -> Route {
        Route::ToServer(cipher().connection_id(0))
    }

    fn any_packet() -> impl Strategy<Value = Packet> {
        prop_oneof![Just(to_server()), Just(Route::ToClient)].prop_flat_map(|route| {
            (
                0..=MAX_SEQ,
                any::<u16>(),
                proptest::option::of(0..NO_REPLY),
                proptest::collection::vec(any::<u8>(), 0..=max_payload(route.direction())),
            )
                .prop_map(move |(seq, timestamp, timestamp_reply, payload)| Packet {
                    route,
                    seq,
                    timestamp,
                    timestamp_reply,
                    payload,
                })
        })
    }

    proptest! {
        #[test]
        fn packets_round_trip(packet in any_packet()) {
            let datagram = packet.seal(&cipher());
            prop_assert!(datagram.len() <= MAX_DATAGRAM);
            let direction = packet.route.direction();
            prop_assert_eq!(Packet::open(&cipher(), direction, &datagram).unwrap(), packet);
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1300)) {
            prop_assert!(Packet::open(&cipher(), Direction::ToServer, &bytes).is_err());
            prop_assert!(Packet::open(&cipher(), Direction::ToClient, &bytes).is_err());
        }
    }

    #[test]
    fn header_layout_is_big_endian_timestamps_then_payload() {
        let packet = Packet {
            route: Route::ToClient,
            seq: 3,
            timestamp: 0x1234,
            timestamp_reply: None,
            payload: b"xy".to_vec(),
        };
        let opened = cipher()
            .open(Direction::ToClient, &packet.seal(&cipher()))
            .unwrap();
        assert_eq!(opened.plaintext, [0x12, 0x34, 0xFF, 0xFF, b'x', b'y']);
    }

    #[test]
    fn a_reply_of_the_marker_value_reads_as_none() {
        let packet = Packet {
            route: to_server(),
            seq: 0,
            timestamp: 1,
            timestamp_reply: Some(NO_REPLY),
            payload: Vec::new(),
        };
        let opened = Packet::open(&cipher(), Direction::ToServer, &packet.seal(&cipher())).unwrap();
        assert_eq!(opened.timestamp_reply, None);
    }

    #[test]
    fn wrong_key_is_rejected() {
        let packet = Packet {
            route: to_server(),
            seq: 1,
            timestamp: 2,
            timestamp_reply: Some(3),
            payload: b"keys".to_vec(),
        };
        let other = Cipher::new(&SessionKey::from_bytes([0x43; 16]));
        assert_eq!(
            Packet::open(&other, Direction::ToServer, &packet.seal(&cipher())),
            Err(PacketError::Crypto(CryptoError::Forged))
        );
    }

    #[test]
    fn authentic_datagrams_too_short_for_the_header_are_rejected() {
        for len in 0..HEADER_LEN {
            let datagram = cipher().seal(Route::ToClient, 7, &[0; HEADER_LEN][..len]);
            assert_eq!(
                Packet::open(&cipher(), Direction::ToClient, &datagram),
                Err(PacketError::ShortHeader(len))
            );
        }
    }

    #[test]
    fn max_payload_fills_exactly_one_minimum_mtu_datagram() {
        assert_eq!(max_payload(Direction::ToServer), 1196);
        assert_eq!(max_payload(Direction::ToClient), 1204);
        for route in [to_server(), Route::ToClient] {
            let packet = Packet {
                route,
                seq: 0,
                timestamp: 0,
                timestamp_reply: None,
                payload: vec![0; max_payload(route.direction())],
            };
            assert_eq!(packet.seal(&cipher()).len(), MAX_DATAGRAM);
        }
    }
}

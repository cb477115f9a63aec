//! The frames a stream datagram carries, and how they become bytes.
//!
//! A stream datagram's payload is its kind byte (`connection.rs`) and then frames, each
//! one bincode value, back to back, until the payload ends. Frames are independent: a
//! datagram that is lost loses only its own frames, which the sender repeats in new
//! datagrams (with new sequence numbers) once it counts them lost.

use serde::{Deserialize, Serialize};

use crate::codec::{self, CodecError};

/// One frame. The enum is append-only, as every wire enum is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// Bytes `offset..offset + bytes.len()` of a stream; `fin`: the stream ends after
    /// them. A stream's first `Data` from the peer opens it.
    Data {
        stream: u64,
        offset: u64,
        fin: bool,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// The datagrams received: `largest` and the ranges below it, newest first, each as
    /// (gap below the previous range's start, length), QUIC's layout. `delay_micros` is
    /// how long the receiver held `largest` before acknowledging it.
    Ack {
        largest: u64,
        delay_micros: u64,
        first_len: u64,
        ranges: Vec<(u64, u64)>,
    },
    /// The peer may send stream bytes below `limit` (flow control), or, with no stream,
    /// stream bytes below `limit` summed over all streams.
    Window { stream: Option<u64>, limit: u64 },
    /// The sender dropped the stream: stop sending on it and forget it. Sent again
    /// until the datagram carrying it is acknowledged.
    Reset { stream: u64 },
}

impl Frame {
    /// Whether the frame must be acknowledged (and so retransmitted when lost).
    pub(crate) fn is_ack_eliciting(&self) -> bool {
        !matches!(self, Frame::Ack { .. })
    }
}

/// Bytes of a `Data` frame besides its bytes, at most: tag, three varints, flag, length.
pub(crate) const DATA_OVERHEAD: usize = 1 + 9 + 9 + 1 + 9;

pub(crate) fn encode(frame: &Frame, out: &mut Vec<u8>) {
    out.extend_from_slice(&codec::encode(frame));
}

/// Every frame in a payload, or an error if any of it does not parse.
pub(crate) fn decode_all(mut bytes: &[u8]) -> Result<Vec<Frame>, CodecError> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let (frame, used) = codec::decode_prefix::<Frame>(bytes)?;
        frames.push(frame);
        bytes = &bytes[used..];
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The layout is pinned: a reordered or inserted variant fails here.
    #[test]
    fn each_frame_has_a_fixed_encoding() {
        let data = Frame::Data {
            stream: 2,
            offset: 300,
            fin: true,
            bytes: b"hi".to_vec(),
        };
        assert_eq!(codec::encode(&data), [0, 2, 251, 44, 1, 1, 2, b'h', b'i']);
        let reset = Frame::Reset { stream: 7 };
        assert_eq!(codec::encode(&reset), [3, 7]);
        let window = Frame::Window {
            stream: None,
            limit: 5,
        };
        assert_eq!(codec::encode(&window), [2, 0, 5]);
    }

    #[test]
    fn data_overhead_bounds_the_largest_header() {
        let data = Frame::Data {
            stream: u64::MAX,
            offset: u64::MAX,
            fin: true,
            bytes: vec![0; 1000],
        };
        assert!(codec::encode(&data).len() <= 1000 + DATA_OVERHEAD);
    }

    proptest! {
        #[test]
        fn payloads_of_frames_round_trip(streams in proptest::collection::vec(0u64..1 << 40, 0..8)) {
            let frames: Vec<Frame> = streams
                .iter()
                .map(|&stream| Frame::Data { stream, offset: stream * 3, fin: stream % 2 == 0, bytes: vec![7; (stream % 50) as usize] })
                .chain(streams.iter().map(|&stream| Frame::Reset { stream }))
                .collect();
            let mut bytes = Vec::new();
            for frame in &frames {
                encode(frame, &mut bytes);
            }
            prop_assert_eq!(decode_all(&bytes).unwrap(), frames);
        }

        #[test]
        fn random_payloads_never_panic(bytes: Vec<u8>) {
            let _ = decode_all(&bytes);
        }
    }
}

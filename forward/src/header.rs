//! The first bytes of each direction of a forwarding stream: the opener says what the
//! stream is for ([`StreamOpen`]), the other end answers ([`OpenReply`]) before any data.
//! Each is a big-endian u32 length, then the value in the protocol's encoding.

use moshmux_proto::codec;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Longest header accepted: a host name is at most 255 bytes, a refusal one line.
pub const MAX_HEADER: usize = 4096;

/// What a stream carries. Append-only, as every wire enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamOpen {
    /// `-L`: connect to `host:port` from the server and carry that connection.
    Connect { host: String, port: u16 },
    /// `-R`: listen on `bind:port` at the server for as long as this stream lasts; each
    /// connection comes back as an [`StreamOpen::Accepted`] stream.
    Listen { bind: IpAddr, port: u16 },
    /// A connection the server accepted on the listener of the client's `Listen`
    /// stream `listener`: connect it to that forward's target here.
    Accepted { listener: u64 },
    /// `-A`: the client offers its agent for as long as this stream lasts.
    OfferAgent,
    /// A connection to the daemon's agent socket: connect it to the client's agent.
    Agent,
}

/// The answer to a [`StreamOpen`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpenReply {
    Connected,
    /// Why not, as one line for the user (`connection refused`).
    Refused(String),
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let body = codec::encode(value);
    let mut bytes = (body.len() as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(&body);
    bytes
}

/// What reading a header from the front of a stream gave so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// More bytes needed.
    Partial,
    /// The header, and how many bytes of the buffer it took.
    Done(T, usize),
    /// Not a header of ours: the stream is reset.
    Invalid,
}

pub fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Parsed<T> {
    let Some((length, rest)) = bytes.split_first_chunk::<4>() else {
        return Parsed::Partial;
    };
    let length = u32::from_be_bytes(*length) as usize;
    if length > MAX_HEADER {
        return Parsed::Invalid;
    }
    let Some(body) = rest.get(..length) else {
        return Parsed::Partial;
    };
    match codec::decode(body) {
        Ok(value) => Parsed::Done(value, 4 + length),
        Err(_) => Parsed::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_whole_and_refuse_junk() {
        let open = StreamOpen::Connect {
            host: "db.internal".into(),
            port: 5432,
        };
        let mut bytes = encode(&open);
        bytes.extend_from_slice(b"GET /");
        assert_eq!(parse::<StreamOpen>(&bytes[..3]), Parsed::Partial);
        assert_eq!(parse::<StreamOpen>(&bytes[..7]), Parsed::Partial);
        assert_eq!(
            parse::<StreamOpen>(&bytes),
            Parsed::Done(open, bytes.len() - 5)
        );
        assert_eq!(parse::<StreamOpen>(&[0, 1, 0, 0]), Parsed::Invalid);
        assert_eq!(parse::<StreamOpen>(&[0, 0, 0, 1, 9]), Parsed::Invalid);
    }
}

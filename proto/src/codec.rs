//! The one module that knows how protocol values become bytes.
//!
//! Wire values are serde types encoded with bincode 2 (standard config: varint integers,
//! little-endian). bincode was the dependency chosen for the project; it is compact for
//! the small, integer-heavy structs the protocol sends, and keeping every call to it here
//! means a move to postcard (RUSTSEC-2025-0141 marks bincode unmaintained) touches this
//! file only. Diffs are compressed with zstd, the same library the history store uses.

use serde::{de::DeserializeOwned, Serialize};

/// Largest value `decode` or `decompress` will ever materialise. A peer can claim any
/// length in a header; this bounds what such a claim can make us allocate.
pub const MAX_DECODED_LEN: usize = 16 << 20;

/// zstd level for diffs: level 3 is zstd's default, several hundred MB/s on this machine,
/// and within a few percent of higher levels on terminal text.
const ZSTD_LEVEL: i32 = 3;

/// First byte of a compressed buffer: what follows is stored as is.
const TAG_RAW: u8 = 0;
/// First byte of a compressed buffer: what follows is one zstd frame.
const TAG_ZSTD: u8 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("malformed value: {0}")]
    Malformed(String),
    #[error("{0} trailing bytes after the value")]
    TrailingBytes(usize),
    #[error("empty buffer where a compressed value was expected")]
    Empty,
    #[error("unknown compression tag {0}")]
    UnknownCompression(u8),
    #[error("compressed data is corrupt or larger than {MAX_DECODED_LEN} bytes")]
    Decompress,
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_DECODED_LEN>()
}

/// Encodes a value. Encoding to a Vec fails only for types serde cannot express in
/// bincode (such as maps with non-string keys in some formats), which is a bug in the
/// type, never in the input.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, config())
        .expect("protocol types are always encodable by bincode")
}

/// Decodes exactly one value; bytes left over mean the sender and we disagree on the type.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, config())
        .map_err(|e| CodecError::Malformed(e.to_string()))?;
    match bytes.len() - used {
        0 => Ok(value),
        extra => Err(CodecError::TrailingBytes(extra)),
    }
}

/// Decodes one value from the front of `bytes`; how many bytes it took. For payloads that
/// are several values back to back (stream frames).
pub fn decode_prefix<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, usize), CodecError> {
    bincode::serde::decode_from_slice(bytes, config())
        .map_err(|e| CodecError::Malformed(e.to_string()))
}

thread_local! {
    /// One zstd context per thread, reused for every message, instead of a fresh one each
    /// time (`zstd::bulk::compress`); `None` only if zstd could not make one.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Compressor::new(ZSTD_LEVEL).ok());
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Decompressor::new().ok());
}

/// Compresses a buffer, or stores it raw when compression would not make it smaller
/// (a keystroke diff of a few bytes grows under any compressor's framing).
pub fn compress(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 2 + 16);
    let packed = COMPRESSOR.with(|compressor| match &mut *compressor.borrow_mut() {
        Some(compressor) => compressor.compress(bytes),
        None => zstd::bulk::compress(bytes, ZSTD_LEVEL),
    });
    if let Ok(packed) = packed {
        if packed.len() < bytes.len() {
            out.push(TAG_ZSTD);
            out.extend_from_slice(&packed);
            return out;
        }
    }
    out.push(TAG_RAW);
    out.extend_from_slice(bytes);
    out
}

/// Reverses [`compress`], refusing anything that would expand past [`MAX_DECODED_LEN`].
pub fn decompress(bytes: &[u8]) -> Result<Vec<u8>, CodecError> {
    let (&tag, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    match tag {
        TAG_RAW if body.len() <= MAX_DECODED_LEN => Ok(body.to_vec()),
        TAG_RAW => Err(CodecError::Decompress),
        TAG_ZSTD => {
            // Our frames carry their size: room for exactly that, not for the limit (a
            // 16 MiB allocation per datagram's instruction otherwise).
            let size = match zstd::zstd_safe::get_frame_content_size(body) {
                Ok(Some(size)) if size > MAX_DECODED_LEN as u64 => {
                    return Err(CodecError::Decompress)
                }
                Ok(Some(size)) => size as usize,
                Ok(None) => MAX_DECODED_LEN,
                Err(_) => return Err(CodecError::Decompress),
            };
            DECOMPRESSOR
                .with(|decompressor| match &mut *decompressor.borrow_mut() {
                    Some(decompressor) => decompressor.decompress(body, size),
                    None => zstd::bulk::decompress(body, size),
                })
                .map_err(|_| CodecError::Decompress)
        }
        other => Err(CodecError::UnknownCompression(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Sample {
        number: u64,
        text: String,
        bytes: Vec<u8>,
    }

    proptest! {
        #[test]
        fn values_round_trip(number: u64, text: String, bytes: Vec<u8>) {
            let value = Sample { number, text, bytes };
            prop_assert_eq!(decode::<Sample>(&encode(&value)).unwrap(), value);
        }

        #[test]
        fn compression_round_trips(bytes: Vec<u8>) {
            prop_assert_eq!(decompress(&compress(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn random_bytes_never_panic(bytes: Vec<u8>) {
            let _ = decode::<Sample>(&bytes);
            let _ = decompress(&bytes);
        }
    }

    #[test]
    fn repetitive_text_shrinks() {
        let text = "drwxr-xr-x  2 user user 4096 Nov 25 08:05 .\n".repeat(50);
        assert!(compress(text.as_bytes()).len() < text.len() / 5);
    }

    #[test]
    fn tiny_buffers_are_stored_raw() {
        assert_eq!(compress(b"a"), vec![TAG_RAW, b'a']);
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut bytes = encode(&7u32);
        bytes.push(0);
        assert_eq!(decode::<u32>(&bytes), Err(CodecError::TrailingBytes(1)));
    }

    #[test]
    fn oversized_raw_claims_are_refused() {
        assert_eq!(decompress(&[9]), Err(CodecError::UnknownCompression(9)));
        assert_eq!(decompress(&[]), Err(CodecError::Empty));
    }
}

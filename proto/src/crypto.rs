//! Session keys and the datagram seal: AES-128 in OCB3 mode, as mosh uses it, behind a
//! clear header that routes the datagram and hides its sequence number.
//!
//! ```text
//! to the server:  connection id (8) || masked tail (8) || ciphertext || tag (16)
//! to the client:                       masked tail (8) || ciphertext || tag (16)
//! ```
//!
//! The tail carries the direction in its top bit and the sequence number in the low 63
//! bits; the 12-byte nonce is four zero bytes followed by the tail. Each direction therefore
//! has its own nonce space, and as long as a sender never repeats a sequence number no
//! nonce is ever reused under the session key. The tail is bound into the tag through the
//! nonce, and the connection id is the associated data, so altering either fails
//! authentication.
//!
//! The connection id lets one server port carry many clients: the server finds the
//! connection by a table lookup before any cryptography (`cid.rs`). Datagrams to the
//! client need none, since each client has its own socket. The tail is masked as QUIC
//! protects its packet numbers (RFC 9001, 5.4): XORed with the first 8 bytes of AES of
//! the tag under a key of its own. A rising sequence number in the clear would link a
//! client across a roam however often its connection id changes; masked, the header is
//! the id alone, and that changes when the client moves.
//!
//! Three keys come from the session key with HKDF-SHA256 (RFC 5869), one per job (the
//! seal, the mask, the connection ids), so no key serves two purposes and each label
//! names the protocol version that uses it.

use std::fmt;
use std::str::FromStr;

use aes::cipher::BlockEncrypt;
use aes::Aes128;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use ocb3::aead::AeadInPlace;
use ocb3::consts::U12;
use ocb3::{KeyInit, Ocb3};

use crate::cid::{ConnectionId, CID_LEN};

/// AES-128-OCB3 with a 12-byte nonce and the default 16-byte tag.
type Aes128Ocb3 = Ocb3<Aes128, U12>;

/// Bytes of nonce tail in every datagram.
const TAIL_LEN: usize = 8;
/// Bytes of authentication tag at the end of every datagram.
const TAG_LEN: usize = 16;
/// Bytes a datagram to the server adds to its plaintext: id, tail and tag.
pub const TO_SERVER_OVERHEAD: usize = CID_LEN + TAIL_LEN + TAG_LEN;
/// Bytes a datagram to the client adds to its plaintext: tail and tag.
pub const TO_CLIENT_OVERHEAD: usize = TAIL_LEN + TAG_LEN;
/// Largest sequence number a datagram can carry: the tail's top bit is the direction.
pub const MAX_SEQ: u64 = (1 << 63) - 1;
/// Characters in the text form of a key: 16 bytes of base64 without padding.
const KEY_TEXT_LEN: usize = 22;

const DIRECTION_BIT: u64 = 1 << 63;

/// HKDF labels of the three keys drawn from a session key: `moshmux VERSION JOB`. The
/// protocol version is in each, so a peer of another version cannot open our datagrams.
const SEAL_JOB: &str = "seal";
const MASK_JOB: &str = "mask";
const ID_JOB: &str = "connection ids";

/// The 128-bit secret shared by the two ends of one session.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey([u8; 16]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key must be {KEY_TEXT_LEN} characters of base64 (got {0})")]
    WrongLength(usize),
    #[error("key must be standard base64 (character {position} is not A-Z, a-z, 0-9, + or /)")]
    BadCharacter { position: usize },
    #[error("key must be base64 without '=' padding")]
    Padding,
    #[error("key's last character encodes bits beyond the 16 key bytes")]
    NonCanonical,
    #[error("the operating system's random number generator failed: {0}")]
    Rng(getrandom::Error),
}

impl SessionKey {
    /// Draws a fresh key from the operating system's RNG: the only randomness in `proto`.
    pub fn generate() -> Result<SessionKey, KeyError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(KeyError::Rng)?;
        Ok(SessionKey(bytes))
    }

    pub fn from_bytes(bytes: [u8; 16]) -> SessionKey {
        SessionKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// Keys travel through logs and error reports as part of larger structs; never print one.
impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&STANDARD_NO_PAD.encode(self.0))
    }
}

impl FromStr for SessionKey {
    type Err = KeyError;

    /// Accepts exactly the text `Display` writes, so one key has one spelling. Errors name
    /// a position, never the text, since the text may be the real key with one typo.
    fn from_str(text: &str) -> Result<SessionKey, KeyError> {
        let chars = text.chars().count();
        if chars != KEY_TEXT_LEN {
            return Err(KeyError::WrongLength(chars));
        }
        if let Some((index, c)) = text
            .chars()
            .enumerate()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '+' || c == '/'))
        {
            return Err(if c == '=' {
                KeyError::Padding
            } else {
                KeyError::BadCharacter {
                    position: index + 1,
                }
            });
        }
        // Only canonical-tail errors remain possible once length and alphabet are right.
        let bytes = STANDARD_NO_PAD
            .decode(text)
            .map_err(|_| KeyError::NonCanonical)?;
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| KeyError::NonCanonical)?;
        Ok(SessionKey(bytes))
    }
}

/// Says why this CPU cannot run this build, if it cannot. The workspace compiles AES-NI
/// in (see `.cargo/config.toml`) because the OCB mode calls AES one block at a time and
/// run-time dispatch costs three quarters of the speed; binaries call this first so an
/// old CPU gets a sentence instead of an illegal-instruction crash.
pub fn check_cpu() -> Result<(), &'static str> {
    #[cfg(all(target_arch = "x86_64", target_feature = "aes"))]
    if !std::arch::is_x86_feature_detected!("aes") || !std::arch::is_x86_feature_detected!("sse4.1")
    {
        return Err(
            "this CPU lacks AES-NI or SSE4.1, which this build of moshmux needs; \
                    rebuild it without the target features in .cargo/config.toml",
        );
    }
    Ok(())
}

/// Which way a datagram travels. Each direction has its own half of the nonce space.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    ToServer,
    ToClient,
}

impl Direction {
    /// Bytes a datagram in this direction adds to its plaintext.
    pub const fn overhead(self) -> usize {
        match self {
            Direction::ToServer => TO_SERVER_OVERHEAD,
            Direction::ToClient => TO_CLIENT_OVERHEAD,
        }
    }
}

/// A datagram's clear header: which way it goes, and to the server, which connection it
/// belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Route {
    ToServer(ConnectionId),
    ToClient,
}

impl Route {
    pub fn direction(self) -> Direction {
        match self {
            Route::ToServer(_) => Direction::ToServer,
            Route::ToClient => Direction::ToClient,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("datagram of {0} bytes is shorter than its header and tag")]
    Truncated(usize),
    #[error("datagram failed authentication (wrong key, corrupted or forged)")]
    Forged,
}

/// A datagram that passed authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub route: Route,
    pub seq: u64,
    pub plaintext: Vec<u8>,
}

/// Seals and opens datagrams under one session key, and names its connection ids.
#[derive(Clone)]
pub struct Cipher {
    ocb: Aes128Ocb3,
    mask: Aes128,
    ids: Aes128,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(..)")
    }
}

fn nonce(tail: [u8; TAIL_LEN]) -> ocb3::Nonce<U12> {
    let mut nonce = ocb3::Nonce::<U12>::default();
    nonce[12 - TAIL_LEN..].copy_from_slice(&tail);
    nonce
}

/// One AES block of `input` under `key`.
fn encrypt_block(key: &Aes128, input: [u8; 16]) -> [u8; 16] {
    let mut block = input.into();
    key.encrypt_block(&mut block);
    block.into()
}

impl Cipher {
    pub fn new(key: &SessionKey) -> Cipher {
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, key.as_bytes());
        let derive = |job: &str| {
            let label = format!("moshmux {} {job}", crate::instruction::PROTOCOL_VERSION);
            let mut derived = [0u8; 16];
            hkdf.expand(label.as_bytes(), &mut derived)
                .expect("HKDF-SHA256 gives up to 8160 bytes");
            derived
        };
        Cipher {
            ocb: Aes128Ocb3::new(&derive(SEAL_JOB).into()),
            mask: Aes128::new(&derive(MASK_JOB).into()),
            ids: Aes128::new(&derive(ID_JOB).into()),
        }
    }

    /// The connection id number `index` of this key: AES of the index under the id key,
    /// cut to [`CID_LEN`] bytes. Both ends compute the same ids, so no id needs to be
    /// sent, and each looks random to anyone without the key.
    pub fn connection_id(&self, index: u64) -> ConnectionId {
        let mut input = [0u8; 16];
        input[8..].copy_from_slice(&index.to_be_bytes());
        let block = encrypt_block(&self.ids, input);
        ConnectionId::from_bytes(block[..CID_LEN].try_into().expect("a block holds an id"))
    }

    /// What the tail is XORed with: AES of the tag under the mask key. The tag is the
    /// seal's pseudorandom output, different for every nonce, so the mask is too.
    fn tail_mask(&self, tag: &[u8; TAG_LEN]) -> [u8; TAIL_LEN] {
        let block = encrypt_block(&self.mask, *tag);
        block[..TAIL_LEN].try_into().expect("a block holds a mask")
    }

    /// Returns the whole datagram: the route's header, the masked tail, the ciphertext
    /// and the tag.
    ///
    /// # Panics
    /// If `seq > MAX_SEQ`. The sequence number would spill into the direction bit and
    /// reuse the other direction's nonces, which breaks OCB's confidentiality, so this is
    /// checked in release builds too. Callers count from 0 and never get near it.
    pub fn seal(&self, route: Route, seq: u64, plaintext: &[u8]) -> Vec<u8> {
        assert!(seq <= MAX_SEQ, "sequence number {seq} exceeds MAX_SEQ");
        let (bit, id) = match route {
            Route::ToServer(id) => (0, Some(id)),
            Route::ToClient => (DIRECTION_BIT, None),
        };
        let associated = id.as_ref().map_or(&[][..], ConnectionId::as_bytes);
        let tail = (bit | seq).to_be_bytes();
        let start = associated.len() + TAIL_LEN;
        let mut datagram = Vec::with_capacity(start + plaintext.len() + TAG_LEN);
        datagram.extend_from_slice(associated);
        datagram.extend_from_slice(&tail);
        datagram.extend_from_slice(plaintext);
        let tag: [u8; TAG_LEN] = self
            .ocb
            .encrypt_in_place_detached(&nonce(tail), associated, &mut datagram[start..])
            .expect("OCB3 accepts any buffer under 1 TiB")
            .into();
        let mask = self.tail_mask(&tag);
        for (byte, mask) in datagram[start - TAIL_LEN..start].iter_mut().zip(mask) {
            *byte ^= mask;
        }
        datagram.extend_from_slice(&tag);
        datagram
    }

    /// Authenticates and decrypts a datagram from the network that travels `direction`
    /// (the one this end receives).
    pub fn open(&self, direction: Direction, datagram: &[u8]) -> Result<Opened, CryptoError> {
        let truncated = CryptoError::Truncated(datagram.len());
        if datagram.len() < direction.overhead() {
            return Err(truncated);
        }
        let (associated, rest) = datagram.split_at(direction.overhead() - TO_CLIENT_OVERHEAD);
        let (masked, rest) = rest.split_first_chunk::<TAIL_LEN>().ok_or(truncated)?;
        let (ciphertext, tag) = rest.split_last_chunk::<TAG_LEN>().ok_or(truncated)?;
        let mut tail = *masked;
        for (byte, mask) in tail.iter_mut().zip(self.tail_mask(tag)) {
            *byte ^= mask;
        }
        let mut plaintext = ciphertext.to_vec();
        self.ocb
            .decrypt_in_place_detached(&nonce(tail), associated, &mut plaintext, tag.into())
            .map_err(|_| CryptoError::Forged)?;
        let tail = u64::from_be_bytes(tail);
        let bit = match direction {
            Direction::ToServer => 0,
            Direction::ToClient => DIRECTION_BIT,
        };
        // Authentic means sealed with this nonce, and only this end's peer seals in this
        // direction; a tail with the other direction's bit cannot authenticate here, as
        // the other direction's datagrams have the other shape.
        if tail & DIRECTION_BIT != bit {
            return Err(CryptoError::Forged);
        }
        let route = match ConnectionId::of(associated) {
            Some(id) => Route::ToServer(id),
            None => Route::ToClient,
        };
        Ok(Opened {
            route,
            seq: tail & MAX_SEQ,
            plaintext,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 7253 Appendix A, AES-128 with a 128-bit tag: (last nonce byte, length of A,
    /// length of P, C). A and P are always prefixes of 00 01 02 ...
    const RFC7253_VECTORS: [(u8, usize, usize, &str); 16] = [
        (0x00, 0, 0, "785407BFFFC8AD9EDCC5520AC9111EE6"),
        (0x01, 8, 8, "6820B3657B6F615A5725BDA0D3B4EB3A257C9AF1F8F03009"),
        (0x02, 8, 0, "81017F8203F081277152FADE694A0A00"),
        (0x03, 0, 8, "45DD69F8F5AAE72414054CD1F35D82760B2CD00D2F99BFA9"),
        (0x04, 16, 16, "571D535B60B277188BE5147170A9A22C3AD7A4FF3835B8C5701C1CCEC8FC3358"),
        (0x05, 16, 0, "8CF761B6902EF764462AD86498CA6B97"),
        (0x06, 0, 16, "5CE88EC2E0692706A915C00AEB8B2396F40E1C743F52436BDF06D8FA1ECA343D"),
        (
            0x07,
            24,
            24,
            "1CA2207308C87C010756104D8840CE1952F09673A448A122C92C62241051F57356D7F3C90BB0E07F",
        ),
        (0x08, 24, 0, "6DC225A071FC1B9F7C69F93B0F1E10DE"),
        (
            0x09,
            0,
            24,
            "221BD0DE7FA6FE993ECCD769460A0AF2D6CDED0C395B1C3CE725F32494B9F914D85C0B1EB38357FF",
        ),
        (
            0x0A,
            32,
            32,
            "BD6F6C496201C69296C11EFD138A467ABD3C707924B964DEAFFC40319AF5A48540FBBA186C5553C68AD9F592A79A4240",
        ),
        (0x0B, 32, 0, "FE80690BEE8A485D11F32965BC9D2A32"),
        (
            0x0C,
            0,
            32,
            "2942BFC773BDA23CABC6ACFD9BFD5835BD300F0973792EF46040C53F1432BCDFB5E1DDE3BC18A5F840B52E653444D5DF",
        ),
        (
            0x0D,
            40,
            40,
            "D5CA91748410C1751FF8A2F618255B68A0A12E093FF454606E59F9C1D0DDC54B65E8628E568BAD7AED07BA06A4A69483A7035490C5769E60",
        ),
        (0x0E, 40, 0, "C5CD9D1850C141E358649994EE701B68"),
        (
            0x0F,
            0,
            40,
            "4412923493C57D5DE0D700F753CCE0D1D2D95060122E9F15A5DDBFC5787E50B5CC55EE507BCB084E479AD363AC366B95A98CA5F3000B1479",
        ),
    ];

    #[test]
    fn rfc7253_vectors_encrypt_decrypt_and_reject_every_bit_flip() {
        let key: Vec<u8> = (0..16).collect();
        let ocb = Aes128Ocb3::new(key.as_slice().into());
        for (last, a_len, p_len, expected) in RFC7253_VECTORS {
            let mut nonce = hex("BBAA99887766554433221100");
            nonce[11] = last;
            let nonce = ocb3::Nonce::<U12>::from_slice(&nonce);
            let associated: Vec<u8> = (0..a_len as u8).collect();
            let plaintext: Vec<u8> = (0..p_len as u8).collect();
            let expected = hex(expected);

            let mut sealed = plaintext.clone();
            let tag = ocb
                .encrypt_in_place_detached(nonce, &associated, &mut sealed)
                .unwrap();
            sealed.extend_from_slice(&tag);
            assert_eq!(sealed, expected, "vector {last:#04x}");

            let open = |bytes: &[u8]| {
                let (body, tag) = bytes.split_at(bytes.len() - TAG_LEN);
                let mut body = body.to_vec();
                ocb.decrypt_in_place_detached(nonce, &associated, &mut body, tag.into())
                    .map(|()| body)
            };
            assert_eq!(open(&expected).unwrap(), plaintext, "vector {last:#04x}");
            for bit in 0..expected.len() * 8 {
                let mut flipped = expected.clone();
                flipped[bit / 8] ^= 1 << (bit % 8);
                assert!(open(&flipped).is_err(), "vector {last:#04x} bit {bit}");
            }
        }
    }

    fn cipher() -> Cipher {
        Cipher::new(&SessionKey::from_bytes(*b"moshmux test key"))
    }

    fn any_route() -> impl Strategy<Value = Route> {
        prop_oneof![
            any::<[u8; CID_LEN]>().prop_map(|id| Route::ToServer(ConnectionId::from_bytes(id))),
            Just(Route::ToClient),
        ]
    }

    fn to_server() -> Route {
        Route::ToServer(cipher().connection_id(3))
    }

    proptest! {
        #[test]
        fn sealed_datagrams_open_to_what_was_sealed(
            route in any_route(),
            seq in 0..=MAX_SEQ,
            plaintext in proptest::collection::vec(any::<u8>(), 0..1500),
        ) {
            let direction = route.direction();
            let datagram = cipher().seal(route, seq, &plaintext);
            prop_assert_eq!(datagram.len(), plaintext.len() + direction.overhead());
            let opened = cipher().open(direction, &datagram).unwrap();
            prop_assert_eq!(opened, Opened { route, seq, plaintext });
        }

        #[test]
        fn key_text_round_trips(bytes: [u8; 16]) {
            let key = SessionKey::from_bytes(bytes);
            let text = key.to_string();
            prop_assert_eq!(text.len(), KEY_TEXT_LEN);
            prop_assert_eq!(text.parse::<SessionKey>().unwrap(), key);
        }

        #[test]
        fn random_datagrams_never_open(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert!(cipher().open(Direction::ToServer, &bytes).is_err());
            prop_assert!(cipher().open(Direction::ToClient, &bytes).is_err());
        }
    }

    #[test]
    fn every_bit_flip_of_a_sealed_datagram_is_rejected() {
        for (route, seq) in [(to_server(), 0), (Route::ToClient, MAX_SEQ)] {
            let datagram = cipher().seal(route, seq, b"hello, world: 21 bytes");
            for bit in 0..datagram.len() * 8 {
                let mut flipped = datagram.clone();
                flipped[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    cipher().open(route.direction(), &flipped),
                    Err(CryptoError::Forged),
                    "bit {bit}"
                );
            }
        }
    }

    /// The header is the id alone: the tail is masked, so two datagrams with consecutive
    /// numbers share no visible counter, while the id leads every datagram to the server.
    #[test]
    fn the_id_is_in_the_clear_and_the_sequence_number_is_not() {
        let id = cipher().connection_id(0);
        let first = cipher().seal(Route::ToServer(id), 5, b"");
        let second = cipher().seal(Route::ToServer(id), 6, b"");
        assert_eq!((first.len(), TO_SERVER_OVERHEAD), (32, 32));
        assert_eq!(ConnectionId::of(&first), Some(id));
        let tail = |datagram: &[u8]| u64::from_be_bytes(datagram[8..16].try_into().unwrap());
        assert_ne!(tail(&first) ^ tail(&second), 5 ^ 6);
        assert_ne!(tail(&first) & MAX_SEQ, 5);
        let to_client = cipher().seal(Route::ToClient, 5, b"");
        assert_eq!(to_client.len(), TO_CLIENT_OVERHEAD);
        assert_ne!(to_client[..8], [0x80, 0, 0, 0, 0, 0, 0, 5]);
    }

    /// A datagram of one shape offered as the other, or with another id in front, does
    /// not open: the direction and the id are both authenticated.
    #[test]
    fn the_route_is_authenticated() {
        let to_client = cipher().seal(Route::ToClient, 1, b"output of the server");
        assert_eq!(
            cipher().open(Direction::ToServer, &to_client),
            Err(CryptoError::Forged)
        );
        let datagram = cipher().seal(to_server(), 1, b"keys");
        assert_eq!(
            cipher().open(Direction::ToClient, &datagram),
            Err(CryptoError::Forged)
        );
        let mut moved = datagram.clone();
        moved[..CID_LEN].copy_from_slice(cipher().connection_id(4).as_bytes());
        assert_eq!(
            cipher().open(Direction::ToServer, &moved),
            Err(CryptoError::Forged)
        );
    }

    #[test]
    fn truncated_datagrams_are_rejected() {
        for route in [to_server(), Route::ToClient] {
            let direction = route.direction();
            let datagram = cipher().seal(route, 9, b"some text");
            for len in 0..direction.overhead() {
                assert_eq!(
                    cipher().open(direction, &datagram[..len]),
                    Err(CryptoError::Truncated(len))
                );
            }
            for len in direction.overhead()..datagram.len() {
                assert_eq!(
                    cipher().open(direction, &datagram[..len]),
                    Err(CryptoError::Forged)
                );
            }
        }
    }

    #[test]
    fn another_key_cannot_open() {
        let datagram = cipher().seal(to_server(), 1, b"secret");
        let other = Cipher::new(&SessionKey::from_bytes([7; 16]));
        assert_eq!(
            other.open(Direction::ToServer, &datagram),
            Err(CryptoError::Forged)
        );
    }

    #[test]
    #[should_panic(expected = "exceeds MAX_SEQ")]
    fn sealing_past_max_seq_refuses() {
        cipher().seal(Route::ToClient, MAX_SEQ + 1, b"");
    }

    #[test]
    fn bad_key_text_is_rejected_with_a_reason() {
        let cases = [
            ("", KeyError::WrongLength(0)),
            ("abcde", KeyError::WrongLength(5)),
            ("AAAAAAAAAAAAAAAAAAAAAA==", KeyError::WrongLength(24)),
            ("AAAAAAAAAAAAAAAAAAAAAAA", KeyError::WrongLength(23)),
            ("AAAAAAAAAAAAAAAAAAAA==", KeyError::Padding),
            (
                "AAAAA-AAAAAAAAAAAAAAAA",
                KeyError::BadCharacter { position: 6 },
            ),
            (
                "AAAAAAAAAAAAAAAAAAAAA ",
                KeyError::BadCharacter { position: 22 },
            ),
            (
                "AAAAAAAAAAAAAAAAAAAAAé",
                KeyError::BadCharacter { position: 22 },
            ),
            // 22 characters hold 132 bits; the last 4 must be zero for a 128-bit key.
            ("AAAAAAAAAAAAAAAAAAAAAB", KeyError::NonCanonical),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<SessionKey>(), Err(expected), "{text:?}");
        }
        assert_eq!(
            KeyError::WrongLength(5).to_string(),
            "key must be 22 characters of base64 (got 5)"
        );
    }

    #[test]
    fn generated_keys_differ_and_debug_hides_them() {
        let a = SessionKey::generate().unwrap();
        let b = SessionKey::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "SessionKey(..)");
        assert!(!format!("{:?}", Cipher::new(&a)).contains(&a.to_string()));
    }
}

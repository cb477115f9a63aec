//! Session keys and the datagram seal: AES-128 in OCB3 mode, as mosh uses it.
//!
//! A datagram is `tail (8 bytes) || ciphertext || tag (16 bytes)`. The tail carries the
//! direction in its top bit and the sequence number in the low 63 bits; the 12-byte nonce
//! is four zero bytes followed by the tail. Each direction therefore has its own nonce
//! space, and as long as a sender never repeats a sequence number no nonce is ever reused
//! under the session key. The tail is not associated data: it is bound into the tag
//! through the nonce, so altering it fails authentication just the same.

use std::fmt;
use std::str::FromStr;

use aes::Aes128;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use ocb3::aead::AeadInPlace;
use ocb3::consts::U12;
use ocb3::{KeyInit, Ocb3};

/// AES-128-OCB3 with a 12-byte nonce and the default 16-byte tag.
type Aes128Ocb3 = Ocb3<Aes128, U12>;

/// Bytes of nonce tail at the front of every datagram.
const TAIL_LEN: usize = 8;
/// Bytes of authentication tag at the end of every datagram.
const TAG_LEN: usize = 16;
/// Bytes a datagram adds to its plaintext: the nonce tail and the tag.
pub const DATAGRAM_OVERHEAD: usize = TAIL_LEN + TAG_LEN;
/// Largest sequence number a datagram can carry: the tail's top bit is the direction.
pub const MAX_SEQ: u64 = (1 << 63) - 1;
/// Characters in the text form of a key: 16 bytes of base64 without padding.
const KEY_TEXT_LEN: usize = 22;

const DIRECTION_BIT: u64 = 1 << 63;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("datagram of {0} bytes is shorter than the {DATAGRAM_OVERHEAD}-byte nonce and tag")]
    Truncated(usize),
    #[error("datagram failed authentication (wrong key, corrupted or forged)")]
    Forged,
}

/// A datagram that passed authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub direction: Direction,
    pub seq: u64,
    pub plaintext: Vec<u8>,
}

/// Seals and opens datagrams under one session key.
#[derive(Clone)]
pub struct Cipher {
    ocb: Aes128Ocb3,
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

impl Cipher {
    pub fn new(key: &SessionKey) -> Cipher {
        Cipher {
            ocb: Aes128Ocb3::new(key.as_bytes().into()),
        }
    }

    /// Returns the whole datagram: `tail || ciphertext || tag`.
    ///
    /// # Panics
    /// If `seq > MAX_SEQ`. The sequence number would spill into the direction bit and
    /// reuse the other direction's nonces, which breaks OCB's confidentiality, so this is
    /// checked in release builds too. Callers count from 0 and never get near it.
    pub fn seal(&self, direction: Direction, seq: u64, plaintext: &[u8]) -> Vec<u8> {
        assert!(seq <= MAX_SEQ, "sequence number {seq} exceeds MAX_SEQ");
        let bit = match direction {
            Direction::ToServer => 0,
            Direction::ToClient => DIRECTION_BIT,
        };
        let tail = (bit | seq).to_be_bytes();
        let mut datagram = Vec::with_capacity(DATAGRAM_OVERHEAD + plaintext.len());
        datagram.extend_from_slice(&tail);
        datagram.extend_from_slice(plaintext);
        let tag = self
            .ocb
            .encrypt_in_place_detached(&nonce(tail), &[], &mut datagram[TAIL_LEN..])
            .expect("OCB3 accepts any buffer under 1 TiB");
        datagram.extend_from_slice(&tag);
        datagram
    }

    /// Authenticates and decrypts a datagram from the network.
    pub fn open(&self, datagram: &[u8]) -> Result<Opened, CryptoError> {
        let truncated = CryptoError::Truncated(datagram.len());
        let (tail, rest) = datagram.split_first_chunk::<TAIL_LEN>().ok_or(truncated)?;
        let (ciphertext, tag) = rest.split_last_chunk::<TAG_LEN>().ok_or(truncated)?;
        let mut plaintext = ciphertext.to_vec();
        self.ocb
            .decrypt_in_place_detached(&nonce(*tail), &[], &mut plaintext, tag.into())
            .map_err(|_| CryptoError::Forged)?;
        let tail = u64::from_be_bytes(*tail);
        let direction = if tail & DIRECTION_BIT == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        Ok(Opened {
            direction,
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

    fn any_direction() -> impl Strategy<Value = Direction> {
        prop_oneof![Just(Direction::ToServer), Just(Direction::ToClient)]
    }

    proptest! {
        #[test]
        fn sealed_datagrams_open_to_what_was_sealed(
            direction in any_direction(),
            seq in 0..=MAX_SEQ,
            plaintext in proptest::collection::vec(any::<u8>(), 0..1500),
        ) {
            let datagram = cipher().seal(direction, seq, &plaintext);
            prop_assert_eq!(datagram.len(), plaintext.len() + DATAGRAM_OVERHEAD);
            let opened = cipher().open(&datagram).unwrap();
            prop_assert_eq!(opened, Opened { direction, seq, plaintext });
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
            prop_assert!(cipher().open(&bytes).is_err());
        }
    }

    #[test]
    fn every_bit_flip_of_a_sealed_datagram_is_rejected() {
        for (direction, seq) in [(Direction::ToServer, 0), (Direction::ToClient, MAX_SEQ)] {
            let datagram = cipher().seal(direction, seq, b"hello, world: 21 bytes");
            for bit in 0..datagram.len() * 8 {
                let mut flipped = datagram.clone();
                flipped[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    cipher().open(&flipped),
                    Err(CryptoError::Forged),
                    "bit {bit}"
                );
            }
        }
    }

    #[test]
    fn direction_is_the_top_bit_of_the_tail() {
        let to_server = cipher().seal(Direction::ToServer, 5, b"");
        let to_client = cipher().seal(Direction::ToClient, 5, b"");
        assert_eq!(to_server[..8], [0, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(to_client[..8], [0x80, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(to_server.len(), DATAGRAM_OVERHEAD);
    }

    #[test]
    fn truncated_datagrams_are_rejected() {
        let datagram = cipher().seal(Direction::ToClient, 9, b"some text");
        for len in 0..DATAGRAM_OVERHEAD {
            assert_eq!(
                cipher().open(&datagram[..len]),
                Err(CryptoError::Truncated(len))
            );
        }
        for len in DATAGRAM_OVERHEAD..datagram.len() {
            assert_eq!(cipher().open(&datagram[..len]), Err(CryptoError::Forged));
        }
    }

    #[test]
    fn another_key_cannot_open() {
        let datagram = cipher().seal(Direction::ToServer, 1, b"secret");
        let other = Cipher::new(&SessionKey::from_bytes([7; 16]));
        assert_eq!(other.open(&datagram), Err(CryptoError::Forged));
    }

    #[test]
    #[should_panic(expected = "exceeds MAX_SEQ")]
    fn sealing_past_max_seq_refuses() {
        cipher().seal(Direction::ToServer, MAX_SEQ + 1, b"");
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

//! The SSP message: "turn your copy of state `old_num` into state `new_num`".
//!
//! On the wire an instruction travels inside a versioned envelope, so a peer that speaks
//! another protocol version is recognised as such (a typed error) even when the shape of
//! its instruction changed, instead of being reported as garbage.

use serde::{Deserialize, Serialize};

use crate::codec::{self, CodecError};

/// Bumped whenever the meaning or layout of [`Instruction`] changes.
pub const PROTOCOL_VERSION: u32 = 19;

/// One state transition, plus the acknowledgement piggybacked on every message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instruction {
    /// The state the diff applies to; the receiver must hold exactly this one.
    pub old_num: u64,
    /// The number the resulting state gets.
    pub new_num: u64,
    /// The newest state of the *other* direction that the sender of this message holds.
    pub ack_num: u64,
    /// The oldest state the sender may still use as a base; the receiver may forget older.
    pub throwaway_num: u64,
    /// Output of [`crate::SyncState::diff_from`]; empty when the message only acknowledges.
    pub diff: Vec<u8>,
    /// The sender has closed: state `new_num` is its last. The receiver acknowledges it
    /// at once (not after the delayed-ack wait) and expects nothing after it, as mosh's
    /// shutdown state does.
    pub closing: bool,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    protocol_version: u32,
    instruction: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum InstructionError {
    #[error("peer speaks protocol version {theirs}, we speak {PROTOCOL_VERSION}")]
    VersionMismatch { theirs: u32 },
    #[error("malformed instruction: {0}")]
    Malformed(#[from] CodecError),
}

impl Instruction {
    /// Serialises and compresses the whole message (the diff and the numbers around it).
    pub fn to_bytes(&self) -> Vec<u8> {
        let envelope = Envelope {
            protocol_version: PROTOCOL_VERSION,
            instruction: codec::encode(self),
        };
        codec::compress(&codec::encode(&envelope))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InstructionError> {
        let envelope: Envelope = codec::decode(&codec::decompress(bytes)?)?;
        if envelope.protocol_version != PROTOCOL_VERSION {
            return Err(InstructionError::VersionMismatch {
                theirs: envelope.protocol_version,
            });
        }
        Ok(codec::decode(&envelope.instruction)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn instructions_round_trip(
            old_num: u64, new_num: u64, ack_num: u64, throwaway_num: u64, diff: Vec<u8>,
            closing: bool,
        ) {
            let instruction = Instruction { old_num, new_num, ack_num, throwaway_num, diff, closing };
            prop_assert_eq!(Instruction::from_bytes(&instruction.to_bytes()), Ok(instruction));
        }

        #[test]
        fn random_bytes_are_an_error_not_a_panic(bytes: Vec<u8>) {
            let _ = Instruction::from_bytes(&bytes);
        }
    }

    #[test]
    fn another_version_is_a_typed_error() {
        let envelope = Envelope {
            protocol_version: PROTOCOL_VERSION + 1,
            instruction: b"whatever a future version puts here".to_vec(),
        };
        let bytes = codec::compress(&codec::encode(&envelope));
        assert_eq!(
            Instruction::from_bytes(&bytes),
            Err(InstructionError::VersionMismatch {
                theirs: PROTOCOL_VERSION + 1
            })
        );
    }

    #[test]
    fn long_repetitive_diffs_are_compressed() {
        let instruction = Instruction {
            old_num: 1,
            new_num: 2,
            ack_num: 3,
            throwaway_num: 1,
            diff: b"$ ls -l\n".repeat(200),
            closing: false,
        };
        assert!(instruction.to_bytes().len() < 200);
    }
}

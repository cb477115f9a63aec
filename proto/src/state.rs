//! The contract a value must meet to be synchronised by SSP.
//!
//! SSP never sends a state, only the difference between two states the peers may share,
//! so the state type itself decides how compact updates are. Each side keeps a few numbered
//! copies of the states in flight; the type must therefore be cheap enough to clone, and
//! equality must mean "nothing to send".

/// A value one side of a connection owns and the other side mirrors.
///
/// Rules an implementation must follow:
/// - `new.diff_from(old)` is empty when `new == old`, and applying it to a copy of `old`
///   yields a value equal to `new`.
/// - `apply` rejects bytes it cannot interpret with an error: a diff comes from the
///   network (authenticated, but possibly from a buggy or newer peer) and must never panic.
pub trait SyncState: Clone + PartialEq {
    /// The bytes that turn `old` into `self`.
    fn diff_from(&self, old: &Self) -> Vec<u8>;

    /// Turns `self` into the state the diff was made for.
    fn apply(&mut self, diff: &[u8]) -> Result<(), DiffError>;

    /// Forgets what `acked` and `self` share, when that part can never be needed again.
    ///
    /// A stream of events (the user's keystrokes) grows for ever; once the peer holds a
    /// prefix of it, both sides drop that prefix so no copy keeps the whole history. A diff
    /// made from a base that was later subtracted must still apply to the subtracted base
    /// (a stream can achieve this by numbering its events absolutely). Snapshot-like states
    /// (a screen) keep the default, which does nothing.
    fn subtract(&mut self, _acked: &Self) {}

    /// How far a stream has come: the number of events it has had, subtracted or not. The
    /// driver reports it for the state the peer acknowledged, so the application knows
    /// which of its events the peer holds (the client's prediction waits for that).
    /// Snapshot-like states keep the default, 0.
    fn progress(&self) -> u64 {
        0
    }
}

/// A diff that does not fit the state it was applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state diff rejected: {reason}")]
pub struct DiffError {
    reason: String,
}

impl DiffError {
    pub fn new(reason: impl Into<String>) -> Self {
        DiffError {
            reason: reason.into(),
        }
    }
}

impl From<crate::codec::CodecError> for DiffError {
    fn from(error: crate::codec::CodecError) -> Self {
        DiffError::new(error.to_string())
    }
}

/// A snapshot state for unit tests: the diff is the whole new text.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub(crate) struct Text(pub String);

    impl SyncState for Text {
        fn diff_from(&self, old: &Self) -> Vec<u8> {
            if self == old {
                Vec::new()
            } else {
                crate::codec::encode(&self.0)
            }
        }

        fn apply(&mut self, diff: &[u8]) -> Result<(), DiffError> {
            self.0 = crate::codec::decode(diff)?;
            Ok(())
        }
    }

    pub(crate) fn text(s: &str) -> Text {
        Text(s.to_owned())
    }
}

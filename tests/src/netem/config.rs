//! What a test asks of the link: plain values, checked before the emulator starts (or
//! before a change applies), so a bad probability is an error for the caller rather than
//! a link that silently does something else.

use std::io;
use std::time::Duration;

/// Extra delay for a datagram picked for reordering, unless configured otherwise: long
/// enough to let a few datagrams of a burst overtake it.
pub const DEFAULT_REORDER_HOLD: Duration = Duration::from_millis(50);

/// How one direction of the link treats datagrams.
#[derive(Clone, Debug, PartialEq)]
pub struct DirectionConfig {
    /// Probability (0..=1) that a datagram is lost.
    pub loss: f64,
    /// One-way delay added to every datagram.
    pub delay: Duration,
    /// Each datagram's delay varies uniformly within `delay +- jitter` (never below zero).
    /// Datagrams may overtake each other, as with kernel netem.
    pub jitter: Duration,
    /// Probability (0..=1) that a datagram is held back by `reorder_hold` on top of its delay.
    pub reorder: f64,
    /// Extra delay of a datagram picked for reordering.
    pub reorder_hold: Duration,
    /// Probability (0..=1) that a datagram is delivered twice (each copy with its own jitter).
    pub duplicate: f64,
    /// Bytes per second the direction can carry; datagrams queue behind each other.
    pub rate: Option<u64>,
}

impl Default for DirectionConfig {
    /// A clean link: no loss, no delay.
    fn default() -> Self {
        Self {
            loss: 0.0,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            reorder: 0.0,
            reorder_hold: DEFAULT_REORDER_HOLD,
            duplicate: 0.0,
            rate: None,
        }
    }
}

impl DirectionConfig {
    pub(crate) fn validate(&self) -> io::Result<()> {
        for (name, p) in [
            ("loss", self.loss),
            ("reorder", self.reorder),
            ("duplicate", self.duplicate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(invalid(format!(
                    "{name} probability {p} is not within 0..=1"
                )));
            }
        }
        if self.rate == Some(0) {
            return Err(invalid("rate must be above zero".to_string()));
        }
        Ok(())
    }
}

/// A window in which the link drops everything, both ways, including datagrams already in
/// flight that would arrive inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blackout {
    /// When the window opens, counted from [`Netem::start`].
    pub start: Duration,
    pub duration: Duration,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkConfig {
    pub to_server: DirectionConfig,
    pub to_client: DirectionConfig,
    pub seed: u64,
    pub blackouts: Vec<Blackout>,
}

impl LinkConfig {
    /// The same loss and delay each way (a round trip is twice `one_way`), no blackouts.
    pub fn symmetric(one_way: Duration, loss: f64, seed: u64) -> LinkConfig {
        let direction = DirectionConfig {
            loss,
            delay: one_way,
            ..DirectionConfig::default()
        };
        LinkConfig {
            to_server: direction.clone(),
            to_client: direction,
            seed,
            blackouts: Vec::new(),
        }
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

//! Per-pane records and the pane id counter, in the same keyspace as the blocks so one
//! atomic batch writes a pane's lines and its line count together.

use crate::line::PaneUid;
use serde::{Deserialize, Serialize};

pub const META_KEY_PREFIX: u8 = b'm';
/// Key of the next pane uid to hand out.
pub const PANE_COUNTER_KEY: &[u8] = b"n";
/// Key of the number of the last write round, written in every round's batch.
pub const ROUND_KEY: &[u8] = b"r";

pub fn encode_round(round: u64) -> [u8; 8] {
    round.to_be_bytes()
}

pub fn decode_round(bytes: &[u8]) -> Result<u64, String> {
    bytes
        .try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| format!("round number of {} bytes", bytes.len()))
}

/// Largest meta record decode will accept (titles are short; this bounds a scribble).
const MAX_META_LEN: usize = 1 << 20;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaneMeta {
    /// Number the next line will get. Kept here as well as implied by the last block,
    /// because a total byte limit can drop every block of a pane, and its numbering must
    /// still go on where it stopped.
    pub next_line: u64,
    /// The pane's process exited or its server died; its history stays readable.
    pub ended: bool,
    pub command: String,
    pub title: String,
}

pub fn meta_key(pane: PaneUid) -> [u8; 5] {
    let mut key = [0u8; 5];
    key[0] = META_KEY_PREFIX;
    key[1..].copy_from_slice(&pane.0.to_be_bytes());
    key
}

pub fn parse_meta_key(key: &[u8]) -> Option<PaneUid> {
    match key {
        [META_KEY_PREFIX, a, b, c, d] => Some(PaneUid(u32::from_be_bytes([*a, *b, *c, *d]))),
        _ => None,
    }
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_META_LEN>()
}

pub fn encode_meta(meta: &PaneMeta) -> Vec<u8> {
    bincode::serde::encode_to_vec(meta, config()).unwrap_or_default()
}

pub fn decode_meta(bytes: &[u8]) -> Result<PaneMeta, String> {
    let (meta, used) =
        bincode::serde::decode_from_slice(bytes, config()).map_err(|e| e.to_string())?;
    if used != bytes.len() {
        return Err(format!("{} trailing bytes", bytes.len() - used));
    }
    Ok(meta)
}

pub fn encode_counter(next: u32) -> [u8; 4] {
    next.to_be_bytes()
}

pub fn decode_counter(bytes: &[u8]) -> Result<u32, String> {
    bytes
        .try_into()
        .map(u32::from_be_bytes)
        .map_err(|_| format!("pane counter of {} bytes", bytes.len()))
}

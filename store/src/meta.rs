//! Per-pane records and the pane id counter, in the same keyspace as the blocks so one
//! atomic batch writes a pane's lines and its line count together.

use crate::legacy::StoredLine;
use moshmux_proto::screen::{Row, RowWithoutOverline};
use moshmux_proto::{LineNumber, PaneId};
use serde::{Deserialize, Serialize};

pub const META_KEY_PREFIX: u8 = b'm';
/// Prefix of a live pane's screen snapshot ([`ScreenSnapshot`]) in history format 3,
/// apart from its record so records written before snapshots existed still decode. A
/// snapshot's value has no format byte, so each format has a prefix of its own.
pub const SCREEN_KEY_PREFIX: u8 = b'T';
/// Prefix of a screen snapshot in history format 2 (rows before overline,
/// [`RowWithoutOverline`]), as daemons before format 3 wrote it: still read, never
/// written, deleted with the pane's snapshot.
pub const V2_SCREEN_KEY_PREFIX: u8 = b'S';
/// Prefix of a screen snapshot in history format 1 ([`StoredLine`]s), as daemons before
/// format 2 wrote it: the same.
pub const V1_SCREEN_KEY_PREFIX: u8 = b's';
/// Key of the next pane id to hand out.
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

/// What a live pane's screen showed, so that a daemon killed without a chance to end its
/// panes (`kill -9`, a crash, a power cut) still leaves their last screens in history:
/// the next daemon appends the rows that had not scrolled into history yet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenSnapshot {
    /// The pane's next line number when the snapshot was taken: the first row follows
    /// history line `after_line - 1`.
    pub after_line: LineNumber,
    /// The screen's rows from the top, down to the last one with text.
    pub lines: Vec<Row>,
}

/// [`ScreenSnapshot`] in format 1 (`L` = [`StoredLine`]) or 2 (`L` =
/// [`RowWithoutOverline`]).
#[derive(Deserialize)]
struct OldScreenSnapshot<L> {
    after_line: LineNumber,
    lines: Vec<L>,
}

pub fn meta_key(pane: PaneId) -> [u8; 5] {
    pane_key(META_KEY_PREFIX, pane)
}

pub fn screen_key(pane: PaneId) -> [u8; 5] {
    pane_key(SCREEN_KEY_PREFIX, pane)
}

/// The keys of the pane's snapshots in older formats, deleted with its snapshot.
pub fn old_screen_keys(pane: PaneId) -> [[u8; 5]; 2] {
    [
        pane_key(V1_SCREEN_KEY_PREFIX, pane),
        pane_key(V2_SCREEN_KEY_PREFIX, pane),
    ]
}

fn pane_key(prefix: u8, pane: PaneId) -> [u8; 5] {
    let mut key = [0u8; 5];
    key[0] = prefix;
    key[1..].copy_from_slice(&pane.0.to_be_bytes());
    key
}

/// The pane of a record or snapshot key with this prefix.
pub fn parse_pane_key(prefix: u8, key: &[u8]) -> Option<PaneId> {
    match key {
        [p, a, b, c, d] if *p == prefix => Some(PaneId(u32::from_be_bytes([*a, *b, *c, *d]))),
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
    decode_whole(bytes)
}

pub fn encode_screen(screen: &ScreenSnapshot) -> Vec<u8> {
    bincode::serde::encode_to_vec(screen, config()).unwrap_or_default()
}

pub fn decode_screen(bytes: &[u8]) -> Result<ScreenSnapshot, String> {
    decode_whole(bytes)
}

pub fn decode_v1_screen(bytes: &[u8]) -> Result<ScreenSnapshot, String> {
    decode_old_screen(bytes, StoredLine::into_row)
}

pub fn decode_v2_screen(bytes: &[u8]) -> Result<ScreenSnapshot, String> {
    decode_old_screen(bytes, |line: RowWithoutOverline| line.0)
}

fn decode_old_screen<L: serde::de::DeserializeOwned>(
    bytes: &[u8],
    into_row: impl FnMut(L) -> Row,
) -> Result<ScreenSnapshot, String> {
    let old: OldScreenSnapshot<L> = decode_whole(bytes)?;
    Ok(ScreenSnapshot {
        after_line: old.after_line,
        lines: old.lines.into_iter().map(into_row).collect(),
    })
}

fn decode_whole<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let (value, used) =
        bincode::serde::decode_from_slice(bytes, config()).map_err(|e| e.to_string())?;
    if used != bytes.len() {
        return Err(format!("{} trailing bytes", bytes.len() - used));
    }
    Ok(value)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_1_screen_snapshot_reads_as_rows() {
        #[derive(Serialize)]
        struct Written {
            after_line: u64,
            lines: Vec<StoredLine>,
        }
        let written = Written {
            after_line: 41,
            lines: vec![StoredLine {
                text: "$ ls中".to_owned(),
                attrs: Vec::new(),
                wrapped: false,
            }],
        };
        let bytes = bincode::serde::encode_to_vec(&written, config()).unwrap_or_default();
        let screen = decode_v1_screen(&bytes);
        let rows = screen.as_ref().map(|s| (s.after_line, s.lines.clone()));
        let mut expected = Row::builder(6);
        "$ ls".chars().for_each(|c| {
            expected.push_char(c, Default::default());
        });
        expected.push("中", true, Default::default());
        assert_eq!(rows, Ok((LineNumber(41), vec![expected.finish(false)])));
    }

    #[test]
    fn a_format_2_screen_snapshot_reads_as_rows() {
        #[derive(Serialize)]
        struct Written {
            after_line: u64,
            lines: Vec<crate::block::tests::Format2Row>,
        }
        let (line, row) = crate::block::tests::format_2_row();
        let written = Written {
            after_line: 41,
            lines: vec![line],
        };
        let bytes = bincode::serde::encode_to_vec(&written, config()).unwrap_or_default();
        let screen = decode_v2_screen(&bytes);
        let rows = screen.as_ref().map(|s| (s.after_line, s.lines.clone()));
        assert_eq!(rows, Ok((LineNumber(41), vec![row])));
        // Read as today's layout, the same bytes are an error, not a wrong screen.
        assert!(decode_screen(&bytes).is_err());
    }
}

//! A block is a run of consecutive lines of one pane, stored under one key.
//!
//! One key per line would cost the database's per-key overhead (sled: about 2.6x the raw
//! bytes) on every ~65-byte line; a block of [`BLOCK_LINES`] lines compresses with zstd
//! to a fraction of its text and makes a range read one or two gets.
//!
//! Key: `b'b'`, pane id (u32 big-endian), first line number (u64 big-endian), so a
//! pane's blocks sort by line number and a range read is an ordered scan.
//!
//! Value: a fixed header (format, sequence number, line count, encoded length) that can
//! be read without decompressing, then one zstd frame of the bincode-encoded lines. The
//! header lets the store rebuild its index at startup without decoding any text.
//!
//! Format 3 holds the protocol's [`Row`]s, the type the terminal model captures and the
//! client draws, so a line goes from the pane to the disk to the scroll view unconverted
//! (hyperlinks, wide cells and overline included). Format 2 is the same before cell
//! styles had overline, read through the row's older layout
//! ([`RowWithoutOverline`]); format 1 (text and character runs, [`StoredLine`]) is read
//! and turned into rows. Nothing writes either any more.

use crate::legacy::StoredLine;
use moshmux_proto::screen::{Row, RowWithoutOverline};
use moshmux_proto::PaneId;

/// Lines per sealed block. 256 lines of ~65 characters is ~16 KiB of text; zstd
/// compresses terminal text of that size about 5-10x, and reading any line costs at
/// most one such block's decompression (tens of microseconds).
pub const BLOCK_LINES: usize = 256;

/// zstd level 3 (its default) is several hundred MB/s per core here; higher levels save
/// a few percent of disk for several times the writer's CPU.
const ZSTD_LEVEL: i32 = 3;

const FORMAT_V1: u8 = 1;
const FORMAT_V2: u8 = 2;
const FORMAT_V3: u8 = 3;
const HEADER_LEN: usize = 1 + 8 + 4 + 4;

/// A block header claiming more than this is corrupt, whatever its frame says: it bounds
/// what a scribbled file can make the reader allocate.
const MAX_ENCODED_LEN: usize = 64 << 20;

pub const BLOCK_KEY_PREFIX: u8 = b'b';
pub const BLOCK_KEY_LEN: usize = 1 + 4 + 8;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlockError {
    #[error("block value shorter than its header")]
    Truncated,
    #[error("unknown block format {0}")]
    UnknownFormat(u8),
    #[error("block claims {0} encoded bytes, more than any block can hold")]
    TooLarge(usize),
    #[error("block does not decompress: {0}")]
    Decompress(String),
    #[error("block does not decode: {0}")]
    Decode(String),
    #[error("block header says {header} lines, its body holds {body}")]
    CountMismatch { header: u32, body: usize },
    #[error("malformed block key")]
    BadKey,
}

/// What the header tells without decompressing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Order in which blocks were first written, across all panes: the total byte limit
    /// drops the globally oldest block first.
    pub seq: u64,
    pub lines: u32,
}

pub fn block_key(pane: PaneId, first_line: u64) -> [u8; BLOCK_KEY_LEN] {
    let mut key = [0u8; BLOCK_KEY_LEN];
    key[0] = BLOCK_KEY_PREFIX;
    key[1..5].copy_from_slice(&pane.0.to_be_bytes());
    key[5..].copy_from_slice(&first_line.to_be_bytes());
    key
}

pub fn parse_block_key(key: &[u8]) -> Result<(PaneId, u64), BlockError> {
    if key.len() != BLOCK_KEY_LEN || key[0] != BLOCK_KEY_PREFIX {
        return Err(BlockError::BadKey);
    }
    let pane = u32::from_be_bytes(key[1..5].try_into().map_err(|_| BlockError::BadKey)?);
    let first = u64::from_be_bytes(key[5..].try_into().map_err(|_| BlockError::BadKey)?);
    Ok((PaneId(pane), first))
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_ENCODED_LEN>()
}

thread_local! {
    /// One zstd context per thread, reused for every block: making a fresh one per block
    /// (what `zstd::bulk::compress` does) cost the writer a good part of its time under
    /// a flood. `None` only if zstd could not make one; the one-shot call is used then.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Compressor::new(ZSTD_LEVEL).ok());
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Decompressor::new().ok());
}

pub fn encode_block(seq: u64, lines: &[Row]) -> Vec<u8> {
    encode_block_as(FORMAT_V3, seq, lines)
}

fn encode_block_as<T: serde::Serialize>(format: u8, seq: u64, lines: &[T]) -> Vec<u8> {
    // Encoding plain structs of strings and integers into a Vec cannot fail; an error here
    // would be a bug in the derive, so it falls back to an empty body that decode rejects
    // (count mismatch) rather than panicking in the writer thread.
    let raw = bincode::serde::encode_to_vec(lines, bincode_config()).unwrap_or_default();
    let packed = COMPRESSOR.with(|compressor| match &mut *compressor.borrow_mut() {
        Some(compressor) => compressor.compress(&raw).unwrap_or_default(),
        None => zstd::bulk::compress(&raw, ZSTD_LEVEL).unwrap_or_default(),
    });
    let mut value = Vec::with_capacity(HEADER_LEN + packed.len());
    value.push(format);
    value.extend_from_slice(&seq.to_le_bytes());
    value.extend_from_slice(&(lines.len() as u32).to_le_bytes());
    value.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    value.extend_from_slice(&packed);
    value
}

/// The header, the body's decompressed length, the format and the compressed body.
fn split_header(value: &[u8]) -> Result<(BlockHeader, usize, u8, &[u8]), BlockError> {
    if value.len() < HEADER_LEN {
        return Err(BlockError::Truncated);
    }
    let (head, body) = value.split_at(HEADER_LEN);
    let format = head[0];
    if !(FORMAT_V1..=FORMAT_V3).contains(&format) {
        return Err(BlockError::UnknownFormat(format));
    }
    let word = |range: std::ops::Range<usize>| -> Result<u32, BlockError> {
        Ok(u32::from_le_bytes(
            head[range].try_into().map_err(|_| BlockError::Truncated)?,
        ))
    };
    let seq = u64::from_le_bytes(head[1..9].try_into().map_err(|_| BlockError::Truncated)?);
    let lines = word(9..13)?;
    let raw_len = word(13..17)? as usize;
    if raw_len > MAX_ENCODED_LEN {
        return Err(BlockError::TooLarge(raw_len));
    }
    Ok((BlockHeader { seq, lines }, raw_len, format, body))
}

pub fn decode_header(value: &[u8]) -> Result<BlockHeader, BlockError> {
    split_header(value).map(|(header, ..)| header)
}

pub fn decode_block(value: &[u8]) -> Result<Vec<Row>, BlockError> {
    decode_block_if(value, |_| true).map(Option::unwrap_or_default)
}

/// Decompresses the block and decodes its lines only if `wanted` says yes to the encoded
/// bytes (a search skips, undecoded, every block whose bytes lack the needle: every
/// format holds each line's text as one string).
pub fn decode_block_if(
    value: &[u8],
    wanted: impl FnOnce(&[u8]) -> bool,
) -> Result<Option<Vec<Row>>, BlockError> {
    let (header, raw_len, format, body) = split_header(value)?;
    let raw = DECOMPRESSOR
        .with(|decompressor| match &mut *decompressor.borrow_mut() {
            Some(decompressor) => decompressor.decompress(body, raw_len),
            None => zstd::bulk::decompress(body, raw_len),
        })
        .map_err(|e| BlockError::Decompress(e.to_string()))?;
    if !wanted(&raw) {
        return Ok(None);
    }
    let lines = match format {
        FORMAT_V1 => {
            let lines: Vec<StoredLine> = decode_lines(&raw, header)?;
            lines.into_iter().map(StoredLine::into_row).collect()
        }
        FORMAT_V2 => {
            let lines: Vec<RowWithoutOverline> = decode_lines(&raw, header)?;
            lines.into_iter().map(|line| line.0).collect()
        }
        _ => decode_lines(&raw, header)?,
    };
    Ok(Some(lines))
}

/// The body's lines, all of it and as many as the header says.
fn decode_lines<T: serde::de::DeserializeOwned>(
    raw: &[u8],
    header: BlockHeader,
) -> Result<Vec<T>, BlockError> {
    let (lines, used): (Vec<T>, usize) = bincode::serde::decode_from_slice(raw, bincode_config())
        .map_err(|e| BlockError::Decode(e.to_string()))?;
    if used != raw.len() || lines.len() != header.lines as usize {
        return Err(BlockError::CountMismatch {
            header: header.lines,
            body: lines.len(),
        });
    }
    Ok(lines)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::legacy::{AttrRun, Color, Style};
    use moshmux_proto::screen::{CellStyle, Color as RowColor, UnderlineStyle};

    /// A row as daemons before overline wrote it in format 2 blocks and `S` snapshots:
    /// `Row`'s fields in order, its style without `overline`, each cluster and link as
    /// its fields (bincode writes a struct as its fields, nothing else).
    #[derive(serde::Serialize)]
    pub(crate) struct Format2Row {
        text: String,
        styles: Vec<(u16, Format2Style)>,
        clusters: Vec<(u16, u8, bool)>,
        wrapped: bool,
        links: Vec<(u16, u16, String)>,
    }

    #[derive(serde::Serialize)]
    struct Format2Style {
        fg: RowColor,
        bg: RowColor,
        flags: [bool; 6],
        underline_style: UnderlineStyle,
        underline_color: RowColor,
    }

    /// `a中b` (the wide one a cluster), `a` bold, struck and curly underlined, `b`
    /// linked: in format 2, and as it reads back.
    pub(crate) fn format_2_row() -> (Format2Row, Row) {
        let style = Format2Style {
            fg: RowColor::Indexed(1),
            bg: RowColor::Default,
            flags: [true, false, false, true, false, true],
            underline_style: UnderlineStyle::Curly,
            underline_color: RowColor::Rgb(1, 2, 3),
        };
        let plain = Format2Style {
            fg: RowColor::Default,
            bg: RowColor::Default,
            flags: [false; 6],
            underline_style: UnderlineStyle::Single,
            underline_color: RowColor::Default,
        };
        let written = Format2Row {
            text: "a中b".to_owned(),
            styles: vec![(1, style), (3, plain)],
            clusters: vec![(1, 1, true)],
            wrapped: true,
            links: vec![(3, 1, "http://x/".to_owned())],
        };
        let style = CellStyle {
            fg: RowColor::Indexed(1),
            bold: true,
            underline: true,
            strikethrough: true,
            underline_style: UnderlineStyle::Curly,
            underline_color: RowColor::Rgb(1, 2, 3),
            ..CellStyle::default()
        };
        let mut row = Row::builder(4);
        row.push("a", false, style)
            .push("中", true, CellStyle::default());
        row.link(Some("http://x/"))
            .push("b", false, CellStyle::default());
        (written, row.finish(true))
    }

    #[test]
    fn format_2_blocks_read_as_rows_without_overline() {
        let (written, row) = format_2_row();
        let value = encode_block_as(FORMAT_V2, 7, &[written]);
        let rows = decode_block(&value);
        assert_eq!(rows, Ok(vec![row]));
        let overlined = rows.iter().flatten().flat_map(|row| row.cells());
        assert!(!overlined.into_iter().any(|cell| cell.style.overline));
    }

    fn sample() -> Vec<Row> {
        let red = CellStyle {
            fg: RowColor::Indexed(1),
            bg: RowColor::Rgb(1, 2, 3),
            bold: true,
            inverse: true,
            overline: true,
            ..CellStyle::default()
        };
        (0..300)
            .map(|i| {
                let mut row = Row::builder(20);
                row.push("中", true, red).link(Some("https://example.com/"));
                for c in format!("line {i} he\u{301}llo").chars() {
                    row.push_char(c, CellStyle::default());
                }
                row.finish_trimmed(i % 3 == 0)
            })
            .collect()
    }

    /// A block as version 1 wrote it: each line's text and character runs.
    fn v1_block(lines: &[StoredLine]) -> Vec<u8> {
        encode_block_as(FORMAT_V1, 7, lines)
    }

    #[test]
    fn version_1_blocks_read_as_rows_with_the_same_text_styles_and_widths() {
        let line = StoredLine {
            text: "a中e\u{301}bc".to_owned(),
            attrs: vec![AttrRun {
                chars: 2,
                fg: Color::Indexed(1),
                bg: Color::Rgb(1, 2, 3),
                style: Style::BOLD | Style::UNDERLINE | Style::UNDERLINE_CURLY,
            }],
            wrapped: true,
        };
        let rows = decode_block(&v1_block(&[line])).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        let cells: Vec<_> = rows[0]
            .cells()
            .map(|c| (c.col, c.text, c.wide, c.style.bold, c.style.underline_style))
            .collect();
        use moshmux_proto::screen::UnderlineStyle::{Curly, Single};
        assert_eq!(
            cells,
            [
                (0, "a", false, true, Curly),
                (1, "中", true, true, Curly),
                (3, "e\u{301}", false, false, Single),
                (4, "b", false, false, Single),
                (5, "c", false, false, Single),
            ]
        );
        assert_eq!(
            rows[0].cells().next().map(|c| c.style.bg),
            Some(RowColor::Rgb(1, 2, 3))
        );
        assert!(rows[0].wrapped());
    }

    #[test]
    fn block_round_trips_and_header_reads_without_decoding() {
        let lines = sample();
        let value = encode_block(42, &lines);
        assert_eq!(
            decode_header(&value),
            Ok(BlockHeader {
                seq: 42,
                lines: 300
            })
        );
        assert_eq!(decode_block(&value), Ok(lines));
    }

    /// Blocks written while `Style` was a `u8` (before strikethrough and underline
    /// shapes): the same fields, the style one byte.
    #[test]
    fn lines_written_with_one_byte_styles_still_read() {
        #[derive(serde::Serialize)]
        struct OldRun {
            chars: u32,
            fg: Color,
            bg: Color,
            style: u8,
        }
        #[derive(serde::Serialize)]
        struct OldLine {
            text: String,
            attrs: Vec<OldRun>,
            wrapped: bool,
        }
        let old = vec![OldLine {
            text: "héllo".to_owned(),
            attrs: vec![OldRun {
                chars: 2,
                fg: Color::Indexed(1),
                bg: Color::Rgb(1, 2, 3),
                style: 0b1_1111,
            }],
            wrapped: true,
        }];
        let lines = decode_block(&encode_block_as(FORMAT_V1, 7, &old)).unwrap_or_default();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text(), "héllo");
        let styles: Vec<_> = lines[0].cells().map(|c| c.style).collect();
        let all = CellStyle {
            fg: RowColor::Indexed(1),
            bg: RowColor::Rgb(1, 2, 3),
            bold: true,
            dim: true,
            italic: true,
            underline: true,
            inverse: true,
            ..CellStyle::default()
        };
        assert_eq!(
            styles,
            [
                all,
                all,
                CellStyle::default(),
                CellStyle::default(),
                CellStyle::default()
            ]
        );
    }

    #[test]
    fn keys_sort_by_pane_then_line() {
        let mut keys = [
            block_key(PaneId(2), 0),
            block_key(PaneId(1), 256),
            block_key(PaneId(1), 1 << 40),
            block_key(PaneId(1), 0),
        ];
        keys.sort();
        let parsed: Vec<_> = keys.iter().map(|k| parse_block_key(k).unwrap()).collect();
        assert_eq!(
            parsed,
            vec![
                (PaneId(1), 0),
                (PaneId(1), 256),
                (PaneId(1), 1 << 40),
                (PaneId(2), 0)
            ]
        );
    }

    #[test]
    fn damaged_blocks_are_errors_not_panics() {
        let value = encode_block(1, &sample());
        for cut in [0, 5, HEADER_LEN, value.len() / 2, value.len() - 1] {
            assert!(decode_block(&value[..cut]).is_err(), "cut at {cut}");
        }
        let mut scribbled = value.clone();
        for byte in scribbled.iter_mut().skip(HEADER_LEN).step_by(7) {
            *byte ^= 0x5a;
        }
        assert!(decode_block(&scribbled).is_err());
        let mut huge = value;
        huge[13..17].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decode_block(&huge),
            Err(BlockError::TooLarge(u32::MAX as usize))
        );
    }
}

//! Mouse reports from the terminal count cells from the client window's top left; the
//! focused pane's program expects them from its own. This rewrites them on the way.

use moshmux_proto::screen::{MouseEncoding, Rect};

/// Rewrites the mouse reports in key bytes for one pane. A report cut by the end of a read
/// is kept for the next, once it is long enough to be nothing but a report (`ESC [ <` or
/// `ESC [ M`): a lone ESC is the Escape key and must not wait.
#[derive(Debug, Default)]
pub struct MouseTranslator {
    partial: Vec<u8>,
}

/// What a report at some position looks like.
enum Parsed {
    /// A whole report, `len` bytes, rewritten (or dropped when `None`).
    Report {
        len: usize,
        bytes: Option<Vec<u8>>,
    },
    /// The bytes end inside what can still become a report.
    Incomplete,
    NotAReport,
}

impl MouseTranslator {
    /// `keys` with every report moved into `pane`'s coordinates. Presses and motion
    /// outside the pane are dropped; releases are moved to its nearest edge, so the
    /// program never believes a button is still held.
    pub fn translate(&mut self, keys: &[u8], encoding: MouseEncoding, pane: Rect) -> Vec<u8> {
        let mut input = std::mem::take(&mut self.partial);
        input.extend_from_slice(keys);
        let mut out = Vec::with_capacity(input.len());
        let mut at = 0;
        while at < input.len() {
            let rest = &input[at..];
            let parsed = if rest.starts_with(b"\x1b[<") {
                parse_sgr(rest, pane)
            } else if rest.starts_with(b"\x1b[M") {
                parse_legacy(rest, encoding, pane)
            } else {
                Parsed::NotAReport
            };
            match parsed {
                Parsed::Report { len, bytes } => {
                    out.extend(bytes.unwrap_or_default());
                    at += len;
                }
                Parsed::Incomplete => {
                    self.partial = rest.to_vec();
                    break;
                }
                Parsed::NotAReport => {
                    out.push(input[at]);
                    at += 1;
                }
            }
        }
        out
    }
}

/// A position (1-based, in the window) moved into the pane; `None` outside it unless
/// `clamp`.
fn move_into(x: u32, y: u32, pane: Rect, clamp: bool) -> Option<(u32, u32)> {
    let (left, top) = (u32::from(pane.x), u32::from(pane.y));
    let (cols, rows) = (u32::from(pane.cols).max(1), u32::from(pane.rows).max(1));
    let px = i64::from(x) - i64::from(left);
    let py = i64::from(y) - i64::from(top);
    let inside = (1..=i64::from(cols)).contains(&px) && (1..=i64::from(rows)).contains(&py);
    if inside {
        return Some((px as u32, py as u32));
    }
    clamp.then(|| {
        (
            px.clamp(1, i64::from(cols)) as u32,
            py.clamp(1, i64::from(rows)) as u32,
        )
    })
}

/// `ESC [ < button ; x ; y (M|m)`, where `m` is a release.
fn parse_sgr(bytes: &[u8], pane: Rect) -> Parsed {
    let mut fields = [0u32; 3];
    let mut field = 0;
    let mut digits = 0;
    for (index, &byte) in bytes.iter().enumerate().skip(3) {
        match byte {
            b'0'..=b'9' if digits < 6 => {
                fields[field] = fields[field] * 10 + u32::from(byte - b'0');
                digits += 1;
            }
            b';' if field < 2 && digits > 0 => {
                field += 1;
                digits = 0;
            }
            b'M' | b'm' if field == 2 && digits > 0 => {
                let [button, x, y] = fields;
                let bytes = move_into(x, y, pane, byte == b'm')
                    .map(|(x, y)| format!("\x1b[<{button};{x};{y}{}", byte as char).into_bytes());
                return Parsed::Report {
                    len: index + 1,
                    bytes,
                };
            }
            _ => return Parsed::NotAReport,
        }
    }
    Parsed::Incomplete
}

/// `ESC [ M` and three values offset by 32: one byte each, or in UTF-8 mode a character
/// each (for values above 95).
fn parse_legacy(bytes: &[u8], encoding: MouseEncoding, pane: Rect) -> Parsed {
    let utf8 = encoding == MouseEncoding::Utf8;
    let mut values = [0u32; 3];
    let mut at = 3;
    for value in &mut values {
        let Some(&lead) = bytes.get(at) else {
            return Parsed::Incomplete;
        };
        if utf8 && lead >= 0x80 {
            let Some(&next) = bytes.get(at + 1) else {
                return Parsed::Incomplete;
            };
            if lead & 0xe0 != 0xc0 || next & 0xc0 != 0x80 {
                return Parsed::NotAReport;
            }
            *value = (u32::from(lead & 0x1f) << 6) | u32::from(next & 0x3f);
            at += 2;
        } else {
            *value = u32::from(lead);
            at += 1;
        }
    }
    let [button, x, y] = values;
    if button < 32 || x <= 32 || y <= 32 {
        return Parsed::NotAReport;
    }
    let release = (button - 32) & 3 == 3;
    let bytes = move_into(x - 32, y - 32, pane, release).map(|(x, y)| {
        let mut out = b"\x1b[M".to_vec();
        for value in [button, x + 32, y + 32] {
            match char::from_u32(value) {
                Some(c) if utf8 => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                // Moving into the pane only lowers values, so they still fit a byte.
                _ => out.push(u8::try_from(value).unwrap_or(u8::MAX)),
            }
        }
        out
    });
    Parsed::Report { len: at, bytes }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The right pane of a side-by-side split: columns 41.. (1-based 42..), rows 1..23.
    const RIGHT: Rect = Rect {
        x: 41,
        y: 0,
        cols: 39,
        rows: 23,
    };

    fn translate(keys: &[u8], encoding: MouseEncoding) -> Vec<u8> {
        MouseTranslator::default().translate(keys, encoding, RIGHT)
    }

    #[test]
    fn sgr_reports_move_into_the_pane() {
        let sgr = MouseEncoding::Sgr;
        assert_eq!(translate(b"a\x1b[<0;45;3Mb", sgr), b"a\x1b[<0;4;3Mb");
        // A press outside the pane is dropped; a release outside lands on its edge.
        assert_eq!(translate(b"\x1b[<0;10;3M", sgr), b"");
        assert_eq!(translate(b"\x1b[<0;10;30m", sgr), b"\x1b[<0;1;23m");
        // Keys that only look like the start of a report pass through.
        assert_eq!(translate(b"\x1b[<x\x1b[A\x1b", sgr), b"\x1b[<x\x1b[A\x1b");
    }

    #[test]
    fn legacy_and_utf8_reports_move_into_the_pane() {
        let x = |col: u8| col + 32;
        let report = [b'\x1b', b'[', b'M', 32, x(50), x(2)];
        let moved = [b'\x1b', b'[', b'M', 32, x(9), x(2)];
        assert_eq!(translate(&report, MouseEncoding::Default), moved);
        // Column 200 (+32 = 232) is two bytes in UTF-8 mode; in the pane it is column 159.
        let mut wide = b"\x1b[M ".to_vec();
        wide.extend_from_slice('\u{e8}'.encode_utf8(&mut [0; 4]).as_bytes());
        wide.push(x(2));
        let mut moved = b"\x1b[M ".to_vec();
        moved.extend_from_slice(char::from(159 + 32).encode_utf8(&mut [0; 4]).as_bytes());
        moved.push(x(2));
        let wide_pane = Rect { cols: 200, ..RIGHT };
        assert_eq!(
            MouseTranslator::default().translate(&wide, MouseEncoding::Utf8, wide_pane),
            moved
        );
    }

    #[test]
    fn a_report_split_across_reads_is_joined() {
        let mut translator = MouseTranslator::default();
        let sgr = MouseEncoding::Sgr;
        assert_eq!(translator.translate(b"q\x1b[<0;4", sgr, RIGHT), b"q");
        assert_eq!(translator.translate(b"5;3M", sgr, RIGHT), b"\x1b[<0;4;3M");
        // A lone ESC at the end of a read is the Escape key: it is not held back.
        assert_eq!(translator.translate(b"\x1b", sgr, RIGHT), b"\x1b");
    }
}

//! Mouse reports from the terminal count cells from the client window's top left; the
//! focused pane's program expects them from its own. This rewrites them on the way.

use moshmux_proto::screen::{MouseEncoding, Rect};

mod route;

pub use route::{terminal_modes, MouseRouter, MouseStep, PaneSpot};

/// One mouse report, in SGR's numbering: `button` holds the button (low two bits, 3 for a
/// legacy release), the modifiers (4, 8, 16), motion (32) and the wheel (64); `x` and `y`
/// are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub button: u32,
    pub x: u32,
    pub y: u32,
    pub release: bool,
}

/// Key bytes cut into reports and the keys between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Keys(Vec<u8>),
    Report(Report),
}

/// Finds the mouse reports in key bytes. A report cut by the end of a read is kept for
/// the next, once it is long enough to be nothing but a report (`ESC [ <` or `ESC [ M`):
/// a lone ESC is the Escape key and must not wait.
#[derive(Debug, Default)]
pub struct MouseTranslator {
    partial: Vec<u8>,
}

/// What the bytes at some position are.
enum Parsed {
    /// A whole report, `len` bytes.
    Report {
        len: usize,
        report: Report,
    },
    /// The bytes end inside what can still become a report.
    Incomplete,
    NotAReport,
}

impl MouseTranslator {
    /// `keys` with every report moved into `pane`'s coordinates, in the encoding it came
    /// in. Presses and motion outside the pane are dropped; releases are moved to its
    /// nearest edge, so the program never believes a button is still held.
    pub fn translate(&mut self, keys: &[u8], encoding: MouseEncoding, pane: Rect) -> Vec<u8> {
        let mut out = Vec::with_capacity(keys.len());
        for piece in self.split(keys, encoding == MouseEncoding::Utf8) {
            match piece {
                Piece::Keys(keys) => out.extend(keys),
                Piece::Report(report) => {
                    let moved = move_into(report, pane, report.release);
                    out.extend(
                        moved
                            .and_then(|report| encode(report, encoding))
                            .unwrap_or_default(),
                    );
                }
            }
        }
        out
    }

    /// `keys` cut into reports (SGR, and legacy ones read as UTF-8 when `utf8`) and the
    /// bytes between them.
    pub fn split(&mut self, keys: &[u8], utf8: bool) -> Vec<Piece> {
        let mut input = std::mem::take(&mut self.partial);
        input.extend_from_slice(keys);
        let mut pieces = Vec::new();
        let mut text = Vec::new();
        let mut at = 0;
        while at < input.len() {
            let rest = &input[at..];
            let parsed = if rest.starts_with(b"\x1b[<") {
                parse_sgr(rest)
            } else if rest.starts_with(b"\x1b[M") {
                parse_legacy(rest, utf8)
            } else {
                Parsed::NotAReport
            };
            match parsed {
                Parsed::Report { len, report } => {
                    if !text.is_empty() {
                        pieces.push(Piece::Keys(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Report(report));
                    at += len;
                }
                Parsed::Incomplete => {
                    self.partial = rest.to_vec();
                    break;
                }
                Parsed::NotAReport => {
                    text.push(input[at]);
                    at += 1;
                }
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Keys(text));
        }
        pieces
    }
}

/// The report moved into the pane (its position counted from the pane's top left);
/// `None` outside it unless `clamp`, which moves it to the nearest edge.
fn move_into(report: Report, pane: Rect, clamp: bool) -> Option<Report> {
    let (left, top) = (u32::from(pane.x), u32::from(pane.y));
    let (cols, rows) = (u32::from(pane.cols).max(1), u32::from(pane.rows).max(1));
    let px = i64::from(report.x) - i64::from(left);
    let py = i64::from(report.y) - i64::from(top);
    let inside = (1..=i64::from(cols)).contains(&px) && (1..=i64::from(rows)).contains(&py);
    if !inside && !clamp {
        return None;
    }
    Some(Report {
        x: px.clamp(1, i64::from(cols)) as u32,
        y: py.clamp(1, i64::from(rows)) as u32,
        ..report
    })
}

/// The report as a program that asked for `encoding` reads it; `None` when a position
/// does not fit the encoding.
fn encode(report: Report, encoding: MouseEncoding) -> Option<Vec<u8>> {
    let Report {
        button,
        x,
        y,
        release,
    } = report;
    if encoding == MouseEncoding::Sgr {
        let end = if release { 'm' } else { 'M' };
        return Some(format!("\x1b[<{button};{x};{y}{end}").into_bytes());
    }
    // Legacy releases do not say which button: their low bits are 3.
    let button = if release { button | 3 } else { button };
    let mut out = b"\x1b[M".to_vec();
    for value in [button, x, y] {
        let value = value.checked_add(32)?;
        match encoding {
            MouseEncoding::Utf8 if value >= 0x80 => {
                // Two UTF-8 bytes at most, as xterm's mode 1005 has it.
                let c = char::from_u32(value).filter(|_| value < 0x800)?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            _ => out.push(u8::try_from(value).ok()?),
        }
    }
    Some(out)
}

/// `ESC [ < button ; x ; y (M|m)`, where `m` is a release.
fn parse_sgr(bytes: &[u8]) -> Parsed {
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
                let release = byte == b'm';
                return Parsed::Report {
                    len: index + 1,
                    report: Report {
                        button,
                        x,
                        y,
                        release,
                    },
                };
            }
            _ => return Parsed::NotAReport,
        }
    }
    Parsed::Incomplete
}

/// `ESC [ M` and three values offset by 32: one byte each, or in UTF-8 mode a character
/// each (for values above 95).
fn parse_legacy(bytes: &[u8], utf8: bool) -> Parsed {
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
    let button = button - 32;
    let report = Report {
        button,
        x: x - 32,
        y: y - 32,
        release: button & 3 == 3,
    };
    Parsed::Report { len: at, report }
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

//! Mouse reports from the terminal count cells from the client window's top left; the
//! focused pane's program expects them from its own. This rewrites them on the way (the
//! tokenizer, `input.rs`, reads them).

use moshmux_proto::screen::{MouseEncoding, Rect};

pub use crate::input::Report;

mod route;

pub use route::{terminal_modes, MouseRouter, MouseStep, PaneSpot};

/// A report from the terminal (window coordinates) as the focused pane's program asked for
/// it: in `pane`'s coordinates and the `encoding` it asked for. A press or motion outside
/// the pane is dropped (empty); a release is moved to its nearest edge, so the program
/// never believes a button is still held.
pub fn translate(report: Report, encoding: MouseEncoding, pane: Rect) -> Vec<u8> {
    move_into(report, pane, report.release)
        .and_then(|report| encode(report, encoding))
        .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::tests::tokens;
    use crate::input::Kind;

    /// The right pane of a side-by-side split: columns 41.. (1-based 42..), rows 1..23.
    const RIGHT: Rect = Rect {
        x: 41,
        y: 0,
        cols: 39,
        rows: 23,
    };

    /// The one report in `bytes`, moved into `pane`.
    fn moved(bytes: &[u8], encoding: MouseEncoding, pane: Rect) -> Vec<u8> {
        match tokens(bytes).as_slice() {
            [token] => match token.kind {
                Kind::Mouse(report) => translate(report, encoding, pane),
                _ => panic!("not a report: {token:?}"),
            },
            other => panic!("not one token: {other:?}"),
        }
    }

    #[test]
    fn sgr_reports_move_into_the_pane() {
        let sgr = MouseEncoding::Sgr;
        assert_eq!(moved(b"\x1b[<0;45;3M", sgr, RIGHT), b"\x1b[<0;4;3M");
        // A press outside the pane is dropped; a release outside lands on its edge.
        assert_eq!(moved(b"\x1b[<0;10;3M", sgr, RIGHT), b"");
        assert_eq!(moved(b"\x1b[<0;10;30m", sgr, RIGHT), b"\x1b[<0;1;23m");
    }

    #[test]
    fn legacy_and_utf8_reports_move_into_the_pane() {
        let x = |col: u8| col + 32;
        let report = [b'\x1b', b'[', b'M', 32, x(50), x(2)];
        let expected = [b'\x1b', b'[', b'M', 32, x(9), x(2)];
        assert_eq!(moved(&report, MouseEncoding::Default, RIGHT), expected);
        // Column 159 of a wide pane is two bytes in UTF-8 mode (159 + 32 = 191).
        let wide_pane = Rect { cols: 200, ..RIGHT };
        let report = Report {
            button: 0,
            x: 200,
            y: 2,
            release: false,
        };
        let mut expected = b"\x1b[M ".to_vec();
        expected.extend_from_slice(char::from(159 + 32).encode_utf8(&mut [0; 4]).as_bytes());
        expected.push(x(2));
        assert_eq!(translate(report, MouseEncoding::Utf8, wide_pane), expected);
        // A position the default encoding cannot carry (259 + 32 > 255) is dropped.
        let far = Report { x: 300, ..report };
        let wider = Rect { cols: 300, ..RIGHT };
        assert_eq!(translate(far, MouseEncoding::Default, wider), b"");
    }
}

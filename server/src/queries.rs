//! Answers to the terminal queries that programs send and wait for.
//!
//! vt100 parses these sequences but does not answer them, so shells and editors that ask
//! (`CSI 6 n` for the cursor, `CSI c` for the device type) would hang or time out. We answer
//! from vt100's `unhandled_csi` callback rather than by scanning the bytes ourselves: the
//! callback runs at the exact point of the stream where the query sits, so the cursor
//! position we report is the one after everything before the query was drawn, and a query
//! split across two reads is reassembled by the parser itself.

use vt100::{Callbacks, MouseProtocolEncoding, MouseProtocolMode, Screen};

/// The most reply bytes kept between two drains. A child that floods queries gets answers
/// up to this much per output chunk; the rest are dropped (and counted) so daemon memory
/// stays bounded.
const MAX_PENDING_REPLY_BYTES: usize = 64 * 1024;

/// Titles longer than this are cut: a title is for a status line, not a data channel.
const MAX_TITLE_BYTES: usize = 1024;

/// Primary device attributes: "VT100 with Advanced Video Option", the conservative answer
/// that screen and tmux give; it promises nothing vt100 cannot do.
const DA1_REPLY: &[u8] = b"\x1b[?1;2c";

/// Secondary device attributes: terminal type 1 (VT220 class), version 10. A low xterm-like
/// version keeps editors (vim's termresponse) from assuming features of a real xterm.
const DA2_REPLY: &[u8] = b"\x1b[>1;10;0c";

/// What the pane's terminal reports to, and learns from, the program in it, beyond the
/// screen itself: replies waiting to be written to the PTY, and the window title.
#[derive(Debug, Default)]
pub struct TerminalCallbacks {
    replies: Vec<u8>,
    /// Rows that left the top of the main screen since the last drain, for history.
    scrolled: Vec<moshmux_store::StoredLine>,
    dropped_reply_bytes: u64,
    title: String,
}

impl TerminalCallbacks {
    /// Takes the replies produced since the last call, to be written to the PTY.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.replies)
    }

    /// Takes the rows that scrolled off the main screen since the last call, oldest first.
    pub fn take_scrolled(&mut self) -> std::vec::Drain<'_, moshmux_store::StoredLine> {
        self.scrolled.drain(..)
    }

    /// The title set by the program with OSC 0 or OSC 2.
    pub fn title(&self) -> &str {
        &self.title
    }

    fn reply(&mut self, bytes: &[u8]) {
        if self.replies.len() + bytes.len() > MAX_PENDING_REPLY_BYTES {
            if self.dropped_reply_bytes == 0 {
                tracing::warn!("a program sends terminal queries faster than we answer them");
            }
            self.dropped_reply_bytes += bytes.len() as u64;
            return;
        }
        self.replies.extend_from_slice(bytes);
    }

    fn reply_cursor_position(&mut self, screen: &Screen) {
        let (row, col) = screen.cursor_position();
        let (_, cols) = screen.size();
        // After writing the last column the cursor waits there to wrap; report it in the
        // last column as xterm does.
        let col = col.min(cols.get() - 1);
        let answer = format!("\x1b[{};{}R", u32::from(row) + 1, u32::from(col) + 1);
        self.reply(answer.as_bytes());
    }

    fn reply_private_mode(&mut self, screen: &Screen, mode: u16) {
        let state = match private_mode(screen, mode) {
            Some(true) => 1,
            Some(false) => 2,
            None => 0,
        };
        let answer = format!("\x1b[?{mode};{state}$y");
        self.reply(answer.as_bytes());
    }
}

/// Whether a DEC private mode is set, for the modes the screen tracks; `None` for modes we
/// do not recognise (DECRQM answers 0 for those).
fn private_mode(screen: &Screen, mode: u16) -> Option<bool> {
    let mouse = screen.mouse_protocol_mode();
    let encoding = screen.mouse_protocol_encoding();
    Some(match mode {
        1 => screen.application_cursor(),
        25 => !screen.hide_cursor(),
        47 | 1047 | 1049 => screen.alternate_screen(),
        9 => mouse == MouseProtocolMode::Press,
        1000 => mouse == MouseProtocolMode::PressRelease,
        1002 => mouse == MouseProtocolMode::ButtonMotion,
        1003 => mouse == MouseProtocolMode::AnyMotion,
        1005 => encoding == MouseProtocolEncoding::Utf8,
        1006 => encoding == MouseProtocolEncoding::Sgr,
        2004 => screen.bracketed_paste(),
        _ => return None,
    })
}

fn first_param(params: &[&[u16]]) -> u16 {
    params
        .first()
        .and_then(|param| param.first())
        .copied()
        .unwrap_or(0)
}

impl Callbacks for TerminalCallbacks {
    /// History takes rows of the main screen only: what a full-screen program draws on
    /// the alternate screen is not output the user scrolled past.
    fn on_scroll(&mut self, row: vt100::capture::RowContents<'_>, alternate_screen: bool) {
        if !alternate_screen {
            self.scrolled
                .push(crate::history_line::from_scrolled_row(&row));
        }
    }

    fn set_window_title(&mut self, _: &mut Screen, title: &[u8]) {
        let title = title.get(..MAX_TITLE_BYTES).unwrap_or(title);
        self.title = String::from_utf8_lossy(title).into_owned();
    }

    fn unhandled_csi(
        &mut self,
        screen: &mut Screen,
        i1: Option<u8>,
        i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        match (i1, i2, c) {
            // DA1: CSI c, CSI 0 c.
            (None, None, 'c') if first_param(params) == 0 => self.reply(DA1_REPLY),
            // DA2: CSI > c, CSI > 0 c.
            (Some(b'>'), None, 'c') if first_param(params) == 0 => self.reply(DA2_REPLY),
            // DSR: CSI 5 n (status) and CSI 6 n (cursor position).
            (None, None, 'n') => match first_param(params) {
                5 => self.reply(b"\x1b[0n"),
                6 => self.reply_cursor_position(screen),
                _ => {}
            },
            // XTVERSION: CSI > q, CSI > 0 q.
            (Some(b'>'), None, 'q') if first_param(params) == 0 => {
                let answer = concat!("\x1bP>|moshmux(", env!("CARGO_PKG_VERSION"), ")\x1b\\");
                self.reply(answer.as_bytes());
            }
            // DECRQM for DEC private modes: CSI ? Ps $ p.
            (Some(b'?'), Some(b'$'), 'p') => {
                self.reply_private_mode(screen, first_param(params));
            }
            // DECRQM for ANSI modes: CSI Ps $ p; we track none of them.
            (Some(b'$'), None, 'p') => {
                let answer = format!("\x1b[{};0$y", first_param(params));
                self.reply(answer.as_bytes());
            }
            // XTWINOPS 18: the text area size in characters.
            (None, None, 't') if first_param(params) == 18 => {
                let (rows, cols) = screen.size();
                let answer = format!("\x1b[8;{rows};{cols}t");
                self.reply(answer.as_bytes());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> vt100::Parser<TerminalCallbacks> {
        let rows = std::num::NonZeroU16::new(24).unwrap_or(std::num::NonZeroU16::MIN);
        let cols = std::num::NonZeroU16::new(80).unwrap_or(std::num::NonZeroU16::MIN);
        vt100::Parser::new_with_callbacks(rows, cols, 0, TerminalCallbacks::default())
    }

    fn replies_to(input: &[&[u8]]) -> Vec<u8> {
        let mut parser = parser();
        for chunk in input {
            parser.process(chunk);
        }
        parser.callbacks_mut().take_replies()
    }

    #[test]
    fn cursor_report_reflects_text_before_the_query() {
        assert_eq!(replies_to(&[b"ab\r\ncdef\x1b[6n"]), b"\x1b[2;5R");
        assert_eq!(replies_to(&[b"\x1b[6n"]), b"\x1b[1;1R");
    }

    #[test]
    fn query_split_across_chunks_is_answered_once() {
        assert_eq!(replies_to(&[b"xy\x1b", b"[", b"6", b"n"]), b"\x1b[1;3R");
        assert_eq!(replies_to(&[b"\x1b[", b"c"]), DA1_REPLY);
    }

    #[test]
    fn device_attributes_and_status() {
        assert_eq!(replies_to(&[b"\x1b[c"]), DA1_REPLY);
        assert_eq!(replies_to(&[b"\x1b[0c"]), DA1_REPLY);
        assert_eq!(replies_to(&[b"\x1b[>c"]), DA2_REPLY);
        assert_eq!(replies_to(&[b"\x1b[>0c"]), DA2_REPLY);
        assert_eq!(replies_to(&[b"\x1b[5n"]), b"\x1b[0n");
    }

    #[test]
    fn mode_reports_follow_the_screen() {
        assert_eq!(replies_to(&[b"\x1b[?2004$p"]), b"\x1b[?2004;2$y");
        assert_eq!(replies_to(&[b"\x1b[?2004h\x1b[?2004$p"]), b"\x1b[?2004;1$y");
        assert_eq!(replies_to(&[b"\x1b[?1049h\x1b[?1049$p"]), b"\x1b[?1049;1$y");
        assert_eq!(replies_to(&[b"\x1b[?7777$p"]), b"\x1b[?7777;0$y");
        assert_eq!(replies_to(&[b"\x1b[4$p"]), b"\x1b[4;0$y");
    }

    #[test]
    fn version_and_size_reports() {
        let version = replies_to(&[b"\x1b[>q"]);
        assert!(version.starts_with(b"\x1bP>|moshmux("));
        assert!(version.ends_with(b")\x1b\\"));
        assert_eq!(replies_to(&[b"\x1b[18t"]), b"\x1b[8;24;80t");
    }

    #[test]
    fn cursor_in_wrap_position_reports_last_column() {
        let line = [b'x'; 80];
        let mut input = line.to_vec();
        input.extend_from_slice(b"\x1b[6n");
        assert_eq!(replies_to(&[&input]), b"\x1b[1;80R");
    }

    #[test]
    fn a_query_flood_is_bounded() {
        let flood = b"\x1b[6n".repeat(100_000);
        let mut parser = parser();
        parser.process(&flood);
        let replies = parser.callbacks_mut().take_replies();
        assert!(replies.len() <= MAX_PENDING_REPLY_BYTES);
        assert!(parser.callbacks().dropped_reply_bytes > 0);
    }

    #[test]
    fn title_from_osc_0_and_2() {
        let mut parser = parser();
        parser.process(b"\x1b]0;first\x07");
        assert_eq!(parser.callbacks().title(), "first");
        parser.process(b"\x1b]2;sec");
        parser.process(b"ond\x1b\\");
        assert_eq!(parser.callbacks().title(), "second");
    }
}

//! Answers to the terminal queries that programs send and wait for: without them shells
//! and editors hang or time out. The handler calls these at the exact point of the stream
//! where the query sits, so a cursor report gives the position after everything before
//! the query was drawn.

/// The most reply bytes kept between two drains. A child that floods queries gets answers
/// up to this much per output chunk; the rest are dropped (and counted) so daemon memory
/// stays bounded.
pub const MAX_PENDING_REPLY_BYTES: usize = 64 * 1024;

/// Primary device attributes: "VT100 with Advanced Video Option", the conservative answer
/// that screen and tmux give.
const DA1_REPLY: &[u8] = b"\x1b[?1;2c";

/// Secondary device attributes: terminal type 1 (VT220 class), version 10. A low xterm-like
/// version keeps editors (vim's termresponse) from assuming features of a real xterm.
const DA2_REPLY: &[u8] = b"\x1b[>1;10;0c";

/// The default colours reported to OSC 10 (foreground), 11 (background) and 12 (cursor)
/// queries: those of a dark terminal, which is what programs that ask mostly want to
/// know. The pane cannot know the user's own terminal's colours.
const DEFAULT_FOREGROUND: (u8, u8, u8) = (0xe5, 0xe5, 0xe5);
const DEFAULT_BACKGROUND: (u8, u8, u8) = (0, 0, 0);

/// Replies waiting to be written to the PTY.
#[derive(Debug, Default)]
pub struct Replies {
    bytes: Vec<u8>,
    dropped: u64,
}

impl Replies {
    /// Takes the replies produced since the last call.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }

    /// Bytes dropped because a program asked faster than it read the answers.
    #[cfg(test)]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.bytes.len() + bytes.len() > MAX_PENDING_REPLY_BYTES {
            if self.dropped == 0 {
                tracing::warn!("a program sends terminal queries faster than we answer them");
            }
            self.dropped += bytes.len() as u64;
            return;
        }
        self.bytes.extend_from_slice(bytes);
    }

    /// DA1 (`CSI c`) and DA2 (`CSI > c`).
    pub fn device_attributes(&mut self, intermediate: Option<char>) {
        match intermediate {
            None => self.push(DA1_REPLY),
            Some('>') => self.push(DA2_REPLY),
            Some(_) => {}
        }
    }

    /// DSR: `CSI 5 n` (status) and `CSI 6 n` (cursor position, `row` already relative to
    /// the top margin in origin mode).
    pub fn device_status(&mut self, report: usize, row: u16, col: u16) {
        match report {
            5 => self.push(b"\x1b[0n"),
            6 => {
                let answer = format!("\x1b[{};{}R", u32::from(row) + 1, u32::from(col) + 1);
                self.push(answer.as_bytes());
            }
            _ => {}
        }
    }

    /// DECRQM for a DEC private mode: 1 set, 2 reset, 0 not recognised.
    pub fn private_mode(&mut self, mode: u16, set: Option<bool>) {
        let answer = format!("\x1b[?{mode};{}$y", mode_state(set));
        self.push(answer.as_bytes());
    }

    /// DECRQM for an ANSI mode.
    pub fn ansi_mode(&mut self, mode: u16, set: Option<bool>) {
        let answer = format!("\x1b[{mode};{}$y", mode_state(set));
        self.push(answer.as_bytes());
    }

    /// XTVERSION: our name and version, as a DCS string.
    pub fn version(&mut self) {
        let answer = concat!("\x1bP>|moshmux(", env!("CARGO_PKG_VERSION"), ")\x1b\\");
        self.push(answer.as_bytes());
    }

    /// DECRQSS: the setting as the sequence that sets it (`Pt`, e.g. `0;1m`), or that the
    /// request is not one we report.
    pub fn setting(&mut self, setting: Option<&str>) {
        let answer = match setting {
            Some(setting) => format!("\x1bP1$r{setting}\x1b\\"),
            None => "\x1bP0$r\x1b\\".to_owned(),
        };
        self.push(answer.as_bytes());
    }

    /// XTWINOPS 18: the text area size in characters.
    pub fn text_area_size(&mut self, rows: u16, cols: u16) {
        self.push(format!("\x1b[8;{rows};{cols}t").as_bytes());
    }

    /// OSC 10/11/12 (`prefix` is the number) and OSC 4 (`prefix` is `4;N`) colour
    /// queries, answered in xterm's `rgb:RRRR/GGGG/BBBB` form.
    pub fn color(&mut self, prefix: &str, index: usize, terminator: &str) {
        let (r, g, b) = match prefix {
            "10" | "12" => DEFAULT_FOREGROUND,
            "11" => DEFAULT_BACKGROUND,
            _ => palette(index),
        };
        let wide = |c: u8| u16::from(c) * 0x101;
        let answer = format!(
            "\x1b]{prefix};rgb:{:04x}/{:04x}/{:04x}{terminator}",
            wide(r),
            wide(g),
            wide(b)
        );
        self.push(answer.as_bytes());
    }
}

fn mode_state(set: Option<bool>) -> u8 {
    match set {
        Some(true) => 1,
        Some(false) => 2,
        None => 0,
    }
}

/// xterm's default 256-colour palette: the 16 classic colours, a 6x6x6 cube, 24 greys.
fn palette(index: usize) -> (u8, u8, u8) {
    const CLASSIC: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    match index {
        0..=15 => CLASSIC[index],
        16..=231 => {
            let level = |n: usize| if n == 0 { 0 } else { (55 + 40 * n) as u8 };
            let n = index - 16;
            (level(n / 36), level(n / 6 % 6), level(n % 6))
        }
        232..=255 => {
            let grey = (8 + 10 * (index - 232)) as u8;
            (grey, grey, grey)
        }
        _ => DEFAULT_FOREGROUND,
    }
}

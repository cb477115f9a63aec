//! The server's answer to a client's command: its lines, bounded so that an answer
//! never makes a state large (the state is resent whole to a client that lost it).

use serde::{Deserialize, Serialize};

use crate::label::Label;

/// Most lines of one answer: `list-keys`, `show-options -g` or `show-messages` fit.
pub const MAX_REPLY_LINES: usize = 512;
/// Most bytes of one answer's text: about what a copy may carry.
pub const MAX_REPLY_BYTES: usize = 48 * 1024;

/// One answer to a client's command. Part of the state rather than an event, so it
/// survives loss like everything else the state carries; `serial` tells a new answer
/// from one already shown, even when the text is the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReplyWire")]
pub struct CommandReply {
    pub serial: u32,
    /// One line shows on the status line; more show over the panes until dismissed, as
    /// tmux's view mode shows a command's output.
    lines: Vec<Label>,
    /// An error rather than a command's output.
    pub error: bool,
}

/// The same fields as [`CommandReply`], not yet checked.
#[derive(Deserialize)]
struct ReplyWire {
    serial: u32,
    lines: Vec<Label>,
    error: bool,
}

/// Why a received answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an answer of {lines} lines and {bytes} bytes exceeds {MAX_REPLY_LINES} lines or {MAX_REPLY_BYTES} bytes")]
pub struct ReplyTooLarge {
    lines: usize,
    bytes: usize,
}

impl CommandReply {
    /// `text`'s lines, as many as fit; an answer cut short says so on its last line.
    pub fn new(serial: u32, text: &str, error: bool) -> CommandReply {
        let all: Vec<&str> = text.lines().collect();
        let mut lines = Vec::new();
        let mut bytes = 0;
        for line in &all {
            let label = Label::new(line);
            // Room for the line that says what was left out.
            if lines.len() + 2 > MAX_REPLY_LINES || bytes + label.len() + 64 > MAX_REPLY_BYTES {
                lines.push(Label::new(&format!(
                    "({} more lines not shown)",
                    all.len() - lines.len()
                )));
                break;
            }
            bytes += label.len();
            lines.push(label);
        }
        CommandReply {
            serial,
            lines,
            error,
        }
    }

    pub fn lines(&self) -> &[Label] {
        &self.lines
    }
}

impl TryFrom<ReplyWire> for CommandReply {
    type Error = ReplyTooLarge;

    fn try_from(wire: ReplyWire) -> Result<Self, ReplyTooLarge> {
        let bytes = wire.lines.iter().map(|line| line.len()).sum();
        if wire.lines.len() > MAX_REPLY_LINES || bytes > MAX_REPLY_BYTES {
            return Err(ReplyTooLarge {
                lines: wire.lines.len(),
                bytes,
            });
        }
        Ok(CommandReply {
            serial: wire.serial,
            lines: wire.lines,
            error: wire.error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;

    #[test]
    fn an_answer_keeps_its_lines_and_a_long_one_says_it_was_cut() {
        let reply = CommandReply::new(1, "one\ntwo\n", false);
        assert_eq!(reply.lines(), [Label::new("one"), Label::new("two")]);
        let long: String = (0..2000).map(|n| format!("line {n}\n")).collect();
        let reply = CommandReply::new(2, &long, false);
        assert_eq!(reply.lines().len(), MAX_REPLY_LINES);
        let last = reply.lines().last().map(|l| l.as_str());
        assert_eq!(last, Some("(1489 more lines not shown)"));
        let wide = "x".repeat(1000);
        let reply = CommandReply::new(3, &format!("{wide}\n").repeat(100), false);
        let bytes: usize = reply.lines().iter().map(|l| l.len()).sum();
        assert!(bytes <= MAX_REPLY_BYTES, "{bytes}");
    }

    #[test]
    fn a_peer_s_answer_over_the_bounds_is_refused() {
        let lines = vec![Label::new("x"); MAX_REPLY_LINES + 1];
        let bytes = codec::encode(&(7u32, lines, false));
        assert!(codec::decode::<CommandReply>(&bytes).is_err());
        let fits = codec::encode(&(7u32, vec![Label::new("x")], false));
        let reply: CommandReply = codec::decode(&fits).expect("decodes");
        assert_eq!(reply.lines(), [Label::new("x")]);
    }
}

//! tmux's message log (`show-messages`, prefix `~`): the commands typed at clients'
//! prompts and the messages their status lines showed, with the time, newest first, as
//! tmux 3.3 lists them. Commands run from a shell are not logged: they reach the daemon
//! as requests, not as the words typed.

use super::Mux;
use crate::local_time;
use std::collections::VecDeque;
use std::time::{Instant, SystemTime};

/// tmux's default `message-limit`.
const MESSAGE_LIMIT: usize = 1000;

#[derive(Debug, Default)]
pub(super) struct MessageLog {
    entries: VecDeque<(SystemTime, String)>,
}

impl MessageLog {
    fn add(&mut self, time: SystemTime, text: String) {
        if self.entries.len() == MESSAGE_LIMIT {
            self.entries.pop_front();
        }
        self.entries.push_back((time, text));
    }

    /// One line per entry, newest first.
    fn listing(&self) -> String {
        let mut out = String::new();
        for (time, text) in self.entries.iter().rev() {
            out.push_str(&local_time::clock(*time));
            out.push_str(": ");
            out.push_str(text);
            out.push('\n');
        }
        out
    }
}

impl Mux {
    /// Logs what `who` (a client, as `list-clients` names it) did or was shown: `kind`
    /// is tmux's word for it, `command` or `message`.
    pub(super) fn log_message(&mut self, now: Instant, who: &str, kind: &str, text: &str) {
        let time = self.wall_clock(now);
        self.messages.add(time, format!("{who} {kind}: {text}"));
    }

    /// show-messages.
    pub(super) fn show_messages(&self) -> String {
        self.messages.listing()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_log_lists_newest_first_and_keeps_tmux_s_limit() {
        let mut log = MessageLog::default();
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(3600);
        for n in 0..MESSAGE_LIMIT + 5 {
            log.add(time, format!("entry {n}"));
        }
        let listing = log.listing();
        let lines: Vec<&str> = listing.lines().collect();
        assert_eq!(lines.len(), MESSAGE_LIMIT);
        assert!(lines[0].ends_with(": entry 1004"), "{}", lines[0]);
        assert!(lines[MESSAGE_LIMIT - 1].ends_with(": entry 5"));
        assert_eq!(lines[0].len(), "HH:MM: entry 1004".len());
    }
}

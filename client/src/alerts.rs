//! What reaches the user's terminal beside the frame, as tmux passes it on: bells
//! (`bell-action`), the window title (`set-titles`) and the copies programs make with
//! OSC 52 (`set-clipboard`).
//!
//! Bells and copies are events riding a snapshot: the host state numbers each from one
//! counter the server never turns back (a window's newest bell, the session's newest
//! copy), and this hands on what is numbered above the highest number seen. The first
//! state is taken as seen, so nothing that happened before this client attached is
//! delivered again; a state skipped on a lossy link still delivers what it announced,
//! once, with the next state that arrives.

pub use moshmux_proto::options::{BellAction, SetClipboard};
use moshmux_proto::HostState;

use crate::clipboard::osc52;
use crate::frame::focused_view;

/// The settings from the config file's `[client]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertConfig {
    pub bell_action: BellAction,
    pub set_clipboard: SetClipboard,
    /// tmux's `set-titles`: the terminal's title says `SESSION:WINDOW:NAME - "TITLE"`.
    pub set_titles: bool,
}

impl Default for AlertConfig {
    /// tmux's defaults.
    fn default() -> Self {
        AlertConfig {
            bell_action: BellAction::Any,
            set_clipboard: SetClipboard::External,
            set_titles: false,
        }
    }
}

#[derive(Debug)]
pub struct Alerts {
    config: AlertConfig,
    /// The highest bell or copy number seen; `None` until the first state.
    seen: Option<u64>,
    /// The title last written to the terminal.
    title: Option<String>,
}

impl Alerts {
    pub fn new(config: AlertConfig) -> Alerts {
        Alerts {
            config,
            seen: None,
            title: None,
        }
    }

    /// New settings (`set-option` at run time); what was seen stays seen.
    pub fn set_config(&mut self, config: AlertConfig) {
        self.config = config;
    }

    /// Whether the scroll view's copies may reach the terminal.
    pub fn copies_allowed(&self) -> bool {
        self.config.set_clipboard != SetClipboard::Off
    }

    /// Appends what a new host state asks of the terminal: one bell for any new bells
    /// the setting lets through, the newest copy if it is new and allowed, and the title
    /// if it changed.
    pub fn follow(&mut self, host: &HostState, out: &mut Vec<u8>) {
        if host.windows.is_empty() {
            // Not a session's state yet (or its very last one): nothing to go by.
            return;
        }
        let newest = host
            .windows
            .iter()
            .map(|window| window.bell)
            .chain(host.clipboard.as_ref().map(|copy| copy.number))
            .max()
            .unwrap_or(0);
        if let Some(seen) = self.seen {
            let rings = host.windows.iter().any(|window| {
                window.bell > seen
                    && match self.config.bell_action {
                        BellAction::Any => true,
                        BellAction::None => false,
                        BellAction::Current => window.active,
                        BellAction::Other => !window.active,
                    }
            });
            if rings {
                out.push(0x07);
            }
            let copy = host.clipboard.as_ref().filter(|copy| copy.number > seen);
            if let (Some(copy), SetClipboard::On) = (copy, self.config.set_clipboard) {
                out.extend_from_slice(&osc52(copy.selections(), copy.data()));
            }
        }
        self.seen = Some(self.seen.unwrap_or(0).max(newest));
        if self.config.set_titles {
            let title = title(host);
            if self.title.as_ref() != Some(&title) {
                // OSC 2; a label holds no control character that could end it early.
                out.extend_from_slice(format!("\x1b]2;{title}\x07").as_bytes());
                self.title = Some(title);
            }
        }
    }
}

/// tmux's default `set-titles-string`, `#S:#I:#W - "#T"`: session, window index and
/// name, and the focused pane's title.
fn title(host: &HostState) -> String {
    let window = host.windows.iter().find(|window| window.active);
    let pane_title = focused_view(host)
        .and_then(|view| host.screens.get(&view.pane))
        .map_or("", |screen| screen.title.as_str());
    match window {
        Some(window) => format!(
            "{}:{}:{} - \"{pane_title}\"",
            host.session, window.index, window.name
        ),
        None => format!("{} - \"{pane_title}\"", host.session),
    }
}

#[cfg(test)]
mod tests;

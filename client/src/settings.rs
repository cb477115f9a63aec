//! The settings a client acts on: its config file's, with the options `set-option` set at
//! run time for its session on top (`moshmux_proto::options`). The file is read once, on
//! this device; the options come with every host state and may change or be unset at any
//! time, so each state's options are applied over the file's values afresh, and unsetting
//! one (`set -u`) brings the file's value back.

use moshmux_proto::options::{ClientOptions, ModeKeys};

use crate::alerts::AlertConfig;
use crate::config::ClientConfig;

/// The settings that `set-option` can change at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub prefix: u8,
    /// The status line takes the last row (tmux's `status`).
    pub status_line: bool,
    pub mouse: bool,
    pub alerts: AlertConfig,
    /// The scroll view's key table (tmux's `mode-keys`).
    pub mode_keys: ModeKeys,
}

impl Settings {
    /// The config file's values.
    pub fn of_config(config: &ClientConfig) -> Settings {
        Settings {
            prefix: config.keys.prefix(),
            status_line: config.status_line,
            mouse: config.mouse,
            alerts: config.alerts,
            mode_keys: config.mode_keys,
        }
    }

    /// These settings with the run-time options over them.
    pub fn with_options(self, options: &ClientOptions) -> Settings {
        Settings {
            prefix: options.prefix.map_or(self.prefix, |key| key.byte()),
            status_line: options.status.unwrap_or(self.status_line),
            mouse: options.mouse.unwrap_or(self.mouse),
            alerts: AlertConfig {
                bell_action: options.bell_action.unwrap_or(self.alerts.bell_action),
                set_clipboard: options.set_clipboard.unwrap_or(self.alerts.set_clipboard),
                set_titles: options.set_titles.unwrap_or(self.alerts.set_titles),
            },
            mode_keys: options.mode_keys.unwrap_or(self.mode_keys),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{BellAction, SetClipboard};
    use moshmux_proto::options::PrefixKey;

    #[test]
    fn options_set_at_run_time_win_and_unset_ones_leave_the_file_s_values() {
        let file = Settings {
            prefix: 0x01,
            status_line: false,
            mouse: true,
            alerts: AlertConfig {
                bell_action: BellAction::None,
                set_clipboard: SetClipboard::On,
                set_titles: true,
            },
            mode_keys: ModeKeys::Emacs,
        };
        assert_eq!(file.with_options(&ClientOptions::default()), file);
        let options = ClientOptions {
            prefix: PrefixKey::parse("C-q"),
            status: Some(true),
            mouse: Some(false),
            set_titles: None,
            bell_action: Some(BellAction::Other),
            set_clipboard: None,
            mode_keys: Some(ModeKeys::Vi),
        };
        let applied = file.with_options(&options);
        assert_eq!(
            applied,
            Settings {
                prefix: 0x11,
                status_line: true,
                mouse: false,
                alerts: AlertConfig {
                    bell_action: BellAction::Other,
                    set_clipboard: SetClipboard::On,
                    set_titles: true,
                },
                mode_keys: ModeKeys::Vi,
            }
        );
    }
}

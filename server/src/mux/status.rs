//! The status line's text: tmux's `status-left`, `status-right` and window formats,
//! expanded here, where the variables live, and sent in each client's state
//! (`StatusText`); the client lays them out.
//!
//! As tmux does, the time conversions (`%H:%M`) are applied to the format before its
//! variables are expanded, so a `%` in a window's name stays as it is; the time is the
//! daemon's, in its time zone. The status is composed again at each minute so the clock
//! moves ([`Mux::status_due`]). Style directives (`#[fg=red]`) are dropped: the status
//! line has one style here.

use super::resolve::Location;
use super::{Host, Mux};
use crate::options::OptionName;
use crate::session::Session;
use moshmux_proto::label::Label;
use moshmux_proto::screen::StatusText;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use unicode_width::UnicodeWidthChar;

impl Mux {
    /// The status text of `session` at calendar time `wall`.
    pub(super) fn status_text(
        &self,
        session: &Session,
        wall: SystemTime,
        host: &dyn Host,
    ) -> StatusText {
        let at_window = |index: u32| {
            let window = session.window(index)?;
            Some(Location {
                session: session.id,
                window: index,
                pane: window.active(),
            })
        };
        let expand = |location: &Location, option: OptionName| {
            let template = match option.scope() {
                crate::options::Scope::Window => {
                    self.window_text(location.session, location.window, option)
                }
                _ => self.session_text(location.session, option),
            };
            let timed = with_time(&template, wall);
            without_styles(&self.expand_at(location, &timed, host))
        };
        let Some(current) = at_window(session.active_window()) else {
            return StatusText::default();
        };
        let left = expand(&current, OptionName::StatusLeft);
        let right = expand(&current, OptionName::StatusRight);
        let left_length = self.session_number(session.id, OptionName::StatusLeftLength);
        let right_length = self.session_number(session.id, OptionName::StatusRightLength);
        let windows = session
            .windows()
            .filter_map(|window| {
                let location = at_window(window.index)?;
                let format = if window.index == session.active_window() {
                    OptionName::WindowStatusCurrentFormat
                } else {
                    OptionName::WindowStatusFormat
                };
                Some(Label::new(&expand(&location, format)))
            })
            .collect();
        let separator = self.window_text(
            session.id,
            session.active_window(),
            OptionName::WindowStatusSeparator,
        );
        StatusText {
            left: Label::new(cut_to_width(&left, left_length)),
            right: Label::new(cut_to_width(&right, right_length)),
            windows,
            separator: Label::new(&separator),
        }
    }

    /// When the clock on the status line next changes: the start of the next minute.
    pub(super) fn status_due(&self, now: Instant) -> Instant {
        let since_epoch = self
            .wall_clock(now)
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let into_minute =
            Duration::from_millis(u64::try_from(since_epoch.as_millis() % 60_000).unwrap_or(0));
        now + (Duration::from_secs(60) - into_minute)
    }
}

/// The format with its time conversions applied; as it was if one is not understood.
fn with_time(template: &str, wall: SystemTime) -> String {
    if !template.contains('%') {
        return template.to_owned();
    }
    let Ok(stamp) = jiff::Timestamp::try_from(wall) else {
        return template.to_owned();
    };
    let zoned = stamp.to_zoned(jiff::tz::TimeZone::system());
    jiff::fmt::strtime::format(template, &zoned).unwrap_or_else(|_| template.to_owned())
}

/// The text without tmux's style directives (`#[...]`).
fn without_styles(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[") {
        out.push_str(&rest[..at]);
        rest = match rest[at..].find(']') {
            Some(end) => &rest[at + end + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// The longest start of `text` at most `columns` wide.
fn cut_to_width(text: &str, columns: u64) -> &str {
    let mut width = 0u64;
    for (at, c) in text.char_indices() {
        width += c.width().unwrap_or(0) as u64;
        if width > columns {
            return &text[..at];
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_go_and_widths_count_columns() {
        assert_eq!(without_styles("#[fg=red]a#[default]b#[x"), "ab");
        assert_eq!(cut_to_width("[session] ", 4), "[ses");
        assert_eq!(cut_to_width("日本語", 5), "日本");
        assert_eq!(cut_to_width("ab", 10), "ab");
    }

    #[test]
    fn time_conversions_apply_before_variables_and_bad_ones_leave_the_text() {
        let wall = UNIX_EPOCH + Duration::from_secs(86_400 * 365);
        let timed = with_time("#{pane_title} %Y", wall);
        assert!(timed.starts_with("#{pane_title} 197"), "{timed}");
        assert_eq!(with_time("no time", wall), "no time");
        assert_eq!(with_time("100%", wall), "100%");
    }
}

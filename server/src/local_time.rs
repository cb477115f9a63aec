//! Wall-clock times as `ls` shows them: local time in ctime's (and tmux's) form,
//! `Wed Nov 25 10:52:50 2026`. jiff reads the time zone (`TZ`, else the system's) and
//! formats with English names whatever the locale, so the output stays parseable.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::time::SystemTime;

/// ctime's layout; `%e` pads a single-digit day with a space, as ctime does.
const CTIME: &str = "%a %b %e %H:%M:%S %Y";

/// `time` in the daemon's time zone.
pub fn ctime(time: SystemTime) -> String {
    in_zone(time, &TimeZone::system())
}

/// `time`'s hour and minute in the daemon's time zone, as tmux's message log shows it.
pub fn clock(time: SystemTime) -> String {
    formatted(time, &TimeZone::system(), "%H:%M")
}

fn in_zone(time: SystemTime, zone: &TimeZone) -> String {
    formatted(time, zone, CTIME)
}

fn formatted(time: SystemTime, zone: &TimeZone, format: &str) -> String {
    match Timestamp::try_from(time) {
        Ok(stamp) => stamp.to_zoned(zone.clone()).strftime(format).to_string(),
        // Outside jiff's range (years beyond ±9999): say so rather than invent a date.
        Err(_) => "(unknown time)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn reads_like_ctime() {
        assert_eq!(
            in_zone(at(1_795_603_970), &TimeZone::UTC),
            "Wed Nov 25 10:52:50 2026"
        );
        // Single-digit days are padded with a space, as ctime pads them.
        assert_eq!(
            in_zone(at(1_767_484_809), &TimeZone::UTC),
            "Sun Jan  4 00:00:09 2026"
        );
    }

    #[test]
    fn the_zone_moves_the_clock() {
        let plus_one = TimeZone::fixed(jiff::tz::offset(1));
        assert_eq!(
            in_zone(at(1_795_603_970), &plus_one),
            "Wed Nov 25 11:52:50 2026"
        );
    }
}

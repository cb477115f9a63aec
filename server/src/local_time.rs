//! Wall-clock times as `ls` shows them: local time in ctime's (and tmux's) form,
//! `Wed Nov 25 10:52:50 2026`, with English names whatever the locale, so the output
//! stays parseable.

use std::time::{SystemTime, UNIX_EPOCH};

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `time` in the daemon's time zone (`TZ`, else the system's).
pub fn ctime(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let seconds = libc::time_t::try_from(seconds).unwrap_or(libc::time_t::MAX);
    // SAFETY: an all-zero `tm` is a valid value (integers and a null zone pointer).
    let mut fields: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals; localtime_r is the thread-safe form.
    let converted = unsafe { libc::localtime_r(&seconds, &mut fields) };
    if converted.is_null() {
        return format!("@{seconds}");
    }
    format_fields(&fields)
}

fn format_fields(fields: &libc::tm) -> String {
    let name = |names: &[&'static str], index: libc::c_int| {
        usize::try_from(index)
            .ok()
            .and_then(|i| names.get(i).copied())
            .unwrap_or("???")
    };
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        name(&DAYS, fields.tm_wday),
        name(&MONTHS, fields.tm_mon),
        fields.tm_mday,
        fields.tm_hour,
        fields.tm_min,
        fields.tm_sec,
        i64::from(fields.tm_year) + 1900
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(wday: i32, mon: i32, mday: i32, (h, m, s): (i32, i32, i32), year: i32) -> libc::tm {
        // SAFETY: as in `ctime`.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        (tm.tm_wday, tm.tm_mon, tm.tm_mday) = (wday, mon, mday);
        (tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year) = (h, m, s, year - 1900);
        tm
    }

    #[test]
    fn reads_like_ctime() {
        let tm = fields(3, 10, 25, (10, 52, 50), 2026);
        assert_eq!(format_fields(&tm), "Wed Nov 25 10:52:50 2026");
        // Single-digit days are padded with a space, as ctime pads them.
        let tm = fields(0, 0, 4, (0, 0, 9), 2026);
        assert_eq!(format_fields(&tm), "Sun Jan  4 00:00:09 2026");
        let tm = fields(9, -1, 1, (0, 0, 0), 2026);
        assert_eq!(format_fields(&tm), "??? ???  1 00:00:00 2026");
    }

    #[test]
    fn now_has_the_shape_of_a_ctime() {
        let text = ctime(SystemTime::now());
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(words.len(), 5, "{text}");
        assert!(
            DAYS.contains(&words[0]) && MONTHS.contains(&words[1]),
            "{text}"
        );
        assert_eq!(text.len(), "Wed Nov 25 10:52:50 2026".len(), "{text}");
    }
}

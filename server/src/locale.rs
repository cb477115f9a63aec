//! The user's locale on the remote host, as mosh carries it: `moshmux attach` passes its
//! `LANG`, `LANGUAGE` and `LC_*` to `new` as `-e` assignments, so the session's panes
//! get them, and `new` says in one line each one this host has no such locale for,
//! since the programs in the panes would otherwise fall back to "C" without a word.

use std::ffi::CString;

/// Whether `name` is a locale variable that names a locale (`LANGUAGE` is a list of
/// languages for messages, passed on but not a locale to look up).
fn names_a_locale(name: &str) -> bool {
    name == "LANG" || name.starts_with("LC_")
}

/// One line for each assignment of a locale this host lacks.
pub fn missing(assignments: &[(String, String)]) -> Vec<String> {
    assignments
        .iter()
        .filter(|(name, value)| names_a_locale(name) && !value.is_empty() && !installed(value))
        .map(|(name, value)| {
            format!(
                "moshmux-server: this host has no locale {value} ({name}); programs in the \
                 session's panes fall back to C: install it here (locale-gen {value}) or \
                 attach with another {name}"
            )
        })
        .collect()
}

/// Whether the C library can load locale `name` here.
fn installed(name: &str) -> bool {
    let Ok(name) = CString::new(name) else {
        return false;
    };
    // SAFETY: `name` is a valid C string that outlives the call; a non-null result is a
    // locale object this function owns and frees at once.
    unsafe {
        let locale = libc::newlocale(libc::LC_ALL_MASK, name.as_ptr(), std::ptr::null_mut());
        if locale.is_null() {
            return false;
        }
        libc::freelocale(locale);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn only_locales_this_host_lacks_are_named() {
        let lines = missing(&assign(&[
            ("LANG", "C"),
            ("LC_TIME", "xx_NOWHERE.UTF-8"),
            ("LANGUAGE", "xx_NOWHERE:en"),
            ("EDITOR", "xx_NOWHERE.UTF-8"),
            ("LC_ALL", ""),
        ]));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("no locale xx_NOWHERE.UTF-8 (LC_TIME)"));
        assert!(!lines[0].contains('\n'));
    }
}

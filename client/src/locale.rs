//! The locale check: cell text is UTF-8 and the terminal must read it as such.

use std::ffi::CStr;

pub const NOT_UTF8: &str =
    "moshmux needs a UTF-8 locale; set LANG=C.UTF-8 (or another UTF-8 locale) and try again";

/// Adopts the environment's locale and says whether its character set is UTF-8.
pub fn is_utf8() -> bool {
    // SAFETY: called from main before any thread starts, as setlocale requires; both
    // pointers are valid C strings (the empty string, and nl_langinfo's static result).
    let codeset = unsafe {
        libc::setlocale(libc::LC_ALL, c"".as_ptr());
        let codeset = libc::nl_langinfo(libc::CODESET);
        if codeset.is_null() {
            return false;
        }
        CStr::from_ptr(codeset).to_string_lossy().into_owned()
    };
    let normal: String = codeset
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    normal.eq_ignore_ascii_case("utf8")
}

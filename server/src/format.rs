//! tmux's format strings, as `-F`, `display-message` and (later) the status line take
//! them: `#{variable}`, `#{?condition,then,else}`, the comparisons `#{==:a,b}` and
//! `#{!=:a,b}`, `#{||:a,b}` and `#{&&:a,b}`, `#{=N:variable}` (the first N characters,
//! or the last with -N), the one-letter aliases (`#S`, `#I`, `#W`, `#P`, `#D`, `#T`,
//! `#H`, `#h`, `#F`), and `##`, `#,` and `#}` for the characters themselves.
//!
//! Pure: the caller says what each variable holds. As in tmux, an unknown variable is
//! empty, and a condition is true unless it is empty or `0`.

/// Expands `template`, asking `lookup` for each variable's value.
pub fn expand(template: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find('#') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let Some(next) = rest.chars().next() else {
            out.push('#');
            break;
        };
        if next == '{' {
            match closing_brace(&rest[1..]) {
                Some(end) => {
                    out.push_str(&expand_braced(&rest[1..1 + end], lookup));
                    rest = &rest[end + 2..];
                }
                // Unbalanced: the rest is dropped, as tmux drops it.
                None => rest = "",
            }
            continue;
        }
        rest = &rest[next.len_utf8()..];
        match next {
            '#' | ',' | '}' => out.push(next),
            _ => match alias(next) {
                Some(name) => out.push_str(&lookup(name).unwrap_or_default()),
                None => {
                    out.push('#');
                    out.push(next);
                }
            },
        }
    }
    out.push_str(rest);
    out
}

/// The variable a one-letter alias stands for, as tmux's table has them.
fn alias(letter: char) -> Option<&'static str> {
    Some(match letter {
        'D' => "pane_id",
        'F' => "window_flags",
        'H' => "host",
        'h' => "host_short",
        'I' => "window_index",
        'P' => "pane_index",
        'S' => "session_name",
        'T' => "pane_title",
        'W' => "window_name",
        _ => return None,
    })
}

/// Where the `}` that closes a `#{` (whose body `text` starts with) is, counting the
/// `#{`...`}` nested in it and skipping escaped characters.
fn closing_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '#' => {
                if let Some((_, '{')) = chars.next() {
                    depth += 1;
                }
            }
            '}' if depth == 0 => return Some(at),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The parts of `text` between its top-level commas (not those inside `#{...}`, nor `#,`).
fn split_commas(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '#' => {
                if let Some((_, '{')) = chars.next() {
                    depth += 1;
                }
            }
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A `#{...}` body.
fn expand_braced(body: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    if let Some(rest) = body.strip_prefix('?') {
        let parts = split_commas(rest);
        let condition = value(parts[0], lookup);
        let chosen = if is_true(&condition) {
            parts.get(1)
        } else {
            parts.get(2)
        };
        return chosen.map(|part| expand(part, lookup)).unwrap_or_default();
    }
    for (operator, test) in COMPARISONS {
        if let Some(rest) = body.strip_prefix(operator) {
            let parts = split_commas(rest);
            let left = expand(parts[0], lookup);
            let right = parts.get(1).map(|p| expand(p, lookup)).unwrap_or_default();
            return if test(&left, &right) { "1" } else { "0" }.to_string();
        }
    }
    if let Some((limit, name)) = truncation(body) {
        let text = value(name, lookup);
        let count = text.chars().count();
        let wanted = usize::try_from(limit.unsigned_abs()).unwrap_or(usize::MAX);
        return if limit >= 0 {
            text.chars().take(wanted).collect()
        } else {
            text.chars().skip(count.saturating_sub(wanted)).collect()
        };
    }
    value(body, lookup)
}

type Comparison = fn(&str, &str) -> bool;

const COMPARISONS: [(&str, Comparison); 4] = [
    ("==:", |a, b| a == b),
    ("!=:", |a, b| a != b),
    ("||:", |a, b| is_true(a) || is_true(b)),
    ("&&:", |a, b| is_true(a) && is_true(b)),
];

/// `=N:rest` or `=-N:rest`.
fn truncation(body: &str) -> Option<(i64, &str)> {
    let (limit, rest) = body.strip_prefix('=')?.split_once(':')?;
    Some((limit.parse().ok()?, rest))
}

/// A variable's value, or, for a nested format (`#{...}`), its expansion.
fn value(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    if text.contains('#') {
        expand(text, lookup)
    } else {
        lookup(text).unwrap_or_default()
    }
}

fn is_true(text: &str) -> bool {
    !text.is_empty() && text != "0"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        Some(
            match name {
                "session_name" => "work",
                "window_index" => "1",
                "pane_active" => "1",
                "window_zoomed_flag" => "0",
                "pane_title" => "a long title",
                _ => return None,
            }
            .to_string(),
        )
    }

    fn x(template: &str) -> String {
        expand(template, &vars)
    }

    #[test]
    fn variables_and_aliases() {
        assert_eq!(x("#{session_name}:#{window_index}"), "work:1");
        assert_eq!(x("#S:#I"), "work:1");
        assert_eq!(x("[#{unknown}]"), "[]");
        assert_eq!(x("plain text"), "plain text");
    }

    #[test]
    fn conditions_pick_a_branch_and_nest() {
        assert_eq!(x("#{?pane_active,yes,no}"), "yes");
        assert_eq!(x("#{?window_zoomed_flag,Z,-}"), "-");
        assert_eq!(x("#{?unknown,yes}"), "");
        assert_eq!(x("#{?pane_active,#{session_name}#,x,no}"), "work,x");
        assert_eq!(
            x("#{?#{==:#{session_name},work},is #{window_index},not}"),
            "is 1"
        );
    }

    #[test]
    fn comparisons_and_truncation() {
        assert_eq!(x("#{==:#{session_name},work}"), "1");
        assert_eq!(x("#{!=:#{session_name},work}"), "0");
        assert_eq!(x("#{||:#{window_zoomed_flag},#{pane_active}}"), "1");
        assert_eq!(x("#{&&:#{window_zoomed_flag},#{pane_active}}"), "0");
        assert_eq!(x("#{=6:pane_title}"), "a long");
        assert_eq!(x("#{=-5:pane_title}"), "title");
    }

    #[test]
    fn escapes_and_broken_formats_stay_readable() {
        assert_eq!(x("100##"), "100#");
        assert_eq!(x("#[fg=red]#S"), "#[fg=red]work");
        assert_eq!(x("cut #{session_name"), "cut ");
        assert_eq!(x("ends with #"), "ends with #");
        assert_eq!(x("#Ä"), "#Ä");
    }
}

//! The real binary's answers to a bad environment or command line: one line on stderr
//! that says what to do, and a failing exit code, before it touches the terminal.

use std::process::{Command, Stdio};

use moshmux_tests::harness::workspace_binary;

const KEY: &str = "AAAAAAAAAAAAAAAAAAAAAA";

/// Runs `moshmux` with only the given environment and no terminal; returns (exit code,
/// stderr).
fn moshmux(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = Command::new(workspace_binary("moshmux"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_one_line(result: (Option<i32>, String), expected: &str) {
    let (code, stderr) = result;
    assert_ne!(code, Some(0), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
}

const UTF8: [(&str, &str); 2] = [("LC_ALL", "C.UTF-8"), ("MOSHMUX_KEY", KEY)];

#[test]
fn a_non_utf8_locale_is_refused() {
    assert_one_line(
        moshmux(
            &["connect", "127.0.0.1", "60001"],
            &[("LANG", "C"), ("LC_ALL", "C"), ("MOSHMUX_KEY", KEY)],
        ),
        "moshmux needs a UTF-8 locale; set LANG=C.UTF-8",
    );
}

#[test]
fn a_missing_or_bad_key_is_refused_without_echoing_it() {
    let advice = "MOSHMUX_KEY is missing or not a 22-character moshmux key; \
                  use the key printed by `moshmux-server new`";
    assert_one_line(
        moshmux(&["connect", "127.0.0.1", "60001"], &UTF8[..1]),
        advice,
    );
    let secret_typo = "AAAAAAAAAAAAAAAAAAAA!A";
    let result = moshmux(
        &["connect", "127.0.0.1", "60001"],
        &[UTF8[0], ("MOSHMUX_KEY", secret_typo)],
    );
    assert!(!result.1.contains(secret_typo), "{}", result.1);
    assert_one_line(result, advice);
}

#[test]
fn bad_flags_and_ports_are_one_line_usage_errors() {
    for (args, expected) in [
        (
            &["connect", "127.0.0.1", "60001", "--bogus"][..],
            "'--bogus'",
        ),
        (&["connect", "127.0.0.1", "0"], "'0'"),
        (&["connect", "127.0.0.1", "99999"], "'99999'"),
        (
            &["connect", "127.0.0.1", "60001", "--predict", "maybe"],
            "'maybe'",
        ),
        (&["connect", "127.0.0.1"], "PORT"),
    ] {
        assert_one_line(moshmux(args, &UTF8), expected);
        let (_, stderr) = moshmux(args, &UTF8);
        assert!(stderr.contains("see `moshmux connect --help`"), "{stderr}");
    }
}

#[test]
fn without_a_terminal_it_says_so() {
    assert_one_line(
        moshmux(&["connect", "127.0.0.1", "60001"], &UTF8),
        "moshmux needs a terminal",
    );
}

#[test]
fn help_names_the_prediction_modes() {
    let output = Command::new(workspace_binary("moshmux"))
        .args(["connect", "--help"])
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("MOSHMUX_KEY") && help.contains("--predict"),
        "{help}"
    );
    for mode in ["adaptive", "always", "never"] {
        assert!(help.contains(mode), "{help}");
    }
}

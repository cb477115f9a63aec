//! The config file, on whatever a user (or a broken editor) leaves in it: both programs
//! read it without panicking, and every problem they report is one line that names the
//! file and a line that exists in it, so the user can find what to fix.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use moshmux_client::config::ClientConfig;
use moshmux_server::config::ServerConfig;

/// One private file, rewritten for each input; reading it goes through the same path as
/// the programs' own `load`.
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("moshmux-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a private directory for the file");
        dir.join("config.toml")
    })
}

fn check(problems: &[String], program: &str, lines: usize) {
    let file = path().display().to_string();
    for problem in problems {
        assert!(!problem.contains('\n'), "{problem:?} is not one line");
        let prefix = format!("{program}: {file}");
        assert!(
            problem.starts_with(&prefix),
            "{problem:?} does not name the file"
        );
        if let Some(rest) = problem[prefix.len()..].strip_prefix(" line ") {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let line: usize = digits.parse().expect("a line number");
            assert!(
                (1..=lines).contains(&line),
                "{problem:?}: the file has {lines} lines"
            );
        }
    }
}

fuzz_target!(|bytes: &[u8]| {
    std::fs::write(path(), bytes).expect("writing the file");
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    let (_, problems) = ClientConfig::read(path());
    check(&problems, "moshmux", lines);
    let (_, problems) = ServerConfig::read(path());
    check(&problems, "moshmux-server", lines);
});
